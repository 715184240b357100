/*
 * fuzz_common.h — what every fuzz target shares: a fresh arena and
 * diagnostic engine per input, the input registered as a source file, and
 * the failure path that prints what went wrong and aborts.
 *
 * A diagnostic is a correct answer to a malformed input; only a crash, a
 * sanitizer report, a leak, a timeout or a broken invariant checked here is
 * a failure. Nothing is printed to stdout unless a check fails.
 */
#ifndef TILEC_FUZZ_COMMON_H
#define TILEC_FUZZ_COMMON_H

#include "frontend.h"
#include "passes.h"

/* The same limits the tilec command applies (tools/tilec.c). */
#define FUZZ_MAX_SOURCE_BYTES (16u << 20)
/* Lower than tilec's 2 GiB so that libFuzzer's -rss_limit_mb=2048 holds. */
#define FUZZ_ARENA_LIMIT ((size_t)256 << 20)

typedef struct FuzzCtx {
    TcArena arena;     /* everything of this input */
    TcDiagEngine de;
    uint32_t file;     /* the input's file id in de */
} FuzzCtx;

/* Sets up c for one input; false when the input is over the source size
 * limit (tilec refuses it with E5003 before any stage sees it). */
bool fuzz_begin(FuzzCtx *c, const uint8_t *data, size_t size, const char *name);
/* Renders the diagnostics in both formats (exercising the renderer) and
 * frees everything. */
void fuzz_end(FuzzCtx *c);
/* Prints the failed check, the diagnostics so far and an optional text to
 * stdout, then aborts so that libFuzzer records the input. */
TC_NORETURN void fuzz_fail(FuzzCtx *c, const char *what, const char *text);

/* The driver's check after lowering: IR from the front end must verify. */
void fuzz_check_lowered(FuzzCtx *c, TcIrModule *m);
/* Runs the default pipeline with --verify-each; a failure without an error
 * diagnostic is a bug. Returns whether the pipeline succeeded. */
bool fuzz_run_pipeline(FuzzCtx *c, TcIrModule *m);
/* The round-trip oracle: m prints as P; P parses, verifies and prints as P
 * again. Aborts otherwise. */
void fuzz_check_round_trip(FuzzCtx *c, const TcIrModule *m);

#endif
