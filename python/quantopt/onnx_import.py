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
        for i, inp in enumerate(x for x in self.graph.input if x.name not in inits):
            t = inp.type.tensor_type
            if t.elem_type != onnx.TensorProto.FLOAT:
                raise ImportError_(f"graph input '{inp.name}': only float inputs are supported")
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
            args.append(f"{ssa}: {_ttype(shape)}")
        self.emit("%zero = arith.constant 0.0 : f32")
        for node in self.graph.node:
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
            outs.append(self.values[out.name])
        body = "\n".join(self.lines)
        results = ", ".join(_ttype(s) for _, s in outs)
        return (f"// Imported from ONNX by quantopt-import.\n"
                f"func.func @main({', '.join(args)}) -> ({results}) {{\n{body}\n"
                f"  return {', '.join(s for s, _ in outs)} : {results}\n}}\n")


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
