/*
 * layout.h — distributed tile layouts (the tiling pass's output) and GPU
 * target profiles (data, not code paths).
 *
 * A layout says which GPU thread holds which elements of a tile. Three kinds:
 *
 *  blocked<spt, tpw, wpc, order>  for a rank-R tile of shape S. Per dim d:
 *      spt[d] contiguous elements per thread, tpw[d] threads of a warp,
 *      wpc[d] warps of the block; order[0] is the fastest-varying dim when
 *      lane and warp ids are split into per-dim coordinates. L[d] =
 *      spt*tpw*wpc. A thread holds n[d] = spt[d] * max(1, S[d] / L[d])
 *      positions per dim; position j gives the coordinate
 *        ((j / spt) * L + (warp_d * tpw + lane_d) * spt + j % spt) mod S[d]
 *      so a tile smaller than the layout's extent is replicated. Registers are
 *      numbered row-major over the per-dim positions (dim R-1 fastest).
 *      Invariant: spt[d] <= S[d]; every number is a power of two.
 *  slice<dims, parent>  the tile the parent blocked layout gives after the
 *      parent dims in `dims` (a bit mask) are reduced away: the tile's dims
 *      are the parent's remaining dims in order, their coordinates computed as
 *      for the parent; the threads along a removed dim all hold the same values.
 *  shared<pad>  the tile lives in shared memory, row-major with `pad` elements
 *      after each innermost row (against bank conflicts). The byte offset of
 *      the buffer is the defining op's `smem` attribute.
 *
 * Layouts are interned per module like types: equal iff the pointers are.
 * The replica of an element that a thread holds is *canonical* when its
 * coordinate was not wrapped (raw < S) on every dim and its lane and warp
 * coordinates are 0 on every removed (sliced) dim; stores and shared-memory
 * writes use canonical replicas only, so each element is written once.
 */
#ifndef TILEC_LAYOUT_H
#define TILEC_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum TcLayoutKind { TC_LAYOUT_BLOCKED, TC_LAYOUT_SLICE, TC_LAYOUT_SHARED } TcLayoutKind;

#define TC_LAYOUT_MAX_RANK 8

struct TcLayout {
    TcLayoutKind kind;
    uint8_t rank;                       /* blocked/slice: the parent's rank */
    uint32_t spt[TC_LAYOUT_MAX_RANK];   /* blocked/slice parameters (parent's) */
    uint32_t tpw[TC_LAYOUT_MAX_RANK];
    uint32_t wpc[TC_LAYOUT_MAX_RANK];
    uint8_t order[TC_LAYOUT_MAX_RANK];
    uint32_t slice_mask;                /* slice: removed parent dims (bit d) */
    uint32_t pad;                       /* shared: elements after each row */
};

typedef struct TcIrModule TcIrModule;
typedef struct TcType TcType;
typedef struct TcStrBuf TcStrBuf;
typedef struct TcLayout TcLayout;
typedef struct TcGpuProfile TcGpuProfile;

/* Interned layouts. `blocked` copies the arrays (rank entries each). */
const TcLayout *tc_layout_blocked(TcIrModule *m, uint32_t rank, const uint32_t *spt, const uint32_t *tpw,
                                  const uint32_t *wpc, const uint8_t *order);
/* The slice of a blocked or slice layout with one more parent dim removed
 * (its spt becomes 1, so equivalent slices are one interned layout). */
const TcLayout *tc_layout_slice(TcIrModule *m, const TcLayout *l, uint32_t parent_dim);
/* The layout with parent dim `parent_dim` (removed in l) present again, with
 * one element per thread on it: the layout of expand_dims of a slice. */
const TcLayout *tc_layout_unslice(TcIrModule *m, const TcLayout *l, uint32_t parent_dim);
const TcLayout *tc_layout_shared(TcIrModule *m, uint32_t pad);
/* The tile type t (any layout) with layout l (NULL: none). */
TcType *tc_type_with_layout(TcIrModule *m, const TcType *t, const TcLayout *l);

/* Rank of the tiles a layout describes (blocked: rank; slice: rank - removed). */
uint32_t tc_layout_tile_rank(const TcLayout *l);
/* Parent dim of tile axis `axis` (blocked: axis itself). */
uint32_t tc_layout_parent_dim(const TcLayout *l, uint32_t axis);
/* Threads the layout spans: product of tpw (must equal the warp size) and wpc. */
uint32_t tc_layout_lanes(const TcLayout *l);
uint32_t tc_layout_warps(const TcLayout *l);
/* Per-thread positions along tile axis `axis` of a tile of extent `extent`. */
uint32_t tc_layout_positions(const TcLayout *l, uint32_t axis, int64_t extent);
/* Registers per thread for tile type t (blocked or slice layout). */
uint64_t tc_layout_regs(const TcType *t);
/* Lane and warp stride of parent dim d (ids split by `order`). */
uint32_t tc_layout_lane_stride(const TcLayout *l, uint32_t d);
uint32_t tc_layout_warp_stride(const TcLayout *l, uint32_t d);

/*
 * Whether l is a valid layout for a tile of the given shape on a target with
 * warp_size lanes and `warps` warps: powers of two, prod(tpw) = warp_size,
 * prod(wpc) = warps, spt <= extent, order a permutation, rank agrees. On
 * failure writes the reason to why (may be NULL).
 */
bool tc_layout_valid(const TcLayout *l, uint32_t rank, const int64_t *shape, uint32_t warp_size, uint32_t warps,
                     char *why, size_t whylen);

/* "#blocked<spt = [1, 4], tpw = [8, 4], wpc = [4, 1], order = [1, 0]>",
 * "#slice<dims = [1], parent = #blocked<...>>", "#shared<pad = 1>". */
void tc_layout_print(const TcLayout *l, TcStrBuf *out);

/*
 * The default blocked layout for a tile of dtype size elem_bytes: order
 * innermost-first; up to vec_bytes contiguous bytes per thread along the
 * innermost dim (so global accesses are vectorized and coalesced); lanes fill
 * dims from the innermost, warps from the outermost; what is left over
 * replicates.
 */
const TcLayout *tc_layout_default(TcIrModule *m, uint32_t rank, const int64_t *shape, uint32_t elem_bytes,
                                  uint32_t vec_bytes, uint32_t warp_size, uint32_t warps);
/* The layout of a dot accumulator [M, N]: 2D register blocks (up to 4 x 4 per
 * thread), lanes along N first, warps along M first. */
const TcLayout *tc_layout_dot_acc(TcIrModule *m, int64_t mdim, int64_t ndim, uint32_t warp_size, uint32_t warps);

/*
 * Tensor-core dot (MMA m16n8k16: f32 += f16 x f16 or bf16 x bf16, one warp
 * per 16 x 8 x 16 step). Whether profile p can lower `c = dot(a, b, c)` with
 * `warps` warps to it: the profile has MMA, warps of 32, f16/bf16 operands and
 * an f32 accumulator, M a multiple of 16, N of 8 x warps, K of 16.
 */
bool tc_layout_mma_ok(const TcGpuProfile *p, const TcType *a, const TcType *b, const TcType *c, uint32_t warps);
/* The accumulator layout of an MMA dot [M, N] with `warps` warps side by side
 * along N: blocked<spt = [1, 2], tpw = [8, 4], wpc = [1, warps], order = [1, 0]>,
 * which is exactly the m16n8 C fragment (lane l holds rows l/4 and l/4 + 8,
 * columns 2 (l % 4) and + 1, of each 16 x 8 block; registers in row-major
 * position order, so block (i, j)'s c0..c3 are positions (2i, 2j), (2i, 2j+1),
 * (2i+1, 2j), (2i+1, 2j+1)). */
const TcLayout *tc_layout_mma_acc(TcIrModule *m, uint32_t warps);
/* Row padding (elements) of an MMA operand in shared memory: 16 bytes, so
 * every 8-element row ldmatrix reads is 16-byte aligned and the 8 rows of one
 * 8 x 8 matrix fall in distinct banks. */
uint32_t tc_layout_mma_pad(uint32_t elem_bytes);

/*
 * Shared-memory bytes a reduce along `axis` of tile type t (blocked or slice
 * layout) needs to combine partial results across warps: 0 when every
 * thread that holds a slice of the axis is in one warp.
 */
uint64_t tc_layout_reduce_scratch(const TcType *t, uint32_t axis);
/* Distinct warp coordinates along parent dim d for extent S (>= 1). */
uint32_t tc_layout_distinct_warps(const TcLayout *l, uint32_t d, int64_t extent);
/* Distinct lane coordinates along parent dim d for extent S (>= 1). */
uint32_t tc_layout_distinct_lanes(const TcLayout *l, uint32_t d, int64_t extent);
/* Bytes of a tile in shared memory with layout shared<pad> (t's layout). */
uint64_t tc_layout_shared_bytes(const TcType *t);
/* The padding (elements) used for a shared tile of dtype size elem_bytes:
 * one 32-bit bank word per row. */
uint32_t tc_layout_shared_pad(uint32_t elem_bytes);

/* ------------------------------------------------------- target profiles */

typedef enum TcGpuFamily { TC_GPU_NVIDIA, TC_GPU_MUSA } TcGpuFamily;

struct TcGpuProfile {
    const char *name;          /* "sm_80", "mp_22", ... */
    TcGpuFamily family;
    const char *card;          /* e.g. "A100", "MTT S4000" */
    uint32_t warp_size;        /* 32, or 128 on mp_21/mp_22 */
    uint32_t max_threads;      /* per block */
    uint32_t smem_bytes;       /* shared memory per block (with opt-in) */
    uint32_t default_warps;    /* warps when a kernel has no warps(n) */
    uint32_t vec_bytes;        /* widest global load/store per thread */
    bool async_copy;           /* cp.async / memcpy.g2s */
    bool mma;                  /* tensor-core MMA the lowering can use */
    uint32_t cc;               /* compute capability, e.g. 80, 22 */
    const char *smem_source;   /* where the shared-memory figure was seen */
    uint32_t pipeline_stages;  /* pipelining depth of a loop with a dot and no pipeline(n) clause;
                                  0 = such loops are not pipelined (passes/pipeline.c) */
};

/* NULL if unknown. */
const TcGpuProfile *tc_gpu_profile(const char *name);
/* Every profile, in a stable order. */
const TcGpuProfile *tc_gpu_profiles(uint32_t *count);

#endif
