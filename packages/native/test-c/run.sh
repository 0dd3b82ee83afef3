#!/bin/sh
# Builds the matrix-product check and benchmark with gcc (no -m flags, as the addon is built) and
# runs them: the full check, a quick check under AddressSanitizer/UBSan and, when valgrind is
# installed, under valgrind, then the benchmark. Exits non-zero on any failure.
# Usage: test-c/run.sh [benchmark seconds per shape]   (SKIP_BENCH=1 to skip the benchmark)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../src"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CC=${CC:-gcc}
sources="$src/gemm-avx512.c $src/gemm-avx2.c $src/gemm-portable.c"
flags="-O3 -std=c11 -fPIC -Wall -Wextra"

$CC $flags -pthread "$here/gemm-check.c" $sources -lm -o "$out/gemm-check"
$CC $flags "$here/gemm-bench.c" $sources -o "$out/gemm-bench"
$CC -O1 -g -std=c11 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -pthread \
    "$here/gemm-check.c" $sources -lm -o "$out/gemm-check-sanitized"
$CC -O1 -g -std=c11 -pthread "$here/gemm-check.c" $sources -lm -o "$out/gemm-check-debug"

echo "== check"
"$out/gemm-check"
echo "== check (quick) under AddressSanitizer and UBSan"
"$out/gemm-check-sanitized" --quick
if command -v valgrind >/dev/null 2>&1; then
    echo "== check (quick) under valgrind (its CPU model has no AVX-512, so that part is skipped there)"
    valgrind --quiet --error-exitcode=1 "$out/gemm-check-debug" --quick
fi
if [ "${SKIP_BENCH:-0}" != 1 ]; then
    echo "== benchmark"
    "$out/gemm-bench" "${1:-0.3}"
fi
