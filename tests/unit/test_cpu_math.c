/*
 * test_cpu_math.c — accuracy of the CPU target's f32 math (exp, exp2, log,
 * log2, tanh, erf, sigmoid, sqrt, rsqrt): each op runs in a JIT-compiled
 * kernel over a dense sweep of inputs and is compared with the same function
 * in double precision. Prints the worst error seen (docs/cpu.md quotes these
 * numbers) and asserts the bounds the docs promise.
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

/* Builds `kernel k(x: f32[N], y: out f32[N]) grid(cdiv(N, 1024))` applying opc. */
static TcIrModule *unary_kernel(TcArena *a, TcOpcode opc)
{
    TcIrModule *m = tc_ir_module_new(a);
    TcIrFunc *f = tc_ir_func_new(m, "k", (TcSpan){0});
    TcDim d = {0, "N"};
    TcIrValue *x = tc_ir_func_add_param(f, "x", tc_type_tensor(m, TC_F32, 1, &d, 0));
    TcIrValue *y = tc_ir_func_add_param(f, "y", tc_type_tensor(m, TC_F32, 1, &d, TC_TENSOR_OUT));
    TcIrValue *n = tc_ir_func_add_size(f, "N");
    TcIrBuilder b;
    tc_ir_builder_at_end(&b, f, f->grid);
    TcIrValue *blk = tc_ir_build_const_int(&b, TC_I32, 1024);
    TcIrValue *one = tc_ir_build_const_int(&b, TC_I32, 1);
    TcIrValue *g = tc_ir_build_binary(&b, TC_OP_DIV,
                                      tc_ir_build_binary(&b, TC_OP_SUB, tc_ir_build_binary(&b, TC_OP_ADD, n, blk), one), blk);
    tc_ir_build_yield(&b, 1, &g);
    tc_ir_builder_at_end(&b, f, f->body);
    TcIrValue *pid = tc_ir_build_program_id(&b, TC_OP_PROGRAM_ID, 0);
    TcIrValue *off = tc_ir_build_binary(&b, TC_OP_MUL, pid, tc_ir_build_const_int(&b, TC_I32, 1024));
    int64_t shape = 1024;
    TcIrValue *t = tc_ir_build_load(&b, x, &off, NULL, tc_type_tile(m, TC_F32, 1, &shape));
    tc_ir_build_store(&b, y, &off, tc_ir_build_unary(&b, opc, t));
    return m;
}

typedef struct Case {
    TcOpcode opc;
    double (*ref)(double);
    double lo, hi;
    double max_rel;   /* bound on |got - ref| / max(|ref|, tiny) */
    double max_abs;   /* or on |got - ref| (whichever the doc states) */
} Case;

static double sigmoid_d(double x) { return 1.0 / (1.0 + exp(-x)); }
static double rsqrt_d(double x) { return 1.0 / sqrt(x); }

static void check_case(const Case *cs)
{
    TcArena a;
    tc_arena_init(&a);
    TcDiagEngine de;
    tc_diag_init(&de, &a);
    TcIrModule *m = unary_kernel(&a, cs->opc);
    assert_true(tc_ir_verify_module(m, &de, NULL));
    TcCpuOptions opt = {.opt_level = 3};
    TcJit *j = NULL;
    assert_true(tc_jit_compile(m, &opt, &de, &j));
    size_t nk;
    const tilec_cpu_kernel_desc *kd = tc_jit_kernels(j, &nk);
    tilec_runtime_options ro = {sizeof ro, TILEC_BACKEND_CPU, 1};
    tilec_runtime *rt;
    tilec_module *mod;
    tilec_kernel *k;
    assert_int_equal(tilec_runtime_create(&ro, &rt), TILEC_OK);
    assert_int_equal(tilec_module_load_cpu(rt, kd, nk, &mod), TILEC_OK);
    assert_int_equal(tilec_module_get_kernel(mod, "k", &k), TILEC_OK);
    const int64_t n = 1 << 20;
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(cs->lo + (cs->hi - cs->lo) * (double)i / (double)(n - 1));
    tilec_arg args[2] = {{.kind = TILEC_ARG_TENSOR}, {.kind = TILEC_ARG_TENSOR}};
    args[0].tensor = tilec_tensor_contiguous(x, TILEC_F32, 1, &n);
    args[1].tensor = tilec_tensor_contiguous(y, TILEC_F32, 1, &n);
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_OK);
    double worst_rel = 0, worst_abs = 0, at_rel = 0, at_abs = 0;
    for (int64_t i = 0; i < n; i++) {
        double r = cs->ref(x[i]), d = fabs((double)y[i] - r);
        if (isinf(r) && y[i] == r) continue;
        double rel = d / fmax(fabs(r), 1e-30);
        if (rel > worst_rel) worst_rel = rel, at_rel = x[i];
        if (d > worst_abs) worst_abs = d, at_abs = x[i];
    }
    printf("  %-8s on [%g, %g]: max rel err %.3g (at %.9g), max abs err %.3g (at %.9g)\n", tc_op_info(cs->opc)->name,
           cs->lo, cs->hi, worst_rel, at_rel, worst_abs, at_abs);
    if (cs->max_rel > 0) assert_true(worst_rel <= cs->max_rel);
    if (cs->max_abs > 0) assert_true(worst_abs <= cs->max_abs);
    free(x);
    free(y);
    tilec_module_destroy(mod);
    tilec_runtime_destroy(rt);
    tc_jit_free(j);
    tc_ir_module_free(m);
    tc_arena_free(&a);
}

static void f32_math_accuracy(void **state)
{
    (void)state;
    const Case cases[] = {
        {TC_OP_EXP, exp, -87.0, 88.0, 4e-7, 0},
        {TC_OP_EXP2, exp2, -125.0, 127.0, 4e-7, 0},
        {TC_OP_LOG, log, 1e-30, 1e30, 4e-7, 0},
        {TC_OP_LOG2, log2, 1e-30, 1e30, 4e-7, 0},
        {TC_OP_SQRT, sqrt, 0.0, 1e30, 1.2e-7, 0},
        {TC_OP_RSQRT, rsqrt_d, 1e-30, 1e30, 2.5e-7, 0},
        {TC_OP_SIGMOID, sigmoid_d, -80.0, 80.0, 0, 2e-7},
        {TC_OP_TANH, tanh, -10.0, 10.0, 0, 3e-7},
        {TC_OP_TANH, tanh, -0.6, 0.6, 4e-7, 0},
        {TC_OP_ERF, erf, -6.0, 6.0, 0, 4e-7},
        {TC_OP_ERF, erf, -0.5, 0.5, 4e-7, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(f32_math_accuracy)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
