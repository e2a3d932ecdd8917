#!/usr/bin/env bash
# test/install-deps.sh: install, with apt-get, every Debian 12 package that building,
# testing and benchmarking face needs.  Needs root (or sudo).
set -euo pipefail
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
pkgs="make gcc pkg-config postgresql-15 postgresql-server-dev-15 libpq-dev
      libopenblas-serial-dev libjpeg62-turbo-dev libpng-dev libipc-run-perl"
command -v npm >/dev/null || pkgs="$pkgs npm"
missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
