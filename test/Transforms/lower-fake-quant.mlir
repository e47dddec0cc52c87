// quant-lower-fake-quant: fake_quant and upstream QDQ casts to typed pairs.
// RUN: quant-opt %s -split-input-file --quant-lower-fake-quant | FileCheck %s

// min/max [-1, 3] with 8 signed bits: scale 4/255, zero point -64.
// CHECK-LABEL: func @from_range
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[Q:.*]] = qnn.quantize %[[X]] : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.015686274509803921:-64>>
// CHECK: %[[D:.*]] = qnn.dequantize %[[Q]] : tensor<4x!quant.uniform<i8:f32, 0.015686274509803921:-64>> -> tensor<4xf32>
// CHECK-NOT: qnn.fake_quant
// CHECK: return %[[D]]
func.func @from_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = qnn.fake_quant %x {min = array<f64: -1.0>, max = array<f64: 3.0>} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Given scale and zero point, 4 unsigned bits: u8 storage limited to [0, 15].
// CHECK-LABEL: func @four_bits
// CHECK: qnn.quantize %{{.*}} -> tensor<4x!quant.uniform<u8<0:15>:f32, 5.000000e-01:3>>
func.func @four_bits(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = qnn.fake_quant %x {scales = array<f64: 0.5>, zero_points = array<i64: 3>, num_bits = 4, is_signed = false} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Per axis, narrow range: [-1, 1] -> 1/127 and [-2, 2] -> 2/127, zero point 0.
// CHECK-LABEL: func @per_axis_narrow
// CHECK: qnn.quantize %{{.*}} -> tensor<2x3x!quant.uniform<i8<-127:127>:f32:0, {0.0078740157480314959,0.015748031496062992}>>
func.func @per_axis_narrow(%w: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %y = qnn.fake_quant %w {axis = 0 : i64, min = array<f64: -1.0, -2.0>, max = array<f64: 1.0, 2.0>, narrow_range = true} : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// 16 bits use i16 storage; bf16 is the expressed type.
// CHECK-LABEL: func @sixteen_bits
// CHECK: qnn.quantize %{{.*}} : tensor<4xbf16> -> tensor<4x!quant.uniform<i16:bf16, 1.250000e-01>>
func.func @sixteen_bits(%x: tensor<4xbf16>) -> tensor<4xbf16> {
  %y = qnn.fake_quant %x {scales = array<f64: 0.125>, zero_points = array<i64: 0>, num_bits = 16} : tensor<4xbf16>
  return %y : tensor<4xbf16>
}

// -----

// ONNX QDQ pairs as upstream casts become qnn ops, and are not folded away.
// CHECK-LABEL: func @qdq_casts
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[Q:.*]] = qnn.quantize %[[X]] : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 2.500000e-01:1>>
// CHECK: %[[D:.*]] = qnn.dequantize %[[Q]]
// CHECK-NOT: quant.qcast
// CHECK-NOT: quant.dcast
// CHECK: return %[[D]]
func.func @qdq_casts(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.25:1>>
  %d = quant.dcast %q : tensor<4x!quant.uniform<i8:f32, 0.25:1>> to tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// Left alone: scalar and unranked casts (qnn ops are on ranked tensors),
// and existing qnn quantize/dequantize.
// CHECK-LABEL: func @left_alone
// CHECK: quant.qcast %{{.*}} : f32 to
// CHECK: quant.qcast %{{.*}} : tensor<*xf32> to
// CHECK: qnn.quantize
func.func @left_alone(%s: f32, %u: tensor<*xf32>, %x: tensor<4xf32>) -> (!quant.uniform<i8:f32, 0.5>, tensor<*x!quant.uniform<i8:f32, 0.5>>, tensor<4x!quant.uniform<i8:f32, 0.5>>) {
  %a = quant.qcast %s : f32 to !quant.uniform<i8:f32, 0.5>
  %b = quant.qcast %u : tensor<*xf32> to tensor<*x!quant.uniform<i8:f32, 0.5>>
  %c = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %a, %b, %c : !quant.uniform<i8:f32, 0.5>, tensor<*x!quant.uniform<i8:f32, 0.5>>, tensor<4x!quant.uniform<i8:f32, 0.5>>
}
