// RUN: quant-opt %s --convert-qnn-packed-matmul-to-vector=target=vnni --split-input-file | FileCheck %s --check-prefix=VNNI
// RUN: quant-opt %s --convert-qnn-packed-matmul-to-vector=target=generic --split-input-file | FileCheck %s --check-prefix=GENERIC
// RUN: quant-opt %s --convert-qnn-packed-matmul-to-vector="target=vnni rows=2 vectors=1" --split-input-file | FileCheck %s --check-prefix=TILE
// RUN: quant-opt %s --convert-qnn-packed-matmul-to-vector="target=vnni vectors=1 parallel=true" --split-input-file | FileCheck %s --check-prefix=PAR

// M = 3, K = 8 (2 groups of 4), N = 20 (2 column tiles, the second partial).
// Activations are packed once (sign bit flipped), then each register tile
// keeps its accumulators in vectors across the K loop, and the requantize
// epilogue ends in one (masked, N % 16 != 0) store per vector.
// VNNI-LABEL: func @integer
// VNNI: memref.alloc() {alignment = 64 : i64} : memref<3x2xi32>
// VNNI: vector.transfer_read %{{.*}} : memref<3x8xi8>, vector<64xi8>
// VNNI: arith.xori
// VNNI: vector.bitcast {{.*}} : vector<64xi8> to vector<16xi32>
// VNNI: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// VNNI-COUNT-2: vector.load {{.*}} : memref<2x2x64xi8>, vector<64xi8>
// VNNI-COUNT-6: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: scf.yield
// VNNI: vector.load {{.*}} : memref<32xi32>, vector<16xi32>
// VNNI: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf64>
// VNNI: math.roundeven {{.*}} : vector<16xf64>
// VNNI: arith.trunci {{.*}} : vector<16xi32> to vector<16xi8>
// VNNI: vector.transfer_write {{.*}} : vector<16xi8>, memref<3x20xi8>
// VNNI-NOT: qnn.packed_matmul
// VNNI: memref.dealloc
// GENERIC-LABEL: func @integer
// GENERIC-NOT: llvm.call_intrinsic
// GENERIC: arith.extui {{.*}} : vector<64xi8> to vector<64xi32>
// GENERIC: arith.extsi {{.*}} : vector<64xi8> to vector<64xi32>
// GENERIC: vector.shuffle
// GENERIC-NOT: llvm.call_intrinsic
// A forced 2 x 1 tile: a loop over row pairs, then the remainder row.
// TILE-LABEL: func @integer
// TILE: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>)
// TILE: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xi32>)
// parallel=true: the loop over column blocks is an scf.parallel (one block
// per vector here), the activation packing before it stays serial.
// PAR-LABEL: func @integer
// PAR: scf.for
// PAR: arith.xori
// PAR: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// PAR: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>, vector<16xi32>)
// PAR: vector.transfer_write
// PAR: scf.reduce
// PAR: memref.dealloc
func.func @integer(%a: memref<3x8xi8>, %w: memref<2x2x64xi8>, %o: memref<32xi32>, %m: memref<32xf64>, %y: memref<3x20xi8>) {
  qnn.packed_matmul ins(%a, %w : memref<3x8xi8>, memref<2x2x64xi8>) requantize(%o, %m : memref<32xi32>, memref<32xf64>) outs(%y : memref<3x20xi8>) {lhs_sign_flip, output_zero_point = 3 : i64, output_min = -128 : i64, output_max = 127 : i64}
  return
}

// -----

// Weight zero points: the packing loop also sums each row.
// VNNI-LABEL: func @row_sums
// VNNI: vector.reduction <add>
// VNNI: memref.store {{.*}} : memref<1xi32>
// VNNI: arith.muli {{.*}} : vector<16xi32>
func.func @row_sums(%a: memref<1x4xi8>, %w: memref<1x1x64xi8>, %o: memref<16xi32>, %m: memref<16xf64>, %r: memref<16xi32>, %y: memref<1x16xi8>) {
  qnn.packed_matmul ins(%a, %w : memref<1x4xi8>, memref<1x1x64xi8>) requantize(%o, %m : memref<16xi32>, memref<16xf64>) row_sums(%r : memref<16xi32>) outs(%y : memref<1x16xi8>) {output_unsigned, output_zero_point = 128 : i64, output_min = 0 : i64, output_max = 255 : i64}
  return
}

// -----

// f32: accumulators start from the init and take one fma per k.
// VNNI-LABEL: func @float
// VNNI: vector.load {{.*}} : memref<2x32xf32>, vector<16xf32>
// VNNI: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// VNNI-COUNT-4: vector.fma
// VNNI: vector.store {{.*}} : memref<2x32xf32>, vector<16xf32>
func.func @float(%a: memref<2x5xf32>, %w: memref<2x5x16xf32>, %y: memref<2x32xf32>) {
  qnn.packed_matmul ins(%a, %w : memref<2x5xf32>, memref<2x5x16xf32>) outs(%y : memref<2x32xf32>)
  return
}

// -----

// No rows: nothing to compute, no loops.
// VNNI-LABEL: func @empty
// VNNI-NEXT: return
func.func @empty(%a: memref<0x5xf32>, %w: memref<1x5x16xf32>, %y: memref<0x3xf32>) {
  qnn.packed_matmul ins(%a, %w : memref<0x5xf32>, memref<1x5x16xf32>) outs(%y : memref<0x3xf32>)
  return
}

// -----

// A convolution with no output columns: no code either.
// VNNI-LABEL: func @empty_conv
// VNNI-NEXT: return
func.func @empty_conv(%x: memref<1x4x4x4xf32>, %w: memref<1x36x16xf32>, %y: memref<1x2x0x16xf32>) {
  qnn.packed_matmul ins(%x, %w : memref<1x4x4x4xf32>, memref<1x36x16xf32>) outs(%y : memref<1x2x0x16xf32>) {window = array<i64: 3, 3>}
  return
}

// -----

// Convolution form: 2 x 3 output (N = 1), 3 x 3 window, stride 1, C = 8
// (2 groups per pixel), F = 16. No activation packing: a loop over output
// rows (n, oy), then tiles of neighbouring pixels, each reducing over the
// window positions and, inside, the channel groups, reading 4 input bytes
// at (n, oy + ky, ox + kx, 4g) as one i32.
// VNNI-LABEL: func @conv
// VNNI-NOT: memref.alloc
// VNNI: scf.for %[[ROW:.*]] = %c0{{.*}} to %c2{{.*}} step %c1{{.*}} {
// VNNI: %[[N:.*]] = arith.divui %[[ROW]], %c2
// VNNI: %[[OY:.*]] = arith.remui %[[ROW]], %c2
// VNNI: scf.for %{{.*}} = %c0{{.*}} to %c9{{.*}} step %c1{{.*}} iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>, vector<16xi32>)
// VNNI: scf.for %{{.*}} = %c0{{.*}} to %c2{{.*}} step %c1{{.*}} iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>, vector<16xi32>)
// VNNI: vector.load %{{.*}} : memref<1x18x64xi8>, vector<64xi8>
// VNNI: vector.load %arg0[%[[N]], %{{.*}}, %{{.*}}, %{{.*}}] : memref<1x4x5x8xi8>, vector<4xi8>
// VNNI: vector.bitcast {{.*}} : vector<4xi8> to vector<1xi32>
// VNNI-COUNT-3: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: vector.store {{.*}}, %arg4[%[[N]], %[[OY]], %{{.*}}, %{{.*}}] : memref<1x2x3x16xi8>, vector<16xi8>
// VNNI-NOT: memref.dealloc
// The output rows are what the threads share.
// PAR-LABEL: func @conv
// PAR: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c2{{.*}}) step (%c1{{.*}}) {
// PAR: arith.divui
func.func @conv(%x: memref<1x4x5x8xi8>, %w: memref<1x18x64xi8>, %o: memref<16xi32>, %m: memref<16xf64>, %y: memref<1x2x3x16xi8>) {
  qnn.packed_matmul ins(%x, %w : memref<1x4x5x8xi8>, memref<1x18x64xi8>) requantize(%o, %m : memref<16xi32>, memref<16xf64>) outs(%y : memref<1x2x3x16xi8>) {output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64, window = array<i64: 3, 3>}
  return
}

// -----

// f32 convolution form with stride 2 and dilation 2: one f32 per channel,
// the input index oy * 2 + ky * 2; accumulators start from the init.
// VNNI-LABEL: func @float_conv
// VNNI: vector.load %arg2[{{.*}}] : memref<1x2x2x16xf32>, vector<16xf32>
// VNNI: scf.for %{{.*}} = %c0{{.*}} to %c4{{.*}} step %c1{{.*}} iter_args
// VNNI: scf.for %{{.*}} = %c0{{.*}} to %c3{{.*}} step %c1{{.*}} iter_args
// Window position p = 2 ky + kx; input row oy * stride 2 + ky * dilation 1,
// column ox * stride 1 + kx * dilation 2.
// VNNI: %[[KY:.*]] = arith.divui %[[POS:.*]], %c2{{(_[0-9]+)?}} : index
// VNNI: %[[KX:.*]] = arith.remui %[[POS]], %c2{{(_[0-9]+)?}} : index
// VNNI: %[[RS:.*]] = arith.muli %[[OY:.*]], %c2{{(_[0-9]+)?}} : index
// VNNI: %[[RD:.*]] = arith.muli %[[KY]], %c1{{(_[0-9]+)?}} : index
// VNNI: %[[ROW:.*]] = arith.addi %[[RS]], %[[RD]] : index
// VNNI: %[[CS:.*]] = arith.muli %[[OX:.*]], %c1{{(_[0-9]+)?}} : index
// VNNI: %[[CD:.*]] = arith.muli %[[KX]], %c2{{(_[0-9]+)?}} : index
// VNNI: %[[COL:.*]] = arith.addi %[[CS]], %[[CD]] : index
// VNNI: vector.load %arg0[%{{.*}}, %[[ROW]], %[[COL]], %{{.*}}] : memref<1x6x6x3xf32>, vector<1xf32>
// VNNI: vector.fma
// VNNI: vector.store {{.*}} : memref<1x2x2x16xf32>, vector<16xf32>
func.func @float_conv(%x: memref<1x6x6x3xf32>, %w: memref<1x12x16xf32>, %y: memref<1x2x2x16xf32>) {
  qnn.packed_matmul ins(%x, %w : memref<1x6x6x3xf32>, memref<1x12x16xf32>) outs(%y : memref<1x2x2x16xf32>) {window = array<i64: 2, 2>, strides = array<i64: 2, 1>, dilations = array<i64: 1, 2>}
  return
}

// -----

// Fixed-point requantize: i64 lanes, the Q31 high multiply (divide by 2^31
// after the nudge), the rounding right shift, zero point, clamp.
// VNNI-LABEL: func @fixed_point
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: vector.load %arg4[{{.*}}] : memref<16xi32>, vector<16xi32>
// VNNI: arith.extsi {{.*}} : vector<16xi32> to vector<16xi64>
// VNNI: arith.divsi {{.*}} : vector<16xi64>
// VNNI: arith.shrsi {{.*}} : vector<16xi64>
// VNNI: arith.trunci {{.*}} : vector<16xi64> to vector<16xi8>
// VNNI-NOT: f64
// VNNI: vector.store
func.func @fixed_point(%a: memref<2x4xi8>, %w: memref<1x1x64xi8>, %o: memref<16xi32>, %m: memref<16xi32>, %s: memref<16xi32>, %y: memref<2x16xi8>) {
  qnn.packed_matmul ins(%a, %w : memref<2x4xi8>, memref<1x1x64xi8>) requantize(%o, %m : memref<16xi32>, memref<16xi32>) shifts(%s : memref<16xi32>) outs(%y : memref<2x16xi8>) {output_zero_point = 1 : i64, output_min = -128 : i64, output_max = 127 : i64}
  return
}

// -----

// Depthwise form: channels are the lanes. A loop over the window rows;
// per window column, the s8 weights of each 16-channel block widened to
// i32, and per pixel 16 u8 input channels widened to i32 and multiplied
// lane by lane (vpdpwssd on the 16-bit halves; the portable form
// multiplies and adds), then the requantize epilogue. The 3 pixels x 3
// window columns of a tile read 5 distinct input pixels per block: 10
// input loads per window row, not 18.
// VNNI-LABEL: func @depthwise
// VNNI: scf.for %{{.*}} = %c0{{.*}} to %c3{{.*}} step %c1{{.*}} iter_args
// VNNI: %[[W:.*]] = vector.load %arg1[{{.*}}] : memref<2x9x16xi8>, vector<16xi8>
// VNNI: %[[WIDE:.*]] = arith.extsi %[[W]] : vector<16xi8> to vector<16xi32>
// VNNI: %[[X:.*]] = vector.load %arg0[{{.*}}] : memref<1x4x5x32xi8>, vector<16xi8>
// VNNI: %[[XWIDE:.*]] = arith.extui %[[X]] : vector<16xi8> to vector<16xi32>
// VNNI: %[[XH:.*]] = vector.bitcast %[[XWIDE]] : vector<16xi32> to vector<32xi16>
// VNNI: %[[WH:.*]] = vector.bitcast %[[WIDE]] : vector<16xi32> to vector<32xi16>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpwssd.512"(%{{.*}}, %[[XH]], %[[WH]])
// VNNI-COUNT-9: vector.load %arg0
// VNNI-NOT: vector.load %arg0
// VNNI-NOT: vector.broadcast
// VNNI: scf.yield
// VNNI: vector.load %arg2[{{.*}}] : memref<32xi32>, vector<16xi32>
// VNNI: arith.mulf {{.*}} : vector<16xf64>
// VNNI: vector.store {{.*}} : memref<1x2x3x32xi8>, vector<16xi8>
// GENERIC-LABEL: func @depthwise
// GENERIC-NOT: vpdpwssd
// GENERIC: arith.extui {{.*}} : vector<16xi8> to vector<16xi32>
// GENERIC: %[[P:.*]] = arith.muli {{.*}} : vector<16xi32>
// GENERIC: arith.addi %{{.*}}, %[[P]] : vector<16xi32>
// GENERIC-NOT: vpdpwssd
// GENERIC: return
func.func @depthwise(%x: memref<1x4x5x32xi8>, %w: memref<2x9x16xi8>, %o: memref<32xi32>, %m: memref<32xf64>, %y: memref<1x2x3x32xi8>) {
  qnn.packed_matmul ins(%x, %w : memref<1x4x5x32xi8>, memref<2x9x16xi8>) requantize(%o, %m : memref<32xi32>, memref<32xf64>) outs(%y : memref<1x2x3x32xi8>) {depthwise, output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64, window = array<i64: 3, 3>}
  return
}

// -----

// f32 depthwise: init loaded, one fma of 16 input channels by their 16
// weights per pixel and window position (no broadcast), stored.
// VNNI-LABEL: func @float_depthwise
// VNNI: vector.load %arg2[{{.*}}] : memref<1x2x3x16xf32>, vector<16xf32>
// VNNI: scf.for %{{.*}} = %c0{{.*}} to %c3{{.*}} step %c1{{.*}} iter_args
// VNNI: %[[W:.*]] = vector.load %arg1[{{.*}}] : memref<1x9x16xf32>, vector<16xf32>
// VNNI: %[[X:.*]] = vector.load %arg0[{{.*}}] : memref<1x4x5x16xf32>, vector<16xf32>
// VNNI: vector.fma %[[X]], %[[W]], %{{.*}} : vector<16xf32>
// VNNI-NOT: vector.broadcast
// VNNI: vector.store {{.*}} : memref<1x2x3x16xf32>, vector<16xf32>
func.func @float_depthwise(%x: memref<1x4x5x16xf32>, %w: memref<1x9x16xf32>, %y: memref<1x2x3x16xf32>) {
  qnn.packed_matmul ins(%x, %w : memref<1x4x5x16xf32>, memref<1x9x16xf32>) outs(%y : memref<1x2x3x16xf32>) {depthwise, window = array<i64: 3, 3>}
  return
}

// -----

// Depthwise index math, window 3 x 2, strides (1, 2), dilations (1, 2), 9
// output pixels: a block of 8 pixels, then the remainder pixel. Input row
// oy + ky; column 2 ox + 2 r + 2 kx, so the window column kx = 1 of pixel r
// is column kx = 0 of pixel r + 1: 9 input loads per window row, not 16.
// VNNI-LABEL: func @depthwise_strided
// VNNI: scf.for %[[OX:.*]] = %c0{{.*}} to %c8{{.*}} step %c8
// VNNI: scf.for %[[KY:.*]] = %c0{{.*}} to %c3{{.*}} step %c1{{.*}} iter_args
// VNNI: %[[RS:.*]] = arith.muli %{{.*}}, %c1{{(_[0-9]+)?}} : index
// VNNI: %[[RD:.*]] = arith.muli %[[KY]], %c1{{(_[0-9]+)?}} : index
// VNNI: %[[ROW:.*]] = arith.addi %[[RS]], %[[RD]] : index
// VNNI: %[[COL:.*]] = arith.muli %[[OX]], %c2{{(_[0-9]+)?}} : index
// VNNI: %[[POS:.*]] = arith.muli %[[KY]], %c2{{(_[0-9]+)?}} : index
// VNNI: vector.load %arg1[%{{.*}}, %[[POS]], %{{.*}}] : memref<1x6x16xi8>
// VNNI: vector.load %arg0[%{{.*}}, %[[ROW]], %[[COL]], %{{.*}}] : memref<1x3x21x16xi8>
// VNNI: %[[C14:.*]] = arith.addi %[[COL]], %c14{{(_[0-9]+)?}} : index
// VNNI: vector.load %arg0[%{{.*}}, %[[ROW]], %[[C14]], %{{.*}}]
// VNNI: %[[P1:.*]] = arith.addi %[[POS]], %c1{{(_[0-9]+)?}} : index
// VNNI: vector.load %arg1[%{{.*}}, %[[P1]], %{{.*}}] : memref<1x6x16xi8>
// VNNI-NOT: vector.load %arg0
// VNNI: %[[C16:.*]] = arith.addi %[[COL]], %c16{{(_[0-9]+)?}} : index
// VNNI: vector.load %arg0[%{{.*}}, %[[ROW]], %[[C16]], %{{.*}}]
// VNNI-NOT: vector.load %arg0
// VNNI: scf.yield
// VNNI: scf.for %{{.*}} = %c0{{.*}} to %c3{{.*}} step %c1{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<16xi32>)
func.func @depthwise_strided(%x: memref<1x3x21x16xi8>, %w: memref<1x6x16xi8>, %o: memref<16xi32>, %m: memref<16xf64>, %y: memref<1x1x9x16xi8>) {
  qnn.packed_matmul ins(%x, %w : memref<1x3x21x16xi8>, memref<1x6x16xi8>) requantize(%o, %m : memref<16xi32>, memref<16xf64>) outs(%y : memref<1x1x9x16xi8>) {depthwise, output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64, window = array<i64: 3, 2>, strides = array<i64: 1, 2>, dilations = array<i64: 1, 2>}
  return
}
