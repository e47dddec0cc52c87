// quant-rewrite-int8: dequantize -> matmul -> quantize into qnn.matmul.
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8 | FileCheck %s
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8=exclude=matmul | FileCheck %s --check-prefix=EXCL

!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// Float weights are quantized per column, symmetric narrow: column 0
// max |w| = 2 -> scale 2/127, column 1 max |w| = 0.5 -> 0.5/127. Bias at
// scale 0.5 * 2/127 and 0.5 * 0.5/127: 1.0 -> 127, -1.0 -> -508. ReLU
// becomes clamp_min = the zero point -3.
// CHECK-LABEL: func @matmul_bias_relu
// CHECK-SAME: (%[[A:.*]]: tensor<2x3x!quant.uniform<i8:f32, 5.000000e-01:1>>)
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[127, -508]> : tensor<2xi32>
// CHECK-DAG: %[[W8:.*]] = arith.constant dense<{{\[}}[127, 127], [-64, -127], [0, 64]]> : tensor<3x2xi8>
// CHECK: %[[W:.*]] = quant.scast %[[W8]] : tensor<3x2xi8> to tensor<3x2x!quant.uniform<i8<-127:127>:f32:1, {0.015748031496062992,0.003937007874015748}>>
// CHECK: %[[Y:.*]] = qnn.matmul %[[A]], %[[W]] bias %[[B]] {clamp_min = -3 : i64}
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
// EXCL-LABEL: func @matmul_bias_relu
// EXCL: linalg.matmul
// EXCL-NOT: qnn.matmul
// EXCL-LABEL: func @prequantized_weights
func.func @matmul_bias_relu(%a: tensor<2x3x!qa>) -> tensor<2x2x!qy> {
  %w = arith.constant dense<[[2.0, 0.5], [-1.0, -0.5], [0.0, 0.25]]> : tensor<3x2xf32>
  %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!qa> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32> loc("fc1")
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<2x2xf32>, tensor<2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%in: f32, %c: f32, %o: f32):
    %s = arith.addf %in, %c : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x2xf32>
  %q = qnn.quantize %r : tensor<2x2xf32> -> tensor<2x2x!qy>
  return %q : tensor<2x2x!qy>
}

// -----

// Weights that arrive quantized (QAT / QDQ models) are used as they are.
// CHECK-LABEL: func @prequantized_weights
// CHECK-SAME: (%[[A:.*]]: tensor<2x3x{{.*}}>, %[[W:.*]]: tensor<3x2x!quant.uniform<i8:f32, 1.000000e-01>>)
// CHECK: qnn.matmul %[[A]], %[[W]] : {{.*}} -> tensor<2x2x!quant.uniform<i8:f32, 2.500000e-01:-3>>
!qa = !quant.uniform<i8:f32, 0.5:1>
!qw = !quant.uniform<i8:f32, 0.1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
func.func @prequantized_weights(%a: tensor<2x3x!qa>, %wq: tensor<3x2x!qw>) -> tensor<2x2x!qy> {
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!qa> -> tensor<2x3xf32>
  %w = qnn.dequantize %wq : tensor<3x2x!qw> -> tensor<3x2xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q = qnn.quantize %mm : tensor<2x2xf32> -> tensor<2x2x!qy>
  return %q : tensor<2x2x!qy>
}

// -----

// Left alone, staying float between their dequantize and quantize: an
// activation that is not dequantized; a matmul accumulating into non-zeros;
// a result the float program also uses; non-constant float weights.
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-4: linalg.matmul
// CHECK-NOT: qnn.matmul
!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
func.func @left_alone(%f: tensor<2x3xf32>, %a: tensor<2x3x!qa>, %init: tensor<2x2xf32>, %wv: tensor<3x2xf32>) -> (tensor<2x2x!qy>, tensor<2x2x!qy>, tensor<2x2x!qy>, tensor<2x2xf32>, tensor<2x2x!qy>) {
  %w = arith.constant dense<1.0> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!qa> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %m1 = linalg.matmul ins(%f, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q1 = qnn.quantize %m1 : tensor<2x2xf32> -> tensor<2x2x!qy>
  %m2 = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%init : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q2 = qnn.quantize %m2 : tensor<2x2xf32> -> tensor<2x2x!qy>
  %m3 = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q3 = qnn.quantize %m3 : tensor<2x2xf32> -> tensor<2x2x!qy>
  %m4 = linalg.matmul ins(%x, %wv : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q4 = qnn.quantize %m4 : tensor<2x2xf32> -> tensor<2x2x!qy>
  return %q1, %q2, %q3, %m3, %q4 : tensor<2x2x!qy>, tensor<2x2x!qy>, tensor<2x2x!qy>, tensor<2x2xf32>, tensor<2x2x!qy>
}

// -----

// NCHW convolution with float zero padding: the padding moves into
// qnn.conv2d (which pads with the zero point); filters are quantized per
// output channel (dimension 0 of FCHW).
// CHECK-LABEL: func @conv_nchw_padded
// CHECK: %[[W:.*]] = quant.scast %{{.*}} : tensor<2x1x3x3xi8> to tensor<2x1x3x3x!quant.uniform<i8<-127:127>:f32:0, {{.*}}>>
// CHECK: qnn.conv2d %{{.*}}, %[[W]] {layout = "nchw_fchw", padding = array<i64: 1, 0, 1, 2>, strides = array<i64: 2, 1>}
// CHECK-NOT: tensor.pad
// CHECK-NOT: linalg.conv
!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
func.func @conv_nchw_padded(%a: tensor<1x1x4x4x!qa>) -> tensor<1x2x2x4x!qy> {
  %w = arith.constant dense<0.5> : tensor<2x1x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x1x4x4x!qa> -> tensor<1x1x4x4xf32>
  %p = tensor.pad %x low[0, 0, 1, 0] high[0, 0, 1, 2] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x1x4x4xf32> to tensor<1x1x6x6xf32>
  %e = tensor.empty() : tensor<1x2x2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
      ins(%p, %w : tensor<1x1x6x6xf32>, tensor<2x1x3x3xf32>) outs(%z : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %q = qnn.quantize %c : tensor<1x2x2x4xf32> -> tensor<1x2x2x4x!qy>
  return %q : tensor<1x2x2x4x!qy>
}

// -----

// Left alone: padding with a value other than 0 (it is not the zero point),
// and padding of the channel dimension.
// CHECK-LABEL: func @conv_left_alone
// CHECK-COUNT-2: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: qnn.conv2d
!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
func.func @conv_left_alone(%a: tensor<1x4x4x1x!qa>) -> (tensor<1x4x4x2x!qy>, tensor<1x2x2x2x!qy>) {
  %w = arith.constant dense<0.5> : tensor<3x3x1x2xf32>
  %w2 = arith.constant dense<0.5> : tensor<3x3x2x2xf32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %x = qnn.dequantize %a : tensor<1x4x4x1x!qa> -> tensor<1x4x4x1xf32>
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %one : f32
  } : tensor<1x4x4x1xf32> to tensor<1x6x6x1xf32>
  %e = tensor.empty() : tensor<1x4x4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : tensor<1x6x6x1xf32>, tensor<3x3x1x2xf32>) outs(%z : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = qnn.quantize %c : tensor<1x4x4x2xf32> -> tensor<1x4x4x2x!qy>
  %p2 = tensor.pad %x low[0, 0, 0, 0] high[0, 0, 0, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x1xf32> to tensor<1x4x4x2xf32>
  %e2 = tensor.empty() : tensor<1x2x2x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %c2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p2, %w2 : tensor<1x4x4x2xf32>, tensor<3x3x2x2xf32>) outs(%z2 : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %q2 = qnn.quantize %c2 : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!qy>
  return %q, %q2 : tensor<1x4x4x2x!qy>, tensor<1x2x2x2x!qy>
}

// -----

// Reshapes move quantized values; a different output type is a requantize.
// CHECK-LABEL: func @reshape_pass_through
// CHECK-SAME: (%[[A:.*]]: tensor<2x3x!quant.uniform<i8:f32, 5.000000e-01:1>>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[A]] {{.*}} into tensor<6x!quant.uniform<i8:f32, 5.000000e-01:1>>
// CHECK: %[[R:.*]] = qnn.requantize %[[C]] : {{.*}} -> tensor<6x!quant.uniform<i8:f32, 2.500000e-01:-3>>
// CHECK: return %[[R]]
!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
func.func @reshape_pass_through(%a: tensor<2x3x!qa>) -> tensor<6x!qy> {
  %x = qnn.dequantize %a : tensor<2x3x!qa> -> tensor<2x3xf32>
  %c = tensor.collapse_shape %x [[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
  %q = qnn.quantize %c : tensor<6xf32> -> tensor<6x!qy>
  return %q : tensor<6x!qy>
}

// -----

// Max pooling that starts from 0 (not from the minimum) is a ReLU too: left
// alone.
// CHECK-LABEL: func @pool_from_zero
// CHECK: linalg.pooling_nhwc_max {{.*}} tensor<1x4x4x1xf32>
!qa = !quant.uniform<i8:f32, 0.5:1>
func.func @pool_from_zero(%a: tensor<1x4x4x1x!qa>) -> tensor<1x2x2x1x!qa> {
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x4x4x1x!qa> -> tensor<1x4x4x1xf32>
  %w = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<1x2x2x1xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
  %p = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x4x1xf32>, tensor<2x2xf32>) outs(%i : tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
  %q = qnn.quantize %p : tensor<1x2x2x1xf32> -> tensor<1x2x2x1x!qa>
  return %q : tensor<1x2x2x1x!qa>
}

// -----

// NCHW max pooling (signed storage) also runs on the integers.
// CHECK-LABEL: func @pool_nchw
// CHECK: linalg.pooling_nchw_max {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x1x4x4xi8>, tensor<2x2xf32>)
!qa = !quant.uniform<i8:f32, 0.5:1>
func.func @pool_nchw(%a: tensor<1x1x4x4x!qa>) -> tensor<1x1x2x2x!qa> {
  %ninf = arith.constant 0xFF800000 : f32
  %x = qnn.dequantize %a : tensor<1x1x4x4x!qa> -> tensor<1x1x4x4xf32>
  %w = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<1x1x2x2xf32>
  %i = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x1x4x4xf32>, tensor<2x2xf32>) outs(%i : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %q = qnn.quantize %p : tensor<1x1x2x2xf32> -> tensor<1x1x2x2x!qa>
  return %q : tensor<1x1x2x2x!qa>
}

// -----

// ONNX's padded MaxPool imports as a -inf padding before the pooling: the
// integers are padded with the storage minimum (-128) instead.
// CHECK-LABEL: func @pool_padded
// CHECK: %[[MIN:.*]] = arith.constant -128 : i8
// CHECK: %[[PAD:.*]] = tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:   tensor.yield %[[MIN]] : i8
// CHECK: } : tensor<1x1x4x4xi8> to tensor<1x1x6x6xi8>
// CHECK: linalg.pooling_nchw_max {{.*}} ins(%[[PAD]], %{{.*}} : tensor<1x1x6x6xi8>, tensor<3x3xf32>)
// CHECK-NOT: qnn.dequantize
!qa = !quant.uniform<i8:f32, 0.5:1>
func.func @pool_padded(%a: tensor<1x1x4x4x!qa>) -> tensor<1x1x2x2x!qa> {
  %ninf = arith.constant 0xFF800000 : f32
  %x = qnn.dequantize %a : tensor<1x1x4x4x!qa> -> tensor<1x1x4x4xf32>
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %ninf : f32
  } : tensor<1x1x4x4xf32> to tensor<1x1x6x6xf32>
  %w = tensor.empty() : tensor<3x3xf32>
  %e = tensor.empty() : tensor<1x1x2x2xf32>
  %i = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%xp, %w : tensor<1x1x6x6xf32>, tensor<3x3xf32>) outs(%i : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %q = qnn.quantize %p : tensor<1x1x2x2xf32> -> tensor<1x1x2x2x!qa>
  return %q : tensor<1x1x2x2x!qa>
}

// -----

// A zero padding is more than the minimum: the pooling stays float.
// CHECK-LABEL: func @pool_zero_padded
// CHECK: linalg.pooling_nchw_max {{.*}} tensor<1x1x6x6xf32>
!qa = !quant.uniform<i8:f32, 0.5:1>
func.func @pool_zero_padded(%a: tensor<1x1x4x4x!qa>) -> tensor<1x1x2x2x!qa> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x1x4x4x!qa> -> tensor<1x1x4x4xf32>
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %zero : f32
  } : tensor<1x1x4x4xf32> to tensor<1x1x6x6xf32>
  %w = tensor.empty() : tensor<3x3xf32>
  %e = tensor.empty() : tensor<1x1x2x2xf32>
  %i = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%xp, %w : tensor<1x1x6x6xf32>, tensor<3x3xf32>) outs(%i : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %q = qnn.quantize %p : tensor<1x1x2x2xf32> -> tensor<1x1x2x2x!qa>
  return %q : tensor<1x1x2x2x!qa>
}

// -----

// Average pooling (a sum pooling divided by the window size, as ONNX's
// AveragePool imports): the window sums of q - zp in i32, requantized with
// scale_in / (count * scale_out) = 0.5 / (4 * 0.25); a counted zero padding
// pads the centered integers with 0.
// CHECK-LABEL: func @average_pool
// CHECK: %[[INTS:.*]] = quant.scast %{{.*}} : tensor<1x1x4x4x!quant.uniform<i8:f32, 5.000000e-01:1>> to tensor<1x1x4x4xi8>
// CHECK: %[[CENTERED:.*]] = linalg.generic {{.*}} ins(%[[INTS]] : tensor<1x1x4x4xi8>) outs(%{{.*}} : tensor<1x1x4x4xi32>)
// CHECK:   arith.extsi %{{.*}} : i8 to i32
// CHECK:   arith.subi
// CHECK: %[[PAD:.*]] = tensor.pad %[[CENTERED]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[SUMS:.*]] = linalg.pooling_nchw_sum {{.*}} ins(%[[PAD]], %{{.*}} : tensor<1x1x6x6xi32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<1x1x3x3xi32>)
// CHECK: %[[Q:.*]] = quant.scast %[[SUMS]] : tensor<1x1x3x3xi32> to tensor<1x1x3x3x!quant.uniform<i32:f32, 1.250000e-01>>
// CHECK: qnn.requantize %[[Q]] : tensor<1x1x3x3x!quant.uniform<i32:f32, 1.250000e-01>> -> tensor<1x1x3x3x!quant.uniform<i8:f32, 2.500000e-01:-3>>
// CHECK-NOT: qnn.dequantize
!qa = !quant.uniform<i8:f32, 0.5:1>
!qo = !quant.uniform<i8:f32, 0.25:-3>
func.func @average_pool(%a: tensor<1x1x4x4x!qa>) -> tensor<1x1x3x3x!qo> {
  %zero = arith.constant 0.0 : f32
  %four = arith.constant 4.0 : f32
  %x = qnn.dequantize %a : tensor<1x1x4x4x!qa> -> tensor<1x1x4x4xf32>
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %zero : f32
  } : tensor<1x1x4x4xf32> to tensor<1x1x6x6xf32>
  %w = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<1x1x3x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %s = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%xp, %w : tensor<1x1x6x6xf32>, tensor<2x2xf32>) outs(%z : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %avg = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x1x3x3xf32>) outs(%e : tensor<1x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.divf %in, %four : f32
    linalg.yield %d : f32
  } -> tensor<1x1x3x3xf32>
  %q = qnn.quantize %avg : tensor<1x1x3x3xf32> -> tensor<1x1x3x3x!qo>
  return %q : tensor<1x1x3x3x!qo>
}

// -----

// B as [N, K] (PyTorch's Linear layout, as torch-mlir and ONNX exports give
// it): the float constant is transposed at compile time, so the result is
// exactly the qnn.matmul of the same weights written as [K, N].
// CHECK-LABEL: func @weights_n_by_k
// CHECK: %[[W8:.*]] = arith.constant dense<{{\[}}[42, 85], [85, 106], [127, 127]]> : tensor<3x2xi8>
// CHECK: %[[W:.*]] = quant.scast %[[W8]] : tensor<3x2xi8> to tensor<3x2x!quant.uniform<i8<-127:127>:f32:1, {0.023622047244094488,0.047244094488188976}>>
// CHECK: qnn.matmul %{{.*}}, %[[W]]
// CHECK-NOT: linalg.matmul
// CHECK-LABEL: func @weights_k_by_n
// CHECK: arith.constant dense<{{\[}}[42, 85], [85, 106], [127, 127]]> : tensor<3x2xi8>
// EXCL-LABEL: func @weights_n_by_k
// EXCL: linalg.matmul
func.func @weights_n_by_k(%a: tensor<4x3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<4x2x!quant.uniform<i8:f32, 0.25:-3>> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<4x3x!quant.uniform<i8:f32, 0.5:1>> -> tensor<4x3xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %mm = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<4x3xf32>, tensor<2x3xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %q = qnn.quantize %mm : tensor<4x2xf32> -> tensor<4x2x!quant.uniform<i8:f32, 0.25:-3>>
  return %q : tensor<4x2x!quant.uniform<i8:f32, 0.25:-3>>
}
func.func @weights_k_by_n(%a: tensor<4x3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<4x2x!quant.uniform<i8:f32, 0.25:-3>> {
  %w = arith.constant dense<[[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<4x3x!quant.uniform<i8:f32, 0.5:1>> -> tensor<4x3xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %q = qnn.quantize %mm : tensor<4x2xf32> -> tensor<4x2x!quant.uniform<i8:f32, 0.25:-3>>
  return %q : tensor<4x2x!quant.uniform<i8:f32, 0.25:-3>>
}

// -----

// u8 NCHW max pooling: linalg has no unsigned NCHW pooling, so the window
// loops become a generic with an unsigned maximum, from the storage minimum.
// CHECK-LABEL: func @pool_unsigned_nchw
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : i8)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x1x4x4xi8>, tensor<2x2xf32>) outs(%[[INIT]] : tensor<1x1x2x2xi8>)
// CHECK:   arith.maxui
// CHECK-NOT: qnn.dequantize
!qu = !quant.uniform<u8:f32, 0.5:10>
func.func @pool_unsigned_nchw(%a: tensor<1x1x4x4x!qu>) -> tensor<1x1x2x2x!qu> {
  %ninf = arith.constant 0xFF800000 : f32
  %x = qnn.dequantize %a : tensor<1x1x4x4x!qu> -> tensor<1x1x4x4xf32>
  %w = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<1x1x2x2xf32>
  %i = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x1x4x4xf32>, tensor<2x2xf32>) outs(%i : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %q = qnn.quantize %p : tensor<1x1x2x2xf32> -> tensor<1x1x2x2x!qu>
  return %q : tensor<1x1x2x2x!qu>
}

// -----

// A broadcasting multiply (squeeze-excite's x * gate[c]): the gate's
// integers are broadcast, then qnn.mul.
// CHECK-LABEL: func @mul_broadcast
// CHECK: %[[G:.*]] = quant.scast %{{.*}} : tensor<1x3x1x1x!quant.uniform<u8:f32, 2.500000e-01>> to tensor<1x3x1x1xi8>
// CHECK: %[[B:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[G]] : tensor<1x3x1x1xi8>) outs(%{{.*}} : tensor<1x3x2x2xi8>)
// CHECK: %[[BQ:.*]] = quant.scast %[[B]] : tensor<1x3x2x2xi8> to tensor<1x3x2x2x!quant.uniform<u8:f32, 2.500000e-01>>
// CHECK: qnn.mul %{{.*}}, %[[BQ]]
// CHECK-NOT: arith.mulf
!qa = !quant.uniform<u8:f32, 0.5:3>
!qg = !quant.uniform<u8:f32, 0.25>
!qo = !quant.uniform<u8:f32, 0.125:1>
func.func @mul_broadcast(%a: tensor<1x3x2x2x!qa>, %g: tensor<1x3x1x1x!qg>) -> tensor<1x3x2x2x!qo> {
  %x = qnn.dequantize %a : tensor<1x3x2x2x!qa> -> tensor<1x3x2x2xf32>
  %s = qnn.dequantize %g : tensor<1x3x1x1x!qg> -> tensor<1x3x1x1xf32>
  %e = tensor.empty() : tensor<1x3x2x2xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : tensor<1x3x2x2xf32>, tensor<1x3x1x1xf32>) outs(%e : tensor<1x3x2x2xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 : f32
    linalg.yield %p : f32
  } -> tensor<1x3x2x2xf32>
  %q = qnn.quantize %m : tensor<1x3x2x2xf32> -> tensor<1x3x2x2x!qo>
  return %q : tensor<1x3x2x2x!qo>
}

// -----

// A quantize after a reshape moves above it, to meet the op computing the
// value (here an average pool's division, lifted back to 1-D).
// CHECK-LABEL: func @average_pool_then_collapse
// CHECK: linalg.pooling_nchw_sum {{.*}} -> tensor<1x2x1x1xi32>
// CHECK: %[[R:.*]] = qnn.requantize
// CHECK: tensor.collapse_shape %[[R]] {{\[}}[0], [1], [2, 3]] : tensor<1x2x1x1x!quant.uniform<i8:f32, 2.500000e-01:-3>> into tensor<1x2x1x!quant.uniform<i8:f32, 2.500000e-01:-3>>
// CHECK-NOT: arith.divf
!qa = !quant.uniform<i8:f32, 0.5:1>
!qo = !quant.uniform<i8:f32, 0.25:-3>
func.func @average_pool_then_collapse(%a: tensor<1x2x1x4x!qa>) -> tensor<1x2x1x!qo> {
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x2x1x4x!qa> -> tensor<1x2x1x4xf32>
  %w = tensor.empty() : tensor<1x4xf32>
  %e = tensor.empty() : tensor<1x2x1x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xf32>
  %s = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x1x4xf32>, tensor<1x4xf32>) outs(%z : tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xf32>
  %avg = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x2x1x1xf32>) outs(%e : tensor<1x2x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.constant 4.0 : f32
    %d = arith.divf %in, %n : f32
    linalg.yield %d : f32
  } -> tensor<1x2x1x1xf32>
  %c = tensor.collapse_shape %avg [[0], [1], [2, 3]] : tensor<1x2x1x1xf32> into tensor<1x2x1xf32>
  %q = qnn.quantize %c : tensor<1x2x1xf32> -> tensor<1x2x1x!qo>
  return %q : tensor<1x2x1x!qo>
}

// -----

// A broadcasting add (an attention mask added to the scores) stays float.
// CHECK-LABEL: func @add_broadcast
// CHECK: arith.addf
// CHECK-NOT: qnn.add
!qa = !quant.uniform<u8:f32, 0.5:3>
!qg = !quant.uniform<u8:f32, 0.25>
!qo = !quant.uniform<u8:f32, 0.125:1>
func.func @add_broadcast(%a: tensor<1x3x2x2x!qa>, %g: tensor<1x1x1x2x!qg>) -> tensor<1x3x2x2x!qo> {
  %x = qnn.dequantize %a : tensor<1x3x2x2x!qa> -> tensor<1x3x2x2xf32>
  %s = qnn.dequantize %g : tensor<1x1x1x2x!qg> -> tensor<1x1x1x2xf32>
  %e = tensor.empty() : tensor<1x3x2x2xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : tensor<1x3x2x2xf32>, tensor<1x1x1x2xf32>) outs(%e : tensor<1x3x2x2xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.addf %in, %in2 : f32
    linalg.yield %p : f32
  } -> tensor<1x3x2x2xf32>
  %q = qnn.quantize %m : tensor<1x3x2x2xf32> -> tensor<1x3x2x2x!qo>
  return %q : tensor<1x3x2x2x!qo>
}
