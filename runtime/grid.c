/*
 * grid.c — the postfix integer programs of a signature's `axis` lines:
 * parsing of tokens, validation at load time, evaluation at launch time.
 *
 * Semantics are Tile IR's on scalars (docs/ir.md): every value is an int64
 * holding a value already wrapped to its dtype (sign-extended for signed
 * dtypes, zero-extended for unsigned ones, 0/1 for bool); an op first wraps
 * its operands into its dtype, computes, and wraps the result. Division and
 * remainder truncate, x/0 = x%0 = 0, INT_MIN/-1 = INT_MIN, INT_MIN%-1 = 0;
 * shifts by an amount outside [0, width) give 0, or -1 for shr of a negative
 * signed value; comparisons are unsigned for u* dtypes and give 0/1.
 *
 * Invariant: rt_grid_eval only runs programs that rt_grid_validate accepted,
 * so it has no error path (the stack can neither underflow nor overflow).
 */
#include "signature.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[RT_GOP_COUNT] = {
    [RT_GOP_CONST] = "c", [RT_GOP_SIZE] = "s", [RT_GOP_PARAM] = "p",
    [RT_GOP_ADD] = "add", [RT_GOP_SUB] = "sub", [RT_GOP_MUL] = "mul", [RT_GOP_DIV] = "div",
    [RT_GOP_REM] = "rem", [RT_GOP_MAX] = "max", [RT_GOP_MIN] = "min", [RT_GOP_AND] = "and",
    [RT_GOP_OR] = "or", [RT_GOP_XOR] = "xor", [RT_GOP_SHL] = "shl", [RT_GOP_SHR] = "shr",
    [RT_GOP_EQ] = "eq", [RT_GOP_NE] = "ne", [RT_GOP_LT] = "lt", [RT_GOP_LE] = "le",
    [RT_GOP_GT] = "gt", [RT_GOP_GE] = "ge", [RT_GOP_NEG] = "neg", [RT_GOP_NOT] = "not",
    [RT_GOP_SELECT] = "select", [RT_GOP_CAST] = "cast",
};

/* Operands each op pops. */
static int op_arity(int32_t op)
{
    switch (op) {
    case RT_GOP_CONST: case RT_GOP_SIZE: case RT_GOP_PARAM: return 0;
    case RT_GOP_NEG: case RT_GOP_NOT: case RT_GOP_CAST: return 1;
    case RT_GOP_SELECT: return 3;
    default: return 2;
    }
}

static bool is_unsigned(int32_t dt) { return dt >= TILEC_U8 && dt <= TILEC_U64; }

static unsigned dtype_bits(int32_t dt)
{
    switch (dt) {
    case TILEC_BOOL: return 1;
    case TILEC_I8: case TILEC_U8: return 8;
    case TILEC_I16: case TILEC_U16: return 16;
    case TILEC_I32: case TILEC_U32: return 32;
    default: return 64;
    }
}

int64_t rt_wrap(int32_t dtype, int64_t v)
{
    switch (dtype) {
    case TILEC_BOOL: return v != 0;
    case TILEC_I8: return (int8_t)(uint8_t)(uint64_t)v;
    case TILEC_I16: return (int16_t)(uint16_t)(uint64_t)v;
    case TILEC_I32: return (int32_t)(uint32_t)(uint64_t)v;
    case TILEC_U8: return (uint8_t)(uint64_t)v;
    case TILEC_U16: return (uint16_t)(uint64_t)v;
    case TILEC_U32: return (uint32_t)(uint64_t)v;
    default: return v;
    }
}

int32_t rt_dtype_from_name(const char *s)
{
    for (int32_t d = 0; d < TILEC_DTYPE_COUNT; d++)
        if (strcmp(s, tilec_dtype_name(d)) == 0) return d;
    return -1;
}

/* Parses a decimal int64 that is all of s: an optional '-', then digits. */
static bool parse_int64(const char *s, int64_t *out)
{
    const char *d = s[0] == '-' ? s + 1 : s;
    if (*d < '0' || *d > '9') return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = (int64_t)v;
    return true;
}

bool rt_grid_parse_token(const char *tok, rt_grid_token *out, char *err, size_t errcap)
{
    const char *colon = strchr(tok, ':');
    if (colon == NULL && strcmp(tok, "select") == 0) { /* operands already of one dtype */
        out->op = RT_GOP_SELECT;
        out->dtype = TILEC_I64;
        out->value = 0;
        return true;
    }
    if (colon == NULL) {
        snprintf(err, errcap, "grid token '%s' has no ':'", tok);
        return false;
    }
    size_t oplen = (size_t)(colon - tok);
    const char *arg = colon + 1;
    int32_t op = -1;
    for (int32_t o = 0; o < RT_GOP_COUNT; o++)
        if (strlen(op_names[o]) == oplen && strncmp(op_names[o], tok, oplen) == 0) op = o;
    if (op < 0) {
        snprintf(err, errcap, "unknown grid op '%.*s' in '%s'", (int)oplen, tok, tok);
        return false;
    }
    out->op = op;
    out->dtype = TILEC_I64;
    out->value = 0;
    if (op == RT_GOP_CONST || op == RT_GOP_SIZE || op == RT_GOP_PARAM) {
        int64_t v;
        if (!parse_int64(arg, &v)) {
            snprintf(err, errcap, "grid token '%s': '%s' is not a 64-bit integer", tok, arg);
            return false;
        }
        if (op != RT_GOP_CONST && v < 0) {
            snprintf(err, errcap, "grid token '%s': negative index", tok);
            return false;
        }
        out->value = v;
        return true;
    }
    int32_t dt = rt_dtype_from_name(arg);
    if (dt < 0 || dt >= TILEC_F16) {
        snprintf(err, errcap, "grid token '%s': '%s' is not an integer or bool dtype", tok, arg);
        return false;
    }
    bool arith = op == RT_GOP_ADD || op == RT_GOP_SUB || op == RT_GOP_MUL || op == RT_GOP_DIV ||
                 op == RT_GOP_REM || op == RT_GOP_MAX || op == RT_GOP_MIN || op == RT_GOP_NEG ||
                 op == RT_GOP_SHL || op == RT_GOP_SHR;
    if (arith && dt == TILEC_BOOL) {
        snprintf(err, errcap, "grid token '%s': '%s' does not apply to bool", tok, op_names[op]);
        return false;
    }
    out->dtype = dt;
    return true;
}

bool rt_grid_validate(const rt_grid_program *p, const rt_signature *sig, char *err, size_t errcap)
{
    int depth = 0;
    for (int32_t i = 0; i < p->ntokens; i++) {
        const rt_grid_token *t = &p->tokens[i];
        if (t->op == RT_GOP_SIZE && t->value >= sig->nsizes) {
            snprintf(err, errcap, "grid token %d: size %lld does not exist (%d sizes)", (int)i + 1,
                     (long long)t->value, (int)sig->nsizes);
            return false;
        }
        if (t->op == RT_GOP_PARAM) {
            if (t->value >= sig->nparams) {
                snprintf(err, errcap, "grid token %d: param %lld does not exist (%d params)", (int)i + 1,
                         (long long)t->value, (int)sig->nparams);
                return false;
            }
            if (sig->params[t->value].kind != TILEC_ARG_INT) {
                snprintf(err, errcap, "grid token %d: param %lld ('%s') is not an integer or bool scalar",
                         (int)i + 1, (long long)t->value, sig->params[t->value].name);
                return false;
            }
        }
        int n = op_arity(t->op);
        if (depth < n) {
            snprintf(err, errcap, "grid token %d ('%s') needs %d operands but the stack holds %d", (int)i + 1,
                     op_names[t->op], n, depth);
            return false;
        }
        depth = depth - n + 1;
        if (depth > RT_GRID_MAX_STACK) {
            snprintf(err, errcap, "grid program deeper than %d", RT_GRID_MAX_STACK);
            return false;
        }
    }
    if (depth != 1) {
        snprintf(err, errcap, "grid program leaves %d values instead of 1", depth);
        return false;
    }
    return true;
}

static int64_t shift(int32_t op, int32_t dt, int64_t a, int64_t amt)
{
    unsigned bits = dtype_bits(dt);
    bool sgn = !is_unsigned(dt);
    if (amt < 0 || (uint64_t)amt >= bits) {
        if (op == RT_GOP_SHL || !sgn) return 0;
        return a < 0 ? -1 : 0;
    }
    if (op == RT_GOP_SHL) return (int64_t)((uint64_t)a << amt);
    if (sgn) return a < 0 ? ~(int64_t)(~(uint64_t)a >> amt) : (int64_t)((uint64_t)a >> amt);
    return (int64_t)((uint64_t)a >> amt);
}

/* One binary op on operands already wrapped to dt; the result is not yet wrapped. */
static int64_t binary(int32_t op, int32_t dt, int64_t a, int64_t b)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    bool uns = is_unsigned(dt) || dt == TILEC_BOOL;
    switch (op) {
    case RT_GOP_ADD: return (int64_t)(ua + ub);
    case RT_GOP_SUB: return (int64_t)(ua - ub);
    case RT_GOP_MUL: return (int64_t)(ua * ub);
    case RT_GOP_DIV:
    case RT_GOP_REM:
        if (b == 0) return 0;
        if (uns) return (int64_t)(op == RT_GOP_DIV ? ua / ub : ua % ub);
        if (a == INT64_MIN && b == -1) return op == RT_GOP_DIV ? a : 0;
        return op == RT_GOP_DIV ? a / b : a % b;
    case RT_GOP_MAX: return uns ? (ua > ub ? a : b) : (a > b ? a : b);
    case RT_GOP_MIN: return uns ? (ua < ub ? a : b) : (a < b ? a : b);
    case RT_GOP_AND: return a & b;
    case RT_GOP_OR: return a | b;
    case RT_GOP_XOR: return a ^ b;
    case RT_GOP_SHL:
    case RT_GOP_SHR: return shift(op, dt, a, b);
    case RT_GOP_EQ: return a == b;
    case RT_GOP_NE: return a != b;
    case RT_GOP_LT: return uns ? ua < ub : a < b;
    case RT_GOP_LE: return uns ? ua <= ub : a <= b;
    case RT_GOP_GT: return uns ? ua > ub : a > b;
    case RT_GOP_GE: return uns ? ua >= ub : a >= b;
    default: return 0;
    }
}

int64_t rt_grid_eval(const rt_grid_program *p, const int64_t *sizes, const int64_t *scalars)
{
    int64_t st[RT_GRID_MAX_STACK];
    int sp = 0;
    for (int32_t i = 0; i < p->ntokens; i++) {
        const rt_grid_token *t = &p->tokens[i];
        int32_t dt = t->dtype;
        switch (t->op) {
        case RT_GOP_CONST: st[sp++] = t->value; break;
        case RT_GOP_SIZE: st[sp++] = sizes[t->value]; break;
        case RT_GOP_PARAM: st[sp++] = scalars[t->value]; break;
        case RT_GOP_NEG: st[sp - 1] = rt_wrap(dt, (int64_t)(0 - (uint64_t)rt_wrap(dt, st[sp - 1]))); break;
        case RT_GOP_NOT: {
            int64_t x = rt_wrap(dt, st[sp - 1]);
            st[sp - 1] = dt == TILEC_BOOL ? !x : rt_wrap(dt, ~x);
            break;
        }
        case RT_GOP_CAST: st[sp - 1] = rt_wrap(dt, st[sp - 1]); break;
        case RT_GOP_SELECT: {
            int64_t c = st[sp - 3], a = rt_wrap(dt, st[sp - 2]), b = rt_wrap(dt, st[sp - 1]);
            sp -= 2;
            st[sp - 1] = c != 0 ? a : b;
            break;
        }
        default: {
            int64_t a = rt_wrap(dt, st[sp - 2]), b = rt_wrap(dt, st[sp - 1]);
            int64_t r = binary(t->op, dt, a, b);
            sp -= 1;
            bool cmp = t->op >= RT_GOP_EQ && t->op <= RT_GOP_GE;
            st[sp - 1] = cmp ? r : rt_wrap(dt, r);
            break;
        }
        }
    }
    return st[0];
}

/* is_unsigned and rt_grid_parse_token rely on this order of tilec_dtype. */
_Static_assert(TILEC_U8 + 3 == TILEC_U64 && TILEC_U64 + 1 == TILEC_F16, "dtype order");
