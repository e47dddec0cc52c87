// qnn.fake_quant has no lowering yet: quant-run must say so.
func.func @not_lowerable(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %y = qnn.fake_quant %x {min = array<f64: -1.0>, max = array<f64: 1.0>} : tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
