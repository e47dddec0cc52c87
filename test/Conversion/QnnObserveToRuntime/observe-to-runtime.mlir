// convert-qnn-observe-to-runtime: observers become runtime calls.
// RUN: quant-opt %s -split-input-file --convert-qnn-observe-to-runtime | FileCheck %s

// CHECK-LABEL: func.func private @quantopt_observe_f32(i64, i64, tensor<*xf32> {bufferization.access = "read"})
// CHECK-LABEL: func @observe
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[W:.*]]: tensor<4xf16>)
// CHECK-DAG: %[[ID:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[AXIS:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[ID2:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[NOAXIS:.*]] = arith.constant -1 : i64
// CHECK: %[[U:.*]] = tensor.cast %[[X]] : tensor<2x8xf32> to tensor<*xf32>
// CHECK: call @quantopt_observe_f32(%[[ID]], %[[AXIS]], %[[U]]) : (i64, i64, tensor<*xf32>) -> ()
// f16 is widened to f32 for recording; no axis is -1.
// CHECK: %[[EXT:.*]] = linalg.generic {{.*}} ins(%[[W]] : tensor<4xf16>)
// CHECK: arith.extf
// CHECK: %[[U2:.*]] = tensor.cast %[[EXT]] : tensor<4xf32> to tensor<*xf32>
// CHECK: call @quantopt_observe_f32(%[[ID2]], %[[NOAXIS]], %[[U2]])
// CHECK-NOT: qnn.observe
// CHECK: return %[[X]], %[[W]]
func.func @observe(%x: tensor<2x8xf32>, %w: tensor<4xf16>) -> (tensor<2x8xf32>, tensor<4xf16>) {
  %a = qnn.observe %x id(3) name("a") axis(1) : tensor<2x8xf32>
  %b = qnn.observe %w id(4) : tensor<4xf16>
  return %a, %b : tensor<2x8xf32>, tensor<4xf16>
}

// -----

// Without observers, nothing is declared.
// CHECK-NOT: quantopt_observe_f32
// CHECK-LABEL: func @no_observers
func.func @no_observers(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
