// quant-parallelize-outer-loops: one parallel dimension per loop nest, where
// the nest does enough work to be worth threads.
// RUN: quant-opt %s --quant-parallelize-outer-loops=min-work=1000 --split-input-file | FileCheck %s

// A 2-D elementwise nest (128 x 64 iterations): rows stay parallel, columns
// become an inner scf.for that LLVM can vectorize.
// CHECK-LABEL: func @rows_parallel
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: memref.load %{{.*}}[%[[I]], %[[J]]]
// CHECK: memref.store
// CHECK-NOT: scf.parallel
func.func @rows_parallel(%x: memref<128x64xf32>, %y: memref<128x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c64) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<128x64xf32>
    %r = arith.negf %v : f32
    memref.store %r, %y[%i, %j] : memref<128x64xf32>
  }
  return
}

// -----

// Work in inner scf.for loops counts: 4 rows x 512 steps x 4 ops.
// CHECK-LABEL: func @row_reduction
// CHECK: scf.parallel
// CHECK: scf.for
func.func @row_reduction(%x: memref<4x512xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c512 = arith.constant 512 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.for %k = %c0 to %c512 step %c1 {
      %v = memref.load %x[%i, %k] : memref<4x512xf32>
      %a = memref.load %y[%i] : memref<4xf32>
      %s = arith.addf %v, %a : f32
      memref.store %s, %y[%i] : memref<4xf32>
    }
  }
  return
}

// -----

// Too small to fork threads for (10 x 10 x 1 op < 1000): all sequential.
// CHECK-LABEL: func @small
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK: scf.for
// CHECK-NOT: scf.parallel
func.func @small(%y: memref<10x10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c10, %c10) step (%c1, %c1) {
    memref.store %zero, %y[%i, %j] : memref<10x10xf32>
  }
  return
}

// -----

// A parallel loop inside another: only the outer one stays parallel.
// CHECK-LABEL: func @nested
// CHECK: scf.parallel
// CHECK-NOT: scf.parallel
// CHECK: scf.for
func.func @nested(%y: memref<100x100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c100) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c100) step (%c1) {
      memref.store %zero, %y[%i, %j] : memref<100x100xf32>
    }
  }
  return
}

// -----

// Dynamic bounds count as big; loops with reductions are left alone.
// CHECK-LABEL: func @dynamic_and_reduce
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-NEXT: scf.for
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = {{.*}} init
func.func @dynamic_and_reduce(%y: memref<?x8xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    memref.store %zero, %y[%i, %j] : memref<?x8xf32>
  }
  %sum = scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) init (%zero) -> f32 {
    %v = memref.load %y[%i, %j] : memref<?x8xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}

// -----

// A batch dimension of 1 gives threads nothing to share: the next one does.
// CHECK-LABEL: func @skip_unit_batch
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-NEXT: scf.for
func.func @skip_unit_batch(%y: memref<1x100x100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b, %i, %j) = (%c0, %c0, %c0) to (%c1, %c100, %c100) step (%c1, %c1, %c1) {
    memref.store %zero, %y[%b, %i, %j] : memref<1x100x100xf32>
  }
  return
}
