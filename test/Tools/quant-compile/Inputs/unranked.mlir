// An unranked tensor: the C interface passes ranked tensors only.

func.func @main(%x: tensor<*xf32>) -> tensor<*xf32> {
  return %x : tensor<*xf32>
}
