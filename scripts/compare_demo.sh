#!/usr/bin/env bash
# Proves a change left the demo's outputs alone: builds quantize_model at BASE (default: e49e8b5, the last commit before
# the redesign of the folders and the parameters) and at the working tree, runs both on MobileNetV2, PP-OCRv4 cls and det, and compares
# record.txt, config.json, model.onnx and model_qdq.onnx byte for byte. Exits 1 on any difference.
# usage: scripts/compare_demo.sh [BASE]   (models and images as scripts/demo.sh fetches them)
set -euo pipefail
cd "$(dirname "$0")/.."

base=${1:-e49e8b5}
scripts/deps.sh demo
models=$(scripts/fetch_models.sh | tail -n 1)
images=$(scripts/fetch_images.sh | tail -n 1)
work=build/compare
base_tree=$work/base_tree
mkdir -p "$work"

# the base revision in a detached worktree of its own (reused when it is already at BASE)
if [ ! -d "$base_tree" ] || [ "$(git -C "$base_tree" rev-parse HEAD)" != "$(git rev-parse "$base^{commit}")" ]; then
    git worktree remove --force "$base_tree" 2>/dev/null || rm -rf "$base_tree"
    git worktree add --detach "$base_tree" "$base" >/dev/null
fi

build() {  # build <source dir> <build dir>
    cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DAMCT_BUILD_TESTS=OFF >/dev/null
    cmake --build "$2" -j "$(nproc)" --target quantize_model >/dev/null
}
echo "compare_demo: building $base and the working tree"
build "$base_tree" "$work/base_build"
build . "$work/new_build"

status=0
for model in mobilenet_v2 ppocr_cls ppocr_det; do
    for side in base new; do
        "$work/${side}_build/examples/quantize_model" --models-dir "$models" --images-dir "$images" \
            --model "$model" --out "$work/out_$side/$model" >"$work/out_$side.$model.log" 2>&1
    done
    for f in record.txt config.json model.onnx model_qdq.onnx; do
        if cmp -s "$work/out_base/$model/$f" "$work/out_new/$model/$f"; then
            echo "compare_demo: $model/$f identical ($(wc -c <"$work/out_new/$model/$f") bytes)"
        else
            echo "compare_demo: $model/$f DIFFERS from $base"
            status=1
        fi
    done
done
exit $status
