-- embed_errors: every bad input is a clear ERROR with a specific SQLSTATE, never
-- a crash; NULL in, NULL out; a photo without a face gives NULL, not an error.
LOAD 'face';  -- defines the face.* settings
SELECT current_setting('face.model_dir') || '/samples/' AS dir \gset
CREATE TEMP TABLE good AS SELECT pg_read_binary_file(:'dir' || 'sample1.jpg') AS img;

-- SQLSTATE and message of embed(), embed_crop() and faces() on one input
CREATE FUNCTION pg_temp.try(what text, b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text := '';
BEGIN
	BEGIN PERFORM embed(b); r := r || 'embed ok'; EXCEPTION WHEN OTHERS THEN r := r || SQLSTATE || ' ' || SQLERRM; END;
	BEGIN PERFORM embed_crop(b); EXCEPTION WHEN OTHERS THEN r := r || ' | crop ' || SQLSTATE; END;
	BEGIN PERFORM count(*) FROM faces(b); EXCEPTION WHEN OTHERS THEN r := r || ' | faces ' || SQLSTATE; END;
	RETURN what || ': ' || r;
END $$;

SELECT pg_temp.try('empty', ''::bytea);
SELECT pg_temp.try('text', convert_to('just some text, not a photo', 'UTF8'));
SELECT pg_temp.try('truncated jpeg', substring(img FROM 1 FOR length(img) / 2)) FROM good;
SELECT pg_temp.try('jpeg header only', substring(img FROM 1 FOR 600)) FROM good;
-- restart markers and garbage in the middle of the entropy-coded data
SELECT pg_temp.try('corrupt huffman', overlay(img PLACING decode(repeat('d7ff00d1ffd3', 200), 'hex') FROM length(img) / 2)) FROM good;
-- SOF0 claims 65535 x 65535 (beyond libjpeg's limit) or 20000 x 20000 (beyond
-- face.max_pixels): refused from the header, before any allocation
SELECT pg_temp.try('huge header', overlay(img PLACING '\xffffffff'::bytea FROM position('\xffc0'::bytea IN img) + 5)) FROM good;
SELECT pg_temp.try('big header', overlay(img PLACING '\x4e204e20'::bytea FROM position('\xffc0'::bytea IN img) + 5)) FROM good;
SELECT pg_temp.try('1x1 png', '\x89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478da63686868000003040181752e01bc0000000049454e44ae426082'::bytea);
SELECT pg_temp.try('truncated png', substring('\x89504e470d0a1a0a0000000d4948445200000040000000400802000000250be6890000004b4944415478daedcf310d00000c03a04aaff44ad8bd041c903e170101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010181cb001f3e0169e67d4c9c0000000049454e44ae426082'::bytea FROM 1 FOR 70));
SELECT pg_temp.try('gif', '\x47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b'::bytea);
SELECT pg_temp.try('webp', '\x524946461a000000574542505650384c0d0000002f0000001007101111888808'::bytea);

-- the errors as a user sees them (message, hint)
SELECT embed(convert_to('just some text, not a photo', 'UTF8'));
SELECT embed('\x47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b'::bytea);
SELECT embed(overlay(img PLACING '\x4e204e20'::bytea FROM position('\xffc0'::bytea IN img) + 5)) FROM good;

-- face.max_pixels applies to real photos too (sample1 is 1920 x 1280)
SET face.max_pixels = 2500000;
SELECT dims(embed(img)) FROM good;
SET face.max_pixels = 1000000;
SELECT dims(embed(img)) FROM good;
RESET face.max_pixels;

-- the backend survived all of that
SELECT dims(embed(img)) FROM good;

-- NULL in, NULL out
SELECT embed(NULL) IS NULL AS embed_null, embed_crop(NULL) IS NULL AS crop_null,
	   (SELECT count(*) FROM faces(NULL)) AS faces_null;

-- a valid photo with no face: NULL and no rows, so a bulk UPDATE does not abort
SELECT embed('\x89504e470d0a1a0a0000000d4948445200000040000000400802000000250be6890000004b4944415478daedcf310d00000c03a04aaff44ad8bd041c903e170101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010181cb001f3e0169e67d4c9c0000000049454e44ae426082'::bytea) IS NULL AS no_face,
	   (SELECT count(*) FROM faces('\x89504e470d0a1a0a0000000d4948445200000040000000400802000000250be6890000004b4944415478daedcf310d00000c03a04aaff44ad8bd041c903e170101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010181cb001f3e0169e67d4c9c0000000049454e44ae426082'::bytea)) AS rows;

-- settings are checked
SET face.min_confidence = 1.5;
SET face.model_dir = 'relative/path';

-- a model directory without models: a clear error saying how to fix it
SET face.model_dir = '/nonexistent';
SELECT embed(img) FROM good;
RESET face.model_dir;
SELECT dims(embed(img)) FROM good;
