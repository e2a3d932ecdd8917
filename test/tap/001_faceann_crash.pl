# 001_faceann_crash.pl: crash recovery of the faceann index.
#
# Concurrent clients insert into a faceann-indexed table; the postmaster is killed
# with SIGKILL while INSERTs are in flight.  After restart (WAL replay from the
# CHECKPOINT taken right after the build, so every index change since then exists
# only in WAL) every row a client saw committed must be in the table and be found by
# the index with its own vector, and faceann_check must pass.  An UNLOGGED indexed
# table must come back empty with a usable index (its init fork).
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use FaceAnnTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = FaceAnnTest::new_node('crash');
$node->start;
$node->safe_psql('postgres', FaceAnnTest::setup_sql());
$node->safe_psql('postgres', q{
CREATE TABLE t (id bigint PRIMARY KEY, emb face_embedding(128) NOT NULL);
INSERT INTO t SELECT g, face_tap_vec(g) FROM generate_series(1, 2000) g;
CREATE INDEX t_emb ON t USING faceann (emb);
CREATE UNLOGGED TABLE u (id bigint PRIMARY KEY, emb face_embedding(128) NOT NULL);
INSERT INTO u SELECT g, face_tap_vec(g) FROM generate_series(1, 500) g;
CREATE INDEX u_emb ON u USING faceann (emb);
CHECKPOINT;
});

# Four inserters for a few seconds, then SIGKILL with an INSERT in flight on each.
my $pool = FaceAnnTest::start_inserters($node, 't', 4, 1_000_000);
FaceAnnTest::run_inserters($pool, 5);
FaceAnnTest::kill9_and_restart($node, sub { FaceAnnTest::stop_inserters($pool) });
my $acked = FaceAnnTest::acked_rows($pool);
cmp_ok($acked, '>=', 100, "clients saw $acked rows committed before the crash");
like(slurp_file($node->logfile), qr/database system was interrupted|not properly shut down/,
	'the restart ran crash recovery');

my $ranges = FaceAnnTest::acked_ranges_sql($pool);
$node->safe_psql('postgres', qq{
CREATE TABLE acked AS SELECT g AS id FROM (VALUES $ranges) r(lo, hi), generate_series(lo, hi) g;
});

# Every acknowledged row is in the heap, with the vector that was inserted.
is( $node->safe_psql('postgres', q{
		SET enable_indexscan = off; SET enable_bitmapscan = off;
		SELECT count(*) FROM acked a JOIN t USING (id) WHERE t.emb = face_tap_vec(a.id)}),
	$acked, 'every acknowledged row survived the crash');

# ... and the index finds each of them (and the rows loaded before the build).
my $force = FaceAnnTest::force_index_sql();
like($node->safe_psql('postgres', "$force EXPLAIN (COSTS OFF) " .
		FaceAnnTest::selfmiss_sql('t', 'SELECT id FROM acked')),
	qr/Index Scan using t_emb/, 'self-lookups use the faceann index');
is($node->safe_psql('postgres', $force . FaceAnnTest::selfmiss_sql('t',
			'SELECT id FROM acked UNION ALL SELECT generate_series(1, 2000)')),
	'', 'the index finds every acknowledged row by its own vector');
FaceAnnTest::check_index($node, 't_emb', 'after crash recovery');

# The recovered index keeps working.
$node->safe_psql('postgres',
	'INSERT INTO t SELECT g, face_tap_vec(g) FROM generate_series(500001, 500300) g');
is($node->safe_psql('postgres', $force . FaceAnnTest::selfmiss_sql('t',
			'SELECT generate_series(500001, 500300)')),
	'', 'rows inserted after recovery are found');
FaceAnnTest::check_index($node, 't_emb', 'after inserts following recovery');

# UNLOGGED: emptied by recovery, index reset from its init fork and usable.
is($node->safe_psql('postgres', 'SELECT count(*) FROM u'), 0, 'unlogged table is empty after the crash');
$node->safe_psql('postgres',
	'INSERT INTO u SELECT g, face_tap_vec(g) FROM generate_series(1, 300) g');
is($node->safe_psql('postgres', $force . FaceAnnTest::selfmiss_sql('u',
			'SELECT generate_series(1, 300)')),
	'', 'unlogged index works after the crash');
FaceAnnTest::check_index($node, 'u_emb', 'unlogged after crash');

$node->stop;
done_testing();
