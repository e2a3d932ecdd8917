-- faceann plans: the index is used only for ORDER BY a distance, never
-- returns a silent empty result, never runs as an index-only scan; a NULL
-- query returns the rows a sequential scan returns; scans are counted in
-- pg_stat; faceann_check is for the privileged only.

CREATE TABLE fpl (id int, emb face_embedding(8));
INSERT INTO fpl
SELECT i, ('[' || array_to_string(ARRAY(
		SELECT round(sin(i * 3.77 + j * 1.91)::numeric, 5) FROM generate_series(1, 8) j), ',') || ']')::face_embedding
FROM generate_series(1, 3000) i;
CREATE INDEX fpl_i ON fpl USING faceann (emb) WITH (lists = 20);
VACUUM ANALYZE fpl;

-- no ORDER BY: never the index, even with sequential scans disabled
SET enable_seqscan = off;
SELECT count(*) FROM fpl;
EXPLAIN (COSTS OFF) SELECT count(*) FROM fpl;
SELECT count(*) FROM fpl WHERE id < 100;

-- a partial index is no different
CREATE INDEX fpl_part ON fpl USING faceann (emb) WITH (lists = 4) WHERE id <= 500;
SELECT count(*) FROM fpl WHERE id <= 500;
EXPLAIN (COSTS OFF) SELECT count(*) FROM fpl WHERE id <= 500;
-- with ORDER BY it serves the query, and returns what the sequential scan does
EXPLAIN (COSTS OFF) SELECT id FROM fpl WHERE id <= 500 ORDER BY emb <-> '[0,0,0,0,0,0,0,1]' LIMIT 10;
SET face.ann_probes = 4;
SELECT count(*) FROM (SELECT id FROM fpl WHERE id <= 500 ORDER BY emb <-> '[0,0,0,0,0,0,0,1]' LIMIT 1000) s;
DROP INDEX fpl_part;
RESET face.ann_probes;

-- a NULL query: every distance is NULL, so any k rows are a right answer;
-- the index returns as many as the sequential scan
EXPLAIN (COSTS OFF) SELECT id FROM fpl ORDER BY emb <-> NULL::face_embedding LIMIT 7;
SELECT count(*) FROM (SELECT id FROM fpl ORDER BY emb <-> NULL::face_embedding LIMIT 7) s;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM fpl ORDER BY emb <-> NULL::face_embedding LIMIT 5000) s;
SELECT count(*) FROM (SELECT id FROM fpl ORDER BY emb <=> NULL::face_embedding LIMIT 5000) s;
-- a NULL parameter under a generic plan reaches the index itself
SET plan_cache_mode = force_generic_plan;
PREPARE fpl_null(face_embedding, int) AS
	SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM fpl ORDER BY emb <-> $1 LIMIT $2) s;
EXPLAIN (COSTS OFF) EXECUTE fpl_null(NULL, 7);
EXECUTE fpl_null(NULL, 7);
EXECUTE fpl_null(NULL, 5000);
EXECUTE fpl_null('[0,0,0,0,0,0,0,1]', 5000);
DEALLOCATE fpl_null;
RESET plan_cache_mode;
CREATE TABLE fpl5 (id int, emb face_embedding(2));
INSERT INTO fpl5 SELECT i, ('[' || i || ',1]')::face_embedding FROM generate_series(1, 5) i;
CREATE INDEX ON fpl5 USING faceann (emb);
SELECT count(*) FROM (SELECT id FROM fpl5 ORDER BY emb <-> NULL::face_embedding LIMIT 10) s;
RESET enable_seqscan;
SELECT count(*) FROM (SELECT id FROM fpl5 ORDER BY emb <-> NULL::face_embedding LIMIT 10) s;
SET enable_seqscan = off;

-- idx_scan counts faceann scans ("unused index" checks must not drop it)
SELECT pg_stat_force_next_flush();
SELECT idx_scan AS before FROM pg_stat_user_indexes WHERE indexrelname = 'fpl_i' \gset
SELECT id FROM fpl ORDER BY emb <-> '[0,0,0,0,0,0,0,1]' LIMIT 1;
SELECT id FROM fpl ORDER BY emb <-> '[1,0,0,0,0,0,0,0]' LIMIT 1;
SELECT pg_stat_force_next_flush();
SELECT idx_scan - :before AS scans FROM pg_stat_user_indexes WHERE indexrelname = 'fpl_i';
RESET enable_seqscan;

-- faceann_check: not for PUBLIC; granted, still only on tables one may read
CREATE ROLE regress_faceann_nobody;
SET ROLE regress_faceann_nobody;
SELECT * FROM faceann_check('fpl_i');
RESET ROLE;
GRANT EXECUTE ON FUNCTION faceann_check(regclass) TO regress_faceann_nobody;
SET ROLE regress_faceann_nobody;
SELECT * FROM faceann_check('fpl_i');
RESET ROLE;
GRANT SELECT ON fpl TO regress_faceann_nobody;
SET ROLE regress_faceann_nobody;
SELECT lists, index_entries, heap_tuples FROM faceann_check('fpl_i');
RESET ROLE;
REVOKE ALL ON fpl FROM regress_faceann_nobody;
REVOKE EXECUTE ON FUNCTION faceann_check(regclass) FROM regress_faceann_nobody;
DROP ROLE regress_faceann_nobody;

DROP TABLE fpl, fpl5;
