#!/usr/bin/env bash
# test/demo.sh: face recognition inside PostgreSQL, end to end, on a private temporary
# cluster (test/lib/cluster.sh; removed at the end).  Loads face-api's six sample
# photos (installed with the models by "make models && make install") into a table,
# finds and embeds every face with faces(), then shows which faces are closest to
# which across photos, and ends with an index-backed identification query.  Run test/setup.sh first (or make && make models).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/cluster.sh
trap cluster_cleanup EXIT
cluster_init --private-install >/dev/null
cluster_start
export PATH=$FACE_BINDIR:$PATH

cluster_psql -q <<'SQL'
\pset footer off
\echo '-- the extension, and the sample photos as bytea'
CREATE EXTENSION face;
CREATE TABLE photos (id int PRIMARY KEY, name text, img bytea);
INSERT INTO photos
	SELECT n, 'sample' || n, pg_read_binary_file(current_setting('face.model_dir') || '/samples/sample' || n || '.jpg')
	FROM generate_series(1, 6) n;
SELECT id, name, pg_size_pretty(length(img)::bigint) AS size FROM photos ORDER BY id;

\echo '-- every face in every photo: detect, 68 landmarks, align, 128-D embedding'
\timing on
CREATE TABLE faces AS
	SELECT p.id AS photo, f.face, f.x, f.y, f.width, f.height, f.score, f.landmarks, f.embedding
	FROM photos p, faces(p.img) f;
\timing off
SELECT photo, face, round(x) AS x, round(y) AS y, round(width) AS w, round(height) AS h,
	   round(score::numeric, 3) AS score, round(l2_norm(embedding)::numeric, 3) AS norm
FROM faces ORDER BY photo, face;

\echo '-- embed(): one embedding per photo, its most prominent face (largest box x score)'
SELECT id, dims(embed(img)) AS dims, (SELECT face FROM faces f WHERE f.photo = p.id
										ORDER BY width * height * score DESC LIMIT 1) AS face
FROM photos p ORDER BY id;

\echo '-- for each face, the closest face in another photo (same person if distance < 0.6)'
SELECT a.photo || '#' || a.face AS face, b.photo || '#' || b.face AS closest,
	   round((a.embedding <-> b.embedding)::numeric, 3) AS distance,
	   face_verify(a.embedding, b.embedding) AS same_person
FROM faces a CROSS JOIN LATERAL (
	SELECT * FROM faces b WHERE b.photo <> a.photo
	ORDER BY a.embedding <-> b.embedding LIMIT 1) b
ORDER BY a.photo, a.face;

\echo '-- 1:N identification, index-backed: who in the gallery looks like face 3 of photo 1?'
CREATE INDEX faces_embedding_idx ON faces USING faceann (embedding face_l2_ops);
SELECT * FROM faceann_check('faces_embedding_idx');
-- A 22-row table is cheaper to read whole than to search, so the planner would rightly
-- scan it; over thousands of rows it picks the index by itself.  Here we ask for it.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT photo, face FROM faces
ORDER BY embedding <-> (SELECT embedding FROM faces WHERE photo = 1 AND face = 3) LIMIT 5;
SELECT photo || '#' || face AS face,
	   round((embedding <-> q)::numeric, 3) AS distance, face_verify(embedding, q) AS same_person
FROM faces, (SELECT embedding AS q FROM faces WHERE photo = 1 AND face = 3) query
ORDER BY embedding <-> (SELECT embedding FROM faces WHERE photo = 1 AND face = 3) LIMIT 5;
RESET enable_seqscan;

\echo '-- discover people: cluster every face of the sample photos (threshold: 0.6, the model default)'
SELECT cluster, count(*) AS faces, string_agg(key, ' ' ORDER BY key) AS members
FROM face_cluster('SELECT photo || ''#'' || face, embedding FROM faces')
GROUP BY cluster ORDER BY cluster NULLS LAST;

\echo '-- name two faces and cluster again: the names are kept and handed to their clusters'
ALTER TABLE faces ADD COLUMN person text;
UPDATE faces SET person = 'first' WHERE photo = 2 AND face = 3;
UPDATE faces SET person = 'second' WHERE photo = 1 AND face = 2;
SELECT cluster, label, count(*) AS faces, string_agg(key, ' ' ORDER BY key) AS members
FROM face_cluster('SELECT photo || ''#'' || face, embedding, person FROM faces')
GROUP BY cluster, label ORDER BY cluster NULLS LAST;
SQL
