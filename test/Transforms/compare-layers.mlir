// quant-compare-layers: for every quantization point of a calibrated model
// (a dequantize(quantize(x)) of a computed x), the function gains three
// results: the model's value, its float value (the body copied with each
// round trip read as x) and its layer's shadow (the layer cloned with the
// float inputs quantized with the model's types), named in result attributes.
// RUN: quant-opt %s -split-input-file --quant-compare-layers | FileCheck %s
// After the rewrite the model and the shadows are integer, the copy float;
// the rewrite's remarks describe the model alone (the copies are marked).
// RUN: quant-opt %s -split-input-file --quant-compare-layers --quant-rewrite-int8 --canonicalize 2>/dev/null | FileCheck %s --check-prefix=INT8
// RUN: quant-opt %s -split-input-file --quant-compare-layers --quant-rewrite-int8 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARKS
// Only the model's own fc1 gets its remark, not its float copy:
// REMARKS:     remark: loc("fc1"): kept in float: no quantize of its result to fold it into
// REMARKS-NOT: remark:

!qx = !quant.uniform<i8:f32, 0.5:1>
!qh = !quant.uniform<i8:f32, 0.25:-3>
!qy = !quant.uniform<i8:f32, 0.125:2>
// Two matmuls with a relu between them; two quantization points (the
// quantize of the input is of an argument, no layer's).
// CHECK-LABEL: func.func @two_layers
// CHECK-SAME:      (%[[X:.*]]: tensor<2x4xf32>) -> (tensor<2x3xf32>, tensor<2x5xf32>,
// CHECK-SAME:      tensor<2x5xf32> {quantopt.compare = "model", quantopt.layer = "relu", quantopt.op = "linalg.max"},
// CHECK-SAME:      tensor<2x5xf32> {quantopt.compare = "float", quantopt.layer = "relu", quantopt.op = "linalg.max"},
// CHECK-SAME:      tensor<2x5xf32> {quantopt.compare = "shadow", quantopt.layer = "relu", quantopt.op = "linalg.max"},
// CHECK-SAME:      tensor<2x3xf32> {quantopt.compare = "model", quantopt.layer = "fc2", quantopt.op = "linalg.matmul"},
// CHECK-SAME:      tensor<2x3xf32> {quantopt.compare = "float", quantopt.layer = "fc2", quantopt.op = "linalg.matmul"},
// CHECK-SAME:      tensor<2x3xf32> {quantopt.compare = "shadow", quantopt.layer = "fc2", quantopt.op = "linalg.matmul"})
// The model as it was:
// CHECK:         %[[QX:.*]] = qnn.quantize %[[X]]
// CHECK:         %[[DX:.*]] = qnn.dequantize %[[QX]]
// CHECK:         %[[FC1:.*]] = linalg.matmul ins(%[[DX]], %{{.*}} : {{.*}}) outs(%{{.*}}) -> tensor<2x5xf32>
// CHECK:         %[[RELU:.*]] = linalg.max
// CHECK:         %[[QH:.*]] = qnn.quantize %[[RELU]]
// CHECK:         %[[DH:.*]] = qnn.dequantize %[[QH]]
// CHECK:         %[[FC2:.*]] = linalg.matmul ins(%[[DH]], %{{.*}} : {{.*}}) outs(%{{.*}}) -> tensor<2x3xf32>
// CHECK:         %[[QY:.*]] = qnn.quantize %[[FC2]]
// CHECK:         %[[DY:.*]] = qnn.dequantize %[[QY]]
// The float copy reads x and the relu directly:
// CHECK:         %[[FFC1:.*]] = linalg.matmul {quantopt.compare_copy} ins(%[[X]], %{{.*}} : {{.*}}) outs(%{{.*}}) -> tensor<2x5xf32>
// CHECK:         %[[FRELU:.*]] = linalg.max {quantopt.compare_copy} ins(%[[FFC1]]
// CHECK:         %[[FFC2:.*]] = linalg.matmul {quantopt.compare_copy} ins(%[[FRELU]], %{{.*}} : {{.*}}) outs(%{{.*}}) -> tensor<2x3xf32>
// The relu reads no quantized value (fc1 and the relu are one unit after
// quant-fuse-layers; here they are not fused): its shadow is its float
// value quantized, the error of that quantization point alone.
// CHECK:         %[[RQ:.*]] = qnn.quantize %[[FRELU]]
// CHECK-NEXT:    %[[RD:.*]] = qnn.dequantize %[[RQ]]
// fc2's shadow: the float relu quantized as the model quantizes it.
// CHECK:         %[[SQH:.*]] = qnn.quantize %[[FRELU]] : tensor<2x5xf32> -> tensor<2x5x!quant.uniform<i8:f32, 2.500000e-01:-3>>
// CHECK:         %[[SDH:.*]] = qnn.dequantize %[[SQH]]
// CHECK:         %[[SFC2:.*]] = linalg.matmul {quantopt.compare_copy} ins(%[[SDH]], %{{.*}} : {{.*}}) outs(%{{.*}}) -> tensor<2x3xf32>
// CHECK:         %[[SQY:.*]] = qnn.quantize %[[SFC2]] : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<i8:f32, 1.250000e-01:2>>
// CHECK:         %[[SDY:.*]] = qnn.dequantize %[[SQY]]
// CHECK:         return %[[DY]], %[[DH]], %[[DH]], %[[FRELU]], %[[RD]], %[[DY]], %[[FFC2]], %[[SDY]] :
// After the rewrite: fc1 (its relu is a separate op here, so its output is
// not quantized) stays float in the model; fc2 is INT8 in the model and in
// its shadow; the copy is float.
// INT8-LABEL: func.func @two_layers
// INT8:         linalg.matmul ins(%arg0
// INT8:         %[[M:.*]] = qnn.matmul
// INT8:         %[[MD:.*]] = qnn.dequantize %[[M]]
// INT8:         linalg.matmul {quantopt.compare_copy} ins(%arg0
// INT8:         %[[F2:.*]] = linalg.matmul
// INT8:         %[[S:.*]] = qnn.matmul
// INT8:         %[[SD:.*]] = qnn.dequantize %[[S]]
// INT8-NOT:     linalg.matmul
// INT8:         return %[[MD]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[MD]], %[[F2]], %[[SD]] :
func.func @two_layers(%x: tensor<2x4xf32>) -> (tensor<2x3xf32>, tensor<2x5xf32>) {
  %w1 = arith.constant dense<0.5> : tensor<4x5xf32>
  %w2 = arith.constant dense<-0.25> : tensor<5x3xf32>
  %zero = arith.constant 0.0 : f32
  %qx = qnn.quantize %x : tensor<2x4xf32> -> tensor<2x4x!qx>
  %dx = qnn.dequantize %qx : tensor<2x4x!qx> -> tensor<2x4xf32>
  %e1 = tensor.empty() : tensor<2x5xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %fc1 = linalg.matmul ins(%dx, %w1 : tensor<2x4xf32>, tensor<4x5xf32>) outs(%z1 : tensor<2x5xf32>) -> tensor<2x5xf32> loc("fc1")
  %zeros = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %relu = linalg.max ins(%fc1, %zeros : tensor<2x5xf32>, tensor<2x5xf32>) outs(%e1 : tensor<2x5xf32>) -> tensor<2x5xf32> loc("relu")
  %qh = qnn.quantize %relu : tensor<2x5xf32> -> tensor<2x5x!qh>
  %dh = qnn.dequantize %qh : tensor<2x5x!qh> -> tensor<2x5xf32>
  %e2 = tensor.empty() : tensor<2x3xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %fc2 = linalg.matmul ins(%dh, %w2 : tensor<2x5xf32>, tensor<5x3xf32>) outs(%z2 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("fc2")
  %qy = qnn.quantize %fc2 : tensor<2x3xf32> -> tensor<2x3x!qy>
  %dy = qnn.dequantize %qy : tensor<2x3x!qy> -> tensor<2x3xf32>
  return %dy, %dh : tensor<2x3xf32>, tensor<2x5xf32>
}

// -----

!qx = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.125:2>
// A flatten between the dequantize and the matmul is cloned with the
// shadow's input, so the shadow still matches as one INT8 unit.
// CHECK-LABEL: func.func @move_before_layer
// CHECK:         tensor.collapse_shape %arg0 {{.*}} {quantopt.compare_copy}
// CHECK:         %[[SQ:.*]] = qnn.quantize %arg0 : tensor<1x2x3xf32> -> tensor<1x2x3x!quant.uniform<i8:f32, 5.000000e-01:1>>
// CHECK-NEXT:    %[[SD:.*]] = qnn.dequantize %[[SQ]]
// CHECK-NEXT:    %[[SC:.*]] = tensor.collapse_shape %[[SD]]
// CHECK-NEXT:    linalg.matmul {quantopt.compare_copy} ins(%[[SC]]
// INT8-LABEL: func.func @move_before_layer
// INT8:         qnn.matmul
// INT8:         linalg.matmul
// INT8:         qnn.matmul
// INT8-NOT:     linalg.matmul
func.func @move_before_layer(%x: tensor<1x2x3xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<6x2xf32>
  %zero = arith.constant 0.0 : f32
  %qx = qnn.quantize %x : tensor<1x2x3xf32> -> tensor<1x2x3x!qx>
  %dx = qnn.dequantize %qx : tensor<1x2x3x!qx> -> tensor<1x2x3xf32>
  %f = tensor.collapse_shape %dx [[0], [1, 2]] : tensor<1x2x3xf32> into tensor<1x6xf32>
  %e = tensor.empty() : tensor<1x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %mm = linalg.matmul ins(%f, %w : tensor<1x6xf32>, tensor<6x2xf32>) outs(%z : tensor<1x2xf32>) -> tensor<1x2xf32>
  %qy = qnn.quantize %mm : tensor<1x2xf32> -> tensor<1x2x!qy>
  %dy = qnn.dequantize %qy : tensor<1x2x!qy> -> tensor<1x2xf32>
  return %dy : tensor<1x2xf32>
}

// -----

!qx = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.125:2>
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
// A unit quant-fuse-layers made (matmul marked quantopt.fused + its bias
// epilogue): the shadow clones both, and the rewrite makes it one qnn.matmul.
// CHECK-LABEL: func.func @fused_unit
// CHECK:         linalg.matmul {quantopt.compare_copy, quantopt.fused} ins(%arg0,
// CHECK:         %[[SQ:.*]] = qnn.quantize %arg0 : tensor<2x4xf32> -> tensor<2x4x!quant.uniform<i8:f32, 5.000000e-01:1>>
// CHECK-NEXT:    %[[SD:.*]] = qnn.dequantize %[[SQ]]
// CHECK-NEXT:    %[[SM:.*]] = linalg.matmul {quantopt.compare_copy, quantopt.fused} ins(%[[SD]],
// CHECK-NEXT:    %[[SB:.*]] = linalg.generic {{.*}} ins(%[[SM]],
// CHECK:         qnn.quantize %[[SB]] : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<i8:f32, 1.250000e-01:2>>
// INT8-LABEL: func.func @fused_unit
// INT8:         qnn.matmul {{.*}} bias
// INT8:         linalg.matmul
// INT8:         qnn.matmul {{.*}} bias
func.func @fused_unit(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<0.5> : tensor<4x3xf32>
  %b = arith.constant dense<0.25> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %qx = qnn.quantize %x : tensor<2x4xf32> -> tensor<2x4x!qx>
  %dx = qnn.dequantize %qx : tensor<2x4x!qx> -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %mm = linalg.matmul {quantopt.fused} ins(%dx, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  %biased = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<2x3xf32>, tensor<3xf32>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  %qy = qnn.quantize %biased : tensor<2x3xf32> -> tensor<2x3x!qy>
  %dy = qnn.dequantize %qy : tensor<2x3x!qy> -> tensor<2x3xf32>
  return %dy : tensor<2x3xf32>
}

// -----

// A function without quantization points is left as it is.
// CHECK-LABEL: func.func @argument_result
// CHECK-SAME:      (%[[A:.*]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    return %[[A]] : tensor<4xf32>
func.func @argument_result(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
