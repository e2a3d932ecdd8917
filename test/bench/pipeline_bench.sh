#!/usr/bin/env bash
# test/bench/pipeline_bench.sh: the face pipeline's speed on face-api's six sample photos,
# one core, next to the reference face-api measured in the same run.
#
#   bash test/bench/pipeline_bench.sh [runs]        (default 5 timed runs per photo)
#
# 1. face-cli --bench: per-stage wall milliseconds and the whole call's CPU milliseconds
#    (best and median of the runs, after a
#    warm-up) of decode, detect, landmarks, align, recognise, and the process's peak RSS.
# 2. The same photos through embed() in a backend of a private cluster: wall time
#    per photo and the backend's peak memory (VmHWM).
# 3. face-api 1.7.15 (tfjs wasm, one thread) on the same photos via
#    test/golden/generate.mjs --timing-only (needs node + npm; skipped otherwise).
# Needs make && make models.  Runs niced; the machine is shared, so compare ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
samples=$(ls models/samples/sample?.jpg)
out=$(mktemp -d "${TMPDIR:-/tmp}/face-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "== face-cli --bench $runs (one core; best / median ms)"
# shellcheck disable=SC2086
OPENBLAS_NUM_THREADS=1 nice ./face-cli --bench "$runs" $samples | tee "$out/cli.txt" | awk -F'\t' '
$1 == "bench" { n = split($2, p, "/"); printf "%-12s faces %s %s", p[n], $4, $8
	for (i = 9; i <= NF; i += 3) printf "  %s %s/%s", $i, $(i + 1), $(i + 2); printf "\n" }
$1 == "peak_rss_mb" { print "peak RSS " $2 " MB" }'

echo "== embed() in a backend (private cluster)"
. test/lib/cluster.sh
trap 'cluster_cleanup; rm -rf "$out"' EXIT
cluster_init --private-install >/dev/null
cluster_start
cluster_psql -q -At <<'SQL'
CREATE EXTENSION face;
CREATE TABLE p AS SELECT n, pg_read_binary_file(current_setting('face.model_dir') || '/samples/sample' || n || '.jpg') AS img FROM generate_series(1, 6) n;
SELECT count(*) FROM p, faces(img);          -- warm-up: loads the models
CREATE TEMP TABLE t (n int, ms float8);
DO $$
DECLARE r record; t0 timestamptz;
BEGIN
	FOR r IN SELECT * FROM p ORDER BY n LOOP
		t0 := clock_timestamp();
		PERFORM count(*) FROM faces(r.img);
		INSERT INTO t VALUES (r.n, extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
END $$;
SELECT 'sample' || n || '.jpg  faces() ' || round(ms::numeric, 1) || ' ms' FROM t ORDER BY n;
SELECT 'backend peak memory (VmHWM): ' || substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\s*(\d+ kB)');
SQL

echo "== faces() per stage in a backend: face.precision exact vs fast, alternated photo by photo"
# The pipeline logs its stage times at DEBUG1 (embed.c); a RAISE DEBUG marks the precision.
# Per stage: median over all photos and runs of each precision, and exact/fast.
{
	echo "SET client_min_messages = debug1;"
	echo "SELECT count(*) FROM (SELECT n, pg_read_binary_file(current_setting('face.model_dir') || '/samples/sample' || n || '.jpg') AS img FROM generate_series(1, 6) n) p, faces(img);"
	for r in $(seq "$runs"); do
		for n in 1 2 3 4 5 6; do
			for prec in exact fast; do
				echo "SET face.precision = $prec; DO \$\$ BEGIN RAISE DEBUG 'precision $prec'; END \$\$;"
				echo "SELECT count(*) FROM faces(pg_read_binary_file(current_setting('face.model_dir') || '/samples/sample$n.jpg'));"
			done
		done
	done
} | cluster_psql -q -At 2>&1 >/dev/null | awk -v kernels="$(make -s test/unit/test_gemm >/dev/null && test/unit/test_gemm | head -1)" '
/precision (exact|fast)/ { prec = $NF; next }
/faces: [0-9]+ face/ && prec != "" {
	for (i = 1; i <= NF; i++) if ($(i + 1) == "ms" || $(i + 1) == "ms,") {
		st = $(i - 1); v = $i; sub(/,$/, "", st)
		cnt[prec, st]++; val[prec, st, cnt[prec, st]] = v
	}
	prec = "" }
function median(p, st,   n, i, j, t, a) {
	n = cnt[p, st]; for (i = 1; i <= n; i++) a[i] = val[p, st, i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n ? a[int((n + 1) / 2)] : 0 }
END {
	print kernels
	printf "%-10s %10s %10s %8s\n", "stage", "exact ms", "fast ms", "ratio"
	split("detect landmarks align recognize total", s, " ")
	for (k = 1; k <= 5; k++) { e = median("exact", s[k]); f = median("fast", s[k])
		printf "%-10s %10.1f %10.1f %7.2fx\n", s[k], e, f, (f > 0 ? e / f : 0) }
	printf "(%d calls each; medians over the six photos and the runs)\n", cnt["exact", "total"] }'

echo "== face-api 1.7.15 (tfjs wasm, one thread), same photos, same run"
if command -v node >/dev/null && command -v npm >/dev/null; then
	nice node test/golden/generate.mjs --timing-only --reps 3 --out "$out" >/dev/null 2>&1 &&
		column -t -s "$(printf '\t')" < "$out/timing.txt" || echo "(face-api run failed)"
else
	echo "(node/npm not installed: skipped)"
fi
