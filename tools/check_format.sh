#!/usr/bin/env bash
# Fails if a C++ source under include/, tests/, examples/ or bench/ differs from clang-format-14's output
# (single_include/ is generated and never formatted).
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=$(command -v clang-format-14 || command -v clang-format)
mapfile -t files < <(git ls-files -co --exclude-standard 'include/*.hpp' 'tests/*.hpp' 'tests/*.cpp' 'examples/*.cpp' 'examples/*.hpp' 'bench/*.cpp')
"$fmt" --dry-run --Werror "${files[@]}"
echo "check_format: ${#files[@]} files formatted"
