# 005_upgrade.pl: ALTER EXTENSION face UPDATE from every released version gives exactly
# the objects of a fresh install of the current one, and keeps the data and indexes
# made under the old version working.
#
# "The same objects" is read off pg_dump --binary-upgrade, which (unlike a plain dump)
# writes out every member of an extension with its full definition, owner, ACL and
# comment.  Only the OID-preserving calls differ between two databases, so they are
# dropped before the two dumps are compared.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use FaceAnnTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = FaceAnnTest::new_node('upgrade');
$node->start;

my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'face'});
my @old = split /\n/, $node->safe_psql('postgres',
	qq{SELECT version FROM pg_available_extension_versions
	   WHERE name = 'face' AND version <> '$current' ORDER BY version});
ok(@old >= 1, "released versions before $current are installable: @old");

# The members of the extension, with their definitions, as pg_dump --binary-upgrade
# writes them; OIDs and the database's own name taken out.
sub extension_objects
{
	my ($db) = @_;
	my ($stdout, $stderr);
	IPC::Run::run([ 'pg_dump', '--binary-upgrade', '--schema-only', '-d', $node->connstr($db) ],
		'>', \$stdout, '2>', \$stderr)
	  or die "pg_dump $db failed: $stderr";
	my @lines = grep { !/binary_upgrade_set_|^-- Dumped |^SELECT pg_catalog\.set_config|^\\(un)?restrict / }
	  split /\n/, $stdout;
	my $text = join("\n", @lines);
	$text =~ s/\b\Q$db\E\b/DB/g;
	# The extension's config tables (face_model and its sequence) are listed by OID, and
	# each table's relfrozenxid is set by OID: both differ between any two databases.
	$text =~ s/(binary_upgrade_create_empty_extension\('face', '[^']*', \w+, '[^']*', )'\{[0-9,]*\}'/$1'{OIDS}'/g;
	$text =~ s/^(SET relfrozenxid = '\d+', relminmxid = '\d+'|WHERE oid = '\d+';)\n//mg;
	return $text;
}

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION face');
my $fresh = extension_objects('fresh');
like($fresh, qr/ALTER EXTENSION face ADD/, 'the dump lists the extension\'s members');

for my $v (@old)
{
	my $db = 'from_' . ($v =~ s/\W/_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	# Data and an index made under the old version: every opclass, a btree on the type.
	$node->safe_psql($db, qq{
CREATE EXTENSION face VERSION '$v';
CREATE FUNCTION face_tap_u(k bigint, d int, salt int) RETURNS float8
	IMMUTABLE PARALLEL SAFE LANGUAGE sql
	AS \$\$ SELECT hashint8(k * 4096 + d * 8 + salt)::float8 / 2147483648.0 \$\$;
CREATE TABLE t (id int PRIMARY KEY, emb face_embedding(128));
INSERT INTO t SELECT g, (SELECT l2_normalize(array_agg(face_tap_u(g, d, 1)::real ORDER BY d)::face_embedding)
                         FROM generate_series(1, 128) d)
	FROM generate_series(1, 3000) g;
CREATE INDEX t_l2 ON t USING faceann (emb face_l2_ops) WITH (lists = 10);
CREATE INDEX t_cos ON t USING faceann (emb face_cosine_ops) WITH (lists = 10);
CREATE INDEX t_bt ON t (emb);
});
	my $before = $node->safe_psql($db,
		q{SET enable_seqscan = off; SET face.ann_probes = 10;
		  SELECT string_agg(id::text, ',') FROM (SELECT id FROM t
		  ORDER BY emb <-> (SELECT emb FROM t WHERE id = 7) LIMIT 10) s});

	$node->safe_psql($db, 'ALTER EXTENSION face UPDATE');
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'face'}),
		$current, "$v updates to $current");

	# The definitions, compared on a database that holds nothing but the extension
	# (this one also holds the test's table, which the dump would show).
	my $bare = "bare_$db";
	$node->safe_psql('postgres', "CREATE DATABASE $bare");
	$node->safe_psql($bare, qq{CREATE EXTENSION face VERSION '$v'; ALTER EXTENSION face UPDATE});
	my $updated = extension_objects($bare);
	$updated =~ s/\b\Q$bare\E\b/DB/g;
	my @fresh_members = grep { /ALTER EXTENSION face ADD/ } split /\n/, $fresh;
	my @updated_members = grep { /ALTER EXTENSION face ADD/ } split /\n/, $updated;
	is_deeply([ sort @updated_members ], [ sort @fresh_members ],
		"$v updated to $current has the same member objects as a fresh install");
	if ($updated ne $fresh)
	{
		my %w = map { $_ => 1 } split /\n/, $fresh;
		my %g = map { $_ => 1 } split /\n/, $updated;
		diag("only after the update: $_") for grep { !$w{$_} } split /\n/, $updated;
		diag("only in a fresh install: $_") for grep { !$g{$_} } split /\n/, $fresh;
	}
	ok($updated eq $fresh,
		"$v updated to $current: every member's definition, owner, ACL and comment as in a fresh install");

	my $after = $node->safe_psql($db,
		q{SET enable_seqscan = off; SET face.ann_probes = 10;
		  SELECT string_agg(id::text, ',') FROM (SELECT id FROM t
		  ORDER BY emb <-> (SELECT emb FROM t WHERE id = 7) LIMIT 10) s});
	is($after, $before, "a faceann index built under $v answers as before the update");
	$node->safe_psql($db, q{INSERT INTO t SELECT 4000, emb FROM t WHERE id = 7});
	like($node->safe_psql($db, q{SELECT * FROM faceann_check('t_l2')}), qr/^10\|3001\|3001\|/,
		"an index built under $v takes inserts after the update and checks clean");
	is($node->safe_psql($db, q{SET enable_seqscan = off; SELECT count(*) FROM t WHERE emb = (SELECT emb FROM t WHERE id = 7)}),
		'2', "the btree opclass of $v works after the update");
}

$node->stop;
done_testing();
