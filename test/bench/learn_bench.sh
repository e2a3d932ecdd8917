#!/usr/bin/env bash
# test/bench/learn_bench.sh: accuracy and speed of the learning functions on synthetic
# labelled embeddings where the base metric is weak.
#
#   nice bash test/bench/learn_bench.sh          PEOPLE=400 PHOTOS=8 PROJECT_ROWS=200000
#
# People: 128-D unit vectors, a person's centre in the first 64 dimensions and a per-photo
# nuisance (pose, light) in the other 64 that Euclidean distance does not undo (pure SQL
# from hashint8, so every run makes the same rows).  Two disjoint populations: "train" and
# "strangers" (people never seen).  Reports, for each loss, held-out AUC / EER / TAR at FAR
# 1e-3 / rank-1 of the base metric and of the trained head (from face_model.metrics) and
# the training time; the FAR that face_calibrate's 1e-3 and 1e-2 thresholds, chosen on the
# train people, realise on the strangers, next to the plain empirical quantile's
# (face_threshold_at_far); and face_project's rows/s over PROJECT_ROWS rows next to the
# same scan computing l2_norm() (the baseline: one function call per row).
set -euo pipefail
cd "$(dirname "$0")/../.."
PEOPLE=${PEOPLE:-400}
PHOTOS=${PHOTOS:-8}
PROJECT_ROWS=${PROJECT_ROWS:-200000}

make -s >/dev/null
. test/lib/cluster.sh
FACE_EXTRA_CONF="max_parallel_workers_per_gather = 0
jit = off
maintenance_work_mem = 256MB"
trap cluster_cleanup EXIT
cluster_init --private-install
cluster_start
export PATH=$FACE_BINDIR:$PATH
echo "distance kernels: $(cluster_psql -qAt -c "CREATE EXTENSION face; SHOW face.distance_isa")"

cluster_psql -q <<SQL
CREATE FUNCTION u(k bigint) RETURNS float8 IMMUTABLE LANGUAGE sql
	AS \$\$ SELECT hashint8(k)::float8 / 2147483648.0 \$\$;
CREATE FUNCTION vec(person int, photo int) RETURNS face_embedding IMMUTABLE LANGUAGE sql
	AS \$\$ SELECT l2_normalize(array_agg(CASE WHEN d <= 64
	          THEN u(person::bigint * 1000 + d) + 0.6 * u(person::bigint * 1000000 + photo * 1000 + d + 55555555)
	          ELSE 2.0 * u(person::bigint * 1000000 + photo * 1000 + d + 77777777) END::real ORDER BY d)::face_embedding)
	      FROM generate_series(1, 128) d \$\$;
CREATE TABLE train AS SELECT 'p' || p AS person, vec(p, k) AS emb
	FROM generate_series(1, $PEOPLE) p, generate_series(1, $PHOTOS) k;
CREATE TABLE strangers AS SELECT 's' || p AS person, vec(p, k) AS emb
	FROM generate_series(100001, 100000 + $PEOPLE) p, generate_series(1, $PHOTOS) k;
SQL

echo
echo "== metric heads: $PEOPLE people x $PHOTOS photos, 20% of the people held out"
for loss in triplet contrastive binary; do
	cluster_psql -qAt -c "SET client_min_messages = warning;
		SELECT face_train_metric('$loss', 'SELECT person, emb FROM train', '$loss',
		                         '{\"epochs\": 15, \"learning_rate\": 0.005}')" >/dev/null
done
cluster_psql -q -c "SELECT method AS loss, (metrics->>'seconds')::float8 AS seconds,
	round((metrics->'base'->>'auc')::numeric, 4) AS base_auc, round((metrics->'trained'->>'auc')::numeric, 4) AS auc,
	round((metrics->'base'->>'eer')::numeric, 4) AS base_eer, round((metrics->'trained'->>'eer')::numeric, 4) AS eer,
	round((metrics->'base'->>'tar_at_far_1e-3')::numeric, 4) AS base_tar3, round((metrics->'trained'->>'tar_at_far_1e-3')::numeric, 4) AS tar3,
	round((metrics->'base'->>'rank1')::numeric, 4) AS base_rank1, round((metrics->'trained'->>'rank1')::numeric, 4) AS rank1,
	metrics->'trained'->'impostor_pairs' AS impostor_pairs
	FROM face_model ORDER BY id"

echo "== thresholds chosen on the train people, FAR realised on the strangers"
cluster_psql -qAt -c "SET client_min_messages = warning; SELECT face_calibrate('cal', 'SELECT person, emb FROM train')" >/dev/null
cluster_psql -q -c "WITH pairs AS (SELECT a.emb <-> b.emb AS d FROM strangers a, strangers b WHERE a.person < b.person),
	plain AS (SELECT f, face_threshold_at_far(a.emb <-> b.emb, a.person = b.person, f) AS t
	          FROM train a, train b, (VALUES (1e-2::float8), (1e-3)) v(f)
	          WHERE a.person < b.person OR (a.person = b.person AND a.ctid < b.ctid) GROUP BY f)
	SELECT plain.f AS target, face_threshold(m.id, plain.f) AS threshold,
	       (SELECT avg((d < face_threshold(m.id, plain.f))::int) FROM pairs) AS realised,
	       plain.t AS plain_quantile, (SELECT avg((d < plain.t)::int) FROM pairs) AS plain_realised,
	       (SELECT count(*) FROM pairs) AS stranger_impostor_pairs
	FROM plain, face_model m WHERE m.name = 'cal' ORDER BY 1 DESC"

echo "== face_project over $PROJECT_ROWS rows (one backend)"
cluster_psql -q <<SQL
CREATE TABLE big AS SELECT (SELECT emb FROM train LIMIT 1) AS emb FROM generate_series(1, $PROJECT_ROWS);
UPDATE big SET emb = emb;  -- one copy per row
VACUUM ANALYZE big;
SQL
head_id=$(cluster_psql -qAt -c "SELECT id FROM face_model WHERE name = 'triplet'")
for run in 1 2 3; do
	for what in "l2_norm(emb)" "l2_norm(face_project(emb, $head_id))"; do
		ms=$(cluster_psql -qAt -c '\timing on' -c "SELECT sum($what) FROM big" | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p')
		echo "$what: $ms ms, $(awk -v n=$PROJECT_ROWS -v ms=$ms 'BEGIN { printf "%.0f", n / ms * 1000 }') rows/s"
	done
done
