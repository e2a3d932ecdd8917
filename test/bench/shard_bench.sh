#!/usr/bin/env bash
# test/bench/shard_bench.sh: one face table over S postgres_fdw shards against one node
# holding the same rows (README, "Scale out with postgres_fdw").
#
#   nice bash test/bench/shard_bench.sh [-n ROWS_PER_SHARD] [-S SHARDS] [-q QUERIES]
#                                       [-s SEED] [-v "PROBES VALUES"]
#
# Starts a private installation (test/lib/cluster.sh): the coordinator cluster, which
# also holds the one-node table with all S x ROWS rows, and S shard clusters (Unix
# sockets only).  The same facegen rows go into the one node and, through the
# coordinator's hash-partitioned table of postgres_fdw foreign tables, into the shards;
# each shard and the one node build their own faceann index.  Then, for each value of
# face.ann_probes (set on the one node per session, on the shards through each server's
# libpq options), facebench measures recall@10 against exact ground truth, QPS, p50 and
# p99 of: the one node, one shard alone (its own rows; ground truth does not apply),
# shard 0 through its foreign table (the cost of postgres_fdw itself), face_shard_search
# on the coordinator, and a few queries of the plain partitioned-table
# query (what PostgreSQL 15 does with it).  Per-shard work: index scans and index tuples
# returned per query, from pg_stat_user_indexes on the shards; and face_shard_search
# once more with the servers' use_remote_estimate off (planning without round trips).  Prints a markdown table
# (also saved under test/bench/data/).
#
# Heavy: run it with nice.  Defaults: 3 shards x 100000 rows, 500 queries, seed 42.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

per=100000 nshards=3 nq=500 seed=42 values=""
while [ $# -gt 0 ]; do
	case $1 in
	-n) per=$2; shift 2 ;;
	-S) nshards=$2; shift 2 ;;
	-q) nq=$2; shift 2 ;;
	-s) seed=$2; shift 2 ;;
	-v) values=$2; shift 2 ;;
	*) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done
rows=$((per * nshards))
nplain=$((rows > 100000 ? 5 : 20))	# it reads every row: a few queries suffice

work=$root/test/bench/data
bin=$work/bin
mkdir -p "$bin"
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- tools and data (the same files as ann_bench.sh's, cached) --------------------------
cc=${CC:-gcc}
$cc -O2 -Wall -o "$bin/facegen" test/bench/facegen.c -lm
$cc -O3 -march=native -Wall -o "$bin/facegt" test/bench/facegt.c -lm -lpthread
$cc -O2 -Wall -o "$bin/facebench" test/bench/facebench.c -I"$(pg_config --includedir)" \
	-L"$(pg_config --libdir)" -lpq -lpthread
threads=$(nproc)
data=$work/shard-$rows-$seed-$nq
if [ ! -f "$data/done" ]; then
	mkdir -p "$data"
	log "generating $rows rows with facegen (seed $seed)"
	( cd "$data"
	"$bin/facegen" base "$rows" "$seed" -f base.fvecs -l base.labels >base.tsv
	"$bin/facegen" queries "$nq" "$seed" -n "$rows" -f q.fvecs -l q.labels >q.tsv
	log "exact ground truth ($threads threads)"
	"$bin/facegt" -b base.fvecs -q q.fvecs -k 10 -t "$threads" >gt.txt
	touch done )
fi

# ---- clusters ------------------------------------------------------------------------------
export FACE_EXTRA_CONF="shared_buffers = 512MB
maintenance_work_mem = 512MB
max_parallel_maintenance_workers = 0
jit = off
synchronous_commit = off
max_wal_size = 4GB"
. test/lib/cluster.sh
shard_dirs=()
cleanup() {
	local d
	for d in "${shard_dirs[@]}"; do
		[ -f "$d/data/postmaster.pid" ] && as_pguser "$FACE_BINDIR/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null 2>&1
	done
	cluster_cleanup
}
trap cleanup EXIT
log "starting the coordinator and $nshards shards"
cluster_init --private-install
cluster_start
conn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"
sql() { cluster_psql -qAt -c "$1"; }
for i in $(seq 0 $((nshards - 1))); do
	d=$FACE_TMP/shard$i
	mkdir -p "$d/sock"; [ "$(id -u)" = 0 ] && chown -R "$FACE_PGUSER" "$d"
	as_pguser "$FACE_BINDIR/initdb" -D "$d/data" -U "$FACE_PGUSER" -A trust --no-locale -E UTF8 >/dev/null
	printf "listen_addresses = ''\nport = %s\nunix_socket_directories = '%s'\nfsync = off\n%s\n" \
		"$PGPORT" "$d/sock" "$FACE_EXTRA_CONF" >>"$d/data/postgresql.conf"
	as_pguser "$FACE_BINDIR/pg_ctl" -D "$d/data" -l "$d/server.log" -w start >/dev/null
	shard_dirs+=("$d")
done
ssql() { cluster_psql -h "${shard_dirs[$1]}/sock" -qAt -c "$2"; }

# ---- load --------------------------------------------------------------------------------------
sql "CREATE EXTENSION face; CREATE EXTENSION postgres_fdw"
sql "CREATE TABLE faces_one (id int PRIMARY KEY, identity int NOT NULL, emb face_embedding(128) NOT NULL)"
sql "CREATE TABLE faces (id int NOT NULL, identity int NOT NULL, emb face_embedding(128) NOT NULL) PARTITION BY HASH (id)"
for i in $(seq 0 $((nshards - 1))); do
	ssql "$i" "CREATE EXTENSION face"
	ssql "$i" "CREATE TABLE faces_s (id int PRIMARY KEY, identity int NOT NULL, emb face_embedding(128) NOT NULL)"
	sql "CREATE SERVER shard$i FOREIGN DATA WRAPPER postgres_fdw
		OPTIONS (host '${shard_dirs[$i]}/sock', port '$PGPORT', dbname 'postgres', extensions 'face',
		         async_capable 'true', use_remote_estimate 'true', batch_size '1000');
		CREATE USER MAPPING FOR CURRENT_USER SERVER shard$i;
		CREATE FOREIGN TABLE faces_$i PARTITION OF faces FOR VALUES WITH (MODULUS $nshards, REMAINDER $i)
			SERVER shard$i OPTIONS (table_name 'faces_s')"
done
log "loading $rows rows into the one node"
t0=$(now); cluster_psql -q -c "\\copy faces_one FROM '$data/base.tsv'"; copy_one=$(elapsed "$t0")
log "loading the same rows into the shards through the coordinator (batched INSERT)"
t0=$(now); sql "INSERT INTO faces SELECT * FROM faces_one"; copy_sh=$(elapsed "$t0")
log "building the indexes"
t0=$(now); sql "CREATE INDEX faces_one_emb ON faces_one USING faceann (emb)"; sql "VACUUM ANALYZE faces_one"; build_one=$(elapsed "$t0")
build_sh=""
for i in $(seq 0 $((nshards - 1))); do
	t0=$(now); ssql "$i" "CREATE INDEX faces_s_emb ON faces_s USING faceann (emb)"; ssql "$i" "VACUUM ANALYZE faces_s"
	build_sh="$build_sh $(elapsed "$t0")"
	shard_rows[$i]=$(ssql "$i" "SELECT count(*) FROM faces_s")
done
default=$(cluster_psql -qAt -c "LOAD 'face'" -c "SHOW face.ann_probes")
values=${values:-$default}

# ---- measure ------------------------------------------------------------------------------
bench() { local label=$1; shift; "$bin/facebench" -l "$label" -f "$data/q.tsv" -c 4 -w 1 "$@"; }
field() { sed -nE "s/.*(^| )$1=([^ ]*).*/\\2/p" <<<"$2"; }
shard_work() {	# "index scans, index tuples read" summed over the shards (faceann counts no idx_scan)
	local i s=0 t=0 line
	for i in $(seq 0 $((nshards - 1))); do
		line=$(ssql "$i" "SELECT idx_scan, idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = 'faces_s_emb'")
		s=$((s + ${line%|*})); t=$((t + ${line#*|}))
	done
	echo "$s $t"
}
rowsout=()
for v in $values; do
	log "face.ann_probes = $v"
	for i in $(seq 0 $((nshards - 1))); do
		sql "ALTER SERVER shard$i OPTIONS (${set_opt:-ADD} options '-c face.ann_probes=$v')"
	done
	set_opt=SET
	one=$(bench one -d "$conn" -g "$data/gt.txt" -p "SET face.ann_probes = $v" -s 'SELECT id FROM faces_one ORDER BY emb <-> $1 LIMIT 10')
	alone=$(bench shard0 -d "host=${shard_dirs[0]}/sock port=$PGPORT user=$PGUSER dbname=postgres" \
		-p "SET face.ann_probes = $v" -s 'SELECT id FROM faces_s ORDER BY emb <-> $1 LIMIT 10')
	via=$(bench via-fdw -d "$conn" -s 'SELECT id FROM faces_0 ORDER BY emb <-> $1 LIMIT 10')
	sleep 1.5; w0=$(shard_work)
	shd=$(bench sharded -d "$conn" -g "$data/gt.txt" -s "SELECT id FROM face_shard_search('faces', \$1, 10)")
	sleep 1.5; w1=$(shard_work)
	execs=$((2 * $(field execs "$shd")))	# warm-up pass + measured pass
	scans=$(awk -v a="${w0% *}" -v b="${w1% *}" -v n="$execs" 'BEGIN { printf "%.1f", (b - a) / n }')
	tups=$(awk -v a="${w0#* }" -v b="${w1#* }" -v n="$execs" 'BEGIN { printf "%.0f", (b - a) / n }')
	for i in $(seq 0 $((nshards - 1))); do sql "ALTER SERVER shard$i OPTIONS (SET use_remote_estimate 'false')"; done
	noest=$(bench sharded-noest -d "$conn" -g "$data/gt.txt" -s "SELECT id FROM face_shard_search('faces', \$1, 10)")
	for i in $(seq 0 $((nshards - 1))); do sql "ALTER SERVER shard$i OPTIONS (SET use_remote_estimate 'true')"; done
	rowsout+=("| $v | one node, $rows rows | $(field recall10 "$one") | $(field qps "$one") | $(field p50_ms "$one") | $(field p99_ms "$one") | |"
		"| $v | one shard alone, ${shard_rows[0]} rows | (own rows) | $(field qps "$alone") | $(field p50_ms "$alone") | $(field p99_ms "$alone") | |"
		"| $v | shard 0 through postgres_fdw (one foreign table, ORDER BY + LIMIT pushed) | (own rows) | $(field qps "$via") | $(field p50_ms "$via") | $(field p99_ms "$via") | |"
		"| $v | face_shard_search, $nshards shards | $(field recall10 "$shd") | $(field qps "$shd") | $(field p50_ms "$shd") | $(field p99_ms "$shd") | $tups index tuples returned |"
		"| $v | face_shard_search, $nshards shards, use_remote_estimate off | $(field recall10 "$noest") | $(field qps "$noest") | $(field p50_ms "$noest") | $(field p99_ms "$noest") | |")
done
log "the plain partitioned-table query, $nplain queries"
plain=$("$bin/facebench" -l plain -f "$data/q.tsv" -c 4 -w 0 -n "$nplain" -d "$conn" -g "$data/gt.txt" \
	-s 'SELECT id FROM faces ORDER BY emb <-> $1 LIMIT 10')
plan=$(cluster_psql -qAt -c "EXPLAIN (COSTS OFF) SELECT id FROM faces ORDER BY emb <-> (SELECT emb FROM faces_one LIMIT 1) LIMIT 10" |
	grep -oE 'Merge Append|Async Foreign Scan|Foreign Scan|Sort' | sort | uniq -c | tr -s ' ' | paste -sd, -)

# ---- report -------------------------------------------------------------------------------
out=$work/shard-$rows-$seed-$nq.md
{
	echo "### postgres_fdw: $nshards shards x $per rows against one node x $rows rows, seed $seed, $nq queries ($(date -u '+%Y-%m-%d %H:%M UTC'))"
	echo
	echo "Machine: $threads cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;" \
		"distance kernels: $(sql 'SELECT face_distance_isa()').  Load: one node ${copy_one} s, through the coordinator ${copy_sh} s." \
		"Index build: one node ${build_one} s, shards${build_sh} s.  Shard rows: ${shard_rows[*]}."
	echo
	echo "| face.ann_probes | search | recall@10 | QPS | p50 ms | p99 ms | work on the shards per query |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${rowsout[@]}"
	echo "| $default | plain \`ORDER BY emb <-> \$1 LIMIT 10\` on the partitioned table ($nplain queries) | $(field recall10 "$plain") | $(field qps "$plain") | $(field p50_ms "$plain") | $(field p99_ms "$plain") | plan: $plan |"
} | tee "$out"
