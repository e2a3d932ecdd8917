# test/lib/cluster.sh: a private, temporary PostgreSQL cluster for tests, demo and benchmarks.
#
# Source this file, then:
#   cluster_init [--private-install]   make $FACE_TMP with a fresh data directory; with
#                                      --private-install, PostgreSQL and this extension are
#                                      installed into $FACE_TMP/inst (nothing system-wide)
#   cluster_start                      start the server (Unix socket only, no TCP)
#   cluster_psql ARGS...               psql as the cluster's superuser
#   cluster_stop / cluster_cleanup     stop the server / remove everything
#
# The server never listens on TCP: its socket lives in a private directory, so any port
# number is free and nothing else on the machine is touched.  As root the server runs as
# the unprivileged user $FACE_PGUSER (default postgres), since PostgreSQL refuses root.

PG_CONFIG=${PG_CONFIG:-pg_config}
FACE_PGUSER=${FACE_PGUSER:-postgres}
FACE_PORT=${FACE_PORT:-5432}

as_pguser() {
	if [ "$(id -u)" = 0 ]; then
		# Run from a directory that user can enter: from root's checkout (/root/face),
		# every psql and pg_ctl it starts warns "could not change directory" on stderr,
		# and PostgreSQL::Test::Cluster's poll_query_until never accepts a non-empty stderr.
		(cd "${FACE_TMP:-/}" && runuser -u "$FACE_PGUSER" -- "$@")
	else
		"$@"
	fi
}

cluster_init() {
	FACE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/face-cluster.XXXXXX")
	FACE_BINDIR=$($PG_CONFIG --bindir)
	if [ "${1:-}" = --private-install ]; then
		# A relocated copy of the server: postgres finds its share and lib directories
		# relative to its own binary, exactly as PostgreSQL's own "make check" does.
		local inst=$FACE_TMP/inst
		local libroot; libroot=$(dirname "$FACE_BINDIR")
		local sharedir; sharedir=$($PG_CONFIG --sharedir)
		mkdir -p "$inst$libroot" "$inst$sharedir"
		cp -a "$libroot/." "$inst$libroot/"
		cp -a "$sharedir/." "$inst$sharedir/"
		make -s install DESTDIR="$inst" >/dev/null
		FACE_BINDIR=$inst$FACE_BINDIR
	fi
	export FACE_TMP FACE_BINDIR
	export PGHOST=$FACE_TMP/sock PGPORT=$FACE_PORT PGUSER=$FACE_PGUSER PGDATABASE=postgres
	mkdir -p "$PGHOST"
	if [ "$(id -u)" = 0 ]; then
		id "$FACE_PGUSER" >/dev/null 2>&1 || useradd --system --no-create-home "$FACE_PGUSER"
		chown -R "$FACE_PGUSER" "$FACE_TMP"
		chmod 755 "$FACE_TMP"
	fi
	as_pguser "$FACE_BINDIR/initdb" -D "$FACE_TMP/data" -U "$FACE_PGUSER" -A trust \
		--no-locale -E UTF8 >"$FACE_TMP/initdb.log" 2>&1 || { cat "$FACE_TMP/initdb.log"; return 1; }
	cat >>"$FACE_TMP/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $FACE_PORT
unix_socket_directories = '$PGHOST'
fsync = off
max_wal_senders = 4
wal_level = replica
max_prepared_transactions = 0
${FACE_EXTRA_CONF:-}
CONF
}

cluster_start() {
	as_pguser "$FACE_BINDIR/pg_ctl" -D "$FACE_TMP/data" -l "$FACE_TMP/server.log" -w start >/dev/null \
		|| { cat "$FACE_TMP/server.log"; return 1; }
}

cluster_psql() {
	"$FACE_BINDIR/psql" -X -v ON_ERROR_STOP=1 "$@"
}

cluster_stop() {
	[ -n "${FACE_TMP:-}" ] && [ -f "$FACE_TMP/data/postmaster.pid" ] &&
		as_pguser "$FACE_BINDIR/pg_ctl" -D "$FACE_TMP/data" -m fast -w stop >/dev/null 2>&1
	return 0
}

cluster_cleanup() {
	cluster_stop
	[ -n "${FACE_TMP:-}" ] && [ -z "${FACE_KEEP:-}" ] && rm -rf "$FACE_TMP"
	return 0
}
