// quant-dynamic-int8-pipeline exclude=: the named matmul stays float and
// says so; the other one becomes dynamic INT8.
// RUN: quant-opt %s --quant-dynamic-int8-pipeline="lower-qnn=false exclude=kept" | FileCheck %s
// RUN: quant-opt %s --quant-dynamic-int8-pipeline="lower-qnn=false exclude=kept" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// REMARK: remark: loc("kept"): kept in float: excluded by the user
// REMARK-NOT: remark

// CHECK-LABEL: func @excluded
// CHECK: linalg.matmul
func.func @excluded(%x: tensor<8x16xf32>) -> tensor<8x4xf32> {
  %w = arith.constant dense<0.5> : tensor<16x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32> loc("kept")
  return %y : tensor<8x4xf32>
}


// CHECK-LABEL: func @not_excluded
// CHECK: qnn.matmul_integer
// CHECK-NOT: linalg.matmul
func.func @not_excluded(%x: tensor<8x16xf32>) -> tensor<8x4xf32> {
  %w = arith.constant dense<0.5> : tensor<16x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32> loc("other")
  return %y : tensor<8x4xf32>
}
