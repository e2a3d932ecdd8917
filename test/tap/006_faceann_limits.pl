# 006_faceann_limits.pl: faceann under small shared buffers, a relcache invalidation in
# the middle of a scan, and VACUUM statistics over several index passes.
#
# - shared_buffers = 128kB and 2000 lists: the metapage is evicted while a backend reads
#   its cache (the fields must be copied before the buffer is released); every new
#   backend's first query must work and return its LIMIT.
# - ANALYZE from a function in the select list invalidates the index's relcache entry
#   (freeing rd_amcache) while the scan still has rows to return: the scan must go on
#   with what it copied and return the same rows as without the invalidation.
# - maintenance_work_mem = 1MB and 190,000 of 200,000 rows deleted: VACUUM makes several
#   index passes; the index's reltuples must be the rows left, not a sum over passes; a
#   refill to the old row count must not grow the index much.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('limits');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_buffers = 128kB
max_connections = 20
autovacuum = off
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION face;
CREATE TABLE t (id int, emb face_embedding(8));
INSERT INTO t SELECT i, ('[' || array_to_string(ARRAY(SELECT round(sin(i * 1.37 + j * 0.71)::numeric, 5)
	FROM generate_series(1, 8) j), ',') || ']')::face_embedding FROM generate_series(1, 20000) i;
CREATE INDEX t_i ON t USING faceann (emb) WITH (lists = 2000);
ANALYZE t;
});

# new backends, each reading the cache with the metapage likely evicted
my $ok = 0;
for my $i (1 .. 8)
{
	my ($ret, $out, $err) = $node->psql('postgres', qq{
SET enable_seqscan = off;
SET face.ann_probes = 20;
SELECT count(*) FROM (SELECT id FROM t ORDER BY emb <-> (SELECT emb FROM t WHERE id = $i * 100) LIMIT 50) s;
});
	$ok++ if $ret == 0 && $out eq '50';
	diag("backend $i: $out $err") unless $ret == 0 && $out eq '50';
}
is($ok, 8, 'shared_buffers = 128kB, 2000 lists: every new backend gets its 50 rows');

# a relcache invalidation during the scan
$node->safe_psql('postgres', q{
CREATE FUNCTION t_inval(n int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
	IF n % 10 = 0 THEN ANALYZE t; END IF;
	RETURN n;
END $$;
});
my $q = q{(SELECT emb FROM t WHERE id = 777)};
my $plain = $node->safe_psql('postgres', qq{
SET enable_seqscan = off; SET face.ann_rerank = 5; SET face.ann_probes = 2000;
SELECT string_agg(id::text, ',' ORDER BY rn) FROM (SELECT id, row_number() OVER () AS rn
	FROM (SELECT id FROM t ORDER BY emb <-> $q LIMIT 200) s) s2;
});
my $inval = $node->safe_psql('postgres', qq{
SET enable_seqscan = off; SET face.ann_rerank = 5; SET face.ann_probes = 2000;
SELECT string_agg(id::text, ',' ORDER BY rn) FROM (SELECT id, row_number() OVER () AS rn
	FROM (SELECT id, t_inval(id) FROM t ORDER BY emb <-> $q LIMIT 200) s) s2;
});
is($inval, $plain, 'ANALYZE during the scan (relcache invalidation): the same 200 rows');
my $exact = $node->safe_psql('postgres', qq{
SET enable_indexscan = off;
SELECT string_agg(id::text, ',' ORDER BY rn) FROM (SELECT id, row_number() OVER () AS rn
	FROM (SELECT id FROM t ORDER BY emb <-> $q LIMIT 200) s) s2;
});
is($plain, $exact, 'full breadth: the sequential scan\'s 200 rows');

# VACUUM with several index passes
$node->safe_psql('postgres', q{
CREATE TABLE v (id int, emb face_embedding(4));
INSERT INTO v SELECT i, ('[' || sin(i) || ',' || cos(i * 1.3) || ',' || sin(i * 0.7) || ',' || cos(i * 2.1) || ']')::face_embedding
	FROM generate_series(1, 200000) i;
CREATE INDEX v_i ON v USING faceann (emb) WITH (lists = 50);
});
my $size0 = $node->safe_psql('postgres', q{SELECT pg_relation_size('v_i')});
$node->safe_psql('postgres', q{
DELETE FROM v WHERE id % 20 <> 0;
SET maintenance_work_mem = '1MB';
VACUUM v;
});
my $log = slurp_file($node->logfile);
is($node->safe_psql('postgres', q{SELECT reltuples FROM pg_class WHERE relname = 'v_i'}),
	'10000', 'VACUUM over several index passes: reltuples is the rows left');
$node->safe_psql('postgres', q{
INSERT INTO v SELECT i, ('[' || sin(i) || ',' || cos(i * 1.3) || ',' || sin(i * 0.7) || ',' || cos(i * 2.1) || ']')::face_embedding
	FROM generate_series(1, 200000) i WHERE i % 20 <> 0;
});
my $size1 = $node->safe_psql('postgres', q{SELECT pg_relation_size('v_i')});
ok($size1 <= $size0 * 1.1, "refill after deleting 95%: index $size0 -> $size1 bytes");
is($node->safe_psql('postgres', q{SELECT index_entries FROM faceann_check('v_i')}), '200000',
	'faceann_check after the refill');

$node->stop;
done_testing();
