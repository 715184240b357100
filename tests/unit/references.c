/*
 * references.c — the reference implementations declared in references.h:
 * plain loops over the mathematical definitions, in double, independent of
 * the tile code, the IR and the interpreter (only the f16 rounding of ir.h is
 * shared, because it defines what an f16 output is).
 */
#include "references.h"

#include <math.h>
#include <stdlib.h>

#include "ir.h"

float ref_round_f16(float x) { return tc_f16_to_f32(tc_f32_to_f16(x)); }

void ref_gemm(int M, int N, int K, const float *a, const float *b, float alpha, float *c)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) s += (double)a[i * K + k] * b[k * N + j];
            c[i * N + j] = (float)(alpha * s);
        }
}

void ref_gemm_bias_relu(int M, int N, int K, const float *a, const float *b, const float *bias,
                        float *y)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = bias[j];
            for (int k = 0; k < K; k++) s += (double)a[i * K + k] * b[k * N + j];
            y[i * N + j] = ref_round_f16((float)(s > 0 ? s : 0));
        }
}

void ref_attention(int Z, int H, int S, int D, const float *q, const float *k, const float *v,
                   float scale, bool causal, float *o)
{
    double *p = malloc((size_t)S * sizeof *p);
    if (!p) abort();
    for (int z = 0; z < Z; z++)
        for (int h = 0; h < H; h++) {
            size_t base = ((size_t)z * H + h) * (size_t)S * D;
            const float *Q = q + base, *Kt = k + base, *Vt = v + base;
            float *O = o + base;
            for (int i = 0; i < S; i++) {
                int ncols = causal ? i + 1 : S;
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < ncols; j++) {
                    double s = 0;
                    for (int d = 0; d < D; d++) s += (double)Q[i * D + d] * Kt[j * D + d];
                    p[j] = scale * s;
                    if (p[j] > mx) mx = p[j];
                }
                for (int j = 0; j < ncols; j++) {
                    p[j] = exp(p[j] - mx);
                    sum += p[j];
                }
                for (int d = 0; d < D; d++) {
                    double acc = 0;
                    for (int j = 0; j < ncols; j++) acc += p[j] * Vt[j * D + d];
                    O[i * D + d] = ref_round_f16((float)(acc / sum));
                }
            }
        }
    free(p);
}

void ref_softmax(int M, int N, const float *x, float *y)
{
    for (int i = 0; i < M; i++) {
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < N; j++) mx = fmax(mx, x[i * N + j]);
        for (int j = 0; j < N; j++) sum += exp(x[i * N + j] - mx);
        for (int j = 0; j < N; j++) y[i * N + j] = (float)(exp(x[i * N + j] - mx) / sum);
    }
}

void ref_layernorm(int M, int N, const float *x, const float *w, const float *b, float eps, float *y)
{
    for (int i = 0; i < M; i++) {
        double mean = 0, var = 0;
        for (int j = 0; j < N; j++) mean += x[i * N + j];
        mean /= N;
        for (int j = 0; j < N; j++) var += (x[i * N + j] - mean) * (x[i * N + j] - mean);
        var /= N;
        double rstd = 1.0 / sqrt(var + eps);
        for (int j = 0; j < N; j++) y[i * N + j] = (float)((x[i * N + j] - mean) * rstd * w[j] + b[j]);
    }
}

void ref_rmsnorm(int M, int N, const float *x, const float *w, float eps, bool round_f16, float *y)
{
    for (int i = 0; i < M; i++) {
        double ms = 0;
        for (int j = 0; j < N; j++) ms += (double)x[i * N + j] * x[i * N + j];
        ms /= N;
        double r = 1.0 / sqrt(ms + eps);
        for (int j = 0; j < N; j++) {
            float v = (float)(x[i * N + j] * r * w[j]);
            y[i * N + j] = round_f16 ? ref_round_f16(v) : v;
        }
    }
}

void ref_vector_add(int N, const float *x, const float *y, float *z)
{
    for (int i = 0; i < N; i++) z[i] = (float)((double)x[i] + y[i]);
}
