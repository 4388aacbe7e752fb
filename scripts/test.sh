#!/usr/bin/env bash
# The whole test suite: installs what it needs, then
#   1. a warnings-as-errors build (RelWithDebInfo) and ctest: the test programs of each area (also against the
#      single headers), conformance, SIMD (default, AVX2, AVX-512, scalar), reference runtime, folder stack,
#      README, formatting, packaging, amct-config and example tests;
#   2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer (+ float-cast-overflow);
#   3. the libFuzzer targets of the config.json, quant.cfg and quant_config readers and of the runtime's ONNX
#      and TF.js importers (clang, ASan + UBSan), 36 s each from the committed seeds in tests/fuzz/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh test
# The real models and images feed the integration tests; without npm or network the rest of the suite runs.
models=$(scripts/fetch_models.sh | tail -n 1) || { echo "test.sh: warning: could not fetch the models; the integration tests are skipped" >&2; models=""; }
images=$(scripts/fetch_images.sh | tail -n 1) || { echo "test.sh: warning: could not fetch the images; the integration tests are skipped" >&2; images=""; }
ort=$(scripts/fetch_ort.sh | tail -n 1) || { echo "test.sh: warning: could not install ONNX Runtime; the ONNX export tests against it are skipped" >&2; ort=""; }
jobs=$(nproc)

run() {  # run <build dir> <cmake options...>
    local dir=$1
    shift
    cmake -S . -B "$dir" -DAMCT_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
    (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

run build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMCT_MODELS_DIR="$models" -DAMCT_IMAGES_DIR="$images" -DAMCT_ORT_DIR="$ort"
# (the real-model flows are left out here: a Debug build runs them too slowly to be useful)
run build/sanitize -DCMAKE_BUILD_TYPE=Debug -DAMCT_SANITIZE=ON -DAMCT_INSTALL=OFF
run build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DAMCT_BUILD_FUZZERS=ON \
    -DAMCT_BUILD_TESTS=OFF -DAMCT_BUILD_EXAMPLES=OFF -DAMCT_BUILD_RUNTIME=ON -DAMCT_BUILD_APPS=OFF \
    -DAMCT_INSTALL=OFF -DAMCT_FUZZ_SECONDS=36
