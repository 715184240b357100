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
 *     -> one splat of the result type;
 *  3. control flow: `if` on a constant condition is replaced by the taken
 *     region's ops (moved before it) and its results by the values that
 *     region yields; `for` with constant bounds and step that runs zero times
 *     is replaced by its inits.
 * The walk repeats until nothing changes (at most MAX_ROUNDS times).
 *
 * Semantics are exactly Tile IR's (docs/ir.md): integers wrap to their width
 * and consts are kept sign- or zero-extended; div/rem truncate; INT_MIN / -1
 * = INT_MIN, rem 0; shifts by amounts outside [0, width) give 0 (-1 for shr
 * of a negative signed value). Floats are computed in their precision: f64 in
 * double, f32 in float, f16/bf16 in float and rounded to the type. Not
 * folded, on purpose: division or remainder by zero (integer or float; the
 * run-time result stays with the target), and the transcendental functions
 * (exp, exp2, log, log2, rsqrt, tanh, sigmoid, erf), whose run-time results
 * are not correctly rounded and differ between targets. Float x+0 folds only
 * for a -0.0 constant and x-0 only for +0.0, because -0.0 + 0.0 is +0.0;
 * x*0 never folds for floats (NaN, inf).
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

/* The value of a scalar const: ival for integers and bool, fval for floats. */
typedef struct Cst {
    TcDtype dt;
    int64_t i;
    double f;
} Cst;

/* v wrapped to dt's width, sign- or zero-extended to 64 bits. */
static int64_t wrap_int(TcDtype dt, uint64_t v)
{
    unsigned bits = tc_dtype_bits(dt);
    if (bits >= 64) return (int64_t)v;
    uint64_t mask = (UINT64_C(1) << bits) - 1;
    v &= mask;
    if (tc_dtype_is_signed(dt) && (v >> (bits - 1)) & 1) v |= ~mask;
    return (int64_t)v;
}

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
    out->f = d->fval;
    out->i = tc_dtype_is_float(out->dt) ? 0 : out->dt == TC_BOOL ? d->ival != 0
                                                                 : wrap_int(out->dt, (uint64_t)d->ival);
    return true;
}

static bool is_int_value(TcIrValue *v, int64_t k)
{
    Cst c;
    return get_const(v, &c) && !tc_dtype_is_float(c.dt) && c.i == k;
}

static bool is_float_value(TcIrValue *v, double k, bool negzero)
{
    Cst c;
    return get_const(v, &c) && tc_dtype_is_float(c.dt) && c.f == k &&
           (k != 0.0 || (signbit(c.f) != 0) == negzero);
}

/* A const of v's type (scalar) or a splat of one (tile), built before `at`. */
static TcIrValue *make_const(Canon *c, TcIrOp *at, TcType *type, const Cst *k)
{
    TcIrBuilder b;
    tc_ir_builder_at_end(&b, c->func, at->parent);
    b.before = at;
    b.loc = at->loc;
    TcIrValue *s = tc_dtype_is_float(type->dtype) ? tc_ir_build_const_float(&b, type->dtype, k->f)
                                                   : tc_ir_build_const_int(&b, type->dtype, k->i);
    if (tc_type_is_tile(type)) s = tc_ir_build_splat(&b, s, type);
    return s;
}

/* --------------------------------------------------------- float rounding */

/* x rounded to nearest even with p significant bits and the exponent range of
 * a format whose smallest normal is 2^emin (so subnormals round correctly). */
static double round_bits(double x, int p, int emin)
{
    if (x == 0 || isnan(x) || isinf(x)) return x;
    int e = ilogb(x);
    if (e < emin) e = emin;
    double ulp = ldexp(1.0, e - (p - 1));
    return nearbyint(x / ulp) * ulp;
}

/* x rounded to the float type dt (round to nearest even). */
static double round_float(TcDtype dt, double x)
{
    switch (dt) {
    case TC_F64: return x;
    case TC_F32: return (double)(float)x;
    case TC_F16:
    case TC_BF16: {
        if (isnan(x)) return x;
        float f = (float)x;
        if ((double)f != x) /* not a float: round once, straight to the type */
            f = (float)(dt == TC_F16 ? round_bits(x, 11, -14) : round_bits(x, 8, -126));
        return dt == TC_F16 ? tc_f16_to_f32(tc_f32_to_f16(f)) : tc_bf16_to_f32(tc_f32_to_bf16(f));
    }
    default: return x;
    }
}

static int float_precision(TcDtype dt)
{
    return dt == TC_F64 ? 53 : dt == TC_F32 ? 24 : dt == TC_F16 ? 11 : 8;
}

/* An integer (dtype src) converted to the float type dt, nearest even. */
static double int_to_float(TcDtype dt, TcDtype src, int64_t v)
{
    bool neg = tc_dtype_is_signed(src) && v < 0;
    uint64_t mag = neg ? 0 - (uint64_t)v : (uint64_t)v;
    int p = float_precision(dt), len = 0;
    for (uint64_t t = mag; t; t >>= 1) len++;
    if (len > p) { /* round the magnitude to p significant bits */
        int n = len - p;
        uint64_t q = mag >> n, rem = mag & ((UINT64_C(1) << n) - 1), half = UINT64_C(1) << (n - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return round_float(dt, ldexp((double)q, n) * (neg ? -1 : 1));
    }
    return round_float(dt, (double)mag * (neg ? -1 : 1)); /* exact */
}

/* A float (already a value of its type) converted to an integer type:
 * truncation toward zero, NaN -> 0, saturating at the type's range. */
static int64_t float_to_int(TcDtype dt, double x)
{
    if (isnan(x)) return 0;
    double t = trunc(x);
    unsigned bits = tc_dtype_bits(dt);
    if (tc_dtype_is_signed(dt)) {
        double lim = ldexp(1.0, (int)bits - 1);
        if (t >= lim) return wrap_int(dt, (UINT64_C(1) << (bits - 1)) - 1);
        if (t < -lim) return wrap_int(dt, UINT64_C(1) << (bits - 1));
        return (int64_t)t;
    }
    if (t <= 0) return 0;
    if (t >= ldexp(1.0, (int)bits)) return wrap_int(dt, UINT64_MAX);
    return wrap_int(dt, (uint64_t)t);
}

/* ------------------------------------------------------------- folding */

static bool int_less(TcDtype dt, int64_t a, int64_t b)
{
    return tc_dtype_is_signed(dt) ? a < b : (uint64_t)a < (uint64_t)b;
}

/* a OP b on integers of type dt (bool: the logical ops only). */
static bool fold_int_binary(TcOpcode opc, TcDtype dt, int64_t a, int64_t b, int64_t *r)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    bool sgn = tc_dtype_is_signed(dt);
    unsigned bits = tc_dtype_bits(dt);
    if (dt == TC_BOOL && opc != TC_OP_AND && opc != TC_OP_OR && opc != TC_OP_XOR) return false;
    switch (opc) {
    case TC_OP_ADD: *r = wrap_int(dt, ua + ub); return true;
    case TC_OP_SUB: *r = wrap_int(dt, ua - ub); return true;
    case TC_OP_MUL: *r = wrap_int(dt, ua * ub); return true;
    case TC_OP_DIV:
        if (b == 0) return false; /* evaluates to 0 at run time; left alone */
        if (sgn) *r = b == -1 ? wrap_int(dt, 0 - ua) : a / b;
        else *r = wrap_int(dt, ua / ub);
        return true;
    case TC_OP_REM:
        if (b == 0) return false;
        if (sgn) *r = b == -1 ? 0 : a % b;
        else *r = wrap_int(dt, ua % ub);
        return true;
    case TC_OP_MAX: *r = int_less(dt, a, b) ? b : a; return true;
    case TC_OP_MIN: *r = int_less(dt, b, a) ? b : a; return true;
    case TC_OP_AND: *r = wrap_int(dt, ua & ub); return true;
    case TC_OP_OR: *r = wrap_int(dt, ua | ub); return true;
    case TC_OP_XOR: *r = wrap_int(dt, ua ^ ub); return true;
    case TC_OP_SHL:
    case TC_OP_SHR: {
        bool in_range = sgn ? b >= 0 && b < (int64_t)bits : ub < bits;
        if (opc == TC_OP_SHL) {
            *r = in_range ? wrap_int(dt, ua << ub) : 0;
        } else if (sgn) {
            if (!in_range) *r = a < 0 ? -1 : 0;
            else *r = a < 0 ? (int64_t) ~(~ua >> ub) : (int64_t)(ua >> ub);
        } else {
            *r = in_range ? wrap_int(dt, ua >> ub) : 0;
        }
        return true;
    }
    default: return false;
    }
}

/* max/min with NaN winning and +0 above -0. */
static double fmax_ir(double a, double b, bool is_max)
{
    if (isnan(a)) return a;
    if (isnan(b)) return b;
    if (a == b && a == 0) return (signbit(a) != 0) == is_max ? b : a;
    return (a > b) == is_max ? a : b;
}

/* a OP b on floats of type dt, in the type's precision. */
static bool fold_float_binary(TcOpcode opc, TcDtype dt, double a, double b, double *r)
{
    if ((opc == TC_OP_DIV || opc == TC_OP_REM) && b == 0) return false;
    if (opc == TC_OP_MAX || opc == TC_OP_MIN) {
        *r = fmax_ir(a, b, opc == TC_OP_MAX);
        return true;
    }
    if (dt == TC_F64) {
        switch (opc) {
        case TC_OP_ADD: *r = a + b; return true;
        case TC_OP_SUB: *r = a - b; return true;
        case TC_OP_MUL: *r = a * b; return true;
        case TC_OP_DIV: *r = a / b; return true;
        case TC_OP_REM: *r = fmod(a, b); return true;
        default: return false;
        }
    }
    float fa = (float)a, fb = (float)b, fr;
    switch (opc) {
    case TC_OP_ADD: fr = fa + fb; break;
    case TC_OP_SUB: fr = fa - fb; break;
    case TC_OP_MUL: fr = fa * fb; break;
    case TC_OP_DIV: fr = fa / fb; break;
    case TC_OP_REM: fr = fmodf(fa, fb); break;
    default: return false;
    }
    *r = round_float(dt, fr);
    return true;
}

static bool fold_compare(TcOpcode opc, const Cst *a, const Cst *b)
{
    if (tc_dtype_is_float(a->dt)) {
        switch (opc) {
        case TC_OP_EQ: return a->f == b->f;
        case TC_OP_NE: return a->f != b->f;
        case TC_OP_LT: return a->f < b->f;
        case TC_OP_LE: return a->f <= b->f;
        case TC_OP_GT: return a->f > b->f;
        default: return a->f >= b->f;
        }
    }
    switch (opc) {
    case TC_OP_EQ: return a->i == b->i;
    case TC_OP_NE: return a->i != b->i;
    case TC_OP_LT: return int_less(a->dt, a->i, b->i);
    case TC_OP_LE: return !int_less(a->dt, b->i, a->i);
    case TC_OP_GT: return int_less(a->dt, b->i, a->i);
    default: return !int_less(a->dt, a->i, b->i);
    }
}

static bool fold_unary(TcOpcode opc, const Cst *x, Cst *r)
{
    TcDtype dt = x->dt;
    if (tc_dtype_is_float(dt)) {
        switch (opc) {
        case TC_OP_NEG: r->f = -x->f; return true;
        case TC_OP_ABS: r->f = fabs(x->f); return true;
        case TC_OP_SQRT:
            r->f = dt == TC_F64 ? sqrt(x->f) : round_float(dt, sqrtf((float)x->f));
            return true;
        default: return false;
        }
    }
    if (dt == TC_BOOL) {
        if (opc != TC_OP_NOT) return false;
        r->i = !x->i;
        return true;
    }
    switch (opc) {
    case TC_OP_NEG: r->i = wrap_int(dt, 0 - (uint64_t)x->i); return true;
    case TC_OP_NOT: r->i = wrap_int(dt, ~(uint64_t)x->i); return true;
    case TC_OP_ABS:
        r->i = tc_dtype_is_signed(dt) && x->i < 0 ? wrap_int(dt, 0 - (uint64_t)x->i) : x->i;
        return true;
    default: return false;
    }
}

static void fold_cast(const Cst *x, TcDtype to, Cst *r)
{
    TcDtype from = x->dt;
    bool ffrom = tc_dtype_is_float(from);
    if (to == TC_BOOL) r->i = ffrom ? x->f != 0 : x->i != 0;
    else if (tc_dtype_is_float(to)) r->f = ffrom ? round_float(to, x->f) : int_to_float(to, from, x->i);
    else r->i = ffrom ? float_to_int(to, x->f) : wrap_int(to, (uint64_t)x->i);
}

/* The folded value of op, when every operand it needs is constant. */
static bool fold(TcIrOp *op, Cst *r)
{
    if (op->nresults != 1) return false;
    TcDtype rdt = op->results[0]->type->dtype;
    memset(r, 0, sizeof *r);
    r->dt = rdt;
    Cst a, b;
    switch (op->opc) {
    case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL: case TC_OP_DIV: case TC_OP_REM:
    case TC_OP_MAX: case TC_OP_MIN: case TC_OP_AND: case TC_OP_OR: case TC_OP_XOR:
    case TC_OP_SHL: case TC_OP_SHR:
        if (op->noperands != 2 || !get_const(op->operands[0], &a) ||
            !get_const(op->operands[1], &b) || a.dt != rdt || b.dt != rdt)
            return false;
        if (tc_dtype_is_float(rdt)) return fold_float_binary(op->opc, rdt, a.f, b.f, &r->f);
        return fold_int_binary(op->opc, rdt, a.i, b.i, &r->i);
    case TC_OP_EQ: case TC_OP_NE: case TC_OP_LT: case TC_OP_LE: case TC_OP_GT: case TC_OP_GE:
        if (op->noperands != 2 || !get_const(op->operands[0], &a) ||
            !get_const(op->operands[1], &b) || a.dt != b.dt || rdt != TC_BOOL)
            return false;
        r->i = fold_compare(op->opc, &a, &b);
        return true;
    case TC_OP_NEG: case TC_OP_NOT: case TC_OP_ABS: case TC_OP_SQRT:
        if (op->noperands != 1 || !get_const(op->operands[0], &a) || a.dt != rdt) return false;
        return fold_unary(op->opc, &a, r);
    case TC_OP_CAST:
        if (op->noperands != 1 || !get_const(op->operands[0], &a)) return false;
        fold_cast(&a, rdt, r);
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
        if (isi && x == y) {
            Cst zero = {.dt = res->type->dtype};
            return make_const(c, op, res->type, &zero);
        }
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
        if (get_const(x, &k) && k.dt == TC_BOOL) return k.i ? op->operands[1] : op->operands[2];
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
    return k.i != 0;
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
    if (!int_less(step.dt, 0, step.i)) return false;
    return !int_less(lo.dt, lo.i, hi.i);
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
            Cst k;
            TcIrValue *to = NULL;
            if (fold(op, &k)) to = make_const(c, op, op->results[0]->type, &k);
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
