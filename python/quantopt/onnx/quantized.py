"""Quantized ONNX operators: QuantizeLinear, DequantizeLinear,
QLinearMatMul, QLinearConv, MatMulInteger, ConvInteger,
DynamicQuantizeLinear. Constant scales and zero points become
!quant.uniform types (Importer.qtype); qnn ops carry them.
"""
import numpy as np

from .core import _dense, _loc, _ttype
from .nn import emit_conv
from .registry import register

# A batched matmul is unrolled into one 2-D product per batch.
MAX_UNROLLED_BATCHES = 4096


def _int8_kind(imp, name):
    """"u8" / "i8" for a uint8 / int8 graph input, constant or quantized
    value (what its zero point's type must be), None otherwise."""
    storage = imp.storage_of(name)
    if storage is None and name in imp.values:
        elem = imp.elem(name)
        storage = {"ui8": "u8", "i8": "i8"}.get(elem) or (
            elem[len("!quant.uniform<"):][:2] if elem.startswith("!quant.uniform<") else None)
    return storage if storage in ("u8", "i8") else None


# --- argument types of graph inputs read by quantized ops -------------------
def _dequantize_args(imp, node):
    imp.inputs(node, 2, 1)
    name = node.input[0]
    if name not in imp.graph_inputs:
        return {}
    return {name: imp.qtype(node, node.input[1], imp.optional_input(node, 2), imp.attr_int(node, "axis", 1),
                            imp.graph_inputs[name], data=name)}


def _qlinear_args(imp, node):
    imp.inputs(node, 8, 1 if node.op_type == "QLinearConv" else 0)
    types = {}
    for data, scale, zp in ((0, 1, 2), (3, 4, 5)):
        name = node.input[data]
        if name in imp.graph_inputs:
            axis = 0 if node.op_type == "QLinearConv" and data == 3 else -1
            types[name] = imp.qtype(node, node.input[scale], node.input[zp], axis, imp.graph_inputs[name],
                                    data=name)
    return types


def _conv_integer_args(imp, node):
    # ConvInteger computes on the storage integers of its inputs; a
    # quantized argument type is what lets it reinterpret uint8 as the
    # signless integers arith needs (the scale is never used).
    imp.inputs(node, 2, 2)
    types = {}
    for name in node.input[:2]:
        if name in imp.graph_inputs:
            storage = imp.storage_of(name)
            if storage not in ("u8", "i8"):
                imp.fail(node, f"input '{name}' must be uint8 or int8")
            types[name] = f"!quant.uniform<{storage}:f32, 1.0>"
    return types


# --- operators ----------------------------------------------------------------
@register("QuantizeLinear")
def quantize_linear(imp, node):
    imp.check_attrs(node, {"axis"})
    imp.inputs(node, 2, 1)
    x, shape = imp.float_input(node, node.input[0])
    qt = imp.qtype(node, node.input[1], imp.optional_input(node, 2), imp.attr_int(node, "axis", 1), shape)
    r = imp.fresh("q")
    imp.emit(f"{r} = qnn.quantize {x} : {_ttype(shape)} -> {_ttype(shape, qt)} {_loc(node.name)}")
    imp.elems[node.output[0]] = qt
    return r, shape


def _fold_int32_dequantize(imp, node):
    """DequantizeLinear of an int32 constant (a QDQ model's bias, at scale
    input_scale * weight_scale): the f32 values, computed now as the
    contract's dequantize does ((q - zp) * scale in f32)."""
    q = imp.consts[node.input[0]]
    scale = imp.const_value(node.input[1])
    if scale is None:
        imp.fail(node, f"scale '{node.input[1]}' must be a constant")
    zp_name = imp.optional_input(node, 2)
    zp = imp.const_value(zp_name) if zp_name else np.zeros((), np.int32)
    if zp is None:
        imp.fail(node, f"zero point '{zp_name}' must be a constant")
    scale = np.asarray(scale, np.float32)
    imp.check_scale(node, node.input[1], scale)
    zp = np.asarray(zp).astype(np.int64)
    if scale.size > 1:
        axis = imp.axis(node, imp.attr_int(node, "axis", 1), q.ndim)
        if q.shape[axis] != scale.size or zp.size not in (1, scale.size):
            imp.fail(node, f"{scale.size} scales for the {q.shape[axis]} elements of axis {axis}")
        view = [1] * q.ndim
        view[axis] = scale.size
        scale, zp = scale.reshape(view), zp.reshape(view if zp.size > 1 else ())
    values = (q.astype(np.int64) - zp).astype(np.float32) * scale
    imp.consts[node.output[0]] = values.astype(np.float32)
    return None


@register("DequantizeLinear", argument_types=_dequantize_args)
def dequantize_linear(imp, node):
    imp.check_attrs(node, {"axis"})
    imp.inputs(node, 2, 1)
    name = node.input[0]
    if name in imp.consts and imp.consts[name].dtype == np.int32:
        return _fold_int32_dequantize(imp, node)
    if name in imp.consts and imp.consts[name].dtype in (np.int8, np.uint8):
        # A QDQ model's weights: emitted where they are used, by matmuls and
        # convolutions in the layout they read (Importer.weight).
        imp.qtype(node, node.input[1], imp.optional_input(node, 2), imp.attr_int(node, "axis", 1),
                  list(imp.consts[name].shape), data=name)  # checked now
        imp.dequantized_consts[node.output[0]] = node
        return None
    shape = imp.defined_shape(node, name)
    qt = imp.qtype(node, node.input[1], imp.optional_input(node, 2), imp.attr_int(node, "axis", 1), shape,
                   data=name)
    x, shape = imp.quantized(node, name, qt)
    r = imp.fresh("d")
    imp.emit(f"{r} = qnn.dequantize {x} : {_ttype(shape, qt)} -> {_ttype(shape)} {_loc(node.name)}")
    return r, shape


@register("QLinearMatMul", argument_types=_qlinear_args)
def qlinear_matmul(imp, node):
    imp.check_attrs(node, set())
    imp.inputs(node, 8)
    b_shape = imp.defined_shape(node, node.input[3])
    imp.defined_shape(node, node.input[0])
    qa = imp.qtype(node, node.input[1], node.input[2], data=node.input[0])
    qb = imp.qtype(node, node.input[4], node.input[5], -1, b_shape, data=node.input[3])
    qy = imp.qtype(node, node.input[6], node.input[7])
    if ":f32:" in qb and len(b_shape) != 2:
        imp.fail(node, "per-column scales of b need a 2-D b")
    a, a_shape = imp.quantized(node, node.input[0], qa)
    b, b_shape = imp.quantized(node, node.input[3], qb)

    def matmul_2d(a2, a2_shape, b2, b2_shape):
        r = imp.fresh("qmm")
        imp.emit(f"{r} = qnn.matmul {a2}, {b2} : {_ttype(a2_shape, qa)}, {_ttype(b2_shape, qb)} -> "
                 f"{_ttype([a2_shape[0], b2_shape[1]], qy)} {_loc(node.name)}")
        return r

    imp.elems[node.output[0]] = qy
    return batched_matmul(imp, node, a, a_shape, qa, b, b_shape, qb, qy, matmul_2d)


def batched_matmul(imp, node, a, a_shape, a_elem, b, b_shape, b_elem, out_elem, matmul_2d):
    """ONNX MatMul over leading (batch) dimensions, broadcast the NumPy
    way, from a 2-D product: a 2-D b folds the batch into the rows of
    a; otherwise each batch is a slice of a and of b, and its product is
    inserted into the result."""
    if len(a_shape) < 2 or len(b_shape) < 2:
        imp.fail(node, "1-D operands are not supported")
    (m, k), (k2, n) = a_shape[-2:], b_shape[-2:]
    if k != k2:
        imp.fail(node, f"K mismatch: {a_shape} x {b_shape}")
    if len(b_shape) == 2:
        rows = int(np.prod(a_shape[:-1]))
        lead = [list(range(len(a_shape) - 1)), [len(a_shape) - 1]]
        a2 = imp.reshape(a, a_shape, [rows, k], lead, expand=False, elem=a_elem)
        r = matmul_2d(a2, [rows, k], b, b_shape)
        out = a_shape[:-1] + [n]
        return imp.reshape(r, [rows, n], out, lead, expand=True, elem=out_elem), out
    try:
        batch = list(np.broadcast_shapes(tuple(a_shape[:-2]), tuple(b_shape[:-2])))
    except ValueError:
        imp.fail(node, f"batch dimensions of {a_shape} and {b_shape} do not broadcast")
    count = int(np.prod(batch, dtype=object))
    if count > MAX_UNROLLED_BATCHES:
        imp.fail(node, f"{count} batches of matrices are more than the {MAX_UNROLLED_BATCHES} unrolled at most")
    out = batch + [m, n]
    result = imp.fresh("e")
    imp.emit(f"{result} = tensor.empty() : {_ttype(out, out_elem)}")

    def matrix(x, shape, elem, index):
        if len(shape) == 2:
            return x
        lead = index[len(index) - (len(shape) - 2):]
        offsets = [i if d != 1 else 0 for i, d in zip(lead, shape[:-2])] + [0, 0]
        r = imp.fresh("slice")
        imp.emit(f"{r} = tensor.extract_slice {x}[{', '.join(map(str, offsets))}] "
                 f"[{', '.join(['1'] * (len(shape) - 2) + [str(shape[-2]), str(shape[-1])])}] "
                 f"[{', '.join(['1'] * len(shape))}] : {_ttype(shape, elem)} to {_ttype(shape[-2:], elem)}")
        return r

    for index in np.ndindex(*batch):
        index = list(index)
        r = matmul_2d(matrix(a, a_shape, a_elem, index), a_shape[-2:], matrix(b, b_shape, b_elem, index),
                      b_shape[-2:])
        ins = imp.fresh("ins")
        imp.emit(f"{ins} = tensor.insert_slice {r} into {result}[{', '.join(map(str, index + [0, 0]))}] "
                 f"[{', '.join(['1'] * len(batch) + [str(m), str(n)])}] [{', '.join(['1'] * len(out))}] : "
                 f"{_ttype([m, n], out_elem)} into {_ttype(out, out_elem)}")
        result = ins
    return result, out


@register("QLinearConv", argument_types=_qlinear_args)
def qlinear_conv(imp, node):
    imp.check_attrs(node, {"pads", "strides", "dilations", "group", "kernel_shape", "auto_pad"})
    imp.inputs(node, 8, 1)
    if imp.attr_int(node, "group", 1, lo=1) != 1:
        imp.fail(node, "grouped convolutions are not supported")
    imp.defined_shape(node, node.input[0])
    qx = imp.qtype(node, node.input[1], node.input[2], data=node.input[0])
    qw = imp.qtype(node, node.input[4], node.input[5], 0, imp.defined_shape(node, node.input[3]),
                   data=node.input[3])
    qy = imp.qtype(node, node.input[6], node.input[7])
    x, xs = imp.quantized(node, node.input[0], qx)
    w, ws = imp.quantized(node, node.input[3], qw)
    if len(xs) != 4 or len(ws) != 4:
        imp.fail(node, "only 2-D convolutions (NCHW) are supported")
    if xs[1] != ws[1]:
        imp.fail(node, f"channels of {xs} and {ws} do not match")
    strides, dil = imp.window_attrs(node, ws[2:])
    pads = imp.pads_of(node, xs[2:], ws[2:], strides, dil)
    oh = (xs[2] + pads[0] + pads[2] - dil[0] * (ws[2] - 1) - 1) // strides[0] + 1
    ow = (xs[3] + pads[1] + pads[3] - dil[1] * (ws[3] - 1) - 1) // strides[1] + 1
    out = [xs[0], ws[0], oh, ow]
    operands, types = f"{x}, {w}", f"{_ttype(xs, qx)}, {_ttype(ws, qw)}"
    bias_name = imp.optional_input(node, 8)
    if bias_name:
        bias = imp.constant(node, bias_name, "the bias", ndim=1)
        if bias.dtype != np.int32 or bias.shape[0] != ws[0]:
            imp.fail(node, f"the bias must be int32 with {ws[0]} values, not {bias.dtype} of shape "
                           f"{list(bias.shape)}")
        b = imp.fresh("bias")
        imp.emit(f"{b} = arith.constant dense<{_dense(bias.astype(np.int64))}> : {_ttype(bias.shape, 'i32')}")
        operands += f" bias {b}"
        types += f", {_ttype(bias.shape, 'i32')}"
    r = imp.fresh("qconv")
    attrs = (f'layout = "nchw_fchw", strides = array<i64: {strides[0]}, {strides[1]}>, '
             f"dilations = array<i64: {dil[0]}, {dil[1]}>, padding = array<i64: {', '.join(map(str, pads))}>")
    imp.emit(f"{r} = qnn.conv2d {operands} {{{attrs}}} : {types} -> {_ttype(out, qy)} {_loc(node.name)}")
    imp.elems[node.output[0]] = qy
    return r, out


@register("MatMulInteger")
def matmul_integer(imp, node):
    imp.check_attrs(node, set())
    imp.inputs(node, 2, 2)
    a, a_shape = imp.materialize(node.input[0], node)
    a_elem = imp.elem(node.input[0])
    if a_elem not in ("ui8", "i8"):
        imp.fail(node, f"A must be a uint8 or int8 value, not {a_elem}")
    b_name = node.input[1]
    if b_name in imp.consts:
        arr = imp.constant(node, b_name, f"B ('{b_name}')")
        if arr.dtype not in (np.uint8, np.int8):
            imp.fail(node, f"B must be uint8 or int8, not {arr.dtype}")
        b, b_shape = imp.fresh("cst"), list(arr.shape)
        b_elem = "ui8" if arr.dtype == np.uint8 else "i8"
        imp.emit(f"{b} = arith.constant dense<{_dense(arr.astype(np.int64))}> : {_ttype(b_shape, b_elem)}")
    else:
        b, b_shape = imp.materialize(b_name, node)
        b_elem = imp.elem(b_name)
        if b_elem not in ("ui8", "i8"):
            imp.fail(node, f"B must be a uint8 or int8 value, not {b_elem}")
    azp = imp.zero_point_of(node, 2, a_elem)
    bzp = imp.zero_point_of(node, 3, b_elem)
    if azp.size != 1 or bzp.size != 1:
        imp.fail(node, "zero points must be scalar constants")
    z = imp.fresh("zp")
    imp.emit(f"{z} = arith.constant dense<{int(azp.reshape(-1)[0])}> : {_ttype([], a_elem)}")

    def matmul_2d(a2, a2_shape, b2, b2_shape):
        r = imp.fresh("mmi")
        imp.emit(f"{r} = qnn.matmul_integer {a2}, {b2} zero_point {z} "
                 f"{{rhs_zero_point = {int(bzp.reshape(-1)[0])} : i64}} "
                 f": {_ttype(a2_shape, a_elem)}, {_ttype(b2_shape, b_elem)}, {_ttype([], a_elem)} -> "
                 f"{_ttype([a2_shape[0], b2_shape[1]], 'i32')} {_loc(node.name)}")
        return r

    imp.elems[node.output[0]] = "i32"
    return batched_matmul(imp, node, a, a_shape, a_elem, b, b_shape, b_elem, "i32", matmul_2d)


def widened(imp, node, name, zp):
    """A uint8 / int8 input minus its zero point (a scalar, or an array
    that broadcasts against it), as i32: what ConvInteger multiplies."""
    if name in imp.consts:
        arr = imp.constant(node, name, f"input '{name}'")
        if arr.dtype not in (np.uint8, np.int8):
            imp.fail(node, f"input '{name}' must be uint8 or int8")
        v = arr.astype(np.int64) - zp
        c = imp.fresh("cst")
        imp.emit(f"{c} = arith.constant dense<{_dense(v)}> : {_ttype(v.shape, 'i32')}")
        return c, list(v.shape)
    x, shape = imp.materialize(name, node)
    elem = imp.elem(name)
    if not elem.startswith("!quant.uniform<"):
        imp.fail(node, f"input '{name}' is {elem}: only graph inputs, constants and quantized values "
                       "can be read")
    storage = imp.fresh("s")
    imp.emit(f"{storage} = quant.scast {x} : {_ttype(shape, elem)} to {_ttype(shape, 'i8')}")
    ext = "extui" if elem.startswith("!quant.uniform<u") else "extsi"
    inputs, elems = [(storage, shape)], ["i8"]
    if np.size(zp) == 1 and int(np.reshape(zp, -1)[0]) == 0:
        body = [f"%y = arith.{ext} %a0 : i8 to i32"]
    elif np.size(zp) == 1:
        body = [f"%w = arith.{ext} %a0 : i8 to i32", f"%zp = arith.constant {int(np.reshape(zp, -1)[0])} : i32",
                "%y = arith.subi %w, %zp : i32"]
    else:
        c = imp.fresh("zp")
        imp.emit(f"{c} = arith.constant dense<{_dense(zp)}> : {_ttype(zp.shape, 'i32')}")
        inputs.append((c, list(zp.shape)))
        elems.append("i32")
        body = [f"%w = arith.{ext} %a0 : i8 to i32", "%y = arith.subi %w, %a1 : i32"]
    r = imp.elementwise(node, inputs, body + ["linalg.yield %y : i32"], shape, elems, "i32",
                        loc=f"{node.name}.{name}")
    return r, shape


@register("ConvInteger", argument_types=_conv_integer_args)
def conv_integer(imp, node):
    imp.check_attrs(node, {"pads", "strides", "dilations", "group", "kernel_shape", "auto_pad"})
    imp.inputs(node, 2, 2)
    xzp = imp.zero_point_of(node, 2, _int8_kind(imp, node.input[0]))
    wzp = imp.zero_point_of(node, 3, _int8_kind(imp, node.input[1]))
    ws = imp.defined_shape(node, node.input[1])
    if xzp.size != 1:
        imp.fail(node, "x_zero_point must be a scalar")
    if wzp.size != 1 and (len(ws) != 4 or wzp.size != ws[0] or wzp.ndim != 1):
        imp.fail(node, "w_zero_point must be a scalar or one per output channel")
    x, xs = widened(imp, node, node.input[0], xzp.reshape(()))
    w, ws = widened(imp, node, node.input[1], wzp.reshape(()) if wzp.size == 1 else wzp.reshape(-1, 1, 1, 1))
    if len(xs) != 4 or len(ws) != 4:
        imp.fail(node, "only 2-D convolutions (NCHW) are supported")
    group = imp.attr_int(node, "group", 1, lo=1)
    if xs[1] != ws[1] * group or ws[0] % group:
        imp.fail(node, f"channels of {xs} and {ws} do not match group {group}")
    strides, dil = imp.window_attrs(node, ws[2:])
    pads = imp.pads_of(node, xs[2:], ws[2:], strides, dil)
    # Zero-point-subtracted inputs pad with 0, as ONNX pads x with its
    # zero point.
    x, xs = imp.pad(x, xs, pads, imp.once("%zero_i32", "%zero_i32 = arith.constant 0 : i32"), "i32")
    imp.elems[node.output[0]] = "i32"
    return emit_conv(imp, node, x, xs, w, ws, group, strides, dil, "i32")


@register("DynamicQuantizeLinear")
def dynamic_quantize_linear(imp, node):
    imp.check_attrs(node, set())
    imp.inputs(node, 1)
    if len(node.output) != 3 or not all(node.output):
        imp.fail(node, "needs its three outputs (y, y_scale, y_zero_point)")
    x, shape = imp.float_input(node, node.input[0])
    q, s, z = imp.fresh("dq"), imp.fresh("ds"), imp.fresh("dz")
    imp.emit(f"{q}, {s}, {z} = qnn.dynamic_quantize {x} : {_ttype(shape)} -> "
             f"{_ttype(shape, 'ui8')}, tensor<f32>, tensor<ui8> {_loc(node.name)}")
    imp.values[node.output[1]], imp.elems[node.output[1]] = (s, []), "f32"
    imp.values[node.output[2]], imp.elems[node.output[2]] = (z, []), "ui8"
    imp.elems[node.output[0]] = "ui8"
    return q, shape
