/*
 * gpu_target.h — the target-info interface of the SIMT code generator
 * (internal to codegen/): the single place that maps thread and block ids,
 * barriers, shuffles, shared memory, address spaces, device math, the kernel
 * entry and its metadata for one GPU target.
 *
 * codegen/gpu.c lowers Memory IR (after the tiling and smem passes) to one
 * LLVM function per kernel whose parameters follow the GPU ABI of
 * include/tilec_runtime.h (tensor: data pointer in the global address space,
 * then int64 sizes, then int64 strides; int64 / double scalars; int32 sizes),
 * plus, on the sim target only, a trailing `ptr` to the tilec_sim_thread.
 * Everything target-specific goes through a TcGpuTargetInfo.
 *
 * Targets: tc_gpu_target_nvptx (target_nvptx.c), tc_gpu_target_musa
 * (target_musa.c), tc_gpu_target_sim (target_sim.c).
 */
#ifndef TILEC_GPU_TARGET_H
#define TILEC_GPU_TARGET_H

#include "codegen.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

/* What a target hook may use while a kernel is being built. */
typedef struct TcGpuEnv {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;             /* positioned where the hook's code goes */
    LLVMValueRef fn;              /* the kernel function being built (NULL in module hooks) */
    LLVMValueRef sim_thread;      /* sim: the tilec_sim_thread * parameter; else NULL */
    const TcGpuProfile *prof;
    TcDiagEngine *de;
} TcGpuEnv;

typedef enum TcGpuSreg {
    TC_SREG_TID_X,      /* thread index in the block (x only: blocks are 1-D) */
    TC_SREG_NTID_X,     /* threads per block */
    TC_SREG_CTAID_X, TC_SREG_CTAID_Y, TC_SREG_CTAID_Z,
    TC_SREG_NCTAID_X, TC_SREG_NCTAID_Y, TC_SREG_NCTAID_Z,
} TcGpuSreg;

typedef struct TcGpuTargetInfo {
    const char *name;        /* "nvptx", "musa", "sim" */
    unsigned global_as;      /* address space of tensor data pointers */
    unsigned shared_as;      /* address space of shared memory */
    bool sim_thread_param;   /* kernels take a trailing tilec_sim_thread * */

    /* Sets the module's triple and data layout (no kernel yet: e->fn NULL). */
    void (*init_module)(TcGpuEnv *e);
    /* An i32 special register. */
    LLVMValueRef (*sreg)(TcGpuEnv *e, TcGpuSreg r);
    /* A block-wide barrier (all threads, shared memory ordered). */
    void (*barrier)(TcGpuEnv *e);
    /* Butterfly shuffle of an i32 over the whole warp (width = warp size):
     * returns lane (lane ^ lane_mask)'s value. Every lane executes it. */
    LLVMValueRef (*shfl_xor)(TcGpuEnv *e, LLVMValueRef v_i32, uint32_t lane_mask);
    /* Shuffle of an i32 from lane src_lane (an i32, may differ per thread)
     * over the whole warp. NULL: not available (MMA is then lowered as FMA
     * unless mma_16816 and ldmatrix are both given). */
    LLVMValueRef (*shfl_idx)(TcGpuEnv *e, LLVMValueRef v_i32, LLVMValueRef src_lane);
    /* ldmatrix .m8n8 .b16 with `count` (2 or 4) matrices, optionally .trans:
     * ptr (shared_as) is this lane's row address (lanes 8r..8r+7 give matrix
     * r's rows); out[r] gets this lane's 32-bit piece of matrix r. NULL: the
     * code generator emulates it with shfl_idx and shared loads. */
    void (*ldmatrix)(TcGpuEnv *e, LLVMValueRef ptr, unsigned count, bool trans, LLVMValueRef *out);
    /* mma.sync m16n8k16 row.col, f32 accumulators, f16 (bf16 when bf16) inputs:
     * a[4] and b[2] are i32 pairs in the PTX fragment layout, c[4] f32; d[4]
     * gets the result. NULL: emulated with shfl_idx (same fragment layout). */
    void (*mma_16816)(TcGpuEnv *e, bool bf16, LLVMValueRef *a, LLVMValueRef *b, LLVMValueRef *c, LLVMValueRef *d);
    /* Asynchronous copy of `bytes` (4, 8 or 16) bytes from src (global_as) to
     * dst (shared_as), both aligned to `bytes`; the copy belongs to the group
     * the next async_commit closes and has landed once an async_wait leaves
     * that group complete. NULL: no asynchronous copies (the code generator
     * copies synchronously; async_commit and async_wait are then not called). */
    void (*async_copy)(TcGpuEnv *e, LLVMValueRef dst, LLVMValueRef src, unsigned bytes);
    /* Closes the group of this thread's copies issued since the last commit.
     * NULL: nothing to do (groups are not tracked). */
    void (*async_commit)(TcGpuEnv *e);
    /* Waits until at most `pending` committed groups of this thread are still
     * in flight (a target may wait for more: for all of them). */
    void (*async_wait)(TcGpuEnv *e, uint32_t pending);
    /* Sim race checker (TcGpuOptions.racecheck): reports a shared-memory
     * access of `bytes` (i32) at byte offset `off` (i32) from the shared base
     * before it happens. NULL: the target cannot check. */
    void (*smem_access)(TcGpuEnv *e, LLVMValueRef off, LLVMValueRef bytes, bool is_write);
    /* Pointer (in shared_as) to the start of the kernel's dynamic shared memory. */
    LLVMValueRef (*smem_base)(TcGpuEnv *e);
    /* Device math for float op (exp, exp2, log, log2, sqrt, rsqrt, tanh, erf,
     * sigmoid) on a scalar x of LLVM type f32 (dt f16/bf16/f32) or f64 (dt
     * f64); NULL when the generic lowering (LLVM intrinsics) is right for this
     * target. May report a diagnostic and return an undef value. */
    LLVMValueRef (*math)(TcGpuEnv *e, TcOpcode op, TcDtype dt, LLVMValueRef x);
    /* Marks e->fn as a kernel entry with `threads` threads per block:
     * calling convention, attributes, metadata. */
    void (*finish_kernel)(TcGpuEnv *e, uint32_t threads);
} TcGpuTargetInfo;

extern const TcGpuTargetInfo tc_gpu_target_nvptx;
extern const TcGpuTargetInfo tc_gpu_target_musa;
extern const TcGpuTargetInfo tc_gpu_target_sim;

/* Helpers the NVPTX and MUSA target infos share (codegen/gpu.c). */
/* `@tilec_smem = external addrspace(as) global [0 x i8], align 16`: the
 * kernel's dynamic shared memory, sized at launch. */
LLVMValueRef tc_gpu_dynamic_smem(TcGpuEnv *e, unsigned as);
/* Adds {e->fn, "kernel", 1} and {e->fn, "maxntidx", threads} to the named
 * metadata `md` (nvvm.annotations, musa.annotations). */
void tc_gpu_annotate_kernel(TcGpuEnv *e, const char *md, uint32_t threads);

/* Calls (declaring on first use) intrinsic or function `name` of type
 * ret(args...) with the given arguments; attrs "convergent" etc. are added by
 * the caller when needed. */
LLVMValueRef tc_gpu_call(TcGpuEnv *e, const char *name, LLVMTypeRef ret, LLVMValueRef *args, unsigned nargs);

/*
 * Builds the LLVM module of every kernel of m (which must be Memory IR:
 * after the tiling and smem passes for opt->profile) for target ti, verified
 * and optimized at opt->opt_level with tm (NULL: target-independent passes
 * only). Each kernel K becomes function K; on the sim target also
 * `tilec_sim_K(void *const *params, tilec_sim_thread *t)`. The kernel's
 * signature text (with `smem`) goes to sigs[i] for kernel i when sigs is not
 * NULL (sigs has m->funcs.len entries, initialized by the caller). NULL after
 * a diagnostic.
 */
LLVMModuleRef tc_gpu_build_module(TcIrModule *m, const TcGpuTargetInfo *ti, const TcGpuOptions *opt,
                                  LLVMContextRef ctx, LLVMTargetMachineRef tm, TcStrBuf *sigs, TcDiagEngine *de);

#endif
