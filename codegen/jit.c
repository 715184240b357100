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
#include "gpu_target.h"

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

/* An LLJIT for tm's target (tm is consumed) holding mod (consumed, with tsc),
 * resolving other symbols from the process (and libmvec on x86-64 glibc). */
static bool jit_create(LLVMTargetMachineRef tm, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef mod, TcDiagEngine *de,
                       LLVMOrcLLJITRef *out)
{
    *out = NULL;
    LLVMOrcJITTargetMachineBuilderRef jtmb = LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm);
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);
    LLVMErrorRef e = LLVMOrcCreateLLJIT(out, builder);
    if (e) {
        *out = NULL;
        LLVMDisposeModule(mod);
        LLVMOrcDisposeThreadSafeContext(tsc);
        return jit_error(de, "creation", e);
    }
#if defined(__x86_64__) && defined(__GLIBC__)
    /* the vectorized exp/log the kernels call (cpu.c) live in libmvec; load it
     * so the process symbol search below finds them */
    if (!dlopen("libmvec.so.1", RTLD_NOW | RTLD_GLOBAL)) {
        tc_error(de, TC_E_INTERNAL, (TcSpan){0}, "cannot load glibc's libmvec.so.1 for vectorized math: %s", dlerror());
        LLVMDisposeModule(mod);
        LLVMOrcDisposeThreadSafeContext(tsc);
        return false;
    }
#endif
    LLVMOrcDefinitionGeneratorRef gen;
    e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(*out), NULL, NULL);
    if (e) {
        LLVMDisposeModule(mod);
        LLVMOrcDisposeThreadSafeContext(tsc);
        return jit_error(de, "symbol search", e);
    }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(*out), gen);
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
    LLVMOrcDisposeThreadSafeContext(tsc); /* the module keeps the context alive */
    e = LLVMOrcLLJITAddLLVMIRModule(*out, LLVMOrcLLJITGetMainJITDylib(*out), tsm);
    if (e) {
        LLVMOrcDisposeThreadSafeModule(tsm);
        return jit_error(de, "adding the module", e);
    }
    return true;
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
    bool ok = jit_create(tm, tsc, mod, de, &j->jit);
    if (!ok) goto done;
    j->count = m->funcs.len;
    j->kernels = calloc(j->count + 1, sizeof *j->kernels);
    if (!j->kernels) TC_ICE("out of host memory");
    for (size_t i = 0; i < j->count && ok; i++) {
        LLVMErrorRef e;
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

/* ------------------------------------------------------------ sim target */

struct TcSimJit {
    LLVMOrcLLJITRef jit;
    tilec_sim_kernel_desc *kernels;
    char **sigs;
    size_t count;
};

void tc_sim_jit_free(TcSimJit *j)
{
    if (!j) return;
    if (j->jit) LLVMOrcDisposeLLJIT(j->jit);
    for (size_t i = 0; i < j->count; i++) free(j->sigs ? j->sigs[i] : NULL);
    free(j->sigs);
    free(j->kernels);
    free(j);
}

const tilec_sim_kernel_desc *tc_sim_jit_kernels(const TcSimJit *j, size_t *count)
{
    *count = j->count;
    return j->kernels;
}

bool tc_sim_jit_compile(TcIrModule *m, const TcGpuOptions *opt, TcDiagEngine *de, TcSimJit **out)
{
    *out = NULL;
    TcCpuOptions copt = {.opt_level = opt->opt_level};
    char *triple = NULL;
    LLVMTargetMachineRef tm = tc_cpu_target_machine(&copt, de, &triple);
    if (!tm) return false;
    LLVMDisposeMessage(triple);
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMContextRef ctx = LLVMOrcThreadSafeContextGetContext(tsc);
    size_t n = m->funcs.len;
    TcStrBuf *sigs = calloc(n + 1, sizeof *sigs);
    if (!sigs) TC_ICE("out of host memory");
    for (size_t i = 0; i < n; i++) tc_sb_init(&sigs[i]);
    LLVMModuleRef mod = tc_gpu_build_module(m, &tc_gpu_target_sim, opt, ctx, tm, sigs, de);
    TcSimJit *j = calloc(1, sizeof *j);
    if (!j) TC_ICE("out of host memory");
    j->count = n;
    j->sigs = calloc(n + 1, sizeof *j->sigs);
    j->kernels = calloc(n + 1, sizeof *j->kernels);
    if (!j->sigs || !j->kernels) TC_ICE("out of host memory");
    for (size_t i = 0; i < n; i++) {
        j->sigs[i] = strdup(sigs[i].data ? sigs[i].data : "");
        if (!j->sigs[i]) TC_ICE("out of host memory");
        tc_sb_free(&sigs[i]);
    }
    free(sigs);
    bool ok = mod != NULL;
    if (!ok) {
        LLVMDisposeTargetMachine(tm);
        LLVMOrcDisposeThreadSafeContext(tsc);
    } else {
        ok = jit_create(tm, tsc, mod, de, &j->jit);
    }
    for (size_t i = 0; i < n && ok; i++) {
        char name[300];
        LLVMOrcExecutorAddress fn = 0;
        snprintf(name, sizeof name, "tilec_sim_%s", m->funcs.data[i]->name);
        LLVMErrorRef e = LLVMOrcLLJITLookup(j->jit, &fn, name);
        if (e) {
            ok = jit_error(de, "lookup", e);
            break;
        }
        j->kernels[i].fn = (tilec_sim_fn)(uintptr_t)fn;
        j->kernels[i].signature = j->sigs[i];
        j->kernels[i].warp_size = (int32_t)opt->profile->warp_size;
    }
    if (!ok) {
        tc_sim_jit_free(j);
        return false;
    }
    *out = j;
    return true;
}
