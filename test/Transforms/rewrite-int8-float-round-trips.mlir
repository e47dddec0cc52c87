// Round trips that only float ops read are dropped however they are read:
// by several dequantizes, or through a reshape the rewrite moved onto the
// quantized values. keep-round-trips=true (QDQ semantics) keeps them.
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8 2>/dev/null | FileCheck %s
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8=keep-round-trips=true 2>/dev/null | FileCheck %s --check-prefix=TRIPS

!qa = !quant.uniform<i8:f32, 0.5:1>
// Two float ops read one quantized value, each through its own dequantize.
// CHECK-LABEL: func.func @two_dequantizes
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT:     qnn.
// CHECK:         arith.addf
// CHECK:         return
// TRIPS-LABEL: func.func @two_dequantizes
// TRIPS:         qnn.quantize
// TRIPS-COUNT-2: qnn.dequantize
func.func @two_dequantizes(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!qa>
  %a = qnn.dequantize %q : tensor<4x!qa> -> tensor<4xf32>
  %b = qnn.dequantize %q : tensor<4x!qa> -> tensor<4xf32>
  %s = arith.addf %a, %b : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
// A flatten, requantized, feeding a matmul the rewrite leaves float (its
// result is not quantized): the rewrite moves the flatten onto the
// quantized values; the cleanup moves it back and drops the round trip.
// CHECK-LABEL: func.func @moved_round_trip
// CHECK-SAME:    (%[[X:.*]]: tensor<1x2x3xf32>)
// CHECK-NOT:     qnn.
// CHECK:         %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2]] : tensor<1x2x3xf32> into tensor<1x6xf32>
// CHECK:         linalg.matmul ins(%[[F]],
// TRIPS-LABEL: func.func @moved_round_trip
// TRIPS:         qnn.quantize
// TRIPS:         qnn.dequantize
func.func @moved_round_trip(%x: tensor<1x2x3xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<6x2xf32>
  %zero = arith.constant 0.0 : f32
  %q = qnn.quantize %x : tensor<1x2x3xf32> -> tensor<1x2x3x!qa>
  %d = qnn.dequantize %q : tensor<1x2x3x!qa> -> tensor<1x2x3xf32>
  %f = tensor.collapse_shape %d [[0], [1, 2]] : tensor<1x2x3xf32> into tensor<1x6xf32>
  %qf = qnn.quantize %f : tensor<1x6xf32> -> tensor<1x6x!qa>
  %df = qnn.dequantize %qf : tensor<1x6x!qa> -> tensor<1x6xf32>
  %e = tensor.empty() : tensor<1x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %mm = linalg.matmul ins(%df, %w : tensor<1x6xf32>, tensor<6x2xf32>) outs(%z : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %mm : tensor<1x2xf32>
}

// -----

!qa = !quant.uniform<i8:f32, 0.5:1>
// A transpose, requantized, feeding a float consumer: the rewrite runs it on
// the storage integers (scast, transpose, scast); the cleanup runs it on
// floats again and drops the round trip.
// CHECK-LABEL: func.func @moved_transpose
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT:     qnn.
// CHECK-NOT:     quant.scast
// CHECK:         %[[T:.*]] = linalg.transpose ins(%[[X]] : tensor<2x3xf32>) outs(%{{.*}} : tensor<3x2xf32>) permutation = [1, 0]
// CHECK:         math.exp %[[T]]
// TRIPS-LABEL: func.func @moved_transpose
// TRIPS:         qnn.quantize
func.func @moved_transpose(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %q = qnn.quantize %x : tensor<2x3xf32> -> tensor<2x3x!qa>
  %d = qnn.dequantize %q : tensor<2x3x!qa> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%d : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  %qt = qnn.quantize %t : tensor<3x2xf32> -> tensor<3x2x!qa>
  %dt = qnn.dequantize %qt : tensor<3x2x!qa> -> tensor<3x2xf32>
  %y = math.exp %dt : tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

!qa = !quant.uniform<i8:f32, 0.5:1>
// A dequantize sunk below a flatten runs the flatten on the storage
// integers (scast, collapse, scast); with only a float op after it, the
// cleanup flattens the floats again and drops the round trip (a model
// input read by SmoothQuant's multiply looks like this).
// CHECK-LABEL: func.func @sunk_below_reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<1x2x3xf32>)
// CHECK-NOT:     qnn.
// CHECK:         %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1, 2]] : tensor<1x2x3xf32> into tensor<6xf32>
// CHECK:         linalg.exp ins(%[[F]] :
// TRIPS-LABEL: func.func @sunk_below_reshape
// TRIPS:         qnn.quantize
// TRIPS:         qnn.dequantize
func.func @sunk_below_reshape(%x: tensor<1x2x3xf32>) -> tensor<6xf32> {
  %q = qnn.quantize %x : tensor<1x2x3xf32> -> tensor<1x2x3x!qa>
  %d = qnn.dequantize %q : tensor<1x2x3x!qa> -> tensor<1x2x3xf32>
  %f = tensor.collapse_shape %d [[0, 1, 2]] : tensor<1x2x3xf32> into tensor<6xf32>
  %e = tensor.empty() : tensor<6xf32>
  %a = linalg.exp ins(%f : tensor<6xf32>) outs(%e : tensor<6xf32>) -> tensor<6xf32>
  return %a : tensor<6xf32>
}
