-- face_train_metric, face_project, face_similarity on deterministic labelled embeddings
-- where the base metric is weak: 40 people x 6 photos, 16-D, identity in dims 1-8 and a
-- per-photo nuisance (pose, light) twice as strong in dims 9-16 (hashint8-based rows).
CREATE FUNCTION pg_temp.u(k bigint) RETURNS float8 IMMUTABLE LANGUAGE sql
	AS $$ SELECT hashint8(k)::float8 / 2147483648.0 $$;
CREATE FUNCTION pg_temp.vec(person int, photo int) RETURNS face_embedding IMMUTABLE LANGUAGE sql
	AS $$ SELECT l2_normalize(array_agg(CASE WHEN d <= 8
	          THEN pg_temp.u(person * 100 + d) + 0.3 * pg_temp.u(person * 100000 + photo * 100 + d + 5555555)
	          ELSE 1.2 * pg_temp.u(person * 100000 + photo * 100 + d + 7777777) END::real ORDER BY d)::face_embedding)
	      FROM generate_series(1, 16) d $$;
CREATE TABLE faces AS
	SELECT 'p' || lpad(p::text, 2, '0') AS person, k AS photo, pg_temp.vec(p, k) AS emb
	FROM generate_series(1, 40) p, generate_series(1, 6) k;
SELECT setval('face_model_id_seq', 18000, false);

-- one head per loss; the NOTICEs (per epoch) carry measured figures
SET client_min_messages = warning;
SELECT face_train_metric('trip', 'SELECT person, emb FROM faces', 'triplet',
	'{"epochs": 25, "people_per_batch": 8, "learning_rate": 0.01, "seed": 1}') AS trip \gset
SELECT face_train_metric('semi', 'SELECT person, emb FROM faces', 'triplet',
	'{"epochs": 25, "people_per_batch": 8, "learning_rate": 0.01, "mining": "semi-hard"}') AS semi \gset
SELECT face_train_metric('all', 'SELECT person, emb FROM faces', 'triplet',
	'{"epochs": 25, "people_per_batch": 8, "learning_rate": 0.01, "mining": "batch-all"}') AS ball \gset
SELECT face_train_metric('con', 'SELECT person, emb FROM faces', 'contrastive',
	'{"epochs": 25, "people_per_batch": 8, "learning_rate": 0.01}') AS con \gset
SELECT face_train_metric('bin', 'SELECT person, emb FROM faces', 'binary',
	'{"epochs": 25, "people_per_batch": 8, "learning_rate": 0.01}') AS bin \gset
SELECT face_train_metric('pca8', 'SELECT person, emb FROM faces', 'triplet',
	'{"dims": 8, "epochs": 25, "people_per_batch": 8, "learning_rate": 0.01}') AS pca8 \gset
RESET client_min_messages;
SELECT id, name, kind, method, base_model, dims_in, dims_out, options->>'init' AS init, options->>'mining' AS mining,
	metrics->'rows' AS rows, metrics->'people' AS people, metrics->'heldout_people' AS heldout,
	metrics->>'evaluated_on' AS evaluated_on, jsonb_array_length(metrics->'epochs') AS epochs
FROM face_model ORDER BY id;
-- held-out people: every head beats the base metric; identity init starts at the base
SELECT name, (metrics->'trained'->>'auc')::float8 > (metrics->'base'->>'auc')::float8 + 0.02 AS auc_better,
	(metrics->'trained'->>'eer')::float8 < (metrics->'base'->>'eer')::float8 AS eer_better,
	(metrics->'trained'->>'rank1')::float8 >= (metrics->'base'->>'rank1')::float8 AS rank1_not_worse,
	(metrics->'epochs'->0->>'epoch')::int = 0 AS epoch0_reported
FROM face_model ORDER BY id;

-- face_project: unit vectors tagged with the head's id; deterministic; IMMUTABLE in an index
SELECT face_embedding_model(face_project(emb, :trip)) = :trip AS tagged,
	abs(l2_norm(face_project(emb, :trip)) - 1) < 1e-5 AS unit,
	face_project(emb, :trip) = face_project(emb, :trip) AS same
FROM faces LIMIT 1;
SELECT dims(face_project(emb, :pca8)) FROM faces LIMIT 1;
CREATE TABLE projected (person text, emb face_embedding, p face_embedding GENERATED ALWAYS AS (face_project(emb, 18000)) STORED);
INSERT INTO projected (person, emb) SELECT person, emb FROM faces;
CREATE INDEX ON projected USING faceann (p);
SELECT count(*) FROM projected WHERE face_embedding_model(p) = :trip;
-- projected and raw embeddings are kept apart by the type's model check
SELECT p <-> face_embedding_with_model(emb, 300) FROM projected LIMIT 1;
SELECT face_project(p, :trip) FROM projected LIMIT 1;
-- a head trained on untagged rows takes any base model's embeddings (not a head's)
SELECT face_embedding_model(face_project(face_embedding_with_model(emb, 300), :trip)) FROM faces LIMIT 1;
SELECT face_project('[1,2]', :trip);
SELECT face_project(emb, 12345) FROM faces LIMIT 1;
DROP TABLE projected;

-- face_similarity: P(same) from the binary head, high for one person, low for two
SELECT avg(face_similarity(a.emb, b.emb, :bin)) FILTER (WHERE a.person = b.person) >
	avg(face_similarity(a.emb, b.emb, :bin)) FILTER (WHERE a.person <> b.person) + 0.3 AS separates,
	bool_and(face_similarity(a.emb, b.emb, :bin) BETWEEN 0 AND 1) AS in_range
FROM faces a, faces b WHERE a.photo = 1 AND b.photo = 2;
SELECT face_similarity(emb, emb, :trip) FROM faces LIMIT 1;

-- the same seed gives the same head; another seed another one
SET client_min_messages = warning;
SELECT face_train_metric('trip_again', 'SELECT person, emb FROM faces', 'triplet',
	'{"epochs": 25, "people_per_batch": 8, "learning_rate": 0.01, "seed": 1}') AS again \gset
SELECT face_train_metric('trip_seed2', 'SELECT person, emb FROM faces', 'triplet',
	'{"epochs": 25, "people_per_batch": 8, "learning_rate": 0.01, "seed": 2}') AS seed2 \gset
RESET client_min_messages;
SELECT a.params = b.params AS same_seed_same_head, a.params = c.params AS other_seed_same_head
FROM face_model a, face_model b, face_model c WHERE a.id = :trip AND b.id = :again AND c.id = :seed2;
-- the per-epoch NOTICEs
SET client_min_messages = notice;
SELECT face_train_metric('tiny', 'SELECT person, emb FROM faces WHERE person < ''p09''', 'triplet',
	'{"epochs": 1, "validation": 0}') > 0 AS trained;

-- bad input
SET client_min_messages = warning;
SELECT face_train_metric('trip', 'SELECT person, emb FROM faces');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'arcface');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'triplet', '{"epoch": 3}');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'triplet', '{"mining": "easy"}');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'contrastive', '{"mining": "batch-all"}');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'binary', '{"margin": 1}');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'triplet', '{"hidden": 32}');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'triplet', '{"dims": 17}');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'triplet', '{"dims": 8, "init": "identity"}');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'triplet', '{"init": "random"}');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'triplet', '{"people_per_batch": 200, "photos_per_person": 4}');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'triplet', '{"validation": 0.95}');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces', 'triplet', '{"learning_rate": -1}');
SELECT face_train_metric('x', 'SELECT ''p1'', emb FROM faces');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces WHERE photo = 1 OR person = ''p01''');
SELECT face_train_metric('x', 'SELECT person, emb FROM faces WHERE photo = 1 OR person IN (''p01'', ''p02'')', 'contrastive', '{"validation": 0}') > 0 AS one_photo_people_ok_for_contrastive;
SELECT face_train_metric('y', 'SELECT person, emb FROM faces WHERE person < ''p04''');
SELECT face_train_metric('x2', 'SELECT NULL::text, emb FROM faces');
SELECT face_train_metric('x2', 'SELECT person, NULL::face_embedding FROM faces');
SELECT face_train_metric('x2', 'SELECT person, face_project(emb, 18000) FROM faces');
SELECT face_train_metric('x2', 'SELECT person, face_embedding_with_model(emb, 256 + photo % 2) FROM faces');
SET maintenance_work_mem = '1MB';
SELECT face_train_metric('x2', 'SELECT person, emb FROM faces', 'triplet', '{"people_per_batch": 32, "photos_per_person": 8}');
RESET maintenance_work_mem;
RESET client_min_messages;

-- tampered params are an ERROR
UPDATE face_model SET params = substring(params FROM 1 FOR 60) WHERE id = :pca8;
SELECT face_project(emb, :pca8) FROM faces LIMIT 1;
UPDATE face_model SET dims_out = 4 WHERE id = :con;
SELECT face_project(emb, :con) FROM faces LIMIT 1;
-- a calibration is not a head
SET client_min_messages = warning;
SELECT face_calibrate('c', 'SELECT person, emb FROM faces') AS cal \gset
RESET client_min_messages;
SELECT face_project(emb, :cal) FROM faces LIMIT 1;
SELECT face_threshold(:trip, 1e-2);

-- privacy: erase person p05 from the heads (their rows shaped the weights): drop, retrain without
SELECT face_model_drop('trip');
SELECT face_project(emb, :trip) FROM faces LIMIT 1;
SET client_min_messages = warning;
SELECT face_train_metric('trip', 'SELECT person, emb FROM faces WHERE person <> ''p05''', 'triplet',
	'{"epochs": 5, "people_per_batch": 8}') AS trip2 \gset
RESET client_min_messages;
SELECT metrics->'people' AS people, metrics->'rows' AS rows, :trip2 <> :trip AS new_id FROM face_model WHERE name = 'trip';
SELECT count(face_model_drop(name)) FROM face_model;
