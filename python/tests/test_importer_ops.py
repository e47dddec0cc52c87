"""Float operators of quantopt-import against NumPy: small ONNX models are
imported, compiled and run with quant-run, and compared with a NumPy
evaluation of the same graph.

Usage: test_importer_ops.py TOOLS_DIR WORK_DIR
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from quantopt import onnx_import  # noqa: E402

TOOLS, WORK = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(8)


def conv_nchw(x, w, b, pads, strides):
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh, ow = (h - kh) // strides[0] + 1, (wd - kw) // strides[1] + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + b.reshape(1, -1, 1, 1)


def maxpool(x, k, s):
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    return np.array([[[[x[a, b, i * s:i * s + k, j * s:j * s + k].max() for j in range(ow)]
                       for i in range(oh)] for b in range(c)] for a in range(n)])


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cnn_case():
    w = rng.normal(0, 0.5, (4, 1, 3, 3)).astype(np.float32)
    b = rng.normal(0, 0.1, 4).astype(np.float32)
    gamma, beta = rng.random(4).astype(np.float32) + 0.5, rng.normal(0, 0.1, 4).astype(np.float32)
    mean, var = rng.normal(0, 0.2, 4).astype(np.float32), rng.random(4).astype(np.float32) + 0.5
    wf = rng.normal(0, 0.3, (16, 10)).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for n, a in
             (("w", w), ("b", b), ("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var), ("wf", wf))]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["bn"], name="bn",
                              epsilon=1e-3),
             helper.make_node("Relu", ["bn"], ["r"], name="relu"),
             helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("GlobalAveragePool", ["p"], ["g"], name="gap"),
             helper.make_node("Flatten", ["p"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "wf"], ["l"], name="fc"),
             helper.make_node("Softmax", ["l"], ["y"], name="softmax")]
    x = rng.normal(0, 1, (1, 1, 4, 4)).astype(np.float32)
    c = conv_nchw(x.astype(np.float64), w.astype(np.float64), b, [1, 1, 1, 1], [1, 1])
    bn = (c - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + 1e-3) * \
        gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)
    p = maxpool(np.maximum(bn, 0), 2, 2)
    y = softmax(p.reshape(1, -1) @ wf)
    g = p.mean(axis=(2, 3), keepdims=True)
    outputs = [("y", [1, 10], y), ("g", [1, 4, 1, 1], g)]
    return "cnn_ops", nodes, inits, [("x", x)], outputs


def elementwise_case():
    x = rng.normal(0, 2, (2, 3)).astype(np.float32)
    c = rng.normal(0, 1, 3).astype(np.float32) + 3
    inits = [numpy_helper.from_array(c, "c"), numpy_helper.from_array(np.float32(-0.5), "lo"),
             numpy_helper.from_array(np.float32(0.5), "hi")]
    nodes = [helper.make_node("Add", ["x", "c"], ["a"], name="add"),
             helper.make_node("Sub", ["a", "x"], ["s"], name="sub"),
             helper.make_node("Mul", ["s", "x"], ["m"], name="mul"),
             helper.make_node("Div", ["m", "c"], ["d"], name="div"),
             helper.make_node("Sigmoid", ["d"], ["sg"], name="sigmoid"),
             helper.make_node("Tanh", ["x"], ["t"], name="tanh"),
             helper.make_node("Clip", ["t", "lo", "hi"], ["cl"], name="clip"),
             helper.make_node("Transpose", ["cl"], ["y"], name="transpose", perm=[1, 0])]
    d = ((x + c) - x) * x / c
    y = np.clip(np.tanh(x), -0.5, 0.5).T
    outputs = [("y", [3, 2], y), ("sg", [2, 3], 1 / (1 + np.exp(-d)))]
    return "elementwise_ops", nodes, inits, [("x", x)], outputs


def run(case):
    name, nodes, inits, inputs, outputs = case
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info(n, TensorProto.FLOAT, v.shape) for n, v in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s, _ in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    path = os.path.join(WORK, name + ".onnx")
    onnx.save(model, path)
    mlir = os.path.join(WORK, name + ".mlir")
    open(mlir, "w").write(onnx_import.import_model(path))
    npz = os.path.join(WORK, name + ".npz")
    np.savez(npz, **{n: v for n, v in inputs})
    cmd = [os.path.join(TOOLS, "quant-run"), mlir, "--input", npz, "--no-progress"]
    outs = [os.path.join(WORK, f"{name}-{n}.npy") for n, _, _ in outputs]
    for o in outs:
        cmd += ["--output", o]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        print(f"FAIL {name}: {result.stderr.strip()}")
        return False
    ok = True
    for (n, _, want), o in zip(outputs, outs):
        got = np.load(o)
        good = got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-5)
        print(f"{'ok' if good else 'FAIL'} {name} {n}" + ("" if good else f": max diff {np.abs(got - want).max()}"))
        ok &= good
    return ok


if __name__ == "__main__":
    os.makedirs(WORK, exist_ok=True)
    results = [run(cnn_case()), run(elementwise_case())]
    sys.exit(0 if all(results) else 1)
