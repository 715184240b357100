/*
 * ast.c — syntax tree nodes: construction, depth, names of kinds and
 * operators, and the stable text form printed by --emit=ast.
 *
 * Text form: one node per line, indented two spaces per level, children in
 * field order:
 *     KIND [key fields] @LINE:COL
 * e.g. `binary + @3:13`, `call load @4:9`, `param c out @1:40`,
 * `type f16[M, K] @1:12` (a type prints its element and dims on its line).
 *
 * Invariants:
 *  - A node's depth is 1 + the largest depth of its children (ERROR and
 *    leaves: 1); the parser keeps it at most TC_AST_MAX_DEPTH.
 *  - Printing recurses at most TC_AST_MAX_DEPTH + 8 levels whatever tree it
 *    is given; deeper subtrees print as "...".
 */
#include "ast.h"

#include <string.h>

TcAstNode *tc_ast_new(TcArena *a, TcAstKind kind, TcSpan span)
{
    TcAstNode *n = tc_arena_alloc(a, sizeof *n);
    n->kind = kind;
    n->span = span;
    n->depth = 1;
    return n;
}

static uint32_t depth_of(const TcAstNode *n, uint32_t d)
{
    return n && n->depth > d ? n->depth : d;
}

static uint32_t depth_of_list(const TcAstList *l, uint32_t d)
{
    for (uint32_t i = 0; i < l->len; i++) d = depth_of(l->data[i], d);
    return d;
}

void tc_ast_update_depth(TcAstNode *n)
{
    uint32_t d = 0;
    switch (n->kind) {
    case TC_AST_UNARY: d = depth_of(n->u.unary.operand, d); break;
    case TC_AST_BINARY:
        d = depth_of(n->u.binary.lhs, d);
        d = depth_of(n->u.binary.rhs, d);
        break;
    case TC_AST_TERNARY:
        d = depth_of(n->u.ternary.cond, d);
        d = depth_of(n->u.ternary.then_e, d);
        d = depth_of(n->u.ternary.else_e, d);
        break;
    case TC_AST_CALL: d = depth_of_list(&n->u.call.args, d); break;
    case TC_AST_INDEX:
        d = depth_of(n->u.index.base, d);
        d = depth_of_list(&n->u.index.items, d);
        break;
    case TC_AST_LIST: d = depth_of_list(&n->u.list.items, d); break;
    case TC_AST_NAMED_ARG: d = depth_of(n->u.named_arg.value, d); break;
    case TC_AST_LET:
    case TC_AST_VAR:
        d = depth_of(n->u.decl.type, d);
        d = depth_of(n->u.decl.init, d);
        break;
    case TC_AST_ASSIGN:
        d = depth_of(n->u.assign.target, d);
        d = depth_of(n->u.assign.value, d);
        break;
    case TC_AST_FOR:
        d = depth_of_list(&n->u.for_.range_args, d);
        d = depth_of_list(&n->u.for_.attrs, d);
        d = depth_of(n->u.for_.body, d);
        break;
    case TC_AST_IF:
        d = depth_of(n->u.if_.cond, d);
        d = depth_of(n->u.if_.then_b, d);
        d = depth_of(n->u.if_.else_b, d);
        break;
    case TC_AST_EXPR_STMT: d = depth_of(n->u.expr_stmt.expr, d); break;
    case TC_AST_BLOCK: d = depth_of_list(&n->u.block.stmts, d); break;
    case TC_AST_ATTR: d = depth_of_list(&n->u.attr.args, d); break;
    case TC_AST_CONST_PARAM: d = depth_of(n->u.const_param.def, d); break;
    case TC_AST_PARAM: d = depth_of(n->u.param.type, d); break;
    case TC_AST_TYPE:
        d = depth_of(n->u.type.elem, d);
        d = depth_of_list(&n->u.type.dims, d);
        break;
    case TC_AST_KERNEL:
        d = depth_of_list(&n->u.kernel.const_params, d);
        d = depth_of_list(&n->u.kernel.params, d);
        d = depth_of_list(&n->u.kernel.clauses, d);
        d = depth_of(n->u.kernel.body, d);
        break;
    case TC_AST_FILE: d = depth_of_list(&n->u.file.kernels, d); break;
    case TC_AST_ERROR:
    case TC_AST_INT:
    case TC_AST_FLOAT:
    case TC_AST_BOOL:
    case TC_AST_NAME:
    case TC_AST_DTYPE:
    case TC_AST_SLICE:
    case TC_AST_NONE:
    case TC_AST_KIND_COUNT:
        break;
    }
    n->depth = d == UINT32_MAX ? d : d + 1;
}

const char *tc_ast_op_str(TcAstOp op)
{
    static const char *const names[TC_AOP_COUNT] = {
        [TC_AOP_NONE] = "",
        [TC_AOP_OROR] = "||", [TC_AOP_ANDAND] = "&&", [TC_AOP_BITOR] = "|",
        [TC_AOP_BITXOR] = "^", [TC_AOP_BITAND] = "&",
        [TC_AOP_EQ] = "==", [TC_AOP_NE] = "!=", [TC_AOP_LT] = "<", [TC_AOP_LE] = "<=",
        [TC_AOP_GT] = ">", [TC_AOP_GE] = ">=",
        [TC_AOP_SHL] = "<<", [TC_AOP_SHR] = ">>", [TC_AOP_ADD] = "+", [TC_AOP_SUB] = "-",
        [TC_AOP_MUL] = "*", [TC_AOP_DIV] = "/", [TC_AOP_REM] = "%", [TC_AOP_MATMUL] = "@",
        [TC_AOP_NEG] = "-", [TC_AOP_NOT] = "!", [TC_AOP_BITNOT] = "~",
        [TC_AOP_ASSIGN] = "=",
    };
    return (unsigned)op < TC_AOP_COUNT && names[op] ? names[op] : "?";
}

const char *tc_ast_kind_str(TcAstKind k)
{
    static const char *const names[TC_AST_KIND_COUNT] = {
        [TC_AST_ERROR] = "error",
        [TC_AST_INT] = "int",
        [TC_AST_FLOAT] = "float",
        [TC_AST_BOOL] = "bool",
        [TC_AST_NAME] = "name",
        [TC_AST_DTYPE] = "dtype",
        [TC_AST_UNARY] = "unary",
        [TC_AST_BINARY] = "binary",
        [TC_AST_TERNARY] = "ternary",
        [TC_AST_CALL] = "call",
        [TC_AST_INDEX] = "index",
        [TC_AST_LIST] = "list",
        [TC_AST_SLICE] = "slice",
        [TC_AST_NONE] = "none",
        [TC_AST_NAMED_ARG] = "named_arg",
        [TC_AST_LET] = "let",
        [TC_AST_VAR] = "var",
        [TC_AST_ASSIGN] = "assign",
        [TC_AST_FOR] = "for",
        [TC_AST_IF] = "if",
        [TC_AST_EXPR_STMT] = "expr_stmt",
        [TC_AST_BLOCK] = "block",
        [TC_AST_ATTR] = "attr",
        [TC_AST_CONST_PARAM] = "const_param",
        [TC_AST_PARAM] = "param",
        [TC_AST_TYPE] = "type",
        [TC_AST_KERNEL] = "kernel",
        [TC_AST_FILE] = "file",
    };
    return (unsigned)k < TC_AST_KIND_COUNT && names[k] ? names[k] : "?";
}

/* ------------------------------------------------------------- printing */

#define PRINT_MAX_LEVEL (TC_AST_MAX_DEPTH + 8)

static void print_node(const TcAstNode *n, TcStrBuf *out, uint32_t level);

static void print_list(const TcAstList *l, TcStrBuf *out, uint32_t level)
{
    for (uint32_t i = 0; i < l->len; i++) print_node(l->data[i], out, level);
}

/* A leaf of a type (element or dim) in source form. */
static void print_type_leaf(const TcAstNode *n, TcStrBuf *out)
{
    if (!n) {
        tc_sb_puts(out, "?");
        return;
    }
    switch (n->kind) {
    case TC_AST_DTYPE: tc_sb_puts(out, tc_dtype_name(n->u.dtype.dtype)); break;
    case TC_AST_NAME: tc_sb_puts(out, n->u.name.id ? n->u.name.id : "?"); break;
    case TC_AST_INT: tc_sb_printf(out, "%llu", (unsigned long long)n->u.int_lit.value); break;
    default: tc_sb_puts(out, tc_ast_kind_str(n->kind)); break;
    }
}

static const char *const_kind_str(TcAstConstKind k)
{
    switch (k) {
    case TC_ACK_INT: return "int";
    case TC_ACK_BOOL: return "bool";
    case TC_ACK_FLOAT: return "float";
    case TC_ACK_DTYPE: return "dtype";
    }
    return "?";
}

static const char *id_or(const char *id)
{
    return id ? id : "?";
}

static void print_node(const TcAstNode *n, TcStrBuf *out, uint32_t level)
{
    if (!n) return;
    for (uint32_t i = 0; i < level; i++) tc_sb_puts(out, "  ");
    if (level >= PRINT_MAX_LEVEL) {
        tc_sb_puts(out, "...\n");
        return;
    }
    tc_sb_puts(out, tc_ast_kind_str(n->kind));
    uint32_t c = level + 1;
    switch (n->kind) {
    case TC_AST_INT:
        tc_sb_printf(out, " %llu", (unsigned long long)n->u.int_lit.value);
        break;
    case TC_AST_FLOAT:
        tc_sb_putc(out, ' ');
        tc_sb_double(out, n->u.float_lit.value);
        break;
    case TC_AST_BOOL: tc_sb_puts(out, n->u.bool_lit.value ? " true" : " false"); break;
    case TC_AST_NAME: tc_sb_printf(out, " %s", id_or(n->u.name.id)); break;
    case TC_AST_DTYPE: tc_sb_printf(out, " %s", tc_dtype_name(n->u.dtype.dtype)); break;
    case TC_AST_UNARY:
    case TC_AST_BINARY:
        tc_sb_printf(out, " %s", tc_ast_op_str(n->kind == TC_AST_UNARY ? n->u.unary.op
                                                                      : n->u.binary.op));
        break;
    case TC_AST_CALL: tc_sb_printf(out, " %s", id_or(n->u.call.callee)); break;
    case TC_AST_NAMED_ARG: tc_sb_printf(out, " %s", id_or(n->u.named_arg.id)); break;
    case TC_AST_LET:
    case TC_AST_VAR: tc_sb_printf(out, " %s", id_or(n->u.decl.id)); break;
    case TC_AST_ASSIGN:
        if (n->u.assign.op == TC_AOP_ASSIGN) tc_sb_puts(out, " =");
        else tc_sb_printf(out, " %s=", tc_ast_op_str(n->u.assign.op));
        break;
    case TC_AST_FOR: tc_sb_printf(out, " %s", id_or(n->u.for_.var)); break;
    case TC_AST_ATTR: tc_sb_printf(out, " %s", id_or(n->u.attr.id)); break;
    case TC_AST_CONST_PARAM:
        tc_sb_printf(out, " %s %s", id_or(n->u.const_param.id),
                     const_kind_str(n->u.const_param.kind));
        break;
    case TC_AST_PARAM:
        tc_sb_printf(out, " %s", id_or(n->u.param.id));
        if (n->u.param.flags & TC_TENSOR_OUT) tc_sb_puts(out, " out");
        if (n->u.param.flags & TC_TENSOR_INOUT) tc_sb_puts(out, " inout");
        if (n->u.param.flags & TC_TENSOR_STRIDED) tc_sb_puts(out, " strided");
        break;
    case TC_AST_TYPE:
        tc_sb_putc(out, ' ');
        print_type_leaf(n->u.type.elem, out);
        if (n->u.type.has_dims) {
            tc_sb_putc(out, '[');
            for (uint32_t i = 0; i < n->u.type.dims.len; i++) {
                if (i) tc_sb_puts(out, ", ");
                print_type_leaf(n->u.type.dims.data[i], out);
            }
            tc_sb_putc(out, ']');
        }
        break;
    case TC_AST_KERNEL: tc_sb_printf(out, " %s", id_or(n->u.kernel.id)); break;
    default: break;
    }
    tc_sb_printf(out, " @%u:%u\n", n->span.line, n->span.col);

    switch (n->kind) {
    case TC_AST_UNARY: print_node(n->u.unary.operand, out, c); break;
    case TC_AST_BINARY:
        print_node(n->u.binary.lhs, out, c);
        print_node(n->u.binary.rhs, out, c);
        break;
    case TC_AST_TERNARY:
        print_node(n->u.ternary.cond, out, c);
        print_node(n->u.ternary.then_e, out, c);
        print_node(n->u.ternary.else_e, out, c);
        break;
    case TC_AST_CALL: print_list(&n->u.call.args, out, c); break;
    case TC_AST_INDEX:
        print_node(n->u.index.base, out, c);
        print_list(&n->u.index.items, out, c);
        break;
    case TC_AST_LIST: print_list(&n->u.list.items, out, c); break;
    case TC_AST_NAMED_ARG: print_node(n->u.named_arg.value, out, c); break;
    case TC_AST_LET:
    case TC_AST_VAR:
        print_node(n->u.decl.type, out, c);
        print_node(n->u.decl.init, out, c);
        break;
    case TC_AST_ASSIGN:
        print_node(n->u.assign.target, out, c);
        print_node(n->u.assign.value, out, c);
        break;
    case TC_AST_FOR:
        print_list(&n->u.for_.range_args, out, c);
        print_list(&n->u.for_.attrs, out, c);
        print_node(n->u.for_.body, out, c);
        break;
    case TC_AST_IF:
        print_node(n->u.if_.cond, out, c);
        print_node(n->u.if_.then_b, out, c);
        print_node(n->u.if_.else_b, out, c);
        break;
    case TC_AST_EXPR_STMT: print_node(n->u.expr_stmt.expr, out, c); break;
    case TC_AST_BLOCK: print_list(&n->u.block.stmts, out, c); break;
    case TC_AST_ATTR: print_list(&n->u.attr.args, out, c); break;
    case TC_AST_CONST_PARAM: print_node(n->u.const_param.def, out, c); break;
    case TC_AST_PARAM: print_node(n->u.param.type, out, c); break;
    case TC_AST_KERNEL:
        print_list(&n->u.kernel.const_params, out, c);
        print_list(&n->u.kernel.params, out, c);
        print_list(&n->u.kernel.clauses, out, c);
        print_node(n->u.kernel.body, out, c);
        break;
    case TC_AST_FILE: print_list(&n->u.file.kernels, out, c); break;
    default: break;
    }
}

void tc_ast_print(const TcAstNode *n, TcStrBuf *out)
{
    print_node(n, out, 0);
}
