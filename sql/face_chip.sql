-- face_chip / face_crop_chip: PNGs of the aligned chip the recognition net sees.
LOAD 'face';  -- defines the face.* settings
SELECT current_setting('face.model_dir') || '/samples/' AS dir \gset
CREATE TEMP TABLE chip_photo AS SELECT pg_read_binary_file(:'dir' || 'sample1.jpg') AS img;
-- the PNG's width and height, from its IHDR chunk
CREATE FUNCTION pg_temp.png_size(png bytea) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN substring(png FROM 1 FOR 8) = '\x89504e470d0a1a0a'::bytea
		THEN ('x' || encode(substring(png FROM 17 FOR 4), 'hex'))::bit(32)::int || 'x' ||
			 ('x' || encode(substring(png FROM 21 FOR 4), 'hex'))::bit(32)::int
		ELSE 'not a PNG' END $$;
SELECT pg_temp.png_size(face_chip(img)) AS chip, pg_temp.png_size(face_chip(img, 2, 64)) AS chip64
FROM chip_photo;
-- face NULL is the face embed() picks; faces are the rows of faces()
SELECT (SELECT face FROM faces(img) ORDER BY width * height * score DESC LIMIT 1) AS prominent,
	   array(SELECT f FROM generate_series(1, 3) f WHERE face_chip(img, f) = face_chip(img)) AS same_chip,
	   face_chip(img, 1) <> face_chip(img, 2) AS faces_differ
FROM chip_photo;
-- the chip is what the network sees: embedding the chip as a crop gives the face's embedding back
SELECT f.face, (embed_crop(face_chip(p.img, f.face)) <-> f.embedding) < 0.25 AS same_face
FROM chip_photo p, faces(p.img) f ORDER BY f.face;
-- a tight crop, aligned as embed_crop aligns it
SELECT pg_temp.png_size(face_crop_chip(c)) AS crop_chip,
	   (embed_crop(face_crop_chip(c)) <-> embed_crop(c)) < 0.25 AS same_face
FROM (SELECT pg_read_binary_file(:'dir' || 'sample1_face0.png') AS c) s;
-- no face: NULL; NULL photo: NULL
SELECT face_chip('\x89504e470d0a1a0a0000000d4948445200000040000000400802000000250be6890000004b4944415478daedcf310d00000c03a04aaff44ad8bd041c903e170101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010181cb001f3e0169e67d4c9c0000000049454e44ae426082'::bytea) IS NULL AS no_face,
	   face_chip(NULL) IS NULL AS null_photo, face_crop_chip(NULL) IS NULL AS null_crop;
-- errors: face out of range, size out of range or NULL, not an image
SELECT face_chip(img, 0) FROM chip_photo;
SELECT face_chip(img, 99) FROM chip_photo;
SELECT face_chip(img, NULL, 8) FROM chip_photo;
SELECT face_chip(img, NULL, 4096) FROM chip_photo;
SELECT face_chip(img, NULL, NULL) FROM chip_photo;
SELECT face_crop_chip(c, 15) FROM (SELECT pg_read_binary_file(:'dir' || 'sample1_face0.png') AS c) s;
SELECT face_chip('\x00010203'::bytea);
SELECT face_crop_chip('not an image'::bytea);
