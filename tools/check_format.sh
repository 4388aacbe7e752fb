#!/usr/bin/env bash
# Fails if a C++ source under include/, src/, runtime/, apps/, tests/, examples/ or bench/ differs from
# clang-format-14's output (single_include/ is generated and never formatted).
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=$(command -v clang-format-14 || command -v clang-format)
files=$(find include src runtime apps tests examples bench -name '*.hpp' -o -name '*.ipp' -o -name '*.cpp' | sort)
[ -n "$files" ] || { echo "check_format: no sources found" >&2; exit 1; }
# shellcheck disable=SC2086
"$fmt" --dry-run --Werror $files </dev/null
echo "check_format: $(echo "$files" | wc -l) files formatted"
