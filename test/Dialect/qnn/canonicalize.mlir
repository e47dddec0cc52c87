// Folders and canonicalization patterns of the qnn ops: what folds, and what
// must not because it would change numerics.
// RUN: quant-opt %s -split-input-file -canonicalize | FileCheck %s

// CHECK-LABEL: func @requantize_same_type
// CHECK-SAME: (%[[Q:.*]]: tensor
// CHECK-NOT: qnn.requantize
// CHECK: return %[[Q]]
func.func @requantize_same_type(%q: tensor<4x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<4x!quant.uniform<i8:f32, 0.5:1>> {
  %r = qnn.requantize %q : tensor<4x!quant.uniform<i8:f32, 0.5:1>> -> tensor<4x!quant.uniform<i8:f32, 0.5:1>>
  return %r : tensor<4x!quant.uniform<i8:f32, 0.5:1>>
}

// -----

// CHECK-LABEL: func @requantize_other_type
// CHECK: qnn.requantize
func.func @requantize_other_type(%q: tensor<4x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<4x!quant.uniform<i8:f32, 0.5:2>> {
  %r = qnn.requantize %q : tensor<4x!quant.uniform<i8:f32, 0.5:1>> -> tensor<4x!quant.uniform<i8:f32, 0.5:2>>
  return %r : tensor<4x!quant.uniform<i8:f32, 0.5:2>>
}

// -----

// The round trip is the identity on every i8 value at this scale.
// CHECK-LABEL: func @quantize_of_dequantize
// CHECK-SAME: (%[[Q:.*]]: tensor
// CHECK-NOT: qnn.
// CHECK: return %[[Q]]
func.func @quantize_of_dequantize(%q: tensor<4x!quant.uniform<i8:f32, 0.1:-3>>) -> tensor<4x!quant.uniform<i8:f32, 0.1:-3>> {
  %x = qnn.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.1:-3>> -> tensor<4xf32>
  %r = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.1:-3>>
  return %r : tensor<4x!quant.uniform<i8:f32, 0.1:-3>>
}

// -----

// CHECK-LABEL: func @quantize_of_dequantize_per_axis
// CHECK-SAME: (%[[Q:.*]]: tensor
// CHECK-NOT: qnn.
// CHECK: return %[[Q]]
func.func @quantize_of_dequantize_per_axis(%q: tensor<2x3x!quant.uniform<u8:f32:0, {0.1:128, 0.02:7}>>) -> tensor<2x3x!quant.uniform<u8:f32:0, {0.1:128, 0.02:7}>> {
  %x = qnn.dequantize %q : tensor<2x3x!quant.uniform<u8:f32:0, {0.1:128, 0.02:7}>> -> tensor<2x3xf32>
  %r = qnn.quantize %x : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<u8:f32:0, {0.1:128, 0.02:7}>>
  return %r : tensor<2x3x!quant.uniform<u8:f32:0, {0.1:128, 0.02:7}>>
}

// -----

// At scale 3e38, q = 2 dequantizes to +inf, which quantizes back to 127: the
// round trip is not exact, so nothing folds.
// CHECK-LABEL: func @quantize_of_dequantize_inexact
// CHECK: qnn.dequantize
// CHECK: qnn.quantize
func.func @quantize_of_dequantize_inexact(%q: tensor<4x!quant.uniform<i8:f32, 3.0e38>>) -> tensor<4x!quant.uniform<i8:f32, 3.0e38>> {
  %x = qnn.dequantize %q : tensor<4x!quant.uniform<i8:f32, 3.0e38>> -> tensor<4xf32>
  %r = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 3.0e38>>
  return %r : tensor<4x!quant.uniform<i8:f32, 3.0e38>>
}

// -----

// CHECK-LABEL: func @quantize_of_dequantize_other_type
// CHECK: qnn.dequantize
// CHECK: qnn.quantize
func.func @quantize_of_dequantize_other_type(%q: tensor<4x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x!quant.uniform<i8:f32, 0.2>> {
  %x = qnn.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4xf32>
  %r = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.2>>
  return %r : tensor<4x!quant.uniform<i8:f32, 0.2>>
}

// -----

// dequantize(quantize(x)) is x plus quantization error: never folded.
// CHECK-LABEL: func @dequantize_of_quantize
// CHECK: %[[Q:.*]] = qnn.quantize
// CHECK: %[[X:.*]] = qnn.dequantize %[[Q]]
// CHECK: return %[[X]]
func.func @dequantize_of_quantize(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  %y = qnn.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// x / 0.5 = 2.5, -2.5, 3.5, -3.5 round half to even; then + 1; 2000
// saturates; NaN gives the zero point; -inf saturates; 0.3 / 0.5 = 0.6.
// CHECK-LABEL: func @quantize_constant
// CHECK: %[[C:.*]] = arith.constant dense<[3, -1, 5, -3, 127, 1, -128, 2]> : tensor<8xi8>
// CHECK: %[[Q:.*]] = quant.scast %[[C]] : tensor<8xi8> to tensor<8x!quant.uniform<i8:f32, 5.000000e-01:1>>
// CHECK-NOT: qnn.quantize
// CHECK: return %[[Q]]
func.func @quantize_constant() -> tensor<8x!quant.uniform<i8:f32, 0.5:1>> {
  %x = arith.constant dense<[1.25, -1.25, 1.75, -1.75, 1000.0, 0x7FC00000, 0xFF800000, 0.3]> : tensor<8xf32>
  %q = qnn.quantize %x : tensor<8xf32> -> tensor<8x!quant.uniform<i8:f32, 0.5:1>>
  return %q : tensor<8x!quant.uniform<i8:f32, 0.5:1>>
}

// -----

// Row 0 uses scale 0.5, zp 0; row 1 scale 0.25, zp 10. u8 storage: -2
// saturates to 0 and 410 to 255, stored as i8 -1.
// CHECK-LABEL: func @quantize_constant_per_axis
// CHECK: arith.constant dense<{{\[}}[2, 0], [14, -1]]> : tensor<2x2xi8>
// CHECK: quant.scast
func.func @quantize_constant_per_axis() -> tensor<2x2x!quant.uniform<u8:f32:0, {0.5, 0.25:10}>> {
  %x = arith.constant dense<[[1.0, -1.0], [1.0, 100.0]]> : tensor<2x2xf32>
  %q = qnn.quantize %x : tensor<2x2xf32> -> tensor<2x2x!quant.uniform<u8:f32:0, {0.5, 0.25:10}>>
  return %q : tensor<2x2x!quant.uniform<u8:f32:0, {0.5, 0.25:10}>>
}

// -----

// f16 constants are widened exactly to f32 and quantized there.
// CHECK-LABEL: func @quantize_constant_f16
// CHECK: arith.constant dense<[2, -2, 0]> : tensor<3xi8>
func.func @quantize_constant_f16() -> tensor<3x!quant.uniform<i8:f16, 0.5>> {
  %x = arith.constant dense<[1.25, -1.25, 0.0]> : tensor<3xf16>
  %q = qnn.quantize %x : tensor<3xf16> -> tensor<3x!quant.uniform<i8:f16, 0.5>>
  return %q : tensor<3x!quant.uniform<i8:f16, 0.5>>
}

// -----

// f64 quantize runs in f64 at run time; the compile-time math is f32.
// CHECK-LABEL: func @quantize_constant_f64
// CHECK: qnn.quantize
func.func @quantize_constant_f64() -> tensor<2x!quant.uniform<i8:f64, 0.5>> {
  %x = arith.constant dense<[1.25, -1.25]> : tensor<2xf64>
  %q = qnn.quantize %x : tensor<2xf64> -> tensor<2x!quant.uniform<i8:f64, 0.5>>
  return %q : tensor<2x!quant.uniform<i8:f64, 0.5>>
}

// -----

// An unused observer still records statistics: it is not dead code.
// CHECK-LABEL: func @unused_observe_kept
// CHECK: qnn.observe
func.func @unused_observe_kept(%x: tensor<4xf32>) {
  %y = qnn.observe %x id(0) : tensor<4xf32>
  return
}
