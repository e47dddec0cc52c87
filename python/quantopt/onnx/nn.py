"""Neural-network ONNX operators on f32 tensors: Gemm, MatMul (of weights
or of two computed values), Conv (1-D to 3-D, grouped and depthwise),
MaxPool, AveragePool (1-D to 3-D), GlobalAveragePool, GlobalMaxPool,
BatchNormalization, LayerNormalization, Softmax, LogSoftmax. Convolution
weights must be constants.
"""
import collections

import numpy as np

from .core import _dense, _loc, _ttype
from .registry import register
from .tensor import reshape_value


@register("Gemm", float_only=True)
def gemm(imp, node):
    # broadcast (before opset 7) allows a C that broadcasts, as later opsets
    # always do; without it C must already be M x N.
    imp.check_attrs(node, {"alpha", "beta", "transA", "transB"} | ({"broadcast"} if imp.opset() < 7 else set()))
    imp.inputs(node, 2, 1)
    alpha, beta = imp.attr_float(node, "alpha", 1.0), imp.attr_float(node, "beta", 1.0)
    a, a_shape = imp.materialize(node.input[0], node)
    if len(a_shape) != 2:
        imp.fail(node, f"A must be 2-D, not of shape {a_shape}")
    if imp.attr_int(node, "transA", 0, 0, 1):
        a, a_shape = imp.transpose(a, a_shape, [1, 0], f"{node.name}.transA")
    if imp.shape_of(node.input[1]) is None or len(imp.shape_of(node.input[1])) != 2:
        imp.fail(node, "B must be 2-D")
    trans = imp.attr_int(node, "transB", 0, 0, 1)
    if imp.const_value(node.input[1]) is None and node.input[1] not in imp.dequantized_consts:
        return _gemm_of_values(imp, node, (a, a_shape), trans, alpha, beta)
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


def _gemm_of_values(imp, node, a, trans_b, alpha, beta):
    """Gemm whose B is computed: alpha * A x B (+ beta * C)."""
    b = imp.materialize(node.input[1], node)
    if trans_b:
        b = imp.transpose(b[0], b[1], [1, 0], f"{node.name}.transB")
    r, out = matmul_values(imp, node, a, b)
    if alpha != 1.0:
        r = imp.elementwise(node, [(r, out)], [f"%alpha = arith.constant {float(np.float32(alpha))!r} : f32",
                                               "%y = arith.mulf %a0, %alpha : f32", "linalg.yield %y : f32"],
                            out, loc=f"{node.name}.alpha")
    c_name = imp.optional_input(node, 2)
    if not c_name:
        return r, out
    c = imp.materialize(c_name, node)
    try:
        if list(np.broadcast_shapes(tuple(c[1]), tuple(out))) != out:
            raise ValueError
    except ValueError:
        imp.fail(node, f"C of shape {c[1]} does not broadcast to {out}")
    return imp.elementwise(node, [(r, out), c], [f"%beta = arith.constant {float(np.float32(beta))!r} : f32",
                                                 "%bc = arith.mulf %a1, %beta : f32",
                                                 "%y = arith.addf %a0, %bc : f32", "linalg.yield %y : f32"],
                           out, loc=f"{node.name}.bias"), out


@register("MatMul", float_only=True)
def matmul_op(imp, node):
    imp.check_attrs(node, set())
    imp.inputs(node, 2)
    a, a_shape = imp.materialize(node.input[0], node)
    w_shape = imp.shape_of(node.input[1])
    constant = imp.const_value(node.input[1]) is not None or node.input[1] in imp.dequantized_consts
    if not constant or len(a_shape) < 2 or len(w_shape) != 2:
        return batch_matmul(imp, node)
    w, wssa = imp.weight(node, node.input[1], "the weight")
    # Leading dimensions of the activations fold into its rows.
    rows, lead = int(np.prod(a_shape[:-1])), [list(range(len(a_shape) - 1)), [len(a_shape) - 1]]
    a2 = imp.reshape(a, a_shape, [rows, a_shape[-1]], lead, expand=False)
    r, _ = matmul(imp, node, a2, [rows, a_shape[-1]], w.astype(np.float32), None, wssa)
    out = a_shape[:-1] + [w.shape[1]]
    return imp.reshape(r, [rows, w.shape[1]], out, lead, expand=True), out


def batch_matmul(imp, node):
    """MatMul where the right operand is computed (or a constant of rank
    other than 2)."""
    return matmul_values(imp, node, imp.materialize(node.input[0], node), imp.materialize(node.input[1], node))


def matmul_values(imp, node, a, b):
    """The product of two values with NumPy's matmul rules: 1-D operands
    get a unit row or column, batch dimensions broadcast and fold into one,
    and the product is linalg.batch_matmul (linalg.matmul without batch
    dimensions), the form attention lowers to."""
    (a, a_shape), (b, b_shape) = a, b
    if not a_shape or not b_shape:
        imp.fail(node, "scalars cannot be multiplied as matrices")
    a_vector, b_vector = len(a_shape) == 1, len(b_shape) == 1
    if a_vector:
        a, a_shape = imp.reshape(a, a_shape, [1] + a_shape, [[0, 1]], expand=True), [1] + a_shape
    if b_vector:
        b, b_shape = imp.reshape(b, b_shape, b_shape + [1], [[0, 1]], expand=True), b_shape + [1]
    (m, k), (k2, n) = a_shape[-2:], b_shape[-2:]
    if k != k2:
        imp.fail(node, f"K mismatch: {a_shape} x {b_shape}")
    try:
        batch = list(np.broadcast_shapes(tuple(a_shape[:-2]), tuple(b_shape[:-2])))
    except ValueError:
        imp.fail(node, f"batch dimensions of {a_shape} and {b_shape} do not broadcast")
    out = batch + [m, n]
    if not batch:
        z, r = imp.zeros(out), imp.fresh("mm")
        imp.emit(f"{r} = linalg.matmul ins({a}, {b} : {_ttype(a_shape)}, {_ttype(b_shape)}) "
                 f"outs({z} : {_ttype(out)}) -> {_ttype(out)} {_loc(node.name)}")
    else:
        count = int(np.prod(batch))
        operands = []
        for x, xs, what in ((a, a_shape, "a"), (b, b_shape, "b")):
            full = batch + xs[-2:]
            if xs != full:  # broadcast the batch dimensions
                x = imp.elementwise(node, [(x, xs)], ["linalg.yield %a0 : f32"], full,
                                    loc=f"{node.name}.broadcast_{what}")
            folded = [count] + xs[-2:]
            operands.append((imp.reshape(x, full, folded, [list(range(len(batch))), [len(batch)],
                                                            [len(batch) + 1]], expand=False), folded))
        (a3, a3s), (b3, b3s) = operands
        out3 = [count, m, n]
        z, r3 = imp.zeros(out3), imp.fresh("bmm")
        imp.emit(f"{r3} = linalg.batch_matmul ins({a3}, {b3} : {_ttype(a3s)}, {_ttype(b3s)}) "
                 f"outs({z} : {_ttype(out3)}) -> {_ttype(out3)} {_loc(node.name)}")
        r = imp.reshape(r3, out3, out, [list(range(len(batch))), [len(batch)], [len(batch) + 1]], expand=True)
    # Drop the unit row or column a 1-D operand got.
    final = out[:-2] + ([] if a_vector else [m]) + ([] if b_vector else [n])
    return reshape_value(imp, r, out, final, "f32", None), final


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


def add_channel_bias(imp, node, r, out, bias):
    """r (N x C x spatial...) plus a constant per-channel bias: the bias
    add quant-fuse-layers folds into the convolution before it."""
    bssa = imp.fresh("b")
    imp.emit(f"{bssa} = arith.constant dense<{_dense(bias.astype(np.float32))}> : {_ttype([out[1]])}")
    channel = [out[1]] + [1] * (len(out) - 2)
    bc = imp.expand(bssa, [out[1]], channel)
    return imp.elementwise(node, [(r, out), (bc, channel)],
                           ["%s = arith.addf %a0, %a1 : f32", "linalg.yield %s : f32"], out,
                           loc=f"{node.name}.bias")


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
    """1-D and 2-D convolutions; a 1-D one is a 2-D one over a unit H."""
    imp.check_attrs(node, {"pads", "strides", "dilations", "group", "kernel_shape", "auto_pad"})
    imp.inputs(node, 2, 1)
    x, xs = imp.materialize(node.input[0], node)
    w_shape = imp.shape_of(node.input[1])
    constant = imp.const_value(node.input[1]) is not None or node.input[1] in imp.dequantized_consts
    if not constant or w_shape is None or len(w_shape) not in (3, 4, 5) or len(xs) != len(w_shape):
        imp.fail(node, "only 1-D, 2-D and 3-D convolutions (NCW, NCHW, NCDHW) with constant weights are supported")
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
    if len(xs) == 4:
        return _conv_2d(imp, node, x, xs, w, bias, group, strides, dil, pads, None)
    if len(xs) == 5:
        return _conv_3d(imp, node, x, xs, w.shape, bias, group, strides, dil, pads)
    lifted = [xs[0], xs[1], 1, xs[2]]
    x = imp.reshape(x, xs, lifted, [[0], [1], [2, 3]], expand=True)
    w4 = [w.shape[0], w.shape[1], 1, w.shape[2]]
    r, out = _conv_2d(imp, node, x, lifted, w.reshape(w4), bias, group, [1] + strides, [1] + dil,
                      [0, pads[0], 0, pads[1]], w4)
    out3 = [out[0], out[1], out[3]]
    return imp.reshape(r, out, out3, [[0], [1], [2, 3]], expand=False), out3


def _conv_3d(imp, node, x, xs, w_shape, bias, group, strides, dil, pads):
    """NCDHW convolution (any group) as a linalg.generic over (n, group,
    filter, od, oh, ow, channel, kd, kh, kw): linalg has no grouped 3-D
    convolution. It stays float through the INT8 rewrite (with a remark)."""
    x, xs = imp.pad_nd(x, xs, [0, 0] + pads[:3], [0, 0] + pads[3:], "%zero")
    w, wssa = imp.weight(node, node.input[1], "the weight")
    if wssa is None:
        wssa = imp.fresh("w")
        imp.emit(f"{wssa} = arith.constant dense<{_dense(w.astype(np.float32))}> : {_ttype(w.shape)}")
    g, f, c = group, w_shape[0] // group, w_shape[1]
    kernel = list(w_shape[2:])
    spatial_out = [(xs[2 + i] - dil[i] * (kernel[i] - 1) - 1) // strides[i] + 1 for i in range(3)]
    xs6, ws6, out6 = [xs[0], g, c] + xs[2:], [g, f, c] + kernel, [xs[0], g, f] + spatial_out
    x6 = imp.reshape(x, xs, xs6, [[0], [1, 2], [3], [4], [5]], expand=True)
    w6 = imp.reshape(wssa, list(w_shape), ws6, [[0, 1], [2], [3], [4], [5]], expand=True)
    loops = ["n", "g", "f", "o0", "o1", "o2", "c", "k0", "k1", "k2"]
    spatial = [f"o{i} * {strides[i]} + k{i} * {dil[i]}" for i in range(3)]
    head = f"affine_map<({', '.join(loops)}) -> "
    maps = [head + f"(n, g, c, {', '.join(spatial)})>", head + "(g, f, c, k0, k1, k2)>",
            head + "(n, g, f, o0, o1, o2)>"]
    iterators = ", ".join(['"parallel"'] * 6 + ['"reduction"'] * 4)
    z, r = imp.zeros(out6), imp.fresh("conv")
    imp.emit(f"{r} = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = [{iterators}]}} "
             f"ins({x6}, {w6} : {_ttype(xs6)}, {_ttype(ws6)}) outs({z} : {_ttype(out6)}) {{")
    imp.emit("^bb0(%a0: f32, %a1: f32, %acc: f32):")
    imp.emit("  %p = arith.mulf %a0, %a1 : f32")
    imp.emit("  %s = arith.addf %acc, %p : f32")
    imp.emit("  linalg.yield %s : f32")
    imp.emit(f"}} -> {_ttype(out6)} {_loc(node.name)}")
    out = [xs[0], g * f] + spatial_out
    r = imp.reshape(r, out6, out, [[0], [1, 2], [3], [4], [5]], expand=False)
    return (r if bias is None else add_channel_bias(imp, node, r, out, bias)), out


def _conv_2d(imp, node, x, xs, w, bias, group, strides, dil, pads, lifted_weight):
    """The NCHW convolution of conv(); `lifted_weight` is the 2-D shape of
    a 1-D convolution's weight (None for a 2-D one)."""
    if group > 1 and group == xs[1] == w.shape[0]:
        return depthwise_conv(imp, node, x, xs, w, bias, pads, strides, dil, lifted_weight)
    x, xs = imp.pad(x, xs, pads, "%zero")
    w, wssa = imp.weight(node, node.input[1], "the weight", shape=lifted_weight)
    if wssa is None:
        wssa = imp.fresh("w")
        imp.emit(f"{wssa} = arith.constant dense<{_dense(w.astype(np.float32))}> : {_ttype(w.shape)}")
    r, out = emit_conv(imp, node, x, xs, wssa, list(w.shape), group, strides, dil, "f32")
    return (r if bias is None else add_channel_bias(imp, node, r, out, bias)), out


def depthwise_conv(imp, node, x, xs, w, bias, pads, strides, dil, lifted_weight=None):
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
    perm = [2, 3, 0, 1] if lifted_weight is None else [2, 0, 1]  # a 1-D weight: C x 1 x KW
    wd, wssa = imp.weight(node, node.input[1], "the weight", perm=perm, shape=[kh, kw, xs[3]])
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


Window = collections.namedtuple("Window", "x xs kernel strides dil begins ends explicit_ends out one_d")


def _pool_window(imp, node, dilations):
    """The input and geometry of a 1-D or 2-D pool, a 1-D one lifted to
    2-D (a unit H). `ends` holds the end padding ceil_mode adds on top
    of the explicit one (`explicit_ends`); `out` is the 2-D output size."""
    imp.inputs(node, 1)
    x, xs = imp.materialize(node.input[0], node)
    k = imp.attr_ints(node, "kernel_shape", None, lo=1)
    if k is None:
        imp.fail(node, "attribute 'kernel_shape' is required")
    if len(xs) not in (3, 4, 5) or len(k) != len(xs) - 2:
        imp.fail(node, f"only 1-D, 2-D and 3-D pooling (NCW, NCHW, NCDHW) is supported, not a {len(k)}-D "
                       f"kernel on {xs}")
    rank = len(k)
    strides, dil = imp.window_attrs(node, k, dilations)
    pads = imp.pads_of(node, xs[2:], k, strides, dil, inside_kernel=True)
    ceil = imp.attr_int(node, "ceil_mode", 0, 0, 1)
    out, ends = [], []
    for i, (n, kk, st, d) in enumerate(zip(xs[2:], k, strides, dil)):
        padded, extent = n + pads[i] + pads[i + rank], d * (kk - 1) + 1
        o = (padded - extent) // st + 1
        if ceil:  # as PyTorch: the last window must start inside the input or its begin padding
            o = -(-(padded - extent) // st) + 1
            if (o - 1) * st >= n + pads[i]:
                o -= 1
        out.append(o)
        ends.append(pads[i + rank] + max(0, (o - 1) * st + extent - padded))
    begins, explicit = pads[:rank], pads[rank:]
    if rank == 1:
        lifted = [xs[0], xs[1], 1, xs[2]]
        x = imp.reshape(x, xs, lifted, [[0], [1], [2, 3]], expand=True)
        xs, k, strides, dil = lifted, [1] + k, [1] + strides, [1] + dil
        begins, ends, explicit, out = [0] + begins, [0] + ends, [0] + explicit, [1] + out
    return Window(x, xs, k, strides, dil, begins, ends, explicit, [xs[0], xs[1]] + out, rank == 1)


def _pool_result(imp, win, r):
    """A pool's 2-D result back in its input's rank."""
    if not win.one_d:
        return r, win.out
    out = [win.out[0], win.out[1], win.out[3]]
    return imp.reshape(r, win.out, out, [[0], [1], [2, 3]], expand=False), out


@register("AveragePool", float_only=True)
def average_pool(imp, node):
    imp.check_attrs(node, {"kernel_shape", "pads", "strides", "auto_pad", "ceil_mode", "count_include_pad"})
    win = _pool_window(imp, node, dilations=False)
    include_pad = imp.attr_int(node, "count_include_pad", 0, 0, 1)
    x, xs = imp.pad_nd(win.x, win.xs, [0, 0] + win.begins, [0, 0] + win.ends, "%zero")
    k, out = win.kernel, win.out
    r = _pooling(imp, x, xs, win, "sum", imp.zeros(out), node.name + ".sum")

    # Each window's element count: the input (and, with count_include_pad,
    # the explicit padding) it covers; ceil_mode's extra padding never counts.
    def counts(i):
        size, before, after = win.xs[2 + i], win.begins[i], win.explicit_ends[i]
        lo, hi = (-before, size + after) if include_pad else (0, size)
        starts = np.arange(out[2 + i]) * win.strides[i] - before
        return np.minimum(starts + k[i], hi) - np.maximum(starts, lo)
    count = counts(0)
    for i in range(1, len(k)):
        count = np.multiply.outer(count, counts(i))
    count = count.astype(np.float32)
    if np.all(count == count.flat[0]):
        res = imp.elementwise(node, [(r, out)], [f"%n = arith.constant {float(count.flat[0])!r} : f32",
                                                 "%y = arith.divf %a0, %n : f32", "linalg.yield %y : f32"], out)
    else:
        c = imp.fresh("cnt")
        imp.emit(f"{c} = arith.constant dense<{_dense(count)}> : {_ttype(list(count.shape))}")
        res = imp.elementwise(node, [(r, out), (c, list(count.shape))],
                              ["%y = arith.divf %a0, %a1 : f32", "linalg.yield %y : f32"], out)
    return _pool_result(imp, win, res)


@register("MaxPool", float_only=True)
def max_pool(imp, node):
    imp.check_attrs(node, {"kernel_shape", "pads", "strides", "dilations", "auto_pad", "ceil_mode",
                           "storage_order"})
    if len(node.output) > 1 and node.output[1]:
        imp.fail(node, "the indices output is not supported")
    imp.attr_int(node, "storage_order", 0, 0, 1)  # orders the indices only
    win = _pool_window(imp, node, dilations=True)
    imp.once("%ninf", "%ninf = arith.constant 0xFF800000 : f32")
    x, xs = imp.pad_nd(win.x, win.xs, [0, 0] + win.begins, [0, 0] + win.ends, "%ninf")
    k, out = win.kernel, win.out
    e, init = imp.fresh("e"), imp.fresh("init")
    imp.emit(f"{e} = tensor.empty() : {_ttype(out)}")
    imp.emit(f"{init} = linalg.fill ins(%ninf : f32) outs({e} : {_ttype(out)}) -> {_ttype(out)}")
    return _pool_result(imp, win, _pooling(imp, x, xs, win, "max", init, node.name))


def _pooling(imp, x, xs, win, kind, init, loc):
    """Sum or max pooling of the padded x into init: linalg's NCHW pooling
    (what quant-rewrite-int8 knows) in 2-D, a linalg.generic over the
    window in 3-D (linalg has no NCDHW pooling)."""
    k, out, r = win.kernel, win.out, imp.fresh("pool")
    window = imp.fresh("win")
    imp.emit(f"{window} = tensor.empty() : {_ttype(k)}")
    if len(k) == 2:
        imp.emit(f"{r} = linalg.pooling_nchw_{kind} {{dilations = dense<{win.dil}> : tensor<2xi64>, "
                 f"strides = dense<{win.strides}> : tensor<2xi64>}} ins({x}, {window} : {_ttype(xs)}, "
                 f"{_ttype(k)}) outs({init} : {_ttype(out)}) -> {_ttype(out)} {_loc(loc)}")
        return r
    rank = len(k)
    loops = ["n", "c"] + [f"o{i}" for i in range(rank)] + [f"k{i}" for i in range(rank)]
    spatial = [f"o{i} * {win.strides[i]} + k{i} * {win.dil[i]}" for i in range(rank)]
    maps = [f"affine_map<({', '.join(loops)}) -> (n, c, {', '.join(spatial)})>",
            f"affine_map<({', '.join(loops)}) -> ({', '.join(f'k{i}' for i in range(rank))})>",
            f"affine_map<({', '.join(loops)}) -> (n, c, {', '.join(f'o{i}' for i in range(rank))})>"]
    iterators = ", ".join(['"parallel"'] * (2 + rank) + ['"reduction"'] * rank)
    imp.emit(f"{r} = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = [{iterators}]}} "
             f"ins({x}, {window} : {_ttype(xs)}, {_ttype(k)}) outs({init} : {_ttype(out)}) {{")
    imp.emit("^bb0(%a0: f32, %a1: f32, %acc: f32):")
    imp.emit(f"  %s = arith.{'addf' if kind == 'sum' else 'maximumf'} %acc, %a0 : f32")
    imp.emit("  linalg.yield %s : f32")
    imp.emit(f"}} -> {_ttype(out)} {_loc(loc)}")
    return r


def _global_pool(imp, node, combine, init):
    imp.check_attrs(node, set())
    imp.inputs(node, 1)
    x, xs = imp.materialize(node.input[0], node)
    if len(xs) < 3:
        imp.fail(node, f"the input must be N x C x spatial dimensions, not of shape {xs}")
    return imp.reduce(node, x, xs, list(range(2, len(xs))), combine=combine, init=init, loc=f"{node.name}.sum")


def spatial_mean(imp, node, x, xs):
    """The mean of x (N x C x 1 to 3 spatial dimensions) over its spatial
    dimensions, kept as units: (ssa, shape). An NCHW sum pooling with one
    window over the image (the form quant-rewrite-int8 puts on the
    integers, as MobileNetV3's squeeze-excite blocks need), a 1-D image
    lifted to one row and a 3-D one's depth and height collapsed into one."""
    groups = {3: [[0], [1], [2, 3]], 4: [[0], [1], [2], [3]], 5: [[0], [1], [2, 3], [4]]}[len(xs)]
    image = [xs[0], xs[1], int(np.prod(xs[2:-1])), xs[-1]]
    x4 = x if len(xs) == 4 else imp.reshape(x, xs, image, groups, expand=len(xs) == 3)
    pooled = [xs[0], xs[1], 1, 1]
    win = Window(x4, image, image[2:], [1, 1], [1, 1], [0, 0], [0, 0], [0, 0], pooled, False)
    r = _pooling(imp, x4, image, win, "sum", imp.zeros(pooled), node.name + ".sum")
    count = float(np.prod(xs[2:]))
    r = imp.elementwise(node, [(r, pooled)], [f"%n = arith.constant {count!r} : f32",
                                              "%y = arith.divf %a0, %n : f32", "linalg.yield %y : f32"], pooled)
    out = xs[:2] + [1] * (len(xs) - 2)
    return (r if len(xs) == 4 else imp.reshape(r, pooled, out, groups, expand=len(xs) == 5)), out


@register("GlobalAveragePool", float_only=True)
def global_average_pool(imp, node):
    """The mean over the spatial dimensions: an average pooling (see
    spatial_mean) for 1-D to 3-D images, a reduction beyond."""
    imp.check_attrs(node, set())
    imp.inputs(node, 1)
    x, xs = imp.materialize(node.input[0], node)
    if len(xs) in (3, 4, 5):
        return spatial_mean(imp, node, x, xs)
    r, out = _global_pool(imp, node, "arith.addf", "%zero")
    count = float(np.prod(xs[2:]))
    return imp.elementwise(node, [(r, out)], [f"%n = arith.constant {count!r} : f32",
                                              "%y = arith.divf %a0, %n : f32", "linalg.yield %y : f32"], out), out


@register("GlobalMaxPool", float_only=True)
def global_max_pool(imp, node):
    imp.once("%ninf", "%ninf = arith.constant 0xFF800000 : f32")
    return _global_pool(imp, node, "arith.maximumf", "%ninf")


@register("BatchNormalization", float_only=True)
def batch_normalization(imp, node):
    imp.check_attrs(node, {"epsilon", "momentum", "training_mode", "is_test", "spatial"})
    imp.inputs(node, 5)
    if imp.attr_int(node, "training_mode", 0, 0, 1):
        imp.fail(node, "training mode is not supported")
    # Before opset 7: is_test=0 is training; spatial=0 normalizes per element.
    if imp.opset() < 7 and not imp.attr_int(node, "is_test", 0, 0, 1):
        imp.fail(node, "training mode (is_test 0) is not supported")
    if not imp.attr_int(node, "spatial", 1, 0, 1):
        imp.fail(node, "spatial 0 (statistics per element) is not supported")
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


def _centered(imp, node, x, xs, axes):
    """As ONNX's normalizations compute their statistics over `axes`:
    (the sum of x, d = x - mean, the sum of d * d, the kept shape, the
    count), the sums with unit dimensions kept."""
    count = float(np.prod([xs[a] for a in axes]))
    s, keep = imp.reduce(node, x, xs, axes, loc=f"{node.name}.mean")
    d = imp.elementwise(node, [(x, xs), (s, keep)],
                        [f"%n = arith.constant {count!r} : f32", "%m = arith.divf %a1, %n : f32",
                         "%y = arith.subf %a0, %m : f32", "linalg.yield %y : f32"], xs, loc=f"{node.name}.center")
    v, _ = imp.reduce(node, d, xs, axes, squares=True, loc=f"{node.name}.var")
    return s, d, v, keep, count


@register("LayerNormalization", float_only=True)
def layer_normalization(imp, node):
    imp.check_attrs(node, {"axis", "epsilon", "stash_type"})
    imp.inputs(node, 2, 1)
    if imp.attr_int(node, "stash_type", 1) != 1:
        imp.fail(node, "only float statistics (stash_type 1) are supported")
    x, xs = imp.materialize(node.input[0], node)
    axis = imp.axis(node, imp.attr_int(node, "axis", -1), len(xs))
    eps = float(np.float32(imp.attr_float(node, "epsilon", 1e-5, lo=0)))
    # As ONNX's reference: d = x - mean, var = mean(d * d),
    # y = d * (1 / sqrt(var + epsilon)) * scale + bias.
    s, d, v, keep, count = _centered(imp, node, x, xs, list(range(axis, len(xs))))
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


def _softmax_axes(imp, node, rank):
    """The axes Softmax / LogSoftmax normalize over: from opset 13 the one
    `axis` (default -1); before, the input is read as 2-D, split before
    `axis` (default 1), and normalized over everything after the split."""
    imp.check_attrs(node, {"axis"})
    imp.inputs(node, 1)
    if rank == 0:
        imp.fail(node, "the input must have at least one dimension")
    if imp.opset() >= 13:
        return [imp.axis(node, imp.attr_int(node, "axis", -1), rank)]
    return list(range(imp.axis(node, imp.attr_int(node, "axis", 1), rank), rank))


def _shifted_exp(imp, node, x, xs, axes):
    """(x - max(x), exp(x - max(x)), sum(exp(x - max(x)))) over `axes`,
    the sum with unit dimensions kept."""
    imp.once("%ninf_s", "%ninf_s = arith.constant 0xFF800000 : f32")
    mx, keep = imp.reduce(node, x, xs, axes, combine="arith.maximumf", init="%ninf_s", loc=f"{node.name}.max")
    d = imp.elementwise(node, [(x, xs), (mx, keep)], ["%d = arith.subf %a0, %a1 : f32", "linalg.yield %d : f32"],
                        xs, loc=f"{node.name}.shift")
    ex = imp.elementwise(node, [(d, xs)], ["%y = math.exp %a0 : f32", "linalg.yield %y : f32"], xs,
                         loc=f"{node.name}.exp")
    sm, _ = imp.reduce(node, ex, xs, axes, loc=f"{node.name}.sum")
    return d, ex, (sm, keep)


@register("Softmax", float_only=True)
def softmax(imp, node):
    x, xs = imp.materialize(node.input[0], node)
    _, ex, sm = _shifted_exp(imp, node, x, xs, _softmax_axes(imp, node, len(xs)))
    return imp.elementwise(node, [(ex, xs), sm], ["%y = arith.divf %a0, %a1 : f32", "linalg.yield %y : f32"],
                           xs), xs


@register("LogSoftmax", float_only=True)
def log_softmax(imp, node):
    x, xs = imp.materialize(node.input[0], node)
    d, _, sm = _shifted_exp(imp, node, x, xs, _softmax_axes(imp, node, len(xs)))
    return imp.elementwise(node, [(d, xs), sm], ["%l = math.log %a1 : f32", "%y = arith.subf %a0, %l : f32",
                                                 "linalg.yield %y : f32"], xs), xs


@register("ConvTranspose", float_only=True)
def conv_transpose(imp, node):
    """1-D and 2-D transposed convolution as the convolution it is the
    gradient of: the input with stride - 1 zeros between elements, padded
    by the kernel's extent less the pads (output_padding at the end),
    convolved with the kernel flipped and its channel axes swapped (done on
    the constant here), grouped as the forward convolution. A 1-D one is a
    2-D one over a unit H."""
    imp.check_attrs(node, {"pads", "strides", "dilations", "group", "kernel_shape", "auto_pad", "output_padding",
                           "output_shape"})
    imp.inputs(node, 2, 1)
    x, xs = imp.materialize(node.input[0], node)
    w = imp.constant(node, node.input[1], "the weight", numeric="f")
    if len(xs) not in (3, 4) or w.ndim != len(xs):
        imp.fail(node, "only 1-D and 2-D transposed convolutions (NCW, NCHW) are supported")
    group = imp.attr_int(node, "group", 1, lo=1)
    if xs[1] != w.shape[0] or w.shape[0] % group:
        imp.fail(node, f"channels of {xs} and {list(w.shape)} do not match group {group}")
    bias = imp.constant(node, node.input[2], "the bias", ndim=1, numeric="f") if imp.optional_input(node, 2) else None
    rank, kernel = len(xs) - 2, list(w.shape[2:])
    strides, dil = imp.window_attrs(node, kernel)
    extra = imp.attr_ints(node, "output_padding", [0] * rank, length=rank, lo=0)
    if any(e >= max(s, d) for e, s, d in zip(extra, strides, dil)):
        imp.fail(node, f"output_padding {extra} must be smaller than the strides or dilations")
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dil)]
    full = [(n - 1) * s + e + o for n, s, e, o in zip(xs[2:], strides, extent, extra)]
    wanted = imp.attr_ints(node, "output_shape", None, lo=1)
    auto = imp.attr_str(node, "auto_pad", "NOTSET", ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"))
    if wanted is not None or auto in ("SAME_UPPER", "SAME_LOWER"):
        # As ONNX's reference: the total padding (negative: more output) is
        # split with the odd one at the end for SAME_UPPER, at the start
        # otherwise.
        wanted = list(wanted[-rank:]) if wanted is not None else [n * s for n, s in zip(xs[2:], strides)]
        total = [f - o for f, o in zip(full, wanted)]
        begin = [t // 2 if auto == "SAME_UPPER" else t - t // 2 for t in total]
        pads = begin + [t - b for t, b in zip(total, begin)]
    else:
        pads = [0] * (2 * rank) if auto == "VALID" else \
            imp.attr_ints(node, "pads", [0] * (2 * rank), length=2 * rank, lo=0)
    out = [f - pads[i] - pads[i + rank] for i, f in enumerate(full)]
    if any(o < 1 for o in out):
        imp.fail(node, f"pads {pads} leave an empty output")
    if rank == 1:  # over a unit H
        x = imp.reshape(x, xs, [xs[0], xs[1], 1, xs[2]], [[0], [1], [2, 3]], expand=True)
        xs, w = [xs[0], xs[1], 1, xs[2]], w.reshape(w.shape[0], w.shape[1], 1, w.shape[2])
        kernel, strides, dil, extra = [1] + kernel, [1] + strides, [1] + dil, [0] + extra
        extent, pads, out = [1] + extent, [0, pads[0], 0, pads[1]], [1] + out
    # The input with the zeros between its elements.
    up = [xs[0], xs[1]] + [(n - 1) * s + 1 for n, s in zip(xs[2:], strides)]
    if up != xs:
        z, r = imp.zeros(up), imp.fresh("up")
        imp.emit(f"{r} = tensor.insert_slice {x} into {z}[0, 0, 0, 0] {xs} [1, 1, {strides[0]}, {strides[1]}] : "
                 f"{_ttype(xs)} into {_ttype(up)}")
        x, xs = r, up
    # Padding by the extent less the pads (cropping where the pads are larger).
    low = [e - 1 - p for e, p in zip(extent, pads[:2])]
    high = [e - 1 - p + o for e, p, o in zip(extent, pads[2:], extra)]
    if any(v < 0 for v in low + high):
        offsets = [0, 0] + [max(0, -v) for v in low]
        sizes = [xs[0], xs[1]] + [n - max(0, -lo) - max(0, -hi) for n, lo, hi in zip(xs[2:], low, high)]
        r = imp.fresh("crop")
        imp.emit(f"{r} = tensor.extract_slice {x}{offsets} {sizes} [1, 1, 1, 1] : {_ttype(xs)} to {_ttype(sizes)}")
        x, xs = r, sizes
        low, high = [max(0, v) for v in low], [max(0, v) for v in high]
    x, xs = imp.pad_nd(x, xs, [0, 0] + low, [0, 0] + high, "%zero")
    # C x F/g x KH x KW -> F x C/g x KH x KW, flipped: the forward conv's weight.
    cg, fg = w.shape[0] // group, w.shape[1]
    forward = w.reshape(group, cg, fg, *kernel).transpose(0, 2, 1, 3, 4)[:, :, :, ::-1, ::-1]
    forward = np.ascontiguousarray(forward.reshape(group * fg, cg, *kernel), np.float32)
    wssa = imp.fresh("w")
    imp.emit(f"{wssa} = arith.constant dense<{_dense(forward)}> : {_ttype(forward.shape)}")
    r, shape = emit_conv(imp, node, x, xs, wssa, list(forward.shape), group, [1, 1], dil, "f32")
    if shape[2:] != out:
        imp.fail(node, f"internal: output {shape} is not {out}")
    if bias is not None:
        if bias.shape != (shape[1],):
            imp.fail(node, f"the bias must have {shape[1]} values (one per output channel), not shape "
                           f"{list(bias.shape)}")
        r = add_channel_bias(imp, node, r, shape, bias)
    if rank == 1:
        flat = [shape[0], shape[1], shape[3]]
        return imp.reshape(r, shape, flat, [[0], [1], [2, 3]], expand=False), flat
    return r, shape


@register("InstanceNormalization", float_only=True)
def instance_normalization(imp, node):
    """(x - mean) / sqrt(var + epsilon) * scale + bias, the statistics per
    sample and channel over the spatial dimensions."""
    imp.check_attrs(node, {"epsilon"})
    imp.inputs(node, 3)
    x, xs = imp.materialize(node.input[0], node)
    if len(xs) < 3:
        imp.fail(node, f"the input must be N x C x spatial dimensions, not of shape {xs}")
    channel = [xs[1]] + [1] * (len(xs) - 2)
    params = []
    for what, name in (("scale", node.input[1]), ("bias", node.input[2])):
        value = imp.constant(node, name, what, ndim=1, numeric="f")
        if value.shape != (xs[1],):
            imp.fail(node, f"{what} must have {xs[1]} values (one per channel), not shape {list(value.shape)}")
        ssa = imp.fresh("in_p")
        imp.emit(f"{ssa} = arith.constant dense<{_dense(value.astype(np.float32))}> : {_ttype([xs[1]])}")
        params.append((imp.expand(ssa, [xs[1]], channel), channel))
    eps = float(np.float32(imp.attr_float(node, "epsilon", 1e-5, lo=0)))
    _, d, v, keep, count = _centered(imp, node, x, xs, list(range(2, len(xs))))
    return imp.elementwise(node, [(d, xs), (v, keep)] + params,
                           [f"%n = arith.constant {count!r} : f32", f"%eps = arith.constant {eps!r} : f32",
                            "%var = arith.divf %a1, %n : f32", "%ve = arith.addf %var, %eps : f32",
                            "%sd = math.sqrt %ve : f32", "%nrm = arith.divf %a0, %sd : f32",
                            "%sc = arith.mulf %nrm, %a2 : f32", "%y = arith.addf %sc, %a3 : f32",
                            "linalg.yield %y : f32"], xs), xs
