/*
 * gpu_internal.h — what the GPU emission files share (internal to codegen/):
 * the LLVM 14 text downgrade (llvm14.c) and the emission of a built module
 * (gpu_emit.c), split from tc_gpu_compile so tests can drive them directly.
 */
#ifndef TILEC_GPU_INTERNAL_H
#define TILEC_GPU_INTERNAL_H

#include "gpu_target.h"

/*
 * Rewrites textual LLVM IR printed by LLVM 19 (in[0..n)) into text that
 * LLVM 14's parser accepts (MUSA's toolkit is LLVM 14 based), appending it
 * to out. What it rewrites is listed in llvm14.c and docs/musa.md. Returns
 * false, with the reason in why (may be NULL), when the text holds a
 * construct it has no LLVM 14 spelling for; out is then unspecified.
 */
bool tc_llvm14_downgrade(const char *in, size_t n, TcStrBuf *out, char *why, size_t whylen);

/*
 * The NVPTX target machine for opt->profile (cpu = the profile name), or
 * NULL after a diagnostic. Initializes LLVM's NVPTX target on first use.
 */
LLVMTargetMachineRef tc_gpu_nvptx_target_machine(const TcGpuOptions *opt, TcDiagEngine *de);

/*
 * The second half of tc_gpu_compile: writes what `what` asks for of mod (as
 * tc_gpu_build_module returns it for opt->target) to out. tm is the target
 * machine mod was built for (NULL on musa). May link MUSA's libdevice into
 * mod. False after a diagnostic.
 */
bool tc_gpu_emit_module(LLVMModuleRef mod, LLVMTargetMachineRef tm, const TcGpuOptions *opt, TcGpuEmit what,
                        const char *out_path, const char *stem, TcStrBuf *out, TcDiagEngine *de);

#endif
