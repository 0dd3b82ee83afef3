/*
 * The Node-API face of @metarl/native. Every kernel takes the wasm heap as one Float32Array (the
 * tensors live there; nothing is copied) and an Int32Array of integer arguments (shapes, strides,
 * offsets in float elements into the heap). Before any kernel runs, every operand's extent is
 * checked against the heap's length: a bad offset throws a RangeError and touches nothing.
 * The heap may be a SharedArrayBuffer (the wasm backend's threaded build): a typed array over it
 * is read the same way.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "thread-pool.h"

#define MAX_RANK 16
#ifndef METARL_NATIVE_VERSION
#define METARL_NATIVE_VERSION "unknown"
#endif
/* The layout of the args arrays (NATIVE_INTERFACE_VERSION in load-native-kernels.ts). */
#define INTERFACE_VERSION 1

static const metarl_kernels *active = &metarl_kernels_portable;

/* ---- instruction sets ---- */

static int cpu_supports(const char *isa) {
  if (strcmp(isa, "portable") == 0) return 1;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  __builtin_cpu_init();
  if (strcmp(isa, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (strcmp(isa, "avx512") == 0)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("fma");
#endif
  return 0;
}

static const metarl_kernels *kernels_named(const char *isa) {
  if (strcmp(isa, "avx512") == 0) return &metarl_kernels_avx512;
  if (strcmp(isa, "avx2") == 0) return &metarl_kernels_avx2;
  if (strcmp(isa, "portable") == 0) return &metarl_kernels_portable;
  return 0;
}

static const char *best_isa(void) {
  if (cpu_supports("avx512")) return "avx512";
  if (cpu_supports("avx2")) return "avx2";
  return "portable";
}

/* ---- errors and arguments ---- */

static napi_value throw_range(napi_env env, const char *format, ...) {
  char message[512];
  va_list list;
  va_start(list, format);
  vsnprintf(message, sizeof message, format, list);
  va_end(list);
  napi_throw_range_error(env, "ERR_METARL_NATIVE_ARGUMENT", message);
  return 0;
}

typedef struct {
  float *data;
  int64_t length; /* in float elements */
} heap_view;

/* Reads (heap: Float32Array, args: Int32Array) and checks that args has at least `minimum` entries. */
static int read_call(napi_env env, napi_callback_info info, const char *kernel, heap_view *heap,
                     const int32_t **args, int64_t *count, int64_t minimum) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, 0, 0) != napi_ok || argc < 2) {
    throw_range(env, "%s: expected (heap: Float32Array, args: Int32Array)", kernel);
    return 0;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t byte_offset;
  bool is_typed;
  napi_is_typedarray(env, argv[0], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer,
                                            &byte_offset) != napi_ok ||
      type != napi_float32_array) {
    throw_range(env, "%s: heap must be a Float32Array", kernel);
    return 0;
  }
  heap->data = (float *)data;
  heap->length = (int64_t)length;
  napi_is_typedarray(env, argv[1], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[1], &type, &length, &data, &buffer,
                                            &byte_offset) != napi_ok ||
      type != napi_int32_array) {
    throw_range(env, "%s: args must be an Int32Array", kernel);
    return 0;
  }
  if ((int64_t)length < minimum) {
    throw_range(env, "%s: args has %lld entries, expected at least %lld", kernel,
                (long long)length, (long long)minimum);
    return 0;
  }
  *args = (const int32_t *)data;
  *count = (int64_t)length;
  return 1;
}

/*
 * Checks that the elements offset + sum_d i_d * stride_d (0 <= i_d < shape_d) all lie in the
 * heap; an operand with no elements only needs its offset in range.
 */
static int check_operand(napi_env env, const char *kernel, const char *name, const heap_view *heap,
                         int64_t offset, int rank, const int64_t *shape, const int64_t *stride) {
  int64_t last = offset;
  int empty = 0;
  for (int d = 0; d < rank; d += 1) {
    if (shape[d] < 0 || stride[d] < 0) {
      throw_range(env, "%s: %s has a negative size or stride (axis %d: size %lld, stride %lld)",
                  kernel, name, d, (long long)shape[d], (long long)stride[d]);
      return 0;
    }
    if (shape[d] == 0) empty = 1;
    else last += (shape[d] - 1) * stride[d];
  }
  if (offset < 0 || offset > heap->length || (!empty && last >= heap->length)) {
    throw_range(env,
                "%s: %s reaches elements %lld to %lld, outside the heap of %lld float elements",
                kernel, name, (long long)offset, (long long)last, (long long)heap->length);
    return 0;
  }
  return 1;
}

static int check_rank(napi_env env, const char *kernel, int64_t rank, int64_t count,
                      int64_t fixed, int64_t per_axis) {
  if (rank < 0 || rank > MAX_RANK) {
    throw_range(env, "%s: rank must be 0 to %d, got %lld", kernel, MAX_RANK, (long long)rank);
    return 0;
  }
  if (count < fixed + per_axis * rank) {
    throw_range(env, "%s: args has %lld entries, rank %lld needs %lld", kernel, (long long)count,
                (long long)rank, (long long)(fixed + per_axis * rank));
    return 0;
  }
  return 1;
}

/* ---- strided layouts ---- */

/*
 * A layout of up to three operands over one index space; operand 0 is the contiguous output.
 * collapse() drops axes of size 1 and merges neighbouring axes that every operand walks
 * contiguously, so that the innermost loop is as long as possible.
 */
typedef struct {
  int rank;
  int operands;
  int64_t shape[MAX_RANK];
  int64_t stride[3][MAX_RANK];
} layout;

static void collapse(layout *l) {
  int rank = 0;
  for (int d = 0; d < l->rank; d += 1) {
    if (l->shape[d] == 1) continue;
    if (rank > 0) {
      int mergeable = 1;
      for (int o = 0; o < l->operands; o += 1)
        if (l->stride[o][rank - 1] != l->stride[o][d] * l->shape[d]) mergeable = 0;
      if (mergeable) {
        l->shape[rank - 1] *= l->shape[d];
        for (int o = 0; o < l->operands; o += 1) l->stride[o][rank - 1] = l->stride[o][d];
        continue;
      }
    }
    l->shape[rank] = l->shape[d];
    for (int o = 0; o < l->operands; o += 1) l->stride[o][rank] = l->stride[o][d];
    rank += 1;
  }
  if (rank == 0) { /* a scalar: one axis of one element */
    l->shape[0] = 1;
    for (int o = 0; o < l->operands; o += 1) l->stride[o][0] = 1;
    rank = 1;
  }
  l->rank = rank;
}

static void set_contiguous(layout *l, int operand) {
  int64_t stride = 1;
  for (int d = l->rank - 1; d >= 0; d -= 1) {
    l->stride[operand][d] = stride;
    stride *= l->shape[d];
  }
}

static int64_t element_count(const layout *l) {
  int64_t count = 1;
  for (int d = 0; d < l->rank; d += 1) count *= l->shape[d];
  return count;
}

/*
 * Calls visit(offsets of each operand, inner length, inner strides) for every run of the innermost
 * axis, in row-major order.
 */
#define FOR_EACH_RUN(l, base, ...)                                                      \
  do {                                                                                  \
    int64_t index_[MAX_RANK] = {0};                                                     \
    int64_t at_[3] = {base[0], base[1], base[2]};                                       \
    const int inner_ = (l).rank - 1;                                                    \
    int64_t runs_ = 1;                                                                  \
    for (int d_ = 0; d_ < inner_; d_ += 1) runs_ *= (l).shape[d_];                      \
    for (int64_t r_ = 0; r_ < runs_; r_ += 1) {                                         \
      const int64_t *at = at_;                                                          \
      __VA_ARGS__;                                                                      \
      for (int d_ = inner_ - 1; d_ >= 0; d_ -= 1) {                                     \
        index_[d_] += 1;                                                                \
        for (int o_ = 0; o_ < (l).operands; o_ += 1) at_[o_] += (l).stride[o_][d_];     \
        if (index_[d_] < (l).shape[d_]) break;                                          \
        for (int o_ = 0; o_ < (l).operands; o_ += 1)                                    \
          at_[o_] -= (l).stride[o_][d_] * (l).shape[d_];                                \
        index_[d_] = 0;                                                                 \
      }                                                                                 \
    }                                                                                   \
  } while (0)

/* ---- kernels ---- */

/* args: [batch, m, n, k, transposeA, transposeB, aOffset, aBatchStride, bOffset, bBatchStride,
          cOffset, biasOffset (-1: none), biasBatchStride, activation (0 linear, 1 tanh)] */
typedef struct {
  const metarl_kernels *kernels;
  float *heap;
  int m, n, k, transpose_a, transpose_b, activation, row_block, blocks_per_matrix;
  int64_t a, a_batch, b, b_batch, c, bias, bias_batch;
} product_job;

static void run_product_unit(void *context, int unit) {
  const product_job *job = (const product_job *)context;
  int matrix = unit / job->blocks_per_matrix;
  int row = (unit % job->blocks_per_matrix) * job->row_block;
  int rows = job->m - row < job->row_block ? job->m - row : job->row_block;
  const float *a = job->heap + job->a + (int64_t)matrix * job->a_batch;
  a += job->transpose_a ? row : (int64_t)row * job->k;
  const float *b = job->heap + job->b + (int64_t)matrix * job->b_batch;
  float *c = job->heap + job->c + ((int64_t)matrix * job->m + row) * job->n;
  job->kernels->gemm(rows, job->n, job->k, a, job->transpose_a ? job->m : job->k, job->transpose_a,
                     b, job->transpose_b ? job->k : job->n, job->transpose_b, c, job->n);
  if (job->bias >= 0 || job->activation != METARL_LINEAR)
    job->kernels->bias_activation(
        rows, job->n, c, job->n,
        job->bias >= 0 ? job->heap + job->bias + (int64_t)matrix * job->bias_batch : 0,
        job->activation);
}

static napi_value mat_mul(napi_env env, napi_callback_info info) {
  heap_view heap;
  const int32_t *args;
  int64_t count;
  if (!read_call(env, info, "matMul", &heap, &args, &count, 14)) return 0;
  int64_t batch = args[0], m = args[1], n = args[2], k = args[3];
  product_job job = {active, heap.data, (int)m, (int)n, (int)k, args[4] != 0, args[5] != 0,
                     args[13], 0, 0, args[6], args[7], args[8], args[9], args[10], args[11],
                     args[12]};
  if (batch < 0 || m < 0 || n < 0 || k < 0)
    return throw_range(env, "matMul: sizes must be >= 0, got batch %lld, m %lld, n %lld, k %lld",
                       (long long)batch, (long long)m, (long long)n, (long long)k);
  if (job.activation != METARL_LINEAR && job.activation != METARL_TANH)
    return throw_range(env, "matMul: activation must be 0 (linear) or 1 (tanh), got %d",
                       job.activation);
  int64_t shape_a[3] = {batch, job.transpose_a ? k : m, job.transpose_a ? m : k};
  int64_t stride_a[3] = {job.a_batch, shape_a[2], 1};
  int64_t shape_b[3] = {batch, job.transpose_b ? n : k, job.transpose_b ? k : n};
  int64_t stride_b[3] = {job.b_batch, shape_b[2], 1};
  int64_t shape_c[3] = {batch, m, n};
  int64_t stride_c[3] = {m * n, n, 1};
  int64_t shape_bias[2] = {batch, n};
  int64_t stride_bias[2] = {job.bias_batch, 1};
  if (!check_operand(env, "matMul", "a", &heap, job.a, 3, shape_a, stride_a) ||
      !check_operand(env, "matMul", "b", &heap, job.b, 3, shape_b, stride_b) ||
      !check_operand(env, "matMul", "c", &heap, job.c, 3, shape_c, stride_c) ||
      (job.bias >= 0 &&
       !check_operand(env, "matMul", "bias", &heap, job.bias, 2, shape_bias, stride_bias)))
    return 0;
  if (batch == 0 || m == 0 || n == 0) return 0;
  /* Units: whole matrices, or blocks of rows when there are fewer matrices than threads. */
  int threads = metarl_threads();
  double work = 2.0 * (double)batch * (double)m * (double)n * (double)k;
  int blocks = 1;
  if (threads > 1 && work >= 1e6 && batch < 2 * threads) {
    blocks = (int)((2 * threads + batch - 1) / batch);
    if (blocks > m / 8) blocks = m / 8 > 0 ? (int)(m / 8) : 1;
  }
  job.row_block = (int)((m + blocks - 1) / blocks);
  job.blocks_per_matrix = (int)((m + job.row_block - 1) / job.row_block);
  int units = (int)batch * job.blocks_per_matrix;
  if (threads > 1 && work >= 1e6) metarl_run(run_product_unit, &job, units);
  else
    for (int unit = 0; unit < units; unit += 1) run_product_unit(&job, unit);
  return 0;
}

/* args: [n, xOffset, yOffset] */
static napi_value tanh_kernel(napi_env env, napi_callback_info info) {
  heap_view heap;
  const int32_t *args;
  int64_t count;
  if (!read_call(env, info, "tanh", &heap, &args, &count, 3)) return 0;
  int64_t n = args[0], one = 1;
  if (!check_operand(env, "tanh", "x", &heap, args[1], 1, &n, &one) ||
      !check_operand(env, "tanh", "y", &heap, args[2], 1, &n, &one))
    return 0;
  active->tanh(n, heap.data + args[1], heap.data + args[2]);
  return 0;
}

/* args: [op, rank, outOffset, aOffset, bOffset, shape[rank], aStrides[rank], bStrides[rank]] */
static napi_value binary(napi_env env, napi_callback_info info) {
  heap_view heap;
  const int32_t *args;
  int64_t count;
  if (!read_call(env, info, "binary", &heap, &args, &count, 5)) return 0;
  int op = args[0];
  int64_t rank = args[1];
  if (op < METARL_ADD || op > METARL_DIV)
    return throw_range(env, "binary: op must be 0 (add), 1 (sub), 2 (mul) or 3 (div), got %d", op);
  if (!check_rank(env, "binary", rank, count, 5, 3)) return 0;
  layout l = {.rank = (int)rank, .operands = 3};
  for (int d = 0; d < rank; d += 1) {
    l.shape[d] = args[5 + d];
    l.stride[1][d] = args[5 + rank + d];
    l.stride[2][d] = args[5 + 2 * rank + d];
  }
  set_contiguous(&l, 0);
  int64_t base[3] = {args[2], args[3], args[4]};
  if (!check_operand(env, "binary", "out", &heap, base[0], l.rank, l.shape, l.stride[0]) ||
      !check_operand(env, "binary", "a", &heap, base[1], l.rank, l.shape, l.stride[1]) ||
      !check_operand(env, "binary", "b", &heap, base[2], l.rank, l.shape, l.stride[2]))
    return 0;
  if (element_count(&l) == 0) return 0;
  collapse(&l);
  const int inner = l.rank - 1;
  const int64_t n = l.shape[inner], sa = l.stride[1][inner], sb = l.stride[2][inner];
  float *h = heap.data;
  if ((sa == 0 || sa == 1) && (sb == 0 || sb == 1)) {
    FOR_EACH_RUN(l, base, active->binary(op, n, h + at[1], sa, h + at[2], sb, h + at[0]));
  } else {
    FOR_EACH_RUN(l, base, {
      for (int64_t i = 0; i < n; i += 1)
        active->binary(op, 1, h + at[1] + i * sa, 0, h + at[2] + i * sb, 0, h + at[0] + i);
    });
  }
  return 0;
}

/* args: [outer, reduce, inner, xOffset, outOffset]: out[o, i] = sum over r of x[o, r, i]. */
static napi_value sum(napi_env env, napi_callback_info info) {
  heap_view heap;
  const int32_t *args;
  int64_t count;
  if (!read_call(env, info, "sum", &heap, &args, &count, 5)) return 0;
  int64_t shape[3] = {args[0], args[1], args[2]};
  int64_t stride[3] = {shape[1] * shape[2], shape[2], 1};
  int64_t out_shape[2] = {shape[0], shape[2]};
  int64_t out_stride[2] = {shape[2], 1};
  if (!check_operand(env, "sum", "x", &heap, args[3], 3, shape, stride) ||
      !check_operand(env, "sum", "out", &heap, args[4], 2, out_shape, out_stride))
    return 0;
  const float *x = heap.data + args[3];
  float *out = heap.data + args[4];
  for (int64_t o = 0; o < shape[0]; o += 1) {
    const float *block = x + o * stride[0];
    float *row = out + o * shape[2];
    if (shape[2] == 1) {
      row[0] = active->sum(shape[1], block);
      continue;
    }
    memset(row, 0, (size_t)shape[2] * sizeof(float));
    for (int64_t r = 0; r < shape[1]; r += 1) active->accumulate(shape[2], block + r * shape[2], row);
  }
  return 0;
}

/* args: [rank, srcOffset, dstOffset, shape[rank], srcStrides[rank]]: a strided gather of 4-byte
   elements into a contiguous destination (transpose, tile, slice, broadcast). */
static napi_value copy(napi_env env, napi_callback_info info) {
  heap_view heap;
  const int32_t *args;
  int64_t count;
  if (!read_call(env, info, "copy", &heap, &args, &count, 3)) return 0;
  int64_t rank = args[0];
  if (!check_rank(env, "copy", rank, count, 3, 2)) return 0;
  layout l = {.rank = (int)rank, .operands = 2};
  for (int d = 0; d < rank; d += 1) {
    l.shape[d] = args[3 + d];
    l.stride[1][d] = args[3 + rank + d];
  }
  set_contiguous(&l, 0);
  int64_t base[3] = {args[2], args[1], 0};
  if (!check_operand(env, "copy", "destination", &heap, base[0], l.rank, l.shape, l.stride[0]) ||
      !check_operand(env, "copy", "source", &heap, base[1], l.rank, l.shape, l.stride[1]))
    return 0;
  if (element_count(&l) == 0) return 0;
  collapse(&l);
  const int inner = l.rank - 1;
  const int64_t n = l.shape[inner], s = l.stride[1][inner];
  uint32_t *h = (uint32_t *)heap.data;
  if (l.rank >= 2 && s != 1 && l.stride[1][inner - 1] == 1) {
    /* A transpose of the last two axes: [rows, n] read column by column, written in 32 x 32
       tiles so that both the strided reads and the writes stay in cache. */
    const int64_t rows = l.shape[inner - 1];
    layout blocks = l;
    blocks.rank = l.rank - 1;
    FOR_EACH_RUN(blocks, base, {
      uint32_t *to = h + at[0];
      const uint32_t *from = h + at[1];
      for (int64_t r0 = 0; r0 < rows; r0 += 32)
        for (int64_t c0 = 0; c0 < n; c0 += 32) {
          const int64_t r1 = r0 + 32 < rows ? r0 + 32 : rows, c1 = c0 + 32 < n ? c0 + 32 : n;
          for (int64_t r = r0; r < r1; r += 1)
            for (int64_t c = c0; c < c1; c += 1) to[r * n + c] = from[r + c * s];
        }
    });
  } else if (s == 1) {
    FOR_EACH_RUN(l, base, memcpy(h + at[0], h + at[1], (size_t)n * 4));
  } else {
    FOR_EACH_RUN(l, base, {
      uint32_t *to = h + at[0];
      const uint32_t *from = h + at[1];
      for (int64_t i = 0; i < n; i += 1) to[i] = from[i * s];
    });
  }
  return 0;
}

/* ---- settings ---- */

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t threads = 0;
  napi_get_cb_info(env, info, &argc, argv, 0, 0);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &threads) != napi_ok || threads < 1 ||
      threads > METARL_MAXIMUM_THREADS)
    return throw_range(env, "setThreads: threads must be an integer from 1 to %d",
                       METARL_MAXIMUM_THREADS);
  if (metarl_set_threads(threads) != 0) {
    napi_throw_error(env, "ERR_METARL_NATIVE_THREADS", "setThreads: could not start the threads");
  }
  return 0;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value value;
  napi_create_int32(env, metarl_threads(), &value);
  return value;
}

static napi_value get_isa(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value value;
  napi_create_string_utf8(env, active->isa, NAPI_AUTO_LENGTH, &value);
  return value;
}

static napi_value set_isa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[32] = {0};
  size_t length = 0;
  napi_get_cb_info(env, info, &argc, argv, 0, 0);
  if (argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok ||
      kernels_named(name) == 0)
    return throw_range(env, "setIsa: isa must be 'avx512', 'avx2' or 'portable'");
  if (!cpu_supports(name)) {
    napi_throw_error(env, "ERR_METARL_NATIVE_ISA", "setIsa: this CPU does not support that isa");
    return 0;
  }
  active = kernels_named(name);
  return 0;
}

static napi_value supported_isas(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value list;
  napi_create_array(env, &list);
  const char *names[3] = {"avx512", "avx2", "portable"};
  uint32_t at = 0;
  for (int i = 0; i < 3; i += 1) {
    if (!cpu_supports(names[i])) continue;
    napi_value name;
    napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, list, at++, name);
  }
  return list;
}

static napi_value initialise(napi_env env, napi_value exports) {
  const char *forced = getenv("METARL_NATIVE_ISA");
  const char *isa = forced != 0 && forced[0] != 0 ? forced : best_isa();
  if (kernels_named(isa) == 0 || !cpu_supports(isa)) {
    char message[256];
    snprintf(message, sizeof message,
             "METARL_NATIVE_ISA=%s: expected one of this CPU's instruction sets (best: %s; "
             "'avx512', 'avx2' or 'portable')",
             isa, best_isa());
    napi_throw_error(env, "ERR_METARL_NATIVE_ISA", message);
    return 0;
  }
  active = kernels_named(isa);
  napi_property_descriptor properties[] = {
      {"matMul", 0, mat_mul, 0, 0, 0, napi_enumerable, 0},
      {"tanh", 0, tanh_kernel, 0, 0, 0, napi_enumerable, 0},
      {"binary", 0, binary, 0, 0, 0, napi_enumerable, 0},
      {"sum", 0, sum, 0, 0, 0, napi_enumerable, 0},
      {"copy", 0, copy, 0, 0, 0, napi_enumerable, 0},
      {"setThreads", 0, set_threads, 0, 0, 0, napi_enumerable, 0},
      {"threads", 0, get_threads, 0, 0, 0, napi_enumerable, 0},
      {"isa", 0, get_isa, 0, 0, 0, napi_enumerable, 0},
      {"setIsa", 0, set_isa, 0, 0, 0, napi_enumerable, 0},
      {"supportedIsas", 0, supported_isas, 0, 0, 0, napi_enumerable, 0},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  napi_value version;
  napi_create_string_utf8(env, METARL_NATIVE_VERSION, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "version", version);
  napi_value interface_version;
  napi_create_int32(env, INTERFACE_VERSION, &interface_version);
  napi_set_named_property(env, exports, "interfaceVersion", interface_version);
  return exports;
}

NAPI_MODULE_INIT() { return initialise(env, exports); }
