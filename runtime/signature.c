/*
 * signature.c — parser of the kernel signature text (format at the end of
 * include/tilec_runtime.h) into an rt_signature.
 *
 * The parser is strict and total: any input, however malformed, gives either
 * a signature that keeps every invariant listed in signature.h or
 * TILEC_ERR_SIGNATURE with "line N: what is wrong". It reads the text one
 * byte at a time up to its NUL and never past RT_MAX_TEXT bytes; every count
 * is checked against its bound before anything is stored.
 *
 * Order: line 1 is the header and the last line is `end` (one trailing '\n'
 * allowed). In between, `kernel`, `warps`, `scratch` and `grid` appear exactly
 * once each in any order, `smem` at most once; `param`, `size` and `const` lines keep their
 * relative order (it is the parameter and size order); `axis` lines follow
 * `grid`. References between lines (size names in dims, s:K and p:I in the
 * grid) are resolved when `end` is reached, and an error names the line of
 * the reference.
 */
#include "signature.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS (RT_GRID_MAX_TOKENS + 2)

typedef struct parser {
    rt_signature *sig;
    char *err;
    size_t errcap;
    int32_t line;                      /* current line, from 1 */
    char buf[RT_MAX_LINE + 1];         /* the current line, NUL-terminated */
    char *fields[MAX_FIELDS];
    int nfields;
    int32_t kernel_line, warps_line, scratch_line, smem_line, grid_line; /* 0 until seen */
    int32_t naxes;                     /* axis lines seen */
    int32_t size_line[RT_MAX_SIZES];
    int32_t const_line[RT_MAX_CONSTS];
    char dim_names[RT_MAX_PARAMS][TILEC_MAX_RANK][RT_MAX_NAME + 1]; /* "" for constant dims */
} parser;

static tilec_status fail_at(parser *p, int32_t line, const char *fmt, ...)
{
    int n = snprintf(p->err, p->errcap, "line %d: ", (int)line);
    if (n >= 0 && (size_t)n < p->errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errcap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return TILEC_ERR_SIGNATURE;
}

#define FAIL(p, ...) fail_at((p), (p)->line, __VA_ARGS__)

static bool is_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static tilec_status check_name(parser *p, const char *what, const char *s)
{
    if (strlen(s) > RT_MAX_NAME) return FAIL(p, "%s name longer than %d characters", what, RT_MAX_NAME);
    if (!is_name(s)) return FAIL(p, "%s name '%s' is not an identifier", what, s);
    return TILEC_OK;
}

/* A decimal integer in [lo, hi], all digits (no sign, no spaces). */
static bool parse_uint(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (*s == '\0' || strlen(s) > 19) return false;
    for (const char *c = s; *c; c++)
        if (*c < '0' || *c > '9') return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno != 0 || v < lo || v > hi) return false;
    *out = (int64_t)v;
    return true;
}

static tilec_status parse_count(parser *p, const char *what, int64_t hi, int64_t *out)
{
    if (p->nfields != 2) return FAIL(p, "'%s' takes 1 field, found %d", what, p->nfields - 1);
    if (!parse_uint(p->fields[1], 0, hi, out))
        return FAIL(p, "'%s' value '%s' is not an integer in [0, %lld]", what, p->fields[1], (long long)hi);
    return TILEC_OK;
}

static tilec_status once(parser *p, int32_t *seen_line, const char *what)
{
    if (*seen_line != 0) return FAIL(p, "second '%s' line (the first is line %d)", what, (int)*seen_line);
    *seen_line = p->line;
    return TILEC_OK;
}

/* Params and consts share one namespace, as in the language. */
static tilec_status check_unique_param_or_const(parser *p, const char *name)
{
    const rt_signature *s = p->sig;
    for (int32_t i = 0; i < s->nparams; i++)
        if (strcmp(s->params[i].name, name) == 0)
            return FAIL(p, "'%s' is already declared on line %d", name, (int)s->params[i].line);
    for (int32_t i = 0; i < s->nconsts; i++)
        if (strcmp(s->consts[i].name, name) == 0)
            return FAIL(p, "'%s' is already declared on line %d", name, (int)p->const_line[i]);
    return TILEC_OK;
}

/* const NAME int|bool|float|dtype VALUE */
static tilec_status parse_const(parser *p)
{
    rt_signature *s = p->sig;
    if (p->nfields != 4) return FAIL(p, "'const' takes 3 fields (name, kind, value), found %d", p->nfields - 1);
    tilec_status st = check_name(p, "const", p->fields[1]);
    if (st != TILEC_OK) return st;
    if ((st = check_unique_param_or_const(p, p->fields[1])) != TILEC_OK) return st;
    if (s->nconsts >= RT_MAX_CONSTS) return FAIL(p, "more than %d consts", RT_MAX_CONSTS);
    rt_const c = {0};
    snprintf(c.name, sizeof c.name, "%s", p->fields[1]);
    const char *kind = p->fields[2], *v = p->fields[3];
    if (strcmp(kind, "int") == 0) {
        c.kind = RT_CONST_INT;
        const char *d = v[0] == '-' ? v + 1 : v;
        errno = 0;
        char *end = NULL;
        if (*d < '0' || *d > '9') return FAIL(p, "const '%s': '%s' is not an integer", c.name, v);
        long long x = strtoll(v, &end, 10);
        if (errno != 0 || *end != '\0') return FAIL(p, "const '%s': '%s' is not a 64-bit integer", c.name, v);
        c.i = x;
    } else if (strcmp(kind, "bool") == 0) {
        c.kind = RT_CONST_BOOL;
        if (strcmp(v, "true") == 0) c.i = 1;
        else if (strcmp(v, "false") == 0) c.i = 0;
        else return FAIL(p, "const '%s': '%s' is not true or false", c.name, v);
    } else if (strcmp(kind, "float") == 0) {
        c.kind = RT_CONST_FLOAT;
        char *end = NULL;
        bool start_ok = (v[0] >= '0' && v[0] <= '9') || v[0] == '-' || v[0] == '.' || v[0] == 'i' || v[0] == 'n';
        c.f = start_ok ? strtod(v, &end) : 0.0;
        if (!start_ok || end == v || *end != '\0') return FAIL(p, "const '%s': '%s' is not a number", c.name, v);
    } else if (strcmp(kind, "dtype") == 0) {
        c.kind = RT_CONST_DTYPE;
        int32_t dt = rt_dtype_from_name(v);
        if (dt < 0) return FAIL(p, "const '%s': '%s' is not a dtype", c.name, v);
        c.i = dt;
    } else {
        return FAIL(p, "const '%s': unknown kind '%s' (int, bool, float or dtype)", c.name, kind);
    }
    p->const_line[s->nconsts] = p->line;
    s->consts[s->nconsts++] = c;
    return TILEC_OK;
}

/* param NAME tensor DTYPE ACCESS RANK DIM...  |  param NAME scalar DTYPE */
static tilec_status parse_param(parser *p)
{
    rt_signature *s = p->sig;
    if (p->nfields < 4) return FAIL(p, "'param' needs a name, 'tensor' or 'scalar', and a dtype");
    tilec_status st = check_name(p, "param", p->fields[1]);
    if (st != TILEC_OK) return st;
    if ((st = check_unique_param_or_const(p, p->fields[1])) != TILEC_OK) return st;
    if (s->nparams >= RT_MAX_PARAMS) return FAIL(p, "more than %d params", RT_MAX_PARAMS);
    int32_t idx = s->nparams;
    rt_param *q = &s->params[idx];
    memset(q, 0, sizeof *q);
    snprintf(q->name, sizeof q->name, "%s", p->fields[1]);
    q->line = p->line;
    q->dtype = rt_dtype_from_name(p->fields[3]);
    if (q->dtype < 0) return FAIL(p, "param '%s': unknown dtype '%s'", q->name, p->fields[3]);
    if (strcmp(p->fields[2], "scalar") == 0) {
        if (p->nfields != 4) return FAIL(p, "param '%s': a scalar takes 3 fields, found %d", q->name, p->nfields - 1);
        q->kind = q->dtype >= TILEC_F16 ? TILEC_ARG_FLOAT : TILEC_ARG_INT;
        s->nparams++;
        return TILEC_OK;
    }
    if (strcmp(p->fields[2], "tensor") != 0)
        return FAIL(p, "param '%s': '%s' is neither 'tensor' nor 'scalar'", q->name, p->fields[2]);
    q->kind = TILEC_ARG_TENSOR;
    if (p->nfields < 6) return FAIL(p, "param '%s': a tensor needs an access and a rank", q->name);
    char access[32];
    const char *a = p->fields[4];
    size_t alen = strlen(a);
    const char *suffix = ",strided";
    size_t slen = strlen(suffix);
    if (alen > slen && strcmp(a + alen - slen, suffix) == 0) {
        q->strided = true;
        alen -= slen;
    }
    if (alen >= sizeof access) alen = sizeof access - 1;
    memcpy(access, a, alen);
    access[alen] = '\0';
    if (strcmp(access, "in") == 0) q->access = RT_ACCESS_IN;
    else if (strcmp(access, "out") == 0) q->access = RT_ACCESS_OUT;
    else if (strcmp(access, "inout") == 0) q->access = RT_ACCESS_INOUT;
    else return FAIL(p, "param '%s': unknown access '%s' (in, out or inout, optionally with ,strided)", q->name, a);
    int64_t rank;
    if (!parse_uint(p->fields[5], 0, TILEC_MAX_RANK, &rank))
        return FAIL(p, "param '%s': rank '%s' is not an integer in [0, %d]", q->name, p->fields[5], TILEC_MAX_RANK);
    q->rank = (int32_t)rank;
    if (p->nfields != 6 + q->rank)
        return FAIL(p, "param '%s': rank %d but %d dims", q->name, (int)q->rank, p->nfields - 6);
    for (int32_t d = 0; d < q->rank; d++) {
        const char *f = p->fields[6 + d];
        q->dim_size[d] = -1;
        p->dim_names[idx][d][0] = '\0';
        if (f[0] >= '0' && f[0] <= '9') {
            if (!parse_uint(f, 1, INT32_MAX, &q->dims[d]))
                return FAIL(p, "param '%s': dim %d '%s' is not a positive 32-bit integer", q->name, (int)d, f);
        } else {
            if (strlen(f) > RT_MAX_NAME || !is_name(f))
                return FAIL(p, "param '%s': dim %d '%s' is neither a positive integer nor a name", q->name, (int)d, f);
            snprintf(p->dim_names[idx][d], sizeof p->dim_names[idx][d], "%s", f);
        }
    }
    s->nparams++;
    return TILEC_OK;
}

/* size NAME */
static tilec_status parse_size(parser *p)
{
    rt_signature *s = p->sig;
    if (p->nfields != 2) return FAIL(p, "'size' takes 1 field, found %d", p->nfields - 1);
    tilec_status st = check_name(p, "size", p->fields[1]);
    if (st != TILEC_OK) return st;
    for (int32_t i = 0; i < s->nsizes; i++)
        if (strcmp(s->sizes[i], p->fields[1]) == 0)
            return FAIL(p, "size '%s' is already declared on line %d", p->fields[1], (int)p->size_line[i]);
    if (s->nsizes >= RT_MAX_SIZES) return FAIL(p, "more than %d sizes", RT_MAX_SIZES);
    p->size_line[s->nsizes] = p->line;
    snprintf(s->sizes[s->nsizes++], RT_MAX_NAME + 1, "%s", p->fields[1]);
    return TILEC_OK;
}

/* axis TOKEN... */
static tilec_status parse_axis(parser *p)
{
    rt_signature *s = p->sig;
    if (p->grid_line == 0) return FAIL(p, "'axis' before 'grid'");
    if (p->naxes >= s->ngrid)
        return FAIL(p, "more 'axis' lines than the %d that 'grid' (line %d) declares", (int)s->ngrid,
                    (int)p->grid_line);
    if (p->nfields < 2) return FAIL(p, "'axis' without tokens");
    if (p->nfields - 1 > RT_GRID_MAX_TOKENS) return FAIL(p, "more than %d grid tokens", RT_GRID_MAX_TOKENS);
    rt_grid_program *g = &s->grid[p->naxes];
    g->line = p->line;
    g->ntokens = p->nfields - 1;
    for (int i = 1; i < p->nfields; i++) {
        char why[256];
        if (!rt_grid_parse_token(p->fields[i], &g->tokens[i - 1], why, sizeof why))
            return FAIL(p, "axis %d: %s", (int)p->naxes, why);
    }
    p->naxes++;
    return TILEC_OK;
}

/* The checks that need the whole text: run when `end` is reached. */
static tilec_status finish(parser *p)
{
    rt_signature *s = p->sig;
    if (p->kernel_line == 0) return FAIL(p, "no 'kernel' line before 'end'");
    if (p->warps_line == 0) return FAIL(p, "no 'warps' line before 'end'");
    if (p->scratch_line == 0) return FAIL(p, "no 'scratch' line before 'end'");
    if (p->grid_line == 0) return FAIL(p, "no 'grid' line before 'end'");
    if (p->naxes != s->ngrid)
        return FAIL(p, "'grid %d' (line %d) needs %d 'axis' lines, found %d", (int)s->ngrid, (int)p->grid_line,
                    (int)s->ngrid, (int)p->naxes);
    bool used[RT_MAX_SIZES] = {false};
    for (int32_t i = 0; i < s->nparams; i++) {
        rt_param *q = &s->params[i];
        for (int32_t d = 0; d < q->rank; d++) {
            const char *n = p->dim_names[i][d];
            if (n[0] == '\0') continue;
            for (int32_t k = 0; k < s->nsizes; k++)
                if (strcmp(s->sizes[k], n) == 0) q->dim_size[d] = k;
            if (q->dim_size[d] < 0)
                return fail_at(p, q->line, "param '%s': dim %d '%s' is not a declared size", q->name, (int)d, n);
            used[q->dim_size[d]] = true;
        }
    }
    for (int32_t k = 0; k < s->nsizes; k++)
        if (!used[k]) return fail_at(p, p->size_line[k], "size '%s' is not a dim of any tensor param", s->sizes[k]);
    for (int32_t a = 0; a < s->ngrid; a++) {
        char why[256];
        if (!rt_grid_validate(&s->grid[a], s, why, sizeof why))
            return fail_at(p, s->grid[a].line, "axis %d: %s", (int)a, why);
    }
    return TILEC_OK;
}

/* Splits p->buf at single spaces into p->fields. */
static tilec_status split(parser *p)
{
    size_t n = strlen(p->buf);
    if (n == 0) return FAIL(p, "empty line");
    if (p->buf[0] == ' ' || p->buf[n - 1] == ' ' || strstr(p->buf, "  ") != NULL)
        return FAIL(p, "fields must be separated by single spaces");
    p->nfields = 0;
    char *f = p->buf;
    for (;;) {
        if (p->nfields >= MAX_FIELDS) return FAIL(p, "more than %d fields", MAX_FIELDS);
        p->fields[p->nfields++] = f;
        char *sp = strchr(f, ' ');
        if (sp == NULL) break;
        *sp = '\0';
        f = sp + 1;
    }
    return TILEC_OK;
}

/* One line (already split); *ended is set by `end`. */
static tilec_status parse_line(parser *p, bool *ended)
{
    rt_signature *s = p->sig;
    const char *kw = p->fields[0];
    int64_t v;
    tilec_status st;
    if (p->line == 1) {
        if (p->nfields == 2 && strcmp(kw, "tilec-signature") == 0) {
            if (strcmp(p->fields[1], "1") != 0) return FAIL(p, "unsupported signature version '%s'", p->fields[1]);
            return TILEC_OK;
        }
        return FAIL(p, "expected 'tilec-signature 1'");
    }
    if (strcmp(kw, "kernel") == 0) {
        if ((st = once(p, &p->kernel_line, kw)) != TILEC_OK) return st;
        if (p->nfields != 2) return FAIL(p, "'kernel' takes 1 field, found %d", p->nfields - 1);
        if ((st = check_name(p, "kernel", p->fields[1])) != TILEC_OK) return st;
        snprintf(s->name, sizeof s->name, "%s", p->fields[1]);
        return TILEC_OK;
    }
    if (strcmp(kw, "warps") == 0) {
        if ((st = once(p, &p->warps_line, kw)) != TILEC_OK) return st;
        if ((st = parse_count(p, kw, RT_MAX_WARPS, &v)) != TILEC_OK) return st;
        s->warps = (int32_t)v;
        return TILEC_OK;
    }
    if (strcmp(kw, "scratch") == 0) {
        if ((st = once(p, &p->scratch_line, kw)) != TILEC_OK) return st;
        if ((st = parse_count(p, kw, RT_MAX_SCRATCH, &v)) != TILEC_OK) return st;
        s->scratch = v;
        return TILEC_OK;
    }
    if (strcmp(kw, "smem") == 0) {
        if ((st = once(p, &p->smem_line, kw)) != TILEC_OK) return st;
        if ((st = parse_count(p, kw, RT_MAX_SMEM, &v)) != TILEC_OK) return st;
        s->smem = v;
        return TILEC_OK;
    }
    if (strcmp(kw, "grid") == 0) {
        if ((st = once(p, &p->grid_line, kw)) != TILEC_OK) return st;
        if (p->nfields != 2 || !parse_uint(p->fields[1], 1, 3, &v))
            return FAIL(p, "'grid' takes one integer in [1, 3]");
        s->ngrid = (int32_t)v;
        return TILEC_OK;
    }
    if (strcmp(kw, "const") == 0) return parse_const(p);
    if (strcmp(kw, "param") == 0) return parse_param(p);
    if (strcmp(kw, "size") == 0) return parse_size(p);
    if (strcmp(kw, "axis") == 0) return parse_axis(p);
    if (strcmp(kw, "end") == 0) {
        if (p->nfields != 1) return FAIL(p, "'end' takes no fields");
        *ended = true;
        return finish(p);
    }
    if (strcmp(kw, "tilec-signature") == 0) return FAIL(p, "'tilec-signature' is only allowed on line 1");
    return FAIL(p, "unknown item '%.64s'", kw);
}

static tilec_status parse(parser *p, const char *text)
{
    const char *pos = text;
    bool ended = false;
    while (*pos != '\0') {
        p->line++;
        if (ended) return FAIL(p, "text after 'end'");
        size_t n = 0;
        while (pos[n] != '\0' && pos[n] != '\n') {
            unsigned char c = (unsigned char)pos[n];
            if (n >= RT_MAX_LINE) return FAIL(p, "line longer than %d characters", RT_MAX_LINE);
            if (c != ' ' && (c < 0x21 || c > 0x7e))
                return FAIL(p, "invalid character 0x%02x in column %d", (unsigned)c, (int)n + 1);
            p->buf[n] = (char)c;
            n++;
        }
        p->buf[n] = '\0';
        pos += n;
        if (*pos == '\n') pos++;
        if (pos - text > RT_MAX_TEXT) return FAIL(p, "signature text longer than %d bytes", RT_MAX_TEXT);
        tilec_status st = split(p);
        if (st != TILEC_OK) return st;
        if ((st = parse_line(p, &ended)) != TILEC_OK) return st;
    }
    if (!ended) return fail_at(p, p->line + 1, p->line == 0 ? "empty signature text" : "missing 'end'");
    return TILEC_OK;
}

tilec_status rt_signature_parse(const char *text, rt_signature *sig, char *err, size_t errcap)
{
    if (errcap > 0) err[0] = '\0';
    parser *p = calloc(1, sizeof *p);
    if (p == NULL) {
        snprintf(err, errcap, "out of memory parsing a signature");
        return TILEC_ERR_OUT_OF_MEMORY;
    }
    memset(sig, 0, sizeof *sig);
    p->sig = sig;
    p->err = err;
    p->errcap = errcap;
    tilec_status st = text == NULL ? fail_at(p, 1, "no signature text") : parse(p, text);
    free(p);
    return st;
}
