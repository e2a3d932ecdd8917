# 003_faceann_concurrency.pl: concurrent inserts, searches, deletes and VACUUM.
#
# pgbench runs insert, search and filtered-search scripts on several clients while a
# separate session deletes rows and VACUUMs in a loop.  Every search must return its
# full LIMIT (a search that comes back short fails its pgbench client), no client may
# see an error, and afterwards faceann_check passes and the index finds every row.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use FaceAnnTest;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = FaceAnnTest::new_node('concurrency');
$node->start;
$node->safe_psql('postgres', FaceAnnTest::setup_sql());
$node->safe_psql('postgres', q{
CREATE TABLE t (id bigint PRIMARY KEY, emb face_embedding(128) NOT NULL);
INSERT INTO t SELECT g, face_tap_vec(g) FROM generate_series(1, 5000) g;
CREATE INDEX t_emb ON t USING faceann (emb);
CREATE SEQUENCE t_seq START 1000000;
CREATE FUNCTION face_tap_short(n bigint, what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% returned % rows, not 10', what, n;
END $$;
ANALYZE t;
});

# The deleter: 25 rounds of deleting 25 random preloaded rows, then VACUUM.
my $rounds = join('', map {
		"DELETE FROM t WHERE id IN (SELECT id FROM t WHERE id <= 5000 ORDER BY random() LIMIT 25);\n"
		  . "VACUUM t;\nSELECT pg_sleep(0.1);\n" } 1 .. 25);
my ($dout, $derr) = ('', '');
my $deleter = IPC::Run::start(
	[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), '-f', '-' ],
	'<', \$rounds, '>', \$dout, '2>', \$derr);

my $search = q{
SET enable_seqscan = off;
\set q random(1, 1000000)
SELECT count(*) AS n FROM (SELECT id FROM t ORDER BY emb <-> face_tap_vec(:q + 100000000) LIMIT 10) s \gset
\if :n < 10
SELECT face_tap_short(:n, 'search');
\endif
};
my $filtered = q{
SET enable_seqscan = off;
\set q random(1, 1000000)
SELECT count(*) AS n FROM (SELECT id FROM t WHERE id % 10 = 3
	ORDER BY emb <-> face_tap_vec(:q + 200000000) LIMIT 10) s \gset
\if :n < 10
SELECT face_tap_short(:n, 'filtered search');
\endif
};
my $insert = q{
INSERT INTO t (id, emb) SELECT n, face_tap_vec(n) FROM nextval('t_seq') n;
};

$node->pgbench(
	'--no-vacuum --client=6 --jobs=2 --time=12',
	0,
	[ qr{number of failed transactions: 0 }, qr{processed: [1-9]} ],
	[ qr{^$} ],
	'pgbench: concurrent inserts, searches and filtered searches without errors',
	{
		'003_insert@4' => $insert,
		'003_search@4' => $search,
		'003_filtered@1' => $filtered,
	});

$deleter->finish;
is($?, 0, 'concurrent deletes and VACUUMs succeeded') or diag($derr);

my $n = $node->safe_psql('postgres', 'SELECT count(*) FROM t WHERE id >= 1000000');
cmp_ok($n, '>', 0, "$n rows were inserted concurrently");
FaceAnnTest::check_index($node, 't_emb', 'after concurrent load');
# faceann_check saw every row indexed; a sample is also found by searching.
is($node->safe_psql('postgres', FaceAnnTest::force_index_sql()
		  . FaceAnnTest::selfmiss_sql('t', 'SELECT id FROM t WHERE id % 5 = 0')),
	'', 'the index finds rows by their own vectors');

$node->safe_psql('postgres', 'VACUUM t');
FaceAnnTest::check_index($node, 't_emb', 'after a final VACUUM');

$node->stop;
done_testing();
