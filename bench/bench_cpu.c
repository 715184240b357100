/*
 * bench_cpu.c — tilec's CPU kernels against OpenBLAS, in one process and one
 * run (docs/benchmarks.md records a run).
 *
 *   bench_cpu [--quick] [--threads N] [--filter TEXT] [--no-fast-dot]
 *
 * GEMM: examples/gemm.tile with T=f32, JIT-compiled once per tile
 * configuration, against cblas_sgemm, on square and skinny shapes with one
 * thread and with N threads (tilec: the runtime's num_threads; OpenBLAS:
 * openblas_set_num_threads). Every configuration is timed; the fastest is
 * reported.
 *
 * Attention: examples/attention.tile (f16 q, k, v and o, f32 softmax
 * statistics) against a reference in f32: per (z, h), S = scale * Q @ K^T
 * with cblas_sgemm, the causal mask, a row softmax in C, O = P @ V with
 * cblas_sgemm. The f16 -> f32 copies of the inputs are made before timing;
 * only the compute is timed (for tilec: one kernel launch; for the reference:
 * the two GEMMs, the mask and the softmax).
 *
 * Each case: tilec's result is checked once against the reference (max abs
 * error printed; a wrong result ends the run with status 1), then both are
 * timed: one warm-up run, then the median of several runs (at least 3, more
 * for short cases). ratio = ref_ms / tilec_ms, so > 1 means tilec is faster.
 */
#include "codegen.h"
#include "frontend.h"
#include "passes.h"

#include <cblas.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* From OpenBLAS (cblas.h declares it only in OpenBLAS's version of the header). */
void openblas_set_num_threads(int num_threads);

enum { MAX_CONFIGS = 8, MAX_RT = 2 };

/* GEMM tile configurations tried by default (BMxBNxBK); the fastest is reported. */
#define DEFAULT_CONFIGS "128x128x32,64x128x64,256x512x64,128x512x128,64x256x128,128x256x128"

/* One kernel JIT-compiled from an example with one set of -D values, loaded
 * into each runtime (one per thread count). */
typedef struct Compiled {
    TcArena arena;
    TcIrModule *m;
    TcJit *jit;
    tilec_module *mod[MAX_RT];
    tilec_kernel *k[MAX_RT];
    char label[64];   /* the -D values that distinguish it */
    double compile_ms;
} Compiled;

typedef struct Bench {
    bool quick, fast_dot, all_configs;
    const char *filter;
    int nthreads[MAX_RT];  /* threads of runtime 0 (1) and runtime 1 (N) */
    tilec_runtime *rt[MAX_RT];
    Compiled gemm[MAX_CONFIGS];
    int ngemm;
} Bench;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void die(const char *msg)
{
    fprintf(stderr, "bench_cpu: %s\n", msg);
    exit(1);
}

static void *xalloc(size_t bytes)
{
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) die("out of memory");
    return p;
}

/* Fixed-seed xorshift, uniform in [-1, 1). */
static uint64_t rng = 0x9E3779B97F4A7C15u;
static float rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) * 0x1p-53 * 2.0 - 1.0);
}

static void print_loadavg(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    char line[128] = "?";
    if (f) {
        if (!fgets(line, sizeof line, f)) strcpy(line, "?");
        fclose(f);
    }
    line[strcspn(line, "\n")] = 0;
    printf("# load average %s: %s\n", when, line);
}

/* GEMM configuration variants, compiled side by side with the default. */
enum { VARIANT_NOCACHE = 1, VARIANT_NOPACK = 2, NVARIANTS = 2 };
static const char *const variant_suffix[NVARIANTS] = {"/nocache", "/nopack"};

/* Front end, default passes and JIT, as `tilec run` does; then one module per
 * runtime. */
static void compile_example(Bench *bn, Compiled *c, const char *name, const TcConstOverride *defs, uint32_t ndefs,
                            const char *label, int variant)
{
    double t0 = now_ms();
    memset(c, 0, sizeof *c);
    snprintf(c->label, sizeof c->label, "%s", label);
    tc_arena_init(&c->arena);
    TcDiagEngine de;
    tc_diag_init(&de, &c->arena);
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/%s.tile", TILEC_SOURCE_DIR, name);
    TcSource src;
    const char *err = NULL;
    bool ok = tc_read_file(&c->arena, path, (size_t)1 << 20, &src, &err);
    if (ok) {
        uint32_t fid = tc_diag_add_file(&de, src);
        c->m = tc_ir_module_new(&c->arena);
        TcAstNode *ast = tc_parse_file(&c->arena, &c->m->strs, &de, fid);
        TcSemaOptions so = {defs, ndefs, name};
        TcPipeline pipe;
        TcPassOptions po = {0};
        TcCpuOptions co = {.opt_level = 3, .fast_dot = bn->fast_dot, .no_tile_cache = (variant & VARIANT_NOCACHE) != 0,
                           .no_pack = (variant & VARIANT_NOPACK) != 0};
        ok = de.nerrors == 0 && tc_sema_lower(ast, c->m, &de, &so) &&
             tc_pipeline_parse(TC_DEFAULT_PIPELINE, &c->arena, &de, &pipe) &&
             tc_pipeline_run(&pipe, c->m, &de, &po, NULL, NULL) && tc_jit_compile(c->m, &co, &de, &c->jit);
    }
    if (!ok) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_diag_render(&de, TC_DIAG_TEXT, &sb);
        fprintf(stderr, "bench_cpu: compiling %s (%s) failed: %s\n%s", path, label, err ? err : "",
                sb.data ? sb.data : "");
        exit(1);
    }
    size_t nk;
    const tilec_cpu_kernel_desc *kd = tc_jit_kernels(c->jit, &nk);
    for (int r = 0; r < MAX_RT; r++) {
        if (tilec_module_load_cpu(bn->rt[r], kd, nk, &c->mod[r]) != TILEC_OK ||
            tilec_module_get_kernel(c->mod[r], name, &c->k[r]) != TILEC_OK) {
            fprintf(stderr, "bench_cpu: loading %s: %s\n", name, tilec_runtime_message(bn->rt[r]));
            exit(1);
        }
    }
    c->compile_ms = now_ms() - t0;
}

static void compiled_free(Compiled *c)
{
    for (int r = 0; r < MAX_RT; r++)
        if (c->mod[r]) tilec_module_destroy(c->mod[r]);
    tc_jit_free(c->jit);
    tc_ir_module_free(c->m);
    tc_arena_free(&c->arena);
}

static void launch(Compiled *c, int r, const tilec_arg *args, size_t nargs)
{
    tilec_status st = tilec_kernel_launch(c->k[r], args, nargs);
    if (st != TILEC_OK) {
        fprintf(stderr, "bench_cpu: launch of %s (%s) failed: %s\n", tilec_kernel_name(c->k[r]), c->label,
                tilec_status_name(st));
        exit(1);
    }
}

/* ---------------------------------------------------------------- timing */

typedef void (*RunFn)(void *ctx);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Times n alternatives side by side: one warm-up run of each, then rounds in
 * which each runs once, in turn, so that a change of the machine's speed
 * during the measurement (it is shared, and its clock varies) falls on all
 * of them alike. As many rounds as fit in about budget_ms per alternative:
 * at least 3, at most 25. ms[i] is the median of alternative i. */
enum { MAX_ALT = 1 + MAX_CONFIGS };
static void time_side_by_side(int n, RunFn const *fn, void *const *ctx, double budget_ms, double *ms)
{
    double warm = 0;
    for (int i = 0; i < n; i++) {
        double t0 = now_ms();
        fn[i](ctx[i]);
        double w = now_ms() - t0;
        if (w > warm) warm = w;
    }
    int reps = warm > 0 ? (int)(budget_ms / warm) : 25;
    if (reps < 3) reps = 3;
    if (reps > 25) reps = 25;
    double t[MAX_ALT][25];
    for (int k = 0; k < reps; k++)
        for (int i = 0; i < n; i++) {
            double t0 = now_ms();
            fn[i](ctx[i]);
            t[i][k] = now_ms() - t0;
        }
    for (int i = 0; i < n; i++) {
        qsort(t[i], (size_t)reps, sizeof t[i][0], cmp_double);
        ms[i] = reps % 2 ? t[i][reps / 2] : 0.5 * (t[i][reps / 2 - 1] + t[i][reps / 2]);
    }
}

static void print_header(void)
{
    printf("%-34s %3s %-16s %10s %10s %7s %9s %9s %9s\n", "case", "thr", "tilec_cfg", "tilec_ms", "ref_ms",
           "ratio", "tilec_GF/s", "ref_GF/s", "max_err");
}

static void print_row(const char *name, int threads, const char *cfg, double tilec_ms, double ref_ms, double flops,
                      double err)
{
    printf("%-34s %3d %-16s %10.3f %10.3f %7.2f %9.1f %9.1f %9.2e\n", name, threads, cfg, tilec_ms, ref_ms,
           ref_ms / tilec_ms, flops / tilec_ms * 1e-6, flops / ref_ms * 1e-6, err);
    fflush(stdout);
}

static bool selected(const Bench *bn, const char *name) { return !bn->filter || strstr(name, bn->filter); }

/* ------------------------------------------------------------------ GEMM */

typedef struct GemmCtx {
    int M, N, K;
    float *a, *b, *c;
    Compiled *cfg;
    int r;
    tilec_arg args[4];
} GemmCtx;

static void run_blas_gemm(void *p)
{
    GemmCtx *g = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->M, g->N, g->K, 1.0f, g->a, g->K, g->b, g->N, 0.0f,
                g->c, g->N);
}

static void run_tilec_gemm(void *p)
{
    GemmCtx *g = p;
    launch(g->cfg, g->r, g->args, 4);
}

/* Max |x - y| over n elements; NaN anywhere gives infinity. */
static double max_abs_err(const float *x, const float *y, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)x[i] - y[i]);
        if (!(d <= e)) e = isnan(d) ? INFINITY : d;
    }
    return e;
}

static void gemm_case(Bench *bn, int M, int N, int K)
{
    char name[64];
    snprintf(name, sizeof name, "gemm f32 %dx%dx%d", M, N, K);
    if (!selected(bn, name)) return;
    size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
    GemmCtx g = {M, N, K, xalloc(na * 4), xalloc(nb * 4), NULL, NULL, 0, {{0}}};
    float *ref = xalloc(nc * 4), *out = xalloc(nc * 4);
    for (size_t i = 0; i < na; i++) g.a[i] = rnd();
    for (size_t i = 0; i < nb; i++) g.b[i] = rnd();
    int64_t sa[2] = {M, K}, sb[2] = {K, N}, sc[2] = {M, N};
    g.args[0] = (tilec_arg){.kind = TILEC_ARG_TENSOR, .tensor = tilec_tensor_contiguous(g.a, TILEC_F32, 2, sa)};
    g.args[1] = (tilec_arg){.kind = TILEC_ARG_TENSOR, .tensor = tilec_tensor_contiguous(g.b, TILEC_F32, 2, sb)};
    g.args[2] = (tilec_arg){.kind = TILEC_ARG_TENSOR, .tensor = tilec_tensor_contiguous(out, TILEC_F32, 2, sc)};
    g.args[3] = (tilec_arg){.kind = TILEC_ARG_FLOAT, .f = 1.0};
    double flops = 2.0 * M * N * K, budget = bn->quick ? 150 : 800;
    /* inputs in [-1, 1): the f32 error of a K-term sum grows like sqrt(K) */
    double tol = 1e-5 * sqrt((double)K) * 8;
    for (int r = 0; r < MAX_RT; r++) {
        if (r == 1 && bn->nthreads[1] == bn->nthreads[0]) break;
        openblas_set_num_threads(bn->nthreads[r]);
        g.c = ref;
        run_blas_gemm(&g);
        /* every configuration checked against cblas_sgemm, then all timed side by side */
        GemmCtx alt[MAX_CONFIGS];
        RunFn fns[MAX_ALT] = {run_blas_gemm};
        void *ctxs[MAX_ALT] = {&g};
        double worst_err = 0;
        for (int ci = 0; ci < bn->ngemm; ci++) {
            alt[ci] = g;
            alt[ci].cfg = &bn->gemm[ci];
            alt[ci].c = out;
            alt[ci].r = r;
            for (size_t i = 0; i < nc; i++) out[i] = NAN;
            run_tilec_gemm(&alt[ci]);
            double err = max_abs_err(out, ref, nc);
            if (err > worst_err) worst_err = err;
            if (!(err <= tol)) {
                printf("FAIL %s (%s, %d threads): max abs error %.3g against cblas_sgemm (tolerance %.3g)\n", name,
                       alt[ci].cfg->label, bn->nthreads[r], err, tol);
                exit(1);
            }
            fns[1 + ci] = run_tilec_gemm;
            ctxs[1 + ci] = &alt[ci];
        }
        double ms[MAX_ALT];
        time_side_by_side(1 + bn->ngemm, fns, ctxs, budget, ms);
        int best = 1;
        for (int ci = 2; ci <= bn->ngemm; ci++)
            if (ms[ci] < ms[best]) best = ci;
        print_row(name, bn->nthreads[r], bn->gemm[best - 1].label, ms[best], ms[0], flops, worst_err);
        if (bn->all_configs)
            for (int ci = 1; ci <= bn->ngemm; ci++)
                printf("  %-32s %3d %-16s %10.3f %10s %7.2f\n", "", bn->nthreads[r], bn->gemm[ci - 1].label, ms[ci], "",
                       ms[0] / ms[ci]);
    }
    free(g.a);
    free(g.b);
    free(ref);
    free(out);
}

/* ------------------------------------------------------------- attention */

typedef struct AttnCtx {
    int Z, H, S, D;
    bool causal;
    float scale;
    float *q, *k, *v, *o, *p;   /* f32 copies of the f16 inputs; reference output; S x S scores */
    Compiled *cfg;
    int r;
    tilec_arg args[5];
} AttnCtx;

/* Row softmax of p (S x S) in place; with causal, row i keeps columns 0..i
 * and the rest become 0. */
static void softmax_rows(float *p, int S, bool causal)
{
    for (int i = 0; i < S; i++) {
        float *row = p + (size_t)i * S;
        int n = causal ? i + 1 : S;
        float mx = -INFINITY, sum = 0;
        for (int j = 0; j < n; j++) mx = row[j] > mx ? row[j] : mx;
        for (int j = 0; j < n; j++) {
            row[j] = expf(row[j] - mx);
            sum += row[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < n; j++) row[j] *= inv;
        for (int j = n; j < S; j++) row[j] = 0;
    }
}

static void run_ref_attention(void *p)
{
    AttnCtx *a = p;
    size_t hs = (size_t)a->S * a->D;
    for (int zh = 0; zh < a->Z * a->H; zh++) {
        const float *q = a->q + zh * hs, *k = a->k + zh * hs, *v = a->v + zh * hs;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, a->S, a->S, a->D, a->scale, q, a->D, k, a->D, 0.0f,
                    a->p, a->S);
        softmax_rows(a->p, a->S, a->causal);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, a->S, a->D, a->S, 1.0f, a->p, a->S, v, a->D, 0.0f,
                    a->o + zh * hs, a->D);
    }
}

static void run_tilec_attention(void *p)
{
    AttnCtx *a = p;
    launch(a->cfg, a->r, a->args, 5);
}

static void attention_case(Bench *bn, int Z, int H, int S, int D, bool causal)
{
    char name[64];
    snprintf(name, sizeof name, "attention %dx%dx%dx%d%s", Z, H, S, D, causal ? " causal" : "");
    if (!selected(bn, name)) return;
    char dval[16], label[64];
    snprintf(dval, sizeof dval, "%d", D);
    TcConstOverride defs[2] = {{"D", dval}, {"CAUSAL", causal ? "true" : "false"}};
    snprintf(label, sizeof label, "BQ=64 BKV=64");
    Compiled cfg;
    compile_example(bn, &cfg, "attention", defs, 2, label, 0);

    size_t n = (size_t)Z * H * S * D;
    AttnCtx a = {Z, H, S, D, causal, (float)(1.0 / sqrt((double)D)), xalloc(n * 4), xalloc(n * 4), xalloc(n * 4),
                 xalloc(n * 4), xalloc((size_t)S * S * 4), &cfg, 0, {{0}}};
    uint16_t *h[4];
    for (int t = 0; t < 4; t++) h[t] = xalloc(n * 2);
    float *ins[3] = {a.q, a.k, a.v};
    for (int t = 0; t < 3; t++)
        for (size_t i = 0; i < n; i++) {
            h[t][i] = tc_f32_to_f16(rnd());
            ins[t][i] = tc_f16_to_f32(h[t][i]);
        }
    int64_t sz[4] = {Z, H, S, D};
    for (int t = 0; t < 4; t++)
        a.args[t] = (tilec_arg){.kind = TILEC_ARG_TENSOR, .tensor = tilec_tensor_contiguous(h[t], TILEC_F16, 4, sz)};
    a.args[4] = (tilec_arg){.kind = TILEC_ARG_FLOAT, .f = a.scale};
    /* useful flops: two S x S x D products, half of them under the causal mask */
    double pairs = causal ? (double)S * (S + 1) / 2 : (double)S * S;
    double flops = 4.0 * Z * H * pairs * D, budget = bn->quick ? 150 : 800;
    float *got = xalloc(n * 4);
    for (int r = 0; r < MAX_RT; r++) {
        if (r == 1 && bn->nthreads[1] == bn->nthreads[0]) break;
        openblas_set_num_threads(bn->nthreads[r]);
        a.r = r;
        run_ref_attention(&a);
        memset(h[3], 0xFF, n * 2); /* NaN: an element not written shows up */
        run_tilec_attention(&a);
        for (size_t i = 0; i < n; i++) got[i] = tc_f16_to_f32(h[3][i]);
        double err = max_abs_err(got, a.o, n);
        /* f16 output and f16 probabilities in the second product */
        if (!(err <= 5e-3)) {
            printf("FAIL %s (%d threads): max abs error %.3g against the OpenBLAS reference (tolerance 5e-3)\n",
                   name, bn->nthreads[r], err);
            exit(1);
        }
        RunFn fns[2] = {run_ref_attention, run_tilec_attention};
        void *ctxs[2] = {&a, &a};
        double t[2];
        time_side_by_side(2, fns, ctxs, budget, t);
        double ref_ms = t[0], ms = t[1];
        print_row(name, bn->nthreads[r], cfg.label, ms, ref_ms, flops, err);
    }
    for (int t = 0; t < 4; t++) free(h[t]);
    free(a.q);
    free(a.k);
    free(a.v);
    free(a.o);
    free(a.p);
    free(got);
    compiled_free(&cfg);
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fputs("usage: bench_cpu [--quick] [--threads N] [--filter TEXT] [--configs LIST] [--all-configs]\n"
          "                 [--no-fast-dot]\n"
          "  --quick          a small subset (smoke run)\n"
          "  --threads N      the multi-threaded runs use N threads (default: all cores)\n"
          "  --filter TEXT    only the cases whose name contains TEXT (e.g. 'gemm f32 1024', 'causal')\n"
          "  --configs LIST   GEMM tile configurations BMxBNxBK, comma-separated (at most 8; default: " DEFAULT_CONFIGS ");\n"
          "                   BMxBNxBK/nocache compiles without tile caches, BMxBNxBK/nopack with row-major\n"
          "                   dot operands (docs/cpu.md), to compare; both may be given\n"
          "  --all-configs    print every GEMM configuration's time, not only the fastest\n"
          "  --no-fast-dot    compile tilec's dot without fused multiply-add\n",
          f);
}

/* Parses --configs (BMxBNxBK[/nocache][/nopack],...) into cfg (cfg[i][3]: the VARIANT_ bits);
 * exits with status 2 on a bad list. */
static int parse_configs(const char *list, int cfg[MAX_CONFIGS][4])
{
    int n = 0;
    for (const char *p = list; *p;) {
        int used = 0;
        if (n == MAX_CONFIGS) {
            fprintf(stderr, "bench_cpu: --configs: at most %d configurations\n", MAX_CONFIGS);
            exit(2);
        }
        bool ok = sscanf(p, "%dx%dx%d%n", &cfg[n][0], &cfg[n][1], &cfg[n][2], &used) == 3 && cfg[n][0] >= 1 &&
                  cfg[n][1] >= 1 && cfg[n][2] >= 1;
        cfg[n][3] = 0;
        for (bool more = ok; more;) {
            more = false;
            for (int v = 0; v < NVARIANTS; v++) {
                size_t len = strlen(variant_suffix[v]);
                if (!(cfg[n][3] & (1 << v)) && strncmp(p + used, variant_suffix[v], len) == 0) {
                    cfg[n][3] |= 1 << v;
                    used += (int)len;
                    more = true;
                }
            }
        }
        if (!ok || (p[used] != ',' && p[used] != 0)) {
            fprintf(stderr, "bench_cpu: --configs: '%s' is not a list of BMxBNxBK\n", list);
            exit(2);
        }
        n++;
        p += used + (p[used] == ',');
    }
    if (n == 0) {
        fprintf(stderr, "bench_cpu: --configs: no configuration given\n");
        exit(2);
    }
    return n;
}

/* Compiles examples/gemm.tile (T = f32) once per configuration. */
static void compile_gemm_configs(Bench *bn, int cfg[MAX_CONFIGS][4], int n)
{
    for (int i = 0; i < n; i++) {
        char v[3][16], label[64];
        for (int k = 0; k < 3; k++) snprintf(v[k], sizeof v[k], "%d", cfg[i][k]);
        int len = snprintf(label, sizeof label, "%sx%sx%s", v[0], v[1], v[2]);
        for (int k = 0; k < NVARIANTS; k++)
            if (cfg[i][3] & (1 << k)) len += snprintf(label + len, sizeof label - (size_t)len, "%s", variant_suffix[k]);
        const TcConstOverride defs[4] = {{"T", "f32"}, {"BM", v[0]}, {"BN", v[1]}, {"BK", v[2]}};
        compile_example(bn, &bn->gemm[bn->ngemm++], "gemm", defs, 4, label, cfg[i][3]);
    }
}

int main(int argc, char **argv)
{
    Bench bn = {.fast_dot = true};
    int threads = 0;
    const char *configs = DEFAULT_CONFIGS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) bn.quick = true;
        else if (strcmp(argv[i], "--no-fast-dot") == 0) bn.fast_dot = false;
        else if (strcmp(argv[i], "--all-configs") == 0) bn.all_configs = true;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc) bn.filter = argv[++i];
        else if (strcmp(argv[i], "--configs") == 0 && i + 1 < argc) configs = argv[++i];
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 1;
        }
    }
    int cfg[MAX_CONFIGS][4];
    int ncfg = parse_configs(configs, cfg);
    for (int r = 0; r < MAX_RT; r++) {
        tilec_runtime_options ro = {sizeof ro, TILEC_BACKEND_CPU, r == 0 ? 1 : threads};
        if (tilec_runtime_create(&ro, &bn.rt[r]) != TILEC_OK) die("cannot create the runtime");
        bn.nthreads[r] = tilec_runtime_num_threads(bn.rt[r]);
    }

    printf("# bench_cpu: tilec (JIT, -O3, host CPU, fast_dot=%s) against OpenBLAS (%s, core %s)\n",
           bn.fast_dot ? "true" : "false", openblas_get_config(), openblas_get_corename());
    printf("# threads: 1 and %d; times are medians in ms; ratio = ref_ms / tilec_ms (> 1: tilec faster)\n",
           bn.nthreads[1]);
    printf("# attention: tilec runs f16 q/k/v/o (f32 statistics); the reference runs in f32 and\n"
           "# its timing excludes the f16 -> f32 copies; GFLOP/s count 4*S*S*D per head (causal: half)\n");
    print_loadavg("at start");

    compile_gemm_configs(&bn, cfg, ncfg);
    printf("# gemm tile configs (BMxBNxBK):");
    for (int i = 0; i < bn.ngemm; i++) printf(" %s (compiled in %.0f ms)", bn.gemm[i].label, bn.gemm[i].compile_ms);
    printf("\n\n");
    print_header();

    static const int square_full[] = {256, 512, 1024, 2048, 4096}, square_quick[] = {256, 512};
    static const int skinny_full[][3] = {{4096, 64, 4096}, {64, 4096, 4096}, {4096, 4096, 64}, {16, 4096, 4096},
                                         {1, 4096, 4096}};
    static const int skinny_quick[][3] = {{512, 64, 512}, {16, 512, 512}, {1, 512, 512}};
    const int *square = bn.quick ? square_quick : square_full;
    int nsquare = bn.quick ? 2 : 5, nskinny = bn.quick ? 3 : 5;
    for (int i = 0; i < nsquare; i++) gemm_case(&bn, square[i], square[i], square[i]);
    for (int i = 0; i < nskinny; i++) {
        const int *s = bn.quick ? skinny_quick[i] : skinny_full[i];
        gemm_case(&bn, s[0], s[1], s[2]);
    }

    static const int seqs_full[] = {512, 1024, 2048, 4096}, seqs_quick[] = {512};
    int nseq = bn.quick ? 1 : 4;
    const int *seqs = bn.quick ? seqs_quick : seqs_full;
    for (int si = 0; si < nseq; si++)
        for (int D = 64; D <= 128; D *= 2) {
            if (bn.quick && D == 128) continue;
            for (int c = 0; c < 2; c++) attention_case(&bn, 1, 2, seqs[si], D, c == 1);
        }

    printf("\n");
    print_loadavg("at end");
    for (int i = 0; i < bn.ngemm; i++) compiled_free(&bn.gemm[i]);
    for (int r = 0; r < MAX_RT; r++) tilec_runtime_destroy(bn.rt[r]);
    return 0;
}
