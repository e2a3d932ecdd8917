-- faceann: rows come out in exact distance order, also past the first rerank
-- batch (a LIMIT larger than face.ann_rerank, or a filter that rejects most
-- rows), for every operator class; beyond the face.ann_probes lists (the
-- next round of lists) strict_order drops rows rather than return them out
-- of order, relaxed_order returns them, approximately ordered.

SELECT setseed(0.42);
CREATE TABLE fo (id int, grp int, emb face_embedding(32));
INSERT INTO fo SELECT i, i % 10,
	('[' || array_to_string(ARRAY(SELECT round((random() * 2 - 1)::numeric, 5)
	 FROM generate_series(1, 32) j WHERE i > 0), ',') || ']')::face_embedding
FROM generate_series(1, 20000) i;
CREATE INDEX fo_l2 ON fo USING faceann (emb face_l2_ops);
SELECT lists, index_entries FROM faceann_check('fo_l2');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM fo WHERE grp = 3 ORDER BY emb <-> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]' LIMIT 300;

-- inversions: rows whose distance is below the row before them
CREATE FUNCTION fo_inversions(q text, lim int, filter text DEFAULT 'true', op text DEFAULT '<->')
RETURNS TABLE (inversions bigint, n bigint) LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format(
		'SELECT count(*) FILTER (WHERE d < prev), count(*) FROM (
		   SELECT d, lag(d) OVER (ORDER BY rn) AS prev FROM (
		     SELECT row_number() OVER () AS rn, d FROM (
		       SELECT emb %s %L::face_embedding AS d FROM fo WHERE %s
		       ORDER BY emb %s %L::face_embedding LIMIT %s) s) s2) s3',
		op, q, filter, op, q, lim);
END $$;
CREATE TEMP TABLE fo_q AS SELECT emb::text AS q FROM fo WHERE id IN (7, 777, 7777);

SELECT (fo_inversions(q, 1000)).* FROM fo_q;
-- 10 of 40 lists hold ~500 rows of group 3: 30 batches, several passes
SET face.ann_rerank = 10;
SET face.ann_probes = 10;
SELECT (fo_inversions(q, 300, 'grp = 3')).* FROM fo_q;
-- 40 matching rows in all, 3 lists at a time: strict_order (the default)
-- never returns a row out of order (it drops those a later round finds nearer
-- than rows already returned); relaxed_order returns the full LIMIT
SET face.ann_probes = 3;
SELECT inversions, n <= 30 AS within_limit FROM (SELECT (fo_inversions(q, 30, 'id % 500 = 1')).* FROM fo_q) s;
SET face.ann_iterative_scan = relaxed_order;
SELECT n FROM (SELECT (fo_inversions(q, 30, 'id % 500 = 1')).* FROM fo_q) s;
RESET face.ann_iterative_scan;
SET face.ann_probes = 40;
SELECT (fo_inversions(q, 30, 'id % 500 = 1')).* FROM fo_q;
RESET face.ann_rerank;
RESET face.ann_probes;

-- the other operator classes: the same two checks, through one function
CREATE FUNCTION fo_checks(op text)
RETURNS TABLE (query text, inversions bigint, n bigint) LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY SELECT 'LIMIT 1000', i.inversions, i.n FROM fo_q, fo_inversions(q, 1000, 'true', op) i;
	PERFORM set_config('face.ann_rerank', '10', true);
	PERFORM set_config('face.ann_probes', '10', true);
	RETURN QUERY SELECT 'grp = 3 LIMIT 300', i.inversions, i.n FROM fo_q, fo_inversions(q, 300, 'grp = 3', op) i;
END $$;
CREATE INDEX fo_ip ON fo USING faceann (emb face_ip_ops);
DROP INDEX fo_l2;
EXPLAIN (COSTS OFF) SELECT id FROM fo WHERE grp = 3 ORDER BY emb <#> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]' LIMIT 300;
SELECT * FROM fo_checks('<#>');
CREATE INDEX fo_cos ON fo USING faceann (emb face_cosine_ops);
DROP INDEX fo_ip;
EXPLAIN (COSTS OFF) SELECT id FROM fo WHERE grp = 3 ORDER BY emb <=> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]' LIMIT 300;
SELECT * FROM fo_checks('<=>');

DROP TABLE fo;
DROP FUNCTION fo_inversions, fo_checks;
