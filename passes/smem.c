/*
 * smem.c — the shared-memory pass: Distributed Tile IR -> Memory IR.
 *
 * Input: a kernel after `tiling` (every tile value carries a blocked, slice or
 * shared layout; `convert_layout` where layouts meet). Needs a GPU target
 * profile (ctx->profile). Output:
 *
 *  - dot operands in shared memory: before each `dot` whose a or b is not
 *    #shared, `barrier`, `local_alloc` of a and/or b, `barrier`; the dot then
 *    reads the #shared values. An operand that is a chain of convert_layout ops
 *    is staged from the chain's source (the shared copy is row-major whatever
 *    the register layout, so the conversion would be wasted); a convert_layout
 *    left without uses is removed. The same value as a and b is staged once.
 *  - layout conversions through shared memory: `%y = convert_layout %x`
 *    (both register layouts) becomes `%s = local_alloc %x`, `barrier`,
 *    `%y = local_load %s` (the same value %y, so its uses are untouched).
 *    To #shared: a local_alloc followed by a barrier; from #shared: a barrier
 *    and a local_load; between equal types: nothing.
 *  - pipelined buffers (passes/pipeline.c): a local_buffer is allocated
 *    like a local_alloc buffer with all its stages, live from its op to the
 *    last use of it or of its local_views (so over its loop); dot operands
 *    that are local_views are #shared already and not staged.
 *  - write-after-read safety: every local_alloc or local_buffer (or run of
 *    adjacent ones) is preceded by a barrier, so no thread overwrites a buffer another thread
 *    may still read (earlier in the block, or in the previous iteration of a
 *    loop); a barrier right after another barrier is removed.
 *  - scratch: a reduce_sum/max/min whose operand spans several warps along
 *    the axis (tc_layout_reduce_scratch > 0) gets op->smem = the offset of a
 *    scratch buffer of that many bytes; so does every reshape of a register
 *    tile (numel x elem bytes, unpadded: codegen moves the elements through
 *    it). Codegen puts its own barriers before and after a scratch's use.
 *  - padding: a staged tile is #shared<pad = tc_layout_shared_pad(elem
 *    bytes)> (one 32-bit bank word after each row), or, for the operands of
 *    an MMA dot ({mma = 1}), tc_layout_mma_pad (16 bytes: ldmatrix reads
 *    16-byte aligned rows); its size is tc_layout_shared_bytes.
 *  - allocation by liveness: ops are numbered in program order (a for/if
 *    gets a start and an exit number around its regions). A local_alloc
 *    buffer lives from its op to the last use of its value, extended to the
 *    exit of the outermost for/if that uses it without containing its
 *    definition (so a buffer defined before a loop and read in it lives over
 *    the whole loop); values it flows into through yields and loop-carried
 *    arguments count as its uses, and a loop-carried one lives over the whole
 *    loop. A scratch lives at its op only. Buffers, in order of
 *    start, get the lowest 16-byte-aligned offset that overlaps no buffer
 *    live at the same time (first fit), so dead space is reused. The offset
 *    is the op's `smem` attribute; f->smem_bytes is the high-water mark,
 *    rounded up to 16.
 *  - the limit: above ctx->profile->smem_bytes the pass reports
 *    TC_E_SMEM_LIMIT at the kernel, with the numbers, a note with the
 *    specialization's const values and notes on the buffers live at the peak.
 *
 * Errors: no GPU profile, or a tile without a layout (tiling did not run),
 * report TC_E_PIPELINE. Running the pass again on its own output changes
 * nothing but recomputes the same offsets.
 */
#include "passes.h"

#include <stdlib.h>
#include <string.h>

#define SMEM_ALIGN 16u

typedef struct Region {
    uint32_t start, exit;
} Region;

/* A shared-memory buffer: a local_alloc's value, or a reduce's or reshape's scratch. */
typedef struct Buf {
    TcIrOp *op;
    uint64_t bytes;
    uint32_t start, end; /* live positions, inclusive */
    uint64_t off;
    uint32_t index;      /* order found, for a stable sort */
} Buf;

typedef struct Smem {
    TcIrFunc *f;
    TcIrModule *m;
    TcPassContext *ctx;
    TcArena *a;
    bool changed;
    /* liveness, indexed by value id */
    uint32_t *defpos, *endpos, *cross;
    uint32_t pos;
    TC_VEC(Region) regions;
    TC_VEC(uint32_t) rstack;
    TC_VEC(Buf) bufs;
    TC_VEC(TcIrOp *) ops; /* work list */
    TC_VEC(TcIrOp *) views; /* local_view ops */
} Smem;

static bool is_shared(const TcIrValue *v)
{
    return v->type->kind == TC_TY_TILE && v->type->layout && v->type->layout->kind == TC_LAYOUT_SHARED;
}

static TcType *shared_type(TcIrModule *m, const TcType *t)
{
    uint32_t pad = tc_layout_shared_pad(tc_dtype_bytes(t->dtype));
    return tc_type_with_layout(m, t, tc_layout_shared(m, pad));
}

static uint64_t align_up(uint64_t x) { return (x + SMEM_ALIGN - 1) / SMEM_ALIGN * SMEM_ALIGN; }

/* ------------------------------------------------------------ walking */

static void collect(TcIrBlock *b, TcOpcode opc, Smem *s)
{
    for (TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc == opc) TC_VEC_PUSH(s->a, s->ops, op);
        for (uint32_t r = 0; r < op->nregions; r++) collect(op->regions[r], opc, s);
    }
}

static void replace_uses(TcIrBlock *b, const TcIrValue *from, TcIrValue *to)
{
    for (TcIrOp *op = b->first; op; op = op->next) {
        for (uint32_t i = 0; i < op->noperands; i++)
            if (op->operands[i] == from) op->operands[i] = to;
        for (uint32_t r = 0; r < op->nregions; r++) replace_uses(op->regions[r], from, to);
    }
}

static void count_uses(const TcIrBlock *b, uint32_t *uses)
{
    for (const TcIrOp *op = b->first; op; op = op->next) {
        for (uint32_t i = 0; i < op->noperands; i++) uses[op->operands[i]->id]++;
        for (uint32_t r = 0; r < op->nregions; r++) count_uses(op->regions[r], uses);
    }
}

static TcIrOp *insert_op(Smem *s, TcIrOp *before, TcOpcode opc, TcIrValue *operand, TcType *result)
{
    TcIrOp *op = tc_ir_op_new(s->f, opc, before->loc, operand ? 1 : 0, operand ? &operand : NULL, result ? 1 : 0,
                              result ? &result : NULL, 0);
    tc_ir_insert_before(before, op);
    s->changed = true;
    return op;
}

static void insert_barrier(Smem *s, TcIrOp *before) { insert_op(s, before, TC_OP_BARRIER, NULL, NULL); }

/* A barrier right after `after` (which is not a terminator). */
static void barrier_after(Smem *s, TcIrOp *after)
{
    TC_ASSERT(after->next);
    insert_barrier(s, after->next);
}

/* ------------------------------------------------------------- checks */

/* The first op whose tile result or region argument has no layout. */
static const TcIrOp *find_unlaid(const TcIrBlock *b, const TcType **ty)
{
    for (const TcIrOp *op = b->first; op; op = op->next) {
        for (uint32_t i = 0; i < op->nresults; i++)
            if (op->results[i]->type->kind == TC_TY_TILE && !op->results[i]->type->layout) {
                *ty = op->results[i]->type;
                return op;
            }
        for (uint32_t r = 0; r < op->nregions; r++) {
            const TcIrBlock *rb = op->regions[r];
            for (uint32_t i = 0; i < rb->nargs; i++)
                if (rb->args[i]->type->kind == TC_TY_TILE && !rb->args[i]->type->layout) {
                    *ty = rb->args[i]->type;
                    return op;
                }
            const TcIrOp *in = find_unlaid(rb, ty);
            if (in) return in;
        }
    }
    return NULL;
}

/* "f16[64, 32]" without the layout. */
static void print_shape(const TcType *t, TcStrBuf *sb)
{
    tc_sb_puts(sb, tc_dtype_name(t->dtype));
    tc_sb_putc(sb, '[');
    for (uint32_t i = 0; i < t->rank; i++) tc_sb_printf(sb, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    tc_sb_putc(sb, ']');
}

/* --------------------------------------------------------------- dots */

/* v, or the source of the convert_layout chain that makes v, stopping at a
 * #shared value. */
static TcIrValue *stage_source(TcIrValue *v)
{
    while (!is_shared(v) && v->def && v->def->opc == TC_OP_CONVERT_LAYOUT) v = v->def->operands[0];
    return v;
}

static void stage_dot(Smem *s, TcIrOp *dot)
{
    TcIrValue *src[2], *staged[2] = {NULL, NULL};
    bool need = false;
    for (uint32_t k = 0; k < 2; k++) {
        TcIrValue *v = dot->operands[k];
        if (is_shared(v)) {
            src[k] = NULL; /* already staged */
            continue;
        }
        src[k] = stage_source(v);
        if (is_shared(src[k])) {
            dot->operands[k] = src[k];
            s->changed = true;
            src[k] = NULL;
        } else {
            need = true;
        }
    }
    if (!need) return;
    insert_barrier(s, dot);
    for (uint32_t k = 0; k < 2; k++) {
        if (!src[k]) continue;
        if (k == 1 && src[0] == src[1]) {
            staged[1] = staged[0];
        } else {
            TcType *st = shared_type(s->m, src[k]->type);
            if (dot->ival) /* MMA: 16-byte rows for ldmatrix */
                st = tc_type_with_layout(s->m, src[k]->type,
                                         tc_layout_shared(s->m, tc_layout_mma_pad(tc_dtype_bytes(src[k]->type->dtype))));
            TcIrOp *al = insert_op(s, dot, TC_OP_LOCAL_ALLOC, src[k], st);
            staged[k] = al->results[0];
        }
        dot->operands[k] = staged[k];
    }
    insert_barrier(s, dot);
}

/* Removes convert_layout ops whose results are unused (the dots' operands
 * looked through them). */
static void drop_dead_converts(Smem *s)
{
    uint32_t *uses = tc_arena_alloc(s->a, (s->f->nvalues ? s->f->nvalues : 1) * sizeof *uses);
    count_uses(s->f->body, uses);
    s->ops.len = 0;
    collect(s->f->body, TC_OP_CONVERT_LAYOUT, s);
    /* pre-order lists a definition before its uses: going backwards frees a
     * chain from its end */
    for (uint32_t i = s->ops.len; i-- > 0;) {
        TcIrOp *op = s->ops.data[i];
        if (uses[op->results[0]->id]) continue;
        uses[op->operands[0]->id]--;
        tc_ir_op_unlink(op);
        s->changed = true;
    }
}

/* ---------------------------------------------------------- converts */

static void lower_convert(Smem *s, TcIrOp *op)
{
    TcIrValue *x = op->operands[0], *y = op->results[0];
    if (x->type == y->type) {
        replace_uses(s->f->body, y, x);
        tc_ir_op_unlink(op);
        s->changed = true;
        return;
    }
    if (is_shared(x) && is_shared(y)) {
        /* another padding: through registers, in the default layout */
        const TcGpuProfile *p = s->ctx->profile;
        uint32_t warps = s->f->warps > 0 ? (uint32_t)s->f->warps : p->default_warps;
        const TcLayout *l = tc_layout_default(s->m, x->type->rank, x->type->shape, tc_dtype_bytes(x->type->dtype),
                                              p->vec_bytes, p->warp_size, warps);
        insert_barrier(s, op);
        TcIrOp *ld = insert_op(s, op, TC_OP_LOCAL_LOAD, x, tc_type_with_layout(s->m, x->type, l));
        op->operands[0] = x = ld->results[0];
    }
    if (is_shared(y)) { /* registers -> shared: readers follow the barrier */
        op->opc = TC_OP_LOCAL_ALLOC;
        barrier_after(s, op);
    } else if (is_shared(x)) { /* shared -> registers */
        insert_barrier(s, op);
        op->opc = TC_OP_LOCAL_LOAD;
    } else { /* registers -> shared -> registers */
        TcIrOp *al = insert_op(s, op, TC_OP_LOCAL_ALLOC, x, shared_type(s->m, x->type));
        insert_barrier(s, op);
        op->opc = TC_OP_LOCAL_LOAD;
        op->operands[0] = al->results[0];
    }
    s->changed = true;
}

/* ----------------------------------------------------------- barriers */

static void fix_barriers(Smem *s, TcIrBlock *b)
{
    for (TcIrOp *op = b->first; op; op = op->next) {
        if ((op->opc == TC_OP_LOCAL_ALLOC || op->opc == TC_OP_LOCAL_BUFFER) &&
            !(op->prev && (op->prev->opc == TC_OP_BARRIER || op->prev->opc == TC_OP_LOCAL_ALLOC ||
                           op->prev->opc == TC_OP_LOCAL_BUFFER)))
            insert_barrier(s, op);
        for (uint32_t r = 0; r < op->nregions; r++) fix_barriers(s, op->regions[r]);
    }
    for (TcIrOp *op = b->first, *next; op; op = next) {
        next = op->next;
        if (op->opc == TC_OP_BARRIER && op->prev && op->prev->opc == TC_OP_BARRIER) {
            tc_ir_op_unlink(op);
            s->changed = true;
        }
    }
}

/* ----------------------------------------------------------- liveness */

static void note_use(Smem *s, const TcIrValue *v, uint32_t p)
{
    if (s->endpos[v->id] < p) s->endpos[v->id] = p;
    /* the outermost enclosing region op that does not contain v's definition */
    for (uint32_t i = 0; i < s->rstack.len; i++) {
        Region *r = &s->regions.data[s->rstack.data[i]];
        if (s->defpos[v->id] < r->start) {
            if (s->cross[v->id] == UINT32_MAX || r->start < s->regions.data[s->cross[v->id]].start)
                s->cross[v->id] = s->rstack.data[i];
            break;
        }
    }
}

static void liveness_block(Smem *s, const TcIrBlock *blk)
{
    for (const TcIrOp *op = blk->first; op; op = op->next) {
        uint32_t p = s->pos++;
        for (uint32_t i = 0; i < op->noperands; i++) note_use(s, op->operands[i], p);
        uint32_t exitp = p;
        if (op->nregions) {
            uint32_t ri = s->regions.len;
            Region rec = {p, 0};
            TC_VEC_PUSH(s->a, s->regions, rec);
            for (uint32_t r = 0; r < op->nregions; r++)
                for (uint32_t a = 0; a < op->regions[r]->nargs; a++) {
                    const TcIrValue *v = op->regions[r]->args[a];
                    s->defpos[v->id] = s->endpos[v->id] = p;
                }
            TC_VEC_PUSH(s->a, s->rstack, ri);
            for (uint32_t r = 0; r < op->nregions; r++) liveness_block(s, op->regions[r]);
            s->rstack.len--;
            exitp = s->pos++;
            s->regions.data[ri].exit = exitp;
            /* a loop-carried value lives over the whole loop */
            if (op->opc == TC_OP_FOR)
                for (uint32_t r = 0; r < op->nregions; r++)
                    for (uint32_t a = 0; a < op->regions[r]->nargs; a++)
                        s->endpos[op->regions[r]->args[a]->id] = exitp;
        }
        for (uint32_t i = 0; i < op->nresults; i++)
            s->defpos[op->results[i]->id] = s->endpos[op->results[i]->id] = exitp;
    }
}

static void compute_liveness(Smem *s)
{
    uint32_t n = s->f->nvalues ? s->f->nvalues : 1;
    s->defpos = tc_arena_alloc(s->a, n * sizeof(uint32_t));
    s->endpos = tc_arena_alloc(s->a, n * sizeof(uint32_t));
    s->cross = tc_arena_alloc(s->a, n * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) s->cross[i] = UINT32_MAX;
    for (uint32_t i = 0; i < s->f->body->nargs; i++) s->defpos[s->f->body->args[i]->id] = 0;
    s->pos = 1;
    liveness_block(s, s->f->body);
    for (uint32_t i = 0; i < s->f->nvalues; i++)
        if (s->cross[i] != UINT32_MAX && s->endpos[i] < s->regions.data[s->cross[i]].exit)
            s->endpos[i] = s->regions.data[s->cross[i]].exit;
}

/* Marks the values a marked value flows into through yields and inits. */
static bool flow_block(const TcIrBlock *b, bool *mark)
{
    bool grew = false;
#define MARK(v) do { if (!mark[(v)->id]) { mark[(v)->id] = true; grew = true; } } while (0)
    for (const TcIrOp *op = b->first; op; op = op->next) {
        for (uint32_t r = 0; r < op->nregions; r++) grew |= flow_block(op->regions[r], mark);
        if (op->opc == TC_OP_FOR && op->nregions == 1) {
            const TcIrBlock *body = op->regions[0];
            const TcIrOp *y = tc_ir_block_terminator(body);
            for (uint32_t i = 0; i < op->nresults; i++) {
                bool in = (3 + i < op->noperands && mark[op->operands[3 + i]->id]) ||
                          (y && i < y->noperands && mark[y->operands[i]->id]);
                if (!in) continue;
                MARK(op->results[i]);
                if (i + 1 < body->nargs) MARK(body->args[i + 1]);
            }
        } else if (op->opc == TC_OP_IF) {
            for (uint32_t r = 0; r < op->nregions; r++) {
                const TcIrOp *y = tc_ir_block_terminator(op->regions[r]);
                for (uint32_t i = 0; y && i < op->nresults && i < y->noperands; i++)
                    if (mark[y->operands[i]->id]) MARK(op->results[i]);
            }
        }
    }
#undef MARK
    return grew;
}

/* --------------------------------------------------------- allocation */

static void collect_bufs(Smem *s, TcIrBlock *b)
{
    for (TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc == TC_OP_LOCAL_ALLOC || op->opc == TC_OP_LOCAL_BUFFER) {
            Buf bf = {op, tc_layout_shared_bytes(op->results[0]->type), 0, 0, 0, s->bufs.len};
            TC_VEC_PUSH(s->a, s->bufs, bf);
        } else if (op->opc == TC_OP_REDUCE_SUM || op->opc == TC_OP_REDUCE_MAX || op->opc == TC_OP_REDUCE_MIN ||
                   op->opc == TC_OP_RESHAPE) {
            const TcType *t = op->operands[0]->type;
            uint64_t bytes = 0;
            if (t->kind == TC_TY_TILE && t->layout && t->layout->kind != TC_LAYOUT_SHARED)
                bytes = op->opc == TC_OP_RESHAPE ? (uint64_t)t->numel * tc_dtype_bytes(t->dtype)
                                                 : tc_layout_reduce_scratch(t, (uint32_t)op->ival);
            if (bytes) {
                Buf bf = {op, bytes, 0, 0, 0, s->bufs.len};
                TC_VEC_PUSH(s->a, s->bufs, bf);
            } else if (op->smem != -1) {
                op->smem = -1;
                s->changed = true;
            }
        }
        for (uint32_t r = 0; r < op->nregions; r++) collect_bufs(s, op->regions[r]);
    }
}

/* Whether a #shared value is yielded or a loop's initial value anywhere. */
static bool shared_flows(const TcIrBlock *b)
{
    for (const TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc == TC_OP_YIELD || op->opc == TC_OP_FOR)
            for (uint32_t i = 0; i < op->noperands; i++)
                if (is_shared(op->operands[i])) return true;
        for (uint32_t r = 0; r < op->nregions; r++)
            if (shared_flows(op->regions[r])) return true;
    }
    return false;
}

static void live_ranges(Smem *s)
{
    uint32_t n = s->f->nvalues ? s->f->nvalues : 1;
    bool flows = shared_flows(s->f->body);
    bool *mark = flows ? tc_arena_alloc(s->a, n * sizeof *mark) : NULL;
    for (uint32_t k = 0; k < s->bufs.len; k++) {
        Buf *b = &s->bufs.data[k];
        const TcIrValue *v = b->op->results[0];
        b->start = s->defpos[v->id];
        bool buffer = b->op->opc == TC_OP_LOCAL_ALLOC || b->op->opc == TC_OP_LOCAL_BUFFER;
        b->end = buffer ? s->endpos[v->id] : b->start; /* scratch: at its op only */
        if (b->op->opc == TC_OP_LOCAL_BUFFER) /* its views read it */
            for (uint32_t i = 0; i < s->views.len; i++)
                if (s->views.data[i]->operands[0] == v && s->endpos[s->views.data[i]->results[0]->id] > b->end)
                    b->end = s->endpos[s->views.data[i]->results[0]->id];
        if (!flows || !buffer) continue;
        memset(mark, 0, n * sizeof *mark);
        mark[v->id] = true;
        while (flow_block(s->f->body, mark)) {}
        for (uint32_t i = 0; i < s->f->nvalues; i++) {
            if (!mark[i]) continue;
            if (s->defpos[i] < b->start) b->start = s->defpos[i];
            if (s->endpos[i] > b->end) b->end = s->endpos[i];
        }
    }
}

static int by_start(const void *pa, const void *pb)
{
    const Buf *a = pa, *b = pb;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    if (a->bytes != b->bytes) return a->bytes > b->bytes ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int by_off(const void *pa, const void *pb)
{
    const Buf *a = *(const Buf *const *)pa, *b = *(const Buf *const *)pb;
    if (a->off != b->off) return a->off < b->off ? -1 : 1;
    return 0;
}

static bool overlap(const Buf *a, const Buf *b) { return a->start <= b->end && b->start <= a->end; }

/* First fit, in order of start; returns the high-water mark. */
static uint64_t assign_offsets(Smem *s)
{
    if (!s->bufs.len) return 0;
    qsort(s->bufs.data, s->bufs.len, sizeof *s->bufs.data, by_start);
    const Buf **live = tc_arena_alloc(s->a, s->bufs.len * sizeof *live);
    uint64_t top = 0;
    for (uint32_t k = 0; k < s->bufs.len; k++) {
        Buf *b = &s->bufs.data[k];
        uint32_t nl = 0;
        for (uint32_t j = 0; j < k; j++)
            if (overlap(&s->bufs.data[j], b)) live[nl++] = &s->bufs.data[j];
        qsort(live, nl, sizeof *live, by_off);
        uint64_t off = 0;
        for (uint32_t j = 0; j < nl; j++) {
            if (off + b->bytes <= live[j]->off) break;
            uint64_t e = align_up(live[j]->off + live[j]->bytes);
            if (e > off) off = e;
        }
        b->off = off;
        if (off + b->bytes > top) top = off + b->bytes;
        if (b->op->smem != (int64_t)off) {
            b->op->smem = (int64_t)off;
            s->changed = true;
        }
    }
    return align_up(top);
}

/* ------------------------------------------------------ the limit */

/* What a buffer is for, for the notes. */
static void describe(Smem *s, const Buf *b, TcStrBuf *sb)
{
    const TcIrOp *op = b->op;
    tc_sb_printf(sb, "%llu bytes at offset %llu: ", (unsigned long long)b->bytes, (unsigned long long)b->off);
    if (op->opc == TC_OP_RESHAPE) {
        tc_sb_puts(sb, "scratch of reshape of ");
        print_shape(op->operands[0]->type, sb);
        return;
    }
    if (op->opc != TC_OP_LOCAL_ALLOC && op->opc != TC_OP_LOCAL_BUFFER) {
        tc_sb_printf(sb, "scratch of %s along axis %lld of ", tc_op_info(op->opc)->name, (long long)op->ival);
        print_shape(op->operands[0]->type, sb);
        return;
    }
    if (op->opc == TC_OP_LOCAL_BUFFER) {
        const TcIrValue *v = op->results[0];
        print_shape(v->type, sb);
        if (v->name) tc_sb_printf(sb, " '%s'", v->name);
        tc_sb_printf(sb, ": %lld stages of pipelined loads", (long long)v->type->shape[0]);
        return;
    }
    const TcIrValue *src = op->operands[0], *v = op->results[0];
    print_shape(v->type, sb);
    if (src->name) tc_sb_printf(sb, " '%s'", src->name);
    /* the first reader says why it is staged */
    s->ops.len = 0;
    collect(s->f->body, TC_OP_DOT, s);
    for (uint32_t i = 0; i < s->ops.len; i++)
        for (uint32_t k = 0; k < 2; k++)
            if (s->ops.data[i]->operands[k] == v) {
                tc_sb_printf(sb, " staged as operand %s of dot", k ? "b" : "a");
                return;
            }
    tc_sb_puts(sb, " staged for a layout conversion");
}

static void report_limit(Smem *s, uint64_t total)
{
    const TcGpuProfile *p = s->ctx->profile;
    TcDiag *d = tc_error(s->ctx->de, TC_E_SMEM_LIMIT, s->f->loc,
                         "kernel '%s' needs %llu bytes of shared memory; %s allows %u per block", s->f->name,
                         (unsigned long long)total, p->name, p->smem_bytes);
    tc_diag_amounts(d, (int64_t)total, (int64_t)p->smem_bytes);
    TcStrBuf sb;
    tc_sb_init(&sb);
    if (s->f->consts.len) {
        tc_sb_puts(&sb, "with ");
        for (uint32_t i = 0; i < s->f->consts.len; i++) {
            const TcIrConst *c = &s->f->consts.data[i];
            tc_sb_printf(&sb, "%s%s = ", i ? ", " : "", c->name);
            switch (c->kind) {
            case TC_CONST_INT: tc_sb_printf(&sb, "%lld", (long long)c->ival); break;
            case TC_CONST_BOOL: tc_sb_puts(&sb, c->ival ? "true" : "false"); break;
            case TC_CONST_FLOAT: tc_sb_double(&sb, c->fval); break;
            case TC_CONST_DTYPE: tc_sb_puts(&sb, tc_dtype_name(c->dtype)); break;
            }
        }
        tc_sb_puts(&sb, "; smaller tiles (-D) need less shared memory");
        tc_diag_note(s->ctx->de, d, s->f->loc, "%s", sb.data);
    }
    /* the buffers live where the high-water mark is reached, largest first */
    const Buf *peak = NULL;
    for (uint32_t k = 0; k < s->bufs.len; k++) {
        const Buf *b = &s->bufs.data[k];
        if (!peak || b->off + b->bytes > peak->off + peak->bytes) peak = b;
    }
    const Buf **at = tc_arena_alloc(s->a, s->bufs.len * sizeof *at);
    uint32_t n = 0;
    for (uint32_t k = 0; k < s->bufs.len; k++) {
        const Buf *b = &s->bufs.data[k];
        if (b->start <= peak->start && peak->start <= b->end) at[n++] = b;
    }
    for (uint32_t i = 1; i < n; i++) /* insertion sort, largest first */
        for (uint32_t j = i; j > 0 && at[j]->bytes > at[j - 1]->bytes; j--) {
            const Buf *t = at[j];
            at[j] = at[j - 1];
            at[j - 1] = t;
        }
    const uint32_t shown = n < 4 ? n : 4;
    for (uint32_t i = 0; i < shown; i++) {
        tc_sb_clear(&sb);
        describe(s, at[i], &sb);
        if (i == 0) tc_diag_note(s->ctx->de, d, at[i]->op->loc, "largest buffer live at the peak: %s", sb.data);
        else tc_diag_note(s->ctx->de, d, at[i]->op->loc, "also live: %s", sb.data);
    }
    if (n > shown) tc_diag_note(s->ctx->de, d, (TcSpan){0}, "and %u more buffers live at the peak", n - shown);
    tc_sb_free(&sb);
}

/* ------------------------------------------------------------- driver */

/* requires: verified Distributed Tile IR (after tiling); ctx->profile set */
static bool smem_run(TcIrFunc *f, TcPassContext *ctx)
{
    if (!ctx->profile) {
        tc_error(ctx->de, TC_E_PIPELINE, f->loc,
                 "pass smem needs a GPU target (--target=nvptx, musa or sim with --arch), kernel '%s' has none",
                 f->name);
        return false;
    }
    const TcType *bare = NULL;
    const TcIrOp *unlaid = find_unlaid(f->body, &bare);
    if (unlaid) {
        TcDiag *d = tc_error(ctx->de, TC_E_PIPELINE, f->loc,
                             "smem needs distributed IR: run tiling first (kernel '%s' has tiles without layouts)",
                             f->name);
        TcStrBuf sb;
        tc_sb_init(&sb);
        print_shape(bare, &sb);
        tc_diag_note(ctx->de, d, unlaid->loc, "'%s' gives a %s with no layout", tc_op_info(unlaid->opc)->name,
                     sb.data);
        tc_sb_free(&sb);
        return false;
    }

    Smem s = {.f = f, .m = f->module, .ctx = ctx, .a = ctx->scratch};

    /* 1. dot operands */
    collect(f->body, TC_OP_DOT, &s);
    for (uint32_t i = 0; i < s.ops.len; i++) stage_dot(&s, s.ops.data[i]);
    drop_dead_converts(&s);

    /* 2. layout conversions */
    s.ops.len = 0;
    collect(f->body, TC_OP_CONVERT_LAYOUT, &s);
    for (uint32_t i = 0; i < s.ops.len; i++) lower_convert(&s, s.ops.data[i]);

    /* 3. a barrier before every shared-memory write */
    fix_barriers(&s, f->body);

    /* 4. liveness and offsets */
    s.ops.len = 0;
    collect(f->body, TC_OP_LOCAL_VIEW, &s);
    for (uint32_t i = 0; i < s.ops.len; i++) TC_VEC_PUSH(s.a, s.views, s.ops.data[i]);
    compute_liveness(&s);
    collect_bufs(&s, f->body);
    live_ranges(&s);
    uint64_t total = assign_offsets(&s);
    if (f->smem_bytes != total) {
        f->smem_bytes = total;
        s.changed = true;
    }
    ctx->changed |= s.changed;

    /* 5. the target's limit */
    if (total > ctx->profile->smem_bytes) {
        report_limit(&s, total);
        return false;
    }
    return true;
}

const TcPass tc_pass_smem = {
    .name = "smem",
    .summary = "stage dot operands and layout conversions through shared memory, insert barriers, allocate by "
               "liveness",
    .run = smem_run,
};
