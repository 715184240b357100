/*
 * npy.c — NumPy .npy files: a magic string, a version, a Python-dict header
 * ('descr', 'fortran_order', 'shape'), then the raw array.
 * Invariant: a file is read completely or rejected with a message; sizes are
 * checked against the file length before anything is allocated.
 */
#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *descr; TcDtype dt; } descrs[] = {
    {"|b1", TC_BOOL}, {"|i1", TC_I8}, {"<i2", TC_I16}, {"<i4", TC_I32}, {"<i8", TC_I64},
    {"|u1", TC_U8}, {"<u2", TC_U16}, {"<u4", TC_U32}, {"<u8", TC_U64},
    {"<f2", TC_F16}, {"<f4", TC_F32}, {"<f8", TC_F64},
};

static bool fail(char *err, size_t n, const char *fmt, const char *a)
{
    snprintf(err, n, fmt, a);
    return false;
}

bool tc_npy_read(const char *path, TcNpy *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return fail(err, errlen, "cannot open '%s'", path);
    unsigned char pre[12];
    bool ok = false;
    char *hdr = NULL;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        fail(err, errlen, "'%s' is not a .npy file", path);
        goto done;
    }
    uint32_t hlen;
    if (pre[6] == 1) {
        hlen = pre[8] | (uint32_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) goto trunc;
        hlen = pre[8] | (uint32_t)pre[9] << 8 | (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
    } else {
        fail(err, errlen, "'%s': unsupported .npy version", path);
        goto done;
    }
    if (hlen > (1u << 20)) goto bad;
    hdr = malloc(hlen + 1);
    if (!hdr || fread(hdr, 1, hlen, f) != hlen) goto trunc;
    hdr[hlen] = 0;
    const char *d = strstr(hdr, "'descr'"), *fo = strstr(hdr, "'fortran_order'"), *sh = strstr(hdr, "'shape'");
    if (!d || !fo || !sh) goto bad;
    d = strchr(d + 7, '\'');
    if (!d) goto bad;
    bool found = false;
    for (size_t i = 0; i < TC_ARRAY_LEN(descrs); i++) {
        size_t n = strlen(descrs[i].descr);
        if (strncmp(d + 1, descrs[i].descr, n) == 0 && d[1 + n] == '\'') {
            out->dtype = descrs[i].dt;
            found = true;
        }
        /* single-byte types may also be written with '<' or '=' */
        if (!found && descrs[i].descr[0] == '|' && (d[1] == '<' || d[1] == '=') &&
            strncmp(d + 2, descrs[i].descr + 1, n - 1) == 0 && d[1 + n] == '\'') {
            out->dtype = descrs[i].dt;
            found = true;
        }
    }
    if (!found) {
        fail(err, errlen, "'%s': unsupported dtype (tilec reads bool, i8..i64, u8..u64, f2, f4, f8, little-endian)", path);
        goto done;
    }
    const char *fv = strchr(fo, ':');
    if (!fv) goto bad;
    while (*++fv == ' ') {}
    if (strncmp(fv, "False", 5) != 0) {
        fail(err, errlen, "'%s' is in Fortran order; tilec reads C-order arrays", path);
        goto done;
    }
    const char *p = strchr(sh, '(');
    if (!p) goto bad;
    p++;
    out->numel = 1;
    while (1) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || out->rank >= TC_MAX_RANK) goto bad;
        out->shape[out->rank++] = v;
        if (v && out->numel > INT64_MAX / v) goto bad;
        out->numel *= v;
        p = end;
    }
    size_t esz = tc_dtype_bytes(out->dtype);
    long here = ftell(f);
    if (fseek(f, 0, SEEK_END) != 0) goto trunc;
    long total = ftell(f);
    if (here < 0 || total < here || (uint64_t)(total - here) < (uint64_t)out->numel * esz) goto trunc;
    fseek(f, here, SEEK_SET);
    out->data = malloc(out->numel ? (size_t)out->numel * esz : 1);
    if (!out->data) {
        fail(err, errlen, "'%s': out of memory", path);
        goto done;
    }
    if (fread(out->data, esz, (size_t)out->numel, f) != (size_t)out->numel) goto trunc;
    ok = true;
    goto done;
trunc:
    fail(err, errlen, "'%s' is truncated", path);
    goto done;
bad:
    fail(err, errlen, "'%s' has a malformed header", path);
done:
    if (!ok) {
        free(out->data);
        out->data = NULL;
    }
    free(hdr);
    fclose(f);
    return ok;
}

bool tc_npy_write(const char *path, TcDtype dt, uint32_t rank, const int64_t *shape, const void *data, char *err,
                  size_t errlen)
{
    const char *descr = NULL;
    for (size_t i = 0; i < TC_ARRAY_LEN(descrs); i++)
        if (descrs[i].dt == dt) descr = descrs[i].descr;
    if (dt == TC_BF16) descr = "<f4";
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    int64_t numel = 1;
    for (uint32_t i = 0; i < rank; i++) {
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld,%s", (long long)shape[i], i + 1 < rank ? " " : "");
        numel *= shape[i];
    }
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    /* pad with spaces so the data starts at a multiple of 64, newline last */
    int total = 10 + n + 1;
    int pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) return fail(err, errlen, "cannot open '%s' for writing", path);
    unsigned hlen = (unsigned)(n + pad + 1);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)n, f) == (size_t)n;
    for (int i = 0; ok && i < pad; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    if (dt == TC_BF16) {
        for (int64_t i = 0; ok && i < numel; i++) {
            float v = tc_bf16_to_f32(((const uint16_t *)data)[i]);
            ok = fwrite(&v, 4, 1, f) == 1;
        }
    } else if (ok) {
        size_t esz = tc_dtype_bytes(dt);
        ok = fwrite(data, esz, (size_t)numel, f) == (size_t)numel;
    }
    ok = (fclose(f) == 0) && ok;
    if (!ok) return fail(err, errlen, "cannot write '%s'", path);
    return true;
}
