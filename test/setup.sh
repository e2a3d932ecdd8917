#!/usr/bin/env bash
# test/setup.sh: the README's set-up command.  On Debian 12, as root (or with sudo):
# install the packages, build, fetch and convert the face-api weights, install the
# extension (with its models and sample photos), then run the demo on a private,
# temporary cluster (test/demo.sh).  Nothing else on the machine is configured.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
echo "== installing packages"
bash test/install-deps.sh
echo "== building"
make -s -j2
echo "== fetching and converting the model weights"
make -s models
echo "== installing"
$SUDO make -s install
echo "== demo"
bash test/demo.sh
