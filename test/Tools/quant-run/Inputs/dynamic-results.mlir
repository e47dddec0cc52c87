// Results whose shapes only the call knows: the compiled code returns the
// buffers (quant-run copies and frees them).
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @double(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.addf %in, %in : f32
    linalg.yield %d : f32
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// The argument itself, and a constant: buffers the caller does not own
// unless the compiled code copies them.
func.func @identity_and_constant(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x2xi32>) {
  %c = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi32>
  %d = tensor.cast %c : tensor<2x2xi32> to tensor<?x2xi32>
  return %x, %d : tensor<?x4xf32>, tensor<?x2xi32>
}
