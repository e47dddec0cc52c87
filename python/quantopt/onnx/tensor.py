"""Data-movement ONNX operators: Reshape (flattening), Flatten, Transpose,
Concat, Slice, Gather, Identity, Constant. On constants, Concat, Slice and
Gather fold (shape arithmetic and the like) instead of emitting code.
"""
import numpy as np
import onnx

from .core import _dense, _loc, _ttype
from .registry import register


@register("Constant")
def constant(imp, node):
    imp.inputs(node, 0)
    value = imp.attribute(node, "value", onnx.AttributeProto.TENSOR, "a tensor")
    if value is None:
        imp.fail(node, "only the 'value' attribute is supported")
    imp.consts[node.output[0]] = imp.tensor_value(value.t, "its value", node=node)
    return None


@register("Identity")
def identity(imp, node):
    imp.inputs(node, 1)
    imp.elems[node.output[0]] = imp.elem(node.input[0])
    return imp.materialize(node.input[0], node)


@register("Transpose", float_only=True)
def transpose(imp, node):
    imp.check_attrs(node, {"perm"})
    imp.inputs(node, 1)
    x, xs = imp.materialize(node.input[0], node)
    perm = imp.attr_ints(node, "perm", list(reversed(range(len(xs)))))
    if sorted(perm) != list(range(len(xs))):
        imp.fail(node, f"perm {perm} is not a permutation of the {len(xs)} dimensions of {xs}")
    return imp.transpose(x, xs, perm, node.name)


@register("Flatten")
def flatten(imp, node):
    imp.check_attrs(node, {"axis"})
    imp.inputs(node, 1)
    x, shape = imp.materialize(node.input[0], node)
    elem = imp.elem(node.input[0])
    axis = imp.axis(node, imp.attr_int(node, "axis", 1), len(shape), end=True)
    if axis == 0:
        imp.fail(node, "axis 0 is not supported")
    if axis == len(shape):
        imp.fail(node, f"axis {axis} (the rank) is not supported")
    groups = [list(range(axis)), list(range(axis, len(shape)))]
    out = [int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))]
    imp.elems[node.output[0]] = elem
    r = imp.fresh("flat")
    reassoc = str(groups).replace(" ", "")
    imp.emit(f"{r} = tensor.collapse_shape {x} {reassoc} : {_ttype(shape, elem)} into {_ttype(out, elem)} "
             f"{_loc(node.name)}")
    return r, out


@register("Reshape")
def reshape(imp, node):
    imp.check_attrs(node, {"allowzero"})
    imp.inputs(node, 2)
    x, shape = imp.materialize(node.input[0], node)
    elem = imp.elem(node.input[0])
    allowzero = imp.attr_int(node, "allowzero", 0, 0, 1)
    target = imp.const_value(node.input[1])
    if target is None:
        imp.fail(node, "the shape must be a constant")
    if target.dtype.kind not in "iu" or target.ndim != 1:
        imp.fail(node, f"the shape must be a 1-D integer tensor, not {target.dtype} of shape {list(target.shape)}")
    target = [int(v) for v in target]
    if any(v < -1 for v in target) or target.count(-1) > 1:
        imp.fail(node, f"shape {target}: dimensions must be >= 0, or one of them -1")
    if not allowzero:  # 0 copies the input's dimension
        if any(v == 0 and i >= len(shape) for i, v in enumerate(target)):
            imp.fail(node, f"shape {target} copies (0) a dimension the input {shape} does not have")
        target = [shape[i] if v == 0 else v for i, v in enumerate(target)]
    size = int(np.prod(shape))
    if -1 in target:
        known = int(np.prod([v for v in target if v != -1]))
        if known == 0 or size % known:
            imp.fail(node, f"shape {target} does not fit the {size} elements of {shape}")
        target[target.index(-1)] = size // known
    if int(np.prod(target)) != size:
        imp.fail(node, f"shape {target} does not fit the {size} elements of {shape}")
    imp.elems[node.output[0]] = elem
    # Only collapses of trailing dimensions into one (flattening).
    if len(target) == 2 and target[0] == shape[0] and int(np.prod(shape[1:])) == target[1] and len(shape) > 2:
        r = imp.fresh("flat")
        groups = str([[0], list(range(1, len(shape)))]).replace(" ", "")
        imp.emit(f"{r} = tensor.collapse_shape {x} {groups} : {_ttype(shape, elem)} into {_ttype(target, elem)} "
                 f"{_loc(node.name)}")
        return r, target
    if target == shape:
        return x, shape
    imp.fail(node, f"reshape {shape} -> {target} is not supported (only flattening)")


@register("Concat")
def concat(imp, node):
    imp.check_attrs(node, {"axis"})
    names = [n for n in node.input if n]
    if not names:
        imp.fail(node, "no inputs")
    axis = imp.attr_int(node, "axis", None)
    if axis is None:
        imp.fail(node, "attribute 'axis' is required")
    shapes = [imp.defined_shape(node, n) for n in names]
    rank = len(shapes[0])
    if rank == 0:
        imp.fail(node, "scalars cannot be concatenated")
    axis = imp.axis(node, axis, rank)
    for shape in shapes:
        if len(shape) != rank or any(d != e for i, (d, e) in enumerate(zip(shape, shapes[0])) if i != axis):
            imp.fail(node, f"shapes {shapes} do not concatenate along axis {axis}")
    if all(n in imp.consts for n in names):  # shape arithmetic and the like
        types = sorted({str(imp.consts[n].dtype) for n in names})
        if len(types) != 1:
            imp.fail(node, f"inputs of different element types {types}")
        imp.consts[node.output[0]] = np.concatenate([imp.consts[n] for n in names], axis)
        return None
    parts = [imp.materialize(n, node) for n in names]
    elems = {imp.elem(n) for n in names}
    if len(elems) != 1:
        imp.fail(node, f"inputs of different element types {sorted(elems)}")
    elem = elems.pop()
    out = list(parts[0][1])
    out[axis] = sum(shape[axis] for _, shape in parts)
    imp.elems[node.output[0]] = elem
    if len(parts) == 1:
        return parts[0]
    r = imp.fresh("cat")
    imp.emit(f"{r} = tensor.concat dim({axis}) {', '.join(s for s, _ in parts)} : "
             f"({', '.join(_ttype(shape, elem) for _, shape in parts)}) -> {_ttype(out, elem)} "
             f"{_loc(node.name)}")
    return r, out


def _slice_params(imp, node):
    """starts, ends, axes, steps of a Slice: attributes (before opset 10)
    or constant inputs, as lists of ints (axes and steps None if absent)."""
    params = []
    for i, name in enumerate(("starts", "ends", "axes", "steps"), 1):
        value = imp.attr_ints(node, name, None) if name != "steps" else None
        input_name = imp.optional_input(node, i)
        if value is None and input_name:
            value = imp.const_value(input_name)
            if value is None:
                imp.fail(node, f"{name} must be a constant")
            if value.dtype.kind not in "iu" or value.ndim > 1:
                imp.fail(node, f"{name} must be a 1-D integer tensor, not {value.dtype} of shape "
                               f"{list(value.shape)}")
        params.append(None if value is None else [int(v) for v in np.reshape(value, -1)])
    starts, ends, axes, steps = params
    if starts is None or ends is None:
        imp.fail(node, "starts and ends are required")
    for what, values in (("ends", ends), ("axes", axes), ("steps", steps)):
        if values is not None and len(values) != len(starts):
            imp.fail(node, f"{len(starts)} starts but {len(values)} {what}")
    return starts, ends, axes, steps


@register("Slice")
def slice_op(imp, node):
    imp.check_attrs(node, {"starts", "ends", "axes"})  # attributes before opset 10
    imp.inputs(node, 1, 4)
    starts, ends, axes, steps = _slice_params(imp, node)
    shape = imp.defined_shape(node, node.input[0])
    rank = len(shape)
    axes = [imp.axis(node, a, rank) for a in (axes or range(len(starts)))]
    if len(set(axes)) != len(axes):
        imp.fail(node, f"axes {axes} repeat an axis")
    steps = steps or [1] * len(starts)
    offsets, sizes, strides, reverse = [0] * rank, list(shape), [1] * rank, []
    index = [slice(None)] * rank
    for a, start, end, step in zip(axes, starts, ends, steps):
        n = shape[a]
        if step == 0:
            imp.fail(node, "steps must not be 0")
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
            imp.fail(node, "empty slices are not supported")
    if node.input[0] in imp.consts:
        value = imp.consts[node.input[0]][tuple(index)]
        imp.consts[node.output[0]] = np.flip(value, reverse) if reverse else value
        return None
    x, xs = imp.materialize(node.input[0], node)
    elem = imp.elem(node.input[0])
    imp.elems[node.output[0]] = elem
    r = x
    if sizes != xs or any(s != 1 for s in strides):
        r = imp.fresh("slice")
        imp.emit(f"{r} = tensor.extract_slice {x}{offsets} {sizes} {strides} : {_ttype(xs, elem)} to "
                 f"{_ttype(sizes, elem)} {_loc(node.name)}")
    if not reverse:
        return r, sizes
    if elem != "f32":
        imp.fail(node, "negative steps are only supported on float tensors")
    dims = [f"d{i}" for i in range(rank)]
    exprs = [f"{sizes[i] - 1} - d{i}" if i in reverse else f"d{i}" for i in range(rank)]
    iterators = ", ".join(['"parallel"'] * rank)
    e, rev = imp.fresh("e"), imp.fresh("rev")
    imp.emit(f"{e} = tensor.empty() : {_ttype(sizes)}")
    imp.emit(f"{rev} = linalg.generic {{indexing_maps = [affine_map<({', '.join(dims)}) -> ({', '.join(exprs)})>, "
             f"affine_map<({', '.join(dims)}) -> ({', '.join(dims)})>], iterator_types = [{iterators}]}} "
             f"ins({r} : {_ttype(sizes)}) outs({e} : {_ttype(sizes)}) {{")
    imp.emit("^bb0(%a0: f32, %out: f32):")
    imp.emit("  linalg.yield %a0 : f32")
    imp.emit(f"}} -> {_ttype(sizes)} {_loc(node.name + '.reverse')}")
    return rev, sizes


@register("Gather")
def gather(imp, node):
    imp.check_attrs(node, {"axis"})
    imp.inputs(node, 2)
    data, indices = node.input[0], node.input[1]
    data_shape, ind_shape = imp.shape_of(data), imp.shape_of(indices)
    if data_shape is None or ind_shape is None:
        imp.fail(node, "inputs are not defined")
    rank = len(data_shape)
    if rank == 0:
        imp.fail(node, "data must have at least one dimension")
    axis = imp.axis(node, imp.attr_int(node, "axis", 0), rank)
    n = data_shape[axis]
    idx = imp.const_value(indices)
    if idx is not None:
        if idx.dtype.kind not in "iu":
            imp.fail(node, f"indices must be integers, not {idx.dtype}")
        if idx.size == 0:
            imp.fail(node, "empty indices are not supported")
        if np.any(idx < -n) or np.any(idx >= n):
            imp.fail(node, f"indices out of range [{-n}, {n})")
        idx = np.where(idx < 0, idx + n, idx)
    if data in imp.consts and idx is not None:
        imp.consts[node.output[0]] = np.take(imp.consts[data], idx, axis)
        return None
    out = data_shape[:axis] + ind_shape + data_shape[axis + 1:]
    x, xs = imp.materialize(data, node)
    elem = imp.elem(data)
    step = np.diff(idx.reshape(-1)) if idx is not None else None
    if idx is not None and idx.ndim <= 1 and (idx.size == 1 or (np.all(step == step[0]) and step[0] > 0)):
        # Constant indices in arithmetic progression: a strided slice
        # (rank-reducing for a scalar index).
        first = int(idx.reshape(-1)[0])
        stride = int(step[0]) if idx.size > 1 else 1
        offsets, sizes, strides = [0] * rank, list(xs), [1] * rank
        offsets[axis], sizes[axis], strides[axis] = first, idx.size, stride
        r = imp.fresh("slice")
        imp.emit(f"{r} = tensor.extract_slice {x}{offsets} {sizes} {strides} : {_ttype(xs, elem)} to "
                 f"{_ttype(out, elem)} {_loc(node.name)}")
        imp.elems[node.output[0]] = elem
        return r, out
    if elem != "f32":
        imp.fail(node, "only float data can be gathered with these indices")
    if idx is not None:
        ind, ind_elem = imp.fresh("idx"), "i64"
        imp.emit(f"{ind} = arith.constant dense<{_dense(idx.astype(np.int64))}> : {_ttype(idx.shape, 'i64')}")
    else:
        ind, _ = imp.materialize(indices, node)
        ind_elem = imp.elem(indices)
        if ind_elem not in ("i64", "i32"):
            imp.fail(node, f"indices must be int64 or int32, not {ind_elem}")
    # One output element per (outer, index, inner) position: the index
    # tensor is read through the indexing map, the data with
    # tensor.extract at the clamped index (negative indices count from
    # the end, as in ONNX).
    q = len(ind_shape)
    dims = [f"d{i}" for i in range(len(out))]
    iterators = ", ".join(['"parallel"'] * len(out))
    e, r = imp.fresh("e"), imp.fresh("gather")
    imp.emit(f"{e} = tensor.empty() : {_ttype(out)}")
    imp.emit(f"{r} = linalg.generic {{indexing_maps = [affine_map<({', '.join(dims)}) -> "
             f"({', '.join(dims[axis:axis + q])})>, affine_map<({', '.join(dims)}) -> ({', '.join(dims)})>], "
             f"iterator_types = [{iterators}]}} ins({ind} : {_ttype(ind_shape, ind_elem)}) "
             f"outs({e} : {_ttype(out)}) {{")
    imp.emit(f"^bb0(%a0: {ind_elem}, %out: f32):")
    imp.emit(f"  %n = arith.constant {n} : {ind_elem}")
    imp.emit(f"  %last = arith.constant {n - 1} : {ind_elem}")
    imp.emit(f"  %zi = arith.constant 0 : {ind_elem}")
    imp.emit(f"  %neg = arith.cmpi slt, %a0, %zi : {ind_elem}")
    imp.emit(f"  %wrapped = arith.addi %a0, %n : {ind_elem}")
    imp.emit(f"  %i = arith.select %neg, %wrapped, %a0 : {ind_elem}")
    imp.emit(f"  %lo = arith.maxsi %i, %zi : {ind_elem}")
    imp.emit(f"  %c = arith.minsi %lo, %last : {ind_elem}")
    imp.emit(f"  %k = arith.index_cast %c : {ind_elem} to index")
    coords = []
    for i in range(rank):
        if i == axis:
            coords.append("%k")
        else:
            j = i if i < axis else i + q - 1
            imp.emit(f"  %j{j} = linalg.index {j} : index")
            coords.append(f"%j{j}")
    imp.emit(f"  %v = tensor.extract {x}[{', '.join(coords)}] : {_ttype(xs)}")
    imp.emit("  linalg.yield %v : f32")
    imp.emit(f"}} -> {_ttype(out)} {_loc(node.name)}")
    return r, out
