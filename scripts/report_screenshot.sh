#!/bin/sh
# A PNG screenshot of an HTML report (amct/analysis/report.hpp) with headless Chromium (scripts/deps.sh report).
#   scripts/report_screenshot.sh REPORT.html OUT.png [WIDTH HEIGHT]     (default 1280 1600)
set -eu
[ $# -ge 2 ] || { echo "usage: $0 REPORT.html OUT.png [WIDTH HEIGHT]" >&2; exit 2; }
html=$(realpath "$1")
out=$(realpath -m "$2")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$profile" --hide-scrollbars \
    --window-size="${3:-1280},${4:-1600}" --screenshot="$out" "file://$html" 2>/dev/null
[ -s "$out" ] || { echo "$0: no screenshot written" >&2; exit 1; }
echo "$out"
