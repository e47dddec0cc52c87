"""Execution test of qnn.conv2d against ONNX QLinearConv in NumPy.

  qlinear_conv.py model DIR   writes DIR/model.mlir, DIR/in-<case>.npz; prints case names
  qlinear_conv.py model-constant-weights DIR
                              the same with filters and biases as constants
  qlinear_conv.py check DIR   compares DIR/out-<case>.npy bit for bit
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from quantopt import reference as ref  # noqa: E402
from mlir_text import dense, qtype  # noqa: E402


CASES = [
    # name, layout, N, H, W, C, F, K, strides, dilations, pads, in kind, per-channel, bias, clamp
    ("nhwc_pad_bias_relu", "nhwc_hwcf", 1, 6, 6, 3, 4, 3, (1, 1), (1, 1), (1, 1, 1, 1), "i8", True, True, (0, None)),
    ("nhwc_stride2_u8", "nhwc_hwcf", 2, 7, 5, 2, 3, 3, (2, 2), (1, 1), (0, 0, 0, 0), "u8", False, False, None),
    ("nhwc_dilated_asym_pad", "nhwc_hwcf", 1, 8, 8, 2, 5, 3, (1, 2), (2, 1), (2, 0, 1, 1), "i8", True, True, None),
    ("nchw_pad", "nchw_fchw", 1, 5, 6, 3, 4, 3, (1, 1), (1, 1), (1, 1, 1, 1), "i8", True, True, None),
    ("depthwise_pad_relu6", "nhwc_hwc", 1, 6, 6, 4, 4, 3, (1, 1), (1, 1), (1, 1, 1, 1), "u8", True, True, (128, 200)),
]


def build(seed=7):
    rng = np.random.default_rng(seed)
    out = []
    for (name, layout, N, H, W, C, F, K, st, dl, pads, kind, per_ch, bias, clamp) in CASES:
        signed = kind == "i8"
        x = rng.integers(-128 if signed else 0, 128 if signed else 256, (N, H, W, C))
        depthwise = layout == "nhwc_hwc"
        w = rng.integers(-127, 128, (K, K, C) if depthwise else (K, K, C, F))
        xs, xz = 0.02 + rng.random() * 0.03, int(rng.integers(-10, 10)) + (0 if signed else 128)
        F_ = C if depthwise else F
        if per_ch:
            ws, wz = list(0.002 + rng.random(F_) * 0.01), [0] * F_
        else:
            ws, wz = 0.005, 0
        ys, yz = 0.1 + rng.random() * 0.1, int(rng.integers(-5, 5)) + (0 if signed else 128)
        qmin, qmax = (-128, 127) if signed else (0, 255)
        b = rng.integers(-3000, 3000, F_).astype(np.int32) if bias else None
        lo, hi = clamp if clamp else (None, None)
        y = ref.qlinear_conv_nhwc(x, xs, xz, w, ws, wz, ys, yz, qmin, qmax, b, st, dl, pads,
                                  depthwise, lo, hi)
        if layout == "nchw_fchw":
            x_in, w_in, y = x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1), y.transpose(0, 3, 1, 2)
            w_axis = 0
        else:
            x_in, w_in = x, w
            w_axis = 2 if depthwise else 3
        out.append(dict(name=name, layout=layout, x=x_in, w=w_in, bias=b, expected=y,
                        x_t=qtype(kind, xs, xz), w_t=qtype("i8", ws, wz, w_axis if per_ch else None),
                        y_t=qtype(kind, ys, yz), strides=st, dilations=dl, pads=pads, clamp=clamp,
                        dtype=np.int8 if signed else np.uint8))
    return out


def shape(a):
    return "x".join(str(d) for d in a.shape)


def model(d, constant_weights=False):
    """One function per case; with constant_weights the filter and bias are
    constants in the function (as after quantization), the input its only
    argument."""
    lines = []
    for c in build():
        x_t = f"tensor<{shape(c['x'])}x{c['x_t']}>"
        w_t = f"tensor<{shape(c['w'])}x{c['w_t']}>"
        y_t = f"tensor<{shape(c['expected'])}x{c['y_t']}>"
        args, ops, types = f"%x: {x_t}, %w: {w_t}", "%x, %w", f"{x_t}, {w_t}"
        if c["bias"] is not None:
            args += f", %b: tensor<{c['bias'].size}xi32>"
            ops += " bias %b"
            types += f", tensor<{c['bias'].size}xi32>"
        attrs = [f'layout = "{c["layout"]}"',
                 f"strides = array<i64: {c['strides'][0]}, {c['strides'][1]}>",
                 f"dilations = array<i64: {c['dilations'][0]}, {c['dilations'][1]}>",
                 f"padding = array<i64: {', '.join(map(str, c['pads']))}>"]
        if c["clamp"]:
            if c["clamp"][0] is not None:
                attrs.append(f"clamp_min = {c['clamp'][0]} : i64")
            if c["clamp"][1] is not None:
                attrs.append(f"clamp_max = {c['clamp'][1]} : i64")
        consts = ""
        if constant_weights:
            args = f"%x: {x_t}"
            w8_t = f"tensor<{shape(c['w'])}xi8>"
            consts = (f"  %w8 = arith.constant dense<{dense(c['w'].tolist())}> : {w8_t}\n"
                      f"  %w = quant.scast %w8 : {w8_t} to {w_t}\n")
            if c["bias"] is not None:
                consts += (f"  %b = arith.constant dense<{dense(c['bias'].tolist())}> : "
                           f"tensor<{c['bias'].size}xi32>\n")
        lines.append(f"""func.func @{c['name']}({args}) -> {y_t} {{
{consts}  %y = qnn.conv2d {ops} {{{', '.join(attrs)}}} : {types} -> {y_t}
  return %y : {y_t}
}}""")
        arrays = dict(x=c["x"].astype(c["dtype"]))
        if not constant_weights:
            arrays["w"] = c["w"].astype(np.int8)
            if c["bias"] is not None:
                arrays["b"] = c["bias"]
        np.savez(os.path.join(d, f"in-{c['name']}.npz"), **arrays)
    with open(os.path.join(d, "model.mlir"), "w") as f:
        f.write("\n\n".join(lines) + "\n")


def check(d):
    bad = 0
    for c in build():
        got = np.load(os.path.join(d, f"out-{c['name']}.npy")).astype(np.int64)
        same = got.shape == c["expected"].shape and np.array_equal(got, c["expected"])
        print(f"{'ok' if same else 'FAIL'} {c['name']}")
        bad += not same
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] in ("model", "model-constant-weights"):
        model(sys.argv[2], constant_weights=sys.argv[1] == "model-constant-weights")
        sys.exit(0)
    sys.exit(check(sys.argv[2]))
