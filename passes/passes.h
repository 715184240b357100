/*
 * passes.h — the pass registry and the pass manager.
 *
 * A pass is declared once (name, summary, run function); its name is at once
 * the pipeline token, the --print-after argument and the name of its lit test
 * file (tests/lit/passes/NAME.tir). Passes run per kernel.
 *
 * Invariant: a pass leaves the IR valid (the verifier passes) whenever it
 * returns true; it returns false only after reporting a diagnostic.
 */
#ifndef TILEC_PASSES_H
#define TILEC_PASSES_H

#include "ir.h"

typedef struct TcPassContext {
    TcDiagEngine *de;  /* for diagnostics the pass reports */
    TcArena *scratch;  /* reset after each pass on each kernel */
    bool changed;      /* set by the pass when it changed the IR */
    const TcGpuProfile *profile; /* GPU target profile (tiling, pipeline, smem); NULL for the CPU */
} TcPassContext;

typedef bool (*TcPassFn)(TcIrFunc *f, TcPassContext *ctx);

typedef struct TcPass {
    const char *name;
    const char *summary;
    TcPassFn run;
} TcPass;

/* The registry: every pass, in a stable order. */
const TcPass *const *tc_pass_registry(uint32_t *count);
const TcPass *tc_pass_find(const char *name);

typedef struct TcPipeline {
    const TcPass **passes;
    uint32_t len;
} TcPipeline;

/* The pipeline tilec runs when --passes is not given. */
#define TC_DEFAULT_PIPELINE "canonicalize,cse,dce"

/* Parses "canonicalize,cse,dce" (spaces allowed around names; empty string =
 * no passes). Unknown or empty names report TC_E_PIPELINE and return false. */
bool tc_pipeline_parse(const char *spec, TcArena *a, TcDiagEngine *de, TcPipeline *out);

typedef struct TcPassOptions {
    bool print_after_all;
    const char *print_after;   /* a pass name, or NULL */
    bool verify_each;
    bool time_passes;
    const TcGpuProfile *profile; /* handed to the passes (TcPassContext.profile) */
} TcPassOptions;

/*
 * Runs the pipeline on every kernel of m. IR dumps (each headed by
 * "// -----// IR Dump After NAME //----- //") go to dumps; the --time-passes
 * table goes to timings. Either may be NULL when not requested. Returns false
 * if a pass or a verification failed.
 */
bool tc_pipeline_run(const TcPipeline *p, TcIrModule *m, TcDiagEngine *de,
                     const TcPassOptions *opt, TcStrBuf *dumps, TcStrBuf *timings);

/* Passes, exported for the registry and for unit tests. */
extern const TcPass tc_pass_canonicalize;
extern const TcPass tc_pass_cse;
extern const TcPass tc_pass_dce;
extern const TcPass tc_pass_tiling;
extern const TcPass tc_pass_pipeline;
extern const TcPass tc_pass_smem;

#endif
