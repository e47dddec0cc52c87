"""Checks the dynamically quantized MLP (dynamic-int8-mlp.test) against a
NumPy pipeline of ONNX DynamicQuantizeLinear + MatMulInteger + rescale.
dynamic_mlp.py check DIR [--symmetric] [--per-tensor] [--full-range] [--reduce-range]"""
import os
import sys

import numpy as np

HERE = os.path.dirname(__file__)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "python"))
import mlp  # noqa: E402
from quantopt import reference as ref  # noqa: E402


def layer(x, w, b, symmetric, per_tensor=False, full_range=False, reduce_range=False):
    q, s, z = ref.dynamic_quantize_linear(x, symmetric, reduce_range)
    absmax = np.maximum(np.abs(w.min(0)), np.abs(w.max(0))).astype(np.float64)
    if per_tensor:
        absmax = np.full(w.shape[1], absmax.max())
    qmin = -128 if full_range else -127
    ws = np.where(absmax > 0, 2 * absmax / (127 - qmin), 1.0)
    wq = ref.quantize(w, ws, np.zeros(w.shape[1], np.int64), qmin, 127, axis=1)
    acc = ref.matmul_integer(q, wq, z)
    y = acc.astype(np.float32) * (np.float32(s) * ws.astype(np.float32)) + b
    return np.maximum(y, np.float32(0))


def main():
    d, symmetric = sys.argv[2], "--symmetric" in sys.argv
    weights = dict(per_tensor="--per-tensor" in sys.argv, full_range="--full-range" in sys.argv,
                   reduce_range="--reduce-range" in sys.argv)
    outs = []
    for rows in mlp.TEST.reshape(-1, mlp.BATCH, mlp.IN):
        hidden = layer(rows, mlp.W1, mlp.B1, symmetric, **weights)
        outs.append(layer(hidden, mlp.W2, mlp.B2, symmetric, **weights))
    want = np.concatenate(outs).astype(np.float32)
    got = np.load(os.path.join(d, "out.npy"))
    exact = np.array_equal(got.view(np.uint32), want.view(np.uint32))
    print(f"{'ok' if exact else 'FAIL'} dynamic INT8 MLP bit-exact with NumPy"
          + ("" if exact else f" ({np.count_nonzero(got != want)} differ, max {np.abs(got - want).max()})"))
    ref_float = mlp.forward(mlp.TEST)["fc2.relu.out0"]
    err = np.abs(got - ref_float).max()
    bound = 0.05 * np.abs(ref_float).max()
    print(f"{'ok' if err <= bound else 'FAIL'} error vs float model {err:.4f} (bound {bound:.4f})")
    return 0 if exact and err <= bound else 1


if __name__ == "__main__":
    sys.exit(main())
