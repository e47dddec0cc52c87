"""Execution test of qnn.matmul against ONNX QLinearMatMul in NumPy.

  qlinear_matmul.py model DIR   writes DIR/model.mlir and DIR/in-<case>.npz
  qlinear_matmul.py check DIR   compares DIR/out-<case>.npy bit for bit
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from quantopt import reference as ref  # noqa: E402
from mlir_text import qtype  # noqa: E402

rng = np.random.default_rng(11)


def make_cases():
    cases = []

    def add(name, M, K, N, a_kind, per_channel, b_zp_nonzero, bias, clamp, y_kind):
        a_signed = a_kind == "i8"
        a = rng.integers(-128 if a_signed else 0, 128 if a_signed else 256, (M, K))
        b = rng.integers(-127, 128, (K, N))
        a_scale, a_zp = 0.02 + rng.random() * 0.05, int(rng.integers(-20, 20)) + (0 if a_signed else 128)
        if per_channel:
            b_scale = list(0.001 + rng.random(N) * 0.01)
            b_zp = list(rng.integers(-3, 4, N)) if b_zp_nonzero else [0] * N
        else:
            b_scale, b_zp = 0.004 + rng.random() * 0.01, (int(rng.integers(-3, 4)) if b_zp_nonzero else 0)
        y_signed = y_kind == "i8"
        y_scale, y_zp = 0.05 + rng.random() * 0.2, int(rng.integers(-10, 10)) + (0 if y_signed else 128)
        qmin, qmax = (-128, 127) if y_signed else (0, 255)
        bias_vals = rng.integers(-2000, 2000, N).astype(np.int32) if bias else None
        lo, hi = clamp if clamp else (None, None)
        expected = ref.qlinear_matmul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp,
                                      qmin, qmax, bias_vals, lo, hi)
        cases.append(dict(name=name, M=M, K=K, N=N, a=a, b=b, bias=bias_vals,
                          a_t=qtype(a_kind, a_scale, a_zp),
                          b_t=qtype("i8", b_scale, b_zp, 1 if per_channel else None),
                          y_t=qtype(y_kind, y_scale, y_zp), clamp=clamp,
                          a_dtype=np.int8 if a_signed else np.uint8,
                          y_dtype=np.int8 if y_signed else np.uint8, expected=expected))

    add("per_tensor", 4, 16, 8, "i8", False, False, False, None, "i8")
    add("per_channel_bias", 4, 16, 8, "i8", True, False, True, None, "i8")
    add("u8_acts_zp_weights", 3, 17, 5, "u8", True, True, True, None, "u8")
    add("relu_clamp", 4, 32, 6, "i8", True, False, True, (3, None), "i8")
    add("relu6_clamp", 2, 8, 16, "u8", False, True, False, (128, 200), "u8")
    add("m1_odd_k", 1, 31, 7, "i8", True, False, True, None, "i8")
    return cases


def model(d):
    cases = make_cases()
    lines = []
    for c in cases:
        a_t = f"tensor<{c['M']}x{c['K']}x{c['a_t']}>"
        b_t = f"tensor<{c['K']}x{c['N']}x{c['b_t']}>"
        y_t = f"tensor<{c['M']}x{c['N']}x{c['y_t']}>"
        args = f"%a: {a_t}, %b: {b_t}"
        operands, types = "%a, %b", f"{a_t}, {b_t}"
        if c["bias"] is not None:
            args += f", %bias: tensor<{c['N']}xi32>"
            operands += " bias %bias"
            types += f", tensor<{c['N']}xi32>"
        attrs = ""
        if c["clamp"]:
            parts = []
            if c["clamp"][0] is not None:
                parts.append(f"clamp_min = {c['clamp'][0]} : i64")
            if c["clamp"][1] is not None:
                parts.append(f"clamp_max = {c['clamp'][1]} : i64")
            attrs = " {" + ", ".join(parts) + "}"
        lines.append(f"""func.func @{c['name']}({args}) -> {y_t} {{
  %y = qnn.matmul {operands}{attrs} : {types} -> {y_t}
  return %y : {y_t}
}}""")
        arrays = dict(a=c["a"].astype(c["a_dtype"]), b=c["b"].astype(np.int8))
        if c["bias"] is not None:
            arrays["bias"] = c["bias"]
        np.savez(os.path.join(d, f"in-{c['name']}.npz"), **arrays)
    with open(os.path.join(d, "model.mlir"), "w") as f:
        f.write("\n\n".join(lines) + "\n")
    print(" ".join(c["name"] for c in cases))


def check(d):
    bad = 0
    for c in make_cases():
        got = np.load(os.path.join(d, f"out-{c['name']}.npy")).astype(np.int64)
        same = np.array_equal(got, c["expected"])
        print(f"{'ok' if same else 'FAIL'} {c['name']}" +
              ("" if same else f": {np.count_nonzero(got != c['expected'])} values differ"))
        bad += not same
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "model":
        model(sys.argv[2])
        sys.exit(0)
    sys.exit(check(sys.argv[2]))
