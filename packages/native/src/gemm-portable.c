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
 * The blocking, packing and dispatch are in gemm-driver.h; this file holds the plain-C kernels.
 */
#include "gemm.h"

#include <stddef.h>

enum {
    MR = 4,          /* rows of the register tile */
    NR = 8,          /* columns of the register tile */
    KC_BLOCK = 256,  /* depth of one packed block */
    MC_BLOCK = 96,   /* rows of op(A) packed at once (multiple of MR) */
    NC_BLOCK = 1024, /* columns of op(B) packed at once (multiple of NR) */
    DIRECT_MAX_WORK = 4096 /* m*n*k at or below which the direct loop is used */
};

/* Row i of C for an untransposed B, as a sum of rows of B (row p scaled by a_row_start[p*a_depth]):
   contiguous in j, so compilers vectorise it. */
static void multiply_row_directly(int n, int k, const float *a_row_start, ptrdiff_t a_depth, const float *b,
                                  long ldb, float *c_row)
{
    float *restrict sums = c_row;
    for (int j = 0; j < n; ++j) sums[j] = 0.0f;
    for (int p = 0; p < k; ++p) {
        const float a_value = a_row_start[(ptrdiff_t)p * a_depth];
        const float *restrict b_row = b + (ptrdiff_t)p * ldb;
        for (int j = 0; j < n; ++j) sums[j] += a_value * b_row[j];
    }
}

/* One NR-wide panel of an untransposed op(B): row p of src (at src + p*ldb, width floats) into
   panel + p*NR, zero-padded. */
static void pack_b_rows(int depth, int width, const float *src, long ldb, float *panel)
{
    for (int p = 0; p < depth; ++p) {
        const float *s = src + (ptrdiff_t)p * ldb;
        float *d = panel + (ptrdiff_t)p * NR;
        int j = 0;
        for (; j < width; ++j) d[j] = s[j];
        for (; j < NR; ++j) d[j] = 0.0f;
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

#define GEMM_NAME(suffix) metarl_gemm_portable##suffix
#include "gemm-driver.h"
