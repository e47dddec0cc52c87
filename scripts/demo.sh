#!/usr/bin/env bash
# The README's main job: installs what is missing, builds QuantOpt, and runs
# the bundled example end to end: the digits MLP (examples/digits, trained
# ONNX file committed) is imported, fused, calibrated on 200 training images,
# quantized to static INT8, compiled to native code, and evaluated against
# the FP32 model on the 360 held-out images.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-"$root/build"}
work=${WORK_DIR:-"$build/digits"}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$build" > "$build.log" 2>&1 || { tail -40 "$build.log"; exit 1; }
export QUANTOPT_TOOLS="$build/bin"

mkdir -p "$work"
/usr/bin/python3 "$root/examples/digits/data.py" "$work"
"$root/python/bin/quantopt-quantize" "$root/examples/digits/digits_mlp.onnx" \
  --calib "$work/calib.npz" --method minmax --scheme symmetric \
  --work-dir "$work" -o "$work/digits_mlp_int8.mlir"
echo
echo "Digits MLP (examples/digits/digits_mlp.onnx), 360 test images:"
"$root/python/bin/quantopt-eval" "$root/examples/digits/digits_mlp.onnx" \
  "$work/digits_mlp_int8.mlir" --data "$work/test.npz"
