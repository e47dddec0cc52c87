"""QDQ models of float ONNX models, and a NumPy reference of their semantics.

to_qdq(model, samples) writes the QDQ form of a float model the way ONNX
Runtime's quantize_static writes it (QuantFormat.QDQ, per_channel=True,
activations u8 asymmetric from min/max ranges, weights s8 symmetric in
[-127, 127]):
  - Conv, Gemm and MatMul with constant weights: the weights as int8 behind
    DequantizeLinear (per output channel), the bias as int32 at scale
    input_scale * weight_scale behind DequantizeLinear;
  - QuantizeLinear + DequantizeLinear on every activation those ops, Add,
    Mul, Concat and the poolings read or write (a max pool's output shares
    its input's parameters);
  - a Relu or Clip right after a quantized op (its only reader) removed, the
    op's output quantized with the activation's range (QDQRemovableActivation).

evaluate(model, inputs) evaluates a graph with NumPy. On a QDQ graph it
follows the QDQ semantics as ONNX Runtime executes its node units, with the
numerics contract's rounding (quantopt/reference.py):
  - DequantizeLinear -> Conv / Gemm / MatMul -> QuantizeLinear: exact integer
    sums of (x - x_zp) * w plus the int32 bias, one requantize by
    x_scale * w_scale / y_scale (QLinearConv, QLinearMatMul);
  - -> AveragePool / GlobalAveragePool / spatial ReduceMean ->: integer window
    sums of x - x_zp, one requantize by x_scale / (count * y_scale)
    (QLinearAveragePool, QLinearGlobalAveragePool);
  - -> Concat ->: each input requantized to the output's parameters
    (QLinearConcat);
  - moves (Reshape, Flatten, Transpose, Slice, Split, Pad with 0) and MaxPool
    carry the integers;
  - every other op in float32 between exact DequantizeLinear and
    QuantizeLinear (Add, Mul: QLinearAdd / QLinearMul's float definition).
"""
import itertools
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from quantopt import reference as ref  # noqa: E402

U8 = (0, 255)


class Unsupported(Exception):
    pass


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


# --- windows (convolution, pooling) -----------------------------------------

def _geometry(x_shape, kernel, a, ceil_mode=False):
    """(pads begin, pads end incl. ceil_mode's extra, explicit ends, strides,
    dilations, output sizes) of a window op on spatial dims."""
    rank = len(kernel)
    strides = a.get("strides", [1] * rank)
    dil = a.get("dilations", [1] * rank)
    pads = list(a.get("pads", [0] * 2 * rank))
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        for i in range(rank):
            out = -(-x_shape[i] // strides[i])
            total = max(0, (out - 1) * strides[i] + dil[i] * (kernel[i] - 1) + 1 - x_shape[i])
            lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
            pads[i], pads[i + rank] = lo, total - lo
    elif auto not in ("NOTSET", "VALID"):
        raise Unsupported(f"auto_pad {auto}")
    out, ends = [], []
    for i in range(rank):
        padded, extent = x_shape[i] + pads[i] + pads[i + rank], dil[i] * (kernel[i] - 1) + 1
        o = (padded - extent) // strides[i] + 1
        if ceil_mode:
            o = -(-(padded - extent) // strides[i]) + 1
            if (o - 1) * strides[i] >= x_shape[i] + pads[i]:
                o -= 1
        out.append(o)
        ends.append(pads[i + rank] + max(0, (o - 1) * strides[i] + extent - padded))
    return pads[:rank], ends, pads[rank:], strides, dil, out


def _windows(x, kernel, begins, ends, strides, dil, out, value):
    """x padded, then one strided view per kernel offset: [(offset, view)]."""
    rank = len(kernel)
    xp = np.pad(x, [(0, 0), (0, 0)] + list(zip(begins, ends)), constant_values=value)
    for offset in itertools.product(*(range(k) for k in kernel)):
        index = (slice(None), slice(None)) + tuple(
            slice(offset[i] * dil[i], offset[i] * dil[i] + (out[i] - 1) * strides[i] + 1, strides[i])
            for i in range(rank))
        yield offset, xp[index]


def conv(x, w, a):
    """ONNX Conv of x [N, C, *S] and w [F, C / group, *K], in x's dtype
    (int64: exact sums)."""
    group = a.get("group", 1)
    kernel = list(w.shape[2:])
    begins, ends, _, strides, dil, out = _geometry(x.shape[2:], kernel, a)
    n, c = x.shape[:2]
    f = w.shape[0]
    wg = w.reshape(group, f // group, c // group, *kernel)
    acc = np.zeros((n, group, f // group) + tuple(out), dtype=x.dtype)
    for offset, view in _windows(x, kernel, begins, ends, strides, dil, out, 0):
        v = view.reshape(n, group, c // group, *out)
        acc += np.einsum("ngc...,gfc->ngf...", v, wg[(slice(None),) * 3 + offset])
    return acc.reshape(n, f, *out)


def pool(x, a, kind, pad_value=0):
    """Max or sum pooling; for "avg" also the window counts."""
    kernel = a["kernel_shape"]
    begins, ends, explicit, strides, dil, out = _geometry(x.shape[2:], kernel, a, a.get("ceil_mode", 0))
    views = [v for _, v in _windows(x, kernel, begins, ends, strides, dil, out, pad_value)]
    if kind == "max":
        return np.max(np.stack(views), axis=0)
    total = np.sum(np.stack(views), axis=0)
    include = a.get("count_include_pad", 0)
    mask = np.ones((1, 1) + x.shape[2:], np.int64)
    if include:  # explicit padding counts, ceil_mode's extra does not
        mask = np.pad(mask, [(0, 0), (0, 0)] + list(zip(begins, explicit)), constant_values=1)
        begins_m, ends_m = [0] * len(kernel), [e - p for e, p in zip(ends, explicit)]
    else:
        begins_m, ends_m = begins, ends
    counts = np.sum(np.stack([v for _, v in _windows(mask, kernel, begins_m, ends_m, strides, [1] * len(kernel),
                                                     out, 0)]), axis=0)
    return total, counts


# --- the evaluator --------------------------------------------------------------

class Evaluator:
    """Evaluates an ONNX graph on NumPy arrays; in a QDQ graph each value
    also carries its integers where it is exactly a dequantized tensor."""

    def __init__(self, model):
        self.model = model
        self.consts = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}

    def run(self, inputs):
        self.v = dict(self.consts)  # name -> float (or integer) array
        self.q = {}  # name -> (integers, scale, zero point, axis)
        self.acc = {}  # name -> (i64 sums, scale per channel or scalar, axis)
        self.parts = {}  # name -> ([(ints, scale, zp)], axis) of a concat
        self.v.update(inputs)
        for node in self.model.graph.node:
            handler = getattr(self, "op_" + node.op_type, None)
            if handler is None:
                raise Unsupported(f"no NumPy reference for {node.op_type} ({node.name})")
            outs = handler(node, [self.v.get(i) if i else None for i in node.input], _attrs(node))
            if not isinstance(outs, tuple):
                outs = (outs,)
            for name, value in zip(node.output, outs):
                self.v[name] = value
        return self.v

    # QDQ
    def op_QuantizeLinear(self, node, i, a):
        x, s, z = node.input[0], i[1], i[2] if len(i) > 2 and i[2] is not None else np.uint8(0)
        lo, hi = ref.storage_range(8, z.dtype == np.int8)
        if x in self.acc:
            sums, scale, axis = self.acc[x]
            ints = ref.requantize(sums, scale, 0, s, z, lo, hi, axis)
        elif x in self.parts:
            parts, axis = self.parts[x]
            ints = np.concatenate([ref.requantize(p, ps, pz, s, z, lo, hi) for p, ps, pz in parts], axis=axis)
        else:
            ints = ref.quantize(i[0], s, z, lo, hi, a.get("axis") if s.ndim else None)
        return ints.astype(z.dtype)

    def op_DequantizeLinear(self, node, i, a):
        ints, s = i[0], i[1]
        z = i[2] if len(i) > 2 and i[2] is not None else np.zeros((), ints.dtype)
        axis = a.get("axis", 1) if s.ndim else None
        self.q[node.output[0]] = (ints.astype(np.int64), s, z, axis)
        return ref.dequantize(ints, s, z, axis)

    def _integer_input(self, name):
        """(x - zp) as i64 and x's scale, for a per-tensor quantized x."""
        ints, s, z, axis = self.q[name]
        if axis is not None:
            raise Unsupported(f"per-axis activation {name}")
        return ints - np.int64(z), np.float64(s)

    def _unit(self, node, i, compute, weight_axis):
        """An integer unit when its activation and weights are dequantized
        values and its only reader is a QuantizeLinear, else None."""
        x, w = node.input[0], node.input[1]
        if x not in self.q or w not in self.q:
            return None
        readers = [n for n in self.model.graph.node if node.output[0] in n.input]
        if len(readers) != 1 or readers[0].op_type != "QuantizeLinear":
            raise Unsupported(f"{node.name}: a dequantized input but no QuantizeLinear after it")
        xi, xs = self._integer_input(x)
        wi, ws, wz, _ = self.q[w]
        sums = compute(xi, wi - np.asarray(wz, np.int64).reshape(
            [-1 if d == weight_axis else 1 for d in range(wi.ndim)]))
        channel = 1 if node.op_type == "Conv" else sums.ndim - 1  # of the result
        view = [-1 if d == channel else 1 for d in range(sums.ndim)]
        bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
        if bias:
            if bias not in self.q:
                raise Unsupported(f"{node.name}: a float bias")
            sums = sums + self.q[bias][0].reshape(view)
        scale = xs * np.asarray(ws, np.float64)
        self.acc[node.output[0]] = (sums, scale, channel if scale.ndim else None)
        return (sums * (scale.reshape(view) if scale.ndim else scale)).astype(np.float32)

    def op_Conv(self, node, i, a):
        r = self._unit(node, i, lambda x, w: conv(x, w, a), 0)
        if r is not None:
            return r
        y = conv(i[0].astype(np.float64), i[1].astype(np.float64), a)
        if len(i) > 2 and i[2] is not None:
            y = y + i[2].reshape([1, -1] + [1] * (y.ndim - 2))
        return y.astype(np.float32)

    def op_Gemm(self, node, i, a):
        if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
            raise Unsupported("Gemm with alpha, beta or transA")
        trans_b = a.get("transB", 0)
        r = self._unit(node, i, lambda x, w: x @ (w.T if trans_b else w), 0 if trans_b else 1)
        if r is not None:
            return r
        y = i[0].astype(np.float64) @ (i[1].T if trans_b else i[1]).astype(np.float64)
        return (y + i[2] if len(i) > 2 and i[2] is not None else y).astype(np.float32)

    def op_MatMul(self, node, i, a):
        r = self._unit(node, i, lambda x, w: x @ w, 1) if node.input[1] in self.consts or \
            node.input[1] in self.q else None
        if r is not None:
            return r
        return (i[0].astype(np.float64) @ i[1].astype(np.float64)).astype(np.float32)

    # poolings
    def _average(self, node, x, sums, counts):
        if node.input[0] in self.q:
            if np.any(counts != counts.flat[0]):
                raise Unsupported(f"{node.name}: windows of different sizes")
            _, s, _, _ = self.q[node.input[0]]
            self.acc[node.output[0]] = (sums, np.float64(s) / float(counts.flat[0]), None)
        return (sums.astype(np.float64) / counts).astype(np.float32)

    def _pool_input(self, node, x):
        """x - zp on integers when x is quantized, else x in f64."""
        if node.input[0] in self.q:
            return self._integer_input(node.input[0])[0]
        return x.astype(np.float64)

    def op_AveragePool(self, node, i, a):
        sums, counts = pool(self._pool_input(node, i[0]), a, "avg")
        return self._average(node, i[0], sums, counts)

    def op_GlobalAveragePool(self, node, i, a):
        x = self._pool_input(node, i[0])
        axes = tuple(range(2, x.ndim))
        sums = x.sum(axis=axes, keepdims=True)
        return self._average(node, i[0], sums, np.full(sums.shape, np.prod(x.shape[2:])))

    def op_ReduceMean(self, node, i, a):
        axes = sorted(d % i[0].ndim for d in a.get("axes", range(i[0].ndim)))
        keep = a.get("keepdims", 1)
        if node.input[0] in self.q and i[0].ndim in (4, 5) and axes == list(range(2, i[0].ndim)):
            r = self.op_GlobalAveragePool(node, i, {})
            if not keep:
                sums, s, axis = self.acc[node.output[0]]
                self.acc[node.output[0]] = (sums.reshape(sums.shape[:2]), s, axis)
                r = r.reshape(r.shape[:2])
            return r
        return i[0].astype(np.float64).mean(axis=tuple(axes), keepdims=bool(keep)).astype(np.float32)

    def op_MaxPool(self, node, i, a):
        if len(node.output) > 1 and node.output[1]:
            raise Unsupported("MaxPool indices")
        y = pool(i[0], a, "max", -np.inf).astype(np.float32)
        if node.input[0] in self.q:
            ints, s, z, axis = self.q[node.input[0]]
            self.q[node.output[0]] = (pool(ints, a, "max", np.iinfo(np.int64).min), s, z, axis)
        return y

    # moves: the integers go along
    def _move(self, node, i, fn):
        y = fn(i[0])
        if node.input[0] in self.q:
            ints, s, z, axis = self.q[node.input[0]]
            if axis is None:
                self.q[node.output[0]] = (fn(ints), s, z, None)
        return y

    def op_Identity(self, node, i, a):
        return self._move(node, i, lambda x: x)

    def op_Flatten(self, node, i, a):
        axis = a.get("axis", 1) % max(i[0].ndim, 1)
        return self._move(node, i, lambda x: x.reshape(int(np.prod(x.shape[:axis])), -1))

    def op_Reshape(self, node, i, a):
        shape = [int(d) for d in i[1]]
        shape = [i[0].shape[k] if d == 0 and not a.get("allowzero", 0) else d for k, d in enumerate(shape)]
        return self._move(node, i, lambda x: x.reshape(shape))

    def op_Transpose(self, node, i, a):
        perm = a.get("perm", list(reversed(range(i[0].ndim))))
        return self._move(node, i, lambda x: np.transpose(x, perm))

    def op_Squeeze(self, node, i, a):
        axes = a.get("axes", None if len(i) < 2 or i[1] is None else [int(d) for d in i[1]])
        return self._move(node, i, lambda x: np.squeeze(x, tuple(axes)) if axes is not None else np.squeeze(x))

    def op_Unsqueeze(self, node, i, a):
        axes = a.get("axes", None if len(i) < 2 else [int(d) for d in i[1]])
        return self._move(node, i, lambda x: np.expand_dims(x, tuple(axes)))

    def op_Slice(self, node, i, a):
        starts, ends = [int(d) for d in i[1]], [int(d) for d in i[2]]
        axes = [int(d) for d in i[3]] if len(i) > 3 and i[3] is not None else list(range(len(starts)))
        steps = [int(d) for d in i[4]] if len(i) > 4 and i[4] is not None else [1] * len(starts)
        index = [slice(None)] * i[0].ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            index[ax] = slice(s, e, st)
        return self._move(node, i, lambda x: x[tuple(index)])

    def op_Split(self, node, i, a):
        axis = a.get("axis", 0) % i[0].ndim
        sizes = a.get("split", None if len(i) < 2 or i[1] is None else [int(d) for d in i[1]])
        if sizes is None:
            sizes = [i[0].shape[axis] // len(node.output)] * len(node.output)
        bounds = np.cumsum([0] + list(sizes))
        outs = []
        for k, name in enumerate(node.output):
            index = [slice(None)] * i[0].ndim
            index[axis] = slice(bounds[k], bounds[k + 1])
            outs.append(i[0][tuple(index)])
            if node.input[0] in self.q:
                ints, s, z, ax = self.q[node.input[0]]
                self.q[name] = (ints[tuple(index)], s, z, ax)
        return tuple(outs)

    def op_Pad(self, node, i, a):
        mode = a.get("mode", b"constant")
        pads = [int(d) for d in i[1]]
        value = float(i[2]) if len(i) > 2 and i[2] is not None else 0.0
        if mode not in (b"constant", "constant") or any(p < 0 for p in pads) or value != 0.0:
            raise Unsupported("Pad other than with zeros")
        r = len(pads) // 2
        widths = list(zip(pads[:r], pads[r:]))
        y = np.pad(i[0], widths)
        if node.input[0] in self.q:
            ints, s, z, axis = self.q[node.input[0]]
            self.q[node.output[0]] = (np.pad(ints, widths, constant_values=int(z)), s, z, axis)
        return y

    def op_Concat(self, node, i, a):
        axis = a["axis"] % i[0].ndim
        if all(n in self.q for n in node.input):
            self.parts[node.output[0]] = ([self.q[n][:3] for n in node.input], axis)
        return np.concatenate(i, axis=axis)

    # float arithmetic, f32 as the importer emits it
    def op_Relu(self, node, i, a):
        return np.maximum(i[0], np.float32(0))

    def op_Clip(self, node, i, a):
        lo = i[1] if len(i) > 1 and i[1] is not None else a.get("min", -np.inf)
        hi = i[2] if len(i) > 2 and i[2] is not None else a.get("max", np.inf)
        return np.minimum(np.maximum(i[0], np.float32(lo)), np.float32(hi))

    @staticmethod
    def _arith(x, y, fn, integer_fn=None):
        """f32 arithmetic, or integer arithmetic on integers (shapes)."""
        if x.dtype.kind in "iu" and y.dtype.kind in "iu":
            return (integer_fn or fn)(x, y).astype(np.result_type(x, y))
        return fn(x, y).astype(np.float32)

    def op_Add(self, node, i, a):
        return self._arith(i[0], i[1], np.add)

    def op_Sub(self, node, i, a):
        return self._arith(i[0], i[1], np.subtract)

    def op_Mul(self, node, i, a):
        return self._arith(i[0], i[1], np.multiply)

    def op_Div(self, node, i, a):  # integers: truncated, as ONNX divides them
        return self._arith(i[0], i[1], np.divide, lambda x, y: np.trunc(x / y))

    def op_HardSigmoid(self, node, i, a):
        ax = i[0] * np.float32(a.get("alpha", 0.2))
        return np.minimum(np.maximum(ax + np.float32(a.get("beta", 0.5)), np.float32(0)), np.float32(1))

    def op_Pow(self, node, i, a):
        return np.power(i[0], i[1]).astype(np.float32)

    def op_Sqrt(self, node, i, a):
        return np.sqrt(i[0]).astype(np.float32)

    def op_Erf(self, node, i, a):
        import math
        return np.vectorize(math.erf)(i[0].astype(np.float64)).astype(np.float32)

    def op_Softmax(self, node, i, a):
        axis = a.get("axis", -1)
        x = i[0].astype(np.float64)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)

    def op_Constant(self, node, i, a):
        return numpy_helper.to_array(node.attribute[0].t)

    def op_Shape(self, node, i, a):
        return np.array(i[0].shape, np.int64)

    def op_Gather(self, node, i, a):
        return np.take(i[0], i[1], axis=a.get("axis", 0))


def evaluate(model, inputs):
    """The graph outputs of `model` on `inputs` ({name: array})."""
    values = Evaluator(model).run(inputs)
    return [values[o.name] for o in model.graph.output]


# --- the QDQ writer ---------------------------------------------------------------

COMPUTE = {"Conv", "Gemm", "MatMul"}
QUANTIZED = COMPUTE | {"Add", "Mul", "Concat", "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean"}


def _u8_params(lo, hi):
    """ONNX Runtime's compute_scale_zp for u8 (the range widened to 0)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    return scale, np.uint8(np.clip(np.rint(-lo / float(scale)), 0, 255))


def _identities_of_constants_folded(model):
    """A copy of `model` where Identity nodes of initializers (PyTorch's
    shared weights) are initializers themselves."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    consts = {i.name: i for i in graph.initializer}
    for n in list(graph.node):
        if n.op_type == "Identity" and n.input[0] in consts and n.output[0] not in [o.name for o in graph.output]:
            t = onnx.TensorProto()
            t.CopyFrom(consts[n.input[0]])
            t.name = n.output[0]
            graph.initializer.append(t)
            consts[t.name] = t
            graph.node.remove(n)
    return model


def to_qdq(model, samples):
    """The QDQ model of float `model` calibrated (min/max) on `samples`, a
    list of {input name: array}; returns (model, quantized node count)."""
    model = _identities_of_constants_folded(model)
    graph = model.graph
    consts = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    ranges = {}
    for sample in samples:
        for name, value in Evaluator(model).run(sample).items():
            if name in consts or not isinstance(value, np.ndarray) or value.dtype != np.float32:
                continue
            lo, hi = ranges.get(name, (np.inf, -np.inf))
            ranges[name] = (min(lo, float(value.min())), max(hi, float(value.max())))
    nodes = list(graph.node)
    readers = lambda t: [n for n in nodes if t in n.input]  # noqa: E731

    def quantized(n):
        if n.op_type in COMPUTE:
            return n.input[1] in consts
        if n.op_type in ("Add", "Mul"):
            return not any(x in consts for x in n.input) and all(x in ranges for x in n.input)
        if n.op_type == "ReduceMean":
            axes = sorted(d % 4 for d in _attrs(n).get("axes", []))
            return axes == [2, 3]
        return n.op_type in QUANTIZED

    # Relu / Clip after a quantized op: folded into its output quantization.
    for n in list(nodes):
        if n.op_type in ("Relu", "Clip"):
            producer = next((p for p in nodes if n.input[0] in p.output), None)
            if producer is not None and producer.op_type in COMPUTE | {"Add"} and quantized(producer) and \
                    len(readers(n.input[0])) == 1:
                producer.output[0] = n.output[0]
                nodes.remove(n)
    units = [n for n in nodes if quantized(n)]
    activations = []
    for n in units:
        for t in list(n.input[:1] if n.op_type in COMPUTE else n.input) + [n.output[0]]:
            if t and t not in consts and t not in activations:
                activations.append(t)
    params, shared = {}, {}
    for n in units:  # a max pool's output keeps its input's parameters
        if n.op_type == "MaxPool":
            shared[n.output[0]] = n.input[0]
    for t in activations:
        source = t
        while source in shared:
            source = shared[source]
        params[t] = _u8_params(*ranges[source])
    inits = [i for i in graph.initializer]
    new_nodes, graph_inputs = [], {i.name for i in graph.input}

    def add_init(name, value):
        inits.append(numpy_helper.from_array(value, name))

    # Weights and biases.
    dropped = set()
    for n in units:
        if n.op_type not in COMPUTE:
            continue
        a = _attrs(n)
        w = consts[n.input[1]]
        axis = 0 if n.op_type == "Conv" or (n.op_type == "Gemm" and a.get("transB", 0)) else 1
        amax = np.abs(w).max(axis=tuple(d for d in range(w.ndim) if d != axis))
        ws = np.where(amax > 0, amax / 127, 1).astype(np.float32)
        view = [-1 if d == axis else 1 for d in range(w.ndim)]
        wq = np.clip(np.rint(w / ws.reshape(view)), -127, 127).astype(np.int8)
        base = n.name or n.output[0]
        wname = f"{base}.weight_dq"
        add_init(f"{base}.weight_q", wq)
        add_init(f"{base}.weight_scale", ws)
        add_init(f"{base}.weight_zp", np.zeros(ws.shape, np.int8))
        new_nodes.append(helper.make_node("DequantizeLinear", [f"{base}.weight_q", f"{base}.weight_scale",
                                                               f"{base}.weight_zp"], [wname], axis=axis,
                                          name=f"{base}.weight.dq"))
        dropped.add(n.input[1])
        n.input[1] = wname
        if len(n.input) > 2 and n.input[2]:
            b = consts[n.input[2]]
            bs = (params[n.input[0]][0] * ws).astype(np.float32)
            add_init(f"{base}.bias_q", np.rint(b / bs).astype(np.int32))
            add_init(f"{base}.bias_scale", bs)
            new_nodes.append(helper.make_node("DequantizeLinear", [f"{base}.bias_q", f"{base}.bias_scale"],
                                              [f"{base}.bias_dq"], axis=0, name=f"{base}.bias.dq"))
            dropped.add(n.input[2])
            n.input[2] = f"{base}.bias_dq"

    def qdq(t, source, target):
        s, z = params[t]
        add_init(f"{t}.scale", np.array(s, np.float32))
        add_init(f"{t}.zp", np.array(z, np.uint8))
        return [helper.make_node("QuantizeLinear", [source, f"{t}.scale", f"{t}.zp"], [f"{t}.q"], name=f"{t}.Q"),
                helper.make_node("DequantizeLinear", [f"{t}.q", f"{t}.scale", f"{t}.zp"], [target], name=f"{t}.DQ")]

    # Graph inputs: Q/DQ first, their readers renamed; other activations:
    # the producer writes t.f, Q/DQ gives t back.
    for t in activations:
        if t in graph_inputs:
            new_nodes += qdq(t, t, f"{t}.dq")
            for n in nodes:
                for k, x in enumerate(n.input):
                    if x == t:
                        n.input[k] = f"{t}.dq"
    for n in nodes:
        after = []
        for k, t in enumerate(n.output):
            if t in params and t not in graph_inputs:
                n.output[k] = f"{t}.f"
                after += qdq(t, f"{t}.f", t)
        new_nodes += [n] + after
    inits = [i for i in inits if i.name not in dropped or any(i.name in n.input for n in new_nodes)]
    out = helper.make_graph(new_nodes, graph.name + "_qdq", graph.input, graph.output, inits)
    qmodel = helper.make_model(out, opset_imports=model.opset_import)
    qmodel.ir_version = model.ir_version
    onnx.checker.check_model(qmodel)
    return qmodel, sum(n.op_type in COMPUTE for n in units)
