/*
 * tilec_runtime.h — the thin runtime that loads and launches kernels compiled
 * by tilec. No LLVM and no compiler inside: it builds with a C compiler (and,
 * for GPU backends, the vendor driver found at run time with dlopen).
 *
 * A kernel travels with its *signature* (text, format below): parameters,
 * const values, size names, warps, scratch bytes and the grid as a small
 * integer program. The runtime checks every launch against it (kinds, dtypes,
 * ranks, equal size names, innermost stride, null pointers, aliasing of
 * outputs with read-only inputs), computes the grid, and runs the kernel.
 *
 * Every call returns a tilec_status; the message that explains a failure is
 * kept on the handle the call was made on (tilec_runtime_message), never in
 * process-global state. Handles may be used from one thread at a time; two
 * runtimes are independent.
 */
#ifndef TILEC_RUNTIME_H
#define TILEC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TILEC_RUNTIME_VERSION_MAJOR 0
#define TILEC_RUNTIME_VERSION_MINOR 1
#define TILEC_MAX_RANK 8

/* Limits of a signature text (format at the end of this file). The compiler
 * refuses (E5004) a kernel whose signature would exceed them, so every kernel
 * it compiles can be loaded. */
#define TILEC_SIG_MAX_NAME 256         /* characters in a name (tilec's identifier limit) */
#define TILEC_SIG_MAX_PARAMS 64        /* params of a kernel, tensors and scalars */
#define TILEC_SIG_MAX_SIZES 64         /* distinct size names */
#define TILEC_SIG_MAX_CONSTS 64        /* const parameters */
#define TILEC_SIG_MAX_LINE 4096        /* characters in a line, without '\n' */
#define TILEC_SIG_MAX_GRID_TOKENS 256  /* tokens in one axis program */
#define TILEC_SIG_MAX_GRID_STACK 64    /* stack depth of one axis program */

typedef enum tilec_status {
    TILEC_OK = 0,
    TILEC_ERR_INVALID_ARGUMENT = 1, /* a launch argument does not match the signature */
    TILEC_ERR_SIGNATURE = 2,        /* a signature text is malformed */
    TILEC_ERR_NOT_FOUND = 3,        /* no kernel of that name */
    TILEC_ERR_OUT_OF_MEMORY = 4,
    TILEC_ERR_BACKEND = 5,          /* the backend (driver, thread pool) failed */
    TILEC_ERR_UNSUPPORTED = 6,      /* not available in this build or on this machine */
} tilec_status;

/* Same order as the compiler's dtypes (ir/dtypes.def). */
typedef enum tilec_dtype {
    TILEC_BOOL, TILEC_I8, TILEC_I16, TILEC_I32, TILEC_I64,
    TILEC_U8, TILEC_U16, TILEC_U32, TILEC_U64,
    TILEC_F16, TILEC_BF16, TILEC_F32, TILEC_F64,
    TILEC_DTYPE_COUNT
} tilec_dtype;

/* A tensor in memory: sizes and strides in elements. Generated CPU code reads
 * this struct directly, so its layout is part of the ABI. */
typedef struct tilec_tensor {
    void *data;
    int32_t dtype;   /* tilec_dtype */
    int32_t rank;
    int64_t sizes[TILEC_MAX_RANK];
    int64_t strides[TILEC_MAX_RANK];
} tilec_tensor;

typedef enum tilec_arg_kind { TILEC_ARG_TENSOR, TILEC_ARG_INT, TILEC_ARG_FLOAT } tilec_arg_kind;

/* One launch argument, in parameter order. Integer and bool scalars go in i,
 * float scalars in f (converted to the parameter's dtype by the kernel). An
 * integer must fit the parameter's dtype (bool: 0 or 1); for u64 the int64 is
 * the value's bit pattern. A float parameter also takes an int argument. */
typedef struct tilec_arg {
    int32_t kind;        /* tilec_arg_kind */
    tilec_tensor tensor; /* TILEC_ARG_TENSOR */
    int64_t i;           /* TILEC_ARG_INT */
    double f;            /* TILEC_ARG_FLOAT */
} tilec_arg;

/* Launch arguments, for callers that build them by hand. */
static inline tilec_arg tilec_arg_tensor(tilec_tensor t)
{
    tilec_arg a;
    memset(&a, 0, sizeof a);
    a.kind = TILEC_ARG_TENSOR;
    a.tensor = t;
    return a;
}

static inline tilec_arg tilec_arg_int(int64_t v)
{
    tilec_arg a;
    memset(&a, 0, sizeof a);
    a.kind = TILEC_ARG_INT;
    a.i = v;
    return a;
}

static inline tilec_arg tilec_arg_float(double v)
{
    tilec_arg a;
    memset(&a, 0, sizeof a);
    a.kind = TILEC_ARG_FLOAT;
    a.f = v;
    return a;
}

/* ------------------------------------------------------------ handles */

typedef struct tilec_runtime tilec_runtime;
typedef struct tilec_module tilec_module;
typedef struct tilec_kernel tilec_kernel;

/* SIM runs kernels compiled with tilec --target=sim on the host CPU, one
 * lightweight context per GPU thread (see tilec_module_load_sim). */
typedef enum tilec_backend_kind {
    TILEC_BACKEND_CPU = 0, TILEC_BACKEND_CUDA = 1, TILEC_BACKEND_MUSA = 2, TILEC_BACKEND_SIM = 3
} tilec_backend_kind;

typedef struct tilec_runtime_options {
    size_t size;          /* sizeof(tilec_runtime_options): lets the struct grow */
    int32_t backend;      /* tilec_backend_kind */
    int32_t num_threads;  /* CPU, sim: worker threads; 0 = TILEC_NUM_THREADS, else the number of cores
                             (a TILEC_NUM_THREADS that is not a positive integer is ignored;
                             at most 1024; the launching thread counts as one of them) */
} tilec_runtime_options;

tilec_status tilec_runtime_create(const tilec_runtime_options *opt, tilec_runtime **out);
/* tilec_runtime_create on GPU device number `device` (0 for the CPU
 * backend). When it fails, and message is not NULL, why is written there
 * (NUL-terminated, truncated to message_cap bytes): there is no runtime yet
 * to keep the message on. The CUDA backend finds the driver through
 * TILEC_CUDA_LIBRARY (a path) if set, else libcuda.so.1, else libcuda.so;
 * the MUSA backend through TILEC_MUSA_LIBRARY, else libmusa.so.1, else
 * libmusa.so. */
tilec_status tilec_runtime_create_ex(const tilec_runtime_options *opt, int32_t device, tilec_runtime **out,
                                     char *message, size_t message_cap);
void tilec_runtime_destroy(tilec_runtime *rt);
/* The message of the last failed call made on rt (or on a module or kernel
 * of rt); "" after a success. Valid until the next call on rt. */
const char *tilec_runtime_message(const tilec_runtime *rt);
const char *tilec_status_name(tilec_status s);
/* Worker threads the CPU or sim backend uses; 0 for a GPU backend. */
int32_t tilec_runtime_num_threads(const tilec_runtime *rt);
/* Waits until everything queued on the device is done (GPU launches are
 * asynchronous); reports a failure the device hit meanwhile. Nothing to wait
 * for on the CPU backend. */
tilec_status tilec_runtime_synchronize(tilec_runtime *rt);

/* What the runtime's device is. */
typedef struct tilec_device_props {
    size_t size;                  /* sizeof(tilec_device_props), set by the caller: lets the struct grow */
    char name[256];               /* the driver's device name; "cpu" on the CPU backend */
    int32_t cc_major, cc_minor;   /* compute capability; 0.0 on the CPU backend */
    int32_t warp_size;            /* threads per warp; 1 on the CPU backend */
    int32_t max_threads_per_block;
    int32_t max_shared_per_block; /* bytes of shared memory a block gets without opt-in; 0 on the CPU */
    int32_t max_shared_optin;     /* bytes a kernel may opt in to (dynamic shared memory above 48 KiB) */
    int32_t multiprocessors;      /* streaming multiprocessors; the worker threads on the CPU */
    char arch[32];                /* the compiler's name for the device: "sm_80" (CUDA), "mp_22" (MUSA:
                                     mp_ and the compute capability's digits), "cpu" */
} tilec_device_props;

/* Fills the first out->size bytes of *out (out->size itself is kept). */
tilec_status tilec_device_info(tilec_runtime *rt, tilec_device_props *out);

/* ------------------------------------------------------ device memory */

/* Memory that kernels of rt's backend read and write: device memory on a GPU
 * backend (the pointer is a device address: never dereference it on the
 * host), ordinary host memory on the CPU backend, so code written against
 * these calls runs on both. 0 bytes gives NULL; freeing NULL does nothing.
 * A copy of 0 bytes does nothing; otherwise both pointers must be non-null. */
tilec_status tilec_device_alloc(tilec_runtime *rt, size_t bytes, void **dptr);
tilec_status tilec_device_free(tilec_runtime *rt, void *dptr);
/* Host to device; waits until the copy is done. */
tilec_status tilec_copy_to_device(tilec_runtime *rt, void *dst, const void *src, size_t bytes);
/* Device to host; waits for earlier launches, then for the copy. */
tilec_status tilec_copy_to_host(tilec_runtime *rt, void *dst, const void *src, size_t bytes);

/* -------------------------------------------------------- CPU kernels */

/*
 * The entry point of one program instance of a CPU kernel, as generated by
 * tilec (--target=cpu). args[i] points to a tilec_tensor for a tensor
 * parameter, to an int64_t for an integer/bool scalar, to a double for a float
 * scalar. sizes[k] is the value of the k-th size name of the signature; grid
 * holds the three grid extents; scratch is scratch_bytes (from the signature)
 * of 64-byte aligned memory owned by the calling worker thread (possibly NULL
 * when scratch_bytes is 0). Program instances of one launch run concurrently
 * on several threads. Before a worker runs its first instance of a launch,
 * the runtime sets the first 8 bytes of its scratch to 0 (the launch word);
 * the kernel may keep data in its scratch from one instance to the next and
 * uses the launch word to drop it when a new launch begins (tile caches,
 * docs/cpu.md).
 */
typedef void (*tilec_cpu_fn)(void *const *args, const int32_t *sizes, const int32_t *grid,
                             int32_t pid0, int32_t pid1, int32_t pid2, void *scratch);

/*
 * The parameters of a GPU kernel (CUDA, MUSA), in the order the compiled
 * kernel declares them. For each signature param in order:
 *
 *   tensor:          data (a device pointer, 8 bytes), then sizes[0..rank)
 *                    as int64, then strides[0..rank) as int64 (in elements);
 *   integer/bool:    one int64;
 *   float:           one double (the kernel converts it to the param's dtype);
 *
 * then the value of each size name of the signature, in order, as int32.
 * The launch passes them CUDA-style: an array of pointers, one per value.
 * The grid comes from the signature's program, one block per program
 * instance; a block has warps (from the signature; 0 means 4) times the
 * device's warp size threads, and `smem` bytes of dynamic shared memory.
 */
typedef struct tilec_gpu_kernel_desc {
    const char *signature; /* signature text */
    const char *entry;     /* the kernel's symbol in the image; NULL = the signature's kernel name */
} tilec_gpu_kernel_desc;

typedef struct tilec_cpu_kernel_desc {
    const char *signature; /* signature text */
    tilec_cpu_fn fn;
} tilec_cpu_kernel_desc;

/* Makes a module from CPU kernels already in memory (JIT-compiled, or linked
 * in from an object file that tilec --emit=obj wrote). Copies the signatures.
 * Kernel names are unique in a module; a malformed signature fails with
 * TILEC_ERR_SIGNATURE and the message "kernel I: signature line N: ...". */
tilec_status tilec_module_load_cpu(tilec_runtime *rt, const tilec_cpu_kernel_desc *kernels, size_t count,
                                   tilec_module **out);
/* Makes a module from a GPU image: PTX text (NUL-terminated within
 * image_bytes) or a cubin (an ELF image, image_bytes long) for the CUDA
 * backend; a mubin (an ELF image) for the MUSA backend. Each kernel's entry must be in the image (else TILEC_ERR_NOT_FOUND).
 * Signatures are checked as for tilec_module_load_cpu. */
tilec_status tilec_module_load_gpu(tilec_runtime *rt, const void *image, size_t image_bytes,
                                   const tilec_gpu_kernel_desc *kernels, size_t count, tilec_module **out);
/* --------------------------------------------------- simulated GPU kernels */

/*
 * One GPU thread as kernels compiled for the sim target see it. Generated
 * code reads these fields directly, so the layout is part of the ABI:
 * offsets 0 tid, 4 ntid, 8 ctaid[3], 20 nctaid[3], 32 smem, 40 barrier,
 * 48 shfl_xor, 56 block, 64 async_copy, 72 async_commit, 80 async_wait,
 * 88 smem_access (size 96). Fields are only ever appended.
 */
typedef struct tilec_sim_thread {
    int32_t tid;        /* thread index in the block, 0 .. ntid-1 */
    int32_t ntid;       /* threads per block: warps x warp size */
    int32_t ctaid[3];   /* this block's index */
    int32_t nctaid[3];  /* the grid */
    void *smem;         /* the block's shared memory (the signature's smem bytes, 16-byte aligned) */
    /* __syncthreads: returns once every thread of the block has called it */
    void (*barrier)(struct tilec_sim_thread *self);
    /* every lane of the warp calls it; returns the value of lane (lane ^ lane_mask) */
    uint32_t (*shfl_xor)(struct tilec_sim_thread *self, uint32_t value, int32_t lane_mask);
    void *block;        /* the simulator's state for this block */
    /* Asynchronous global -> shared copy of `bytes` bytes, queued for this
     * thread in the group the next async_commit closes; it lands (the bytes
     * are read from src and written to dst) when an async_wait leaves its
     * group complete, not before, so a kernel that reads the data without
     * waiting reads stale shared memory. */
    void (*async_copy)(struct tilec_sim_thread *self, void *dst, const void *src, int32_t bytes);
    /* Closes the group of this thread's copies issued since the last commit. */
    void (*async_commit)(struct tilec_sim_thread *self);
    /* Lands the oldest committed groups of this thread until at most
     * `pending` are in flight. Copies not waited for are dropped when the
     * thread ends. */
    void (*async_wait)(struct tilec_sim_thread *self, int32_t pending);
    /* Race checker: called by kernels compiled with racecheck before each
     * shared-memory access of `bytes` bytes at byte offset `offset` of smem
     * (is_write: 1 for a write). A conflict with another thread since the
     * last barrier fails the launch (TILEC_ERR_BACKEND, naming both threads). */
    void (*smem_access)(struct tilec_sim_thread *self, uint32_t offset, uint32_t bytes, int32_t is_write);
} tilec_sim_thread;

/* The entry of a sim kernel: params as for a GPU kernel (tilec_gpu_kernel_desc
 * below describes their order: an array of pointers, one per value). */
typedef void (*tilec_sim_fn)(void *const *params, tilec_sim_thread *thread);

typedef struct tilec_sim_kernel_desc {
    const char *signature; /* signature text */
    tilec_sim_fn fn;
    int32_t warp_size;     /* of the profile the kernel was compiled for: 32 or 128 */
} tilec_sim_kernel_desc;

/* Makes a module of sim kernels (rt must use TILEC_BACKEND_SIM). A launch
 * runs every block of the grid; within a block, every thread runs as its own
 * context with real barrier and warp-shuffle semantics. */
tilec_status tilec_module_load_sim(tilec_runtime *rt, const tilec_sim_kernel_desc *kernels, size_t count,
                                   tilec_module **out);

void tilec_module_destroy(tilec_module *m);
tilec_status tilec_module_get_kernel(tilec_module *m, const char *name, tilec_kernel **out);

/* ------------------------------------------------ inspecting a kernel */

const char *tilec_kernel_name(const tilec_kernel *k);
int32_t tilec_kernel_num_params(const tilec_kernel *k);
/* Name, kind (tilec_arg_kind) and dtype of parameter i; rank is 0 for scalars. */
tilec_status tilec_kernel_param(const tilec_kernel *k, int32_t i, const char **name, int32_t *kind,
                                int32_t *dtype, int32_t *rank);

/* ------------------------------------------------------------ launching */

/* Checks args against the kernel's signature and computes the grid (grid[3],
 * unused axes 1, an extent <= 0 reported as 0: nothing would run) without
 * running anything. grid may be NULL. */
tilec_status tilec_kernel_check(tilec_kernel *k, const tilec_arg *args, size_t nargs, int32_t grid[3]);
/* Checks, computes the grid, runs every program instance and waits for them.
 * On a GPU backend tensor data are device pointers (tilec_device_alloc) and the
 * launch is queued on the device: it returns once queued, and a later copy to
 * the host or tilec_runtime_synchronize waits for it. */
tilec_status tilec_kernel_launch(tilec_kernel *k, const tilec_arg *args, size_t nargs);

/* ------------------------------------------------------ helpers */

size_t tilec_dtype_size(int32_t dtype); /* bytes per element; bool 1; 0 if unknown */
const char *tilec_dtype_name(int32_t dtype);
/* A contiguous row-major tensor descriptor. */
tilec_tensor tilec_tensor_contiguous(void *data, int32_t dtype, int32_t rank, const int64_t *sizes);

/*
 * Signature text, version 1 (one item per line, fields separated by single
 * spaces, names are identifiers):
 *
 *   tilec-signature 1
 *   kernel NAME
 *   warps N                                  (0 = target default)
 *   scratch BYTES                            (CPU scratch per program instance)
 *   smem BYTES                               (optional, at most once; default 0:
 *                                            GPU dynamic shared memory per block,
 *                                            at most 16 MiB; the CPU ignores it)
 *   const NAME int|bool|float|dtype VALUE    (informative; any number)
 *   param NAME tensor DTYPE ACCESS RANK DIM...   ACCESS: in | out | inout, with
 *                                            ",strided" appended when allowed;
 *                                            DIM: a positive integer or a size name
 *   param NAME scalar DTYPE
 *   size NAME                                (size names, in order; each appears
 *                                            as a DIM of some tensor param)
 *   grid N                                   (1 to 3)
 *   axis TOKEN...                            (N lines: one program per axis)
 *   end
 *
 * A grid program is in postfix over 64-bit integers. Tokens: `c:V` pushes the
 * constant V; `s:K` the K-th size; `p:I` integer/bool scalar parameter I;
 * `OP:T` pops its operands and pushes the result of Tile IR op OP on dtype T
 * (bool, i8..i64, u8..u64), with Tile IR semantics (wrapping, truncating
 * division, x/0 = 0): add sub mul div rem max min and or xor shl shr
 * (binary), eq ne lt le gt ge (binary, result 0/1), neg not (unary),
 * select (c a b; also written select:T, which first wraps a and b into T),
 * cast:T (wraps the value into T). The value left is the extent; an extent
 * <= 0 launches nothing. Limits: the TILEC_SIG_MAX_* macros above (256
 * tokens and a stack of 64 per axis, 64 params, 64 sizes, 64 consts, names of
 * 256 characters, lines of 4096).
 */

#ifdef __cplusplus
}
#endif
#endif
