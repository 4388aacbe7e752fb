#!/usr/bin/env bash
# Installs what amct's build, tests, benchmarks and demo need on Debian 12, and nothing when it is all there.
# usage: scripts/deps.sh [GROUP...]   (default: test; each group includes build)
#   build   compiler, CMake, xtensor/xsimd, Boost
#   demo    + the reference runtime (ONNX, protobuf, stb), node and npm for the model fetchers
#   test    + doctest, Open MPI, ONNX test data, clang (fuzzers), clang-format 14
#   bench   + Google Benchmark, NumPy, PyTorch
#   report  + chromium (and the systemd it pulls in): only for the HTML report test (scripts/test.sh installs
#           it unless AMCT_SKIP_BROWSER=1)
# apt-get's and dpkg's output goes to ~/.cache/amct/logs/deps.log (scripts/common.sh); one line per step here.
set -euo pipefail
PROG=deps
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

packages=(g++ cmake make git python3 libxtensor-dev xtl-dev libxsimd-dev libboost1.81-dev libboost-json1.81-dev)
# The reference runtime of the examples: ONNX import and image decoding. The tests add Open MPI
# (examples/mpi_calibrate and its mpirun cases).
runtime=(libonnx-dev libprotobuf-dev protobuf-compiler libstb-dev)
node=false
(($#)) || set -- test
for group in "$@"; do
    case "$group" in
    build) ;;
    test)
        packages+=("${runtime[@]}" libopenmpi-dev openmpi-bin doctest-dev libonnx-testdata python3-onnx
            clang-format-14 clang libclang-rt-14-dev)
        node=true
        ;;
    demo)
        packages+=("${runtime[@]}")
        node=true
        ;;
    bench) packages+=("${runtime[@]}" libbenchmark-dev python3-numpy python3-torch) ;;
    report) packages+=(chromium) ;;
    *)
        echo "usage: $0 [build|demo|test|bench|report]..." >&2
        exit 2
        ;;
    esac
done
# node and npm for scripts/fetch_*.sh (a node from elsewhere will do); the registry is reached over https.
if "$node"; then
    command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
    packages+=(ca-certificates)
fi
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

# One dpkg-query for all (packages it does not know are missing too).
mapfile -t installed < <(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
    awk '/ install ok installed$/ { print $1 }')
missing=()
for p in "${packages[@]}"; do
    [[ " ${installed[*]} " == *" $p "* ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    log "the ${#packages[@]} Debian packages for $* are installed"
    exit 0
fi
names="${missing[*]:0:6}"
((${#missing[@]} <= 6)) || names+=" ..."
can_be_root || die "installing ${missing[*]} needs root or sudo; run $0 $* as root"
step "updating the package lists" apt_get update || die "apt-get update failed"
step "installing ${#missing[@]} Debian package$( ((${#missing[@]} == 1)) || echo s) ($names)" \
    apt_get install -y --no-install-recommends "${missing[@]}" || die "apt-get install failed"
