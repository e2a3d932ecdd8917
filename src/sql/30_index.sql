-- The faceann index access method (src/index/).

CREATE FUNCTION faceannhandler(internal) RETURNS index_am_handler
	AS 'MODULE_PATHNAME' LANGUAGE C;

CREATE ACCESS METHOD faceann TYPE INDEX HANDLER faceannhandler;
COMMENT ON ACCESS METHOD faceann IS 'IVF index with 4-bit codes and fp16 rerank for face_embedding';

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

-- faceann_check takes a ShareLock on the table and reports its row counts:
-- not for PUBLIC (it also checks that the caller may read the table).
REVOKE ALL ON FUNCTION faceann_check(regclass) FROM PUBLIC;
