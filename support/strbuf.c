/*
 * strbuf.c — growable heap strings for output, JSON string quoting and
 * shortest round-trip formatting of doubles.
 */
#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void tc_sb_init(TcStrBuf *sb) { memset(sb, 0, sizeof *sb); }

void tc_sb_free(TcStrBuf *sb)
{
    free(sb->data);
    memset(sb, 0, sizeof *sb);
}

void tc_sb_clear(TcStrBuf *sb)
{
    sb->len = 0;
    if (sb->data) sb->data[0] = 0;
}

static void reserve(TcStrBuf *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->cap) return;
    size_t ncap = sb->cap ? sb->cap : 64;
    while (ncap < sb->len + extra + 1) ncap *= 2;
    char *n = realloc(sb->data, ncap);
    if (!n) TC_ICE("out of host memory");
    sb->data = n;
    sb->cap = ncap;
}

void tc_sb_putn(TcStrBuf *sb, const char *s, size_t n)
{
    reserve(sb, n);
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = 0;
}

void tc_sb_putc(TcStrBuf *sb, char c) { tc_sb_putn(sb, &c, 1); }
void tc_sb_puts(TcStrBuf *sb, const char *s) { tc_sb_putn(sb, s, strlen(s)); }

void tc_sb_vprintf(TcStrBuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return;
    reserve(sb, (size_t)n);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void tc_sb_printf(TcStrBuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tc_sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

void tc_sb_json_string(TcStrBuf *sb, const char *s)
{
    tc_sb_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': tc_sb_puts(sb, "\\\""); break;
        case '\\': tc_sb_puts(sb, "\\\\"); break;
        case '\n': tc_sb_puts(sb, "\\n"); break;
        case '\t': tc_sb_puts(sb, "\\t"); break;
        case '\r': tc_sb_puts(sb, "\\r"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) tc_sb_printf(sb, "\\u%04x", *p);
            else tc_sb_putc(sb, (char)*p);
        }
    }
    tc_sb_putc(sb, '"');
}

void tc_sb_double(TcStrBuf *sb, double v)
{
    if (isnan(v)) { tc_sb_puts(sb, "nan"); return; }
    if (isinf(v)) { tc_sb_puts(sb, v < 0 ? "-inf" : "inf"); return; }
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    tc_sb_puts(sb, buf);
    if (!strpbrk(buf, ".e")) tc_sb_puts(sb, ".0");
}
