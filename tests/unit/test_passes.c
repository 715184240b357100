/*
 * test_passes.c — the pass registry, the pipeline parser and manager, and
 * the canonicalize, cse and dce passes on IR built with the builder.
 *
 * Each test builds a kernel whose results reach a `store` (so dce keeps
 * them), runs a pipeline and inspects the ops. Folded values are read back
 * through the store: stored_scalar() looks through the splat that makes a
 * scalar storable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "passes.h"

/* ------------------------------------------------------------ fixture */

typedef struct Fx {
    TcArena arena;
    TcDiagEngine de;
    TcIrModule *m;
    TcIrFunc *f;
    TcIrBuilder b;    /* at the end of the body */
    unsigned nouts;   /* tensor params made by fx_store */
} Fx;

static Fx *fx_new(void)
{
    Fx *x = test_calloc(1, sizeof *x);
    tc_arena_init(&x->arena);
    tc_diag_init(&x->de, &x->arena);
    x->m = tc_ir_module_new(&x->arena);
    x->f = tc_ir_func_new(x->m, "k", (TcSpan){0});
    TcIrBuilder g;
    tc_ir_builder_at_end(&g, x->f, x->f->grid);
    TcIrValue *one = tc_ir_build_const_int(&g, TC_I32, 1);
    tc_ir_build_yield(&g, 1, &one);
    tc_ir_builder_at_end(&x->b, x->f, x->f->body);
    return x;
}

static void fx_free(Fx *x)
{
    tc_ir_module_free(x->m);
    tc_arena_free(&x->arena);
    test_free(x);
}

static TcType *scalar(Fx *x, TcDtype dt) { return tc_type_scalar(x->m, dt); }

static TcType *tile2(Fx *x, TcDtype dt, int64_t d0, int64_t d1)
{
    int64_t s[2] = {d0, d1};
    return tc_type_tile(x->m, dt, 2, s);
}

/* A scalar kernel parameter. */
static TcIrValue *param(Fx *x, const char *name, TcDtype dt)
{
    return tc_ir_func_add_param(x->f, name, scalar(x, dt));
}

/* A read-only tensor parameter of the given tile's shape. */
static TcIrValue *in_tensor(Fx *x, const char *name, const TcType *t)
{
    TcDim d[TC_MAX_RANK];
    for (unsigned i = 0; i < t->rank; i++) d[i] = (TcDim){t->shape[i], NULL};
    return tc_ir_func_add_param(x->f, name, tc_type_tensor(x->m, t->dtype, t->rank, d, 0));
}

static TcIrValue *load(Fx *x, TcIrValue *tensor, TcType *t, TcIrBuilder *b)
{
    TcIrValue *off[TC_MAX_RANK];
    for (unsigned i = 0; i < t->rank; i++) off[i] = tc_ir_build_const_int(b, TC_I32, 0);
    return tc_ir_build_load(b, tensor, off, NULL, t);
}

/* Stores v (a scalar is splat to [1]) to a fresh out tensor; returns the store. */
static TcIrOp *store_with(Fx *x, TcIrBuilder *b, TcIrValue *v)
{
    const TcType *t = v->type;
    int64_t one = 1;
    if (tc_type_is_scalar(t)) {
        v = tc_ir_build_splat(b, v, tc_type_tile(x->m, t->dtype, 1, &one));
        t = v->type;
    }
    TcDim d[TC_MAX_RANK];
    TcIrValue *off[TC_MAX_RANK];
    for (unsigned i = 0; i < t->rank; i++) {
        d[i] = (TcDim){t->shape[i], NULL};
        off[i] = tc_ir_build_const_int(b, TC_I32, 0);
    }
    char name[16];
    snprintf(name, sizeof name, "o%u", x->nouts++);
    TcIrValue *o = tc_ir_func_add_param(x->f, name,
                                        tc_type_tensor(x->m, t->dtype, t->rank, d, TC_TENSOR_OUT));
    return tc_ir_build_store(b, o, off, v);
}

static TcIrOp *store(Fx *x, TcIrValue *v) { return store_with(x, &x->b, v); }

static TcIrValue *stored(const TcIrOp *st) { return st->operands[st->noperands - 1]; }

/* The stored value, looking through the splat of a stored scalar. */
static TcIrValue *stored_scalar(const TcIrOp *st)
{
    TcIrValue *v = stored(st);
    if (v->def && v->def->opc == TC_OP_SPLAT && v->type->numel == 1) v = v->def->operands[0];
    return v;
}

static bool run_pipeline(Fx *x, const char *spec)
{
    TcPipeline p;
    assert_true(tc_pipeline_parse(spec, &x->arena, &x->de, &p));
    return tc_pipeline_run(&p, x->m, &x->de, NULL, NULL, NULL);
}

static void canon(Fx *x) { assert_true(run_pipeline(x, "canonicalize")); }

static uint32_t count_in(const TcIrBlock *b, TcOpcode opc)
{
    uint32_t n = 0;
    for (const TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc == opc) n++;
        for (uint32_t r = 0; r < op->nregions; r++) n += count_in(op->regions[r], opc);
    }
    return n;
}

static uint32_t count(const Fx *x, TcOpcode opc) { return count_in(x->f->body, opc); }

static bool has_diag(const Fx *x, TcDiagCode code, const char *text)
{
    for (uint32_t i = 0; i < x->de.diags.len; i++) {
        const TcDiag *d = x->de.diags.data[i];
        if (d->code == code && (!text || strstr(d->msg, text))) return true;
    }
    return false;
}

static void assert_const_int(TcIrValue *v, int64_t k)
{
    assert_non_null(v->def);
    assert_int_equal(v->def->opc, TC_OP_CONST);
    assert_int_equal(v->def->ival, k);
}

/* Bitwise equality, so -0.0 and NaN are told apart and matched. */
static void assert_const_float(TcIrValue *v, double k)
{
    assert_non_null(v->def);
    assert_int_equal(v->def->opc, TC_OP_CONST);
    if (isnan(k)) {
        assert_true(isnan(v->def->fval));
        return;
    }
    assert_memory_equal(&v->def->fval, &k, sizeof k);
}

/* ------------------------------------------------------------ pipeline */

static void test_registry(void **state)
{
    (void)state;
    uint32_t n = 0;
    const TcPass *const *all = tc_pass_registry(&n);
    assert_int_equal(n, 6);
    assert_string_equal(all[0]->name, "canonicalize");
    assert_string_equal(all[1]->name, "cse");
    assert_string_equal(all[2]->name, "dce");
    assert_string_equal(all[3]->name, "tiling");
    assert_string_equal(all[4]->name, "pipeline");
    assert_string_equal(all[5]->name, "smem");
    assert_ptr_equal(tc_pass_find("cse"), &tc_pass_cse);
    assert_ptr_equal(tc_pass_find("dce"), &tc_pass_dce);
    assert_ptr_equal(tc_pass_find("canonicalize"), &tc_pass_canonicalize);
    assert_null(tc_pass_find("cs"));
    assert_null(tc_pass_find(""));
    for (uint32_t i = 0; i < n; i++) assert_non_null(all[i]->summary);
}

static void test_pipeline_parse_good(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcPipeline p;
    assert_true(tc_pipeline_parse(TC_DEFAULT_PIPELINE, &x->arena, &x->de, &p));
    assert_int_equal(p.len, 3);
    assert_ptr_equal(p.passes[0], &tc_pass_canonicalize);
    assert_ptr_equal(p.passes[1], &tc_pass_cse);
    assert_ptr_equal(p.passes[2], &tc_pass_dce);

    assert_true(tc_pipeline_parse("  dce ,\tcse,dce  ", &x->arena, &x->de, &p));
    assert_int_equal(p.len, 3);
    assert_ptr_equal(p.passes[0], &tc_pass_dce);
    assert_ptr_equal(p.passes[1], &tc_pass_cse);
    assert_ptr_equal(p.passes[2], &tc_pass_dce);

    assert_true(tc_pipeline_parse("", &x->arena, &x->de, &p));
    assert_int_equal(p.len, 0);
    assert_true(tc_pipeline_parse("   ", &x->arena, &x->de, &p));
    assert_int_equal(p.len, 0);
    assert_int_equal(x->de.nerrors, 0);
    fx_free(x);
}

static void test_pipeline_parse_unknown(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcPipeline p;
    assert_false(tc_pipeline_parse("cse, foo ,dce,bar", &x->arena, &x->de, &p));
    assert_int_equal(x->de.nerrors, 2);
    assert_true(has_diag(x, TC_E_PIPELINE, "unknown pass 'foo'; known passes: canonicalize, cse, dce"));
    assert_true(has_diag(x, TC_E_PIPELINE, "unknown pass 'bar'"));
    assert_int_equal(p.len, 0);
    fx_free(x);
}

static void test_pipeline_parse_empty_element(void **state)
{
    (void)state;
    const char *bad[] = {"cse,,dce", "cse,", ",cse", " , "};
    for (size_t i = 0; i < TC_ARRAY_LEN(bad); i++) {
        Fx *x = fx_new();
        TcPipeline p;
        assert_false(tc_pipeline_parse(bad[i], &x->arena, &x->de, &p));
        assert_true(has_diag(x, TC_E_PIPELINE, "empty pass name"));
        assert_true(has_diag(x, TC_E_PIPELINE, "known passes: canonicalize, cse, dce"));
        fx_free(x);
    }
}

static void test_print_after_all_and_timings(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *c = tc_ir_build_const_int(&x->b, TC_I32, 2);
    store(x, tc_ir_build_binary(&x->b, TC_OP_ADD, c, c));
    TcPipeline p;
    assert_true(tc_pipeline_parse("canonicalize,cse,dce", &x->arena, &x->de, &p));
    TcPassOptions opt = {.print_after_all = true, .time_passes = true};
    TcStrBuf dumps, timings;
    tc_sb_init(&dumps);
    tc_sb_init(&timings);
    assert_true(tc_pipeline_run(&p, x->m, &x->de, &opt, &dumps, &timings));
    const char *h1 = strstr(dumps.data, "// -----// IR Dump After canonicalize //----- //\n");
    const char *h2 = strstr(dumps.data, "// -----// IR Dump After cse //----- //\n");
    const char *h3 = strstr(dumps.data, "// -----// IR Dump After dce //----- //\n");
    assert_non_null(h1);
    assert_non_null(h2);
    assert_non_null(h3);
    assert_true(h1 < h2 && h2 < h3);
    assert_non_null(timings.data);
    assert_non_null(strstr(timings.data, "wall ms"));
    assert_non_null(strstr(timings.data, "percent"));
    assert_non_null(strstr(timings.data, "canonicalize"));
    assert_non_null(strstr(timings.data, "cse"));
    assert_non_null(strstr(timings.data, "total"));
    assert_non_null(strstr(timings.data, "%"));
    tc_sb_free(&dumps);
    tc_sb_free(&timings);
    fx_free(x);
}

static void test_print_after_one(void **state)
{
    (void)state;
    Fx *x = fx_new();
    store(x, tc_ir_build_const_int(&x->b, TC_I32, 2));
    TcPipeline p;
    assert_true(tc_pipeline_parse("canonicalize,cse,dce", &x->arena, &x->de, &p));
    TcPassOptions opt = {.print_after = "cse"};
    TcStrBuf dumps;
    tc_sb_init(&dumps);
    assert_true(tc_pipeline_run(&p, x->m, &x->de, &opt, &dumps, NULL));
    assert_non_null(dumps.data);
    assert_non_null(strstr(dumps.data, "// -----// IR Dump After cse //----- //"));
    assert_null(strstr(dumps.data, "IR Dump After canonicalize"));
    assert_null(strstr(dumps.data, "IR Dump After dce"));

    opt.print_after = "nope";
    assert_false(tc_pipeline_run(&p, x->m, &x->de, &opt, &dumps, NULL));
    assert_true(has_diag(x, TC_E_PIPELINE, "unknown pass 'nope'"));
    tc_sb_free(&dumps);
    fx_free(x);
}

static void test_verify_each(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *pid = tc_ir_build_program_id(&x->b, TC_OP_PROGRAM_ID, 0);
    TcIrValue *k = tc_ir_build_const_int(&x->b, TC_I32, 0);
    store(x, tc_ir_build_binary(&x->b, TC_OP_ADD, pid, k));
    TcPipeline p;
    assert_true(tc_pipeline_parse(TC_DEFAULT_PIPELINE, &x->arena, &x->de, &p));
    TcPassOptions opt = {.verify_each = true};
    assert_true(tc_pipeline_run(&p, x->m, &x->de, &opt, NULL, NULL));
    assert_int_equal(x->de.nerrors, 0);
    fx_free(x);
}

/* ------------------------------------------------------- integer folds */

typedef struct IntCase {
    TcOpcode opc;
    TcDtype dt;
    int64_t a, b, want;
} IntCase;

static void check_int_binary(const IntCase *c)
{
    Fx *x = fx_new();
    TcIrValue *a = tc_ir_build_const_int(&x->b, c->dt, c->a);
    TcIrValue *b = tc_ir_build_const_int(&x->b, c->dt, c->b);
    TcIrOp *st = store(x, tc_ir_build_binary(&x->b, c->opc, a, b));
    canon(x);
    TcIrValue *v = stored_scalar(st);
    if (v->def->opc != TC_OP_CONST || v->def->ival != c->want)
        fail_msg("%s %s %lld, %lld: expected %lld, got %s %lld", tc_op_info(c->opc)->name,
                 tc_dtype_name(c->dt), (long long)c->a, (long long)c->b, (long long)c->want,
                 tc_op_info(v->def->opc)->name, (long long)v->def->ival);
    fx_free(x);
}

static void test_fold_int_arith(void **state)
{
    (void)state;
    static const IntCase cases[] = {
        {TC_OP_ADD, TC_I32, 2, 3, 5},
        {TC_OP_ADD, TC_I32, INT32_MAX, 1, INT32_MIN},
        {TC_OP_ADD, TC_I8, 100, 100, -56},
        {TC_OP_ADD, TC_U8, 200, 100, 44},
        {TC_OP_ADD, TC_I64, INT64_MAX, 1, INT64_MIN},
        {TC_OP_ADD, TC_U64, -1, 1, 0},
        {TC_OP_SUB, TC_U32, 0, 1, 4294967295},
        {TC_OP_SUB, TC_I16, -32768, 1, 32767},
        {TC_OP_MUL, TC_I16, 300, 300, 24464},
        {TC_OP_MUL, TC_U16, 300, 300, 24464},
        {TC_OP_MUL, TC_I32, 65536, 65536, 0},
        {TC_OP_MAX, TC_I32, -1, 1, 1},
        {TC_OP_MAX, TC_U32, 4294967295, 1, 4294967295},
        {TC_OP_MIN, TC_I8, -5, 3, -5},
        {TC_OP_MIN, TC_U64, -1, 3, 3},
        {TC_OP_AND, TC_I32, 12, 10, 8},
        {TC_OP_OR, TC_I32, 12, 10, 14},
        {TC_OP_XOR, TC_I32, 12, 10, 6},
        {TC_OP_XOR, TC_U8, 255, 1, 254},
        {TC_OP_AND, TC_BOOL, 1, 0, 0},
        {TC_OP_OR, TC_BOOL, 1, 0, 1},
        {TC_OP_XOR, TC_BOOL, 1, 1, 0},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) check_int_binary(&cases[i]);
}

static void test_fold_int_div_truncates(void **state)
{
    (void)state;
    static const IntCase cases[] = {
        {TC_OP_DIV, TC_I32, -7, 2, -3},
        {TC_OP_DIV, TC_I32, 7, -2, -3},
        {TC_OP_REM, TC_I32, -7, 2, -1},
        {TC_OP_REM, TC_I32, 7, -2, 1},
        {TC_OP_DIV, TC_I32, INT32_MIN, -1, INT32_MIN},
        {TC_OP_REM, TC_I32, INT32_MIN, -1, 0},
        {TC_OP_DIV, TC_I8, -128, -1, -128},
        {TC_OP_DIV, TC_I64, INT64_MIN, -1, INT64_MIN},
        {TC_OP_REM, TC_I64, INT64_MIN, -1, 0},
        {TC_OP_DIV, TC_U32, 4294967295, 2, 2147483647},
        {TC_OP_REM, TC_U8, 255, 7, 3},
        {TC_OP_DIV, TC_U64, -2, 2, INT64_MAX},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) check_int_binary(&cases[i]);
}

static void test_fold_int_shifts(void **state)
{
    (void)state;
    static const IntCase cases[] = {
        {TC_OP_SHL, TC_I32, 1, 31, INT32_MIN},
        {TC_OP_SHL, TC_I32, 1, 32, 0},
        {TC_OP_SHL, TC_I32, 1, -1, 0},
        {TC_OP_SHL, TC_U8, 255, 4, 240},
        {TC_OP_SHL, TC_I64, 1, 63, INT64_MIN},
        {TC_OP_SHR, TC_I32, -8, 1, -4},
        {TC_OP_SHR, TC_I32, -8, 40, -1},
        {TC_OP_SHR, TC_I32, -8, -1, -1},
        {TC_OP_SHR, TC_I32, 8, 40, 0},
        {TC_OP_SHR, TC_U32, 2147483648, 31, 1},
        {TC_OP_SHR, TC_U8, 200, 9, 0},
        {TC_OP_SHR, TC_I8, -128, 7, -1},
        {TC_OP_SHR, TC_U64, -1, 63, 1},
        {TC_OP_SHR, TC_I64, INT64_MIN, 63, -1},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) check_int_binary(&cases[i]);
}

static void test_no_fold_division_by_zero(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *a = tc_ir_build_const_int(&x->b, TC_I32, 5);
    TcIrValue *z = tc_ir_build_const_int(&x->b, TC_I32, 0);
    TcIrOp *s1 = store(x, tc_ir_build_binary(&x->b, TC_OP_DIV, a, z));
    TcIrOp *s2 = store(x, tc_ir_build_binary(&x->b, TC_OP_REM, a, z));
    TcIrValue *fa = tc_ir_build_const_float(&x->b, TC_F32, 1.0);
    TcIrValue *fz = tc_ir_build_const_float(&x->b, TC_F32, 0.0);
    TcIrOp *s3 = store(x, tc_ir_build_binary(&x->b, TC_OP_DIV, fa, fz));
    int64_t four = 4;
    TcType *t = tc_type_tile(x->m, TC_I32, 1, &four);
    TcIrOp *s4 = store(x, tc_ir_build_binary(&x->b, TC_OP_DIV, tc_ir_build_splat(&x->b, a, t),
                                             tc_ir_build_splat(&x->b, z, t)));
    assert_true(run_pipeline(x, "canonicalize,cse,dce"));
    assert_int_equal(stored_scalar(s1)->def->opc, TC_OP_DIV);
    assert_int_equal(stored_scalar(s2)->def->opc, TC_OP_REM);
    assert_int_equal(stored_scalar(s3)->def->opc, TC_OP_DIV);
    assert_int_equal(stored(s4)->def->opc, TC_OP_DIV);
    fx_free(x);
}

static void test_fold_compare(void **state)
{
    (void)state;
    static const IntCase cases[] = {
        {TC_OP_LT, TC_I32, -1, 1, 1},
        {TC_OP_LT, TC_U32, 4294967295, 1, 0},
        {TC_OP_GE, TC_U8, 255, 0, 1},
        {TC_OP_LE, TC_I8, -128, -128, 1},
        {TC_OP_GT, TC_I64, INT64_MIN, 0, 0},
        {TC_OP_EQ, TC_I32, 7, 7, 1},
        {TC_OP_NE, TC_I32, 7, 7, 0},
        {TC_OP_EQ, TC_BOOL, 1, 0, 0},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) check_int_binary(&cases[i]);

    static const struct { TcOpcode opc; double a, b; int64_t want; } fc[] = {
        {TC_OP_EQ, NAN, NAN, 0}, {TC_OP_NE, NAN, NAN, 1}, {TC_OP_LT, NAN, 1.0, 0},
        {TC_OP_GE, NAN, 1.0, 0}, {TC_OP_LT, -0.0, 0.0, 0}, {TC_OP_EQ, -0.0, 0.0, 1},
        {TC_OP_LE, -INFINITY, -1e30, 1}, {TC_OP_GT, 2.5, 2.0, 1},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(fc); i++) {
        Fx *x = fx_new();
        TcIrValue *a = tc_ir_build_const_float(&x->b, TC_F32, fc[i].a);
        TcIrValue *b = tc_ir_build_const_float(&x->b, TC_F32, fc[i].b);
        TcIrValue *r = tc_ir_build_binary(&x->b, fc[i].opc, a, b);
        assert_ptr_equal(r->type, scalar(x, TC_BOOL));
        TcIrOp *st = store(x, r);
        canon(x);
        assert_const_int(stored_scalar(st), fc[i].want);
        fx_free(x);
    }
}

/* --------------------------------------------------------- float folds */

static double fold_float2(TcOpcode opc, TcDtype dt, double a, double b)
{
    Fx *x = fx_new();
    TcIrValue *va = tc_ir_build_const_float(&x->b, dt, a);
    TcIrValue *vb = tc_ir_build_const_float(&x->b, dt, b);
    TcIrOp *st = store(x, tc_ir_build_binary(&x->b, opc, va, vb));
    canon(x);
    TcIrValue *v = stored_scalar(st);
    assert_int_equal(v->def->opc, TC_OP_CONST);
    double r = v->def->fval;
    fx_free(x);
    return r;
}

static void test_fold_float_precision(void **state)
{
    (void)state;
    /* f32 arithmetic happens in float */
    assert_true(fold_float2(TC_OP_ADD, TC_F32, (double)0.1f, (double)0.2f) == (double)(0.1f + 0.2f));
    assert_true(fold_float2(TC_OP_DIV, TC_F32, 1.0, 3.0) == (double)(1.0f / 3.0f));
    /* f64 in double */
    assert_true(fold_float2(TC_OP_DIV, TC_F64, 1.0, 3.0) == 1.0 / 3.0);
    /* f16: computed in f32, rounded to f16 (ties to even) */
    assert_true(fold_float2(TC_OP_ADD, TC_F16, 1.0, ldexp(1, -10)) == 1.0 + ldexp(1, -10));
    assert_true(fold_float2(TC_OP_ADD, TC_F16, 1.0, ldexp(1, -11)) == 1.0);
    assert_true(fold_float2(TC_OP_ADD, TC_F16, 1.0 + ldexp(1, -10), ldexp(1, -11)) == 1.0 + ldexp(1, -9));
    assert_true(isinf(fold_float2(TC_OP_MUL, TC_F16, 300.0, 300.0)));
    /* bf16: 8 significant bits */
    assert_true(fold_float2(TC_OP_ADD, TC_BF16, 1.0, ldexp(1, -8)) == 1.0);
    assert_true(fold_float2(TC_OP_ADD, TC_BF16, 1.0, ldexp(1, -7)) == 1.0 + ldexp(1, -7));
    assert_true(fold_float2(TC_OP_REM, TC_F32, 7.5, 2.0) == 1.5);
    assert_true(fold_float2(TC_OP_REM, TC_F32, -7.5, 2.0) == -1.5);
}

static void test_fold_float_max_min(void **state)
{
    (void)state;
    assert_true(isnan(fold_float2(TC_OP_MAX, TC_F32, NAN, 1.0)));
    assert_true(isnan(fold_float2(TC_OP_MAX, TC_F32, 1.0, NAN)));
    assert_true(isnan(fold_float2(TC_OP_MIN, TC_F16, 1.0, NAN)));
    double r = fold_float2(TC_OP_MAX, TC_F32, -0.0, 0.0);
    assert_true(r == 0 && !signbit(r));
    r = fold_float2(TC_OP_MAX, TC_F32, 0.0, -0.0);
    assert_true(r == 0 && !signbit(r));
    r = fold_float2(TC_OP_MIN, TC_F32, 0.0, -0.0);
    assert_true(r == 0 && signbit(r));
    assert_true(fold_float2(TC_OP_MAX, TC_F64, -3.0, 2.0) == 2.0);
    assert_true(fold_float2(TC_OP_MIN, TC_F64, -INFINITY, 2.0) == -INFINITY);
}

/* ---------------------------------------------------------- unary folds */

static void test_fold_unary(void **state)
{
    (void)state;
    static const struct { TcOpcode opc; TcDtype dt; int64_t a, want; } ic[] = {
        {TC_OP_NEG, TC_I32, INT32_MIN, INT32_MIN}, {TC_OP_NEG, TC_I8, 5, -5},
        {TC_OP_NEG, TC_U8, 1, 255}, {TC_OP_NOT, TC_U8, 5, 250}, {TC_OP_NOT, TC_I32, 0, -1},
        {TC_OP_NOT, TC_BOOL, 1, 0}, {TC_OP_ABS, TC_I8, -128, -128}, {TC_OP_ABS, TC_I32, -7, 7},
        {TC_OP_ABS, TC_U32, 4294967295, 4294967295},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(ic); i++) {
        Fx *x = fx_new();
        TcIrValue *a = tc_ir_build_const_int(&x->b, ic[i].dt, ic[i].a);
        TcIrOp *st = store(x, tc_ir_build_unary(&x->b, ic[i].opc, a));
        canon(x);
        assert_const_int(stored_scalar(st), ic[i].want);
        fx_free(x);
    }
    static const struct { TcOpcode opc; TcDtype dt; double a, want; } fc[] = {
        {TC_OP_NEG, TC_F32, 0.0, -0.0}, {TC_OP_NEG, TC_F16, 1.5, -1.5},
        {TC_OP_ABS, TC_F32, -0.0, 0.0}, {TC_OP_ABS, TC_F64, -INFINITY, INFINITY},
        {TC_OP_SQRT, TC_F32, 2.0, (double)1.41421356f}, {TC_OP_SQRT, TC_F64, 2.0, 1.4142135623730951},
        {TC_OP_SQRT, TC_F16, 2.0, 1.4140625},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(fc); i++) {
        Fx *x = fx_new();
        TcIrValue *a = tc_ir_build_const_float(&x->b, fc[i].dt, fc[i].a);
        TcIrOp *st = store(x, tc_ir_build_unary(&x->b, fc[i].opc, a));
        canon(x);
        assert_const_float(stored_scalar(st), fc[i].want);
        fx_free(x);
    }
}

static void test_no_fold_transcendental(void **state)
{
    (void)state;
    const TcOpcode ops[] = {TC_OP_EXP, TC_OP_EXP2, TC_OP_LOG, TC_OP_LOG2, TC_OP_RSQRT,
                            TC_OP_TANH, TC_OP_SIGMOID, TC_OP_ERF};
    for (size_t i = 0; i < TC_ARRAY_LEN(ops); i++) {
        Fx *x = fx_new();
        TcIrValue *a = tc_ir_build_const_float(&x->b, TC_F32, 1.0);
        TcIrOp *st = store(x, tc_ir_build_unary(&x->b, ops[i], a));
        canon(x);
        assert_int_equal(stored_scalar(st)->def->opc, ops[i]);
        fx_free(x);
    }
}

/* ---------------------------------------------------------- cast folds */

typedef struct CastCase {
    TcDtype from, to;
    int64_t i;   /* source when `from` is an integer or bool */
    double f;    /* source when `from` is a float */
    int64_t wi;  /* expected when `to` is an integer or bool */
    double wf;   /* expected when `to` is a float */
} CastCase;

static void test_fold_cast(void **state)
{
    (void)state;
    static const CastCase cases[] = {
        {TC_F32, TC_I32, 0, 3.9, 3, 0},
        {TC_F32, TC_I32, 0, -3.9, -3, 0},
        {TC_F32, TC_I32, 0, NAN, 0, 0},
        {TC_F32, TC_I32, 0, 1e10, INT32_MAX, 0},
        {TC_F32, TC_I32, 0, -1e10, INT32_MIN, 0},
        {TC_F32, TC_I32, 0, -INFINITY, INT32_MIN, 0},
        {TC_F64, TC_I64, 0, 1e30, INT64_MAX, 0},
        {TC_F32, TC_U8, 0, -1.0, 0, 0},
        {TC_F32, TC_U8, 0, 300.0, 255, 0},
        {TC_F32, TC_U8, 0, 255.9, 255, 0},
        {TC_F64, TC_U64, 0, 1e30, -1, 0},
        {TC_F32, TC_BOOL, 0, NAN, 1, 0},
        {TC_F32, TC_BOOL, 0, -0.0, 0, 0},
        {TC_I32, TC_I8, 300, 0, 44, 0},
        {TC_I32, TC_U32, -1, 0, 4294967295, 0},
        {TC_U32, TC_I64, 4294967295, 0, 4294967295, 0},
        {TC_I8, TC_U64, -1, 0, -1, 0},
        {TC_I32, TC_BOOL, 5, 0, 1, 0},
        {TC_BOOL, TC_I32, 1, 0, 1, 0},
        {TC_I32, TC_F32, 16777217, 0, 0, 16777216.0},
        {TC_I32, TC_F32, 16777219, 0, 0, 16777220.0},
        {TC_U64, TC_F64, -1, 0, 0, 18446744073709551616.0},
        {TC_I64, TC_BF16, (INT64_C(1) << 30) + (INT64_C(1) << 22) + 1, 0, 0,
         1073741824.0 + 8388608.0},
        {TC_I32, TC_F16, 65520, 0, 0, INFINITY},
        {TC_I32, TC_F16, 2049, 0, 0, 2048.0},
        {TC_BOOL, TC_F16, 1, 0, 0, 1.0},
        {TC_F32, TC_F16, 0, 65520.0, 0, INFINITY},
        {TC_F32, TC_F16, 0, 1.0 + 0x1p-11, 0, 1.0},
        {TC_F64, TC_F32, 0, 0.1, 0, (double)0.1f},
        {TC_F64, TC_F16, 0, 1.0 + 0x1p-11 + 0x1p-40, 0, 1.0 + 0x1p-10},
        {TC_F16, TC_F32, 0, 1.5, 0, 1.5},
        {TC_F32, TC_BF16, 0, 1.0 + 0x1p-9, 0, 1.0},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        const CastCase *c = &cases[i];
        Fx *x = fx_new();
        TcIrValue *a = tc_dtype_is_float(c->from) ? tc_ir_build_const_float(&x->b, c->from, c->f)
                                                  : tc_ir_build_const_int(&x->b, c->from, c->i);
        TcIrOp *st = store(x, tc_ir_build_cast(&x->b, a, scalar(x, c->to)));
        canon(x);
        TcIrValue *v = stored_scalar(st);
        if (v->def->opc != TC_OP_CONST) fail_msg("cast case %zu not folded", i);
        if (tc_dtype_is_float(c->to)) {
            if (memcmp(&v->def->fval, &c->wf, sizeof c->wf) != 0)
                fail_msg("cast case %zu: %s -> %s: expected %.17g, got %.17g", i,
                         tc_dtype_name(c->from), tc_dtype_name(c->to), c->wf, v->def->fval);
        } else if (v->def->ival != c->wi) {
            fail_msg("cast case %zu: %s -> %s: expected %lld, got %lld", i, tc_dtype_name(c->from),
                     tc_dtype_name(c->to), (long long)c->wi, (long long)v->def->ival);
        }
        fx_free(x);
    }
}

/* ------------------------------------------------- f16 folding policy */

/* Runs the kernel (whose params are exactly the [1]-shaped out tensors that
 * store() made) with the interpreter; out[i] gets o_i's element as a double. */
static void run_outs(Fx *x, double *out)
{
    TcInterpArg args[8];
    union { float f; double d; uint16_t h; } buf[8];
    assert_true(x->f->nparams <= 8);
    memset(args, 0, sizeof args);
    memset(buf, 0, sizeof buf);
    for (uint32_t i = 0; i < x->f->nparams; i++) {
        TcTensorArg *t = &args[i].tensor;
        t->data = &buf[i];
        t->dtype = tc_ir_func_param(x->f, i)->type->dtype;
        t->rank = 1;
        t->sizes[0] = 1;
        t->strides[0] = 1;
    }
    char err[256];
    if (!tc_interp_run(x->f, args, NULL, err, sizeof err)) fail_msg("interpreter: %s", err);
    for (uint32_t i = 0; i < x->f->nparams; i++) {
        switch (args[i].tensor.dtype) {
        case TC_F16: out[i] = tc_f16_to_f32(buf[i].h); break;
        case TC_F32: out[i] = buf[i].f; break;
        default: out[i] = buf[i].d; break;
        }
    }
}

/* At run time an f16 add carries its f32 sum to the next op. A fold rounds to
 * f16, so canonicalize folds only sums that f16 holds exactly, or whose every
 * use rounds them anyway (a store); the results never change. */
static void test_no_fold_inexact_f16(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcType *f32 = scalar(x, TC_F32);
    TcIrValue *one = tc_ir_build_const_float(&x->b, TC_F16, 1.0);
    TcIrValue *tiny = tc_ir_build_const_float(&x->b, TC_F16, 0x1p-11);
    TcIrValue *small = tc_ir_build_const_float(&x->b, TC_F16, 0x1p-10);
    TcIrValue *inexact = tc_ir_build_binary(&x->b, TC_OP_ADD, one, tiny);  /* 1 + 2^-11 */
    TcIrValue *exact = tc_ir_build_binary(&x->b, TC_OP_ADD, one, small);   /* 1 + 2^-10 */
    TcIrOp *s0 = store(x, tc_ir_build_cast(&x->b, inexact, f32));
    TcIrOp *s1 = store(x, tc_ir_build_cast(&x->b, exact, f32));
    TcIrValue *again = tc_ir_build_binary(&x->b, TC_OP_ADD, one, tiny);
    TcIrOp *s2 = store(x, tc_ir_build_binary(&x->b, TC_OP_SUB, again, one)); /* 2^-11, not 0 */
    TcIrOp *s3 = store(x, tc_ir_build_binary(&x->b, TC_OP_ADD, one, tiny)); /* stored: rounds */
    TcIrOp *s4 = store(x, tc_ir_build_binary(&x->b, TC_OP_ADD, tiny, tiny)); /* 2^-10: exact */
    double before[5], after[5];
    run_outs(x, before);
    canon(x);
    run_outs(x, after);
    for (int i = 0; i < 5; i++) assert_memory_equal(&before[i], &after[i], sizeof before[i]);
    assert_true(after[0] == 1.0 + 0x1p-11);
    assert_true(after[1] == 1.0 + 0x1p-10);
    assert_true(after[2] == 0x1p-11);
    assert_true(after[3] == 1.0);

    TcIrValue *v = stored_scalar(s0);
    assert_int_equal(v->def->opc, TC_OP_CAST);
    assert_int_equal(v->def->operands[0]->def->opc, TC_OP_ADD);
    assert_const_float(stored_scalar(s1), 1.0 + 0x1p-10);
    assert_int_equal(stored_scalar(s2)->def->opc, TC_OP_SUB);
    assert_int_equal(stored_scalar(s2)->def->operands[0]->def->opc, TC_OP_ADD);
    assert_const_float(stored_scalar(s3), 1.0);
    assert_const_float(stored_scalar(s4), 0x1p-10);
    fx_free(x);
}

/* --------------------------------------------------------- splat folds */

static void test_fold_splat_operands(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcType *t = tile2(x, TC_I32, 4, 8);
    TcIrValue *a = tc_ir_build_splat(&x->b, tc_ir_build_const_int(&x->b, TC_I32, 6), t);
    TcIrValue *b = tc_ir_build_splat(&x->b, tc_ir_build_const_int(&x->b, TC_I32, 4), t);
    TcIrValue *sum = tc_ir_build_binary(&x->b, TC_OP_MUL, a, b);
    TcIrValue *lt = tc_ir_build_binary(&x->b, TC_OP_LT, a, b);
    TcIrValue *f = tc_ir_build_cast(&x->b, sum, tc_type_with_dtype(x->m, t, TC_F16));
    TcIrOp *s1 = store(x, sum);
    TcIrOp *s2 = store(x, lt);
    TcIrOp *s3 = store(x, f);
    canon(x);
    TcIrValue *v = stored(s1);
    assert_int_equal(v->def->opc, TC_OP_SPLAT);
    assert_ptr_equal(v->type, t);
    assert_const_int(v->def->operands[0], 24);
    v = stored(s2);
    assert_int_equal(v->def->opc, TC_OP_SPLAT);
    assert_ptr_equal(v->type, tile2(x, TC_BOOL, 4, 8));
    assert_const_int(v->def->operands[0], 0);
    v = stored(s3);
    assert_int_equal(v->def->opc, TC_OP_SPLAT);
    assert_const_float(v->def->operands[0], 24.0);
    assert_int_equal(count(x, TC_OP_MUL) + count(x, TC_OP_LT) + count(x, TC_OP_CAST), 0);
    fx_free(x);
}

/* ---------------------------------------------------------- identities */

/* Builds opc(x, k) or opc(k, x) on a non-constant i32 / f32 scalar and
 * returns what the store sees after canonicalize. */
static TcIrValue *identity(Fx *x, TcOpcode opc, TcDtype dt, bool k_left, double k, TcIrValue **xv)
{
    TcIrValue *v = param(x, "x", dt);
    TcIrValue *c = tc_dtype_is_float(dt) ? tc_ir_build_const_float(&x->b, dt, k)
                                         : tc_ir_build_const_int(&x->b, dt, (int64_t)k);
    TcIrOp *st = store(x, k_left ? tc_ir_build_binary(&x->b, opc, c, v)
                                 : tc_ir_build_binary(&x->b, opc, v, c));
    canon(x);
    *xv = v;
    return stored_scalar(st);
}

static void test_identities_int(void **state)
{
    (void)state;
    static const struct { TcOpcode opc; bool left; double k; int result; } cases[] = {
        /* result: 0 = x, 1 = the constant zero, 2 = not simplified */
        {TC_OP_ADD, false, 0, 0}, {TC_OP_ADD, true, 0, 0}, {TC_OP_SUB, false, 0, 0},
        {TC_OP_SUB, true, 0, 2},  {TC_OP_MUL, false, 1, 0}, {TC_OP_MUL, true, 1, 0},
        {TC_OP_DIV, false, 1, 0}, {TC_OP_DIV, true, 1, 2},  {TC_OP_MUL, false, 0, 1},
        {TC_OP_MUL, true, 0, 1},  {TC_OP_ADD, false, 1, 2},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        Fx *x = fx_new();
        TcIrValue *xv;
        TcIrValue *r = identity(x, cases[i].opc, TC_I32, cases[i].left, cases[i].k, &xv);
        if (cases[i].result == 0) assert_ptr_equal(r, xv);
        else if (cases[i].result == 1) assert_const_int(r, 0);
        else assert_int_equal(r->def->opc, cases[i].opc);
        fx_free(x);
    }
}

static void test_identities_float(void **state)
{
    (void)state;
    static const struct { TcOpcode opc; bool left; double k; bool to_x; } cases[] = {
        {TC_OP_ADD, false, -0.0, true}, {TC_OP_ADD, true, -0.0, true},
        {TC_OP_ADD, false, 0.0, false}, /* -0.0 + 0.0 is +0.0 */
        {TC_OP_SUB, false, 0.0, true},  {TC_OP_SUB, false, -0.0, false},
        {TC_OP_MUL, false, 1.0, true},  {TC_OP_MUL, true, 1.0, true},
        {TC_OP_DIV, false, 1.0, true},
        {TC_OP_MUL, false, 0.0, false}, /* NaN * 0, inf * 0 */
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        Fx *x = fx_new();
        TcIrValue *xv;
        TcIrValue *r = identity(x, cases[i].opc, TC_F32, cases[i].left, cases[i].k, &xv);
        if (cases[i].to_x) assert_ptr_equal(r, xv);
        else assert_int_equal(r->def->opc, cases[i].opc);
        fx_free(x);
    }
}

static void test_identities_same_operand(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *i = param(x, "i", TC_I32);
    TcIrValue *f = param(x, "f", TC_F32);
    TcIrValue *c = param(x, "c", TC_BOOL);
    TcIrOp *s1 = store(x, tc_ir_build_binary(&x->b, TC_OP_SUB, i, i));
    TcIrOp *s2 = store(x, tc_ir_build_binary(&x->b, TC_OP_SUB, f, f));
    TcIrOp *s3 = store(x, tc_ir_build_binary(&x->b, TC_OP_AND, i, i));
    TcIrOp *s4 = store(x, tc_ir_build_binary(&x->b, TC_OP_OR, c, c));
    TcIrOp *s5 = store(x, tc_ir_build_binary(&x->b, TC_OP_XOR, i, i));
    TcIrOp *s6 = store(x, tc_ir_build_select(&x->b, c, f, f));
    canon(x);
    assert_const_int(stored_scalar(s1), 0);
    assert_int_equal(stored_scalar(s2)->def->opc, TC_OP_SUB); /* inf - inf is NaN */
    assert_ptr_equal(stored_scalar(s3), i);
    assert_ptr_equal(stored_scalar(s4), c);
    assert_int_equal(stored_scalar(s5)->def->opc, TC_OP_XOR);
    assert_ptr_equal(stored_scalar(s6), f);
    fx_free(x);
}

static void test_identities_select_and_negation(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *a = param(x, "a", TC_F32);
    TcIrValue *b = param(x, "b", TC_F32);
    TcIrValue *i = param(x, "i", TC_I32);
    TcIrValue *t = tc_ir_build_const_int(&x->b, TC_BOOL, 1);
    TcIrValue *fl = tc_ir_build_const_int(&x->b, TC_BOOL, 0);
    TcIrOp *s1 = store(x, tc_ir_build_select(&x->b, t, a, b));
    TcIrOp *s2 = store(x, tc_ir_build_select(&x->b, fl, a, b));
    TcIrOp *s3 = store(x, tc_ir_build_unary(&x->b, TC_OP_NEG, tc_ir_build_unary(&x->b, TC_OP_NEG, a)));
    TcIrOp *s4 = store(x, tc_ir_build_unary(&x->b, TC_OP_NOT, tc_ir_build_unary(&x->b, TC_OP_NOT, i)));
    TcIrOp *s5 = store(x, tc_ir_build_unary(&x->b, TC_OP_NEG, tc_ir_build_unary(&x->b, TC_OP_NEG,
                                             tc_ir_build_unary(&x->b, TC_OP_NEG, i))));
    canon(x);
    assert_ptr_equal(stored_scalar(s1), a);
    assert_ptr_equal(stored_scalar(s2), b);
    assert_ptr_equal(stored_scalar(s3), a);
    assert_ptr_equal(stored_scalar(s4), i);
    TcIrValue *v = stored_scalar(s5);
    assert_int_equal(v->def->opc, TC_OP_NEG);
    assert_ptr_equal(v->def->operands[0], i);

    /* select on a splat of a constant condition, tile operands */
    Fx *y = fx_new();
    TcType *tt = tile2(y, TC_F32, 2, 2);
    TcIrValue *ta = load(y, in_tensor(y, "ta", tt), tt, &y->b);
    TcIrValue *tb = load(y, in_tensor(y, "tb", tt), tt, &y->b);
    TcIrValue *cond = tc_ir_build_splat(&y->b, tc_ir_build_const_int(&y->b, TC_BOOL, 0),
                                        tile2(y, TC_BOOL, 2, 2));
    TcIrOp *st = store(y, tc_ir_build_select(&y->b, cond, ta, tb));
    canon(y);
    assert_ptr_equal(stored(st), tb);
    fx_free(y);
    fx_free(x);
}

static void test_identities_shape_ops(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcType *t = tile2(x, TC_F32, 4, 4);
    TcIrValue *a = load(x, in_tensor(x, "a", t), t, &x->b);
    int64_t id[2] = {0, 1}, sw[2] = {1, 0};
    TcIrOp *s1 = store(x, tc_ir_build_cast(&x->b, a, t));
    TcIrOp *s2 = store(x, tc_ir_build_broadcast(&x->b, a, t));
    TcIrOp *s3 = store(x, tc_ir_build_reshape(&x->b, a, t));
    TcIrOp *s4 = store(x, tc_ir_build_trans(&x->b, a, 2, id));
    TcIrOp *s5 = store(x, tc_ir_build_trans(&x->b, a, 2, sw));
    /* a splat feeding a shape op is one splat of the result type */
    TcIrValue *k = tc_ir_build_const_float(&x->b, TC_F32, 2.0);
    TcIrValue *sp = tc_ir_build_splat(&x->b, k, tile2(x, TC_F32, 1, 4));
    TcIrOp *s6 = store(x, tc_ir_build_broadcast(&x->b, sp, tile2(x, TC_F32, 8, 4)));
    TcIrOp *s7 = store(x, tc_ir_build_reshape(&x->b, sp, tile2(x, TC_F32, 4, 1)));
    TcIrValue *scal = param(x, "s", TC_F32);
    TcIrValue *sp2 = tc_ir_build_splat(&x->b, scal, tile2(x, TC_F32, 1, 4));
    TcIrOp *s8 = store(x, tc_ir_build_broadcast(&x->b, sp2, tile2(x, TC_F32, 8, 4)));
    canon(x);
    assert_ptr_equal(stored(s1), a);
    assert_ptr_equal(stored(s2), a);
    assert_ptr_equal(stored(s3), a);
    assert_ptr_equal(stored(s4), a);
    assert_int_equal(stored(s5)->def->opc, TC_OP_TRANS);
    TcIrValue *v = stored(s6);
    assert_int_equal(v->def->opc, TC_OP_SPLAT);
    assert_ptr_equal(v->type, tile2(x, TC_F32, 8, 4));
    assert_ptr_equal(v->def->operands[0], k);
    v = stored(s7);
    assert_int_equal(v->def->opc, TC_OP_SPLAT);
    assert_ptr_equal(v->type, tile2(x, TC_F32, 4, 1));
    v = stored(s8);
    assert_int_equal(v->def->opc, TC_OP_SPLAT);
    assert_ptr_equal(v->def->operands[0], scal);
    assert_int_equal(count(x, TC_OP_BROADCAST) + count(x, TC_OP_RESHAPE) + count(x, TC_OP_CAST), 0);
    fx_free(x);
}

/* ------------------------------------------------------- control flow */

static void test_if_constant_condition_inlined(void **state)
{
    (void)state;
    for (int taken = 0; taken < 2; taken++) {
        Fx *x = fx_new();
        TcIrValue *p = param(x, "p", TC_I32);
        TcIrValue *cond = tc_ir_build_const_int(&x->b, TC_BOOL, taken);
        TcType *i32 = scalar(x, TC_I32);
        TcIrOp *ifop = tc_ir_build_if(&x->b, cond, 1, &i32);
        TcIrBuilder tb, eb;
        tc_ir_builder_at_end(&tb, x->f, ifop->regions[0]);
        tc_ir_builder_at_end(&eb, x->f, ifop->regions[1]);
        TcIrValue *tv = tc_ir_build_binary(&tb, TC_OP_MUL, p, p);
        TcIrOp *inner = store_with(x, &tb, tv);
        tc_ir_build_yield(&tb, 1, &tv);
        TcIrValue *ev = tc_ir_build_binary(&eb, TC_OP_SUB, p, tc_ir_build_const_int(&eb, TC_I32, 1));
        tc_ir_build_yield(&eb, 1, &ev);
        TcIrOp *st = store(x, ifop->results[0]);
        canon(x);
        assert_int_equal(count(x, TC_OP_IF), 0);
        TcIrValue *v = stored_scalar(st);
        if (taken) {
            assert_ptr_equal(v, tv);
            assert_ptr_equal(inner->parent, x->f->body); /* the arm's store moved out */
            assert_ptr_equal(tv->def->parent, x->f->body);
            assert_int_equal(count(x, TC_OP_STORE), 2);
        } else {
            assert_ptr_equal(v, ev);
            assert_int_equal(count(x, TC_OP_STORE), 1);
        }
        fx_free(x);
    }
}

static void test_if_nonconstant_kept(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *c = param(x, "c", TC_BOOL);
    TcType *i32 = scalar(x, TC_I32);
    TcIrOp *ifop = tc_ir_build_if(&x->b, c, 1, &i32);
    TcIrBuilder tb, eb;
    tc_ir_builder_at_end(&tb, x->f, ifop->regions[0]);
    tc_ir_builder_at_end(&eb, x->f, ifop->regions[1]);
    TcIrValue *k = tc_ir_build_binary(&tb, TC_OP_ADD, tc_ir_build_const_int(&tb, TC_I32, 1),
                                      tc_ir_build_const_int(&tb, TC_I32, 2));
    tc_ir_build_yield(&tb, 1, &k);
    TcIrValue *z = tc_ir_build_const_int(&eb, TC_I32, 0);
    tc_ir_build_yield(&eb, 1, &z);
    store(x, ifop->results[0]);
    canon(x);
    assert_int_equal(count(x, TC_OP_IF), 1);
    TcIrValue *y = tc_ir_block_terminator(ifop->regions[0])->operands[0];
    assert_const_int(y, 3); /* folded inside the region */
    fx_free(x);
}

static TcIrOp *build_counting_loop(Fx *x, int64_t lo, int64_t hi, int64_t step, TcIrValue *init)
{
    TcIrValue *vlo = tc_ir_build_const_int(&x->b, TC_I32, lo);
    TcIrValue *vhi = tc_ir_build_const_int(&x->b, TC_I32, hi);
    TcIrValue *vst = tc_ir_build_const_int(&x->b, TC_I32, step);
    TcIrOp *loop = tc_ir_build_for(&x->b, vlo, vhi, vst, 1, &init);
    TcIrBuilder lb;
    tc_ir_builder_at_end(&lb, x->f, loop->regions[0]);
    TcIrValue *next = tc_ir_build_binary(&lb, TC_OP_ADD, loop->regions[0]->args[1],
                                         loop->regions[0]->args[0]);
    tc_ir_build_yield(&lb, 1, &next);
    return loop;
}

static void test_for_zero_trips(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *init = param(x, "init", TC_I32);
    TcIrOp *l1 = build_counting_loop(x, 10, 0, 1, init);
    TcIrOp *s1 = store(x, l1->results[0]);
    TcIrOp *l2 = build_counting_loop(x, 4, 4, 2, init);
    TcIrOp *s2 = store(x, l2->results[0]);
    TcIrOp *l3 = build_counting_loop(x, 0, 4, 1, init); /* runs: kept */
    TcIrOp *s3 = store(x, l3->results[0]);
    canon(x);
    assert_ptr_equal(stored_scalar(s1), init);
    assert_ptr_equal(stored_scalar(s2), init);
    assert_ptr_equal(stored_scalar(s3), l3->results[0]);
    assert_int_equal(count(x, TC_OP_FOR), 1);
    fx_free(x);
}

static void test_canonicalize_fixed_point(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *p = param(x, "p", TC_I32);
    /* ((2 + 3) * 4 - 20) folds to 0; p + 0 is p; (p * 1) - 0 is p */
    TcIrValue *a = tc_ir_build_binary(&x->b, TC_OP_ADD, tc_ir_build_const_int(&x->b, TC_I32, 2),
                                      tc_ir_build_const_int(&x->b, TC_I32, 3));
    TcIrValue *m = tc_ir_build_binary(&x->b, TC_OP_MUL, a, tc_ir_build_const_int(&x->b, TC_I32, 4));
    TcIrValue *z = tc_ir_build_binary(&x->b, TC_OP_SUB, m, tc_ir_build_const_int(&x->b, TC_I32, 20));
    TcIrValue *r = tc_ir_build_binary(&x->b, TC_OP_ADD, p, z);
    TcIrValue *one = tc_ir_build_binary(&x->b, TC_OP_DIV, tc_ir_build_const_int(&x->b, TC_I32, 7),
                                        tc_ir_build_const_int(&x->b, TC_I32, 7));
    r = tc_ir_build_binary(&x->b, TC_OP_MUL, r, one);
    TcIrValue *c = tc_ir_build_binary(&x->b, TC_OP_LT, z, one);
    TcIrValue *sel = tc_ir_build_select(&x->b, c, r, p);
    TcIrOp *st = store(x, sel);

    TcArena scratch;
    tc_arena_init(&scratch);
    TcPassContext ctx = {.de = &x->de, .scratch = &scratch};
    assert_true(tc_pass_canonicalize.run(x->f, &ctx));
    assert_true(ctx.changed);
    assert_ptr_equal(stored_scalar(st), p);
    tc_arena_free(&scratch);

    /* a second run finds nothing to do */
    ctx.changed = false;
    assert_true(tc_pass_canonicalize.run(x->f, &ctx));
    assert_false(ctx.changed);
    tc_arena_free(&scratch);

    /* and dce leaves only the store's own ops */
    assert_true(run_pipeline(x, "dce"));
    assert_int_equal(count(x, TC_OP_ADD) + count(x, TC_OP_MUL) + count(x, TC_OP_SUB) +
                         count(x, TC_OP_DIV) + count(x, TC_OP_LT) + count(x, TC_OP_SELECT), 0);
    fx_free(x);
}

/* ----------------------------------------------------------------- cse */

static void test_cse_basic(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *a = param(x, "a", TC_I32);
    TcIrValue *b = param(x, "b", TC_I32);
    TcIrValue *s1 = tc_ir_build_binary(&x->b, TC_OP_ADD, a, b);
    TcIrValue *s2 = tc_ir_build_binary(&x->b, TC_OP_ADD, b, a); /* commutative */
    TcIrValue *d1 = tc_ir_build_binary(&x->b, TC_OP_SUB, a, b);
    TcIrValue *d2 = tc_ir_build_binary(&x->b, TC_OP_SUB, b, a); /* not commutative */
    TcIrValue *m1 = tc_ir_build_binary(&x->b, TC_OP_MUL, s1, d1);
    TcIrValue *m2 = tc_ir_build_binary(&x->b, TC_OP_MUL, s2, d1); /* equal once s2 -> s1 */
    TcIrValue *p0 = tc_ir_build_program_id(&x->b, TC_OP_PROGRAM_ID, 0);
    TcIrValue *p1 = tc_ir_build_program_id(&x->b, TC_OP_PROGRAM_ID, 1); /* other attribute */
    TcIrValue *z1 = tc_ir_build_const_float(&x->b, TC_F32, 0.0);
    TcIrValue *z2 = tc_ir_build_const_float(&x->b, TC_F32, -0.0); /* other bits */
    TcIrValue *z3 = tc_ir_build_const_float(&x->b, TC_F32, 0.0);
    TcIrValue *i0 = tc_ir_build_const_int(&x->b, TC_I64, 0); /* other type */
    TcIrOp *st[] = {store(x, s2), store(x, d2), store(x, m2), store(x, p1), store(x, z2),
                    store(x, z3), store(x, i0), store(x, m1), store(x, p0), store(x, z1)};
    assert_true(run_pipeline(x, "cse"));
    assert_ptr_equal(stored_scalar(st[0]), s1);
    assert_ptr_equal(stored_scalar(st[1]), d2);
    assert_ptr_equal(stored_scalar(st[2]), m1);
    assert_ptr_equal(stored_scalar(st[3]), p1);
    assert_ptr_equal(stored_scalar(st[4]), z2);
    assert_ptr_equal(stored_scalar(st[5]), z1);
    assert_ptr_equal(stored_scalar(st[6]), i0);
    assert_int_equal(count(x, TC_OP_ADD), 1);
    assert_int_equal(count(x, TC_OP_SUB), 2);
    assert_int_equal(count(x, TC_OP_MUL), 1);
    assert_int_equal(count(x, TC_OP_PROGRAM_ID), 2);
    fx_free(x);
}

static void test_cse_scoping(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *a = param(x, "a", TC_I32);
    TcIrValue *c = param(x, "c", TC_BOOL);
    TcIrValue *outer = tc_ir_build_binary(&x->b, TC_OP_MUL, a, a);
    TcType *i32 = scalar(x, TC_I32);
    TcIrOp *ifop = tc_ir_build_if(&x->b, c, 1, &i32);
    TcIrBuilder tb, eb;
    tc_ir_builder_at_end(&tb, x->f, ifop->regions[0]);
    tc_ir_builder_at_end(&eb, x->f, ifop->regions[1]);
    TcIrValue *t_mul = tc_ir_build_binary(&tb, TC_OP_MUL, a, a);   /* reuses outer */
    TcIrValue *t_add = tc_ir_build_binary(&tb, TC_OP_ADD, t_mul, a);
    tc_ir_build_yield(&tb, 1, &t_add);
    TcIrValue *e_add = tc_ir_build_binary(&eb, TC_OP_ADD, outer, a); /* sibling: kept */
    tc_ir_build_yield(&eb, 1, &e_add);
    TcIrValue *after = tc_ir_build_binary(&x->b, TC_OP_ADD, outer, a); /* not after the region */
    TcIrOp *s1 = store(x, ifop->results[0]);
    TcIrOp *s2 = store(x, after);
    assert_true(run_pipeline(x, "cse"));
    TcIrOp *ty = tc_ir_block_terminator(ifop->regions[0]);
    TcIrOp *ey = tc_ir_block_terminator(ifop->regions[1]);
    assert_ptr_equal(ty->operands[0], t_add);
    assert_ptr_equal(t_add->def->operands[0], outer);
    assert_ptr_equal(ey->operands[0], e_add);
    assert_ptr_equal(stored_scalar(s2), after);
    assert_ptr_equal(stored_scalar(s1), ifop->results[0]);
    assert_int_equal(count(x, TC_OP_MUL), 1);
    assert_int_equal(count(x, TC_OP_ADD), 3);
    fx_free(x);
}

static void test_cse_loads_not_merged(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcType *t = tile2(x, TC_F32, 2, 2);
    TcIrValue *ten = tc_ir_func_add_param(x->f, "t", tc_type_tensor(x->m, TC_F32, 2,
                                          (TcDim[]){{2, NULL}, {2, NULL}}, TC_TENSOR_INOUT));
    TcIrValue *z = tc_ir_build_const_int(&x->b, TC_I32, 0);
    TcIrValue *off[2] = {z, z};
    TcIrValue *l1 = tc_ir_build_load(&x->b, ten, off, NULL, t);
    tc_ir_build_store(&x->b, ten, off, tc_ir_build_binary(&x->b, TC_OP_ADD, l1, l1));
    TcIrValue *l2 = tc_ir_build_load(&x->b, ten, off, NULL, t);
    TcIrOp *st = store(x, l2);
    assert_true(run_pipeline(x, "cse"));
    assert_ptr_equal(stored(st), l2);
    assert_int_equal(count(x, TC_OP_LOAD), 2);
    fx_free(x);
}

/* ----------------------------------------------------------------- dce */

static void test_dce_keeps_stores_removes_dead(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcType *t = tile2(x, TC_F32, 2, 2);
    TcIrValue *in = in_tensor(x, "in", t);
    TcIrValue *dead_load = load(x, in, t, &x->b);
    TcIrValue *dead = tc_ir_build_unary(&x->b, TC_OP_EXP, dead_load);
    (void)tc_ir_build_binary(&x->b, TC_OP_ADD, dead, dead);
    TcIrValue *live = load(x, in, t, &x->b);
    TcIrOp *st = store(x, live);
    assert_true(run_pipeline(x, "dce"));
    assert_int_equal(count(x, TC_OP_STORE), 1);
    assert_int_equal(count(x, TC_OP_LOAD), 1);
    assert_int_equal(count(x, TC_OP_EXP), 0);
    assert_int_equal(count(x, TC_OP_ADD), 0);
    assert_ptr_equal(stored(st), live);
    assert_ptr_equal(st->parent, x->f->body);
    /* the grid is untouched: its yield keeps its const */
    assert_int_equal(count_in(x->f->grid, TC_OP_CONST), 1);
    fx_free(x);
}

static void test_dce_loops(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *init = param(x, "init", TC_I32);
    /* a pure loop with an unused result goes */
    build_counting_loop(x, 0, 8, 1, init);
    /* a loop that stores stays, even with its result unused; its carried
     * value stays too, because the block argument feeds an add */
    TcIrOp *l2 = build_counting_loop(x, 0, 8, 1, init);
    TcIrBuilder lb;
    tc_ir_builder_at_end(&lb, x->f, l2->regions[0]);
    lb.before = tc_ir_block_terminator(l2->regions[0]);
    store_with(x, &lb, l2->regions[0]->args[0]);
    /* an `if` without stores and with unused results goes */
    TcIrValue *c = param(x, "c", TC_BOOL);
    TcType *i32 = scalar(x, TC_I32);
    TcIrOp *ifop = tc_ir_build_if(&x->b, c, 1, &i32);
    TcIrBuilder tb, eb;
    tc_ir_builder_at_end(&tb, x->f, ifop->regions[0]);
    tc_ir_builder_at_end(&eb, x->f, ifop->regions[1]);
    TcIrValue *tv = tc_ir_build_binary(&tb, TC_OP_ADD, init, init);
    tc_ir_build_yield(&tb, 1, &tv);
    tc_ir_build_yield(&eb, 1, &init);
    assert_true(run_pipeline(x, "dce"));
    assert_int_equal(count(x, TC_OP_FOR), 1);
    assert_int_equal(count(x, TC_OP_IF), 0);
    assert_int_equal(count(x, TC_OP_STORE), 1);
    assert_int_equal(l2->nresults, 1);
    assert_int_equal(count(x, TC_OP_ADD), 1);
    fx_free(x);
}

static void test_dce_carried_values(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *a = param(x, "a", TC_I32);
    TcIrValue *b = param(x, "b", TC_I32);
    TcIrValue *lo = tc_ir_build_const_int(&x->b, TC_I32, 0);
    TcIrValue *hi = tc_ir_build_const_int(&x->b, TC_I32, 8);
    TcIrValue *inits[4] = {a, b, a, b};
    TcIrOp *loop = tc_ir_build_for(&x->b, lo, hi, hi, 4, inits);
    TcIrBlock *body = loop->regions[0];
    TcIrBuilder lb;
    tc_ir_builder_at_end(&lb, x->f, body);
    /* carried 0: result unused, block argument unused -> removed, and the
     *   add it yields dies with it
     * carried 1: its result is used -> kept
     * carried 2: result unused, argument only yielded in place, but it also
     *   feeds carried 1 -> kept
     * carried 3: result unused, argument only yielded in place -> removed */
    TcIrValue *n0 = tc_ir_build_binary(&lb, TC_OP_ADD, body->args[0], body->args[0]);
    TcIrValue *n1 = tc_ir_build_binary(&lb, TC_OP_ADD, body->args[2], body->args[3]);
    TcIrValue *ys[4] = {n0, n1, body->args[3], body->args[4]};
    tc_ir_build_yield(&lb, 4, ys);
    TcIrValue *r1 = loop->results[1];
    TcIrOp *st = store(x, r1);
    assert_true(run_pipeline(x, "dce"));
    assert_int_equal(loop->nresults, 2);
    assert_ptr_equal(loop->results[0], r1);
    assert_int_equal(r1->index, 0);
    assert_int_equal(loop->noperands, 5);
    assert_ptr_equal(loop->operands[3], b);
    assert_int_equal(body->nargs, 3);
    assert_int_equal(body->args[1]->index, 1);
    TcIrOp *y = tc_ir_block_terminator(body);
    assert_int_equal(y->noperands, 2);
    assert_ptr_equal(y->operands[0], n1);
    assert_int_equal(count(x, TC_OP_ADD), 1);
    assert_ptr_equal(stored_scalar(st), r1);
    fx_free(x);
}

static void test_dce_fixed_point(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *v = param(x, "p", TC_I32);
    for (int i = 0; i < 50; i++) v = tc_ir_build_binary(&x->b, TC_OP_ADD, v, v);
    /* dead chain inside a dead if inside a dead loop */
    TcIrOp *loop = build_counting_loop(x, 0, 4, 1, v);
    TcIrBuilder lb;
    tc_ir_builder_at_end(&lb, x->f, loop->regions[0]);
    lb.before = loop->regions[0]->first;
    TcIrOp *ifop = tc_ir_build_if(&lb, tc_ir_build_const_int(&lb, TC_BOOL, 1), 0, NULL);
    TcIrBuilder tb;
    tc_ir_builder_at_end(&tb, x->f, ifop->regions[0]);
    tc_ir_build_unary(&tb, TC_OP_NEG, v);
    tc_ir_build_yield(&tb, 0, NULL);
    tc_ir_builder_at_end(&tb, x->f, ifop->regions[1]);
    tc_ir_build_yield(&tb, 0, NULL);
    assert_true(run_pipeline(x, "dce"));
    assert_null(x->f->body->first);

    TcArena scratch;
    tc_arena_init(&scratch);
    TcPassContext ctx = {.de = &x->de, .scratch = &scratch};
    assert_true(tc_pass_dce.run(x->f, &ctx));
    assert_false(ctx.changed);
    tc_arena_free(&scratch);
    fx_free(x);
}

/* ------------------------------------------------------ whole pipeline */

static void test_default_pipeline(void **state)
{
    (void)state;
    Fx *x = fx_new();
    TcIrValue *pid = tc_ir_build_program_id(&x->b, TC_OP_PROGRAM_ID, 0);
    TcIrValue *bm = tc_ir_build_binary(&x->b, TC_OP_MUL, tc_ir_build_const_int(&x->b, TC_I32, 64),
                                       tc_ir_build_const_int(&x->b, TC_I32, 2));
    TcIrValue *m0 = tc_ir_build_binary(&x->b, TC_OP_MUL, pid, bm);
    TcIrValue *m1 = tc_ir_build_binary(&x->b, TC_OP_MUL, pid, bm);
    TcIrValue *s = tc_ir_build_binary(&x->b, TC_OP_SUB, m0, m1);
    TcIrOp *st = store(x, tc_ir_build_binary(&x->b, TC_OP_ADD, m0, s));
    assert_true(run_pipeline(x, "canonicalize,cse,canonicalize,dce"));
    TcIrValue *v = stored_scalar(st);
    assert_int_equal(v->def->opc, TC_OP_MUL);
    assert_ptr_equal(v->def->operands[0], pid);
    assert_const_int(v->def->operands[1], 128);
    assert_int_equal(count(x, TC_OP_MUL), 1);
    assert_int_equal(count(x, TC_OP_SUB) + count(x, TC_OP_ADD), 0);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_pipeline_parse_good),
        cmocka_unit_test(test_pipeline_parse_unknown),
        cmocka_unit_test(test_pipeline_parse_empty_element),
        cmocka_unit_test(test_print_after_all_and_timings),
        cmocka_unit_test(test_print_after_one),
        cmocka_unit_test(test_verify_each),
        cmocka_unit_test(test_fold_int_arith),
        cmocka_unit_test(test_fold_int_div_truncates),
        cmocka_unit_test(test_fold_int_shifts),
        cmocka_unit_test(test_no_fold_division_by_zero),
        cmocka_unit_test(test_fold_compare),
        cmocka_unit_test(test_fold_float_precision),
        cmocka_unit_test(test_fold_float_max_min),
        cmocka_unit_test(test_fold_unary),
        cmocka_unit_test(test_no_fold_transcendental),
        cmocka_unit_test(test_fold_cast),
        cmocka_unit_test(test_no_fold_inexact_f16),
        cmocka_unit_test(test_fold_splat_operands),
        cmocka_unit_test(test_identities_int),
        cmocka_unit_test(test_identities_float),
        cmocka_unit_test(test_identities_same_operand),
        cmocka_unit_test(test_identities_select_and_negation),
        cmocka_unit_test(test_identities_shape_ops),
        cmocka_unit_test(test_if_constant_condition_inlined),
        cmocka_unit_test(test_if_nonconstant_kept),
        cmocka_unit_test(test_for_zero_trips),
        cmocka_unit_test(test_canonicalize_fixed_point),
        cmocka_unit_test(test_cse_basic),
        cmocka_unit_test(test_cse_scoping),
        cmocka_unit_test(test_cse_loads_not_merged),
        cmocka_unit_test(test_dce_keeps_stores_removes_dead),
        cmocka_unit_test(test_dce_loops),
        cmocka_unit_test(test_dce_carried_values),
        cmocka_unit_test(test_dce_fixed_point),
        cmocka_unit_test(test_default_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
