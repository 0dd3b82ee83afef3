/*
 * metarl_gemm_avx512: single-precision matrix product with AVX-512 (see gemm.h for the contract).
 *
 * Goto/BLIS-style blocking (Goto and van de Geijn, "Anatomy of high-performance matrix
 * multiplication", ACM TOMS 2008; Van Zee and van de Geijn, "BLIS", ACM TOMS 2015):
 *   for each block of KC_BLOCK values of k: pack op(B) into NR-wide column panels,
 *   for each block of MC_BLOCK rows: pack op(A) into MR-tall row panels,
 *   then a 6 x 64 register tile (24 zmm accumulators) per micro-panel pair.
 * Packing reads A and B in either orientation, so no transpose is ever materialised. Panels are
 * zero-padded to whole tiles; partial tiles go through a small stack tile. The first k-block
 * overwrites C, later ones add into it. Products with at most 4 columns and an untransposed A
 * dot each row of A with the columns of op(B) (no packing of A); other products with few columns
 * are computed as C^T = op(B)^T op(A)^T into a scratch matrix (fewer padded lanes); tiny ones by a
 * direct loop. The blocking, packing and dispatch are in gemm-driver.h; this file holds the
 * AVX-512 kernels.
 *
 * Compiled without -m flags: the instruction set is enabled for this file only, so the binary
 * still loads on any x86-64; the caller selects this function only when cpuid reports AVX-512.
 */
#include "gemm.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h> /* must precede the target pragma */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma,avx2"))), \
                             apply_to = function)
#elif defined(__GNUC__)
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma,avx2")
#endif

enum {
    MR = 6,          /* rows of the register tile */
    NR = 64,         /* columns of the register tile (4 zmm) */
    KC_BLOCK = 256,  /* depth of one packed block */
    MC_BLOCK = 96,   /* rows of op(A) packed at once (multiple of MR) */
    NC_BLOCK = 1024, /* columns of op(B) packed at once (multiple of NR) */
    DIRECT_MAX_WORK = 4096, /* m*n*k at or below which the direct loop is used */
    FEW_COLUMNS = 4, /* n at or below which rows of A are dotted with columns of op(B) */
    FEW_COLUMNS_DEPTH_STEP = 16 /* k is padded to whole zmm for that path */
};

/* Row i of C for an untransposed B, as a sum of rows of B (row p scaled by a_row_start[p*a_depth]):
   contiguous in j, 64 columns (4 independent sums) at a time. */
static void multiply_row_directly(int n, int k, const float *a_row_start, ptrdiff_t a_depth, const float *b,
                                  long ldb, float *c_row)
{
    for (int j0 = 0; j0 < n; j0 += 64) {
        const int width = n - j0 < 64 ? n - j0 : 64;
        const __mmask16 lanes0 = (__mmask16)(width >= 16 ? 0xFFFF : (1u << width) - 1u);
        const __mmask16 lanes1 = (__mmask16)(width >= 32 ? 0xFFFF : width <= 16 ? 0 : (1u << (width - 16)) - 1u);
        const __mmask16 lanes2 = (__mmask16)(width >= 48 ? 0xFFFF : width <= 32 ? 0 : (1u << (width - 32)) - 1u);
        const __mmask16 lanes3 = (__mmask16)(width >= 64 ? 0xFFFF : width <= 48 ? 0 : (1u << (width - 48)) - 1u);
        __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
        __m512 sum2 = _mm512_setzero_ps(), sum3 = _mm512_setzero_ps();
        for (int p = 0; p < k; ++p) {
            const float *b_row = b + (ptrdiff_t)p * ldb + j0;
            const __m512 a_value = _mm512_set1_ps(a_row_start[(ptrdiff_t)p * a_depth]);
            sum0 = _mm512_fmadd_ps(a_value, _mm512_maskz_loadu_ps(lanes0, b_row + 0), sum0);
            sum1 = _mm512_fmadd_ps(a_value, _mm512_maskz_loadu_ps(lanes1, b_row + 16), sum1);
            sum2 = _mm512_fmadd_ps(a_value, _mm512_maskz_loadu_ps(lanes2, b_row + 32), sum2);
            sum3 = _mm512_fmadd_ps(a_value, _mm512_maskz_loadu_ps(lanes3, b_row + 48), sum3);
        }
        _mm512_mask_storeu_ps(c_row + j0 + 0, lanes0, sum0);
        _mm512_mask_storeu_ps(c_row + j0 + 16, lanes1, sum1);
        _mm512_mask_storeu_ps(c_row + j0 + 32, lanes2, sum2);
        _mm512_mask_storeu_ps(c_row + j0 + 48, lanes3, sum3);
    }
}

/* Products with at most FEW_COLUMNS columns and op(A) = A: each row of A is read once, contiguously,
   and dotted with the (zero-padded) columns of op(B), which are gathered into `columns`
   (FEW_COLUMNS x padded_depth floats). Packing A for such a product would cost more than the product. */
static void multiply_few_columns(int m, int n, int k, const float *a, long lda, const float *b, long ldb,
                                 int transpose_b, float *c, long ldc, float *columns)
{
    const int padded_depth = (k + FEW_COLUMNS_DEPTH_STEP - 1) / FEW_COLUMNS_DEPTH_STEP * FEW_COLUMNS_DEPTH_STEP;
    for (int j = 0; j < FEW_COLUMNS; ++j) {
        float *column = columns + (ptrdiff_t)j * padded_depth;
        for (int p = 0; p < padded_depth; ++p)
            column[p] = j < n && p < k ? (transpose_b ? b[(ptrdiff_t)j * ldb + p] : b[(ptrdiff_t)p * ldb + j]) : 0.0f;
    }
    const float *column0 = columns, *column1 = columns + padded_depth;
    const float *column2 = columns + 2 * (ptrdiff_t)padded_depth, *column3 = columns + 3 * (ptrdiff_t)padded_depth;
    const int full_depth = k / 16 * 16;
    const __mmask16 tail = (__mmask16)((1u << (k - full_depth)) - 1u);
    for (int i = 0; i < m; ++i) {
        const float *row = a + (ptrdiff_t)i * lda;
        __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
        __m512 sum2 = _mm512_setzero_ps(), sum3 = _mm512_setzero_ps();
        int p = 0;
        for (; p < full_depth; p += 16) {
            const __m512 values = _mm512_loadu_ps(row + p);
            sum0 = _mm512_fmadd_ps(values, _mm512_load_ps(column0 + p), sum0);
            sum1 = _mm512_fmadd_ps(values, _mm512_load_ps(column1 + p), sum1);
            sum2 = _mm512_fmadd_ps(values, _mm512_load_ps(column2 + p), sum2);
            sum3 = _mm512_fmadd_ps(values, _mm512_load_ps(column3 + p), sum3);
        }
        if (tail) {
            const __m512 values = _mm512_maskz_loadu_ps(tail, row + p);
            sum0 = _mm512_fmadd_ps(values, _mm512_load_ps(column0 + p), sum0);
            sum1 = _mm512_fmadd_ps(values, _mm512_load_ps(column1 + p), sum1);
            sum2 = _mm512_fmadd_ps(values, _mm512_load_ps(column2 + p), sum2);
            sum3 = _mm512_fmadd_ps(values, _mm512_load_ps(column3 + p), sum3);
        }
        float *c_row = c + (ptrdiff_t)i * ldc;
        c_row[0] = _mm512_reduce_add_ps(sum0);
        if (n > 1) c_row[1] = _mm512_reduce_add_ps(sum1);
        if (n > 2) c_row[2] = _mm512_reduce_add_ps(sum2);
        if (n > 3) c_row[3] = _mm512_reduce_add_ps(sum3);
    }
}

/* One NR-wide panel of an untransposed op(B): row p of src (at src + p*ldb, width floats) into
   panel + p*NR, zero-padded by masked loads. */
static void pack_b_rows(int depth, int width, const float *src, long ldb, float *panel)
{
    const __mmask16 lanes0 = (__mmask16)(width >= 16 ? 0xFFFF : (1u << width) - 1u);
    const __mmask16 lanes1 = (__mmask16)(width >= 32 ? 0xFFFF : width <= 16 ? 0 : (1u << (width - 16)) - 1u);
    const __mmask16 lanes2 = (__mmask16)(width >= 48 ? 0xFFFF : width <= 32 ? 0 : (1u << (width - 32)) - 1u);
    const __mmask16 lanes3 = (__mmask16)(width >= 64 ? 0xFFFF : width <= 48 ? 0 : (1u << (width - 48)) - 1u);
    for (int p = 0; p < depth; ++p) {
        const float *s = src + (ptrdiff_t)p * ldb;
        float *d = panel + (ptrdiff_t)p * NR;
        _mm512_store_ps(d + 0, _mm512_maskz_loadu_ps(lanes0, s + 0));
        _mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(lanes1, s + 16));
        _mm512_store_ps(d + 32, _mm512_maskz_loadu_ps(lanes2, s + 32));
        _mm512_store_ps(d + 48, _mm512_maskz_loadu_ps(lanes3, s + 48));
    }
}

/* One full MR x NR tile: C (row i at c + i*ldc) = [C +] sum_p panel_a[p] (x) panel_b[p]. */
static void multiply_tile(int depth, const float *panel_a, const float *panel_b, float *c, long ldc,
                          int accumulate)
{
#define TILE_ROW(r) __m512 c##r##0, c##r##1, c##r##2, c##r##3;
    TILE_ROW(0) TILE_ROW(1) TILE_ROW(2) TILE_ROW(3) TILE_ROW(4) TILE_ROW(5)
#undef TILE_ROW
    if (accumulate) {
#define LOAD_ROW(r)                                                  \
    c##r##0 = _mm512_loadu_ps(c + (ptrdiff_t)(r) * ldc + 0);         \
    c##r##1 = _mm512_loadu_ps(c + (ptrdiff_t)(r) * ldc + 16);        \
    c##r##2 = _mm512_loadu_ps(c + (ptrdiff_t)(r) * ldc + 32);        \
    c##r##3 = _mm512_loadu_ps(c + (ptrdiff_t)(r) * ldc + 48);
        LOAD_ROW(0) LOAD_ROW(1) LOAD_ROW(2) LOAD_ROW(3) LOAD_ROW(4) LOAD_ROW(5)
#undef LOAD_ROW
    } else {
#define ZERO_ROW(r) c##r##0 = c##r##1 = c##r##2 = c##r##3 = _mm512_setzero_ps();
        ZERO_ROW(0) ZERO_ROW(1) ZERO_ROW(2) ZERO_ROW(3) ZERO_ROW(4) ZERO_ROW(5)
#undef ZERO_ROW
    }
    for (int p = 0; p < depth; ++p) {
        const __m512 b0 = _mm512_load_ps(panel_b + 0);
        const __m512 b1 = _mm512_load_ps(panel_b + 16);
        const __m512 b2 = _mm512_load_ps(panel_b + 32);
        const __m512 b3 = _mm512_load_ps(panel_b + 48);
        __m512 a_value;
#define UPDATE_ROW(r)                                 \
    a_value = _mm512_set1_ps(panel_a[r]);             \
    c##r##0 = _mm512_fmadd_ps(a_value, b0, c##r##0);  \
    c##r##1 = _mm512_fmadd_ps(a_value, b1, c##r##1);  \
    c##r##2 = _mm512_fmadd_ps(a_value, b2, c##r##2);  \
    c##r##3 = _mm512_fmadd_ps(a_value, b3, c##r##3);
        UPDATE_ROW(0) UPDATE_ROW(1) UPDATE_ROW(2) UPDATE_ROW(3) UPDATE_ROW(4) UPDATE_ROW(5)
#undef UPDATE_ROW
        panel_a += MR;
        panel_b += NR;
    }
#define STORE_ROW(r)                                           \
    _mm512_storeu_ps(c + (ptrdiff_t)(r) * ldc + 0, c##r##0);   \
    _mm512_storeu_ps(c + (ptrdiff_t)(r) * ldc + 16, c##r##1);  \
    _mm512_storeu_ps(c + (ptrdiff_t)(r) * ldc + 32, c##r##2);  \
    _mm512_storeu_ps(c + (ptrdiff_t)(r) * ldc + 48, c##r##3);
    STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3) STORE_ROW(4) STORE_ROW(5)
#undef STORE_ROW
}

#define GEMM_NAME(suffix) metarl_gemm_avx512##suffix
#define GEMM_FEW_COLUMNS_PATH 1
#define EDGE_TILE_ALIGNMENT 64
#include "gemm-driver.h"

#if defined(__clang__)
#pragma clang attribute pop
#endif

#else /* not x86: the symbol still exists and computes the same product portably */

void metarl_gemm_avx512(int m, int n, int k, const float *a, long lda, int transpose_a, const float *b, long ldb,
                        int transpose_b, float *c, long ldc)
{
    metarl_gemm_portable(m, n, k, a, lda, transpose_a, b, ldb, transpose_b, c, ldc);
}

void metarl_gemm_avx512_free_thread_buffers(void) {}

#endif
