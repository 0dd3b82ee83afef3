/* placeholder until the kernels land */
#ifndef METARL_GEMM_H
#define METARL_GEMM_H
void metarl_gemm_avx512(int m, int n, int k, const float *a, long lda, int transpose_a,
                        const float *b, long ldb, int transpose_b, float *c, long ldc);
void metarl_gemm_avx2(int m, int n, int k, const float *a, long lda, int transpose_a,
                      const float *b, long ldb, int transpose_b, float *c, long ldc);
void metarl_gemm_portable(int m, int n, int k, const float *a, long lda, int transpose_a,
                          const float *b, long ldb, int transpose_b, float *c, long ldc);
#endif
