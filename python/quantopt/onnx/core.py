"""The ONNX -> MLIR importer's core: the Importer (value, type and shape
bookkeeping, emission helpers shared by the op families, the driver loop)
and the errors it raises. Operators live in the family modules and are
found through the registry.
"""
import sys
import warnings

import numpy as np

try:
    import onnx
except ImportError:  # pragma: no cover
    sys.exit("quantopt-import: python3-onnx is missing (apt install python3-onnx)")

from . import folding, registry
from .checks import Checks
from .errors import ImportError_, InternalError, mlir_string  # noqa: F401


def _loc(name):
    """The location of an op: the (escaped) name of the node it comes from."""
    return f'loc("{mlir_string(name)}")'


def _f32(value, fmt="r"):
    """An f32 literal of arith.constant: `value` formatted with `fmt` when
    finite (repr: exact), and as its bit pattern otherwise (MLIR takes no
    'inf' or 'nan')."""
    value = float(value)
    if np.isfinite(value):
        return format(value, fmt) if fmt != "r" else repr(value)
    return f"0x{np.array(value, np.float32).view(np.uint32):08X}"


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


# Element types of graph inputs.
ELEM_NAMES = {onnx.TensorProto.FLOAT: "f32", onnx.TensorProto.UINT8: "ui8", onnx.TensorProto.INT8: "i8",
              onnx.TensorProto.INT32: "i32", onnx.TensorProto.INT64: "i64", onnx.TensorProto.BOOL: "i1"}
# Storage types of !quant.uniform, by NumPy type of data or zero point.
STORAGE = {np.dtype(np.uint8): "u8", np.dtype(np.int8): "i8"}


def stored_type(kind):
    """The element type of 8-bit stored integers ("u8" / "i8") with no
    scale of their own: a quantized type of scale 1, through which uint8
    is signless i8 storage (graph inputs and results of integer ops)."""
    return f"!quant.uniform<{kind}:f32, 1.0>"


class Importer(Checks):
    def __init__(self, model, batch, expose=(), dims=None, shapes=None):
        self.model = model
        self.graph = model.graph
        self.batch = batch
        self.dims = dict(dims or {})  # symbolic dimension name -> size (--dim)
        self.shapes = dict(shapes or {})  # graph input name -> shape (--input-shape)
        self.expose = list(expose)  # intermediate values returned after the outputs
        self.defined = set()  # function-level constants emitted once
        self.lines = []
        self.values = {}      # onnx name -> (ssa, shape)
        self.elems = {}       # onnx name -> element type (default f32)
        self.arg_types = {}   # graph input name -> element type decided by its users
        self.consts = {}      # onnx name -> numpy array (initializers / Constant)
        # onnx name -> the DequantizeLinear node that dequantizes a constant
        # (a QDQ model's weights)
        self.dequantized_consts = {}
        self.graph_inputs, self.graph_input_types = {}, {}
        self.node = None      # the node being imported (for internal errors)
        self.counter = 0

    def fresh(self, hint="v"):
        self.counter += 1
        return f"%{hint}{self.counter}"

    def emit(self, text):
        self.lines.append("  " + text)

    def fail(self, node, message):
        raise ImportError_(f"node '{mlir_string(node.name or '<unnamed>')}' ({mlir_string(node.op_type)}): "
                           f"{message}")

    # --- values -------------------------------------------------------------
    def const_value(self, name):
        return self.consts.get(name)

    def materialize(self, name, node, integers=False):
        """SSA value of an ONNX value; constants are emitted on first use
        (integer and bool ones only for ops that take them: `integers`)."""
        if name in self.values:
            return self.values[name]
        if name in self.consts:
            arr = self.consts[name].astype(np.float32) if self.consts[name].dtype.kind == "f" else self.consts[name]
            if arr.dtype.kind != "f" and integers:
                return self.integer_constant(name, node)
            if arr.dtype.kind != "f":
                self.fail(node, f"integer tensor '{name}' used as data")
            if arr.size == 0:
                self.fail(node, f"constant '{name}' is empty: empty tensors are not supported")
            ssa = self.fresh("cst")
            self.emit(f"{ssa} = arith.constant dense<{_dense(arr)}> : {_ttype(arr.shape)}")
            self.values[name] = (ssa, list(arr.shape))
            return self.values[name]
        if name in self.dequantized_consts:
            values, ssa = self.weight(node, name, "the value")
            self.values[name] = (ssa, list(values.shape))
            return self.values[name]
        self.fail(node, f"input '{name}' is not defined")

    def integer_constant(self, name, node):
        """A bool or signless integer constant as a tensor of its type."""
        arr = self.consts[name]
        elem = "i1" if arr.dtype == np.bool_ else {"i": f"i{8 * arr.dtype.itemsize}"}.get(arr.dtype.kind)
        if elem not in ("i1", "i8", "i32", "i64") or arr.size == 0:
            message = f"constant '{mlir_string(name)}' of type {arr.dtype} and shape {list(arr.shape)} is not supported here"
            if node is None:  # a graph output
                raise ImportError_(message)
            self.fail(node, message)
        ssa = self.fresh("cst")
        values = arr.astype(np.int64)
        literal = _dense(values) if elem != "i1" else _dense(values).replace("1", "true").replace("0", "false")
        self.emit(f"{ssa} = arith.constant dense<{literal}> : {_ttype(arr.shape, elem)}")
        self.values[name], self.elems[name] = (ssa, list(arr.shape)), elem
        return self.values[name]

    def float_input(self, node, name):
        """materialize() of an input that must be an f32 tensor."""
        value = self.materialize(name, node)
        if self.elem(name) != "f32":
            self.fail(node, f"input '{name}' is {self.elem(name)}, expected f32")
        return value

    def shape_of(self, name):
        if name in self.values:
            return self.values[name][1]
        if name in self.consts:
            return list(self.consts[name].shape)
        if name in self.dequantized_consts:
            return list(self.consts[self.dequantized_consts[name].input[0]].shape)
        return self.graph_inputs.get(name)

    def elem(self, name):
        return self.elems.get(name, "f32")

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
        self.emit(f"}} -> {out_type} {_loc(loc or node.name)}")
        return r

    def opset(self):
        """The model's version of the default ONNX domain."""
        return next((o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx")), 1)

    def reduce(self, node, x, xs, axes, squares=False, loc=None, combine="arith.addf", init="%zero"):
        """Sum of x (or of its squares) over `axes`, kept as unit
        dimensions: (ssa, shape). `combine` and its identity `init` make
        other reductions (arith.maximumf from -inf: the maximum)."""
        rank = len(xs)
        dims = [f"d{i}" for i in range(rank)]
        kept = [i for i in range(rank) if i not in axes]
        red = [xs[i] for i in kept]
        e, f, r = self.fresh("e"), self.fresh("f"), self.fresh("red")
        self.emit(f"{e} = tensor.empty() : {_ttype(red)}")
        self.emit(f"{f} = linalg.fill ins({init} : f32) outs({e} : {_ttype(red)}) -> {_ttype(red)}")
        iterators = ", ".join('"reduction"' if i in axes else '"parallel"' for i in range(rank))
        self.emit(f"{r} = linalg.generic {{indexing_maps = [affine_map<({', '.join(dims)}) -> ({', '.join(dims)})>, "
                  f"affine_map<({', '.join(dims)}) -> ({', '.join(dims[i] for i in kept)})>], "
                  f"iterator_types = [{iterators}]}} ins({x} : {_ttype(xs)}) outs({f} : {_ttype(red)}) {{")
        self.emit("^bb0(%a0: f32, %acc: f32):")
        if squares:
            self.emit("  %sq = arith.mulf %a0, %a0 : f32")
            self.emit("  %s = arith.addf %acc, %sq : f32")
        else:
            self.emit(f"  %s = {combine} %acc, %a0 : f32")
        self.emit("  linalg.yield %s : f32")
        self.emit(f"}} -> {_ttype(red)} {_loc(loc or node.name)}")
        keep = [1 if i in axes else d for i, d in enumerate(xs)]
        return self.reshape(r, red, keep, _unit_groups(rank, axes), expand=True), keep

    def reshape(self, x, shape, new_shape, groups, expand, elem="f32", loc=None):
        """tensor.expand_shape (expand) or tensor.collapse_shape with the
        reassociation `groups`."""
        if list(shape) == list(new_shape):
            return x
        r = self.fresh("x" if expand else "flat")
        reassoc = str(groups).replace(" ", "")
        where = f" {_loc(loc)}" if loc else ""
        if expand:
            self.emit(f"{r} = tensor.expand_shape {x} {reassoc} output_shape {list(new_shape)} : "
                      f"{_ttype(shape, elem)} into {_ttype(new_shape, elem)}{where}")
        else:
            self.emit(f"{r} = tensor.collapse_shape {x} {reassoc} : {_ttype(shape, elem)} into "
                      f"{_ttype(new_shape, elem)}{where}")
        return r

    def expand(self, x, shape, new_shape):
        """A 1-D value with unit dimensions appended (for broadcasting)."""
        r = self.fresh("x")
        groups = str([list(range(len(new_shape)))]).replace(" ", "")
        self.emit(f"{r} = tensor.expand_shape {x} {groups} output_shape {new_shape} : "
                  f"{_ttype(shape)} into {_ttype(new_shape)}")
        return r

    def transpose(self, x, xs, perm, loc, elem="f32"):
        out = [xs[p] for p in perm]
        e, r = self.fresh("e"), self.fresh("t")
        self.emit(f"{e} = tensor.empty() : {_ttype(out, elem)}")
        self.emit(f"{r} = linalg.transpose ins({x} : {_ttype(xs, elem)}) outs({e} : {_ttype(out, elem)}) "
                  f"permutation = {list(perm)} {_loc(loc)}")
        return r, out

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

    # --- quantized values ----------------------------------------------------
    def storage_of(self, name):
        """The !quant.uniform storage type ("u8", "i8") of a graph input or
        constant `name` holding stored integers, another type's name for
        other element types, None for computed values."""
        if name in self.graph_input_types:
            t = self.graph_input_types[name]
            return {onnx.TensorProto.UINT8: "u8", onnx.TensorProto.INT8: "i8"}.get(
                t, onnx.TensorProto.DataType.Name(t).lower())
        if name in self.consts:
            return STORAGE.get(self.consts[name].dtype, str(self.consts[name].dtype))
        return None

    def qtype(self, node, scale_name, zp_name, axis=None, shape=None, data=None):
        """The !quant.uniform type of constant scale / zero point inputs;
        `data` names the quantized input or output, whose type must agree
        with the zero point's (and gives the storage type without one)."""
        scale = self.const_value(scale_name)
        if scale is None:
            self.fail(node, f"scale '{scale_name}' must be a constant")
        zp = None
        if zp_name:
            zp = self.const_value(zp_name)
            if zp is None:
                self.fail(node, f"zero point '{zp_name}' must be a constant")
        data_storage = self.storage_of(data) if data else None
        if zp is not None:
            storage = STORAGE.get(zp.dtype)
            if storage is None:
                self.fail(node, f"zero point type {zp.dtype} is not supported (uint8 or int8)")
            if data_storage is not None and data_storage != storage:
                self.fail(node, f"'{data}' is {data_storage}, its zero point {storage}")
        else:
            storage = data_storage or "u8"
            if storage not in ("u8", "i8"):
                self.fail(node, f"'{data}' is {storage}: only uint8 and int8 are supported")
        self.check_scale(node, scale_name, scale)
        scale = np.asarray(scale, np.float32).reshape(-1)
        zp = np.zeros(scale.shape, np.int64) if zp is None else np.asarray(zp).reshape(-1).astype(np.int64)
        if zp.size != scale.size:
            self.fail(node, f"{scale.size} scales but {zp.size} zero points")
        if scale.size == 1:
            return f"!quant.uniform<{storage}:f32, {float(scale[0])!r}:{int(zp[0])}>"
        if axis is None:
            self.fail(node, "per-axis scales need an axis")
        if self.consts[scale_name].ndim != 1:
            self.fail(node, f"per-axis scale '{scale_name}' must be 1-D, not of shape "
                            f"{list(self.consts[scale_name].shape)}")
        if shape is not None:
            axis = self.axis(node, axis, len(shape))
            if shape[axis] != scale.size:
                self.fail(node, f"{scale.size} scales for the {shape[axis]} elements of axis {axis}")
        elif axis < 0:
            self.fail(node, f"axis {axis} needs the shape of the quantized value")
        pairs = ", ".join(f"{float(v)!r}:{int(z)}" for v, z in zip(scale, zp))
        return f"!quant.uniform<{storage}:f32:{axis}, {{{pairs}}}>"

    def weight(self, node, name, what, perm=None, shape=None):
        """The constant weights `name` of a matmul or convolution as
        (numpy values, ssa or None): a float constant (ssa None: the caller
        emits it), or, in a QDQ model, the DequantizeLinear of an 8-bit
        constant, emitted here as qnn.dequantize of the stored integers
        permuted by `perm` and reshaped to `shape` (unit dimensions only), so
        that quant-rewrite-int8 uses the model's own integer weights."""
        dq = self.dequantized_consts.get(name)
        if dq is None:
            w = self.constant(node, name, what)
            if perm is not None:
                w = w.transpose(perm)
            return (w.reshape(shape) if shape is not None else w), None
        q = self.consts[dq.input[0]]
        scale_name, zp_name = dq.input[1], self.optional_input(dq, 2)
        axis = self.axis(dq, self.attr_int(dq, "axis", 1), q.ndim)
        scale = np.asarray(self.consts[scale_name]).reshape(-1)
        perm = list(range(q.ndim)) if perm is None else list(perm)
        stored = q.transpose(perm)
        new_axis = perm.index(axis)
        if shape is not None:
            if [d for d in shape if d != 1] != [d for d in stored.shape if d != 1]:
                self.fail(node, f"internal: {list(stored.shape)} -> {shape} drops more than unit dims")
            # The axis keeps its place among the non-unit dimensions.
            if scale.size > 1:
                before = sum(1 for d in stored.shape[:new_axis] if d != 1)
                new_axis = [i for i, d in enumerate(shape) if d != 1][before]
            stored = stored.reshape(shape)
        qt = self.qtype(dq, scale_name, zp_name, new_axis, list(stored.shape), data=dq.input[0])
        cast, r = self.stored_constant(stored, qt), self.fresh("d")
        self.emit(f"{r} = qnn.dequantize {cast} : {_ttype(stored.shape, qt)} -> {_ttype(stored.shape)} "
                  f"{_loc(dq.name)}")
        zp = np.asarray(self.consts[zp_name]).reshape(-1) if zp_name else np.zeros(1)
        view = [1] * stored.ndim
        if scale.size > 1:
            view[new_axis] = scale.size
        f32 = (stored.astype(np.int64) - zp.astype(np.int64).reshape(view if zp.size > 1 else ())) \
            .astype(np.float32) * scale.astype(np.float32).reshape(view if scale.size > 1 else ())
        return f32, r

    def stored_constant(self, values, qt):
        """The quantized constant of type `qt` whose stored integers are
        `values`: an integer constant viewed through quant.scast (signless
        i8 storage holds u8 values too)."""
        c, ssa = self.fresh("cst"), self.fresh("q")
        storage = _ttype(values.shape, "i8")
        self.emit(f"{c} = arith.constant dense<{_dense(values.astype(np.int64))}> : {storage}")
        self.emit(f"{ssa} = quant.scast {c} : {storage} to {_ttype(values.shape, qt)}")
        return ssa

    def quantized(self, node, name, qt):
        """The value `name` as a tensor of quantized type `qt`: a typed
        argument, a quantized result, or a constant given as storage ints."""
        if name in self.consts:
            arr = self.consts[name]
            if arr.size == 0:
                self.fail(node, f"constant '{name}' is empty: empty tensors are not supported")
            ssa = self.stored_constant(arr, qt)
            self.values[name], self.elems[name] = (ssa, list(arr.shape)), qt
            return ssa, list(arr.shape)
        ssa, shape = self.materialize(name, node)
        if self.elem(name) != qt:
            self.fail(node, f"input '{name}' is {self.elem(name)}, expected {qt}")
        return ssa, shape

    def decide_argument_types(self):
        """Graph inputs that quantized ops read get the quantized types those
        ops decide (see registry.Op.argument_types)."""
        for node in self.graph.node:
            op = registry.lookup(node.op_type)
            if op is None or op.argument_types is None or node.domain not in ("", "ai.onnx"):
                continue
            self.node = node
            self.arg_types.update(op.argument_types(self, node))

    # --- driver ---------------------------------------------------------------
    def read_graph_inputs(self):
        """Shapes and element types of the graph inputs (initializers are no
        inputs), checked: tensors of known type with static, positive dims."""
        inputs = []
        for inp in self.graph.input:
            if inp.name in self.consts:
                continue
            where = f"graph input '{mlir_string(inp.name)}'"
            if not inp.type.HasField("tensor_type"):
                raise ImportError_(f"{where}: only tensors are supported")
            t = inp.type.tensor_type
            if t.elem_type not in ELEM_NAMES:
                name = onnx.TensorProto.DataType.Name(t.elem_type) if t.elem_type in \
                    onnx.TensorProto.DataType.values() else str(t.elem_type)
                raise ImportError_(f"{where}: element type {name} is not supported")
            if not t.HasField("shape"):
                raise ImportError_(f"{where}: its shape is unknown")
            shape = []
            given = self.shapes.get(inp.name)
            if given is not None and len(given) != len(t.shape.dim):
                raise ImportError_(f"{where}: --input-shape gives {len(given)} dimensions, the model "
                                   f"{len(t.shape.dim)}")
            for j, d in enumerate(t.shape.dim):
                symbol = d.dim_param if d.HasField("dim_param") else ""
                if given is not None:
                    if d.HasField("dim_value") and d.dim_value > 0 and d.dim_value != given[j]:
                        raise ImportError_(f"{where}: --input-shape gives dimension {j} as {given[j]}, "
                                           f"the model fixes it at {d.dim_value}")
                    shape.append(given[j])
                elif d.HasField("dim_value"):
                    shape.append(d.dim_value)
                elif symbol in self.dims:
                    shape.append(self.dims[symbol])
                elif j == 0:
                    shape.append(self.batch)
                elif symbol:
                    raise ImportError_(f"{where}: dimension {j} is '{mlir_string(symbol)}': give its size "
                                       f"with --dim {mlir_string(symbol)}=N")
                else:
                    raise ImportError_(f"{where}: dimension {j} has no size and no name")
                if shape[-1] < 0:
                    raise ImportError_(f"{where}: dimension {j} is negative ({shape[-1]})")
                if shape[-1] == 0:
                    raise ImportError_(f"{where}: dimension {j} is 0: empty tensors are not supported")
            self.graph_inputs[inp.name] = shape
            self.graph_input_types[inp.name] = t.elem_type
            inputs.append(inp.name)
        return inputs

    def run(self):
        for init in self.graph.initializer:
            self.consts[init.name] = self.tensor_value(init, f"initializer '{mlir_string(init.name)}'")
        for index, node in enumerate(self.graph.node):
            if not node.name:  # names locate ops, observers and errors: invent one
                node.name = f"{node.op_type}_{index}"
        args = []
        graph_inputs = self.read_graph_inputs()
        self.decide_argument_types()
        for i, name in enumerate(graph_inputs):
            elem = self.arg_types.get(name) or ELEM_NAMES[self.graph_input_types[name]]
            self.elems[name] = elem
            shape = self.graph_inputs[name]
            ssa = f"%arg{i}"
            self.values[name] = (ssa, shape)
            args.append(f"{ssa}: {_ttype(shape, elem)}")
        self.emit("%zero = arith.constant 0.0 : f32")
        for node in self.graph.node:
            self.node = node
            if folding.try_fold(self, node):
                continue
            op = registry.lookup(node.op_type)
            if op is None or node.domain not in ("", "ai.onnx"):
                self.fail(node, "unsupported operator")
            if op.float_only:
                for name in node.input:
                    if name in self.values and self.elem(name) != "f32":
                        self.fail(node, f"input '{name}' is {self.elem(name)}: only float tensors are supported")
            if not node.output or not node.output[0]:
                self.fail(node, "its first output has no name")
            result = op.handler(self, node)
            if result is not None:
                self.values[node.output[0]] = result
        self.node = None
        outs = []
        names = [out.name for out in self.graph.output]
        for name in names + [n for n in self.expose if n not in names]:
            if name not in self.values and name in self.dequantized_consts:
                self.materialize(name, self.dequantized_consts[name])
            if name not in self.values and name in self.consts:  # folded at import (Shape, Constant)
                self.constant_result(name)
            if name not in self.values:
                what = "graph output" if name in names else "value to expose"
                raise ImportError_(f"{what} '{mlir_string(name)}' is not computed")
            outs.append((*self.values[name], self.elem(name)))
        if not outs:
            raise ImportError_("the graph has no outputs")
        body = "\n".join(self.lines)
        results = ", ".join(_ttype(s, e) for _, s, e in outs)
        return (f"// Imported from ONNX by quantopt-import.\n"
                f"func.func @main({', '.join(args)}) -> ({results}) {{\n{body}\n"
                f"  return {', '.join(s for s, _, _ in outs)} : {results}\n}}\n")

    def constant_result(self, name):
        """A result the importer computed (a folded Shape, a Constant, a
        dropout mask): its constant, of its own element type."""
        value = self.consts[name]
        if value.size == 0 or value.dtype.kind not in "fib":
            raise ImportError_(f"graph output '{mlir_string(name)}' is a constant of type {value.dtype} and shape "
                               f"{list(value.shape)}: not supported as a result")
        if value.dtype.kind != "f":
            self.integer_constant(name, self.node)
            return
        ssa = self.fresh("cst")
        self.emit(f"{ssa} = arith.constant dense<{_dense(value.astype(np.float32))}> : {_ttype(value.shape)}")
        self.values[name], self.elems[name] = (ssa, list(value.shape)), "f32"

    def guarded_run(self):
        """run(), any unexpected exception turned into an InternalError
        naming the node being imported."""
        try:
            # Every result NumPy computes is checked where it matters: its
            # warnings would only add lines to the one-line errors.
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return self.run()
        except ImportError_:
            raise
        except Exception as e:  # a bug, or a check the importer lacks
            where = "" if self.node is None else \
                f"node '{mlir_string(self.node.name or '<unnamed>')}' ({mlir_string(self.node.op_type)}): "
            raise InternalError(f"{where}internal error: {type(e).__name__}: {e} "
                                "(a bug of quantopt-import, please report it)") from e


def load(path):
    try:
        with warnings.catch_warnings():  # protobuf warns about some garbage
            warnings.simplefilter("ignore")
            model = onnx.load(path)
    except Exception as e:  # onnx raises DecodeError, OSError, ...
        raise ImportError_(f"cannot read '{path}' as an ONNX model: {e}")
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        raise ImportError_(f"'{path}' is not a valid ONNX model: {(str(e).splitlines() or [type(e).__name__])[0]}")
    return model
