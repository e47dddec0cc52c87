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


save("unsupported_op", [helper.make_node("Hardmax", ["x"], ["y"], name="my_hardmax")])
save("bad_attribute", [helper.make_node("Gemm", ["x", "w"], ["y"], name="scaled_gemm", transB=2)], [w])
save("mismatched_product", [helper.make_node("MatMul", ["x", "x"], ["y"], name="self_product")])


def save_graph(name, nodes, inputs):
    model = helper.make_model(helper.make_graph(nodes, name, inputs, [y]),
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, os.path.join(out, name + ".onnx"))


save_graph("dynamic_slice", [helper.make_node("Slice", ["x", "s", "s"], ["y"], name="moving_slice")],
           [x, helper.make_tensor_value_info("s", TensorProto.INT64, [1])])
save_graph("pool_4d", [helper.make_node("AveragePool", ["x"], ["y"], name="pool_4d", kernel_shape=[2, 2, 2, 2])],
           [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4, 4, 4])])
# A run-time zero point per row of A: MatMulInteger's run-time form takes
# one zero point for all of A.
save_graph("row_zero_points", [helper.make_node("MatMulInteger", ["a", "b", "za"], ["y"], name="mmi")],
           [helper.make_tensor_value_info("a", TensorProto.UINT8, [2, 3]),
            helper.make_tensor_value_info("b", TensorProto.UINT8, [3, 2]),
            helper.make_tensor_value_info("za", TensorProto.UINT8, [2])])
save_graph("symbolic_dim", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
           [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "sequence"])])
with open(os.path.join(out, "garbage.onnx"), "wb") as f:
    f.write(b"\x08\x07 definitely not a protobuf \xff\xff")


# Malformed models of the robustness run (issue 13, item 4): each must be
# refused with a one-line error, never a traceback or invalid MLIR.
def save_model(name, nodes, inputs, inits=(), outputs=None, opset=13):
    # The importer derives result types itself: the declared output shape
    # is a placeholder (the checker wants one).
    outputs = outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])]
    model = helper.make_model(helper.make_graph(nodes, name, inputs, outputs, list(inits)),
                              opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, os.path.join(out, name + ".onnx"))


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


image = value("x", [1, 1, 3, 3])
conv_w = const("w", np.ones((1, 1, 2, 2), np.float32))
# An initializer whose dims say 16 values, its data holding 12.
short = const("w", np.ones(12, np.float32))
short.dims[:] = [4, 4]
save("init_dims", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [short])
save_model("conv_stride0", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", strides=[0, 1])],
           [image], [conv_w])
save_model("bad_perm", [helper.make_node("Transpose", ["x"], ["y"], name="tr", perm=[0, 0, 3, 1])], [image])
save_model("concat_axis7", [helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=7)], [image])
save_model("negative_dim", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [value("x", [1, -3])])
save_model("big_kernel", [helper.make_node("Conv", ["x", "w5"], ["y"], name="conv")], [image],
           [const("w5", np.ones((1, 1, 5, 5), np.float32))])
save_model("flatten_axis9", [helper.make_node("Flatten", ["x"], ["y"], name="flat", axis=9)], [image])
for label, scale in (("zero", 0.0), ("nan", np.nan), ("negative", -0.5)):
    save_model(f"scale_{label}", [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["y"], name="quant")],
               [value("x", [1, 4])], [const("s", np.float32(scale)), const("zp", np.uint8(128))],
               [value("y", [1, 4], TensorProto.UINT8)])
save_model("bn_length", [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"], name="bn")],
           [value("x", [1, 4, 2, 2])],
           [const(n, np.ones(3 if n == "g" else 4, np.float32)) for n in ("g", "b", "m", "v")])
# A node name that, pasted into the MLIR text unescaped, ends the location
# string and @main with it: @main would return its argument, the Relu
# moved into another function.
INJECTED = ('r")\n  return %arg0 : tensor<1x4xf32> // \\\n}\nfunc.func @rest(%arg0: tensor<1x4xf32>) -> '
            '(tensor<1x4xf32>) {\n  %r2 = tensor.empty() : tensor<1x4xf32> loc("')
save_model("injected_name", [helper.make_node("Relu", ["x"], ["y"], name=INJECTED)], [value("x", [1, 4])])
save_model("good", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [value("x", [1, 4])])
