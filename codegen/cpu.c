/*
 * cpu.c — Tile IR to LLVM IR for the host CPU.
 *
 * One program instance of a kernel becomes one LLVM function with the
 * tilec_cpu_fn ABI (include/tilec_runtime.h). Scalars are SSA values; every
 * tile lives in a buffer (a slot) in the per-thread scratch memory, chosen by
 * a linear scan over the ops in program order:
 *  - a tile's live range runs from its definition to its last use, extended to
 *    the end of every loop or if that uses it without defining it;
 *  - slots never overlap; a slot whose owner is dead is reused whole by a
 *    later tile of the same size, and every access to a slot carries alias
 *    metadata saying it touches no other slot;
 *  - an element-wise op, a dot, a reshape or an expand_dims may take over the
 *    slot of an operand that dies at that op (in place), and a loop-carried
 *    tile takes over its initial value's slot when that dies at the loop,
 *    so an accumulator updated every iteration is never copied;
 *  - a loop's carried tiles keep one slot for the whole loop and its result.
 *
 * Element semantics follow docs/ir.md, as the interpreter does: f16 and bf16
 * are held in f32 and rounded on cast, const and store; integers wrap;
 * x/0 = 0; shifts out of range give 0 (or -1); float to int saturates;
 * max/min propagate NaN. Results are the interpreter's bit for bit except
 * f32 exp/exp2/log/log2/sigmoid (LLVM intrinsics, vectorized through libmvec)
 * and tanh/erf (vectorizable formulas), whose accuracy docs/cpu.md states,
 * and dot with fast_dot, which may fuse multiply and add.
 */
#include "codegen.h"
#include "cpu_internal.h"
#include "elem.h"
#include "llvm_util.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A tensor (parameter or view) as LLVM values. */
typedef TcElTensor CgTensor;

/* A buffer in scratch memory. Buffers never overlap; one is reused whole by
 * a later tile of the same size once its owner is dead. */
typedef struct Slot {
    uint64_t off, size;
    uint32_t owner;        /* value id of the tile living in it, or UINT32_MAX */
    uint32_t end;          /* last position the owner is live at */
} Slot;

/* A memory access to a buffer, given alias metadata once all buffers are known. */
typedef struct Access_ {
    LLVMValueRef inst;
    uint32_t slot;
} SlotAccess;

typedef struct PtrSlot {
    LLVMValueRef ptr;
    uint32_t slot;
} PtrSlot;

/* Position bookkeeping for region ops (loops and ifs) during liveness. */
typedef struct RegionRec {
    uint32_t start, exit;
} RegionRec;

typedef struct Cg {
    TcLlvm L;               /* what the shared element code (elem.c) sees */
    TcDiagEngine *de;
    const TcCpuOptions *opt;
    TcIrFunc *f;
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMValueRef fn;
    LLVMTypeRef t_tensor;   /* tilec_tensor; the scalar types are L's */
    LLVMValueRef p_args, p_sizes, p_grid, p_pid[3], p_scratch;
    /* per value id */
    LLVMValueRef *val;      /* scalar value, or tile base pointer */
    struct TileCache **cache; /* loads: the tile cache it fills and reads, or NULL */
    int8_t *pid0_dep;       /* per value: 0 unknown, 1 independent of program_id(0), 2 dependent */
    uint32_t *panel;        /* per tile: 0 row-major, else the panel width P of a packed dot operand (below) */
    bool *by_rows;          /* per packed tile: packed by rows, [M/P][K][P] for a tile [M, K] (below) */
    bool *by_trans;         /* loads: the tile is copied, transposed and packed, by the trans that uses it */
    TC_VEC(struct TileCache *) caches; /* every cache, in scratch order */
    CgTensor **tens;        /* tensors */
    uint32_t *slot_of;      /* tiles: index into slots */
    uint32_t *defpos, *endpos, *cross;
    /* liveness walk */
    TC_VEC(RegionRec) regions;
    TC_VEC(uint32_t) rstack;
    uint32_t pos;           /* position counter */
    uint32_t region_seq;    /* region op counter (same order in both walks) */
    /* buffers */
    TC_VEC(Slot) slots;
    TC_VEC(PtrSlot) ptrs;        /* buffer base pointers built so far */
    TC_VEC(SlotAccess) accesses; /* loads and stores to tag with alias metadata */
    uint64_t scratch_bytes;
    TcArena *arena;
    uint32_t vl;            /* f32 lanes of the widest vector register (4, 8 or 16) */
} Cg;

static uint64_t align64(uint64_t x) { return (x + 63) & ~(uint64_t)63; }

/*
 * Tile caches. Consecutive program instances on a thread usually differ only
 * in program_id(0) (the runtime hands them out with axis 0 fastest), so a
 * load whose offsets do not depend on it - GEMM's b tiles, attention's k and v
 * tiles - reads the same tiles again in the next instance. Such a load, from
 * a read-only tensor param or a view of one, copies each tile that lies
 * wholly inside the tensor into a per-thread cache in scratch, keyed by its
 * offsets and the (viewed) tensor's data address, and the next instance that
 * loads the same tile uses the copy. The runtime zeroes the first 8 bytes
 * of a worker's scratch (the launch word) before the worker's first instance
 * of each launch; the first instance that sees 0 empties every key and sets
 * the word to 1, so nothing cached outlives its launch (the tensors may
 * change between launches). A cache holds CAP tiles, entry (sum of off[d] /
 * shape[d]) mod CAP; a key stores off[d] + 1 for each axis (so an emptied
 * key matches nothing), then the data address.
 */
#define CACHE_HEADER 64                 /* bytes at the start of scratch: launch word */
#define CACHE_MAX_ENTRIES 64
#define CACHE_BYTES_PER_LOAD ((uint64_t)8 << 20)
#define CACHE_MAX_TILE ((uint64_t)256 << 10) /* 128 and 256 KiB tiles measured faster cached once packed (docs/benchmarks.md) */
#define CACHE_BYTES_PER_KERNEL ((uint64_t)16 << 20)

typedef struct TileCache {
    uint64_t keys;       /* scratch offset of the keys: cap entries of rank + 1 int64 (offsets + 1, then the
                            address of the (viewed) tensor's data) */
    uint64_t data;       /* scratch offset of the tiles: cap entries of entry bytes */
    uint64_t entry;      /* bytes per tile */
    uint32_t cap;        /* entries, a power of two */
    uint32_t rank;
    uint32_t index;      /* in Cg.caches: its alias region */
} TileCache;

/* Bytes of one entry's key: rank offsets, then the tensor's data address. */
static uint64_t key_bytes(uint32_t rank) { return 8 * ((uint64_t)rank + 1); }

/* ------------------------------------------------------------- types */

/* Storage of one tile element in scratch: bool as i8; f16/bf16/f32 as f32. */
static LLVMTypeRef storage_type(Cg *c, TcDtype dt) { return tc_el_storage_type(&c->L, dt); }

static uint64_t storage_bytes(TcDtype dt)
{
    switch (dt) {
    case TC_BOOL: case TC_I8: case TC_U8: return 1;
    case TC_I16: case TC_U16: return 2;
    case TC_I32: case TC_U32: case TC_F16: case TC_BF16: case TC_F32: return 4;
    default: return 8;
    }
}

/* Float dtypes held as f32 in tiles: f16, bf16, f32. */
static bool f32_in_tiles(TcDtype dt) { return tc_dtype_is_float(dt) && storage_bytes(dt) == 4; }

static uint64_t tile_bytes(const TcType *t) { return align64((uint64_t)t->numel * storage_bytes(t->dtype)); }

static LLVMValueRef ci64(Cg *c, int64_t v) { return LLVMConstInt(c->L.t_i64, (unsigned long long)v, 1); }
static LLVMValueRef ci32(Cg *c, int64_t v) { return LLVMConstInt(c->L.t_i32, (unsigned long long)v, 1); }

static void note_access(Cg *c, LLVMValueRef inst, LLVMValueRef base);

/* Tile element i (i64) of a buffer as an SSA value, and back. */
static LLVMValueRef tile_load(Cg *c, TcDtype dt, LLVMValueRef base, LLVMValueRef i)
{
    LLVMTypeRef st = storage_type(c, dt);
    LLVMValueRef p = LLVMBuildGEP2(c->b, st, base, &i, 1, "");
    LLVMValueRef v = LLVMBuildLoad2(c->b, st, p, "");
    note_access(c, v, base);
    return dt == TC_BOOL ? LLVMBuildTrunc(c->b, v, c->L.t_i1, "") : v;
}

static void tile_store(Cg *c, TcDtype dt, LLVMValueRef base, LLVMValueRef i, LLVMValueRef v)
{
    LLVMTypeRef st = storage_type(c, dt);
    LLVMValueRef p = LLVMBuildGEP2(c->b, st, base, &i, 1, "");
    if (dt == TC_BOOL) v = LLVMBuildZExt(c->b, v, c->L.t_i8, "");
    note_access(c, LLVMBuildStore(c->b, v, p), base);
}

/* A stack variable in the entry block (promoted to registers by mem2reg). */
static LLVMValueRef entry_alloca(Cg *c, LLVMTypeRef t)
{
    LLVMBuilderRef eb = LLVMCreateBuilderInContext(c->ctx);
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(c->fn);
    LLVMValueRef first = LLVMGetFirstInstruction(entry);
    if (first) LLVMPositionBuilderBefore(eb, first);
    else LLVMPositionBuilderAtEnd(eb, entry);
    LLVMValueRef a = LLVMBuildAlloca(eb, t, "");
    LLVMDisposeBuilder(eb);
    return a;
}

/* ------------------------------------------------------------- loops */

typedef struct Loop {
    LLVMBasicBlockRef header, body, exit;
    LLVMValueRef iv, phi;
} Loop;

/* for (iv = lo; iv < hi; iv++) over i64; the builder ends up in the body. */
static LLVMValueRef loop_begin(Cg *c, Loop *l, LLVMValueRef lo, LLVMValueRef hi)
{
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    l->header = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "loop");
    l->body = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "body");
    l->exit = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "done");
    LLVMBuildBr(c->b, l->header);
    LLVMPositionBuilderAtEnd(c->b, l->header);
    l->phi = LLVMBuildPhi(c->b, c->L.t_i64, "i");
    LLVMAddIncoming(l->phi, &lo, &pre, 1);
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, l->phi, hi, ""), l->body, l->exit);
    LLVMPositionBuilderAtEnd(c->b, l->body);
    l->iv = l->phi;
    return l->iv;
}

static void loop_end(Cg *c, Loop *l)
{
    LLVMValueRef next = LLVMBuildAdd(c->b, l->iv, ci64(c, 1), "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
    LLVMBuildBr(c->b, l->header);
    LLVMAddIncoming(l->phi, &next, &latch, 1);
    LLVMPositionBuilderAtEnd(c->b, l->exit);
}

/* ------------------------------------------------ vectorizable math */

/* A scalar operand sign- or zero-extended to i64. */
static LLVMValueRef to_i64(Cg *c, const TcIrValue *v, LLVMValueRef x) { return tc_el_to_i64(&c->L, v->type->dtype, x); }

/* -------------------------------------------------------- liveness */

static void note_use(Cg *c, const TcIrValue *v, uint32_t p)
{
    if (v->type->kind != TC_TY_TILE) return;
    if (c->endpos[v->id] < p) c->endpos[v->id] = p;
    /* the outermost enclosing region op that does not contain v's definition */
    for (uint32_t i = 0; i < c->rstack.len; i++) {
        RegionRec *r = &c->regions.data[c->rstack.data[i]];
        if (c->defpos[v->id] < r->start) {
            if (c->cross[v->id] == UINT32_MAX || r->start < c->regions.data[c->cross[v->id]].start)
                c->cross[v->id] = c->rstack.data[i];
            break;
        }
    }
}

/* Numbers ops in program order (a region op gets a start and an exit
 * position around its regions) and computes each tile's last use. */
static void liveness_block(Cg *c, const TcIrBlock *blk)
{
    for (const TcIrOp *op = blk->first; op; op = op->next) {
        uint32_t p = c->pos++;
        for (uint32_t i = 0; i < op->noperands; i++) note_use(c, op->operands[i], p);
        uint32_t exitp = p;
        if (op->nregions) {
            uint32_t ri = c->regions.len;
            RegionRec rec = {p, 0};
            TC_VEC_PUSH(c->arena, c->regions, rec);
            for (uint32_t r = 0; r < op->nregions; r++)
                for (uint32_t a = 0; a < op->regions[r]->nargs; a++) {
                    const TcIrValue *v = op->regions[r]->args[a];
                    c->defpos[v->id] = p;
                    c->endpos[v->id] = p;
                }
            TC_VEC_PUSH(c->arena, c->rstack, ri);
            for (uint32_t r = 0; r < op->nregions; r++) liveness_block(c, op->regions[r]);
            c->rstack.len--;
            exitp = c->pos++;
            c->regions.data[ri].exit = exitp;
        }
        for (uint32_t i = 0; i < op->nresults; i++) {
            c->defpos[op->results[i]->id] = exitp;
            c->endpos[op->results[i]->id] = exitp;
        }
    }
}

static void compute_liveness(Cg *c)
{
    uint32_t n = c->f->nvalues;
    c->defpos = tc_arena_alloc(c->arena, (n + 1) * sizeof(uint32_t));
    c->endpos = tc_arena_alloc(c->arena, (n + 1) * sizeof(uint32_t));
    c->cross = tc_arena_alloc(c->arena, (n + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) c->cross[i] = UINT32_MAX;
    c->pos = 1;
    liveness_block(c, c->f->body);
    for (uint32_t i = 0; i < n; i++)
        if (c->cross[i] != UINT32_MAX && c->endpos[i] < c->regions.data[c->cross[i]].exit)
            c->endpos[i] = c->regions.data[c->cross[i]].exit;
}

/* ---------------------------------------------------- scratch slots */

/* A free buffer of exactly `size` bytes at position p, or a new one. */
static uint32_t get_slot(Cg *c, uint64_t size, uint32_t p)
{
    for (uint32_t i = 0; i < c->slots.len; i++)
        if (c->slots.data[i].size == size && c->slots.data[i].end < p) return i;
    Slot sl = {c->scratch_bytes, size, UINT32_MAX, 0};
    c->scratch_bytes += size;
    TC_VEC_PUSH(c->arena, c->slots, sl);
    return c->slots.len - 1;
}

static void own(Cg *c, uint32_t slot, const TcIrValue *v)
{
    c->slots.data[slot].owner = v->id;
    c->slots.data[slot].end = c->endpos[v->id];
    c->slot_of[v->id] = slot;
}

/* Gives tile v a buffer at position p, taking over the buffer of a hint
 * operand that dies exactly at p when there is one of the same size. */
static void alloc_tile(Cg *c, const TcIrValue *v, uint32_t p, TcIrValue *const *hints, uint32_t nhints)
{
    uint64_t size = tile_bytes(v->type);
    for (uint32_t h = 0; h < nhints; h++) {
        const TcIrValue *o = hints[h];
        if (!o || o->type->kind != TC_TY_TILE || c->endpos[o->id] != p) continue;
        Slot *sl = &c->slots.data[c->slot_of[o->id]];
        if (sl->owner == o->id && sl->size == size) {
            own(c, c->slot_of[o->id], v);
            return;
        }
    }
    own(c, get_slot(c, size, p), v);
}

static LLVMValueRef slot_ptr(Cg *c, uint32_t slot)
{
    LLVMValueRef o = ci64(c, (int64_t)c->slots.data[slot].off);
    LLVMValueRef p = LLVMBuildGEP2(c->b, c->L.t_i8, c->p_scratch, &o, 1, "");
    PtrSlot ps = {p, slot};
    TC_VEC_PUSH(c->arena, c->ptrs, ps);
    return p;
}

/* Alias regions besides the buffers (an access's `slot`): tile cache j, and
 * the tensors' memory, which the runtime never places in scratch. */
#define REGION_CACHE 0x40000000u
#define REGION_TENSORS 0x80000000u

/* Records that inst reads or writes a tensor. */
static void note_tensor_access(Cg *c, LLVMValueRef inst)
{
    SlotAccess a = {inst, REGION_TENSORS};
    TC_VEC_PUSH(c->arena, c->accesses, a);
}

/* Records that inst accesses the buffer `base` points to (if it is one). */
static void note_access(Cg *c, LLVMValueRef inst, LLVMValueRef base)
{
    for (uint32_t i = c->ptrs.len; i-- > 0;)
        if (c->ptrs.data[i].ptr == base) {
            SlotAccess a = {inst, c->ptrs.data[i].slot};
            TC_VEC_PUSH(c->arena, c->accesses, a);
            return;
        }
}

/* Tags every recorded access with its region's alias scope and the others'
 * as noalias. Regions - the buffers, each tile cache, the tensors - never
 * overlap, which lets loops that read one and write another (tile copies,
 * loads and stores) vectorize without runtime checks. Tensors may overlap
 * each other; they are one region. */
static void tag_accesses(Cg *c)
{
    uint32_t ns = c->slots.len, nr = ns + c->caches.len + 1;
    LLVMMetadataRef dname = LLVMMDStringInContext2(c->ctx, "tilec.scratch", 13);
    LLVMMetadataRef domain = LLVMMDNodeInContext2(c->ctx, &dname, 1);
    LLVMMetadataRef *scope = tc_arena_alloc(c->arena, nr * sizeof *scope);
    TcStrBuf name;
    tc_sb_init(&name);
    for (uint32_t i = 0; i < nr; i++) {
        tc_sb_clear(&name); /* kernel names have no length limit */
        if (i < ns) tc_sb_printf(&name, "tilec.%s.buf%u", c->f->name, i);
        else if (i < nr - 1) tc_sb_printf(&name, "tilec.%s.cache%u", c->f->name, i - ns);
        else tc_sb_printf(&name, "tilec.%s.tensors", c->f->name);
        LLVMMetadataRef ops[2] = {LLVMMDStringInContext2(c->ctx, name.data, name.len), domain};
        scope[i] = LLVMMDNodeInContext2(c->ctx, ops, 2);
    }
    tc_sb_free(&name);
    unsigned k_scope = LLVMGetMDKindIDInContext(c->ctx, "alias.scope", 11);
    unsigned k_noalias = LLVMGetMDKindIDInContext(c->ctx, "noalias", 7);
    LLVMMetadataRef *others = tc_arena_alloc(c->arena, nr * sizeof *others);
    LLVMValueRef *scope_md = tc_arena_alloc(c->arena, nr * sizeof *scope_md);
    LLVMValueRef *noalias_md = tc_arena_alloc(c->arena, nr * sizeof *noalias_md);
    for (uint32_t i = 0; i < nr; i++) {
        uint32_t n = 0;
        for (uint32_t j = 0; j < nr; j++)
            if (j != i) others[n++] = scope[j];
        scope_md[i] = LLVMMetadataAsValue(c->ctx, LLVMMDNodeInContext2(c->ctx, &scope[i], 1));
        noalias_md[i] = LLVMMetadataAsValue(c->ctx, LLVMMDNodeInContext2(c->ctx, others, n));
    }
    for (uint32_t i = 0; i < c->accesses.len; i++) {
        uint32_t r = c->accesses.data[i].slot;
        r = r == REGION_TENSORS ? nr - 1 : r & REGION_CACHE ? ns + (r & ~REGION_CACHE) : r;
        LLVMSetMetadata(c->accesses.data[i].inst, k_scope, scope_md[r]);
        LLVMSetMetadata(c->accesses.data[i].inst, k_noalias, noalias_md[r]);
    }
}

static void copy_bytes(Cg *c, const TcType *t, LLVMValueRef dst, LLVMValueRef src)
{
    uint64_t n = (uint64_t)t->numel * storage_bytes(t->dtype);
    LLVMBuildMemCpy(c->b, dst, 64, src, 64, ci64(c, (int64_t)n));
}

/* Copies tile value src into tile value dst's buffer unless they share it. */
static void copy_tile(Cg *c, const TcIrValue *dst, const TcIrValue *src)
{
    /* a tile read from a cache is not in its buffer (the buffer only holds edge tiles) */
    if (c->slot_of[dst->id] == c->slot_of[src->id] && !c->cache[src->id]) return;
    copy_bytes(c, dst->type, c->val[dst->id], c->val[src->id]);
}

/* ------------------------------------------------------------- ops */

static LLVMValueRef V(Cg *c, const TcIrValue *v) { return c->val[v->id]; }

static void emit_block(Cg *c, const TcIrBlock *blk, const TcIrOp **yield);

/* result[i] = f(operands[i]) over every element (operands of one shape). */
static void emit_elementwise(Cg *c, const TcIrOp *op)
{
    const TcIrValue *r = op->results[0];
    if (r->type->kind == TC_TY_SCALAR) {
        LLVMValueRef a = V(c, op->operands[0]);
        LLVMValueRef x;
        if (op->opc == TC_OP_CAST) x = tc_el_cast(&c->L, op->operands[0]->type->dtype, r->type->dtype, a);
        else if (op->opc == TC_OP_SELECT) x = LLVMBuildSelect(c->b, a, V(c, op->operands[1]), V(c, op->operands[2]), "");
        else x = tc_el_elem(&c->L, op->opc, op->operands[0]->type->dtype, a, op->noperands > 1 ? V(c, op->operands[1]) : NULL);
        c->val[r->id] = x;
        return;
    }
    Loop l;
    LLVMValueRef i = loop_begin(c, &l, ci64(c, 0), ci64(c, r->type->numel));
    LLVMValueRef x[3] = {0};
    for (uint32_t k = 0; k < op->noperands; k++)
        x[k] = tile_load(c, op->operands[k]->type->dtype, V(c, op->operands[k]), i);
    LLVMValueRef y;
    if (op->opc == TC_OP_CAST) y = tc_el_cast(&c->L, op->operands[0]->type->dtype, r->type->dtype, x[0]);
    else if (op->opc == TC_OP_SELECT) y = LLVMBuildSelect(c->b, x[0], x[1], x[2], "");
    else y = tc_el_elem(&c->L, op->opc, op->operands[0]->type->dtype, x[0], x[1]);
    tile_store(c, r->type->dtype, V(c, r), i, y);
    loop_end(c, &l);
}

/* Nested loops over `shape`; body(ctx, idx) is called with i64 indices. */
typedef void (*NestFn)(Cg *c, void *ctx, LLVMValueRef *idx);

static void nest(Cg *c, uint32_t rank, const int64_t *shape, uint32_t d, LLVMValueRef *idx, NestFn fn, void *ctx)
{
    if (d == rank) {
        fn(c, ctx, idx);
        return;
    }
    Loop l;
    idx[d] = loop_begin(c, &l, ci64(c, 0), ci64(c, shape[d]));
    nest(c, rank, shape, d + 1, idx, fn, ctx);
    loop_end(c, &l);
}

/* dst[idx] = src[sum idx[d] * sstride[d]] (broadcast and trans). */
typedef struct Remap {
    const TcType *rt;
    LLVMValueRef dst, src;
    int64_t sstride[TC_MAX_RANK];
} Remap;

static void remap_body(Cg *c, void *ctx, LLVMValueRef *idx)
{
    Remap *m = ctx;
    LLVMValueRef si = ci64(c, 0), di = ci64(c, 0);
    int64_t dstride = 1;
    for (uint32_t d = m->rt->rank; d-- > 0;) {
        di = LLVMBuildAdd(c->b, di, LLVMBuildMul(c->b, idx[d], ci64(c, dstride), ""), "");
        if (m->sstride[d]) si = LLVMBuildAdd(c->b, si, LLVMBuildMul(c->b, idx[d], ci64(c, m->sstride[d]), ""), "");
        dstride *= m->rt->shape[d];
    }
    TcDtype dt = m->rt->dtype;
    tile_store(c, dt, m->dst, di, tile_load(c, dt, m->src, si));
}

static void emit_remap(Cg *c, const TcIrOp *op)
{
    const TcType *rt = op->results[0]->type, *st = op->operands[0]->type;
    Remap m = {rt, V(c, op->results[0]), V(c, op->operands[0]), {0}};
    int64_t s[TC_MAX_RANK], acc = 1;
    for (uint32_t d = st->rank; d-- > 0;) {
        s[d] = acc;
        acc *= st->shape[d];
    }
    if (op->opc == TC_OP_BROADCAST) {
        for (uint32_t d = 0; d < rt->rank; d++) m.sstride[d] = st->shape[d] == 1 ? 0 : s[d];
    } else { /* trans: result axis d is source axis perm[d] */
        for (uint32_t d = 0; d < rt->rank; d++) m.sstride[d] = s[op->ints[d]];
    }
    LLVMValueRef idx[TC_MAX_RANK];
    nest(c, rt->rank, rt->shape, 0, idx, remap_body, &m);
}

static void emit_splat(Cg *c, const TcIrOp *op)
{
    const TcIrValue *r = op->results[0];
    Loop l;
    LLVMValueRef i = loop_begin(c, &l, ci64(c, 0), ci64(c, r->type->numel));
    tile_store(c, r->type->dtype, V(c, r), i, V(c, op->operands[0]));
    loop_end(c, &l);
}

static void emit_arange(Cg *c, const TcIrOp *op)
{
    const TcIrValue *r = op->results[0];
    Loop l;
    LLVMValueRef i = loop_begin(c, &l, ci64(c, 0), ci64(c, r->type->numel));
    tile_store(c, TC_I32, V(c, r), i, LLVMBuildTrunc(c->b, i, c->L.t_i32, ""));
    loop_end(c, &l);
}

static LLVMValueRef reduce_init(Cg *c, TcOpcode opc, TcDtype dt)
{
    LLVMTypeRef t = tc_el_value_type(&c->L, dt);
    if (tc_dtype_is_float(dt)) {
        if (opc == TC_OP_REDUCE_SUM) return LLVMConstReal(t, 0.0);
        return LLVMConstReal(t, opc == TC_OP_REDUCE_MAX ? -__builtin_inf() : __builtin_inf());
    }
    unsigned bits = tc_dtype_bits(dt);
    if (opc == TC_OP_REDUCE_SUM) return LLVMConstInt(t, 0, 0);
    if (tc_dtype_is_signed(dt))
        return opc == TC_OP_REDUCE_MAX ? LLVMConstInt(t, (unsigned long long)1 << (bits - 1), 0)
                                       : LLVMConstInt(t, ((unsigned long long)1 << (bits - 1)) - 1, 0);
    return opc == TC_OP_REDUCE_MAX ? LLVMConstInt(t, 0, 0) : LLVMConstAllOnes(t);
}

static TcOpcode reduce_elem(TcOpcode opc)
{
    return opc == TC_OP_REDUCE_SUM ? TC_OP_ADD : opc == TC_OP_REDUCE_MAX ? TC_OP_MAX : TC_OP_MIN;
}

/* Reduction along one axis, elements combined in index order. The reduced
 * axis is the outer loop, so the combines for different outputs vectorize. */
static void emit_reduce(Cg *c, const TcIrOp *op)
{
    const TcType *st = op->operands[0]->type;
    const TcIrValue *r = op->results[0];
    TcDtype dt = st->dtype;
    uint32_t axis = (uint32_t)op->ival;
    TcOpcode eop = reduce_elem(op->opc);
    LLVMValueRef src = V(c, op->operands[0]);
    int64_t outer = 1, inner = 1, n = st->shape[axis];
    for (uint32_t d = 0; d < axis; d++) outer *= st->shape[d];
    for (uint32_t d = axis + 1; d < st->rank; d++) inner *= st->shape[d];
    LLVMValueRef init = reduce_init(c, op->opc, dt);
    if (r->type->kind == TC_TY_SCALAR) {
        LLVMValueRef accp = entry_alloca(c, tc_el_value_type(&c->L, dt));
        LLVMBuildStore(c->b, init, accp);
        Loop l;
        LLVMValueRef i = loop_begin(c, &l, ci64(c, 0), ci64(c, n));
        LLVMValueRef acc = LLVMBuildLoad2(c->b, tc_el_value_type(&c->L, dt), accp, "");
        LLVMBuildStore(c->b, tc_el_elem(&c->L, eop, dt, acc, tile_load(c, dt, src, i)), accp);
        loop_end(c, &l);
        c->val[r->id] = LLVMBuildLoad2(c->b, tc_el_value_type(&c->L, dt), accp, "");
        return;
    }
    LLVMValueRef dst = V(c, r);
    Loop li;
    LLVMValueRef i = loop_begin(c, &li, ci64(c, 0), ci64(c, outer * inner));
    tile_store(c, dt, dst, i, init);
    loop_end(c, &li);
    /* loops (outer o, reduced k, inner j), or (k, o) when the reduced axis is
     * the last one, so the innermost loop always runs over outputs */
    Loop lo, lk, lj;
    LLVMValueRef o, k, j;
    if (inner == 1) {
        k = loop_begin(c, &lk, ci64(c, 0), ci64(c, n));
        o = loop_begin(c, &lo, ci64(c, 0), ci64(c, outer));
        j = ci64(c, 0);
    } else {
        o = loop_begin(c, &lo, ci64(c, 0), ci64(c, outer));
        k = loop_begin(c, &lk, ci64(c, 0), ci64(c, n));
        j = loop_begin(c, &lj, ci64(c, 0), ci64(c, inner));
    }
    LLVMValueRef di = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, o, ci64(c, inner), ""), j, "");
    LLVMValueRef si = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, o, ci64(c, n), ""), k, ""),
                                                      ci64(c, inner), ""), j, "");
    LLVMValueRef acc = tc_el_elem(&c->L, eop, dt, tile_load(c, dt, dst, di), tile_load(c, dt, src, si));
    tile_store(c, dt, dst, di, acc);
    if (inner == 1) {
        loop_end(c, &lo);
        loop_end(c, &lk);
    } else {
        loop_end(c, &lj);
        loop_end(c, &lk);
        loop_end(c, &lo);
    }
}

/*
 * The register-blocked microkernel for float dots: for each MR x (NV*VL)
 * block of r, the accumulators stay in vector registers across the whole K
 * loop; each step loads NV vectors of b's row k and broadcasts MR elements of
 * a's column k. Every element still sees its products added with k
 * ascending, so the result is the one the plain loops give.
 */
/* Lanes of the microkernel's vectors for a dot producing dtype out. */
static uint32_t dot_lanes(const Cg *c, TcDtype out) { return out == TC_F64 ? c->vl / 2 : c->vl; }

/* Whether v has the same value in every iteration of the loop whose body is
 * body (it is defined outside it). */
static bool defined_outside(const TcIrValue *v, const TcIrBlock *body)
{
    for (const TcIrBlock *blk = v->def ? v->def->parent : v->block; blk; blk = blk->parent ? blk->parent->parent : NULL)
        if (blk == body) return false;
    return true;
}

/* The scratch offset of the entry of cache tc that the tile of the given
 * shape at offsets off maps to: entry (sum of off[d] / shape[d]) mod cap. */
static LLVMValueRef cache_entry(Cg *c, const TileCache *tc, const LLVMValueRef *off, const int64_t *shape, LLVMValueRef *index)
{
    LLVMValueRef e = ci64(c, 0);
    for (uint32_t d = 0; d < tc->rank; d++) e = LLVMBuildAdd(c->b, e, LLVMBuildUDiv(c->b, off[d], ci64(c, shape[d]), ""), "");
    e = LLVMBuildAnd(c->b, e, ci64(c, tc->cap - 1), "");
    if (index) *index = e;
    return LLVMBuildAdd(c->b, ci64(c, (int64_t)tc->data), LLVMBuildMul(c->b, e, ci64(c, (int64_t)tc->entry), ""), "");
}

/* The offsets of load ld, in a for loop's body, at the loop's next iteration,
 * when each is the loop's induction variable or loop-invariant; false
 * otherwise. (Whether the tensor is loop-invariant is the caller's test.) */
static bool next_offsets(Cg *c, const TcIrOp *ld, LLVMValueRef *off)
{
    if (!ld || ld->opc != TC_OP_LOAD || !ld->parent->parent || ld->parent->parent->opc != TC_OP_FOR) return false;
    const TcIrBlock *body = ld->parent;
    const TcIrOp *loop = body->parent;
    uint32_t rank = ld->operands[0]->type->rank;
    for (uint32_t d = 0; d < rank; d++) {
        const TcIrValue *o = ld->operands[1 + d];
        off[d] = to_i64(c, o, V(c, o));
        if (o == body->args[0]) off[d] = LLVMBuildAdd(c->b, off[d], to_i64(c, loop->operands[2], V(c, loop->operands[2])), "");
        else if (!defined_outside(o, body)) return false;
    }
    return true;
}

/* Prefetches p's line into L2 (prefetcht1 on x86). */
static void prefetch_l2(Cg *c, LLVMValueRef p)
{
    LLVMTypeRef pt = c->L.t_ptr;
    /* read, locality 2 (prefetcht1: into L2), data cache */
    LLVMValueRef args[4] = {p, ci32(c, 0), ci32(c, 2), ci32(c, 1)};
    tc_el_call_intrinsic(&c->L, "llvm.prefetch", &pt, 1, args, 4);
}

/*
 * A dot's a operand loaded in a for loop, from a loop-invariant tensor at
 * offsets that are the loop's induction variable or loop-invariant (gemm's
 * load(a, [m0, k], ...)), is loaded again at the next iteration, from rows
 * the hardware prefetchers do not follow (one tensor row apart, each a
 * separate stream). The microkernel prefetches that next tile into L2
 * (prefetcht1) while it works: block blk of nblocks takes rows
 * [blk * per, blk * per + per), so the prefetches are spread over the dot
 * and the next iteration's copy finds the rows in L2 (docs/benchmarks.md:
 * about 3-5 % at 2048 and 4096 on one thread).
 */
static void prefetch_next_a(Cg *c, const TcIrOp *dot, LLVMValueRef blk, int64_t nblocks)
{
    const TcIrValue *v = dot->operands[0];
    const TcIrOp *ld = v->def;
    const CgTensor *T = ld && ld->opc == TC_OP_LOAD ? c->tens[ld->operands[0]->id] : NULL;
    LLVMValueRef off[TC_MAX_RANK];
    if (!T || T->rank != 2 || !defined_outside(ld->operands[0], ld->parent) || !next_offsets(c, ld, off)) return;
    int64_t rows = v->type->shape[0], es = (int64_t)tc_dtype_bytes(v->type->dtype);
    int64_t lines = (v->type->shape[1] * es + 63) / 64, per = (rows + nblocks - 1) / nblocks;
    LLVMTypeRef mt = tc_el_memory_type(&c->L, v->type->dtype);
    LLVMValueRef r0 = LLVMBuildMul(c->b, blk, ci64(c, per), "");
    LLVMBasicBlockRef go = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "prefetch.a");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "prefetch.a.done");
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, r0, ci64(c, rows), ""), go, done);
    LLVMPositionBuilderAtEnd(c->b, go);
    for (int64_t i = 0; i < per; i++) { /* rows past the tile's last prefetch the tensor's next rows: harmless */
        LLVMValueRef r = LLVMBuildAdd(c->b, off[0], LLVMBuildAdd(c->b, r0, ci64(c, i), ""), "");
        LLVMValueRef e = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, r, T->stride[0], ""), LLVMBuildMul(c->b, off[1], T->stride[1], ""), "");
        LLVMValueRef row = LLVMBuildGEP2(c->b, mt, T->data, &e, 1, "");
        Loop ll; /* one prefetch per 64-byte line of the row */
        LLVMValueRef bo = LLVMBuildMul(c->b, loop_begin(c, &ll, ci64(c, 0), ci64(c, lines)), ci64(c, 64), "");
        prefetch_l2(c, LLVMBuildGEP2(c->b, c->L.t_i8, row, &bo, 1, ""));
        loop_end(c, &ll);
    }
    LLVMBuildBr(c->b, done);
    LLVMPositionBuilderAtEnd(c->b, done);
}

/*
 * A dot's b operand read from a tile cache in a for loop (GEMM's b tiles) is
 * in L3 or further when the loop's tiles outgrow L2 (a K x BN strip of 4 MiB
 * at K = 4096, BN = 256), and the first register rows of the microkernel then
 * wait on it. So the microkernel prefetches the entry the next iteration's
 * tile maps to (hit or not) into L2: register block blk of nblocks takes a
 * share of the entry's lines, one line per k step, spread over its k loop.
 * (All of a share at once, before the k loop, measured no faster side by
 * side; spread out, the prefetches do not queue up in front of the k loop's
 * own loads.) Returns the share's start, or NULL; *share: its bytes.
 */
static LLVMValueRef next_entry_share(Cg *c, const TcIrOp *dot, LLVMValueRef blk, int64_t nblocks, int64_t *share)
{
    const TcIrOp *ld = dot->operands[1]->def;
    if (ld && ld->opc == TC_OP_TRANS && c->by_trans[ld->operands[0]->id]) ld = ld->operands[0]->def; /* packed at the trans */
    const TileCache *tc = ld && ld->opc == TC_OP_LOAD ? c->cache[ld->results[0]->id] : NULL;
    LLVMValueRef off[TC_MAX_RANK];
    if (!tc || !next_offsets(c, ld, off)) return NULL;
    *share = (int64_t)(tc->entry / 64 + nblocks - 1) / nblocks * 64;
    LLVMValueRef o = cache_entry(c, tc, off, ld->results[0]->type->shape, NULL);
    o = LLVMBuildAdd(c->b, o, LLVMBuildMul(c->b, blk, ci64(c, *share), ""), "");
    return LLVMBuildGEP2(c->b, c->L.t_i8, c->p_scratch, &o, 1, "next.b");
}

/* With zero_acc the accumulators start at +0.0 instead of being loaded from
 * the result tile (whose old contents are not read). */
static void emit_dot_blocked(Cg *c, const TcIrOp *op, uint32_t mr, uint32_t nv, bool zero_acc)
{
    const TcType *ta = op->operands[0]->type, *tb = op->operands[1]->type;
    const TcIrValue *r = op->results[0];
    TcDtype out = r->type->dtype;
    int64_t M = ta->shape[0], K = ta->shape[1], N = tb->shape[1];
    uint32_t vl = dot_lanes(c, out);
    LLVMTypeRef st = storage_type(c, out), vt = LLVMVectorType(st, vl);
    LLVMValueRef A = V(c, op->operands[0]), B = V(c, op->operands[1]), R = V(c, r);
    enum { MAXACC = 32 };
    Loop lm, ln;
    LLVMValueRef m0 = loop_begin(c, &lm, ci64(c, 0), ci64(c, M / mr));
    LLVMValueRef n0 = loop_begin(c, &ln, ci64(c, 0), ci64(c, N / (nv * vl)));
    LLVMValueRef blk = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, m0, ci64(c, N / (nv * vl)), ""), n0, "");
    int64_t nblocks = (M / mr) * (N / (nv * vl)), share = 0;
    prefetch_next_a(c, op, blk, nblocks);
    LLVMValueRef next_b = next_entry_share(c, op, blk, nblocks, &share);
    m0 = LLVMBuildMul(c->b, m0, ci64(c, mr), "");
    n0 = LLVMBuildMul(c->b, n0, ci64(c, (int64_t)nv * vl), "");
    LLVMValueRef rp[MAXACC], acc0[MAXACC];
    for (uint32_t i = 0; i < mr; i++)
        for (uint32_t j = 0; j < nv; j++) {
            LLVMValueRef e = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, m0, ci64(c, i), ""), ci64(c, N), ""),
                                          LLVMBuildAdd(c->b, n0, ci64(c, (int64_t)j * vl), ""), "");
            rp[i * nv + j] = LLVMBuildGEP2(c->b, st, R, &e, 1, "");
            if (zero_acc) {
                acc0[i * nv + j] = LLVMConstNull(vt);
                continue;
            }
            acc0[i * nv + j] = LLVMBuildLoad2(c->b, vt, rp[i * nv + j], "");
            LLVMSetAlignment(acc0[i * nv + j], 4);
            note_access(c, acc0[i * nv + j], R);
        }
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef kh = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "dot.k");
    LLVMBasicBlockRef kend = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "dot.k.end");
    LLVMBuildBr(c->b, kh);
    LLVMPositionBuilderAtEnd(c->b, kh);
    LLVMValueRef k = LLVMBuildPhi(c->b, c->L.t_i64, "k");
    LLVMValueRef zero = ci64(c, 0);
    LLVMAddIncoming(k, &zero, &pre, 1);
    LLVMValueRef accp[MAXACC], accn[MAXACC];
    for (uint32_t q = 0; q < mr * nv; q++) {
        accp[q] = LLVMBuildPhi(c->b, vt, "acc");
        LLVMAddIncoming(accp[q], &acc0[q], &pre, 1);
    }
    LLVMValueRef bv[8];
    uint32_t panel = c->panel[op->operands[1]->id];
    for (uint32_t j = 0; j < nv; j++) {
        LLVMValueRef e = panel ? LLVMBuildAdd(c->b, LLVMBuildMul(c->b, n0, ci64(c, K), ""),
                                              LLVMBuildAdd(c->b, LLVMBuildMul(c->b, k, ci64(c, panel), ""), ci64(c, (int64_t)j * vl), ""), "")
                               : LLVMBuildAdd(c->b, LLVMBuildMul(c->b, k, ci64(c, N), ""), LLVMBuildAdd(c->b, n0, ci64(c, (int64_t)j * vl), ""), "");
        bv[j] = LLVMBuildLoad2(c->b, vt, LLVMBuildGEP2(c->b, st, B, &e, 1, ""), "");
        LLVMSetAlignment(bv[j], 4);
        note_access(c, bv[j], B);
    }
    bool a_rows = c->by_rows[op->operands[0]->id]; /* a packed [M/MR][K][MR] */
    for (uint32_t i = 0; i < mr; i++) {
        LLVMValueRef e = a_rows ? LLVMBuildAdd(c->b, LLVMBuildMul(c->b, m0, ci64(c, K), ""),
                                               LLVMBuildAdd(c->b, LLVMBuildMul(c->b, k, ci64(c, mr), ""), ci64(c, i), ""), "")
                                : LLVMBuildAdd(c->b, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, m0, ci64(c, i), ""), ci64(c, K), ""), k, "");
        LLVMValueRef a = LLVMBuildLoad2(c->b, st, LLVMBuildGEP2(c->b, st, A, &e, 1, ""), "");
        note_access(c, a, A);
        LLVMValueRef av = LLVMBuildInsertElement(c->b, LLVMGetUndef(vt), a, ci32(c, 0), "");
        LLVMValueRef zeros = LLVMConstNull(LLVMVectorType(c->L.t_i32, vl));
        av = LLVMBuildShuffleVector(c->b, av, LLVMGetUndef(vt), zeros, "");
        for (uint32_t j = 0; j < nv; j++) {
            uint32_t q = i * nv + j;
            if (c->opt->fast_dot) {
                LLVMValueRef args[3] = {av, bv[j], accp[q]};
                accn[q] = tc_el_call_intrinsic(&c->L, "llvm.fma", &vt, 1, args, 3);
            } else {
                accn[q] = LLVMBuildFAdd(c->b, accp[q], LLVMBuildFMul(c->b, av, bv[j], ""), "");
            }
        }
    }
    if (next_b) { /* this k step's lines of the share: every line once over the k loop */
        int64_t lines = share / 64, per_k = (lines + K - 1) / K;
        LLVMValueRef first = per_k > 1 ? LLVMBuildMul(c->b, k, ci64(c, per_k), "") : LLVMBuildUDiv(c->b, LLVMBuildMul(c->b, k, ci64(c, lines), ""), ci64(c, K), "");
        for (int64_t j = 0; j < per_k; j++) {
            LLVMValueRef o = LLVMBuildMul(c->b, LLVMBuildAdd(c->b, first, ci64(c, j), ""), ci64(c, 64), "");
            prefetch_l2(c, LLVMBuildGEP2(c->b, c->L.t_i8, next_b, &o, 1, ""));
        }
    }
    LLVMValueRef kn = LLVMBuildAdd(c->b, k, ci64(c, 1), "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
    LLVMAddIncoming(k, &kn, &latch, 1);
    for (uint32_t q = 0; q < mr * nv; q++) LLVMAddIncoming(accp[q], &accn[q], &latch, 1);
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, kn, ci64(c, K), ""), kh, kend);
    LLVMPositionBuilderAtEnd(c->b, kend);
    for (uint32_t q = 0; q < mr * nv; q++) {
        LLVMValueRef s = LLVMBuildStore(c->b, accn[q], rp[q]);
        LLVMSetAlignment(s, 4);
        note_access(c, s, R);
    }
    loop_end(c, &ln);
    loop_end(c, &lm);
}

/* Whether a dot takes the microkernel (float dots whose tile shape fits a
 * register block), and its block: MR rows by NV vectors of dot_lanes. */
static bool dot_block(const Cg *c, const TcIrOp *op, uint32_t *mr, uint32_t *nv)
{
    const TcType *ta = op->operands[0]->type, *tb = op->operands[1]->type;
    TcDtype in = ta->dtype, out = op->results[0]->type->dtype;
    int64_t M = ta->shape[0], N = tb->shape[1];
    if (!tc_dtype_is_float(out) || !tc_dtype_is_float(in) || c->vl < 4) return false;
    uint32_t vl = dot_lanes(c, out);
    *mr = c->vl >= 16 ? 8 : 4;
    *nv = 2;
    while (*mr > 1 && M % *mr) *mr /= 2;
    while (*nv > 1 && N % ((int64_t)*nv * vl)) *nv /= 2;
    return vl >= 2 && N % vl == 0 && M % *mr == 0;
}

/* Whether tile v is splat(+0.0) (dot(a, b, zeros(...)): no accumulator to read). */
static bool is_zero_splat(const TcIrValue *v)
{
    const TcIrOp *d = v->def;
    if (!d || d->opc != TC_OP_SPLAT || !tc_dtype_is_float(v->type->dtype)) return false;
    const TcIrOp *k = d->operands[0]->def;
    return k && k->opc == TC_OP_CONST && k->fval == 0.0 && !signbit(k->fval);
}

/* r = acc + a @ b with k ascending for every element. */
static void emit_dot(Cg *c, const TcIrOp *op)
{
    const TcType *ta = op->operands[0]->type, *tb = op->operands[1]->type;
    const TcIrValue *r = op->results[0];
    TcDtype in = ta->dtype, out = r->type->dtype;
    int64_t M = ta->shape[0], K = ta->shape[1], N = tb->shape[1];
    LLVMValueRef A = V(c, op->operands[0]), B = V(c, op->operands[1]), R = V(c, r);
    uint32_t mr, nv;
    if (dot_block(c, op, &mr, &nv)) {
        /* the microkernel writes every element of r */
        bool zero_acc = is_zero_splat(op->operands[2]);
        if (!zero_acc) copy_tile(c, r, op->operands[2]);
        emit_dot_blocked(c, op, mr, nv, zero_acc);
        return;
    }
    copy_tile(c, r, op->operands[2]);
    Loop lm, lk, ln;
    LLVMValueRef m = loop_begin(c, &lm, ci64(c, 0), ci64(c, M));
    LLVMValueRef k = loop_begin(c, &lk, ci64(c, 0), ci64(c, K));
    LLVMValueRef a = tc_el_cast(&c->L, in, out, tile_load(c, in, A, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, m, ci64(c, K), ""), k, "")));
    LLVMValueRef n = loop_begin(c, &ln, ci64(c, 0), ci64(c, N));
    LLVMValueRef bv = tc_el_cast(&c->L, in, out, tile_load(c, in, B, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, k, ci64(c, N), ""), n, "")));
    LLVMValueRef ri = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, m, ci64(c, N), ""), n, "");
    LLVMValueRef acc = tile_load(c, out, R, ri), sum;
    if (tc_dtype_is_float(out) && c->opt->fast_dot) {
        LLVMTypeRef t = tc_el_value_type(&c->L, out);
        LLVMValueRef args[3] = {a, bv, acc};
        sum = tc_el_call_intrinsic(&c->L, "llvm.fmuladd", &t, 1, args, 3);
    } else {
        sum = tc_el_elem(&c->L, TC_OP_ADD, out, acc, tc_el_elem(&c->L, TC_OP_MUL, out, a, bv));
    }
    tile_store(c, out, R, ri, sum);
    loop_end(c, &ln);
    loop_end(c, &lk);
    loop_end(c, &lm);
}

/* ----------------------------------------------------------- tensors */

static CgTensor *param_tensor(Cg *c, uint32_t i, const TcType *t)
{
    CgTensor *T = tc_arena_alloc(c->arena, sizeof *T);
    LLVMValueRef idx = ci64(c, i);
    LLVMValueRef slot = LLVMBuildGEP2(c->b, c->L.t_ptr, c->p_args, &idx, 1, "");
    LLVMValueRef desc = LLVMBuildLoad2(c->b, c->L.t_ptr, slot, "");
    T->rank = t->rank;
    T->data = LLVMBuildLoad2(c->b, c->L.t_ptr, desc, "data");
    for (uint32_t d = 0; d < t->rank; d++) {
        LLVMValueRef gi[3] = {ci32(c, 0), ci32(c, 3), ci32(c, d)};
        T->size[d] = LLVMBuildLoad2(c->b, c->L.t_i64, LLVMBuildGEP2(c->b, c->t_tensor, desc, gi, 3, ""), "");
        gi[1] = ci32(c, 4);
        T->stride[d] = LLVMBuildLoad2(c->b, c->L.t_i64, LLVMBuildGEP2(c->b, c->t_tensor, desc, gi, 3, ""), "");
    }
    /* the runtime guarantees an innermost stride of 1 unless the param is strided */
    T->unit_inner = !(t->flags & TC_TENSOR_STRIDED);
    if (T->unit_inner && t->rank) T->stride[t->rank - 1] = ci64(c, 1);
    return T;
}

/* t[i0, ..., ik-1]: an empty view (all sizes 0) when an index is outside. */
static void emit_view(Cg *c, const TcIrOp *op)
{
    uint32_t k = op->noperands - 1;
    LLVMValueRef idx[TC_MAX_RANK];
    for (uint32_t d = 0; d < k; d++) idx[d] = to_i64(c, op->operands[d + 1], V(c, op->operands[d + 1]));
    CgTensor *R = tc_arena_alloc(c->arena, sizeof *R);
    tc_el_view(&c->L, c->tens[op->operands[0]->id], k, idx, op->results[0]->type->dtype, R);
    c->tens[op->results[0]->id] = R;
}

#define ROWS_GROUP 8 /* rows packed by one step of the vectorized copy (copy_rows_packed) */

typedef struct Access {
    const CgTensor *T;
    TcDtype dt;
    const TcType *tile;
    LLVMValueRef buf;          /* tile buffer */
    LLVMValueRef off[TC_MAX_RANK];
    LLVMValueRef pad;          /* load: pad value */
    bool is_store;
    uint32_t panel;            /* load into a packed tile: panel width P (0: row-major) */
    bool by_rows;              /* with panel: packed by rows, [M/P][K][P] (a dot's a operand, or a tile packed
                                  by its trans as its transpose's [N/P][K][P]) */
    bool trans;                /* with by_rows: packed by the trans that uses it (by_trans) */
} Access;

static LLVMValueRef clamp(Cg *c, LLVMValueRef x, LLVMValueRef lo, LLVMValueRef hi)
{
    x = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, x, lo, ""), lo, x, "");
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, x, hi, ""), hi, x, "");
}

/* Tile index of the first element of the row at outer indices idx. */
static LLVMValueRef row_tile_index(Cg *c, const Access *a, const LLVMValueRef *idx)
{
    if (a->by_rows) { /* row n of the tile [N, K] goes to [N/P][K][P]: panel n / P, lane n % P */
        LLVMValueRef P = ci64(c, a->panel);
        return LLVMBuildAdd(c->b, LLVMBuildMul(c->b, LLVMBuildUDiv(c->b, idx[0], P, ""), ci64(c, a->tile->shape[1] * a->panel), ""),
                            LLVMBuildURem(c->b, idx[0], P, ""), a->trans ? "pack.trans" : "pack.rows");
    }
    if (a->panel) return LLVMBuildMul(c->b, idx[0], ci64(c, a->panel), ""); /* row k of [N/P][K][P] */
    LLVMValueRef tidx = ci64(c, 0);
    int64_t s = 1;
    for (uint32_t d = a->tile->rank - 1; d-- > 0;) {
        s *= a->tile->shape[d + 1];
        tidx = LLVMBuildAdd(c->b, tidx, LLVMBuildMul(c->b, idx[d], ci64(c, s), ""), "");
    }
    return tidx;
}

/* In a packed tile [N/P][K][P], the index of column `in` of panel pj in the
 * row starting at tidx: tidx + pj * K * P + in. */
static LLVMValueRef panel_index(Cg *c, const Access *a, LLVMValueRef tidx, LLVMValueRef pj, LLVMValueRef in)
{
    return LLVMBuildAdd(c->b, tidx, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, pj, ci64(c, a->tile->shape[0] * a->panel), ""), in, ""), "");
}

/* Tile index of column j of the row starting at tidx: tidx + j, or in a
 * packed tile column j % P of panel j / P, or in a transposed packed tile
 * row j of the panel (tidx + j * P). */
static LLVMValueRef col_tile_index(Cg *c, const Access *a, LLVMValueRef tidx, LLVMValueRef j)
{
    if (!a->panel) return LLVMBuildAdd(c->b, tidx, j, "");
    if (a->by_rows) return LLVMBuildAdd(c->b, tidx, LLVMBuildMul(c->b, j, ci64(c, a->panel), ""), "");
    return panel_index(c, a, tidx, LLVMBuildUDiv(c->b, j, ci64(c, a->panel), ""), LLVMBuildURem(c->b, j, ci64(c, a->panel), ""));
}

/* Copies positions [jlo, jhi) of a row between the tile (from index tidx on)
 * and the tensor (row start base, innermost offset o), in the access's
 * direction. */
static void copy_run(Cg *c, const Access *a, LLVMValueRef base, LLVMValueRef o, LLVMValueRef tidx, LLVMValueRef jlo,
                     LLVMValueRef jhi)
{
    LLVMTypeRef mt = tc_el_memory_type(&c->L, a->dt);
    Loop l, lp;
    LLVMValueRef pj = NULL;
    if (a->panel && !a->by_rows && LLVMIsAConstantInt(jlo) && LLVMIsAConstantInt(jhi) && LLVMConstIntGetSExtValue(jlo) == 0 &&
        LLVMConstIntGetSExtValue(jhi) == a->tile->shape[1]) {
        /* a whole row into panels: one constant-length run per panel */
        pj = loop_begin(c, &lp, ci64(c, 0), ci64(c, a->tile->shape[1] / a->panel));
        LLVMSetValueName2(pj, "pack.panel", 10);
        jlo = ci64(c, 0);
        jhi = ci64(c, a->panel);
    }
    LLVMValueRef j = loop_begin(c, &l, jlo, jhi);
    LLVMValueRef col = pj ? LLVMBuildAdd(c->b, LLVMBuildMul(c->b, pj, ci64(c, a->panel), ""), j, "") : j;
    LLVMValueRef e = LLVMBuildMul(c->b, LLVMBuildAdd(c->b, o, col, ""), a->T->stride[a->tile->rank - 1], "");
    LLVMValueRef p = LLVMBuildGEP2(c->b, mt, base, &e, 1, "");
    LLVMValueRef ti = pj ? panel_index(c, a, tidx, pj, j) : col_tile_index(c, a, tidx, j);
    LLVMValueRef mem;
    if (a->is_store) {
        mem = tc_el_mem_store(&c->L, a->dt, tile_load(c, a->dt, a->buf, ti), p);
    } else {
        tile_store(c, a->dt, a->buf, ti, tc_el_mem_load(&c->L, a->dt, p, &mem));
    }
    note_tensor_access(c, mem);
    loop_end(c, &l);
    if (pj) loop_end(c, &lp);
}

/* One row (the innermost axis) of a load or store: positions [jlo, jhi) are
 * inside the tensor, the rest pad (load) or are skipped (store). */
static void access_row(Cg *c, void *ctx, LLVMValueRef *idx)
{
    Access *a = ctx;
    uint32_t last = a->tile->rank - 1;
    LLVMValueRef ok = LLVMConstInt(c->L.t_i1, 1, 0), rowoff = ci64(c, 0);
    for (uint32_t d = 0; d < last; d++) {
        LLVMValueRef pos = LLVMBuildAdd(c->b, a->off[d], idx[d], "");
        ok = LLVMBuildAnd(c->b, ok, LLVMBuildICmp(c->b, LLVMIntULT, pos, a->T->size[d], ""), "");
        rowoff = LLVMBuildAdd(c->b, rowoff, LLVMBuildMul(c->b, pos, a->T->stride[d], ""), "");
    }
    LLVMValueRef tidx = row_tile_index(c, a, idx);
    LLVMValueRef n = ci64(c, a->tile->shape[last]), o = a->off[last];
    LLVMValueRef jlo = clamp(c, LLVMBuildNeg(c->b, o, ""), ci64(c, 0), n);
    LLVMValueRef jhi = clamp(c, LLVMBuildSub(c->b, a->T->size[last], o, ""), ci64(c, 0), n);
    jlo = LLVMBuildSelect(c->b, ok, jlo, ci64(c, 0), "");
    jhi = LLVMBuildSelect(c->b, ok, jhi, ci64(c, 0), "");
    LLVMValueRef base = LLVMBuildGEP2(c->b, tc_el_memory_type(&c->L, a->dt), a->T->data, &rowoff, 1, "");
    Loop l;
    if (!a->is_store) {
        LLVMValueRef j = loop_begin(c, &l, ci64(c, 0), jlo);
        tile_store(c, a->dt, a->buf, col_tile_index(c, a, tidx, j), a->pad);
        loop_end(c, &l);
    }
    copy_run(c, a, base, o, tidx, jlo, jhi);
    if (!a->is_store) {
        LLVMValueRef j2 = loop_begin(c, &l, jhi, n);
        tile_store(c, a->dt, a->buf, col_tile_index(c, a, tidx, j2), a->pad);
        loop_end(c, &l);
    }
}

/* One row of a tile that lies wholly inside the tensor: the whole row is
 * copied, a constant trip count with no padding, which LLVM vectorizes
 * without checks or remainder loops. */
static void access_row_inside(Cg *c, void *ctx, LLVMValueRef *idx)
{
    Access *a = ctx;
    uint32_t last = a->tile->rank - 1;
    LLVMValueRef rowoff = ci64(c, 0);
    for (uint32_t d = last; d-- > 0;)
        rowoff = LLVMBuildAdd(c->b, rowoff, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, a->off[d], idx[d], ""), a->T->stride[d], ""), "");
    LLVMValueRef tidx = row_tile_index(c, a, idx);
    /* the row's start includes the innermost offset, so the copy counts from 0 */
    rowoff = LLVMBuildAdd(c->b, rowoff, LLVMBuildMul(c->b, a->off[last], a->T->stride[last], ""), "");
    LLVMValueRef base = LLVMBuildGEP2(c->b, tc_el_memory_type(&c->L, a->dt), a->T->data, &rowoff, 1, "");
    copy_run(c, a, base, ci64(c, 0), tidx, ci64(c, 0), ci64(c, a->tile->shape[last]));
}

/* Eight lanes of a shuffle of x and y (lanes 0-7 of x, then 8-15 of y). */
static LLVMValueRef shuffle8(Cg *c, LLVMValueRef x, LLVMValueRef y, const int *lanes)
{
    LLVMValueRef m[8];
    for (int i = 0; i < 8; i++) m[i] = ci32(c, lanes[i]);
    return LLVMBuildShuffleVector(c->b, x, y, LLVMConstVector(m, 8), "");
}

/* Whether a load of a tile wholly inside the tensor can be packed by rows
 * eight rows and eight columns at a time (copy_rows_packed). */
static bool rows_vectorizable(const Access *a)
{
    return !a->is_store && a->by_rows && a->tile->rank == 2 && a->T->unit_inner && a->panel % ROWS_GROUP == 0 &&
           a->tile->shape[0] % ROWS_GROUP == 0 && a->tile->shape[1] % 8 == 0 && f32_in_tiles(a->dt);
}

/* A tile [M, K] wholly inside the tensor into panels by rows [M/P][K][P]:
 * per step, 8 rows x 8 columns are loaded as 8 vectors, transposed in
 * registers (unpack, pair and half shuffles) and stored as 8 runs of 8 lanes
 * (contiguous when P = 8), instead of one element at a time. */
static void copy_rows_packed(Cg *c, const Access *a)
{
    static const int lo[8] = {0, 8, 1, 9, 4, 12, 5, 13}, hi[8] = {2, 10, 3, 11, 6, 14, 7, 15};
    static const int plo[8] = {0, 1, 8, 9, 4, 5, 12, 13}, phi[8] = {2, 3, 10, 11, 6, 7, 14, 15};
    static const int hlo[8] = {0, 1, 2, 3, 8, 9, 10, 11}, hhi[8] = {4, 5, 6, 7, 12, 13, 14, 15};
    LLVMTypeRef mt = tc_el_memory_type(&c->L, a->dt);
    Loop lg, lk;
    LLVMValueRef r0 = LLVMBuildMul(c->b, loop_begin(c, &lg, ci64(c, 0), ci64(c, a->tile->shape[0] / 8)), ci64(c, 8), "");
    LLVMValueRef tidx = row_tile_index(c, a, &r0);
    LLVMValueRef k0 = LLVMBuildMul(c->b, loop_begin(c, &lk, ci64(c, 0), ci64(c, a->tile->shape[1] / 8)), ci64(c, 8), "");
    LLVMValueRef v[8], t[8], s[8];
    for (int i = 0; i < 8; i++) {
        LLVMValueRef row = LLVMBuildAdd(c->b, a->off[0], LLVMBuildAdd(c->b, r0, ci64(c, i), ""), "");
        LLVMValueRef e = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, row, a->T->stride[0], ""), LLVMBuildAdd(c->b, a->off[1], k0, ""), "");
        LLVMValueRef ld = LLVMBuildLoad2(c->b, LLVMVectorType(mt, 8), LLVMBuildGEP2(c->b, mt, a->T->data, &e, 1, ""), "");
        LLVMSetAlignment(ld, a->dt == TC_F32 ? 4 : 2);
        note_tensor_access(c, ld);
        v[i] = tc_el_from_memory(&c->L, a->dt, ld);
    }
    for (int i = 0; i < 8; i += 2) { /* t[i], t[i+1]: rows i and i+1 interleaved, low and high pairs of each half */
        t[i] = shuffle8(c, v[i], v[i + 1], lo);
        t[i + 1] = shuffle8(c, v[i], v[i + 1], hi);
    }
    for (int h = 0; h < 8; h += 4) { /* s[h + j]: columns j and j + 4 of rows h..h+3 */
        s[h + 0] = shuffle8(c, t[h], t[h + 2], plo);
        s[h + 1] = shuffle8(c, t[h], t[h + 2], phi);
        s[h + 2] = shuffle8(c, t[h + 1], t[h + 3], plo);
        s[h + 3] = shuffle8(c, t[h + 1], t[h + 3], phi);
    }
    for (int j = 0; j < 8; j++) { /* column k0 + j of the 8 rows: 8 lanes of one panel row */
        LLVMValueRef col = shuffle8(c, s[j % 4], s[j % 4 + 4], j < 4 ? hlo : hhi);
        LLVMValueRef ti = col_tile_index(c, a, tidx, LLVMBuildAdd(c->b, k0, ci64(c, j), ""));
        LLVMValueRef st = LLVMBuildStore(c->b, col, LLVMBuildGEP2(c->b, c->L.t_f32, a->buf, &ti, 1, ""));
        LLVMSetAlignment(st, 4);
        note_access(c, st, a->buf);
    }
    loop_end(c, &lk);
    loop_end(c, &lg);
}

/* Copies a tile that lies wholly inside the tensor. */
static void copy_inside(Cg *c, const Access *a)
{
    LLVMValueRef idx[TC_MAX_RANK];
    if (rows_vectorizable(a)) copy_rows_packed(c, a);
    else nest(c, a->tile->rank - 1, a->tile->shape, 0, idx, access_row_inside, (void *)a);
}

/* The cache entry of a tile wholly inside the tensor: filled (copied, key
 * written) unless its key already matches. Returns the entry's tile. */
static LLVMValueRef cache_lookup(Cg *c, const TileCache *tc, const Access *a)
{
    LLVMValueRef e, dof = cache_entry(c, tc, a->off, a->tile->shape, &e);
    LLVMValueRef ko = LLVMBuildAdd(c->b, ci64(c, (int64_t)tc->keys), LLVMBuildMul(c->b, e, ci64(c, (int64_t)key_bytes(tc->rank)), ""), "");
    LLVMValueRef keyp = LLVMBuildGEP2(c->b, c->L.t_i8, c->p_scratch, &ko, 1, "key");
    LLVMValueRef data = LLVMBuildGEP2(c->b, c->L.t_i8, c->p_scratch, &dof, 1, "cached");
    PtrSlot ps = {data, REGION_CACHE | tc->index};
    TC_VEC_PUSH(c->arena, c->ptrs, ps);
    LLVMValueRef hit = LLVMConstInt(c->L.t_i1, 1, 0), want[TC_MAX_RANK + 1], kp[TC_MAX_RANK + 1];
    for (uint32_t d = 0; d <= tc->rank; d++) {
        LLVMValueRef i = ci64(c, d);
        kp[d] = LLVMBuildGEP2(c->b, c->L.t_i64, keyp, &i, 1, "");
        want[d] = d < tc->rank ? LLVMBuildAdd(c->b, a->off[d], ci64(c, 1), "") : LLVMBuildPtrToInt(c->b, a->T->data, c->L.t_i64, "");
        hit = LLVMBuildAnd(c->b, hit, LLVMBuildICmp(c->b, LLVMIntEQ, LLVMBuildLoad2(c->b, c->L.t_i64, kp[d], ""), want[d], ""), "");
    }
    LLVMBasicBlockRef fill = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "cache.fill");
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "cache.join");
    LLVMBuildCondBr(c->b, hit, join, fill);
    LLVMPositionBuilderAtEnd(c->b, fill);
    Access to = *a;
    to.buf = data;
    copy_inside(c, &to);
    for (uint32_t d = 0; d <= tc->rank; d++) LLVMBuildStore(c->b, want[d], kp[d]);
    LLVMBuildBr(c->b, join);
    LLVMPositionBuilderAtEnd(c->b, join);
    return data;
}

/* A store (res NULL) or a load whose tile becomes value res: the load's
 * result, or the trans of it that packs it (by_trans). */
static void emit_access(Cg *c, const TcIrOp *op, const TcIrValue *res)
{
    const CgTensor *T = c->tens[op->operands[0]->id];
    bool is_store = !res;
    Access a = {.T = T, .is_store = is_store};
    uint32_t r = T->rank;
    for (uint32_t d = 0; d < r; d++) a.off[d] = to_i64(c, op->operands[d + 1], V(c, op->operands[d + 1]));
    if (is_store) {
        const TcIrValue *tile = op->operands[r + 1];
        a.tile = tile->type;
        a.buf = V(c, tile);
    } else {
        a.tile = op->results[0]->type;
        a.buf = V(c, res);
        a.panel = c->panel[res->id];
        a.trans = res != op->results[0];
        a.by_rows = a.trans || c->by_rows[res->id];
        a.pad = op->noperands > r + 1 ? V(c, op->operands[r + 1])
                                      : (tc_dtype_is_float(a.tile->dtype) ? LLVMConstReal(tc_el_value_type(&c->L, a.tile->dtype), 0.0)
                                                                          : LLVMConstInt(tc_el_value_type(&c->L, a.tile->dtype), 0, 0));
    }
    a.dt = a.tile->dtype;
    LLVMValueRef idx[TC_MAX_RANK];
    /* the usual case, a tile wholly inside the tensor, takes a plain copy; the
     * general one pads (load) or skips (store) the positions outside */
    LLVMValueRef inside = LLVMConstInt(c->L.t_i1, 1, 0);
    for (uint32_t d = 0; d < r; d++) {
        LLVMValueRef n = ci64(c, a.tile->shape[d]);
        inside = LLVMBuildAnd(c->b, inside, LLVMBuildICmp(c->b, LLVMIntSGE, T->size[d], n, ""), "");
        inside = LLVMBuildAnd(c->b, inside,
                              LLVMBuildICmp(c->b, LLVMIntULE, a.off[d], LLVMBuildSub(c->b, T->size[d], n, ""), ""), "");
    }
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "access.inside");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "access.edge");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "access.done");
    LLVMBuildCondBr(c->b, inside, fast, slow);
    LLVMPositionBuilderAtEnd(c->b, fast);
    const TileCache *tc = is_store ? NULL : c->cache[op->results[0]->id];
    LLVMValueRef cached = tc ? cache_lookup(c, tc, &a) : NULL;
    if (!tc) copy_inside(c, &a);
    LLVMBasicBlockRef fast_end = LLVMGetInsertBlock(c->b);
    LLVMBuildBr(c->b, done);
    LLVMPositionBuilderAtEnd(c->b, slow);
    nest(c, a.tile->rank - 1, a.tile->shape, 0, idx, access_row, &a);
    LLVMBasicBlockRef slow_end = LLVMGetInsertBlock(c->b);
    LLVMBuildBr(c->b, done);
    LLVMPositionBuilderAtEnd(c->b, done);
    if (tc) { /* the tile is in the cache entry, or (edge tiles) in its own buffer */
        LLVMValueRef ptrs[2] = {cached, a.buf};
        LLVMBasicBlockRef from[2] = {fast_end, slow_end};
        LLVMValueRef phi = LLVMBuildPhi(c->b, c->L.t_ptr, "tile");
        LLVMAddIncoming(phi, ptrs, from, 2);
        c->val[res->id] = phi;
    }
}

/* -------------------------------------------------- control flow */

/* Copies yielded tiles into the carried buffers, through temporaries when a
 * source buffer is also another copy's destination. */
static void parallel_copy(Cg *c, const TcIrOp *y, TcIrValue *const *dsts, uint32_t p)
{
    uint32_t n = y->noperands;
    bool hazard = false;
    for (uint32_t i = 0; i < n && !hazard; i++) {
        const TcIrValue *s = y->operands[i];
        if (s->type->kind != TC_TY_TILE || c->slot_of[s->id] == c->slot_of[dsts[i]->id]) continue;
        for (uint32_t j = 0; j < n; j++)
            if (j != i && dsts[j]->type->kind == TC_TY_TILE && c->slot_of[dsts[j]->id] == c->slot_of[s->id] &&
                c->slot_of[y->operands[j]->id] != c->slot_of[dsts[j]->id])
                hazard = true;
    }
    LLVMValueRef *tmp = tc_arena_alloc(c->arena, (n + 1) * sizeof *tmp);
    for (uint32_t i = 0; i < n; i++) {
        const TcIrValue *s = y->operands[i];
        if (s->type->kind != TC_TY_TILE) continue;
        tmp[i] = V(c, s);
        if (hazard) {
            uint32_t t = get_slot(c, tile_bytes(s->type), p);
            c->slots.data[t].owner = UINT32_MAX;
            c->slots.data[t].end = p;
            tmp[i] = slot_ptr(c, t);
            copy_bytes(c, s->type, tmp[i], V(c, s));
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        const TcIrValue *s = y->operands[i];
        if (s->type->kind != TC_TY_TILE) continue;
        if (hazard) copy_bytes(c, s->type, V(c, dsts[i]), tmp[i]);
        else copy_tile(c, dsts[i], s);
    }
}

static void emit_for(Cg *c, const TcIrOp *op, uint32_t p)
{
    const TcIrBlock *body = op->regions[0];
    uint32_t nc = op->nresults;
    TcDtype it = op->operands[0]->type->dtype;
    bool sg = tc_dtype_is_signed(it);
    LLVMValueRef lo = V(c, op->operands[0]), hi = V(c, op->operands[1]), step = V(c, op->operands[2]);
    /* carried tiles: one buffer each, taking over the init's when it dies here */
    for (uint32_t i = 0; i < nc; i++) {
        TcIrValue *arg = body->args[i + 1], *init = op->operands[3 + i];
        if (arg->type->kind != TC_TY_TILE) continue;
        alloc_tile(c, arg, p, &init, 1);
        c->val[arg->id] = slot_ptr(c, c->slot_of[arg->id]);
        copy_tile(c, arg, init);
    }
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef header = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "for");
    LLVMBasicBlockRef bodyb = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "for.body");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "for.end");
    LLVMBuildBr(c->b, header);
    LLVMPositionBuilderAtEnd(c->b, header);
    LLVMValueRef iv = LLVMBuildPhi(c->b, tc_el_value_type(&c->L, it), "iv");
    LLVMAddIncoming(iv, &lo, &pre, 1);
    LLVMValueRef *phis = tc_arena_alloc(c->arena, (nc + 1) * sizeof *phis);
    for (uint32_t i = 0; i < nc; i++) {
        TcIrValue *arg = body->args[i + 1];
        if (arg->type->kind == TC_TY_TILE) continue;
        phis[i] = LLVMBuildPhi(c->b, tc_el_value_type(&c->L, arg->type->dtype), "carried");
        LLVMValueRef init = V(c, op->operands[3 + i]);
        LLVMAddIncoming(phis[i], &init, &pre, 1);
        c->val[arg->id] = phis[i];
    }
    c->val[body->args[0]->id] = iv;
    LLVMValueRef zero = LLVMConstInt(tc_el_value_type(&c->L, it), 0, 0);
    LLVMValueRef run = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, sg ? LLVMIntSGT : LLVMIntNE, step, zero, ""),
                                    LLVMBuildICmp(c->b, sg ? LLVMIntSLT : LLVMIntULT, iv, hi, ""), "");
    LLVMBuildCondBr(c->b, run, bodyb, exit);
    LLVMPositionBuilderAtEnd(c->b, bodyb);
    const TcIrOp *y = NULL;
    emit_block(c, body, &y);
    /* the yield: carried values move to the next iteration */
    parallel_copy(c, y, body->args + 1, c->pos - 1);
    LLVMTypeRef ivt = tc_el_value_type(&c->L, it);
    LLVMValueRef args2[2] = {iv, step};
    LLVMValueRef ov = tc_el_call_intrinsic(&c->L, sg ? "llvm.sadd.with.overflow" : "llvm.uadd.with.overflow", &ivt, 1, args2, 2);
    LLVMValueRef next = LLVMBuildExtractValue(c->b, ov, 0, "");
    LLVMValueRef overflow = LLVMBuildExtractValue(c->b, ov, 1, "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
    LLVMBuildCondBr(c->b, overflow, exit, header);
    LLVMAddIncoming(iv, &next, &latch, 1);
    LLVMPositionBuilderAtEnd(c->b, exit);
    for (uint32_t i = 0; i < nc; i++) {
        TcIrValue *arg = body->args[i + 1], *res = op->results[i];
        if (arg->type->kind == TC_TY_TILE) continue;
        LLVMValueRef yv = V(c, y->operands[i]);
        LLVMAddIncoming(phis[i], &yv, &latch, 1);
        LLVMValueRef out = LLVMBuildPhi(c->b, LLVMTypeOf(phis[i]), "");
        LLVMValueRef inc[2] = {phis[i], yv};
        LLVMBasicBlockRef from[2] = {header, latch};
        LLVMAddIncoming(out, inc, from, 2);
        c->val[res->id] = out;
    }
    /* the results keep the carried buffers */
    c->pos++;
    for (uint32_t i = 0; i < nc; i++) {
        TcIrValue *arg = body->args[i + 1], *res = op->results[i];
        if (arg->type->kind != TC_TY_TILE) continue;
        own(c, c->slot_of[arg->id], res);
        c->val[res->id] = V(c, arg);
    }
}

static void emit_if(Cg *c, const TcIrOp *op, uint32_t p)
{
    uint32_t nr = op->nresults;
    for (uint32_t i = 0; i < nr; i++) {
        TcIrValue *res = op->results[i];
        if (res->type->kind != TC_TY_TILE) continue;
        own(c, get_slot(c, tile_bytes(res->type), p), res);
        c->val[res->id] = slot_ptr(c, c->slot_of[res->id]);
    }
    LLVMBasicBlockRef arms[2] = {LLVMAppendBasicBlockInContext(c->ctx, c->fn, "then"),
                                 LLVMAppendBasicBlockInContext(c->ctx, c->fn, "else")};
    LLVMBasicBlockRef merge = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "endif");
    LLVMBuildCondBr(c->b, V(c, op->operands[0]), arms[0], arms[1]);
    LLVMValueRef *vals[2];
    LLVMBasicBlockRef ends[2];
    for (int a = 0; a < 2; a++) {
        LLVMPositionBuilderAtEnd(c->b, arms[a]);
        const TcIrOp *y = NULL;
        emit_block(c, op->regions[a], &y);
        vals[a] = tc_arena_alloc(c->arena, (nr + 1) * sizeof(LLVMValueRef));
        for (uint32_t i = 0; i < nr; i++) {
            if (op->results[i]->type->kind == TC_TY_TILE) copy_tile(c, op->results[i], y->operands[i]);
            else vals[a][i] = V(c, y->operands[i]);
        }
        ends[a] = LLVMGetInsertBlock(c->b);
        LLVMBuildBr(c->b, merge);
    }
    LLVMPositionBuilderAtEnd(c->b, merge);
    for (uint32_t i = 0; i < nr; i++) {
        if (op->results[i]->type->kind == TC_TY_TILE) continue;
        LLVMValueRef phi = LLVMBuildPhi(c->b, tc_el_value_type(&c->L, op->results[i]->type->dtype), "");
        LLVMValueRef inc[2] = {vals[0][i], vals[1][i]};
        LLVMAddIncoming(phi, inc, ends, 2);
        c->val[op->results[i]->id] = phi;
    }
    c->pos++;
}

/* Allocates the result buffer of an ordinary op, in place where allowed. */
static void alloc_result(Cg *c, const TcIrOp *op, uint32_t p)
{
    if (op->nresults != 1 || op->results[0]->type->kind != TC_TY_TILE) return;
    TcIrValue *hints[3] = {NULL, NULL, NULL};
    uint32_t nh = 0;
    const TcOpInfo *info = tc_op_info(op->opc);
    if (op->opc == TC_OP_DOT) {
        hints[nh++] = op->operands[2];
    } else if ((info->flags & TC_OPF_ELEMENTWISE) || op->opc == TC_OP_RESHAPE || op->opc == TC_OP_EXPAND_DIMS) {
        for (uint32_t i = 0; i < op->noperands && nh < 3; i++) hints[nh++] = op->operands[i];
    }
    const TcIrValue *r = op->results[0];
    alloc_tile(c, r, p, hints, nh);
    c->val[r->id] = slot_ptr(c, c->slot_of[r->id]);
}

static void emit_op(Cg *c, const TcIrOp *op)
{
    uint32_t p = c->pos++;
    switch (op->opc) {
    case TC_OP_FOR: emit_for(c, op, p); return;
    case TC_OP_IF: emit_if(c, op, p); return;
    case TC_OP_LOAD:
        if (c->by_trans[op->results[0]->id]) return; /* emitted at its trans */
        break;
    default: break;
    }
    alloc_result(c, op, p);
    const TcIrValue *r = op->nresults ? op->results[0] : NULL;
    switch (op->opc) {
    case TC_OP_CONST: {
        TcDtype dt = r->type->dtype;
        LLVMTypeRef t = tc_el_value_type(&c->L, dt);
        c->val[r->id] = tc_dtype_is_float(dt) ? LLVMConstReal(t, op->fval)
                                              : LLVMConstInt(t, (unsigned long long)op->ival, 0);
        return;
    }
    case TC_OP_PROGRAM_ID: c->val[r->id] = c->p_pid[op->ival]; return;
    case TC_OP_NUM_PROGRAMS: {
        LLVMValueRef i = ci64(c, op->ival);
        c->val[r->id] = LLVMBuildLoad2(c->b, c->L.t_i32, LLVMBuildGEP2(c->b, c->L.t_i32, c->p_grid, &i, 1, ""), "");
        return;
    }
    case TC_OP_SPLAT: emit_splat(c, op); return;
    case TC_OP_ARANGE: emit_arange(c, op); return;
    case TC_OP_TRANS:
        if (c->by_trans[op->operands[0]->id]) emit_access(c, op->operands[0]->def, r);
        else emit_remap(c, op);
        return;
    case TC_OP_BROADCAST: emit_remap(c, op); return;
    case TC_OP_RESHAPE: case TC_OP_EXPAND_DIMS:
        if (r->type->kind == TC_TY_TILE && op->operands[0]->type->kind == TC_TY_SCALAR) emit_splat(c, op);
        else copy_tile(c, r, op->operands[0]);
        return;
    case TC_OP_REDUCE_SUM: case TC_OP_REDUCE_MAX: case TC_OP_REDUCE_MIN: emit_reduce(c, op); return;
    case TC_OP_DOT: emit_dot(c, op); return;
    case TC_OP_VIEW: emit_view(c, op); return;
    case TC_OP_LOAD: emit_access(c, op, r); return;
    case TC_OP_STORE: emit_access(c, op, NULL); return;
    case TC_OP_YIELD: return;
    default: break;
    }
    if (tc_op_info(op->opc)->flags & TC_OPF_ELEMENTWISE) {
        emit_elementwise(c, op);
        return;
    }
    TC_ICE("no CPU lowering of '%s'", tc_op_info(op->opc)->name);
}

static void emit_block(Cg *c, const TcIrBlock *blk, const TcIrOp **yield)
{
    for (const TcIrOp *op = blk->first; op; op = op->next) {
        if (op->opc == TC_OP_YIELD) {
            c->pos++;
            *yield = op;
            continue;
        }
        emit_op(c, op);
    }
}

/* ---------------------------------------------------------- kernels */

/* Whether v may differ between program instances that differ only in
 * program_id(0). Conservative: carried loop values, results of regions and
 * chains deeper than 256 count as dependent. */
static bool depends_on_pid0(Cg *c, const TcIrValue *v, int depth)
{
    int8_t *st = &c->pid0_dep[v->id];
    if (*st) return *st == 2;
    if (depth > 256) return true;
    *st = 2; /* while in progress: a cycle counts as dependent */
    bool dep = true;
    const TcIrOp *def = v->def, *parent = v->block ? v->block->parent : NULL;
    if (def && def->nregions == 0) {
        dep = def->opc == TC_OP_PROGRAM_ID && def->ival == 0;
        for (uint32_t i = 0; i < def->noperands && !dep; i++) dep = depends_on_pid0(c, def->operands[i], depth + 1);
    } else if (!def && !parent) {
        dep = false; /* params and sizes */
    } else if (!def && parent->opc == TC_OP_FOR && v->index == 0) {
        dep = false; /* the induction variable: as its bounds and step */
        for (uint32_t i = 0; i < 3 && !dep; i++) dep = depends_on_pid0(c, parent->operands[i], depth + 1);
    }
    *st = dep ? 2 : 1;
    return dep;
}

static void find_cached_load(TcIrOp *op, void *ctx)
{
    Cg *c = ctx;
    if (op->opc != TC_OP_LOAD) return;
    const TcIrValue *t = op->operands[0], *r = op->results[0];
    uint32_t rank = t->type->rank;
    /* a read-only tensor parameter, or views of one (attention's k[z, h]) at
     * indices that do not depend on program_id(0) either */
    for (; t->def && t->def->opc == TC_OP_VIEW; t = t->def->operands[0])
        for (uint32_t i = 1; i < t->def->noperands; i++)
            if (depends_on_pid0(c, t->def->operands[i], 0)) return;
    if (t->def || t->block->parent || (t->type->flags & (TC_TENSOR_OUT | TC_TENSOR_INOUT))) return;
    for (uint32_t d = 0; d < rank; d++)
        if (depends_on_pid0(c, op->operands[1 + d], 0)) return;
    uint64_t entry = tile_bytes(r->type);
    if (entry > CACHE_MAX_TILE) return;
    uint32_t cap = CACHE_MAX_ENTRIES;
    while (cap > 1 && (uint64_t)cap * entry > CACHE_BYTES_PER_LOAD) cap /= 2;
    uint64_t keys = align64(cap * key_bytes(rank));
    uint64_t start = c->caches.len ? c->scratch_bytes : CACHE_HEADER;
    if (cap < 2 || start + keys + (uint64_t)cap * entry > CACHE_HEADER + CACHE_BYTES_PER_KERNEL) return;
    TileCache *tc = tc_arena_alloc(c->arena, sizeof *tc);
    *tc = (TileCache){start, start + keys, entry, cap, rank, c->caches.len};
    c->cache[r->id] = tc;
    TC_VEC_PUSH(c->arena, c->caches, tc);
    c->scratch_bytes = start + keys + (uint64_t)cap * entry;
}

/*
 * Packed operands. A tile loaded only to be the b operand of microkernel
 * dots is stored as panels, [N/P][K][P] with P = NV x VL the block's width,
 * instead of row-major [K][N]: the block's k loop then reads one contiguous
 * panel rather than rows N elements apart. The copy from the tensor does
 * the packing, so it costs nothing extra; a tile cache keeps the packed copy.
 */
#define PANEL_NONE UINT32_MAX            /* some other use: never packed */
#define PANEL_TRANS_USE (UINT32_MAX - 1) /* a load used by one trans, so far */
#define PANEL_ROWS ((uint32_t)1 << 30)   /* with a width: packed by rows (a dot's a operand) */

/* trans(x) of a 2-d tile (the only permutation of two axes) where x is a
 * load's result, in the same block with no op between them that writes
 * tensors or owns blocks: the load may then be made at the trans. */
static bool is_trans_of_load(const TcIrOp *op)
{
    if (!op || op->opc != TC_OP_TRANS || op->results[0]->type->rank != 2) return false;
    const TcIrOp *ld = op->operands[0]->def;
    if (!ld || ld->opc != TC_OP_LOAD || ld->parent != op->parent) return false;
    for (const TcIrOp *x = ld->next; x != op; x = x->next)
        if (!x || tc_op_info(x->opc)->flags & (TC_OPF_WRITES_MEMORY | TC_OPF_HAS_REGIONS)) return false;
    return true;
}

static void note_dot_operand(TcIrOp *op, void *ctx)
{
    Cg *c = ctx;
    uint32_t mr, nv;
    uint32_t P = 0, PA = 0;
    if (op->opc == TC_OP_DOT && dot_block(c, op, &mr, &nv)) {
        const TcType *ta = op->operands[0]->type;
        P = nv * dot_lanes(c, op->results[0]->type->dtype);
        /* a is packed by rows when MR rows make one vectorized copy step and
         * its elements are f32 in tiles */
        if (mr == ROWS_GROUP && ta->shape[1] % ROWS_GROUP == 0 && f32_in_tiles(ta->dtype))
            PA = mr | PANEL_ROWS;
    }
    for (uint32_t i = 0; i < op->noperands; i++) {
        const TcIrValue *v = op->operands[i];
        if (v->type->kind != TC_TY_TILE) continue;
        uint32_t *cur = &c->panel[v->id];
        if (is_trans_of_load(op)) { /* a load's one use by a trans: packed there, if the trans's result is */
            *cur = *cur == 0 ? PANEL_TRANS_USE : PANEL_NONE;
            continue;
        }
        /* PANEL_NONE: not a load's result (or its trans), or some other use; never packed */
        bool loaded = v->def && (v->def->opc == TC_OP_LOAD || is_trans_of_load(v->def));
        uint32_t want = i == 1 && P && loaded ? P : i == 0 && PA && loaded ? PA : PANEL_NONE;
        *cur = *cur == 0 || *cur == want ? want : PANEL_NONE;
    }
}

/* A trans of a load packs the load's tile (by_trans) when the trans's result
 * is packed and the trans is the load's only use; else the trans's result
 * is not packed (emit_remap writes it row-major). */
static void settle_trans_operand(TcIrOp *op, void *ctx)
{
    Cg *c = ctx;
    if (!is_trans_of_load(op)) return;
    uint32_t x = op->operands[0]->id, *pr = &c->panel[op->results[0]->id];
    if (c->panel[x] == PANEL_TRANS_USE && *pr != 0 && *pr != PANEL_NONE && !(*pr & PANEL_ROWS)) c->by_trans[x] = true;
    else *pr = PANEL_NONE;
}

static void find_packed_operands(Cg *c, TcIrFunc *f)
{
    tc_ir_walk_func(f, note_dot_operand, c);
    tc_ir_walk_func(f, settle_trans_operand, c);
    for (uint32_t v = 0; v <= f->nvalues; v++) {
        if (c->panel[v] >= PANEL_TRANS_USE) c->panel[v] = 0;
        if (c->panel[v] & PANEL_ROWS) {
            c->panel[v] &= ~PANEL_ROWS;
            c->by_rows[v] = true;
        }
    }
}

/* Empties every cache at an instance's start when the launch word says a
 * new launch began, then marks the launch as seen. */
static void emit_cache_reset(Cg *c)
{
    LLVMValueRef word = LLVMBuildLoad2(c->b, c->L.t_i64, c->p_scratch, "launch");
    LLVMBasicBlockRef reset = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "cache.reset");
    LLVMBasicBlockRef go = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "cache.ready");
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, word, ci64(c, 0), ""), reset, go);
    LLVMPositionBuilderAtEnd(c->b, reset);
    for (uint32_t i = 0; i < c->caches.len; i++) {
        const TileCache *tc = c->caches.data[i];
        LLVMValueRef o = ci64(c, (int64_t)tc->keys);
        LLVMBuildMemSet(c->b, LLVMBuildGEP2(c->b, c->L.t_i8, c->p_scratch, &o, 1, ""), LLVMConstInt(c->L.t_i8, 0, 0),
                        ci64(c, (int64_t)(tc->cap * key_bytes(tc->rank))), 8);
    }
    LLVMBuildStore(c->b, ci64(c, 1), c->p_scratch);
    LLVMBuildBr(c->b, go);
    LLVMPositionBuilderAtEnd(c->b, go);
}

static void emit_kernel(Cg *c, TcIrFunc *f, TcStrBuf *sig)
{
    c->f = f;
    uint32_t n = f->nvalues + 1;
    c->val = tc_arena_alloc(c->arena, n * sizeof *c->val);
    c->tens = tc_arena_alloc(c->arena, n * sizeof *c->tens);
    c->slot_of = tc_arena_alloc(c->arena, n * sizeof *c->slot_of);
    c->cache = tc_arena_alloc(c->arena, n * sizeof *c->cache);
    c->pid0_dep = tc_arena_alloc(c->arena, n * sizeof *c->pid0_dep);
    c->panel = tc_arena_alloc(c->arena, n * sizeof *c->panel); /* tc_arena_alloc zeroes */
    c->by_trans = tc_arena_alloc(c->arena, n * sizeof *c->by_trans);
    c->by_rows = tc_arena_alloc(c->arena, n * sizeof *c->by_rows);
    if (!c->opt->no_pack) find_packed_operands(c, f);
    c->regions.len = c->rstack.len = c->slots.len = c->ptrs.len = c->accesses.len = 0;
    c->scratch_bytes = 0;
    c->caches.len = 0;
    if (!c->opt->no_tile_cache) tc_ir_walk_func(f, find_cached_load, c); /* caches first in scratch, then tiles */
    compute_liveness(c);

    LLVMTypeRef params[7] = {c->L.t_ptr, c->L.t_ptr, c->L.t_ptr, c->L.t_i32, c->L.t_i32, c->L.t_i32, c->L.t_ptr};
    LLVMTypeRef fty = LLVMFunctionType(c->L.t_void, params, 7, 0);
    char *name = tc_arena_printf(c->arena, "tilec_%s", f->name);
    c->fn = LLVMAddFunction(c->mod, name, fty);
    for (unsigned i = 0; i < 7; i++)
        if (i < 3 || i == 6) {
            unsigned kind = LLVMGetEnumAttributeKindForName("noalias", 7);
            LLVMAddAttributeAtIndex(c->fn, i + 1, LLVMCreateEnumAttribute(c->ctx, kind, 0));
        }
    c->p_args = LLVMGetParam(c->fn, 0);
    c->p_sizes = LLVMGetParam(c->fn, 1);
    c->p_grid = LLVMGetParam(c->fn, 2);
    for (int i = 0; i < 3; i++) c->p_pid[i] = LLVMGetParam(c->fn, 3 + i);
    c->p_scratch = LLVMGetParam(c->fn, 6);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c->ctx, c->fn, "entry");
    LLVMPositionBuilderAtEnd(c->b, entry);

    for (uint32_t i = 0; i < f->nparams; i++) {
        TcIrValue *p = tc_ir_func_param(f, i);
        if (p->type->kind == TC_TY_TENSOR) {
            c->tens[p->id] = param_tensor(c, i, p->type);
            continue;
        }
        LLVMValueRef idx = ci64(c, i);
        LLVMValueRef ptr = LLVMBuildLoad2(c->b, c->L.t_ptr, LLVMBuildGEP2(c->b, c->L.t_ptr, c->p_args, &idx, 1, ""), "");
        TcDtype dt = p->type->dtype;
        if (tc_dtype_is_float(dt)) {
            LLVMValueRef d = LLVMBuildLoad2(c->b, c->L.t_f64, ptr, p->name ? p->name : "");
            c->val[p->id] = tc_el_cast(&c->L, TC_F64, dt, d);
        } else {
            LLVMValueRef d = LLVMBuildLoad2(c->b, c->L.t_i64, ptr, p->name ? p->name : "");
            c->val[p->id] = tc_el_cast(&c->L, TC_I64, dt, d);
        }
    }
    for (uint32_t k = 0; k < f->nsizes; k++) {
        LLVMValueRef idx = ci64(c, k);
        c->val[tc_ir_func_size(f, k)->id] =
            LLVMBuildLoad2(c->b, c->L.t_i32, LLVMBuildGEP2(c->b, c->L.t_i32, c->p_sizes, &idx, 1, ""), tc_ir_func_size(f, k)->name);
    }
    if (c->caches.len) emit_cache_reset(c);
    c->pos = 1;
    const TcIrOp *y = NULL;
    emit_block(c, f->body, &y);
    LLVMBuildRetVoid(c->b);
    tag_accesses(c);

    tc_signature_emit(f, align64(c->scratch_bytes), sig, c->de);
}

static void init_types(Cg *c)
{
    c->L.ctx = c->ctx;
    c->L.mod = c->mod;
    c->L.b = c->b;
    tc_el_init_types(&c->L);
    LLVMTypeRef fields[4] = {c->L.t_ptr, c->L.t_i32, c->L.t_i32, LLVMArrayType2(c->L.t_i64, TILEC_MAX_RANK)};
    LLVMTypeRef f5[5] = {fields[0], fields[1], fields[2], fields[3], fields[3]};
    c->t_tensor = LLVMStructTypeInContext(c->ctx, f5, 5, 0);
}

/* ------------------------------------------------------ target machine */

static bool llvm_initialized;

static void init_llvm(void)
{
    if (llvm_initialized) return;
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    LLVMInitializeNativeAsmParser();
#if defined(__x86_64__) && defined(__GLIBC__)
    /* Loops over exp and log vectorize into glibc's libmvec (-lmvec). */
    const char *argv[] = {"tilec", "-vector-library=LIBMVEC-X86"};
    LLVMParseCommandLineOptions(2, argv, NULL);
#endif
    llvm_initialized = true;
}

LLVMTargetMachineRef tc_cpu_target_machine(const TcCpuOptions *opt, TcDiagEngine *de, char **triple_out)
{
    init_llvm();
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef target;
    char *err = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &err)) {
        tc_error(de, TC_E_INTERNAL, (TcSpan){0}, "LLVM has no target for %s: %s", triple, err ? err : "");
        LLVMDisposeMessage(err);
        LLVMDisposeMessage(triple);
        return NULL;
    }
    char *cpu = opt->cpu ? NULL : LLVMGetHostCPUName();
    char *feat = opt->cpu ? NULL : LLVMGetHostCPUFeatures();
    LLVMCodeGenOptLevel lvl = tc_llvm_codegen_level(opt->opt_level);
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, opt->cpu ? opt->cpu : cpu,
                                                      opt->cpu ? (opt->features ? opt->features : "") : feat, lvl,
                                                      LLVMRelocPIC, LLVMCodeModelDefault);
    if (cpu) LLVMDisposeMessage(cpu);
    if (feat) LLVMDisposeMessage(feat);
    *triple_out = triple;
    return tm;
}

/*
 * f32 lanes of the widest vector register of the target machine. The host's
 * features are explicit (LLVMGetHostCPUFeatures); for --cpu=NAME the C API
 * gives no way to ask which features the name implies, so explicit features
 * decide first, then this list of LLVM's x86 CPU names (LLVM 19).
 */
static uint32_t vector_lanes(const char *cpu, const char *features)
{
    static const char *const avx512[] = {"x86-64-v4", "skylake-avx512", "cascadelake", "cooperlake", "cannonlake",
                                         "icelake-client", "icelake-server", "tigerlake", "rocketlake", "sapphirerapids",
                                         "emeraldrapids", "graniterapids", "graniterapids-d", "diamondrapids", "znver4",
                                         "znver5", "knl", "knm"};
    static const char *const avx[] = {"x86-64-v3", "haswell", "broadwell", "skylake", "alderlake", "raptorlake",
                                      "meteorlake", "arrowlake", "arrowlake-s", "lunarlake", "pantherlake", "gracemont",
                                      "sierraforest", "grandridge", "clearwaterforest", "znver1", "znver2", "znver3",
                                      "sandybridge", "ivybridge", "bdver1", "bdver2", "bdver3", "bdver4", "btver2"};
    if (strstr(features, "+avx512f")) return 16;
    if (strstr(features, "+avx")) return 8;
    if (strstr(features, "-avx")) return 4; /* -avx, -avx2, -avx512f: take the narrower width */
    for (size_t i = 0; i < sizeof avx512 / sizeof avx512[0]; i++)
        if (strcmp(cpu, avx512[i]) == 0) return 16;
    for (size_t i = 0; i < sizeof avx / sizeof avx[0]; i++)
        if (strcmp(cpu, avx[i]) == 0) return 8;
    return 4;
}

static void note_shared_op(TcIrOp *op, void *found)
{
    if (tc_op_info(op->opc)->flags & (TC_OPF_READS_SHARED | TC_OPF_WRITES_SHARED)) *(bool *)found = true;
}

/* Whether f is distributed or Memory IR: tiles with GPU layouts, or ops on
 * shared memory (barrier, local_*, async_*), none of which the CPU lowers. */
static bool is_gpu_level(TcIrFunc *f)
{
    bool found = tc_ir_func_has_layouts(f) > 0;
    if (!found) tc_ir_walk_func(f, note_shared_op, &found);
    return found;
}

LLVMModuleRef tc_cpu_build_module(TcIrModule *m, const TcCpuOptions *opt, LLVMContextRef ctx, LLVMTargetMachineRef tm,
                                  const char *triple, TcDiagEngine *de, TcArena *a)
{
    Cg c = {.de = de, .opt = opt, .ctx = ctx, .arena = a};
    c.mod = LLVMModuleCreateWithNameInContext("tilec", ctx);
    LLVMSetTarget(c.mod, triple);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    char *dl = LLVMCopyStringRepOfTargetData(td);
    LLVMSetDataLayout(c.mod, dl);
    LLVMDisposeMessage(dl);
    LLVMDisposeTargetData(td);
    c.b = LLVMCreateBuilderInContext(ctx);
    init_types(&c);
    char *features = LLVMGetTargetMachineFeatureString(tm), *cpu = LLVMGetTargetMachineCPU(tm);
    c.vl = vector_lanes(cpu, features);
    LLVMDisposeMessage(features);
    LLVMDisposeMessage(cpu);
    uint32_t errors = de->nerrors;
    for (uint32_t i = 0; i < m->funcs.len; i++)
        if (is_gpu_level(m->funcs.data[i])) {
            tc_error(de, TC_E_PIPELINE, m->funcs.data[i]->loc,
                     "kernel '%s' is distributed or Memory IR (its tiles have GPU layouts); the CPU target takes "
                     "Tile IR: compile it for a GPU target, or from before the GPU passes",
                     m->funcs.data[i]->name);
            LLVMDisposeBuilder(c.b);
            LLVMDisposeModule(c.mod);
            return NULL;
        }
    for (uint32_t i = 0; i < m->funcs.len; i++) {
        TcStrBuf sig;
        tc_sb_init(&sig);
        emit_kernel(&c, m->funcs.data[i], &sig);
        char *gname = tc_arena_printf(a, "tilec_%s_signature", m->funcs.data[i]->name);
        LLVMValueRef str = LLVMConstStringInContext(ctx, sig.data ? sig.data : "", (unsigned)sig.len, 0);
        LLVMValueRef g = LLVMAddGlobal(c.mod, LLVMTypeOf(str), gname);
        LLVMSetInitializer(g, str);
        LLVMSetGlobalConstant(g, 1);
        tc_sb_free(&sig);
    }
    LLVMDisposeBuilder(c.b);
    if (de->nerrors != errors) {
        LLVMDisposeModule(c.mod);
        return NULL;
    }
    char *msg = NULL;
    if (LLVMVerifyModule(c.mod, LLVMReturnStatusAction, &msg)) {
        tc_error(de, TC_E_INTERNAL, (TcSpan){0},
                 "internal compiler error: the LLVM IR generated for the CPU does not verify: %.2000s", msg ? msg : "");
        LLVMDisposeMessage(msg);
        LLVMDisposeModule(c.mod);
        return NULL;
    }
    LLVMDisposeMessage(msg);
    if (opt->opt_level > 0) {
        char pipeline[32];
        tc_llvm_default_pipeline(opt->opt_level, pipeline, sizeof pipeline);
        if (!tc_llvm_run_passes(c.mod, pipeline, tm, true, "LLVM optimization failed", de)) {
            LLVMDisposeModule(c.mod);
            return NULL;
        }
    }
    return c.mod;
}

bool tc_cpu_compile(TcIrModule *m, const TcCpuOptions *opt, TcCpuEmit what, TcStrBuf *out, TcDiagEngine *de)
{
    char *triple = NULL;
    LLVMTargetMachineRef tm = tc_cpu_target_machine(opt, de, &triple);
    if (!tm) return false;
    LLVMContextRef ctx = LLVMContextCreate();
    TcArena a;
    tc_arena_init(&a);
    LLVMModuleRef mod = tc_cpu_build_module(m, opt, ctx, tm, triple, de, &a);
    bool ok = mod != NULL;
    if (ok && what == TC_CPU_EMIT_LLVM) {
        char *s = LLVMPrintModuleToString(mod);
        tc_sb_puts(out, s);
        LLVMDisposeMessage(s);
    } else if (ok) {
        ok = tc_llvm_emit(tm, mod, what == TC_CPU_EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile, out, de);
    }
    if (mod) LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    LLVMDisposeMessage(triple);
    tc_arena_free(&a);
    return ok;
}
