# 008_fdw_shards.pl: one face table over three PostgreSQL nodes with postgres_fdw
# (README, "Scale out with postgres_fdw").
#
# Three shard clusters and a coordinator on loopback (Unix sockets).  The coordinator
# holds a hash-partitioned table whose partitions are postgres_fdw foreign tables, one
# per shard (async_capable, use_remote_estimate, extensions 'face', search breadth set
# through the servers' libpq options), plus a local copy of all rows: the one node the
# shards must agree with.  Checked:
#   - inserts through the coordinator land on the shard their hash partition names;
#   - face_shard_search ships "ORDER BY distance LIMIT k" to every shard, runs the
#     shards asynchronously, and at full breadth returns exactly the one node's top k
#     (ids and distances) for every query, as does the plain partitioned-table query;
#   - the search settings reach the shards' sessions;
#   - a shard that is down makes both queries fail with an ERROR, never a partial answer;
#   - deletes through the coordinator, then VACUUM on each shard: faceann_check passes
#     and the answers still equal the one node's;
#   - embedding where the photos are: a shard-side trigger runs embed() on the shard
#     for photos inserted through the coordinator; the coordinator never ships embed().
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use FaceAnnTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $nshards = 3;
my $nrows = 6000;
my $k = 10;

my @shards;
for my $i (0 .. $nshards - 1)
{
	my $node = PostgreSQL::Test::Cluster->new("shard$i");
	$node->init;
	$node->append_conf('postgresql.conf', "log_statement = none\n");
	$node->start;
	$node->safe_psql('postgres', FaceAnnTest::setup_sql() . q{
CREATE TABLE faces_s (id bigint PRIMARY KEY, emb face_embedding(128) NOT NULL);
CREATE VIEW face_session AS SELECT current_setting('face.ann_probes') AS ann_probes,
	current_setting('face.ann_rerank') AS ann_rerank;
-- embedding where the photos are: the shard computes emb from the photo it stores
CREATE TABLE photos_s (id bigint PRIMARY KEY, photo bytea NOT NULL, emb face_embedding);
-- postgres_fdw's sessions run with search_path = pg_catalog: name the schema
CREATE FUNCTION photos_embed() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $$
BEGIN NEW.emb := embed(NEW.photo); RETURN NEW; END $$;
CREATE TRIGGER photos_embed BEFORE INSERT OR UPDATE OF photo ON photos_s
	FOR EACH ROW EXECUTE FUNCTION photos_embed();
});
	push @shards, $node;
}

my $coord = PostgreSQL::Test::Cluster->new('coordinator');
$coord->init;
$coord->start;
$coord->safe_psql('postgres', FaceAnnTest::setup_sql() . qq{
CREATE EXTENSION postgres_fdw;
CREATE TABLE faces (id bigint NOT NULL, emb face_embedding(128) NOT NULL) PARTITION BY HASH (id);
CREATE TABLE photos (id bigint NOT NULL, photo bytea NOT NULL, emb face_embedding) PARTITION BY HASH (id);
CREATE TABLE one_node (id bigint PRIMARY KEY, emb face_embedding(128) NOT NULL);
INSERT INTO one_node SELECT g, face_tap_vec(g) FROM generate_series(1, $nrows) g;
CREATE TABLE queries AS SELECT q, face_tap_vec(q) AS v FROM generate_series(900001, 900020) q;
});
for my $i (0 .. $nshards - 1)
{
	my ($host, $port) = ($shards[$i]->host, $shards[$i]->port);
	$coord->safe_psql('postgres', qq{
CREATE SERVER shard$i FOREIGN DATA WRAPPER postgres_fdw
	OPTIONS (host '$host', port '$port', dbname 'postgres', extensions 'face',
	         async_capable 'true', use_remote_estimate 'true', batch_size '500',
	         options '-c face.ann_probes=32768 -c face.ann_rerank=100000');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard$i;
CREATE FOREIGN TABLE faces_$i PARTITION OF faces FOR VALUES WITH (MODULUS $nshards, REMAINDER $i)
	SERVER shard$i OPTIONS (table_name 'faces_s');
CREATE FOREIGN TABLE photos_$i PARTITION OF photos FOR VALUES WITH (MODULUS $nshards, REMAINDER $i)
	SERVER shard$i OPTIONS (table_name 'photos_s');
CREATE FOREIGN TABLE session_$i (ann_probes text, ann_rerank text)
	SERVER shard$i OPTIONS (table_name 'face_session');
});
}

# ---- inserts are routed ------------------------------------------------------------------
$coord->safe_psql('postgres', 'INSERT INTO faces SELECT id, emb FROM one_node');
for my $i (0 .. $nshards - 1)
{
	my $want = $coord->safe_psql('postgres', qq{SELECT count(*), coalesce(sum(id), 0) FROM one_node
		WHERE satisfies_hash_partition('faces'::regclass, $nshards, $i, id)});
	my $have = $shards[$i]->safe_psql('postgres', 'SELECT count(*), coalesce(sum(id), 0) FROM faces_s');
	is($have, $want, "shard $i holds exactly the rows of hash partition $i");
	cmp_ok((split /\|/, $have)[0], '>', $nrows / $nshards / 2, "shard $i holds a fair share of the rows");
	$shards[$i]->safe_psql('postgres', 'CREATE INDEX faces_s_emb ON faces_s USING faceann (emb); ANALYZE faces_s');
}

is($coord->safe_psql('postgres', join(' UNION ALL ', map { "SELECT ann_probes || '/' || ann_rerank FROM session_$_" } 0 .. $nshards - 1)),
	join("\n", ('32768/100000') x $nshards), 'the servers\' options set the search settings of every shard session');

# ---- search: the same top k as one node ----------------------------------------------------
# "q|{id,...}|{distance,...}" per query, from the shards through face_shard_search, must
# equal the one node's exact answer.
my $sharded_sql = qq{
SELECT q, array_agg(id ORDER BY distance, id), array_agg(distance ORDER BY distance, id) FROM queries,
	LATERAL face_shard_search('faces', v, $k) s
GROUP BY q ORDER BY q};

sub check_search
{
	my ($step) = @_;
	my $exact = $coord->safe_psql('postgres', qq{
SELECT q, array_agg(id ORDER BY d, id), array_agg(d ORDER BY d, id) FROM queries,
	LATERAL (SELECT id, emb <-> v AS d FROM one_node ORDER BY emb <-> v, id LIMIT $k) s
GROUP BY q ORDER BY q});
	is($coord->safe_psql('postgres', $sharded_sql), $exact,
		"$step: face_shard_search returns the one node's exact top $k, ids and distances");
	is($coord->safe_psql('postgres', qq{
SELECT q, (SELECT array_agg(id) FROM (SELECT id FROM faces ORDER BY emb <-> qt.v LIMIT $k) s)
FROM queries qt ORDER BY q}),
		$coord->safe_psql('postgres', qq{
SELECT q, (SELECT array_agg(id) FROM (SELECT id FROM one_node ORDER BY emb <-> qt.v LIMIT $k) s)
FROM queries qt ORDER BY q}),
		"$step: the plain partitioned-table query returns the same rows");
	for my $i (0 .. $nshards - 1)
	{
		FaceAnnTest::check_index($shards[$i], 'faces_s_emb', "$step: shard $i");
	}
	return;
}
check_search('after load');

# The plan: every shard gets its own ORDER BY ... LIMIT, and runs asynchronously.
my (undef, undef, $log) = $coord->psql('postgres', qq{
SET plan_cache_mode = force_generic_plan;
PREPARE top(face_embedding) AS SELECT * FROM face_shard_search('faces', \$1, $k);
LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;
SET auto_explain.log_verbose = on; SET auto_explain.log_level = notice;
EXECUTE top(face_tap_vec(1))});
is(scalar(() = $log =~ /Async Foreign Scan on public\.faces_\d/g), $nshards,
	'face_shard_search runs one asynchronous foreign scan per shard') or diag($log);
is(scalar(() = $log =~ /Remote SQL: SELECT id, emb FROM public\.faces_s ORDER BY \(emb OPERATOR\(public\.<->\) '\[[^\]]*\]'(::public\.face_embedding)?\) ASC NULLS LAST LIMIT $k\b/g),
	$nshards, 'each shard is asked for its own top k in its index order') or diag($log);
# What PostgreSQL 15 does with the plain query (README): no LIMIT reaches a shard; the
# shards are either merged in order one after the other or read whole and sorted here.
my $plain = $coord->safe_psql('postgres', qq{
PREPARE plain(face_embedding) AS SELECT id FROM faces ORDER BY emb <-> \$1 LIMIT $k;
SET plan_cache_mode = force_generic_plan; EXPLAIN (VERBOSE, COSTS OFF) EXECUTE plain(face_tap_vec(1))});
like($plain, qr/Merge Append|Sort Key: \(\(faces\.emb <-> \$1\)\)\n\s+->  Append/,
	'the plain query merges or sorts the shards\' rows on the coordinator') or diag($plain);
unlike($plain, qr/Remote SQL:.*LIMIT/, 'the plain query ships no LIMIT to the shards (PostgreSQL 15)');

# Bad arguments.
my ($ret, $out, $err) = $coord->psql('postgres', q{SELECT * FROM face_shard_search('faces', face_tap_vec(1), 0)});
like($err, qr/ERROR:  k must be between 1 and 100000, not 0/, 'k = 0 is an ERROR');
($ret, $out, $err) = $coord->psql('postgres', q{SELECT * FROM face_shard_search('faces', face_tap_vec(1), 5, distance_operator => '<<')});
like($err, qr/ERROR:  unknown face_embedding distance operator "<<"/, 'an unknown operator is an ERROR');
is($coord->safe_psql('postgres', q{SELECT array_agg(id ORDER BY distance) FROM face_shard_search('one_node', face_tap_vec(77), 3)}),
	$coord->safe_psql('postgres', q{SELECT array_agg(id) FROM (SELECT id FROM one_node ORDER BY emb <-> face_tap_vec(77) LIMIT 3) s}),
	'an unpartitioned table is its own single shard');

# ---- a shard that is down ------------------------------------------------------------------
$shards[1]->stop;
for my $sql ("SELECT * FROM face_shard_search('faces', face_tap_vec(5), $k)",
	"SELECT id FROM faces ORDER BY emb <-> face_tap_vec(5) LIMIT $k")
{
	($ret, $out, $err) = $coord->psql('postgres', $sql);
	isnt($ret, 0, "shard 1 down: \"$sql\" fails");
	is($out, '', 'shard 1 down: no partial answer');
	like($err, qr/ERROR:  could not connect to server "shard1"/, 'shard 1 down: the ERROR names the shard');
}
$shards[1]->start;

# ---- deletes, then VACUUM on the shards ----------------------------------------------------
$coord->safe_psql('postgres', q{DELETE FROM faces WHERE id % 3 = 0 OR id % 7 = 0;
DELETE FROM one_node WHERE id % 3 = 0 OR id % 7 = 0});
$_->safe_psql('postgres', 'VACUUM faces_s') for @shards;
check_search('after deletes and VACUUM on the shards');
$coord->safe_psql('postgres', q{INSERT INTO faces SELECT g, face_tap_vec(g) FROM generate_series(1, 600) g WHERE g % 3 = 0;
INSERT INTO one_node SELECT g, face_tap_vec(g) FROM generate_series(1, 600) g WHERE g % 3 = 0});
check_search('after inserts into the vacuumed shards');

# ---- embedding where the photos are ----------------------------------------------------------
my $dir = $coord->safe_psql('postgres', q{LOAD 'face'; SELECT current_setting('face.model_dir') || '/samples/'});
$coord->safe_psql('postgres', qq{INSERT INTO photos (id, photo)
	SELECT n, pg_read_binary_file('$dir' || 'sample' || n || '.jpg') FROM generate_series(1, 3) n});
my $on_shards = join("\n", sort map { $_->safe_psql('postgres', q{SELECT id || '|' || (emb IS NOT NULL) || '|' || face_embedding_model(emb) FROM photos_s}) } @shards);
$on_shards =~ s/^\n+//;
is($on_shards, join("\n", map { "$_|true|" . $coord->safe_psql('postgres',
	"SELECT face_embedding_model(embed(pg_read_binary_file('${dir}sample$_.jpg')))") } 1 .. 3),
	'the shard-side trigger embedded each photo on its shard, with its model tag');
is($coord->safe_psql('postgres', qq{SELECT bool_and(p.emb <-> embed(pg_read_binary_file('$dir' || 'sample' || p.id || '.jpg')) < 1e-6)
	FROM photos p}), 't', 'the shards\' embeddings equal the coordinator\'s own embed()');
like($coord->safe_psql('postgres', 'EXPLAIN (VERBOSE, COSTS OFF) UPDATE photos SET emb = embed(photo)'),
	qr/Output: embed\(photos_\d\.photo\).*\n\s+Remote SQL: SELECT id, photo, [^\n]*FROM public\.photos_s FOR UPDATE/,
	'embed() is not shippable: an UPDATE on the coordinator would pull every photo (run it on the shards)');
# the UPDATE-per-shard pattern, run on each shard
$_->safe_psql('postgres', 'UPDATE photos_s SET emb = NULL; ALTER TABLE photos_s DISABLE TRIGGER photos_embed;
	UPDATE photos_s SET emb = embed(photo) WHERE emb IS NULL') for @shards;
is($coord->safe_psql('postgres', 'SELECT count(*) FROM photos WHERE emb IS NOT NULL'), '3',
	'an UPDATE on each shard embeds the photos where they are');

$_->stop for @shards, $coord;
done_testing();
