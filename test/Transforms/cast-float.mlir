// quant-cast-float: f16 / bf16 compute, f32 accumulation and interface.
// RUN: quant-opt %s -split-input-file --quant-cast-float -verify-diagnostics | FileCheck %s
// RUN: quant-opt %s -split-input-file --quant-cast-float=to=bf16 | FileCheck %s --check-prefix=BF16

// The matmul reads f16 (weights stored as f16) and accumulates into f32; the
// bias + ReLU runs in f16; only the function boundary converts.
// CHECK-LABEL: func @mlp_layer
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>) -> tensor<2x2xf32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<3x2xf16>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf16>
// CHECK: %[[XH:.*]] = arith.truncf %[[X]] : tensor<2x3xf32> to tensor<2x3xf16>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[XH]], %[[W]] : tensor<2x3xf16>, tensor<3x2xf16>) outs(%{{.*}} : tensor<2x2xf32>)
// CHECK: %[[MMH:.*]] = arith.truncf %[[MM]] : tensor<2x2xf32> to tensor<2x2xf16>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[MMH]], %[[B]] : tensor<2x2xf16>, tensor<2xf16>) outs(%{{.*}} : tensor<2x2xf16>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : f16
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f16
// CHECK: %[[Y:.*]] = arith.extf %[[R]] : tensor<2x2xf16> to tensor<2x2xf32>
// CHECK: return %[[Y]]
// BF16-LABEL: func @mlp_layer
// BF16: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x3xbf16>, tensor<3x2xbf16>) outs(%{{.*}} : tensor<2x2xf32>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @mlp_layer(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
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

// A layer-norm style epsilon of 1e-12 underflows in f16 (not in bf16, which
// has f32's exponent range): in f16 the op stays f32, with a warning.
// CHECK-LABEL: func @tiny_epsilon
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// BF16-LABEL: func @tiny_epsilon
// BF16: arith.addf %{{.*}}, %{{.*}} : bf16
#id1 = affine_map<(d0) -> (d0)>
func.func @tiny_epsilon(%v: tensor<4xf32>) -> tensor<4xf32> {
  %eps = arith.constant 1.0e-12 : f32
  %e = tensor.empty() : tensor<4xf32>
  // expected-warning @+1 {{kept in f32: constant 1.000000e-12 does not fit in 'f16' (it would be 0)}}
  %r = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%v : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %eps : f32
    %q = math.sqrt %s : f32
    linalg.yield %q : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Convolutions keep their strides and dilations.
// CHECK-LABEL: func @strided_conv
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%{{.*}}, %{{.*}} : tensor<1x8x8x1xf16>, tensor<2x2x1x3xf16>) outs(%{{.*}} : tensor<1x4x3x3xf32>)
func.func @strided_conv(%x: tensor<1x8x8x1xf32>) -> tensor<1x4x3x3xf32> {
  %w = arith.constant dense<0.5> : tensor<2x2x1x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x3x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x8x8x1xf32>, tensor<2x2x1x3xf32>) outs(%z : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %c : tensor<1x4x3x3xf32>
}

// -----

// Weights that only lose precision, or become subnormals of the narrow type,
// do not keep a layer in f32: 4e-39 (an f32 subnormal) is a bf16 subnormal,
// 1e-6 an f16 subnormal. 4e-39 vanishes in f16, so there the matmul stays
// f32; 1e5 overflows f16.
// CHECK-LABEL: func @subnormal_weights
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x2xf32>, tensor<2x2xf32>)
// CHECK-LABEL: func @f16_subnormal_weights
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x2xf16>, tensor<2x2xf16>)
// CHECK-LABEL: func @f16_overflow
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x2xf32>, tensor<2x2xf32>)
// BF16-LABEL: func @subnormal_weights
// BF16: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x2xbf16>, tensor<2x2xbf16>)
// BF16-LABEL: func @f16_overflow
// BF16: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x2xbf16>, tensor<2x2xbf16>)
func.func @subnormal_weights(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[4.0e-39, 1.0], [0.5, -2.0]]> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  // expected-warning @+1 {{kept in f32: constant 3.999999e-39 does not fit in 'f16' (it would be 0)}}
  %m = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %m : tensor<2x2xf32>
}
func.func @f16_subnormal_weights(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0e-6, 1.0], [0.5, -2.0]]> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %m = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %m : tensor<2x2xf32>
}
func.func @f16_overflow(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0e5, 1.0], [0.5, -2.0]]> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  // expected-warning @+1 {{kept in f32: constant 1.000000e+05 does not fit in 'f16' (it would be infinite)}}
  %m = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %m : tensor<2x2xf32>
}
