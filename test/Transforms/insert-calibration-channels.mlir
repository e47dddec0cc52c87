// quant-insert-calibration{contraction-channels=true}: a contraction's
// inputs are observed per channel along the dimension it sums over (what
// quant-smooth-quant reads); other observers stay per tensor.
// RUN: quant-opt %s --quant-insert-calibration="contraction-channels=true function-boundaries=false" | FileCheck %s
// RUN: quant-opt %s --quant-insert-calibration="function-boundaries=false" | FileCheck %s --check-prefix=OFF

// CHECK-LABEL: func.func @contractions
// CHECK-DAG: qnn.observe %arg0 {{.*}} name("mm.in0") axis(1) : tensor<2x4xf32>
// B read as [N, K], A as [K, M]: A's K is its dimension 0.
// CHECK-DAG: qnn.observe %arg1 {{.*}} name("mmt.in0") axis(0) : tensor<4x2xf32>
// CHECK-DAG: qnn.observe %arg2 {{.*}} name("bmm.in0") axis(2) : tensor<1x2x4xf32>
// CHECK-DAG: qnn.observe %arg3 {{.*}} name("bmm.in1") axis(1) : tensor<1x4x3xf32>
// CHECK: qnn.observe %{{.*}} name("mm.out0") : tensor<2x3xf32>
// CHECK: qnn.observe %{{.*}} name("mmt.out0") : tensor<2x3xf32>
// CHECK: qnn.observe %{{.*}} name("bmm.out0") : tensor<1x2x3xf32>
// CHECK: qnn.observe %{{.*}} name("relu.out0") : tensor<2x3xf32>
// OFF-NOT: axis(
func.func @contractions(%a: tensor<2x4xf32>, %at: tensor<4x2xf32>, %q: tensor<1x2x4xf32>, %k: tensor<1x4x3xf32>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<1x2x3xf32>) {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %wt = arith.constant dense<1.0> : tensor<3x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%a, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32> loc("mm")
  %yt = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%at, %wt : tensor<4x2xf32>, tensor<3x4xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32> loc("mmt")
  %e3 = tensor.empty() : tensor<1x2x3xf32>
  %init3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<1x2x4xf32>, tensor<1x4x3xf32>) outs(%init3 : tensor<1x2x3xf32>) -> tensor<1x2x3xf32> loc("bmm")
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%yt : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.maximumf %v, %z : f32
    linalg.yield %m : f32
  } -> tensor<2x3xf32> loc("relu")
  return %y, %r, %s : tensor<2x3xf32>, tensor<2x3xf32>, tensor<1x2x3xf32>
}

// SmoothQuant's multiply is part of the matmul's input, not an elementwise
// layer: its input is not observed, its result is (as the matmul's input).
// OFF-LABEL: func.func @smoothing
// OFF-NOT: qnn.observe %arg0
// OFF: %[[S:.*]] = linalg.generic {{.*}} attrs = {quantopt.smoothing}
// OFF: qnn.observe %[[S]] {{.*}} name("fc.in0")
// OFF-NOT: name("{{.*}}generic
func.func @smoothing(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %inv = arith.constant dense<[0.5, 1.0, 0.25, 1.0]> : tensor<4xf32>
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %e4 = tensor.empty() : tensor<2x4xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x, %inv : tensor<2x4xf32>, tensor<4xf32>) outs(%e4 : tensor<2x4xf32>) attrs = {quantopt.smoothing} {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%s, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32> loc("fc")
  return %y : tensor<2x3xf32>
}
