/*
 * arena.c — bump allocation in chunks, released all at once.
 *
 * Invariant: every block is 16-byte aligned and zeroed. A limit can be set so
 * that runaway inputs cannot exhaust memory; past it, allocations come from a
 * recycled reserve chunk and a->exhausted tells the caller to stop.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

struct TcArenaChunk {
    TcArenaChunk *next;
    size_t size;  /* usable bytes in mem[] */
    size_t used;
    _Alignas(16) unsigned char mem[];
};

enum { TC_ARENA_CHUNK = 64 * 1024, TC_ARENA_RESERVE = 1 << 20 };

void tc_arena_init(TcArena *a) { memset(a, 0, sizeof *a); }

void tc_arena_free(TcArena *a)
{
    TcArenaChunk *c = a->head;
    while (c) {
        TcArenaChunk *n = c->next;
        free(c);
        c = n;
    }
    memset(a, 0, sizeof *a);
}

static TcArenaChunk *new_chunk(size_t size)
{
    TcArenaChunk *c = malloc(sizeof *c + size);
    if (!c) TC_ICE("out of host memory (%zu bytes)", size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void *tc_arena_alloc(TcArena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0) size = 16;
    if (a->limit && a->used + size > a->limit) {
        /* Over the limit: hand out scratch memory from one reused chunk so
         * callers keep working until they check a->exhausted. */
        a->exhausted = true;
        static _Thread_local unsigned char *reserve;
        static _Thread_local size_t reserve_size;
        if (size > reserve_size) {
            free(reserve);
            reserve_size = size > TC_ARENA_RESERVE ? size : TC_ARENA_RESERVE;
            reserve = malloc(reserve_size);
            if (!reserve) TC_ICE("out of host memory");
        }
        memset(reserve, 0, size);
        return reserve;
    }
    TcArenaChunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t csize = size > TC_ARENA_CHUNK / 4 ? size : TC_ARENA_CHUNK;
        TcArenaChunk *n = new_chunk(csize);
        if (csize == size && c) {
            /* Large block: keep the current chunk as head for small ones. */
            n->next = c->next;
            c->next = n;
            n->used = size;
            a->used += size;
            memset(n->mem, 0, size);
            return n->mem;
        }
        n->next = c;
        a->head = c = n;
    }
    void *p = c->mem + c->used;
    c->used += size;
    a->used += size;
    memset(p, 0, size);
    return p;
}

void *tc_arena_memdup(TcArena *a, const void *p, size_t size)
{
    void *q = tc_arena_alloc(a, size);
    if (size) memcpy(q, p, size);
    return q;
}

char *tc_arena_strndup(TcArena *a, const char *s, size_t n)
{
    char *p = tc_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *tc_arena_strdup(TcArena *a, const char *s) { return tc_arena_strndup(a, s, strlen(s)); }

char *tc_arena_printf(TcArena *a, const char *fmt, ...)
{
    TcStrBuf sb;
    tc_sb_init(&sb);
    va_list ap;
    va_start(ap, fmt);
    tc_sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    char *r = tc_arena_strndup(a, sb.data ? sb.data : "", sb.len);
    tc_sb_free(&sb);
    return r;
}

void tc_vec_grow(TcArena *a, void **data, uint32_t *cap, size_t elem)
{
    uint32_t ncap = *cap ? *cap * 2 : 4;
    if (ncap < *cap) TC_ICE("vector too large");
    void *n = tc_arena_alloc(a, (size_t)ncap * elem);
    if (*cap) memcpy(n, *data, (size_t)*cap * elem);
    *data = n;
    *cap = ncap;
}
