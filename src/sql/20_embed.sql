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
