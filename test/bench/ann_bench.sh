#!/usr/bin/env bash
# test/bench/ann_bench.sh: benchmark the faceann index on synthetic face embeddings.
#
#   bash test/bench/ann_bench.sh [-n ROWS] [-q QUERIES] [-s SEED] [-g GUC] [-v "VALUES"]
#                                [-r REPS] [-x INSERT_ROWS] [-o "INDEX OPTIONS"]
#                                [-p "SETUP SQL"] [--shared]
#
# Starts a private cluster (test/lib/cluster.sh, this tree's build), generates the data
# with test/bench/facegen (cached in test/bench/data/), computes exact ground truth with
# facegt, loads ROWS rows, measures an exact scan (the baseline of this run), builds the
# index (time, size), sweeps the search GUC with facebench (recall@10, recall@1, match
# recall, rank-1 identity, QPS, p50/p99), then two clients, a 10%-selective filter and
# single-row inserts, and prints a markdown table (also saved under test/bench/data/).
#
# --shared uses the team's reference tools in ../shared/bench (or $FACE_SHARED_BENCH)
# to generate the data, so the figures compare with ANCHORS.md on identical data; the
# measurement itself is still facebench.  Nothing else here needs ../shared.
#
# Heavy: run it with nice.  Defaults: 100000 rows, 1000 queries, seed 42, 3 repetitions.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

rows=100000 nq=1000 seed=42 reps=3 extra="" setup=""
guc=face.ann_probes values="50 100 200 300 400" idxopts="" shared=""
while [ $# -gt 0 ]; do
	case $1 in
	-n) rows=$2; shift 2 ;;
	-q) nq=$2; shift 2 ;;
	-s) seed=$2; shift 2 ;;
	-g) guc=$2; shift 2 ;;
	-v) values=$2; shift 2 ;;
	-r) reps=$2; shift 2 ;;
	-x) extra=$2; shift 2 ;;
	-o) idxopts=$2; shift 2 ;;
	-p) setup="$2;"; shift 2 ;;	# e.g. "SET face.ann_rerank = 500", for every index query
	--shared)	# ../shared seen from the clone, or from its parent (a worktree under /work/wt)
		shared=${FACE_SHARED_BENCH:-$root/../shared/bench}
		[ -n "${FACE_SHARED_BENCH:-}" ] || [ -d "$shared" ] || shared=$root/../../shared/bench
		shift ;;
	*) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done
extra=${extra:-$((rows / 50 < 20000 ? rows / 50 : 20000))}
[ -z "$shared" ] || [ -f "$shared/gen_faces.c" ] || { echo "no shared tools in $shared (set FACE_SHARED_BENCH)"; exit 1; }

work=$root/test/bench/data
bin=$work/bin
mkdir -p "$bin"
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- tools ---------------------------------------------------------------------------
cc=${CC:-gcc}
$cc -O2 -Wall -o "$bin/facegen" test/bench/facegen.c -lm
$cc -O3 -march=native -Wall -o "$bin/facegt" test/bench/facegt.c -lm -lpthread
$cc -O2 -Wall -o "$bin/facebench" test/bench/facebench.c -I"$(pg_config --includedir)" \
	-L"$(pg_config --libdir)" -lpq -lpthread
threads=$(nproc)

# ---- data (cached: a pure function of rows, queries, seed and generator) ---------------
if [ -n "$shared" ]; then
	data=$work/shared-$rows-$seed-$nq
	if [ ! -f "$data/done" ]; then
		mkdir -p "$data"
		$cc -O3 -march=native -o "$bin/gen_faces" "$shared/gen_faces.c" -lm
		$cc -O3 -march=native -fopenmp -o "$bin/gt" "$shared/gt.c" -lm
		log "generating $rows rows with the shared gen_faces (seed $seed)"
		( cd "$data"
		"$bin/gen_faces" base "$rows" "$seed" -f base.fvecs -l base.labels >base.tsv 2>gen.log
		"$bin/gen_faces" queries "$nq" "$seed" -n "$rows" -f q.fvecs -l q.labels >q.tsv 2>>gen.log
		"$bin/gen_faces" extra "$extra" "$seed" -n "$rows" >extra.tsv 2>>gen.log
		"$bin/gt" -b base.fvecs -q q.fvecs -k 10 -t "$threads" >gt.txt
		"$bin/gt" -b base.fvecs -q q.fvecs -k 10 -t "$threads" -L base.labels -m 10 -r 3 >gt_filt.txt
		touch done )
	fi
else
	data=$work/own-$rows-$seed-$nq
	if [ ! -f "$data/done" ]; then
		mkdir -p "$data"
		log "generating $rows rows with facegen (seed $seed)"
		( cd "$data"
		"$bin/facegen" base "$rows" "$seed" -f base.fvecs -l base.labels >base.tsv
		"$bin/facegen" queries "$nq" "$seed" -n "$rows" -f q.fvecs -l q.labels >q.tsv
		"$bin/facegen" extra "$extra" "$seed" -n "$rows" >extra.tsv
		"$bin/facegen" stats "$rows" "$seed" 2>gen.log
		log "exact ground truth ($threads threads)"
		"$bin/facegt" -b base.fvecs -q q.fvecs -k 10 -t "$threads" >gt.txt
		"$bin/facegt" -b base.fvecs -q q.fvecs -k 10 -t "$threads" -L base.labels -m 10 -r 3 >gt_filt.txt
		touch done )
	fi
fi
[ "$(wc -l <"$data/extra.tsv")" -ge "$extra" ] || { echo "cached $data has fewer extra rows; remove it"; exit 1; }

# ---- cluster ---------------------------------------------------------------------------
# Settings of the shared reference runs, with memory sized to this machine: a quarter of
# RAM (at most 6GB, as there; FACE_BENCH_MEM_MB overrides) for shared_buffers and
# maintenance_work_mem.  Durable WAL
# (fsync on) with asynchronous commit, as there.
mem_mb=${FACE_BENCH_MEM_MB:-$(awk '/MemTotal/ { printf "%d", $2 / 1024 / 4 }' /proc/meminfo)}
[ "$mem_mb" -le 6144 ] || mem_mb=6144
export FACE_EXTRA_CONF="fsync = on
shared_buffers = ${mem_mb}MB
maintenance_work_mem = ${mem_mb}MB
max_parallel_maintenance_workers = $threads
max_parallel_workers_per_gather = $threads
work_mem = 64MB
jit = off
synchronous_commit = off
max_wal_size = 8GB
checkpoint_timeout = 30min"
. test/lib/cluster.sh
trap cluster_cleanup EXIT
log "starting a private cluster (shared_buffers ${mem_mb}MB)"
cluster_init --private-install
cluster_start
conn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"
sql() { cluster_psql -qAt -c "$1"; }

log "loading $rows rows"
sql "CREATE EXTENSION face"
sql "CREATE TABLE faces (id int PRIMARY KEY, identity int NOT NULL, emb face_embedding(128) NOT NULL)"
t0=$(now)
cluster_psql -q -c "\\copy faces FROM '$data/base.tsv'"
copy_s=$(elapsed "$t0")
sql "VACUUM ANALYZE faces"
sql "CHECKPOINT"
heap_mb=$(sql "SELECT pg_relation_size('faces') / 1048576")

bench() {	# bench LABEL ARGS...: one facebench run, its result line on stdout
	local label=$1; shift
	"$bin/facebench" -d "$conn" -l "$label" "$@"
}
field() {	# field KEY LINE
	sed -nE "s/.*(^| )$1=([^ ]*).*/\\2/p" <<<"$2"
}
median_run() {	# median_run LABEL ARGS...: REPS runs, the one with the median QPS
	local i
	for i in $(seq "$reps"); do bench "$@"; done |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^qps=/) print substr($i, 5), $0 }' |
		sort -g | cut -d' ' -f2- | sed -n "$(((reps + 1) / 2))p"
}

# $1 without a cast: its type is inferred from the operator, so the vector is parsed once
# at bind time (a cast would be re-evaluated per row once a generic plan is chosen).
search="SELECT id FROM faces ORDER BY emb <-> \$1 LIMIT 10"
filtered="SELECT id FROM faces WHERE identity % 10 = 3 ORDER BY emb <-> \$1 LIMIT 10"
q=(-f "$data/q.tsv" -c 4 -L "$data/base.labels")

log "anchors and exact scan (the baseline of this run)"
anchor_rt=$(bench rt -f "$data/q.tsv" -c 4 -w 1 -s 'SELECT length($1)')
anchor_ty=$(bench type -f "$data/q.tsv" -c 4 -w 1 -s 'SELECT $1::face_embedding')
exact=$(bench exact "${q[@]}" -g "$data/gt.txt" -n 20 -w 1 -s "$search")
log "exact: $exact"

log "building the index"
t0=$(now)
sql "CREATE INDEX faces_emb_idx ON faces USING faceann (emb face_l2_ops) ${idxopts:+WITH ($idxopts)}"
build_s=$(elapsed "$t0")
idx_mb=$(sql "SELECT round(pg_relation_size('faces_emb_idx') / 1048576.0, 1)")
sql "CHECKPOINT"
sql "EXPLAIN (COSTS OFF) SELECT id FROM faces ORDER BY emb <-> (SELECT emb FROM faces LIMIT 1) LIMIT 10" \
	| grep -q faces_emb_idx || { echo "the planner does not use faces_emb_idx"; exit 1; }
log "build ${build_s}s, ${idx_mb} MB"

# The GUC exists once the library is loaded in the session.
default=$(cluster_psql -qAt -c "LOAD 'face'" -c "SHOW $guc")
results=()
[ -n "$values" ] || values=$default
for v in $values; do
	log "$guc = $v"
	results+=("$v $(median_run "$v" "${q[@]}" -g "$data/gt.txt" -w 1 -p "${setup}SET $guc = $v" -s "$search")")
done
log "two clients, $guc = $default (default)"
two=$(median_run two "${q[@]}" -g "$data/gt.txt" -w 1 -t 2 ${setup:+-p "$setup"} -s "$search")
log "filtered, 10% selective"
filt=$(bench filtered "${q[@]}" -g "$data/gt_filt.txt" -n 100 -w 1 ${setup:+-p "$setup"} -s "$filtered")
log "inserting $extra rows, one per transaction"
ins=$(bench insert -f "$data/extra.tsv" -c 1,2,3 -s 'INSERT INTO faces (id, identity, emb) VALUES ($1, $2, $3)')
idx_after_mb=$(sql "SELECT round(pg_relation_size('faces_emb_idx') / 1048576.0, 1)")
t0=$(now)
sql "DELETE FROM faces WHERE id >= $rows"
sql "VACUUM faces"
vacuum_s=$(elapsed "$t0")

# ---- report ----------------------------------------------------------------------------
exact_qps=$(field qps "$exact")
{
	echo "### faceann, $rows rows, seed $seed, $nq queries ($(basename "$data"), $(date -u '+%Y-%m-%d %H:%M UTC'))"
	echo
	echo "Machine: $threads cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;" \
		"shared_buffers ${mem_mb}MB.  COPY ${copy_s} s, heap ${heap_mb} MB."
	echo "Anchors: round trip p50 $(field p50_ms "$anchor_rt") ms, face_embedding round trip" \
		"p50 $(field p50_ms "$anchor_ty") ms."
	echo "Exact scan (baseline of this run, 20 queries): $exact_qps QPS, p50 $(field p50_ms "$exact") ms."
	echo "Build: ${build_s} s, index ${idx_mb} MB${idxopts:+ (WITH $idxopts)}.${setup:+ Every index query after: $setup}"
	echo
	echo "| $guc | recall@10 | recall@1 | match recall | rank-1 identity | QPS | x exact | p50 ms | p99 ms | rows |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for r in "${results[@]}"; do
		v=${r%% *} line=${r#* }
		qps=$(field qps "$line")
		echo "| $v$([ "$v" = "$default" ] && echo ' (default)') | $(field recall10 "$line") |" \
			"$(field recall1 "$line") | $(field match "$line") | $(field rank1 "$line") | $qps |" \
			"$(awk -v a="$qps" -v b="$exact_qps" 'BEGIN { printf "%.0f", a / b }') |" \
			"$(field p50_ms "$line") | $(field p99_ms "$line") | $(field rows "$line") |"
	done
	echo
	echo "- Two clients ($guc = $default): $(field qps "$two") QPS, p50 $(field p50_ms "$two") ms," \
		"p99 $(field p99_ms "$two") ms, recall@10 $(field recall10 "$two")."
	echo "- Filter \`identity % 10 = 3\` (10%, 100 queries): recall@10 $(field recall10 "$filt")," \
		"mean rows $(field rows "$filt"), queries with < 10 rows $(field short "$filt")," \
		"$(field qps "$filt") QPS."
	echo "- Single-row INSERT (autocommit, $extra rows): $(field qps "$ins") rows/s," \
		"p50 $(field p50_ms "$ins") ms, p99 $(field p99_ms "$ins") ms; index ${idx_after_mb} MB after;" \
		"DELETE + VACUUM of them ${vacuum_s} s."
	echo "- Medians of $reps repetitions (each after a warm-up pass)."
} | tee "$work/result-$(basename "$data")-$(date -u +%Y%m%d-%H%M).md"
{
	echo "raw: exact $exact"
	for r in "${results[@]}"; do echo "raw: $r"; done
	echo "raw: $two"; echo "raw: $filt"; echo "raw: $ins"
} >&2
