// RUN: quant-opt %s --convert-qnn-packed-matmul-to-vector --split-input-file --verify-diagnostics
// RUN: not quant-opt %s --convert-qnn-packed-matmul-to-vector=target=avx2 --split-input-file 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not quant-opt %s --convert-qnn-packed-matmul-to-vector="rows=8 vectors=4" --split-input-file 2>&1 | FileCheck %s --check-prefix=TILE
// TARGET: unknown target 'avx2' (expected vnni, amx or generic)
// TILE: rows and vectors must be >= 0 with rows * vectors <= 28

func.func @tensors(%a: tensor<2x5xf32>, %w: tensor<1x5x16xf32>, %i: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{must be bufferized first (run one-shot-bufferize)}}
  %y = qnn.packed_matmul ins(%a, %w : tensor<2x5xf32>, tensor<1x5x16xf32>) outs(%i : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @strided(%a: memref<2x5xf32, strided<[10, 2]>>, %w: memref<1x5x16xf32>, %i: memref<2x3xf32>) {
  // expected-error @+1 {{needs memrefs whose rows are contiguous}}
  qnn.packed_matmul ins(%a, %w : memref<2x5xf32, strided<[10, 2]>>, memref<1x5x16xf32>) outs(%i : memref<2x3xf32>)
  return
}
