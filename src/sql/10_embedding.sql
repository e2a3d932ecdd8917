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
