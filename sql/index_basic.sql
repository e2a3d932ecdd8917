-- faceann: exact answers on a small table for every operator class, EXPLAIN,
-- NULLs, zero vectors, an empty table, reloption bounds and bad queries.
-- With face.ann_probes >= lists and face.ann_rerank >= rows the index sees
-- every row, so its answers must equal a sequential scan's exactly.

CREATE TABLE fa (id int, emb face_embedding(8));
-- deterministic pseudo-random vectors; sin() of distinct arguments gives no ties
INSERT INTO fa
SELECT i, ('[' || array_to_string(ARRAY(
		SELECT round(sin(i * 7.13 + j * 1.31)::numeric, 6) FROM generate_series(1, 8) j), ',') || ']')::face_embedding
FROM generate_series(1, 1000) i;
INSERT INTO fa VALUES (1001, NULL), (1002, NULL), (1003, '[0,0,0,0,0,0,0,0]');

CREATE INDEX fa_l2 ON fa USING faceann (emb) WITH (lists = 10);
CREATE INDEX fa_cos ON fa USING faceann (emb face_cosine_ops) WITH (lists = 10);
CREATE INDEX fa_ip ON fa USING faceann (emb face_ip_ops) WITH (lists = 10);
SELECT * FROM faceann_check('fa_l2');
SELECT * FROM faceann_check('fa_cos');		-- the zero vector is not indexed for cosine
SELECT * FROM faceann_check('fa_ip');

-- the top 20 by each operator, by seq scan and by index, for three queries:
-- ids and distances in order (equal distances may come in either order)
CREATE FUNCTION fa_top(op text, q text, k int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
	EXECUTE format('SELECT string_agg(id || '':'' || d, '' '' ORDER BY n) FROM (SELECT id, emb %s %L::face_embedding AS d, '
				   'row_number() OVER () AS n FROM (SELECT id, emb FROM fa ORDER BY emb %s %L::face_embedding LIMIT %s) s) t',
				   op, q, op, q, k) INTO r;
	RETURN r;
END $$;
CREATE TABLE fa_q (q text);
INSERT INTO fa_q VALUES ('[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]'), ('[-1,0,1,0,-1,0,1,0]'), ('[0.9,-0.2,0.4,0.1,-0.8,0.3,0.2,-0.5]');

SET face.ann_probes = 10;
SET face.ann_rerank = 2000;
SET enable_indexscan = off;
CREATE TABLE fa_seq AS SELECT q, op, fa_top(op, q, 20) AS ids FROM fa_q, (VALUES ('<->'), ('<=>'), ('<#>')) o(op);
RESET enable_indexscan;
SET enable_seqscan = off;
SELECT op, q, fa_top(op, q, 20) = ids AS same FROM fa_seq ORDER BY op, q;

-- EXPLAIN shows the index for ORDER BY ... LIMIT, for each operator
EXPLAIN (COSTS OFF) SELECT id FROM fa ORDER BY emb <-> '[0,0,0,0,0,0,0,1]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM fa ORDER BY emb <=> '[0,0,0,0,0,0,0,1]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM fa ORDER BY emb <#> '[0,0,0,0,0,0,0,1]' LIMIT 5;
-- and not for a plain scan
RESET enable_seqscan;
EXPLAIN (COSTS OFF) SELECT count(*) FROM fa WHERE id < 10;

-- distances come out exact and in order (the executor rechecks the index's lower bounds)
SET enable_seqscan = off;
SELECT id, round((emb <-> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]')::numeric, 6) AS d
FROM fa ORDER BY emb <-> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 5;

-- a narrow search (one list, small rerank) still returns the full LIMIT
SET face.ann_probes = 1;
SET face.ann_rerank = 10;
SELECT count(*) FROM (SELECT id FROM fa ORDER BY emb <-> '[0,0,0,0,0,0,0,1]' LIMIT 50) s;
-- and a whole-table ordered scan returns every indexed row once (relaxed_order:
-- strict_order drops rows later rounds find nearer than rows returned)
SET face.ann_iterative_scan = relaxed_order;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM fa ORDER BY emb <-> '[0,0,0,0,0,0,0,1]' LIMIT 5000) s;
SELECT count(*) FROM (SELECT id FROM fa ORDER BY emb <=> '[0,0,0,0,0,0,0,1]' LIMIT 5000) s;
RESET face.ann_iterative_scan;

-- zero vector: found by L2 and IP, at distance 0 from the zero query
SET face.ann_probes = 10;
SELECT id, emb <-> '[0,0,0,0,0,0,0,0]' AS d FROM fa ORDER BY emb <-> '[0,0,0,0,0,0,0,0]' LIMIT 1;
-- a zero query under cosine: every distance is NaN; no crash, rows still come back
SELECT count(*) FROM (SELECT id FROM fa ORDER BY emb <=> '[0,0,0,0,0,0,0,0]' LIMIT 7) s;
-- a NULL query: every distance is NULL, any 3 rows are the answer (as by seq scan)
SELECT count(*) FROM (SELECT id FROM fa ORDER BY emb <-> NULL::face_embedding LIMIT 3) s;
-- wrong dimension
SELECT id FROM fa ORDER BY emb <-> '[1,2,3]' LIMIT 1;
RESET enable_seqscan;
RESET face.ann_probes;
RESET face.ann_rerank;

-- empty table, then inserts; and an index without typmod built empty
CREATE TABLE fe (id int, emb face_embedding(4));
CREATE INDEX fe_i ON fe USING faceann (emb);
SELECT * FROM faceann_check('fe_i');
SET enable_seqscan = off;
SELECT id FROM fe ORDER BY emb <-> '[1,1,1,1]' LIMIT 3;
INSERT INTO fe VALUES (1, '[1,1,1,1]'), (2, '[2,2,2,2]'), (3, NULL), (4, '[0,1,1,1]');
SELECT id FROM fe ORDER BY emb <-> '[1,1,1,1]' LIMIT 3;
SELECT * FROM faceann_check('fe_i');
CREATE TABLE fn (id int, emb face_embedding);
CREATE INDEX fn_i ON fn USING faceann (emb face_cosine_ops);
INSERT INTO fn VALUES (1, '[1,0]'), (2, '[0,1]'), (3, '[1,1]');
SELECT id FROM fn ORDER BY emb <=> '[1,0.1]' LIMIT 3;
INSERT INTO fn VALUES (4, '[1,2,3]');
SELECT * FROM faceann_check('fn_i');
RESET enable_seqscan;

-- reloption bounds and wrong types
CREATE INDEX ON fa USING faceann (emb) WITH (lists = -1);
CREATE INDEX ON fa USING faceann (emb) WITH (lists = 40000);
CREATE INDEX ON fa USING faceann (emb) WITH (probes = 3);
CREATE INDEX ON fa USING faceann (id);
CREATE INDEX ON fa USING faceann (emb, emb);
SET face.ann_probes = 0;
SET face.ann_rerank = -1;
SELECT faceann_check('fa');

DROP TABLE fa, fa_q, fa_seq, fe, fn;
DROP FUNCTION fa_top;
