#!/bin/bash
# cluster_bench.sh: face_cluster's quality (pairwise F1, adjusted Rand index against the
# true people) and time, per method and threshold, on
#   - the labelled face crops of ../shared/faces/bbt (8 people x 5 crops, embed_crop), and
#   - synthetic people of the bench generator (../shared/bench/gen_faces.c), N rows.
# Noise rows count as singleton clusters.  Runs on a private temporary cluster.
#   nice bash test/bench/cluster_bench.sh [N ...]     (default N: 10000)
# SYN_THRESHOLDS="0.8" limits the synthetic runs' thresholds (for 100000 and more).
# Uses /work/shared (never committed, never needed by tests).
set -e
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-/work/shared}
SIZES=${*:-10000}
. test/lib/cluster.sh
trap cluster_cleanup EXIT
cluster_init --private-install >/dev/null
cluster_start >/dev/null
gcc -O2 -o "$FACE_TMP/gen_faces" "$SHARED/bench/gen_faces.c" -lm

cluster_psql -X -q <<'SQL'
CREATE EXTENSION face;
SET maintenance_work_mem = '1GB';
CREATE TABLE truth (key text PRIMARY KEY, person text, e face_embedding);
-- score(set, options): pairwise F1 and ARI of face_cluster over truth rows of one set
CREATE FUNCTION score(set text, opts jsonb, OUT f1 numeric, OUT ari numeric, OUT clusters int,
					  OUT noise int, OUT seconds numeric) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); tp float8; pp float8; tt float8; n float8; ex float8;
BEGIN
	CREATE TEMP TABLE r ON COMMIT DROP AS
		SELECT * FROM face_cluster(format('SELECT key, e FROM truth WHERE key LIKE %L', set || '%'), opts);
	seconds := round(extract(epoch FROM clock_timestamp() - t0)::numeric, 2);
	SELECT count(DISTINCT cluster), count(*) FILTER (WHERE cluster IS NULL), count(*)
		INTO clusters, noise, n FROM r;
	CREATE TEMP TABLE j ON COMMIT DROP AS
		SELECT coalesce(r.cluster, -row_number() OVER ()) AS c, t.person FROM r JOIN truth t USING (key);
	SELECT sum(x * (x - 1) / 2) INTO tp FROM (SELECT count(*)::float8 x FROM j GROUP BY c, person) s;
	SELECT sum(x * (x - 1) / 2) INTO pp FROM (SELECT count(*)::float8 x FROM j GROUP BY c) s;
	SELECT sum(x * (x - 1) / 2) INTO tt FROM (SELECT count(*)::float8 x FROM j GROUP BY person) s;
	f1 := round((CASE WHEN tp = 0 THEN 0 ELSE 2 * (tp / pp) * (tp / tt) / (tp / pp + tp / tt) END)::numeric, 4);
	ex := pp * tt / (n * (n - 1) / 2);
	ari := round(((tp - ex) / nullif(0.5 * (pp + tt) - ex, 0))::numeric, 4);
	DROP TABLE r; DROP TABLE j;
END $$;
SQL

# the labelled crops: key "bbt/<person>/<file>"
for f in "$SHARED"/faces/bbt/*/*.png; do
	p=$(basename "$(dirname "$f")")
	printf "INSERT INTO truth SELECT 'bbt/%s/%s', '%s', embed_crop(pg_read_binary_file('%s'));\n" "$p" "$(basename "$f")" "$p" "$f"
done | cluster_psql -X -q

for n in $SIZES; do
	"$FACE_TMP/gen_faces" base "$n" 1 2>/dev/null |
		awk -F'\t' -v n="$n" '{ printf "syn%d/%s\t%s\t%s\n", n, $1, $2, $3 }' |
		cluster_psql -X -q -c "COPY truth FROM STDIN"
done

{
	echo "SET maintenance_work_mem = '1GB'; SET client_min_messages = warning;"
	echo "SELECT 'kernels: ' || face_distance_isa();"
	echo "SELECT 'method | threshold | pairwise F1 | ARI | clusters | noise | seconds';"
	echo "\\echo bbt crops (dlib ResNet, 40 faces, 8 people)"
	for m in whispers dbscan; do
		for t in default 0.4 0.45 0.5 0.55 0.6 0.65; do
			[ $t = default ] && o="{\"method\": \"$m\"}" || o="{\"method\": \"$m\", \"threshold\": $t}"
			echo "SELECT '$m' AS method, '$t' AS threshold, * FROM score('bbt/', '$o');"
		done
	done
	for n in $SIZES; do
		echo "\\echo synthetic people, $n faces (unit vectors)"
		for m in whispers dbscan; do
			for t in ${SYN_THRESHOLDS:-0.6 0.7 0.8 0.9}; do
				echo "SELECT '$m' AS method, '$t' AS threshold, * FROM score('syn$n/', '{\"method\": \"$m\", \"threshold\": $t}');"
			done
		done
	done
} | cluster_psql -X -At -F ' | '
