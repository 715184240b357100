/*
 * signature.c — the text that travels with a compiled kernel so the runtime
 * can check launches and compute the grid without a compiler
 * (format: include/tilec_runtime.h).
 *
 * Invariant: the grid program computes, over 64-bit integers wrapped to each
 * op's dtype, exactly what the kernel's grid block computes in Tile IR.
 */
#include "codegen.h"
#include "tilec_runtime.h"

#include <string.h>

/* The shape of one axis program as it is appended: its token count and the
 * evaluation stack's height, now and at most (checked against the runtime's
 * TILEC_SIG_MAX_GRID_* limits once the axis is complete). */
typedef struct GridProg {
    uint32_t tokens;
    uint32_t height, max_height;
} GridProg;

/* Accounts for one token that pops `pops` values and pushes one. */
static void grid_token(GridProg *g, uint32_t pops)
{
    g->tokens++;
    g->height = g->height - pops + 1;
    if (g->height > g->max_height) g->max_height = g->height;
}

static const char *access_name(unsigned flags)
{
    if (flags & TC_TENSOR_INOUT) return "inout";
    if (flags & TC_TENSOR_OUT) return "out";
    return "in";
}

/* Appends the postfix program computing v; false if v is not integer grid
 * arithmetic. depth bounds the recursion (grid expressions are small). */
static bool grid_expr(const TcIrFunc *f, const TcIrValue *v, TcStrBuf *out, GridProg *g, TcDiagEngine *de,
                      int depth)
{
    if (depth > 256) {
        tc_error(de, TC_E_GRID, f->loc, "the grid of kernel '%s' is too deeply nested", f->name);
        return false;
    }
    const TcType *t = v->type;
    if (t->kind != TC_TY_SCALAR || tc_dtype_is_float(t->dtype)) {
        tc_error(de, TC_E_GRID, v->def ? v->def->loc : f->loc,
                 "the grid of kernel '%s' must be integer arithmetic on sizes, integer scalars and constants",
                 f->name);
        return false;
    }
    if (!v->def) {
        if (v->block != f->body) goto unsupported;
        if (v->index < f->nparams) tc_sb_printf(out, " p:%u", v->index);
        else tc_sb_printf(out, " s:%u", v->index - f->nparams);
        grid_token(g, 0);
        return true;
    }
    const TcIrOp *op = v->def;
    if (op->opc == TC_OP_CONST) {
        TcScalar c = tc_scalar_normalize(t->dtype, (TcScalar){.i = op->ival});
        tc_sb_printf(out, " c:%lld", (long long)c.i);
        grid_token(g, 0);
        return true;
    }
    const TcOpInfo *info = tc_op_info(op->opc);
    switch (op->opc) {
    case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL: case TC_OP_DIV: case TC_OP_REM:
    case TC_OP_MAX: case TC_OP_MIN: case TC_OP_AND: case TC_OP_OR: case TC_OP_XOR:
    case TC_OP_SHL: case TC_OP_SHR: case TC_OP_EQ: case TC_OP_NE: case TC_OP_LT:
    case TC_OP_LE: case TC_OP_GT: case TC_OP_GE: case TC_OP_NEG: case TC_OP_NOT:
        for (uint32_t i = 0; i < op->noperands; i++)
            if (!grid_expr(f, op->operands[i], out, g, de, depth + 1)) return false;
        tc_sb_printf(out, " %s:%s", info->name, tc_dtype_name(op->operands[0]->type->dtype));
        grid_token(g, op->noperands);
        return true;
    case TC_OP_SELECT:
        for (uint32_t i = 0; i < 3; i++)
            if (!grid_expr(f, op->operands[i], out, g, de, depth + 1)) return false;
        tc_sb_puts(out, " select");
        grid_token(g, 3);
        return true;
    case TC_OP_CAST:
        if (!grid_expr(f, op->operands[0], out, g, de, depth + 1)) return false;
        tc_sb_printf(out, " cast:%s", tc_dtype_name(t->dtype));
        grid_token(g, 1);
        return true;
    default:
        break;
    }
unsupported:
    tc_error(de, TC_E_GRID, v->def ? v->def->loc : f->loc,
             "the grid of kernel '%s' uses '%s', which the runtime cannot evaluate", f->name,
             v->def ? tc_op_info(v->def->opc)->name : "a value");
    return false;
}

/* Refuses (E5004) a kernel whose signature the runtime would not load: the
 * runtime keeps signatures in fixed-size tables (TILEC_SIG_MAX_*), so the
 * compiler checks them here rather than let a load fail later. */
static bool within_runtime_limits(const TcIrFunc *f, const char *text, TcDiagEngine *de)
{
    bool ok = true;
    struct { const char *what; uint32_t n, limit; } counts[] = {
        {"parameters", f->nparams, TILEC_SIG_MAX_PARAMS},
        {"size names", f->nsizes, TILEC_SIG_MAX_SIZES},
        {"const parameters", f->consts.len, TILEC_SIG_MAX_CONSTS},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if (counts[i].n > counts[i].limit) {
            TcDiag *d = tc_error(de, TC_E_LIMIT, f->loc, "kernel '%s' has %u %s; the runtime loads kernels with at "
                                 "most %u", f->name, counts[i].n, counts[i].what, counts[i].limit);
            tc_diag_amounts(d, counts[i].n, counts[i].limit);
            ok = false;
        }
    }
    /* Names (the kernel's, params', sizes', consts') are the only fields
     * that can be long; the scanner keeps identifiers within
     * TILEC_SIG_MAX_NAME, Tile IR text need not. Lines: a rank-8 param with
     * long size names or an axis of many wide constants can be long too. */
    for (const char *line = text; ok && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len > TILEC_SIG_MAX_LINE) {
            tc_error(de, TC_E_LIMIT, f->loc,
                     "the signature of kernel '%.64s' has a line of %zu characters ('%.24s...'); the runtime reads "
                     "lines of at most %d",
                     f->name, len, line, TILEC_SIG_MAX_LINE);
            ok = false;
        }
        for (size_t at = 0; ok && at < len;) {
            size_t n = strcspn(line + at, " \n");
            if (n > TILEC_SIG_MAX_NAME) {
                tc_error(de, TC_E_LIMIT, f->loc, "the name '%.32s...' in kernel '%.64s' has %zu characters; the "
                         "runtime loads names of at most %d",
                         line + at, f->name, n, TILEC_SIG_MAX_NAME);
                ok = false;
            }
            at += n + 1;
        }
        line = nl ? nl + 1 : line + len;
    }
    return ok;
}

bool tc_signature_emit(const TcIrFunc *f, uint64_t scratch_bytes, TcStrBuf *out, TcDiagEngine *de)
{
    size_t start = out->len;
    tc_sb_printf(out, "tilec-signature 1\nkernel %s\nwarps %d\nscratch %llu\n", f->name, f->warps,
                 (unsigned long long)scratch_bytes);
    if (f->smem_bytes) tc_sb_printf(out, "smem %llu\n", (unsigned long long)f->smem_bytes);
    for (uint32_t i = 0; i < f->consts.len; i++) {
        const TcIrConst *c = &f->consts.data[i];
        switch (c->kind) {
        case TC_CONST_INT: tc_sb_printf(out, "const %s int %lld\n", c->name, (long long)c->ival); break;
        case TC_CONST_BOOL: tc_sb_printf(out, "const %s bool %s\n", c->name, c->ival ? "true" : "false"); break;
        case TC_CONST_FLOAT:
            tc_sb_printf(out, "const %s float ", c->name);
            tc_sb_double(out, c->fval);
            tc_sb_putc(out, '\n');
            break;
        case TC_CONST_DTYPE: tc_sb_printf(out, "const %s dtype %s\n", c->name, tc_dtype_name(c->dtype)); break;
        }
    }
    for (uint32_t i = 0; i < f->nparams; i++) {
        const TcIrValue *p = tc_ir_func_param(f, i);
        const TcType *t = p->type;
        const char *name = p->name ? p->name : "arg";
        if (t->kind == TC_TY_TENSOR) {
            tc_sb_printf(out, "param %s tensor %s %s%s %u", name, tc_dtype_name(t->dtype), access_name(t->flags),
                         t->flags & TC_TENSOR_STRIDED ? ",strided" : "", t->rank);
            for (uint32_t d = 0; d < t->rank; d++) {
                if (t->dims[d].sym) tc_sb_printf(out, " %s", t->dims[d].sym);
                else tc_sb_printf(out, " %lld", (long long)t->dims[d].value);
            }
            tc_sb_putc(out, '\n');
        } else {
            tc_sb_printf(out, "param %s scalar %s\n", name, tc_dtype_name(t->dtype));
        }
    }
    for (uint32_t k = 0; k < f->nsizes; k++) tc_sb_printf(out, "size %s\n", tc_ir_func_size(f, k)->name);
    const TcIrOp *y = tc_ir_block_terminator(f->grid);
    if (!y || y->noperands < 1 || y->noperands > 3) {
        tc_error(de, TC_E_GRID, f->loc, "kernel '%s' has no grid", f->name);
        return false;
    }
    tc_sb_printf(out, "grid %u\n", y->noperands);
    for (uint32_t a = 0; a < y->noperands; a++) {
        tc_sb_puts(out, "axis");
        GridProg g = {0};
        if (!grid_expr(f, y->operands[a], out, &g, de, 0)) return false;
        tc_sb_putc(out, '\n');
        if (g.tokens > TILEC_SIG_MAX_GRID_TOKENS || g.max_height > TILEC_SIG_MAX_GRID_STACK) {
            tc_error(de, TC_E_LIMIT, y->operands[a]->def ? y->operands[a]->def->loc : f->loc,
                     "grid axis %u of kernel '%s' is a program of %u tokens needing a stack of %u; the runtime "
                     "evaluates at most %d tokens with a stack of %d",
                     a, f->name, g.tokens, g.max_height, TILEC_SIG_MAX_GRID_TOKENS, TILEC_SIG_MAX_GRID_STACK);
            return false;
        }
    }
    tc_sb_puts(out, "end\n");
    return within_runtime_limits(f, out->data + start, de);
}
