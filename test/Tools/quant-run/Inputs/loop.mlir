// A tensor program whose scf.for yields a tensor (a timing harness: the
// matmul runs three times and the results are summed): y = 3 * (x @ w).
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%x: tensor<12x4xf32>) -> tensor<12x3xf32> {
  %w = arith.constant dense<[[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [0.0, -0.25, 1.0], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %e = tensor.empty() : tensor<12x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<12x3xf32>) -> tensor<12x3xf32>
  %sum = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %init) -> (tensor<12x3xf32>) {
    %mm = linalg.matmul ins(%x, %w : tensor<12x4xf32>, tensor<4x3xf32>) outs(%init : tensor<12x3xf32>) -> tensor<12x3xf32>
    %next = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%acc, %mm : tensor<12x3xf32>, tensor<12x3xf32>) outs(%e : tensor<12x3xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
    } -> tensor<12x3xf32>
    scf.yield %next : tensor<12x3xf32>
  }
  return %sum : tensor<12x3xf32>
}
