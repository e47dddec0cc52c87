// A qnn op whose i32 accumulation can overflow in the worst case of its
// types (depth x max|a - za| x max|w - zw| > 2^31 - 1) gets a warning from
// whichever lowering takes it: convert-qnn-to-linalg, or quant-pack-matmuls
// for the ops it packs (and none twice in the CPU pipeline).
// RUN: quant-opt %s -split-input-file --convert-qnn-to-linalg -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHECK --implicit-check-not=warning
// RUN: quant-opt %s -split-input-file --quant-pack-matmuls -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHECK --implicit-check-not=warning
// RUN: quant-opt %s -split-input-file --quant-pack-matmuls --convert-qnn-to-linalg -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHECK --implicit-check-not=warning

// A qnn.matmul written as such: u8 activations with zero point 0 (255)
// times i8 weights (128): 70000 x 255 x 128 = 2284800000.
// CHECK: warning: i32 accumulation can overflow: the worst case of its types reaches 2284800000 > 2^31 - 1
func.func @deep_qnn_matmul(%a: tensor<1x70000x!quant.uniform<u8:f32, 0.5>>) -> tensor<1x16x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<70000x16xi8>
  %w = quant.scast %w8 : tensor<70000x16xi8> to tensor<70000x16x!quant.uniform<i8:f32, 0.5>>
  %y = qnn.matmul %a, %w : tensor<1x70000x!quant.uniform<u8:f32, 0.5>>, tensor<70000x16x!quant.uniform<i8:f32, 0.5>> -> tensor<1x16x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x16x!quant.uniform<i8:f32, 2.0>>
}

// -----

// A convolution's depth is its filter's reduction: 3 x 3 x 8000 inputs times 255 x 127.
// CHECK: warning: i32 accumulation can overflow: the worst case of its types reaches 2331720000 > 2^31 - 1
func.func @deep_qnn_conv(%x: tensor<1x3x3x8000x!quant.uniform<u8:f32, 0.5>>) -> tensor<1x1x1x4x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<3x3x8000x4xi8>
  %w = quant.scast %w8 : tensor<3x3x8000x4xi8> to tensor<3x3x8000x4x!quant.uniform<i8<-127:127>:f32, 0.5>>
  %y = qnn.conv2d %x, %w : tensor<1x3x3x8000x!quant.uniform<u8:f32, 0.5>>, tensor<3x3x8000x4x!quant.uniform<i8<-127:127>:f32, 0.5>> -> tensor<1x1x1x4x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x1x1x4x!quant.uniform<i8:f32, 2.0>>
}

// -----

// 768 x 255 x 128 fits: no warning.
func.func @bert_sized(%a: tensor<1x768x!quant.uniform<u8:f32, 0.5>>) -> tensor<1x16x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<768x16xi8>
  %w = quant.scast %w8 : tensor<768x16xi8> to tensor<768x16x!quant.uniform<i8:f32, 0.5>>
  %y = qnn.matmul %a, %w : tensor<1x768x!quant.uniform<u8:f32, 0.5>>, tensor<768x16x!quant.uniform<i8:f32, 0.5>> -> tensor<1x16x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x16x!quant.uniform<i8:f32, 2.0>>
}

// -----

// qnn.matmul_integer has its lhs zero point only at run time: |a - za| <=
// 255, times 128 for i8 weights with zero point 0: 70000 x 255 x 128.
// CHECK: warning: i32 accumulation can overflow: the worst case of its types reaches 2284800000 > 2^31 - 1
func.func @deep_matmul_integer(%a: tensor<1x70000xui8>, %zp: tensor<ui8>) -> tensor<1x16xi32> {
  %w = arith.constant dense<1> : tensor<70000x16xi8>
  %y = qnn.matmul_integer %a, %w zero_point %zp : tensor<1x70000xui8>, tensor<70000x16xi8>, tensor<ui8> -> tensor<1x16xi32>
  return %y : tensor<1x16xi32>
}
