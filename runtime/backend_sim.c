/*
 * backend_sim.c — the sim backend: runs kernels compiled with tilec
 * --target=sim (host functions of type tilec_sim_fn, each ONE GPU thread's
 * code) as a simulated GPU. Device memory is host memory (malloc, memmove),
 * as on the CPU backend.
 *
 * A launch marshals its arguments with rt_gpu_params (the GPU parameter ABI
 * of tilec_runtime.h) and runs every block of the grid. Blocks are handed
 * out from one atomic counter over the linearized grid (axis 0 fastest) to a
 * persistent pool of participants made with the runtime (the launching
 * thread plus num_threads - 1 workers, the CPU backend's rule), so blocks of
 * one launch run concurrently, as on a GPU. Within a block, every thread of
 * the block (warps x the kernel's warp size) runs as its own fiber
 * (ucontext: getcontext/makecontext/swapcontext) on its own mmap'd stack
 * with a guard page, under a scheduler that runs each runnable fiber, in
 * FIFO order, until its thread finishes or blocks:
 *
 *   barrier:   the thread blocks until all ntid threads of the block have
 *              called it; the last one to arrive releases the others (and
 *              goes on running) and the count starts again from 0.
 *   shfl_xor:  every lane of the caller's warp (warp = tid / warp size,
 *              lane = tid % warp size) must call it; a lane deposits its
 *              value in its warp's exchange buffer for the parity of its
 *              call count and blocks until all lanes of the warp have
 *              deposited, then reads lane (lane ^ mask)'s value (its own
 *              value when that lane is outside the warp). Double buffering
 *              suffices: a lane can only start call c + 2 after every lane
 *              deposited for call c + 1, which each does after reading c.
 *
 * When no fiber is runnable but some thread has not finished, the block can
 * never complete (threads wait at a barrier or a shuffle that others never
 * reach): the launch fails with TILEC_ERR_BACKEND and a message naming the
 * block and the counts, and no further blocks are started.
 *
 * Invariants: each participant (sim_worker) owns its fibers, their stacks,
 * its run queue, its shuffle buffers and its shared memory; a launch grows
 * all of them for every participant that takes part before any block runs,
 * so a failed allocation leaves nothing half run. They are reused across
 * blocks and launches: a fiber whose thread finished stays parked in
 * fiber_main's loop ("live") and simply runs the next thread it is given; a
 * fiber abandoned in a deadlocked block is restarted with makecontext before
 * its next use. Fibers are allocated one by one, so their addresses (which
 * their own stacks and saved contexts hold) never change. A fiber runs only
 * while its participant's scheduler waits in swapcontext, so the block state
 * needs no locking; only the pool's fields are shared between threads. Shared
 * memory is filled with SIM_SMEM_FILL at the start of every block, so a
 * kernel that reads shared memory it never wrote sees garbage, not zeros.
 * Under AddressSanitizer every switch is announced with
 * __sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber.
 *
 * Limits: at most SIM_MAX_BLOCK_THREADS threads per block; a thread's stack
 * is SIM_STACK_BYTES (overflowing it hits the guard page: SIGSEGV); warp
 * sizes are powers of two up to SIM_MAX_BLOCK_THREADS.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */

#include "backend.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_ASAN 1
#endif
#endif

#ifdef SIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define sim_asan_start(save, bottom, size) __sanitizer_start_switch_fiber((save), (bottom), (size))
#define sim_asan_finish(save, bottom, size) __sanitizer_finish_switch_fiber((save), (bottom), (size))
#define sim_asan_unpoison(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define sim_asan_start(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define sim_asan_finish(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define sim_asan_unpoison(p, n) ((void)(p), (void)(n))
#endif

#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

/* The layout generated code reads (tilec_runtime.h). */
_Static_assert(offsetof(tilec_sim_thread, tid) == 0, "tilec_sim_thread ABI: tid");
_Static_assert(offsetof(tilec_sim_thread, ntid) == 4, "tilec_sim_thread ABI: ntid");
_Static_assert(offsetof(tilec_sim_thread, ctaid) == 8, "tilec_sim_thread ABI: ctaid");
_Static_assert(offsetof(tilec_sim_thread, nctaid) == 20, "tilec_sim_thread ABI: nctaid");
_Static_assert(offsetof(tilec_sim_thread, smem) == 32, "tilec_sim_thread ABI: smem");
_Static_assert(offsetof(tilec_sim_thread, barrier) == 40, "tilec_sim_thread ABI: barrier");
_Static_assert(offsetof(tilec_sim_thread, shfl_xor) == 48, "tilec_sim_thread ABI: shfl_xor");
_Static_assert(offsetof(tilec_sim_thread, block) == 56, "tilec_sim_thread ABI: block");
_Static_assert(offsetof(tilec_sim_thread, async_copy) == 64, "tilec_sim_thread ABI: async_copy");
_Static_assert(offsetof(tilec_sim_thread, async_commit) == 72, "tilec_sim_thread ABI: async_commit");
_Static_assert(offsetof(tilec_sim_thread, async_wait) == 80, "tilec_sim_thread ABI: async_wait");
_Static_assert(offsetof(tilec_sim_thread, smem_access) == 88, "tilec_sim_thread ABI: smem_access");
_Static_assert(sizeof(tilec_sim_thread) == 96, "tilec_sim_thread ABI: size");
_Static_assert(sizeof(uintptr_t) == sizeof(uint64_t), "a fiber's pointer travels as two 32-bit halves");

#define SIM_STACK_BYTES ((size_t)512 * 1024) /* per fiber, plus a guard page */
#define SIM_MAX_BLOCK_THREADS 1024
#define SIM_DEFAULT_WARP_SIZE 32              /* reported before any kernel is loaded */
#define SIM_SMEM_ALIGN 64                     /* >= the 16 bytes the ABI promises */
#define SIM_SMEM_FILL 0xA5
#define SIM_MSG_CAP 512

enum { FIBER_RUNNABLE, FIBER_BARRIER, FIBER_SHFL, FIBER_DONE };

typedef struct sim_state sim_state;
typedef struct sim_worker sim_worker;

/* One launch, as every participant runs it. */
typedef struct sim_job {
    tilec_sim_fn fn;
    void *const *params;   /* the GPU parameter ABI (rt_gpu_params) */
    int32_t grid[3];
    int64_t total;         /* blocks */
    int32_t ntid;          /* threads per block */
    int32_t warp_size;
    size_t smem;           /* bytes of shared memory per block */
} sim_job;

/* One queued asynchronous copy. */
typedef struct sim_pending_copy {
    void *dst;
    const void *src;
    uint32_t bytes;
    uint32_t group;        /* the commit group it belongs to */
} sim_pending_copy;

/* The race checker's record of one byte of shared memory. Epochs count the
 * block's completed barriers from 1 (0: never). */
typedef struct sim_race_cell {
    uint32_t wepoch;       /* epoch of the last write */
    uint32_t repoch;       /* epoch of reader1 / reader2 */
    int16_t writer;        /* thread of the last write */
    int16_t reader1;       /* a thread that read it in repoch */
    int16_t reader2;       /* another one, or -1 */
    int16_t unused;
} sim_race_cell;

typedef struct sim_fiber {
    tilec_sim_thread t;    /* first: the kernel's self pointer is the fiber's address */
    sim_worker *w;
    int32_t index;         /* the thread this fiber runs: fibers[index] */
    int32_t state;         /* FIBER_* */
    uint32_t shfl_calls;   /* shfl_xor calls of the current thread */
    sim_pending_copy *copies;      /* queued asynchronous copies: [copy_head, ncopies) are in flight */
    uint32_t ncopies, copy_head, copy_cap;
    uint32_t committed;    /* groups committed by the current thread */
    uint32_t landed;       /* groups landed */
    bool live;             /* uc is parked in fiber_main's loop; else makecontext before running */
    ucontext_t uc;
    void *map;             /* guard page, then the stack */
    size_t map_bytes;
    char *stack;           /* SIM_STACK_BYTES */
    void *fake_stack;      /* ASan: this fiber's fake stack while it is switched out */
} sim_fiber;

struct sim_worker {
    sim_state *sim;
    int32_t index;         /* participant number; 0 is the launching thread */
    pthread_t thread;      /* unused for participant 0 */
    sim_fiber **fibers;    /* nfibers of them, each with its stack */
    int32_t nfibers;
    int32_t cap;           /* threads the queue and the shuffle buffers hold */
    int32_t *queue;        /* ring of runnable fibers: cap slots */
    uint32_t *shfl_vals;   /* per warp, per parity, warp_size values: 2 * cap */
    int32_t *shfl_arrived; /* per warp, per parity: lanes that deposited; 2 * cap */
    void *smem;            /* SIM_SMEM_ALIGN-aligned, smem_cap bytes, or NULL */
    size_t smem_cap;
    ucontext_t sched;      /* the scheduler, while a fiber runs */
    void *sched_fake_stack;       /* ASan */
    const void *sched_bottom;     /* ASan: the participant's own stack */
    size_t sched_size;
    /* The block being run. */
    const sim_job *job;
    int32_t ndone;         /* threads that finished */
    int32_t bar_arrived;   /* threads waiting at the barrier */
    int32_t qhead, qlen;
    int32_t c[3];          /* the block's index */
    /* The race checker (kernels compiled with racecheck announce themselves
     * with a zero-byte smem_access at entry). */
    bool race_on;          /* tracking this block */
    bool race_failed;      /* a conflict was found: race_msg says which */
    uint32_t race_epoch;   /* completed barriers + 1 */
    sim_race_cell *race;   /* one per byte of shared memory */
    size_t race_cap;       /* cells allocated */
    char race_msg[SIM_MSG_CAP];
};

struct sim_state {
    int32_t nworkers;        /* participants, the launching thread included */
    int32_t started;         /* worker threads running (participants 1..started) */
    sim_worker *workers;
    int32_t warp_size;       /* of the kernel last looked up; SIM_DEFAULT_WARP_SIZE before */
    size_t guard;            /* bytes of a fiber's guard page */
    pthread_mutex_t mu;
    pthread_cond_t wake;     /* signalled when generation changes or on shutdown */
    pthread_cond_t done;     /* signalled when pending drops to 0 */
    uint64_t generation;     /* guarded by mu */
    int32_t pending;         /* guarded by mu */
    int32_t active;          /* participants running blocks of the job; guarded by mu */
    bool shutdown;           /* guarded by mu */
    const sim_job *job;      /* guarded by mu */
    tilec_status st;         /* the job's first failure; guarded by mu */
    char msg[SIM_MSG_CAP];   /* its message; guarded by mu */
    atomic_int_fast64_t next; /* next linear block number */
    atomic_bool failed;      /* stop taking blocks */
};

/* ------------------------------------------------------------- fibers */

/* Fiber f -> its scheduler; returns when the scheduler runs f again. */
static void fiber_park(sim_fiber *f)
{
    sim_worker *w = f->w;
    sim_asan_start(&f->fake_stack, w->sched_bottom, w->sched_size);
    swapcontext(&f->uc, &w->sched);
    sim_asan_finish(f->fake_stack, &w->sched_bottom, &w->sched_size);
}

/* A fiber's life: run the thread it was given, park, run the next one. Its
 * pointer comes as two 32-bit halves (makecontext passes ints). */
static void fiber_main(int hi, int lo)
{
    sim_fiber *f = (sim_fiber *)(uintptr_t)(((uint64_t)(uint32_t)hi << 32) | (uint32_t)lo);
    sim_worker *w = f->w;
    sim_asan_finish(NULL, &w->sched_bottom, &w->sched_size);
    for (;;) {
        const sim_job *j = w->job;
        j->fn(j->params, &f->t);
        f->state = FIBER_DONE;
        w->ndone++;
        fiber_park(f);
    }
}

/* (Re)starts f at the top of fiber_main. */
static tilec_status fiber_restart(sim_fiber *f, char *msg, size_t msgcap)
{
    f->live = false;
    if (getcontext(&f->uc) != 0) {
        snprintf(msg, msgcap, "sim: getcontext failed: %s", strerror(errno));
        return TILEC_ERR_BACKEND;
    }
    f->uc.uc_stack.ss_sp = f->stack;
    f->uc.uc_stack.ss_size = SIM_STACK_BYTES;
    f->uc.uc_stack.ss_flags = 0;
    f->uc.uc_link = NULL; /* fiber_main never returns */
    uint64_t p = (uintptr_t)f;
    makecontext(&f->uc, (void (*)(void))fiber_main, 2, (int)(uint32_t)(p >> 32), (int)(uint32_t)p);
    sim_asan_unpoison(f->stack, SIM_STACK_BYTES); /* frames an abandoned thread left poisoned */
#ifdef SIM_ASAN
    /* ASan's swapcontext interceptor clears the shadow of the whole stack
     * that uc_stack names on every switch into the context (a syscall each
     * time, and the live frames' redzones are lost). makecontext was the only
     * reader of uc_stack and the stack was just unpoisoned: hide it. */
    f->uc.uc_stack.ss_sp = NULL;
    f->uc.uc_stack.ss_size = 0;
#endif
    f->fake_stack = NULL;
    f->live = true;
    return TILEC_OK;
}

static void fiber_free(sim_fiber *f)
{
    if (f == NULL) return;
    free(f->copies);
    if (f->map != NULL) munmap(f->map, f->map_bytes);
    free(f);
}

static tilec_status fiber_alloc(sim_worker *w, int32_t index, sim_fiber **out, char *msg, size_t msgcap)
{
    sim_fiber *f = calloc(1, sizeof *f);
    if (f == NULL) {
        snprintf(msg, msgcap, "sim: out of memory allocating thread %d's fiber", (int)index);
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    size_t guard = w->sim->guard;
    f->map_bytes = guard + SIM_STACK_BYTES;
    f->map = mmap(NULL, f->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        fiber_free(f);
        snprintf(msg, msgcap, "sim: cannot map a %zu-byte stack for thread %d: %s", SIM_STACK_BYTES, (int)index,
                 strerror(errno));
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    if (mprotect(f->map, guard, PROT_NONE) != 0) {
        snprintf(msg, msgcap, "sim: cannot protect the guard page of thread %d's stack: %s", (int)index,
                 strerror(errno));
        fiber_free(f);
        return TILEC_ERR_BACKEND;
    }
    f->stack = (char *)f->map + guard;
    f->w = w;
    f->index = index;
    *out = f;
    return TILEC_OK;
}

/* ------------------------------------------------------- the block */

static void enqueue(sim_worker *w, int32_t i)
{
    w->queue[(w->qhead + w->qlen) % w->job->ntid] = i;
    w->qlen++;
}

static void sim_barrier(tilec_sim_thread *self)
{
    sim_fiber *f = (sim_fiber *)self;
    sim_worker *w = f->w;
    int32_t ntid = w->job->ntid;
    if (++w->bar_arrived < ntid) {
        f->state = FIBER_BARRIER;
        fiber_park(f);
        return;
    }
    w->bar_arrived = 0;
    w->race_epoch++;
    for (int32_t i = 0; i < ntid; i++) {
        sim_fiber *g = w->fibers[i];
        if (g->state != FIBER_BARRIER) continue;
        g->state = FIBER_RUNNABLE;
        enqueue(w, i);
    }
}

static uint32_t sim_shfl_xor(tilec_sim_thread *self, uint32_t value, int32_t lane_mask)
{
    sim_fiber *f = (sim_fiber *)self;
    sim_worker *w = f->w;
    int32_t ws = w->job->warp_size, warp = f->index / ws, lane = f->index % ws;
    int32_t slot = warp * 2 + (int32_t)(f->shfl_calls++ & 1);
    uint32_t *vals = w->shfl_vals + (size_t)slot * (size_t)ws;
    vals[lane] = value;
    if (++w->shfl_arrived[slot] < ws) {
        f->state = FIBER_SHFL;
        fiber_park(f);
    } else {
        w->shfl_arrived[slot] = 0;
        for (int32_t i = warp * ws; i < warp * ws + ws; i++) {
            sim_fiber *g = w->fibers[i];
            if (g->state != FIBER_SHFL) continue;
            g->state = FIBER_RUNNABLE;
            enqueue(w, i);
        }
    }
    uint32_t src = (uint32_t)lane ^ (uint32_t)lane_mask;
    return src < (uint32_t)ws ? vals[src] : value;
}

/* ------------------------------------------------------- race checker */

static const char *const race_kind[] = {"read-after-write", "write-after-read", "write-after-write"};

/* Records the first conflict of the block. */
static void race_report(sim_worker *w, int kind, int32_t tid, int32_t other, size_t offset)
{
    if (w->race_failed) return;
    w->race_failed = true;
    static const char *const what[] = {"reads what thread %d wrote", "writes what thread %d read",
                                       "writes what thread %d wrote"};
    char tail[96];
    snprintf(tail, sizeof tail, what[kind], (int)other);
    snprintf(w->race_msg, sizeof w->race_msg,
             "sim race check: block (%d,%d,%d): %s race on shared memory at byte offset %zu: thread %d %s with "
             "no barrier between",
             (int)w->c[0], (int)w->c[1], (int)w->c[2], race_kind[kind], offset, (int)tid, tail);
}

/* Thread tid accesses [offset, offset + bytes) of the block's shared memory. */
static void race_check(sim_worker *w, int32_t tid, size_t offset, size_t bytes, bool is_write)
{
    if (!w->race_on || w->race_failed) return;
    size_t total = w->job->smem;
    if (offset > total || bytes > total - offset) {
        w->race_failed = true;
        snprintf(w->race_msg, sizeof w->race_msg,
                 "sim race check: block (%d,%d,%d): thread %d accesses bytes [%zu, %zu) of shared memory, outside the "
                 "block's %zu bytes", (int)w->c[0], (int)w->c[1], (int)w->c[2], (int)tid, offset, offset + bytes, total);
        return;
    }
    uint32_t e = w->race_epoch;
    for (size_t b = offset; b < offset + bytes; b++) {
        sim_race_cell *c = &w->race[b];
        if (is_write) {
            if (c->wepoch == e && c->writer != tid) {
                race_report(w, 2, tid, c->writer, b);
                return;
            }
            if (c->repoch == e && (c->reader1 != tid || c->reader2 >= 0)) {
                race_report(w, 1, tid, c->reader1 != tid ? c->reader1 : c->reader2, b);
                return;
            }
            c->wepoch = e;
            c->writer = (int16_t)tid;
        } else {
            if (c->wepoch == e && c->writer != tid) {
                race_report(w, 0, tid, c->writer, b);
                return;
            }
            if (c->repoch != e) {
                c->repoch = e;
                c->reader1 = (int16_t)tid;
                c->reader2 = -1;
            } else if (c->reader1 != tid && c->reader2 < 0) {
                c->reader2 = (int16_t)tid;
            }
        }
    }
}

/* A zero-byte access announces a kernel compiled with the race checker:
 * the first one in a block starts tracking it. */
static void sim_smem_access(tilec_sim_thread *self, uint32_t offset, uint32_t bytes, int32_t is_write)
{
    sim_fiber *f = (sim_fiber *)self;
    sim_worker *w = f->w;
    if (bytes == 0) {
        if (w->race_on || w->race_failed) return;
        size_t n = w->job->smem;
        if (w->race_cap < n) {
            sim_race_cell *cells = malloc(n * sizeof *cells);
            if (cells == NULL) {
                w->race_failed = true;
                snprintf(w->race_msg, sizeof w->race_msg, "sim race check: out of memory tracking %zu bytes of shared "
                         "memory", n);
                return;
            }
            free(w->race);
            w->race = cells;
            w->race_cap = n;
        }
        memset(w->race, 0, n * sizeof *w->race);
        w->race_on = true;
        w->race_epoch = 1;
        return;
    }
    race_check(w, f->index, offset, bytes, is_write != 0);
}

/* -------------------------------------------------- asynchronous copies */

static void sim_async_copy(tilec_sim_thread *self, void *dst, const void *src, int32_t bytes)
{
    sim_fiber *f = (sim_fiber *)self;
    if (f->ncopies == f->copy_cap) {
        if (f->copy_head > 0) { /* drop the landed ones */
            memmove(f->copies, f->copies + f->copy_head, (f->ncopies - f->copy_head) * sizeof *f->copies);
            f->ncopies -= f->copy_head;
            f->copy_head = 0;
        }
        if (f->ncopies == f->copy_cap) {
            uint32_t cap = f->copy_cap ? 2 * f->copy_cap : 64;
            sim_pending_copy *c = realloc(f->copies, cap * sizeof *c);
            if (c == NULL) { /* no room to queue it: copy now (still correct data) */
                race_check(f->w, f->index, (size_t)((char *)dst - (char *)f->t.smem), (size_t)bytes, true);
                memcpy(dst, src, (size_t)bytes);
                return;
            }
            f->copies = c;
            f->copy_cap = cap;
        }
    }
    f->copies[f->ncopies++] = (sim_pending_copy){dst, src, (uint32_t)bytes, f->committed};
}

static void sim_async_commit(tilec_sim_thread *self)
{
    sim_fiber *f = (sim_fiber *)self;
    f->committed++;
}

/* Lands whole groups, oldest first, until at most `pending` committed
 * groups are in flight; copies of the open group stay queued. */
static void sim_async_wait(tilec_sim_thread *self, int32_t pending)
{
    sim_fiber *f = (sim_fiber *)self;
    if (pending < 0) pending = 0;
    while (f->committed - f->landed > (uint32_t)pending) {
        while (f->copy_head < f->ncopies && f->copies[f->copy_head].group == f->landed) {
            const sim_pending_copy *c = &f->copies[f->copy_head++];
            race_check(f->w, f->index, (size_t)((char *)c->dst - (char *)f->t.smem), c->bytes, true);
            memcpy(c->dst, c->src, c->bytes);
        }
        f->landed++;
    }
    if (f->copy_head == f->ncopies) f->copy_head = f->ncopies = 0;
}

/* No thread can run but not all finished: says why, and marks the
 * abandoned fibers for a restart. */
static tilec_status deadlock(sim_worker *w, const int32_t c[3], char *msg, size_t msgcap)
{
    const sim_job *j = w->job;
    int32_t at_bar = 0, at_shfl = 0, shfl_warp = -1, shfl_lanes = 0;
    for (int32_t i = 0; i < j->ntid; i++) {
        sim_fiber *f = w->fibers[i];
        if (f->state == FIBER_DONE) continue;
        f->live = false;
        if (f->state == FIBER_BARRIER) at_bar++;
        if (f->state == FIBER_SHFL) {
            at_shfl++;
            if (shfl_warp < 0) shfl_warp = i / j->warp_size;
            if (i / j->warp_size == shfl_warp) shfl_lanes++;
        }
    }
    int n;
    if (at_bar > 0)
        n = snprintf(msg, msgcap, "sim: block (%d,%d,%d): %d of %d threads are waiting at a barrier that the others "
                     "never reached", (int)c[0], (int)c[1], (int)c[2], (int)at_bar, (int)j->ntid);
    else
        n = snprintf(msg, msgcap, "sim: block (%d,%d,%d): %d of %d threads are waiting in shfl_xor for lanes of "
                     "their warp that never called it (warp %d: %d of %d lanes)", (int)c[0], (int)c[1], (int)c[2],
                     (int)at_shfl, (int)j->ntid, (int)shfl_warp, (int)shfl_lanes, (int)j->warp_size);
    if (n >= 0 && (size_t)n < msgcap && w->ndone > 0)
        n += snprintf(msg + n, msgcap - (size_t)n, "; %d finished", (int)w->ndone);
    if (n >= 0 && (size_t)n < msgcap && at_bar > 0 && at_shfl > 0)
        snprintf(msg + n, msgcap - (size_t)n, "; %d are waiting in shfl_xor", (int)at_shfl);
    return TILEC_ERR_BACKEND;
}

/* Runs block number `index` of j on w's fibers until every thread finished
 * or none can go on. */
static tilec_status run_block(sim_worker *w, const sim_job *j, int64_t index, char *msg, size_t msgcap)
{
    int64_t r = index / j->grid[0];
    int32_t c[3] = {(int32_t)(index % j->grid[0]), (int32_t)(r % j->grid[1]), (int32_t)(r / j->grid[1])};
    if (j->smem > 0) memset(w->smem, SIM_SMEM_FILL, j->smem);
    w->job = j;
    w->c[0] = c[0];
    w->c[1] = c[1];
    w->c[2] = c[2];
    w->race_on = w->race_failed = false;
    w->race_epoch = 1;
    w->ndone = 0;
    w->bar_arrived = 0;
    w->qhead = w->qlen = 0;
    int32_t nwarps = j->ntid / j->warp_size;
    memset(w->shfl_arrived, 0, (size_t)nwarps * 2 * sizeof *w->shfl_arrived);
    for (int32_t i = 0; i < j->ntid; i++) {
        sim_fiber *f = w->fibers[i];
        f->t = (tilec_sim_thread){
            .tid = i,
            .ntid = j->ntid,
            .ctaid = {c[0], c[1], c[2]},
            .nctaid = {j->grid[0], j->grid[1], j->grid[2]},
            .smem = j->smem > 0 ? w->smem : NULL,
            .barrier = sim_barrier,
            .shfl_xor = sim_shfl_xor,
            .block = w,
            .async_copy = sim_async_copy,
            .async_commit = sim_async_commit,
            .async_wait = sim_async_wait,
            .smem_access = sim_smem_access,
        };
        f->state = FIBER_RUNNABLE;
        f->shfl_calls = 0;
        f->ncopies = f->copy_head = f->committed = f->landed = 0;
        if (!f->live) {
            tilec_status st = fiber_restart(f, msg, msgcap);
            if (st != TILEC_OK) return st;
        }
        enqueue(w, i);
    }
    while (w->qlen > 0) {
        sim_fiber *f = w->fibers[w->queue[w->qhead]];
        w->qhead = (w->qhead + 1) % j->ntid;
        w->qlen--;
        sim_asan_start(&w->sched_fake_stack, f->stack, SIM_STACK_BYTES);
        int e = swapcontext(&w->sched, &f->uc);
        sim_asan_finish(w->sched_fake_stack, NULL, NULL);
        if (e != 0) {
            snprintf(msg, msgcap, "sim: swapcontext failed: %s", strerror(errno));
            for (int32_t i = 0; i < j->ntid; i++)
                if (w->fibers[i]->state != FIBER_DONE) w->fibers[i]->live = false;
            return TILEC_ERR_BACKEND;
        }
    }
    if (w->ndone != j->ntid) return deadlock(w, c, msg, msgcap);
    if (w->race_failed) {
        snprintf(msg, msgcap, "%s", w->race_msg);
        return TILEC_ERR_BACKEND;
    }
    return TILEC_OK;
}

/* Grows w's fibers, queue, shuffle buffers and shared memory for j. */
static tilec_status worker_reserve(sim_worker *w, const sim_job *j, char *msg, size_t msgcap)
{
    if (w->nfibers < j->ntid) {
        sim_fiber **fs = realloc(w->fibers, (size_t)j->ntid * sizeof *fs);
        if (fs == NULL) {
            snprintf(msg, msgcap, "sim: out of memory allocating %d fibers", (int)j->ntid);
            return TILEC_ERR_OUT_OF_MEMORY;
        }
        w->fibers = fs;
        while (w->nfibers < j->ntid) {
            tilec_status st = fiber_alloc(w, w->nfibers, &fs[w->nfibers], msg, msgcap);
            if (st != TILEC_OK) return st;
            w->nfibers++;
        }
    }
    if (w->cap < j->ntid) {
        size_t n = (size_t)j->ntid;
        int32_t *q = malloc(n * sizeof *q), *arrived = malloc(2 * n * sizeof *arrived);
        uint32_t *vals = malloc(2 * n * sizeof *vals);
        if (q == NULL || arrived == NULL || vals == NULL) {
            free(q);
            free(arrived);
            free(vals);
            snprintf(msg, msgcap, "sim: out of memory allocating the scheduler of %d threads", (int)j->ntid);
            return TILEC_ERR_OUT_OF_MEMORY;
        }
        free(w->queue);
        free(w->shfl_arrived);
        free(w->shfl_vals);
        w->queue = q;
        w->shfl_arrived = arrived;
        w->shfl_vals = vals;
        w->cap = j->ntid;
    }
    if (w->smem_cap < j->smem) {
        size_t want = (j->smem + SIM_SMEM_ALIGN - 1) / SIM_SMEM_ALIGN * SIM_SMEM_ALIGN;
        void *p = aligned_alloc(SIM_SMEM_ALIGN, want);
        if (p == NULL) {
            snprintf(msg, msgcap, "sim: out of memory allocating %zu bytes of shared memory", want);
            return TILEC_ERR_OUT_OF_MEMORY;
        }
        free(w->smem);
        w->smem = p;
        w->smem_cap = want;
    }
    return TILEC_OK;
}

static void worker_free(sim_worker *w)
{
    for (int32_t i = 0; i < w->nfibers; i++) fiber_free(w->fibers[i]);
    free(w->fibers);
    free(w->queue);
    free(w->shfl_arrived);
    free(w->shfl_vals);
    free(w->smem);
    free(w->race);
}

/* -------------------------------------------------------------- the pool */

/* Takes blocks of j until they run out or some participant failed; the
 * first failure goes to s->st and s->msg. */
static void run_blocks(sim_state *s, sim_worker *w, const sim_job *j)
{
    char why[SIM_MSG_CAP];
    while (!atomic_load_explicit(&s->failed, memory_order_relaxed)) {
        int64_t i = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed);
        if (i >= j->total) break;
        tilec_status st = run_block(w, j, i, why, sizeof why);
        if (st == TILEC_OK) continue;
        pthread_mutex_lock(&s->mu);
        if (s->st == TILEC_OK) {
            s->st = st;
            snprintf(s->msg, sizeof s->msg, "%s", why);
        }
        pthread_mutex_unlock(&s->mu);
        atomic_store_explicit(&s->failed, true, memory_order_relaxed);
        break;
    }
}

static void *worker_main(void *arg)
{
    sim_worker *w = arg;
    sim_state *s = w->sim;
    uint64_t seen = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->shutdown && s->generation == seen) pthread_cond_wait(&s->wake, &s->mu);
        if (s->shutdown) break;
        seen = s->generation;
        const sim_job *j = s->job;
        bool take_part = w->index < s->active;
        pthread_mutex_unlock(&s->mu);
        if (take_part) run_blocks(s, w, j);
        pthread_mutex_lock(&s->mu);
        if (--s->pending == 0) pthread_cond_signal(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void sim_destroy(void *state)
{
    sim_state *s = state;
    if (s == NULL) return;
    pthread_mutex_lock(&s->mu);
    s->shutdown = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->mu);
    for (int32_t i = 1; i <= s->started; i++) pthread_join(s->workers[i].thread, NULL);
    for (int32_t i = 0; i < s->nworkers; i++) worker_free(&s->workers[i]);
    free(s->workers);
    pthread_cond_destroy(&s->done);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static tilec_status sim_create(const tilec_runtime_options *opt, int32_t device, void **state, char *msg,
                               size_t msgcap)
{
    *state = NULL;
    sim_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(msg, msgcap, "out of memory creating the sim backend");
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    s->nworkers = rt_choose_threads(opt);
    s->warp_size = SIM_DEFAULT_WARP_SIZE;
    long page = sysconf(_SC_PAGESIZE);
    s->guard = page > 0 ? (size_t)page : 4096;
    atomic_init(&s->next, 0);
    atomic_init(&s->failed, false);
    s->workers = calloc((size_t)s->nworkers, sizeof *s->workers);
    if (s->workers == NULL) {
        free(s);
        snprintf(msg, msgcap, "out of memory creating the sim backend");
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    int e = pthread_mutex_init(&s->mu, NULL);
    if (e == 0) {
        e = pthread_cond_init(&s->wake, NULL);
        if (e == 0) {
            e = pthread_cond_init(&s->done, NULL);
            if (e != 0) pthread_cond_destroy(&s->wake);
        }
        if (e != 0) pthread_mutex_destroy(&s->mu);
    }
    if (e != 0) {
        free(s->workers);
        free(s);
        snprintf(msg, msgcap, "cannot initialize the sim thread pool: %s", strerror(e));
        return TILEC_ERR_BACKEND;
    }
    for (int32_t i = 0; i < s->nworkers; i++) {
        s->workers[i].sim = s;
        s->workers[i].index = i;
    }
    for (int32_t i = 1; i < s->nworkers; i++) {
        e = pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]);
        if (e != 0) {
            sim_destroy(s);
            snprintf(msg, msgcap, "cannot start sim worker thread %d of %d: %s", (int)i, (int)s->nworkers - 1,
                     strerror(e));
            return TILEC_ERR_BACKEND;
        }
        s->started = i;
    }
    *state = s;
    return TILEC_OK;
}

static int32_t sim_num_threads(const void *state) { return ((const sim_state *)state)->nworkers; }

/* ------------------------------------------------------------- modules */

static tilec_status sim_module_load(void *state, const rt_module_image *img, void **module, char *msg,
                                    size_t msgcap)
{
    *module = NULL;
    if (img->sim == NULL && img->count > 0) {
        snprintf(msg, msgcap, "the sim backend needs sim kernel descriptions");
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    return TILEC_OK;
}

static void sim_module_unload(void *state, void *module) {}

static tilec_status sim_kernel_get(void *state, void *module, const rt_module_image *img, size_t index,
                                   const rt_signature *sig, rt_kernel_handle *out, char *msg, size_t msgcap)
{
    sim_state *s = state;
    const tilec_sim_kernel_desc *d = &img->sim[index];
    if (d->fn == NULL) {
        snprintf(msg, msgcap, "kernel '%s' has no function", sig->name);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    int32_t ws = d->warp_size;
    if (ws <= 0 || ws > SIM_MAX_BLOCK_THREADS || (ws & (ws - 1)) != 0) {
        snprintf(msg, msgcap, "kernel '%s' has warp size %d; the sim backend takes a power of two from 1 to %d",
                 sig->name, (int)ws, SIM_MAX_BLOCK_THREADS);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    int64_t threads = rt_gpu_block_threads(sig, ws);
    if (threads > SIM_MAX_BLOCK_THREADS) {
        snprintf(msg, msgcap, "kernel '%s' needs %lld threads per block (%d warps of %d) but the sim backend allows %d",
                 sig->name, (long long)threads, (int)(threads / ws), (int)ws, SIM_MAX_BLOCK_THREADS);
        return TILEC_ERR_UNSUPPORTED;
    }
    out->sim.fn = d->fn;
    out->sim.warp_size = ws;
    s->warp_size = ws;
    return TILEC_OK;
}

/* ------------------------------------------------------------ launching */

static tilec_status sim_launch(void *state, const rt_launch *l, char *msg, size_t msgcap)
{
    sim_state *s = state;
    void *params[RT_GPU_MAX_PARAMS];
    rt_gpu_params(l, params);
    sim_job j = {
        .fn = l->kernel.sim.fn,
        .params = params,
        .grid = {l->grid[0], l->grid[1], l->grid[2]},
        .total = l->total,
        .ntid = (int32_t)rt_gpu_block_threads(l->sig, l->kernel.sim.warp_size),
        .warp_size = l->kernel.sim.warp_size,
        .smem = (size_t)l->sig->smem,
    };
    int32_t active = l->total < s->nworkers ? (int32_t)l->total : s->nworkers;
    for (int32_t i = 0; i < active; i++) {
        tilec_status st = worker_reserve(&s->workers[i], &j, msg, msgcap);
        if (st != TILEC_OK) return st;
    }
    s->st = TILEC_OK;
    s->msg[0] = '\0';
    atomic_store_explicit(&s->failed, false, memory_order_relaxed);
    atomic_store_explicit(&s->next, 0, memory_order_relaxed);
    bool fan_out = active > 1;
    if (fan_out) {
        pthread_mutex_lock(&s->mu);
        s->job = &j;
        s->active = active;
        s->pending = s->nworkers - 1;
        s->generation++;
        pthread_cond_broadcast(&s->wake);
        pthread_mutex_unlock(&s->mu);
    }
    run_blocks(s, &s->workers[0], &j);
    pthread_mutex_lock(&s->mu);
    while (fan_out && s->pending > 0) pthread_cond_wait(&s->done, &s->mu);
    s->job = NULL;
    tilec_status st = s->st;
    if (st != TILEC_OK) snprintf(msg, msgcap, "%s", s->msg);
    pthread_mutex_unlock(&s->mu);
    return st;
}

static tilec_status sim_synchronize(void *state, char *msg, size_t msgcap) { return TILEC_OK; }

static tilec_status sim_device_info(void *state, tilec_device_props *out, char *msg, size_t msgcap)
{
    const sim_state *s = state;
    snprintf(out->name, sizeof out->name, "sim");
    snprintf(out->arch, sizeof out->arch, "sim");
    out->warp_size = s->warp_size;
    out->max_threads_per_block = SIM_MAX_BLOCK_THREADS;
    out->max_shared_per_block = RT_MAX_SMEM;
    out->max_shared_optin = RT_MAX_SMEM;
    out->multiprocessors = s->nworkers;
    return TILEC_OK;
}

/* "Device" memory is host memory. */
static tilec_status sim_mem_alloc(void *state, size_t bytes, void **dptr, char *msg, size_t msgcap)
{
    *dptr = malloc(bytes);
    if (*dptr != NULL) return TILEC_OK;
    snprintf(msg, msgcap, "out of memory allocating %zu bytes", bytes);
    return TILEC_ERR_OUT_OF_MEMORY;
}

static tilec_status sim_mem_free(void *state, void *dptr, char *msg, size_t msgcap)
{
    free(dptr);
    return TILEC_OK;
}

static tilec_status sim_copy(void *state, void *dst, const void *src, size_t bytes, char *msg, size_t msgcap)
{
    memmove(dst, src, bytes);
    return TILEC_OK;
}

const rt_backend rt_backend_sim = {
    .name = "sim",
    .create = sim_create,
    .destroy = sim_destroy,
    .num_threads = sim_num_threads,
    .module_load = sim_module_load,
    .module_unload = sim_module_unload,
    .kernel_get = sim_kernel_get,
    .launch = sim_launch,
    .synchronize = sim_synchronize,
    .device_info = sim_device_info,
    .mem_alloc = sim_mem_alloc,
    .mem_free = sim_mem_free,
    .copy_to_device = sim_copy,
    .copy_to_host = sim_copy,
};
