#!/usr/bin/env bash
# Installs ONNX Runtime for node (npm onnxruntime-node, MIT; its CPU library is inside the tarball) into a cache
# outside the repo, for the interoperability tests of the QDQ export and scripts/ort_run.js:
#
#   $CACHE/onnxruntime/node_modules/onnxruntime-node
#
# CACHE is ${AMCT_CACHE:-$HOME/.cache/amct}. Idempotent: a second run neither calls npm nor writes files.
# Concurrent runs are serialized with flock. One line per step goes to stderr, npm's output to
# $CACHE/logs/fetch_ort.log (scripts/common.sh); the last stdout line is the directory to give
# scripts/ort_run.js (--ort-dir) and CMake (-DAMCT_ORT_DIR).
set -euo pipefail
PROG=fetch_ort
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ORT_VERSION=1.30.0
CACHE="$AMCT_CACHE"

command -v node >/dev/null 2>&1 || die "node is required (Debian: scripts/deps.sh, or apt-get install nodejs npm as root)"
mkdir -p "$CACHE/onnxruntime"
DIR="$(cd "$CACHE/onnxruntime" && pwd)"

if command -v flock >/dev/null 2>&1; then
  exec 9>>"$DIR/.fetch_ort.lock"
  flock 9
fi

PKG="$DIR/node_modules/onnxruntime-node"
LIB="bin/napi-v6/linux/x64/libonnxruntime.so.1"
installed() {
  [ -f "$PKG/package.json" ] && [ -f "$PKG/$LIB" ] || return 1
  node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
    "$PKG/package.json" "$ORT_VERSION"
}

if installed; then
  log "onnxruntime-node@$ORT_VERSION already in $DIR"
else
  command -v npm >/dev/null 2>&1 || die "npm is required (Debian: scripts/deps.sh, or apt-get install npm as root)"
  # The install script would download a GPU build; the CPU build ships in the tarball
  # (docs/sources.md#onnx-runtime).
  ONNXRUNTIME_NODE_INSTALL=skip npm_install "$DIR" "onnxruntime-node@$ORT_VERSION"
  installed || die "onnxruntime-node@$ORT_VERSION lacks $LIB"
fi
# Loading it proves the native library matches this machine.
node -e 'require(process.argv[1])' "$PKG" || die "onnxruntime-node does not load"

printf '%s\n' "$DIR"
