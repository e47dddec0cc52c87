// exclude= names: a kind, or a name from an op's location (nested in a
// fused location too, as upstream passes leave it); a name that matches
// nothing is an error, not a silent no-op.
// RUN: quant-opt %s --quant-rewrite-int8=exclude=fc1 | FileCheck %s --check-prefix=NAMED
// RUN: quant-opt %s --quant-rewrite-int8=exclude=matmul | FileCheck %s --check-prefix=NAMED
// RUN: quant-opt %s --quant-rewrite-int8=exclude=fc1 -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: not quant-opt %s --quant-rewrite-int8=exclude=fc9 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not quant-opt %s --quant-dynamic-quantize=exclude=fc9 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// RUN: not quant-opt %s --mlir-print-debuginfo --strip-debuginfo --quant-rewrite-int8=exclude=fc1 2>&1 | FileCheck %s --check-prefix=STRIPPED
// An excluded op is no error under strict=true, also when its quantize
// shares its location (an imported ONNX node: other patterns then fail at
// the same location, and their reasons must not replace the user's).
// RUN: quant-opt %s --quant-rewrite-int8="exclude=fc1,fc2 strict=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=STRICT
// STRICT-COUNT-2: kept in float: excluded by the user

// REMARK: remark: kept in float: excluded by the user
// NAMED-LABEL: func @named
// NAMED: linalg.matmul
// NAMED-NOT: qnn.matmul
// NAMED-LABEL: func @quantize_shares_location
// UNKNOWN: error: quant-rewrite-int8: exclude='fc9' is neither an op kind (matmul, conv, depthwise_conv, add, mul) nor the name of an op in this module (names here include 'fc1', 'fc2')
// DYNAMIC: error: quant-dynamic-quantize: exclude='fc9' is neither an op kind (matmul) nor the name of an op in this module
// STRIPPED: error: quant-rewrite-int8: exclude='fc1' is neither {{.*}} (it has no named ops: names come from name locations, loc("fc1"); were locations dropped?)
func.func @named(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>> {
  %w = arith.constant dense<[[2.0, 0.5], [-1.0, -0.5], [0.0, 0.25]]> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!quant.uniform<i8:f32, 0.5:1>> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32> loc(fused["fc1", "model.py":3:1])
  %q = qnn.quantize %mm : tensor<2x2xf32> -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
  return %q : tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
}

func.func @quantize_shares_location(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>> {
  %w = arith.constant dense<[[2.0, 0.5], [-1.0, -0.5], [0.0, 0.25]]> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!quant.uniform<i8:f32, 0.5:1>> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32> loc("fc2")
  %q = qnn.quantize %mm : tensor<2x2xf32> -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>> loc("fc2")
  return %q : tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
}
