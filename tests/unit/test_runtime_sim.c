/*
 * test_runtime_sim.c — unit tests of the sim backend (runtime/backend_sim.c),
 * linked against tilec_runtime only: hand-written C kernels of type
 * tilec_sim_fn (each one GPU thread's code) with hand-written signature
 * texts. They check shared memory and barriers, warp shuffles at warp sizes
 * 32 and 128 (512 fibers per block), divergence reported as a deadlock
 * rather than a hang, multi-block grids on one and several worker threads,
 * the GPU parameter ABI as a sim kernel receives it, the race checker
 * (smem_access) and asynchronous copies (landing at their wait), and the
 * API around the backend (loading, device info, device memory, errors).
 *
 * Kernels run on fibers, so they must never call a cmocka assertion (its
 * longjmp would cross contexts): they report through file-scope atomics
 * and tensors, which each test resets before launching and checks after.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tilec_runtime.h"

/* ------------------------------------------------------------ helpers */

static tilec_runtime *make_sim(int32_t threads)
{
    tilec_runtime_options o = {sizeof o, TILEC_BACKEND_SIM, threads};
    tilec_runtime *rt = NULL;
    char why[256];
    tilec_status st = tilec_runtime_create_ex(&o, 0, &rt, why, sizeof why);
    if (st != TILEC_OK) fail_msg("creating a sim runtime: %s", why);
    assert_non_null(rt);
    return rt;
}

/* Loads one kernel; the module comes back for tilec_module_destroy. */
static tilec_module *load1(tilec_runtime *rt, const char *sig, tilec_sim_fn fn, int32_t warp_size,
                           tilec_kernel **k)
{
    tilec_sim_kernel_desc d = {sig, fn, warp_size};
    tilec_module *m = NULL;
    tilec_status st = tilec_module_load_sim(rt, &d, 1, &m);
    if (st != TILEC_OK) fail_msg("loading a sim kernel: %s", tilec_runtime_message(rt));
    assert_non_null(m);
    char name[128];
    const char *p = strstr(sig, "kernel ") + 7;
    size_t n = strcspn(p, "\n");
    snprintf(name, sizeof name, "%.*s", (int)n, p);
    assert_int_equal(tilec_module_get_kernel(m, name, k), TILEC_OK);
    return m;
}

static tilec_status launch1(tilec_kernel *k, tilec_arg a) { return tilec_kernel_launch(k, &a, 1); }

static tilec_arg vec(void *data, int32_t dtype, int64_t n)
{
    return tilec_arg_tensor(tilec_tensor_contiguous(data, dtype, 1, &n));
}

/* A tensor parameter's data, size and stride as a sim kernel reads them. */
#define PDATA(p, i, T) ((T *)*(void *const *)(p)[i])
#define PI64(p, i) (*(const int64_t *)(p)[i])
#define PF64(p, i) (*(const double *)(p)[i])
#define PI32(p, i) (*(const int32_t *)(p)[i])

static atomic_int kernel_errors; /* what kernels found wrong */

/* ------------------------------------------- shared memory and barriers */

/* Block of NT threads: out[block * NT + tid] = the value thread tid + 1
 * wrote to shared memory before the barrier. */
static const char neighbour_fmt[] = "tilec-signature 1\n"
                                    "kernel %s\n"
                                    "warps 4\n"
                                    "scratch 0\n"
                                    "smem %d\n"
                                    "param out tensor i32 out 1 N\n"
                                    "size N\n"
                                    "grid 1\n"
                                    "axis s:0 c:%d div:i32\n"
                                    "end\n";

static void neighbour_fn(void *const *p, tilec_sim_thread *t)
{
    int32_t *out = PDATA(p, 0, int32_t), *sm = t->smem;
    int64_t stride = PI64(p, 2);
    if (((uintptr_t)sm & 15) != 0) atomic_fetch_add(&kernel_errors, 1);
    sm[t->tid] = t->tid * 7 + t->ctaid[0];
    t->barrier(t);
    int32_t v = sm[(t->tid + 1) % t->ntid];
    t->barrier(t); /* nobody overwrites a value before everyone read it */
    sm[t->tid] = -1;
    out[((int64_t)t->ctaid[0] * t->ntid + t->tid) * stride] = v;
}

/* The same without barriers: reads shared memory nobody wrote yet. */
static void no_barrier_fn(void *const *p, tilec_sim_thread *t)
{
    int32_t *out = PDATA(p, 0, int32_t), *sm = t->smem;
    sm[t->tid] = t->tid;
    out[(int64_t)t->ctaid[0] * t->ntid + t->tid] = sm[(t->tid + 1) % t->ntid];
}

static void run_neighbour(int32_t threads, int32_t warp_size, int32_t blocks)
{
    tilec_runtime *rt = make_sim(threads);
    int32_t nt = 4 * warp_size;
    char sig[512];
    snprintf(sig, sizeof sig, neighbour_fmt, "neighbour", nt * 4, nt);
    tilec_kernel *k = NULL;
    tilec_module *m = load1(rt, sig, neighbour_fn, warp_size, &k);
    int64_t n = (int64_t)nt * blocks;
    int32_t *out = malloc((size_t)n * sizeof *out);
    assert_non_null(out);
    for (int rep = 0; rep < 3; rep++) { /* fibers and stacks are reused */
        atomic_store(&kernel_errors, 0);
        memset(out, 0, (size_t)n * sizeof *out);
        assert_int_equal(launch1(k, vec(out, TILEC_I32, n)), TILEC_OK);
        assert_int_equal(atomic_load(&kernel_errors), 0);
        for (int64_t i = 0; i < n; i++) {
            int64_t b = i / nt, tid = i % nt;
            assert_int_equal(out[i], ((tid + 1) % nt) * 7 + b);
        }
    }
    tilec_module_destroy(m);
    free(out);
    tilec_runtime_destroy(rt);
}

static void barrier_exchanges_through_smem(void **state)
{
    (void)state;
    run_neighbour(1, 32, 1);
    run_neighbour(1, 32, 5);
    run_neighbour(3, 32, 7); /* blocks in parallel, each participant its own smem */
}

static void warp_size_128_runs_512_fibers(void **state)
{
    (void)state;
    run_neighbour(1, 128, 2);
    run_neighbour(2, 128, 3);
}

static void smem_starts_as_garbage(void **state)
{
    (void)state;
    tilec_runtime *rt = make_sim(1);
    char sig[512];
    snprintf(sig, sizeof sig, neighbour_fmt, "neighbour", 128 * 4, 128);
    tilec_kernel *k1 = NULL, *k2 = NULL;
    tilec_module *m1 = load1(rt, sig, neighbour_fn, 32, &k1);
    snprintf(sig, sizeof sig, neighbour_fmt, "racy", 128 * 4, 128);
    tilec_module *m2 = load1(rt, sig, no_barrier_fn, 32, &k2);
    int32_t out[256];
    assert_int_equal(launch1(k1, vec(out, TILEC_I32, 256)), TILEC_OK); /* leaves -1 in smem */
    assert_int_equal(launch1(k2, vec(out, TILEC_I32, 256)), TILEC_OK);
    /* Thread 0 runs to its end before thread 1 starts: it reads the fill,
     * in every block, not zeros nor what the last block or launch left. */
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < 127; i++) assert_int_equal(out[b * 128 + i], (int32_t)0xA5A5A5A5);
        assert_int_equal(out[b * 128 + 127], 0); /* thread 0 wrote it long before */
    }
    tilec_module_destroy(m1);
    tilec_module_destroy(m2);
    tilec_runtime_destroy(rt);
}

/* ------------------------------------------------------ race checker */

/* Race-checked kernels announce themselves with a zero-byte access, then
 * report each shared-memory access before making it (as code generated with
 * TcGpuOptions.racecheck does). RACE_MODE selects the access pattern. */
static atomic_int race_mode;

static void rc_write(tilec_sim_thread *t, int32_t i, int32_t v)
{
    t->smem_access(t, (uint32_t)i * 4, 4, 1);
    ((int32_t *)t->smem)[i] = v;
}

static int32_t rc_read(tilec_sim_thread *t, int32_t i)
{
    t->smem_access(t, (uint32_t)i * 4, 4, 0);
    return ((int32_t *)t->smem)[i];
}

static void racecheck_fn(void *const *p, tilec_sim_thread *t)
{
    int32_t *out = PDATA(p, 0, int32_t);
    int32_t nt = t->ntid, me = t->tid, mode = atomic_load(&race_mode), v = 0;
    t->smem_access(t, 0, 0, 0);
    switch (mode) {
    case 0: /* write, barrier, read the neighbour's: clean */
        rc_write(t, me, me);
        t->barrier(t);
        v = rc_read(t, (me + 1) % nt);
        break;
    case 1: /* no barrier: thread 0 reads word 1 first, thread 1 then writes it */
        rc_write(t, me, me);
        v = rc_read(t, (me + 1) % nt);
        break;
    case 2: /* no barrier: thread 1 reads word 0, which thread 0 wrote */
        rc_write(t, me, me);
        v = rc_read(t, (me + nt - 1) % nt);
        break;
    case 3: /* everyone writes word 0 */
        rc_write(t, 0, me);
        break;
    case 4: /* read, barrier, overwrite, barrier, read again; own words need no barrier */
        rc_write(t, me, me);
        v = rc_read(t, me);
        t->barrier(t);
        v += rc_read(t, (me + 1) % nt);
        t->barrier(t);
        rc_write(t, (me + 1) % nt, -1);
        t->barrier(t);
        v += rc_read(t, me);
        break;
    default: /* outside the block's shared memory: only announced, never dereferenced */
        t->smem_access(t, (uint32_t)nt * 4, 4, 0);
        break;
    }
    out[me] = v;
}

static const char racecheck_sig[] = "tilec-signature 1\n"
                                    "kernel racecheck\n"
                                    "warps 1\n"
                                    "scratch 0\n"
                                    "smem 128\n"
                                    "param out tensor i32 out 1 N\n"
                                    "size N\n"
                                    "grid 1\n"
                                    "axis s:0 c:32 div:i32\n"
                                    "end\n";

static void race_checker_finds_conflicts(void **state)
{
    (void)state;
    tilec_runtime *rt = make_sim(1);
    tilec_kernel *k = NULL;
    tilec_module *m = load1(rt, racecheck_sig, racecheck_fn, 32, &k);
    int32_t out[64];
    static const struct {
        int mode;
        tilec_status st;
        const char *msg;
    } cases[] = {
        {0, TILEC_OK, ""},
        {1, TILEC_ERR_BACKEND, "sim race check: block (0,0,0): write-after-read race on shared memory at byte offset 4: "
                               "thread 1 writes what thread 0 read with no barrier between"},
        {2, TILEC_ERR_BACKEND, "sim race check: block (0,0,0): read-after-write race on shared memory at byte offset 0: "
                               "thread 1 reads what thread 0 wrote with no barrier between"},
        {3, TILEC_ERR_BACKEND, "sim race check: block (0,0,0): write-after-write race on shared memory at byte offset 0: "
                               "thread 1 writes what thread 0 wrote with no barrier between"},
        {4, TILEC_OK, ""},
        {5, TILEC_ERR_BACKEND, "sim race check: block (0,0,0): thread 0 accesses bytes [128, 132) of shared memory, "
                               "outside the block's 128 bytes"},
        {0, TILEC_OK, ""}, /* a failed block leaves nothing behind */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        atomic_store(&race_mode, cases[i].mode);
        tilec_status st = launch1(k, vec(out, TILEC_I32, 32));
        if (st != cases[i].st || strstr(tilec_runtime_message(rt), cases[i].msg) == NULL)
            fail_msg("mode %d: status %s, message '%s'", cases[i].mode, tilec_status_name(st), tilec_runtime_message(rt));
        if (cases[i].mode == 0)
            for (int j = 0; j < 32; j++) assert_int_equal(out[j], (j + 1) % 32);
    }
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

/* The same racy pattern without the announcement is not checked. */
static void racy_silent_fn(void *const *p, tilec_sim_thread *t)
{
    int32_t *out = PDATA(p, 0, int32_t);
    int32_t *sm = t->smem;
    t->smem_access(t, (uint32_t)t->tid * 4, 4, 1);
    sm[t->tid] = t->tid;
    t->smem_access(t, (uint32_t)((t->tid + 1) % t->ntid) * 4, 4, 0);
    out[t->tid] = sm[(t->tid + 1) % t->ntid];
}

static void race_checker_needs_the_announcement(void **state)
{
    (void)state;
    tilec_runtime *rt = make_sim(1);
    tilec_kernel *k = NULL;
    tilec_module *m = load1(rt, racecheck_sig, racy_silent_fn, 32, &k);
    int32_t out[32];
    assert_int_equal(launch1(k, vec(out, TILEC_I32, 32)), TILEC_OK);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

/* ------------------------------------------------- asynchronous copies */

/* Each thread copies x[tid] and x[tid + NT] into shared memory in two
 * groups and looks at its words before and after each wait. */
static void async_fn(void *const *p, tilec_sim_thread *t)
{
    const int32_t *x = PDATA(p, 0, int32_t);
    int32_t *out = PDATA(p, 3, int32_t), *sm = t->smem;
    int32_t nt = t->ntid, me = t->tid;
    t->smem_access(t, 0, 0, 0); /* race-checked: the landings count as this thread's writes */
    t->async_copy(t, &sm[me], &x[me], 4);
    t->async_commit(t);
    t->async_copy(t, &sm[nt + me], &x[nt + me], 4);
    t->async_commit(t);
    t->async_copy(t, &sm[2 * nt + me], &x[me], 4); /* never committed: never lands */
    out[4 * me + 0] = sm[me];                       /* nothing landed yet: the fill */
    t->async_wait(t, 1);
    out[4 * me + 1] = sm[me];                       /* the first group landed */
    out[4 * me + 2] = sm[nt + me];                  /* the second did not */
    t->async_wait(t, 0);
    out[4 * me + 3] = sm[nt + me] + sm[2 * nt + me];
    t->barrier(t);
    t->smem_access(t, (uint32_t)(((me + 1) % nt) * 4), 4, 0); /* another thread's landed copy, after a barrier */
    if (sm[(me + 1) % nt] != x[(me + 1) % nt]) atomic_fetch_add(&kernel_errors, 1);
}

static const char async_sig[] = "tilec-signature 1\n"
                                "kernel copies\n"
                                "warps 1\n"
                                "scratch 0\n"
                                "smem 384\n"
                                "param x tensor i32 in 1 N\n"
                                "param out tensor i32 out 1 M\n"
                                "size N\n"
                                "size M\n"
                                "grid 1\n"
                                "axis s:0 c:32 div:i32\n"
                                "end\n";

static void async_copies_land_at_their_wait(void **state)
{
    (void)state;
    tilec_runtime *rt = make_sim(1);
    tilec_kernel *k = NULL;
    tilec_module *m = load1(rt, async_sig, async_fn, 32, &k);
    int32_t x[64], out[128];
    for (int i = 0; i < 64; i++) x[i] = 1000 + i;
    atomic_store(&kernel_errors, 0);
    tilec_arg args[2] = {vec(x, TILEC_I32, 64), vec(out, TILEC_I32, 128)};
    for (int rep = 0; rep < 2; rep++) { /* queues start empty in every block */
        tilec_status st = tilec_kernel_launch(k, args, 2);
        if (st != TILEC_OK) fail_msg("%s", tilec_runtime_message(rt));
        for (int i = 0; i < 32; i++) {
            assert_int_equal(out[4 * i + 0], (int32_t)0xA5A5A5A5);
            assert_int_equal(out[4 * i + 1], 1000 + i);
            assert_int_equal(out[4 * i + 2], (int32_t)0xA5A5A5A5);
            assert_int_equal(out[4 * i + 3], 1032 + i + (int32_t)0xA5A5A5A5);
        }
    }
    assert_int_equal(atomic_load(&kernel_errors), 0);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

/* A tree reduction in shared memory: log2(NT) + 1 barriers per block. */
static const char treesum_sig[] = "tilec-signature 1\n"
                                  "kernel treesum\n"
                                  "warps 8\n"
                                  "scratch 0\n"
                                  "smem 1024\n"
                                  "param x tensor i32 in 1 N\n"
                                  "param sums tensor i32 out 1 B\n"
                                  "size N\n"
                                  "size B\n"
                                  "grid 1\n"
                                  "axis s:1\n"
                                  "end\n";

static void treesum_fn(void *const *p, tilec_sim_thread *t)
{
    const int32_t *x = PDATA(p, 0, int32_t);
    int32_t *sums = PDATA(p, 3, int32_t), *sm = t->smem;
    int32_t n = PI32(p, 6);
    int64_t i = (int64_t)t->ctaid[0] * t->ntid + t->tid;
    sm[t->tid] = i < n ? x[i] : 0;
    for (int32_t s = t->ntid / 2; s > 0; s /= 2) {
        t->barrier(t);
        if (t->tid < s) sm[t->tid] += sm[t->tid + s];
    }
    t->barrier(t);
    if (t->tid == 0) sums[t->ctaid[0]] = sm[0];
}

static void many_barriers_reduce(void **state)
{
    (void)state;
    for (int32_t threads = 1; threads <= 3; threads += 2) {
        tilec_runtime *rt = make_sim(threads);
        tilec_kernel *k = NULL;
        tilec_module *m = load1(rt, treesum_sig, treesum_fn, 32, &k);
        enum { N = 256 * 9 - 17, B = 9 };
        static int32_t x[N];
        int32_t sums[B];
        for (int i = 0; i < N; i++) x[i] = (i * 37) % 101 - 50;
        tilec_arg args[2] = {vec(x, TILEC_I32, N), vec(sums, TILEC_I32, B)};
        assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_OK);
        for (int b = 0; b < B; b++) {
            int32_t want = 0;
            for (int i = b * 256; i < (b + 1) * 256 && i < N; i++) want += x[i];
            assert_int_equal(sums[b], want);
        }
        tilec_module_destroy(m);
        tilec_runtime_destroy(rt);
    }
}

/* -------------------------------------------------------- warp shuffles */

/* Every thread writes the sum of its warp's inputs, from a butterfly of
 * shfl_xor with masks WS/2 .. 1. */
static const char wsum_fmt[] = "tilec-signature 1\n"
                               "kernel %s\n"
                               "warps 4\n"
                               "scratch 0\n"
                               "param x tensor u32 in 1 N\n"
                               "param y tensor u32 out 1 N\n"
                               "size N\n"
                               "grid 1\n"
                               "axis s:0 c:%d div:i32\n"
                               "end\n";

static void wsum_body(void *const *p, tilec_sim_thread *t, int32_t ws)
{
    const uint32_t *x = PDATA(p, 0, uint32_t);
    uint32_t *y = PDATA(p, 3, uint32_t);
    int64_t i = (int64_t)t->ctaid[0] * t->ntid + t->tid;
    uint32_t v = x[i];
    for (int32_t mask = ws / 2; mask > 0; mask /= 2) v += t->shfl_xor(t, v, mask);
    y[i] = v;
}

static void wsum32_fn(void *const *p, tilec_sim_thread *t) { wsum_body(p, t, 32); }
static void wsum128_fn(void *const *p, tilec_sim_thread *t) { wsum_body(p, t, 128); }

static void run_wsum(int32_t threads, int32_t ws, tilec_sim_fn fn)
{
    tilec_runtime *rt = make_sim(threads);
    char sig[512];
    snprintf(sig, sizeof sig, wsum_fmt, "wsum", 4 * ws);
    tilec_kernel *k = NULL;
    tilec_module *m = load1(rt, sig, fn, ws, &k);
    int64_t n = 4 * ws * 3;
    uint32_t *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    for (int64_t i = 0; i < n; i++) x[i] = (uint32_t)(i * 2654435761u);
    tilec_arg args[2] = {vec(x, TILEC_U32, n), vec(y, TILEC_U32, n)};
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_OK);
    for (int64_t w = 0; w < n / ws; w++) {
        uint32_t want = 0;
        for (int64_t i = w * ws; i < (w + 1) * ws; i++) want += x[i];
        for (int64_t i = w * ws; i < (w + 1) * ws; i++) assert_int_equal(y[i], want);
    }
    free(x);
    free(y);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

static void shuffle_reduces_warps(void **state)
{
    (void)state;
    run_wsum(1, 32, wsum32_fn);
    run_wsum(2, 32, wsum32_fn);
    run_wsum(1, 128, wsum128_fn);
    run_wsum(2, 128, wsum128_fn);
}

/* 100 shuffles in a row with changing masks, some outside the warp (the
 * lane's own value) and negative; every lane checks every result. */
static const char shfl_sig[] = "tilec-signature 1\n"
                               "kernel shuffles\n"
                               "warps 3\n"
                               "scratch 0\n"
                               "param ws scalar i32\n"
                               "grid 1\n"
                               "axis c:2\n"
                               "end\n";

static void shuffles_fn(void *const *p, tilec_sim_thread *t)
{
    int32_t ws = (int32_t)PI64(p, 0), lane = t->tid % ws, base = t->tid - lane;
    static const int32_t masks[] = {1, 2, 4, 8, 16, 31, 5, 32, 64, 127, -1, 3};
    for (int32_t r = 0; r < 100; r++) {
        int32_t mask = masks[r % 12];
        uint32_t mine = (uint32_t)(t->ctaid[0] * 1000000 + t->tid * 1000 + r);
        uint32_t got = t->shfl_xor(t, mine, mask);
        int32_t src = (int32_t)((uint32_t)lane ^ (uint32_t)mask);
        uint32_t want = src >= 0 && src < ws ? (uint32_t)(t->ctaid[0] * 1000000 + (base + src) * 1000 + r) : mine;
        if (got != want) atomic_fetch_add(&kernel_errors, 1);
    }
}

static void shuffles_are_double_buffered(void **state)
{
    (void)state;
    static const int32_t sizes[] = {32, 128, 1, 4};
    for (size_t i = 0; i < 4; i++) {
        tilec_runtime *rt = make_sim(2);
        tilec_kernel *k = NULL;
        tilec_module *m = load1(rt, shfl_sig, shuffles_fn, sizes[i], &k);
        atomic_store(&kernel_errors, 0);
        assert_int_equal(launch1(k, tilec_arg_int(sizes[i])), TILEC_OK);
        assert_int_equal(atomic_load(&kernel_errors), 0);
        tilec_module_destroy(m);
        tilec_runtime_destroy(rt);
    }
}

/* ------------------------------------------------- divergence, deadlock */

static const char diverge_fmt[] = "tilec-signature 1\n"
                                  "kernel %s\n"
                                  "warps %d\n"
                                  "scratch 0\n"
                                  "param blocks scalar i32\n"
                                  "grid 1\n"
                                  "axis p:0\n"
                                  "end\n";

static void barrier_some_fn(void *const *p, tilec_sim_thread *t)
{
    if (t->tid < 16) t->barrier(t);
}

static void shfl_some_fn(void *const *p, tilec_sim_thread *t)
{
    if (t->tid % 32 < 8) t->shfl_xor(t, 1, 1);
}

static void mixed_fn(void *const *p, tilec_sim_thread *t)
{
    if (t->tid < 32) t->barrier(t);
    else if (t->tid % 32 < 4) t->shfl_xor(t, 1, 1);
}

static void one_block_fn(void *const *p, tilec_sim_thread *t)
{
    if (t->ctaid[0] == 2 && t->tid == 0) t->barrier(t);
    atomic_fetch_add(&kernel_errors, 1); /* here: counts threads that ran */
}

static void expect_deadlock(int32_t threads, const char *name, int32_t warps, tilec_sim_fn fn, int32_t blocks,
                            const char *want)
{
    tilec_runtime *rt = make_sim(threads);
    char sig[512];
    snprintf(sig, sizeof sig, diverge_fmt, name, (int)warps);
    tilec_kernel *k = NULL;
    tilec_module *m = load1(rt, sig, fn, 32, &k);
    for (int rep = 0; rep < 2; rep++) { /* abandoned fibers restart cleanly */
        assert_int_equal(launch1(k, tilec_arg_int(blocks)), TILEC_ERR_BACKEND);
        assert_string_equal(tilec_runtime_message(rt), want);
    }
    /* The runtime still works. */
    snprintf(sig, sizeof sig, neighbour_fmt, "neighbour", 512, 128);
    tilec_kernel *k2 = NULL;
    tilec_module *m2 = load1(rt, sig, neighbour_fn, 32, &k2);
    int32_t out[256];
    assert_int_equal(launch1(k2, vec(out, TILEC_I32, 256)), TILEC_OK);
    assert_string_equal(tilec_runtime_message(rt), "");
    assert_int_equal(out[255], 7 * 0 + 1);
    assert_int_equal(out[0], 7 * 1);
    tilec_module_destroy(m2);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

static void divergent_barrier_is_reported(void **state)
{
    (void)state;
    expect_deadlock(1, "diverge", 4, barrier_some_fn, 1,
                    "kernel 'diverge': sim: block (0,0,0): 16 of 128 threads are waiting at a barrier that the "
                    "others never reached; 112 finished");
    expect_deadlock(1, "shfl_diverge", 2, shfl_some_fn, 1,
                    "kernel 'shfl_diverge': sim: block (0,0,0): 16 of 64 threads are waiting in shfl_xor for lanes "
                    "of their warp that never called it (warp 0: 8 of 32 lanes); 48 finished");
    expect_deadlock(1, "mixed", 2, mixed_fn, 1,
                    "kernel 'mixed': sim: block (0,0,0): 32 of 64 threads are waiting at a barrier that the others "
                    "never reached; 28 finished; 4 are waiting in shfl_xor");
    expect_deadlock(3, "one_block", 1, one_block_fn, 6,
                    "kernel 'one_block': sim: block (2,0,0): 1 of 32 threads are waiting at a barrier that the "
                    "others never reached; 31 finished");
}

static void deadlock_stops_the_launch(void **state)
{
    (void)state;
    /* One participant: blocks run in order and none after the failing one. */
    tilec_runtime *rt = make_sim(1);
    char sig[512];
    snprintf(sig, sizeof sig, diverge_fmt, "one_block", 1);
    tilec_kernel *k = NULL;
    tilec_module *m = load1(rt, sig, one_block_fn, 32, &k);
    atomic_store(&kernel_errors, 0);
    assert_int_equal(launch1(k, tilec_arg_int(100)), TILEC_ERR_BACKEND);
    assert_int_equal(atomic_load(&kernel_errors), 2 * 32 + 31);
    atomic_store(&kernel_errors, 0);
    assert_int_equal(launch1(k, tilec_arg_int(2)), TILEC_OK);
    assert_int_equal(atomic_load(&kernel_errors), 2 * 32);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

/* --------------------------------------------------------- grids, ABI */

static const char blocks_sig[] = "tilec-signature 1\n"
                                 "kernel blocks\n"
                                 "warps 1\n"
                                 "scratch 0\n"
                                 "param hits tensor i32 inout 1 T\n"
                                 "param x scalar i32\n"
                                 "param y scalar i32\n"
                                 "param z scalar i32\n"
                                 "size T\n"
                                 "grid 3\n"
                                 "axis p:1\n"
                                 "axis p:2\n"
                                 "axis p:3\n"
                                 "end\n";

static void blocks_fn(void *const *p, tilec_sim_thread *t)
{
    int32_t *hits = PDATA(p, 0, int32_t);
    int64_t x = PI64(p, 3), y = PI64(p, 4), z = PI64(p, 5);
    if (t->nctaid[0] != x || t->nctaid[1] != y || t->nctaid[2] != z || t->ntid != 32 || t->smem != NULL)
        atomic_fetch_add(&kernel_errors, 1);
    int64_t b = ((int64_t)t->ctaid[2] * y + t->ctaid[1]) * x + t->ctaid[0];
    hits[b * t->ntid + t->tid] += 1; /* each element belongs to one thread of one block */
}

static void every_block_and_thread_runs_once(void **state)
{
    (void)state;
    static const int32_t threads[] = {1, 2, 5};
    for (size_t r = 0; r < 3; r++) {
        tilec_runtime *rt = make_sim(threads[r]);
        assert_int_equal(tilec_runtime_num_threads(rt), threads[r]);
        tilec_kernel *k = NULL;
        tilec_module *m = load1(rt, blocks_sig, blocks_fn, 32, &k);
        enum { X = 3, Y = 4, Z = 5, T = X * Y * Z * 32 };
        static int32_t hits[T];
        memset(hits, 0, sizeof hits);
        atomic_store(&kernel_errors, 0);
        tilec_arg args[4] = {vec(hits, TILEC_I32, T), tilec_arg_int(X), tilec_arg_int(Y), tilec_arg_int(Z)};
        assert_int_equal(tilec_kernel_launch(k, args, 4), TILEC_OK);
        assert_int_equal(atomic_load(&kernel_errors), 0);
        for (int i = 0; i < T; i++) assert_int_equal(hits[i], 1);
        /* An empty grid runs nothing and succeeds. */
        args[2] = tilec_arg_int(0);
        assert_int_equal(tilec_kernel_launch(k, args, 4), TILEC_OK);
        for (int i = 0; i < T; i++) assert_int_equal(hits[i], 1);
        tilec_module_destroy(m);
        tilec_runtime_destroy(rt);
    }
}

/* Thread 0 of the only block records every parameter value. */
static const char marshal_sig[] = "tilec-signature 1\n"
                                  "kernel marshal\n"
                                  "warps 0\n"
                                  "scratch 0\n"
                                  "param a tensor f32 in,strided 2 M K\n"
                                  "param n scalar i64\n"
                                  "param x scalar f64\n"
                                  "param b tensor i32 out 1 N\n"
                                  "param flag scalar bool\n"
                                  "param h scalar f16\n"
                                  "param c tensor u8 inout 3 N 4 M\n"
                                  "size M\n"
                                  "size K\n"
                                  "size N\n"
                                  "grid 1\n"
                                  "axis c:1\n"
                                  "end\n";

static struct {
    void *a, *b, *c;
    int64_t a_sizes[2], a_strides[2], n, b_size, b_stride, flag, c_sizes[3], c_strides[3];
    double x, h;
    int32_t m, k, nn, ntid;
} seen;

static void marshal_fn(void *const *p, tilec_sim_thread *t)
{
    if (t->tid != 0) return;
    seen.a = PDATA(p, 0, void);
    seen.a_sizes[0] = PI64(p, 1);
    seen.a_sizes[1] = PI64(p, 2);
    seen.a_strides[0] = PI64(p, 3);
    seen.a_strides[1] = PI64(p, 4);
    seen.n = PI64(p, 5);
    seen.x = PF64(p, 6);
    seen.b = PDATA(p, 7, void);
    seen.b_size = PI64(p, 8);
    seen.b_stride = PI64(p, 9);
    seen.flag = PI64(p, 10);
    seen.h = PF64(p, 11);
    seen.c = PDATA(p, 12, void);
    for (int d = 0; d < 3; d++) {
        seen.c_sizes[d] = PI64(p, 13 + d);
        seen.c_strides[d] = PI64(p, 16 + d);
    }
    seen.m = PI32(p, 19);
    seen.k = PI32(p, 20);
    seen.nn = PI32(p, 21);
    seen.ntid = t->ntid;
}

static void arguments_follow_the_gpu_abi(void **state)
{
    (void)state;
    tilec_runtime *rt = make_sim(1);
    tilec_kernel *k = NULL;
    tilec_module *m = load1(rt, marshal_sig, marshal_fn, 32, &k);
    static float a[6 * 20];
    static int32_t b[7];
    static uint8_t c[7 * 4 * 6];
    tilec_tensor ta = {a, TILEC_F32, 2, {6, 5}, {20, 3}};
    int64_t bs[1] = {7}, cs[3] = {7, 4, 6};
    tilec_arg args[7] = {
        tilec_arg_tensor(ta),
        tilec_arg_int(-1234567890123),
        tilec_arg_float(2.5),
        tilec_arg_tensor(tilec_tensor_contiguous(b, TILEC_I32, 1, bs)),
        tilec_arg_int(1),
        tilec_arg_int(3), /* an int for a float param */
        tilec_arg_tensor(tilec_tensor_contiguous(c, TILEC_U8, 3, cs)),
    };
    memset(&seen, 0, sizeof seen);
    assert_int_equal(tilec_kernel_launch(k, args, 7), TILEC_OK);
    assert_ptr_equal(seen.a, a);
    assert_int_equal(seen.a_sizes[0], 6);
    assert_int_equal(seen.a_sizes[1], 5);
    assert_int_equal(seen.a_strides[0], 20);
    assert_int_equal(seen.a_strides[1], 3);
    assert_int_equal(seen.n, -1234567890123);
    assert_true(seen.x == 2.5);
    assert_ptr_equal(seen.b, b);
    assert_int_equal(seen.b_size, 7);
    assert_int_equal(seen.b_stride, 1);
    assert_int_equal(seen.flag, 1);
    assert_true(seen.h == 3.0);
    assert_ptr_equal(seen.c, c);
    assert_int_equal(seen.c_sizes[0], 7);
    assert_int_equal(seen.c_sizes[1], 4);
    assert_int_equal(seen.c_sizes[2], 6);
    assert_int_equal(seen.c_strides[0], 24);
    assert_int_equal(seen.c_strides[1], 6);
    assert_int_equal(seen.c_strides[2], 1);
    assert_int_equal(seen.m, 6);
    assert_int_equal(seen.k, 5);
    assert_int_equal(seen.nn, 7);
    assert_int_equal(seen.ntid, 4 * 32); /* warps 0 means 4 */
    /* The usual checks run before the sim sees anything. */
    args[1] = tilec_arg_float(1.0);
    assert_int_equal(tilec_kernel_launch(k, args, 7), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt),
                        "kernel 'marshal': param 'n' (argument 1) is an integer i64 scalar but the argument is a "
                        "float");
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

/* ------------------------------------------------------------------ API */

static void never_fn(void *const *p, tilec_sim_thread *t) { atomic_fetch_add(&kernel_errors, 1); }

static void loading_and_errors(void **state)
{
    (void)state;
    tilec_runtime *rt = make_sim(1);
    tilec_module *m = NULL;
    char sig[512];
    snprintf(sig, sizeof sig, wsum_fmt, "w", 128);
    tilec_sim_kernel_desc d = {sig, NULL, 32};
    assert_int_equal(tilec_module_load_sim(rt, &d, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "kernel 0: kernel 'w' has no function");
    assert_null(m);
    static const int32_t bad_ws[] = {0, -32, 48, 2048};
    d.fn = never_fn;
    for (size_t i = 0; i < 4; i++) {
        d.warp_size = bad_ws[i];
        assert_int_equal(tilec_module_load_sim(rt, &d, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
        char want[256];
        snprintf(want, sizeof want,
                 "kernel 0: kernel 'w' has warp size %d; the sim backend takes a power of two from 1 to 1024",
                 (int)bad_ws[i]);
        assert_string_equal(tilec_runtime_message(rt), want);
    }
    d.signature = "tilec-signature 1\nkernel big\nwarps 16\nscratch 0\ngrid 1\naxis c:1\nend\n";
    d.warp_size = 128;
    assert_int_equal(tilec_module_load_sim(rt, &d, 1, &m), TILEC_ERR_UNSUPPORTED);
    assert_string_equal(tilec_runtime_message(rt),
                        "kernel 0: kernel 'big' needs 2048 threads per block (16 warps of 128) but the sim backend "
                        "allows 1024");
    d.signature = "tilec-signature 1\nkernel\n";
    assert_int_equal(tilec_module_load_sim(rt, &d, 1, &m), TILEC_ERR_SIGNATURE);
    assert_string_equal(tilec_runtime_message(rt), "kernel 0: signature line 2: 'kernel' takes 1 field, found 0");
    assert_int_equal(tilec_module_load_sim(rt, NULL, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "tilec_module_load_sim: null kernels");
    assert_int_equal(tilec_module_load_sim(rt, &d, 1, NULL), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "tilec_module_load_sim: null out");
    assert_int_equal(tilec_module_load_sim(NULL, &d, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_int_equal(tilec_module_load_sim(rt, NULL, 0, &m), TILEC_OK); /* an empty module */
    tilec_kernel *k = NULL;
    assert_int_equal(tilec_module_get_kernel(m, "w", &k), TILEC_ERR_NOT_FOUND);
    tilec_module_destroy(m);
    /* Two kernels of different warp sizes in one module. */
    char sig2[512];
    snprintf(sig2, sizeof sig2, wsum_fmt, "w128", 512);
    tilec_sim_kernel_desc two[2] = {{sig, wsum32_fn, 32}, {sig2, wsum128_fn, 128}};
    assert_int_equal(tilec_module_load_sim(rt, two, 2, &m), TILEC_OK);
    assert_int_equal(tilec_module_get_kernel(m, "w128", &k), TILEC_OK);
    assert_int_equal(tilec_kernel_num_params(k), 2);
    tilec_module_destroy(m);

    /* Other backends' loaders refuse the sim, and the sim's the others. */
    tilec_cpu_kernel_desc cd = {sig, NULL};
    assert_int_equal(tilec_module_load_cpu(rt, &cd, 1, &m), TILEC_ERR_UNSUPPORTED);
    assert_string_equal(tilec_runtime_message(rt), "CPU kernels need the CPU backend, not sim");
    tilec_gpu_kernel_desc gd = {sig, NULL};
    assert_int_equal(tilec_module_load_gpu(rt, "ptx", 4, &gd, 1, &m), TILEC_ERR_UNSUPPORTED);
    assert_string_equal(tilec_runtime_message(rt), "GPU images need the cuda or musa backend, not sim (sim kernels "
                                                   "load with tilec_module_load_sim)");
    tilec_runtime *cpu = NULL;
    tilec_runtime_options o = {sizeof o, TILEC_BACKEND_CPU, 1};
    assert_int_equal(tilec_runtime_create(&o, &cpu), TILEC_OK);
    d.signature = sig;
    d.warp_size = 32;
    assert_int_equal(tilec_module_load_sim(cpu, &d, 1, &m), TILEC_ERR_UNSUPPORTED);
    assert_string_equal(tilec_runtime_message(cpu), "sim kernels need the sim backend, not cpu");
    tilec_runtime_destroy(cpu);
    tilec_runtime_destroy(rt);

    /* No device but 0. */
    char why[256];
    o.backend = TILEC_BACKEND_SIM;
    assert_int_equal(tilec_runtime_create_ex(&o, 1, &rt, why, sizeof why), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(why, "no device 1 on the sim backend");
    assert_null(rt);
}

static void device_info_and_memory(void **state)
{
    (void)state;
    tilec_runtime *rt = make_sim(3);
    tilec_device_props p;
    memset(&p, 0x5a, sizeof p);
    p.size = sizeof p;
    assert_int_equal(tilec_device_info(rt, &p), TILEC_OK);
    assert_string_equal(p.name, "sim");
    assert_string_equal(p.arch, "sim");
    assert_int_equal(p.warp_size, 32);
    assert_int_equal(p.cc_major, 0);
    assert_int_equal(p.cc_minor, 0);
    assert_int_equal(p.max_threads_per_block, 1024);
    assert_int_equal(p.max_shared_per_block, 1 << 24);
    assert_int_equal(p.max_shared_optin, 1 << 24);
    assert_int_equal(p.multiprocessors, 3);
    char sig[512];
    snprintf(sig, sizeof sig, wsum_fmt, "w128", 512);
    tilec_kernel *k = NULL;
    tilec_module *m = load1(rt, sig, wsum128_fn, 128, &k);
    assert_int_equal(tilec_device_info(rt, &p), TILEC_OK);
    assert_int_equal(p.warp_size, 128); /* that of the kernels loaded */

    /* Device memory is host memory; a kernel reads and writes it. */
    enum { N = 512 * 2 };
    uint32_t host[N], back[N];
    for (int i = 0; i < N; i++) host[i] = (uint32_t)i;
    void *dx = NULL, *dy = NULL;
    assert_int_equal(tilec_device_alloc(rt, sizeof host, &dx), TILEC_OK);
    assert_int_equal(tilec_device_alloc(rt, sizeof host, &dy), TILEC_OK);
    assert_int_equal(tilec_copy_to_device(rt, dx, host, sizeof host), TILEC_OK);
    tilec_arg args[2] = {vec(dx, TILEC_U32, N), vec(dy, TILEC_U32, N)};
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_OK);
    assert_int_equal(tilec_runtime_synchronize(rt), TILEC_OK);
    assert_int_equal(tilec_copy_to_host(rt, back, dy, sizeof back), TILEC_OK);
    for (int w = 0; w < N / 128; w++) {
        uint32_t want = 0;
        for (int i = 0; i < 128; i++) want += (uint32_t)(w * 128 + i);
        assert_int_equal(back[w * 128 + 5], want);
    }
    assert_int_equal(tilec_device_free(rt, dx), TILEC_OK);
    assert_int_equal(tilec_device_free(rt, dy), TILEC_OK);
    assert_int_equal(tilec_device_alloc(rt, 0, &dx), TILEC_OK);
    assert_null(dx);
    assert_int_equal(tilec_copy_to_host(rt, NULL, back, 4), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "tilec_copy_to_host: null dst");
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(barrier_exchanges_through_smem),
        cmocka_unit_test(warp_size_128_runs_512_fibers),
        cmocka_unit_test(smem_starts_as_garbage),
        cmocka_unit_test(race_checker_finds_conflicts),
        cmocka_unit_test(race_checker_needs_the_announcement),
        cmocka_unit_test(async_copies_land_at_their_wait),
        cmocka_unit_test(many_barriers_reduce),
        cmocka_unit_test(shuffle_reduces_warps),
        cmocka_unit_test(shuffles_are_double_buffered),
        cmocka_unit_test(divergent_barrier_is_reported),
        cmocka_unit_test(deadlock_stops_the_launch),
        cmocka_unit_test(every_block_and_thread_runs_once),
        cmocka_unit_test(arguments_follow_the_gpu_abi),
        cmocka_unit_test(loading_and_errors),
        cmocka_unit_test(device_info_and_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
