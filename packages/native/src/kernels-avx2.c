/* The AVX2 + FMA kernel table (x86-64 only; elsewhere the portable loops under this name). */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h> /* before the target pragma: the intrinsics header must see the default target */
#pragma GCC target("avx2,fma")
#endif
#define SUFFIX(name) name##_avx2
#define SUFFIX_NAME "avx2"
#include "elementwise-body.h"
