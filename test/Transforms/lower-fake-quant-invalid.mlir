// Errors of quant-lower-fake-quant: a grid with no valid quantized type.
// RUN: quant-opt %s -split-input-file --quant-lower-fake-quant -verify-diagnostics

func.func @scale_too_small_for_f16(%x: tensor<4xf16>) -> tensor<4xf16> {
  // expected-error @+1 {{'qnn.fake_quant' op has no valid quantized type: }}
  %y = qnn.fake_quant %x {scales = array<f64: 1.0e-10>, zero_points = array<i64: 0>} : tensor<4xf16>
  return %y : tensor<4xf16>
}
