-- face_embedding(N): dimension enforced on assignment and cast
SELECT '[1,2,3]'::face_embedding(3);
SELECT '[1,2,3]'::face_embedding(2);
SELECT '[1,2]'::face_embedding::face_embedding(2);
SELECT '[1,2]'::face_embedding::face_embedding(3);
SELECT '{"[1,2,3]"}'::face_embedding(2)[];

CREATE TABLE typmod_t (e face_embedding(3));
\d typmod_t
INSERT INTO typmod_t VALUES ('[1,2,3]');
INSERT INTO typmod_t VALUES ('[1,2]');
INSERT INTO typmod_t VALUES ('[1,2,3,4]'::face_embedding);
INSERT INTO typmod_t VALUES (ARRAY[1,2,3]::real[]);
INSERT INTO typmod_t VALUES (ARRAY[1,2]::real[]);
UPDATE typmod_t SET e = '[1]';
SELECT * FROM typmod_t;
DROP TABLE typmod_t;

SELECT format_type('face_embedding'::regtype, 128);
SELECT '[1]'::face_embedding(2048);

-- bad modifiers
SELECT '[1]'::face_embedding(0);
SELECT '[1]'::face_embedding(-1);
SELECT '[1]'::face_embedding(2049);
SELECT '[1]'::face_embedding(1,2);
CREATE TABLE typmod_bad (e face_embedding(2049));
