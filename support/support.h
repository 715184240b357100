/*
 * support.h — the pieces every stage of tilec shares: arenas, growable
 * arrays, string buffers, source files and diagnostics.
 *
 * Invariants:
 *  - All compiler memory comes from a TcArena and is released with it; nothing
 *    allocated from an arena is ever freed on its own.
 *  - A diagnostic is recorded in a TcDiagEngine and rendered later, so a JIT
 *    caller gets the log as a string and the command line prints it.
 *  - Spans are 1-based line/column pairs; end_col is inclusive.
 */
#ifndef TILEC_SUPPORT_H
#define TILEC_SUPPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define TC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TC_NORETURN __attribute__((noreturn))
#else
#define TC_PRINTF(f, a)
#define TC_NORETURN
#endif

#define TC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- arena */

typedef struct TcArenaChunk TcArenaChunk;

typedef struct TcArena {
    TcArenaChunk *head;   /* newest chunk; older chunks follow ->next */
    size_t used;          /* bytes handed out, all chunks together */
    size_t limit;         /* 0 = unlimited; otherwise allocation fails past it */
    bool exhausted;       /* set once an allocation was refused by the limit */
} TcArena;

void tc_arena_init(TcArena *a);
void tc_arena_free(TcArena *a);
/* Zeroed, 16-byte aligned. Aborts with an internal error only if malloc fails;
 * past a->limit it returns a zeroed block from a small reserve and sets
 * a->exhausted, so callers can check once per phase instead of per call. */
void *tc_arena_alloc(TcArena *a, size_t size);
char *tc_arena_strdup(TcArena *a, const char *s);
char *tc_arena_strndup(TcArena *a, const char *s, size_t n);
char *tc_arena_printf(TcArena *a, const char *fmt, ...) TC_PRINTF(2, 3);
void *tc_arena_memdup(TcArena *a, const void *p, size_t size);

/* --------------------------------------------------------------- vectors */

/* A growable array living in an arena: TC_VEC(int) v = {0}; */
#define TC_VEC(T) struct { T *data; uint32_t len, cap; }
#define TC_VEC_PUSH(arena, v, x)                                               \
    do {                                                                       \
        if ((v).len == (v).cap)                                                \
            tc_vec_grow((arena), (void **)&(v).data, &(v).cap, sizeof(*(v).data)); \
        (v).data[(v).len++] = (x);                                             \
    } while (0)
void tc_vec_grow(TcArena *a, void **data, uint32_t *cap, size_t elem);

/* --------------------------------------------------------- string buffer */

/* A heap string that grows; used for output, never for long-lived names. */
typedef struct TcStrBuf {
    char *data;  /* always NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
} TcStrBuf;

void tc_sb_init(TcStrBuf *sb);
void tc_sb_free(TcStrBuf *sb);
void tc_sb_clear(TcStrBuf *sb);
void tc_sb_putc(TcStrBuf *sb, char c);
void tc_sb_puts(TcStrBuf *sb, const char *s);
void tc_sb_putn(TcStrBuf *sb, const char *s, size_t n);
void tc_sb_printf(TcStrBuf *sb, const char *fmt, ...) TC_PRINTF(2, 3);
void tc_sb_vprintf(TcStrBuf *sb, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
void tc_sb_json_string(TcStrBuf *sb, const char *s);
/* Shortest decimal text that reads back as the same double ("inf", "-inf",
 * "nan" for the special values; always contains '.', 'e', 'inf' or 'nan'). */
void tc_sb_double(TcStrBuf *sb, double v);

/* --------------------------------------------------------------- sources */

typedef struct TcSpan {
    uint32_t file;      /* index into the diagnostic engine's files; 0 = none */
    uint32_t line, col; /* first character, 1-based */
    uint32_t end_line, end_col; /* last character, inclusive */
} TcSpan;

TcSpan tc_span_join(TcSpan a, TcSpan b);

typedef struct TcSource {
    const char *name;  /* as given on the command line, "<stdin>", ... */
    const char *text;  /* NUL-terminated; may contain NULs before len */
    size_t len;
} TcSource;

/* Reads a whole file ("-" = stdin) into the arena. Returns false and sets
 * *err (arena string) on failure. Files over max_bytes are refused. */
bool tc_read_file(TcArena *a, const char *path, size_t max_bytes,
                  TcSource *out, const char **err);

/* ----------------------------------------------------------- diagnostics */

/* Stable codes; see support/diag_codes.def for the list and docs. */
typedef enum TcDiagCode {
#define TC_DIAG(id, code, summary) id,
#include "diag_codes.def"
#undef TC_DIAG
    TC_DIAG_COUNT
} TcDiagCode;

const char *tc_diag_code_str(TcDiagCode c);     /* "E2001" */
const char *tc_diag_code_summary(TcDiagCode c); /* one line */

typedef enum TcSeverity { TC_SEV_ERROR, TC_SEV_WARNING, TC_SEV_NOTE } TcSeverity;

typedef struct TcDiagNote {
    TcSpan span;      /* file == 0 when the note has no location */
    const char *msg;
} TcDiagNote;

typedef struct TcDiag {
    TcDiagCode code;
    TcSeverity sev;
    TcSpan span;
    const char *msg;
    TC_VEC(TcDiagNote) notes;
    /* Resource diagnostics carry the numbers: what was needed and the limit. */
    bool has_amounts;
    int64_t needed, limit;
} TcDiag;

typedef enum TcDiagFormat { TC_DIAG_TEXT, TC_DIAG_JSON } TcDiagFormat;

typedef struct TcDiagEngine {
    TcArena *arena;
    TC_VEC(TcSource) files;   /* files.data[0] is a placeholder for "none" */
    TC_VEC(TcDiag *) diags;
    uint32_t nerrors, nwarnings;
    uint32_t max_errors;      /* after this many, further errors are dropped */
    bool too_many;            /* an error was dropped */
    uint32_t rendered;        /* diags already rendered by tc_diag_render */
} TcDiagEngine;

void tc_diag_init(TcDiagEngine *de, TcArena *a);
uint32_t tc_diag_add_file(TcDiagEngine *de, TcSource src);
const TcSource *tc_diag_file(const TcDiagEngine *de, uint32_t id);
TcDiag *tc_diag_report(TcDiagEngine *de, TcSeverity sev, TcDiagCode code,
                       TcSpan span, const char *fmt, ...) TC_PRINTF(5, 6);
TcDiag *tc_diag_vreport(TcDiagEngine *de, TcSeverity sev, TcDiagCode code,
                        TcSpan span, const char *fmt, va_list ap);
#define tc_error(de, code, span, ...) \
    tc_diag_report((de), TC_SEV_ERROR, (code), (span), __VA_ARGS__)
/* Adds a note to d (d may be NULL when the error was dropped). */
void tc_diag_note(TcDiagEngine *de, TcDiag *d, TcSpan span, const char *fmt, ...)
    TC_PRINTF(4, 5);
void tc_diag_amounts(TcDiag *d, int64_t needed, int64_t limit);
/* Renders diagnostics not yet rendered, in the order they were reported. */
void tc_diag_render(TcDiagEngine *de, TcDiagFormat fmt, TcStrBuf *out);

/* An internal compiler error: a bug in tilec, never the user's fault. */
TC_NORETURN void tc_internal_error(const char *file, int line, const char *fmt, ...)
    TC_PRINTF(3, 4);
#define TC_ICE(...) tc_internal_error(__FILE__, __LINE__, __VA_ARGS__)
#define TC_ASSERT(c) do { if (!(c)) TC_ICE("assertion failed: %s", #c); } while (0)

/* -------------------------------------------------------------- strings */

/* Interned strings: equal text gives the same pointer within one table. */
typedef struct TcStrTab {
    TcArena *arena;
    const char **slots; /* open addressing, heap-allocated */
    uint32_t cap, len;
} TcStrTab;

void tc_strtab_init(TcStrTab *t, TcArena *a);
void tc_strtab_free(TcStrTab *t);
const char *tc_intern(TcStrTab *t, const char *s, size_t n);

uint64_t tc_hash_bytes(const void *p, size_t n, uint64_t seed);
uint64_t tc_hash_combine(uint64_t h, uint64_t v);

#endif
