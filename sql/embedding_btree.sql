-- btree and hash opclasses: ordering, DISTINCT, GROUP BY, UNIQUE, hash joins
CREATE TABLE bt (id int, e face_embedding);
INSERT INTO bt VALUES
	(1, '[1,2,3]'), (2, '[1,2]'), (3, '[1,2,3]'), (4, '[0,5,5]'), (5, '[1,2,4]'),
	(6, '[-1,100]'), (7, '[-0,5,5]'), (8, '[1]'), (9, '[1,2,3,0]');

-- fewer dimensions first, then element by element; -0 equals 0
SELECT id, e FROM bt ORDER BY e, id;
SELECT id, e FROM bt ORDER BY e DESC, id;
-- (adding a zero vector prints whichever of 0 and -0 represents a group as 0)
SELECT e + array_fill(0, ARRAY[dims(e)])::face_embedding AS e
	FROM (SELECT DISTINCT e FROM bt) s ORDER BY s.e;
SELECT e + array_fill(0, ARRAY[dims(e)])::face_embedding AS e, count(*) FROM bt GROUP BY e ORDER BY bt.e;
SELECT '[1,2,3]'::face_embedding < '[1,2,4]' AS lt, '[1,2,3]'::face_embedding <= '[1,2,3]' AS le,
	'[1,2,3]'::face_embedding = '[1,2,3]' AS eq, '[0]'::face_embedding = '[-0]' AS zero_eq,
	'[1,2,3]'::face_embedding <> '[1,2]' AS ne, '[2]'::face_embedding > '[1,1]' AS gt_by_dims,
	'[1,2,4]'::face_embedding >= '[1,2,3]' AS ge;
SELECT face_embedding_cmp('[1,2]', '[1,3]'), face_embedding_cmp('[1,3]', '[1,2]'),
	face_embedding_cmp('[1,2]', '[1,2]'), face_embedding_cmp('[9]', '[1,2]');
-- the model tag is provenance, not value
SELECT face_embedding_with_model(array_fill(1, ARRAY[128])::face_embedding, 1)
	= array_fill(1, ARRAY[128])::face_embedding AS model_ignored;

-- a btree index answers equality and range queries
CREATE INDEX bt_e ON bt (e);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM bt WHERE e = '[1,2,3]';
SELECT id FROM bt WHERE e = '[1,2,3]' ORDER BY id;
SELECT id FROM bt WHERE e > '[1,2,3]' ORDER BY e, id;
RESET enable_seqscan;

-- UNIQUE
CREATE TABLE uq (e face_embedding UNIQUE);
INSERT INTO uq VALUES ('[1,2,3]'), ('[1,2]');
INSERT INTO uq VALUES ('[1,2,3]');
INSERT INTO uq VALUES ('[-0,2]'), ('[0,2]');
SELECT * FROM uq ORDER BY e;

-- hash opclass: hash aggregation, hash joins and hash indexes agree with btree equality
SELECT face_embedding_hash('[0,1]') = face_embedding_hash('[-0,1]') AS zero_hash,
	face_embedding_hash_extended('[0,1]', 7) = face_embedding_hash_extended('[-0,1]', 7) AS zero_hash_ext,
	face_embedding_hash('[1,2]') <> face_embedding_hash('[2,1]') AS order_matters;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT e, count(*) FROM bt GROUP BY e;
SELECT s.e + array_fill(0, ARRAY[dims(s.e)])::face_embedding AS e, n
	FROM (SELECT e, count(*) AS n FROM bt GROUP BY e) s ORDER BY s.e;
RESET enable_sort;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT a.id, b.id FROM bt a JOIN bt b ON a.e = b.e;
SELECT a.id, b.id FROM bt a JOIN bt b ON a.e = b.e WHERE a.id < b.id ORDER BY 1, 2;
RESET enable_mergejoin;
RESET enable_nestloop;
CREATE INDEX bt_h ON bt USING hash (e);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
DROP INDEX bt_e;
EXPLAIN (COSTS OFF) SELECT id FROM bt WHERE e = '[0,5,5]';
SELECT id FROM bt WHERE e = '[0,5,5]' ORDER BY id;
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP TABLE bt, uq;
