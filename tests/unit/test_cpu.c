/*
 * test_cpu.c — end-to-end tests of the CPU target: every kernel in examples/
 * goes through the front end, the default pass pipeline and the JIT
 * (codegen/), is launched through the runtime (runtime/) with 1 and with 3
 * worker threads, and its output is compared
 *  - with the independent C references of references.c (the tolerances of
 *    test_interp.c), and
 *  - with the reference interpreter on the same IR, bit for bit when dot is
 *    not fused (fast_dot = false); with fast_dot = true only the tolerance
 *    against the references applies.
 * Shapes are tails: the shapes of test_interp's end-to-end tests (not
 * multiples of the tiles), size 1, and sizes smaller than one tile. Every
 * tensor lives inside a larger buffer filled with all-ones bytes (NaN for f16
 * and f32), with a border on every axis, so its strides are not the dense
 * ones; a write outside the logical tensor or a change to an input fails.
 *
 * Invariant: fixed seeds; each kernel is compiled once per configuration and
 * reused for all its shapes; everything allocated is freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "frontend.h"
#include "ir.h"
#include "passes.h"
#include "guarded.h"
#include "references.h"

/* Runtimes with 1 and 3 worker threads; every case runs on both. */
enum { NRT = 2, MAX_PARAMS = 6 };
static const int32_t rt_threads[NRT] = {1, 3};
static tilec_runtime *rts[NRT];

/* ------------------------------------------------------ compiled kernels */

/* An example compiled for the CPU and loaded into every runtime. */
typedef struct Prog {
    TcArena arena;
    TcDiagEngine de;
    TcIrModule *m;
    TcIrFunc *f;
    TcJit *jit;
    tilec_module *mod[NRT];
    tilec_kernel *k[NRT];
    bool fast_dot;
} Prog;

static void prog_compile(Prog *p, const char *name, const TcConstOverride *defs, uint32_t ndefs, bool fast_dot)
{
    memset(p, 0, sizeof *p);
    p->fast_dot = fast_dot;
    tc_arena_init(&p->arena);
    tc_diag_init(&p->de, &p->arena);
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/%s.tile", TILEC_SOURCE_DIR, name);
    TcSource src;
    const char *err = NULL;
    if (!tc_read_file(&p->arena, path, (size_t)1 << 20, &src, &err)) {
        print_message("cannot read %s: %s\n", path, err ? err : "?");
        fail();
    }
    uint32_t fid = tc_diag_add_file(&p->de, src);
    p->m = tc_ir_module_new(&p->arena);
    TcAstNode *ast = tc_parse_file(&p->arena, &p->m->strs, &p->de, fid);
    TcSemaOptions so = {.defines = defs, .ndefines = ndefs, .kernel = NULL};
    TcPipeline pipe;
    TcPassOptions po = {0};
    TcCpuOptions co = {.opt_level = 3, .fast_dot = fast_dot};
    bool ok = p->de.nerrors == 0 && tc_sema_lower(ast, p->m, &p->de, &so) &&
              tc_pipeline_parse(TC_DEFAULT_PIPELINE, &p->arena, &p->de, &pipe) &&
              tc_pipeline_run(&pipe, p->m, &p->de, &po, NULL, NULL);
    p->f = ok ? tc_ir_module_find(p->m, name) : NULL;
    if (p->f) ok = tc_jit_compile(p->m, &co, &p->de, &p->jit);
    if (!ok || !p->f) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_diag_render(&p->de, TC_DIAG_TEXT, &sb);
        print_message("compiling %s failed:\n%s\n", path, sb.data ? sb.data : "(no diagnostics)");
        tc_sb_free(&sb);
        fail();
    }
    size_t nk = 0;
    const tilec_cpu_kernel_desc *kd = tc_jit_kernels(p->jit, &nk);
    for (int r = 0; r < NRT; r++) {
        assert_int_equal(tilec_module_load_cpu(rts[r], kd, nk, &p->mod[r]), TILEC_OK);
        assert_int_equal(tilec_module_get_kernel(p->mod[r], name, &p->k[r]), TILEC_OK);
    }
}

static void prog_free(Prog *p)
{
    for (int r = 0; r < NRT; r++) tilec_module_destroy(p->mod[r]);
    tc_jit_free(p->jit);
    tc_ir_module_free(p->m);
    tc_arena_free(&p->arena);
}

/* ------------------------------------------------------------ one case */

/* Distance in units in the last place between two f16 or f32 values of the
 * same sign convention: the bit patterns mapped to a monotonic integer line. */
static int64_t ulp_distance(const unsigned char *x, const unsigned char *y, unsigned eb)
{
    int64_t a, b;
    if (eb == 2) {
        uint16_t hx, hy;
        memcpy(&hx, x, 2);
        memcpy(&hy, y, 2);
        a = hx & 0x8000 ? -(int64_t)(hx & 0x7FFF) : (int64_t)hx;
        b = hy & 0x8000 ? -(int64_t)(hy & 0x7FFF) : (int64_t)hy;
    } else {
        uint32_t fx, fy;
        memcpy(&fx, x, 4);
        memcpy(&fy, y, 4);
        a = fx & 0x80000000u ? -(int64_t)(fx & 0x7FFFFFFFu) : (int64_t)fx;
        b = fy & 0x80000000u ? -(int64_t)(fy & 0x7FFFFFFFu) : (int64_t)fy;
    }
    return a > b ? a - b : b - a;
}

/* The arguments of one launch: tensors in guarded buffers, float scalars,
 * exactly one output tensor and its dense reference. */
typedef struct Case {
    char what[128];
    uint32_t np;
    bool is_tensor[MAX_PARAMS];
    GBuf buf[MAX_PARAMS];
    float *dense[MAX_PARAMS];  /* inputs' logical values (NULL for the output and scalars) */
    double scalar[MAX_PARAMS];
    uint32_t out;
    float *ref;                /* dense reference of the output */
    double rtol, atol;
    /* How far the compiled output may be from the interpreter's without
     * fast_dot: an element passes within interp_ulps units in the last place
     * or within interp_atol. Both 0 (bit for bit) except for kernels that call
     * exp in vectorizable loops: the JIT maps those to glibc's libmvec
     * (codegen/cpu.c, init_llvm), the interpreter to the scalar expf. */
    int64_t interp_ulps;
    double interp_atol;
} Case;

static void case_input(Case *c, uint32_t i, TcDtype dt, uint32_t rank, const int64_t *sizes)
{
    c->is_tensor[i] = true;
    c->dense[i] = gbuf_random(&c->buf[i], dt, rank, sizes);
}

static void case_output(Case *c, uint32_t i, TcDtype dt, uint32_t rank, const int64_t *sizes)
{
    c->is_tensor[i] = true;
    c->out = i;
    gbuf_init(&c->buf[i], dt, rank, sizes);
    c->ref = malloc((size_t)(c->buf[i].numel ? c->buf[i].numel : 1) * sizeof *c->ref);
    assert_non_null(c->ref);
}

static void case_free(Case *c)
{
    for (uint32_t i = 0; i < c->np; i++) {
        if (c->is_tensor[i]) gbuf_free(&c->buf[i]);
        free(c->dense[i]);
    }
    free(c->ref);
}

/* Runs c through the interpreter (into a fresh guarded copy of the output),
 * then through the compiled kernel on every runtime, and checks each run:
 * tolerance against the reference, guard border, inputs unchanged, and, when
 * dot is not fused, bit-identical to the interpreter. */
static void case_check(const Prog *p, Case *c)
{
    GBuf *out = &c->buf[c->out];
    GBuf interp;
    gbuf_init(&interp, out->t.dtype, out->t.rank, out->t.sizes);
    TcInterpArg iargs[MAX_PARAMS];
    tilec_arg rargs[MAX_PARAMS];
    memset(iargs, 0, sizeof iargs);
    memset(rargs, 0, sizeof rargs);
    for (uint32_t i = 0; i < c->np; i++) {
        if (!c->is_tensor[i]) {
            iargs[i].f = c->scalar[i];
            rargs[i].kind = TILEC_ARG_FLOAT;
            rargs[i].f = c->scalar[i];
            continue;
        }
        const TcTensorArg *t = i == c->out ? &interp.t : &c->buf[i].t;
        iargs[i].tensor = *t;
        rargs[i].kind = TILEC_ARG_TENSOR;
        rargs[i].tensor.data = c->buf[i].t.data;
        rargs[i].tensor.dtype = (int32_t)c->buf[i].t.dtype;
        rargs[i].tensor.rank = (int32_t)c->buf[i].t.rank;
        for (uint32_t d = 0; d < c->buf[i].t.rank; d++) {
            rargs[i].tensor.sizes[d] = c->buf[i].t.sizes[d];
            rargs[i].tensor.strides[d] = c->buf[i].t.strides[d];
        }
    }
    char err[512];
    bool ok = tc_interp_run(p->f, iargs, NULL, err, sizeof err);
    if (!ok) print_message("interpreter error: %s\n", err);
    assert_true(ok);
    unsigned eb = tc_dtype_bytes(out->t.dtype);
    for (int r = 0; r < NRT; r++) {
        memset(out->mem, 0xFF, out->bytes);
        tilec_status st = tilec_kernel_launch(p->k[r], rargs, c->np);
        if (st != TILEC_OK) print_message("launch failed: %s\n", tilec_runtime_message(rts[r]));
        assert_int_equal(st, TILEC_OK);
        double maxerr = 0;
        int64_t bad = 0, differ = 0, far = 0, maxulps = 0;
        double maxdiff = 0;
        for (int64_t i = 0; i < out->numel; i++) {
            double got = gbuf_get(out, i), want = c->ref[i], e = fabs(got - want);
            if (!(e <= c->atol + c->rtol * fabs(want))) {
                if (bad < 5) print_message("  %s[%lld] = %.8g, want %.8g\n", c->what, (long long)i, got, want);
                bad++;
                e = isnan(e) ? INFINITY : e;
            }
            if (e > maxerr) maxerr = e;
            if (memcmp(gbuf_at(out, i), gbuf_at(&interp, i), eb) != 0) {
                int64_t u = ulp_distance(gbuf_at(out, i), gbuf_at(&interp, i), eb);
                double d = fabs(got - gbuf_get(&interp, i));
                d = isnan(d) ? INFINITY : d;
                if (u > c->interp_ulps && !(d <= c->interp_atol)) {
                    if (!p->fast_dot && far < 5)
                        print_message("  %s[%lld] = %.9g, interpreter %.9g\n", c->what, (long long)i, got,
                                      (double)gbuf_get(&interp, i));
                    far++;
                }
                if (u > maxulps) maxulps = u;
                if (d > maxdiff) maxdiff = d;
                differ++;
            }
        }
        int64_t dmg = guard_damage(out);
        print_message("  %-44s %s %d thr: max abs err %.3g; %lld/%lld differ from interp (max %lld ulp, %.3g)\n",
                      c->what, p->fast_dot ? "fast_dot" : "exact   ", rt_threads[r], maxerr, (long long)differ,
                      (long long)out->numel, (long long)maxulps, maxdiff);
        if (dmg) print_message("  %s: %lld guard elements written\n", c->what, (long long)dmg);
        assert_int_equal(bad, 0);
        assert_int_equal(dmg, 0);
        if (!p->fast_dot) assert_int_equal(far, 0);
        for (uint32_t i = 0; i < c->np; i++)
            if (c->is_tensor[i] && i != c->out) assert_memory_equal(c->buf[i].mem, c->buf[i].snapshot, c->buf[i].bytes);
    }
    assert_int_equal(guard_damage(&interp), 0);
    gbuf_free(&interp);
}

/* ------------------------------------------------------------- examples */

static const char *mode_name(const Prog *p) { return p->fast_dot ? "fast_dot" : "exact"; }

static void gemm_case(const Prog *p, int M, int N, int K, TcDtype T, const char *tiles)
{
    Case c = {.np = 4, .rtol = 0, .atol = 1e-3 * ceil(K / 32.0)};
    int64_t sa[2] = {M, K}, sb[2] = {K, N}, sc[2] = {M, N};
    case_input(&c, 0, T, 2, sa);
    case_input(&c, 1, T, 2, sb);
    case_output(&c, 2, TC_F32, 2, sc);
    c.scalar[3] = 0.75;
    ref_gemm(M, N, K, c.dense[0], c.dense[1], 0.75f, c.ref);
    snprintf(c.what, sizeof c.what, "gemm %s M=%d N=%d K=%d %s", tc_dtype_name(T), M, N, K, tiles);
    case_check(p, &c);
    case_free(&c);
}

static void test_cpu_gemm(void **state)
{
    (void)state;
    static const TcConstOverride small[3] = {{"BM", "32"}, {"BN", "16"}, {"BK", "8"}};
    static const TcConstOverride small_f32[4] = {{"BM", "32"}, {"BN", "16"}, {"BK", "8"}, {"T", "f32"}};
    static const TcConstOverride f32[1] = {{"T", "f32"}};
    static const struct {
        const TcConstOverride *defs;
        uint32_t ndefs;
        TcDtype T;
        const char *tiles;
    } cfgs[] = {{NULL, 0, TC_F16, "128x128x32"}, {small, 3, TC_F16, "32x16x8"}, {small_f32, 4, TC_F32, "32x16x8"},
                {f32, 1, TC_F32, "128x128x32"}};
    /* tails of every tile; size 1; smaller than one tile on every axis */
    static const int shapes[][3] = {{37, 53, 29}, {1, 1, 1}, {5, 7, 3}, {1, 53, 29}, {37, 1, 1}, {33, 17, 9}};
    tc_test_rng_state = 0x9E3779B97F4A7C15u;
    for (size_t ci = 0; ci < sizeof cfgs / sizeof cfgs[0]; ci++)
        for (int fd = 0; fd < 2; fd++) {
            Prog p;
            prog_compile(&p, "gemm", cfgs[ci].defs, cfgs[ci].ndefs, fd);
            print_message("gemm %s %s\n", cfgs[ci].tiles, mode_name(&p));
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
                gemm_case(&p, shapes[s][0], shapes[s][1], shapes[s][2], cfgs[ci].T, cfgs[ci].tiles);
            prog_free(&p);
        }
}

static void gemm_bias_relu_case(const Prog *p, int M, int N, int K, const char *tiles)
{
    Case c = {.np = 4, .rtol = 2e-3, .atol = 2e-3};
    int64_t sa[2] = {M, K}, sb[2] = {K, N}, sn[1] = {N}, sy[2] = {M, N};
    case_input(&c, 0, TC_F16, 2, sa);
    case_input(&c, 1, TC_F16, 2, sb);
    case_input(&c, 2, TC_F32, 1, sn);
    case_output(&c, 3, TC_F16, 2, sy);
    ref_gemm_bias_relu(M, N, K, c.dense[0], c.dense[1], c.dense[2], c.ref);
    snprintf(c.what, sizeof c.what, "gemm_bias_relu M=%d N=%d K=%d %s", M, N, K, tiles);
    case_check(p, &c);
    case_free(&c);
}

static void test_cpu_gemm_bias_relu(void **state)
{
    (void)state;
    static const TcConstOverride small[3] = {{"BM", "32"}, {"BN", "16"}, {"BK", "8"}};
    static const int shapes[][3] = {{37, 53, 29}, {1, 1, 1}, {5, 7, 3}, {65, 3, 40}};
    tc_test_rng_state = 0x9E3779B97F4A7C15u;
    for (int ci = 0; ci < 2; ci++)
        for (int fd = 0; fd < 2; fd++) {
            Prog p;
            prog_compile(&p, "gemm_bias_relu", ci ? small : NULL, ci ? 3 : 0, fd);
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
                gemm_bias_relu_case(&p, shapes[s][0], shapes[s][1], shapes[s][2], ci ? "32x16x8" : "64x64x32");
            prog_free(&p);
        }
}

static void attention_case(const Prog *p, int Z, int H, int S, bool causal)
{
    enum { D = 64 };
    Case c = {.np = 5, .rtol = 2e-3, .atol = 2e-3, .interp_ulps = 2, .interp_atol = 5e-4};
    int64_t s[4] = {Z, H, S, D};
    case_input(&c, 0, TC_F16, 4, s);
    case_input(&c, 1, TC_F16, 4, s);
    case_input(&c, 2, TC_F16, 4, s);
    case_output(&c, 3, TC_F16, 4, s);
    float scale = (float)(1.0 / sqrt(64.0));
    c.scalar[4] = scale;
    ref_attention(Z, H, S, D, c.dense[0], c.dense[1], c.dense[2], scale, causal, c.ref);
    snprintf(c.what, sizeof c.what, "attention Z=%d H=%d S=%d D=%d%s", Z, H, S, D, causal ? " causal" : "");
    case_check(p, &c);
    case_free(&c);
}

static void test_cpu_attention(void **state)
{
    (void)state;
    static const TcConstOverride causal_def[1] = {{"CAUSAL", "true"}};
    /* S = 77: a tail of BQ and BKV; 1; 5 (less than one tile); 130 with Z = 2 */
    static const int shapes[][3] = {{1, 2, 77}, {1, 1, 1}, {1, 2, 5}, {2, 1, 130}};
    tc_test_rng_state = 0x9E3779B97F4A7C15u;
    for (int causal = 0; causal < 2; causal++)
        for (int fd = 0; fd < 2; fd++) {
            Prog p;
            prog_compile(&p, "attention", causal ? causal_def : NULL, causal ? 1 : 0, fd);
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
                attention_case(&p, shapes[s][0], shapes[s][1], shapes[s][2], causal);
            prog_free(&p);
        }
}

static void softmax_case(const Prog *p, int M, int N)
{
    Case c = {.np = 2, .rtol = 1e-4, .atol = 1e-4, .interp_ulps = 8};
    int64_t s[2] = {M, N};
    case_input(&c, 0, TC_F32, 2, s);
    case_output(&c, 1, TC_F32, 2, s);
    ref_softmax(M, N, c.dense[0], c.ref);
    snprintf(c.what, sizeof c.what, "softmax M=%d N=%d", M, N);
    case_check(p, &c);
    case_free(&c);
}

static void test_cpu_softmax(void **state)
{
    (void)state;
    static const int shapes[][2] = {{7, 300}, {7, 1}, {1, 1}, {3, 5}, {1, 129}};
    tc_test_rng_state = 0x9E3779B97F4A7C15u;
    for (int fd = 0; fd < 2; fd++) {
        Prog p;
        prog_compile(&p, "softmax", NULL, 0, fd);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) softmax_case(&p, shapes[s][0], shapes[s][1]);
        prog_free(&p);
    }
}

static void layernorm_case(const Prog *p, int M, int N)
{
    Case c = {.np = 4, .rtol = 1e-4, .atol = 1e-4};
    int64_t s[2] = {M, N}, sn[1] = {N};
    case_input(&c, 0, TC_F32, 2, s);
    case_input(&c, 1, TC_F32, 1, sn);
    case_input(&c, 2, TC_F32, 1, sn);
    case_output(&c, 3, TC_F32, 2, s);
    ref_layernorm(M, N, c.dense[0], c.dense[1], c.dense[2], 1e-5f, c.ref);
    snprintf(c.what, sizeof c.what, "layernorm M=%d N=%d", M, N);
    case_check(p, &c);
    case_free(&c);
}

static void test_cpu_layernorm(void **state)
{
    (void)state;
    static const int shapes[][2] = {{5, 300}, {1, 1}, {3, 7}, {2, 257}};
    tc_test_rng_state = 0x9E3779B97F4A7C15u;
    for (int fd = 0; fd < 2; fd++) {
        Prog p;
        prog_compile(&p, "layernorm", NULL, 0, fd);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) layernorm_case(&p, shapes[s][0], shapes[s][1]);
        prog_free(&p);
    }
}

static void rmsnorm_case(const Prog *p, int M, int N)
{
    Case c = {.np = 3, .rtol = 2e-3, .atol = 2e-3};
    int64_t s[2] = {M, N}, sn[1] = {N};
    case_input(&c, 0, TC_F16, 2, s);
    case_input(&c, 1, TC_F16, 1, sn);
    case_output(&c, 2, TC_F16, 2, s);
    ref_rmsnorm(M, N, c.dense[0], c.dense[1], 1e-6f, true, c.ref);
    snprintf(c.what, sizeof c.what, "rmsnorm f16 M=%d N=%d", M, N);
    case_check(p, &c);
    case_free(&c);
}

static void test_cpu_rmsnorm(void **state)
{
    (void)state;
    static const int shapes[][2] = {{5, 300}, {1, 1}, {3, 7}, {2, 257}};
    tc_test_rng_state = 0x9E3779B97F4A7C15u;
    for (int fd = 0; fd < 2; fd++) {
        Prog p;
        prog_compile(&p, "rmsnorm", NULL, 0, fd);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) rmsnorm_case(&p, shapes[s][0], shapes[s][1]);
        prog_free(&p);
    }
}

static void vector_add_case(const Prog *p, int N)
{
    Case c = {.np = 3, .rtol = 1e-4, .atol = 1e-4};
    int64_t s[1] = {N};
    case_input(&c, 0, TC_F32, 1, s);
    case_input(&c, 1, TC_F32, 1, s);
    case_output(&c, 2, TC_F32, 1, s);
    ref_vector_add(N, c.dense[0], c.dense[1], c.ref);
    snprintf(c.what, sizeof c.what, "vector_add N=%d", N);
    case_check(p, &c);
    case_free(&c);
}

static void test_cpu_vector_add(void **state)
{
    (void)state;
    static const int shapes[] = {1, 1000, 3000, 7, 1025};
    tc_test_rng_state = 0x9E3779B97F4A7C15u;
    for (int fd = 0; fd < 2; fd++) {
        Prog p;
        prog_compile(&p, "vector_add", NULL, 0, fd);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) vector_add_case(&p, shapes[s]);
        prog_free(&p);
    }
}

/* Launches p's gemm (T = f32) `rounds` times on the same buffers, b changed
 * between launches, on every runtime; small integers make every result
 * exact, so c must equal the C reference bit for bit. */
static void gemm_exact_launches(const Prog *p, int M, int N, int K, int rounds)
{
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N);
    float *c = malloc(sizeof(float) * M * N), *want = malloc(sizeof(float) * M * N);
    assert_true(a && b && c && want);
    for (int i = 0; i < M * K; i++) a[i] = (float)(i % 7 - 3);
    int64_t sa[2] = {M, K}, sb[2] = {K, N}, sc[2] = {M, N};
    tilec_arg args[4] = {{.kind = TILEC_ARG_TENSOR, .tensor = tilec_tensor_contiguous(a, TILEC_F32, 2, sa)},
                         {.kind = TILEC_ARG_TENSOR, .tensor = tilec_tensor_contiguous(b, TILEC_F32, 2, sb)},
                         {.kind = TILEC_ARG_TENSOR, .tensor = tilec_tensor_contiguous(c, TILEC_F32, 2, sc)},
                         {.kind = TILEC_ARG_FLOAT, .f = 1.0}};
    for (int r = 0; r < NRT; r++)
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < K * N; i++) b[i] = (float)((i * (round + 2) + r) % 5 - 2);
            ref_gemm(M, N, K, a, b, 1.0f, want);
            memset(c, 0xFF, sizeof(float) * M * N);
            assert_int_equal(tilec_kernel_launch(p->k[r], args, 4), TILEC_OK);
            int bad = 0;
            for (int i = 0; i < M * N; i++)
                if (c[i] != want[i] && bad++ < 3)
                    print_message("  %dx%dx%d, %d threads, launch %d: c[%d] = %g, want %g\n", M, N, K, rt_threads[r], round,
                                  i, c[i], want[i]);
            assert_int_equal(bad, 0);
        }
    free(a);
    free(b);
    free(c);
    free(want);
}

/* Whether p's module compiled with options co has `what` in its LLVM IR. */
static bool ir_has(Prog *p, const TcCpuOptions *co, const char *what)
{
    TcStrBuf ir;
    tc_sb_init(&ir);
    assert_true(tc_cpu_compile(p->m, co, TC_CPU_EMIT_LLVM, &ir, &p->de));
    bool has = strstr(ir.data, what) != NULL;
    tc_sb_free(&ir);
    return has;
}

/* Tile caches (docs/cpu.md): gemm's b tiles do not depend on program_id(0),
 * so each worker keeps them for its next instances. Launch the same kernel
 * twice on the same buffers with b changed in between: the second launch
 * must see the new b (the launch word empties the caches), on one thread and
 * on three. Small integers make every result exact. */
static void test_cpu_tile_cache_across_launches(void **state)
{
    (void)state;
    static const TcConstOverride defs[4] = {{"BM", "16"}, {"BN", "16"}, {"BK", "8"}, {"T", "f32"}};
    Prog p;
    prog_compile(&p, "gemm", defs, 4, false);
    /* the kernel does use a cache, and --no-tile-cache removes it */
    for (int off = 0; off < 2; off++) {
        TcCpuOptions co = {.opt_level = 0, .no_tile_cache = off};
        assert_true(ir_has(&p, &co, "cache.fill") == !off);
    }
    gemm_exact_launches(&p, 64, 48, 40, 3); /* 4 x 3 instances, interior and whole tiles */
    prog_free(&p);
}

/* Packed operands (docs/cpu.md): gemm's b tiles feed only the dot, so the
 * load copies them into panels [BN/P][BK][P] and the microkernel reads those;
 * its a tiles, compiled for an AVX-512 CPU, are packed by rows, [BM/8][BK][8].
 * The IR has both copies (neither with no_pack); interior tiles (whole rows
 * into panels, kept in the tile cache; a through the vectorized transposing
 * copy where the host has AVX-512) and edge tiles (padded element by element)
 * give exact results, also with tiles as wide as two panels. */
static void test_cpu_packed_operands(void **state)
{
    (void)state;
    static const TcConstOverride defs[2][4] = {{{"BM", "32"}, {"BN", "64"}, {"BK", "16"}, {"T", "f32"}},
                                               {{"BM", "16"}, {"BN", "32"}, {"BK", "8"}, {"T", "f32"}}};
    for (int d = 0; d < 2; d++) {
        Prog p;
        prog_compile(&p, "gemm", defs[d], 4, false);
        for (int off = 0; off < 2; off++) {
            TcCpuOptions co = {.opt_level = 0, .no_pack = off};
            assert_true(ir_has(&p, &co, "pack.panel") == !off);
            TcCpuOptions avx512 = {.opt_level = 0, .no_pack = off, .cpu = "skylake-avx512"};
            assert_true(ir_has(&p, &avx512, "pack.rows") == !off);
        }
        gemm_exact_launches(&p, 96, 192, 64, 2); /* interior tiles only */
        gemm_exact_launches(&p, 37, 70, 29, 1);  /* edges on every axis */
        gemm_exact_launches(&p, 5, 3, 2, 1);     /* smaller than one tile */
        prog_free(&p);
    }
}

/* Attention's k tiles: loaded from a view k[z, h] at offsets that do not
 * depend on program_id(0), and used only through trans as dot's b operand.
 * The load is cached (the key includes the view's address, so heads do not
 * share entries) and written transposed into panels at the trans (none of
 * this with no_pack / no_tile_cache); results on several heads, tails and
 * sub-tile sizes, on one thread and three, in test_cpu_attention and here
 * with BKV = 64 and 32 (two panels per tile, and one). */
static void test_cpu_packed_trans_operand(void **state)
{
    (void)state;
    static const TcConstOverride defs[1] = {{"BKV", "32"}};
    for (int d = 0; d < 2; d++) {
        Prog p;
        prog_compile(&p, "attention", d ? defs : NULL, d ? 1 : 0, true);
        for (int off = 0; off < 2; off++) {
            TcCpuOptions co = {.opt_level = 0, .fast_dot = true, .no_pack = off, .no_tile_cache = off};
            assert_true(ir_has(&p, &co, "pack.trans") == !off);
            assert_true(ir_has(&p, &co, "cache.fill") == !off);
        }
        tc_test_rng_state = 0x2545F4914F6CDD1Du;
        attention_case(&p, 2, 3, 100, false);
        attention_case(&p, 1, 2, 64, false);
        attention_case(&p, 1, 1, 3, false);
        prog_free(&p);
    }
}

static int setup_runtimes(void **state)
{
    (void)state;
    for (int r = 0; r < NRT; r++) {
        tilec_runtime_options o = {sizeof o, TILEC_BACKEND_CPU, rt_threads[r]};
        if (tilec_runtime_create(&o, &rts[r]) != TILEC_OK || tilec_runtime_num_threads(rts[r]) != rt_threads[r])
            return -1;
    }
    return 0;
}

static int teardown_runtimes(void **state)
{
    (void)state;
    for (int r = 0; r < NRT; r++) tilec_runtime_destroy(rts[r]);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_gemm),
        cmocka_unit_test(test_cpu_gemm_bias_relu),
        cmocka_unit_test(test_cpu_attention),
        cmocka_unit_test(test_cpu_softmax),
        cmocka_unit_test(test_cpu_layernorm),
        cmocka_unit_test(test_cpu_rmsnorm),
        cmocka_unit_test(test_cpu_vector_add),
        cmocka_unit_test(test_cpu_tile_cache_across_launches),
        cmocka_unit_test(test_cpu_packed_operands),
        cmocka_unit_test(test_cpu_packed_trans_operand),
    };
    return cmocka_run_group_tests(tests, setup_runtimes, teardown_runtimes);
}
