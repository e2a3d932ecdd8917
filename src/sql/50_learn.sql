
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

-- What a classifier or a vote predicts: the person, or NULL for somebody unknown, and
-- how sure it is (of the person, or of "unknown").
CREATE TYPE face_prediction AS (label text, probability float8);

-- Calibrated verification (src/learn/face_calibrate.c): P(same | distance) and thresholds
-- at target false-accept rates that hold on new people, fitted on labelled rows.
CREATE FUNCTION face_calibrate(name text, training_query text, options jsonb DEFAULT '{}')
	RETURNS integer
	AS 'MODULE_PATHNAME', 'face_calibrate' LANGUAGE C VOLATILE;
CREATE FUNCTION face_match_probability(a face_embedding, b face_embedding, calibration integer)
	RETURNS float8
	AS 'MODULE_PATHNAME', 'face_match_probability' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_threshold(calibration integer, far float8) RETURNS float8
	AS 'MODULE_PATHNAME', 'face_threshold' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_roc(calibration integer)
	RETURNS TABLE (threshold float8, far float8, tar float8)
	AS 'MODULE_PATHNAME', 'face_roc' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 200;

-- The distance whose false-accept rate on these (ad-hoc) pairs is far.
CREATE FUNCTION face_threshold_at_far_transfn(internal, float8, boolean, float8) RETURNS internal
	AS 'MODULE_PATHNAME', 'face_threshold_at_far_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION face_threshold_at_far_finalfn(internal) RETURNS float8
	AS 'MODULE_PATHNAME', 'face_threshold_at_far_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE face_threshold_at_far(distance float8, same boolean, far float8) (
	SFUNC = face_threshold_at_far_transfn, STYPE = internal,
	FINALFUNC = face_threshold_at_far_finalfn
);

-- Weighted k-NN vote with unknown rejection (src/learn/face_vote.c), e.g.
-- SELECT face_vote(person, d) FROM (SELECT person, emb <-> $1 AS d FROM faces
--                                   ORDER BY emb <-> $1 LIMIT 5) s;
CREATE FUNCTION face_vote_transfn(internal, text, float8) RETURNS internal
	AS 'MODULE_PATHNAME', 'face_vote_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION face_vote_threshold_transfn(internal, text, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME', 'face_vote_threshold_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION face_vote_finalfn(internal) RETURNS face_prediction
	AS 'MODULE_PATHNAME', 'face_vote_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE face_vote(label text, distance float8) (
	SFUNC = face_vote_transfn, STYPE = internal, FINALFUNC = face_vote_finalfn
);
CREATE AGGREGATE face_vote(label text, distance float8, threshold float8) (
	SFUNC = face_vote_threshold_transfn, STYPE = internal, FINALFUNC = face_vote_finalfn
);

-- Metric heads (src/learn/face_metric.c): a projection learnt on labelled embeddings with
-- a triplet, contrastive or binary loss; its id tags what it projects.
CREATE FUNCTION face_train_metric(name text, training_query text, loss text DEFAULT 'triplet',
								  options jsonb DEFAULT '{}')
	RETURNS integer
	AS 'MODULE_PATHNAME', 'face_train_metric' LANGUAGE C VOLATILE STRICT;
-- IMMUTABLE: a model never changes (training again makes a new one, ids are never reused),
-- so expression indexes and generated columns may use it.
CREATE FUNCTION face_project(embedding face_embedding, model integer) RETURNS face_embedding
	AS 'MODULE_PATHNAME', 'face_project' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_similarity(a face_embedding, b face_embedding, model integer) RETURNS float8
	AS 'MODULE_PATHNAME', 'face_similarity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
