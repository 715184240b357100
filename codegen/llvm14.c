/*
 * llvm14.c — brings textual IR printed by LLVM 19 down to what LLVM 14's
 * parser accepts, for MUSA's toolkit (its llc is LLVM 14.0.0 based).
 *
 * A pure text rewrite, line by line. Each line is split into tokens (words,
 * sigil names such as %x @f !5 #0, quoted strings, punctuation, comments),
 * so nothing inside a string or a name is ever touched. The rewrites, each
 * found by feeding LLVM 19 output to LLVM 14's `llvm-as -opaque-pointers`
 * (tests/unit/test_gpu_emit.c keeps one case per rule):
 *
 *  - calling convention 102 (MUSA's kernel convention), which LLVM 19 prints
 *    as `aarch64_sme_preservemost_from_x0`, becomes `cc102`;
 *  - flags LLVM 14 lacks are dropped: `disjoint` on or, `nneg` on zext,
 *    sext, uitofp and sitofp, `nuw`/`nsw` on trunc, `nusw`/`nuw` on
 *    getelementptr (`inbounds` stays), `samesign` on icmp, `inrange(..)`;
 *  - `memory(...)` becomes readnone / readonly / writeonly / argmemonly /
 *    inaccessiblememonly / inaccessiblemem_or_argmemonly (when the effects
 *    do not fit one of them, the weaker claim is kept: fewer attributes);
 *  - `captures(none)` becomes `nocapture`, other `captures(...)` go;
 *    `uwtable(...)` becomes `uwtable`;
 *  - attributes LLVM 14 does not parse go: range(..), nofpclass(..),
 *    initializes(..), allockind(..), writable, dead_on_unwind, nocallback,
 *    and the newer ones listed in `dropped_words`; so do mustprogress,
 *    willreturn and speculatable, which LLVM 14 parses but FlagTree (the
 *    public pipeline that feeds MUSA's llc) removes too — all are
 *    optimization hints, so dropping one never changes what the code does;
 *  - `splat (T v)` vector constants are written out element by element;
 *  - calls to llvm.scmp / llvm.ucmp (LLVM 19) become icmp + select, and
 *    scalar llvm.is.fpclass (LLVM 15) becomes integer tests on the bits;
 *    their declarations go;
 *  - debug records (`#dbg_value(...)` lines) are dropped: variable
 *    locations are lost, line locations (!dbg) stay;
 *  - an attribute group left empty, which LLVM 14 refuses, gets the string
 *    attribute "tilec.llvm14".
 * A declaration of an intrinsic LLVM 14 does not have and that is not
 * rewritten (llvm.ldexp, llvm.exp10, ...) is an error: LLVM 14's llvm-as
 * would accept it as an ordinary function, and the program would fail at
 * link time instead.
 */
#include "gpu_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum TokKind { T_WS, T_WORD, T_NAME, T_STR, T_PUNCT, T_COMMENT } TokKind;

typedef struct Tok {
    TokKind k;
    const char *s;
    size_t n;
} Tok;

typedef struct Down {
    TcStrBuf *out;
    char *why;
    size_t whylen;
    bool failed;
    unsigned tmp;         /* counter for the names of generated values */
    size_t line_no;
    TC_VEC(Tok) toks;     /* tokens of the current line (malloc'd) */
} Down;

static bool fail(Down *d, const char *fmt, ...) TC_PRINTF(2, 3);
static bool fail(Down *d, const char *fmt, ...)
{
    if (d->failed) return false;
    d->failed = true;
    if (d->why && d->whylen) {
        int k = snprintf(d->why, d->whylen, "line %zu: ", d->line_no);
        if (k < 0) k = 0;
        if ((size_t)k < d->whylen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(d->why + k, d->whylen - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return false;
}

/* ------------------------------------------------------------ tokens */

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-' || c == '$';
}

static void push_tok(Down *d, TokKind k, const char *s, size_t n)
{
    if (d->toks.len == d->toks.cap) {
        size_t cap = d->toks.cap ? d->toks.cap * 2 : 64;
        Tok *p = realloc(d->toks.data, cap * sizeof *p);
        if (!p) TC_ICE("out of memory");
        d->toks.data = p;
        d->toks.cap = (uint32_t)cap;
    }
    d->toks.data[d->toks.len++] = (Tok){k, s, n};
}

/* Splits one line (no newline) into tokens. */
static void tokenize(Down *d, const char *s, size_t n)
{
    d->toks.len = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) j++;
            push_tok(d, T_WS, s + i, j - i);
        } else if (c == ';') {
            push_tok(d, T_COMMENT, s + i, n - i);
            j = n;
        } else if (c == '"') {
            j++;
            while (j < n && s[j] != '"') j++;
            if (j < n) j++;
            push_tok(d, T_STR, s + i, j - i);
        } else if ((c == '%' || c == '@' || c == '!' || c == '#' || c == '$') && i + 1 < n &&
                   (word_char(s[i + 1]) || s[i + 1] == '"')) {
            j++;
            if (s[j] == '"') {
                j++;
                while (j < n && s[j] != '"') j++;
                if (j < n) j++;
            } else {
                while (j < n && word_char(s[j])) j++;
            }
            push_tok(d, T_NAME, s + i, j - i);
        } else if (word_char(c)) {
            while (j < n && word_char(s[j])) j++;
            push_tok(d, T_WORD, s + i, j - i);
        } else {
            push_tok(d, T_PUNCT, s + i, 1);
            j = i + 1;
        }
        i = j;
    }
}

static bool tok_is(const Tok *t, const char *w)
{
    size_t n = strlen(w);
    return t->n == n && memcmp(t->s, w, n) == 0;
}

static bool word_is(const Tok *t, const char *w) { return t->k == T_WORD && tok_is(t, w); }

static bool word_in(const Tok *t, const char *const *list)
{
    if (t->k != T_WORD) return false;
    for (; *list; list++)
        if (tok_is(t, *list)) return true;
    return false;
}

/* Index of the first non-whitespace token at or after i (len if none). */
static uint32_t skip_ws(const Down *d, uint32_t i)
{
    while (i < d->toks.len && d->toks.data[i].k == T_WS) i++;
    return i;
}

/* Given toks[open] == "(", the index of the matching ")" (len if none). */
static uint32_t match_paren(const Down *d, uint32_t open)
{
    int depth = 0;
    for (uint32_t i = open; i < d->toks.len; i++) {
        const Tok *t = &d->toks.data[i];
        if (t->k != T_PUNCT) continue;
        if (t->s[0] == '(') depth++;
        else if (t->s[0] == ')' && --depth == 0) return i;
    }
    return d->toks.len;
}

/* Source text of tokens [a, b). */
static void span_text(const Down *d, uint32_t a, uint32_t b, const char **s, size_t *n)
{
    if (a >= b) {
        *s = "";
        *n = 0;
        return;
    }
    *s = d->toks.data[a].s;
    *n = (size_t)(d->toks.data[b - 1].s + d->toks.data[b - 1].n - *s);
}

/* ------------------------------------------------------- attributes */

/* Attributes LLVM 14 cannot parse, or that FlagTree drops (see the file
 * comment); all are hints whose absence is always correct. */
static const char *const dropped_words[] = {
    "nocallback", "mustprogress", "willreturn", "speculatable", "writable", "dead_on_unwind",
    "nocreateundeforpoison", "optdebug", "skipprofile", "hybrid_patchable", "sanitize_numerical_stability",
    "nosanitize_bounds", "coro_only_destroy_when_complete", "coro_elide_safe", "presplitcoroutine", "allocalign",
    "allocptr", "fn_ret_thunk_extern", "sanitize_realtime", "sanitize_realtime_blocking", "sanitize_type",
    "no_sanitize_address", "no_sanitize_hwaddress", "sanitize_memtag", NULL};

/* Attributes with an argument list that go whole. */
static const char *const dropped_calls[] = {"range", "nofpclass", "initializes", "allockind", NULL};

enum { ACC_NONE = 0, ACC_READ = 1, ACC_WRITE = 2, ACC_RW = 3 };

static int parse_access(const char *s, size_t n)
{
    while (n && (*s == ' ')) s++, n--;
    while (n && s[n - 1] == ' ') n--;
    if (n == 4 && memcmp(s, "none", 4) == 0) return ACC_NONE;
    if (n == 4 && memcmp(s, "read", 4) == 0) return ACC_READ;
    if (n == 5 && memcmp(s, "write", 5) == 0) return ACC_WRITE;
    if (n == 9 && memcmp(s, "readwrite", 9) == 0) return ACC_RW;
    return -1;
}

/* memory(ITEMS) as LLVM 14 attributes (possibly none) into out. */
static bool memory_attr(Down *d, const char *s, size_t n, TcStrBuf *out)
{
    int dflt = ACC_NONE, arg = -1, inacc = -1, other_extra = ACC_NONE;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != ',') j++;
        const char *item = s + i;
        size_t len = j - i;
        const char *colon = memchr(item, ':', len);
        if (!colon) {
            int a = parse_access(item, len);
            if (a < 0) return fail(d, "unknown memory effect '%.*s'", (int)len, item);
            dflt = a;
        } else {
            const char *loc = item;
            size_t loclen = (size_t)(colon - item);
            while (loclen && *loc == ' ') loc++, loclen--;
            while (loclen && loc[loclen - 1] == ' ') loclen--;
            int a = parse_access(colon + 1, (size_t)(item + len - (colon + 1)));
            if (a < 0) return fail(d, "unknown memory effect '%.*s'", (int)len, item);
            if (loclen == 6 && memcmp(loc, "argmem", 6) == 0) arg = a;
            else if (loclen == 15 && memcmp(loc, "inaccessiblemem", 15) == 0) inacc = a;
            else other_extra |= a; /* errnomem, target memories: count as other memory */
        }
        i = j + 1;
    }
    if (arg < 0) arg = dflt;
    if (inacc < 0) inacc = dflt;
    int other = dflt | other_extra;
    int all = arg | inacc | other;
    const char *acc = all == ACC_READ ? "readonly" : all == ACC_WRITE ? "writeonly" : NULL;
    if (all == ACC_NONE) tc_sb_puts(out, "readnone");
    else if (other == ACC_NONE && inacc == ACC_NONE) tc_sb_printf(out, "argmemonly%s%s", acc ? " " : "", acc ? acc : "");
    else if (other == ACC_NONE && arg == ACC_NONE)
        tc_sb_printf(out, "inaccessiblememonly%s%s", acc ? " " : "", acc ? acc : "");
    else if (other == ACC_NONE)
        tc_sb_printf(out, "inaccessiblemem_or_argmemonly%s%s", acc ? " " : "", acc ? acc : "");
    else if (acc) tc_sb_puts(out, acc);
    return true;
}

/* ---------------------------------------------------- splat constants */

typedef struct VecTy {
    unsigned count;
    const char *elem;
    size_t elen;
} VecTy;

/* The vector types `<N x ELEM>` among tokens [0, end), in order. */
static uint32_t vector_types(const Down *d, uint32_t end, VecTy *v, uint32_t max)
{
    uint32_t nv = 0;
    for (uint32_t i = 0; i < end && nv < max; i++) {
        const Tok *t = &d->toks.data[i];
        if (t->k != T_PUNCT || t->s[0] != '<') continue;
        uint32_t a = skip_ws(d, i + 1);
        if (a >= end || d->toks.data[a].k != T_WORD) continue;
        char *e;
        unsigned long cnt = strtoul(d->toks.data[a].s, &e, 10);
        if (e != d->toks.data[a].s + d->toks.data[a].n || cnt == 0 || cnt > 4096) continue;
        uint32_t x = skip_ws(d, a + 1);
        if (x >= end || !word_is(&d->toks.data[x], "x")) continue;
        uint32_t el = skip_ws(d, x + 1);
        uint32_t k = el;
        int depth = 0;
        while (k < end) {
            const Tok *u = &d->toks.data[k];
            if (u->k == T_PUNCT && u->s[0] == '(') depth++;
            else if (u->k == T_PUNCT && u->s[0] == ')') depth--;
            else if (u->k == T_PUNCT && u->s[0] == '>' && depth == 0) break;
            k++;
        }
        if (k >= end || k == el) continue;
        const char *es;
        size_t en;
        span_text(d, el, k, &es, &en);
        while (en && (es[en - 1] == ' ' || es[en - 1] == '\t')) en--;
        v[nv++] = (VecTy){(unsigned)cnt, es, en};
    }
    return nv;
}

/* toks[w] is `splat`, toks[open..close] its parentheses: writes the
 * element-by-element vector constant. */
static bool expand_splat(Down *d, uint32_t w, uint32_t open, uint32_t close, TcStrBuf *out)
{
    const char *cs;
    size_t cn;
    span_text(d, open + 1, close, &cs, &cn);
    while (cn && (*cs == ' ')) cs++, cn--;
    while (cn && cs[cn - 1] == ' ') cn--;
    VecTy v[64];
    uint32_t nv = vector_types(d, w, v, 64);
    for (uint32_t k = nv; k-- > 0;) {
        if (v[k].elen < cn && memcmp(cs, v[k].elem, v[k].elen) == 0 && cs[v[k].elen] == ' ') {
            tc_sb_putc(out, '<');
            for (unsigned i = 0; i < v[k].count; i++) {
                if (i) tc_sb_puts(out, ", ");
                tc_sb_putn(out, cs, cn);
            }
            tc_sb_putc(out, '>');
            return true;
        }
    }
    return fail(d, "cannot tell the vector type of 'splat (%.*s)'", (int)cn, cs);
}

/* ------------------------------------------------------ a token line */

/* Rewrites the tokens of one line into out (no newline). */
static bool rewrite_tokens(Down *d, TcStrBuf *out)
{
    size_t ws_at = SIZE_MAX;      /* out->len before the last whitespace written */
    const Tok *last_word = NULL;  /* last word written */
    for (uint32_t i = 0; i < d->toks.len; i++) {
        const Tok *t = &d->toks.data[i];
        if (t->k == T_WS) {
            ws_at = out->len;
            tc_sb_putn(out, t->s, t->n);
            continue;
        }
        if (t->k == T_WORD) {
            bool drop = word_in(t, dropped_words);
            if (!drop && last_word) {
                if (word_is(t, "disjoint")) drop = word_is(last_word, "or");
                else if (word_is(t, "nneg"))
                    drop = word_is(last_word, "zext") || word_is(last_word, "sext") || word_is(last_word, "uitofp") ||
                           word_is(last_word, "sitofp");
                else if (word_is(t, "nuw") || word_is(t, "nsw"))
                    drop = word_is(last_word, "trunc") ||
                           (word_is(t, "nuw") && (word_is(last_word, "getelementptr") || word_is(last_word, "inbounds")));
                else if (word_is(t, "nusw"))
                    drop = word_is(last_word, "getelementptr") || word_is(last_word, "inbounds");
                else if (word_is(t, "samesign")) drop = word_is(last_word, "icmp");
            }
            uint32_t open = skip_ws(d, i + 1);
            /* a word before ':' is a block label, whatever it spells */
            if (open < d->toks.len && d->toks.data[open].k == T_PUNCT && d->toks.data[open].s[0] == ':') drop = false;
            bool call = open < d->toks.len && d->toks.data[open].k == T_PUNCT && d->toks.data[open].s[0] == '(';
            uint32_t close = call ? match_paren(d, open) : 0;
            if (call && close >= d->toks.len) return fail(d, "unbalanced parentheses after '%.*s'", (int)t->n, t->s);
            const char *cs = NULL;
            size_t cn = 0;
            if (call) span_text(d, open + 1, close, &cs, &cn);
            TcStrBuf repl;
            tc_sb_init(&repl);
            bool replace = false;
            if (call && (word_in(t, dropped_calls) || word_is(t, "inrange"))) {
                replace = true;
            } else if (call && word_is(t, "memory")) {
                replace = true;
                if (!memory_attr(d, cs, cn, &repl)) {
                    tc_sb_free(&repl);
                    return false;
                }
            } else if (call && word_is(t, "captures")) {
                replace = true;
                if (cn == 4 && memcmp(cs, "none", 4) == 0) tc_sb_puts(&repl, "nocapture");
            } else if (call && word_is(t, "uwtable")) {
                replace = true;
                tc_sb_puts(&repl, "uwtable");
            } else if (call && word_is(t, "splat")) {
                replace = true;
                if (!expand_splat(d, i, open, close, &repl)) {
                    tc_sb_free(&repl);
                    return false;
                }
            }
            if (replace) {
                if (repl.len == 0 && ws_at != SIZE_MAX && ws_at + 1 <= out->len && out->len > 0 &&
                    (out->data[out->len - 1] == ' '))
                    out->len = ws_at, out->data[out->len] = 0;
                tc_sb_putn(out, repl.data ? repl.data : "", repl.len);
                tc_sb_free(&repl);
                i = close;
                ws_at = SIZE_MAX;
                continue;
            }
            tc_sb_free(&repl);
            if (drop) {
                /* also drop the whitespace before it, so no double space is left */
                if (ws_at != SIZE_MAX && out->len > 0 && out->data[out->len - 1] == ' ') {
                    out->len = ws_at;
                    out->data[out->len] = 0;
                }
                ws_at = SIZE_MAX;
                continue;
            }
            if (word_is(t, "aarch64_sme_preservemost_from_x0")) tc_sb_puts(out, "cc102");
            else tc_sb_putn(out, t->s, t->n);
            last_word = t;
            ws_at = SIZE_MAX;
            continue;
        }
        tc_sb_putn(out, t->s, t->n);
        ws_at = SIZE_MAX;
    }
    return true;
}

/* -------------------------------------------- intrinsics LLVM 14 lacks */

/* Intrinsics newer than LLVM 14 that this file does not rewrite. */
static const char *const unsupported_intrinsics[] = {
    "llvm.ldexp.", "llvm.frexp.", "llvm.exp10.", "llvm.tan.", "llvm.asin.", "llvm.acos.", "llvm.atan.",
    "llvm.atan2.", "llvm.sinh.", "llvm.cosh.", "llvm.tanh.", "llvm.sincos.", "llvm.vector.reverse.",
    "llvm.vector.splice.", "llvm.vector.insert.", "llvm.vector.extract.", "llvm.vector.interleave",
    "llvm.vector.deinterleave", "llvm.vector.reduce.fmaximum.", "llvm.vector.reduce.fminimum.",
    "llvm.vector.compress.", "llvm.experimental.vector.compress.", "llvm.threadlocal.address.",
    "llvm.allow.ubsan.check", "llvm.allow.runtime.check", "llvm.fptrunc.round.", "llvm.stepvector.",
    "llvm.minimumnum.", "llvm.maximumnum.", "llvm.experimental.get.vector.length.", NULL};

static bool starts_with(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && memcmp(s, p, k) == 0;
}

/* Skips leading blanks; returns the rest. */
static const char *ltrim(const char *s, size_t n, size_t *rest)
{
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    *rest = n;
    return s;
}

static const char *find(const char *s, size_t n, const char *pat)
{
    size_t k = strlen(pat);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, pat, k) == 0) return s + i;
    return NULL;
}

/* Splits the call arguments inside [s, s+n) at top-level commas. */
static uint32_t split_args(const char *s, size_t n, const char **as, size_t *an, uint32_t max)
{
    uint32_t k = 0;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? s[i] : ',';
        if (c == '(' || c == '<' || c == '[' || c == '{') depth++;
        else if (c == ')' || c == '>' || c == ']' || c == '}') depth--;
        else if (c == ',' && depth == 0) {
            if (k < max) {
                const char *a = s + start;
                size_t len = i - start;
                while (len && (*a == ' ')) a++, len--;
                while (len && a[len - 1] == ' ') len--;
                as[k] = a;
                an[k] = len;
            }
            k++;
            start = i + 1;
        }
    }
    return k;
}

/* "TYPE VALUE" -> VALUE (the last blank-separated word). */
static void arg_value(const char *a, size_t n, const char **v, size_t *vn)
{
    size_t i = n;
    while (i && a[i - 1] != ' ') i--;
    *v = a + i;
    *vn = n - i;
}

typedef struct CallLine {
    const char *indent;
    size_t indent_n;
    const char *result;  /* "%x" */
    size_t result_n;
    const char *ret;     /* return type text */
    size_t ret_n;
    const char *suffix;  /* after the ")": attachments ", !dbg !5" kept, "#N" dropped */
    size_t suffix_n;
    const char *args[4];
    size_t argn[4];
    uint32_t nargs;
} CallLine;

/* Parses `%r = [tail] call ... RET @NAME(args) tail` where at points at "@NAME". */
static bool parse_call(Down *d, const char *line, size_t n, const char *at, size_t name_n, CallLine *c)
{
    size_t rest;
    const char *p = ltrim(line, n, &rest);
    c->indent = line;
    c->indent_n = (size_t)(p - line);
    const char *eq = find(p, (size_t)(at - p), " = ");
    if (!eq || *p != '%') return fail(d, "a call to %.*s whose result is not named", (int)name_n, at);
    c->result = p;
    c->result_n = (size_t)(eq - p);
    /* return type: the word(s) right before "@": for scalars one word */
    const char *r = at;
    while (r > p && r[-1] == ' ') r--;
    const char *rs = r;
    while (rs > p && rs[-1] != ' ') rs--;
    c->ret = rs;
    c->ret_n = (size_t)(r - rs);
    if (c->ret_n && c->ret[c->ret_n - 1] == '>')
        return fail(d, "%.*s on vectors has no LLVM 14 rewrite", (int)name_n, at);
    const char *open = at + name_n;
    if (open >= line + n || *open != '(') return fail(d, "malformed call to %.*s", (int)name_n, at);
    int depth = 0;
    const char *close = open;
    for (; close < line + n; close++) {
        if (*close == '(') depth++;
        else if (*close == ')' && --depth == 0) break;
    }
    if (close >= line + n) return fail(d, "malformed call to %.*s", (int)name_n, at);
    c->nargs = split_args(open + 1, (size_t)(close - open - 1), c->args, c->argn, 4);
    const char *sfx = close + 1;
    size_t sn = (size_t)(line + n - sfx);
    const char *attach = find(sfx, sn, ", !");
    c->suffix = attach ? attach : "";
    c->suffix_n = attach ? (size_t)(line + n - attach) : 0;
    for (uint32_t i = 0; i < c->nargs && i < 4; i++)
        if (c->argn[i] && c->args[i][c->argn[i] - 1] == '>')
            return fail(d, "%.*s on vectors has no LLVM 14 rewrite", (int)name_n, at);
    return true;
}

static void emit_ins(Down *d, const CallLine *c, const char *fmt, ...) TC_PRINTF(3, 4);
static void emit_ins(Down *d, const CallLine *c, const char *fmt, ...)
{
    tc_sb_putn(d->out, c->indent, c->indent_n);
    va_list ap;
    va_start(ap, fmt);
    tc_sb_vprintf(d->out, fmt, ap);
    va_end(ap);
    tc_sb_putc(d->out, '\n');
}

/* llvm.scmp / llvm.ucmp: -1, 0 or 1 by comparing two integers. */
static bool rewrite_cmp3(Down *d, const char *line, size_t n, const char *at, size_t name_n, bool sgn)
{
    CallLine c;
    if (!parse_call(d, line, n, at, name_n, &c)) return false;
    if (c.nargs != 2) return fail(d, "malformed call to %.*s", (int)name_n, at);
    const char *ty = c.args[0];
    size_t tyn = 0;
    while (tyn < c.argn[0] && ty[tyn] != ' ') tyn++;
    const char *a, *b;
    size_t an, bn;
    arg_value(c.args[0], c.argn[0], &a, &an);
    arg_value(c.args[1], c.argn[1], &b, &bn);
    unsigned k = ++d->tmp;
    emit_ins(d, &c, "%%.tc14.lt%u = icmp %s %.*s %.*s, %.*s", k, sgn ? "slt" : "ult", (int)tyn, ty, (int)an, a,
             (int)bn, b);
    emit_ins(d, &c, "%%.tc14.gt%u = icmp %s %.*s %.*s, %.*s", k, sgn ? "sgt" : "ugt", (int)tyn, ty, (int)an, a,
             (int)bn, b);
    emit_ins(d, &c, "%%.tc14.m%u = select i1 %%.tc14.gt%u, %.*s 1, %.*s 0", k, k, (int)c.ret_n, c.ret,
             (int)c.ret_n, c.ret);
    tc_sb_putn(d->out, c.indent, c.indent_n);
    tc_sb_printf(d->out, "%.*s = select i1 %%.tc14.lt%u, %.*s -1, %.*s %%.tc14.m%u%.*s\n", (int)c.result_n,
                 c.result, k, (int)c.ret_n, c.ret, (int)c.ret_n, c.ret, k, (int)c.suffix_n, c.suffix);
    return true;
}

/* llvm.is.fpclass(x, mask) on a scalar: the class bits tested on the
 * integer image of x. Bits: 0 snan, 1 qnan, 2 -inf, 3 -normal,
 * 4 -subnormal, 5 -0, 6 +0, 7 +subnormal, 8 +normal, 9 +inf. */
static bool rewrite_fpclass(Down *d, const char *line, size_t n, const char *at, size_t name_n)
{
    CallLine c;
    if (!parse_call(d, line, n, at, name_n, &c)) return false;
    if (c.nargs != 2) return fail(d, "malformed call to %.*s", (int)name_n, at);
    const char *ty = c.args[0];
    size_t tyn = 0;
    while (tyn < c.argn[0] && ty[tyn] != ' ') tyn++;
    unsigned bits;
    unsigned long long inf, quiet, minnorm;
    if (tyn == 4 && memcmp(ty, "half", 4) == 0) bits = 16, inf = 0x7c00, quiet = 0x200, minnorm = 0x400;
    else if (tyn == 6 && memcmp(ty, "bfloat", 6) == 0) bits = 16, inf = 0x7f80, quiet = 0x40, minnorm = 0x80;
    else if (tyn == 5 && memcmp(ty, "float", 5) == 0) bits = 32, inf = 0x7f800000, quiet = 0x400000, minnorm = 0x800000;
    else if (tyn == 6 && memcmp(ty, "double", 6) == 0)
        bits = 64, inf = 0x7ff0000000000000ull, quiet = 0x8000000000000ull, minnorm = 0x10000000000000ull;
    else return fail(d, "llvm.is.fpclass on '%.*s' has no LLVM 14 rewrite", (int)tyn, ty);
    const char *x, *m;
    size_t xn, mn;
    arg_value(c.args[0], c.argn[0], &x, &xn);
    arg_value(c.args[1], c.argn[1], &m, &mn);
    char *e;
    unsigned long mask = strtoul(m, &e, 10);
    if (e != m + mn) return fail(d, "llvm.is.fpclass with a mask that is not a constant");
    mask &= 0x3ff;
    unsigned k = ++d->tmp;
    unsigned long long absmask = (bits == 64 ? ~0ull : ((1ull << bits) - 1)) >> 1;
    emit_ins(d, &c, "%%.tc14.i%u = bitcast %.*s %.*s to i%u", k, (int)tyn, ty, (int)xn, x, bits);
    emit_ins(d, &c, "%%.tc14.a%u = and i%u %%.tc14.i%u, %llu", k, bits, k, absmask);
    emit_ins(d, &c, "%%.tc14.neg%u = icmp slt i%u %%.tc14.i%u, 0", k, bits, k);
    emit_ins(d, &c, "%%.tc14.pos%u = xor i1 %%.tc14.neg%u, true", k, k);
    /* class predicates, each at most once */
    unsigned np = 0;
    char acc[32] = "false";
    for (int cls = 0; cls < 6; cls++) {
        /* 0 nan (snan/qnan split below), 1 inf, 2 normal, 3 subnormal, 4 zero */
        unsigned negbit, posbit;
        switch (cls) {
        case 0: negbit = 1u << 0, posbit = 1u << 1; break; /* snan, qnan (no sign) */
        case 1: negbit = 1u << 2, posbit = 1u << 9; break;
        case 2: negbit = 1u << 3, posbit = 1u << 8; break;
        case 3: negbit = 1u << 4, posbit = 1u << 7; break;
        case 4: negbit = 1u << 5, posbit = 1u << 6; break;
        default: continue;
        }
        bool wn = mask & negbit, wp = mask & posbit;
        if (!wn && !wp) continue;
        char pred[32];
        snprintf(pred, sizeof pred, "%%.tc14.c%u.%d", k, cls);
        switch (cls) {
        case 0:
            if (wn && wp) emit_ins(d, &c, "%s = icmp ugt i%u %%.tc14.a%u, %llu", pred, bits, k, inf);
            else if (wp) emit_ins(d, &c, "%s = icmp uge i%u %%.tc14.a%u, %llu", pred, bits, k, inf | quiet);
            else {
                emit_ins(d, &c, "%%.tc14.s%u = sub i%u %%.tc14.a%u, %llu", k, bits, k, inf + 1);
                emit_ins(d, &c, "%s = icmp ult i%u %%.tc14.s%u, %llu", pred, bits, k, quiet - 1);
            }
            wn = wp = true; /* no sign to apply */
            break;
        case 1: emit_ins(d, &c, "%s.t = icmp eq i%u %%.tc14.a%u, %llu", pred, bits, k, inf); break;
        case 2:
            emit_ins(d, &c, "%s.d = sub i%u %%.tc14.a%u, %llu", pred, bits, k, minnorm);
            emit_ins(d, &c, "%s.t = icmp ult i%u %s.d, %llu", pred, bits, pred, inf - minnorm);
            break;
        case 3:
            emit_ins(d, &c, "%s.d = sub i%u %%.tc14.a%u, 1", pred, bits, k);
            emit_ins(d, &c, "%s.t = icmp ult i%u %s.d, %llu", pred, bits, pred, minnorm - 1);
            break;
        case 4: emit_ins(d, &c, "%s.t = icmp eq i%u %%.tc14.a%u, 0", pred, bits, k); break;
        }
        if (cls != 0) {
            if (wn && wp) emit_ins(d, &c, "%s = and i1 %s.t, true", pred, pred);
            else emit_ins(d, &c, "%s = and i1 %s.t, %%.tc14.%s%u", pred, pred, wn ? "neg" : "pos", k);
        }
        char next[32];
        snprintf(next, sizeof next, "%%.tc14.o%u.%u", k, np++);
        emit_ins(d, &c, "%s = or i1 %s, %s", next, acc, pred);
        snprintf(acc, sizeof acc, "%s", next);
    }
    tc_sb_putn(d->out, c.indent, c.indent_n);
    tc_sb_printf(d->out, "%.*s = or i1 %s, false%.*s\n", (int)c.result_n, c.result, acc, (int)c.suffix_n, c.suffix);
    return true;
}

/* A line that calls or declares an intrinsic LLVM 14 lacks: rewritten
 * into d->out (true, *done set), or an error. */
static bool intrinsic_line(Down *d, const char *line, size_t n, bool *done)
{
    *done = false;
    const char *at = find(line, n, "@llvm.");
    if (!at) return true;
    size_t rest;
    const char *p = ltrim(line, n, &rest);
    bool decl = starts_with(p, rest, "declare ");
    static const char *const rewritten[] = {"@llvm.scmp.", "@llvm.ucmp.", "@llvm.is.fpclass.", NULL};
    for (; at; at = find(at + 1, (size_t)(line + n - at - 1), "@llvm.")) {
        size_t name_n = 1;
        while (at + name_n < line + n && (word_char(at[name_n]))) name_n++;
        for (const char *const *u = unsupported_intrinsics; *u; u++)
            if (starts_with(at + 1, name_n - 1, *u))
                return fail(d, "%.*s has no LLVM 14 equivalent (it is newer than LLVM 14)", (int)(name_n - 1), at + 1);
        for (const char *const *r = rewritten; *r; r++) {
            if (!starts_with(at, name_n, *r)) continue;
            *done = true;
            if (decl) return true; /* the declaration goes */
            if (r == rewritten + 2) return rewrite_fpclass(d, line, n, at, name_n);
            return rewrite_cmp3(d, line, n, at, name_n, r == rewritten);
        }
    }
    return true;
}

/* LLVM 14 refuses an attribute group left with no attribute ("attribute
 * group has no attributes"): it gets a string attribute, which no back end
 * gives meaning to. */
static void empty_group(TcStrBuf *line)
{
    size_t rest;
    const char *p = ltrim(line->data ? line->data : "", line->len, &rest);
    if (!starts_with(p, rest, "attributes #")) return;
    const char *open = memchr(p, '{', rest);
    if (!open) return;
    const char *q = open + 1;
    while (q < p + rest && (*q == ' ' || *q == '\t')) q++;
    if (q >= p + rest || *q != '}') return;
    TcStrBuf fixed;
    tc_sb_init(&fixed);
    tc_sb_putn(&fixed, line->data, (size_t)(open + 1 - line->data));
    tc_sb_puts(&fixed, " \"tilec.llvm14\" ");
    tc_sb_putn(&fixed, q, (size_t)(line->data + line->len - q));
    tc_sb_free(line);
    *line = fixed;
}

/* ---------------------------------------------------------------- entry */

bool tc_llvm14_downgrade(const char *in, size_t n, TcStrBuf *out, char *why, size_t whylen)
{
    Down d = {.out = out, .why = why, .whylen = whylen};
    if (why && whylen) why[0] = 0;
    TcStrBuf line;
    tc_sb_init(&line);
    size_t i = 0;
    bool ok = true;
    while (ok && i < n) {
        size_t j = i;
        while (j < n && in[j] != '\n') j++;
        d.line_no++;
        size_t rest;
        const char *p = ltrim(in + i, j - i, &rest);
        if (starts_with(p, rest, "#dbg_")) {
            i = j + 1;
            continue;
        }
        tokenize(&d, in + i, j - i);
        tc_sb_clear(&line);
        ok = rewrite_tokens(&d, &line);
        if (ok) empty_group(&line);
        if (ok) {
            bool done;
            ok = intrinsic_line(&d, line.data ? line.data : "", line.len, &done);
            if (ok && !done) {
                tc_sb_putn(out, line.data ? line.data : "", line.len);
                if (j < n) tc_sb_putc(out, '\n');
            }
        }
        i = j + 1;
    }
    tc_sb_free(&line);
    free(d.toks.data);
    return ok && !d.failed;
}
