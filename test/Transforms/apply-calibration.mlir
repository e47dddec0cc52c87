// quant-apply-calibration on hand-made statistics (Inputs/stats.json): the
// scales and zero points below are worked out by hand from the ranges.
// RUN: quant-opt %s --quant-apply-calibration="stats=%S/Inputs/stats.json" | FileCheck %s --check-prefix=MINMAX
// RUN: quant-opt %s --quant-apply-calibration="stats=%S/Inputs/stats.json method=moving-average per-channel=false" | FileCheck %s --check-prefix=AVG
// RUN: quant-opt %s --quant-apply-calibration="stats=%S/Inputs/stats.json scheme=symmetric" | FileCheck %s --check-prefix=SYM
// RUN: quant-opt %s --quant-apply-calibration="stats=%S/Inputs/stats.json dtype=u8" | FileCheck %s --check-prefix=U8
// RUN: quant-opt %s --quant-apply-calibration="stats=%S/Inputs/stats.json method=percentile percentile=99" | FileCheck %s --check-prefix=P99
// RUN: quant-opt %s --quant-apply-calibration="stats=%S/Inputs/stats.json method=percentile percentile=90" | FileCheck %s --check-prefix=P90
// RUN: quant-opt %s --quant-apply-calibration="stats=%S/Inputs/stats.json method=percentile percentile=99 scheme=symmetric" | FileCheck %s --check-prefix=P99SYM
// RUN: quant-opt %s --quant-apply-calibration="stats=%S/Inputs/stats.json method=entropy" | FileCheck %s --check-prefix=ANY
// RUN: quant-opt %s --quant-apply-calibration="stats=%S/Inputs/stats.json method=mse" | FileCheck %s --check-prefix=ANY

func.func @main(%a: tensor<2x4xf32>, %b: tensor<2x2xf32>) -> (tensor<2x4xf32>, tensor<2x2xf32>) {
  %x = qnn.observe %a id(0) name("x") : tensor<2x4xf32>
  %y = qnn.observe %b id(1) name("y") axis(1) : tensor<2x2xf32>
  return %x, %y : tensor<2x4xf32>, tensor<2x2xf32>
}

// x: [-1, 3] -> scale 4/255, zp round(-128 + 63.75) = -64.
// y per channel: [-1, 1] -> 2/255, zp round(-0.5) = 0; [0, 2.55] -> 2.55/255
// (0.01 up to double rounding), -128.
// MINMAX-LABEL: func @main
// MINMAX-SAME: (%[[A:.*]]: tensor<2x4xf32>, %[[B:.*]]: tensor<2x2xf32>)
// MINMAX: %[[Q:.*]] = qnn.quantize %[[A]] : tensor<2x4xf32> -> tensor<2x4x!quant.uniform<i8:f32, 0.015686274509803921:-64>>
// MINMAX: %[[D:.*]] = qnn.dequantize %[[Q]] : tensor<2x4x!quant.uniform<i8:f32, 0.015686274509803921:-64>> -> tensor<2x4xf32>
// MINMAX: %[[QY:.*]] = qnn.quantize %[[B]] : tensor<2x2xf32> -> tensor<2x2x!quant.uniform<i8:f32:1, {0.0078431372549019607,0.0099999999999999984:-128}>>
// MINMAX: %[[DY:.*]] = qnn.dequantize %[[QY]]
// MINMAX-NOT: qnn.observe
// MINMAX: return %[[D]], %[[DY]]

// Moving averages [-0.5, 2]: scale 2.5/255, zp round(-128 + 51) = -77;
// per-channel=false uses the tensor's statistics for y: [-1, 2.55].
// AVG: qnn.quantize %{{.*}} -> tensor<2x4x!quant.uniform<i8:f32, 0.0098039215686274508:-77>>
// AVG: qnn.quantize %{{.*}} -> tensor<2x2x!quant.uniform<i8:f32, 0.013921568627450981:-56>>

// Symmetric i8 is narrow: [-3, 3] -> 3/127, zero point 0.
// SYM: qnn.quantize %{{.*}} -> tensor<2x4x!quant.uniform<i8<-127:127>:f32, 0.023622047244094488>>
// SYM: qnn.quantize %{{.*}} -> tensor<2x2x!quant.uniform<i8<-127:127>:f32:1, {0.0078740157480314959,0.020078740157480315}>>

// u8: zp round(0 + 63.75) = 64.
// U8: qnn.quantize %{{.*}} -> tensor<2x4x!quant.uniform<u8:f32, 0.015686274509803921:64>>

// 99%: 5 values cut from each tail (bins of width 0.5): [-1, 2.5] -> 3.5/255,
// zp round(-128 + 72.857) = -55.
// P99: qnn.quantize %{{.*}} -> tensor<2x4x!quant.uniform<i8:f32, 0.013725490196078431:-55>>
// 90%: 50 cut from each tail: [-0.5, 1.5] -> 2/255, zp -64.
// P90: qnn.quantize %{{.*}} -> tensor<2x4x!quant.uniform<i8:f32, 0.0078431372549019607:-64>>
// Symmetric 99%: |x| < 2 holds 990 of 1000 values: [-2, 2] -> 2/127.
// P99SYM: qnn.quantize %{{.*}} -> tensor<2x4x!quant.uniform<i8<-127:127>:f32, 0.015748031496062992>>

// Entropy and MSE (checked against NumPy in test/Python): both still give
// quantize/dequantize pairs on every observer.
// ANY-COUNT-2: qnn.quantize
// ANY-NOT: qnn.observe
