-- face_cluster and face_rows.c: every bad input is a clear ERROR.
CREATE TABLE cle (key text, e face_embedding, label text);
INSERT INTO cle VALUES ('a', '[1,0]', NULL), ('b', '[1,0.1]', NULL), ('c', '[0,1]', 'C');
\set VERBOSITY default
-- the query's columns: count, types
SELECT * FROM face_cluster('SELECT key FROM cle');
SELECT * FROM face_cluster('SELECT key, e, label, 1 FROM cle');
SELECT * FROM face_cluster('SELECT key, e::text FROM cle');
SELECT * FROM face_cluster('SELECT key, 1 FROM cle');
-- NULLs: query, key, embedding
SELECT * FROM face_cluster(NULL);
SELECT * FROM face_cluster('SELECT NULL::text, e FROM cle');
SELECT * FROM face_cluster('SELECT key, CASE WHEN key = ''b'' THEN NULL ELSE e END FROM cle');
-- mixed dimensions, mixed models (model 0 mixes with one known model)
SELECT * FROM face_cluster('SELECT key, e FROM cle UNION ALL SELECT ''d'', ''[1,2,3]''::face_embedding', '{"threshold": 1}');
SELECT * FROM face_cluster('SELECT key, face_embedding_with_model(e, CASE WHEN key = ''c'' THEN 301 ELSE 300 END) FROM cle', '{"threshold": 1}');
SELECT count(*) FROM face_cluster('SELECT key, CASE WHEN key = ''c'' THEN face_embedding_with_model(e, 300) ELSE e END FROM cle', '{"threshold": 1}');
-- duplicate keys, compared as text
SELECT * FROM face_cluster('SELECT key, e FROM cle UNION ALL SELECT ''b'', ''[0,0]''::face_embedding', '{"threshold": 1}');
SELECT * FROM face_cluster('SELECT 1, e FROM cle', '{"threshold": 1}');
-- the query must read, and be one query
SELECT * FROM face_cluster('INSERT INTO cle VALUES (''x'', ''[1,1]'') RETURNING key, e', '{"threshold": 1}');
SELECT * FROM face_cluster('SELECT key, e FROM cle; SELECT key, e FROM cle', '{"threshold": 1}');
SELECT * FROM face_cluster('SELEC key, e FROM cle');
SELECT * FROM face_cluster('SELECT key, e FROM no_such_table');
SELECT count(*) FROM cle;
-- options
SELECT * FROM face_cluster('SELECT key, e FROM cle', '[1]');
SELECT * FROM face_cluster('SELECT key, e FROM cle', '{"treshold": 1}');
SELECT * FROM face_cluster('SELECT key, e FROM cle', '{"threshold": "big"}');
SELECT * FROM face_cluster('SELECT key, e FROM cle', '{"threshold": -1}');
SELECT * FROM face_cluster('SELECT key, e FROM cle', '{"threshold": 1, "method": "kmeans"}');
SELECT * FROM face_cluster('SELECT key, e FROM cle', '{"threshold": 1, "min_faces": 0}');
SELECT * FROM face_cluster('SELECT key, e FROM cle', '{"threshold": 1, "seed": 1.5}');
SELECT * FROM face_cluster('SELECT key, e FROM cle', '{"far": 0.01}');
SELECT * FROM face_cluster('SELECT key, e FROM cle', '{"threshold": 1, "calibration": 16384}');
SELECT * FROM face_cluster('SELECT key, e FROM cle', '{"calibration": 16384}');
-- model 0 embeddings have no default threshold
SELECT * FROM face_cluster('SELECT key, e FROM cle');
-- memory: the rows, then the graph, must fit in maintenance_work_mem
SET maintenance_work_mem = '1MB';
SELECT count(*) FROM face_cluster('SELECT i, array_to_face_embedding(array_fill(i::real, ARRAY[128]), -1, false) FROM generate_series(1, 3000) i', '{"threshold": 1}');
SELECT count(*) FROM face_cluster('SELECT i, array_to_face_embedding(array_fill(i::real, ARRAY[128]), -1, false) FROM generate_series(1, 1000) i', '{"threshold": 1}');
RESET maintenance_work_mem;
DROP TABLE cle;
