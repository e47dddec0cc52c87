"""Comparison, logical and type-changing ONNX operators: Equal, Less,
LessOrEqual, Greater, GreaterOrEqual (f32 or integer inputs, i1 result),
Not, And, Or, Xor (i1), Where, Cast (between f32, bool and signless
integers). Attention masks are built from these (Where(mask == 0, -inf,
scores)). Each is one linalg.generic; on constants they fold at import.
"""
import numpy as np
import onnx

from .core import _ttype, stored_type
from .registry import register

# ONNX element types Cast converts between at run time, as MLIR types.
_CAST_ELEMS = {onnx.TensorProto.FLOAT: "f32", onnx.TensorProto.BOOL: "i1", onnx.TensorProto.INT32: "i32",
               onnx.TensorProto.INT64: "i64", onnx.TensorProto.INT8: "i8"}
_SIGNLESS = ("i1", "i8", "i32", "i64")
_U8 = stored_type("u8")  # uint8 values


def _inputs(imp, node, count, allowed):
    """The values of the node's inputs, their element types checked to be
    one of `allowed` and all the same."""
    imp.check_attrs(node, set())
    imp.inputs(node, count)
    values = [imp.materialize(name, node, integers=True) for name in node.input]
    elems = [imp.elem(name) for name in node.input]
    for name, elem in zip(node.input, elems):
        if elem not in allowed:
            imp.fail(node, f"input '{name}' is {elem}: expected {' or '.join(allowed)}")
    if len(set(elems)) != 1:
        imp.fail(node, f"inputs of different element types {elems}")
    try:
        shape = list(np.broadcast_shapes(*(tuple(v[1]) for v in values)))
    except ValueError:
        imp.fail(node, f"shapes {[v[1] for v in values]} do not broadcast")
    return values, elems, shape


def _comparison(op_type, float_predicate, int_predicate):
    @register(op_type)
    def handler(imp, node):
        values, elems, shape = _inputs(imp, node, 2, ("f32", "i32", "i64", "i8", "i1"))
        elem = elems[0]
        if elem == "f32":
            line = f"%c = arith.cmpf {float_predicate}, %a0, %a1 : f32"
        else:
            line = f"%c = arith.cmpi {int_predicate}, %a0, %a1 : {elem}"
        imp.elems[node.output[0]] = "i1"
        return imp.elementwise(node, values, [line, "linalg.yield %c : i1"], shape, elems=elems, out_elem="i1"), shape
    return handler


_comparison("Equal", "oeq", "eq")
_comparison("Less", "olt", "slt")
_comparison("LessOrEqual", "ole", "sle")
_comparison("Greater", "ogt", "sgt")
_comparison("GreaterOrEqual", "oge", "sge")


def _logical(op_type, op):
    @register(op_type)
    def handler(imp, node):
        values, elems, shape = _inputs(imp, node, 2, ("i1",))
        imp.elems[node.output[0]] = "i1"
        return imp.elementwise(node, values, [f"%c = arith.{op} %a0, %a1 : i1", "linalg.yield %c : i1"], shape,
                               elems=elems, out_elem="i1"), shape
    return handler


_logical("And", "andi")
_logical("Or", "ori")
_logical("Xor", "xori")


@register("Not")
def not_op(imp, node):
    values, elems, shape = _inputs(imp, node, 1, ("i1",))
    imp.elems[node.output[0]] = "i1"
    return imp.elementwise(node, values, ["%t = arith.constant true", "%c = arith.xori %a0, %t : i1",
                                          "linalg.yield %c : i1"], shape, elems=elems, out_elem="i1"), shape


@register("Where")
def where(imp, node):
    imp.check_attrs(node, set())
    imp.inputs(node, 3)
    values = [imp.materialize(name, node, integers=True) for name in node.input]
    elems = [imp.elem(name) for name in node.input]
    if elems[0] != "i1":
        imp.fail(node, f"the condition '{node.input[0]}' is {elems[0]}, expected a bool tensor")
    if elems[1] != elems[2] or elems[1] not in ("f32",) + _SIGNLESS:
        imp.fail(node, f"X and Y are {elems[1]} and {elems[2]}: expected the same f32 or integer type")
    try:
        shape = list(np.broadcast_shapes(*(tuple(v[1]) for v in values)))
    except ValueError:
        imp.fail(node, f"shapes {[v[1] for v in values]} do not broadcast")
    imp.elems[node.output[0]] = elems[1]
    return imp.elementwise(node, values, [f"%s = arith.select %a0, %a1, %a2 : {elems[1]}",
                                          f"linalg.yield %s : {elems[1]}"], shape, elems=elems,
                           out_elem=elems[1]), shape


def _cast_body(source, target):
    """The body converting %a0 of `source` to `target` as ONNX's Cast does
    (float to integer truncates toward zero; to bool: nonzero)."""
    if source == target:
        return [f"linalg.yield %a0 : {target}"]
    if target == "i1":
        if source == "f32":
            return ["%c = arith.cmpf une, %a0, %zero : f32", "linalg.yield %c : i1"]
        return [f"%z0 = arith.constant 0 : {source}", f"%c = arith.cmpi ne, %a0, %z0 : {source}",
                "linalg.yield %c : i1"]
    if source == "f32":
        return [f"%c = arith.fptosi %a0 : f32 to {target}", f"linalg.yield %c : {target}"]
    if target == "f32":
        op = "uitofp" if source == "i1" else "sitofp"
        return [f"%c = arith.{op} %a0 : {source} to f32", "linalg.yield %c : f32"]
    wider = int(target[1:]) > int(source[1:])
    op = ("extui" if source == "i1" else "extsi") if wider else "trunci"
    return [f"%c = arith.{op} %a0 : {source} to {target}", f"linalg.yield %c : {target}"]


@register("Cast")
def cast(imp, node):
    """Cast of a computed value (casts of constants fold at import)."""
    imp.check_attrs(node, {"to", "saturate"})
    imp.inputs(node, 1)
    to = imp.attr_int(node, "to", None)
    if to not in _CAST_ELEMS and to != onnx.TensorProto.UINT8:
        name = onnx.TensorProto.DataType.Name(to) if to in onnx.TensorProto.DataType.values() else str(to)
        imp.fail(node, f"casts to {name} are not supported (FLOAT, BOOL, UINT8, INT8, INT32, INT64)")
    x, xs = imp.materialize(node.input[0], node, integers=True)
    source = imp.elem(node.input[0])
    if source == _U8:  # uint8 values (stored as signless i8): widened unsigned
        storage = imp.fresh("st")
        imp.emit(f"{storage} = quant.scast {x} : {_ttype(xs, source)} to {_ttype(xs, 'i8')}")
        target = _CAST_ELEMS.get(to, "i8")
        body = (["%w = arith.extui %a0 : i8 to i32", "%c = arith.uitofp %w : i32 to f32", "linalg.yield %c : f32"]
                if target == "f32" else _cast_body("i8", target) if target in ("i1", "i8") else
                [f"%c = arith.extui %a0 : i8 to {target}", f"linalg.yield %c : {target}"])
        x, source = imp.elementwise(node, [(storage, xs)], body, xs, elems=["i8"], out_elem=target), target
        if to != onnx.TensorProto.UINT8:
            imp.elems[node.output[0]] = target
            return x, xs
    if source not in ("f32",) + _SIGNLESS:
        imp.fail(node, f"casts from {source} are not supported")
    if to == onnx.TensorProto.UINT8:
        # To the low 8 bits (ONNX: in-range values convert exactly), viewed
        # as uint8 through the quantized type of scale 1.
        ints = x if source == "i8" else imp.elementwise(
            node, [(x, xs)], (["%w = arith.fptosi %a0 : f32 to i32", "%c = arith.trunci %w : i32 to i8",
                               "linalg.yield %c : i8"] if source == "f32" else _cast_body(source, "i8")),
            xs, elems=[source], out_elem="i8")
        r = imp.fresh("u8")
        imp.emit(f"{r} = quant.scast {ints} : {_ttype(xs, 'i8')} to {_ttype(xs, _U8)}")
        imp.elems[node.output[0]] = _U8
        return r, xs
    target = _CAST_ELEMS[to]
    imp.elems[node.output[0]] = target
    if source == target:
        return x, xs
    return imp.elementwise(node, [(x, xs)], _cast_body(source, target), xs, elems=[source], out_elem=target), xs
