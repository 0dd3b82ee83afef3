/*
 * Elementwise loops, compiled once per instruction set: each kernels-<isa>.c sets the target and
 * defines SUFFIX before including this file, and the compiler vectorises the plain loops for that
 * target (the arithmetic is the same float32 arithmetic on every path).
 */
#include "kernels.h"

/* Eigen's float tanh: a [13/6] rational minimax fit on [-7.905, 7.905], clamped outside. */
static void SUFFIX(tanh)(long n, const float *x, float *y) {
  const float bound = 7.905311107635498f;
  for (long i = 0; i < n; i += 1) {
    float v = x[i];
    float c = v < -bound ? -bound : (v > bound ? bound : v); /* NaN compares false: stays NaN */
    float c2 = c * c;
    float p = c2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
    p = p * c2 + -8.60467152213735e-11f;
    p = p * c2 + 5.12229709037114e-08f;
    p = p * c2 + 1.48572235717979e-05f;
    p = p * c2 + 6.37261928875436e-04f;
    p = p * c2 + 4.89352455891786e-03f;
    p = p * c;
    float q = c2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
    q = q * c2 + 2.26843463243900e-03f;
    q = q * c2 + 4.89352518554385e-03f;
    y[i] = p / q;
  }
}

#define METARL_BINARY_LOOPS(expression)                                                          \
  if (a_stride == 1 && b_stride == 1) {                                                          \
    for (long i = 0; i < n; i += 1) {                                                            \
      float x = a[i], z = b[i];                                                                  \
      out[i] = expression;                                                                       \
    }                                                                                            \
  } else if (a_stride == 1) {                                                                    \
    const float z = b[0];                                                                        \
    for (long i = 0; i < n; i += 1) {                                                            \
      float x = a[i];                                                                            \
      out[i] = expression;                                                                       \
    }                                                                                            \
  } else if (b_stride == 1) {                                                                    \
    const float x = a[0];                                                                        \
    for (long i = 0; i < n; i += 1) {                                                            \
      float z = b[i];                                                                            \
      out[i] = expression;                                                                       \
    }                                                                                            \
  } else {                                                                                       \
    const float x = a[0], z = b[0];                                                              \
    const float value = expression;                                                              \
    for (long i = 0; i < n; i += 1) out[i] = value;                                              \
  }

static void SUFFIX(binary)(int op, long n, const float *restrict a, long a_stride,
                           const float *restrict b, long b_stride, float *restrict out) {
  switch (op) {
    case METARL_ADD: METARL_BINARY_LOOPS(x + z) break;
    case METARL_SUB: METARL_BINARY_LOOPS(x - z) break;
    case METARL_MUL: METARL_BINARY_LOOPS(x * z) break;
    default: METARL_BINARY_LOOPS(x / z) break;
  }
}
#undef METARL_BINARY_LOOPS

static void SUFFIX(accumulate)(long n, const float *restrict x, float *restrict out) {
  for (long i = 0; i < n; i += 1) out[i] += x[i];
}

static float SUFFIX(sum)(long n, const float *restrict x) {
  /* 32 independent partial sums (two vectors' worth on AVX-512), folded pairwise at the end. */
  float partial[32] = {0};
  long i = 0;
  for (; i + 32 <= n; i += 32)
    for (int j = 0; j < 32; j += 1) partial[j] += x[i + j];
  float total = 0;
  for (; i < n; i += 1) total += x[i];
  for (int width = 16; width >= 1; width /= 2)
    for (int j = 0; j < width; j += 1) partial[j] += partial[j + width];
  return partial[0] + total;
}

static void SUFFIX(bias_activation)(int m, int n, float *c, long ldc, const float *bias,
                                    int activation) {
  for (int i = 0; i < m; i += 1) {
    float *restrict row = c + (long)i * ldc;
    if (bias != 0)
      for (int j = 0; j < n; j += 1) row[j] += bias[j];
    if (activation == METARL_TANH) SUFFIX(tanh)(n, row, row);
  }
}

const metarl_kernels SUFFIX(metarl_kernels) = {
    SUFFIX_NAME,        SUFFIX(metarl_gemm),       SUFFIX(tanh),
    SUFFIX(binary),     SUFFIX(accumulate),        SUFFIX(sum),
    SUFFIX(bias_activation),
};
