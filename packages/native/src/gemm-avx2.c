/*
 * metarl_gemm_avx2: single-precision matrix product with AVX2 and FMA (see gemm.h for the contract).
 *
 * Goto/BLIS-style blocking (Goto and van de Geijn, "Anatomy of high-performance matrix
 * multiplication", ACM TOMS 2008; Van Zee and van de Geijn, "BLIS", ACM TOMS 2015):
 *   for each block of KC_BLOCK values of k: pack op(B) into NR-wide column panels,
 *   for each block of MC_BLOCK rows: pack op(A) into MR-tall row panels,
 *   then a 6 x 16 register tile (12 ymm accumulators) per micro-panel pair.
 * Packing reads A and B in either orientation, so no transpose is ever materialised. Panels are
 * zero-padded to whole tiles; partial tiles go through a small stack tile. The first k-block
 * overwrites C, later ones add into it. Products with at most 4 columns and an untransposed A
 * dot each row of A with the columns of op(B) (no packing of A); other products with few columns
 * are computed as C^T = op(B)^T op(A)^T into a scratch matrix (fewer padded lanes); tiny ones by a
 * direct loop. The blocking, packing and dispatch are in gemm-driver.h; this file holds the
 * AVX2 kernels.
 *
 * Compiled without -m flags: the instruction set is enabled for this file only, so the binary
 * still loads on any x86-64; the caller selects this function only when cpuid reports AVX2 and FMA.
 */
#include "gemm.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h> /* must precede the target pragma */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC target("avx2,fma")
#endif


enum {
    MR = 6,          /* rows of the register tile */
    NR = 16,         /* columns of the register tile (2 ymm) */
    KC_BLOCK = 256,  /* depth of one packed block */
    MC_BLOCK = 96,   /* rows of op(A) packed at once (multiple of MR) */
    NC_BLOCK = 1024, /* columns of op(B) packed at once (multiple of NR) */
    DIRECT_MAX_WORK = 4096, /* m*n*k at or below which the direct loop is used */
    FEW_COLUMNS = 4, /* n at or below which rows of A are dotted with columns of op(B) */
    FEW_COLUMNS_DEPTH_STEP = 8 /* k is padded to whole ymm for that path */
};

/* Row i of C for an untransposed B, as a sum of rows of B (row p scaled by a_row_start[p*a_depth]):
   contiguous in j, 32 columns (4 independent sums) at a time. */
static void multiply_row_directly(int n, int k, const float *a_row_start, ptrdiff_t a_depth, const float *b,
                                  long ldb, float *c_row)
{
    int j0 = 0;
    for (; j0 + 32 <= n; j0 += 32) {
        __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
        __m256 sum2 = _mm256_setzero_ps(), sum3 = _mm256_setzero_ps();
        for (int p = 0; p < k; ++p) {
            const float *b_row = b + (ptrdiff_t)p * ldb + j0;
            const __m256 a_value = _mm256_set1_ps(a_row_start[(ptrdiff_t)p * a_depth]);
            sum0 = _mm256_fmadd_ps(a_value, _mm256_loadu_ps(b_row + 0), sum0);
            sum1 = _mm256_fmadd_ps(a_value, _mm256_loadu_ps(b_row + 8), sum1);
            sum2 = _mm256_fmadd_ps(a_value, _mm256_loadu_ps(b_row + 16), sum2);
            sum3 = _mm256_fmadd_ps(a_value, _mm256_loadu_ps(b_row + 24), sum3);
        }
        _mm256_storeu_ps(c_row + j0 + 0, sum0);
        _mm256_storeu_ps(c_row + j0 + 8, sum1);
        _mm256_storeu_ps(c_row + j0 + 16, sum2);
        _mm256_storeu_ps(c_row + j0 + 24, sum3);
    }
    for (; j0 + 8 <= n; j0 += 8) {
        __m256 sum = _mm256_setzero_ps();
        for (int p = 0; p < k; ++p) {
            __m256 b_part = _mm256_loadu_ps(b + (ptrdiff_t)p * ldb + j0);
            sum = _mm256_fmadd_ps(_mm256_set1_ps(a_row_start[(ptrdiff_t)p * a_depth]), b_part, sum);
        }
        _mm256_storeu_ps(c_row + j0, sum);
    }
    for (; j0 < n; ++j0) {
        float sum = 0.0f;
        for (int p = 0; p < k; ++p) sum += a_row_start[(ptrdiff_t)p * a_depth] * b[(ptrdiff_t)p * ldb + j0];
        c_row[j0] = sum;
    }
}

static float sum_lanes(__m256 v)
{
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
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
    const int full_depth = k / 8 * 8;
    const int tail = k - full_depth;
    const __m256i tail_lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (int i = 0; i < m; ++i) {
        const float *row = a + (ptrdiff_t)i * lda;
        __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
        __m256 sum2 = _mm256_setzero_ps(), sum3 = _mm256_setzero_ps();
        int p = 0;
        for (; p < full_depth; p += 8) {
            const __m256 values = _mm256_loadu_ps(row + p);
            sum0 = _mm256_fmadd_ps(values, _mm256_load_ps(column0 + p), sum0);
            sum1 = _mm256_fmadd_ps(values, _mm256_load_ps(column1 + p), sum1);
            sum2 = _mm256_fmadd_ps(values, _mm256_load_ps(column2 + p), sum2);
            sum3 = _mm256_fmadd_ps(values, _mm256_load_ps(column3 + p), sum3);
        }
        if (tail) {
            const __m256 values = _mm256_maskload_ps(row + p, tail_lanes);
            sum0 = _mm256_fmadd_ps(values, _mm256_load_ps(column0 + p), sum0);
            sum1 = _mm256_fmadd_ps(values, _mm256_load_ps(column1 + p), sum1);
            sum2 = _mm256_fmadd_ps(values, _mm256_load_ps(column2 + p), sum2);
            sum3 = _mm256_fmadd_ps(values, _mm256_load_ps(column3 + p), sum3);
        }
        float *c_row = c + (ptrdiff_t)i * ldc;
        c_row[0] = sum_lanes(sum0);
        if (n > 1) c_row[1] = sum_lanes(sum1);
        if (n > 2) c_row[2] = sum_lanes(sum2);
        if (n > 3) c_row[3] = sum_lanes(sum3);
    }
}

/* One NR-wide panel of an untransposed op(B): row p of src (at src + p*ldb, width floats) into
   panel + p*NR, zero-padded. */
static void pack_b_rows(int depth, int width, const float *src, long ldb, float *panel)
{
    for (int p = 0; p < depth; ++p) {
        const float *s = src + (ptrdiff_t)p * ldb;
        float *d = panel + (ptrdiff_t)p * NR;
        if (width == NR) {
            _mm256_store_ps(d + 0, _mm256_loadu_ps(s + 0));
            _mm256_store_ps(d + 8, _mm256_loadu_ps(s + 8));
        } else {
            int j = 0;
            for (; j < width; ++j) d[j] = s[j];
            for (; j < NR; ++j) d[j] = 0.0f;
        }
    }
}

/* One full MR x NR tile: C (row i at c + i*ldc) = [C +] sum_p panel_a[p] (x) panel_b[p]. */
static void multiply_tile(int depth, const float *panel_a, const float *panel_b, float *c, long ldc,
                          int accumulate)
{
#define TILE_ROW(r) __m256 c##r##0, c##r##1;
    TILE_ROW(0) TILE_ROW(1) TILE_ROW(2) TILE_ROW(3) TILE_ROW(4) TILE_ROW(5)
#undef TILE_ROW
    if (accumulate) {
#define LOAD_ROW(r)                                           \
    c##r##0 = _mm256_loadu_ps(c + (ptrdiff_t)(r) * ldc + 0);  \
    c##r##1 = _mm256_loadu_ps(c + (ptrdiff_t)(r) * ldc + 8);
        LOAD_ROW(0) LOAD_ROW(1) LOAD_ROW(2) LOAD_ROW(3) LOAD_ROW(4) LOAD_ROW(5)
#undef LOAD_ROW
    } else {
#define ZERO_ROW(r) c##r##0 = c##r##1 = _mm256_setzero_ps();
        ZERO_ROW(0) ZERO_ROW(1) ZERO_ROW(2) ZERO_ROW(3) ZERO_ROW(4) ZERO_ROW(5)
#undef ZERO_ROW
    }
    for (int p = 0; p < depth; ++p) {
        const __m256 b0 = _mm256_load_ps(panel_b + 0);
        const __m256 b1 = _mm256_load_ps(panel_b + 8);
        __m256 a_value;
#define UPDATE_ROW(r)                                 \
    a_value = _mm256_broadcast_ss(panel_a + (r));     \
    c##r##0 = _mm256_fmadd_ps(a_value, b0, c##r##0);  \
    c##r##1 = _mm256_fmadd_ps(a_value, b1, c##r##1);
        UPDATE_ROW(0) UPDATE_ROW(1) UPDATE_ROW(2) UPDATE_ROW(3) UPDATE_ROW(4) UPDATE_ROW(5)
#undef UPDATE_ROW
        panel_a += MR;
        panel_b += NR;
    }
#define STORE_ROW(r)                                          \
    _mm256_storeu_ps(c + (ptrdiff_t)(r) * ldc + 0, c##r##0);  \
    _mm256_storeu_ps(c + (ptrdiff_t)(r) * ldc + 8, c##r##1);
    STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3) STORE_ROW(4) STORE_ROW(5)
#undef STORE_ROW
}

#define GEMM_NAME(suffix) metarl_gemm_avx2##suffix
#define GEMM_FEW_COLUMNS_PATH 1
#define EDGE_TILE_ALIGNMENT 32
#include "gemm-driver.h"

#if defined(__clang__)
#pragma clang attribute pop
#endif

#else /* not x86: the symbol still exists and computes the same product portably */

void metarl_gemm_avx2(int m, int n, int k, const float *a, long lda, int transpose_a, const float *b, long ldb,
                        int transpose_b, float *c, long ldc)
{
    metarl_gemm_portable(m, n, k, a, lda, transpose_a, b, ldb, transpose_b, c, ldc);
}

void metarl_gemm_avx2_free_thread_buffers(void) {}

#endif
