/*
 * target_musa.c — target info of the musa target (Moore Threads GPUs). The
 * facts and where each was seen: /work/shared/MUSA.md and docs/musa.md.
 *
 * Upstream LLVM has no mtgpu back end, so the module is built with no
 * target machine and printed for MUSA's LLVM 14 based toolkit (llvm14.c):
 *  - triple mtgpu-mt-musa and MUSA's data layout (global memory is address
 *    space 1, shared memory 3 with 32-bit pointers);
 *  - thread ids llvm.musa.read.ptx.sreg.*, barrier llvm.musa.barrier0,
 *    shuffles llvm.musa.shfl.xor.sync.i32(v, lane_mask, maskAndClamp,
 *    ptr addrspace(5) null) with maskAndClamp = ((128 - width) << 7) |
 *    (width - 1), width = the profile's warp size (128 on mp_21/mp_22, 32 on
 *    mp_31). LLVM 19 does not know these intrinsics, so their declarations
 *    get the attributes the NVVM counterparts have (sregs: nounwind, no
 *    memory; barrier and shuffle: convergent);
 *  - asynchronous copies: llvm.musa.memcpy.g2s and llvm.musa.memcpy.g2s.wait
 *    (no commit groups: a wait waits for all copies);
 *  - dynamic shared memory: `external addrspace(3) global [0 x i8]`,
 *    align 16 (as FlagTree's global_smem);
 *  - kernels: calling convention 102, "target-cpu"="mp_NN", and
 *    !musa.annotations {kernel 1} {maxntidx threads};
 *  - math: f32 exp is exp2(x * log2 e) (FlagTree's ExpOpConversionApprox),
 *    exp2/log/log2 are the scalar llvm.exp2/log/log2.f32 intrinsics (what
 *    FlagTree's math-to-LLVM lowering emits); f64 calls MUSA's libdevice
 *    (__mt_exp_f64, __mt_exp2_f64, __mt_log_f64, __mt_log2_f64, and
 *    __mt_tanh_f64, __mt_erf_f64, which FlagTree's libdevice wrappers name), linked in
 *    by --emit=bin (gpu_emit.c).
 */
#include "gpu_target.h"

#include <stdio.h>
#include <string.h>

#define MUSA_TRIPLE "mtgpu-mt-musa"
#define MUSA_DATALAYOUT                                                                                              \
    "e-p:64:64:64:64-p1:64:64:64:64-p2:64:64:64:64-p3:32:32-p4:32:32-p5:64:64-i64:64-v16:16-v24:32-v32:32-v48:64-" \
    "v96:128"

static void init_module(TcGpuEnv *e)
{
    LLVMSetTarget(e->mod, MUSA_TRIPLE);
    LLVMSetDataLayout(e->mod, MUSA_DATALAYOUT);
}

static void add_attr(TcGpuEnv *e, LLVMValueRef fn, const char *name, uint64_t val)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(e->ctx, kind, val));
}

/* Calls vendor intrinsic `name` and gives its declaration attributes: sregs
 * read no memory; barrier and shuffles are convergent. */
static LLVMValueRef call_musa(TcGpuEnv *e, const char *name, LLVMTypeRef ret, LLVMValueRef *args, unsigned n,
                              bool convergent, bool inaccessible)
{
    LLVMValueRef r = tc_gpu_call(e, name, ret, args, n);
    LLVMValueRef fn = LLVMGetNamedFunction(e->mod, name);
    add_attr(e, fn, "nounwind", 0);
    if (convergent) add_attr(e, fn, "convergent", 0);
    /* memory(none) = 0; memory(inaccessiblemem: readwrite) = ModRef (3) << 2*InaccessibleMem (1) */
    add_attr(e, fn, "memory", inaccessible ? 3u << 2 : 0);
    return r;
}

static LLVMValueRef sreg(TcGpuEnv *e, TcGpuSreg r)
{
    static const char *const names[] = {
        [TC_SREG_TID_X] = "llvm.musa.read.ptx.sreg.tid.x",       [TC_SREG_NTID_X] = "llvm.musa.read.ptx.sreg.ntid.x",
        [TC_SREG_CTAID_X] = "llvm.musa.read.ptx.sreg.ctaid.x",   [TC_SREG_CTAID_Y] = "llvm.musa.read.ptx.sreg.ctaid.y",
        [TC_SREG_CTAID_Z] = "llvm.musa.read.ptx.sreg.ctaid.z",   [TC_SREG_NCTAID_X] = "llvm.musa.read.ptx.sreg.nctaid.x",
        [TC_SREG_NCTAID_Y] = "llvm.musa.read.ptx.sreg.nctaid.y", [TC_SREG_NCTAID_Z] = "llvm.musa.read.ptx.sreg.nctaid.z",
    };
    return call_musa(e, names[r], LLVMInt32TypeInContext(e->ctx), NULL, 0, false, false);
}

static void barrier(TcGpuEnv *e)
{
    LLVMValueRef r = tc_gpu_call(e, "llvm.musa.barrier0", LLVMVoidTypeInContext(e->ctx), NULL, 0);
    (void)r;
    LLVMValueRef fn = LLVMGetNamedFunction(e->mod, "llvm.musa.barrier0");
    add_attr(e, fn, "nounwind", 0);
    add_attr(e, fn, "convergent", 0);
}

static LLVMValueRef shfl_xor(TcGpuEnv *e, LLVMValueRef v, uint32_t lane_mask)
{
    LLVMTypeRef i32 = LLVMInt32TypeInContext(e->ctx);
    uint32_t width = e->prof->warp_size;
    uint32_t mask_and_clamp = ((128u - width) << 7) | (width - 1);
    LLVMValueRef args[4] = {v, LLVMConstInt(i32, lane_mask, 0), LLVMConstInt(i32, mask_and_clamp, 0),
                            LLVMConstPointerNull(LLVMPointerTypeInContext(e->ctx, 5))};
    return call_musa(e, "llvm.musa.shfl.xor.sync.i32", i32, args, 4, true, true);
}

/* llvm.musa.memcpy.g2s(ptr addrspace(3) dst, ptr addrspace(1) src, i32
 * bytes, i32 prefetch = 0), 4 to 16 bytes (FlagTree's async copy). MUSA
 * has no commit groups: commit is nothing and every wait is
 * llvm.musa.memcpy.g2s.wait(), which waits for all of this thread's copies
 * (more than async_wait {pending = N > 0} asks: conservative, correct).
 * Neither gets a memory attribute: they write shared memory. */
static void async_copy(TcGpuEnv *e, LLVMValueRef dst, LLVMValueRef src, unsigned bytes)
{
    LLVMTypeRef i32 = LLVMInt32TypeInContext(e->ctx);
    LLVMValueRef args[4] = {dst, src, LLVMConstInt(i32, bytes, 0), LLVMConstInt(i32, 0, 0)};
    tc_gpu_call(e, "llvm.musa.memcpy.g2s", LLVMVoidTypeInContext(e->ctx), args, 4);
    add_attr(e, LLVMGetNamedFunction(e->mod, "llvm.musa.memcpy.g2s"), "nounwind", 0);
}

static void async_wait(TcGpuEnv *e, uint32_t pending)
{
    (void)pending;
    tc_gpu_call(e, "llvm.musa.memcpy.g2s.wait", LLVMVoidTypeInContext(e->ctx), NULL, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(e->mod, "llvm.musa.memcpy.g2s.wait");
    add_attr(e, fn, "nounwind", 0);
    add_attr(e, fn, "convergent", 0);
}

static LLVMValueRef smem_base(TcGpuEnv *e) { return tc_gpu_dynamic_smem(e, 3); }

/* f64 x through libdevice function `name` (declared pure). */
static LLVMValueRef libdevice(TcGpuEnv *e, const char *name, LLVMValueRef x)
{
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(e->ctx);
    LLVMValueRef r = tc_gpu_call(e, name, f64, &x, 1);
    LLVMValueRef fn = LLVMGetNamedFunction(e->mod, name);
    add_attr(e, fn, "nounwind", 0);
    add_attr(e, fn, "memory", 0);
    return r;
}

static LLVMValueRef math(TcGpuEnv *e, TcOpcode op, TcDtype dt, LLVMValueRef x)
{
    if (dt == TC_F64 && (op == TC_OP_TANH || op == TC_OP_ERF))
        return libdevice(e, op == TC_OP_TANH ? "__mt_tanh_f64" : "__mt_erf_f64", x);
    if (op != TC_OP_EXP && op != TC_OP_EXP2 && op != TC_OP_LOG && op != TC_OP_LOG2) return NULL;
    if (dt == TC_F64) {
        return libdevice(e, op == TC_OP_EXP ? "__mt_exp_f64" : op == TC_OP_EXP2 ? "__mt_exp2_f64"
                                        : op == TC_OP_LOG ? "__mt_log_f64" : "__mt_log2_f64", x);
    }
    LLVMTypeRef f32 = LLVMFloatTypeInContext(e->ctx);
    const char *name = op == TC_OP_LOG ? "llvm.log.f32" : op == TC_OP_LOG2 ? "llvm.log2.f32" : "llvm.exp2.f32";
    if (op == TC_OP_EXP) x = LLVMBuildFMul(e->b, x, LLVMConstReal(f32, 1.4426950408889634), "");
    return tc_gpu_call(e, name, f32, &x, 1);
}

static void finish_kernel(TcGpuEnv *e, uint32_t threads)
{
    LLVMSetFunctionCallConv(e->fn, 102);
    const char *cpu = e->prof->name;
    LLVMAddAttributeAtIndex(e->fn, LLVMAttributeFunctionIndex,
                            LLVMCreateStringAttribute(e->ctx, "target-cpu", 10, cpu, (unsigned)strlen(cpu)));
    tc_gpu_annotate_kernel(e, "musa.annotations", threads);
}

const TcGpuTargetInfo tc_gpu_target_musa = {
    .name = "musa",
    .global_as = 1,
    .shared_as = 3,
    .sim_thread_param = false,
    .init_module = init_module,
    .sreg = sreg,
    .barrier = barrier,
    .shfl_xor = shfl_xor,
    .async_copy = async_copy,
    .async_wait = async_wait,
    .smem_base = smem_base,
    .math = math,
    .finish_kernel = finish_kernel,
};
