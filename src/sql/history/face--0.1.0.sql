-- face extension install script, assembled by the Makefile from src/sql/*.sql in name order.

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION face" to load this file. \quit
-- 10_embedding.sql: the face_embedding type, its operators, casts, aggregates and opclasses.
-- C code: src/embedding.c (I/O), src/embedding_ops.c, src/embedding_cast.c, src/embedding_agg.c.

CREATE TYPE face_embedding;

CREATE FUNCTION face_embedding_in(cstring, oid, integer) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_out(face_embedding) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_typmod_in(cstring[]) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_typmod_out(integer) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_recv(internal, oid, integer) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_send(face_embedding) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- External storage: random floats do not compress, and 128-D values stay inline anyway.
CREATE TYPE face_embedding (
	INPUT = face_embedding_in,
	OUTPUT = face_embedding_out,
	TYPMOD_IN = face_embedding_typmod_in,
	TYPMOD_OUT = face_embedding_typmod_out,
	RECEIVE = face_embedding_recv,
	SEND = face_embedding_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = external
);
COMMENT ON TYPE face_embedding IS 'float4 vector of 1 to 2048 dimensions tagged with the model that produced it';

-- typmod enforcement: face_embedding(128)
CREATE FUNCTION face_embedding(face_embedding, integer, boolean) RETURNS face_embedding
	AS 'MODULE_PATHNAME', 'face_embedding_enforce_typmod' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (face_embedding AS face_embedding)
	WITH FUNCTION face_embedding(face_embedding, integer, boolean) AS IMPLICIT;

-- model tag
CREATE FUNCTION face_embedding_model(face_embedding) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_with_model(face_embedding, integer) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- distances
CREATE FUNCTION l2_distance(face_embedding, face_embedding) RETURNS float8
	AS 'MODULE_PATHNAME', 'face_embedding_l2_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- squared L2, same order as <-> without the sqrt: for index support functions
CREATE FUNCTION face_embedding_l2_squared_distance(face_embedding, face_embedding) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION inner_product(face_embedding, face_embedding) RETURNS float8
	AS 'MODULE_PATHNAME', 'face_embedding_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_negative_inner_product(face_embedding, face_embedding) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cosine_distance(face_embedding, face_embedding) RETURNS float8
	AS 'MODULE_PATHNAME', 'face_embedding_cosine_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION l1_distance(face_embedding, face_embedding) RETURNS float8
	AS 'MODULE_PATHNAME', 'face_embedding_l1_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR <-> (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, FUNCTION = l2_distance,
	COMMUTATOR = '<->'
);
CREATE OPERATOR <#> (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, FUNCTION = face_embedding_negative_inner_product,
	COMMUTATOR = '<#>'
);
CREATE OPERATOR <=> (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, FUNCTION = cosine_distance,
	COMMUTATOR = '<=>'
);
CREATE OPERATOR <+> (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, FUNCTION = l1_distance,
	COMMUTATOR = '<+>'
);

-- norms, dimensions, arithmetic
CREATE FUNCTION l2_norm(face_embedding) RETURNS float8
	AS 'MODULE_PATHNAME', 'face_embedding_l2_norm' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION l2_normalize(face_embedding) RETURNS face_embedding
	AS 'MODULE_PATHNAME', 'face_embedding_l2_normalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dims(face_embedding) RETURNS integer
	AS 'MODULE_PATHNAME', 'face_embedding_dims' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_add(face_embedding, face_embedding) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_sub(face_embedding, face_embedding) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR + (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, FUNCTION = face_embedding_add,
	COMMUTATOR = +
);
CREATE OPERATOR - (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, FUNCTION = face_embedding_sub
);

-- which SIMD kernels this backend's distances use (avx512, avx2 or scalar)
CREATE FUNCTION face_distance_isa() RETURNS text
	AS 'MODULE_PATHNAME', 'face_distance_isa_name' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- casts from and to arrays
CREATE FUNCTION array_to_face_embedding(real[], integer, boolean) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_face_embedding(double precision[], integer, boolean) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_face_embedding(integer[], integer, boolean) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_face_embedding(numeric[], integer, boolean) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_to_float4(face_embedding, integer, boolean) RETURNS real[]
	AS 'MODULE_PATHNAME', 'face_embedding_to_float4_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_to_float8(face_embedding, integer, boolean) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'face_embedding_to_float8_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (real[] AS face_embedding)
	WITH FUNCTION array_to_face_embedding(real[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (double precision[] AS face_embedding)
	WITH FUNCTION array_to_face_embedding(double precision[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (integer[] AS face_embedding)
	WITH FUNCTION array_to_face_embedding(integer[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (numeric[] AS face_embedding)
	WITH FUNCTION array_to_face_embedding(numeric[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (face_embedding AS real[])
	WITH FUNCTION face_embedding_to_float4(face_embedding, integer, boolean) AS ASSIGNMENT;
CREATE CAST (face_embedding AS double precision[])
	WITH FUNCTION face_embedding_to_float8(face_embedding, integer, boolean) AS ASSIGNMENT;

-- aggregates: state is {n, model, saw_unknown, sums...} in float8[] (see embedding_agg.c)
CREATE FUNCTION face_embedding_accum(double precision[], face_embedding) RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_combine(double precision[], double precision[]) RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_avg(double precision[]) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_sum(double precision[]) RETURNS face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE avg(face_embedding) (
	SFUNC = face_embedding_accum,
	STYPE = double precision[],
	FINALFUNC = face_embedding_avg,
	COMBINEFUNC = face_embedding_combine,
	INITCOND = '{0}',
	PARALLEL = SAFE
);
CREATE AGGREGATE sum(face_embedding) (
	SFUNC = face_embedding_accum,
	STYPE = double precision[],
	FINALFUNC = face_embedding_sum,
	COMBINEFUNC = face_embedding_combine,
	INITCOND = '{0}',
	PARALLEL = SAFE
);

-- btree: fewer dimensions first, then element by element (the model tag is ignored)
CREATE FUNCTION face_embedding_lt(face_embedding, face_embedding) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_le(face_embedding, face_embedding) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_eq(face_embedding, face_embedding) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_ne(face_embedding, face_embedding) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_ge(face_embedding, face_embedding) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_gt(face_embedding, face_embedding) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_cmp(face_embedding, face_embedding) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_hash(face_embedding) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION face_embedding_hash_extended(face_embedding, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR < (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, PROCEDURE = face_embedding_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR <= (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, PROCEDURE = face_embedding_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR = (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, PROCEDURE = face_embedding_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR <> (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, PROCEDURE = face_embedding_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR >= (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, PROCEDURE = face_embedding_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR > (
	LEFTARG = face_embedding, RIGHTARG = face_embedding, PROCEDURE = face_embedding_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);

CREATE OPERATOR CLASS face_embedding_ops
	DEFAULT FOR TYPE face_embedding USING btree AS
	OPERATOR 1 <,
	OPERATOR 2 <=,
	OPERATOR 3 =,
	OPERATOR 4 >=,
	OPERATOR 5 >,
	FUNCTION 1 face_embedding_cmp(face_embedding, face_embedding);

CREATE OPERATOR CLASS face_embedding_ops
	DEFAULT FOR TYPE face_embedding USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 face_embedding_hash(face_embedding),
	FUNCTION 2 face_embedding_hash_extended(face_embedding, bigint);

-- 1:1 verification (src/verify.c)

-- Same person?  l2_distance(a, b) < face.verify_threshold (default 0.6).
-- STABLE, not IMMUTABLE: the answer depends on a setting.
CREATE FUNCTION face_verify(face_embedding, face_embedding) RETURNS boolean
	AS 'MODULE_PATHNAME', 'face_verify' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- Same person at an explicit threshold.
CREATE FUNCTION face_verify(face_embedding, face_embedding, threshold float8) RETURNS boolean
	AS 'MODULE_PATHNAME', 'face_verify_threshold_arg' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- 20_embed.sql: computing face embeddings from photos (C code: src/embed.c over
-- src/core/pipeline.c).  All three read the face.* settings (model directory,
-- minimum confidence, maximum pixels), hence STABLE rather than IMMUTABLE.
-- COST: one photo takes tens to hundreds of milliseconds, ~10^5 times a simple
-- operator; the planner should never call them more often than it must.

CREATE FUNCTION embed(photo bytea) RETURNS face_embedding
	AS 'MODULE_PATHNAME', 'face_embed'
	LANGUAGE C STABLE STRICT PARALLEL SAFE COST 100000;
COMMENT ON FUNCTION embed(bytea) IS
	'embedding of the most prominent face (largest box area x detector score) in a JPEG or PNG photo; NULL if it has no face';

CREATE FUNCTION embed_crop(photo bytea) RETURNS face_embedding
	AS 'MODULE_PATHNAME', 'face_embed_crop'
	LANGUAGE C STABLE STRICT PARALLEL SAFE COST 30000;
COMMENT ON FUNCTION embed_crop(bytea) IS
	'embedding of a photo that is a tight face crop (no detection: landmarks on the whole image, then aligned)';

CREATE FUNCTION faces(photo bytea,
	OUT face integer, OUT x real, OUT y real, OUT width real, OUT height real,
	OUT score real, OUT landmarks point[], OUT embedding face_embedding)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'face_faces'
	LANGUAGE C STABLE STRICT PARALLEL SAFE COST 100000 ROWS 3;
COMMENT ON FUNCTION faces(bytea) IS
	'one row per face in a JPEG or PNG photo, best score first: box in pixels of the upright image, detector score, 68 landmarks, embedding';
-- The faceann index access method (src/index/).

CREATE FUNCTION faceannhandler(internal) RETURNS index_am_handler
	AS 'MODULE_PATHNAME' LANGUAGE C;

CREATE ACCESS METHOD faceann TYPE INDEX HANDLER faceannhandler;
COMMENT ON ACCESS METHOD faceann IS 'IVF index with 1-bit codes and fp16 rerank for face_embedding';

-- Support function 1: which metric the operator class orders by (internal use only).
CREATE FUNCTION faceann_l2_support(internal) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION faceann_cosine_support(internal) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION faceann_ip_support(internal) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR CLASS face_l2_ops
	DEFAULT FOR TYPE face_embedding USING faceann AS
	OPERATOR 1 <-> (face_embedding, face_embedding) FOR ORDER BY float_ops,
	FUNCTION 1 faceann_l2_support(internal);

CREATE OPERATOR CLASS face_cosine_ops
	FOR TYPE face_embedding USING faceann AS
	OPERATOR 1 <=> (face_embedding, face_embedding) FOR ORDER BY float_ops,
	FUNCTION 1 faceann_cosine_support(internal);

CREATE OPERATOR CLASS face_ip_ops
	FOR TYPE face_embedding USING faceann AS
	OPERATOR 1 <#> (face_embedding, face_embedding) FOR ORDER BY float_ops,
	FUNCTION 1 faceann_ip_support(internal);

-- Verify a faceann index against its table; ERROR (index_corrupted) on any violation.
CREATE FUNCTION faceann_check(index regclass,
	OUT lists int, OUT index_entries bigint, OUT heap_tuples bigint,
	OUT code_pages int, OUT vector_pages int)
	RETURNS record
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL RESTRICTED;
