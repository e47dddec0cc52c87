"""A QAT-style model: fake-quantized activations and weights around a
matmul with bias and ReLU. qat_model.py model | data DIR | check DIR"""
import os
import sys

import numpy as np

rng = np.random.default_rng(21)
W = rng.normal(0, 0.3, (24, 10)).astype(np.float32)
B = rng.normal(0, 0.1, (10,)).astype(np.float32)
X = rng.normal(0, 1.0, (8, 24)).astype(np.float32)


def dense(a):
    return np.array2string(a, separator=", ", threshold=1 << 30, floatmode="unique",
                           max_line_width=1 << 30)


def model():
    wmax = np.abs(W).max(axis=0).astype(np.float64)
    print(f"""#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: tensor<8x24xf32>) -> tensor<8x10xf32> {{
  %w = arith.constant dense<{dense(W)}> : tensor<24x10xf32>
  %b = arith.constant dense<{dense(B)}> : tensor<10xf32>
  %zero = arith.constant 0.0 : f32
  %xq = qnn.fake_quant %x {{min = array<f64: -3.0>, max = array<f64: 3.0>}} : tensor<8x24xf32>
  %wq = qnn.fake_quant %w {{axis = 1 : i64, min = array<f64: {", ".join(repr(-v) for v in wmax)}>, max = array<f64: {", ".join(repr(v) for v in wmax)}>, narrow_range = true}} : tensor<24x10xf32>
  %e = tensor.empty() : tensor<8x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
  %mm = linalg.matmul ins(%xq, %wq : tensor<8x24xf32>, tensor<24x10xf32>) outs(%z : tensor<8x10xf32>) -> tensor<8x10xf32>
  %r = linalg.generic {{indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%mm, %b : tensor<8x10xf32>, tensor<10xf32>) outs(%e : tensor<8x10xf32>) {{
  ^bb0(%in: f32, %c: f32, %o: f32):
    %s = arith.addf %in, %c : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  }} -> tensor<8x10xf32>
  %y = qnn.fake_quant %r {{min = array<f64: 0.0>, max = array<f64: 4.0>}} : tensor<8x10xf32>
  return %y : tensor<8x10xf32>
}}""")


def main():
    if sys.argv[1] == "model":
        model()
        return 0
    d = sys.argv[2]
    if sys.argv[1] == "data":
        np.save(os.path.join(d, "x.npy"), X)
        return 0
    qdq = np.load(os.path.join(d, "out-qdq.npy"))
    int8 = np.load(os.path.join(d, "out-int8.npy"))
    step = 4.0 / 255.0
    diff = np.abs(qdq - int8)
    ok = diff.max() <= step * 1.0001
    print(f"{'ok' if ok else 'FAIL'} integer program within one output step of the "
          f"fake-quant float program (max diff {diff.max() / step:.2f} steps, "
          f"{np.count_nonzero(diff)} of {diff.size} values differ)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
