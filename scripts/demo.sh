#!/usr/bin/env bash
# The main demo: installs what it needs, fetches MobileNetV2 (npm nsfwjs@4.3.0, cached), builds amct's examples
# and quantizes the network's weights as AMCT's ARQ does, printing what it did for every tensor.
# usage: scripts/demo.sh [--bits 4|6|7|8|16]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh demo
weights=$(scripts/fetch_models.sh)
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DAMCT_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" --target quantize_tensors
build/demo/examples/quantize_tensors "$weights" "$@"
