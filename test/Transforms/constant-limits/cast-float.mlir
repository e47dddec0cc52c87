// quant-cast-float converts constants to the narrow type: a splat stays a
// splat however large its type; other constants over max-constant-elements
// are an error at the op that reads them.
// RUN: quant-opt %s -split-input-file --quant-cast-float | FileCheck %s
// RUN: not quant-opt %s -split-input-file --quant-cast-float=max-constant-elements=5 2>&1 | FileCheck %s --check-prefix=LIMIT

// CHECK-LABEL: func @huge_splat_weights
// CHECK: arith.constant dense<1.000000e+00> : tensor<4294967296x4xf16>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x4294967296xf16>, tensor<4294967296x4xf16>)
func.func @huge_splat_weights(%x: tensor<1x4294967296xf32>, %z: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4294967296x4xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<1x4294967296xf32>, tensor<4294967296x4xf32>) outs(%z : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %mm : tensor<1x4xf32>
}

// -----

// LIMIT: error: reads a constant of type 'tensor<3x2xf32>' with more than the 5 elements quant-cast-float expands
// CHECK-LABEL: func @small_weights
// CHECK: arith.constant dense<{{.*}}> : tensor<3x2xf16>
func.func @small_weights(%x: tensor<2x3xf32>, %z: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[2.0, 0.5], [-1.0, -0.5], [0.0, 0.25]]> : tensor<3x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %mm : tensor<2x2xf32>
}
