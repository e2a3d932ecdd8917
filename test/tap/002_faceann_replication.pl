# 002_faceann_replication.pl: a streaming standby's faceann index matches the primary's.
#
# The standby is made from a base backup taken before the table and its indexes
# exist, so it knows the index only through WAL (build, inserts, VACUUM).  After each
# step both nodes must return the same top-k for the same queries with index scans
# forced (a standby page that differs from the primary's changes some answer), the
# answers must be real (close to the exact top-k), and faceann_check must pass.
# Finally the standby is promoted and its index checked and written to.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use FaceAnnTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = FaceAnnTest::new_node('primary');
$primary->start;
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

$primary->safe_psql('postgres', FaceAnnTest::setup_sql());
$primary->safe_psql('postgres', q{
CREATE TABLE t (id bigint PRIMARY KEY, emb face_embedding(128) NOT NULL);
INSERT INTO t SELECT g, face_tap_vec(g) FROM generate_series(1, 4000) g;
CREATE INDEX t_l2 ON t USING faceann (emb face_l2_ops);
CREATE INDEX t_cos ON t USING faceann (emb face_cosine_ops);
CREATE INDEX t_ip ON t USING faceann (emb face_ip_ops);
CREATE TABLE queries AS SELECT q, face_tap_vec(q) AS v FROM generate_series(900001, 900025) q;
});

my $force = FaceAnnTest::force_index_sql();

# compare(STEP): same answers on both nodes, close to exact, index checked.
sub compare
{
	my ($step) = @_;
	$primary->wait_for_catchup($standby, 'replay');
	my %index_of = ('<->' => 't_l2', '<=>' => 't_cos', '<#>' => 't_ip');
	for my $op ('<->', '<=>', '<#>')
	{
		my $index = $index_of{$op};
		my $sql = FaceAnnTest::topk_sql('t', $op, 10, 'queries');
		like($standby->safe_psql('postgres', "$force EXPLAIN (COSTS OFF) $sql"),
			qr/Index Scan using $index/, "$step: standby uses $index for $op");
		my $p = $primary->safe_psql('postgres', $force . $sql);
		my $s = $standby->safe_psql('postgres', $force . $sql);
		is($s, $p, "$step: standby and primary return the same top-10 for $op");

		# Overlap with the exact answer, so that equal answers are not equally empty.
		my $exact = $primary->safe_psql('postgres',
			"SET enable_indexscan = off; SET enable_bitmapscan = off; $sql");
		my ($hits, $total) = (0, 0);
		my %want = map { (split /\|/)[0] => { map { $_ => 1 } ((split /\|/)[1] =~ /(\d+)/g) } }
		  split /\n/, $exact;
		for my $line (split /\n/, $s)
		{
			my ($q, $ids) = split /\|/, $line;
			my @ids = ($ids // '') =~ /(\d+)/g;
			$hits += grep { $want{$q}{$_} } @ids;
			$total += 10;
		}
		cmp_ok($hits / $total, '>=', 0.9, "$step: $op answers match the exact top-10 ($hits/$total)");
	}
	FaceAnnTest::check_index($primary, $_, "$step, primary") for ('t_l2', 't_cos', 't_ip');
	return;
}

compare('after build');

# Many small transactions, then one large.
$primary->safe_psql('postgres',
	"INSERT INTO t SELECT g, face_tap_vec(g) FROM generate_series($_ * 100 + 3901, $_ * 100 + 4000) g")
  for (1 .. 10);
$primary->safe_psql('postgres', 'INSERT INTO t SELECT g, face_tap_vec(g) FROM generate_series(5001, 7000) g');
compare('after inserts');

$primary->safe_psql('postgres', 'DELETE FROM t WHERE id % 3 = 0 OR id BETWEEN 6000 AND 6800');
$primary->safe_psql('postgres', 'VACUUM t');
compare('after delete and vacuum');
# Deleted rows' own vectors as queries: their entries are the nearest, if still there.
is($standby->safe_psql('postgres', qq{$force
		SELECT count(*) FROM generate_series(1, 60) q,
		  LATERAL (SELECT id FROM t ORDER BY emb <-> face_tap_vec(q * 3) LIMIT 10) s
		WHERE s.id % 3 = 0 OR s.id BETWEEN 6000 AND 6800}),
	0, 'standby never returns a deleted row');

# Space freed by VACUUM is reused by new entries, and they replicate too.
$primary->safe_psql('postgres', 'INSERT INTO t SELECT g, face_tap_vec(g) FROM generate_series(10001, 12000) g');
compare('after inserts into vacuumed index');

# Rows are found by their own vectors on the standby (a sample, for time).
is($standby->safe_psql('postgres', $force . FaceAnnTest::selfmiss_sql('t', 'SELECT id FROM t WHERE id % 4 = 1')),
	'', 'standby index finds rows by their own vectors');

# Promotion: the former standby's index is whole and writable.
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'standby did not leave recovery';
FaceAnnTest::check_index($standby, $_, 'promoted standby') for ('t_l2', 't_cos', 't_ip');
$standby->safe_psql('postgres', 'INSERT INTO t SELECT g, face_tap_vec(g) FROM generate_series(20001, 20500) g');
is($standby->safe_psql('postgres', $force . FaceAnnTest::selfmiss_sql('t', 'SELECT generate_series(20001, 20500)')),
	'', 'promoted standby indexes new rows');
FaceAnnTest::check_index($standby, 't_l2', 'promoted standby after inserts');

$standby->stop;
$primary->stop;
done_testing();
