#!/usr/bin/env bash
# Fetch the real MobileNetV2 used by amct's demo and convert it to .amctw.
#
# The model is the TF.js layers MobileNetV2 bundled in the npm package
# nsfwjs@4.3.0 (MIT). It is installed into a cache outside the repo:
#   ${AMCT_CACHE:-$HOME/.cache/amct}/npm
# and converted (scripts/tfjs_weights.js) to
#   ${AMCT_CACHE:-$HOME/.cache/amct}/mobilenet_v2/weights.amctw
#
# Idempotent: npm is skipped when the model files are already in the cache, and
# the conversion is skipped when weights.amctw is newer than the model files
# (and the converter). Progress goes to stderr; the last line of stdout is the
# path of the weights file.
set -euo pipefail

NSFWJS_VERSION=4.3.0
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${AMCT_CACHE:-$HOME/.cache/amct}"
NPM_DIR="$CACHE/npm"
PKG_DIR="$NPM_DIR/node_modules/nsfwjs"
MODEL_DIR="$PKG_DIR/dist/models/mobilenet_v2"
OUT_DIR="$CACHE/mobilenet_v2"
OUT="$OUT_DIR/weights.amctw"
CONVERTER="$SCRIPT_DIR/tfjs_weights.js"

log() { printf 'fetch_models: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v node >/dev/null 2>&1 || die "node is required (Debian: apt-get install nodejs)"
[ -f "$CONVERTER" ] || die "missing $CONVERTER"

mkdir -p "$NPM_DIR" "$OUT_DIR"

# Serialize concurrent runs (e.g. parallel builds) on the same cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.fetch_models.lock"
  flock 9
fi

have_model() {
  [ -f "$MODEL_DIR/model.min.js" ] && [ -f "$MODEL_DIR/group1-shard1of1.min.js" ] &&
    [ -f "$PKG_DIR/package.json" ] &&
    grep -q "\"version\": *\"$NSFWJS_VERSION\"" "$PKG_DIR/package.json"
}

if have_model; then
  log "nsfwjs@$NSFWJS_VERSION already in $NPM_DIR"
else
  command -v npm >/dev/null 2>&1 || die "npm is required (Debian: apt-get install npm)"
  log "installing nsfwjs@$NSFWJS_VERSION into $NPM_DIR"
  # Run from the cache dir so no project-local npm config applies; npm's own
  # output goes to stderr to keep stdout clean.
  (cd "$NPM_DIR" &&
    npm install --prefix "$NPM_DIR" --no-audit --no-fund --ignore-scripts \
      "nsfwjs@$NSFWJS_VERSION" 1>&2) || die "npm install failed"
  have_model || die "nsfwjs installed but $MODEL_DIR lacks the model files"
fi

up_to_date() {
  [ -s "$OUT" ] || return 1
  local f
  for f in "$MODEL_DIR"/model.min.js "$MODEL_DIR"/group*.min.js "$CONVERTER"; do
    [ "$OUT" -nt "$f" ] || return 1
  done
}

if up_to_date; then
  log "$OUT is up to date"
else
  log "converting $MODEL_DIR -> $OUT"
  node "$CONVERTER" "$MODEL_DIR" "$OUT" 1>&2
fi

printf '%s\n' "$OUT"
