// quant-smooth-quant: channel scales s = max|x|^a / max|w|^(1-a) from the
// per-channel statistics; weights' rows times s, activations divided by s
// (folded into a per-channel affine when nothing else reads it).
// Inputs/smooth-stats.json: max|x| = [4, 1, 16, 0] for every observer, and
// each weight's rows have max |w| 1, so at alpha 0.5 s = [2, 1, 4, 1] (the
// dead channel keeps 1).
// RUN: quant-opt %s -split-input-file --quant-smooth-quant="stats=%S/Inputs/smooth-stats.json" 2>/dev/null | FileCheck %s
// RUN: quant-opt %s -split-input-file --quant-smooth-quant="stats=%S/Inputs/smooth-stats.json" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s -split-input-file --quant-smooth-quant="stats=%S/Inputs/smooth-stats.json alpha=0" 2>/dev/null | FileCheck %s --check-prefix=ALPHA0

// Each smoothed activation is named, with where 1/s went; attention's
// Q K^T (both operands activations) is said to be left alone, once.
// REMARK: smooth-quant.mlir:[[@LINE+43]]:9: remark: smoothed for 1 contraction(s): channel scales in [1, 4] (alpha 0.5), 1/s folded into the per-channel affine at ln/Mul
// REMARK: remark: smoothed for 1 contraction(s): {{.*}}, 1/s a quantopt.smoothing multiply before them
// REMARK: remark: smoothed for 1 contraction(s): {{.*}}, 1/s a quantopt.smoothing multiply before them
// REMARK: remark: smoothed for 1 contraction(s): {{.*}}, 1/s folded into the per-channel affine at
// REMARK: remark: not smoothed: its other operand is not an f32 constant (a run-time activation, as attention's Q K^T or P V, cannot be scaled at compile time)
// REMARK-NOT: remark:

#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>

// LayerNorm's affine (x * gamma + beta) read by the matmul alone: 1/s goes
// into gamma and beta, no multiply is added.
// CHECK-LABEL: func.func @fold
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[5.000000e-01, 2.000000e+00, 7.500000e-01, 4.000000e+00]> : tensor<4xf32>
// CHECK: %[[SCALED:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[GAMMA]] :
// CHECK: %[[BETA:.*]] = arith.constant dense<[2.500000e-01, 5.000000e-01, 2.500000e-01, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[SHIFTED:.*]] = linalg.generic {{.*}} ins(%[[SCALED]], %[[BETA]] :
// CHECK-NOT: qnn.observe
// CHECK-NOT: quantopt.smoothing
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[2.000000e+00, -1.000000e+00, 5.000000e-01], [5.000000e-01, 1.000000e+00, 0.000000e+00], [-4.000000e+00, 2.000000e+00, 2.000000e+00], [1.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<4x3xf32>
// CHECK-NOT: qnn.observe
// CHECK: linalg.matmul ins(%[[SHIFTED]], %[[W]] :
// ALPHA0-LABEL: func.func @fold
// At alpha 0, s = 1 / max|w| = 1: nothing changes.
// ALPHA0-DAG: arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// ALPHA0-DAG: arith.constant dense<{{\[}}[1.000000e+00, -5.000000e-01, 2.500000e-01], [5.000000e-01, 1.000000e+00, 0.000000e+00], [-1.000000e+00, 5.000000e-01, 5.000000e-01], [1.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<4x3xf32>
func.func @fold(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %gamma = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %beta = arith.constant dense<[0.5, 0.5, 1.0, 1.0]> : tensor<4xf32>
  %w = arith.constant dense<[[1.0, -0.5, 0.25], [0.5, 1.0, 0.0], [-1.0, 0.5, 0.5], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %gamma : tensor<2x4xf32>, tensor<4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32> loc("ln/Mul")
  %shifted = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%scaled, %beta : tensor<2x4xf32>, tensor<4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32> loc("ln/Add")
  %in = qnn.observe %shifted id(0) name("fold") axis(1) : tensor<2x4xf32>
  %z = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%in, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  %out = qnn.observe %y id(6) name("no-axis") : tensor<2x3xf32>
  return %out : tensor<2x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>

// The affine's result is also a residual: it keeps its values, and a
// multiply by 1/s feeds the matmul.
// CHECK-LABEL: func.func @residual
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK: %[[LN:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[GAMMA]] :
// CHECK: %[[INV:.*]] = arith.constant dense<[5.000000e-01, 1.000000e+00, 2.500000e-01, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[DIV:.*]] = linalg.generic {{.*}} ins(%[[LN]], %[[INV]] : tensor<2x4xf32>, tensor<4xf32>) {{.*}} attrs = {quantopt.smoothing}
// CHECK: arith.mulf
// CHECK: linalg.matmul ins(%[[DIV]], %{{.*}} :
// CHECK: linalg.generic {{.*}} ins(%[[LN]], %{{.*}} :
func.func @residual(%x: tensor<2x4xf32>, %r: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x4xf32>) {
  %gamma = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w = arith.constant dense<[[1.0, -0.5, 0.25], [0.5, 1.0, 0.0], [-1.0, 0.5, 0.5], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %ln = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %gamma : tensor<2x4xf32>, tensor<4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %in = qnn.observe %ln id(1) name("residual") axis(1) : tensor<2x4xf32>
  %z = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%in, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%in, %x : tensor<2x4xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  return %y, %sum : tensor<2x3xf32>, tensor<2x4xf32>
}

// -----

// B read as [N, K] (PyTorch's Linear layout): its columns are scaled. A
// function argument has no affine to fold into.
// CHECK-LABEL: func.func @transposed
// CHECK: %[[DIV:.*]] = linalg.generic {{.*}} attrs = {quantopt.smoothing}
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[2.000000e+00, 5.000000e-01, -4.000000e+00, 1.000000e+00], [-1.000000e+00, 1.000000e+00, 2.000000e+00, 1.000000e+00], [5.000000e-01, 0.000000e+00, 2.000000e+00, 1.000000e+00]]> : tensor<3x4xf32>
// CHECK: linalg.matmul {{.*}} ins(%[[DIV]], %[[W]] :
func.func @transposed(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %wt = arith.constant dense<[[1.0, 0.5, -1.0, 1.0], [-0.5, 1.0, 0.5, 1.0], [0.25, 0.0, 0.5, 1.0]]> : tensor<3x4xf32>
  %in = qnn.observe %x id(2) name("transposed") axis(1) : tensor<2x4xf32>
  %z = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%in, %wt : tensor<2x4xf32>, tensor<3x4xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#ch3 = affine_map<(d0, d1, d2) -> (d2)>

// Through a reshape that keeps the channel dimension.
// CHECK-LABEL: func.func @reshaped
// CHECK-DAG: arith.constant dense<[5.000000e-01, 2.000000e+00, 7.500000e-01, 4.000000e+00]> : tensor<4xf32>
// CHECK-NOT: quantopt.smoothing
// CHECK: tensor.collapse_shape
// CHECK: linalg.matmul
func.func @reshaped(%x: tensor<1x2x4xf32>) -> tensor<2x3xf32> {
  %gamma = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w = arith.constant dense<[[1.0, -0.5, 0.25], [0.5, 1.0, 0.0], [-1.0, 0.5, 0.5], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>
  %e = tensor.empty() : tensor<1x2x4xf32>
  %ln = linalg.generic {indexing_maps = [#id3, #ch3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %gamma : tensor<1x2x4xf32>, tensor<4xf32>) outs(%e : tensor<1x2x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<1x2x4xf32>
  %flat = tensor.collapse_shape %ln [[0, 1], [2]] : tensor<1x2x4xf32> into tensor<2x4xf32>
  %in = qnn.observe %flat id(5) name("reshaped") axis(1) : tensor<2x4xf32>
  %z = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%in, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Attention's Q K^T: both operands are activations; it is left alone.
// CHECK-LABEL: func.func @scores
// CHECK-NOT: qnn.observe
// CHECK: linalg.batch_matmul ins(%arg0, %arg1 :
func.func @scores(%q: tensor<1x2x4xf32>, %k: tensor<1x4x2xf32>) -> tensor<1x2x2xf32> {
  %a = qnn.observe %q id(3) name("scores.in0") axis(2) : tensor<1x2x4xf32>
  %b = qnn.observe %k id(4) name("scores.in1") axis(1) : tensor<1x4x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x2xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<1x2x2xf32>) -> tensor<1x2x2xf32>
  %s = linalg.batch_matmul ins(%a, %b : tensor<1x2x4xf32>, tensor<1x4x2xf32>) outs(%init : tensor<1x2x2xf32>) -> tensor<1x2x2xf32>
  return %s : tensor<1x2x2xf32>
}
