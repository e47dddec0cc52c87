"""Data-movement ONNX operators: Reshape, Flatten, Transpose,
Concat, Slice, Gather, Identity, Constant. On constants, Concat, Slice and
Gather fold (shape arithmetic and the like) instead of emitting code.
"""
import numpy as np
import onnx

from .core import _dense, _f32, _loc, _ttype
from .folding import reshape_target
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
    out = [int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))]
    imp.elems[node.output[0]] = elem
    return reshape_value(imp, x, shape, out, elem, node.name), out


def _axes_input(imp, node, rank_of):
    """The axes of Squeeze / Unsqueeze (the attribute before opset 13, the
    constant second input after), normalized against the rank
    rank_of(number of axes); None when absent."""
    axes = imp.attr_ints(node, "axes", None)
    if axes is None and imp.optional_input(node, 1):
        value = imp.const_value(node.input[1])
        if value is None:
            imp.fail(node, "axes must be a constant")
        if value.dtype.kind not in "iu" or value.ndim > 1:
            imp.fail(node, f"axes must be a 1-D integer tensor, not {value.dtype} of shape {list(value.shape)}")
        axes = [int(v) for v in value.reshape(-1)]
    if axes is None:
        return None
    axes = [imp.axis(node, a, rank_of(len(axes))) for a in axes]
    if len(set(axes)) != len(axes):
        imp.fail(node, f"axes {axes} repeat an axis")
    return sorted(axes)


@register("Squeeze")
def squeeze(imp, node):
    imp.check_attrs(node, {"axes"})
    imp.inputs(node, 1, 1)
    x, shape = imp.materialize(node.input[0], node)
    axes = _axes_input(imp, node, lambda count: len(shape))
    if axes is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    if any(shape[a] != 1 for a in axes):
        imp.fail(node, f"axes {axes} of {shape} are not all 1")
    out = [d for i, d in enumerate(shape) if i not in axes]
    elem = imp.elems[node.output[0]] = imp.elem(node.input[0])
    return reshape_value(imp, x, shape, out, elem, node.name), out


@register("Unsqueeze")
def unsqueeze(imp, node):
    imp.check_attrs(node, {"axes"})
    imp.inputs(node, 1, 1)
    x, shape = imp.materialize(node.input[0], node)
    axes = _axes_input(imp, node, lambda count: len(shape) + count)
    if axes is None:
        imp.fail(node, "axes are required")
    out = list(shape)
    for a in axes:
        out.insert(a, 1)
    elem = imp.elems[node.output[0]] = imp.elem(node.input[0])
    return reshape_value(imp, x, shape, out, elem, node.name), out


@register("Reshape")
def reshape(imp, node):
    imp.check_attrs(node, {"allowzero"})
    imp.inputs(node, 2)
    x, shape = imp.materialize(node.input[0], node)
    elem = imp.elem(node.input[0])
    target = imp.const_value(node.input[1])
    if target is None:
        imp.fail(node, "the shape must be a constant")
    target = reshape_target(imp, node, shape, target)
    imp.elems[node.output[0]] = elem
    return reshape_value(imp, x, shape, target, elem, node.name), target


def reshape_groups(shape, target):
    """The finest grouping of two shapes of the same size into runs of equal
    products: a list of (dims of shape, dims of target). Trailing unit
    dimensions join the last group."""
    groups, i, j = [], 0, 0
    while i < len(shape) and j < len(target):
        gi, gj, pi, pj = [i], [j], shape[i], target[j]
        i, j = i + 1, j + 1
        while pi != pj:  # equal total sizes: the smaller side has more dims
            if pi < pj:
                pi, i = pi * shape[i], i + 1
                gi.append(i - 1)
            else:
                pj, j = pj * target[j], j + 1
                gj.append(j - 1)
        groups.append((gi, gj))
    groups[-1][0].extend(range(i, len(shape)))
    groups[-1][1].extend(range(j, len(target)))
    return groups


def reshape_value(imp, x, shape, target, elem, loc):
    """x reshaped to `target`: a collapse_shape to the groups' sizes
    followed by an expand_shape, either left out where it would do
    nothing (a flattening is one collapse, a head split one expand)."""
    if list(shape) == list(target):
        return x
    if not shape or not target:  # to or from a scalar: no groups
        return imp.reshape(x, shape, target, [], expand=not shape, elem=elem, loc=loc)
    groups = reshape_groups(shape, target)
    middle = [int(np.prod([shape[d] for d in gi])) for gi, _ in groups]
    collapsed = imp.reshape(x, shape, middle, [gi for gi, _ in groups], expand=False, elem=elem, loc=loc)
    return imp.reshape(collapsed, middle, target, [gj for _, gj in groups], expand=True, elem=elem, loc=loc)


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


def read_at(imp, x, xs, out, index_lines, loc):
    """A tensor of shape `out` whose elements read x (f32) at computed
    indices: a linalg.generic with only an output; index_lines(emit) emits
    the index arithmetic from `linalg.index` values and returns the
    coordinates into x."""
    dims = [f"d{i}" for i in range(len(out))]
    iterators = ", ".join(['"parallel"'] * len(out))
    e, r = imp.fresh("e"), imp.fresh("read")
    imp.emit(f"{e} = tensor.empty() : {_ttype(out)}")
    imp.emit(f"{r} = linalg.generic {{indexing_maps = [affine_map<({', '.join(dims)}) -> ({', '.join(dims)})>], "
             f"iterator_types = [{iterators}]}} outs({e} : {_ttype(out)}) {{")
    imp.emit("^bb0(%out: f32):")
    coords = index_lines(lambda line: imp.emit("  " + line))
    imp.emit(f"  %v = tensor.extract {x}[{', '.join(coords)}] : {_ttype(xs)}")
    imp.emit("  linalg.yield %v : f32")
    imp.emit(f"}} -> {_ttype(out)} {_loc(loc)}")
    return r


@register("Pad", float_only=True)
def pad(imp, node):
    """Constant, reflect and edge padding (pads from the attribute before
    opset 11, the constant input after; negative pads crop)."""
    imp.check_attrs(node, {"mode", "pads", "value"})
    imp.inputs(node, 1, 3)
    x, xs = imp.materialize(node.input[0], node)
    rank = len(xs)
    mode = imp.attr_str(node, "mode", "constant", ("constant", "reflect", "edge"))
    pads = imp.attr_ints(node, "pads", None)
    value = imp.attr_float(node, "value", 0.0)
    if pads is None:
        if not imp.optional_input(node, 1):
            imp.fail(node, "pads are required")
        pads = imp.constant(node, node.input[1], "pads", ndim=1, numeric="iu")
        pads = [int(p) for p in pads]
        if imp.optional_input(node, 2):
            value = float(imp.constant(node, node.input[2], "the constant value", numeric="f").reshape(-1)[0])
    if len(pads) != 2 * rank:
        imp.fail(node, f"{len(pads)} pads for a rank-{rank} input (need {2 * rank})")
    low, high = pads[:rank], pads[rank:]
    if any(d + lo + hi <= 0 for d, lo, hi in zip(xs, low, high)):
        imp.fail(node, f"pads {pads} leave nothing of {xs}")
    # Negative pads crop first.
    if any(p < 0 for p in pads):
        offsets = [max(0, -lo) for lo in low]
        sizes = [d - max(0, -lo) - max(0, -hi) for d, lo, hi in zip(xs, low, high)]
        r = imp.fresh("slice")
        imp.emit(f"{r} = tensor.extract_slice {x}{offsets} {sizes} {[1] * rank} : {_ttype(xs)} to "
                 f"{_ttype(sizes)} {_loc(node.name + '.crop')}")
        x, xs = r, sizes
        low, high = [max(0, p) for p in low], [max(0, p) for p in high]
    out = [d + lo + hi for d, lo, hi in zip(xs, low, high)]
    if mode == "constant":
        c = imp.fresh("padv")
        imp.emit(f"{c} = arith.constant {_f32(value)} : f32")
        r, out = imp.pad_nd(x, xs, low, high, c)
        return r, out
    if mode == "reflect" and any(lo >= d or hi >= d for d, lo, hi in zip(xs, low, high) if lo or hi):
        imp.fail(node, f"reflect pads {pads} must be smaller than the dimensions of {xs}")
    # Each output element reads the input at its index mapped back inside:
    # reflected about the border (reflect) or clamped to it (edge).
    def index_lines(emit):
        coords = []
        for i, (d, lo) in enumerate(zip(xs, low)):
            emit(f"%o{i} = linalg.index {i} : index")
            if not lo and out[i] == d:
                coords.append(f"%o{i}")
                continue
            emit(f"%lo{i} = arith.constant {lo} : index")
            emit(f"%last{i} = arith.constant {d - 1} : index")
            emit(f"%z{i} = arith.constant 0 : index")
            emit(f"%s{i} = arith.subi %o{i}, %lo{i} : index")
            if mode == "edge":
                emit(f"%m{i} = arith.maxsi %s{i}, %z{i} : index")
                emit(f"%c{i} = arith.minsi %m{i}, %last{i} : index")
            else:  # reflect: -s below 0, 2 (d - 1) - s above d - 1
                emit(f"%neg{i} = arith.subi %z{i}, %s{i} : index")
                emit(f"%a{i} = arith.maxsi %s{i}, %neg{i} : index")
                emit(f"%twice{i} = arith.constant {2 * (d - 1)} : index")
                emit(f"%b{i} = arith.subi %twice{i}, %a{i} : index")
                emit(f"%c{i} = arith.minsi %a{i}, %b{i} : index")
            coords.append(f"%c{i}")
        return coords
    r = read_at(imp, x, xs, out, index_lines, node.name)
    return r, out


def _split_sizes(imp, node, dim):
    """The sizes Split cuts a dimension of `dim` elements into: the 'split'
    attribute (before opset 13) or constant input, else equal parts, one
    per output (the last one smaller when they do not divide, as opset 18's
    num_outputs says)."""
    sizes = imp.attr_ints(node, "split", None)
    if sizes is None and imp.optional_input(node, 1):
        sizes = [int(v) for v in imp.constant(node, node.input[1], "split", ndim=1, numeric="iu")]
    count = len(node.output)
    if sizes is None:
        count = imp.attr_int(node, "num_outputs", count, lo=1)
        part = -(-dim // count)
        sizes = [min(part, dim - i * part) for i in range(count)]
    if len(sizes) != len(node.output) or any(v <= 0 for v in sizes) or sum(sizes) != dim:
        imp.fail(node, f"split {sizes} does not cut the {dim} elements into {len(node.output)} non-empty parts")
    return sizes


@register("Split")
def split(imp, node):
    imp.check_attrs(node, {"axis", "split", "num_outputs"})
    imp.inputs(node, 1, 1)
    shape = imp.defined_shape(node, node.input[0])
    axis = imp.axis(node, imp.attr_int(node, "axis", 0), len(shape))
    sizes = _split_sizes(imp, node, shape[axis])
    offsets = np.cumsum([0] + sizes[:-1])
    if node.input[0] in imp.consts:
        value = imp.consts[node.input[0]]
        for name, start, size in zip(node.output, offsets, sizes):
            if name:
                imp.consts[name] = np.take(value, range(start, start + size), axis)
        return None
    x, xs = imp.materialize(node.input[0], node)
    elem = imp.elem(node.input[0])
    for index, (name, start, size) in enumerate(zip(node.output, offsets, sizes)):
        if not name:
            continue
        begin, part = [0] * len(xs), list(xs)
        begin[axis], part[axis] = int(start), size
        r = imp.fresh("part")
        imp.emit(f"{r} = tensor.extract_slice {x}{begin} {part} {[1] * len(xs)} : {_ttype(xs, elem)} to "
                 f"{_ttype(part, elem)} {_loc(f'{node.name}.{index}')}")
        imp.values[name], imp.elems[name] = (r, part), elem
    return None


@register("Tile")
def tile(imp, node):
    """Copies along each dimension: a generic reading the input at the
    output index modulo the input's size."""
    imp.check_attrs(node, set())
    imp.inputs(node, 2)
    repeats = [int(v) for v in imp.constant(node, node.input[1], "repeats", ndim=1, numeric="iu")]
    shape = imp.defined_shape(node, node.input[0])
    if len(repeats) != len(shape) or any(r < 1 for r in repeats):
        imp.fail(node, f"repeats {repeats} must be one positive count per dimension of {shape}")
    if node.input[0] in imp.consts:
        imp.consts[node.output[0]] = np.tile(imp.consts[node.input[0]], repeats)
        return None
    x, xs = imp.materialize(node.input[0], node)
    elem = imp.elem(node.input[0])
    if elem != "f32":
        imp.fail(node, "only float tensors can be tiled")
    out = [d * r for d, r in zip(xs, repeats)]

    def index_lines(emit):  # the output index modulo the input's size
        coords = []
        for i, d in enumerate(xs):
            emit(f"%o{i} = linalg.index {i} : index")
            if repeats[i] == 1:
                coords.append(f"%o{i}")
                continue
            emit(f"%n{i} = arith.constant {d} : index")
            emit(f"%c{i} = arith.remui %o{i}, %n{i} : index")
            coords.append(f"%c{i}")
        return coords
    r = read_at(imp, x, xs, out, index_lines, node.name)
    return r, out


@register("Expand", float_only=True)
def expand(imp, node):
    """Broadcast to a constant shape (NumPy's rules: the result has the
    larger of the two sizes in each dimension)."""
    imp.check_attrs(node, set())
    imp.inputs(node, 2)
    target = [int(v) for v in imp.constant(node, node.input[1], "the shape", ndim=1, numeric="iu")]
    shape = imp.defined_shape(node, node.input[0])
    try:
        out = list(np.broadcast_shapes(tuple(shape), tuple(target)))
    except ValueError:
        imp.fail(node, f"shape {shape} does not broadcast to {target}")
    if node.input[0] in imp.consts and imp.consts[node.input[0]].dtype.kind != "f":
        imp.consts[node.output[0]] = np.broadcast_to(imp.consts[node.input[0]], out).copy()
        return None
    x = imp.materialize(node.input[0], node)
    if out == shape:
        return x
    return imp.elementwise(node, [x], ["linalg.yield %a0 : f32"], out), out


@register("Dropout")
def dropout(imp, node):
    """Inference: the identity (training_mode must be a constant false);
    the optional mask output is all true."""
    imp.check_attrs(node, {"ratio", "seed", "is_test"})
    imp.inputs(node, 1, 2)
    if imp.optional_input(node, 2):
        training = imp.const_value(node.input[2])
        if training is None or bool(np.asarray(training).reshape(-1)[0]):
            imp.fail(node, "training_mode must be a constant false: only inference is supported")
    shape = imp.defined_shape(node, node.input[0])
    if len(node.output) > 1 and node.output[1]:
        imp.consts[node.output[1]] = np.ones(shape, np.bool_)
    imp.elems[node.output[0]] = imp.elem(node.input[0])
    return imp.materialize(node.input[0], node)
