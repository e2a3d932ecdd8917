-- avg(face_embedding) and sum(face_embedding)
CREATE TABLE agg (person int, e face_embedding);
INSERT INTO agg VALUES (1, '[1,2,3]'), (1, '[3,4,5]'), (2, '[-1,0,1]'), (2, '[1,0,-1]'), (2, '[3,3,3]');
SELECT avg(e), sum(e) FROM agg;
SELECT person, avg(e), sum(e), count(*) FROM agg GROUP BY person ORDER BY person;
-- no rows: NULL; NULL inputs are skipped
SELECT avg(e) IS NULL AS avg_null, sum(e) IS NULL AS sum_null FROM agg WHERE false;
INSERT INTO agg VALUES (3, NULL);
SELECT person, avg(e) FROM agg GROUP BY person ORDER BY person;
-- sums are kept in double precision
SELECT avg(e) FROM (VALUES ('[16777216]'::face_embedding), ('[1]'), ('[1]')) v(e);
SELECT sum(e) FROM (VALUES ('[16777216]'::face_embedding), ('[1]'), ('[1]')) v(e);
-- sum overflowing float4 is an error; the mean of large values is not
SELECT avg(e) FROM (VALUES ('[3e38]'::face_embedding), ('[3e38]')) v(e);
SELECT sum(e) FROM (VALUES ('[3e38]'::face_embedding), ('[3e38]')) v(e);
-- dimensions must agree
SELECT avg(e) FROM (VALUES ('[1,2]'::face_embedding), ('[1,2,3]')) v(e);

-- the model tag: kept when every input has it, unknown if any input is unknown
CREATE TABLE agg_m AS
	SELECT i, face_embedding_with_model(array_fill(i, ARRAY[128])::face_embedding, 1) AS e
	FROM generate_series(1, 3) i;
SELECT face_embedding_model(avg(e)) AS avg_model, face_embedding_model(sum(e)) AS sum_model,
	(avg(e)::real[])[1] AS avg_first FROM agg_m;
SELECT face_embedding_model(avg(e)) AS mixed_model
	FROM (SELECT e FROM agg_m UNION ALL SELECT array_fill(0, ARRAY[128])::face_embedding) s;

-- declared parallel safe with a combine function, and the parallel plan agrees
SELECT p.oid::regprocedure, p.proparallel, a.aggcombinefn
	FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	WHERE p.proname IN ('avg', 'sum') AND p.proargtypes[0] = 'face_embedding'::regtype
	ORDER BY 1;
CREATE TABLE agg_big AS
	SELECT i, ARRAY[i % 7, i % 11, (i % 13) * 0.5]::face_embedding AS e
	FROM generate_series(1, 30000) i;
ANALYZE agg_big;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT avg(e), sum(e) FROM agg_big;
SELECT avg(e), sum(e) FROM agg_big;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT avg(e), sum(e) FROM agg_big;
-- expected: mean of i%7 over 1..30000 etc., computed with plain arithmetic
SELECT avg(i % 7) AS m1, avg(i % 11) AS m2, avg((i % 13) * 0.5) AS m3 FROM generate_series(1, 30000) i;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- the transition functions check a state passed by hand
SELECT face_embedding_avg('{1,9,0,1}');
SELECT face_embedding_accum('{1,2}', '[1]');
SELECT face_embedding_avg(face_embedding_accum(face_embedding_accum('{0}', '[1,2]'), '[3,4]'));
DROP TABLE agg, agg_m, agg_big;
