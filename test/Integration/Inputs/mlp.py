"""A two-layer float MLP (matmul + bias + relu, twice) and its data, for the
calibration integration test.

  mlp.py model              prints the MLIR module (weights as constants)
  mlp.py data DIR           writes DIR/calib.npz (calibration set) and DIR/test.npy
  mlp.py check DIR METHOD   checks DIR/q-METHOD.mlir's scales against NumPy and
                            DIR/out-METHOD.npy against the float model
"""
import os
import re
import sys

import numpy as np

rng = np.random.default_rng(1234)
IN, HIDDEN, OUT, BATCH = 16, 32, 8, 4
W1 = (rng.normal(0, 0.4, (IN, HIDDEN))).astype(np.float32)
B1 = (rng.normal(0.1, 0.2, (HIDDEN,))).astype(np.float32)
W2 = (rng.normal(0, 0.3, (HIDDEN, OUT))).astype(np.float32)
B2 = (rng.normal(0.0, 0.2, (OUT,))).astype(np.float32)
CALIB = rng.normal(0, 1.5, (64, IN)).astype(np.float32)
TEST = rng.normal(0, 1.5, (16, IN)).astype(np.float32)


def dense(values):
    return np.array2string(values, separator=", ", threshold=1 << 30,
                           floatmode="unique", max_line_width=1 << 30)


def layer(name, x, w, b, rows, k, n):
    return f"""
  %{name}_w = arith.constant dense<{dense(w)}> : tensor<{k}x{n}xf32>
  %{name}_b = arith.constant dense<{dense(b)}> : tensor<{n}xf32>
  %{name}_e = tensor.empty() : tensor<{rows}x{n}xf32>
  %{name}_z = linalg.fill ins(%zero : f32) outs(%{name}_e : tensor<{rows}x{n}xf32>) -> tensor<{rows}x{n}xf32>
  %{name}_mm = linalg.matmul ins(%{x}, %{name}_w : tensor<{rows}x{k}xf32>, tensor<{k}x{n}xf32>)
      outs(%{name}_z : tensor<{rows}x{n}xf32>) -> tensor<{rows}x{n}xf32> loc("{name}")
  %{name}_act = linalg.generic {{indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%{name}_mm, %{name}_b : tensor<{rows}x{n}xf32>, tensor<{n}xf32>) outs(%{name}_e : tensor<{rows}x{n}xf32>) {{
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }} -> tensor<{rows}x{n}xf32> loc("{name}.relu")"""


def model():
    print("#id = affine_map<(d0, d1) -> (d0, d1)>")
    print("#row = affine_map<(d0, d1) -> (d1)>")
    print(f"func.func @main(%x: tensor<{BATCH}x{IN}xf32>) -> tensor<{BATCH}x{OUT}xf32> {{")
    print("  %zero = arith.constant 0.0 : f32")
    print(layer("fc1", "x", W1, B1, BATCH, IN, HIDDEN))
    print(layer("fc2", "fc1_act", W2, B2, BATCH, HIDDEN, OUT))
    print(f"  return %fc2_act : tensor<{BATCH}x{OUT}xf32>\n}}")


def forward(x):
    mm1 = x @ W1
    act1 = np.maximum(mm1 + B1, 0)
    mm2 = act1 @ W2
    act2 = np.maximum(mm2 + B2, 0)
    return {"main.arg0": x, "fc1.out0": mm1, "fc1.relu.out0": act1,
            "fc2.out0": mm2, "fc2.relu.out0": act2}


def choose(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0
    return scale, int(np.clip(np.rint(-128 - lo / scale), -128, 127))


def check(d, method):
    text = open(os.path.join(d, f"q-{method}.mlir")).read()
    found = re.findall(r"qnn.quantize %\S+ : tensor<\S+> -> tensor<\d+x\d+x!quant.uniform<i8:f32, ([0-9.eE+-]+)(?::(-?\d+))?>>", text)
    acts = forward(CALIB)
    # Observers in program order: x, fc1 out, relu1 out, fc2 out, relu2 out
    # (the function result is the relu2 output, observed once).
    names = ["main.arg0", "fc1.out0", "fc1.relu.out0", "fc2.out0", "fc2.relu.out0"]
    assert len(found) == len(names), found
    ok = True
    for name, (scale, zp) in zip(names, found):
        scale, zp = float(scale), int(zp or 0)
        a = acts[name].astype(np.float64)
        want_scale, want_zp = choose(a.min(), a.max())
        if method == "minmax":
            good = np.isclose(scale, want_scale, rtol=1e-5) and abs(zp - want_zp) <= 1
        else:
            # Other methods clip: never a wider range than min-max.
            good = 0 < scale <= want_scale * (1 + 1e-5)
        print(f"{'ok' if good else 'FAIL'} {method} {name}: scale {scale:.6g} zp {zp}"
              + ("" if good else f" (NumPy min-max: {want_scale:.6g} {want_zp})"))
        ok &= bool(good)
    # The quantize/dequantize model stays close to the float model.
    out = np.load(os.path.join(d, f"out-{method}.npy"))
    ref = forward(TEST)["fc2.relu.out0"]
    err = np.abs(out - ref).max()
    # Moving averages over few batches stay near the first batch's range and
    # clip more; the other methods keep (almost) the whole range.
    bound = (0.15 if method == "moving-average" else 0.05) * np.abs(ref).max()
    print(f"{'ok' if err <= bound else 'FAIL'} {method} output error {err:.4f} (bound {bound:.4f})")
    ok &= bool(err <= bound)
    return 0 if ok else 1


def main():
    cmd = sys.argv[1]
    if cmd == "model":
        model()
        return 0
    if cmd == "data":
        np.savez(os.path.join(sys.argv[2], "calib.npz"), x=CALIB)
        np.save(os.path.join(sys.argv[2], "test.npy"), TEST)
        return 0
    return check(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    sys.exit(main())
