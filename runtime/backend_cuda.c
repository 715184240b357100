/*
 * backend_cuda.c — the CUDA backend: NVIDIA's driver API, found at run time
 * with dlopen (TILEC_CUDA_LIBRARY if set, else libcuda.so.1, else
 * libcuda.so), so the runtime has no link-time dependency on the driver and
 * does not include cuda.h: the few types, constants and entry points it uses
 * are declared below, with the exact exported symbol names (the `_v2`
 * versions that cuda.h's #defines select).
 *
 * One runtime = one device (tilec_runtime_create_ex) and its primary context,
 * retained at create and released at destroy; every call makes that context
 * current on the calling thread first, so a runtime may move between threads
 * (one at a time). Modules are loaded from PTX or a cubin; kernels are
 * launched on the default stream with the parameter ABI of tilec_runtime.h
 * (marshalled by gpu.c), one block per program instance, warps x warp size
 * threads and the signature's dynamic shared memory (opted in with
 * cuFuncSetAttribute above 48 KiB when the kernel is looked up).
 *
 * Errors: a missing library or entry point is TILEC_ERR_UNSUPPORTED with
 * what was looked for and where; a failed driver call is reported as
 * "cuXxx failed: NAME: description" (cuGetErrorName, cuGetErrorString) and
 * mapped by cuda_status. No state outside the cuda_state of one runtime.
 *
 * The MUSA backend is meant to be this file with cu/CU/CUDA/libcuda renamed
 * to mu/MU/MUSA/libmusa (docs/runtime.md).
 */
#include "backend.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------- the driver API subset used */

typedef int CUresult;                   /* CUDA_SUCCESS or a CUDA_ERROR_* */
typedef int CUdevice;
typedef unsigned long long CUdeviceptr; /* CUdeviceptr_v2 */
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;

enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_NOT_FOUND = 500,
};

/* CUdevice_attribute */
enum {
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
    CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10,
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
};

/* CUfunction_attribute */
enum { CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8 };

/* CUjit_option */
enum { CU_JIT_ERROR_LOG_BUFFER = 5, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6 };

/* X(member, exported symbol, parameters): every entry point, all returning
 * CUresult. C enums (attributes, JIT options) are passed as int. */
#define CUDA_API(X)                                                                                              \
    X(cuGetErrorName, "cuGetErrorName", (CUresult error, const char **str))                                      \
    X(cuGetErrorString, "cuGetErrorString", (CUresult error, const char **str))                                  \
    X(cuInit, "cuInit", (unsigned int flags))                                                                    \
    X(cuDeviceGetCount, "cuDeviceGetCount", (int *count))                                                        \
    X(cuDeviceGet, "cuDeviceGet", (CUdevice * dev, int ordinal))                                                 \
    X(cuDeviceGetName, "cuDeviceGetName", (char *name, int len, CUdevice dev))                                   \
    X(cuDeviceGetAttribute, "cuDeviceGetAttribute", (int *value, int attrib, CUdevice dev))                      \
    X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", (CUcontext * ctx, CUdevice dev))                     \
    X(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", (CUdevice dev))                                 \
    X(cuCtxSetCurrent, "cuCtxSetCurrent", (CUcontext ctx))                                                       \
    X(cuCtxSynchronize, "cuCtxSynchronize", (void))                                                              \
    X(cuModuleLoadDataEx, "cuModuleLoadDataEx",                                                                  \
      (CUmodule * mod, const void *image, unsigned int nopts, int *opts, void **values))                         \
    X(cuModuleUnload, "cuModuleUnload", (CUmodule mod))                                                          \
    X(cuModuleGetFunction, "cuModuleGetFunction", (CUfunction * fn, CUmodule mod, const char *name))             \
    X(cuFuncSetAttribute, "cuFuncSetAttribute", (CUfunction fn, int attrib, int value))                          \
    X(cuMemAlloc, "cuMemAlloc_v2", (CUdeviceptr * dptr, size_t bytes))                                           \
    X(cuMemFree, "cuMemFree_v2", (CUdeviceptr dptr))                                                             \
    X(cuMemcpyHtoD, "cuMemcpyHtoD_v2", (CUdeviceptr dst, const void *src, size_t bytes))                         \
    X(cuMemcpyDtoH, "cuMemcpyDtoH_v2", (void *dst, CUdeviceptr src, size_t bytes))                               \
    X(cuLaunchKernel, "cuLaunchKernel",                                                                          \
      (CUfunction fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,       \
       unsigned int bz, unsigned int smem, CUstream stream, void **params, void **extra))

#define X(member, symbol, params) typedef CUresult (*pfn_##member) params;
CUDA_API(X)
#undef X

/* Index of each entry point, for its symbol name in messages. */
enum {
#define X(member, symbol, params) SYM_##member,
    CUDA_API(X)
#undef X
    SYM_COUNT
};

static const char *const cuda_symbols[SYM_COUNT] = {
#define X(member, symbol, params) symbol,
    CUDA_API(X)
#undef X
};

typedef struct cuda_api {
#define X(member, symbol, params) pfn_##member member;
    CUDA_API(X)
#undef X
} cuda_api;

_Static_assert(sizeof(void *) == sizeof(CUdeviceptr), "device pointers travel in void * (tilec_tensor.data)");

#define PATH_CAP 512

typedef struct cuda_state {
    void *lib;                 /* the dlopen handle of the driver */
    char path[PATH_CAP];       /* what was dlopened, for messages */
    cuda_api api;
    CUdevice dev;
    CUcontext ctx;             /* the device's primary context, retained; NULL until then */
    tilec_device_props props;  /* queried at create */
} cuda_state;

/* ------------------------------------------------------------- errors */

/* The status a driver error maps to. */
static tilec_status cuda_status(CUresult r)
{
    switch (r) {
    case CUDA_ERROR_OUT_OF_MEMORY: return TILEC_ERR_OUT_OF_MEMORY;
    case CUDA_ERROR_NOT_FOUND: return TILEC_ERR_NOT_FOUND;
    case CUDA_ERROR_NO_DEVICE: return TILEC_ERR_UNSUPPORTED;
    default: return TILEC_ERR_BACKEND;
    }
}

/* TILEC_OK for CUDA_SUCCESS; otherwise writes "SYMBOL failed: NAME:
 * description" into msg and returns the mapped status. */
static tilec_status cuda_check(const cuda_state *s, int sym, CUresult r, char *msg, size_t msgcap)
{
    if (r == CUDA_SUCCESS) return TILEC_OK;
    const char *name = NULL, *str = NULL;
    if (s->api.cuGetErrorName(r, &name) != CUDA_SUCCESS) name = NULL;
    if (s->api.cuGetErrorString(r, &str) != CUDA_SUCCESS) str = NULL;
    if (name != NULL)
        snprintf(msg, msgcap, "%s failed: %s: %s", cuda_symbols[sym], name, str != NULL ? str : "(no description)");
    else
        snprintf(msg, msgcap, "%s failed: CUresult %d: (unknown to cuGetErrorName)", cuda_symbols[sym], (int)r);
    return cuda_status(r);
}

/* Calls one entry point: CU(s, msg, msgcap, cuMemAlloc, (&p, n)). */
#define CU(s, msg, msgcap, member, args) cuda_check((s), SYM_##member, (s)->api.member args, (msg), (msgcap))

/* Makes the runtime's context current on the calling thread. */
static tilec_status cuda_enter(const cuda_state *s, char *msg, size_t msgcap)
{
    return CU(s, msg, msgcap, cuCtxSetCurrent, (s->ctx));
}

/* ---------------------------------------------------- loading the driver */

static tilec_status cuda_open(cuda_state *s, char *msg, size_t msgcap)
{
    const char *env = getenv("TILEC_CUDA_LIBRARY");
    if (env != NULL && env[0] != '\0') {
        snprintf(s->path, sizeof s->path, "%s", env);
        s->lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
        if (s->lib == NULL) {
            const char *e = dlerror();
            snprintf(msg, msgcap, "cannot load the CUDA driver from TILEC_CUDA_LIBRARY=%s: %s", env,
                     e != NULL ? e : "dlopen failed");
            return TILEC_ERR_UNSUPPORTED;
        }
    } else {
        static const char *const names[] = {"libcuda.so.1", "libcuda.so"};
        char why[2][256];
        for (size_t i = 0; i < 2 && s->lib == NULL; i++) {
            s->lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
            const char *e = s->lib == NULL ? dlerror() : NULL;
            snprintf(why[i], sizeof why[i], "%s", e != NULL ? e : "dlopen failed");
            snprintf(s->path, sizeof s->path, "%s", names[i]);
        }
        if (s->lib == NULL) {
            snprintf(msg, msgcap,
                     "cannot load the CUDA driver: tried libcuda.so.1 (%s) and libcuda.so (%s); "
                     "TILEC_CUDA_LIBRARY may name it",
                     why[0], why[1]);
            return TILEC_ERR_UNSUPPORTED;
        }
    }
    void *syms[SYM_COUNT];
    for (int i = 0; i < SYM_COUNT; i++) {
        dlerror();
        syms[i] = dlsym(s->lib, cuda_symbols[i]);
        if (syms[i] == NULL) {
            snprintf(msg, msgcap, "the CUDA driver %s has no entry point %s", s->path, cuda_symbols[i]);
            return TILEC_ERR_UNSUPPORTED;
        }
    }
    /* dlsym gives object pointers; POSIX guarantees they convert to function pointers. */
    _Static_assert(sizeof(pfn_cuInit) == sizeof(void *), "function pointers are as wide as object pointers");
    int i = 0;
#define X(member, symbol, params) memcpy(&s->api.member, &syms[i++], sizeof s->api.member);
    CUDA_API(X)
#undef X
    return TILEC_OK;
}

/* ------------------------------------------------------------ runtime */

static void cuda_destroy(void *state)
{
    cuda_state *s = state;
    if (s == NULL) return;
    if (s->ctx != NULL) {
        s->api.cuCtxSetCurrent(NULL);
        s->api.cuDevicePrimaryCtxRelease(s->dev);
    }
    if (s->lib != NULL) dlclose(s->lib);
    free(s);
}

/* Reads the device's name and the attributes tilec_device_props reports. */
static tilec_status cuda_query(cuda_state *s, char *msg, size_t msgcap)
{
    tilec_device_props *p = &s->props;
    tilec_status st = CU(s, msg, msgcap, cuDeviceGetName, (p->name, (int)sizeof p->name, s->dev));
    if (st != TILEC_OK) return st;
    p->name[sizeof p->name - 1] = '\0';
    static const struct {
        int attrib;
        size_t offset;
    } attrs[] = {
        {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, offsetof(tilec_device_props, cc_major)},
        {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, offsetof(tilec_device_props, cc_minor)},
        {CU_DEVICE_ATTRIBUTE_WARP_SIZE, offsetof(tilec_device_props, warp_size)},
        {CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, offsetof(tilec_device_props, max_threads_per_block)},
        {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, offsetof(tilec_device_props, max_shared_per_block)},
        {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, offsetof(tilec_device_props, max_shared_optin)},
        {CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, offsetof(tilec_device_props, multiprocessors)},
    };
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        int v = 0;
        st = CU(s, msg, msgcap, cuDeviceGetAttribute, (&v, attrs[i].attrib, s->dev));
        if (st != TILEC_OK) return st;
        int32_t v32 = v;
        memcpy((char *)p + attrs[i].offset, &v32, sizeof v32);
    }
    if (p->warp_size <= 0) {
        snprintf(msg, msgcap, "the CUDA driver reports warp size %d for device '%s'", (int)p->warp_size, p->name);
        return TILEC_ERR_BACKEND;
    }
    return TILEC_OK;
}

static tilec_status cuda_create(const tilec_runtime_options *opt, int32_t device, void **state, char *msg,
                                size_t msgcap)
{
    *state = NULL;
    cuda_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(msg, msgcap, "out of memory creating the CUDA backend");
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    tilec_status st = cuda_open(s, msg, msgcap);
    int count = 0;
    if (st == TILEC_OK) st = CU(s, msg, msgcap, cuInit, (0));
    if (st == TILEC_OK) st = CU(s, msg, msgcap, cuDeviceGetCount, (&count));
    if (st == TILEC_OK && count <= 0) {
        snprintf(msg, msgcap, "no CUDA device: the driver %s sees none", s->path);
        st = TILEC_ERR_UNSUPPORTED;
    }
    if (st == TILEC_OK && device >= count) {
        snprintf(msg, msgcap, "no CUDA device %d: the driver sees %d (0 to %d)", (int)device, count, count - 1);
        st = TILEC_ERR_INVALID_ARGUMENT;
    }
    if (st == TILEC_OK) st = CU(s, msg, msgcap, cuDeviceGet, (&s->dev, (int)device));
    if (st == TILEC_OK) st = cuda_query(s, msg, msgcap);
    if (st == TILEC_OK) st = CU(s, msg, msgcap, cuDevicePrimaryCtxRetain, (&s->ctx, s->dev));
    if (st == TILEC_OK) st = cuda_enter(s, msg, msgcap);
    if (st != TILEC_OK) {
        cuda_destroy(s);
        return st;
    }
    *state = s;
    return TILEC_OK;
}

static int32_t cuda_num_threads(const void *state) { return 0; }

static tilec_status cuda_device_info(void *state, tilec_device_props *out, char *msg, size_t msgcap)
{
    const cuda_state *s = state;
    *out = s->props;
    return TILEC_OK;
}

static tilec_status cuda_synchronize(void *state, char *msg, size_t msgcap)
{
    const cuda_state *s = state;
    tilec_status st = cuda_enter(s, msg, msgcap);
    return st != TILEC_OK ? st : CU(s, msg, msgcap, cuCtxSynchronize, ());
}

/* ------------------------------------------------------------- modules */

/* A cubin is an ELF image; anything else must be NUL-terminated PTX text.
 * A PTX compile error comes back with the JIT's error log. */
static tilec_status cuda_module_load(void *state, const rt_module_image *img, void **module, char *msg,
                                     size_t msgcap)
{
    const cuda_state *s = state;
    *module = NULL;
    const unsigned char *b = img->binary;
    bool elf = img->binary_size >= 4 && memcmp(b, "\177ELF", 4) == 0;
    if (!elf && memchr(b, '\0', img->binary_size) == NULL) {
        snprintf(msg, msgcap,
                 "the image is neither a cubin (ELF) nor PTX text with its terminating NUL within its %zu bytes",
                 img->binary_size);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    tilec_status st = cuda_enter(s, msg, msgcap);
    if (st != TILEC_OK) return st;
    char log[2048] = "";
    int opts[2] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[2] = {log, (void *)(uintptr_t)sizeof log};
    CUmodule mod = NULL;
    st = CU(s, msg, msgcap, cuModuleLoadDataEx, (&mod, b, 2, opts, values));
    if (st != TILEC_OK) {
        log[sizeof log - 1] = '\0';
        size_t n = strlen(msg);
        if (log[0] != '\0' && n < msgcap) snprintf(msg + n, msgcap - n, "; JIT log: %s", log);
        return st;
    }
    *module = mod;
    return TILEC_OK;
}

static void cuda_module_unload(void *state, void *module)
{
    const cuda_state *s = state;
    if (module == NULL) return;
    s->api.cuCtxSetCurrent(s->ctx);
    s->api.cuModuleUnload(module);
}

/* Looks up the kernel's entry, checks its block fits the device and opts in
 * to its dynamic shared memory when it exceeds the default 48 KiB. */
static tilec_status cuda_kernel_get(void *state, void *module, const rt_module_image *img, size_t index,
                                    const rt_signature *sig, rt_kernel_handle *out, char *msg, size_t msgcap)
{
    const cuda_state *s = state;
    const tilec_device_props *p = &s->props;
    const char *entry = img->gpu[index].entry != NULL ? img->gpu[index].entry : sig->name;
    int64_t threads = rt_gpu_block_threads(sig, p->warp_size);
    if (threads > p->max_threads_per_block) {
        snprintf(msg, msgcap, "kernel '%s' needs %lld threads per block (%d warps of %d) but device '%s' allows %d",
                 sig->name, (long long)threads, (int)(threads / p->warp_size), (int)p->warp_size, p->name,
                 (int)p->max_threads_per_block);
        return TILEC_ERR_UNSUPPORTED;
    }
    int64_t limit = p->max_shared_optin > p->max_shared_per_block ? p->max_shared_optin : p->max_shared_per_block;
    if (sig->smem > limit) {
        snprintf(msg, msgcap, "kernel '%s' needs %lld bytes of shared memory per block but device '%s' allows %lld",
                 sig->name, (long long)sig->smem, p->name, (long long)limit);
        return TILEC_ERR_UNSUPPORTED;
    }
    tilec_status st = cuda_enter(s, msg, msgcap);
    if (st != TILEC_OK) return st;
    CUfunction fn = NULL;
    char why[512];
    st = CU(s, why, sizeof why, cuModuleGetFunction, (&fn, module, entry));
    if (st != TILEC_OK) {
        snprintf(msg, msgcap, "entry '%.200s' of kernel '%s': %s", entry, sig->name, why);
        return st;
    }
    if (sig->smem > RT_GPU_DEFAULT_SMEM) {
        st = CU(s, msg, msgcap, cuFuncSetAttribute, (fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, (int)sig->smem));
        if (st != TILEC_OK) return st;
    }
    out->device = fn;
    return TILEC_OK;
}

/* ------------------------------------------------------------ launching */

static tilec_status cuda_launch(void *state, const rt_launch *l, char *msg, size_t msgcap)
{
    const cuda_state *s = state;
    void *params[RT_GPU_MAX_PARAMS];
    rt_gpu_params(l, params);
    unsigned int block = (unsigned int)rt_gpu_block_threads(l->sig, s->props.warp_size);
    tilec_status st = cuda_enter(s, msg, msgcap);
    if (st != TILEC_OK) return st;
    return CU(s, msg, msgcap, cuLaunchKernel,
              (l->kernel.device, (unsigned int)l->grid[0], (unsigned int)l->grid[1], (unsigned int)l->grid[2], block,
               1, 1, (unsigned int)l->sig->smem, NULL, params, NULL));
}

/* ------------------------------------------------------- device memory */

static tilec_status cuda_mem_alloc(void *state, size_t bytes, void **dptr, char *msg, size_t msgcap)
{
    const cuda_state *s = state;
    tilec_status st = cuda_enter(s, msg, msgcap);
    if (st != TILEC_OK) return st;
    CUdeviceptr p = 0;
    st = CU(s, msg, msgcap, cuMemAlloc, (&p, bytes));
    if (st == TILEC_OK) *dptr = (void *)(uintptr_t)p;
    return st;
}

static tilec_status cuda_mem_free(void *state, void *dptr, char *msg, size_t msgcap)
{
    const cuda_state *s = state;
    tilec_status st = cuda_enter(s, msg, msgcap);
    return st != TILEC_OK ? st : CU(s, msg, msgcap, cuMemFree, ((CUdeviceptr)(uintptr_t)dptr));
}

static tilec_status cuda_copy_to_device(void *state, void *dst, const void *src, size_t bytes, char *msg,
                                        size_t msgcap)
{
    const cuda_state *s = state;
    tilec_status st = cuda_enter(s, msg, msgcap);
    return st != TILEC_OK ? st : CU(s, msg, msgcap, cuMemcpyHtoD, ((CUdeviceptr)(uintptr_t)dst, src, bytes));
}

static tilec_status cuda_copy_to_host(void *state, void *dst, const void *src, size_t bytes, char *msg,
                                      size_t msgcap)
{
    const cuda_state *s = state;
    tilec_status st = cuda_enter(s, msg, msgcap);
    return st != TILEC_OK ? st : CU(s, msg, msgcap, cuMemcpyDtoH, (dst, (CUdeviceptr)(uintptr_t)src, bytes));
}

const rt_backend rt_backend_cuda = {
    .name = "cuda",
    .create = cuda_create,
    .destroy = cuda_destroy,
    .num_threads = cuda_num_threads,
    .module_load = cuda_module_load,
    .module_unload = cuda_module_unload,
    .kernel_get = cuda_kernel_get,
    .launch = cuda_launch,
    .synchronize = cuda_synchronize,
    .device_info = cuda_device_info,
    .mem_alloc = cuda_mem_alloc,
    .mem_free = cuda_mem_free,
    .copy_to_device = cuda_copy_to_device,
    .copy_to_host = cuda_copy_to_host,
};
