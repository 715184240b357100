/*
 * elem.c — element semantics on LLVM SSA scalars (elem.h), shared by the CPU
 * and GPU code generators.
 */
#include "elem.h"

#include <string.h>

void tc_el_init_types(TcLlvm *c)
{
    c->t_void = LLVMVoidTypeInContext(c->ctx);
    c->t_i1 = LLVMInt1TypeInContext(c->ctx);
    c->t_i8 = LLVMInt8TypeInContext(c->ctx);
    c->t_i16 = LLVMInt16TypeInContext(c->ctx);
    c->t_i32 = LLVMInt32TypeInContext(c->ctx);
    c->t_i64 = LLVMInt64TypeInContext(c->ctx);
    c->t_f16 = LLVMHalfTypeInContext(c->ctx);
    c->t_f32 = LLVMFloatTypeInContext(c->ctx);
    c->t_f64 = LLVMDoubleTypeInContext(c->ctx);
    c->t_ptr = LLVMPointerTypeInContext(c->ctx, 0);
}

static LLVMValueRef ci32(TcLlvm *c, int64_t v) { return LLVMConstInt(c->t_i32, (unsigned long long)v, 1); }

LLVMTypeRef tc_el_storage_type(TcLlvm *c, TcDtype dt)
{
    switch (dt) {
    case TC_BOOL: case TC_I8: case TC_U8: return c->t_i8;
    case TC_I16: case TC_U16: return c->t_i16;
    case TC_I32: case TC_U32: return c->t_i32;
    case TC_I64: case TC_U64: return c->t_i64;
    case TC_F16: case TC_BF16: case TC_F32: return c->t_f32;
    default: return c->t_f64;
    }
}

/* An SSA scalar of this dtype: bool as i1; f16/bf16 as f32. */
LLVMTypeRef tc_el_value_type(TcLlvm *c, TcDtype dt)
{
    return dt == TC_BOOL ? c->t_i1 : tc_el_storage_type(c, dt);
}

/* An element in tensor memory. */
LLVMTypeRef tc_el_memory_type(TcLlvm *c, TcDtype dt)
{
    if (dt == TC_F16) return c->t_f16;
    if (dt == TC_BF16) return c->t_i16;
    return tc_el_storage_type(c, dt);
}

LLVMValueRef tc_el_intrinsic(TcLlvm *c, const char *name, LLVMTypeRef *tys, unsigned ntys, LLVMTypeRef *fnty)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    if (!id) TC_ICE("LLVM has no intrinsic %s", name);
    *fnty = LLVMIntrinsicGetType(c->ctx, id, tys, ntys);
    return LLVMGetIntrinsicDeclaration(c->mod, id, tys, ntys);
}

LLVMValueRef tc_el_call_intrinsic(TcLlvm *c, const char *name, LLVMTypeRef *tys, unsigned ntys, LLVMValueRef *args,
                                   unsigned nargs)
{
    LLVMTypeRef fty;
    LLVMValueRef fn = tc_el_intrinsic(c, name, tys, ntys, &fty);
    return LLVMBuildCall2(c->b, fty, fn, args, nargs, "");
}

/* A C library function float(float) or double(double). */
LLVMValueRef tc_el_call_libm(TcLlvm *c, const char *name, LLVMTypeRef ty, LLVMValueRef x)
{
    LLVMTypeRef fty = LLVMFunctionType(ty, &ty, 1, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(c->mod, name);
    if (!fn) {
        fn = LLVMAddFunction(c->mod, name, fty);
        LLVMSetLinkage(fn, LLVMExternalLinkage);
    }
    return LLVMBuildCall2(c->b, fty, fn, &x, 1, "");
}

/* ------------------------------------------------ f16 / bf16 rounding */

/* f32 -> nearest-even bf16, returned as its 16 bits (i16). */
LLVMValueRef tc_el_f32_to_bf16(TcLlvm *c, LLVMValueRef x)
{
    LLVMValueRef bits = LLVMBuildBitCast(c->b, x, c->t_i32, "");
    LLVMValueRef hi = LLVMBuildLShr(c->b, bits, ci32(c, 16), "");
    LLVMValueRef lsb = LLVMBuildAnd(c->b, hi, ci32(c, 1), "");
    LLVMValueRef rounded = LLVMBuildAdd(c->b, bits, LLVMBuildAdd(c->b, lsb, ci32(c, 0x7fff), ""), "");
    LLVMValueRef r = LLVMBuildLShr(c->b, rounded, ci32(c, 16), "");
    LLVMValueRef qnan = LLVMBuildOr(c->b, hi, ci32(c, 0x40), "");
    LLVMValueRef isnan = LLVMBuildFCmp(c->b, LLVMRealUNO, x, x, "");
    return LLVMBuildTrunc(c->b, LLVMBuildSelect(c->b, isnan, qnan, r, ""), c->t_i16, "");
}

/* t, or a vector of t with as many lanes as x when x is a vector. */
static LLVMTypeRef shaped_like(LLVMTypeRef t, LLVMValueRef x)
{
    LLVMTypeRef xt = LLVMTypeOf(x);
    return LLVMGetTypeKind(xt) == LLVMVectorTypeKind ? LLVMVectorType(t, LLVMGetVectorSize(xt)) : t;
}

/* The i32 constant k, shaped like x (splat when x is a vector). */
static LLVMValueRef i32_like(TcLlvm *c, int32_t k, LLVMValueRef x)
{
    LLVMTypeRef xt = LLVMTypeOf(x);
    if (LLVMGetTypeKind(xt) != LLVMVectorTypeKind) return ci32(c, k);
    enum { MAX_LANES = 64 };
    unsigned n = LLVMGetVectorSize(xt);
    if (n > MAX_LANES) TC_ICE("a %u-lane vector", n);
    LLVMValueRef lanes[MAX_LANES];
    for (unsigned i = 0; i < n; i++) lanes[i] = ci32(c, k);
    return LLVMConstVector(lanes, n);
}

/* bf16 bits (i16, or a vector of them) -> f32: the bits are an f32's high half. */
LLVMValueRef tc_el_bf16_to_f32(TcLlvm *c, LLVMValueRef h)
{
    LLVMValueRef w = LLVMBuildShl(c->b, LLVMBuildZExt(c->b, h, shaped_like(c->t_i32, h), ""), i32_like(c, 16, h), "");
    return LLVMBuildBitCast(c->b, w, shaped_like(c->t_f32, h), "");
}

/* Rounds an f32-held value to dtype dt's precision (f16, bf16), or returns it. */
LLVMValueRef tc_el_round_small(TcLlvm *c, TcDtype dt, LLVMValueRef x)
{
    if (dt == TC_F16) return LLVMBuildFPExt(c->b, LLVMBuildFPTrunc(c->b, x, c->t_f16, ""), c->t_f32, "");
    if (dt == TC_BF16) return tc_el_bf16_to_f32(c, tc_el_f32_to_bf16(c, x));
    return x;
}

/* Reads an element of dtype dt from tensor memory as an SSA value; *load
 * (if not NULL) is the load instruction. */
LLVMValueRef tc_el_mem_load(TcLlvm *c, TcDtype dt, LLVMValueRef ptr, LLVMValueRef *load)
{
    LLVMValueRef v = LLVMBuildLoad2(c->b, tc_el_memory_type(c, dt), ptr, "");
    if (load) *load = v;
    return tc_el_from_memory(c, dt, v);
}

/* An element of dtype dt as read from tensor memory (or a vector of them)
 * as SSA value(s): f16 and bf16 widened to f32, bool to i1. */
LLVMValueRef tc_el_from_memory(TcLlvm *c, TcDtype dt, LLVMValueRef v)
{
    if (dt == TC_F16) return LLVMBuildFPExt(c->b, v, shaped_like(c->t_f32, v), "");
    if (dt == TC_BF16) return tc_el_bf16_to_f32(c, v);
    if (dt == TC_BOOL) return LLVMBuildICmp(c->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    return v;
}

/* Writes v to tensor memory as dtype dt; returns the store instruction. */
LLVMValueRef tc_el_mem_store(TcLlvm *c, TcDtype dt, LLVMValueRef v, LLVMValueRef ptr)
{
    if (dt == TC_F16) v = LLVMBuildFPTrunc(c->b, v, c->t_f16, "");
    else if (dt == TC_BF16) v = tc_el_f32_to_bf16(c, v);
    else if (dt == TC_BOOL) v = LLVMBuildZExt(c->b, v, c->t_i8, "");
    return LLVMBuildStore(c->b, v, ptr);
}


/* exp/exp2/log/log2 through the target's hook, else the LLVM intrinsic. */
static LLVMValueRef el_math(TcLlvm *c, TcOpcode op, TcDtype dt, LLVMValueRef x)
{
    if (c->math) {
        LLVMValueRef r = c->math(c->math_ctx, op, dt, x);
        if (r) return r;
    }
    const char *name = op == TC_OP_EXP ? "llvm.exp" : op == TC_OP_EXP2 ? "llvm.exp2" : op == TC_OP_LOG ? "llvm.log" : "llvm.log2";
    LLVMTypeRef t = LLVMTypeOf(x);
    return tc_el_call_intrinsic(c, name, &t, 1, &x, 1);
}

/* max/min with NaN winning and +0 > -0, as compares and selects. */
static LLVMValueRef minmax_select(TcLlvm *c, TcOpcode opc, LLVMValueRef a, LLVMValueRef bv)
{
    LLVMBuilderRef b = c->b;
    LLVMTypeRef t = LLVMTypeOf(a);
    LLVMTypeRef it = t == c->t_f64 ? c->t_i64 : c->t_i32;
    LLVMValueRef pick = LLVMBuildFCmp(b, opc == TC_OP_MAX ? LLVMRealOGT : LLVMRealOLT, a, bv, "");
    LLVMValueRef r = LLVMBuildSelect(b, pick, a, bv, "");
    /* equal values: the sign bits decide (+0 for max, -0 for min) */
    LLVMValueRef ai = LLVMBuildBitCast(b, a, it, ""), bi = LLVMBuildBitCast(b, bv, it, "");
    LLVMValueRef z = opc == TC_OP_MAX ? LLVMBuildAnd(b, ai, bi, "") : LLVMBuildOr(b, ai, bi, "");
    r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, a, bv, ""), LLVMBuildBitCast(b, z, t, ""), r, "");
    r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, bv, bv, ""), bv, r, "");
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, a, a, ""), a, r, "");
}
/* Horner evaluation of c[0] + c[1] z + ... in f32. */
static LLVMValueRef poly(TcLlvm *c, LLVMValueRef z, const double *k, int n)
{
    LLVMValueRef r = LLVMConstReal(c->t_f32, k[n - 1]);
    for (int i = n - 2; i >= 0; i--)
        r = LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, r, z, ""), LLVMConstReal(c->t_f32, k[i]), "");
    return r;
}

/*
 * tanh in f32 without a library call, so loops over it vectorize: an odd
 * polynomial (Cephes' tanhf coefficients) for |x| < 0.625, where
 * 1 - 2/(e^2|x| + 1) would cancel, and (1 - t)/(1 + t) with t = e^-2|x|
 * elsewhere, with the sign of x restored. Accuracy: docs/cpu.md.
 */
static LLVMValueRef emit_tanh_f32(TcLlvm *c, LLVMValueRef x)
{
    static const double p[] = {-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2,
                               -5.70498872745e-3};
    LLVMTypeRef t = c->t_f32;
    LLVMValueRef ax = tc_el_call_intrinsic(c, "llvm.fabs", &t, 1, &x, 1);
    LLVMValueRef z = LLVMBuildFMul(c->b, x, x, "");
    LLVMValueRef small = LLVMBuildFAdd(c->b, x, LLVMBuildFMul(c->b, LLVMBuildFMul(c->b, poly(c, z, p, 5), z, ""), x, ""), "");
    LLVMValueRef m2 = LLVMBuildFMul(c->b, ax, LLVMConstReal(t, -2.0), "");
    LLVMValueRef e = el_math(c, TC_OP_EXP, TC_F32, m2);
    LLVMValueRef one = LLVMConstReal(t, 1.0);
    LLVMValueRef big = LLVMBuildFDiv(c->b, LLVMBuildFSub(c->b, one, e, ""), LLVMBuildFAdd(c->b, one, e, ""), "");
    LLVMValueRef args[2] = {big, x};
    big = tc_el_call_intrinsic(c, "llvm.copysign", &t, 1, args, 2);
    LLVMValueRef is_small = LLVMBuildFCmp(c->b, LLVMRealOLT, ax, LLVMConstReal(t, 0.625), "");
    return LLVMBuildSelect(c->b, is_small, small, big, "");
}

/*
 * erf in f32 without a library call: the odd Maclaurin series to x^13 for
 * |x| < 0.5, and Abramowitz & Stegun 7.1.26,
 * 1 - (a1 t + ... + a5 t^5) e^-x^2 with t = 1/(1 + 0.3275911|x|), elsewhere,
 * with the sign of x restored. Accuracy: docs/cpu.md.
 */
static LLVMValueRef emit_erf_f32(TcLlvm *c, LLVMValueRef x)
{
    static const double series[] = {1.1283791670955126, -0.37612638903183754, 0.11283791670955126,
                                    -0.026866170645131252, 0.0052239776254421878, -0.00085483270234508528,
                                    0.00012055332981789664};
    static const double as[] = {0.0, 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429};
    LLVMTypeRef t = c->t_f32;
    LLVMValueRef ax = tc_el_call_intrinsic(c, "llvm.fabs", &t, 1, &x, 1);
    LLVMValueRef z = LLVMBuildFMul(c->b, x, x, "");
    LLVMValueRef small = LLVMBuildFMul(c->b, x, poly(c, z, series, 7), "");
    LLVMValueRef one = LLVMConstReal(t, 1.0);
    LLVMValueRef tt = LLVMBuildFDiv(c->b, one, LLVMBuildFAdd(c->b, one, LLVMBuildFMul(c->b, ax, LLVMConstReal(t, 0.3275911), ""), ""), "");
    LLVMValueRef nz = LLVMBuildFNeg(c->b, z, "");
    LLVMValueRef e = el_math(c, TC_OP_EXP, TC_F32, nz);
    LLVMValueRef big = LLVMBuildFSub(c->b, one, LLVMBuildFMul(c->b, poly(c, tt, as, 6), e, ""), "");
    LLVMValueRef args[2] = {big, x};
    big = tc_el_call_intrinsic(c, "llvm.copysign", &t, 1, args, 2);
    LLVMValueRef is_small = LLVMBuildFCmp(c->b, LLVMRealOLT, ax, LLVMConstReal(t, 0.5), "");
    return LLVMBuildSelect(c->b, is_small, small, big, "");
}

/* ------------------------------------------------------ element ops */

/* Divisor that cannot trap: 1 where b == 0 or (signed) a == MIN && b == -1. */
static LLVMValueRef safe_divisor(TcLlvm *c, TcDtype dt, LLVMValueRef a, LLVMValueRef bv, LLVMValueRef *zero)
{
    LLVMTypeRef t = LLVMTypeOf(bv);
    LLVMValueRef z = LLVMConstInt(t, 0, 0), one = LLVMConstInt(t, 1, 0);
    *zero = LLVMBuildICmp(c->b, LLVMIntEQ, bv, z, "");
    LLVMValueRef bad = *zero;
    if (tc_dtype_is_signed(dt)) {
        unsigned bits = tc_dtype_bits(dt);
        LLVMValueRef min = LLVMConstInt(t, (unsigned long long)1 << (bits - 1), 0);
        LLVMValueRef ovf = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, a, min, ""),
                                        LLVMBuildICmp(c->b, LLVMIntEQ, bv, LLVMConstAllOnes(t), ""), "");
        bad = LLVMBuildOr(c->b, bad, ovf, "");
    }
    return LLVMBuildSelect(c->b, bad, one, bv, "");
}

/* An element-wise op on SSA values of operand dtype dt (Tile IR semantics). */
LLVMValueRef tc_el_elem(TcLlvm *c, TcOpcode opc, TcDtype dt, LLVMValueRef a, LLVMValueRef bv)
{
    LLVMBuilderRef b = c->b;
    if (tc_dtype_is_float(dt)) {
        LLVMTypeRef t = tc_el_value_type(c, dt);
        bool f64 = dt == TC_F64;
        switch (opc) {
        case TC_OP_ADD: return LLVMBuildFAdd(b, a, bv, "");
        case TC_OP_SUB: return LLVMBuildFSub(b, a, bv, "");
        case TC_OP_MUL: return LLVMBuildFMul(b, a, bv, "");
        case TC_OP_DIV: return LLVMBuildFDiv(b, a, bv, "");
        case TC_OP_REM: return LLVMBuildFRem(b, a, bv, "");
        case TC_OP_MAX: case TC_OP_MIN: {
            if (c->gpu) return minmax_select(c, opc, a, bv);
            LLVMValueRef args[2] = {a, bv};
            return tc_el_call_intrinsic(c, opc == TC_OP_MAX ? "llvm.maximum" : "llvm.minimum", &t, 1, args, 2);
        }
        case TC_OP_EQ: return LLVMBuildFCmp(b, LLVMRealOEQ, a, bv, "");
        case TC_OP_NE: return LLVMBuildFCmp(b, LLVMRealUNE, a, bv, "");
        case TC_OP_LT: return LLVMBuildFCmp(b, LLVMRealOLT, a, bv, "");
        case TC_OP_LE: return LLVMBuildFCmp(b, LLVMRealOLE, a, bv, "");
        case TC_OP_GT: return LLVMBuildFCmp(b, LLVMRealOGT, a, bv, "");
        case TC_OP_GE: return LLVMBuildFCmp(b, LLVMRealOGE, a, bv, "");
        case TC_OP_NEG: return LLVMBuildFNeg(b, a, "");
        case TC_OP_ABS: return tc_el_call_intrinsic(c, "llvm.fabs", &t, 1, &a, 1);
        case TC_OP_SQRT: return tc_el_call_intrinsic(c, "llvm.sqrt", &t, 1, &a, 1);
        case TC_OP_RSQRT:
            return LLVMBuildFDiv(b, LLVMConstReal(t, 1.0), tc_el_call_intrinsic(c, "llvm.sqrt", &t, 1, &a, 1), "");
        case TC_OP_EXP: return el_math(c, TC_OP_EXP, dt, a);
        case TC_OP_EXP2: return el_math(c, TC_OP_EXP2, dt, a);
        case TC_OP_LOG: return el_math(c, TC_OP_LOG, dt, a);
        case TC_OP_LOG2: return el_math(c, TC_OP_LOG2, dt, a);
        case TC_OP_TANH: case TC_OP_ERF: {
            LLVMValueRef r = f64 && c->math ? c->math(c->math_ctx, opc, dt, a) : NULL;
            if (r) return r;
            if (opc == TC_OP_TANH) return f64 ? tc_el_call_libm(c, "tanh", t, a) : emit_tanh_f32(c, a);
            return f64 ? tc_el_call_libm(c, "erf", t, a) : emit_erf_f32(c, a);
        }
        case TC_OP_SIGMOID: {
            LLVMValueRef na = LLVMBuildFNeg(b, a, "");
            LLVMValueRef e = el_math(c, TC_OP_EXP, dt, na);
            LLVMValueRef one = LLVMConstReal(t, 1.0);
            return LLVMBuildFDiv(b, one, LLVMBuildFAdd(b, one, e, ""), "");
        }
        default: break;
        }
        TC_ICE("no CPU lowering of float '%s'", tc_op_info(opc)->name);
    }
    bool sg = tc_dtype_is_signed(dt);
    LLVMTypeRef t = LLVMTypeOf(a);
    switch (opc) {
    case TC_OP_ADD: return LLVMBuildAdd(b, a, bv, "");
    case TC_OP_SUB: return LLVMBuildSub(b, a, bv, "");
    case TC_OP_MUL: return LLVMBuildMul(b, a, bv, "");
    case TC_OP_DIV: case TC_OP_REM: {
        LLVMValueRef zero;
        LLVMValueRef d = safe_divisor(c, dt, a, bv, &zero);
        LLVMValueRef q = opc == TC_OP_DIV ? (sg ? LLVMBuildSDiv(b, a, d, "") : LLVMBuildUDiv(b, a, d, ""))
                                          : (sg ? LLVMBuildSRem(b, a, d, "") : LLVMBuildURem(b, a, d, ""));
        return LLVMBuildSelect(b, zero, LLVMConstInt(t, 0, 0), q, "");
    }
    case TC_OP_MAX: return LLVMBuildSelect(b, LLVMBuildICmp(b, sg ? LLVMIntSGT : LLVMIntUGT, a, bv, ""), a, bv, "");
    case TC_OP_MIN: return LLVMBuildSelect(b, LLVMBuildICmp(b, sg ? LLVMIntSLT : LLVMIntULT, a, bv, ""), a, bv, "");
    case TC_OP_AND: return LLVMBuildAnd(b, a, bv, "");
    case TC_OP_OR: return LLVMBuildOr(b, a, bv, "");
    case TC_OP_XOR: return LLVMBuildXor(b, a, bv, "");
    case TC_OP_SHL: case TC_OP_SHR: {
        unsigned bits = tc_dtype_bits(dt);
        LLVMValueRef in = LLVMBuildICmp(b, LLVMIntULT, bv, LLVMConstInt(t, bits, 0), "");
        LLVMValueRef amt = LLVMBuildSelect(b, in, bv, LLVMConstInt(t, 0, 0), "");
        LLVMValueRef sh, out;
        if (opc == TC_OP_SHL) {
            sh = LLVMBuildShl(b, a, amt, "");
            out = LLVMConstInt(t, 0, 0);
        } else if (sg) {
            sh = LLVMBuildAShr(b, a, amt, "");
            out = LLVMBuildAShr(b, a, LLVMConstInt(t, bits - 1, 0), "");
        } else {
            sh = LLVMBuildLShr(b, a, amt, "");
            out = LLVMConstInt(t, 0, 0);
        }
        return LLVMBuildSelect(b, in, sh, out, "");
    }
    case TC_OP_EQ: return LLVMBuildICmp(b, LLVMIntEQ, a, bv, "");
    case TC_OP_NE: return LLVMBuildICmp(b, LLVMIntNE, a, bv, "");
    case TC_OP_LT: return LLVMBuildICmp(b, sg ? LLVMIntSLT : LLVMIntULT, a, bv, "");
    case TC_OP_LE: return LLVMBuildICmp(b, sg ? LLVMIntSLE : LLVMIntULE, a, bv, "");
    case TC_OP_GT: return LLVMBuildICmp(b, sg ? LLVMIntSGT : LLVMIntUGT, a, bv, "");
    case TC_OP_GE: return LLVMBuildICmp(b, sg ? LLVMIntSGE : LLVMIntUGE, a, bv, "");
    case TC_OP_NEG: return LLVMBuildSub(b, LLVMConstInt(t, 0, 0), a, "");
    case TC_OP_NOT: return LLVMBuildXor(b, a, LLVMConstAllOnes(t), "");
    case TC_OP_ABS:
        if (!sg) return a;
        return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, a, LLVMConstInt(t, 0, 0), ""),
                               LLVMBuildSub(b, LLVMConstInt(t, 0, 0), a, ""), a, "");
    default: break;
    }
    TC_ICE("no CPU lowering of integer '%s'", tc_op_info(opc)->name);
}

/* The `cast` op on one SSA value. */
LLVMValueRef tc_el_cast(TcLlvm *c, TcDtype from, TcDtype to, LLVMValueRef x)
{
    LLVMBuilderRef b = c->b;
    if (from == to) return x;
    bool ff = tc_dtype_is_float(from), tf = tc_dtype_is_float(to);
    LLVMTypeRef tt = tc_el_value_type(c, to);
    if (to == TC_BOOL) {
        if (ff) return LLVMBuildFCmp(b, LLVMRealUNE, x, LLVMConstReal(LLVMTypeOf(x), 0.0), "");
        return LLVMBuildICmp(b, LLVMIntNE, x, LLVMConstInt(LLVMTypeOf(x), 0, 0), "");
    }
    if (from == TC_BOOL) {
        if (tf) return tc_el_round_small(c, to, LLVMBuildUIToFP(b, x, tt, ""));
        return LLVMBuildZExt(b, x, tt, "");
    }
    if (ff && tf) {
        if (to == TC_F64) return from == TC_F64 ? x : LLVMBuildFPExt(b, x, c->t_f64, "");
        if (from == TC_F64) {
            if (to == TC_F16) return LLVMBuildFPExt(b, LLVMBuildFPTrunc(b, x, c->t_f16, ""), c->t_f32, "");
            x = LLVMBuildFPTrunc(b, x, c->t_f32, "");
        }
        return tc_el_round_small(c, to, x);
    }
    if (ff) {
        LLVMTypeRef tys[2] = {tt, LLVMTypeOf(x)};
        return tc_el_call_intrinsic(c, tc_dtype_is_signed(to) ? "llvm.fptosi.sat" : "llvm.fptoui.sat", tys, 2, &x, 1);
    }
    if (tf) {
        bool sg = tc_dtype_is_signed(from);
        if (to == TC_F16) {
            LLVMValueRef h = sg ? LLVMBuildSIToFP(b, x, c->t_f16, "") : LLVMBuildUIToFP(b, x, c->t_f16, "");
            return LLVMBuildFPExt(b, h, c->t_f32, "");
        }
        LLVMValueRef r = sg ? LLVMBuildSIToFP(b, x, tt, "") : LLVMBuildUIToFP(b, x, tt, "");
        return tc_el_round_small(c, to, r);
    }
    unsigned fb = tc_dtype_bits(from), tb = tc_dtype_bits(to);
    if (tb < fb) return LLVMBuildTrunc(b, x, tt, "");
    if (tb > fb) return tc_dtype_is_signed(from) ? LLVMBuildSExt(b, x, tt, "") : LLVMBuildZExt(b, x, tt, "");
    return x;
}


LLVMValueRef tc_el_to_i64(TcLlvm *c, TcDtype dt, LLVMValueRef x)
{
    if (tc_dtype_bits(dt) == 64) return x;
    return tc_dtype_is_signed(dt) ? LLVMBuildSExt(c->b, x, c->t_i64, "") : LLVMBuildZExt(c->b, x, c->t_i64, "");
}

void tc_el_view(TcLlvm *c, const TcElTensor *T, uint32_t k, const LLVMValueRef *idx, TcDtype dt, TcElTensor *out)
{
    LLVMValueRef zero = LLVMConstInt(c->t_i64, 0, 0);
    LLVMValueRef ok = LLVMConstInt(c->t_i1, 1, 0), off = zero;
    for (uint32_t d = 0; d < k; d++) {
        ok = LLVMBuildAnd(c->b, ok, LLVMBuildICmp(c->b, LLVMIntULT, idx[d], T->size[d], ""), "");
        off = LLVMBuildAdd(c->b, off, LLVMBuildMul(c->b, idx[d], T->stride[d], ""), "");
    }
    off = LLVMBuildSelect(c->b, ok, off, zero, "");
    out->data = LLVMBuildGEP2(c->b, tc_el_memory_type(c, dt), T->data, &off, 1, "view");
    out->rank = T->rank - k;
    out->unit_inner = T->unit_inner;
    for (uint32_t d = 0; d < out->rank; d++) {
        out->size[d] = LLVMBuildSelect(c->b, ok, T->size[k + d], zero, "");
        out->stride[d] = T->stride[k + d];
    }
}
