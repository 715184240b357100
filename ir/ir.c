/*
 * ir.c — Tile IR core: dtype and op tables, type interning, kernels,
 * blocks, ops and the builder.
 *
 * Invariant: the builder derives result types from the op table's result
 * rule; it does not check operands (the verifier does), so it never fails.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- dtypes */

enum { K_B, K_S, K_U, K_F };
#define B K_B
#define S K_S
#define U K_U
#define F K_F
static const struct { const char *name; unsigned bits; int kind; } dtype_info[] = {
#define TC_DTYPE(id, name, bits, kind) {name, bits, kind},
#include "dtypes.def"
#undef TC_DTYPE
};
#undef B
#undef S
#undef U
#undef F

const char *tc_dtype_name(TcDtype t) { return (unsigned)t < TC_DTYPE_COUNT ? dtype_info[t].name : "?"; }
unsigned tc_dtype_bits(TcDtype t) { return dtype_info[t].bits; }
unsigned tc_dtype_bytes(TcDtype t) { return t == TC_BOOL ? 1 : dtype_info[t].bits / 8; }
bool tc_dtype_is_float(TcDtype t) { return dtype_info[t].kind == K_F; }
bool tc_dtype_is_int(TcDtype t) { return dtype_info[t].kind == K_S || dtype_info[t].kind == K_U; }
bool tc_dtype_is_signed(TcDtype t) { return dtype_info[t].kind == K_S; }
bool tc_dtype_is_unsigned(TcDtype t) { return dtype_info[t].kind == K_U; }

bool tc_dtype_from_name(const char *s, size_t n, TcDtype *out)
{
    for (unsigned i = 0; i < TC_DTYPE_COUNT; i++) {
        if (strlen(dtype_info[i].name) == n && memcmp(dtype_info[i].name, s, n) == 0) {
            *out = (TcDtype)i;
            return true;
        }
    }
    return false;
}

/* IEEE binary16 <-> binary32, round to nearest even. */
float tc_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalize */
            int e = -1;
            do { e++; man <<= 1; } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t tc_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t exp = (x >> 23) & 0xff, man = x & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000;
        unsigned shift = (unsigned)(14 - e);
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++; /* may carry into inf: correct */
    return (uint16_t)(sign | h);
}

float tc_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t tc_f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40); /* quiet NaN */
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

/* ------------------------------------------------------------------- ops */

static const TcOpInfo op_info[] = {
#define TC_OP(id, name, nopnd, nres, rr, attr, flags) {name, nopnd, nres, rr, attr, flags},
#include "ops.def"
#undef TC_OP
};

const TcOpInfo *tc_op_info(TcOpcode op) { return &op_info[op]; }

bool tc_op_from_name(const char *s, size_t n, TcOpcode *out)
{
    for (unsigned i = 0; i < TC_OP_COUNT; i++) {
        if (strlen(op_info[i].name) == n && memcmp(op_info[i].name, s, n) == 0) {
            *out = (TcOpcode)i;
            return true;
        }
    }
    return false;
}

/* ----------------------------------------------------------------- types */

TcIrModule *tc_ir_module_new(TcArena *a)
{
    TcIrModule *m = tc_arena_alloc(a, sizeof *m);
    m->arena = a;
    tc_strtab_init(&m->strs, a);
    return m;
}

void tc_ir_module_free(TcIrModule *m)
{
    if (!m) return;
    tc_strtab_free(&m->strs);
    free(m->type_slots);
    m->type_slots = NULL;
    m->type_cap = m->type_len = 0;
}

const char *tc_ir_intern(TcIrModule *m, const char *s) { return tc_intern(&m->strs, s, strlen(s)); }

static uint64_t type_hash(const TcType *t)
{
    uint64_t h = tc_hash_combine((uint64_t)t->kind, (uint64_t)t->dtype);
    h = tc_hash_combine(h, t->rank);
    h = tc_hash_combine(h, t->flags);
    h = tc_hash_combine(h, (uint64_t)(uintptr_t)t->layout);
    for (unsigned i = 0; i < t->rank; i++) {
        if (t->shape) h = tc_hash_combine(h, (uint64_t)t->shape[i]);
        if (t->dims) {
            h = tc_hash_combine(h, (uint64_t)t->dims[i].value);
            h = tc_hash_combine(h, (uint64_t)(uintptr_t)t->dims[i].sym);
        }
    }
    return h;
}

static bool type_eq(const TcType *a, const TcType *b)
{
    if (a->kind != b->kind || a->dtype != b->dtype || a->rank != b->rank ||
        a->flags != b->flags || a->layout != b->layout)
        return false;
    for (unsigned i = 0; i < a->rank; i++) {
        if (a->shape && a->shape[i] != b->shape[i]) return false;
        if (a->dims && (a->dims[i].value != b->dims[i].value || a->dims[i].sym != b->dims[i].sym))
            return false;
    }
    return true;
}

static void type_rehash(TcIrModule *m)
{
    uint32_t ncap = m->type_cap ? m->type_cap * 2 : 64;
    TcType **ns = calloc(ncap, sizeof *ns);
    if (!ns) TC_ICE("out of host memory");
    for (uint32_t i = 0; i < m->type_cap; i++) {
        TcType *t = m->type_slots[i];
        if (!t) continue;
        uint32_t j = (uint32_t)type_hash(t) & (ncap - 1);
        while (ns[j]) j = (j + 1) & (ncap - 1);
        ns[j] = t;
    }
    free(m->type_slots);
    m->type_slots = ns;
    m->type_cap = ncap;
}

/* Returns the interned copy of *key, copying its arrays into the arena. */
static TcType *intern_type(TcIrModule *m, const TcType *key)
{
    if ((m->type_len + 1) * 2 > m->type_cap) type_rehash(m);
    uint32_t j = (uint32_t)type_hash(key) & (m->type_cap - 1);
    while (m->type_slots[j]) {
        if (type_eq(m->type_slots[j], key)) return m->type_slots[j];
        j = (j + 1) & (m->type_cap - 1);
    }
    TcType *t = tc_arena_memdup(m->arena, key, sizeof *key);
    if (key->shape) t->shape = tc_arena_memdup(m->arena, key->shape, key->rank * sizeof(int64_t));
    if (key->dims) t->dims = tc_arena_memdup(m->arena, key->dims, key->rank * sizeof(TcDim));
    m->type_slots[j] = t;
    m->type_len++;
    return t;
}

TcType *tc_type_scalar(TcIrModule *m, TcDtype dt)
{
    TcType k = {.kind = TC_TY_SCALAR, .dtype = dt, .numel = 1};
    return intern_type(m, &k);
}

TcType *tc_type_tile(TcIrModule *m, TcDtype dt, uint32_t rank, const int64_t *shape)
{
    TC_ASSERT(rank >= 1 && rank <= TC_MAX_RANK);
    TcType k = {.kind = TC_TY_TILE, .dtype = dt, .rank = (uint8_t)rank, .shape = shape, .numel = 1};
    for (uint32_t i = 0; i < rank; i++) k.numel *= shape[i];
    return intern_type(m, &k);
}

TcType *tc_type_tensor(TcIrModule *m, TcDtype dt, uint32_t rank, const TcDim *dims, unsigned flags)
{
    TC_ASSERT(rank <= TC_MAX_RANK);
    TcDim d[TC_MAX_RANK];
    for (uint32_t i = 0; i < rank; i++) {
        d[i] = dims[i];
        if (d[i].sym) d[i].sym = tc_ir_intern(m, d[i].sym); /* compare by pointer */
    }
    TcType k = {.kind = TC_TY_TENSOR, .dtype = dt, .rank = (uint8_t)rank, .flags = (uint8_t)flags,
                .dims = rank ? d : NULL};
    return intern_type(m, &k);
}

TcType *tc_type_with_dtype(TcIrModule *m, const TcType *t, TcDtype dt)
{
    if (t->kind == TC_TY_SCALAR) return tc_type_scalar(m, dt);
    if (t->kind == TC_TY_TILE) return tc_type_with_layout(m, tc_type_tile(m, dt, t->rank, t->shape), t->layout);
    return tc_type_tensor(m, dt, t->rank, t->dims, t->flags);
}

TcType *tc_type_with_layout(TcIrModule *m, const TcType *t, const TcLayout *l)
{
    TC_ASSERT(t->kind == TC_TY_TILE);
    TcType k = *t;
    k.layout = l;
    return intern_type(m, &k);
}

bool tc_type_is_scalar(const TcType *t) { return t->kind == TC_TY_SCALAR; }
bool tc_type_is_tile(const TcType *t) { return t->kind == TC_TY_TILE; }
bool tc_type_is_tensor(const TcType *t) { return t->kind == TC_TY_TENSOR; }

void tc_type_print(const TcType *t, TcStrBuf *out)
{
    switch (t->kind) {
    case TC_TY_SCALAR:
        tc_sb_puts(out, tc_dtype_name(t->dtype));
        return;
    case TC_TY_TILE:
        tc_sb_puts(out, tc_dtype_name(t->dtype));
        tc_sb_putc(out, '[');
        for (unsigned i = 0; i < t->rank; i++)
            tc_sb_printf(out, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
        tc_sb_putc(out, ']');
        if (t->layout) {
            tc_sb_putc(out, ' ');
            tc_layout_print(t->layout, out);
        }
        return;
    case TC_TY_TENSOR:
        tc_sb_puts(out, "tensor<");
        if (t->flags & TC_TENSOR_OUT) tc_sb_puts(out, "out ");
        if (t->flags & TC_TENSOR_INOUT) tc_sb_puts(out, "inout ");
        if (t->flags & TC_TENSOR_STRIDED) tc_sb_puts(out, "strided ");
        tc_sb_puts(out, tc_dtype_name(t->dtype));
        tc_sb_putc(out, '[');
        for (unsigned i = 0; i < t->rank; i++) {
            if (i) tc_sb_puts(out, ", ");
            if (t->dims[i].sym) tc_sb_puts(out, t->dims[i].sym);
            else tc_sb_printf(out, "%lld", (long long)t->dims[i].value);
        }
        tc_sb_puts(out, "]>");
        return;
    }
}

/* -------------------------------------------------- kernels, blocks, ops */

TcIrFunc *tc_ir_func_new(TcIrModule *m, const char *name, TcSpan loc)
{
    TcIrFunc *f = tc_arena_alloc(m->arena, sizeof *f);
    f->name = tc_ir_intern(m, name);
    f->loc = loc;
    f->module = m;
    f->body = tc_ir_block_new(f);
    f->grid = tc_ir_block_new(f);
    TC_VEC_PUSH(m->arena, m->funcs, f);
    return f;
}

TcIrFunc *tc_ir_module_find(const TcIrModule *m, const char *name)
{
    for (uint32_t i = 0; i < m->funcs.len; i++)
        if (strcmp(m->funcs.data[i]->name, name) == 0) return m->funcs.data[i];
    return NULL;
}

TcIrValue *tc_ir_value_new(TcIrFunc *f, TcType *t, const char *name)
{
    TcIrValue *v = tc_arena_alloc(f->module->arena, sizeof *v);
    v->type = t;
    v->id = f->nvalues++;
    v->name = name ? tc_ir_intern(f->module, name) : NULL;
    return v;
}

TcIrBlock *tc_ir_block_new(TcIrFunc *f)
{
    TcIrBlock *b = tc_arena_alloc(f->module->arena, sizeof *b);
    b->func = f;
    return b;
}

TcIrValue *tc_ir_block_add_arg(TcIrBlock *b, TcType *t, const char *name)
{
    TcIrValue *v = tc_ir_value_new(b->func, t, name);
    v->block = b;
    v->index = b->nargs;
    if (b->nargs == b->cap_args) {
        uint32_t cap = b->cap_args;
        tc_vec_grow(b->func->module->arena, (void **)&b->args, &cap, sizeof *b->args);
        b->cap_args = cap;
    }
    b->args[b->nargs++] = v;
    return v;
}

TcIrValue *tc_ir_func_add_param(TcIrFunc *f, const char *name, TcType *t)
{
    TC_ASSERT(f->nsizes == 0); /* params come before sizes */
    f->nparams++;
    return tc_ir_block_add_arg(f->body, t, name);
}

TcIrValue *tc_ir_func_add_size(TcIrFunc *f, const char *name)
{
    f->nsizes++;
    return tc_ir_block_add_arg(f->body, tc_type_scalar(f->module, TC_I32), name);
}

TcIrValue *tc_ir_func_param(const TcIrFunc *f, uint32_t i) { return f->body->args[i]; }
TcIrValue *tc_ir_func_size(const TcIrFunc *f, uint32_t i) { return f->body->args[f->nparams + i]; }

TcIrOp *tc_ir_op_new(TcIrFunc *f, TcOpcode opc, TcSpan loc, uint32_t noperands,
                     TcIrValue *const *operands, uint32_t nresults,
                     TcType *const *result_types, uint32_t nregions)
{
    TcArena *a = f->module->arena;
    TcIrOp *op = tc_arena_alloc(a, sizeof *op);
    op->opc = opc;
    op->loc = loc;
    op->smem = -1;
    op->noperands = noperands;
    op->operands = tc_arena_alloc(a, (noperands ? noperands : 1) * sizeof(TcIrValue *));
    for (uint32_t i = 0; i < noperands; i++) op->operands[i] = operands ? operands[i] : NULL;
    op->nresults = nresults;
    op->results = tc_arena_alloc(a, (nresults ? nresults : 1) * sizeof(TcIrValue *));
    for (uint32_t i = 0; i < nresults; i++) {
        TcIrValue *v = tc_ir_value_new(f, result_types[i], NULL);
        v->def = op;
        v->index = i;
        op->results[i] = v;
    }
    op->nregions = nregions;
    op->regions = tc_arena_alloc(a, (nregions ? nregions : 1) * sizeof(TcIrBlock *));
    for (uint32_t i = 0; i < nregions; i++) {
        op->regions[i] = tc_ir_block_new(f);
        op->regions[i]->parent = op;
    }
    return op;
}

void tc_ir_block_append(TcIrBlock *b, TcIrOp *op)
{
    op->parent = b;
    op->next = NULL;
    op->prev = b->last;
    if (b->last) b->last->next = op;
    else b->first = op;
    b->last = op;
}

void tc_ir_insert_before(TcIrOp *pos, TcIrOp *op)
{
    TcIrBlock *b = pos->parent;
    op->parent = b;
    op->next = pos;
    op->prev = pos->prev;
    if (pos->prev) pos->prev->next = op;
    else b->first = op;
    pos->prev = op;
}

void tc_ir_op_unlink(TcIrOp *op)
{
    TcIrBlock *b = op->parent;
    if (!b) return;
    if (op->prev) op->prev->next = op->next;
    else b->first = op->next;
    if (op->next) op->next->prev = op->prev;
    else b->last = op->prev;
    op->prev = op->next = NULL;
    op->parent = NULL;
}

TcIrOp *tc_ir_block_terminator(const TcIrBlock *b)
{
    return b->last && (tc_op_info(b->last->opc)->flags & TC_OPF_TERMINATOR) ? b->last : NULL;
}

void tc_ir_walk_block(TcIrBlock *b, void (*fn)(TcIrOp *, void *), void *ctx)
{
    for (TcIrOp *op = b->first, *next; op; op = next) {
        next = op->next;
        fn(op, ctx);
        for (uint32_t r = 0; r < op->nregions; r++) tc_ir_walk_block(op->regions[r], fn, ctx);
    }
}

void tc_ir_walk_func(TcIrFunc *f, void (*fn)(TcIrOp *, void *), void *ctx)
{
    tc_ir_walk_block(f->grid, fn, ctx);
    tc_ir_walk_block(f->body, fn, ctx);
}

static int block_has_layouts(const TcIrBlock *b)
{
    for (const TcIrOp *op = b->first; op; op = op->next) {
        for (uint32_t i = 0; i < op->nresults; i++)
            if (op->results[i]->type->kind == TC_TY_TILE) return op->results[i]->type->layout != NULL;
        for (uint32_t r = 0; r < op->nregions; r++) {
            int k = block_has_layouts(op->regions[r]);
            if (k >= 0) return k;
        }
    }
    return -1;
}

int tc_ir_func_has_layouts(const TcIrFunc *f) { return block_has_layouts(f->body); }

/* ------------------------------------------------------------- builder */

void tc_ir_builder_at_end(TcIrBuilder *b, TcIrFunc *f, TcIrBlock *block)
{
    b->func = f;
    b->block = block;
    b->before = NULL;
}

static void insert(TcIrBuilder *b, TcIrOp *op)
{
    if (b->before) tc_ir_insert_before(b->before, op);
    else tc_ir_block_append(b->block, op);
}

static TcType *rule_type(TcIrBuilder *b, TcResultRule rule, TcIrValue *const *opnds, TcType *expl)
{
    switch (rule) {
    case TC_RR_SAME: return opnds[0]->type;
    case TC_RR_BOOL: return tc_type_with_dtype(b->func->module, opnds[0]->type, TC_BOOL);
    case TC_RR_I32: return tc_type_scalar(b->func->module, TC_I32);
    case TC_RR_OPERAND1: return opnds[1]->type;
    case TC_RR_OPERAND2: return opnds[2]->type;
    case TC_RR_EXPLICIT: TC_ASSERT(expl); return expl;
    case TC_RR_NONE:
    case TC_RR_REGION: break;
    }
    return NULL;
}

TcIrOp *tc_ir_build_op(TcIrBuilder *b, TcOpcode opc, uint32_t noperands,
                       TcIrValue *const *operands, TcType *explicit_result)
{
    const TcOpInfo *info = tc_op_info(opc);
    TC_ASSERT(info->rule != TC_RR_REGION);
    TcType *rt = rule_type(b, info->rule, operands, explicit_result);
    TcIrOp *op = tc_ir_op_new(b->func, opc, b->loc, noperands, operands, rt ? 1 : 0, &rt, 0);
    insert(b, op);
    return op;
}

TcIrValue *tc_ir_build_const_int(TcIrBuilder *b, TcDtype dt, int64_t v)
{
    TcIrOp *op = tc_ir_build_op(b, TC_OP_CONST, 0, NULL, tc_type_scalar(b->func->module, dt));
    if (tc_dtype_is_float(dt)) op->fval = (double)v;
    else op->ival = v;
    return op->results[0];
}

TcIrValue *tc_ir_build_const_float(TcIrBuilder *b, TcDtype dt, double v)
{
    TcIrOp *op = tc_ir_build_op(b, TC_OP_CONST, 0, NULL, tc_type_scalar(b->func->module, dt));
    if (tc_dtype_is_float(dt)) op->fval = v;
    else op->ival = (int64_t)v;
    return op->results[0];
}

TcIrValue *tc_ir_build_unary(TcIrBuilder *b, TcOpcode opc, TcIrValue *x)
{
    return tc_ir_build_op(b, opc, 1, &x, NULL)->results[0];
}

TcIrValue *tc_ir_build_binary(TcIrBuilder *b, TcOpcode opc, TcIrValue *x, TcIrValue *y)
{
    TcIrValue *o[2] = {x, y};
    return tc_ir_build_op(b, opc, 2, o, NULL)->results[0];
}

TcIrValue *tc_ir_build_cast(TcIrBuilder *b, TcIrValue *x, TcType *to)
{
    return tc_ir_build_op(b, TC_OP_CAST, 1, &x, to)->results[0];
}

TcIrValue *tc_ir_build_splat(TcIrBuilder *b, TcIrValue *x, TcType *to)
{
    return tc_ir_build_op(b, TC_OP_SPLAT, 1, &x, to)->results[0];
}

TcIrValue *tc_ir_build_broadcast(TcIrBuilder *b, TcIrValue *x, TcType *to)
{
    return tc_ir_build_op(b, TC_OP_BROADCAST, 1, &x, to)->results[0];
}

TcIrValue *tc_ir_build_reshape(TcIrBuilder *b, TcIrValue *x, TcType *to)
{
    return tc_ir_build_op(b, TC_OP_RESHAPE, 1, &x, to)->results[0];
}

TcIrValue *tc_ir_build_expand_dims(TcIrBuilder *b, TcIrValue *x, uint32_t axis)
{
    const TcType *t = x->type;
    int64_t shape[TC_MAX_RANK];
    uint32_t rank = t->kind == TC_TY_TILE ? t->rank : 0, n = 0;
    TC_ASSERT(rank < TC_MAX_RANK && axis <= rank);
    for (uint32_t i = 0; i <= rank; i++) {
        if (i == axis) shape[n++] = 1;
        if (i < rank) shape[n++] = t->shape[i];
    }
    TcIrOp *op = tc_ir_build_op(b, TC_OP_EXPAND_DIMS, 1, &x,
                                tc_type_tile(b->func->module, t->dtype, n, shape));
    op->ival = axis;
    return op->results[0];
}

TcIrValue *tc_ir_build_trans(TcIrBuilder *b, TcIrValue *x, uint32_t rank, const int64_t *perm)
{
    const TcType *t = x->type;
    int64_t shape[TC_MAX_RANK];
    TC_ASSERT(t->kind == TC_TY_TILE && t->rank == rank);
    for (uint32_t i = 0; i < rank; i++) shape[i] = t->shape[perm[i]];
    TcIrOp *op = tc_ir_build_op(b, TC_OP_TRANS, 1, &x,
                                tc_type_tile(b->func->module, t->dtype, rank, shape));
    op->ints = tc_arena_memdup(b->func->module->arena, perm, rank * sizeof(int64_t));
    op->nints = rank;
    return op->results[0];
}

TcIrValue *tc_ir_build_reduce(TcIrBuilder *b, TcOpcode opc, TcIrValue *x, uint32_t axis)
{
    const TcType *t = x->type;
    TC_ASSERT(t->kind == TC_TY_TILE && axis < t->rank);
    TcType *rt;
    if (t->rank == 1) {
        rt = tc_type_scalar(b->func->module, t->dtype);
    } else {
        int64_t shape[TC_MAX_RANK];
        uint32_t n = 0;
        for (uint32_t i = 0; i < t->rank; i++)
            if (i != axis) shape[n++] = t->shape[i];
        rt = tc_type_tile(b->func->module, t->dtype, n, shape);
    }
    TcIrOp *op = tc_ir_build_op(b, opc, 1, &x, rt);
    op->ival = axis;
    return op->results[0];
}

TcIrValue *tc_ir_build_select(TcIrBuilder *b, TcIrValue *c, TcIrValue *x, TcIrValue *y)
{
    TcIrValue *o[3] = {c, x, y};
    return tc_ir_build_op(b, TC_OP_SELECT, 3, o, NULL)->results[0];
}

TcIrValue *tc_ir_build_dot(TcIrBuilder *b, TcIrValue *a, TcIrValue *bb, TcIrValue *acc)
{
    TcIrValue *o[3] = {a, bb, acc};
    return tc_ir_build_op(b, TC_OP_DOT, 3, o, NULL)->results[0];
}

TcIrValue *tc_ir_build_arange(TcIrBuilder *b, int64_t n)
{
    return tc_ir_build_op(b, TC_OP_ARANGE, 0, NULL,
                          tc_type_tile(b->func->module, TC_I32, 1, &n))->results[0];
}

TcIrValue *tc_ir_build_program_id(TcIrBuilder *b, TcOpcode opc, uint32_t axis)
{
    TcIrOp *op = tc_ir_build_op(b, opc, 0, NULL, NULL);
    op->ival = axis;
    return op->results[0];
}

TcIrValue *tc_ir_build_view(TcIrBuilder *b, TcIrValue *t, uint32_t nidx, TcIrValue *const *idx)
{
    const TcType *tt = t->type;
    TC_ASSERT(tt->kind == TC_TY_TENSOR && nidx < tt->rank);
    TcIrValue *o[TC_MAX_RANK + 1];
    o[0] = t;
    for (uint32_t i = 0; i < nidx; i++) o[i + 1] = idx[i];
    TcType *rt = tc_type_tensor(b->func->module, tt->dtype, tt->rank - nidx, tt->dims + nidx, tt->flags);
    return tc_ir_build_op(b, TC_OP_VIEW, nidx + 1, o, rt)->results[0];
}

TcIrValue *tc_ir_build_load(TcIrBuilder *b, TcIrValue *t, TcIrValue *const *offsets,
                            TcIrValue *pad, TcType *tile)
{
    uint32_t rank = t->type->rank, n = 0;
    TcIrValue *o[TC_MAX_RANK + 2];
    o[n++] = t;
    for (uint32_t i = 0; i < rank; i++) o[n++] = offsets[i];
    if (pad) o[n++] = pad;
    return tc_ir_build_op(b, TC_OP_LOAD, n, o, tile)->results[0];
}

TcIrOp *tc_ir_build_store(TcIrBuilder *b, TcIrValue *t, TcIrValue *const *offsets, TcIrValue *tile)
{
    uint32_t rank = t->type->rank, n = 0;
    TcIrValue *o[TC_MAX_RANK + 2];
    o[n++] = t;
    for (uint32_t i = 0; i < rank; i++) o[n++] = offsets[i];
    o[n++] = tile;
    return tc_ir_build_op(b, TC_OP_STORE, n, o, NULL);
}

TcIrOp *tc_ir_build_for(TcIrBuilder *b, TcIrValue *lo, TcIrValue *hi, TcIrValue *step,
                        uint32_t ninit, TcIrValue *const *inits)
{
    TcArena *a = b->func->module->arena;
    TcIrValue **o = tc_arena_alloc(a, (3 + ninit) * sizeof *o);
    TcType **rt = tc_arena_alloc(a, (ninit + 1) * sizeof *rt);
    o[0] = lo;
    o[1] = hi;
    o[2] = step;
    for (uint32_t i = 0; i < ninit; i++) {
        o[3 + i] = inits[i];
        rt[i] = inits[i]->type;
    }
    TcIrOp *op = tc_ir_op_new(b->func, TC_OP_FOR, b->loc, 3 + ninit, o, ninit, rt, 1);
    tc_ir_block_add_arg(op->regions[0], lo->type, NULL);
    for (uint32_t i = 0; i < ninit; i++) tc_ir_block_add_arg(op->regions[0], rt[i], NULL);
    insert(b, op);
    return op;
}

TcIrOp *tc_ir_build_if(TcIrBuilder *b, TcIrValue *cond, uint32_t nresults, TcType *const *types)
{
    TcIrOp *op = tc_ir_op_new(b->func, TC_OP_IF, b->loc, 1, &cond, nresults, types, 2);
    insert(b, op);
    return op;
}

TcIrOp *tc_ir_build_yield(TcIrBuilder *b, uint32_t n, TcIrValue *const *vals)
{
    TcIrOp *op = tc_ir_op_new(b->func, TC_OP_YIELD, b->loc, n, vals, 0, NULL, 0);
    insert(b, op);
    return op;
}
