#!/usr/bin/env bash
# Installs VLFeat's C library (the reference dense SIFT and Fisher vectors),
# which cyvlfeat compiles against. Debian/Ubuntu as root: apt. Elsewhere, say how.
set -euo pipefail
for prefix in /usr /usr/local "${CONDA_PREFIX:-/nonexistent}"; do
  [ -e "$prefix/include/vl/generic.h" ] && exit 0
done
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing libvlfeat-dev (VLFeat 0.9.21) with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvlfeat-dev >/dev/null
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvlfeat-dev >/dev/null
else
  echo "error: VLFeat not found. Install it first: 'apt-get install libvlfeat-dev' (Debian/Ubuntu)" \
       "or 'conda install -c conda-forge vlfeat' (then export CFLAGS=-I\$CONDA_PREFIX/include LDFLAGS=-L\$CONDA_PREFIX/lib)." >&2
  exit 1
fi
