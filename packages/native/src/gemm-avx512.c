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
 * direct loop.
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

#if defined(_MSC_VER) && !defined(__clang__)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL _Thread_local
#endif

enum {
    MR = 6,          /* rows of the register tile */
    NR = 64,         /* columns of the register tile (4 zmm) */
    KC_BLOCK = 256,  /* depth of one packed block */
    MC_BLOCK = 96,   /* rows of op(A) packed at once (multiple of MR) */
    NC_BLOCK = 1024, /* columns of op(B) packed at once (multiple of NR) */
    DIRECT_MAX_WORK = 4096, /* m*n*k at or below which the direct loop is used */
    FEW_COLUMNS = 4  /* n at or below which rows of A are dotted with columns of op(B) */
};

static THREAD_LOCAL float *packed_a;
static THREAD_LOCAL size_t packed_a_capacity;
static THREAD_LOCAL float *packed_b;
static THREAD_LOCAL size_t packed_b_capacity;
static THREAD_LOCAL float *transposed_c;
static THREAD_LOCAL size_t transposed_c_capacity;

static void free_aligned(float *pointer)
{
#if defined(_WIN32)
    _aligned_free(pointer);
#else
    free(pointer);
#endif
}

/* Returns a 64-byte aligned buffer of at least count floats, reusing *buffer when large enough;
   NULL when allocation fails. */
static float *reserve_buffer(float **buffer, size_t *capacity, size_t count)
{
    if (count <= *capacity) return *buffer;
    free_aligned(*buffer);
    *buffer = NULL;
    *capacity = 0;
    size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
#if defined(_WIN32)
    float *grown = (float *)_aligned_malloc(bytes, 64);
#else
    float *grown = (float *)aligned_alloc(64, bytes);
#endif
    if (grown == NULL) return NULL;
    *buffer = grown;
    *capacity = bytes / sizeof(float);
    return grown;
}

static int min_int(int x, int y) { return x < y ? x : y; }

/* Plain loop, used for tiny products and as a fallback when buffers cannot be allocated. */
static void multiply_directly(int m, int n, int k, const float *a, long lda, int transpose_a,
                              const float *b, long ldb, int transpose_b, float *c, long ldc)
{
    const ptrdiff_t a_row = transpose_a ? 1 : lda, a_depth = transpose_a ? lda : 1;
    const ptrdiff_t b_depth = transpose_b ? 1 : ldb, b_column = transpose_b ? ldb : 1;
    for (int i = 0; i < m; ++i) {
        float *c_row = c + (ptrdiff_t)i * ldc;
        const float *a_row_start = a + (ptrdiff_t)i * a_row;
        if (!transpose_b) {
            /* Row of C as a sum of rows of B: contiguous in j, 64 columns (4 independent sums) at a time. */
            for (int j0 = 0; j0 < n; j0 += 64) {
                const int width = min_int(64, n - j0);
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
        } else {
            for (int j = 0; j < n; ++j) {
                const float *b_column_start = b + (ptrdiff_t)j * b_column;
                float sum = 0.0f;
                for (int p = 0; p < k; ++p)
                    sum += a_row_start[(ptrdiff_t)p * a_depth] * b_column_start[(ptrdiff_t)p * b_depth];
                c_row[j] = sum;
            }
        }
    }
}

/* Products with at most FEW_COLUMNS columns and op(A) = A: each row of A is read once, contiguously,
   and dotted with the (zero-padded) columns of op(B), which are gathered into `columns`
   (FEW_COLUMNS x padded_depth floats). Packing A for such a product would cost more than the product. */
static void multiply_few_columns(int m, int n, int k, const float *a, long lda, const float *b, long ldb,
                                 int transpose_b, float *c, long ldc, float *columns)
{
    const int padded_depth = (k + 15) / 16 * 16;
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

/* Packs rows [row0, row0+rows) x depth [depth0, depth0+depth) of op(A) into MR-tall panels:
   panel r holds, for each p, the MR values op(A)[row0 + r*MR + 0..MR-1][depth0 + p], zero-padded. */
static void pack_a(int rows, int depth, const float *a, long lda, int transpose_a, int row0, int depth0,
                   float *dst)
{
    for (int r0 = 0; r0 < rows; r0 += MR) {
        const int height = min_int(MR, rows - r0);
        float *panel = dst + (ptrdiff_t)r0 * depth;
        if (transpose_a) {
            /* op(A)[i][p] = A[p][i]: MR contiguous floats per p. */
            const float *src = a + (ptrdiff_t)depth0 * lda + row0 + r0;
            if (height == MR) {
                for (int p = 0; p < depth; ++p) {
                    const float *s = src + (ptrdiff_t)p * lda;
                    float *d = panel + (ptrdiff_t)p * MR;
                    d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3]; d[4] = s[4]; d[5] = s[5];
                }
            } else {
                for (int p = 0; p < depth; ++p) {
                    const float *s = src + (ptrdiff_t)p * lda;
                    float *d = panel + (ptrdiff_t)p * MR;
                    int r = 0;
                    for (; r < height; ++r) d[r] = s[r];
                    for (; r < MR; ++r) d[r] = 0.0f;
                }
            }
        } else {
            /* op(A)[i][p] = A[i][p]: read each row contiguously, write with stride MR. */
            for (int r = 0; r < MR; ++r) {
                float *d = panel + r;
                if (r < height) {
                    const float *s = a + (ptrdiff_t)(row0 + r0 + r) * lda + depth0;
                    for (int p = 0; p < depth; ++p) d[(ptrdiff_t)p * MR] = s[p];
                } else {
                    for (int p = 0; p < depth; ++p) d[(ptrdiff_t)p * MR] = 0.0f;
                }
            }
        }
    }
}

/* Packs depth [depth0, depth0+depth) x columns [column0, column0+columns) of op(B) into NR-wide
   panels: panel q holds, for each p, the NR values op(B)[depth0 + p][column0 + q*NR + 0..NR-1],
   zero-padded. */
static void pack_b(int depth, int columns, const float *b, long ldb, int transpose_b, int depth0, int column0,
                   float *dst)
{
    for (int j0 = 0; j0 < columns; j0 += NR) {
        const int width = min_int(NR, columns - j0);
        float *panel = dst + (ptrdiff_t)j0 * depth;
        if (transpose_b) {
            /* op(B)[p][j] = B[j][p]: read each row of B contiguously, write with stride NR. */
            for (int j = 0; j < NR; ++j) {
                float *d = panel + j;
                if (j < width) {
                    const float *s = b + (ptrdiff_t)(column0 + j0 + j) * ldb + depth0;
                    for (int p = 0; p < depth; ++p) d[(ptrdiff_t)p * NR] = s[p];
                } else {
                    for (int p = 0; p < depth; ++p) d[(ptrdiff_t)p * NR] = 0.0f;
                }
            }
        } else {
            const __mmask16 lanes0 = (__mmask16)(width >= 16 ? 0xFFFF : (1u << width) - 1u);
            const __mmask16 lanes1 = (__mmask16)(width >= 32 ? 0xFFFF : width <= 16 ? 0 : (1u << (width - 16)) - 1u);
            const __mmask16 lanes2 = (__mmask16)(width >= 48 ? 0xFFFF : width <= 32 ? 0 : (1u << (width - 32)) - 1u);
            const __mmask16 lanes3 = (__mmask16)(width >= 64 ? 0xFFFF : width <= 48 ? 0 : (1u << (width - 48)) - 1u);
            for (int p = 0; p < depth; ++p) {
                const float *s = b + (ptrdiff_t)(depth0 + p) * ldb + column0 + j0;
                float *d = panel + (ptrdiff_t)p * NR;
                _mm512_store_ps(d + 0, _mm512_maskz_loadu_ps(lanes0, s + 0));
                _mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(lanes1, s + 16));
                _mm512_store_ps(d + 32, _mm512_maskz_loadu_ps(lanes2, s + 32));
                _mm512_store_ps(d + 48, _mm512_maskz_loadu_ps(lanes3, s + 48));
            }
        }
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

/* A tile of rows x columns (at most MR x NR): full tiles go straight to C, partial ones through a
   stack tile so that nothing outside the block of C is read or written. */
static void multiply_edge_or_tile(int depth, const float *panel_a, const float *panel_b, float *c, long ldc,
                                  int rows, int columns, int accumulate)
{
    if (rows == MR && columns == NR) {
        multiply_tile(depth, panel_a, panel_b, c, ldc, accumulate);
        return;
    }
    _Alignas(64) float tile[MR * NR];
    if (accumulate) {
        for (int r = 0; r < rows; ++r) memcpy(tile + r * NR, c + (ptrdiff_t)r * ldc, (size_t)columns * sizeof(float));
    }
    multiply_tile(depth, panel_a, panel_b, tile, NR, accumulate);
    for (int r = 0; r < rows; ++r) memcpy(c + (ptrdiff_t)r * ldc, tile + r * NR, (size_t)columns * sizeof(float));
}

/* The blocked product; returns 0 (having written nothing) when the packing buffers cannot be allocated. */
static int multiply_packed(int m, int n, int k, const float *a, long lda, int transpose_a, const float *b,
                           long ldb, int transpose_b, float *c, long ldc)
{
    const int kc_max = min_int(k, KC_BLOCK);
    const int mc_max = min_int((m + MR - 1) / MR * MR, MC_BLOCK);
    const int nc_max = min_int((n + NR - 1) / NR * NR, NC_BLOCK);
    float *pa = reserve_buffer(&packed_a, &packed_a_capacity, (size_t)mc_max * kc_max);
    float *pb = reserve_buffer(&packed_b, &packed_b_capacity, (size_t)nc_max * kc_max);
    if (pa == NULL || pb == NULL) return 0;
    for (int jc = 0; jc < n; jc += NC_BLOCK) {
        const int nc = min_int(NC_BLOCK, n - jc);
        for (int pc = 0; pc < k; pc += KC_BLOCK) {
            const int kc = min_int(KC_BLOCK, k - pc);
            pack_b(kc, nc, b, ldb, transpose_b, pc, jc, pb);
            for (int ic = 0; ic < m; ic += MC_BLOCK) {
                const int mc = min_int(MC_BLOCK, m - ic);
                pack_a(mc, kc, a, lda, transpose_a, ic, pc, pa);
                for (int jr = 0; jr < nc; jr += NR) {
                    for (int ir = 0; ir < mc; ir += MR) {
                        multiply_edge_or_tile(kc, pa + (ptrdiff_t)ir * kc, pb + (ptrdiff_t)jr * kc,
                                              c + (ptrdiff_t)(ic + ir) * ldc + jc + jr, ldc, min_int(MR, mc - ir),
                                              min_int(NR, nc - jr), pc > 0);
                    }
                }
            }
        }
    }
    return 1;
}

static long long padded(long long size, long long multiple) { return (size + multiple - 1) / multiple * multiple; }

void metarl_gemm_avx512(int m, int n, int k, const float *a, long lda, int transpose_a, const float *b, long ldb,
                        int transpose_b, float *c, long ldc)
{
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int i = 0; i < m; ++i) memset(c + (ptrdiff_t)i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    if ((double)m * n * k <= DIRECT_MAX_WORK || (m == 1 && !transpose_b)) {
        multiply_directly(m, n, k, a, lda, transpose_a, b, ldb, transpose_b, c, ldc);
        return;
    }
    if (n <= FEW_COLUMNS && !transpose_a) {
        float *columns = reserve_buffer(&packed_b, &packed_b_capacity, (size_t)FEW_COLUMNS * (size_t)((k + 15) / 16 * 16));
        if (columns != NULL) {
            multiply_few_columns(m, n, k, a, lda, b, ldb, transpose_b, c, ldc, columns);
            return;
        }
    }
    /* Few columns: C^T = op(B)^T op(A)^T pads far fewer lanes (e.g. n = 2 uses 2 of 6 rows instead of
       2 of 64 columns). */
    if (2 * padded(n, MR) * padded(m, NR) < padded(m, MR) * padded(n, NR)) {
        float *t = reserve_buffer(&transposed_c, &transposed_c_capacity, (size_t)m * n);
        if (t != NULL && multiply_packed(n, m, k, b, ldb, !transpose_b, a, lda, !transpose_a, t, m)) {
            for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) c[(ptrdiff_t)i * ldc + j] = t[(ptrdiff_t)j * m + i];
            return;
        }
    }
    if (!multiply_packed(m, n, k, a, lda, transpose_a, b, ldb, transpose_b, c, ldc))
        multiply_directly(m, n, k, a, lda, transpose_a, b, ldb, transpose_b, c, ldc);
}

/* Frees this thread's packing buffers (they are regrown on the next call from this thread). */
void metarl_gemm_avx512_free_thread_buffers(void)
{
    free_aligned(packed_a);
    free_aligned(packed_b);
    free_aligned(transposed_c);
    packed_a = packed_b = transposed_c = NULL;
    packed_a_capacity = packed_b_capacity = transposed_c_capacity = 0;
}

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
