"""Already-integer linalg.matmul (i8 x constant i8 -> i32), as frontends
that quantize themselves write it, at shapes with every tile remainder.

  integer_matmul.py model DIR     writes DIR/<case>.mlir and DIR/<case>.a.npy
  integer_matmul.py check DIR     compares DIR/<case>.<tag>.npy with NumPy
"""
import os
import sys

import numpy as np

CASES = {"m1": (1, 4, 16), "tails": (5, 70, 40), "wide": (13, 256, 33)}


def weights(k, n):
    return np.random.default_rng(k * 1000 + n).integers(-128, 128, (k, n)).astype(np.int8)


def model(d):
    for name, (m, k, n) in CASES.items():
        w = weights(k, n)
        rows = ", ".join("[" + ", ".join(str(int(v)) for v in row) + "]" for row in w)
        with open(os.path.join(d, f"{name}.mlir"), "w") as f:
            f.write(f"""func.func @main(%a: tensor<{m}x{k}xi8>) -> tensor<{m}x{n}xi32> {{
  %w = arith.constant dense<[{rows}]> : tensor<{k}x{n}xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<{m}x{n}xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  %y = linalg.matmul ins(%a, %w : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) outs(%f : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  return %y : tensor<{m}x{n}xi32>
}}
""")
        a = np.random.default_rng(m).integers(-128, 128, (m, k)).astype(np.int8)
        np.save(os.path.join(d, f"{name}.a.npy"), a)


def check(d, tags):
    for name, (m, k, n) in CASES.items():
        a = np.load(os.path.join(d, f"{name}.a.npy"))
        expected = a.astype(np.int32) @ weights(k, n).astype(np.int32)
        for tag in tags:
            got = np.load(os.path.join(d, f"{name}.{tag}.npy"))
            ok = got.dtype == np.int32 and np.array_equal(got, expected)
            print(f"{'ok' if ok else 'FAIL'} {name} {tag}: exact")


if __name__ == "__main__":
    if sys.argv[1] == "model":
        model(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3:])
