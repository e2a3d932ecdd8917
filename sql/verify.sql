-- 1:1 verification: face_verify() against face.verify_threshold
-- distance 0.5 accepts; 0.61 and 0.7 do not
SELECT face_verify('[0,0,0]', '[0.5,0,0]') AS d05,
       face_verify('[0,0,0]', '[0.61,0,0]') AS d06,
       face_verify('[0,0,0]', '[0,0.7,0]') AS d07;
-- the default operating point (the setting exists once the module is loaded)
SHOW face.verify_threshold;
-- explicit threshold
SELECT face_verify('[0,0,0]', '[0,0.7,0]', 0.8) AS at08,
       face_verify('[0,0,0]', '[0,0.7,0]', 0.65) AS at065;
-- the setting moves the operating point
SET face.verify_threshold = 0.75;
SELECT face_verify('[0,0,0]', '[0,0.7,0]') AS d07_at075;
RESET face.verify_threshold;
-- NULL in, NULL out
SELECT face_verify(NULL, '[1,2,3]') IS NULL AS null_in;
-- errors: bad threshold, dimension mismatch, setting out of range
SELECT face_verify('[0,0,0]', '[1,0,0]', -1);
SELECT face_verify('[0,0,0]', '[1,0,0]', 'NaN');
SELECT face_verify('[0,0,0]', '[1,0]');
SET face.verify_threshold = -1;
