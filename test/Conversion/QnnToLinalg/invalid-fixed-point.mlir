// Errors of convert-qnn-to-linalg's integer-only requantize.
// RUN: quant-opt %s -split-input-file --convert-qnn-to-linalg=requantize-mode=fixed-point -verify-diagnostics

func.func @multiplier_too_large(%q: tensor<4x!quant.uniform<i32:f32, 1.0>>) -> tensor<4x!quant.uniform<i8:f32, 1.0e-12>> {
  // expected-error @+1 {{'qnn.requantize' op has no fixed-point multiplier: multiplier 1.000000e+12 needs shift 40, outside [-31, 30]}}
  %r = qnn.requantize %q : tensor<4x!quant.uniform<i32:f32, 1.0>> -> tensor<4x!quant.uniform<i8:f32, 1.0e-12>>
  return %r : tensor<4x!quant.uniform<i8:f32, 1.0e-12>>
}

// -----

// Float mode has no such limit; fixed point needs every channel's multiplier.
func.func @channel_multiplier_too_small(%q: tensor<2x!quant.uniform<i32:f32:0, {1.0, 1.0e-12}>>) -> tensor<2x!quant.uniform<i8:f32, 1.0>> {
  // expected-error @+1 {{'qnn.requantize' op has no fixed-point multiplier: multiplier 1.000000e-12 needs shift -39, outside [-31, 30]}}
  %r = qnn.requantize %q : tensor<2x!quant.uniform<i32:f32:0, {1.0, 1.0e-12}>> -> tensor<2x!quant.uniform<i8:f32, 1.0>>
  return %r : tensor<2x!quant.uniform<i8:f32, 1.0>>
}
