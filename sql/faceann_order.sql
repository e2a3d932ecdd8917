-- faceann order: rows come out in exact distance order under every probes,
-- with and without filters, over a LIMIT as large as the table (strict_order,
-- the default); at full breadth (probes >= lists) the answer is exactly the
-- sequential scan's.

SELECT setseed(0.17);
CREATE TABLE fz (id int, emb face_embedding(8));
INSERT INTO fz SELECT i,
	('[' || array_to_string(ARRAY(SELECT round((random() * 2 - 1)::numeric, 5)
	 FROM generate_series(1, 8) j WHERE i > 0), ',') || ']')::face_embedding
FROM generate_series(1, 30000) i;
CREATE INDEX fz_i ON fz USING faceann (emb) WITH (lists = 100);
ANALYZE fz;
SET enable_seqscan = off;

-- inversions (a distance below the row before it) over LIMIT 30000
CREATE FUNCTION fz_inversions(q text, filter text DEFAULT 'true')
RETURNS TABLE (inversions bigint, rows_back boolean) LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format(
		'SELECT count(*) FILTER (WHERE d < prev), count(*) > 0 FROM (
		   SELECT d, lag(d) OVER (ORDER BY rn) AS prev FROM (
		     SELECT row_number() OVER () AS rn, d FROM (
		       SELECT emb <-> %L::face_embedding AS d FROM fz WHERE %s
		       ORDER BY emb <-> %L::face_embedding LIMIT 30000) s) s2) s3',
		q, filter, q);
END $$;
CREATE TEMP TABLE fz_q AS SELECT emb::text AS q FROM fz WHERE id IN (11, 12345);

SET face.ann_probes = 1;
SELECT (fz_inversions(q)).* FROM fz_q;
SELECT (fz_inversions(q, 'id % 7 = 0')).* FROM fz_q;
SET face.ann_probes = 4;
SELECT (fz_inversions(q)).* FROM fz_q;
SELECT (fz_inversions(q, 'id % 7 = 0')).* FROM fz_q;
RESET face.ann_probes;
SELECT (fz_inversions(q)).* FROM fz_q;
SELECT (fz_inversions(q, 'id % 7 = 0')).* FROM fz_q;
-- off: only the first face.ann_probes lists, still in order
SET face.ann_iterative_scan = off;
SET face.ann_probes = 2;
SELECT (fz_inversions(q)).* FROM fz_q;
RESET face.ann_iterative_scan;

-- full breadth: exactly the top 500 of the sequential scan, in order
SET face.ann_probes = 100;
CREATE FUNCTION fz_top(q text, filter text) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
	EXECUTE format('SELECT array_agg(id ORDER BY rn) FROM (SELECT id, row_number() OVER () AS rn FROM '
				   '(SELECT id FROM fz WHERE %s ORDER BY emb <-> %L::face_embedding LIMIT 500) s) t', filter, q) INTO r;
	RETURN r;
END $$;
RESET enable_seqscan;
SET enable_indexscan = off;
CREATE TEMP TABLE fz_exact AS SELECT q, f, fz_top(q, f) AS ids FROM fz_q, (VALUES ('true'), ('id % 3 = 0')) v(f);
RESET enable_indexscan;
SET enable_seqscan = off;
SELECT f, fz_top(q, f) = ids AS same FROM fz_exact ORDER BY q, f;

-- a bounded search returns fewer rows, still in order
RESET face.ann_probes;
SET face.ann_max_scan_tuples = 1000;
SELECT count(*) < 30000 AS bounded FROM (SELECT id FROM fz WHERE id % 1000 = 0 ORDER BY emb <-> '[0,0,0,0,0,0,0,0]' LIMIT 30000) s;
RESET face.ann_max_scan_tuples;
RESET enable_seqscan;

-- costs: no LIMIT, a deep OFFSET, or a filter matching nothing takes the sequential scan
EXPLAIN (COSTS OFF) SELECT id FROM fz ORDER BY emb <-> '[0,0,0,0,0,0,0,1]';
EXPLAIN (COSTS OFF) SELECT id FROM fz ORDER BY emb <-> '[0,0,0,0,0,0,0,1]' LIMIT 10 OFFSET 25000;
EXPLAIN (COSTS OFF) SELECT id FROM fz WHERE id < 0 ORDER BY emb <-> '[0,0,0,0,0,0,0,1]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM fz ORDER BY emb <-> '[0,0,0,0,0,0,0,1]' LIMIT 10;

DROP TABLE fz;
DROP FUNCTION fz_inversions, fz_top;
