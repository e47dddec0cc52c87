// quant-strided-copies-to-linalg: memref.copy into or out of a strided
// buffer becomes linalg.copy; copies between contiguous buffers stay.
// RUN: quant-opt %s --quant-strided-copies-to-linalg --split-input-file | FileCheck %s

// The interior of a padded buffer, as bufferized tensor.pad writes it.
// CHECK-LABEL: func @into_subview
// CHECK: %[[SV:.*]] = memref.subview
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%{{.*}} : memref<1x4x4x8xi8>) outs(%[[SV]] : memref<1x4x4x8xi8, strided<[288, 48, 8, 1], offset: 56>>)
func.func @into_subview(%x: memref<1x4x4x8xi8>, %padded: memref<1x6x6x8xi8>) {
  %sv = memref.subview %padded[0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
      : memref<1x6x6x8xi8> to memref<1x4x4x8xi8, strided<[288, 48, 8, 1], offset: 56>>
  memref.copy %x, %sv : memref<1x4x4x8xi8> to memref<1x4x4x8xi8, strided<[288, 48, 8, 1], offset: 56>>
  return
}

// -----

// CHECK-LABEL: func @out_of_subview
// CHECK: linalg.copy
func.func @out_of_subview(%x: memref<8x8xf32>, %y: memref<4x4xf32>) {
  %sv = memref.subview %x[2, 2] [4, 4] [1, 1] : memref<8x8xf32> to memref<4x4xf32, strided<[8, 1], offset: 18>>
  memref.copy %sv, %y : memref<4x4xf32, strided<[8, 1], offset: 18>> to memref<4x4xf32>
  return
}

// -----

// Contiguous to contiguous lowers to a single memcpy already.
// CHECK-LABEL: func @contiguous_stays
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4x4xf32> to memref<4x4xf32>
// CHECK-NOT: linalg.copy
func.func @contiguous_stays(%x: memref<4x4xf32>, %y: memref<4x4xf32>) {
  memref.copy %x, %y : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

// A strided layout that is still contiguous row-major (a slice of whole
// rows) also becomes one memcpy: left alone.
// CHECK-LABEL: func @contiguous_strided_stays
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<2x8xf32, strided<[8, 1], offset: 16>> to memref<2x8xf32>
// CHECK-NOT: linalg.copy
func.func @contiguous_strided_stays(%x: memref<8x8xf32>, %y: memref<2x8xf32>) {
  %sv = memref.subview %x[2, 0] [2, 8] [1, 1] : memref<8x8xf32> to memref<2x8xf32, strided<[8, 1], offset: 16>>
  memref.copy %sv, %y : memref<2x8xf32, strided<[8, 1], offset: 16>> to memref<2x8xf32>
  return
}
