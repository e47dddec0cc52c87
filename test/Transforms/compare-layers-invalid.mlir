// RUN: quant-opt %s -split-input-file --quant-compare-layers -verify-diagnostics

// A function the module calls keeps its results (its callers would need
// the new ones too); a call in a body is not copied (it may have effects).
// expected-warning @below {{quant-compare-layers: @callee is called in the module; its results are left as they are}}
func.func @callee(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @caller(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{quant-compare-layers: cannot copy an op with side effects (the model must be pure)}}
  %y = func.call @callee(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
