"""Average pooling through quant-rewrite-int8 and both lowerings against
ONNX Runtime's QLinearAveragePool semantics in NumPy: the window sum of
q - zp (a counted zero padding adds nothing), times the f32 multiplier
scale_in / (count * scale_out) in f64, rounded half to even, plus the
output zero point, saturated.

Usage: average_pool_int8.py model DIR   (writes avg.mlir and the input)
       average_pool_int8.py check DIR   (compares the outputs)
"""
import os
import sys

import numpy as np

MODE, DIR = sys.argv[1], sys.argv[2]
# (name, storage, scale_in, zp_in, scale_out, zp_out, kernel, stride, pad)
CASES = [("i8_padded", "i8", 0.05, 3, 0.02, -5, 3, 2, 1),
         ("u8_valid", "u8", 0.1, 128, 0.07, 120, 2, 2, 0)]
H = W = 7


def case_mlir(name, storage, s_in, z_in, s_out, z_out, k, stride, pad):
    qa = f"!quant.uniform<{storage}:f32, {s_in!r}:{z_in}>"
    qo = f"!quant.uniform<{storage}:f32, {s_out!r}:{z_out}>"
    hp = H + 2 * pad
    o = (hp - k) // stride + 1
    return f"""
func.func @{name}(%a: tensor<1x2x{H}x{W}x{qa}>) -> tensor<1x2x{o}x{o}x{qo}> {{
  %zero = arith.constant 0.0 : f32
  %n = arith.constant {float(k * k)!r} : f32
  %x = qnn.dequantize %a : tensor<1x2x{H}x{W}x{qa}> -> tensor<1x2x{H}x{W}xf32>
  %xp = tensor.pad %x low[0, 0, {pad}, {pad}] high[0, 0, {pad}, {pad}] {{
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %zero : f32
  }} : tensor<1x2x{H}x{W}xf32> to tensor<1x2x{hp}x{hp}xf32>
  %w = tensor.empty() : tensor<{k}x{k}xf32>
  %e = tensor.empty() : tensor<1x2x{o}x{o}xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x{o}x{o}xf32>) -> tensor<1x2x{o}x{o}xf32>
  %s = linalg.pooling_nchw_sum {{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}
      ins(%xp, %w : tensor<1x2x{hp}x{hp}xf32>, tensor<{k}x{k}xf32>) outs(%z : tensor<1x2x{o}x{o}xf32>) -> tensor<1x2x{o}x{o}xf32>
  %avg = linalg.generic {{indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}}
      ins(%s : tensor<1x2x{o}x{o}xf32>) outs(%e : tensor<1x2x{o}x{o}xf32>) {{
  ^bb0(%in: f32, %out: f32):
    %d = arith.divf %in, %n : f32
    linalg.yield %d : f32
  }} -> tensor<1x2x{o}x{o}xf32>
  %q = qnn.quantize %avg : tensor<1x2x{o}x{o}xf32> -> tensor<1x2x{o}x{o}x{qo}>
  return %q : tensor<1x2x{o}x{o}x{qo}>
}}
"""


def expected(q, storage, s_in, z_in, s_out, z_out, k, stride, pad):
    centered = np.pad(q.astype(np.int64) - z_in, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    o = (H + 2 * pad - k) // stride + 1
    sums = np.array([[[[centered[0, c, i * stride:i * stride + k, j * stride:j * stride + k].sum()
                        for j in range(o)] for i in range(o)] for c in range(2)]])
    multiplier = np.float64(np.float32(np.float64(s_in) / k / k / np.float64(s_out)))
    lo, hi = (-128, 127) if storage == "i8" else (0, 255)
    return np.clip(np.rint(sums * multiplier) + z_out, lo, hi)


rng = np.random.default_rng(5)
if MODE == "model":
    os.makedirs(DIR, exist_ok=True)
    with open(os.path.join(DIR, "avg.mlir"), "w") as f:
        f.write("".join(case_mlir(*c) for c in CASES))
    for name, storage, *_ in CASES:
        dtype = np.int8 if storage == "i8" else np.uint8
        info = np.iinfo(dtype)
        np.save(os.path.join(DIR, f"in-{name}.npy"), rng.integers(info.min, info.max + 1, (1, 2, H, W)).astype(dtype))
else:
    for case in CASES:
        name = case[0]
        q = np.load(os.path.join(DIR, f"in-{name}.npy"))
        want = expected(q, *case[1:])
        ref, cpu = (np.load(os.path.join(DIR, f"{p}-{name}.npy")) for p in ("ref", "cpu"))
        print(f"{'ok' if ref.tobytes() == cpu.tobytes() else 'FAIL'} {name}: cpu pipeline bit-exact with the reference")
        print(f"{'ok' if np.array_equal(ref.astype(np.int64), want) else 'FAIL'} {name}: equal to NumPy "
              f"(max diff {np.abs(ref.astype(np.int64) - want).max()})")
