#!/bin/sh
# Rewrites the amct-config golden files (tests/data/cli/*.golden) from the current build; review the diff.
#   scripts/update_golden.sh [BUILD_DIR]   (default build/test)
set -eu
build=${1:-build/test}
cmake --build "$build" --target amct_config
AMCT_UPDATE_GOLDEN=1 ctest --test-dir "$build" -R '^cli_' --output-on-failure
git status --short tests/data/cli
