-- face_calibrate and its predictors on deterministic labelled embeddings: 40 people x 8
-- photos, 16-D, each person a centre plus per-photo noise (hashint8, so every platform
-- makes the same rows).
CREATE FUNCTION pg_temp.u(k bigint) RETURNS float8 IMMUTABLE LANGUAGE sql
	AS $$ SELECT hashint8(k)::float8 / 2147483648.0 $$;
CREATE FUNCTION pg_temp.vec(person int, photo int) RETURNS face_embedding IMMUTABLE LANGUAGE sql
	AS $$ SELECT l2_normalize(array_agg((pg_temp.u(person * 100 + d)
	                                     + 0.45 * pg_temp.u(person * 100000 + photo * 100 + d + 77777777))::real
	                                    ORDER BY d)::face_embedding)
	      FROM generate_series(1, 16) d $$;
CREATE TABLE labelled AS
	SELECT 'p' || lpad(p::text, 2, '0') AS person, k AS photo, pg_temp.vec(p, k) AS emb
	FROM generate_series(1, 40) p, generate_series(1, 8) k;
-- 40 other people, for the FAR realised on people the calibration never saw
CREATE TABLE strangers AS
	SELECT 'q' || p AS person, k AS photo, pg_temp.vec(p, k) AS emb
	FROM generate_series(1001, 1040) p, generate_series(1, 8) k;

-- ids appear in messages: start this file's at a known one, whatever ran before
SELECT setval('face_model_id_seq', 17000, false);
SET client_min_messages = warning;	-- the training NOTICEs carry measured figures
SELECT face_calibrate('cal', 'SELECT person, emb FROM labelled') AS cal \gset
SELECT face_calibrate('cal_iso', 'SELECT person, emb FROM labelled', '{"method": "isotonic", "splits": 3}') AS iso \gset
RESET client_min_messages;
SELECT :cal AS cal, :iso AS iso;
SELECT name, kind, method, base_model, dims_in, dims_out, labels, options,
	metrics->'rows' AS rows, metrics->'people' AS people,
	metrics->'genuine_pairs' AS genuine, metrics->'impostor_pairs' AS impostor,
	(metrics->>'auc')::float8 > 0.95 AS auc_high, (metrics->>'eer')::float8 < 0.1 AS eer_low,
	(metrics->>'seconds')::float8 >= 0 AS timed
FROM face_model ORDER BY id;
-- which FARs the 49,920 impostor pairs support (10 / FAR of them at least)
SELECT t->>'far' AS far, t->'threshold' <> 'null' AS has_threshold, t->'impostor_pairs' AS impostor_pairs,
	(t->>'heldout_far')::float8 <= (t->>'far')::float8 AS holds_on_heldout
FROM face_model, jsonb_array_elements(metrics->'thresholds') t WHERE id = :cal;

-- P(same): genuine pairs high, impostor pairs low, always in [0, 1]; Platt's formula
SELECT avg(face_match_probability(a.emb, b.emb, :cal)) FILTER (WHERE a.person = b.person) > 0.5 AS genuine_high,
	avg(face_match_probability(a.emb, b.emb, :cal)) FILTER (WHERE a.person <> b.person) < 0.05 AS impostor_low,
	bool_and(face_match_probability(a.emb, b.emb, :cal) BETWEEN 0 AND 1) AS in_range,
	bool_and(abs(face_match_probability(a.emb, b.emb, :cal)
	             - 1 / (1 + exp((m.metrics->>'platt_a')::float8 * (a.emb <-> b.emb) + (m.metrics->>'platt_b')::float8))) < 1e-5) AS platt
FROM labelled a, labelled b, face_model m WHERE a.photo = 1 AND b.photo = 2 AND m.id = :cal;
-- isotonic: non-increasing in the distance
SELECT bool_and(p1 >= p2) AS non_increasing FROM (
	SELECT face_match_probability(a.emb, b.emb, :iso) AS p1, face_match_probability(a.emb, c.emb, :iso) AS p2
	FROM labelled a, labelled b, labelled c
	WHERE a.photo = 1 AND b.photo = 2 AND c.photo = 3 AND a.person = 'p01'
	  AND (a.emb <-> b.emb) <= (a.emb <-> c.emb)) s;

-- thresholds: stricter for a lower FAR; between grid points the stricter one; none below the data
SELECT face_threshold(:cal, 1e-2) > face_threshold(:cal, 1e-3) AS stricter,
	face_threshold(:cal, 1e-3) = face_threshold(:cal, 1.5e-3) AS grid,
	face_threshold(:cal, 1e-3) = ((SELECT t->>'threshold' FROM face_model, jsonb_array_elements(metrics->'thresholds') t
	                               WHERE id = :cal AND (t->>'far')::float8 = 1e-3))::real AS stored;
SELECT face_threshold(:cal, 1e-4);
SELECT face_threshold(:cal, 1e-6);
-- they hold on new people: FAR realised on the strangers' impostor pairs at most 2x the target
SELECT f, avg(((a.emb <-> b.emb) < face_threshold(:cal, f))::int) <= 2 * f AS holds
FROM strangers a, strangers b, (VALUES (1e-2::float8), (1e-3)) v(f)
WHERE a.person < b.person GROUP BY f ORDER BY f;

-- the ROC: FAR and TAR grow with the threshold, from 0 towards 1
SELECT count(*) > 50 AS points,
	bool_and(far BETWEEN 0 AND 1 AND tar BETWEEN 0 AND 1) AS in_range
FROM face_roc(:cal);
SELECT bool_and(far >= prev_far AND tar >= prev_tar AND threshold > prev_t) AS monotone FROM (
	SELECT threshold, far, tar, lag(threshold) OVER w AS prev_t, lag(far) OVER w AS prev_far, lag(tar) OVER w AS prev_tar
	FROM face_roc(:cal) WINDOW w AS (ORDER BY threshold)) s WHERE prev_t IS NOT NULL;

-- the same seed gives the same model; another seed samples other person splits
SET client_min_messages = warning;
SELECT face_calibrate('cal_again', 'SELECT person, emb FROM labelled') AS again \gset
RESET client_min_messages;
SELECT a.params = b.params AS same_params FROM face_model a, face_model b WHERE a.id = :cal AND b.id = :again;

-- the ad-hoc aggregate: the plain quantile of these pairs
SELECT face_threshold_at_far(a.emb <-> b.emb, a.person = b.person, 1e-2)::real =
	(SELECT (a.emb <-> b.emb)::real FROM labelled a, labelled b WHERE a.person < b.person ORDER BY 1
	 OFFSET (SELECT floor(1e-2 * count(*)) FROM labelled a, labelled b WHERE a.person < b.person)::int LIMIT 1) AS quantile
FROM labelled a, labelled b WHERE a.person < b.person OR (a.person = b.person AND a.photo < b.photo);
SELECT face_threshold_at_far(d, false, 1e-2) FROM generate_series(1, 999) d;
SELECT face_threshold_at_far(d, false, 1e-2) FROM generate_series(1, 1000) d;
SELECT face_threshold_at_far(d, s, 0.5) FROM (VALUES (1.0, false), (NULL, false), (2.0, NULL)) v(d, s) WHERE false;
SELECT face_threshold_at_far(d, false, 0) FROM generate_series(1, 10) d;
SELECT face_threshold_at_far(d, false, d / 100.0) FROM generate_series(1, 10) d;

-- bad input
SELECT face_calibrate('cal', 'SELECT person, emb FROM labelled');
SELECT face_calibrate('x', 'SELECT person, emb FROM labelled', '{"metod": "platt"}');
SELECT face_calibrate(NULL, 'SELECT person, emb FROM labelled');
SELECT face_calibrate('x', NULL);
SELECT face_calibrate('x', 'SELECT person, emb FROM labelled', '{"method": "sigmoid"}');
SELECT face_calibrate('x', 'SELECT person, emb FROM labelled', '{"splits": 0}');
SELECT face_calibrate('x', 'SELECT person, emb FROM labelled', '{"splits": "many"}');
SELECT face_calibrate('x', 'SELECT person, emb FROM labelled', '{"seed": 1.5}');
SELECT face_calibrate('x', 'SELECT person, emb FROM labelled', '[1]');
SELECT face_calibrate('x', 'SELECT ''p1'', emb FROM labelled');
SELECT face_calibrate('x', 'SELECT person, emb FROM labelled WHERE photo = 1');
SELECT face_calibrate('x', 'SELECT NULL::text, emb FROM labelled');
SELECT face_calibrate('x', 'SELECT person, NULL::face_embedding FROM labelled');
SELECT face_calibrate('x', 'SELECT person, CASE WHEN photo = 1 THEN ''[1,2]''::face_embedding ELSE emb END FROM labelled');
SELECT face_calibrate('x', 'SELECT person, face_embedding_with_model(emb, 256 + photo % 2) FROM labelled');
SELECT face_match_probability('[1,2]', '[1,2]', :cal);
SELECT face_match_probability(face_embedding_with_model(emb, 300), face_embedding_with_model(emb, 300), :cal) > 0.99
	AS untagged_calibration_takes_any_model FROM labelled LIMIT 1;
-- a calibration of model-300 embeddings takes those (and untagged ones), no others
SET client_min_messages = warning;
SELECT face_calibrate('cal300', 'SELECT person, face_embedding_with_model(emb, 300) FROM labelled WHERE photo <= 3') AS cal300 \gset
RESET client_min_messages;
SELECT base_model FROM face_model WHERE id = :cal300;
SELECT face_match_probability(face_embedding_with_model(emb, 300), emb, :cal300) > 0.5 AS same FROM labelled LIMIT 1;
SELECT face_match_probability(face_embedding_with_model(emb, 301), emb, :cal300) FROM labelled LIMIT 1;
SELECT face_threshold(:cal, 0);
SELECT face_threshold(:cal, 'NaN');
SELECT face_threshold(12345, 1e-3);
SELECT count(*) FROM face_model WHERE name = 'x';

-- params are validated on load: a tampered row is an ERROR, never a crash
UPDATE face_model SET params = substring(params FROM 1 FOR 40) WHERE id = :iso;
SELECT face_threshold(:iso, 1e-2);
UPDATE face_model SET params = '\x00' WHERE id = :iso;
SELECT face_threshold(:iso, 1e-2);
UPDATE face_model SET params = (SELECT params FROM face_model WHERE id = :cal), method = 'isotonic' WHERE id = :iso;
SELECT face_threshold(:iso, 1e-2);
-- a NaN written over Platt's A
UPDATE face_model SET params = overlay(params PLACING '\x000000000000f87f'::bytea FROM 41 FOR 8) WHERE id = :again;
SELECT face_match_probability(emb, emb, :again) FROM labelled LIMIT 1;

-- privacy: a person is erased by dropping the models trained on them and training again
-- without their rows (calibrations keep no labels, but they learnt from the person's pairs)
SELECT face_model_drop('cal');
SELECT face_threshold(:cal, 1e-2);
SET client_min_messages = warning;
SELECT face_calibrate('cal', 'SELECT person, emb FROM labelled WHERE person <> ''p07''') AS cal2 \gset
RESET client_min_messages;
SELECT :cal2 > :again AS new_id, metrics->'people' AS people, metrics->'rows' AS rows
FROM face_model WHERE name = 'cal';
SELECT face_model_drop(name) FROM face_model ORDER BY id;
SELECT count(*) FROM face_model;
