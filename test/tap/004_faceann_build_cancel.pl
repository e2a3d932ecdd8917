# 004_faceann_build_cancel.pl: a parallel faceann build can be cancelled, and an error in
# one of its workers fails it cleanly.
#
# A CREATE INDEX runs in the background with two parallel workers; once
# pg_stat_progress_create_index shows its parallel phase, the test cancels the leader
# (pg_cancel_backend) or terminates a worker (pg_terminate_backend).  The statement must
# fail with that error, leave no index, no parallel worker and no temporary sort file
# behind, and a build afterwards must succeed and pass faceann_check.  If the build ends
# before the signal lands (a fast machine), the round is repeated, at most three times.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use FaceAnnTest;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = FaceAnnTest::new_node('build_cancel');
$node->append_conf('postgresql.conf', q{
max_parallel_maintenance_workers = 2
maintenance_work_mem = 256MB
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION face');
# 300,000 random 64-D rows: the parallel load of 200 lists lasts long enough to be hit
$node->safe_psql('postgres', q{
CREATE TABLE t (id int, emb face_embedding(64));
INSERT INTO t SELECT g, (SELECT array_agg(random()::real) FROM generate_series(1, 64) d WHERE g > 0)::face_embedding
FROM generate_series(1, 300000) g;
ALTER TABLE t SET (parallel_workers = 2);
ANALYZE t;
});

my $parallel_phase = q{
SELECT count(*) > 0 FROM pg_stat_progress_create_index
WHERE phase IN ('building index: assigning tuples', 'building index: sorting tuples',
				'building index: loading tuples')};

# round(SIGNAL_SQL, WAIT_SQL, EXPECTED_ERROR): start the build, wait until WAIT_SQL is
# true, run SIGNAL_SQL; returns 1 (after checking that the build failed with
# EXPECTED_ERROR), or 0 if the build had finished first.
sub round
{
	my ($signal_sql, $wait_sql, $expected) = @_;
	my ($out, $err) = ('', '');
	my $build = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'),
		  '-c', 'CREATE INDEX t_i ON t USING faceann (emb) WITH (lists = 200)' ],
		'>', \$out, '2>', \$err);
	$node->poll_query_until('postgres', $wait_sql)
	  or die "the build never reached its parallel phase";
	$node->safe_psql('postgres', $signal_sql);
	$build->finish;
	if ($node->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname = 't_i'}) eq '1')
	{
		note "the build finished before the signal; again";
		$node->safe_psql('postgres', 'DROP INDEX t_i');
		return 0;
	}
	like($err, $expected, 'the build failed with the expected error');
	return 1;
}

# clean(WHAT): nothing of the failed build is left
sub clean
{
	my ($what) = @_;
	ok($node->poll_query_until('postgres',
			q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'parallel worker'}),
		"$what: no parallel worker left");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_ls_tmpdir()'), '0',
		"$what: no temporary file left");
}

my $done = 0;
for (1 .. 3)
{
	last if $done = round(
		q{SELECT pg_cancel_backend(pid) FROM pg_stat_progress_create_index},
		$parallel_phase, qr/canceling statement due to user request/);
}
ok($done, 'cancel: the build was cancelled in its parallel phase');
clean('cancel');

$done = 0;
for (1 .. 3)
{
	last if $done = round(
		q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'parallel worker'},
		q{SELECT count(*) > 0 FROM pg_stat_progress_create_index
		  WHERE phase = 'building index: assigning tuples'
		  AND EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'parallel worker')},
		qr/terminating background worker "parallel worker" due to administrator command/);
}
ok($done, 'worker error: the build failed when a worker was terminated');
clean('worker error');

# and the same build, left alone, succeeds
$node->safe_psql('postgres', 'CREATE INDEX t_i ON t USING faceann (emb) WITH (lists = 200)');
is($node->safe_psql('postgres', q{SELECT lists || ' ' || index_entries FROM faceann_check('t_i')}),
	'200 300000', 'a build after the failed ones is complete');

$node->stop;
done_testing();
