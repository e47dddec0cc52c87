"""Quantized ONNX operators: QuantizeLinear, DequantizeLinear,
QLinearMatMul, QLinearConv, MatMulInteger, ConvInteger,
DynamicQuantizeLinear. Constant scales and zero points become
!quant.uniform types (Importer.qtype); qnn ops carry them. Scales and zero
points known only at run time (graph inputs, computed values) are applied
by linalg generics that follow the numerics contract; their integer results
are stored integers viewed through a quantized type of scale 1 (uint8 as
signless i8).
"""
import numpy as np

from .core import _dense, _loc, _ttype, stored_type
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
    if _is_runtime(imp, node):
        return _runtime_int8_args(imp, [name, imp.optional_input(node, 2)])
    if name not in imp.graph_inputs:
        return {}
    return {name: imp.qtype(node, node.input[1], imp.optional_input(node, 2), imp.attr_int(node, "axis", 1),
                            imp.graph_inputs[name], data=name)}


def _qlinear_is_runtime(imp, node):
    return any(imp.const_value(node.input[i]) is None for i in (1, 2, 4, 5, 6, 7))


def _qlinear_args(imp, node):
    imp.inputs(node, 8, 1 if node.op_type == "QLinearConv" else 0)
    if _qlinear_is_runtime(imp, node):
        return _runtime_int8_args(imp, [node.input[i] for i in (0, 2, 3, 5, 7)])
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
    types = _runtime_int8_args(imp, list(node.input[2:4]))
    for name in node.input[:2]:
        if name in imp.graph_inputs:
            storage = imp.storage_of(name)
            if storage not in ("u8", "i8"):
                imp.fail(node, f"input '{name}' must be uint8 or int8")
            types[name] = stored_type(storage)
    return types


# --- run-time scales and zero points --------------------------------------------
def _is_runtime(imp, node, scale_index=1, zp_index=2):
    """Whether the node's scale or zero point is not a constant (a graph
    input or a computed value): then it is applied at run time by generics
    that follow the numerics contract, with no qnn type."""
    zp = imp.optional_input(node, zp_index)
    return imp.const_value(node.input[scale_index]) is None or bool(zp and imp.const_value(zp) is None)


def _runtime_int8_args(imp, names):
    """Graph inputs among `names` holding 8-bit integers get the quantized
    type of scale 1 that reinterprets uint8 as signless storage."""
    return {n: stored_type(imp.storage_of(n)) for n in names
            if n and n in imp.graph_inputs and imp.storage_of(n) in ("u8", "i8")}


def _stored(imp, node, name, what):
    """(ssa of the signless integers, shape, kind) of stored integers
    `name`: kind "u8" / "i8" (as i8) or "i32"."""
    if name in imp.consts:
        arr = imp.consts[name]
        kind = {np.dtype(np.uint8): "u8", np.dtype(np.int8): "i8", np.dtype(np.int32): "i32"}.get(arr.dtype)
        if kind is None or arr.size == 0:
            imp.fail(node, f"{what} '{name}' must be uint8, int8 or int32, not {arr.dtype}")
        ssa, elem = imp.fresh("cst"), "i32" if kind == "i32" else "i8"
        imp.emit(f"{ssa} = arith.constant dense<{_dense(arr.astype(np.int64))}> : {_ttype(arr.shape, elem)}")
        return ssa, list(arr.shape), kind
    ssa, shape = imp.materialize(name, node)
    elem = imp.elem(name)
    if elem.startswith("!quant.uniform<u8") or elem.startswith("!quant.uniform<i8"):
        r = imp.fresh("st")
        imp.emit(f"{r} = quant.scast {ssa} : {_ttype(shape, elem)} to {_ttype(shape, 'i8')}")
        return r, shape, elem[len("!quant.uniform<"):][:2]
    if elem == "i32":
        return ssa, shape, "i32"
    imp.fail(node, f"{what} '{name}' is {elem}: uint8, int8 or int32 expected")


def _parameter_map(imp, node, shape, param_shape, what):
    """Indexing map of a scalar or per-axis (1-D, along `axis`) parameter."""
    dims = ", ".join(f"d{i}" for i in range(len(shape)))
    if len(param_shape) == 0:
        return f"affine_map<({dims}) -> ()>"
    if len(param_shape) != 1:
        imp.fail(node, f"{what} must be a scalar or 1-D, not of shape {param_shape}")
    if param_shape[0] == 1:
        return f"affine_map<({dims}) -> (0)>"
    axis = imp.axis(node, imp.attr_int(node, "axis", 1), len(shape))
    if shape[axis] != param_shape[0]:
        imp.fail(node, f"{param_shape[0]} {what}s for the {shape[axis]} elements of axis {axis}")
    return f"affine_map<({dims}) -> (d{axis})>"


def _runtime_generic(imp, node, operands, out_shape, out_elem, body):
    """A generic over out_shape reading `operands` [(ssa, shape, elem, map)]."""
    ident = "affine_map<({0}) -> ({0})>".format(", ".join(f"d{i}" for i in range(len(out_shape))))
    e, r = imp.fresh("e"), imp.fresh("r")
    imp.emit(f"{e} = tensor.empty() : {_ttype(out_shape, out_elem)}")
    maps = ", ".join([m for *_, m in operands] + [ident])
    ins = ", ".join(ssa for ssa, *_ in operands)
    types = ", ".join(_ttype(shape, elem) for _, shape, elem, _ in operands)
    args = ", ".join(f"%a{i}: {elem}" for i, (_, _, elem, _) in enumerate(operands))
    iterators = ", ".join(['"parallel"'] * len(out_shape))
    imp.emit(f"{r} = linalg.generic {{indexing_maps = [{maps}], iterator_types = [{iterators}]}} "
             f"ins({ins} : {types}) outs({e} : {_ttype(out_shape, out_elem)}) {{")
    imp.emit(f"^bb0({args}, %out: {out_elem}):")
    for line in body:
        imp.emit("  " + line)
    imp.emit(f"}} -> {_ttype(out_shape, out_elem)} {_loc(node.name)}")
    return r


def _zero_point(imp, node, zp_name, kind_hint):
    """The zero point operand (ssa, shape, "i8"/"i32", kind) and the
    extension its integers need; a constant 0 of kind_hint without one."""
    if not zp_name:
        ssa = imp.fresh("zp")
        imp.emit(f"{ssa} = arith.constant dense<0> : tensor<i8>")
        return (ssa, [], "i8"), kind_hint
    ssa, shape, kind = _stored(imp, node, zp_name, "zero point")
    return (ssa, shape, "i32" if kind == "i32" else "i8"), kind


def _runtime_quantize(imp, node):
    """QuantizeLinear with a run-time scale or zero point:
    clamp(round_half_to_even(x / scale) + zp) in f32, NaN -> zp; the
    result is stored integers (a quantized type of scale 1)."""
    x, shape = imp.float_input(node, node.input[0])
    s, s_shape = imp.float_input(node, node.input[1])
    (z, z_shape, z_elem), kind = _zero_point(imp, node, imp.optional_input(node, 2), "u8")
    if kind not in ("u8", "i8"):
        imp.fail(node, f"zero point type {kind} is not supported (uint8 or int8)")
    lo, hi = (0, 255) if kind == "u8" else (-128, 127)
    ext = "extui" if kind == "u8" else "extsi"
    body = ["%v = arith.divf %a0, %a1 : f32", "%r = math.roundeven %v : f32",
            f"%z32 = arith.{ext} %a2 : i8 to i32", "%zf = arith.sitofp %z32 : i32 to f32",
            "%t = arith.addf %r, %zf : f32",
            f"%lo = arith.constant {float(lo)!r} : f32", f"%hi = arith.constant {float(hi)!r} : f32",
            "%c0 = arith.maximumf %t, %lo : f32", "%c1 = arith.minimumf %c0, %hi : f32",
            "%nan = arith.cmpf uno, %v, %v : f32", "%sel = arith.select %nan, %zf, %c1 : f32",
            "%i = arith.fptosi %sel : f32 to i32", "%b = arith.trunci %i : i32 to i8", "linalg.yield %b : i8"]
    identity = "affine_map<({0}) -> ({0})>".format(", ".join(f"d{i}" for i in range(len(shape))))
    ints = _runtime_generic(imp, node, [(x, shape, "f32", identity),
                                        (s, s_shape, "f32", _parameter_map(imp, node, shape, s_shape, "scale")),
                                        (z, z_shape, "i8", _parameter_map(imp, node, shape, z_shape, "zero point"))],
                            shape, "i8", body)
    return _stored_result(imp, node, ints, shape, kind)


def _stored_result(imp, node, ints, shape, kind):
    """The node's result: signless i8 storage `ints` viewed as u8 / i8
    through the quantized type of scale 1."""
    qt = stored_type(kind)
    r = imp.fresh("q")
    imp.emit(f"{r} = quant.scast {ints} : {_ttype(shape, 'i8')} to {_ttype(shape, qt)} {_loc(node.name)}")
    imp.elems[node.output[0]] = qt
    return r, shape


def _runtime_dequantize(imp, node):
    """DequantizeLinear with a run-time scale or zero point:
    f32(x - zp) * scale."""
    x, shape, kind = _stored(imp, node, node.input[0], "input")
    s, s_shape = imp.float_input(node, node.input[1])
    (z, z_shape, z_elem), z_kind = _zero_point(imp, node, imp.optional_input(node, 2), kind)
    if z_kind != kind:
        imp.fail(node, f"'{node.input[0]}' is {kind}, its zero point {z_kind}")
    elem = "i32" if kind == "i32" else "i8"
    ext = {"u8": ["%x = arith.extui %a0 : i8 to i32", "%z = arith.extui %a2 : i8 to i32"],
           "i8": ["%x = arith.extsi %a0 : i8 to i32", "%z = arith.extsi %a2 : i8 to i32"],
           "i32": ["%x = arith.extsi %a0 : i32 to i64", "%z = arith.extsi %a2 : i32 to i64"]}[kind]
    wide = "i64" if kind == "i32" else "i32"
    body = ext + [f"%d = arith.subi %x, %z : {wide}", f"%f = arith.sitofp %d : {wide} to f32",
                  "%y = arith.mulf %f, %a1 : f32", "linalg.yield %y : f32"]
    identity = "affine_map<({0}) -> ({0})>".format(", ".join(f"d{i}" for i in range(len(shape))))
    return _runtime_generic(imp, node, [(x, shape, elem, identity),
                                        (s, s_shape, "f32", _parameter_map(imp, node, shape, s_shape, "scale")),
                                        (z, z_shape, elem, _parameter_map(imp, node, shape, z_shape, "zero point"))],
                            shape, "f32", body), shape


def _runtime_widened(imp, node, name, zp_name, zp_dim=None):
    """Stored integers `name` minus their zero point (a constant or a
    run-time value: a scalar, or one per element of dimension `zp_dim`) as
    i32: what the integer contractions multiply."""
    x, shape, kind = _stored(imp, node, name, "input")
    if kind == "i32":
        imp.fail(node, f"input '{name}' must be uint8 or int8")
    (z, z_shape, _), z_kind = _zero_point(imp, node, zp_name, kind)
    if z_kind != kind:
        imp.fail(node, f"'{name}' is {kind}, its zero point {z_kind}")
    dims = ", ".join(f"d{i}" for i in range(len(shape)))
    size = int(np.prod(z_shape)) if z_shape else 1
    if size == 1:
        z_map = f"affine_map<({dims}) -> ({', '.join(['0'] * len(z_shape))})>"
    elif zp_dim is not None and len(z_shape) == 1 and z_shape[0] == shape[zp_dim]:
        z_map = f"affine_map<({dims}) -> (d{zp_dim})>"
    else:
        imp.fail(node, f"zero point '{zp_name}' of shape {z_shape} does not fit '{name}' of shape {shape}")
    ext = "extui" if kind == "u8" else "extsi"
    body = [f"%x = arith.{ext} %a0 : i8 to i32", f"%z = arith.{ext} %a1 : i8 to i32",
            "%y = arith.subi %x, %z : i32", "linalg.yield %y : i32"]
    return _runtime_generic(imp, node, [(x, shape, "i8", f"affine_map<({dims}) -> ({dims})>"),
                                        (z, z_shape, "i8", z_map)], shape, "i32", body), shape


def _i32_matmul(imp, node, a, a_shape, b, b_shape):
    """The i32 product of widened operands, batched the ONNX way."""
    def matmul_2d(a2, a2_shape, b2, b2_shape):
        out = [a2_shape[0], b2_shape[1]]
        r = imp.fresh("mm")
        imp.emit(f"{r} = linalg.matmul ins({a2}, {b2} : {_ttype(a2_shape, 'i32')}, {_ttype(b2_shape, 'i32')}) "
                 f"outs({imp.zeros(out, 'i32')} : {_ttype(out, 'i32')}) -> {_ttype(out, 'i32')} {_loc(node.name)}")
        return r
    return batched_matmul(imp, node, a, a_shape, "i32", b, b_shape, "i32", "i32", matmul_2d)


def _runtime_requantize(imp, node, acc, shape, scales, channel_dim, y_zp):
    """i32 sums to stored integers with run-time scales: the contract's
    requantize, m = f32(f64(s_a) * f64(s_b) / f64(s_y)),
    clamp(round_half_to_even(f64(acc) * m) + zp_y)."""
    (z, z_shape, _), kind = _zero_point(imp, node, y_zp, "u8")
    if kind not in ("u8", "i8"):
        imp.fail(node, f"zero point type {kind} is not supported (uint8 or int8)")
    if (int(np.prod(z_shape)) if z_shape else 1) != 1:
        imp.fail(node, "the output zero point must be a scalar")
    dims = ", ".join(f"d{i}" for i in range(len(shape)))
    operands = [(acc, shape, "i32", f"affine_map<({dims}) -> ({dims})>")]
    for name, per_channel in scales:
        ssa, s_shape = imp.float_input(node, name)
        size = int(np.prod(s_shape)) if s_shape else 1
        if size == 1:
            m = f"affine_map<({dims}) -> ({', '.join(['0'] * len(s_shape))})>"
        elif per_channel and len(s_shape) == 1 and s_shape[0] == shape[channel_dim]:
            m = f"affine_map<({dims}) -> (d{channel_dim})>"
        else:
            imp.fail(node, f"scale '{name}' of shape {s_shape} does not fit the result {shape}")
        operands.append((ssa, s_shape, "f32", m))
    operands.append((z, z_shape, "i8", f"affine_map<({dims}) -> ({', '.join(['0'] * len(z_shape))})>"))
    lo, hi = (0, 255) if kind == "u8" else (-128, 127)
    ext = "extui" if kind == "u8" else "extsi"
    body = ["%sa = arith.extf %a1 : f32 to f64", "%sb = arith.extf %a2 : f32 to f64",
            "%sy = arith.extf %a3 : f32 to f64", "%sin = arith.mulf %sa, %sb : f64",
            "%m64 = arith.divf %sin, %sy : f64", "%m32 = arith.truncf %m64 : f64 to f32",
            "%m = arith.extf %m32 : f32 to f64", "%v = arith.sitofp %a0 : i32 to f64",
            "%p = arith.mulf %v, %m : f64", "%r = math.roundeven %p : f64",
            f"%z32 = arith.{ext} %a4 : i8 to i32", "%zf = arith.sitofp %z32 : i32 to f64",
            "%t = arith.addf %r, %zf : f64", f"%lo = arith.constant {float(lo)!r} : f64",
            f"%hi = arith.constant {float(hi)!r} : f64", "%c0 = arith.maximumf %t, %lo : f64",
            "%c1 = arith.minimumf %c0, %hi : f64", "%i = arith.fptosi %c1 : f64 to i32",
            "%b = arith.trunci %i : i32 to i8", "linalg.yield %b : i8"]
    return _stored_result(imp, node, _runtime_generic(imp, node, operands, shape, "i8", body), shape, kind)


def _runtime_qlinear_matmul(imp, node):
    a, a_shape = _runtime_widened(imp, node, node.input[0], node.input[2])
    b, b_shape = _runtime_widened(imp, node, node.input[3], node.input[5],
                                  len(imp.defined_shape(node, node.input[3])) - 1)
    acc, out = _i32_matmul(imp, node, a, a_shape, b, b_shape)
    return _runtime_requantize(imp, node, acc, out, [(node.input[1], False), (node.input[4], True),
                                                     (node.input[6], False)], len(out) - 1, node.input[7])


def _runtime_qlinear_conv(imp, node):
    x, xs = _runtime_widened(imp, node, node.input[0], node.input[2])
    w, ws = _runtime_widened(imp, node, node.input[3], node.input[5], 0)
    acc, out = _conv_of_widened(imp, node, x, xs, w, ws)
    bias_name = imp.optional_input(node, 8)
    if bias_name:
        bias = imp.constant(node, bias_name, "the bias", ndim=1)
        if bias.dtype != np.int32 or bias.shape[0] != ws[0]:
            imp.fail(node, f"the bias must be int32 with {ws[0]} values")
        b = imp.fresh("bias")
        imp.emit(f"{b} = arith.constant dense<{_dense(bias.astype(np.int64))}> : {_ttype(bias.shape, 'i32')}")
        acc = _runtime_generic(imp, node, [(acc, out, "i32", "affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>"),
                                           (b, list(bias.shape), "i32", "affine_map<(d0, d1, d2, d3) -> (d1)>")],
                               out, "i32", ["%s = arith.addi %a0, %a1 : i32", "linalg.yield %s : i32"])
    return _runtime_requantize(imp, node, acc, out, [(node.input[1], False), (node.input[4], True),
                                                     (node.input[6], False)], 1, node.input[7])


# --- operators ----------------------------------------------------------------
def _quantize_args(imp, node):
    imp.inputs(node, 2, 1)
    return _runtime_int8_args(imp, [imp.optional_input(node, 2)]) if _is_runtime(imp, node) else {}


@register("QuantizeLinear", argument_types=_quantize_args)
def quantize_linear(imp, node):
    imp.check_attrs(node, {"axis"})
    imp.inputs(node, 2, 1)
    if _is_runtime(imp, node):
        return _runtime_quantize(imp, node)
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
    if _is_runtime(imp, node):
        return _runtime_dequantize(imp, node)
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
    if _qlinear_is_runtime(imp, node):
        return _runtime_qlinear_matmul(imp, node)
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
    if _qlinear_is_runtime(imp, node):
        return _runtime_qlinear_conv(imp, node)
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


def _integer_is_runtime(imp, node):
    return any(imp.optional_input(node, i) and imp.const_value(node.input[i]) is None for i in (2, 3))


def _matmul_integer_args(imp, node):
    imp.inputs(node, 2, 2)
    return _runtime_int8_args(imp, list(node.input)) if _integer_is_runtime(imp, node) else {}


@register("MatMulInteger", argument_types=_matmul_integer_args)
def matmul_integer(imp, node):
    imp.check_attrs(node, set())
    imp.inputs(node, 2, 2)
    if _integer_is_runtime(imp, node):
        a, a_shape = _runtime_widened(imp, node, node.input[0], imp.optional_input(node, 2))
        b, b_shape = _runtime_widened(imp, node, node.input[1], imp.optional_input(node, 3),
                                      len(imp.defined_shape(node, node.input[1])) - 1)
        imp.elems[node.output[0]] = "i32"
        return _i32_matmul(imp, node, a, a_shape, b, b_shape)
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
    if _integer_is_runtime(imp, node):
        x, xs = _runtime_widened(imp, node, node.input[0], imp.optional_input(node, 2))
        w, ws = _runtime_widened(imp, node, node.input[1], imp.optional_input(node, 3), 0)
        imp.elems[node.output[0]] = "i32"
        return _conv_of_widened(imp, node, x, xs, w, ws)
    xzp = imp.zero_point_of(node, 2, _int8_kind(imp, node.input[0]))
    wzp = imp.zero_point_of(node, 3, _int8_kind(imp, node.input[1]))
    ws = imp.defined_shape(node, node.input[1])
    if xzp.size != 1:
        imp.fail(node, "x_zero_point must be a scalar")
    if wzp.size != 1 and (len(ws) != 4 or wzp.size != ws[0] or wzp.ndim != 1):
        imp.fail(node, "w_zero_point must be a scalar or one per output channel")
    x, xs = widened(imp, node, node.input[0], xzp.reshape(()))
    w, ws = widened(imp, node, node.input[1], wzp.reshape(()) if wzp.size == 1 else wzp.reshape(-1, 1, 1, 1))
    imp.elems[node.output[0]] = "i32"
    return _conv_of_widened(imp, node, x, xs, w, ws)


def _conv_of_widened(imp, node, x, xs, w, ws):
    """The i32 NCHW convolution of zero-point-subtracted operands (ConvInteger's)."""
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
