// Layer names (name locations) survive from one quant-opt step to the next
// through files, so exclude= and the report still find them; stdout and
// --mlir-print-debuginfo=false print without locations, as mlir-opt does.
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant-opt %s --canonicalize -o %t/step1.mlir
// RUN: quant-opt %t/step1.mlir --quant-rewrite-int8=exclude=fc1 -o %t/step2.mlir 2>&1 | FileCheck %s --check-prefix=KEPT
// KEPT: remark: loc("fc1"): kept in float: excluded by the user
// RUN: FileCheck %s --check-prefix=FILE < %t/step2.mlir
// FILE: linalg.matmul {{.*}} loc([[LOC:#loc[0-9]*]])
// FILE: [[LOC]] = loc("fc1")
// RUN: quant-opt %s --canonicalize | FileCheck %s --check-prefix=STDOUT
// STDOUT-NOT: loc(
// RUN: quant-opt %s --canonicalize --mlir-print-debuginfo=false -o %t/bare.mlir
// RUN: not quant-opt %t/bare.mlir --quant-rewrite-int8=exclude=fc1 2>&1 | FileCheck %s --check-prefix=DROPPED
// DROPPED: exclude='fc1' is neither an op kind {{.*}} were locations dropped?

func.func @f(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>> {
  %w = arith.constant dense<1.0> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!quant.uniform<i8:f32, 0.5:1>> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32> loc("fc1")
  %q = qnn.quantize %mm : tensor<2x2xf32> -> tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
  return %q : tensor<2x2x!quant.uniform<i8:f32, 0.25:-3>>
}
