/*
 * tiling.c — the tiling pass: Tile IR to distributed Tile IR for a GPU
 * profile (ctx->profile). Every tile value gets a layout (ir/layout.h) and
 * `convert_layout` appears where layouts meet.
 *
 * Choices, in one forward walk over the kernel:
 *  - loads, splats and aranges: the profile's default blocked layout (up to
 *    vec_bytes contiguous bytes per thread on the innermost axis, lanes along
 *    it), so global accesses are vectorized and coalesced;
 *  - dot: its result and accumulator get the dot-accumulator layout (register
 *    blocks of up to 4 x 4), or, where the profile has tensor cores and the
 *    shapes and dtypes fit (tc_layout_mma_ok), the MMA m16n8 fragment layout
 *    and {mma = 1}; its a and b operands keep theirs (the smem pass stages
 *    them through shared memory);
 *  - element-wise ops take the layout of an operand that is expensive to
 *    recompute (a load, dot, reduce or loop value) and bring the others to it;
 *  - reduce gives the slice of its operand's layout; expand_dims of a slice
 *    gives the layout back, with the new axis replicated, and broadcast keeps
 *    its operand's layout, so `x[:, None] + y` needs no data movement;
 *  - trans permutes the layout (no data movement); reshape gets the default
 *    layout (the code generator moves the data through shared memory);
 *  - a loop-carried tile gets the layout its yielded value naturally has
 *    (e.g. the dot accumulator's), and its initial value is brought to it.
 * Bringing a value to another layout recomputes it in that layout when it is
 * cheap (arange, splat and element-wise/broadcast/expand_dims chains of
 * them: no data movement at all); a broadcast or expand_dims is redone on its
 * operand brought to the matching layout (so a row vector, not the whole
 * tile, moves, and often nothing does); anything else gets convert_layout.
 *
 * Limits checked here: threads per block (warps x warp size) against the
 * profile, and registers per thread of every tile against
 * TC_GPU_MAX_TILE_REGS.
 */
#include "passes.h"

#include <string.h>

/* Elements one thread may hold of one tile value (fully unrolled code). */
#define TC_GPU_MAX_TILE_REGS 1024

typedef struct Tiling {
    TcIrFunc *f;
    TcIrModule *m;
    TcPassContext *ctx;
    const TcGpuProfile *prof;
    uint32_t warps;
    const TcLayout **natural; /* per value id: memo of natural() */
    uint8_t *natural_state;   /* 0 unknown, 1 in progress, 2 done */
    bool failed;
} Tiling;

static bool is_tile(const TcIrValue *v) { return v->type->kind == TC_TY_TILE; }

static const TcLayout *default_layout(Tiling *t, const TcType *ty)
{
    return tc_layout_default(t->m, ty->rank, ty->shape, tc_dtype_bytes(ty->dtype), t->prof->vec_bytes,
                             t->prof->warp_size, t->warps);
}

/* l (for a tile of the same rank) with at most `shape` elements per thread on each axis. */
static const TcLayout *clamp_layout(Tiling *t, const TcLayout *l, const int64_t *shape)
{
    TcLayout k = *l;
    uint32_t rank = tc_layout_tile_rank(l);
    bool same = true;
    for (uint32_t a = 0; a < rank; a++) {
        uint32_t d = tc_layout_parent_dim(l, a);
        if ((int64_t)k.spt[d] > shape[a]) {
            k.spt[d] = (uint32_t)shape[a];
            same = false;
        }
    }
    if (same) return l;
    const TcLayout *r = tc_layout_blocked(t->m, k.rank, k.spt, k.tpw, k.wpc, k.order);
    for (uint32_t d = 0; d < k.rank; d++)
        if (k.slice_mask & (1u << d)) r = tc_layout_slice(t->m, r, d);
    return r;
}

static TcType *with_layout(Tiling *t, const TcType *ty, const TcLayout *l)
{
    return tc_type_with_layout(t->m, ty, l);
}

/* The parent dim of l that expand_dims at `axis` would bring back: a removed
 * dim with exactly `axis` kept dims before it. UINT32_MAX if none. */
static uint32_t expand_dim_of(const TcLayout *l, uint32_t axis)
{
    if (l->kind != TC_LAYOUT_SLICE) return UINT32_MAX;
    uint32_t kept = 0;
    for (uint32_t d = 0; d < l->rank; d++) {
        if (l->slice_mask & (1u << d)) {
            if (kept == axis) return d;
        } else {
            kept++;
        }
    }
    return UINT32_MAX;
}

/* The layout of trans(x) when x has layout l (blocked): permuted, so the
 * same thread holds the same elements. NULL when l is a slice. */
static const TcLayout *trans_layout(Tiling *t, const TcLayout *l, const int64_t *perm, uint32_t rank)
{
    if (l->kind != TC_LAYOUT_BLOCKED) return NULL;
    uint32_t spt[TC_MAX_RANK], tpw[TC_MAX_RANK], wpc[TC_MAX_RANK];
    uint8_t order[TC_MAX_RANK], inv[TC_MAX_RANK];
    for (uint32_t i = 0; i < rank; i++) {
        uint32_t p = (uint32_t)perm[i];
        spt[i] = l->spt[p];
        tpw[i] = l->tpw[p];
        wpc[i] = l->wpc[p];
        inv[p] = (uint8_t)i;
    }
    for (uint32_t k = 0; k < rank; k++) order[k] = inv[l->order[k]];
    return tc_layout_blocked(t->m, rank, spt, tpw, wpc, order);
}

/* ------------------------------------------------ rematerialization */

static bool is_elementwise(const TcIrOp *op) { return (tc_op_info(op->opc)->flags & TC_OPF_ELEMENTWISE) != 0; }

/* Whether v can be recomputed in any layout without data movement. */
static bool cheap(const TcIrValue *v, int depth)
{
    if (!is_tile(v)) return true;
    const TcIrOp *d = v->def;
    if (!d || depth > 6) return false;
    switch (d->opc) {
    case TC_OP_ARANGE: case TC_OP_SPLAT: return true;
    case TC_OP_BROADCAST: case TC_OP_EXPAND_DIMS: return cheap(d->operands[0], depth + 1);
    default: break;
    }
    if (!is_elementwise(d)) return false;
    for (uint32_t i = 0; i < d->noperands; i++)
        if (!cheap(d->operands[i], depth + 1)) return false;
    return true;
}

/* The layout operand i of op (a cheap op) needs for its result to have layout l. */
static const TcLayout *operand_layout(Tiling *t, const TcIrOp *op, uint32_t i, const TcLayout *l)
{
    const TcType *ot = op->operands[i]->type;
    switch (op->opc) {
    case TC_OP_BROADCAST: return clamp_layout(t, l, ot->shape);
    case TC_OP_EXPAND_DIMS: {
        const TcType *rt = op->results[0]->type;
        const TcLayout *c = clamp_layout(t, l, rt->shape);
        return tc_layout_slice(t->m, c, tc_layout_parent_dim(c, (uint32_t)op->ival));
    }
    default: return l;
    }
}

/* v in layout l, usable at `before`: v itself, a recomputation, or a convert_layout. */
static TcIrValue *materialize(Tiling *t, TcIrValue *v, const TcLayout *l, TcIrOp *before)
{
    if (!is_tile(v) || v->type->layout == l) return v;
    TcIrOp *d = v->def;
    if (d && d->opc == TC_OP_CONVERT_LAYOUT) return materialize(t, d->operands[0], l, before);
    TcType *rt = with_layout(t, v->type, l);
    /* recompute cheap values in l; move a broadcast or expand_dims by moving
     * its (smaller) operand and redoing the register-local op */
    if (d && (cheap(v, 0) || d->opc == TC_OP_BROADCAST || d->opc == TC_OP_EXPAND_DIMS)) {
        TcIrValue *ops[4];
        TC_ASSERT(d->noperands <= 4);
        for (uint32_t i = 0; i < d->noperands; i++)
            ops[i] = is_tile(d->operands[i]) ? materialize(t, d->operands[i], operand_layout(t, d, i, l), before)
                                             : d->operands[i];
        TcIrOp *c = tc_ir_op_new(t->f, d->opc, d->loc, d->noperands, ops, 1, &rt, 0);
        c->ival = d->ival;
        c->fval = d->fval;
        c->results[0]->name = v->name;
        tc_ir_insert_before(before, c);
        return c->results[0];
    }
    TcIrOp *c = tc_ir_op_new(t->f, TC_OP_CONVERT_LAYOUT, before->loc, 1, &v, 1, &rt, 0);
    tc_ir_insert_before(before, c);
    return c->results[0];
}

/* The accumulator layout of dot op (and whether it uses MMA). */
static const TcLayout *dot_layout(Tiling *t, const TcIrOp *op, bool *mma)
{
    const TcType *a = op->operands[0]->type, *b = op->operands[1]->type, *c = op->results[0]->type;
    *mma = tc_layout_mma_ok(t->prof, a, b, c, t->warps);
    if (*mma) return tc_layout_mma_acc(t->m, t->warps);
    return tc_layout_dot_acc(t->m, c->shape[0], c->shape[1], t->prof->warp_size, t->warps);
}

/* ------------------------------------------------ natural layouts */

/* A broadcast or expand_dims result: it can be redone in any layout cheaply,
 * so it should not decide the layout of the values it meets. */
static bool weak(const TcIrValue *v)
{
    return v->def && (v->def->opc == TC_OP_BROADCAST || v->def->opc == TC_OP_EXPAND_DIMS);
}

static const TcLayout *natural(Tiling *t, const TcIrValue *v, int strong);

/* strong: only layouts that come from a load, dot, reduce or loop value, not
 * from a broadcast (which can be redone in any layout). */
static const TcLayout *natural_of_def(Tiling *t, const TcIrValue *v, int strong)
{
    const TcIrOp *d = v->def;
    if (!d) return NULL;
    switch (d->opc) {
    case TC_OP_DOT: {
        bool mma;
        return dot_layout(t, d, &mma);
    }
    case TC_OP_LOAD: return default_layout(t, v->type);
    case TC_OP_REDUCE_SUM: case TC_OP_REDUCE_MAX: case TC_OP_REDUCE_MIN: {
        const TcLayout *l = natural(t, d->operands[0], 0);
        if (!l) l = default_layout(t, d->operands[0]->type);
        return tc_layout_slice(t->m, l, tc_layout_parent_dim(l, (uint32_t)d->ival));
    }
    case TC_OP_BROADCAST:
        return strong ? NULL : natural(t, d->operands[0], 0);
    case TC_OP_EXPAND_DIMS: {
        if (strong) return NULL;
        const TcLayout *l = natural(t, d->operands[0], 0);
        uint32_t pd = l ? expand_dim_of(l, (uint32_t)d->ival) : UINT32_MAX;
        return pd == UINT32_MAX ? NULL : tc_layout_unslice(t->m, l, pd);
    }
    case TC_OP_FOR: {
        const TcIrOp *y = tc_ir_block_terminator(d->regions[0]);
        return y ? natural(t, y->operands[v->index], strong) : NULL;
    }
    default: break;
    }
    if (!is_elementwise(d)) return NULL;
    for (int weak_ok = 0; weak_ok <= !strong; weak_ok++)
        for (uint32_t i = 0; i < d->noperands; i++)
            if (is_tile(d->operands[i]) && !cheap(d->operands[i], 0)) {
                const TcLayout *l = natural(t, d->operands[i], !weak_ok);
                if (l) return l;
            }
    return NULL;
}

/* The layout v would get without constraints from its users (NULL: no preference). */
static const TcLayout *natural(Tiling *t, const TcIrValue *v, int strong)
{
    if (!is_tile(v)) return NULL;
    if (v->type->layout) return v->type->layout;
    uint8_t *st = &t->natural_state[2 * v->id + strong];
    if (*st == 2) return t->natural[2 * v->id + strong];
    if (*st == 1) return NULL; /* a cycle through a loop */
    *st = 1;
    const TcLayout *l = natural_of_def(t, v, strong);
    t->natural[2 * v->id + strong] = l;
    *st = 2;
    return l;
}

/* ------------------------------------------------------- the walk */

static void assign_block(Tiling *t, TcIrBlock *b);

static void set_result(Tiling *t, TcIrOp *op, const TcLayout *l)
{
    op->results[0]->type = with_layout(t, op->results[0]->type, l);
}

static void assign_elementwise(Tiling *t, TcIrOp *op)
{
    const TcLayout *l = NULL;
    for (uint32_t i = 0; i < op->noperands && !l; i++)
        if (is_tile(op->operands[i]) && !cheap(op->operands[i], 0) && !weak(op->operands[i]))
            l = op->operands[i]->type->layout;
    for (uint32_t i = 0; i < op->noperands && !l; i++)
        if (is_tile(op->operands[i]) && !cheap(op->operands[i], 0)) l = op->operands[i]->type->layout;
    for (uint32_t i = 0; i < op->noperands && !l; i++)
        if (is_tile(op->operands[i])) l = op->operands[i]->type->layout;
    if (!l) l = default_layout(t, op->results[0]->type);
    for (uint32_t i = 0; i < op->noperands; i++) op->operands[i] = materialize(t, op->operands[i], l, op);
    set_result(t, op, l);
}

static void assign_for(Tiling *t, TcIrOp *op)
{
    TcIrBlock *body = op->regions[0];
    TcIrOp *y = tc_ir_block_terminator(body);
    uint32_t ninit = op->noperands - 3;
    const TcLayout **ls = tc_arena_alloc(t->ctx->scratch, (ninit ? ninit : 1) * sizeof *ls);
    for (uint32_t i = 0; i < ninit; i++) {
        TcIrValue *init = op->operands[3 + i];
        ls[i] = NULL;
        if (!is_tile(init)) continue;
        const TcLayout *l = y ? natural(t, y->operands[i], 1) : NULL;
        if (!l && y) l = natural(t, y->operands[i], 0);
        if (!l || tc_layout_tile_rank(l) != init->type->rank) l = init->type->layout;
        ls[i] = l;
        op->operands[3 + i] = materialize(t, init, l, op);
        body->args[1 + i]->type = with_layout(t, body->args[1 + i]->type, l);
        op->results[i]->type = with_layout(t, op->results[i]->type, l);
    }
    assign_block(t, body);
    if (y)
        for (uint32_t i = 0; i < ninit; i++)
            if (ls[i]) y->operands[i] = materialize(t, y->operands[i], ls[i], y);
}

static void assign_if(Tiling *t, TcIrOp *op)
{
    assign_block(t, op->regions[0]);
    if (op->nregions > 1) assign_block(t, op->regions[1]);
    TcIrOp *y0 = tc_ir_block_terminator(op->regions[0]);
    TcIrOp *y1 = op->nregions > 1 ? tc_ir_block_terminator(op->regions[1]) : NULL;
    for (uint32_t i = 0; i < op->nresults; i++) {
        if (!is_tile(op->results[i])) continue;
        const TcLayout *l = y0 ? y0->operands[i]->type->layout : default_layout(t, op->results[i]->type);
        if (y1) y1->operands[i] = materialize(t, y1->operands[i], l, y1);
        op->results[i]->type = with_layout(t, op->results[i]->type, l);
    }
}

static void assign_op(Tiling *t, TcIrOp *op)
{
    switch (op->opc) {
    case TC_OP_FOR: assign_for(t, op); return;
    case TC_OP_IF: assign_if(t, op); return;
    case TC_OP_SPLAT: case TC_OP_ARANGE: case TC_OP_LOAD: case TC_OP_RESHAPE:
        if (op->opc == TC_OP_RESHAPE && op->operands[0]->type->layout &&
            op->operands[0]->type->layout->kind == TC_LAYOUT_SLICE)
            op->operands[0] = materialize(t, op->operands[0], default_layout(t, op->operands[0]->type), op);
        set_result(t, op, default_layout(t, op->results[0]->type));
        return;
    case TC_OP_BROADCAST:
        set_result(t, op, op->operands[0]->type->layout);
        return;
    case TC_OP_EXPAND_DIMS: {
        const TcLayout *x = op->operands[0]->type->layout;
        uint32_t pd = expand_dim_of(x, (uint32_t)op->ival);
        const TcLayout *r = pd != UINT32_MAX ? tc_layout_unslice(t->m, x, pd) : default_layout(t, op->results[0]->type);
        op->operands[0] = materialize(t, op->operands[0], operand_layout(t, op, 0, r), op);
        set_result(t, op, r);
        return;
    }
    case TC_OP_TRANS: {
        const TcLayout *x = op->operands[0]->type->layout;
        if (x->kind != TC_LAYOUT_BLOCKED) {
            x = default_layout(t, op->operands[0]->type);
            op->operands[0] = materialize(t, op->operands[0], x, op);
        }
        set_result(t, op, trans_layout(t, x, op->ints, op->nints));
        return;
    }
    case TC_OP_REDUCE_SUM: case TC_OP_REDUCE_MAX: case TC_OP_REDUCE_MIN: {
        if (!is_tile(op->results[0])) return;
        const TcLayout *x = op->operands[0]->type->layout;
        set_result(t, op, tc_layout_slice(t->m, x, tc_layout_parent_dim(x, (uint32_t)op->ival)));
        return;
    }
    case TC_OP_DOT: {
        bool mma;
        const TcLayout *l = dot_layout(t, op, &mma);
        op->ival = mma;
        op->operands[2] = materialize(t, op->operands[2], l, op);
        set_result(t, op, l);
        return;
    }
    default: break;
    }
    if (is_elementwise(op) && op->nresults == 1 && is_tile(op->results[0])) {
        assign_elementwise(t, op);
        return;
    }
    for (uint32_t i = 0; i < op->nresults; i++)
        if (is_tile(op->results[i]) && !op->results[i]->type->layout)
            TC_ICE("tiling: no layout rule for op '%s'", tc_op_info(op->opc)->name);
}

static void assign_block(Tiling *t, TcIrBlock *b)
{
    for (TcIrOp *op = b->first, *next; op; op = next) {
        next = op->next;
        assign_op(t, op);
    }
}

/* Registers per thread of every tile value, against the limit. */
static void check_regs(TcIrOp *op, void *vt)
{
    Tiling *t = vt;
    if (t->failed) return;
    for (uint32_t i = 0; i < op->nresults; i++) {
        const TcType *ty = op->results[i]->type;
        if (ty->kind != TC_TY_TILE || !ty->layout) continue;
        uint64_t regs = tc_layout_regs(ty);
        if (regs <= TC_GPU_MAX_TILE_REGS) continue;
        TcStrBuf s;
        tc_sb_init(&s);
        tc_type_print(ty, &s);
        tc_error(t->ctx->de, TC_E_GPU_LIMIT, op->loc,
                 "kernel '%s': a tile of %lld elements needs %llu registers per thread with %u threads on %s; "
                 "at most %u (use smaller tiles or more warps)",
                 t->f->name, (long long)ty->numel, (unsigned long long)regs, t->warps * t->prof->warp_size,
                 t->prof->name, TC_GPU_MAX_TILE_REGS);
        tc_sb_free(&s);
        t->failed = true;
        return;
    }
}

static bool run(TcIrFunc *f, TcPassContext *ctx)
{
    if (!ctx->profile) {
        tc_error(ctx->de, TC_E_PIPELINE, f->loc, "the tiling pass needs a GPU target (--target=nvptx|musa|sim --arch=...)");
        return false;
    }
    if (tc_ir_func_has_layouts(f) > 0) return true; /* already distributed */
    Tiling t = {.f = f, .m = f->module, .ctx = ctx, .prof = ctx->profile};
    t.warps = f->warps > 0 ? (uint32_t)f->warps : ctx->profile->default_warps;
    uint64_t threads = (uint64_t)t.warps * ctx->profile->warp_size;
    if (threads > ctx->profile->max_threads) {
        tc_error(ctx->de, TC_E_GPU_LIMIT, f->loc,
                 "kernel '%s' has %u warps of %u threads = %llu threads per block; %s allows %u", f->name, t.warps,
                 ctx->profile->warp_size, (unsigned long long)threads, ctx->profile->name, ctx->profile->max_threads);
        return false;
    }
    uint32_t n = f->nvalues + 1;
    t.natural = tc_arena_alloc(ctx->scratch, 2 * n * sizeof *t.natural);
    t.natural_state = tc_arena_alloc(ctx->scratch, 2 * n);
    memset(t.natural_state, 0, 2 * n);
    f->warps = (int32_t)t.warps; /* fixed from here on: layouts depend on it */
    assign_block(&t, f->body);
    tc_ir_walk_func(f, check_regs, &t);
    ctx->changed = true;
    return !t.failed;
}

const TcPass tc_pass_tiling = {"tiling", "give every tile a layout for the GPU profile; insert convert_layout", run};
