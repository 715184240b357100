/*
 * fold.c — evaluation of Tile IR ops on scalar constants, with exactly the
 * semantics of docs/ir.md (wrapping integers, truncating division, NaN-
 * propagating max/min, f16/bf16 rounded through f32).
 *
 * Invariant: a TcScalar of an integer dtype holds its value already wrapped
 * to the dtype's width (sign-extended for signed types, zero-extended for
 * unsigned ones, 0/1 for bool); a float dtype's value is representable in
 * that dtype. tc_scalar_normalize establishes it.
 */
#include "ir.h"

#include <math.h>

TcScalar tc_scalar_normalize(TcDtype dt, TcScalar v)
{
    TcScalar r = v;
    switch (dt) {
    case TC_BOOL: r.i = v.i != 0; break;
    case TC_I8: r.i = (int8_t)v.i; break;
    case TC_I16: r.i = (int16_t)v.i; break;
    case TC_I32: r.i = (int32_t)v.i; break;
    case TC_U8: r.i = (uint8_t)v.i; break;
    case TC_U16: r.i = (uint16_t)v.i; break;
    case TC_U32: r.i = (uint32_t)v.i; break;
    case TC_I64: case TC_U64: break;
    case TC_F16: r.f = tc_f16_to_f32(tc_f32_to_f16((float)v.f)); break;
    case TC_BF16: r.f = tc_bf16_to_f32(tc_f32_to_bf16((float)v.f)); break;
    case TC_F32: r.f = (float)v.f; break;
    case TC_F64: break;
    case TC_DTYPE_COUNT: break;
    }
    return r;
}

/* Rounds a float-class result: f16/bf16/f32 are computed in f32. */
static double fround(TcDtype dt, double x) { return dt == TC_F64 ? x : (double)(float)x; }

static double fmaxnan(double a, double b, bool want_max)
{
    if (isnan(a) || isnan(b)) return NAN;
    if (a == b) { /* +0 is larger than -0 */
        bool neg_a = signbit(a);
        return want_max ? (neg_a ? b : a) : (neg_a ? a : b);
    }
    return (a > b) == want_max ? a : b;
}

static double funary(TcOpcode op, TcDtype dt, double x)
{
    if (dt == TC_F64) {
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
    float f = (float)x;
    switch (op) {
    case TC_OP_NEG: return -f;
    case TC_OP_ABS: return fabsf(f);
    case TC_OP_EXP: return expf(f);
    case TC_OP_EXP2: return exp2f(f);
    case TC_OP_LOG: return logf(f);
    case TC_OP_LOG2: return log2f(f);
    case TC_OP_SQRT: return sqrtf(f);
    case TC_OP_RSQRT: return 1.0f / sqrtf(f);
    case TC_OP_TANH: return tanhf(f);
    case TC_OP_SIGMOID: return 1.0f / (1.0f + expf(-f));
    case TC_OP_ERF: return erff(f);
    default: return NAN;
    }
}

static int64_t ishift(TcOpcode op, TcDtype dt, int64_t a, int64_t amt)
{
    unsigned bits = tc_dtype_bits(dt);
    bool sgn = tc_dtype_is_signed(dt);
    if (amt < 0 || (uint64_t)amt >= bits) {
        if (op == TC_OP_SHL || !sgn) return 0;
        return a < 0 ? -1 : 0;
    }
    if (op == TC_OP_SHL) return (int64_t)((uint64_t)a << amt);
    if (sgn) return a >> amt; /* a is sign-extended: arithmetic shift */
    return (int64_t)((uint64_t)a >> amt);
}

bool tc_fold_scalar(TcOpcode op, TcDtype dt, const TcScalar *in, TcScalar *out)
{
    const TcOpInfo *info = tc_op_info(op);
    bool flt = tc_dtype_is_float(dt);
    bool uns = tc_dtype_is_unsigned(dt) || dt == TC_BOOL;
    TcScalar r = {0};
    TcDtype rdt = info->rule == TC_RR_BOOL ? TC_BOOL : dt;

    if (info->noperands == 1 && (info->flags & TC_OPF_ELEMENTWISE) && op != TC_OP_CAST) {
        if (flt) {
            r.f = fround(dt, funary(op, dt, in[0].f));
        } else if (op == TC_OP_NEG) {
            r.i = (int64_t)(0 - (uint64_t)in[0].i);
        } else if (op == TC_OP_NOT) {
            r.i = dt == TC_BOOL ? !in[0].i : ~in[0].i;
        } else if (op == TC_OP_ABS) {
            r.i = in[0].i < 0 && !uns ? (int64_t)(0 - (uint64_t)in[0].i) : in[0].i;
        } else {
            return false;
        }
        *out = tc_scalar_normalize(rdt, r);
        return true;
    }
    if (info->noperands != 2 || !(info->flags & TC_OPF_ELEMENTWISE)) return false;

    if (flt) {
        double a = in[0].f, b = in[1].f;
        switch (op) {
        case TC_OP_ADD: r.f = fround(dt, a + b); break;
        case TC_OP_SUB: r.f = fround(dt, a - b); break;
        case TC_OP_MUL: r.f = fround(dt, a * b); break;
        case TC_OP_DIV: r.f = fround(dt, a / b); break;
        case TC_OP_REM: r.f = dt == TC_F64 ? fmod(a, b) : fmodf((float)a, (float)b); break;
        case TC_OP_MAX: r.f = fmaxnan(a, b, true); break;
        case TC_OP_MIN: r.f = fmaxnan(a, b, false); break;
        case TC_OP_EQ: r.i = a == b; break;
        case TC_OP_NE: r.i = a != b; break;
        case TC_OP_LT: r.i = a < b; break;
        case TC_OP_LE: r.i = a <= b; break;
        case TC_OP_GT: r.i = a > b; break;
        case TC_OP_GE: r.i = a >= b; break;
        default: return false;
        }
        *out = tc_scalar_normalize(rdt, r);
        return true;
    }

    int64_t a = in[0].i, b = in[1].i;
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (op) {
    case TC_OP_ADD: r.i = (int64_t)(ua + ub); break;
    case TC_OP_SUB: r.i = (int64_t)(ua - ub); break;
    case TC_OP_MUL: r.i = (int64_t)(ua * ub); break;
    case TC_OP_DIV:
    case TC_OP_REM:
        if (b == 0) return false; /* defined as 0 at run time, but never folded */
        if (uns) r.i = (int64_t)(op == TC_OP_DIV ? ua / ub : ua % ub);
        else if (a == INT64_MIN && b == -1) r.i = op == TC_OP_DIV ? a : 0;
        else r.i = op == TC_OP_DIV ? a / b : a % b;
        break;
    case TC_OP_MAX: r.i = uns ? (ua > ub ? a : b) : (a > b ? a : b); break;
    case TC_OP_MIN: r.i = uns ? (ua < ub ? a : b) : (a < b ? a : b); break;
    case TC_OP_AND: r.i = a & b; break;
    case TC_OP_OR: r.i = a | b; break;
    case TC_OP_XOR: r.i = a ^ b; break;
    case TC_OP_SHL:
    case TC_OP_SHR: r.i = ishift(op, dt, a, b); break;
    case TC_OP_EQ: r.i = a == b; break;
    case TC_OP_NE: r.i = a != b; break;
    case TC_OP_LT: r.i = uns ? ua < ub : a < b; break;
    case TC_OP_LE: r.i = uns ? ua <= ub : a <= b; break;
    case TC_OP_GT: r.i = uns ? ua > ub : a > b; break;
    case TC_OP_GE: r.i = uns ? ua >= ub : a >= b; break;
    default: return false;
    }
    *out = tc_scalar_normalize(rdt, r);
    return true;
}

/* Float to integer: truncate toward zero, NaN -> 0, saturate at the range. */
static int64_t f2i(double x, TcDtype to)
{
    if (isnan(x)) return 0;
    unsigned bits = tc_dtype_bits(to);
    if (tc_dtype_is_unsigned(to)) {
        double max = bits == 64 ? 18446744073709551615.0 : (double)((UINT64_C(1) << bits) - 1);
        if (x <= 0) return 0;
        if (x >= max) return bits == 64 ? (int64_t)UINT64_MAX : (int64_t)((UINT64_C(1) << bits) - 1);
        return (int64_t)(uint64_t)x;
    }
    double lo = -ldexp(1.0, (int)bits - 1), hi = ldexp(1.0, (int)bits - 1);
    if (x <= lo) return bits == 64 ? INT64_MIN : -(INT64_C(1) << (bits - 1));
    if (x >= hi) return bits == 64 ? INT64_MAX : (INT64_C(1) << (bits - 1)) - 1;
    return (int64_t)x;
}

TcScalar tc_scalar_cast(TcDtype from, TcDtype to, TcScalar v)
{
    TcScalar r = {0};
    bool ff = tc_dtype_is_float(from), tf = tc_dtype_is_float(to);
    if (to == TC_BOOL) r.i = ff ? v.f != 0 : v.i != 0;
    else if (ff && tf) r.f = v.f;
    else if (ff) r.i = f2i(v.f, to);
    else if (tf) r.f = tc_dtype_is_unsigned(from) ? (double)(uint64_t)v.i : (double)v.i;
    else r.i = v.i;
    if (tf && to != TC_F64 && !ff) {
        /* int -> f32 class: round once, to f32, from the exact integer */
        r.f = tc_dtype_is_unsigned(from) ? (double)(float)(uint64_t)v.i : (double)(float)v.i;
    }
    return tc_scalar_normalize(to, r);
}
