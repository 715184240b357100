/*
 * gemm_main.c — examples/gemm.tile compiled ahead of time and linked into a C
 * program: no compiler and no LLVM at run time, only the tilec runtime.
 *
 *   tilec examples/gemm.tile -D T=f32 --emit=obj -o gemm.o   (writes gemm.h too)
 *   cc -Iinclude -I. examples/aot/gemm_main.c gemm.o libtilec_runtime.a -lpthread -ldl -lm
 *   ./a.out [M N K] [repeats]
 *
 * It fills a and b with small integers (so every product and sum is exact in
 * f32), launches the kernel through the header's tilec_launch_gemm, and
 * compares c with a plain triple loop (at most 64 sampled rows when the
 * matrices are large). It also checks that a wrong launch (a transposed
 * tensor) is refused with a message. Exit status 0 when all is right.
 * With repeats > 0 it times that many launches and prints GFLOP/s.
 */
#include "gemm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static tilec_tensor matrix(float *data, int64_t rows, int64_t cols)
{
    tilec_tensor t;
    memset(&t, 0, sizeof t);
    t.data = data;
    t.dtype = TILEC_F32;
    t.rank = 2;
    t.sizes[0] = rows;
    t.sizes[1] = cols;
    t.strides[0] = cols;
    t.strides[1] = 1;
    return t;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const char *what, tilec_runtime *rt)
{
    fprintf(stderr, "gemm_main: %s%s%s\n", what, rt ? ": " : "", rt ? tilec_runtime_message(rt) : "");
    return 1;
}

int main(int argc, char **argv)
{
    int64_t M = argc > 3 ? atoll(argv[1]) : 131, N = argc > 3 ? atoll(argv[2]) : 77, K = argc > 3 ? atoll(argv[3]) : 45;
    int repeats = argc > 4 ? atoi(argv[4]) : 0;
    const float alpha = 0.5f;
    if (M < 1 || N < 1 || K < 1 || repeats < 0) {
        fprintf(stderr, "usage: %s [M N K] [repeats]\n", argv[0]);
        return 2;
    }
    float *a = malloc(sizeof(float) * (size_t)(M * K)), *b = malloc(sizeof(float) * (size_t)(K * N));
    float *c = malloc(sizeof(float) * (size_t)(M * N));
    if (!a || !b || !c) return fail("out of memory", NULL);
    for (int64_t i = 0; i < M * K; i++) a[i] = (float)((i * 7 + 3) % 9) - 4.0f;
    for (int64_t i = 0; i < K * N; i++) b[i] = (float)((i * 5 + 1) % 7) - 3.0f;
    for (int64_t i = 0; i < M * N; i++) c[i] = -12345.0f;

    tilec_runtime_options opt = {sizeof opt, TILEC_BACKEND_CPU, 0};
    tilec_runtime *rt;
    char msg[256];
    if (tilec_runtime_create_ex(&opt, 0, &rt, msg, sizeof msg) != TILEC_OK) return fail(msg, NULL);
    tilec_module *mod;
    tilec_kernel *kern;
    if (tilec_gemm_load(rt, &mod) != TILEC_OK) return fail("loading the module", rt);
    if (tilec_module_get_kernel(mod, "gemm", &kern) != TILEC_OK) return fail("finding kernel gemm", rt);

    tilec_tensor ta = matrix(a, M, K), tb = matrix(b, K, N), tc = matrix(c, M, N);
    if (tilec_launch_gemm(kern, &ta, &tb, &tc, alpha) != TILEC_OK) return fail("launch", rt);

    /* Exact reference: integer products summed in any order are exact while |sum| < 2^24. */
    int64_t step = M > 64 ? M / 64 : 1, bad = 0;
    for (int64_t i = 0; i < M; i += step)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++) s += (double)a[i * K + k] * b[k * N + j];
            float want = (float)s * alpha;
            if (c[i * N + j] != want && bad++ < 5)
                fprintf(stderr, "gemm_main: c[%lld, %lld] = %g, want %g\n", (long long)i, (long long)j, c[i * N + j],
                        want);
        }
    if (bad) return fail("wrong result", NULL);

    /* b given as [N, K]: the sizes do not match the signature, the launch must be refused. */
    tilec_tensor wrong = matrix(b, N, K);
    if (N != K && tilec_launch_gemm(kern, &ta, &wrong, &tc, alpha) == TILEC_OK)
        return fail("a launch with b of the wrong shape was accepted", NULL);
    printf("gemm %lldx%lldx%lld: result checked (%s rows), %d threads\n", (long long)M, (long long)N, (long long)K,
           step == 1 ? "all" : "64 sampled", tilec_runtime_num_threads(rt));
    if (N != K) printf("wrong shape refused: %s\n", tilec_runtime_message(rt));

    if (repeats) {
        double t0 = now_s();
        for (int r = 0; r < repeats; r++)
            if (tilec_launch_gemm(kern, &ta, &tb, &tc, alpha) != TILEC_OK) return fail("launch", rt);
        double s = (now_s() - t0) / repeats;
        printf("%.3f ms per launch, %.1f GFLOP/s\n", s * 1e3, 2.0 * (double)M * (double)N * (double)K / s * 1e-9);
    }
    tilec_module_destroy(mod);
    tilec_runtime_destroy(rt);
    free(a);
    free(b);
    free(c);
    return 0;
}
