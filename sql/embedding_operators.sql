-- distance operators and functions against hand-computed values
-- a = [1,2,3], b = [1,2,5]: a-b = [0,0,-2], a.b = 20, |a|^2 = 14, |b|^2 = 30
SELECT '[1,2,3]'::face_embedding <-> '[1,2,5]' AS l2;
SELECT l2_distance('[1,2,3]', '[1,2,5]');
SELECT face_embedding_l2_squared_distance('[1,2,3]', '[1,2,5]');
SELECT '[0,0]'::face_embedding <-> '[3,4]' AS l2_345;
SELECT '[1,2,3]'::face_embedding <#> '[1,2,5]' AS neg_ip;
SELECT inner_product('[1,2,3]', '[1,2,5]');
SELECT '[1,2,3]'::face_embedding <+> '[1,2,5]' AS l1;
SELECT l1_distance('[1,-2,3]', '[-1,2,5]');
-- cosine: 1 - 20/sqrt(14*30) = 1 - 20/sqrt(420)
SELECT round(('[1,2,3]'::face_embedding <=> '[1,2,5]')::numeric, 12) AS cos,
	round((1 - 20 / sqrt(420))::numeric, 12) AS expected;
SELECT cosine_distance('[1,0]', '[0,1]') AS orthogonal,
	cosine_distance('[1,1]', '[2,2]') AS same_direction,
	cosine_distance('[1,1]', '[-3,-3]') AS opposite;
-- no direction: NaN, as in pgvector
SELECT cosine_distance('[0,0]', '[1,1]');
-- the operators commute
SELECT '[1,2,5]'::face_embedding <-> '[1,2,3]' AS l2, '[1,2,5]'::face_embedding <#> '[1,2,3]' AS neg_ip,
	'[1,2,5]'::face_embedding <+> '[1,2,3]' AS l1;

-- lengths that exercise every SIMD tail (the kernels handle n % 16 in a masked load)
SELECT n, array_fill(1, ARRAY[n])::face_embedding <-> array_fill(3, ARRAY[n])::face_embedding AS l2,
	array_fill(1, ARRAY[n])::face_embedding <+> array_fill(3, ARRAY[n])::face_embedding AS l1,
	array_fill(2, ARRAY[n])::face_embedding <#> array_fill(3, ARRAY[n])::face_embedding AS neg_ip
	FROM unnest(ARRAY[1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 128, 2048]) n;

-- norms, normalisation, dimensions
SELECT l2_norm('[3,4]'), l2_norm('[0,0]'), l2_norm('[3e38,3e38]');
SELECT l2_normalize('[3,4]'), l2_normalize('[0,0]'), l2_normalize('[-5]');
SELECT l2_norm(l2_normalize('[1,2,3,4,5,6,7,8,9]'));
SELECT dims('[1,2,3]'), dims('[1]');

-- element-wise arithmetic
SELECT '[1,2,3]'::face_embedding + '[4,5,6]', '[1,2,3]'::face_embedding - '[4,5,6]';
SELECT '[3e38]'::face_embedding + '[3e38]';
SELECT '[-3e38]'::face_embedding - '[3e38]';

-- the model tag: kept when both sides agree, unknown otherwise
SELECT face_embedding_model(face_embedding_with_model(array_fill(1, ARRAY[128])::face_embedding, 1));
SELECT face_embedding_model(face_embedding_with_model(array_fill(1, ARRAY[128])::face_embedding, 1)
	+ face_embedding_with_model(array_fill(2, ARRAY[128])::face_embedding, 1)) AS both_known,
	face_embedding_model(face_embedding_with_model(array_fill(1, ARRAY[128])::face_embedding, 1)
	+ array_fill(2, ARRAY[128])::face_embedding) AS mixed,
	face_embedding_model(l2_normalize(face_embedding_with_model(array_fill(1, ARRAY[128])::face_embedding, 1))) AS normalized;
-- unknown mixes with a known model
SELECT face_embedding_with_model(array_fill(1, ARRAY[128])::face_embedding, 1)
	<-> array_fill(2, ARRAY[128])::face_embedding AS mixed_l2;

-- every function of the type is IMMUTABLE STRICT PARALLEL SAFE, except the ISA report (STABLE)
SELECT count(*) AS checked,
	string_agg(p.oid::regprocedure::text, ', ') FILTER (WHERE
		NOT (p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's')) AS not_immutable_strict_safe
	FROM pg_proc p
	WHERE p.prokind = 'f' AND p.proname IN ('face_embedding_in', 'face_embedding_out',
		'face_embedding_typmod_in', 'face_embedding_typmod_out', 'face_embedding_recv',
		'face_embedding_send', 'face_embedding', 'face_embedding_model', 'face_embedding_with_model',
		'l2_distance', 'face_embedding_l2_squared_distance', 'inner_product', 'face_embedding_negative_inner_product', 'cosine_distance',
		'l1_distance', 'l2_norm', 'l2_normalize', 'dims', 'face_embedding_add', 'face_embedding_sub',
		'face_distance_isa', 'array_to_face_embedding', 'face_embedding_to_float4',
		'face_embedding_to_float8', 'face_embedding_accum', 'face_embedding_combine',
		'face_embedding_avg', 'face_embedding_sum', 'face_embedding_lt', 'face_embedding_le',
		'face_embedding_eq', 'face_embedding_ne', 'face_embedding_ge', 'face_embedding_gt',
		'face_embedding_cmp', 'face_embedding_hash', 'face_embedding_hash_extended');
SELECT face_distance_isa() IN ('avx512', 'avx2', 'scalar') AS isa_known;

-- face.distance_isa: every ISA this CPU runs gives the scalar kernels' answers
CREATE TEMP TABLE isa_v AS
	SELECT i, n, (SELECT array_agg(sin(i * 7 + j)) FROM generate_series(1, n) j)::face_embedding AS a,
		(SELECT array_agg(cos(i * 3 + j * 2)) FROM generate_series(1, n) j)::face_embedding AS b
	FROM generate_series(1, 40) i, unnest(ARRAY[1, 5, 16, 17, 33, 128, 129, 2048]) n;
SET face.distance_isa = 'scalar';
SHOW face.distance_isa;
SELECT face_distance_isa();
CREATE TEMP TABLE isa_ref AS SELECT i, n, a <-> b AS l2, a <#> b AS ip, a <=> b AS cos, a <+> b AS l1 FROM isa_v;
DO $$
DECLARE
	isa text;
	bad int;
BEGIN
	FOREACH isa IN ARRAY ARRAY['avx2', 'avx512', 'auto'] LOOP
		BEGIN
			PERFORM set_config('face.distance_isa', isa, true);
		EXCEPTION WHEN invalid_parameter_value THEN
			CONTINUE;			-- not on this CPU
		END;
		IF isa <> 'auto' AND face_distance_isa() <> isa THEN
			RAISE EXCEPTION 'face.distance_isa = % selected %', isa, face_distance_isa();
		END IF;
		SELECT count(*) INTO bad FROM isa_v JOIN isa_ref r USING (i, n)
			WHERE abs((a <-> b) - r.l2) > 1e-5 * r.l2 + 1e-6
			   OR abs((a <#> b) - r.ip) > 1e-5 * n + 1e-6
			   OR abs((a <=> b) - r.cos) > 1e-5
			   OR abs((a <+> b) - r.l1) > 1e-5 * r.l1 + 1e-6;
		IF bad > 0 THEN
			RAISE EXCEPTION '% kernels disagree with scalar on % pairs', isa, bad;
		END IF;
	END LOOP;
END $$;
RESET face.distance_isa;
SELECT current_setting('face.distance_isa') AS after_reset;
SET face.distance_isa = 'sse9';
DROP TABLE isa_v, isa_ref;
