"""ONNX -> MLIR (linalg on tensors) importer.

    quantopt-import model.onnx -o model.mlir [--batch N]

Emits one function @main with the graph's inputs and outputs; initializers
become dense constants; every op carries its node's name as location, so
calibration observers and error messages name the node. An operator or
attribute outside the supported subset is an error naming the node.
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


class Importer:
    def __init__(self, model, batch):
        self.model = model
        self.graph = model.graph
        self.batch = batch
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
    def zeros(self, shape):
        e, z = self.fresh("e"), self.fresh("z")
        self.emit(f"{e} = tensor.empty() : {_ttype(shape)}")
        self.emit(f"{z} = linalg.fill ins(%zero : f32) outs({e} : {_ttype(shape)}) -> {_ttype(shape)}")
        return z

    def elementwise(self, node, inputs, body, out_shape):
        """linalg.generic over out_shape; inputs are (ssa, shape) broadcast
        along leading dims (numpy rules, right-aligned)."""
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
        self.emit(f"{e} = tensor.empty() : {_ttype(out_shape)}")
        args = ", ".join(f"%a{i}: f32" for i in range(len(inputs)))
        ins = ", ".join(s for s, _ in inputs)
        types = ", ".join(_ttype(s) for _, s in inputs)
        iterators = ", ".join(['"parallel"'] * rank)
        self.emit(f"{r} = linalg.generic {{indexing_maps = [{', '.join(maps + [ident])}], "
                  f"iterator_types = [{iterators}]}} "
                  f"ins({ins} : {types}) outs({e} : {_ttype(out_shape)}) {{")
        self.emit(f"^bb0({args}, %out: f32):")
        for line in body:
            self.emit("  " + line)
        self.emit(f"}} -> {_ttype(out_shape)} loc(\"{node.name}\")")
        return r

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
                        0 if node.op_type == "QLinearConv" and data == 3 else 1)
                    zp_name = node.input[zp] if len(node.input) > zp else None
                    shape = self.graph_inputs[node.input[data]]
                    self.arg_types[node.input[data]] = self.qtype(node, node.input[scale], zp_name, axis, shape)

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
        qa = self.qtype(node, node.input[1], node.input[2])
        qb = self.qtype(node, node.input[4], node.input[5], 1)
        qy = self.qtype(node, node.input[6], node.input[7])
        a, a_shape = self.quantized(node, node.input[0], qa)
        b, b_shape = self.quantized(node, node.input[3], qb)
        if len(a_shape) != 2 or len(b_shape) != 2:
            self.fail(node, "only 2-D operands are supported")
        out = [a_shape[0], b_shape[1]]
        r = self.fresh("qmm")
        self.emit(f"{r} = qnn.matmul {a}, {b} : {_ttype(a_shape, qa)}, {_ttype(b_shape, qb)} -> "
                  f"{_ttype(out, qy)} loc(\"{node.name}\")")
        self.elems[node.output[0]] = qy
        return r, out

    def op_QLinearConv(self, node):
        self.check_attrs(node, {"pads", "strides", "dilations", "group", "kernel_shape", "auto_pad"})
        if self.attr(node, "group", 1) != 1:
            self.fail(node, "grouped convolutions are not supported")
        if self.attr(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            self.fail(node, "auto_pad is not supported")
        qx = self.qtype(node, node.input[1], node.input[2])
        w_const = self.const_value(node.input[3])
        qw = self.qtype(node, node.input[4], node.input[5], 0)
        qy = self.qtype(node, node.input[6], node.input[7])
        x, xs = self.quantized(node, node.input[0], qx)
        w, ws = self.quantized(node, node.input[3], qw)
        if len(xs) != 4 or len(ws) != 4:
            self.fail(node, "only 2-D convolutions (NCHW) are supported")
        pads = list(self.attr(node, "pads", [0, 0, 0, 0]))
        strides = list(self.attr(node, "strides", [1, 1]))
        dil = list(self.attr(node, "dilations", [1, 1]))
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
            self.fail(node, "A must be a uint8 or int8 input")
        b_name = node.input[1]
        if b_name in self.consts:
            arr = self.consts[b_name]
            b, b_shape = self.fresh("cst"), list(arr.shape)
            b_elem = "ui8" if arr.dtype == np.uint8 else "i8"
            self.emit(f"{b} = arith.constant dense<{_dense(arr.astype(np.int64))}> : {_ttype(b_shape, b_elem)}")
        else:
            b, b_shape = self.materialize(b_name, node)
            b_elem = self.elem(b_name)
        if len(a_shape) != 2 or len(b_shape) != 2:
            self.fail(node, "only 2-D operands are supported")
        azp = self.const_value(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros((), np.uint8)
        bzp = self.const_value(node.input[3]) if len(node.input) > 3 and node.input[3] else np.zeros((), np.uint8)
        if azp is None or bzp is None or azp.size != 1 or bzp.size != 1:
            self.fail(node, "zero points must be scalar constants")
        z = self.fresh("zp")
        self.emit(f"{z} = arith.constant dense<{int(azp.reshape(-1)[0])}> : {_ttype([], a_elem)}")
        out = [a_shape[0], b_shape[1]]
        r = self.fresh("mmi")
        self.emit(f"{r} = qnn.matmul_integer {a}, {b} zero_point {z} {{rhs_zero_point = {int(bzp.reshape(-1)[0])} : i64}} "
                  f": {_ttype(a_shape, a_elem)}, {_ttype(b_shape, b_elem)}, {_ttype([], a_elem)} -> "
                  f"{_ttype(out, 'i32')} loc(\"{node.name}\")")
        self.elems[node.output[0]] = "i32"
        return r, out

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
        if w is None or len(a_shape) != 2 or w.ndim != 2:
            self.fail(node, "only 2-D activations times constant 2-D weights are supported")
        return self.matmul(node, a, a_shape, w.astype(np.float32), None)

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
        bias = np.broadcast_to(np.asarray(bias, np.float32).reshape(-1), (n,)).copy()
        bssa = self.fresh("b")
        self.emit(f"{bssa} = arith.constant dense<{_dense(bias)}> : {_ttype([n])}")
        out = self.elementwise(node, [(r, [m, n]), (bssa, [n])],
                               ["%s = arith.addf %a0, %a1 : f32", "linalg.yield %s : f32"], [m, n])
        self.lines[-1] = self.lines[-1].replace(f'loc("{node.name}")', f'loc("{node.name}.bias")')
        return out, [m, n]

    def binary(self, node, op):
        self.check_attrs(node, set())
        a = self.materialize(node.input[0], node)
        b = self.materialize(node.input[1], node)
        shape = list(np.broadcast_shapes(tuple(a[1]), tuple(b[1])))
        return self.elementwise(node, [a, b], [f"%s = arith.{op} %a0, %a1 : f32", "linalg.yield %s : f32"], shape), shape

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

    def op_Conv(self, node):
        self.check_attrs(node, {"pads", "strides", "dilations", "group", "kernel_shape", "auto_pad"})
        if self.attr(node, "group", 1) != 1:
            self.fail(node, "grouped convolutions are not supported")
        if self.attr(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            self.fail(node, "auto_pad is not supported")
        x, xs = self.materialize(node.input[0], node)
        w = self.const_value(node.input[1])
        if w is None or w.ndim != 4 or len(xs) != 4:
            self.fail(node, "only 2-D convolutions (NCHW) with constant weights are supported")
        pads = list(self.attr(node, "pads", [0, 0, 0, 0]))
        strides = list(self.attr(node, "strides", [1, 1]))
        dil = list(self.attr(node, "dilations", [1, 1]))
        x, xs = self.pad(x, xs, pads, "%zero")
        oh = (xs[2] - dil[0] * (w.shape[2] - 1) - 1) // strides[0] + 1
        ow = (xs[3] - dil[1] * (w.shape[3] - 1) - 1) // strides[1] + 1
        out = [xs[0], w.shape[0], oh, ow]
        wssa = self.fresh("w")
        self.emit(f"{wssa} = arith.constant dense<{_dense(w.astype(np.float32))}> : {_ttype(w.shape)}")
        z = self.zeros(out)
        r = self.fresh("conv")
        self.emit(f"{r} = linalg.conv_2d_nchw_fchw {{dilations = dense<{dil}> : tensor<2xi64>, "
                  f"strides = dense<{strides}> : tensor<2xi64>}} ins({x}, {wssa} : {_ttype(xs)}, "
                  f"{_ttype(w.shape)}) outs({z} : {_ttype(out)}) -> {_ttype(out)} loc(\"{node.name}\")")
        if len(node.input) < 3 or not node.input[2]:
            return r, out
        bias = self.const_value(node.input[2])
        bssa = self.fresh("b")
        self.emit(f"{bssa} = arith.constant dense<{_dense(bias.astype(np.float32))}> : {_ttype([out[1]])}")
        b3 = self.expand(bssa, [out[1]], [out[1], 1, 1])
        res = self.elementwise(node, [(r, out), (b3, [out[1], 1, 1])],
                               ["%s = arith.addf %a0, %a1 : f32", "linalg.yield %s : f32"], out)
        self.lines[-1] = self.lines[-1].replace(f'loc("{node.name}")', f'loc("{node.name}.bias")')
        return res, out

    def expand(self, x, shape, new_shape):
        """A 1-D value with unit dimensions appended (for broadcasting)."""
        r = self.fresh("x")
        groups = str([list(range(len(new_shape)))]).replace(" ", "")
        self.emit(f"{r} = tensor.expand_shape {x} {groups} output_shape {new_shape} : "
                  f"{_ttype(shape)} into {_ttype(new_shape)}")
        return r

    def pad(self, x, shape, pads, value):
        """Pads H and W of an NCHW tensor (ONNX pads: top, left, bottom, right)."""
        if not any(pads):
            return x, shape
        top, left, bottom, right = pads
        out = [shape[0], shape[1], shape[2] + top + bottom, shape[3] + left + right]
        r = self.fresh("pad")
        self.emit(f"{r} = tensor.pad {x} low[0, 0, {top}, {left}] high[0, 0, {bottom}, {right}] {{")
        self.emit("^bb0(%i0: index, %i1: index, %i2: index, %i3: index):")
        self.emit(f"  tensor.yield {value} : f32")
        self.emit(f"}} : {_ttype(shape)} to {_ttype(out)}")
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
        dil = list(self.attr(node, "dilations", [1, 1]))
        pads = list(self.attr(node, "pads", [0, 0, 0, 0]))
        if len(xs) != 4 or len(k) != 2:
            self.fail(node, "only 2-D pooling (NCHW) is supported")
        self.emit("%ninf = arith.constant 0xFF800000 : f32") if "%ninf" not in "\n".join(self.lines) else None
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
        self.emit("%ninf_s = arith.constant 0xFF800000 : f32") if "%ninf_s" not in "\n".join(self.lines) else None
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
        out = [xs[p] for p in perm]
        e, r = self.fresh("e"), self.fresh("t")
        self.emit(f"{e} = tensor.empty() : {_ttype(out)}")
        self.emit(f"{r} = linalg.transpose ins({x} : {_ttype(xs)}) outs({e} : {_ttype(out)}) "
                  f"permutation = {perm} loc(\"{node.name}\")")
        return r, out

    def op_Identity(self, node):
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
        self.graph_inputs = {}
        for inp in graph_inputs:
            self.graph_inputs[inp.name] = [d.dim_value if d.HasField("dim_value") else self.batch
                                           for d in inp.type.tensor_type.shape.dim]
        self.decide_argument_types()
        elem_names = {onnx.TensorProto.FLOAT: "f32", onnx.TensorProto.UINT8: "ui8",
                      onnx.TensorProto.INT8: "i8", onnx.TensorProto.INT32: "i32"}
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
            result = handler(node)
            if result is not None:
                self.values[node.output[0]] = result
        outs = []
        for out in self.graph.output:
            if out.name not in self.values:
                raise ImportError_(f"graph output '{out.name}' is not computed")
            outs.append((*self.values[out.name], self.elem(out.name)))
        body = "\n".join(self.lines)
        results = ", ".join(_ttype(s, e) for _, s, e in outs)
        return (f"// Imported from ONNX by quantopt-import.\n"
                f"func.func @main({', '.join(args)}) -> ({results}) {{\n{body}\n"
                f"  return {', '.join(s for s, _, _ in outs)} : {results}\n}}\n")


def import_model(path, batch=1):
    try:
        model = onnx.load(path)
    except Exception as e:  # onnx raises DecodeError, OSError, ...
        raise ImportError_(f"cannot read '{path}' as an ONNX model: {e}")
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        raise ImportError_(f"'{path}' is not a valid ONNX model: {str(e).splitlines()[0]}")
    return Importer(model, batch).run()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="quantopt-import", description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("-o", "--output", default="-")
    parser.add_argument("--batch", type=int, default=1, help="size of a symbolic leading dimension")
    args = parser.parse_args(argv)
    try:
        text = import_model(args.model, args.batch)
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
