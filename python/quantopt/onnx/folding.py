"""Constant folding at import. PyTorch exports compute shapes at run time
(`x.view(x.size(0), -1)` becomes Shape -> Gather -> Unsqueeze -> Concat ->
Reshape); with static input shapes all of that is known now. A node whose
inputs are all constants (Shape: whose input shape is known) and whose op is
in FOLDERS is evaluated here with NumPy, and its outputs become constants
that Reshape, Slice and the other handlers read as they read initializers.
Folded nodes emit no code.
"""
import numpy as np
import onnx

# ONNX element types Cast can fold to.
_CAST_TYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64,
               onnx.TensorProto.INT64: np.int64, onnx.TensorProto.INT32: np.int32,
               onnx.TensorProto.INT8: np.int8, onnx.TensorProto.UINT8: np.uint8,
               onnx.TensorProto.BOOL: np.bool_}


def _axes(imp, node, inputs, index, rank):
    axes = imp.attr_ints(node, "axes", None)
    if axes is None and len(inputs) > index and inputs[index] is not None:
        axes = [int(a) for a in np.reshape(inputs[index], -1)]
    return None if axes is None else [imp.axis(node, a, rank) for a in axes]


def _shape(imp, node, inputs):
    shape = imp.defined_shape(node, node.input[0])
    start = imp.attr_int(node, "start", 0)
    end = imp.attr_int(node, "end", len(shape))
    return [np.array(shape[slice(start, end)], np.int64)]


def _cast(imp, node, inputs):
    to = imp.attr_int(node, "to", None)
    if to not in _CAST_TYPES:
        imp.fail(node, f"cannot fold a Cast to element type {to}")
    return [inputs[0].astype(_CAST_TYPES[to])]


def _unsqueeze(imp, node, inputs):
    x = inputs[0]
    given = imp.attr_ints(node, "axes", None)
    if given is None and len(inputs) > 1 and inputs[1] is not None:
        given = [int(a) for a in np.reshape(inputs[1], -1)]
    out_rank = x.ndim + len(given or [])
    for a in sorted(imp.axis(node, a, out_rank) for a in given or []):
        x = np.expand_dims(x, a)
    return [x]


def _squeeze(imp, node, inputs):
    x = inputs[0]
    axes = _axes(imp, node, inputs, 1, x.ndim)
    return [np.squeeze(x, axis=tuple(axes)) if axes else np.squeeze(x)]


def _concat(imp, node, inputs):
    axis = imp.attr_int(node, "axis", 0)
    return [np.concatenate([np.atleast_1d(i) for i in inputs], axis=axis)]


def _gather(imp, node, inputs):
    data, indices = inputs
    axis = imp.axis(node, imp.attr_int(node, "axis", 0), data.ndim)
    indices = np.where(indices < 0, indices + data.shape[axis], indices)
    return [np.take(data, indices, axis=axis)]


def _binary(fn):
    def fold(imp, node, inputs):
        a, b = inputs
        if a.dtype.kind in "iu" and fn is np.divide:  # ONNX integer Div truncates
            return [np.trunc(a / b).astype(np.result_type(a, b))]
        return [fn(a, b).astype(np.result_type(a, b))]
    return fold


def reshape_target(imp, node, shape, target):
    """The output shape of Reshape(x of `shape`, `target`): 0 copies the
    input's dimension (unless allowzero), one -1 takes what is left."""
    allowzero = imp.attr_int(node, "allowzero", 0, 0, 1)
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
            imp.fail(node, f"shape {target} does not fit the {size} elements of {list(shape)}")
        target[target.index(-1)] = size // known
    if int(np.prod(target)) != size:
        imp.fail(node, f"shape {target} does not fit the {size} elements of {list(shape)}")
    return target


def _reshape(imp, node, inputs):
    return [inputs[0].reshape(reshape_target(imp, node, list(inputs[0].shape), inputs[1]))]


def _transpose(imp, node, inputs):
    perm = imp.attr_ints(node, "perm", list(reversed(range(inputs[0].ndim))))
    return [np.transpose(inputs[0], perm)]


def _constant_of_shape(imp, node, inputs):
    value = imp.attribute(node, "value", onnx.AttributeProto.TENSOR, "a tensor")
    fill = imp.tensor_value(value.t, "its value", node=node) if value is not None else np.zeros(1, np.float32)
    return [np.full([int(d) for d in np.reshape(inputs[0], -1)], fill.reshape(-1)[0], fill.dtype)]


def _slice(imp, node, inputs):
    data, starts, ends = inputs[:3]
    axes = inputs[3] if len(inputs) > 3 and inputs[3] is not None else np.arange(len(starts))
    steps = inputs[4] if len(inputs) > 4 and inputs[4] is not None else np.ones(len(starts), np.int64)
    index = [slice(None)] * data.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[imp.axis(node, int(a), data.ndim)] = slice(int(s), int(e), int(st))
    return [data[tuple(index)]]


FOLDERS = {"Shape": _shape, "Cast": _cast, "Unsqueeze": _unsqueeze, "Squeeze": _squeeze, "Concat": _concat,
           "Gather": _gather, "Add": _binary(np.add), "Sub": _binary(np.subtract), "Mul": _binary(np.multiply),
           "Div": _binary(np.divide), "ConstantOfShape": _constant_of_shape, "Slice": _slice,
           "Identity": lambda imp, node, inputs: [inputs[0]], "Reshape": _reshape, "Transpose": _transpose}
# Folders that only move data: always folded (the constant does not grow),
# so that a weight behind Identity or Transpose stays a constant.
_MOVES = {"Identity", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Cast"}


def try_fold(imp, node):
    """Folds `node` when it can be: its outputs become constants. Returns
    whether it did."""
    fold = FOLDERS.get(node.op_type)
    if fold is None or node.domain not in ("", "ai.onnx"):
        return False
    if node.op_type == "Shape":
        if not node.input or imp.shape_of(node.input[0]) is None:
            return False
        inputs = []
    else:
        if not node.input or any(name and imp.const_value(name) is None for name in node.input):
            return False
        # Concat of float data and the like stays a tensor op: fold integer
        # (shape) arithmetic, and anything all-constant but small.
        inputs = [imp.const_value(name) if name else None for name in node.input]
        if node.op_type not in _MOVES and all(i.dtype.kind == "f" for i in inputs if i is not None) and \
                sum(i.size for i in inputs if i is not None) > 1024:
            return False
    try:
        outputs = fold(imp, node, inputs)
    except (ValueError, IndexError, TypeError, ZeroDivisionError, FloatingPointError) as e:
        imp.fail(node, f"cannot evaluate on its constant inputs: {e}")
    for name, value in zip(node.output, outputs):
        if name:
            imp.consts[name] = np.asarray(value)
    return True
