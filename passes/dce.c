/*
 * dce.c — dead code elimination.
 *
 * Removes, until nothing changes:
 *  - ops whose results are all unused and that are TC_OPF_PURE,
 *    TC_OPF_READS_MEMORY or TC_OPF_READS_SHARED (local_load; never stores,
 *    yields, local_alloc, barrier, or any other op);
 *  - `for` and `if` ops whose results are all unused and whose regions hold
 *    nothing but such ops (and yields) — no store at any depth;
 *  - unused loop-carried values of a `for`: the i-th carried value goes when
 *    result i is unused and block argument i+1 is used by nothing but the
 *    body's yield at position i (the init, the result, the block argument
 *    and the yield operand are removed together);
 *  - unused results of an `if` (the result and both arms' yield operands).
 *
 * Use counts live in an array indexed by value id; removing an op decrements
 * the counts of its operands and of every operand inside its regions. Each
 * sweep visits blocks from the last op to the first, so a chain of dead ops
 * in one block goes in one sweep; sweeps repeat until one changes nothing.
 */
#include "passes.h"

/* Ops with no effect besides their results. */
#define READ_ONLY (TC_OPF_PURE | TC_OPF_READS_MEMORY | TC_OPF_READS_SHARED)

typedef struct Dce {
    uint32_t *uses;  /* uses[id]: operand slots that refer to value id */
    bool changed;
} Dce;

static void count_uses(Dce *d, TcIrBlock *b)
{
    for (TcIrOp *op = b->first; op; op = op->next) {
        for (uint32_t i = 0; i < op->noperands; i++) d->uses[op->operands[i]->id]++;
        for (uint32_t r = 0; r < op->nregions; r++) count_uses(d, op->regions[r]);
    }
}

static void drop_uses(Dce *d, TcIrBlock *b)
{
    for (TcIrOp *op = b->first; op; op = op->next) {
        for (uint32_t i = 0; i < op->noperands; i++) d->uses[op->operands[i]->id]--;
        for (uint32_t r = 0; r < op->nregions; r++) drop_uses(d, op->regions[r]);
    }
}

/* True when running the region's ops has no effect besides their results. */
static bool region_is_removable(const TcIrBlock *b)
{
    for (const TcIrOp *op = b->first; op; op = op->next) {
        unsigned fl = tc_op_info(op->opc)->flags;
        if (fl & TC_OPF_TERMINATOR) {
            if (op->opc != TC_OP_YIELD) return false;
            continue;
        }
        if (fl & TC_OPF_HAS_REGIONS) {
            if (op->opc != TC_OP_FOR && op->opc != TC_OP_IF) return false;
            for (uint32_t r = 0; r < op->nregions; r++)
                if (!region_is_removable(op->regions[r])) return false;
            continue;
        }
        if (!(fl & READ_ONLY) || (fl & (TC_OPF_WRITES_MEMORY | TC_OPF_WRITES_SHARED))) return false;
    }
    return true;
}

static bool results_unused(const Dce *d, const TcIrOp *op)
{
    for (uint32_t i = 0; i < op->nresults; i++)
        if (d->uses[op->results[i]->id]) return false;
    return true;
}

static bool is_dead(const Dce *d, const TcIrOp *op)
{
    unsigned fl = tc_op_info(op->opc)->flags;
    if ((fl & (TC_OPF_TERMINATOR | TC_OPF_WRITES_MEMORY | TC_OPF_WRITES_SHARED)) || !results_unused(d, op))
        return false;
    if (op->opc == TC_OP_FOR || op->opc == TC_OP_IF) {
        for (uint32_t r = 0; r < op->nregions; r++)
            if (!region_is_removable(op->regions[r])) return false;
        return true;
    }
    return op->nregions == 0 && (fl & READ_ONLY);
}

static void remove_op(Dce *d, TcIrOp *op)
{
    for (uint32_t i = 0; i < op->noperands; i++) d->uses[op->operands[i]->id]--;
    for (uint32_t r = 0; r < op->nregions; r++) drop_uses(d, op->regions[r]);
    tc_ir_op_unlink(op);
    d->changed = true;
}

static void remove_operand(TcIrOp *op, uint32_t i)
{
    for (uint32_t j = i; j + 1 < op->noperands; j++) op->operands[j] = op->operands[j + 1];
    op->noperands--;
}

static void remove_result(TcIrOp *op, uint32_t i)
{
    for (uint32_t j = i; j + 1 < op->nresults; j++) {
        op->results[j] = op->results[j + 1];
        op->results[j]->index = j;
    }
    op->nresults--;
}

static void remove_block_arg(TcIrBlock *b, uint32_t i)
{
    for (uint32_t j = i; j + 1 < b->nargs; j++) {
        b->args[j] = b->args[j + 1];
        b->args[j]->index = j;
    }
    b->nargs--;
}

/* Drops carried value i of a `for` when nothing observes it. */
static void trim_for(Dce *d, TcIrOp *op)
{
    if (op->nregions != 1) return;
    TcIrBlock *body = op->regions[0];
    TcIrOp *y = tc_ir_block_terminator(body);
    if (!y || y->noperands != op->nresults || body->nargs != op->nresults + 1 ||
        op->noperands != op->nresults + 3)
        return;
    for (uint32_t i = op->nresults; i-- > 0;) {
        TcIrValue *arg = body->args[i + 1];
        uint32_t in_yield = y->operands[i] == arg;
        if (d->uses[op->results[i]->id] || d->uses[arg->id] != in_yield) continue;
        d->uses[op->operands[3 + i]->id]--;
        d->uses[y->operands[i]->id]--;
        remove_operand(op, 3 + i);
        remove_operand(y, i);
        remove_result(op, i);
        remove_block_arg(body, i + 1);
        d->changed = true;
    }
}

/* Drops result i of an `if` when it is unused. */
static void trim_if(Dce *d, TcIrOp *op)
{
    if (op->nregions != 2) return;
    TcIrOp *y0 = tc_ir_block_terminator(op->regions[0]);
    TcIrOp *y1 = tc_ir_block_terminator(op->regions[1]);
    if (!y0 || !y1 || y0->noperands != op->nresults || y1->noperands != op->nresults) return;
    for (uint32_t i = op->nresults; i-- > 0;) {
        if (d->uses[op->results[i]->id]) continue;
        d->uses[y0->operands[i]->id]--;
        d->uses[y1->operands[i]->id]--;
        remove_operand(y0, i);
        remove_operand(y1, i);
        remove_result(op, i);
        d->changed = true;
    }
}

/* One sweep: ops from last to first, inner regions before their owner. */
static void sweep(Dce *d, TcIrBlock *b)
{
    for (TcIrOp *op = b->last, *prev; op; op = prev) {
        prev = op->prev;
        if (is_dead(d, op)) {
            remove_op(d, op);
            continue;
        }
        if (op->opc == TC_OP_FOR) trim_for(d, op);
        else if (op->opc == TC_OP_IF) trim_if(d, op);
        for (uint32_t r = op->nregions; r-- > 0;) sweep(d, op->regions[r]);
        if (op->nregions && is_dead(d, op)) remove_op(d, op);
    }
}

/* requires: verified Tile IR */
static bool dce_run(TcIrFunc *f, TcPassContext *ctx)
{
    Dce d = {.uses = tc_arena_alloc(ctx->scratch, (f->nvalues ? f->nvalues : 1) * sizeof *d.uses)};
    count_uses(&d, f->grid);
    count_uses(&d, f->body);
    do {
        d.changed = false;
        sweep(&d, f->body);
        sweep(&d, f->grid);
        ctx->changed |= d.changed;
    } while (d.changed);
    return true;
}

const TcPass tc_pass_dce = {
    .name = "dce",
    .summary = "remove unused side-effect-free ops, loops, branches and loop-carried values",
    .run = dce_run,
};
