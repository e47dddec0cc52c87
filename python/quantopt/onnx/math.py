"""Elementwise and reduction ONNX operators on f32 tensors: Add, Sub, Mul,
Div, Pow, PRelu, Max, Min (NumPy broadcasting), Relu, LeakyRelu, Elu, Selu,
HardSigmoid, HardSwish, Softplus, Softsign, Sigmoid, Tanh, Clip, Sqrt, Erf,
Neg, Abs, Exp, Log, Reciprocal, Floor, Ceil, Round (half to even), Sin, Cos, Sum,
Mean; ReduceMean, ReduceSum,
ReduceSumSquare, ReduceMax, ReduceMin, ReduceProd. Each elementwise op is one
linalg.generic.
"""
import numpy as np

from .core import _f32, _unit_groups
from .registry import register
from .nn import spatial_mean
from .tensor import reshape_value


def _broadcast_pair(imp, node, legacy_attrs=True):
    """The two inputs of a binary op and their broadcast shape, checked.
    Before opset 7, B broadcasts only with broadcast=1, aligned at `axis`
    (default: its trailing dimensions) rather than by NumPy's rules."""
    legacy = legacy_attrs and imp.opset() < 7
    imp.check_attrs(node, {"broadcast", "axis"} if legacy else set())
    imp.inputs(node, 2)
    a = imp.materialize(node.input[0], node)
    b = imp.materialize(node.input[1], node)
    if legacy:
        if not imp.attr_int(node, "broadcast", 0, 0, 1):
            if a[1] != b[1]:
                imp.fail(node, f"shapes {a[1]} and {b[1]} differ and broadcast is 0")
            return a, b, list(a[1])
        axis = imp.attr_int(node, "axis", len(a[1]) - len(b[1]))
        axis = axis + len(a[1]) if axis < 0 else axis
        if axis < 0 or axis + len(b[1]) > len(a[1]) or \
                any(d != 1 and d != a[1][axis + i] for i, d in enumerate(b[1])):
            imp.fail(node, f"B of shape {b[1]} does not broadcast into {a[1]} at axis {axis}")
        aligned = list(b[1]) + [1] * (len(a[1]) - axis - len(b[1]))
        b = (reshape_value(imp, b[0], b[1], aligned, "f32", None), aligned)
    try:
        shape = list(np.broadcast_shapes(tuple(a[1]), tuple(b[1])))
    except ValueError:
        imp.fail(node, f"shapes {a[1]} and {b[1]} do not broadcast")
    return a, b, shape


def binary(imp, node, op):
    a, b, shape = _broadcast_pair(imp, node)
    op = op if "." in op else f"arith.{op}"
    return imp.elementwise(node, [a, b], [f"%s = {op} %a0, %a1 : f32", "linalg.yield %s : f32"], shape), shape


@register("Add", float_only=True)
def add(imp, node):
    return binary(imp, node, "addf")


@register("Sub", float_only=True)
def sub(imp, node):
    return binary(imp, node, "subf")


@register("Mul", float_only=True)
def mul(imp, node):
    return binary(imp, node, "mulf")


@register("Div", float_only=True)
def div(imp, node):
    return binary(imp, node, "divf")


# Names in generic bodies must not look like Importer.fresh() names (a hint
# then digits) or they clash with the function's values.
def unary(imp, node, body):
    x = imp.materialize(node.input[0], node)
    return imp.elementwise(node, [x], body + ["linalg.yield %y : f32"], x[1]), x[1]


def _unary_op(imp, node, inputs=1):
    imp.check_attrs(node, set())
    imp.inputs(node, 1, inputs - 1)


def variadic(imp, node, op):
    """Max / Min of one or more inputs, broadcast together."""
    imp.check_attrs(node, set())
    if not node.input:
        imp.fail(node, "needs at least one input")
    values = [imp.materialize(name, node) for name in node.input]
    try:
        shape = list(np.broadcast_shapes(*(tuple(v[1]) for v in values)))
    except ValueError:
        imp.fail(node, f"shapes {[v[1] for v in values]} do not broadcast")
    body, cur = [], "%a0"
    for i in range(1, len(values)):
        body.append(f"%acc_{i} = arith.{op} {cur}, %a{i} : f32")
        cur = f"%acc_{i}"
    body.append(f"linalg.yield {cur} : f32")
    return imp.elementwise(node, values, body, shape), shape


@register("Max", float_only=True)
def maximum(imp, node):
    return variadic(imp, node, "maximumf")


@register("Min", float_only=True)
def minimum(imp, node):
    return variadic(imp, node, "minimumf")


@register("PRelu", float_only=True)
def prelu(imp, node):
    """x < 0 ? slope * x : x, the slope broadcast (per channel, usually).
    A 1-D slope of one value per channel that NumPy would not broadcast
    (PyTorch's PReLU(num_parameters=C) in early exports) is per channel."""
    x_shape, slope_shape = imp.shape_of(node.input[0]), imp.shape_of(node.input[1])
    if x_shape and slope_shape and len(x_shape) > 2 and len(slope_shape) == 1 and \
            slope_shape[0] == x_shape[1] != x_shape[-1] and node.input[1] in imp.consts:
        imp.consts[node.input[1]] = imp.consts[node.input[1]].reshape([-1] + [1] * (len(x_shape) - 2))
    a, b, shape = _broadcast_pair(imp, node, legacy_attrs=False)
    if shape != list(a[1]):
        imp.fail(node, f"the slope {b[1]} broadcasts beyond the input {a[1]}")
    body = ["%m = arith.mulf %a0, %a1 : f32", "%neg = arith.cmpf olt, %a0, %zero : f32",
            "%s = arith.select %neg, %m, %a0 : f32", "linalg.yield %s : f32"]
    return imp.elementwise(node, [a, b], body, shape), shape


def _with_attrs(imp, node, names):
    """check_attrs + one input, and the float attributes' values."""
    imp.check_attrs(node, set(names))
    imp.inputs(node, 1)
    return [imp.attr_float(node, n, d) for n, d in names.items()]


def _const(name, value):
    return f"%{name} = arith.constant {_f32(value, 'e')} : f32"


@register("LeakyRelu", float_only=True)
def leaky_relu(imp, node):
    (alpha,) = _with_attrs(imp, node, {"alpha": 0.01})
    return unary(imp, node, [_const("alpha", alpha), "%m = arith.mulf %a0, %alpha : f32",
                             "%neg = arith.cmpf olt, %a0, %zero : f32", "%y = arith.select %neg, %m, %a0 : f32"])


def _expm1_body(alpha_name):
    """alpha * (exp(x) - 1) as %em."""
    return ["%e = math.exp %a0 : f32", "%one = arith.constant 1.0 : f32", "%em_1 = arith.subf %e, %one : f32",
            f"%em = arith.mulf %em_1, {alpha_name} : f32"]


@register("Elu", float_only=True)
def elu(imp, node):
    (alpha,) = _with_attrs(imp, node, {"alpha": 1.0})
    return unary(imp, node, [_const("alpha", alpha)] + _expm1_body("%alpha") +
                 ["%neg = arith.cmpf olt, %a0, %zero : f32", "%y = arith.select %neg, %em, %a0 : f32"])


@register("Selu", float_only=True)
def selu(imp, node):
    alpha, gamma = _with_attrs(imp, node, {"alpha": 1.67326319217681884765625,
                                           "gamma": 1.05070102214813232421875})
    return unary(imp, node, [_const("alpha", alpha), _const("gamma", gamma)] + _expm1_body("%alpha") +
                 ["%neg = arith.cmpf ole, %a0, %zero : f32", "%s = arith.select %neg, %em, %a0 : f32",
                  "%y = arith.mulf %s, %gamma : f32"])


def _hard_sigmoid_body(alpha, beta, x="%a0"):
    """max(0, min(1, alpha * x + beta)) as %hs."""
    return [_const("alpha", alpha), _const("beta", beta), "%one = arith.constant 1.0 : f32",
            f"%ax = arith.mulf {x}, %alpha : f32", "%axb = arith.addf %ax, %beta : f32",
            "%lo = arith.maximumf %axb, %zero : f32", "%hs = arith.minimumf %lo, %one : f32"]


@register("HardSigmoid", float_only=True)
def hard_sigmoid(imp, node):
    alpha, beta = _with_attrs(imp, node, {"alpha": 0.2, "beta": 0.5})
    return unary(imp, node, _hard_sigmoid_body(alpha, beta) + ["%y = arith.addf %hs, %zero : f32"])


@register("HardSwish", float_only=True)
def hard_swish(imp, node):
    _with_attrs(imp, node, {})
    return unary(imp, node, _hard_sigmoid_body(1.0 / 6, 0.5) + ["%y = arith.mulf %a0, %hs : f32"])


@register("Softplus", float_only=True)
def softplus(imp, node):
    """log(1 + exp(x)), as max(x, 0) + log(1 + exp(-|x|)) so large x do not
    overflow."""
    _with_attrs(imp, node, {})
    return unary(imp, node, ["%ab = math.absf %a0 : f32", "%na = arith.negf %ab : f32", "%e = math.exp %na : f32",
                             "%one = arith.constant 1.0 : f32", "%p = arith.addf %one, %e : f32",
                             "%l = math.log %p : f32", "%m = arith.maximumf %a0, %zero : f32",
                             "%y = arith.addf %m, %l : f32"])


@register("Softsign", float_only=True)
def softsign(imp, node):
    _with_attrs(imp, node, {})
    return unary(imp, node, ["%ab = math.absf %a0 : f32", "%one = arith.constant 1.0 : f32",
                             "%d = arith.addf %one, %ab : f32", "%y = arith.divf %a0, %d : f32"])


def _simple_unary(op_type, line):
    @register(op_type, float_only=True)
    def handler(imp, node):
        _unary_op(imp, node)
        return unary(imp, node, [line])
    return handler


for _op_type, _line in (("Neg", "%y = arith.negf %a0 : f32"), ("Abs", "%y = math.absf %a0 : f32"),
                        ("Exp", "%y = math.exp %a0 : f32"), ("Log", "%y = math.log %a0 : f32"),
                        ("Floor", "%y = math.floor %a0 : f32"), ("Ceil", "%y = math.ceil %a0 : f32"),
                        ("Round", "%y = math.roundeven %a0 : f32"), ("Sin", "%y = math.sin %a0 : f32"),
                        ("Cos", "%y = math.cos %a0 : f32")):
    _simple_unary(_op_type, _line)


@register("Reciprocal", float_only=True)
def reciprocal(imp, node):
    _unary_op(imp, node)
    return unary(imp, node, ["%one = arith.constant 1.0 : f32", "%y = arith.divf %one, %a0 : f32"])


@register("Relu", float_only=True)
def relu(imp, node):
    _unary_op(imp, node)
    return unary(imp, node, ["%y = arith.maximumf %a0, %zero : f32"])


@register("Sigmoid", float_only=True)
def sigmoid(imp, node):
    _unary_op(imp, node)
    return unary(imp, node, ["%n = arith.negf %a0 : f32", "%e = math.exp %n : f32",
                             "%one = arith.constant 1.0 : f32", "%d = arith.addf %one, %e : f32",
                             "%y = arith.divf %one, %d : f32"])


@register("Tanh", float_only=True)
def tanh(imp, node):
    _unary_op(imp, node)
    return unary(imp, node, ["%y = math.tanh %a0 : f32"])


@register("Clip", float_only=True)
def clip(imp, node):
    legacy = imp.opset() < 11  # bounds as attributes
    imp.check_attrs(node, {"min", "max"} if legacy else set())
    imp.inputs(node, 1, 0 if legacy else 2)
    bounds = []
    for index, what in ((1, "min"), (2, "max")):
        name = imp.optional_input(node, index)
        value = imp.constant(node, name, f"{what} ('{name}')", numeric="iuf") if name else None
        if legacy and imp.attr_float(node, what, None) is not None:
            value = np.array(imp.attr_float(node, what, None), np.float32)
        if value is not None and value.size != 1:
            imp.fail(node, f"{what} must be a scalar, not of shape {list(value.shape)}")
        if value is not None and np.isnan(float(value.reshape(-1)[0])):
            imp.fail(node, f"{what} must not be NaN")
        bounds.append(None if value is None else float(value.reshape(-1)[0]))
    lo, hi = bounds
    body = []
    cur = "%a0"
    if lo is not None:
        body += [f"%lo = arith.constant {_f32(lo, 'e')} : f32", f"%c1 = arith.maximumf {cur}, %lo : f32"]
        cur = "%c1"
    if hi is not None:
        body += [f"%hi = arith.constant {_f32(hi, 'e')} : f32", f"%c2 = arith.minimumf {cur}, %hi : f32"]
        cur = "%c2"
    body.append(f"%y = arith.addf {cur}, %zero : f32")
    return unary(imp, node, body)


@register("Pow", float_only=True)
def power(imp, node):
    imp.check_attrs(node, set())
    imp.inputs(node, 2)
    e = imp.const_value(node.input[1])
    if e is not None and e.size == 1:
        e = float(e.reshape(-1)[0])
        if e == 2.0:  # exact, as NumPy squares
            return unary(imp, node, ["%y = arith.mulf %a0, %a0 : f32"])
        return unary(imp, node, [f"%p = arith.constant {_f32(e)} : f32", "%y = math.powf %a0, %p : f32"])
    if e is not None and e.dtype.kind != "f":
        imp.consts[node.input[1]] = e.astype(np.float32)
    return binary(imp, node, "math.powf")


@register("Sqrt", float_only=True)
def sqrt(imp, node):
    _unary_op(imp, node)
    return unary(imp, node, ["%y = math.sqrt %a0 : f32"])


# erf(x) ~ x * P(x^2) / Q(x^2) on [-4, 4] (Eigen's and XLA's f32
# approximation, within 5e-7 of erf): math.erf has no lowering to LLVM.
ERF_P = [-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
         -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02]
ERF_Q = [-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
         -1.42647390514189e-02]


@register("Erf", float_only=True)
def erf(imp, node):
    _unary_op(imp, node)
    body = ["%lo = arith.constant -4.0 : f32", "%hi = arith.constant 4.0 : f32",
            "%xl = arith.maximumf %a0, %lo : f32", "%x = arith.minimumf %xl, %hi : f32",
            "%xx = arith.mulf %x, %x : f32"]
    for name, coeffs in (("p", ERF_P), ("q", ERF_Q)):
        acc = f"%{name}_c0"
        body.append(f"{acc} = arith.constant {float(np.float32(coeffs[0]))!r} : f32")
        for i, c in enumerate(coeffs[1:], 1):
            body += [f"%{name}_m{i} = arith.mulf {acc}, %xx : f32",
                     f"%{name}_c{i} = arith.constant {float(np.float32(c))!r} : f32",
                     f"%{name}_s{i} = arith.addf %{name}_m{i}, %{name}_c{i} : f32"]
            acc = f"%{name}_s{i}"
        body.append(f"%{name} = arith.addf {acc}, %zero : f32")
    body += ["%xp = arith.mulf %x, %p : f32", "%y = arith.divf %xp, %q : f32"]
    return unary(imp, node, body)


def axes_of(imp, node, rank, input_index):
    """Reduction axes from the 'axes' attribute or (opset 18) input,
    normalized and sorted; None when absent."""
    axes = imp.attr_ints(node, "axes", None)
    name = imp.optional_input(node, input_index)
    if axes is None and name:
        axes = imp.const_value(name)
        if axes is None:
            imp.fail(node, "the axes must be a constant")
        if axes.dtype.kind not in "iu" or axes.ndim > 1:
            imp.fail(node, f"the axes must be a 1-D integer tensor, not {axes.dtype} of shape {list(axes.shape)}")
    if axes is None:
        return None
    given = [int(a) for a in np.reshape(axes, -1)]
    axes = [imp.axis(node, a, rank, "axis") for a in given]
    if len(set(axes)) != len(axes):
        imp.fail(node, f"axes {given} repeat an axis")
    return sorted(axes)


def _reduction(imp, node, combine="arith.addf", init="%zero", squares=False, mean=False):
    """A Reduce* op: `combine` from `init` over the axes (all when none are
    given, unless noop_with_empty_axes), unit dimensions kept or dropped
    (keepdims)."""
    imp.check_attrs(node, {"axes", "keepdims", "noop_with_empty_axes"})
    imp.inputs(node, 1, 1)
    x, xs = imp.materialize(node.input[0], node)
    axes = axes_of(imp, node, len(xs), 1)
    keepdims = imp.attr_int(node, "keepdims", 1, 0, 1)
    if not axes:
        if imp.attr_int(node, "noop_with_empty_axes", 0, 0, 1):
            return x, xs
        axes = list(range(len(xs)))
    if mean and len(xs) in (4, 5) and axes == list(range(2, len(xs))):
        # A global average pool written as a mean (x.mean((2, 3))): a pooling
        y, keep = spatial_mean(imp, node, x, xs)
    else:
        y, keep = imp.reduce(node, x, xs, axes, squares=squares, combine=combine, init=init,
                             loc=f"{node.name}.sum")
        if mean:
            count = float(np.prod([xs[a] for a in axes]))
            y = imp.elementwise(node, [(y, keep)], [f"%n = arith.constant {count!r} : f32",
                                                    "%y = arith.divf %a0, %n : f32", "linalg.yield %y : f32"], keep)
    if keepdims:
        return y, keep
    out = [d for i, d in enumerate(xs) if i not in axes]
    return imp.reshape(y, keep, out, _unit_groups(len(xs), axes), expand=False), out


@register("ReduceMean", float_only=True)
def reduce_mean(imp, node):
    return _reduction(imp, node, mean=True)


@register("ReduceSum", float_only=True)
def reduce_sum(imp, node):
    return _reduction(imp, node)


@register("ReduceSumSquare", float_only=True)
def reduce_sum_square(imp, node):
    return _reduction(imp, node, squares=True)


@register("ReduceMax", float_only=True)
def reduce_max(imp, node):
    imp.once("%ninf", "%ninf = arith.constant 0xFF800000 : f32")
    return _reduction(imp, node, "arith.maximumf", "%ninf")


@register("ReduceMin", float_only=True)
def reduce_min(imp, node):
    imp.once("%pinf", "%pinf = arith.constant 0x7F800000 : f32")
    return _reduction(imp, node, "arith.minimumf", "%pinf")


@register("ReduceProd", float_only=True)
def reduce_prod(imp, node):
    imp.once("%one_f32", "%one_f32 = arith.constant 1.0 : f32")
    return _reduction(imp, node, "arith.mulf", "%one_f32")


@register("Sum", float_only=True)
def sum_op(imp, node):
    """The sum of one or more inputs, broadcast together."""
    return variadic(imp, node, "addf")


@register("Mean", float_only=True)
def mean_op(imp, node):
    r, shape = variadic(imp, node, "addf")
    return imp.elementwise(node, [(r, shape)], [f"%n = arith.constant {float(len(node.input))!r} : f32",
                                                "%y = arith.divf %a0, %n : f32", "linalg.yield %y : f32"],
                           shape, loc=f"{node.name}.mean"), shape
