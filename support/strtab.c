/*
 * strtab.c — string interning and hashing.
 * Invariant: the table is at most half full, so probing always terminates.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

uint64_t tc_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    /* FNV-1a, 64-bit. */
    uint64_t h = 1469598103934665603ull ^ seed;
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

uint64_t tc_hash_combine(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

void tc_strtab_init(TcStrTab *t, TcArena *a)
{
    memset(t, 0, sizeof *t);
    t->arena = a;
}

void tc_strtab_free(TcStrTab *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->len = 0;
}

static void rehash(TcStrTab *t)
{
    uint32_t ncap = t->cap ? t->cap * 2 : 256;
    const char **ns = calloc(ncap, sizeof *ns);
    if (!ns) TC_ICE("out of host memory");
    for (uint32_t i = 0; i < t->cap; i++) {
        const char *s = t->slots[i];
        if (!s) continue;
        uint32_t j = (uint32_t)tc_hash_bytes(s, strlen(s), 0) & (ncap - 1);
        while (ns[j]) j = (j + 1) & (ncap - 1);
        ns[j] = s;
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
}

const char *tc_intern(TcStrTab *t, const char *s, size_t n)
{
    if ((t->len + 1) * 2 > t->cap) rehash(t);
    uint32_t j = (uint32_t)tc_hash_bytes(s, n, 0) & (t->cap - 1);
    while (t->slots[j]) {
        const char *e = t->slots[j];
        if (strncmp(e, s, n) == 0 && e[n] == 0) return e;
        j = (j + 1) & (t->cap - 1);
    }
    const char *c = tc_arena_strndup(t->arena, s, n);
    t->slots[j] = c;
    t->len++;
    return c;
}
