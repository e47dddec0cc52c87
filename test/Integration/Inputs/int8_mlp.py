"""Checks the INT8-rewritten MLP (see int8-mlp.test) against an independent
NumPy integer pipeline built from the float weights and the stats file:

  int8_mlp.py check DIR   compares DIR/out.npy bit for bit, the float model's
                          output within quantization error, and the weight
                          bytes of DIR/mlp.mlir vs DIR/int8.mlir
"""
import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(__file__)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "python"))
import mlp  # noqa: E402
from quantopt import reference as ref  # noqa: E402


SYMMETRIC = "--symmetric" in sys.argv
QMIN = -127 if SYMMETRIC else -128  # symmetric int8 is narrow range


def act_params(stats, name):
    """min-max, int8 (ONNX Runtime's compute_scale_zp); symmetric: max|x| /
    127 and zero point 0."""
    o = next(o for o in stats["observers"] if o["name"] == name)
    lo, hi = min(o["min"], 0.0), max(o["max"], 0.0)
    if SYMMETRIC:
        return max(-lo, hi) / 127.0, 0
    scale = (hi - lo) / 255.0
    return scale, int(np.clip(np.rint(-128 - lo / scale), -128, 127))


def weight_params(w):
    """Per output column, symmetric, narrow range [-127, 127]."""
    absmax = np.maximum(np.abs(w.min(axis=0)), np.abs(w.max(axis=0))).astype(np.float64)
    scales = np.where(absmax > 0, absmax / 127.0, 1.0)
    q = ref.quantize(w, scales, np.zeros(w.shape[1], np.int64), -127, 127, axis=1)
    return scales, q


def layer(xq, sx, zx, w, b, sy, zy):
    sw, wq = weight_params(w)
    bias_scale = np.float32(sx) * sw.astype(np.float32)
    bq = np.rint(b.astype(np.float64) / bias_scale.astype(np.float64)).astype(np.int32)
    relu_lo = ref.quantize(np.float32(0), sy, zy, QMIN, 127)
    return ref.qlinear_matmul(xq, sx, zx, wq, sw, 0, sy, zy, QMIN, 127, bias=bq,
                              clamp_min=int(relu_lo))


def constant_bytes(path, min_rank):
    """Bytes of tensor constants of at least `min_rank` dimensions (2 for
    weight matrices, 1 to include the biases, which stay 32-bit)."""
    sizes = {"f32": 4, "i8": 1, "i32": 4}
    total = 0
    for dims, t in re.findall(r"arith.constant dense<[^>]*> : tensor<([0-9x]+)x(f32|i8|i32)>", open(path).read()):
        shape = [int(v) for v in dims.split("x")]
        if len(shape) >= min_rank and int(np.prod(shape)) > 1:
            total += int(np.prod(shape)) * sizes[t]
    return total


def main():
    d = sys.argv[2]
    stats = json.load(open(os.path.join(d, "stats.json")))
    s0, z0 = act_params(stats, "main.arg0")
    s1, z1 = act_params(stats, "fc1.relu.out0")
    s2, z2 = act_params(stats, "fc2.relu.out0")
    x = mlp.TEST
    ok = True
    got = np.load(os.path.join(d, "out.npy"))
    want = []
    for rows in x.reshape(-1, mlp.BATCH, mlp.IN):
        xq = ref.quantize(rows, s0, z0, QMIN, 127)
        h = layer(xq, s0, z0, mlp.W1, mlp.B1, s1, z1)
        y = layer(h, s1, z1, mlp.W2, mlp.B2, s2, z2)
        want.append(ref.dequantize(y, s2, z2))
    want = np.concatenate(want)
    exact = np.array_equal(got.view(np.uint32), want.view(np.uint32))
    print(f"{'ok' if exact else 'FAIL'} int8 output bit-exact with the NumPy integer pipeline"
          + ("" if exact else f" ({np.count_nonzero(got != want)} differ)"))
    ok &= exact

    ref_float = mlp.forward(x)["fc2.relu.out0"]
    err = np.abs(got - ref_float).max()
    bound = 0.05 * np.abs(ref_float).max()
    print(f"{'ok' if err <= bound else 'FAIL'} error vs float model {err:.4f} (bound {bound:.4f})")
    ok &= bool(err <= bound)

    if not os.path.exists(os.path.join(d, "mlp.mlir")):
        return 0 if ok else 1
    float_ir, int8_ir = os.path.join(d, "mlp.mlir"), os.path.join(d, "int8.mlir")
    before, after = constant_bytes(float_ir, 2), constant_bytes(int8_ir, 2)
    ratio = before / after
    print(f"{'ok' if ratio >= 3.9 else 'FAIL'} weight bytes {before} -> {after} ({ratio:.2f}x smaller)")
    ok &= ratio >= 3.9
    # With the biases (i32, as big as f32) this small model shrinks less.
    total_before, total_after = constant_bytes(float_ir, 1), constant_bytes(int8_ir, 1)
    print(f"info weights and biases {total_before} -> {total_after} "
          f"({total_before / total_after:.2f}x smaller)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
