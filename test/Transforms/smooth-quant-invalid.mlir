// quant-smooth-quant's errors: options, and statistics that do not fit.
// RUN: quant-opt %s -split-input-file --quant-smooth-quant="stats=%S/Inputs/smooth-stats.json" -verify-diagnostics
// RUN: not quant-opt %s --quant-smooth-quant 2>&1 | FileCheck %s --check-prefix=NOSTATS
// RUN: not quant-opt %s --quant-smooth-quant="stats=%S/Inputs/smooth-stats.json alpha=1.5" 2>&1 | FileCheck %s --check-prefix=ALPHA
// RUN: not quant-opt %s --quant-smooth-quant="stats=%S/Inputs/not-json.json" 2>&1 | FileCheck %s --check-prefix=BADFILE
// NOSTATS: error: quant-smooth-quant: needs stats=FILE (quant-run --calibrate of the module instrumented with quant-insert-calibration{contraction-channels=true})
// ALPHA: error: quant-smooth-quant: alpha=1.5 is not in [0, 1]
// BADFILE: error: quant-smooth-quant: {{.*}}not-json.json

func.func @missing(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  // expected-error @+1 {{observer 42 ('missing') has no statistics in}}
  %in = qnn.observe %x id(42) name("missing") axis(1) : tensor<2x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%in, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @per_tensor_stats(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  // expected-error @+1 {{observer 6 has no per-channel statistics along axis 1 in}}
  %in = qnn.observe %x id(6) name("no-axis") axis(1) : tensor<2x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%in, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @stale(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  // expected-error @+1 {{stats for observer 0 were recorded as 'fold', but here it is 'renamed'}}
  %in = qnn.observe %x id(0) name("renamed") axis(1) : tensor<2x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%in, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @channels(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x3xf32>
  // expected-error @+1 {{observer 2 has no per-channel statistics along axis 1}}
  %in = qnn.observe %x id(2) name("transposed") axis(1) : tensor<2x3xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%in, %w : tensor<2x3xf32>, tensor<3x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
