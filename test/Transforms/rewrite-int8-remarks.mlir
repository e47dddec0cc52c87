// quant-rewrite-int8 says what it left in float: a remark with the reason at
// each matmul or convolution that reads a dequantized value and stays float.
// RUN: quant-opt %s -split-input-file --quant-rewrite-int8 -verify-diagnostics


// A as [K, M]: no quantized form.
func.func @transposed(%a: tensor<3x2x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>> {
  %w = arith.constant dense<1.0> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<3x2x!quant.uniform<i8:f32, 0.5:1>> -> tensor<3x2xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  // expected-remark @+1 {{kept in float: transposed matmul}}
  %mm = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<3x2xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q = qnn.quantize %mm : tensor<2x2xf32> -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
  return %q : tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
}

// -----


func.func @weights_not_constant(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5:1>>, %w: tensor<3x2xf32>) -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>> {
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!quant.uniform<i8:f32, 0.5:1>> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  // expected-remark @+1 {{kept in float: weights are not constant}}
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q = qnn.quantize %mm : tensor<2x2xf32> -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
  return %q : tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
}

// -----


func.func @result_not_quantized(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!quant.uniform<i8:f32, 0.5:1>> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  // expected-remark @+1 {{kept in float: no quantize of its result to fold it into}}
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %mm : tensor<2x2xf32>
}

// -----


// Rewritten: no remark.
func.func @rewritten(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>> {
  %w = arith.constant dense<1.0> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!quant.uniform<i8:f32, 0.5:1>> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q = qnn.quantize %mm : tensor<2x2xf32> -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
  return %q : tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
}

// -----


// A layout qnn.conv2d does not have (the filter as F x H x W x C).
func.func @conv_fhwc(%a: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<1x2x2x3x!quant.uniform<i8:f32, 0.25:-3>> {
  %w = arith.constant dense<1.0> : tensor<3x3x3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:1>> -> tensor<1x4x4x2xf32>
  %e = tensor.empty() : tensor<1x2x2x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  // expected-remark @+1 {{kept in float: not a form quant-rewrite-int8 quantizes}}
  %c = linalg.conv_2d_nhwc_fhwc ins(%x, %w : tensor<1x4x4x2xf32>, tensor<3x3x3x2xf32>) outs(%z : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %q = qnn.quantize %c : tensor<1x2x2x3xf32> -> tensor<1x2x2x3x!quant.uniform<i8:f32, 0.25:-3>>
  return %q : tensor<1x2x2x3x!quant.uniform<i8:f32, 0.25:-3>>
}

// -----


func.func @conv_nhwc(%a: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<1x2x2x3x!quant.uniform<i8:f32, 0.25:-3>> {
  %w = arith.constant dense<1.0> : tensor<3x3x2x3xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:1>> -> tensor<1x4x4x2xf32>
  %e = tensor.empty() : tensor<1x2x2x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %c = linalg.conv_2d_nhwc_hwcf ins(%x, %w : tensor<1x4x4x2xf32>, tensor<3x3x2x3xf32>) outs(%z : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %q = qnn.quantize %c : tensor<1x2x2x3xf32> -> tensor<1x2x2x3x!quant.uniform<i8:f32, 0.25:-3>>
  return %q : tensor<1x2x2x3x!quant.uniform<i8:f32, 0.25:-3>>
}

// -----

// Attention's Q.K^T: both operands computed.
!qa = !quant.uniform<i8:f32, 0.5:1>
!qo = !quant.uniform<i8:f32, 0.25:-3>
func.func @activation_product(%a: tensor<2x4x3x!qa>, %b: tensor<2x3x4x!qa>) -> tensor<2x4x4x!qo> {
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x4x3x!qa> -> tensor<2x4x3xf32>
  %y = qnn.dequantize %b : tensor<2x3x4x!qa> -> tensor<2x3x4xf32>
  %e = tensor.empty() : tensor<2x4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  // expected-remark @+1 {{kept in float: both operands are computed (an activation x activation product, as in attention): no integer form yet}}
  %mm = linalg.batch_matmul ins(%x, %y : tensor<2x4x3xf32>, tensor<2x3x4xf32>) outs(%z : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %q = qnn.quantize %mm : tensor<2x4x4xf32> -> tensor<2x4x4x!qo>
  return %q : tensor<2x4x4x!qo>
}

// -----

// A sum pooling that is not an average (no division) stays float.
!qa = !quant.uniform<i8:f32, 0.5:1>
!qo = !quant.uniform<i8:f32, 0.25:-3>
func.func @average_pool(%a: tensor<1x1x4x4x!qa>) -> tensor<1x1x2x2x!qo> {
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<1x1x4x4x!qa> -> tensor<1x1x4x4xf32>
  %w = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<1x1x2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  // expected-remark @+1 {{kept in float: a sum pooling that is not an average pooling (a division by the window size, then a quantize)}}
  %s = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x1x4x4xf32>, tensor<2x2xf32>) outs(%z : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %q = qnn.quantize %s : tensor<1x1x2x2xf32> -> tensor<1x1x2x2x!qo>
  return %q : tensor<1x1x2x2x!qo>
}

// -----

// Padding not counted: border windows hold fewer elements, divided by a
// tensor of counts, not by one window size.
!qa = !quant.uniform<i8:f32, 0.5:1>
!qo = !quant.uniform<i8:f32, 0.25:-3>
func.func @average_pool_border_counts(%a: tensor<1x1x4x4x!qa>) -> tensor<1x1x2x2x!qo> {
  %zero = arith.constant 0.0 : f32
  %counts = arith.constant dense<[[4.0, 2.0], [2.0, 1.0]]> : tensor<2x2xf32>
  %x = qnn.dequantize %a : tensor<1x1x4x4x!qa> -> tensor<1x1x4x4xf32>
  %xp = tensor.pad %x low[0, 0, 0, 0] high[0, 0, 1, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %zero : f32
  } : tensor<1x1x4x4xf32> to tensor<1x1x5x5xf32>
  %w = tensor.empty() : tensor<3x3xf32>
  %e = tensor.empty() : tensor<1x1x2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  // expected-remark @+1 {{kept in float: not divided by one window size (border windows differ)}}
  %s = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%xp, %w : tensor<1x1x5x5xf32>, tensor<3x3xf32>) outs(%z : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %avg = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %counts : tensor<1x1x2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<1x1x2x2xf32>) {
  ^bb0(%in: f32, %n: f32, %out: f32):
    %d = arith.divf %in, %n : f32
    linalg.yield %d : f32
  } -> tensor<1x1x2x2xf32>
  %q = qnn.quantize %avg : tensor<1x1x2x2xf32> -> tensor<1x1x2x2x!qo>
  return %q : tensor<1x1x2x2x!qo>
}

// -----

// A mean over the last axis between a dequantize and a quantize (reached
// through the unit dimension it keeps): a float island, named.
!qa = !quant.uniform<i8:f32, 0.5:1>
!qo = !quant.uniform<i8:f32, 0.25:-3>
func.func @mean_over_axis(%a: tensor<2x8x!qa>) -> tensor<2x1x!qo> {
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x8x!qa> -> tensor<2x8xf32>
  %e = tensor.empty() : tensor<2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>
  // expected-remark @+1 {{kept in float: a reduction other than a matmul, convolution or pooling (a mean or sum over an axis) has no integer form: it runs in float between a dequantize and a quantize}}
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<2x8xf32>) outs(%z : tensor<2xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %sum = arith.addf %acc, %in : f32
    linalg.yield %sum : f32
  } -> tensor<2xf32>
  %k = tensor.expand_shape %s [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %e2 = tensor.empty() : tensor<2x1xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%k : tensor<2x1xf32>) outs(%e2 : tensor<2x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.constant 8.0 : f32
    %d = arith.divf %in, %n : f32
    linalg.yield %d : f32
  } -> tensor<2x1xf32>
  %q = qnn.quantize %m : tensor<2x1xf32> -> tensor<2x1x!qo>
  return %q : tensor<2x1x!qo>
}

// -----

// A normalization's statistic (the mean x is centred by) is part of a float
// op, not an island between integer ops: no remark.
!qa = !quant.uniform<i8:f32, 0.5:1>
!qo = !quant.uniform<i8:f32, 0.25:-3>
func.func @centred_by_mean(%a: tensor<2x8x!qa>) -> tensor<2x8x!qo> {
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x8x!qa> -> tensor<2x8xf32>
  %e = tensor.empty() : tensor<2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<2x8xf32>) outs(%z : tensor<2xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %sum = arith.addf %acc, %in : f32
    linalg.yield %sum : f32
  } -> tensor<2xf32>
  %e2 = tensor.empty() : tensor<2x8xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<2x8xf32>, tensor<2xf32>) outs(%e2 : tensor<2x8xf32>) {
  ^bb0(%in: f32, %sum: f32, %out: f32):
    %n = arith.constant 8.0 : f32
    %mean = arith.divf %sum, %n : f32
    %d = arith.subf %in, %mean : f32
    linalg.yield %d : f32
  } -> tensor<2x8xf32>
  %q = qnn.quantize %c : tensor<2x8xf32> -> tensor<2x8x!qo>
  return %q : tensor<2x8x!qo>
}

// -----

// A convolution written as a generic (the importer's 3-D convolution) has
// no integer form; one whose input nothing quantized says so.
!qa = !quant.uniform<i8:f32, 0.5:1>
!qo = !quant.uniform<i8:f32, 0.25:-3>
#in = affine_map<(n, f, d, c, kd) -> (n, c, d + kd)>
#filter = affine_map<(n, f, d, c, kd) -> (f, c, kd)>
#out = affine_map<(n, f, d, c, kd) -> (n, f, d)>
func.func @generic_conv(%a: tensor<1x2x6x!qa>, %f: tensor<1x2x6xf32>) -> (tensor<1x3x4x!qo>, tensor<1x3x4x!qo>) {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<3x2x3xf32>
  %x = qnn.dequantize %a : tensor<1x2x6x!qa> -> tensor<1x2x6xf32>
  %e = tensor.empty() : tensor<1x3x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
  // expected-remark @+1 {{kept in float: not a form quant-rewrite-int8 quantizes (matmul with [K, N] weights; conv NHWC/HWCF, NCHW/FCHW or depthwise NHWC/HWC; 2-D pooling; quant-normalize-units brings other forms to these)}}
  %c = linalg.generic {indexing_maps = [#in, #filter, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x2x6xf32>, tensor<3x2x3xf32>) outs(%z : tensor<1x3x4xf32>) {
  ^bb0(%i: f32, %k: f32, %acc: f32):
    %p = arith.mulf %i, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x3x4xf32>
  %q = qnn.quantize %c : tensor<1x3x4xf32> -> tensor<1x3x4x!qo>
  // expected-remark @+1 {{kept in float: its inputs are not quantized (no calibration observer before it}}
  %c2 = linalg.generic {indexing_maps = [#in, #filter, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%f, %w : tensor<1x2x6xf32>, tensor<3x2x3xf32>) outs(%z : tensor<1x3x4xf32>) {
  ^bb0(%i: f32, %k: f32, %acc: f32):
    %p = arith.mulf %i, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x3x4xf32>
  %q2 = qnn.quantize %c2 : tensor<1x3x4xf32> -> tensor<1x3x4x!qo>
  return %q, %q2 : tensor<1x3x4x!qo>, tensor<1x3x4x!qo>
}
