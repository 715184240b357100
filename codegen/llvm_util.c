/*
 * llvm_util.c — shared LLVM plumbing of the back ends (llvm_util.h).
 */
#include "llvm_util.h"

#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <stdio.h>

LLVMCodeGenOptLevel tc_llvm_codegen_level(int opt_level)
{
    return opt_level <= 0 ? LLVMCodeGenLevelNone
           : opt_level == 1 ? LLVMCodeGenLevelLess
           : opt_level == 2 ? LLVMCodeGenLevelDefault
                            : LLVMCodeGenLevelAggressive;
}

void tc_llvm_default_pipeline(int opt_level, char *buf, size_t n)
{
    snprintf(buf, n, "default<O%d>", opt_level > 3 ? 3 : opt_level);
}

bool tc_llvm_run_passes(LLVMModuleRef mod, const char *passes, LLVMTargetMachineRef tm, bool vectorize,
                        const char *what, TcDiagEngine *de)
{
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    if (vectorize) {
        LLVMPassBuilderOptionsSetLoopVectorization(po, 1);
        LLVMPassBuilderOptionsSetSLPVectorization(po, 1);
        LLVMPassBuilderOptionsSetLoopUnrolling(po, 1);
    }
    LLVMErrorRef e = LLVMRunPasses(mod, passes, tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (!e) return true;
    char *em = LLVMGetErrorMessage(e);
    tc_error(de, TC_E_INTERNAL, (TcSpan){0}, "internal compiler error: %s: %s", what, em);
    LLVMDisposeErrorMessage(em);
    return false;
}

bool tc_llvm_emit(LLVMTargetMachineRef tm, LLVMModuleRef mod, LLVMCodeGenFileType ft, TcStrBuf *out, TcDiagEngine *de)
{
    LLVMMemoryBufferRef buf = NULL;
    char *err = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, ft, &err, &buf)) {
        tc_error(de, TC_E_INTERNAL, (TcSpan){0}, "internal compiler error: LLVM code emission failed: %s",
                 err ? err : "");
        LLVMDisposeMessage(err);
        return false;
    }
    tc_sb_putn(out, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf));
    LLVMDisposeMemoryBuffer(buf);
    return true;
}
