-- face_vote: the distance-weighted k-NN vote with unknown rejection, over a top-k.
CREATE TABLE gallery (person text, emb face_embedding);
INSERT INTO gallery VALUES
	('ann', '[0, 0]'), ('ann', '[0.1, 0]'), ('bob', '[0.3, 0]'), ('bob', '[0.35, 0]'),
	('cy', '[2, 2]'), (NULL, '[0.05, 0]');

-- near Ann: Ann's two photos outweigh Bob's (weights 1 - d / 0.6); the unlabelled row is skipped
SELECT (v).label, round((v).probability::numeric, 6) AS probability FROM (SELECT face_vote(person, d, 0.6) AS v FROM (
	SELECT person, emb <-> '[0.02, 0]' AS d FROM gallery ORDER BY emb <-> '[0.02, 0]' LIMIT 5) s) v;
-- the weights by hand: Ann 0.9667 + 0.8 against Bob 0.5333 + 0.45
SELECT round(((1 - 0.02 / 0.6) + (1 - 0.08 / 0.6)) /
	((1 - 0.02 / 0.6) + (1 - 0.08 / 0.6) + (1 - 0.28 / 0.6) + (1 - 0.33 / 0.6)), 6) AS by_hand;
-- between them, nearer Bob
SELECT (v).label, round((v).probability::numeric, 6) AS probability FROM (SELECT face_vote(person, emb <-> '[0.3, 0]', 0.6) AS v FROM gallery) v;
-- nobody within the threshold: unknown, with probability 1
SELECT (v).label, round((v).probability::numeric, 6) AS probability FROM (SELECT face_vote(person, emb <-> '[5, -5]', 0.6) AS v FROM gallery) v;
-- the two-argument form takes face.verify_threshold (0.6 by default)
SELECT (v).label, round((v).probability::numeric, 6) AS probability FROM (SELECT face_vote(person, emb <-> '[0.3, 0]') AS v FROM gallery) v;
SET face.verify_threshold = 0.01;
SELECT (v).label, round((v).probability::numeric, 6) AS probability FROM (SELECT face_vote(person, emb <-> '[0.3, 0]') AS v FROM gallery) v;
SELECT (v).label, round((v).probability::numeric, 6) AS probability FROM (SELECT face_vote(person, emb <-> '[0.2, 0]') AS v FROM gallery) v;
RESET face.verify_threshold;
-- no rows: no prediction
SELECT face_vote(person, emb <-> '[0, 0]') IS NULL AS no_rows FROM gallery WHERE false;
-- per group, e.g. one vote per query face
SELECT q.id, (face_vote(g.person, g.emb <-> q.emb, 0.5)).label
FROM (VALUES (1, '[0,0]'::face_embedding), (2, '[2.1, 2]'), (3, '[9, 9]')) q(id, emb), gallery g
GROUP BY q.id ORDER BY q.id;

-- bad input
SELECT face_vote(person, emb <-> '[0, 0]', 0) FROM gallery;
SELECT face_vote(person, emb <-> '[0, 0]', 'NaN') FROM gallery;
SELECT face_vote(person, emb <-> '[0, 0]', length(person)) FROM gallery;
SELECT face_vote(person, -1) FROM gallery;
SELECT face_vote(person, 'NaN') FROM gallery;
DROP TABLE gallery;
