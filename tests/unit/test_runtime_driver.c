/*
 * test_runtime_driver.c — unit tests of the runtime's driver backends
 * (runtime/backend_driver.c), linked against tilec_runtime only, with no GPU.
 * Compiled twice: as test_runtime_cuda (the CUDA backend) and, with
 * -DTEST_MUSA, as test_runtime_musa (the MUSA backend); the macros below
 * give each build its backend, entry-point prefix (P), vendor name (V) and
 * library variable (ENV), so the same cases check both vendors' exact
 * entry-point names and messages. TILEC_<VENDOR>_LIBRARY points the backend
 * at the test double of the driver (cuda_double.c, built for the vendor as
 * a shared library next to this test), which records every driver call and
 * can be told to fail any of them. The tests reach the double's controls by
 * dlopening the same library (same handle, same state).
 *
 * Covered: creation and the device query (arch included), module loading
 * (PTX and cubin for CUDA, mubin for MUSA), kernel lookup, device memory,
 * the marshalling of every parameter value, grid, block (warps x 128 on
 * MUSA mp_22, x 32 on mp_31) and dynamic shared memory, the launch checks,
 * and every error path (library or entry point missing, each failing driver
 * call). Every test starts from a reset double with its default device
 * (warp 32, 1024 threads, 48 KiB shared memory, 163 KiB opt-in, 1 MiB of
 * memory; capability 8.0 for CUDA, 3.1 — mp_31 — for MUSA).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tilec_runtime.h"

#ifdef TEST_MUSA
#define BACKEND TILEC_BACKEND_MUSA
#define BACKEND_NAME "musa"
#define P "mu"                        /* the entry points' prefix */
#define V "MUSA"                      /* the vendor, in messages and error names */
#define ENV "TILEC_MUSA_LIBRARY"
#define LIB "libmusa.so.1"
#define LIB_DEV "libmusa.so"
#define RESULT "MUresult"
#define OTHER_ENV "TILEC_CUDA_LIBRARY" /* the other vendor's variable, which must not matter */
#define ARCH "mp_"
#define CC_MAJOR 3                    /* the device fresh() configures: mp_31, an MTT S5000 */
#define CC_MINOR 1
#define DEFAULT_ARCH "mp_31"
#define IMAGE_MAGIC "\177ELF\002\001\001" /* a mubin is an ELF image */
#else
#define BACKEND TILEC_BACKEND_CUDA
#define BACKEND_NAME "cuda"
#define P "cu"
#define V "CUDA"
#define ENV "TILEC_CUDA_LIBRARY"
#define LIB "libcuda.so.1"
#define LIB_DEV "libcuda.so"
#define RESULT "CUresult"
#define OTHER_ENV "TILEC_MUSA_LIBRARY"
#define ARCH "sm_"
#define CC_MAJOR 8
#define CC_MINOR 0
#define DEFAULT_ARCH "sm_80"
#define IMAGE_MAGIC "" /* PTX text */
#endif

/* ------------------------------------------------------ the double */

static void *g_double;
static int (*dbl_control)(const char *fn, int result);
static int (*dbl_configure)(const char *key, long long value);
static void (*dbl_reset)(void);
static int (*dbl_calls)(void);
static const char *(*dbl_call)(int i);
static size_t (*dbl_launch_params)(void *out, size_t cap);
static long long (*dbl_live)(const char *what);

static void resolve(void *fp, size_t size, const char *name)
{
    void *p = dlsym(g_double, name);
    assert_non_null(p);
    memcpy(fp, &p, size);
}

static int open_double(void **state)
{
    (void)state;
    g_double = dlopen(DOUBLE_PATH, RTLD_NOW | RTLD_LOCAL);
    if (g_double == NULL) {
        fprintf(stderr, "cannot open the " V " double %s: %s\n", DOUBLE_PATH, dlerror());
        return -1;
    }
    resolve(&dbl_control, sizeof dbl_control, "driver_double_control");
    resolve(&dbl_configure, sizeof dbl_configure, "driver_double_configure");
    resolve(&dbl_reset, sizeof dbl_reset, "driver_double_reset");
    resolve(&dbl_calls, sizeof dbl_calls, "driver_double_calls");
    resolve(&dbl_call, sizeof dbl_call, "driver_double_call");
    resolve(&dbl_launch_params, sizeof dbl_launch_params, "driver_double_launch_params");
    resolve(&dbl_live, sizeof dbl_live, "driver_double_live");
    return 0;
}

static int close_double(void **state)
{
    (void)state;
    dlclose(g_double);
    return 0;
}

/* Each test: a fresh double, and the backend pointed at it. */
static int fresh(void **state)
{
    (void)state;
    dbl_reset();
    if (dbl_configure("cc_major", CC_MAJOR) != 0 || dbl_configure("cc_minor", CC_MINOR) != 0) return -1;
    return setenv(ENV, DOUBLE_PATH, 1);
}

/* How many recorded calls start with prefix. */
static int count_calls(const char *prefix)
{
    int n = 0;
    for (int i = 0; i < dbl_calls(); i++)
        if (strncmp(dbl_call(i), prefix, strlen(prefix)) == 0) n++;
    return n;
}

/* The last recorded call that starts with prefix, or "". */
static const char *last_call(const char *prefix)
{
    for (int i = dbl_calls() - 1; i >= 0; i--)
        if (strncmp(dbl_call(i), prefix, strlen(prefix)) == 0) return dbl_call(i);
    return "";
}

/* ------------------------------------------------------------ helpers */

static tilec_runtime *make_rt(void)
{
    tilec_runtime_options o = {.size = sizeof o, .backend = BACKEND};
    tilec_runtime *rt = NULL;
    char why[512] = "";
    tilec_status st = tilec_runtime_create_ex(&o, 0, &rt, why, sizeof why);
    if (st != TILEC_OK) fprintf(stderr, "tilec_runtime_create_ex: %s: %s\n", tilec_status_name(st), why);
    assert_int_equal(st, TILEC_OK);
    assert_non_null(rt);
    return rt;
}

/* Creating on device 0 fails with st and a message containing want. */
static void expect_create_fails(int32_t backend, tilec_status st, const char *want)
{
    tilec_runtime_options o = {.size = sizeof o, .backend = backend};
    char why[1024] = "";
    tilec_runtime *rt = (tilec_runtime *)&o;
    assert_int_equal(tilec_runtime_create_ex(&o, 0, &rt, why, sizeof why), st);
    assert_null(rt);
    if (strstr(why, want) == NULL) fail_msg("message '%s' lacks '%s'", why, want);
}

static void expect_message(tilec_runtime *rt, const char *want)
{
    const char *m = tilec_runtime_message(rt);
    if (strstr(m, want) == NULL) fail_msg("message '%s' lacks '%s'", m, want);
}

/* ------------------------------------------------------------ kernels */

/* Every kind of parameter: a strided rank-2 tensor, an integer and a float
 * scalar, a rank-1 output; two sizes; a 2-D grid over a size and a scalar. */
static const char mk_sig[] = "tilec-signature 1\n"
                             "kernel mk\n"
                             "warps 2\n"
                             "scratch 0\n"
                             "smem 1024\n"
                             "param a tensor f32 in,strided 2 M N\n"
                             "param n scalar i32\n"
                             "param alpha scalar f32\n"
                             "param c tensor f32 out 1 M\n"
                             "size M\n"
                             "size N\n"
                             "grid 2\n"
                             "axis s:0 c:4 add:i32 c:5 div:i32\n"
                             "axis p:1\n"
                             "end\n";

/* Warps 0 (the default, 4); no smem line (an old signature stays valid). */
static const char vadd_sig[] = "tilec-signature 1\n"
                               "kernel vadd\n"
                               "warps 0\n"
                               "scratch 0\n"
                               "param x tensor f32 in 1 N\n"
                               "param y tensor f32 out 1 N\n"
                               "size N\n"
                               "grid 1\n"
                               "axis s:0\n"
                               "end\n";

/* 64 KiB of dynamic shared memory: needs the opt-in. */
static const char big_sig[] = "tilec-signature 1\n"
                              "kernel big\n"
                              "warps 8\n"
                              "scratch 0\n"
                              "smem 65536\n"
                              "param x tensor f32 inout 1 N\n"
                              "size N\n"
                              "grid 1\n"
                              "axis c:3\n"
                              "end\n";

/* PTX as a compiler would write it: the parameter list is the ABI. For MUSA
 * it follows the ELF magic, where the double reads a mubin's kernels. */
static const char image[] = IMAGE_MAGIC
                          "//\n"
                          "// test_runtime_driver: hand-written PTX\n"
                          "//\n"
                          ".version 8.0\n"
                          ".target sm_80\n"
                          ".address_size 64\n"
                          "\n"
                          ".visible .entry mk(\n"
                          "\t.param .u64 a,\n"
                          "\t.param .s64 a_size0,\n"
                          "\t.param .s64 a_size1,\n"
                          "\t.param .s64 a_stride0,\n"
                          "\t.param .s64 a_stride1,\n"
                          "\t.param .s64 n,\n"
                          "\t.param .f64 alpha,\n"
                          "\t.param .u64 c,\n"
                          "\t.param .s64 c_size0,\n"
                          "\t.param .s64 c_stride0,\n"
                          "\t.param .u32 M,\n"
                          "\t.param .u32 N\n"
                          ")\n"
                          "{\n"
                          "\tret;\n"
                          "}\n"
                          "\n"
                          ".visible .entry vadd_kernel(\n"
                          "\t.param .u64 x, .param .s64 x_size0, .param .s64 x_stride0,\n"
                          "\t.param .u64 y, .param .s64 y_size0, .param .s64 y_stride0, .param .u32 N\n"
                          ")\n"
                          "{\n"
                          "\tret;\n"
                          "}\n"
                          "\n"
                          ".visible .entry big(.param .u64 x, .param .s64 x_size0, .param .s64 x_stride0, .param .u32 N)\n"
                          "{\n"
                          "\tret;\n"
                          "}\n";

static tilec_module *load_image(tilec_runtime *rt, const char *sig, const char *entry)
{
    tilec_gpu_kernel_desc d = {sig, entry};
    tilec_module *m = NULL;
    tilec_status st = tilec_module_load_gpu(rt, image, sizeof image, &d, 1, &m);
    if (st != TILEC_OK) fprintf(stderr, "tilec_module_load_gpu: %s\n", tilec_runtime_message(rt));
    assert_int_equal(st, TILEC_OK);
    assert_non_null(m);
    return m;
}

/* -------------------------------------------------------- the device */

static void creates_and_queries_the_device(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt();
    assert_int_equal(tilec_runtime_num_threads(rt), 0);
    tilec_device_props p = {.size = sizeof p};
    assert_int_equal(tilec_device_info(rt, &p), TILEC_OK);
    assert_int_equal(p.size, sizeof p);
    assert_string_equal(p.name, "Tilec Double 0");
    assert_int_equal(p.cc_major, CC_MAJOR);
    assert_int_equal(p.cc_minor, CC_MINOR);
    assert_string_equal(p.arch, DEFAULT_ARCH);
    assert_int_equal(p.warp_size, 32);
    assert_int_equal(p.max_threads_per_block, 1024);
    assert_int_equal(p.max_shared_per_block, 48 * 1024);
    assert_int_equal(p.max_shared_optin, 163 * 1024);
    assert_int_equal(p.multiprocessors, 108);
    /* A struct from an older header is filled only as far as its size. */
    tilec_device_props q;
    memset(&q, 0x7f, sizeof q);
    q.size = offsetof(tilec_device_props, cc_major);
    assert_int_equal(tilec_device_info(rt, &q), TILEC_OK);
    assert_string_equal(q.name, "Tilec Double 0");
    assert_int_equal(q.cc_major, 0x7f7f7f7f);
    q.size = offsetof(tilec_device_props, arch); /* from before arch was added */
    assert_int_equal(tilec_device_info(rt, &q), TILEC_OK);
    assert_int_equal(q.multiprocessors, 108);
    assert_int_equal((unsigned char)q.arch[0], 0x7f);
    assert_int_equal(tilec_device_info(rt, NULL), TILEC_ERR_INVALID_ARGUMENT);

    assert_string_equal(last_call(P "Init"), P "Init 0");
    assert_string_equal(last_call(P "DeviceGet "), P "DeviceGet 0");
    assert_int_equal(count_calls(P "DevicePrimaryCtxRetain 0"), 1);
    assert_int_equal(dbl_live("retains"), 1);
    assert_int_equal(dbl_live("current"), 1);
    assert_int_equal(tilec_runtime_synchronize(rt), TILEC_OK);
    assert_int_equal(count_calls(P "CtxSynchronize"), 1);
    tilec_runtime_destroy(rt);
    assert_int_equal(dbl_live("retains"), 0);
    assert_int_equal(dbl_live("current"), 0);
    assert_int_equal(count_calls(P "DevicePrimaryCtxRelease_v2 0"), 1);
    assert_int_equal(count_calls("(v1)"), 0); /* only the versioned entry points */
}

static void picks_the_device_and_its_warp_size(void **state)
{
    (void)state;
    assert_int_equal(dbl_configure("device_count", 2), 0);
    assert_int_equal(dbl_configure("warp_size", 128), 0);
    assert_int_equal(dbl_configure("cc_major", 2), 0);
    assert_int_equal(dbl_configure("cc_minor", 2), 0);
    tilec_runtime_options o = {.size = sizeof o, .backend = BACKEND};
    tilec_runtime *rt = NULL;
    assert_int_equal(tilec_runtime_create_ex(&o, 1, &rt, NULL, 0), TILEC_OK);
    tilec_device_props p = {.size = sizeof p};
    assert_int_equal(tilec_device_info(rt, &p), TILEC_OK);
    assert_string_equal(p.name, "Tilec Double 1");
    assert_int_equal(p.warp_size, 128);
    assert_int_equal(p.cc_major, 2);
    assert_int_equal(p.cc_minor, 2);
    assert_string_equal(p.arch, ARCH "22"); /* mp_22 on MUSA: an MTT S4000 */
    assert_string_equal(last_call(P "DevicePrimaryCtxRetain"), P "DevicePrimaryCtxRetain 1");

    /* Block = warps x warp size: 4 (warps 0) x 128 here. */
    tilec_module *m = load_image(rt, vadd_sig, "vadd_kernel");
    tilec_kernel *k = NULL;
    assert_int_equal(tilec_module_get_kernel(m, "vadd", &k), TILEC_OK);
    void *x = NULL, *y = NULL;
    assert_int_equal(tilec_device_alloc(rt, 40, &x), TILEC_OK);
    assert_int_equal(tilec_device_alloc(rt, 40, &y), TILEC_OK);
    int64_t n = 10;
    tilec_arg args[2] = {tilec_arg_tensor(tilec_tensor_contiguous(x, TILEC_F32, 1, &n)), tilec_arg_tensor(tilec_tensor_contiguous(y, TILEC_F32, 1, &n))};
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_OK);
    assert_string_equal(last_call(P "LaunchKernel"),
                        P "LaunchKernel vadd_kernel grid=10,1,1 block=512,1,1 smem=0 stream=default params=7");
    assert_int_equal(tilec_device_free(rt, x), TILEC_OK);
    assert_int_equal(tilec_device_free(rt, y), TILEC_OK);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);

    char why[256] = "";
    assert_int_equal(tilec_runtime_create_ex(&o, 2, &rt, why, sizeof why), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(why, "no " V " device 2: the driver sees 2 (0 to 1)");
    assert_int_equal(tilec_runtime_create_ex(&o, -1, &rt, why, sizeof why), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(why, "no device -1 on the chosen backend");
    o.backend = TILEC_BACKEND_CPU;
    assert_int_equal(tilec_runtime_create_ex(&o, 1, &rt, why, sizeof why), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(why, "no device 1 on the CPU backend");
    assert_int_equal(dbl_live("retains"), 0);
}

/* The arch follows the compute capability and the block is warps x the
 * device's warp size, with the kernel's dynamic shared memory: the MUSA
 * cards of /work/shared/MUSA.md (for CUDA the same devices give sm_XY). */
static void block_and_arch_follow_the_device(void **state)
{
    (void)state;
    static const struct {
        int cc_major, cc_minor, warp;
        long long smem;   /* shared memory per block, the opt-in limit too */
        const char *arch; /* after the vendor's prefix */
    } devices[] = {
        {2, 1, 128, 48 * 1024, "21"}, /* MTT S80: 128 in hardware */
        {2, 2, 128, 73728, "22"},     /* MTT S4000 */
        {3, 1, 32, 196608, "31"},     /* MTT S5000 */
        {9, 0, 32, 232448, "90"},
    };
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
        dbl_reset();
        assert_int_equal(dbl_configure("cc_major", devices[i].cc_major), 0);
        assert_int_equal(dbl_configure("cc_minor", devices[i].cc_minor), 0);
        assert_int_equal(dbl_configure("warp_size", devices[i].warp), 0);
        assert_int_equal(dbl_configure("smem_block", devices[i].smem), 0);
        assert_int_equal(dbl_configure("smem_optin", devices[i].smem), 0);
        tilec_runtime *rt = make_rt();
        tilec_device_props p = {.size = sizeof p};
        assert_int_equal(tilec_device_info(rt, &p), TILEC_OK);
        char arch[32];
        snprintf(arch, sizeof arch, ARCH "%s", devices[i].arch);
        assert_string_equal(p.arch, arch);
        assert_int_equal(p.warp_size, devices[i].warp);
        assert_int_equal(p.max_shared_per_block, devices[i].smem);

        /* vadd: warps 0 (4), no shared memory; mk: warps 2, 1 KiB; big: warps 8, 64 KiB (opted in). */
        tilec_gpu_kernel_desc d[3] = {{vadd_sig, "vadd_kernel"}, {mk_sig, NULL}, {big_sig, NULL}};
        tilec_module *m = NULL;
        bool fits = devices[i].smem >= 65536;
        if (!fits) { /* refused at load, with the device's numbers */
            assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, d, 3, &m), TILEC_ERR_UNSUPPORTED);
            assert_string_equal(tilec_runtime_message(rt), "kernel 2: kernel 'big' needs 65536 bytes of shared "
                                                           "memory per block but device 'Tilec Double 0' allows 49152");
        }
        assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, d, fits ? 3 : 2, &m), TILEC_OK);
        assert_int_equal(count_calls(P "FuncSetAttribute 8 65536"), fits ? 1 : 0);
        void *x = NULL, *y = NULL;
        assert_int_equal(tilec_device_alloc(rt, 256, &x), TILEC_OK);
        assert_int_equal(tilec_device_alloc(rt, 256, &y), TILEC_OK);
        int64_t n = 10, sz2[2] = {3, 2};
        tilec_arg vargs[2] = {tilec_arg_tensor(tilec_tensor_contiguous(x, TILEC_F32, 1, &n)), tilec_arg_tensor(tilec_tensor_contiguous(y, TILEC_F32, 1, &n))};
        tilec_arg margs[4] = {tilec_arg_tensor(tilec_tensor_contiguous(x, TILEC_F32, 2, sz2)), tilec_arg_int(1), tilec_arg_float(1.0),
                              tilec_arg_tensor(tilec_tensor_contiguous(y, TILEC_F32, 1, sz2))};
        tilec_kernel *k = NULL;
        char want[256];
        assert_int_equal(tilec_module_get_kernel(m, "vadd", &k), TILEC_OK);
        assert_int_equal(tilec_kernel_launch(k, vargs, 2), TILEC_OK);
        snprintf(want, sizeof want,
                 P "LaunchKernel vadd_kernel grid=10,1,1 block=%d,1,1 smem=0 stream=default params=7",
                 4 * devices[i].warp);
        assert_string_equal(last_call(P "LaunchKernel"), want);
        assert_int_equal(tilec_module_get_kernel(m, "mk", &k), TILEC_OK);
        assert_int_equal(tilec_kernel_launch(k, margs, 4), TILEC_OK);
        snprintf(want, sizeof want, P "LaunchKernel mk grid=1,1,1 block=%d,1,1 smem=1024 stream=default params=12",
                 2 * devices[i].warp);
        assert_string_equal(last_call(P "LaunchKernel"), want);
        if (fits) {
            assert_int_equal(tilec_module_get_kernel(m, "big", &k), TILEC_OK);
            assert_int_equal(tilec_kernel_launch(k, vargs, 1), TILEC_OK);
            snprintf(want, sizeof want,
                     P "LaunchKernel big grid=3,1,1 block=%d,1,1 smem=65536 stream=default params=4",
                     8 * devices[i].warp);
            assert_string_equal(last_call(P "LaunchKernel"), want);
        }
        assert_int_equal(tilec_device_free(rt, x), TILEC_OK);
        assert_int_equal(tilec_device_free(rt, y), TILEC_OK);
        tilec_module_destroy(m);
        tilec_runtime_destroy(rt);
    }
    assert_int_equal(dbl_live("retains"), 0);
    assert_int_equal(dbl_live("allocs"), 0);
}

/* ----------------------------------------------------------- modules */

/* The images the vendor takes: PTX text and a cubin (ELF) for CUDA, through
 * cuModuleLoadDataEx with a JIT log; only a mubin (ELF) for MUSA, through
 * muModuleLoadData. */
static void loads_modules(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt();
    tilec_gpu_kernel_desc d[2] = {{mk_sig, NULL}, {vadd_sig, "vadd_kernel"}};
    tilec_module *m = NULL;
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, d, 2, &m), TILEC_OK);
    assert_string_equal(tilec_runtime_message(rt), "");
#ifdef TEST_MUSA
    assert_string_equal(last_call(P "ModuleLoadData"), P "ModuleLoadData elf");
    assert_int_equal(count_calls(P "ModuleLoadDataEx"), 0);
#else
    assert_string_equal(last_call(P "ModuleLoadDataEx"), P "ModuleLoadDataEx ptx nopts=2 log=yes");
    assert_int_equal(count_calls(P "ModuleLoadData "), 0);
#endif
    assert_string_equal(last_call(P "ModuleGetFunction mk"), P "ModuleGetFunction mk");
    assert_string_equal(last_call(P "ModuleGetFunction vadd"), P "ModuleGetFunction vadd_kernel");
    assert_int_equal(count_calls(P "FuncSetAttribute"), 0); /* 1 KiB needs no opt-in */
    tilec_kernel *k = NULL;
    assert_int_equal(tilec_module_get_kernel(m, "mk", &k), TILEC_OK);
    assert_int_equal(tilec_module_get_kernel(m, "vadd", &k), TILEC_OK);
    assert_int_equal(tilec_module_get_kernel(m, "vadd_kernel", &k), TILEC_ERR_NOT_FOUND);
    assert_int_equal(dbl_live("modules"), 1);
    tilec_module_destroy(m);
    assert_int_equal(dbl_live("modules"), 0);

    /* An ELF image's length is image_bytes (no NUL needed). */
    char elf[256];
    size_t len = (size_t)snprintf(elf, sizeof elf, "\177ELF\002\001\001 .visible .entry vadd_kernel(.param .u64 x)");
    assert_int_equal(tilec_module_load_gpu(rt, elf, len, &d[1], 1, &m), TILEC_OK);
    tilec_module_destroy(m);
#ifdef TEST_MUSA
    assert_string_equal(last_call(P "ModuleLoadData"), P "ModuleLoadData elf");

    /* Text is not a mubin: refused before the driver sees it. */
    int loads = count_calls(P "ModuleLoadData");
    static const char text[] = "// PTX\n.visible .entry vadd_kernel(.param .u64 x)\n";
    assert_int_equal(tilec_module_load_gpu(rt, text, sizeof text, &d[1], 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt),
                        "the image is not a mubin: its 51 bytes do not start with the ELF magic");
    assert_int_equal(tilec_module_load_gpu(rt, image, 3, d, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_int_equal(tilec_module_load_gpu(rt, image, 0, d, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_int_equal(tilec_module_load_gpu(rt, NULL, 10, d, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_int_equal(count_calls(P "ModuleLoadData"), loads);
    /* An image the driver rejects: its error (no JIT, so no log). */
    assert_int_equal(dbl_control(P "ModuleLoadData", 200), 0);
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, d, 1, &m), TILEC_ERR_BACKEND);
    assert_null(m);
    assert_string_equal(tilec_runtime_message(rt),
                        P "ModuleLoadData failed: " V "_ERROR_INVALID_IMAGE: device kernel image is invalid");
    assert_int_equal(dbl_control(P "ModuleLoadData", 0), 0);
#else
    assert_string_equal(last_call(P "ModuleLoadDataEx"), P "ModuleLoadDataEx cubin nopts=2 log=yes");

    /* PTX without its NUL within image_bytes is refused before the driver sees it. */
    int loads = count_calls(P "ModuleLoadDataEx");
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image - 1, d, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    expect_message(rt, "neither a cubin (ELF) nor PTX text with its terminating NUL within its");
    assert_int_equal(tilec_module_load_gpu(rt, image, 0, d, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_int_equal(tilec_module_load_gpu(rt, NULL, 10, d, 1, &m), TILEC_ERR_INVALID_ARGUMENT);
    assert_int_equal(count_calls(P "ModuleLoadDataEx"), loads);
    /* An image the driver rejects: its error and the JIT log. */
    static const char junk[] = "this is not PTX";
    assert_int_equal(tilec_module_load_gpu(rt, junk, sizeof junk, d, 1, &m), TILEC_ERR_BACKEND);
    assert_null(m);
    assert_string_equal(tilec_runtime_message(rt),
                        P "ModuleLoadDataEx failed: " V "_ERROR_INVALID_IMAGE: device kernel image is invalid; "
                        "JIT log: double: not PTX and not an ELF cubin");
#endif
    /* A malformed signature is caught as on the CPU, before loading. */
    tilec_gpu_kernel_desc bad = {"tilec-signature 1\nkernel x\nend\n", NULL};
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, &bad, 1, &m), TILEC_ERR_SIGNATURE);
    expect_message(rt, "kernel 0: signature line 3: no 'warps' line before 'end'");
    /* Kernel kinds need their backend. */
    tilec_cpu_kernel_desc cd = {vadd_sig, NULL};
    assert_int_equal(tilec_module_load_cpu(rt, &cd, 1, &m), TILEC_ERR_UNSUPPORTED);
    assert_string_equal(tilec_runtime_message(rt), "CPU kernels need the CPU backend, not " BACKEND_NAME);
    assert_int_equal(dbl_live("modules"), 0);
    tilec_runtime_destroy(rt);

    tilec_runtime_options o = {.size = sizeof o, .backend = TILEC_BACKEND_CPU, .num_threads = 1};
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_OK);
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, d, 1, &m), TILEC_ERR_UNSUPPORTED);
    assert_string_equal(tilec_runtime_message(rt), "GPU kernels need a GPU backend, not cpu");
    tilec_runtime_destroy(rt);
}

static void looks_up_kernels(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt();
    tilec_gpu_kernel_desc d[2] = {{mk_sig, NULL}, {vadd_sig, "nope"}};
    tilec_module *m = (tilec_module *)rt;
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, d, 2, &m), TILEC_ERR_NOT_FOUND);
    assert_null(m);
    assert_string_equal(tilec_runtime_message(rt), "kernel 1: entry 'nope' of kernel 'vadd': " P "ModuleGetFunction "
                                                   "failed: " V "_ERROR_NOT_FOUND: named symbol not found");
    assert_int_equal(dbl_live("modules"), 0); /* unloaded again */
    /* With no entry given, the entry is the signature's kernel name: vadd is not in the PTX. */
    d[1].entry = NULL;
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, &d[1], 1, &m), TILEC_ERR_NOT_FOUND);
    expect_message(rt, "entry 'vadd' of kernel 'vadd'");
    /* A name that only prefixes an entry is not that entry. */
    d[1].entry = "vadd";
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, &d[1], 1, &m), TILEC_ERR_NOT_FOUND);
    d[1].entry = "vadd_kernel";
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, &d[1], 1, &m), TILEC_OK);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

/* ------------------------------------------------------------ memory */

static void device_memory_round_trip(tilec_runtime *rt)
{
    enum { N = 64 };
    int32_t in[N], out[N];
    for (int i = 0; i < N; i++) {
        in[i] = i * 7 - 3;
        out[i] = 0;
    }
    void *d = NULL;
    assert_int_equal(tilec_device_alloc(rt, sizeof in, &d), TILEC_OK);
    assert_non_null(d);
    assert_int_equal(tilec_copy_to_device(rt, d, in, sizeof in), TILEC_OK);
    assert_int_equal(tilec_copy_to_host(rt, out, d, sizeof out), TILEC_OK);
    assert_memory_equal(in, out, sizeof in);
    assert_int_equal(tilec_copy_to_host(rt, out, d, 0), TILEC_OK);
    assert_int_equal(tilec_copy_to_host(rt, NULL, d, 4), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "tilec_copy_to_host: null dst");
    assert_int_equal(tilec_copy_to_device(rt, d, NULL, 4), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "tilec_copy_to_device: null src");
    assert_int_equal(tilec_device_free(rt, d), TILEC_OK);
    void *z = &d;
    assert_int_equal(tilec_device_alloc(rt, 0, &z), TILEC_OK);
    assert_null(z);
    assert_int_equal(tilec_device_free(rt, NULL), TILEC_OK);
    assert_int_equal(tilec_device_alloc(rt, 8, NULL), TILEC_ERR_INVALID_ARGUMENT);
}

static void device_memory_works(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt();
    device_memory_round_trip(rt);
    assert_int_equal(count_calls(P "MemAlloc_v2 256"), 1);
    assert_int_equal(count_calls(P "MemcpyHtoD_v2 256"), 1);
    assert_int_equal(count_calls(P "MemcpyDtoH_v2 256"), 1);
    assert_int_equal(count_calls(P "MemFree_v2"), 1);
    assert_int_equal(dbl_live("allocs"), 0);
    /* Freeing what the driver never gave: its error, as a backend failure. */
    int x;
    assert_int_equal(tilec_device_free(rt, &x), TILEC_ERR_BACKEND);
    assert_string_equal(tilec_runtime_message(rt), P "MemFree_v2 failed: " V "_ERROR_INVALID_VALUE: invalid argument");
    /* Out of device memory is TILEC_ERR_OUT_OF_MEMORY, with the driver's words. */
    assert_int_equal(dbl_configure("budget", 1000), 0);
    void *d = NULL;
    assert_int_equal(tilec_device_alloc(rt, 600, &d), TILEC_OK);
    void *e = &x;
    assert_int_equal(tilec_device_alloc(rt, 600, &e), TILEC_ERR_OUT_OF_MEMORY);
    assert_null(e);
    assert_string_equal(tilec_runtime_message(rt), P "MemAlloc_v2 failed: " V "_ERROR_OUT_OF_MEMORY: out of memory");
    /* A copy past the end of an allocation. */
    char buf[700] = {0};
    assert_int_equal(tilec_copy_to_device(rt, d, buf, sizeof buf), TILEC_ERR_BACKEND);
    assert_string_equal(tilec_runtime_message(rt),
                        P "MemcpyHtoD_v2 failed: " V "_ERROR_INVALID_VALUE: invalid argument");
    assert_int_equal(dbl_control(P "MemcpyDtoH_v2", 700), 0);
    assert_int_equal(tilec_copy_to_host(rt, buf, d, 8), TILEC_ERR_BACKEND);
    assert_string_equal(tilec_runtime_message(rt), P "MemcpyDtoH_v2 failed: " V "_ERROR_ILLEGAL_ADDRESS: an illegal "
                                                   "memory access was encountered");
    assert_int_equal(tilec_device_free(rt, d), TILEC_OK);
    tilec_runtime_destroy(rt);
}

static void cpu_device_memory_is_host_memory(void **state)
{
    (void)state;
    tilec_runtime_options o = {.size = sizeof o, .backend = TILEC_BACKEND_CPU, .num_threads = 2};
    tilec_runtime *rt = NULL;
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_OK);
    device_memory_round_trip(rt);
    tilec_device_props p = {.size = sizeof p};
    assert_int_equal(tilec_device_info(rt, &p), TILEC_OK);
    assert_string_equal(p.name, "cpu");
    assert_int_equal(p.warp_size, 1);
    assert_int_equal(p.multiprocessors, 2);
    assert_int_equal(tilec_runtime_synchronize(rt), TILEC_OK);
    assert_int_equal(dbl_calls(), 0); /* the driver was never touched */
    tilec_runtime_destroy(rt);
}

/* ---------------------------------------------------------- launching */

static int64_t i64_at(const unsigned char *b, size_t off)
{
    int64_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

static void marshals_every_parameter(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt();
    tilec_module *m = load_image(rt, mk_sig, NULL);
    tilec_kernel *k = NULL;
    assert_int_equal(tilec_module_get_kernel(m, "mk", &k), TILEC_OK);
    void *a = NULL, *c = NULL;
    assert_int_equal(tilec_device_alloc(rt, 256, &a), TILEC_OK);
    assert_int_equal(tilec_device_alloc(rt, 64, &c), TILEC_OK);
    int64_t asz[2] = {7, 3}, csz = 7;
    tilec_arg args[4] = {tilec_arg_tensor(tilec_tensor_contiguous(a, TILEC_F32, 2, asz)), tilec_arg_int(2), tilec_arg_float(0.375),
                         tilec_arg_tensor(tilec_tensor_contiguous(c, TILEC_F32, 1, &csz))};
    args[0].tensor.strides[0] = 6; /* a is strided: every other column of a 7 x 6 array */
    args[0].tensor.strides[1] = 2;
    int32_t grid[3];
    assert_int_equal(tilec_kernel_check(k, args, 4, grid), TILEC_OK);
    assert_int_equal(grid[0], 2);
    assert_int_equal(grid[1], 2);
    assert_int_equal(tilec_kernel_launch(k, args, 4), TILEC_OK);
    assert_string_equal(last_call(P "LaunchKernel"),
                        P "LaunchKernel mk grid=2,2,1 block=64,1,1 smem=1024 stream=default params=12");
    unsigned char b[256];
    assert_int_equal(dbl_launch_params(b, sizeof b), 8 * 10 + 4 * 2);
    assert_int_equal(i64_at(b, 0), (int64_t)(uintptr_t)a); /* a: data, sizes, strides */
    assert_int_equal(i64_at(b, 8), 7);
    assert_int_equal(i64_at(b, 16), 3);
    assert_int_equal(i64_at(b, 24), 6);
    assert_int_equal(i64_at(b, 32), 2);
    assert_int_equal(i64_at(b, 40), 2); /* n, as int64 */
    double alpha;
    memcpy(&alpha, b + 48, sizeof alpha);
    assert_true(alpha == 0.375); /* alpha, as a double */
    assert_int_equal(i64_at(b, 56), (int64_t)(uintptr_t)c);
    assert_int_equal(i64_at(b, 64), 7);
    assert_int_equal(i64_at(b, 72), 1);
    int32_t sizes[2];
    memcpy(sizes, b + 80, sizeof sizes);
    assert_int_equal(sizes[0], 7); /* M, N as int32 */
    assert_int_equal(sizes[1], 3);

    /* A negative integer and an int given to a float param. */
    args[1].i = -5;
    args[2] = tilec_arg_int(3);
    assert_int_equal(tilec_kernel_check(k, args, 4, grid), TILEC_OK);
    assert_int_equal(grid[1], 0);
    int launches = count_calls(P "LaunchKernel");
    assert_int_equal(tilec_kernel_launch(k, args, 4), TILEC_OK); /* an empty grid launches nothing */
    assert_int_equal(count_calls(P "LaunchKernel"), launches);
    args[1].i = 1;
    assert_int_equal(tilec_kernel_launch(k, args, 4), TILEC_OK);
    assert_int_equal(dbl_launch_params(b, sizeof b), 88);
    assert_int_equal(i64_at(b, 40), 1);
    memcpy(&alpha, b + 48, sizeof alpha);
    assert_true(alpha == 3.0);
    assert_string_equal(last_call(P "LaunchKernel"),
                        P "LaunchKernel mk grid=2,1,1 block=64,1,1 smem=1024 stream=default params=12");
    assert_int_equal(tilec_device_free(rt, a), TILEC_OK);
    assert_int_equal(tilec_device_free(rt, c), TILEC_OK);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

static void launch_checks_still_apply(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt();
    tilec_module *m = load_image(rt, vadd_sig, "vadd_kernel");
    tilec_kernel *k = NULL;
    assert_int_equal(tilec_module_get_kernel(m, "vadd", &k), TILEC_OK);
    void *x = NULL, *y = NULL;
    assert_int_equal(tilec_device_alloc(rt, 64, &x), TILEC_OK);
    assert_int_equal(tilec_device_alloc(rt, 64, &y), TILEC_OK);
    int64_t n = 16, n2 = 15;
    tilec_arg args[2] = {tilec_arg_tensor(tilec_tensor_contiguous(x, TILEC_F32, 1, &n)), tilec_arg_tensor(tilec_tensor_contiguous(y, TILEC_F32, 1, &n))};
    args[1].tensor.dtype = TILEC_F16;
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_ERR_INVALID_ARGUMENT);
    assert_string_equal(tilec_runtime_message(rt), "kernel 'vadd': tensor 'y' has dtype f16 but the signature says f32");
    args[1] = tilec_arg_tensor(tilec_tensor_contiguous(y, TILEC_F32, 1, &n2));
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_ERR_INVALID_ARGUMENT);
    expect_message(rt, "size N is 16 in 'x' (dim 0) but 15 in 'y' (dim 0)");
    args[1] = tilec_arg_tensor(tilec_tensor_contiguous(NULL, TILEC_F32, 1, &n));
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_ERR_INVALID_ARGUMENT);
    expect_message(rt, "tensor 'y' has null data but 16 elements");
    args[1] = tilec_arg_tensor(tilec_tensor_contiguous(x, TILEC_F32, 1, &n)); /* the output is the input: overlap on device addresses */
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_ERR_INVALID_ARGUMENT);
    expect_message(rt, "out tensor 'y'");
    assert_int_equal(tilec_kernel_launch(k, args, 1), TILEC_ERR_INVALID_ARGUMENT);
    assert_int_equal(count_calls(P "LaunchKernel"), 0);
    args[1] = tilec_arg_tensor(tilec_tensor_contiguous(y, TILEC_F32, 1, &n));
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_OK);
    assert_string_equal(last_call(P "LaunchKernel"),
                        P "LaunchKernel vadd_kernel grid=16,1,1 block=128,1,1 smem=0 stream=default params=7");
    assert_int_equal(tilec_device_free(rt, x), TILEC_OK);
    assert_int_equal(tilec_device_free(rt, y), TILEC_OK);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
}

static void opts_in_to_large_shared_memory(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt();
    tilec_module *m = load_image(rt, big_sig, NULL);
    assert_string_equal(last_call(P "FuncSetAttribute"), P "FuncSetAttribute 8 65536");
    tilec_kernel *k = NULL;
    assert_int_equal(tilec_module_get_kernel(m, "big", &k), TILEC_OK);
    void *x = NULL;
    assert_int_equal(tilec_device_alloc(rt, 16, &x), TILEC_OK);
    int64_t n = 4;
    tilec_arg a = tilec_arg_tensor(tilec_tensor_contiguous(x, TILEC_F32, 1, &n));
    assert_int_equal(tilec_kernel_launch(k, &a, 1), TILEC_OK);
    assert_string_equal(last_call(P "LaunchKernel"),
                        P "LaunchKernel big grid=3,1,1 block=256,1,1 smem=65536 stream=default params=4");
    assert_int_equal(tilec_device_free(rt, x), TILEC_OK);
    tilec_module_destroy(m);

    /* The opt-in failing fails the load. */
    assert_int_equal(dbl_control(P "FuncSetAttribute", 1), 0);
    tilec_gpu_kernel_desc d = {big_sig, NULL};
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, &d, 1, &m), TILEC_ERR_BACKEND);
    assert_string_equal(tilec_runtime_message(rt),
                        "kernel 0: " P "FuncSetAttribute failed: " V "_ERROR_INVALID_VALUE: invalid argument");
    assert_int_equal(dbl_live("modules"), 0);
    tilec_runtime_destroy(rt);

    /* More than the device allows, or more threads than a block may have: refused at load. */
    assert_int_equal(dbl_configure("smem_optin", 60000), 0);
    rt = make_rt();
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, &d, 1, &m), TILEC_ERR_UNSUPPORTED);
    assert_string_equal(tilec_runtime_message(rt), "kernel 0: kernel 'big' needs 65536 bytes of shared memory per "
                                                   "block but device 'Tilec Double 0' allows 60000");
    tilec_runtime_destroy(rt);
    assert_int_equal(dbl_configure("smem_optin", 163 * 1024), 0);
    assert_int_equal(dbl_configure("max_threads", 128), 0);
    rt = make_rt();
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, &d, 1, &m), TILEC_ERR_UNSUPPORTED);
    assert_string_equal(tilec_runtime_message(rt), "kernel 0: kernel 'big' needs 256 threads per block (8 warps of "
                                                   "32) but device 'Tilec Double 0' allows 128");
    tilec_runtime_destroy(rt);
}

/* The `smem` line: optional, at most once, at most 16 MiB; the CPU ignores it. */
static void smem_line_is_parsed(void **state)
{
    (void)state;
    tilec_runtime_options o = {.size = sizeof o, .backend = TILEC_BACKEND_CPU, .num_threads = 1};
    tilec_runtime *rt = NULL;
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_OK);
    static const struct {
        const char *line;
        tilec_status st;
        const char *msg;
    } cases[] = {
        {"smem 0\n", TILEC_OK, ""},
        {"smem 16777216\n", TILEC_OK, ""},
        {"smem 16777217\n", TILEC_ERR_SIGNATURE,
         "kernel 0: signature line 3: 'smem' value '16777217' is not an integer in [0, 16777216]"},
        {"smem -1\n", TILEC_ERR_SIGNATURE,
         "kernel 0: signature line 3: 'smem' value '-1' is not an integer in [0, 16777216]"},
        {"smem\n", TILEC_ERR_SIGNATURE, "kernel 0: signature line 3: 'smem' takes 1 field, found 0"},
        {"smem 4\nsmem 4\n", TILEC_ERR_SIGNATURE,
         "kernel 0: signature line 4: second 'smem' line (the first is line 3)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sig[512];
        snprintf(sig, sizeof sig, "tilec-signature 1\nkernel s\n%swarps 1\nscratch 0\nparam x tensor f32 in 1 N\n"
                 "size N\ngrid 1\naxis c:1\nend\n", cases[i].line);
        tilec_cpu_kernel_desc d = {sig, NULL};
        tilec_module *m = NULL;
        /* A NULL fn fails after the signature is parsed: it tells the two apart. */
        tilec_status st = tilec_module_load_cpu(rt, &d, 1, &m);
        if (cases[i].st == TILEC_OK) {
            assert_int_equal(st, TILEC_ERR_INVALID_ARGUMENT);
            assert_string_equal(tilec_runtime_message(rt), "kernel 0: kernel 's' has no function");
        } else {
            assert_int_equal(st, cases[i].st);
            assert_string_equal(tilec_runtime_message(rt), cases[i].msg);
        }
    }
    tilec_runtime_destroy(rt);
}

/* -------------------------------------------------------- error paths */

static void missing_driver_or_entry_point(void **state)
{
    (void)state;
    assert_int_equal(setenv(ENV, "/nonexistent/lib-missing.so.1", 1), 0);
    expect_create_fails(BACKEND, TILEC_ERR_UNSUPPORTED,
                        "cannot load the " V " driver from " ENV "=/nonexistent/lib-missing.so.1: ");
    /* A caller without a message buffer still gets the status. */
    tilec_runtime_options o = {.size = sizeof o, .backend = BACKEND};
    tilec_runtime *rt = NULL;
    assert_int_equal(tilec_runtime_create_ex(&o, 0, &rt, NULL, 100), TILEC_ERR_UNSUPPORTED);
    assert_int_equal(tilec_runtime_create(&o, &rt), TILEC_ERR_UNSUPPORTED);
    assert_null(rt);

    assert_int_equal(setenv(ENV, DOUBLE_NO_LAUNCH_PATH, 1), 0);
    char want[1024];
    snprintf(want, sizeof want, "the " V " driver %s has no entry point " P "LaunchKernel", DOUBLE_NO_LAUNCH_PATH);
    expect_create_fails(BACKEND, TILEC_ERR_UNSUPPORTED, want);

    /* The other vendor's double exports the other prefix: not this driver. */
    assert_int_equal(setenv(ENV, OTHER_DOUBLE_PATH, 1), 0);
    snprintf(want, sizeof want, "the " V " driver %s has no entry point " P "GetErrorName", OTHER_DOUBLE_PATH);
    expect_create_fails(BACKEND, TILEC_ERR_UNSUPPORTED, want);
    assert_int_equal(count_calls(""), 0);

    /* Unset, the backend tries the vendor's library names; the other
     * vendor's variable does not count. */
    assert_int_equal(unsetenv(ENV), 0);
    assert_int_equal(setenv(OTHER_ENV, DOUBLE_PATH, 1), 0);
    void *real = dlopen(LIB, RTLD_NOW | RTLD_LOCAL);
    if (real == NULL) { /* no driver on this machine: the message says what was tried */
        expect_create_fails(BACKEND, TILEC_ERR_UNSUPPORTED, "cannot load the " V " driver: tried " LIB " (");
        expect_create_fails(BACKEND, TILEC_ERR_UNSUPPORTED, ") and " LIB_DEV " (");
        expect_create_fails(BACKEND, TILEC_ERR_UNSUPPORTED, "); " ENV " may name it");
    } else {
        dlclose(real);
    }
    assert_int_equal(unsetenv(OTHER_ENV), 0);
    expect_create_fails(42, TILEC_ERR_INVALID_ARGUMENT, "unknown backend 42");
}

static void driver_init_failures(void **state)
{
    (void)state;
    assert_int_equal(dbl_control(P "Init", 1), 0);
    expect_create_fails(BACKEND, TILEC_ERR_BACKEND,
                        P "Init failed: " V "_ERROR_INVALID_VALUE: invalid argument");
    assert_int_equal(dbl_control(P "Init", 999), 0); /* a code the driver cannot name */
    expect_create_fails(BACKEND, TILEC_ERR_BACKEND, P "Init failed: " RESULT " 999: (unknown to " P "GetErrorName)");
    assert_int_equal(dbl_control(P "Init", 0), 0);
    assert_int_equal(dbl_configure("device_count", 0), 0);
    expect_create_fails(BACKEND, TILEC_ERR_UNSUPPORTED,
                        P "Init failed: " V "_ERROR_NO_DEVICE: no " V "-capable device is detected");
    assert_int_equal(dbl_configure("device_count", 1), 0);
    /* Every later step of creation, failing, leaves nothing retained. */
    static const char *const steps[] = {P "DeviceGetCount", P "DeviceGet",          P "DeviceGetName",
                                        P "DeviceGetAttribute", P "DevicePrimaryCtxRetain", P "CtxSetCurrent"};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char want[256];
        snprintf(want, sizeof want, "%s failed: " V "_ERROR_NOT_INITIALIZED: initialization error", steps[i]);
        assert_int_equal(dbl_control(steps[i], 3), 0);
        expect_create_fails(BACKEND, TILEC_ERR_BACKEND, want);
        assert_int_equal(dbl_control(steps[i], 0), 0);
        assert_int_equal(dbl_live("retains"), 0);
    }
    /* A warp size of 0 would make every block empty. */
    assert_int_equal(dbl_configure("warp_size", 0), 0);
    expect_create_fails(BACKEND, TILEC_ERR_BACKEND, "the " V " driver reports warp size 0 for device 'Tilec Double 0'");
    assert_int_equal(dbl_live("retains"), 0);
}

static void driver_failures_after_creation(void **state)
{
    (void)state;
    tilec_runtime *rt = make_rt();
    tilec_module *m = load_image(rt, vadd_sig, "vadd_kernel");
    tilec_kernel *k = NULL;
    assert_int_equal(tilec_module_get_kernel(m, "vadd", &k), TILEC_OK);
    void *x = NULL, *y = NULL;
    assert_int_equal(tilec_device_alloc(rt, 64, &x), TILEC_OK);
    assert_int_equal(tilec_device_alloc(rt, 64, &y), TILEC_OK);
    int64_t n = 16;
    tilec_arg args[2] = {tilec_arg_tensor(tilec_tensor_contiguous(x, TILEC_F32, 1, &n)), tilec_arg_tensor(tilec_tensor_contiguous(y, TILEC_F32, 1, &n))};

    assert_int_equal(dbl_control(P "LaunchKernel", 719), 0);
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_ERR_BACKEND);
    assert_string_equal(tilec_runtime_message(rt),
                        "kernel 'vadd': " P "LaunchKernel failed: " V "_ERROR_LAUNCH_FAILED: unspecified launch failure");
    assert_int_equal(dbl_control(P "LaunchKernel", 0), 0);
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_OK);
    assert_string_equal(tilec_runtime_message(rt), "");

    assert_int_equal(dbl_control(P "CtxSynchronize", 700), 0);
    assert_int_equal(tilec_runtime_synchronize(rt), TILEC_ERR_BACKEND);
    assert_string_equal(tilec_runtime_message(rt), P "CtxSynchronize failed: " V "_ERROR_ILLEGAL_ADDRESS: an illegal "
                                                   "memory access was encountered");
    assert_int_equal(dbl_control(P "CtxSynchronize", 0), 0);

    /* The driver cannot describe its error: the code is still reported. */
    assert_int_equal(dbl_control(P "GetErrorName", 1), 0);
    assert_int_equal(dbl_control(P "MemAlloc_v2", 2), 0);
    void *z = NULL;
    assert_int_equal(tilec_device_alloc(rt, 8, &z), TILEC_ERR_OUT_OF_MEMORY);
    assert_string_equal(tilec_runtime_message(rt), P "MemAlloc_v2 failed: " RESULT " 2: (unknown to " P "GetErrorName)");
    assert_int_equal(dbl_control(P "GetErrorName", 0), 0);
    assert_int_equal(dbl_control(P "MemAlloc_v2", 0), 0);

    tilec_gpu_kernel_desc d = {vadd_sig, "vadd_kernel"};
    tilec_module *m2 = NULL;
#ifdef TEST_MUSA
    /* Loading a mubin fails: the driver's error, mapped. */
    assert_int_equal(dbl_control(P "ModuleLoadData", 2), 0);
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, &d, 1, &m2), TILEC_ERR_OUT_OF_MEMORY);
    assert_string_equal(tilec_runtime_message(rt), P "ModuleLoadData failed: " V "_ERROR_OUT_OF_MEMORY: out of memory");
    assert_int_equal(dbl_control(P "ModuleLoadData", 0), 0);
#else
    /* The PTX JIT failing: its log comes with the error. */
    assert_int_equal(dbl_control(P "ModuleLoadDataEx", 218), 0);
    assert_int_equal(tilec_module_load_gpu(rt, image, sizeof image, &d, 1, &m2), TILEC_ERR_BACKEND);
    assert_string_equal(tilec_runtime_message(rt), P "ModuleLoadDataEx failed: " V "_ERROR_INVALID_PTX: a PTX JIT "
                                                   "compilation failed; JIT log: double: injected");
    assert_int_equal(dbl_control(P "ModuleLoadDataEx", 0), 0);
#endif
    assert_null(m2);

    /* Making the context current fails: every call says so. */
    assert_int_equal(dbl_control(P "CtxSetCurrent", 201), 0);
    assert_int_equal(tilec_kernel_launch(k, args, 2), TILEC_ERR_BACKEND);
    assert_string_equal(tilec_runtime_message(rt),
                        "kernel 'vadd': " P "CtxSetCurrent failed: " V "_ERROR_INVALID_CONTEXT: invalid device context");
    assert_int_equal(tilec_copy_to_device(rt, x, &n, 8), TILEC_ERR_BACKEND);
    expect_message(rt, P "CtxSetCurrent failed");
    assert_int_equal(tilec_runtime_synchronize(rt), TILEC_ERR_BACKEND);
    expect_message(rt, P "CtxSetCurrent failed");
    assert_int_equal(dbl_control(P "CtxSetCurrent", 0), 0);

    assert_int_equal(tilec_device_free(rt, x), TILEC_OK);
    assert_int_equal(tilec_device_free(rt, y), TILEC_OK);
    tilec_module_destroy(m);
    tilec_runtime_destroy(rt);
    assert_int_equal(dbl_live("allocs"), 0);
    assert_int_equal(dbl_live("modules"), 0);
    assert_int_equal(dbl_live("retains"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(creates_and_queries_the_device, fresh),
        cmocka_unit_test_setup(picks_the_device_and_its_warp_size, fresh),
        cmocka_unit_test_setup(block_and_arch_follow_the_device, fresh),
        cmocka_unit_test_setup(loads_modules, fresh),
        cmocka_unit_test_setup(looks_up_kernels, fresh),
        cmocka_unit_test_setup(device_memory_works, fresh),
        cmocka_unit_test_setup(cpu_device_memory_is_host_memory, fresh),
        cmocka_unit_test_setup(marshals_every_parameter, fresh),
        cmocka_unit_test_setup(launch_checks_still_apply, fresh),
        cmocka_unit_test_setup(opts_in_to_large_shared_memory, fresh),
        cmocka_unit_test_setup(smem_line_is_parsed, fresh),
        cmocka_unit_test_setup(missing_driver_or_entry_point, fresh),
        cmocka_unit_test_setup(driver_init_failures, fresh),
        cmocka_unit_test_setup(driver_failures_after_creation, fresh),
    };
    return cmocka_run_group_tests(tests, open_double, close_double);
}
