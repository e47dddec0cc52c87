// Errors of convert-qnn-to-linalg: each names the op it cannot lower.
// RUN: quant-opt %s -split-input-file --convert-qnn-to-linalg -verify-diagnostics

func.func @requantize_between_axes(%q: tensor<2x2x!quant.uniform<i32:f32:0, {0.01, 0.02}>>) -> tensor<2x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>> {
  // expected-error @+1 {{'qnn.requantize' op between quantized dimensions 0 and 1 cannot be lowered}}
  %r = qnn.requantize %q : tensor<2x2x!quant.uniform<i32:f32:0, {0.01, 0.02}>> -> tensor<2x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return %r : tensor<2x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
}

// -----

func.func @unranked(%x: tensor<*xf32>) -> tensor<*x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{'quant.qcast' op on unranked tensors cannot be lowered: the per-element code needs a rank}}
  %q = quant.qcast %x : tensor<*xf32> to tensor<*x!quant.uniform<i8:f32, 0.5>>
  return %q : tensor<*x!quant.uniform<i8:f32, 0.5>>
}

// -----

// Ops other than func, scf and tensor ones cannot be retyped to storage.
func.func @transpose(%x: tensor<2x3x!quant.uniform<i8:f32, 0.5>>) -> tensor<3x2x!quant.uniform<i8:f32, 0.5>> {
  %e = tensor.empty() : tensor<3x2x!quant.uniform<i8:f32, 0.5>>
  // expected-error @+1 {{failed to legalize operation 'linalg.transpose'}}
  %t = linalg.transpose ins(%x : tensor<2x3x!quant.uniform<i8:f32, 0.5>>) outs(%e : tensor<3x2x!quant.uniform<i8:f32, 0.5>>) permutation = [1, 0]
  return %t : tensor<3x2x!quant.uniform<i8:f32, 0.5>>
}
