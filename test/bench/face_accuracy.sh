#!/usr/bin/env bash
# test/bench/face_accuracy.sh: verification accuracy and rank-1 identification of the
# face pipeline on a folder of labelled faces, <root>/<person>/<person><k>.png|jpg.
#
#   bash test/bench/face_accuracy.sh DIR [face-cli options...]
#   e.g. bash test/bench/face_accuracy.sh ../shared/faces/bbt --crop
#        bash test/bench/face_accuracy.sh ../shared/faces/bbt --crop --no-align
#
# Photo 1 of each person is the gallery, photos 2.. are probes (rank-1: the nearest
# gallery embedding has the probe's identity).  Verification: every pair of photos,
# "same person" iff Euclidean distance < 0.6 (dlib's threshold); accuracy = share of
# pairs decided right.  Files where no face was found count as errors (rank-1 miss).
# Needs face-cli built (make) and converted models (make models).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$1; shift
[ -x ./face-cli ] || { echo "build face-cli first (make)" >&2; exit 1; }
files=$(find "$root" -mindepth 2 -maxdepth 2 -type f \( -name '*.png' -o -name '*.jpg' \) | sort)
# shellcheck disable=SC2086
./face-cli "$@" $files 2>/dev/null | awk -F'\t' -v threshold=0.6 '
function ident(path,   n, p) { n = split(path, p, "/"); return p[n - 1] }
function photo(path,   n, p) { n = split(path, p, "/"); sub(/\.[a-z]+$/, "", p[n]); gsub(/[^0-9]/, "", p[n]); return p[n] + 0 }
$1 == "error" { nerr++; next }
$1 == "image" && $3 == 0 { noface[$2] = 1; next }
$1 == "embedding" && $3 == 0 {       # the first (best) face of each file
	s = $4; gsub(/[\[\]]/, "", s); n = split(s, v, ",")
	files[++nf] = $2; id[nf] = ident($2); ph[nf] = photo($2)
	for (k = 1; k <= n; k++) e[nf, k] = v[k]
	dims = n
}
function dist(a, b,   k, s) { s = 0; for (k = 1; k <= dims; k++) s += (e[a, k] - e[b, k]) ^ 2; return sqrt(s) }
END {
	for (f in noface) nnoface++
	for (a = 1; a <= nf; a++) for (b = a + 1; b <= nf; b++) {
		d = dist(a, b); same = (id[a] == id[b])
		pairs++; if ((d < threshold) == same) right++
		if (same) { sp++; sd += d; if (d < threshold) tp++ } else { dp++; dd += d; if (d >= threshold) tn++ }
	}
	for (p = 1; p <= nf; p++) {
		if (ph[p] == 1) continue
		best = -1; bd = 1e9
		for (g = 1; g <= nf; g++) if (ph[g] == 1 && (d = dist(p, g)) < bd) { bd = d; best = g }
		probes++; if (best > 0 && id[best] == id[p]) hits++
	}
	probes += 0; for (f in noface) if (photo(f) != 1) probes++
	printf "faces embedded %d, no face %d, errors %d\n", nf, nnoface, nerr
	printf "verification accuracy at %.2f: %.4f (%d/%d pairs; same-person accepted %d/%d, different rejected %d/%d)\n", threshold, right / pairs, right, pairs, tp, sp, tn, dp
	printf "mean distance: same person %.3f, different people %.3f\n", sd / sp, dd / dp
	printf "rank-1 identification: %.4f (%d/%d probes)\n", hits / probes, hits, probes
}'
