/*
 * test_verifier.c — one test per verifier rule of docs/ir.md: each builds a
 * small kernel, breaks exactly one rule (with the builder or tc_ir_op_new)
 * and checks for a TC_E_IR_VERIFY diagnostic naming the op; valid kernels
 * must pass without diagnostics.
 *
 * Invariant: every test starts from the Fx fixture, a valid kernel
 *   kernel @k(%a: tensor<f32[M, 64]>, %o: tensor<out f32[M, 64]>, %x: f32, %n: i32) sizes(%M)
 * whose grid yields one i32 constant and whose body is empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

typedef struct Fx {
    TcArena arena;
    TcIrModule *m;
    TcDiagEngine de;
    TcIrFunc *f;
    TcIrBuilder b;    /* at the end of the body */
    TcIrValue *a, *o, *x, *n, *M;
    TcIrValue *grid_one;
} Fx;

static const TcSpan loc_none = {0, 0, 0, 0, 0};

static int setup(void **state)
{
    Fx *k = calloc(1, sizeof *k);
    tc_arena_init(&k->arena);
    k->m = tc_ir_module_new(&k->arena);
    tc_diag_init(&k->de, &k->arena);
    TcSpan kloc = {1, 1, 1, 1, 9};
    k->f = tc_ir_func_new(k->m, "k", kloc);
    TcDim d[2] = {{0, "M"}, {64, NULL}};
    k->a = tc_ir_func_add_param(k->f, "a", tc_type_tensor(k->m, TC_F32, 2, d, 0));
    k->o = tc_ir_func_add_param(k->f, "o", tc_type_tensor(k->m, TC_F32, 2, d, TC_TENSOR_OUT));
    k->x = tc_ir_func_add_param(k->f, "x", tc_type_scalar(k->m, TC_F32));
    k->n = tc_ir_func_add_param(k->f, "n", tc_type_scalar(k->m, TC_I32));
    k->M = tc_ir_func_add_size(k->f, "M");
    tc_ir_builder_at_end(&k->b, k->f, k->f->grid);
    k->grid_one = tc_ir_build_const_int(&k->b, TC_I32, 1);
    tc_ir_build_yield(&k->b, 1, &k->grid_one);
    tc_ir_builder_at_end(&k->b, k->f, k->f->body);
    TcSpan oloc = {1, 7, 3, 7, 20};
    k->b.loc = oloc;
    *state = k;
    return 0;
}

static int teardown(void **state)
{
    Fx *k = *state;
    tc_ir_module_free(k->m);
    tc_arena_free(&k->arena);
    free(k);
    return 0;
}

/* ------------------------------------------------------------ helpers */

static TcType *sc(Fx *k, TcDtype dt) { return tc_type_scalar(k->m, dt); }
static TcType *t1(Fx *k, TcDtype dt, int64_t a) { return tc_type_tile(k->m, dt, 1, &a); }
static TcType *t2(Fx *k, TcDtype dt, int64_t a, int64_t b)
{
    int64_t s[2] = {a, b};
    return tc_type_tile(k->m, dt, 2, s);
}

/* An op built without checks and appended to the body: n operands, then
 * the result type (NULL: no result). */
static TcIrOp *mk(Fx *k, TcOpcode opc, TcType *rt, uint32_t n, ...)
{
    TcIrValue *ops[16];
    va_list ap;
    va_start(ap, n);
    for (uint32_t i = 0; i < n; i++) ops[i] = va_arg(ap, TcIrValue *);
    va_end(ap);
    TcIrOp *op = tc_ir_op_new(k->f, opc, k->b.loc, n, ops, rt ? 1 : 0, &rt, 0);
    tc_ir_block_append(k->f->body, op);
    return op;
}

static TcIrValue *ci(Fx *k, TcDtype dt, int64_t v) { return tc_ir_build_const_int(&k->b, dt, v); }

/* A tile of the given type, made by splatting a constant. */
static TcIrValue *tile(Fx *k, TcType *t)
{
    TcIrValue *s = tc_dtype_is_float(t->dtype) ? tc_ir_build_const_float(&k->b, t->dtype, 1.0)
                                               : ci(k, t->dtype, 1);
    return tc_ir_build_splat(&k->b, s, t);
}

static void dump(Fx *k)
{
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(&k->de, TC_DIAG_TEXT, &sb);
    fprintf(stderr, "%s", sb.data ? sb.data : "(no diagnostics)\n");
    tc_sb_free(&sb);
}

static void expect_ok(Fx *k)
{
    bool ok = tc_ir_verify_func(k->f, &k->de, NULL);
    if (!ok || k->de.diags.len) dump(k);
    assert_true(ok);
    assert_int_equal(k->de.diags.len, 0);
}

/* Verification fails with a TC_E_IR_VERIFY diagnostic containing msg. */
static TcDiag *expect_error(Fx *k, const char *msg)
{
    bool ok = tc_ir_verify_func(k->f, &k->de, NULL);
    assert_false(ok);
    for (uint32_t i = 0; i < k->de.diags.len; i++) {
        TcDiag *d = k->de.diags.data[i];
        if (d->code == TC_E_IR_VERIFY && strstr(d->msg, msg)) return d;
    }
    fprintf(stderr, "expected a diagnostic containing \"%s\"; got:\n", msg);
    dump(k);
    fail();
    return NULL;
}

/* ------------------------------------------------------------ valid IR */

static void test_valid_empty_kernel(void **state) { expect_ok(*state); }

static void test_valid_full_kernel(void **state)
{
    Fx *k = *state;
    TcIrBuilder *b = &k->b;
    TcIrValue *pid = tc_ir_build_program_id(b, TC_OP_PROGRAM_ID, 0);
    TcIrValue *zero = ci(k, TC_I32, 0), *step = ci(k, TC_I32, 16);
    TcIrValue *acc = tile(k, t2(k, TC_F32, 16, 64));
    TcIrOp *loop = tc_ir_build_for(b, zero, k->M, step, 1, &acc);
    loop->pipeline = 2;
    {
        TcIrBuilder in;
        tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
        TcIrValue *off[2] = {loop->regions[0]->args[0], zero};
        TcIrValue *t = tc_ir_build_load(&in, k->a, off, NULL, t2(k, TC_F32, 16, 64));
        TcIrValue *w = tc_ir_build_splat(&in, k->x, t2(k, TC_F32, 64, 64));
        TcIrValue *d = tc_ir_build_dot(&in, t, w, loop->regions[0]->args[1]);
        tc_ir_build_yield(&in, 1, &d);
    }
    TcIrValue *row = tc_ir_build_view(b, k->a, 1, &pid);
    TcIrValue *pad = tc_ir_build_const_float(b, TC_F32, -1.0);
    TcIrValue *r = tc_ir_build_load(b, row, &zero, pad, t1(k, TC_F32, 64));
    TcIrValue *mx = tc_ir_build_reduce(b, TC_OP_REDUCE_MAX, r, 0);
    TcIrValue *cond = tc_ir_build_binary(b, TC_OP_LT, mx, k->x);
    TcType *rt = t2(k, TC_F32, 16, 64);
    TcIrOp *iff = tc_ir_build_if(b, cond, 1, &rt);
    {
        TcIrBuilder in;
        tc_ir_builder_at_end(&in, k->f, iff->regions[0]);
        tc_ir_build_yield(&in, 1, &loop->results[0]);
        tc_ir_builder_at_end(&in, k->f, iff->regions[1]);
        TcIrValue *e = tc_ir_build_unary(&in, TC_OP_EXP, loop->results[0]);
        tc_ir_build_yield(&in, 1, &e);
    }
    TcIrValue *off[2] = {pid, zero};
    tc_ir_build_store(b, k->o, off, iff->results[0]);
    TcIrValue *e = tc_ir_build_expand_dims(b, mx, 0);
    TcIrValue *bc = tc_ir_build_broadcast(b, e, t1(k, TC_F32, 8));
    TcIrValue *rs = tc_ir_build_reshape(b, bc, t2(k, TC_F32, 2, 4));
    int64_t perm[2] = {1, 0};
    TcIrValue *tr = tc_ir_build_trans(b, rs, 2, perm);
    TcIrValue *ar = tc_ir_build_arange(b, 8);
    TcIrValue *c = tc_ir_build_cast(b, ar, t1(k, TC_F32, 8));
    TcIrValue *s = tc_ir_build_select(b, tc_ir_build_binary(b, TC_OP_GE, c, bc), c, bc);
    (void)tr;
    (void)s;
    ci(k, TC_U8, 255);
    ci(k, TC_I8, -128);
    ci(k, TC_BOOL, 1);
    ci(k, TC_U64, -1);
    expect_ok(k);
}

/* ------------------------------------------------------------ structure */

static void test_operand_count(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_ADD, sc(k, TC_F32), 1, k->x);
    expect_error(k, "'add' takes 2 operands, found 1");
}

static void test_result_count(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_ADD, NULL, 2, k->x, k->x);
    expect_error(k, "'add' has 1 result, found 0");
}

static void test_region_count(void **state)
{
    Fx *k = *state;
    TcType *t = sc(k, TC_F32);
    TcIrValue *ops[2] = {k->x, k->x};
    tc_ir_block_append(k->f->body, tc_ir_op_new(k->f, TC_OP_ADD, loc_none, 2, ops, 1, &t, 1));
    expect_error(k, "'add' has 1 regions, expected 0");
}

static void test_result_tensor_type(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_CAST, k->a->type, 1, k->x);
    expect_error(k, "'cast' result 0 has tensor type tensor<f32[M, 64]>; only 'view' makes tensors");
}

static void test_use_before_definition(void **state)
{
    Fx *k = *state;
    TcIrOp *first = mk(k, TC_OP_NEG, sc(k, TC_F32), 1, k->x);
    TcIrOp *second = mk(k, TC_OP_NEG, sc(k, TC_F32), 1, k->x);
    first->operands[0] = second->results[0];
    expect_error(k, "'neg' operand 0 is not defined before this op in an enclosing block");
}

static void test_use_outside_region(void **state)
{
    Fx *k = *state;
    TcIrValue *c = ci(k, TC_BOOL, 1);
    TcIrOp *iff = tc_ir_build_if(&k->b, c, 0, NULL);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, iff->regions[0]);
    TcIrValue *inner = tc_ir_build_unary(&in, TC_OP_NEG, k->x);
    inner->name = tc_ir_intern(k->m, "inner");
    tc_ir_build_yield(&in, 0, NULL);
    tc_ir_builder_at_end(&in, k->f, iff->regions[1]);
    tc_ir_build_yield(&in, 0, NULL);
    tc_ir_build_unary(&k->b, TC_OP_NEG, inner);
    expect_error(k, "'neg' operand 0 (%inner) is not defined before this op");
}

static void test_use_grid_value_in_body(void **state)
{
    Fx *k = *state;
    tc_ir_build_unary(&k->b, TC_OP_NEG, k->grid_one);
    expect_error(k, "'neg' operand 0 is not defined before this op");
}

static void test_use_value_of_other_kernel(void **state)
{
    Fx *k = *state;
    TcIrFunc *g = tc_ir_func_new(k->m, "other", loc_none);
    TcIrValue *y = tc_ir_func_add_param(g, "y", sc(k, TC_F32));
    y->id = 100;
    tc_ir_build_unary(&k->b, TC_OP_NEG, y);
    expect_error(k, "'neg' operand 0 (%y) is not defined before this op");
}

static void test_missing_operand(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_NEG, sc(k, TC_F32), 1, (TcIrValue *)NULL);
    expect_error(k, "'neg' operand 0 is missing");
}

static void test_value_id_shared(void **state)
{
    Fx *k = *state;
    TcIrValue *v = tc_ir_build_unary(&k->b, TC_OP_NEG, k->x);
    v->id = k->x->id;
    expect_error(k, "'neg' result 0 shares its id with another value");
}

static void test_op_links(void **state)
{
    Fx *k = *state;
    TcIrOp *op = mk(k, TC_OP_NEG, sc(k, TC_F32), 1, k->x);
    op->parent = k->f->grid;
    expect_error(k, "'neg' is not linked correctly into its block");
}

static void test_result_links(void **state)
{
    Fx *k = *state;
    TcIrOp *a = mk(k, TC_OP_NEG, sc(k, TC_F32), 1, k->x);
    TcIrOp *b = mk(k, TC_OP_NEG, sc(k, TC_F32), 1, k->x);
    b->results[0] = a->results[0];
    expect_error(k, "'neg' result 0 is not linked to its op");
}

/* ------------------------------------------------------------ element-wise */

static void test_binary_types_differ(void **state)
{
    Fx *k = *state;
    TcIrValue *p = tile(k, t1(k, TC_F32, 64)), *q = tile(k, t1(k, TC_F16, 64));
    mk(k, TC_OP_ADD, p->type, 2, p, q);
    TcDiag *d = expect_error(k, "operands have different types");
    assert_string_equal(d->msg, "'add' operands have different types: f32[64] and f16[64]");
}

static void test_binary_result_type(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_MUL, sc(k, TC_F64), 2, k->x, k->x);
    expect_error(k, "'mul' result type f64 differs from the operands' type f32");
}

static void test_binary_on_tensor(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_ADD, sc(k, TC_F32), 2, k->a, k->a);
    expect_error(k, "'add' operands must be scalars or tiles, found tensor<f32[M, 64]>");
}

static void test_arith_on_bool(void **state)
{
    Fx *k = *state;
    TcIrValue *c = ci(k, TC_BOOL, 1);
    tc_ir_build_binary(&k->b, TC_OP_SUB, c, c);
    expect_error(k, "'sub' is not defined on bool operands (bool)");
}

static void test_bitwise_on_float(void **state)
{
    Fx *k = *state;
    tc_ir_build_binary(&k->b, TC_OP_XOR, k->x, k->x);
    expect_error(k, "'xor' needs integer or bool operands, found f32");
}

static void test_shift_on_bool(void **state)
{
    Fx *k = *state;
    TcIrValue *c = ci(k, TC_BOOL, 1);
    tc_ir_build_binary(&k->b, TC_OP_SHR, c, c);
    expect_error(k, "'shr' needs integer operands, found bool");
}

static void test_compare_result_not_bool(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_LT, sc(k, TC_I32), 2, k->n, k->n);
    expect_error(k, "'lt' result must be bool with the operands' shape, found i32 for operands i32");
}

static void test_compare_types_differ(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_EQ, sc(k, TC_BOOL), 2, k->n, k->x);
    expect_error(k, "'eq' operands have different types: i32 and f32");
}

static void test_unary_float_only(void **state)
{
    Fx *k = *state;
    tc_ir_build_unary(&k->b, TC_OP_SQRT, k->n);
    expect_error(k, "'sqrt' needs a float operand, found i32");
}

static void test_neg_on_bool(void **state)
{
    Fx *k = *state;
    tc_ir_build_unary(&k->b, TC_OP_NEG, ci(k, TC_BOOL, 0));
    expect_error(k, "'neg' needs an integer or float operand, found bool");
}

static void test_not_on_float(void **state)
{
    Fx *k = *state;
    tc_ir_build_unary(&k->b, TC_OP_NOT, k->x);
    expect_error(k, "'not' needs an integer or bool operand, found f32");
}

static void test_unary_result_type(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_ABS, sc(k, TC_I64), 1, k->n);
    expect_error(k, "'abs' result type i64 differs from the operand's type i32");
}

/* ------------------------------------------------------------ values */

static void test_const_out_of_range(void **state)
{
    Fx *k = *state;
    ci(k, TC_U8, 256);
    expect_error(k, "'const' value 256 does not fit u8");
}

static void test_const_negative_unsigned(void **state)
{
    Fx *k = *state;
    ci(k, TC_U16, -1);
    expect_error(k, "'const' value 18446744073709551615 does not fit u16");
}

static void test_const_bool_not_01(void **state)
{
    Fx *k = *state;
    ci(k, TC_BOOL, 2);
    expect_error(k, "'const' value 2 does not fit bool");
}

static void test_const_tile_result(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_CONST, t1(k, TC_F32, 4), 0);
    expect_error(k, "'const' result must be a scalar, found f32[4]");
}

static void test_splat_dtype(void **state)
{
    Fx *k = *state;
    tc_ir_build_splat(&k->b, k->x, t1(k, TC_F16, 4));
    expect_error(k, "'splat' needs a scalar operand and a tile result of its dtype, found f32 -> f16[4]");
}

static void test_arange_result(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_ARANGE, t1(k, TC_I64, 4), 0);
    expect_error(k, "'arange' result must be a rank-1 i32 tile, found i64[4]");
}

static void test_program_id_axis(void **state)
{
    Fx *k = *state;
    tc_ir_build_program_id(&k->b, TC_OP_NUM_PROGRAMS, 3);
    expect_error(k, "'num_programs' axis 3 is not 0, 1 or 2");
}

static void test_program_id_result(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_PROGRAM_ID, sc(k, TC_I64), 0);
    expect_error(k, "'program_id' result must be i32, found i64");
}

static void test_cast_shape(void **state)
{
    Fx *k = *state;
    tc_ir_build_cast(&k->b, tile(k, t1(k, TC_F32, 4)), t1(k, TC_F16, 8));
    expect_error(k, "'cast' operand and result must have the same shape, found f32[4] -> f16[8]");
}

static void test_select_condition(void **state)
{
    Fx *k = *state;
    TcIrValue *v = tile(k, t1(k, TC_F32, 4));
    tc_ir_build_select(&k->b, ci(k, TC_BOOL, 1), v, v);
    expect_error(k, "'select' condition must be bool with the operands' shape, found bool for f32[4]");
}

static void test_select_types(void **state)
{
    Fx *k = *state;
    tc_ir_build_select(&k->b, ci(k, TC_BOOL, 1), k->x, k->n);
    expect_error(k, "'select' operands have different types: f32 and i32");
}

/* ------------------------------------------------------------ shape ops */

static void test_broadcast_extent(void **state)
{
    Fx *k = *state;
    tc_ir_build_broadcast(&k->b, tile(k, t2(k, TC_F32, 2, 4)), t2(k, TC_F32, 4, 4));
    expect_error(k, "'broadcast' cannot broadcast f32[2, 4] to f32[4, 4]: extent 2 of axis 0 is neither 1 nor 4");
}

static void test_broadcast_rank(void **state)
{
    Fx *k = *state;
    tc_ir_build_broadcast(&k->b, tile(k, t1(k, TC_F32, 4)), t2(k, TC_F32, 4, 4));
    expect_error(k, "'broadcast' needs a tile operand and a tile result of the same dtype and rank");
}

static void test_expand_dims_axis(void **state)
{
    Fx *k = *state;
    TcIrOp *op = mk(k, TC_OP_EXPAND_DIMS, t2(k, TC_F32, 4, 1), 1, tile(k, t1(k, TC_F32, 4)));
    op->ival = 2;
    expect_error(k, "'expand_dims' axis 2 is out of range for f32[4]");
}

static void test_expand_dims_result(void **state)
{
    Fx *k = *state;
    TcIrOp *op = mk(k, TC_OP_EXPAND_DIMS, t2(k, TC_F32, 4, 1), 1, tile(k, t1(k, TC_F32, 4)));
    op->ival = 0;
    expect_error(k, "'expand_dims' result type f32[4, 1] is not f32[4] with an extent-1 axis inserted at 0");
}

static void test_reshape_numel(void **state)
{
    Fx *k = *state;
    tc_ir_build_reshape(&k->b, tile(k, t2(k, TC_F32, 4, 4)), t1(k, TC_F32, 8));
    expect_error(k, "'reshape' needs tiles of the same dtype and element count, found f32[4, 4] -> f32[8]");
}

static void test_trans_perm(void **state)
{
    Fx *k = *state;
    TcIrOp *op = mk(k, TC_OP_TRANS, t2(k, TC_F32, 4, 2), 1, tile(k, t2(k, TC_F32, 2, 4)));
    static int64_t perm[2] = {1, 1};
    op->ints = perm;
    op->nints = 2;
    expect_error(k, "'trans' perm is not a permutation of the 2 axes of f32[2, 4]");
}

static void test_trans_result(void **state)
{
    Fx *k = *state;
    TcIrOp *op = mk(k, TC_OP_TRANS, t2(k, TC_F32, 2, 4), 1, tile(k, t2(k, TC_F32, 2, 4)));
    static int64_t perm[2] = {1, 0};
    op->ints = perm;
    op->nints = 2;
    expect_error(k, "'trans' result type f32[2, 4] does not match f32[2, 4] permuted");
}

static void test_reduce_axis(void **state)
{
    Fx *k = *state;
    TcIrOp *op = mk(k, TC_OP_REDUCE_SUM, sc(k, TC_F32), 1, tile(k, t1(k, TC_F32, 4)));
    op->ival = 1;
    expect_error(k, "'reduce_sum' axis 1 is out of range for f32[4]");
}

static void test_reduce_result(void **state)
{
    Fx *k = *state;
    TcIrOp *op = mk(k, TC_OP_REDUCE_MIN, t1(k, TC_F32, 2), 1, tile(k, t2(k, TC_F32, 2, 4)));
    op->ival = 0;
    expect_error(k, "'reduce_min' result type f32[2] is not f32[2, 4] with axis 0 removed");
}

static void test_reduce_bool(void **state)
{
    Fx *k = *state;
    tc_ir_build_reduce(&k->b, TC_OP_REDUCE_MAX, tile(k, t1(k, TC_BOOL, 4)), 0);
    expect_error(k, "'reduce_max' operand must be a numeric tile, found bool[4]");
}

/* ------------------------------------------------------------ dot */

static void test_dot_rank(void **state)
{
    Fx *k = *state;
    TcIrValue *v = tile(k, t1(k, TC_F32, 4));
    tc_ir_build_dot(&k->b, v, v, v);
    expect_error(k, "'dot' operands must be rank-2 tiles");
}

static void test_dot_operand_dtypes(void **state)
{
    Fx *k = *state;
    tc_ir_build_dot(&k->b, tile(k, t2(k, TC_F16, 4, 4)), tile(k, t2(k, TC_BF16, 4, 4)),
                    tile(k, t2(k, TC_F32, 4, 4)));
    expect_error(k, "'dot' operands a and b must share a numeric dtype, found f16[4, 4] and bf16[4, 4]");
}

static void test_dot_shapes(void **state)
{
    Fx *k = *state;
    tc_ir_build_dot(&k->b, tile(k, t2(k, TC_F16, 4, 8)), tile(k, t2(k, TC_F16, 4, 2)),
                    tile(k, t2(k, TC_F32, 4, 2)));
    expect_error(k, "'dot' shapes do not agree: f16[4, 8] @ f16[4, 2] + f32[4, 2]");
}

static void test_dot_accumulator(void **state)
{
    Fx *k = *state;
    tc_ir_build_dot(&k->b, tile(k, t2(k, TC_I8, 4, 4)), tile(k, t2(k, TC_I8, 4, 4)),
                    tile(k, t2(k, TC_F32, 4, 4)));
    expect_error(k, "'dot' accumulator f32[4, 4] cannot accumulate i8 products");
}

static void test_dot_result(void **state)
{
    Fx *k = *state;
    TcIrValue *v = tile(k, t2(k, TC_F32, 4, 4));
    mk(k, TC_OP_DOT, t2(k, TC_F64, 4, 4), 3, v, v, v);
    expect_error(k, "'dot' result type f64[4, 4] differs from the accumulator's type f32[4, 4]");
}

/* ------------------------------------------------------------ memory */

static void test_view_index_count(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_VIEW, k->a->type, 3, k->a, k->n, k->n);
    expect_error(k, "'view' takes between 1 and 1 indices for tensor<f32[M, 64]>, found 2");
}

static void test_view_index_type(void **state)
{
    Fx *k = *state;
    tc_ir_build_view(&k->b, k->a, 1, &k->x);
    expect_error(k, "'view' index 0 must be an integer scalar, found f32");
}

static void test_view_result(void **state)
{
    Fx *k = *state;
    TcDim d = {0, "M"};
    mk(k, TC_OP_VIEW, tc_type_tensor(k->m, TC_F32, 1, &d, 0), 2, k->a, k->n);
    expect_error(k, "'view' result type tensor<f32[M]> is not tensor<f32[M, 64]> without its first 1 dimensions");
}

static void test_load_offset_count(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_LOAD, t2(k, TC_F32, 4, 4), 2, k->a, k->n);
    expect_error(k, "'load' takes 2 offsets and an optional pad for tensor<f32[M, 64]>, found 1 operands");
}

static void test_load_offset_type(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_LOAD, t2(k, TC_F32, 4, 4), 3, k->a, k->n, k->x);
    expect_error(k, "'load' offset 1 must be an integer scalar, found f32");
}

static void test_load_pad(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_LOAD, t2(k, TC_F32, 4, 4), 4, k->a, k->n, k->n, k->n);
    expect_error(k, "'load' pad must be a f32 scalar, found i32");
}

static void test_load_result(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_LOAD, t2(k, TC_F16, 4, 4), 3, k->a, k->n, k->n);
    expect_error(k, "'load' result must be a rank-2 f32 tile, found f16[4, 4]");
}

static void test_store_read_only(void **state)
{
    Fx *k = *state;
    TcIrValue *off[2] = {k->n, k->n};
    tc_ir_build_store(&k->b, k->a, off, tile(k, t2(k, TC_F32, 4, 4)));
    expect_error(k, "'store' to read-only tensor tensor<f32[M, 64]> (it must be out or inout)");
}

static void test_store_tile(void **state)
{
    Fx *k = *state;
    TcIrValue *off[2] = {k->n, k->n};
    tc_ir_build_store(&k->b, k->o, off, tile(k, t2(k, TC_F16, 4, 4)));
    expect_error(k, "'store' value stored must be a rank-2 f32 tile, found f16[4, 4]");
}

static void test_store_operand_count(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_STORE, NULL, 2, k->o, k->n);
    expect_error(k, "'store' takes 2 offsets and a tile for tensor<out f32[M, 64]>, found 1 operands");
}

/* ------------------------------------------------------------ control flow */

/* A `for` over [0, n) with one carried f32 scalar, body left to the test. */
static TcIrOp *simple_for(Fx *k)
{
    TcIrValue *zero = ci(k, TC_I32, 0), *one = ci(k, TC_I32, 1);
    return tc_ir_build_for(&k->b, zero, k->n, one, 1, &k->x);
}

static void test_for_bounds(void **state)
{
    Fx *k = *state;
    TcIrValue *zero = ci(k, TC_I64, 0), *one = ci(k, TC_I32, 1);
    TcIrOp *loop = tc_ir_build_for(&k->b, zero, k->n, one, 0, NULL);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 0, NULL);
    expect_error(k, "'for' lo, hi and step must be integer scalars of one type, found i64, i32, i32");
}

static void test_for_carried_types(void **state)
{
    Fx *k = *state;
    TcIrOp *loop = simple_for(k);
    loop->results[0]->type = sc(k, TC_F64);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 1, &loop->regions[0]->args[1]);
    expect_error(k, "'for' carried value 0 has initial type f32, body argument type f32 and result type f64");
}

static void test_for_carried_tensor(void **state)
{
    Fx *k = *state;
    TcIrValue *zero = ci(k, TC_I32, 0), *one = ci(k, TC_I32, 1);
    TcIrOp *loop = tc_ir_build_for(&k->b, zero, k->n, one, 1, &k->a);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 1, &loop->regions[0]->args[1]);
    expect_error(k, "has tensor type tensor<f32[M, 64]>");
}

static void test_for_result_count(void **state)
{
    Fx *k = *state;
    TcIrValue *zero = ci(k, TC_I32, 0);
    TcType *t = sc(k, TC_F32);
    TcIrValue *ops[3] = {zero, zero, zero};
    TcIrOp *loop = tc_ir_op_new(k->f, TC_OP_FOR, k->b.loc, 3, ops, 1, &t, 1);
    tc_ir_block_append(k->f->body, loop);
    tc_ir_block_add_arg(loop->regions[0], zero->type, NULL);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 0, NULL);
    expect_error(k, "'for' has 0 initial values but 1 results");
}

static void test_for_body_args(void **state)
{
    Fx *k = *state;
    TcIrValue *zero = ci(k, TC_I32, 0);
    TcIrValue *ops[3] = {zero, zero, zero};
    TcIrOp *loop = tc_ir_op_new(k->f, TC_OP_FOR, k->b.loc, 3, ops, 0, NULL, 1);
    tc_ir_block_append(k->f->body, loop);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 0, NULL);
    expect_error(k, "'for' body has 0 arguments, expected the induction variable and 0 carried values");
}

static void test_for_induction_type(void **state)
{
    Fx *k = *state;
    TcIrValue *zero = ci(k, TC_I32, 0);
    TcIrValue *ops[3] = {zero, zero, zero};
    TcIrOp *loop = tc_ir_op_new(k->f, TC_OP_FOR, k->b.loc, 3, ops, 0, NULL, 1);
    tc_ir_block_append(k->f->body, loop);
    tc_ir_block_add_arg(loop->regions[0], sc(k, TC_I64), NULL);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 0, NULL);
    expect_error(k, "'for' induction variable has type i64, expected i32");
}

static void test_for_missing_yield(void **state)
{
    Fx *k = *state;
    simple_for(k);
    expect_error(k, "'for' region (the body of 'for') does not end with 'yield'");
}

static void test_for_yield_types(void **state)
{
    Fx *k = *state;
    TcIrOp *loop = simple_for(k);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 1, &loop->regions[0]->args[0]);
    expect_error(k, "'yield' in the body of 'for' yields i32 as value 0, but the result has type f32");
}

static void test_for_yield_count(void **state)
{
    Fx *k = *state;
    TcIrOp *loop = simple_for(k);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 0, NULL);
    expect_error(k, "'yield' in the body of 'for' yields 0 values, but 'for' has 1 results");
}

static void test_for_attributes(void **state)
{
    Fx *k = *state;
    TcIrOp *loop = simple_for(k);
    loop->pipeline = -1;
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 1, &loop->regions[0]->args[1]);
    expect_error(k, "'for' pipeline and unroll must be >= 0, found -1 and 0");
}

static TcIrOp *if_with(Fx *k, TcIrValue *cond, uint32_t n, TcType *const *types)
{
    TcIrOp *iff = tc_ir_build_if(&k->b, cond, n, types);
    return iff;
}

static void test_if_condition(void **state)
{
    Fx *k = *state;
    TcIrOp *iff = if_with(k, k->n, 0, NULL);
    for (int r = 0; r < 2; r++) {
        TcIrBuilder in;
        tc_ir_builder_at_end(&in, k->f, iff->regions[r]);
        tc_ir_build_yield(&in, 0, NULL);
    }
    expect_error(k, "'if' condition must be a scalar bool, found i32");
}

static void test_if_yield(void **state)
{
    Fx *k = *state;
    TcType *t = sc(k, TC_F32);
    TcIrOp *iff = if_with(k, ci(k, TC_BOOL, 1), 1, &t);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, iff->regions[0]);
    tc_ir_build_yield(&in, 1, &k->x);
    tc_ir_builder_at_end(&in, k->f, iff->regions[1]);
    tc_ir_build_yield(&in, 1, &k->n);
    expect_error(k, "'yield' in the else region of 'if' yields i32 as value 0, but the result has type f32");
}

static void test_if_missing_yield(void **state)
{
    Fx *k = *state;
    TcIrOp *iff = if_with(k, ci(k, TC_BOOL, 1), 0, NULL);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, iff->regions[1]);
    tc_ir_build_yield(&in, 0, NULL);
    expect_error(k, "'if' region (the then region of 'if') does not end with 'yield'");
}

static void test_if_region_args(void **state)
{
    Fx *k = *state;
    TcIrOp *iff = if_with(k, ci(k, TC_BOOL, 1), 0, NULL);
    tc_ir_block_add_arg(iff->regions[0], sc(k, TC_I32), NULL);
    for (int r = 0; r < 2; r++) {
        TcIrBuilder in;
        tc_ir_builder_at_end(&in, k->f, iff->regions[r]);
        tc_ir_build_yield(&in, 0, NULL);
    }
    expect_error(k, "'if' then region has arguments");
}

static void test_if_tensor_result(void **state)
{
    Fx *k = *state;
    TcIrOp *iff = if_with(k, ci(k, TC_BOOL, 1), 1, &k->a->type);
    for (int r = 0; r < 2; r++) {
        TcIrBuilder in;
        tc_ir_builder_at_end(&in, k->f, iff->regions[r]);
        tc_ir_build_yield(&in, 1, &k->a);
    }
    expect_error(k, "'if' result 0 has tensor type tensor<f32[M, 64]>");
}

static void test_yield_not_last(void **state)
{
    Fx *k = *state;
    TcIrOp *loop = tc_ir_build_for(&k->b, k->n, k->n, k->n, 0, NULL);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 0, NULL);
    tc_ir_build_unary(&in, TC_OP_NEG, k->x);
    tc_ir_build_yield(&in, 0, NULL);
    expect_error(k, "'yield' must be the last op of its block");
}

static void test_yield_in_body(void **state)
{
    Fx *k = *state;
    tc_ir_build_yield(&k->b, 0, NULL);
    expect_error(k, "'yield' is not allowed in the kernel body");
}

/* ------------------------------------------------------------ grid */

static void test_grid_missing_yield(void **state)
{
    Fx *k = *state;
    tc_ir_op_unlink(k->f->grid->last);
    expect_error(k, "kernel '@k': the grid block does not end with 'yield'");
}

static void test_grid_yield_types(void **state)
{
    Fx *k = *state;
    TcIrOp *y = k->f->grid->last;
    y->operands[0] = k->x;
    expect_error(k, "'yield' in the grid block must yield 1 to 3 i32 scalars");
}

static void test_grid_yield_count(void **state)
{
    Fx *k = *state;
    tc_ir_op_unlink(k->f->grid->last);
    TcIrBuilder gb;
    tc_ir_builder_at_end(&gb, k->f, k->f->grid);
    TcIrValue *v[4] = {k->n, k->n, k->n, k->n};
    tc_ir_build_yield(&gb, 4, v);
    expect_error(k, "'yield' in the grid block must yield 1 to 3 i32 scalars");
}

static void test_grid_forbidden_memory(void **state)
{
    Fx *k = *state;
    TcIrBuilder gb;
    tc_ir_builder_at_end(&gb, k->f, k->f->grid);
    gb.before = k->f->grid->last;
    TcIrValue *off[2] = {k->n, k->n};
    tc_ir_build_load(&gb, k->a, off, NULL, t2(k, TC_F32, 2, 2));
    expect_error(k, "'load' is not allowed in the grid block");
}

static void test_grid_forbidden_program_id(void **state)
{
    Fx *k = *state;
    TcIrBuilder gb;
    tc_ir_builder_at_end(&gb, k->f, k->f->grid);
    gb.before = k->f->grid->last;
    tc_ir_build_program_id(&gb, TC_OP_PROGRAM_ID, 0);
    expect_error(k, "'program_id' is not allowed in the grid block");
}

static void test_grid_uses_kernel_args(void **state)
{
    Fx *k = *state;
    TcIrBuilder gb;
    tc_ir_builder_at_end(&gb, k->f, k->f->grid);
    gb.before = k->f->grid->last;
    TcIrValue *s = tc_ir_build_binary(&gb, TC_OP_ADD, k->M, k->n);
    k->f->grid->last->operands[0] = s;
    expect_ok(k);
}

/* ------------------------------------------------------------ signature */

static void test_tile_parameter(void **state)
{
    Fx *k = *state;
    k->x->type = t1(k, TC_F32, 4);
    expect_error(k, "kernel '@k': parameter 2 has tile type f32[4]; parameters are tensors or scalars");
}

static void test_size_not_a_dimension(void **state)
{
    Fx *k = *state;
    tc_ir_func_add_size(k->f, "Q");
    expect_error(k, "kernel '@k': size 1 ('Q') is not a dimension of any tensor parameter");
}

static void test_size_type(void **state)
{
    Fx *k = *state;
    k->M->type = sc(k, TC_I64);
    expect_error(k, "kernel '@k': size 0 has type i64, expected i32");
}

static void test_dimension_without_size(void **state)
{
    Fx *k = *state;
    k->M->name = tc_ir_intern(k->m, "N");
    TcDim d = {0, "N"};
    k->n->type = tc_type_tensor(k->m, TC_F32, 1, &d, 0);
    expect_error(k, "kernel '@k': dimension 'M' of parameter 0 has no size argument");
}

static void test_body_argument_count(void **state)
{
    Fx *k = *state;
    k->f->nsizes = 2;
    expect_error(k, "kernel '@k': body has 5 arguments, expected 4 parameters and 2 sizes");
}

static void test_warps_negative(void **state)
{
    Fx *k = *state;
    k->f->warps = -2;
    expect_error(k, "kernel '@k': warps must be >= 0, found -2");
}

/* ------------------------------------------------------------ reporting */

static void test_when_and_location(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_ADD, sc(k, TC_F32), 2, k->x, k->n);
    assert_false(tc_ir_verify_module(k->m, &k->de, "after pass cse"));
    assert_int_equal(k->de.diags.len, 1);
    TcDiag *d = k->de.diags.data[0];
    assert_int_equal(d->code, TC_E_IR_VERIFY);
    assert_string_equal(d->msg, "'add' operands have different types: f32 and i32 (after pass cse)");
    assert_int_equal(d->span.line, 7);
    assert_int_equal(d->span.col, 3);
}

static void test_op_without_location_uses_kernel(void **state)
{
    Fx *k = *state;
    TcType *t = sc(k, TC_F32);
    TcIrValue *ops[2] = {k->x, k->n};
    tc_ir_block_append(k->f->body, tc_ir_op_new(k->f, TC_OP_ADD, loc_none, 2, ops, 1, &t, 0));
    TcDiag *d = expect_error(k, "'add' operands have different types");
    assert_int_equal(d->span.line, 1);
    assert_int_equal(d->span.col, 1);
    assert_int_equal(d->span.end_col, 9);
}

/* ------------------------------------------------ distributed and memory IR */

/* blocked<spt = [s0, s1], tpw = [8, 4], wpc = [w, 4 / w], order = [1, 0]> */
static const TcLayout *blk(Fx *k, uint32_t s0, uint32_t s1, uint32_t w)
{
    uint32_t spt[2] = {s0, s1}, tpw[2] = {8, 4}, wpc[2] = {w, 4 / w};
    uint8_t order[2] = {1, 0};
    return tc_layout_blocked(k->m, 2, spt, tpw, wpc, order);
}

static TcType *lay(TcType *t, Fx *k, const TcLayout *l) { return tc_type_with_layout(k->m, t, l); }
static TcType *L2(Fx *k, TcDtype dt, int64_t a, int64_t b) { return lay(t2(k, dt, a, b), k, blk(k, 1, 4, 4)); }
static TcType *S2(Fx *k, TcDtype dt, int64_t a, int64_t b)
{
    return lay(t2(k, dt, a, b), k, tc_layout_shared(k->m, 1));
}
/* The slice of blk(k, 1, 4, 4) without parent dim d, for a rank-1 tile of n. */
static TcType *R1(Fx *k, int64_t n, uint32_t d)
{
    return lay(t1(k, TC_F32, n), k, tc_layout_slice(k->m, blk(k, 1, 4, 4), d));
}

/* A value with a #shared type made the only allowed way. */
static TcIrValue *shared_tile(Fx *k, TcDtype dt, int64_t a, int64_t b, int64_t smem)
{
    TcIrValue *x = tile(k, L2(k, dt, a, b));
    TcIrOp *op = mk(k, TC_OP_LOCAL_ALLOC, S2(k, dt, a, b), 1, x);
    op->smem = smem;
    return op->results[0];
}

static void test_valid_distributed_kernel(void **state)
{
    Fx *k = *state;
    TcIrBuilder *b = &k->b;
    k->f->warps = 4;
    TcIrValue *zero = ci(k, TC_I32, 0), *step = ci(k, TC_I32, 16);
    TcType *T = L2(k, TC_F32, 16, 64);
    TcIrValue *off[2] = {zero, zero};
    TcIrValue *t = tc_ir_build_load(b, k->a, off, NULL, T);
    TcIrValue *acc = tile(k, T);
    TcIrOp *loop = tc_ir_build_for(b, zero, k->M, step, 1, &acc);
    {
        TcIrBuilder in;
        tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
        TcIrValue *s = tc_ir_build_binary(&in, TC_OP_ADD, loop->regions[0]->args[1], t);
        tc_ir_build_yield(&in, 1, &s);
    }
    TcIrValue *r = loop->results[0];
    TcIrValue *cmp = mk(k, TC_OP_LT, tc_type_with_dtype(k->m, T, TC_BOOL), 2, r, t)->results[0];
    TcIrValue *sel = tc_ir_build_select(b, cmp, r, t);
    TcIrValue *h = tc_ir_build_cast(b, sel, tc_type_with_dtype(k->m, T, TC_F16));
    (void)h;
    TcIrValue *cv = mk(k, TC_OP_CONVERT_LAYOUT, lay(t2(k, TC_F32, 16, 64), k, blk(k, 2, 2, 2)), 1, sel)->results[0];
    TcIrValue *back = mk(k, TC_OP_CONVERT_LAYOUT, T, 1, cv)->results[0];
    TcIrOp *red = mk(k, TC_OP_REDUCE_SUM, R1(k, 16, 1), 1, back);
    red->ival = 1;
    TcIrOp *red0 = mk(k, TC_OP_REDUCE_MAX, R1(k, 64, 0), 1, back);
    red0->ival = 0;
    TcIrOp *all = mk(k, TC_OP_REDUCE_MAX, sc(k, TC_F32), 1, red->results[0]);
    all->ival = 0;
    tc_ir_build_store(b, k->o, off, back);
    expect_ok(k);
}

static void test_valid_memory_kernel(void **state)
{
    Fx *k = *state;
    k->f->smem_bytes = 2 * 16 * 17 * 2;
    TcIrValue *sa = shared_tile(k, TC_F16, 16, 16, 0);
    mk(k, TC_OP_BARRIER, NULL, 0);
    TcIrValue *sb = shared_tile(k, TC_F16, 16, 16, 16 * 17 * 2);
    mk(k, TC_OP_BARRIER, NULL, 0);
    TcIrValue *ra = mk(k, TC_OP_LOCAL_LOAD, L2(k, TC_F16, 16, 16), 1, sa)->results[0];
    TcIrValue *acc = tile(k, L2(k, TC_F32, 16, 16));
    tc_ir_build_dot(&k->b, sa, sb, acc);
    tc_ir_build_dot(&k->b, ra, sb, acc);
    TcIrOp *red = mk(k, TC_OP_REDUCE_SUM, R1(k, 16, 0), 1, acc);
    red->smem = 0; /* scratch */
    expect_ok(k);
}

static void test_layout_invalid(void **state)
{
    Fx *k = *state;
    uint32_t one[1] = {1}, tpw[1] = {32}, wpc[1] = {4};
    uint8_t order[1] = {0};
    tile(k, lay(t2(k, TC_F32, 4, 4), k, tc_layout_blocked(k->m, 1, one, tpw, wpc, order)));
    expect_error(k, "'splat' result 0 has type f32[4, 4] #blocked<spt = [1], tpw = [32], wpc = [4], order = [0]> "
                    "with an invalid layout: layout is for rank 1, the tile has rank 2");
}

static void test_layout_spt_above_extent(void **state)
{
    Fx *k = *state;
    tile(k, lay(t2(k, TC_F32, 4, 2), k, blk(k, 1, 4, 4)));
    expect_error(k, "invalid layout: 4 elements per thread on axis 1 exceed its extent 2");
}

static void test_layout_levels_mixed(void **state)
{
    Fx *k = *state;
    tile(k, L2(k, TC_F32, 4, 4));
    tile(k, t2(k, TC_F32, 4, 4));
    tile(k, t2(k, TC_F32, 4, 8)); /* reported once */
    TcDiag *d = expect_error(k, "'splat' result 0 has type f32[4, 4] without a layout, but earlier tile values of "
                                "the kernel have layouts");
    assert_int_equal(k->de.diags.len, 1);
    (void)d;
}

static void test_layout_levels_mixed_other_way(void **state)
{
    Fx *k = *state;
    TcIrValue *acc = tile(k, t1(k, TC_F32, 4));
    TcIrValue *zero = ci(k, TC_I32, 0);
    TcIrOp *loop = tc_ir_build_for(&k->b, zero, zero, zero, 1, &acc);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 1, &loop->regions[0]->args[1]);
    tile(k, L2(k, TC_F32, 4, 4));
    expect_error(k, "'splat' result 0 has type f32[4, 4] #blocked<spt = [1, 4], tpw = [8, 4], wpc = [4, 1], "
                    "order = [1, 0]> with a layout, but earlier tile values of the kernel have none");
}

static void test_layout_warps(void **state)
{
    Fx *k = *state;
    k->f->warps = 2;
    tile(k, L2(k, TC_F32, 4, 4));
    expect_error(k, "whose layout spans 4 warps, but the kernel has warps(2)");
}

static void test_layout_lanes_differ(void **state)
{
    Fx *k = *state;
    uint32_t spt[2] = {1, 1}, tpw[2] = {4, 4}, wpc[2] = {4, 1};
    uint8_t order[2] = {1, 0};
    tile(k, L2(k, TC_F32, 4, 4));
    tile(k, lay(t2(k, TC_F32, 4, 4), k, tc_layout_blocked(k->m, 2, spt, tpw, wpc, order)));
    expect_error(k, "whose layout spans 16 threads per warp and 4 warps, but earlier layouts of the kernel span "
                    "32 and 4");
}

static void test_binary_layouts_differ(void **state)
{
    Fx *k = *state;
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4)), *y = tile(k, lay(t2(k, TC_F32, 4, 4), k, blk(k, 1, 1, 4)));
    mk(k, TC_OP_ADD, L2(k, TC_F32, 4, 4), 2, x, y);
    expect_error(k, "'add' operands have different types: f32[4, 4] #blocked<spt = [1, 4]");
}

static void test_unary_result_layout(void **state)
{
    Fx *k = *state;
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4));
    mk(k, TC_OP_EXP, lay(t2(k, TC_F32, 4, 4), k, blk(k, 1, 1, 4)), 1, x);
    expect_error(k, "'exp' result type f32[4, 4] #blocked<spt = [1, 1]");
}

static void test_compare_result_layout(void **state)
{
    Fx *k = *state;
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4));
    mk(k, TC_OP_LT, lay(t2(k, TC_BOOL, 4, 4), k, blk(k, 1, 1, 4)), 2, x, x);
    expect_error(k, "'lt' result must have the operands' layout, found bool[4, 4] #blocked<spt = [1, 1]");
}

static void test_select_condition_layout(void **state)
{
    Fx *k = *state;
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4));
    TcIrValue *c = tile(k, lay(t2(k, TC_BOOL, 4, 4), k, blk(k, 1, 1, 4)));
    tc_ir_build_select(&k->b, c, x, x);
    expect_error(k, "'select' condition must have the operands' layout");
}

static void test_cast_layout(void **state)
{
    Fx *k = *state;
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4));
    mk(k, TC_OP_CAST, lay(t2(k, TC_F16, 4, 4), k, blk(k, 1, 1, 4)), 1, x);
    expect_error(k, "'cast' operand and result must have the same layout");
}

static void test_convert_layout_types(void **state)
{
    Fx *k = *state;
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4));
    mk(k, TC_OP_CONVERT_LAYOUT, L2(k, TC_F32, 4, 8), 1, x);
    mk(k, TC_OP_CONVERT_LAYOUT, L2(k, TC_F16, 4, 4), 1, x);
    TcIrOp *ok = mk(k, TC_OP_CONVERT_LAYOUT, lay(t2(k, TC_F32, 4, 4), k, blk(k, 1, 1, 4)), 1, x);
    (void)ok;
    expect_error(k, "'convert_layout' needs tiles of one dtype and shape with blocked or slice layouts, found "
                    "f32[4, 4] #blocked<spt = [1, 4], tpw = [8, 4], wpc = [4, 1], order = [1, 0]> -> f32[4, 8]");
    assert_int_equal(k->de.diags.len, 2);
}

static void test_convert_layout_shared(void **state)
{
    Fx *k = *state;
    TcIrValue *s = shared_tile(k, TC_F32, 4, 4, 0);
    mk(k, TC_OP_CONVERT_LAYOUT, L2(k, TC_F32, 4, 4), 1, s);
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4));
    mk(k, TC_OP_CONVERT_LAYOUT, S2(k, TC_F32, 4, 4), 1, x);
    expect_error(k, "'convert_layout' operand 0 has shared-memory type f32[4, 4] #shared<pad = 1>; only");
    expect_error(k, "'convert_layout' needs tiles of one dtype and shape with blocked or slice layouts, found "
                    "f32[4, 4] #blocked<spt = [1, 4], tpw = [8, 4], wpc = [4, 1], order = [1, 0]> -> f32[4, 4] "
                    "#shared<pad = 1>");
}

static void test_local_alloc_result(void **state)
{
    Fx *k = *state;
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4));
    mk(k, TC_OP_LOCAL_ALLOC, L2(k, TC_F32, 4, 4), 1, x)->smem = 0;
    expect_error(k, "'local_alloc' needs a register tile and a result of its dtype and shape with a #shared layout");
}

static void test_local_alloc_needs_smem(void **state)
{
    Fx *k = *state;
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4));
    mk(k, TC_OP_LOCAL_ALLOC, S2(k, TC_F32, 4, 4), 1, x);
    expect_error(k, "'local_alloc' needs a shared-memory offset (smem = N)");
}

static void test_local_alloc_fits(void **state)
{
    Fx *k = *state;
    k->f->smem_bytes = 100;
    shared_tile(k, TC_F32, 4, 4, 20); /* 4 rows of (4 + 1) f32: 80 bytes */
    shared_tile(k, TC_F32, 4, 4, 21);
    TcDiag *d = expect_error(k, "'local_alloc' buffer of 80 bytes at smem offset 21 does not fit the kernel's "
                                "smem(100)");
    assert_int_equal(k->de.diags.len, 1);
    (void)d;
}

static void test_local_load_types(void **state)
{
    Fx *k = *state;
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4));
    mk(k, TC_OP_LOCAL_LOAD, L2(k, TC_F32, 4, 4), 1, x);
    TcIrValue *s = shared_tile(k, TC_F32, 4, 4, 0);
    mk(k, TC_OP_LOCAL_LOAD, L2(k, TC_F32, 2, 8), 1, s);
    expect_error(k, "'local_load' needs a #shared tile and a register result of its dtype and shape, found "
                    "f32[4, 4] #blocked");
    expect_error(k, "-> f32[2, 8] #blocked");
}

static void test_shared_made_by_other_op(void **state)
{
    Fx *k = *state;
    tile(k, S2(k, TC_F32, 4, 4));
    expect_error(k, "'splat' result 0 has shared-memory type f32[4, 4] #shared<pad = 1>; only 'local_alloc', "
                    "'local_buffer' and 'local_view' make #shared tiles");
}

static void test_shared_used_by_other_op(void **state)
{
    Fx *k = *state;
    TcIrValue *s = shared_tile(k, TC_F32, 4, 4, 0);
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 4));
    tc_ir_build_dot(&k->b, x, x, s);
    TcIrValue *off[2] = {k->n, k->n};
    tc_ir_build_store(&k->b, k->o, off, s);
    expect_error(k, "'dot' operand 2 has shared-memory type f32[4, 4] #shared<pad = 1>; only 'local_load', the a "
                    "and b operands of 'dot', 'local_view' and the buffer of 'async_copy' read #shared tiles");
    expect_error(k, "'store' operand 3 has shared-memory type");
}

static void test_shared_carried_by_loop(void **state)
{
    Fx *k = *state;
    TcIrValue *s = shared_tile(k, TC_F32, 4, 4, 0);
    TcIrValue *zero = ci(k, TC_I32, 0);
    TcIrOp *loop = tc_ir_build_for(&k->b, zero, zero, zero, 1, &s);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 1, &loop->regions[0]->args[1]);
    expect_error(k, "'for' operand 3 has shared-memory type");
    expect_error(k, "'for' block argument 1 has shared-memory type");
}

static void test_layout_ops_in_grid(void **state)
{
    Fx *k = *state;
    TcIrBuilder gb;
    tc_ir_builder_at_end(&gb, k->f, k->f->grid);
    gb.before = k->f->grid->last;
    tc_ir_build_op(&gb, TC_OP_BARRIER, 0, NULL, NULL);
    expect_error(k, "'barrier' is not allowed in the grid block");
}

static void test_barrier_operands(void **state)
{
    Fx *k = *state;
    mk(k, TC_OP_BARRIER, NULL, 1, k->n);
    mk(k, TC_OP_BARRIER, sc(k, TC_I32), 0);
    expect_error(k, "'barrier' takes 0 operands, found 1");
    expect_error(k, "'barrier' has 0 results, found 1");
}

static void test_reduce_layout(void **state)
{
    Fx *k = *state;
    TcIrValue *x = tile(k, L2(k, TC_F32, 4, 8));
    /* the parent dim of axis 0 must be removed, not dim 1 */
    TcIrOp *op = mk(k, TC_OP_REDUCE_SUM, R1(k, 4, 0), 1, x);
    op->ival = 1;
    expect_error(k, "'reduce_sum' result layout must be the operand's with axis 1 sliced away, #slice<dims = [1], "
                    "parent = #blocked<spt = [1, 1], tpw = [8, 4], wpc = [4, 1], order = [1, 0]>>; found f32[4] "
                    "#slice<dims = [0]");
}

static void test_reduce_of_slice(void **state)
{
    Fx *k = *state;
    const TcLayout *s1 = tc_layout_slice(k->m, blk(k, 1, 4, 4), 1);
    TcIrValue *x = tile(k, lay(t1(k, TC_F32, 4), k, s1));
    TcIrOp *op = mk(k, TC_OP_REDUCE_SUM, sc(k, TC_F32), 1, x);
    op->ival = 0;
    expect_ok(k);
}

static void test_smem_attribute(void **state)
{
    Fx *k = *state;
    k->f->smem_bytes = 64;
    tc_ir_build_unary(&k->b, TC_OP_NEG, k->x)->def->smem = -2;
    tc_ir_build_unary(&k->b, TC_OP_NEG, k->x)->def->smem = 64;
    tc_ir_build_unary(&k->b, TC_OP_NEG, k->x)->def->smem = 63;
    expect_error(k, "'neg' smem offset -2 is negative");
    assert_int_equal(k->de.diags.len, 2);
    expect_error(k, "'neg' smem offset 64 is outside the kernel's smem(64)");
}

static void test_for_carried_layout(void **state)
{
    Fx *k = *state;
    TcIrValue *acc = tile(k, L2(k, TC_F32, 4, 4));
    TcIrValue *other = mk(k, TC_OP_CONVERT_LAYOUT, lay(t2(k, TC_F32, 4, 4), k, blk(k, 1, 1, 4)), 1, acc)->results[0];
    TcIrValue *zero = ci(k, TC_I32, 0);
    TcIrOp *loop = tc_ir_build_for(&k->b, zero, zero, zero, 1, &acc);
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, k->f, loop->regions[0]);
    tc_ir_build_yield(&in, 1, &other);
    expect_error(k, "'yield' in the body of 'for' yields f32[4, 4] #blocked<spt = [1, 1]");
    assert_int_equal(k->de.diags.len, 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_valid_empty_kernel), T(test_valid_full_kernel),
        T(test_operand_count), T(test_result_count), T(test_region_count), T(test_result_tensor_type),
        T(test_use_before_definition), T(test_use_outside_region), T(test_use_grid_value_in_body),
        T(test_use_value_of_other_kernel), T(test_missing_operand), T(test_value_id_shared),
        T(test_op_links), T(test_result_links),
        T(test_binary_types_differ), T(test_binary_result_type), T(test_binary_on_tensor),
        T(test_arith_on_bool), T(test_bitwise_on_float), T(test_shift_on_bool),
        T(test_compare_result_not_bool), T(test_compare_types_differ),
        T(test_unary_float_only), T(test_neg_on_bool), T(test_not_on_float), T(test_unary_result_type),
        T(test_const_out_of_range), T(test_const_negative_unsigned), T(test_const_bool_not_01),
        T(test_const_tile_result), T(test_splat_dtype), T(test_arange_result),
        T(test_program_id_axis), T(test_program_id_result), T(test_cast_shape),
        T(test_select_condition), T(test_select_types),
        T(test_broadcast_extent), T(test_broadcast_rank), T(test_expand_dims_axis),
        T(test_expand_dims_result), T(test_reshape_numel), T(test_trans_perm), T(test_trans_result),
        T(test_reduce_axis), T(test_reduce_result), T(test_reduce_bool),
        T(test_dot_rank), T(test_dot_operand_dtypes), T(test_dot_shapes), T(test_dot_accumulator),
        T(test_dot_result),
        T(test_view_index_count), T(test_view_index_type), T(test_view_result),
        T(test_load_offset_count), T(test_load_offset_type), T(test_load_pad), T(test_load_result),
        T(test_store_read_only), T(test_store_tile), T(test_store_operand_count),
        T(test_for_bounds), T(test_for_carried_types), T(test_for_carried_tensor),
        T(test_for_result_count), T(test_for_body_args), T(test_for_induction_type),
        T(test_for_missing_yield), T(test_for_yield_types), T(test_for_yield_count),
        T(test_for_attributes),
        T(test_if_condition), T(test_if_yield), T(test_if_missing_yield), T(test_if_region_args),
        T(test_if_tensor_result), T(test_yield_not_last), T(test_yield_in_body),
        T(test_grid_missing_yield), T(test_grid_yield_types), T(test_grid_yield_count),
        T(test_grid_forbidden_memory), T(test_grid_forbidden_program_id), T(test_grid_uses_kernel_args),
        T(test_tile_parameter), T(test_size_not_a_dimension), T(test_size_type),
        T(test_dimension_without_size), T(test_body_argument_count), T(test_warps_negative),
        T(test_when_and_location), T(test_op_without_location_uses_kernel),
        T(test_valid_distributed_kernel), T(test_valid_memory_kernel), T(test_layout_invalid),
        T(test_layout_spt_above_extent), T(test_layout_levels_mixed), T(test_layout_levels_mixed_other_way),
        T(test_layout_warps), T(test_layout_lanes_differ), T(test_binary_layouts_differ),
        T(test_unary_result_layout), T(test_compare_result_layout), T(test_select_condition_layout),
        T(test_cast_layout), T(test_convert_layout_types), T(test_convert_layout_shared),
        T(test_local_alloc_result), T(test_local_alloc_needs_smem), T(test_local_alloc_fits),
        T(test_local_load_types), T(test_shared_made_by_other_op), T(test_shared_used_by_other_op),
        T(test_shared_carried_by_loop), T(test_layout_ops_in_grid), T(test_barrier_operands),
        T(test_reduce_layout), T(test_reduce_of_slice), T(test_smem_attribute), T(test_for_carried_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
