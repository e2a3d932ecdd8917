#!/usr/bin/env bash
# test/bench/exact_scan.sh: exact nearest-neighbour scan over random face embeddings.
#
#   nice bash test/bench/exact_scan.sh            1,000,000 rows x 128-D, 5 queries
#   ROWS=100000 QUERIES=3 bash test/bench/exact_scan.sh
#
# Starts a private cluster (test/lib/cluster.sh), loads ROWS random 128-D rows with a
# binary COPY from gen_embeddings.c, and times `SELECT id FROM t ORDER BY emb <-> q
# LIMIT 10` (no index: a sequential scan computing every distance, top-10 heap sort)
# with each distance-kernel ISA this CPU runs (face.distance_isa), next to same-run
# baselines on the same table: count(*) (the bare scan) and max(dims(emb)) (scan +
# detoast + one function call per row).  Prints medians over the queries, rows/s and
# ratios.  One backend, no parallel workers: the figure is per core.  First, the kernels
# alone (bench_distance.c): ns per distance for each ISA, in cache and streamed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-1000000}
QUERIES=${QUERIES:-5}
DIM=128

make -s >/dev/null
. test/lib/cluster.sh
# wal_level = minimal: the table is created and loaded in one transaction, without WAL
FACE_EXTRA_CONF="shared_buffers = 1536MB
max_parallel_workers_per_gather = 0
jit = off
wal_level = minimal
max_wal_senders = 0"
trap cluster_cleanup EXIT
cluster_init --private-install
cluster_start
cc -O2 -o "$FACE_TMP/gen_embeddings" test/bench/gen_embeddings.c
cc -O2 -std=gnu11 -Isrc -o "$FACE_TMP/bench_distance" test/bench/bench_distance.c src/core/vec/distance*.c -lm
"$FACE_TMP/bench_distance" $DIM
psql() { cluster_psql -q "$@"; }

psql -c "CREATE EXTENSION face"
t0=$(date +%s.%N)
"$FACE_TMP/gen_embeddings" "$ROWS" "$DIM" 42 |
	psql -1 -c "CREATE TABLE t (id int, emb face_embedding($DIM))" -c "COPY t FROM STDIN (FORMAT binary)"
t1=$(date +%s.%N)
psql -c "VACUUM ANALYZE t"

psql -At -F' ' > "$FACE_TMP/summary" <<SQL
CREATE FUNCTION pg_temp.ms(q text) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE q;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END \$\$;
-- median of ms(q) over reps runs
CREATE FUNCTION pg_temp.median_ms(q text, reps int) RETURNS float8 LANGUAGE sql AS \$\$
	SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_temp.ms(q)) FROM generate_series(1, reps)
\$\$;
-- query vectors: fresh random points, not rows of the table
CREATE TEMP TABLE queries AS
	SELECT k, (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, $DIM) WHERE k > 0)::face_embedding AS q
	FROM generate_series(1, $QUERIES) k;
CREATE TEMP TABLE results (what text, isa text, ms float8, top10 int[]);

-- Load the table into shared buffers: a seq scan of a table over 1/4 of shared_buffers
-- reads through a small ring and would otherwise measure read() from the OS cache.
CREATE EXTENSION pg_prewarm;
SELECT 'prewarmed', pg_prewarm('t');
INSERT INTO results SELECT 'count(*)', '', pg_temp.median_ms('SELECT count(*) FROM t', $QUERIES);
INSERT INTO results SELECT 'max(dims(emb))', '', pg_temp.median_ms('SELECT max(dims(emb)) FROM t', $QUERIES);
-- what the extension replaces: L2 in plain SQL over real[] (20,000 rows; it is slow)
CREATE TEMP TABLE t_arr AS SELECT id, emb::real[] AS a FROM t WHERE id <= 20000;
INSERT INTO results SELECT 'sql_real_array', '', pg_temp.ms(format(
	'SELECT id FROM t_arr ORDER BY (SELECT sum((x - y) ^ 2) FROM unnest(a, %L::real[]) u(x, y)) LIMIT 10',
	(SELECT q::real[] FROM queries WHERE k = 1)));

DO \$\$
DECLARE
	isa text;
	r record;
	t0 timestamptz;
	ids int[];
BEGIN
	-- ISAs interleaved per query, so load changes on a shared machine hit them alike
	FOR r IN SELECT k, q FROM queries ORDER BY k LOOP
		FOREACH isa IN ARRAY ARRAY['scalar', 'avx2', 'avx512'] LOOP
			BEGIN
				PERFORM set_config('face.distance_isa', isa, false);
			EXCEPTION WHEN invalid_parameter_value THEN
				CONTINUE;		-- this CPU cannot run it
			END;
			t0 := clock_timestamp();
			EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM t ORDER BY emb <-> %L LIMIT 10) s', r.q)
				INTO ids;
			INSERT INTO results VALUES ('<-> k=' || r.k, isa,
				extract(epoch FROM clock_timestamp() - t0) * 1000, ids);
		END LOOP;
	END LOOP;
	PERFORM set_config('face.distance_isa', 'auto', false);
	-- the other operators, with the default kernels
	FOR r IN SELECT k, q FROM queries ORDER BY k LOOP
		t0 := clock_timestamp();
		EXECUTE format('SELECT id FROM t ORDER BY emb <=> %L LIMIT 10', r.q);
		INSERT INTO results VALUES ('<=>', 'auto', extract(epoch FROM clock_timestamp() - t0) * 1000);
		t0 := clock_timestamp();
		EXECUTE format('SELECT id FROM t ORDER BY emb <#> %L LIMIT 10', r.q);
		INSERT INTO results VALUES ('<#>', 'auto', extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
END \$\$;

SELECT 'table', pg_table_size('t') / 1048576, (SELECT count(*) FROM t);
SELECT 'default_isa', face_distance_isa();
SELECT 'count', ms FROM results WHERE what = 'count(*)';
SELECT 'dims', ms FROM results WHERE what = 'max(dims(emb))';
SELECT 'sqlarr', ms, (SELECT count(*) FROM t_arr) FROM results WHERE what = 'sql_real_array';
SELECT 'l2_' || isa, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM results
	WHERE what LIKE '<-> %' GROUP BY isa;
SELECT 'cos', percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM results WHERE what = '<=>';
SELECT 'ip', percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM results WHERE what = '<#>';
-- every ISA must return the same ten rows for each query
SELECT 'same_top10', count(DISTINCT (what, top10)) = count(DISTINCT what) FROM results WHERE what LIKE '<-> %';
SQL

awk -v rows="$ROWS" -v dim="$DIM" -v queries="$QUERIES" -v load="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '
	{ v[$1] = $2; w[$1] = $3 }
	function rate(ms) { return sprintf("%10.0f rows/s", rows / (ms / 1000)) }
	END {
		printf "exact scan: %d rows x %d-D (%d MB), %d queries, 1 backend; CPU kernels: %s\n",
			w["table"], dim, v["table"], queries, v["default_isa"]
		printf "load (binary COPY): %.1f s, %.0f rows/s; %d pages in shared buffers\n", load, rows / load, v["prewarmed"]
		printf "%-44s %9.1f ms %s\n", "baseline: SELECT count(*) FROM t", v["count"], rate(v["count"])
		printf "%-44s %9.1f ms %s\n", "baseline: SELECT max(dims(emb)) FROM t", v["dims"], rate(v["dims"])
		n = split("scalar avx2 avx512", isas, " ")
		for (i = 1; i <= n; i++) {
			k = "l2_" isas[i]
			if (!(k in v)) { printf "ORDER BY emb <-> q LIMIT 10 [%s]: not available on this CPU\n", isas[i]; continue }
			printf "%-44s %9.1f ms %s  x%.2f of count(*), x%.2f vs scalar\n",
				"ORDER BY emb <-> q LIMIT 10 [" isas[i] "]", v[k], rate(v[k]),
				v[k] / v["count"], v["l2_scalar"] / v[k]
		}
		sqlrate = w["sqlarr"] / (v["sqlarr"] / 1000)
		printf "%-44s %9.1f ms %10.0f rows/s  (on %d rows)\n", "baseline: same L2 in SQL over real[] (unnest)",
			v["sqlarr"], sqlrate, w["sqlarr"]
		printf "%-44s x%.1f\n", "face_embedding <-> [default] vs SQL real[]", rows / (v["l2_" v["default_isa"]] / 1000) / sqlrate
		printf "%-44s %9.1f ms %s\n", "ORDER BY emb <=> q LIMIT 10 [auto]", v["cos"], rate(v["cos"])
		printf "%-44s %9.1f ms %s\n", "ORDER BY emb <#> q LIMIT 10 [auto]", v["ip"], rate(v["ip"])
		printf "same top-10 with every ISA: %s\n", v["same_top10"] == "t" ? "yes" : "NO"
		if (v["same_top10"] != "t") exit 1
	}' "$FACE_TMP/summary"
