// A QDQ program: add (with ReLU) and mul of two quantized activations.
!qa = !quant.uniform<i8:f32, 0.05:-3>
!qb = !quant.uniform<u8:f32, 0.02:120>
!qs = !quant.uniform<i8:f32, 0.04:-128>
!qm = !quant.uniform<i8:f32, 0.01:5>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %qa = qnn.quantize %a : tensor<4x8xf32> -> tensor<4x8x!qa>
  %da = qnn.dequantize %qa : tensor<4x8x!qa> -> tensor<4x8xf32>
  %qb = qnn.quantize %b : tensor<4x8xf32> -> tensor<4x8x!qb>
  %db = qnn.dequantize %qb : tensor<4x8x!qb> -> tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%da, %db : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %v = arith.addf %x, %y : f32
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %qs = qnn.quantize %s : tensor<4x8xf32> -> tensor<4x8x!qs>
  %ds = qnn.dequantize %qs : tensor<4x8x!qs> -> tensor<4x8xf32>
  %m = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%da, %db : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %v = arith.mulf %x, %y : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %qm = qnn.quantize %m : tensor<4x8xf32> -> tensor<4x8x!qm>
  %dm = qnn.dequantize %qm : tensor<4x8x!qm> -> tensor<4x8xf32>
  return %ds, %dm : tensor<4x8xf32>, tensor<4x8xf32>
}
