// i32 accumulation of K products of (a - za)(w - zw): where the worst case
// of the types exceeds 2^31 - 1, quant-rewrite-int8 keeps the op in float
// with a warning.
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8 -verify-diagnostics | FileCheck %s

!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>

// 140000 x 129 x 127 = 2293620000 > 2^31 - 1.
// CHECK-LABEL: func @deep_matmul_stays_float
// CHECK: linalg.matmul
// CHECK-NOT: qnn.matmul
func.func @deep_matmul_stays_float(%a: tensor<1x140000x!qa>) -> tensor<1x2x!qy> {
  %w = arith.constant dense<1.0> : tensor<140000x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x140000x!qa> -> tensor<1x140000xf32>
  %e = tensor.empty() : tensor<1x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  // expected-warning @+1 {{kept in float: i32 accumulation of 140000 products could reach 2293620000 > 2^31 - 1}}
  %mm = linalg.matmul ins(%x, %w : tensor<1x140000xf32>, tensor<140000x2xf32>) outs(%z : tensor<1x2xf32>) -> tensor<1x2xf32>
  %q = qnn.quantize %mm : tensor<1x2xf32> -> tensor<1x2x!qy>
  return %q : tensor<1x2x!qy>
}

// -----

!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>

// 16000 x 129 x 127 fits: rewritten, no warning.
// CHECK-LABEL: func @matmul_fits
// CHECK: qnn.matmul
func.func @matmul_fits(%a: tensor<1x16000x!qa>) -> tensor<1x2x!qy> {
  %w = arith.constant dense<1.0> : tensor<16000x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x16000x!qa> -> tensor<1x16000xf32>
  %e = tensor.empty() : tensor<1x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<1x16000xf32>, tensor<16000x2xf32>) outs(%z : tensor<1x2xf32>) -> tensor<1x2xf32>
  %q = qnn.quantize %mm : tensor<1x2xf32> -> tensor<1x2x!qy>
  return %q : tensor<1x2x!qy>
}

