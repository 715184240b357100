/*
 * test_parser.c — unit tests of the .tile parser (frontend/parser.y) and the
 * syntax tree (frontend/ast.c): every statement and expression form,
 * precedence and associativity, spans, the printed form, error recovery with
 * codes and positions, the nesting limits, malformed inputs that must return
 * normally, and every kernel in examples/ (found at run time).
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

#include "ast.h"
#include "frontend.h"

/* One compilation: arena, diagnostics, strings, a file and its tree. */
typedef struct Fix {
    TcArena arena;
    TcDiagEngine de;
    TcStrTab strs;
    uint32_t file;
    TcAstNode *root;
    TcStrBuf out;
} Fix;

static TcAstNode *parse_n(Fix *f, const char *text, size_t len)
{
    tc_arena_init(&f->arena);
    tc_diag_init(&f->de, &f->arena);
    tc_strtab_init(&f->strs, &f->arena);
    tc_sb_init(&f->out);
    char *copy = tc_arena_alloc(&f->arena, len + 1);
    memcpy(copy, text, len);
    TcSource src = {"t.tile", copy, len};
    f->file = tc_diag_add_file(&f->de, src);
    f->root = tc_parse_file(&f->arena, &f->strs, &f->de, f->file);
    assert_non_null(f->root);
    assert_int_equal(f->root->kind, TC_AST_FILE);
    return f->root;
}

static TcAstNode *parse(Fix *f, const char *text)
{
    return parse_n(f, text, strlen(text));
}

static void fix_close(Fix *f)
{
    tc_sb_free(&f->out);
    tc_strtab_free(&f->strs);
    tc_arena_free(&f->arena);
}

static const TcDiag *diag(const Fix *f, uint32_t i)
{
    assert_true(i < f->de.diags.len);
    return f->de.diags.data[i];
}

static void assert_diag(const Fix *f, uint32_t i, TcDiagCode code, uint32_t line, uint32_t col)
{
    const TcDiag *d = diag(f, i);
    if (d->code != code || d->span.line != line || d->span.col != col)
        fail_msg("diag %u: got %s at %u:%u (%s), want %s at %u:%u", i,
                 tc_diag_code_str(d->code), d->span.line, d->span.col, d->msg,
                 tc_diag_code_str(code), line, col);
}

/* Fails with the rendered diagnostics when there are any. */
static void assert_no_errors(Fix *f)
{
    if (f->de.nerrors == 0) return;
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_diag_render(&f->de, TC_DIAG_TEXT, &sb);
    fail_msg("unexpected errors:\n%s", sb.data);
}

static TcAstNode *kernel(const Fix *f, uint32_t i)
{
    assert_true(i < f->root->u.file.kernels.len);
    return f->root->u.file.kernels.data[i];
}

/* Statement i of kernel 0's body. */
static TcAstNode *stmt(const Fix *f, uint32_t i)
{
    const TcAstNode *body = kernel(f, 0)->u.kernel.body;
    assert_int_equal(body->kind, TC_AST_BLOCK);
    assert_true(i < body->u.block.stmts.len);
    return body->u.block.stmts.data[i];
}

static uint32_t nstmts(const Fix *f)
{
    return kernel(f, 0)->u.kernel.body->u.block.stmts.len;
}

/* The printed tree of n, owned by f. */
static const char *print(Fix *f, const TcAstNode *n)
{
    tc_sb_clear(&f->out);
    tc_ast_print(n, &f->out);
    return f->out.data ? f->out.data : "";
}

/* Parses `kernel k() { EXPR; }` and returns the printed expression. */
static const char *expr_tree(Fix *f, const char *expr)
{
    char buf[512];
    snprintf(buf, sizeof buf, "kernel k() { %s; }", expr);
    parse(f, buf);
    assert_no_errors(f);
    assert_int_equal(nstmts(f), 1);
    assert_int_equal(stmt(f, 0)->kind, TC_AST_EXPR_STMT);
    return print(f, stmt(f, 0)->u.expr_stmt.expr);
}

static void assert_span(const TcAstNode *n, uint32_t l, uint32_t c, uint32_t el, uint32_t ec)
{
    if (n->span.line != l || n->span.col != c || n->span.end_line != el ||
        n->span.end_col != ec)
        fail_msg("%s spans %u:%u-%u:%u, want %u:%u-%u:%u", tc_ast_kind_str(n->kind),
                 n->span.line, n->span.col, n->span.end_line, n->span.end_col, l, c, el, ec);
    assert_int_not_equal(n->span.file, 0);
}

static const char *const gemm_src =
    "// C = alpha * A @ B, f16 in, f32 accumulate. M, N, K are runtime sizes.\n"
    "kernel gemm<BM: int = 128, BN: int = 128, BK: int = 32, T: dtype = f16>(\n"
    "    a: T[M, K], b: T[K, N], c: out f32[M, N], alpha: f32)\n"
    "    grid(cdiv(M, BM), cdiv(N, BN))\n"
    "{\n"
    "    let m0 = program_id(0) * BM;\n"
    "    let n0 = program_id(1) * BN;\n"
    "    var acc = zeros([BM, BN], f32);\n"
    "    for k in range(0, K, BK) pipeline(3) {\n"
    "        let ta = load(a, [m0, k], [BM, BK]);     // outside the tensor reads 0\n"
    "        let tb = load(b, [k, n0], [BK, BN]);\n"
    "        acc = dot(ta, tb, acc);                  // also: acc += ta @ tb\n"
    "    }\n"
    "    store(c, [m0, n0], acc * alpha);             // outside the tensor is skipped\n"
    "}\n";

static const char *const attention_src =
    "kernel attention<BQ: int = 64, BKV: int = 64, D: int = 64, CAUSAL: bool = false>(\n"
    "    q: f16[Z, H, S, D], k: f16[Z, H, S, D], v: f16[Z, H, S, D],\n"
    "    o: out f16[Z, H, S, D], scale: f32)\n"
    "    grid(cdiv(S, BQ), Z * H)\n"
    "{\n"
    "    let z = program_id(1) / H;\n"
    "    let h = program_id(1) % H;\n"
    "    let q0 = program_id(0) * BQ;\n"
    "    let tq = load(q[z, h], [q0, 0], [BQ, D]);\n"
    "    var m = full([BQ], -inf, f32);\n"
    "    var l = zeros([BQ], f32);\n"
    "    var acc = zeros([BQ, D], f32);\n"
    "    let end = CAUSAL ? min(S, q0 + BQ) : S;\n"
    "    for j in range(0, end, BKV) {\n"
    "        let tk = load(k[z, h], [j, 0], [BKV, D]);\n"
    "        var s = dot(tq, trans(tk)) * scale;\n"
    "        let cols = arange(BKV) + j;\n"
    "        s = where(cols[None, :] < S, s, -inf);\n"
    "        if CAUSAL {\n"
    "            s = where((arange(BQ) + q0)[:, None] >= cols[None, :], s, -inf);\n"
    "        }\n"
    "        let m_new = maximum(m, max(s, axis=1));\n"
    "        let p = exp(s - m_new[:, None]);\n"
    "        let alpha = exp(m - m_new);\n"
    "        l = l * alpha + sum(p, axis=1);\n"
    "        acc = acc * alpha[:, None] + dot(cast(p, f16), load(v[z, h], [j, 0], [BKV, D]));\n"
    "        m = m_new;\n"
    "    }\n"
    "    store(o[z, h], [q0, 0], cast(acc / l[:, None], f16));\n"
    "}\n";

/* ------------------------------------------------------------ structure */

static void gemm_header_and_body(void **state)
{
    (void)state;
    Fix f;
    parse(&f, gemm_src);
    assert_no_errors(&f);
    assert_int_equal(f.root->u.file.kernels.len, 1);
    const TcAstNode *k = kernel(&f, 0);
    assert_int_equal(k->kind, TC_AST_KERNEL);
    assert_string_equal(k->u.kernel.id, "gemm");
    assert_span(k, 2, 1, 15, 1);
    assert_int_equal(k->u.kernel.id_span.col, 8);

    const TcAstList *cp = &k->u.kernel.const_params;
    assert_int_equal(cp->len, 4);
    assert_string_equal(cp->data[0]->u.const_param.id, "BM");
    assert_int_equal(cp->data[0]->u.const_param.kind, TC_ACK_INT);
    assert_int_equal(cp->data[0]->u.const_param.def->kind, TC_AST_INT);
    assert_int_equal(cp->data[0]->u.const_param.def->u.int_lit.value, 128);
    assert_span(cp->data[0], 2, 13, 2, 25);
    assert_int_equal(cp->data[3]->u.const_param.kind, TC_ACK_DTYPE);
    assert_int_equal(cp->data[3]->u.const_param.def->kind, TC_AST_DTYPE);
    assert_int_equal(cp->data[3]->u.const_param.def->u.dtype.dtype, TC_F16);

    const TcAstList *ps = &k->u.kernel.params;
    assert_int_equal(ps->len, 4);
    const TcAstNode *a = ps->data[0], *c = ps->data[2], *alpha = ps->data[3];
    assert_string_equal(a->u.param.id, "a");
    assert_int_equal(a->u.param.flags, 0);
    assert_true(a->u.param.type->u.type.has_dims);
    assert_int_equal(a->u.param.type->u.type.elem->kind, TC_AST_NAME);
    assert_string_equal(a->u.param.type->u.type.elem->u.name.id, "T");
    assert_int_equal(a->u.param.type->u.type.dims.len, 2);
    assert_string_equal(a->u.param.type->u.type.dims.data[1]->u.name.id, "K");
    assert_int_equal(c->u.param.flags, TC_TENSOR_OUT);
    assert_int_equal(c->u.param.type->u.type.elem->u.dtype.dtype, TC_F32);
    assert_span(c, 3, 29, 3, 44);
    assert_span(c->u.param.type, 3, 36, 3, 44);
    assert_false(alpha->u.param.type->u.type.has_dims);
    assert_int_equal(alpha->u.param.type->u.type.elem->kind, TC_AST_DTYPE);

    assert_int_equal(k->u.kernel.clauses.len, 1);
    const TcAstNode *grid = k->u.kernel.clauses.data[0];
    assert_int_equal(grid->kind, TC_AST_ATTR);
    assert_string_equal(grid->u.attr.id, "grid");
    assert_int_equal(grid->u.attr.args.len, 2);
    assert_int_equal(grid->u.attr.args.data[0]->kind, TC_AST_CALL);
    assert_span(grid, 4, 5, 4, 34);

    assert_int_equal(nstmts(&f), 5);
    assert_int_equal(stmt(&f, 0)->kind, TC_AST_LET);
    assert_int_equal(stmt(&f, 2)->kind, TC_AST_VAR);
    const TcAstNode *loop = stmt(&f, 3);
    assert_int_equal(loop->kind, TC_AST_FOR);
    assert_string_equal(loop->u.for_.var, "k");
    assert_int_equal(loop->u.for_.range_args.len, 3);
    assert_int_equal(loop->u.for_.attrs.len, 1);
    assert_string_equal(loop->u.for_.attrs.data[0]->u.attr.id, "pipeline");
    assert_int_equal(loop->u.for_.body->u.block.stmts.len, 3);
    assert_span(loop, 9, 5, 13, 5);
    const TcAstNode *asg = loop->u.for_.body->u.block.stmts.data[2];
    assert_int_equal(asg->kind, TC_AST_ASSIGN);
    assert_int_equal(asg->u.assign.op, TC_AOP_ASSIGN);
    assert_int_equal(stmt(&f, 4)->kind, TC_AST_EXPR_STMT);
    assert_string_equal(stmt(&f, 4)->u.expr_stmt.expr->u.call.callee, "store");
    fix_close(&f);
}

static void attention_parses(void **state)
{
    (void)state;
    Fix f;
    parse(&f, attention_src);
    assert_no_errors(&f);
    const TcAstNode *k = kernel(&f, 0);
    assert_int_equal(k->u.kernel.const_params.data[3]->u.const_param.kind, TC_ACK_BOOL);
    assert_int_equal(k->u.kernel.const_params.data[3]->u.const_param.def->kind, TC_AST_BOOL);
    assert_int_equal(nstmts(&f), 10);
    assert_int_equal(stmt(&f, 7)->u.decl.init->kind, TC_AST_TERNARY);
    fix_close(&f);
}

static void empty_file_and_comment_only_file(void **state)
{
    (void)state;
    Fix f;
    parse(&f, "");
    assert_no_errors(&f);
    assert_int_equal(f.root->u.file.kernels.len, 0);
    assert_int_equal(f.root->depth, 1);
    fix_close(&f);
    parse(&f, "// nothing here\n/* nor here */\n");
    assert_no_errors(&f);
    assert_int_equal(f.root->u.file.kernels.len, 0);
    fix_close(&f);
}

static void several_kernels_and_header_forms(void **state)
{
    (void)state;
    Fix f;
    parse(&f,
          "kernel a() {}\n"
          "kernel b<X: int,>(p: f32,) {}\n"
          "kernel c<F: float = 1.5, B: bool, D: dtype = bf16, N: int = -1, M: int = (2 + 3)>"
          "(t: inout strided i8[4, N,], u: strided out u8[M]) grid(1, 2, 3) warps(4) {}\n");
    assert_no_errors(&f);
    assert_int_equal(f.root->u.file.kernels.len, 3);
    const TcAstNode *a = kernel(&f, 0), *b = kernel(&f, 1), *c = kernel(&f, 2);
    assert_int_equal(a->u.kernel.const_params.len, 0);
    assert_int_equal(a->u.kernel.params.len, 0);
    assert_int_equal(a->u.kernel.body->u.block.stmts.len, 0);
    assert_int_equal(b->u.kernel.const_params.len, 1);
    assert_null(b->u.kernel.const_params.data[0]->u.const_param.def);
    assert_int_equal(b->u.kernel.params.len, 1);
    const TcAstList *cp = &c->u.kernel.const_params;
    assert_int_equal(cp->len, 5);
    assert_int_equal(cp->data[0]->u.const_param.kind, TC_ACK_FLOAT);
    assert_true(cp->data[0]->u.const_param.def->u.float_lit.value == 1.5);
    assert_int_equal(cp->data[1]->u.const_param.kind, TC_ACK_BOOL);
    assert_int_equal(cp->data[3]->u.const_param.def->kind, TC_AST_UNARY);
    assert_int_equal(cp->data[4]->u.const_param.def->kind, TC_AST_BINARY);
    const TcAstNode *t = c->u.kernel.params.data[0], *u = c->u.kernel.params.data[1];
    assert_int_equal(t->u.param.flags, TC_TENSOR_INOUT | TC_TENSOR_STRIDED);
    assert_int_equal(t->u.param.type->u.type.dims.len, 2);
    assert_int_equal(t->u.param.type->u.type.dims.data[0]->kind, TC_AST_INT);
    assert_int_equal(u->u.param.flags, TC_TENSOR_OUT | TC_TENSOR_STRIDED);
    assert_int_equal(c->u.kernel.clauses.len, 2);
    assert_string_equal(c->u.kernel.clauses.data[1]->u.attr.id, "warps");
    fix_close(&f);
}

static void statement_forms(void **state)
{
    (void)state;
    Fix f;
    parse(&f,
          "kernel k() {\n"
          "  let a: f32 = 1;\n"
          "  var b: f16[4, 8] = zeros([4, 8], f16);\n"
          "  b = b;\n"
          "  b += 1; b -= 2; b *= 3; b /= 4;\n"
          "  x[0] = 5;\n"
          "  for i in range(n) {}\n"
          "  for i in range(0, n,) unroll(2) pipeline(3) { ; }\n"
          "  if c { } else if d { f(); } else { }\n"
          "  if c { }\n"
          "  { let inner = 1; }\n"
          "  ;;\n"
          "  g(x);\n"
          "}\n");
    assert_no_errors(&f);
    assert_int_equal(nstmts(&f), 14);
    const TcAstNode *s = stmt(&f, 0);
    assert_int_equal(s->kind, TC_AST_LET);
    assert_string_equal(s->u.decl.id, "a");
    assert_span(s, 2, 3, 2, 17);
    assert_int_equal(s->u.decl.id_span.col, 7);
    assert_false(s->u.decl.type->u.type.has_dims);
    s = stmt(&f, 1);
    assert_int_equal(s->kind, TC_AST_VAR);
    assert_true(s->u.decl.type->u.type.has_dims);
    assert_int_equal(s->u.decl.type->u.type.dims.data[1]->u.int_lit.value, 8);
    const TcAstOp ops[] = {TC_AOP_ASSIGN, TC_AOP_ADD, TC_AOP_SUB, TC_AOP_MUL, TC_AOP_DIV};
    for (uint32_t i = 0; i < 5; i++) {
        s = stmt(&f, 2 + i);
        assert_int_equal(s->kind, TC_AST_ASSIGN);
        assert_int_equal(s->u.assign.op, ops[i]);
        assert_int_equal(s->u.assign.target->kind, TC_AST_NAME);
    }
    assert_span(stmt(&f, 4), 5, 11, 5, 17);
    s = stmt(&f, 7);
    assert_int_equal(s->u.assign.target->kind, TC_AST_INDEX);
    s = stmt(&f, 8);
    assert_int_equal(s->kind, TC_AST_FOR);
    assert_int_equal(s->u.for_.range_args.len, 1);
    assert_int_equal(s->u.for_.attrs.len, 0);
    s = stmt(&f, 9);
    assert_int_equal(s->u.for_.range_args.len, 2);
    assert_int_equal(s->u.for_.attrs.len, 2);
    assert_string_equal(s->u.for_.attrs.data[0]->u.attr.id, "unroll");
    assert_int_equal(s->u.for_.body->u.block.stmts.len, 0);
    s = stmt(&f, 10);
    assert_int_equal(s->kind, TC_AST_IF);
    assert_int_equal(s->u.if_.else_b->kind, TC_AST_IF);
    assert_int_equal(s->u.if_.else_b->u.if_.else_b->kind, TC_AST_BLOCK);
    assert_span(s, 9, 3, 9, 38);
    assert_span(s->u.if_.else_b, 9, 17, 9, 38);
    assert_null(stmt(&f, 11)->u.if_.else_b);
    assert_int_equal(stmt(&f, 12)->kind, TC_AST_BLOCK);
    assert_int_equal(stmt(&f, 13)->kind, TC_AST_EXPR_STMT);
    fix_close(&f);
}

/* ----------------------------------------------------------- expressions */

static void precedence_and_associativity(void **state)
{
    (void)state;
    struct { const char *src, *tree; } cases[] = {
        {"a + b * c @ d",
         "binary + @1:14\n  name a @1:14\n  binary @ @1:18\n    binary * @1:18\n"
         "      name b @1:18\n      name c @1:22\n    name d @1:26\n"},
        {"c ? x : y ? z : w",
         "ternary @1:14\n  name c @1:14\n  name x @1:18\n  ternary @1:22\n"
         "    name y @1:22\n    name z @1:26\n    name w @1:30\n"},
        {"-a[0]", "unary - @1:14\n  index @1:15\n    name a @1:15\n    int 0 @1:17\n"},
        {"a - b - c",
         "binary - @1:14\n  binary - @1:14\n    name a @1:14\n    name b @1:18\n"
         "  name c @1:22\n"},
        {"a / b % c", "binary % @1:14\n  binary / @1:14\n    name a @1:14\n    name b @1:18\n"
                      "  name c @1:22\n"},
        {"(a + b) * c",
         "binary * @1:14\n  binary + @1:15\n    name a @1:15\n    name b @1:19\n"
         "  name c @1:24\n"},
        {"a || b && c", "binary || @1:14\n  name a @1:14\n  binary && @1:19\n"
                        "    name b @1:19\n    name c @1:24\n"},
        {"a | b ^ c & d", "binary | @1:14\n  name a @1:14\n  binary ^ @1:18\n"
                          "    name b @1:18\n    binary & @1:22\n      name c @1:22\n"
                          "      name d @1:26\n"},
        {"a == b < c", "binary == @1:14\n  name a @1:14\n  binary < @1:19\n"
                       "    name b @1:19\n    name c @1:23\n"},
        {"a < b << c", "binary < @1:14\n  name a @1:14\n  binary << @1:18\n"
                       "    name b @1:18\n    name c @1:23\n"},
        {"a << b + c", "binary << @1:14\n  name a @1:14\n  binary + @1:19\n"
                       "    name b @1:19\n    name c @1:23\n"},
        {"a != b >= c", "binary != @1:14\n  name a @1:14\n  binary >= @1:19\n"
                        "    name b @1:19\n    name c @1:24\n"},
        {"a > b <= c >> d", "binary <= @1:14\n  binary > @1:14\n    name a @1:14\n"
                            "    name b @1:18\n  binary >> @1:23\n    name c @1:23\n"
                            "    name d @1:28\n"},
        {"!a && ~b", "binary && @1:14\n  unary ! @1:14\n    name a @1:15\n"
                     "  unary ~ @1:20\n    name b @1:21\n"},
        {"- -a", "unary - @1:14\n  unary - @1:16\n    name a @1:17\n"},
        {"a || b ? c : d", "ternary @1:14\n  binary || @1:14\n    name a @1:14\n"
                           "    name b @1:19\n  name c @1:23\n  name d @1:27\n"},
        {"a ? b ? c : d : e", "ternary @1:14\n  name a @1:14\n  ternary @1:18\n"
                              "    name b @1:18\n    name c @1:22\n    name d @1:26\n"
                              "  name e @1:30\n"},
        {"c ? x : y + 1", "ternary @1:14\n  name c @1:14\n  name x @1:18\n  binary + @1:22\n"
                          "    name y @1:22\n    int 1 @1:26\n"},
        {"a @ b * c", "binary * @1:14\n  binary @ @1:14\n    name a @1:14\n"
                      "    name b @1:18\n  name c @1:22\n"},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        Fix f;
        const char *got = expr_tree(&f, cases[i].src);
        if (strcmp(got, cases[i].tree) != 0)
            fail_msg("%s parsed as\n%swant\n%s", cases[i].src, got, cases[i].tree);
        fix_close(&f);
    }
}

static void primaries_calls_indexing_and_lists(void **state)
{
    (void)state;
    struct { const char *src, *tree; } cases[] = {
        {"f()", "call f @1:14\n"},
        {"max(s, axis=1,)", "call max @1:14\n  name s @1:18\n  named_arg axis @1:21\n"
                            "    int 1 @1:26\n"},
        {"cast(x, f16)", "call cast @1:14\n  name x @1:19\n  dtype f16 @1:22\n"},
        {"x[:, None]", "index @1:14\n  name x @1:14\n  slice @1:16\n  none @1:19\n"},
        {"q[z, h,]", "index @1:14\n  name q @1:14\n  name z @1:16\n  name h @1:19\n"},
        {"x[0][1]", "index @1:14\n  index @1:14\n    name x @1:14\n    int 0 @1:16\n"
                    "  int 1 @1:19\n"},
        {"[]", "list @1:14\n"},
        {"[1, 2.5,]", "list @1:14\n  int 1 @1:15\n  float 2.5 @1:18\n"},
        {"[[1], [2]]", "list @1:14\n  list @1:15\n    int 1 @1:16\n  list @1:20\n"
                       "    int 2 @1:21\n"},
        {"true", "bool true @1:14\n"},
        {"false", "bool false @1:14\n"},
        {"inf", "float inf @1:14\n"},
        {"-inf", "unary - @1:14\n  float inf @1:15\n"},
        {"nan", "float nan @1:14\n"},
        {"(arange(B) + q0)[:, None]",
         "index @1:14\n  binary + @1:15\n    call arange @1:15\n      name B @1:22\n"
         "    name q0 @1:27\n  slice @1:31\n  none @1:34\n"},
        {"[a, b][0]", "index @1:14\n  list @1:14\n    name a @1:15\n    name b @1:18\n"
                      "  int 0 @1:21\n"},
        {"0x10", "int 16 @1:14\n"},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        Fix f;
        const char *got = expr_tree(&f, cases[i].src);
        if (strcmp(got, cases[i].tree) != 0)
            fail_msg("%s parsed as\n%swant\n%s", cases[i].src, got, cases[i].tree);
        fix_close(&f);
    }
}

static void expression_spans(void **state)
{
    (void)state;
    Fix f;
    parse(&f, "kernel k() {\n    let x = (a + b) *\n        f(c,\n          d[1]);\n}\n");
    assert_no_errors(&f);
    const TcAstNode *let = stmt(&f, 0);
    assert_span(let, 2, 5, 4, 16);
    const TcAstNode *mul = let->u.decl.init;
    assert_span(mul, 2, 13, 4, 15);
    assert_span(mul->u.binary.lhs, 2, 14, 2, 18);
    const TcAstNode *call = mul->u.binary.rhs;
    assert_span(call, 3, 9, 4, 15);
    assert_int_equal(call->u.call.callee_span.col, 9);
    assert_int_equal(call->u.call.callee_span.end_col, 9);
    assert_span(call->u.call.args.data[1], 4, 11, 4, 14);
    assert_span(kernel(&f, 0)->u.kernel.body, 1, 12, 5, 1);
    assert_span(f.root, 1, 1, 5, 1);
    fix_close(&f);
}

static void depth_is_computed(void **state)
{
    (void)state;
    Fix f;
    parse(&f, "kernel k() { a + b * c; }");
    assert_no_errors(&f);
    const TcAstNode *e = stmt(&f, 0)->u.expr_stmt.expr;
    assert_int_equal(e->depth, 3);
    assert_int_equal(e->u.binary.lhs->depth, 1);
    assert_int_equal(stmt(&f, 0)->depth, 4);
    assert_int_equal(kernel(&f, 0)->u.kernel.body->depth, 5);
    assert_int_equal(kernel(&f, 0)->depth, 6);
    assert_int_equal(f.root->depth, 7);
    fix_close(&f);
}

static void printed_form_is_stable(void **state)
{
    (void)state;
    Fix f;
    parse(&f, "kernel k<N: int = 4>(x: out f16[N, M], s: f32) grid(1) {\n"
              "  var acc: f32 = 0.5;\n"
              "  acc += x[0, 1];\n"
              "  for i in range(N) unroll(2) { if i < 2 { acc -= 1; } else { g(y=1); } }\n"
              "}\n");
    assert_no_errors(&f);
    assert_string_equal(print(&f, f.root),
        "file @1:1\n"
        "  kernel k @1:1\n"
        "    const_param N int @1:10\n"
        "      int 4 @1:19\n"
        "    param x out @1:22\n"
        "      type f16[N, M] @1:29\n"
        "    param s @1:40\n"
        "      type f32 @1:43\n"
        "    attr grid @1:48\n"
        "      int 1 @1:53\n"
        "    block @1:56\n"
        "      var acc @2:3\n"
        "        type f32 @2:12\n"
        "        float 0.5 @2:18\n"
        "      assign += @3:3\n"
        "        name acc @3:3\n"
        "        index @3:10\n"
        "          name x @3:10\n"
        "          int 0 @3:12\n"
        "          int 1 @3:15\n"
        "      for i @4:3\n"
        "        name N @4:18\n"
        "        attr unroll @4:21\n"
        "          int 2 @4:28\n"
        "        block @4:31\n"
        "          if @4:33\n"
        "            binary < @4:36\n"
        "              name i @4:36\n"
        "              int 2 @4:40\n"
        "            block @4:42\n"
        "              assign -= @4:44\n"
        "                name acc @4:44\n"
        "                int 1 @4:51\n"
        "            block @4:61\n"
        "              expr_stmt @4:63\n"
        "                call g @4:63\n"
        "                  named_arg y @4:65\n"
        "                    int 1 @4:67\n");
    fix_close(&f);
}

static void names_are_interned(void **state)
{
    (void)state;
    Fix f;
    parse(&f, "kernel k(abc: f32) { abc = abc + abc; }");
    assert_no_errors(&f);
    const TcAstNode *s = stmt(&f, 0);
    const char *p = kernel(&f, 0)->u.kernel.params.data[0]->u.param.id;
    assert_ptr_equal(s->u.assign.target->u.name.id, p);
    assert_ptr_equal(s->u.assign.value->u.binary.lhs->u.name.id, p);
    assert_ptr_equal(p, tc_intern(&f.strs, "abc", 3));
    fix_close(&f);
}

static void op_and_kind_names(void **state)
{
    (void)state;
    assert_string_equal(tc_ast_op_str(TC_AOP_MATMUL), "@");
    assert_string_equal(tc_ast_op_str(TC_AOP_OROR), "||");
    assert_string_equal(tc_ast_op_str(TC_AOP_BITNOT), "~");
    assert_string_equal(tc_ast_op_str(TC_AOP_ASSIGN), "=");
    assert_string_equal(tc_ast_kind_str(TC_AST_NAMED_ARG), "named_arg");
    assert_string_equal(tc_ast_kind_str(TC_AST_FILE), "file");
    for (int k = 0; k < TC_AST_KIND_COUNT; k++)
        assert_string_not_equal(tc_ast_kind_str((TcAstKind)k), "?");
    for (int op = 1; op < TC_AOP_COUNT; op++)
        assert_string_not_equal(tc_ast_op_str((TcAstOp)op), "?");
}

/* ------------------------------------------------------- syntax errors */

static void messages_name_what_was_expected(void **state)
{
    (void)state;
    struct { const char *src, *msg; uint32_t col; } cases[] = {
        {"kernel k() { let x = 1 let y = 2; }", "expected ';', found 'let'", 24},
        {"kernel k() { let x = ; }", "expected expression, found ';'", 22},
        {"kernel k() { f(a b); }", "expected ')', ',' or '=', found 'b'", 18},
        {"kernel k() { x = [1, 2; }", "expected ',' or ']', found ';'", 23},
        {"kernel k( { }", "expected identifier or ')', found '{'", 11},
        {"kernel k() { let = 1; }", "expected identifier, found '='", 18},
        {"kernel k()", "expected identifier or '{', found end of file", 11},
        {"kernel k() }", "expected identifier or '{', found '}'", 12},
        {"kernel k() { let x = 1; ", "expected statement or '}', found end of file", 25},
        {"kernel k(a: ) {}", "expected type, found ')'", 13},
        {"x", "expected 'kernel' or end of file, found 'x'", 1},
        {"kernel k<A: f16>() {}", "expected 'int', 'bool', 'float' or 'dtype', found 'f16'", 13},
        {"kernel k() { f(x)(y); }", "expected '=' or ';', found '('", 18},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        Fix f;
        parse(&f, cases[i].src);
        if (f.de.nerrors != 1)
            fail_msg("%s: %u errors", cases[i].src, f.de.nerrors);
        assert_string_equal(diag(&f, 0)->msg, cases[i].msg);
        assert_diag(&f, 0, TC_E_SYNTAX, 1, cases[i].col);
        fix_close(&f);
    }
}

static void recovery_reports_each_error_once(void **state)
{
    (void)state;
    Fix f;
    parse(&f,
          "kernel k(a: f16[M], b: out f32[M]) {\n"
          "    let x = 1 +;\n"                    /* 2:16 */
          "    let y = (2;\n"                     /* 3:15 */
          "    store(b, [0], x y);\n"             /* 4:21 */
          "    let z = 3\n"
          "    let w = 4;\n"                      /* 6:5 */
          "    for i in range(0, N { x = 1; }\n"  /* 7:25 */
          "    if a + { }\n"                      /* 8:12 */
          "    let ok = a $ 1;\n"                 /* 9:16: E1001 only */
          "    let fine = 2;\n"
          "}\n"
          "kernel k2(p: f32) grid(1 { }\n"        /* 12:26 */
          "kernel k3() { let a = 1; } }\n"        /* 13:28 */
          "kernel k4() { let b = 2; }\n");
    const struct { TcDiagCode code; uint32_t line, col; } want[] = {
        {TC_E_SYNTAX, 2, 16}, {TC_E_SYNTAX, 3, 15}, {TC_E_SYNTAX, 4, 21},
        {TC_E_SYNTAX, 6, 5},  {TC_E_SYNTAX, 7, 25}, {TC_E_SYNTAX, 8, 12},
        {TC_E_LEX_CHAR, 9, 16}, {TC_E_SYNTAX, 12, 26}, {TC_E_SYNTAX, 13, 28},
    };
    if (f.de.nerrors != TC_ARRAY_LEN(want)) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_diag_render(&f.de, TC_DIAG_TEXT, &sb);
        fail_msg("%u errors:\n%s", f.de.nerrors, sb.data);
    }
    for (uint32_t i = 0; i < TC_ARRAY_LEN(want); i++)
        assert_diag(&f, i, want[i].code, want[i].line, want[i].col);
    /* k (with ERROR statements), k3 and k4 survive; k2's header was broken */
    assert_int_equal(f.root->u.file.kernels.len, 3);
    assert_string_equal(kernel(&f, 0)->u.kernel.id, "k");
    assert_string_equal(kernel(&f, 1)->u.kernel.id, "k3");
    assert_string_equal(kernel(&f, 2)->u.kernel.id, "k4");
    const TcAstList *body = &kernel(&f, 0)->u.kernel.body->u.block.stmts;
    assert_int_equal(body->data[0]->kind, TC_AST_ERROR);
    assert_span(body->data[0], 2, 5, 2, 16);
    assert_int_equal(body->data[body->len - 1]->kind, TC_AST_LET);
    assert_string_equal(body->data[body->len - 1]->u.decl.id, "fine");
    fix_close(&f);
}

static void too_many_errors_stop_the_parse(void **state)
{
    (void)state;
    TcStrBuf src;
    tc_sb_init(&src);
    tc_sb_puts(&src, "kernel k() {\n");
    for (int i = 0; i < 500; i++) tc_sb_puts(&src, "  let = 1;\n");
    tc_sb_puts(&src, "}\n");
    Fix f;
    parse(&f, src.data);
    tc_sb_free(&src);
    assert_int_equal(f.de.nerrors, f.de.max_errors);
    assert_true(f.de.too_many);
    for (uint32_t i = 0; i < f.de.nerrors; i++) assert_diag(&f, i, TC_E_SYNTAX, 2 + i, 7);
    fix_close(&f);
}

/* --------------------------------------------------------- depth limits */

static char *repeat3(const char *pre, const char *unit, size_t n, const char *mid,
                     const char *unit2, size_t n2, const char *post)
{
    size_t len = strlen(pre) + strlen(unit) * n + strlen(mid) + strlen(unit2) * n2 +
                 strlen(post) + 1;
    char *s = malloc(len), *p = s;
    assert_non_null(s);
    p += sprintf(p, "%s", pre);
    for (size_t i = 0; i < n; i++) p += sprintf(p, "%s", unit);
    p += sprintf(p, "%s", mid);
    for (size_t i = 0; i < n2; i++) p += sprintf(p, "%s", unit2);
    sprintf(p, "%s", post);
    return s;
}

static uint32_t count_code(const Fix *f, TcDiagCode code)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->de.diags.len; i++) n += f->de.diags.data[i]->code == code;
    return n;
}

static void deep_nesting_is_one_error(void **state)
{
    (void)state;
    struct { const char *pre, *unit; size_t n; const char *mid, *unit2; const char *post; } cases[] = {
        {"kernel k() { let x = ", "-", 1000, "a", "", "; let y = 1; }"},
        {"kernel k() { let x = ", "[", 700, "", "]", "; let y = 1; }"},
        {"kernel k() { let x = ", "f(", 700, "a", ")", "; let y = 1; }"},
        {"kernel k() { ", "{", 600, "", "}", " let y = 1; }"},
        {"kernel k() { ", "if a { ", 400, "", "}", " let y = 1; }"},
        {"kernel k() { let x = ", "(", 100000, "a", ")", "; }"},
        {"kernel k() { let x = ", "a ? b : ", 100000, "c", "", "; }"},
        {"kernel k() { ", "{", 100000, "", "}", " }"},
    };
    for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
        const size_t n = cases[i].n;
        char *src = repeat3(cases[i].pre, cases[i].unit, n, cases[i].mid,
                            cases[i].unit2, *cases[i].unit2 ? n : 0, cases[i].post);
        Fix f;
        parse(&f, src);
        free(src);
        if (f.de.nerrors != 1 || count_code(&f, TC_E_SYNTAX_NESTING) != 1)
            fail_msg("case %zu: %u errors, %u E2002", i, f.de.nerrors,
                     count_code(&f, TC_E_SYNTAX_NESTING));
        assert_true(f.root->depth <= TC_AST_MAX_DEPTH);
        print(&f, f.root); /* bounded by the depth limit */
        fix_close(&f);
    }
}

static void nesting_below_the_limit_is_fine(void **state)
{
    (void)state;
    char *src = repeat3("kernel k() { let x = ", "(", 10000, "a", ")", 10000, "; }");
    Fix f;
    parse(&f, src);
    free(src);
    assert_no_errors(&f);
    assert_int_equal(stmt(&f, 0)->u.decl.init->kind, TC_AST_NAME);
    fix_close(&f);
    src = repeat3("kernel k() { let x = ", "-", 500, "a", "", 0, "; }");
    parse(&f, src);
    free(src);
    assert_no_errors(&f);
    assert_int_equal(stmt(&f, 0)->u.decl.init->depth, 501);
    fix_close(&f);
}

static void long_flat_expression_reports_depth_once(void **state)
{
    (void)state;
    /* a 200k-term a+a+...: left-associative, so the tree is 200k deep */
    char *src = repeat3("kernel k() { let x = a", "+a", 200000, "", "", 0,
                        "; let y = 1; }\nkernel k2() { }\n");
    Fix f;
    parse(&f, src);
    free(src);
    assert_int_equal(f.de.nerrors, 1);
    assert_diag(&f, 0, TC_E_SYNTAX_NESTING, 1, 22);
    assert_int_equal(f.root->u.file.kernels.len, 2);
    const TcAstNode *x = stmt(&f, 0);
    assert_int_equal(x->kind, TC_AST_LET);
    assert_int_equal(x->u.decl.init->kind, TC_AST_ERROR);
    assert_span(x->u.decl.init, 1, 22, 1, 22 + 400000);
    assert_int_equal(stmt(&f, 1)->kind, TC_AST_LET);
    fix_close(&f);

    /* wide is fine: 100k call arguments */
    src = repeat3("kernel k() { f(a", ", a", 100000, "", "", 0, "); }");
    parse(&f, src);
    free(src);
    assert_no_errors(&f);
    assert_int_equal(stmt(&f, 0)->u.expr_stmt.expr->u.call.args.len, 100001);
    fix_close(&f);
}

/* ------------------------------------------------------ malformed input */

static void truncated_kernels_return_with_errors(void **state)
{
    (void)state;
    const char *srcs[] = {gemm_src, attention_src};
    for (size_t s = 0; s < TC_ARRAY_LEN(srcs); s++) {
        size_t len = strlen(srcs[s]);
        size_t start = (size_t)(strstr(srcs[s], "kernel") - srcs[s]);
        size_t last = (size_t)(strrchr(srcs[s], '}') - srcs[s]);
        for (size_t n = 0; n < len; n++) {
            Fix f;
            parse_n(&f, srcs[s], n);
            if (n == 1 && start > 0) {
                /* a lone '/' */
                assert_int_equal(f.de.nerrors, 1);
            } else if (n <= start) {
                /* empty, or inside the leading comment */
                assert_int_equal(f.de.nerrors, 0);
                assert_int_equal(f.root->u.file.kernels.len, 0);
            } else if (n <= last) {
                /* cut inside the kernel */
                assert_true(f.de.nerrors > 0);
                assert_int_equal(f.root->u.file.kernels.len, 0);
            } else {
                assert_int_equal(f.de.nerrors, 0);
                assert_int_equal(f.root->u.file.kernels.len, 1);
            }
            fix_close(&f);
        }
    }
}

static uint64_t rng_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static void random_bytes_return_normally(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    for (int round = 0; round < 40; round++) {
        char buf[4096];
        for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)rng_next(&seed);
        Fix f;
        parse_n(&f, buf, sizeof buf);
        assert_true(f.de.nerrors > 0);
        fix_close(&f);
    }
}

static void random_token_soup_returns_normally(void **state)
{
    (void)state;
    static const char *const toks[] = {
        "kernel", "k", "(", ")", "{", "}", ";", "let", "var", "=", "1", "2.5", "+", "-",
        "*", "@", "[", "]", ",", "for", "in", "range", "if", "else", ":", "<", ">",
        "f16", "x", "?", "None", "out", "int", "dtype", "+=", "!", "inf", "grid", "\n",
    };
    uint64_t seed = 777;
    for (int round = 0; round < 60; round++) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        /* half the rounds start like a kernel so the parser goes deeper */
        if (round % 2) tc_sb_puts(&sb, "kernel k(a: f32) { ");
        for (int i = 0; i < 3000; i++) {
            tc_sb_puts(&sb, toks[rng_next(&seed) % TC_ARRAY_LEN(toks)]);
            tc_sb_putc(&sb, ' ');
        }
        Fix f;
        parse(&f, sb.data);
        tc_sb_free(&sb);
        print(&f, f.root);
        assert_true(f.root->depth <= TC_AST_MAX_DEPTH);
        fix_close(&f);
    }
}

/* ------------------------------------------------------------ examples */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void every_example_parses(void **state)
{
    (void)state;
    const char *dir = TILEC_SOURCE_DIR "/examples";
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int count = 0;
    while ((e = readdir(d)) != NULL) {
        if (!ends_with(e->d_name, ".tile")) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        Fix f;
        tc_arena_init(&f.arena);
        tc_diag_init(&f.de, &f.arena);
        tc_strtab_init(&f.strs, &f.arena);
        tc_sb_init(&f.out);
        TcSource src;
        const char *err;
        if (!tc_read_file(&f.arena, path, 1 << 24, &src, &err)) fail_msg("%s", err);
        f.file = tc_diag_add_file(&f.de, src);
        f.root = tc_parse_file(&f.arena, &f.strs, &f.de, f.file);
        if (f.de.nerrors) {
            TcStrBuf sb;
            tc_sb_init(&sb);
            tc_diag_render(&f.de, TC_DIAG_TEXT, &sb);
            fail_msg("%s:\n%s", path, sb.data);
        }
        if (f.root->u.file.kernels.len < 1) fail_msg("%s has no kernel", path);
        print(&f, f.root);
        assert_non_null(strstr(f.out.data, "  kernel "));
        fix_close(&f);
        count++;
    }
    closedir(d);
    assert_true(count >= 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gemm_header_and_body),
        cmocka_unit_test(attention_parses),
        cmocka_unit_test(empty_file_and_comment_only_file),
        cmocka_unit_test(several_kernels_and_header_forms),
        cmocka_unit_test(statement_forms),
        cmocka_unit_test(precedence_and_associativity),
        cmocka_unit_test(primaries_calls_indexing_and_lists),
        cmocka_unit_test(expression_spans),
        cmocka_unit_test(depth_is_computed),
        cmocka_unit_test(printed_form_is_stable),
        cmocka_unit_test(names_are_interned),
        cmocka_unit_test(op_and_kind_names),
        cmocka_unit_test(messages_name_what_was_expected),
        cmocka_unit_test(recovery_reports_each_error_once),
        cmocka_unit_test(too_many_errors_stop_the_parse),
        cmocka_unit_test(deep_nesting_is_one_error),
        cmocka_unit_test(nesting_below_the_limit_is_fine),
        cmocka_unit_test(long_flat_expression_reports_depth_once),
        cmocka_unit_test(truncated_kernels_return_with_errors),
        cmocka_unit_test(random_bytes_return_normally),
        cmocka_unit_test(random_token_soup_returns_normally),
        cmocka_unit_test(every_example_parses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
