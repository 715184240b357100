/*
 * target_nvptx.c — target info of the nvptx target (NVIDIA GPUs through
 * LLVM's NVPTX back end, then ptxas).
 *
 * Global memory is address space 1, shared memory 3 (64-bit pointers: the
 * data layout without nvptx-short-ptr). Thread ids, barriers and shuffles
 * are the llvm.nvvm.* intrinsics; the dynamic shared memory is one
 * `external addrspace(3) global [0 x i8]` (tilec_smem), sized at launch.
 * Kernels are marked through !nvvm.annotations ("kernel", "maxntidx"),
 * which LLVM 19's NVPTX back end reads (it prints `.entry` and `.maxntid`).
 *
 * Asynchronous copies are cp.async (sm_80+): llvm.nvvm.cp.async.{ca,cg}.
 * shared.global.{4,8,16}, commit.group and wait.group N.
 *
 * f32 exp/exp2/log/log2 use the PTX approximations ex2.approx.f32 and
 * lg2.approx.f32 (as CUDA's fast-math __expf/__logf and Triton do):
 * exp(x) = ex2(x * log2 e), log(x) = lg2(x) * ln 2. f64 exp and log have no
 * lowering in the NVPTX back end without NVIDIA's libdevice, which tilec does
 * not link: they are reported (E8002). sqrt and rsqrt keep the generic
 * lowering (llvm.sqrt, then a division), which NVPTX compiles to the
 * correctly rounded sqrt.rn and div.rn.
 */
#include "gpu_target.h"

#include <stdio.h>
#include <string.h>

#define NVPTX_TRIPLE "nvptx64-nvidia-cuda"
#define NVPTX_DATALAYOUT "e-i64:64-i128:128-v16:16-v32:32-n16:32:64"

static void init_module(TcGpuEnv *e)
{
    LLVMSetTarget(e->mod, NVPTX_TRIPLE);
    LLVMSetDataLayout(e->mod, NVPTX_DATALAYOUT);
}

static LLVMValueRef sreg(TcGpuEnv *e, TcGpuSreg r)
{
    static const char *const names[] = {
        [TC_SREG_TID_X] = "llvm.nvvm.read.ptx.sreg.tid.x",       [TC_SREG_NTID_X] = "llvm.nvvm.read.ptx.sreg.ntid.x",
        [TC_SREG_CTAID_X] = "llvm.nvvm.read.ptx.sreg.ctaid.x",   [TC_SREG_CTAID_Y] = "llvm.nvvm.read.ptx.sreg.ctaid.y",
        [TC_SREG_CTAID_Z] = "llvm.nvvm.read.ptx.sreg.ctaid.z",   [TC_SREG_NCTAID_X] = "llvm.nvvm.read.ptx.sreg.nctaid.x",
        [TC_SREG_NCTAID_Y] = "llvm.nvvm.read.ptx.sreg.nctaid.y", [TC_SREG_NCTAID_Z] = "llvm.nvvm.read.ptx.sreg.nctaid.z",
    };
    return tc_gpu_call(e, names[r], LLVMInt32TypeInContext(e->ctx), NULL, 0);
}

static void barrier(TcGpuEnv *e) { tc_gpu_call(e, "llvm.nvvm.barrier0", LLVMVoidTypeInContext(e->ctx), NULL, 0); }

static LLVMValueRef shfl_xor(TcGpuEnv *e, LLVMValueRef v, uint32_t lane_mask)
{
    LLVMTypeRef i32 = LLVMInt32TypeInContext(e->ctx);
    LLVMValueRef args[4] = {LLVMConstInt(i32, 0xffffffffu, 0), v, LLVMConstInt(i32, lane_mask, 0),
                            LLVMConstInt(i32, 0x1f, 0)};
    return tc_gpu_call(e, "llvm.nvvm.shfl.sync.bfly.i32", i32, args, 4);
}

static LLVMValueRef shfl_idx(TcGpuEnv *e, LLVMValueRef v, LLVMValueRef src)
{
    LLVMTypeRef i32 = LLVMInt32TypeInContext(e->ctx);
    LLVMValueRef args[4] = {LLVMConstInt(i32, 0xffffffffu, 0), v, src, LLVMConstInt(i32, 0x1f, 0)};
    return tc_gpu_call(e, "llvm.nvvm.shfl.sync.idx.i32", i32, args, 4);
}

/* ldmatrix.sync.aligned.m8n8.x{2,4}{.trans}.shared.b16 */
static void ldmatrix(TcGpuEnv *e, LLVMValueRef ptr, unsigned count, bool trans, LLVMValueRef *out)
{
    char name[64];
    snprintf(name, sizeof name, "llvm.nvvm.ldmatrix.sync.aligned.m8n8.x%u%s.b16", count, trans ? ".trans" : "");
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMTypeRef pt = LLVMTypeOf(ptr);
    LLVMTypeRef fty = LLVMIntrinsicGetType(e->ctx, id, &pt, 1);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(e->mod, id, &pt, 1);
    LLVMValueRef r = LLVMBuildCall2(e->b, fty, fn, &ptr, 1, "");
    for (unsigned i = 0; i < count; i++) out[i] = LLVMBuildExtractValue(e->b, r, i, "");
}

/* mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32 */
static void mma_16816(TcGpuEnv *e, bool bf16, LLVMValueRef *a, LLVMValueRef *b, LLVMValueRef *c, LLVMValueRef *d)
{
    const char *name = bf16 ? "llvm.nvvm.mma.m16n8k16.row.col.bf16" : "llvm.nvvm.mma.m16n8k16.row.col.f32.f32";
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMTypeRef fty = LLVMIntrinsicGetType(e->ctx, id, NULL, 0);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(e->mod, id, NULL, 0);
    LLVMValueRef args[10];
    /* f16 operands are <2 x half> pairs; bf16 ones stay i32 */
    LLVMTypeRef h2 = LLVMVectorType(LLVMHalfTypeInContext(e->ctx), 2);
    for (int i = 0; i < 4; i++) args[i] = bf16 ? a[i] : LLVMBuildBitCast(e->b, a[i], h2, "");
    for (int i = 0; i < 2; i++) args[4 + i] = bf16 ? b[i] : LLVMBuildBitCast(e->b, b[i], h2, "");
    for (int i = 0; i < 4; i++) args[6 + i] = c[i];
    LLVMValueRef r = LLVMBuildCall2(e->b, fty, fn, args, 10, "");
    for (int i = 0; i < 4; i++) d[i] = LLVMBuildExtractValue(e->b, r, (unsigned)i, "");
}

/* A call of non-overloaded NVVM intrinsic `name` (its declaration carries
 * LLVM's attributes for it). */
static LLVMValueRef nvvm_call(TcGpuEnv *e, const char *name, LLVMValueRef *args, unsigned n)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    TC_ASSERT(id != 0);
    LLVMTypeRef fty = LLVMIntrinsicGetType(e->ctx, id, NULL, 0);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(e->mod, id, NULL, 0);
    return LLVMBuildCall2(e->b, fty, fn, args, n, "");
}

/* cp.async.{ca,cg}.shared.global [dst], [src], bytes: .cg (L2 only, the
 * tile is used once per block) for 16 bytes, .ca for 4 and 8 (.cg takes
 * only 16). */
static void async_copy(TcGpuEnv *e, LLVMValueRef dst, LLVMValueRef src, unsigned bytes)
{
    char name[64];
    snprintf(name, sizeof name, "llvm.nvvm.cp.async.%s.shared.global.%u", bytes == 16 ? "cg" : "ca", bytes);
    LLVMValueRef args[2] = {dst, src};
    nvvm_call(e, name, args, 2);
}

static void async_commit(TcGpuEnv *e) { nvvm_call(e, "llvm.nvvm.cp.async.commit.group", NULL, 0); }

static void async_wait(TcGpuEnv *e, uint32_t pending)
{
    LLVMValueRef n = LLVMConstInt(LLVMInt32TypeInContext(e->ctx), pending, 0);
    nvvm_call(e, "llvm.nvvm.cp.async.wait.group", &n, 1);
}

static LLVMValueRef smem_base(TcGpuEnv *e) { return tc_gpu_dynamic_smem(e, 3); }

/* Reports (once per compilation) that f64 op has no lowering; returns an undef. */
static LLVMValueRef unsupported_f64(TcGpuEnv *e, TcOpcode op, LLVMValueRef x)
{
    const char *name = tc_op_info(op)->name;
    char head[64];
    int hn = snprintf(head, sizeof head, "%s on f64 is not supported on the nvptx target", name);
    bool seen = false;
    for (uint32_t i = 0; i < e->de->diags.len && !seen; i++)
        seen = e->de->diags.data[i]->code == TC_E_UNSUPPORTED && strncmp(e->de->diags.data[i]->msg, head, (size_t)hn) == 0;
    if (!seen)
        tc_error(e->de, TC_E_UNSUPPORTED, (TcSpan){0},
                 "%s: LLVM's NVPTX back end has no f64 %s without NVIDIA's libdevice, which tilec does not link; "
                 "cast the operand to f32",
                 head, name);
    return LLVMGetUndef(LLVMTypeOf(x));
}

static LLVMValueRef math(TcGpuEnv *e, TcOpcode op, TcDtype dt, LLVMValueRef x)
{
    if (dt == TC_F64 && (op == TC_OP_TANH || op == TC_OP_ERF)) return unsupported_f64(e, op, x);
    if (op != TC_OP_EXP && op != TC_OP_EXP2 && op != TC_OP_LOG && op != TC_OP_LOG2) return NULL;
    if (dt == TC_F64) return unsupported_f64(e, op, x);
    LLVMTypeRef f32 = LLVMFloatTypeInContext(e->ctx);
    switch (op) {
    case TC_OP_EXP: {
        LLVMValueRef y = LLVMBuildFMul(e->b, x, LLVMConstReal(f32, 1.4426950408889634), "");
        return tc_gpu_call(e, "llvm.nvvm.ex2.approx.f", f32, &y, 1);
    }
    case TC_OP_EXP2: return tc_gpu_call(e, "llvm.nvvm.ex2.approx.f", f32, &x, 1);
    case TC_OP_LOG: {
        LLVMValueRef l = tc_gpu_call(e, "llvm.nvvm.lg2.approx.f", f32, &x, 1);
        return LLVMBuildFMul(e->b, l, LLVMConstReal(f32, 0.69314718055994531), "");
    }
    default: return tc_gpu_call(e, "llvm.nvvm.lg2.approx.f", f32, &x, 1);
    }
}

static void finish_kernel(TcGpuEnv *e, uint32_t threads)
{
    tc_gpu_annotate_kernel(e, "nvvm.annotations", threads);
}

const TcGpuTargetInfo tc_gpu_target_nvptx = {
    .name = "nvptx",
    .global_as = 1,
    .shared_as = 3,
    .sim_thread_param = false,
    .init_module = init_module,
    .sreg = sreg,
    .barrier = barrier,
    .shfl_xor = shfl_xor,
    .shfl_idx = shfl_idx,
    .ldmatrix = ldmatrix,
    .mma_16816 = mma_16816,
    .async_copy = async_copy,
    .async_commit = async_commit,
    .async_wait = async_wait,
    .smem_base = smem_base,
    .math = math,
    .finish_kernel = finish_kernel,
};
