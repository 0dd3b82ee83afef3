/*
 * Correctness check of the matrix products in src/gemm.h against a double-precision reference.
 *
 * For every instruction set the running CPU supports (and the portable code everywhere), all four
 * transpose combinations over odd, zero, random and long-k shapes, with leading dimensions larger
 * than minimal. Checks: normwise relative error ||C - C_ref||_F / || |op(A)| |op(B)| ||_F <= 1e-5
 * (the normwise measure of floating-point error analysis, robust to cancellation), and also
 * ||C - C_ref||_F / ||C_ref||_F <= 1e-5 whenever C has at least 64 entries; NaN and Inf
 * placed in A and B (next to zeros) give NaN/Inf exactly where the reference does; C outside the
 * m x n block (before, after, and between n and ldc) is bit-for-bit untouched; A and B are
 * allocated to their exact extent and padded with NaN between the columns and the leading dimension,
 * so an out-of-bounds read shows up as NaN (and as an error under valgrind or AddressSanitizer);
 * C is filled with NaN before each call, so a product that reads C instead of overwriting it fails;
 * two threads computing disjoint row ranges of one product agree with the single-threaded result.
 *
 * Usage: gemm-check [--quick]   (--quick: a small set, for running under valgrind or sanitizers)
 * Exit status 0 when every case passes.
 */
#include "../src/gemm.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*gemm_function)(int, int, int, const float *, long, int, const float *, long, int, float *, long);

typedef struct {
    const char *name;
    gemm_function multiply;
    void (*free_thread_buffers)(void);
} implementation;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t next_random(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int random_below(int bound) { return bound <= 0 ? 0 : (int)(next_random() % (uint64_t)bound); }

static float random_uniform(void) { return (float)((double)(next_random() >> 11) / 9007199254740992.0 * 2.0 - 1.0); }

static const uint32_t C_SENTINEL_BITS = 0x7FC0DEADu; /* a quiet NaN with a recognisable payload */

static float sentinel(void)
{
    float value;
    memcpy(&value, &C_SENTINEL_BITS, sizeof value);
    return value;
}

/* Stored matrix of rows x columns with leading dimension ld, allocated to its exact extent
   ((rows - 1) * ld + columns floats); padding between columns and ld is NaN. */
static float *make_matrix(int rows, int columns, long ld, size_t *count)
{
    size_t size = rows > 0 && columns > 0 ? (size_t)(rows - 1) * (size_t)ld + (size_t)columns : 0;
    *count = size;
    float *matrix = malloc(size > 0 ? size * sizeof(float) : 1);
    for (size_t index = 0; index < size; ++index) matrix[index] = NAN;
    for (int r = 0; r < rows; ++r)
        for (int j = 0; j < columns; ++j) matrix[(size_t)r * (size_t)ld + (size_t)j] = random_uniform();
    return matrix;
}

typedef struct {
    int m, n, k, transpose_a, transpose_b;
    long lda_extra, ldb_extra, ldc_extra;
    int specials; /* number of NaN/Inf values to place in A and B (with zeros around them) */
} test_case;

static long cases_run = 0;
static long failures = 0;
static double worst_error_to_magnitude = 0.0; /* ||C - C_ref|| / || |op(A)| |op(B)| || over all cases */
static double worst_error_to_reference = 0.0; /* ||C - C_ref|| / ||C_ref|| over cases with >= 64 entries */

/* Element (i, p) of op(A) for the stored matrix. */
static float operand_a(const float *a, long lda, int transpose_a, int i, int p)
{
    return transpose_a ? a[(size_t)p * (size_t)lda + (size_t)i] : a[(size_t)i * (size_t)lda + (size_t)p];
}

static float operand_b(const float *b, long ldb, int transpose_b, int p, int j)
{
    return transpose_b ? b[(size_t)j * (size_t)ldb + (size_t)p] : b[(size_t)p * (size_t)ldb + (size_t)j];
}

static void place_specials(float *matrix, int rows, int columns, long ld, int count)
{
    if (rows <= 0 || columns <= 0) return;
    static const float values[] = {NAN, INFINITY, -INFINITY};
    for (int s = 0; s < count; ++s) {
        int r = random_below(rows), j = random_below(columns);
        matrix[(size_t)r * (size_t)ld + (size_t)j] = values[random_below(3)];
        /* zeros elsewhere in the same row and column, so 0 * Inf and 0 * NaN occur */
        matrix[(size_t)random_below(rows) * (size_t)ld + (size_t)j] = 0.0f;
        matrix[(size_t)r * (size_t)ld + (size_t)random_below(columns)] = 0.0f;
    }
}

static void run_case(const implementation *impl, test_case t)
{
    const int m = t.m, n = t.n, k = t.k;
    const int a_rows = t.transpose_a ? k : m, a_columns = t.transpose_a ? m : k;
    const int b_rows = t.transpose_b ? n : k, b_columns = t.transpose_b ? k : n;
    const long lda = (a_columns > 0 ? a_columns : 1) + t.lda_extra;
    const long ldb = (b_columns > 0 ? b_columns : 1) + t.ldb_extra;
    const long ldc = (n > 0 ? n : 1) + t.ldc_extra;
    size_t a_count, b_count;
    float *a = make_matrix(a_rows, a_columns, lda, &a_count);
    float *b = make_matrix(b_rows, b_columns, ldb, &b_count);
    place_specials(a, a_rows, a_columns, lda, t.specials);
    place_specials(b, b_rows, b_columns, ldb, t.specials);

    /* C with one guard row before and after the block. */
    const size_t guard = (size_t)ldc;
    const size_t c_count = (size_t)(m > 0 ? m : 0) * (size_t)ldc + 2 * guard;
    float *c_storage = malloc(c_count * sizeof(float));
    for (size_t index = 0; index < c_count; ++index) c_storage[index] = sentinel();
    float *c = c_storage + guard;

    impl->multiply(m, n, k, a, lda, t.transpose_a, b, ldb, t.transpose_b, c, ldc);
    ++cases_run;

    int ok = 1;
    double error_squared = 0.0, reference_squared = 0.0, magnitude_squared = 0.0;
    char reason[200] = "";
    for (size_t index = 0; index < c_count && ok; ++index) {
        long offset = (long)index - (long)guard;
        int inside = offset >= 0 && offset < (long)m * ldc && (offset % ldc) < n;
        if (inside) continue;
        uint32_t bits;
        memcpy(&bits, &c_storage[index], sizeof bits);
        if (bits != C_SENTINEL_BITS) {
            ok = 0;
            snprintf(reason, sizeof reason, "wrote outside the block at offset %ld", offset);
        }
    }
    for (int i = 0; i < m && ok; ++i) {
        for (int j = 0; j < n && ok; ++j) {
            double reference = 0.0, magnitude = 0.0;
            for (int p = 0; p < k; ++p) {
                const double product =
                    (double)operand_a(a, lda, t.transpose_a, i, p) * (double)operand_b(b, ldb, t.transpose_b, p, j);
                reference += product;
                magnitude += fabs(product);
            }
            const float value = c[(size_t)i * (size_t)ldc + (size_t)j];
            if (isnan(reference) || isinf(reference)) {
                int same = isnan(reference) ? isnan(value) : (value == (float)reference);
                if (!same) {
                    ok = 0;
                    snprintf(reason, sizeof reason, "C[%d][%d] = %g where the reference is %g", i, j, value, reference);
                }
            } else if (!isfinite(value)) {
                ok = 0;
                snprintf(reason, sizeof reason, "C[%d][%d] = %g where the reference is %g", i, j, value, reference);
            } else {
                error_squared += (value - reference) * (value - reference);
                reference_squared += reference * reference;
                magnitude_squared += magnitude * magnitude;
            }
        }
    }
    const double error_to_magnitude =
        magnitude_squared > 0.0 ? sqrt(error_squared / magnitude_squared) : sqrt(error_squared);
    const double error_to_reference =
        reference_squared > 0.0 ? sqrt(error_squared / reference_squared) : sqrt(error_squared);
    if (ok && error_to_magnitude > worst_error_to_magnitude) worst_error_to_magnitude = error_to_magnitude;
    if (ok && m * n >= 64 && error_to_reference > worst_error_to_reference) worst_error_to_reference = error_to_reference;
    if (ok && error_to_magnitude > 1e-5) {
        ok = 0;
        snprintf(reason, sizeof reason, "||C - C_ref|| / || |A| |B| || = %.3g > 1e-5", error_to_magnitude);
    }
    if (ok && m * n >= 64 && error_to_reference > 1e-5) {
        ok = 0;
        snprintf(reason, sizeof reason, "||C - C_ref|| / ||C_ref|| = %.3g > 1e-5", error_to_reference);
    }
    if (!ok) {
        ++failures;
        if (failures <= 20)
            fprintf(stderr, "FAIL %s m=%d n=%d k=%d ta=%d tb=%d lda=%ld ldb=%ld ldc=%ld specials=%d: %s\n", impl->name, m, n,
                    k, t.transpose_a, t.transpose_b, lda, ldb, ldc, t.specials, reason);
    }
    free(a);
    free(b);
    free(c_storage);
}

/* Two threads, each computing half of the rows of one product, must match one call. */
typedef struct {
    gemm_function multiply;
    void (*free_thread_buffers)(void);
    int m, n, k, transpose_a, transpose_b;
    const float *a, *b;
    long lda, ldb, ldc;
    float *c;
} row_range_job;

static void *run_row_range(void *argument)
{
    row_range_job *job = argument;
    for (int repeat = 0; repeat < 3; ++repeat)
        job->multiply(job->m, job->n, job->k, job->a, job->lda, job->transpose_a, job->b, job->ldb, job->transpose_b,
                      job->c, job->ldc);
    job->free_thread_buffers();
    return NULL;
}

static void check_two_threads(const implementation *impl, int m, int n, int k, int transpose_a, int transpose_b)
{
    const long lda = (transpose_a ? m : k) + 3, ldb = (transpose_b ? k : n) + 1, ldc = n + 2;
    size_t a_count, b_count;
    float *a = make_matrix(transpose_a ? k : m, transpose_a ? m : k, lda, &a_count);
    float *b = make_matrix(transpose_b ? n : k, transpose_b ? k : n, ldb, &b_count);
    float *single = calloc((size_t)m * (size_t)ldc, sizeof(float));
    float *split = calloc((size_t)m * (size_t)ldc, sizeof(float));
    impl->multiply(m, n, k, a, lda, transpose_a, b, ldb, transpose_b, single, ldc);
    const int half = m / 2 + 1;
    row_range_job jobs[2] = {
        {impl->multiply, impl->free_thread_buffers, half, n, k, transpose_a, transpose_b, a, b, lda, ldb, ldc, split},
        {impl->multiply, impl->free_thread_buffers, m - half, n, k, transpose_a, transpose_b, a + (transpose_a ? (size_t)half : (size_t)half * (size_t)lda),
         b, lda, ldb, ldc, split + (size_t)half * (size_t)ldc},
    };
    pthread_t threads[2];
    for (int t = 0; t < 2; ++t) pthread_create(&threads[t], NULL, run_row_range, &jobs[t]);
    for (int t = 0; t < 2; ++t) pthread_join(threads[t], NULL);
    ++cases_run;
    if (memcmp(single, split, (size_t)m * (size_t)ldc * sizeof(float)) != 0) {
        ++failures;
        fprintf(stderr, "FAIL %s two threads m=%d n=%d k=%d ta=%d tb=%d: row ranges differ from one call\n", impl->name, m,
                n, k, transpose_a, transpose_b);
    }
    free(a);
    free(b);
    free(single);
    free(split);
}

static void check_implementation(const implementation *impl, int quick)
{
    static const int odd_sizes[] = {0, 1, 2, 5, 6, 7, 15, 16, 17, 63, 64, 65, 127, 129};
    static const int odd_depths[] = {0, 1, 2, 3, 7, 64, 255, 257, 513};
    const int odd_count = (int)(sizeof odd_sizes / sizeof odd_sizes[0]);
    const int depth_count = (int)(sizeof odd_depths / sizeof odd_depths[0]);
    const long before = cases_run, failed_before = failures;
    for (int transposes = 0; transposes < 4; ++transposes) {
        const int ta = transposes & 1, tb = transposes >> 1;
        /* odd and zero sizes */
        for (int mi = 0; mi < odd_count; mi += quick ? 3 : 1)
            for (int ni = 0; ni < odd_count; ni += quick ? 3 : 1)
                for (int ki = 0; ki < depth_count; ki += quick ? 4 : 2) {
                    test_case t = {odd_sizes[mi], odd_sizes[ni], odd_depths[ki], ta, tb, random_below(4), random_below(4),
                                   random_below(4), 0};
                    run_case(impl, t);
                }
        /* random shapes, some with NaN/Inf */
        for (int r = 0; r < (quick ? 15 : 150); ++r) {
            test_case t = {random_below(131), random_below(131), random_below(701), ta, tb, random_below(9),
                           random_below(9), random_below(9), r % 5 == 0 ? 1 + random_below(3) : 0};
            run_case(impl, t);
        }
        /* long k */
        if (!quick) {
            static const int long_depths[] = {1000, 2047, 3000};
            for (int d = 0; d < 3; ++d) {
                test_case t = {1 + random_below(70), 1 + random_below(70), long_depths[d], ta, tb, 1, 2, 3, 0};
                run_case(impl, t);
            }
        }
        /* the shapes the library uses, including thin ones */
        test_case shapes[] = {
            {2000, 64, 64, ta, tb, 0, 0, 0, 0}, {64, 64, 2000, ta, tb, 0, 0, 0, 0}, {2000, 2, 64, ta, tb, 0, 0, 0, 0},
            {2000, 64, 2, ta, tb, 0, 0, 0, 0},  {20, 64, 2, ta, tb, 0, 0, 0, 0},    {1, 64, 64, ta, tb, 0, 0, 0, 0},
            {64, 2, 2000, ta, tb, 1, 1, 1, 0},  {300, 3, 40, ta, tb, 2, 1, 1, 2},
            /* more columns than one packed block of op(B), directly and through C^T */
            {70, 1100, 300, ta, tb, 1, 2, 3, 0}, {2000, 7, 64, ta, tb, 3, 2, 1, 1},
        };
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
            if (quick && shapes[s].m * shapes[s].n * shapes[s].k > 100000) continue;
            run_case(impl, shapes[s]);
        }
        check_two_threads(impl, quick ? 29 : 301, 70, quick ? 40 : 300, ta, tb);
    }
    printf("%-9s %5ld cases, %ld failed\n", impl->name, cases_run - before, failures - failed_before);
}

int main(int argc, char **argv)
{
    const int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    implementation implementations[3];
    int count = 0;
    implementations[count++] = (implementation){"portable", metarl_gemm_portable, metarl_gemm_portable_free_thread_buffers};
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        implementations[count++] = (implementation){"avx2", metarl_gemm_avx2, metarl_gemm_avx2_free_thread_buffers};
    else
        printf("avx2      skipped (CPU lacks AVX2/FMA)\n");
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
        implementations[count++] = (implementation){"avx512", metarl_gemm_avx512, metarl_gemm_avx512_free_thread_buffers};
    else
        printf("avx512    skipped (CPU lacks AVX-512)\n");
#else
    /* elsewhere the x86 symbols forward to the portable code; check that they do */
    implementations[count++] = (implementation){"avx2", metarl_gemm_avx2, metarl_gemm_avx2_free_thread_buffers};
    implementations[count++] = (implementation){"avx512", metarl_gemm_avx512, metarl_gemm_avx512_free_thread_buffers};
#endif
    for (int i = 0; i < count; ++i) {
        check_implementation(&implementations[i], quick);
        implementations[i].free_thread_buffers();
    }
    printf("%ld cases, %ld failed; worst ||C - C_ref|| / || |A| |B| || = %.2g, worst ||C - C_ref|| / ||C_ref|| = %.2g\n",
           cases_run, failures, worst_error_to_magnitude, worst_error_to_reference);
    return failures == 0 ? 0 : 1;
}
