-- embed_invariance: a face's embedding survives re-encoding (JPEG quality 50),
-- downscaling to half size (PNG), a shift of a few pixels, and EXIF rotation:
-- each face of each sample photo has a face in the altered photo within 0.35
-- of it (same-person threshold 0.6; different people in these photos are > 0.55 apart).
-- The altered copies are written by "face-cli --variants" during "make models".
LOAD 'face';  -- defines the face.* settings
SELECT current_setting('face.model_dir') || '/samples/' AS dir \gset
CREATE TABLE inv_faces AS
	SELECT n, v, f.face, f.embedding
	FROM generate_series(1, 6) n,
		 unnest(ARRAY['', '_q50.jpg', '_half.png', '_shift.jpg', '_rot.jpg']) v,
		 faces(pg_read_binary_file(:'dir' || 'sample' || n || CASE v WHEN '' THEN '.jpg' ELSE v END)) f;

-- same number of faces in every variant
SELECT v, array_agg(c ORDER BY n) AS faces_per_photo
FROM (SELECT n, v, count(*) c FROM inv_faces GROUP BY n, v) s
GROUP BY v ORDER BY v;

-- distance from each original face to its nearest face in the variant
CREATE TABLE inv_dist AS
	SELECT o.n, o.face, a.v,
		   (SELECT min(o.embedding <-> a2.embedding) FROM inv_faces a2 WHERE a2.n = o.n AND a2.v = a.v) AS d
	FROM inv_faces o, (SELECT DISTINCT v FROM inv_faces WHERE v <> '') a
	WHERE o.v = '';
SELECT v, count(*) AS faces, bool_and(d < 0.35) AS all_within_035
FROM inv_dist GROUP BY v ORDER BY v;

DROP TABLE inv_dist, inv_faces;
