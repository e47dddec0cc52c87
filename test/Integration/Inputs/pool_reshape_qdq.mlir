// A QDQ program: max pooling and reshapes between quantized values.
!qa = !quant.uniform<i8:f32, 0.05:-3>
!qp = !quant.uniform<i8:f32, 0.08:-10>
!qu = !quant.uniform<u8:f32, 0.05:125>
func.func @main(%x: tensor<1x4x4x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x8xf32>, tensor<1x2x2x2xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %qa = qnn.quantize %x : tensor<1x4x4x2xf32> -> tensor<1x4x4x2x!qa>
  %da = qnn.dequantize %qa : tensor<1x4x4x2x!qa> -> tensor<1x4x4x2xf32>
  %window = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %p = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%da, %window : tensor<1x4x4x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  // Same scale: an exact pass-through.
  %qp_same = qnn.quantize %p : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!qa>
  %dp = qnn.dequantize %qp_same : tensor<1x2x2x2x!qa> -> tensor<1x2x2x2xf32>
  %flat = tensor.collapse_shape %dp [[0], [1, 2, 3]] : tensor<1x2x2x2xf32> into tensor<1x8xf32>
  %qf = qnn.quantize %flat : tensor<1x8xf32> -> tensor<1x8x!qa>
  %df = qnn.dequantize %qf : tensor<1x8x!qa> -> tensor<1x8xf32>
  // Another scale: requantized.
  %p2 = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%da, %window : tensor<1x4x4x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %qp2 = qnn.quantize %p2 : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!qp>
  %dp2 = qnn.dequantize %qp2 : tensor<1x2x2x2x!qp> -> tensor<1x2x2x2xf32>
  return %dp, %df, %dp2 : tensor<1x2x2x2xf32>, tensor<1x8xf32>, tensor<1x2x2x2xf32>
}
