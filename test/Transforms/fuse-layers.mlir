// quant-fuse-layers: which matmuls become one unit with their epilogue.
// RUN: quant-opt %s -split-input-file --quant-fuse-layers | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// bias + relu6 (max 0, min 6): fused.
// CHECK-LABEL: func @bias_relu6
// CHECK: linalg.matmul {quantopt.fused}
func.func @bias_relu6(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>, %init: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %b = arith.constant dense<[0.5, -0.5, 1.0]> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %mm = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<2x3xf32>, tensor<3xf32>) outs(%init : tensor<2x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %c, %a : f32
    %r = arith.maximumf %s, %zero : f32
    %r6 = arith.minimumf %r, %six : f32
    linalg.yield %r6 : f32
  } -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Left alone: the matmul result has a second user; the epilogue multiplies;
// the bias is not a constant.
// CHECK-LABEL: func @not_fusible
// CHECK-NOT: quantopt.fused
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @not_fusible(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>, %init: tensor<2x3xf32>, %bias: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %mm = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<2x3xf32>) outs(%init : tensor<2x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x3xf32>
  %mm2 = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm2 : tensor<2x3xf32>) outs(%init : tensor<2x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<2x3xf32>
  %mm3 = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  %biased = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm3, %bias : tensor<2x3xf32>, tensor<3xf32>) outs(%init : tensor<2x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  return %mm, %relu, %biased : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Batch norm after a convolution folds into the filter: channel c's filter
// is scaled by gamma / sqrt(var + eps) (here 2 and 0.5) and what remains,
// beta - mean * scale, becomes a bias add, which merges with the ReLU.
// CHECK-LABEL: func @conv_batchnorm_relu
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[}}[2.000000e+00, 5.000000e-01]]]]> : tensor<1x1x1x2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[-1.000000e+00, 2.500000e+00]> : tensor<2xf32>
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {{{.*}}quantopt.fused{{.*}}} ins(%{{.*}}, %[[W]] :
// CHECK: linalg.generic {{.*}} ins(%[[C]], %[[B]] :
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @conv_batchnorm_relu(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x2xf32> {
  %w = arith.constant dense<1.0> : tensor<1x1x1x2xf32>
  %mean = arith.constant dense<[1.0, -3.0]> : tensor<2xf32>
  %var = arith.constant dense<[3.99, 0.24]> : tensor<2xf32>
  %gamma = arith.constant dense<[4.0, 0.25]> : tensor<2xf32>
  %beta = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %eps = arith.constant 0.01 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x4x1xf32>, tensor<1x1x1x2xf32>) outs(%z : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %bn = linalg.generic {indexing_maps = [#id, #ch, #ch, #ch, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %mean, %var, %gamma, %beta : tensor<1x4x4x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) outs(%e : tensor<1x4x4x2xf32>) {
  ^bb0(%v: f32, %m: f32, %s2: f32, %g: f32, %b: f32, %o: f32):
    %centered = arith.subf %v, %m : f32
    %ve = arith.addf %s2, %eps : f32
    %sd = math.sqrt %ve : f32
    %n = arith.divf %centered, %sd : f32
    %scaled = arith.mulf %n, %g : f32
    %shifted = arith.addf %scaled, %b : f32
    linalg.yield %shifted : f32
  } -> tensor<1x4x4x2xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%bn : tensor<1x4x4x2xf32>) outs(%e : tensor<1x4x4x2xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x2xf32>
  return %relu : tensor<1x4x4x2xf32>
}

// -----

// B as [N, K] (PyTorch's Linear layout): the per-column scale (2, 3) folds
// into B's rows, not its columns: W[n, k] * s[n].
// CHECK-LABEL: func @transposed_weights_scale
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[2.000000e+00, 4.000000e+00], [9.000000e+00, 1.200000e+01]]> : tensor<2x2xf32>
// CHECK: linalg.matmul indexing_maps = {{.*}} ins(%{{.*}}, %[[W]] :
// CHECK-NOT: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @transposed_weights_scale(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %s = arith.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %mm = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%z : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %s : tensor<3x2xf32>, tensor<2xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// torch-mlir's ReLU, select(x > 0, x, 0), after a splat bias folded into the
// body as a scalar: still one unit.
// CHECK-LABEL: func @select_relu_scalar_bias
// CHECK: linalg.matmul {quantopt.fused}
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @select_relu_scalar_bias(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%z : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<3x2xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %b = arith.constant 0.5 : f32
    %c0 = arith.constant 0.0 : f32
    %s = arith.addf %a, %b : f32
    %gt = arith.cmpf ugt, %s, %c0 : f32
    %r = arith.select %gt, %s, %c0 : f32
    linalg.yield %r : f32
  } -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A clamp whose lower bound is above its upper bound is not an activation
// the requantize can express: the matmul stays unfused.
// CHECK-LABEL: func @inverted_clamp
// CHECK: linalg.matmul ins
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @inverted_clamp(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%z : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<3x2xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c6 = arith.constant 6.0 : f32
    %c1 = arith.constant 1.0 : f32
    %lo = arith.minimumf %a, %c1 : f32
    %hi = arith.maximumf %lo, %c6 : f32
    linalg.yield %hi : f32
  } -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
