/*
 * frontend.h — from .tile source to Tile IR: the scanner, the parser, the
 * syntax tree and semantic analysis with lowering.
 *
 * Invariant: every entry point reports problems through the TcDiagEngine and
 * returns normally; no input makes them crash, loop or allocate without bound.
 */
#ifndef TILEC_FRONTEND_H
#define TILEC_FRONTEND_H

#include "ir.h"

typedef struct TcAstNode TcAstNode;

/* Appends one line per token: "LINE:COL KIND 'TEXT'", ending with EOF. */
void tc_dump_tokens(TcArena *a, TcDiagEngine *de, uint32_t file_id, TcStrBuf *out);

/* Parses file `file_id` of de. Always returns a TC_AST_FILE node; after syntax
 * errors it holds what could be recovered. */
TcAstNode *tc_parse_file(TcArena *a, TcStrTab *strs, TcDiagEngine *de, uint32_t file_id);

/* Appends the tree in an indented, stable text form (--emit=ast). */
void tc_ast_print(const TcAstNode *n, TcStrBuf *out);

/* A const override, as in -D NAME=VALUE. */
typedef struct TcConstOverride {
    const char *name;
    const char *value;
} TcConstOverride;

typedef struct TcSemaOptions {
    const TcConstOverride *defines; /* applied to every selected kernel that has the name */
    uint32_t ndefines;
    const char *kernel;             /* only this kernel, or NULL for all */
} TcSemaOptions;

/* Checks the file and lowers each selected kernel, specialized with its const
 * values, into m. Returns false if any error was reported. */
bool tc_sema_lower(const TcAstNode *file, TcIrModule *m, TcDiagEngine *de,
                   const TcSemaOptions *opt);

#endif
