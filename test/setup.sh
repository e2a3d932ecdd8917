#!/usr/bin/env bash
# test/setup.sh: the README's set-up command, on Debian 12, as root (a bare box needs no
# sudo) or as a user with sudo: install the packages, build, fetch and convert the
# face-api weights, install the extension (with its models and sample photos) into this
# machine's PostgreSQL, then run the demo on a private, temporary cluster (test/demo.sh).
# Root is used only by apt-get and "make install" (test/lib/as_root.sh); nothing else on
# the machine is configured, and no server is started outside the demo's own.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/as_root.sh
echo "== installing packages"
bash test/install-deps.sh
echo "== building"
make -s -j2
echo "== fetching and converting the model weights"
make -s models
echo "== installing"
as_root make -s install
echo "== demo"
bash test/demo.sh
