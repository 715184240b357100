/*
 * test_gpu_emit.c — the nvptx and musa halves of GPU code generation:
 * the LLVM 14 text downgrade (codegen/llvm14.c), the target infos
 * (target_nvptx.c, target_musa.c) and tc_gpu_compile's emission
 * (gpu_emit.c) — PTX, cubins through ptxas, and the MUSA toolkit driven
 * through a test double: a directory with bin/llc and bin/ld.lld scripts
 * that record their arguments and write their outputs.
 *
 * LLVM 14's `llvm-as -opaque-pointers` (/usr/lib/llvm-14/bin/llvm-as, or
 * $TILEC_LLVM14_AS) is the check that downgraded text parses; ptxas
 * (/usr/local/cuda/bin/ptxas) the check that PTX assembles. Where one is
 * missing, the checks that need it print why they were skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llvm-c/BitWriter.h>
#include <llvm-c/Core.h>

#include "codegen.h"
#include "frontend.h"
#include "gpu_internal.h"
#include "passes.h"

/* --------------------------------------------------------------- tools */

static const char *llvm14_as(void)
{
    const char *p = getenv("TILEC_LLVM14_AS");
    if (p && *p) return access(p, X_OK) == 0 ? p : NULL;
    return access("/usr/lib/llvm-14/bin/llvm-as", X_OK) == 0 ? "/usr/lib/llvm-14/bin/llvm-as" : NULL;
}

static const char *ptxas_path(void)
{
    return access("/usr/local/cuda/bin/ptxas", X_OK) == 0 ? "/usr/local/cuda/bin/ptxas" : NULL;
}

static char tmp_root[256];

static void make_tmp_root(void)
{
    if (tmp_root[0]) return;
    snprintf(tmp_root, sizeof tmp_root, "/tmp/tilec-test-gpu-XXXXXX");
    assert_non_null(mkdtemp(tmp_root));
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    size_t k = fread(s, 1, (size_t)n, f);
    s[k] = 0;
    fclose(f);
    return s;
}

/* Runs LLVM 14's llvm-as on text; true if it parses (and verifies), or if
 * there is no LLVM 14 (reported once). On failure prints the error. */
static bool llvm14_parses(const char *text, const char *what)
{
    static bool told;
    const char *as = llvm14_as();
    if (!as) {
        if (!told) print_message("[  SKIPPED ] LLVM 14 checks: no /usr/lib/llvm-14/bin/llvm-as (apt install llvm-14)\n");
        told = true;
        return true;
    }
    make_tmp_root();
    char in[512], err[512], cmd[2048];
    snprintf(in, sizeof in, "%s/check.ll", tmp_root);
    snprintf(err, sizeof err, "%s/check.err", tmp_root);
    write_text(in, text);
    snprintf(cmd, sizeof cmd, "%s -opaque-pointers %s -o /dev/null 2>%s", as, in, err);
    int rc = system(cmd);
    if (rc != 0) {
        char *e = read_text(err);
        print_message("LLVM 14 rejects %s:\n%s\n", what, e ? e : "?");
        free(e);
    }
    return rc == 0;
}

/* ------------------------------------------------------------ downgrade */

static char *downgrade(const char *in)
{
    TcStrBuf out;
    tc_sb_init(&out);
    char why[512];
    bool ok = tc_llvm14_downgrade(in, strlen(in), &out, why, sizeof why);
    if (!ok) print_message("downgrade failed: %s\n", why);
    assert_true(ok);
    return out.data ? out.data : calloc(1, 1);
}

typedef struct Case {
    const char *name;
    const char *in;      /* LLVM 19 text */
    const char *want[6]; /* substrings of the output */
    const char *gone[6]; /* substrings that must not remain */
} Case;

/* One case per rule of llvm14.c; each input is text LLVM 19 prints. */
static const Case cases[] = {
    {"calling convention 102",
     "define aarch64_sme_preservemost_from_x0 void @k() {\n  ret void\n}\n",
     {"define cc102 void @k()"}, {"aarch64"}},
    {"or disjoint, zext/uitofp nneg, trunc nuw nsw",
     "define i32 @f(i32 %x) {\n  %a = or disjoint i32 %x, 1\n  %b = zext nneg i32 %a to i64\n"
     "  %c = trunc nuw nsw i64 %b to i32\n  %d = trunc nsw i64 %b to i16\n  %e = uitofp nneg i32 %c to float\n"
     "  %f = add nuw nsw i32 %c, 1\n  ret i32 %f\n}\n",
     {"or i32 %x, 1", "zext i32 %a to i64", "trunc i64 %b to i32", "trunc i64 %b to i16", "uitofp i32 %c",
      "add nuw nsw i32 %c, 1"},
     {"disjoint", "nneg"}},
    {"getelementptr nusw / nuw",
     "define void @f(ptr addrspace(1) %p, i64 %i) {\n  %a = getelementptr inbounds nuw i8, ptr addrspace(1) %p, i64 %i\n"
     "  %b = getelementptr nusw i8, ptr addrspace(1) %p, i64 %i\n"
     "  %c = getelementptr nusw nuw float, ptr addrspace(1) %p, i64 %i\n  ret void\n}\n",
     {"%a = getelementptr inbounds i8,", "%b = getelementptr i8,", "%c = getelementptr float,"},
     {"nusw", "nuw"}},
    {"memory(...) attributes",
     "declare void @a() #0\ndeclare void @b() #1\ndeclare void @c() #2\ndeclare void @d() #3\ndeclare void @e() #4\n"
     "declare void @g() #5\n"
     "attributes #0 = { nounwind memory(none) }\nattributes #1 = { memory(argmem: readwrite) }\n"
     "attributes #2 = { memory(argmem: write) }\nattributes #3 = { convergent memory(inaccessiblemem: readwrite) }\n"
     "attributes #4 = { memory(read) }\nattributes #5 = { nofree memory(readwrite, inaccessiblemem: none) }\n",
     {"#0 = { nounwind readnone }", "#1 = { argmemonly }", "#2 = { argmemonly writeonly }",
      "#3 = { convergent inaccessiblememonly }", "#4 = { readonly }", "#5 = { nofree }"},
     {"memory("}},
    {"an attribute group left empty",
     "declare void @a() #0\nattributes #0 = { mustprogress memory(read, argmem: readwrite) }\n",
     {"attributes #0 = { \"tilec.llvm14\" }"}, {"mustprogress", "memory"}},
    {"range, nofpclass, writable, dead_on_unwind, captures, hint attributes",
     "define noundef range(i32 0, 1024) i32 @f(ptr addrspace(1) noalias nocapture writable dead_on_unwind %p, "
     "float nofpclass(nan inf) %x, ptr captures(none) %q) #0 {\n"
     "  %t = call range(i32 0, 1024) i32 @g()\n  ret i32 %t\n}\ndeclare i32 @g()\n"
     "attributes #0 = { mustprogress nocallback nofree nosync nounwind speculatable willreturn uwtable(sync) }\n",
     {"define noundef i32 @f(ptr addrspace(1) noalias nocapture %p, float %x, ptr nocapture %q)",
      "%t = call i32 @g()", "#0 = { nofree nosync nounwind uwtable }"},
     {"range", "nofpclass", "writable", "dead_on_unwind", "willreturn", "captures"}},
    {"splat constants",
     "@g = addrspace(1) global <4 x i32> splat (i32 7)\n"
     "define <2 x float> @f(<2 x float> %v) {\n  %w = fmul <2 x float> %v, splat (float 2.000000e+00)\n"
     "  %x = select <2 x i1> splat (i1 true), <2 x float> %w, <2 x float> splat (float 0.000000e+00)\n"
     "  ret <2 x float> %x\n}\n",
     {"<4 x i32> <i32 7, i32 7, i32 7, i32 7>", "fmul <2 x float> %v, <float 2.000000e+00, float 2.000000e+00>",
      "<2 x i1> <i1 true, i1 true>", "<2 x float> <float 0.000000e+00, float 0.000000e+00>"},
     {"splat"}},
    {"llvm.scmp / llvm.ucmp",
     "define i8 @f(i32 %a, i32 %b) {\n  %s = call i8 @llvm.scmp.i8.i32(i32 %a, i32 %b)\n"
     "  %u = call i8 @llvm.ucmp.i8.i32(i32 %a, i32 %b)\n  %r = add i8 %s, %u\n  ret i8 %r\n}\n"
     "declare i8 @llvm.scmp.i8.i32(i32, i32) #0\ndeclare i8 @llvm.ucmp.i8.i32(i32, i32) #0\n"
     "attributes #0 = { nocallback nofree nosync nounwind speculatable willreturn memory(none) }\n",
     {"icmp slt i32 %a, %b", "icmp ugt i32 %a, %b", "%s = select i1", "%u = select i1"},
     {"llvm.scmp", "llvm.ucmp"}},
    {"llvm.is.fpclass",
     "define i1 @f(float %x, double %y) {\n  %a = call i1 @llvm.is.fpclass.f32(float %x, i32 3)\n"
     "  %b = call i1 @llvm.is.fpclass.f64(double %y, i32 516), !dbg !0\n  %r = or i1 %a, %b\n  ret i1 %r\n}\n"
     "declare i1 @llvm.is.fpclass.f32(float, i32 immarg)\ndeclare i1 @llvm.is.fpclass.f64(double, i32 immarg)\n"
     "!0 = !{}\n",
     {"bitcast float %x to i32", "bitcast double %y to i64", ", !dbg !0"},
     {"is.fpclass"}},
    {"debug records",
     "define void @f(i32 %x) {\n    #dbg_value(i32 %x, !0, !DIExpression(), !1)\n  ret void\n}\n",
     {"define void @f(i32 %x)"}, {"#dbg_value"}},
    {"strings, names and comments are left alone",
     "@\"or disjoint\" = constant [9 x i8] c\"splat (x)\"\n; memory(none) willreturn\n"
     "define void @willreturn() {\nwillreturn:\n  br label %mustprogress\nmustprogress:\n  ret void\n}\n"
     "!0 = !{!\"range\", !\"memory(none)\"}\n",
     {"@\"or disjoint\" = constant [9 x i8] c\"splat (x)\"", "; memory(none) willreturn",
      "define void @willreturn()", "willreturn:\n  br label %mustprogress\nmustprogress:", "!{!\"range\", !\"memory(none)\"}"},
     {0}},
};

static void test_downgrade_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const Case *c = &cases[i];
        char *out = downgrade(c->in);
        for (int k = 0; k < 6 && c->want[k]; k++) {
            if (!strstr(out, c->want[k])) print_message("%s: no '%s' in:\n%s\n", c->name, c->want[k], out);
            assert_non_null(strstr(out, c->want[k]));
        }
        for (int k = 0; k < 6 && c->gone[k]; k++) {
            /* only outside comments; the cases put none after a rewritten word */
            if (strstr(out, c->gone[k])) print_message("%s: '%s' left in:\n%s\n", c->name, c->gone[k], out);
            assert_null(strstr(out, c->gone[k]));
        }
        if (!llvm14_parses(out, c->name)) fail_msg("case '%s'", c->name);
        free(out);
    }
}

/* Constructs without an LLVM 14 rewrite are refused with the reason. */
static void test_downgrade_refuses(void **state)
{
    (void)state;
    const char *in = "define float @f(float %x) {\n  %y = call float @llvm.ldexp.f32.i32(float %x, i32 2)\n"
                     "  ret float %y\n}\ndeclare float @llvm.ldexp.f32.i32(float, i32)\n";
    TcStrBuf out;
    tc_sb_init(&out);
    char why[256];
    assert_false(tc_llvm14_downgrade(in, strlen(in), &out, why, sizeof why));
    assert_non_null(strstr(why, "llvm.ldexp.f32.i32 has no LLVM 14 equivalent"));
    assert_non_null(strstr(why, "line 2"));
    tc_sb_clear(&out);
    const char *v = "define <2 x i8> @f(<2 x i32> %a) {\n"
                    "  %s = call <2 x i8> @llvm.scmp.v2i8.v2i32(<2 x i32> %a, <2 x i32> %a)\n  ret <2 x i8> %s\n}\n";
    assert_false(tc_llvm14_downgrade(v, strlen(v), &out, why, sizeof why));
    assert_non_null(strstr(why, "on vectors"));
    tc_sb_free(&out);
}

/* ------------------------------------------------------------ compiling */

typedef struct Prog {
    TcArena arena;
    TcDiagEngine de;
    TcIrModule *m;
} Prog;

/* Parses source (a path when is_path) through the GPU pipeline for arch. */
static bool prog_load(Prog *p, const char *source, bool is_path, const char *arch)
{
    memset(p, 0, sizeof *p);
    tc_arena_init(&p->arena);
    tc_diag_init(&p->de, &p->arena);
    TcSource src;
    if (is_path) {
        const char *err = NULL;
        if (!tc_read_file(&p->arena, source, (size_t)1 << 20, &src, &err)) fail_msg("cannot read %s: %s", source, err);
    } else {
        src = (TcSource){"inline.tile", source, strlen(source)};
    }
    uint32_t fid = tc_diag_add_file(&p->de, src);
    p->m = tc_ir_module_new(&p->arena);
    TcAstNode *ast = tc_parse_file(&p->arena, &p->m->strs, &p->de, fid);
    TcSemaOptions so = {0};
    TcPipeline pipe;
    TcPassOptions po = {.profile = tc_gpu_profile(arch)};
    assert_non_null(po.profile);
    return p->de.nerrors == 0 && tc_sema_lower(ast, p->m, &p->de, &so) &&
           tc_pipeline_parse(TC_DEFAULT_PIPELINE "," TC_GPU_PIPELINE, &p->arena, &p->de, &pipe) &&
           tc_pipeline_run(&pipe, p->m, &p->de, &po, NULL, NULL);
}

static char *diags_text(Prog *p)
{
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(&p->de, TC_DIAG_TEXT, &sb);
    return sb.data ? sb.data : calloc(1, 1);
}

static void prog_free(Prog *p)
{
    if (p->m) tc_ir_module_free(p->m);
    tc_arena_free(&p->arena);
}

/* Compiles p for target/arch; the output text (NUL-terminated) or NULL. */
static char *compile(Prog *p, TcGpuTargetKind target, const char *arch, TcGpuEmit what, const TcGpuOptions *base,
                     const char *out_path, TcStrBuf *sigs, size_t *len)
{
    TcGpuOptions o = base ? *base : (TcGpuOptions){.opt_level = 3};
    o.target = target;
    o.profile = tc_gpu_profile(arch);
    TcStrBuf out;
    tc_sb_init(&out);
    bool ok = tc_gpu_compile(p->m, &o, what, out_path, &out, sigs, &p->de);
    if (len) *len = out.len;
    if (!ok) {
        tc_sb_free(&out);
        return NULL;
    }
    return out.data ? out.data : calloc(1, 1);
}

static uint32_t example_names(char names[][64], uint32_t max)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/examples", TILEC_SOURCE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    uint32_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len > 5 && len < 60 && strcmp(e->d_name + len - 5, ".tile") == 0) {
            memcpy(names[n], e->d_name, len - 5);
            names[n][len - 5] = 0;
            n++;
        }
    }
    closedir(d);
    assert_true(n > 0);
    return n;
}

static void example_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/examples/%s.tile", TILEC_SOURCE_DIR, name);
}

static void load_example(Prog *p, const char *name, const char *arch)
{
    char path[1024];
    example_path(path, sizeof path, name);
    if (!prog_load(p, path, true, arch)) {
        char *d = diags_text(p);
        fail_msg("%s for %s: %s", name, arch, d);
    }
}

/* ------------------------------------------------------------------ musa */

static void expect(const char *text, const char *needle, const char *what)
{
    if (!strstr(text, needle)) fail_msg("%s: no '%s'", what, needle);
}

static void expect_not(const char *text, const char *needle, const char *what)
{
    if (strstr(text, needle)) fail_msg("%s: unexpected '%s'", what, needle);
}

/* Every example, for every MUSA arch: LLVM 14 parses the IR, which has
 * MUSA's triple, layout, kernel convention, annotations and intrinsics. */
static void test_musa_examples(void **state)
{
    (void)state;
    static const char *const archs[] = {"mp_21", "mp_22", "mp_31"};
    char names[32][64];
    uint32_t n = example_names(names, 32);
    for (uint32_t i = 0; i < n; i++)
        for (int a = 0; a < 3; a++) {
            Prog p;
            load_example(&p, names[i], archs[a]);
            char what[160];
            snprintf(what, sizeof what, "%.64s on %s", names[i], archs[a]);
            char *ir = compile(&p, TC_GPU_TARGET_MUSA, archs[a], TC_GPU_EMIT_LLVM, NULL, NULL, NULL, NULL);
            if (!ir) fail_msg("%s: %s", what, diags_text(&p));
            expect(ir, "target triple = \"mtgpu-mt-musa\"", what);
            expect(ir, "target datalayout = \"e-p:64:64:64:64-p1:64:64:64:64-p2:64:64:64:64-p3:32:32-p4:32:32-"
                       "p5:64:64-i64:64-v16:16-v24:32-v32:32-v48:64-v96:128\"", what);
            expect(ir, "define cc102 void @", what);
            expect(ir, "\"target-cpu\"=\"", what);
            expect(ir, archs[a], what);
            expect(ir, "!musa.annotations = !{", what);
            expect(ir, "!\"kernel\", i32 1}", what);
            const TcGpuProfile *prof = tc_gpu_profile(archs[a]);
            for (uint32_t k = 0; k < p.m->funcs.len; k++) {
                char ann[128];
                uint32_t warps = p.m->funcs.data[k]->warps ? (uint32_t)p.m->funcs.data[k]->warps : prof->default_warps;
                snprintf(ann, sizeof ann, "!{ptr @%s, !\"maxntidx\", i32 %u}", p.m->funcs.data[k]->name,
                         warps * prof->warp_size);
                expect(ir, ann, what);
            }
            expect(ir, "@llvm.musa.read.ptx.sreg.tid.x()", what);
            expect_not(ir, "llvm.nvvm", what);
            expect_not(ir, "llvm.maximum", what);
            expect_not(ir, "llvm.minimum", what);
            expect_not(ir, "@llvm.exp2.v", what);
            expect_not(ir, "aarch64", what);
            if (strstr(ir, "@tilec_smem")) {
                expect(ir, "@tilec_smem = external ", what);
                expect(ir, "addrspace(3) global [0 x i8], align 16", what);
            }
            if (!llvm14_parses(ir, what)) fail_msg("%s", what);
            free(ir);
            prog_free(&p);
        }
}

/* The dot example (a reduction over warps) uses shared memory, the
 * barrier and the shuffle with the profile's maskAndClamp. */
static void test_musa_intrinsics(void **state)
{
    (void)state;
    static const struct {
        const char *arch;
        const char *clamp;
    } t[] = {{"mp_22", "i32 127, ptr addrspace(5) null)"}, {"mp_31", "i32 12319, ptr addrspace(5) null)"}};
    for (int a = 0; a < 2; a++) {
        Prog p;
        load_example(&p, "softmax", t[a].arch);
        char *ir = compile(&p, TC_GPU_TARGET_MUSA, t[a].arch, TC_GPU_EMIT_LLVM, NULL, NULL, NULL, NULL);
        if (!ir) fail_msg("%s", diags_text(&p));
        expect(ir, "call i32 @llvm.musa.shfl.xor.sync.i32(i32", t[a].arch);
        expect(ir, t[a].clamp, t[a].arch);
        expect(ir, "declare i32 @llvm.musa.shfl.xor.sync.i32(i32, i32, i32, ptr addrspace(5))", t[a].arch);
        expect(ir, "@llvm.exp2.f32(float", t[a].arch);
        free(ir);
        prog_free(&p);
    }
}

/* --------------------------------------------------------------- nvptx */

static void test_nvptx_examples(void **state)
{
    (void)state;
    static const char *const archs[] = {"sm_80", "sm_90"};
    char names[32][64];
    uint32_t n = example_names(names, 32);
    const char *ptxas = ptxas_path();
    if (!ptxas) print_message("[  SKIPPED ] cubins: no /usr/local/cuda/bin/ptxas\n");
    for (uint32_t i = 0; i < n; i++)
        for (int a = 0; a < 2; a++) {
            char what[160];
            snprintf(what, sizeof what, "%.64s on %s", names[i], archs[a]);
            Prog p;
            load_example(&p, names[i], archs[a]);
            char *ir = compile(&p, TC_GPU_TARGET_NVPTX, archs[a], TC_GPU_EMIT_LLVM, NULL, NULL, NULL, NULL);
            if (!ir) fail_msg("%s: %s", what, diags_text(&p));
            expect(ir, "target triple = \"nvptx64-nvidia-cuda\"", what);
            expect(ir, "!nvvm.annotations = !{", what);
            expect_not(ir, "llvm.musa", what);
            free(ir);
            char *ptx = compile(&p, TC_GPU_TARGET_NVPTX, archs[a], TC_GPU_EMIT_ASM, NULL, NULL, NULL, NULL);
            if (!ptx) fail_msg("%s: %s", what, diags_text(&p));
            expect(ptx, a == 0 ? ".target sm_80" : ".target sm_90", what);
            expect(ptx, ".visible .entry ", what);
            expect(ptx, ".maxntid ", what);
            free(ptx);
            if (ptxas) {
                size_t len;
                char *bin = compile(&p, TC_GPU_TARGET_NVPTX, archs[a], TC_GPU_EMIT_BIN, NULL, NULL, NULL, &len);
                if (!bin) fail_msg("%s: %s", what, diags_text(&p));
                assert_true(len > 4 && memcmp(bin, "\177ELF", 4) == 0);
                free(bin);
            }
            prog_free(&p);
        }
}

static const char *f64_exp_src =
    "kernel e64(x: f64[N], y: out f64[N]) grid(cdiv(N, 128)) {\n"
    "    let i = program_id(0) * 128;\n"
    "    let t = load(x, [i], [128]);\n"
    "    store(y, [i], exp(t) + log(t) + exp(t * 2.0));\n"
    "}\n";

/* f64 exp/log on nvptx: one E8002 per op, naming the way out. */
static void test_nvptx_f64_math(void **state)
{
    (void)state;
    Prog p;
    assert_true(prog_load(&p, f64_exp_src, false, "sm_80"));
    assert_null(compile(&p, TC_GPU_TARGET_NVPTX, "sm_80", TC_GPU_EMIT_ASM, NULL, NULL, NULL, NULL));
    char *d = diags_text(&p);
    expect(d, "exp on f64 is not supported on the nvptx target", d);
    expect(d, "log on f64 is not supported on the nvptx target", d);
    expect(d, "cast the operand to f32", d);
    expect(d, "[E8002]", d);
    assert_int_equal(p.de.nerrors, 2);
    free(d);
    prog_free(&p);
}

static void test_nvptx_missing_ptxas(void **state)
{
    (void)state;
    Prog p;
    load_example(&p, "vector_add", "sm_80");
    TcGpuOptions o = {.opt_level = 3, .ptxas = "/nonexistent/bin/ptxas"};
    assert_null(compile(&p, TC_GPU_TARGET_NVPTX, "sm_80", TC_GPU_EMIT_BIN, &o, NULL, NULL, NULL));
    char *d = diags_text(&p);
    expect(d, "no ptxas found", d);
    expect(d, "/nonexistent/bin/ptxas (given; not an executable file)", d);
    expect(d, "[E8003]", d);
    free(d);
    prog_free(&p);
}

/* A wrong arch for the target, and --emit=asm on musa. */
static void test_option_errors(void **state)
{
    (void)state;
    Prog p;
    load_example(&p, "vector_add", "mp_22");
    assert_null(compile(&p, TC_GPU_TARGET_NVPTX, "mp_22", TC_GPU_EMIT_ASM, NULL, NULL, NULL, NULL));
    assert_null(compile(&p, TC_GPU_TARGET_MUSA, "mp_22", TC_GPU_EMIT_ASM, NULL, NULL, NULL, NULL));
    char *d = diags_text(&p);
    expect(d, "--arch=mp_22 is not an architecture of the nvptx target", d);
    expect(d, "--emit=asm is not available on the musa target", d);
    free(d);
    prog_free(&p);
}

/* ---------------------------------------------------- MUSA toolkit double */

static const char *fake_llc =
    "#!/bin/sh\n"
    "# test double of MUSA's llc: records its arguments, writes the -o file\n"
    "here=$(dirname \"$0\")\n"
    "printf '%s\\n' \"$0\" \"$@\" > \"$here/../llc.argv\"\n"
    "if [ -n \"$TILEC_FAKE_LLC_FAIL\" ]; then echo \"error: $TILEC_FAKE_LLC_FAIL\" >&2; exit 3; fi\n"
    "cp \"$1\" \"$here/../seen.ll\"\n"
    "out=; prev=\n"
    "for a in \"$@\"; do if [ \"$prev\" = -o ]; then out=$a; fi; prev=$a; done\n"
    "printf 'OBJ' > \"$out\"\n";

static const char *fake_lld =
    "#!/bin/sh\n"
    "here=$(dirname \"$0\")\n"
    "printf '%s\\n' \"$0\" \"$@\" > \"$here/../lld.argv\"\n"
    "out=; prev=\n"
    "for a in \"$@\"; do if [ \"$prev\" = -o ]; then out=$a; fi; prev=$a; done\n"
    "printf '\\177ELF fake mubin' > \"$out\"\n";

/* A toolkit double under tmp_root/NAME; returns its path (static). */
static const char *make_fake_toolkit(const char *name)
{
    make_tmp_root();
    static char dir[512];
    char p[600];
    snprintf(dir, sizeof dir, "%s/%s", tmp_root, name);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/bin", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/bin/llc", dir);
    write_text(p, fake_llc);
    chmod(p, 0755);
    snprintf(p, sizeof p, "%s/bin/ld.lld", dir);
    write_text(p, fake_lld);
    chmod(p, 0755);
    return dir;
}

/* argv lines recorded by the double, NULL-terminated (static storage). */
static char **recorded(const char *tk, const char *file, char *buf)
{
    static char *lines[32];
    char p[600];
    snprintf(p, sizeof p, "%s/%s", tk, file);
    char *s = read_text(p);
    assert_non_null(s);
    strcpy(buf, s);
    free(s);
    int n = 0;
    for (char *t = strtok(buf, "\n"); t && n < 31; t = strtok(NULL, "\n")) lines[n++] = t;
    lines[n] = NULL;
    return lines;
}

static void test_musa_toolkit_double(void **state)
{
    (void)state;
    const char *tk = make_fake_toolkit("tk1");
    char tmpdir[600], out_path[600], ir_path[600];
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp", tmp_root);
    mkdir(tmpdir, 0755);
    setenv("TMPDIR", tmpdir, 1);
    snprintf(out_path, sizeof out_path, "%s/va.mubin", tmp_root);
    snprintf(ir_path, sizeof ir_path, "%s/va.ll", tmp_root);
    Prog p;
    load_example(&p, "vector_add", "mp_22");
    TcGpuOptions o = {.opt_level = 3, .musa_toolkit = tk};
    TcStrBuf sigs;
    tc_sb_init(&sigs);
    size_t len;
    char *bin = compile(&p, TC_GPU_TARGET_MUSA, "mp_22", TC_GPU_EMIT_BIN, &o, out_path, &sigs, &len);
    if (!bin) fail_msg("%s", diags_text(&p));
    assert_int_equal(len, 15);
    assert_memory_equal(bin, "\177ELF fake mubin", 15);
    free(bin);
    /* the signature of each kernel, each ending in a blank line */
    assert_non_null(strstr(sigs.data, "tilec-signature 1\nkernel vector_add\n"));
    assert_true(sigs.len > 5 && strcmp(sigs.data + sigs.len - 5, "end\n\n") == 0);
    tc_sb_free(&sigs);

    char buf[4096], buf2[4096], expect_llc[600], expect_lld[600];
    char **a = recorded(tk, "llc.argv", buf);
    snprintf(expect_llc, sizeof expect_llc, "%s/bin/llc", tk);
    const char *want[] = {expect_llc, ir_path, "-march=mtgpu", "-mcpu=mp_22", "--opaque-pointers", "-O2",
                          "-filetype=obj", "-o"};
    for (int i = 0; i < 8; i++) assert_string_equal(a[i], want[i]);
    char obj[600];
    snprintf(obj, sizeof obj, "%s", a[8]);
    assert_null(a[9]);
    /* the object goes to a private directory under $TMPDIR */
    assert_true(strncmp(obj, tmpdir, strlen(tmpdir)) == 0);
    assert_non_null(strstr(obj, "/tilec-"));
    assert_true(strlen(obj) > 10 && strcmp(obj + strlen(obj) - 10, "/kernels.o") == 0);
    char **b = recorded(tk, "lld.argv", buf2);
    snprintf(expect_lld, sizeof expect_lld, "%s/bin/ld.lld", tk);
    const char *wantl[] = {expect_lld, "-flavor", "gnu", "-shared", obj, "-o"};
    for (int i = 0; i < 6; i++) assert_string_equal(b[i], wantl[i]);
    assert_true(strlen(b[6]) > 14 && strcmp(b[6] + strlen(b[6]) - 14, "/kernels.mubin") == 0);
    assert_null(b[7]);
    /* temporaries are gone; the IR is kept where the docs say */
    assert_int_not_equal(access(obj, F_OK), 0);
    assert_int_not_equal(access(b[6], F_OK), 0);
    char *ir = read_text(ir_path);
    assert_non_null(ir);
    expect(ir, "define cc102 void @vector_add", "kept IR");
    if (!llvm14_parses(ir, "the IR handed to llc")) fail();
    free(ir);

    /* --emit=bin to standard output: the IR goes to ./KERNEL.ll */
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmp_root), 0);
    bin = compile(&p, TC_GPU_TARGET_MUSA, "mp_22", TC_GPU_EMIT_BIN, &o, NULL, NULL, &len);
    assert_int_equal(chdir(cwd), 0);
    if (!bin) fail_msg("%s", diags_text(&p));
    free(bin);
    a = recorded(tk, "llc.argv", buf);
    assert_string_equal(a[1], "vector_add.ll");
    /* opt->ir_path wins */
    char given[600];
    snprintf(given, sizeof given, "%s/given.ll", tmp_root);
    o.ir_path = given;
    bin = compile(&p, TC_GPU_TARGET_MUSA, "mp_31", TC_GPU_EMIT_BIN, &o, out_path, NULL, &len);
    if (!bin) fail_msg("%s", diags_text(&p));
    free(bin);
    a = recorded(tk, "llc.argv", buf);
    assert_string_equal(a[1], given);
    assert_string_equal(a[3], "-mcpu=mp_31");
    prog_free(&p);
    load_example(&p, "vector_add", "mp_21");
    bin = compile(&p, TC_GPU_TARGET_MUSA, "mp_21", TC_GPU_EMIT_BIN, &o, out_path, NULL, &len);
    if (!bin) fail_msg("%s", diags_text(&p));
    free(bin);
    a = recorded(tk, "llc.argv", buf);
    assert_string_equal(a[3], "-mcpu=mp_21");
    prog_free(&p);
    unsetenv("TMPDIR");
}

/* llc failing: its output and the command line are in the diagnostic. */
static void test_musa_toolkit_failure(void **state)
{
    (void)state;
    const char *tk = make_fake_toolkit("tk2");
    char out_path[600];
    snprintf(out_path, sizeof out_path, "%s/fail.mubin", tmp_root);
    setenv("TILEC_FAKE_LLC_FAIL", "no instruction for llvm.frobnicate", 1);
    Prog p;
    load_example(&p, "vector_add", "mp_22");
    TcGpuOptions o = {.opt_level = 3, .musa_toolkit = tk};
    assert_null(compile(&p, TC_GPU_TARGET_MUSA, "mp_22", TC_GPU_EMIT_BIN, &o, out_path, NULL, NULL));
    unsetenv("TILEC_FAKE_LLC_FAIL");
    char *d = diags_text(&p);
    expect(d, "MUSA's llc failed (exit status 3):\nerror: no instruction for llvm.frobnicate", d);
    expect(d, "-march=mtgpu -mcpu=mp_22 --opaque-pointers -O2 -filetype=obj -o", d);
    expect(d, "fail.ll", d);
    expect(d, "[E8003]", d);
    free(d);
    prog_free(&p);
}

/* Writes a bitcode libdevice defining double __mt_exp_f64(double) = x + 1,
 * __mt_log_f64 = x + 2 (when with_log) and __mt_unused_f64 = x + 3, all
 * noinline (as real libraries often are). */
static void write_fake_libdevice(const char *path, bool with_log)
{
    LLVMContextRef c = LLVMContextCreate();
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext("libdevice", c);
    LLVMTypeRef d = LLVMDoubleTypeInContext(c);
    LLVMTypeRef ft = LLVMFunctionType(d, &d, 1, 0);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    const char *names[3] = {"__mt_exp_f64", "__mt_unused_f64", "__mt_log_f64"};
    for (int i = 0; i < (with_log ? 3 : 2); i++) {
        LLVMValueRef f = LLVMAddFunction(m, names[i], ft);
        unsigned k = LLVMGetEnumAttributeKindForName("noinline", 8);
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c, k, 0));
        LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "e"));
        LLVMBuildRet(b, LLVMBuildFAdd(b, LLVMGetParam(f, 0), LLVMConstReal(d, 1.0 + i), ""));
    }
    assert_int_equal(LLVMWriteBitcodeToFile(m, path), 0);
    LLVMDisposeBuilder(b);
    LLVMDisposeModule(m);
    LLVMContextDispose(c);
}

/* f64 exp on musa calls libdevice; --emit=bin links it (libdevice.bc for
 * mp_22, libdevice.31.bc for mp_31), a missing one is reported. */
static void test_musa_libdevice(void **state)
{
    (void)state;
    const char *tk = make_fake_toolkit("tk3");
    char p1[600], out_path[600];
    snprintf(p1, sizeof p1, "%s/mtgpu", tk);
    mkdir(p1, 0755);
    snprintf(p1, sizeof p1, "%s/mtgpu/bitcode", tk);
    mkdir(p1, 0755);
    snprintf(p1, sizeof p1, "%s/mtgpu/bitcode/libdevice.bc", tk);
    write_fake_libdevice(p1, true);
    snprintf(p1, sizeof p1, "%s/mtgpu/bitcode/libdevice.31.bc", tk);
    write_fake_libdevice(p1, false);
    snprintf(out_path, sizeof out_path, "%s/e64.mubin", tmp_root);

    Prog p;
    assert_true(prog_load(&p, f64_exp_src, false, "mp_22"));
    char *ir = compile(&p, TC_GPU_TARGET_MUSA, "mp_22", TC_GPU_EMIT_LLVM, NULL, NULL, NULL, NULL);
    if (!ir) fail_msg("%s", diags_text(&p));
    expect(ir, "declare double @__mt_exp_f64(double)", "--emit=llvm");
    expect(ir, "@__mt_log_f64(double", "--emit=llvm");
    if (!llvm14_parses(ir, "f64 math IR")) fail();
    free(ir);
    TcGpuOptions o = {.opt_level = 3, .musa_toolkit = tk};
    char *bin = compile(&p, TC_GPU_TARGET_MUSA, "mp_22", TC_GPU_EMIT_BIN, &o, out_path, NULL, NULL);
    if (!bin) fail_msg("%s", diags_text(&p));
    free(bin);
    char seen[600];
    snprintf(seen, sizeof seen, "%s/seen.ll", tk);
    char *linked = read_text(seen);
    assert_non_null(linked);
    expect_not(linked, "@__mt_exp_f64", "linked IR");   /* inlined and dropped */
    expect_not(linked, "@__mt_log_f64", "linked IR");
    expect_not(linked, "__mt_unused_f64", "linked IR"); /* unused: dropped */
    expect(linked, "fadd", "linked IR");
    if (!llvm14_parses(linked, "IR with libdevice linked")) fail();
    free(linked);
    prog_free(&p);

    /* mp_31 takes libdevice.31.bc, which here has no __mt_log_f64 */
    assert_true(prog_load(&p, f64_exp_src, false, "mp_31"));
    assert_null(compile(&p, TC_GPU_TARGET_MUSA, "mp_31", TC_GPU_EMIT_BIN, &o, out_path, NULL, NULL));
    char *d = diags_text(&p);
    expect(d, "/mtgpu/bitcode/libdevice.31.bc' does not define __mt_log_f64, which the kernels call", d);
    free(d);
    prog_free(&p);
    /* a toolkit without libdevice */
    o.musa_toolkit = make_fake_toolkit("tk4");
    assert_true(prog_load(&p, f64_exp_src, false, "mp_22"));
    assert_null(compile(&p, TC_GPU_TARGET_MUSA, "mp_22", TC_GPU_EMIT_BIN, &o, out_path, NULL, NULL));
    d = diags_text(&p);
    expect(d, "the kernels call MUSA's libdevice (f64 exp/log), but '", d);
    expect(d, "/tk4/mtgpu/bitcode/libdevice.bc' cannot be read", d);
    expect(d, "cast the operands of exp/log to f32", d);
    free(d);
    prog_free(&p);
}

/* PATH and MUSA_HOME as they were before a test changed them. */
static char *saved_path, *saved_home;
static bool env_saved;

static void save_env(void)
{
    saved_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    saved_home = getenv("MUSA_HOME") ? strdup(getenv("MUSA_HOME")) : NULL;
    env_saved = true;
}

static void restore_env(void)
{
    if (!env_saved) return;
    if (saved_path) setenv("PATH", saved_path, 1);
    else unsetenv("PATH");
    if (saved_home) setenv("MUSA_HOME", saved_home, 1);
    else unsetenv("MUSA_HOME");
    free(saved_path);
    free(saved_home);
    saved_path = saved_home = NULL;
    env_saved = false;
}

/* No toolkit anywhere: the message says what is missing, every place
 * looked at, and where the IR went; the IR is there and parses. */
static void test_musa_no_toolkit(void **state)
{
    (void)state;
    if (access("/usr/local/musa", F_OK) == 0) {
        print_message("[  SKIPPED ] no-toolkit case: this machine has /usr/local/musa\n");
        return;
    }
    make_tmp_root();
    char empty[600], fakebin[600], out_path[600], ir_path[600], p2[700];
    snprintf(empty, sizeof empty, "%s/emptybin", tmp_root);
    mkdir(empty, 0755);
    /* an llc on PATH that is not MUSA's (like upstream LLVM's) is refused */
    snprintf(fakebin, sizeof fakebin, "%s/upstreambin", tmp_root);
    mkdir(fakebin, 0755);
    snprintf(p2, sizeof p2, "%s/llc", fakebin);
    write_text(p2, "#!/bin/sh\necho 'LLVM version 19.1.7'; echo '  Registered Targets:'; echo '    nvptx64'\n");
    chmod(p2, 0755);
    snprintf(p2, sizeof p2, "%s/ld.lld", fakebin);
    write_text(p2, "#!/bin/sh\nexit 0\n");
    chmod(p2, 0755);
    snprintf(out_path, sizeof out_path, "%s/none.mubin", tmp_root);
    snprintf(ir_path, sizeof ir_path, "%s/none.ll", tmp_root);
    save_env();

    for (int round = 0; round < 2; round++) {
        setenv("PATH", round == 0 ? empty : fakebin, 1);
        setenv("MUSA_HOME", "/nonexistent/musa", 1);
        remove(ir_path);
        Prog p;
        load_example(&p, "vector_add", "mp_22");
        assert_null(compile(&p, TC_GPU_TARGET_MUSA, "mp_22", TC_GPU_EMIT_BIN, NULL, out_path, NULL, NULL));
        char *d = diags_text(&p);
        expect(d, "no MUSA toolkit found: --emit=bin on the musa target needs llc and ld.lld from MUSA's toolkit", d);
        expect(d, "the LLVM IR was written to '", d);
        expect(d, ir_path, d);
        expect(d, "looked at --musa-toolkit: not given", d);
        expect(d, "looked at $MUSA_HOME /nonexistent/musa: no such directory", d);
        expect(d, "looked at the default /usr/local/musa: no such directory", d);
        if (round == 0) expect(d, "looked at PATH: no llc and no ld.lld", d);
        else expect(d, "llc is not MUSA's llc (its --version lists no mtgpu target)", d);
        expect(d, "-march=mtgpu -mcpu=mp_22 --opaque-pointers -O2 -filetype=obj -o vector_add.o", d);
        expect(d, "[E8003]", d);
        free(d);
        char *ir = read_text(ir_path);
        assert_non_null(ir);
        if (!llvm14_parses(ir, "IR written without a toolkit")) fail();
        free(ir);
        prog_free(&p);
    }
    /* an explicit --musa-toolkit that is not one: no fallback */
    Prog p;
    load_example(&p, "vector_add", "mp_22");
    TcGpuOptions o = {.opt_level = 3, .musa_toolkit = empty};
    assert_null(compile(&p, TC_GPU_TARGET_MUSA, "mp_22", TC_GPU_EMIT_BIN, &o, out_path, NULL, NULL));
    char *d = diags_text(&p);
    expect(d, "no executable bin/llc, no executable bin/ld.lld", d);
    expect_not(d, "looked at $MUSA_HOME", d);
    free(d);
    prog_free(&p);

    restore_env();
}

static int cleanup(void **state)
{
    (void)state;
    restore_env();
    unsetenv("TMPDIR");
    unsetenv("TILEC_FAKE_LLC_FAIL");
    if (tmp_root[0]) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "/bin/rm -rf '%s'", tmp_root);
        if (system(cmd) != 0) print_message("could not remove %s\n", tmp_root);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_downgrade_rules),
        cmocka_unit_test(test_downgrade_refuses),
        cmocka_unit_test(test_musa_examples),
        cmocka_unit_test(test_musa_intrinsics),
        cmocka_unit_test(test_nvptx_examples),
        cmocka_unit_test(test_nvptx_f64_math),
        cmocka_unit_test(test_nvptx_missing_ptxas),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_musa_toolkit_double),
        cmocka_unit_test(test_musa_toolkit_failure),
        cmocka_unit_test(test_musa_libdevice),
        cmocka_unit_test(test_musa_no_toolkit),
    };
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
