/*
 * target_sim.c — target info of the sim target: the SIMT code of any GPU
 * profile, compiled for the host and run by the runtime's sim backend
 * (runtime/backend_sim.c), one context per GPU thread.
 *
 * Thread ids, shared memory, barriers and shuffles come from the
 * tilec_sim_thread the kernel receives as its last parameter (its layout is
 * fixed in include/tilec_runtime.h); barrier and shfl_xor are calls through
 * the function pointers it holds, so generated code needs no symbols from
 * the runtime; so are asynchronous copies (async_copy, async_commit,
 * async_wait: queued per thread, landing at their wait) and, with
 * TcGpuOptions.racecheck, the race checker's smem_access. Address spaces are all 0; math is the host's (LLVM
 * intrinsics, as on the CPU target).
 */
#include "gpu_target.h"

/* Field offsets of tilec_sim_thread. */
enum {
    OFF_TID = 0, OFF_NTID = 4, OFF_CTAID = 8, OFF_NCTAID = 20, OFF_SMEM = 32, OFF_BARRIER = 40, OFF_SHFL = 48,
    OFF_ASYNC_COPY = 64, OFF_ASYNC_COMMIT = 72, OFF_ASYNC_WAIT = 80, OFF_SMEM_ACCESS = 88,
};

static LLVMValueRef field(TcGpuEnv *e, unsigned off, LLVMTypeRef t)
{
    LLVMTypeRef i8 = LLVMInt8TypeInContext(e->ctx);
    LLVMValueRef o = LLVMConstInt(LLVMInt64TypeInContext(e->ctx), off, 0);
    LLVMValueRef p = LLVMBuildGEP2(e->b, i8, e->sim_thread, &o, 1, "");
    return LLVMBuildLoad2(e->b, t, p, "");
}

static void init_module(TcGpuEnv *e)
{
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMSetTarget(e->mod, triple);
    LLVMDisposeMessage(triple);
}

static LLVMValueRef sreg(TcGpuEnv *e, TcGpuSreg r)
{
    LLVMTypeRef i32 = LLVMInt32TypeInContext(e->ctx);
    switch (r) {
    case TC_SREG_TID_X: return field(e, OFF_TID, i32);
    case TC_SREG_NTID_X: return field(e, OFF_NTID, i32);
    case TC_SREG_CTAID_X: case TC_SREG_CTAID_Y: case TC_SREG_CTAID_Z:
        return field(e, OFF_CTAID + 4 * (unsigned)(r - TC_SREG_CTAID_X), i32);
    default: return field(e, OFF_NCTAID + 4 * (unsigned)(r - TC_SREG_NCTAID_X), i32);
    }
}

static void barrier(TcGpuEnv *e)
{
    LLVMTypeRef ptr = LLVMPointerTypeInContext(e->ctx, 0);
    LLVMValueRef fp = field(e, OFF_BARRIER, ptr);
    LLVMTypeRef fty = LLVMFunctionType(LLVMVoidTypeInContext(e->ctx), &ptr, 1, 0);
    LLVMBuildCall2(e->b, fty, fp, &e->sim_thread, 1, "");
}

static LLVMValueRef shfl_xor(TcGpuEnv *e, LLVMValueRef v, uint32_t lane_mask)
{
    LLVMTypeRef ptr = LLVMPointerTypeInContext(e->ctx, 0), i32 = LLVMInt32TypeInContext(e->ctx);
    LLVMValueRef fp = field(e, OFF_SHFL, ptr);
    LLVMTypeRef pts[3] = {ptr, i32, i32};
    LLVMTypeRef fty = LLVMFunctionType(i32, pts, 3, 0);
    LLVMValueRef args[3] = {e->sim_thread, v, LLVMConstInt(i32, lane_mask, 0)};
    return LLVMBuildCall2(e->b, fty, fp, args, 3, "");
}

/* From lane src: the runtime's shuffle takes a per-thread mask, and lane
 * lane ^ (lane ^ src) is src. MMA and ldmatrix are emulated from it by
 * codegen/gpu.c with the PTX fragment layout. */
static LLVMValueRef shfl_idx(TcGpuEnv *e, LLVMValueRef v, LLVMValueRef src)
{
    LLVMTypeRef ptr = LLVMPointerTypeInContext(e->ctx, 0), i32 = LLVMInt32TypeInContext(e->ctx);
    LLVMValueRef tid = field(e, OFF_TID, i32);
    LLVMValueRef lane = LLVMBuildAnd(e->b, tid, LLVMConstInt(i32, e->prof->warp_size - 1, 0), "");
    LLVMValueRef fp = field(e, OFF_SHFL, ptr);
    LLVMTypeRef pts[3] = {ptr, i32, i32};
    LLVMTypeRef fty = LLVMFunctionType(i32, pts, 3, 0);
    LLVMValueRef args[3] = {e->sim_thread, v, LLVMBuildXor(e->b, lane, src, "")};
    return LLVMBuildCall2(e->b, fty, fp, args, 3, "");
}

/* A call through the function pointer at `off` of the tilec_sim_thread:
 * void fn(tilec_sim_thread *self, args...). */
static void call_field(TcGpuEnv *e, unsigned off, LLVMValueRef *args, unsigned n)
{
    LLVMTypeRef ptr = LLVMPointerTypeInContext(e->ctx, 0);
    LLVMValueRef fp = field(e, off, ptr);
    LLVMTypeRef pts[5] = {ptr};
    LLVMValueRef all[5] = {e->sim_thread};
    for (unsigned i = 0; i < n; i++) {
        pts[1 + i] = LLVMTypeOf(args[i]);
        all[1 + i] = args[i];
    }
    LLVMTypeRef fty = LLVMFunctionType(LLVMVoidTypeInContext(e->ctx), pts, n + 1, 0);
    LLVMBuildCall2(e->b, fty, fp, all, n + 1, "");
}

/* Copies are queued by the runtime and land at the wait that leaves their
 * group complete (runtime/backend_sim.c). */
static void async_copy(TcGpuEnv *e, LLVMValueRef dst, LLVMValueRef src, unsigned bytes)
{
    LLVMValueRef args[3] = {dst, src, LLVMConstInt(LLVMInt32TypeInContext(e->ctx), bytes, 0)};
    call_field(e, OFF_ASYNC_COPY, args, 3);
}

static void async_commit(TcGpuEnv *e) { call_field(e, OFF_ASYNC_COMMIT, NULL, 0); }

static void async_wait(TcGpuEnv *e, uint32_t pending)
{
    LLVMValueRef n = LLVMConstInt(LLVMInt32TypeInContext(e->ctx), pending, 0);
    call_field(e, OFF_ASYNC_WAIT, &n, 1);
}

static void smem_access(TcGpuEnv *e, LLVMValueRef off, LLVMValueRef bytes, bool is_write)
{
    LLVMValueRef args[3] = {off, bytes, LLVMConstInt(LLVMInt32TypeInContext(e->ctx), is_write, 0)};
    call_field(e, OFF_SMEM_ACCESS, args, 3);
}

static LLVMValueRef smem_base(TcGpuEnv *e) { return field(e, OFF_SMEM, LLVMPointerTypeInContext(e->ctx, 0)); }

static void finish_kernel(TcGpuEnv *e, uint32_t threads)
{
    (void)threads;
    LLVMSetLinkage(e->fn, LLVMInternalLinkage);
}

const TcGpuTargetInfo tc_gpu_target_sim = {
    .name = "sim",
    .global_as = 0,
    .shared_as = 0,
    .sim_thread_param = true,
    .init_module = init_module,
    .sreg = sreg,
    .barrier = barrier,
    .shfl_xor = shfl_xor,
    .shfl_idx = shfl_idx,
    .async_copy = async_copy,
    .async_commit = async_commit,
    .async_wait = async_wait,
    .smem_access = smem_access,
    .smem_base = smem_base,
    .math = NULL,
    .finish_kernel = finish_kernel,
};
