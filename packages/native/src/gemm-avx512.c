#include "gemm.h"
static void naive(int m, int n, int k, const float *a, long lda, int ta, const float *b, long ldb, int tb, float *c, long ldc) {
  for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) { float s = 0;
    for (int p = 0; p < k; p++) s += (ta ? a[p*lda+i] : a[i*lda+p]) * (tb ? b[j*ldb+p] : b[p*ldb+j]);
    c[i*ldc+j] = s; }
}
void metarl_gemm_avx512(int m, int n, int k, const float *a, long lda, int ta, const float *b, long ldb, int tb, float *c, long ldc) { naive(m,n,k,a,lda,ta,b,ldb,tb,c,ldc); }
void metarl_gemm_avx2(int m, int n, int k, const float *a, long lda, int ta, const float *b, long ldb, int tb, float *c, long ldc) { naive(m,n,k,a,lda,ta,b,ldb,tb,c,ldc); }
void metarl_gemm_portable(int m, int n, int k, const float *a, long lda, int ta, const float *b, long ldb, int tb, float *c, long ldc) { naive(m,n,k,a,lda,ta,b,ldb,tb,c,ldc); }
