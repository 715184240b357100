/*
 * codegen.h — from Tile IR to machine code: kernel signatures (the contract
 * with the runtime), CPU code generation through LLVM, the in-process JIT
 * and ahead-of-time object files.
 *
 * Invariant: every entry point reports problems through the TcDiagEngine and
 * returns false; LLVM objects are created in a context the caller owns (or the
 * JIT owns) and disposed in one place.
 */
#ifndef TILEC_CODEGEN_H
#define TILEC_CODEGEN_H

#include "ir.h"
#include "tilec_runtime.h"

/* ------------------------------------------------------------ signatures */

/* Appends the signature text of kernel f (format: include/tilec_runtime.h).
 * The grid block must be integer arithmetic on sizes, integer scalars and
 * constants; anything else is reported (TC_E_GRID) and false returned. */
bool tc_signature_emit(const TcIrFunc *f, uint64_t scratch_bytes, TcStrBuf *out, TcDiagEngine *de);

/* ------------------------------------------------------------- CPU target */

typedef struct TcCpuOptions {
    int opt_level;          /* 0..3 */
    const char *cpu;        /* NULL: the host CPU; e.g. "x86-64-v3", "skylake-avx512" */
    const char *features;   /* NULL: the host's (when cpu is NULL) or none */
    bool fast_dot;          /* let dot use fused multiply-add (results differ in the last bits) */
    bool no_tile_cache;     /* never keep loaded tiles for later program instances (for comparison) */
    bool no_pack;           /* keep dot operands row-major instead of in panels (for comparison) */
} TcCpuOptions;

/* The compiled form of a module: LLVM IR text or assembly or an object file. */
typedef enum TcCpuEmit { TC_CPU_EMIT_LLVM, TC_CPU_EMIT_ASM, TC_CPU_EMIT_OBJ } TcCpuEmit;

/* Compiles every kernel of m for the host CPU and writes what `what` asks for
 * to out (object files are binary). Each kernel K becomes a function
 * `tilec_K` with the tilec_cpu_fn ABI and a NUL-terminated string
 * `tilec_K_signature`. */
bool tc_cpu_compile(TcIrModule *m, const TcCpuOptions *opt, TcCpuEmit what, TcStrBuf *out,
                    TcDiagEngine *de);

/* The C header that goes with an object file: one launch function per
 * kernel, taking tilec_arg values, plus the descriptor table. */
void tc_cpu_emit_header(const TcIrModule *m, const char *guard, TcStrBuf *out);

/* An in-process JIT holding compiled kernels. */
typedef struct TcJit TcJit;

bool tc_jit_compile(TcIrModule *m, const TcCpuOptions *opt, TcDiagEngine *de, TcJit **out);
/* Kernel descriptors (function pointer + signature) for tilec_module_load_cpu;
 * valid until tc_jit_free. */
const tilec_cpu_kernel_desc *tc_jit_kernels(const TcJit *j, size_t *count);
void tc_jit_free(TcJit *j);

/* ------------------------------------------------------------ GPU targets */

typedef enum TcGpuTargetKind { TC_GPU_TARGET_NVPTX, TC_GPU_TARGET_MUSA, TC_GPU_TARGET_SIM } TcGpuTargetKind;

typedef struct TcGpuOptions {
    TcGpuTargetKind target;
    const TcGpuProfile *profile;  /* --arch */
    int opt_level;                /* 0..3 */
    const char *musa_toolkit;     /* --musa-toolkit=DIR, or NULL */
    const char *ptxas;            /* ptxas to run for --emit=bin, or NULL: /usr/local/cuda/bin/ptxas, then PATH */
    const char *ir_path;          /* --emit=bin on musa: where to keep the IR (NULL: next to the output) */
    bool racecheck;               /* sim: report every shared-memory access to the race checker
                                     (tilec_sim_thread.smem_access; tilec run --sim-racecheck) */
} TcGpuOptions;

/* The GPU pass pipeline every GPU target runs after the default one. */
#define TC_GPU_PIPELINE "tiling,cse,dce,pipeline,smem"

typedef enum TcGpuEmit {
    TC_GPU_EMIT_LLVM,  /* LLVM IR text (musa: text LLVM 14 reads) */
    TC_GPU_EMIT_ASM,   /* nvptx: PTX */
    TC_GPU_EMIT_BIN,   /* nvptx: cubin through ptxas; musa: .mubin through the toolkit */
} TcGpuEmit;

/*
 * Compiles every kernel of m (Memory IR: after TC_GPU_PIPELINE for
 * opt->profile) for a GPU target and writes what `what` asks for to out.
 * out_path is where the caller will write out (NULL: standard output); the
 * musa target uses it to place the IR it hands to the toolkit. Signature
 * texts of the kernels are appended to sigs (one after another, each ending
 * in a blank line) when sigs is not NULL.
 */
bool tc_gpu_compile(TcIrModule *m, const TcGpuOptions *opt, TcGpuEmit what, const char *out_path, TcStrBuf *out,
                    TcStrBuf *sigs, TcDiagEngine *de);

/* Sim kernels compiled in process for the host (TC_GPU_TARGET_SIM). */
typedef struct TcSimJit TcSimJit;
bool tc_sim_jit_compile(TcIrModule *m, const TcGpuOptions *opt, TcDiagEngine *de, TcSimJit **out);
const tilec_sim_kernel_desc *tc_sim_jit_kernels(const TcSimJit *j, size_t *count);
void tc_sim_jit_free(TcSimJit *j);

#endif
