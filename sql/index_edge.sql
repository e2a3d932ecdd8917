-- Edge cases of faceann scans found by review: query vectors whose float
-- norm overflows or underflows, and distances that overflow float.  Every
-- query returns the exact order; none may fail with "index returned tuples
-- in wrong order".
SET enable_seqscan = off;
-- (ties among equal distances are put in id order by an outer query)

CREATE TABLE edge_cos (id int, e face_embedding);
INSERT INTO edge_cos VALUES (1, '[1,1]'), (2, '[1,-1]'), (3, '[-1,-1]'), (4, '[0,0]'), (5, NULL);
CREATE INDEX edge_cos_idx ON edge_cos USING faceann (e face_cosine_ops);
-- a huge query: its float norm is Inf, its direction is well defined
SELECT id, e <=> '[1e20,1e20]' AS d FROM edge_cos ORDER BY e <=> '[1e20,1e20]' LIMIT 3;
-- a tiny query: its float norm is 0
SELECT id, e <=> '[1e-30,1e-30]' AS d FROM edge_cos ORDER BY e <=> '[1e-30,1e-30]' LIMIT 3;
-- a zero query has no direction: every distance is NaN, no error
SELECT count(*) FROM (SELECT id FROM edge_cos ORDER BY e <=> '[0,0]' LIMIT 3) s;
SELECT * FROM faceann_check('edge_cos_idx');

CREATE TABLE edge_big (id int, e face_embedding);
INSERT INTO edge_big VALUES (1, '[3e38,3e38]'), (2, '[-3e38,-3e38]'), (3, '[1e-38,1e-38]'),
	(4, '[0,0]'), (5, '[1,1]'), (6, '[3e38,-3e38]');
CREATE INDEX edge_big_l2 ON edge_big USING faceann (e face_l2_ops);
SELECT * FROM (SELECT id, e <-> '[3e38,3e38]' AS d FROM edge_big ORDER BY e <-> '[3e38,3e38]' LIMIT 6) s ORDER BY d, id;
SELECT * FROM (SELECT id, e <-> '[0,0]' AS d FROM edge_big ORDER BY e <-> '[0,0]' LIMIT 6) s ORDER BY d, id;
DROP INDEX edge_big_l2;
CREATE INDEX edge_big_ip ON edge_big USING faceann (e face_ip_ops);
SELECT * FROM (SELECT id, e <#> '[1e19,1e19]' AS d FROM edge_big ORDER BY e <#> '[1e19,1e19]' LIMIT 6) s ORDER BY d, id;
SELECT * FROM (SELECT id, e <#> '[1,1]' AS d FROM edge_big ORDER BY e <#> '[1,1]' LIMIT 6) s ORDER BY d, id;
SELECT * FROM faceann_check('edge_big_ip');

RESET enable_seqscan;
DROP TABLE edge_cos, edge_big;
