// quant-insert-calibration: where observers go, and where they must not.
// RUN: quant-opt %s -split-input-file --quant-insert-calibration | FileCheck %s
// RUN: quant-opt %s -split-input-file --quant-insert-calibration --quant-insert-calibration | FileCheck %s --check-prefix=TWICE
// RUN: quant-opt %s -split-input-file --quant-insert-calibration="observe=outputs function-boundaries=false" | FileCheck %s --check-prefix=OUTS
// RUN: quant-opt %s -split-input-file --quant-insert-calibration="ops=elementwise channel-axis=1" | FileCheck %s --check-prefix=ELEM

// Two layers: matmul + bias/relu (an elementwise generic). The weight and
// bias constants are not observed; the activation between the layers is
// observed once although two ops touch it.
// CHECK-LABEL: func @mlp
// CHECK-SAME: (%[[X:.*]]: tensor<1x8xf32>)
// CHECK: %[[OX:.*]] = qnn.observe %[[X]] id(0) name("mlp.arg0") : tensor<1x8xf32>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[OX]], %{{.*}} : tensor<1x8xf32>, tensor<8x4xf32>)
// CHECK: %[[OMM:.*]] = qnn.observe %[[MM]] id(1) name("mlp.linalg.matmul#0.out0") : tensor<1x4xf32>
// CHECK: %[[RELU:.*]] = linalg.generic {{.*}} ins(%[[OMM]], %{{.*}} : tensor<1x4xf32>, tensor<1x4xf32>)
// CHECK: %[[ORELU:.*]] = qnn.observe %[[RELU]] id(2) name("mlp.linalg.generic#0.out0") : tensor<1x4xf32>
// CHECK-NOT: qnn.observe
// CHECK: return %[[ORELU]]
// TWICE-LABEL: func @mlp
// TWICE-COUNT-3: qnn.observe
// TWICE-NOT: qnn.observe
// TWICE-LABEL: func @named
// OUTS-LABEL: func @mlp
// OUTS-NOT: name("mlp.arg0")
// OUTS: qnn.observe %{{.*}} id(0) name("mlp.linalg.matmul#0.out0")
// OUTS: qnn.observe %{{.*}} id(1) name("mlp.linalg.generic#0.out0")
// OUTS-NOT: qnn.observe
// OUTS-LABEL: func @named
// ELEM-LABEL: func @mlp
// ELEM: qnn.observe %{{.*}} id(0) name("mlp.arg0") axis(1)
// ELEM: linalg.matmul
// ELEM: qnn.observe %{{.*}} id(1) name("mlp.linalg.generic#0.in0") axis(1)
// ELEM: qnn.observe %{{.*}} id(2) name("mlp.linalg.generic#0.out0") axis(1)
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @mlp(%x: tensor<1x8xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4xf32>
  %b = arith.constant dense<0.25> : tensor<1x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<1x8xf32>, tensor<8x4xf32>) outs(%init : tensor<1x4xf32>) -> tensor<1x4xf32>
  %relu = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<1x4xf32>, tensor<1x4xf32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x4xf32>
  return %relu : tensor<1x4xf32>
}

// -----

// Names come from name locations when an importer wrote them; a weight
// computed from constants (transposed) is still a compile-time value.
// CHECK-LABEL: func @named
// CHECK: qnn.observe %{{.*}} id(0) name("named.arg0")
// CHECK: linalg.transpose
// CHECK-NOT: qnn.observe %transposed
// CHECK: qnn.observe %{{.*}} id(1) name("fc1.out0")
func.func @named(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %wt_init = tensor.empty() : tensor<3x4xf32>
  %wt = linalg.transpose ins(%w : tensor<4x3xf32>) outs(%wt_init : tensor<3x4xf32>) permutation = [1, 0]
  %init = tensor.empty() : tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %wt : tensor<2x3xf32>, tensor<3x4xf32>) outs(%init : tensor<2x4xf32>) -> tensor<2x4xf32> loc("fc1")
  return %y : tensor<2x4xf32>
}

// -----

// Integer tensors and ops that are not quantizable are left alone; ids
// continue after observers already present.
// CHECK-LABEL: func @existing
// CHECK: qnn.observe %{{.*}} id(7) name("mine")
// CHECK-NOT: id(0)
// CHECK: qnn.observe %{{.*}} id(8) name("existing.linalg.batch_matmul#0.out0")
// CHECK-NOT: qnn.observe
func.func @existing(%a: tensor<2x2x2xf32>, %i: tensor<4xi32>) -> (tensor<2x2x2xf32>, tensor<4xi32>) {
  %o = qnn.observe %a id(7) name("mine") : tensor<2x2x2xf32>
  %init = tensor.empty() : tensor<2x2x2xf32>
  %y = linalg.batch_matmul ins(%o, %o : tensor<2x2x2xf32>, tensor<2x2x2xf32>) outs(%init : tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  return %y, %i : tensor<2x2x2xf32>, tensor<4xi32>
}

// -----

// Convolutions and pooling.
// CHECK-LABEL: func @conv_pool
// CHECK: qnn.observe %{{.*}} name("conv_pool.arg0")
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK: qnn.observe %{{.*}} name("conv_pool.linalg.conv_2d_nhwc_hwcf#0.out0")
// CHECK: linalg.pooling_nhwc_max
// CHECK: qnn.observe %{{.*}} name("conv_pool.linalg.pooling_nhwc_max#0.out0")
func.func @conv_pool(%x: tensor<1x6x6x2xf32>) -> tensor<1x2x2x4xf32> {
  %w = arith.constant dense<0.1> : tensor<3x3x2x4xf32>
  %init = tensor.empty() : tensor<1x4x4x4xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x6x6x2xf32>, tensor<3x3x2x4xf32>) outs(%init : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %window = tensor.empty() : tensor<2x2xf32>
  %pinit = tensor.empty() : tensor<1x2x2x4xf32>
  %p = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%c, %window : tensor<1x4x4x4xf32>, tensor<2x2xf32>) outs(%pinit : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  return %p : tensor<1x2x2x4xf32>
}
