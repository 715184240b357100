/*
 * tilec.c — the command-line compiler.
 *
 *   tilec FILE [-o OUT] [--emit=tokens|ast|tile-ir] [-D NAME=VALUE]...
 *         [--kernel NAME] [--passes=P1,P2] [--print-after-all]
 *         [--print-after=P] [--verify-each] [--time-passes]
 *         [--diagnostics=text|json] [-x tile|tile-ir] [--help] [--version]
 *
 * Reads FILE ("-" = standard input), runs the front end (or the Tile IR
 * parser with -x tile-ir), the pass pipeline, and writes what --emit asks
 * for. Exit status: 0 on success, 1 when the input or the command line has
 * errors, 2 on an internal error. Output files are written whole or not at
 * all (temporary file, then rename).
 */
#include "codegen.h"
#include "frontend.h"
#include "options.h"
#include "passes.h"
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TILEC_MAX_SOURCE_BYTES (16u << 20)
#define TILEC_ARENA_LIMIT ((size_t)2 << 30)

typedef enum Emit { EMIT_TOKENS, EMIT_AST, EMIT_TILE_IR, EMIT_LLVM, EMIT_ASM, EMIT_OBJ, EMIT_PTX, EMIT_BIN } Emit;

typedef struct Options {
    const char *input;
    const char *output;
    Emit emit;
    bool input_is_ir;
    bool lang_given;
    TcDiagFormat diag_format;
    const char *kernel;
    const char *passes;       /* NULL = default for the input kind */
    TcPassOptions pass_opts;
    TC_VEC(TcConstOverride) defines;
    const char *target;       /* NULL, or "cpu", "nvptx", "musa", "sim" */
    const char *arch;         /* GPU profile name (--arch) */
    TcCpuOptions cpu;
    TcGpuOptions gpu;
} Options;

static void usage(FILE *f)
{
    fputs("usage: tilec FILE [options]\n"
          "       tilec run FILE [options]   (compile and run a kernel; tilec run --help)\n"
          "\n"
          "Compiles a .tile kernel file (FILE may be '-' for standard input).\n"
          "\n"
          "options:\n"
          "  -o OUT                  write the output to OUT instead of standard output\n"
          "  --emit=KIND             tokens | ast | tile-ir (default) | llvm | asm | obj | ptx | bin\n"
          "  --target=TARGET         cpu: the host CPU (implied by --emit=llvm|asm|obj);\n"
          "                          nvptx: NVIDIA GPUs (--emit=llvm|ptx|bin; bin runs ptxas);\n"
          "                          musa: Moore Threads GPUs (--emit=llvm|bin; bin runs the MUSA toolkit);\n"
          "                          sim: the GPU lowering compiled for the host (--emit=llvm; see tilec run)\n"
          "  --arch=PROFILE          GPU profile: sm_80, sm_90 (nvptx), mp_21, mp_22, mp_31 (musa); any for sim\n"
          "                          (default: sm_80 for nvptx and sim, mp_22 for musa)\n"
          "  --musa-toolkit=DIR      the MUSA toolkit for --target=musa --emit=bin (else MUSA_HOME, /usr/local/musa, PATH)\n"
          "  --ptxas=PATH            ptxas for --target=nvptx --emit=bin (else /usr/local/cuda/bin/ptxas, PATH)\n"
          "  --cpu=NAME              CPU to compile for instead of the host's (e.g. x86-64-v3)\n"
          "  -O0 .. -O3              optimization level for code generation (default -O3)\n"
          "  --fast-dot              let dot use fused multiply-add\n"
          "  --no-tile-cache         (cpu) never keep loaded tiles for later program instances\n"
          "  --no-pack               (cpu) keep dot operands row-major instead of packed in panels\n"
          "  -D NAME=VALUE           set a const parameter (repeatable)\n"
          "  --kernel NAME           compile only kernel NAME\n"
          "  -x LANG                 input language: tile (default) or tile-ir\n"
          "  --passes=P1,P2,...      pass pipeline (default for .tile input: " TC_DEFAULT_PIPELINE ";\n"
          "                          for -x tile-ir input: none); '--passes=' runs none\n"
          "  --print-after-all       print the IR after every pass (to standard error)\n"
          "  --print-after=PASS      print the IR after PASS (to standard error)\n"
          "  --verify-each           verify the IR after every pass\n"
          "  --time-passes           print the time taken by each pass (to standard error)\n"
          "  --list-passes           list the passes and exit\n"
          "  --diagnostics=FORMAT    text (default) or json (one object per line)\n"
          "  --help                  show this help\n"
          "  --version               show the version\n",
          f);
}

/* Reports a command-line error through the diagnostic engine. */
static void option_error(TcDiagEngine *de, const char *fmt, const char *arg)
{
    tc_error(de, TC_E_OPTION, (TcSpan){0}, fmt, arg);
}

static bool parse_args(int argc, char **argv, Options *o, TcArena *a, TcDiagEngine *de, bool *exit_now)
{
    const char *v;
    /* The diagnostic format applies to errors in the rest of the command line too. */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--diagnostics=json") == 0) o->diag_format = TC_DIAG_JSON;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            *exit_now = true;
            return true;
        } else if (strcmp(arg, "--version") == 0) {
            printf("tilec %s\n", TILEC_VERSION);
            *exit_now = true;
            return true;
        } else if (strcmp(arg, "--list-passes") == 0) {
            uint32_t n;
            const TcPass *const *ps = tc_pass_registry(&n);
            for (uint32_t k = 0; k < n; k++) printf("%-14s %s\n", ps[k]->name, ps[k]->summary);
            *exit_now = true;
            return true;
        } else if (strcmp(arg, "-o") == 0) {
            if (i + 1 >= argc) { option_error(de, "%s needs a file name", arg); return false; }
            o->output = argv[++i];
        } else if ((v = tc_opt_value(argc, argv, &i, "--emit"))) {
            if (strcmp(v, "tokens") == 0) o->emit = EMIT_TOKENS;
            else if (strcmp(v, "ast") == 0) o->emit = EMIT_AST;
            else if (strcmp(v, "tile-ir") == 0) o->emit = EMIT_TILE_IR;
            else if (strcmp(v, "llvm") == 0) o->emit = EMIT_LLVM;
            else if (strcmp(v, "asm") == 0) o->emit = EMIT_ASM;
            else if (strcmp(v, "obj") == 0) o->emit = EMIT_OBJ;
            else if (strcmp(v, "ptx") == 0) o->emit = EMIT_PTX;
            else if (strcmp(v, "bin") == 0) o->emit = EMIT_BIN;
            else { option_error(de, "unknown --emit kind '%s'; expected tokens, ast, tile-ir, llvm, asm, obj, ptx or bin", v); return false; }
        } else if ((v = tc_opt_value(argc, argv, &i, "--target"))) {
            if (strcmp(v, "cpu") == 0) ;
            else if (strcmp(v, "nvptx") == 0) o->gpu.target = TC_GPU_TARGET_NVPTX;
            else if (strcmp(v, "musa") == 0) o->gpu.target = TC_GPU_TARGET_MUSA;
            else if (strcmp(v, "sim") == 0) o->gpu.target = TC_GPU_TARGET_SIM;
            else {
                option_error(de, "unknown --target '%s'; expected cpu, nvptx, musa or sim", v);
                return false;
            }
            o->target = v;
        } else if ((v = tc_opt_value(argc, argv, &i, "--arch"))) {
            o->arch = v;
        } else if ((v = tc_opt_value(argc, argv, &i, "--musa-toolkit"))) {
            o->gpu.musa_toolkit = v;
        } else if ((v = tc_opt_value(argc, argv, &i, "--ptxas"))) {
            o->gpu.ptxas = v;
        } else if ((v = tc_opt_value(argc, argv, &i, "--cpu"))) {
            o->cpu.cpu = v;
        } else if (arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' && !arg[3]) {
            o->cpu.opt_level = o->gpu.opt_level = arg[2] - '0';
        } else if (strcmp(arg, "--fast-dot") == 0) {
            o->cpu.fast_dot = true;
        } else if (strcmp(arg, "--no-tile-cache") == 0) {
            o->cpu.no_tile_cache = true;
        } else if (strcmp(arg, "--no-pack") == 0) {
            o->cpu.no_pack = true;
        } else if (strncmp(arg, "-x", 2) == 0) {
            const char *lang = arg[2] ? arg + 2 : (i + 1 < argc ? argv[++i] : NULL);
            if (!lang) { option_error(de, "%s needs a language", arg); return false; }
            if (strcmp(lang, "tile-ir") == 0) o->input_is_ir = true;
            else if (strcmp(lang, "tile") == 0) o->input_is_ir = false;
            else { option_error(de, "unknown input language '%s'; expected tile or tile-ir", lang); return false; }
            o->lang_given = true;
        } else if (strncmp(arg, "-D", 2) == 0) {
            TcConstOverride d;
            if (!tc_opt_define(argc, argv, &i, a, de, &d)) return false;
            TC_VEC_PUSH(a, o->defines, d);
        } else if ((v = tc_opt_value(argc, argv, &i, "--kernel"))) {
            o->kernel = v;
        } else if (strncmp(arg, "--passes=", 9) == 0) {
            o->passes = arg + 9;
        } else if (strcmp(arg, "--print-after-all") == 0) {
            o->pass_opts.print_after_all = true;
        } else if ((v = tc_opt_value(argc, argv, &i, "--print-after"))) {
            o->pass_opts.print_after = v;
        } else if (strcmp(arg, "--verify-each") == 0) {
            o->pass_opts.verify_each = true;
        } else if (strcmp(arg, "--time-passes") == 0) {
            o->pass_opts.time_passes = true;
        } else if ((v = tc_opt_value(argc, argv, &i, "--diagnostics"))) {
            if (strcmp(v, "text") == 0) o->diag_format = TC_DIAG_TEXT;
            else if (strcmp(v, "json") == 0) o->diag_format = TC_DIAG_JSON;
            else { option_error(de, "unknown --diagnostics format '%s'; expected text or json", v); return false; }
        } else if (arg[0] == '-' && arg[1] != 0) {
            option_error(de, "unknown option '%s'; see tilec --help", arg);
            return false;
        } else if (o->input) {
            option_error(de, "more than one input file ('%s'); tilec compiles one file at a time", arg);
            return false;
        } else {
            o->input = arg;
        }
    }
    if (!o->input) {
        option_error(de, "no input file%s", "; see tilec --help");
        return false;
    }
    if (!o->lang_given) {
        size_t n = strlen(o->input);
        o->input_is_ir = n > 4 && strcmp(o->input + n - 4, ".tir") == 0;
    }
    if ((o->emit == EMIT_PTX || o->emit == EMIT_BIN) && !o->target) {
        option_error(de, "--emit=%s needs a GPU target (--target=nvptx or --target=musa)", o->emit == EMIT_PTX ? "ptx" : "bin");
        return false;
    }
    if ((o->emit == EMIT_LLVM || o->emit == EMIT_ASM || o->emit == EMIT_OBJ) && !o->target) o->target = "cpu";
    bool gpu = o->target && strcmp(o->target, "cpu") != 0;
    if (o->arch && !gpu) {
        option_error(de, "--arch=%s needs a GPU target (--target=nvptx, musa or sim)", o->arch);
        return false;
    }
    if (gpu) {
        const char *arch = o->arch ? o->arch : o->gpu.target == TC_GPU_TARGET_MUSA ? "mp_22" : "sm_80";
        o->gpu.profile = tc_gpu_profile(arch);
        if (!o->gpu.profile) {
            option_error(de, "unknown --arch '%s'; expected sm_80, sm_90, mp_21, mp_22 or mp_31", arch);
            return false;
        }
        bool nv = o->gpu.profile->family == TC_GPU_NVIDIA;
        if ((o->gpu.target == TC_GPU_TARGET_NVPTX && !nv) || (o->gpu.target == TC_GPU_TARGET_MUSA && nv)) {
            option_error(de, "--arch=%s is not a profile of this target", arch);
            return false;
        }
        if (o->emit == EMIT_OBJ || (o->emit == EMIT_PTX && o->gpu.target != TC_GPU_TARGET_NVPTX) ||
            (o->emit == EMIT_ASM && o->gpu.target != TC_GPU_TARGET_NVPTX) ||
            (o->emit == EMIT_BIN && o->gpu.target == TC_GPU_TARGET_SIM)) {
            option_error(de, "this --emit kind is not available for --target=%s", o->target);
            return false;
        }
        o->pass_opts.profile = o->gpu.profile;
    } else if (o->emit == EMIT_PTX || o->emit == EMIT_BIN) {
        option_error(de, "--emit=ptx and --emit=bin need --target=nvptx or --target=musa%s", "");
        return false;
    }
    if (o->emit == EMIT_OBJ && (!o->output || strcmp(o->output, "-") == 0)) {
        option_error(de, "--emit=obj needs -o FILE.o (a header FILE.h is written beside it)%s", "");
        return false;
    }
    if (o->input_is_ir && (o->emit == EMIT_TOKENS || o->emit == EMIT_AST)) {
        option_error(de, "--emit=%s needs .tile source; Tile IR input can only be emitted as tile-ir",
                     o->emit == EMIT_TOKENS ? "tokens" : "ast");
        return false;
    }
    if (o->pass_opts.print_after && !tc_pass_find(o->pass_opts.print_after)) {
        option_error(de, "--print-after: unknown pass '%s'; see tilec --list-passes", o->pass_opts.print_after);
        return false;
    }
    return true;
}

/* Writes text to path ("-" or NULL = stdout) whole: temp file, then rename. */
static bool write_output(const char *path, const TcStrBuf *text, TcArena *a, TcDiagEngine *de)
{
    const char *data = text->data ? text->data : "";
    if (!path || strcmp(path, "-") == 0) {
        if (fwrite(data, 1, text->len, stdout) != text->len || fflush(stdout) != 0) {
            tc_error(de, TC_E_FILE, (TcSpan){0}, "cannot write to standard output");
            return false;
        }
        return true;
    }
    char *tmp = tc_arena_printf(a, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        tc_error(de, TC_E_FILE, (TcSpan){0}, "cannot open '%s' for writing", path);
        return false;
    }
    bool ok = fwrite(data, 1, text->len, f) == text->len;
    ok = (fclose(f) == 0) && ok;
    if (ok) ok = rename(tmp, path) == 0;
    if (!ok) {
        remove(tmp);
        tc_error(de, TC_E_FILE, (TcSpan){0}, "cannot write '%s'", path);
    }
    return ok;
}

/* Drops every kernel but `name` from m (it exists: sema or the caller checked). */
static void keep_only_kernel(TcIrModule *m, const char *name)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->funcs.len; i++)
        if (strcmp(m->funcs.data[i]->name, name) == 0) m->funcs.data[n++] = m->funcs.data[i];
    m->funcs.len = n;
}

/* Writes the C header for an object file: OUT.o -> OUT.h. */
static bool write_header(const char *obj, const TcIrModule *m, TcArena *a, TcDiagEngine *de)
{
    size_t n = strlen(obj);
    const char *dot = strrchr(obj, '.'), *slash = strrchr(obj, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - obj) : n;
    char *path = tc_arena_printf(a, "%.*s.h", (int)stem, obj);
    const char *base = slash ? slash + 1 : obj;
    size_t blen = stem - (size_t)(base - obj);
    char *guard = tc_arena_printf(a, "tilec_%.*s", (int)blen, base);
    for (char *p = guard; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) *p = '_';
    TcStrBuf h;
    tc_sb_init(&h);
    tc_cpu_emit_header(m, guard, &h);
    bool ok = write_output(path, &h, a, de);
    tc_sb_free(&h);
    return ok;
}

/* Verifies what the front end produced; a failure is a tilec bug. */
static bool check_lowered(TcIrModule *m, TcArena *a, TcDiagEngine *de)
{
    TcDiagEngine vde;
    tc_diag_init(&vde, a);
    for (uint32_t i = 1; i < de->files.len; i++) tc_diag_add_file(&vde, de->files.data[i]);
    if (tc_ir_verify_module(m, &vde, "after lowering")) return true;
    TcDiag *d = tc_error(de, TC_E_INTERNAL, (TcSpan){0},
                         "internal compiler error: the Tile IR produced by the front end does not verify; "
                         "this is a bug in tilec, not in your kernel");
    for (uint32_t i = 0; i < vde.diags.len && i < 10; i++)
        tc_diag_note(de, d, vde.diags.data[i]->span, "%s", vde.diags.data[i]->msg);
    return false;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "run") == 0) return tc_run_main(argc, argv);
    TcArena arena;
    tc_arena_init(&arena);
    arena.limit = TILEC_ARENA_LIMIT;
    TcDiagEngine de;
    tc_diag_init(&de, &arena);
    Options o = {.emit = EMIT_TILE_IR, .cpu = {.opt_level = 3}, .gpu = {.opt_level = 3}};
    TcStrBuf out, diags;
    tc_sb_init(&out);
    tc_sb_init(&diags);
    int status = 1;
    bool exit_now = false, internal = false;

    if (!parse_args(argc, argv, &o, &arena, &de, &exit_now)) goto done;
    if (exit_now) {
        status = 0;
        goto done;
    }

    TcSource src;
    const char *err = NULL;
    if (!tc_read_file(&arena, o.input, TILEC_MAX_SOURCE_BYTES, &src, &err)) {
        bool too_big = strstr(err, "larger than") != NULL;
        TcDiag *d = tc_error(&de, too_big ? TC_E_FILE_TOO_LARGE : TC_E_FILE, (TcSpan){0}, "%s", err);
        if (too_big) tc_diag_amounts(d, (int64_t)TILEC_MAX_SOURCE_BYTES + 1, TILEC_MAX_SOURCE_BYTES);
        goto done;
    }
    uint32_t fid = tc_diag_add_file(&de, src);

    if (o.emit == EMIT_TOKENS) {
        tc_dump_tokens(&arena, &de, fid, &out);
        if (de.nerrors == 0 && write_output(o.output, &out, &arena, &de)) status = 0;
        goto done;
    }

    TcIrModule *m = tc_ir_module_new(&arena);
    if (o.input_is_ir) {
        if (!tc_ir_parse(m, &de, fid) || !tc_ir_verify_module(m, &de, NULL)) goto done_module;
        if (o.kernel && !tc_ir_module_find(m, o.kernel)) {
            tc_error(&de, TC_E_NO_KERNEL, (TcSpan){0}, "no kernel named '%s' in this file", o.kernel);
            goto done_module;
        }
    } else {
        TcAstNode *file = tc_parse_file(&arena, &m->strs, &de, fid);
        if (o.emit == EMIT_AST) {
            tc_ast_print(file, &out);
            if (de.nerrors == 0 && write_output(o.output, &out, &arena, &de)) status = 0;
            goto done_module;
        }
        if (de.nerrors) goto done_module;
        TcSemaOptions so = {.defines = o.defines.data, .ndefines = o.defines.len, .kernel = o.kernel};
        if (!tc_sema_lower(file, m, &de, &so)) goto done_module;
        if (!check_lowered(m, &arena, &de)) {
            internal = true;
            goto done_module;
        }
    }

    bool gpu = o.gpu.profile != NULL;
    const char *spec = o.passes                ? o.passes
                       : o.input_is_ir && gpu ? TC_GPU_PIPELINE
                       : o.input_is_ir        ? ""
                       : gpu                  ? TC_DEFAULT_PIPELINE "," TC_GPU_PIPELINE
                                              : TC_DEFAULT_PIPELINE;
    TcPipeline pipe;
    if (!tc_pipeline_parse(spec, &arena, &de, &pipe)) goto done_module;
    TcStrBuf dumps, timings;
    tc_sb_init(&dumps);
    tc_sb_init(&timings);
    bool ok = tc_pipeline_run(&pipe, m, &de, &o.pass_opts, &dumps, &timings);
    fputs(dumps.data ? dumps.data : "", stderr);
    fputs(timings.data ? timings.data : "", stderr);
    tc_sb_free(&dumps);
    tc_sb_free(&timings);
    if (!ok) goto done_module;

    if (o.kernel) keep_only_kernel(m, o.kernel);
    if (o.emit == EMIT_TILE_IR) {
        tc_ir_print_module(m, &out);
    } else if (gpu) {
        TcGpuEmit what = o.emit == EMIT_LLVM ? TC_GPU_EMIT_LLVM : o.emit == EMIT_BIN ? TC_GPU_EMIT_BIN : TC_GPU_EMIT_ASM;
        if (!tc_gpu_compile(m, &o.gpu, what, o.output, &out, NULL, &de)) goto done_module;
    } else {
        TcCpuEmit what = o.emit == EMIT_LLVM ? TC_CPU_EMIT_LLVM : o.emit == EMIT_ASM ? TC_CPU_EMIT_ASM : TC_CPU_EMIT_OBJ;
        if (!tc_cpu_compile(m, &o.cpu, what, &out, &de)) goto done_module;
        if (o.emit == EMIT_OBJ && !write_header(o.output, m, &arena, &de)) goto done_module;
    }
    if (write_output(o.output, &out, &arena, &de)) status = 0;

done_module:
    tc_ir_module_free(m);
done:
    if (arena.exhausted) {
        TcDiag *d = tc_error(&de, TC_E_LIMIT, (TcSpan){0}, "the compilation needs more than %zu bytes of memory",
                             (size_t)TILEC_ARENA_LIMIT);
        tc_diag_amounts(d, (int64_t)arena.used, (int64_t)TILEC_ARENA_LIMIT);
        status = 1;
    }
    if (de.nerrors || de.too_many) status = internal ? 2 : 1;
    tc_diag_render(&de, o.diag_format, &diags);
    fputs(diags.data ? diags.data : "", stderr);
    tc_sb_free(&out);
    tc_sb_free(&diags);
    tc_arena_free(&arena);
    return status;
}
