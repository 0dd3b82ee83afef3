{
  "targets": [
    {
      "target_name": "metarl_native",
      "sources": [
        "../src/addon.c",
        "../src/thread-pool.c",
        "../src/kernels-portable.c",
        "../src/kernels-avx2.c",
        "../src/kernels-avx512.c",
        "../src/gemm-portable.c",
        "../src/gemm-avx2.c",
        "../src/gemm-avx512.c"
      ],
      "cflags": ["-std=gnu11", "-O3", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags!": ["-O2"],
      "libraries": ["-lpthread"],
      "defines": ["NAPI_VERSION=8", "METARL_NATIVE_VERSION=\"<!(node -p \"require('../package.json').version\")\""]
    }
  ]
}
