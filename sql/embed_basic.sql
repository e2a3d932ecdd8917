-- embed_basic: faces(), embed() and embed_crop() on face-api's six sample photos
-- (fetched and installed by "make models && make install"; see README).
LOAD 'face';  -- defines the face.* settings
SELECT current_setting('face.model_dir') || '/samples/' AS dir \gset
CREATE TABLE embed_photos AS
	SELECT n, pg_read_binary_file(:'dir' || 'sample' || n || '.jpg') AS img
	FROM generate_series(1, 6) n;
CREATE TABLE embed_faces AS
	SELECT p.n, f.* FROM embed_photos p, faces(p.img) f;

-- face counts per photo: face-api finds 3, 3, 3, 4, 5, 4 (test/golden/samples.txt)
SELECT n, count(*) AS faces FROM embed_faces GROUP BY n ORDER BY n;

-- rows are numbered from 1 in descending score order, all above face.min_confidence
SELECT bool_and(score > 0.5 AND score <= 1) AS scores_ok,
	   bool_and(face = 1 OR score <= (SELECT score FROM embed_faces g WHERE g.n = f.n AND g.face = f.face - 1)) AS ordered
FROM embed_faces f;

-- boxes lie in the photo (1920 px wide) and are face-sized; 68 landmarks, most inside the box
SELECT bool_and(x >= 0 AND y >= 0 AND x + width <= 1921 AND width BETWEEN 100 AND 300 AND height BETWEEN 150 AND 350) AS boxes_ok,
	   bool_and(array_length(landmarks, 1) = 68) AS landmarks_68,
	   bool_and((SELECT count(*) FROM unnest(landmarks) p
				 WHERE p[0] BETWEEN x - 10 AND x + width + 10 AND p[1] BETWEEN y - 10 AND y + height + 10) >= 60) AS landmarks_in_box
FROM embed_faces;

-- embeddings: 128-D, not normalised (dlib's descriptors have norms near 1.4)
SELECT bool_and(dims(embedding) = 128) AS dims_ok,
	   bool_and(l2_norm(embedding) BETWEEN 0.8 AND 2.0) AS norms_ok
FROM embed_faces;

-- different people in one photo are far apart.  Not all beyond dlib's 0.6:
-- these family photos hold relatives, and face-api's own descriptors put two
-- of sample4's people 0.486 apart; with dlib alignment our closest pair is 0.58.
SELECT a.n, min(a.embedding <-> b.embedding) > 0.55 AS all_apart
FROM embed_faces a JOIN embed_faces b ON a.n = b.n AND a.face < b.face
GROUP BY a.n ORDER BY a.n;

-- embed() is the most prominent face: largest box area x score
SELECT p.n, embed(p.img) = (SELECT embedding FROM embed_faces f WHERE f.n = p.n
							ORDER BY width * height * score DESC LIMIT 1) AS most_prominent
FROM embed_photos p ORDER BY p.n;

-- the result is deterministic
SELECT bool_and(embed(img) = embed(img)) AS deterministic FROM embed_photos WHERE n = 1;

-- an embedding is at distance 0 from itself (same model tag on both sides)
SELECT (embed(img) <-> embed(img)) = 0 AS self_distance_zero FROM embed_photos WHERE n = 2;

-- tight crops (each detection box cut out of the photo, no detection run):
-- embed_crop() lands near the face's embedding from the whole photo
CREATE TABLE embed_crops AS
	SELECT f.n, f.face, embed_crop(pg_read_binary_file(:'dir' || 'sample' || f.n || '_face' || (f.face - 1) || '.png')) AS emb
	FROM embed_faces f;
SELECT count(*) AS crops,
	   bool_and(c.emb <-> f.embedding < 0.35) AS near_own_face
FROM embed_crops c JOIN embed_faces f USING (n, face);
-- and nearest to its own face among all 22
SELECT bool_and((SELECT (g.n, g.face) = (c.n, c.face) FROM embed_faces g
				 ORDER BY g.embedding <-> c.emb LIMIT 1)) AS rank1
FROM embed_crops c;

DROP TABLE embed_crops, embed_faces, embed_photos;
