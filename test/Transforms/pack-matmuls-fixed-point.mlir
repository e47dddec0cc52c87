// quant-pack-matmuls=fixed-point=true: the requantize of the packed form is
// the fixed-point one, i32 Q31 multipliers and shifts per column.
// RUN: quant-opt %s --quant-pack-matmuls=fixed-point=true --split-input-file | FileCheck %s

// m = 0.5 * 1.0 / 2.0 = 0.25 = 2^30 / 2^31 * 2^-1: multiplier 2^30, shift -1.
// CHECK-LABEL: func @fixed_point_requantize
// CHECK-DAG: %[[MUL:.*]] = arith.constant dense<[1073741824, 1073741824, 0, {{.*}}]> : tensor<16xi32>
// CHECK-DAG: %[[SH:.*]] = arith.constant dense<[-1, -1, 0, {{.*}}]> : tensor<16xi32>
// CHECK: qnn.packed_matmul
// CHECK-SAME: requantize(%{{.*}}, %[[MUL]] : tensor<16xi32>, tensor<16xi32>) shifts(%[[SH]] : tensor<16xi32>)
// CHECK-NOT: f64
func.func @fixed_point_requantize(%a: tensor<3x2x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<3x2x!quant.uniform<i8:f32, 2.0:-2>> {
  %w8 = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %w = quant.scast %w8 : tensor<2x2xi8> to tensor<2x2x!quant.uniform<i8:f32, 1.0>>
  %y = qnn.matmul %a, %w : tensor<3x2x!quant.uniform<i8:f32, 0.5:1>>, tensor<2x2x!quant.uniform<i8:f32, 1.0>> -> tensor<3x2x!quant.uniform<i8:f32, 2.0:-2>>
  return %y : tensor<3x2x!quant.uniform<i8:f32, 2.0:-2>>
}

// -----

// m = 1e-12 needs a shift below -31: no fixed-point form, so the matmul is
// left for convert-qnn-to-linalg, which reports it.
// CHECK-LABEL: func @multiplier_out_of_range
// CHECK: qnn.matmul
// CHECK-NOT: qnn.packed_matmul
func.func @multiplier_out_of_range(%a: tensor<3x2x!quant.uniform<i8:f32, 1.0e-6>>) -> tensor<3x2x!quant.uniform<i8:f32, 1.0>> {
  %w8 = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %w = quant.scast %w8 : tensor<2x2xi8> to tensor<2x2x!quant.uniform<i8:f32, 1.0e-6>>
  %y = qnn.matmul %a, %w : tensor<3x2x!quant.uniform<i8:f32, 1.0e-6>>, tensor<2x2x!quant.uniform<i8:f32, 1.0e-6>> -> tensor<3x2x!quant.uniform<i8:f32, 1.0>>
  return %y : tensor<3x2x!quant.uniform<i8:f32, 1.0>>
}

// -----

// The convolution form takes the same fixed-point operands; per-channel
// filter scales give per-column multipliers: 0.5 * {1, 0.5} / 2 = 2^-2, 2^-3.
// CHECK-LABEL: func @fixed_point_conv
// CHECK-DAG: %[[MUL:.*]] = arith.constant dense<[1073741824, 1073741824, 0, {{.*}}]> : tensor<16xi32>
// CHECK-DAG: %[[SH:.*]] = arith.constant dense<[-1, -2, 0, {{.*}}]> : tensor<16xi32>
// CHECK: qnn.packed_matmul
// CHECK-SAME: requantize(%{{.*}}, %[[MUL]] : tensor<16xi32>, tensor<16xi32>) shifts(%[[SH]] : tensor<16xi32>)
// CHECK-SAME: window = array<i64: 1, 1>
func.func @fixed_point_conv(%x: tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<1x1x4x2xi8>
  %w = quant.scast %w8 : tensor<1x1x4x2xi8> to tensor<1x1x4x2x!quant.uniform<i8:f32:3, {1.0, 0.5}>>
  %y = qnn.conv2d %x, %w {layout = "nhwc_hwcf"} : tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:3>>, tensor<1x1x4x2x!quant.uniform<i8:f32:3, {1.0, 0.5}>> -> tensor<1x2x2x2x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x2x2x2x!quant.uniform<i8:f32, 2.0>>
}

