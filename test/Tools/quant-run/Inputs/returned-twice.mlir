// One tensor returned twice (an exposed value that is also an output), next
// to a function argument returned as it is.
func.func @main(%x: tensor<12x4xf32>) -> (tensor<12x4xf32>, tensor<12x4xf32>, tensor<12x4xf32>) {
  %e = tensor.empty() : tensor<12x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<12x4xf32>) outs(%e : tensor<12x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<12x4xf32>
  return %r, %x, %r : tensor<12x4xf32>, tensor<12x4xf32>, tensor<12x4xf32>
}
