-- face_embedding text I/O: pgvector's format, shortest round-trip floats
SELECT '[1,2,3]'::face_embedding;
SELECT '[-1,-2,-3]'::face_embedding;
SELECT '[1.,2.,3.]'::face_embedding;
SELECT ' [ 1,  2 ,	3  ] '::face_embedding;
SELECT E'\n[1,\n2]\t'::face_embedding;
SELECT '[1.23456]'::face_embedding;
SELECT '[0.1,-2,3e-5]'::face_embedding;
SELECT '[+1.5,0x10]'::face_embedding;

-- extremes: smallest normal, denormals, largest float4, signed zero
SELECT '[1e-38,-1e-38]'::face_embedding;
SELECT '[1.17549435e-38]'::face_embedding;
SELECT '[1e-40,1.4e-45]'::face_embedding;
SELECT '[3.4e38,-3.4e38,3.4028235e38]'::face_embedding;
SELECT '[-0,0]'::face_embedding;

-- shortest output that reads back to the same float4
SELECT '[0.1,0.2,0.3,0.333333343]'::face_embedding;
SELECT '[16777217,1e10,123456789]'::face_embedding;

-- round trip through text is exact, for many random values
SELECT setseed(0.42);
CREATE TABLE io_rt AS
	SELECT i, array_agg((random() - 0.5) * 10 ^ (random() * 60 - 30))::real[] AS a
	FROM generate_series(1, 200) i, generate_series(1, 16) j GROUP BY i;
SELECT count(*) AS mismatches
	FROM io_rt WHERE (a::face_embedding)::text::face_embedding::real[] IS DISTINCT FROM a;
SELECT count(*) AS bit_mismatches
	FROM io_rt, generate_series(1, 16) k
	WHERE float4send(((a::face_embedding)::text::face_embedding::real[])[k]) <> float4send(a[k]);
DROP TABLE io_rt;

-- the maximum dimension
SELECT dims(('[' || repeat('1,', 2047) || '1]')::face_embedding);

-- arrays of embeddings
SELECT unnest('{"[1,2,3]","[4,5,6]"}'::face_embedding[]);

-- text input carries no model
SELECT face_embedding_model('[1,2,3]');
