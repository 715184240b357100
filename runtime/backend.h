/*
 * backend.h — the internal interface between the backend-independent part
 * of the runtime (runtime.c: handles, messages, signatures, argument checks,
 * the grid) and one backend (backend_cpu.c now; CUDA and MUSA drivers later).
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

/* The code of one module as given to tilec_module_load_*. */
typedef struct rt_module_image {
    const tilec_cpu_kernel_desc *cpu; /* CPU: the kernels, count of them */
    size_t count;
    const void *binary;               /* GPU backends: cubin / mubin image */
    size_t binary_size;
} rt_module_image;

/* What a backend gives for one kernel of a loaded module. */
typedef union rt_kernel_handle {
    tilec_cpu_fn cpu; /* CPU backend */
    void *device;     /* GPU backends: CUfunction / MUfunction */
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
    /* Makes the backend's state. opt is complete (every field set). */
    tilec_status (*create)(const tilec_runtime_options *opt, void **state, char *msg, size_t msgcap);
    void (*destroy)(void *state);
    int32_t (*num_threads)(const void *state);
    /* Loads a module's code; *module is the backend's handle for it (may be NULL). */
    tilec_status (*module_load)(void *state, const rt_module_image *img, void **module, char *msg, size_t msgcap);
    void (*module_unload)(void *state, void *module);
    /* The handle of kernel `index` of the module (its signature is sig). */
    tilec_status (*kernel_get)(void *state, void *module, const rt_module_image *img, size_t index,
                               const rt_signature *sig, rt_kernel_handle *out, char *msg, size_t msgcap);
    /* Runs every program instance of l and waits for all of them. */
    tilec_status (*launch)(void *state, const rt_launch *l, char *msg, size_t msgcap);
} rt_backend;

extern const rt_backend rt_backend_cpu;

#endif
