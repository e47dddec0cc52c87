"""Already-integer linalg.matmul (i8 x constant i8 -> i32), as frontends
that quantize themselves write it, at shapes with every tile remainder, and
upstream's linalg.quantized_matmul with constant zero points.

  integer_matmul.py model DIR     writes DIR/<case>.mlir and DIR/<case>.a.npy
  integer_matmul.py check DIR     compares DIR/<case>.<tag>.npy with NumPy
"""
import os
import sys

import numpy as np

# name: (M, K, N, zero points of the activation and the weights or None for
# a plain linalg.matmul)
CASES = {"m1": (1, 4, 16, None), "tails": (5, 70, 40, None),
         "wide": (13, 256, 33, None), "qzp": (7, 36, 20, (3, -2)),
         "qza": (2, 64, 16, (-5, 0))}


def weights(k, n):
    return np.random.default_rng(k * 1000 + n).integers(-128, 128, (k, n)).astype(np.int8)


def op(m, k, n, zps):
    if zps is None:
        return (f"%y = linalg.matmul ins(%a, %w : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) "
                f"outs(%f : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>")
    return (f"%za = arith.constant {zps[0]} : i32\n  %zb = arith.constant {zps[1]} : i32\n"
            f"  %y = linalg.quantized_matmul ins(%a, %w, %za, %zb : tensor<{m}x{k}xi8>, "
            f"tensor<{k}x{n}xi8>, i32, i32) outs(%f : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>")


def model(d):
    for name, (m, k, n, zps) in CASES.items():
        w = weights(k, n)
        rows = ", ".join("[" + ", ".join(str(int(v)) for v in row) + "]" for row in w)
        with open(os.path.join(d, f"{name}.mlir"), "w") as f:
            f.write(f"""func.func @main(%a: tensor<{m}x{k}xi8>) -> tensor<{m}x{n}xi32> {{
  %w = arith.constant dense<[{rows}]> : tensor<{k}x{n}xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<{m}x{n}xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  {op(m, k, n, zps)}
  return %y : tensor<{m}x{n}xi32>
}}
""")
        a = np.random.default_rng(m).integers(-128, 128, (m, k)).astype(np.int8)
        np.save(os.path.join(d, f"{name}.a.npy"), a)


def check(d, tags):
    for name, (m, k, n, zps) in CASES.items():
        a = np.load(os.path.join(d, f"{name}.a.npy"))
        za, zb = zps or (0, 0)
        expected = (a.astype(np.int32) - za) @ (weights(k, n).astype(np.int32) - zb)
        for tag in tags:
            got = np.load(os.path.join(d, f"{name}.{tag}.npy"))
            ok = got.dtype == np.int32 and np.array_equal(got, expected)
            print(f"{'ok' if ok else 'FAIL'} {name} {tag}: exact")


if __name__ == "__main__":
    if sys.argv[1] == "model":
        model(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3:])
