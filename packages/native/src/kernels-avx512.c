/* The AVX-512 kernel table (x86-64 only; elsewhere the portable loops under this name). */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h> /* before the target pragma: the intrinsics header must see the default target */
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
#endif
#define SUFFIX(name) name##_avx512
#define SUFFIX_NAME "avx512"
#include "elementwise-body.h"
