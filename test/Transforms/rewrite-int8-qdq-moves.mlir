// QDQ models put reshapes and transposes between a dequantize and the op
// that reads it, or between an op and its quantize; quant-rewrite-int8 moves
// them onto the storage integers (exact for per-tensor types) so the unit
// still matches.
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8 | FileCheck %s

!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
// Flatten (collapse_shape) of a dequantized value, then a matmul.
// CHECK-LABEL: func.func @flatten_then_matmul
// CHECK:         %[[I:.*]] = quant.scast %{{.*}} : tensor<1x2x3x!quant.uniform{{.*}}> to tensor<1x2x3xi8>
// CHECK:         %[[C:.*]] = tensor.collapse_shape %[[I]] {{\[}}[0], [1, 2]] : tensor<1x2x3xi8> into tensor<1x6xi8>
// CHECK:         %[[Q:.*]] = quant.scast %[[C]] : tensor<1x6xi8> to tensor<1x6x!quant.uniform<i8:f32, 5.000000e-01:1>>
// CHECK:         qnn.matmul %[[Q]]
func.func @flatten_then_matmul(%a: tensor<1x2x3x!qa>) -> tensor<1x2x!qy> {
  %w = arith.constant dense<1.0> : tensor<6x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x2x3x!qa> -> tensor<1x2x3xf32>
  %f = tensor.collapse_shape %x [[0], [1, 2]] : tensor<1x2x3xf32> into tensor<1x6xf32>
  %e = tensor.empty() : tensor<1x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %mm = linalg.matmul ins(%f, %w : tensor<1x6xf32>, tensor<6x2xf32>) outs(%z : tensor<1x2xf32>) -> tensor<1x2xf32>
  %q = qnn.quantize %mm : tensor<1x2xf32> -> tensor<1x2x!qy>
  return %q : tensor<1x2x!qy>
}

// -----

!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
// A matmul whose result is transposed before its quantize: the quantize
// moves above the transpose, the transpose runs on i8.
// CHECK-LABEL: func.func @matmul_then_transpose
// CHECK:         %[[MM:.*]] = qnn.matmul
// CHECK:         %[[I:.*]] = quant.scast %[[MM]] : tensor<3x2x!quant.uniform{{.*}}> to tensor<3x2xi8>
// CHECK:         linalg.transpose ins(%[[I]] : tensor<3x2xi8>) outs(%{{.*}} : tensor<2x3xi8>) permutation = [1, 0]
// CHECK-NOT:     linalg.matmul
func.func @matmul_then_transpose(%a: tensor<3x4x!qa>) -> tensor<2x3x!qy> {
  %w = arith.constant dense<1.0> : tensor<4x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<3x4x!qa> -> tensor<3x4xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<3x4xf32>, tensor<4x2xf32>) outs(%z : tensor<3x2xf32>) -> tensor<3x2xf32>
  %et = tensor.empty() : tensor<2x3xf32>
  %t = linalg.transpose ins(%mm : tensor<3x2xf32>) outs(%et : tensor<2x3xf32>) permutation = [1, 0]
  %q = qnn.quantize %t : tensor<2x3xf32> -> tensor<2x3x!qy>
  return %q : tensor<2x3x!qy>
}
