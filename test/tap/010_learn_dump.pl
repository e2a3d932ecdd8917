# 010_learn_dump.pl: the trained models (face_model, its id sequence) survive pg_dump and
# pg_restore: the same rows byte for byte, the sequence continues past them (ids are never
# handed out twice), and the restored models predict exactly as before, including a
# generated column and a faceann index over face_project().
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use FaceAnnTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = FaceAnnTest::new_node('learn_dump');
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', FaceAnnTest::setup_sql() . q{
CREATE TABLE faces AS SELECT 'p' || (id / 4) AS person, id, face_tap_vec(id) AS emb
	FROM generate_series(0, 159) id;
SET client_min_messages = warning;
SELECT face_calibrate('cal', 'SELECT person, emb FROM faces');
SELECT face_train_metric('head', 'SELECT person, emb FROM faces', 'triplet',
	'{"epochs": 3, "people_per_batch": 8, "dims": 32}');
CREATE TABLE gallery (id int, emb face_embedding,
	p face_embedding GENERATED ALWAYS AS (face_project(emb, 16385)) STORED);
INSERT INTO gallery (id, emb) SELECT id, emb FROM faces;
CREATE INDEX gallery_p ON gallery USING faceann (p);
});

my $models_sql = q{SELECT id, name, kind, method, base_model, dims_in, dims_out, md5(params),
	labels, options, metrics, created FROM face_model ORDER BY id};
my $predict_sql = q{SELECT md5(string_agg(face_project(emb, 16385)::text || ':' ||
	face_match_probability(emb, (SELECT emb FROM faces WHERE id = 0), 16384)::text, ',' ORDER BY id))
	FROM faces};
my $before = $node->safe_psql('src', $models_sql);
my $pred_before = $node->safe_psql('src', $predict_sql);
like($before, qr/^16384\|cal\|calibration.*\n16385\|head\|metric/s, 'two models trained');

my $dump = "$PostgreSQL::Test::Utils::tmp_check/learn.dump";
command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
command_ok([ 'pg_restore', '-d', $node->connstr('dst'), $dump ], 'pg_restore');

is($node->safe_psql('dst', $models_sql), $before, 'face_model rows restored unchanged');
is($node->safe_psql('dst', $predict_sql), $pred_before, 'restored models predict as before');
is($node->safe_psql('dst', q{SELECT count(*) FROM gallery WHERE p = face_project(emb, 16385)}),
	'160', 'the generated column of projected embeddings restored');
is($node->safe_psql('dst', q{SET enable_seqscan = off;
	SELECT id FROM gallery ORDER BY p <-> face_project((SELECT emb FROM faces WHERE id = 7), 16385) LIMIT 1}),
	'7', 'the faceann index over the projections answers after restore');
is($node->safe_psql('dst', q{SET client_min_messages = warning;
	SELECT face_calibrate('cal2', 'SELECT person, emb FROM faces')}),
	'16386', 'the id sequence continues after the restored ids');

$node->stop;
done_testing();
