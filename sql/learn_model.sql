-- The face_model catalog: its columns, the id sequence's range, that pg_dump dumps both,
-- and that only the extension's functions write it.
SELECT attname, format_type(atttypid, atttypmod), attnotnull
FROM pg_attribute WHERE attrelid = 'face_model'::regclass AND attnum > 0 ORDER BY attnum;
SELECT seqmin, seqmax, seqcycle FROM pg_sequence WHERE seqrelid = 'face_model_id_seq'::regclass;
SELECT unnest(extconfig)::regclass FROM pg_extension WHERE extname = 'face' ORDER BY 1::text;

-- PUBLIC reads, never writes
CREATE ROLE regress_learn_user;
SET ROLE regress_learn_user;
SELECT count(*) FROM face_model;
INSERT INTO face_model (name, kind, method, base_model, dims_in, params, options, metrics)
	VALUES ('forged', 'metric', 'triplet', 1, 128, '\x', '{}', '{}');
SELECT nextval('face_model_id_seq');
SELECT face_model_drop('nothing');
RESET ROLE;
-- the catalog's checks hold even for its owner (terse: the failing row has a timestamp)
\set VERBOSITY terse
INSERT INTO face_model (id, name, kind, method, base_model, dims_in, params, options, metrics)
	VALUES (300, 'low id', 'metric', 'triplet', 1, 128, '\x', '{}', '{}');
INSERT INTO face_model (name, kind, method, base_model, dims_in, params, options, metrics)
	VALUES ('bad kind', 'regressor', 'ols', 1, 128, '\x', '{}', '{}');
\set VERBOSITY default
SELECT face_model_drop('nothing');
DROP ROLE regress_learn_user;

-- embedding tags: 16384..32767 are trained heads, accepted (a text dump loses them)
SELECT face_embedding_model(face_embedding_with_model('[1,2]', 16384)),
	face_embedding_model(face_embedding_with_model('[1,2]', 32767));
SELECT face_embedding_with_model('[1,2]', 16384) <-> face_embedding_with_model('[1,2]', 16383);
