-- binary send/recv: int16 dim, int16 model, float4s in network order
SELECT face_embedding_send('[1,-2,0.5]');
SELECT face_embedding_send(face_embedding_with_model('[1]', 300));

-- COPY BINARY round trip keeps every bit and the model tag
-- (files live in the server's data directory: COPY FROM and lo_export take paths
-- relative to it, COPY TO wants an absolute one)
CREATE TABLE bin_src (id int, e face_embedding);
INSERT INTO bin_src VALUES
	(1, '[1e-38,-0,3.4e38,1e-45,0.1]'),
	(2, face_embedding_with_model(array_fill(0.25, ARRAY[128])::face_embedding, 1)),
	(3, face_embedding_with_model('[1,2,3]', 256)),
	(4, NULL),
	(5, ('[' || repeat('-1.5,', 2047) || '7]')::face_embedding);
DO $$ BEGIN
	EXECUTE format('COPY bin_src TO %L (FORMAT binary)',
				   current_setting('data_directory') || '/face_regress_binary.copy');
END $$;
CREATE TABLE bin_dst (id int, e face_embedding);
COPY bin_dst FROM 'face_regress_binary.copy' (FORMAT binary);
SELECT s.id, d.e IS NOT DISTINCT FROM s.e AS equal,
	face_embedding_send(d.e) IS NOT DISTINCT FROM face_embedding_send(s.e) AS same_bytes,
	face_embedding_model(d.e) AS model, dims(d.e)
	FROM bin_src s JOIN bin_dst d USING (id) ORDER BY id;
SELECT e FROM bin_dst WHERE id = 1;
-- the typmod applies to binary input too
CREATE TABLE bin_typed (id int, e face_embedding(5));
COPY bin_typed FROM 'face_regress_binary.copy' (FORMAT binary);

-- hand-made COPY files: one row, one face_embedding field holding payload
CREATE FUNCTION pg_temp.copy_payload(payload bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	lo oid;
BEGIN
	lo := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea	-- signature
		|| '\x0000000000000000'::bytea							-- flags, extension length
		|| '\x0001'::bytea || int4send(length(payload)) || payload	-- 1 field
		|| '\xffff'::bytea);									-- trailer
	PERFORM lo_export(lo, 'face_regress_bad.copy');
	PERFORM lo_unlink(lo);
	TRUNCATE bin_one;
	COPY bin_one FROM 'face_regress_bad.copy' (FORMAT binary);
	RETURN (SELECT e::text || ' model ' || face_embedding_model(e) FROM bin_one);
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE TABLE bin_one (e face_embedding);
SELECT label, pg_temp.copy_payload(payload) FROM (VALUES
	('valid',          '\x00030000 3f800000 40000000 40400000'::bytea),
	('valid model 1',  '\x00800001'::bytea || decode(repeat('3f800000', 128), 'hex')),
	('dim 0',          '\x00000000'::bytea),
	('dim -1',         '\xffff0000 3f800000'::bytea),
	('dim 2049',       '\x08010000'::bytea || decode(repeat('3f800000', 2049), 'hex')),
	('unknown model',  '\x00010002 3f800000'::bytea),
	('negative model', '\x0001ffff 3f800000'::bytea),
	('model 1, 3-D',   '\x00030001 3f800000 40000000 40400000'::bytea),
	('NaN',            '\x00020000 3f800000 7fc00000'::bytea),
	('+Inf',           '\x00010000 7f800000'::bytea),
	('-Inf',           '\x00010000 ff800000'::bytea),
	('short',          '\x00030000 3f800000 40000000'::bytea),
	('long',           '\x00010000 3f800000 40000000'::bytea),
	('no header',      '\x0001'::bytea),
	('empty',          ''::bytea)
) v(label, payload);

-- leave empty files behind rather than data
DO $$
DECLARE
	lo oid := lo_from_bytea(0, '');
BEGIN
	PERFORM lo_export(lo, 'face_regress_binary.copy');
	PERFORM lo_export(lo, 'face_regress_bad.copy');
	PERFORM lo_unlink(lo);
END $$;
SELECT count(*) AS large_objects_left FROM pg_largeobject_metadata;
DROP TABLE bin_src, bin_dst, bin_typed, bin_one;
