/*
 * guarded.h — test support for the end-to-end tests: random inputs and
 * tensors inside poisoned guard borders (guarded.c).
 */
#ifndef TILEC_TEST_GUARDED_H
#define TILEC_TEST_GUARDED_H

#include "ir.h"

/* State of the fixed-seed xorshift generator behind rnd(); tests set it. */
extern uint64_t tc_test_rng_state;

/* A tensor inside a larger buffer: one poisoned element before and after it
 * on every axis (two after the innermost); poison = all bits set (a NaN for
 * f16 and f32). */
typedef struct GBuf {
    TcTensorArg t;
    unsigned char *mem, *snapshot;
    size_t bytes;
    int64_t psizes[TC_MAX_RANK], pstrides[TC_MAX_RANK];
    int64_t numel;
} GBuf;

float rnd(void);
void gbuf_init(GBuf *g, TcDtype dt, uint32_t rank, const int64_t *sizes);
void gbuf_free(GBuf *g);
unsigned char *gbuf_at(const GBuf *g, int64_t flat);
void gbuf_set(GBuf *g, int64_t flat, float v);
float gbuf_get(const GBuf *g, int64_t flat);
float *gbuf_random(GBuf *g, TcDtype dt, uint32_t rank, const int64_t *sizes);
int64_t guard_damage(const GBuf *g);

#endif
