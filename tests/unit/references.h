/*
 * references.h — independent C implementations of the example kernels,
 * written from each kernel's mathematical definition (the comment that opens
 * examples/NAME.tile), not from its tile code. The end-to-end tests compare
 * the interpreter against them.
 *
 * Invariants: all arrays are dense row-major floats; inputs that the kernel
 * takes in f16 are passed already rounded to f16; accumulation is in double;
 * outputs that the kernel writes in f16 are rounded to f16 (nearest even).
 */
#ifndef TILEC_TEST_REFERENCES_H
#define TILEC_TEST_REFERENCES_H

#include <stdbool.h>

/* c[M, N] = alpha * (a[M, K] @ b[K, N]) */
void ref_gemm(int M, int N, int K, const float *a, const float *b, float alpha, float *c);
/* y[M, N] = f16(relu(a[M, K] @ b[K, N] + bias[N])) */
void ref_gemm_bias_relu(int M, int N, int K, const float *a, const float *b, const float *bias,
                        float *y);
/* o[z, h] = f16(softmax(scale * q[z, h] @ k[z, h]^T) @ v[z, h]) for [Z, H, S, D]
 * tensors; with causal, row i sees only columns j <= i. */
void ref_attention(int Z, int H, int S, int D, const float *q, const float *k, const float *v,
                   float scale, bool causal, float *o);
/* y[i, :] = softmax(x[i, :]) */
void ref_softmax(int M, int N, const float *x, float *y);
/* y[i, :] = (x[i, :] - mean_i) / sqrt(var_i + eps) * w + b, var biased */
void ref_layernorm(int M, int N, const float *x, const float *w, const float *b, float eps, float *y);
/* y[i, :] = x[i, :] / sqrt(mean(x[i, :]^2) + eps) * w, rounded to f16 if round_f16 */
void ref_rmsnorm(int M, int N, const float *x, const float *w, float eps, bool round_f16, float *y);
/* z = x + y */
void ref_vector_add(int N, const float *x, const float *y, float *z);

/* x rounded to f16 (nearest even), back in float. */
float ref_round_f16(float x);

#endif
