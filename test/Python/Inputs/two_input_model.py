"""Writes a model with two inputs (a, b) and two outputs (y, z), no
labels, and .npz files for the drivers: calib.npz and data.npz keyed by
input name, bad_keys.npz (x and w), bad_shape.npz (b of the wrong width)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)
w1 = rng.normal(0, 0.3, (8, 6)).astype(np.float32)
w2 = rng.normal(0, 0.3, (8, 4)).astype(np.float32)
nodes = [helper.make_node("MatMul", ["a", "w1"], ["m1"], name="fc_a"),
         helper.make_node("Relu", ["m1"], ["y"], name="relu_a"),
         helper.make_node("MatMul", ["b", "w2"], ["z"], name="fc_b")]
graph = helper.make_graph(nodes, "two_inputs",
                          [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 8]),
                           helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6]),
                           helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4])],
                          [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(out, "two.onnx"))
sample = lambda n: rng.normal(0, 1, (n, 8)).astype(np.float32)  # noqa: E731
# Keys in the reverse of the inputs' order: the drivers go by name.
np.savez(os.path.join(out, "calib.npz"), b=sample(16), a=sample(16))
np.savez(os.path.join(out, "data.npz"), b=sample(32), a=sample(32))
np.savez(os.path.join(out, "bad_keys.npz"), x=sample(4), w=sample(4))
np.savez(os.path.join(out, "bad_shape.npz"), a=sample(4), b=rng.normal(0, 1, (4, 5)).astype(np.float32))
