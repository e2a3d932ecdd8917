
-- 1:1 verification (src/verify.c)

-- Same person?  l2_distance(a, b) < face.verify_threshold (default 0.6).
-- STABLE, not IMMUTABLE: the answer depends on a setting.
CREATE FUNCTION face_verify(face_embedding, face_embedding) RETURNS boolean
	AS 'MODULE_PATHNAME', 'face_verify' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- Same person at an explicit threshold.
CREATE FUNCTION face_verify(face_embedding, face_embedding, threshold float8) RETURNS boolean
	AS 'MODULE_PATHNAME', 'face_verify_threshold_arg' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
