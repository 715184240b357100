/*
 * cpu_internal.h — what the CPU back end's files share (internal to codegen/).
 */
#ifndef TILEC_CPU_INTERNAL_H
#define TILEC_CPU_INTERNAL_H

#include "codegen.h"

#include <llvm-c/TargetMachine.h>

/* A target machine for the host, or for opt->cpu/opt->features; NULL after a
 * diagnostic. *triple_out is an LLVM message to dispose. */
LLVMTargetMachineRef tc_cpu_target_machine(const TcCpuOptions *opt, TcDiagEngine *de, char **triple_out);

/* Builds, verifies and optimizes the LLVM module of every kernel of m in ctx:
 * functions tilec_K and constant strings tilec_K_signature. NULL after a
 * diagnostic. */
LLVMModuleRef tc_cpu_build_module(TcIrModule *m, const TcCpuOptions *opt, LLVMContextRef ctx, LLVMTargetMachineRef tm,
                                  const char *triple, TcDiagEngine *de, TcArena *a);

#endif
