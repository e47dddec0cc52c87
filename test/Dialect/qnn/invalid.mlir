// Every verifier error of the qnn ops.
// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @quantize_zero_point_out_of_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.quantize' op result zero point 300 is outside the storage range [-128, 127]}}
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5:300>>
  return
}

// -----

func.func @quantize_unsigned_zero_point_out_of_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.quantize' op result zero point -1 is outside the storage range [0, 255]}}
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<u8:f32, 0.5:-1>>
  return
}

// -----

func.func @quantize_narrow_range_zero_point(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.quantize' op result zero point -128 is outside the storage range [-127, 127]}}
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5:-128>>
  return
}

// -----

func.func @quantize_denormal_scale(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.quantize' op result scale must be finite, > 0 and a normal f32, got 1.000000e-40}}
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 1.0e-40>>
  return
}

// -----

func.func @quantize_axis_out_of_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.quantize' op result axis 1 is out of range for a tensor of rank 1}}
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return
}

// -----

func.func @quantize_scale_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnn.quantize' op result has 2 channels but dimension 1 has size 3}}
  %q = qnn.quantize %x : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return
}

// -----

func.func @quantize_channel_zero_point(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnn.quantize' op result channel 1 zero point 256 is outside the storage range [0, 255]}}
  %q = qnn.quantize %x : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<u8:f32:0, {0.1:3, 0.2:256}>>
  return
}

// -----

func.func @quantize_expressed_type(%x: tensor<4xf16>) {
  // expected-error @+1 {{'qnn.quantize' op input element type 'f16' does not match the result's expressed type 'f32'}}
  %q = qnn.quantize %x : tensor<4xf16> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @quantize_not_quantized(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.quantize' op result #0 must be ranked tensor of uniform quantized type (per tensor or per axis) values}}
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4xi8>
  return
}

// -----

func.func @quantize_any_quantized(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.quantize' op result #0 must be ranked tensor of uniform quantized type (per tensor or per axis) values}}
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.any<i8:f32>>
  return
}

// -----

func.func @quantize_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.quantize' op requires the same shape for all operands and results}}
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<5x!quant.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @dequantize_expressed_type(%q: tensor<4x!quant.uniform<i8:f32, 0.5>>) {
  // expected-error @+1 {{'qnn.dequantize' op result element type 'bf16' does not match the input's expressed type 'f32'}}
  %x = qnn.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5>> -> tensor<4xbf16>
  return
}

// -----

func.func @dequantize_zero_point(%q: tensor<4x!quant.uniform<i8:f32, 0.5:128>>) {
  // expected-error @+1 {{'qnn.dequantize' op input zero point 128 is outside the storage range [-128, 127]}}
  %x = qnn.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5:128>> -> tensor<4xf32>
  return
}

// -----

func.func @dequantize_axis(%q: tensor<4x!quant.uniform<i8:f32:2, {0.5}>>) {
  // expected-error @+1 {{'qnn.dequantize' op input axis 2 is out of range for a tensor of rank 1}}
  %x = qnn.dequantize %q : tensor<4x!quant.uniform<i8:f32:2, {0.5}>> -> tensor<4xf32>
  return
}

// -----

func.func @requantize_expressed_type(%q: tensor<4x!quant.uniform<i32:f32, 0.01>>) {
  // expected-error @+1 {{'qnn.requantize' op cannot change the expressed type (input 'f32', result 'f16')}}
  %r = qnn.requantize %q : tensor<4x!quant.uniform<i32:f32, 0.01>> -> tensor<4x!quant.uniform<i8:f16, 0.1>>
  return
}

// -----

func.func @requantize_result_zero_point(%q: tensor<4x!quant.uniform<i32:f32, 0.01>>) {
  // expected-error @+1 {{'qnn.requantize' op result zero point 1000 is outside the storage range [-128, 127]}}
  %r = qnn.requantize %q : tensor<4x!quant.uniform<i32:f32, 0.01>> -> tensor<4x!quant.uniform<i8:f32, 0.1:1000>>
  return
}

// -----

func.func @requantize_input_channels(%q: tensor<4x3x!quant.uniform<i32:f32:1, {0.01, 0.02}>>) {
  // expected-error @+1 {{'qnn.requantize' op input has 2 channels but dimension 1 has size 3}}
  %r = qnn.requantize %q : tensor<4x3x!quant.uniform<i32:f32:1, {0.01, 0.02}>> -> tensor<4x3x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @observe_negative_id(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.observe' op id must be >= 0, got -1}}
  %y = qnn.observe %x id(-1) : tensor<4xf32>
  return
}

// -----

func.func @observe_negative_axis(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.observe' op observed axis -1 is out of range for a tensor of rank 1}}
  %y = qnn.observe %x id(0) axis(-1) : tensor<4xf32>
  return
}

// -----

func.func @observe_axis(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.observe' op observed axis 1 is out of range for a tensor of rank 1}}
  %y = qnn.observe %x id(0) axis(1) : tensor<4xf32>
  return
}

// -----

func.func @observe_integer(%x: tensor<4xi8>) {
  // expected-error @+1 {{'qnn.observe' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %y = qnn.observe %x id(0) : tensor<4xi8>
  return
}

// -----

func.func @fake_quant_no_grid(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op expects either 'scales' and 'zero_points' or 'min' and 'max'}}
  %y = qnn.fake_quant %x {num_bits = 8} : tensor<4xf32>
  return
}

// -----

func.func @fake_quant_both_grids(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op expects either 'scales' and 'zero_points' or 'min' and 'max'}}
  %y = qnn.fake_quant %x {scales = array<f64: 0.1>, zero_points = array<i64: 0>, min = array<f64: -1.0>, max = array<f64: 1.0>} : tensor<4xf32>
  return
}

// -----

func.func @fake_quant_scales_alone(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op 'scales' and 'zero_points' must be given together}}
  %y = qnn.fake_quant %x {scales = array<f64: 0.1>} : tensor<4xf32>
  return
}

// -----

func.func @fake_quant_min_alone(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op 'min' and 'max' must be given together}}
  %y = qnn.fake_quant %x {min = array<f64: -1.0>} : tensor<4xf32>
  return
}

// -----

func.func @fake_quant_bits(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op num_bits must be in [2, 16], got 17}}
  %y = qnn.fake_quant %x {min = array<f64: -1.0>, max = array<f64: 1.0>, num_bits = 17} : tensor<4xf32>
  return
}

// -----

func.func @fake_quant_lengths(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op has 2 scales but 1 zero points}}
  %y = qnn.fake_quant %x {axis = 0, scales = array<f64: 0.1, 0.2>, zero_points = array<i64: 0>} : tensor<2x4xf32>
  return
}

// -----

func.func @fake_quant_per_tensor_arrays(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op without 'axis' expects one value per array, got 2}}
  %y = qnn.fake_quant %x {min = array<f64: -1.0, -2.0>, max = array<f64: 1.0, 2.0>} : tensor<4xf32>
  return
}

// -----

func.func @fake_quant_axis(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op per-axis axis 3 is out of range for a tensor of rank 1}}
  %y = qnn.fake_quant %x {axis = 3, min = array<f64: -1.0>, max = array<f64: 1.0>} : tensor<4xf32>
  return
}

// -----

func.func @fake_quant_channels(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op per-axis has 2 channels but dimension 0 has size 3}}
  %y = qnn.fake_quant %x {axis = 0, min = array<f64: -1.0, -1.0>, max = array<f64: 1.0, 1.0>} : tensor<3x4xf32>
  return
}

// -----

func.func @fake_quant_scale(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op fake-quant scale must be finite, > 0 and a normal f32, got 0.000000e+00}}
  %y = qnn.fake_quant %x {scales = array<f64: 0.0>, zero_points = array<i64: 0>} : tensor<4xf32>
  return
}

// -----

func.func @fake_quant_zero_point(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op fake-quant channel 1 zero point 8 is outside the storage range [-8, 7]}}
  %y = qnn.fake_quant %x {axis = 0, scales = array<f64: 0.1, 0.1>, zero_points = array<i64: 0, 8>, num_bits = 4} : tensor<2x4xf32>
  return
}

// -----

func.func @fake_quant_min_above_max(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op range [2.000000e+00, 1.000000e+00] must be finite with min <= max}}
  %y = qnn.fake_quant %x {min = array<f64: 2.0>, max = array<f64: 1.0>} : tensor<4xf32>
  return
}

// -----

func.func @fake_quant_infinite_range(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'qnn.fake_quant' op range [-1.000000e+00, INF] of channel 1 must be finite with min <= max}}
  %y = qnn.fake_quant %x {axis = 0, min = array<f64: -1.0, -1.0>, max = array<f64: 1.0, 0x7FF0000000000000>} : tensor<2x4xf32>
  return
}

// -----

func.func @dynamic_quantize_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.dynamic_quantize' op output shape must match the input shape}}
  %q, %s, %zp = qnn.dynamic_quantize %x : tensor<4xf32> -> tensor<5xui8>, tensor<f32>, tensor<ui8>
  return
}

// -----

func.func @dynamic_quantize_scale_rank(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.dynamic_quantize' op scale and zero_point must be 0-d tensors}}
  %q, %s, %zp = qnn.dynamic_quantize %x : tensor<4xf32> -> tensor<4xui8>, tensor<1xf32>, tensor<ui8>
  return
}

// -----

func.func @dynamic_quantize_scale_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.dynamic_quantize' op scale element type 'f16' must match the input element type 'f32'}}
  %q, %s, %zp = qnn.dynamic_quantize %x : tensor<4xf32> -> tensor<4xui8>, tensor<f16>, tensor<ui8>
  return
}

// -----

func.func @dynamic_quantize_zero_point_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.dynamic_quantize' op zero_point element type 'i8' must match the output element type 'ui8'}}
  %q, %s, %zp = qnn.dynamic_quantize %x : tensor<4xf32> -> tensor<4xui8>, tensor<f32>, tensor<i8>
  return
}

// -----

func.func @dynamic_quantize_symmetric_unsigned(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.dynamic_quantize' op symmetric quantization needs signed storage, got 'ui8'}}
  %q, %s, %zp = qnn.dynamic_quantize %x {symmetric = true} : tensor<4xf32> -> tensor<4xui8>, tensor<f32>, tensor<ui8>
  return
}

// -----

func.func @dynamic_quantize_float_output(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnn.dynamic_quantize' op result #0 must be ranked tensor of 8-bit signless integer or 8-bit unsigned integer or 16-bit signless integer or 16-bit unsigned integer values}}
  %q, %s, %zp = qnn.dynamic_quantize %x : tensor<4xf32> -> tensor<4xf32>, tensor<f32>, tensor<ui8>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @matmul_k_mismatch(%a: tensor<4x16x!qa>, %b: tensor<8x4x!qa>) {
  // expected-error @+1 {{'qnn.matmul' op lhs has K = 16 but rhs has K = 8}}
  %y = qnn.matmul %a, %b : tensor<4x16x!qa>, tensor<8x4x!qa> -> tensor<4x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @matmul_result_shape(%a: tensor<4x16x!qa>, %b: tensor<16x4x!qa>) {
  // expected-error @+1 {{'qnn.matmul' op result shape must be lhs rows x rhs columns}}
  %y = qnn.matmul %a, %b : tensor<4x16x!qa>, tensor<16x4x!qa> -> tensor<4x5x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @matmul_rank(%a: tensor<2x4x16x!qa>, %b: tensor<16x4x!qa>) {
  // expected-error @+1 {{'qnn.matmul' op expects rank-2 lhs, rhs and result}}
  %y = qnn.matmul %a, %b : tensor<2x4x16x!qa>, tensor<16x4x!qa> -> tensor<4x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @matmul_weights_axis(%a: tensor<4x2x!qa>, %b: tensor<2x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{'qnn.matmul' op rhs must be quantized per output channel (dimension 1), not dimension 0}}
  %y = qnn.matmul %a, %b : tensor<4x2x!qa>, tensor<2x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<4x4x!qy>
  return
}

// -----

!qy = !quant.uniform<i8:f32, 0.1>

func.func @matmul_wide_operands(%a: tensor<4x2x!quant.uniform<i16:f32, 0.05>>, %b: tensor<2x4x!quant.uniform<i8:f32, 0.05>>) {
  // expected-error @+1 {{'qnn.matmul' op lhs storage must be at most 8 bits}}
  %y = qnn.matmul %a, %b : tensor<4x2x!quant.uniform<i16:f32, 0.05>>, tensor<2x4x!quant.uniform<i8:f32, 0.05>> -> tensor<4x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @matmul_bias(%a: tensor<4x2x!qa>, %b: tensor<2x4x!qa>, %bias: tensor<3xi32>) {
  // expected-error @+1 {{'qnn.matmul' op bias must have one value per output column}}
  %y = qnn.matmul %a, %b bias %bias : tensor<4x2x!qa>, tensor<2x4x!qa>, tensor<3xi32> -> tensor<4x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<u8:f32, 0.1:128>

func.func @matmul_clamp_range(%a: tensor<4x2x!qa>, %b: tensor<2x4x!qa>) {
  // expected-error @+1 {{'qnn.matmul' op clamp bounds must lie in the result storage range [0, 255]}}
  %y = qnn.matmul %a, %b {clamp_min = -1 : i64} : tensor<4x2x!qa>, tensor<2x4x!qa> -> tensor<4x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @matmul_clamp_order(%a: tensor<4x2x!qa>, %b: tensor<2x4x!qa>) {
  // expected-error @+1 {{'qnn.matmul' op clamp_min 10 is above clamp_max 5}}
  %y = qnn.matmul %a, %b {clamp_min = 10 : i64, clamp_max = 5 : i64} : tensor<4x2x!qa>, tensor<2x4x!qa> -> tensor<4x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>

func.func @matmul_expressed(%a: tensor<4x2x!qa>, %b: tensor<2x4x!qa>) {
  // expected-error @+1 {{'qnn.matmul' op lhs, rhs and result must have the same expressed type}}
  %y = qnn.matmul %a, %b : tensor<4x2x!qa>, tensor<2x4x!qa> -> tensor<4x4x!quant.uniform<i8:f16, 0.1>>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>

func.func @matmul_per_axis_lhs(%a: tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.1, 0.1, 0.1}>>, %b: tensor<2x4x!qa>) {
  // expected-error @+1 {{'qnn.matmul' op expects per-tensor quantized lhs and result}}
  %y = qnn.matmul %a, %b : tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.1, 0.1, 0.1}>>, tensor<2x4x!qa> -> tensor<4x4x!qa>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_layout(%x: tensor<1x4x4x2x!qa>, %w: tensor<3x3x2x4x!qa>) {
  // expected-error @+1 {{'qnn.conv2d' op layout 'hwcn' is not nhwc_hwcf, nchw_fchw or nhwc_hwc}}
  %y = qnn.conv2d %x, %w {layout = "hwcn"} : tensor<1x4x4x2x!qa>, tensor<3x3x2x4x!qa> -> tensor<1x2x2x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_channels(%x: tensor<1x4x4x3x!qa>, %w: tensor<3x3x2x4x!qa>) {
  // expected-error @+1 {{'qnn.conv2d' op input has 3 channels but the filter expects 2}}
  %y = qnn.conv2d %x, %w : tensor<1x4x4x3x!qa>, tensor<3x3x2x4x!qa> -> tensor<1x2x2x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_spatial(%x: tensor<1x4x4x2x!qa>, %w: tensor<3x3x2x4x!qa>) {
  // expected-error @+1 {{'qnn.conv2d' op result spatial dimension 0 is 4 but the convolution gives 2}}
  %y = qnn.conv2d %x, %w : tensor<1x4x4x2x!qa>, tensor<3x3x2x4x!qa> -> tensor<1x4x4x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_empty_filter(%x: tensor<1x4x4x2x!qa>, %w: tensor<0x3x2x4x!qa>) {
  // expected-error @+1 {{'qnn.conv2d' op filter spatial dimension 0 is empty}}
  %y = qnn.conv2d %x, %w : tensor<1x4x4x2x!qa>, tensor<0x3x2x4x!qa> -> tensor<1x5x2x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_batch(%x: tensor<2x4x4x2x!qa>, %w: tensor<3x3x2x4x!qa>) {
  // expected-error @+1 {{'qnn.conv2d' op result batch 1 differs from input batch 2}}
  %y = qnn.conv2d %x, %w : tensor<2x4x4x2x!qa>, tensor<3x3x2x4x!qa> -> tensor<1x2x2x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_dilation_overflow(%x: tensor<1x4x4x2x!qa>, %w: tensor<3x3x2x4x!qa>) {
  // expected-error @+1 {{'qnn.conv2d' op padding or dilation of spatial dimension 0 overflows 64 bits}}
  %y = qnn.conv2d %x, %w {dilations = array<i64: 4611686018427387904, 1>} : tensor<1x4x4x2x!qa>, tensor<3x3x2x4x!qa> -> tensor<1x2x2x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_out_channels(%x: tensor<1x4x4x2x!qa>, %w: tensor<3x3x2x4x!qa>) {
  // expected-error @+1 {{'qnn.conv2d' op result has 5 channels but the filter produces 4}}
  %y = qnn.conv2d %x, %w : tensor<1x4x4x2x!qa>, tensor<3x3x2x4x!qa> -> tensor<1x2x2x5x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_filter_rank(%x: tensor<1x4x4x2x!qa>, %w: tensor<3x3x2x!qa>) {
  // expected-error @+1 {{'qnn.conv2d' op expects a rank-4 input and result and a rank-4 filter for layout nhwc_hwcf}}
  %y = qnn.conv2d %x, %w : tensor<1x4x4x2x!qa>, tensor<3x3x2x!qa> -> tensor<1x2x2x2x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_filter_axis(%x: tensor<1x4x4x2x!qa>, %w: tensor<3x3x2x2x!quant.uniform<i8:f32:2, {0.1, 0.2}>>) {
  // expected-error @+1 {{'qnn.conv2d' op filter must be quantized per output channel (dimension 3), not dimension 2}}
  %y = qnn.conv2d %x, %w : tensor<1x4x4x2x!qa>, tensor<3x3x2x2x!quant.uniform<i8:f32:2, {0.1, 0.2}>> -> tensor<1x2x2x2x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_strides(%x: tensor<1x4x4x2x!qa>, %w: tensor<3x3x2x4x!qa>) {
  // expected-error @+1 {{'qnn.conv2d' op strides and dilations must be >= 1 and paddings >= 0}}
  %y = qnn.conv2d %x, %w {strides = array<i64: 0, 1>} : tensor<1x4x4x2x!qa>, tensor<3x3x2x4x!qa> -> tensor<1x2x2x4x!qy>
  return
}

// -----

!qa = !quant.uniform<i8:f32, 0.05>
!qy = !quant.uniform<i8:f32, 0.1>

func.func @conv_bias(%x: tensor<1x4x4x2x!qa>, %w: tensor<3x3x2x4x!qa>, %b: tensor<3xi32>) {
  // expected-error @+1 {{'qnn.conv2d' op bias must have one value per output channel}}
  %y = qnn.conv2d %x, %w bias %b : tensor<1x4x4x2x!qa>, tensor<3x3x2x4x!qa>, tensor<3xi32> -> tensor<1x2x2x4x!qy>
  return
}

// -----

func.func @matmul_integer_zero_point_type(%a: tensor<2x3xui8>, %b: tensor<3x4xi8>, %z: tensor<i8>) {
  // expected-error @+1 {{'qnn.matmul_integer' op lhs zero point must be a 0-d tensor of 'ui8'}}
  %y = qnn.matmul_integer %a, %b zero_point %z : tensor<2x3xui8>, tensor<3x4xi8>, tensor<i8> -> tensor<2x4xi32>
  return
}

// -----

func.func @matmul_integer_k(%a: tensor<2x3xui8>, %b: tensor<5x4xi8>, %z: tensor<ui8>) {
  // expected-error @+1 {{'qnn.matmul_integer' op lhs has K = 3 but rhs has K = 5}}
  %y = qnn.matmul_integer %a, %b zero_point %z : tensor<2x3xui8>, tensor<5x4xi8>, tensor<ui8> -> tensor<2x4xi32>
  return
}

// -----

func.func @matmul_integer_rhs_zp(%a: tensor<2x3xui8>, %b: tensor<3x4xi8>, %z: tensor<ui8>) {
  // expected-error @+1 {{'qnn.matmul_integer' op rhs zero point 200 is outside the storage range [-128, 127]}}
  %y = qnn.matmul_integer %a, %b zero_point %z {rhs_zero_point = 200 : i64} : tensor<2x3xui8>, tensor<3x4xi8>, tensor<ui8> -> tensor<2x4xi32>
  return
}

// -----

func.func @add_shape(%a: tensor<4x!quant.uniform<i8:f32, 0.05>>, %b: tensor<5x!quant.uniform<i8:f32, 0.05>>) {
  // expected-error @+1 {{'qnn.add' op requires the same shape for all operands and results}}
  %s = qnn.add %a, %b : tensor<4x!quant.uniform<i8:f32, 0.05>>, tensor<5x!quant.uniform<i8:f32, 0.05>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @add_per_axis(%a: tensor<2x!quant.uniform<i8:f32:0, {0.05, 0.1}>>, %b: tensor<2x!quant.uniform<i8:f32, 0.05>>) {
  // expected-error @+1 {{'qnn.add' op expects per-tensor quantized lhs}}
  %s = qnn.add %a, %b : tensor<2x!quant.uniform<i8:f32:0, {0.05, 0.1}>>, tensor<2x!quant.uniform<i8:f32, 0.05>> -> tensor<2x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @mul_clamp(%a: tensor<4x!quant.uniform<i8:f32, 0.05>>, %b: tensor<4x!quant.uniform<i8:f32, 0.05>>) {
  // expected-error @+1 {{'qnn.mul' op clamp bounds must lie in the result storage range [-128, 127]}}
  %s = qnn.mul %a, %b {clamp_max = 300 : i64} : tensor<4x!quant.uniform<i8:f32, 0.05>>, tensor<4x!quant.uniform<i8:f32, 0.05>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}
