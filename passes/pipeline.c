/*
 * pipeline.c — the pipelining pass: multi-buffers the loads that feed the
 * dots of a loop, with asynchronous copies issued n - 1 iterations ahead.
 *
 * Input: Distributed Tile IR (after `tiling`, before `smem`) and a GPU
 * profile (ctx->profile). Profiles without asynchronous copies
 * (profile->async_copy false) are left alone.
 *
 * Which loops: every `for` with `pipeline = n`, n >= 2 (the language's
 * pipeline(n) clause), and every `for` without the attribute whose body
 * holds a `dot`, with n = profile->pipeline_stages (0: off). pipeline = 1
 * turns pipelining off for one loop; n is capped at MAX_STAGES (8), as the
 * prologue is unrolled.
 *
 * Which loads: a `load` directly in the loop body (not under an inner
 * for/if) whose result is used only as operand a or b of dots directly in
 * the body; without a pad, or with a constant +0 pad (the copies fill 0
 * outside the tensor); whose tensor is defined outside the loop (a `view`
 * in the body whose operands are all defined outside is first hoisted
 * before the loop); and whose offsets are each the induction variable, a
 * value defined outside the loop, a constant, or an add/sub/mul of those, so
 * the offsets of iteration i + n - 1 can be computed at iteration i (the
 * expression is cloned with iv replaced). Other loads are left alone; a loop
 * where no load qualifies is not changed.
 *
 * The rewrite, for loads L1..Lk of a loop `for iv = lo to hi step st`:
 *
 *     before the loop:
 *       %Lj.buf = local_buffer : T[n, S...] #shared<pad = 16 bytes>
 *       for s in 0 .. n-2:   (iv_s = lo + s * st)
 *         async_copy tensor_j, offsets_j(iv_s), %Lj.buf, s     (every j)
 *         async_commit
 *     the loop, with a carried i32 iteration counter %it (0, 1, ...):
 *       %stage = rem %it, n
 *       async_wait {pending = n - 2}
 *       barrier
 *       async_copy tensor_j, offsets_j(iv + (n-1) st), %Lj.buf, (%it + n - 1) % n   (every j)
 *       async_commit
 *       ... %Lj = local_view %Lj.buf, %stage   (where the load was) ...
 *     after the loop:
 *       async_wait {pending = 0}
 *       barrier
 *
 * Why this is correct (groups are counted per thread; every thread issues
 * the same sequence of copies and commits):
 *  - At the wait of iteration it, n - 1 + it groups have been committed
 *    (the prologue's n - 1, one per earlier iteration). pending = n - 2
 *    leaves at most n - 2 of them in flight, so groups 0 .. it have landed:
 *    this thread's copies for iteration it are in shared memory.
 *  - The barrier after the wait makes every thread's copies for iteration
 *    it visible to all threads (each thread waited for its own), and it
 *    guarantees that every thread finished iteration it - 1, so finished
 *    reading stage (it - 1) % n there. The copy issued next writes stage
 *    (it + n - 1) % n = (it - 1) % n: nobody reads it any more. Stages
 *    it % n .. (it + n - 2) % n, which are read in this and the next n - 2
 *    iterations, are not written before a later barrier.
 *  - The copies issued in the last n - 1 iterations are for iterations
 *    beyond the loop's end: they read tensor memory masked like any load
 *    (zeros outside the tensor) and are never used. The epilogue's wait for
 *    all groups and its barrier make sure none of them is still in flight
 *    when shared memory is reused after the loop. The smem pass puts a
 *    barrier before every local_buffer, so the prologue does not overwrite
 *    memory another thread still reads before the loop.
 *
 * Legality: a copy reads tensor memory up to n - 1 iterations before the
 * load it replaces would have. If the loop (at any depth) stores to the
 * tensor a pipelined load reads (the same parameter, directly or through
 * views), a store of iteration i could change what iteration i + 1 should
 * read (write after read): an explicit pipeline(n) is then refused with
 * TC_E_PIPELINE_HAZARD (E8004) and notes at the store and the load; a loop
 * pipelined only by the profile's default is left as it is. A default loop
 * whose buffers would take more than half of the profile's shared memory is
 * left alone too (an explicit pipeline(n) runs into the smem pass's limit
 * check instead).
 *
 * Buffers are padded by 16 bytes per row (tc_layout_mma_pad): ldmatrix rows
 * stay 16-byte aligned and 16-byte asynchronous copies stay aligned in
 * every row. The smem pass gives each local_buffer its offset (n * stage
 * bytes, live from the local_buffer over the whole loop).
 */
#include "passes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_EXPR_DEPTH 16
#define MAX_STAGES 8 /* deeper requests are capped: the prologue is unrolled */

typedef struct Pipe {
    TcIrFunc *f;
    TcIrModule *m;
    TcPassContext *ctx;
    const TcGpuProfile *prof;
    bool changed;
    bool failed;
    TcIrOp *loop;             /* the loop being rewritten: new constants go before it */
    TC_VEC(TcIrValue *) consts; /* those constants, reused by dtype and value */
} Pipe;

/* One pipelined load. */
typedef struct Cand {
    TcIrOp *load;
    TcIrValue *buf; /* its local_buffer, once made */
} Cand;

/* ------------------------------------------------------------- helpers */

/* Whether value v is defined inside op's regions (at any depth). */
static bool defined_inside(const TcIrOp *loop, const TcIrValue *v)
{
    const TcIrBlock *b = v->def ? v->def->parent : v->block;
    while (b) {
        if (b->parent == loop) return true;
        const TcIrOp *owner = b->parent;
        b = owner ? owner->parent : NULL;
    }
    return false;
}

static TcIrOp *new_op(Pipe *p, TcSpan loc, TcOpcode opc, uint32_t n, TcIrValue *const *ops, TcType *rt)
{
    p->changed = true;
    return tc_ir_op_new(p->f, opc, loc, n, ops, rt ? 1 : 0, rt ? &rt : NULL, 0);
}

static TcIrOp *put_before(TcIrOp *pos, TcIrOp *op)
{
    tc_ir_insert_before(pos, op);
    return op;
}

static TcIrOp *put_after(TcIrOp *pos, TcIrOp *op)
{
    if (pos->next) tc_ir_insert_before(pos->next, op);
    else tc_ir_block_append(pos->parent, op);
    return op;
}

/* An integer constant, defined before the loop being rewritten (so it is
 * usable in the prologue, the body and after the loop). */
static TcIrValue *const_int(Pipe *p, TcDtype dt, int64_t v)
{
    v = tc_int_wrap(dt, v);
    for (uint32_t i = 0; i < p->consts.len; i++)
        if (p->consts.data[i]->type->dtype == dt && p->consts.data[i]->def->ival == v) return p->consts.data[i];
    TcIrOp *c = put_before(p->loop, new_op(p, p->loop->loc, TC_OP_CONST, 0, NULL, tc_type_scalar(p->m, dt)));
    c->ival = v;
    TC_VEC_PUSH(p->ctx->scratch, p->consts, c->results[0]);
    return c->results[0];
}

static TcIrValue *binary(Pipe *p, TcIrOp *before, TcOpcode opc, TcIrValue *a, TcIrValue *b)
{
    TcIrValue *ops[2] = {a, b};
    return put_before(before, new_op(p, before->loc, opc, 2, ops, a->type))->results[0];
}

static void replace_uses(TcIrBlock *b, const TcIrValue *from, TcIrValue *to)
{
    for (TcIrOp *op = b->first; op; op = op->next) {
        for (uint32_t i = 0; i < op->noperands; i++)
            if (op->operands[i] == from) op->operands[i] = to;
        for (uint32_t r = 0; r < op->nregions; r++) replace_uses(op->regions[r], from, to);
    }
}

static TcIrValue *root_tensor(TcIrValue *v)
{
    while (v->def && v->def->opc == TC_OP_VIEW) v = v->def->operands[0];
    return v;
}

/* --------------------------------------------------------- the offsets */

/* Whether offset expression v can be recomputed for another iteration. */
static bool computable(const TcIrOp *loop, const TcIrValue *v, int depth)
{
    if (v->type->kind != TC_TY_SCALAR || depth > MAX_EXPR_DEPTH) return false;
    if (!defined_inside(loop, v)) return true;
    if (v == loop->regions[0]->args[0]) return true;
    const TcIrOp *d = v->def;
    if (!d || d->parent != loop->regions[0]) return false;
    switch (d->opc) {
    case TC_OP_CONST: return true;
    case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL:
        return computable(loop, d->operands[0], depth + 1) && computable(loop, d->operands[1], depth + 1);
    default: return false;
    }
}

/* v with the induction variable replaced by iv2, built before `before`. */
static TcIrValue *clone_expr(Pipe *p, const TcIrOp *loop, TcIrValue *v, TcIrValue *iv2, TcIrOp *before)
{
    if (!defined_inside(loop, v)) return v;
    if (v == loop->regions[0]->args[0]) return iv2;
    const TcIrOp *d = v->def;
    if (d->opc == TC_OP_CONST) return const_int(p, v->type->dtype, d->ival);
    TcIrValue *a = clone_expr(p, loop, d->operands[0], iv2, before);
    TcIrValue *b = clone_expr(p, loop, d->operands[1], iv2, before);
    return binary(p, before, d->opc, a, b);
}

/* ----------------------------------------------------- which loads */

static bool is_zero_pad(const TcIrValue *pad)
{
    const TcIrOp *d = pad->def;
    if (!d || d->opc != TC_OP_CONST) return false;
    if (tc_dtype_is_float(pad->type->dtype)) return d->fval == 0 && !signbit(d->fval);
    return d->ival == 0;
}

/* Uses of v in b (any depth): every one must be operand a or b of a dot
 * directly in `body`. Counts them; false on any other use. */
static bool dot_only_uses(const TcIrBlock *b, const TcIrBlock *body, const TcIrValue *v, uint32_t *n, bool *mma)
{
    for (const TcIrOp *op = b->first; op; op = op->next) {
        for (uint32_t i = 0; i < op->noperands; i++) {
            if (op->operands[i] != v) continue;
            if (op->opc != TC_OP_DOT || i > 1 || op->parent != body) return false;
            if (op->ival) *mma = true;
            (*n)++;
        }
        for (uint32_t r = 0; r < op->nregions; r++)
            if (!dot_only_uses(op->regions[r], body, v, n, mma)) return false;
    }
    return true;
}

static bool qualifies(const TcIrOp *loop, const TcIrOp *ld)
{
    const TcIrValue *r = ld->results[0];
    if (r->type->kind != TC_TY_TILE || !r->type->layout || r->type->layout->kind == TC_LAYOUT_SHARED) return false;
    const TcIrValue *t = ld->operands[0];
    uint32_t rank = t->type->rank;
    if (rank == 0 || ld->noperands < rank + 1) return false;
    if (ld->noperands == rank + 2 && !is_zero_pad(ld->operands[rank + 1])) return false;
    if (defined_inside(loop, t)) {
        const TcIrOp *v = t->def;
        if (!v || v->opc != TC_OP_VIEW || v->parent != loop->regions[0]) return false;
        for (uint32_t i = 0; i < v->noperands; i++)
            if (defined_inside(loop, v->operands[i])) return false;
    }
    for (uint32_t d = 0; d < rank; d++)
        if (!computable(loop, ld->operands[1 + d], 0)) return false;
    uint32_t n = 0;
    bool mma = false;
    return dot_only_uses(loop->regions[0], loop->regions[0], r, &n, &mma) && n > 0;
}

static bool has_dot(const TcIrBlock *b)
{
    for (const TcIrOp *op = b->first; op; op = op->next)
        if (op->opc == TC_OP_DOT) return true;
    return false;
}

/* The first store in b (any depth) to root tensor `root`. */
static const TcIrOp *find_store(const TcIrBlock *b, const TcIrValue *root)
{
    for (const TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc == TC_OP_STORE && root_tensor(op->operands[0]) == root) return op;
        for (uint32_t r = 0; r < op->nregions; r++) {
            const TcIrOp *s = find_store(op->regions[r], root);
            if (s) return s;
        }
    }
    return NULL;
}

static const char *value_name(const TcIrValue *v) { return v->name ? v->name : "?"; }

typedef TC_VEC(Cand) CandVec;

/* An estimate of the shared memory the smem pass will want in the loop
 * besides the pipelined buffers: the other dot operands it stages (with
 * their padding) and the cross-warp reductions' scratch. */
static uint64_t other_smem(const TcIrBlock *body, const CandVec *cands)
{
    uint64_t total = 0;
    for (const TcIrOp *op = body->first; op; op = op->next) {
        if (op->opc == TC_OP_DOT) {
            for (uint32_t k = 0; k < 2; k++) {
                const TcIrValue *v = op->operands[k];
                bool piped = false;
                for (uint32_t i = 0; i < cands->len && !piped; i++) piped = cands->data[i].load->results[0] == v;
                if (piped || (k == 1 && v == op->operands[0]) || v->type->kind != TC_TY_TILE) continue;
                uint32_t eb = tc_dtype_bytes(v->type->dtype);
                uint64_t pad = op->ival ? tc_layout_mma_pad(eb) : tc_layout_shared_pad(eb);
                int64_t rows = v->type->numel / v->type->shape[v->type->rank - 1];
                total += (uint64_t)rows * ((uint64_t)v->type->shape[v->type->rank - 1] + pad) * eb;
            }
        } else if ((op->opc == TC_OP_REDUCE_SUM || op->opc == TC_OP_REDUCE_MAX || op->opc == TC_OP_REDUCE_MIN) &&
                   op->operands[0]->type->kind == TC_TY_TILE && op->operands[0]->type->layout &&
                   op->operands[0]->type->layout->kind != TC_LAYOUT_SHARED) {
            total += tc_layout_reduce_scratch(op->operands[0]->type, (uint32_t)op->ival);
        }
    }
    return total;
}

/* --------------------------------------------------------- the rewrite */

/* A new `for` like `loop` with one more carried i32 value (init `init`),
 * taking over its body; the old op is replaced and unlinked. */
static TcIrOp *add_counter(Pipe *p, TcIrOp *loop, TcIrValue *init, TcIrValue **it)
{
    TcArena *a = p->ctx->scratch;
    uint32_t nops = loop->noperands, nres = loop->nresults;
    TcIrValue **ops = tc_arena_alloc(a, (nops + 1) * sizeof *ops);
    TcType **tys = tc_arena_alloc(a, (nres + 1) * sizeof *tys);
    memcpy(ops, loop->operands, nops * sizeof *ops);
    ops[nops] = init;
    for (uint32_t i = 0; i < nres; i++) tys[i] = loop->results[i]->type;
    tys[nres] = init->type;
    TcIrOp *nf = tc_ir_op_new(p->f, TC_OP_FOR, loop->loc, nops + 1, ops, nres + 1, tys, 0);
    TcIrBlock *body = loop->regions[0];
    nf->nregions = 1;
    nf->regions[0] = body;
    body->parent = nf;
    nf->pipeline = loop->pipeline;
    nf->unroll = loop->unroll;
    nf->smem = loop->smem;
    for (uint32_t i = 0; i < nres; i++) nf->results[i]->name = loop->results[i]->name;
    *it = tc_ir_block_add_arg(body, init->type, tc_ir_intern(p->m, "it"));
    tc_ir_insert_before(loop, nf);
    tc_ir_op_unlink(loop);
    for (uint32_t i = 0; i < nres; i++) replace_uses(p->f->body, loop->results[i], nf->results[i]);
    return nf;
}

/* Before `at`: one async copy per candidate of the tile its load reads at
 * induction value iv, into stage `stage` of its buffer, then the commit that
 * closes the group. */
static void copy_group(Pipe *p, const TcIrOp *loop, const CandVec *cands, TcIrValue *iv, TcIrValue *stage, TcIrOp *at)
{
    for (uint32_t i = 0; i < cands->len; i++) {
        TcIrOp *ld = cands->data[i].load;
        uint32_t rank = ld->operands[0]->type->rank;
        TcIrValue *ops[TC_MAX_RANK + 3];
        ops[0] = ld->operands[0];
        for (uint32_t d = 0; d < rank; d++) ops[1 + d] = clone_expr(p, loop, ld->operands[1 + d], iv, at);
        ops[rank + 1] = cands->data[i].buf;
        ops[rank + 2] = stage;
        put_before(at, new_op(p, ld->loc, TC_OP_ASYNC_COPY, rank + 3, ops, NULL));
    }
    put_before(at, new_op(p, loop->loc, TC_OP_ASYNC_COMMIT, 0, NULL, NULL));
}

static void pipeline_loop(Pipe *p, TcIrOp *loop, uint32_t n, bool explicit_)
{
    TcIrBlock *body = loop->regions[0];
    TcArena *a = p->ctx->scratch;
    CandVec cands = {0};
    for (TcIrOp *op = body->first; op; op = op->next)
        if (op->opc == TC_OP_LOAD && qualifies(loop, op)) {
            Cand c = {op, NULL};
            TC_VEC_PUSH(a, cands, c);
        }
    if (!cands.len) return;

    /* legality: no store in the loop to a tensor a pipelined load reads */
    for (uint32_t i = 0; i < cands.len; i++) {
        TcIrValue *root = root_tensor(cands.data[i].load->operands[0]);
        const TcIrOp *st = find_store(body, root);
        if (!st) continue;
        if (!explicit_) return; /* the default: just do not pipeline this loop */
        TcDiag *d = tc_error(p->ctx->de, TC_E_PIPELINE_HAZARD, loop->loc,
                             "loop cannot be pipelined: it stores to '%s', which a pipelined load reads %u "
                             "iteration%s ahead (write after read)",
                             value_name(root), n - 1, n == 2 ? "" : "s");
        tc_diag_note(p->ctx->de, d, st->loc, "the store to '%s' is here", value_name(root));
        tc_diag_note(p->ctx->de, d, cands.data[i].load->loc,
                     "this load would read '%s' before the stores of earlier iterations; remove pipeline(%d) "
                     "or store to another tensor",
                     value_name(root), loop->pipeline);
        p->failed = true;
        return;
    }

    /* the stage count the shared memory allows: the buffers of n stages
     * within the profile's shared memory less what the loop's other dot
     * operands and reductions take (half of that for the default) */
    uint64_t stage_total = 0;
    const TcLayout **sl = tc_arena_alloc(a, cands.len * sizeof *sl);
    for (uint32_t i = 0; i < cands.len; i++) {
        const TcType *lt = cands.data[i].load->results[0]->type;
        sl[i] = tc_layout_shared(p->m, tc_layout_mma_pad(tc_dtype_bytes(lt->dtype)));
        stage_total += tc_layout_shared_bytes(tc_type_with_layout(p->m, lt, sl[i]));
    }
    uint64_t budget = p->prof->smem_bytes, other = other_smem(body, &cands);
    budget = other < budget ? budget - other : 0;
    if (!explicit_) budget /= 2;
    while (n >= 2 && (uint64_t)n * stage_total > budget) n--;
    if (n < 2) return;
    TcType **buf_ty = tc_arena_alloc(a, cands.len * sizeof *buf_ty);
    TcType **view_ty = tc_arena_alloc(a, cands.len * sizeof *view_ty);
    for (uint32_t i = 0; i < cands.len; i++) {
        const TcType *lt = cands.data[i].load->results[0]->type;
        int64_t shape[TC_MAX_RANK + 1];
        shape[0] = n;
        memcpy(shape + 1, lt->shape, lt->rank * sizeof *shape);
        view_ty[i] = tc_type_with_layout(p->m, tc_type_tile(p->m, lt->dtype, lt->rank, lt->shape), sl[i]);
        buf_ty[i] = tc_type_with_layout(p->m, tc_type_tile(p->m, lt->dtype, lt->rank + 1u, shape), sl[i]);
    }

    p->loop = loop;
    p->consts.len = 0;
    TcIrValue *iv = body->args[0];
    TcDtype idt = iv->type->dtype;
    TcIrValue *lo = loop->operands[0], *step = loop->operands[2];

    /* hoist views of the loaded tensors */
    for (uint32_t i = 0; i < cands.len; i++) {
        TcIrOp *v = cands.data[i].load->operands[0]->def;
        if (v && v->opc == TC_OP_VIEW && v->parent == body) {
            tc_ir_op_unlink(v);
            tc_ir_insert_before(loop, v);
            p->changed = true;
        }
    }

    /* buffers and the prologue */
    for (uint32_t i = 0; i < cands.len; i++) {
        TcIrOp *ld = cands.data[i].load;
        TcIrOp *b = put_before(loop, new_op(p, ld->loc, TC_OP_LOCAL_BUFFER, 0, NULL, buf_ty[i]));
        const char *nm = ld->results[0]->name;
        if (nm) {
            char tmp[128];
            snprintf(tmp, sizeof tmp, "%s.buf", nm);
            b->results[0]->name = tc_ir_intern(p->m, tmp);
        }
        cands.data[i].buf = b->results[0];
    }
    TcIrValue *cn = const_int(p, TC_I32, n);
    TcIrValue *ahead = n == 2 ? step : binary(p, loop, TC_OP_MUL, step, const_int(p, idt, n - 1));
    for (uint32_t s = 0; s + 1 < n; s++) {
        TcIrValue *ivs = lo;
        if (s > 0) ivs = binary(p, loop, TC_OP_ADD, lo, s == 1 ? step : binary(p, loop, TC_OP_MUL, step, const_int(p, idt, s)));
        copy_group(p, loop, &cands, ivs, const_int(p, TC_I32, s), loop);
    }

    /* the loop: counter, wait, barrier, the copies n - 1 ahead, the views */
    TcIrValue *it;
    TcIrValue *zero = const_int(p, TC_I32, 0);
    loop = p->loop = add_counter(p, loop, zero, &it);
    body = loop->regions[0];
    TcIrOp *top = body->first; /* the yield at least */
    TcIrValue *stage = binary(p, top, TC_OP_REM, it, cn);
    stage->name = tc_ir_intern(p->m, "stage");
    TcIrOp *w = put_before(top, new_op(p, loop->loc, TC_OP_ASYNC_WAIT, 0, NULL, NULL));
    w->ival = n - 2;
    put_before(top, new_op(p, loop->loc, TC_OP_BARRIER, 0, NULL, NULL));
    TcIrValue *next_stage = binary(p, top, TC_OP_REM, binary(p, top, TC_OP_ADD, it, const_int(p, TC_I32, n - 1)), cn);
    TcIrValue *iv_ahead = binary(p, top, TC_OP_ADD, iv, ahead);
    copy_group(p, loop, &cands, iv_ahead, next_stage, top);
    for (uint32_t i = 0; i < cands.len; i++) {
        TcIrOp *ld = cands.data[i].load;
        TcIrValue *ops[2] = {cands.data[i].buf, stage};
        TcIrOp *v = put_before(ld, new_op(p, ld->loc, TC_OP_LOCAL_VIEW, 2, ops, view_ty[i]));
        v->results[0]->name = ld->results[0]->name;
        replace_uses(body, ld->results[0], v->results[0]);
        tc_ir_op_unlink(ld);
    }
    /* the counter's next value */
    TcIrOp *y = tc_ir_block_terminator(body);
    TC_ASSERT(y);
    TcIrValue *it1 = binary(p, y, TC_OP_ADD, it, const_int(p, TC_I32, 1));
    TcIrValue **yops = tc_arena_alloc(a, (y->noperands + 1) * sizeof *yops);
    memcpy(yops, y->operands, y->noperands * sizeof *yops);
    yops[y->noperands] = it1;
    TcIrOp *ny = new_op(p, y->loc, TC_OP_YIELD, y->noperands + 1, yops, NULL);
    tc_ir_insert_before(y, ny);
    tc_ir_op_unlink(y);

    /* the epilogue */
    TcIrOp *bar = put_after(loop, new_op(p, loop->loc, TC_OP_BARRIER, 0, NULL, NULL));
    TcIrOp *w0 = new_op(p, loop->loc, TC_OP_ASYNC_WAIT, 0, NULL, NULL);
    w0->ival = 0;
    tc_ir_insert_before(bar, w0);
}

static void collect_loops(TcIrBlock *b, TcArena *a, void *vec_ptr)
{
    TC_VEC(TcIrOp *) *vec = vec_ptr;
    for (TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc == TC_OP_FOR) TC_VEC_PUSH(a, *vec, op);
        for (uint32_t r = 0; r < op->nregions; r++) collect_loops(op->regions[r], a, vec);
    }
}

/* requires: Distributed Tile IR (after tiling); ctx->profile set */
static bool pipeline_run(TcIrFunc *f, TcPassContext *ctx)
{
    if (!ctx->profile) {
        tc_error(ctx->de, TC_E_PIPELINE,  f->loc,
                 "pass pipeline needs a GPU target (--target=nvptx, musa or sim with --arch), kernel '%s' has none",
                 f->name);
        return false;
    }
    if (!ctx->profile->async_copy) return true;
    Pipe p = {.f = f, .m = f->module, .ctx = ctx, .prof = ctx->profile};
    TC_VEC(TcIrOp *) loops = {0};
    collect_loops(f->body, ctx->scratch, &loops);
    for (uint32_t i = 0; i < loops.len && !p.failed; i++) {
        TcIrOp *loop = loops.data[i];
        if (loop->nregions != 1 || !loop->regions[0]->nargs) continue;
        bool explicit_ = loop->pipeline >= 2;
        uint32_t n = explicit_ ? (uint32_t)loop->pipeline : 0;
        if (loop->pipeline == 0 && has_dot(loop->regions[0])) n = ctx->profile->pipeline_stages;
        if (n < 2) continue;
        pipeline_loop(&p, loop, n > MAX_STAGES ? MAX_STAGES : n, explicit_);
    }
    ctx->changed |= p.changed;
    return !p.failed;
}

const TcPass tc_pass_pipeline = {
    .name = "pipeline",
    .summary = "multi-buffer the loads feeding a loop's dots with asynchronous copies issued n-1 iterations ahead",
    .run = pipeline_run,
};
