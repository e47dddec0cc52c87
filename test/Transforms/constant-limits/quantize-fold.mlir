// The qnn.quantize folder: a per-tensor splat folds to a splat however
// large its type; a constant it would have to expand past the default
// limit is left to run time.
// RUN: quant-opt %s -split-input-file --canonicalize | FileCheck %s

// CHECK-LABEL: func @huge_splat
// CHECK: %[[C:.*]] = arith.constant dense<2> : tensor<4294967296x4xi8>
// CHECK: quant.scast %[[C]]
// CHECK-NOT: qnn.quantize
func.func @huge_splat() -> tensor<4294967296x4x!quant.uniform<i8:f32, 0.5>> {
  %c = arith.constant dense<1.0> : tensor<4294967296x4xf32>
  %q = qnn.quantize %c : tensor<4294967296x4xf32> -> tensor<4294967296x4x!quant.uniform<i8:f32, 0.5>>
  return %q : tensor<4294967296x4x!quant.uniform<i8:f32, 0.5>>
}

// -----

// Per channel, the folded constant would not be a splat: left alone.
// CHECK-LABEL: func @huge_per_axis_splat
// CHECK: qnn.quantize
func.func @huge_per_axis_splat() -> tensor<4294967296x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>> {
  %c = arith.constant dense<1.0> : tensor<4294967296x2xf32>
  %q = qnn.quantize %c : tensor<4294967296x2xf32> -> tensor<4294967296x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
  return %q : tensor<4294967296x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
}

// -----

// CHECK-LABEL: func @small_per_axis_splat
// CHECK: arith.constant dense<{{\[}}[2, 4], [2, 4]]> : tensor<2x2xi8>
func.func @small_per_axis_splat() -> tensor<2x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>> {
  %c = arith.constant dense<1.0> : tensor<2x2xf32>
  %q = qnn.quantize %c : tensor<2x2xf32> -> tensor<2x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
  return %q : tensor<2x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
}
