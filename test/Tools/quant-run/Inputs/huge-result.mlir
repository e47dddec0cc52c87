// A result far larger than any machine's memory.
func.func @main() -> tensor<4294967296x4294967296xf32> {
  %c = arith.constant dense<1.0> : tensor<4294967296x4294967296xf32>
  return %c : tensor<4294967296x4294967296xf32>
}

func.func @big() -> tensor<1099511627776x16xf32> {
  %c = arith.constant dense<1.0> : tensor<1099511627776x16xf32>
  return %c : tensor<1099511627776x16xf32>
}
