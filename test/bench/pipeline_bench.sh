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

echo "== face-api 1.7.15 (tfjs wasm, one thread), same photos, same run"
if command -v node >/dev/null && command -v npm >/dev/null; then
	nice node test/golden/generate.mjs --timing-only --reps 3 --out "$out" >/dev/null 2>&1 &&
		column -t -s "$(printf '\t')" < "$out/timing.txt" || echo "(face-api run failed)"
else
	echo "(node/npm not installed: skipped)"
fi
