#!/usr/bin/env bash
# Installs what amct's build, tests, benchmarks and demo need on Debian 12, and nothing when it is all there.
# usage: scripts/deps.sh [build|test|demo|bench]   (each includes build)
set -euo pipefail

what=${1:-test}
packages=(g++ cmake make git python3 libxtensor-dev xtl-dev libxsimd-dev libboost1.81-dev libboost-json1.81-dev)
# The reference runtime of the examples: ONNX import and image decoding. The tests add Open MPI
# (examples/mpi_calibrate and its mpirun cases).
runtime=(libonnx-dev libprotobuf-dev protobuf-compiler libstb-dev)
case "$what" in
build) ;;
test) packages+=("${runtime[@]}" libopenmpi-dev openmpi-bin doctest-dev libonnx-testdata python3-onnx clang-format-14 clang libclang-rt-14-dev chromium) ;;
demo) packages+=("${runtime[@]}") ;;
bench) packages+=("${runtime[@]}" libbenchmark-dev python3-numpy python3-torch) ;;
*) echo "usage: $0 [build|test|demo|bench]" >&2; exit 2 ;;
esac
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "deps: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
