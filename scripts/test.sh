#!/usr/bin/env bash
# The whole test suite: installs what it needs, then
#   1. a warnings-as-errors build (RelWithDebInfo) and ctest: unit, conformance, SIMD (default, AVX2, scalar),
#      single-header, README, formatting, packaging and example tests;
#   2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer (+ float-cast-overflow).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh test
# The real weights only feed the example test; without npm or network the rest of the suite still runs.
weights=$(scripts/fetch_models.sh) || { echo "test.sh: warning: could not fetch the MobileNetV2 weights; example_quantize_tensors is skipped" >&2; weights=""; }
jobs=$(nproc)

run() {  # run <build dir> <cmake options...>
    local dir=$1
    shift
    cmake -S . -B "$dir" -DAMCT_WERROR=ON -DAMCT_DEMO_WEIGHTS="$weights" "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
    (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

run build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo
run build/sanitize -DCMAKE_BUILD_TYPE=Debug -DAMCT_SANITIZE=ON -DAMCT_INSTALL=OFF
