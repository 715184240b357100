/*
 * parser.c — Tile IR text to a module: a hand-written lexer and a recursive
 * descent parser for the form printer.c writes (grammar in docs/ir.md).
 *
 * Invariants:
 *  - No input crashes it: every token is bounds-checked against the source
 *    length, regions nest at most TC_IR_MAX_NESTING deep, numbers are range
 *    checked before they reach the type constructors, and the arena's limit
 *    is checked after every op.
 *  - The first error stops the parse (one diagnostic, exact line:col span);
 *    the kernel being parsed is then removed from the module, so the module
 *    holds only kernels that parsed completely.
 *  - Values are visible from their definition to the end of the defining
 *    block, nested regions included; kernel arguments everywhere, the grid
 *    block included. A name is defined at most once per kernel.
 *  - The parser builds ops exactly as written; it does not verify them
 *    (tc_ir_verify_* does), so printed broken IR mostly reads back as well.
 *    Types are the exception: a tile extent must be >= 1, and a layout is
 *    checked as it is read (list lengths against the tile's rank, powers of
 *    two, order a permutation, slice dims in range, then tc_layout_valid
 *    without warp size and warps), because the layout constructors assert
 *    on malformed input and a type is interned with its layout.
 */
#include "ir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TC_IR_MAX_NESTING 256

typedef enum TokKind {
    T_EOF,
    T_IDENT,  /* [A-Za-z_][A-Za-z0-9_]* */
    T_VALUE,  /* %name; s/n exclude the '%' */
    T_GLOBAL, /* @name; s/n exclude the '@' */
    T_HASH,   /* #name (a layout: #blocked, #slice, #shared); s/n exclude the '#' */
    T_INT,    /* -?[0-9]+ */
    T_FLOAT,  /* -?[0-9]+(.[0-9]*)?(e[+-]?[0-9]+)?, inf, nan, -inf, -nan */
    T_PUNCT,  /* one of ( ) { } [ ] < > , : = */
} TokKind;

typedef struct Tok {
    TokKind kind;
    const char *text;  /* the whole token as written */
    size_t len;
    const char *s;     /* the name part (T_VALUE, T_GLOBAL, T_HASH) or the text */
    size_t n;
    TcSpan span;
    uint64_t mag;      /* T_INT: magnitude */
    bool neg;          /* T_INT: written with '-' */
    double fval;       /* T_FLOAT */
} Tok;

/* A name in the kernel's value namespace. */
typedef struct Entry {
    const char *key;   /* interned text after '%' */
    TcIrValue *v;
    TcSpan def;        /* where it was defined */
    bool visible;      /* false once its defining block has closed */
} Entry;

typedef struct Parser {
    TcIrModule *m;
    TcDiagEngine *de;
    uint32_t file;
    const char *src;
    size_t len, pos;
    uint32_t line, col;     /* of src[pos] */
    TcArena scratch;
    TC_VEC(Tok) toks;       /* lexed so far */
    uint32_t itok;          /* current token */
    Tok last;               /* last consumed token */
    bool failed;
    TcIrFunc *func;
    Entry **slots;          /* names of the current kernel */
    uint32_t cap, nnames;
    TC_VEC(Entry *) scope;  /* defined names, innermost last */
} Parser;

/* ------------------------------------------------------------ errors */

/* Reports the parse's one error; returns it (NULL if dropped or not first). */
static TcDiag *fail(Parser *p, TcDiagCode code, TcSpan span, const char *fmt, ...) TC_PRINTF(4, 5);
static TcDiag *fail(Parser *p, TcDiagCode code, TcSpan span, const char *fmt, ...)
{
    if (p->failed) return NULL;
    p->failed = true;
    va_list ap;
    va_start(ap, fmt);
    TcDiag *d = tc_diag_vreport(p->de, TC_SEV_ERROR, code, span, fmt, ap);
    va_end(ap);
    return d;
}

/* "'text'" (shortened) or "end of input", for "expected X, found Y". */
static const char *describe(Parser *p, const Tok *t)
{
    if (t->kind == T_EOF) return "end of input";
    if (t->len > 40) return tc_arena_printf(&p->scratch, "'%.*s...'", 37, t->text);
    return tc_arena_printf(&p->scratch, "'%.*s'", (int)t->len, t->text);
}

/* ------------------------------------------------------------- lexer */

static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_ident_char(int c) { return is_alpha(c) || is_digit(c); }
static bool is_name_char(int c) { return is_ident_char(c) || c == '.' || c == '$'; }

static int cur_char(const Parser *p, size_t k) { return p->pos + k < p->len ? (unsigned char)p->src[p->pos + k] : -1; }

static void advance(Parser *p)
{
    if (p->pos >= p->len) return;
    if (p->src[p->pos] == '\n') {
        p->line++;
        p->col = 1;
    } else {
        p->col++;
    }
    p->pos++;
}

static TcSpan here(const Parser *p)
{
    TcSpan s = {p->file, p->line, p->col, p->line, p->col};
    return s;
}

static void skip_space(Parser *p)
{
    for (;;) {
        int c = cur_char(p, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            advance(p);
        } else if (c == '/' && cur_char(p, 1) == '/') {
            while (cur_char(p, 0) != -1 && cur_char(p, 0) != '\n') advance(p);
        } else {
            return;
        }
    }
}

/* Is the text at offset k the word w, not followed by an identifier char? */
static bool word_at(const Parser *p, size_t k, const char *w)
{
    size_t n = strlen(w);
    for (size_t i = 0; i < n; i++)
        if (cur_char(p, k + i) != (unsigned char)w[i]) return false;
    return !is_ident_char(cur_char(p, k + n));
}

static void lex_number(Parser *p, Tok *t)
{
    size_t start = p->pos;
    bool is_float = false;
    if (cur_char(p, 0) == '-') advance(p);
    while (is_digit(cur_char(p, 0))) advance(p);
    if (cur_char(p, 0) == '.') {
        is_float = true;
        advance(p);
        while (is_digit(cur_char(p, 0))) advance(p);
    }
    if ((cur_char(p, 0) == 'e' || cur_char(p, 0) == 'E') &&
        (is_digit(cur_char(p, 1)) ||
         ((cur_char(p, 1) == '+' || cur_char(p, 1) == '-') && is_digit(cur_char(p, 2))))) {
        is_float = true;
        advance(p);
        if (cur_char(p, 0) == '+' || cur_char(p, 0) == '-') advance(p);
        while (is_digit(cur_char(p, 0))) advance(p);
    }
    t->text = p->src + start;
    t->len = p->pos - start;
    if (is_float) {
        char *buf = tc_arena_strndup(&p->scratch, t->text, t->len);
        t->kind = T_FLOAT;
        t->fval = strtod(buf, NULL);
        return;
    }
    t->kind = T_INT;
    t->neg = t->text[0] == '-';
    uint64_t v = 0;
    bool overflow = false;
    for (size_t i = t->neg; i < t->len; i++) {
        unsigned d = (unsigned)(t->text[i] - '0');
        if (v > (UINT64_MAX - d) / 10) overflow = true;
        v = v * 10 + d;
    }
    if (t->neg && v > (uint64_t)INT64_MAX + 1) overflow = true;
    t->mag = overflow ? UINT64_MAX : v;
    if (overflow) {
        TcSpan s = {p->file, t->span.line, t->span.col, p->line, p->col - 1};
        fail(p, TC_E_IR_SYNTAX, s, "integer literal '%.*s' is out of range",
             t->len > 40 ? 40 : (int)t->len, t->text);
    }
}

/* Lexes one token at p->pos; reports a bad character and returns T_EOF. */
static Tok lex(Parser *p)
{
    Tok t;
    memset(&t, 0, sizeof t);
    skip_space(p);
    t.span = here(p);
    int c = cur_char(p, 0);
    const char *start = p->src + p->pos;
    if (c == -1) {
        t.kind = T_EOF;
        t.text = t.s = "";
        return t;
    }
    if (is_digit(c) || (c == '-' && is_digit(cur_char(p, 1)))) {
        lex_number(p, &t);
    } else if (c == '-' && (word_at(p, 1, "inf") || word_at(p, 1, "nan"))) {
        t.kind = T_FLOAT;
        t.fval = word_at(p, 1, "inf") ? -INFINITY : -NAN;
        for (int i = 0; i < 4; i++) advance(p);
    } else if (is_alpha(c)) {
        while (is_ident_char(cur_char(p, 0))) advance(p);
        t.kind = T_IDENT;
        size_t n = (size_t)(p->src + p->pos - start);
        if (n == 3 && memcmp(start, "inf", 3) == 0) {
            t.kind = T_FLOAT;
            t.fval = INFINITY;
        } else if (n == 3 && memcmp(start, "nan", 3) == 0) {
            t.kind = T_FLOAT;
            t.fval = NAN;
        }
    } else if ((c == '%' && is_name_char(cur_char(p, 1))) ||
               ((c == '@' || c == '#') && is_ident_char(cur_char(p, 1)))) {
        advance(p);
        if (c == '%') {
            while (is_name_char(cur_char(p, 0))) advance(p);
        } else {
            while (is_ident_char(cur_char(p, 0))) advance(p);
        }
        t.kind = c == '%' ? T_VALUE : c == '@' ? T_GLOBAL : T_HASH;
    } else if (strchr("(){}[]<>,:=", c)) {
        advance(p);
        t.kind = T_PUNCT;
    } else {
        if (c >= 0x21 && c < 0x7f)
            fail(p, TC_E_IR_SYNTAX, t.span, "unexpected character '%c'", c);
        else
            fail(p, TC_E_IR_SYNTAX, t.span, "unexpected byte 0x%02x", (unsigned)c);
        t.kind = T_EOF;
        t.text = t.s = "";
        return t;
    }
    t.text = start;
    t.len = (size_t)(p->src + p->pos - start);
    t.s = t.text;
    t.n = t.len;
    if (t.kind == T_VALUE || t.kind == T_GLOBAL || t.kind == T_HASH) {
        t.s++;
        t.n--;
    }
    t.span.end_line = p->line;
    t.span.end_col = p->col - 1;
    return t;
}

/* The token k places ahead of the current one. */
static const Tok *peek_at(Parser *p, uint32_t k)
{
    while (p->toks.len <= p->itok + k) {
        if (p->toks.len && p->toks.data[p->toks.len - 1].kind == T_EOF) return &p->toks.data[p->toks.len - 1];
        Tok t = lex(p);
        TC_VEC_PUSH(&p->scratch, p->toks, t);
    }
    return &p->toks.data[p->itok + k];
}

static const Tok *peek(Parser *p) { return peek_at(p, 0); }

static Tok next(Parser *p)
{
    Tok t = *peek(p);
    if (t.kind != T_EOF) p->itok++;
    p->last = t;
    return t;
}

static bool is_punct(const Tok *t, char c) { return t->kind == T_PUNCT && t->text[0] == c; }

static bool is_word(const Tok *t, const char *w)
{
    return t->kind == T_IDENT && t->len == strlen(w) && memcmp(t->text, w, t->len) == 0;
}

static bool is_hash_word(const Tok *t, const char *w)
{
    return t->kind == T_HASH && t->n == strlen(w) && memcmp(t->s, w, t->n) == 0;
}

static bool accept_punct(Parser *p, char c)
{
    if (p->failed || !is_punct(peek(p), c)) return false;
    next(p);
    return true;
}

static bool expect_punct(Parser *p, char c)
{
    if (p->failed) return false;
    if (accept_punct(p, c)) return true;
    fail(p, TC_E_IR_SYNTAX, peek(p)->span, "expected '%c', found %s", c, describe(p, peek(p)));
    return false;
}

static bool expect_word(Parser *p, const char *w)
{
    if (p->failed) return false;
    if (is_word(peek(p), w)) {
        next(p);
        return true;
    }
    fail(p, TC_E_IR_SYNTAX, peek(p)->span, "expected '%s', found %s", w, describe(p, peek(p)));
    return false;
}

static bool expect_kind(Parser *p, TokKind k, const char *what, Tok *out)
{
    if (p->failed) return false;
    if (peek(p)->kind == k) {
        *out = next(p);
        return true;
    }
    fail(p, TC_E_IR_SYNTAX, peek(p)->span, "expected %s, found %s", what, describe(p, peek(p)));
    return false;
}

/* The 64-bit pattern of an integer literal (u64 values above INT64_MAX wrap). */
static int64_t int_bits(const Tok *t)
{
    if (t->neg) return t->mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)t->mag;
    return t->mag <= (uint64_t)INT64_MAX ? (int64_t)t->mag : -(int64_t)(UINT64_MAX - t->mag) - 1;
}

/* An integer literal within [lo, hi]. */
static bool expect_int(Parser *p, const char *what, int64_t lo, int64_t hi, int64_t *out)
{
    Tok t;
    if (!expect_kind(p, T_INT, what, &t)) return false;
    bool fits = t.neg ? t.mag <= (uint64_t)INT64_MAX + 1 : t.mag <= (uint64_t)INT64_MAX;
    int64_t v = fits ? int_bits(&t) : 0;
    if (!fits || v < lo || v > hi) {
        fail(p, TC_E_IR_SYNTAX, t.span, "%s must be between %lld and %lld, found %.*s", what,
             (long long)lo, (long long)hi, (int)(t.len > 40 ? 40 : t.len), t.text);
        return false;
    }
    *out = v;
    return true;
}

/* ------------------------------------------------------------- names */

static const char *intern_n(Parser *p, const char *s, size_t n) { return tc_intern(&p->m->strs, s, n); }

static Entry **slot_of(Parser *p, const char *key)
{
    uint32_t j = (uint32_t)tc_hash_bytes(&key, sizeof key, 17) & (p->cap - 1);
    while (p->slots[j] && p->slots[j]->key != key) j = (j + 1) & (p->cap - 1);
    return &p->slots[j];
}

static void names_reset(Parser *p)
{
    p->cap = 64;
    p->nnames = 0;
    p->slots = tc_arena_alloc(&p->scratch, p->cap * sizeof *p->slots);
    p->scope.len = 0;
}

/* Defines the name of token t (a T_VALUE) as v. */
static bool define(Parser *p, const Tok *t, TcIrValue *v)
{
    if (p->failed) return false;
    const char *key = intern_n(p, t->s, t->n);
    Entry **slot = slot_of(p, key);
    if (*slot) {
        TcDiag *d = fail(p, TC_E_IR_UNDEFINED, t->span, "value '%%%s' is defined twice", key);
        tc_diag_note(p->de, d, (*slot)->def, "first defined here");
        return false;
    }
    if ((p->nnames + 1) * 2 > p->cap) {
        Entry **old = p->slots;
        uint32_t ocap = p->cap;
        p->cap *= 2;
        p->slots = tc_arena_alloc(&p->scratch, p->cap * sizeof *p->slots);
        for (uint32_t i = 0; i < ocap; i++)
            if (old[i]) *slot_of(p, old[i]->key) = old[i];
        slot = slot_of(p, key);
    }
    Entry *e = tc_arena_alloc(&p->scratch, sizeof *e);
    e->key = key;
    e->v = v;
    e->def = t->span;
    e->visible = true;
    *slot = e;
    p->nnames++;
    TC_VEC_PUSH(&p->scratch, p->scope, e);
    bool numeric = true;
    for (size_t i = 0; i < t->n; i++)
        if (!is_digit((unsigned char)t->s[i])) numeric = false;
    v->name = numeric ? NULL : key;
    return true;
}

/* Hides the names defined since the scope had `mark` entries. */
static void close_scope(Parser *p, uint32_t mark)
{
    while (p->scope.len > mark) p->scope.data[--p->scope.len]->visible = false;
}

static TcIrValue *use(Parser *p, const Tok *t)
{
    if (p->failed) return NULL;
    const char *key = intern_n(p, t->s, t->n);
    Entry *e = *slot_of(p, key);
    if (!e) {
        fail(p, TC_E_IR_UNDEFINED, t->span, "use of undefined value '%%%s'", key);
        return NULL;
    }
    if (!e->visible) {
        TcDiag *d = fail(p, TC_E_IR_UNDEFINED, t->span,
                         "value '%%%s' is used outside the region that defines it", key);
        tc_diag_note(p->de, d, e->def, "defined here");
        return NULL;
    }
    return e->v;
}

static TcIrValue *parse_use(Parser *p)
{
    Tok t;
    if (!expect_kind(p, T_VALUE, "a value", &t)) return NULL;
    return use(p, &t);
}

/* ------------------------------------------------------------- types */

/* dims := dim (',' dim)*, inside [ ]; tensors allow symbols and empty lists */
static bool parse_dims(Parser *p, bool tensor, TcDim *dims, uint32_t *rank, TcSpan *span)
{
    if (!expect_punct(p, '[')) return false;
    *rank = 0;
    if (tensor && accept_punct(p, ']')) return true;
    do {
        if (*rank == TC_MAX_RANK) {
            fail(p, TC_E_IR_SYNTAX, peek(p)->span, "rank above the limit of %d", TC_MAX_RANK);
            return false;
        }
        TcDim d = {0, NULL};
        if (tensor && peek(p)->kind == T_IDENT) {
            Tok t = next(p);
            d.sym = intern_n(p, t.s, t.n);
        } else if (!expect_int(p, tensor ? "a tensor dimension" : "a tile extent",
                               tensor ? 0 : 1, (int64_t)1 << 40, &d.value)) {
            return false;
        }
        dims[(*rank)++] = d;
    } while (accept_punct(p, ','));
    if (!expect_punct(p, ']')) return false;
    *span = tc_span_join(*span, p->last.span);
    return true;
}

/* ----------------------------------------------------------- layouts */

static bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }

/* A layout list: KEY '=' '[' INT (',' INT)* ']' with 1 to TC_LAYOUT_MAX_RANK
 * entries in [0, 2^31]; *span covers the brackets, ents[i] each entry. */
static bool parse_layout_list(Parser *p, const char *key, uint32_t *v, uint32_t *n, TcSpan *span, TcSpan *ents)
{
    if (!expect_word(p, key) || !expect_punct(p, '=') || !expect_punct(p, '[')) return false;
    *span = p->last.span;
    *n = 0;
    do {
        int64_t x;
        if (*n == TC_LAYOUT_MAX_RANK) {
            fail(p, TC_E_IR_SYNTAX, peek(p)->span, "layout list '%s' has more than %d entries", key,
                 TC_LAYOUT_MAX_RANK);
            return false;
        }
        char what[48];
        snprintf(what, sizeof what, "an entry of '%s'", key);
        if (!expect_int(p, what, 0, (int64_t)1 << 31, &x)) return false;
        ents[*n] = p->last.span;
        v[(*n)++] = (uint32_t)x;
    } while (accept_punct(p, ','));
    if (!expect_punct(p, ']')) return false;
    *span = tc_span_join(*span, p->last.span);
    return true;
}

/* A list of a blocked layout with `want` entries (why: where that number
 * comes from); spt, tpw and wpc entries must be powers of two. */
static bool parse_blocked_list(Parser *p, const char *key, uint32_t want, const char *why, uint32_t *v)
{
    uint32_t n;
    TcSpan span, ents[TC_LAYOUT_MAX_RANK];
    if (!parse_layout_list(p, key, v, &n, &span, ents)) return false;
    if (n != want) {
        fail(p, TC_E_IR_SYNTAX, span, "layout list '%s' has %u entr%s, expected %u (%s)", key, n,
             n == 1 ? "y" : "ies", want, why);
        return false;
    }
    if (strcmp(key, "order") == 0) {
        uint32_t seen = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (v[i] >= n || (seen & (1u << v[i]))) {
                fail(p, TC_E_IR_SYNTAX, span, "layout 'order' is not a permutation of 0..%u", n - 1);
                return false;
            }
            seen |= 1u << v[i];
        }
        return true;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!is_pow2(v[i])) {
            fail(p, TC_E_IR_SYNTAX, ents[i], "layout '%s' entry %u is not a power of two", key, v[i]);
            return false;
        }
    }
    return true;
}

/* blocked := '#blocked' '<' 'spt' '=' list ',' 'tpw' '=' list ','
 *            'wpc' '=' list ',' 'order' '=' list '>'   (the '#blocked' is read) */
static const TcLayout *parse_blocked(Parser *p, uint32_t rank, const char *why)
{
    uint32_t spt[TC_LAYOUT_MAX_RANK], tpw[TC_LAYOUT_MAX_RANK], wpc[TC_LAYOUT_MAX_RANK], ord[TC_LAYOUT_MAX_RANK];
    uint8_t order[TC_LAYOUT_MAX_RANK];
    if (!expect_punct(p, '<') || !parse_blocked_list(p, "spt", rank, why, spt) || !expect_punct(p, ',') ||
        !parse_blocked_list(p, "tpw", rank, why, tpw) || !expect_punct(p, ',') ||
        !parse_blocked_list(p, "wpc", rank, why, wpc) || !expect_punct(p, ',') ||
        !parse_blocked_list(p, "order", rank, why, ord) || !expect_punct(p, '>'))
        return NULL;
    for (uint32_t d = 0; d < rank; d++) order[d] = (uint8_t)ord[d];
    return tc_layout_blocked(p->m, rank, spt, tpw, wpc, order);
}

/* layout := blocked
 *         | '#slice' '<' 'dims' '=' list ',' 'parent' '=' blocked '>'
 *         | '#shared' '<' 'pad' '=' INT '>'
 * for a tile of type t; the result is t with the layout, which must be valid
 * for t's shape (tc_layout_valid, warp size and warps not checked). */
static TcType *parse_layout(Parser *p, TcType *t)
{
    Tok kw = next(p);
    const TcLayout *l = NULL;
    char why[96];
    if (is_hash_word(&kw, "blocked")) {
        if (t->rank > TC_LAYOUT_MAX_RANK) {
            fail(p, TC_E_IR_SYNTAX, kw.span, "layouts have rank at most %d", TC_LAYOUT_MAX_RANK);
            return NULL;
        }
        snprintf(why, sizeof why, "the tile's rank");
        l = parse_blocked(p, t->rank, why);
    } else if (is_hash_word(&kw, "slice")) {
        uint32_t dims[TC_LAYOUT_MAX_RANK], n;
        TcSpan span, ents[TC_LAYOUT_MAX_RANK];
        if (!expect_punct(p, '<') || !parse_layout_list(p, "dims", dims, &n, &span, ents)) return NULL;
        uint32_t prank = t->rank + n;
        if (prank > TC_LAYOUT_MAX_RANK) {
            fail(p, TC_E_IR_SYNTAX, span, "the parent of this slice would have rank %u, above the limit of %d",
                 prank, TC_LAYOUT_MAX_RANK);
            return NULL;
        }
        snprintf(why, sizeof why, "the tile's rank %u plus %u sliced dim%s", t->rank, n, n == 1 ? "" : "s");
        uint32_t mask = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (dims[i] >= prank) {
                fail(p, TC_E_IR_SYNTAX, ents[i], "slice dim %u is out of range for a parent of rank %u (%s)",
                     dims[i], prank, why);
                return NULL;
            }
            if (mask & (1u << dims[i])) {
                fail(p, TC_E_IR_SYNTAX, ents[i], "slice dim %u is given twice", dims[i]);
                return NULL;
            }
            mask |= 1u << dims[i];
        }
        Tok pk;
        if (!expect_punct(p, ',') || !expect_word(p, "parent") || !expect_punct(p, '=')) return NULL;
        if (!expect_kind(p, T_HASH, "the parent layout '#blocked<...>'", &pk)) return NULL;
        if (!is_hash_word(&pk, "blocked")) {
            fail(p, TC_E_IR_SYNTAX, pk.span, "the parent of a slice must be '#blocked<...>', found %s",
                 describe(p, &pk));
            return NULL;
        }
        const TcLayout *parent = parse_blocked(p, prank, why);
        if (!parent || !expect_punct(p, '>')) return NULL;
        l = parent;
        for (uint32_t d = 0; d < prank; d++)
            if (mask & (1u << d)) l = tc_layout_slice(p->m, l, d);
    } else if (is_hash_word(&kw, "shared")) {
        int64_t pad;
        if (!expect_punct(p, '<') || !expect_word(p, "pad") || !expect_punct(p, '=') ||
            !expect_int(p, "a shared-memory row padding", 0, UINT32_MAX, &pad) || !expect_punct(p, '>'))
            return NULL;
        l = tc_layout_shared(p->m, (uint32_t)pad);
    } else {
        fail(p, TC_E_IR_SYNTAX, kw.span, "unknown layout %s; expected '#blocked', '#slice' or '#shared'",
             describe(p, &kw));
        return NULL;
    }
    if (!l) return NULL;
    TcSpan span = tc_span_join(kw.span, p->last.span);
    char reason[160];
    if (!tc_layout_valid(l, t->rank, t->shape, 0, 0, reason, sizeof reason)) {
        TcStrBuf sb;
        tc_sb_init(&sb);
        tc_type_print(t, &sb);
        fail(p, TC_E_IR_SYNTAX, span, "invalid layout for %s: %s", sb.data, reason);
        tc_sb_free(&sb);
        return NULL;
    }
    return tc_type_with_layout(p->m, t, l);
}

/* type := dtype | dtype '[' extents ']' [layout] | 'tensor' '<' flags* dtype '[' dims ']' '>' */
static TcType *parse_type(Parser *p)
{
    Tok t;
    if (!expect_kind(p, T_IDENT, "a type", &t)) return NULL;
    TcDtype dt;
    TcDim dims[TC_MAX_RANK];
    uint32_t rank = 0;
    TcSpan span = t.span;
    if (is_word(&t, "tensor")) {
        if (!expect_punct(p, '<')) return NULL;
        unsigned flags = 0;
        for (;;) {
            unsigned f = is_word(peek(p), "out") ? TC_TENSOR_OUT
                       : is_word(peek(p), "inout") ? TC_TENSOR_INOUT
                       : is_word(peek(p), "strided") ? TC_TENSOR_STRIDED : 0;
            if (!f) break;
            if (flags & f) {
                fail(p, TC_E_IR_SYNTAX, peek(p)->span, "tensor flag %s given twice", describe(p, peek(p)));
                return NULL;
            }
            flags |= f;
            next(p);
        }
        Tok d;
        if (!expect_kind(p, T_IDENT, "a dtype", &d)) return NULL;
        if (!tc_dtype_from_name(d.s, d.n, &dt)) {
            fail(p, TC_E_IR_SYNTAX, d.span, "unknown dtype %s", describe(p, &d));
            return NULL;
        }
        if (!parse_dims(p, true, dims, &rank, &span) || !expect_punct(p, '>')) return NULL;
        return tc_type_tensor(p->m, dt, rank, dims, flags);
    }
    if (!tc_dtype_from_name(t.s, t.n, &dt)) {
        fail(p, TC_E_IR_SYNTAX, t.span, "unknown type %s", describe(p, &t));
        return NULL;
    }
    if (!is_punct(peek(p), '[')) {
        if (peek(p)->kind == T_HASH) {
            fail(p, TC_E_IR_SYNTAX, peek(p)->span, "a scalar type has no layout");
            return NULL;
        }
        return tc_type_scalar(p->m, dt);
    }
    if (!parse_dims(p, false, dims, &rank, &span)) return NULL;
    int64_t shape[TC_MAX_RANK], numel = 1;
    for (uint32_t i = 0; i < rank; i++) {
        shape[i] = dims[i].value;
        if (numel > ((int64_t)1 << 40) / shape[i]) {
            fail(p, TC_E_IR_SYNTAX, span, "tile type has more than 2^40 elements");
            return NULL;
        }
        numel *= shape[i];
    }
    TcType *tile = tc_type_tile(p->m, dt, rank, shape);
    if (peek(p)->kind != T_HASH) return tile;
    tile = parse_layout(p, tile);
    if (tile && peek(p)->kind == T_HASH) {
        fail(p, TC_E_IR_SYNTAX, peek(p)->span, "a tile type has one layout, found a second one, %s",
             describe(p, peek(p)));
        return NULL;
    }
    return tile;
}

typedef TC_VEC(TcType *) TypeVec;
typedef TC_VEC(TcIrValue *) ValueVec;
typedef TC_VEC(Tok) TokVec;

/* types := type (',' type)* */
static bool parse_types(Parser *p, TypeVec *out)
{
    do {
        TcType *t = parse_type(p);
        if (!t) return false;
        TC_VEC_PUSH(&p->scratch, *out, t);
    } while (accept_punct(p, ','));
    return true;
}

/* ------------------------------------------------------------- attrs */

typedef struct Attrs {
    bool has_axis, has_perm, has_pipeline, has_unroll, has_smem, has_mma, has_pending;
    int64_t axis;
    int64_t *perm;
    uint32_t nperm;
    int64_t pipeline, unroll;
    int64_t smem;
    int64_t mma;
    int64_t pending;
} Attrs;

/* attrs := '{' key '=' value (',' key '=' value)* '}' with the keys the op's
 * attribute kind allows: axis, perm, pipeline, unroll, mma (dot), pending (async_wait); every op allows
 * smem */
static bool parse_attrs(Parser *p, TcOpcode opc, Attrs *a)
{
    TcAttrKind kind = tc_op_info(opc)->attr;
    const char *opname = tc_op_info(opc)->name;
    if (!expect_punct(p, '{')) return false;
    do {
        Tok key;
        if (!expect_kind(p, T_IDENT, "an attribute name", &key)) return false;
        bool *seen = NULL;
        if (is_word(&key, "axis") && kind == TC_ATTR_AXIS) seen = &a->has_axis;
        else if (is_word(&key, "perm") && kind == TC_ATTR_PERM) seen = &a->has_perm;
        else if (is_word(&key, "pipeline") && kind == TC_ATTR_LOOP) seen = &a->has_pipeline;
        else if (is_word(&key, "unroll") && kind == TC_ATTR_LOOP) seen = &a->has_unroll;
        else if (is_word(&key, "mma") && kind == TC_ATTR_DOT) seen = &a->has_mma;
        else if (is_word(&key, "pending") && kind == TC_ATTR_PENDING) seen = &a->has_pending;
        else if (is_word(&key, "smem")) seen = &a->has_smem;
        if (!seen) {
            fail(p, TC_E_IR_SYNTAX, key.span, "unknown attribute %s for '%s'", describe(p, &key), opname);
            return false;
        }
        if (*seen) {
            fail(p, TC_E_IR_SYNTAX, key.span, "attribute %s given twice", describe(p, &key));
            return false;
        }
        *seen = true;
        if (!expect_punct(p, '=')) return false;
        if (seen == &a->has_axis) {
            if (!expect_int(p, "an axis", INT32_MIN, INT32_MAX, &a->axis)) return false;
        } else if (seen == &a->has_pipeline) {
            if (!expect_int(p, "pipeline", 0, INT32_MAX, &a->pipeline)) return false;
        } else if (seen == &a->has_unroll) {
            if (!expect_int(p, "unroll", 0, INT32_MAX, &a->unroll)) return false;
        } else if (seen == &a->has_mma) {
            if (!expect_int(p, "mma", 0, 1, &a->mma)) return false;
        } else if (seen == &a->has_pending) {
            if (!expect_int(p, "pending", 0, INT32_MAX, &a->pending)) return false;
        } else if (seen == &a->has_smem) {
            if (!expect_int(p, "a shared-memory offset", 0, INT64_MAX, &a->smem)) return false;
        } else {
            TC_VEC(int64_t) v = {0};
            if (!expect_punct(p, '[')) return false;
            if (!is_punct(peek(p), ']')) {
                do {
                    int64_t x;
                    if (v.len == TC_MAX_RANK) {
                        fail(p, TC_E_IR_SYNTAX, peek(p)->span, "permutation longer than %d", TC_MAX_RANK);
                        return false;
                    }
                    if (!expect_int(p, "a permutation entry", INT32_MIN, INT32_MAX, &x)) return false;
                    TC_VEC_PUSH(p->m->arena, v, x);
                } while (accept_punct(p, ','));
            }
            if (!expect_punct(p, ']')) return false;
            a->perm = v.data;
            a->nperm = v.len;
        }
    } while (accept_punct(p, ','));
    return expect_punct(p, '}');
}

static void apply_attrs(TcIrOp *op, const Attrs *a)
{
    if (a->has_axis) op->ival = a->axis;
    if (a->has_mma) op->ival = a->mma;
    if (a->has_pending) op->ival = a->pending;
    if (a->has_perm) {
        op->ints = a->perm;
        op->nints = a->nperm;
    }
    op->pipeline = (int32_t)a->pipeline;
    op->unroll = (int32_t)a->unroll;
    if (a->has_smem) op->smem = a->smem;
}

/* --------------------------------------------------------------- ops */

static bool parse_block(Parser *p, TcIrBlock *b, unsigned depth, uint32_t mark);

/* The op is created only once the names and types agree. */
static bool check_result_count(Parser *p, TcOpcode opc, TcSpan span, uint32_t nnames, uint32_t ntypes)
{
    const TcOpInfo *info = tc_op_info(opc);
    if (p->failed) return false;
    if (nnames && !ntypes) {
        fail(p, TC_E_IR_SYNTAX, peek(p)->span, "expected ':' and the result types of '%s', found %s",
             info->name, describe(p, peek(p)));
        return false;
    }
    if (info->nresults >= 0 && nnames != (uint32_t)info->nresults) {
        fail(p, TC_E_IR_SYNTAX, span, "'%s' has %d result%s, found %u result name%s", info->name,
             info->nresults, info->nresults == 1 ? "" : "s", nnames, nnames == 1 ? "" : "s");
        return false;
    }
    if (nnames != ntypes) {
        fail(p, TC_E_IR_SYNTAX, span, "'%s' has %u result name%s but %u result type%s", info->name,
             nnames, nnames == 1 ? "" : "s", ntypes, ntypes == 1 ? "" : "s");
        return false;
    }
    return true;
}

static bool define_results(Parser *p, TcIrOp *op, const TokVec *names)
{
    for (uint32_t i = 0; i < names->len; i++)
        if (!define(p, &names->data[i], op->results[i])) return false;
    return true;
}

static bool check_arena(Parser *p, TcSpan span)
{
    if (p->m->arena->exhausted)
        fail(p, TC_E_LIMIT, span, "Tile IR too large: the compiler's memory limit was reached");
    return !p->failed;
}

/* Stores the literal of a const in ival or fval according to its dtype. */
static bool set_const_value(Parser *p, TcIrOp *op, const Tok *lit)
{
    TcDtype dt = op->results[0]->type->dtype;
    if (tc_dtype_is_float(dt)) {
        if (lit->kind == T_FLOAT) op->fval = lit->fval;
        else if (lit->kind == T_INT) op->fval = lit->neg ? -(double)lit->mag : (double)lit->mag;
        else goto bad;
        return true;
    }
    if (lit->kind == T_INT) {
        op->ival = int_bits(lit);
        return true;
    }
    if (dt == TC_BOOL && (is_word(lit, "true") || is_word(lit, "false"))) {
        op->ival = is_word(lit, "true");
        return true;
    }
bad:
    fail(p, TC_E_IR_SYNTAX, lit->span, "%s is not a valid '%s' value of type %s", describe(p, lit),
         "const", tc_dtype_name(dt));
    return false;
}

/* generic := NAME [literal] [values] [attrs] [':' types] */
static bool parse_generic(Parser *p, TcIrBlock *b, TcOpcode opc, const TokVec *names, TcSpan span)
{
    const TcOpInfo *info = tc_op_info(opc);
    Tok lit;
    memset(&lit, 0, sizeof lit);
    if (opc == TC_OP_CONST) {
        const Tok *t = peek(p);
        if (t->kind != T_INT && t->kind != T_FLOAT && !is_word(t, "true") && !is_word(t, "false")) {
            fail(p, TC_E_IR_SYNTAX, t->span, "expected a literal after 'const', found %s", describe(p, t));
            return false;
        }
        lit = next(p);
    }
    ValueVec ops = {0};
    /* An op with neither operands nor results (barrier) is its name alone:
     * a value after it is the first result name of the next op. */
    bool bare = info->noperands == 0 && info->nresults == 0;
    if (!bare && peek(p)->kind == T_VALUE) {
        do {
            TcIrValue *v = parse_use(p);
            if (!v) return false;
            TC_VEC_PUSH(&p->scratch, ops, v);
        } while (accept_punct(p, ','));
    }
    Attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    if (is_punct(peek(p), '{') && !parse_attrs(p, opc, &attrs)) return false;
    if (info->attr == TC_ATTR_AXIS && !attrs.has_axis) {
        fail(p, TC_E_IR_SYNTAX, span, "'%s' needs the attribute 'axis'", info->name);
        return false;
    }
    if (info->attr == TC_ATTR_PENDING && !attrs.has_pending) {
        fail(p, TC_E_IR_SYNTAX, span, "'%s' needs the attribute 'pending'", info->name);
        return false;
    }
    if (info->attr == TC_ATTR_PERM && !attrs.has_perm) {
        fail(p, TC_E_IR_SYNTAX, span, "'%s' needs the attribute 'perm'", info->name);
        return false;
    }
    TypeVec types = {0};
    if (accept_punct(p, ':') && !parse_types(p, &types)) return false;
    span = tc_span_join(span, p->last.span);
    if (!check_result_count(p, opc, span, names->len, types.len)) return false;
    TcIrOp *op = tc_ir_op_new(p->func, opc, span, ops.len, ops.data, types.len, types.data, 0);
    apply_attrs(op, &attrs);
    if (opc == TC_OP_CONST && !set_const_value(p, op, &lit)) return false;
    tc_ir_block_append(b, op);
    return define_results(p, op, names) && check_arena(p, span);
}

/* Whether '{' starts attributes rather than a region: no op is named like
 * an attribute key, so the word after the brace tells. */
static bool is_attrs_start(Parser *p)
{
    const Tok *k = peek_at(p, 1);
    return is_punct(peek(p), '{') &&
           (is_word(k, "pipeline") || is_word(k, "unroll") || is_word(k, "smem") || is_word(k, "axis") ||
            is_word(k, "perm"));
}

/* for := 'for' VALUE '=' VALUE 'to' VALUE 'step' VALUE
 *        ['iter_args' '(' VALUE '=' VALUE (',' VALUE '=' VALUE)* ')']
 *        [':' types] [attrs] block */
static bool parse_for(Parser *p, TcIrBlock *b, const TokVec *names, TcSpan span, unsigned depth)
{
    Tok iv;
    ValueVec ops = {0};
    TokVec args = {0};
    if (!expect_kind(p, T_VALUE, "the induction variable", &iv) || !expect_punct(p, '=')) return false;
    static const char *const words[] = {NULL, "to", "step"};
    for (int i = 0; i < 3; i++) {
        if (words[i] && !expect_word(p, words[i])) return false;
        TcIrValue *v = parse_use(p);
        if (!v) return false;
        TC_VEC_PUSH(&p->scratch, ops, v);
    }
    if (is_word(peek(p), "iter_args")) {
        next(p);
        if (!expect_punct(p, '(')) return false;
        do {
            Tok a;
            if (!expect_kind(p, T_VALUE, "a loop-carried value", &a) || !expect_punct(p, '=')) return false;
            TcIrValue *init = parse_use(p);
            if (!init) return false;
            TC_VEC_PUSH(&p->scratch, args, a);
            TC_VEC_PUSH(&p->scratch, ops, init);
        } while (accept_punct(p, ','));
        if (!expect_punct(p, ')')) return false;
    }
    TypeVec types = {0};
    if (accept_punct(p, ':') && !parse_types(p, &types)) return false;
    Attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    if (is_attrs_start(p) && !parse_attrs(p, TC_OP_FOR, &attrs)) return false;
    span = tc_span_join(span, p->last.span);
    if (p->failed || !check_result_count(p, TC_OP_FOR, span, names->len, types.len)) return false;
    TcIrOp *op = tc_ir_op_new(p->func, TC_OP_FOR, span, ops.len, ops.data, types.len, types.data, 1);
    apply_attrs(op, &attrs);
    tc_ir_block_append(b, op);
    uint32_t mark = p->scope.len;
    TcIrBlock *body = op->regions[0];
    if (!define(p, &iv, tc_ir_block_add_arg(body, ops.data[0]->type, NULL))) return false;
    for (uint32_t i = 0; i < args.len; i++)
        if (!define(p, &args.data[i], tc_ir_block_add_arg(body, ops.data[3 + i]->type, NULL))) return false;
    if (!parse_block(p, body, depth + 1, mark)) return false;
    return define_results(p, op, names) && check_arena(p, span);
}

/* if := 'if' VALUE [':' types] [attrs] block ['else' block] */
static bool parse_if(Parser *p, TcIrBlock *b, const TokVec *names, TcSpan span, unsigned depth)
{
    TcIrValue *cond = parse_use(p);
    if (!cond) return false;
    TypeVec types = {0};
    if (accept_punct(p, ':') && !parse_types(p, &types)) return false;
    Attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    if (is_attrs_start(p) && !parse_attrs(p, TC_OP_IF, &attrs)) return false;
    span = tc_span_join(span, p->last.span);
    if (p->failed || !check_result_count(p, TC_OP_IF, span, names->len, types.len)) return false;
    TcIrOp *op = tc_ir_op_new(p->func, TC_OP_IF, span, 1, &cond, types.len, types.data, 2);
    apply_attrs(op, &attrs);
    tc_ir_block_append(b, op);
    if (!parse_block(p, op->regions[0], depth + 1, p->scope.len)) return false;
    if (is_word(peek(p), "else")) {
        next(p);
        if (!parse_block(p, op->regions[1], depth + 1, p->scope.len)) return false;
    }
    return define_results(p, op, names) && check_arena(p, span);
}

/* op := [VALUE (',' VALUE)* '='] NAME ... */
static bool parse_op(Parser *p, TcIrBlock *b, unsigned depth)
{
    TokVec names = {0};
    TcSpan span = peek(p)->span;
    if (peek(p)->kind == T_VALUE) {
        do {
            Tok t;
            if (!expect_kind(p, T_VALUE, "a result name", &t)) return false;
            TC_VEC_PUSH(&p->scratch, names, t);
        } while (accept_punct(p, ','));
        if (!expect_punct(p, '=')) return false;
    }
    Tok name;
    if (!expect_kind(p, T_IDENT, "an op name", &name)) return false;
    TcOpcode opc;
    if (!tc_op_from_name(name.s, name.n, &opc)) {
        fail(p, TC_E_IR_SYNTAX, name.span, "unknown op %s", describe(p, &name));
        return false;
    }
    if (opc == TC_OP_FOR) return parse_for(p, b, &names, span, depth);
    if (opc == TC_OP_IF) return parse_if(p, b, &names, span, depth);
    return parse_generic(p, b, opc, &names, span);
}

/* block := '{' op* '}'; names defined inside are hidden again at the end,
 * down to `mark` (which also covers the block's arguments). */
static bool parse_block(Parser *p, TcIrBlock *b, unsigned depth, uint32_t mark)
{
    if (depth > TC_IR_MAX_NESTING) {
        fail(p, TC_E_IR_SYNTAX, peek(p)->span, "regions nested too deeply (the limit is %d)",
             TC_IR_MAX_NESTING);
        return false;
    }
    if (!expect_punct(p, '{')) return false;
    while (!p->failed && !is_punct(peek(p), '}')) {
        if (peek(p)->kind == T_EOF) {
            fail(p, TC_E_IR_SYNTAX, peek(p)->span, "expected '}', found end of input");
            return false;
        }
        if (!parse_op(p, b, depth)) return false;
    }
    if (!expect_punct(p, '}')) return false;
    close_scope(p, mark);
    return true;
}

/* ----------------------------------------------------------- kernels */

/* const := IDENT '=' (INT | FLOAT | 'true' | 'false' | dtype) */
static bool parse_const_param(Parser *p, TcIrFunc *f)
{
    Tok name;
    if (!expect_kind(p, T_IDENT, "a const parameter name", &name) || !expect_punct(p, '=')) return false;
    TcIrConst c;
    memset(&c, 0, sizeof c);
    c.name = intern_n(p, name.s, name.n);
    for (uint32_t i = 0; i < f->consts.len; i++) {
        if (f->consts.data[i].name == c.name) {
            fail(p, TC_E_IR_UNDEFINED, name.span, "const parameter '%s' is given twice", c.name);
            return false;
        }
    }
    Tok v = next(p);
    if (v.kind == T_INT) {
        c.kind = TC_CONST_INT;
        c.ival = int_bits(&v);
    } else if (v.kind == T_FLOAT) {
        c.kind = TC_CONST_FLOAT;
        c.fval = v.fval;
    } else if (is_word(&v, "true") || is_word(&v, "false")) {
        c.kind = TC_CONST_BOOL;
        c.ival = is_word(&v, "true");
    } else if (v.kind == T_IDENT && tc_dtype_from_name(v.s, v.n, &c.dtype)) {
        c.kind = TC_CONST_DTYPE;
    } else {
        fail(p, TC_E_IR_SYNTAX, v.span, "expected a const value, found %s", describe(p, &v));
        return false;
    }
    TC_VEC_PUSH(p->m->arena, f->consts, c);
    return true;
}

static bool is_dim_symbol(const TcIrFunc *f, const char *sym)
{
    for (uint32_t i = 0; i < f->nparams; i++) {
        const TcType *t = f->body->args[i]->type;
        if (t->kind != TC_TY_TENSOR) continue;
        for (uint32_t d = 0; d < t->rank; d++)
            if (t->dims[d].sym == sym) return true;
    }
    return false;
}

/* kernel := 'kernel' GLOBAL ['<' const (',' const)* '>']
 *           '(' [VALUE ':' type (',' VALUE ':' type)*] ')'
 *           ['sizes' '(' VALUE (',' VALUE)* ')'] ['smem' '(' INT ')'] ['warps' '(' INT ')']
 *           'grid' block block */
static bool parse_kernel(Parser *p)
{
    Tok kw = next(p), name;
    if (!expect_kind(p, T_GLOBAL, "a kernel name '@name'", &name)) return false;
    const char *kname = intern_n(p, name.s, name.n);
    if (tc_ir_module_find(p->m, kname)) {
        fail(p, TC_E_IR_UNDEFINED, name.span, "kernel '@%s' is defined twice", kname);
        return false;
    }
    TcIrFunc *f = tc_ir_func_new(p->m, kname, tc_span_join(kw.span, name.span));
    p->func = f;
    names_reset(p);
    if (accept_punct(p, '<')) {
        do {
            if (!parse_const_param(p, f)) return false;
        } while (accept_punct(p, ','));
        if (!expect_punct(p, '>')) return false;
    }
    if (!expect_punct(p, '(')) return false;
    if (!is_punct(peek(p), ')')) {
        do {
            Tok pn;
            if (!expect_kind(p, T_VALUE, "a parameter", &pn) || !expect_punct(p, ':')) return false;
            TcType *t = parse_type(p);
            if (!t || !define(p, &pn, tc_ir_func_add_param(f, NULL, t))) return false;
        } while (accept_punct(p, ','));
    }
    if (!expect_punct(p, ')')) return false;
    if (is_word(peek(p), "sizes")) {
        next(p);
        if (!expect_punct(p, '(')) return false;
        do {
            Tok sn;
            if (!expect_kind(p, T_VALUE, "a size name", &sn)) return false;
            const char *sym = intern_n(p, sn.s, sn.n);
            if (!is_dim_symbol(f, sym)) {
                fail(p, TC_E_IR_UNDEFINED, sn.span,
                     "size '%%%s' is not a dimension of any tensor parameter", sym);
                return false;
            }
            if (!define(p, &sn, tc_ir_func_add_size(f, NULL))) return false;
        } while (accept_punct(p, ','));
        if (!expect_punct(p, ')')) return false;
    }
    if (is_word(peek(p), "smem")) {
        int64_t bytes;
        next(p);
        if (!expect_punct(p, '(') || !expect_int(p, "smem", 0, INT64_MAX, &bytes) || !expect_punct(p, ')'))
            return false;
        f->smem_bytes = (uint64_t)bytes;
    }
    if (is_word(peek(p), "warps")) {
        int64_t w;
        next(p);
        if (!expect_punct(p, '(') || !expect_int(p, "warps", 0, INT32_MAX, &w) || !expect_punct(p, ')'))
            return false;
        f->warps = (int32_t)w;
    }
    if (!expect_word(p, "grid")) return false;
    uint32_t mark = p->scope.len;
    if (!parse_block(p, f->grid, 1, mark)) return false;
    return parse_block(p, f->body, 1, mark);
}

bool tc_ir_parse(TcIrModule *m, TcDiagEngine *de, uint32_t file_id)
{
    Parser p;
    memset(&p, 0, sizeof p);
    const TcSource *src = tc_diag_file(de, file_id);
    p.m = m;
    p.de = de;
    p.file = file_id;
    p.src = src->text ? src->text : "";
    p.len = src->text ? src->len : 0;
    p.line = p.col = 1;
    tc_arena_init(&p.scratch);
    while (!p.failed && peek(&p)->kind != T_EOF) {
        uint32_t nfuncs = m->funcs.len;
        if (!is_word(peek(&p), "kernel")) {
            fail(&p, TC_E_IR_SYNTAX, peek(&p)->span, "expected 'kernel', found %s", describe(&p, peek(&p)));
            break;
        }
        if (!parse_kernel(&p)) m->funcs.len = nfuncs;
    }
    tc_arena_free(&p.scratch);
    return !p.failed;
}
