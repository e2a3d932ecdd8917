-- embed_limits: the per-photo resource limits (face.max_pixels,
-- face.max_decode_memory) are superuser-only; a photo over one is ERROR 54000
-- naming its setting; a very wide strip decodes with a usable short side and
-- gives NULL (no face), not an error.
LOAD 'face';  -- defines the face.* settings
SELECT current_setting('face.model_dir') || '/samples/' AS dir \gset
CREATE TEMP TABLE good AS SELECT pg_read_binary_file(:'dir' || 'sample1.jpg') AS img;

SELECT name, context, unit, boot_val, min_val, max_val FROM pg_settings
 WHERE name IN ('face.max_pixels', 'face.max_decode_memory') ORDER BY name;

-- an ordinary user can neither raise nor lower them (a DBA's limit holds)
CREATE ROLE face_limits_user;
SET ROLE face_limits_user;
SET face.max_pixels = 500000000;
SET face.max_decode_memory = '4GB';
SET face.max_pixels = 1000;
SELECT set_config('face.max_decode_memory', '1GB', false);
SHOW face.max_pixels;
SHOW face.max_decode_memory;
RESET ROLE;
DROP ROLE face_limits_user;

-- a 12800 x 100 gray strip (baseline JPEG, every block flat grey: the entropy
-- data is one 6-bit code pair repeated).  At the 1600-px long side it would
-- decode at 1/8 to 1600 x 13, too small to hold a face; the short side keeps
-- it at 1/4, 3200 x 25: no face, so NULL and no rows
CREATE TEMP TABLE strip AS
  SELECT decode('ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080064320001011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00' || repeat('28a28a', 5200) || 'ffd9', 'hex') AS img;
SELECT length(img) FROM strip;
SELECT embed(img) IS NULL AS strip_gives_null FROM strip;
SELECT count(*) AS strip_faces FROM strip, faces(strip.img);

-- over the decode memory limit: 54000, naming the setting (a superuser may set it)
SET face.max_decode_memory = '1MB';
SHOW face.max_decode_memory;
SELECT embed(img) FROM good;
DO $$
BEGIN
	PERFORM count(*) FROM good, faces(good.img);
EXCEPTION WHEN OTHERS THEN
	RAISE NOTICE 'faces(): SQLSTATE %', SQLSTATE;
END $$;
-- 16 MB holds it (7.4 MB of pixels, libjpeg's row buffers and tables)
SET face.max_decode_memory = '16MB';
SELECT dims(embed(img)) FROM good;
RESET face.max_decode_memory;
SELECT dims(embed(img)) FROM good;
