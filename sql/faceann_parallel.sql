-- faceann: parallel build (src/index/faceannparallel.c).  When
-- plan_create_index_workers grants workers, the load scan (list assignment
-- and encoding) runs in them and the leader appends the sorted entries: the
-- index must hold the same entries, in the same lists and in the same order
-- within each list, as a serial build's (only page numbers may differ).
-- "faceann build: loading with N parallel workers" (DEBUG1) shows a parallel
-- load; core's "building index ... serially" line speaks of its own
-- machinery, which only btree uses.

CREATE TABLE fp (id int, emb face_embedding(16));
INSERT INTO fp
SELECT i, ('[' || array_to_string(ARRAY(
		SELECT round(cos(i * 3.77 + j * 0.91)::numeric, 6) FROM generate_series(1, 16) j), ',') || ']')::face_embedding
FROM generate_series(1, 20000) i;
INSERT INTO fp VALUES (20001, NULL), (20002, NULL);
CREATE TABLE fp_q AS SELECT id AS qid, emb AS q FROM fp WHERE id % 667 = 1;

-- narrow answers (one list probed, little rerank), recorded per build
CREATE TABLE fp_ans (build text, qid int, ids int[]);
CREATE FUNCTION fp_narrow(build text, op text DEFAULT '<->') RETURNS void LANGUAGE plpgsql
	SET face.ann_probes = 1 SET face.ann_rerank = 20 SET enable_seqscan = off AS $$
BEGIN
	EXECUTE format('INSERT INTO fp_ans SELECT %L, qid, ARRAY(SELECT id FROM fp ORDER BY emb %s q LIMIT 10) FROM fp_q',
				   build, op);
END $$;
CREATE VIEW fp_same AS
SELECT a.build, count(*) AS queries, count(*) FILTER (WHERE a.ids = b.ids) AS same
FROM fp_ans a JOIN fp_ans b ON a.qid = b.qid AND b.build = a.build || ' serial'
GROUP BY a.build;

-- the serial build, for reference
SET max_parallel_maintenance_workers = 0;
CREATE INDEX fp_serial ON fp USING faceann (emb) WITH (lists = 40);
SELECT * FROM faceann_check('fp_serial');
SELECT fp_narrow('create serial');
DROP INDEX fp_serial;

-- parallel: two workers requested by the table's parallel_workers
ALTER TABLE fp SET (parallel_workers = 2);
SET max_parallel_maintenance_workers = 2;
SET client_min_messages = debug1;
CREATE INDEX fp_par ON fp USING faceann (emb) WITH (lists = 40);
RESET client_min_messages;
SELECT * FROM faceann_check('fp_par');
-- the same narrow answers as the serial build's: same lists, same codes,
-- same order within lists
SELECT fp_narrow('create');
SELECT * FROM fp_same;
-- every row is in the list of its nearest centroid: probing that one list
-- (reranked in full) with the row's own vector finds the row first
SET enable_seqscan = off;
SET face.ann_probes = 1;
SET face.ann_rerank = 20000;
SELECT count(*) AS rows, count(*) FILTER (WHERE (SELECT f2.id FROM fp f2 ORDER BY f2.emb <-> f.emb LIMIT 1) = f.id) AS found
FROM fp f WHERE id % 10 = 0;
-- every indexed row comes out of an exhaustive scan once
SET face.ann_probes = 40;
SET face.ann_rerank = 25000;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM fp ORDER BY emb <-> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]' LIMIT 30000) s;
-- an exhaustive search answers exactly like a sequential scan
SET enable_indexscan = off;
RESET enable_seqscan;
CREATE TABLE fp_exact AS
SELECT qid, ARRAY(SELECT id FROM fp ORDER BY emb <-> q LIMIT 10) AS ids FROM fp_q;
RESET enable_indexscan;
SET enable_seqscan = off;
SELECT count(*) AS queries, count(*) FILTER (WHERE ARRAY(SELECT id FROM fp ORDER BY emb <-> q LIMIT 10) = ids) AS exact
FROM fp_q JOIN fp_exact USING (qid);

-- REINDEX builds in parallel too; with little memory the participants' sorts
-- spill to disk and the leader merges runs from tape.  (The smaller sample
-- that memory allows trains other centroids: compare with a serial REINDEX
-- under the same setting.)
SET maintenance_work_mem = '1MB';
SET max_parallel_maintenance_workers = 0;
REINDEX INDEX fp_par;
SELECT fp_narrow('reindex serial');
SET max_parallel_maintenance_workers = 2;
SET client_min_messages = debug1;
REINDEX INDEX fp_par;
RESET client_min_messages;
RESET maintenance_work_mem;
SELECT * FROM faceann_check('fp_par');
SELECT fp_narrow('reindex');
SELECT * FROM fp_same ORDER BY build;
DROP INDEX fp_par;

-- without the reloption the planner's rules apply: the table size against
-- min_parallel_table_scan_size, 32MB of maintenance_work_mem per participant.
-- CONCURRENTLY scans with an MVCC snapshot.
ALTER TABLE fp RESET (parallel_workers);
SET min_parallel_table_scan_size = 0;
SET maintenance_work_mem = '96MB';
SET max_parallel_maintenance_workers = 0;
CREATE INDEX CONCURRENTLY fp_cos ON fp USING faceann (emb face_cosine_ops) WITH (lists = 20);
SELECT fp_narrow('concurrently serial', '<=>');
DROP INDEX fp_cos;
SET max_parallel_maintenance_workers = 2;
SET client_min_messages = debug1;
CREATE INDEX CONCURRENTLY fp_cos ON fp USING faceann (emb face_cosine_ops) WITH (lists = 20);
RESET client_min_messages;
SELECT * FROM faceann_check('fp_cos');
SELECT fp_narrow('concurrently', '<=>');
SELECT * FROM fp_same ORDER BY build;
DROP INDEX fp_cos;

-- UNLOGGED tables build in parallel; temporary ones cannot (workers cannot
-- read the leader's local buffers) and build serially
CREATE UNLOGGED TABLE fpu AS SELECT * FROM fp;
ALTER TABLE fpu SET (parallel_workers = 2);
CREATE TEMP TABLE fpt AS SELECT * FROM fp WHERE id <= 5000;
ALTER TABLE fpt SET (parallel_workers = 2);
SET client_min_messages = debug1;
CREATE INDEX fpu_i ON fpu USING faceann (emb face_ip_ops) WITH (lists = 30);
CREATE INDEX fpt_i ON fpt USING faceann (emb) WITH (lists = 5);
RESET client_min_messages;
SELECT * FROM faceann_check('fpu_i');
SELECT * FROM faceann_check('fpt_i');

-- no worker allowed: serial
SET max_parallel_maintenance_workers = 0;
SET client_min_messages = debug1;
CREATE INDEX fpu_s ON fpu USING faceann (emb) WITH (lists = 30);
RESET client_min_messages;
SELECT lists, index_entries FROM faceann_check('fpu_s');

RESET ALL;
DROP TABLE fp, fp_q, fp_ans, fp_exact, fpu, fpt CASCADE;
DROP FUNCTION fp_narrow(text, text);
