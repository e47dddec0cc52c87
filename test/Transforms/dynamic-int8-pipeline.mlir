// quant-dynamic-int8-pipeline on the forms frontends write: a PyTorch
// Linear (B read as [N, K]) with its bias in the init tensor becomes one
// dynamic INT8 matmul with the bias in the rescale; what stays float says
// why in a remark.
// RUN: quant-opt %s -split-input-file --quant-dynamic-int8-pipeline=lower-qnn=false -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func @linear_nk_bias_in_init
// CHECK: %{{.*}}, %[[S:.*]], %[[Z:.*]] = qnn.dynamic_quantize
// CHECK: %[[ACC:.*]] = qnn.matmul_integer %{{.*}}, %{{.*}} zero_point %[[Z]] : tensor<8x16xui8>, tensor<16x4xi8>, tensor<ui8> -> tensor<8x4xi32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[S]], %{{.*}}, %{{.*}} : tensor<8x4xi32>, tensor<f32>, tensor<4xf32>, tensor<4xf32>)
// CHECK-NOT: linalg.matmul
func.func @linear_nk_bias_in_init(%x: tensor<8x16xf32>) -> tensor<8x4xf32> {
  %w2 = arith.constant dense<0.125> : tensor<4x16xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e = tensor.empty() : tensor<8x4xf32>
  %init = linalg.broadcast ins(%b : tensor<4xf32>) outs(%e : tensor<8x4xf32>) dimensions = [0]
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%x, %w2 : tensor<8x16xf32>, tensor<4x16xf32>) outs(%init : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// CHECK-LABEL: func @two_activations
// CHECK: linalg.matmul
func.func @two_activations(%x: tensor<8x16xf32>, %w: tensor<16x4xf32>) -> tensor<8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  // expected-remark @below {{kept in float: no constant weights (a product of two activations)}}
  %y = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// CHECK-LABEL: func @conv
// CHECK: linalg.conv_2d_nhwc_hwcf
func.func @conv(%x: tensor<1x6x6x4xf32>) -> tensor<1x4x4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x4x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  // expected-remark @below {{kept in float: convolutions have no dynamic INT8 form (static INT8 quantizes them)}}
  %y = linalg.conv_2d_nhwc_hwcf ins(%x, %w : tensor<1x6x6x4xf32>, tensor<3x3x4x8xf32>) outs(%z : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %y : tensor<1x4x4x8xf32>
}
