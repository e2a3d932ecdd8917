-- casts between face_embedding and arrays
SELECT ARRAY[1,2,3]::face_embedding AS from_int;
SELECT ARRAY[1.5,2.25,-3]::face_embedding AS from_numeric;
SELECT '{1,2,3}'::real[]::face_embedding AS from_real;
SELECT '{0.1,2,3e-5}'::float8[]::face_embedding AS from_float8;
SELECT '{1,2,3}'::real[]::face_embedding(3);
SELECT '{1,2,3}'::real[]::face_embedding(2);
SELECT '[1,2,3]'::face_embedding::real[] AS to_real;
SELECT '[0.1,-2,3e-05]'::face_embedding::double precision[] AS to_float8;
-- float8 values are rounded to the nearest float4
SELECT '{0.1}'::float8[]::face_embedding::float8[];
SELECT '{16777217}'::float8[]::face_embedding;
-- real[] round trip is exact
SELECT '{1e-38,-0,3.4e38,1e-45}'::real[]::face_embedding::real[];
-- assignment casts: an array column into an embedding column and back
CREATE TABLE casts_t (a real[], e face_embedding(3), d float8[]);
INSERT INTO casts_t (a) VALUES ('{1,2,3}');
UPDATE casts_t SET e = a;
UPDATE casts_t SET d = e;
SELECT * FROM casts_t;
DROP TABLE casts_t;
-- bad arrays
SELECT '{1,NULL,3}'::real[]::face_embedding;
SELECT '{{1,2},{3,4}}'::real[]::face_embedding;
SELECT '{}'::real[]::face_embedding;
SELECT '{NaN}'::real[]::face_embedding;
SELECT '{Infinity}'::real[]::face_embedding;
SELECT '{-Infinity}'::float8[]::face_embedding;
SELECT '{NaN}'::numeric[]::face_embedding;
SELECT '{1e39}'::float8[]::face_embedding;
SELECT '{1e-50}'::float8[]::face_embedding;
SELECT '{1e39}'::numeric[]::face_embedding;
SELECT array_fill(1, ARRAY[2049])::face_embedding;
-- an array of another element type has no cast
SELECT '{1,2}'::bigint[]::face_embedding;
