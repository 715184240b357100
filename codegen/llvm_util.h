/*
 * llvm_util.h — what every LLVM-based back end of codegen/ does the same way:
 * the code-generation level for -O, running a pass pipeline and emitting a
 * module through a target machine, each reporting failures as internal
 * compiler errors (internal to codegen/).
 */
#ifndef TILEC_LLVM_UTIL_H
#define TILEC_LLVM_UTIL_H

#include "support.h"

#include <llvm-c/TargetMachine.h>

/* -O0..-O3 as LLVM's code-generation level. */
LLVMCodeGenOptLevel tc_llvm_codegen_level(int opt_level);

/* "default<ON>" for opt_level 1..3 (above 3: 3) into buf. */
void tc_llvm_default_pipeline(int opt_level, char *buf, size_t n);

/* Runs pass pipeline `passes` on mod (tm may be NULL; vectorize turns on the
 * loop and SLP vectorizers and loop unrolling). A failure reports
 * "internal compiler error: WHAT: LLVM's message" and returns false. */
bool tc_llvm_run_passes(LLVMModuleRef mod, const char *passes, LLVMTargetMachineRef tm, bool vectorize,
                        const char *what, TcDiagEngine *de);

/* Appends mod emitted by tm as assembly or an object file to out. */
bool tc_llvm_emit(LLVMTargetMachineRef tm, LLVMModuleRef mod, LLVMCodeGenFileType ft, TcStrBuf *out,
                  TcDiagEngine *de);

#endif
