"""Execution test of the CPU micro-kernels (quant-pack-matmuls +
convert-qnn-packed-matmul-to-vector) against NumPy.

  packed_matmul.py model DIR        writes DIR/<case>.mlir (constant weights)
                                    and DIR/in-<case>.npy for every case
  packed_matmul.py check DIR TAG    compares DIR/out-<case>-TAG.npy bit for bit
                                    (integer cases) or to 1e-5 (f32 cases)
  packed_matmul.py compare DIR TAG REF_TAG
                                    compares two runs' outputs (integer
                                    cases bit for bit)
  packed_matmul.py run DIR TAG QUANT_RUN [FLAGS...]
                                    runs every case with quant-run and FLAGS,
                                    writing DIR/out-<case>-TAG.npy

Float cases (matmuls and NHWC convolutions with constant weights; batch
matmuls, plain and with the right operand transposed, packed at run time)
are checked to 1e-5. Integer convolutions (qnn.conv2d, constant filters)
are checked against ONNX QLinearConv, bit for bit.
Integer cases are checked against ONNX QLinearMatMul (python/quantopt/
reference.py); the shapes cover every remainder of the register tiles: M = 1
and M not a multiple of the tile rows, N below / not a multiple of 16, K not a
multiple of 4, and wider than one 64-byte activation chunk.
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from quantopt import reference as ref  # noqa: E402
from mlir_text import dense, qtype  # noqa: E402


def make_cases():
    rng = np.random.default_rng(5)
    cases = []

    def output_params(y_signed, columns, bias, clamp):
        """Result scale, zero point and range, bias values, fused clamp."""
        y_scale = 0.05 + rng.random() * 0.2
        y_zp = int(rng.integers(-10, 10)) + (0 if y_signed else 128)
        qmin, qmax = (-128, 127) if y_signed else (0, 255)
        bias_vals = rng.integers(-5000, 5000, columns).astype(np.int32) if bias else None
        lo, hi = clamp if clamp else (None, None)
        return y_scale, y_zp, qmin, qmax, bias_vals, lo, hi

    def add(name, M, K, N, a="i8", w="i8", y="i8", per_channel=True, w_zp=False,
            bias=True, clamp=None, dynamic_rows=False):
        a_signed, y_signed = a == "i8", y == "i8"
        x = rng.integers(-128 if a_signed else 0, 128 if a_signed else 256, (M, K))
        lo_w, hi_w = (-127, 128) if w == "i8" else (0, 256)
        b = rng.integers(lo_w, hi_w, (K, N))
        a_scale = 0.01 + rng.random() * 0.05
        a_zp = int(rng.integers(-20, 20)) + (0 if a_signed else 128)
        w_mid = 0 if w == "i8" else 128
        if per_channel:
            b_scale = list(0.0005 + rng.random(N) * 0.002)
            b_zp = [int(z) + w_mid for z in rng.integers(-5, 6, N)] if w_zp else [w_mid] * N
        else:
            b_scale = 0.001 + rng.random() * 0.002
            b_zp = int(rng.integers(-5, 6)) + w_mid if w_zp else w_mid
        y_scale, y_zp, qmin, qmax, bias_vals, lo, hi = output_params(y_signed, N, bias, clamp)
        expected = ref.qlinear_matmul(x, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp,
                                      qmin, qmax, bias_vals, lo, hi)
        cases.append(dict(name=name, kind="int", M=M, K=K, N=N, x=x, b=b, bias=bias_vals,
                          a_t=qtype(a, a_scale, a_zp),
                          b_t=qtype(w, b_scale, b_zp, 1 if per_channel else None),
                          w_storage=w, y_t=qtype(y, y_scale, y_zp), clamp=clamp,
                          x_dtype=np.int8 if a_signed else np.uint8, expected=expected,
                          dynamic_rows=dynamic_rows))

    def add_float(name, M, K, N, dynamic_rows=False):
        x = rng.standard_normal((M, K)).astype(np.float32)
        b = rng.standard_normal((K, N)).astype(np.float32)
        expected = x.astype(np.float64) @ b.astype(np.float64)
        cases.append(dict(name=name, kind="f32", M=M, K=K, N=N, x=x, b=b, expected=expected,
                          dynamic_rows=dynamic_rows))

    def add_batch(name, B, M, K, N, transposed):
        x = rng.standard_normal((B, M, K)).astype(np.float32)
        y = rng.standard_normal((B, N, K) if transposed else (B, K, N)).astype(np.float32)
        rhs = y.transpose(0, 2, 1) if transposed else y
        expected = x.astype(np.float64) @ rhs.astype(np.float64)
        cases.append(dict(name=name, kind="batch", B=B, M=M, K=K, N=N, x=x, y=y,
                          transposed=transposed, expected=expected))

    def add_conv(name, N, H, W, C, F, KH, KW, strides=(1, 1), dilations=(1, 1),
                 pads=(1, 1, 1, 1), a="i8", y="i8", per_channel=True, w_zp=False,
                 bias=True, clamp=None, layout="nhwc_hwcf"):
        a_signed, y_signed = a == "i8", y == "i8"
        depthwise = layout == "nhwc_hwc"  # HWC filter, F = C
        x = rng.integers(-128 if a_signed else 0, 128 if a_signed else 256, (N, H, W, C))
        w = rng.integers(-127, 128, (KH, KW, C) if depthwise else (KH, KW, C, F))
        a_scale = 0.01 + rng.random() * 0.05
        a_zp = int(rng.integers(-20, 20)) + (0 if a_signed else 128)
        if per_channel:
            w_scale = list(0.0005 + rng.random(F) * 0.002)
            w_zp_v = [int(z) for z in rng.integers(-5, 6, F)] if w_zp else [0] * F
        else:
            w_scale, w_zp_v = 0.001 + rng.random() * 0.002, int(rng.integers(1, 6)) if w_zp else 0
        y_scale, y_zp, qmin, qmax, bias_vals, lo, hi = output_params(y_signed, F, bias, clamp)
        expected = ref.qlinear_conv_nhwc(x, a_scale, a_zp, w, w_scale, w_zp_v, y_scale, y_zp,
                                         qmin, qmax, bias_vals, strides, dilations, pads,
                                         depthwise, lo, hi)
        axis = 2 if depthwise else 3
        if layout == "nchw_fchw":
            x, w, expected = x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1), expected.transpose(0, 3, 1, 2)
            axis = 0
        cases.append(dict(name=name, kind="conv", x=x, w=w, bias=bias_vals, layout=layout,
                          strides=strides, dilations=dilations, pads=pads, clamp=clamp,
                          a_t=qtype(a, a_scale, a_zp),
                          w_t=qtype("i8", w_scale, w_zp_v, axis if per_channel else None),
                          y_t=qtype(y, y_scale, y_zp),
                          x_dtype=np.int8 if a_signed else np.uint8, expected=expected))

    def add_float_conv(name, N, H, W, C, F, KH, KW, strides=(1, 1), dilations=(1, 1),
                       depthwise=False):
        x = rng.standard_normal((N, H, W, C)).astype(np.float32)
        w = rng.standard_normal((KH, KW, C) if depthwise else (KH, KW, C, F)).astype(np.float32)
        oh = (H - dilations[0] * (KH - 1) - 1) // strides[0] + 1
        ow = (W - dilations[1] * (KW - 1) - 1) // strides[1] + 1
        expected = np.zeros((N, oh, ow, F))
        for i in range(KH):
            for j in range(KW):
                patch = x[:, i * dilations[0]: i * dilations[0] + strides[0] * (oh - 1) + 1: strides[0],
                          j * dilations[1]: j * dilations[1] + strides[1] * (ow - 1) + 1: strides[1], :]
                tap = w[i, j].astype(np.float64)
                expected += (patch * tap if depthwise
                             else np.tensordot(patch.astype(np.float64), tap, axes=([3], [0])))
        cases.append(dict(name=name, kind="f32conv", x=x, w=w, strides=strides,
                          dilations=dilations, depthwise=depthwise, expected=expected))

    add("tile_multiple", 12, 64, 64)
    add("m1", 1, 768, 80)
    add("m_tail", 7, 40, 48, per_channel=False)
    add("n_tail", 6, 32, 37)
    add("n_below_16", 3, 20, 5, bias=False)
    add("odd_k", 5, 131, 33)
    add("wide_k", 9, 300, 70)
    add("u8_activations", 8, 48, 32, a="u8")
    add("weight_zero_points", 7, 45, 40, w_zp=True)
    add("u8_weights", 4, 37, 19, w="u8", w_zp=True, a="u8")
    add("u8_output_relu6", 6, 60, 48, y="u8", clamp=(130, 200))
    add("relu_per_tensor_zp", 13, 29, 21, per_channel=False, w_zp=True, clamp=(-3, None))
    add_float("f32_tiles", 12, 64, 64)
    add_float("f32_tails", 7, 33, 37)
    add_float("f32_m1", 1, 100, 50)
    add("dynamic_rows", 15, 70, 40, w_zp=True, dynamic_rows=True)
    # Enough work for --num-threads to share its column blocks.
    add("wide", 24, 256, 200, w_zp=True)
    # More rows than one 32-row AMX block (a 16-row and a 9-row tile after
    # it), K with full 64-byte steps and a tail.
    add("rows_57", 57, 200, 40, a="u8")
    add_float("f32_dynamic_rows", 9, 30, 20, dynamic_rows=True)
    add_batch("batch_f32", 3, 7, 20, 18, False)
    add_batch("batch_f32_transposed", 2, 9, 16, 33, True)
    add_batch("batch_f32_transposed_aligned", 2, 5, 8, 32, True)
    # Convolutions: the direct form (channels a multiple of 4: output width
    # and F not multiples of the tile, strides, dilations, asymmetric and no
    # padding, u8 and i8, NCHW) and the im2col fallback (filter zero points,
    # 3 channels), then f32.
    add_conv("conv_direct", 2, 7, 9, 8, 20, 3, 3, clamp=(0, None))
    add_conv("conv_stride_dilation_u8", 1, 11, 10, 12, 16, 3, 3, strides=(2, 1),
             dilations=(1, 2), pads=(0, 2, 1, 0), a="u8", y="u8", per_channel=False,
             bias=False)
    add_conv("conv_nchw_2x3", 1, 6, 7, 4, 33, 2, 3, pads=(1, 0, 0, 1), layout="nchw_fchw")
    add_conv("conv_1x1_unpadded", 1, 5, 13, 16, 24, 1, 1, pads=(0, 0, 0, 0))
    add_conv("conv_1x1_u8_in_place", 1, 4, 4, 8, 16, 1, 1, pads=(0, 0, 0, 0), a="u8")
    add_conv("conv_wide", 1, 12, 12, 16, 48, 3, 3)
    add_conv("conv_weight_zero_point", 1, 6, 6, 8, 10, 3, 3, per_channel=False, w_zp=True)
    add_conv("conv_three_channels", 1, 7, 7, 3, 8, 3, 3, strides=(2, 2))
    # Depthwise: 16-channel blocks (C = 48: three), output width not a
    # multiple of the tile, strides and dilations, u8, clamps, 5 x 5; C = 24
    # (not a multiple of 16) and filter zero points stay on the generic loops.
    add_conv("dw_direct", 2, 7, 9, 48, 48, 3, 3, layout="nhwc_hwc")
    add_conv("dw_strided_u8", 1, 11, 10, 32, 32, 3, 3, strides=(2, 1), dilations=(1, 2),
             pads=(2, 1, 0, 1), a="u8", y="u8", per_channel=False, clamp=(130, None),
             layout="nhwc_hwc")
    add_conv("dw_5x5_unbiased", 1, 9, 9, 16, 16, 5, 5, pads=(2, 2, 2, 2), bias=False,
             layout="nhwc_hwc")
    add_conv("dw_stride2_dilation", 1, 12, 13, 16, 16, 3, 3, strides=(2, 2), dilations=(2, 1),
             layout="nhwc_hwc", clamp=(-3, 2))
    add_conv("dw_generic_24", 1, 6, 6, 24, 24, 3, 3, layout="nhwc_hwc")
    add_conv("dw_weight_zero_point", 1, 6, 6, 16, 16, 3, 3, per_channel=False, w_zp=True,
             layout="nhwc_hwc")
    add_float_conv("dw_f32", 2, 8, 9, 32, 32, 3, 3, depthwise=True)
    add_float_conv("dw_f32_strided", 1, 11, 12, 16, 16, 3, 2, strides=(2, 1), dilations=(1, 2),
                   depthwise=True)
    add_float_conv("conv_f32", 2, 8, 9, 5, 19, 3, 3)
    add_float_conv("conv_f32_strided", 1, 11, 12, 8, 16, 3, 2, strides=(2, 1), dilations=(1, 2))
    return cases


def shape(a):
    return "x".join(str(d) for d in a.shape)


def conv_text(c):
    """qnn.conv2d with a constant filter (and bias), or an f32
    linalg.conv_2d_nhwc_hwcf with a constant filter."""
    x_shape, w_shape, y_shape = shape(c["x"]), shape(c["w"]), shape(c["expected"])
    st = f"{c['strides'][0]}, {c['strides'][1]}"
    dl = f"{c['dilations'][0]}, {c['dilations'][1]}"
    if c["kind"] == "f32conv":
        return f"""func.func @{c['name']}(%x: tensor<{x_shape}xf32>) -> tensor<{y_shape}xf32> {{
  %w = arith.constant dense<{dense(c['w'].tolist())}> : tensor<{w_shape}xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{y_shape}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<{y_shape}xf32>) -> tensor<{y_shape}xf32>
  %y = linalg.{"depthwise_conv_2d_nhwc_hwc" if c["depthwise"] else "conv_2d_nhwc_hwcf"} {{strides = dense<[{st}]> : tensor<2xi64>, dilations = dense<[{dl}]> : tensor<2xi64>}}
      ins(%x, %w : tensor<{x_shape}xf32>, tensor<{w_shape}xf32>) outs(%init : tensor<{y_shape}xf32>) -> tensor<{y_shape}xf32>
  return %y : tensor<{y_shape}xf32>
}}"""
    x_t = f"tensor<{x_shape}x{c['a_t']}>"
    w_t = f"tensor<{w_shape}x{c['w_t']}>"
    y_t = f"tensor<{y_shape}x{c['y_t']}>"
    body = [f"  %w8 = arith.constant dense<{dense(c['w'].tolist())}> : tensor<{w_shape}xi8>",
            f"  %w = quant.scast %w8 : tensor<{w_shape}xi8> to {w_t}"]
    operands, types = "%x, %w", f"{x_t}, {w_t}"
    if c["bias"] is not None:
        F = c["bias"].size
        body.append(f"  %b = arith.constant dense<{dense(c['bias'].tolist())}> : tensor<{F}xi32>")
        operands += " bias %b"
        types += f", tensor<{F}xi32>"
    attrs = [f'layout = "{c["layout"]}"', f"strides = array<i64: {st}>",
             f"dilations = array<i64: {dl}>",
             f"padding = array<i64: {', '.join(map(str, c['pads']))}>"]
    if c["clamp"]:
        attrs.append(f"clamp_min = {c['clamp'][0]} : i64")
        if c["clamp"][1] is not None:
            attrs.append(f"clamp_max = {c['clamp'][1]} : i64")
    body.append(f"  %y = qnn.conv2d {operands} {{{', '.join(attrs)}}} : {types} -> {y_t}")
    return (f"func.func @{c['name']}(%x: {x_t}) -> {y_t} {{\n" + "\n".join(body) +
            f"\n  return %y : {y_t}\n}}")


def model(d):
    for c in make_cases():
        if c["kind"] in ("conv", "f32conv"):
            with open(os.path.join(d, f"{c['name']}.mlir"), "w") as f:
                f.write(conv_text(c) + "\n")
            np.save(os.path.join(d, f"in-{c['name']}.npy"),
                    c["x"] if c["kind"] == "f32conv" else c["x"].astype(c["x_dtype"]))
            continue
        M, K, N = c["M"], c["K"], c["N"]
        rows = M
        if c.get("dynamic_rows"):
            M = "?"  # the batch dimension: rows known at run time
        if c["kind"] == "batch":
            B = c["B"]
            y_shape = f"{B}x{N}x{K}" if c["transposed"] else f"{B}x{K}x{N}"
            rhs_map = "(b, n, k)" if c["transposed"] else "(b, k, n)"
            text = f"""func.func @{c['name']}(%x: tensor<{B}x{M}x{K}xf32>, %y: tensor<{y_shape}xf32>) -> tensor<{B}x{M}x{N}xf32> {{
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{B}x{M}x{N}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<{B}x{M}x{N}xf32>) -> tensor<{B}x{M}x{N}xf32>
  %r = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> {rhs_map}>, affine_map<(b, m, n, k) -> (b, m, n)>]
      ins(%x, %y : tensor<{B}x{M}x{K}xf32>, tensor<{y_shape}xf32>) outs(%init : tensor<{B}x{M}x{N}xf32>) -> tensor<{B}x{M}x{N}xf32>
  return %r : tensor<{B}x{M}x{N}xf32>
}}"""
            with open(os.path.join(d, f"{c['name']}.mlir"), "w") as f:
                f.write(text + "\n")
            np.savez(os.path.join(d, f"in-{c['name']}.npz"), x=c["x"], y=c["y"])
            continue
        if c["kind"] == "f32":
            text = (f"""func.func @{c['name']}(%x: tensor<{M}x{K}xf32>) -> tensor<{M}x{N}xf32> {{
  %w = arith.constant dense<{dense(c['b'].tolist())}> : tensor<{K}x{N}xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<{M}x{K}xf32>
  %e = tensor.empty({"%m" if M == "?" else ""}) : tensor<{M}x{N}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<{M}x{N}xf32>) -> tensor<{M}x{N}xf32>
  %y = linalg.matmul ins(%x, %w : tensor<{M}x{K}xf32>, tensor<{K}x{N}xf32>) outs(%init : tensor<{M}x{N}xf32>) -> tensor<{M}x{N}xf32>
  return %y : tensor<{M}x{N}xf32>
}}""")
        else:
            a_t = f"tensor<{M}x{K}x{c['a_t']}>"
            b_t = f"tensor<{K}x{N}x{c['b_t']}>"
            y_t = f"tensor<{M}x{N}x{c['y_t']}>"
            # Storage constants are signless i8 (u8 values as their bit pattern).
            w8 = c["b"].astype(np.uint8).astype(np.int8) if c["w_storage"] == "u8" else c["b"]
            body = [f"  %w8 = arith.constant dense<{dense(w8.tolist())}> : tensor<{K}x{N}xi8>",
                    f"  %w = quant.scast %w8 : tensor<{K}x{N}xi8> to {b_t}"]
            operands, types = "%x, %w", f"{a_t}, {b_t}"
            if c["bias"] is not None:
                body.append(f"  %bias = arith.constant dense<{dense(c['bias'].tolist())}> : tensor<{N}xi32>")
                operands += " bias %bias"
                types += f", tensor<{N}xi32>"
            attrs = ""
            if c["clamp"]:
                parts = [f"clamp_min = {c['clamp'][0]} : i64"]
                if c["clamp"][1] is not None:
                    parts.append(f"clamp_max = {c['clamp'][1]} : i64")
                attrs = " {" + ", ".join(parts) + "}"
            body.append(f"  %y = qnn.matmul {operands}{attrs} : {types} -> {y_t}")
            text = (f"func.func @{c['name']}(%x: {a_t}) -> {y_t} {{\n" + "\n".join(body) +
                    f"\n  return %y : {y_t}\n}}")
        if c.get("dynamic_rows"):
            # quant-run calls functions of static shapes: casts around the
            # dynamic body.
            x_t = f"tensor<{rows}x{K}x{c['a_t']}>" if c["kind"] == "int" else f"tensor<{rows}x{K}xf32>"
            y_t = f"tensor<{rows}x{N}x{c['y_t']}>" if c["kind"] == "int" else f"tensor<{rows}x{N}xf32>"
            dx_t, dy_t = x_t.replace(f"<{rows}x", "<?x"), y_t.replace(f"<{rows}x", "<?x")
            head, body = text.split("\n", 1)
            head = head.replace(f"(%x: {dx_t}) -> {dy_t}", f"(%xs: {x_t}) -> {y_t}")
            body = body.replace(f"  return %y : {dy_t}",
                                f"  %ys = tensor.cast %y : {dy_t} to {y_t}\n  return %ys : {y_t}")
            text = f"{head}\n  %x = tensor.cast %xs : {x_t} to {dx_t}\n{body}"
        with open(os.path.join(d, f"{c['name']}.mlir"), "w") as f:
            f.write(text + "\n")
        np.save(os.path.join(d, f"in-{c['name']}.npy"),
                c["x"] if c["kind"] == "f32" else c["x"].astype(c["x_dtype"]))


def run(d, tag, quant_run, flags):
    for c in make_cases():
        name = c["name"]
        ext = "npz" if c["kind"] == "batch" else "npy"
        subprocess.run([quant_run, os.path.join(d, f"{name}.mlir"), "-e", name,
                        "--input", os.path.join(d, f"in-{name}.{ext}"),
                        "--output", os.path.join(d, f"out-{name}-{tag}.npy"),
                        "--no-progress", *flags], check=True, stdout=subprocess.DEVNULL)


def check(d, tag):
    bad = 0
    for c in make_cases():
        got = np.load(os.path.join(d, f"out-{c['name']}-{tag}.npy"))
        if c["kind"] in ("f32", "batch", "f32conv"):
            err = np.max(np.abs(got - c["expected"]) / (1 + np.abs(c["expected"])))
            same = err < 1e-5
            detail = f": relative error {err:.2e}"
        else:
            diff = got.astype(np.int64) != c["expected"]
            same = not diff.any()
            detail = f": {np.count_nonzero(diff)} of {diff.size} values differ"
        print(f"{'ok' if same else 'FAIL'} {tag} {c['name']}" + ("" if same else detail))
        bad += not same
    return 1 if bad else 0


def compare(d, tag, reference_tag):
    """Outputs of run TAG against those of run REFERENCE_TAG: integer cases
    bit for bit, float cases to 1e-5 (for modes without a NumPy reference,
    such as the fixed-point requantize, checked against the reference
    lowering)."""
    bad = 0
    for c in make_cases():
        got = np.load(os.path.join(d, f"out-{c['name']}-{tag}.npy"))
        want = np.load(os.path.join(d, f"out-{c['name']}-{reference_tag}.npy"))
        if c["kind"] in ("f32", "batch", "f32conv"):
            same = np.max(np.abs(got - want) / (1 + np.abs(want))) < 1e-5
        else:
            same = got.dtype == want.dtype and np.array_equal(got, want)
        print(f"{'ok' if same else 'FAIL'} {tag} {c['name']} = {reference_tag}")
        bad += not same
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4]))
    if sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
        sys.exit(0)
    if sys.argv[1] == "model":
        model(sys.argv[2])
        sys.exit(0)
    sys.exit(check(sys.argv[2], sys.argv[3]))
