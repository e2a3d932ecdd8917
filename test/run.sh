#!/usr/bin/env bash
# test/run.sh: build the extension and run every test on a private, temporary cluster.
#
#   bash test/run.sh            all suites
#   bash test/run.sh regress    only pg_regress (suites: unit regress tap)
#
# Nothing is installed system-wide: PostgreSQL and face are copied into a temporary
# directory, a cluster is initdb'd there, and everything is removed at the end
# (FACE_KEEP=1 keeps it for inspection).  Ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
suites=${*:-unit regress tap}

werror=
[ -n "${CI:-}" ] && werror="-Werror"
make -s PG_CFLAGS_EXTRA="$werror" >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
# The tests that run the networks need the converted weights: fetch and convert them
# once (models/Makefile), so this command works on its own after a fresh clone.
if ! ls models/*.fwt >/dev/null 2>&1; then
	make -s models >/dev/null || { echo "make models failed"; echo "0 passed, 1 failed"; exit 1; }
fi

. test/lib/cluster.sh
trap cluster_cleanup EXIT
cluster_init --private-install || exit 1
cluster_start || exit 1
export PATH=$FACE_BINDIR:$PATH

passed=0 failed=0
record() {   # record NAME STATUS
	if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok      $1"
	else failed=$((failed + 1)); echo "FAILED  $1"; fi
}

for suite in $suites; do
	case $suite in
	unit)
		# C unit tests of the core library: each test/unit/test_*.c is one program.
		for src in test/unit/test_*.c; do
			[ -e "$src" ] || continue
			name=$(basename "$src" .c)
			make -s "test/unit/$name" >/dev/null && "test/unit/$name" >"$FACE_TMP/$name.log" 2>&1
			st=$?; [ $st = 0 ] || cat "$FACE_TMP/$name.log"
			record "unit/$name" $st
		done ;;
	regress)
		make -s installcheck >"$FACE_TMP/regress.log" 2>&1
		regress_status=$?
		# pg_regress prints "test NAME ... ok" (or "... FAILED") for each test; a test it
		# never reached (pg_regress aborted, e.g. a missing expected file) counts as failed.
		sed -nE 's/^(test +)?([A-Za-z0-9_]+) +\.\.\. +(ok|FAILED|failed).*/\2 \3/p' "$FACE_TMP/regress.log" >"$FACE_TMP/regress.status"
		for f in sql/*.sql; do
			name=$(basename "$f" .sql)
			status=$(awk -v n="$name" '$1 == n { print $2 }' "$FACE_TMP/regress.status")
			[ "$status" = ok ]; record "regress/$name" $?
		done
		if [ $regress_status != 0 ] && ! grep -q FAILED "$FACE_TMP/regress.log"; then
			cat "$FACE_TMP/regress.log"; record regress/pg_regress 1
		fi
		[ -f regression.diffs ] && cat regression.diffs ;;
	tap)
		# Cluster-level tests (crash recovery, replication, concurrency); each starts its own nodes.
		# 009_hostile_photos.pl finds the corpus generator on the PATH (the private bin dir).
		make -s test/hostile/gen_hostile >/dev/null && cp test/hostile/gen_hostile "$FACE_BINDIR/"
		for t in test/tap/*.pl; do
			[ -e "$t" ] || continue
			# The tests run as the server's user, who may not be able to read this
			# checkout (CI clones under /root): give them a readable copy.
			rm -rf "$FACE_TMP/tap"; cp -r test/tap "$FACE_TMP/tap"
			[ "$(id -u)" = 0 ] && chown -R "$FACE_PGUSER" "$FACE_TMP/tap"
			as_pguser env PATH="$PATH" TESTDIR="$FACE_TMP/tap" \
				PG_REGRESS="$($PG_CONFIG --pkglibdir)/pgxs/src/test/regress/pg_regress" \
				PERL5LIB="$($PG_CONFIG --pkglibdir)/pgxs/src/test/perl:$FACE_TMP/tap" \
				prove "$FACE_TMP/tap/$(basename "$t")" >"$FACE_TMP/tap.log" 2>&1
			st=$?; [ $st = 0 ] || cat "$FACE_TMP/tap.log"
			record "tap/$(basename "$t")" $st
		done ;;
	*) echo "unknown suite $suite"; failed=$((failed + 1)) ;;
	esac
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
