"""Neural-network ONNX operators on f32 tensors: Gemm, MatMul, Conv
(grouped and depthwise), MaxPool, AveragePool, GlobalAveragePool,
BatchNormalization, LayerNormalization, Softmax. Weights must be constants;
convolutions and pools are 2-D (NCHW).
"""
import numpy as np

from .core import _dense, _loc, _ttype
from .registry import register


@register("Gemm", float_only=True)
def gemm(imp, node):
    imp.check_attrs(node, {"alpha", "beta", "transA", "transB"})
    imp.inputs(node, 2, 1)
    alpha, beta = imp.attr_float(node, "alpha", 1.0), imp.attr_float(node, "beta", 1.0)
    a, a_shape = imp.materialize(node.input[0], node)
    if len(a_shape) != 2:
        imp.fail(node, f"A must be 2-D, not of shape {a_shape}")
    if imp.attr_int(node, "transA", 0, 0, 1):
        a, a_shape = imp.transpose(a, a_shape, [1, 0], f"{node.name}.transA")
    if imp.shape_of(node.input[1]) is None or len(imp.shape_of(node.input[1])) != 2:
        imp.fail(node, "the weight (B) must be a 2-D constant")
    trans = imp.attr_int(node, "transB", 0, 0, 1)
    w, wssa = imp.weight(node, node.input[1], "the weight (B)", perm=[1, 0] if trans else None)
    if alpha != 1.0:
        if wssa is not None:
            imp.fail(node, "alpha other than 1 with quantized (QDQ) weights is not supported")
        w = (w.astype(np.float32) * np.float32(alpha)).astype(np.float32)  # alpha * A * B = A * (alpha B)
    c = imp.optional_input(node, 2)
    b = imp.constant(node, c, "the bias (C)") if c else None
    if b is not None and beta != 1.0:
        b = (b.astype(np.float32) * np.float32(beta)).astype(np.float32)
    return matmul(imp, node, a, a_shape, w.astype(np.float32), b, wssa)


@register("MatMul", float_only=True)
def matmul_op(imp, node):
    imp.check_attrs(node, set())
    imp.inputs(node, 2)
    a, a_shape = imp.materialize(node.input[0], node)
    w_shape = imp.shape_of(node.input[1])
    constant = imp.const_value(node.input[1]) is not None or node.input[1] in imp.dequantized_consts
    if not constant or len(a_shape) < 2 or len(w_shape) != 2:
        imp.fail(node, "only activations (2-D or more) times constant 2-D weights are supported")
    w, wssa = imp.weight(node, node.input[1], "the weight")
    # Leading dimensions of the activations fold into its rows.
    rows, lead = int(np.prod(a_shape[:-1])), [list(range(len(a_shape) - 1)), [len(a_shape) - 1]]
    a2 = imp.reshape(a, a_shape, [rows, a_shape[-1]], lead, expand=False)
    r, _ = matmul(imp, node, a2, [rows, a_shape[-1]], w.astype(np.float32), None, wssa)
    out = a_shape[:-1] + [w.shape[1]]
    return imp.reshape(r, [rows, w.shape[1]], out, lead, expand=True), out


def matmul(imp, node, a, a_shape, w, bias, wssa=None):
    """a x w (+ bias); `wssa` is the weights' value when already emitted
    (a QDQ model's dequantized weights), else w is emitted as a constant."""
    m, k = a_shape
    if w.shape[0] != k:
        imp.fail(node, f"K mismatch: {a_shape} x {list(w.shape)}")
    n = w.shape[1]
    if wssa is None:
        wssa = imp.fresh("w")
        imp.emit(f"{wssa} = arith.constant dense<{_dense(w)}> : {_ttype(w.shape)}")
    z = imp.zeros([m, n])
    r = imp.fresh("mm")
    imp.emit(f"{r} = linalg.matmul ins({a}, {wssa} : {_ttype(a_shape)}, {_ttype(w.shape)}) "
             f"outs({z} : {_ttype([m, n])}) -> {_ttype([m, n])} {_loc(node.name)}")
    if bias is None:
        return r, [m, n]
    bias = np.asarray(bias, np.float32)
    try:
        np.broadcast_shapes(bias.shape, (m, n))
    except ValueError:
        imp.fail(node, f"bias of shape {list(bias.shape)} does not broadcast to {[m, n]}")
    if bias.ndim == 2 and bias.shape[0] != 1:  # a per-row or full-matrix bias
        bshape = list(bias.shape)
    else:  # one value per column: what quant-fuse-layers folds
        bias, bshape = np.broadcast_to(bias.reshape(-1), (n,)).copy(), [n]
    bssa = imp.fresh("b")
    imp.emit(f"{bssa} = arith.constant dense<{_dense(bias)}> : {_ttype(bshape)}")
    out = imp.elementwise(node, [(r, [m, n]), (bssa, bshape)],
                          ["%s = arith.addf %a0, %a1 : f32", "linalg.yield %s : f32"], [m, n],
                          loc=f"{node.name}.bias")
    return out, [m, n]


def emit_conv(imp, node, x, xs, w, ws, group, strides, dil, elem):
    """NCHW convolution of a padded input with an FCHW filter (both SSA
    values of element type elem), grouped through linalg's NGCHW form."""
    oh = (xs[2] - dil[0] * (ws[2] - 1) - 1) // strides[0] + 1
    ow = (xs[3] - dil[1] * (ws[3] - 1) - 1) // strides[1] + 1
    out = [xs[0], ws[0], oh, ow]
    attrs = f"{{dilations = dense<{dil}> : tensor<2xi64>, strides = dense<{strides}> : tensor<2xi64>}}"
    r = imp.fresh("conv")
    if group == 1:
        z = imp.zeros(out, elem)
        imp.emit(f"{r} = linalg.conv_2d_nchw_fchw {attrs} ins({x}, {w} : {_ttype(xs, elem)}, "
                 f"{_ttype(ws, elem)}) outs({z} : {_ttype(out, elem)}) -> {_ttype(out, elem)} "
                 f"{_loc(node.name)}")
        return r, out
    g = group
    xs5, ws5 = [xs[0], g, xs[1] // g, xs[2], xs[3]], [g, ws[0] // g, ws[1], ws[2], ws[3]]
    out5 = [xs[0], g, ws[0] // g, oh, ow]
    x5 = imp.reshape(x, xs, xs5, [[0], [1, 2], [3], [4]], expand=True, elem=elem)
    w5 = imp.reshape(w, ws, ws5, [[0, 1], [2], [3], [4]], expand=True, elem=elem)
    z = imp.zeros(out5, elem)
    imp.emit(f"{r} = linalg.conv_2d_ngchw_gfchw {attrs} ins({x5}, {w5} : {_ttype(xs5, elem)}, "
             f"{_ttype(ws5, elem)}) outs({z} : {_ttype(out5, elem)}) -> {_ttype(out5, elem)} "
             f"{_loc(node.name)}")
    return imp.reshape(r, out5, out, [[0], [1, 2], [3], [4]], expand=False, elem=elem), out


@register("Conv", float_only=True)
def conv(imp, node):
    imp.check_attrs(node, {"pads", "strides", "dilations", "group", "kernel_shape", "auto_pad"})
    imp.inputs(node, 2, 1)
    x, xs = imp.materialize(node.input[0], node)
    w_shape = imp.shape_of(node.input[1])
    constant = imp.const_value(node.input[1]) is not None or node.input[1] in imp.dequantized_consts
    if not constant or w_shape is None or len(w_shape) != 4 or len(xs) != 4:
        imp.fail(node, "only 2-D convolutions (NCHW) with constant weights are supported")
    w = imp.const_value(node.input[1])
    w = imp.constant(node, node.input[1], "the weight") if w is not None else \
        np.zeros(w_shape, np.float32)  # the shape only: the values come from weight()
    group = imp.attr_int(node, "group", 1, lo=1)
    if xs[1] != w.shape[1] * group or w.shape[0] % group:
        imp.fail(node, f"channels of {xs} and {list(w.shape)} do not match group {group}")
    bias = None
    if imp.optional_input(node, 2):
        bias = imp.constant(node, node.input[2], "the bias")
        if bias.shape != (w.shape[0],):
            imp.fail(node, f"the bias must have {w.shape[0]} values (one per output channel), not shape "
                           f"{list(bias.shape)}")
    strides, dil = imp.window_attrs(node, w.shape[2:])
    pads = imp.pads_of(node, xs[2:], w.shape[2:], strides, dil)
    if group > 1 and group == xs[1] == w.shape[0]:
        return depthwise_conv(imp, node, x, xs, w, bias, pads, strides, dil)
    x, xs = imp.pad(x, xs, pads, "%zero")
    w, wssa = imp.weight(node, node.input[1], "the weight")
    if wssa is None:
        wssa = imp.fresh("w")
        imp.emit(f"{wssa} = arith.constant dense<{_dense(w.astype(np.float32))}> : {_ttype(w.shape)}")
    r, out = emit_conv(imp, node, x, xs, wssa, list(w.shape), group, strides, dil, "f32")
    if bias is None:
        return r, out
    bssa = imp.fresh("b")
    imp.emit(f"{bssa} = arith.constant dense<{_dense(bias.astype(np.float32))}> : {_ttype([out[1]])}")
    b3 = imp.expand(bssa, [out[1]], [out[1], 1, 1])
    res = imp.elementwise(node, [(r, out), (b3, [out[1], 1, 1])],
                          ["%s = arith.addf %a0, %a1 : f32", "linalg.yield %s : f32"], out,
                          loc=f"{node.name}.bias")
    return res, out


def depthwise_conv(imp, node, x, xs, w, bias, pads, strides, dil):
    """One filter per channel, as linalg's NHWC depthwise convolution
    (the form quant-fuse-layers and quant-rewrite-int8 know) between two
    transposes."""
    x, xs = imp.transpose(x, xs, [0, 2, 3, 1], f"{node.name}.nhwc")
    top, left, bottom, right = pads
    x, xs = imp.pad_nd(x, xs, [0, top, left, 0], [0, bottom, right, 0], "%zero")
    kh, kw = w.shape[2], w.shape[3]
    oh = (xs[1] - dil[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (xs[2] - dil[1] * (kw - 1) - 1) // strides[1] + 1
    out = [xs[0], oh, ow, xs[3]]
    # C x 1 x KH x KW -> KH x KW x C
    wd, wssa = imp.weight(node, node.input[1], "the weight", perm=[2, 3, 0, 1], shape=[kh, kw, xs[3]])
    wd = wd.astype(np.float32)
    r = imp.fresh("conv")
    if wssa is None:
        wssa = imp.fresh("w")
        imp.emit(f"{wssa} = arith.constant dense<{_dense(wd)}> : {_ttype(wd.shape)}")
    z = imp.zeros(out)
    imp.emit(f"{r} = linalg.depthwise_conv_2d_nhwc_hwc {{dilations = dense<{dil}> : tensor<2xi64>, "
             f"strides = dense<{strides}> : tensor<2xi64>}} ins({x}, {wssa} : {_ttype(xs)}, "
             f"{_ttype(wd.shape)}) outs({z} : {_ttype(out)}) -> {_ttype(out)} {_loc(node.name)}")
    if bias is not None:
        bssa = imp.fresh("b")
        imp.emit(f"{bssa} = arith.constant dense<{_dense(bias.astype(np.float32))}> : {_ttype([out[3]])}")
        r = imp.elementwise(node, [(r, out), (bssa, [out[3]])],
                            ["%s = arith.addf %a0, %a1 : f32", "linalg.yield %s : f32"], out,
                            loc=f"{node.name}.bias")
    return imp.transpose(r, out, [0, 3, 1, 2], f"{node.name}.nchw")


def _pool_input(imp, node):
    """(ssa, shape) of a 2-D pool's input and its kernel_shape, checked."""
    imp.inputs(node, 1)
    x, xs = imp.materialize(node.input[0], node)
    k = imp.attr_ints(node, "kernel_shape", None, lo=1)
    if k is None:
        imp.fail(node, "attribute 'kernel_shape' is required")
    if len(xs) != 4 or len(k) != 2:
        imp.fail(node, "only 2-D pooling (NCHW) is supported")
    return x, xs, k


@register("AveragePool", float_only=True)
def average_pool(imp, node):
    imp.check_attrs(node, {"kernel_shape", "pads", "strides", "auto_pad", "ceil_mode", "count_include_pad"})
    if imp.attr_int(node, "ceil_mode", 0, 0, 1):
        imp.fail(node, "ceil_mode is not supported")
    x, xs, k = _pool_input(imp, node)
    strides = imp.attr_ints(node, "strides", [1, 1], length=2, lo=1)
    include_pad = imp.attr_int(node, "count_include_pad", 0, 0, 1)
    pads = imp.pads_of(node, xs[2:], k, strides, [1, 1], inside_kernel=True)
    h, w = xs[2], xs[3]
    x, xs = imp.pad(x, xs, pads, "%zero")
    oh = (xs[2] - k[0]) // strides[0] + 1
    ow = (xs[3] - k[1]) // strides[1] + 1
    out = [xs[0], xs[1], oh, ow]
    win, r = imp.fresh("win"), imp.fresh("pool")
    imp.emit(f"{win} = tensor.empty() : {_ttype(k)}")
    z = imp.zeros(out)
    imp.emit(f"{r} = linalg.pooling_nchw_sum {{dilations = dense<1> : tensor<2xi64>, "
             f"strides = dense<{strides}> : tensor<2xi64>}} ins({x}, {win} : {_ttype(xs)}, {_ttype(k)}) "
             f"outs({z} : {_ttype(out)}) -> {_ttype(out)} {_loc(node.name + '.sum')}")
    if include_pad or not any(pads):
        return imp.elementwise(node, [(r, out)], [f"%n = arith.constant {float(k[0] * k[1])!r} : f32",
                                                  "%y = arith.divf %a0, %n : f32", "linalg.yield %y : f32"],
                               out), out

    # Without the padding, windows at the border hold fewer elements.
    def counts(size, n, kernel, stride, before):
        starts = np.arange(n) * stride - before
        return np.minimum(starts + kernel, size) - np.maximum(starts, 0)
    count = np.outer(counts(h, oh, k[0], strides[0], pads[0]), counts(w, ow, k[1], strides[1], pads[1]))
    c = imp.fresh("cnt")
    imp.emit(f"{c} = arith.constant dense<{_dense(count.astype(np.float32))}> : {_ttype([oh, ow])}")
    return imp.elementwise(node, [(r, out), (c, [oh, ow])],
                           ["%y = arith.divf %a0, %a1 : f32", "linalg.yield %y : f32"], out), out


@register("MaxPool", float_only=True)
def max_pool(imp, node):
    imp.check_attrs(node, {"kernel_shape", "pads", "strides", "dilations", "auto_pad", "ceil_mode",
                           "storage_order"})
    if imp.attr_int(node, "ceil_mode", 0, 0, 1) or len(node.output) > 1:
        imp.fail(node, "ceil_mode and the indices output are not supported")
    imp.attr_int(node, "storage_order", 0, 0, 1)  # orders the indices only
    x, xs, k = _pool_input(imp, node)
    strides = imp.attr_ints(node, "strides", [1, 1], length=2, lo=1)
    dil = imp.attr_ints(node, "dilations", [1, 1], length=2, lo=1)
    pads = imp.pads_of(node, xs[2:], k, strides, dil, inside_kernel=True)
    imp.once("%ninf", "%ninf = arith.constant 0xFF800000 : f32")
    x, xs = imp.pad(x, xs, pads, "%ninf")
    oh = (xs[2] - dil[0] * (k[0] - 1) - 1) // strides[0] + 1
    ow = (xs[3] - dil[1] * (k[1] - 1) - 1) // strides[1] + 1
    out = [xs[0], xs[1], oh, ow]
    win, e, init, r = imp.fresh("win"), imp.fresh("e"), imp.fresh("init"), imp.fresh("pool")
    imp.emit(f"{win} = tensor.empty() : {_ttype(k)}")
    imp.emit(f"{e} = tensor.empty() : {_ttype(out)}")
    imp.emit(f"{init} = linalg.fill ins(%ninf : f32) outs({e} : {_ttype(out)}) -> {_ttype(out)}")
    imp.emit(f"{r} = linalg.pooling_nchw_max {{dilations = dense<{dil}> : tensor<2xi64>, "
             f"strides = dense<{strides}> : tensor<2xi64>}} ins({x}, {win} : {_ttype(xs)}, {_ttype(k)}) "
             f"outs({init} : {_ttype(out)}) -> {_ttype(out)} {_loc(node.name)}")
    return r, out


@register("GlobalAveragePool", float_only=True)
def global_average_pool(imp, node):
    imp.check_attrs(node, set())
    imp.inputs(node, 1)
    x, xs = imp.materialize(node.input[0], node)
    if len(xs) != 4:
        imp.fail(node, "only NCHW inputs are supported")
    red, out = [xs[0], xs[1]], [xs[0], xs[1], 1, 1]
    z, r = imp.zeros(red), imp.fresh("sum")
    imp.emit(f"{r} = linalg.generic {{indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, "
             f"affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = [\"parallel\", "
             f"\"parallel\", \"reduction\", \"reduction\"]}} ins({x} : {_ttype(xs)}) outs({z} : {_ttype(red)}) {{")
    imp.emit("^bb0(%a0: f32, %acc: f32):")
    imp.emit("  %s = arith.addf %acc, %a0 : f32")
    imp.emit("  linalg.yield %s : f32")
    imp.emit(f"}} -> {_ttype(red)} {_loc(node.name + '.sum')}")
    r4 = imp.fresh("x")
    imp.emit(f"{r4} = tensor.expand_shape {r} [[0], [1, 2, 3]] output_shape {out} : "
             f"{_ttype(red)} into {_ttype(out)}")
    count = imp.fresh("n")
    imp.emit(f"{count} = arith.constant {float(xs[2] * xs[3]):e} : f32")
    return imp.elementwise(node, [(r4, out)], [f"%y = arith.divf %a0, {count} : f32", "linalg.yield %y : f32"],
                           out), out


@register("BatchNormalization", float_only=True)
def batch_normalization(imp, node):
    imp.check_attrs(node, {"epsilon", "momentum", "training_mode"})
    imp.inputs(node, 5)
    if imp.attr_int(node, "training_mode", 0, 0, 1):
        imp.fail(node, "training mode is not supported")
    imp.attr_float(node, "momentum", 0.9)  # used in training only
    x, xs = imp.materialize(node.input[0], node)
    if len(xs) < 2:
        imp.fail(node, f"the input must have a channel dimension, not shape {xs}")
    params = [imp.const_value(n) for n in node.input[1:5]]
    if any(p is None for p in params):
        imp.fail(node, "scale, bias, mean and variance must be constants")
    for what, name, p in zip(("scale", "bias", "mean", "variance"), node.input[1:5], params):
        if p.shape != (xs[1],) or p.dtype.kind != "f":
            imp.fail(node, f"{what} '{name}' must be a float vector of {xs[1]} values (one per channel), "
                           f"not {p.dtype} of shape {list(p.shape)}")
    gamma, beta, mean, var = (p.astype(np.float64) for p in params)
    eps = imp.attr_float(node, "epsilon", 1e-5, lo=0)
    # The inference form as one per-channel scale and shift, which
    # quant-fuse-layers folds into a preceding convolution.
    a = gamma / np.sqrt(var + eps)
    b = beta - mean * a
    if not (np.all(np.isfinite(a.astype(np.float32))) and np.all(np.isfinite(b.astype(np.float32)))):
        imp.fail(node, "variance + epsilon must be positive and the parameters finite")
    channel = [xs[1]] + [1] * (len(xs) - 2)
    sa, sb = imp.fresh("bn_a"), imp.fresh("bn_b")
    imp.emit(f"{sa} = arith.constant dense<{_dense(a.astype(np.float32))}> : {_ttype([xs[1]])}")
    imp.emit(f"{sb} = arith.constant dense<{_dense(b.astype(np.float32))}> : {_ttype([xs[1]])}")
    # Broadcast the 1-D constants along the channel dimension.
    ra = imp.expand(sa, [xs[1]], channel)
    rb = imp.expand(sb, [xs[1]], channel)
    return imp.elementwise(node, [(x, xs), (ra, channel), (rb, channel)],
                           ["%m = arith.mulf %a0, %a1 : f32", "%s = arith.addf %m, %a2 : f32",
                            "linalg.yield %s : f32"], xs), xs


@register("LayerNormalization", float_only=True)
def layer_normalization(imp, node):
    imp.check_attrs(node, {"axis", "epsilon", "stash_type"})
    imp.inputs(node, 2, 1)
    if imp.attr_int(node, "stash_type", 1) != 1:
        imp.fail(node, "only float statistics (stash_type 1) are supported")
    x, xs = imp.materialize(node.input[0], node)
    axis = imp.axis(node, imp.attr_int(node, "axis", -1), len(xs))
    axes = list(range(axis, len(xs)))
    count = float(np.prod(xs[axis:]))
    eps = float(np.float32(imp.attr_float(node, "epsilon", 1e-5, lo=0)))
    # As ONNX's reference: d = x - mean, var = mean(d * d),
    # y = d * (1 / sqrt(var + epsilon)) * scale + bias.
    s, keep = imp.reduce(node, x, xs, axes, loc=f"{node.name}.mean")
    d = imp.elementwise(node, [(x, xs), (s, keep)],
                        [f"%n = arith.constant {count!r} : f32", "%m = arith.divf %a1, %n : f32",
                         "%y = arith.subf %a0, %m : f32", "linalg.yield %y : f32"], xs, loc=f"{node.name}.center")
    v, _ = imp.reduce(node, d, xs, axes, squares=True, loc=f"{node.name}.var")
    inv = imp.elementwise(node, [(v, keep)],
                          [f"%n = arith.constant {count!r} : f32", f"%eps = arith.constant {eps!r} : f32",
                           "%one = arith.constant 1.0 : f32", "%var = arith.divf %a0, %n : f32",
                           "%ve = arith.addf %var, %eps : f32", "%sd = math.sqrt %ve : f32",
                           "%y = arith.divf %one, %sd : f32", "linalg.yield %y : f32"], keep,
                          loc=f"{node.name}.invstd")
    if len(node.output) > 1 and node.output[1]:
        imp.values[node.output[1]] = (imp.elementwise(
            node, [(s, keep)], [f"%n = arith.constant {count!r} : f32", "%y = arith.divf %a0, %n : f32",
                                "linalg.yield %y : f32"], keep, loc=f"{node.name}.mean"), keep)
    if len(node.output) > 2 and node.output[2]:
        imp.values[node.output[2]] = (inv, keep)
    inputs = [(d, xs), (inv, keep), imp.materialize(node.input[1], node)]
    body = ["%nrm = arith.mulf %a0, %a1 : f32", "%y = arith.mulf %nrm, %a2 : f32"]
    if imp.optional_input(node, 2):
        inputs.append(imp.materialize(node.input[2], node))
        body = ["%nrm = arith.mulf %a0, %a1 : f32", "%sc = arith.mulf %nrm, %a2 : f32",
                "%y = arith.addf %sc, %a3 : f32"]
    return imp.elementwise(node, inputs, body + ["linalg.yield %y : f32"], xs), xs


@register("Softmax", float_only=True)
def softmax(imp, node):
    imp.check_attrs(node, {"axis"})
    imp.inputs(node, 1)
    x, xs = imp.materialize(node.input[0], node)
    axis = imp.attr_int(node, "axis", -1)
    if axis not in (-1, len(xs) - 1) or len(xs) != 2:
        imp.fail(node, "only softmax over the last axis of a 2-D tensor is supported")
    n, c = xs
    red = [n]
    maps_in = "affine_map<(d0, d1) -> (d0, d1)>"
    maps_red = "affine_map<(d0, d1) -> (d0)>"
    e1, mx, e2, sm = imp.fresh("e"), imp.fresh("max"), imp.fresh("e"), imp.fresh("sum")
    imp.once("%ninf_s", "%ninf_s = arith.constant 0xFF800000 : f32")
    imp.emit(f"{e1} = tensor.empty() : {_ttype(red)}")
    f1 = imp.fresh("f")
    imp.emit(f"{f1} = linalg.fill ins(%ninf_s : f32) outs({e1} : {_ttype(red)}) -> {_ttype(red)}")
    imp.emit(f"{mx} = linalg.generic {{indexing_maps = [{maps_in}, {maps_red}], iterator_types = "
             f"[\"parallel\", \"reduction\"]}} ins({x} : {_ttype(xs)}) outs({f1} : {_ttype(red)}) {{")
    imp.emit("^bb0(%a0: f32, %acc: f32):")
    imp.emit("  %m = arith.maximumf %acc, %a0 : f32")
    imp.emit("  linalg.yield %m : f32")
    imp.emit(f"}} -> {_ttype(red)}")
    mx2 = imp.expand(mx, red, [n, 1])
    ex = imp.elementwise(node, [(x, xs), (mx2, [n, 1])],
                         ["%d = arith.subf %a0, %a1 : f32", "%y = math.exp %d : f32", "linalg.yield %y : f32"], xs)
    imp.emit(f"{e2} = tensor.empty() : {_ttype(red)}")
    f2 = imp.fresh("f")
    imp.emit(f"{f2} = linalg.fill ins(%zero : f32) outs({e2} : {_ttype(red)}) -> {_ttype(red)}")
    imp.emit(f"{sm} = linalg.generic {{indexing_maps = [{maps_in}, {maps_red}], iterator_types = "
             f"[\"parallel\", \"reduction\"]}} ins({ex} : {_ttype(xs)}) outs({f2} : {_ttype(red)}) {{")
    imp.emit("^bb0(%a0: f32, %acc: f32):")
    imp.emit("  %s = arith.addf %acc, %a0 : f32")
    imp.emit("  linalg.yield %s : f32")
    imp.emit(f"}} -> {_ttype(red)}")
    sm2 = imp.expand(sm, red, [n, 1])
    return imp.elementwise(node, [(ex, xs), (sm2, [n, 1])],
                           ["%y = arith.divf %a0, %a1 : f32", "linalg.yield %y : f32"], xs), xs
