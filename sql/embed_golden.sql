-- embed_golden: our pipeline against the reference face-api 1.7.15 on the same
-- photos (test/golden/samples.txt, written by test/golden/generate.mjs).
--
-- The networks themselves are held to face-api's numbers on fixed input tensors
-- by the C unit tests (cosine >= 0.9999).  End to end two things differ by
-- design, so the bounds here are looser:
--   * decoding: libjpeg-turbo vs jpeg-js (ANCHORS.md: alone moves descriptors by
--     a median 0.055), so detections are compared by IoU >= 0.9 and score
--     within 0.03 rather than exactly;
--   * the recognition crop: dlib's rotated, scaled face chip vs face-api's
--     axis-aligned eye/mouth box (a 1-5 px box shift alone moves a descriptor by
--     up to 0.21).  We require every face within 0.3 of face-api's descriptor
--     for it: half the 0.6 same-person threshold, so ours and face-api's always
--     agree on "same person", and far below the > 0.6 between different people
--     (checked below as rank-1: face-api's nearest descriptor to each of ours is
--     that same face).
CREATE TEMP TABLE golden_raw (line text);
\copy golden_raw FROM 'test/golden/samples.txt' WITH (FORMAT text, DELIMITER E'\x01')
CREATE TEMP TABLE golden_rec AS
	SELECT string_to_array(line, E'\t') AS f FROM golden_raw WHERE line NOT LIKE '#%';
CREATE TEMP TABLE ref AS
	SELECT d.f[2] AS file, d.f[3]::int + 1 AS i,
		   b.f[4]::real AS score, b.f[5]::real AS x, b.f[6]::real AS y, b.f[7]::real AS w, b.f[8]::real AS h,
		   ('[' || array_to_string(d.f[5:132], ',') || ']')::face_embedding AS descriptor
	FROM golden_rec d JOIN golden_rec b ON b.f[1] = 'face' AND b.f[2] = d.f[2] AND b.f[3] = d.f[3]
	WHERE d.f[1] = 'descriptor';
SELECT count(*) AS reference_faces FROM ref;

LOAD 'face';  -- defines the face.* settings
SELECT current_setting('face.model_dir') || '/samples/' AS dir \gset
CREATE TEMP TABLE ours AS
	SELECT file, f.* FROM (SELECT DISTINCT file FROM ref) r,
		 faces(pg_read_binary_file(:'dir' || r.file)) f;

-- pair each reference face with our face of the best box overlap
CREATE TEMP TABLE pairs AS
	SELECT r.file, r.i, o.face, r.score AS ref_score, o.score, iou, r.descriptor, o.embedding
	FROM ref r CROSS JOIN LATERAL (
		SELECT o.*, greatest(0, least(r.x + r.w, o.x + o.width) - greatest(r.x, o.x)) *
					greatest(0, least(r.y + r.h, o.y + o.height) - greatest(r.y, o.y)) /
					(r.w * r.h + o.width * o.height -
					 greatest(0, least(r.x + r.w, o.x + o.width) - greatest(r.x, o.x)) *
					 greatest(0, least(r.y + r.h, o.y + o.height) - greatest(r.y, o.y))) AS iou
		FROM ours o WHERE o.file = r.file ORDER BY iou DESC NULLS LAST LIMIT 1) o;

-- same faces found, one for one
SELECT (SELECT count(*) FROM ours) AS our_faces,
	   count(DISTINCT (file, face)) AS matched,
	   bool_and(iou >= 0.9) AS boxes_iou_090,
	   bool_and(abs(score - ref_score) < 0.03) AS scores_close
FROM pairs;

-- descriptors: each within 0.3 of face-api's, and face-api's nearest to each of ours is its own
SELECT bool_and(embedding <-> descriptor < 0.3) AS within_03,
	   bool_and((SELECT (r.file, r.i) = (p.file, p.i) FROM ref r
				 ORDER BY r.descriptor <-> p.embedding LIMIT 1)) AS rank1
FROM pairs p;
