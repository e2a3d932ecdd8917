-- faceann: filtered queries, DELETE + VACUUM, space reuse, REINDEX, UNLOGGED.

CREATE TABLE fm (id int, grp int, emb face_embedding(16));
INSERT INTO fm
SELECT i, i % 10, ('[' || array_to_string(ARRAY(
		SELECT round(cos(i * 3.77 + j * 0.91)::numeric, 6) FROM generate_series(1, 16) j), ',') || ']')::face_embedding
FROM generate_series(1, 3000) i;
CREATE INDEX fm_i ON fm USING faceann (emb) WITH (lists = 30);
SELECT lists, index_entries, heap_tuples FROM faceann_check('fm_i');

-- filtered queries return the full LIMIT even when the first lists hold too
-- few matches: the scan moves on to further lists
SET enable_seqscan = off;
SET face.ann_probes = 1;
SET face.ann_rerank = 10;
SELECT count(*) FROM (SELECT id FROM fm WHERE grp = 3 ORDER BY emb <-> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]' LIMIT 50) s;
SELECT count(*) FROM (SELECT id FROM fm WHERE id % 100 = 7 ORDER BY emb <-> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]' LIMIT 30) s;
-- fewer matches than the LIMIT: every one of them, then the end
SELECT count(*) FROM (SELECT id FROM fm WHERE id < 20 ORDER BY emb <-> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]' LIMIT 30) s;
-- with a wide search, the filtered answer is exact
SET face.ann_probes = 30;
SET face.ann_rerank = 5000;
SELECT array_agg(id) = (SELECT array_agg(id) FROM (SELECT id FROM fm WHERE grp = 3
		ORDER BY emb <-> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]', id LIMIT 10) e) AS exact
FROM (SELECT id FROM fm WHERE grp = 3 ORDER BY emb <-> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]' LIMIT 10) s;

-- DELETE + VACUUM removes the entries; the check finds no dangling ones
DELETE FROM fm WHERE id % 3 = 0;
SELECT lists, index_entries, heap_tuples FROM faceann_check('fm_i');	-- dead rows still indexed
VACUUM fm;
SELECT lists, index_entries, heap_tuples FROM faceann_check('fm_i');
SELECT count(*) FROM (SELECT id FROM fm ORDER BY emb <-> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]' LIMIT 5000) s;
SELECT count(*) FROM (SELECT id FROM fm WHERE id % 3 = 0 ORDER BY emb <-> '[0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,1]' LIMIT 5) s;

-- inserts reuse the freed space: the deleted vectors, inserted again (so into
-- the same lists), do not grow the index
SELECT pg_relation_size('fm_i') AS before \gset
INSERT INTO fm
SELECT i + 3000, i % 10, ('[' || array_to_string(ARRAY(
		SELECT round(cos(i * 3.77 + j * 0.91)::numeric, 6) FROM generate_series(1, 16) j), ',') || ']')::face_embedding
FROM generate_series(3, 2700, 3) i;
SELECT pg_relation_size('fm_i') = :before AS same_size;
SELECT lists, index_entries, heap_tuples FROM faceann_check('fm_i');

-- updates (non-HOT: the indexed column changes) and HOT updates (it does not)
UPDATE fm SET emb = emb + emb WHERE id % 7 = 1;
UPDATE fm SET grp = grp + 1 WHERE id % 7 = 2;
SELECT lists, index_entries > heap_tuples AS has_dead_entries FROM faceann_check('fm_i');
VACUUM fm;
SELECT lists, index_entries, heap_tuples FROM faceann_check('fm_i');

-- REINDEX rebuilds (and retrains) the index; answers stay exact with a wide search
REINDEX INDEX fm_i;
SELECT lists, index_entries, heap_tuples FROM faceann_check('fm_i');
SELECT array_agg(id) = (SELECT array_agg(id) FROM (SELECT id FROM fm
		ORDER BY emb <-> '[0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0]', id LIMIT 10) e) AS exact
FROM (SELECT id FROM fm ORDER BY emb <-> '[0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0]' LIMIT 10) s;
REINDEX TABLE fm;
SELECT lists, index_entries, heap_tuples FROM faceann_check('fm_i');

-- default list count: one list per 500 rows
CREATE INDEX fm_auto ON fm USING faceann (emb face_ip_ops);
SELECT lists, index_entries FROM faceann_check('fm_auto');
DROP INDEX fm_auto;

-- UNLOGGED tables: the init fork holds a valid empty index
CREATE UNLOGGED TABLE fu (id int, emb face_embedding(3));
CREATE INDEX fu_i ON fu USING faceann (emb face_cosine_ops);
INSERT INTO fu SELECT i, ('[' || i || ',' || (i % 7) || ',1]')::face_embedding FROM generate_series(1, 500) i;
SELECT lists, index_entries, heap_tuples FROM faceann_check('fu_i');
SELECT id FROM fu ORDER BY emb <=> '[100,3,1]' LIMIT 3;
CREATE UNLOGGED TABLE fu2 (id int, emb face_embedding(3));
INSERT INTO fu2 SELECT * FROM fu;
CREATE INDEX fu2_i ON fu2 USING faceann (emb) WITH (lists = 5);
SELECT lists, index_entries, heap_tuples FROM faceann_check('fu2_i');
SELECT id FROM fu2 ORDER BY emb <-> '[100,3,1]' LIMIT 3;
SELECT relpersistence FROM pg_class WHERE relname IN ('fu_i', 'fu2_i');

-- TRUNCATE empties the index
TRUNCATE fm;
SELECT lists, index_entries, heap_tuples FROM faceann_check('fm_i');
RESET ALL;

DROP TABLE fm, fu, fu2;
