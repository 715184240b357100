/*
 * verify.c — the Tile IR verifier: checks every invariant docs/ir.md lists
 * ("Verifier rules") and reports each violation as TC_E_IR_VERIFY at the
 * op's location (the kernel's when the op has none), naming the op.
 *
 * Invariants:
 *  - It never changes the IR and never crashes on broken IR: counts are
 *    checked before operands are indexed, NULL values and types are reported
 *    rather than followed, and an op whose operands are not usable is not
 *    type-checked further.
 *  - Dominance is checked with one availability bit per value id: a block
 *    makes its arguments available, each op its results after its regions,
 *    and everything the block defined becomes unavailable when it ends.
 *  - Layout rules (distributed and memory IR) are checked per value as it is
 *    defined (check_value_layout: validity, all-or-none per kernel, one warp
 *    shape, only local_alloc, local_buffer and local_view make #shared
 *    tiles) and per op (who may read
 *    #shared tiles, the layout ops, reductions, smem offsets). The verifier
 *    interns nothing: expected layouts are built on the stack and compared
 *    field by field.
 */
#include "ir.h"

#include <string.h>

/* A kernel's level as far as layouts go, decided by its first tile value. */
typedef enum Level { LEVEL_UNKNOWN, LEVEL_LAYOUTS, LEVEL_NO_LAYOUTS } Level;

typedef struct Verifier {
    const TcIrFunc *f;
    TcDiagEngine *de;
    const char *when;
    TcArena scratch;
    const TcIrValue **defs;  /* by id: the value registered with that id */
    bool *avail;             /* by id: usable at the current point */
    bool in_grid;
    bool ok;
    Level level;
    bool level_reported;     /* the first value that breaks the level is reported */
    uint32_t lanes, warps;   /* of the first register layout; 0 before it */
} Verifier;

/* ------------------------------------------------------------ reporting */

static void report(Verifier *v, TcSpan span, const char *prefix, const char *fmt, va_list ap)
{
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_sb_puts(&sb, prefix);
    tc_sb_vprintf(&sb, fmt, ap);
    if (v->when && *v->when) tc_sb_printf(&sb, " (%s)", v->when);
    if (!span.line) span = v->f->loc;
    tc_error(v->de, TC_E_IR_VERIFY, span, "%s", sb.data);
    tc_sb_free(&sb);
    v->ok = false;
}

/* "'add' <message>" at the op's location. */
static void op_err(Verifier *v, const TcIrOp *op, const char *fmt, ...) TC_PRINTF(3, 4);
static void op_err(Verifier *v, const TcIrOp *op, const char *fmt, ...)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "'%s' ", tc_op_info(op->opc)->name);
    va_list ap;
    va_start(ap, fmt);
    report(v, op->loc, prefix, fmt, ap);
    va_end(ap);
}

/* "kernel '@name': <message>" at the kernel's location. */
static void kernel_err(Verifier *v, const char *fmt, ...) TC_PRINTF(2, 3);
static void kernel_err(Verifier *v, const char *fmt, ...)
{
    char prefix[160];
    snprintf(prefix, sizeof prefix, "kernel '@%.100s': ", v->f->name);
    va_list ap;
    va_start(ap, fmt);
    report(v, v->f->loc, prefix, fmt, ap);
    va_end(ap);
}

static const char *ty(Verifier *v, const TcType *t)
{
    if (!t) return "<null>";
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_type_print(t, &sb);
    char *s = tc_arena_strdup(&v->scratch, sb.data);
    tc_sb_free(&sb);
    return s;
}

/* ------------------------------------------------------------ type helpers */

static bool is_value_type(const TcType *t) { return t->kind != TC_TY_TENSOR; }
static bool is_int_scalar(const TcType *t) { return t->kind == TC_TY_SCALAR && tc_dtype_is_int(t->dtype); }
static bool is_numeric(TcDtype d) { return tc_dtype_is_int(d) || tc_dtype_is_float(d); }
/* A tile in shared memory (#shared layout), or one in registers (blocked or slice). */
static bool is_shared(const TcType *t)
{
    return t->kind == TC_TY_TILE && t->layout && t->layout->kind == TC_LAYOUT_SHARED;
}
static bool is_register(const TcType *t)
{
    return t->kind == TC_TY_TILE && t->layout && t->layout->kind != TC_LAYOUT_SHARED;
}

static const char *layout_str(Verifier *v, const TcLayout *l)
{
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_layout_print(l, &sb);
    char *s = tc_arena_strdup(&v->scratch, sb.data);
    tc_sb_free(&sb);
    return s;
}

/* Same kind (scalar or tile) and, for tiles, the same extents. */
static bool same_shape(const TcType *a, const TcType *b)
{
    if (a->kind != b->kind || a->rank != b->rank) return false;
    for (unsigned i = 0; a->kind == TC_TY_TILE && i < a->rank; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

/* A value type of the given dtype and extents (rank 0: scalar). */
static bool has_shape(const TcType *t, TcDtype dt, uint32_t rank, const int64_t *shape)
{
    if (t->dtype != dt) return false;
    if (rank == 0) return t->kind == TC_TY_SCALAR;
    if (t->kind != TC_TY_TILE || t->rank != rank) return false;
    for (uint32_t i = 0; i < rank; i++)
        if (t->shape[i] != shape[i]) return false;
    return true;
}

static bool const_fits(TcDtype dt, int64_t x)
{
    unsigned bits = tc_dtype_bits(dt);
    if (dt == TC_BOOL) return x == 0 || x == 1;
    if (bits >= 64) return true;
    if (tc_dtype_is_signed(dt)) return x >= -((int64_t)1 << (bits - 1)) && x < ((int64_t)1 << (bits - 1));
    return x >= 0 && x < ((int64_t)1 << bits);
}

/* ------------------------------------------------------------ per-op rules */

/* Two operands of one scalar or tile type (reported on op otherwise). */
static bool same_value_type(Verifier *v, const TcIrOp *op, const TcType *a, const TcType *b)
{
    if (a != b) {
        op_err(v, op, "operands have different types: %s and %s", ty(v, a), ty(v, b));
        return false;
    }
    if (!is_value_type(a)) {
        op_err(v, op, "operands must be scalars or tiles, found %s", ty(v, a));
        return false;
    }
    return true;
}

static void check_binary(Verifier *v, const TcIrOp *op)
{
    const TcType *a = op->operands[0]->type, *b = op->operands[1]->type, *r = op->results[0]->type;
    bool cmp = op->opc >= TC_OP_EQ && op->opc <= TC_OP_GE;
    if (!same_value_type(v, op, a, b)) return;
    switch (op->opc) {
    case TC_OP_AND: case TC_OP_OR: case TC_OP_XOR:
        if (tc_dtype_is_float(a->dtype)) op_err(v, op, "needs integer or bool operands, found %s", ty(v, a));
        break;
    case TC_OP_SHL: case TC_OP_SHR:
        if (!tc_dtype_is_int(a->dtype)) op_err(v, op, "needs integer operands, found %s", ty(v, a));
        break;
    case TC_OP_EQ: case TC_OP_NE: case TC_OP_LT: case TC_OP_LE: case TC_OP_GT: case TC_OP_GE:
        break;
    default:
        if (a->dtype == TC_BOOL) op_err(v, op, "is not defined on bool operands (%s)", ty(v, a));
        break;
    }
    if (cmp) {
        if (r->dtype != TC_BOOL || !same_shape(r, a))
            op_err(v, op, "result must be bool with the operands' shape, found %s for operands %s",
                   ty(v, r), ty(v, a));
        else if (r->layout != a->layout)
            op_err(v, op, "result must have the operands' layout, found %s for operands %s", ty(v, r), ty(v, a));
    } else if (r != a) {
        op_err(v, op, "result type %s differs from the operands' type %s", ty(v, r), ty(v, a));
    }
}

static void check_unary(Verifier *v, const TcIrOp *op)
{
    const TcType *a = op->operands[0]->type, *r = op->results[0]->type;
    if (!is_value_type(a)) {
        op_err(v, op, "operand must be a scalar or a tile, found %s", ty(v, a));
        return;
    }
    if (r != a) op_err(v, op, "result type %s differs from the operand's type %s", ty(v, r), ty(v, a));
    switch (op->opc) {
    case TC_OP_NEG: case TC_OP_ABS:
        if (a->dtype == TC_BOOL) op_err(v, op, "needs an integer or float operand, found %s", ty(v, a));
        break;
    case TC_OP_NOT:
        if (tc_dtype_is_float(a->dtype)) op_err(v, op, "needs an integer or bool operand, found %s", ty(v, a));
        break;
    default:
        if (!tc_dtype_is_float(a->dtype)) op_err(v, op, "needs a float operand, found %s", ty(v, a));
        break;
    }
}

static void check_const(Verifier *v, const TcIrOp *op)
{
    const TcType *r = op->results[0]->type;
    if (r->kind != TC_TY_SCALAR) {
        op_err(v, op, "result must be a scalar, found %s", ty(v, r));
        return;
    }
    if (!tc_dtype_is_float(r->dtype) && !const_fits(r->dtype, op->ival)) {
        if (tc_dtype_is_unsigned(r->dtype))
            op_err(v, op, "value %llu does not fit %s", (unsigned long long)op->ival, ty(v, r));
        else
            op_err(v, op, "value %lld does not fit %s", (long long)op->ival, ty(v, r));
    }
}

/* Distributed IR: a reduction's tile result has the operand's layout with
 * the axis's parent dim sliced away (what tc_layout_slice gives; compared
 * field by field, since the verifier interns nothing, and ignoring spt on
 * removed dims, which tc_layout_slice normalizes). */
static void check_reduce_layout(Verifier *v, const TcIrOp *op, const TcType *x, const TcType *r)
{
    const TcLayout *l = x->layout;
    if (!l || l->kind == TC_LAYOUT_SHARED || r->kind != TC_TY_TILE ||
        !tc_layout_valid(l, x->rank, x->shape, 0, 0, NULL, 0))
        return; /* no layout, or reported elsewhere */
    TcLayout want = *l;
    want.kind = TC_LAYOUT_SLICE;
    want.slice_mask |= 1u << tc_layout_parent_dim(l, (uint32_t)op->ival);
    for (uint32_t d = 0; d < want.rank; d++)
        if (want.slice_mask & (1u << d)) want.spt[d] = 1;
    const TcLayout *got = r->layout;
    bool same = got && got->kind == want.kind && got->rank == want.rank && got->slice_mask == want.slice_mask &&
                got->pad == want.pad;
    for (uint32_t d = 0; same && d < want.rank; d++)
        same = ((want.slice_mask & (1u << d)) || got->spt[d] == want.spt[d]) && got->tpw[d] == want.tpw[d] &&
               got->wpc[d] == want.wpc[d] && got->order[d] == want.order[d];
    if (!same)
        op_err(v, op, "result layout must be the operand's with axis %lld sliced away, %s; found %s",
               (long long)op->ival, layout_str(v, &want), ty(v, r));
}

static void check_shape_op(Verifier *v, const TcIrOp *op)
{
    const TcType *x = op->operands[0]->type, *r = op->results[0]->type;
    int64_t shape[TC_MAX_RANK + 1];
    switch (op->opc) {
    case TC_OP_SPLAT:
        if (x->kind != TC_TY_SCALAR || r->kind != TC_TY_TILE || x->dtype != r->dtype)
            op_err(v, op, "needs a scalar operand and a tile result of its dtype, found %s -> %s",
                   ty(v, x), ty(v, r));
        return;
    case TC_OP_CAST:
        if (!is_value_type(x) || !is_value_type(r) || !same_shape(x, r))
            op_err(v, op, "operand and result must have the same shape, found %s -> %s", ty(v, x), ty(v, r));
        else if (x->layout != r->layout)
            op_err(v, op, "operand and result must have the same layout, found %s -> %s", ty(v, x), ty(v, r));
        return;
    case TC_OP_BROADCAST:
        if (x->kind != TC_TY_TILE || r->kind != TC_TY_TILE || x->dtype != r->dtype || x->rank != r->rank) {
            op_err(v, op, "needs a tile operand and a tile result of the same dtype and rank, found %s -> %s",
                   ty(v, x), ty(v, r));
            return;
        }
        for (unsigned i = 0; i < x->rank; i++) {
            if (x->shape[i] != 1 && x->shape[i] != r->shape[i]) {
                op_err(v, op, "cannot broadcast %s to %s: extent %lld of axis %u is neither 1 nor %lld",
                       ty(v, x), ty(v, r), (long long)x->shape[i], i, (long long)r->shape[i]);
                return;
            }
        }
        return;
    case TC_OP_EXPAND_DIMS: {
        uint32_t rank = x->kind == TC_TY_TILE ? x->rank : 0;
        if (!is_value_type(x)) {
            op_err(v, op, "operand must be a scalar or a tile, found %s", ty(v, x));
            return;
        }
        if (op->ival < 0 || op->ival > (int64_t)rank || rank + 1 > TC_MAX_RANK) {
            op_err(v, op, "axis %lld is out of range for %s", (long long)op->ival, ty(v, x));
            return;
        }
        uint32_t n = 0;
        for (uint32_t i = 0; i <= rank; i++) {
            if (i == (uint32_t)op->ival) shape[n++] = 1;
            if (i < rank) shape[n++] = x->shape[i];
        }
        if (!has_shape(r, x->dtype, n, shape))
            op_err(v, op, "result type %s is not %s with an extent-1 axis inserted at %lld",
                   ty(v, r), ty(v, x), (long long)op->ival);
        return;
    }
    case TC_OP_RESHAPE:
        if (x->kind != TC_TY_TILE || r->kind != TC_TY_TILE || x->dtype != r->dtype || x->numel != r->numel)
            op_err(v, op, "needs tiles of the same dtype and element count, found %s -> %s",
                   ty(v, x), ty(v, r));
        return;
    case TC_OP_TRANS: {
        if (x->kind != TC_TY_TILE) {
            op_err(v, op, "operand must be a tile, found %s", ty(v, x));
            return;
        }
        bool seen[TC_MAX_RANK] = {false};
        bool perm_ok = op->nints == x->rank && (op->ints || !op->nints);
        for (uint32_t i = 0; perm_ok && i < op->nints; i++) {
            if (op->ints[i] < 0 || op->ints[i] >= x->rank || seen[op->ints[i]]) perm_ok = false;
            else seen[op->ints[i]] = true;
        }
        if (!perm_ok) {
            op_err(v, op, "perm is not a permutation of the %u axes of %s", x->rank, ty(v, x));
            return;
        }
        for (uint32_t i = 0; i < x->rank; i++) shape[i] = x->shape[op->ints[i]];
        if (!has_shape(r, x->dtype, x->rank, shape))
            op_err(v, op, "result type %s does not match %s permuted", ty(v, r), ty(v, x));
        return;
    }
    default: { /* reductions */
        if (x->kind != TC_TY_TILE || x->dtype == TC_BOOL) {
            op_err(v, op, "operand must be a numeric tile, found %s", ty(v, x));
            return;
        }
        if (op->ival < 0 || op->ival >= x->rank) {
            op_err(v, op, "axis %lld is out of range for %s", (long long)op->ival, ty(v, x));
            return;
        }
        uint32_t n = 0;
        for (uint32_t i = 0; i < x->rank; i++)
            if (i != (uint32_t)op->ival) shape[n++] = x->shape[i];
        if (!has_shape(r, x->dtype, n, shape)) {
            op_err(v, op, "result type %s is not %s with axis %lld removed", ty(v, r), ty(v, x),
                   (long long)op->ival);
            return;
        }
        check_reduce_layout(v, op, x, r);
        return;
    }
    }
}

static void check_select(Verifier *v, const TcIrOp *op)
{
    const TcType *c = op->operands[0]->type, *a = op->operands[1]->type, *b = op->operands[2]->type;
    const TcType *r = op->results[0]->type;
    if (!same_value_type(v, op, a, b)) return;
    if (c->dtype != TC_BOOL || !same_shape(c, a))
        op_err(v, op, "condition must be bool with the operands' shape, found %s for %s", ty(v, c), ty(v, a));
    else if (c->layout != a->layout)
        op_err(v, op, "condition must have the operands' layout, found %s for %s", ty(v, c), ty(v, a));
    if (r != a) op_err(v, op, "result type %s differs from the operands' type %s", ty(v, r), ty(v, a));
}

static void check_dot(Verifier *v, const TcIrOp *op)
{
    const TcType *a = op->operands[0]->type, *b = op->operands[1]->type, *c = op->operands[2]->type;
    const TcType *r = op->results[0]->type;
    if (a->kind != TC_TY_TILE || b->kind != TC_TY_TILE || c->kind != TC_TY_TILE || a->rank != 2 ||
        b->rank != 2 || c->rank != 2) {
        op_err(v, op, "operands must be rank-2 tiles, found %s, %s, %s", ty(v, a), ty(v, b), ty(v, c));
        return;
    }
    if (a->dtype != b->dtype || !is_numeric(a->dtype)) {
        op_err(v, op, "operands a and b must share a numeric dtype, found %s and %s", ty(v, a), ty(v, b));
        return;
    }
    if (a->shape[1] != b->shape[0] || c->shape[0] != a->shape[0] || c->shape[1] != b->shape[1]) {
        op_err(v, op, "shapes do not agree: %s @ %s + %s", ty(v, a), ty(v, b), ty(v, c));
        return;
    }
    TcDtype t = a->dtype, u = c->dtype;
    bool acc_ok = u == t || (tc_dtype_is_float(t) ? (u == TC_F32 || u == TC_F64) : (u == TC_I32 || u == TC_I64));
    if (!acc_ok)
        op_err(v, op, "accumulator %s cannot accumulate %s products", ty(v, c), tc_dtype_name(t));
    if (r != c) op_err(v, op, "result type %s differs from the accumulator's type %s", ty(v, r), ty(v, c));
}

/* The offsets (or indices) operands first..first+n-1 are integer scalars. */
static bool check_indices(Verifier *v, const TcIrOp *op, uint32_t first, uint32_t n, const char *what)
{
    for (uint32_t i = first; i < first + n; i++) {
        if (!is_int_scalar(op->operands[i]->type)) {
            op_err(v, op, "%s %u must be an integer scalar, found %s", what, i - first,
                   ty(v, op->operands[i]->type));
            return false;
        }
    }
    return true;
}

static void check_memory(Verifier *v, const TcIrOp *op)
{
    if (v->in_grid) {
        op_err(v, op, "is not allowed in the grid block");
        return;
    }
    if (op->noperands < 1) {
        op_err(v, op, "needs a tensor operand");
        return;
    }
    const TcType *t = op->operands[0]->type;
    if (t->kind != TC_TY_TENSOR) {
        op_err(v, op, "operand 0 must be a tensor, found %s", ty(v, t));
        return;
    }
    uint32_t r = t->rank;
    if (op->opc == TC_OP_VIEW) {
        uint32_t k = op->noperands - 1;
        if (k == 0 || k >= r) {
            op_err(v, op, "takes between 1 and %u indices for %s, found %u", r ? r - 1 : 0, ty(v, t), k);
            return;
        }
        if (!check_indices(v, op, 1, k, "index")) return;
        const TcType *res = op->results[0]->type;
        bool same = res->kind == TC_TY_TENSOR && res->dtype == t->dtype && res->flags == t->flags &&
                    res->rank == r - k;
        for (uint32_t i = 0; same && i < r - k; i++)
            same = res->dims[i].value == t->dims[k + i].value && res->dims[i].sym == t->dims[k + i].sym;
        if (!same) op_err(v, op, "result type %s is not %s without its first %u dimensions", ty(v, res), ty(v, t), k);
        return;
    }
    if (r == 0) {
        op_err(v, op, "needs a tensor of rank at least 1, found %s", ty(v, t));
        return;
    }
    if (op->opc == TC_OP_LOAD) {
        if (op->noperands != r + 1 && op->noperands != r + 2) {
            op_err(v, op, "takes %u offsets and an optional pad for %s, found %u operands after the tensor",
                   r, ty(v, t), op->noperands - 1);
            return;
        }
        if (!check_indices(v, op, 1, r, "offset")) return;
        if (op->noperands == r + 2) {
            const TcType *pad = op->operands[r + 1]->type;
            if (pad->kind != TC_TY_SCALAR || pad->dtype != t->dtype)
                op_err(v, op, "pad must be a %s scalar, found %s", tc_dtype_name(t->dtype), ty(v, pad));
        }
        const TcType *res = op->results[0]->type;
        if (res->kind != TC_TY_TILE || res->rank != r || res->dtype != t->dtype)
            op_err(v, op, "result must be a rank-%u %s tile, found %s", r, tc_dtype_name(t->dtype), ty(v, res));
        return;
    }
    if (!(t->flags & (TC_TENSOR_OUT | TC_TENSOR_INOUT))) {
        op_err(v, op, "to read-only tensor %s (it must be out or inout)", ty(v, t));
        return;
    }
    if (op->noperands != r + 2) {
        op_err(v, op, "takes %u offsets and a tile for %s, found %u operands after the tensor",
               r, ty(v, t), op->noperands - 1);
        return;
    }
    if (!check_indices(v, op, 1, r, "offset")) return;
    const TcType *tile = op->operands[r + 1]->type;
    if (tile->kind != TC_TY_TILE || tile->rank != r || tile->dtype != t->dtype)
        op_err(v, op, "%s must be a rank-%u %s tile, found %s", "value stored", r, tc_dtype_name(t->dtype),
               ty(v, tile));
}

/* The yield ending region `b` of op (or the grid) passes the right values. */
static void check_yield_types(Verifier *v, const TcIrOp *parent, const TcIrOp *y, const char *where)
{
    if (y->noperands != parent->nresults) {
        op_err(v, y, "in %s yields %u values, but '%s' has %u results", where, y->noperands,
               tc_op_info(parent->opc)->name, parent->nresults);
        return;
    }
    for (uint32_t i = 0; i < y->noperands; i++) {
        const TcIrValue *res = parent->results[i];
        if (y->operands[i] && res && res->type && y->operands[i]->type != res->type)
            op_err(v, y, "in %s yields %s as value %u, but the result has type %s", where,
                   ty(v, y->operands[i]->type), i, ty(v, res->type));
    }
}

static void check_for(Verifier *v, const TcIrOp *op)
{
    if (op->noperands < 3) {
        op_err(v, op, "takes lo, hi, step and the initial values, found %u operands", op->noperands);
        return;
    }
    const TcType *lo = op->operands[0]->type;
    if (!is_int_scalar(lo) || op->operands[1]->type != lo || op->operands[2]->type != lo) {
        op_err(v, op, "lo, hi and step must be integer scalars of one type, found %s, %s, %s", ty(v, lo),
               ty(v, op->operands[1]->type), ty(v, op->operands[2]->type));
    }
    uint32_t n = op->noperands - 3;
    if (op->nresults != n) {
        op_err(v, op, "has %u initial values but %u results", n, op->nresults);
        return;
    }
    const TcIrBlock *body = op->regions[0];
    if (body->nargs != n + 1) {
        op_err(v, op, "body has %u arguments, expected the induction variable and %u carried values",
               body->nargs, n);
        return;
    }
    if (body->args[0] && body->args[0]->type != lo)
        op_err(v, op, "induction variable has type %s, expected %s", ty(v, body->args[0]->type), ty(v, lo));
    for (uint32_t i = 0; i < n; i++) {
        const TcType *init = op->operands[3 + i]->type, *res = op->results[i]->type;
        const TcType *arg = body->args[i + 1] ? body->args[i + 1]->type : NULL;
        if (!is_value_type(init)) op_err(v, op, "carried value %u has tensor type %s", i, ty(v, init));
        else if (init != res || init != arg)
            op_err(v, op, "carried value %u has initial type %s, body argument type %s and result type %s",
                   i, ty(v, init), ty(v, arg), ty(v, res));
    }
    if (op->pipeline < 0 || op->unroll < 0)
        op_err(v, op, "pipeline and unroll must be >= 0, found %d and %d", op->pipeline, op->unroll);
}

static void check_if(Verifier *v, const TcIrOp *op)
{
    const TcType *c = op->operands[0]->type;
    if (c->kind != TC_TY_SCALAR || c->dtype != TC_BOOL)
        op_err(v, op, "condition must be a scalar bool, found %s", ty(v, c));
    for (uint32_t r = 0; r < 2; r++)
        if (op->regions[r]->nargs) op_err(v, op, "%s region has arguments", r ? "else" : "then");
    for (uint32_t i = 0; i < op->nresults; i++)
        if (!is_value_type(op->results[i]->type))
            op_err(v, op, "result %u has tensor type %s", i, ty(v, op->results[i]->type));
}

/* convert_layout, local_alloc, local_load: one tile in, one of its dtype
 * and shape out, with the layouts each op converts between. */
static void check_layout_op(Verifier *v, const TcIrOp *op)
{
    const TcType *x = op->operands[0]->type, *r = op->results[0]->type;
    bool tiles = x->kind == TC_TY_TILE && r->kind == TC_TY_TILE && x->dtype == r->dtype && same_shape(x, r);
    if (v->in_grid && op->opc != TC_OP_CONVERT_LAYOUT) {
        op_err(v, op, "is not allowed in the grid block");
        return;
    }
    switch (op->opc) {
    case TC_OP_CONVERT_LAYOUT:
        if (!tiles || !is_register(x) || !is_register(r))
            op_err(v, op, "needs tiles of one dtype and shape with blocked or slice layouts, found %s -> %s",
                   ty(v, x), ty(v, r));
        break;
    case TC_OP_LOCAL_ALLOC: {
        if (!tiles || is_shared(x) || !is_shared(r)) {
            op_err(v, op, "needs a register tile and a result of its dtype and shape with a #shared layout, "
                   "found %s -> %s", ty(v, x), ty(v, r));
            break;
        }
        if (op->smem == -1) op_err(v, op, "needs a shared-memory offset (smem = N)");
        uint64_t bytes = tc_layout_shared_bytes(r), total = v->f->smem_bytes;
        /* a negative offset or one past the total is reported by check_smem_attr */
        if (op->smem >= 0 && (uint64_t)op->smem < total && bytes > total - (uint64_t)op->smem)
            op_err(v, op, "buffer of %llu bytes at smem offset %lld does not fit the kernel's smem(%llu)",
                   (unsigned long long)bytes, (long long)op->smem, (unsigned long long)total);
        break;
    }
    default: /* local_load */
        if (!tiles || !is_shared(x) || is_shared(r))
            op_err(v, op, "needs a #shared tile and a register result of its dtype and shape, found %s -> %s",
                   ty(v, x), ty(v, r));
        break;
    }
}

/* The pipelining ops: local_buffer, local_view, async_copy, async_commit,
 * async_wait. A buffer is a #shared tile [n, S...] (n stages of shape S); a
 * view is stage `stage` of it (a #shared tile of shape S with the buffer's
 * layout); a copy fills one stage from a tensor. */
static void check_async_op(Verifier *v, const TcIrOp *op)
{
    if (v->in_grid) {
        op_err(v, op, "is not allowed in the grid block");
        return;
    }
    switch (op->opc) {
    case TC_OP_LOCAL_BUFFER: {
        const TcType *r = op->results[0]->type;
        if (!is_shared(r) || r->rank < 2) {
            op_err(v, op, "result must be a #shared tile of rank at least 2 (stages, then the stage shape), found %s",
                   ty(v, r));
            return;
        }
        uint64_t bytes = tc_layout_shared_bytes(r), total = v->f->smem_bytes;
        if (op->smem >= 0 && (uint64_t)op->smem < total && bytes > total - (uint64_t)op->smem)
            op_err(v, op, "buffer of %llu bytes at smem offset %lld does not fit the kernel's smem(%llu)",
                   (unsigned long long)bytes, (long long)op->smem, (unsigned long long)total);
        return;
    }
    case TC_OP_LOCAL_VIEW: {
        const TcType *b = op->operands[0]->type, *st = op->operands[1]->type, *r = op->results[0]->type;
        const TcIrOp *d = op->operands[0]->def;
        if (!d || d->opc != TC_OP_LOCAL_BUFFER || !is_shared(b) || b->rank < 2) {
            op_err(v, op, "operand 0 must be a 'local_buffer', found %s", ty(v, b));
            return;
        }
        if (st->kind != TC_TY_SCALAR || st->dtype != TC_I32)
            op_err(v, op, "stage must be an i32 scalar, found %s", ty(v, st));
        bool ok = is_shared(r) && r->layout == b->layout && r->dtype == b->dtype && r->rank + 1u == b->rank;
        for (uint32_t i = 0; ok && i < r->rank; i++) ok = r->shape[i] == b->shape[i + 1];
        if (!ok)
            op_err(v, op, "result must be one stage of %s with its layout, found %s", ty(v, b), ty(v, r));
        return;
    }
    case TC_OP_ASYNC_COPY: {
        if (op->noperands < 4 || op->operands[0]->type->kind != TC_TY_TENSOR) {
            op_err(v, op, "takes a tensor, its offsets, a buffer and a stage");
            return;
        }
        const TcType *t = op->operands[0]->type;
        uint32_t r = t->rank;
        if (r == 0 || op->noperands != r + 3) {
            op_err(v, op, "takes %u offsets, a buffer and a stage for %s, found %u operands after the tensor", r,
                   ty(v, t), op->noperands - 1);
            return;
        }
        if (!check_indices(v, op, 1, r, "offset")) return;
        const TcIrValue *bv = op->operands[r + 1];
        const TcType *b = bv->type, *st = op->operands[r + 2]->type;
        if (!bv->def || bv->def->opc != TC_OP_LOCAL_BUFFER || !is_shared(b) || b->rank != r + 1 ||
            b->dtype != t->dtype)
            op_err(v, op, "operand %u must be a 'local_buffer' of rank-%u %s stages, found %s", r + 1, r,
                   tc_dtype_name(t->dtype), ty(v, b));
        if (st->kind != TC_TY_SCALAR || st->dtype != TC_I32)
            op_err(v, op, "stage must be an i32 scalar, found %s", ty(v, st));
        return;
    }
    case TC_OP_ASYNC_WAIT:
        if (op->ival < 0 || op->ival > INT32_MAX) op_err(v, op, "pending = %lld is out of range", (long long)op->ival);
        return;
    default: return; /* async_commit */
    }
}

/* Counts from the op table, then the op's own rules. */
static void check_op_types(Verifier *v, const TcIrOp *op)
{
    const TcOpInfo *info = tc_op_info(op->opc);
    uint32_t nregions = op->opc == TC_OP_FOR ? 1 : op->opc == TC_OP_IF ? 2 : 0;
    if (info->noperands >= 0 && op->noperands != (uint32_t)info->noperands) {
        op_err(v, op, "takes %d operand%s, found %u", info->noperands, info->noperands == 1 ? "" : "s",
               op->noperands);
        return;
    }
    if (info->nresults >= 0 && op->nresults != (uint32_t)info->nresults) {
        op_err(v, op, "has %d result%s, found %u", info->nresults, info->nresults == 1 ? "" : "s", op->nresults);
        return;
    }
    if (op->nregions != nregions) {
        op_err(v, op, "has %u regions, expected %u", op->nregions, nregions);
        return;
    }
    for (uint32_t i = 0; i < op->nresults; i++) {
        if (op->results[i]->type->kind == TC_TY_TENSOR && op->opc != TC_OP_VIEW) {
            op_err(v, op, "result %u has tensor type %s; only 'view' makes tensors", i,
                   ty(v, op->results[i]->type));
            return;
        }
    }
    switch (op->opc) {
    case TC_OP_CONST: check_const(v, op); break;
    case TC_OP_ARANGE: {
        const TcType *r = op->results[0]->type;
        if (r->kind != TC_TY_TILE || r->rank != 1 || r->dtype != TC_I32)
            op_err(v, op, "result must be a rank-1 i32 tile, found %s", ty(v, r));
        break;
    }
    case TC_OP_PROGRAM_ID: case TC_OP_NUM_PROGRAMS:
        if (v->in_grid) op_err(v, op, "is not allowed in the grid block");
        else if (op->ival < 0 || op->ival > 2) op_err(v, op, "axis %lld is not 0, 1 or 2", (long long)op->ival);
        else if (op->results[0]->type->kind != TC_TY_SCALAR || op->results[0]->type->dtype != TC_I32)
            op_err(v, op, "result must be i32, found %s", ty(v, op->results[0]->type));
        break;
    case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL: case TC_OP_DIV: case TC_OP_REM:
    case TC_OP_MAX: case TC_OP_MIN: case TC_OP_AND: case TC_OP_OR: case TC_OP_XOR:
    case TC_OP_SHL: case TC_OP_SHR:
    case TC_OP_EQ: case TC_OP_NE: case TC_OP_LT: case TC_OP_LE: case TC_OP_GT: case TC_OP_GE:
        check_binary(v, op);
        break;
    case TC_OP_NEG: case TC_OP_NOT: case TC_OP_ABS: case TC_OP_EXP: case TC_OP_EXP2:
    case TC_OP_LOG: case TC_OP_LOG2: case TC_OP_SQRT: case TC_OP_RSQRT: case TC_OP_TANH:
    case TC_OP_SIGMOID: case TC_OP_ERF:
        check_unary(v, op);
        break;
    case TC_OP_SPLAT: case TC_OP_CAST: case TC_OP_BROADCAST: case TC_OP_EXPAND_DIMS:
    case TC_OP_RESHAPE: case TC_OP_TRANS: case TC_OP_REDUCE_SUM: case TC_OP_REDUCE_MAX:
    case TC_OP_REDUCE_MIN:
        check_shape_op(v, op);
        break;
    case TC_OP_SELECT: check_select(v, op); break;
    case TC_OP_DOT: check_dot(v, op); break;
    case TC_OP_VIEW: case TC_OP_LOAD: case TC_OP_STORE: check_memory(v, op); break;
    case TC_OP_CONVERT_LAYOUT: case TC_OP_LOCAL_ALLOC: case TC_OP_LOCAL_LOAD: check_layout_op(v, op); break;
    case TC_OP_BARRIER:
        if (v->in_grid) op_err(v, op, "is not allowed in the grid block");
        break;
    case TC_OP_LOCAL_BUFFER: case TC_OP_LOCAL_VIEW: case TC_OP_ASYNC_COPY: case TC_OP_ASYNC_COMMIT:
    case TC_OP_ASYNC_WAIT:
        check_async_op(v, op);
        break;
    case TC_OP_FOR: check_for(v, op); break;
    case TC_OP_IF: check_if(v, op); break;
    case TC_OP_YIELD: break;
    case TC_OP_COUNT: break;
    }
}

/* ------------------------------------------------------------ structure */

/* An error about value `what` defined by op (NULL: a kernel argument). */
static void value_err(Verifier *v, const TcIrOp *op, const char *what, const char *fmt, ...) TC_PRINTF(4, 5);
static void value_err(Verifier *v, const TcIrOp *op, const char *what, const char *fmt, ...)
{
    char prefix[200];
    if (op) snprintf(prefix, sizeof prefix, "'%s' %s ", tc_op_info(op->opc)->name, what);
    else snprintf(prefix, sizeof prefix, "kernel '@%.100s': %s ", v->f->name, what);
    va_list ap;
    va_start(ap, fmt);
    report(v, op ? op->loc : v->f->loc, prefix, fmt, ap);
    va_end(ap);
}

/* The layout rules every tile value obeys: a valid layout for its shape;
 * in one kernel all tile values have layouts or none do; the register
 * layouts of a kernel agree on the threads per warp and the warps (the
 * kernel's warps(n) when given); only local_alloc makes #shared tiles. */
static void check_value_layout(Verifier *v, const TcIrOp *op, const TcIrValue *val, const char *what)
{
    const TcType *t = val->type;
    if (t->kind != TC_TY_TILE) return;
    const TcLayout *l = t->layout;
    Level level = l ? LEVEL_LAYOUTS : LEVEL_NO_LAYOUTS;
    if (v->level == LEVEL_UNKNOWN) {
        v->level = level;
    } else if (v->level != level && !v->level_reported) {
        v->level_reported = true;
        if (l)
            value_err(v, op, what, "has type %s with a layout, but earlier tile values of the kernel have none "
                      "(a kernel's tile values have layouts all or none)", ty(v, t));
        else
            value_err(v, op, what, "has type %s without a layout, but earlier tile values of the kernel have "
                      "layouts (a kernel's tile values have layouts all or none)", ty(v, t));
    }
    if (!l) return;
    char why[160];
    if (!tc_layout_valid(l, t->rank, t->shape, 0, 0, why, sizeof why)) {
        value_err(v, op, what, "has type %s with an invalid layout: %s", ty(v, t), why);
        return;
    }
    if (l->kind == TC_LAYOUT_SHARED) {
        if (!op || (op->opc != TC_OP_LOCAL_ALLOC && op->opc != TC_OP_LOCAL_BUFFER && op->opc != TC_OP_LOCAL_VIEW))
            value_err(v, op, what, "has shared-memory type %s; only 'local_alloc', 'local_buffer' and 'local_view' "
                      "make #shared tiles", ty(v, t));
        return;
    }
    uint32_t lanes = tc_layout_lanes(l), warps = tc_layout_warps(l);
    if (v->f->warps > 0 && warps != (uint32_t)v->f->warps) {
        value_err(v, op, what, "has type %s whose layout spans %u warps, but the kernel has warps(%d)", ty(v, t),
                  warps, v->f->warps);
        return;
    }
    if (!v->lanes) {
        v->lanes = lanes;
        v->warps = warps;
    } else if (lanes != v->lanes || warps != v->warps) {
        value_err(v, op, what, "has type %s whose layout spans %u threads per warp and %u warps, but earlier "
                  "layouts of the kernel span %u and %u", ty(v, t), lanes, warps, v->lanes, v->warps);
    }
}

/* Records v as defined here; false if it cannot be (reported). */
static bool define_value(Verifier *v, const TcIrOp *op, const TcIrValue *val, const char *what)
{
    if (!val || !val->type) {
        if (op) op_err(v, op, "%s is %s", what, val ? "untyped" : "missing");
        else kernel_err(v, "%s is %s", what, val ? "untyped" : "missing");
        return false;
    }
    const char *problem = val->id >= v->f->nvalues ? "has an id outside this kernel"
                        : v->defs[val->id] == val ? "is defined twice"
                        : v->defs[val->id] ? "shares its id with another value" : NULL;
    if (problem) {
        if (op) op_err(v, op, "%s %s", what, problem);
        else kernel_err(v, "%s %s", what, problem);
        return false;
    }
    v->defs[val->id] = val;
    v->avail[val->id] = true;
    check_value_layout(v, op, val, what);
    return true;
}

static void undefine_value(Verifier *v, const TcIrValue *val)
{
    if (val && val->id < v->f->nvalues && v->defs[val->id] == val) v->avail[val->id] = false;
}

static bool operands_usable(Verifier *v, const TcIrOp *op)
{
    bool ok = true;
    for (uint32_t i = 0; i < op->noperands; i++) {
        const TcIrValue *x = op->operands[i];
        if (!x || !x->type) {
            op_err(v, op, "operand %u is %s", i, x ? "untyped" : "missing");
            ok = false;
        } else if (x->id >= v->f->nvalues || v->defs[x->id] != x || !v->avail[x->id]) {
            op_err(v, op, "operand %u%s%s%s is not defined before this op in an enclosing block", i,
                   x->name ? " (%" : "", x->name ? x->name : "", x->name ? ")" : "");
            ok = false;
        }
    }
    return ok;
}

static void verify_block(Verifier *v, const TcIrBlock *b, const TcIrOp *parent);

/* #shared tiles are read only by local_load and by dot's a and b; false
 * (reported) when op reads one otherwise. */
static bool check_shared_uses(Verifier *v, const TcIrOp *op)
{
    bool ok = true;
    for (uint32_t i = 0; i < op->noperands; i++) {
        const TcType *t = op->operands[i]->type;
        if (!is_shared(t)) continue;
        if ((op->opc == TC_OP_LOCAL_LOAD && i == 0) || (op->opc == TC_OP_DOT && i < 2) ||
            (op->opc == TC_OP_LOCAL_VIEW && i == 0) || (op->opc == TC_OP_ASYNC_COPY && i + 2 == op->noperands))
            continue;
        op_err(v, op, "operand %u has shared-memory type %s; only 'local_load', the a and b operands of "
               "'dot', 'local_view' and the buffer of 'async_copy' read #shared tiles", i, ty(v, t));
        ok = false;
    }
    return ok;
}

/* An op's shared-memory offset: -1 (none) or within the kernel's smem(N). */
static void check_smem_attr(Verifier *v, const TcIrOp *op)
{
    uint64_t total = v->f->smem_bytes;
    if (op->smem < -1)
        op_err(v, op, "smem offset %lld is negative", (long long)op->smem);
    else if (op->smem >= 0 && total && (uint64_t)op->smem >= total)
        op_err(v, op, "smem offset %lld is outside the kernel's smem(%llu)", (long long)op->smem,
               (unsigned long long)total);
}

static void verify_op(Verifier *v, const TcIrOp *op)
{
    bool usable = operands_usable(v, op);
    bool results_ok = true;
    for (uint32_t i = 0; i < op->nresults; i++) {
        const TcIrValue *r = op->results[i];
        if (!r || !r->type || r->def != op || r->index != i) {
            op_err(v, op, "result %u is %s", i, !r ? "missing" : !r->type ? "untyped" : "not linked to its op");
            results_ok = false;
        }
    }
    for (uint32_t i = 0; i < op->nregions; i++) {
        const TcIrBlock *rb = op->regions[i];
        if (!rb || rb->parent != op || rb->func != v->f) {
            op_err(v, op, "region %u is %s", i, !rb ? "missing" : "not linked to its op");
            return;
        }
    }
    if (usable && !check_shared_uses(v, op)) usable = false; /* not type-checked further */
    check_smem_attr(v, op);
    if (usable && results_ok) check_op_types(v, op);
    for (uint32_t i = 0; i < op->nregions; i++) verify_block(v, op->regions[i], op);
    for (uint32_t i = 0; i < op->nresults && results_ok; i++) {
        char what[32];
        snprintf(what, sizeof what, "result %u", i);
        define_value(v, op, op->results[i], what);
    }
}

/* Terminator rules for block b whose owner is parent (NULL: body or grid). */
static void check_terminator(Verifier *v, const TcIrBlock *b, const TcIrOp *parent)
{
    bool is_body = !parent && b == v->f->body;
    const TcIrOp *last = b->last;
    for (const TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc != TC_OP_YIELD) continue;
        if (is_body) op_err(v, op, "is not allowed in the kernel body");
        else if (op != last) op_err(v, op, "must be the last op of its block");
    }
    if (is_body) return;
    const char *where = !parent ? "the grid block"
                      : parent->opc == TC_OP_FOR ? "the body of 'for'"
                      : b == parent->regions[0] ? "the then region of 'if'" : "the else region of 'if'";
    if (!last || last->opc != TC_OP_YIELD) {
        if (parent) op_err(v, parent, "region (%s) does not end with 'yield'", where);
        else kernel_err(v, "the grid block does not end with 'yield'");
        return;
    }
    if (!parent) {
        bool ok = last->noperands >= 1 && last->noperands <= 3;
        for (uint32_t i = 0; ok && i < last->noperands; i++) {
            const TcType *t = last->operands[i] ? last->operands[i]->type : NULL;
            ok = t && t->kind == TC_TY_SCALAR && t->dtype == TC_I32;
        }
        if (!ok) op_err(v, last, "in the grid block must yield 1 to 3 i32 scalars");
        return;
    }
    if (parent->opc == TC_OP_FOR || parent->opc == TC_OP_IF) check_yield_types(v, parent, last, where);
}

static void verify_block(Verifier *v, const TcIrBlock *b, const TcIrOp *parent)
{
    /* Kernel arguments (the body's) are defined by tc_ir_verify_func. */
    for (uint32_t i = 0; parent && i < b->nargs; i++) {
        const TcIrValue *a = b->args[i];
        char what[48];
        snprintf(what, sizeof what, "block argument %u", i);
        if (a && (a->def || a->block != b || a->index != i)) op_err(v, parent, "%s is not linked to its block", what);
        else define_value(v, parent, a, what);
    }
    const TcIrOp *prev = NULL;
    for (const TcIrOp *op = b->first; op; prev = op, op = op->next) {
        if (op->parent != b || op->prev != prev) {
            op_err(v, op, "is not linked correctly into its block");
            return;
        }
        if ((unsigned)op->opc >= TC_OP_COUNT) {
            kernel_err(v, "op with invalid opcode %d", (int)op->opc);
            return;
        }
        verify_op(v, op);
    }
    if (b->last != prev) {
        if (parent) op_err(v, parent, "region's last-op link is wrong");
        else kernel_err(v, "a block's last-op link is wrong");
    }
    check_terminator(v, b, parent);
    for (const TcIrOp *op = b->first; op; op = op->next)
        for (uint32_t i = 0; i < op->nresults; i++) undefine_value(v, op->results[i]);
    if (b != v->f->body)
        for (uint32_t i = 0; i < b->nargs; i++) undefine_value(v, b->args[i]);
}

/* ------------------------------------------------------------ kernels */

static bool is_dim_symbol(const TcIrFunc *f, const char *sym)
{
    for (uint32_t i = 0; i < f->nparams && i < f->body->nargs; i++) {
        const TcType *t = f->body->args[i] ? f->body->args[i]->type : NULL;
        if (!t || t->kind != TC_TY_TENSOR) continue;
        for (uint32_t d = 0; d < t->rank; d++)
            if (t->dims[d].sym && strcmp(t->dims[d].sym, sym) == 0) return true;
    }
    return false;
}

static void verify_signature(Verifier *v)
{
    const TcIrFunc *f = v->f;
    const TcIrBlock *body = f->body;
    if (body->nargs != f->nparams + f->nsizes) {
        kernel_err(v, "body has %u arguments, expected %u parameters and %u sizes", body->nargs,
                   f->nparams, f->nsizes);
        return;
    }
    if (f->warps < 0) kernel_err(v, "warps must be >= 0, found %d", f->warps);
    for (uint32_t i = 0; i < f->nparams; i++) {
        const TcIrValue *a = body->args[i];
        if (a && a->type && a->type->kind == TC_TY_TILE)
            kernel_err(v, "parameter %u has tile type %s; parameters are tensors or scalars", i, ty(v, a->type));
    }
    for (uint32_t i = 0; i < f->nsizes; i++) {
        const TcIrValue *s = body->args[f->nparams + i];
        if (!s || !s->type) continue;
        if (s->type->kind != TC_TY_SCALAR || s->type->dtype != TC_I32)
            kernel_err(v, "size %u has type %s, expected i32", i, ty(v, s->type));
        if (!s->name || !is_dim_symbol(f, s->name)) {
            kernel_err(v, "size %u ('%s') is not a dimension of any tensor parameter", i,
                       s->name ? s->name : "<unnamed>");
            continue;
        }
        for (uint32_t j = 0; j < i; j++) {
            const TcIrValue *o = body->args[f->nparams + j];
            if (o && o->name && strcmp(o->name, s->name) == 0)
                kernel_err(v, "size '%s' is given twice", s->name);
        }
    }
    for (uint32_t i = 0; i < f->nparams; i++) {
        const TcType *t = body->args[i] && body->args[i]->type ? body->args[i]->type : NULL;
        if (!t || t->kind != TC_TY_TENSOR) continue;
        for (uint32_t d = 0; d < t->rank; d++) {
            const char *sym = t->dims[d].sym;
            bool found = false;
            for (uint32_t j = 0; sym && !found && j < f->nsizes; j++) {
                const TcIrValue *s = body->args[f->nparams + j];
                found = s && s->name && strcmp(s->name, sym) == 0;
            }
            if (sym && !found) kernel_err(v, "dimension '%s' of parameter %u has no size argument", sym, i);
            if (!sym && t->dims[d].value < 0)
                kernel_err(v, "dimension %u of parameter %u is negative", d, i);
        }
    }
}

bool tc_ir_verify_func(const TcIrFunc *f, TcDiagEngine *de, const char *when)
{
    Verifier v;
    memset(&v, 0, sizeof v);
    v.f = f;
    v.de = de;
    v.when = when;
    v.ok = true;
    tc_arena_init(&v.scratch);
    uint32_t n = f->nvalues ? f->nvalues : 1;
    v.defs = tc_arena_alloc(&v.scratch, n * sizeof *v.defs);
    v.avail = tc_arena_alloc(&v.scratch, n * sizeof *v.avail);
    if (!f->body || !f->grid) {
        kernel_err(&v, "has no %s block", f->body ? "grid" : "body");
    } else if (f->body->parent || f->grid->parent || f->body->func != f || f->grid->func != f) {
        kernel_err(&v, "body or grid block is not linked to the kernel");
    } else {
        verify_signature(&v);
        if (f->grid->nargs) kernel_err(&v, "the grid block has arguments");
        /* Kernel arguments are visible in the grid block as well. */
        for (uint32_t i = 0; i < f->body->nargs; i++) {
            const TcIrValue *a = f->body->args[i];
            char what[48];
            snprintf(what, sizeof what, "kernel argument %u", i);
            if (!a || a->def || a->block != f->body || a->index != i)
                kernel_err(&v, "%s is not linked to the body block", what);
            else
                define_value(&v, NULL, a, what);
        }
        v.in_grid = true;
        verify_block(&v, f->grid, NULL);
        v.in_grid = false;
        verify_block(&v, f->body, NULL);
    }
    tc_arena_free(&v.scratch);
    return v.ok;
}

bool tc_ir_verify_module(const TcIrModule *m, TcDiagEngine *de, const char *when)
{
    bool ok = true;
    for (uint32_t i = 0; i < m->funcs.len; i++)
        if (!tc_ir_verify_func(m->funcs.data[i], de, when)) ok = false;
    return ok;
}
