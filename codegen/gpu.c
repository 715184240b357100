/*
 * gpu.c — SIMT code generation: Memory IR (after the tiling and smem passes)
 * to one LLVM function per kernel, for any GPU target (gpu_target.h).
 *
 * One function body is one GPU thread. Scalars are SSA values every thread
 * computes alike (uniform). A tile value is the list of elements the thread
 * holds under the value's layout (ir/layout.h), one SSA value per element,
 * fully unrolled: element-wise ops, broadcast, expand_dims and trans are
 * register-local by construction of the tiling pass; loop-carried tiles are
 * one phi per element. Data moves between threads only where the IR says:
 *  - local_alloc / local_load write and read shared memory (row-major with
 *    the #shared padding); barriers are explicit `barrier` ops;
 *  - dot reads its #shared operands and accumulates with fmuladd into the
 *    accumulator's registers;
 *  - reduce combines a thread's elements, then lanes with xor shuffles, then
 *    warps through the scratch buffer at the op's smem offset;
 *  - reshape goes through the scratch buffer at its smem offset.
 * Global loads and stores check every element against the tensor's sizes
 * (masked: a branch per element, which back ends turn into predication);
 * stores and shared writes come from canonical replicas only, so every
 * element is written once.
 *
 * Element semantics come from elem.c (as on the CPU), with max/min as
 * compare-and-select and exp/log through the target's math hook.
 */
#include "codegen.h"
#include "elem.h"
#include "gpu_target.h"
#include "llvm_util.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <string.h>

typedef struct Regs {
    uint32_t n;
    LLVMValueRef *r;
} Regs;

typedef TcElTensor GTensor; /* data: a pointer in the global address space */

typedef struct G {
    TcLlvm L;
    TcGpuEnv env;
    const TcGpuTargetInfo *ti;
    const TcGpuOptions *opt;
    TcDiagEngine *de;
    TcArena *arena;
    TcIrFunc *f;
    LLVMValueRef fn;
    LLVMTypeRef t_gptr, t_sptr;
    uint32_t warp_size, warps;
    LLVMValueRef lane, warp, smem;
    /* per value id */
    LLVMValueRef *sc;
    Regs *tl;
    GTensor **tens;
    LLVMValueRef *shared; /* #shared tiles: base pointer */
    LLVMValueRef *shoff;  /* #shared tiles: byte offset from the shared base (i32) */
    uint32_t *shalign;    /* #shared tiles: a power of two the offset is known to be a multiple of */
} G;

static LLVMValueRef ci32(G *g, int64_t v) { return LLVMConstInt(g->L.t_i32, (unsigned long long)v, 1); }
static LLVMValueRef ci64(G *g, int64_t v) { return LLVMConstInt(g->L.t_i64, (unsigned long long)v, 1); }
static LLVMBuilderRef B(G *g) { return g->L.b; }

static uint32_t log2u(uint64_t x)
{
    uint32_t n = 0;
    while ((1ull << n) < x) n++;
    return n;
}

LLVMValueRef tc_gpu_call(TcGpuEnv *e, const char *name, LLVMTypeRef ret, LLVMValueRef *args, unsigned nargs)
{
    LLVMTypeRef tys[8];
    for (unsigned i = 0; i < nargs && i < 8; i++) tys[i] = LLVMTypeOf(args[i]);
    LLVMTypeRef fty = LLVMFunctionType(ret, tys, nargs, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(e->mod, name);
    if (!fn) fn = LLVMAddFunction(e->mod, name, fty);
    return LLVMBuildCall2(e->b, fty, fn, args, nargs, "");
}

LLVMValueRef tc_gpu_dynamic_smem(TcGpuEnv *e, unsigned as)
{
    LLVMValueRef g = LLVMGetNamedGlobal(e->mod, "tilec_smem");
    if (!g) {
        LLVMTypeRef t = LLVMArrayType2(LLVMInt8TypeInContext(e->ctx), 0);
        g = LLVMAddGlobalInAddressSpace(e->mod, t, "tilec_smem", as);
        LLVMSetLinkage(g, LLVMExternalLinkage);
        LLVMSetAlignment(g, 16);
    }
    return g;
}

void tc_gpu_annotate_kernel(TcGpuEnv *e, const char *md, uint32_t threads)
{
    LLVMTypeRef i32 = LLVMInt32TypeInContext(e->ctx);
    LLVMMetadataRef fn = LLVMValueAsMetadata(e->fn);
    LLVMMetadataRef kernel[3] = {fn, LLVMMDStringInContext2(e->ctx, "kernel", 6),
                                 LLVMValueAsMetadata(LLVMConstInt(i32, 1, 0))};
    LLVMMetadataRef maxntid[3] = {fn, LLVMMDStringInContext2(e->ctx, "maxntidx", 8),
                                  LLVMValueAsMetadata(LLVMConstInt(i32, threads, 0))};
    LLVMAddNamedMetadataOperand(e->mod, md, LLVMMetadataAsValue(e->ctx, LLVMMDNodeInContext2(e->ctx, kernel, 3)));
    LLVMAddNamedMetadataOperand(e->mod, md, LLVMMetadataAsValue(e->ctx, LLVMMDNodeInContext2(e->ctx, maxntid, 3)));
}

static LLVMValueRef math_hook(void *vg, TcOpcode op, TcDtype dt, LLVMValueRef x)
{
    G *g = vg;
    return g->ti->math ? g->ti->math(&g->env, op, dt, x) : NULL;
}

/* ------------------------------------------------- layout arithmetic */

static Regs regs_new(G *g, uint32_t n)
{
    Regs r = {n, tc_arena_alloc(g->arena, (n ? n : 1) * sizeof(LLVMValueRef))};
    return r;
}

/* Per-axis positions of a register tile type. */
static void positions(const TcType *t, uint32_t *n)
{
    for (uint32_t a = 0; a < t->rank; a++) n[a] = tc_layout_positions(t->layout, a, t->shape[a]);
}

/* Register index k -> per-axis positions j (row-major, last axis fastest). */
static void unflatten(const TcType *t, uint64_t k, uint32_t *j)
{
    uint32_t n[TC_MAX_RANK];
    positions(t, n);
    for (uint32_t a = t->rank; a-- > 0;) {
        j[a] = (uint32_t)(k % n[a]);
        k /= n[a];
    }
}

static uint64_t flatten(const TcType *t, const uint32_t *j)
{
    uint32_t n[TC_MAX_RANK];
    positions(t, n);
    uint64_t k = 0;
    for (uint32_t a = 0; a < t->rank; a++) k = k * n[a] + j[a];
    return k;
}

/* This thread's lane and warp coordinate along parent dim d of l (i32). */
static LLVMValueRef lane_coord(G *g, const TcLayout *l, uint32_t d)
{
    if (l->tpw[d] == 1) return ci32(g, 0);
    LLVMValueRef x = LLVMBuildLShr(B(g), g->lane, ci32(g, log2u(tc_layout_lane_stride(l, d))), "");
    return LLVMBuildAnd(B(g), x, ci32(g, l->tpw[d] - 1), "");
}

static LLVMValueRef warp_coord(G *g, const TcLayout *l, uint32_t d)
{
    if (l->wpc[d] == 1) return ci32(g, 0);
    LLVMValueRef x = LLVMBuildLShr(B(g), g->warp, ci32(g, log2u(tc_layout_warp_stride(l, d))), "");
    return LLVMBuildAnd(B(g), x, ci32(g, l->wpc[d] - 1), "");
}

/* (warp_d * tpw + lane_d) * spt: this thread's first raw coordinate on dim d. */
static LLVMValueRef thread_base(G *g, const TcLayout *l, uint32_t d)
{
    LLVMValueRef w = LLVMBuildMul(B(g), warp_coord(g, l, d), ci32(g, l->tpw[d]), "");
    LLVMValueRef t = LLVMBuildAdd(B(g), w, lane_coord(g, l, d), "");
    return LLVMBuildMul(B(g), t, ci32(g, l->spt[d]), "");
}

/* The coordinate (i32) on tile axis a of position j. */
static LLVMValueRef coord(G *g, const TcType *t, uint32_t a, uint32_t j)
{
    const TcLayout *l = t->layout;
    uint32_t d = tc_layout_parent_dim(l, a);
    uint64_t L = (uint64_t)l->spt[d] * l->tpw[d] * l->wpc[d];
    int64_t fixed = (int64_t)((j / l->spt[d]) * L + j % l->spt[d]);
    LLVMValueRef raw = LLVMBuildAdd(B(g), thread_base(g, l, d), ci32(g, fixed), "");
    if ((uint64_t)t->shape[a] >= L) return raw; /* never wraps */
    return LLVMBuildAnd(B(g), raw, ci32(g, t->shape[a] - 1), "");
}

/* Whether this thread holds canonical replicas of t's elements (i1),
 * ignoring the lane and warp coordinates of parent dim `skip` (UINT32_MAX: none). */
static LLVMValueRef canonical_except(G *g, const TcType *t, uint32_t skip)
{
    const TcLayout *l = t->layout;
    LLVMValueRef ok = LLVMConstInt(g->L.t_i1, 1, 0);
    for (uint32_t d = 0; d < l->rank; d++) {
        if ((l->slice_mask & (1u << d)) && d != skip) {
            if (l->tpw[d] > 1)
                ok = LLVMBuildAnd(B(g), ok, LLVMBuildICmp(B(g), LLVMIntEQ, lane_coord(g, l, d), ci32(g, 0), ""), "");
            if (l->wpc[d] > 1)
                ok = LLVMBuildAnd(B(g), ok, LLVMBuildICmp(B(g), LLVMIntEQ, warp_coord(g, l, d), ci32(g, 0), ""), "");
        }
    }
    for (uint32_t a = 0; a < t->rank; a++) {
        uint32_t d = tc_layout_parent_dim(l, a);
        uint64_t L = (uint64_t)l->spt[d] * l->tpw[d] * l->wpc[d];
        if ((uint64_t)t->shape[a] >= L) continue;
        ok = LLVMBuildAnd(B(g), ok, LLVMBuildICmp(B(g), LLVMIntULT, thread_base(g, l, d), ci32(g, t->shape[a]), ""), "");
    }
    return ok;
}

static LLVMValueRef canonical(G *g, const TcType *t) { return canonical_except(g, t, UINT32_MAX); }

/* Row-major element index (i32) of register k of t, with `pad` extra elements per innermost row. */
static LLVMValueRef linear_index(G *g, const TcType *t, uint64_t k, uint32_t pad)
{
    uint32_t j[TC_MAX_RANK];
    unflatten(t, k, j);
    LLVMValueRef idx = ci32(g, 0);
    for (uint32_t a = 0; a < t->rank; a++) {
        int64_t ext = t->shape[a] + (a + 1u == t->rank ? (int64_t)pad : 0);
        idx = LLVMBuildAdd(B(g), LLVMBuildMul(B(g), idx, ci32(g, ext), ""), coord(g, t, a, j[a]), "");
    }
    return idx;
}

/* ------------------------------------------------------ shared memory */

static LLVMValueRef smem_at(G *g, int64_t offset)
{
    LLVMValueRef off = ci32(g, offset);
    return LLVMBuildGEP2(B(g), g->L.t_i8, g->smem, &off, 1, "");
}

/* Records #shared value v at byte offset off (i32) of shared memory, known
 * to be a multiple of align. */
static void set_shared(G *g, const TcIrValue *v, LLVMValueRef off, uint32_t align)
{
    g->shoff[v->id] = off;
    g->shalign[v->id] = align;
    g->shared[v->id] = LLVMBuildGEP2(B(g), g->L.t_i8, g->smem, &off, 1, "");
}

/* The largest power of two (up to 256) dividing x (x = 0: 256). */
static uint32_t align_of(uint64_t x)
{
    uint32_t a = 1;
    while (a < 256 && !(x & a)) a *= 2;
    return a;
}

static LLVMValueRef elem_ptr(G *g, TcDtype dt, LLVMValueRef base, LLVMValueRef idx)
{
    return LLVMBuildGEP2(B(g), tc_el_memory_type(&g->L, dt), base, &idx, 1, "");
}

/* The race checker (sim, opt->racecheck): tells the runtime about an
 * access of `bytes` bytes at shared pointer p before it happens. */
static void race(G *g, LLVMValueRef p, uint32_t bytes, bool is_write)
{
    if (!g->opt->racecheck || !g->ti->smem_access) return;
    LLVMValueRef d = LLVMBuildPtrDiff2(B(g), g->L.t_i8, p, g->smem, "");
    g->ti->smem_access(&g->env, LLVMBuildTrunc(B(g), d, g->L.t_i32, ""), ci32(g, bytes), is_write);
}

/* if (cond) { body } — returns the block to continue in after calling fn. */
typedef struct Guard {
    LLVMBasicBlockRef then, done;
} Guard;

static void guard_begin(G *g, Guard *gd, LLVMValueRef cond)
{
    gd->then = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "then");
    gd->done = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "join");
    LLVMBuildCondBr(B(g), cond, gd->then, gd->done);
    LLVMPositionBuilderAtEnd(B(g), gd->then);
}

static void guard_end(G *g, Guard *gd)
{
    LLVMBuildBr(B(g), gd->done);
    LLVMPositionBuilderAtEnd(B(g), gd->done);
}

/* Writes the canonical registers of tile v (type t) to shared memory at base, row-major with pad. */
static void write_shared(G *g, const TcType *t, const Regs *v, LLVMValueRef base, uint32_t pad)
{
    Guard gd;
    guard_begin(g, &gd, canonical(g, t));
    for (uint32_t k = 0; k < v->n; k++) {
        LLVMValueRef p = elem_ptr(g, t->dtype, base, linear_index(g, t, k, pad));
        race(g, p, tc_dtype_bytes(t->dtype), true);
        tc_el_mem_store(&g->L, t->dtype, v->r[k], p);
    }
    guard_end(g, &gd);
}

static Regs read_shared(G *g, const TcType *t, LLVMValueRef base, uint32_t pad)
{
    Regs r = regs_new(g, (uint32_t)tc_layout_regs(t));
    for (uint32_t k = 0; k < r.n; k++) {
        LLVMValueRef p = elem_ptr(g, t->dtype, base, linear_index(g, t, k, pad));
        race(g, p, tc_dtype_bytes(t->dtype), false);
        r.r[k] = tc_el_mem_load(&g->L, t->dtype, p, NULL);
    }
    return r;
}

/* --------------------------------------------------------------- ops */

static LLVMValueRef S(G *g, const TcIrValue *v) { return g->sc[v->id]; }
static Regs *T(G *g, const TcIrValue *v) { return &g->tl[v->id]; }

static void emit_block(G *g, const TcIrBlock *blk);

static LLVMValueRef to_i64(G *g, const TcIrValue *v, LLVMValueRef x) { return tc_el_to_i64(&g->L, v->type->dtype, x); }

static void emit_elementwise(G *g, const TcIrOp *op)
{
    const TcIrValue *r = op->results[0];
    TcDtype odt = op->operands[0]->type->dtype;
    if (r->type->kind != TC_TY_TILE) {
        LLVMValueRef a = S(g, op->operands[0]);
        LLVMValueRef res;
        if (op->opc == TC_OP_CAST) res = tc_el_cast(&g->L, odt, r->type->dtype, a);
        else if (op->opc == TC_OP_SELECT)
            res = LLVMBuildSelect(B(g), a, S(g, op->operands[1]), S(g, op->operands[2]), "");
        else res = tc_el_elem(&g->L, op->opc, odt, a, op->noperands > 1 ? S(g, op->operands[1]) : NULL);
        g->sc[r->id] = res;
        return;
    }
    uint32_t n = (uint32_t)tc_layout_regs(r->type);
    Regs out = regs_new(g, n);
    for (uint32_t k = 0; k < n; k++) {
        LLVMValueRef a = T(g, op->operands[0])->r[k];
        if (op->opc == TC_OP_CAST) out.r[k] = tc_el_cast(&g->L, odt, r->type->dtype, a);
        else if (op->opc == TC_OP_SELECT)
            out.r[k] = LLVMBuildSelect(B(g), a, T(g, op->operands[1])->r[k], T(g, op->operands[2])->r[k], "");
        else out.r[k] = tc_el_elem(&g->L, op->opc, odt, a, op->noperands > 1 ? T(g, op->operands[1])->r[k] : NULL);
    }
    g->tl[r->id] = out;
}

static LLVMValueRef const_value(G *g, const TcIrOp *op)
{
    TcDtype dt = op->results[0]->type->dtype;
    LLVMTypeRef t = tc_el_value_type(&g->L, dt);
    if (tc_dtype_is_float(dt)) return LLVMConstReal(t, op->fval);
    return LLVMConstInt(t, (unsigned long long)op->ival, 0);
}

/* Registers of `to` from those of `from` by a position map (broadcast, expand_dims, trans). */
static void emit_remap(G *g, const TcIrOp *op)
{
    const TcType *rt = op->results[0]->type, *xt = op->operands[0]->type;
    const Regs *x = T(g, op->operands[0]);
    uint32_t n = (uint32_t)tc_layout_regs(rt);
    Regs out = regs_new(g, n);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t j[TC_MAX_RANK], jx[TC_MAX_RANK];
        unflatten(rt, k, j);
        switch (op->opc) {
        case TC_OP_BROADCAST:
            for (uint32_t a = 0; a < rt->rank; a++) jx[a] = xt->shape[a] == 1 ? 0 : j[a];
            break;
        case TC_OP_EXPAND_DIMS:
            for (uint32_t a = 0, b = 0; a < rt->rank; a++)
                if (a != (uint32_t)op->ival) jx[b++] = j[a];
            break;
        default: /* trans: result axis i is operand axis perm[i] */
            for (uint32_t a = 0; a < rt->rank; a++) jx[op->ints[a]] = j[a];
            break;
        }
        uint64_t kx = flatten(xt, jx);
        TC_ASSERT(kx < x->n);
        out.r[k] = x->r[kx];
    }
    g->tl[op->results[0]->id] = out;
}

static TcOpcode combine_op(TcOpcode opc)
{
    return opc == TC_OP_REDUCE_SUM ? TC_OP_ADD : opc == TC_OP_REDUCE_MAX ? TC_OP_MAX : TC_OP_MIN;
}

/* Whole-warp xor shuffle of a value of any supported type. */
static LLVMValueRef shuffle(G *g, TcDtype dt, LLVMValueRef v, uint32_t mask)
{
    LLVMTypeRef t = LLVMTypeOf(v);
    unsigned bits = t == g->L.t_i1 ? 1 : (t == g->L.t_f64 || t == g->L.t_i64) ? 64 : t == g->L.t_f32 ? 32
                                                                                           : LLVMGetIntTypeWidth(t);
    (void)dt;
    if (bits == 64) {
        LLVMValueRef i = LLVMBuildBitCast(B(g), v, g->L.t_i64, "");
        LLVMValueRef lo = LLVMBuildTrunc(B(g), i, g->L.t_i32, "");
        LLVMValueRef hi = LLVMBuildTrunc(B(g), LLVMBuildLShr(B(g), i, ci64(g, 32), ""), g->L.t_i32, "");
        lo = g->ti->shfl_xor(&g->env, lo, mask);
        hi = g->ti->shfl_xor(&g->env, hi, mask);
        LLVMValueRef r = LLVMBuildOr(B(g), LLVMBuildZExt(B(g), lo, g->L.t_i64, ""),
                                     LLVMBuildShl(B(g), LLVMBuildZExt(B(g), hi, g->L.t_i64, ""), ci64(g, 32), ""), "");
        return LLVMBuildBitCast(B(g), r, t, "");
    }
    LLVMValueRef i = t == g->L.t_f32 ? LLVMBuildBitCast(B(g), v, g->L.t_i32, "") : LLVMBuildZExt(B(g), v, g->L.t_i32, "");
    LLVMValueRef r = g->ti->shfl_xor(&g->env, i, mask);
    return t == g->L.t_f32 ? LLVMBuildBitCast(B(g), r, t, "") : LLVMBuildTrunc(B(g), r, t, "");
}

static void emit_reduce(G *g, const TcIrOp *op)
{
    const TcIrValue *xv = op->operands[0], *rv = op->results[0];
    const TcType *xt = xv->type;
    const TcLayout *l = xt->layout;
    uint32_t axis = (uint32_t)op->ival, d = tc_layout_parent_dim(l, axis);
    TcDtype dt = xt->dtype;
    TcOpcode cop = combine_op(op->opc);
    const Regs *x = T(g, xv);
    bool scalar = rv->type->kind != TC_TY_TILE;
    uint32_t nout = scalar ? 1 : (uint32_t)tc_layout_regs(rv->type);
    Regs out = regs_new(g, nout);
    uint32_t nx[TC_MAX_RANK];
    positions(xt, nx);
    /* 1. within the thread */
    for (uint32_t k = 0; k < nout; k++) {
        uint32_t j[TC_MAX_RANK] = {0}, jx[TC_MAX_RANK];
        if (!scalar) unflatten(rv->type, k, j);
        LLVMValueRef acc = NULL;
        for (uint32_t p = 0; p < nx[axis]; p++) {
            for (uint32_t a = 0, b = 0; a < xt->rank; a++) jx[a] = a == axis ? p : j[b++];
            LLVMValueRef e = x->r[flatten(xt, jx)];
            acc = acc ? tc_el_elem(&g->L, cop, dt, acc, e) : e;
        }
        out.r[k] = acc;
    }
    /* 2. across the lanes that hold other positions of the axis */
    uint32_t lanes = tc_layout_distinct_lanes(l, d, xt->shape[axis]);
    uint32_t ls = tc_layout_lane_stride(l, d);
    for (uint32_t m = 1; m < lanes; m *= 2)
        for (uint32_t k = 0; k < nout; k++)
            out.r[k] = tc_el_elem(&g->L, cop, dt, out.r[k], shuffle(g, dt, out.r[k], m * ls));
    /* 3. across warps, through the scratch buffer */
    uint32_t warps = tc_layout_distinct_warps(l, d, xt->shape[axis]);
    if (warps > 1) {
        if (op->smem < 0) TC_ICE("reduce across warps without a scratch buffer (run the smem pass)");
        uint32_t eb = tc_dtype_bytes(dt) < 4 ? 4 : tc_dtype_bytes(dt);
        LLVMTypeRef st = eb == 8 ? (tc_dtype_is_float(dt) ? g->L.t_f64 : g->L.t_i64)
                                 : (tc_dtype_is_float(dt) ? g->L.t_f32 : g->L.t_i32);
        LLVMValueRef base = smem_at(g, op->smem);
        int64_t rest = scalar ? 1 : rv->type->numel;
        LLVMValueRef wc = warp_coord(g, l, d);
        g->ti->barrier(&g->env);
        /* writers: lane coordinate 0 on the axis, one of the distinct warp
         * coordinates on it (each writes its own slot), canonical elsewhere */
        LLVMValueRef w = LLVMBuildICmp(B(g), LLVMIntEQ, lane_coord(g, l, d), ci32(g, 0), "");
        w = LLVMBuildAnd(B(g), w, LLVMBuildICmp(B(g), LLVMIntULT, wc, ci32(g, warps), ""), "");
        if (!scalar) w = LLVMBuildAnd(B(g), w, canonical_except(g, rv->type, d), "");
        if (LLVMIsConstant(w) == 0 || LLVMConstIntGetZExtValue(w)) {
            Guard gd;
            guard_begin(g, &gd, w);
            for (uint32_t k = 0; k < nout; k++) {
                LLVMValueRef idx = scalar ? ci32(g, 0) : linear_index(g, rv->type, k, 0);
                idx = LLVMBuildAdd(B(g), LLVMBuildMul(B(g), wc, ci32(g, rest), ""), idx, "");
                LLVMValueRef v = out.r[k];
                if (st != LLVMTypeOf(v)) v = tc_dtype_is_signed(dt) ? LLVMBuildSExt(B(g), v, st, "") : LLVMBuildZExt(B(g), v, st, "");
                LLVMValueRef p = LLVMBuildGEP2(B(g), st, base, &idx, 1, "");
                race(g, p, eb, true);
                LLVMBuildStore(B(g), v, p);
            }
            guard_end(g, &gd);
        }
        g->ti->barrier(&g->env);
        for (uint32_t k = 0; k < nout; k++) {
            LLVMValueRef idx = scalar ? ci32(g, 0) : linear_index(g, rv->type, k, 0);
            LLVMValueRef acc = NULL;
            for (uint32_t wi = 0; wi < warps; wi++) {
                LLVMValueRef i2 = LLVMBuildAdd(B(g), ci32(g, (int64_t)wi * rest), idx, "");
                LLVMValueRef p = LLVMBuildGEP2(B(g), st, base, &i2, 1, "");
                race(g, p, eb, false);
                LLVMValueRef v = LLVMBuildLoad2(B(g), st, p, "");
                if (st != LLVMTypeOf(out.r[k])) v = LLVMBuildTrunc(B(g), v, LLVMTypeOf(out.r[k]), "");
                acc = acc ? tc_el_elem(&g->L, cop, dt, acc, v) : v;
            }
            out.r[k] = acc;
        }
    }
    if (scalar) g->sc[rv->id] = out.r[0];
    else g->tl[rv->id] = out;
}

/* acc + a @ b with a, b in shared memory: per k, this thread's rows of a and
 * columns of b, multiplied into its accumulator registers. */
static void emit_dot(G *g, const TcIrOp *op)
{
    const TcType *at = op->operands[0]->type, *bt = op->operands[1]->type, *ct = op->results[0]->type;
    if (!g->shared[op->operands[0]->id] || !g->shared[op->operands[1]->id])
        TC_ICE("dot operands not in shared memory (run the smem pass)");
    LLVMValueRef abase = g->shared[op->operands[0]->id], bbase = g->shared[op->operands[1]->id];
    uint32_t apad = at->layout->pad, bpad = bt->layout->pad;
    int64_t K = at->shape[1];
    TcDtype cdt = ct->dtype;
    uint32_t n[2];
    positions(ct, n);
    Regs acc = regs_new(g, n[0] * n[1]);
    memcpy(acc.r, T(g, op->operands[2])->r, acc.n * sizeof *acc.r);
    LLVMValueRef *rows = tc_arena_alloc(g->arena, n[0] * sizeof *rows);
    LLVMValueRef *cols = tc_arena_alloc(g->arena, n[1] * sizeof *cols);
    for (uint32_t i = 0; i < n[0]; i++) rows[i] = LLVMBuildMul(B(g), coord(g, ct, 0, i), ci32(g, K + apad), "");
    for (uint32_t j = 0; j < n[1]; j++) cols[j] = coord(g, ct, 1, j);
    LLVMValueRef *av = tc_arena_alloc(g->arena, n[0] * sizeof *av);
    LLVMValueRef *bv = tc_arena_alloc(g->arena, n[1] * sizeof *bv);
    bool fl = tc_dtype_is_float(cdt);
    LLVMTypeRef vt = tc_el_value_type(&g->L, cdt);
    for (int64_t k = 0; k < K; k++) {
        for (uint32_t i = 0; i < n[0]; i++) {
            LLVMValueRef idx = LLVMBuildAdd(B(g), rows[i], ci32(g, k), "");
            LLVMValueRef p = elem_ptr(g, at->dtype, abase, idx);
            race(g, p, tc_dtype_bytes(at->dtype), false);
            av[i] = tc_el_cast(&g->L, at->dtype, cdt, tc_el_mem_load(&g->L, at->dtype, p, NULL));
        }
        LLVMValueRef brow = ci32(g, k * (bt->shape[1] + bpad));
        for (uint32_t j = 0; j < n[1]; j++) {
            LLVMValueRef idx = LLVMBuildAdd(B(g), brow, cols[j], "");
            LLVMValueRef p = elem_ptr(g, bt->dtype, bbase, idx);
            race(g, p, tc_dtype_bytes(bt->dtype), false);
            bv[j] = tc_el_cast(&g->L, bt->dtype, cdt, tc_el_mem_load(&g->L, bt->dtype, p, NULL));
        }
        for (uint32_t i = 0; i < n[0]; i++)
            for (uint32_t j = 0; j < n[1]; j++) {
                LLVMValueRef *c = &acc.r[i * n[1] + j];
                if (fl) {
                    LLVMValueRef args[3] = {av[i], bv[j], *c};
                    *c = tc_el_call_intrinsic(&g->L, "llvm.fmuladd", &vt, 1, args, 3);
                } else {
                    *c = tc_el_elem(&g->L, TC_OP_ADD, cdt, *c, tc_el_elem(&g->L, TC_OP_MUL, cdt, av[i], bv[j]));
                }
            }
    }
    if (cdt == TC_F16 || cdt == TC_BF16)
        for (uint32_t k = 0; k < acc.n; k++) acc.r[k] = tc_el_round_small(&g->L, cdt, acc.r[k]);
    g->tl[op->results[0]->id] = acc;
}


/* ------------------------------------------------------ tensor cores */

/* The byte offset (i32) of element [row][col] of a shared tile at byte offset base. */
static LLVMValueRef smem_offset(G *g, LLVMValueRef base, LLVMValueRef row, LLVMValueRef col, int64_t rowlen, uint32_t eb)
{
    LLVMValueRef e = LLVMBuildAdd(B(g), LLVMBuildMul(B(g), row, ci32(g, rowlen), ""), col, "");
    return LLVMBuildAdd(B(g), base, LLVMBuildMul(B(g), e, ci32(g, eb), ""), "");
}

static LLVMValueRef smem_load_bits(G *g, LLVMValueRef off, LLVMTypeRef t)
{
    LLVMValueRef p = LLVMBuildGEP2(B(g), g->L.t_i8, g->smem, &off, 1, "");
    race(g, p, LLVMGetIntTypeWidth(t) / 8, false);
    return LLVMBuildLoad2(B(g), t, p, "");
}

/* ldmatrix on this lane's row offset `off` (bytes from the shared base):
 * the target's instruction, or the same data exchange built from shfl_idx:
 * matrix r's row i comes from lane 8r + i; without .trans a lane gets the
 * 32 bits at column 2 (lane % 4) of row lane / 4, with .trans the 16 bits at
 * column lane / 4 of rows 2 (lane % 4) and + 1. */
static void ldmatrix(G *g, LLVMValueRef off, unsigned count, bool trans, LLVMValueRef *out)
{
    if (g->ti->ldmatrix) {
        LLVMValueRef p = LLVMBuildGEP2(B(g), g->L.t_i8, g->smem, &off, 1, "");
        g->ti->ldmatrix(&g->env, p, count, trans, out);
        return;
    }
    LLVMValueRef grp = LLVMBuildLShr(B(g), g->lane, ci32(g, 2), ""), tig = LLVMBuildAnd(B(g), g->lane, ci32(g, 3), "");
    for (unsigned r = 0; r < count; r++) {
        if (!trans) {
            LLVMValueRef src = LLVMBuildAdd(B(g), ci32(g, 8 * r), grp, "");
            LLVMValueRef row = g->ti->shfl_idx(&g->env, off, src);
            LLVMValueRef o = LLVMBuildAdd(B(g), row, LLVMBuildShl(B(g), tig, ci32(g, 2), ""), "");
            out[r] = smem_load_bits(g, o, g->L.t_i32);
            continue;
        }
        LLVMValueRef h[2];
        for (int k = 0; k < 2; k++) {
            LLVMValueRef src = LLVMBuildAdd(B(g), ci32(g, 8 * r + k), LLVMBuildShl(B(g), tig, ci32(g, 1), ""), "");
            LLVMValueRef row = g->ti->shfl_idx(&g->env, off, src);
            LLVMValueRef o = LLVMBuildAdd(B(g), row, LLVMBuildShl(B(g), grp, ci32(g, 1), ""), "");
            h[k] = LLVMBuildZExt(B(g), smem_load_bits(g, o, g->L.t_i16), g->L.t_i32, "");
        }
        out[r] = LLVMBuildOr(B(g), h[0], LLVMBuildShl(B(g), h[1], ci32(g, 16), ""), "");
    }
}

/* Half h (0: low 16 bits) of a packed pair, as f32. */
static LLVMValueRef unpack_half(G *g, bool bf16, LLVMValueRef pair, int h)
{
    LLVMValueRef bits = h ? LLVMBuildLShr(B(g), pair, ci32(g, 16), "") : pair;
    if (bf16) return LLVMBuildBitCast(B(g), LLVMBuildShl(B(g), bits, ci32(g, 16), ""), g->L.t_f32, "");
    LLVMValueRef x = LLVMBuildBitCast(B(g), LLVMBuildTrunc(B(g), bits, g->L.t_i16, ""), g->L.t_f16, "");
    return LLVMBuildFPExt(B(g), x, g->L.t_f32, "");
}

/* mma.sync m16n8k16: the target's instruction, or its emulation: each lane
 * gathers rows g and g + 8 of A from lanes 4g..4g+3 and columns 2t, 2t + 1
 * of B from lanes 8t..8t+7 with shfl_idx (g = lane / 4, t = lane % 4: the
 * PTX fragment layout) and accumulates over k in order. */
static void mma_16816(G *g, bool bf16, LLVMValueRef *a, LLVMValueRef *b, LLVMValueRef *c, LLVMValueRef *d)
{
    if (g->ti->mma_16816) {
        g->ti->mma_16816(&g->env, bf16, a, b, c, d);
        return;
    }
    LLVMValueRef grp = LLVMBuildLShr(B(g), g->lane, ci32(g, 2), ""), tig = LLVMBuildAnd(B(g), g->lane, ci32(g, 3), "");
    LLVMValueRef ar[2][16], bc[2][16]; /* A rows g, g+8 and B columns 2t, 2t+1, over k */
    for (int tp = 0; tp < 4; tp++) {
        LLVMValueRef srca = LLVMBuildAdd(B(g), LLVMBuildShl(B(g), grp, ci32(g, 2), ""), ci32(g, tp), "");
        for (int half = 0; half < 2; half++) {     /* row g (regs 0, 2) and g + 8 (regs 1, 3) */
            LLVMValueRef lo = g->ti->shfl_idx(&g->env, a[half], srca), hi = g->ti->shfl_idx(&g->env, a[2 + half], srca);
            for (int e = 0; e < 2; e++) {
                ar[half][2 * tp + e] = unpack_half(g, bf16, lo, e);
                ar[half][8 + 2 * tp + e] = unpack_half(g, bf16, hi, e);
            }
        }
        for (int col = 0; col < 2; col++) {        /* columns 2t and 2t + 1 */
            LLVMValueRef n = LLVMBuildAdd(B(g), LLVMBuildShl(B(g), tig, ci32(g, 1), ""), ci32(g, col), "");
            LLVMValueRef srcb = LLVMBuildAdd(B(g), LLVMBuildShl(B(g), n, ci32(g, 2), ""), ci32(g, tp), "");
            LLVMValueRef lo = g->ti->shfl_idx(&g->env, b[0], srcb), hi = g->ti->shfl_idx(&g->env, b[1], srcb);
            for (int e = 0; e < 2; e++) {
                bc[col][2 * tp + e] = unpack_half(g, bf16, lo, e);
                bc[col][8 + 2 * tp + e] = unpack_half(g, bf16, hi, e);
            }
        }
    }
    LLVMTypeRef f32 = g->L.t_f32;
    for (int i = 0; i < 4; i++) {
        LLVMValueRef acc = c[i];
        for (int k = 0; k < 16; k++) {
            LLVMValueRef args[3] = {ar[i >> 1][k], bc[i & 1][k], acc};
            acc = tc_el_call_intrinsic(&g->L, "llvm.fmuladd", &f32, 1, args, 3);
        }
        d[i] = acc;
    }
}

/* Whether MMA can be used for this dot here: the target can do (or emulate)
 * it and the shared rows are 16-byte aligned for ldmatrix. */
static bool mma_usable(G *g, const TcIrOp *op)
{
    if (!op->ival) return false;
    if (!(g->ti->mma_16816 && g->ti->ldmatrix) && !g->ti->shfl_idx) return false;
    const TcType *at = op->operands[0]->type, *bt = op->operands[1]->type;
    uint32_t eb = tc_dtype_bytes(at->dtype);
    return ((at->shape[1] + at->layout->pad) * eb) % 16 == 0 && ((bt->shape[1] + bt->layout->pad) * eb) % 16 == 0 &&
           g->shalign[op->operands[0]->id] >= 16 && g->shalign[op->operands[1]->id] >= 16;
}

/* acc + a @ b on tensor cores: for every 16-deep k step, each warp loads the
 * A fragments of all its 16-row blocks and the B fragments of its 8-column
 * blocks with ldmatrix (B transposed: it is stored k-major) and issues one
 * m16n8k16 per block pair. The accumulator is in tc_layout_mma_acc. */
static void emit_dot_mma(G *g, const TcIrOp *op)
{
    const TcIrValue *av = op->operands[0], *bv = op->operands[1];
    const TcType *at = av->type, *bt = bv->type, *ct = op->results[0]->type;
    bool bf16 = at->dtype == TC_BF16;
    int64_t K = at->shape[1], M = ct->shape[0], N = ct->shape[1];
    int64_t alen = K + at->layout->pad, blen = N + bt->layout->pad;
    uint32_t warps = ct->layout->wpc[1];
    int64_t mt = M / 16, nt = N / (8 * (int64_t)warps);
    uint32_t n[2];
    positions(ct, n);
    Regs acc = regs_new(g, n[0] * n[1]);
    memcpy(acc.r, T(g, op->operands[2])->r, acc.n * sizeof *acc.r);
    LLVMValueRef warp_n = warp_coord(g, ct->layout, 1);
    LLVMValueRef l8 = LLVMBuildAnd(B(g), g->lane, ci32(g, 7), "");
    LLVMValueRef mat = LLVMBuildLShr(B(g), g->lane, ci32(g, 3), "");
    /* ldmatrix row addresses: A matrix r = rows 8 (r & 1).., k 8 (r >> 1)..;
     * B (x2, trans) matrix r = k rows 8 r.. */
    LLVMValueRef arow = LLVMBuildAdd(B(g), LLVMBuildShl(B(g), LLVMBuildAnd(B(g), mat, ci32(g, 1), ""), ci32(g, 3), ""), l8, "");
    LLVMValueRef acol = LLVMBuildShl(B(g), LLVMBuildLShr(B(g), mat, ci32(g, 1), ""), ci32(g, 3), "");
    LLVMValueRef brow = LLVMBuildAdd(B(g), LLVMBuildShl(B(g), LLVMBuildAnd(B(g), mat, ci32(g, 1), ""), ci32(g, 3), ""), l8, "");
    LLVMValueRef bcol0 = LLVMBuildShl(B(g), warp_n, ci32(g, 3), "");
    LLVMValueRef *afr = tc_arena_alloc(g->arena, (size_t)mt * 4 * sizeof *afr);
    LLVMValueRef *bfr = tc_arena_alloc(g->arena, (size_t)nt * 2 * sizeof *bfr);
    for (int64_t kk = 0; kk < K; kk += 16) {
        for (int64_t i = 0; i < mt; i++) {
            LLVMValueRef row = LLVMBuildAdd(B(g), arow, ci32(g, 16 * i), "");
            LLVMValueRef col = LLVMBuildAdd(B(g), acol, ci32(g, kk), "");
            ldmatrix(g, smem_offset(g, g->shoff[av->id], row, col, alen, 2), 4, false, &afr[4 * i]);
        }
        for (int64_t j = 0; j < nt; j++) {
            LLVMValueRef row = LLVMBuildAdd(B(g), brow, ci32(g, kk), "");
            LLVMValueRef col = LLVMBuildAdd(B(g), bcol0, ci32(g, 8 * (int64_t)warps * j), "");
            ldmatrix(g, smem_offset(g, g->shoff[bv->id], row, col, blen, 2), 2, true, &bfr[2 * j]);
        }
        for (int64_t i = 0; i < mt; i++)
            for (int64_t j = 0; j < nt; j++) {
                uint32_t r0 = (uint32_t)(2 * i) * n[1] + (uint32_t)(2 * j), r1 = r0 + n[1];
                LLVMValueRef c[4] = {acc.r[r0], acc.r[r0 + 1], acc.r[r1], acc.r[r1 + 1]}, d[4];
                mma_16816(g, bf16, &afr[4 * i], &bfr[2 * j], c, d);
                acc.r[r0] = d[0];
                acc.r[r0 + 1] = d[1];
                acc.r[r1] = d[2];
                acc.r[r1 + 1] = d[3];
            }
    }
    g->tl[op->results[0]->id] = acc;
}

static void emit_reshape(G *g, const TcIrOp *op)
{
    if (op->smem < 0) TC_ICE("reshape without a scratch buffer (run the smem pass)");
    LLVMValueRef base = smem_at(g, op->smem);
    g->ti->barrier(&g->env);
    write_shared(g, op->operands[0]->type, T(g, op->operands[0]), base, 0);
    g->ti->barrier(&g->env);
    g->tl[op->results[0]->id] = read_shared(g, op->results[0]->type, base, 0);
}

/* ----------------------------------------------------- global memory */

static GTensor *param_tensor(G *g, uint32_t *pi, const TcType *t)
{
    GTensor *T_ = tc_arena_alloc(g->arena, sizeof *T_);
    T_->rank = t->rank;
    T_->data = LLVMGetParam(g->fn, (*pi)++);
    for (uint32_t d = 0; d < t->rank; d++) T_->size[d] = LLVMGetParam(g->fn, (*pi)++);
    for (uint32_t d = 0; d < t->rank; d++) T_->stride[d] = LLVMGetParam(g->fn, (*pi)++);
    T_->unit_inner = !(t->flags & TC_TENSOR_STRIDED);
    if (T_->unit_inner && t->rank) T_->stride[t->rank - 1] = ci64(g, 1);
    return T_;
}

static void emit_view(G *g, const TcIrOp *op)
{
    uint32_t k = op->noperands - 1;
    LLVMValueRef idx[TC_MAX_RANK];
    for (uint32_t d = 0; d < k; d++) idx[d] = to_i64(g, op->operands[d + 1], S(g, op->operands[d + 1]));
    GTensor *R = tc_arena_alloc(g->arena, sizeof *R);
    tc_el_view(&g->L, g->tens[op->operands[0]->id], k, idx, op->results[0]->type->dtype, R);
    g->tens[op->results[0]->id] = R;
}

/* Pointer to and in-bounds flag of register k of tile t at offsets off[] of tensor T. */
static LLVMValueRef element_address(G *g, const GTensor *T_, const TcType *t, LLVMValueRef *off, uint64_t k,
                                    LLVMValueRef *ok)
{
    uint32_t j[TC_MAX_RANK];
    unflatten(t, k, j);
    LLVMValueRef in = LLVMConstInt(g->L.t_i1, 1, 0), e = ci64(g, 0);
    for (uint32_t a = 0; a < t->rank; a++) {
        LLVMValueRef pos = LLVMBuildAdd(B(g), off[a], LLVMBuildZExt(B(g), coord(g, t, a, j[a]), g->L.t_i64, ""), "");
        in = LLVMBuildAnd(B(g), in, LLVMBuildICmp(B(g), LLVMIntULT, pos, T_->size[a], ""), "");
        e = LLVMBuildAdd(B(g), e, LLVMBuildMul(B(g), pos, T_->stride[a], ""), "");
    }
    *ok = in;
    return LLVMBuildGEP2(B(g), tc_el_memory_type(&g->L, t->dtype), T_->data, &e, 1, "");
}

/* Elements per vector access for tile t on tensor T: the contiguous run a
 * thread holds on the innermost axis (spt), at most 16 bytes; 1 when the
 * innermost stride may differ from 1 or the dtype is bool. */
static uint32_t vector_width(const GTensor *T_, const TcType *t)
{
    if (!T_->unit_inner || t->dtype == TC_BOOL || T_->rank != t->rank) return 1;
    const TcLayout *l = t->layout;
    uint32_t d = tc_layout_parent_dim(l, t->rank - 1);
    uint32_t v = l->spt[d], eb = tc_dtype_bytes(t->dtype);
    while (v > 1 && v * eb > 16) v /= 2;
    return v;
}

/* For a vector group starting at register k: whether all v elements are in
 * the tensor and the address is aligned to the vector's size (i1). */
static LLVMValueRef vector_ok(G *g, const GTensor *T_, const TcType *t, LLVMValueRef *off, uint64_t k, uint32_t v,
                              LLVMValueRef p0, LLVMValueRef ok0)
{
    uint32_t j[TC_MAX_RANK];
    unflatten(t, k, j);
    uint32_t a = t->rank - 1;
    LLVMValueRef pos = LLVMBuildAdd(B(g), off[a], LLVMBuildZExt(B(g), coord(g, t, a, j[a]), g->L.t_i64, ""), "");
    LLVMValueRef last = LLVMBuildAdd(B(g), pos, ci64(g, v - 1), "");
    LLVMValueRef in = LLVMBuildAnd(B(g), ok0, LLVMBuildICmp(B(g), LLVMIntULT, last, T_->size[a], ""), "");
    uint64_t bytes = (uint64_t)v * tc_dtype_bytes(t->dtype);
    LLVMValueRef addr = LLVMBuildPtrToInt(B(g), p0, g->L.t_i64, "");
    LLVMValueRef mis = LLVMBuildAnd(B(g), addr, ci64(g, (int64_t)bytes - 1), "");
    return LLVMBuildAnd(B(g), in, LLVMBuildICmp(B(g), LLVMIntEQ, mis, ci64(g, 0), ""), "");
}

/* A value of dtype dt (SSA form) in its memory form, and back. */
static LLVMValueRef to_memory(G *g, TcDtype dt, LLVMValueRef x)
{
    if (dt == TC_F16) return LLVMBuildFPTrunc(B(g), x, g->L.t_f16, "");
    if (dt == TC_BF16) return tc_el_f32_to_bf16(&g->L, x);
    return x;
}

static LLVMValueRef from_memory(G *g, TcDtype dt, LLVMValueRef x)
{
    if (dt == TC_F16) return LLVMBuildFPExt(B(g), x, g->L.t_f32, "");
    if (dt == TC_BF16) return tc_el_bf16_to_f32(&g->L, x);
    return x;
}

/*
 * load: each element of the thread's tile checked against the tensor's
 * sizes, `pad` outside. A thread's contiguous run on the innermost axis (the
 * layout's spt, up to 16 bytes) is one vector load when it is wholly inside
 * the tensor and its address aligned to the vector (checked at run time:
 * offsets and sizes are arbitrary), element loads otherwise.
 */
static void emit_load(G *g, const TcIrOp *op)
{
    const GTensor *T_ = g->tens[op->operands[0]->id];
    const TcType *t = op->results[0]->type;
    TcDtype dt = t->dtype;
    uint32_t r = T_->rank;
    LLVMValueRef off[TC_MAX_RANK];
    for (uint32_t d = 0; d < r; d++) off[d] = to_i64(g, op->operands[d + 1], S(g, op->operands[d + 1]));
    LLVMValueRef pad = op->noperands > r + 1 ? S(g, op->operands[r + 1])
                       : tc_dtype_is_float(dt) ? LLVMConstReal(tc_el_value_type(&g->L, dt), 0.0)
                                               : LLVMConstInt(tc_el_value_type(&g->L, dt), 0, 0);
    Regs out = regs_new(g, (uint32_t)tc_layout_regs(t));
    uint32_t v = vector_width(T_, t);
    LLVMTypeRef mt = tc_el_memory_type(&g->L, dt);
    for (uint32_t k = 0; k < out.n; k += v) {
        LLVMValueRef ok0, p0 = element_address(g, T_, t, off, k, &ok0);
        LLVMBasicBlockRef vec_end = NULL, fast = NULL, slow = NULL, join = NULL;
        LLVMValueRef vec = NULL;
        if (v > 1) {
            fast = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "vload");
            slow = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "sload");
            join = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "load.join");
            LLVMBuildCondBr(B(g), vector_ok(g, T_, t, off, k, v, p0, ok0), fast, slow);
            LLVMPositionBuilderAtEnd(B(g), fast);
            LLVMValueRef ld = LLVMBuildLoad2(B(g), LLVMVectorType(mt, v), p0, "");
            LLVMSetAlignment(ld, v * tc_dtype_bytes(dt));
            vec = ld;
            vec_end = LLVMGetInsertBlock(B(g));
            LLVMBuildBr(B(g), join);
            LLVMPositionBuilderAtEnd(B(g), slow);
        }
        LLVMValueRef el[16];
        for (uint32_t e = 0; e < v; e++) {
            LLVMValueRef ok = ok0, p = p0;
            if (e) p = element_address(g, T_, t, off, k + e, &ok);
            LLVMBasicBlockRef from = LLVMGetInsertBlock(B(g));
            Guard gd;
            guard_begin(g, &gd, ok);
            LLVMValueRef x = tc_el_mem_load(&g->L, dt, p, NULL);
            LLVMBasicBlockRef then_end = LLVMGetInsertBlock(B(g));
            guard_end(g, &gd);
            LLVMValueRef phi = LLVMBuildPhi(B(g), LLVMTypeOf(x), "");
            LLVMValueRef inc[2] = {x, pad};
            LLVMBasicBlockRef bbs[2] = {then_end, from};
            LLVMAddIncoming(phi, inc, bbs, 2);
            el[e] = phi;
        }
        if (v == 1) {
            out.r[k] = el[0];
            continue;
        }
        LLVMBasicBlockRef slow_end = LLVMGetInsertBlock(B(g));
        LLVMBuildBr(B(g), join);
        /* the fast path's elements, in its block, then the phis */
        LLVMValueRef fvals[16];
        LLVMPositionBuilderBefore(B(g), LLVMGetBasicBlockTerminator(vec_end));
        for (uint32_t e = 0; e < v; e++)
            fvals[e] = from_memory(g, dt, LLVMBuildExtractElement(B(g), vec, ci32(g, e), ""));
        LLVMPositionBuilderAtEnd(B(g), join);
        for (uint32_t e = 0; e < v; e++) {
            LLVMValueRef phi = LLVMBuildPhi(B(g), LLVMTypeOf(el[e]), "");
            LLVMValueRef inc[2] = {fvals[e], el[e]};
            LLVMBasicBlockRef bbs[2] = {vec_end, slow_end};
            LLVMAddIncoming(phi, inc, bbs, 2);
            out.r[k + e] = phi;
        }
    }
    g->tl[op->results[0]->id] = out;
}

/* store: canonical replicas only, each element checked against the tensor's
 * sizes; a contiguous run wholly inside and aligned is one vector store. */
static void emit_store(G *g, const TcIrOp *op)
{
    const GTensor *T_ = g->tens[op->operands[0]->id];
    uint32_t r = T_->rank;
    const TcIrValue *tv = op->operands[r + 1];
    const TcType *t = tv->type;
    TcDtype dt = t->dtype;
    LLVMValueRef off[TC_MAX_RANK];
    for (uint32_t d = 0; d < r; d++) off[d] = to_i64(g, op->operands[d + 1], S(g, op->operands[d + 1]));
    const Regs *val = T(g, tv);
    LLVMValueRef canon = canonical(g, t);
    uint32_t v = vector_width(T_, t);
    LLVMTypeRef mt = tc_el_memory_type(&g->L, dt);
    for (uint32_t k = 0; k < val->n; k += v) {
        LLVMValueRef ok0, p0 = element_address(g, T_, t, off, k, &ok0);
        LLVMBasicBlockRef join = NULL;
        if (v > 1) {
            LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "vstore");
            LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "sstore");
            join = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "store.join");
            LLVMValueRef fast_ok = LLVMBuildAnd(B(g), canon, vector_ok(g, T_, t, off, k, v, p0, ok0), "");
            LLVMBuildCondBr(B(g), fast_ok, fast, slow);
            LLVMPositionBuilderAtEnd(B(g), fast);
            LLVMValueRef vec = LLVMGetUndef(LLVMVectorType(mt, v));
            for (uint32_t e = 0; e < v; e++)
                vec = LLVMBuildInsertElement(B(g), vec, to_memory(g, dt, val->r[k + e]), ci32(g, e), "");
            LLVMValueRef st = LLVMBuildStore(B(g), vec, p0);
            LLVMSetAlignment(st, v * tc_dtype_bytes(dt));
            LLVMBuildBr(B(g), join);
            LLVMPositionBuilderAtEnd(B(g), slow);
        }
        for (uint32_t e = 0; e < v; e++) {
            LLVMValueRef ok = ok0, p = p0;
            if (e) p = element_address(g, T_, t, off, k + e, &ok);
            Guard gd;
            guard_begin(g, &gd, LLVMBuildAnd(B(g), ok, canon, ""));
            tc_el_mem_store(&g->L, dt, val->r[k + e], p);
            guard_end(g, &gd);
        }
        if (v > 1) {
            LLVMBuildBr(B(g), join);
            LLVMPositionBuilderAtEnd(B(g), join);
        }
    }
}

/* ------------------------------------------------------- pipelining */

/* The smaller of two powers of two. */
static uint32_t min_align(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* local_view %buf, %stage: stage `stage` of the buffer, at byte offset
 * base + stage * stage_bytes; its known alignment is the smaller of the
 * base's and the stage size's. */
static void emit_local_view(G *g, const TcIrOp *op)
{
    const TcIrValue *bv = op->operands[0], *r = op->results[0];
    if (!g->shoff[bv->id]) TC_ICE("local_view of a buffer without shared memory (run the smem pass)");
    uint64_t sb = tc_layout_shared_bytes(r->type);
    LLVMValueRef st = LLVMBuildMul(B(g), S(g, op->operands[1]), ci32(g, (int64_t)sb), "");
    set_shared(g, r, LLVMBuildAdd(B(g), g->shoff[bv->id], st, ""), min_align(g->shalign[bv->id], align_of(sb)));
}

/* Raw storage of an element of dt: an integer of its size. */
static LLVMTypeRef raw_type(G *g, TcDtype dt)
{
    return LLVMIntTypeInContext(g->L.ctx, 8 * tc_dtype_bytes(dt));
}

/*
 * async_copy %t, %o.., %buf, %stage: this thread copies the elements the
 * default blocked layout of the stage shape (as tiling gives loads) assigns
 * it (canonical replicas only), in chunks of its contiguous elements along
 * the innermost axis. A chunk that lies inside the tensor, whose global
 * address is aligned to its size (checked at run time) and whose shared
 * address is (known statically: row bytes, stage bytes and the buffer's
 * offset) goes to the target's asynchronous copy when its size is 4, 8 or
 * 16 bytes; every other chunk is copied element by element, now, with
 * zeros outside the tensor.
 */
static void emit_async_copy(G *g, const TcIrOp *op)
{
    const GTensor *T_ = g->tens[op->operands[0]->id];
    uint32_t r = T_->rank;
    const TcIrValue *bv = op->operands[r + 1];
    const TcType *bt = bv->type;
    if (!g->shoff[bv->id]) TC_ICE("async_copy into a buffer without shared memory (run the smem pass)");
    TcIrModule *m = g->f->module;
    TcDtype dt = bt->dtype;
    uint32_t eb = tc_dtype_bytes(dt), pad = bt->layout->pad;
    const int64_t *shape = bt->shape + 1;
    const TcLayout *l = tc_layout_default(m, r, shape, eb, g->opt->profile->vec_bytes, g->warp_size, g->warps);
    const TcType *st = tc_type_with_layout(m, tc_type_tile(m, dt, r, shape), l);
    uint64_t sbytes = tc_layout_shared_bytes(bt) / (uint64_t)bt->shape[0];
    LLVMValueRef base = LLVMBuildAdd(B(g), g->shoff[bv->id],
                                     LLVMBuildMul(B(g), S(g, op->operands[r + 2]), ci32(g, (int64_t)sbytes), ""), "");
    uint32_t salign = min_align(g->shalign[bv->id], align_of(sbytes));
    LLVMValueRef off[TC_MAX_RANK];
    for (uint32_t d = 0; d < r; d++) off[d] = to_i64(g, op->operands[d + 1], S(g, op->operands[d + 1]));
    uint32_t spt = l->spt[r - 1], cb = spt * eb;
    uint64_t rowb = (uint64_t)(shape[r - 1] + pad) * eb;
    bool unit_stride = LLVMIsAConstantInt(T_->stride[r - 1]) && LLVMConstIntGetSExtValue(T_->stride[r - 1]) == 1;
    bool async = g->ti->async_copy && cb >= 4 && cb <= 16 && rowb % cb == 0 && salign % cb == 0 && unit_stride;
    LLVMTypeRef raw = raw_type(g, dt);
    uint32_t n = (uint32_t)tc_layout_regs(st);
    Guard canon;
    guard_begin(g, &canon, canonical(g, st));
    for (uint32_t k0 = 0; k0 < n; k0 += spt) {
        uint32_t j[TC_MAX_RANK];
        unflatten(st, k0, j);
        /* the chunk's first element: its position in the tensor and in the stage */
        LLVMValueRef in = LLVMConstInt(g->L.t_i1, 1, 0), e = ci64(g, 0), lin = ci32(g, 0), first = NULL;
        for (uint32_t a = 0; a < r; a++) {
            LLVMValueRef c = coord(g, st, a, j[a]);
            LLVMValueRef pos = LLVMBuildAdd(B(g), off[a], LLVMBuildZExt(B(g), c, g->L.t_i64, ""), "");
            if (a + 1 == r) first = pos; /* the outer axes decide for the whole chunk */
            else in = LLVMBuildAnd(B(g), in, LLVMBuildICmp(B(g), LLVMIntULT, pos, T_->size[a], ""), "");
            e = LLVMBuildAdd(B(g), e, LLVMBuildMul(B(g), pos, T_->stride[a], ""), "");
            int64_t ext = shape[a] + (a + 1 == r ? (int64_t)pad : 0);
            lin = LLVMBuildAdd(B(g), LLVMBuildMul(B(g), lin, ci32(g, ext), ""), c, "");
        }
        LLVMValueRef src = LLVMBuildGEP2(B(g), raw, T_->data, &e, 1, "");
        LLVMValueRef soff = LLVMBuildAdd(B(g), base, LLVMBuildMul(B(g), lin, ci32(g, eb), ""), "");
        LLVMValueRef dst = LLVMBuildGEP2(B(g), g->L.t_i8, g->smem, &soff, 1, "");
        LLVMBasicBlockRef sync_bb = NULL, done_bb = NULL;
        if (async) {
            /* the whole chunk inside the tensor, and aligned */
            LLVMValueRef last = LLVMBuildAdd(B(g), first, ci64(g, spt - 1), "");
            LLVMValueRef ok = LLVMBuildAnd(B(g), in, LLVMBuildICmp(B(g), LLVMIntULT, first, T_->size[r - 1], ""), "");
            ok = LLVMBuildAnd(B(g), ok, LLVMBuildICmp(B(g), LLVMIntULT, last, T_->size[r - 1], ""), "");
            LLVMValueRef addr = LLVMBuildPtrToInt(B(g), src, g->L.t_i64, "");
            ok = LLVMBuildAnd(B(g), ok,
                              LLVMBuildICmp(B(g), LLVMIntEQ, LLVMBuildAnd(B(g), addr, ci64(g, cb - 1), ""), ci64(g, 0), ""), "");
            LLVMBasicBlockRef async_bb = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "cp.async");
            sync_bb = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "cp.sync");
            done_bb = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "cp.done");
            LLVMBuildCondBr(B(g), ok, async_bb, sync_bb);
            LLVMPositionBuilderAtEnd(B(g), async_bb);
            g->ti->async_copy(&g->env, dst, src, cb);
            LLVMBuildBr(B(g), done_bb);
            LLVMPositionBuilderAtEnd(B(g), sync_bb);
        }
        /* element by element, zeros outside the tensor */
        for (uint32_t i = 0; i < spt; i++) {
            LLVMValueRef pos = LLVMBuildAdd(B(g), first, ci64(g, i), "");
            LLVMValueRef ok = LLVMBuildAnd(B(g), in, LLVMBuildICmp(B(g), LLVMIntULT, pos, T_->size[r - 1], ""), "");
            LLVMValueRef si = LLVMBuildMul(B(g), ci64(g, i), T_->stride[r - 1], "");
            LLVMValueRef p = LLVMBuildGEP2(B(g), raw, src, &si, 1, "");
            LLVMBasicBlockRef from = LLVMGetInsertBlock(B(g));
            Guard gd;
            guard_begin(g, &gd, ok);
            LLVMValueRef v = LLVMBuildLoad2(B(g), raw, p, "");
            LLVMBasicBlockRef then_end = LLVMGetInsertBlock(B(g));
            guard_end(g, &gd);
            LLVMValueRef phi = LLVMBuildPhi(B(g), raw, "");
            LLVMValueRef inc[2] = {v, LLVMConstInt(raw, 0, 0)};
            LLVMBasicBlockRef bbs[2] = {then_end, from};
            LLVMAddIncoming(phi, inc, bbs, 2);
            LLVMValueRef sidx = ci32(g, (int64_t)i * eb);
            LLVMValueRef sp = LLVMBuildGEP2(B(g), g->L.t_i8, dst, &sidx, 1, "");
            race(g, sp, eb, true);
            LLVMBuildStore(B(g), phi, sp);
        }
        if (async) {
            LLVMBuildBr(B(g), done_bb);
            LLVMPositionBuilderAtEnd(B(g), done_bb);
        }
    }
    guard_end(g, &canon);
}

/* ------------------------------------------------------ control flow */

/* The SSA values a value stands for: its registers, or itself (scalar). */
static uint32_t nvals(G *g, const TcIrValue *v) { return v->type->kind == TC_TY_TILE ? T(g, v)->n : 1; }
static LLVMValueRef *vals(G *g, const TcIrValue *v)
{
    return v->type->kind == TC_TY_TILE ? T(g, v)->r : &g->sc[v->id];
}

static void bind(G *g, const TcIrValue *v, LLVMValueRef *x)
{
    if (v->type->kind == TC_TY_TILE) {
        Regs r = regs_new(g, (uint32_t)tc_layout_regs(v->type));
        memcpy(r.r, x, r.n * sizeof *x);
        g->tl[v->id] = r;
    } else {
        g->sc[v->id] = x[0];
    }
}

static void emit_for(G *g, const TcIrOp *op)
{
    const TcIrBlock *body = op->regions[0];
    uint32_t nc = op->nresults;
    TcDtype it = op->operands[0]->type->dtype;
    bool sg = tc_dtype_is_signed(it);
    LLVMValueRef lo = S(g, op->operands[0]), hi = S(g, op->operands[1]), step = S(g, op->operands[2]);
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(B(g));
    LLVMBasicBlockRef header = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "for");
    LLVMBasicBlockRef bodyb = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "for.body");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "for.end");
    LLVMBuildBr(B(g), header);
    LLVMPositionBuilderAtEnd(B(g), header);
    LLVMTypeRef ivt = tc_el_value_type(&g->L, it);
    LLVMValueRef iv = LLVMBuildPhi(B(g), ivt, "iv");
    LLVMAddIncoming(iv, &lo, &pre, 1);
    LLVMValueRef **phis = tc_arena_alloc(g->arena, (nc + 1) * sizeof *phis);
    for (uint32_t i = 0; i < nc; i++) {
        const TcIrValue *init = op->operands[3 + i];
        uint32_t n = nvals(g, init);
        LLVMValueRef *iv0 = vals(g, init);
        phis[i] = tc_arena_alloc(g->arena, n * sizeof **phis);
        for (uint32_t k = 0; k < n; k++) {
            phis[i][k] = LLVMBuildPhi(B(g), LLVMTypeOf(iv0[k]), "");
            LLVMAddIncoming(phis[i][k], &iv0[k], &pre, 1);
        }
        bind(g, body->args[i + 1], phis[i]);
    }
    g->sc[body->args[0]->id] = iv;
    LLVMValueRef zero = LLVMConstInt(ivt, 0, 0);
    LLVMValueRef run = LLVMBuildAnd(B(g), LLVMBuildICmp(B(g), sg ? LLVMIntSGT : LLVMIntNE, step, zero, ""),
                                    LLVMBuildICmp(B(g), sg ? LLVMIntSLT : LLVMIntULT, iv, hi, ""), "");
    LLVMBuildCondBr(B(g), run, bodyb, exit);
    LLVMPositionBuilderAtEnd(B(g), bodyb);
    emit_block(g, body);
    const TcIrOp *y = tc_ir_block_terminator(body);
    LLVMValueRef args2[2] = {iv, step};
    LLVMValueRef ov = tc_el_call_intrinsic(&g->L, sg ? "llvm.sadd.with.overflow" : "llvm.uadd.with.overflow", &ivt, 1,
                                           args2, 2);
    LLVMValueRef next = LLVMBuildExtractValue(B(g), ov, 0, "");
    LLVMValueRef overflow = LLVMBuildExtractValue(B(g), ov, 1, "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(B(g));
    LLVMBuildCondBr(B(g), overflow, exit, header);
    LLVMAddIncoming(iv, &next, &latch, 1);
    LLVMPositionBuilderAtEnd(B(g), exit);
    for (uint32_t i = 0; i < nc; i++) {
        uint32_t n = nvals(g, y->operands[i]);
        LLVMValueRef *yv = vals(g, y->operands[i]);
        LLVMValueRef *res = tc_arena_alloc(g->arena, n * sizeof *res);
        for (uint32_t k = 0; k < n; k++) {
            LLVMAddIncoming(phis[i][k], &yv[k], &latch, 1);
            res[k] = LLVMBuildPhi(B(g), LLVMTypeOf(phis[i][k]), "");
            LLVMValueRef inc[2] = {phis[i][k], yv[k]};
            LLVMBasicBlockRef from[2] = {header, latch};
            LLVMAddIncoming(res[k], inc, from, 2);
        }
        bind(g, op->results[i], res);
    }
}

static void emit_if(G *g, const TcIrOp *op)
{
    LLVMBasicBlockRef thenb = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "if.then");
    LLVMBasicBlockRef elseb = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "if.else");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "if.end");
    LLVMBuildCondBr(B(g), S(g, op->operands[0]), thenb, elseb);
    LLVMBasicBlockRef ends[2];
    const TcIrOp *ys[2] = {NULL, NULL};
    LLVMBasicBlockRef starts[2] = {thenb, elseb};
    for (int arm = 0; arm < 2; arm++) {
        LLVMPositionBuilderAtEnd(B(g), starts[arm]);
        if ((uint32_t)arm < op->nregions) {
            emit_block(g, op->regions[arm]);
            ys[arm] = tc_ir_block_terminator(op->regions[arm]);
        }
        ends[arm] = LLVMGetInsertBlock(B(g));
        LLVMBuildBr(B(g), done);
    }
    LLVMPositionBuilderAtEnd(B(g), done);
    for (uint32_t i = 0; i < op->nresults; i++) {
        uint32_t n = nvals(g, ys[0]->operands[i]);
        LLVMValueRef *a = vals(g, ys[0]->operands[i]), *b = vals(g, ys[1]->operands[i]);
        LLVMValueRef *res = tc_arena_alloc(g->arena, n * sizeof *res);
        for (uint32_t k = 0; k < n; k++) {
            res[k] = LLVMBuildPhi(B(g), LLVMTypeOf(a[k]), "");
            LLVMValueRef inc[2] = {a[k], b[k]};
            LLVMAddIncoming(res[k], inc, ends, 2);
        }
        bind(g, op->results[i], res);
    }
}

/* ------------------------------------------------------------ driver */

static void emit_op(G *g, const TcIrOp *op)
{
    const TcIrValue *r = op->nresults ? op->results[0] : NULL;
    switch (op->opc) {
    case TC_OP_CONST: g->sc[r->id] = const_value(g, op); return;
    case TC_OP_SPLAT: {
        Regs out = regs_new(g, (uint32_t)tc_layout_regs(r->type));
        for (uint32_t k = 0; k < out.n; k++) out.r[k] = S(g, op->operands[0]);
        g->tl[r->id] = out;
        return;
    }
    case TC_OP_ARANGE: {
        Regs out = regs_new(g, (uint32_t)tc_layout_regs(r->type));
        for (uint32_t k = 0; k < out.n; k++) out.r[k] = coord(g, r->type, 0, k);
        g->tl[r->id] = out;
        return;
    }
    case TC_OP_PROGRAM_ID:
        g->sc[r->id] = g->ti->sreg(&g->env, (TcGpuSreg)(TC_SREG_CTAID_X + op->ival));
        return;
    case TC_OP_NUM_PROGRAMS:
        g->sc[r->id] = g->ti->sreg(&g->env, (TcGpuSreg)(TC_SREG_NCTAID_X + op->ival));
        return;
    case TC_OP_BROADCAST: case TC_OP_EXPAND_DIMS: case TC_OP_TRANS: emit_remap(g, op); return;
    case TC_OP_RESHAPE: emit_reshape(g, op); return;
    case TC_OP_REDUCE_SUM: case TC_OP_REDUCE_MAX: case TC_OP_REDUCE_MIN: emit_reduce(g, op); return;
    case TC_OP_DOT:
        if (mma_usable(g, op)) emit_dot_mma(g, op);
        else emit_dot(g, op);
        return;
    case TC_OP_VIEW: emit_view(g, op); return;
    case TC_OP_LOAD: emit_load(g, op); return;
    case TC_OP_STORE: emit_store(g, op); return;
    case TC_OP_FOR: emit_for(g, op); return;
    case TC_OP_IF: emit_if(g, op); return;
    case TC_OP_YIELD: return;
    case TC_OP_BARRIER: g->ti->barrier(&g->env); return;
    case TC_OP_LOCAL_ALLOC: {
        set_shared(g, r, ci32(g, op->smem), align_of((uint64_t)op->smem));
        write_shared(g, op->operands[0]->type, T(g, op->operands[0]), g->shared[r->id], r->type->layout->pad);
        return;
    }
    case TC_OP_LOCAL_LOAD: {
        const TcIrValue *s = op->operands[0];
        g->tl[r->id] = read_shared(g, r->type, g->shared[s->id], s->type->layout->pad);
        return;
    }
    case TC_OP_LOCAL_BUFFER:
        if (op->smem < 0) TC_ICE("local_buffer without a shared-memory offset (run the smem pass)");
        set_shared(g, r, ci32(g, op->smem), align_of((uint64_t)op->smem));
        return;
    case TC_OP_LOCAL_VIEW: emit_local_view(g, op); return;
    case TC_OP_ASYNC_COPY: emit_async_copy(g, op); return;
    case TC_OP_ASYNC_COMMIT:
        if (g->ti->async_copy && g->ti->async_commit) g->ti->async_commit(&g->env);
        return;
    case TC_OP_ASYNC_WAIT:
        if (g->ti->async_copy) g->ti->async_wait(&g->env, (uint32_t)op->ival);
        return;
    case TC_OP_CONVERT_LAYOUT:
        TC_ICE("convert_layout reached code generation (run the smem pass)");
    default: break;
    }
    if (tc_op_info(op->opc)->flags & TC_OPF_ELEMENTWISE) {
        emit_elementwise(g, op);
        return;
    }
    TC_ICE("no GPU lowering of '%s'", tc_op_info(op->opc)->name);
}

static void emit_block(G *g, const TcIrBlock *blk)
{
    for (const TcIrOp *op = blk->first; op; op = op->next) emit_op(g, op);
}

/* The first local_buffer in b (any depth) without a shared-memory offset. */
static const TcIrOp *unallocated_buffer(const TcIrBlock *b)
{
    for (const TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc == TC_OP_LOCAL_BUFFER && op->smem < 0) return op;
        for (uint32_t r = 0; r < op->nregions; r++) {
            const TcIrOp *in = unallocated_buffer(op->regions[r]);
            if (in) return in;
        }
    }
    return NULL;
}

/* Whether f is Memory IR this code generator can take. */
static bool check_level(G *g, TcIrFunc *f)
{
    const TcIrOp *buf = unallocated_buffer(f->body);
    if (buf) {
        tc_error(g->de, TC_E_PIPELINE, buf->loc,
                 "kernel '%s' has a local_buffer without a shared-memory offset: GPU code generation needs the "
                 "passes '%s'", f->name, TC_GPU_PIPELINE);
        return false;
    }
    if (tc_ir_func_has_layouts(f) == 0) {
        tc_error(g->de, TC_E_PIPELINE, f->loc,
                 "kernel '%s' has tiles without layouts: GPU code generation needs the passes '%s'", f->name,
                 TC_GPU_PIPELINE);
        return false;
    }
    return true;
}

static void emit_kernel(G *g, TcIrFunc *f, TcStrBuf *sig)
{
    g->f = f;
    g->warps = f->warps > 0 ? (uint32_t)f->warps : g->opt->profile->default_warps;
    g->warp_size = g->opt->profile->warp_size;
    uint32_t n = f->nvalues + 1;
    g->sc = tc_arena_alloc(g->arena, n * sizeof *g->sc);
    g->tl = tc_arena_alloc(g->arena, n * sizeof *g->tl);
    g->tens = tc_arena_alloc(g->arena, n * sizeof *g->tens);
    g->shared = tc_arena_alloc(g->arena, n * sizeof *g->shared);
    memset(g->shared, 0, n * sizeof *g->shared);
    g->shoff = tc_arena_alloc(g->arena, n * sizeof *g->shoff);
    g->shalign = tc_arena_alloc(g->arena, n * sizeof *g->shalign);
    memset(g->shalign, 0, n * sizeof *g->shalign);

    /* parameters: the GPU ABI (include/tilec_runtime.h) */
    TC_VEC(LLVMTypeRef) pt = {0};
    for (uint32_t i = 0; i < f->nparams; i++) {
        const TcType *t = tc_ir_func_param(f, i)->type;
        if (t->kind == TC_TY_TENSOR) {
            TC_VEC_PUSH(g->arena, pt, g->t_gptr);
            for (uint32_t d = 0; d < 2u * t->rank; d++) TC_VEC_PUSH(g->arena, pt, g->L.t_i64);
        } else {
            TC_VEC_PUSH(g->arena, pt, tc_dtype_is_float(t->dtype) ? g->L.t_f64 : g->L.t_i64);
        }
    }
    for (uint32_t k = 0; k < f->nsizes; k++) TC_VEC_PUSH(g->arena, pt, g->L.t_i32);
    uint32_t nabi = pt.len;
    if (g->ti->sim_thread_param) TC_VEC_PUSH(g->arena, pt, g->L.t_ptr);
    LLVMTypeRef fty = LLVMFunctionType(g->L.t_void, pt.data, pt.len, 0);
    g->fn = LLVMAddFunction(g->L.mod, f->name, fty);
    g->env.fn = g->fn;
    g->env.sim_thread = g->ti->sim_thread_param ? LLVMGetParam(g->fn, nabi) : NULL;
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->L.ctx, g->fn, "entry");
    LLVMPositionBuilderAtEnd(B(g), entry);

    uint32_t pi = 0;
    for (uint32_t i = 0; i < f->nparams; i++) {
        TcIrValue *p = tc_ir_func_param(f, i);
        if (p->type->kind == TC_TY_TENSOR) {
            g->tens[p->id] = param_tensor(g, &pi, p->type);
            continue;
        }
        LLVMValueRef x = LLVMGetParam(g->fn, pi++);
        g->sc[p->id] = tc_el_cast(&g->L, tc_dtype_is_float(p->type->dtype) ? TC_F64 : TC_I64, p->type->dtype, x);
    }
    for (uint32_t k = 0; k < f->nsizes; k++) g->sc[tc_ir_func_size(f, k)->id] = LLVMGetParam(g->fn, pi++);

    LLVMValueRef tid = g->ti->sreg(&g->env, TC_SREG_TID_X);
    g->lane = LLVMBuildAnd(B(g), tid, ci32(g, g->warp_size - 1), "lane");
    g->warp = LLVMBuildLShr(B(g), tid, ci32(g, log2u(g->warp_size)), "warp");
    g->smem = f->smem_bytes ? g->ti->smem_base(&g->env) : NULL;
    if (g->smem && g->opt->racecheck && g->ti->smem_access) /* a zero-byte access: "check this block" */
        g->ti->smem_access(&g->env, ci32(g, 0), ci32(g, 0), false);

    emit_block(g, f->body);
    LLVMBuildRetVoid(B(g));
    g->ti->finish_kernel(&g->env, g->warps * g->warp_size);

    if (g->ti->sim_thread_param) {
        /* tilec_sim_K(void *const *params, tilec_sim_thread *t): unpacks the params */
        LLVMTypeRef wt[2] = {g->L.t_ptr, g->L.t_ptr};
        LLVMValueRef w = LLVMAddFunction(g->L.mod, tc_arena_printf(g->arena, "tilec_sim_%s", f->name),
                                         LLVMFunctionType(g->L.t_void, wt, 2, 0));
        LLVMPositionBuilderAtEnd(B(g), LLVMAppendBasicBlockInContext(g->L.ctx, w, "entry"));
        LLVMValueRef *args = tc_arena_alloc(g->arena, pt.len * sizeof *args);
        for (uint32_t i = 0; i < nabi; i++) {
            LLVMValueRef idx = ci64(g, i);
            LLVMValueRef slot = LLVMBuildGEP2(B(g), g->L.t_ptr, LLVMGetParam(w, 0), &idx, 1, "");
            LLVMValueRef ptr = LLVMBuildLoad2(B(g), g->L.t_ptr, slot, "");
            args[i] = LLVMBuildLoad2(B(g), pt.data[i], ptr, "");
        }
        args[nabi] = LLVMGetParam(w, 1);
        LLVMBuildCall2(B(g), fty, g->fn, args, pt.len, "");
        LLVMBuildRetVoid(B(g));
    }
    tc_signature_emit(f, 0, sig, g->de);
}

LLVMModuleRef tc_gpu_build_module(TcIrModule *m, const TcGpuTargetInfo *ti, const TcGpuOptions *opt,
                                  LLVMContextRef ctx, LLVMTargetMachineRef tm, TcStrBuf *sigs, TcDiagEngine *de)
{
    TcArena arena;
    tc_arena_init(&arena);
    G g = {.ti = ti, .opt = opt, .de = de, .arena = &arena};
    g.L.ctx = ctx;
    g.L.mod = LLVMModuleCreateWithNameInContext("tilec", ctx);
    g.L.b = LLVMCreateBuilderInContext(ctx);
    tc_el_init_types(&g.L);
    g.L.gpu = true;
    g.L.math = math_hook;
    g.L.math_ctx = &g;
    g.env = (TcGpuEnv){.ctx = ctx, .mod = g.L.mod, .b = g.L.b, .prof = opt->profile, .de = de};
    g.t_gptr = LLVMPointerTypeInContext(ctx, ti->global_as);
    g.t_sptr = LLVMPointerTypeInContext(ctx, ti->shared_as);
    ti->init_module(&g.env);
    uint32_t errors = de->nerrors;
    for (uint32_t i = 0; i < m->funcs.len && de->nerrors == errors; i++) {
        TcStrBuf local;
        tc_sb_init(&local);
        if (check_level(&g, m->funcs.data[i])) emit_kernel(&g, m->funcs.data[i], sigs ? &sigs[i] : &local);
        tc_sb_free(&local);
    }
    LLVMDisposeBuilder(g.L.b);
    tc_arena_free(&arena);
    if (de->nerrors != errors) {
        LLVMDisposeModule(g.L.mod);
        return NULL;
    }
    char *msg = NULL;
    if (LLVMVerifyModule(g.L.mod, LLVMReturnStatusAction, &msg)) {
        tc_error(de, TC_E_INTERNAL, (TcSpan){0},
                 "internal compiler error: the LLVM IR generated for %s does not verify: %.2000s", ti->name,
                 msg ? msg : "");
        LLVMDisposeMessage(msg);
        LLVMDisposeModule(g.L.mod);
        return NULL;
    }
    LLVMDisposeMessage(msg);
    if (opt->opt_level > 0) {
        char pipeline[32];
        tc_llvm_default_pipeline(opt->opt_level, pipeline, sizeof pipeline);
        if (!tc_llvm_run_passes(g.L.mod, pipeline, tm, false, "LLVM optimization failed", de)) {
            LLVMDisposeModule(g.L.mod);
            return NULL;
        }
    }
    return g.L.mod;
}
