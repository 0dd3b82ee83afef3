/*
 * Single-precision matrix products for the native backend of @metarl/native.
 *
 * All three functions compute the same thing; they differ only in the instruction set they use.
 * The caller picks one at load time from cpuid (metarl_gemm_avx512 needs AVX-512 F/BW/DQ/VL,
 * metarl_gemm_avx2 needs AVX2 and FMA, metarl_gemm_portable runs anywhere). On non-x86 targets
 * the two x86 symbols exist and forward to metarl_gemm_portable, so one source list builds everywhere.
 *
 * Layout (row-major, leading dimensions in floats):
 *   op(A) is m x k: A itself (row i at a + i*lda) or, with transpose_a, A^T where A is stored
 *         k x m (row p at a + p*lda).
 *   op(B) is k x n: B itself (row p at b + p*ldb) or, with transpose_b, B^T where B is stored
 *         n x k (row j at b + j*ldb).
 *   C is m x n, row i at c + i*ldc. C must not overlap A or B.
 * Only the m x n block of C is written; elements between n and ldc are left untouched.
 * Accumulation is in float (per block of k, then added into C); NaN and Inf propagate as in a plain
 * loop (zero operands are not skipped).
 *
 * Reentrant: concurrent calls from different threads are safe as long as their C blocks are
 * disjoint (for example each thread taking a row range of C, offsetting a by rows of A, or by
 * columns of A when transpose_a is set). Packing buffers are thread-local and grow on demand;
 * a thread keeps them until it calls the matching metarl_gemm_*_free_thread_buffers (C11 offers no
 * portable thread-exit hook, so a thread that ends without calling it leaks them).
 */
#ifndef METARL_NATIVE_GEMM_H
#define METARL_NATIVE_GEMM_H

#ifdef __cplusplus
extern "C" {
#endif

/* C[m x n] = op(A)[m x k] * op(B)[k x n], overwriting C (beta = 0), with AVX-512 (F/BW/DQ/VL) and FMA.
   k == 0 gives C = 0; m or n == 0 (or negative) does nothing. */
void metarl_gemm_avx512(int m, int n, int k, const float *a, long lda, int transpose_a,
                        const float *b, long ldb, int transpose_b, float *c, long ldc);

/* Same product as metarl_gemm_avx512, with AVX2 and FMA. */
void metarl_gemm_avx2(int m, int n, int k, const float *a, long lda, int transpose_a,
                      const float *b, long ldb, int transpose_b, float *c, long ldc);

/* Same product as metarl_gemm_avx512, in plain C11 for any CPU and compiler. */
void metarl_gemm_portable(int m, int n, int k, const float *a, long lda, int transpose_a,
                          const float *b, long ldb, int transpose_b, float *c, long ldc);

/* Free the calling thread's packing buffers of the matching function (a no-op when it has none). */
void metarl_gemm_avx512_free_thread_buffers(void);
void metarl_gemm_avx2_free_thread_buffers(void);
void metarl_gemm_portable_free_thread_buffers(void);

#ifdef __cplusplus
}
#endif

#endif /* METARL_NATIVE_GEMM_H */
