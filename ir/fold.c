/*
 * fold.c — the element semantics of Tile IR (docs/ir.md), written once: what
 * each element-wise op and `cast` compute on one element. The interpreter
 * calls these per element, canonicalize and sema fold constants with them, so
 * a folded constant is always the value the interpreter would compute.
 *
 * Three compute classes, as at run time: int64 for integers and bool (wrapped
 * to the dtype), float for f16/bf16/f32 (the f32 class: f16/bf16 are carried
 * in f32 and not rounded between ops), double for f64.
 *
 * Conversions round once: an integer goes to f16/bf16/f32 from its exact
 * value, an f64 to f16/bf16 directly (never through a rounded f32).
 *
 * Invariant: a TcScalar of an integer dtype holds its value already wrapped
 * to the dtype's width (sign-extended for signed types, zero-extended for
 * unsigned ones, 0/1 for bool); a float dtype's value is representable in
 * that dtype. tc_scalar_normalize establishes it; tc_eval_scalar may return
 * an f16/bf16 result that is only an f32 value, tc_fold_scalar never does.
 */
#include "ir.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------ rounding */

int64_t tc_int_wrap(TcDtype dt, int64_t v)
{
    switch (dt) {
    case TC_BOOL: return v != 0;
    case TC_I8: return (int8_t)v;
    case TC_I16: return (int16_t)v;
    case TC_I32: return (int32_t)v;
    case TC_U8: return (uint8_t)v;
    case TC_U16: return (uint16_t)v;
    case TC_U32: return (uint32_t)v;
    default: return v;
    }
}

static int64_t wrap_u(TcDtype dt, uint64_t v) { return tc_int_wrap(dt, (int64_t)v); }

/* An f32 value rounded to f16/bf16 (nearest even); f32 unchanged. */
static float round_small(TcDtype dt, float x)
{
    if (dt == TC_F16) return tc_f16_to_f32(tc_f32_to_f16(x));
    if (dt == TC_BF16) return tc_bf16_to_f32(tc_f32_to_bf16(x));
    return x;
}

/* double -> float rounding to odd: exact whenever the float is, otherwise the
 * odd one of the two neighbours. Rounding that to f16/bf16 (11 or 8 bits,
 * both <= 24 - 2) then gives the correctly rounded result of d. */
static float d2f_odd(double d)
{
    float f = (float)d;
    if (isnan(d) || isinf(f) || (double)f == d) return f;
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    if (!(bits & 1)) f = nextafterf(f, (double)f > d ? -INFINITY : INFINITY);
    return f;
}

double tc_float_round(TcDtype dt, double x)
{
    switch (dt) {
    case TC_F32: return (float)x;
    case TC_F16:
    case TC_BF16: return round_small(dt, d2f_odd(x));
    default: return x;
    }
}

/* An integer (bit pattern v, unsigned if uns) rounded once to float dtype dt. */
static double int_to_float(int64_t v, bool uns, TcDtype dt)
{
    if (dt == TC_F64) return uns ? (double)(uint64_t)v : (double)v;
    if (dt == TC_F32) return uns ? (float)(uint64_t)v : (float)v;
    /* f16/bf16: round the magnitude to p significant bits, exactly; the
     * result converts to float exactly and only overflow is left to do. */
    bool neg = !uns && v < 0;
    uint64_t mag = neg ? 0 - (uint64_t)v : (uint64_t)v;
    unsigned p = dt == TC_F16 ? 11 : 8, nb = 0;
    while (nb < 64 && (mag >> nb) != 0) nb++;
    double r;
    if (nb <= p) {
        r = (double)mag;
    } else {
        unsigned drop = nb - p;
        uint64_t keep = mag >> drop, rem = mag & ((UINT64_C(1) << drop) - 1);
        uint64_t half = UINT64_C(1) << (drop - 1);
        if (rem > half || (rem == half && (keep & 1))) keep++;
        r = ldexp((double)keep, (int)drop);
    }
    return round_small(dt, (float)(neg ? -r : r));
}

/* A float value converted to integer dtype dt: truncation toward zero,
 * NaN -> 0, saturation at dt's range; bool: x != 0. */
static int64_t float_to_int(double x, TcDtype dt)
{
    if (dt == TC_BOOL) return x != 0;
    if (isnan(x)) return 0;
    double t = trunc(x);
    unsigned w = tc_dtype_bits(dt);
    if (tc_dtype_is_signed(dt)) {
        double lim = ldexp(1.0, (int)w - 1);
        if (t <= -lim) return (int64_t)(0 - (UINT64_C(1) << (w - 1)));
        if (t >= lim) return (int64_t)((UINT64_C(1) << (w - 1)) - 1);
        return (int64_t)t;
    }
    if (t <= 0) return 0;
    if (t >= ldexp(1.0, (int)w)) return w == 64 ? (int64_t)UINT64_MAX : (int64_t)((UINT64_C(1) << w) - 1);
    return (int64_t)(uint64_t)t;
}

TcScalar tc_scalar_normalize(TcDtype dt, TcScalar v)
{
    TcScalar r = v;
    if (tc_dtype_is_float(dt)) r.f = tc_float_round(dt, v.f);
    else r.i = tc_int_wrap(dt, v.i);
    return r;
}

TcScalar tc_scalar_cast(TcDtype from, TcDtype to, TcScalar v)
{
    TcScalar r = {0};
    bool ff = tc_dtype_is_float(from);
    if (tc_dtype_is_float(to))
        r.f = ff ? tc_float_round(to, v.f) : int_to_float(v.i, tc_dtype_is_unsigned(from), to);
    else if (ff)
        r.i = float_to_int(v.f, to);
    else
        r.i = tc_int_wrap(to, v.i);
    return r;
}

/* ------------------------------------------------------------ integers */

static bool is_cmp(TcOpcode op) { return op >= TC_OP_EQ && op <= TC_OP_GE; }

bool tc_eval_defined(TcOpcode op, TcDtype dt)
{
    bool flt = tc_dtype_is_float(dt), num = flt || tc_dtype_is_int(dt);
    switch (op) {
    case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL: case TC_OP_DIV: case TC_OP_REM:
    case TC_OP_MAX: case TC_OP_MIN: case TC_OP_NEG: case TC_OP_ABS:
        return num;
    case TC_OP_AND: case TC_OP_OR: case TC_OP_XOR: case TC_OP_NOT:
        return !flt;
    case TC_OP_SHL: case TC_OP_SHR:
        return tc_dtype_is_int(dt);
    case TC_OP_EQ: case TC_OP_NE: case TC_OP_LT: case TC_OP_LE: case TC_OP_GT: case TC_OP_GE:
        return true;
    case TC_OP_EXP: case TC_OP_EXP2: case TC_OP_LOG: case TC_OP_LOG2: case TC_OP_SQRT:
    case TC_OP_RSQRT: case TC_OP_TANH: case TC_OP_SIGMOID: case TC_OP_ERF:
        return flt;
    default:
        return false;
    }
}

/* The sign of a - b, compared as dt does (unsigned for unsigned and bool). */
static int int_order(TcDtype dt, int64_t a, int64_t b)
{
    if (tc_dtype_is_signed(dt)) return a < b ? -1 : a > b;
    return (uint64_t)a < (uint64_t)b ? -1 : (uint64_t)a > (uint64_t)b;
}

static bool order_holds(TcOpcode op, int s)
{
    switch (op) {
    case TC_OP_EQ: return s == 0;
    case TC_OP_NE: return s != 0;
    case TC_OP_LT: return s < 0;
    case TC_OP_LE: return s <= 0;
    case TC_OP_GT: return s > 0;
    default: return s >= 0;
    }
}

static bool shift_out_of_range(TcDtype dt, int64_t amount)
{
    return amount < 0 || amount >= (int64_t)tc_dtype_bits(dt);
}

int64_t tc_eval_int_binary(TcOpcode op, TcDtype dt, int64_t a, int64_t b)
{
    bool sg = tc_dtype_is_signed(dt);
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    if (is_cmp(op)) return order_holds(op, int_order(dt, a, b));
    switch (op) {
    case TC_OP_ADD: return wrap_u(dt, ua + ub);
    case TC_OP_SUB: return wrap_u(dt, ua - ub);
    case TC_OP_MUL: return wrap_u(dt, ua * ub);
    case TC_OP_DIV:
        if (b == 0) return 0;
        if (!sg) return wrap_u(dt, ua / ub);
        if (b == -1) return wrap_u(dt, 0 - ua);
        return tc_int_wrap(dt, a / b);
    case TC_OP_REM:
        if (b == 0) return 0;
        if (!sg) return wrap_u(dt, ua % ub);
        if (b == -1) return 0;
        return tc_int_wrap(dt, a % b);
    case TC_OP_MAX: return int_order(dt, a, b) >= 0 ? a : b;
    case TC_OP_MIN: return int_order(dt, a, b) <= 0 ? a : b;
    case TC_OP_AND: return tc_int_wrap(dt, a & b);
    case TC_OP_OR: return tc_int_wrap(dt, a | b);
    case TC_OP_XOR: return tc_int_wrap(dt, a ^ b);
    case TC_OP_SHL:
        if (shift_out_of_range(dt, b)) return 0;
        return wrap_u(dt, ua << b);
    case TC_OP_SHR:
        if (shift_out_of_range(dt, b)) return sg && a < 0 ? -1 : 0;
        if (sg) return a < 0 ? (int64_t)~(~ua >> b) : (int64_t)(ua >> b);
        return wrap_u(dt, ua >> b);
    default: return 0;
    }
}

int64_t tc_eval_int_unary(TcOpcode op, TcDtype dt, int64_t x)
{
    switch (op) {
    case TC_OP_NEG: return wrap_u(dt, 0 - (uint64_t)x);
    case TC_OP_NOT: return dt == TC_BOOL ? !x : tc_int_wrap(dt, ~x);
    case TC_OP_ABS: return tc_dtype_is_signed(dt) && x < 0 ? wrap_u(dt, 0 - (uint64_t)x) : x;
    default: return 0;
    }
}

/* -------------------------------------------------------------- floats */

bool tc_eval_float_compare(TcOpcode op, double a, double b)
{
    switch (op) {
    case TC_OP_EQ: return a == b;
    case TC_OP_NE: return a != b;
    case TC_OP_LT: return a < b;
    case TC_OP_LE: return a <= b;
    case TC_OP_GT: return a > b;
    case TC_OP_GE: return a >= b;
    default: return false;
    }
}

/* max/min: NaN if either is NaN; +0 is larger than -0. */
static float maxmin_f(bool is_max, float a, float b)
{
    if (isnan(a) || isnan(b)) return NAN;
    if (a == b) return (signbit(a) != 0) == is_max ? b : a;
    return (a > b) == is_max ? a : b;
}

static double maxmin_d(bool is_max, double a, double b)
{
    if (isnan(a) || isnan(b)) return NAN;
    if (a == b) return (signbit(a) != 0) == is_max ? b : a;
    return (a > b) == is_max ? a : b;
}

float tc_eval_f32_binary(TcOpcode op, float a, float b)
{
    switch (op) {
    case TC_OP_ADD: return a + b;
    case TC_OP_SUB: return a - b;
    case TC_OP_MUL: return a * b;
    case TC_OP_DIV: return a / b;
    case TC_OP_REM: return fmodf(a, b);
    case TC_OP_MAX: return maxmin_f(true, a, b);
    case TC_OP_MIN: return maxmin_f(false, a, b);
    default: return NAN;
    }
}

double tc_eval_f64_binary(TcOpcode op, double a, double b)
{
    switch (op) {
    case TC_OP_ADD: return a + b;
    case TC_OP_SUB: return a - b;
    case TC_OP_MUL: return a * b;
    case TC_OP_DIV: return a / b;
    case TC_OP_REM: return fmod(a, b);
    case TC_OP_MAX: return maxmin_d(true, a, b);
    case TC_OP_MIN: return maxmin_d(false, a, b);
    default: return NAN;
    }
}

float tc_eval_f32_unary(TcOpcode op, float x)
{
    switch (op) {
    case TC_OP_NEG: return -x;
    case TC_OP_ABS: return fabsf(x);
    case TC_OP_EXP: return expf(x);
    case TC_OP_EXP2: return exp2f(x);
    case TC_OP_LOG: return logf(x);
    case TC_OP_LOG2: return log2f(x);
    case TC_OP_SQRT: return sqrtf(x);
    case TC_OP_RSQRT: return 1.0f / sqrtf(x);
    case TC_OP_TANH: return tanhf(x);
    case TC_OP_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case TC_OP_ERF: return erff(x);
    default: return NAN;
    }
}

double tc_eval_f64_unary(TcOpcode op, double x)
{
    switch (op) {
    case TC_OP_NEG: return -x;
    case TC_OP_ABS: return fabs(x);
    case TC_OP_EXP: return exp(x);
    case TC_OP_EXP2: return exp2(x);
    case TC_OP_LOG: return log(x);
    case TC_OP_LOG2: return log2(x);
    case TC_OP_SQRT: return sqrt(x);
    case TC_OP_RSQRT: return 1.0 / sqrt(x);
    case TC_OP_TANH: return tanh(x);
    case TC_OP_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case TC_OP_ERF: return erf(x);
    default: return NAN;
    }
}

/* ------------------------------------------------------------- scalars */

bool tc_eval_scalar(TcOpcode op, TcDtype dt, const TcScalar *in, TcScalar *out)
{
    if (!tc_eval_defined(op, dt)) return false;
    bool unary = tc_op_info(op)->noperands == 1;
    TcScalar r = {0};
    if (!tc_dtype_is_float(dt)) {
        r.i = unary ? tc_eval_int_unary(op, dt, in[0].i) : tc_eval_int_binary(op, dt, in[0].i, in[1].i);
    } else if (!unary && is_cmp(op)) {
        r.i = tc_eval_float_compare(op, in[0].f, in[1].f);
    } else if (dt == TC_F64) {
        r.f = unary ? tc_eval_f64_unary(op, in[0].f) : tc_eval_f64_binary(op, in[0].f, in[1].f);
    } else {
        r.f = unary ? tc_eval_f32_unary(op, (float)in[0].f)
                    : tc_eval_f32_binary(op, (float)in[0].f, (float)in[1].f);
    }
    *out = r;
    return true;
}

bool tc_fold_scalar(TcOpcode op, TcDtype dt, const TcScalar *in, TcScalar *out)
{
    bool flt = tc_dtype_is_float(dt);
    if ((op == TC_OP_DIV || op == TC_OP_REM) && (flt ? in[1].f == 0 : in[1].i == 0)) return false;
    TcScalar r;
    if (!tc_eval_scalar(op, dt, in, &r)) return false;
    /* f16/bf16 results are carried in f32 at run time: a const rounded to
     * the dtype would differ from what the op computes. */
    if ((dt == TC_F16 || dt == TC_BF16) && !is_cmp(op) && !isnan(r.f) && tc_float_round(dt, r.f) != r.f)
        return false;
    *out = r;
    return true;
}
