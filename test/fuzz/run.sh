#!/usr/bin/env bash
# test/fuzz/run.sh [seconds]: build fuzz_pipeline with clang (libFuzzer, ASan, UBSan)
# and run it for a while (default 300 s) on a corpus seeded with small valid and broken
# images.  Crashing inputs land in test/fuzz/crashes/; once fixed, keep each as a case in
# test/unit/test_pipeline.c (or sql/embed_errors.sql) and in test/fuzz/regressions/.
# FUZZ_RUNS=100000 stops after that many executions.  Needs clang and libFuzzer: on
# Debian 12, apt-get install clang libclang-rt-14-dev (not a CI dependency).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-300}
BLAS_DIR=${BLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-serial}
out=test/fuzz/build; mkdir -p "$out" test/fuzz/crashes "$out/corpus"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
objs=
for src in $(find src/core -name "*.c" | sort); do
	obj=$out/$(basename "$src" .c).o
	# Kernels with run-time dispatch (target_clones, fc_simd.h) are pure arithmetic on
	# buffers the rest allocates and checks; clang does not link them, gcc builds them.
	if grep -q fc_simd.h "$src"; then
		gcc -O2 -g -std=gnu11 -Isrc -c "$src" -o "$obj"
	else
		clang -O1 -g $san -fsanitize=fuzzer-no-link -Isrc -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
done
# shellcheck disable=SC2086
clang -g -O1 $san -fsanitize=fuzzer -Isrc -o "$out/fuzz_pipeline" \
	test/fuzz/fuzz_pipeline.c $objs -L"$BLAS_DIR" -Wl,-rpath,"$BLAS_DIR" -lopenblas -lpng16 -ljpeg -lm
# seeds: the small face crops and half-size photos make models wrote, plus regressions
cp models/samples/*_face*.png "$out/corpus/" 2>/dev/null || true
cp test/fuzz/regressions/* "$out/corpus/" 2>/dev/null || true
runs=${FUZZ_RUNS:+-runs=$FUZZ_RUNS}
# shellcheck disable=SC2086
ASAN_OPTIONS=detect_leaks=1 nice -n 10 "$out/fuzz_pipeline" $runs -print_final_stats=1 -max_total_time="$secs" -max_len=65536 \
	-timeout=20 -rss_limit_mb=4096 -artifact_prefix=test/fuzz/crashes/ "$out/corpus"
