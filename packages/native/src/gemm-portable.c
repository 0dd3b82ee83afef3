/*
 * metarl_gemm_portable: single-precision matrix product in plain C11 (see gemm.h for the contract).
 *
 * Goto/BLIS-style blocking (Goto and van de Geijn, "Anatomy of high-performance matrix
 * multiplication", ACM TOMS 2008; Van Zee and van de Geijn, "BLIS", ACM TOMS 2015):
 *   for each block of KC_BLOCK values of k: pack op(B) into NR-wide column panels,
 *   for each block of MC_BLOCK rows: pack op(A) into MR-tall row panels,
 *   then a 4 x 8 register tile per micro-panel pair, written so that compilers keep it in
 *   registers and vectorise it for whatever SIMD the target has (SSE2, NEON, ...).
 * Packing reads A and B in either orientation, so no transpose is ever materialised. Panels are
 * zero-padded to whole tiles; partial tiles go through a small stack tile. The first k-block
 * overwrites C, later ones add into it. Products with few columns are computed as
 * C^T = op(B)^T op(A)^T into a scratch matrix (fewer padded lanes), tiny ones by a direct loop.
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

enum {
    MR = 4,          /* rows of the register tile */
    NR = 8,          /* columns of the register tile */
    KC_BLOCK = 256,  /* depth of one packed block */
    MC_BLOCK = 96,   /* rows of op(A) packed at once (multiple of MR) */
    NC_BLOCK = 1024, /* columns of op(B) packed at once (multiple of NR) */
    DIRECT_MAX_WORK = 4096 /* m*n*k at or below which the direct loop is used */
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
            /* Row of C as a sum of rows of B: contiguous in j, so compilers vectorise it. */
            float *restrict sums = c_row;
            for (int j = 0; j < n; ++j) sums[j] = 0.0f;
            for (int p = 0; p < k; ++p) {
                const float a_value = a_row_start[(ptrdiff_t)p * a_depth];
                const float *restrict b_row = b + (ptrdiff_t)p * ldb;
                for (int j = 0; j < n; ++j) sums[j] += a_value * b_row[j];
            }
            continue;
        }
        for (int j = 0; j < n; ++j) {
            const float *b_column_start = b + (ptrdiff_t)j * b_column;
            float sum = 0.0f;
            for (int p = 0; p < k; ++p)
                sum += a_row_start[(ptrdiff_t)p * a_depth] * b_column_start[(ptrdiff_t)p * b_depth];
            c_row[j] = sum;
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
            for (int p = 0; p < depth; ++p) {
                const float *s = b + (ptrdiff_t)(depth0 + p) * ldb + column0 + j0;
                float *d = panel + (ptrdiff_t)p * NR;
                int j = 0;
                for (; j < width; ++j) d[j] = s[j];
                for (; j < NR; ++j) d[j] = 0.0f;
            }
        }
    }
}

/* One full MR x NR tile: C (row i at c + i*ldc) = [C +] sum_p panel_a[p] (x) panel_b[p].
   Loops over the constant MR and NR are fully unrolled by optimising compilers, which then keep
   the accumulators in (vector) registers. */
static void multiply_tile(int depth, const float *panel_a, const float *panel_b, float *c, long ldc,
                          int accumulate)
{
    float sums[MR][NR];
    for (int r = 0; r < MR; ++r)
        for (int j = 0; j < NR; ++j) sums[r][j] = accumulate ? c[(ptrdiff_t)r * ldc + j] : 0.0f;
    for (int p = 0; p < depth; ++p) {
        for (int r = 0; r < MR; ++r) {
            const float a_value = panel_a[r];
            for (int j = 0; j < NR; ++j) sums[r][j] += a_value * panel_b[j];
        }
        panel_a += MR;
        panel_b += NR;
    }
    for (int r = 0; r < MR; ++r)
        for (int j = 0; j < NR; ++j) c[(ptrdiff_t)r * ldc + j] = sums[r][j];
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

void metarl_gemm_portable(int m, int n, int k, const float *a, long lda, int transpose_a, const float *b, long ldb,
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
    /* Few columns: C^T = op(B)^T op(A)^T pads far fewer lanes (e.g. n = 2 uses 2 of 4 rows instead of
       2 of 8 columns). */
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
void metarl_gemm_portable_free_thread_buffers(void)
{
    free_aligned(packed_a);
    free_aligned(packed_b);
    free_aligned(transposed_c);
    packed_a = packed_b = transposed_c = NULL;
    packed_a_capacity = packed_b_capacity = transposed_c_capacity = 0;
}
