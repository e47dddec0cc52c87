"""Writes the conv2d benchmark models: a 3x3 convolution with padding 1
(stride 1, NHWC, batch 1), INT8 (qnn.conv2d, per-channel constant i8
filters, i8 activations, bias) and FP32 (linalg.conv_2d_nhwc_hwcf, constant
filters), plus random inputs.

  conv_model.py DIR H W C F    writes DIR/int8.mlir, DIR/f32.mlir,
                               DIR/x_i8.npy, DIR/x_f32.npy
  conv_model.py DIR H W C C --depthwise
                               the same for the depthwise convolution
                               (layout nhwc_hwc, linalg.depthwise_conv_2d_nhwc_hwc)
"""
import os
import sys

import numpy as np

from gemm_model import hexblob, int8_weights


def main(d, h, w, c, f, depthwise=False):
    rng = np.random.default_rng(0)
    os.makedirs(d, exist_ok=True)
    # Depthwise filters are 3 x 3 x C (the channel is the output channel).
    fshape = (3, 3, c) if depthwise else (3, 3, c, f)
    fdims = "x".join(map(str, fshape))
    filt, bias, scales = int8_weights(rng, fshape)
    layout, linalg_conv = (("nhwc_hwc", "depthwise_conv_2d_nhwc_hwc") if depthwise
                           else ("nhwc_hwcf", "conv_2d_nhwc_hwcf"))
    x_t = f"tensor<1x{h}x{w}x{c}x!quant.uniform<i8:f32, 0.05:3>>"
    w_t = (f"tensor<{fdims}x!quant.uniform<i8<-127:127>:f32:{len(fshape) - 1}, "
           f"{{{scales}}}>>")
    y_t = f"tensor<1x{h}x{w}x{f}x!quant.uniform<i8:f32, 0.5:-2>>"
    with open(os.path.join(d, "int8.mlir"), "w") as out:
        out.write(f"""func.func @main(%x: {x_t}) -> {y_t} {{
  %w8 = arith.constant dense<{hexblob(filt)}> : tensor<{fdims}xi8>
  %w = quant.scast %w8 : tensor<{fdims}xi8> to {w_t}
  %b = arith.constant dense<{hexblob(bias)}> : tensor<{f}xi32>
  %y = qnn.conv2d %x, %w bias %b {{layout = "{layout}", padding = array<i64: 1, 1, 1, 1>}} : {x_t}, {w_t}, tensor<{f}xi32> -> {y_t}
  return %y : {y_t}
}}
""")
    wf = (rng.standard_normal(fshape) * 0.05).astype(np.float32)
    xp_t = f"tensor<1x{h + 2}x{w + 2}x{c}xf32>"
    y32_t = f"tensor<1x{h}x{w}x{f}xf32>"
    with open(os.path.join(d, "f32.mlir"), "w") as out:
        out.write(f"""func.func @main(%x: tensor<1x{h}x{w}x{c}xf32>) -> {y32_t} {{
  %w = arith.constant dense<{hexblob(wf)}> : tensor<{fdims}xf32>
  %zero = arith.constant 0.0 : f32
  %xp = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  }} : tensor<1x{h}x{w}x{c}xf32> to {xp_t}
  %e = tensor.empty() : {y32_t}
  %init = linalg.fill ins(%zero : f32) outs(%e : {y32_t}) -> {y32_t}
  %y = linalg.{linalg_conv} ins(%xp, %w : {xp_t}, tensor<{fdims}xf32>) outs(%init : {y32_t}) -> {y32_t}
  return %y : {y32_t}
}}
""")
    np.save(os.path.join(d, "x_i8.npy"), rng.integers(-128, 128, (1, h, w, c), dtype=np.int8))
    np.save(os.path.join(d, "x_f32.npy"), rng.standard_normal((1, h, w, c)).astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1], *map(int, sys.argv[2:6]), depthwise="--depthwise" in sys.argv[6:])
