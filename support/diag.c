/*
 * diag.c — recording and rendering diagnostics.
 *
 * Text form:   file:line:col: error: message [E4001]
 *                 <source line>
 *                 ^~~~~~
 * JSON form:   one object per line with code, severity, file, line, col,
 *              end_line, end_col, message, notes (and needed/limit for
 *              resource errors).
 * Invariant: rendering never reads outside the recorded source text, even
 * for spans that point past its end.
 */
#include "support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_str[] = {
#define TC_DIAG(id, code, summary) code,
#include "diag_codes.def"
#undef TC_DIAG
};
static const char *const code_summary[] = {
#define TC_DIAG(id, code, summary) summary,
#include "diag_codes.def"
#undef TC_DIAG
};

const char *tc_diag_code_str(TcDiagCode c)
{
    return (unsigned)c < TC_DIAG_COUNT ? code_str[c] : "E????";
}

const char *tc_diag_code_summary(TcDiagCode c)
{
    return (unsigned)c < TC_DIAG_COUNT ? code_summary[c] : "unknown";
}

TcSpan tc_span_join(TcSpan a, TcSpan b)
{
    if (!a.line) return b;
    if (!b.line) return a;
    TcSpan r = a;
    if (b.end_line > a.end_line || (b.end_line == a.end_line && b.end_col > a.end_col)) {
        r.end_line = b.end_line;
        r.end_col = b.end_col;
    }
    return r;
}

void tc_diag_init(TcDiagEngine *de, TcArena *a)
{
    memset(de, 0, sizeof *de);
    de->arena = a;
    de->max_errors = 50;
    TcSource none = {"", "", 0};
    TC_VEC_PUSH(a, de->files, none);
}

uint32_t tc_diag_add_file(TcDiagEngine *de, TcSource src)
{
    TC_VEC_PUSH(de->arena, de->files, src);
    return de->files.len - 1;
}

const TcSource *tc_diag_file(const TcDiagEngine *de, uint32_t id)
{
    return id < de->files.len ? &de->files.data[id] : &de->files.data[0];
}

TcDiag *tc_diag_vreport(TcDiagEngine *de, TcSeverity sev, TcDiagCode code,
                        TcSpan span, const char *fmt, va_list ap)
{
    if (sev == TC_SEV_ERROR) {
        if (de->nerrors >= de->max_errors) {
            de->too_many = true;
            return NULL;
        }
        de->nerrors++;
    } else if (sev == TC_SEV_WARNING) {
        de->nwarnings++;
    }
    TcDiag *d = tc_arena_alloc(de->arena, sizeof *d);
    d->code = code;
    d->sev = sev;
    d->span = span;
    TcStrBuf sb;
    tc_sb_init(&sb);
    tc_sb_vprintf(&sb, fmt, ap);
    d->msg = tc_arena_strndup(de->arena, sb.data ? sb.data : "", sb.len);
    tc_sb_free(&sb);
    TC_VEC_PUSH(de->arena, de->diags, d);
    return d;
}

TcDiag *tc_diag_report(TcDiagEngine *de, TcSeverity sev, TcDiagCode code,
                       TcSpan span, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    TcDiag *d = tc_diag_vreport(de, sev, code, span, fmt, ap);
    va_end(ap);
    return d;
}

void tc_diag_note(TcDiagEngine *de, TcDiag *d, TcSpan span, const char *fmt, ...)
{
    if (!d) return;
    TcStrBuf sb;
    tc_sb_init(&sb);
    va_list ap;
    va_start(ap, fmt);
    tc_sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    TcDiagNote n = {span, tc_arena_strndup(de->arena, sb.data ? sb.data : "", sb.len)};
    tc_sb_free(&sb);
    TC_VEC_PUSH(de->arena, d->notes, n);
}

void tc_diag_amounts(TcDiag *d, int64_t needed, int64_t limit)
{
    if (!d) return;
    d->has_amounts = true;
    d->needed = needed;
    d->limit = limit;
}

static const char *sev_name(TcSeverity s)
{
    return s == TC_SEV_ERROR ? "error" : s == TC_SEV_WARNING ? "warning" : "note";
}

/* Finds line `line` (1-based) of src; returns its start and length. */
static bool find_line(const TcSource *src, uint32_t line, const char **start, size_t *len)
{
    if (!src->text || line == 0) return false;
    const char *p = src->text, *end = src->text + src->len;
    for (uint32_t l = 1; l < line; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return false;
        p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (n && p[n - 1] == '\r') n--;
    *start = p;
    *len = n;
    return true;
}

static void render_snippet(const TcDiagEngine *de, TcSpan sp, TcStrBuf *out)
{
    const char *ls;
    size_t ll;
    if (!sp.file || !find_line(tc_diag_file(de, sp.file), sp.line, &ls, &ll)) return;
    if (ll > 400) ll = 400; /* keep pathological lines readable */
    tc_sb_puts(out, "  ");
    for (size_t i = 0; i < ll; i++) {
        unsigned char c = (unsigned char)ls[i];
        tc_sb_putc(out, (c < 0x20 && c != '\t') || c == 0x7f ? ' ' : (char)c);
    }
    tc_sb_puts(out, "\n  ");
    size_t col = sp.col ? sp.col - 1 : 0;
    for (size_t i = 0; i < col && i < ll; i++) tc_sb_putc(out, ls[i] == '\t' ? '\t' : ' ');
    if (col > ll) col = ll;
    tc_sb_putc(out, '^');
    size_t last = sp.end_line == sp.line && sp.end_col >= sp.col ? sp.end_col : ll;
    for (size_t i = col + 1; i < last && i < ll; i++) tc_sb_putc(out, '~');
    tc_sb_putc(out, '\n');
}

static void render_loc(const TcDiagEngine *de, TcSpan sp, TcStrBuf *out)
{
    const TcSource *src = tc_diag_file(de, sp.file);
    if (sp.file && sp.line) tc_sb_printf(out, "%s:%u:%u: ", src->name, sp.line, sp.col);
    else if (sp.file) tc_sb_printf(out, "%s: ", src->name);
    else tc_sb_puts(out, "tilec: ");
}

static void json_loc(const TcDiagEngine *de, TcSpan sp, TcStrBuf *out)
{
    tc_sb_puts(out, "\"file\":");
    tc_sb_json_string(out, sp.file ? tc_diag_file(de, sp.file)->name : "");
    tc_sb_printf(out, ",\"line\":%u,\"col\":%u,\"end_line\":%u,\"end_col\":%u",
                 sp.line, sp.col, sp.end_line, sp.end_col);
}

static void render_one(const TcDiagEngine *de, const TcDiag *d, TcDiagFormat fmt, TcStrBuf *out)
{
    if (fmt == TC_DIAG_JSON) {
        tc_sb_printf(out, "{\"code\":\"%s\",\"severity\":\"%s\",",
                     tc_diag_code_str(d->code), sev_name(d->sev));
        json_loc(de, d->span, out);
        tc_sb_puts(out, ",\"message\":");
        tc_sb_json_string(out, d->msg);
        if (d->has_amounts)
            tc_sb_printf(out, ",\"needed\":%lld,\"limit\":%lld",
                         (long long)d->needed, (long long)d->limit);
        tc_sb_puts(out, ",\"notes\":[");
        for (uint32_t i = 0; i < d->notes.len; i++) {
            if (i) tc_sb_putc(out, ',');
            tc_sb_putc(out, '{');
            json_loc(de, d->notes.data[i].span, out);
            tc_sb_puts(out, ",\"message\":");
            tc_sb_json_string(out, d->notes.data[i].msg);
            tc_sb_putc(out, '}');
        }
        tc_sb_puts(out, "]}\n");
        return;
    }
    render_loc(de, d->span, out);
    tc_sb_printf(out, "%s: %s [%s]\n", sev_name(d->sev), d->msg, tc_diag_code_str(d->code));
    render_snippet(de, d->span, out);
    for (uint32_t i = 0; i < d->notes.len; i++) {
        const TcDiagNote *n = &d->notes.data[i];
        render_loc(de, n->span, out);
        tc_sb_printf(out, "note: %s\n", n->msg);
        render_snippet(de, n->span, out);
    }
}

void tc_diag_render(TcDiagEngine *de, TcDiagFormat fmt, TcStrBuf *out)
{
    for (; de->rendered < de->diags.len; de->rendered++)
        render_one(de, de->diags.data[de->rendered], fmt, out);
    if (de->too_many) {
        TcDiag d = {0};
        d.code = TC_E_TOO_MANY_ERRORS;
        d.sev = TC_SEV_ERROR;
        char msg[96];
        snprintf(msg, sizeof msg, "too many errors (more than %u); stopping", de->max_errors);
        d.msg = msg;
        render_one(de, &d, fmt, out);
        de->too_many = false;
    }
}

void tc_internal_error(const char *file, int line, const char *fmt, ...)
{
    fprintf(stderr, "tilec: internal compiler error [E9001] at %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nthis is a bug in tilec, not in your kernel; please report it\n");
    abort();
}

bool tc_read_file(TcArena *a, const char *path, size_t max_bytes, TcSource *out, const char **err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        *err = tc_arena_printf(a, "cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    TcStrBuf sb;
    tc_sb_init(&sb);
    char buf[65536];
    size_t n;
    bool ok = true;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (sb.len + n > max_bytes) {
            *err = tc_arena_printf(a, "'%s' is larger than the limit of %zu bytes",
                                   is_stdin ? "<stdin>" : path, max_bytes);
            ok = false;
            break;
        }
        tc_sb_putn(&sb, buf, n);
    }
    if (ok && ferror(f)) {
        *err = tc_arena_printf(a, "cannot read '%s'", path);
        ok = false;
    }
    if (!is_stdin) fclose(f);
    if (ok) {
        out->name = is_stdin ? "<stdin>" : tc_arena_strdup(a, path);
        out->text = tc_arena_strndup(a, sb.data ? sb.data : "", sb.len);
        out->len = sb.len;
    }
    tc_sb_free(&sb);
    return ok;
}
