/*
 * Single-thread throughput of the matrix products in src/gemm.h, in GFLOP/s = 2 m n k / time,
 * for each instruction set the CPU supports, on the shapes of a meta-RL policy's MLP
 * (forward, weight gradient, input gradient, thin first/last layers, small batches) and a
 * 1024^3 square product for reference. Each figure is the median over repeats.
 *
 * Usage: gemm-bench [seconds per shape, default 0.3]
 */
#define _POSIX_C_SOURCE 200809L
#include "../src/gemm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*gemm_function)(int, int, int, const float *, long, int, const float *, long, int, float *, long);

typedef struct {
    const char *label;
    int m, n, k, transpose_a, transpose_b;
} shape;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_doubles(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static float *random_matrix(size_t count)
{
    float *matrix = malloc(count * sizeof(float));
    unsigned state = 12345u;
    for (size_t i = 0; i < count; ++i) {
        state = state * 1664525u + 1013904223u;
        matrix[i] = (float)(state >> 8) / 16777216.0f - 0.5f;
    }
    return matrix;
}

/* Median GFLOP/s: each sample times enough calls to last ~1 ms; samples until the time budget. */
static double measure(gemm_function multiply, const shape *s, double budget)
{
    const int m = s->m, n = s->n, k = s->k;
    const long lda = s->transpose_a ? m : k, ldb = s->transpose_b ? k : n, ldc = n;
    float *a = random_matrix((size_t)m * k), *b = random_matrix((size_t)k * n), *c = random_matrix((size_t)m * n);
    const double flops = 2.0 * m * n * k;
    multiply(m, n, k, a, lda, s->transpose_a, b, ldb, s->transpose_b, c, ldc);
    double start = now_seconds();
    multiply(m, n, k, a, lda, s->transpose_a, b, ldb, s->transpose_b, c, ldc);
    double once = now_seconds() - start;
    int calls = once > 1e-3 ? 1 : (int)(1e-3 / (once > 1e-8 ? once : 1e-8)) + 1;
    double samples[1001];
    int count = 0;
    const double begin = now_seconds();
    while (count < 1001 && (count < 5 || now_seconds() - begin < budget)) {
        start = now_seconds();
        for (int call = 0; call < calls; ++call)
            multiply(m, n, k, a, lda, s->transpose_a, b, ldb, s->transpose_b, c, ldc);
        samples[count++] = flops * calls / (now_seconds() - start) * 1e-9;
    }
    qsort(samples, (size_t)count, sizeof samples[0], compare_doubles);
    free(a);
    free(b);
    free(c);
    return samples[count / 2];
}

int main(int argc, char **argv)
{
    const double budget = argc > 1 ? atof(argv[1]) : 0.3;
    static const shape shapes[] = {
        {"1 [2000,64]x[64,64]", 2000, 64, 64, 0, 0},
        {"2 [2000,64]^T x [2000,64]", 64, 64, 2000, 1, 0},
        {"3 [2000,64]x[64,64]^T", 2000, 64, 64, 0, 1},
        {"4 [40000,64]x[64,64]", 40000, 64, 64, 0, 0},
        {"5 [40000,2]x[2,64]", 40000, 64, 2, 0, 0},
        {"5 [40000,64]x[64,2]", 40000, 2, 64, 0, 0},
        {"6 [64,64]x[64,64]", 64, 64, 64, 0, 0},
        {"6 [20,64]x[64,64]", 20, 64, 64, 0, 0},
        {"6 [1,64]x[64,64]", 1, 64, 64, 0, 0},
        {"6 [20,2]x[2,64]", 20, 64, 2, 0, 0},
        {"7 1024^3", 1024, 1024, 1024, 0, 0},
    };
    const char *names[3];
    gemm_function functions[3];
    int count = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma")) {
        names[count] = "avx512";
        functions[count++] = metarl_gemm_avx512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        names[count] = "avx2";
        functions[count++] = metarl_gemm_avx2;
    }
#endif
    names[count] = "portable";
    functions[count++] = metarl_gemm_portable;

    printf("GFLOP/s, single thread, median\n%-28s", "shape (m x n x k)");
    for (int f = 0; f < count; ++f) printf(" %9s", names[f]);
    printf("\n");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
        printf("%-28s", shapes[s].label);
        fflush(stdout);
        for (int f = 0; f < count; ++f) {
            printf(" %9.1f", measure(functions[f], &shapes[s], budget));
            fflush(stdout);
        }
        printf("\n");
    }
    return 0;
}
