// Round trip of every qnn op and type form, in custom and generic syntax.
// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @quantize_per_tensor
func.func @quantize_per_tensor(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 5.000000e-01:-1>> {
  // CHECK: qnn.quantize %{{.*}} : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 5.000000e-01:-1>>
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5:-1>>
  return %q : tensor<4x!quant.uniform<i8:f32, 0.5:-1>>
}

// CHECK-LABEL: func @quantize_per_axis_dynamic
func.func @quantize_per_axis_dynamic(%x: tensor<?x3xf32>) -> tensor<?x3x!quant.uniform<u8:f32:1, {1.000000e-01:128,2.000000e-01:120,3.000000e-01}>> {
  // CHECK: qnn.quantize %{{.*}} : tensor<?x3xf32> -> tensor<?x3x!quant.uniform<u8:f32:1, {1.000000e-01:128,2.000000e-01:120,3.000000e-01}>>
  %q = qnn.quantize %x : tensor<?x3xf32> -> tensor<?x3x!quant.uniform<u8:f32:1, {0.1:128, 0.2:120, 0.3}>>
  return %q : tensor<?x3x!quant.uniform<u8:f32:1, {0.1:128, 0.2:120, 0.3}>>
}

// CHECK-LABEL: func @quantize_narrow_f16
func.func @quantize_narrow_f16(%x: tensor<2x2xf16>) -> tensor<2x2x!quant.uniform<i8<-127:127>:f16, 2.500000e-01>> {
  // CHECK: qnn.quantize %{{.*}} : tensor<2x2xf16> -> tensor<2x2x!quant.uniform<i8<-127:127>:f16, 2.500000e-01>>
  %q = qnn.quantize %x : tensor<2x2xf16> -> tensor<2x2x!quant.uniform<i8<-127:127>:f16, 0.25>>
  return %q : tensor<2x2x!quant.uniform<i8<-127:127>:f16, 0.25>>
}

// CHECK-LABEL: func @dequantize
func.func @dequantize(%q: tensor<8x!quant.uniform<i16:bf16, 1.250000e-01:7>>) -> tensor<8xbf16> {
  // CHECK: qnn.dequantize %{{.*}} : tensor<8x!quant.uniform<i16:bf16, 1.250000e-01:7>> -> tensor<8xbf16>
  %x = qnn.dequantize %q : tensor<8x!quant.uniform<i16:bf16, 0.125:7>> -> tensor<8xbf16>
  return %x : tensor<8xbf16>
}

// CHECK-LABEL: func @dequantize_per_axis
func.func @dequantize_per_axis(%q: tensor<2x3x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>>) -> tensor<2x3xf32> {
  // CHECK: qnn.dequantize %{{.*}} : tensor<2x3x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>> -> tensor<2x3xf32>
  %x = qnn.dequantize %q : tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<2x3xf32>
  return %x : tensor<2x3xf32>
}

// CHECK-LABEL: func @requantize
func.func @requantize(%q: tensor<4x!quant.uniform<i32:f32, 1.000000e-02>>) -> tensor<4x!quant.uniform<i8:f32, 1.000000e-01:3>> {
  // CHECK: qnn.requantize %{{.*}} : tensor<4x!quant.uniform<i32:f32, 1.000000e-02>> -> tensor<4x!quant.uniform<i8:f32, 1.000000e-01:3>>
  %r = qnn.requantize %q : tensor<4x!quant.uniform<i32:f32, 0.01>> -> tensor<4x!quant.uniform<i8:f32, 0.1:3>>
  return %r : tensor<4x!quant.uniform<i8:f32, 0.1:3>>
}

// CHECK-LABEL: func @requantize_per_axis_to_per_tensor
func.func @requantize_per_axis_to_per_tensor(%q: tensor<4x2x!quant.uniform<i32:f32:1, {1.000000e-02,2.000000e-02}>>) -> tensor<4x2x!quant.uniform<u8:f32, 1.000000e-01:128>> {
  // CHECK: qnn.requantize %{{.*}} : tensor<4x2x!quant.uniform<i32:f32:1, {1.000000e-02,2.000000e-02}>> -> tensor<4x2x!quant.uniform<u8:f32, 1.000000e-01:128>>
  %r = qnn.requantize %q : tensor<4x2x!quant.uniform<i32:f32:1, {0.01, 0.02}>> -> tensor<4x2x!quant.uniform<u8:f32, 0.1:128>>
  return %r : tensor<4x2x!quant.uniform<u8:f32, 0.1:128>>
}

// CHECK-LABEL: func @observe
func.func @observe(%x: tensor<1x8xf32>, %w: tensor<4x8xf32>) -> (tensor<1x8xf32>, tensor<4x8xf32>) {
  // CHECK: qnn.observe %{{.*}} id(0) : tensor<1x8xf32>
  %a = qnn.observe %x id(0) : tensor<1x8xf32>
  // CHECK: qnn.observe %{{.*}} id(3) name("fc1.weight") axis(0) : tensor<4x8xf32>
  %b = qnn.observe %w id(3) name("fc1.weight") axis(0) : tensor<4x8xf32>
  return %a, %b : tensor<1x8xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func @fake_quant
func.func @fake_quant(%x: tensor<4xf32>, %w: tensor<2x8xbf16>) -> (tensor<4xf32>, tensor<4xf32>, tensor<2x8xbf16>) {
  // CHECK: qnn.fake_quant %{{.*}} {scales = array<f64: 1.000000e-01>, zero_points = array<i64: 3>} : tensor<4xf32>
  %a = qnn.fake_quant %x {scales = array<f64: 0.1>, zero_points = array<i64: 3>} : tensor<4xf32>
  // CHECK: qnn.fake_quant %{{.*}} {is_signed = false, max = array<f64: 6.000000e+00>, min = array<f64: 0.000000e+00>, num_bits = 4 : i64} : tensor<4xf32>
  %b = qnn.fake_quant %x {min = array<f64: 0.0>, max = array<f64: 6.0>, num_bits = 4, is_signed = false} : tensor<4xf32>
  // CHECK: qnn.fake_quant %{{.*}} {axis = 0 : i64, max = array<f64: 1.000000e+00, 2.000000e+00>, min = array<f64: -1.000000e+00, -2.000000e+00>, narrow_range = true} : tensor<2x8xbf16>
  %c = qnn.fake_quant %w {axis = 0 : i64, min = array<f64: -1.0, -2.0>, max = array<f64: 1.0, 2.0>, narrow_range = true} : tensor<2x8xbf16>
  return %a, %b, %c : tensor<4xf32>, tensor<4xf32>, tensor<2x8xbf16>
}

// CHECK-LABEL: func @dynamic_quantize
func.func @dynamic_quantize(%x: tensor<?x16xf32>) -> (tensor<?x16xui8>, tensor<f32>, tensor<ui8>, tensor<?x16xi8>, tensor<f32>, tensor<i8>) {
  // CHECK: qnn.dynamic_quantize %{{.*}} : tensor<?x16xf32> -> tensor<?x16xui8>, tensor<f32>, tensor<ui8>
  %q, %s, %zp = qnn.dynamic_quantize %x : tensor<?x16xf32> -> tensor<?x16xui8>, tensor<f32>, tensor<ui8>
  // CHECK: qnn.dynamic_quantize %{{.*}} {symmetric = true} : tensor<?x16xf32> -> tensor<?x16xi8>, tensor<f32>, tensor<i8>
  %q2, %s2, %zp2 = qnn.dynamic_quantize %x {symmetric = true} : tensor<?x16xf32> -> tensor<?x16xi8>, tensor<f32>, tensor<i8>
  return %q, %s, %zp, %q2, %s2, %zp2 : tensor<?x16xui8>, tensor<f32>, tensor<ui8>, tensor<?x16xi8>, tensor<f32>, tensor<i8>
}

// CHECK-LABEL: func @matmul
func.func @matmul(%a: tensor<4x16x!quant.uniform<i8:f32, 5.000000e-02:-5>>, %w: tensor<16x8x!quant.uniform<i8<-127:127>:f32:1, {1.000000e-02,2.000000e-02,1.000000e-02,2.000000e-02,1.000000e-02,2.000000e-02,1.000000e-02,2.000000e-02}>>, %b: tensor<8xi32>) -> (tensor<4x8x!quant.uniform<i8:f32, 1.000000e-01:-5>>, tensor<4x8x!quant.uniform<u8:f32, 1.000000e-01:128>>) {
  // CHECK: qnn.matmul %{{.*}}, %{{.*}} bias %{{.*}} {clamp_min = -5 : i64} : tensor<4x16x!quant.uniform<i8:f32, 5.000000e-02:-5>>, tensor<16x8x!quant.uniform<i8<-127:127>:f32:1, {{.*}}>>, tensor<8xi32> -> tensor<4x8x!quant.uniform<i8:f32, 1.000000e-01:-5>>
  %y = qnn.matmul %a, %w bias %b {clamp_min = -5 : i64} : tensor<4x16x!quant.uniform<i8:f32, 5.000000e-02:-5>>, tensor<16x8x!quant.uniform<i8<-127:127>:f32:1, {1.000000e-02,2.000000e-02,1.000000e-02,2.000000e-02,1.000000e-02,2.000000e-02,1.000000e-02,2.000000e-02}>>, tensor<8xi32> -> tensor<4x8x!quant.uniform<i8:f32, 1.000000e-01:-5>>
  // CHECK: qnn.matmul %{{.*}}, %{{.*}} : tensor<4x16x!quant.uniform<i8:f32, 5.000000e-02:-5>>, tensor<16x8x{{.*}}> -> tensor<4x8x!quant.uniform<u8:f32, 1.000000e-01:128>>
  %z = qnn.matmul %a, %w : tensor<4x16x!quant.uniform<i8:f32, 5.000000e-02:-5>>, tensor<16x8x!quant.uniform<i8<-127:127>:f32:1, {1.000000e-02,2.000000e-02,1.000000e-02,2.000000e-02,1.000000e-02,2.000000e-02,1.000000e-02,2.000000e-02}>> -> tensor<4x8x!quant.uniform<u8:f32, 1.000000e-01:128>>
  return %y, %z : tensor<4x8x!quant.uniform<i8:f32, 1.000000e-01:-5>>, tensor<4x8x!quant.uniform<u8:f32, 1.000000e-01:128>>
}

// CHECK-LABEL: func @conv2d
func.func @conv2d(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 5.000000e-02>>, %w: tensor<3x3x3x4x!quant.uniform<i8:f32, 1.000000e-02>>, %dw: tensor<3x3x3x!quant.uniform<i8:f32:2, {1.000000e-02,2.000000e-02,3.000000e-02}>>, %b: tensor<4xi32>) -> (tensor<1x8x8x4x!quant.uniform<i8:f32, 1.000000e-01>>, tensor<1x3x2x3x!quant.uniform<i8:f32, 1.000000e-01>>) {
  // CHECK: qnn.conv2d %{{.*}}, %{{.*}} bias %{{.*}} {padding = array<i64: 1, 1, 1, 1>} : {{.*}} -> tensor<1x8x8x4x!quant.uniform<i8:f32, 1.000000e-01>>
  %y = qnn.conv2d %x, %w bias %b {padding = array<i64: 1, 1, 1, 1>} : tensor<1x8x8x3x!quant.uniform<i8:f32, 5.000000e-02>>, tensor<3x3x3x4x!quant.uniform<i8:f32, 1.000000e-02>>, tensor<4xi32> -> tensor<1x8x8x4x!quant.uniform<i8:f32, 1.000000e-01>>
  // CHECK: qnn.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 1, 2>, layout = "nhwc_hwc", strides = array<i64: 2, 2>} : {{.*}} -> tensor<1x3x2x3x!quant.uniform<i8:f32, 1.000000e-01>>
  %d = qnn.conv2d %x, %dw {layout = "nhwc_hwc", strides = array<i64: 2, 2>, dilations = array<i64: 1, 2>} : tensor<1x8x8x3x!quant.uniform<i8:f32, 5.000000e-02>>, tensor<3x3x3x!quant.uniform<i8:f32:2, {1.000000e-02,2.000000e-02,3.000000e-02}>> -> tensor<1x3x2x3x!quant.uniform<i8:f32, 1.000000e-01>>
  return %y, %d : tensor<1x8x8x4x!quant.uniform<i8:f32, 1.000000e-01>>, tensor<1x3x2x3x!quant.uniform<i8:f32, 1.000000e-01>>
}

// CHECK-LABEL: func @add_mul
func.func @add_mul(%a: tensor<4x!quant.uniform<i8:f32, 5.000000e-02:-3>>, %b: tensor<4x!quant.uniform<u8:f32, 2.000000e-02:120>>) -> (tensor<4x!quant.uniform<i8:f32, 4.000000e-02:-128>>, tensor<4x!quant.uniform<i8:f32, 1.000000e-02:5>>) {
  // CHECK: qnn.add %{{.*}}, %{{.*}} {clamp_min = -128 : i64} : tensor<4x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<4x!quant.uniform<u8:f32, 2.000000e-02:120>> -> tensor<4x!quant.uniform<i8:f32, 4.000000e-02:-128>>
  %s = qnn.add %a, %b {clamp_min = -128 : i64} : tensor<4x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<4x!quant.uniform<u8:f32, 2.000000e-02:120>> -> tensor<4x!quant.uniform<i8:f32, 4.000000e-02:-128>>
  // CHECK: qnn.mul
  %m = qnn.mul %a, %b : tensor<4x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<4x!quant.uniform<u8:f32, 2.000000e-02:120>> -> tensor<4x!quant.uniform<i8:f32, 1.000000e-02:5>>
  return %s, %m : tensor<4x!quant.uniform<i8:f32, 4.000000e-02:-128>>, tensor<4x!quant.uniform<i8:f32, 1.000000e-02:5>>
}

// The three forms of qnn.packed_matmul's requantize operands.
// CHECK-LABEL: func @packed_matmul_forms
func.func @packed_matmul_forms(%a: tensor<3x2xi8>, %w: tensor<1x1x64xi8>, %o: tensor<16xi32>, %m: tensor<16xf64>, %i8: tensor<3x2xi8>, %i32: tensor<3x2xi32>, %f: tensor<3x2xf32>, %wf: tensor<1x2x16xf32>) -> (tensor<3x2xi8>, tensor<3x2xi32>, tensor<3x2xf32>) {
  // CHECK: qnn.packed_matmul ins(%{{.*}}, %{{.*}} : tensor<3x2xi8>, tensor<1x1x64xi8>) requantize(%{{.*}}, %{{.*}} : tensor<16xi32>, tensor<16xf64>) outs
  %y = qnn.packed_matmul ins(%a, %w : tensor<3x2xi8>, tensor<1x1x64xi8>) requantize(%o, %m : tensor<16xi32>, tensor<16xf64>) outs(%i8 : tensor<3x2xi8>) {output_zero_point = 0 : i64, output_min = -128 : i64, output_max = 127 : i64} -> tensor<3x2xi8>
  // CHECK: qnn.packed_matmul ins(%{{.*}}, %{{.*}} : tensor<3x2xi8>, tensor<1x1x64xi8>) offsets(%{{.*}} : tensor<16xi32>) outs(%{{.*}} : tensor<3x2xi32>) {lhs_sign_flip}
  %acc = qnn.packed_matmul ins(%a, %w : tensor<3x2xi8>, tensor<1x1x64xi8>) offsets(%o : tensor<16xi32>) outs(%i32 : tensor<3x2xi32>) {lhs_sign_flip} -> tensor<3x2xi32>
  // CHECK: qnn.packed_matmul ins(%{{.*}}, %{{.*}} : tensor<3x2xf32>, tensor<1x2x16xf32>) outs
  %z = qnn.packed_matmul ins(%f, %wf : tensor<3x2xf32>, tensor<1x2x16xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y, %acc, %z : tensor<3x2xi8>, tensor<3x2xi32>, tensor<3x2xf32>
}
