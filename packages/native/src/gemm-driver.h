/*
 * The blocked matrix-product driver shared by gemm-avx512.c, gemm-avx2.c and gemm-portable.c
 * (see gemm.h for the contract). Each of those files sets its instruction set, then defines,
 * before including this file:
 *   GEMM_NAME(suffix)        the public name: GEMM_NAME() is metarl_gemm_<isa>,
 *                            GEMM_NAME(_free_thread_buffers) its buffer release;
 *   enum constants           MR, NR (register tile), KC_BLOCK, MC_BLOCK, NC_BLOCK (packed blocks),
 *                            DIRECT_MAX_WORK (m*n*k at or below which multiply_directly is used);
 *   multiply_tile            one full MR x NR tile: C (row i at c + i*ldc) = [C +] sum_p
 *                            panel_a[p] (x) panel_b[p] (the register-tile micro-kernel);
 *   pack_b_rows              packs one NR-wide panel of an untransposed op(B): for each p < depth,
 *                            the width (<= NR) floats at src + p*ldb into panel + p*NR, zero-padded
 *                            to NR (panel is 64-byte aligned);
 *   multiply_row_directly    one row of C for an untransposed B, as the sum over p of row p of B
 *                            scaled by a_row_start[p*a_depth] (the direct loop for tiny products
 *                            and the allocation-failure fallback; see multiply_directly below);
 *   EDGE_TILE_ALIGNMENT      (optional) alignment in bytes of the stack tile for partial tiles;
 *   GEMM_FEW_COLUMNS_PATH    (optional) with FEW_COLUMNS and FEW_COLUMNS_DEPTH_STEP in the enum and
 *                            multiply_few_columns(m, n, k, a, lda, b, ldb, transpose_b, c, ldc, columns):
 *                            products with n <= FEW_COLUMNS and op(A) = A are handed to it with a
 *                            64-byte aligned scratch of FEW_COLUMNS x (k rounded up to a multiple
 *                            of FEW_COLUMNS_DEPTH_STEP) floats.
 * Every function here is compiled for the including file's target, so each instruction set gets its
 * own copy, with its own thread-local buffers.
 */
#include "gemm.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(_MSC_VER) && !defined(__clang__)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL _Thread_local
#endif

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
            multiply_row_directly(n, k, a_row_start, a_depth, b, ldb, c_row);
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
                    for (int r = 0; r < MR; ++r) d[r] = s[r];
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
            pack_b_rows(depth, width, b + (ptrdiff_t)depth0 * ldb + column0 + j0, ldb, panel);
        }
    }
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
#if defined(EDGE_TILE_ALIGNMENT)
    _Alignas(EDGE_TILE_ALIGNMENT)
#endif
    float tile[MR * NR];
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

void GEMM_NAME()(int m, int n, int k, const float *a, long lda, int transpose_a, const float *b, long ldb,
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
#if defined(GEMM_FEW_COLUMNS_PATH)
    if (n <= FEW_COLUMNS && !transpose_a) {
        const size_t padded_depth = (size_t)((k + FEW_COLUMNS_DEPTH_STEP - 1) / FEW_COLUMNS_DEPTH_STEP * FEW_COLUMNS_DEPTH_STEP);
        float *columns = reserve_buffer(&packed_b, &packed_b_capacity, (size_t)FEW_COLUMNS * padded_depth);
        if (columns != NULL) {
            multiply_few_columns(m, n, k, a, lda, b, ldb, transpose_b, c, ldc, columns);
            return;
        }
    }
#endif
    /* Few columns: C^T = op(B)^T op(A)^T pads far fewer lanes (e.g. n = 2 uses 2 of MR rows instead of
       2 of NR columns). */
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
void GEMM_NAME(_free_thread_buffers)(void)
{
    free_aligned(packed_a);
    free_aligned(packed_b);
    free_aligned(transposed_c);
    packed_a = packed_b = transposed_c = NULL;
    packed_a_capacity = packed_b_capacity = transposed_c_capacity = 0;
}
