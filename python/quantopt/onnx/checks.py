"""Validation of ONNX nodes before they are lowered: typed attribute
readers with the ranges the ONNX operator specs give, operand lookups,
constant tensors checked against their dims, quantization scales, and the
geometry of convolution and pooling windows. Every failure is an
ImportError_ naming the node (Importer.fail); nothing the model says reaches
the MLIR text unchecked.
"""
import numpy as np
import onnx
from onnx import numpy_helper

from .errors import ImportError_, mlir_string

_A = onnx.AttributeProto
_T = onnx.TensorProto
# Element types of constant tensors the importer can read, and the field
# holding their values when they are not in raw_data.
# (field, bytes per value in raw_data)
_TENSOR_FIELDS = {_T.FLOAT: ("float_data", 4), _T.DOUBLE: ("double_data", 8), _T.INT64: ("int64_data", 8),
                  _T.UINT32: ("uint64_data", 4), _T.UINT64: ("uint64_data", 8), _T.INT32: ("int32_data", 4),
                  _T.INT16: ("int32_data", 2), _T.UINT16: ("int32_data", 2), _T.INT8: ("int32_data", 1),
                  _T.UINT8: ("int32_data", 1), _T.BOOL: ("int32_data", 1), _T.FLOAT16: ("int32_data", 2)}


def _range_text(lo, hi):
    if lo is not None and hi is not None:
        return f"{lo} or {hi}" if hi == lo + 1 else f"in [{lo}, {hi}]"
    return f"at least {lo}" if lo is not None else f"at most {hi}"


class Checks:
    """Mixed into the Importer: needs fail(), shape_of() and consts."""

    # --- attributes ---------------------------------------------------------
    def check_attrs(self, node, allowed):
        """Fails on an attribute outside `allowed`. consumed_inputs (opsets
        1 to 5: an in-place hint without meaning for the result) is
        accepted everywhere."""
        for a in node.attribute:
            if a.name not in allowed and a.name != "consumed_inputs":
                self.fail(node, f"attribute '{a.name}' is not supported")

    def attribute(self, node, name, kind, what):
        """The AttributeProto `name` (None when absent), of type `kind`."""
        for a in node.attribute:
            if a.name == name:
                if a.type != kind:
                    self.fail(node, f"attribute '{name}' must be {what}")
                return a
        return None

    def attr_int(self, node, name, default, lo=None, hi=None):
        """An INT attribute, `default` when absent, within [lo, hi]."""
        a = self.attribute(node, name, _A.INT, "an integer")
        if a is None:
            return default
        if (lo is not None and a.i < lo) or (hi is not None and a.i > hi):
            self.fail(node, f"attribute '{name}' must be {_range_text(lo, hi)}, not {a.i}")
        return a.i

    def attr_ints(self, node, name, default, length=None, lo=None):
        """An INTS attribute as a list, `default` when absent, of `length`
        values each at least `lo`."""
        a = self.attribute(node, name, _A.INTS, "a list of integers")
        if a is None:
            return None if default is None else list(default)
        values = list(a.ints)
        if length is not None and len(values) != length:
            self.fail(node, f"attribute '{name}' must have {length} values, not {len(values)}")
        if lo is not None and any(v < lo for v in values):
            self.fail(node, f"values of attribute '{name}' must be {_range_text(lo, None)}, not {values}")
        return values

    def attr_float(self, node, name, default, lo=None):
        """A FLOAT attribute, `default` when absent: finite, at least `lo`."""
        a = self.attribute(node, name, _A.FLOAT, "a float")
        if a is None:
            return default
        if not np.isfinite(a.f) or (lo is not None and a.f < lo):
            self.fail(node, f"attribute '{name}' must be a finite float{'' if lo is None else f' >= {lo}'}, "
                            f"not {a.f}")
        return a.f

    def attr_str(self, node, name, default, choices):
        a = self.attribute(node, name, _A.STRING, "a string")
        if a is None:
            return default
        value = a.s.decode("utf-8", "replace")
        if value not in choices:
            self.fail(node, f"attribute '{name}' must be one of {', '.join(choices)}, not '{mlir_string(value)}'")
        return value

    def axis(self, node, axis, rank, what="axis", end=False):
        """`axis` in [-rank, rank - 1] (or up to rank when `end`), made
        non-negative."""
        hi = rank if end else rank - 1
        if hi < 0:
            self.fail(node, f"{what} {axis}: a scalar has no axis")
        if not -rank <= axis <= hi:
            self.fail(node, f"{what} {axis} is out of range for rank {rank} (valid: [{-rank}, {hi}])")
        return axis + rank if axis < 0 else axis

    # --- operands -----------------------------------------------------------
    def inputs(self, node, required, optional=0):
        """Checks that the node has its `required` inputs (named) and at
        most `optional` more."""
        names = list(node.input)
        if len(names) < required or not all(names[:required]):
            missing = next((i for i in range(required) if i >= len(names) or not names[i]), len(names))
            self.fail(node, f"input {missing} is missing ({required} required)")
        if len(names) > required + optional:
            self.fail(node, f"{len(names)} inputs, at most {required + optional} expected")

    def optional_input(self, node, index):
        """The name of input `index`, None when omitted."""
        return node.input[index] if len(node.input) > index and node.input[index] else None

    def defined_shape(self, node, name):
        shape = self.shape_of(name)
        if shape is None:
            self.fail(node, f"input '{name}' is not defined")
        return shape

    def constant(self, node, name, what, ndim=None, numeric="biuf"):
        """The constant input `name` (`what` in messages): non-empty, of rank
        `ndim` if given, of a NumPy kind in `numeric`."""
        value = self.const_value(name)
        if value is None:
            self.fail(node, f"{what} must be a constant")
        if ndim is not None and value.ndim != ndim:
            self.fail(node, f"{what} must be {ndim}-D, not of shape {list(value.shape)}")
        if value.size == 0:
            self.fail(node, f"{what} is empty")
        if value.dtype.kind not in numeric:
            self.fail(node, f"{what} has element type {value.dtype}")
        return value

    def tensor_value(self, tensor, where, node=None):
        """The NumPy array of a TensorProto, checked: non-negative dims, data
        of as many values as they say, a supported element type."""
        def bad(message):
            if node is not None:
                self.fail(node, f"{where}: {message}")
            raise ImportError_(f"{where}: {message}")
        dims = list(tensor.dims)
        if any(d < 0 for d in dims):
            bad(f"negative dimension in {dims}")
        if tensor.data_type not in _TENSOR_FIELDS:
            name = _T.DataType.Name(tensor.data_type) if tensor.data_type in _T.DataType.values() \
                else str(tensor.data_type)
            bad(f"element type {name} is not supported")
        if tensor.data_location == _T.EXTERNAL:
            bad("external data is not supported")
        count = 1
        for d in dims:
            count *= d
        field, itemsize = _TENSOR_FIELDS[tensor.data_type]
        if tensor.HasField("raw_data"):
            if len(tensor.raw_data) != count * itemsize:
                bad(f"{len(tensor.raw_data)} bytes of data, dims {dims} need {count * itemsize}")
        else:
            have = len(getattr(tensor, field))
            if have != count:
                bad(f"{have} values, dims {dims} need {count}")
        try:
            return numpy_helper.to_array(tensor)
        except Exception as e:  # what the counts above did not foresee
            bad(f"cannot read its data: {e}")

    # --- quantization -------------------------------------------------------
    def check_scale(self, node, name, scale):
        """A quantization scale: float, non-empty, every value positive and
        finite as an f32."""
        scale = np.asarray(scale)
        if scale.dtype.kind != "f":
            self.fail(node, f"scale '{name}' must be a float tensor, not {scale.dtype}")
        if scale.size == 0:
            self.fail(node, f"scale '{name}' is empty")
        s32 = scale.astype(np.float32).reshape(-1)
        bad = ~(np.isfinite(s32) & (s32 > 0))
        if bad.any():
            self.fail(node, f"scale '{name}' must be positive and finite, not {float(scale.reshape(-1)[bad][0])}")

    def zero_point_of(self, node, index, elem):
        """The constant zero point input `index` (0 when absent) of a value
        of element type `elem` ("ui8"/"i8"): a NumPy int64 array."""
        name = self.optional_input(node, index)
        if name is None:
            return np.zeros((), np.int64)
        zp = self.const_value(name)
        if zp is None:
            self.fail(node, f"zero point '{name}' must be a constant")
        want = {"ui8": np.uint8, "u8": np.uint8, "i8": np.int8}.get(elem)
        if want is not None and zp.dtype != want:
            self.fail(node, f"zero point '{name}' is {zp.dtype}, its input {np.dtype(want)}")
        if zp.size == 0:
            self.fail(node, f"zero point '{name}' is empty")
        return zp.astype(np.int64)

    # --- windows (convolution, pooling) -----------------------------------
    def window_attrs(self, node, kernel, dilations=True):
        """strides and dilations of a window op over len(kernel) spatial
        dimensions: values >= 1 each; a kernel_shape attribute must agree
        with `kernel` when given."""
        rank = len(kernel)
        strides = self.attr_ints(node, "strides", [1] * rank, length=rank, lo=1)
        dil = self.attr_ints(node, "dilations", [1] * rank, length=rank, lo=1) if dilations else [1] * rank
        declared = self.attr_ints(node, "kernel_shape", None, length=rank, lo=1)
        if declared is not None and list(declared) != list(kernel):
            self.fail(node, f"kernel_shape {declared} does not match the weight's {list(kernel)}")
        return strides, dil

    def pads_of(self, node, size, kernel, strides, dil, inside_kernel=False):
        """The padding of a window op, ONNX's order (begins, then ends: top,
        left, bottom, right in 2-D): its 'pads', or what auto_pad asks for
        (SAME_UPPER puts the odd one at the end).
        Checks that the (dilated) kernel fits the padded input, and with
        `inside_kernel` (pooling) that no window lies in the padding only."""
        rank = len(size)
        auto = self.attr_str(node, "auto_pad", "NOTSET", ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"))
        if auto == "NOTSET":
            pads = self.attr_ints(node, "pads", [0] * (2 * rank), length=2 * rank, lo=0)
        elif auto == "VALID":
            pads = [0] * (2 * rank)
        else:
            begin, end = [], []
            for n, k, s, d in zip(size, kernel, strides, dil):
                total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
                small, large = total // 2, total - total // 2
                begin.append(small if auto == "SAME_UPPER" else large)
                end.append(large if auto == "SAME_UPPER" else small)
            pads = begin + end
        extent = [d * (k - 1) + 1 for k, d in zip(kernel, dil)]
        padded = [n + pads[i] + pads[i + rank] for i, n in enumerate(size)]
        if any(p < e for p, e in zip(padded, extent)):
            self.fail(node, f"kernel {'x'.join(map(str, kernel))} (extent {'x'.join(map(str, extent))}) "
                            f"does not fit the padded input {'x'.join(map(str, padded))}")
        if inside_kernel and any(p >= e for p, e in zip(pads, extent + extent)):
            self.fail(node, f"pads {pads} must be smaller than the kernel {list(kernel)}")
        return pads
