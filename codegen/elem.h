/*
 * elem.h — element semantics of Tile IR (docs/ir.md) on LLVM SSA scalars,
 * shared by the CPU and the GPU code generators (internal to codegen/).
 *
 * One place defines how each element-wise op, cast, f16/bf16 rounding and
 * memory element is built in LLVM IR, so every target computes what the
 * interpreter computes. Targets differ only through the fields of TcLlvm:
 * `gpu` (max/min as compare and select: some GPU back ends cannot select
 * llvm.maximum) and the `math` hook (device exp/log).
 */
#ifndef TILEC_ELEM_H
#define TILEC_ELEM_H

#include "ir.h"

#include <llvm-c/Core.h>

typedef struct TcLlvm TcLlvm;

/* exp, exp2, log, log2 (and the exp inside tanh, erf, sigmoid) of x, of LLVM
 * type f32 (dt f16/bf16/f32) or f64; NULL to use the LLVM intrinsic. */
typedef LLVMValueRef (*TcMathHook)(void *ctx, TcOpcode op, TcDtype dt, LLVMValueRef x);

struct TcLlvm {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTypeRef t_void, t_i1, t_i8, t_i16, t_i32, t_i64, t_f16, t_f32, t_f64, t_ptr;
    bool gpu;
    TcMathHook math;
    void *math_ctx;
};

/* A tensor (parameter or view) as LLVM values. */
typedef struct TcElTensor {
    LLVMValueRef data;                 /* pointer to element [0, ..., 0] */
    uint32_t rank;
    LLVMValueRef size[TC_MAX_RANK];    /* i64; 0 for an empty view */
    LLVMValueRef stride[TC_MAX_RANK];  /* i64, in elements */
    bool unit_inner;                   /* innermost stride known to be 1 */
} TcElTensor;

/* Fills the type fields from ctx (mod and b are set by the caller). */
void tc_el_init_types(TcLlvm *c);

/* A scalar element held in memory the code generator owns (CPU tile
 * scratch): bool as i8; f16/bf16/f32 as f32. */
LLVMTypeRef tc_el_storage_type(TcLlvm *c, TcDtype dt);
/* An SSA scalar of this dtype: bool as i1; f16/bf16 as f32. */
LLVMTypeRef tc_el_value_type(TcLlvm *c, TcDtype dt);
/* An element in memory: f16 as half, bf16 as i16, bool as i8. */
LLVMTypeRef tc_el_memory_type(TcLlvm *c, TcDtype dt);

LLVMValueRef tc_el_intrinsic(TcLlvm *c, const char *name, LLVMTypeRef *tys, unsigned ntys, LLVMTypeRef *fnty);
LLVMValueRef tc_el_call_intrinsic(TcLlvm *c, const char *name, LLVMTypeRef *tys, unsigned ntys, LLVMValueRef *args,
                                  unsigned nargs);
/* A C library function float(float) or double(double). */
LLVMValueRef tc_el_call_libm(TcLlvm *c, const char *name, LLVMTypeRef ty, LLVMValueRef x);

LLVMValueRef tc_el_f32_to_bf16(TcLlvm *c, LLVMValueRef x);
LLVMValueRef tc_el_bf16_to_f32(TcLlvm *c, LLVMValueRef h);
/* Rounds an f32-held value to dtype dt's precision (f16, bf16), or returns it. */
LLVMValueRef tc_el_round_small(TcLlvm *c, TcDtype dt, LLVMValueRef x);
/* Reads / writes an element of dtype dt at ptr (any address space). */
LLVMValueRef tc_el_mem_load(TcLlvm *c, TcDtype dt, LLVMValueRef ptr, LLVMValueRef *load); /* load: NULL or the instruction */
LLVMValueRef tc_el_from_memory(TcLlvm *c, TcDtype dt, LLVMValueRef v); /* scalar or vector */
LLVMValueRef tc_el_mem_store(TcLlvm *c, TcDtype dt, LLVMValueRef v, LLVMValueRef ptr);    /* returns the store */

/* An integer scalar of dtype dt sign- or zero-extended to i64. */
LLVMValueRef tc_el_to_i64(TcLlvm *c, TcDtype dt, LLVMValueRef x);
/* The view T[idx0, ..., idx(k-1)] of elements of dtype dt (idx: i64): an
 * empty view (all sizes 0) when an index is outside. */
void tc_el_view(TcLlvm *c, const TcElTensor *T, uint32_t k, const LLVMValueRef *idx, TcDtype dt, TcElTensor *out);

/* An element-wise op on SSA values of operand dtype dt (bv unused for unary ops). */
LLVMValueRef tc_el_elem(TcLlvm *c, TcOpcode opc, TcDtype dt, LLVMValueRef a, LLVMValueRef bv);
/* The `cast` op on one SSA value. */
LLVMValueRef tc_el_cast(TcLlvm *c, TcDtype from, TcDtype to, LLVMValueRef x);

#endif
