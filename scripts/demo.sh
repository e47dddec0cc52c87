#!/usr/bin/env bash
# The README's main job: installs what is missing, builds QuantOpt, and runs
# the bundled example end to end: the digits MLP and CNN (examples/digits,
# trained ONNX files committed) are imported, fused, calibrated on 200
# training images, quantized to static INT8, compiled to native code, and
# evaluated against the FP32 models on the 360 held-out images.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-"$root/build"}
work=${WORK_DIR:-"$build/digits"}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$build" > "$build.log" 2>&1 || { tail -40 "$build.log"; exit 1; }
export QUANTOPT_TOOLS="$build/bin"

mkdir -p "$work"
/usr/bin/python3 "$root/examples/digits/data.py" "$work"
for model in mlp cnn; do
  suffix=$([ "$model" = cnn ] && echo _cnn || true)
  "$root/python/bin/quantopt-quantize" "$root/examples/digits/digits_$model.onnx" \
    --calib "$work/calib$suffix.npz" --method minmax --scheme symmetric \
    --work-dir "$work/$model" -o "$work/digits_${model}_int8.mlir"
  echo
  echo "Digits ${model^^} (examples/digits/digits_$model.onnx), 360 test images:"
  "$root/python/bin/quantopt-eval" "$root/examples/digits/digits_$model.onnx" \
    "$work/digits_${model}_int8.mlir" --data "$work/test$suffix.npz"
done
