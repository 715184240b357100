/*
 * cse.c — common subexpression elimination.
 *
 * Two ops are the same expression when they have the same opcode, the same
 * operands (after earlier replacements; the two operands of a commutative op
 * in either order), the same attributes (ival, fval compared bitwise, ints,
 * pipeline, unroll, smem) and the same result types (layouts included, so
 * two convert_layouts of one value to different layouts stay apart). Only
 * TC_OPF_PURE ops without regions take part (not local_alloc, local_load or
 * barrier). A later op is replaced by an earlier one that dominates it: one
 * in the same block before it, or in an enclosing block before the op that
 * holds its region. Expressions seen inside a region are forgotten
 * when the walk leaves it, so sibling regions (the arms of an `if`, two
 * loops) never share values, and the grid and the body are separate scopes.
 *
 * Loads (TC_OPF_READS_MEMORY) are not CSE'd in this version: a store may
 * intervene between two loads of the same place.
 *
 * The table is a chained hash table in the scratch arena. Entries are pushed
 * onto the front of their bucket and popped in reverse order on scope exit,
 * so an entry being removed is always at the head of its bucket.
 */
#include "passes.h"

#include <string.h>

typedef struct Entry {
    TcIrOp *op;
    uint64_t hash;
    uint32_t bucket;
    struct Entry *next;  /* next in bucket */
} Entry;

typedef struct Cse {
    TcArena *scratch;
    Entry **buckets;
    uint32_t nbuckets;   /* power of two */
    TC_VEC(Entry *) stack; /* entries in insertion order, for scope exit */
    TcIrValue **map;     /* map[id]: replacement of value id, or NULL */
    uint32_t cap;
    bool changed;
} Cse;

static TcIrValue *lookup(const Cse *c, TcIrValue *v)
{
    while (v->id < c->cap && c->map[v->id]) v = c->map[v->id];
    return v;
}

static bool commutes(const TcIrOp *op)
{
    return (tc_op_info(op->opc)->flags & TC_OPF_COMMUTATIVE) && op->noperands == 2;
}

/* Operand i in canonical order: a commutative op's operands by value id. */
static TcIrValue *operand(const TcIrOp *op, uint32_t i)
{
    if (commutes(op) && op->operands[0]->id > op->operands[1]->id) return op->operands[1 - i];
    return op->operands[i];
}

static uint64_t op_hash(const TcIrOp *op)
{
    uint64_t fbits;
    memcpy(&fbits, &op->fval, sizeof fbits);
    uint64_t h = tc_hash_combine((uint64_t)op->opc, op->noperands);
    h = tc_hash_combine(h, op->nresults);
    h = tc_hash_combine(h, (uint64_t)op->ival);
    h = tc_hash_combine(h, fbits);
    h = tc_hash_combine(h, ((uint64_t)(uint32_t)op->pipeline << 32) | (uint32_t)op->unroll);
    h = tc_hash_combine(h, (uint64_t)op->smem);
    for (uint32_t i = 0; i < op->nints; i++) h = tc_hash_combine(h, (uint64_t)op->ints[i]);
    for (uint32_t i = 0; i < op->noperands; i++) h = tc_hash_combine(h, operand(op, i)->id);
    for (uint32_t i = 0; i < op->nresults; i++)
        h = tc_hash_combine(h, (uint64_t)(uintptr_t)op->results[i]->type);
    return h;
}

static bool op_equal(const TcIrOp *a, const TcIrOp *b)
{
    if (a->opc != b->opc || a->noperands != b->noperands || a->nresults != b->nresults ||
        a->ival != b->ival || memcmp(&a->fval, &b->fval, sizeof a->fval) != 0 ||
        a->pipeline != b->pipeline || a->unroll != b->unroll || a->nints != b->nints || a->smem != b->smem)
        return false;
    for (uint32_t i = 0; i < a->nints; i++)
        if (a->ints[i] != b->ints[i]) return false;
    for (uint32_t i = 0; i < a->noperands; i++)
        if (operand(a, i) != operand(b, i)) return false;
    for (uint32_t i = 0; i < a->nresults; i++)
        if (a->results[i]->type != b->results[i]->type) return false;
    return true;
}

static bool candidate(const TcIrOp *op)
{
    unsigned fl = tc_op_info(op->opc)->flags;
    return (fl & TC_OPF_PURE) && !(fl & (TC_OPF_HAS_REGIONS | TC_OPF_READS_MEMORY)) &&
           op->nregions == 0 && op->nresults > 0;
}

/* The earlier op equal to op, or NULL after recording op as the first one. */
static TcIrOp *find_or_insert(Cse *c, TcIrOp *op)
{
    uint64_t h = op_hash(op);
    uint32_t bk = (uint32_t)(h ^ (h >> 32)) & (c->nbuckets - 1);
    for (Entry *e = c->buckets[bk]; e; e = e->next)
        if (e->hash == h && op_equal(e->op, op)) return e->op;
    Entry *e = tc_arena_alloc(c->scratch, sizeof *e);
    e->op = op;
    e->hash = h;
    e->bucket = bk;
    e->next = c->buckets[bk];
    c->buckets[bk] = e;
    TC_VEC_PUSH(c->scratch, c->stack, e);
    return NULL;
}

/* Forgets every expression recorded since the stack had `mark` entries. */
static void pop_scope(Cse *c, uint32_t mark)
{
    while (c->stack.len > mark) {
        Entry *e = c->stack.data[--c->stack.len];
        TC_ASSERT(c->buckets[e->bucket] == e);
        c->buckets[e->bucket] = e->next;
    }
}

static void cse_block(Cse *c, TcIrBlock *b)
{
    uint32_t mark = c->stack.len;
    for (TcIrOp *op = b->first, *next; op; op = next) {
        next = op->next;
        for (uint32_t i = 0; i < op->noperands; i++) op->operands[i] = lookup(c, op->operands[i]);
        if (candidate(op)) {
            TcIrOp *prev = find_or_insert(c, op);
            if (prev) {
                for (uint32_t i = 0; i < op->nresults; i++) c->map[op->results[i]->id] = prev->results[i];
                tc_ir_op_unlink(op);
                c->changed = true;
            }
            continue;
        }
        for (uint32_t r = 0; r < op->nregions; r++) cse_block(c, op->regions[r]);
    }
    pop_scope(c, mark);
}

static uint32_t count_ops(TcIrBlock *b)
{
    uint32_t n = 0;
    for (TcIrOp *op = b->first; op; op = op->next) {
        n++;
        for (uint32_t r = 0; r < op->nregions; r++) n += count_ops(op->regions[r]);
    }
    return n;
}

/* requires: verified Tile IR */
static bool cse_run(TcIrFunc *f, TcPassContext *ctx)
{
    Cse c = {.scratch = ctx->scratch};
    uint32_t nops = count_ops(f->grid) + count_ops(f->body);
    c.nbuckets = 64;
    while (c.nbuckets < nops * 2) c.nbuckets *= 2;
    c.buckets = tc_arena_alloc(ctx->scratch, c.nbuckets * sizeof *c.buckets);
    c.cap = f->nvalues;
    c.map = tc_arena_alloc(ctx->scratch, (c.cap ? c.cap : 1) * sizeof *c.map);
    cse_block(&c, f->grid);
    cse_block(&c, f->body);
    ctx->changed |= c.changed;
    return true;
}

const TcPass tc_pass_cse = {
    .name = "cse",
    .summary = "reuse an earlier identical pure op that dominates a later one",
    .run = cse_run,
};
