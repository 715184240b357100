/*
 * signature.h — the runtime's internal view of a kernel signature (parsed
 * from the text format described at the end of include/tilec_runtime.h) and
 * of its grid programs.
 *
 * Invariants of a parsed rt_signature (rt_signature_parse establishes them
 * or fails): every count is within its RT_MAX_* bound; names are identifiers
 * of at most RT_MAX_NAME characters, unique among the params, among the sizes
 * and among the consts; every named dim of a tensor param refers to a size
 * (dim_size[d] >= 0) and every size is used by some tensor dim; constant dims
 * are in [1, INT32_MAX]; each grid program only uses sizes, integer/bool
 * scalar params and integer/bool dtypes that exist, never underflows its
 * stack, never goes deeper than RT_GRID_MAX_STACK and leaves exactly one
 * value. So evaluating a grid program cannot fail.
 */
#ifndef TILEC_RT_SIGNATURE_H
#define TILEC_RT_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tilec_runtime.h"

#define RT_MAX_NAME TILEC_SIG_MAX_NAME     /* characters in a name */
#define RT_MAX_PARAMS TILEC_SIG_MAX_PARAMS
#define RT_MAX_SIZES TILEC_SIG_MAX_SIZES
#define RT_MAX_CONSTS TILEC_SIG_MAX_CONSTS
#define RT_MAX_LINE TILEC_SIG_MAX_LINE     /* characters in a line, without '\n' */
#define RT_MAX_TEXT (1 << 20)    /* bytes in a signature text */
#define RT_MAX_WARPS 1024
#define RT_MAX_SCRATCH (1 << 30) /* bytes */
#define RT_MAX_SMEM (1 << 24)    /* bytes of GPU dynamic shared memory */
#define RT_GRID_MAX_TOKENS TILEC_SIG_MAX_GRID_TOKENS /* tokens in one axis program */
#define RT_GRID_MAX_STACK TILEC_SIG_MAX_GRID_STACK   /* stack depth of one axis program */

typedef enum rt_access { RT_ACCESS_IN, RT_ACCESS_OUT, RT_ACCESS_INOUT } rt_access;

typedef struct rt_param {
    char name[RT_MAX_NAME + 1];
    int32_t kind;                   /* tilec_arg_kind */
    int32_t dtype;                  /* tilec_dtype */
    int32_t line;                   /* line of the signature text that declared it */
    /* Tensor params only (rank 0 and nothing else for scalars): */
    int32_t access;                 /* rt_access */
    bool strided;                   /* the innermost stride may differ from 1 */
    int32_t rank;
    int64_t dims[TILEC_MAX_RANK];   /* a constant dim; 0 where the dim is a size name */
    int32_t dim_size[TILEC_MAX_RANK]; /* index into rt_signature.sizes, or -1 for a constant */
} rt_param;

typedef enum rt_const_kind { RT_CONST_INT, RT_CONST_BOOL, RT_CONST_FLOAT, RT_CONST_DTYPE } rt_const_kind;

typedef struct rt_const {
    char name[RT_MAX_NAME + 1];
    int32_t kind;  /* rt_const_kind */
    int64_t i;     /* RT_CONST_INT, RT_CONST_BOOL (0/1), RT_CONST_DTYPE (a tilec_dtype) */
    double f;      /* RT_CONST_FLOAT */
} rt_const;

/* One token of a postfix grid program. */
typedef enum rt_grid_op {
    RT_GOP_CONST,  /* push value */
    RT_GOP_SIZE,   /* push sizes[value] */
    RT_GOP_PARAM,  /* push the integer scalar param number value */
    RT_GOP_ADD, RT_GOP_SUB, RT_GOP_MUL, RT_GOP_DIV, RT_GOP_REM, RT_GOP_MAX, RT_GOP_MIN,
    RT_GOP_AND, RT_GOP_OR, RT_GOP_XOR, RT_GOP_SHL, RT_GOP_SHR,
    RT_GOP_EQ, RT_GOP_NE, RT_GOP_LT, RT_GOP_LE, RT_GOP_GT, RT_GOP_GE,
    RT_GOP_NEG, RT_GOP_NOT,
    RT_GOP_SELECT, /* pops c a b, pushes c != 0 ? a : b */
    RT_GOP_CAST,   /* wraps the top value into dtype */
    RT_GOP_COUNT
} rt_grid_op;

typedef struct rt_grid_token {
    int32_t op;     /* rt_grid_op */
    int32_t dtype;  /* the op's dtype (integer or bool); unused for pushes */
    int64_t value;  /* RT_GOP_CONST: the constant; SIZE/PARAM: the index */
} rt_grid_token;

typedef struct rt_grid_program {
    int32_t ntokens;
    int32_t line; /* line of the axis in the signature text */
    rt_grid_token tokens[RT_GRID_MAX_TOKENS];
} rt_grid_program;

typedef struct rt_signature {
    char name[RT_MAX_NAME + 1];
    int32_t warps;
    int64_t scratch;                /* bytes of CPU scratch per program instance */
    int64_t smem;                   /* bytes of GPU dynamic shared memory per block (0 if no `smem` line) */
    int32_t nparams, nsizes, nconsts;
    int32_t ngrid;                  /* 1 to 3 */
    rt_param params[RT_MAX_PARAMS];
    char sizes[RT_MAX_SIZES][RT_MAX_NAME + 1];
    rt_const consts[RT_MAX_CONSTS];
    rt_grid_program grid[3];
} rt_signature;

/* Parses a NUL-terminated signature text into *sig. On failure returns
 * TILEC_ERR_SIGNATURE with "line N: what is wrong" in err (truncated to
 * errcap). Never reads past the terminating NUL or RT_MAX_TEXT bytes. */
tilec_status rt_signature_parse(const char *text, rt_signature *sig, char *err, size_t errcap);

/* Parses one grid token ("c:5", "add:i32", "cast:u8", ...). Returns false
 * with a reason in err when it is malformed. Indices are not range-checked
 * here; rt_grid_validate does that. */
bool rt_grid_parse_token(const char *tok, rt_grid_token *out, char *err, size_t errcap);
/* Checks a whole program against the signature's sizes and params (see the
 * invariants above). Returns false with a reason in err. */
bool rt_grid_validate(const rt_grid_program *p, const rt_signature *sig, char *err, size_t errcap);
/* Evaluates a validated program. sizes[k] is the k-th size, scalars[i] the
 * value of param i (only integer/bool scalar params are read). */
int64_t rt_grid_eval(const rt_grid_program *p, const int64_t *sizes, const int64_t *scalars);
/* Wraps v into an integer/bool dtype (sign- or zero-extended; bool 0/1). */
int64_t rt_wrap(int32_t dtype, int64_t v);
/* The dtype named s, or -1. */
int32_t rt_dtype_from_name(const char *s);

#endif
