// convert-qnn-to-linalg: what it lowers, and what it leaves alone.
// RUN: quant-opt %s -split-input-file --convert-qnn-to-linalg | FileCheck %s
// RUN: quant-opt %s -split-input-file --convert-qnn-to-linalg=requantize-mode=fixed-point | FileCheck %s --check-prefix=FIXED

// CHECK-DAG: #[[ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func @quantize_per_tensor
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>) -> tensor<4xi8>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xi8>
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID1]], #[[ID1]]], iterator_types = ["parallel"]} ins(%[[X]] : tensor<4xf32>) outs(%[[E]] : tensor<4xi8>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i8):
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[ZP:.*]] = arith.constant -1 : i32
// CHECK: %[[DIV:.*]] = arith.divf %[[IN]], %[[SCALE]] : f32
// CHECK: %[[RND:.*]] = math.roundeven %[[DIV]] : f32
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[DIV]], %[[DIV]] : f32
// CHECK: %[[SEL:.*]] = arith.select %[[NAN]], %{{.*}}, %[[RND]] : f32
// CHECK: arith.maximumf %[[SEL]]
// CHECK: %[[INT:.*]] = arith.fptosi %{{.*}} : f32 to i32
// CHECK: %[[ADD:.*]] = arith.addi %[[INT]], %[[ZP]] : i32
// CHECK: %[[LO:.*]] = arith.maxsi %[[ADD]], %{{.*}} : i32
// CHECK: %[[HI:.*]] = arith.minsi %[[LO]], %{{.*}} : i32
// CHECK: %[[T:.*]] = arith.trunci %[[HI]] : i32 to i8
// CHECK: linalg.yield %[[T]] : i8
// CHECK: return %[[G]] : tensor<4xi8>
func.func @quantize_per_tensor(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.5:-1>> {
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5:-1>>
  return %q : tensor<4x!quant.uniform<i8:f32, 0.5:-1>>
}

// -----

// Up to 16-bit storage the integer steps are i32 (clamped first to +-2^30);
// 32-bit storage needs i64 (clamped first to +-2^62).
// CHECK-LABEL: func @quantize_i16
// CHECK: arith.constant -1.07374182E+9 : f32
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.constant -32768 : i32
// CHECK: arith.trunci %{{.*}} : i32 to i16
func.func @quantize_i16(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i16:f32, 0.5:7>> {
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i16:f32, 0.5:7>>
  return %q : tensor<4x!quant.uniform<i16:f32, 0.5:7>>
}
// CHECK-LABEL: func @quantize_i32
// CHECK: arith.constant -4.61168602E+18 : f32
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.addi %{{.*}}, %{{.*}} : i64
// CHECK: arith.constant -2147483648 : i64
// CHECK: arith.trunci %{{.*}} : i64 to i32
func.func @quantize_i32(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i32:f32, 0.5:7>> {
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i32:f32, 0.5:7>>
  return %q : tensor<4x!quant.uniform<i32:f32, 0.5:7>>
}

// -----

// Per-axis scales and zero points come from constants indexed by the
// quantized dimension; unsigned storage clamps to [0, 255].
// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @quantize_per_axis_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>) -> tensor<?x3xi8>
// CHECK-DAG: %[[SCALES:.*]] = arith.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK-DAG: %[[ZPS:.*]] = arith.constant dense<[128, 120, 0]> : tensor<3xi32>
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<?x3xi8>
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[CH]], #[[CH]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[SCALES]], %[[ZPS]] : tensor<?x3xf32>, tensor<3xf32>, tensor<3xi32>) outs(%[[E]] : tensor<?x3xi8>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[S:.*]]: f32, %[[Z:.*]]: i32, %{{.*}}: i8):
// CHECK: arith.divf %[[IN]], %[[S]] : f32
// CHECK: arith.addi %{{.*}}, %[[Z]] : i32
// CHECK: arith.constant 0 : i32
// CHECK: arith.constant 255 : i32
func.func @quantize_per_axis_dynamic(%x: tensor<?x3xf32>) -> tensor<?x3x!quant.uniform<u8:f32:1, {0.1:128, 0.2:120, 0.3}>> {
  %q = qnn.quantize %x : tensor<?x3xf32> -> tensor<?x3x!quant.uniform<u8:f32:1, {0.1:128, 0.2:120, 0.3}>>
  return %q : tensor<?x3x!quant.uniform<u8:f32:1, {0.1:128, 0.2:120, 0.3}>>
}

// -----

// f16 is computed in f32.
// CHECK-LABEL: func @quantize_f16
// CHECK: ^bb0(%[[IN:.*]]: f16, %{{.*}}: i8):
// CHECK: %[[W:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK: arith.divf %[[W]], %{{.*}} : f32
func.func @quantize_f16(%x: tensor<4xf16>) -> tensor<4x!quant.uniform<i8:f16, 0.25>> {
  %q = qnn.quantize %x : tensor<4xf16> -> tensor<4x!quant.uniform<i8:f16, 0.25>>
  return %q : tensor<4x!quant.uniform<i8:f16, 0.25>>
}

// -----

// Unsigned storage is zero-extended before the zero point is subtracted.
// CHECK-LABEL: func @dequantize_unsigned
// CHECK-SAME: (%[[Q:.*]]: tensor<4xi8>) -> tensor<4xf32>
// CHECK: ^bb0(%[[IN:.*]]: i8, %{{.*}}: f32):
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[ZP:.*]] = arith.constant 128 : i32
// CHECK: %[[EXT:.*]] = arith.extui %[[IN]] : i8 to i32
// CHECK: %[[SUB:.*]] = arith.subi %[[EXT]], %[[ZP]] : i32
// CHECK: %[[F:.*]] = arith.sitofp %[[SUB]] : i32 to f32
// CHECK: %[[M:.*]] = arith.mulf %[[F]], %[[SCALE]] : f32
// CHECK: linalg.yield %[[M]] : f32
func.func @dequantize_unsigned(%q: tensor<4x!quant.uniform<u8:f32, 0.25:128>>) -> tensor<4xf32> {
  %x = qnn.dequantize %q : tensor<4x!quant.uniform<u8:f32, 0.25:128>> -> tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @dequantize_bf16_per_axis
// CHECK: ^bb0(%[[IN:.*]]: i8, %[[S:.*]]: f32, %[[Z:.*]]: i32, %{{.*}}: bf16):
// CHECK: arith.extsi %[[IN]] : i8 to i32
// CHECK: %[[M:.*]] = arith.mulf %{{.*}}, %[[S]] : f32
// CHECK: %[[T:.*]] = arith.truncf %[[M]] : f32 to bf16
// CHECK: linalg.yield %[[T]] : bf16
func.func @dequantize_bf16_per_axis(%q: tensor<2x4x!quant.uniform<i8:bf16:0, {0.5, 0.25}>>) -> tensor<2x4xbf16> {
  %x = qnn.dequantize %q : tensor<2x4x!quant.uniform<i8:bf16:0, {0.5, 0.25}>> -> tensor<2x4xbf16>
  return %x : tensor<2x4xbf16>
}

// -----

// The float multiplier 0.01 / 0.1 is rounded once to f32 (0.1f, held in an
// f64 constant); the product is taken in f64.
// CHECK-LABEL: func @requantize_float
// CHECK-SAME: (%{{.*}}: tensor<4xi32>) -> tensor<4xi8>
// CHECK: ^bb0(%[[IN:.*]]: i32, %{{.*}}: i8):
// CHECK-DAG: %[[MUL:.*]] = arith.constant 0.10000000149011612 : f64
// CHECK-DAG: %[[ZPOUT:.*]] = arith.constant 3 : i32
// The input side stays in i64: differences of 32-bit storage values need it.
// CHECK: arith.extsi %[[IN]] : i32 to i64
// CHECK: %[[F:.*]] = arith.sitofp %{{.*}} : i64 to f64
// CHECK: %[[P:.*]] = arith.mulf %[[F]], %[[MUL]] : f64
// CHECK: math.roundeven %[[P]] : f64
// CHECK: arith.addi %{{.*}}, %[[ZPOUT]] : i32
// FIXED-LABEL: func @requantize_float
// FIXED-NOT: arith.mulf
// FIXED-NOT: sitofp
// FIXED-DAG: arith.constant 1717986918 : i64
// FIXED-DAG: arith.constant 2147483648 : i64
// FIXED: arith.divsi
// FIXED: arith.shrsi
// FIXED: arith.trunci %{{.*}} : i64 to i8
func.func @requantize_float(%q: tensor<4x!quant.uniform<i32:f32, 0.01>>) -> tensor<4x!quant.uniform<i8:f32, 0.1:3>> {
  %r = qnn.requantize %q : tensor<4x!quant.uniform<i32:f32, 0.01>> -> tensor<4x!quant.uniform<i8:f32, 0.1:3>>
  return %r : tensor<4x!quant.uniform<i8:f32, 0.1:3>>
}

// -----

// Per-axis input to per-tensor output: one multiplier per channel.
// CHECK-LABEL: func @requantize_per_axis
// CHECK-DAG: arith.constant dense<[0.10000000149011612, 0.20000000298023224]> : tensor<2xf64>
// CHECK-DAG: arith.constant dense<0> : tensor<2xi64>
// CHECK: linalg.generic
// CHECK-SAME: tensor<4x2xi32>, tensor<2xf64>, tensor<2xi64>
func.func @requantize_per_axis(%q: tensor<4x2x!quant.uniform<i32:f32:1, {0.01, 0.02}>>) -> tensor<4x2x!quant.uniform<u8:f32, 0.1:128>> {
  %r = qnn.requantize %q : tensor<4x2x!quant.uniform<i32:f32:1, {0.01, 0.02}>> -> tensor<4x2x!quant.uniform<u8:f32, 0.1:128>>
  return %r : tensor<4x2x!quant.uniform<u8:f32, 0.1:128>>
}

// -----

// Upstream quant casts get the same lowering; scast disappears.
// CHECK-LABEL: func @upstream_casts
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xf32>)
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4xf32>)
// CHECK: math.roundeven
// CHECK: %[[D:.*]] = linalg.generic {{.*}} ins(%[[W]] : tensor<4xi8>)
// CHECK: arith.sitofp
// CHECK-NOT: quant.
// CHECK: return %[[Q]], %[[D]] : tensor<4xi8>, tensor<4xf32>
func.func @upstream_casts(%x: tensor<4xf32>, %w: tensor<4xi8>) -> (tensor<4x!quant.uniform<i8:f32, 0.5>>, tensor<4xf32>) {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  %wq = quant.scast %w : tensor<4xi8> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  %d = quant.dcast %wq : tensor<4x!quant.uniform<i8:f32, 0.5>> to tensor<4xf32>
  return %q, %d : tensor<4x!quant.uniform<i8:f32, 0.5>>, tensor<4xf32>
}

// -----

// Scalars are lowered without a linalg.generic.
// CHECK-LABEL: func @scalar_qcast
// CHECK-SAME: (%[[X:.*]]: f32) -> i8
// CHECK-NOT: linalg.generic
// CHECK: arith.divf %[[X]]
// CHECK: %[[T:.*]] = arith.trunci
// CHECK: return %[[T]] : i8
func.func @scalar_qcast(%x: f32) -> !quant.uniform<i8:f32, 0.5> {
  %q = quant.qcast %x : f32 to !quant.uniform<i8:f32, 0.5>
  return %q : !quant.uniform<i8:f32, 0.5>
}

// -----

// Quantized values flowing through calls, scf.for and tensor ops become
// storage integers.
// CHECK-LABEL: func private @callee(tensor<2x2xi8>) -> tensor<4xi8>
// CHECK-LABEL: func @structural
// CHECK-SAME: (%[[A:.*]]: tensor<2x2xi8>, %{{.*}}: index) -> tensor<4xi8>
// CHECK: %[[R:.*]] = scf.for {{.*}} iter_args(%[[IT:.*]] = %[[A]]) -> (tensor<2x2xi8>)
// CHECK: scf.yield %[[IT]] : tensor<2x2xi8>
// CHECK: %[[C:.*]] = call @callee(%[[R]]) : (tensor<2x2xi8>) -> tensor<4xi8>
// CHECK: %[[S:.*]] = tensor.collapse_shape %[[R]] {{.*}} : tensor<2x2xi8> into tensor<4xi8>
// CHECK: return %[[S]] : tensor<4xi8>
!qt = !quant.uniform<i8:f32, 0.5>
func.func private @callee(tensor<2x2x!qt>) -> tensor<4x!qt>
func.func @structural(%a: tensor<2x2x!qt>, %n: index) -> tensor<4x!qt> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%it = %a) -> (tensor<2x2x!qt>) {
    scf.yield %it : tensor<2x2x!qt>
  }
  %c = func.call @callee(%r) : (tensor<2x2x!qt>) -> tensor<4x!qt>
  %s = tensor.collapse_shape %r [[0, 1]] : tensor<2x2x!qt> into tensor<4x!qt>
  return %s : tensor<4x!qt>
}

// -----

// Float-only qnn ops are not this pass's business.
// CHECK-LABEL: func @leaves_float_ops_alone
// CHECK: qnn.observe
// CHECK: qnn.fake_quant
// CHECK-NOT: linalg.generic
func.func @leaves_float_ops_alone(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = qnn.observe %x id(0) : tensor<4xf32>
  %b = qnn.fake_quant %a {min = array<f64: -1.0>, max = array<f64: 1.0>} : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// dynamic_quantize: a reduction to the finite min and max (the rows into
// partial ranges along the last dimension, then those), the scale and
// zero point in scalar f32, then the quantize; ui8 becomes signless i8.
// CHECK-LABEL: func @dynamic_quantize
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>) -> (tensor<?x4xi8>, tensor<f32>, tensor<i8>)
// CHECK: %[[P:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[X]] : tensor<?x4xf32>) outs(%{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>)
// CHECK: math.absf
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[P]]#0, %[[P]]#1 : tensor<4xf32>, tensor<4xf32>) outs(%{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>)
// CHECK-NOT: math.absf
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: %[[LO:.*]] = tensor.extract %[[R]]#0[]
// CHECK: %[[HI:.*]] = tensor.extract %[[R]]#1[]
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<?x4xf32>) outs(%{{.*}} : tensor<?x4xi8>)
// CHECK: %[[S:.*]] = tensor.from_elements %{{.*}} : tensor<f32>
// CHECK: %[[Z:.*]] = tensor.from_elements %{{.*}} : tensor<i8>
// CHECK: return %[[Q]], %[[S]], %[[Z]]
func.func @dynamic_quantize(%x: tensor<?x4xf32>) -> (tensor<?x4xui8>, tensor<f32>, tensor<ui8>) {
  %q, %s, %zp = qnn.dynamic_quantize %x : tensor<?x4xf32> -> tensor<?x4xui8>, tensor<f32>, tensor<ui8>
  return %q, %s, %zp : tensor<?x4xui8>, tensor<f32>, tensor<ui8>
}

// -----

// matmul_integer: the run-time zero point is a 0-d input of the reduction.
// CHECK-LABEL: func @matmul_integer
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xi8>, %[[B:.*]]: tensor<3x4xi8>, %[[Z:.*]]: tensor<i8>) -> tensor<2x4xi32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[A]], %[[B]], %[[Z]] : tensor<2x3xi8>, tensor<3x4xi8>, tensor<i8>) outs(%{{.*}} : tensor<2x4xi32>)
// CHECK: arith.extui %{{.*}} : i8 to i32
func.func @matmul_integer(%a: tensor<2x3xui8>, %b: tensor<3x4xi8>, %z: tensor<ui8>) -> tensor<2x4xi32> {
  %y = qnn.matmul_integer %a, %b zero_point %z : tensor<2x3xui8>, tensor<3x4xi8>, tensor<ui8> -> tensor<2x4xi32>
  return %y : tensor<2x4xi32>
}

// -----

// A QDQ pair of upstream casts keeps its quantization: upstream folds
// quant.dcast(quant.qcast(x)) to x, which this pass must not do.
// CHECK-LABEL: func @qdq_pair_not_folded
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4xf32>) outs(%{{.*}} : tensor<4xi8>)
// CHECK: %[[D:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<4xi8>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: return %[[D]] : tensor<4xf32>
func.func @qdq_pair_not_folded(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.25:1>>
  %d = quant.dcast %q : tensor<4x!quant.uniform<i8:f32, 0.25:1>> to tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// qnn.matmul: i32 accumulation from the bias, zero points subtracted in the
// reduction, then the requantize epilogue with one multiplier per column,
// clamped by the fused activation.
// CHECK-LABEL: func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<4x3xi8>, %[[W:.*]]: tensor<3x2xi8>, %[[B:.*]]: tensor<2xi32>) -> tensor<4x2xi8>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<2xi32>) outs(%{{.*}} : tensor<4x2xi32>)
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[A]], %[[W]] : tensor<4x3xi8>, tensor<3x2xi8>) outs(%[[INIT]] : tensor<4x2xi32>)
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.subi
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %{{.*}} : tensor<4x2xi32>, tensor<2xf64>{{.*}}) outs(%{{.*}} : tensor<4x2xi8>)
// CHECK: math.roundeven %{{.*}} : f64
// CHECK: arith.constant -5 : i32
// CHECK: arith.constant 127 : i32
// FIXED-LABEL: func @matmul
// FIXED: arith.divsi
!qa = !quant.uniform<i8:f32, 0.05:-5>
!qw = !quant.uniform<i8<-127:127>:f32:1, {0.01, 0.02}>
!qy = !quant.uniform<i8:f32, 0.1:-5>
func.func @matmul(%a: tensor<4x3x!qa>, %w: tensor<3x2x!qw>, %b: tensor<2xi32>) -> tensor<4x2x!qy> {
  %y = qnn.matmul %a, %w bias %b {clamp_min = -5 : i64} : tensor<4x3x!qa>, tensor<3x2x!qw>, tensor<2xi32> -> tensor<4x2x!qy>
  return %y : tensor<4x2x!qy>
}
