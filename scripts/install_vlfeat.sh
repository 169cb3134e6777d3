#!/usr/bin/env bash
# Installs VLFeat's C library (the reference dense SIFT and Fisher vectors),
# which cyvlfeat compiles against. Debian/Ubuntu as root (or with password-less
# sudo): apt. Elsewhere it says how and exits 1; `make install` then installs
# everything else, and the baseline and its tests say VLFeat is missing.
set -euo pipefail
for prefix in /usr /usr/local "${CONDA_PREFIX:-/nonexistent}"; do
  [ -e "$prefix/include/vl/generic.h" ] && exit 0
done
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing libvlfeat-dev (VLFeat 0.9.21) with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvlfeat-dev >/dev/null
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvlfeat-dev >/dev/null
else
  echo "note: VLFeat not found and not installable without root, so the Fisher-vector baseline is left out" \
       "(the CNN installs and runs). To add it: 'apt-get install libvlfeat-dev' (Debian/Ubuntu, root)" \
       "or 'conda install -c conda-forge vlfeat' (then export CFLAGS=-I\$CONDA_PREFIX/include LDFLAGS=-L\$CONDA_PREFIX/lib)," \
       "then 'make install-vlfeat'." >&2
  exit 1
fi
