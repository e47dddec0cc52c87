"""Resize (opsets 10 to 19; Upsample before): nearest and linear
interpolation with every coordinate transformation but tf_crop_and_resize.

Shapes are static, so with constant scales or sizes the coordinate
arithmetic runs at import, in float64 as ONNX's reference does: per resized
axis, a constant table of input indices (nearest) or of two neighbours and
the weight of the upper one (linear, edges replicated). One linalg.generic
reads the tables and gathers x with tensor.extract. Scales known only at
run time (ONNX's node tests pass them as inputs) are read in the generic's
body, the same arithmetic in f64 on every element; the output shape is then
the one the model declares.
"""
import numpy as np

from .core import _dense, _loc, _ttype
from .registry import register

TRANSFORMS = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _original_coordinates(transform, out_len, in_len, scale):
    """The input coordinate of each output index along one axis; the
    resized length is in_len * scale, unrounded, as ONNX's reference has it."""
    x = np.arange(out_len, dtype=np.float64)
    length = in_len * scale
    if transform == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if transform == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if length > 1 else np.zeros(out_len)
    if transform == "align_corners":
        return np.zeros(out_len) if length == 1 else x * (in_len - 1) / (length - 1)
    if transform == "asymmetric":
        return x / scale
    return (x + 0.5) / scale  # tf_half_pixel_for_nn


def _nearest(coords, mode, in_len):
    if mode == "round_prefer_floor":
        idx = np.where(coords - np.floor(coords) == 0.5, np.floor(coords), np.round(coords))
    elif mode == "round_prefer_ceil":
        idx = np.where(coords - np.floor(coords) == 0.5, np.ceil(coords), np.round(coords))
    elif mode == "floor":
        idx = np.floor(coords)
    else:
        idx = np.ceil(coords)
    return np.clip(idx, 0, in_len - 1).astype(np.int64)


def _declared_shape(imp, name):
    """The static shape the model declares for value `name`, or None."""
    for info in list(imp.graph.output) + list(imp.graph.value_info):
        if info.name == name and info.type.HasField("tensor_type"):
            dims = info.type.tensor_type.shape.dim
            if dims and all(d.HasField("dim_value") and d.dim_value > 0 for d in dims):
                return [d.dim_value for d in dims]
    return None


def _runtime_scales(imp, node, xs):
    """The scales input known only at run time, with the output shape the
    model declares: (ssa of the scales, output shape); None when the scales
    are constant or absent."""
    if node.op_type == "Upsample" and imp.opset() < 9:
        return None
    name = imp.optional_input(node, 1 if node.op_type == "Upsample" or imp.opset() < 11 else 2)
    if not name or imp.const_value(name) is not None:
        return None
    out = _declared_shape(imp, node.output[0])
    if out is None or len(out) != len(xs):
        imp.fail(node, "scales known only at run time need the output shape declared in the model")
    ssa, shape = imp.float_input(node, name)
    if shape != [len(xs)]:
        imp.fail(node, f"scales of shape {shape} do not fit a rank-{len(xs)} input")
    return ssa, out


def _runtime_body(transform, nearest_mode, mode, xs, x, scales):
    """The body of a Resize whose scales are read at run time (all axes
    resized): coordinates in f64 as ONNX's reference computes them."""
    rank = len(xs)
    body = ["%half = arith.constant 0.5 : f64", "%one = arith.constant 1.0 : f64", "%zero64 = arith.constant 0.0 : f64"]
    for a in range(rank):
        body += [f"%ix{a} = linalg.index {a} : index", f"%ca{a} = arith.constant {a} : index",
                 f"%s32_{a} = tensor.extract {scales}[%ca{a}] : tensor<{rank}xf32>",
                 f"%s{a} = arith.extf %s32_{a} : f32 to f64",
                 f"%ii{a} = arith.index_cast %ix{a} : index to i64", f"%i{a} = arith.sitofp %ii{a} : i64 to f64",
                 f"%in{a} = arith.constant {float(xs[a])!r} : f64", f"%len{a} = arith.mulf %in{a}, %s{a} : f64",
                 f"%max{a} = arith.constant {float(xs[a] - 1)!r} : f64",
                 f"%ih{a} = arith.addf %i{a}, %half : f64", f"%q{a} = arith.divf %ih{a}, %s{a} : f64"]
        if transform == "half_pixel":
            body.append(f"%c{a} = arith.subf %q{a}, %half : f64")
        elif transform == "pytorch_half_pixel":
            body += [f"%hp{a} = arith.subf %q{a}, %half : f64", f"%big{a} = arith.cmpf ogt, %len{a}, %one : f64",
                     f"%c{a} = arith.select %big{a}, %hp{a}, %zero64 : f64"]
        elif transform == "align_corners":
            body += [f"%lm{a} = arith.subf %len{a}, %one : f64", f"%n{a} = arith.mulf %i{a}, %max{a} : f64",
                     f"%ac{a} = arith.divf %n{a}, %lm{a} : f64", f"%unit{a} = arith.cmpf oeq, %len{a}, %one : f64",
                     f"%c{a} = arith.select %unit{a}, %zero64, %ac{a} : f64"]
        elif transform == "asymmetric":
            body.append(f"%c{a} = arith.divf %i{a}, %s{a} : f64")
        else:  # tf_half_pixel_for_nn
            body.append(f"%c{a} = arith.addf %q{a}, %zero64 : f64")
        body += [f"%f{a} = math.floor %c{a} : f64", f"%d{a} = arith.subf %c{a}, %f{a} : f64",
                 f"%f1{a} = arith.addf %f{a}, %one : f64"]

    def index(a, value, label):
        return [f"%lo_{label}{a} = arith.maximumf {value}, %zero64 : f64",
                f"%cl_{label}{a} = arith.minimumf %lo_{label}{a}, %max{a} : f64",
                f"%si_{label}{a} = arith.fptosi %cl_{label}{a} : f64 to i64",
                f"%{label}{a} = arith.index_cast %si_{label}{a} : i64 to index"]
    if mode == "nearest":
        for a in range(rank):
            if nearest_mode == "floor":
                pick = f"%f{a}"
            elif nearest_mode == "ceil":
                body.append(f"%ce{a} = math.ceil %c{a} : f64")
                pick = f"%ce{a}"
            else:  # round, ties to the floor or to the ceiling
                op = "ogt" if nearest_mode == "round_prefer_floor" else "oge"
                body += [f"%up{a} = arith.cmpf {op}, %d{a}, %half : f64",
                         f"%r{a} = arith.select %up{a}, %f1{a}, %f{a} : f64"]
                pick = f"%r{a}"
            body += index(a, pick, "n")
        body += [f"%v = tensor.extract {x}[{', '.join(f'%n{a}' for a in range(rank))}] : {_ttype(xs)}",
                 "linalg.yield %v : f32"]
        return body
    for a in range(rank):
        body += index(a, f"%f{a}", "l") + index(a, f"%f1{a}", "h") + [f"%wl{a} = arith.subf %one, %d{a} : f64"]
    acc = None
    for corner in range(2 ** rank):
        picks = [(corner >> a) & 1 for a in range(rank)]
        body.append(f"%x{corner} = tensor.extract {x}[{', '.join(('%h' if p else '%l') + str(a) for a, p in enumerate(picks))}] "
                    f": {_ttype(xs)}")
        body.append(f"%xd{corner} = arith.extf %x{corner} : f32 to f64")
        term = f"%xd{corner}"
        for a, p in enumerate(picks):
            body.append(f"%p{corner}_{a} = arith.mulf {term}, {'%d' if p else '%wl'}{a} : f64")
            term = f"%p{corner}_{a}"
        if acc is not None:
            body.append(f"%sum{corner} = arith.addf {acc}, {term} : f64")
            term = f"%sum{corner}"
        acc = term
    return body + [f"%y = arith.truncf {acc} : f64 to f32", "linalg.yield %y : f32"]


def _scales_and_sizes(imp, node, xs):
    """(scale per axis, output size per axis) from the scales or sizes
    input (or the Upsample attribute)."""
    rank = len(xs)
    if node.op_type == "Upsample" and imp.opset() < 9:
        attr = next((a for a in node.attribute if a.name == "scales"), None)
        if attr is None or not attr.floats:
            imp.fail(node, "attribute 'scales' is required")
        scales = np.asarray(list(attr.floats), np.float64)
    else:
        scale_index = 1 if node.op_type == "Upsample" or imp.opset() < 11 else 2
        scales_name = imp.optional_input(node, scale_index)
        sizes_name = imp.optional_input(node, 3) if node.op_type == "Resize" and imp.opset() >= 11 else None
        given = imp.const_value(scales_name) if scales_name else None
        scales = None
        if scales_name and (given is None or np.size(given) > 0):  # opset 13: an empty scales is none
            scales = imp.constant(node, scales_name, "the scales", ndim=1, numeric="f")
        if (scales is None) == (sizes_name is None):
            imp.fail(node, "exactly one of scales and sizes must be given")
        if sizes_name:
            declared = _declared_shape(imp, node.output[0])
            if imp.const_value(sizes_name) is None and declared is not None:
                sizes = np.asarray(declared, np.int64)  # the run-time sizes are the declared shape
            else:
                sizes = imp.constant(node, sizes_name, "the sizes", ndim=1, numeric="iu").astype(np.int64)
            if sizes.size != rank or np.any(sizes < 1):
                imp.fail(node, f"sizes {sizes.tolist()} do not fit a rank-{rank} input")
            return sizes.astype(np.float64) / np.asarray(xs, np.float64), [int(s) for s in sizes]
        scales = scales.astype(np.float64)
    if scales.size != rank or np.any(scales <= 0) or not np.all(np.isfinite(scales)):
        imp.fail(node, f"scales {scales.tolist()} do not fit a rank-{rank} input (one positive scale per axis)")
    return scales, [int(np.floor(d * s)) for d, s in zip(xs, scales)]


@register("Resize")
@register("Upsample")
def resize(imp, node):
    """X must be f32; scales, sizes and roi are read as the op needs them
    (a sizes graph input: the model's declared output shape)."""
    imp.check_attrs(node, {"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a",
                           "exclude_outside", "extrapolation_value", "scales"})
    imp.inputs(node, 1, 4)
    x, xs = imp.float_input(node, node.input[0])
    mode = imp.attr_str(node, "mode", "nearest", ("nearest", "linear", "bilinear", "cubic"))
    if mode == "cubic":
        imp.fail(node, "mode cubic is not supported (nearest, linear)")
    mode = "linear" if mode == "bilinear" else mode
    legacy = node.op_type == "Upsample" or imp.opset() < 11
    transform = "asymmetric" if legacy else imp.attr_str(
        node, "coordinate_transformation_mode", "half_pixel", TRANSFORMS + ("tf_crop_and_resize",))
    if transform == "tf_crop_and_resize":
        imp.fail(node, "coordinate_transformation_mode tf_crop_and_resize is not supported")
    nearest_mode = "floor" if legacy else imp.attr_str(node, "nearest_mode", "round_prefer_floor", NEAREST_MODES)
    if imp.attr_int(node, "exclude_outside", 0, 0, 1):
        imp.fail(node, "exclude_outside 1 is not supported")
    runtime = _runtime_scales(imp, node, xs)
    if runtime is not None:
        scales, out = runtime
        dims = ", ".join(f"d{i}" for i in range(len(xs)))
        e, r = imp.fresh("e"), imp.fresh("resize")
        imp.emit(f"{e} = tensor.empty() : {_ttype(out)}")
        iterators = ", ".join(['"parallel"'] * len(xs))
        imp.emit(f"{r} = linalg.generic {{indexing_maps = [affine_map<({dims}) -> ({dims})>], iterator_types = "
                 f"[{iterators}]}} outs({e} : {_ttype(out)}) {{")
        imp.emit("^bb0(%out: f32):")
        for line in _runtime_body(transform, nearest_mode, mode, xs, x, scales):
            imp.emit("  " + line)
        imp.emit(f"}} -> {_ttype(out)} {_loc(node.name)}")
        return r, out
    scales, out = _scales_and_sizes(imp, node, xs)
    if any(o < 1 for o in out):
        imp.fail(node, f"the output shape {out} has an empty dimension")

    rank = len(xs)
    dims = [f"d{i}" for i in range(rank)]
    tables, operands, body = [], [], []
    coords = [None] * rank
    for axis in range(rank):
        c = _original_coordinates(transform, out[axis], xs[axis], scales[axis])
        if mode == "nearest":
            idx = _nearest(c, nearest_mode, xs[axis])
            if out[axis] == xs[axis] and np.array_equal(idx, np.arange(xs[axis])):
                continue
            tables.append((idx, "i64", axis, f"i{axis}"))
        else:
            lo = np.floor(c)
            weight = (c - lo).astype(np.float32)
            lo_idx = np.clip(lo, 0, xs[axis] - 1).astype(np.int64)
            hi_idx = np.clip(lo + 1, 0, xs[axis] - 1).astype(np.int64)
            if out[axis] == xs[axis] and np.array_equal(lo_idx, np.arange(xs[axis])) and not np.any(weight):
                continue
            tables += [(lo_idx, "i64", axis, f"lo{axis}"), (hi_idx, "i64", axis, f"hi{axis}"),
                       (weight, "f32", axis, f"w{axis}")]
    for values, elem, axis, name in tables:
        c = imp.fresh("tab")
        imp.emit(f"{c} = arith.constant dense<{_dense(values)}> : {_ttype([values.size], elem)}")
        operands.append((c, values.size, elem, axis, name))
    for i in range(rank):
        body.append(f"%ix{i} = linalg.index {i} : index")
    for _, _, elem, _, name in operands:
        if elem == "i64":
            body.append(f"%{name} = arith.index_cast %t_{name} : i64 to index")
    resized = sorted({axis for *_, axis, _ in operands})
    if mode == "nearest":
        coords = [f"%i{i}" if i in resized else f"%ix{i}" for i in range(rank)]
        body += [f"%v = tensor.extract {x}[{', '.join(coords)}] : {_ttype(xs)}", "linalg.yield %v : f32"]
    else:
        # Sum over the 2^k corners of the resized axes, each weighted by the
        # product of its axes' weights (1 - w for the lower neighbour).
        for a in resized:
            body += [f"%one{a} = arith.constant 1.0 : f32", f"%v{a} = arith.subf %one{a}, %t_w{a} : f32"]
        acc = None
        for corner in range(2 ** len(resized)):
            picks = {a: (corner >> j) & 1 for j, a in enumerate(resized)}
            coords = [(f"%hi{i}" if picks[i] else f"%lo{i}") if i in resized else f"%ix{i}" for i in range(rank)]
            body.append(f"%x{corner} = tensor.extract {x}[{', '.join(coords)}] : {_ttype(xs)}")
            term = f"%x{corner}"
            for a in resized:
                body.append(f"%p{corner}_{a} = arith.mulf {term}, {'%t_w' if picks[a] else '%v'}{a} : f32")
                term = f"%p{corner}_{a}"
            if acc is None:
                acc = term
            else:
                body.append(f"%s{corner} = arith.addf {acc}, {term} : f32")
                acc = f"%s{corner}"
        body.append(f"linalg.yield {acc} : f32")
    e, r = imp.fresh("e"), imp.fresh("resize")
    imp.emit(f"{e} = tensor.empty() : {_ttype(out)}")
    maps = [f"affine_map<({', '.join(dims)}) -> (d{axis})>" for _, _, _, axis, _ in operands]
    maps.append(f"affine_map<({', '.join(dims)}) -> ({', '.join(dims)})>")
    iterators = ", ".join(['"parallel"'] * rank)
    ins = ""
    if operands:
        ins = (f"ins({', '.join(c for c, *_ in operands)} : "
               f"{', '.join(_ttype([n], elem) for _, n, elem, _, _ in operands)}) ")
    imp.emit(f"{r} = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = [{iterators}]}} "
             f"{ins}outs({e} : {_ttype(out)}) {{")
    args = ", ".join([f"%t_{name}: {elem}" for _, _, elem, _, name in operands] + ["%out: f32"])
    imp.emit(f"^bb0({args}):")
    for line in body:
        imp.emit("  " + line)
    imp.emit(f"}} -> {_ttype(out)} {_loc(node.name)}")
    return r, out
