#!/usr/bin/env bash
# The whole test suite: installs what it needs, then
#   1. a warnings-as-errors build (-O2) and ctest: the test programs of each area (also against the
#      single headers), conformance, SIMD (default, AVX2, AVX-512, scalar), reference runtime, folder stack,
#      README, formatting, packaging, amct-config and example tests;
#   2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer (+ float-cast-overflow);
#   3. the libFuzzer targets of the config.json, quant.cfg and quant_config readers and of the runtime's ONNX
#      and TF.js importers (clang, ASan + UBSan), 36 s each from the committed seeds in tests/fuzz/corpus.
# Each stage starts with a "== [i/n]" header; the end is a summary of every stage (result, wall time, ctest's
# counts), also after a failed stage; the exit status is non-zero when any stage failed. A failed build or
# ctest does not stop the later stages; a failed set-up does. Each stage's output is also in
# build/logs/test_stage<i>.log.
# AMCT_SKIP_BROWSER=1 leaves chromium (and the systemd it pulls in) out; the HTML report test is then skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PROG="test"
# shellcheck source=scripts/common.sh
. scripts/common.sh

titles=("set-up (scripts/deps.sh, scripts/fetch_*.sh)"
    "-Werror build and ctest (build/test)"
    "ASan + UBSan build and ctest (build/sanitize)"
    "libFuzzer targets, 36 s each (build/fuzz)")
results=() times=() counts=()
logs=build/logs
mkdir -p "$logs"

summary() {
    local i
    echo
    echo "== summary"
    printf '%-52s %-7s %9s  %s\n' stage result "wall time" "tests (ctest)"
    for i in "${!results[@]}"; do
        printf '%-52s %-7s %6dm%02ds  %s\n' "[$((i + 1))/${#titles[@]}] ${titles[i]}" "${results[i]}" \
            $((times[i] / 60)) $((times[i] % 60)) "${counts[i]}"
    done
    for ((i = ${#results[@]}; i < ${#titles[@]}; ++i)); do
        printf '%-52s %-7s\n' "[$((i + 1))/${#titles[@]}] ${titles[i]}" "not run"
    done
}

# ctest_counts LOG: "N passed, N failed, N skipped" from ctest's last "tests passed, ... out of" line.
ctest_counts() {
    local line total failed skipped
    line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1) || {
        echo "-"
        return
    }
    failed=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    skipped=$(grep -cE '^[[:space:]]*[0-9]+ - .* \(Skipped\)$' "$1" || true)
    echo "$((total - failed - skipped)) passed, $failed failed, $skipped skipped"
}

# stage CMD...: the next stage; CMD runs in a subshell with set -e, its output also in $logs; a failure sets
# failed=1. (Not called as a condition: bash would ignore set -e inside.)
failed=0
stage() {
    local i=${#results[@]} t0=$SECONDS status=0 out
    out="$logs/test_stage$((i + 1)).log"
    echo
    echo "== [$((i + 1))/${#titles[@]}] ${titles[i]}"
    set +e
    (
        set -e
        "$@"
    ) 2>&1 | tee "$out"
    status=${PIPESTATUS[0]}
    set -e
    times+=($((SECONDS - t0)))
    counts+=("$(ctest_counts "$out")")
    if ((status == 0)); then
        results+=(passed)
    else
        results+=(FAILED)
        failed=1
    fi
}

setup() {
    local groups=(test)
    if [[ ${AMCT_SKIP_BROWSER:-0} == 1 ]]; then
        log "AMCT_SKIP_BROWSER=1: chromium (scripts/deps.sh report) is not installed"
    else
        groups+=(report)
    fi
    scripts/deps.sh "${groups[@]}" || return 1
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
        log "no chromium: ctest leaves out the report_renders_in_chromium test"
    # The real models and images feed the integration tests; without npm or network the rest of the suite runs.
    models=$(scripts/fetch_models.sh | tail -n 1) || { echo "test.sh: warning: could not fetch the models; the integration tests are skipped" >&2; models=""; }
    images=$(scripts/fetch_images.sh | tail -n 1) || { echo "test.sh: warning: could not fetch the images; the integration tests are skipped" >&2; images=""; }
    ort=$(scripts/fetch_ort.sh | tail -n 1) || { echo "test.sh: warning: could not install ONNX Runtime; the ONNX export tests against it are skipped" >&2; ort=""; }
    return 0
}
# The set-up runs in this shell (it sets models, images, ort), so it is timed here rather than by stage.
echo "== [1/${#titles[@]}] ${titles[0]}"
t0=$SECONDS
if setup; then results+=(passed); else results+=(FAILED); fi
times+=($((SECONDS - t0)))
counts+=("-")
if [[ ${results[0]} != passed ]]; then
    summary
    exit 1
fi
jobs=$(nproc)

# shellcheck disable=SC2317  # called through stage
run() {  # run <build dir> <cmake options...>
    local dir=$1
    shift
    cmake -S . -B "$dir" -DAMCT_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
    (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

# Optimized as users build, without debug information (a third of the compile time); the sanitizers keep line
# tables (-g1) for their reports.
stage run build/test -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DAMCT_MODELS_DIR="$models" -DAMCT_IMAGES_DIR="$images" -DAMCT_ORT_DIR="$ort"
# (the real-model flows are left out here: a Debug build runs them too slowly to be useful)
stage run build/sanitize -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DAMCT_SANITIZE=ON -DAMCT_INSTALL=OFF
stage run build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    -DCMAKE_CXX_COMPILER=clang++ -DAMCT_BUILD_FUZZERS=ON \
    -DAMCT_BUILD_TESTS=OFF -DAMCT_BUILD_EXAMPLES=OFF -DAMCT_BUILD_RUNTIME=ON -DAMCT_BUILD_APPS=OFF \
    -DAMCT_INSTALL=OFF -DAMCT_FUZZ_SECONDS=36
summary
exit "$failed"
