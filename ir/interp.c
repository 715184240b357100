/*
 * interp.c — the reference interpreter: runs one Tile IR kernel op by op on
 * the host over its whole grid, with the semantics of docs/ir.md. It is the
 * oracle the compiled kernels and the passes are checked against, so it is
 * written for clarity and exactness, not speed. What an op computes on one
 * element is defined once, in ir/fold.c (tc_eval_*, tc_scalar_cast); this
 * file runs those per element over tiles and handles memory and control flow.
 *
 * Invariants:
 *  - A value table indexed by TcIrValue.id holds every defined value: a
 *    scalar or a tile (elements row-major, in one of three compute classes:
 *    float for f16/bf16/f32, double for f64, int64 for integers and bool), or
 *    a tensor (a view of caller memory, possibly empty).
 *  - Integer and bool elements are always wrapped to their dtype's width
 *    (sign-extended for signed types, zero-extended for unsigned ones, 0/1 for
 *    bool); u64 is kept as its bit pattern.
 *  - f16/bf16 elements are carried in f32 and rounded (nearest even) only by
 *    cast, const and store.
 *  - Scalars and one-element tiles live inline in their table entry; larger
 *    tiles own one heap buffer, freed when the entry is overwritten and at the
 *    end of the run, so memory stays bounded by the live values however many
 *    loop iterations run. Every tile allocation is checked against
 *    max_tile_bytes first.
 *  - Malformed IR or arguments give an error message, never a crash; the only
 *    recursion follows region nesting.
 *  - Layouts (distributed and memory IR) are ignored: convert_layout,
 *    local_alloc and local_load copy their operand, barrier does nothing;
 *    async_copy fills its buffer's stage at once and local_view reads it
 *    (async_commit and async_wait do nothing), so a kernel gives the same
 *    results at every level.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- values */

typedef enum Cls { CL_F, CL_D, CL_I } Cls; /* float, double, int64 */

static Cls cls_of(TcDtype dt)
{
    if (dt == TC_F64) return CL_D;
    return tc_dtype_is_float(dt) ? CL_F : CL_I;
}

static size_t cls_bytes(Cls c) { return c == CL_F ? sizeof(float) : 8; }

typedef union Scal {
    float f;   /* CL_F */
    double d;  /* CL_D */
    int64_t i; /* CL_I */
} Scal;

/* A tensor: caller memory, sizes and strides in elements. */
typedef struct Tensor {
    char *base;       /* element [0, ..., 0]; unused when empty */
    bool empty;       /* a view with an index outside its tensor */
    TcDtype dt;
    uint32_t rank;
    int64_t sizes[TC_MAX_RANK];
    int64_t strides[TC_MAX_RANK];
} Tensor;

typedef enum VKind { VK_UNSET, VK_DATA, VK_TENSOR } VKind;

typedef struct Val {
    VKind kind;
    TcDtype dt;      /* VK_DATA: element dtype */
    int64_t n;       /* VK_DATA: number of elements (1 for scalars) */
    void *heap;      /* VK_DATA with n > 1: the elements; else NULL */
    Scal s;          /* VK_DATA with n <= 1: the element */
    Tensor t;        /* VK_TENSOR */
} Val;

static void *vdata(Val *v) { return v->heap ? v->heap : (void *)&v->s; }
#define VF(v) ((float *)vdata(v))
#define VD(v) ((double *)vdata(v))
#define VI(v) ((int64_t *)vdata(v))

static void val_reset(Val *v)
{
    free(v->heap);
    memset(v, 0, sizeof *v);
}

/* --------------------------------------------------------------- context */

typedef struct Ctx {
    const TcIrFunc *f;
    Val *vals;               /* f->nvalues entries */
    size_t max_tile_bytes;
    int64_t grid[3];         /* extents; 1 for missing axes */
    int64_t pid[3];          /* current program instance */
    const TcIrOp *op;        /* op being executed, for messages */
    char *err;
    size_t errlen;
} Ctx;

static bool fail(Ctx *c, const char *fmt, ...) TC_PRINTF(2, 3);
static bool fail(Ctx *c, const char *fmt, ...)
{
    if (!c->err || c->errlen == 0) return false;
    size_t at = 0;
    if (c->op) {
        int k;
        if (c->op->loc.file)
            k = snprintf(c->err, c->errlen, "%s at %u:%u: ", tc_op_info(c->op->opc)->name,
                         c->op->loc.line, c->op->loc.col);
        else
            k = snprintf(c->err, c->errlen, "%s: ", tc_op_info(c->op->opc)->name);
        at = k < 0 ? 0 : (size_t)k;
        if (at >= c->errlen) return false;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + at, c->errlen - at, fmt, ap);
    va_end(ap);
    return false;
}

static Val *V(Ctx *c, const TcIrValue *v) { return &c->vals[v->id]; }

/* Makes v a value of n elements of dtype dt (contents undefined). */
static bool val_alloc(Ctx *c, Val *v, TcDtype dt, int64_t n)
{
    val_reset(v);
    if (n < 0) return fail(c, "invalid tile of %lld elements", (long long)n);
    size_t eb = cls_bytes(cls_of(dt));
    if (n > 1) {
        if ((uint64_t)n > c->max_tile_bytes / eb)
            return fail(c, "a tile of %lld elements (%s) needs more than the limit of %zu bytes",
                        (long long)n, tc_dtype_name(dt), c->max_tile_bytes);
        v->heap = malloc((size_t)n * eb);
        if (!v->heap) return fail(c, "out of host memory for a tile of %lld elements", (long long)n);
    }
    v->kind = VK_DATA;
    v->dt = dt;
    v->n = n;
    return true;
}

/* Allocates op's result `i` with its type's dtype and element count. */
static Val *result(Ctx *c, const TcIrOp *op, uint32_t i)
{
    const TcType *t = op->results[i]->type;
    Val *r = V(c, op->results[i]);
    if (t->kind == TC_TY_TENSOR) {
        fail(c, "internal: tensor result where data was expected");
        return NULL;
    }
    return val_alloc(c, r, t->dtype, t->numel) ? r : NULL;
}

/* dst = a deep copy of src (dst is distinct from src). */
static bool val_copy(Ctx *c, Val *dst, Val *src)
{
    if (src->kind != VK_DATA) {
        val_reset(dst);
        *dst = *src;
        dst->heap = NULL;
        return true;
    }
    if (!val_alloc(c, dst, src->dt, src->n)) return false;
    memcpy(vdata(dst), vdata(src), (size_t)src->n * cls_bytes(cls_of(src->dt)));
    return true;
}

/* dst takes src's contents; src is left unset. */
static void val_move(Val *dst, Val *src)
{
    val_reset(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

/* ------------------------------------------------------- scalar semantics */

/* The element semantics are ir/fold.c's (tc_eval_*, tc_scalar_cast); this
 * section only moves elements between the storage classes and TcScalar. */

/* Element i of v as a double (exact for every class but large 64-bit ints). */
static double elem_d(Val *v, int64_t i)
{
    switch (cls_of(v->dt)) {
    case CL_F: return VF(v)[i];
    case CL_D: return VD(v)[i];
    default: return tc_dtype_is_unsigned(v->dt) ? (double)(uint64_t)VI(v)[i] : (double)VI(v)[i];
    }
}

/* Element i of v as a TcScalar of v's dtype (exact). */
static TcScalar elem_scalar(Val *v, int64_t i)
{
    TcScalar s = {0};
    switch (cls_of(v->dt)) {
    case CL_F: s.f = VF(v)[i]; break;
    case CL_D: s.f = VD(v)[i]; break;
    case CL_I: s.i = VI(v)[i]; break;
    }
    return s;
}

/* Sets element i of v from x, a value of v's dtype. */
static void set_elem(Val *v, int64_t i, TcScalar x)
{
    switch (cls_of(v->dt)) {
    case CL_F: VF(v)[i] = (float)x.f; break;
    case CL_D: VD(v)[i] = x.f; break;
    case CL_I: VI(v)[i] = x.i; break;
    }
}

/* An integer scalar operand as a signed 64-bit index; a u64 above INT64_MAX
 * becomes INT64_MAX (outside every tensor either way). */
static int64_t scalar_index(Val *v)
{
    int64_t x = VI(v)[0];
    if (tc_dtype_is_unsigned(v->dt) && x < 0) return INT64_MAX;
    return x;
}

/* ---------------------------------------------------------- memory access */

static void mem_read(Val *r, int64_t i, TcDtype dt, const char *p)
{
    switch (dt) {
    case TC_F16: { uint16_t h; memcpy(&h, p, 2); VF(r)[i] = tc_f16_to_f32(h); return; }
    case TC_BF16: { uint16_t h; memcpy(&h, p, 2); VF(r)[i] = tc_bf16_to_f32(h); return; }
    case TC_F32: memcpy(&VF(r)[i], p, 4); return;
    case TC_F64: memcpy(&VD(r)[i], p, 8); return;
    case TC_BOOL: VI(r)[i] = *(const unsigned char *)p != 0; return;
    case TC_I8: { int8_t x; memcpy(&x, p, 1); VI(r)[i] = x; return; }
    case TC_I16: { int16_t x; memcpy(&x, p, 2); VI(r)[i] = x; return; }
    case TC_I32: { int32_t x; memcpy(&x, p, 4); VI(r)[i] = x; return; }
    case TC_U8: { uint8_t x; memcpy(&x, p, 1); VI(r)[i] = x; return; }
    case TC_U16: { uint16_t x; memcpy(&x, p, 2); VI(r)[i] = x; return; }
    case TC_U32: { uint32_t x; memcpy(&x, p, 4); VI(r)[i] = x; return; }
    default: { int64_t x; memcpy(&x, p, 8); VI(r)[i] = x; return; }
    }
}

/* Writes v[i] to p as dt (same compute class), rounding or wrapping. */
static void mem_write(char *p, TcDtype dt, Val *v, int64_t i)
{
    switch (dt) {
    case TC_F16: { uint16_t h = tc_f32_to_f16(VF(v)[i]); memcpy(p, &h, 2); return; }
    case TC_BF16: { uint16_t h = tc_f32_to_bf16(VF(v)[i]); memcpy(p, &h, 2); return; }
    case TC_F32: memcpy(p, &VF(v)[i], 4); return;
    case TC_F64: memcpy(p, &VD(v)[i], 8); return;
    case TC_BOOL: *(unsigned char *)p = VI(v)[i] != 0; return;
    case TC_I8: case TC_U8: { uint8_t x = (uint8_t)VI(v)[i]; memcpy(p, &x, 1); return; }
    case TC_I16: case TC_U16: { uint16_t x = (uint16_t)VI(v)[i]; memcpy(p, &x, 2); return; }
    case TC_I32: case TC_U32: { uint32_t x = (uint32_t)VI(v)[i]; memcpy(p, &x, 4); return; }
    default: memcpy(p, &VI(v)[i], 8); return;
    }
}

/* Advances a row-major multi-index; returns false after the last one. */
static bool next_index(int64_t *idx, const int64_t *shape, uint32_t rank)
{
    for (uint32_t d = rank; d-- > 0;) {
        if (++idx[d] < shape[d]) return true;
        idx[d] = 0;
    }
    return false;
}

/* The address of t[o + idx], or NULL when any coordinate is outside. */
static char *tensor_addr(const Tensor *t, const int64_t *o, const int64_t *idx)
{
    if (t->empty) return NULL;
    int64_t off = 0;
    for (uint32_t d = 0; d < t->rank; d++) {
        if (o[d] > INT64_MAX - idx[d]) return NULL;
        int64_t p = o[d] + idx[d];
        if (p < 0 || p >= t->sizes[d]) return NULL;
        off += p * t->strides[d];
    }
    return t->base + off * (int64_t)tc_dtype_bytes(t->dt);
}

/* ------------------------------------------------------------------ ops */

static bool exec_block(Ctx *c, const TcIrBlock *b, const TcIrOp **yield);

static uint32_t type_rank(const TcType *t) { return t->kind == TC_TY_SCALAR ? 0 : t->rank; }

static bool exec_const(Ctx *c, const TcIrOp *op)
{
    Val *r = result(c, op, 0);
    if (!r) return false;
    TcScalar k = {0};
    if (tc_dtype_is_float(r->dt)) k.f = op->fval;
    else k.i = op->ival;
    set_elem(r, 0, tc_scalar_normalize(r->dt, k));
    return true;
}

static bool exec_binary(Ctx *c, const TcIrOp *op)
{
    Val *a = V(c, op->operands[0]), *b = V(c, op->operands[1]);
    if (a->dt != b->dt || a->n != b->n)
        return fail(c, "operands differ in type (%s, %s) or element count", tc_dtype_name(a->dt),
                    tc_dtype_name(b->dt));
    TcOpcode o = op->opc;
    TcDtype dt = a->dt;
    Cls cl = cls_of(dt);
    if (!tc_eval_defined(o, dt)) return fail(c, "not defined on %s", tc_dtype_name(dt));
    Val *r = result(c, op, 0);
    if (!r) return false;
    if (r->n != a->n) return fail(c, "internal: result has %lld elements, operands %lld",
                                  (long long)r->n, (long long)a->n);
    bool cmp = tc_op_info(o)->rule == TC_RR_BOOL;
    for (int64_t i = 0; i < a->n; i++) {
        switch (cl) {
        case CL_F:
            if (cmp) VI(r)[i] = tc_eval_float_compare(o, VF(a)[i], VF(b)[i]);
            else VF(r)[i] = tc_eval_f32_binary(o, VF(a)[i], VF(b)[i]);
            break;
        case CL_D:
            if (cmp) VI(r)[i] = tc_eval_float_compare(o, VD(a)[i], VD(b)[i]);
            else VD(r)[i] = tc_eval_f64_binary(o, VD(a)[i], VD(b)[i]);
            break;
        case CL_I:
            VI(r)[i] = tc_eval_int_binary(o, dt, VI(a)[i], VI(b)[i]);
            break;
        }
    }
    return true;
}

static bool exec_unary(Ctx *c, const TcIrOp *op)
{
    Val *a = V(c, op->operands[0]);
    TcOpcode o = op->opc;
    Cls cl = cls_of(a->dt);
    if (!tc_eval_defined(o, a->dt)) return fail(c, "not defined on %s", tc_dtype_name(a->dt));
    Val *r = result(c, op, 0);
    if (!r) return false;
    if (r->n != a->n || r->dt != a->dt) return fail(c, "internal: result type differs from operand");
    for (int64_t i = 0; i < a->n; i++) {
        switch (cl) {
        case CL_F: VF(r)[i] = tc_eval_f32_unary(o, VF(a)[i]); break;
        case CL_D: VD(r)[i] = tc_eval_f64_unary(o, VD(a)[i]); break;
        case CL_I: VI(r)[i] = tc_eval_int_unary(o, a->dt, VI(a)[i]); break;
        }
    }
    return true;
}

static bool exec_cast(Ctx *c, const TcIrOp *op)
{
    Val *a = V(c, op->operands[0]);
    Val *r = result(c, op, 0);
    if (!r) return false;
    if (r->n != a->n) return fail(c, "internal: cast changes the element count");
    for (int64_t i = 0; i < a->n; i++) set_elem(r, i, tc_scalar_cast(a->dt, r->dt, elem_scalar(a, i)));
    return true;
}

static bool exec_splat(Ctx *c, const TcIrOp *op)
{
    Val *a = V(c, op->operands[0]);
    Val *r = result(c, op, 0);
    if (!r) return false;
    if (a->n != 1 || a->dt != r->dt) return fail(c, "operand must be a scalar of the result's dtype");
    size_t eb = cls_bytes(cls_of(a->dt));
    for (int64_t i = 0; i < r->n; i++) memcpy((char *)vdata(r) + (size_t)i * eb, vdata(a), eb);
    return true;
}

static bool exec_select(Ctx *c, const TcIrOp *op)
{
    Val *cd = V(c, op->operands[0]), *a = V(c, op->operands[1]), *b = V(c, op->operands[2]);
    if (a->dt != b->dt || a->n != b->n || (cd->n != a->n && cd->n != 1) || cls_of(cd->dt) != CL_I)
        return fail(c, "operands do not agree in shape or type");
    Val *r = result(c, op, 0);
    if (!r) return false;
    if (r->n != a->n) return fail(c, "internal: result shape differs from operands");
    size_t eb = cls_bytes(cls_of(a->dt));
    for (int64_t i = 0; i < a->n; i++) {
        Val *pick = VI(cd)[cd->n == 1 ? 0 : i] ? a : b;
        memcpy((char *)vdata(r) + (size_t)i * eb, (char *)vdata(pick) + (size_t)i * eb, eb);
    }
    return true;
}

/* Ops that keep the elements in row-major order: expand_dims, reshape, and
 * the layout ops (convert_layout, local_alloc, local_load). */
static bool exec_same_elems(Ctx *c, const TcIrOp *op)
{
    Val *a = V(c, op->operands[0]);
    Val *r = result(c, op, 0);
    if (!r) return false;
    if (r->n != a->n || r->dt != a->dt)
        return fail(c, "result has %lld elements, operand %lld", (long long)r->n, (long long)a->n);
    memcpy(vdata(r), vdata(a), (size_t)a->n * cls_bytes(cls_of(a->dt)));
    return true;
}

static bool exec_broadcast(Ctx *c, const TcIrOp *op)
{
    const TcType *st = op->operands[0]->type, *rt = op->results[0]->type;
    Val *a = V(c, op->operands[0]);
    uint32_t rank = type_rank(rt), srank = type_rank(st);
    if (srank != 0 && srank != rank) return fail(c, "operand rank %u differs from result rank %u", srank, rank);
    int64_t sstride[TC_MAX_RANK], s = 1;
    for (uint32_t d = rank; d-- > 0;) {
        int64_t ext = srank ? st->shape[d] : 1;
        if (ext != 1 && ext != rt->shape[d])
            return fail(c, "cannot broadcast extent %lld to %lld on axis %u", (long long)ext,
                        (long long)rt->shape[d], d);
        sstride[d] = ext == 1 ? 0 : s;
        s *= ext;
    }
    Val *r = result(c, op, 0);
    if (!r) return false;
    if (r->dt != a->dt) return fail(c, "internal: broadcast changes the dtype");
    size_t eb = cls_bytes(cls_of(a->dt));
    int64_t idx[TC_MAX_RANK] = {0}, i = 0;
    do {
        int64_t si = 0;
        for (uint32_t d = 0; d < rank; d++) si += idx[d] * sstride[d];
        memcpy((char *)vdata(r) + (size_t)i * eb, (char *)vdata(a) + (size_t)si * eb, eb);
        i++;
    } while (next_index(idx, rt->shape, rank));
    return true;
}

static bool exec_trans(Ctx *c, const TcIrOp *op)
{
    const TcType *st = op->operands[0]->type, *rt = op->results[0]->type;
    uint32_t rank = type_rank(st);
    if (rank == 0 || op->nints != rank || type_rank(rt) != rank)
        return fail(c, "permutation does not match the operand's rank");
    bool seen[TC_MAX_RANK] = {false};
    for (uint32_t d = 0; d < rank; d++) {
        int64_t p = op->ints[d];
        if (p < 0 || p >= rank || seen[p]) return fail(c, "invalid permutation");
        seen[p] = true;
        if (rt->shape[d] != st->shape[p]) return fail(c, "result extents do not follow the permutation");
    }
    int64_t sstride[TC_MAX_RANK], s = 1;
    for (uint32_t d = rank; d-- > 0;) {
        sstride[d] = s;
        s *= st->shape[d];
    }
    Val *a = V(c, op->operands[0]);
    Val *r = result(c, op, 0);
    if (!r) return false;
    size_t eb = cls_bytes(cls_of(a->dt));
    int64_t idx[TC_MAX_RANK] = {0}, i = 0;
    do {
        int64_t si = 0; /* source index j with j[perm[d]] = idx[d] */
        for (uint32_t d = 0; d < rank; d++) si += idx[d] * sstride[op->ints[d]];
        memcpy((char *)vdata(r) + (size_t)i * eb, (char *)vdata(a) + (size_t)si * eb, eb);
        i++;
    } while (next_index(idx, rt->shape, rank));
    return true;
}

static bool exec_reduce(Ctx *c, const TcIrOp *op)
{
    const TcType *st = op->operands[0]->type;
    uint32_t rank = type_rank(st);
    if (op->ival < 0 || op->ival >= (int64_t)rank) return fail(c, "axis %lld out of range", (long long)op->ival);
    uint32_t axis = (uint32_t)op->ival;
    int64_t outer = 1, len = st->shape[axis], inner = 1;
    for (uint32_t d = 0; d < axis; d++) outer *= st->shape[d];
    for (uint32_t d = axis + 1; d < rank; d++) inner *= st->shape[d];
    Val *a = V(c, op->operands[0]);
    Val *r = result(c, op, 0);
    if (!r) return false;
    if (r->n != outer * inner || r->dt != a->dt) return fail(c, "internal: result type does not match");
    TcDtype dt = a->dt;
    bool sum = op->opc == TC_OP_REDUCE_SUM;
    TcOpcode step = sum ? TC_OP_ADD : op->opc == TC_OP_REDUCE_MAX ? TC_OP_MAX : TC_OP_MIN;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t in = 0; in < inner; in++) {
            int64_t base = o * len * inner + in, ri = o * inner + in;
            switch (cls_of(dt)) {
            case CL_F: {
                float acc = sum ? 0.0f : VF(a)[base];
                for (int64_t k = sum ? 0 : 1; k < len; k++) {
                    float x = VF(a)[base + k * inner];
                    acc = tc_eval_f32_binary(step, acc, x);
                }
                VF(r)[ri] = acc;
                break;
            }
            case CL_D: {
                double acc = sum ? 0.0 : VD(a)[base];
                for (int64_t k = sum ? 0 : 1; k < len; k++) {
                    double x = VD(a)[base + k * inner];
                    acc = tc_eval_f64_binary(step, acc, x);
                }
                VD(r)[ri] = acc;
                break;
            }
            case CL_I: {
                int64_t acc = sum ? 0 : VI(a)[base];
                for (int64_t k = sum ? 0 : 1; k < len; k++) {
                    int64_t x = VI(a)[base + k * inner];
                    acc = tc_eval_int_binary(step, dt, acc, x);
                }
                VI(r)[ri] = acc;
                break;
            }
            }
        }
    }
    return true;
}

/* Copies v's elements into a fresh array of class cl (float or double). */
static void *to_class(Val *v, Cls cl)
{
    void *p = malloc((size_t)(v->n ? v->n : 1) * cls_bytes(cl));
    if (!p) return NULL;
    for (int64_t i = 0; i < v->n; i++) {
        if (cl == CL_F) ((float *)p)[i] = cls_of(v->dt) == CL_F ? VF(v)[i] : (float)elem_d(v, i);
        else if (cl == CL_D) ((double *)p)[i] = elem_d(v, i);
        else ((int64_t *)p)[i] = VI(v)[i];
    }
    return p;
}

/* r = acc, then r[m][n] += a[m][k] * b[k][n] for k ascending, each product
 * and each sum rounded in acc's compute class (never fused). */
static bool exec_dot(Ctx *c, const TcIrOp *op)
{
    const TcType *at = op->operands[0]->type, *bt = op->operands[1]->type, *ct = op->operands[2]->type;
    if (type_rank(at) != 2 || type_rank(bt) != 2 || type_rank(ct) != 2 || at->shape[1] != bt->shape[0] ||
        ct->shape[0] != at->shape[0] || ct->shape[1] != bt->shape[1])
        return fail(c, "operand shapes do not agree ([M, K] @ [K, N] + [M, N])");
    int64_t M = at->shape[0], K = at->shape[1], N = bt->shape[1];
    Val *a = V(c, op->operands[0]), *b = V(c, op->operands[1]), *acc = V(c, op->operands[2]);
    Cls cl = cls_of(acc->dt);
    if ((cl == CL_I) != (cls_of(a->dt) == CL_I) || (cl == CL_I) != (cls_of(b->dt) == CL_I))
        return fail(c, "operands %s, %s do not fit an accumulator of %s", tc_dtype_name(a->dt),
                    tc_dtype_name(b->dt), tc_dtype_name(acc->dt));
    Val *r = result(c, op, 0);
    if (!r) return false;
    if (r->dt != acc->dt || r->n != M * N) return fail(c, "internal: result type differs from acc");
    void *pa = to_class(a, cl), *pb = to_class(b, cl);
    if (!pa || !pb) {
        free(pa);
        free(pb);
        return fail(c, "out of host memory");
    }
    for (int64_t m = 0; m < M; m++) {
        for (int64_t n = 0; n < N; n++) {
            int64_t ri = m * N + n;
            if (cl == CL_F) {
                const float *A = pa, *B = pb;
                float s = VF(acc)[ri];
                for (int64_t k = 0; k < K; k++) {
                    float p = A[m * K + k] * B[k * N + n];
                    s = s + p;
                }
                VF(r)[ri] = s;
            } else if (cl == CL_D) {
                const double *A = pa, *B = pb;
                double s = VD(acc)[ri];
                for (int64_t k = 0; k < K; k++) {
                    double p = A[m * K + k] * B[k * N + n];
                    s = s + p;
                }
                VD(r)[ri] = s;
            } else {
                const int64_t *A = pa, *B = pb;
                int64_t s = VI(acc)[ri];
                for (int64_t k = 0; k < K; k++)
                    s = tc_eval_int_binary(TC_OP_ADD, acc->dt, s,
                                           tc_eval_int_binary(TC_OP_MUL, acc->dt, A[m * K + k], B[k * N + n]));
                VI(r)[ri] = s;
            }
        }
    }
    free(pa);
    free(pb);
    return true;
}

static bool exec_view(Ctx *c, const TcIrOp *op)
{
    Val *t = V(c, op->operands[0]);
    uint32_t k = op->noperands - 1;
    if (t->kind != VK_TENSOR || k > t->t.rank || type_rank(op->results[0]->type) != t->t.rank - k)
        return fail(c, "operand is not a tensor of rank above %u", k);
    Tensor nt = t->t;
    for (uint32_t d = 0; d < k; d++) {
        Val *iv = V(c, op->operands[1 + d]);
        if (cls_of(iv->dt) != CL_I || iv->n != 1) return fail(c, "index %u is not an integer scalar", d);
        int64_t x = scalar_index(iv);
        if (x < 0 || x >= t->t.sizes[d]) nt.empty = true;
        else if (!nt.empty) nt.base += x * t->t.strides[d] * (int64_t)tc_dtype_bytes(t->t.dt);
    }
    nt.rank = t->t.rank - k;
    for (uint32_t d = 0; d < nt.rank; d++) {
        nt.sizes[d] = t->t.sizes[d + k];
        nt.strides[d] = t->t.strides[d + k];
    }
    Val *r = V(c, op->results[0]);
    val_reset(r);
    r->kind = VK_TENSOR;
    r->t = nt;
    return true;
}

/* Reads the offsets operands[1..rank] of a load or store. */
static bool get_offsets(Ctx *c, const TcIrOp *op, uint32_t rank, int64_t *o)
{
    for (uint32_t d = 0; d < rank; d++) {
        Val *v = V(c, op->operands[1 + d]);
        if (cls_of(v->dt) != CL_I || v->n != 1) return fail(c, "offset %u is not an integer scalar", d);
        o[d] = scalar_index(v);
    }
    return true;
}

static bool exec_load(Ctx *c, const TcIrOp *op)
{
    Val *tv = V(c, op->operands[0]);
    if (tv->kind != VK_TENSOR) return fail(c, "operand 0 is not a tensor");
    const Tensor *t = &tv->t;
    const TcType *rt = op->results[0]->type;
    uint32_t rank = t->rank;
    if (type_rank(rt) != rank || (op->noperands != rank + 1 && op->noperands != rank + 2))
        return fail(c, "needs %u offsets and a tile of rank %u", rank, rank);
    if (cls_of(rt->dtype) != cls_of(t->dt))
        return fail(c, "tile dtype %s does not match tensor dtype %s", tc_dtype_name(rt->dtype),
                    tc_dtype_name(t->dt));
    int64_t o[TC_MAX_RANK];
    if (!get_offsets(c, op, rank, o)) return false;
    Val *pad = op->noperands == rank + 2 ? V(c, op->operands[rank + 1]) : NULL;
    if (pad && (pad->n != 1 || pad->dt != rt->dtype)) return fail(c, "pad must be a scalar of the tile's dtype");
    Val *r = result(c, op, 0);
    if (!r) return false;
    Scal pv = {0};
    if (pad) pv = pad->s;
    size_t eb = cls_bytes(cls_of(r->dt));
    int64_t idx[TC_MAX_RANK] = {0}, i = 0;
    do {
        const char *p = tensor_addr(t, o, idx);
        if (p) mem_read(r, i, t->dt, p);
        else memcpy((char *)vdata(r) + (size_t)i * eb, &pv, eb);
        i++;
    } while (next_index(idx, rt->shape, rank));
    return true;
}

static bool exec_store(Ctx *c, const TcIrOp *op)
{
    Val *tv = V(c, op->operands[0]);
    if (tv->kind != VK_TENSOR) return fail(c, "operand 0 is not a tensor");
    const Tensor *t = &tv->t;
    uint32_t rank = t->rank;
    if (op->noperands != rank + 2) return fail(c, "needs %u offsets and a tile", rank);
    const TcType *vt = op->operands[rank + 1]->type;
    Val *v = V(c, op->operands[rank + 1]);
    if (type_rank(vt) != rank || v->kind != VK_DATA)
        return fail(c, "the stored value must have the tensor's rank %u", rank);
    if (cls_of(v->dt) != cls_of(t->dt))
        return fail(c, "value dtype %s does not match tensor dtype %s", tc_dtype_name(v->dt),
                    tc_dtype_name(t->dt));
    int64_t o[TC_MAX_RANK];
    if (!get_offsets(c, op, rank, o)) return false;
    if (t->empty) return true;
    int64_t idx[TC_MAX_RANK] = {0}, i = 0;
    do {
        char *p = tensor_addr(t, o, idx);
        if (p) mem_write(p, t->dt, v, i);
        i++;
    } while (next_index(idx, vt->shape, rank));
    return true;
}

/* local_buffer: an n-stage tile (zeros); async_copy fills stage `stage` at
 * once (the asynchrony is invisible here: every level interprets alike);
 * local_view reads a stage. */
static bool exec_local_buffer(Ctx *c, const TcIrOp *op)
{
    Val *r = result(c, op, 0);
    if (!r) return false;
    memset(vdata(r), 0, (size_t)r->n * cls_bytes(cls_of(r->dt)));
    return true;
}

/* The stage operand of local_view / async_copy as an index below n. */
static bool stage_index(Ctx *c, const TcIrValue *sv, int64_t n, int64_t *out)
{
    Val *s = V(c, sv);
    if (cls_of(s->dt) != CL_I || s->n != 1) return fail(c, "stage is not an integer scalar");
    *out = VI(s)[0];
    if (*out < 0 || *out >= n) return fail(c, "stage %lld is outside the buffer's %lld stages", (long long)*out, (long long)n);
    return true;
}

static bool exec_local_view(Ctx *c, const TcIrOp *op)
{
    Val *b = V(c, op->operands[0]);
    const TcType *bt = op->operands[0]->type;
    if (b->kind != VK_DATA || bt->kind != TC_TY_TILE || bt->rank < 2) return fail(c, "operand 0 is not a buffer");
    int64_t stage;
    if (!stage_index(c, op->operands[1], bt->shape[0], &stage)) return false;
    Val *r = result(c, op, 0);
    if (!r) return false;
    if (r->n * bt->shape[0] != b->n || r->dt != b->dt) return fail(c, "result is not one stage of the buffer");
    size_t eb = cls_bytes(cls_of(r->dt));
    memcpy(vdata(r), (char *)vdata(b) + (size_t)(stage * r->n) * eb, (size_t)r->n * eb);
    return true;
}

static bool exec_async_copy(Ctx *c, const TcIrOp *op)
{
    Val *tv = V(c, op->operands[0]);
    if (tv->kind != VK_TENSOR) return fail(c, "operand 0 is not a tensor");
    const Tensor *t = &tv->t;
    uint32_t rank = t->rank;
    if (op->noperands != rank + 3) return fail(c, "needs %u offsets, a buffer and a stage", rank);
    const TcType *bt = op->operands[rank + 1]->type;
    Val *b = V(c, op->operands[rank + 1]);
    if (b->kind != VK_DATA || bt->kind != TC_TY_TILE || bt->rank != rank + 1 || cls_of(b->dt) != cls_of(t->dt))
        return fail(c, "operand %u is not a buffer of rank-%u stages of the tensor's dtype", rank + 1, rank);
    int64_t o[TC_MAX_RANK], stage;
    if (!get_offsets(c, op, rank, o) || !stage_index(c, op->operands[rank + 2], bt->shape[0], &stage)) return false;
    int64_t per = b->n / bt->shape[0];
    size_t eb = cls_bytes(cls_of(b->dt));
    int64_t idx[TC_MAX_RANK] = {0}, i = stage * per;
    do {
        const char *p = tensor_addr(t, o, idx);
        if (p) mem_read(b, i, t->dt, p);
        else memset((char *)vdata(b) + (size_t)i * eb, 0, eb);
        i++;
    } while (next_index(idx, bt->shape + 1, rank));
    return true;
}

/* Sets v to the scalar x of integer dtype dt. */
static void set_int_scalar(Val *v, TcDtype dt, int64_t x)
{
    val_reset(v);
    v->kind = VK_DATA;
    v->dt = dt;
    v->n = 1;
    v->s.i = tc_int_wrap(dt, x);
}

/* iv + step in iv's dtype; false when that overflows the dtype. */
static bool iv_next(TcDtype dt, int64_t iv, int64_t step, int64_t *out)
{
    unsigned w = tc_dtype_bits(dt);
    if (tc_dtype_is_signed(dt)) {
        if (w == 64) {
            if ((step > 0 && iv > INT64_MAX - step) || (step < 0 && iv < INT64_MIN - step)) return false;
            *out = iv + step;
            return true;
        }
        int64_t n = iv + step; /* both within 32 bits: no int64 overflow */
        if (tc_int_wrap(dt, n) != n) return false;
        *out = n;
        return true;
    }
    uint64_t n = (uint64_t)iv + (uint64_t)step;
    if (n < (uint64_t)iv) return false;
    if (tc_int_wrap(dt, (int64_t)n) != (int64_t)n) return false;
    *out = (int64_t)n;
    return true;
}

static bool exec_for(Ctx *c, const TcIrOp *op)
{
    if (op->noperands < 3 || op->nregions != 1) return fail(c, "malformed loop");
    uint32_t ninit = op->noperands - 3;
    const TcIrBlock *body = op->regions[0];
    if (body->nargs != ninit + 1 || op->nresults != ninit)
        return fail(c, "loop has %u inits, %u results and %u region arguments", ninit, op->nresults, body->nargs);
    Val *lo = V(c, op->operands[0]), *hi = V(c, op->operands[1]), *st = V(c, op->operands[2]);
    TcDtype dt = lo->dt;
    if (cls_of(dt) != CL_I || dt == TC_BOOL || hi->dt != dt || st->dt != dt || lo->n != 1)
        return fail(c, "bounds and step must be integer scalars of one type");
    int64_t iv = VI(lo)[0], h = VI(hi)[0], step = VI(st)[0];
    bool sg = tc_dtype_is_signed(dt);
    for (uint32_t i = 0; i < ninit; i++)
        if (!val_copy(c, V(c, body->args[1 + i]), V(c, op->operands[3 + i]))) return false;
    bool run = sg ? step > 0 : step != 0;
    Val *tmp = ninit ? calloc(ninit, sizeof *tmp) : NULL;
    if (ninit && !tmp) return fail(c, "out of host memory");
    bool ok = true;
    while (run && tc_eval_int_binary(TC_OP_LT, dt, iv, h)) {
        set_int_scalar(V(c, body->args[0]), dt, iv);
        const TcIrOp *y = NULL;
        if (!exec_block(c, body, &y)) { ok = false; break; }
        c->op = op;
        if (!y || y->noperands != ninit) {
            ok = fail(c, "loop body must yield %u values", ninit);
            break;
        }
        for (uint32_t i = 0; i < ninit && ok; i++) ok = val_copy(c, &tmp[i], V(c, y->operands[i]));
        if (!ok) break;
        for (uint32_t i = 0; i < ninit; i++) val_move(V(c, body->args[1 + i]), &tmp[i]);
        run = iv_next(dt, iv, step, &iv);
    }
    for (uint32_t i = 0; i < ninit; i++) val_reset(&tmp[i]);
    free(tmp);
    if (!ok) return false;
    for (uint32_t i = 0; i < ninit; i++) val_move(V(c, op->results[i]), V(c, body->args[1 + i]));
    return true;
}

static bool exec_if(Ctx *c, const TcIrOp *op)
{
    Val *cd = V(c, op->operands[0]);
    if (op->nregions != 2 || cls_of(cd->dt) != CL_I || cd->n != 1)
        return fail(c, "condition must be a scalar bool and the op must have two regions");
    const TcIrOp *y = NULL;
    if (!exec_block(c, op->regions[VI(cd)[0] ? 0 : 1], &y)) return false;
    c->op = op;
    uint32_t ny = y ? y->noperands : 0;
    if (ny != op->nresults) return fail(c, "arm yields %u values for %u results", ny, op->nresults);
    for (uint32_t i = 0; i < ny; i++)
        if (!val_copy(c, V(c, op->results[i]), V(c, y->operands[i]))) return false;
    return true;
}

static bool exec_op(Ctx *c, const TcIrOp *op)
{
    c->op = op;
    for (uint32_t i = 0; i < op->noperands; i++) {
        if (!op->operands[i] || op->operands[i]->id >= c->f->nvalues || V(c, op->operands[i])->kind == VK_UNSET)
            return fail(c, "internal: operand %u is used before it is defined", i);
    }
    for (uint32_t i = 0; i < op->nresults; i++)
        if (op->results[i]->id >= c->f->nvalues) return fail(c, "internal: value id out of range");
    switch (op->opc) {
    case TC_OP_CONST: return exec_const(c, op);
    case TC_OP_SPLAT: return exec_splat(c, op);
    case TC_OP_ARANGE: {
        Val *r = result(c, op, 0);
        if (!r) return false;
        for (int64_t i = 0; i < r->n; i++) VI(r)[i] = tc_int_wrap(r->dt, i);
        return true;
    }
    case TC_OP_PROGRAM_ID:
    case TC_OP_NUM_PROGRAMS: {
        if (op->ival < 0 || op->ival > 2) return fail(c, "axis %lld is not 0, 1 or 2", (long long)op->ival);
        Val *r = result(c, op, 0);
        if (!r) return false;
        VI(r)[0] = tc_int_wrap(r->dt, op->opc == TC_OP_PROGRAM_ID ? c->pid[op->ival] : c->grid[op->ival]);
        return true;
    }
    case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL: case TC_OP_DIV: case TC_OP_REM:
    case TC_OP_MAX: case TC_OP_MIN: case TC_OP_AND: case TC_OP_OR: case TC_OP_XOR:
    case TC_OP_SHL: case TC_OP_SHR:
    case TC_OP_EQ: case TC_OP_NE: case TC_OP_LT: case TC_OP_LE: case TC_OP_GT: case TC_OP_GE:
        return exec_binary(c, op);
    case TC_OP_NEG: case TC_OP_NOT: case TC_OP_ABS: case TC_OP_EXP: case TC_OP_EXP2:
    case TC_OP_LOG: case TC_OP_LOG2: case TC_OP_SQRT: case TC_OP_RSQRT: case TC_OP_TANH:
    case TC_OP_SIGMOID: case TC_OP_ERF:
        return exec_unary(c, op);
    case TC_OP_CAST: return exec_cast(c, op);
    case TC_OP_SELECT: return exec_select(c, op);
    case TC_OP_BROADCAST: return exec_broadcast(c, op);
    case TC_OP_EXPAND_DIMS:
    case TC_OP_RESHAPE:
    /* layouts say where elements live on a GPU, not what they are */
    case TC_OP_CONVERT_LAYOUT:
    case TC_OP_LOCAL_ALLOC:
    case TC_OP_LOCAL_LOAD: return exec_same_elems(c, op);
    case TC_OP_BARRIER: return true;
    case TC_OP_LOCAL_BUFFER: return exec_local_buffer(c, op);
    case TC_OP_LOCAL_VIEW: return exec_local_view(c, op);
    case TC_OP_ASYNC_COPY: return exec_async_copy(c, op);
    case TC_OP_ASYNC_COMMIT: case TC_OP_ASYNC_WAIT: return true;
    case TC_OP_TRANS: return exec_trans(c, op);
    case TC_OP_REDUCE_SUM: case TC_OP_REDUCE_MAX: case TC_OP_REDUCE_MIN: return exec_reduce(c, op);
    case TC_OP_DOT: return exec_dot(c, op);
    case TC_OP_VIEW: return exec_view(c, op);
    case TC_OP_LOAD: return exec_load(c, op);
    case TC_OP_STORE: return exec_store(c, op);
    case TC_OP_FOR: return exec_for(c, op);
    case TC_OP_IF: return exec_if(c, op);
    default: return fail(c, "not supported by the interpreter");
    }
}

/* Runs b's ops in order up to its terminator; *yield gets the yield op, or
 * NULL when the block has none. */
static bool exec_block(Ctx *c, const TcIrBlock *b, const TcIrOp **yield)
{
    *yield = NULL;
    for (const TcIrOp *op = b->first; op; op = op->next) {
        if (op->opc == TC_OP_YIELD) {
            c->op = op;
            for (uint32_t i = 0; i < op->noperands; i++)
                if (!op->operands[i] || op->operands[i]->id >= c->f->nvalues ||
                    V(c, op->operands[i])->kind == VK_UNSET)
                    return fail(c, "internal: operand %u is used before it is defined", i);
            *yield = op;
            return true;
        }
        if (!exec_op(c, op)) return false;
    }
    return true;
}

/* -------------------------------------------------------------- binding */

static const char *param_name(const TcIrValue *v) { return v->name ? v->name : "?"; }

/* Binds parameter values and size symbols from the arguments. */
static bool bind_args(Ctx *c, const TcInterpArg *args)
{
    const TcIrFunc *f = c->f;
    uint32_t nsz = f->nsizes;
    int64_t bound[64];
    uint32_t from_param[64], from_dim[64];
    bool have[64] = {false};
    if (nsz > 64) return fail(c, "kernel has %u size symbols, more than 64", nsz);
    if (f->body->nargs != f->nparams + nsz)
        return fail(c, "internal: kernel body has %u arguments for %u params and %u sizes", f->body->nargs,
                    f->nparams, nsz);
    for (uint32_t i = 0; i < f->nparams; i++) {
        const TcIrValue *pv = tc_ir_func_param(f, i);
        const TcType *pt = pv->type;
        Val *v = V(c, pv);
        const char *pn = param_name(pv);
        if (pt->kind == TC_TY_SCALAR) {
            v->kind = VK_DATA;
            v->dt = pt->dtype;
            v->n = 1;
            switch (cls_of(pt->dtype)) {
            case CL_I: v->s.i = tc_int_wrap(pt->dtype, args[i].i); break;
            case CL_F: v->s.f = (float)tc_float_round(pt->dtype, args[i].f); break;
            case CL_D: v->s.d = args[i].f; break;
            }
            continue;
        }
        if (pt->kind != TC_TY_TENSOR) return fail(c, "parameter '%s' has a tile type", pn);
        const TcTensorArg *ta = &args[i].tensor;
        if (ta->dtype != pt->dtype)
            return fail(c, "argument '%s' has dtype %s, but the kernel expects %s", pn,
                        tc_dtype_name(ta->dtype), tc_dtype_name(pt->dtype));
        if (ta->rank != pt->rank)
            return fail(c, "argument '%s' has rank %u, but the kernel expects rank %u", pn, ta->rank, pt->rank);
        int64_t numel = 1;
        for (uint32_t d = 0; d < pt->rank; d++) {
            int64_t s = ta->sizes[d];
            if (s < 0) return fail(c, "argument '%s' dim %u has negative size %lld", pn, d, (long long)s);
            if (s > INT32_MAX)
                return fail(c, "argument '%s' dim %u is %lld, more than INT32_MAX", pn, d, (long long)s);
            numel = numel && s ? numel * s : 0;
            const TcDim *dim = &pt->dims[d];
            if (!dim->sym) {
                if (s != dim->value)
                    return fail(c, "argument '%s' dim %u is %lld, but the kernel requires %lld", pn, d,
                                (long long)s, (long long)dim->value);
                continue;
            }
            uint32_t j = 0;
            while (j < nsz && strcmp(param_name(tc_ir_func_size(f, j)), dim->sym) != 0) j++;
            if (j == nsz) return fail(c, "internal: size %s has no kernel argument", dim->sym);
            if (!have[j]) {
                have[j] = true;
                bound[j] = s;
                from_param[j] = i;
                from_dim[j] = d;
            } else if (bound[j] != s) {
                return fail(c, "size %s is %lld in '%s' (dim %u) but %lld in '%s' (dim %u)", dim->sym,
                            (long long)bound[j], param_name(tc_ir_func_param(f, from_param[j])),
                            from_dim[j], (long long)s, pn, d);
            }
        }
        if (pt->rank > 0 && !(pt->flags & TC_TENSOR_STRIDED) && ta->strides[pt->rank - 1] != 1)
            return fail(c, "argument '%s' has innermost stride %lld, but the kernel requires 1 "
                        "(the parameter is not strided)", pn, (long long)ta->strides[pt->rank - 1]);
        if (numel > 0 && !ta->data)
            return fail(c, "argument '%s' has %lld elements but no data (null pointer)", pn, (long long)numel);
        v->kind = VK_TENSOR;
        v->t.base = ta->data;
        v->t.empty = false;
        v->t.dt = ta->dtype;
        v->t.rank = ta->rank;
        for (uint32_t d = 0; d < ta->rank; d++) {
            v->t.sizes[d] = ta->sizes[d];
            v->t.strides[d] = ta->strides[d];
        }
    }
    for (uint32_t j = 0; j < nsz; j++) {
        const TcIrValue *sv = tc_ir_func_size(f, j);
        if (!have[j]) return fail(c, "size %s is not the dimension of any tensor argument", param_name(sv));
        if (cls_of(sv->type->dtype) != CL_I || sv->type->kind != TC_TY_SCALAR)
            return fail(c, "internal: size %s is not an integer scalar", param_name(sv));
        set_int_scalar(V(c, sv), sv->type->dtype, bound[j]);
    }
    return true;
}

/* Evaluates the grid block into c->grid; *empty when an extent is <= 0. */
static bool eval_grid(Ctx *c, bool *empty)
{
    const TcIrOp *y = NULL;
    c->grid[0] = c->grid[1] = c->grid[2] = 1;
    c->pid[0] = c->pid[1] = c->pid[2] = 0;
    if (!exec_block(c, c->f->grid, &y)) return false;
    c->op = NULL;
    if (!y || y->noperands < 1 || y->noperands > 3)
        return fail(c, "the grid block must yield 1 to 3 extents");
    int64_t g[3] = {1, 1, 1};
    for (uint32_t i = 0; i < y->noperands; i++) {
        Val *v = V(c, y->operands[i]);
        if (cls_of(v->dt) != CL_I || v->n != 1) return fail(c, "grid extent %u is not an integer scalar", i);
        g[i] = scalar_index(v);
    }
    *empty = g[0] <= 0 || g[1] <= 0 || g[2] <= 0;
    memcpy(c->grid, g, sizeof g);
    return true;
}

bool tc_interp_run(const TcIrFunc *f, const TcInterpArg *args, const TcInterpOptions *opt, char *err,
                   size_t errlen)
{
    Ctx c = {0};
    c.f = f;
    c.err = err;
    c.errlen = errlen;
    if (err && errlen) err[0] = '\0';
    c.max_tile_bytes = opt && opt->max_tile_bytes ? opt->max_tile_bytes : (size_t)1 << 30;
    uint64_t max_inst = opt ? opt->max_program_instances : 0;
    if (!f) return fail(&c, "no kernel");
    if (f->nparams && !args) return fail(&c, "no arguments for kernel '%s'", f->name);
    c.vals = calloc(f->nvalues ? f->nvalues : 1, sizeof *c.vals);
    if (!c.vals) return fail(&c, "out of host memory");
    bool ok = bind_args(&c, args), empty = false;
    if (ok) ok = eval_grid(&c, &empty);
    if (ok && !empty) {
        uint64_t total = (uint64_t)c.grid[0] * (uint64_t)c.grid[1];
        bool over = total > UINT64_MAX / (uint64_t)c.grid[2];
        total *= (uint64_t)c.grid[2];
        if (over)
            ok = fail(&c, "the grid (%lld, %lld, %lld) has more than 2^64 program instances",
                      (long long)c.grid[0], (long long)c.grid[1], (long long)c.grid[2]);
        else if (max_inst && total > max_inst)
            ok = fail(&c, "the grid (%lld, %lld, %lld) has %llu program instances, more than the limit of %llu",
                      (long long)c.grid[0], (long long)c.grid[1], (long long)c.grid[2],
                      (unsigned long long)total, (unsigned long long)max_inst);
    }
    if (ok && !empty) {
        for (int64_t p2 = 0; ok && p2 < c.grid[2]; p2++)
            for (int64_t p1 = 0; ok && p1 < c.grid[1]; p1++)
                for (int64_t p0 = 0; ok && p0 < c.grid[0]; p0++) {
                    const TcIrOp *y;
                    c.pid[0] = p0;
                    c.pid[1] = p1;
                    c.pid[2] = p2;
                    ok = exec_block(&c, f->body, &y);
                }
    }
    for (uint32_t i = 0; i < f->nvalues; i++) val_reset(&c.vals[i]);
    free(c.vals);
    return ok;
}
