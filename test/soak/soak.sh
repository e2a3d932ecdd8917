#!/usr/bin/env bash
# test/soak/soak.sh [SECONDS]: a soak of the photo path under hostile uploads.
#
#   bash test/soak/soak.sh          30 minutes (not in CI)
#   bash test/soak/soak.sh 120      the 2-minute version (for CI: exits non-zero on failure)
#
# A private temporary cluster (test/lib/cluster.sh) runs two pgbench clients for SECONDS:
# each transaction picks a photo (the sample photos and the hostile corpus of
# test/hostile/gen_hostile, one in two hostile) and either embeds it, inserts its
# embedding into a faceann-indexed table, searches the table with it, deletes a few rows,
# or VACUUMs.  Pass criteria:
#   - no client aborts: every ERROR is one a hostile photo may give (22P03, 22023, 0A000,
#     54000, caught and counted by soak_step); anything else aborts the client;
#   - a good photo never fails;
#   - the clients' backend RSS is flat: the last sample within 32 MB of the one after
#     the first tenth of the run;
#   - faceann_check() is clean at the end and the server never restarted.
# Prints the transaction count, the ERRORs by SQLSTATE and the RSS samples.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-1800}

make -s >/dev/null
make -s test/hostile/gen_hostile >/dev/null
. test/lib/cluster.sh
trap cluster_cleanup EXIT
cluster_init --private-install >/dev/null
cluster_start >/dev/null
psql() { cluster_psql -qAt "$@"; }

models=$(psql -c "LOAD 'face'; SHOW face.model_dir")
corpus=$FACE_TMP/hostile
mkdir -p "$corpus"
test/hostile/gen_hostile "$corpus" "$models/samples/sample1.jpg"
[ "$(id -u)" = 0 ] && chown -R "$FACE_PGUSER" "$corpus"

psql <<SQL
CREATE EXTENSION face;
CREATE TABLE photos (id serial PRIMARY KEY, name text, hostile bool, img bytea);
CREATE TABLE gallery (id bigserial PRIMARY KEY, photo int, emb face_embedding);
CREATE TABLE soak_errors (sqlstate text, photo int, at timestamptz DEFAULT now());
SQL
for f in "$models"/samples/sample?.jpg "$models"/samples/sample?_face0.png; do
	psql -c "INSERT INTO photos (name, hostile, img) VALUES ('$(basename "$f")', false, pg_read_binary_file('$f'))"
done
for f in "$corpus"/*; do
	psql -c "INSERT INTO photos (name, hostile, img) VALUES ('$(basename "$f")', true, pg_read_binary_file('$f'))"
done
psql <<'SQL'
-- the gallery starts with the good photos' embeddings, a few times over
CREATE TEMP TABLE good AS SELECT id, embed(img) AS emb FROM photos WHERE NOT hostile;
INSERT INTO gallery (photo, emb) SELECT id, emb FROM good, generate_series(1, 20) WHERE emb IS NOT NULL;
CREATE INDEX gallery_emb ON gallery USING faceann (emb) WITH (lists = 4);

-- one step on one photo: ACTION 1 embed, 2 insert, 3 search.  A hostile photo's
-- expected ERRORs are counted; any other ERROR (or any on a good photo) propagates.
CREATE FUNCTION soak_step(p int, action int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	e face_embedding;
	bad bool;
BEGIN
	SELECT hostile INTO bad FROM photos WHERE id = p;
	BEGIN
		SELECT embed(img) INTO e FROM photos WHERE id = p;
	EXCEPTION WHEN data_exception OR feature_not_supported OR program_limit_exceeded THEN
		IF NOT bad THEN RAISE; END IF;
		INSERT INTO soak_errors (sqlstate, photo) VALUES (SQLSTATE, p);
		RETURN;
	END;
	IF e IS NULL THEN RETURN; END IF;
	IF action = 2 THEN
		INSERT INTO gallery (photo, emb) VALUES (p, e);
	ELSIF action = 3 THEN
		PERFORM id FROM gallery ORDER BY emb <-> e LIMIT 5;
	END IF;
END $$;
SQL
ngood=$(psql -c "SELECT count(*) FROM photos WHERE NOT hostile")
nphotos=$(psql -c "SELECT max(id) FROM photos")

cat >"$FACE_TMP/soak.pgbench" <<EOF2
\set g random(0, 1)
\if :g = 1
\set p random(1, $ngood)
\else
\set p random($((ngood + 1)), $nphotos)
\endif
\set r random(1, 100)
\if :r <= 2
VACUUM gallery;
\elif :r <= 6
DELETE FROM gallery WHERE id IN (SELECT id FROM gallery ORDER BY random() LIMIT 3);
\elif :r <= 40
SELECT soak_step(:p, 1);
\elif :r <= 70
SELECT soak_step(:p, 2);
\else
SELECT soak_step(:p, 3);
\endif
EOF2
[ "$(id -u)" = 0 ] && chown "$FACE_PGUSER" "$FACE_TMP/soak.pgbench"
started=$(psql -c "SELECT pg_postmaster_start_time()")

# RSS of the pgbench clients' backends, sampled every 5 s
rss_log=$FACE_TMP/rss.log
(
	while sleep 5; do
		for pid in $(psql -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'" 2>/dev/null); do
			awk -v t="$SECONDS" -v p="$pid" '/^VmRSS/ { print t, p, $2 }' "/proc/$pid/status" 2>/dev/null || true
		done >>"$rss_log"
	done
) &
sampler=$!

status=0
as_pguser env PGHOST="$PGHOST" PGPORT="$PGPORT" "$FACE_BINDIR/pgbench" -n -c 2 -j 2 -T "$secs" \
	-f "$FACE_TMP/soak.pgbench" -U "$FACE_PGUSER" postgres >"$FACE_TMP/pgbench.log" 2>&1 || status=1
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true

grep -E "number of (transactions|failed)|tps|aborted" "$FACE_TMP/pgbench.log" || true
[ $status = 0 ] || { echo "FAIL: a client aborted"; tail -20 "$FACE_TMP/pgbench.log"; }
echo "expected ERRORs from hostile photos, by SQLSTATE:"
psql -F ' ' -c "SELECT sqlstate, count(*) FROM soak_errors GROUP BY sqlstate ORDER BY sqlstate"
psql -c "SELECT 'gallery rows ' || count(*) FROM gallery"
if ! psql -c "SELECT 'faceann_check: ' || index_entries || ' entries, ' || heap_tuples || ' heap tuples' FROM faceann_check('gallery_emb')"; then
	echo "FAIL: faceann_check"; status=1
fi
[ "$(psql -c "SELECT pg_postmaster_start_time()")" = "$started" ] || { echo "FAIL: the server restarted"; status=1; }

# RSS flat: per backend, the sample after the first tenth against the last one
if [ -s "$rss_log" ]; then
	echo "backend RSS (kB): pid, after the first tenth, last, max"
	awk -v skip=$((secs / 10)) '
		{ t0[$2] = t0[$2] ? t0[$2] : $1 }
		$1 - t0[$2] >= skip && !(($2) in early) { early[$2] = $3 }
		{ last[$2] = $3; if ($3 > max[$2]) max[$2] = $3 }
		END { bad = 0
			for (p in last) if (p in early) {
				printf "  %s %d %d %d\n", p, early[p], last[p], max[p]
				if (last[p] > early[p] + 32768) bad = 1 }
			exit bad }' "$rss_log" || { echo "FAIL: backend RSS grew by more than 32 MB"; status=1; }
fi
[ $status = 0 ] && echo "soak: ok" || echo "soak: FAILED"
exit $status
