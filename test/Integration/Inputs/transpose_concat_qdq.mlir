// A QDQ program: transpose and concat of quantized activations.
!qa = !quant.uniform<i8:f32, 0.05:-3>
!qb = !quant.uniform<i8:f32, 0.1:4>
func.func @main(%x: tensor<2x3xf32>, %y: tensor<3x3xf32>) -> (tensor<3x2xf32>, tensor<5x3xf32>) {
  %qx = qnn.quantize %x : tensor<2x3xf32> -> tensor<2x3x!qa>
  %dx = qnn.dequantize %qx : tensor<2x3x!qa> -> tensor<2x3xf32>
  %qy = qnn.quantize %y : tensor<3x3xf32> -> tensor<3x3x!qb>
  %dy = qnn.dequantize %qy : tensor<3x3x!qb> -> tensor<3x3xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%dx : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  %qt = qnn.quantize %t : tensor<3x2xf32> -> tensor<3x2x!qa>
  %dt = qnn.dequantize %qt : tensor<3x2x!qa> -> tensor<3x2xf32>
  // Concat to the scale of %y: %x is requantized.
  %c = tensor.concat dim(0) %dx, %dy : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<5x3xf32>
  %qc = qnn.quantize %c : tensor<5x3xf32> -> tensor<5x3x!qb>
  %dc = qnn.dequantize %qc : tensor<5x3x!qb> -> tensor<5x3xf32>
  return %dt, %dc : tensor<3x2xf32>, tensor<5x3xf32>
}
