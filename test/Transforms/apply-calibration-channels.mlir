// A per-channel stats entry must hold one value per channel of the
// observer's axis.
// RUN: quant-opt %s --quant-apply-calibration="stats=%S/Inputs/axis-stats.json" -verify-diagnostics

func.func @channels(%a: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{observer 5 has 2 channels along axis 1 but its statistics hold 3}}
  %x = qnn.observe %a id(5) name("w") axis(1) : tensor<2x2xf32>
  return %x : tensor<2x2xf32>
}
