/*
 * cuda_double.c — a test double of a CUDA-style driver API, built as shared
 * libraries that the runtime's driver-backend tests point the runtime at
 * (TILEC_CUDA_LIBRARY, TILEC_MUSA_LIBRARY). The same source is the CUDA
 * driver (libcuda.so.1) by default and the MUSA driver (libmusa.so.1) when
 * compiled with -DDRIVER_PREFIX=mu -DDRIVER_VENDOR='"MUSA"': every entry
 * point is written API(Init) and named NAME(Init) in records and messages,
 * which give cuInit / "cuInit" or muInit / "muInit"; error names are
 * VENDOR_ERROR_*. It exports the entry points the driver backend uses,
 * under their exported names (the `_v2` ones where the backend's table
 * says so) and with their real signatures (CUresult as int), behaves like
 * the driver where the backend can tell, and records every call as one
 * line of text.
 *
 * Behaviour: every call but GetErrorName/String needs Init first
 * (else 3 NOT_INITIALIZED); module, memory, launch and synchronize calls need
 * a current context (else 201 INVALID_CONTEXT). Device memory is host memory
 * it mallocs and tracks, so copies are real; freeing or copying outside a
 * live allocation is 1 INVALID_VALUE; allocating past the budget is 2
 * OUT_OF_MEMORY. A module image (ModuleLoadDataEx, ModuleLoadData) is PTX
 * (starts with "//") or an ELF image (starts with the ELF magic; this double
 * reads the text after the magic); a kernel exists when the image has
 * `.entry NAME`, and its parameter sizes come from the `.param .TYPE` list
 * after it (.u64/.s64/.f64/.b64 8 bytes, 32-bit types 4, ...). A launch
 * checks the block against the device's limit and dynamic shared memory above
 * 48 KiB against the kernel's opted-in size, and copies every parameter value
 * (its size from the image) into a buffer the test reads back.
 *
 * Control (through dlsym): driver_double_control(fn, result) makes every
 * later call of fn (its exported name) return result (0: succeed again);
 * driver_double_configure(key, v) sets the device (device_count, warp_size,
 * cc_major, cc_minor, sm_count, max_threads, smem_block, smem_optin) or the
 * memory budget (budget); driver_double_reset() frees everything and
 * restores the defaults (one device, warp 32, capability 8.0, whichever the
 * vendor). Built with -DDRIVER_DOUBLE_WITHOUT_LAUNCH it lacks LaunchKernel,
 * to test a driver with a missing entry point. State is process-global: it
 * is a test double.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;

#ifndef DRIVER_PREFIX
#define DRIVER_PREFIX cu
#endif
#ifndef DRIVER_VENDOR
#define DRIVER_VENDOR "CUDA"
#endif
#define VENDOR DRIVER_VENDOR
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(x) #x
#define STR(x) STR_(x)
/* API(Init): the entry point's identifier; NAME(Init): its name, a string literal. */
#define API(base) CAT(DRIVER_PREFIX, base)
#define NAME(base) STR(API(base))

#define EXPORT __attribute__((visibility("default")))

/* The driver's entry points, as exported by libcuda.so.1 (libmusa.so.1 with the mu prefix). */
EXPORT CUresult API(GetErrorName)(CUresult error, const char **str);
EXPORT CUresult API(GetErrorString)(CUresult error, const char **str);
EXPORT CUresult API(Init)(unsigned int flags);
EXPORT CUresult API(DeviceGetCount)(int *count);
EXPORT CUresult API(DeviceGet)(CUdevice *dev, int ordinal);
EXPORT CUresult API(DeviceGetName)(char *name, int len, CUdevice dev);
EXPORT CUresult API(DeviceGetAttribute)(int *value, int attrib, CUdevice dev);
EXPORT CUresult API(DevicePrimaryCtxRetain)(CUcontext *ctx, CUdevice dev);
EXPORT CUresult API(DevicePrimaryCtxRelease_v2)(CUdevice dev);
EXPORT CUresult API(DevicePrimaryCtxRelease)(CUdevice dev);
EXPORT CUresult API(CtxSetCurrent)(CUcontext ctx);
EXPORT CUresult API(CtxSynchronize)(void);
EXPORT CUresult API(ModuleLoadDataEx)(CUmodule *mod, const void *image, unsigned int nopts, int *opts, void **values);
EXPORT CUresult API(ModuleLoadData)(CUmodule *mod, const void *image);
EXPORT CUresult API(ModuleUnload)(CUmodule mod);
EXPORT CUresult API(ModuleGetFunction)(CUfunction *fn, CUmodule mod, const char *name);
EXPORT CUresult API(FuncSetAttribute)(CUfunction fn, int attrib, int value);
EXPORT CUresult API(MemAlloc_v2)(CUdeviceptr *dptr, size_t bytes);
EXPORT CUresult API(MemAlloc)(unsigned int *dptr, unsigned int bytes);
EXPORT CUresult API(MemFree_v2)(CUdeviceptr dptr);
EXPORT CUresult API(MemcpyHtoD_v2)(CUdeviceptr dst, const void *src, size_t bytes);
EXPORT CUresult API(MemcpyDtoH_v2)(void *dst, CUdeviceptr src, size_t bytes);
EXPORT CUresult API(LaunchKernel)(CUfunction fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                               unsigned int by, unsigned int bz, unsigned int smem, CUstream stream, void **params,
                               void **extra);

/* The test's controls. */
EXPORT int driver_double_control(const char *fn, int result);
EXPORT int driver_double_configure(const char *key, long long value);
EXPORT void driver_double_reset(void);
EXPORT int driver_double_calls(void);
EXPORT const char *driver_double_call(int i);
EXPORT size_t driver_double_launch_params(void *out, size_t cap);
EXPORT long long driver_double_live(const char *what);

enum {
    OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NOT_INITIALIZED = 3, NO_DEVICE = 100, INVALID_DEVICE = 101,
    INVALID_IMAGE = 200, INVALID_CONTEXT = 201, INVALID_PTX = 218, INVALID_HANDLE = 400, NOT_FOUND = 500,
    ILLEGAL_ADDRESS = 700, LAUNCH_FAILED = 719,
};

#define MAX_CALLS 4096
#define CALL_TEXT 192
#define MAX_FAILS 32
#define MAX_DEVICES 8
#define MAX_KPARAMS 2048
#define PARAM_BYTES (MAX_KPARAMS * 8)

typedef struct alloc {
    struct alloc *next;
    unsigned char *p;
    size_t n;
} alloc;

typedef struct dfunc {
    struct dfunc *next;
    char name[128];
    int nparams;
    int sizes[MAX_KPARAMS]; /* bytes of each parameter */
    int max_dyn_smem;       /* CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES */
} dfunc;

typedef struct dmodule {
    struct dmodule *next;
    char *text;             /* the image's text (PTX, or what follows a cubin's magic) */
    dfunc *funcs;
} dmodule;

typedef struct double_state {
    char calls[MAX_CALLS][CALL_TEXT];
    int ncalls;
    struct {
        char fn[64];
        int result;
    } fails[MAX_FAILS];
    int nfails;
    int initialized;
    long long device_count, warp_size, cc_major, cc_minor, sm_count, max_threads, smem_block, smem_optin, budget;
    int retains[MAX_DEVICES];
    alloc *allocs;
    long long live_bytes, live_allocs;
    dmodule *modules;
    long long live_modules;
    unsigned char params[PARAM_BYTES]; /* of the last launch */
    size_t param_bytes;
} double_state;

static double_state D;

static _Thread_local CUcontext current;
static char contexts[MAX_DEVICES]; /* a primary context is the address of its device's byte */

__attribute__((constructor)) static void defaults(void)
{
    D.device_count = 1;
    D.warp_size = 32;
    D.cc_major = 8;
    D.cc_minor = 0;
    D.sm_count = 108;
    D.max_threads = 1024;
    D.smem_block = 48 * 1024;
    D.smem_optin = 163 * 1024;
    D.budget = 1 << 20;
}

__attribute__((format(printf, 1, 2))) static void record(const char *fmt, ...)
{
    if (D.ncalls >= MAX_CALLS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(D.calls[D.ncalls++], CALL_TEXT, fmt, ap);
    va_end(ap);
}

/* The result the test asked fn to return, or 0. */
static CUresult injected(const char *fn)
{
    for (int i = 0; i < D.nfails; i++)
        if (strcmp(D.fails[i].fn, fn) == 0) return D.fails[i].result;
    return OK;
}

/* Common entry checks: an injected failure, Init done, a current context. */
static CUresult enter(const char *fn, int need_ctx)
{
    CUresult r = injected(fn);
    if (r != OK) return r;
    if (!D.initialized) return NOT_INITIALIZED;
    if (need_ctx && (current == NULL || D.retains[(char *)current - contexts] == 0)) return INVALID_CONTEXT;
    return OK;
}

/* ------------------------------------------------------------ errors */

static const struct {
    CUresult code;
    const char *name, *str;
} errors[] = {
    {OK, VENDOR "_SUCCESS", "no error"},
    {INVALID_VALUE, VENDOR "_ERROR_INVALID_VALUE", "invalid argument"},
    {OUT_OF_MEMORY, VENDOR "_ERROR_OUT_OF_MEMORY", "out of memory"},
    {NOT_INITIALIZED, VENDOR "_ERROR_NOT_INITIALIZED", "initialization error"},
    {NO_DEVICE, VENDOR "_ERROR_NO_DEVICE", "no " VENDOR "-capable device is detected"},
    {INVALID_DEVICE, VENDOR "_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {INVALID_IMAGE, VENDOR "_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {INVALID_CONTEXT, VENDOR "_ERROR_INVALID_CONTEXT", "invalid device context"},
    {INVALID_PTX, VENDOR "_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {INVALID_HANDLE, VENDOR "_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {NOT_FOUND, VENDOR "_ERROR_NOT_FOUND", "named symbol not found"},
    {ILLEGAL_ADDRESS, VENDOR "_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {LAUNCH_FAILED, VENDOR "_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
};

static CUresult describe(CUresult error, const char **str, int want_name, const char *fn)
{
    CUresult r = injected(fn);
    if (r != OK) return r;
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == error) {
            *str = want_name ? errors[i].name : errors[i].str;
            return OK;
        }
    *str = NULL;
    return INVALID_VALUE;
}

CUresult API(GetErrorName)(CUresult error, const char **str) { return describe(error, str, 1, NAME(GetErrorName)); }

CUresult API(GetErrorString)(CUresult error, const char **str) { return describe(error, str, 0, NAME(GetErrorString)); }

/* ------------------------------------------------------------ devices */

CUresult API(Init)(unsigned int flags)
{
    record(NAME(Init) " %u", flags);
    CUresult r = injected(NAME(Init));
    if (r != OK) return r;
    if (flags != 0) return INVALID_VALUE;
    if (D.device_count == 0) return NO_DEVICE;
    D.initialized = 1;
    return OK;
}

CUresult API(DeviceGetCount)(int *count)
{
    record(NAME(DeviceGetCount));
    CUresult r = enter(NAME(DeviceGetCount), 0);
    if (r != OK) return r;
    *count = (int)D.device_count;
    return OK;
}

CUresult API(DeviceGet)(CUdevice *dev, int ordinal)
{
    record(NAME(DeviceGet) " %d", ordinal);
    CUresult r = enter(NAME(DeviceGet), 0);
    if (r != OK) return r;
    if (ordinal < 0 || ordinal >= D.device_count || ordinal >= MAX_DEVICES) return INVALID_DEVICE;
    *dev = ordinal;
    return OK;
}

CUresult API(DeviceGetName)(char *name, int len, CUdevice dev)
{
    record(NAME(DeviceGetName) " %d %d", len, dev);
    CUresult r = enter(NAME(DeviceGetName), 0);
    if (r != OK) return r;
    if (dev < 0 || dev >= D.device_count) return INVALID_DEVICE;
    if (name == NULL || len <= 0) return INVALID_VALUE;
    snprintf(name, (size_t)len, "Tilec Double %d", dev);
    return OK;
}

CUresult API(DeviceGetAttribute)(int *value, int attrib, CUdevice dev)
{
    record(NAME(DeviceGetAttribute) " %d %d", attrib, dev);
    CUresult r = enter(NAME(DeviceGetAttribute), 0);
    if (r != OK) return r;
    if (dev < 0 || dev >= D.device_count) return INVALID_DEVICE;
    switch (attrib) {
    case 1: *value = (int)D.max_threads; return OK;
    case 8: *value = (int)D.smem_block; return OK;
    case 10: *value = (int)D.warp_size; return OK;
    case 16: *value = (int)D.sm_count; return OK;
    case 75: *value = (int)D.cc_major; return OK;
    case 76: *value = (int)D.cc_minor; return OK;
    case 97: *value = (int)D.smem_optin; return OK;
    default: return INVALID_VALUE;
    }
}

CUresult API(DevicePrimaryCtxRetain)(CUcontext *ctx, CUdevice dev)
{
    record(NAME(DevicePrimaryCtxRetain) " %d", dev);
    CUresult r = enter(NAME(DevicePrimaryCtxRetain), 0);
    if (r != OK) return r;
    if (dev < 0 || dev >= D.device_count) return INVALID_DEVICE;
    D.retains[dev]++;
    *ctx = (CUcontext)(void *)&contexts[dev];
    return OK;
}

CUresult API(DevicePrimaryCtxRelease_v2)(CUdevice dev)
{
    record(NAME(DevicePrimaryCtxRelease_v2) " %d", dev);
    CUresult r = enter(NAME(DevicePrimaryCtxRelease_v2), 0);
    if (r != OK) return r;
    if (dev < 0 || dev >= D.device_count) return INVALID_DEVICE;
    if (D.retains[dev] == 0) return INVALID_CONTEXT;
    D.retains[dev]--;
    return OK;
}

/* The pre-CUDA-11 entry point; a backend that calls it is looking up the wrong symbol. */
CUresult API(DevicePrimaryCtxRelease)(CUdevice dev)
{
    record("(v1) " NAME(DevicePrimaryCtxRelease) " %d", dev);
    return INVALID_VALUE;
}

CUresult API(CtxSetCurrent)(CUcontext ctx)
{
    record(NAME(CtxSetCurrent) " %s", ctx == NULL ? "NULL" : "ctx");
    CUresult r = enter(NAME(CtxSetCurrent), 0);
    if (r != OK) return r;
    if (ctx != NULL && ((char *)ctx < contexts || (char *)ctx >= contexts + MAX_DEVICES)) return INVALID_CONTEXT;
    current = ctx;
    return OK;
}

CUresult API(CtxSynchronize)(void)
{
    record(NAME(CtxSynchronize));
    return enter(NAME(CtxSynchronize), 1);
}

/* ------------------------------------------------------------ modules */

/* Bytes of a PTX parameter type (".u64" ...), 0 if unknown. */
static int ptx_type_size(const char *t, size_t n)
{
    if (n < 3 || t[0] != '.') return 0;
    if (n == 3 && (t[2] == '8')) return 1;
    if (n == 4 && memcmp(t + 2, "16", 2) == 0) return 2;
    if (n == 4 && memcmp(t + 2, "32", 2) == 0) return 4;
    if (n == 4 && memcmp(t + 2, "64", 2) == 0) return 8;
    return 0;
}

/* Finds `.entry NAME` in text and reads its `.param .TYPE` list. */
static int find_entry(const char *text, const char *name, dfunc *f)
{
    size_t len = strlen(name);
    for (const char *p = strstr(text, ".entry "); p != NULL; p = strstr(p + 1, ".entry ")) {
        const char *q = p + 7;
        while (*q == ' ') q++;
        if (strncmp(q, name, len) != 0) continue;
        q += len;
        if (*q != '(' && *q != ' ' && *q != '\n' && *q != '\0') continue;
        snprintf(f->name, sizeof f->name, "%s", name);
        f->nparams = 0;
        while (*q == ' ') q++;
        if (*q != '(') return 1;
        const char *end = strchr(q, ')');
        if (end == NULL) return 1;
        for (const char *t = strstr(q, ".param "); t != NULL && t < end; t = strstr(t + 1, ".param ")) {
            const char *ty = t + 7;
            size_t n = strcspn(ty, " ,)\n");
            if (f->nparams < MAX_KPARAMS) f->sizes[f->nparams++] = ptx_type_size(ty, n);
        }
        return 1;
    }
    return 0;
}

static dmodule *find_module(CUmodule mod)
{
    for (dmodule *m = D.modules; m != NULL; m = m->next)
        if ((void *)m == (void *)mod) return m;
    return NULL;
}

static dfunc *find_func(CUfunction fn)
{
    for (dmodule *m = D.modules; m != NULL; m = m->next)
        for (dfunc *f = m->funcs; f != NULL; f = f->next)
            if ((void *)f == (void *)fn) return f;
    return NULL;
}

/* "ptx", "elf" or "other": what an image is, by its first bytes. */
static const char *image_kind(const char *img)
{
    if (img != NULL && strncmp(img, "//", 2) == 0) return "ptx";
    if (img != NULL && strncmp(img, "\177ELF", 4) == 0) return "elf";
    return "other";
}

/* Loads img (of image_kind kind) as a module, after fn's entry checks. */
static CUresult load_module(const char *fn, CUmodule *mod, const char *img, const char *kind)
{
    CUresult r = enter(fn, 1);
    if (r == OK && strcmp(kind, "other") == 0) r = INVALID_IMAGE;
    if (r != OK) return r;
    dmodule *m = calloc(1, sizeof *m);
    if (m == NULL) return OUT_OF_MEMORY;
    m->text = strdup(strcmp(kind, "elf") == 0 ? img + 4 : img);
    if (m->text == NULL) {
        free(m);
        return OUT_OF_MEMORY;
    }
    m->next = D.modules;
    D.modules = m;
    D.live_modules++;
    *mod = (CUmodule)(void *)m;
    return OK;
}

CUresult API(ModuleLoadDataEx)(CUmodule *mod, const void *image, unsigned int nopts, int *opts, void **values)
{
    char *log = NULL;
    size_t logcap = 0;
    for (unsigned int i = 0; i < nopts; i++) {
        if (opts[i] == 5) log = values[i];
        if (opts[i] == 6) logcap = (size_t)(uintptr_t)values[i];
    }
    const char *kind = image_kind(image);
    record(NAME(ModuleLoadDataEx) " %s nopts=%u log=%s", strcmp(kind, "elf") == 0 ? "cubin" : kind, nopts,
           log != NULL && logcap > 0 ? "yes" : "no");
    CUresult r = load_module(NAME(ModuleLoadDataEx), mod, image, kind);
    if (r != OK && log != NULL && logcap > 0)
        snprintf(log, logcap, "%s", r == INVALID_IMAGE ? "double: not PTX and not an ELF cubin" : "double: injected");
    return r;
}

CUresult API(ModuleLoadData)(CUmodule *mod, const void *image)
{
    const char *kind = image_kind(image);
    record(NAME(ModuleLoadData) " %s", kind);
    return load_module(NAME(ModuleLoadData), mod, image, kind);
}

CUresult API(ModuleUnload)(CUmodule mod)
{
    record(NAME(ModuleUnload));
    CUresult r = enter(NAME(ModuleUnload), 1);
    if (r != OK) return r;
    for (dmodule **pm = &D.modules; *pm != NULL; pm = &(*pm)->next)
        if ((void *)*pm == (void *)mod) {
            dmodule *m = *pm;
            *pm = m->next;
            while (m->funcs != NULL) {
                dfunc *f = m->funcs;
                m->funcs = f->next;
                free(f);
            }
            free(m->text);
            free(m);
            D.live_modules--;
            return OK;
        }
    return INVALID_HANDLE;
}

CUresult API(ModuleGetFunction)(CUfunction *fn, CUmodule mod, const char *name)
{
    record(NAME(ModuleGetFunction) " %s", name);
    CUresult r = enter(NAME(ModuleGetFunction), 1);
    if (r != OK) return r;
    dmodule *m = find_module(mod);
    if (m == NULL) return INVALID_HANDLE;
    dfunc *f = calloc(1, sizeof *f);
    if (f == NULL) return OUT_OF_MEMORY;
    if (!find_entry(m->text, name, f)) {
        free(f);
        return NOT_FOUND;
    }
    f->next = m->funcs;
    m->funcs = f;
    *fn = (CUfunction)(void *)f;
    return OK;
}

CUresult API(FuncSetAttribute)(CUfunction fn, int attrib, int value)
{
    record(NAME(FuncSetAttribute) " %d %d", attrib, value);
    CUresult r = enter(NAME(FuncSetAttribute), 1);
    if (r != OK) return r;
    dfunc *f = find_func(fn);
    if (f == NULL) return INVALID_HANDLE;
    if (attrib != 8 || value < 0 || value > D.smem_optin) return INVALID_VALUE;
    f->max_dyn_smem = value;
    return OK;
}

/* ------------------------------------------------------------- memory */

/* The live allocation holding [p, p + n), or NULL. */
static alloc *find_alloc(CUdeviceptr p, size_t n)
{
    for (alloc *a = D.allocs; a != NULL; a = a->next) {
        uintptr_t lo = (uintptr_t)a->p;
        if (p >= lo && p - lo <= a->n && n <= a->n - (p - lo)) return a;
    }
    return NULL;
}

CUresult API(MemAlloc_v2)(CUdeviceptr *dptr, size_t bytes)
{
    record(NAME(MemAlloc_v2) " %zu", bytes);
    CUresult r = enter(NAME(MemAlloc_v2), 1);
    if (r != OK) return r;
    if (bytes == 0) return INVALID_VALUE;
    if ((long long)bytes > D.budget - D.live_bytes) return OUT_OF_MEMORY;
    alloc *a = malloc(sizeof *a);
    unsigned char *p = malloc(bytes);
    if (a == NULL || p == NULL) {
        free(a);
        free(p);
        return OUT_OF_MEMORY;
    }
    memset(p, 0xA5, bytes);
    a->p = p;
    a->n = bytes;
    a->next = D.allocs;
    D.allocs = a;
    D.live_bytes += (long long)bytes;
    D.live_allocs++;
    *dptr = (CUdeviceptr)(uintptr_t)p;
    return OK;
}

/* The 32-bit entry point of CUDA 3.1 and older; a backend that calls it is looking up the wrong symbol. */
CUresult API(MemAlloc)(unsigned int *dptr, unsigned int bytes)
{
    record("(v1) " NAME(MemAlloc) " %u", bytes);
    return INVALID_VALUE;
}

CUresult API(MemFree_v2)(CUdeviceptr dptr)
{
    record(NAME(MemFree_v2));
    CUresult r = enter(NAME(MemFree_v2), 1);
    if (r != OK) return r;
    for (alloc **pa = &D.allocs; *pa != NULL; pa = &(*pa)->next)
        if ((uintptr_t)(*pa)->p == dptr) {
            alloc *a = *pa;
            *pa = a->next;
            D.live_bytes -= (long long)a->n;
            D.live_allocs--;
            free(a->p);
            free(a);
            return OK;
        }
    return INVALID_VALUE;
}

CUresult API(MemcpyHtoD_v2)(CUdeviceptr dst, const void *src, size_t bytes)
{
    record(NAME(MemcpyHtoD_v2) " %zu", bytes);
    CUresult r = enter(NAME(MemcpyHtoD_v2), 1);
    if (r != OK) return r;
    if (src == NULL || find_alloc(dst, bytes) == NULL) return INVALID_VALUE;
    memcpy((void *)(uintptr_t)dst, src, bytes);
    return OK;
}

CUresult API(MemcpyDtoH_v2)(void *dst, CUdeviceptr src, size_t bytes)
{
    record(NAME(MemcpyDtoH_v2) " %zu", bytes);
    CUresult r = enter(NAME(MemcpyDtoH_v2), 1);
    if (r != OK) return r;
    if (dst == NULL || find_alloc(src, bytes) == NULL) return INVALID_VALUE;
    memcpy(dst, (const void *)(uintptr_t)src, bytes);
    return OK;
}

/* ------------------------------------------------------------ launches */

#ifndef DRIVER_DOUBLE_WITHOUT_LAUNCH
CUresult API(LaunchKernel)(CUfunction fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                        unsigned int by, unsigned int bz, unsigned int smem, CUstream stream, void **params,
                        void **extra)
{
    dfunc *f = find_func(fn);
    record(NAME(LaunchKernel) " %s grid=%u,%u,%u block=%u,%u,%u smem=%u stream=%s params=%d", f != NULL ? f->name : "?",
           gx, gy, gz, bx, by, bz, smem, stream == NULL ? "default" : "other", f != NULL ? f->nparams : -1);
    CUresult r = enter(NAME(LaunchKernel), 1);
    if (r != OK) return r;
    if (f == NULL) return INVALID_HANDLE;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) return INVALID_VALUE;
    if ((unsigned long long)bx * by * bz > (unsigned long long)D.max_threads) return INVALID_VALUE;
    if (smem > (unsigned int)D.smem_block && (int)smem > f->max_dyn_smem) return INVALID_VALUE;
    if (extra != NULL || (params == NULL && f->nparams > 0)) return INVALID_VALUE;
    size_t off = 0;
    for (int i = 0; i < f->nparams; i++) {
        if (params[i] == NULL || off + (size_t)f->sizes[i] > sizeof D.params) return INVALID_VALUE;
        memcpy(D.params + off, params[i], (size_t)f->sizes[i]);
        off += (size_t)f->sizes[i];
    }
    D.param_bytes = off;
    return OK;
}
#endif

/* ------------------------------------------------------------- control */

int driver_double_control(const char *fn, int result)
{
    for (int i = 0; i < D.nfails; i++)
        if (strcmp(D.fails[i].fn, fn) == 0) {
            if (result == OK) D.fails[i] = D.fails[--D.nfails];
            else D.fails[i].result = result;
            return 0;
        }
    if (result == OK) return 0;
    if (D.nfails >= MAX_FAILS || strlen(fn) >= sizeof D.fails[0].fn) return -1;
    snprintf(D.fails[D.nfails].fn, sizeof D.fails[0].fn, "%s", fn);
    D.fails[D.nfails++].result = result;
    return 0;
}

int driver_double_configure(const char *key, long long value)
{
    static const struct {
        const char *key;
        size_t offset;
    } keys[] = {
        {"device_count", offsetof(double_state, device_count)}, {"warp_size", offsetof(double_state, warp_size)},
        {"cc_major", offsetof(double_state, cc_major)},         {"cc_minor", offsetof(double_state, cc_minor)},
        {"sm_count", offsetof(double_state, sm_count)},         {"max_threads", offsetof(double_state, max_threads)},
        {"smem_block", offsetof(double_state, smem_block)},     {"smem_optin", offsetof(double_state, smem_optin)},
        {"budget", offsetof(double_state, budget)},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].key, key) == 0) {
            memcpy((char *)&D + keys[i].offset, &value, sizeof value);
            return 0;
        }
    return -1;
}

void driver_double_reset(void)
{
    while (D.allocs != NULL) {
        alloc *a = D.allocs;
        D.allocs = a->next;
        free(a->p);
        free(a);
    }
    while (D.modules != NULL) {
        dmodule *m = D.modules;
        D.modules = m->next;
        while (m->funcs != NULL) {
            dfunc *f = m->funcs;
            m->funcs = f->next;
            free(f);
        }
        free(m->text);
        free(m);
    }
    memset(&D, 0, sizeof D);
    current = NULL;
    defaults();
}

int driver_double_calls(void) { return D.ncalls; }

const char *driver_double_call(int i) { return i >= 0 && i < D.ncalls ? D.calls[i] : NULL; }

size_t driver_double_launch_params(void *out, size_t cap)
{
    memcpy(out, D.params, D.param_bytes < cap ? D.param_bytes : cap);
    return D.param_bytes;
}

long long driver_double_live(const char *what)
{
    if (strcmp(what, "allocs") == 0) return D.live_allocs;
    if (strcmp(what, "bytes") == 0) return D.live_bytes;
    if (strcmp(what, "modules") == 0) return D.live_modules;
    if (strcmp(what, "retains") == 0) {
        long long n = 0;
        for (int i = 0; i < MAX_DEVICES; i++) n += D.retains[i];
        return n;
    }
    if (strcmp(what, "current") == 0) return current != NULL;
    return -1;
}
