/*
 * layout.c — distributed tile layouts and GPU target profiles (layout.h).
 *
 * Layouts are interned in a small per-module list (modules hold few distinct
 * layouts), allocated in the module's arena.
 */
#include "ir.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ interning */

static bool layout_eq(const TcLayout *a, const TcLayout *b)
{
    if (a->kind != b->kind || a->rank != b->rank || a->slice_mask != b->slice_mask || a->pad != b->pad) return false;
    for (unsigned d = 0; d < a->rank; d++)
        if (a->spt[d] != b->spt[d] || a->tpw[d] != b->tpw[d] || a->wpc[d] != b->wpc[d] || a->order[d] != b->order[d])
            return false;
    return true;
}

static const TcLayout *intern_layout(TcIrModule *m, const TcLayout *key)
{
    for (uint32_t i = 0; i < m->layouts.len; i++)
        if (layout_eq(m->layouts.data[i], key)) return m->layouts.data[i];
    TcLayout *l = tc_arena_memdup(m->arena, key, sizeof *key);
    TC_VEC_PUSH(m->arena, m->layouts, l);
    return l;
}

const TcLayout *tc_layout_blocked(TcIrModule *m, uint32_t rank, const uint32_t *spt, const uint32_t *tpw,
                                  const uint32_t *wpc, const uint8_t *order)
{
    TC_ASSERT(rank >= 1 && rank <= TC_LAYOUT_MAX_RANK);
    TcLayout k;
    memset(&k, 0, sizeof k);
    k.kind = TC_LAYOUT_BLOCKED;
    k.rank = (uint8_t)rank;
    for (uint32_t d = 0; d < rank; d++) {
        k.spt[d] = spt[d];
        k.tpw[d] = tpw[d];
        k.wpc[d] = wpc[d];
        k.order[d] = order[d];
    }
    return intern_layout(m, &k);
}

const TcLayout *tc_layout_slice(TcIrModule *m, const TcLayout *l, uint32_t parent_dim)
{
    TC_ASSERT(l->kind != TC_LAYOUT_SHARED && parent_dim < l->rank && !(l->slice_mask & (1u << parent_dim)));
    TcLayout k = *l;
    k.kind = TC_LAYOUT_SLICE;
    k.slice_mask |= 1u << parent_dim;
    k.spt[parent_dim] = 1; /* irrelevant once removed: one canonical form */
    return intern_layout(m, &k);
}

const TcLayout *tc_layout_unslice(TcIrModule *m, const TcLayout *l, uint32_t parent_dim)
{
    TC_ASSERT(l->kind == TC_LAYOUT_SLICE && (l->slice_mask & (1u << parent_dim)));
    TcLayout k = *l;
    k.slice_mask &= ~(1u << parent_dim);
    if (!k.slice_mask) k.kind = TC_LAYOUT_BLOCKED;
    return intern_layout(m, &k);
}

const TcLayout *tc_layout_shared(TcIrModule *m, uint32_t pad)
{
    TcLayout k;
    memset(&k, 0, sizeof k);
    k.kind = TC_LAYOUT_SHARED;
    k.pad = pad;
    return intern_layout(m, &k);
}

/* ------------------------------------------------------------- queries */

static uint32_t popcount(uint32_t x)
{
    uint32_t n = 0;
    for (; x; x &= x - 1) n++;
    return n;
}

uint32_t tc_layout_tile_rank(const TcLayout *l) { return l->rank - popcount(l->slice_mask); }

uint32_t tc_layout_parent_dim(const TcLayout *l, uint32_t axis)
{
    for (uint32_t d = 0; d < l->rank; d++) {
        if (l->slice_mask & (1u << d)) continue;
        if (axis-- == 0) return d;
    }
    TC_ICE("layout axis out of range");
}

uint32_t tc_layout_lanes(const TcLayout *l)
{
    uint32_t n = 1;
    for (uint32_t d = 0; d < l->rank; d++) n *= l->tpw[d];
    return n;
}

uint32_t tc_layout_warps(const TcLayout *l)
{
    uint32_t n = 1;
    for (uint32_t d = 0; d < l->rank; d++) n *= l->wpc[d];
    return n;
}

static uint64_t extent_of(const TcLayout *l, uint32_t d) { return (uint64_t)l->spt[d] * l->tpw[d] * l->wpc[d]; }

uint32_t tc_layout_positions(const TcLayout *l, uint32_t axis, int64_t extent)
{
    uint32_t d = tc_layout_parent_dim(l, axis);
    uint64_t L = extent_of(l, d);
    uint64_t reps = (uint64_t)extent > L ? (uint64_t)extent / L : 1;
    return (uint32_t)(l->spt[d] * reps);
}

uint64_t tc_layout_regs(const TcType *t)
{
    TC_ASSERT(t->kind == TC_TY_TILE && t->layout && t->layout->kind != TC_LAYOUT_SHARED);
    uint64_t n = 1;
    for (uint32_t a = 0; a < t->rank; a++) n *= tc_layout_positions(t->layout, a, t->shape[a]);
    return n;
}

uint32_t tc_layout_lane_stride(const TcLayout *l, uint32_t d)
{
    uint32_t s = 1;
    for (uint32_t k = 0; k < l->rank && l->order[k] != d; k++) s *= l->tpw[l->order[k]];
    return s;
}

uint32_t tc_layout_warp_stride(const TcLayout *l, uint32_t d)
{
    uint32_t s = 1;
    for (uint32_t k = 0; k < l->rank && l->order[k] != d; k++) s *= l->wpc[l->order[k]];
    return s;
}

static bool pow2(uint64_t x) { return x && !(x & (x - 1)); }

bool tc_layout_valid(const TcLayout *l, uint32_t rank, const int64_t *shape, uint32_t warp_size, uint32_t warps,
                     char *why, size_t whylen)
{
#define FAIL(...) do { if (why) snprintf(why, whylen, __VA_ARGS__); return false; } while (0)
    if (l->kind == TC_LAYOUT_SHARED) return true;
    if (l->rank < 1 || l->rank > TC_LAYOUT_MAX_RANK) FAIL("layout rank %u is out of range", l->rank);
    if (l->kind == TC_LAYOUT_BLOCKED && l->slice_mask) FAIL("a blocked layout removes no dims");
    if (l->kind == TC_LAYOUT_SLICE && (!l->slice_mask || (l->slice_mask >> l->rank)))
        FAIL("slice dims must name parent dims");
    if (tc_layout_tile_rank(l) != rank) FAIL("layout is for rank %u, the tile has rank %u", tc_layout_tile_rank(l), rank);
    uint32_t seen = 0;
    for (uint32_t d = 0; d < l->rank; d++) {
        if (l->order[d] >= l->rank || (seen & (1u << l->order[d]))) FAIL("order is not a permutation");
        seen |= 1u << l->order[d];
        if (!pow2(l->spt[d]) || !pow2(l->tpw[d]) || !pow2(l->wpc[d])) FAIL("layout parameters must be powers of two");
    }
    if (warp_size && tc_layout_lanes(l) != warp_size)
        FAIL("threads per warp multiply to %u, the warp has %u", tc_layout_lanes(l), warp_size);
    if (warps && tc_layout_warps(l) != warps)
        FAIL("warps per block multiply to %u, the kernel has %u warps", tc_layout_warps(l), warps);
    for (uint32_t a = 0; a < rank; a++) {
        uint32_t d = tc_layout_parent_dim(l, a);
        if ((int64_t)l->spt[d] > shape[a])
            FAIL("%u elements per thread on axis %u exceed its extent %lld", l->spt[d], a, (long long)shape[a]);
    }
    return true;
#undef FAIL
}

static void print_list(TcStrBuf *out, const char *name, const uint32_t *v, uint32_t n)
{
    tc_sb_printf(out, "%s = [", name);
    for (uint32_t i = 0; i < n; i++) tc_sb_printf(out, i ? ", %u" : "%u", v[i]);
    tc_sb_puts(out, "]");
}

void tc_layout_print(const TcLayout *l, TcStrBuf *out)
{
    if (l->kind == TC_LAYOUT_SHARED) {
        tc_sb_printf(out, "#shared<pad = %u>", l->pad);
        return;
    }
    if (l->kind == TC_LAYOUT_SLICE) {
        uint32_t dims[TC_LAYOUT_MAX_RANK], n = 0;
        for (uint32_t d = 0; d < l->rank; d++)
            if (l->slice_mask & (1u << d)) dims[n++] = d;
        tc_sb_puts(out, "#slice<");
        print_list(out, "dims", dims, n);
        tc_sb_puts(out, ", parent = ");
    }
    uint32_t order[TC_LAYOUT_MAX_RANK];
    for (uint32_t d = 0; d < l->rank; d++) order[d] = l->order[d];
    tc_sb_puts(out, "#blocked<");
    print_list(out, "spt", l->spt, l->rank);
    tc_sb_puts(out, ", ");
    print_list(out, "tpw", l->tpw, l->rank);
    tc_sb_puts(out, ", ");
    print_list(out, "wpc", l->wpc, l->rank);
    tc_sb_puts(out, ", ");
    print_list(out, "order", order, l->rank);
    tc_sb_puts(out, ">");
    if (l->kind == TC_LAYOUT_SLICE) tc_sb_puts(out, ">");
}

/* ------------------------------------------------------- layout choice */

static uint32_t min_u64(uint64_t a, uint64_t b) { return (uint32_t)(a < b ? a : b); }

/* Fills tpw (lanes, innermost dim first) and wpc (warps, outermost first),
 * given spt; left-over lanes and warps go to the innermost / outermost dim. */
static void distribute(uint32_t rank, const int64_t *shape, const uint32_t *spt, uint32_t warp_size, uint32_t warps,
                       uint32_t *tpw, uint32_t *wpc)
{
    uint32_t lanes = warp_size;
    for (uint32_t d = 0; d < rank; d++) tpw[d] = wpc[d] = 1;
    for (uint32_t k = rank; k-- > 0 && lanes > 1;) {
        uint64_t room = (uint64_t)shape[k] / spt[k];
        uint32_t t = min_u64(lanes, room ? room : 1);
        tpw[k] = t;
        lanes /= t;
    }
    tpw[rank - 1] *= lanes;
    uint32_t w = warps;
    for (uint32_t k = 0; k < rank && w > 1; k++) {
        uint64_t room = (uint64_t)shape[k] / ((uint64_t)spt[k] * tpw[k]);
        uint32_t t = min_u64(w, room ? room : 1);
        wpc[k] = t;
        w /= t;
    }
    wpc[0] *= w;
}

const TcLayout *tc_layout_default(TcIrModule *m, uint32_t rank, const int64_t *shape, uint32_t elem_bytes,
                                  uint32_t vec_bytes, uint32_t warp_size, uint32_t warps)
{
    uint32_t spt[TC_LAYOUT_MAX_RANK] = {0}, tpw[TC_LAYOUT_MAX_RANK] = {0}, wpc[TC_LAYOUT_MAX_RANK] = {0};
    uint8_t order[TC_LAYOUT_MAX_RANK];
    for (uint32_t d = 0; d < rank; d++) {
        spt[d] = 1;
        order[d] = (uint8_t)(rank - 1 - d);
    }
    uint32_t vec = elem_bytes ? vec_bytes / elem_bytes : 1;
    if (vec < 1) vec = 1;
    spt[rank - 1] = min_u64(vec, (uint64_t)shape[rank - 1]);
    /* keep every thread busy before widening a thread's vector */
    uint64_t total = 1;
    for (uint32_t d = 0; d < rank; d++) total *= (uint64_t)shape[d];
    while (spt[rank - 1] > 1 && total / spt[rank - 1] < (uint64_t)warp_size * warps) spt[rank - 1] /= 2;
    distribute(rank, shape, spt, warp_size, warps, tpw, wpc);
    return tc_layout_blocked(m, rank, spt, tpw, wpc, order);
}

const TcLayout *tc_layout_dot_acc(TcIrModule *m, int64_t mdim, int64_t ndim, uint32_t warp_size, uint32_t warps)
{
    uint32_t spt[2], tpw[2], wpc[2];
    uint8_t order[2] = {1, 0};
    uint64_t threads = (uint64_t)warp_size * warps;
    spt[0] = min_u64(4, (uint64_t)mdim);
    spt[1] = min_u64(4, (uint64_t)ndim);
    /* shrink the register block while threads would be left without work */
    while ((uint64_t)(mdim / spt[0]) * (uint64_t)(ndim / spt[1]) < threads && (spt[0] > 1 || spt[1] > 1)) {
        if (spt[0] >= spt[1] && spt[0] > 1) spt[0] /= 2;
        else spt[1] /= 2;
    }
    uint32_t lanes = warp_size;
    tpw[1] = min_u64(lanes, (uint64_t)ndim / spt[1] ? (uint64_t)ndim / spt[1] : 1);
    lanes /= tpw[1];
    tpw[0] = lanes;
    uint32_t w = warps;
    uint64_t room0 = (uint64_t)mdim / ((uint64_t)spt[0] * tpw[0]);
    wpc[0] = min_u64(w, room0 ? room0 : 1);
    w /= wpc[0];
    wpc[1] = w;
    return tc_layout_blocked(m, 2, spt, tpw, wpc, order);
}

/* ------------------------------------------------------------------ MMA */

bool tc_layout_mma_ok(const TcGpuProfile *p, const TcType *a, const TcType *b, const TcType *c, uint32_t warps)
{
    if (!p || !p->mma || p->warp_size != 32 || a->rank != 2 || b->rank != 2 || c->rank != 2) return false;
    bool f16 = a->dtype == TC_F16 && b->dtype == TC_F16, bf16 = a->dtype == TC_BF16 && b->dtype == TC_BF16;
    if (!(f16 || bf16) || c->dtype != TC_F32) return false;
    return c->shape[0] % 16 == 0 && c->shape[1] % (8 * (int64_t)warps) == 0 && a->shape[1] % 16 == 0;
}

const TcLayout *tc_layout_mma_acc(TcIrModule *m, uint32_t warps)
{
    uint32_t spt[2] = {1, 2}, tpw[2] = {8, 4}, wpc[2] = {1, warps};
    uint8_t order[2] = {1, 0};
    return tc_layout_blocked(m, 2, spt, tpw, wpc, order);
}

uint32_t tc_layout_mma_pad(uint32_t elem_bytes) { return 16 / elem_bytes; }

/* ------------------------------------------------------ shared memory */

uint32_t tc_layout_distinct_lanes(const TcLayout *l, uint32_t d, int64_t extent)
{
    uint64_t room = (uint64_t)extent / l->spt[d];
    return min_u64(l->tpw[d], room ? room : 1);
}

uint32_t tc_layout_distinct_warps(const TcLayout *l, uint32_t d, int64_t extent)
{
    uint64_t room = (uint64_t)extent / ((uint64_t)l->spt[d] * l->tpw[d]);
    return min_u64(l->wpc[d], room ? room : 1);
}

static uint32_t storage_bytes(TcDtype dt) { return tc_dtype_bytes(dt); }

uint64_t tc_layout_reduce_scratch(const TcType *t, uint32_t axis)
{
    const TcLayout *l = t->layout;
    uint32_t d = tc_layout_parent_dim(l, axis);
    uint32_t w = tc_layout_distinct_warps(l, d, t->shape[axis]);
    if (w <= 1) return 0;
    uint64_t rest = (uint64_t)t->numel / (uint64_t)t->shape[axis];
    uint32_t eb = storage_bytes(t->dtype) < 4 ? 4 : storage_bytes(t->dtype);
    return (uint64_t)w * rest * eb;
}

uint32_t tc_layout_shared_pad(uint32_t elem_bytes) { return elem_bytes >= 4 ? 1 : 4 / elem_bytes; }

uint64_t tc_layout_shared_bytes(const TcType *t)
{
    uint32_t pad = t->layout ? t->layout->pad : 0;
    uint64_t row = (uint64_t)t->shape[t->rank - 1] + pad;
    uint64_t rows = (uint64_t)t->numel / (uint64_t)t->shape[t->rank - 1];
    return rows * row * storage_bytes(t->dtype);
}

/* ------------------------------------------------------------ profiles */

static const TcGpuProfile profiles[] = {
    {"sm_80", TC_GPU_NVIDIA, "A100", 32, 1024, 166912, 4, 16, true, true, 80,
     "CUDA C Programming Guide, compute capability 8.0: 163 KB per block with opt-in", 2},
    {"sm_90", TC_GPU_NVIDIA, "H100", 32, 1024, 232448, 4, 16, true, true, 90,
     "CUDA C Programming Guide, compute capability 9.0: 227 KB per block with opt-in", 2},
    {"mp_21", TC_GPU_MUSA, "MTT S80", 128, 1024, 49152, 4, 16, false, false, 21,
     "not found in public sources; 48 KB assumed (../shared/MUSA.md)", 0},
    {"mp_22", TC_GPU_MUSA, "MTT S4000", 128, 1024, 73728, 4, 16, true, false, 22,
     "72 KB, device query of an MTT S4000 (../shared/MUSA.md)", 2},
    {"mp_31", TC_GPU_MUSA, "MTT S5000", 32, 1024, 196608, 4, 16, true, false, 31,
     "192 KB, MUSA 5.2 tool output on an MTT S5000 (../shared/MUSA.md)", 2},
};

const TcGpuProfile *tc_gpu_profile(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < TC_ARRAY_LEN(profiles); i++)
        if (strcmp(profiles[i].name, name) == 0) return &profiles[i];
    return NULL;
}

const TcGpuProfile *tc_gpu_profiles(uint32_t *count)
{
    *count = (uint32_t)TC_ARRAY_LEN(profiles);
    return profiles;
}
