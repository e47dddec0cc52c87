#!/usr/bin/env bash
# A numerics demo: installs what is missing, builds QuantOpt, and runs
# the bundled example (examples/numerics/quantize-demo.mlir) compiled to
# native code twice: with QuantOpt's lowering and with upstream MLIR's
# lower-quant-ops, printing both results side by side.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-"$root/build"}
llvm=/usr/lib/llvm-22

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$build" > "$build.log" 2>&1 || { tail -40 "$build.log"; exit 1; }

example="$root/examples/numerics/quantize-demo.mlir"
to_llvm=(--convert-elementwise-to-linalg
  --one-shot-bufferize=bufferize-function-boundaries --convert-linalg-to-loops
  --convert-scf-to-cf --expand-strided-metadata --lower-affine
  --finalize-memref-to-llvm --convert-math-to-llvm --convert-arith-to-llvm
  --convert-func-to-llvm --convert-cf-to-llvm --reconcile-unrealized-casts)
run() {
  "$build/bin/quant-opt" "$example" "$@" "${to_llvm[@]}" |
    "$llvm/bin/mlir-runner" -e main -entry-point-result=void \
      -shared-libs="$llvm/lib/libmlir_runner_utils.so,$llvm/lib/libmlir_c_runner_utils.so" |
    grep '^\['
}
ours=$(run --convert-qnn-to-linalg)
upstream=$(run --lower-quant-ops --convert-qnn-to-linalg)

/usr/bin/python3 - "$ours" "$upstream" <<'PY'
import sys
parse = lambda text: [[s.strip() for s in line.strip("[]").split(",")] for line in text.splitlines()]
ours, upstream = parse(sys.argv[1]), parse(sys.argv[2])
inputs = ["1.25", "-1.25", "1.75", "-1.75", "0.45", "-0.45", "500", "-500", "+inf", "NaN"]
print("QuantOpt demo: quantize to i8 (scale 0.5, zero point 0) and dequantize, compiled to native code")
print(f"{'x':>7} {'x/scale':>8} | {'QuantOpt q':>10} {'-> x':>6} | {'upstream q':>10} {'-> x':>6}")
for i, x in enumerate(inputs):
    ratio = {"+inf": "+inf", "NaN": "NaN"}.get(x) or f"{float(x) / 0.5:g}"
    print(f"{x:>7} {ratio:>8} | {ours[0][i]:>10} {ours[1][i]:>6} | {upstream[0][i]:>10} {upstream[1][i]:>6}")
diff = sum(a != b for a, b in zip(ours[0], upstream[0]))
print(f"\nQuantOpt rounds half to even, saturates, and maps NaN to the zero point (ONNX QuantizeLinear);")
print(f"upstream lower-quant-ops differs on {diff} of {len(inputs)} values (truncation, wrap-around).")
PY
