/*
 * test_runtime.c — unit tests of the runtime (runtime/, tilec_runtime.h),
 * linked against tilec_runtime only: hand-written C kernels that follow the
 * tilec_cpu_fn ABI, hand-written signature texts, every launch check with
 * its exact message, the grid evaluator's ops and edge cases, malformed
 * signatures, per-handle messages and the thread pool.
 *
 * Test kernels report through file-scope variables; each test resets the
 * ones it reads before launching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tilec_runtime.h"

/* ------------------------------------------------------------ helpers */

static tilec_runtime *make_rt(int32_t threads)
{
    tilec_runtime_options o = {sizeof o, TILEC_BACKEND_CPU, threads};
    tilec_runtime *rt = NULL;
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_OK);
    assert_non_null(rt);
    return rt;
}

/* ------------------------------------------------------ test kernels */

/* c = a + alpha * b, 16 elements per program instance. */
static const char vadd_sig[] = "tilec-signature 1\n"
                               "kernel vadd\n"
                               "warps 4\n"
                               "scratch 0\n"
                               "const BLOCK int 16\n"
                               "param a tensor f32 in 1 N\n"
                               "param b tensor f32 in 1 N\n"
                               "param c tensor f32 out 1 N\n"
                               "param alpha scalar f32\n"
                               "size N\n"
                               "grid 1\n"
                               "axis s:0 c:15 add:i32 c:16 div:i32\n"
                               "end\n";

static void vadd_fn(void *const *args, const int32_t *sizes, const int32_t *grid, int32_t pid0, int32_t pid1,
                    int32_t pid2, void *scratch)
{
    const tilec_tensor *a = args[0], *b = args[1], *c = args[2];
    double alpha = *(const double *)args[3];
    int64_t n = sizes[0], lo = (int64_t)pid0 * 16, hi = lo + 16 < n ? lo + 16 : n;
    for (int64_t i = lo; i < hi; i++) {
        float x = ((const float *)a->data)[i * a->strides[0]];
        float y = ((const float *)b->data)[i * b->strides[0]];
        ((float *)c->data)[i * c->strides[0]] = x + (float)alpha * y;
    }
}

/* Counts how often each program id runs. */
static const char record_sig[] = "tilec-signature 1\n"
                                 "kernel record\n"
                                 "warps 0\n"
                                 "scratch 0\n"
                                 "param hits tensor i32 inout 1 T\n"
                                 "param x scalar i32\n"
                                 "param y scalar i32\n"
                                 "param z scalar i32\n"
                                 "size T\n"
                                 "grid 3\n"
                                 "axis p:1\n"
                                 "axis p:2\n"
                                 "axis p:3\n"
                                 "end\n";

static atomic_int g_bad_grid;         /* instances that saw a wrong grid or size */
static atomic_int g_calls;            /* instances run by the kernels that count */
static pthread_t g_launcher;          /* the launching thread */
static atomic_int g_on_launcher;      /* instances run on the launching thread */

static void record_fn(void *const *args, const int32_t *sizes, const int32_t *grid, int32_t pid0, int32_t pid1,
                      int32_t pid2, void *scratch)
{
    const tilec_tensor *h = args[0];
    int64_t x = *(const int64_t *)args[1], y = *(const int64_t *)args[2], z = *(const int64_t *)args[3];
    if (grid[0] != x || grid[1] != y || grid[2] != z || sizes[0] != x * y * z || pid0 < 0 || pid0 >= x ||
        pid1 < 0 || pid1 >= y || pid2 < 0 || pid2 >= z) {
        atomic_fetch_add(&g_bad_grid, 1);
        return;
    }
    atomic_int *hits = h->data;
    atomic_fetch_add(&hits[pid0 + x * (pid1 + y * pid2)], 1);
    atomic_fetch_add(&g_calls, 1);
    if (pthread_equal(pthread_self(), g_launcher)) atomic_fetch_add(&g_on_launcher, 1);
}

/* Uses its scratch: checks alignment, fills it with a pattern, reads it back. */
static int64_t g_scratch_bytes;

static void scratch_fn(void *const *args, const int32_t *sizes, const int32_t *grid, int32_t pid0, int32_t pid1,
                       int32_t pid2, void *scratch)
{
    const tilec_tensor *ok = args[0];
    unsigned char *s = scratch;
    int32_t good = s != NULL && (uintptr_t)s % 64 == 0;
    if (good) {
        for (int64_t i = 0; i < g_scratch_bytes; i++) s[i] = (unsigned char)(pid0 * 31 + i);
        for (int64_t i = 0; i < g_scratch_bytes; i++)
            if (s[i] != (unsigned char)(pid0 * 31 + i)) good = 0;
    }
    ((int32_t *)ok->data)[pid0] = good;
}

static void never_fn(void *const *args, const int32_t *sizes, const int32_t *grid, int32_t pid0, int32_t pid1,
                     int32_t pid2, void *scratch)
{
    atomic_fetch_add(&g_calls, 1);
}

/* ------------------------------------------------------- basic kernels */

static void vector_add_runs(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt(0); /* TILEC_NUM_THREADS or the cores */
    tilec_module *m = NULL;
    tilec_cpu_kernel_desc d = {vadd_sig, vadd_fn};
    assert_int_equal(tilec_module_load_cpu(rt, &d, 1, &m), TILEC_OK);
    assert_string_equal(tilec_runtime_message(rt), "");
    tilec_kernel *k = NULL;
    assert_int_equal(tilec_module_get_kernel(m, "vadd", &k), TILEC_OK);
    assert_string_equal(tilec_kernel_name(k), "vadd");
    assert_int_equal(tilec_kernel_num_params(k), 4);
    const char *name;
    int32_t kind, dtype, rank;
    assert_int_equal(tilec_kernel_param(k, 2, &name, &kind, &dtype, &rank), TILEC_OK);
    assert_string_equal(name, "c");
    assert_int_equal(kind, TILEC_ARG_TENSOR);
    assert_int_equal(dtype, TILEC_F32);
    assert_int_equal(rank, 1);
    assert_int_equal(tilec_kernel_param(k, 3, &name, &kind, &dtype, &rank), TILEC_OK);
    assert_int_equal(kind, TILEC_ARG_FLOAT);
    assert_int_equal(rank, 0);
    assert_int_equal(tilec_kernel_param(k, 4, &name, NULL, NULL, NULL), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "kernel 'vadd' has 4 params; there is no param 4");

    enum { N = 1001 };
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *c = malloc(N * sizeof *c);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    for (int i = 0; i < N; i++) {
        a[i] = (float)i;
        b[i] = (float)(2 * i);
        c[i] = -1.0f;
    }
    int64_t n = N;
    tilec_arg args[4] = {tilec_arg_tensor(tilec_tensor_contiguous(a, TILEC_F32, 1, &n)), tilec_arg_tensor(tilec_tensor_contiguous(b, TILEC_F32, 1, &n)),
                         tilec_arg_tensor(tilec_tensor_contiguous(c, TILEC_F32, 1, &n)), tilec_arg_int(3)}; /* an int given to a float param */
    int32_t grid[3] = {0, 0, 0};
    assert_int_equal(tilec_kernel_check(k, args, 4, grid), TILEC_OK);
    assert_int_equal(grid[0], 63);
    assert_int_equal(grid[1], 1);
    assert_int_equal(grid[2], 1);
    assert_int_equal(tilec_kernel_launch(k, args, 4), TILEC_OK);
    for (int i = 0; i < N; i++) assert_true(c[i] == (float)(7 * i));
    args[3] = tilec_arg_float(0.5);
    assert_int_equal(tilec_kernel_launch(k, args, 4), TILEC_OK);
    for (int i = 0; i < N; i++) assert_true(c[i] == (float)(2 * i));
    free(a);
    free(b);
    free(c);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

static void run_record(tilec_runtime *rt, tilec_kernel *k, int32_t x, int32_t y, int32_t z)
{
    int64_t t = (int64_t)x * y * z;
    atomic_int *hits = calloc((size_t)t, sizeof *hits);
    assert_non_null(hits);
    tilec_arg args[4] = {tilec_arg_tensor(tilec_tensor_contiguous(hits, TILEC_I32, 1, &t)), tilec_arg_int(x), tilec_arg_int(y), tilec_arg_int(z)};
    atomic_store(&g_bad_grid, 0);
    atomic_store(&g_calls, 0);
    atomic_store(&g_on_launcher, 0);
    g_launcher = pthread_self();
    tilec_status st = tilec_kernel_launch(k, args, 4);
    if (st != TILEC_OK) fail_msg("%s", tilec_runtime_message(rt));
    assert_int_equal(atomic_load(&g_bad_grid), 0);
    assert_int_equal(atomic_load(&g_calls), t);
    for (int64_t i = 0; i < t; i++) assert_int_equal(atomic_load(&hits[i]), 1);
    if (tilec_runtime_num_threads(rt) == 1) assert_int_equal(atomic_load(&g_on_launcher), t);
    free(hits);
}

static void every_program_id_runs_once(void **state)
{
    (void)state;
    static const int32_t threads[] = {1, 2, 7};
    for (size_t ti = 0; ti < sizeof threads / sizeof threads[0]; ti++) {
        tilec_runtime *rt = make_rt(threads[ti]);
        assert_int_equal(tilec_runtime_num_threads(rt), threads[ti]);
        tilec_module *m = NULL;
        tilec_cpu_kernel_desc d = {record_sig, record_fn};
        assert_int_equal(tilec_module_load_cpu(rt, &d, 1, &m), TILEC_OK);
        tilec_kernel *k = NULL;
        assert_int_equal(tilec_module_get_kernel(m, "record", &k), TILEC_OK);
        run_record(rt, k, 1, 1, 1);
        run_record(rt, k, 5, 3, 4);
        run_record(rt, k, 1000, 1, 1);
        run_record(rt, k, 1, 1, 777);
        run_record(rt, k, 13, 17, 1);
        for (int rep = 0; rep < 50; rep++) run_record(rt, k, 3 + rep % 5, 2, 1 + rep % 3);
        tilec_module_destroy(m);
        tilec_runtime_destroy(rt);
    }
}

static void scratch_is_aligned_and_sized(void **state)
{
    (void)state;
    static const char sig_small[] = "tilec-signature 1\nkernel small\nwarps 0\nscratch 1000\n"
                                    "param ok tensor i32 out 1 N\nsize N\ngrid 1\naxis s:0\nend\n";
    static const char sig_big[] = "tilec-signature 1\nkernel big\nwarps 0\nscratch 70000\n"
                                  "param ok tensor i32 out 1 N\nsize N\ngrid 1\naxis s:0\nend";
    tilec_cpu_kernel_desc d[2] = {{sig_small, scratch_fn}, {sig_big, scratch_fn}};
    static const int32_t threads[] = {1, 2, 7};
    for (size_t ti = 0; ti < 3; ti++) {
        tilec_runtime *rt = make_rt(threads[ti]);
        tilec_module *m = NULL;
        assert_int_equal(tilec_module_load_cpu(rt, d, 2, &m), TILEC_OK);
        tilec_kernel *small = NULL, *big = NULL;
        assert_int_equal(tilec_module_get_kernel(m, "small", &small), TILEC_OK);
        assert_int_equal(tilec_module_get_kernel(m, "big", &big), TILEC_OK);
        int64_t n = 64;
        int32_t ok[64];
        tilec_arg arg = tilec_arg_tensor(tilec_tensor_contiguous(ok, TILEC_I32, 1, &n));
        struct { tilec_kernel *k; int64_t bytes; } runs[] = {{small, 1000}, {big, 70000}, {small, 1000}};
        for (size_t r = 0; r < 3; r++) {
            memset(ok, 0, sizeof ok);
            g_scratch_bytes = runs[r].bytes;
            assert_int_equal(tilec_kernel_launch(runs[r].k, &arg, 1), TILEC_OK);
            for (int i = 0; i < 64; i++) assert_int_equal(ok[i], 1);
        }
        tilec_module_destroy(m);
        tilec_runtime_destroy(rt);
    }
}

/* ------------------------------------------------------- launch checks */

static const char chk_sig[] = "tilec-signature 1\n"
                              "kernel chk\n"
                              "warps 0\n"
                              "scratch 0\n"
                              "param a tensor f32 in 2 M K\n"
                              "param b tensor f32 in 2 K 32\n"
                              "param c tensor f32 out,strided 2 M 32\n"
                              "param n scalar u8\n"
                              "param alpha scalar f32\n"
                              "param flag scalar bool\n"
                              "size M\n"
                              "size K\n"
                              "grid 2\n"
                              "axis s:0\n"
                              "axis p:3\n"
                              "end\n";

typedef struct chk_fixture {
    tilec_runtime *rt;
    tilec_module *m;
    tilec_kernel *k;
    float *mem;      /* a: 3x29 at 0, b: 29x32 at 100, c: 3x32 (stride 2 allowed) at 1100 */
    tilec_arg args[6];
} chk_fixture;

static void chk_reset(chk_fixture *f)
{
    int64_t sa[2] = {3, 29}, sb[2] = {29, 32}, sc[2] = {3, 32};
    f->args[0] = tilec_arg_tensor(tilec_tensor_contiguous(f->mem, TILEC_F32, 2, sa));
    f->args[1] = tilec_arg_tensor(tilec_tensor_contiguous(f->mem + 100, TILEC_F32, 2, sb));
    f->args[2] = tilec_arg_tensor(tilec_tensor_contiguous(f->mem + 1100, TILEC_F32, 2, sc));
    f->args[3] = tilec_arg_int(4);
    f->args[4] = tilec_arg_float(0.5);
    f->args[5] = tilec_arg_int(1);
}

static int chk_setup(void **state)
{
    chk_fixture *f = calloc(1, sizeof *f);
    if (f == NULL) return -1;
    f->rt = make_rt(2);
    tilec_cpu_kernel_desc d = {chk_sig, never_fn};
    if (tilec_module_load_cpu(f->rt, &d, 1, &f->m) != TILEC_OK) return -1;
    if (tilec_module_get_kernel(f->m, "chk", &f->k) != TILEC_OK) return -1;
    f->mem = calloc(2000, sizeof *f->mem);
    if (f->mem == NULL) return -1;
    chk_reset(f);
    *state = f;
    return 0;
}

static int chk_teardown(void **state)
{
    chk_fixture *f = *state;
    free(f->mem);
    tilec_module_destroy(f->m);
    tilec_runtime_destroy(f->rt);
    free(f);
    return 0;
}

/* Checks that a check and a launch both fail with exactly msg, then restores the arguments. */
static void expect_reject(chk_fixture *f, size_t nargs, const char *msg)
{
    int32_t grid[3];
    atomic_store(&g_calls, 0);
    assert_int_equal(tilec_kernel_check(f->k, f->args, nargs, grid), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(f->rt), msg);
    assert_int_equal(tilec_kernel_launch(f->k, f->args, nargs), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(f->rt), msg);
    assert_int_equal(atomic_load(&g_calls), 0);
    chk_reset(f);
}

static void expect_accept(chk_fixture *f, int32_t g0, int32_t g1)
{
    int32_t grid[3] = {-9, -9, -9};
    tilec_status st = tilec_kernel_check(f->k, f->args, 6, grid);
    if (st != TILEC_OK) fail_msg("%s", tilec_runtime_message(f->rt));
    assert_string_equal(tilec_runtime_message(f->rt), "");
    assert_int_equal(grid[0], g0);
    assert_int_equal(grid[1], g1);
    assert_int_equal(grid[2], 1);
    chk_reset(f);
}

static void check_accepts_valid_arguments(void **state)
{
    chk_fixture *f = *state;
    expect_accept(f, 3, 4);
    f->args[4] = tilec_arg_int(2); /* a float param takes an int */
    expect_accept(f, 3, 4);
    f->args[2].tensor.strides[1] = 2; /* c is strided */
    f->args[2].tensor.strides[0] = 64;
    f->args[2].tensor.data = f->mem + 1700;
    expect_accept(f, 3, 4);
    f->args[5] = tilec_arg_int(0);
    f->args[3] = tilec_arg_int(255);
    expect_accept(f, 3, 255);
    /* Two read-only inputs may alias. */
    f->args[1].tensor.data = f->mem;
    expect_accept(f, 3, 4);
    /* c right after the end of a: adjacent, not overlapping. */
    f->args[1].tensor.data = f->mem + 1000;
    f->args[2].tensor.data = f->mem + 87;
    expect_accept(f, 3, 4);
}

static void check_counts_and_kinds(void **state)
{
    chk_fixture *f = *state;
    expect_reject(f, 5, "kernel 'chk': expected 6 arguments, got 5");
    expect_reject(f, 7, "kernel 'chk': expected 6 arguments, got 7");
    f->args[0] = tilec_arg_int(1);
    expect_reject(f, 6, "kernel 'chk': param 'a' (argument 0) is a tensor but the argument is an int");
    f->args[3] = tilec_arg_float(1.0);
    expect_reject(f, 6, "kernel 'chk': param 'n' (argument 3) is an integer u8 scalar but the argument is a float");
    f->args[4] = f->args[0];
    expect_reject(f, 6, "kernel 'chk': param 'alpha' (argument 4) is a float f32 scalar but the argument is a tensor");
    f->args[5].kind = 17;
    expect_reject(f, 6,
                  "kernel 'chk': param 'flag' (argument 5) is an integer bool scalar but the argument is of an unknown "
                  "kind");
}

static void check_scalar_ranges(void **state)
{
    chk_fixture *f = *state;
    f->args[3] = tilec_arg_int(256);
    expect_reject(f, 6, "kernel 'chk': param 'n' (argument 3) is 256, which does not fit u8");
    f->args[3] = tilec_arg_int(-1);
    expect_reject(f, 6, "kernel 'chk': param 'n' (argument 3) is -1, which does not fit u8");
    f->args[5] = tilec_arg_int(2);
    expect_reject(f, 6, "kernel 'chk': param 'flag' (argument 5) is 2, which does not fit bool");
    f->args[3] = tilec_arg_int(0);
    expect_accept(f, 3, 0);
}

static void check_dtype_and_rank(void **state)
{
    chk_fixture *f = *state;
    f->args[0].tensor.dtype = TILEC_F16;
    expect_reject(f, 6, "kernel 'chk': tensor 'a' has dtype f16 but the signature says f32");
    f->args[1].tensor.dtype = 99;
    expect_reject(f, 6, "kernel 'chk': tensor 'b' has unknown dtype 99; the signature says f32");
    f->args[0].tensor.rank = 1;
    expect_reject(f, 6, "kernel 'chk': tensor 'a' has rank 1 but the signature says 2");
    f->args[2].tensor.rank = 9;
    expect_reject(f, 6, "kernel 'chk': tensor 'c' has rank 9 but the signature says 2");
}

static void check_sizes(void **state)
{
    chk_fixture *f = *state;
    f->args[1].tensor.sizes[1] = 31;
    expect_reject(f, 6, "kernel 'chk': tensor 'b' dim 1 is 31 but the signature says 32");
    f->args[1].tensor.sizes[0] = 31;
    expect_reject(f, 6, "kernel 'chk': size K is 29 in 'a' (dim 1) but 31 in 'b' (dim 0)");
    f->args[2].tensor.sizes[0] = 4;
    expect_reject(f, 6, "kernel 'chk': size M is 3 in 'a' (dim 0) but 4 in 'c' (dim 0)");
    f->args[0].tensor.sizes[0] = -1;
    expect_reject(f, 6, "kernel 'chk': tensor 'a' dim 0 has size -1, outside [0, INT32_MAX]");
    f->args[0].tensor.sizes[0] = 2147483648LL;
    expect_reject(f, 6, "kernel 'chk': tensor 'a' dim 0 has size 2147483648, outside [0, INT32_MAX]");
    f->args[0].tensor.strides[0] = -29;
    expect_reject(f, 6, "kernel 'chk': tensor 'a' dim 0 has negative stride -29");
}

static void check_innermost_stride(void **state)
{
    chk_fixture *f = *state;
    f->args[0].tensor.strides[1] = 2;
    expect_reject(f, 6,
                  "kernel 'chk': tensor 'a' has innermost stride 2 but is not strided (dim 1 must have stride 1)");
    f->args[1].tensor.strides[1] = 0;
    expect_reject(f, 6,
                  "kernel 'chk': tensor 'b' has innermost stride 0 but is not strided (dim 1 must have stride 1)");
    /* A dim of size 1 is exempt. */
    f->args[0].tensor.sizes[1] = 1;
    f->args[0].tensor.strides[1] = 5;
    f->args[1].tensor.sizes[0] = 1;
    expect_accept(f, 3, 4);
}

static void check_null_data(void **state)
{
    chk_fixture *f = *state;
    f->args[0].tensor.data = NULL;
    expect_reject(f, 6, "kernel 'chk': tensor 'a' has null data but 87 elements");
    /* No elements: null is fine, and M = 0 launches nothing. */
    f->args[0].tensor.data = NULL;
    f->args[0].tensor.sizes[0] = 0;
    f->args[2].tensor.data = NULL;
    f->args[2].tensor.sizes[0] = 0;
    tilec_arg saved[6];
    memcpy(saved, f->args, sizeof saved);
    expect_accept(f, 0, 4);
    atomic_store(&g_calls, 0);
    assert_int_equal(tilec_kernel_launch(f->k, saved, 6), TILEC_OK);
    assert_int_equal(atomic_load(&g_calls), 0);
}

static void check_output_overlap(void **state)
{
    chk_fixture *f = *state;
    char msg[512];
    uintptr_t a0 = (uintptr_t)f->mem, c0 = (uintptr_t)(f->mem + 86);
    f->args[2].tensor.data = f->mem + 86; /* c's first element is a's last */
    snprintf(msg, sizeof msg,
             "kernel 'chk': out tensor 'c' (bytes 0x%llx..0x%llx) overlaps in tensor 'a' (bytes 0x%llx..0x%llx)",
             (unsigned long long)c0, (unsigned long long)(c0 + 96 * 4), (unsigned long long)a0,
             (unsigned long long)(a0 + 87 * 4));
    expect_reject(f, 6, msg);
    /* Strided c whose span reaches into b. */
    uintptr_t b0 = (uintptr_t)(f->mem + 100), c1 = (uintptr_t)(f->mem + 90);
    f->args[2].tensor.data = f->mem + 90;
    f->args[2].tensor.strides[1] = 0;
    f->args[2].tensor.strides[0] = 8;
    snprintf(msg, sizeof msg,
             "kernel 'chk': out tensor 'c' (bytes 0x%llx..0x%llx) overlaps in tensor 'b' (bytes 0x%llx..0x%llx)",
             (unsigned long long)c1, (unsigned long long)(c1 + 17 * 4), (unsigned long long)b0,
             (unsigned long long)(b0 + 928 * 4));
    expect_reject(f, 6, msg);
    /* A span that does not fit the address space. */
    f->args[2].tensor.strides[0] = INT64_MAX;
    expect_reject(f, 6, "kernel 'chk': tensor 'c' spans more memory than the address space has");
}

/* ------------------------------------------------------------- the grid */

static const char grid_sig_fmt[] = "tilec-signature 1\n"
                                   "kernel g\n"
                                   "warps 0\n"
                                   "scratch 0\n"
                                   "param t tensor i8 in 1 N\n"
                                   "param x scalar i64\n"
                                   "size N\n"
                                   "grid %d\n"
                                   "%s"
                                   "end\n";

/* Loads kernel g with the given axis lines; returns the status of the load. */
static tilec_status load_grid(tilec_runtime *rt, int ngrid, const char *axes, tilec_module **m, tilec_kernel **k)
{
    char sig[4096];
    snprintf(sig, sizeof sig, grid_sig_fmt, ngrid, axes);
    tilec_cpu_kernel_desc d = {sig, never_fn};
    tilec_status st = tilec_module_load_cpu(rt, &d, 1, m);
    if (st == TILEC_OK) assert_int_equal(tilec_module_get_kernel(*m, "g", k), TILEC_OK);
    return st;
}

/* The value of a one-axis program: evaluated as `PROG c:V eq:i64`, which is
 * 1 exactly when PROG gives V (for any V, negative ones included). */
static void expect_grid_value(tilec_runtime *rt, const char *prog, int64_t v)
{
    char axes[1024];
    snprintf(axes, sizeof axes, "axis %s c:%lld eq:i64\n", prog, (long long)v);
    tilec_module *m = NULL;
    tilec_kernel *k = NULL;
    if (load_grid(rt, 1, axes, &m, &k) != TILEC_OK) fail_msg("%s: %s", prog, tilec_runtime_message(rt));
    int8_t t[7] = {0};
    int64_t n = 7;
    tilec_arg args[2] = {tilec_arg_tensor(tilec_tensor_contiguous(t, TILEC_I8, 1, &n)), tilec_arg_int(-3)};
    int32_t grid[3];
    assert_int_equal(tilec_kernel_check(k, args, 2, grid), TILEC_OK);
    if (grid[0] != 1) fail_msg("'%s' is not %lld", prog, (long long)v);
    tilec_module_destroy(m);
}

static void grid_ops(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt(1);
    static const struct { const char *prog; int64_t v; } cases[] = {
        {"c:5", 5},
        {"c:-9223372036854775808", INT64_MIN},
        {"s:0", 7},
        {"p:1", -3},
        {"s:0 p:1 add:i64", 4},
        /* wrapping arithmetic */
        {"c:2147483647 c:1 add:i32", INT32_MIN},
        {"c:250 c:10 add:u8", 4},
        {"c:0 c:1 sub:u32", 4294967295LL},
        {"c:0 c:1 sub:i64", -1},
        {"c:4611686018427387904 c:2 mul:i64", INT64_MIN},
        {"c:300 c:300 mul:i16", 24464},
        {"c:200 c:2 mul:i8", -112},
        /* operands are wrapped into the op's dtype first */
        {"c:256 c:1 add:u8", 1},
        {"c:65536 c:3 mul:i32", 196608},
        /* truncating division, x/0 = 0, INT_MIN/-1 = INT_MIN */
        {"c:-7 c:2 div:i32", -3},
        {"c:-7 c:2 rem:i32", -1},
        {"c:7 c:-2 div:i32", -3},
        {"c:7 c:-2 rem:i32", 1},
        {"c:5 c:0 div:i32", 0},
        {"c:5 c:0 rem:i32", 0},
        {"c:5 c:0 div:u64", 0},
        {"c:-2147483648 c:-1 div:i32", INT32_MIN},
        {"c:-2147483648 c:-1 rem:i32", 0},
        {"c:-9223372036854775808 c:-1 div:i64", INT64_MIN},
        {"c:-9223372036854775808 c:-1 rem:i64", 0},
        {"c:-128 c:-1 div:i8", -128},
        {"c:-1 c:2 div:u32", 2147483647},
        {"c:-1 c:10 rem:u8", 5},
        {"c:-1 c:2 div:u64", INT64_MAX},
        /* max / min, signed and unsigned */
        {"c:-1 c:1 max:i32", 1},
        {"c:-1 c:1 max:u32", 4294967295LL},
        {"c:-1 c:3 min:u8", 3},
        {"c:-1 c:3 min:i8", -1},
        {"c:-1 c:3 max:u64", -1},
        /* bitwise and logical */
        {"c:12 c:10 and:i32", 8},
        {"c:12 c:10 or:i32", 14},
        {"c:12 c:10 xor:i32", 6},
        {"c:2 c:1 and:bool", 1},
        {"c:1 c:1 xor:bool", 0},
        {"c:0 c:0 or:bool", 0},
        /* shifts */
        {"c:1 c:31 shl:i32", INT32_MIN},
        {"c:1 c:32 shl:i32", 0},
        {"c:1 c:-1 shl:i32", 0},
        {"c:1 c:7 shl:u8", 128},
        {"c:1 c:8 shl:u8", 0},
        {"c:3 c:7 shl:i8", -128},
        {"c:1 c:63 shl:i64", INT64_MIN},
        {"c:1 c:64 shl:i64", 0},
        {"c:-16 c:2 shr:i32", -4},
        {"c:-16 c:40 shr:i32", -1},
        {"c:-16 c:-1 shr:i32", -1},
        {"c:16 c:40 shr:i32", 0},
        {"c:-16 c:2 shr:u32", 1073741820},
        {"c:-1 c:32 shr:u32", 0},
        {"c:-1 c:63 shr:i64", -1},
        {"c:-1 c:63 shr:u64", 1},
        {"c:-9223372036854775808 c:64 shr:i64", -1},
        {"c:128 c:1 shr:i8", -64},
        /* comparisons give 0/1; unsigned for u* */
        {"c:-1 c:1 lt:i32", 1},
        {"c:-1 c:1 lt:u32", 0},
        {"c:-1 c:1 lt:u64", 0},
        {"c:3 c:3 le:i32", 1},
        {"c:4 c:3 le:i32", 0},
        {"c:4 c:3 gt:i32", 1},
        {"c:-1 c:3 gt:u8", 1},
        {"c:3 c:3 ge:i16", 1},
        {"c:2 c:3 ge:i16", 0},
        {"c:256 c:0 eq:u8", 1},
        {"c:256 c:0 ne:u8", 0},
        {"c:5 c:6 ne:i64", 1},
        {"c:2 c:1 eq:bool", 1},
        {"c:0 c:1 lt:bool", 1},
        /* unary */
        {"c:5 neg:i32", -5},
        {"c:-2147483648 neg:i32", INT32_MIN},
        {"c:-9223372036854775808 neg:i64", INT64_MIN},
        {"c:1 neg:u8", 255},
        {"c:0 not:i32", -1},
        {"c:0 not:u8", 255},
        {"c:0 not:bool", 1},
        {"c:5 not:bool", 0},
        /* select and cast */
        {"c:1 c:10 c:20 select:i32", 10},
        {"c:0 c:10 c:20 select:i32", 20},
        {"c:-7 c:10 c:20 select:i32", 10},
        {"c:1 c:300 c:20 select:u8", 44},
        {"c:1 c:300 c:20 select", 300}, /* as the compiler writes it: operands already wrapped */
        {"c:0 c:300 c:-20 select", -20},
        {"c:300 cast:u8", 44},
        {"c:-1 cast:u16", 65535},
        {"c:65535 cast:i16", -1},
        {"c:7 cast:bool", 1},
        {"c:0 cast:bool", 0},
        {"c:4294967296 cast:i32", 0},
        {"c:4294967295 cast:u32", 4294967295LL},
        {"c:-1 cast:u64", -1},
        /* a longer program: cdiv(N, 2) * 3 */
        {"s:0 c:1 add:i32 c:2 div:i32 c:3 mul:i32", 12},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect_grid_value(rt, cases[i].prog, cases[i].v);
    tilec_runtime_destroy(rt);
}

static void grid_extents(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt(2);
    tilec_module *m = NULL;
    tilec_kernel *k = NULL;
    assert_int_equal(load_grid(rt, 3, "axis p:1\naxis p:1\naxis p:1\n", &m, &k), TILEC_OK);
    int8_t t[1] = {0};
    int64_t n = 1;
    tilec_arg args[2] = {tilec_arg_tensor(tilec_tensor_contiguous(t, TILEC_I8, 1, &n)), tilec_arg_int(2)};
    int32_t grid[3];
    assert_int_equal(tilec_kernel_check(k, args, 2, grid), TILEC_OK);
    assert_int_equal(grid[0], 2);
    assert_int_equal(grid[1], 2);
    assert_int_equal(grid[2], 2);
    atomic_store(&g_calls, 0);
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_OK);
    assert_int_equal(atomic_load(&g_calls), 8);
    /* Extents <= 0 launch nothing, successfully. */
    static const int64_t empty[] = {0, -5, INT64_MIN};
    for (size_t i = 0; i < 3; i++) {
        args[1] = tilec_arg_int(empty[i]);
        assert_int_equal(tilec_kernel_check(k, args, 2, grid), TILEC_OK);
        assert_int_equal(grid[0], 0);
        atomic_store(&g_calls, 0);
        assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_OK);
        assert_int_equal(atomic_load(&g_calls), 0);
        assert_string_equal(tilec_runtime_message(rt), "");
    }
    args[1] = tilec_arg_int(2147483648LL);
    assert_int_equal(tilec_kernel_check(k, args, 2, grid), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "kernel 'g': grid axis 0 has extent 2147483648, more than INT32_MAX");
    args[1] = tilec_arg_int(INT32_MAX);
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt),
                        "kernel 'g': grid 2147483647 x 2147483647 x 2147483647 has more than INT64_MAX program "
                        "instances");
    tilec_module_destroy(m);
    /* Missing axes are 1. */
    assert_int_equal(load_grid(rt, 1, "axis c:6\n", &m, &k), TILEC_OK);
    args[1] = tilec_arg_int(0);
    assert_int_equal(tilec_kernel_check(k, args, 2, grid), TILEC_OK);
    assert_int_equal(grid[0], 6);
    assert_int_equal(grid[1], 1);
    assert_int_equal(grid[2], 1);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

/* ---------------------------------------------------- bad signatures */

static const char *const base_lines[] = {
    "tilec-signature 1",            /* 1 */
    "kernel k",                     /* 2 */
    "warps 4",                      /* 3 */
    "scratch 0",                    /* 4 */
    "const BM int 128",             /* 5 */
    "param a tensor f32 in 2 M 64", /* 6 */
    "param n scalar i32",           /* 7 */
    "size M",                       /* 8 */
    "grid 1",                       /* 9 */
    "axis s:0 c:128 add:i32",       /* 10 */
    "end",                          /* 11 */
};
enum { NBASE = sizeof base_lines / sizeof base_lines[0] };

enum { REPLACE, INSERT, DELETE };

typedef struct bad_case {
    int line;        /* of base_lines, from 1 */
    int mode;        /* REPLACE it, INSERT before it, DELETE it */
    const char *text;
    int err_line;    /* the line the message must name */
    const char *why; /* a part of the message */
} bad_case;

static const bad_case bad_cases[] = {
    {1, REPLACE, "tilec-signature 2", 1, "unsupported signature version '2'"},
    {1, REPLACE, "hello", 1, "expected 'tilec-signature 1'"},
    {1, DELETE, NULL, 1, "expected 'tilec-signature 1'"},
    {2, REPLACE, "kernel 9k", 2, "kernel name '9k' is not an identifier"},
    {2, REPLACE, "kernel", 2, "'kernel' takes 1 field, found 0"},
    {3, INSERT, "kernel j", 3, "second 'kernel' line (the first is line 2)"},
    {3, REPLACE, "warps 4 5", 3, "'warps' takes 1 field, found 2"},
    {3, REPLACE, "warps -1", 3, "'warps' value '-1' is not an integer in [0, 1024]"},
    {3, REPLACE, "warps 2000", 3, "is not an integer in [0, 1024]"},
    {3, REPLACE, "warps  4", 3, "fields must be separated by single spaces"},
    {3, REPLACE, "warps 4 ", 3, "fields must be separated by single spaces"},
    {3, REPLACE, " warps 4", 3, "fields must be separated by single spaces"},
    {3, REPLACE, "warps\t4", 3, "invalid character 0x09 in column 6"},
    {3, REPLACE, "warps 4\r", 3, "invalid character 0x0d in column 8"},
    {3, REPLACE, "warps 4\xff", 3, "invalid character 0xff in column 8"},
    {3, REPLACE, "", 3, "empty line"},
    {3, DELETE, NULL, 10, "no 'warps' line before 'end'"},
    {4, REPLACE, "scratch 99999999999", 4, "'scratch' value '99999999999' is not an integer"},
    {4, REPLACE, "scratch x", 4, "'scratch' value 'x' is not an integer"},
    {5, REPLACE, "const BM int 12x", 5, "const 'BM': '12x' is not a 64-bit integer"},
    {5, REPLACE, "const BM int 99999999999999999999", 5, "is not a 64-bit integer"},
    {5, REPLACE, "const BM quux 1", 5, "const 'BM': unknown kind 'quux' (int, bool, float or dtype)"},
    {5, REPLACE, "const B bool 1", 5, "const 'B': '1' is not true or false"},
    {5, REPLACE, "const F float 1.5x", 5, "const 'F': '1.5x' is not a number"},
    {5, REPLACE, "const T dtype f8", 5, "const 'T': 'f8' is not a dtype"},
    {5, REPLACE, "const BM int", 5, "'const' takes 3 fields"},
    {5, REPLACE, "const a int 1", 6, "'a' is already declared on line 5"},
    {6, REPLACE, "param a tensor f8 in 2 M 64", 6, "param 'a': unknown dtype 'f8'"},
    {6, REPLACE, "param a tensor f32 readonly 2 M 64", 6, "param 'a': unknown access 'readonly'"},
    {6, REPLACE, "param a tensor f32 in,strided,strided 2 M 64", 6, "unknown access"},
    {6, REPLACE, "param a tensor f32 in 3 M 64", 6, "param 'a': rank 3 but 2 dims"},
    {6, REPLACE, "param a tensor f32 in 9 M 64", 6, "param 'a': rank '9' is not an integer in [0, 8]"},
    {6, REPLACE, "param a tensor f32 in 2 M 0", 6, "param 'a': dim 1 '0' is not a positive 32-bit integer"},
    {6, REPLACE, "param a tensor f32 in 2 M 4294967296", 6, "dim 1 '4294967296' is not a positive 32-bit integer"},
    {6, REPLACE, "param a tensor f32 in 2 M 6x", 6, "dim 1 '6x' is not a positive 32-bit integer"},
    {6, REPLACE, "param a tensor f32 in 2 M -4", 6, "dim 1 '-4' is neither a positive integer nor a name"},
    {6, REPLACE, "param a tensor f32 in 2 M Q", 6, "param 'a': dim 1 'Q' is not a declared size"},
    {6, REPLACE, "param a blob f32", 6, "param 'a': 'blob' is neither 'tensor' nor 'scalar'"},
    {6, REPLACE, "param a tensor f32", 6, "param 'a': a tensor needs an access and a rank"},
    {6, REPLACE, "param a", 6, "'param' needs a name"},
    {7, REPLACE, "param n scalar i32 x", 7, "param 'n': a scalar takes 3 fields, found 4"},
    {7, REPLACE, "param a scalar i32", 7, "'a' is already declared on line 6"},
    {7, REPLACE, "param n-1 scalar i32", 7, "param name 'n-1' is not an identifier"},
    {8, REPLACE, "size Q", 6, "param 'a': dim 0 'M' is not a declared size"},
    {9, INSERT, "size M", 9, "size 'M' is already declared on line 8"},
    {9, INSERT, "size Q", 9, "size 'Q' is not a dim of any tensor param"},
    {9, REPLACE, "grid 4", 9, "'grid' takes one integer in [1, 3]"},
    {9, REPLACE, "grid 0", 9, "'grid' takes one integer in [1, 3]"},
    {9, REPLACE, "grid 2", 11, "'grid 2' (line 9) needs 2 'axis' lines, found 1"},
    {9, DELETE, NULL, 9, "'axis' before 'grid'"},
    {11, INSERT, "axis c:1", 11, "more 'axis' lines than the 1 that 'grid' (line 9) declares"},
    {10, REPLACE, "axis s:1", 10, "axis 0: grid token 1: size 1 does not exist (1 sizes)"},
    {10, REPLACE, "axis p:0", 10, "axis 0: grid token 1: param 0 ('a') is not an integer or bool scalar"},
    {10, REPLACE, "axis p:2", 10, "param 2 does not exist (2 params)"},
    {10, REPLACE, "axis p:-1", 10, "grid token 'p:-1': negative index"},
    {10, REPLACE, "axis c:1 add:i32", 10, "axis 0: grid token 2 ('add') needs 2 operands but the stack holds 1"},
    {10, REPLACE, "axis c:1 c:2", 10, "axis 0: grid program leaves 2 values instead of 1"},
    {10, REPLACE, "axis c:1 add:f32", 10, "grid token 'add:f32': 'f32' is not an integer or bool dtype"},
    {10, REPLACE, "axis c:1 neg:bool", 10, "grid token 'neg:bool': 'neg' does not apply to bool"},
    {10, REPLACE, "axis c:1 frob:i32", 10, "unknown grid op 'frob' in 'frob:i32'"},
    {10, REPLACE, "axis c1", 10, "grid token 'c1' has no ':'"},
    {10, REPLACE, "axis c:1x", 10, "grid token 'c:1x': '1x' is not a 64-bit integer"},
    {10, REPLACE, "axis c:99999999999999999999", 10, "is not a 64-bit integer"},
    {10, REPLACE, "axis c:", 10, "is not a 64-bit integer"},
    {10, REPLACE, "axis c:+1", 10, "is not a 64-bit integer"},
    {10, REPLACE, "axis", 10, "'axis' without tokens"},
    {10, REPLACE, "axis c:1 cast:", 10, "'' is not an integer or bool dtype"},
    {11, REPLACE, "end now", 11, "'end' takes no fields"},
    {11, DELETE, NULL, 11, "missing 'end'"},
    {11, INSERT, "frob x", 11, "unknown item 'frob'"},
    {11, INSERT, "tilec-signature 1", 11, "'tilec-signature' is only allowed on line 1"},
};

/* Builds base_lines with one edit, joined with '\n' and a final '\n'. */
static void build_text(const bad_case *c, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 1; i <= NBASE; i++) {
        const char *line = base_lines[i - 1];
        if (i == c->line && c->mode == INSERT) len += (size_t)snprintf(out + len, cap - len, "%s\n", c->text);
        if (i == c->line && c->mode == DELETE) continue;
        if (i == c->line && c->mode == REPLACE) line = c->text;
        len += (size_t)snprintf(out + len, cap - len, "%s\n", line);
    }
}

/* Loads text as kernel 0 of a module; expects TILEC_ERR_SIGNATURE naming
 * line `line` and containing `why`. */
static void expect_bad_signature(tilec_runtime *rt, const char *text, int line, const char *why)
{
    tilec_cpu_kernel_desc d = {text, never_fn};
    tilec_module *m = (tilec_module *)&d; /* must be reset to NULL */
    tilec_status st = tilec_module_load_cpu(rt, &d, 1, &m);
    const char *msg = tilec_runtime_message(rt);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "kernel 0: signature line %d: ", line);
    if (st != TILEC_ERR_SIGNATURE || strncmp(msg, prefix, strlen(prefix)) != 0 || strstr(msg, why) == NULL)
        fail_msg("text:\n%s\nstatus %s, message '%s'; wanted '%s...%s'", text ? text : "(null)",
                 tilec_status_name(st), msg, prefix, why);
    assert_null(m);
}

static void base_signature_is_valid(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt(1);
    bad_case none = {0, REPLACE, NULL, 0, NULL};
    char text[4096];
    build_text(&none, text, sizeof text);
    tilec_cpu_kernel_desc d = {text, never_fn};
    tilec_module *m = NULL;
    assert_int_equal(tilec_module_load_cpu(rt, &d, 1, &m), TILEC_OK);
    tilec_module_destroy(m);
    /* Without the final newline, and with every kind of const, also valid. */
    static const char consts[] = "tilec-signature 1\nkernel k\nwarps 0\nscratch 0\nconst A int -5\nconst B bool true\n"
                                 "const C bool false\nconst D float -inf\nconst E float 1e-3\nconst F float nan\n"
                                 "const T dtype bf16\ngrid 1\naxis c:1\nend";
    d.signature = consts;
    assert_int_equal(tilec_module_load_cpu(rt, &d, 1, &m), TILEC_OK);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

static void malformed_signatures_name_their_line(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt(1);
    char text[8192];
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        build_text(&bad_cases[i], text, sizeof text);
        expect_bad_signature(rt, text, bad_cases[i].err_line, bad_cases[i].why);
    }
    expect_bad_signature(rt, "", 1, "empty signature text");
    expect_bad_signature(rt, NULL, 1, "no signature text");
    build_text(&(bad_case){0, REPLACE, NULL, 0, NULL}, text, sizeof text);
    strcat(text, "\n");
    expect_bad_signature(rt, text, 12, "text after 'end'");
    /* A line too long. */
    char *longline = malloc(8192);
    assert_non_null(longline);
    strcpy(longline, "tilec-signature 1\nkernel ");
    size_t n = strlen(longline);
    memset(longline + n, 'x', 5000);
    strcpy(longline + n + 5000, "\nend\n");
    expect_bad_signature(rt, longline, 2, "line longer than 4096 characters");
    /* A name too long (TILEC_SIG_MAX_NAME, tilec's identifier limit, is the
     * longest accepted: the text then fails on its next line). */
    longline[n + 257] = '\0';
    strcat(longline, "\nend\n");
    expect_bad_signature(rt, longline, 2, "kernel name longer than 256 characters");
    longline[n + 256] = '\0';
    strcat(longline, "\nend\n");
    expect_bad_signature(rt, longline, 3, "no 'warps' line before 'end'");
    /* Too many params, too many grid tokens, too deep a stack. */
    size_t len = (size_t)snprintf(longline, 8192, "tilec-signature 1\nkernel k\n");
    for (int i = 0; i < 65; i++) len += (size_t)snprintf(longline + len, 8192 - len, "param p%d scalar i32\n", i);
    expect_bad_signature(rt, longline, 67, "more than 64 params");
    len = (size_t)snprintf(longline, 8192, "tilec-signature 1\nkernel k\ngrid 1\naxis");
    for (int i = 0; i < 257; i++) len += (size_t)snprintf(longline + len, 8192 - len, " c:1");
    expect_bad_signature(rt, longline, 4, "more than 256 grid tokens");
    len = (size_t)snprintf(longline, 8192, "tilec-signature 1\nkernel k\nwarps 0\nscratch 0\ngrid 1\naxis");
    for (int i = 0; i < 65; i++) len += (size_t)snprintf(longline + len, 8192 - len, " c:1");
    for (int i = 0; i < 64; i++) len += (size_t)snprintf(longline + len, 8192 - len, " add:i32");
    snprintf(longline + len, 8192 - len, "\nend\n");
    expect_bad_signature(rt, longline, 6, "axis 0: grid program deeper than 64");
    /* Exactly at the limits is fine. */
    len = (size_t)snprintf(longline, 8192, "tilec-signature 1\nkernel k\nwarps 0\nscratch 0\ngrid 1\naxis");
    for (int i = 0; i < 64; i++) len += (size_t)snprintf(longline + len, 8192 - len, " c:1");
    for (int i = 0; i < 63; i++) len += (size_t)snprintf(longline + len, 8192 - len, " add:i32");
    snprintf(longline + len, 8192 - len, "\nend\n");
    tilec_cpu_kernel_desc d = {longline, never_fn};
    tilec_module *m = NULL;
    assert_int_equal(tilec_module_load_cpu(rt, &d, 1, &m), TILEC_OK);
    tilec_module_destroy(m);
    free(longline);
    tilec_runtime_destroy(rt);
}

/* Random edits of a valid text: every result is either accepted or
 * rejected with a line number; nothing crashes (run under ASan/valgrind). */
static void mutated_signatures_never_crash(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt(1);
    char base[2048], text[2048];
    build_text(&(bad_case){0, REPLACE, NULL, 0, NULL}, base, sizeof base);
    size_t n = strlen(base);
    uint64_t seed = 12345;
    static const char alphabet[] = " \n:abcdefgikmnprstuvxyz0123456789-,_\t";
    int accepted = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(text, base, n + 1);
        size_t len = n;
        int edits = 1 + iter % 4;
        for (int e = 0; e < edits; e++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t pos = (size_t)(seed >> 33) % (len + 1);
            int op = (int)((seed >> 20) % 3);
            char ch = alphabet[(seed >> 40) % (sizeof alphabet - 1)];
            if (op == 0 && pos < len) text[pos] = ch;
            else if (op == 1 && len + 1 < sizeof text) {
                memmove(text + pos + 1, text + pos, len - pos + 1);
                text[pos] = ch;
                len++;
            } else if (pos < len) {
                memmove(text + pos, text + pos + 1, len - pos);
                len--;
            }
        }
        tilec_cpu_kernel_desc d = {text, never_fn};
        tilec_module *m = NULL;
        tilec_status st = tilec_module_load_cpu(rt, &d, 1, &m);
        if (st == TILEC_OK) {
            accepted++;
            tilec_module_destroy(m);
        } else {
            assert_int_equal(st, TILEC_ERR_SIGNATURE);
            assert_non_null(strstr(tilec_runtime_message(rt), "signature line "));
        }
    }
    assert_true(accepted > 0);
    tilec_runtime_destroy(rt);
}

/* ------------------------------------------------- handles, modules */

static void messages_live_on_their_handle(void **state)
{
    (void)state;
    tilec_runtime *r1 = make_rt(1), *r2 = make_rt(2);
    tilec_module *m1 = NULL, *m2 = NULL;
    tilec_cpu_kernel_desc bad = {"tilec-signature 1\nkernel\n", never_fn};
    tilec_cpu_kernel_desc good = {vadd_sig, vadd_fn};
    assert_int_equal(tilec_module_load_cpu(r2, &good, 1, &m2), TILEC_OK);
    assert_int_equal(tilec_module_load_cpu(r1, &bad, 1, &m1), TILEC_ERR_SIGNATURE);
    assert_string_equal(tilec_runtime_message(r1), "kernel 0: signature line 2: 'kernel' takes 1 field, found 0");
    assert_string_equal(tilec_runtime_message(r2), "");
    tilec_kernel *k = NULL;
    assert_int_equal(tilec_module_get_kernel(m2, "nope", &k), TILEC_ERR_NOT_FOUND);
    assert_null(k);
    assert_string_equal(tilec_runtime_message(r2), "no kernel named 'nope' in the module");
    assert_string_equal(tilec_runtime_message(r1), "kernel 0: signature line 2: 'kernel' takes 1 field, found 0");
    /* A success clears the message of its own handle only. */
    assert_int_equal(tilec_module_get_kernel(m2, "vadd", &k), TILEC_OK);
    assert_string_equal(tilec_runtime_message(r2), "");
    assert_string_equal(tilec_runtime_message(r1), "kernel 0: signature line 2: 'kernel' takes 1 field, found 0");
    tilec_module_destroy(m2);
    tilec_runtime_destroy(r1);
    tilec_runtime_destroy(r2);
}

static void module_rejects_bad_descs(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt(1);
    tilec_module *m = NULL;
    tilec_cpu_kernel_desc two[2] = {{vadd_sig, vadd_fn}, {vadd_sig, vadd_fn}};
    assert_int_equal(tilec_module_load_cpu(rt, two, 2, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "kernel 1: a kernel named 'vadd' is already in the module (kernel 0)");
    assert_null(m);
    tilec_cpu_kernel_desc nofn = {vadd_sig, NULL};
    assert_int_equal(tilec_module_load_cpu(rt, &nofn, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "kernel 0: kernel 'vadd' has no function");
    two[1].signature = record_sig;
    two[1].fn = record_fn;
    assert_int_equal(tilec_module_load_cpu(rt, two, 2, &m), TILEC_OK);
    tilec_kernel *k = NULL;
    assert_int_equal(tilec_module_get_kernel(m, "record", &k), TILEC_OK);
    assert_string_equal(tilec_kernel_name(k), "record");
    tilec_module_destroy(m);
    assert_int_equal(tilec_module_load_cpu(rt, NULL, 0, &m), TILEC_OK); /* an empty module */
    assert_int_equal(tilec_module_get_kernel(m, "x", &k), TILEC_ERR_NOT_FOUND);
    tilec_module_destroy(m);
    assert_int_equal(tilec_module_load_cpu(NULL, two, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_int_equal(tilec_module_load_cpu(rt, NULL, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "tilec_module_load_cpu: null kernels");
    tilec_runtime_destroy(rt);
}

static void runtime_options(void **state)
{
    (void)state;
    tilec_runtime *rt = NULL;
    tilec_runtime_options o = {sizeof o, TILEC_BACKEND_CUDA, 0};
    /* a driver that is not there: unsupported, even on a machine with a GPU */
    setenv("TILEC_CUDA_LIBRARY", "/nonexistent/libcuda.so.1", 1);
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_ERR_UNSUPPORTED);
    unsetenv("TILEC_CUDA_LIBRARY");
    assert_null(rt);
    o.backend = 42;
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_ERR_INVALID_ARGUMENT);
    o.backend = TILEC_BACKEND_CPU;
    o.num_threads = -1;
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_ERR_INVALID_ARGUMENT);
    assert_int_equal(tilec_runtime_create(&o, NULL), TILEC_ERR_INVALID_ARGUMENT);

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(setenv("TILEC_NUM_THREADS", "3", 1), 0);
    o.num_threads = 0;
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_OK);
    assert_int_equal(tilec_runtime_num_threads(rt), 3);
    tilec_runtime_destroy(rt);
    assert_int_equal(tilec_runtime_create(NULL, &rt), TILEC_OK); /* defaults honour it too */
    assert_int_equal(tilec_runtime_num_threads(rt), 3);
    tilec_runtime_destroy(rt);
    o.num_threads = 5; /* an explicit count wins */
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_OK);
    assert_int_equal(tilec_runtime_num_threads(rt), 5);
    tilec_runtime_destroy(rt);
    static const char *const junk[] = {"abc", "0", "-2", "4x", ""};
    o.num_threads = 0;
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(setenv("TILEC_NUM_THREADS", junk[i], 1), 0);
        assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_OK);
        assert_int_equal(tilec_runtime_num_threads(rt), cores);
        tilec_runtime_destroy(rt);
    }
    assert_int_equal(unsetenv("TILEC_NUM_THREADS"), 0);
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_OK);
    assert_int_equal(tilec_runtime_num_threads(rt), cores);
    tilec_runtime_destroy(rt);
    /* A struct from an older header (size covers only backend) still works. */
    o.size = offsetof(tilec_runtime_options, num_threads);
    o.num_threads = 77;
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_OK);
    assert_int_equal(tilec_runtime_num_threads(rt), cores);
    tilec_runtime_destroy(rt);
}

/* ---------------------------------------------------------- helpers */

static void status_and_dtype_names(void **state)
{
    (void)state;
    assert_string_equal(tilec_status_name(TILEC_OK), "TILEC_OK");
    assert_string_equal(tilec_status_name(TILEC_ERR_INVALID_ARGUMENT), "TILEC_ERR_INVALID_ARGUMENT");
    assert_string_equal(tilec_status_name(TILEC_ERR_SIGNATURE), "TILEC_ERR_SIGNATURE");
    assert_string_equal(tilec_status_name(TILEC_ERR_NOT_FOUND), "TILEC_ERR_NOT_FOUND");
    assert_string_equal(tilec_status_name(TILEC_ERR_OUT_OF_MEMORY), "TILEC_ERR_OUT_OF_MEMORY");
    assert_string_equal(tilec_status_name(TILEC_ERR_BACKEND), "TILEC_ERR_BACKEND");
    assert_string_equal(tilec_status_name(TILEC_ERR_UNSUPPORTED), "TILEC_ERR_UNSUPPORTED");
    assert_string_equal(tilec_status_name((tilec_status)99), "TILEC_ERR_UNKNOWN");
    static const struct { int32_t dt; size_t size; const char *name; } dts[] = {
        {TILEC_BOOL, 1, "bool"}, {TILEC_I8, 1, "i8"},   {TILEC_I16, 2, "i16"},   {TILEC_I32, 4, "i32"},
        {TILEC_I64, 8, "i64"},   {TILEC_U8, 1, "u8"},   {TILEC_U16, 2, "u16"},   {TILEC_U32, 4, "u32"},
        {TILEC_U64, 8, "u64"},   {TILEC_F16, 2, "f16"}, {TILEC_BF16, 2, "bf16"}, {TILEC_F32, 4, "f32"},
        {TILEC_F64, 8, "f64"},
    };
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        assert_int_equal(tilec_dtype_size(dts[i].dt), dts[i].size);
        assert_string_equal(tilec_dtype_name(dts[i].dt), dts[i].name);
    }
    assert_int_equal(tilec_dtype_size(TILEC_DTYPE_COUNT), 0);
    assert_int_equal(tilec_dtype_size(-1), 0);
    assert_string_equal(tilec_dtype_name(-1), "unknown");
}

static void contiguous_tensor(void **state)
{
    (void)state;
    int x;
    int64_t sizes[3] = {2, 3, 5};
    tilec_tensor t = tilec_tensor_contiguous(&x, TILEC_I32, 3, sizes);
    assert_ptr_equal(t.data, &x);
    assert_int_equal(t.dtype, TILEC_I32);
    assert_int_equal(t.rank, 3);
    assert_int_equal(t.sizes[0], 2);
    assert_int_equal(t.sizes[2], 5);
    assert_int_equal(t.strides[0], 15);
    assert_int_equal(t.strides[1], 5);
    assert_int_equal(t.strides[2], 1);
    assert_int_equal(t.sizes[3], 0);
    assert_int_equal(t.strides[3], 0);
    tilec_tensor s = tilec_tensor_contiguous(NULL, TILEC_F64, 0, NULL);
    assert_int_equal(s.rank, 0);
    assert_null(s.data);
    int64_t z[2] = {0, 4};
    tilec_tensor e = tilec_tensor_contiguous(NULL, TILEC_F32, 2, z);
    assert_int_equal(e.strides[0], 4);
    assert_int_equal(e.strides[1], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_add_runs),
        cmocka_unit_test(every_program_id_runs_once),
        cmocka_unit_test(scratch_is_aligned_and_sized),
        cmocka_unit_test_setup_teardown(check_accepts_valid_arguments, chk_setup, chk_teardown),
        cmocka_unit_test_setup_teardown(check_counts_and_kinds, chk_setup, chk_teardown),
        cmocka_unit_test_setup_teardown(check_scalar_ranges, chk_setup, chk_teardown),
        cmocka_unit_test_setup_teardown(check_dtype_and_rank, chk_setup, chk_teardown),
        cmocka_unit_test_setup_teardown(check_sizes, chk_setup, chk_teardown),
        cmocka_unit_test_setup_teardown(check_innermost_stride, chk_setup, chk_teardown),
        cmocka_unit_test_setup_teardown(check_null_data, chk_setup, chk_teardown),
        cmocka_unit_test_setup_teardown(check_output_overlap, chk_setup, chk_teardown),
        cmocka_unit_test(grid_ops),
        cmocka_unit_test(grid_extents),
        cmocka_unit_test(base_signature_is_valid),
        cmocka_unit_test(malformed_signatures_name_their_line),
        cmocka_unit_test(mutated_signatures_never_crash),
        cmocka_unit_test(messages_live_on_their_handle),
        cmocka_unit_test(module_rejects_bad_descs),
        cmocka_unit_test(runtime_options),
        cmocka_unit_test(status_and_dtype_names),
        cmocka_unit_test(contiguous_tensor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
