/*
 * jit.c — compiles kernels for the host into the running process with ORC
 * LLJIT (LLVM C API) and hands out their entry points and signatures.
 *
 * Invariant: a TcJit owns its LLJIT instance; the kernel descriptors it
 * returns stay valid until tc_jit_free. C library functions the kernels call
 * (expf, ...) are resolved from the process.
 */
#include "codegen.h"
#include "cpu_internal.h"

#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

struct TcJit {
    LLVMOrcLLJITRef jit;
    tilec_cpu_kernel_desc *kernels;
    size_t count;
};

static bool jit_error(TcDiagEngine *de, const char *what, LLVMErrorRef e)
{
    char *m = LLVMGetErrorMessage(e);
    tc_error(de, TC_E_INTERNAL, (TcSpan){0}, "internal compiler error: JIT %s failed: %s", what, m);
    LLVMDisposeErrorMessage(m);
    return false;
}

void tc_jit_free(TcJit *j)
{
    if (!j) return;
    if (j->jit) LLVMOrcDisposeLLJIT(j->jit);
    free(j->kernels);
    free(j);
}

const tilec_cpu_kernel_desc *tc_jit_kernels(const TcJit *j, size_t *count)
{
    *count = j->count;
    return j->kernels;
}

bool tc_jit_compile(TcIrModule *m, const TcCpuOptions *opt, TcDiagEngine *de, TcJit **out)
{
    *out = NULL;
    char *triple = NULL;
    LLVMTargetMachineRef tm = tc_cpu_target_machine(opt, de, &triple);
    if (!tm) return false;
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMContextRef ctx = LLVMOrcThreadSafeContextGetContext(tsc);
    TcArena a;
    tc_arena_init(&a);
    LLVMModuleRef mod = tc_cpu_build_module(m, opt, ctx, tm, triple, de, &a);
    LLVMDisposeMessage(triple);
    tc_arena_free(&a);
    if (!mod) {
        LLVMDisposeTargetMachine(tm);
        LLVMOrcDisposeThreadSafeContext(tsc);
        return false;
    }
    TcJit *j = calloc(1, sizeof *j);
    if (!j) TC_ICE("out of host memory");
    /* the JIT compiles with the same target machine settings (consumed here) */
    LLVMOrcJITTargetMachineBuilderRef jtmb = LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm);
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&j->jit, builder);
    bool ok = true;
    if (e) {
        ok = jit_error(de, "creation", e);
        LLVMDisposeModule(mod);
        LLVMOrcDisposeThreadSafeContext(tsc);
        goto done;
    }
#if defined(__x86_64__) && defined(__GLIBC__)
    /* the vectorized exp/log the kernels call (cpu.c) live in libmvec; load it
     * so the process symbol search below finds them */
    if (!dlopen("libmvec.so.1", RTLD_NOW | RTLD_GLOBAL)) {
        tc_error(de, TC_E_INTERNAL, (TcSpan){0}, "cannot load glibc's libmvec.so.1 for vectorized math: %s", dlerror());
        ok = false;
        LLVMDisposeModule(mod);
        LLVMOrcDisposeThreadSafeContext(tsc);
        goto done;
    }
#endif
    LLVMOrcDefinitionGeneratorRef gen;
    e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(j->jit), NULL, NULL);
    if (e) {
        ok = jit_error(de, "symbol search", e);
        LLVMDisposeModule(mod);
        LLVMOrcDisposeThreadSafeContext(tsc);
        goto done;
    }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(j->jit), gen);
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
    LLVMOrcDisposeThreadSafeContext(tsc); /* the module keeps the context alive */
    e = LLVMOrcLLJITAddLLVMIRModule(j->jit, LLVMOrcLLJITGetMainJITDylib(j->jit), tsm);
    if (e) {
        LLVMOrcDisposeThreadSafeModule(tsm);
        ok = jit_error(de, "adding the module", e);
        goto done;
    }
    j->count = m->funcs.len;
    j->kernels = calloc(j->count + 1, sizeof *j->kernels);
    if (!j->kernels) TC_ICE("out of host memory");
    for (size_t i = 0; i < j->count && ok; i++) {
        char name[300];
        LLVMOrcExecutorAddress fn = 0, sig = 0;
        snprintf(name, sizeof name, "tilec_%s", m->funcs.data[i]->name);
        e = LLVMOrcLLJITLookup(j->jit, &fn, name);
        if (!e) {
            snprintf(name, sizeof name, "tilec_%s_signature", m->funcs.data[i]->name);
            e = LLVMOrcLLJITLookup(j->jit, &sig, name);
        }
        if (e) {
            ok = jit_error(de, "lookup", e);
            break;
        }
        j->kernels[i].fn = (tilec_cpu_fn)(uintptr_t)fn;
        j->kernels[i].signature = (const char *)(uintptr_t)sig;
    }
done:
    if (!ok) {
        tc_jit_free(j);
        return false;
    }
    *out = j;
    return true;
}
