// Errors of quant-apply-calibration that concern one observer: each is
// reported at the observer.
// RUN: quant-opt %s -split-input-file --quant-apply-calibration="stats=%S/Inputs/stats.json method=percentile" -verify-diagnostics

func.func @missing(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{observer 9 ('z') has no statistics in}}
  %x = qnn.observe %a id(9) name("z") : tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

func.func @renamed(%a: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{stats for observer 0 were recorded as 'x', but here it is 'other': the stats file is stale or for another module}}
  %x = qnn.observe %a id(0) name("other") : tensor<2x4xf32>
  return %x : tensor<2x4xf32>
}

// -----

func.func @reshaped(%a: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{observer 0 recorded shape [2, 4] but observes 'tensor<3x4xf32>': the stats file is stale or for another module}}
  %x = qnn.observe %a id(0) name("x") : tensor<3x4xf32>
  return %x : tensor<3x4xf32>
}

// -----

// A dynamic dimension accepts any recorded size.
func.func @dynamic_ok(%a: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %x = qnn.observe %a id(0) name("x") : tensor<?x4xf32>
  return %x : tensor<?x4xf32>
}

// -----

func.func @no_finite_values(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{observer 2 saw no finite values (10 batches, 40 NaN, 0 inf)}}
  %x = qnn.observe %a id(2) name("only-nan") : tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

func.func @empty_histogram(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{observer 3 has an empty histogram, which method 'percentile' needs}}
  %x = qnn.observe %a id(3) name("no-histogram") : tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

// Per-channel statistics must be along the observer's own axis.
func.func @other_axis(%a: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{observer 1 has axis 0 but its statistics were recorded with axis 1: the stats file is stale or for another module}}
  %x = qnn.observe %a id(1) name("y") axis(0) : tensor<2x2xf32>
  return %x : tensor<2x2xf32>
}

// -----

func.func @lost_axis(%a: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{observer 1 has no axis but its statistics were recorded with axis 1}}
  %x = qnn.observe %a id(1) name("y") : tensor<2x2xf32>
  return %x : tensor<2x2xf32>
}

// -----

func.func @new_axis(%a: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{observer 0 has axis 1 but its statistics were recorded with no axis}}
  %x = qnn.observe %a id(0) name("x") axis(1) : tensor<2x4xf32>
  return %x : tensor<2x4xf32>
}
