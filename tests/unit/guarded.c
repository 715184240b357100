/*
 * guarded.c — test support shared by the end-to-end tests (test_interp.c,
 * test_cpu.c): a fixed-seed generator of inputs in [-1, 1] and tensors held
 * inside poisoned guard borders, so a kernel that reads or writes outside its
 * tensors is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "guarded.h"

uint64_t tc_test_rng_state = 1;

/* Fixed-seed xorshift generator for inputs in [-1, 1]. */
float rnd(void)
{
    tc_test_rng_state ^= tc_test_rng_state << 13;
    tc_test_rng_state ^= tc_test_rng_state >> 7;
    tc_test_rng_state ^= tc_test_rng_state << 17;
    return (float)((double)(tc_test_rng_state >> 11) * 0x1p-53 * 2.0 - 1.0);
}

void gbuf_init(GBuf *g, TcDtype dt, uint32_t rank, const int64_t *sizes)
{
    memset(g, 0, sizeof *g);
    int64_t total = 1;
    g->numel = 1;
    for (uint32_t d = rank; d-- > 0;) {
        g->psizes[d] = sizes[d] + (d == rank - 1 ? 3 : 2);
        g->pstrides[d] = total;
        total *= g->psizes[d];
        g->numel *= sizes[d];
    }
    unsigned eb = tc_dtype_bytes(dt);
    g->bytes = (size_t)total * eb;
    g->mem = malloc(g->bytes);
    assert_non_null(g->mem);
    memset(g->mem, 0xFF, g->bytes);
    int64_t off = 0;
    for (uint32_t d = 0; d < rank; d++) off += g->pstrides[d];
    g->t.data = g->mem + off * eb;
    g->t.dtype = dt;
    g->t.rank = rank;
    for (uint32_t d = 0; d < rank; d++) {
        g->t.sizes[d] = sizes[d];
        g->t.strides[d] = g->pstrides[d];
    }
}

void gbuf_free(GBuf *g)
{
    free(g->mem);
    free(g->snapshot);
}

unsigned char *gbuf_at(const GBuf *g, int64_t flat)
{
    int64_t off = 0;
    for (uint32_t d = g->t.rank; d-- > 0;) {
        off += (flat % g->t.sizes[d]) * g->t.strides[d];
        flat /= g->t.sizes[d];
    }
    return (unsigned char *)g->t.data + off * (int64_t)tc_dtype_bytes(g->t.dtype);
}

void gbuf_set(GBuf *g, int64_t flat, float v)
{
    unsigned char *p = gbuf_at(g, flat);
    if (g->t.dtype == TC_F16) {
        uint16_t h = tc_f32_to_f16(v);
        memcpy(p, &h, 2);
    } else {
        memcpy(p, &v, 4);
    }
}

float gbuf_get(const GBuf *g, int64_t flat)
{
    const unsigned char *p = gbuf_at(g, flat);
    if (g->t.dtype == TC_F16) {
        uint16_t h;
        memcpy(&h, p, 2);
        return tc_f16_to_f32(h);
    }
    float v;
    memcpy(&v, p, 4);
    return v;
}

/* Random input in [-1, 1] (rounded to f16 for f16 tensors); returns the dense
 * logical values and remembers the buffer to check it is left unchanged. */
float *gbuf_random(GBuf *g, TcDtype dt, uint32_t rank, const int64_t *sizes)
{
    gbuf_init(g, dt, rank, sizes);
    float *dense = malloc((size_t)(g->numel ? g->numel : 1) * sizeof *dense);
    assert_non_null(dense);
    for (int64_t i = 0; i < g->numel; i++) {
        gbuf_set(g, i, rnd());
        dense[i] = gbuf_get(g, i);
    }
    g->snapshot = malloc(g->bytes);
    assert_non_null(g->snapshot);
    memcpy(g->snapshot, g->mem, g->bytes);
    return dense;
}

/* Counts elements of the buffer outside the logical tensor that lost their poison. */
int64_t guard_damage(const GBuf *g)
{
    unsigned eb = tc_dtype_bytes(g->t.dtype);
    int64_t bad = 0, total = (int64_t)(g->bytes / eb);
    for (int64_t i = 0; i < total; i++) {
        int64_t rem = i;
        bool inside = true;
        for (uint32_t d = 0; d < g->t.rank; d++) {
            int64_t c = rem / g->pstrides[d] - 1;
            rem %= g->pstrides[d];
            if (c < 0 || c >= g->t.sizes[d]) inside = false;
        }
        if (inside) continue;
        for (unsigned b = 0; b < eb; b++)
            if (g->mem[(size_t)i * eb + b] != 0xFF) {
                bad++;
                break;
            }
    }
    return bad;
}
