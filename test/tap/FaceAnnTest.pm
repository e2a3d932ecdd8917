# FaceAnnTest.pm: shared pieces of the faceann TAP tests (test/tap/0*_faceann_*.pl).
#
# A node set up for index tests, a deterministic face-like vector generator in SQL
# (so every node and every client computes the same vector for the same row id),
# the queries the tests compare, and a client pool that inserts rows concurrently and
# remembers exactly which ones the server acknowledged.
package FaceAnnTest;

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

# The index's search-breadth GUC; the tests raise it so that self-lookups are exhaustive.
our $BREADTH_GUC = 'face.ann_probes';
our $BREADTH_MAX = 32768;

# new_node(NAME, %init_params): a node with WAL for replication, checkpoints only on
# demand (so crash recovery must replay every index change since the test's CHECKPOINT)
# and enough shared buffers that index pages are not all written out by eviction.
sub new_node
{
	my ($name, %params) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(allows_streaming => 1, %params);
	$node->append_conf('postgresql.conf', q{
shared_buffers = 64MB
max_connections = 40
log_statement = none
checkpoint_timeout = 1h
max_wal_size = 2GB
});
	return $node;
}

# SQL that creates the extension and the vector generator on a fresh database.
#
# face_tap_vec(id) is a unit 128-D "photo": identity id/4 gives the centre, id the
# noise, both uniform in [-1, 1) from hashint8 and scaled by 1/sqrt(dimension) (the
# anisotropic shape of real face descriptors).  Pure SQL, so every node agrees.
sub setup_sql
{
	return q{
CREATE EXTENSION face;
CREATE FUNCTION face_tap_u(k bigint, d int, salt int) RETURNS float8
	IMMUTABLE PARALLEL SAFE LANGUAGE sql
	AS $$ SELECT hashint8(k * 4096 + d * 8 + salt)::float8 / 2147483648.0 $$;
CREATE FUNCTION face_tap_vec(id bigint) RETURNS face_embedding
	IMMUTABLE PARALLEL SAFE LANGUAGE sql
	AS $$ SELECT l2_normalize(array_agg(((face_tap_u(id / 4, d, 1) + 0.6 * face_tap_u(id, d, 2))
	                                     / sqrt(d))::real ORDER BY d)::face_embedding)
	      FROM generate_series(1, 128) d $$;
};
}

# SQL that makes index scans the only way to answer ORDER BY ... LIMIT, with the
# widest search, so that the tests see what the index holds.
sub force_index_sql
{
	return "SET enable_seqscan = off; SET enable_bitmapscan = off; SET $BREADTH_GUC = $BREADTH_MAX;";
}

# topk_sql(TABLE, OP, K, QTABLE): one line per row of QTABLE (q bigint, v face_embedding)
# "q|{id,...}", the top K rows of TABLE for v under distance operator OP.  The query
# vectors live in a table so that an exact (sequential) scan computes each only once.
sub topk_sql
{
	my ($table, $op, $k, $qtable) = @_;
	return qq{SELECT q, (SELECT array_agg(id) FROM (SELECT id FROM $table
	                     ORDER BY emb $op qt.v LIMIT $k) s)
	          FROM $qtable qt ORDER BY q};
}

# selfmiss_sql(TABLE, IDS_SQL): the ids (of IDS_SQL) whose own vector's nearest row by
# the index is not that row: each row must be found by the index at distance 0.
sub selfmiss_sql
{
	my ($table, $ids) = @_;
	return qq{SELECT a.id FROM ($ids) a(id)
	          WHERE (SELECT t.id FROM $table t ORDER BY t.emb <-> face_tap_vec(a.id) LIMIT 1)
	                IS DISTINCT FROM a.id ORDER BY 1};
}

# check_index(NODE, INDEX, NAME): faceann_check passes (it raises an ERROR on any
# inconsistency).
sub check_index
{
	my ($node, $index, $name) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', "SELECT faceann_check('$index')");
	is($ret, 0, "$name: faceann_check('$index') passes")
	  or diag("stdout: $out\nstderr: $err");
	return;
}

# kill9_and_restart(NODE): SIGKILL the postmaster, run KILLED->() (e.g. to end the
# clients), wait until no orphaned backend holds the old shared memory (a new
# postmaster refuses to start while one does) and start the node again: crash recovery.
sub kill9_and_restart
{
	my ($node, $killed) = @_;
	my $pidfile = $node->data_dir . '/postmaster.pid';
	my @lines = split /\n/, slurp_file($pidfile);
	my ($pid, $shmid) = ($lines[0], (split ' ', ($lines[6] // ''))[1]);
	$node->kill9;
	$killed->() if $killed;
	for (1 .. 600)
	{
		# the old postmaster (pid in the lock file) must be gone, and reaped, too
		my $busy = kill(0, $pid)
		  || (defined $shmid && -r '/proc/sysvipc/shm'
			&& grep { my @f = split ' '; $f[1] eq $shmid && $f[6] > 0 }
			grep { /^\s*-?\d/ } split /\n/, slurp_file('/proc/sysvipc/shm'));
		last unless $busy;
		usleep(100_000);
	}
	$node->start;
	return;
}

# ---- concurrent inserters with acknowledged-commit bookkeeping --------------------------
#
# Each client is a psql process reading commands from a pipe.  It gets one INSERT of
# a batch of consecutive ids at a time, followed by "\echo ack LO HI"; psql runs the
# \echo only after the server reported the INSERT committed (autocommit), so the acked
# ranges are exactly the rows a client was told are durable.  ON_ERROR_STOP makes a
# failed INSERT end the client without an ack.

# start_inserters(NODE, TABLE, N, FIRST_ID): N clients; client i inserts ids from
# FIRST_ID + i * 10^7 upwards.
sub start_inserters
{
	my ($node, $table, $n, $first) = @_;
	my @clients;
	for my $i (0 .. $n - 1)
	{
		my $c = { in => '', out => '', err => '', next => $first + $i * 10_000_000,
			busy => 0, acked => [], batch => 0 };
		$c->{h} = IPC::Run::start(
			[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), '-f', '-' ],
			'<', \$c->{in}, '>', \$c->{out}, '2>', \$c->{err});
		push @clients, $c;
	}
	return { node => $node, table => $table, clients => \@clients };
}

# run_inserters(POOL, SECONDS): keep every client busy for SECONDS; batches cycle
# through 1, 2 and 5 rows.  Returns with one INSERT still in flight on each client.
sub run_inserters
{
	my ($pool, $seconds) = @_;
	my $deadline = time() + $seconds;
	my @sizes = (1, 2, 5);
	while (1)
	{
		for my $c (@{ $pool->{clients} })
		{
			if (!$c->{busy})
			{
				my $lo = $c->{next};
				my $hi = $lo + $sizes[ $c->{batch}++ % @sizes ] - 1;
				$c->{in} .= "INSERT INTO $pool->{table} (id, emb) "
				  . "SELECT g, face_tap_vec(g) FROM generate_series($lo, $hi) g;\n"
				  . "\\echo ack $lo $hi\n";
				$c->{next} = $hi + 1;
				$c->{busy} = 1;
			}
			$c->{h}->pump_nb;
			while ($c->{out} =~ s/^ack (\d+) (\d+)\n//m)
			{
				push @{ $c->{acked} }, [ $1, $2 ];
				$c->{busy} = 0;
			}
			die "inserter failed: $c->{err}" if !$c->{h}->pumpable;
		}
		last if time() >= $deadline;
		usleep(2000);
	}
	return;
}

# stop_inserters(POOL): end the clients (they may be blocked on a dead server).
sub stop_inserters
{
	my ($pool) = @_;
	for my $c (@{ $pool->{clients} })
	{
		$c->{h}->kill_kill(grace => 1);
	}
	return;
}

# acked_ranges_sql(POOL): a VALUES list "(lo, hi), ..." of every acknowledged batch;
# acked_rows(POOL): their number of rows.
sub acked_ranges_sql
{
	my ($pool) = @_;
	return join(', ', map { "($_->[0], $_->[1])" } map { @{ $_->{acked} } } @{ $pool->{clients} });
}

sub acked_rows
{
	my ($pool) = @_;
	my $n = 0;
	$n += $_->[1] - $_->[0] + 1 for map { @{ $_->{acked} } } @{ $pool->{clients} };
	return $n;
}

1;
