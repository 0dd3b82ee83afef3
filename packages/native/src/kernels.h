/*
 * The kernels of @metarl/native, one table per instruction set. Every kernel works on float32
 * (or, for copies, any 4-byte element) in memory the caller has bounds-checked; the Node-API
 * layer (addon.c) checks every operand against the wasm heap before it calls one.
 */
#ifndef METARL_KERNELS_H
#define METARL_KERNELS_H

#include "gemm.h"

/* Elementwise binary operations, the codes the JavaScript side passes. */
enum metarl_binary_op { METARL_ADD = 0, METARL_SUB = 1, METARL_MUL = 2, METARL_DIV = 3 };

/* The inner loops that are compiled once per instruction set. */
typedef struct metarl_kernels {
  /* The instruction set's name: "avx512", "avx2" or "portable". */
  const char *isa;
  /* C = op(A) op(B), see gemm.h. */
  void (*gemm)(int m, int n, int k, const float *a, long lda, int transpose_a, const float *b,
               long ldb, int transpose_b, float *c, long ldc);
  /* y[i] = tanh(x[i]) for i < n (Eigen's float rational approximation, 2.4e-7 relative). */
  void (*tanh)(long n, const float *x, float *y);
  /* out[i] = a[i * a_stride] op b[i * b_stride] for i < n; strides are 0 or 1. */
  void (*binary)(int op, long n, const float *a, long a_stride, const float *b, long b_stride,
                 float *out);
  /* out[i] += x[i] for i < n. */
  void (*accumulate)(long n, const float *x, float *out);
  /* The sum of x[0..n). */
  float (*sum)(long n, const float *x);
  /* row[j] = tanh(row[j] + bias[j]) or row[j] + bias[j] for the m rows of an m x n block (ldc apart). */
  void (*bias_activation)(int m, int n, float *c, long ldc, const float *bias, int activation);
} metarl_kernels;

extern const metarl_kernels metarl_kernels_portable;
extern const metarl_kernels metarl_kernels_avx2;
extern const metarl_kernels metarl_kernels_avx512;

/* Activations of the fused product epilogue. */
enum metarl_activation { METARL_LINEAR = 0, METARL_TANH = 1 };

#endif
