// What quant-rewrite-int8 leaves in float runs as float: the round trip of a
// value nothing integer reads is dropped, and the dequantize of integer
// weights is computed at compile time (the same f32 values), so the op
// takes the packed f32 kernels. float-cleanup=false keeps both;
// keep-round-trips=true (the QAT pipeline's default: a QDQ model's own
// quantization points) keeps the round trip and folds the weights.
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8=exclude=fc1 2>/dev/null | FileCheck %s
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8="exclude=fc1 float-cleanup=false" 2>/dev/null | FileCheck %s --check-prefix=KEEP
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8="exclude=fc1 keep-round-trips=true" 2>/dev/null | FileCheck %s --check-prefix=TRIPS

!qa = !quant.uniform<i8:f32, 0.5:1>
!qw = !quant.uniform<i8<-127:127>:f32:1, {0.5, 0.25}>
// CHECK-LABEL: func.func @excluded_qdq_weights
// CHECK-SAME:    (%[[X:.*]]: tensor<2x2xf32>)
// CHECK:         %[[W:.*]] = arith.constant dense<{{\[}}[-1.000000e+00, 1.000000e+00], [6.350000e+01, -3.175000e+01]]> : tensor<2x2xf32>
// CHECK-NOT:     qnn.
// CHECK:         linalg.matmul ins(%[[X]], %[[W]] :
// KEEP-LABEL: func.func @excluded_qdq_weights
// KEEP:         qnn.quantize
// KEEP:         qnn.dequantize
// KEEP:         qnn.dequantize
// TRIPS-LABEL: func.func @excluded_qdq_weights
// TRIPS-SAME:    (%[[X:.*]]: tensor<2x2xf32>)
// TRIPS:         %[[W:.*]] = arith.constant dense<{{\[}}[-1.000000e+00, 1.000000e+00], [6.350000e+01, -3.175000e+01]]> : tensor<2x2xf32>
// TRIPS:         %[[Q:.*]] = qnn.quantize %[[X]]
// TRIPS:         %[[D:.*]] = qnn.dequantize %[[Q]]
// TRIPS:         linalg.matmul ins(%[[D]], %[[W]] :
func.func @excluded_qdq_weights(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %i = arith.constant dense<[[-2, 4], [127, -127]]> : tensor<2x2xi8>
  %wq = quant.scast %i : tensor<2x2xi8> to tensor<2x2x!qw>
  %w = qnn.dequantize %wq : tensor<2x2x!qw> -> tensor<2x2xf32>
  %q = qnn.quantize %x : tensor<2x2xf32> -> tensor<2x2x!qa>
  %xd = qnn.dequantize %q : tensor<2x2x!qa> -> tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = linalg.matmul ins(%xd, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32> loc("fc1")
  return %y : tensor<2x2xf32>
}

// -----

// The quantized input is also read by an integer op: its quantize stays
// (the excluded matmul still reads its dequantize).
!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
// CHECK-LABEL: func.func @shared_quantize
// CHECK:         %[[Q:.*]] = qnn.quantize
// CHECK:         qnn.dequantize %[[Q]]
// CHECK:         qnn.matmul %[[Q]]
func.func @shared_quantize(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2x!qy>) {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %q = qnn.quantize %x : tensor<2x2xf32> -> tensor<2x2x!qa>
  %xd = qnn.dequantize %q : tensor<2x2x!qa> -> tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = linalg.matmul ins(%xd, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32> loc("fc1")
  %y2 = linalg.matmul ins(%xd, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32> loc("fc2")
  %q2 = qnn.quantize %y2 : tensor<2x2xf32> -> tensor<2x2x!qy>
  return %y, %q2 : tensor<2x2xf32>, tensor<2x2x!qy>
}
