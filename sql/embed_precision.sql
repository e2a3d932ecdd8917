-- embed_precision: face.precision = fast (int8 detector kernels) against exact
-- on the six sample photos: the same number of faces, each exact face matched
-- by a fast face at IoU >= 0.95 with its score within 0.03 and its embedding
-- within 0.3; exact stays the default and is unchanged by a round trip through
-- fast (bit-for-bit the same embeddings).
LOAD 'face';  -- defines the face.* settings
SHOW face.precision;
SELECT current_setting('face.model_dir') || '/samples/' AS dir \gset
CREATE TABLE prec_exact AS
	SELECT n, f.* FROM generate_series(1, 6) n,
		 faces(pg_read_binary_file(:'dir' || 'sample' || n || '.jpg')) f;
SET face.precision = fast;
SHOW face.precision;
CREATE TABLE prec_fast AS
	SELECT n, f.* FROM generate_series(1, 6) n,
		 faces(pg_read_binary_file(:'dir' || 'sample' || n || '.jpg')) f;
RESET face.precision;
CREATE TABLE prec_exact2 AS
	SELECT n, f.* FROM generate_series(1, 6) n,
		 faces(pg_read_binary_file(:'dir' || 'sample' || n || '.jpg')) f;

-- same number of faces per photo
SELECT n, (SELECT count(*) FROM prec_exact e WHERE e.n = p.n) AS exact,
	   (SELECT count(*) FROM prec_fast f WHERE f.n = p.n) AS fast
FROM generate_series(1, 6) p(n) ORDER BY n;

-- each exact face against the fast face of the same photo it overlaps most
CREATE FUNCTION prec_iou(real, real, real, real, real, real, real, real) RETURNS float8
	LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN ix > 0 AND iy > 0 THEN ix * iy / ($3 * $4 + $7 * $8 - ix * iy) ELSE 0 END
	FROM (SELECT least($1 + $3, $5 + $7) - greatest($1, $5) AS ix,
				 least($2 + $4, $6 + $8) - greatest($2, $6) AS iy) s $$;
SELECT count(*) AS faces,
	   bool_and(iou >= 0.95) AS iou_ok,
	   bool_and(abs(ds) <= 0.03) AS scores_ok,
	   bool_and(d <= 0.3) AS embeddings_ok
FROM (SELECT e.n, e.face,
			 f.iou, e.score - f.score AS ds, e.embedding <-> f.embedding AS d
	  FROM prec_exact e
	  CROSS JOIN LATERAL (
		  SELECT prec_iou(e.x, e.y, e.width, e.height, f.x, f.y, f.width, f.height) AS iou,
				 f.score, f.embedding
		  FROM prec_fast f WHERE f.n = e.n ORDER BY 1 DESC LIMIT 1) f) s;

-- exact after fast: the very same embeddings
SELECT bool_and(a.embedding = b.embedding AND a.score = b.score) AS exact_unchanged, count(*)
FROM prec_exact a JOIN prec_exact2 b USING (n, face);

SET face.precision = half;
DROP FUNCTION prec_iou;
DROP TABLE prec_exact, prec_fast, prec_exact2;
