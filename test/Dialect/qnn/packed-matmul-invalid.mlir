// RUN: quant-opt %s --split-input-file --verify-diagnostics

func.func @packed_shape(%a: tensor<3x5xi8>, %w: tensor<1x1x64xi8>, %o: tensor<16xi32>, %m: tensor<16xf64>, %i: tensor<3x2xi8>) -> tensor<3x2xi8> {
  // expected-error @+1 {{packed_rhs must have shape 1x2x64}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x5xi8>, tensor<1x1x64xi8>) requantize(%o, %m : tensor<16xi32>, tensor<16xf64>) outs(%i : tensor<3x2xi8>) {output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64} -> tensor<3x2xi8>
  return %y : tensor<3x2xi8>
}

// -----

func.func @missing_requantize(%a: tensor<3x2xi8>, %w: tensor<1x1x64xi8>, %i: tensor<3x2xi8>) -> tensor<3x2xi8> {
  // expected-error @+1 {{the i8 form needs col_offsets, multipliers, output_zero_point, output_min and output_max}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xi8>, tensor<1x1x64xi8>) outs(%i : tensor<3x2xi8>) -> tensor<3x2xi8>
  return %y : tensor<3x2xi8>
}

// -----

func.func @offsets_size(%a: tensor<3x2xi8>, %w: tensor<1x1x64xi8>, %o: tensor<2xi32>, %m: tensor<16xf64>, %i: tensor<3x2xi8>) -> tensor<3x2xi8> {
  // expected-error @+1 {{col_offsets must be 16 x 'i32' (N rounded up to 16)}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xi8>, tensor<1x1x64xi8>) requantize(%o, %m : tensor<2xi32>, tensor<16xf64>) outs(%i : tensor<3x2xi8>) {output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64} -> tensor<3x2xi8>
  return %y : tensor<3x2xi8>
}

// -----

func.func @output_range(%a: tensor<3x2xi8>, %w: tensor<1x1x64xi8>, %o: tensor<16xi32>, %m: tensor<16xf64>, %i: tensor<3x2xi8>) -> tensor<3x2xi8> {
  // expected-error @+1 {{output zero point and range must lie in [0, 255] with min <= max}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xi8>, tensor<1x1x64xi8>) requantize(%o, %m : tensor<16xi32>, tensor<16xf64>) outs(%i : tensor<3x2xi8>) {output_unsigned, output_zero_point = -1 : i64, output_min = 0 : i64, output_max = 255 : i64} -> tensor<3x2xi8>
  return %y : tensor<3x2xi8>
}

// -----

func.func @float_with_requantize(%a: tensor<3x2xf32>, %w: tensor<1x2x16xf32>, %o: tensor<16xi32>, %m: tensor<16xf64>, %i: tensor<3x2xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{the f32 form takes no requantize operands or attributes}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xf32>, tensor<1x2x16xf32>) requantize(%o, %m : tensor<16xi32>, tensor<16xf64>) outs(%i : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @mixed_types(%a: tensor<3x2xf32>, %w: tensor<1x1x64xi8>, %i: tensor<3x2xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{lhs, packed_rhs and init must have one element type}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xf32>, tensor<1x1x64xi8>) outs(%i : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @dynamic(%a: tensor<3x?xf32>, %w: tensor<1x2x16xf32>, %i: tensor<3x2xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{lhs columns and init columns must be static}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x?xf32>, tensor<1x2x16xf32>) outs(%i : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @rows(%a: tensor<3x2xf32>, %w: tensor<1x2x16xf32>, %i: tensor<4x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{lhs and init disagree on the number of rows}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xf32>, tensor<1x2x16xf32>) outs(%i : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @tensor_without_result(%a: tensor<3x2xf32>, %w: tensor<1x2x16xf32>, %i: tensor<3x2xf32>) {
  // expected-error @+1 {{a tensor init needs a result}}
  qnn.packed_matmul ins(%a, %w : tensor<3x2xf32>, tensor<1x2x16xf32>) outs(%i : tensor<3x2xf32>)
  return
}

// -----

func.func @conv_channels(%x: tensor<1x4x4x6xi8>, %w: tensor<1x14x64xi8>, %o: tensor<16xi32>, %m: tensor<16xf64>, %i: tensor<1x2x2x16xi8>) -> tensor<1x2x2x16xi8> {
  // expected-error @+1 {{the integer convolution form needs a multiple of 4 channels}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x6xi8>, tensor<1x14x64xi8>) requantize(%o, %m : tensor<16xi32>, tensor<16xf64>) outs(%i : tensor<1x2x2x16xi8>) {output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64, window = array<i64: 3, 3>} -> tensor<1x2x2x16xi8>
  return %y : tensor<1x2x2x16xi8>
}

// -----

func.func @conv_reads_beyond(%x: tensor<1x4x4x4xf32>, %w: tensor<1x36x16xf32>, %i: tensor<1x3x2x16xf32>) -> tensor<1x3x2x16xf32> {
  // expected-error @+1 {{the window reads beyond the input (output height 3)}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x4xf32>, tensor<1x36x16xf32>) outs(%i : tensor<1x3x2x16xf32>) {window = array<i64: 3, 3>} -> tensor<1x3x2x16xf32>
  return %y : tensor<1x3x2x16xf32>
}

// -----

func.func @conv_rank(%x: tensor<4x4xf32>, %w: tensor<1x36x16xf32>, %i: tensor<2x16xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{the convolution form expects static N x H x W x C lhs and N x OH x OW x F init}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<4x4xf32>, tensor<1x36x16xf32>) outs(%i : tensor<2x16xf32>) {window = array<i64: 3, 3>} -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @conv_window_values(%x: tensor<1x4x4x4xf32>, %w: tensor<1x36x16xf32>, %i: tensor<1x2x2x16xf32>) -> tensor<1x2x2x16xf32> {
  // expected-error @+1 {{strides must be two positive values}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x4xf32>, tensor<1x36x16xf32>) outs(%i : tensor<1x2x2x16xf32>) {window = array<i64: 3, 3>, strides = array<i64: 0, 1>} -> tensor<1x2x2x16xf32>
  return %y : tensor<1x2x2x16xf32>
}

// -----

func.func @conv_sign_flip(%x: tensor<1x4x4x4xi8>, %w: tensor<1x9x64xi8>, %o: tensor<16xi32>, %m: tensor<16xf64>, %i: tensor<1x2x2x16xi8>) -> tensor<1x2x2x16xi8> {
  // expected-error @+1 {{the convolution form takes no row_sum_factors and no lhs_sign_flip}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x4xi8>, tensor<1x9x64xi8>) requantize(%o, %m : tensor<16xi32>, tensor<16xf64>) outs(%i : tensor<1x2x2x16xi8>) {lhs_sign_flip, output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64, window = array<i64: 3, 3>} -> tensor<1x2x2x16xi8>
  return %y : tensor<1x2x2x16xi8>
}

// -----

func.func @strides_without_window(%a: tensor<3x2xf32>, %w: tensor<1x2x16xf32>, %i: tensor<3x2xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{strides and dilations need a window}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xf32>, tensor<1x2x16xf32>) outs(%i : tensor<3x2xf32>) {strides = array<i64: 2, 2>} -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @conv_packed_shape(%x: tensor<1x4x4x4xf32>, %w: tensor<1x4x16xf32>, %i: tensor<1x2x2x16xf32>) -> tensor<1x2x2x16xf32> {
  // expected-error @+1 {{packed_rhs must have shape 1x36x16}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x4xf32>, tensor<1x4x16xf32>) outs(%i : tensor<1x2x2x16xf32>) {window = array<i64: 3, 3>} -> tensor<1x2x2x16xf32>
  return %y : tensor<1x2x2x16xf32>
}

// -----

func.func @shifts_with_float_multipliers(%a: tensor<3x4xi8>, %w: tensor<1x1x64xi8>, %o: tensor<16xi32>, %m: tensor<16xf64>, %s: tensor<16xi32>, %i: tensor<3x2xi8>) -> tensor<3x2xi8> {
  // expected-error @+1 {{multipliers must be 16 x 'i32' (N rounded up to 16)}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x4xi8>, tensor<1x1x64xi8>) requantize(%o, %m : tensor<16xi32>, tensor<16xf64>) shifts(%s : tensor<16xi32>) outs(%i : tensor<3x2xi8>) {output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64} -> tensor<3x2xi8>
  return %y : tensor<3x2xi8>
}

// -----

func.func @conv_batch(%x: tensor<2x4x4x4xf32>, %w: tensor<1x36x16xf32>, %i: tensor<1x2x2x16xf32>) -> tensor<1x2x2x16xf32> {
  // expected-error @+1 {{lhs and init disagree on the batch size}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<2x4x4x4xf32>, tensor<1x36x16xf32>) outs(%i : tensor<1x2x2x16xf32>) {window = array<i64: 3, 3>} -> tensor<1x2x2x16xf32>
  return %y : tensor<1x2x2x16xf32>
}

// -----

func.func @conv_window_length(%x: tensor<1x4x4x4xf32>, %w: tensor<1x36x16xf32>, %i: tensor<1x2x2x16xf32>) -> tensor<1x2x2x16xf32> {
  // expected-error @+1 {{window must be two positive values}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x4xf32>, tensor<1x36x16xf32>) outs(%i : tensor<1x2x2x16xf32>) {window = array<i64: 3, 3, 1>} -> tensor<1x2x2x16xf32>
  return %y : tensor<1x2x2x16xf32>
}

// -----

func.func @conv_reads_beyond_width(%x: tensor<1x4x4x4xf32>, %w: tensor<1x36x16xf32>, %i: tensor<1x1x2x16xf32>) -> tensor<1x1x2x16xf32> {
  // expected-error @+1 {{the window reads beyond the input (output width 2)}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x4xf32>, tensor<1x36x16xf32>) outs(%i : tensor<1x1x2x16xf32>) {window = array<i64: 3, 3>, dilations = array<i64: 1, 2>} -> tensor<1x1x2x16xf32>
  return %y : tensor<1x1x2x16xf32>
}

// -----

// A stride this large must not wrap around into "in bounds".
func.func @conv_stride_overflow(%x: tensor<1x4x4x4xf32>, %w: tensor<1x4x16xf32>, %i: tensor<1x3x1x16xf32>) -> tensor<1x3x1x16xf32> {
  // expected-error @+1 {{the window reads beyond the input (output height 3)}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x4xf32>, tensor<1x4x16xf32>) outs(%i : tensor<1x3x1x16xf32>) {window = array<i64: 1, 1>, strides = array<i64: 4611686018427387904, 1>} -> tensor<1x3x1x16xf32>
  return %y : tensor<1x3x1x16xf32>
}

// -----

func.func @shifts_shape(%a: tensor<3x4xi8>, %w: tensor<1x1x64xi8>, %o: tensor<16xi32>, %m: tensor<16xi32>, %s: tensor<2xi32>, %i: tensor<3x2xi8>) -> tensor<3x2xi8> {
  // expected-error @+1 {{shifts must be 16 x 'i32' (N rounded up to 16)}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x4xi8>, tensor<1x1x64xi8>) requantize(%o, %m : tensor<16xi32>, tensor<16xi32>) shifts(%s : tensor<2xi32>) outs(%i : tensor<3x2xi8>) {output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64} -> tensor<3x2xi8>
  return %y : tensor<3x2xi8>
}

// -----

func.func @float_with_shifts(%a: tensor<3x2xf32>, %w: tensor<1x2x16xf32>, %s: tensor<16xi32>, %i: tensor<3x2xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{the f32 form takes no requantize operands or attributes}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xf32>, tensor<1x2x16xf32>) shifts(%s : tensor<16xi32>) outs(%i : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @depthwise_without_window(%a: tensor<3x16xf32>, %w: tensor<1x16x16xf32>, %i: tensor<3x16xf32>) -> tensor<3x16xf32> {
  // expected-error @+1 {{the depthwise form needs a window}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x16xf32>, tensor<1x16x16xf32>) outs(%i : tensor<3x16xf32>) {depthwise} -> tensor<3x16xf32>
  return %y : tensor<3x16xf32>
}

// -----

func.func @depthwise_channels(%x: tensor<1x4x4x16xf32>, %w: tensor<2x9x16xf32>, %i: tensor<1x2x2x32xf32>) -> tensor<1x2x2x32xf32> {
  // expected-error @+1 {{the depthwise form needs init channels equal to lhs channels, a multiple of 16}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x16xf32>, tensor<2x9x16xf32>) outs(%i : tensor<1x2x2x32xf32>) {depthwise, window = array<i64: 3, 3>} -> tensor<1x2x2x32xf32>
  return %y : tensor<1x2x2x32xf32>
}

// -----

func.func @depthwise_channels_multiple_of_16(%x: tensor<1x4x4x8xf32>, %w: tensor<1x9x16xf32>, %i: tensor<1x2x2x8xf32>) -> tensor<1x2x2x8xf32> {
  // expected-error @+1 {{the depthwise form needs init channels equal to lhs channels, a multiple of 16}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x8xf32>, tensor<1x9x16xf32>) outs(%i : tensor<1x2x2x8xf32>) {depthwise, window = array<i64: 3, 3>} -> tensor<1x2x2x8xf32>
  return %y : tensor<1x2x2x8xf32>
}

// -----

// The integer depthwise form packs 16 weights per position, not VNNI groups.
func.func @depthwise_packed_shape(%x: tensor<1x4x4x16xi8>, %w: tensor<1x3x64xi8>, %o: tensor<16xi32>, %m: tensor<16xf64>, %i: tensor<1x2x2x16xi8>) -> tensor<1x2x2x16xi8> {
  // expected-error @+1 {{packed_rhs must have shape 1x9x16}}
  %y = qnn.packed_matmul ins(%x, %w : tensor<1x4x4x16xi8>, tensor<1x3x64xi8>) requantize(%o, %m : tensor<16xi32>, tensor<16xf64>) outs(%i : tensor<1x2x2x16xi8>) {depthwise, output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64, window = array<i64: 3, 3>} -> tensor<1x2x2x16xi8>
  return %y : tensor<1x2x2x16xi8>
}

// -----

func.func @accumulator_with_multipliers(%a: tensor<3x2xi8>, %w: tensor<1x1x64xi8>, %o: tensor<16xi32>, %m: tensor<16xf64>, %i: tensor<3x2xi32>) -> tensor<3x2xi32> {
  // expected-error @+1 {{the accumulator form takes col_offsets (and row_sum_factors), no requantize}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xi8>, tensor<1x1x64xi8>) requantize(%o, %m : tensor<16xi32>, tensor<16xf64>) outs(%i : tensor<3x2xi32>) {output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64} -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @accumulator_without_offsets(%a: tensor<3x2xi8>, %w: tensor<1x1x64xi8>, %i: tensor<3x2xi32>) -> tensor<3x2xi32> {
  // expected-error @+1 {{the accumulator form takes col_offsets (and row_sum_factors), no requantize}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xi8>, tensor<1x1x64xi8>) outs(%i : tensor<3x2xi32>) -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

func.func @accumulator_window(%a: tensor<1x3x3x4xi8>, %w: tensor<1x1x64xi8>, %o: tensor<16xi32>, %i: tensor<1x3x3x2xi32>) -> tensor<1x3x3x2xi32> {
  // expected-error @+1 {{the accumulator form is a plain matmul (no window)}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<1x3x3x4xi8>, tensor<1x1x64xi8>) offsets(%o : tensor<16xi32>) outs(%i : tensor<1x3x3x2xi32>) {window = array<i64: 1, 1>} -> tensor<1x3x3x2xi32>
  return %y : tensor<1x3x3x2xi32>
}
