"""Writes the GEMM benchmark models: one INT8 (qnn.matmul, per-channel
constant i8 weights, i8 activations, bias), one already-integer
(linalg.matmul i8 x i8 -> i32, the same weights) and one FP32
(linalg.matmul, constant weights) function per shape, plus random inputs.

  gemm_model.py DIR M K N      writes DIR/int8.mlir, DIR/i32.mlir,
                               DIR/f32.mlir, DIR/x_i8.npy, DIR/x_f32.npy
"""
import os
import sys

import numpy as np


def hexblob(a):
    """A dense literal's body as one hex blob (quick to parse for large
    constants)."""
    return f'"0x{a.tobytes().hex().upper()}"'


def int8_weights(rng, shape):
    """Random i8 weights of `shape` (output channels last), an i32 bias and
    per-channel scales as a quant type's list."""
    n = shape[-1]
    w = rng.integers(-127, 128, shape, dtype=np.int8)
    bias = rng.integers(-1000, 1000, n, dtype=np.int32)
    scales = ", ".join(f"{s!r}" for s in (0.001 + rng.random(n) * 0.001))
    return w, bias, scales


def main(d, m, k, n):
    rng = np.random.default_rng(0)
    os.makedirs(d, exist_ok=True)
    w, bias, scales = int8_weights(rng, (k, n))
    a_t = f"tensor<{m}x{k}x!quant.uniform<i8:f32, 0.05:3>>"
    w_t = f"tensor<{k}x{n}x!quant.uniform<i8<-127:127>:f32:1, {{{scales}}}>>"
    y_t = f"tensor<{m}x{n}x!quant.uniform<i8:f32, 0.5:-2>>"
    with open(os.path.join(d, "int8.mlir"), "w") as f:
        f.write(f"""func.func @main(%x: {a_t}) -> {y_t} {{
  %w8 = arith.constant dense<{hexblob(w)}> : tensor<{k}x{n}xi8>
  %w = quant.scast %w8 : tensor<{k}x{n}xi8> to {w_t}
  %b = arith.constant dense<{hexblob(bias)}> : tensor<{n}xi32>
  %y = qnn.matmul %x, %w bias %b : {a_t}, {w_t}, tensor<{n}xi32> -> {y_t}
  return %y : {y_t}
}}
""")
    wf = (rng.standard_normal((k, n)) * 0.05).astype(np.float32)
    with open(os.path.join(d, "f32.mlir"), "w") as f:
        f.write(f"""func.func @main(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
  %w = arith.constant dense<{hexblob(wf)}> : tensor<{k}x{n}xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %y = linalg.matmul ins(%x, %w : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%init : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}
""")
    # The same GEMM as frontends that quantize themselves write it: i8 x i8
    # -> i32 linalg.matmul (the accumulator form of the packed kernels).
    with open(os.path.join(d, "i32.mlir"), "w") as f:
        f.write(f"""func.func @main(%x: tensor<{m}x{k}xi8>) -> tensor<{m}x{n}xi32> {{
  %w = arith.constant dense<{hexblob(w)}> : tensor<{k}x{n}xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<{m}x{n}xi32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  %y = linalg.matmul ins(%x, %w : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) outs(%init : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  return %y : tensor<{m}x{n}xi32>
}}
""")
    np.save(os.path.join(d, "x_i8.npy"), rng.integers(-128, 128, (m, k), dtype=np.int8))
    np.save(os.path.join(d, "x_f32.npy"), rng.standard_normal((m, k)).astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1], *map(int, sys.argv[2:5]))
