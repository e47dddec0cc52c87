// quant-dynamic-quantize quantizes the weights at compile time: a weight
// constant over max-constant-elements is an error at the matmul.
// RUN: quant-opt %s -split-input-file --quant-dynamic-quantize -verify-diagnostics
// RUN: not quant-opt %s -split-input-file --quant-dynamic-quantize=max-constant-elements=5 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not quant-opt %s -split-input-file --quant-dynamic-quantize=max-constant-elements=6 2>&1 | FileCheck %s --check-prefix=RAISED

func.func @huge_splat_weights(%x: tensor<1x4294967296xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4294967296x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  // expected-error @+1 {{reads a constant of type 'tensor<4294967296x4xf32>' with more than the 67108864 elements quant-dynamic-quantize expands}}
  %mm = linalg.matmul ins(%x, %w : tensor<1x4294967296xf32>, tensor<4294967296x4xf32>) outs(%z : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %mm : tensor<1x4xf32>
}

// -----

// LIMIT: error: reads a constant of type 'tensor<3x2xf32>' with more than the 5 elements quant-dynamic-quantize expands
// RAISED-LABEL: func @small_weights
// RAISED: qnn.matmul_integer
func.func @small_weights(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[2.0, 0.5], [-1.0, -0.5], [0.0, 0.25]]> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %mm : tensor<2x2xf32>
}
