// RUN: quant-opt %s --quant-normalize-units --mlir-print-debuginfo --mlir-print-local-scope -split-input-file | FileCheck %s
// RUN: quant-opt %s --quant-prepare-pipeline -split-input-file | FileCheck %s --check-prefix=FUSED

// Each frontend form of a layer becomes the canonical one (linalg.matmul
// with [K, N] weights, conv_2d_nhwc_hwcf, depthwise_conv_2d_nhwc_hwc into
// zeros, then an elementwise epilogue); the forms it cannot express stay.



// Linear as PyTorch writes it: B is [N, K].
func.func @matmul_nk(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<4x3xf32>, tensor<2x3xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32> loc("fc1")
  return %y : tensor<4x2xf32>
}
// CHECK-LABEL: func.func @matmul_nk
// CHECK:         %[[W:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK:         linalg.matmul ins(%{{.*}}, %[[W]] : tensor<4x3xf32>, tensor<3x2xf32>) outs(%[[ACC]] : tensor<4x2xf32>) -> tensor<4x2xf32> loc("fc1")
// CHECK-NOT:     indexing_maps

// -----



// tosa.matmul lowers to a batch_matmul of batch 1; its bias add and ReLU
// follow the expand_shape.
func.func @batch_one(%x: tensor<1x4x3xf32>) -> tensor<1x4x2xf32> {
  %w = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]> : tensor<1x3x2xf32>
  %b = arith.constant dense<[[[0.5, -0.5]]]> : tensor<1x1x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x2xf32>) -> tensor<1x4x2xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<1x4x3xf32>, tensor<1x3x2xf32>) outs(%acc : tensor<1x4x2xf32>) -> tensor<1x4x2xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, 0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y, %b : tensor<1x4x2xf32>, tensor<1x1x2xf32>) outs(%e : tensor<1x4x2xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  } -> tensor<1x4x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : tensor<1x4x2xf32>) outs(%e : tensor<1x4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %c0 = arith.constant 0.0 : f32
    %c6 = arith.constant 6.0 : f32
    %lo = arith.minimumf %in, %c6 : f32
    %hi = arith.maximumf %lo, %c0 : f32
    linalg.yield %hi : f32
  } -> tensor<1x4x2xf32>
  return %r : tensor<1x4x2xf32>
}
// CHECK-LABEL: func.func @batch_one
// CHECK-DAG:     %[[B:.*]] = arith.constant dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>
// CHECK-DAG:     %[[W:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK:         %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<1x4x3xf32> into tensor<4x3xf32>
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<4x3xf32>, tensor<3x2xf32>)
// CHECK:         %[[ADD:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>]{{.*}} ins(%[[MM]], %[[B]] : tensor<4x2xf32>, tensor<2xf32>)
// CHECK:         %[[CLAMP:.*]] = linalg.generic {{.*}} ins(%[[ADD]] : tensor<4x2xf32>)
// CHECK:         tensor.expand_shape %[[CLAMP]] {{\[}}[0, 1], [2]] output_shape [1, 4, 2]
// The bias add and the clamp are one epilogue of the matmul.
// FUSED-LABEL: func.func @batch_one
// FUSED:         linalg.matmul {quantopt.fused}
// FUSED:         linalg.generic
// FUSED:           arith.addf
// FUSED:           arith.minimumf
// FUSED:           arith.maximumf
// FUSED-NOT:     linalg.generic

// -----



// ONNX's MatMul of a 3-D activation and 2-D weights, as a generic.
func.func @generic_shared_weights(%x: tensor<2x4x3xf32>) -> tensor<2x4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x2xf32>) -> tensor<2x4x2xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<2x4x3xf32>, tensor<3x2xf32>) outs(%acc : tensor<2x4x2xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x4x2xf32>
  return %y : tensor<2x4x2xf32>
}
// CHECK-LABEL: func.func @generic_shared_weights
// CHECK:         tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x4x3xf32> into tensor<8x3xf32>
// CHECK:         %[[MM:.*]] = linalg.matmul ins({{.*}} : tensor<8x3xf32>, tensor<3x2xf32>)
// CHECK:         tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2]] output_shape [2, 4, 2]

// -----



// Different weights per batch, and two activations: nothing to do.
func.func @leave_batched(%x: tensor<2x4x3xf32>, %k: tensor<4x3xf32>) -> (tensor<2x4x2xf32>, tensor<4x4xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x2xf32>) -> tensor<2x4x2xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<2x4x3xf32>, tensor<2x3x2xf32>) outs(%acc : tensor<2x4x2xf32>) -> tensor<2x4x2xf32>
  %e2 = tensor.empty() : tensor<4x4xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%k, %k : tensor<4x3xf32>, tensor<4x3xf32>) outs(%acc2 : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y, %s : tensor<2x4x2xf32>, tensor<4x4xf32>
}
// CHECK-LABEL: func.func @leave_batched
// CHECK:         linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<2x4x3xf32>, tensor<2x3x2xf32>)
// CHECK:         linalg.matmul indexing_maps

// -----



// tosa.conv2d: F x KH x KW x C filter, bias broadcast into the init.
func.func @conv_fhwc_bias_in_init(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  %w = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]],
                             [[[-1.0, -2.0], [-3.0, -4.0]], [[-5.0, -6.0], [-7.0, -8.0]]]]> : tensor<2x2x2x2xf32>
  %b = arith.constant dense<[0.25, 0.75]> : tensor<2xf32>
  %e = tensor.empty() : tensor<1x3x3x2xf32>
  %init = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<2xf32>) outs(%e : tensor<1x3x3x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x3x3x2xf32>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x4x2xf32>, tensor<2x2x2x2xf32>) outs(%init : tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32> loc("conv1")
  return %y : tensor<1x3x3x2xf32>
}
// CHECK-LABEL: func.func @conv_fhwc_bias_in_init
// CHECK-DAG:     %[[W:.*]] = arith.constant dense<{{\[}}[{{\[}}[1.000000e+00, -1.000000e+00], [2.000000e+00, -2.000000e+00]], {{.*}}]]]]> : tensor<2x2x2x2xf32>
// CHECK-DAG:     %[[B:.*]] = arith.constant dense<[2.500000e-01, 7.500000e-01]> : tensor<2xf32>
// CHECK:         %[[ZEROS:.*]] = linalg.fill
// CHECK:         %[[CONV:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %[[W]] : {{.*}}) outs(%[[ZEROS]] : {{.*}}) -> tensor<1x3x3x2xf32> loc("conv1")
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]{{.*}} ins(%[[CONV]], %[[B]] : tensor<1x3x3x2xf32>, tensor<2xf32>)
// CHECK:           arith.addf
// FUSED-LABEL: func.func @conv_fhwc_bias_in_init
// FUSED:         linalg.conv_2d_nhwc_hwcf {{.*}}quantopt.fused

// -----



// Bias and ReLU as named ops: linalg.broadcast, linalg.add, linalg.max of a fill.
func.func @named_bias_relu(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x3xf32> {
  %w = arith.constant dense<0.5> : tensor<1x1x2x3xf32>
  %b = arith.constant dense<[0.1, 0.2, 0.3]> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x4x2xf32>, tensor<1x1x2x3xf32>) outs(%acc : tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  %bb = linalg.broadcast ins(%b : tensor<3xf32>) outs(%e : tensor<1x4x4x3xf32>) dimensions = [0, 1, 2]
  %s = linalg.add ins(%y, %bb : tensor<1x4x4x3xf32>, tensor<1x4x4x3xf32>) outs(%e : tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  %r = linalg.max ins(%s, %acc : tensor<1x4x4x3xf32>, tensor<1x4x4x3xf32>) outs(%e : tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  return %r : tensor<1x4x4x3xf32>
}
// CHECK-LABEL: func.func @named_bias_relu
// CHECK-DAG:     %[[B:.*]] = arith.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[CONV:.*]] = linalg.conv_2d_nhwc_hwcf
// CHECK:         %[[ADD:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]{{.*}} ins(%[[CONV]], %[[B]] :
// CHECK:         linalg.generic {{.*}} ins(%[[ADD]] :
// CHECK:           arith.maximumf %{{.*}}, %[[ZERO]] : f32
// CHECK-NOT:     linalg.broadcast
// CHECK-NOT:     linalg.add
// CHECK-NOT:     linalg.max
// FUSED-LABEL: func.func @named_bias_relu
// FUSED:         linalg.conv_2d_nhwc_hwcf {{.*}}quantopt.fused
// FUSED:         linalg.generic
// FUSED:           arith.addf
// FUSED:           arith.maximumf
// FUSED-NOT:     linalg.generic

// -----



func.func @conv_1d(%x: tensor<1x8x2xf32>) -> tensor<1x6x4xf32> {
  %w = arith.constant dense<0.5> : tensor<3x2x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x6x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x6x4xf32>) -> tensor<1x6x4xf32>
  %y = linalg.conv_1d_nwc_wcf {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>}
      ins(%x, %w : tensor<1x8x2xf32>, tensor<3x2x4xf32>) outs(%acc : tensor<1x6x4xf32>) -> tensor<1x6x4xf32>
  return %y : tensor<1x6x4xf32>
}
// CHECK-LABEL: func.func @conv_1d
// FUSED-LABEL: func.func @conv_1d
// CHECK:         %[[X:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3]] output_shape [1, 1, 8, 2]
// CHECK:         %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[X]], %{{.*}} : tensor<1x1x8x2xf32>, tensor<1x3x2x4xf32>) outs(%{{.*}} : tensor<1x1x6x4xf32>)
// CHECK:         tensor.collapse_shape %[[Y]] {{\[}}[0], [1, 2], [3]] : tensor<1x1x6x4xf32> into tensor<1x6x4xf32>

// -----



// tosa.depthwise_conv2d: multiplier 1 becomes the plain depthwise form; a
// multiplier of 2 (constant filter) one plain depthwise convolution per
// multiplier index on its slice w[..., m], stacked along the last dimension;
// with a computed filter it stays.
func.func @depthwise_multiplier(%x: tensor<1x4x4x2xf32>, %wf: tensor<3x3x2x2xf32>) -> (tensor<1x2x2x2x1xf32>, tensor<1x2x2x2x2xf32>, tensor<1x2x2x2x2xf32>) {
  %w1 = arith.constant dense<0.5> : tensor<3x3x2x1xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<1x2x2x2x1xf32>
  %acc1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x2x2x1xf32>) -> tensor<1x2x2x2x1xf32>
  %y1 = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w1 : tensor<1x4x4x2xf32>, tensor<3x3x2x1xf32>) outs(%acc1 : tensor<1x2x2x2x1xf32>) -> tensor<1x2x2x2x1xf32>
  %w2const = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]], [[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]], [[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]]]> : tensor<3x3x2x2xf32>
  %e2 = tensor.empty() : tensor<1x2x2x2x2xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x2x2x2x2xf32>) -> tensor<1x2x2x2x2xf32>
  %y2 = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w2const : tensor<1x4x4x2xf32>, tensor<3x3x2x2xf32>) outs(%acc2 : tensor<1x2x2x2x2xf32>) -> tensor<1x2x2x2x2xf32> loc("dw2")
  %y3 = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %wf : tensor<1x4x4x2xf32>, tensor<3x3x2x2xf32>) outs(%acc2 : tensor<1x2x2x2x2xf32>) -> tensor<1x2x2x2x2xf32>
  return %y1, %y2, %y3 : tensor<1x2x2x2x1xf32>, tensor<1x2x2x2x2xf32>, tensor<1x2x2x2x2xf32>
}
// CHECK-LABEL: func.func @depthwise_multiplier
// CHECK-DAG:     %[[M0:.*]] = arith.constant dense<{{\[}}[{{\[}}1.000000e+00, 3.000000e+00], [1.000000e+00, 3.000000e+00], [1.000000e+00, 3.000000e+00]]{{.*}}> : tensor<3x3x2xf32>
// CHECK-DAG:     %[[M1:.*]] = arith.constant dense<{{\[}}[{{\[}}2.000000e+00, 4.000000e+00], [2.000000e+00, 4.000000e+00], [2.000000e+00, 4.000000e+00]]{{.*}}> : tensor<3x3x2xf32>
// CHECK:         %[[DW:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {{.*}} : tensor<1x4x4x2xf32>, tensor<3x3x2xf32>) outs(%{{.*}} : tensor<1x2x2x2xf32>)
// CHECK:         tensor.expand_shape %[[DW]] {{\[}}[0], [1], [2], [3, 4]]
// CHECK:         %[[P0:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {{.*}} ins(%{{.*}}, %[[M0]] : {{.*}} loc("dw2.m0"
// CHECK:         %[[E0:.*]] = tensor.expand_shape %[[P0]] {{\[}}[0], [1], [2], [3, 4]] {{.*}} into tensor<1x2x2x2x1xf32>
// CHECK:         %[[P1:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {{.*}} ins(%{{.*}}, %[[M1]] : {{.*}} loc("dw2.m1"
// CHECK:         %[[E1:.*]] = tensor.expand_shape %[[P1]]
// CHECK:         tensor.concat dim(4) %[[E0]], %[[E1]] : (tensor<1x2x2x2x1xf32>, tensor<1x2x2x2x1xf32>) -> tensor<1x2x2x2x2xf32>
// CHECK:         linalg.depthwise_conv_2d_nhwc_hwcm {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x4x2xf32>, tensor<3x3x2x2xf32>)

// -----

// A grouped convolution (NGCHW x FGCHW, 2 groups): one NCHW convolution per
// group on its slice of the channels, each with its slice of the filter
// ([F, G, C, KH, KW] -> group 1 is the second of each F), concatenated.
func.func @grouped_fgchw(%x: tensor<1x2x1x3x3xf32>) -> tensor<1x2x2x3x3xf32> {
  %w = arith.constant dense<[[[[[1.0]]], [[[2.0]]]], [[[[3.0]]], [[[4.0]]]]]> : tensor<2x2x1x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x2x3x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x3x3xf32>) -> tensor<1x2x2x3x3xf32>
  %y = linalg.conv_2d_ngchw_fgchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x1x3x3xf32>, tensor<2x2x1x1x1xf32>) outs(%z : tensor<1x2x2x3x3xf32>) -> tensor<1x2x2x3x3xf32>
  return %y : tensor<1x2x2x3x3xf32>
}
// CHECK-LABEL: func.func @grouped_fgchw
// CHECK-DAG:     %[[W1:.*]] = arith.constant dense<{{\[}}[{{\[}}[2.000000e+00]]], [{{\[}}[4.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG:     %[[W0:.*]] = arith.constant dense<{{\[}}[{{\[}}[1.000000e+00]]], [{{\[}}[3.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK:         %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]]
// CHECK:         %[[S0:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 1, 3, 3] [1, 1, 1, 1]
// CHECK:         %[[C0:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[S0]], %[[W0]] :
// CHECK:         %[[S1:.*]] = tensor.extract_slice %[[X]][0, 1, 0, 0] [1, 1, 3, 3] [1, 1, 1, 1]
// CHECK:         %[[C1:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[S1]], %[[W1]] :
// CHECK:         %[[ALL:.*]] = tensor.concat dim(1) %[[C0]], %[[C1]]
// CHECK:         tensor.expand_shape %[[ALL]] {{\[}}[0], [1, 2], [3], [4]]

// -----

// A concatenation of activations (not of split units) keeps its
// elementwise consumer whole.
func.func @concat_of_activations(%a: tensor<1x2xf32>, %b: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %c = tensor.concat dim(1) %a, %b : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x4xf32>
  %bias = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e = tensor.empty() : tensor<1x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : tensor<1x4xf32>, tensor<4xf32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%in: f32, %v: f32, %o: f32):
    %s = arith.addf %in, %v : f32
    linalg.yield %s : f32
  } -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
// CHECK-LABEL: func.func @concat_of_activations
// CHECK:         %[[C:.*]] = tensor.concat
// CHECK:         linalg.generic {{.*}} ins(%[[C]],

// -----

// torch-mlir's NCHW depthwise: the NHWC form between transposes, the
// padding after the input's transpose, the bias epilogue below the result's
// transpose (its bias indexed by the NHWC channel, d3).
func.func @depthwise_nchw(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]> : tensor<2x2x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 0, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x2x3x3xf32> to tensor<1x2x4x4xf32>
  %e = tensor.empty() : tensor<1x2x3x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %d = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : tensor<1x2x4x4xf32>, tensor<2x2x2xf32>) outs(%z : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%d, %b : tensor<1x2x3x3xf32>, tensor<2xf32>) outs(%e : tensor<1x2x3x3xf32>) {
  ^bb0(%in: f32, %v: f32, %o: f32):
    %s = arith.addf %in, %v : f32
    linalg.yield %s : f32
  } -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}
// CHECK-LABEL: func.func @depthwise_nchw
// CHECK-DAG:     %[[W:.*]] = arith.constant dense<{{\[}}[{{\[}}1.000000e+00, 5.000000e+00], [2.000000e+00, 6.000000e+00]], {{\[}}[3.000000e+00, 7.000000e+00], [4.000000e+00, 8.000000e+00]]]> : tensor<2x2x2xf32>
// CHECK:         %[[XT:.*]] = linalg.transpose ins(%{{.*}} : tensor<1x2x3x3xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK:         %[[P:.*]] = tensor.pad %[[XT]] low[0, 1, 1, 0] high[0, 0, 0, 0]
// CHECK:         %[[D:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {{.*}} ins(%[[P]], %[[W]] : tensor<1x4x4x2xf32>, tensor<2x2x2xf32>)
// CHECK:         %[[B:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d3)>, {{.*}} ins(%[[D]], %{{.*}} : tensor<1x3x3x2xf32>, tensor<2xf32>)
// CHECK:         linalg.transpose ins(%[[B]] : tensor<1x3x3x2xf32>) {{.*}} permutation = [0, 3, 1, 2]

// -----

// GELU after a 3-D Linear as PyTorch exports it: Add(bias, x), whose result
// feeds two elementwise ops. The bias add reads the matmul first; the
// reshape moves below both consumers, and the pass ends (collapsing one
// consumer puts collapse_shapes on its other operands, which must not
// expand it again). The matmul and its bias are one unit.
func.func @reshape_into_two_consumers(%x: tensor<1x4x3xf32>) -> tensor<1x4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %flat = tensor.collapse_shape %x [[0, 1], [2]] : tensor<1x4x3xf32> into tensor<4x3xf32>
  %e2 = tensor.empty() : tensor<4x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %mm = linalg.matmul ins(%flat, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = tensor.expand_shape %mm [[0, 1], [2]] output_shape [1, 4, 2] : tensor<4x2xf32> into tensor<1x4x2xf32>
  %e = tensor.empty() : tensor<1x4x2xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%b, %y : tensor<2xf32>, tensor<1x4x2xf32>) outs(%e : tensor<1x4x2xf32>) {
  ^bb0(%bias: f32, %in: f32, %out: f32):
    %s = arith.addf %bias, %in : f32
    linalg.yield %s : f32
  } -> tensor<1x4x2xf32>
  %h = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : tensor<1x4x2xf32>) outs(%e : tensor<1x4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %two = arith.constant 2.0 : f32
    %d = arith.divf %in, %two : f32
    linalg.yield %d : f32
  } -> tensor<1x4x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a, %h : tensor<1x4x2xf32>, tensor<1x4x2xf32>) outs(%e : tensor<1x4x2xf32>) {
  ^bb0(%in: f32, %half: f32, %out: f32):
    %m = arith.mulf %in, %half : f32
    linalg.yield %m : f32
  } -> tensor<1x4x2xf32>
  return %r : tensor<1x4x2xf32>
}
// CHECK-LABEL: func.func @reshape_into_two_consumers
// CHECK:         %[[MM:.*]] = linalg.matmul
// CHECK:         %[[ADD:.*]] = linalg.generic {{.*}} ins(%[[MM]], %{{.*}} : tensor<4x2xf32>, tensor<2xf32>)
// CHECK:         %[[HALF:.*]] = linalg.generic {{.*}} ins(%[[ADD]] : tensor<4x2xf32>)
// CHECK:         %[[MUL:.*]] = linalg.generic {{.*}} ins(%[[ADD]], %[[HALF]] : tensor<4x2xf32>, tensor<4x2xf32>)
// CHECK:         %[[OUT:.*]] = tensor.expand_shape %[[MUL]] {{\[}}[0, 1], [2]] output_shape [1, 4, 2]
// CHECK:         return %[[OUT]]
// FUSED-LABEL: func.func @reshape_into_two_consumers
// FUSED:         linalg.matmul {quantopt.fused}
