// RUN: quant-opt %s --quant-fuse-layers --quant-insert-calibration="ops=matmul function-boundaries=false" | FileCheck %s
// RUN: quant-opt %s --quant-fuse-layers --quant-insert-calibration="function-boundaries=false" | FileCheck %s --check-prefix=ALL

// A matmul fused with its bias epilogue is one quantization unit: with only
// matmuls enabled, the unit's output (the epilogue's result) is observed
// under the matmul's name, never the value between matmul and epilogue.
// CHECK-LABEL: func @fused_unit_output
// CHECK: %[[X:.*]] = qnn.observe %arg0 id(0) name("fc.in0")
// CHECK: %[[MM:.*]] = linalg.matmul {quantopt.fused} ins(%[[X]]
// CHECK-NOT: qnn.observe %[[MM]]
// CHECK: %[[EPI:.*]] = linalg.generic {{.*}} ins(%[[MM]]
// CHECK: %[[Y:.*]] = qnn.observe %[[EPI]] id(1) name("fc.out0")
// CHECK: tensor.expand_shape %[[Y]]
// With elementwise ops enabled, the epilogue is observed under its own name.
// ALL-LABEL: func @fused_unit_output
// ALL: qnn.observe %{{.*}} name("fc.in0")
// ALL-NOT: name("fc.out0")
// ALL: qnn.observe %{{.*}} name("bias.out0")
func.func @fused_unit_output(%x: tensor<4x8xf32>) -> tensor<4x2x3xf32> {
  %w = arith.constant dense<0.5> : tensor<8x6xf32>
  %b = arith.constant dense<[0.25, 0.5, 0.75, 1.0, 1.25, 1.5]> : tensor<6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x6xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x6xf32>) outs(%init : tensor<4x6xf32>) -> tensor<4x6xf32> loc("fc")
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<4x6xf32>, tensor<6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %r = arith.addf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<4x6xf32> loc("bias")
  %r = tensor.expand_shape %y [[0], [1, 2]] output_shape [4, 2, 3] : tensor<4x6xf32> into tensor<4x2x3xf32>
  return %r : tensor<4x2x3xf32>
}
