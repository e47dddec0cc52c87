// RUN: quant-opt %s --quant-pack-matmuls --split-input-file | FileCheck %s

// Weights W = [[1, 2], [3, 4]] (K = 2, N = 2) packed 16 columns x 4 steps per
// 64 bytes: column j holds bytes 4j..4j+3 = W[0..3, j], zero-padded. The
// signed activations (zero point 1) are read as u8 (+128), so the offsets
// are bias - (128 + 1) * column_sum = 10 - 129 * 4 and -20 - 129 * 6.
// CHECK-LABEL: func @packs_quantized_matmul
// CHECK-SAME: (%[[A:.*]]: tensor<3x2x!quant.uniform<i8:f32, 5.000000e-01:1>>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[}}1, 3, 0, 0, 2, 4, 0, 0, 0, {{.*}}]]]> : tensor<1x1x64xi8>
// CHECK-DAG: %[[OFF:.*]] = arith.constant dense<[-506, -794, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi32>
// CHECK-DAG: %[[MUL:.*]] = arith.constant dense<[2.500000e-01, 2.500000e-01, 0.000000e+00, {{.*}}]> : tensor<16xf64>
// CHECK: %[[A8:.*]] = quant.scast %[[A]] : tensor<3x2x!quant.uniform<i8:f32, 5.000000e-01:1>> to tensor<3x2xi8>
// CHECK: %[[Y8:.*]] = qnn.packed_matmul ins(%[[A8]], %[[W]] : tensor<3x2xi8>, tensor<1x1x64xi8>)
// CHECK-SAME: requantize(%[[OFF]], %[[MUL]] : tensor<16xi32>, tensor<16xf64>)
// CHECK-NOT: row_sums
// CHECK-SAME: outs(%{{.*}} : tensor<3x2xi8>) {lhs_sign_flip, output_max = 127 : i64, output_min = -2 : i64, output_zero_point = -2 : i64}
// CHECK: %[[Y:.*]] = quant.scast %[[Y8]] : tensor<3x2xi8> to tensor<3x2x!quant.uniform<i8:f32, 2.000000e+00:-2>>
// CHECK: return %[[Y]]
func.func @packs_quantized_matmul(%a: tensor<3x2x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<3x2x!quant.uniform<i8:f32, 2.0:-2>> {
  %w8 = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %w = quant.scast %w8 : tensor<2x2xi8> to tensor<2x2x!quant.uniform<i8:f32, 1.0>>
  %b = arith.constant dense<[10, -20]> : tensor<2xi32>
  %y = qnn.matmul %a, %w bias %b {clamp_min = -2 : i64} : tensor<3x2x!quant.uniform<i8:f32, 0.5:1>>, tensor<2x2x!quant.uniform<i8:f32, 1.0>>, tensor<2xi32> -> tensor<3x2x!quant.uniform<i8:f32, 2.0:-2>>
  return %y : tensor<3x2x!quant.uniform<i8:f32, 2.0:-2>>
}

// -----

// u8 activations need no shift; u8 weights become s8 (w - 128), and their
// zero point (130 - 128 = 2) makes row sums necessary: factors -2.
// CHECK-LABEL: func @u8_weights_with_zero_point
// CHECK-DAG: arith.constant dense<{{\[\[\[}}126, -128, 0, {{.*}}]]]> : tensor<1x1x64xi8>
// CHECK-DAG: %[[RF:.*]] = arith.constant dense<[-2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi32>
// CHECK: qnn.packed_matmul
// CHECK-SAME: row_sums(%[[RF]] : tensor<16xi32>)
// CHECK-NOT: lhs_sign_flip
// CHECK-SAME: output_unsigned
func.func @u8_weights_with_zero_point(%a: tensor<1x2x!quant.uniform<u8:f32, 0.5:128>>) -> tensor<1x1x!quant.uniform<u8:f32, 2.0:128>> {
  %w8 = arith.constant dense<[[-2], [0]]> : tensor<2x1xi8>
  %w = quant.scast %w8 : tensor<2x1xi8> to tensor<2x1x!quant.uniform<u8:f32, 1.0:130>>
  %y = qnn.matmul %a, %w : tensor<1x2x!quant.uniform<u8:f32, 0.5:128>>, tensor<2x1x!quant.uniform<u8:f32, 1.0:130>> -> tensor<1x1x!quant.uniform<u8:f32, 2.0:128>>
  return %y : tensor<1x1x!quant.uniform<u8:f32, 2.0:128>>
}

// -----

// f32 weights become 16-column panels: packed[t, k, j] = W[k, 16t + j].
// CHECK-LABEL: func @packs_float_matmul
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 2.000000e+00, 0.000000e+00{{.*}}], [3.000000e+00, 4.000000e+00, 0.000000e+00{{.*}}]]]> : tensor<1x2x16xf32>
// CHECK: qnn.packed_matmul ins(%{{.*}}, %[[W]] : tensor<3x2xf32>, tensor<1x2x16xf32>) outs(%{{.*}} : tensor<3x2xf32>) -> tensor<3x2xf32>
// CHECK-NOT: linalg.matmul
func.func @packs_float_matmul(%a: tensor<3x2xf32>, %init: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = linalg.matmul ins(%a, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%init : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A dynamic number of rows (a batch dimension) is packed too: the init takes
// its size from the activations.
// CHECK-LABEL: func @packs_dynamic_rows
// CHECK: %[[A8:.*]] = quant.scast %arg0 : tensor<?x2x!quant.uniform<i8:f32, 5.000000e-01>> to tensor<?x2xi8>
// CHECK: %[[M:.*]] = tensor.dim %[[A8]], %c0
// CHECK: %[[E:.*]] = tensor.empty(%[[M]]) : tensor<?x2xi8>
// CHECK: qnn.packed_matmul ins(%[[A8]], %{{.*}} : tensor<?x2xi8>, tensor<1x1x64xi8>) {{.*}} outs(%[[E]] : tensor<?x2xi8>)
func.func @packs_dynamic_rows(%d: tensor<?x2x!quant.uniform<i8:f32, 0.5>>) -> tensor<?x2x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<2x2xi8>
  %wc = quant.scast %w8 : tensor<2x2xi8> to tensor<2x2x!quant.uniform<i8:f32, 1.0>>
  %y = qnn.matmul %d, %wc : tensor<?x2x!quant.uniform<i8:f32, 0.5>>, tensor<2x2x!quant.uniform<i8:f32, 1.0>> -> tensor<?x2x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<?x2x!quant.uniform<i8:f32, 2.0>>
}

// -----

// Left for the generic lowering: weights that are not constant, a 16-bit
// result, a transposed float matmul.
// CHECK-LABEL: func @left_alone
// CHECK-NOT: qnn.packed_matmul
// CHECK-COUNT-2: qnn.matmul
// CHECK: linalg.matmul
// CHECK-NOT: qnn.packed_matmul
func.func @left_alone(%a: tensor<3x2x!quant.uniform<i8:f32, 0.5>>, %w: tensor<2x2x!quant.uniform<i8:f32, 1.0>>,
                      %f: tensor<3x2xf32>, %init: tensor<3x3xf32>)
    -> (tensor<3x2x!quant.uniform<i8:f32, 2.0>>, tensor<3x2x!quant.uniform<i16:f32, 2.0>>, tensor<3x3xf32>) {
  %y0 = qnn.matmul %a, %w : tensor<3x2x!quant.uniform<i8:f32, 0.5>>, tensor<2x2x!quant.uniform<i8:f32, 1.0>> -> tensor<3x2x!quant.uniform<i8:f32, 2.0>>
  %w8 = arith.constant dense<1> : tensor<2x2xi8>
  %wc = quant.scast %w8 : tensor<2x2xi8> to tensor<2x2x!quant.uniform<i8:f32, 1.0>>
  %y2 = qnn.matmul %a, %wc : tensor<3x2x!quant.uniform<i8:f32, 0.5>>, tensor<2x2x!quant.uniform<i8:f32, 1.0>> -> tensor<3x2x!quant.uniform<i16:f32, 2.0>>
  %wt = arith.constant dense<1.0> : tensor<3x2xf32>
  %y3 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%f, %wt : tensor<3x2xf32>, tensor<3x2xf32>) outs(%init : tensor<3x3xf32>) -> tensor<3x3xf32>
  return %y0, %y2, %y3 : tensor<3x2x!quant.uniform<i8:f32, 2.0>>, tensor<3x2x!quant.uniform<i16:f32, 2.0>>, tensor<3x3xf32>
}

// -----

// A batch matmul reading its right operand transposed (attention's Q K^T):
// packed at run time by a generic that clamps its reads and zeroes the
// padding columns, then one packed matmul per batch on slices.
// CHECK-LABEL: func @packs_batch_matmul_at_run_time
// CHECK: %[[P:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x1x4x16xf32>)
// CHECK: arith.minui
// CHECK: tensor.extract %arg1
// CHECK: arith.select
// CHECK: scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<2x3x5xf32>)
// CHECK: %[[A:.*]] = tensor.extract_slice %arg0{{.*}} to tensor<3x4xf32>
// CHECK: %[[W:.*]] = tensor.extract_slice %[[P]]{{.*}} to tensor<1x4x16xf32>
// CHECK: %[[C:.*]] = tensor.extract_slice %[[ACC]]{{.*}} to tensor<3x5xf32>
// CHECK: qnn.packed_matmul ins(%[[A]], %[[W]] : tensor<3x4xf32>, tensor<1x4x16xf32>) outs(%[[C]] : tensor<3x5xf32>)
// CHECK: tensor.insert_slice
// CHECK-NOT: linalg.batch_matmul
func.func @packs_batch_matmul_at_run_time(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>, %init: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  %s = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>]
      ins(%q, %k : tensor<2x3x4xf32>, tensor<2x5x4xf32>) outs(%init : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %s : tensor<2x3x5xf32>
}

// -----

// A convolution with a constant filter: the input padded with its zero
// point (3; NCHW pads the last two dims), im2col as an affine copy into
// N x OH x OW x KH x KW x C (NCHW reads channel, then the window position),
// collapsed to rows x (KH * KW * C) = 4 x 4, and a packed matmul; the rows x
// F result is reshaped back, and transposed for NCHW.
// CHECK-DAG: #[[READ:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d5, d1 + d3, d2 + d4)>
// CHECK-LABEL: func @conv_via_im2col
// CHECK: %[[PAD:.*]] = tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: tensor.yield %c3_i8 : i8
// CHECK: linalg.generic {indexing_maps = [#[[READ]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[PAD]] : tensor<1x1x3x3xi8>) outs(%{{.*}} : tensor<1x2x2x2x2x1xi8>)
// CHECK: tensor.collapse_shape {{.*}} into tensor<4x4xi8>
// CHECK: qnn.packed_matmul ins(%{{.*}}, %{{.*}} : tensor<4x4xi8>, tensor<1x1x64xi8>)
// CHECK: tensor.expand_shape {{.*}} into tensor<1x2x2x1xi8>
// CHECK: linalg.transpose ins({{.*}} : tensor<1x2x2x1xi8>) outs({{.*}} : tensor<1x1x2x2xi8>) permutation = [0, 3, 1, 2]
// CHECK-NOT: qnn.conv2d
func.func @conv_via_im2col(%x: tensor<1x1x2x2x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x1x2x2x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<[[[[1, 2], [3, 4]]]]> : tensor<1x1x2x2xi8>
  %w = quant.scast %w8 : tensor<1x1x2x2xi8> to tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>
  %y = qnn.conv2d %x, %w {layout = "nchw_fchw", padding = array<i64: 0, 0, 1, 1>} : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.5:3>>, tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>> -> tensor<1x1x2x2x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x1x2x2x!quant.uniform<i8:f32, 2.0>>
}

// -----

// Channels a multiple of 4 and no filter zero points: the convolution form
// of qnn.packed_matmul on the padded input, no im2col. One copy pads with
// the zero point and flips the sign bit (s8 -> u8): 3 ^ 0x80 = -125 fills
// the border, the interior is written by the xori generic in place.
// CHECK-LABEL: func @conv_direct_nhwc
// CHECK: %[[FILL:.*]] = linalg.fill ins(%c-125_i8 : i8) outs(%{{.*}} : tensor<1x5x6x4xi8>)
// CHECK: %[[IN:.*]] = tensor.extract_slice %[[FILL]][0, 1, 2, 0] [1, 3, 3, 4] [1, 1, 1, 1]
// CHECK: %[[FLIP:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x3x3x4xi8>) outs(%[[IN]] : tensor<1x3x3x4xi8>)
// CHECK: arith.xori %{{.*}}, %c-128_i8 : i8
// CHECK: %[[PAD:.*]] = tensor.insert_slice %[[FLIP]] into %[[FILL]][0, 1, 2, 0] [1, 3, 3, 4] [1, 1, 1, 1]
// The whole attribute dictionary: no lhs_sign_flip (the copy flipped).
// CHECK: qnn.packed_matmul ins(%[[PAD]], %{{.*}} : tensor<1x5x6x4xi8>, tensor<1x9x64xi8>) requantize({{.*}}) outs(%{{.*}} : tensor<1x2x2x2xi8>)
// CHECK-SAME: {dilations = array<i64: 1, 1>, output_max = 127 : i64, output_min = -128 : i64, output_zero_point = 0 : i64, strides = array<i64: 2, 3>, window = array<i64: 3, 3>}
// CHECK-NOT: qnn.conv2d
func.func @conv_direct_nhwc(%x: tensor<1x3x3x4x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<3x3x4x2xi8>
  %w = quant.scast %w8 : tensor<3x3x4x2xi8> to tensor<3x3x4x2x!quant.uniform<i8:f32, 1.0>>
  %y = qnn.conv2d %x, %w {layout = "nhwc_hwcf", strides = array<i64: 2, 3>, padding = array<i64: 1, 2, 1, 1>} : tensor<1x3x3x4x!quant.uniform<i8:f32, 0.5:3>>, tensor<3x3x4x2x!quant.uniform<i8:f32, 1.0>> -> tensor<1x2x2x2x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x2x2x2x!quant.uniform<i8:f32, 2.0>>
}

// -----

// u8 input, no padding, NHWC: the input itself is the lhs (no copy).
// CHECK-LABEL: func @conv_direct_in_place
// CHECK: %[[X:.*]] = quant.scast %arg0 {{.*}} to tensor<1x2x2x8xi8>
// CHECK-NOT: linalg.generic
// CHECK: qnn.packed_matmul ins(%[[X]], %{{.*}} : tensor<1x2x2x8xi8>, tensor<1x2x64xi8>)
// CHECK-SAME: window = array<i64: 1, 1>
func.func @conv_direct_in_place(%x: tensor<1x2x2x8x!quant.uniform<u8:f32, 0.5:128>>) -> tensor<1x2x2x3x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<1x1x8x3xi8>
  %w = quant.scast %w8 : tensor<1x1x8x3xi8> to tensor<1x1x8x3x!quant.uniform<i8:f32, 1.0>>
  %y = qnn.conv2d %x, %w {layout = "nhwc_hwcf"} : tensor<1x2x2x8x!quant.uniform<u8:f32, 0.5:128>>, tensor<1x1x8x3x!quant.uniform<i8:f32, 1.0>> -> tensor<1x2x2x3x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x2x2x3x!quant.uniform<i8:f32, 2.0>>
}

// -----

// NCHW: the padding copy also transposes the input to NHWC; the NHWC result
// is transposed back.
// CHECK-DAG: #[[NCHW:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
// CHECK-LABEL: func @conv_direct_nchw
// CHECK: linalg.generic {indexing_maps = [#[[NCHW]], #{{.*}}], {{.*}} ins(%{{.*}} : tensor<1x4x2x2xi8>) outs(%{{.*}} : tensor<1x2x2x4xi8>)
// CHECK: qnn.packed_matmul ins(%{{.*}}, %{{.*}} : tensor<1x2x2x4xi8>, tensor<1x1x64xi8>) {{.*}} outs(%{{.*}} : tensor<1x2x2x5xi8>)
// CHECK: linalg.transpose ins({{.*}} : tensor<1x2x2x5xi8>) outs({{.*}} : tensor<1x5x2x2xi8>) permutation = [0, 3, 1, 2]
func.func @conv_direct_nchw(%x: tensor<1x4x2x2x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x5x2x2x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<5x4x1x1xi8>
  %w = quant.scast %w8 : tensor<5x4x1x1xi8> to tensor<5x4x1x1x!quant.uniform<i8:f32, 1.0>>
  %y = qnn.conv2d %x, %w {layout = "nchw_fchw"} : tensor<1x4x2x2x!quant.uniform<i8:f32, 0.5:3>>, tensor<5x4x1x1x!quant.uniform<i8:f32, 1.0>> -> tensor<1x5x2x2x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x5x2x2x!quant.uniform<i8:f32, 2.0>>
}

// -----

// Depthwise, 16 channels: the depthwise form on the padded, sign-flipped
// input (the same copy as the convolution form); offsets -(3 + 128) * 9.
// CHECK-LABEL: func @depthwise_direct
// CHECK-DAG: %[[OFF:.*]] = arith.constant dense<-1179> : tensor<16xi32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<1> : tensor<1x9x16xi8>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%c-125_i8 : i8) outs(%{{.*}} : tensor<1x6x6x16xi8>)
// CHECK: arith.xori %{{.*}}, %c-128_i8 : i8
// CHECK: %[[PAD:.*]] = tensor.insert_slice %{{.*}} into %[[FILL]][0, 1, 1, 0] [1, 4, 4, 16] [1, 1, 1, 1]
// CHECK: qnn.packed_matmul ins(%[[PAD]], %[[W]] : tensor<1x6x6x16xi8>, tensor<1x9x16xi8>) requantize(%[[OFF]], %{{.*}} : tensor<16xi32>, tensor<16xf64>) outs(%{{.*}} : tensor<1x4x4x16xi8>)
// CHECK-SAME: {depthwise, dilations = array<i64: 1, 1>, output_max = 127 : i64, output_min = -128 : i64, output_zero_point = 0 : i64, strides = array<i64: 1, 1>, window = array<i64: 3, 3>}
// CHECK-NOT: qnn.conv2d
func.func @depthwise_direct(%x: tensor<1x4x4x16x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x4x4x16x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<3x3x16xi8>
  %w = quant.scast %w8 : tensor<3x3x16xi8> to tensor<3x3x16x!quant.uniform<i8:f32, 1.0>>
  %y = qnn.conv2d %x, %w {layout = "nhwc_hwc", padding = array<i64: 1, 1, 1, 1>} : tensor<1x4x4x16x!quant.uniform<i8:f32, 0.5:3>>, tensor<3x3x16x!quant.uniform<i8:f32, 1.0>> -> tensor<1x4x4x16x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x4x4x16x!quant.uniform<i8:f32, 2.0>>
}

// -----

// The HWC filter as window positions x channels, 16 channels per panel
// (packed[t, p, j] = W[p, 16t + j]); u8 input without padding is read in
// place; offsets -128 * (W[0, j] + W[1, j]) = -128 * (16 + 2j).
// CHECK-LABEL: func @depthwise_panels
// CHECK-DAG: %[[OFF:.*]] = arith.constant dense<[-2048, -2304, -2560, {{.*}}, -5888]> : tensor<16xi32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[}}0, 1, 2, {{.*}}, 15], [16, 17, {{.*}}, 31]]]> : tensor<1x2x16xi8>
// CHECK: %[[X:.*]] = quant.scast %arg0
// CHECK-NOT: linalg.generic
// CHECK: qnn.packed_matmul ins(%[[X]], %[[W]] : tensor<1x2x3x16xi8>, tensor<1x2x16xi8>) requantize(%[[OFF]]
// CHECK-SAME: depthwise
// CHECK-SAME: window = array<i64: 1, 2>
func.func @depthwise_panels(%x: tensor<1x2x3x16x!quant.uniform<u8:f32, 0.5:128>>) -> tensor<1x2x2x16x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<[[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]]]> : tensor<1x2x16xi8>
  %w = quant.scast %w8 : tensor<1x2x16xi8> to tensor<1x2x16x!quant.uniform<i8:f32, 1.0>>
  %y = qnn.conv2d %x, %w {layout = "nhwc_hwc"} : tensor<1x2x3x16x!quant.uniform<u8:f32, 0.5:128>>, tensor<1x2x16x!quant.uniform<i8:f32, 1.0>> -> tensor<1x2x2x16x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x2x2x16x!quant.uniform<i8:f32, 2.0>>
}

// -----

// Channels not a multiple of 16, or filter zero points: left to the
// generic lowering.
// CHECK-LABEL: func @depthwise_8_channels_stays
// CHECK: qnn.conv2d
// CHECK-NOT: qnn.packed_matmul
func.func @depthwise_8_channels_stays(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x2x2x8x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<3x3x8xi8>
  %w = quant.scast %w8 : tensor<3x3x8xi8> to tensor<3x3x8x!quant.uniform<i8:f32, 1.0>>
  %y = qnn.conv2d %x, %w {layout = "nhwc_hwc"} : tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:3>>, tensor<3x3x8x!quant.uniform<i8:f32, 1.0>> -> tensor<1x2x2x8x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x2x2x8x!quant.uniform<i8:f32, 2.0>>
}

// -----

// CHECK-LABEL: func @depthwise_weight_zero_point_stays
// CHECK: qnn.conv2d
// CHECK-NOT: qnn.packed_matmul
func.func @depthwise_weight_zero_point_stays(%x: tensor<1x4x4x16x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x2x2x16x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<3x3x16xi8>
  %w = quant.scast %w8 : tensor<3x3x16xi8> to tensor<3x3x16x!quant.uniform<i8:f32, 1.0:2>>
  %y = qnn.conv2d %x, %w {layout = "nhwc_hwc"} : tensor<1x4x4x16x!quant.uniform<i8:f32, 0.5:3>>, tensor<3x3x16x!quant.uniform<i8:f32, 1.0:2>> -> tensor<1x2x2x16x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x2x2x16x!quant.uniform<i8:f32, 2.0>>
}

// -----

// A filter zero point needs the row sums of the im2col matrix: im2col.
// CHECK-LABEL: func @conv_weight_zero_point_via_im2col
// CHECK: tensor.collapse_shape {{.*}} into tensor<4x4xi8>
// CHECK: qnn.packed_matmul ins(%{{.*}}, %{{.*}} : tensor<4x4xi8>, tensor<1x1x64xi8>) {{.*}} row_sums
// CHECK-NOT: window
func.func @conv_weight_zero_point_via_im2col(%x: tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 2.0>> {
  %w8 = arith.constant dense<1> : tensor<1x1x4x2xi8>
  %w = quant.scast %w8 : tensor<1x1x4x2xi8> to tensor<1x1x4x2x!quant.uniform<i8:f32, 1.0:5>>
  %y = qnn.conv2d %x, %w {layout = "nhwc_hwcf"} : tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:3>>, tensor<1x1x4x2x!quant.uniform<i8:f32, 1.0:5>> -> tensor<1x2x2x2x!quant.uniform<i8:f32, 2.0>>
  return %y : tensor<1x2x2x2x!quant.uniform<i8:f32, 2.0>>
}

// -----

// f32 NHWC convolution with a constant filter: the float convolution form,
// the filter packed as the (3 * 3 * 2) x 3 matrix; the init is kept.
// CHECK-LABEL: func @float_conv
// CHECK: qnn.packed_matmul ins(%arg0, %{{.*}} : tensor<1x7x6x2xf32>, tensor<1x18x16xf32>) outs(%arg1 : tensor<1x2x4x3xf32>)
// CHECK-SAME: dilations = array<i64: 2, 1>
// CHECK-SAME: strides = array<i64: 2, 1>
// CHECK-SAME: window = array<i64: 3, 3>
// CHECK-NOT: linalg.conv_2d
func.func @float_conv(%x: tensor<1x7x6x2xf32>, %init: tensor<1x2x4x3xf32>) -> tensor<1x2x4x3xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x2x3xf32>
  %y = linalg.conv_2d_nhwc_hwcf {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[2, 1]> : tensor<2xi64>}
      ins(%x, %w : tensor<1x7x6x2xf32>, tensor<3x3x2x3xf32>) outs(%init : tensor<1x2x4x3xf32>) -> tensor<1x2x4x3xf32>
  return %y : tensor<1x2x4x3xf32>
}

// -----

// f32 depthwise with a constant filter and 16 channels: the depthwise form.
// CHECK-LABEL: func @float_depthwise
// CHECK: qnn.packed_matmul ins(%arg0, %{{.*}} : tensor<1x4x5x16xf32>, tensor<1x9x16xf32>) outs(%arg1 : tensor<1x2x2x16xf32>)
// CHECK-SAME: {depthwise, dilations = array<i64: 1, 1>, strides = array<i64: 1, 2>, window = array<i64: 3, 3>}
// CHECK-NOT: linalg.depthwise_conv_2d
func.func @float_depthwise(%x: tensor<1x4x5x16xf32>, %init: tensor<1x2x2x16xf32>) -> tensor<1x2x2x16xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x16xf32>
  %y = linalg.depthwise_conv_2d_nhwc_hwc {strides = dense<[1, 2]> : tensor<2xi64>, dilations = dense<[1, 1]> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x5x16xf32>, tensor<3x3x16xf32>) outs(%init : tensor<1x2x2x16xf32>) -> tensor<1x2x2x16xf32>
  return %y : tensor<1x2x2x16xf32>
}

// -----

// CHECK-LABEL: func @float_depthwise_8_channels_stays
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK-NOT: qnn.packed_matmul
func.func @float_depthwise_8_channels_stays(%x: tensor<1x4x4x8xf32>, %init: tensor<1x2x2x8xf32>) -> tensor<1x2x2x8xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x8xf32>
  %y = linalg.depthwise_conv_2d_nhwc_hwc ins(%x, %w : tensor<1x4x4x8xf32>, tensor<3x3x8xf32>) outs(%init : tensor<1x2x2x8xf32>) -> tensor<1x2x2x8xf32>
  return %y : tensor<1x2x2x8xf32>
}

// -----

// A filter computed at run time stays a convolution.
// CHECK-LABEL: func @float_conv_runtime_filter
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: qnn.packed_matmul
func.func @float_conv_runtime_filter(%x: tensor<1x4x4x2xf32>, %w: tensor<3x3x2x3xf32>, %init: tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32> {
  %y = linalg.conv_2d_nhwc_hwcf ins(%x, %w : tensor<1x4x4x2xf32>, tensor<3x3x2x3xf32>) outs(%init : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  return %y : tensor<1x2x2x3xf32>
}

// -----

// Only f32 with static shapes: an f16 or dynamically shaped convolution stays.
// CHECK-LABEL: func @float_conv_f16_stays
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: qnn.packed_matmul
func.func @float_conv_f16_stays(%x: tensor<1x4x4x2xf16>, %init: tensor<1x2x2x3xf16>) -> tensor<1x2x2x3xf16> {
  %w = arith.constant dense<0.5> : tensor<3x3x2x3xf16>
  %y = linalg.conv_2d_nhwc_hwcf ins(%x, %w : tensor<1x4x4x2xf16>, tensor<3x3x2x3xf16>) outs(%init : tensor<1x2x2x3xf16>) -> tensor<1x2x2x3xf16>
  return %y : tensor<1x2x2x3xf16>
}

// -----

// CHECK-LABEL: func @float_conv_dynamic_stays
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: qnn.packed_matmul
func.func @float_conv_dynamic_stays(%x: tensor<?x4x4x2xf32>, %init: tensor<?x2x2x3xf32>) -> tensor<?x2x2x3xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x2x3xf32>
  %y = linalg.conv_2d_nhwc_hwcf ins(%x, %w : tensor<?x4x4x2xf32>, tensor<3x3x2x3xf32>) outs(%init : tensor<?x2x2x3xf32>) -> tensor<?x2x2x3xf32>
  return %y : tensor<?x2x2x3xf32>
}

// -----

// Transposed right operand with a multiple of 16 columns: no padding
// columns, so the run-time packing is a plain affine copy (no extract or
// select per element): packed[b, t, k, j] = K[b, 16t + j, k].
// CHECK-DAG: #[[KT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 * 16 + d3, d2)>
// CHECK-LABEL: func @packs_aligned_transposed_operand
// CHECK: linalg.generic {indexing_maps = [#[[KT]], #{{.*}}], {{.*}} ins(%arg1 : tensor<2x32x4xf32>) outs(%{{.*}} : tensor<2x2x4x16xf32>)
// CHECK-NOT: tensor.extract %arg1
// CHECK: qnn.packed_matmul
func.func @packs_aligned_transposed_operand(%q: tensor<2x3x4xf32>, %k: tensor<2x32x4xf32>, %init: tensor<2x3x32xf32>) -> tensor<2x3x32xf32> {
  %s = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>]
      ins(%q, %k : tensor<2x3x4xf32>, tensor<2x32x4xf32>) outs(%init : tensor<2x3x32xf32>) -> tensor<2x3x32xf32>
  return %s : tensor<2x3x32xf32>
}

// -----

// An already-integer matmul (i8 x constant i8 -> i32 into zeros): the
// accumulator form, the activations read as u8 (+128) and the column offsets
// -128 * column sums of the weights ([1 + 3, 2 + 4] -> [-512, -768]).
// CHECK-LABEL: func @integer_matmul
// CHECK: %[[OFFSETS:.*]] = arith.constant dense<[-512, -768, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi32>
// CHECK: qnn.packed_matmul ins(%{{.*}}, %{{.*}} : tensor<5x2xi8>, tensor<1x1x64xi8>) offsets(%[[OFFSETS]] : tensor<16xi32>) outs(%{{.*}} : tensor<5x2xi32>) {lhs_sign_flip} -> tensor<5x2xi32>
func.func @integer_matmul(%a: tensor<5x2xi8>) -> tensor<5x2xi32> {
  %w = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<5x2xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<5x2xi32>) -> tensor<5x2xi32>
  %y = linalg.matmul ins(%a, %w : tensor<5x2xi8>, tensor<2x2xi8>) outs(%f : tensor<5x2xi32>) -> tensor<5x2xi32>
  return %y : tensor<5x2xi32>
}

// -----

// Unsigned operands, or an init that is not zeros: left to the generic lowering.
// CHECK-LABEL: func @integer_matmul_left
// CHECK-NOT: qnn.packed_matmul
// CHECK: linalg.matmul
// CHECK: linalg.matmul
func.func @integer_matmul_left(%a: tensor<5x2xi8>, %acc: tensor<5x2xi32>) -> (tensor<5x2xi32>, tensor<5x2xi32>) {
  %w = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<5x2xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<5x2xi32>) -> tensor<5x2xi32>
  %u = linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%a, %w : tensor<5x2xi8>, tensor<2x2xi8>) outs(%f : tensor<5x2xi32>) -> tensor<5x2xi32>
  %y = linalg.matmul ins(%a, %w : tensor<5x2xi8>, tensor<2x2xi8>) outs(%acc : tensor<5x2xi32>) -> tensor<5x2xi32>
  return %u, %y : tensor<5x2xi32>, tensor<5x2xi32>
}
