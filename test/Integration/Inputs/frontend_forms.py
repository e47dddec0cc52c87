"""Models written the way upstream frontends write them, through the
documented static INT8 flow. For frontend-forms.test.

  frontend_forms.py run TOOLS_DIR WORK_DIR

For each model: random weights, an independent NumPy float forward, and the
MLIR in its upstream form (TOSA, or linalg as torch-mlir / tosa-to-linalg /
ONNX importers leave it). The flow is the README's:

  quant-opt --quant-prepare-pipeline --quant-insert-calibration
  quant-run --calibrate
  quant-opt --quant-static-int8-pipeline="... strict=true report=..."

strict=true fails the flow if any matmul or convolution stays float. Then
the INT8 module runs through the reference lowering and the CPU pipeline
(the bytes must be identical), and is compared with the NumPy float model.
One line per check: "ok NAME ..." or "FAIL NAME ...".
"""
import json
import os
import subprocess
import sys

import numpy as np

RNG = np.random.default_rng(20261201)


def dense(a):
    return np.array2string(np.asarray(a, np.float32), separator=", ",
                           threshold=1 << 30, floatmode="unique",
                           max_line_width=1 << 30)


def shape(a):
    return "x".join(str(d) for d in a.shape)


def t(a_or_dims):
    dims = a_or_dims.shape if hasattr(a_or_dims, "shape") else a_or_dims
    return "tensor<" + "x".join(str(d) for d in dims) + "xf32>"


def weights(*dims, scale=0.4):
    return RNG.normal(0, scale, dims).astype(np.float32)


# NumPy reference: convolution NHWC x HWCF, stride s, explicit padding.
def conv_nhwc(x, w_hwcf, pad=(0, 0, 0, 0), stride=1):
    x = np.pad(x, ((0, 0), (pad[0], pad[2]), (pad[1], pad[3]), (0, 0)))
    kh, kw, c, f = w_hwcf.shape
    n, h, wd, _ = x.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    y = np.zeros((n, oh, ow, f), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
            y += patch.astype(np.float64) @ w_hwcf[i, j].astype(np.float64)
    return y


def depthwise_nhwc(x, w_hwc, pad=(0, 0, 0, 0)):
    x = np.pad(x, ((0, 0), (pad[0], pad[2]), (pad[1], pad[3]), (0, 0)))
    kh, kw, c = w_hwc.shape
    n, h, wd, _ = x.shape
    oh, ow = h - kh + 1, wd - kw + 1
    y = np.zeros((n, oh, ow, c), np.float64)
    for i in range(kh):
        for j in range(kw):
            y += x[:, i:i + oh, j:j + ow, :] * w_hwc[i, j]
    return y


relu = lambda v: np.maximum(v, 0)
relu6 = lambda v: np.clip(v, 0, 6)

ZP = '%zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>'


def tosa_const(name, a):
    return f'%{name} = "tosa.const"() {{values = dense<{dense(a)}> : {t(a)}}} : () -> {t(a)}'


def model_tosa_mlp():
    """tosa.matmul (batch 1) + tosa.add bias [1, 1, N] + tosa.clamp, twice."""
    w1, b1 = weights(1, 16, 32), weights(1, 1, 32, scale=0.1)
    w2, b2 = weights(1, 32, 8), weights(1, 1, 8, scale=0.1)
    mlir = f"""func.func @main(%x: tensor<1x4x16xf32>) -> tensor<1x4x8xf32> {{
  {tosa_const('w1', w1)}
  {tosa_const('b1', b1)}
  {tosa_const('w2', w2)}
  {tosa_const('b2', b2)}
  {ZP}
  %h = tosa.matmul %x, %w1, %zp, %zp : (tensor<1x4x16xf32>, {t(w1)}, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x32xf32> loc("fc1")
  %hb = tosa.add %h, %b1 : (tensor<1x4x32xf32>, {t(b1)}) -> tensor<1x4x32xf32>
  %hr = tosa.clamp %hb {{min_val = 0.0 : f32, max_val = 3.4e38 : f32}} : (tensor<1x4x32xf32>) -> tensor<1x4x32xf32>
  %y = tosa.matmul %hr, %w2, %zp, %zp : (tensor<1x4x32xf32>, {t(w2)}, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("fc2")
  %yb = tosa.add %y, %b2 : (tensor<1x4x8xf32>, {t(b2)}) -> tensor<1x4x8xf32>
  return %yb : tensor<1x4x8xf32>
}}
"""
    def forward(x):
        h = relu(x @ w1[0] + b1[0])
        return h @ w2[0] + b2[0]
    return mlir, (1, 4, 16), forward, 2


def model_tosa_cnn():
    """tosa.conv2d (F x KH x KW x C) + clamp, tosa.depthwise_conv2d
    (multiplier 1) + clamp, a 2x2 tosa.conv2d of stride 2, tosa.reshape, tosa.matmul."""
    w1, b1 = weights(16, 3, 3, 4), weights(16, scale=0.1)
    wd, bd = weights(3, 3, 16, 1), weights(16, scale=0.1)
    w3, b3 = weights(8, 2, 2, 16), weights(8, scale=0.1)
    wf = weights(1, 128, 10, scale=0.1)
    conv = 'acc_type = f32, dilation = array<i64: 1, 1>'
    mlir = f"""func.func @main(%x: tensor<1x8x8x4xf32>) -> tensor<1x1x10xf32> {{
  {tosa_const('w1', w1)}
  {tosa_const('b1', b1)}
  {tosa_const('wd', wd)}
  {tosa_const('bd', bd)}
  {tosa_const('w3', w3)}
  {tosa_const('b3', b3)}
  {tosa_const('wf', wf)}
  {ZP}
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {{{conv}, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>}} : (tensor<1x8x8x4xf32>, {t(w1)}, {t(b1)}, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32> loc("conv1")
  %r1 = tosa.clamp %c1 {{min_val = 0.0 : f32, max_val = 6.0 : f32}} : (tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  %c2 = tosa.depthwise_conv2d %r1, %wd, %bd, %zp, %zp {{{conv}, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>}} : (tensor<1x8x8x16xf32>, {t(wd)}, {t(bd)}, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32> loc("dw2")
  %r2 = tosa.clamp %c2 {{min_val = 0.0 : f32, max_val = 6.0 : f32}} : (tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  %c3 = tosa.conv2d %r2, %w3, %b3, %zp, %zp {{{conv}, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>}} : (tensor<1x8x8x16xf32>, {t(w3)}, {t(b3)}, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x8xf32> loc("conv3")
  %s = tosa.const_shape {{values = dense<[1, 1, 128]> : tensor<3xindex>}} : () -> !tosa.shape<3>
  %flat = tosa.reshape %c3, %s : (tensor<1x4x4x8xf32>, !tosa.shape<3>) -> tensor<1x1x128xf32>
  %y = tosa.matmul %flat, %wf, %zp, %zp : (tensor<1x1x128xf32>, {t(wf)}, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x10xf32> loc("fc")
  return %y : tensor<1x1x10xf32>
}}
"""
    def forward(x):
        h = relu6(conv_nhwc(x, w1.transpose(1, 2, 3, 0), (1, 1, 1, 1)) + b1)
        h = relu6(depthwise_nhwc(h, wd[..., 0], (1, 1, 1, 1)) + bd)
        h = conv_nhwc(h, w3.transpose(1, 2, 3, 0), stride=2) + b3
        return (h.reshape(1, 1, 128) @ wf[0])
    return mlir, (1, 8, 8, 4), forward, 4


LINALG_ZERO = """%zero = arith.constant 0.0 : f32"""


def model_linalg_mlp_nk():
    """torch-mlir's Linear: linalg.matmul reading B as [N, K], bias as a
    broadcast generic, ReLU as cmpf + select."""
    w1, b1 = weights(32, 16), weights(32, scale=0.1)
    w2 = weights(8, 32)
    nk = ("indexing_maps = [affine_map<(m, n, k) -> (m, k)>, "
          "affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]")
    mlir = f"""#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: tensor<4x16xf32>) -> tensor<4x8xf32> {{
  %w1 = arith.constant dense<{dense(w1)}> : {t(w1)}
  %b1 = arith.constant dense<{dense(b1)}> : {t(b1)}
  %w2 = arith.constant dense<{dense(w2)}> : {t(w2)}
  {LINALG_ZERO}
  %e1 = tensor.empty() : tensor<4x32xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x32xf32>) -> tensor<4x32xf32>
  %h = linalg.matmul {nk} ins(%x, %w1 : tensor<4x16xf32>, {t(w1)}) outs(%z1 : tensor<4x32xf32>) -> tensor<4x32xf32> loc("fc1")
  %bb = linalg.generic {{indexing_maps = [#col, #id], iterator_types = ["parallel", "parallel"]}} ins(%b1 : {t(b1)}) outs(%e1 : tensor<4x32xf32>) {{
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }} -> tensor<4x32xf32>
  %hb = linalg.generic {{indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}} ins(%h, %bb : tensor<4x32xf32>, tensor<4x32xf32>) outs(%e1 : tensor<4x32xf32>) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }} -> tensor<4x32xf32>
  %hr = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}} ins(%hb : tensor<4x32xf32>) outs(%e1 : tensor<4x32xf32>) {{
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %gt = arith.cmpf ugt, %a, %c0 : f32
    %r = arith.select %gt, %a, %c0 : f32
    linalg.yield %r : f32
  }} -> tensor<4x32xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = linalg.matmul {nk} ins(%hr, %w2 : tensor<4x32xf32>, {t(w2)}) outs(%z2 : tensor<4x8xf32>) -> tensor<4x8xf32> loc("fc2")
  return %y : tensor<4x8xf32>
}}
"""
    def forward(x):
        return relu(x @ w1.T + b1) @ w2.T
    return mlir, (4, 16), forward, 2


def model_named_ops_conv():
    """NHWC conv whose filter is F x KH x KW x C with the bias broadcast into
    the init (tosa-to-linalg's form), then a second conv (HWCF) with bias and
    ReLU as named ops: linalg.broadcast + linalg.add, linalg.max of a fill."""
    w1, b1 = weights(8, 3, 3, 4), weights(8, scale=0.1)
    w2, b2 = weights(1, 1, 8, 16), weights(16, scale=0.1)
    mlir = f"""#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @main(%x: tensor<1x9x9x4xf32>) -> tensor<1x4x4x16xf32> {{
  %w1 = arith.constant dense<{dense(w1)}> : {t(w1)}
  %b1 = arith.constant dense<{dense(b1)}> : {t(b1)}
  %w2 = arith.constant dense<{dense(w2)}> : {t(w2)}
  %b2 = arith.constant dense<{dense(b2)}> : {t(b2)}
  {LINALG_ZERO}
  %e1 = tensor.empty() : tensor<1x4x4x8xf32>
  %init = linalg.generic {{indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%b1 : {t(b1)}) outs(%e1 : tensor<1x4x4x8xf32>) {{
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }} -> tensor<1x4x4x8xf32>
  %c1 = linalg.conv_2d_nhwc_fhwc {{dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}} ins(%x, %w1 : tensor<1x9x9x4xf32>, {t(w1)}) outs(%init : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("conv1")
  %e2 = tensor.empty() : tensor<1x4x4x16xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  %c2 = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%c1, %w2 : tensor<1x4x4x8xf32>, {t(w2)}) outs(%z2 : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32> loc("conv2")
  %bb = linalg.broadcast ins(%b2 : {t(b2)}) outs(%e2 : tensor<1x4x4x16xf32>) dimensions = [0, 1, 2]
  %s = linalg.add ins(%c2, %bb : tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>) outs(%e2 : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  %r = linalg.max ins(%s, %z2 : tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>) outs(%e2 : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  return %r : tensor<1x4x4x16xf32>
}}
"""
    def forward(x):
        h = conv_nhwc(x, w1.transpose(1, 2, 3, 0), stride=2) + b1
        return relu(conv_nhwc(h, w2) + b2)
    return mlir, (1, 9, 9, 4), forward, 2


def model_onnx_matmul_3d():
    """ONNX's MatMul of a [B, S, K] activation and [K, N] weights as a
    linalg.generic (weights shared across the batch), bias with a 1 x 1 x N
    constant; then a batch_matmul of batch 1."""
    w1, b1 = weights(16, 24), weights(1, 1, 24, scale=0.1)
    w2 = weights(1, 24, 8)
    mlir = f"""#x = affine_map<(b, m, n, k) -> (b, m, k)>
#w = affine_map<(b, m, n, k) -> (k, n)>
#y = affine_map<(b, m, n, k) -> (b, m, n)>
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#bias = affine_map<(d0, d1, d2) -> (0, 0, d2)>
func.func @main(%x: tensor<2x3x16xf32>) -> tensor<1x6x8xf32> {{
  %w1 = arith.constant dense<{dense(w1)}> : {t(w1)}
  %b1 = arith.constant dense<{dense(b1)}> : {t(b1)}
  %w2 = arith.constant dense<{dense(w2)}> : {t(w2)}
  {LINALG_ZERO}
  %e1 = tensor.empty() : tensor<2x3x24xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  %h = linalg.generic {{indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}} ins(%x, %w1 : tensor<2x3x16xf32>, {t(w1)}) outs(%z1 : tensor<2x3x24xf32>) {{
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }} -> tensor<2x3x24xf32> loc("matmul1")
  %hb = linalg.generic {{indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel", "parallel"]}} ins(%h, %b1 : tensor<2x3x24xf32>, {t(b1)}) outs(%e1 : tensor<2x3x24xf32>) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }} -> tensor<2x3x24xf32>
  %hc = tensor.collapse_shape %hb [[0, 1], [2]] : tensor<2x3x24xf32> into tensor<6x24xf32>
  %he = tensor.expand_shape %hc [[0, 1], [2]] output_shape [1, 6, 24] : tensor<6x24xf32> into tensor<1x6x24xf32>
  %e2 = tensor.empty() : tensor<1x6x8xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x6x8xf32>) -> tensor<1x6x8xf32>
  %y = linalg.batch_matmul ins(%he, %w2 : tensor<1x6x24xf32>, {t(w2)}) outs(%z2 : tensor<1x6x8xf32>) -> tensor<1x6x8xf32> loc("matmul2")
  return %y : tensor<1x6x8xf32>
}}
"""
    def forward(x):
        h = (x @ w1 + b1).reshape(1, 6, 24)
        return h @ w2
    return mlir, (2, 3, 16), forward, 2


def model_conv_1d():
    """A 1-D convolution (NWC x WCF) with a bias add."""
    w, b = weights(3, 4, 8), weights(8, scale=0.1)
    mlir = f"""#ch = affine_map<(d0, d1, d2) -> (d2)>
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @main(%x: tensor<1x16x4xf32>) -> tensor<1x14x8xf32> {{
  %w = arith.constant dense<{dense(w)}> : {t(w)}
  %b = arith.constant dense<{dense(b)}> : {t(b)}
  {LINALG_ZERO}
  %e = tensor.empty() : tensor<1x14x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x14x8xf32>) -> tensor<1x14x8xf32>
  %c = linalg.conv_1d_nwc_wcf {{dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>}} ins(%x, %w : tensor<1x16x4xf32>, {t(w)}) outs(%z : tensor<1x14x8xf32>) -> tensor<1x14x8xf32> loc("conv1d")
  %y = linalg.generic {{indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel"]}} ins(%c, %b : tensor<1x14x8xf32>, {t(b)}) outs(%e : tensor<1x14x8xf32>) {{
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  }} -> tensor<1x14x8xf32>
  return %y : tensor<1x14x8xf32>
}}
"""
    def forward(x):
        return conv_nhwc(x[:, None], w[None])[:, 0] + b
    return mlir, (1, 16, 4), forward, 1


def model_grouped_conv():
    """A grouped convolution as PyTorch / ONNX lower it (NCHW expanded to
    NGCHW, linalg.conv_2d_ngchw_gfchw, collapsed back), bias per channel,
    ReLU; then a grouped NHWGC x GFHWC one (conv_2d_nhwgc_gfhwc)."""
    g, c, f = 4, 2, 4
    w1, b1 = weights(g, f, c, 3, 3), weights(g * f, scale=0.1)
    w2 = weights(2, 8, 1, 1, 8)
    mlir = f"""#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#c1 = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @main(%x: tensor<1x8x6x6xf32>) -> tensor<1x6x6x16xf32> {{
  %w1 = arith.constant dense<{dense(w1)}> : {t(w1)}
  %b1 = arith.constant dense<{dense(b1)}> : {t(b1)}
  %w2 = arith.constant dense<{dense(w2)}> : {t(w2)}
  {LINALG_ZERO}
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  }} : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
  %x5 = tensor.expand_shape %p [[0], [1, 2], [3], [4]] output_shape [1, 4, 2, 8, 8] : tensor<1x8x8x8xf32> into tensor<1x4x2x8x8xf32>
  %e5 = tensor.empty() : tensor<1x4x4x6x6xf32>
  %z5 = linalg.fill ins(%zero : f32) outs(%e5 : tensor<1x4x4x6x6xf32>) -> tensor<1x4x4x6x6xf32>
  %c5 = linalg.conv_2d_ngchw_gfchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%x5, %w1 : tensor<1x4x2x8x8xf32>, {t(w1)}) outs(%z5 : tensor<1x4x4x6x6xf32>) -> tensor<1x4x4x6x6xf32> loc("gconv")
  %c = tensor.collapse_shape %c5 [[0], [1, 2], [3], [4]] : tensor<1x4x4x6x6xf32> into tensor<1x16x6x6xf32>
  %e = tensor.empty() : tensor<1x16x6x6xf32>
  %r = linalg.generic {{indexing_maps = [#id, #c1, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%c, %b1 : tensor<1x16x6x6xf32>, {t(b1)}) outs(%e : tensor<1x16x6x6xf32>) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  }} -> tensor<1x16x6x6xf32>
  %nhwc = linalg.transpose ins(%r : tensor<1x16x6x6xf32>) outs(%et : tensor<1x6x6x16xf32>) permutation = [0, 2, 3, 1]
  %g5 = tensor.expand_shape %nhwc [[0], [1], [2], [3, 4]] output_shape [1, 6, 6, 2, 8] : tensor<1x6x6x16xf32> into tensor<1x6x6x2x8xf32>
  %eo = tensor.empty() : tensor<1x6x6x2x8xf32>
  %zo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x6x6x2x8xf32>) -> tensor<1x6x6x2x8xf32>
  %y5 = linalg.conv_2d_nhwgc_gfhwc {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%g5, %w2 : tensor<1x6x6x2x8xf32>, {t(w2)}) outs(%zo : tensor<1x6x6x2x8xf32>) -> tensor<1x6x6x2x8xf32> loc("gconv2")
  %y = tensor.collapse_shape %y5 [[0], [1], [2], [3, 4]] : tensor<1x6x6x2x8xf32> into tensor<1x6x6x16xf32>
  return %y : tensor<1x6x6x16xf32>
}}
""".replace("  %nhwc =", "  %et = tensor.empty() : tensor<1x6x6x16xf32>\n  %nhwc =")
    def forward(x):
        xh = x.transpose(0, 2, 3, 1)
        h = np.concatenate([conv_nhwc(xh[..., gi * c:(gi + 1) * c],
                                      w1[gi].transpose(2, 3, 1, 0), (1, 1, 1, 1))
                            for gi in range(g)], axis=-1)
        h = relu(h + b1)
        return np.concatenate([conv_nhwc(h[..., gi * 8:(gi + 1) * 8],
                                         w2[gi].transpose(1, 2, 3, 0))
                               for gi in range(2)], axis=-1)
    return mlir, (1, 8, 6, 6), forward, 6


def model_torch_mobilenet_block():
    """torch-mlir's MobileNet block, all NCHW: padded depthwise
    (depthwise_conv_2d_nchw_chw) + bias + ReLU6, then a 1x1
    conv_2d_nchw_fchw + bias."""
    wd, bd = weights(16, 3, 3), weights(16, scale=0.1)
    wp, bp = weights(8, 16, 1, 1), weights(8, scale=0.1)
    mlir = f"""#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#c1 = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @main(%x: tensor<1x16x6x6xf32>) -> tensor<1x8x6x6xf32> {{
  %wd = arith.constant dense<{dense(wd)}> : {t(wd)}
  %bd = arith.constant dense<{dense(bd)}> : {t(bd)}
  %wp = arith.constant dense<{dense(wp)}> : {t(wp)}
  %bp = arith.constant dense<{dense(bp)}> : {t(bp)}
  {LINALG_ZERO}
  %six = arith.constant 6.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  }} : tensor<1x16x6x6xf32> to tensor<1x16x8x8xf32>
  %e = tensor.empty() : tensor<1x16x6x6xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf32>
  %d = linalg.depthwise_conv_2d_nchw_chw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%p, %wd : tensor<1x16x8x8xf32>, {t(wd)}) outs(%z : tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf32> loc("dw")
  %r = linalg.generic {{indexing_maps = [#id, #c1, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%d, %bd : tensor<1x16x6x6xf32>, {t(bd)}) outs(%e : tensor<1x16x6x6xf32>) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %lo = arith.maximumf %s, %zero : f32
    %hi = arith.minimumf %lo, %six : f32
    linalg.yield %hi : f32
  }} -> tensor<1x16x6x6xf32>
  %eo = tensor.empty() : tensor<1x8x6x6xf32>
  %zo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%r, %wp : tensor<1x16x6x6xf32>, {t(wp)}) outs(%zo : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("pw")
  %y = linalg.generic {{indexing_maps = [#id, #c1, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%c, %bp : tensor<1x8x6x6xf32>, {t(bp)}) outs(%eo : tensor<1x8x6x6xf32>) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }} -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}}
"""
    def forward(x):
        xh = x.transpose(0, 2, 3, 1)
        h = relu6(depthwise_nhwc(xh, wd.transpose(1, 2, 0), (1, 1, 1, 1)) + bd)
        y = conv_nhwc(h, wp.transpose(2, 3, 1, 0)) + bp
        return y.transpose(0, 3, 1, 2)
    return mlir, (1, 16, 6, 6), forward, 2


def model_depthwise_multiplier():
    """TensorFlow's depthwise convolution with depth_multiplier 2:
    depthwise_conv_2d_nhwc_hwcm ([KH, KW, C, M] filter, [N, OH, OW, C, M]
    result) collapsed to C * M channels (C = 16: the packed depthwise kernel's panel), then a bias add and ReLU6."""
    w, b = weights(3, 3, 16, 2), weights(32, scale=0.1)
    mlir = f"""#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @main(%x: tensor<1x8x8x16xf32>) -> tensor<1x6x6x32xf32> {{
  %w = arith.constant dense<{dense(w)}> : {t(w)}
  %b = arith.constant dense<{dense(b)}> : {t(b)}
  {LINALG_ZERO}
  %six = arith.constant 6.0 : f32
  %e5 = tensor.empty() : tensor<1x6x6x16x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e5 : tensor<1x6x6x16x2xf32>) -> tensor<1x6x6x16x2xf32>
  %c = linalg.depthwise_conv_2d_nhwc_hwcm {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%x, %w : tensor<1x8x8x16xf32>, {t(w)}) outs(%z : tensor<1x6x6x16x2xf32>) -> tensor<1x6x6x16x2xf32> loc("dw")
  %c8 = tensor.collapse_shape %c [[0], [1], [2], [3, 4]] : tensor<1x6x6x16x2xf32> into tensor<1x6x6x32xf32>
  %e = tensor.empty() : tensor<1x6x6x32xf32>
  %y = linalg.generic {{indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%c8, %b : tensor<1x6x6x32xf32>, {t(b)}) outs(%e : tensor<1x6x6x32xf32>) {{
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %r = arith.maximumf %s, %zero : f32
    %r6 = arith.minimumf %r, %six : f32
    linalg.yield %r6 : f32
  }} -> tensor<1x6x6x32xf32>
  return %y : tensor<1x6x6x32xf32>
}}
"""
    def forward(x):
        parts = [depthwise_nhwc(x, w[:, :, :, m]) for m in range(2)]
        return relu6(np.stack(parts, axis=-1).reshape(1, 6, 6, 32) + b)
    return mlir, (1, 8, 8, 16), forward, 2


MODELS = {
    "tosa_mlp": model_tosa_mlp,
    "tosa_cnn": model_tosa_cnn,
    "linalg_mlp_nk": model_linalg_mlp_nk,
    "named_ops_conv": model_named_ops_conv,
    "onnx_matmul_3d": model_onnx_matmul_3d,
    "conv_1d": model_conv_1d,
    "grouped_conv": model_grouped_conv,
    "torch_mobilenet_block": model_torch_mobilenet_block,
    "depthwise_multiplier": model_depthwise_multiplier,
}


def run(tools, work):
    def tool(name, *args):
        r = subprocess.run([os.path.join(tools, name), *args],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{name} {' '.join(args)}:\n{r.stderr}")
        return r.stdout

    failed = False
    for name, make in MODELS.items():
        mlir, in_shape, forward, units = make()
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        p = lambda f: os.path.join(d, f)
        with open(p("model.mlir"), "w") as f:
            f.write(mlir)
        # Calibration rows and test rows, each row one call (leading dim 1
        # sliced, or the whole tensor for models without a batch of 1).
        rows = lambda n: RNG.normal(0, 1, (n,) + in_shape[1:] if in_shape[0] == 1
                                    else (n * in_shape[0],) + in_shape[1:])
        calib = rows(64).astype(np.float32)
        test = rows(16).astype(np.float32)
        np.save(p("calib.npy"), calib)
        np.save(p("test.npy"), test)
        try:
            tool("quant-opt", p("model.mlir"), "--quant-prepare-pipeline",
                 "--quant-insert-calibration", "-o", p("inst.mlir"))
            tool("quant-run", p("inst.mlir"), "--input", p("calib.npy"),
                 "--calibrate", p("stats.json"), "--no-progress")
            tool("quant-opt", p("inst.mlir"),
                 f"--quant-static-int8-pipeline=stats={p('stats.json')} "
                 f"strict=true report={p('report.json')} lower-qnn=false",
                 "-o", p("int8.mlir"))
            report = json.load(open(p("report.json")))
            packed = tool("quant-opt", p("int8.mlir"),
                          "--quant-pack-matmuls").count("qnn.packed_matmul")
            tool("quant-run", p("int8.mlir"), "--input", p("test.npy"),
                 "--output", p("int8-ref.npy"), "--no-progress")
            tool("quant-run", p("int8.mlir"), "--pipeline=cpu", "--input",
                 p("test.npy"), "--output", p("int8-cpu.npy"), "--no-progress")
            tool("quant-run", p("model.mlir"), "--input", p("test.npy"),
                 "--output", p("fp32.npy"), "--no-progress")
        except RuntimeError as e:
            print(f"FAIL {name}: {e}")
            failed = True
            continue
        # The NumPy forward, one call per row group as quant-run makes them.
        per_call = in_shape[0]
        expected = np.concatenate([forward(test[i:i + per_call].reshape(in_shape).astype(np.float64))
                                   for i in range(0, len(test), per_call)])
        ref8, cpu8, fp32 = (np.load(p(f)) for f in ("int8-ref.npy", "int8-cpu.npy", "fp32.npy"))
        expected = expected.reshape(fp32.shape)
        fp32_err = np.abs(fp32 - expected).max() / np.abs(expected).max()
        int8_err = np.linalg.norm(ref8 - expected) / np.linalg.norm(expected)
        checks = [
            (report["kept_float"] == 0 and report["quantized"] == units,
             f"{report['quantized']} of {units} layers INT8, {report['kept_float']} float"),
            (packed == units, f"{packed} packed kernels"),
            (ref8.tobytes() == cpu8.tobytes(), "cpu pipeline bit-exact with the reference lowering"),
            (fp32_err < 1e-4, f"fp32 vs NumPy max error {fp32_err:.1e}"),
            (int8_err < 0.05, f"int8 vs NumPy relative L2 error {int8_err:.3f}"),
        ]
        for ok, what in checks:
            failed |= not ok
            print(f"{'ok' if ok else 'FAIL'} {name}: {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "run":
        sys.exit(__doc__)
    sys.exit(run(sys.argv[2], sys.argv[3]))
