// quant-dynamic-quantize: float matmuls with constant weights.
// RUN: quant-opt %s -split-input-file --quant-dynamic-quantize | FileCheck %s
// RUN: quant-opt %s -split-input-file --quant-dynamic-quantize=symmetric=true | FileCheck %s --check-prefix=SYM
// RUN: quant-opt %s -split-input-file --quant-dynamic-quantize="per-channel=false narrow-range=false" | FileCheck %s --check-prefix=PEER

// The bias + ReLU epilogue folds into the float rescale.
// CHECK-LABEL: func @matmul_bias_relu
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[}}[127, 127], [-64, -127], [0, 64]]> : tensor<3x2xi8>
// CHECK-DAG: %[[WS:.*]] = arith.constant dense<[0.0157480314, 0.00393700786]> : tensor<2xf32>
// CHECK: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnn.dynamic_quantize %[[X]] : tensor<2x3xf32> -> tensor<2x3xui8>, tensor<f32>, tensor<ui8>
// CHECK: %[[ACC:.*]] = qnn.matmul_integer %[[Q]], %[[W]] zero_point %[[Z]]
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[ACC]], %[[S]], %[[WS]], %{{.*}} : tensor<2x2xi32>, tensor<f32>, tensor<2xf32>, tensor<2xf32>)
// CHECK: arith.sitofp
// CHECK: arith.maximumf
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
// One scale for the tensor (max|w| = 2 over 127.5), the full [-128, 127].
// PEER-LABEL: func @matmul_bias_relu
// PEER-DAG: arith.constant dense<{{\[}}[127, 32], [-64, -32], [0, 16]]> : tensor<3x2xi8>
// PEER-DAG: arith.constant dense<0.0156862754> : tensor<2xf32>
// SYM-LABEL: func @matmul_bias_relu
// SYM: qnn.dynamic_quantize %{{.*}} {symmetric = true} : tensor<2x3xf32> -> tensor<2x3xi8>, tensor<f32>, tensor<i8>
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @matmul_bias_relu(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[2.0, 0.5], [-1.0, -0.5], [0.0, 0.25]]> : tensor<3x2xf32>
  %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<2x2xf32>, tensor<2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%in: f32, %c: f32, %o: f32):
    %s = arith.addf %in, %c : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}

// -----

// Left alone: non-constant weights, and a matmul fed by a dequantize (that
// is static quantization's job).
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-2: linalg.matmul
// CHECK-NOT: qnn.dynamic_quantize
func.func @left_alone(%x: tensor<2x3xf32>, %w: tensor<3x2xf32>, %q: tensor<2x3x!quant.uniform<i8:f32, 0.5>>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %c = arith.constant dense<1.0> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %a = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %d = qnn.dequantize %q : tensor<2x3x!quant.uniform<i8:f32, 0.5>> -> tensor<2x3xf32>
  %b = linalg.matmul ins(%d, %c : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %a, %b : tensor<2x2xf32>, tensor<2x2xf32>
}
