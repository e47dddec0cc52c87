// @signature would clash with the library's own lib_signature().
func.func @signature(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
