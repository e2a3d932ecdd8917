#!/usr/bin/env bash
# test/bench/build_bench.sh: faceann CREATE INDEX time, serial against parallel.
#
#   nice bash test/bench/build_bench.sh            # ROWS=200000 REPS=3 LISTS="0 1000"
#
# Builds the extension, starts a private cluster (shared_buffers and maintenance_work_mem
# 512MB), loads ROWS rows from test/bench/facegen (seed 42, 128-D), prewarms the table, then
# for each LISTS value (0 = the automatic count) builds the index REPS times with
# max_parallel_maintenance_workers 0, 1 and 2 in turn (after one discarded warm-up build),
# printing the wall time, the time of each build phase (DEBUG2 lines of faceannbuild.c) and
# the CPU time of the leader backend and of its parallel workers (from /proc: the workers'
# time is the postmaster's reaped-children time).  Nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${ROWS:-200000}
reps=${REPS:-3}
lists_set=${LISTS:-0 1000}

make -s >/dev/null
bin=$(mktemp -d)
cc=${CC:-gcc}
$cc -O2 -Wall -o "$bin/facegen" test/bench/facegen.c -lm

export FACE_EXTRA_CONF="shared_buffers = 512MB
maintenance_work_mem = 512MB
max_parallel_maintenance_workers = 2
max_wal_size = 4GB
jit = off"
. test/lib/cluster.sh
trap 'cluster_cleanup; rm -rf "$bin"' EXIT
cluster_init --private-install
cluster_start
sql() { cluster_psql -qAt -c "$1"; }

sql "CREATE EXTENSION face"
sql "CREATE EXTENSION pg_prewarm" 2>/dev/null || true
sql "CREATE TABLE faces (id int PRIMARY KEY, identity int NOT NULL, emb face_embedding(128) NOT NULL)"
"$bin/facegen" base "$rows" 42 | cluster_psql -q -c "\\copy faces FROM pstdin"
sql "VACUUM ANALYZE faces"
sql "CHECKPOINT"
sql "SELECT pg_prewarm('faces')" >/dev/null 2>&1 || sql "SELECT count(*) FROM faces" >/dev/null
echo "faceann build: $rows rows x 128-D ($(sql "SELECT pg_size_pretty(pg_relation_size('faces'))")), $(nproc) CPUs"

pm=$(head -1 "$FACE_TMP/data/postmaster.pid")
ticks=$(getconf CLK_TCK)
build() {	# build WORKERS LISTS: one CREATE INDEX + DROP in a fresh session, one result line
	cluster_psql -qAt -v w="$1" -v lists="$2" -v pm="$pm" <<'SQL' 2>&1 |
SELECT pg_backend_pid() AS pid \gset
\setenv PID :pid
\setenv PM :pm
SET max_parallel_maintenance_workers = :w;
SET client_min_messages = debug2;
\! echo "cpu0 $(awk '{ print $14 + $15 }' /proc/$PID/stat) $(awk '{ print $16 + $17 }' /proc/$PM/stat)"
\timing on
CREATE INDEX bb ON faces USING faceann (emb) WITH (lists = :lists);
\timing off
\! echo "cpu1 $(awk '{ print $14 + $15 }' /proc/$PID/stat) $(awk '{ print $16 + $17 }' /proc/$PM/stat)"
RESET client_min_messages;
DROP INDEX bb;
SQL
	awk -v w="$1" -v l="$2" -v hz="$ticks" '
		/^cpu0/ { l0 = $2; c0 = $3 }
		/^cpu1/ { l1 = $2; c1 = $3 }
		/^Time:/ { t = $2 }
		/took/ { sub(/.*faceann build: /, ""); sub(/ took /, " "); sub(/ ms$/, ""); n = split($0, a, " ");
				 ph = ph sprintf(" %s=%s", a[1], a[n]) }
		END { printf "lists=%-5s workers=%d  %8.0f ms   cpu leader %5.2f s workers %5.2f s  |%s\n",
					 l, w, t, (l1 - l0) / hz, (c1 - c0) / hz, ph }'
}

for lists in $lists_set; do
	build 0 "$lists" >/dev/null	# warm-up: first touch of shared buffers and caches
	for r in $(seq "$reps"); do
		for w in 0 1 2; do
			echo "load $(cut -d' ' -f1 /proc/loadavg)  $(build "$w" "$lists")"
		done
	done
done
