// quant-pack-matmuls repacks weights element by element: a weight constant
// over max-constant-elements is an error at the op that reads it.
// RUN: quant-opt %s -split-input-file --quant-pack-matmuls -verify-diagnostics
// RUN: not quant-opt %s -split-input-file --quant-pack-matmuls=max-constant-elements=3 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not quant-opt %s -split-input-file --quant-pack-matmuls=max-constant-elements=4 2>&1 | FileCheck %s --check-prefix=RAISED

func.func @huge_splat_weights(%a: tensor<1x4294967296x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<1x4x!quant.uniform<i8:f32, 2.0:-2>> {
  %w8 = arith.constant dense<1> : tensor<4294967296x4xi8>
  %w = quant.scast %w8 : tensor<4294967296x4xi8> to tensor<4294967296x4x!quant.uniform<i8:f32, 1.0>>
  // expected-error @+1 {{reads a constant of type 'tensor<4294967296x4xi8>' with more than the 67108864 elements quant-pack-matmuls expands}}
  %y = qnn.matmul %a, %w : tensor<1x4294967296x!quant.uniform<i8:f32, 0.5:1>>, tensor<4294967296x4x!quant.uniform<i8:f32, 1.0>> -> tensor<1x4x!quant.uniform<i8:f32, 2.0:-2>>
  return %y : tensor<1x4x!quant.uniform<i8:f32, 2.0:-2>>
}

// -----

func.func @huge_splat_float_weights(%x: tensor<1x4294967296xf32>, %z: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4294967296x4xf32>
  // expected-error @+1 {{reads a constant of type 'tensor<4294967296x4xf32>' with more than the 67108864 elements quant-pack-matmuls expands}}
  %mm = linalg.matmul ins(%x, %w : tensor<1x4294967296xf32>, tensor<4294967296x4xf32>) outs(%z : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %mm : tensor<1x4xf32>
}

// -----

// LIMIT: error: reads a constant of type 'tensor<2x2xi8>' with more than the 3 elements quant-pack-matmuls expands
// RAISED-LABEL: func @small_weights
// RAISED: qnn.packed_matmul
func.func @small_weights(%a: tensor<3x2x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<3x2x!quant.uniform<i8:f32, 2.0:-2>> {
  %w8 = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %w = quant.scast %w8 : tensor<2x2xi8> to tensor<2x2x!quant.uniform<i8:f32, 1.0>>
  %y = qnn.matmul %a, %w : tensor<3x2x!quant.uniform<i8:f32, 0.5:1>>, tensor<2x2x!quant.uniform<i8:f32, 1.0>> -> tensor<3x2x!quant.uniform<i8:f32, 2.0:-2>>
  return %y : tensor<3x2x!quant.uniform<i8:f32, 2.0:-2>>
}
