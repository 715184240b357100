/*
 * gpu_emit.c — tc_gpu_compile: builds the module of a GPU target
 * (gpu.c with the target's hooks) and turns it into what --emit asks for.
 *
 *  nvptx  llvm: the module; asm: PTX from LLVM's NVPTX back end (cpu = the
 *         profile, sm_80 / sm_90, at the PTX version that profile needs:
 *         7.0 / 7.8); bin: a cubin from ptxas -arch=sm_NN (opt->ptxas, else
 *         /usr/local/cuda/bin/ptxas, else ptxas on PATH).
 *  musa   llvm: the module as text LLVM 14 parses (llvm14.c); asm: none;
 *         bin: a .mubin from MUSA's toolkit, exactly as FlagTree makes one:
 *           llc IR -march=mtgpu -mcpu=mp_NN --opaque-pointers -O2 -filetype=obj -o K.o
 *           ld.lld -flavor gnu -shared K.o -o K.mubin
 *         The toolkit is --musa-toolkit=DIR, else $MUSA_HOME, else
 *         /usr/local/musa (a directory qualifies when bin/llc and
 *         bin/ld.lld are executable), else llc and ld.lld on PATH when that
 *         llc lists the mtgpu target. When the module calls MUSA's libdevice
 *         (__mt_* functions: f64 exp/log), TOOLKIT/mtgpu/bitcode/libdevice.bc
 *         (libdevice.31.bc for mp_31) is linked in first, in process, as
 *         FlagTree does: its functions become internal and inlinable, and
 *         the optimizer drops what is unused. The IR handed to llc is kept:
 *         opt->ir_path, else OUT with its extension replaced by .ll, else
 *         ./KERNEL.ll (the first kernel) when the output is standard output.
 *         Without a toolkit the IR is still written, and the diagnostic says
 *         where, what was looked for and where.
 *  sim    llvm / asm / bin (an object file) for the host, as the CPU target.
 *
 * External tools run with posix_spawn and argument vectors (no shell); their
 * standard output and error are captured for diagnostics; temporary files
 * live in a private mkdtemp directory that is removed afterwards.
 */
#include "codegen.h"
#include "cpu_internal.h"
#include "gpu_internal.h"
#include "llvm_util.h"

#include <llvm-c/BitReader.h>
#include <llvm-c/Linker.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------------ files */

static bool is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static bool write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, n, f) == n;
    return (fclose(f) == 0) && ok;
}

static bool read_file(const char *path, TcStrBuf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) tc_sb_putn(out, buf, k);
    bool ok = !ferror(f);
    fclose(f);
    return ok;
}

/* A fresh private directory for temporary files (malloc'd path), or NULL. */
static char *make_temp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    size_t n = strlen(tmp) + 32;
    char *path = malloc(n);
    if (!path) return NULL;
    snprintf(path, n, "%s/tilec-XXXXXX", tmp);
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (!p) TC_ICE("out of memory");
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* The first executable `name` in $PATH (malloc'd), or NULL. */
static char *search_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path) return NULL;
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        char dir[4096];
        if (len > 0 && len < sizeof dir) {
            memcpy(dir, path, len);
            dir[len] = 0;
            char *cand = path_join(dir, name);
            if (is_executable(cand)) return cand;
            free(cand);
        }
        if (!colon) break;
        path = colon + 1;
    }
    return NULL;
}

/* ------------------------------------------------------ running tools */

/* Runs argv[0] (a path) with argv, standard input from /dev/null, and
 * standard output and error both into *output. Returns the exit status,
 * 128 + the signal when killed, or -1 when it could not be started (then
 * *output holds the reason). */
static int run_tool(char *const *argv, TcStrBuf *output)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        tc_sb_printf(output, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
    fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        tc_sb_printf(output, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    char buf[4096];
    for (;;) {
        ssize_t k = read(pfd[0], buf, sizeof buf);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        if (output->len < (1u << 20)) tc_sb_putn(output, buf, (size_t)k); /* keep the first MiB */
    }
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return -1;
}

/* argv as one line for messages (arguments with blanks quoted). */
static void command_line(char *const *argv, TcStrBuf *out)
{
    for (int i = 0; argv[i]; i++) {
        if (i) tc_sb_putc(out, ' ');
        if (strpbrk(argv[i], " \t'\"")) tc_sb_printf(out, "'%s'", argv[i]);
        else tc_sb_puts(out, argv[i]);
    }
}

/* Runs a tool; on failure reports it (E8003) with its output and false. */
static bool run_checked(const char *what, char *const *argv, TcDiagEngine *de, const char *ir_note)
{
    TcStrBuf output, cmd;
    tc_sb_init(&output);
    tc_sb_init(&cmd);
    int rc = run_tool(argv, &output);
    bool ok = rc == 0;
    if (!ok) {
        command_line(argv, &cmd);
        /* trailing newlines make no sense inside one diagnostic */
        while (output.len && (output.data[output.len - 1] == '\n' || output.data[output.len - 1] == '\r'))
            output.data[--output.len] = 0;
        TcDiag *d = rc < 0 ? tc_error(de, TC_E_TOOL, (TcSpan){0}, "%s could not be run: %s", what,
                                      output.data ? output.data : "")
                           : tc_error(de, TC_E_TOOL, (TcSpan){0}, "%s failed (exit status %d)%s%.8000s", what, rc,
                                      output.len ? ":\n" : " with no output", output.data ? output.data : "");
        tc_diag_note(de, d, (TcSpan){0}, "command: %s", cmd.data);
        if (ir_note) tc_diag_note(de, d, (TcSpan){0}, "%s", ir_note);
    }
    tc_sb_free(&output);
    tc_sb_free(&cmd);
    return ok;
}

/* ------------------------------------------------------------- nvptx */

static pthread_once_t nvptx_once = PTHREAD_ONCE_INIT;

static void nvptx_init(void)
{
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
}

LLVMTargetMachineRef tc_gpu_nvptx_target_machine(const TcGpuOptions *opt, TcDiagEngine *de)
{
    pthread_once(&nvptx_once, nvptx_init);
    LLVMTargetRef target;
    char *err = NULL;
    if (LLVMGetTargetFromTriple("nvptx64-nvidia-cuda", &target, &err)) {
        tc_error(de, TC_E_INTERNAL, (TcSpan){0}, "internal compiler error: LLVM has no NVPTX target: %s",
                 err ? err : "");
        LLVMDisposeMessage(err);
        return NULL;
    }
    /* No PTX feature: each sm_NN processor implies the lowest PTX version
     * that has it (sm_80: 7.0, sm_90: 7.8), which the most drivers load. */
    return LLVMCreateTargetMachine(target, "nvptx64-nvidia-cuda", opt->profile->name, "",
                                   tc_llvm_codegen_level(opt->opt_level), LLVMRelocDefault, LLVMCodeModelDefault);
}

/* The ptxas to run (malloc'd), or NULL with what was looked at in looked. */
static char *find_ptxas(const TcGpuOptions *opt, TcStrBuf *looked)
{
    if (opt->ptxas && *opt->ptxas) {
        if (strchr(opt->ptxas, '/')) {
            if (is_executable(opt->ptxas)) return strdup(opt->ptxas);
            tc_sb_printf(looked, "%s (given; not an executable file)", opt->ptxas);
            return NULL;
        }
        char *p = search_path(opt->ptxas);
        if (!p) tc_sb_printf(looked, "%s (given; not found on PATH)", opt->ptxas);
        return p;
    }
    if (is_executable("/usr/local/cuda/bin/ptxas")) return strdup("/usr/local/cuda/bin/ptxas");
    char *p = search_path("ptxas");
    if (!p) tc_sb_puts(looked, "/usr/local/cuda/bin/ptxas (missing), ptxas on PATH (not found)");
    return p;
}

static bool nvptx_bin(LLVMModuleRef mod, LLVMTargetMachineRef tm, const TcGpuOptions *opt, TcStrBuf *out,
                      TcDiagEngine *de)
{
    TcStrBuf looked;
    tc_sb_init(&looked);
    char *ptxas = find_ptxas(opt, &looked);
    if (!ptxas) {
        TcDiag *d = tc_error(de, TC_E_TOOL, (TcSpan){0},
                             "no ptxas found: --emit=bin on the nvptx target runs ptxas from NVIDIA's CUDA toolkit");
        tc_diag_note(de, d, (TcSpan){0}, "looked at: %s", looked.data);
        tc_diag_note(de, d, (TcSpan){0}, "give one with --ptxas=PATH, or use --emit=ptx for the PTX alone");
        tc_sb_free(&looked);
        return false;
    }
    tc_sb_free(&looked);
    TcStrBuf ptx;
    tc_sb_init(&ptx);
    bool ok = tc_llvm_emit(tm, mod, LLVMAssemblyFile, &ptx, de);
    char *dir = ok ? make_temp_dir() : NULL;
    if (ok && !dir) {
        tc_error(de, TC_E_FILE, (TcSpan){0}, "cannot create a temporary directory: %s", strerror(errno));
        ok = false;
    }
    char *ptx_path = dir ? path_join(dir, "kernels.ptx") : NULL;
    char *cubin_path = dir ? path_join(dir, "kernels.cubin") : NULL;
    if (ok && !write_file(ptx_path, ptx.data ? ptx.data : "", ptx.len)) {
        tc_error(de, TC_E_FILE, (TcSpan){0}, "cannot write '%s'", ptx_path);
        ok = false;
    }
    if (ok) {
        char arch[64];
        snprintf(arch, sizeof arch, "-arch=%s", opt->profile->name);
        char *argv[] = {ptxas, arch, ptx_path, "-o", cubin_path, NULL};
        ok = run_checked("ptxas", argv, de, NULL);
    }
    if (ok && !read_file(cubin_path, out)) {
        tc_error(de, TC_E_TOOL, (TcSpan){0}, "ptxas wrote no '%s'", cubin_path);
        ok = false;
    }
    if (dir) {
        remove(ptx_path);
        remove(cubin_path);
        rmdir(dir);
    }
    free(ptx_path);
    free(cubin_path);
    free(dir);
    free(ptxas);
    tc_sb_free(&ptx);
    return ok;
}

/* -------------------------------------------------------------- musa */

typedef struct Toolkit {
    char *dir;  /* the toolkit root (libdevice is under it) */
    char *llc, *lld;
} Toolkit;

static void toolkit_free(Toolkit *t)
{
    free(t->dir);
    free(t->llc);
    free(t->lld);
    *t = (Toolkit){0};
}

/* Whether dir has bin/llc and bin/ld.lld; if not, why into looked. */
static bool toolkit_dir(const char *dir, const char *label, Toolkit *t, TcStrBuf *why)
{
    char *llc = path_join(dir, "bin/llc"), *lld = path_join(dir, "bin/ld.lld");
    bool a = is_executable(llc), b = is_executable(lld);
    if (a && b) {
        t->dir = strdup(dir);
        t->llc = llc;
        t->lld = lld;
        return true;
    }
    struct stat st;
    if (stat(dir, &st) != 0) tc_sb_printf(why, "%s %s: no such directory", label, dir);
    else tc_sb_printf(why, "%s %s: %s%s%s", label, dir, a ? "" : "no executable bin/llc", !a && !b ? ", " : "",
                      b ? "" : "no executable bin/ld.lld");
    free(llc);
    free(lld);
    return false;
}

/*
 * Finds MUSA's toolkit. Each place looked at and why it did not qualify
 * goes to `looked` (one entry per string, NUL-separated count in *nlooked).
 * An explicit --musa-toolkit that does not qualify is final: no fallback.
 */
static bool find_toolkit(const TcGpuOptions *opt, Toolkit *t, TcStrBuf *looked, int *nlooked)
{
    *nlooked = 0;
#define LOOKED_END() (tc_sb_putc(looked, 0), (*nlooked)++)
    if (opt->musa_toolkit && *opt->musa_toolkit) {
        if (toolkit_dir(opt->musa_toolkit, "--musa-toolkit", t, looked)) return true;
        LOOKED_END();
        return false;
    }
    tc_sb_puts(looked, "--musa-toolkit: not given");
    LOOKED_END();
    const char *home = getenv("MUSA_HOME");
    if (home && *home) {
        if (toolkit_dir(home, "$MUSA_HOME", t, looked)) return true;
    } else {
        tc_sb_puts(looked, "$MUSA_HOME: not set");
    }
    LOOKED_END();
    if (toolkit_dir("/usr/local/musa", "the default", t, looked)) return true;
    LOOKED_END();
    char *llc = search_path("llc"), *lld = search_path("ld.lld");
    if (!llc || !lld) {
        tc_sb_printf(looked, "PATH: %s", !llc && !lld ? "no llc and no ld.lld" : !llc ? "no llc" : "no ld.lld");
    } else {
        /* an llc on PATH is usually upstream LLVM's: it must know mtgpu */
        TcStrBuf ver;
        tc_sb_init(&ver);
        char *argv[] = {llc, "--version", NULL};
        int rc = run_tool(argv, &ver);
        bool mt = rc == 0 && ver.data && strstr(ver.data, "mtgpu");
        tc_sb_free(&ver);
        if (mt) {
            char *bin = strdup(llc);
            char *slash = strrchr(bin, '/');
            if (slash) *slash = 0;
            slash = strrchr(bin, '/');
            if (slash && slash != bin) *slash = 0;
            else strcpy(bin, "/");
            t->dir = bin;
            t->llc = llc;
            t->lld = lld;
            return true;
        }
        tc_sb_printf(looked, "PATH: %s is not MUSA's llc (its --version lists no mtgpu target)", llc);
    }
    free(llc);
    free(lld);
    LOOKED_END();
    return false;
#undef LOOKED_END
}

/* Whether mod calls a function of MUSA's libdevice. */
static bool uses_libdevice(LLVMModuleRef mod)
{
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
        size_t n;
        const char *name = LLVMGetValueName2(f, &n);
        if (LLVMIsDeclaration(f) && n > 5 && (strncmp(name, "__mt_", 5) == 0 || strncmp(name, "__nv_", 5) == 0))
            return true;
    }
    return false;
}

static void remove_fn_attr(LLVMValueRef f, const char *name)
{
    LLVMRemoveEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMGetEnumAttributeKindForName(name, strlen(name)));
}

/* Collects LLVM's error diagnostics instead of letting LLVM exit. */
static void collect_diag(LLVMDiagnosticInfoRef di, void *ctx)
{
    TcStrBuf *sb = ctx;
    if (LLVMGetDiagInfoSeverity(di) != LLVMDSError) return;
    char *s = LLVMGetDiagInfoDescription(di);
    if (sb->len) tc_sb_puts(sb, "; ");
    tc_sb_puts(sb, s);
    LLVMDisposeMessage(s);
}

/* Links libdevice (path) into mod as FlagTree does: every definition it
 * brings becomes internal and always-inline, then the optimizer runs again
 * and drops what is unused. */
static bool link_libdevice(LLVMModuleRef mod, const char *path, const TcGpuOptions *opt, TcDiagEngine *de)
{
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    LLVMMemoryBufferRef buf = NULL;
    char *msg = NULL;
    if (LLVMCreateMemoryBufferWithContentsOfFile(path, &buf, &msg)) {
        TcDiag *d = tc_error(de, TC_E_TOOL, (TcSpan){0},
                             "the kernels call MUSA's libdevice (f64 exp/log), but '%s' cannot be read: %s", path,
                             msg ? msg : "");
        tc_diag_note(de, d, (TcSpan){0}, "cast the operands of exp/log to f32 to compile without libdevice");
        LLVMDisposeMessage(msg);
        return false;
    }
    LLVMDiagnosticHandler old_handler = LLVMContextGetDiagnosticHandler(ctx);
    void *old_ctx = LLVMContextGetDiagnosticContext(ctx);
    TcStrBuf errs;
    tc_sb_init(&errs);
    LLVMContextSetDiagnosticHandler(ctx, collect_diag, &errs);
    LLVMModuleRef lib = NULL;
    bool bad = LLVMParseBitcodeInContext2(ctx, buf, &lib);
    LLVMDisposeMemoryBuffer(buf);
    if (bad) {
        LLVMContextSetDiagnosticHandler(ctx, old_handler, old_ctx);
        tc_error(de, TC_E_TOOL, (TcSpan){0}, "'%s' is not LLVM bitcode that LLVM 19 can read: %s", path,
                 errs.data ? errs.data : "");
        tc_sb_free(&errs);
        return false;
    }
    LLVMSetTarget(lib, LLVMGetTarget(mod));
    LLVMSetDataLayout(lib, LLVMGetDataLayoutStr(mod));
    TC_VEC(char *) names = {0};
    for (LLVMValueRef f = LLVMGetFirstFunction(lib); f; f = LLVMGetNextFunction(f)) {
        if (LLVMIsDeclaration(f)) continue;
        size_t n;
        const char *name = LLVMGetValueName2(f, &n);
        if (names.len == names.cap) {
            names.cap = names.cap ? names.cap * 2 : 256;
            names.data = realloc(names.data, names.cap * sizeof *names.data);
            if (!names.data) TC_ICE("out of memory");
        }
        names.data[names.len++] = strndup(name, n);
        remove_fn_attr(f, "noinline");
        remove_fn_attr(f, "optnone");
        unsigned ai = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(ctx, ai, 0));
    }
    for (LLVMValueRef g = LLVMGetFirstGlobal(lib); g; g = LLVMGetNextGlobal(g))
        if (!LLVMIsDeclaration(g)) LLVMSetLinkage(g, LLVMInternalLinkage);
    bool ok = !LLVMLinkModules2(mod, lib);
    LLVMContextSetDiagnosticHandler(ctx, old_handler, old_ctx);
    if (!ok)
        tc_error(de, TC_E_TOOL, (TcSpan){0}, "linking MUSA's libdevice '%s' failed: %s", path,
                 errs.data ? errs.data : "");
    tc_sb_free(&errs);
    for (uint32_t i = 0; i < names.len; i++) {
        LLVMValueRef f = LLVMGetNamedFunction(mod, names.data[i]);
        if (f && !LLVMIsDeclaration(f)) LLVMSetLinkage(f, LLVMInternalLinkage);
        free(names.data[i]);
    }
    free(names.data);
    if (!ok) return false;
    char pipeline[64];
    if (opt->opt_level > 0) tc_llvm_default_pipeline(opt->opt_level, pipeline, sizeof pipeline);
    else snprintf(pipeline, sizeof pipeline, "always-inline,globaldce");
    if (!tc_llvm_run_passes(mod, pipeline, NULL, false, "optimizing after linking libdevice", de)) return false;
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
        size_t n;
        const char *name = LLVMGetValueName2(f, &n);
        if (LLVMIsDeclaration(f) && n > 5 && (strncmp(name, "__mt_", 5) == 0 || strncmp(name, "__nv_", 5) == 0)) {
            tc_error(de, TC_E_TOOL, (TcSpan){0}, "MUSA's libdevice '%s' does not define %.*s, which the kernels call",
                     path, (int)n, name);
            return false;
        }
    }
    return true;
}

/* LLVM's optimizer, with no mtgpu target to ask, vectorizes freely (the SLP
 * vectorizer runs even when the pass-builder options turn it off), and
 * MUSA's llc cannot select vector math such as llvm.exp2.v2f32 (MUSA.md):
 * everything but loads and stores is made scalar again, then unused
 * declarations go. */
static bool musa_scalarize(LLVMModuleRef mod, const TcGpuOptions *opt, TcDiagEngine *de)
{
    if (opt->opt_level <= 0) return true;
    return tc_llvm_run_passes(mod, "function(scalarizer,instcombine,dce),globaldce", NULL, false,
                              "scalarizing the musa module", de);
}

/* The module as LLVM 14 text into out; false after an (internal) diagnostic. */
static bool musa_text(LLVMModuleRef mod, const TcGpuOptions *opt, TcStrBuf *out, TcDiagEngine *de)
{
    if (!musa_scalarize(mod, opt, de)) return false;
    char *s = LLVMPrintModuleToString(mod);
    char why[512];
    bool ok = tc_llvm14_downgrade(s, strlen(s), out, why, sizeof why);
    LLVMDisposeMessage(s);
    if (!ok)
        tc_error(de, TC_E_INTERNAL, (TcSpan){0},
                 "internal compiler error: the LLVM IR for musa cannot be written in LLVM 14 syntax: %s", why);
    return ok;
}

/* Where the IR handed to the toolkit goes (malloc'd). */
static char *musa_ir_path(const TcGpuOptions *opt, const char *out_path, const char *stem)
{
    if (opt->ir_path && *opt->ir_path) return strdup(opt->ir_path);
    size_t n;
    char *p;
    if (out_path && *out_path && strcmp(out_path, "-") != 0) {
        const char *slash = strrchr(out_path, '/');
        const char *dot = strrchr(out_path, '.');
        size_t base = dot && dot > (slash ? slash : out_path) && dot[1] ? (size_t)(dot - out_path) : strlen(out_path);
        n = base + 4;
        p = malloc(n);
        if (!p) TC_ICE("out of memory");
        snprintf(p, n, "%.*s.ll", (int)base, out_path);
        if (strcmp(p, out_path) == 0) { /* OUT.ll itself: keep the IR beside it */
            free(p);
            n = strlen(out_path) + 4;
            p = malloc(n);
            if (!p) TC_ICE("out of memory");
            snprintf(p, n, "%s.ll", out_path);
        }
        return p;
    }
    n = strlen(stem) + 4;
    p = malloc(n);
    if (!p) TC_ICE("out of memory");
    snprintf(p, n, "%s.ll", stem);
    return p;
}

static bool musa_bin(LLVMModuleRef mod, const TcGpuOptions *opt, const char *out_path, const char *stem,
                     TcStrBuf *out, TcDiagEngine *de)
{
    const char *arch = opt->profile->name;
    Toolkit tk = {0};
    TcStrBuf looked;
    tc_sb_init(&looked);
    int nlooked = 0;
    bool have = find_toolkit(opt, &tk, &looked, &nlooked);
    bool ok = true;
    if (have && uses_libdevice(mod)) {
        char *lib = path_join(tk.dir, opt->profile->cc >= 31 ? "mtgpu/bitcode/libdevice.31.bc"
                                                             : "mtgpu/bitcode/libdevice.bc");
        ok = link_libdevice(mod, lib, opt, de);
        free(lib);
    }
    TcStrBuf text;
    tc_sb_init(&text);
    if (ok) ok = musa_text(mod, opt, &text, de);
    char *ir = musa_ir_path(opt, out_path, stem);
    if (ok && !write_file(ir, text.data ? text.data : "", text.len)) {
        tc_error(de, TC_E_FILE, (TcSpan){0}, "cannot write the LLVM IR for MUSA's toolkit to '%s'", ir);
        ok = false;
    }
    char *dir = NULL, *obj = NULL, *mubin = NULL;
    if (ok && !have) {
        TcDiag *d = tc_error(de, TC_E_TOOL, (TcSpan){0},
                             "no MUSA toolkit found: --emit=bin on the musa target needs llc and ld.lld from MUSA's "
                             "toolkit; the LLVM IR was written to '%s'",
                             ir);
        const char *s = looked.data;
        for (int i = 0; i < nlooked; i++) {
            tc_diag_note(de, d, (TcSpan){0}, "looked at %s", s);
            s += strlen(s) + 1;
        }
        tc_diag_note(de, d, (TcSpan){0},
                     "give the toolkit with --musa-toolkit=DIR or $MUSA_HOME, or finish by hand: llc %s -march=mtgpu "
                     "-mcpu=%s --opaque-pointers -O2 -filetype=obj -o %s.o && ld.lld -flavor gnu -shared %s.o -o "
                     "%s.mubin",
                     ir, arch, stem, stem, stem);
        if (uses_libdevice(mod))
            tc_diag_note(de, d, (TcSpan){0},
                         "the IR calls MUSA's libdevice (f64 exp/log), which is linked only when a toolkit is found");
        ok = false;
    }
    if (ok) {
        dir = make_temp_dir();
        if (!dir) {
            tc_error(de, TC_E_FILE, (TcSpan){0}, "cannot create a temporary directory: %s", strerror(errno));
            ok = false;
        }
    }
    if (ok) {
        obj = path_join(dir, "kernels.o");
        mubin = path_join(dir, "kernels.mubin");
        char mcpu[64];
        snprintf(mcpu, sizeof mcpu, "-mcpu=%s", arch);
        size_t nn = strlen(ir) + 64;
        char *note = malloc(nn);
        if (!note) TC_ICE("out of memory");
        snprintf(note, nn, "the LLVM IR is in '%s'", ir);
        char *llc_argv[] = {tk.llc, ir, "-march=mtgpu", mcpu, "--opaque-pointers", "-O2", "-filetype=obj", "-o", obj,
                            NULL};
        ok = run_checked("MUSA's llc", llc_argv, de, note);
        char *lld_argv[] = {tk.lld, "-flavor", "gnu", "-shared", obj, "-o", mubin, NULL};
        if (ok) ok = run_checked("MUSA's ld.lld", lld_argv, de, note);
        free(note);
        if (ok && !read_file(mubin, out)) {
            tc_error(de, TC_E_TOOL, (TcSpan){0}, "MUSA's ld.lld wrote no '%s'", mubin);
            ok = false;
        }
    }
    if (dir) {
        remove(obj);
        remove(mubin);
        rmdir(dir);
    }
    free(obj);
    free(mubin);
    free(dir);
    free(ir);
    tc_sb_free(&text);
    tc_sb_free(&looked);
    toolkit_free(&tk);
    return ok;
}

/* ------------------------------------------------------------- entry */

bool tc_gpu_emit_module(LLVMModuleRef mod, LLVMTargetMachineRef tm, const TcGpuOptions *opt, TcGpuEmit what,
                        const char *out_path, const char *stem, TcStrBuf *out, TcDiagEngine *de)
{
    if (what == TC_GPU_EMIT_LLVM && opt->target != TC_GPU_TARGET_MUSA) {
        char *s = LLVMPrintModuleToString(mod);
        tc_sb_puts(out, s);
        LLVMDisposeMessage(s);
        return true;
    }
    switch (opt->target) {
    case TC_GPU_TARGET_NVPTX:
        if (what == TC_GPU_EMIT_ASM) return tc_llvm_emit(tm, mod, LLVMAssemblyFile, out, de);
        return nvptx_bin(mod, tm, opt, out, de);
    case TC_GPU_TARGET_MUSA:
        if (what == TC_GPU_EMIT_LLVM) return musa_text(mod, opt, out, de);
        if (what == TC_GPU_EMIT_BIN) return musa_bin(mod, opt, out_path, stem, out, de);
        tc_error(de, TC_E_UNSUPPORTED, (TcSpan){0},
                 "--emit=asm is not available on the musa target: upstream LLVM has no mtgpu back end and MUSA's "
                 "toolkit is driven for object code only; use --emit=llvm or --emit=bin");
        return false;
    case TC_GPU_TARGET_SIM:
        return tc_llvm_emit(tm, mod, what == TC_GPU_EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile, out, de);
    }
    return false;
}

bool tc_gpu_compile(TcIrModule *m, const TcGpuOptions *opt, TcGpuEmit what, const char *out_path, TcStrBuf *out,
                    TcStrBuf *sigs, TcDiagEngine *de)
{
    const TcGpuProfile *prof = opt->profile;
    if (!prof) {
        tc_error(de, TC_E_OPTION, (TcSpan){0}, "no GPU architecture given; use --arch (e.g. sm_80, mp_22)");
        return false;
    }
    if ((opt->target == TC_GPU_TARGET_NVPTX && prof->family != TC_GPU_NVIDIA) ||
        (opt->target == TC_GPU_TARGET_MUSA && prof->family != TC_GPU_MUSA)) {
        tc_error(de, TC_E_OPTION, (TcSpan){0}, "--arch=%s is not an architecture of the %s target", prof->name,
                 opt->target == TC_GPU_TARGET_NVPTX ? "nvptx" : "musa");
        return false;
    }
    if (opt->target == TC_GPU_TARGET_MUSA && what == TC_GPU_EMIT_ASM)
        return tc_gpu_emit_module(NULL, NULL, opt, what, out_path, "", out, de);
    const TcGpuTargetInfo *ti = opt->target == TC_GPU_TARGET_NVPTX  ? &tc_gpu_target_nvptx
                                : opt->target == TC_GPU_TARGET_MUSA ? &tc_gpu_target_musa
                                                                    : &tc_gpu_target_sim;
    LLVMTargetMachineRef tm = NULL;
    char *triple = NULL;
    if (opt->target == TC_GPU_TARGET_NVPTX) {
        tm = tc_gpu_nvptx_target_machine(opt, de);
        if (!tm) return false;
    } else if (opt->target == TC_GPU_TARGET_SIM) {
        TcCpuOptions co = {.opt_level = opt->opt_level};
        tm = tc_cpu_target_machine(&co, de, &triple);
        if (!tm) return false;
    }
    uint32_t nk = m->funcs.len;
    TcStrBuf *ks = calloc(nk ? nk : 1, sizeof *ks);
    if (!ks) TC_ICE("out of memory");
    for (uint32_t i = 0; i < nk; i++) tc_sb_init(&ks[i]);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = tc_gpu_build_module(m, ti, opt, ctx, tm, ks, de);
    bool ok = mod != NULL;
    if (ok) ok = tc_gpu_emit_module(mod, tm, opt, what, out_path, nk ? m->funcs.data[0]->name : "kernels", out, de);
    if (ok && sigs)
        for (uint32_t i = 0; i < nk; i++) {
            tc_sb_putn(sigs, ks[i].data ? ks[i].data : "", ks[i].len);
            tc_sb_putc(sigs, '\n');
        }
    for (uint32_t i = 0; i < nk; i++) tc_sb_free(&ks[i]);
    free(ks);
    if (mod) LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    if (tm) LLVMDisposeTargetMachine(tm);
    if (triple) LLVMDisposeMessage(triple);
    return ok;
}
