"""Float operators of quantopt-import against NumPy: small ONNX models are
imported, compiled and run with quant-run, and compared with a NumPy
evaluation of the same graph.

Usage: test_importer_ops.py TOOLS_DIR WORK_DIR
"""
import math
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from quantopt import onnx_import, reference  # noqa: E402

TOOLS, WORK = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(8)


def conv_nchw(x, w, b, pads, strides):
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh, ow = (h - kh) // strides[0] + 1, (wd - kw) // strides[1] + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + b.reshape(1, -1, 1, 1)


def maxpool(x, k, s):
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    return np.array([[[[x[a, b, i * s:i * s + k, j * s:j * s + k].max() for j in range(ow)]
                       for i in range(oh)] for b in range(c)] for a in range(n)])


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cnn_case():
    w = rng.normal(0, 0.5, (4, 1, 3, 3)).astype(np.float32)
    b = rng.normal(0, 0.1, 4).astype(np.float32)
    gamma, beta = rng.random(4).astype(np.float32) + 0.5, rng.normal(0, 0.1, 4).astype(np.float32)
    mean, var = rng.normal(0, 0.2, 4).astype(np.float32), rng.random(4).astype(np.float32) + 0.5
    wf = rng.normal(0, 0.3, (16, 10)).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for n, a in
             (("w", w), ("b", b), ("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var), ("wf", wf))]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["bn"], name="bn",
                              epsilon=1e-3),
             helper.make_node("Relu", ["bn"], ["r"], name="relu"),
             helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("GlobalAveragePool", ["p"], ["g"], name="gap"),
             helper.make_node("Flatten", ["p"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "wf"], ["l"], name="fc"),
             helper.make_node("Softmax", ["l"], ["y"], name="softmax")]
    x = rng.normal(0, 1, (1, 1, 4, 4)).astype(np.float32)
    c = conv_nchw(x.astype(np.float64), w.astype(np.float64), b, [1, 1, 1, 1], [1, 1])
    bn = (c - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + 1e-3) * \
        gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)
    p = maxpool(np.maximum(bn, 0), 2, 2)
    y = softmax(p.reshape(1, -1) @ wf)
    g = p.mean(axis=(2, 3), keepdims=True)
    outputs = [("y", [1, 10], y), ("g", [1, 4, 1, 1], g)]
    return "cnn_ops", nodes, inits, [("x", x)], outputs


def elementwise_case():
    x = rng.normal(0, 2, (2, 3)).astype(np.float32)
    c = rng.normal(0, 1, 3).astype(np.float32) + 3
    inits = [numpy_helper.from_array(c, "c"), numpy_helper.from_array(np.float32(-0.5), "lo"),
             numpy_helper.from_array(np.float32(0.5), "hi")]
    nodes = [helper.make_node("Add", ["x", "c"], ["a"], name="add"),
             helper.make_node("Sub", ["a", "x"], ["s"], name="sub"),
             helper.make_node("Mul", ["s", "x"], ["m"], name="mul"),
             helper.make_node("Div", ["m", "c"], ["d"], name="div"),
             helper.make_node("Sigmoid", ["d"], ["sg"], name="sigmoid"),
             helper.make_node("Tanh", ["x"], ["t"], name="tanh"),
             helper.make_node("Clip", ["t", "lo", "hi"], ["cl"], name="clip"),
             helper.make_node("Transpose", ["cl"], ["y"], name="transpose", perm=[1, 0])]
    d = ((x + c) - x) * x / c
    y = np.clip(np.tanh(x), -0.5, 0.5).T
    outputs = [("y", [3, 2], y), ("sg", [2, 3], 1 / (1 + np.exp(-d)))]
    return "elementwise_ops", nodes, inits, [("x", x)], outputs


def transformer_case():
    """LayerNormalization (opset 17), the same normalization decomposed as
    exporters write it (ReduceMean, Sub, Pow, Add, Sqrt, Div), Gelu in its
    Erf form, and MatMul on 3-D activations."""
    x = rng.normal(0, 1.5, (2, 3, 8)).astype(np.float32)
    gamma, beta = rng.normal(1, 0.2, 8).astype(np.float32), rng.normal(0, 0.2, 8).astype(np.float32)
    w = rng.normal(0, 0.4, (8, 6)).astype(np.float32)
    consts = {"gamma": gamma, "beta": beta, "w": w, "two": np.float32(2.0), "eps": np.float32(1e-5),
              "sqrt2": np.float32(np.sqrt(2.0)), "one": np.float32(1.0), "half": np.float32(0.5),
              "cube": np.float32(3.0)}
    inits = [numpy_helper.from_array(np.asarray(v), n) for n, v in consts.items()]
    nodes = [helper.make_node("LayerNormalization", ["x", "gamma", "beta"], ["ln"], name="ln", epsilon=1e-5),
             helper.make_node("LayerNormalization", ["x", "gamma"], ["ln12"], name="ln12", axis=1),
             helper.make_node("ReduceMean", ["x"], ["mu"], name="mean", axes=[-1]),
             helper.make_node("Sub", ["x", "mu"], ["d"], name="center"),
             helper.make_node("Pow", ["d", "two"], ["d2"], name="square"),
             helper.make_node("ReduceMean", ["d2"], ["var"], name="var", axes=[-1]),
             helper.make_node("Add", ["var", "eps"], ["ve"], name="add_eps"),
             helper.make_node("Sqrt", ["ve"], ["sd"], name="std"),
             helper.make_node("Div", ["d", "sd"], ["nrm"], name="normalize"),
             helper.make_node("Mul", ["nrm", "gamma"], ["sc"], name="scale"),
             helper.make_node("Add", ["sc", "beta"], ["dln"], name="shift"),
             helper.make_node("MatMul", ["dln", "w"], ["h"], name="fc"),
             helper.make_node("Div", ["h", "sqrt2"], ["hs"], name="gelu.div"),
             helper.make_node("Erf", ["hs"], ["erf"], name="gelu.erf"),
             helper.make_node("Add", ["erf", "one"], ["erf1"], name="gelu.add"),
             helper.make_node("Mul", ["h", "erf1"], ["g1"], name="gelu.mul"),
             helper.make_node("Mul", ["g1", "half"], ["gelu"], name="gelu.half"),
             helper.make_node("Pow", ["h", "cube"], ["h3"], name="cube"),
             helper.make_node("ReduceMean", ["x"], ["m02"], name="mean02", axes=[0, 2], keepdims=0)]
    x64 = x.astype(np.float64)
    mu = x64.mean(-1, keepdims=True)
    ln = (x64 - mu) / np.sqrt(((x64 - mu) ** 2).mean(-1, keepdims=True) + 1e-5) * gamma + beta
    mu12 = x64.mean((1, 2), keepdims=True)
    ln12 = (x64 - mu12) / np.sqrt(((x64 - mu12) ** 2).mean((1, 2), keepdims=True) + 1e-5) * gamma
    h = ln @ w
    gelu = h * 0.5 * (1 + np.vectorize(math.erf)(h / np.sqrt(2)))
    outputs = [("ln", [2, 3, 8], ln), ("ln12", [2, 3, 8], ln12), ("dln", [2, 3, 8], ln),
               ("gelu", [2, 3, 6], gelu), ("h3", [2, 3, 6], h ** 3), ("m02", [3], x64.mean((0, 2)))]
    return "transformer_ops", nodes, inits, [("x", x)], outputs, 17


def avgpool_nchw(x, k, s, pads, count_include_pad):
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    ones = np.pad(np.ones_like(x), ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh, ow = (xp.shape[2] - k) // s + 1, (xp.shape[3] - k) // s + 1
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = (slice(None), slice(None), slice(i * s, i * s + k), slice(j * s, j * s + k))
            count = k * k if count_include_pad else ones[window].sum(axis=(2, 3))
            out[:, :, i, j] = xp[window].sum(axis=(2, 3)) / count
    return out


def pool_slice_case():
    """AveragePool with padding (border windows counted with and without
    the padding), Concat, Slice (negative indices and steps, clamped ends)."""
    x = rng.normal(0, 1, (1, 2, 5, 6)).astype(np.float32)
    c = rng.normal(0, 1, (1, 1, 3, 3)).astype(np.float32)
    slice_params = {"st": [1, -1], "en": [4, -100], "ax": [2, 3], "sp": [2, -2]}
    inits = [numpy_helper.from_array(c, "c")] + [
        numpy_helper.from_array(np.array(v, np.int64), n) for n, v in slice_params.items()]
    nodes = [helper.make_node("AveragePool", ["x"], ["pe"], name="pool_excl", kernel_shape=[3, 3],
                              strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("AveragePool", ["x"], ["pi"], name="pool_incl", kernel_shape=[3, 3],
                              strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1),
             helper.make_node("AveragePool", ["x"], ["pn"], name="pool_nopad", kernel_shape=[2, 3]),
             helper.make_node("Concat", ["pe", "pi", "c"], ["cat"], name="concat", axis=-3),
             helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["sl"], name="slice")]
    x64 = x.astype(np.float64)
    pe = avgpool_nchw(x64, 3, 2, [1, 1, 1, 1], False)
    pi = avgpool_nchw(x64, 3, 2, [1, 1, 1, 1], True)
    pn = np.array([[[[x64[0, ch, i:i + 2, j:j + 3].mean() for j in range(4)] for i in range(4)]
                    for ch in range(2)]])
    outputs = [("cat", [1, 5, 3, 3], np.concatenate([pe, pi, c], axis=1)), ("pn", [1, 2, 4, 4], pn),
               ("sl", [1, 2, 2, 3], x64[:, :, 1:4:2, -1::-2])]
    return "pool_slice_ops", nodes, inits, [("x", x)], outputs, 13


def gather_case():
    """Embedding lookup (constant table, run-time int64 indices, one of them
    negative) and Gather with constant indices on activations: a scalar, a
    progression (strided slice) and an arbitrary list."""
    table = rng.normal(0, 1, (10, 4)).astype(np.float32)
    x = rng.normal(0, 1, (2, 5, 3)).astype(np.float32)
    ids = np.array([[1, 9, 0], [4, -1, 4]], np.int64)
    consts = {"k0": np.array(3, np.int64), "k1": np.array([0, 2, 4], np.int64), "k2": np.array([[2, 0], [2, 1]])}
    inits = [numpy_helper.from_array(table, "table")] + [numpy_helper.from_array(v, n) for n, v in consts.items()]
    nodes = [helper.make_node("Gather", ["table", "ids"], ["emb"], name="embedding"),
             helper.make_node("Gather", ["x", "k0"], ["g0"], name="scalar", axis=1),
             helper.make_node("Gather", ["x", "k1"], ["g1"], name="progression", axis=-2),
             helper.make_node("Gather", ["x", "k2"], ["g2"], name="listed", axis=2)]
    outputs = [("emb", [2, 3, 4], table[ids]), ("g0", [2, 3], x[:, 3]), ("g1", [2, 3, 3], x[:, [0, 2, 4]]),
               ("g2", [2, 5, 2, 2], np.take(x, consts["k2"], axis=2))]
    return "gather_ops", nodes, inits, [("x", x), ("ids", ids)], outputs, 13


def grouped_conv_nchw(x, w, b, group, pads, strides, dil):
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    eh, ew = dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1
    oh, ow = (h - eh) // strides[0] + 1, (wd - ew) // strides[1] + 1
    out = np.zeros((n, f, oh, ow), dtype=np.result_type(x, w))
    fg = f // group
    for g in range(group):
        xg, wg = x[:, g * cg:(g + 1) * cg], w[g * fg:(g + 1) * fg]
        for i in range(oh):
            for j in range(ow):
                patch = xg[:, :, i * strides[0]:i * strides[0] + eh:dil[0], j * strides[1]:j * strides[1] + ew:dil[1]]
                out[:, g * fg:(g + 1) * fg, i, j] = np.tensordot(patch, wg, axes=([1, 2, 3], [1, 2, 3]))
    return out + (0 if b is None else b.reshape(1, -1, 1, 1))


def grouped_conv_case():
    """Conv with groups: two groups, depthwise (through linalg's NHWC
    depthwise convolution), and depthwise with channel multiplier 2."""
    x = rng.normal(0, 1, (2, 4, 6, 5)).astype(np.float32)
    d = rng.normal(0, 1, (1, 3, 7, 7)).astype(np.float32)
    ws = {"wg": rng.normal(0, 0.5, (6, 2, 3, 3)), "wd": rng.normal(0, 0.5, (3, 1, 3, 3)),
          "wm": rng.normal(0, 0.5, (6, 1, 2, 2))}
    bs = {"bg": rng.normal(0, 0.1, 6), "bd": rng.normal(0, 0.1, 3)}
    inits = [numpy_helper.from_array(v.astype(np.float32), n) for n, v in {**ws, **bs}.items()]
    nodes = [helper.make_node("Conv", ["x", "wg", "bg"], ["yg"], name="grouped", group=2, pads=[1, 0, 1, 2],
                              strides=[2, 1]),
             helper.make_node("Conv", ["d", "wd", "bd"], ["yd"], name="depthwise", group=3, pads=[1, 1, 1, 1],
                              strides=[2, 2], dilations=[1, 2]),
             helper.make_node("Conv", ["d", "wm"], ["ym"], name="multiplier", group=3)]
    f32 = {n: v.astype(np.float32).astype(np.float64) for n, v in {**ws, **bs}.items()}
    outputs = [("yg", [2, 6, 3, 6], grouped_conv_nchw(x.astype(np.float64), f32["wg"], f32["bg"], 2, [1, 0, 1, 2],
                                                      [2, 1], [1, 1])),
               ("yd", [1, 3, 4, 3], grouped_conv_nchw(d.astype(np.float64), f32["wd"], f32["bd"], 3, [1, 1, 1, 1],
                                                      [2, 2], [1, 2])),
               ("ym", [1, 6, 6, 6], grouped_conv_nchw(d.astype(np.float64), f32["wm"], None, 3, [0, 0, 0, 0],
                                                      [1, 1], [1, 1]))]
    return "grouped_conv_ops", nodes, inits, [("x", x), ("d", d)], outputs, 13


def integer_case():
    """Integer operators beyond ONNX's own cases, compared exactly:
    ConvInteger with int8 data, groups, strides, padding and per-channel
    weight zero points, and with uint8 run-time weights; QLinearMatMul with broadcast batch dimensions and
    with 3-D x 2-D operands; MatMulInteger on 3-D operands."""
    x = rng.integers(-128, 128, (1, 4, 5, 5)).astype(np.int8)
    w = rng.integers(-128, 128, (6, 2, 3, 3)).astype(np.int8)
    wzp = np.array([0, 3, -2, 1, 5, -7], np.int8)
    xu = rng.integers(0, 256, (1, 2, 4, 4)).astype(np.uint8)
    wu = rng.integers(0, 256, (3, 2, 2, 2)).astype(np.uint8)
    wuzp = np.array([128, 0, 255], np.uint8)
    a = rng.integers(0, 256, (2, 1, 3, 4)).astype(np.uint8)
    b = rng.integers(0, 256, (3, 4, 5)).astype(np.uint8)
    b2 = rng.integers(-128, 128, (4, 5)).astype(np.int8)
    qa = [np.float32(0.02), np.uint8(120)]
    qb = [np.float32(0.013), np.uint8(131)]
    qy = [np.float32(0.07), np.uint8(100)]
    qb2 = [np.float32(0.011), np.int8(-3)]
    consts = {"w": w, "xzp": np.int8(-5), "wzp": wzp, "as": qa[0], "azp": qa[1], "bs": qb[0], "bzp": qb[1],
              "ys": qy[0], "yzp": qy[1], "b2": b2, "b2s": qb2[0], "b2zp": qb2[1], "mzp": np.uint8(7),
              "wuzp": wuzp}
    inits = [numpy_helper.from_array(np.asarray(v), n) for n, v in consts.items()]
    a3 = a.reshape(2, 3, 4)
    nodes = [helper.make_node("ConvInteger", ["x", "w", "xzp", "wzp"], ["ci"], name="conv_integer", group=2,
                              pads=[1, 2, 0, 1], strides=[1, 2]),
             helper.make_node("ConvInteger", ["xu", "wu", "", "wuzp"], ["cu"], name="conv_integer_u8"),
             helper.make_node("QLinearMatMul", ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"], ["qm"],
                              name="qmatmul_4d"),
             helper.make_node("QLinearMatMul", ["a3", "as", "azp", "b2", "b2s", "b2zp", "ys", "yzp"], ["qm2"],
                              name="qmatmul_3d_2d"),
             helper.make_node("MatMulInteger", ["m3", "b3", "mzp"], ["mi"], name="matmul_integer_3d")]
    b3 = b[:2]
    ci = grouped_conv_nchw(x.astype(np.int64) + 5, w.astype(np.int64) - wzp.reshape(-1, 1, 1, 1), None, 2,
                           [1, 2, 0, 1], [1, 2], [1, 1]).astype(np.int32)
    cu = grouped_conv_nchw(xu.astype(np.int64), wu.astype(np.int64) - wuzp.reshape(-1, 1, 1, 1), None, 1,
                           [0, 0, 0, 0], [1, 1], [1, 1]).astype(np.int32)
    qm = reference.qlinear_matmul(a, *qa, b, *qb, *qy, 0, 255).astype(np.uint8)
    qm2 = reference.qlinear_matmul(a3, *qa, b2, *qb2, *qy, 0, 255).astype(np.uint8)
    mi = reference.matmul_integer(a3, b3, 7).astype(np.int32)
    outputs = [("ci", [1, 6, 4, 3], ci), ("cu", [1, 3, 3, 3], cu), ("qm", [2, 3, 3, 5], qm),
               ("qm2", [2, 3, 5], qm2), ("mi", [2, 3, 5], mi)]
    # MatMulInteger reads plain uint8, QLinearMatMul quantized values: each
    # graph input feeds one kind.
    inputs = [("x", x), ("xu", xu), ("wu", wu), ("a", a), ("b", b), ("a3", a3), ("m3", a3.copy()), ("b3", b3)]
    return "integer_ops", nodes, inits, inputs, outputs, 13


def shape_folding_case():
    """PyTorch's x.view(x.size(0), -1) as exported: Shape, Gather, Unsqueeze,
    Concat, Cast feeding Reshape, folded at import; ConstantOfShape, Squeeze
    and Slice on constants too."""
    w = rng.normal(0, 0.5, (3, 2, 3, 3)).astype(np.float32)
    wf = rng.normal(0, 0.3, (3 * 4 * 4, 5)).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(wf, "wf"),
             numpy_helper.from_array(np.array([0], np.int64), "ax"),
             numpy_helper.from_array(np.array([2, 5], np.int64), "shape2")]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Shape", ["c"], ["s"], name="shape"),
             helper.make_node("Constant", [], ["i0"], name="i0", value=numpy_helper.from_array(np.array(0, np.int64))),
             helper.make_node("Gather", ["s", "i0"], ["n"], name="batch"),
             helper.make_node("Unsqueeze", ["n", "ax"], ["n1"], name="unsqueeze"),
             helper.make_node("Constant", [], ["m1"], name="m1", value=numpy_helper.from_array(np.array([-1], np.int64))),
             helper.make_node("Concat", ["n1", "m1"], ["shp"], name="concat", axis=0),
             helper.make_node("Cast", ["shp"], ["shp64"], name="cast", to=TensorProto.INT64),
             helper.make_node("Reshape", ["c", "shp64"], ["f"], name="view"),
             helper.make_node("MatMul", ["f", "wf"], ["y"], name="fc"),
             # A constant bias of shape (1, 5) built by ConstantOfShape, Slice and Squeeze.
             helper.make_node("ConstantOfShape", ["shape2"], ["ones"], name="fill",
                              value=numpy_helper.from_array(np.array([0.5], np.float32))),
             helper.make_node("Slice", ["ones", "ax", "m1"], ["half"], name="slice"),
             helper.make_node("Squeeze", ["half", "ax"], ["bias"], name="squeeze"),
             helper.make_node("Add", ["y", "bias"], ["yb"], name="add")]
    x = rng.normal(0, 1, (1, 2, 4, 4)).astype(np.float32)
    c = conv_nchw(x.astype(np.float64), w.astype(np.float64), np.zeros(3), [1, 1, 1, 1], [1, 1])
    y = c.reshape(1, -1) @ wf + 0.5
    return "shape_folding_ops", nodes, inits, [("x", x)], [("yb", [1, 5], y)]


def activation_matmul_case():
    """MatMul of two computed values (attention's Q.K^T): batch dimensions
    broadcast, 1-D operands; Reshape in general (a head split), Unsqueeze,
    Squeeze, Softmax over an inner axis."""
    a = rng.normal(0, 1, (2, 3, 4, 5)).astype(np.float32)
    b = rng.normal(0, 1, (3, 5, 6)).astype(np.float32)
    v = rng.normal(0, 1, (5,)).astype(np.float32)
    inits = [numpy_helper.from_array(np.array([2, 3, 2, 2, 5], np.int64), "heads"),
             numpy_helper.from_array(np.array([1], np.int64), "ax1")]
    nodes = [helper.make_node("MatMul", ["a", "b"], ["ab"], name="ab"),
             helper.make_node("MatMul", ["a", "v"], ["av"], name="av"),
             helper.make_node("MatMul", ["v", "b"], ["vb"], name="vb"),
             helper.make_node("Reshape", ["a", "heads"], ["split"], name="split"),
             helper.make_node("Softmax", ["split"], ["sm"], name="softmax", axis=2),
             helper.make_node("Unsqueeze", ["v", "ax1"], ["v1"], name="unsqueeze"),
             helper.make_node("Squeeze", ["v1", "ax1"], ["v0"], name="squeeze"),
             helper.make_node("Add", ["v0", "v"], ["vv"], name="vv")]
    split = a.astype(np.float64).reshape(2, 3, 2, 2, 5)
    e = np.exp(split - split.max(axis=2, keepdims=True))
    return "activation_matmul_ops", nodes, inits, [("a", a), ("b", b), ("v", v)], \
        [("ab", [2, 3, 4, 6], a.astype(np.float64) @ b), ("av", [2, 3, 4], a.astype(np.float64) @ v),
         ("vb", [3, 6], v.astype(np.float64) @ b), ("sm", [2, 3, 2, 2, 5], e / e.sum(axis=2, keepdims=True)),
         ("vv", [5], 2.0 * v)]


def window_1d_case():
    """1-D Conv (grouped and plain), MaxPool with ceil_mode, AveragePool
    1-D with count_include_pad, Pad (reflect, edge, constant, negative),
    Softmax before opset 13 (over all axes after `axis`), LogSoftmax,
    GlobalMaxPool."""
    x = rng.normal(0, 1, (1, 4, 9)).astype(np.float32)
    w = rng.normal(0, 0.5, (6, 2, 3)).astype(np.float32)
    b = rng.normal(0, 0.1, 6).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
             numpy_helper.from_array(np.array([0, 0, 2, 0, 0, 3], np.int64), "pads_r"),
             numpy_helper.from_array(np.array([0, 1, 2, 0, 0, 1], np.int64), "pads_e"),
             numpy_helper.from_array(np.array([0, 0, -2, 0, 0, 1], np.int64), "pads_c"),
             numpy_helper.from_array(np.array(1.5, np.float32), "value")]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv1d", group=2, pads=[1, 1], strides=[2]),
             helper.make_node("MaxPool", ["x"], ["mp"], name="maxpool1d", kernel_shape=[2], strides=[2],
                              ceil_mode=1),
             helper.make_node("AveragePool", ["x"], ["ap"], name="avgpool1d", kernel_shape=[3], strides=[2],
                              pads=[1, 1], count_include_pad=1, ceil_mode=1),
             helper.make_node("Pad", ["x", "pads_r"], ["pr"], name="reflect", mode="reflect"),
             helper.make_node("Pad", ["x", "pads_e"], ["pe"], name="edge", mode="edge"),
             helper.make_node("Pad", ["x", "pads_c", "value"], ["pc"], name="constant"),
             helper.make_node("Softmax", ["x"], ["sm"], name="softmax", axis=1),
             helper.make_node("LogSoftmax", ["x"], ["lsm"], name="logsoftmax", axis=2),
             helper.make_node("GlobalMaxPool", ["x"], ["gmp"], name="globalmax")]
    xd = x.astype(np.float64)
    conv = np.zeros((1, 6, 5))
    xp = np.pad(xd, ((0, 0), (0, 0), (1, 1)))
    for f in range(6):
        g = f // 3
        for o in range(5):
            conv[0, f, o] = np.sum(xp[0, 2 * g:2 * g + 2, 2 * o:2 * o + 3] * w[f]) + b[f]
    mp = np.stack([xd[:, :, i:i + 2].max(axis=2) for i in range(0, 9, 2)], axis=2)  # last window: one element
    xa = np.pad(xd, ((0, 0), (0, 0), (1, 1)))
    ap = np.stack([xa[:, :, 2 * o:2 * o + 3].sum(axis=2) / min(3, 11 - 2 * o) for o in range(5)], axis=2)
    flat = xd.reshape(1, -1)
    sm = (np.exp(flat - flat.max()) / np.exp(flat - flat.max()).sum()).reshape(x.shape)
    return "window_1d_ops", nodes, inits, [("x", x)], \
        [("c", [1, 6, 5], conv), ("mp", [1, 4, 5], mp), ("ap", [1, 4, 5], ap),
         ("pr", [1, 4, 14], np.pad(xd, ((0, 0), (0, 0), (2, 3)), mode="reflect")),
         ("pe", [1, 5, 12], np.pad(xd, ((0, 0), (1, 0), (2, 1)), mode="edge")),
         ("pc", [1, 4, 8], np.pad(xd[:, :, 2:], ((0, 0), (0, 0), (0, 1)), constant_values=1.5)),
         ("sm", [1, 4, 9], sm),
         ("lsm", [1, 4, 9], xd - xd.max(axis=2, keepdims=True) -
          np.log(np.exp(xd - xd.max(axis=2, keepdims=True)).sum(axis=2, keepdims=True))),
         ("gmp", [1, 4, 1], xd.max(axis=2, keepdims=True))], 11


def global_mean_case():
    """GlobalAveragePool on 1-D, 2-D and 3-D images and ReduceMean over the
    spatial axes (the pooling form), kept or dropped; a mean over the last
    axis only (a reduction)."""
    x3 = rng.normal(0, 1, (1, 4, 9)).astype(np.float32)
    x4 = rng.normal(0, 1, (2, 3, 4, 5)).astype(np.float32)
    x5 = rng.normal(0, 1, (1, 2, 3, 4, 5)).astype(np.float32)
    nodes = [helper.make_node("GlobalAveragePool", ["x3"], ["g1"], name="gap1d"),
             helper.make_node("GlobalAveragePool", ["x4"], ["g2"], name="gap2d"),
             helper.make_node("GlobalAveragePool", ["x5"], ["g3"], name="gap3d"),
             helper.make_node("ReduceMean", ["x4"], ["m2"], name="mean2d", axes=[2, 3], keepdims=0),
             helper.make_node("ReduceMean", ["x5"], ["m3"], name="mean3d", axes=[-3, -2, -1]),
             helper.make_node("ReduceMean", ["x3"], ["m1"], name="mean_last", axes=[2], keepdims=0)]
    x3d, x4d, x5d = (v.astype(np.float64) for v in (x3, x4, x5))
    return "global_mean_ops", nodes, [], [("x3", x3), ("x4", x4), ("x5", x5)], \
        [("g1", [1, 4, 1], x3d.mean(axis=2, keepdims=True)), ("g2", [2, 3, 1, 1], x4d.mean(axis=(2, 3), keepdims=True)),
         ("g3", [1, 2, 1, 1, 1], x5d.mean(axis=(2, 3, 4), keepdims=True)), ("m2", [2, 3], x4d.mean(axis=(2, 3))),
         ("m3", [1, 2, 1, 1, 1], x5d.mean(axis=(2, 3, 4), keepdims=True)), ("m1", [1, 4], x3d.mean(axis=2))], 13


def mask_case():
    """An attention mask as exports write it: Cast of an integer mask to
    bool, Equal / Less / Greater / LessOrEqual / GreaterOrEqual, Not, And,
    Or, Xor, Where with -inf; Cast back to float and to int32; Expand,
    Dropout (inference), Round (half to even), Sin, Cos, Sum, Mean."""
    scores = rng.normal(0, 1, (2, 4)).astype(np.float32)
    scores[0, 0] = 2.5  # Round: half to even
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 1]], np.int64)
    inits = [numpy_helper.from_array(np.array(0, np.int64), "zero_i"),
             numpy_helper.from_array(np.array(-np.inf, np.float32), "ninf"),
             numpy_helper.from_array(np.array(0.5, np.float32), "half"),
             numpy_helper.from_array(np.array([3, 2, 4], np.int64), "shape3")]
    nodes = [helper.make_node("Cast", ["mask"], ["mb"], name="to_bool", to=TensorProto.BOOL),
             helper.make_node("Equal", ["mask", "zero_i"], ["pad"], name="equal"),
             helper.make_node("Where", ["pad", "ninf", "scores"], ["masked"], name="where"),
             helper.make_node("Less", ["scores", "half"], ["lt"], name="less"),
             helper.make_node("Greater", ["scores", "half"], ["gt"], name="greater"),
             helper.make_node("LessOrEqual", ["scores", "half"], ["le"], name="le"),
             helper.make_node("GreaterOrEqual", ["scores", "half"], ["ge"], name="ge"),
             helper.make_node("Not", ["lt"], ["nlt"], name="not"),
             helper.make_node("And", ["mb", "gt"], ["and"], name="and"),
             helper.make_node("Or", ["le", "gt"], ["or"], name="or"),
             helper.make_node("Xor", ["mb", "ge"], ["xor"], name="xor"),
             helper.make_node("Cast", ["and"], ["andf"], name="to_float", to=TensorProto.FLOAT),
             helper.make_node("Cast", ["scores"], ["si"], name="to_int", to=TensorProto.INT32),
             helper.make_node("Expand", ["scores", "shape3"], ["ex"], name="expand"),
             helper.make_node("Dropout", ["scores"], ["dr"], name="dropout"),
             helper.make_node("Round", ["scores"], ["rd"], name="round"),
             helper.make_node("Sin", ["scores"], ["sn"], name="sin"),
             helper.make_node("Cos", ["scores"], ["cs"], name="cos"),
             helper.make_node("Sum", ["sn", "cs", "scores"], ["sm"], name="sum"),
             helper.make_node("Mean", ["sn", "cs"], ["mn"], name="mean")]
    s = scores.astype(np.float64)
    mb, lt, gt = mask != 0, scores < 0.5, scores > 0.5
    return "mask_ops", nodes, inits, [("scores", scores), ("mask", mask)], \
        [("masked", [2, 4], np.where(mask == 0, -np.inf, s)), ("nlt", [2, 4], ~lt), ("and", [2, 4], mb & gt),
         ("or", [2, 4], (scores <= 0.5) | gt), ("xor", [2, 4], mb ^ (scores >= 0.5)),
         ("andf", [2, 4], (mb & gt).astype(np.float64)), ("si", [2, 4], np.trunc(scores).astype(np.int32)),
         ("ex", [3, 2, 4], np.broadcast_to(s, (3, 2, 4))), ("dr", [2, 4], s), ("rd", [2, 4], np.round(s)),
         ("sm", [2, 4], np.sin(s) + np.cos(s) + s), ("mn", [2, 4], (np.sin(s) + np.cos(s)) / 2)]


def layers_case():
    """ConvTranspose (strided, padded, grouped, with output_padding),
    InstanceNormalization, Split, Tile, ReduceSum / ReduceMax / ReduceMin /
    ReduceProd / ReduceSumSquare."""
    x = rng.normal(0, 1, (1, 4, 3, 3)).astype(np.float32)
    w = rng.normal(0, 0.5, (4, 3, 3, 3)).astype(np.float32)  # C x F/g x KH x KW, group 2: F = 6
    b = rng.normal(0, 0.1, 6).astype(np.float32)
    gamma, beta = rng.random(4).astype(np.float32) + 0.5, rng.normal(0, 0.1, 4).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
             numpy_helper.from_array(gamma, "gamma"), numpy_helper.from_array(beta, "beta"),
             numpy_helper.from_array(np.array([1, 3], np.int64), "parts"),
             numpy_helper.from_array(np.array([1, 2, 1, 2], np.int64), "reps"),
             numpy_helper.from_array(np.array([2, 3], np.int64), "hw")]
    nodes = [helper.make_node("ConvTranspose", ["x", "w", "b"], ["ct"], name="deconv", strides=[2, 2],
                              pads=[1, 0, 0, 1], output_padding=[1, 0], group=2),
             helper.make_node("InstanceNormalization", ["x", "gamma", "beta"], ["inorm"], name="inorm", epsilon=1e-3),
             helper.make_node("Split", ["x", "parts"], ["s0", "s1"], name="split", axis=1),
             helper.make_node("Tile", ["s0", "reps"], ["tl"], name="tile"),
             helper.make_node("ReduceSum", ["x", "hw"], ["rs"], name="rsum", keepdims=0),
             helper.make_node("ReduceMax", ["x"], ["rmax"], name="rmax", axes=[1]),
             helper.make_node("ReduceMin", ["x"], ["rmin"], name="rmin", axes=[0, 3], keepdims=0),
             helper.make_node("ReduceProd", ["x"], ["rp"], name="rprod", axes=[2]),
             helper.make_node("ReduceSumSquare", ["x"], ["rss"], name="rss", axes=[1, 2])]
    xd = x.astype(np.float64)
    # Transposed conv by scattering each input element's kernel-weighted copy.
    full = np.zeros((1, 6, (3 - 1) * 2 + 3 + 1, (3 - 1) * 2 + 3))
    for g in range(2):
        for c in range(2):
            for i in range(3):
                for j in range(3):
                    full[0, 3 * g:3 * g + 3, 2 * i:2 * i + 3, 2 * j:2 * j + 3] += xd[0, 2 * g + c, i, j] * w[2 * g + c]
    ct = full[:, :, 1:full.shape[2] - 0, 0:full.shape[3] - 1] + b.reshape(1, -1, 1, 1)
    mean, var = xd.mean(axis=(2, 3), keepdims=True), xd.var(axis=(2, 3), keepdims=True)
    inorm = (xd - mean) / np.sqrt(var + 1e-3) * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)
    return "layer_ops", nodes, inits, [("x", x)], \
        [("ct", list(ct.shape), ct), ("inorm", [1, 4, 3, 3], inorm), ("s1", [1, 3, 3, 3], xd[:, 1:]),
         ("tl", [1, 2, 3, 6], np.tile(xd[:, :1], (1, 2, 1, 2))), ("rs", [1, 4], xd.sum(axis=(2, 3))),
         ("rmax", [1, 1, 3, 3], xd.max(axis=1, keepdims=True)), ("rmin", [4, 3], xd.min(axis=(0, 3))),
         ("rp", [1, 4, 1, 3], xd.prod(axis=2, keepdims=True)),
         ("rss", [1, 1, 1, 3], (xd ** 2).sum(axis=(1, 2), keepdims=True))]


RESIZE_CASES = tuple(f"test_resize_{label}" for label in (
    "downsample_scales_linear", "downsample_scales_linear_align_corners", "downsample_scales_nearest",
    "downsample_sizes_linear_pytorch_half_pixel", "downsample_sizes_nearest",
    "downsample_sizes_nearest_tf_half_pixel_for_nn", "upsample_scales_linear", "upsample_scales_linear_align_corners",
    "upsample_scales_nearest", "upsample_sizes_nearest", "upsample_sizes_nearest_ceil_half_pixel",
    "upsample_sizes_nearest_floor_align_corners", "upsample_sizes_nearest_round_prefer_ceil_asymmetric")) + \
    ("test_upsample_nearest",)


def resize_cases():
    """ONNX's node tests for Resize (nearest and linear: every coordinate
    transformation and nearest mode) and Upsample (opset 9), with the scales, sizes and roi they
    pass as graph inputs made constants, as exported models have them;
    compared with ONNX's expected outputs."""
    root = "/usr/share/libonnx-testdata/data/node"
    cases = []
    for label in RESIZE_CASES:
        d = os.path.join(root, label)
        model = onnx.load(os.path.join(d, "model.onnx"))
        g = model.graph
        data = [numpy_helper.to_array(onnx.load_tensor(os.path.join(d, "test_data_set_0", f"input_{i}.pb")))
                for i in range(len(g.input))]
        expected = numpy_helper.to_array(onnx.load_tensor(os.path.join(d, "test_data_set_0", "output_0.pb")))
        inits = [numpy_helper.from_array(v, i.name) for i, v in zip(g.input[1:], data[1:])]
        cases.append((label[len("test_"):], list(g.node), inits, [(g.input[0].name, data[0])],
                      [(g.output[0].name, list(expected.shape), expected.astype(np.float64))],
                      model.opset_import[0].version))
    return cases


def tensor_type(values):
    return onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.asarray(values).dtype]


def run(case):
    name, nodes, inits, inputs, outputs = case[:5]
    opset = case[5] if len(case) > 5 else 13
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info(n, tensor_type(v), v.shape) for n, v in inputs],
        [helper.make_tensor_value_info(n, tensor_type(v) if v.dtype.kind in "iub" else TensorProto.FLOAT, s)
         for n, s, v in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    path = os.path.join(WORK, name + ".onnx")
    onnx.save(model, path)
    mlir = os.path.join(WORK, name + ".mlir")
    open(mlir, "w").write(onnx_import.import_model(path))
    npz = os.path.join(WORK, name + ".npz")
    np.savez(npz, **{n: v for n, v in inputs})
    cmd = [os.path.join(TOOLS, "quant-run"), mlir, "--input", npz, "--no-progress"]
    outs = [os.path.join(WORK, f"{name}-{n}.npy") for n, _, _ in outputs]
    for o in outs:
        cmd += ["--output", o]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        print(f"FAIL {name}: {result.stderr.strip()}")
        return False
    ok = True
    for (n, _, want), o in zip(outputs, outs):
        got = np.load(o)
        if want.dtype.kind in "iub":  # integers and bools: exact
            good = got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
        else:
            good = got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-5)
        detail = "" if good else f": max diff {np.abs(got.astype(np.float64) - want).max()}" \
            if got.shape == want.shape else f": shape {got.shape}, want {want.shape}"
        print(f"{'ok' if good else 'FAIL'} {name} {n}" + ("" if good else detail))
        ok &= good
    return ok


if __name__ == "__main__":
    os.makedirs(WORK, exist_ok=True)
    cases = [cnn_case, elementwise_case, transformer_case, pool_slice_case, gather_case, grouped_conv_case,
             integer_case, shape_folding_case, activation_matmul_case, window_1d_case, global_mean_case, mask_case, layers_case]
    results = [run(case()) for case in cases] + [run(case) for case in resize_cases()]
    sys.exit(0 if all(results) else 1)
