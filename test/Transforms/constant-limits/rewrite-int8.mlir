// quant-rewrite-int8 quantizes float weights element by element: a weight
// constant over max-constant-elements is an error at the op that reads it
// (a splat of a huge type is a few bytes of IR).
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8 -verify-diagnostics
// RUN: not quant-opt %s -split-input-file --quant-rewrite-int8=max-constant-elements=5 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not quant-opt %s -split-input-file --quant-rewrite-int8=max-constant-elements=6 2>&1 | FileCheck %s --check-prefix=RAISED

!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>

func.func @huge_splat_weights(%a: tensor<1x4x!qa>) -> tensor<1x4294967296x!qy> {
  %w = arith.constant dense<1.0> : tensor<4x4294967296xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x4x!qa> -> tensor<1x4xf32>
  %e = tensor.empty() : tensor<1x4294967296xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4294967296xf32>) -> tensor<1x4294967296xf32>
  // expected-error @+1 {{reads a constant of type 'tensor<4x4294967296xf32>' with more than the 67108864 elements quant-rewrite-int8 expands; raise its max-constant-elements option to allow it}}
  %mm = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x4294967296xf32>) outs(%z : tensor<1x4294967296xf32>) -> tensor<1x4294967296xf32>
  %q = qnn.quantize %mm : tensor<1x4294967296xf32> -> tensor<1x4294967296x!qy>
  return %q : tensor<1x4294967296x!qy>
}

// -----

!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>

// LIMIT: error: reads a constant of type 'tensor<3x2xf32>' with more than the 5 elements quant-rewrite-int8 expands
// RAISED-LABEL: func @small_weights
// RAISED: qnn.matmul
func.func @small_weights(%a: tensor<2x3x!qa>) -> tensor<2x2x!qy> {
  %w = arith.constant dense<[[2.0, 0.5], [-1.0, -0.5], [0.0, 0.25]]> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!qa> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q = qnn.quantize %mm : tensor<2x2xf32> -> tensor<2x2x!qy>
  return %q : tensor<2x2x!qy>
}
