#!/usr/bin/env bash
# test/install-deps.sh: install, with apt-get, every Debian 12 package that building,
# testing and benchmarking face needs; nothing when all are there.  Root only for
# apt-get (test/lib/as_root.sh): as root on a bare box, or as a user with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/as_root.sh
# libc6-dev and ca-certificates come with gcc and npm only as recommendations, which
# --no-install-recommends leaves out: a bare box needs them named.
pkgs="make gcc libc6-dev pkg-config ca-certificates postgresql-15 postgresql-server-dev-15
      libpq-dev libopenblas-serial-dev libjpeg62-turbo-dev libpng-dev zlib1g-dev libipc-run-perl"
command -v npm >/dev/null || pkgs="$pkgs npm"
missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
	echo "installing:" $missing
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
