/*
 * backend_cpu.c — the CPU backend: kernels are tilec_cpu_fn pointers, and
 * their program instances run on a persistent thread pool made with the
 * runtime.
 *
 * The pool has nthreads participants: nthreads - 1 worker threads plus the
 * thread that launches (participant 0). A launch publishes the job under the
 * mutex, bumps the generation and wakes the workers; every participant takes
 * instance numbers from one atomic counter over the linearized grid (axis 0
 * fastest) until they run out. The launch returns only after every worker
 * has checked in for that generation, so no worker touches a job after its
 * launch returned.
 *
 * Invariants: each participant owns a scratch buffer, 64-byte aligned, of
 * scratch_cap bytes; launch grows all of them to the kernel's scratch bytes
 * before any instance runs, so a failed allocation leaves nothing half run.
 * `pending` counts the workers that have not finished the current generation.
 * The device memory calls work on host memory (malloc, memmove), so code
 * written against them runs on the CPU and on a GPU backend alike.
 */
#include "backend.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCRATCH_ALIGN 64

typedef struct cpu_pool cpu_pool;

typedef struct cpu_worker {
    cpu_pool *pool;
    pthread_t thread;   /* unused for participant 0 */
    void *scratch;      /* SCRATCH_ALIGN-aligned, scratch_cap bytes, or NULL */
    size_t scratch_cap;
} cpu_worker;

struct cpu_pool {
    int32_t nthreads;        /* participants, the launching thread included */
    int32_t started;         /* worker threads running (participants 1..started) */
    cpu_worker *workers;     /* nthreads of them */
    pthread_mutex_t mu;
    pthread_cond_t wake;     /* signalled when generation changes or on shutdown */
    pthread_cond_t done;     /* signalled when pending drops to 0 */
    uint64_t generation;     /* bumped by each launch; guarded by mu */
    int32_t pending;         /* guarded by mu */
    bool shutdown;           /* guarded by mu */
    const rt_launch *job;    /* the current launch; guarded by mu */
    atomic_int_fast64_t next; /* next linear instance number to run */
};

/* Runs instances of l until the shared counter passes the end. */
static void run_instances(cpu_pool *pool, const rt_launch *l, void *scratch)
{
    int64_t g0 = l->grid[0], g1 = l->grid[1];
    /* the launch word (tilec_cpu_fn): a new launch begins for this worker */
    if (scratch != NULL && l->sig->scratch >= 8) memset(scratch, 0, 8);
    for (;;) {
        int64_t i = atomic_fetch_add_explicit(&pool->next, 1, memory_order_relaxed);
        if (i >= l->total) break;
        int64_t r = i / g0;
        l->kernel.cpu(l->args, l->sizes, l->grid, (int32_t)(i % g0), (int32_t)(r % g1), (int32_t)(r / g1),
                      scratch);
    }
}

static void *worker_main(void *arg)
{
    cpu_worker *w = arg;
    cpu_pool *pool = w->pool;
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (!pool->shutdown && pool->generation == seen) pthread_cond_wait(&pool->wake, &pool->mu);
        if (pool->shutdown) break;
        seen = pool->generation;
        const rt_launch *l = pool->job;
        pthread_mutex_unlock(&pool->mu);
        run_instances(pool, l, w->scratch);
        pthread_mutex_lock(&pool->mu);
        if (--pool->pending == 0) pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

/* The rule is in backend.h; the sim backend uses it too. */
int32_t rt_choose_threads(const tilec_runtime_options *opt)
{
    long n = opt->num_threads;
    if (n <= 0) {
        const char *env = getenv("TILEC_NUM_THREADS");
        char *end = NULL;
        long v = 0;
        if (env != NULL && env[0] >= '0' && env[0] <= '9') {
            errno = 0;
            v = strtol(env, &end, 10);
            if (errno != 0 || *end != '\0') v = 0;
        }
        n = v > 0 ? v : sysconf(_SC_NPROCESSORS_ONLN);
    }
    if (n < 1) n = 1;
    if (n > RT_MAX_THREADS) n = RT_MAX_THREADS;
    return (int32_t)n;
}

static void pool_stop(cpu_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    pool->shutdown = true;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    for (int32_t i = 1; i <= pool->started; i++) pthread_join(pool->workers[i].thread, NULL);
    pool->started = 0;
}

static void cpu_destroy(void *state)
{
    cpu_pool *pool = state;
    if (pool == NULL) return;
    pool_stop(pool);
    for (int32_t i = 0; i < pool->nthreads; i++) free(pool->workers[i].scratch);
    free(pool->workers);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mu);
    free(pool);
}

static tilec_status cpu_create(const tilec_runtime_options *opt, int32_t device, void **state, char *msg,
                               size_t msgcap)
{
    *state = NULL;
    cpu_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL) {
        snprintf(msg, msgcap, "out of memory creating the CPU thread pool");
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    pool->nthreads = rt_choose_threads(opt);
    atomic_init(&pool->next, 0);
    pool->workers = calloc((size_t)pool->nthreads, sizeof *pool->workers);
    if (pool->workers == NULL) {
        free(pool);
        snprintf(msg, msgcap, "out of memory creating the CPU thread pool");
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    int e = pthread_mutex_init(&pool->mu, NULL);
    if (e == 0) {
        e = pthread_cond_init(&pool->wake, NULL);
        if (e == 0) {
            e = pthread_cond_init(&pool->done, NULL);
            if (e != 0) pthread_cond_destroy(&pool->wake);
        }
        if (e != 0) pthread_mutex_destroy(&pool->mu);
    }
    if (e != 0) {
        free(pool->workers);
        free(pool);
        snprintf(msg, msgcap, "cannot initialize the CPU thread pool: %s", strerror(e));
        return TILEC_ERR_BACKEND;
    }
    for (int32_t i = 0; i < pool->nthreads; i++) pool->workers[i].pool = pool;
    for (int32_t i = 1; i < pool->nthreads; i++) {
        e = pthread_create(&pool->workers[i].thread, NULL, worker_main, &pool->workers[i]);
        if (e != 0) {
            cpu_destroy(pool);
            snprintf(msg, msgcap, "cannot start CPU worker thread %d of %d: %s", (int)i, (int)pool->nthreads - 1,
                     strerror(e));
            return TILEC_ERR_BACKEND;
        }
        pool->started = i;
    }
    *state = pool;
    return TILEC_OK;
}

static int32_t cpu_num_threads(const void *state) { return ((const cpu_pool *)state)->nthreads; }

static tilec_status cpu_module_load(void *state, const rt_module_image *img, void **module, char *msg,
                                    size_t msgcap)
{
    if (img->cpu == NULL && img->count > 0) {
        snprintf(msg, msgcap, "the CPU backend needs CPU kernel descriptions");
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    *module = NULL;
    return TILEC_OK;
}

static void cpu_module_unload(void *state, void *module) {}

static tilec_status cpu_kernel_get(void *state, void *module, const rt_module_image *img, size_t index,
                                   const rt_signature *sig, rt_kernel_handle *out, char *msg, size_t msgcap)
{
    if (img->cpu[index].fn == NULL) {
        snprintf(msg, msgcap, "kernel '%s' has no function", sig->name);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    out->cpu = img->cpu[index].fn;
    return TILEC_OK;
}

/* Grows every participant's scratch buffer to at least bytes. */
static tilec_status grow_scratch(cpu_pool *pool, size_t bytes, char *msg, size_t msgcap)
{
    size_t want = (bytes + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
    for (int32_t i = 0; i < pool->nthreads; i++) {
        cpu_worker *w = &pool->workers[i];
        if (w->scratch_cap >= want) continue;
        void *p = aligned_alloc(SCRATCH_ALIGN, want);
        if (p == NULL) {
            snprintf(msg, msgcap, "out of memory allocating %zu bytes of scratch", want);
            return TILEC_ERR_OUT_OF_MEMORY;
        }
        free(w->scratch);
        w->scratch = p;
        w->scratch_cap = want;
    }
    return TILEC_OK;
}

static tilec_status cpu_launch(void *state, const rt_launch *l, char *msg, size_t msgcap)
{
    cpu_pool *pool = state;
    tilec_status st = grow_scratch(pool, (size_t)l->sig->scratch, msg, msgcap);
    if (st != TILEC_OK) return st;
    atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
    bool fan_out = pool->nthreads > 1 && l->total > 1;
    if (fan_out) {
        pthread_mutex_lock(&pool->mu);
        pool->job = l;
        pool->pending = pool->nthreads - 1;
        pool->generation++;
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mu);
    }
    run_instances(pool, l, pool->workers[0].scratch);
    if (fan_out) {
        pthread_mutex_lock(&pool->mu);
        while (pool->pending > 0) pthread_cond_wait(&pool->done, &pool->mu);
        pool->job = NULL;
        pthread_mutex_unlock(&pool->mu);
    }
    return TILEC_OK;
}

static tilec_status cpu_synchronize(void *state, char *msg, size_t msgcap) { return TILEC_OK; }

static tilec_status cpu_device_info(void *state, tilec_device_props *out, char *msg, size_t msgcap)
{
    const cpu_pool *pool = state;
    snprintf(out->name, sizeof out->name, "cpu");
    snprintf(out->arch, sizeof out->arch, "cpu");
    out->warp_size = 1;
    out->max_threads_per_block = 1;
    out->multiprocessors = pool->nthreads;
    return TILEC_OK;
}

/* "Device" memory is host memory, so code written for a GPU runs here too. */
static tilec_status cpu_mem_alloc(void *state, size_t bytes, void **dptr, char *msg, size_t msgcap)
{
    *dptr = malloc(bytes);
    if (*dptr != NULL) return TILEC_OK;
    snprintf(msg, msgcap, "out of memory allocating %zu bytes", bytes);
    return TILEC_ERR_OUT_OF_MEMORY;
}

static tilec_status cpu_mem_free(void *state, void *dptr, char *msg, size_t msgcap)
{
    free(dptr);
    return TILEC_OK;
}

static tilec_status cpu_copy(void *state, void *dst, const void *src, size_t bytes, char *msg, size_t msgcap)
{
    memmove(dst, src, bytes);
    return TILEC_OK;
}

const rt_backend rt_backend_cpu = {
    .name = "cpu",
    .create = cpu_create,
    .destroy = cpu_destroy,
    .num_threads = cpu_num_threads,
    .module_load = cpu_module_load,
    .module_unload = cpu_module_unload,
    .kernel_get = cpu_kernel_get,
    .launch = cpu_launch,
    .synchronize = cpu_synchronize,
    .device_info = cpu_device_info,
    .mem_alloc = cpu_mem_alloc,
    .mem_free = cpu_mem_free,
    .copy_to_device = cpu_copy,
    .copy_to_host = cpu_copy,
};
