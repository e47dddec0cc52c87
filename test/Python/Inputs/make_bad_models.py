"""Writes ONNX models the importer must refuse, into the directory given."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper
import onnx

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
w = numpy_helper.from_array(np.eye(4, dtype=np.float32), "w")


def save(name, nodes, inits=()):
    model = helper.make_model(helper.make_graph(nodes, name, [x], [y], list(inits)),
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, os.path.join(out, name + ".onnx"))


save("unsupported_op", [helper.make_node("Softsign", ["x"], ["y"], name="my_softsign")])
save("bad_attribute", [helper.make_node("Gemm", ["x", "w"], ["y"], name="scaled_gemm", alpha=2.0)], [w])
save("dynamic_weight", [helper.make_node("MatMul", ["x", "x"], ["y"], name="self_product")])


def save_graph(name, nodes, inputs):
    model = helper.make_model(helper.make_graph(nodes, name, inputs, [y]),
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, os.path.join(out, name + ".onnx"))


save_graph("dynamic_slice", [helper.make_node("Slice", ["x", "s", "s"], ["y"], name="moving_slice")],
           [x, helper.make_tensor_value_info("s", TensorProto.INT64, [1])])
save_graph("ceil_pool", [helper.make_node("AveragePool", ["x"], ["y"], name="ceil_pool", kernel_shape=[3, 3],
                                          strides=[2, 2], ceil_mode=1)],
           [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])])
with open(os.path.join(out, "garbage.onnx"), "wb") as f:
    f.write(b"\x08\x07 definitely not a protobuf \xff\xff")
