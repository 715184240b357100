/*
 * backend_driver.c — the GPU backends that drive a vendor's driver API: CUDA
 * (libcuda) and MUSA (libmusa, a one-to-one mirror of CUDA's driver API with
 * a `mu` prefix; /work/shared/MUSA.md). One implementation serves both; what
 * differs is a small const description of the vendor (driver_vendor): the
 * library and the variable that may name it, the prefix and the per-vendor
 * suffix of each entry point, the attribute numbers, the arch prefix, which
 * images it takes and the dynamic-shared-memory opt-in threshold.
 *
 * The driver is found at run time with dlopen (TILEC_<VENDOR>_LIBRARY if set,
 * else lib<vendor>.so.1, else lib<vendor>.so), so the runtime has no
 * link-time dependency on it and includes neither cuda.h nor musa.h: the few
 * types, constants and entry points it uses are declared below, each entry
 * point once, its exported name being prefix + base name + the vendor's
 * suffix (the `_v2` versions that cuda.h's #defines select; MUSA is assumed
 * to export the same `_v2` names, which MUSA.md says exist but which were not
 * checked against a real libmusa).
 *
 * One runtime = one device (tilec_runtime_create_ex) and its primary context,
 * retained at create and released at destroy; every call makes that context
 * current on the calling thread first, so a runtime may move between threads
 * (one at a time). Modules are loaded from memory: PTX or a cubin for CUDA
 * (cuModuleLoadDataEx, with a JIT error log), a mubin (an ELF image) for MUSA
 * (muModuleLoadData, which MUSA.md and FlagTree use). Kernels are launched on
 * the default stream with the parameter ABI of tilec_runtime.h (marshalled by
 * gpu.c), one block per program instance, warps x the device's warp size
 * threads (read, never assumed: 128 on MUSA mp_21/mp_22) and the signature's
 * dynamic shared memory (opted in with FuncSetAttribute above the vendor's
 * threshold when the kernel is looked up).
 *
 * Errors: a missing library or entry point is TILEC_ERR_UNSUPPORTED with
 * what was looked for and where; a failed driver call is reported as
 * "xxYyy failed: NAME: description" (xxGetErrorName, xxGetErrorString) and
 * mapped by driver_status. No state outside the driver_state of one runtime
 * (the vendor descriptions are const).
 */
#include "backend.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------- the driver API subset used */

/* The same types in both APIs (CUresult / MUresult, CUdevice / MUdevice, ...). */
typedef int drv_result;                   /* SUCCESS or an ERROR_* */
typedef int drv_device;
typedef unsigned long long drv_deviceptr; /* CUdeviceptr_v2 */
typedef struct drv_ctx_st *drv_context;
typedef struct drv_mod_st *drv_module;
typedef struct drv_func_st *drv_function;
typedef struct drv_stream_st *drv_stream;

/* Result codes the backend tells apart; MUSA.md lists 0, 2 and 100 with
 * CUDA's values, NOT_FOUND is assumed to mirror CUDA's too. */
enum {
    DRV_SUCCESS = 0,
    DRV_ERROR_OUT_OF_MEMORY = 2,
    DRV_ERROR_NO_DEVICE = 100,
    DRV_ERROR_NOT_FOUND = 500,
};

/* CUjit_option: only a vendor that takes PTX text passes them. */
enum { DRV_JIT_ERROR_LOG_BUFFER = 5, DRV_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6 };

/* X(base name, CUDA suffix, MUSA suffix, parameters): every entry point, all
 * returning drv_result. The exported symbol is the vendor's prefix, the base
 * name and the vendor's suffix; a NULL suffix means that vendor's backend
 * does not use the entry point (it is not looked up). C enums (attributes,
 * JIT options) are passed as int. */
#define DRIVER_API(X)                                                                                            \
    X(GetErrorName, "", "", (drv_result error, const char **str))                                                \
    X(GetErrorString, "", "", (drv_result error, const char **str))                                              \
    X(Init, "", "", (unsigned int flags))                                                                        \
    X(DeviceGetCount, "", "", (int *count))                                                                      \
    X(DeviceGet, "", "", (drv_device * dev, int ordinal))                                                        \
    X(DeviceGetName, "", "", (char *name, int len, drv_device dev))                                              \
    X(DeviceGetAttribute, "", "", (int *value, int attrib, drv_device dev))                                      \
    X(DevicePrimaryCtxRetain, "", "", (drv_context * ctx, drv_device dev))                                       \
    X(DevicePrimaryCtxRelease, "_v2", "_v2", (drv_device dev))                                                   \
    X(CtxSetCurrent, "", "", (drv_context ctx))                                                                  \
    X(CtxSynchronize, "", "", (void))                                                                            \
    X(ModuleLoadDataEx, "", NULL,                                                                                \
      (drv_module * mod, const void *image, unsigned int nopts, int *opts, void **values))                       \
    X(ModuleLoadData, NULL, "", (drv_module * mod, const void *image))                                           \
    X(ModuleUnload, "", "", (drv_module mod))                                                                    \
    X(ModuleGetFunction, "", "", (drv_function * fn, drv_module mod, const char *name))                          \
    X(FuncSetAttribute, "", "", (drv_function fn, int attrib, int value))                                        \
    X(MemAlloc, "_v2", "_v2", (drv_deviceptr * dptr, size_t bytes))                                              \
    X(MemFree, "_v2", "_v2", (drv_deviceptr dptr))                                                               \
    X(MemcpyHtoD, "_v2", "_v2", (drv_deviceptr dst, const void *src, size_t bytes))                              \
    X(MemcpyDtoH, "_v2", "_v2", (void *dst, drv_deviceptr src, size_t bytes))                                    \
    X(LaunchKernel, "", "",                                                                                      \
      (drv_function fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,     \
       unsigned int bz, unsigned int smem, drv_stream stream, void **params, void **extra))

#define X(base, cu, mu, params) typedef drv_result (*pfn_##base) params;
DRIVER_API(X)
#undef X

/* Index of each entry point. */
enum {
#define X(base, cu, mu, params) SYM_##base,
    DRIVER_API(X)
#undef X
    SYM_COUNT
};

static const char *const base_names[SYM_COUNT] = {
#define X(base, cu, mu, params) #base,
    DRIVER_API(X)
#undef X
};

static const char *const cuda_suffixes[SYM_COUNT] = {
#define X(base, cu, mu, params) cu,
    DRIVER_API(X)
#undef X
};

static const char *const musa_suffixes[SYM_COUNT] = {
#define X(base, cu, mu, params) mu,
    DRIVER_API(X)
#undef X
};

/* The device attributes queried, in the order of props_fields below. */
enum {
    ATTR_CC_MAJOR, ATTR_CC_MINOR, ATTR_WARP_SIZE, ATTR_MAX_THREADS_PER_BLOCK, ATTR_MAX_SHARED_PER_BLOCK,
    ATTR_MAX_SHARED_OPTIN, ATTR_MULTIPROCESSOR_COUNT, ATTR_COUNT
};

/* Where each attribute goes in tilec_device_props. */
static const size_t props_fields[ATTR_COUNT] = {
    [ATTR_CC_MAJOR] = offsetof(tilec_device_props, cc_major),
    [ATTR_CC_MINOR] = offsetof(tilec_device_props, cc_minor),
    [ATTR_WARP_SIZE] = offsetof(tilec_device_props, warp_size),
    [ATTR_MAX_THREADS_PER_BLOCK] = offsetof(tilec_device_props, max_threads_per_block),
    [ATTR_MAX_SHARED_PER_BLOCK] = offsetof(tilec_device_props, max_shared_per_block),
    [ATTR_MAX_SHARED_OPTIN] = offsetof(tilec_device_props, max_shared_optin),
    [ATTR_MULTIPROCESSOR_COUNT] = offsetof(tilec_device_props, multiprocessors),
};

/* What differs between the vendors' driver APIs. */
typedef struct driver_vendor {
    const char *name;             /* "CUDA": in messages */
    const char *env;              /* the variable that may name the library (a path) */
    const char *libs[2];          /* tried in order when env is unset */
    const char *prefix;           /* of every entry point: "cu" */
    const char *const *suffixes;  /* per entry point (SYM_*): "", "_v2", or NULL when not used */
    const char *result_type;      /* the result type, for a code the driver cannot name */
    const char *arch_prefix;      /* arch = prefix, major, minor: "sm_80", "mp_22" */
    const char *binary;           /* what the ELF image is called: "cubin" */
    bool ptx;                     /* also takes PTX text (ModuleLoadDataEx with a JIT log) */
    int32_t smem_optin_above;     /* dynamic shared memory above this many bytes needs the opt-in */
    int func_max_dynamic_smem;    /* the function attribute of the opt-in */
    int attrs[ATTR_COUNT];        /* the device attribute numbers */
} driver_vendor;

static const driver_vendor vendor_cuda = {
    .name = "CUDA",
    .env = "TILEC_CUDA_LIBRARY",
    .libs = {"libcuda.so.1", "libcuda.so"},
    .prefix = "cu",
    .suffixes = cuda_suffixes,
    .result_type = "CUresult",
    .arch_prefix = "sm_",
    .binary = "cubin",
    .ptx = true,
    .smem_optin_above = RT_GPU_DEFAULT_SMEM,
    .func_max_dynamic_smem = 8, /* CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES */
    .attrs = {[ATTR_CC_MAJOR] = 75, [ATTR_CC_MINOR] = 76, [ATTR_WARP_SIZE] = 10,
              [ATTR_MAX_THREADS_PER_BLOCK] = 1, [ATTR_MAX_SHARED_PER_BLOCK] = 8, [ATTR_MAX_SHARED_OPTIN] = 97,
              [ATTR_MULTIPROCESSOR_COUNT] = 16},
};

/* MUSA.md gives WARP_SIZE 10, MAX_THREADS_PER_BLOCK 1 and
 * MULTIPROCESSOR_COUNT 16 ("attributes mirror CUDA's numbering"); the other
 * numbers, the opt-in and its threshold are CUDA's, assumed mirrored. */
static const driver_vendor vendor_musa = {
    .name = "MUSA",
    .env = "TILEC_MUSA_LIBRARY",
    .libs = {"libmusa.so.1", "libmusa.so"},
    .prefix = "mu",
    .suffixes = musa_suffixes,
    .result_type = "MUresult",
    .arch_prefix = "mp_",
    .binary = "mubin",
    .ptx = false,
    .smem_optin_above = RT_GPU_DEFAULT_SMEM,
    .func_max_dynamic_smem = 8,
    .attrs = {[ATTR_CC_MAJOR] = 75, [ATTR_CC_MINOR] = 76, [ATTR_WARP_SIZE] = 10,
              [ATTR_MAX_THREADS_PER_BLOCK] = 1, [ATTR_MAX_SHARED_PER_BLOCK] = 8, [ATTR_MAX_SHARED_OPTIN] = 97,
              [ATTR_MULTIPROCESSOR_COUNT] = 16},
};

typedef struct driver_api {
#define X(base, cu, mu, params) pfn_##base base;
    DRIVER_API(X)
#undef X
} driver_api;

_Static_assert(sizeof(void *) == sizeof(drv_deviceptr), "device pointers travel in void * (tilec_tensor.data)");

#define PATH_CAP 512
#define SYM_CAP 48

typedef struct driver_state {
    const driver_vendor *v;
    void *lib;                      /* the dlopen handle of the driver */
    char path[PATH_CAP];            /* what was dlopened, for messages */
    char syms[SYM_COUNT][SYM_CAP];  /* each entry point's exported name */
    driver_api api;                 /* NULL where the vendor's suffix is NULL */
    drv_device dev;
    drv_context ctx;                /* the device's primary context, retained; NULL until then */
    tilec_device_props props;       /* queried at create */
} driver_state;

/* ------------------------------------------------------------- errors */

/* The status a driver error maps to. */
static tilec_status driver_status(drv_result r)
{
    switch (r) {
    case DRV_ERROR_OUT_OF_MEMORY: return TILEC_ERR_OUT_OF_MEMORY;
    case DRV_ERROR_NOT_FOUND: return TILEC_ERR_NOT_FOUND;
    case DRV_ERROR_NO_DEVICE: return TILEC_ERR_UNSUPPORTED;
    default: return TILEC_ERR_BACKEND;
    }
}

/* TILEC_OK for SUCCESS; otherwise writes "SYMBOL failed: NAME:
 * description" into msg and returns the mapped status. */
static tilec_status driver_check(const driver_state *s, int sym, drv_result r, char *msg, size_t msgcap)
{
    if (r == DRV_SUCCESS) return TILEC_OK;
    const char *name = NULL, *str = NULL;
    if (s->api.GetErrorName(r, &name) != DRV_SUCCESS) name = NULL;
    if (s->api.GetErrorString(r, &str) != DRV_SUCCESS) str = NULL;
    if (name != NULL)
        snprintf(msg, msgcap, "%s failed: %s: %s", s->syms[sym], name, str != NULL ? str : "(no description)");
    else
        snprintf(msg, msgcap, "%s failed: %s %d: (unknown to %s)", s->syms[sym], s->v->result_type, (int)r,
                 s->syms[SYM_GetErrorName]);
    return driver_status(r);
}

/* Calls one entry point: DRV(s, msg, msgcap, MemAlloc, (&p, n)). */
#define DRV(s, msg, msgcap, base, args) driver_check((s), SYM_##base, (s)->api.base args, (msg), (msgcap))

/* Makes the runtime's context current on the calling thread. */
static tilec_status driver_enter(const driver_state *s, char *msg, size_t msgcap)
{
    return DRV(s, msg, msgcap, CtxSetCurrent, (s->ctx));
}

/* ---------------------------------------------------- loading the driver */

static tilec_status driver_open(driver_state *s, char *msg, size_t msgcap)
{
    const driver_vendor *v = s->v;
    const char *env = getenv(v->env);
    if (env != NULL && env[0] != '\0') {
        snprintf(s->path, sizeof s->path, "%s", env);
        s->lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
        if (s->lib == NULL) {
            const char *e = dlerror();
            snprintf(msg, msgcap, "cannot load the %s driver from %s=%s: %s", v->name, v->env, env,
                     e != NULL ? e : "dlopen failed");
            return TILEC_ERR_UNSUPPORTED;
        }
    } else {
        char why[2][256];
        for (size_t i = 0; i < 2 && s->lib == NULL; i++) {
            s->lib = dlopen(v->libs[i], RTLD_NOW | RTLD_LOCAL);
            const char *e = s->lib == NULL ? dlerror() : NULL;
            snprintf(why[i], sizeof why[i], "%s", e != NULL ? e : "dlopen failed");
            snprintf(s->path, sizeof s->path, "%s", v->libs[i]);
        }
        if (s->lib == NULL) {
            snprintf(msg, msgcap, "cannot load the %s driver: tried %s (%s) and %s (%s); %s may name it", v->name,
                     v->libs[0], why[0], v->libs[1], why[1], v->env);
            return TILEC_ERR_UNSUPPORTED;
        }
    }
    void *syms[SYM_COUNT];
    for (int i = 0; i < SYM_COUNT; i++) {
        syms[i] = NULL;
        if (v->suffixes[i] == NULL) {
            snprintf(s->syms[i], sizeof s->syms[i], "(%s%s: not used)", v->prefix, base_names[i]);
            continue;
        }
        snprintf(s->syms[i], sizeof s->syms[i], "%s%s%s", v->prefix, base_names[i], v->suffixes[i]);
        dlerror();
        syms[i] = dlsym(s->lib, s->syms[i]);
        if (syms[i] == NULL) {
            snprintf(msg, msgcap, "the %s driver %s has no entry point %s", v->name, s->path, s->syms[i]);
            return TILEC_ERR_UNSUPPORTED;
        }
    }
    /* dlsym gives object pointers; POSIX guarantees they convert to function pointers. */
    _Static_assert(sizeof(pfn_Init) == sizeof(void *), "function pointers are as wide as object pointers");
    int i = 0;
#define X(base, cu, mu, params) memcpy(&s->api.base, &syms[i++], sizeof s->api.base);
    DRIVER_API(X)
#undef X
    return TILEC_OK;
}

/* ------------------------------------------------------------ runtime */

static void driver_destroy(void *state)
{
    driver_state *s = state;
    if (s == NULL) return;
    if (s->ctx != NULL) {
        s->api.CtxSetCurrent(NULL);
        s->api.DevicePrimaryCtxRelease(s->dev);
    }
    if (s->lib != NULL) dlclose(s->lib);
    free(s);
}

/* Reads the device's name and the attributes tilec_device_props reports;
 * the arch is the vendor's prefix and the compute capability. */
static tilec_status driver_query(driver_state *s, char *msg, size_t msgcap)
{
    tilec_device_props *p = &s->props;
    tilec_status st = DRV(s, msg, msgcap, DeviceGetName, (p->name, (int)sizeof p->name, s->dev));
    if (st != TILEC_OK) return st;
    p->name[sizeof p->name - 1] = '\0';
    for (int a = 0; a < ATTR_COUNT; a++) {
        int v = 0;
        st = DRV(s, msg, msgcap, DeviceGetAttribute, (&v, s->v->attrs[a], s->dev));
        if (st != TILEC_OK) return st;
        int32_t v32 = v;
        memcpy((char *)p + props_fields[a], &v32, sizeof v32);
    }
    if (p->warp_size <= 0) {
        snprintf(msg, msgcap, "the %s driver reports warp size %d for device '%s'", s->v->name, (int)p->warp_size,
                 p->name);
        return TILEC_ERR_BACKEND;
    }
    snprintf(p->arch, sizeof p->arch, "%s%d%d", s->v->arch_prefix, (int)p->cc_major, (int)p->cc_minor);
    return TILEC_OK;
}

static tilec_status driver_create(const driver_vendor *v, int32_t device, void **state, char *msg, size_t msgcap)
{
    *state = NULL;
    driver_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(msg, msgcap, "out of memory creating the %s backend", v->name);
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    s->v = v;
    tilec_status st = driver_open(s, msg, msgcap);
    int count = 0;
    if (st == TILEC_OK) st = DRV(s, msg, msgcap, Init, (0));
    if (st == TILEC_OK) st = DRV(s, msg, msgcap, DeviceGetCount, (&count));
    if (st == TILEC_OK && count <= 0) {
        snprintf(msg, msgcap, "no %s device: the driver %s sees none", v->name, s->path);
        st = TILEC_ERR_UNSUPPORTED;
    }
    if (st == TILEC_OK && device >= count) {
        snprintf(msg, msgcap, "no %s device %d: the driver sees %d (0 to %d)", v->name, (int)device, count,
                 count - 1);
        st = TILEC_ERR_INVALID_ARGUMENT;
    }
    if (st == TILEC_OK) st = DRV(s, msg, msgcap, DeviceGet, (&s->dev, (int)device));
    if (st == TILEC_OK) st = driver_query(s, msg, msgcap);
    if (st == TILEC_OK) st = DRV(s, msg, msgcap, DevicePrimaryCtxRetain, (&s->ctx, s->dev));
    if (st == TILEC_OK) st = driver_enter(s, msg, msgcap);
    if (st != TILEC_OK) {
        driver_destroy(s);
        return st;
    }
    *state = s;
    return TILEC_OK;
}

static tilec_status cuda_create(const tilec_runtime_options *opt, int32_t device, void **state, char *msg,
                                size_t msgcap)
{
    return driver_create(&vendor_cuda, device, state, msg, msgcap);
}

static tilec_status musa_create(const tilec_runtime_options *opt, int32_t device, void **state, char *msg,
                                size_t msgcap)
{
    return driver_create(&vendor_musa, device, state, msg, msgcap);
}

static int32_t driver_num_threads(const void *state) { return 0; }

static tilec_status driver_device_info(void *state, tilec_device_props *out, char *msg, size_t msgcap)
{
    const driver_state *s = state;
    *out = s->props;
    return TILEC_OK;
}

static tilec_status driver_synchronize(void *state, char *msg, size_t msgcap)
{
    const driver_state *s = state;
    tilec_status st = driver_enter(s, msg, msgcap);
    return st != TILEC_OK ? st : DRV(s, msg, msgcap, CtxSynchronize, ());
}

/* ------------------------------------------------------------- modules */

/* A cubin or a mubin is an ELF image; a vendor that takes PTX also takes
 * NUL-terminated text, loaded with a JIT error log that comes back with a
 * compile error. */
static tilec_status driver_module_load(void *state, const rt_module_image *img, void **module, char *msg,
                                       size_t msgcap)
{
    const driver_state *s = state;
    const driver_vendor *v = s->v;
    *module = NULL;
    const unsigned char *b = img->binary;
    bool elf = img->binary_size >= 4 && memcmp(b, "\177ELF", 4) == 0;
    if (!elf && !v->ptx) {
        snprintf(msg, msgcap, "the image is not a %s: its %zu bytes do not start with the ELF magic", v->binary,
                 img->binary_size);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    if (!elf && memchr(b, '\0', img->binary_size) == NULL) {
        snprintf(msg, msgcap,
                 "the image is neither a %s (ELF) nor PTX text with its terminating NUL within its %zu bytes",
                 v->binary, img->binary_size);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    tilec_status st = driver_enter(s, msg, msgcap);
    if (st != TILEC_OK) return st;
    drv_module mod = NULL;
    if (!v->ptx) {
        st = DRV(s, msg, msgcap, ModuleLoadData, (&mod, b));
        if (st != TILEC_OK) return st;
        *module = mod;
        return TILEC_OK;
    }
    char log[2048] = "";
    int opts[2] = {DRV_JIT_ERROR_LOG_BUFFER, DRV_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[2] = {log, (void *)(uintptr_t)sizeof log};
    st = DRV(s, msg, msgcap, ModuleLoadDataEx, (&mod, b, 2, opts, values));
    if (st != TILEC_OK) {
        log[sizeof log - 1] = '\0';
        size_t n = strlen(msg);
        if (log[0] != '\0' && n < msgcap) snprintf(msg + n, msgcap - n, "; JIT log: %s", log);
        return st;
    }
    *module = mod;
    return TILEC_OK;
}

static void driver_module_unload(void *state, void *module)
{
    const driver_state *s = state;
    if (module == NULL) return;
    s->api.CtxSetCurrent(s->ctx);
    s->api.ModuleUnload(module);
}

/* Looks up the kernel's entry, checks its block fits the device and opts in
 * to its dynamic shared memory when it exceeds the vendor's threshold. */
static tilec_status driver_kernel_get(void *state, void *module, const rt_module_image *img, size_t index,
                                      const rt_signature *sig, rt_kernel_handle *out, char *msg, size_t msgcap)
{
    const driver_state *s = state;
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
    tilec_status st = driver_enter(s, msg, msgcap);
    if (st != TILEC_OK) return st;
    drv_function fn = NULL;
    char why[512];
    st = DRV(s, why, sizeof why, ModuleGetFunction, (&fn, module, entry));
    if (st != TILEC_OK) {
        snprintf(msg, msgcap, "entry '%.200s' of kernel '%s': %s", entry, sig->name, why);
        return st;
    }
    if (sig->smem > s->v->smem_optin_above) {
        st = DRV(s, msg, msgcap, FuncSetAttribute, (fn, s->v->func_max_dynamic_smem, (int)sig->smem));
        if (st != TILEC_OK) return st;
    }
    out->device = fn;
    return TILEC_OK;
}

/* ------------------------------------------------------------ launching */

static tilec_status driver_launch(void *state, const rt_launch *l, char *msg, size_t msgcap)
{
    const driver_state *s = state;
    void *params[RT_GPU_MAX_PARAMS];
    rt_gpu_params(l, params);
    unsigned int block = (unsigned int)rt_gpu_block_threads(l->sig, s->props.warp_size);
    tilec_status st = driver_enter(s, msg, msgcap);
    if (st != TILEC_OK) return st;
    return DRV(s, msg, msgcap, LaunchKernel,
               (l->kernel.device, (unsigned int)l->grid[0], (unsigned int)l->grid[1], (unsigned int)l->grid[2],
                block, 1, 1, (unsigned int)l->sig->smem, NULL, params, NULL));
}

/* ------------------------------------------------------- device memory */

static tilec_status driver_mem_alloc(void *state, size_t bytes, void **dptr, char *msg, size_t msgcap)
{
    const driver_state *s = state;
    tilec_status st = driver_enter(s, msg, msgcap);
    if (st != TILEC_OK) return st;
    drv_deviceptr p = 0;
    st = DRV(s, msg, msgcap, MemAlloc, (&p, bytes));
    if (st == TILEC_OK) *dptr = (void *)(uintptr_t)p;
    return st;
}

static tilec_status driver_mem_free(void *state, void *dptr, char *msg, size_t msgcap)
{
    const driver_state *s = state;
    tilec_status st = driver_enter(s, msg, msgcap);
    return st != TILEC_OK ? st : DRV(s, msg, msgcap, MemFree, ((drv_deviceptr)(uintptr_t)dptr));
}

static tilec_status driver_copy_to_device(void *state, void *dst, const void *src, size_t bytes, char *msg,
                                          size_t msgcap)
{
    const driver_state *s = state;
    tilec_status st = driver_enter(s, msg, msgcap);
    return st != TILEC_OK ? st : DRV(s, msg, msgcap, MemcpyHtoD, ((drv_deviceptr)(uintptr_t)dst, src, bytes));
}

static tilec_status driver_copy_to_host(void *state, void *dst, const void *src, size_t bytes, char *msg,
                                        size_t msgcap)
{
    const driver_state *s = state;
    tilec_status st = driver_enter(s, msg, msgcap);
    return st != TILEC_OK ? st : DRV(s, msg, msgcap, MemcpyDtoH, (dst, (drv_deviceptr)(uintptr_t)src, bytes));
}

/* The two backends differ only in their name and the vendor they create. */
#define DRIVER_BACKEND(NAME, CREATE)                                                                             \
    {                                                                                                            \
        .name = NAME, .create = CREATE, .destroy = driver_destroy, .num_threads = driver_num_threads,            \
        .module_load = driver_module_load, .module_unload = driver_module_unload,                                \
        .kernel_get = driver_kernel_get, .launch = driver_launch, .synchronize = driver_synchronize,             \
        .device_info = driver_device_info, .mem_alloc = driver_mem_alloc, .mem_free = driver_mem_free,           \
        .copy_to_device = driver_copy_to_device, .copy_to_host = driver_copy_to_host,                            \
    }

const rt_backend rt_backend_cuda = DRIVER_BACKEND("cuda", cuda_create);
const rt_backend rt_backend_musa = DRIVER_BACKEND("musa", musa_create);
