
-- Learning from the user's labelled faces (src/learn/, src/core/learn/).

-- The catalog of trained models: one immutable row per model, the fitted model as a
-- value (face_model.h).  Ids come from face_model_id_seq in 16384..32767, never reused;
-- a metric head's id is the model tag of the embeddings it produces.  Both are dumped by
-- pg_dump (config tables).  Written only by the extension's functions: PUBLIC may read
-- (every predictor reads with the caller's rights), nobody but the owner may write.
CREATE SEQUENCE face_model_id_seq AS integer MINVALUE 16384 MAXVALUE 32767 NO CYCLE;
CREATE TABLE face_model (
	id integer PRIMARY KEY DEFAULT nextval('face_model_id_seq')
		CHECK (id BETWEEN 16384 AND 32767),
	name text NOT NULL UNIQUE,
	kind text NOT NULL CHECK (kind IN ('metric', 'classifier', 'calibration')),
	method text NOT NULL,
	base_model integer NOT NULL,
	dims_in integer NOT NULL,
	dims_out integer,
	params bytea NOT NULL,
	labels text[],
	options jsonb NOT NULL,
	metrics jsonb NOT NULL,
	created timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE face_model_id_seq OWNED BY face_model.id;
COMMENT ON TABLE face_model IS 'models trained in the database: metric heads, classifiers, calibrations (immutable rows)';
SELECT pg_catalog.pg_extension_config_dump('face_model', '');
SELECT pg_catalog.pg_extension_config_dump('face_model_id_seq', '');
REVOKE ALL ON face_model FROM PUBLIC;
REVOKE ALL ON SEQUENCE face_model_id_seq FROM PUBLIC;
GRANT SELECT ON face_model TO PUBLIC;

-- Drop a model by name, with the caller's rights (DELETE on face_model).
CREATE FUNCTION face_model_drop(name text) RETURNS void
	AS 'MODULE_PATHNAME', 'face_model_drop' LANGUAGE C VOLATILE STRICT;
