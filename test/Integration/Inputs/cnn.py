"""A small float CNN on 8x8x1 images (NHWC): conv 3x3 + bias + ReLU, depthwise
3x3 + bias + ReLU6, conv 1x1 + bias, flatten, dense. For int8-cnn.test.

  cnn.py model          prints the MLIR module (zero padding as tensor.pad)
  cnn.py data DIR       writes DIR/calib.npz and DIR/test.npy
  cnn.py check DIR      checks DIR/out.npy against the NumPy integer pipeline
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from quantopt import reference as ref  # noqa: E402

rng = np.random.default_rng(99)
W1 = rng.normal(0, 0.5, (3, 3, 1, 8)).astype(np.float32)
B1 = rng.normal(0, 0.1, (8,)).astype(np.float32)
WD = rng.normal(0, 0.4, (3, 3, 8)).astype(np.float32)
BD = rng.normal(0, 0.1, (8,)).astype(np.float32)
W3 = rng.normal(0, 0.4, (1, 1, 8, 4)).astype(np.float32)
B3 = rng.normal(0, 0.1, (4,)).astype(np.float32)
WF = rng.normal(0, 0.1, (256, 10)).astype(np.float32)
BF = rng.normal(0, 0.1, (10,)).astype(np.float32)
CALIB = rng.random((32, 8, 8, 1)).astype(np.float32) * 2
TEST = rng.random((6, 8, 8, 1)).astype(np.float32) * 2


def dense(a):
    return np.array2string(a, separator=", ", threshold=1 << 30, floatmode="unique",
                           max_line_width=1 << 30)


def epilogue(name, src, bias, shape, act):
    body = "    %s = arith.addf %a, %c : f32\n"
    res = "%s"
    if act in ("relu", "relu6"):
        body += "    %r = arith.maximumf %s, %zero : f32\n"
        res = "%r"
    if act == "relu6":
        body += "    %r6 = arith.minimumf %r, %six : f32\n"
        res = "%r6"
    return f"""  %{name}_e = tensor.empty() : tensor<{shape}xf32>
  %{name}_act = linalg.generic {{indexing_maps = [#id4, #ch4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}}
      ins(%{src}, %{bias} : tensor<{shape}xf32>, tensor<{shape.split('x')[-1]}xf32>) outs(%{name}_e : tensor<{shape}xf32>) {{
  ^bb0(%a: f32, %c: f32, %o: f32):
{body}    linalg.yield {res} : f32
  }} -> tensor<{shape}xf32> loc("{name}.act")"""


def model():
    print(f"""#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch4 = affine_map<(d0, d1, d2, d3) -> (d3)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: tensor<1x8x8x1xf32>) -> tensor<1x10xf32> {{
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %w1 = arith.constant dense<{dense(W1)}> : tensor<3x3x1x8xf32>
  %b1 = arith.constant dense<{dense(B1)}> : tensor<8xf32>
  %wd = arith.constant dense<{dense(WD)}> : tensor<3x3x8xf32>
  %bd = arith.constant dense<{dense(BD)}> : tensor<8xf32>
  %w3 = arith.constant dense<{dense(W3)}> : tensor<1x1x8x4xf32>
  %b3 = arith.constant dense<{dense(B3)}> : tensor<4xf32>
  %wf = arith.constant dense<{dense(WF)}> : tensor<256x10xf32>
  %bf = arith.constant dense<{dense(BF)}> : tensor<10xf32>
  %xp = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  }} : tensor<1x8x8x1xf32> to tensor<1x10x10x1xf32>
  %c1_e = tensor.empty() : tensor<1x8x8x8xf32>
  %c1_z = linalg.fill ins(%zero : f32) outs(%c1_e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}}
      ins(%xp, %w1 : tensor<1x10x10x1xf32>, tensor<3x3x1x8xf32>) outs(%c1_z : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> loc("conv1")
{epilogue("conv1", "c1", "b1", "1x8x8x8", "relu")}
  %dp = tensor.pad %conv1_act low[0, 1, 1, 0] high[0, 1, 1, 0] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  }} : tensor<1x8x8x8xf32> to tensor<1x10x10x8xf32>
  %d_z = linalg.fill ins(%zero : f32) outs(%c1_e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %d = linalg.depthwise_conv_2d_nhwc_hwc {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}}
      ins(%dp, %wd : tensor<1x10x10x8xf32>, tensor<3x3x8xf32>) outs(%d_z : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> loc("dw")
{epilogue("dw", "d", "bd", "1x8x8x8", "relu6")}
  %c3_e = tensor.empty() : tensor<1x8x8x4xf32>
  %c3_z = linalg.fill ins(%zero : f32) outs(%c3_e : tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %c3 = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}}
      ins(%dw_act, %w3 : tensor<1x8x8x8xf32>, tensor<1x1x8x4xf32>) outs(%c3_z : tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32> loc("conv3")
{epilogue("conv3", "c3", "b3", "1x8x8x4", "none")}
  %flat = tensor.collapse_shape %conv3_act [[0], [1, 2, 3]] : tensor<1x8x8x4xf32> into tensor<1x256xf32>
  %f_e = tensor.empty() : tensor<1x10xf32>
  %f_z = linalg.fill ins(%zero : f32) outs(%f_e : tensor<1x10xf32>) -> tensor<1x10xf32>
  %f = linalg.matmul ins(%flat, %wf : tensor<1x256xf32>, tensor<256x10xf32>) outs(%f_z : tensor<1x10xf32>) -> tensor<1x10xf32> loc("fc")
  %y = linalg.generic {{indexing_maps = [#id2, #col, #id2], iterator_types = ["parallel", "parallel"]}}
      ins(%f, %bf : tensor<1x10xf32>, tensor<10xf32>) outs(%f_e : tensor<1x10xf32>) {{
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }} -> tensor<1x10xf32> loc("fc.act")
  return %y : tensor<1x10xf32>
}}""")


def forward_float(x):
    def conv(x, w, b, pad, depthwise=False):
        xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        k = w.shape[0]
        oh, ow = xp.shape[1] - k + 1, xp.shape[2] - k + 1
        out = np.zeros((x.shape[0], oh, ow, w.shape[-1]), np.float64)
        for i in range(k):
            for j in range(k):
                patch = xp[:, i:i + oh, j:j + ow, :].astype(np.float64)
                out += patch * w[i, j] if depthwise else patch @ w[i, j].astype(np.float64)
        return out + b
    h = np.maximum(conv(x, W1, B1, 1), 0)
    h = np.minimum(np.maximum(conv(h, WD, BD, 1, True), 0), 6)
    h = conv(h, W3, B3, 0)
    return h.reshape(x.shape[0], -1) @ WF.astype(np.float64) + BF


def act(stats, name):
    o = next(o for o in stats["observers"] if o["name"] == name)
    lo, hi = min(o["min"], 0.0), max(o["max"], 0.0)
    s = (hi - lo) / 255.0
    return s, int(np.clip(np.rint(-128 - lo / s), -128, 127))


def weights(w, axis):
    moved = np.moveaxis(w, axis, -1).reshape(-1, w.shape[axis])
    absmax = np.maximum(np.abs(moved.min(0)), np.abs(moved.max(0))).astype(np.float64)
    scales = np.where(absmax > 0, absmax / 127.0, 1.0)
    return scales, ref.quantize(w, scales, np.zeros(w.shape[axis], np.int64), -127, 127, axis=axis)


def bias(b, sx, sw):
    return np.rint(b.astype(np.float64) / (np.float32(sx) * sw.astype(np.float32)).astype(np.float64)).astype(np.int32)


def check(d):
    stats = json.load(open(os.path.join(d, "stats.json")))
    s0, z0 = act(stats, "main.arg0")
    s1, z1 = act(stats, "conv1.act.out0")
    s2, z2 = act(stats, "dw.act.out0")
    s3, z3 = act(stats, "conv3.act.out0")
    s4, z4 = act(stats, "fc.in0")
    s5, z5 = act(stats, "fc.act.out0")
    sw1, q1 = weights(W1, 3)
    swd, qd = weights(WD, 2)
    sw3, q3 = weights(W3, 3)
    swf, qf = weights(WF, 1)
    outs = []
    for img in TEST:
        x = ref.quantize(img[None], s0, z0, -128, 127)
        h = ref.qlinear_conv_nhwc(x, s0, z0, q1, sw1, 0, s1, z1, -128, 127, bias(B1, s0, sw1),
                                  pads=(1, 1, 1, 1), clamp_min=int(ref.quantize(0.0, s1, z1, -128, 127)))
        h = ref.qlinear_conv_nhwc(h, s1, z1, qd, swd, 0, s2, z2, -128, 127, bias(BD, s1, swd),
                                  pads=(1, 1, 1, 1), depthwise=True,
                                  clamp_min=int(ref.quantize(0.0, s2, z2, -128, 127)),
                                  clamp_max=int(ref.quantize(6.0, s2, z2, -128, 127)))
        h = ref.qlinear_conv_nhwc(h, s2, z2, q3, sw3, 0, s3, z3, -128, 127, bias(B3, s2, sw3))
        flat = ref.quantize(ref.dequantize(h, s3, z3).reshape(1, -1), s4, z4, -128, 127)
        y = ref.qlinear_matmul(flat, s4, z4, qf, swf, 0, s5, z5, -128, 127, bias(BF, s4, swf))
        outs.append(ref.dequantize(y, s5, z5))
    want = np.concatenate(outs)
    got = np.load(os.path.join(d, "out.npy"))
    exact = np.array_equal(got.view(np.uint32), want.view(np.uint32))
    print(f"{'ok' if exact else 'FAIL'} int8 CNN bit-exact with the NumPy integer pipeline"
          + ("" if exact else f" ({np.count_nonzero(got != want)} of {got.size} differ)"))
    ref_float = forward_float(TEST)
    err = np.abs(got - ref_float).max()
    bound = 0.05 * np.abs(ref_float).max()
    print(f"{'ok' if err <= bound else 'FAIL'} error vs float CNN {err:.4f} (bound {bound:.4f})")
    agree = np.mean(got.argmax(1) == ref_float.argmax(1))
    print(f"info top-1 agreement with float {agree:.2f}")
    return 0 if exact and err <= bound else 1


if __name__ == "__main__":
    if sys.argv[1] == "model":
        model()
        sys.exit(0)
    if sys.argv[1] == "data":
        np.savez(os.path.join(sys.argv[2], "calib.npz"), x=CALIB)
        np.save(os.path.join(sys.argv[2], "test.npy"), TEST)
        sys.exit(0)
    sys.exit(check(sys.argv[2]))
