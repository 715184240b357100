/*
 * run.c — `tilec run`: compile a kernel, make or read its inputs, run it on
 * the CPU through the runtime, and optionally check it against the reference
 * interpreter, time it, and write its outputs as .npy files.
 *
 *   tilec run FILE [--kernel K] --size M=1000,N=999 [-D NAME=VALUE]...
 *             [--arg NAME=VALUE]... [--target=cpu|sim [--arch=P]] [--check]
 *             [--seed S] [--bench] [--iters N] [--threads N]
 *             [--in NAME=F.npy]... [--out NAME=F.npy]... [-O0..-O3]
 *             [--fast-dot] [--no-tile-cache] [--no-pack] [-x tile|tile-ir] [--passes=LIST] [--sim-racecheck]
 *
 * Tile IR input (-x tile-ir, or a .tir file) runs as parsed: on the sim, a
 * kernel that is already distributed or Memory IR (its tiles have layouts)
 * gets no passes, other Tile IR the GPU passes; --passes overrides either.
 * --check interprets the parsed kernel.
 *
 * Inputs are uniform in [-1, 1) (integers in [-8, 8], bools random) from a
 * fixed seed; outputs start filled with NaN (integers: 0x5A bytes), so a
 * position the kernel should write and did not shows up in --check.
 */
#include "codegen.h"
#include "frontend.h"
#include "npy.h"
#include "options.h"
#include "passes.h"
#include "run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct NameVal {
    const char *name;
    const char *value;
} NameVal;

typedef struct RunOpts {
    const char *input;
    const char *kernel;
    TC_VEC(TcConstOverride) defines;
    TC_VEC(NameVal) sizes, args, ins, outs;
    bool check, bench;
    uint64_t seed;
    int iters, threads;
    TcCpuOptions cpu;
    TcGpuOptions gpu;       /* gpu.profile != NULL: run on the sim target */
    TcIrModule *gpu_module; /* the kernel after the GPU passes (sim) */
    TcDiagFormat diag;
    bool input_is_ir, lang_given;
    const char *passes;     /* --passes, or NULL */
} RunOpts;

/* One tensor argument with its host memory. */
typedef struct Buf {
    TcDtype dt;
    uint32_t rank;
    int64_t shape[TC_MAX_RANK];
    int64_t numel;
    void *data;      /* what the compiled kernel runs on */
    void *ref;       /* --check: what the interpreter runs on */
    bool is_output;
} Buf;

static void usage_run(FILE *f)
{
    fputs("usage: tilec run FILE [--kernel K] --size M=1000,N=999 [options]\n"
          "\n"
          "Compiles kernel K for the CPU (or the sim target), runs it on random (or given)\n"
          "inputs and reports.\n"
          "\n"
          "options:\n"
          "  --kernel K              the kernel to run (needed when FILE has several)\n"
          "  --size NAME=N,...       values of the kernel's size names (repeatable)\n"
          "  -D NAME=VALUE           set a const parameter (repeatable)\n"
          "  --arg NAME=VALUE        a scalar parameter (default: 1 for numbers, true for bool)\n"
          "  --target=cpu|sim        where to run: the host CPU (default), or the GPU lowering for\n"
          "                          --arch on the host, one context per GPU thread\n"
          "  --arch=PROFILE          with --target=sim: sm_80 (default), sm_90, mp_21, mp_22, mp_31\n"
          "  --check                 compare every output with the reference interpreter\n"
          "  --seed S                seed of the random inputs (default 1)\n"
          "  --bench                 time the kernel and report GFLOP/s or GB/s\n"
          "  --iters N               launches timed by --bench (default: about one second's worth)\n"
          "  --threads N             worker threads (default: TILEC_NUM_THREADS, else all cores)\n"
          "  --in NAME=FILE.npy      read tensor NAME from a NumPy file (its shape binds sizes)\n"
          "  --out NAME=FILE.npy     write tensor NAME after the run\n"
          "  -O0 .. -O3, --fast-dot, --no-tile-cache, --no-pack  code generation options, as for tilec\n"
          "  -x tile|tile-ir         input language (default: tile-ir for .tir files); Tile IR that\n"
          "                          already has layouts runs on the sim as it is\n"
          "  --passes=LIST           the passes run before code generation (default: the target's)\n"
          "  --sim-racecheck         with --target=sim: check every shared-memory access for races\n"
          "                          between threads not separated by a barrier; the first one fails\n"
          "                          the run\n"
          "  --diagnostics=json      machine-readable diagnostics\n",
          f);
}

static bool push_pairs(TcArena *a, TcDiagEngine *de, const char *opt, const char *text, bool split_commas,
                       void *vec_ptr)
{
    TC_VEC(NameVal) *vec = vec_ptr;
    const char *p = text;
    while (*p) {
        const char *end = split_commas ? strchr(p, ',') : NULL;
        if (!end) end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq || eq == p || eq + 1 == end) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "%s needs NAME=VALUE, found '%.*s'", opt, (int)(end - p), p);
            return false;
        }
        NameVal nv = {tc_arena_strndup(a, p, (size_t)(eq - p)), tc_arena_strndup(a, eq + 1, (size_t)(end - eq - 1))};
        TC_VEC_PUSH(a, *vec, nv);
        p = *end ? end + 1 : end;
    }
    return true;
}

static bool parse_run_args(int argc, char **argv, RunOpts *o, TcArena *a, TcDiagEngine *de, bool *help)
{
    const char *arch = NULL;
    const char *v;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--diagnostics=json") == 0) o->diag = TC_DIAG_JSON;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            *help = true;
            return true;
        } else if ((v = tc_opt_value(argc, argv, &i, "--kernel"))) {
            o->kernel = v;
        } else if ((v = tc_opt_value(argc, argv, &i, "--size"))) {
            if (!push_pairs(a, de, "--size", v, true, &o->sizes)) return false;
        } else if ((v = tc_opt_value(argc, argv, &i, "--arg"))) {
            if (!push_pairs(a, de, "--arg", v, false, &o->args)) return false;
        } else if ((v = tc_opt_value(argc, argv, &i, "--in"))) {
            if (!push_pairs(a, de, "--in", v, false, &o->ins)) return false;
        } else if ((v = tc_opt_value(argc, argv, &i, "--out"))) {
            if (!push_pairs(a, de, "--out", v, false, &o->outs)) return false;
        } else if (strncmp(arg, "-D", 2) == 0) {
            TcConstOverride d;
            if (!tc_opt_define(argc, argv, &i, a, de, &d)) return false;
            TC_VEC_PUSH(a, o->defines, d);
        } else if ((v = tc_opt_value(argc, argv, &i, "--target"))) {
            if (strcmp(v, "sim") == 0) {
                o->gpu.target = TC_GPU_TARGET_SIM;
                if (!o->gpu.profile) o->gpu.profile = tc_gpu_profile("sm_80");
            } else if (strcmp(v, "cpu") != 0) {
                tc_error(de, TC_E_OPTION, (TcSpan){0},
                         "tilec run: unknown --target '%s'; kernels run on: cpu, sim (nvptx and musa binaries are "
                         "run through the runtime on a GPU machine)", v);
                return false;
            }
        } else if ((v = tc_opt_value(argc, argv, &i, "--arch"))) {
            arch = v;
        } else if (strcmp(arg, "--check") == 0) {
            o->check = true;
        } else if (strcmp(arg, "--bench") == 0) {
            o->bench = true;
        } else if ((v = tc_opt_value(argc, argv, &i, "--seed"))) {
            o->seed = strtoull(v, NULL, 0);
        } else if ((v = tc_opt_value(argc, argv, &i, "--iters"))) {
            o->iters = atoi(v);
            if (o->iters < 1) {
                tc_error(de, TC_E_OPTION, (TcSpan){0}, "--iters needs a positive count, found '%s'", v);
                return false;
            }
        } else if ((v = tc_opt_value(argc, argv, &i, "--threads"))) {
            o->threads = atoi(v);
            if (o->threads < 1) {
                tc_error(de, TC_E_OPTION, (TcSpan){0}, "--threads needs a positive count, found '%s'", v);
                return false;
            }
        } else if (arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' && !arg[3]) {
            o->cpu.opt_level = o->gpu.opt_level = arg[2] - '0';
        } else if (strcmp(arg, "--fast-dot") == 0) {
            o->cpu.fast_dot = true;
        } else if (strcmp(arg, "--no-tile-cache") == 0) {
            o->cpu.no_tile_cache = true;
        } else if (strcmp(arg, "--no-pack") == 0) {
            o->cpu.no_pack = true;
        } else if (strcmp(arg, "--sim-racecheck") == 0) {
            o->gpu.racecheck = true;
        } else if ((v = tc_opt_value(argc, argv, &i, "--passes"))) {
            o->passes = v;
        } else if (strncmp(arg, "-x", 2) == 0) {
            const char *lang = arg[2] ? arg + 2 : (i + 1 < argc ? argv[++i] : NULL);
            if (!lang || (strcmp(lang, "tile") != 0 && strcmp(lang, "tile-ir") != 0)) {
                tc_error(de, TC_E_OPTION, (TcSpan){0}, "tilec run: -x needs 'tile' or 'tile-ir'%s%s%s", lang ? ", found '" : "",
                         lang ? lang : "", lang ? "'" : "");
                return false;
            }
            o->input_is_ir = strcmp(lang, "tile-ir") == 0;
            o->lang_given = true;
        } else if (strcmp(arg, "--diagnostics=json") == 0 || strcmp(arg, "--diagnostics=text") == 0) {
        } else if (arg[0] == '-' && arg[1]) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "tilec run: unknown option '%s'; see tilec run --help", arg);
            return false;
        } else if (o->input) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "tilec run: more than one input file ('%s')", arg);
            return false;
        } else {
            o->input = arg;
        }
    }
    if (!o->input) {
        tc_error(de, TC_E_OPTION, (TcSpan){0}, "tilec run: no input file; see tilec run --help");
        return false;
    }
    if (!o->lang_given) {
        size_t n = strlen(o->input);
        o->input_is_ir = n > 4 && strcmp(o->input + n - 4, ".tir") == 0;
    }
    if (o->gpu.racecheck && !o->gpu.profile) {
        tc_error(de, TC_E_OPTION, (TcSpan){0}, "tilec run: --sim-racecheck needs --target=sim");
        return false;
    }
    if (arch) {
        if (!o->gpu.profile) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "tilec run: --arch=%s needs --target=sim", arch);
            return false;
        }
        o->gpu.profile = tc_gpu_profile(arch);
        if (!o->gpu.profile) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "tilec run: unknown --arch '%s'; expected sm_80, sm_90, mp_21, mp_22 or mp_31", arch);
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------ values */

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) { return (double)(rng_next(s) >> 11) * 0x1.0p-53 * 2.0 - 1.0; }

/* Writes element i of a buffer of dtype dt from a double (rounded like a store). */
static void put(void *data, TcDtype dt, int64_t i, double v)
{
    switch (dt) {
    case TC_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    case TC_I8: ((int8_t *)data)[i] = (int8_t)v; break;
    case TC_I16: ((int16_t *)data)[i] = (int16_t)v; break;
    case TC_I32: ((int32_t *)data)[i] = (int32_t)v; break;
    case TC_I64: ((int64_t *)data)[i] = (int64_t)v; break;
    case TC_U8: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case TC_U16: ((uint16_t *)data)[i] = (uint16_t)v; break;
    case TC_U32: ((uint32_t *)data)[i] = (uint32_t)v; break;
    case TC_U64: ((uint64_t *)data)[i] = (uint64_t)v; break;
    case TC_F16: ((uint16_t *)data)[i] = tc_f32_to_f16((float)v); break;
    case TC_BF16: ((uint16_t *)data)[i] = tc_f32_to_bf16((float)v); break;
    case TC_F32: ((float *)data)[i] = (float)v; break;
    case TC_F64: ((double *)data)[i] = v; break;
    default: break;
    }
}

static double get(const void *data, TcDtype dt, int64_t i)
{
    switch (dt) {
    case TC_BOOL: return ((const uint8_t *)data)[i] != 0;
    case TC_I8: return ((const int8_t *)data)[i];
    case TC_I16: return ((const int16_t *)data)[i];
    case TC_I32: return ((const int32_t *)data)[i];
    case TC_I64: return (double)((const int64_t *)data)[i];
    case TC_U8: return ((const uint8_t *)data)[i];
    case TC_U16: return ((const uint16_t *)data)[i];
    case TC_U32: return ((const uint32_t *)data)[i];
    case TC_U64: return (double)((const uint64_t *)data)[i];
    case TC_F16: return tc_f16_to_f32(((const uint16_t *)data)[i]);
    case TC_BF16: return tc_bf16_to_f32(((const uint16_t *)data)[i]);
    case TC_F32: return ((const float *)data)[i];
    default: return ((const double *)data)[i];
    }
}

static void fill_random(Buf *b, uint64_t *rng)
{
    for (int64_t i = 0; i < b->numel; i++) {
        double u = rng_unit(rng);
        if (b->dt == TC_BOOL) put(b->data, b->dt, i, u > 0);
        else if (tc_dtype_is_int(b->dt)) put(b->data, b->dt, i, tc_dtype_is_unsigned(b->dt) ? floor((u + 1) * 8.5) : floor(u * 8.5));
        else put(b->data, b->dt, i, u);
    }
}

static void fill_poison(Buf *b)
{
    if (tc_dtype_is_float(b->dt))
        for (int64_t i = 0; i < b->numel; i++) put(b->data, b->dt, i, NAN);
    else
        memset(b->data, 0x5a, (size_t)b->numel * tc_dtype_bytes(b->dt));
}

/* Tolerances for comparing with the interpreter, by output dtype. */
static void tolerance(TcDtype dt, double *atol, double *rtol)
{
    switch (dt) {
    case TC_F16: *atol = 1e-3; *rtol = 1e-2; return;
    case TC_BF16: *atol = 1e-2; *rtol = 2e-2; return;
    case TC_F32: *atol = 1e-5; *rtol = 1e-4; return;
    case TC_F64: *atol = 1e-12; *rtol = 1e-10; return;
    default: *atol = 0; *rtol = 0; return;
    }
}

/* Compares an output with the interpreter's; prints one line; true if within tolerance. */
static bool compare(const char *name, const Buf *b)
{
    double atol, rtol, max_abs = 0, max_rel = 0;
    tolerance(b->dt, &atol, &rtol);
    int64_t first_bad = -1, nbad = 0;
    for (int64_t i = 0; i < b->numel; i++) {
        double x = get(b->data, b->dt, i), r = get(b->ref, b->dt, i);
        if (isnan(x) && isnan(r)) continue;
        double d = fabs(x - r);
        if (isnan(d)) d = INFINITY;
        if (isinf(x) && isinf(r) && (x > 0) == (r > 0)) d = 0;
        if (d > max_abs) max_abs = d;
        double rel = r != 0 ? d / fabs(r) : d;
        if (rel > max_rel) max_rel = rel;
        if (d > atol + rtol * fabs(r) || (d != 0 && isinf(d))) {
            if (first_bad < 0) first_bad = i;
            nbad++;
        }
    }
    printf("check %s: max abs err %.3g, max rel err %.3g over %lld elements (%s)", name, max_abs, max_rel,
           (long long)b->numel, tc_dtype_name(b->dt));
    if (!nbad) {
        printf(": ok\n");
        return true;
    }
    printf(": %lld mismatches; first at index [", (long long)nbad);
    int64_t rest = first_bad;
    int64_t idx[TC_MAX_RANK];
    for (uint32_t d = b->rank; d-- > 0;) {
        idx[d] = rest % b->shape[d];
        rest /= b->shape[d];
    }
    for (uint32_t d = 0; d < b->rank; d++) printf("%s%lld", d ? ", " : "", (long long)idx[d]);
    printf("]: got %.9g, expected %.9g\n", get(b->data, b->dt, first_bad), get(b->ref, b->dt, first_bad));
    return false;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------ flop estimate */

/* Trip count of a for whose bounds are constants or size names, else -1. */
static int64_t scalar_known(const TcIrValue *v, const int64_t *sizes, const TcIrFunc *f)
{
    if (v->def && v->def->opc == TC_OP_CONST) return v->def->ival;
    if (!v->def && v->block == f->body && v->index >= f->nparams) return sizes[v->index - f->nparams];
    return -1;
}

/* 2*M*N*K per dot, times the trip counts of the loops around it; -1 if a
 * trip count is not known statically. */
static double block_flops(const TcIrBlock *b, const int64_t *sizes, const TcIrFunc *f)
{
    double total = 0;
    for (const TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc == TC_OP_DOT) {
            const TcType *ta = op->operands[0]->type, *tb = op->operands[1]->type;
            total += 2.0 * (double)ta->shape[0] * (double)ta->shape[1] * (double)tb->shape[1];
        } else if (op->opc == TC_OP_FOR) {
            double inner = block_flops(op->regions[0], sizes, f);
            if (inner < 0) return -1;
            if (inner == 0) continue;
            int64_t lo = scalar_known(op->operands[0], sizes, f), hi = scalar_known(op->operands[1], sizes, f),
                    st = scalar_known(op->operands[2], sizes, f);
            if (lo < 0 || hi < 0 || st <= 0) return -1;
            total += inner * (double)(hi > lo ? (hi - lo + st - 1) / st : 0);
        } else if (op->opc == TC_OP_IF) {
            double a = block_flops(op->regions[0], sizes, f), c = block_flops(op->regions[1], sizes, f);
            if (a < 0 || c < 0) return -1;
            total += a > c ? a : c;
        }
    }
    return total;
}

/* ------------------------------------------------------------- main */

static Buf *find_buf(const TcIrFunc *f, Buf *bufs, const char *name)
{
    for (uint32_t i = 0; i < f->nparams; i++)
        if (tc_ir_func_param(f, i)->type->kind == TC_TY_TENSOR && strcmp(tc_ir_func_param(f, i)->name, name) == 0)
            return &bufs[i];
    return NULL;
}

static int run_kernel(RunOpts *o, TcIrModule *m, TcIrFunc *f, TcArena *a, TcDiagEngine *de)
{
    uint32_t np = f->nparams;
    Buf *bufs = tc_arena_alloc(a, (np + 1) * sizeof *bufs);
    int64_t *sizes = tc_arena_alloc(a, (f->nsizes + 1) * sizeof *sizes);
    bool *have = tc_arena_alloc(a, (f->nsizes + 1) * sizeof *have);
    TcNpy *npys = tc_arena_alloc(a, (o->ins.len + 1) * sizeof *npys);
    int status = 1;
    char err[512];

    /* sizes: --size first, then the shapes of --in files */
    for (uint32_t i = 0; i < o->sizes.len; i++) {
        uint32_t k = 0;
        while (k < f->nsizes && strcmp(tc_ir_func_size(f, k)->name, o->sizes.data[i].name) != 0) k++;
        char *end;
        long long v = strtoll(o->sizes.data[i].value, &end, 10);
        if (k == f->nsizes) {
            TcDiag *d = tc_error(de, TC_E_OPTION, (TcSpan){0}, "--size %s: kernel '%s' has no size named '%s'",
                                 o->sizes.data[i].name, f->name, o->sizes.data[i].name);
            for (uint32_t q = 0; q < f->nsizes; q++) tc_diag_note(de, d, (TcSpan){0}, "size '%s'", tc_ir_func_size(f, q)->name);
            goto out;
        }
        if (*end || v < 0 || v > INT32_MAX) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "--size %s=%s: a size is an integer from 0 to %d", o->sizes.data[i].name,
                     o->sizes.data[i].value, INT32_MAX);
            goto out;
        }
        sizes[k] = v;
        have[k] = true;
    }
    for (uint32_t i = 0; i < o->ins.len; i++) {
        const NameVal *nv = &o->ins.data[i];
        Buf *b = find_buf(f, bufs, nv->name);
        if (!b) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "--in %s: kernel '%s' has no tensor parameter '%s'", nv->name, f->name, nv->name);
            goto out;
        }
        if (!tc_npy_read(nv->value, &npys[i], err, sizeof err)) {
            tc_error(de, TC_E_FILE, (TcSpan){0}, "--in %s: %s", nv->name, err);
            goto out;
        }
        const TcType *t = tc_ir_func_param(f, (uint32_t)(b - bufs))->type;
        if (npys[i].rank != t->rank || npys[i].dtype != t->dtype) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "--in %s: '%s' holds %s of rank %u; the parameter is %s of rank %u",
                     nv->name, nv->value, tc_dtype_name(npys[i].dtype), npys[i].rank, tc_dtype_name(t->dtype), t->rank);
            goto out;
        }
        for (uint32_t d = 0; d < t->rank; d++) {
            int64_t want = -1;
            uint32_t k = 0;
            if (t->dims[d].sym) {
                while (strcmp(tc_ir_func_size(f, k)->name, t->dims[d].sym) != 0) k++;
                if (have[k]) want = sizes[k];
                else {
                    sizes[k] = npys[i].shape[d];
                    have[k] = true;
                }
            } else {
                want = t->dims[d].value;
            }
            if (want >= 0 && want != npys[i].shape[d]) {
                tc_error(de, TC_E_OPTION, (TcSpan){0}, "--in %s: dimension %u of '%s' is %lld, but %s is %lld", nv->name, d,
                         nv->value, (long long)npys[i].shape[d], t->dims[d].sym ? t->dims[d].sym : "the declared extent",
                         (long long)want);
                goto out;
            }
        }
    }
    for (uint32_t k = 0; k < f->nsizes; k++) {
        if (!have[k]) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "kernel '%s' needs a value for size '%s'; give --size %s=N", f->name,
                     tc_ir_func_size(f, k)->name, tc_ir_func_size(f, k)->name);
            goto out;
        }
    }

    /* buffers and scalar arguments */
    uint64_t rng = o->seed;
    tilec_arg *rargs = tc_arena_alloc(a, (np + 1) * sizeof *rargs);
    TcInterpArg *iargs = tc_arena_alloc(a, (np + 1) * sizeof *iargs);
    double bytes = 0;
    for (uint32_t i = 0; i < np; i++) {
        const TcIrValue *p = tc_ir_func_param(f, i);
        const TcType *t = p->type;
        if (t->kind != TC_TY_TENSOR) {
            const char *given = NULL;
            for (uint32_t q = 0; q < o->args.len; q++)
                if (strcmp(o->args.data[q].name, p->name) == 0) given = o->args.data[q].value;
            char *end = NULL;
            if (tc_dtype_is_float(t->dtype)) {
                rargs[i].kind = TILEC_ARG_FLOAT;
                rargs[i].f = given ? strtod(given, &end) : 1.0;
                iargs[i].f = rargs[i].f;
            } else {
                rargs[i].kind = TILEC_ARG_INT;
                if (given && t->dtype == TC_BOOL && (strcmp(given, "true") == 0 || strcmp(given, "false") == 0)) {
                    rargs[i].i = given[0] == 't';
                    end = (char *)given + strlen(given);
                } else {
                    rargs[i].i = given ? strtoll(given, &end, 0) : 1;
                }
                iargs[i].i = rargs[i].i;
            }
            if (given && (end == given || *end)) {
                tc_error(de, TC_E_OPTION, (TcSpan){0}, "--arg %s=%s: not a valid %s", p->name, given, tc_dtype_name(t->dtype));
                goto out;
            }
            continue;
        }
        Buf *b = &bufs[i];
        b->dt = t->dtype;
        b->rank = t->rank;
        b->numel = 1;
        b->is_output = (t->flags & (TC_TENSOR_OUT | TC_TENSOR_INOUT)) != 0;
        for (uint32_t d = 0; d < t->rank; d++) {
            int64_t e = t->dims[d].value;
            if (t->dims[d].sym)
                for (uint32_t k = 0; k < f->nsizes; k++)
                    if (strcmp(tc_ir_func_size(f, k)->name, t->dims[d].sym) == 0) e = sizes[k];
            b->shape[d] = e;
            b->numel *= e;
        }
        size_t nb = (size_t)b->numel * tc_dtype_bytes(b->dt);
        bytes += (double)nb;
        b->data = malloc(nb ? nb : 1);
        if (!b->data) {
            tc_error(de, TC_E_LIMIT, (TcSpan){0}, "cannot allocate %zu bytes for tensor '%s'", nb, p->name);
            goto out;
        }
        bool from_file = false;
        for (uint32_t q = 0; q < o->ins.len; q++)
            if (strcmp(o->ins.data[q].name, p->name) == 0) {
                memcpy(b->data, npys[q].data, nb);
                from_file = true;
            }
        if (!from_file) {
            if (t->flags & TC_TENSOR_OUT) fill_poison(b);
            else fill_random(b, &rng);
        }
        rargs[i].kind = TILEC_ARG_TENSOR;
        rargs[i].tensor = tilec_tensor_contiguous(b->data, (int32_t)b->dt, (int32_t)b->rank, b->shape);
        if (o->check) {
            b->ref = malloc(nb ? nb : 1);
            if (!b->ref) {
                tc_error(de, TC_E_LIMIT, (TcSpan){0}, "cannot allocate %zu bytes for tensor '%s'", nb, p->name);
                goto out;
            }
            memcpy(b->ref, b->data, nb);
            TcTensorArg *ta = &iargs[i].tensor;
            ta->data = b->ref;
            ta->dtype = b->dt;
            ta->rank = b->rank;
            memcpy(ta->sizes, b->shape, sizeof b->shape);
            for (uint32_t d = 0; d < b->rank; d++) ta->strides[d] = rargs[i].tensor.strides[d];
        }
    }

    /* compile and load */
    double t0 = now_seconds();
    TcJit *jit = NULL;
    TcSimJit *sjit = NULL;
    bool sim = o->gpu.profile != NULL;
    if (sim ? !tc_sim_jit_compile(o->gpu_module, &o->gpu, de, &sjit) : !tc_jit_compile(m, &o->cpu, de, &jit)) goto out;
    double t_compile = now_seconds() - t0;
    tilec_runtime_options ro = {sizeof ro, sim ? TILEC_BACKEND_SIM : TILEC_BACKEND_CPU, o->threads};
    tilec_runtime *rt = NULL;
    tilec_module *mod = NULL;
    tilec_kernel *k = NULL;
    size_t nk;
    tilec_status st = tilec_runtime_create(&ro, &rt);
    if (st == TILEC_OK && sim) {
        const tilec_sim_kernel_desc *sd = tc_sim_jit_kernels(sjit, &nk);
        st = tilec_module_load_sim(rt, sd, nk, &mod);
    } else if (st == TILEC_OK) {
        const tilec_cpu_kernel_desc *kd = tc_jit_kernels(jit, &nk);
        st = tilec_module_load_cpu(rt, kd, nk, &mod);
    }
    if (st == TILEC_OK) st = tilec_module_get_kernel(mod, f->name, &k);
    int32_t grid[3] = {1, 1, 1};
    if (st == TILEC_OK) st = tilec_kernel_check(k, rargs, np, grid);
    if (st == TILEC_OK) {
        printf("run %s: grid %dx%dx%d", f->name, grid[0], grid[1], grid[2]);
        for (uint32_t q = 0; q < f->nsizes; q++) printf(" %s=%lld", tc_ir_func_size(f, q)->name, (long long)sizes[q]);
        if (sim)
            printf(", sim %s (%u warps of %u threads per block), compiled in %.1f ms\n", o->gpu.profile->name,
                   o->gpu_module->funcs.data[0]->warps > 0 ? (unsigned)o->gpu_module->funcs.data[0]->warps
                                                           : o->gpu.profile->default_warps,
                   o->gpu.profile->warp_size, t_compile * 1e3);
        else
            printf(", %d threads, compiled in %.1f ms\n", tilec_runtime_num_threads(rt), t_compile * 1e3);
        fflush(stdout);
        st = tilec_kernel_launch(k, rargs, np);
    }
    if (st != TILEC_OK) {
        tc_error(de, TC_E_OPTION, (TcSpan){0}, "launch of '%s' failed (%s): %s", f->name, tilec_status_name(st),
                 rt ? tilec_runtime_message(rt) : "cannot create the runtime");
        goto unload;
    }
    status = 0;
    if (o->check) {
        TcInterpOptions io = {0};
        if (!tc_interp_run(f, iargs, &io, err, sizeof err)) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "the reference interpreter failed on '%s': %s", f->name, err);
            status = 1;
        } else {
            for (uint32_t i = 0; i < np; i++)
                if (bufs[i].is_output && !compare(tc_ir_func_param(f, i)->name, &bufs[i])) status = 1;
        }
    }
    if (o->bench) {
        int iters = o->iters;
        double t = now_seconds();
        tilec_kernel_launch(k, rargs, np); /* warm */
        double one = now_seconds() - t;
        if (!iters) iters = one > 0 ? (int)(1.0 / one) : 1000;
        if (iters < 3) iters = 3;
        if (iters > 100000) iters = 100000;
        t = now_seconds();
        for (int it = 0; it < iters; it++) tilec_kernel_launch(k, rargs, np);
        double per = (now_seconds() - t) / iters;
        double grid_n = (double)grid[0] * grid[1] * grid[2];
        double fl = block_flops(f->body, sizes, f);
        printf("bench %s: %.3f ms per launch (%d launches)", f->name, per * 1e3, iters);
        if (fl > 0) printf(", %.2f GFLOP/s", fl * grid_n / per * 1e-9);
        printf(", %.2f GB/s of tensor data\n", bytes / per * 1e-9);
    }
    for (uint32_t q = 0; q < o->outs.len; q++) {
        Buf *b = find_buf(f, bufs, o->outs.data[q].name);
        if (!b) {
            tc_error(de, TC_E_OPTION, (TcSpan){0}, "--out %s: kernel '%s' has no tensor parameter '%s'", o->outs.data[q].name,
                     f->name, o->outs.data[q].name);
            status = 1;
        } else if (!tc_npy_write(o->outs.data[q].value, b->dt, b->rank, b->shape, b->data, err, sizeof err)) {
            tc_error(de, TC_E_FILE, (TcSpan){0}, "--out %s: %s", o->outs.data[q].name, err);
            status = 1;
        }
    }
unload:
    if (mod) tilec_module_destroy(mod);
    if (rt) tilec_runtime_destroy(rt);
    tc_jit_free(jit);
    tc_sim_jit_free(sjit);
out:
    for (uint32_t i = 0; i < np; i++) {
        free(bufs[i].data);
        free(bufs[i].ref);
    }
    for (uint32_t i = 0; i < o->ins.len; i++) free(npys[i].data);
    return status;
}

/* The kernel to run (--kernel, or the only one); m is left holding just it. */
static TcIrFunc *pick_kernel(const RunOpts *o, TcIrModule *m, TcDiagEngine *de)
{
    if (!o->kernel && m->funcs.len != 1) {
        TcDiag *d = tc_error(de, TC_E_OPTION, (TcSpan){0}, "'%s' has %u kernels; choose one with --kernel", o->input,
                             m->funcs.len);
        for (uint32_t i = 0; i < m->funcs.len; i++) tc_diag_note(de, d, m->funcs.data[i]->loc, "kernel '%s'", m->funcs.data[i]->name);
        return NULL;
    }
    TcIrFunc *f = o->kernel ? tc_ir_module_find(m, o->kernel) : m->funcs.data[0];
    if (!f) {
        tc_error(de, TC_E_OPTION, (TcSpan){0}, "'%s' has no kernel named '%s'", o->input, o->kernel);
        return NULL;
    }
    m->funcs.data[0] = f;
    m->funcs.len = 1;
    return f;
}

int tc_run_main(int argc, char **argv)
{
    TcArena arena;
    tc_arena_init(&arena);
    TcDiagEngine de;
    tc_diag_init(&de, &arena);
    RunOpts o = {.seed = 1, .cpu = {.opt_level = 3}, .gpu = {.target = TC_GPU_TARGET_SIM, .opt_level = 2}};
    bool help = false;
    int status = 1;
    TcIrModule *m = NULL;
    if (!parse_run_args(argc, argv, &o, &arena, &de, &help)) goto done;
    if (help) {
        usage_run(stdout);
        status = 0;
        goto done;
    }
    TcSource src;
    const char *err;
    if (!tc_read_file(&arena, o.input, 16u << 20, &src, &err)) {
        tc_error(&de, TC_E_FILE, (TcSpan){0}, "%s", err);
        goto done;
    }
    uint32_t fid = tc_diag_add_file(&de, src);
    m = tc_ir_module_new(&arena);
    TcIrFunc *f = NULL;
    TcPipeline pipe;
    TcPassOptions po = {0};
    if (o.input_is_ir) {
        if (!tc_ir_parse(m, &de, fid) || !tc_ir_verify_module(m, &de, NULL) || !(f = pick_kernel(&o, m, &de)))
            goto done;
        if (o.gpu.profile) {
            /* the sim runs the kernel after the passes; --check interprets it as parsed */
            TcIrModule *g = tc_ir_module_new(&arena);
            o.gpu_module = g;
            TcIrFunc *gf;
            if (!tc_ir_parse(g, &de, fid) || !(gf = pick_kernel(&o, g, &de))) goto done;
            const char *spec = o.passes ? o.passes : tc_ir_func_has_layouts(gf) > 0 ? "" : TC_GPU_PIPELINE;
            TcPassOptions gpo = {.profile = o.gpu.profile, .verify_each = true};
            if (!tc_pipeline_parse(spec, &arena, &de, &pipe) || !tc_pipeline_run(&pipe, g, &de, &gpo, NULL, NULL))
                goto done;
        } else if (!tc_pipeline_parse(o.passes ? o.passes : TC_DEFAULT_PIPELINE, &arena, &de, &pipe) ||
                   !tc_pipeline_run(&pipe, m, &de, &po, NULL, NULL)) {
            goto done;
        }
        status = run_kernel(&o, m, f, &arena, &de);
        goto done;
    }
    TcAstNode *file = tc_parse_file(&arena, &m->strs, &de, fid);
    if (de.nerrors) goto done;
    TcSemaOptions so = {o.defines.data, o.defines.len, o.kernel};
    if (!tc_sema_lower(file, m, &de, &so)) goto done;
    if (!(f = pick_kernel(&o, m, &de))) goto done;
    if (!tc_pipeline_parse(o.passes && !o.gpu.profile ? o.passes : TC_DEFAULT_PIPELINE, &arena, &de, &pipe) ||
        !tc_pipeline_run(&pipe, m, &de, &po, NULL, NULL))
        goto done;
    if (o.gpu.profile) {
        /* the sim runs the kernel after the GPU passes; --check interprets it before them */
        TcIrModule *g = tc_ir_module_new(&arena);
        o.gpu_module = g;
        TcSemaOptions so2 = {o.defines.data, o.defines.len, f->name};
        TcPassOptions gpo = {.profile = o.gpu.profile};
        if (!tc_sema_lower(file, g, &de, &so2) ||
            !tc_pipeline_parse(o.passes ? o.passes : TC_DEFAULT_PIPELINE "," TC_GPU_PIPELINE, &arena, &de, &pipe) ||
            !tc_pipeline_run(&pipe, g, &de, &gpo, NULL, NULL))
            goto done;
    }
    status = run_kernel(&o, m, f, &arena, &de);
done:
    if (de.nerrors) status = 1;
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(&de, o.diag, &sb);
    fputs(sb.data ? sb.data : "", stderr);
    tc_sb_free(&sb);
    if (m) tc_ir_module_free(m);
    if (o.gpu_module) tc_ir_module_free(o.gpu_module);
    tc_arena_free(&arena);
    return status;
}
