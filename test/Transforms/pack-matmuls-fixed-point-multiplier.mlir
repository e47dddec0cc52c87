// The fixed-point packing and convert-qnn-to-linalg's fixed-point mode
// derive the same Q31 multiplier and shift.
// RUN: quant-opt %s --quant-pack-matmuls=fixed-point=true | FileCheck %s
// RUN: quant-opt %s --convert-qnn-to-linalg=requantize-mode=fixed-point | FileCheck %s --check-prefix=REF

// The Q31 multiplier comes from the exact f64 product 0.1 * 0.3 / 0.7 =
// 0.6857142857142857 * 2^-4, as convert-qnn-to-linalg's fixed-point mode
// computes it (1472560216), not from the f32 multiplier of the float mode
// (which would give 1472560256).
// CHECK-LABEL: func @fixed_point_exact_multiplier
// CHECK-DAG: arith.constant dense<[1472560216, 0, {{.*}}]> : tensor<16xi32>
// CHECK-DAG: arith.constant dense<[-4, 0, {{.*}}]> : tensor<16xi32>
// CHECK: qnn.packed_matmul
// REF-LABEL: func @fixed_point_exact_multiplier
// REF: arith.constant 1472560216 : i64
func.func @fixed_point_exact_multiplier(%a: tensor<3x2x!quant.uniform<i8:f32, 0.1>>) -> tensor<3x1x!quant.uniform<i8:f32, 0.7>> {
  %w8 = arith.constant dense<[[1], [3]]> : tensor<2x1xi8>
  %w = quant.scast %w8 : tensor<2x1xi8> to tensor<2x1x!quant.uniform<i8:f32, 0.3>>
  %y = qnn.matmul %a, %w : tensor<3x2x!quant.uniform<i8:f32, 0.1>>, tensor<2x1x!quant.uniform<i8:f32, 0.3>> -> tensor<3x1x!quant.uniform<i8:f32, 0.7>>
  return %y : tensor<3x1x!quant.uniform<i8:f32, 0.7>>
}
