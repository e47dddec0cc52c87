"""Execution test of quant-lower-fake-quant: QAT fake-quant ops run through
the whole lowering and match NumPy's quantize-then-dequantize bit for bit.

  fake_quant.py model        prints the module
  fake_quant.py data DIR     writes DIR/x.npy
  fake_quant.py check DIR    compares DIR/out{0,1,2}.npy with NumPy
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from quantopt import reference as ref  # noqa: E402

rng = np.random.default_rng(5)
X = np.concatenate([rng.normal(0, 2, 58), [1.25, -1.25, 0.0, 100.0, -100.0, np.nan]]).astype(np.float32).reshape(2, 32)


def model():
    t = "tensor<2x32xf32>"
    print(f"""func.func @main(%x: {t}) -> ({t}, {t}, {t}) {{
  %a = qnn.fake_quant %x {{min = array<f64: -1.0>, max = array<f64: 3.0>}} : {t}
  %b = qnn.fake_quant %x {{scales = array<f64: 0.5>, zero_points = array<i64: 3>, num_bits = 4, is_signed = false}} : {t}
  %c = qnn.fake_quant %x {{axis = 0 : i64, min = array<f64: -1.0, -2.0>, max = array<f64: 1.0, 2.0>, narrow_range = true}} : {t}
  return %a, %b, %c : {t}, {t}, {t}
}}""")


def expected():
    s = 4.0 / 255.0
    a = ref.dequantize(ref.quantize(X, s, -64, -128, 127), s, -64)
    b = ref.dequantize(ref.quantize(X, 0.5, 3, 0, 15), 0.5, 3)
    sc = [1.0 / 127, 2.0 / 127]
    c = ref.dequantize(ref.quantize(X, sc, [0, 0], -127, 127, axis=0), sc, [0, 0], axis=0)
    return [a, b, c]


def main():
    if sys.argv[1] == "model":
        model()
        return 0
    d = sys.argv[2]
    if sys.argv[1] == "data":
        np.save(os.path.join(d, "x.npy"), X)
        return 0
    bad = 0
    for i, want in enumerate(expected()):
        got = np.load(os.path.join(d, f"out{i}.npy"))
        same = np.array_equal(got.view(np.uint32), want.astype(np.float32).view(np.uint32))
        print(f"{'ok' if same else 'FAIL'} fake_quant {i}")
        bad += not same
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
