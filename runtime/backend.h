/*
 * backend.h — the internal interface between the backend-independent part
 * of the runtime (runtime.c: handles, messages, signatures, argument checks,
 * the grid) and one backend (backend_cpu.c; backend_driver.c, which serves
 * CUDA and MUSA from one implementation and a description of each vendor;
 * backend_sim.c, which runs kernels compiled for a simulated GPU).
 *
 * A backend only loads code and runs a launch that runtime.c has already
 * checked: it never sees an argument that does not match the signature, a
 * grid extent outside [1, INT32_MAX], or a launch with nothing to run.
 * A backend reports failures by status plus a message written into the
 * msg buffer it is given (which ends on the runtime handle); it keeps no
 * global state, so two runtimes are independent.
 */
#ifndef TILEC_RT_BACKEND_H
#define TILEC_RT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "signature.h"
#include "tilec_runtime.h"

#define RT_MAX_THREADS 1024

/* The code of one module as given to tilec_module_load_*. Exactly one of
 * cpu, gpu and sim is set (when count > 0). */
typedef struct rt_module_image {
    const tilec_cpu_kernel_desc *cpu; /* CPU: the kernels, count of them */
    const tilec_gpu_kernel_desc *gpu; /* GPU backends: the kernels, count of them */
    const tilec_sim_kernel_desc *sim; /* sim: the kernels, count of them */
    size_t count;
    const void *binary;               /* GPU backends: PTX text / cubin / mubin image */
    size_t binary_size;
} rt_module_image;

/* What a backend gives for one kernel of a loaded module. */
typedef union rt_kernel_handle {
    tilec_cpu_fn cpu; /* CPU backend */
    void *device;     /* GPU backends: CUfunction / MUfunction */
    struct {
        tilec_sim_fn fn;
        int32_t warp_size;
    } sim;            /* sim backend */
} rt_kernel_handle;

/* One checked launch. args follow the CPU ABI (tilec_cpu_fn); a GPU backend
 * marshals them into its own parameter buffer. */
typedef struct rt_launch {
    const rt_signature *sig;
    rt_kernel_handle kernel;
    void *const *args;     /* sig->nparams pointers */
    const int32_t *sizes;  /* sig->nsizes values */
    int32_t grid[3];       /* every extent >= 1 */
    int64_t total;         /* grid[0] * grid[1] * grid[2], >= 1 */
} rt_launch;

typedef struct rt_backend {
    const char *name;
    /* Makes the backend's state. opt is complete (every field set); device >= 0
     * is the device ordinal (GPU backends). */
    tilec_status (*create)(const tilec_runtime_options *opt, int32_t device, void **state, char *msg, size_t msgcap);
    void (*destroy)(void *state);
    int32_t (*num_threads)(const void *state);
    /* Loads a module's code; *module is the backend's handle for it (may be NULL). */
    tilec_status (*module_load)(void *state, const rt_module_image *img, void **module, char *msg, size_t msgcap);
    void (*module_unload)(void *state, void *module);
    /* The handle of kernel `index` of the module (its signature is sig). */
    tilec_status (*kernel_get)(void *state, void *module, const rt_module_image *img, size_t index,
                               const rt_signature *sig, rt_kernel_handle *out, char *msg, size_t msgcap);
    /* Runs every program instance of l: the CPU waits for all of them, a GPU
     * backend queues the launch on the device. */
    tilec_status (*launch)(void *state, const rt_launch *l, char *msg, size_t msgcap);
    /* Waits for everything queued. */
    tilec_status (*synchronize)(void *state, char *msg, size_t msgcap);
    /* Fills every field of *out but size. */
    tilec_status (*device_info)(void *state, tilec_device_props *out, char *msg, size_t msgcap);
    /* Device memory; runtime.c has handled 0 bytes, NULL pointers and empty copies. */
    tilec_status (*mem_alloc)(void *state, size_t bytes, void **dptr, char *msg, size_t msgcap);
    tilec_status (*mem_free)(void *state, void *dptr, char *msg, size_t msgcap);
    tilec_status (*copy_to_device)(void *state, void *dst, const void *src, size_t bytes, char *msg,
                                   size_t msgcap);
    tilec_status (*copy_to_host)(void *state, void *dst, const void *src, size_t bytes, char *msg, size_t msgcap);
} rt_backend;

extern const rt_backend rt_backend_cpu;
extern const rt_backend rt_backend_cuda;
extern const rt_backend rt_backend_musa;
extern const rt_backend rt_backend_sim;

/* Worker threads for a backend with a pool (CPU, sim), the launching thread
 * included: opt->num_threads if set, else TILEC_NUM_THREADS if it is a
 * positive integer, else the online cores; at most RT_MAX_THREADS. */
int32_t rt_choose_threads(const tilec_runtime_options *opt);

/* ------------------------------------------------ shared by GPU backends */

/* Kernel parameter values one GPU launch passes at most: a tensor gives
 * 1 + 2 * rank, a scalar 1, each size 1 (the ABI in tilec_runtime.h). */
#define RT_GPU_MAX_PARAMS (RT_MAX_PARAMS * (1 + 2 * TILEC_MAX_RANK) + RT_MAX_SIZES)
/* Dynamic shared memory a block gets without opting in (CUDA; MUSA assumed the same). */
#define RT_GPU_DEFAULT_SMEM (48 * 1024)
/* Warps per block when the signature says 0. */
#define RT_GPU_DEFAULT_WARPS 4

/* Fills params[] with pointers to each parameter value of l, in the GPU
 * ABI's order (pointing into l's frame, which outlives the launch call);
 * returns how many. params has RT_GPU_MAX_PARAMS slots. */
int32_t rt_gpu_params(const rt_launch *l, void **params);
/* Threads per block for sig on a device with warp_size: warps (0 means
 * RT_GPU_DEFAULT_WARPS) times warp_size. */
int64_t rt_gpu_block_threads(const rt_signature *sig, int32_t warp_size);

#endif
