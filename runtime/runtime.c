/*
 * runtime.c — the backend-independent part of the runtime: handles and
 * their messages, status and dtype names, the choice of backend, modules
 * (CPU, GPU or sim kernels) and kernel lookup, the checks of every launch against
 * the kernel's signature, the grid, the hand-off of a checked launch to the
 * backend (backend.h), and the argument checks of the device memory calls.
 *
 * Invariants: every public call that takes a handle first clears the
 * runtime's message and, when it fails, leaves one there that names what is
 * wrong; nothing is process-global. A kernel handle stays valid, with its
 * parsed signature, until its module is destroyed. A launch reaches the
 * backend only after every check passed and with at least one instance to
 * run; the scalar values and tensor descriptors the kernel reads live in the
 * launch's own frame, not in the caller's arguments.
 */
#include "backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_CAP 1024

struct tilec_runtime {
    const rt_backend *backend;
    void *state;                 /* the backend's */
    char message[MESSAGE_CAP];   /* of the last failed call; "" after a success */
};

struct tilec_kernel {
    tilec_module *module;
    rt_signature *sig;
    rt_kernel_handle handle;
};

struct tilec_module {
    tilec_runtime *rt;
    void *handle;                /* the backend's */
    size_t count;
    tilec_kernel *kernels;       /* count of them */
};

/* Everything a launch binds: lives on the launching thread's stack. */
typedef struct rt_frame {
    int64_t sizes[RT_MAX_SIZES];
    int32_t sizes32[RT_MAX_SIZES];
    int32_t size_param[RT_MAX_SIZES]; /* where each size was first bound: param ... */
    int32_t size_dim[RT_MAX_SIZES];   /* ... and dim; -1 until bound */
    int64_t ints[RT_MAX_PARAMS];      /* integer/bool scalars, as the kernel reads them */
    double floats[RT_MAX_PARAMS];     /* float scalars */
    tilec_tensor tensors[RT_MAX_PARAMS];
    void *args[RT_MAX_PARAMS];
    int32_t grid[3];
    int64_t total;                    /* instances to run; 0 = none */
} rt_frame;

static void set_message(tilec_runtime *rt, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rt->message, sizeof rt->message, fmt, ap);
    va_end(ap);
}

/* --------------------------------------------------------------- names */

const char *tilec_status_name(tilec_status s)
{
    switch (s) {
    case TILEC_OK: return "TILEC_OK";
    case TILEC_ERR_INVALID_ARGUMENT: return "TILEC_ERR_INVALID_ARGUMENT";
    case TILEC_ERR_SIGNATURE: return "TILEC_ERR_SIGNATURE";
    case TILEC_ERR_NOT_FOUND: return "TILEC_ERR_NOT_FOUND";
    case TILEC_ERR_OUT_OF_MEMORY: return "TILEC_ERR_OUT_OF_MEMORY";
    case TILEC_ERR_BACKEND: return "TILEC_ERR_BACKEND";
    case TILEC_ERR_UNSUPPORTED: return "TILEC_ERR_UNSUPPORTED";
    }
    return "TILEC_ERR_UNKNOWN";
}

size_t tilec_dtype_size(int32_t dtype)
{
    switch (dtype) {
    case TILEC_BOOL: case TILEC_I8: case TILEC_U8: return 1;
    case TILEC_I16: case TILEC_U16: case TILEC_F16: case TILEC_BF16: return 2;
    case TILEC_I32: case TILEC_U32: case TILEC_F32: return 4;
    case TILEC_I64: case TILEC_U64: case TILEC_F64: return 8;
    default: return 0;
    }
}

const char *tilec_dtype_name(int32_t dtype)
{
    static const char *const names[TILEC_DTYPE_COUNT] = {
        "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f16", "bf16", "f32", "f64",
    };
    return dtype >= 0 && dtype < TILEC_DTYPE_COUNT ? names[dtype] : "unknown";
}

tilec_tensor tilec_tensor_contiguous(void *data, int32_t dtype, int32_t rank, const int64_t *sizes)
{
    tilec_tensor t;
    memset(&t, 0, sizeof t);
    t.data = data;
    t.dtype = dtype;
    t.rank = rank;
    if (rank < 0 || rank > TILEC_MAX_RANK || (rank > 0 && sizes == NULL)) return t;
    int64_t stride = 1;
    for (int32_t d = rank - 1; d >= 0; d--) {
        t.sizes[d] = sizes[d];
        t.strides[d] = stride;
        if (sizes[d] > 1 && stride <= INT64_MAX / sizes[d]) stride *= sizes[d];
    }
    return t;
}

/* ------------------------------------------------------------- runtime */

tilec_status tilec_runtime_create_ex(const tilec_runtime_options *opt, int32_t device, tilec_runtime **out,
                                     char *message, size_t message_cap)
{
    if (message == NULL) message_cap = 0;
    if (message_cap > 0) message[0] = '\0';
    if (out == NULL) {
        if (message_cap > 0) snprintf(message, message_cap, "tilec_runtime_create: null out");
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    tilec_runtime_options o = {sizeof o, TILEC_BACKEND_CPU, 0};
    if (opt != NULL) {
        if (opt->size >= offsetof(tilec_runtime_options, backend) + sizeof opt->backend) o.backend = opt->backend;
        if (opt->size >= offsetof(tilec_runtime_options, num_threads) + sizeof opt->num_threads)
            o.num_threads = opt->num_threads;
    }
    char why[MESSAGE_CAP];
    tilec_status st = TILEC_OK;
    const rt_backend *be = NULL;
    if (o.num_threads < 0 || o.num_threads > RT_MAX_THREADS) {
        snprintf(why, sizeof why, "num_threads %d is outside [0, %d]", (int)o.num_threads, RT_MAX_THREADS);
        st = TILEC_ERR_INVALID_ARGUMENT;
    } else if (device < 0 || (device > 0 && (o.backend == TILEC_BACKEND_CPU || o.backend == TILEC_BACKEND_SIM))) {
        snprintf(why, sizeof why, "no device %d on the %s backend", (int)device,
                 o.backend == TILEC_BACKEND_CPU ? "CPU" : o.backend == TILEC_BACKEND_SIM ? "sim" : "chosen");
        st = TILEC_ERR_INVALID_ARGUMENT;
    } else if (o.backend == TILEC_BACKEND_CPU) {
        be = &rt_backend_cpu;
    } else if (o.backend == TILEC_BACKEND_CUDA) {
        be = &rt_backend_cuda;
    } else if (o.backend == TILEC_BACKEND_MUSA) {
        be = &rt_backend_musa;
    } else if (o.backend == TILEC_BACKEND_SIM) {
        be = &rt_backend_sim;
    } else {
        snprintf(why, sizeof why, "unknown backend %d", (int)o.backend);
        st = TILEC_ERR_INVALID_ARGUMENT;
    }
    tilec_runtime *rt = NULL;
    if (st == TILEC_OK) {
        rt = calloc(1, sizeof *rt);
        if (rt == NULL) {
            snprintf(why, sizeof why, "out of memory creating a runtime");
            st = TILEC_ERR_OUT_OF_MEMORY;
        }
    }
    if (st == TILEC_OK) {
        rt->backend = be;
        st = be->create(&o, device, &rt->state, why, sizeof why);
    }
    if (st != TILEC_OK) {
        free(rt);
        if (message_cap > 0) snprintf(message, message_cap, "%s", why);
        return st;
    }
    *out = rt;
    return TILEC_OK;
}

tilec_status tilec_runtime_create(const tilec_runtime_options *opt, tilec_runtime **out)
{
    return tilec_runtime_create_ex(opt, 0, out, NULL, 0);
}

void tilec_runtime_destroy(tilec_runtime *rt)
{
    if (rt == NULL) return;
    rt->backend->destroy(rt->state);
    free(rt);
}

const char *tilec_runtime_message(const tilec_runtime *rt) { return rt == NULL ? "" : rt->message; }

int32_t tilec_runtime_num_threads(const tilec_runtime *rt)
{
    return rt == NULL ? 0 : rt->backend->num_threads(rt->state);
}

tilec_status tilec_runtime_synchronize(tilec_runtime *rt)
{
    if (rt == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    rt->message[0] = '\0';
    return rt->backend->synchronize(rt->state, rt->message, sizeof rt->message);
}

tilec_status tilec_device_info(tilec_runtime *rt, tilec_device_props *out)
{
    if (rt == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    rt->message[0] = '\0';
    if (out == NULL || out->size < sizeof out->size) {
        set_message(rt, "tilec_device_info: %s", out == NULL ? "null out" : "out->size is not set");
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    tilec_device_props p;
    memset(&p, 0, sizeof p);
    tilec_status st = rt->backend->device_info(rt->state, &p, rt->message, sizeof rt->message);
    if (st != TILEC_OK) return st;
    size_t n = out->size < sizeof p ? out->size : sizeof p;
    p.size = out->size;
    memcpy(out, &p, n);
    return TILEC_OK;
}

/* ------------------------------------------------------- device memory */

tilec_status tilec_device_alloc(tilec_runtime *rt, size_t bytes, void **dptr)
{
    if (rt == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    rt->message[0] = '\0';
    if (dptr == NULL) {
        set_message(rt, "tilec_device_alloc: null dptr");
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    *dptr = NULL;
    if (bytes == 0) return TILEC_OK;
    return rt->backend->mem_alloc(rt->state, bytes, dptr, rt->message, sizeof rt->message);
}

tilec_status tilec_device_free(tilec_runtime *rt, void *dptr)
{
    if (rt == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    rt->message[0] = '\0';
    if (dptr == NULL) return TILEC_OK;
    return rt->backend->mem_free(rt->state, dptr, rt->message, sizeof rt->message);
}

static tilec_status check_copy(tilec_runtime *rt, const char *what, const void *dst, const void *src)
{
    if (dst != NULL && src != NULL) return TILEC_OK;
    set_message(rt, "%s: null %s", what, dst == NULL ? "dst" : "src");
    return TILEC_ERR_INVALID_ARGUMENT;
}

tilec_status tilec_copy_to_device(tilec_runtime *rt, void *dst, const void *src, size_t bytes)
{
    if (rt == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    rt->message[0] = '\0';
    if (bytes == 0) return TILEC_OK;
    tilec_status st = check_copy(rt, "tilec_copy_to_device", dst, src);
    if (st != TILEC_OK) return st;
    return rt->backend->copy_to_device(rt->state, dst, src, bytes, rt->message, sizeof rt->message);
}

tilec_status tilec_copy_to_host(tilec_runtime *rt, void *dst, const void *src, size_t bytes)
{
    if (rt == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    rt->message[0] = '\0';
    if (bytes == 0) return TILEC_OK;
    tilec_status st = check_copy(rt, "tilec_copy_to_host", dst, src);
    if (st != TILEC_OK) return st;
    return rt->backend->copy_to_host(rt->state, dst, src, bytes, rt->message, sizeof rt->message);
}

/* ------------------------------------------------------------- modules */

static void module_free(tilec_module *m)
{
    for (size_t i = 0; i < m->count; i++) free(m->kernels[i].sig);
    free(m->kernels);
    free(m);
}

/* Parses every kernel's signature, then has the backend load img and look
 * up each kernel. */
static tilec_status module_load(tilec_runtime *rt, const rt_module_image *img, tilec_module **out)
{
    size_t count = img->count;
    if (count > (size_t)1 << 20) {
        set_message(rt, "too many kernels in one module (%zu)", count);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    tilec_module *m = calloc(1, sizeof *m);
    tilec_kernel *ks = count > 0 ? calloc(count, sizeof *ks) : NULL;
    if (m == NULL || (count > 0 && ks == NULL)) {
        free(m);
        free(ks);
        set_message(rt, "out of memory loading a module");
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    m->rt = rt;
    m->kernels = ks;
    char why[MESSAGE_CAP - 64];
    tilec_status st = TILEC_OK;
    for (size_t i = 0; i < count && st == TILEC_OK; i++) {
        m->count = i + 1;
        ks[i].module = m;
        ks[i].sig = malloc(sizeof *ks[i].sig);
        if (ks[i].sig == NULL) {
            set_message(rt, "out of memory loading a module");
            st = TILEC_ERR_OUT_OF_MEMORY;
            break;
        }
        const char *text = img->cpu != NULL   ? img->cpu[i].signature
                           : img->sim != NULL ? img->sim[i].signature
                                              : img->gpu[i].signature;
        st = rt_signature_parse(text, ks[i].sig, why, sizeof why);
        if (st != TILEC_OK) {
            set_message(rt, "kernel %zu: signature %s", i, why);
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(ks[j].sig->name, ks[i].sig->name) == 0) {
                set_message(rt, "kernel %zu: a kernel named '%s' is already in the module (kernel %zu)", i,
                            ks[i].sig->name, j);
                st = TILEC_ERR_INVALID_ARGUMENT;
            }
    }
    if (st == TILEC_OK) {
        st = rt->backend->module_load(rt->state, img, &m->handle, why, sizeof why);
        if (st != TILEC_OK) {
            set_message(rt, "%s", why);
            module_free(m);
            return st;
        }
        for (size_t i = 0; i < count && st == TILEC_OK; i++) {
            st = rt->backend->kernel_get(rt->state, m->handle, img, i, ks[i].sig, &ks[i].handle, why, sizeof why);
            if (st != TILEC_OK) set_message(rt, "kernel %zu: %s", i, why);
        }
        if (st != TILEC_OK) rt->backend->module_unload(rt->state, m->handle);
    }
    if (st != TILEC_OK) {
        module_free(m);
        return st;
    }
    *out = m;
    return TILEC_OK;
}

tilec_status tilec_module_load_cpu(tilec_runtime *rt, const tilec_cpu_kernel_desc *kernels, size_t count,
                                   tilec_module **out)
{
    if (rt == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    rt->message[0] = '\0';
    if (out == NULL || (kernels == NULL && count > 0)) {
        set_message(rt, "tilec_module_load_cpu: null %s", out == NULL ? "out" : "kernels");
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (rt->backend != &rt_backend_cpu) {
        set_message(rt, "CPU kernels need the CPU backend, not %s", rt->backend->name);
        return TILEC_ERR_UNSUPPORTED;
    }
    rt_module_image img = {.cpu = kernels, .count = count};
    return module_load(rt, &img, out);
}

tilec_status tilec_module_load_gpu(tilec_runtime *rt, const void *image, size_t image_bytes,
                                   const tilec_gpu_kernel_desc *kernels, size_t count, tilec_module **out)
{
    if (rt == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    rt->message[0] = '\0';
    if (out == NULL || image == NULL || (kernels == NULL && count > 0)) {
        set_message(rt, "tilec_module_load_gpu: null %s", out == NULL ? "out" : image == NULL ? "image" : "kernels");
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (rt->backend == &rt_backend_cpu) {
        set_message(rt, "GPU kernels need a GPU backend, not %s", rt->backend->name);
        return TILEC_ERR_UNSUPPORTED;
    }
    if (rt->backend == &rt_backend_sim) {
        set_message(rt, "GPU images need the cuda or musa backend, not sim (sim kernels load with "
                    "tilec_module_load_sim)");
        return TILEC_ERR_UNSUPPORTED;
    }
    if (image_bytes == 0) {
        set_message(rt, "tilec_module_load_gpu: empty image");
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    rt_module_image img = {.gpu = kernels, .count = count, .binary = image, .binary_size = image_bytes};
    return module_load(rt, &img, out);
}

tilec_status tilec_module_load_sim(tilec_runtime *rt, const tilec_sim_kernel_desc *kernels, size_t count,
                                   tilec_module **out)
{
    if (rt == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    rt->message[0] = '\0';
    if (out == NULL || (kernels == NULL && count > 0)) {
        set_message(rt, "tilec_module_load_sim: null %s", out == NULL ? "out" : "kernels");
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (rt->backend != &rt_backend_sim) {
        set_message(rt, "sim kernels need the sim backend, not %s", rt->backend->name);
        return TILEC_ERR_UNSUPPORTED;
    }
    rt_module_image img = {.sim = kernels, .count = count};
    return module_load(rt, &img, out);
}

void tilec_module_destroy(tilec_module *m)
{
    if (m == NULL) return;
    m->rt->backend->module_unload(m->rt->state, m->handle);
    module_free(m);
}

tilec_status tilec_module_get_kernel(tilec_module *m, const char *name, tilec_kernel **out)
{
    if (m == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    tilec_runtime *rt = m->rt;
    rt->message[0] = '\0';
    if (name == NULL || out == NULL) {
        set_message(rt, "tilec_module_get_kernel: null %s", name == NULL ? "name" : "out");
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->kernels[i].sig->name, name) == 0) {
            *out = &m->kernels[i];
            return TILEC_OK;
        }
    set_message(rt, "no kernel named '%.200s' in the module", name);
    return TILEC_ERR_NOT_FOUND;
}

/* ---------------------------------------------------- inspecting a kernel */

const char *tilec_kernel_name(const tilec_kernel *k) { return k == NULL ? "" : k->sig->name; }

int32_t tilec_kernel_num_params(const tilec_kernel *k) { return k == NULL ? 0 : k->sig->nparams; }

tilec_status tilec_kernel_param(const tilec_kernel *k, int32_t i, const char **name, int32_t *kind,
                                int32_t *dtype, int32_t *rank)
{
    if (k == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    tilec_runtime *rt = k->module->rt;
    rt->message[0] = '\0';
    if (i < 0 || i >= k->sig->nparams) {
        set_message(rt, "kernel '%s' has %d params; there is no param %d", k->sig->name, (int)k->sig->nparams,
                    (int)i);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    const rt_param *p = &k->sig->params[i];
    if (name != NULL) *name = p->name;
    if (kind != NULL) *kind = p->kind;
    if (dtype != NULL) *dtype = p->dtype;
    if (rank != NULL) *rank = p->rank;
    return TILEC_OK;
}

/* ------------------------------------------------------ launch checks */

static const char *kind_name(int32_t kind)
{
    switch (kind) {
    case TILEC_ARG_TENSOR: return "a tensor";
    case TILEC_ARG_INT: return "an int";
    case TILEC_ARG_FLOAT: return "a float";
    default: return "of an unknown kind";
    }
}

/* Whether v fits the integer or bool dtype dt. u64 takes any value: the
 * int64 is its bit pattern. */
static bool int_fits(int32_t dt, int64_t v)
{
    switch (dt) {
    case TILEC_BOOL: return v == 0 || v == 1;
    case TILEC_I8: return v >= INT8_MIN && v <= INT8_MAX;
    case TILEC_I16: return v >= INT16_MIN && v <= INT16_MAX;
    case TILEC_I32: return v >= INT32_MIN && v <= INT32_MAX;
    case TILEC_U8: return v >= 0 && v <= UINT8_MAX;
    case TILEC_U16: return v >= 0 && v <= UINT16_MAX;
    case TILEC_U32: return v >= 0 && v <= (int64_t)UINT32_MAX;
    default: return true;
    }
}

/* Checks one scalar argument and stores its value in the frame. */
static tilec_status check_scalar(tilec_kernel *k, int32_t i, const tilec_arg *a, rt_frame *f)
{
    tilec_runtime *rt = k->module->rt;
    const rt_param *p = &k->sig->params[i];
    if (p->kind == TILEC_ARG_INT) {
        if (a->kind != TILEC_ARG_INT) {
            set_message(rt, "kernel '%s': param '%s' (argument %d) is an integer %s scalar but the argument is %s",
                        k->sig->name, p->name, (int)i, tilec_dtype_name(p->dtype), kind_name(a->kind));
            return TILEC_ERR_INVALID_ARGUMENT;
        }
        if (!int_fits(p->dtype, a->i)) {
            set_message(rt, "kernel '%s': param '%s' (argument %d) is %lld, which does not fit %s", k->sig->name,
                        p->name, (int)i, (long long)a->i, tilec_dtype_name(p->dtype));
            return TILEC_ERR_INVALID_ARGUMENT;
        }
        f->ints[i] = a->i;
        f->args[i] = &f->ints[i];
        return TILEC_OK;
    }
    if (a->kind != TILEC_ARG_FLOAT && a->kind != TILEC_ARG_INT) {
        set_message(rt, "kernel '%s': param '%s' (argument %d) is a float %s scalar but the argument is %s",
                    k->sig->name, p->name, (int)i, tilec_dtype_name(p->dtype), kind_name(a->kind));
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    f->floats[i] = a->kind == TILEC_ARG_FLOAT ? a->f : (double)a->i;
    f->args[i] = &f->floats[i];
    return TILEC_OK;
}

/* Checks one tensor argument (kind, dtype, rank, sizes, strides, data) and
 * binds its size names. */
static tilec_status check_tensor(tilec_kernel *k, int32_t i, const tilec_arg *a, rt_frame *f)
{
    tilec_runtime *rt = k->module->rt;
    const rt_signature *s = k->sig;
    const rt_param *p = &s->params[i];
    const tilec_tensor *t = &a->tensor;
    const char *kn = s->name, *pn = p->name;
    if (a->kind != TILEC_ARG_TENSOR) {
        set_message(rt, "kernel '%s': param '%s' (argument %d) is a tensor but the argument is %s", kn, pn, (int)i,
                    kind_name(a->kind));
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    if (t->dtype != p->dtype) {
        if (t->dtype < 0 || t->dtype >= TILEC_DTYPE_COUNT)
            set_message(rt, "kernel '%s': tensor '%s' has unknown dtype %d; the signature says %s", kn, pn,
                        (int)t->dtype, tilec_dtype_name(p->dtype));
        else
            set_message(rt, "kernel '%s': tensor '%s' has dtype %s but the signature says %s", kn, pn,
                        tilec_dtype_name(t->dtype), tilec_dtype_name(p->dtype));
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    if (t->rank != p->rank) {
        set_message(rt, "kernel '%s': tensor '%s' has rank %d but the signature says %d", kn, pn, (int)t->rank,
                    (int)p->rank);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    bool empty = false;
    for (int32_t d = 0; d < p->rank; d++) {
        int64_t n = t->sizes[d], st = t->strides[d];
        if (n < 0 || n > INT32_MAX) {
            set_message(rt, "kernel '%s': tensor '%s' dim %d has size %lld, outside [0, INT32_MAX]", kn, pn, (int)d,
                        (long long)n);
            return TILEC_ERR_INVALID_ARGUMENT;
        }
        if (st < 0) {
            set_message(rt, "kernel '%s': tensor '%s' dim %d has negative stride %lld", kn, pn, (int)d,
                        (long long)st);
            return TILEC_ERR_INVALID_ARGUMENT;
        }
        if (n == 0) empty = true;
        int32_t sz = p->dim_size[d];
        if (sz < 0) {
            if (n != p->dims[d]) {
                set_message(rt, "kernel '%s': tensor '%s' dim %d is %lld but the signature says %lld", kn, pn, (int)d,
                            (long long)n, (long long)p->dims[d]);
                return TILEC_ERR_INVALID_ARGUMENT;
            }
        } else if (f->size_param[sz] < 0) {
            f->size_param[sz] = i;
            f->size_dim[sz] = d;
            f->sizes[sz] = n;
            f->sizes32[sz] = (int32_t)n;
        } else if (f->sizes[sz] != n) {
            set_message(rt, "kernel '%s': size %s is %lld in '%s' (dim %d) but %lld in '%s' (dim %d)", kn, s->sizes[sz],
                        (long long)f->sizes[sz], s->params[f->size_param[sz]].name, (int)f->size_dim[sz],
                        (long long)n, pn, (int)d);
            return TILEC_ERR_INVALID_ARGUMENT;
        }
    }
    if (p->rank > 0 && !p->strided) {
        int32_t d = p->rank - 1;
        if (t->sizes[d] > 1 && t->strides[d] != 1) {
            set_message(rt, "kernel '%s': tensor '%s' has innermost stride %lld but is not strided (dim %d must have "
                        "stride 1)", kn, pn, (long long)t->strides[d], (int)d);
            return TILEC_ERR_INVALID_ARGUMENT;
        }
    }
    if (t->data == NULL && !empty) {
        int64_t count = 1;
        for (int32_t d = 0; d < p->rank; d++)
            count = count > INT64_MAX / t->sizes[d] ? INT64_MAX : count * t->sizes[d];
        set_message(rt, "kernel '%s': tensor '%s' has null data but %lld elements", kn, pn, (long long)count);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    f->tensors[i] = *t;
    f->args[i] = &f->tensors[i];
    return TILEC_OK;
}

/* The bytes [*lo, *hi) that a checked tensor may touch; lo == hi when it is
 * empty. Fails when the span does not fit the address space. */
static bool byte_range(const tilec_tensor *t, uintptr_t *lo, uintptr_t *hi)
{
    *lo = *hi = (uintptr_t)t->data;
    uint64_t last = 0; /* offset in elements of the last element */
    for (int32_t d = 0; d < t->rank; d++) {
        if (t->sizes[d] == 0) return true;
        uint64_t n = (uint64_t)t->sizes[d] - 1, st = (uint64_t)t->strides[d];
        if (st != 0 && n > (UINT64_MAX - last) / st) return false;
        last += n * st;
    }
    uint64_t es = tilec_dtype_size(t->dtype);
    if (last >= UINT64_MAX / es) return false;
    uint64_t bytes = (last + 1) * es;
    if (bytes > UINTPTR_MAX - *lo) return false;
    *hi = *lo + (uintptr_t)bytes;
    return true;
}

/* No out/inout tensor may share a byte with an in tensor. */
static tilec_status check_overlap(tilec_kernel *k, const rt_frame *f)
{
    tilec_runtime *rt = k->module->rt;
    const rt_signature *s = k->sig;
    uintptr_t lo[RT_MAX_PARAMS], hi[RT_MAX_PARAMS];
    for (int32_t i = 0; i < s->nparams; i++) {
        if (s->params[i].kind != TILEC_ARG_TENSOR) continue;
        if (!byte_range(&f->tensors[i], &lo[i], &hi[i])) {
            set_message(rt, "kernel '%s': tensor '%s' spans more memory than the address space has", s->name,
                        s->params[i].name);
            return TILEC_ERR_INVALID_ARGUMENT;
        }
    }
    for (int32_t o = 0; o < s->nparams; o++) {
        const rt_param *po = &s->params[o];
        if (po->kind != TILEC_ARG_TENSOR || po->access == RT_ACCESS_IN || lo[o] == hi[o]) continue;
        for (int32_t i = 0; i < s->nparams; i++) {
            const rt_param *pi = &s->params[i];
            if (pi->kind != TILEC_ARG_TENSOR || pi->access != RT_ACCESS_IN || lo[i] == hi[i]) continue;
            if (lo[o] < hi[i] && lo[i] < hi[o]) {
                set_message(rt, "kernel '%s': %s tensor '%s' (bytes 0x%llx..0x%llx) overlaps in tensor '%s' (bytes "
                            "0x%llx..0x%llx)", s->name, po->access == RT_ACCESS_OUT ? "out" : "inout", po->name,
                            (unsigned long long)lo[o], (unsigned long long)hi[o], pi->name,
                            (unsigned long long)lo[i], (unsigned long long)hi[i]);
                return TILEC_ERR_INVALID_ARGUMENT;
            }
        }
    }
    return TILEC_OK;
}

/* Evaluates the grid on the bound sizes and scalars. */
static tilec_status compute_grid(tilec_kernel *k, rt_frame *f)
{
    tilec_runtime *rt = k->module->rt;
    const rt_signature *s = k->sig;
    bool none = false;
    for (int32_t a = 0; a < 3; a++) {
        int64_t e = a < s->ngrid ? rt_grid_eval(&s->grid[a], f->sizes, f->ints) : 1;
        if (e > INT32_MAX) {
            set_message(rt, "kernel '%s': grid axis %d has extent %lld, more than INT32_MAX", s->name, (int)a,
                        (long long)e);
            return TILEC_ERR_INVALID_ARGUMENT;
        }
        if (e <= 0) {
            none = true;
            e = 0;
        }
        f->grid[a] = (int32_t)e;
    }
    f->total = 0;
    if (none) return TILEC_OK;
    int64_t g01 = (int64_t)f->grid[0] * f->grid[1];
    if (g01 > INT64_MAX / f->grid[2]) {
        set_message(rt, "kernel '%s': grid %d x %d x %d has more than INT64_MAX program instances", s->name,
                    (int)f->grid[0], (int)f->grid[1], (int)f->grid[2]);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    f->total = g01 * f->grid[2];
    return TILEC_OK;
}

static tilec_status bind(tilec_kernel *k, const tilec_arg *args, size_t nargs, rt_frame *f)
{
    tilec_runtime *rt = k->module->rt;
    const rt_signature *s = k->sig;
    if (nargs != (size_t)s->nparams) {
        set_message(rt, "kernel '%s': expected %d arguments, got %zu", s->name, (int)s->nparams, nargs);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    if (nargs > 0 && args == NULL) {
        set_message(rt, "kernel '%s': null argument array", s->name);
        return TILEC_ERR_INVALID_ARGUMENT;
    }
    for (int32_t z = 0; z < s->nsizes; z++) f->size_param[z] = -1;
    for (int32_t i = 0; i < s->nparams; i++) {
        f->ints[i] = 0;
        tilec_status st = s->params[i].kind == TILEC_ARG_TENSOR ? check_tensor(k, i, &args[i], f)
                                                                : check_scalar(k, i, &args[i], f);
        if (st != TILEC_OK) return st;
    }
    tilec_status st = check_overlap(k, f);
    if (st != TILEC_OK) return st;
    return compute_grid(k, f);
}

tilec_status tilec_kernel_check(tilec_kernel *k, const tilec_arg *args, size_t nargs, int32_t grid[3])
{
    if (k == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    k->module->rt->message[0] = '\0';
    rt_frame *f = malloc(sizeof *f);
    if (f == NULL) {
        set_message(k->module->rt, "out of memory checking a launch");
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    tilec_status st = bind(k, args, nargs, f);
    if (st == TILEC_OK && grid != NULL) memcpy(grid, f->grid, sizeof f->grid);
    free(f);
    return st;
}

tilec_status tilec_kernel_launch(tilec_kernel *k, const tilec_arg *args, size_t nargs)
{
    if (k == NULL) return TILEC_ERR_INVALID_ARGUMENT;
    tilec_runtime *rt = k->module->rt;
    rt->message[0] = '\0';
    rt_frame *f = malloc(sizeof *f);
    if (f == NULL) {
        set_message(rt, "out of memory launching a kernel");
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    tilec_status st = bind(k, args, nargs, f);
    if (st == TILEC_OK && f->total > 0) {
        rt_launch l = {
            .sig = k->sig,
            .kernel = k->handle,
            .args = f->args,
            .sizes = f->sizes32,
            .grid = {f->grid[0], f->grid[1], f->grid[2]},
            .total = f->total,
        };
        char why[MESSAGE_CAP - 64];
        st = rt->backend->launch(rt->state, &l, why, sizeof why);
        if (st != TILEC_OK) set_message(rt, "kernel '%s': %s", k->sig->name, why);
    }
    free(f);
    return st;
}
