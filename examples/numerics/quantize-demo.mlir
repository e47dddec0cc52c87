// QuantOpt's bundled numerics example: quantizes values that expose the
// rounding and saturation rules to i8 (scale 0.5, zero point 0), then
// dequantizes them. scripts/demo.sh lowers it twice, with QuantOpt's
// convert-qnn-to-linalg and with upstream MLIR's lower-quant-ops, and runs
// both.
!q = !quant.uniform<i8:f32, 0.5>

func.func @quantize(%x: tensor<10xf32>) -> tensor<10x!q> {
  %q = quant.qcast %x : tensor<10xf32> to tensor<10x!q>
  return %q : tensor<10x!q>
}

func.func @dequantize(%q: tensor<10x!q>) -> tensor<10xf32> {
  %x = quant.dcast %q : tensor<10x!q> to tensor<10xf32>
  return %x : tensor<10xf32>
}

func.func private @printMemrefF32(tensor<*xf32>)
func.func private @printMemrefI32(tensor<*xi32>)

func.func @main() {
  //   x / 0.5 =       2.5    -2.5   3.5    -3.5   0.9   -0.9  1000  -1000  +inf    NaN
  %x = arith.constant dense<[1.25, -1.25, 1.75, -1.75, 0.45, -0.45, 500.0, -500.0, 0x7F800000, 0x7FC00000]> : tensor<10xf32>
  %q = call @quantize(%x) : (tensor<10xf32>) -> tensor<10x!q>
  %i8 = quant.scast %q : tensor<10x!q> to tensor<10xi8>
  %i32 = arith.extsi %i8 : tensor<10xi8> to tensor<10xi32>
  %pi = tensor.cast %i32 : tensor<10xi32> to tensor<*xi32>
  call @printMemrefI32(%pi) : (tensor<*xi32>) -> ()
  %d = call @dequantize(%q) : (tensor<10x!q>) -> tensor<10xf32>
  %pd = tensor.cast %d : tensor<10xf32> to tensor<*xf32>
  call @printMemrefF32(%pd) : (tensor<*xf32>) -> ()
  return
}
