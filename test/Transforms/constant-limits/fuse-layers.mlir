// quant-fuse-layers scales the weights of each output channel when it
// folds batch norm: a weight constant over max-constant-elements is an error
// at the matmul.
// RUN: quant-opt %s -split-input-file --quant-fuse-layers -verify-diagnostics
// RUN: not quant-opt %s -split-input-file --quant-fuse-layers=max-constant-elements=5 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not quant-opt %s -split-input-file --quant-fuse-layers=max-constant-elements=6 2>&1 | FileCheck %s --check-prefix=RAISED

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

func.func @huge_splat_weights(%x: tensor<1x4294967296xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4294967296x4xf32>
  %s = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  // expected-error @+1 {{reads a constant of type 'tensor<4294967296x4xf32>' with more than the 67108864 elements quant-fuse-layers expands}}
  %mm = linalg.matmul ins(%x, %w : tensor<1x4294967296xf32>, tensor<4294967296x4xf32>) outs(%z : tensor<1x4xf32>) -> tensor<1x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %s : tensor<1x4xf32>, tensor<4xf32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%in: f32, %c: f32, %o: f32):
    %m = arith.mulf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// LIMIT: error: reads a constant of type 'tensor<3x2xf32>' with more than the 5 elements quant-fuse-layers expands
// RAISED-LABEL: func @small_weights
// RAISED: arith.constant dense<{{\[}}[4.000000e+00, 1.500000e+00], [-2.000000e+00, -1.500000e+00], [0.000000e+00, 7.500000e-01]]> : tensor<3x2xf32>
func.func @small_weights(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[2.0, 0.5], [-1.0, -0.5], [0.0, 0.25]]> : tensor<3x2xf32>
  %s = arith.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %s : tensor<2x2xf32>, tensor<2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%in: f32, %c: f32, %o: f32):
    %m = arith.mulf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}
