"""QDQ models (ONNX Runtime's default quantized format: QuantizeLinear /
DequantizeLinear around float ops, int8 weights behind DequantizeLinear,
int32 biases at scale input_scale * weight_scale) through quantopt-import
and the QAT flow:

  quant-opt --quant-prepare-pipeline
            --quant-qat-int8-pipeline="strict=true report=... lower-qnn=false"

strict=true fails if any matmul or convolution stays float. The INT8 module
runs through the reference lowering and the CPU pipeline (identical bytes
required) and is compared with a NumPy evaluation of the QDQ graph (float
ops between exact QuantizeLinear / DequantizeLinear): within one output
quantum, since the integer sums are exact where the float ones round.

Usage: test_qdq_models.py TOOLS_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from quantopt import onnx_import  # noqa: E402

TOOLS, WORK = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(11)


def q(x, s, z, lo=-128, hi=127):
    return np.clip(np.round(np.asarray(x, np.float64) / s) + z, lo, hi)


def dq(v, s, z):
    return (np.asarray(v, np.float64) - z) * s


def conv_nchw(x, w, pads, groups=1):
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    oh, ow = h - kh + 1, wd - kw + 1
    out = np.zeros((n, f, oh, ow))
    fg = f // groups
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        for i in range(oh):
            for j in range(ow):
                out[:, g * fg:(g + 1) * fg, i, j] = np.tensordot(
                    xs[:, :, i:i + kh, j:j + kw], w[g * fg:(g + 1) * fg], axes=([1, 2, 3], [1, 2, 3]))
    return out


class Graph:
    """Builds a QDQ graph and its NumPy evaluation side by side."""

    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def init(self, name, value):
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def qdq(self, x, name, s, z):
        """QuantizeLinear + DequantizeLinear of activation x."""
        self.init(f"{name}_s", np.array(s, np.float32))
        self.init(f"{name}_z", np.array(z, np.int8))
        self.nodes.append(helper.make_node("QuantizeLinear", [x, f"{name}_s", f"{name}_z"], [f"{name}_q"],
                                           name=f"{name}.q"))
        self.nodes.append(helper.make_node("DequantizeLinear", [f"{name}_q", f"{name}_s", f"{name}_z"],
                                           [f"{name}_d"], name=f"{name}.dq"))
        return f"{name}_d"

    def weights(self, name, w, axis):
        """Per-channel symmetric int8 weights behind DequantizeLinear."""
        amax = np.abs(w).max(axis=tuple(i for i in range(w.ndim) if i != axis))
        s = (amax / 127).astype(np.float32)
        view = [1] * w.ndim
        view[axis] = -1
        wq = q(w, s.reshape(view), 0, -127, 127).astype(np.int8)
        self.init(f"{name}_wq", wq)
        self.init(f"{name}_ws", s)
        self.init(f"{name}_wz", np.zeros(s.shape, np.int8))
        self.nodes.append(helper.make_node("DequantizeLinear", [f"{name}_wq", f"{name}_ws", f"{name}_wz"],
                                           [f"{name}_w"], name=f"{name}.w", axis=axis))
        return f"{name}_w", dq(wq, s.reshape(view), 0), s

    def bias(self, name, b, x_scale, w_scales):
        """An int32 bias behind DequantizeLinear at scale x_scale * w_scale."""
        s = (np.float32(x_scale) * w_scales).astype(np.float32)
        bq = np.round(b / s).astype(np.int32)
        self.init(f"{name}_bq", bq)
        self.init(f"{name}_bs", s)
        self.nodes.append(helper.make_node("DequantizeLinear", [f"{name}_bq", f"{name}_bs"], [f"{name}_b"],
                                           name=f"{name}.b", axis=0))
        return f"{name}_b", bq.astype(np.float64) * s


def cnn_model():
    """QDQ CNN: Conv (per-channel weights, int32 bias) + Relu, depthwise Conv
    + bias, Flatten, Gemm with transB (per-row weights), as quantize_static
    writes them."""
    g = Graph()
    xs, xz = 0.03, 2
    x = g.qdq("x", "in", xs, xz)
    w1 = rng.normal(0, 0.3, (8, 4, 3, 3)).astype(np.float32)
    w1n, w1f, w1s = g.weights("conv1", w1, 0)
    b1n, b1f = g.bias("conv1", rng.normal(0, 0.1, 8), xs, w1s)
    g.nodes.append(helper.make_node("Conv", [x, w1n, b1n], ["c1"], name="conv1", pads=[1, 1, 1, 1]))
    g.nodes.append(helper.make_node("Relu", ["c1"], ["r1"], name="relu1"))
    h1s, h1z = 0.04, -128
    h = g.qdq("r1", "h1", h1s, h1z)
    wd = rng.normal(0, 0.3, (8, 1, 3, 3)).astype(np.float32)
    wdn, wdf, wds = g.weights("dw", wd, 0)
    bdn, bdf = g.bias("dw", rng.normal(0, 0.1, 8), h1s, wds)
    g.nodes.append(helper.make_node("Conv", [h, wdn, bdn], ["c2"], name="dw", pads=[1, 1, 1, 1], group=8))
    h2s, h2z = 0.05, 1
    h2 = g.qdq("c2", "h2", h2s, h2z)
    g.nodes.append(helper.make_node("Flatten", [h2], ["flat"], name="flat"))
    wf = rng.normal(0, 0.05, (10, 8 * 6 * 6)).astype(np.float32)
    wfn, wff, wfs = g.weights("fc", wf, 0)
    bfn, bff = g.bias("fc", rng.normal(0, 0.1, 10), h2s, wfs)
    g.nodes.append(helper.make_node("Gemm", ["flat", wfn, bfn], ["y"], name="fc", transB=1))
    ys, yz = 0.1, 0
    out = g.qdq("y", "out", ys, yz)
    graph = helper.make_graph(g.nodes, "qdq_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 10])], g.inits)

    def forward(xv):
        a = dq(q(xv, xs, xz), xs, xz)
        a = np.maximum(conv_nchw(a, w1f, [1, 1, 1, 1]) + b1f.reshape(1, -1, 1, 1), 0)
        a = dq(q(a, h1s, h1z), h1s, h1z)
        a = conv_nchw(a, wdf, [1, 1, 1, 1], groups=8) + bdf.reshape(1, -1, 1, 1)
        a = dq(q(a, h2s, h2z), h2s, h2z)
        y = a.reshape(1, -1) @ wff.T + bff
        return dq(q(y, ys, yz), ys, yz)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), (1, 4, 6, 6), forward, 3, ys


def mlp_model():
    """QDQ MLP: MatMul with per-column weights (axis 1), int32 bias Add."""
    g = Graph()
    xs, xz = 0.02, 0
    x = g.qdq("x", "in", xs, xz)
    w = rng.normal(0, 0.2, (16, 12)).astype(np.float32)
    wn, wf, ws = g.weights("fc1", w, 1)
    bn, bf = g.bias("fc1", rng.normal(0, 0.1, 12), xs, ws)
    g.nodes.append(helper.make_node("MatMul", [x, wn], ["m"], name="fc1"))
    g.nodes.append(helper.make_node("Add", ["m", bn], ["y"], name="fc1.bias"))
    ys, yz = 0.05, -3
    out = g.qdq("y", "out", ys, yz)
    graph = helper.make_graph(g.nodes, "qdq_mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 16])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, [3, 12])], g.inits)

    def forward(xv):
        a = dq(q(xv, xs, xz), xs, xz)
        return dq(q(a @ wf + bf, ys, yz), ys, yz)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), (3, 16), forward, 1, ys


def tool(name, *args):
    r = subprocess.run([os.path.join(TOOLS, name), *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{name}: {r.stderr.strip()}")
    return r.stdout


def main():
    os.makedirs(WORK, exist_ok=True)
    failed = False
    for name, make in (("qdq_cnn", cnn_model), ("qdq_mlp", mlp_model)):
        model, shape, forward, units, out_scale = make()
        p = lambda f: os.path.join(WORK, f"{name}.{f}")
        onnx.save(model, p("onnx"))
        try:
            with open(p("mlir"), "w") as f:
                f.write(onnx_import.import_model(p("onnx")))
            tool("quant-opt", p("mlir"), "--quant-prepare-pipeline",
                 f"--quant-qat-int8-pipeline=strict=true report={p('report.json')} lower-qnn=false",
                 "-o", p("int8.mlir"))
            x = rng.normal(0, 1, shape).astype(np.float32)
            np.save(p("x.npy"), x)
            tool("quant-run", p("int8.mlir"), "--input", p("x.npy"), "--output", p("ref.npy"), "--no-progress")
            tool("quant-run", p("int8.mlir"), "--pipeline=cpu", "--input", p("x.npy"), "--output", p("cpu.npy"),
                 "--no-progress")
        except (RuntimeError, onnx_import.ImportError_) as e:
            print(f"FAIL {name}: {e}")
            failed = True
            continue
        report = json.load(open(p("report.json")))
        ref, cpu = np.load(p("ref.npy")), np.load(p("cpu.npy"))
        expected = forward(x.astype(np.float64))
        steps = np.abs(ref - expected) / out_scale
        checks = [(report["quantized"] == units and report["kept_float"] == 0,
                   f"{report['quantized']} of {units} layers INT8"),
                  (ref.tobytes() == cpu.tobytes(), "cpu pipeline bit-exact with the reference lowering"),
                  (steps.max() <= 1.0 + 1e-6, f"within {steps.max():.0f} output quantum of the NumPy QDQ graph "
                                              f"({100 * np.mean(steps < 0.5):.0f} % equal)")]
        for ok, what in checks:
            failed |= not ok
            print(f"{'ok' if ok else 'FAIL'} {name}: {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
