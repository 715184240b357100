/*
 * ast.h — the syntax tree of a .tile file (internal to frontend/).
 *
 * Invariants:
 *  - Every node has a span covering its whole source text.
 *  - Names are interned (pointer-equal when the text is equal).
 *  - A node whose subtree had a syntax error is TC_AST_ERROR; sema skips it
 *    silently (the error was already reported).
 *  - depth is 1 + the largest depth of the node's children; the parser refuses
 *    trees deeper than TC_AST_MAX_DEPTH so later recursive walks are bounded.
 */
#ifndef TILEC_AST_H
#define TILEC_AST_H

#include "ir.h"

#define TC_AST_MAX_DEPTH 512

typedef struct TcAstNode TcAstNode;
typedef TC_VEC(TcAstNode *) TcAstList;

typedef enum TcAstKind {
    TC_AST_ERROR,      /* placeholder after a syntax error */
    /* expressions */
    TC_AST_INT,        /* u.int_lit */
    TC_AST_FLOAT,      /* u.float_lit (also inf and nan) */
    TC_AST_BOOL,       /* u.bool_lit */
    TC_AST_NAME,       /* u.name */
    TC_AST_DTYPE,      /* u.dtype: a dtype keyword used as a value (cast(x, f16)) */
    TC_AST_UNARY,      /* u.unary */
    TC_AST_BINARY,     /* u.binary (includes @) */
    TC_AST_TERNARY,    /* u.ternary */
    TC_AST_CALL,       /* u.call */
    TC_AST_INDEX,      /* u.index: tensor view q[z, h] or tile indexing x[:, None] */
    TC_AST_LIST,       /* u.list: [a, b] shapes and offsets */
    TC_AST_SLICE,      /* ':' inside an index (no fields) */
    TC_AST_NONE,       /* 'None' inside an index (no fields) */
    TC_AST_NAMED_ARG,  /* u.named_arg: axis=1 inside a call */
    /* statements */
    TC_AST_LET,        /* u.decl: let x [: T] = e; */
    TC_AST_VAR,        /* u.decl: var x [: T] = e; */
    TC_AST_ASSIGN,     /* u.assign: x = e; x += e; ... */
    TC_AST_FOR,        /* u.for_ */
    TC_AST_IF,         /* u.if_ */
    TC_AST_EXPR_STMT,  /* u.expr_stmt */
    TC_AST_BLOCK,      /* u.block: { stmts } */
    /* declarations */
    TC_AST_ATTR,       /* u.attr: pipeline(3), unroll(2), grid(a, b), warps(4) */
    TC_AST_CONST_PARAM,/* u.const_param: BM: int = 128 */
    TC_AST_PARAM,      /* u.param: a: out f16[M, K], alpha: f32 */
    TC_AST_TYPE,       /* u.type: f16, T, f16[M, K] */
    TC_AST_KERNEL,     /* u.kernel */
    TC_AST_FILE,       /* u.file */
    TC_AST_KIND_COUNT
} TcAstKind;

typedef enum TcAstOp {
    TC_AOP_NONE,
    /* binary, by precedence group */
    TC_AOP_OROR, TC_AOP_ANDAND, TC_AOP_BITOR, TC_AOP_BITXOR, TC_AOP_BITAND,
    TC_AOP_EQ, TC_AOP_NE, TC_AOP_LT, TC_AOP_LE, TC_AOP_GT, TC_AOP_GE,
    TC_AOP_SHL, TC_AOP_SHR, TC_AOP_ADD, TC_AOP_SUB,
    TC_AOP_MUL, TC_AOP_DIV, TC_AOP_REM, TC_AOP_MATMUL,
    /* unary */
    TC_AOP_NEG, TC_AOP_NOT, TC_AOP_BITNOT,
    /* assignment: TC_AOP_ASSIGN for '=', else the arithmetic op of 'op=' */
    TC_AOP_ASSIGN,
    TC_AOP_COUNT
} TcAstOp;

const char *tc_ast_op_str(TcAstOp op); /* "+", "@", "&&", "=", ... */
const char *tc_ast_kind_str(TcAstKind k);

typedef enum TcAstConstKind { TC_ACK_INT, TC_ACK_BOOL, TC_ACK_FLOAT, TC_ACK_DTYPE } TcAstConstKind;

struct TcAstNode {
    TcAstKind kind;
    uint32_t depth;
    TcSpan span;
    union {
        struct { uint64_t value; } int_lit;           /* INT: value as written (fits u64) */
        struct { double value; } float_lit;           /* FLOAT */
        struct { bool value; } bool_lit;              /* BOOL */
        struct { const char *id; } name;              /* NAME */
        struct { TcDtype dtype; } dtype;              /* DTYPE */
        struct { TcAstOp op; TcAstNode *operand; } unary;          /* UNARY */
        struct { TcAstOp op; TcAstNode *lhs, *rhs; } binary;       /* BINARY */
        struct { TcAstNode *cond, *then_e, *else_e; } ternary;     /* TERNARY */
        struct { const char *callee; TcSpan callee_span; TcAstList args; } call; /* CALL; args may hold NAMED_ARG */
        struct { TcAstNode *base; TcAstList items; } index;        /* INDEX; items: exprs, SLICE, NONE */
        struct { TcAstList items; } list;                          /* LIST */
        struct { const char *id; TcSpan id_span; TcAstNode *value; } named_arg; /* NAMED_ARG */
        struct { const char *id; TcSpan id_span; TcAstNode *type; TcAstNode *init; } decl; /* LET, VAR; type may be NULL */
        struct { TcAstOp op; TcAstNode *target, *value; } assign;  /* ASSIGN */
        struct {
            const char *var; TcSpan var_span;
            TcAstList range_args;   /* 1 to 3 expressions of range(...) */
            TcAstList attrs;        /* ATTR nodes: pipeline(n), unroll(n) */
            TcAstNode *body;        /* BLOCK */
        } for_;                                                    /* FOR */
        struct { TcAstNode *cond, *then_b, *else_b; } if_;         /* IF; else_b: BLOCK, IF or NULL */
        struct { TcAstNode *expr; } expr_stmt;                     /* EXPR_STMT */
        struct { TcAstList stmts; } block;                         /* BLOCK */
        struct { const char *id; TcSpan id_span; TcAstList args; } attr; /* ATTR */
        struct {
            const char *id; TcSpan id_span;
            TcAstConstKind kind;
            TcAstNode *def;         /* default value expression, or NULL */
        } const_param;                                             /* CONST_PARAM */
        struct {
            const char *id; TcSpan id_span;
            unsigned flags;         /* TC_TENSOR_OUT / INOUT / STRIDED */
            TcAstNode *type;        /* TYPE */
        } param;                                                   /* PARAM */
        struct {
            TcAstNode *elem;        /* DTYPE or NAME (a dtype const) */
            bool has_dims;          /* tensor type: elem[dims] */
            TcAstList dims;         /* INT or NAME nodes */
        } type;                                                    /* TYPE */
        struct {
            const char *id; TcSpan id_span;
            TcAstList const_params; /* CONST_PARAM */
            TcAstList params;       /* PARAM */
            TcAstList clauses;      /* ATTR: grid(...), warps(...) */
            TcAstNode *body;        /* BLOCK */
        } kernel;                                                  /* KERNEL */
        struct { TcAstList kernels; } file;                        /* FILE */
    } u;
};

/* Node construction (ast.c); every constructor computes depth. */
TcAstNode *tc_ast_new(TcArena *a, TcAstKind kind, TcSpan span);
/* Recomputes n->depth from its children (call after filling fields). */
void tc_ast_update_depth(TcAstNode *n);
/* Appends the tree in an indented, stable text form (--emit=ast). */
void tc_ast_print(const TcAstNode *n, TcStrBuf *out);

#endif
