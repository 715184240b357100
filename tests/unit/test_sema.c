/*
 * test_sema.c — unit tests of semantic analysis and lowering: the Tile IR
 * each construct lowers to (types, carried values, conversions, broadcasts,
 * specialization) and the diagnostics bad kernels get (code and position).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "ast.h"

typedef struct Compiled {
    TcArena arena;
    TcDiagEngine de;
    TcIrModule *m;
    bool ok;
} Compiled;

static Compiled *compile_defs(const char *src, const TcConstOverride *defs, uint32_t ndefs)
{
    Compiled *c = calloc(1, sizeof *c);
    tc_arena_init(&c->arena);
    tc_diag_init(&c->de, &c->arena);
    TcSource s = {"t.tile", src, strlen(src)};
    uint32_t fid = tc_diag_add_file(&c->de, s);
    c->m = tc_ir_module_new(&c->arena);
    TcAstNode *file = tc_parse_file(&c->arena, &c->m->strs, &c->de, fid);
    if (c->de.nerrors) return c;
    TcSemaOptions o = {.defines = defs, .ndefines = ndefs};
    c->ok = tc_sema_lower(file, c->m, &c->de, &o);
    return c;
}

static Compiled *compile(const char *src) { return compile_defs(src, NULL, 0); }

static void release(Compiled *c)
{
    tc_ir_module_free(c->m);
    tc_arena_free(&c->arena);
    free(c);
}

/* Asserts that some diagnostic has this code at this line and column. */
static void expect_diag(Compiled *c, TcDiagCode code, uint32_t line, uint32_t col)
{
    for (uint32_t i = 0; i < c->de.diags.len; i++) {
        const TcDiag *d = c->de.diags.data[i];
        if (d->code == code && d->span.line == line && d->span.col == col) return;
    }
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(&c->de, TC_DIAG_TEXT, &sb);
    fail_msg("expected %s at %u:%u; got:\n%s", tc_diag_code_str(code), line, col, sb.data ? sb.data : "(nothing)");
}

typedef struct Found {
    TcOpcode opc;
    TcIrOp *ops[64];
    uint32_t n;
} Found;

static void find_cb(TcIrOp *op, void *ctx)
{
    Found *f = ctx;
    if (op->opc == f->opc && f->n < 64) f->ops[f->n++] = op;
}

static Found find_ops(TcIrFunc *f, TcOpcode opc)
{
    Found r = {.opc = opc};
    tc_ir_walk_block(f->body, find_cb, &r);
    return r;
}

static char *type_text(const TcType *t)
{
    static char buf[256];
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_type_print(t, &sb);
    snprintf(buf, sizeof buf, "%s", sb.data);
    tc_sb_free(&sb);
    return buf;
}

static char *read_example(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/examples/%s", TILEC_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void gemm_example_lowers(void **state)
{
    (void)state;
    Compiled *c = compile(read_example("gemm.tile"));
    assert_true(c->ok);
    assert_int_equal(c->m->funcs.len, 1);
    TcIrFunc *f = c->m->funcs.data[0];
    assert_string_equal(f->name, "gemm");
    assert_int_equal(f->nparams, 4);
    assert_int_equal(f->nsizes, 3);
    assert_string_equal(tc_ir_func_size(f, 0)->name, "M");
    assert_string_equal(tc_ir_func_size(f, 1)->name, "K");
    assert_string_equal(tc_ir_func_size(f, 2)->name, "N");
    assert_string_equal(type_text(tc_ir_func_param(f, 0)->type), "tensor<f16[M, K]>");
    assert_string_equal(type_text(tc_ir_func_param(f, 2)->type), "tensor<out f32[M, N]>");
    assert_int_equal(f->consts.len, 4);
    assert_int_equal(f->consts.data[3].kind, TC_CONST_DTYPE);
    assert_int_equal(f->consts.data[3].dtype, TC_F16);
    /* grid yields two extents */
    TcIrOp *y = tc_ir_block_terminator(f->grid);
    assert_non_null(y);
    assert_int_equal(y->noperands, 2);
    /* one pipelined loop carrying acc */
    Found fors = find_ops(f, TC_OP_FOR);
    assert_int_equal(fors.n, 1);
    TcIrOp *loop = fors.ops[0];
    assert_int_equal(loop->pipeline, 3);
    assert_int_equal(loop->nresults, 1);
    assert_string_equal(type_text(loop->results[0]->type), "f32[128, 128]");
    Found dots = find_ops(f, TC_OP_DOT);
    assert_int_equal(dots.n, 1);
    assert_string_equal(type_text(dots.ops[0]->operands[0]->type), "f16[128, 32]");
    Found stores = find_ops(f, TC_OP_STORE);
    assert_int_equal(stores.n, 1);
    release(c);
}

static void every_example_lowers(void **state)
{
    (void)state;
    const char *names[] = {"gemm.tile", "attention.tile", "softmax.tile", "layernorm.tile",
                           "rmsnorm.tile", "vector_add.tile", "gemm_bias_relu.tile"};
    for (size_t i = 0; i < TC_ARRAY_LEN(names); i++) {
        Compiled *c = compile(read_example(names[i]));
        if (!c->ok) {
            TcStrBuf sb;
            tc_sb_init(&sb);
            tc_diag_render(&c->de, TC_DIAG_TEXT, &sb);
            fail_msg("%s: %s", names[i], sb.data);
        }
        TcDiagEngine vde;
        tc_diag_init(&vde, &c->arena);
        assert_true(tc_ir_verify_module(c->m, &vde, "after lowering"));
        release(c);
    }
}

static void defines_specialize_shapes(void **state)
{
    (void)state;
    TcConstOverride d[] = {{"BM", "64"}, {"BK", "16"}, {"T", "f32"}};
    Compiled *c = compile_defs(read_example("gemm.tile"), d, 3);
    assert_true(c->ok);
    TcIrFunc *f = c->m->funcs.data[0];
    assert_string_equal(type_text(tc_ir_func_param(f, 0)->type), "tensor<f32[M, K]>");
    Found dots = find_ops(f, TC_OP_DOT);
    assert_string_equal(type_text(dots.ops[0]->operands[0]->type), "f32[64, 16]");
    assert_string_equal(type_text(dots.ops[0]->results[0]->type), "f32[64, 128]");
    release(c);
}

static void define_errors(void **state)
{
    (void)state;
    TcConstOverride unknown[] = {{"BX", "1"}};
    Compiled *c = compile_defs(read_example("gemm.tile"), unknown, 1);
    assert_false(c->ok);
    expect_diag(c, TC_E_UNKNOWN_CONST, 0, 0);
    release(c);
    TcConstOverride bad[] = {{"BM", "abc"}};
    c = compile_defs(read_example("gemm.tile"), bad, 1);
    assert_false(c->ok);
    expect_diag(c, TC_E_CONST_VALUE, 0, 0);
    release(c);
    c = compile("kernel k<B: int>(x: f32[N]) { }\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_CONST_MISSING, 1, 10);
    release(c);
}

static const char *const header =
    "kernel k<B: int = 64, F: bool = true>(x: f32[N], h: f16[N], i: i32[N], y: out f32[N], yh: out f16[N], s: f32) {\n";

static Compiled *body(const char *stmts)
{
    static char src[4096];
    snprintf(src, sizeof src, "%s%s}\n", header, stmts);
    return compile(src);
}

static void weak_literals_take_the_other_dtype(void **state)
{
    (void)state;
    Compiled *c = body("  let a = load(h, [0], [64]) * 2.0;\n  let b = load(i, [0], [64]) * 2;\n"
                       "  let d = load(i, [0], [64]) * 2.5;\n  store(yh, [0], a);\n  store(y, [0], d);\n"
                       "  store(y, [0], cast(b, f32));\n");
    assert_true(c->ok);
    Found muls = find_ops(c->m->funcs.data[0], TC_OP_MUL);
    assert_int_equal(muls.n, 3);
    assert_string_equal(type_text(muls.ops[0]->results[0]->type), "f16[64]");
    assert_string_equal(type_text(muls.ops[1]->results[0]->type), "i32[64]");
    assert_string_equal(type_text(muls.ops[2]->results[0]->type), "f32[64]"); /* int with float is float */
    release(c);
}

static void widening_and_narrowing(void **state)
{
    (void)state;
    Compiled *c = body("  let a = load(h, [0], [64]) + load(x, [0], [64]);\n  store(yh, [0], a);\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_NARROWING, 3, 18);
    release(c);
    c = body("  store(yh, [0], cast(load(h, [0], [64]) + load(x, [0], [64]), f16));\n");
    assert_true(c->ok);
    release(c);
}

static void integer_promotion(void **state)
{
    (void)state;
    Compiled *c = compile("kernel k(a: i32[N], b: u32[N], o: out i64[N]) {\n"
                          "  store(o, [0], load(a, [0], [8]) + load(b, [0], [8]));\n}\n");
    assert_true(c->ok);
    Found adds = find_ops(c->m->funcs.data[0], TC_OP_ADD);
    assert_int_equal(adds.n, 1);
    assert_string_equal(type_text(adds.ops[0]->results[0]->type), "i64[8]");
    release(c);
    c = compile("kernel k(a: i64[N], b: u64[N], o: out i64[N]) {\n"
                "  store(o, [0], load(a, [0], [8]) + load(b, [0], [8]));\n}\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_SIGNEDNESS, 2, 17);
    release(c);
}

static void numpy_broadcasting(void **state)
{
    (void)state;
    Compiled *c = body("  let r = load(x, [0], [64]);\n  let t = r[:, None] + r[None, :];\n"
                       "  let u = t + r;\n  store(y, [0], sum(u, axis=1));\n");
    assert_true(c->ok);
    Found adds = find_ops(c->m->funcs.data[0], TC_OP_ADD);
    assert_int_equal(adds.n, 2);
    assert_string_equal(type_text(adds.ops[0]->results[0]->type), "f32[64, 64]");
    assert_string_equal(type_text(adds.ops[1]->results[0]->type), "f32[64, 64]");
    release(c);
    c = body("  let r = load(x, [0], [64]);\n  let t = r + load(x, [0], [32]);\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_SHAPE, 3, 11);
    release(c);
}

static void var_in_if_becomes_if_result(void **state)
{
    (void)state;
    Compiled *c = body("  var a = zeros([64], f32);\n  if s > 0.0 { a = load(x, [0], [64]); } else { a += 1.0; }\n"
                       "  store(y, [0], a);\n");
    assert_true(c->ok);
    TcIrFunc *f = c->m->funcs.data[0];
    Found ifs = find_ops(f, TC_OP_IF);
    assert_int_equal(ifs.n, 1);
    assert_int_equal(ifs.ops[0]->nresults, 1);
    Found stores = find_ops(f, TC_OP_STORE);
    assert_ptr_equal(stores.ops[0]->operands[2], ifs.ops[0]->results[0]);
    release(c);
}

static void loop_carries_only_outer_vars(void **state)
{
    (void)state;
    Compiled *c = body("  var a = zeros([64], f32);\n  var n = 0;\n"
                       "  for j in range(0, N, 64) unroll(2) {\n"
                       "    var a = load(x, [j], [64]);\n    a += 1.0;\n"
                       "    if j > 3 { n += 1; }\n  }\n"
                       "  store(y, [0], a + cast(n, f32));\n");
    assert_true(c->ok);
    TcIrFunc *f = c->m->funcs.data[0];
    Found fors = find_ops(f, TC_OP_FOR);
    assert_int_equal(fors.n, 1);
    assert_int_equal(fors.ops[0]->unroll, 2);
    assert_int_equal(fors.ops[0]->nresults, 1); /* n only: the inner 'a' shadows */
    assert_string_equal(type_text(fors.ops[0]->results[0]->type), "i32");
    release(c);
}

static void const_expressions_make_shapes(void **state)
{
    (void)state;
    Compiled *c = body("  let t = zeros([B * 2, cdiv(B, 16)], f32);\n  store(y, [0], sum(t, axis=-1));\n");
    assert_true(c->ok);
    Found reds = find_ops(c->m->funcs.data[0], TC_OP_REDUCE_SUM);
    assert_int_equal(reds.n, 1);
    assert_string_equal(type_text(reds.ops[0]->operands[0]->type), "f32[128, 4]");
    release(c);
    c = body("  let t = zeros([N, 4], f32);\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_NOT_CONST, 2, 18);
    release(c);
}

static void shape_limits(void **state)
{
    (void)state;
    Compiled *c = body("  let t = zeros([48], f32);\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_EXTENT, 2, 17);
    release(c);
    c = body("  let t = zeros([1048576, 1048576], f32);\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_TILE_TOO_LARGE, 2, 17);
    const TcDiag *d = c->de.diags.data[0];
    assert_true(d->has_amounts);
    assert_int_equal(d->limit, 1 << 24);
    release(c);
}

static void name_and_assignment_errors(void **state)
{
    (void)state;
    Compiled *c = body("  let a = 1;\n  a = 2;\n  q = 3;\n  B = 4;\n  var v = zeros([64], f32);\n"
                       "  v = zeros([32], f32);\n  let a = 5;\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_ASSIGN_LET, 3, 3);
    expect_diag(c, TC_E_UNDEFINED, 4, 3);
    expect_diag(c, TC_E_ASSIGN_OTHER, 5, 3);
    expect_diag(c, TC_E_VAR_TYPE, 7, 7);
    expect_diag(c, TC_E_REDEFINED, 8, 7);
    assert_true(c->de.nerrors >= 5); /* several errors in one run */
    release(c);
}

static void store_and_dot_errors(void **state)
{
    (void)state;
    Compiled *c = body("  store(x, [0], load(x, [0], [64]));\n"
                       "  let m = load(x, [0], [64])[:, None] * load(x, [0], [64])[None, :];\n"
                       "  let p = dot(m, zeros([32, 64], f32));\n"
                       "  let q = dot(m, zeros([64, 64], f16));\n"
                       "  store(y, [0, 1], load(x, [0], [64]));\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_READ_ONLY, 2, 9);
    expect_diag(c, TC_E_DOT_SHAPE, 4, 11);
    expect_diag(c, TC_E_DOT_DTYPE, 5, 11);
    expect_diag(c, TC_E_RANK, 6, 12);
    release(c);
}

static void grid_and_clause_errors(void **state)
{
    (void)state;
    Compiled *c = compile("kernel k(x: f32[N]) grid(x) { }\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_GRID, 1, 26);
    release(c);
    c = compile("kernel k(x: f32[N]) grid(program_id(0)) { }\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_GRID, 1, 26);
    release(c);
    c = compile("kernel k(x: f32[N]) grid(N) warps(3) { }\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_WARPS, 1, 35);
    release(c);
    c = compile("kernel k(x: f32[N]) grid(N, N, N, N) { }\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_GRID, 1, 21);
    release(c);
    c = compile("kernel k(x: f32[N]) grid(cdiv(N, 128), 2) warps(8) { }\n");
    assert_true(c->ok);
    assert_int_equal(c->m->funcs.data[0]->warps, 8);
    release(c);
}

static void builtin_argument_errors(void **state)
{
    (void)state;
    Compiled *c = body("  let a = load(x, [0]);\n  let b = sum(load(x, [0], [64]), axes=0);\n"
                       "  let d = frob(1);\n  let e = max(load(x, [0], [64]), axis=1);\n"
                       "  let f = program_id(3);\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_ARG_COUNT, 2, 11);
    expect_diag(c, TC_E_NAMED_ARG, 3, 35);
    expect_diag(c, TC_E_NOT_CALLABLE, 4, 11);
    expect_diag(c, TC_E_AXIS, 5, 40);
    expect_diag(c, TC_E_PROGRAM_AXIS, 6, 22);
    release(c);
}

static void view_indexes_leading_axes(void **state)
{
    (void)state;
    Compiled *c = compile("kernel k(q: f16[Z, S, D], o: out f16[Z, S, D]) grid(Z) {\n"
                          "  let z = program_id(0);\n  store(o[z], [0, 0], load(q[z], [0, 0], [16, 16]));\n}\n");
    assert_true(c->ok);
    Found views = find_ops(c->m->funcs.data[0], TC_OP_VIEW);
    assert_int_equal(views.n, 2);
    assert_string_equal(type_text(views.ops[0]->results[0]->type), "tensor<out f16[S, D]>");
    release(c);
    c = compile("kernel k(q: f16[Z, S]) {\n  let t = load(q[0, 1], [0], [16]);\n}\n");
    assert_false(c->ok);
    expect_diag(c, TC_E_VIEW, 2, 16);
    release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gemm_example_lowers),
        cmocka_unit_test(every_example_lowers),
        cmocka_unit_test(defines_specialize_shapes),
        cmocka_unit_test(define_errors),
        cmocka_unit_test(weak_literals_take_the_other_dtype),
        cmocka_unit_test(widening_and_narrowing),
        cmocka_unit_test(integer_promotion),
        cmocka_unit_test(numpy_broadcasting),
        cmocka_unit_test(var_in_if_becomes_if_result),
        cmocka_unit_test(loop_carries_only_outer_vars),
        cmocka_unit_test(const_expressions_make_shapes),
        cmocka_unit_test(shape_limits),
        cmocka_unit_test(name_and_assignment_errors),
        cmocka_unit_test(store_and_dot_errors),
        cmocka_unit_test(grid_and_clause_errors),
        cmocka_unit_test(builtin_argument_errors),
        cmocka_unit_test(view_indexes_leading_axes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
