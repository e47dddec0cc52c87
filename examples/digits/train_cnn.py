"""Trains the bundled digits CNN with NumPy and writes
examples/digits/digits_cnn.onnx: Conv 3x3 (1 -> 8, pad 1) + ReLU, MaxPool 2x2,
Flatten, Gemm (128 -> 10). Plain mini-batch SGD with momentum, fixed seed:
reproducible, no framework needed. Run with /usr/bin/python3.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(__file__))
from data import load_split  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
C = 8


def im2col(x):
    """x: N x 1 x 8 x 8 -> N x 64 x 9 patches of the zero-padded image."""
    xp = np.pad(x[:, 0], ((0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, i:i + 8, j:j + 8] for i in range(3) for j in range(3)], axis=-1)
    return cols.reshape(x.shape[0], 64, 9)


def forward(params, x):
    w, b, wf, bf = params
    cols = im2col(x)                                  # N x 64 x 9
    conv = cols @ w.reshape(C, 9).T + b               # N x 64 x C
    relu = np.maximum(conv, 0)
    r = relu.reshape(-1, 4, 2, 4, 2, C)               # (h/2, 2, w/2, 2)
    pooled = r.max(axis=(2, 4))                       # N x 4 x 4 x C
    flat = pooled.transpose(0, 3, 1, 2).reshape(len(x), -1)  # NCHW flatten order
    return cols, conv, relu, pooled, flat, flat @ wf + bf


def train():
    x_train, y_train, x_test, y_test = load_split()
    x_train = x_train.reshape(-1, 1, 8, 8)
    x_test = x_test.reshape(-1, 1, 8, 8)
    rng = np.random.default_rng(0)
    params = [rng.normal(0, 0.3, (C, 1, 3, 3)), np.zeros(C),
              rng.normal(0, 0.1, (C * 16, 10)), np.zeros(10)]
    velocity = [np.zeros_like(p) for p in params]
    for epoch in range(40):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), 32):
            idx = order[start:start + 32]
            x, y = x_train[idx], y_train[idx]
            cols, conv, relu, pooled, flat, logits = forward(params, x)
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(y)), y] -= 1
            g_logits = p / len(y)
            g_wf, g_bf = flat.T @ g_logits, g_logits.sum(0)
            g_pooled = (g_logits @ params[2].T).reshape(len(x), C, 4, 4).transpose(0, 2, 3, 1)
            r = relu.reshape(-1, 4, 2, 4, 2, C)
            mask = r == pooled[:, :, None, :, None, :]
            g_relu = (mask * g_pooled[:, :, None, :, None, :]).reshape(len(x), 64, C)
            g_conv = g_relu * (conv > 0)
            g_w = np.einsum("npc,npk->ck", g_conv, cols).reshape(C, 1, 3, 3)
            g_b = g_conv.sum((0, 1))
            for i, g in enumerate((g_w, g_b, g_wf, g_bf)):
                velocity[i] = 0.9 * velocity[i] - 0.05 * (g + 1e-4 * params[i])
                params[i] = params[i] + velocity[i]
    accuracy = np.mean(forward(params, x_test)[-1].argmax(1) == y_test)
    print(f"float test accuracy: {accuracy:.4f}")
    return [p.astype(np.float32) for p in params]


def export(params):
    w, b, wf, bf = params
    inits = [numpy_helper.from_array(a, n) for n, a in
             (("conv.weight", w), ("conv.bias", b), ("fc.weight", wf), ("fc.bias", bf))]
    nodes = [helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="conv",
                              pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c"], ["r"], name="conv.relu"),
             helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], name="fc")]
    graph = helper.make_graph(
        nodes, "digits_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="quantopt-examples")
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, "digits_cnn.onnx"))


if __name__ == "__main__":
    export(train())
