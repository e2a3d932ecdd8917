# 007_faceann_concurrently.pl: CREATE INDEX CONCURRENTLY and REINDEX INDEX CONCURRENTLY
# of a faceann index while pgbench clients insert, update and delete rows; afterwards
# faceann_check passes (every row that should be indexed is, no entry is dangling) and
# the index answers a search with its full LIMIT.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('concurrently');
$node->init;
$node->append_conf('postgresql.conf', "max_connections = 20\n");
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION face;
CREATE FUNCTION v8(i bigint) RETURNS face_embedding IMMUTABLE LANGUAGE sql AS $$
	SELECT ('[' || array_to_string(ARRAY(SELECT round(sin(i * 1.37 + j * 0.71)::numeric, 5)
		FROM generate_series(1, 8) j), ',') || ']')::face_embedding $$;
CREATE TABLE t (id bigint PRIMARY KEY, emb face_embedding(8));
INSERT INTO t SELECT i, v8(i) FROM generate_series(1, 20000) i;
CREATE SEQUENCE t_seq START 100000;
});

my $script = PostgreSQL::Test::Utils::tempdir() . '/writes.sql';
PostgreSQL::Test::Utils::append_to_file($script, q{
\set r random(1, 20000)
INSERT INTO t SELECT n, v8(n) FROM nextval('t_seq') n;
UPDATE t SET emb = v8(:r + 50000) WHERE id = :r;
DELETE FROM t WHERE id = :r + 1;
});
my ($out, $err) = ('', '');
my $bench = IPC::Run::start(
	[ 'pgbench', '--no-vacuum', '--client=3', '--time=20', '-f', $script, '-d', $node->connstr('postgres') ],
	'>', \$out, '2>', \$err);
sleep 1;
$node->safe_psql('postgres', q{CREATE INDEX CONCURRENTLY t_i ON t USING faceann (emb) WITH (lists = 40)});
$node->safe_psql('postgres', q{REINDEX INDEX CONCURRENTLY t_i});
$bench->finish;
like($out, qr{number of failed transactions: 0 }, 'pgbench: no failed transactions');
like($out, qr{processed: [1-9]}, 'pgbench: writes ran during the builds');

is($node->safe_psql('postgres', q{SELECT indisvalid FROM pg_index WHERE indexrelid = 't_i'::regclass}),
	't', 'the index is valid');
my ($ret, $cout, $cerr) = $node->psql('postgres',
	q{SELECT index_entries = heap_tuples FROM faceann_check('t_i')});
is($cerr, '', 'faceann_check passes after CREATE and REINDEX CONCURRENTLY');
my $q = q{(SELECT emb FROM t ORDER BY id LIMIT 1)};
my $byindex = $node->safe_psql('postgres', qq{SET enable_seqscan = off; SET face.ann_probes = 40;
	SELECT string_agg(id::text, ',') FROM (SELECT id FROM t ORDER BY emb <-> $q LIMIT 50) s});
is(scalar(split /,/, $byindex), 50, 'the index returns 50 rows');

$node->stop;
done_testing();
