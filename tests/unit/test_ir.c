/*
 * test_ir.c — unit tests of the Tile IR core: type interning, the builder,
 * the printer (exact text), the parser (round trips and errors with codes
 * and line:col) and the parser's robustness on malformed text.
 *
 * Invariant: every test owns one arena, one module and one diagnostic engine
 * (the Ctx fixture) and releases them; no test depends on another.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "ir.h"

typedef struct Ctx {
    TcArena arena;
    TcIrModule *m;
    TcDiagEngine de;
} Ctx;

static int setup(void **state)
{
    Ctx *c = calloc(1, sizeof *c);
    tc_arena_init(&c->arena);
    c->m = tc_ir_module_new(&c->arena);
    tc_diag_init(&c->de, &c->arena);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    Ctx *c = *state;
    tc_ir_module_free(c->m);
    tc_arena_free(&c->arena);
    free(c);
    return 0;
}

static char *print_module(const TcIrModule *m)
{
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_ir_print_module(m, &sb);
    char *s = strdup(sb.data ? sb.data : "");
    tc_sb_free(&sb);
    return s;
}

/* Parses text into a fresh module of the context; returns the result. */
static bool parse_text(Ctx *c, TcIrModule *m, const char *text, size_t len)
{
    TcSource src = {"test.tir", text, len};
    uint32_t id = tc_diag_add_file(&c->de, src);
    return tc_ir_parse(m, &c->de, id);
}

static TcIrValue *named(TcIrModule *m, TcIrValue *v, const char *name)
{
    v->name = tc_ir_intern(m, name);
    return v;
}

static TcType *tile2(TcIrModule *m, TcDtype dt, int64_t a, int64_t b)
{
    int64_t s[2] = {a, b};
    return tc_type_tile(m, dt, 2, s);
}

static TcType *tile1(TcIrModule *m, TcDtype dt, int64_t a) { return tc_type_tile(m, dt, 1, &a); }

/*
 * A kernel that uses every op and every piece of syntax: consts of each
 * kind, tensor flags, sizes, warps, a grid block, `for` with and without
 * carried values and attributes, `if` with and without results, repeated
 * and missing name hints.
 */
static TcIrFunc *build_sample(TcIrModule *m)
{
    TcSpan none = {0, 0, 0, 0, 0};
    TcIrFunc *f = tc_ir_func_new(m, "gemm", none);
    TcIrConst k1 = {tc_ir_intern(m, "BM"), TC_CONST_INT, 64, 0, TC_F32};
    TcIrConst k2 = {tc_ir_intern(m, "CAUSAL"), TC_CONST_BOOL, 0, 0, TC_F32};
    TcIrConst k3 = {tc_ir_intern(m, "SCALE"), TC_CONST_FLOAT, 0, 0.125, TC_F32};
    TcIrConst k4 = {tc_ir_intern(m, "T"), TC_CONST_DTYPE, 0, 0, TC_F16};
    TC_VEC_PUSH(m->arena, f->consts, k1);
    TC_VEC_PUSH(m->arena, f->consts, k2);
    TC_VEC_PUSH(m->arena, f->consts, k3);
    TC_VEC_PUSH(m->arena, f->consts, k4);
    TcDim mk[2] = {{0, "M"}, {0, "K"}}, kn[2] = {{0, "K"}, {0, "N"}}, mn[2] = {{0, "M"}, {32, NULL}};
    TcIrValue *a = tc_ir_func_add_param(f, "a", tc_type_tensor(m, TC_F16, 2, mk, 0));
    TcIrValue *b = tc_ir_func_add_param(f, "b", tc_type_tensor(m, TC_F16, 2, kn, TC_TENSOR_STRIDED));
    TcIrValue *c = tc_ir_func_add_param(f, "c", tc_type_tensor(m, TC_F32, 2, mn, TC_TENSOR_OUT));
    TcIrValue *alpha = tc_ir_func_add_param(f, "alpha", tc_type_scalar(m, TC_F32));
    TcIrValue *M = tc_ir_func_add_size(f, "M");
    TcIrValue *K = tc_ir_func_add_size(f, "K");
    tc_ir_func_add_size(f, "N");
    f->warps = 4;

    TcIrBuilder bd;
    tc_ir_builder_at_end(&bd, f, f->grid);
    TcIrValue *g64 = named(m, tc_ir_build_const_int(&bd, TC_I32, 64), "c64");
    TcIrValue *g1 = tc_ir_build_const_int(&bd, TC_I32, 1);
    TcIrValue *gs = tc_ir_build_binary(&bd, TC_OP_ADD, M, g64);
    gs = tc_ir_build_binary(&bd, TC_OP_SUB, gs, g1);
    gs = tc_ir_build_binary(&bd, TC_OP_DIV, gs, g64);
    TcIrValue *gy[2] = {gs, g1};
    tc_ir_build_yield(&bd, 2, gy);

    tc_ir_builder_at_end(&bd, f, f->body);
    TcIrValue *pid = named(m, tc_ir_build_program_id(&bd, TC_OP_PROGRAM_ID, 0), "pid");
    TcIrValue *np = tc_ir_build_program_id(&bd, TC_OP_NUM_PROGRAMS, 1);
    TcIrValue *c64 = named(m, tc_ir_build_const_int(&bd, TC_I32, 64), "c64");
    TcIrValue *m0 = named(m, tc_ir_build_binary(&bd, TC_OP_MUL, pid, c64), "m0");
    TcIrValue *zero = tc_ir_build_const_float(&bd, TC_F32, 0.0);
    TcIrValue *acc = named(m, tc_ir_build_splat(&bd, zero, tile2(m, TC_F32, 64, 32)), "acc");
    TcIrValue *i0 = tc_ir_build_const_int(&bd, TC_I32, 0);
    TcIrValue *k32 = tc_ir_build_const_int(&bd, TC_I32, 32);
    TcIrOp *loop = tc_ir_build_for(&bd, i0, K, k32, 1, &acc);
    loop->pipeline = 3;
    named(m, loop->results[0], "acc");
    TcIrBlock *body = loop->regions[0];
    named(m, body->args[0], "k");
    named(m, body->args[1], "acc");
    {
        TcIrBuilder in;
        tc_ir_builder_at_end(&in, f, body);
        TcIrValue *oa[2] = {m0, body->args[0]}, *ob[2] = {body->args[0], i0};
        TcIrValue *ta = named(m, tc_ir_build_load(&in, a, oa, NULL, tile2(m, TC_F16, 64, 32)), "ta");
        TcIrValue *tb = named(m, tc_ir_build_load(&in, b, ob, NULL, tile2(m, TC_F16, 32, 32)), "tb");
        TcIrValue *d = tc_ir_build_dot(&in, ta, tb, body->args[1]);
        tc_ir_build_yield(&in, 1, &d);
    }
    TcIrValue *al = tc_ir_build_splat(&bd, alpha, tile2(m, TC_F32, 64, 32));
    TcIrValue *r = named(m, tc_ir_build_binary(&bd, TC_OP_MUL, loop->results[0], al), "r");
    TcIrValue *s = tc_ir_build_reduce(&bd, TC_OP_REDUCE_MAX, r, 1);
    tc_ir_build_reduce(&bd, TC_OP_REDUCE_SUM, s, 0);
    TcIrValue *e = tc_ir_build_expand_dims(&bd, s, 1);
    TcIrValue *bc = tc_ir_build_broadcast(&bd, e, tile2(m, TC_F32, 64, 32));
    TcIrValue *cmp = tc_ir_build_binary(&bd, TC_OP_LT, r, bc);
    TcIrValue *sel = named(m, tc_ir_build_select(&bd, cmp, r, bc), "sel");
    int64_t perm[2] = {1, 0};
    TcIrValue *tr = tc_ir_build_trans(&bd, sel, 2, perm);
    TcIrValue *h = tc_ir_build_cast(&bd, tr, tile2(m, TC_F16, 32, 64));
    tc_ir_build_reshape(&bd, h, tile1(m, TC_F16, 2048));
    TcIrValue *ex = tc_ir_build_unary(&bd, TC_OP_EXP, r);
    tc_ir_build_unary(&bd, TC_OP_NEG, ex);
    TcIrValue *ar = tc_ir_build_arange(&bd, 32);
    TcIrValue *arx = tc_ir_build_expand_dims(&bd, tc_ir_build_const_int(&bd, TC_I64, -7), 0);
    (void)arx;
    TcIrValue *sh = tc_ir_build_binary(&bd, TC_OP_SHL, ar, tc_ir_build_splat(&bd, i0, tile1(m, TC_I32, 32)));
    (void)sh;
    TcIrValue *v = named(m, tc_ir_build_view(&bd, a, 1, &m0), "row");
    TcIrValue *pad = tc_ir_build_const_float(&bd, TC_F16, -INFINITY);
    tc_ir_build_load(&bd, v, &i0, pad, tile1(m, TC_F16, 32));
    TcIrValue *cond = tc_ir_build_binary(&bd, TC_OP_GT, pid, np);
    TcType *rts[2] = {tile2(m, TC_F32, 64, 32), tc_type_scalar(m, TC_I32)};
    TcIrOp *iff = tc_ir_build_if(&bd, cond, 2, rts);
    named(m, iff->results[0], "out");
    {
        TcIrBuilder in;
        tc_ir_builder_at_end(&in, f, iff->regions[0]);
        TcIrValue *y[2] = {sel, m0};
        tc_ir_build_yield(&in, 2, y);
        tc_ir_builder_at_end(&in, f, iff->regions[1]);
        TcIrValue *one = tc_ir_build_const_int(&in, TC_I32, 1);
        TcIrOp *inner = tc_ir_build_for(&in, i0, one, one, 0, NULL);
        inner->unroll = 2;
        TcIrBuilder in2;
        tc_ir_builder_at_end(&in2, f, inner->regions[0]);
        TcIrValue *cst = tc_ir_build_const_int(&in2, TC_BOOL, 1);
        TcIrOp *empty_if = tc_ir_build_if(&in2, cst, 0, NULL);
        TcIrBuilder in3;
        tc_ir_builder_at_end(&in3, f, empty_if->regions[0]);
        tc_ir_build_yield(&in3, 0, NULL);
        tc_ir_builder_at_end(&in3, f, empty_if->regions[1]);
        tc_ir_build_yield(&in3, 0, NULL);
        tc_ir_build_yield(&in2, 0, NULL);
        TcIrValue *y2[2] = {r, pid};
        tc_ir_build_yield(&in, 2, y2);
    }
    TcIrValue *off[2] = {iff->results[1], i0};
    tc_ir_build_store(&bd, c, off, iff->results[0]);
    return f;
}

/* A second kernel: no consts, no sizes, no warps, scalar parameters only. */
static void build_small(TcIrModule *m)
{
    TcSpan none = {0, 0, 0, 0, 0};
    TcIrFunc *f = tc_ir_func_new(m, "small", none);
    TcIrValue *x = tc_ir_func_add_param(f, "x", tc_type_scalar(m, TC_U64));
    TcIrBuilder bd;
    tc_ir_builder_at_end(&bd, f, f->grid);
    TcIrValue *one = tc_ir_build_const_int(&bd, TC_I32, 1);
    tc_ir_build_yield(&bd, 1, &one);
    tc_ir_builder_at_end(&bd, f, f->body);
    TcIrValue *big = tc_ir_build_const_int(&bd, TC_U64, -1);
    tc_ir_build_binary(&bd, TC_OP_AND, x, big);
    tc_ir_build_const_float(&bd, TC_F64, 0.1);
    tc_ir_build_const_float(&bd, TC_BF16, NAN);
    tc_ir_build_const_float(&bd, TC_F32, 1e30);
    tc_ir_build_const_int(&bd, TC_BOOL, 0);
}

/* ------------------------------------------------------------ types */

static void test_type_interning(void **state)
{
    Ctx *c = *state;
    TcIrModule *m = c->m;
    assert_ptr_equal(tc_type_scalar(m, TC_F32), tc_type_scalar(m, TC_F32));
    assert_ptr_not_equal(tc_type_scalar(m, TC_F32), tc_type_scalar(m, TC_F16));
    assert_ptr_equal(tile2(m, TC_F32, 64, 64), tile2(m, TC_F32, 64, 64));
    assert_ptr_not_equal(tile2(m, TC_F32, 64, 32), tile2(m, TC_F32, 32, 64));
    assert_int_equal(tile2(m, TC_F32, 64, 32)->numel, 2048);
    char sym1[] = "M", sym2[] = "M";
    TcDim d1[1] = {{0, sym1}}, d2[1] = {{0, sym2}};
    TcType *t1 = tc_type_tensor(m, TC_F16, 1, d1, 0);
    assert_ptr_equal(t1, tc_type_tensor(m, TC_F16, 1, d2, 0));
    assert_ptr_not_equal(t1, tc_type_tensor(m, TC_F16, 1, d2, TC_TENSOR_OUT));
    assert_ptr_equal(tc_type_with_dtype(m, tile2(m, TC_F32, 2, 3), TC_BOOL), tile2(m, TC_BOOL, 2, 3));
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_type_print(tc_type_tensor(m, TC_F16, 1, d2, TC_TENSOR_INOUT | TC_TENSOR_STRIDED), &sb);
    assert_string_equal(sb.data, "tensor<inout strided f16[M]>");
    tc_sb_free(&sb);
}

static void test_builder_result_types(void **state)
{
    Ctx *c = *state;
    TcIrModule *m = c->m;
    TcIrFunc *f = build_sample(m);
    /* The `for` result takes its init's type; the if's the given ones. */
    TcIrOp *op = f->body->first;
    while (op && op->opc != TC_OP_FOR) op = op->next;
    assert_non_null(op);
    assert_ptr_equal(op->results[0]->type, tile2(m, TC_F32, 64, 32));
    assert_int_equal(op->regions[0]->nargs, 2);
    assert_ptr_equal(op->regions[0]->args[0]->type, tc_type_scalar(m, TC_I32));
    while (op && op->opc != TC_OP_REDUCE_MAX) op = op->next;
    assert_ptr_equal(op->results[0]->type, tile1(m, TC_F32, 64));
    assert_int_equal(op->ival, 1);
    while (op && op->opc != TC_OP_LT) op = op->next;
    assert_ptr_equal(op->results[0]->type, tile2(m, TC_BOOL, 64, 32));
    assert_true(tc_ir_verify_module(m, &c->de, NULL));
    assert_int_equal(c->de.nerrors, 0);
}

/* ------------------------------------------------------------ printer */

static const char sample_text[] =
    "kernel @gemm<BM = 64, CAUSAL = false, SCALE = 0.125, T = f16>(%a: tensor<f16[M, K]>, "
    "%b: tensor<strided f16[K, N]>, %c: tensor<out f32[M, 32]>, %alpha: f32) sizes(%M, %K, %N) warps(4)\n"
    "grid {\n"
    "  %c64 = const 64 : i32\n"
    "  %0 = const 1 : i32\n"
    "  %1 = add %M, %c64 : i32\n"
    "  %2 = sub %1, %0 : i32\n"
    "  %3 = div %2, %c64 : i32\n"
    "  yield %3, %0\n"
    "}\n"
    "{\n"
    "  %pid = program_id {axis = 0} : i32\n"
    "  %4 = num_programs {axis = 1} : i32\n"
    "  %c64.1 = const 64 : i32\n"
    "  %m0 = mul %pid, %c64.1 : i32\n"
    "  %5 = const 0.0 : f32\n"
    "  %acc = splat %5 : f32[64, 32]\n"
    "  %6 = const 0 : i32\n"
    "  %7 = const 32 : i32\n"
    "  %acc.1 = for %k = %6 to %K step %7 iter_args(%acc.2 = %acc) : f32[64, 32] {pipeline = 3} {\n"
    "    %ta = load %a, %m0, %k : f16[64, 32]\n"
    "    %tb = load %b, %k, %6 : f16[32, 32]\n"
    "    %8 = dot %ta, %tb, %acc.2 : f32[64, 32]\n"
    "    yield %8\n"
    "  }\n"
    "  %9 = splat %alpha : f32[64, 32]\n"
    "  %r = mul %acc.1, %9 : f32[64, 32]\n"
    "  %10 = reduce_max %r {axis = 1} : f32[64]\n"
    "  %11 = reduce_sum %10 {axis = 0} : f32\n"
    "  %12 = expand_dims %10 {axis = 1} : f32[64, 1]\n"
    "  %13 = broadcast %12 : f32[64, 32]\n"
    "  %14 = lt %r, %13 : bool[64, 32]\n"
    "  %sel = select %14, %r, %13 : f32[64, 32]\n"
    "  %15 = trans %sel {perm = [1, 0]} : f32[32, 64]\n"
    "  %16 = cast %15 : f16[32, 64]\n"
    "  %17 = reshape %16 : f16[2048]\n"
    "  %18 = exp %r : f32[64, 32]\n"
    "  %19 = neg %18 : f32[64, 32]\n"
    "  %20 = arange : i32[32]\n"
    "  %21 = const -7 : i64\n"
    "  %22 = expand_dims %21 {axis = 0} : i64[1]\n"
    "  %23 = splat %6 : i32[32]\n"
    "  %24 = shl %20, %23 : i32[32]\n"
    "  %row = view %a, %m0 : tensor<f16[K]>\n"
    "  %25 = const -inf : f16\n"
    "  %26 = load %row, %6, %25 : f16[32]\n"
    "  %27 = gt %pid, %4 : bool\n"
    "  %out, %28 = if %27 : f32[64, 32], i32 {\n"
    "    yield %sel, %m0\n"
    "  } else {\n"
    "    %29 = const 1 : i32\n"
    "    for %30 = %6 to %29 step %29 {unroll = 2} {\n"
    "      %31 = const true : bool\n"
    "      if %31 {\n"
    "        yield\n"
    "      } else {\n"
    "        yield\n"
    "      }\n"
    "      yield\n"
    "    }\n"
    "    yield %r, %pid\n"
    "  }\n"
    "  store %c, %28, %6, %out\n"
    "}\n"
    "\n"
    "kernel @small(%x: u64)\n"
    "grid {\n"
    "  %0 = const 1 : i32\n"
    "  yield %0\n"
    "}\n"
    "{\n"
    "  %1 = const 18446744073709551615 : u64\n"
    "  %2 = and %x, %1 : u64\n"
    "  %3 = const 0.1 : f64\n"
    "  %4 = const nan : bf16\n"
    "  %5 = const 1e+30 : f32\n"
    "  %6 = const false : bool\n"
    "}\n";

static void test_print_exact(void **state)
{
    Ctx *c = *state;
    build_sample(c->m);
    build_small(c->m);
    char *text = print_module(c->m);
    assert_string_equal(text, sample_text);
    free(text);
}

static void test_print_names(void **state)
{
    Ctx *c = *state;
    TcIrModule *m = c->m;
    TcSpan none = {0, 0, 0, 0, 0};
    TcIrFunc *f = tc_ir_func_new(m, "names", none);
    TcIrValue *x = tc_ir_func_add_param(f, "x", tc_type_scalar(m, TC_I32));
    TcIrBuilder bd;
    tc_ir_builder_at_end(&bd, f, f->body);
    /* x, x -> x.1; x.1 (taken) -> x.1.1; "7" is numeric -> numbered;
     * "a b" is sanitized to a_b. */
    named(m, tc_ir_build_binary(&bd, TC_OP_ADD, x, x), "x");
    named(m, tc_ir_build_binary(&bd, TC_OP_ADD, x, x), "x.1");
    named(m, tc_ir_build_binary(&bd, TC_OP_ADD, x, x), "7");
    named(m, tc_ir_build_binary(&bd, TC_OP_ADD, x, x), "a b");
    named(m, tc_ir_build_binary(&bd, TC_OP_ADD, x, x), "x");
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_ir_print_func(f, &sb);
    assert_string_equal(sb.data,
                        "kernel @names(%x: i32)\n"
                        "grid {\n"
                        "}\n"
                        "{\n"
                        "  %x.1 = add %x, %x : i32\n"
                        "  %x.1.1 = add %x, %x : i32\n"
                        "  %0 = add %x, %x : i32\n"
                        "  %a_b = add %x, %x : i32\n"
                        "  %x.2 = add %x, %x : i32\n"
                        "}\n");
    /* Re-printing the parsed text gives it back. */
    TcIrModule *m2 = tc_ir_module_new(&c->arena);
    assert_true(parse_text(c, m2, sb.data, sb.len));
    char *again = print_module(m2);
    assert_string_equal(again, sb.data);
    free(again);
    tc_sb_free(&sb);
    tc_ir_module_free(m2);
}

static void test_print_broken_ir(void **state)
{
    Ctx *c = *state;
    TcIrModule *m = c->m;
    TcSpan none = {0, 0, 0, 0, 0};
    TcIrFunc *f = tc_ir_func_new(m, "broken", none);
    TcType *i32 = tc_type_scalar(m, TC_I32);
    TcIrValue *ops[2] = {NULL, NULL};
    tc_ir_block_append(f->body, tc_ir_op_new(f, TC_OP_ADD, none, 2, ops, 1, &i32, 0));
    tc_ir_block_append(f->body, tc_ir_op_new(f, TC_OP_FOR, none, 0, NULL, 0, NULL, 0));
    char *text = print_module(m);
    assert_non_null(strstr(text, "%0 = add %<invalid>, %<invalid> : i32\n"));
    assert_non_null(strstr(text, "  for\n"));
    free(text);
}

/* ------------------------------------------------------------ round trips */

static void round_trip(Ctx *c, const char *text)
{
    TcIrModule *m2 = tc_ir_module_new(&c->arena);
    bool ok = parse_text(c, m2, text, strlen(text));
    if (!ok) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_diag_render(&c->de, TC_DIAG_TEXT, &sb);
        fprintf(stderr, "%s", sb.data ? sb.data : "");
        tc_sb_free(&sb);
    }
    assert_true(ok);
    char *again = print_module(m2);
    assert_string_equal(again, text);
    free(again);
    tc_ir_module_free(m2);
}

static void test_round_trip_sample(void **state)
{
    Ctx *c = *state;
    build_sample(c->m);
    build_small(c->m);
    char *text = print_module(c->m);
    round_trip(c, text);
    free(text);
}

static void test_parse_keeps_values(void **state)
{
    Ctx *c = *state;
    assert_true(parse_text(c, c->m, sample_text, strlen(sample_text)));
    assert_true(tc_ir_verify_module(c->m, &c->de, NULL));
    TcIrFunc *f = tc_ir_module_find(c->m, "gemm");
    assert_non_null(f);
    assert_int_equal(f->nparams, 4);
    assert_int_equal(f->nsizes, 3);
    assert_int_equal(f->warps, 4);
    assert_int_equal(f->consts.len, 4);
    assert_int_equal(f->consts.data[2].kind, TC_CONST_FLOAT);
    assert_true(f->consts.data[2].fval == 0.125);
    assert_int_equal(f->consts.data[3].dtype, TC_F16);
    assert_string_equal(tc_ir_func_size(f, 1)->name, "K");
    assert_string_equal(tc_ir_func_param(f, 0)->name, "a");
    /* Numbered names carry no hint; op locations point into the text. */
    TcIrOp *op = f->body->first;
    assert_int_equal(op->opc, TC_OP_PROGRAM_ID);
    assert_int_equal(op->loc.line, 11);
    assert_int_equal(op->loc.col, 3);
    assert_int_equal(op->loc.end_line, 11);
    assert_int_equal(op->loc.end_col, 36);
    op = op->next;
    assert_null(op->results[0]->name);
    while (op->opc != TC_OP_FOR) op = op->next;
    assert_int_equal(op->pipeline, 3);
    assert_string_equal(op->regions[0]->args[1]->name, "acc.2");
    op = op->next;
    while (op->opc != TC_OP_CONST || op->results[0]->type->dtype != TC_F16) op = op->next;
    assert_true(isinf(op->fval) && op->fval < 0);
    TcIrFunc *s = tc_ir_module_find(c->m, "small");
    op = s->body->first;
    assert_int_equal(op->ival, -1);
    op = op->next->next;
    assert_true(op->fval == 0.1);
    op = op->next;
    assert_true(isnan(op->fval));
}

static void test_parse_accepts_comments_and_layout(void **state)
{
    Ctx *c = *state;
    const char *text =
        "// RUN: tilec %s\n"
        "kernel @k(%n: i32) grid { %one = const 1 : i32 yield %one } // trailing\n"
        "{ %x = add %n, %n : i32 if %b : i32 { yield %x } }\n";
    /* %b is undefined: the layout is free, the error is exact. */
    assert_false(parse_text(c, c->m, text, strlen(text)));
    assert_int_equal(c->de.diags.len, 1);
    TcDiag *d = c->de.diags.data[0];
    assert_int_equal(d->code, TC_E_IR_UNDEFINED);
    assert_int_equal(d->span.line, 3);
    assert_int_equal(d->span.col, 28);
    assert_int_equal(d->span.end_col, 29);
    assert_string_equal(d->msg, "use of undefined value '%b'");
    assert_int_equal(c->m->funcs.len, 0);
}

/* ------------------------------------------------------------ parse errors */

typedef struct ErrCase {
    const char *text;
    TcDiagCode code;
    uint32_t line, col;
    const char *msg;   /* a substring of the message */
} ErrCase;

#define HDR "kernel @k(%n: i32, %t: tensor<out f32[S]>) sizes(%S)\ngrid {\n  yield %n\n}\n{\n"

static const ErrCase err_cases[] = {
    {HDR "  %x = foo %n : i32\n}\n", TC_E_IR_SYNTAX, 6, 8, "unknown op 'foo'"},
    {HDR "  %x = add %n, %y : i32\n}\n", TC_E_IR_UNDEFINED, 6, 16, "use of undefined value '%y'"},
    {HDR "  %n = add %n, %n : i32\n}\n", TC_E_IR_UNDEFINED, 6, 3, "value '%n' is defined twice"},
    {HDR "  %x = add %x, %n : i32\n}\n", TC_E_IR_UNDEFINED, 6, 12, "undefined value '%x'"},
    {HDR "  %c = const true : bool\n  if %c {\n    %z = const 1 : i32\n    yield\n  } else {\n    yield\n  }\n"
         "  %w = add %z, %z : i32\n}\n",
     TC_E_IR_UNDEFINED, 13, 12, "'%z' is used outside the region"},
    {"kernel @k(%n: i32)\ngrid {\n  %g = const 1 : i32\n  yield %g\n}\n{\n  %x = add %g, %g : i32\n}\n",
     TC_E_IR_UNDEFINED, 7, 12, "'%g' is used outside the region"},
    {HDR "  %x, %y = add %n, %n : i32, i32\n}\n", TC_E_IR_SYNTAX, 6, 3, "'add' has 1 result, found 2"},
    {HDR "  %x = add %n, %n\n}\n", TC_E_IR_SYNTAX, 7, 1, "expected ':' and the result types of 'add', found '}'"},
    {HDR "  %x = add %n, %n : i32, i32\n}\n", TC_E_IR_SYNTAX, 6, 3, "1 result name but 2 result types"},
    {HDR "  store %t, %n, %n : f32\n}\n", TC_E_IR_SYNTAX, 6, 3, "'store' has 0 result names but 1 result type"},
    {HDR "  %x = store %t, %n, %n : f32\n}\n", TC_E_IR_SYNTAX, 6, 3, "'store' has 0 results, found 1 result name"},
    {HDR "  %x = add %n %n : i32\n}\n", TC_E_IR_SYNTAX, 6, 15, "expected ':' and the result types of 'add', found '%n'"},
    {HDR "  %x = add %n, %n : f33\n}\n", TC_E_IR_SYNTAX, 6, 21, "unknown type 'f33'"},
    {HDR "  %x = add %n, %n : i32[0]\n}\n", TC_E_IR_SYNTAX, 6, 25, "a tile extent must be between 1"},
    {HDR "  %x = add %n, %n : i32[1, 1, 1, 1, 1, 1, 1, 1, 1]\n}\n", TC_E_IR_SYNTAX, 6, 49, "rank above the limit"},
    {HDR "  %x = add %n, %n : i32[1048576, 1048576, 2]\n}\n", TC_E_IR_SYNTAX, 6, 21, "more than 2^40 elements"},
    {HDR "  %x = const 1.5 : i32\n}\n", TC_E_IR_SYNTAX, 6, 14, "'1.5' is not a valid 'const' value of type i32"},
    {HDR "  %x = const : i32\n}\n", TC_E_IR_SYNTAX, 6, 14, "expected a literal after 'const'"},
    {HDR "  %x = const 99999999999999999999 : i64\n}\n", TC_E_IR_SYNTAX, 6, 14, "out of range"},
    {HDR "  %x = reduce_sum %n : f32\n}\n", TC_E_IR_SYNTAX, 6, 3, "needs the attribute 'axis'"},
    {HDR "  %x = reduce_sum %n {axes = 1} : f32\n}\n", TC_E_IR_SYNTAX, 6, 23, "unknown attribute 'axes' for 'reduce_sum'"},
    {HDR "  %x = reduce_sum %n {axis = 1, axis = 1} : f32\n}\n", TC_E_IR_SYNTAX, 6, 33, "attribute 'axis' given twice"},
    {HDR "  %x = trans %n : f32\n}\n", TC_E_IR_SYNTAX, 6, 3, "needs the attribute 'perm'"},
    {HDR "  %x = add %n, %n : i32\n", TC_E_IR_SYNTAX, 7, 1, "expected '}', found end of input"},
    {HDR "  %x = add %n, %n : i32 #\n}\n", TC_E_IR_SYNTAX, 6, 25, "unexpected character '#'"},
    {HDR "  %x = add %n, %n : i32 \x01\n}\n", TC_E_IR_SYNTAX, 6, 25, "unexpected byte 0x01"},
    {"kernel @k(%n: i32)\ngrid {\n  yield %n\n}\n{\n}\nkernel @k(%m: i32)\ngrid {\n  yield %m\n}\n{\n}\n",
     TC_E_IR_UNDEFINED, 7, 8, "kernel '@k' is defined twice"},
    {"kernel @k(%n: i32) sizes(%Q)\ngrid {\n  yield %n\n}\n{\n}\n", TC_E_IR_UNDEFINED, 1, 26,
     "size '%Q' is not a dimension"},
    {"kernel @k<A = 1, A = 2>(%n: i32)\ngrid {\n}\n{\n}\n", TC_E_IR_UNDEFINED, 1, 18, "'A' is given twice"},
    {"kernel @k<A = foo>(%n: i32)\ngrid {\n}\n{\n}\n", TC_E_IR_SYNTAX, 1, 15, "expected a const value, found 'foo'"},
    {"kernel @k(%n: i32) warps(-1)\ngrid {\n}\n{\n}\n", TC_E_IR_SYNTAX, 1, 26, "warps must be between 0"},
    {"kernel @k(%n: i32)\n{\n}\n", TC_E_IR_SYNTAX, 2, 1, "expected 'grid', found '{'"},
    {"kernel k(%n: i32)\n", TC_E_IR_SYNTAX, 1, 8, "expected a kernel name '@name', found 'k'"},
    {"func @k()\n", TC_E_IR_SYNTAX, 1, 1, "expected 'kernel', found 'func'"},
    {"kernel @k(%t: tensor<out out f32[S]>)\n", TC_E_IR_SYNTAX, 1, 26, "tensor flag 'out' given twice"},
    {HDR "  for %i = %n to %n step %n : i32 {\n    yield\n  }\n}\n", TC_E_IR_SYNTAX, 6, 3,
     "'for' has 0 result names but 1 result type"},
    {HDR "  for %i = %n until %n step %n {\n    yield\n  }\n}\n", TC_E_IR_SYNTAX, 6, 15, "expected 'to', found 'until'"},
    {HDR "  %i = for %i = %n to %n step %n iter_args(%a = %n) : i32 {\n    yield %a\n  }\n}\n",
     TC_E_IR_UNDEFINED, 6, 3, "value '%i' is defined twice"},
    {HDR "  for %i = %n to %n step %n {pipeline = -1} {\n    yield\n  }\n}\n", TC_E_IR_SYNTAX, 6, 41,
     "pipeline must be between 0"},    /* layouts and shared memory (distributed and memory IR) */
    {HDR "  %x = splat %n : i32[4, 8] #blocked<spt = [1], tpw = [4, 8], wpc = [1, 1], order = [1, 0]>\n}\n", TC_E_IR_SYNTAX, 6, 44, "layout list 'spt' has 1 entry, expected 2 (the tile's rank)"},
    {HDR "  %x = splat %n : i32[4, 8] #blocked<spt = [1, 2], tpw = [4, 8], wpc = [1, 1], order = [1, 0, 2]>\n}\n", TC_E_IR_SYNTAX, 6, 88, "layout list 'order' has 3 entries, expected 2 (the tile's rank)"},
    {HDR "  %x = splat %n : i32[4, 8] #blocked<spt = [1, 2], tpw = [4, 8], wpc = [1, 1], order = [0, 0]>\n}\n", TC_E_IR_SYNTAX, 6, 88, "layout 'order' is not a permutation of 0..1"},
    {HDR "  %x = splat %n : i32[4, 8] #blocked<spt = [1, 2], tpw = [4, 6], wpc = [1, 1], order = [1, 0]>\n}\n", TC_E_IR_SYNTAX, 6, 62, "layout 'tpw' entry 6 is not a power of two"},
    {HDR "  %x = splat %n : i32[4, 8] #blocked<spt = [1, 2], tpw = [4, 8], wpc = [0, 1], order = [1, 0]>\n}\n", TC_E_IR_SYNTAX, 6, 73, "layout 'wpc' entry 0 is not a power of two"},
    {HDR "  %x = splat %n : i32[4, 8] #blocked<spt = [1, 16], tpw = [4, 8], wpc = [1, 1], order = [1, 0]>\n}\n", TC_E_IR_SYNTAX, 6, 29, "invalid layout for i32[4, 8]: 16 elements per thread on axis 1 exceed its extent 8"},
    {HDR "  %x = splat %n : i32[4, 8] #blocked<spt = [1, 2], wpc = [1, 1], tpw = [4, 8], order = [1, 0]>\n}\n", TC_E_IR_SYNTAX, 6, 52, "expected 'tpw', found 'wpc'"},
    {HDR "  %x = splat %n : i32[4, 8] #blocked<spt = [], tpw = [4, 8], wpc = [1, 1], order = [1, 0]>\n}\n", TC_E_IR_SYNTAX, 6, 45, "expected an entry of 'spt', found ']'"},
    {HDR "  %x = splat %n : i32[4] #slice<dims = [2], parent = #blocked<spt = [1, 2], tpw = [4, 8], wpc = [1, 1], order = [1, 0]>>\n}\n", TC_E_IR_SYNTAX, 6, 41, "slice dim 2 is out of range for a parent of rank 2 (the tile's rank 1 plus 1 sliced dim)"},
    {HDR "  %x = splat %n : i32[4] #slice<dims = [0, 0], parent = #blocked<spt = [1, 2], tpw = [4, 8], wpc = [1, 1], order = [1, 0]>>\n}\n", TC_E_IR_SYNTAX, 6, 44, "slice dim 0 is given twice"},
    {HDR "  %x = splat %n : i32[4] #slice<dims = [1], parent = #blocked<spt = [1], tpw = [32], wpc = [1], order = [0]>>\n}\n", TC_E_IR_SYNTAX, 6, 69, "layout list 'spt' has 1 entry, expected 2 (the tile's rank 1 plus 1 sliced dim)"},
    {HDR "  %x = splat %n : i32[4] #slice<dims = [1], parent = #shared<pad = 1>>\n}\n", TC_E_IR_SYNTAX, 6, 54, "the parent of a slice must be '#blocked<...>', found '#shared'"},
    {HDR "  %x = splat %n : i32[4] #tiled<n = 1>\n}\n", TC_E_IR_SYNTAX, 6, 26, "unknown layout '#tiled'; expected '#blocked', '#slice' or '#shared'"},
    {HDR "  %x = const 1 : i32 #blocked<spt = [1, 2], tpw = [4, 8], wpc = [1, 1], order = [1, 0]>\n}\n", TC_E_IR_SYNTAX, 6, 22, "a scalar type has no layout"},
    {HDR "  %x = splat %n : i32[4] #shared<pad = -1>\n}\n", TC_E_IR_SYNTAX, 6, 40, "a shared-memory row padding must be between 0 and 4294967295"},
    {HDR "  %x = splat %n : i32[4] #shared<pad = 1> #shared<pad = 1>\n}\n", TC_E_IR_SYNTAX, 6, 43, "a tile type has one layout, found a second one, '#shared'"},
    {HDR "  %x = splat %n {smem = -4} : i32[4]\n}\n", TC_E_IR_SYNTAX, 6, 25, "a shared-memory offset must be between 0"},
    {HDR "  %x = splat %n {smem = 1, smem = 2} : i32[4]\n}\n", TC_E_IR_SYNTAX, 6, 28, "attribute 'smem' given twice"},
    {"kernel @k(%n: i32) smem(-1)\ngrid {\n}\n{\n}\n", TC_E_IR_SYNTAX, 1, 25, "smem must be between 0"},
    {"kernel @k(%n: i32) warps(4) smem(16)\ngrid {\n}\n{\n}\n", TC_E_IR_SYNTAX, 1, 29, "expected 'grid', found 'smem'"},
};

static void test_parse_errors(void **state)
{
    Ctx *c = *state;
    bool bad = false;
    c->de.max_errors = 1000; /* one error per case, more cases than the default limit */
    for (size_t i = 0; i < TC_ARRAY_LEN(err_cases); i++) {
        const ErrCase *e = &err_cases[i];
        TcIrModule *m = tc_ir_module_new(&c->arena);
        uint32_t before = c->de.diags.len;
        bool ok = parse_text(c, m, e->text, strlen(e->text));
        if (ok || c->de.diags.len != before + 1) {
            fprintf(stderr, "case %zu: parse %s with %u diagnostics\n", i, ok ? "succeeded" : "failed",
                    c->de.diags.len - before);
            fail();
        }
        TcDiag *d = c->de.diags.data[before];
        if (d->code != e->code || d->span.line != e->line || d->span.col != e->col ||
            d->span.file == 0 || !strstr(d->msg, e->msg)) {
            fprintf(stderr, "case %zu: got %s %u:%u '%s', expected %s %u:%u '%s'\n", i,
                    tc_diag_code_str(d->code), d->span.line, d->span.col, d->msg,
                    tc_diag_code_str(e->code), e->line, e->col, e->msg);
            bad = true;
        }
        tc_ir_module_free(m);
    }
    assert_false(bad);
}

/* Regions nest up to 256 deep; one more is an error, not a stack overflow. */
static void nested_ifs(TcStrBuf *sb, int depth)
{
    tc_sb_puts(sb, "kernel @deep(%c: bool)\ngrid {\n}\n{\n");
    for (int i = 0; i < depth; i++) tc_sb_puts(sb, "if %c {\n");
    for (int i = 0; i < depth; i++) tc_sb_puts(sb, "yield\n} else {\nyield\n}\n");
    tc_sb_puts(sb, "}\n");
}

static void test_parse_nesting_limit(void **state)
{
    Ctx *c = *state;
    TcStrBuf sb;
    tc_sb_init(&sb);
    nested_ifs(&sb, 255);
    assert_true(parse_text(c, c->m, sb.data, sb.len));
    tc_sb_clear(&sb);
    nested_ifs(&sb, 256);
    TcIrModule *m2 = tc_ir_module_new(&c->arena);
    assert_false(parse_text(c, m2, sb.data, sb.len));
    assert_int_equal(c->de.diags.data[0]->code, TC_E_IR_SYNTAX);
    assert_non_null(strstr(c->de.diags.data[0]->msg, "nested too deeply"));
    tc_sb_clear(&sb);
    nested_ifs(&sb, 100000);
    TcIrModule *m3 = tc_ir_module_new(&c->arena);
    assert_false(parse_text(c, m3, sb.data, sb.len));
    tc_sb_free(&sb);
    tc_ir_module_free(m2);
    tc_ir_module_free(m3);
}

/* Every prefix of valid text parses or fails cleanly. */
static void test_parse_truncated(void **state)
{
    Ctx *c = *state;
    size_t n = strlen(sample_text);
    for (size_t len = 0; len < n; len++) {
        TcArena a;
        tc_arena_init(&a);
        TcIrModule *m = tc_ir_module_new(&a);
        TcDiagEngine de;
        tc_diag_init(&de, &a);
        TcSource src = {"t.tir", sample_text, len};
        bool ok = tc_ir_parse(m, &de, tc_diag_add_file(&de, src));
        /* A prefix ending right after a kernel is complete is valid. */
        if (ok) assert_int_equal(de.nerrors, 0);
        else assert_int_equal(de.nerrors, 1);
        tc_ir_module_free(m);
        tc_arena_free(&a);
    }
    (void)c;
}

/* Random byte edits never crash the parser, and what parses prints. */
static void test_parse_mutations(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    size_t n = strlen(sample_text);
    char *buf = malloc(n + 1);
    static const char alphabet[] = "%@{}()[]<>,:=- \n0123456789.eafikn/\0\xff";
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, sample_text, n + 1);
        int edits = 1 + iter % 4;
        for (int e = 0; e < edits; e++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            size_t pos = (size_t)(seed >> 33) % n;
            buf[pos] = alphabet[(seed >> 13) % (sizeof alphabet - 1)];
        }
        TcArena a;
        tc_arena_init(&a);
        TcIrModule *m = tc_ir_module_new(&a);
        TcDiagEngine de;
        tc_diag_init(&de, &a);
        TcSource src = {"t.tir", buf, n};
        if (tc_ir_parse(m, &de, tc_diag_add_file(&de, src))) {
            tc_ir_verify_module(m, &de, NULL);
            char *text = print_module(m);
            free(text);
        }
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_diag_render(&de, TC_DIAG_TEXT, &sb);
        tc_sb_free(&sb);
        tc_ir_module_free(m);
        tc_arena_free(&a);
    }
    free(buf);
}

/* ------------------------------------------------------------ examples */

/* print(parse(print(M))) == print(M) for the IR of every .tile file in examples. */
static void test_examples_round_trip(void **state)
{
    Ctx *c = *state;
    DIR *dir = opendir(TILEC_SOURCE_DIR "/examples");
    assert_non_null(dir);
    struct dirent *ent;
    int n = 0;
    while ((ent = readdir(dir))) {
        size_t len = strlen(ent->d_name);
        if (len < 6 || strcmp(ent->d_name + len - 5, ".tile") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/examples/%s", TILEC_SOURCE_DIR, ent->d_name);
        TcArena a;
        tc_arena_init(&a);
        TcDiagEngine de;
        tc_diag_init(&de, &a);
        TcSource src;
        const char *err;
        assert_true(tc_read_file(&a, path, 1 << 24, &src, &err));
        uint32_t id = tc_diag_add_file(&de, src);
        TcStrTab strs;
        tc_strtab_init(&strs, &a);
        TcAstNode *ast = tc_parse_file(&a, &strs, &de, id);
        TcIrModule *m = tc_ir_module_new(&a);
        TcSemaOptions opt = {NULL, 0, NULL};
        if (de.nerrors == 0 && tc_sema_lower(ast, m, &de, &opt)) {
            char *text = print_module(m);
            round_trip(c, text);
            free(text);
            n++;
        } else {
            fail_msg("%s does not compile: %s", ent->d_name, de.diags.len ? de.diags.data[0]->msg : "no diagnostic");
        }
        tc_ir_module_free(m);
        tc_strtab_free(&strs);
        tc_arena_free(&a);
    }
    closedir(dir);
    assert_true(n >= 7);
}

/* ------------------------------------------------ distributed and memory IR */

#define LT "#blocked<spt = [1, 4], tpw = [8, 4], wpc = [4, 1], order = [1, 0]>"
#define LT2 "#blocked<spt = [1, 1], tpw = [8, 4], wpc = [4, 1], order = [0, 1]>"
#define LS0 "#slice<dims = [0], parent = " LT ">"

/* Layouts in types, smem attributes and smem(N), built with the API. */
static const char layouts_text[] =
    "kernel @lay(%x: tensor<f32[64, 32]>, %y: tensor<out f32[32]>) smem(16384) warps(4)\n"
    "grid {\n"
    "  %0 = const 1 : i32\n"
    "  yield %0\n"
    "}\n"
    "{\n"
    "  %z = const 0 : i32\n"
    "  %t = load %x, %z, %z : f32[64, 32] " LT "\n"
    "  %s = local_alloc %t {smem = 0} : f32[64, 32] #shared<pad = 1>\n"
    "  barrier\n"
    "  %l = local_load %s : f32[64, 32] " LT "\n"
    "  %v = convert_layout %l : f32[64, 32] " LT2 "\n"
    "  %w = convert_layout %v {smem = 8448} : f32[64, 32] " LT "\n"
    "  %r = reduce_sum %w {axis = 0, smem = 8448} : f32[32] " LS0 "\n"
    "  store %y, %z, %r\n"
    "  %c = const true : bool\n"
    "  %r.1 = for %i = %z to %z step %z iter_args(%a = %r) : f32[32] " LS0 " {pipeline = 2, smem = 8} {\n"
    "    yield %a\n"
    "  }\n"
    "  %r.2 = if %c : f32[32] " LS0 " {smem = 16} {\n"
    "    yield %r.1\n"
    "  } else {\n"
    "    yield %r\n"
    "  }\n"
    "}\n";

static void test_print_layouts(void **state)
{
    Ctx *c = *state;
    TcIrModule *m = c->m;
    uint32_t spt[2] = {1, 4}, tpw[2] = {8, 4}, wpc[2] = {4, 1}, one[2] = {1, 1};
    uint8_t order[2] = {1, 0}, order2[2] = {0, 1};
    const TcLayout *bl = tc_layout_blocked(m, 2, spt, tpw, wpc, order);
    const TcLayout *bl2 = tc_layout_blocked(m, 2, one, tpw, wpc, order2);
    const TcLayout *sl = tc_layout_slice(m, bl, 0), *sh = tc_layout_shared(m, 1);
    assert_ptr_equal(bl, tc_layout_blocked(m, 2, spt, tpw, wpc, order));
    TcType *plain = tile2(m, TC_F32, 64, 32);
    TcType *t = tc_type_with_layout(m, plain, bl);
    assert_ptr_equal(t, tc_type_with_layout(m, plain, bl));
    assert_ptr_not_equal(t, plain);
    assert_ptr_equal(tc_type_with_layout(m, t, NULL), plain);
    assert_ptr_equal(tc_type_with_dtype(m, t, TC_BOOL)->layout, bl);
    TcType *st = tc_type_with_layout(m, plain, sh), *rt = tc_type_with_layout(m, tile1(m, TC_F32, 32), sl);
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_type_print(t, &sb);
    assert_string_equal(sb.data, "f32[64, 32] " LT);
    tc_sb_clear(&sb);
    tc_type_print(rt, &sb);
    assert_string_equal(sb.data, "f32[32] " LS0);
    tc_sb_clear(&sb);
    tc_type_print(st, &sb);
    assert_string_equal(sb.data, "f32[64, 32] #shared<pad = 1>");
    tc_sb_free(&sb);

    TcSpan none = {0, 0, 0, 0, 0};
    TcIrFunc *f = tc_ir_func_new(m, "lay", none);
    TcDim xd[2] = {{64, NULL}, {32, NULL}}, yd[1] = {{32, NULL}};
    TcIrValue *x = tc_ir_func_add_param(f, "x", tc_type_tensor(m, TC_F32, 2, xd, 0));
    TcIrValue *y = tc_ir_func_add_param(f, "y", tc_type_tensor(m, TC_F32, 1, yd, TC_TENSOR_OUT));
    f->warps = 4;
    f->smem_bytes = 16384;
    TcIrBuilder bd;
    tc_ir_builder_at_end(&bd, f, f->grid);
    TcIrValue *g = tc_ir_build_const_int(&bd, TC_I32, 1);
    tc_ir_build_yield(&bd, 1, &g);
    tc_ir_builder_at_end(&bd, f, f->body);
    TcIrValue *z = named(m, tc_ir_build_const_int(&bd, TC_I32, 0), "z");
    TcIrValue *off[2] = {z, z};
    TcIrValue *lt = named(m, tc_ir_build_load(&bd, x, off, NULL, t), "t");
    TcIrOp *alloc = tc_ir_build_op(&bd, TC_OP_LOCAL_ALLOC, 1, &lt, st);
    alloc->smem = 0;
    named(m, alloc->results[0], "s");
    tc_ir_build_op(&bd, TC_OP_BARRIER, 0, NULL, NULL);
    TcIrValue *l = named(m, tc_ir_build_op(&bd, TC_OP_LOCAL_LOAD, 1, alloc->results, t)->results[0], "l");
    TcIrValue *v = named(m, tc_ir_build_op(&bd, TC_OP_CONVERT_LAYOUT, 1, &l, tc_type_with_layout(m, plain, bl2))
                                ->results[0], "v");
    TcIrOp *cv = tc_ir_build_op(&bd, TC_OP_CONVERT_LAYOUT, 1, &v, t);
    cv->smem = 8448;
    TcIrValue *w = named(m, cv->results[0], "w");
    TcIrOp *red = tc_ir_build_op(&bd, TC_OP_REDUCE_SUM, 1, &w, rt);
    red->ival = 0;
    red->smem = 8448;
    TcIrValue *r = named(m, red->results[0], "r");
    tc_ir_build_store(&bd, y, &z, r);
    TcIrValue *cond = named(m, tc_ir_build_const_int(&bd, TC_BOOL, 1), "c");
    TcIrOp *loop = tc_ir_build_for(&bd, z, z, z, 1, &r);
    loop->pipeline = 2;
    loop->smem = 8;
    named(m, loop->results[0], "r");
    named(m, loop->regions[0]->args[0], "i");
    named(m, loop->regions[0]->args[1], "a");
    TcIrBuilder in;
    tc_ir_builder_at_end(&in, f, loop->regions[0]);
    tc_ir_build_yield(&in, 1, &loop->regions[0]->args[1]);
    TcIrOp *iff = tc_ir_build_if(&bd, cond, 1, &rt);
    iff->smem = 16;
    named(m, iff->results[0], "r");
    tc_ir_builder_at_end(&in, f, iff->regions[0]);
    tc_ir_build_yield(&in, 1, loop->results);
    tc_ir_builder_at_end(&in, f, iff->regions[1]);
    tc_ir_build_yield(&in, 1, &r);
    assert_true(tc_ir_verify_module(m, &c->de, NULL));
    assert_int_equal(c->de.diags.len, 0);
    char *text = print_module(m);
    assert_string_equal(text, layouts_text);
    free(text);
    round_trip(c, layouts_text);
}

/* The parsed module holds what the text says: interned layouts, smem. */
static void test_parse_layouts(void **state)
{
    Ctx *c = *state;
    assert_true(parse_text(c, c->m, layouts_text, strlen(layouts_text)));
    assert_true(tc_ir_verify_module(c->m, &c->de, NULL));
    TcIrFunc *f = tc_ir_module_find(c->m, "lay");
    assert_int_equal(f->smem_bytes, 16384);
    TcIrOp *load = f->body->first->next, *alloc = load->next, *bar = alloc->next, *ll = bar->next;
    assert_int_equal(load->smem, -1);
    assert_int_equal(alloc->opc, TC_OP_LOCAL_ALLOC);
    assert_int_equal(alloc->smem, 0);
    assert_int_equal(bar->opc, TC_OP_BARRIER);
    assert_int_equal(bar->noperands + bar->nresults, 0);
    const TcLayout *bl = load->results[0]->type->layout;
    assert_non_null(bl);
    assert_int_equal(bl->kind, TC_LAYOUT_BLOCKED);
    assert_int_equal(bl->spt[1], 4);
    assert_int_equal(bl->tpw[0], 8);
    assert_int_equal(bl->order[0], 1);
    assert_ptr_equal(ll->results[0]->type, load->results[0]->type); /* interned: one type */
    assert_int_equal(alloc->results[0]->type->layout->kind, TC_LAYOUT_SHARED);
    assert_int_equal(alloc->results[0]->type->layout->pad, 1);
    TcIrOp *red = ll->next->next->next;
    assert_int_equal(red->opc, TC_OP_REDUCE_SUM);
    assert_int_equal(red->smem, 8448);
    assert_ptr_equal(red->results[0]->type->layout, tc_layout_slice(c->m, bl, 0));
    /* A slice's parent dims may be given in any order; #slice of two dims. */
    const char *two =
        "kernel @k(%n: i32)\ngrid {\n}\n{\n  %x = splat %n : i32[8] #slice<dims = [2, 0], parent = "
        "#blocked<spt = [1, 1, 1], tpw = [2, 4, 4], wpc = [1, 2, 2], order = [2, 1, 0]>>\n}\n";
    TcIrModule *m2 = tc_ir_module_new(&c->arena);
    assert_true(parse_text(c, m2, two, strlen(two)));
    const TcLayout *s2 = m2->funcs.data[0]->body->first->results[0]->type->layout;
    assert_int_equal(s2->kind, TC_LAYOUT_SLICE);
    assert_int_equal(s2->slice_mask, 5);
    assert_int_equal(tc_layout_tile_rank(s2), 1);
    char *text = print_module(m2);
    assert_non_null(strstr(text, "#slice<dims = [0, 2], parent = #blocked<spt = [1, 1, 1]"));
    round_trip(c, text);
    free(text);
    tc_ir_module_free(m2);
}

/* One kernel at the three levels; the interpreter ignores layouts, so the
 * distributed and memory versions give bit-identical results. */
#define LV_HEAD(extra)                                                                                            \
    "kernel @lv(%a: tensor<f32[M, 16]>, %b: tensor<f32[16, 16]>, %c: tensor<out f32[M, 16]>) sizes(%M)" extra "\n" \
    "grid {\n"                                                                                                    \
    "  %0 = const 16 : i32\n"                                                                                     \
    "  %1 = const 15 : i32\n"                                                                                     \
    "  %2 = add %M, %1 : i32\n"                                                                                   \
    "  %3 = div %2, %0 : i32\n"                                                                                   \
    "  yield %3\n"                                                                                                \
    "}\n"                                                                                                         \
    "{\n"                                                                                                         \
    "  %pid = program_id {axis = 0} : i32\n"                                                                      \
    "  %bm = const 16 : i32\n"                                                                                    \
    "  %m0 = mul %pid, %bm : i32\n"                                                                               \
    "  %zero = const 0 : i32\n"                                                                                   \
    "  %bk = const 8 : i32\n"                                                                                     \
    "  %f0 = const 0.0 : f32\n"
#define LA " #blocked<spt = [1, 2], tpw = [8, 4], wpc = [2, 1], order = [1, 0]>"
#define LB " #blocked<spt = [1, 4], tpw = [8, 4], wpc = [2, 1], order = [1, 0]>"
#define LC " #blocked<spt = [2, 2], tpw = [4, 8], wpc = [2, 1], order = [1, 0]>"
#define LR " #slice<dims = [1], parent = #blocked<spt = [2, 1], tpw = [4, 8], wpc = [2, 1], order = [1, 0]>>"
#define LE " #blocked<spt = [2, 1], tpw = [4, 8], wpc = [2, 1], order = [1, 0]>"
#define LO " #blocked<spt = [1, 4], tpw = [8, 4], wpc = [2, 1], order = [1, 0]>"

static const char lv_tile[] =
    LV_HEAD("")
    "  %acc0 = splat %f0 : f32[16, 16]\n"
    "  %acc = for %k = %zero to %bm step %bk iter_args(%acc.1 = %acc0) : f32[16, 16] {\n"
    "    %ta = load %a, %m0, %k : f32[16, 8]\n"
    "    %tb = load %b, %k, %zero : f32[8, 16]\n"
    "    %d = dot %ta, %tb, %acc.1 : f32[16, 16]\n"
    "    yield %d\n"
    "  }\n"
    "  %mx = reduce_max %acc {axis = 1} : f32[16]\n"
    "  %e = expand_dims %mx {axis = 1} : f32[16, 1]\n"
    "  %eb = broadcast %e : f32[16, 16]\n"
    "  %s = sub %acc, %eb : f32[16, 16]\n"
    "  %x = exp %s : f32[16, 16]\n"
    "  store %c, %m0, %zero, %x\n"
    "}\n";

static const char lv_distributed[] =
    LV_HEAD(" warps(2)")
    "  %acc0 = splat %f0 : f32[16, 16]" LC "\n"
    "  %acc = for %k = %zero to %bm step %bk iter_args(%acc.1 = %acc0) : f32[16, 16]" LC " {\n"
    "    %ta = load %a, %m0, %k : f32[16, 8]" LA "\n"
    "    %tb = load %b, %k, %zero : f32[8, 16]" LB "\n"
    "    %d = dot %ta, %tb, %acc.1 : f32[16, 16]" LC "\n"
    "    yield %d\n"
    "  }\n"
    "  %mx = reduce_max %acc {axis = 1} : f32[16]" LR "\n"
    "  %e = expand_dims %mx {axis = 1} : f32[16, 1]" LE "\n"
    "  %eb = broadcast %e : f32[16, 16]" LC "\n"
    "  %s = sub %acc, %eb : f32[16, 16]" LC "\n"
    "  %x = exp %s : f32[16, 16]" LC "\n"
    "  %o = convert_layout %x : f32[16, 16]" LO "\n"
    "  store %c, %m0, %zero, %o\n"
    "}\n";

static const char lv_memory[] =
    LV_HEAD(" smem(1120) warps(2)")
    "  %acc0 = splat %f0 : f32[16, 16]" LC "\n"
    "  %acc = for %k = %zero to %bm step %bk iter_args(%acc.1 = %acc0) : f32[16, 16]" LC " {pipeline = 2} {\n"
    "    %ta = load %a, %m0, %k : f32[16, 8]" LA "\n"
    "    %tb = load %b, %k, %zero : f32[8, 16]" LB "\n"
    "    barrier\n"
    "    %sa = local_alloc %ta {smem = 0} : f32[16, 8] #shared<pad = 1>\n"
    "    %sb = local_alloc %tb {smem = 576} : f32[8, 16] #shared<pad = 1>\n"
    "    barrier\n"
    "    %ra = local_load %sa : f32[16, 8]" LA "\n"
    "    %d = dot %ra, %sb, %acc.1 : f32[16, 16]" LC "\n"
    "    yield %d\n"
    "  }\n"
    "  %mx = reduce_max %acc {axis = 1, smem = 0} : f32[16]" LR "\n"
    "  %e = expand_dims %mx {axis = 1} : f32[16, 1]" LE "\n"
    "  %eb = broadcast %e : f32[16, 16]" LC "\n"
    "  %s = sub %acc, %eb : f32[16, 16]" LC "\n"
    "  %x = exp %s : f32[16, 16]" LC "\n"
    "  %o = convert_layout %x {smem = 0} : f32[16, 16]" LO "\n"
    "  store %c, %m0, %zero, %o\n"
    "}\n";

/* Parses, verifies and round-trips text, runs it on a (M x 16), b (16 x 16)
 * and writes c. */
static void run_level(Ctx *c, const char *text, int64_t M, float *a, float *b, float *out)
{
    round_trip(c, text);
    TcIrModule *m = tc_ir_module_new(&c->arena);
    assert_true(parse_text(c, m, text, strlen(text)));
    bool ok = tc_ir_verify_module(m, &c->de, NULL);
    if (!ok) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_diag_render(&c->de, TC_DIAG_TEXT, &sb);
        fprintf(stderr, "%s", sb.data ? sb.data : "");
        tc_sb_free(&sb);
    }
    assert_true(ok);
    TcInterpArg args[3];
    memset(args, 0, sizeof args);
    float *data[3] = {a, b, out};
    int64_t rows[3] = {M, 16, M};
    for (int i = 0; i < 3; i++) {
        args[i].tensor.data = data[i];
        args[i].tensor.dtype = TC_F32;
        args[i].tensor.rank = 2;
        args[i].tensor.sizes[0] = rows[i];
        args[i].tensor.sizes[1] = 16;
        args[i].tensor.strides[0] = 16;
        args[i].tensor.strides[1] = 1;
    }
    for (int64_t i = 0; i < M * 16; i++) out[i] = NAN;
    char err[256] = "";
    if (!tc_interp_run(m->funcs.data[0], args, NULL, err, sizeof err)) fail_msg("interpreter: %s", err);
    tc_ir_module_free(m);
}

static void test_levels_interpret_alike(void **state)
{
    Ctx *c = *state;
    enum { M = 40 };
    static float a[M * 16], b[16 * 16], ref[M * 16], dist[M * 16], mem[M * 16];
    for (int i = 0; i < M * 16; i++) a[i] = (float)((i * 37) % 19) / 8.0f - 1.0f;
    for (int i = 0; i < 16 * 16; i++) b[i] = (float)((i * 11) % 13) / 16.0f - 0.5f;
    run_level(c, lv_tile, M, a, b, ref);
    run_level(c, lv_distributed, M, a, b, dist);
    run_level(c, lv_memory, M, a, b, mem);
    for (int i = 0; i < M * 16; i++) assert_false(isnan(ref[i]));
    assert_memory_equal(ref, dist, sizeof ref);
    assert_memory_equal(ref, mem, sizeof ref);
}

/* Random edits of memory IR never crash the parser, verifier or printer. */
static void test_parse_mutations_layouts(void **state)
{
    (void)state;
    uint64_t seed = 0x243f6a8885a308d3u;
    size_t n = strlen(lv_memory);
    char *buf = malloc(n + 1);
    static const char alphabet[] = "#%{}()[]<>,:= \n0123456789-abdeiklmoprstw";
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, lv_memory, n + 1);
        int edits = 1 + iter % 3;
        for (int e = 0; e < edits; e++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            size_t pos = (size_t)(seed >> 33) % n;
            buf[pos] = alphabet[(seed >> 13) % (sizeof alphabet - 1)];
        }
        TcArena a;
        tc_arena_init(&a);
        TcIrModule *m = tc_ir_module_new(&a);
        TcDiagEngine de;
        tc_diag_init(&de, &a);
        TcSource src = {"t.tir", buf, n};
        if (tc_ir_parse(m, &de, tc_diag_add_file(&de, src))) {
            tc_ir_verify_module(m, &de, NULL);
            char *text = print_module(m);
            free(text);
        }
        tc_ir_module_free(m);
        tc_arena_free(&a);
    }
    free(buf);
}

/* ------------------------------------------------- scalar evaluation */

/* Bitwise equality for doubles (tells -0.0 from 0.0; any NaN matches NaN). */
static bool same_double(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

typedef struct EvalIntCase {
    TcOpcode op;
    TcDtype dt;
    int64_t a, b, want;
} EvalIntCase;

static void test_eval_int(void **state)
{
    (void)state;
    static const EvalIntCase cases[] = {
        {TC_OP_ADD, TC_I8, 100, 100, -56},
        {TC_OP_ADD, TC_U8, 200, 100, 44},
        {TC_OP_SUB, TC_U32, 0, 1, 4294967295},
        {TC_OP_MUL, TC_I64, INT64_MAX, 2, -2},
        {TC_OP_DIV, TC_I32, 7, 0, 0},
        {TC_OP_REM, TC_I32, 7, 0, 0},
        {TC_OP_DIV, TC_U64, -1, 0, 0},
        {TC_OP_DIV, TC_I32, -7, 2, -3},
        {TC_OP_REM, TC_I32, -7, 2, -1},
        {TC_OP_DIV, TC_I32, INT32_MIN, -1, INT32_MIN},
        {TC_OP_REM, TC_I32, INT32_MIN, -1, 0},
        {TC_OP_DIV, TC_I64, INT64_MIN, -1, INT64_MIN},
        {TC_OP_DIV, TC_U64, -2, 2, INT64_MAX},
        {TC_OP_MAX, TC_U32, 4294967295, 1, 4294967295},
        {TC_OP_MIN, TC_U64, -1, 3, 3},
        {TC_OP_MIN, TC_I8, -5, 3, -5},
        {TC_OP_XOR, TC_BOOL, 1, 1, 0},
        {TC_OP_NOT, TC_U8, 5, 0, 250},
        {TC_OP_NOT, TC_BOOL, 1, 0, 0},
        {TC_OP_NEG, TC_I32, INT32_MIN, 0, INT32_MIN},
        {TC_OP_NEG, TC_U8, 1, 0, 255},
        {TC_OP_ABS, TC_I8, -128, 0, -128},
        {TC_OP_ABS, TC_U32, 4294967295, 0, 4294967295},
        {TC_OP_SHL, TC_I32, 1, 31, INT32_MIN},
        {TC_OP_SHL, TC_I32, 1, 32, 0},
        {TC_OP_SHL, TC_I32, 1, -1, 0},
        {TC_OP_SHL, TC_U8, 255, 4, 240},
        {TC_OP_SHR, TC_I32, -8, 1, -4},
        {TC_OP_SHR, TC_I32, -8, 40, -1},
        {TC_OP_SHR, TC_I32, -8, -1, -1},
        {TC_OP_SHR, TC_I32, 8, 40, 0},
        {TC_OP_SHR, TC_U32, 2147483648, 31, 1},
        {TC_OP_SHR, TC_U64, -1, 63, 1},
        {TC_OP_SHR, TC_U64, 1, -1, 0},
        {TC_OP_SHR, TC_I64, INT64_MIN, 63, -1},
        {TC_OP_LT, TC_I32, -1, 1, 1},
        {TC_OP_LT, TC_U32, 4294967295, 1, 0},
        {TC_OP_GT, TC_U64, -1, 1, 1},
        {TC_OP_GE, TC_I64, INT64_MIN, 0, 0},
        {TC_OP_LT, TC_BOOL, 0, 1, 1},
        {TC_OP_NE, TC_I8, -1, -1, 0},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        const EvalIntCase *c = &cases[i];
        bool unary = tc_op_info(c->op)->noperands == 1;
        int64_t a = tc_int_wrap(c->dt, c->a), b = tc_int_wrap(c->dt, c->b);
        int64_t got = unary ? tc_eval_int_unary(c->op, c->dt, a) : tc_eval_int_binary(c->op, c->dt, a, b);
        if (got != c->want)
            fail_msg("case %zu: %s %s %lld, %lld: expected %lld, got %lld", i, tc_op_info(c->op)->name,
                     tc_dtype_name(c->dt), (long long)c->a, (long long)c->b, (long long)c->want, (long long)got);
        assert_true(tc_eval_defined(c->op, c->dt));
    }
    assert_int_equal(tc_int_wrap(TC_U16, -1), 65535);
    assert_int_equal(tc_int_wrap(TC_I16, 65535), -1);
    assert_int_equal(tc_int_wrap(TC_BOOL, 2), 1);
    assert_false(tc_eval_defined(TC_OP_ADD, TC_BOOL));
    assert_false(tc_eval_defined(TC_OP_SHL, TC_F32));
    assert_false(tc_eval_defined(TC_OP_NOT, TC_F16));
    assert_false(tc_eval_defined(TC_OP_EXP, TC_I32));
    assert_false(tc_eval_defined(TC_OP_CAST, TC_I32));
}

typedef struct EvalFloatCase {
    TcOpcode op;
    double a, b, want; /* b unused for unary ops */
} EvalFloatCase;

static void test_eval_float(void **state)
{
    (void)state;
    static const EvalFloatCase cases[] = {
        {TC_OP_MAX, NAN, 1.0, NAN},
        {TC_OP_MAX, 1.0, NAN, NAN},
        {TC_OP_MIN, NAN, -INFINITY, NAN},
        {TC_OP_MAX, -0.0, 0.0, 0.0},
        {TC_OP_MAX, 0.0, -0.0, 0.0},
        {TC_OP_MIN, 0.0, -0.0, -0.0},
        {TC_OP_MIN, -0.0, 0.0, -0.0},
        {TC_OP_MAX, -3.0, 2.0, 2.0},
        {TC_OP_MIN, -INFINITY, 2.0, -INFINITY},
        {TC_OP_ADD, -0.0, 0.0, 0.0},
        {TC_OP_ADD, -0.0, -0.0, -0.0},
        {TC_OP_DIV, 1.0, 0.0, INFINITY},
        {TC_OP_DIV, -1.0, 0.0, -INFINITY},
        {TC_OP_DIV, 0.0, 0.0, NAN},
        {TC_OP_REM, -7.5, 2.0, -1.5},
        {TC_OP_REM, 1.0, 0.0, NAN},
        {TC_OP_NEG, 0.0, 0, -0.0},
        {TC_OP_ABS, -0.0, 0, 0.0},
        {TC_OP_SQRT, 4.0, 0, 2.0},
        {TC_OP_SQRT, -1.0, 0, NAN},
        {TC_OP_RSQRT, 4.0, 0, 0.5},
        {TC_OP_EXP, 0.0, 0, 1.0},
        {TC_OP_LOG2, 8.0, 0, 3.0},
        {TC_OP_SIGMOID, 0.0, 0, 0.5},
        {TC_OP_TANH, -0.0, 0, -0.0},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        const EvalFloatCase *c = &cases[i];
        bool unary = tc_op_info(c->op)->noperands == 1;
        double d = unary ? tc_eval_f64_unary(c->op, c->a) : tc_eval_f64_binary(c->op, c->a, c->b);
        double f = unary ? tc_eval_f32_unary(c->op, (float)c->a)
                         : tc_eval_f32_binary(c->op, (float)c->a, (float)c->b);
        if (!same_double(d, c->want) || !same_double(f, c->want))
            fail_msg("case %zu: %s %g, %g: expected %g, got %g (f64) and %g (f32)", i,
                     tc_op_info(c->op)->name, c->a, c->b, c->want, d, f);
    }
    /* f32 arithmetic happens in float, f64 in double */
    assert_true(tc_eval_f32_binary(TC_OP_DIV, 1.0f, 3.0f) == 1.0f / 3.0f);
    assert_true(tc_eval_f64_binary(TC_OP_DIV, 1.0, 3.0) == 1.0 / 3.0);
    assert_false(tc_eval_float_compare(TC_OP_EQ, NAN, NAN));
    assert_true(tc_eval_float_compare(TC_OP_NE, NAN, NAN));
    assert_false(tc_eval_float_compare(TC_OP_GE, NAN, 1.0));
    assert_true(tc_eval_float_compare(TC_OP_EQ, -0.0, 0.0));
    assert_false(tc_eval_float_compare(TC_OP_LT, -0.0, 0.0));
    assert_true(tc_eval_float_compare(TC_OP_LE, -INFINITY, -1e300));
}

typedef struct EvalCastCase {
    TcDtype from, to;
    int64_t i;  /* source when `from` is an integer or bool */
    double f;   /* source when `from` is a float */
    int64_t wi; /* expected when `to` is an integer or bool */
    double wf;  /* expected when `to` is a float */
} EvalCastCase;

static void test_eval_cast(void **state)
{
    (void)state;
    static const EvalCastCase cases[] = {
        /* single rounding: from the exact integer, and f64 straight to f16/bf16 */
        {TC_I64, TC_BF16, (INT64_C(1) << 30) + (INT64_C(1) << 22) + 1, 0, 0, 1082130432.0},
        {TC_F64, TC_F16, 0, 1.0 + 0x1p-11 + 0x1p-40, 0, 1.0009765625},
        {TC_F64, TC_BF16, 0, 1.0 + 0x1p-8 + 0x1p-40, 0, 1.0 + 0x1p-7},
        {TC_F32, TC_F16, 0, 1.0 + 0x1p-11, 0, 1.0},
        {TC_F32, TC_BF16, 0, 1.0 + 0x1p-9, 0, 1.0},
        {TC_I32, TC_F32, 16777217, 0, 0, 16777216.0},
        {TC_I32, TC_F32, 16777219, 0, 0, 16777220.0},
        {TC_I64, TC_F32, (INT64_C(1) << 40) + (INT64_C(1) << 16) + 1, 0, 0, 0x1p40 + 0x1p17},
        {TC_U64, TC_F64, -1, 0, 0, 18446744073709551616.0},
        {TC_I32, TC_F16, 2049, 0, 0, 2048.0},
        {TC_I32, TC_F16, 2051, 0, 0, 2052.0},
        {TC_I32, TC_F16, -2051, 0, 0, -2052.0},
        {TC_I32, TC_F16, 65520, 0, 0, INFINITY},
        {TC_F32, TC_F16, 0, 65520.0, 0, INFINITY},
        {TC_F64, TC_F16, 0, 0x1p-25 + 0x1p-40, 0, 0x1p-24},
        {TC_BOOL, TC_F16, 1, 0, 0, 1.0},
        {TC_F16, TC_F32, 0, 1.5, 0, 1.5},
        /* float -> int: truncation, NaN -> 0, saturation */
        {TC_F32, TC_I32, 0, 3.9, 3, 0},
        {TC_F32, TC_I32, 0, -3.9, -3, 0},
        {TC_F32, TC_I32, 0, NAN, 0, 0},
        {TC_F32, TC_I32, 0, 1e10, INT32_MAX, 0},
        {TC_F32, TC_I32, 0, -INFINITY, INT32_MIN, 0},
        {TC_F64, TC_I64, 0, 1e30, INT64_MAX, 0},
        {TC_F64, TC_I64, 0, -0x1p63, INT64_MIN, 0},
        {TC_F32, TC_I8, 0, -128.9, -128, 0},
        {TC_F32, TC_U8, 0, -1.0, 0, 0},
        {TC_F32, TC_U8, 0, 300.0, 255, 0},
        {TC_F32, TC_U8, 0, 255.9, 255, 0},
        {TC_F64, TC_U64, 0, 1e30, -1, 0},
        {TC_F64, TC_U32, 0, INFINITY, 4294967295, 0},
        {TC_F32, TC_BOOL, 0, NAN, 1, 0},
        {TC_F32, TC_BOOL, 0, -0.0, 0, 0},
        /* int -> int wraps */
        {TC_I32, TC_I8, 300, 0, 44, 0},
        {TC_I32, TC_U32, -1, 0, 4294967295, 0},
        {TC_I8, TC_U64, -1, 0, -1, 0},
        {TC_I32, TC_BOOL, 256, 0, 1, 0},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        const EvalCastCase *c = &cases[i];
        TcScalar in = {0};
        if (tc_dtype_is_float(c->from)) in.f = c->f;
        else in.i = tc_int_wrap(c->from, c->i);
        TcScalar r = tc_scalar_cast(c->from, c->to, in);
        if (tc_dtype_is_float(c->to)) {
            if (!same_double(r.f, c->wf))
                fail_msg("cast case %zu: %s -> %s: expected %.17g, got %.17g", i, tc_dtype_name(c->from),
                         tc_dtype_name(c->to), c->wf, r.f);
        } else if (r.i != c->wi) {
            fail_msg("cast case %zu: %s -> %s: expected %lld, got %lld", i, tc_dtype_name(c->from),
                     tc_dtype_name(c->to), (long long)c->wi, (long long)r.i);
        }
    }
    /* rounding once, and normalize agrees with it */
    assert_true(tc_float_round(TC_F16, 1.0 + 0x1p-11 + 0x1p-40) == 1.0 + 0x1p-10);
    assert_true(tc_float_round(TC_F32, 0.1) == (double)0.1f);
    assert_true(tc_float_round(TC_F64, 0.1) == 0.1);
    assert_true(tc_scalar_normalize(TC_F16, (TcScalar){.f = 1.0 + 0x1p-11 + 0x1p-40}).f == 1.0 + 0x1p-10);
    assert_int_equal(tc_scalar_normalize(TC_I8, (TcScalar){.i = 255}).i, -1);
}

static void test_fold_scalar_policy(void **state)
{
    (void)state;
    TcScalar in[2], r;
    /* division by zero is defined at run time but never folded */
    in[0].i = 5;
    in[1].i = 0;
    assert_true(tc_eval_scalar(TC_OP_DIV, TC_I32, in, &r));
    assert_int_equal(r.i, 0);
    assert_false(tc_fold_scalar(TC_OP_DIV, TC_I32, in, &r));
    assert_false(tc_fold_scalar(TC_OP_REM, TC_I32, in, &r));
    in[0].f = 1.0;
    in[1].f = 0.0;
    assert_false(tc_fold_scalar(TC_OP_DIV, TC_F32, in, &r));
    assert_false(tc_fold_scalar(TC_OP_REM, TC_F64, in, &r));
    /* f16: only results that f16 holds exactly fold (the op carries f32) */
    in[1].f = 0x1p-11;
    assert_true(tc_eval_scalar(TC_OP_ADD, TC_F16, in, &r));
    assert_true(r.f == 1.0 + 0x1p-11);
    assert_false(tc_fold_scalar(TC_OP_ADD, TC_F16, in, &r));
    assert_true(tc_fold_scalar(TC_OP_ADD, TC_F32, in, &r));
    assert_true(r.f == 1.0 + 0x1p-11);
    assert_true(tc_fold_scalar(TC_OP_LT, TC_F16, in, &r));
    assert_int_equal(r.i, 0);
    in[1].f = 0x1p-10;
    assert_true(tc_fold_scalar(TC_OP_ADD, TC_F16, in, &r));
    assert_true(r.f == 1.0 + 0x1p-10);
    in[0].f = 300.0;
    in[1].f = 300.0;
    assert_false(tc_fold_scalar(TC_OP_MUL, TC_F16, in, &r)); /* 90000: inf in f16 */
    in[0].f = 1.0;
    in[1].f = 0x1p-8;
    assert_false(tc_fold_scalar(TC_OP_ADD, TC_BF16, in, &r));
    in[1].f = 0x1p-7;
    assert_true(tc_fold_scalar(TC_OP_ADD, TC_BF16, in, &r));
    in[0].f = NAN;
    assert_true(tc_fold_scalar(TC_OP_MAX, TC_F16, in, &r));
    assert_true(isnan(r.f));
    in[0].f = 2.0;
    assert_false(tc_fold_scalar(TC_OP_SQRT, TC_F16, in, &r));
    assert_true(tc_fold_scalar(TC_OP_SQRT, TC_F32, in, &r));
    assert_true(r.f == (double)sqrtf(2.0f));
    /* integers wrap; not an element-wise op, or not defined on the dtype */
    in[0].i = 127;
    in[1].i = 1;
    assert_true(tc_fold_scalar(TC_OP_ADD, TC_I8, in, &r));
    assert_int_equal(r.i, -128);
    assert_false(tc_fold_scalar(TC_OP_ADD, TC_BOOL, in, &r));
    assert_false(tc_fold_scalar(TC_OP_CAST, TC_I32, in, &r));
    assert_false(tc_fold_scalar(TC_OP_SELECT, TC_I32, in, &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_type_interning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_builder_result_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_broken_ir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_sample, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_keeps_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_accepts_comments_and_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_nesting_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_mutations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_examples_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_levels_interpret_alike, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_mutations_layouts, setup, teardown),
        cmocka_unit_test(test_eval_int),
        cmocka_unit_test(test_eval_float),
        cmocka_unit_test(test_eval_cast),
        cmocka_unit_test(test_fold_scalar_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
