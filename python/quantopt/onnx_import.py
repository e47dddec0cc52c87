"""ONNX -> MLIR (linalg on tensors) importer.

    quantopt-import model.onnx -o model.mlir [--batch N] [--expose VALUE]...

Emits one function @main with the graph's inputs and outputs (then any
exposed intermediate values); initializers become dense constants; every op
carries its node's name as location, so calibration observers and error
messages name the node. An operator or attribute outside the supported
subset is an error naming the node.
"""
import argparse
import sys

import numpy as np

try:
    import onnx
    from onnx import numpy_helper
except ImportError:  # pragma: no cover
    sys.exit("quantopt-import: python3-onnx is missing (apt install python3-onnx)")


class ImportError_(Exception):
    """An error in the model, with the node it concerns."""


def _dense(values):
    values = np.asarray(values)
    if values.dtype.kind == "f":
        flat = [f"0x{v:08X}" for v in values.astype(np.float32).reshape(-1).view(np.uint32)]
    else:
        flat = [str(int(v)) for v in values.reshape(-1)]
    if values.size > 1 and all(f == flat[0] for f in flat):
        return flat[0]
    nested = np.array(flat, dtype=object).reshape(values.shape).tolist() if values.ndim else flat[0]
    return str(nested).replace("'", "")


def _ttype(shape, elem="f32"):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


def _unit_groups(rank, axes):
    """Reassociation between a shape and the same shape with unit dimensions
    at `axes`: each unit dimension joins the group of the dimension before
    it (or the first one); [] when every dimension is a unit one."""
    kept = [i for i in range(rank) if i not in axes]
    groups = [[i] for i in kept]
    for i in axes:
        if groups:
            earlier = [g for g, k in zip(groups, kept) if k < i]
            (earlier[-1] if earlier else groups[0]).append(i)
    return [sorted(g) for g in groups]


# Operators emitted on f32 tensors only.
FLOAT_OPS = {"Gemm", "MatMul", "Conv", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool",
             "Softmax", "LayerNormalization", "ReduceMean", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf",
             "Relu", "Clip", "Sigmoid", "Tanh", "Transpose"}


class Importer:
    def __init__(self, model, batch, expose=()):
        self.model = model
        self.graph = model.graph
        self.batch = batch
        self.expose = list(expose)  # intermediate values returned after the outputs
        self.defined = set()  # function-level constants emitted once
        self.lines = []
        self.values = {}      # onnx name -> (ssa, shape)
        self.elems = {}       # onnx name -> element type (default f32)
        self.arg_types = {}   # graph input name -> element type decided by its users
        self.consts = {}      # onnx name -> numpy array (initializers / Constant)
        self.counter = 0

    def fresh(self, hint="v"):
        self.counter += 1
        return f"%{hint}{self.counter}"

    def emit(self, text):
        self.lines.append("  " + text)

    def fail(self, node, message):
        raise ImportError_(f"node '{node.name or '<unnamed>'}' ({node.op_type}): {message}")

    # --- values -------------------------------------------------------------
    def const_value(self, name):
        return self.consts.get(name)

    def materialize(self, name, node):
        """SSA value of an ONNX value; constants are emitted on first use."""
        if name in self.values:
            return self.values[name]
        if name in self.consts:
            arr = self.consts[name].astype(np.float32) if self.consts[name].dtype.kind == "f" else self.consts[name]
            if arr.dtype.kind != "f":
                self.fail(node, f"integer tensor '{name}' used as data")
            ssa = self.fresh("cst")
            self.emit(f"{ssa} = arith.constant dense<{_dense(arr)}> : {_ttype(arr.shape)}")
            self.values[name] = (ssa, list(arr.shape))
            return self.values[name]
        self.fail(node, f"input '{name}' is not defined")

    def attr(self, node, name, default=None):
        for a in node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def check_attrs(self, node, allowed):
        for a in node.attribute:
            if a.name not in allowed:
                self.fail(node, f"attribute '{a.name}' is not supported")

    # --- emission helpers ---------------------------------------------------
    def once(self, name, text):
        """A function-level constant, emitted the first time it is used."""
        if name not in self.defined:
            self.defined.add(name)
            self.emit(text)
        return name

    def zeros(self, shape, elem="f32"):
        zero = "%zero" if elem == "f32" else self.once("%zero_i32", "%zero_i32 = arith.constant 0 : i32")
        e, z = self.fresh("e"), self.fresh("z")
        self.emit(f"{e} = tensor.empty() : {_ttype(shape, elem)}")
        self.emit(f"{z} = linalg.fill ins({zero} : {elem}) outs({e} : {_ttype(shape, elem)}) -> "
                  f"{_ttype(shape, elem)}")
        return z

    def elementwise(self, node, inputs, body, out_shape, elems=None, out_elem="f32", loc=None):
        """linalg.generic over out_shape; inputs are (ssa, shape) broadcast
        along leading dims (numpy rules, right-aligned), of element types
        `elems` (default f32)."""
        elems = elems or ["f32"] * len(inputs)
        rank = len(out_shape)
        dims = [f"d{i}" for i in range(rank)]
        maps = []
        for _, shape in inputs:
            if len(shape) > rank:
                self.fail(node, "cannot broadcast to a smaller rank")
            offset = rank - len(shape)
            exprs = []
            for i, d in enumerate(shape):
                od = out_shape[offset + i]
                if d == od:
                    exprs.append(dims[offset + i])
                elif d == 1:
                    exprs.append("0")
                else:
                    self.fail(node, f"shapes {shape} and {out_shape} do not broadcast")
            maps.append(f"affine_map<({', '.join(dims)}) -> ({', '.join(exprs)})>")
        ident = f"affine_map<({', '.join(dims)}) -> ({', '.join(dims)})>"
        e, r = self.fresh("e"), self.fresh("r")
        out_type = _ttype(out_shape, out_elem)
        self.emit(f"{e} = tensor.empty() : {out_type}")
        args = ", ".join(f"%a{i}: {t}" for i, t in enumerate(elems))
        ins = ", ".join(s for s, _ in inputs)
        types = ", ".join(_ttype(s, t) for (_, s), t in zip(inputs, elems))
        iterators = ", ".join(['"parallel"'] * rank)
        self.emit(f"{r} = linalg.generic {{indexing_maps = [{', '.join(maps + [ident])}], "
                  f"iterator_types = [{iterators}]}} "
                  f"ins({ins} : {types}) outs({e} : {out_type}) {{")
        self.emit(f"^bb0({args}, %out: {out_elem}):")
        for line in body:
            self.emit("  " + line)
        self.emit(f"}} -> {out_type} loc(\"{loc or node.name}\")")
        return r

    def reduce(self, node, x, xs, axes, squares=False, loc=None):
        """Sum of x (or of its squares) over `axes`, kept as unit
        dimensions: (ssa, shape)."""
        rank = len(xs)
        dims = [f"d{i}" for i in range(rank)]
        kept = [i for i in range(rank) if i not in axes]
        red = [xs[i] for i in kept]
        e, f, r = self.fresh("e"), self.fresh("f"), self.fresh("red")
        self.emit(f"{e} = tensor.empty() : {_ttype(red)}")
        self.emit(f"{f} = linalg.fill ins(%zero : f32) outs({e} : {_ttype(red)}) -> {_ttype(red)}")
        iterators = ", ".join('"reduction"' if i in axes else '"parallel"' for i in range(rank))
        self.emit(f"{r} = linalg.generic {{indexing_maps = [affine_map<({', '.join(dims)}) -> ({', '.join(dims)})>, "
                  f"affine_map<({', '.join(dims)}) -> ({', '.join(dims[i] for i in kept)})>], "
                  f"iterator_types = [{iterators}]}} ins({x} : {_ttype(xs)}) outs({f} : {_ttype(red)}) {{")
        self.emit("^bb0(%a0: f32, %acc: f32):")
        if squares:
            self.emit("  %sq = arith.mulf %a0, %a0 : f32")
            self.emit("  %s = arith.addf %acc, %sq : f32")
        else:
            self.emit("  %s = arith.addf %acc, %a0 : f32")
        self.emit("  linalg.yield %s : f32")
        self.emit(f"}} -> {_ttype(red)} loc(\"{loc or node.name}\")")
        keep = [1 if i in axes else d for i, d in enumerate(xs)]
        return self.reshape(r, red, keep, _unit_groups(rank, axes), expand=True), keep

    def reshape(self, x, shape, new_shape, groups, expand, elem="f32"):
        """tensor.expand_shape (expand) or tensor.collapse_shape with the
        reassociation `groups`."""
        if list(shape) == list(new_shape):
            return x
        r = self.fresh("x" if expand else "flat")
        reassoc = str(groups).replace(" ", "")
        if expand:
            self.emit(f"{r} = tensor.expand_shape {x} {reassoc} output_shape {list(new_shape)} : "
                      f"{_ttype(shape, elem)} into {_ttype(new_shape, elem)}")
        else:
            self.emit(f"{r} = tensor.collapse_shape {x} {reassoc} : {_ttype(shape, elem)} into "
                      f"{_ttype(new_shape, elem)}")
        return r

    def transpose(self, x, xs, perm, loc, elem="f32"):
        out = [xs[p] for p in perm]
        e, r = self.fresh("e"), self.fresh("t")
        self.emit(f"{e} = tensor.empty() : {_ttype(out, elem)}")
        self.emit(f"{r} = linalg.transpose ins({x} : {_ttype(xs, elem)}) outs({e} : {_ttype(out, elem)}) "
                  f"permutation = {list(perm)} loc(\"{loc}\")")
        return r, out

    def shape_of(self, name):
        if name in self.values:
            return self.values[name][1]
        if name in self.consts:
            return list(self.consts[name].shape)
        return self.graph_inputs.get(name)

    # --- quantized values ----------------------------------------------------
    def elem(self, name):
        return self.elems.get(name, "f32")

    def qtype(self, node, scale_name, zp_name, axis=None, shape=None):
        """The !quant.uniform type of constant scale / zero point inputs."""
        scale = self.const_value(scale_name)
        if scale is None:
            self.fail(node, f"scale '{scale_name}' must be a constant")
        zp = self.const_value(zp_name) if zp_name else None
        storage = {np.dtype(np.uint8): "u8", np.dtype(np.int8): "i8"}.get(
            zp.dtype if zp is not None else np.dtype(np.uint8))
        if storage is None:
            self.fail(node, f"zero point type {zp.dtype} is not supported (uint8 or int8)")
        scale = np.asarray(scale, np.float32).reshape(-1)
        zp = np.zeros(scale.shape, np.int64) if zp is None else np.asarray(zp).reshape(-1).astype(np.int64)
        if scale.size == 1:
            return f"!quant.uniform<{storage}:f32, {float(scale[0])!r}:{int(zp[0])}>"
        if axis is None:
            self.fail(node, "per-axis scales need an axis")
        if shape is not None and axis < 0:
            axis += len(shape)
        pairs = ", ".join(f"{float(v)!r}:{int(z)}" for v, z in zip(scale, zp))
        return f"!quant.uniform<{storage}:f32:{axis}, {{{pairs}}}>"

    def quantized(self, node, name, qt):
        """The value `name` as a tensor of quantized type `qt`: a typed
        argument, a quantized result, or a constant given as storage ints."""
        if name in self.consts:
            arr = self.consts[name]
            storage = "i8"
            ssa, c = self.fresh("q"), self.fresh("cst")
            self.emit(f"{c} = arith.constant dense<{_dense(arr.astype(np.int64))}> : {_ttype(arr.shape, storage)}")
            self.emit(f"{ssa} = quant.scast {c} : {_ttype(arr.shape, storage)} to {_ttype(arr.shape, qt)}")
            self.values[name], self.elems[name] = (ssa, list(arr.shape)), qt
            return ssa, list(arr.shape)
        ssa, shape = self.materialize(name, node)
        if self.elem(name) != qt:
            self.fail(node, f"input '{name}' is {self.elem(name)}, expected {qt}")
        return ssa, shape

    def decide_argument_types(self):
        """Integer graph inputs that quantized ops read with constant scale
        and zero point become arguments of that quantized type."""
        uses = {"DequantizeLinear": [(0, 1, 2)], "QLinearMatMul": [(0, 1, 2), (3, 4, 5)],
                "QLinearConv": [(0, 1, 2), (3, 4, 5)]}
        for node in self.graph.node:
            for data, scale, zp in uses.get(node.op_type, []):
                if len(node.input) > data and node.input[data] in self.graph_inputs:
                    axis = self.attr(node, "axis", 1) if node.op_type == "DequantizeLinear" else (
                        0 if node.op_type == "QLinearConv" and data == 3 else -1)
                    zp_name = node.input[zp] if len(node.input) > zp else None
                    shape = self.graph_inputs[node.input[data]]
                    self.arg_types[node.input[data]] = self.qtype(node, node.input[scale], zp_name, axis, shape)
            # ConvInteger computes on the storage integers of its inputs;
            # a quantized argument type is what lets it reinterpret uint8 as
            # the signless integers arith needs (the scale is never used).
            if node.op_type == "ConvInteger":
                for name in node.input[:2]:
                    if name in self.graph_inputs:
                        storage = {onnx.TensorProto.UINT8: "u8", onnx.TensorProto.INT8: "i8"}.get(
                            self.graph_input_types[name])
                        if storage is None:
                            self.fail(node, f"input '{name}' must be uint8 or int8")
                        self.arg_types[name] = f"!quant.uniform<{storage}:f32, 1.0>"

    def op_QuantizeLinear(self, node):
        self.check_attrs(node, {"axis"})
        x, shape = self.materialize(node.input[0], node)
        qt = self.qtype(node, node.input[1], node.input[2] if len(node.input) > 2 else None,
                        self.attr(node, "axis", 1), shape)
        r = self.fresh("q")
        self.emit(f"{r} = qnn.quantize {x} : {_ttype(shape)} -> {_ttype(shape, qt)} loc(\"{node.name}\")")
        self.elems[node.output[0]] = qt
        return r, shape

    def op_DequantizeLinear(self, node):
        self.check_attrs(node, {"axis"})
        name = node.input[0]
        shape = self.graph_inputs.get(name) or (self.values[name][1] if name in self.values else
                                                 list(self.consts[name].shape))
        qt = self.qtype(node, node.input[1], node.input[2] if len(node.input) > 2 else None,
                        self.attr(node, "axis", 1), shape)
        x, shape = self.quantized(node, name, qt)
        r = self.fresh("d")
        self.emit(f"{r} = qnn.dequantize {x} : {_ttype(shape, qt)} -> {_ttype(shape)} loc(\"{node.name}\")")
        return r, shape

    def op_QLinearMatMul(self, node):
        self.check_attrs(node, set())
        a_shape, b_shape = self.shape_of(node.input[0]), self.shape_of(node.input[3])
        qa = self.qtype(node, node.input[1], node.input[2])
        qb = self.qtype(node, node.input[4], node.input[5], -1, b_shape)
        qy = self.qtype(node, node.input[6], node.input[7])
        if ":f32:" in qb and b_shape is not None and len(b_shape) != 2:
            self.fail(node, "per-column scales of b need a 2-D b")
        a, a_shape = self.quantized(node, node.input[0], qa)
        b, b_shape = self.quantized(node, node.input[3], qb)

        def matmul_2d(a2, a2_shape, b2, b2_shape):
            r = self.fresh("qmm")
            self.emit(f"{r} = qnn.matmul {a2}, {b2} : {_ttype(a2_shape, qa)}, {_ttype(b2_shape, qb)} -> "
                      f"{_ttype([a2_shape[0], b2_shape[1]], qy)} loc(\"{node.name}\")")
            return r

        self.elems[node.output[0]] = qy
        return self.batched_matmul(node, a, a_shape, qa, b, b_shape, qb, qy, matmul_2d)

    def batched_matmul(self, node, a, a_shape, a_elem, b, b_shape, b_elem, out_elem, matmul_2d):
        """ONNX MatMul over leading (batch) dimensions, broadcast the NumPy
        way, from a 2-D product: a 2-D b folds the batch into the rows of
        a; otherwise each batch is a slice of a and of b, and its product is
        inserted into the result."""
        if len(a_shape) < 2 or len(b_shape) < 2:
            self.fail(node, "1-D operands are not supported")
        (m, k), (k2, n) = a_shape[-2:], b_shape[-2:]
        if k != k2:
            self.fail(node, f"K mismatch: {a_shape} x {b_shape}")
        if len(b_shape) == 2:
            rows = int(np.prod(a_shape[:-1]))
            lead = [list(range(len(a_shape) - 1)), [len(a_shape) - 1]]
            a2 = self.reshape(a, a_shape, [rows, k], lead, expand=False, elem=a_elem)
            r = matmul_2d(a2, [rows, k], b, b_shape)
            out = a_shape[:-1] + [n]
            return self.reshape(r, [rows, n], out, lead, expand=True, elem=out_elem), out
        try:
            batch = list(np.broadcast_shapes(tuple(a_shape[:-2]), tuple(b_shape[:-2])))
        except ValueError:
            self.fail(node, f"batch dimensions of {a_shape} and {b_shape} do not broadcast")
        out = batch + [m, n]
        result = self.fresh("e")
        self.emit(f"{result} = tensor.empty() : {_ttype(out, out_elem)}")

        def matrix(x, shape, elem, index):
            if len(shape) == 2:
                return x
            lead = index[len(index) - (len(shape) - 2):]
            offsets = [i if d != 1 else 0 for i, d in zip(lead, shape[:-2])] + [0, 0]
            r = self.fresh("slice")
            self.emit(f"{r} = tensor.extract_slice {x}[{', '.join(map(str, offsets))}] "
                      f"[{', '.join(['1'] * (len(shape) - 2) + [str(shape[-2]), str(shape[-1])])}] "
                      f"[{', '.join(['1'] * len(shape))}] : {_ttype(shape, elem)} to {_ttype(shape[-2:], elem)}")
            return r

        for index in np.ndindex(*batch):
            index = list(index)
            r = matmul_2d(matrix(a, a_shape, a_elem, index), a_shape[-2:], matrix(b, b_shape, b_elem, index),
                          b_shape[-2:])
            ins = self.fresh("ins")
            self.emit(f"{ins} = tensor.insert_slice {r} into {result}[{', '.join(map(str, index + [0, 0]))}] "
                      f"[{', '.join(['1'] * len(batch) + [str(m), str(n)])}] [{', '.join(['1'] * len(out))}] : "
                      f"{_ttype([m, n], out_elem)} into {_ttype(out, out_elem)}")
            result = ins
        return result, out

    def op_QLinearConv(self, node):
        self.check_attrs(node, {"pads", "strides", "dilations", "group", "kernel_shape", "auto_pad"})
        if self.attr(node, "group", 1) != 1:
            self.fail(node, "grouped convolutions are not supported")
        qx = self.qtype(node, node.input[1], node.input[2])
        w_const = self.const_value(node.input[3])
        qw = self.qtype(node, node.input[4], node.input[5], 0)
        qy = self.qtype(node, node.input[6], node.input[7])
        x, xs = self.quantized(node, node.input[0], qx)
        w, ws = self.quantized(node, node.input[3], qw)
        if len(xs) != 4 or len(ws) != 4:
            self.fail(node, "only 2-D convolutions (NCHW) are supported")
        strides = list(self.attr(node, "strides", [1, 1]))
        dil = list(self.attr(node, "dilations", [1, 1]))
        pads = self.pads_of(node, xs[2:], ws[2:], strides, dil)
        oh = (xs[2] + pads[0] + pads[2] - dil[0] * (ws[2] - 1) - 1) // strides[0] + 1
        ow = (xs[3] + pads[1] + pads[3] - dil[1] * (ws[3] - 1) - 1) // strides[1] + 1
        out = [xs[0], ws[0], oh, ow]
        operands, types = f"{x}, {w}", f"{_ttype(xs, qx)}, {_ttype(ws, qw)}"
        if len(node.input) > 8 and node.input[8]:
            bias = self.const_value(node.input[8])
            if bias is None:
                self.fail(node, "the bias must be a constant")
            b = self.fresh("bias")
            self.emit(f"{b} = arith.constant dense<{_dense(bias.astype(np.int64))}> : {_ttype(bias.shape, 'i32')}")
            operands += f" bias {b}"
            types += f", {_ttype(bias.shape, 'i32')}"
        r = self.fresh("qconv")
        attrs = (f'layout = "nchw_fchw", strides = array<i64: {strides[0]}, {strides[1]}>, '
                 f"dilations = array<i64: {dil[0]}, {dil[1]}>, padding = array<i64: {', '.join(map(str, pads))}>")
        self.emit(f"{r} = qnn.conv2d {operands} {{{attrs}}} : {types} -> {_ttype(out, qy)} loc(\"{node.name}\")")
        self.elems[node.output[0]] = qy
        return r, out

    def op_MatMulInteger(self, node):
        self.check_attrs(node, set())
        a, a_shape = self.materialize(node.input[0], node)
        a_elem = self.elem(node.input[0])
        if a_elem not in ("ui8", "i8"):
            self.fail(node, f"A must be a uint8 or int8 value, not {a_elem}")
        b_name = node.input[1]
        if b_name in self.consts:
            arr = self.consts[b_name]
            b, b_shape = self.fresh("cst"), list(arr.shape)
            b_elem = "ui8" if arr.dtype == np.uint8 else "i8"
            self.emit(f"{b} = arith.constant dense<{_dense(arr.astype(np.int64))}> : {_ttype(b_shape, b_elem)}")
        else:
            b, b_shape = self.materialize(b_name, node)
            b_elem = self.elem(b_name)
        azp = self.zero_point(node, 2)
        bzp = self.zero_point(node, 3)
        if azp.size != 1 or bzp.size != 1:
            self.fail(node, "zero points must be scalar constants")
        z = self.fresh("zp")
        self.emit(f"{z} = arith.constant dense<{int(azp.reshape(-1)[0])}> : {_ttype([], a_elem)}")

        def matmul_2d(a2, a2_shape, b2, b2_shape):
            r = self.fresh("mmi")
            self.emit(f"{r} = qnn.matmul_integer {a2}, {b2} zero_point {z} "
                      f"{{rhs_zero_point = {int(bzp.reshape(-1)[0])} : i64}} "
                      f": {_ttype(a2_shape, a_elem)}, {_ttype(b2_shape, b_elem)}, {_ttype([], a_elem)} -> "
                      f"{_ttype([a2_shape[0], b2_shape[1]], 'i32')} loc(\"{node.name}\")")
            return r

        self.elems[node.output[0]] = "i32"
        return self.batched_matmul(node, a, a_shape, a_elem, b, b_shape, b_elem, "i32", matmul_2d)

    def zero_point(self, node, index):
        """The constant zero point input `index` (0 when absent)."""
        if len(node.input) <= index or not node.input[index]:
            return np.zeros((), np.int64)
        zp = self.const_value(node.input[index])
        if zp is None:
            self.fail(node, f"zero point '{node.input[index]}' must be a constant")
        return zp.astype(np.int64)

    def widened(self, node, name, zp):
        """A uint8 / int8 input minus its zero point (a scalar, or an array
        that broadcasts against it), as i32: what ConvInteger multiplies."""
        if name in self.consts:
            arr = self.consts[name]
            if arr.dtype not in (np.uint8, np.int8):
                self.fail(node, f"input '{name}' must be uint8 or int8")
            v = arr.astype(np.int64) - zp
            c = self.fresh("cst")
            self.emit(f"{c} = arith.constant dense<{_dense(v)}> : {_ttype(v.shape, 'i32')}")
            return c, list(v.shape)
        x, shape = self.materialize(name, node)
        elem = self.elem(name)
        if not elem.startswith("!quant.uniform<"):
            self.fail(node, f"input '{name}' is {elem}: only graph inputs, constants and quantized values "
                            "can be read")
        storage = self.fresh("s")
        self.emit(f"{storage} = quant.scast {x} : {_ttype(shape, elem)} to {_ttype(shape, 'i8')}")
        ext = "extui" if elem.startswith("!quant.uniform<u") else "extsi"
        inputs, elems = [(storage, shape)], ["i8"]
        if np.size(zp) == 1 and int(np.reshape(zp, -1)[0]) == 0:
            body = [f"%y = arith.{ext} %a0 : i8 to i32"]
        elif np.size(zp) == 1:
            body = [f"%w = arith.{ext} %a0 : i8 to i32", f"%zp = arith.constant {int(np.reshape(zp, -1)[0])} : i32",
                    "%y = arith.subi %w, %zp : i32"]
        else:
            c = self.fresh("zp")
            self.emit(f"{c} = arith.constant dense<{_dense(zp)}> : {_ttype(zp.shape, 'i32')}")
            inputs.append((c, list(zp.shape)))
            elems.append("i32")
            body = [f"%w = arith.{ext} %a0 : i8 to i32", "%y = arith.subi %w, %a1 : i32"]
        r = self.elementwise(node, inputs, body + ["linalg.yield %y : i32"], shape, elems, "i32",
                             loc=f"{node.name}.{name}")
        return r, shape

    def op_ConvInteger(self, node):
        self.check_attrs(node, {"pads", "strides", "dilations", "group", "kernel_shape", "auto_pad"})
        xzp, wzp = self.zero_point(node, 2), self.zero_point(node, 3)
        ws = self.shape_of(node.input[1])
        if xzp.size != 1:
            self.fail(node, "x_zero_point must be a scalar")
        if wzp.size != 1 and (len(ws) != 4 or wzp.size != ws[0]):
            self.fail(node, "w_zero_point must be a scalar or one per output channel")
        x, xs = self.widened(node, node.input[0], xzp.reshape(()))
        w, ws = self.widened(node, node.input[1], wzp.reshape(()) if wzp.size == 1 else wzp.reshape(-1, 1, 1, 1))
        if len(xs) != 4 or len(ws) != 4:
            self.fail(node, "only 2-D convolutions (NCHW) are supported")
        group = self.attr(node, "group", 1)
        if xs[1] != ws[1] * group or ws[0] % group:
            self.fail(node, f"channels of {xs} and {ws} do not match group {group}")
        strides = list(self.attr(node, "strides", [1, 1]))
        dil = list(self.attr(node, "dilations", [1, 1]))
        pads = self.pads_of(node, xs[2:], ws[2:], strides, dil)
        # Zero-point-subtracted inputs pad with 0, as ONNX pads x with its
        # zero point.
        x, xs = self.pad(x, xs, pads, self.once("%zero_i32", "%zero_i32 = arith.constant 0 : i32"), "i32")
        self.elems[node.output[0]] = "i32"
        return self.conv(node, x, xs, w, ws, group, strides, dil, "i32")

    def conv(self, node, x, xs, w, ws, group, strides, dil, elem):
        """NCHW convolution of a padded input with an FCHW filter (both SSA
        values of element type elem), grouped through linalg's NGCHW form."""
        oh = (xs[2] - dil[0] * (ws[2] - 1) - 1) // strides[0] + 1
        ow = (xs[3] - dil[1] * (ws[3] - 1) - 1) // strides[1] + 1
        out = [xs[0], ws[0], oh, ow]
        attrs = f"{{dilations = dense<{dil}> : tensor<2xi64>, strides = dense<{strides}> : tensor<2xi64>}}"
        r = self.fresh("conv")
        if group == 1:
            z = self.zeros(out, elem)
            self.emit(f"{r} = linalg.conv_2d_nchw_fchw {attrs} ins({x}, {w} : {_ttype(xs, elem)}, "
                      f"{_ttype(ws, elem)}) outs({z} : {_ttype(out, elem)}) -> {_ttype(out, elem)} "
                      f"loc(\"{node.name}\")")
            return r, out
        g = group
        xs5, ws5 = [xs[0], g, xs[1] // g, xs[2], xs[3]], [g, ws[0] // g, ws[1], ws[2], ws[3]]
        out5 = [xs[0], g, ws[0] // g, oh, ow]
        x5 = self.reshape(x, xs, xs5, [[0], [1, 2], [3], [4]], expand=True, elem=elem)
        w5 = self.reshape(w, ws, ws5, [[0, 1], [2], [3], [4]], expand=True, elem=elem)
        z = self.zeros(out5, elem)
        self.emit(f"{r} = linalg.conv_2d_ngchw_gfchw {attrs} ins({x5}, {w5} : {_ttype(xs5, elem)}, "
                  f"{_ttype(ws5, elem)}) outs({z} : {_ttype(out5, elem)}) -> {_ttype(out5, elem)} "
                  f"loc(\"{node.name}\")")
        return self.reshape(r, out5, out, [[0], [1, 2], [3], [4]], expand=False, elem=elem), out

    def op_DynamicQuantizeLinear(self, node):
        self.check_attrs(node, set())
        x, shape = self.materialize(node.input[0], node)
        q, s, z = self.fresh("dq"), self.fresh("ds"), self.fresh("dz")
        self.emit(f"{q}, {s}, {z} = qnn.dynamic_quantize {x} : {_ttype(shape)} -> "
                  f"{_ttype(shape, 'ui8')}, tensor<f32>, tensor<ui8> loc(\"{node.name}\")")
        self.values[node.output[1]], self.elems[node.output[1]] = (s, []), "f32"
        self.values[node.output[2]], self.elems[node.output[2]] = (z, []), "ui8"
        self.elems[node.output[0]] = "ui8"
        return q, shape

    # --- operators ----------------------------------------------------------
    def op_Gemm(self, node):
        self.check_attrs(node, {"alpha", "beta", "transA", "transB"})
        if self.attr(node, "alpha", 1.0) != 1.0 or self.attr(node, "beta", 1.0) != 1.0:
            self.fail(node, "alpha and beta other than 1 are not supported")
        if self.attr(node, "transA", 0):
            self.fail(node, "transA is not supported")
        a, a_shape = self.materialize(node.input[0], node)
        w = self.const_value(node.input[1])
        if w is None:
            self.fail(node, "the weight (B) must be a constant")
        if self.attr(node, "transB", 0):
            w = w.T
        b = self.const_value(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        return self.matmul(node, a, a_shape, w.astype(np.float32), b)

    def op_MatMul(self, node):
        self.check_attrs(node, set())
        a, a_shape = self.materialize(node.input[0], node)
        w = self.const_value(node.input[1])
        if w is None or len(a_shape) < 2 or w.ndim != 2:
            self.fail(node, "only activations (2-D or more) times constant 2-D weights are supported")
        # Leading dimensions of the activations fold into its rows.
        rows, lead = int(np.prod(a_shape[:-1])), [list(range(len(a_shape) - 1)), [len(a_shape) - 1]]
        a2 = self.reshape(a, a_shape, [rows, a_shape[-1]], lead, expand=False)
        r, _ = self.matmul(node, a2, [rows, a_shape[-1]], w.astype(np.float32), None)
        out = a_shape[:-1] + [w.shape[1]]
        return self.reshape(r, [rows, w.shape[1]], out, lead, expand=True), out

    def matmul(self, node, a, a_shape, w, bias):
        m, k = a_shape
        if w.shape[0] != k:
            self.fail(node, f"K mismatch: {a_shape} x {list(w.shape)}")
        n = w.shape[1]
        wssa = self.fresh("w")
        self.emit(f"{wssa} = arith.constant dense<{_dense(w)}> : {_ttype(w.shape)}")
        z = self.zeros([m, n])
        r = self.fresh("mm")
        self.emit(f"{r} = linalg.matmul ins({a}, {wssa} : {_ttype(a_shape)}, {_ttype(w.shape)}) "
                  f"outs({z} : {_ttype([m, n])}) -> {_ttype([m, n])} loc(\"{node.name}\")")
        if bias is None:
            return r, [m, n]
        bias = np.asarray(bias, np.float32)
        try:
            np.broadcast_shapes(bias.shape, (m, n))
        except ValueError:
            self.fail(node, f"bias of shape {list(bias.shape)} does not broadcast to {[m, n]}")
        if bias.ndim == 2 and bias.shape[0] != 1:  # a per-row or full-matrix bias
            bshape = list(bias.shape)
        else:  # one value per column: what quant-fuse-layers folds
            bias, bshape = np.broadcast_to(bias.reshape(-1), (n,)).copy(), [n]
        bssa = self.fresh("b")
        self.emit(f"{bssa} = arith.constant dense<{_dense(bias)}> : {_ttype(bshape)}")
        out = self.elementwise(node, [(r, [m, n]), (bssa, bshape)],
                               ["%s = arith.addf %a0, %a1 : f32", "linalg.yield %s : f32"], [m, n],
                               loc=f"{node.name}.bias")
        return out, [m, n]

    def binary(self, node, op):
        self.check_attrs(node, set())
        a = self.materialize(node.input[0], node)
        b = self.materialize(node.input[1], node)
        try:
            shape = list(np.broadcast_shapes(tuple(a[1]), tuple(b[1])))
        except ValueError:
            self.fail(node, f"shapes {a[1]} and {b[1]} do not broadcast")
        op = op if "." in op else f"arith.{op}"
        return self.elementwise(node, [a, b], [f"%s = {op} %a0, %a1 : f32", "linalg.yield %s : f32"], shape), shape

    def op_Add(self, node):
        return self.binary(node, "addf")

    def op_Sub(self, node):
        return self.binary(node, "subf")

    def op_Mul(self, node):
        return self.binary(node, "mulf")

    def op_Div(self, node):
        return self.binary(node, "divf")

    def unary(self, node, body):
        x = self.materialize(node.input[0], node)
        return self.elementwise(node, [x], body + ["linalg.yield %y : f32"], x[1]), x[1]

    def op_Relu(self, node):
        self.check_attrs(node, set())
        return self.unary(node, ["%y = arith.maximumf %a0, %zero : f32"])

    def op_Sigmoid(self, node):
        self.check_attrs(node, set())
        return self.unary(node, ["%n = arith.negf %a0 : f32", "%e = math.exp %n : f32",
                                 "%one = arith.constant 1.0 : f32", "%d = arith.addf %one, %e : f32",
                                 "%y = arith.divf %one, %d : f32"])

    def op_Tanh(self, node):
        self.check_attrs(node, set())
        return self.unary(node, ["%y = math.tanh %a0 : f32"])

    def op_Clip(self, node):
        self.check_attrs(node, set())
        lo = self.const_value(node.input[1]) if len(node.input) > 1 and node.input[1] else None
        hi = self.const_value(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        body = []
        cur = "%a0"
        if lo is not None:
            body += [f"%lo = arith.constant {float(lo):e} : f32", f"%c1 = arith.maximumf {cur}, %lo : f32"]
            cur = "%c1"
        if hi is not None:
            body += [f"%hi = arith.constant {float(hi):e} : f32", f"%c2 = arith.minimumf {cur}, %hi : f32"]
            cur = "%c2"
        body.append(f"%y = arith.addf {cur}, %zero : f32")
        return self.unary(node, body)

    def op_Pow(self, node):
        self.check_attrs(node, set())
        e = self.const_value(node.input[1])
        if e is not None and e.size == 1:
            e = float(e.reshape(-1)[0])
            if e == 2.0:  # exact, as NumPy squares
                return self.unary(node, ["%y = arith.mulf %a0, %a0 : f32"])
            return self.unary(node, [f"%p = arith.constant {e!r} : f32", "%y = math.powf %a0, %p : f32"])
        if e is not None and e.dtype.kind != "f":
            self.consts[node.input[1]] = e.astype(np.float32)
        return self.binary(node, "math.powf")

    def op_Sqrt(self, node):
        self.check_attrs(node, set())
        return self.unary(node, ["%y = math.sqrt %a0 : f32"])

    # erf(x) ~ x * P(x^2) / Q(x^2) on [-4, 4] (Eigen's and XLA's f32
    # approximation, within 5e-7 of erf): math.erf has no lowering to LLVM.
    ERF_P = [-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
             -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02]
    ERF_Q = [-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
             -1.42647390514189e-02]

    def op_Erf(self, node):
        self.check_attrs(node, set())
        body = ["%lo = arith.constant -4.0 : f32", "%hi = arith.constant 4.0 : f32",
                "%xl = arith.maximumf %a0, %lo : f32", "%x = arith.minimumf %xl, %hi : f32",
                "%xx = arith.mulf %x, %x : f32"]
        for name, coeffs in (("p", self.ERF_P), ("q", self.ERF_Q)):
            acc = f"%{name}_c0"
            body.append(f"{acc} = arith.constant {float(np.float32(coeffs[0]))!r} : f32")
            for i, c in enumerate(coeffs[1:], 1):
                body += [f"%{name}_m{i} = arith.mulf {acc}, %xx : f32",
                         f"%{name}_c{i} = arith.constant {float(np.float32(c))!r} : f32",
                         f"%{name}_s{i} = arith.addf %{name}_m{i}, %{name}_c{i} : f32"]
                acc = f"%{name}_s{i}"
            body.append(f"%{name} = arith.addf {acc}, %zero : f32")
        body += ["%xp = arith.mulf %x, %p : f32", "%y = arith.divf %xp, %q : f32"]
        return self.unary(node, body)

    def axes_of(self, node, rank, input_index):
        """Reduction axes from the 'axes' attribute or (opset 18) input,
        normalized and sorted; None when absent."""
        axes = self.attr(node, "axes")
        if axes is None and len(node.input) > input_index and node.input[input_index]:
            axes = self.const_value(node.input[input_index])
            if axes is None:
                self.fail(node, "the axes must be a constant")
        if axes is None:
            return None
        axes = sorted({int(a) + rank if int(a) < 0 else int(a) for a in np.reshape(axes, -1)})
        if any(not 0 <= a < rank for a in axes):
            self.fail(node, f"axes {axes} out of range for rank {rank}")
        return axes

    def op_ReduceMean(self, node):
        self.check_attrs(node, {"axes", "keepdims", "noop_with_empty_axes"})
        x, xs = self.materialize(node.input[0], node)
        axes = self.axes_of(node, len(xs), 1)
        if not axes:
            if self.attr(node, "noop_with_empty_axes", 0):
                return x, xs
            axes = list(range(len(xs)))
        s, keep = self.reduce(node, x, xs, axes, loc=f"{node.name}.sum")
        count = float(np.prod([xs[a] for a in axes]))
        y = self.elementwise(node, [(s, keep)], [f"%n = arith.constant {count!r} : f32",
                                                 "%y = arith.divf %a0, %n : f32", "linalg.yield %y : f32"], keep)
        if self.attr(node, "keepdims", 1):
            return y, keep
        out = [d for i, d in enumerate(xs) if i not in axes]
        return self.reshape(y, keep, out, _unit_groups(len(xs), axes), expand=False), out

    def op_LayerNormalization(self, node):
        self.check_attrs(node, {"axis", "epsilon", "stash_type"})
        if self.attr(node, "stash_type", 1) != 1:
            self.fail(node, "only float statistics (stash_type 1) are supported")
        x, xs = self.materialize(node.input[0], node)
        axis = self.attr(node, "axis", -1)
        axis = axis + len(xs) if axis < 0 else axis
        axes = list(range(axis, len(xs)))
        count = float(np.prod(xs[axis:]))
        eps = float(np.float32(self.attr(node, "epsilon", 1e-5)))
        # As ONNX's reference: d = x - mean, var = mean(d * d),
        # y = d * (1 / sqrt(var + epsilon)) * scale + bias.
        s, keep = self.reduce(node, x, xs, axes, loc=f"{node.name}.mean")
        d = self.elementwise(node, [(x, xs), (s, keep)],
                             [f"%n = arith.constant {count!r} : f32", "%m = arith.divf %a1, %n : f32",
                              "%y = arith.subf %a0, %m : f32", "linalg.yield %y : f32"], xs, loc=f"{node.name}.center")
        v, _ = self.reduce(node, d, xs, axes, squares=True, loc=f"{node.name}.var")
        inv = self.elementwise(node, [(v, keep)],
                               [f"%n = arith.constant {count!r} : f32", f"%eps = arith.constant {eps!r} : f32",
                                "%one = arith.constant 1.0 : f32", "%var = arith.divf %a0, %n : f32",
                                "%ve = arith.addf %var, %eps : f32", "%sd = math.sqrt %ve : f32",
                                "%y = arith.divf %one, %sd : f32", "linalg.yield %y : f32"], keep,
                               loc=f"{node.name}.invstd")
        if len(node.output) > 1 and node.output[1]:
            self.values[node.output[1]] = (self.elementwise(
                node, [(s, keep)], [f"%n = arith.constant {count!r} : f32", "%y = arith.divf %a0, %n : f32",
                                    "linalg.yield %y : f32"], keep, loc=f"{node.name}.mean"), keep)
        if len(node.output) > 2 and node.output[2]:
            self.values[node.output[2]] = (inv, keep)
        inputs = [(d, xs), (inv, keep), self.materialize(node.input[1], node)]
        body = ["%nrm = arith.mulf %a0, %a1 : f32", "%y = arith.mulf %nrm, %a2 : f32"]
        if len(node.input) > 2 and node.input[2]:
            inputs.append(self.materialize(node.input[2], node))
            body = ["%nrm = arith.mulf %a0, %a1 : f32", "%sc = arith.mulf %nrm, %a2 : f32",
                    "%y = arith.addf %sc, %a3 : f32"]
        return self.elementwise(node, inputs, body + ["linalg.yield %y : f32"], xs), xs

    def op_AveragePool(self, node):
        self.check_attrs(node, {"kernel_shape", "pads", "strides", "auto_pad", "ceil_mode", "count_include_pad"})
        if self.attr(node, "ceil_mode", 0):
            self.fail(node, "ceil_mode is not supported")
        x, xs = self.materialize(node.input[0], node)
        k = list(self.attr(node, "kernel_shape"))
        if len(xs) != 4 or len(k) != 2:
            self.fail(node, "only 2-D pooling (NCHW) is supported")
        strides = list(self.attr(node, "strides", [1, 1]))
        pads = self.pads_of(node, xs[2:], k, strides, [1, 1])
        h, w = xs[2], xs[3]
        x, xs = self.pad(x, xs, pads, "%zero")
        oh = (xs[2] - k[0]) // strides[0] + 1
        ow = (xs[3] - k[1]) // strides[1] + 1
        out = [xs[0], xs[1], oh, ow]
        win, r = self.fresh("win"), self.fresh("pool")
        self.emit(f"{win} = tensor.empty() : {_ttype(k)}")
        z = self.zeros(out)
        self.emit(f"{r} = linalg.pooling_nchw_sum {{dilations = dense<1> : tensor<2xi64>, "
                  f"strides = dense<{strides}> : tensor<2xi64>}} ins({x}, {win} : {_ttype(xs)}, {_ttype(k)}) "
                  f"outs({z} : {_ttype(out)}) -> {_ttype(out)} loc(\"{node.name}.sum\")")
        if self.attr(node, "count_include_pad", 0) or not any(pads):
            return self.elementwise(node, [(r, out)], [f"%n = arith.constant {float(k[0] * k[1])!r} : f32",
                                                       "%y = arith.divf %a0, %n : f32", "linalg.yield %y : f32"],
                                    out), out
        # Without the padding, windows at the border hold fewer elements.
        def counts(size, n, kernel, stride, before):
            starts = np.arange(n) * stride - before
            return np.minimum(starts + kernel, size) - np.maximum(starts, 0)
        count = np.outer(counts(h, oh, k[0], strides[0], pads[0]), counts(w, ow, k[1], strides[1], pads[1]))
        c = self.fresh("cnt")
        self.emit(f"{c} = arith.constant dense<{_dense(count.astype(np.float32))}> : {_ttype([oh, ow])}")
        return self.elementwise(node, [(r, out), (c, [oh, ow])],
                                ["%y = arith.divf %a0, %a1 : f32", "linalg.yield %y : f32"], out), out

    def op_Concat(self, node):
        self.check_attrs(node, {"axis"})
        names = [n for n in node.input if n]
        if all(n in self.consts for n in names):  # shape arithmetic and the like
            self.consts[node.output[0]] = np.concatenate([self.consts[n] for n in names], self.attr(node, "axis"))
            return None
        parts = [self.materialize(n, node) for n in names]
        elems = {self.elem(n) for n in names}
        if len(elems) != 1:
            self.fail(node, f"inputs of different element types {sorted(elems)}")
        elem = elems.pop()
        rank = len(parts[0][1])
        axis = self.attr(node, "axis")
        axis = axis + rank if axis < 0 else axis
        for _, shape in parts:
            if len(shape) != rank or any(d != e for i, (d, e) in enumerate(zip(shape, parts[0][1])) if i != axis):
                self.fail(node, f"shapes {[p[1] for p in parts]} do not concatenate along axis {axis}")
        out = list(parts[0][1])
        out[axis] = sum(shape[axis] for _, shape in parts)
        self.elems[node.output[0]] = elem
        if len(parts) == 1:
            return parts[0]
        r = self.fresh("cat")
        self.emit(f"{r} = tensor.concat dim({axis}) {', '.join(s for s, _ in parts)} : "
                  f"({', '.join(_ttype(shape, elem) for _, shape in parts)}) -> {_ttype(out, elem)} "
                  f"loc(\"{node.name}\")")
        return r, out

    def op_Slice(self, node):
        self.check_attrs(node, {"starts", "ends", "axes"})  # attributes before opset 10
        params = []
        for i, name in enumerate(("starts", "ends", "axes", "steps"), 1):
            value = self.attr(node, name)
            if value is None and len(node.input) > i and node.input[i]:
                value = self.const_value(node.input[i])
                if value is None:
                    self.fail(node, f"{name} must be a constant")
            params.append(None if value is None else [int(v) for v in np.reshape(value, -1)])
        starts, ends, axes, steps = params
        shape = self.shape_of(node.input[0])
        if shape is None:
            self.fail(node, f"input '{node.input[0]}' is not defined")
        rank = len(shape)
        axes = [a + rank if a < 0 else a for a in (axes or range(len(starts)))]
        steps = steps or [1] * len(starts)
        offsets, sizes, strides, reverse = [0] * rank, list(shape), [1] * rank, []
        index = [slice(None)] * rank
        for a, start, end, step in zip(axes, starts, ends, steps):
            n = shape[a]
            if step == 0:
                self.fail(node, "steps must not be 0")
            start, end = start + n if start < 0 else start, end + n if end < 0 else end
            if step > 0:
                start, end = min(max(start, 0), n), min(max(end, 0), n)
                count = max(0, -(-(end - start) // step))
                offsets[a], sizes[a], strides[a] = start, count, step
            else:
                start, end = min(max(start, 0), n - 1), min(max(end, -1), n - 1)
                count = max(0, -(-(start - end) // -step))
                # The same elements in increasing order, reversed afterwards.
                offsets[a], sizes[a], strides[a] = start + step * (count - 1), count, -step
                reverse.append(a)
            index[a] = slice(offsets[a], offsets[a] + strides[a] * (count - 1) + 1 if count else 0, strides[a])
            if count == 0:
                self.fail(node, "empty slices are not supported")
        if node.input[0] in self.consts:
            value = self.consts[node.input[0]][tuple(index)]
            self.consts[node.output[0]] = np.flip(value, reverse) if reverse else value
            return None
        x, xs = self.materialize(node.input[0], node)
        elem = self.elem(node.input[0])
        self.elems[node.output[0]] = elem
        r = x
        if sizes != xs or any(s != 1 for s in strides):
            r = self.fresh("slice")
            self.emit(f"{r} = tensor.extract_slice {x}{offsets} {sizes} {strides} : {_ttype(xs, elem)} to "
                      f"{_ttype(sizes, elem)} loc(\"{node.name}\")")
        if not reverse:
            return r, sizes
        if elem != "f32":
            self.fail(node, "negative steps are only supported on float tensors")
        dims = [f"d{i}" for i in range(rank)]
        exprs = [f"{sizes[i] - 1} - d{i}" if i in reverse else f"d{i}" for i in range(rank)]
        iterators = ", ".join(['"parallel"'] * rank)
        e, rev = self.fresh("e"), self.fresh("rev")
        self.emit(f"{e} = tensor.empty() : {_ttype(sizes)}")
        self.emit(f"{rev} = linalg.generic {{indexing_maps = [affine_map<({', '.join(dims)}) -> ({', '.join(exprs)})>, "
                  f"affine_map<({', '.join(dims)}) -> ({', '.join(dims)})>], iterator_types = [{iterators}]}} "
                  f"ins({r} : {_ttype(sizes)}) outs({e} : {_ttype(sizes)}) {{")
        self.emit("^bb0(%a0: f32, %out: f32):")
        self.emit("  linalg.yield %a0 : f32")
        self.emit(f"}} -> {_ttype(sizes)} loc(\"{node.name}.reverse\")")
        return rev, sizes

    def op_Gather(self, node):
        self.check_attrs(node, {"axis"})
        data, indices = node.input[0], node.input[1]
        data_shape, ind_shape = self.shape_of(data), self.shape_of(indices)
        if data_shape is None or ind_shape is None:
            self.fail(node, "inputs are not defined")
        rank = len(data_shape)
        axis = self.attr(node, "axis", 0)
        axis = axis + rank if axis < 0 else axis
        n = data_shape[axis]
        idx = self.const_value(indices)
        if idx is not None:
            if np.any(idx < -n) or np.any(idx >= n):
                self.fail(node, f"indices out of range [{-n}, {n})")
            idx = np.where(idx < 0, idx + n, idx)
        if data in self.consts and idx is not None:
            self.consts[node.output[0]] = np.take(self.consts[data], idx, axis)
            return None
        out = data_shape[:axis] + ind_shape + data_shape[axis + 1:]
        x, xs = self.materialize(data, node)
        elem = self.elem(data)
        step = np.diff(idx.reshape(-1)) if idx is not None else None
        if idx is not None and idx.ndim <= 1 and (idx.size == 1 or (np.all(step == step[0]) and step[0] > 0)):
            # Constant indices in arithmetic progression: a strided slice
            # (rank-reducing for a scalar index).
            first = int(idx.reshape(-1)[0])
            stride = int(step[0]) if idx.size > 1 else 1
            offsets, sizes, strides = [0] * rank, list(xs), [1] * rank
            offsets[axis], sizes[axis], strides[axis] = first, idx.size, stride
            r = self.fresh("slice")
            self.emit(f"{r} = tensor.extract_slice {x}{offsets} {sizes} {strides} : {_ttype(xs, elem)} to "
                      f"{_ttype(out, elem)} loc(\"{node.name}\")")
            self.elems[node.output[0]] = elem
            return r, out
        if elem != "f32":
            self.fail(node, "only float data can be gathered with these indices")
        if idx is not None:
            ind, ind_elem = self.fresh("idx"), "i64"
            self.emit(f"{ind} = arith.constant dense<{_dense(idx.astype(np.int64))}> : {_ttype(idx.shape, 'i64')}")
        else:
            ind, _ = self.materialize(indices, node)
            ind_elem = self.elem(indices)
            if ind_elem not in ("i64", "i32"):
                self.fail(node, f"indices must be int64 or int32, not {ind_elem}")
        # One output element per (outer, index, inner) position: the index
        # tensor is read through the indexing map, the data with
        # tensor.extract at the clamped index (negative indices count from
        # the end, as in ONNX).
        q = len(ind_shape)
        dims = [f"d{i}" for i in range(len(out))]
        iterators = ", ".join(['"parallel"'] * len(out))
        e, r = self.fresh("e"), self.fresh("gather")
        self.emit(f"{e} = tensor.empty() : {_ttype(out)}")
        self.emit(f"{r} = linalg.generic {{indexing_maps = [affine_map<({', '.join(dims)}) -> "
                  f"({', '.join(dims[axis:axis + q])})>, affine_map<({', '.join(dims)}) -> ({', '.join(dims)})>], "
                  f"iterator_types = [{iterators}]}} ins({ind} : {_ttype(ind_shape, ind_elem)}) "
                  f"outs({e} : {_ttype(out)}) {{")
        self.emit(f"^bb0(%a0: {ind_elem}, %out: f32):")
        self.emit(f"  %n = arith.constant {n} : {ind_elem}")
        self.emit(f"  %last = arith.constant {n - 1} : {ind_elem}")
        self.emit(f"  %zi = arith.constant 0 : {ind_elem}")
        self.emit(f"  %neg = arith.cmpi slt, %a0, %zi : {ind_elem}")
        self.emit(f"  %wrapped = arith.addi %a0, %n : {ind_elem}")
        self.emit(f"  %i = arith.select %neg, %wrapped, %a0 : {ind_elem}")
        self.emit(f"  %lo = arith.maxsi %i, %zi : {ind_elem}")
        self.emit(f"  %c = arith.minsi %lo, %last : {ind_elem}")
        self.emit(f"  %k = arith.index_cast %c : {ind_elem} to index")
        coords = []
        for i in range(rank):
            if i == axis:
                coords.append("%k")
            else:
                j = i if i < axis else i + q - 1
                self.emit(f"  %j{j} = linalg.index {j} : index")
                coords.append(f"%j{j}")
        self.emit(f"  %v = tensor.extract {x}[{', '.join(coords)}] : {_ttype(xs)}")
        self.emit("  linalg.yield %v : f32")
        self.emit(f"}} -> {_ttype(out)} loc(\"{node.name}\")")
        return r, out

    def op_Conv(self, node):
        self.check_attrs(node, {"pads", "strides", "dilations", "group", "kernel_shape", "auto_pad"})
        x, xs = self.materialize(node.input[0], node)
        w = self.const_value(node.input[1])
        if w is None or w.ndim != 4 or len(xs) != 4:
            self.fail(node, "only 2-D convolutions (NCHW) with constant weights are supported")
        group = self.attr(node, "group", 1)
        if xs[1] != w.shape[1] * group or w.shape[0] % group:
            self.fail(node, f"channels of {xs} and {list(w.shape)} do not match group {group}")
        bias = None
        if len(node.input) > 2 and node.input[2]:
            bias = self.const_value(node.input[2])
            if bias is None:
                self.fail(node, "the bias must be a constant")
        strides = list(self.attr(node, "strides", [1, 1]))
        dil = list(self.attr(node, "dilations", [1, 1]))
        pads = self.pads_of(node, xs[2:], w.shape[2:], strides, dil)
        if group > 1 and group == xs[1] == w.shape[0]:
            return self.depthwise_conv(node, x, xs, w, bias, pads, strides, dil)
        x, xs = self.pad(x, xs, pads, "%zero")
        wssa = self.fresh("w")
        self.emit(f"{wssa} = arith.constant dense<{_dense(w.astype(np.float32))}> : {_ttype(w.shape)}")
        r, out = self.conv(node, x, xs, wssa, list(w.shape), group, strides, dil, "f32")
        if bias is None:
            return r, out
        bssa = self.fresh("b")
        self.emit(f"{bssa} = arith.constant dense<{_dense(bias.astype(np.float32))}> : {_ttype([out[1]])}")
        b3 = self.expand(bssa, [out[1]], [out[1], 1, 1])
        res = self.elementwise(node, [(r, out), (b3, [out[1], 1, 1])],
                               ["%s = arith.addf %a0, %a1 : f32", "linalg.yield %s : f32"], out,
                               loc=f"{node.name}.bias")
        return res, out

    def depthwise_conv(self, node, x, xs, w, bias, pads, strides, dil):
        """One filter per channel, as linalg's NHWC depthwise convolution
        (the form quant-fuse-layers and quant-rewrite-int8 know) between two
        transposes."""
        x, xs = self.transpose(x, xs, [0, 2, 3, 1], f"{node.name}.nhwc")
        top, left, bottom, right = pads
        x, xs = self.pad_nd(x, xs, [0, top, left, 0], [0, bottom, right, 0], "%zero")
        kh, kw = w.shape[2], w.shape[3]
        oh = (xs[1] - dil[0] * (kh - 1) - 1) // strides[0] + 1
        ow = (xs[2] - dil[1] * (kw - 1) - 1) // strides[1] + 1
        out = [xs[0], oh, ow, xs[3]]
        wd = w[:, 0].transpose(1, 2, 0).astype(np.float32)  # KH x KW x C
        wssa, r = self.fresh("w"), self.fresh("conv")
        self.emit(f"{wssa} = arith.constant dense<{_dense(wd)}> : {_ttype(wd.shape)}")
        z = self.zeros(out)
        self.emit(f"{r} = linalg.depthwise_conv_2d_nhwc_hwc {{dilations = dense<{dil}> : tensor<2xi64>, "
                  f"strides = dense<{strides}> : tensor<2xi64>}} ins({x}, {wssa} : {_ttype(xs)}, "
                  f"{_ttype(wd.shape)}) outs({z} : {_ttype(out)}) -> {_ttype(out)} loc(\"{node.name}\")")
        if bias is not None:
            bssa = self.fresh("b")
            self.emit(f"{bssa} = arith.constant dense<{_dense(bias.astype(np.float32))}> : {_ttype([out[3]])}")
            r = self.elementwise(node, [(r, out), (bssa, [out[3]])],
                                 ["%s = arith.addf %a0, %a1 : f32", "linalg.yield %s : f32"], out,
                                 loc=f"{node.name}.bias")
        return self.transpose(r, out, [0, 3, 1, 2], f"{node.name}.nchw")

    def expand(self, x, shape, new_shape):
        """A 1-D value with unit dimensions appended (for broadcasting)."""
        r = self.fresh("x")
        groups = str([list(range(len(new_shape)))]).replace(" ", "")
        self.emit(f"{r} = tensor.expand_shape {x} {groups} output_shape {new_shape} : "
                  f"{_ttype(shape)} into {_ttype(new_shape)}")
        return r

    def pads_of(self, node, size, kernel, strides, dil):
        """Top, left, bottom, right padding of a 2-D window op: its 'pads',
        or what auto_pad asks for (SAME_UPPER puts the odd one at the end)."""
        auto = self.attr(node, "auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto == "NOTSET":
            return list(self.attr(node, "pads", [0, 0, 0, 0]))
        if auto == "VALID":
            return [0, 0, 0, 0]
        if auto not in ("SAME_UPPER", "SAME_LOWER"):
            self.fail(node, f"auto_pad {auto} is not supported")
        begin, end = [], []
        for n, k, s, d in zip(size, kernel, strides, dil):
            total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
            small, large = total // 2, total - total // 2
            begin.append(small if auto == "SAME_UPPER" else large)
            end.append(large if auto == "SAME_UPPER" else small)
        return begin + end

    def pad(self, x, shape, pads, value, elem="f32"):
        """Pads H and W of an NCHW tensor (ONNX pads: top, left, bottom, right)."""
        top, left, bottom, right = pads
        return self.pad_nd(x, shape, [0, 0, top, left], [0, 0, bottom, right], value, elem)

    def pad_nd(self, x, shape, low, high, value, elem="f32"):
        if not any(low) and not any(high):
            return x, shape
        out = [d + lo + hi for d, lo, hi in zip(shape, low, high)]
        r = self.fresh("pad")
        self.emit(f"{r} = tensor.pad {x} low{list(low)} high{list(high)} {{")
        self.emit(f"^bb0({', '.join(f'%i{i}: index' for i in range(len(shape)))}):")
        self.emit(f"  tensor.yield {value} : {elem}")
        self.emit(f"}} : {_ttype(shape, elem)} to {_ttype(out, elem)}")
        return r, out

    def op_BatchNormalization(self, node):
        self.check_attrs(node, {"epsilon", "momentum", "training_mode"})
        if self.attr(node, "training_mode", 0):
            self.fail(node, "training mode is not supported")
        x, xs = self.materialize(node.input[0], node)
        params = [self.const_value(n) for n in node.input[1:5]]
        if any(p is None for p in params):
            self.fail(node, "scale, bias, mean and variance must be constants")
        gamma, beta, mean, var = (p.astype(np.float64) for p in params)
        eps = self.attr(node, "epsilon", 1e-5)
        # The inference form as one per-channel scale and shift, which
        # quant-fuse-layers folds into a preceding convolution.
        a = gamma / np.sqrt(var + eps)
        b = beta - mean * a
        channel = [xs[1]] + [1] * (len(xs) - 2)
        sa, sb = self.fresh("bn_a"), self.fresh("bn_b")
        self.emit(f"{sa} = arith.constant dense<{_dense(a.astype(np.float32))}> : {_ttype([xs[1]])}")
        self.emit(f"{sb} = arith.constant dense<{_dense(b.astype(np.float32))}> : {_ttype([xs[1]])}")
        # Broadcast the 1-D constants along the channel dimension.
        ra = self.expand(sa, [xs[1]], channel)
        rb = self.expand(sb, [xs[1]], channel)
        return self.elementwise(node, [(x, xs), (ra, channel), (rb, channel)],
                                ["%m = arith.mulf %a0, %a1 : f32", "%s = arith.addf %m, %a2 : f32",
                                 "linalg.yield %s : f32"], xs), xs

    def op_MaxPool(self, node):
        self.check_attrs(node, {"kernel_shape", "pads", "strides", "dilations", "auto_pad", "ceil_mode",
                                "storage_order"})
        if self.attr(node, "ceil_mode", 0) or len(node.output) > 1:
            self.fail(node, "ceil_mode and the indices output are not supported")
        x, xs = self.materialize(node.input[0], node)
        k = list(self.attr(node, "kernel_shape"))
        strides = list(self.attr(node, "strides", [1, 1]))
        if len(xs) != 4 or len(k) != 2:
            self.fail(node, "only 2-D pooling (NCHW) is supported")
        dil = list(self.attr(node, "dilations", [1, 1]))
        pads = self.pads_of(node, xs[2:], k, strides, dil)
        self.once("%ninf", "%ninf = arith.constant 0xFF800000 : f32")
        x, xs = self.pad(x, xs, pads, "%ninf")
        oh = (xs[2] - dil[0] * (k[0] - 1) - 1) // strides[0] + 1
        ow = (xs[3] - dil[1] * (k[1] - 1) - 1) // strides[1] + 1
        out = [xs[0], xs[1], oh, ow]
        win, e, init, r = self.fresh("win"), self.fresh("e"), self.fresh("init"), self.fresh("pool")
        self.emit(f"{win} = tensor.empty() : {_ttype(k)}")
        self.emit(f"{e} = tensor.empty() : {_ttype(out)}")
        self.emit(f"{init} = linalg.fill ins(%ninf : f32) outs({e} : {_ttype(out)}) -> {_ttype(out)}")
        self.emit(f"{r} = linalg.pooling_nchw_max {{dilations = dense<{dil}> : tensor<2xi64>, "
                  f"strides = dense<{strides}> : tensor<2xi64>}} ins({x}, {win} : {_ttype(xs)}, {_ttype(k)}) "
                  f"outs({init} : {_ttype(out)}) -> {_ttype(out)} loc(\"{node.name}\")")
        return r, out

    def op_GlobalAveragePool(self, node):
        self.check_attrs(node, set())
        x, xs = self.materialize(node.input[0], node)
        if len(xs) != 4:
            self.fail(node, "only NCHW inputs are supported")
        red, out = [xs[0], xs[1]], [xs[0], xs[1], 1, 1]
        z, r = self.zeros(red), self.fresh("sum")
        self.emit(f"{r} = linalg.generic {{indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, "
                  f"affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = [\"parallel\", "
                  f"\"parallel\", \"reduction\", \"reduction\"]}} ins({x} : {_ttype(xs)}) outs({z} : {_ttype(red)}) {{")
        self.emit("^bb0(%a0: f32, %acc: f32):")
        self.emit("  %s = arith.addf %acc, %a0 : f32")
        self.emit("  linalg.yield %s : f32")
        self.emit(f"}} -> {_ttype(red)} loc(\"{node.name}.sum\")")
        r4 = self.fresh("x")
        self.emit(f"{r4} = tensor.expand_shape {r} [[0], [1, 2, 3]] output_shape {out} : "
                  f"{_ttype(red)} into {_ttype(out)}")
        count = self.fresh("n")
        self.emit(f"{count} = arith.constant {float(xs[2] * xs[3]):e} : f32")
        return self.elementwise(node, [(r4, out)], [f"%y = arith.divf %a0, {count} : f32", "linalg.yield %y : f32"], out), out

    def op_Softmax(self, node):
        self.check_attrs(node, {"axis"})
        x, xs = self.materialize(node.input[0], node)
        axis = self.attr(node, "axis", -1)
        if axis not in (-1, len(xs) - 1) or len(xs) != 2:
            self.fail(node, "only softmax over the last axis of a 2-D tensor is supported")
        n, c = xs
        red = [n]
        maps_in = "affine_map<(d0, d1) -> (d0, d1)>"
        maps_red = "affine_map<(d0, d1) -> (d0)>"
        e1, mx, e2, sm = self.fresh("e"), self.fresh("max"), self.fresh("e"), self.fresh("sum")
        self.once("%ninf_s", "%ninf_s = arith.constant 0xFF800000 : f32")
        self.emit(f"{e1} = tensor.empty() : {_ttype(red)}")
        f1 = self.fresh("f")
        self.emit(f"{f1} = linalg.fill ins(%ninf_s : f32) outs({e1} : {_ttype(red)}) -> {_ttype(red)}")
        self.emit(f"{mx} = linalg.generic {{indexing_maps = [{maps_in}, {maps_red}], iterator_types = "
                  f"[\"parallel\", \"reduction\"]}} ins({x} : {_ttype(xs)}) outs({f1} : {_ttype(red)}) {{")
        self.emit("^bb0(%a0: f32, %acc: f32):")
        self.emit("  %m = arith.maximumf %acc, %a0 : f32")
        self.emit("  linalg.yield %m : f32")
        self.emit(f"}} -> {_ttype(red)}")
        mx2 = self.expand(mx, red, [n, 1])
        ex = self.elementwise(node, [(x, xs), (mx2, [n, 1])],
                              ["%d = arith.subf %a0, %a1 : f32", "%y = math.exp %d : f32", "linalg.yield %y : f32"], xs)
        self.emit(f"{e2} = tensor.empty() : {_ttype(red)}")
        f2 = self.fresh("f")
        self.emit(f"{f2} = linalg.fill ins(%zero : f32) outs({e2} : {_ttype(red)}) -> {_ttype(red)}")
        self.emit(f"{sm} = linalg.generic {{indexing_maps = [{maps_in}, {maps_red}], iterator_types = "
                  f"[\"parallel\", \"reduction\"]}} ins({ex} : {_ttype(xs)}) outs({f2} : {_ttype(red)}) {{")
        self.emit("^bb0(%a0: f32, %acc: f32):")
        self.emit("  %s = arith.addf %acc, %a0 : f32")
        self.emit("  linalg.yield %s : f32")
        self.emit(f"}} -> {_ttype(red)}")
        sm2 = self.expand(sm, red, [n, 1])
        return self.elementwise(node, [(ex, xs), (sm2, [n, 1])],
                                ["%y = arith.divf %a0, %a1 : f32", "linalg.yield %y : f32"], xs), xs

    def op_Transpose(self, node):
        self.check_attrs(node, {"perm"})
        x, xs = self.materialize(node.input[0], node)
        perm = list(self.attr(node, "perm", list(reversed(range(len(xs))))))
        return self.transpose(x, xs, perm, node.name)

    def op_Identity(self, node):
        self.elems[node.output[0]] = self.elem(node.input[0])
        return self.materialize(node.input[0], node)

    def op_Flatten(self, node):
        self.check_attrs(node, {"axis"})
        x, shape = self.materialize(node.input[0], node)
        axis = self.attr(node, "axis", 1)
        if axis < 0:
            axis += len(shape)
        if axis == 0:
            self.fail(node, "axis 0 is not supported")
        groups = [list(range(axis)), list(range(axis, len(shape)))]
        out = [int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))]
        r = self.fresh("flat")
        reassoc = str(groups).replace(" ", "")
        self.emit(f"{r} = tensor.collapse_shape {x} {reassoc} : {_ttype(shape)} into {_ttype(out)} loc(\"{node.name}\")")
        return r, out

    def op_Reshape(self, node):
        self.check_attrs(node, {"allowzero"})
        x, shape = self.materialize(node.input[0], node)
        target = self.const_value(node.input[1])
        if target is None:
            self.fail(node, "the shape must be a constant")
        target = [int(v) for v in target]
        target = [shape[i] if v == 0 else v for i, v in enumerate(target)]
        if -1 in target:
            known = int(np.prod([v for v in target if v != -1]))
            target[target.index(-1)] = int(np.prod(shape)) // known
        # Only collapses of trailing dimensions into one (flattening).
        if len(target) == 2 and target[0] == shape[0] and int(np.prod(shape[1:])) == target[1] and len(shape) > 2:
            r = self.fresh("flat")
            groups = str([[0], list(range(1, len(shape)))]).replace(" ", "")
            self.emit(f"{r} = tensor.collapse_shape {x} {groups} : {_ttype(shape)} into {_ttype(target)} loc(\"{node.name}\")")
            return r, target
        if target == shape:
            return x, shape
        self.fail(node, f"reshape {shape} -> {target} is not supported (only flattening)")

    def op_Constant(self, node):
        value = self.attr(node, "value")
        if value is None:
            self.fail(node, "only the 'value' attribute is supported")
        self.consts[node.output[0]] = numpy_helper.to_array(value)
        return None

    # --- driver ---------------------------------------------------------------
    def run(self):
        for init in self.graph.initializer:
            self.consts[init.name] = numpy_helper.to_array(init)
        args = []
        inits = {i.name for i in self.graph.initializer}
        graph_inputs = [x for x in self.graph.input if x.name not in inits]
        self.graph_inputs, self.graph_input_types = {}, {}
        for inp in graph_inputs:
            self.graph_input_types[inp.name] = inp.type.tensor_type.elem_type
            self.graph_inputs[inp.name] = [d.dim_value if d.HasField("dim_value") else self.batch
                                           for d in inp.type.tensor_type.shape.dim]
        self.decide_argument_types()
        elem_names = {onnx.TensorProto.FLOAT: "f32", onnx.TensorProto.UINT8: "ui8",
                      onnx.TensorProto.INT8: "i8", onnx.TensorProto.INT32: "i32",
                      onnx.TensorProto.INT64: "i64"}
        for i, inp in enumerate(graph_inputs):
            t = inp.type.tensor_type
            elem = self.arg_types.get(inp.name) or elem_names.get(t.elem_type)
            if elem is None:
                raise ImportError_(f"graph input '{inp.name}': element type "
                                   f"{onnx.TensorProto.DataType.Name(t.elem_type)} is not supported")
            self.elems[inp.name] = elem
            shape = []
            for j, d in enumerate(t.shape.dim):
                if d.HasField("dim_value"):
                    shape.append(d.dim_value)
                elif j == 0:
                    shape.append(self.batch)
                else:
                    raise ImportError_(f"graph input '{inp.name}': dimension {j} is not static")
            ssa = f"%arg{i}"
            self.values[inp.name] = (ssa, shape)
            args.append(f"{ssa}: {_ttype(shape, elem)}")
        self.emit("%zero = arith.constant 0.0 : f32")
        for index, node in enumerate(self.graph.node):
            if not node.name:  # names locate ops and observers: invent one
                node.name = f"{node.op_type}_{index}"
            handler = getattr(self, f"op_{node.op_type}", None)
            if handler is None or node.domain not in ("", "ai.onnx"):
                self.fail(node, "unsupported operator")
            if node.op_type in FLOAT_OPS:
                for name in node.input:
                    if name in self.values and self.elem(name) != "f32":
                        self.fail(node, f"input '{name}' is {self.elem(name)}: only float tensors are supported")
            result = handler(node)
            if result is not None:
                self.values[node.output[0]] = result
        outs = []
        names = [out.name for out in self.graph.output]
        for name in names + [n for n in self.expose if n not in names]:
            if name not in self.values:
                what = "graph output" if name in names else "value to expose"
                raise ImportError_(f"{what} '{name}' is not computed")
            outs.append((*self.values[name], self.elem(name)))
        body = "\n".join(self.lines)
        results = ", ".join(_ttype(s, e) for _, s, e in outs)
        return (f"// Imported from ONNX by quantopt-import.\n"
                f"func.func @main({', '.join(args)}) -> ({results}) {{\n{body}\n"
                f"  return {', '.join(s for s, _, _ in outs)} : {results}\n}}\n")


def _load(path):
    try:
        model = onnx.load(path)
    except Exception as e:  # onnx raises DecodeError, OSError, ...
        raise ImportError_(f"cannot read '{path}' as an ONNX model: {e}")
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        raise ImportError_(f"'{path}' is not a valid ONNX model: {str(e).splitlines()[0]}")
    return model


def import_model(path, batch=1, expose=()):
    """MLIR text of the ONNX model at `path`; the values named in `expose`
    become extra results after the graph outputs (for per-layer
    comparisons)."""
    return Importer(_load(path), batch, expose).run()


def float_values(path):
    """Names of the ONNX values the imported code computes as f32 tensors
    (what can be exposed and compared between FP32 and INT8)."""
    importer = Importer(_load(path), 1)
    importer.run()
    return {name for name in importer.values if importer.elem(name) == "f32"}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="quantopt-import", description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("-o", "--output", default="-")
    parser.add_argument("--batch", type=int, default=1, help="size of a symbolic leading dimension")
    parser.add_argument("--expose", action="append", default=[], metavar="VALUE",
                        help="also return this intermediate ONNX value (repeatable)")
    args = parser.parse_args(argv)
    try:
        text = import_model(args.model, args.batch, args.expose)
    except ImportError_ as e:
        print(f"quantopt-import: error: {e}", file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
