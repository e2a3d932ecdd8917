-- every bad input: exact message, then SQLSTATE for each in one table
-- malformed text
SELECT '1,2,3'::face_embedding;
SELECT ''::face_embedding;
SELECT '[1,2,3'::face_embedding;
SELECT '['::face_embedding;
SELECT '[1,2,3]9'::face_embedding;
SELECT '[1,2,3],[4]'::face_embedding;
SELECT '[hello,1]'::face_embedding;
SELECT '[1,]'::face_embedding;
SELECT '[1,,3]'::face_embedding;
SELECT '[1 2]'::face_embedding;
SELECT '[1a]'::face_embedding;
SELECT '{1,2}'::face_embedding;
-- empty, too many dimensions
SELECT '[]'::face_embedding;
SELECT '[ ]'::face_embedding;
SELECT ('[' || repeat('1,', 2048) || '1]')::face_embedding;
-- NaN, infinities, out of float4 range
SELECT '[NaN,1]'::face_embedding;
SELECT '[1,Infinity]'::face_embedding;
SELECT '[-inf]'::face_embedding;
SELECT '[4e38,1]'::face_embedding;
SELECT '[-1e39]'::face_embedding;
SELECT '[1e-46]'::face_embedding;
-- dimension mismatches
SELECT '[1,2,3]'::face_embedding <-> '[1,2]';
SELECT '[1,2,3]'::face_embedding(2);
-- mixed models: 1 is the built-in dlib ResNet, 256.. are application-defined tags
-- (a psql variable would hold the text form, which carries no model: use a table)
CREATE TEMP TABLE m AS SELECT
	face_embedding_with_model(array_fill(1, ARRAY[128])::face_embedding, 1) AS m1,
	face_embedding_with_model(array_fill(2, ARRAY[128])::face_embedding, 256) AS m256;
SELECT m1 <-> m256 FROM m;
SELECT m1 <=> m256 FROM m;
SELECT m1 <#> m256 FROM m;
SELECT m1 <+> m256 FROM m;
SELECT m1 + m256 FROM m;
SELECT avg(e) FROM (SELECT m1 FROM m UNION ALL SELECT m256 FROM m) v(e);
SELECT face_embedding_with_model('[1,2]', 256) - face_embedding_with_model('[1,2]', 300);
-- bad model tags
SELECT face_embedding_with_model('[1,2,3]', 1);
SELECT face_embedding_with_model('[1,2,3]', 2);
SELECT face_embedding_with_model('[1,2,3]', -1);
SELECT face_embedding_with_model('[1,2,3]', 32768);

CREATE FUNCTION pg_temp.try(sql text, OUT code text, OUT message text, OUT detail text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE sql;
	code := '00000';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL;
END $$;

SELECT q, (pg_temp.try(q)).* FROM (VALUES
	($$SELECT '1,2,3'::face_embedding$$),
	($$SELECT '[1,2,3'::face_embedding$$),
	($$SELECT '[1,2,3]9'::face_embedding$$),
	($$SELECT '[hello,1]'::face_embedding$$),
	($$SELECT '[]'::face_embedding$$),
	($$SELECT ('[' || repeat('1,', 2048) || '1]')::face_embedding$$),
	($$SELECT '[NaN,1]'::face_embedding$$),
	($$SELECT '[1,Infinity]'::face_embedding$$),
	($$SELECT '[4e38,1]'::face_embedding$$),
	($$SELECT '[1e-46]'::face_embedding$$),
	($$SELECT '[1,2,3]'::face_embedding <-> '[1,2]'$$),
	($$SELECT '[1,2,3]'::face_embedding(2)$$),
	($$SELECT '[1]'::face_embedding(0)$$),
	($$SELECT '[3e38]'::face_embedding + '[3e38]'$$),
	($$SELECT '{1,NULL}'::real[]::face_embedding$$),
	($$SELECT '{{1,2},{3,4}}'::real[]::face_embedding$$),
	($$SELECT '{}'::real[]::face_embedding$$),
	($$SELECT '{1e39}'::float8[]::face_embedding$$),
	($$SELECT face_embedding_with_model('[1,2,3]', 7)$$),
	($$SELECT face_embedding_with_model('[1,2]', 256) <-> face_embedding_with_model('[1,2]', 257)$$),
	($$SELECT face_embedding_with_model('[1,2,3]', 1)$$)
) v(q);

-- unknown (0) mixes with any model; equal models mix
SELECT m1 <-> array_fill(1, ARRAY[128])::face_embedding AS unknown_with_1,
	face_embedding_with_model('[1,2]', 256) <-> face_embedding_with_model('[1,5]', 256) AS same_256
	FROM m;
