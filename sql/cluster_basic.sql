-- face_cluster: people found, labels kept (must-link, cannot-link) and handed on,
-- clusters numbered by size then smallest key, noise, determinism.
CREATE TABLE cl (key text, e face_embedding, label text);
-- person a: 6 faces, person b: 4, person c: 4 (ties with b), one outlier z; 4-D, model 0
INSERT INTO cl SELECT 'a' || i, ('[' || (1 + i * 0.01) || ',0,0,' || (i * 0.005) || ']')::face_embedding
	FROM generate_series(1, 6) i;
INSERT INTO cl SELECT 'b' || i, ('[0,' || (1 + i * 0.01) || ',0,0]')::face_embedding
	FROM generate_series(1, 4) i;
INSERT INTO cl SELECT 'c' || i, ('[0,0,' || (1 + i * 0.01) || ',0]')::face_embedding
	FROM generate_series(1, 4) i;
INSERT INTO cl VALUES ('z', '[5,5,5,5]');

-- chinese whispers (default): a is 1 (largest), b is 2 (ties with c, smaller key), z alone
SELECT * FROM face_cluster('SELECT key, e FROM cl', '{"threshold": 0.5}') ORDER BY key;
-- min_faces: clusters smaller than it are noise (cluster NULL)
SELECT key, cluster FROM face_cluster('SELECT key, e FROM cl', '{"threshold": 0.5, "min_faces": 2}')
	WHERE cluster IS NULL;
-- DBSCAN: core points need min_faces (3) faces within the threshold; z is noise
SELECT * FROM face_cluster('SELECT key, e FROM cl', '{"threshold": 0.5, "method": "dbscan"}') ORDER BY key;

-- label two faces: the labels are handed to their clusters; unlabelled c stays unnamed
UPDATE cl SET label = 'Alice' WHERE key = 'a1';
UPDATE cl SET label = 'Bob' WHERE key = 'b2';
SELECT * FROM face_cluster('SELECT key, e, label FROM cl', '{"threshold": 0.5}') ORDER BY key;
-- a labelled face is never noise, whatever min_faces says
UPDATE cl SET label = 'Zed' WHERE key = 'z';
SELECT * FROM face_cluster('SELECT key, e, label FROM cl', '{"threshold": 0.5, "min_faces": 3}')
	WHERE key IN ('z', 'c1');
SELECT * FROM face_cluster('SELECT key, e, label FROM cl', '{"threshold": 0.5, "method": "dbscan"}')
	WHERE key = 'z';
-- must-link: b and c given one label end in one cluster although they are far apart
UPDATE cl SET label = 'Bob' WHERE key = 'c3';
SELECT cluster, label, count(*) FROM face_cluster('SELECT key, e, label FROM cl', '{"threshold": 0.5}')
	GROUP BY 1, 2 ORDER BY 1;
SELECT cluster, label, count(*) FROM face_cluster('SELECT key, e, label FROM cl', '{"threshold": 0.5, "method": "dbscan"}')
	GROUP BY 1, 2 ORDER BY 1;
-- cannot-link: two labels in person a split it, with both methods
UPDATE cl SET label = 'Ann' WHERE key = 'a6';
SELECT f.key, f.cluster, f.label FROM face_cluster('SELECT key, e, label FROM cl', '{"threshold": 0.5}') f
	WHERE f.key IN ('a1', 'a6');
SELECT count(DISTINCT cluster) AS a_clusters, count(*) FILTER (WHERE label IS NULL) AS unnamed
	FROM face_cluster('SELECT key, e, label FROM cl', '{"threshold": 0.5, "method": "dbscan"}')
	WHERE key LIKE 'a%';

-- same seed, same answer; keys of any type are compared as text
SELECT count(*) FROM (
	(SELECT * FROM face_cluster('SELECT key, e, label FROM cl', '{"threshold": 0.5, "seed": 7}')
	 EXCEPT
	 SELECT * FROM face_cluster('SELECT key, e, label FROM cl', '{"threshold": 0.5, "seed": 7}'))) d;
SELECT * FROM face_cluster('SELECT row_number() OVER (ORDER BY key) * 10, e FROM cl WHERE key LIKE ''b%''',
	'{"threshold": 0.5}') ORDER BY key;
-- no rows: no clusters
SELECT * FROM face_cluster('SELECT key, e FROM cl WHERE false');

-- model 1 (the dlib ResNet, 128-D): the default threshold is its own 0.6; people p and q
-- are 0.65 apart, each one's faces 0.01 apart in a row
CREATE TABLE cl128 AS
	SELECT p || i AS key, face_embedding_with_model(array_to_face_embedding(
		ARRAY(SELECT CASE d WHEN 1 THEN 1 WHEN 2 THEN CASE p WHEN 'q' THEN 0.65 ELSE 0 END
						  WHEN 100 THEN i * 0.01 ELSE 0 END
			  FROM generate_series(1, 128) d)::real[], -1, false), 1) AS e
	FROM unnest(ARRAY['p', 'q']) p, generate_series(1, 5) i;
SELECT cluster, min(key), count(*) FROM face_cluster('SELECT key, e FROM cl128') GROUP BY 1 ORDER BY 1;
-- the threshold option overrides it: at 0.7 p and q are one person, at 0.005 nobody has a neighbour
SELECT cluster, count(*) FROM face_cluster('SELECT key, e FROM cl128', '{"threshold": 0.7}') GROUP BY 1;
SELECT count(DISTINCT cluster) FROM face_cluster('SELECT key, e FROM cl128', '{"threshold": 0.005}');
DROP TABLE cl128;
