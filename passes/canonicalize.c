/*
 * canonicalize.c — constant folding and algebraic simplification.
 *
 * One forward walk over a kernel (grid, then body, regions in pre-order)
 * first rewrites each op's operands through a value->value replacement map
 * indexed by TcIrValue.id, then tries, in order:
 *  1. folding: binary, compare, unary (neg, not, abs, sqrt), cast and select
 *     whose operands are `const` scalars or `splat`s of consts; the result is
 *     a new const (scalar results) or a splat of one (tile results);
 *  2. identities: x+0, 0+x, x-0, x*1, 1*x, x/1 -> x; x*0 -> 0 and x-x -> 0
 *     for integers; and(x, x), or(x, x) -> x; neg(neg x), not(not x) -> x;
 *     select(const c, a, b) -> a or b; select(c, a, a) -> a; cast, broadcast
 *     and reshape to the operand's own type and trans by the identity
 *     permutation -> x; broadcast / reshape / trans / expand_dims of a splat
 *     -> one splat of the result type; convert_layout to the operand's own
 *     layout -> x, and convert_layout(convert_layout(x)) back to x's layout
 *     -> x;
 *  3. control flow: `if` on a constant condition is replaced by the taken
 *     region's ops (moved before it) and its results by the values that
 *     region yields; `for` with constant bounds and step that runs zero times
 *     is replaced by its inits.
 * The walk repeats until nothing changes (at most MAX_ROUNDS times).
 *
 * Folding evaluates with ir/fold.c (tc_fold_scalar, tc_scalar_cast), the
 * same code the interpreter runs, so semantics are exactly Tile IR's
 * (docs/ir.md) and a fold never changes a result. From tc_fold_scalar comes
 * the policy of not folding division or remainder by zero (integer or float;
 * the run-time result stays with the target) and not folding an f16/bf16
 * result the dtype cannot hold (at run time it is carried in f32); this pass
 * folds such a result anyway when every use rounds it to the dtype (a store,
 * possibly through splat/broadcast/reshape/expand_dims/trans/convert_layout).
 * This pass's own policy, checked before calling fold.c: the transcendental
 * functions (exp, exp2, log, log2, rsqrt, tanh, sigmoid, erf) are not
 * folded, as their run-time results are not correctly rounded and differ
 * between targets.
 * Float x+0 folds only for a -0.0 constant and x-0 only for +0.0, because
 * -0.0 + 0.0 is +0.0; x*0 never folds for floats (NaN, inf).
 *
 * Ops whose results were replaced are erased at once (they are pure, or an
 * `if`/`for` whose effects were moved out or never happen); operands that
 * become unused are left for dce.
 */
#include "passes.h"

#include <math.h>
#include <string.h>

enum { MAX_ROUNDS = 8 };

typedef struct Canon {
    TcIrFunc *func;
    TcArena *scratch;
    TcIrValue **map;  /* map[id]: replacement of value id, or NULL */
    uint32_t cap;     /* entries in map */
    bool changed;
} Canon;

/* ------------------------------------------------------ replacement map */

static TcIrValue *lookup(const Canon *c, TcIrValue *v)
{
    while (v && v->id < c->cap && c->map[v->id]) v = c->map[v->id];
    return v;
}

static void replace(Canon *c, TcIrValue *from, TcIrValue *to)
{
    if (from->id >= c->cap) {
        uint32_t ncap = c->func->nvalues > from->id ? c->func->nvalues : from->id + 1;
        ncap += ncap / 2 + 16;
        TcIrValue **nm = tc_arena_alloc(c->scratch, ncap * sizeof *nm);
        if (c->cap) memcpy(nm, c->map, c->cap * sizeof *nm);
        c->map = nm;
        c->cap = ncap;
    }
    c->map[from->id] = to;
    c->changed = true;
}

/* ----------------------------------------------------------- constants */

/* The value of a scalar const, normalized to its dtype as `const` is. */
typedef struct Cst {
    TcDtype dt;
    TcScalar v;
} Cst;

/* A const scalar, or a splat of one; the dtype is v's element type. */
static bool get_const(TcIrValue *v, Cst *out)
{
    TcIrOp *d = v->def;
    if (d && d->opc == TC_OP_SPLAT) {
        v = d->operands[0];
        d = v->def;
    }
    if (!d || d->opc != TC_OP_CONST || !tc_type_is_scalar(v->type)) return false;
    out->dt = v->type->dtype;
    TcScalar k = {0};
    if (tc_dtype_is_float(out->dt)) k.f = d->fval;
    else k.i = d->ival;
    out->v = tc_scalar_normalize(out->dt, k);
    return true;
}

static bool is_int_value(TcIrValue *v, int64_t k)
{
    Cst c;
    return get_const(v, &c) && !tc_dtype_is_float(c.dt) && c.v.i == k;
}

static bool is_float_value(TcIrValue *v, double k, bool negzero)
{
    Cst c;
    return get_const(v, &c) && tc_dtype_is_float(c.dt) && c.v.f == k &&
           (k != 0.0 || (signbit(c.v.f) != 0) == negzero);
}

static bool int_less(TcDtype dt, int64_t a, int64_t b) { return tc_eval_int_binary(TC_OP_LT, dt, a, b) != 0; }

/* A const of v's type (scalar) or a splat of one (tile), built before `at`. */
static TcIrValue *make_const(Canon *c, TcIrOp *at, TcType *type, TcScalar k)
{
    TcIrBuilder b;
    tc_ir_builder_at_end(&b, c->func, at->parent);
    b.before = at;
    b.loc = at->loc;
    TcIrValue *s = tc_dtype_is_float(type->dtype) ? tc_ir_build_const_float(&b, type->dtype, k.f)
                                                   : tc_ir_build_const_int(&b, type->dtype, k.i);
    if (tc_type_is_tile(type)) s = tc_ir_build_splat(&b, s, type);
    return s;
}

/* ------------------------------------------------------------- folding */

typedef struct UseScan {
    const Canon *c;
    const TcIrValue *v;
    int depth;
    bool ok;
} UseScan;

static bool rounded_on_every_use(const Canon *c, const TcIrValue *v, int depth);

static void scan_use(TcIrOp *op, void *ctx)
{
    UseScan *u = ctx;
    for (uint32_t i = 0; i < op->noperands && u->ok; i++) {
        if (lookup(u->c, op->operands[i]) != u->v) continue;
        if (op->opc == TC_OP_STORE && i + 1 == op->noperands) continue;
        bool moves = op->opc == TC_OP_SPLAT || op->opc == TC_OP_BROADCAST || op->opc == TC_OP_RESHAPE ||
                     op->opc == TC_OP_EXPAND_DIMS || op->opc == TC_OP_TRANS || op->opc == TC_OP_CONVERT_LAYOUT;
        if (moves && i == 0 && op->nresults == 1 && u->depth < 3 &&
            rounded_on_every_use(u->c, op->results[0], u->depth + 1))
            continue;
        u->ok = false;
    }
}

/* Whether every use of v rounds it to its dtype: v is stored, or only moved
 * (splat, broadcast, reshape, expand_dims, trans) into values that are. */
static bool rounded_on_every_use(const Canon *c, const TcIrValue *v, int depth)
{
    UseScan u = {.c = c, .v = v, .depth = depth, .ok = true};
    tc_ir_walk_func(c->func, scan_use, &u);
    return u.ok;
}

/* Folds an element-wise op with tc_fold_scalar. An f16/bf16 result the
 * dtype cannot hold is refused there (the op carries it in f32), but still
 * folds here when every use rounds it to the dtype anyway. */
static bool fold_elementwise(const Canon *c, TcIrOp *op, TcDtype dt, const TcScalar *in, TcScalar *r)
{
    if (tc_fold_scalar(op->opc, dt, in, r)) return true;
    if ((dt != TC_F16 && dt != TC_BF16) || !tc_eval_scalar(op->opc, dt, in, r) ||
        !rounded_on_every_use(c, op->results[0], 0))
        return false;
    *r = tc_scalar_normalize(dt, *r);
    return true;
}

/* The folded value of op, when every operand it needs is constant. */
static bool fold(const Canon *c, TcIrOp *op, TcScalar *r)
{
    if (op->nresults != 1) return false;
    TcDtype rdt = op->results[0]->type->dtype;
    Cst a, b;
    TcScalar in[2];
    switch (op->opc) {
    case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL: case TC_OP_DIV: case TC_OP_REM:
    case TC_OP_MAX: case TC_OP_MIN: case TC_OP_AND: case TC_OP_OR: case TC_OP_XOR:
    case TC_OP_SHL: case TC_OP_SHR:
    case TC_OP_EQ: case TC_OP_NE: case TC_OP_LT: case TC_OP_LE: case TC_OP_GT: case TC_OP_GE:
        if (op->noperands != 2 || !get_const(op->operands[0], &a) || !get_const(op->operands[1], &b) ||
            a.dt != b.dt || rdt != (tc_op_info(op->opc)->rule == TC_RR_BOOL ? TC_BOOL : a.dt))
            return false;
        /* division by zero: the run-time result stays with the target */
        if ((op->opc == TC_OP_DIV || op->opc == TC_OP_REM) &&
            (tc_dtype_is_float(b.dt) ? b.v.f == 0 : b.v.i == 0))
            return false;
        in[0] = a.v;
        in[1] = b.v;
        return fold_elementwise(c, op, a.dt, in, r);
    case TC_OP_NEG: case TC_OP_NOT: case TC_OP_ABS: case TC_OP_SQRT: /* no transcendentals */
        if (op->noperands != 1 || !get_const(op->operands[0], &a) || a.dt != rdt) return false;
        in[0] = a.v;
        return fold_elementwise(c, op, a.dt, in, r);
    case TC_OP_CAST:
        if (op->noperands != 1 || !get_const(op->operands[0], &a)) return false;
        *r = tc_scalar_cast(a.dt, rdt, a.v);
        return true;
    default:
        return false;
    }
}

/* ---------------------------------------------------------- identities */

static bool is_identity_perm(const TcIrOp *op)
{
    for (uint32_t i = 0; i < op->nints; i++)
        if (op->ints[i] != (int64_t)i) return false;
    return true;
}

/* The value op can be replaced by without folding, or NULL. May build a
 * zero const or a splat before op. */
static TcIrValue *simplify(Canon *c, TcIrOp *op)
{
    if (op->nresults != 1) return NULL;
    TcIrValue *res = op->results[0];
    TcIrValue *x = op->noperands > 0 ? op->operands[0] : NULL;
    TcIrValue *y = op->noperands > 1 ? op->operands[1] : NULL;
    bool isf = tc_dtype_is_float(res->type->dtype), isi = tc_dtype_is_int(res->type->dtype);
    Cst k;
    switch (op->opc) {
    case TC_OP_ADD:
        if (isi && is_int_value(y, 0)) return x;
        if (isi && is_int_value(x, 0)) return y;
        if (isf && is_float_value(y, 0.0, true)) return x;
        if (isf && is_float_value(x, 0.0, true)) return y;
        return NULL;
    case TC_OP_SUB:
        if (isi && is_int_value(y, 0)) return x;
        if (isf && is_float_value(y, 0.0, false)) return x;
        if (isi && x == y) return make_const(c, op, res->type, (TcScalar){0});
        return NULL;
    case TC_OP_MUL:
        if (isi && is_int_value(y, 1)) return x;
        if (isi && is_int_value(x, 1)) return y;
        if (isf && is_float_value(y, 1.0, false)) return x;
        if (isf && is_float_value(x, 1.0, false)) return y;
        if (isi && is_int_value(y, 0)) return y;
        if (isi && is_int_value(x, 0)) return x;
        return NULL;
    case TC_OP_DIV:
        if (isi && is_int_value(y, 1)) return x;
        if (isf && is_float_value(y, 1.0, false)) return x;
        return NULL;
    case TC_OP_AND:
    case TC_OP_OR:
        return x == y ? x : NULL;
    case TC_OP_NEG:
    case TC_OP_NOT:
        return x->def && x->def->opc == op->opc ? x->def->operands[0] : NULL;
    case TC_OP_SELECT:
        if (op->noperands != 3) return NULL;
        if (op->operands[1] == op->operands[2]) return op->operands[1];
        if (get_const(x, &k) && k.dt == TC_BOOL) return k.v.i ? op->operands[1] : op->operands[2];
        return NULL;
    case TC_OP_CONVERT_LAYOUT:
        if (x->type == res->type) return x;
        if (x->def && x->def->opc == TC_OP_CONVERT_LAYOUT && x->def->noperands == 1 &&
            x->def->operands[0]->type == res->type)
            return x->def->operands[0];
        return NULL;
    case TC_OP_CAST:
    case TC_OP_BROADCAST:
    case TC_OP_RESHAPE:
    case TC_OP_TRANS:
    case TC_OP_EXPAND_DIMS:
        if (x->type == res->type && op->opc != TC_OP_EXPAND_DIMS &&
            (op->opc != TC_OP_TRANS || is_identity_perm(op)))
            return x;
        if (op->opc != TC_OP_CAST && x->def && x->def->opc == TC_OP_SPLAT &&
            tc_type_is_tile(res->type) && x->type->dtype == res->type->dtype) {
            TcIrBuilder b;
            tc_ir_builder_at_end(&b, c->func, op->parent);
            b.before = op;
            b.loc = op->loc;
            return tc_ir_build_splat(&b, x->def->operands[0], res->type);
        }
        return NULL;
    default:
        return NULL;
    }
}

/* ------------------------------------------------------ control flow */

/* A constant scalar condition: 0 or 1; -1 when not constant. */
static int const_cond(TcIrValue *v)
{
    Cst k;
    if (!tc_type_is_scalar(v->type) || !get_const(v, &k) || k.dt != TC_BOOL) return -1;
    return k.v.i != 0;
}

/* Moves the taken region's ops before the `if`, maps the if's results to the
 * values it yields and unlinks the `if`. Returns the first moved op, or NULL. */
static TcIrOp *inline_if(Canon *c, TcIrOp *op, int taken)
{
    TcIrBlock *r = op->regions[taken];
    TcIrOp *y = tc_ir_block_terminator(r);
    TcIrOp *first = NULL;
    for (TcIrOp *o = r->first, *next; o && o != y; o = next) {
        next = o->next;
        tc_ir_op_unlink(o);
        tc_ir_insert_before(op, o);
        if (!first) first = o;
    }
    for (uint32_t i = 0; i < op->nresults && y && i < y->noperands; i++)
        replace(c, op->results[i], y->operands[i]);
    tc_ir_op_unlink(op);
    c->changed = true;
    return first;
}

/* A `for` whose constant bounds and positive constant step run zero times. */
static bool for_runs_zero_times(TcIrOp *op)
{
    Cst lo, hi, step;
    if (op->noperands < 3 || !get_const(op->operands[0], &lo) || !get_const(op->operands[1], &hi) ||
        !get_const(op->operands[2], &step))
        return false;
    if (!tc_dtype_is_int(lo.dt) || lo.dt != hi.dt || lo.dt != step.dt) return false;
    if (!int_less(step.dt, 0, step.v.i)) return false;
    return !int_less(lo.dt, lo.v.i, hi.v.i);
}

/* ---------------------------------------------------------------- walk */

static void canon_block(Canon *c, TcIrBlock *b)
{
    for (TcIrOp *op = b->first, *next; op; op = next) {
        next = op->next;
        for (uint32_t i = 0; i < op->noperands; i++) op->operands[i] = lookup(c, op->operands[i]);

        if (op->opc == TC_OP_IF && op->nregions == 2) {
            int taken = const_cond(op->operands[0]);
            if (taken >= 0) {
                TcIrOp *first = inline_if(c, op, taken ? 0 : 1);
                if (first) next = first; /* visit the moved ops next */
                continue;
            }
        } else if (op->opc == TC_OP_FOR && for_runs_zero_times(op)) {
            for (uint32_t i = 0; i < op->nresults && 3 + i < op->noperands; i++)
                replace(c, op->results[i], op->operands[3 + i]);
            tc_ir_op_unlink(op);
            c->changed = true;
            continue;
        }

        if (op->nregions == 0 && op->opc != TC_OP_CONST && (tc_op_info(op->opc)->flags & TC_OPF_PURE)) {
            TcScalar k;
            TcIrValue *to = NULL;
            if (fold(c, op, &k)) to = make_const(c, op, op->results[0]->type, k);
            else to = simplify(c, op);
            if (to) {
                replace(c, op->results[0], to);
                tc_ir_op_unlink(op);
                continue;
            }
        }
        for (uint32_t r = 0; r < op->nregions; r++) canon_block(c, op->regions[r]);
    }
}

/* requires: verified Tile IR */
static bool canonicalize_run(TcIrFunc *f, TcPassContext *ctx)
{
    Canon c = {.func = f, .scratch = ctx->scratch};
    for (int round = 0; round < MAX_ROUNDS; round++) {
        c.cap = f->nvalues;
        c.map = tc_arena_alloc(ctx->scratch, (c.cap ? c.cap : 1) * sizeof *c.map);
        c.changed = false;
        canon_block(&c, f->grid);
        canon_block(&c, f->body);
        if (!c.changed) break;
        ctx->changed = true;
    }
    return true;
}

const TcPass tc_pass_canonicalize = {
    .name = "canonicalize",
    .summary = "fold constants and simplify algebraic identities and constant control flow",
    .run = canonicalize_run,
};
