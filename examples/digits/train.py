"""Trains the bundled digits MLP and writes examples/digits/digits_mlp.onnx.

The data are the 8x8 handwritten digits bundled with Debian's python3-sklearn
(no download); the split and seeds are fixed, so the file is reproducible.
Run with /usr/bin/python3: python3 examples/digits/train.py
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, os.path.dirname(__file__))
from data import load_split  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    x_train, y_train, x_test, y_test = load_split()
    clf = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", random_state=0,
                        max_iter=600, alpha=1e-3)
    clf.fit(x_train, y_train)
    print(f"float test accuracy: {clf.score(x_test, y_test):.4f}")
    (w1, w2), (b1, b2) = clf.coefs_, clf.intercepts_
    inits = [numpy_helper.from_array(a.astype(np.float32), name)
             for name, a in (("fc1.weight", w1), ("fc1.bias", b1), ("fc2.weight", w2), ("fc2.bias", b2))]
    nodes = [
        helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], name="fc1"),
        helper.make_node("Relu", ["h"], ["h_relu"], name="fc1.relu"),
        helper.make_node("Gemm", ["h_relu", "fc2.weight", "fc2.bias"], ["logits"], name="fc2"),
    ]
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="quantopt-examples")
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, "digits_mlp.onnx"))


if __name__ == "__main__":
    main()
