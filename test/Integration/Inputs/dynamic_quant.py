"""Execution test of qnn.dynamic_quantize and qnn.matmul_integer against
ONNX DynamicQuantizeLinear / MatMulInteger in NumPy.

  dynamic_quant.py model DIR        writes DIR/model.mlir and inputs
  dynamic_quant.py check DIR OUT    compares the outputs in OUT bit for bit
  dynamic_quant.py check-matmuls DIR OUT   only the constant-weight matmuls

The mmi_* functions have constant weights, which the CPU pipeline packs
(the accumulator form with the run-time lhs zero point): unsigned and
signed weights with zero points, unsigned and signed activations, tails in
K (not a multiple of 4) and N (not a multiple of 16).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from quantopt import reference as ref  # noqa: E402

rng = np.random.default_rng(3)
DATA = {
    "normal": rng.normal(0.5, 3, (4, 16)).astype(np.float32),
    "positive": rng.random((4, 16)).astype(np.float32) * 5 + 1,
    "zeros": np.zeros((4, 16), np.float32),
    "specials": np.concatenate([rng.normal(0, 1, 61), [np.nan, np.inf, -np.inf]]).astype(np.float32).reshape(4, 16),
}
A = rng.integers(0, 256, (4, 16))
B = rng.integers(-128, 128, (16, 8))
AZ = 131
# Constant-weight cases: name -> (lhs dtype, lhs, lhs zp, rhs dtype, rhs, rhs zp).
CONST = {
    "mmi_s8w": ("ui8", rng.integers(0, 256, (5, 18)), 131, "i8", rng.integers(-128, 128, (18, 20)), -3),
    "mmi_u8w": ("ui8", rng.integers(0, 256, (5, 18)), 7, "ui8", rng.integers(0, 256, (18, 20)), 140),
    "mmi_i8a": ("i8", rng.integers(-128, 128, (3, 36)), -5, "i8", rng.integers(-128, 128, (36, 33)), 0),
}
NP = {"ui8": np.uint8, "i8": np.int8}


def const_case(name, at, a, az, bt, b, bz):
    (m, k), n = a.shape, b.shape[1]
    return f"""
func.func @{name}(%a: tensor<{m}x{k}x{at}>, %z: tensor<{at}>) -> tensor<{m}x{n}xi32> {{
  %b = arith.constant dense<{b.tolist()}> : tensor<{k}x{n}x{bt}>
  %y = qnn.matmul_integer %a, %b zero_point %z {{rhs_zero_point = {bz} : i64}} : tensor<{m}x{k}x{at}>, tensor<{k}x{n}x{bt}>, tensor<{at}> -> tensor<{m}x{n}xi32>
  return %y : tensor<{m}x{n}xi32>
}}"""


def model(d):
    print("""func.func @dq_u8(%x: tensor<4x16xf32>) -> (tensor<4x16xui8>, tensor<f32>, tensor<ui8>) {
  %q, %s, %z = qnn.dynamic_quantize %x : tensor<4x16xf32> -> tensor<4x16xui8>, tensor<f32>, tensor<ui8>
  return %q, %s, %z : tensor<4x16xui8>, tensor<f32>, tensor<ui8>
}

func.func @dq_i8_sym(%x: tensor<4x16xf32>) -> (tensor<4x16xi8>, tensor<f32>, tensor<i8>) {
  %q, %s, %z = qnn.dynamic_quantize %x {symmetric = true} : tensor<4x16xf32> -> tensor<4x16xi8>, tensor<f32>, tensor<i8>
  return %q, %s, %z : tensor<4x16xi8>, tensor<f32>, tensor<i8>
}

func.func @dq_u8_rr(%x: tensor<4x16xf32>) -> (tensor<4x16xui8>, tensor<f32>, tensor<ui8>) {
  %q, %s, %z = qnn.dynamic_quantize %x {reduce_range = true} : tensor<4x16xf32> -> tensor<4x16xui8>, tensor<f32>, tensor<ui8>
  return %q, %s, %z : tensor<4x16xui8>, tensor<f32>, tensor<ui8>
}

func.func @dq_i8_sym_rr(%x: tensor<4x16xf32>) -> (tensor<4x16xi8>, tensor<f32>, tensor<i8>) {
  %q, %s, %z = qnn.dynamic_quantize %x {symmetric = true, reduce_range = true} : tensor<4x16xf32> -> tensor<4x16xi8>, tensor<f32>, tensor<i8>
  return %q, %s, %z : tensor<4x16xi8>, tensor<f32>, tensor<i8>
}

func.func @mmi(%a: tensor<4x16xui8>, %b: tensor<16x8xi8>, %z: tensor<ui8>) -> tensor<4x8xi32> {
  %y = qnn.matmul_integer %a, %b zero_point %z {rhs_zero_point = -3 : i64} : tensor<4x16xui8>, tensor<16x8xi8>, tensor<ui8> -> tensor<4x8xi32>
  return %y : tensor<4x8xi32>
}""" + "".join(const_case(name, *c) for name, c in CONST.items()),
          file=open(os.path.join(d, "model.mlir"), "w"))
    for name, x in DATA.items():
        np.save(os.path.join(d, f"x-{name}.npy"), x)
    np.savez(os.path.join(d, "mmi.npz"), a=A.astype(np.uint8), b=B.astype(np.int8),
             z=np.array(AZ, np.uint8))
    for name, (at, a, az, _, _, _) in CONST.items():
        np.savez(os.path.join(d, f"{name}.npz"), a=a.astype(NP[at]), z=np.array(az, NP[at]))


def check_const_matmuls(out):
    """The constant-weight matmul_integer cases only; returns the failures."""
    bad = 0
    for name, (_, a, az, _, b, bz) in CONST.items():
        got = np.load(os.path.join(out, f"{name}-out.npy"))
        same = np.array_equal(got, ref.matmul_integer(a, b, az, bz))
        print(f"{'ok' if same else 'FAIL'} matmul_integer {name}")
        bad += not same
    return bad


def check(d, out):
    bad = 0
    for name, x in DATA.items():
        for fn, sym, rr in (("dq_u8", False, False), ("dq_i8_sym", True, False),
                            ("dq_u8_rr", False, True), ("dq_i8_sym_rr", True, True)):
            q, s, z = ref.dynamic_quantize_linear(x, symmetric=sym, reduce_range=rr)
            got = [np.load(os.path.join(out, f"{fn}-{name}-{i}.npy")) for i in range(3)]
            same = (np.array_equal(got[0].astype(np.int64), q) and
                    got[1].astype(np.float32).tobytes() == np.float32(s).tobytes() and
                    int(got[2]) == z)
            print(f"{'ok' if same else 'FAIL'} {fn} {name}" +
                  ("" if same else f": scale {got[1]} vs {s}, zp {got[2]} vs {z}, "
                   f"{np.count_nonzero(got[0].astype(np.int64) != q)} values differ"))
            bad += not same
    got = np.load(os.path.join(out, "mmi-out.npy"))
    same = np.array_equal(got, ref.matmul_integer(A, B, AZ, -3))
    print(f"{'ok' if same else 'FAIL'} matmul_integer")
    bad += not same
    bad += check_const_matmuls(out)
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "model":
        model(sys.argv[2])
        sys.exit(0)
    if sys.argv[1] == "check-matmuls":
        sys.exit(1 if check_const_matmuls(sys.argv[3]) else 0)
    sys.exit(check(sys.argv[2], sys.argv[3]))
