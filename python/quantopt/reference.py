"""NumPy reference of QuantOpt's numerics contract (docs/Numerics.md).

Written from the ONNX operator definitions (QuantizeLinear, DequantizeLinear)
and gemmlowp, independently of the C++ implementation, so that tests can
compare generated code against it bit for bit.
"""
import numpy as np

_LIMIT = np.float64(2.0**62)


def storage_range(bits, signed, narrow=False):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return (lo + 1 if narrow else lo), hi


def _channel_view(values, shape, axis):
    """Broadcasts per-channel values along `axis` of `shape` (or a scalar)."""
    values = np.asarray(values)
    if axis is None or values.ndim == 0:
        return values.reshape(()) if values.size == 1 else values
    view = [1] * len(shape)
    view[axis] = values.size
    return values.reshape(view)


def _round_add_clamp(v, zero_point, qmin, qmax):
    """clamp(round_half_to_even(v) + zp) with v float; NaN -> zp."""
    rounded = np.rint(v)  # NumPy's rint rounds half to even
    rounded = np.where(np.isnan(rounded), 0, rounded)
    rounded = np.clip(rounded.astype(np.float64), -_LIMIT, _LIMIT).astype(np.int64)
    return np.clip(rounded + np.asarray(zero_point, np.int64), qmin, qmax)


def quantize(x, scale, zero_point, qmin, qmax, axis=None):
    """ONNX QuantizeLinear in f32: saturate(round(x / scale) + zp).

    f16/bf16 inputs are widened to f32 first. NaN maps to the zero point.
    """
    x = np.asarray(x).astype(np.float32)
    s = _channel_view(np.asarray(scale, np.float64).astype(np.float32), x.shape, axis)
    zp = _channel_view(np.asarray(zero_point, np.int64), x.shape, axis)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        v = x / s
    return _round_add_clamp(v, zp, qmin, qmax)


def dequantize(q, scale, zero_point, axis=None):
    """ONNX DequantizeLinear: (q - zp) * scale, the product in f32."""
    q = np.asarray(q, np.int64)
    s = _channel_view(np.asarray(scale, np.float64).astype(np.float32), q.shape, axis)
    zp = _channel_view(np.asarray(zero_point, np.int64), q.shape, axis)
    return (q - zp).astype(np.float32) * s


def requantize(q, scale_in, zp_in, scale_out, zp_out, qmin, qmax, axis=None):
    """Float-mode requantize: m = f32(s_in / s_out) (divided in f64),
    clamp(round_half_to_even(f64(q - zp_in) * m) + zp_out): the product in
    float64, as ONNX's reference multiplies int32 by float32."""
    q = np.asarray(q, np.int64)
    m = (np.asarray(scale_in, np.float64) / np.asarray(scale_out, np.float64)).astype(np.float32)
    m = _channel_view(m, q.shape, axis)
    zin = _channel_view(np.asarray(zp_in, np.int64), q.shape, axis)
    zout = _channel_view(np.asarray(zp_out, np.int64), q.shape, axis)
    with np.errstate(over="ignore"):
        v = (q - zin).astype(np.float64) * m.astype(np.float64)
    return _round_add_clamp(v, zout, qmin, qmax)


# --- gemmlowp / TFLite integer-only requantize --------------------------------

def quantize_multiplier(real):
    """real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)."""
    if real == 0:
        return 0, 0
    fraction, exponent = np.frexp(np.float64(real))
    q = int(np.rint(np.float64(fraction) * 2.0**31))
    if q == 1 << 31:
        q //= 2
        exponent += 1
    return q, int(exponent)


def _srdhm(a, b):
    """SaturatingRoundingDoublingHighMul on Python ints."""
    if a == b == -(1 << 31):
        return (1 << 31) - 1
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    total = ab + nudge
    # C++ integer division truncates toward zero.
    quotient = abs(total) // (1 << 31)
    return quotient if total >= 0 else -quotient


def _rounding_divide_by_pot(x, exponent):
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def _clamp_i32(v):
    return max(-(1 << 31), min((1 << 31) - 1, v))


def requantize_fixed_point(q, scale_in, zp_in, scale_out, zp_out, qmin, qmax, axis=None):
    q = np.asarray(q, np.int64)
    out = np.empty(q.shape, np.int64)
    s_in = np.broadcast_to(_channel_view(np.asarray(scale_in, np.float64), q.shape, axis), q.shape)
    s_out = np.broadcast_to(_channel_view(np.asarray(scale_out, np.float64), q.shape, axis), q.shape)
    z_in = np.broadcast_to(_channel_view(np.asarray(zp_in, np.int64), q.shape, axis), q.shape)
    z_out = np.broadcast_to(_channel_view(np.asarray(zp_out, np.int64), q.shape, axis), q.shape)
    for idx in np.ndindex(q.shape):
        mult, shift = quantize_multiplier(s_in[idx] / s_out[idx])
        x = _clamp_i32(int(q[idx]) - int(z_in[idx]))
        x = _clamp_i32(x * (1 << max(shift, 0)))
        y = _rounding_divide_by_pot(_srdhm(x, mult), max(-shift, 0))
        out[idx] = min(qmax, max(qmin, y + int(z_out[idx])))
    return out


def qlinear_matmul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp, qmin, qmax,
                   bias=None, clamp_min=None, clamp_max=None):
    """ONNX QLinearMatMul (onnx/reference/ops/op_qlinear_matmul.py), with an
    optional i32 bias and a fused activation's output clamp. `b_scale` and
    `b_zp` may hold one value per output column.

    The multiplier is computed in float32 arithmetic from float32 scales; the
    int32 accumulator times it is taken in float64 (NumPy promotes int32 x
    float32 to float64), then rounded half to even.
    """
    A = np.asarray(a).astype(np.int32) - np.int32(a_zp)
    B = np.asarray(b).astype(np.int32) - np.asarray(b_zp, np.int32)
    C = np.matmul(A, B)
    if bias is not None:
        C = C + np.asarray(bias, np.int32)
    m = (np.float32(a_scale) * np.asarray(b_scale, np.float32)) / np.float32(y_scale)
    D = C.astype(np.float64) * np.asarray(m, np.float32).astype(np.float64)
    lo = qmin if clamp_min is None else max(qmin, clamp_min)
    hi = qmax if clamp_max is None else min(qmax, clamp_max)
    return np.clip(np.rint(D).astype(np.int64) + int(y_zp), lo, hi)


def requantize_fixed_point_values(acc, real_multipliers, zp_out, qmin, qmax, axis=None):
    """gemmlowp requantize of an accumulator with per-channel real multipliers."""
    acc = np.asarray(acc, np.int64)
    mult = np.broadcast_to(_channel_view(np.asarray(real_multipliers, np.float64), acc.shape, axis), acc.shape)
    out = np.empty(acc.shape, np.int64)
    for idx in np.ndindex(acc.shape):
        m, shift = quantize_multiplier(mult[idx])
        x = _clamp_i32(int(acc[idx]))
        x = _clamp_i32(x * (1 << max(shift, 0)))
        y = _rounding_divide_by_pot(_srdhm(x, m), max(-shift, 0))
        out[idx] = min(qmax, max(qmin, y + int(zp_out)))
    return out


def qlinear_conv_nhwc(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, qmin, qmax,
                      bias=None, strides=(1, 1), dilations=(1, 1), pads=(0, 0, 0, 0),
                      depthwise=False, clamp_min=None, clamp_max=None):
    """ONNX QLinearConv (onnx/reference/ops/op_qlinear_conv.py) on NHWC input
    and HWCF filter (HWC for depthwise), with optional bias and output clamp.
    (x - x_zp) is zero-padded, i.e. x is padded with its zero point; the
    multiplier and rounding are QLinearMatMul's."""
    X = np.asarray(x).astype(np.int32) - np.int32(x_zp)
    W = np.asarray(w).astype(np.int32) - np.asarray(w_zp, np.int32)
    top, left, bottom, right = pads
    X = np.pad(X, ((0, 0), (top, bottom), (left, right), (0, 0)))
    n, h, wd, c = X.shape
    kh, kw = W.shape[0], W.shape[1]
    sh, sw = strides
    dh, dw = dilations
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (wd - dw * (kw - 1) - 1) // sw + 1
    f = c if depthwise else W.shape[3]
    acc = np.zeros((n, oh, ow, f), np.int64)
    for i in range(kh):
        for j in range(kw):
            patch = X[:, i * dh: i * dh + sh * (oh - 1) + 1: sh,
                      j * dw: j * dw + sw * (ow - 1) + 1: sw, :]
            if depthwise:
                acc += patch.astype(np.int64) * W[i, j, :].astype(np.int64)
            else:
                acc += np.tensordot(patch.astype(np.int64), W[i, j].astype(np.int64), axes=([3], [0]))
    if bias is not None:
        acc += np.asarray(bias, np.int64)
    m = (np.float32(x_scale) * np.asarray(w_scale, np.float32)) / np.float32(y_scale)
    D = acc.astype(np.float64) * np.asarray(m, np.float32).astype(np.float64)
    lo = qmin if clamp_min is None else max(qmin, clamp_min)
    hi = qmax if clamp_max is None else min(qmax, clamp_max)
    return np.clip(np.rint(D).astype(np.int64) + int(y_zp), lo, hi)


def dynamic_quantize_linear(x, symmetric=False, reduce_range=False):
    """ONNX DynamicQuantizeLinear (onnx/reference/ops/op_dynamic_quantize_linear.py),
    uint8, everything in float32; with symmetric=True the int8 variant
    (scale max|x| / 127, zero point 0, range [-127, 127]). QuantOpt ignores
    NaN and inf when taking the range (ONNX's reference would propagate
    them into the scale); NaN quantizes to the zero point. reduce_range:
    one bit less (u8 [0, 127], symmetric [-63, 63]), as PyTorch's.
    Returns (q, scale, zero_point)."""
    x = np.asarray(x, np.float32)
    finite = x[np.isfinite(x)]
    lo = np.float32(min(0.0, finite.min())) if finite.size else np.float32(0)
    hi = np.float32(max(0.0, finite.max())) if finite.size else np.float32(0)
    if symmetric:
        top = 63 if reduce_range else 127
        amax = np.maximum(np.abs(lo), np.abs(hi))
        scale = np.float32(1.0 if amax == 0 else amax) / np.float32(top)
        return quantize(x, scale, 0, -top, top), scale, 0
    qmin, qmax = 0, 127 if reduce_range else 255
    scale = np.float32(1.0 if hi == lo else hi - lo) / np.float32(qmax - qmin)
    initial = np.float32(qmin) - lo / scale
    zp = int(np.rint(np.float32(max(qmin, min(qmax, initial)))))
    return quantize(x, scale, zp, qmin, qmax), scale, zp


def matmul_integer(a, b, a_zp, b_zp=0):
    """ONNX MatMulInteger: (a - a_zp) @ (b - b_zp) in int32."""
    A = np.asarray(a).astype(np.int32) - np.int32(a_zp)
    B = np.asarray(b).astype(np.int32) - np.int32(b_zp)
    return np.matmul(A, B)
