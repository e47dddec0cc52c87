"""Robustness of quantopt-import: malformed and mutated ONNX models must be
imported into MLIR that quant-opt parses and verifies, or refused with a
one-line error (exit code 1); never a traceback, another exit code, or an
internal error. The models are the valid ones of test_importer_ops.py (and
a small Q/DQ model), mutated deterministically: attributes, dims, perms,
axes, scales, zero points, inputs, names. Mutations the ONNX spec forbids
must be refused. Node and value names full of quotes, backslashes and
newlines must reach the MLIR escaped, every op kept.

Usage: test_importer_robustness.py QUANT_OPT WORK_DIR [--rounds N]
(N rounds of every mutation on every model; 1 by default)
"""
import concurrent.futures
import copy
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from quantopt.onnx import mlir_string, supported_ops  # noqa: E402

QUANT_OPT, WORK = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 1
IMPORT = os.path.join(HERE, "..", "bin", "quantopt-import")
argv, sys.argv = sys.argv, [sys.argv[0], "unused-tools-dir", WORK]
sys.path.insert(0, HERE)
import test_importer_ops as ops  # noqa: E402  (its case generators)
sys.argv = argv
rng = np.random.default_rng(13)

# Names that end an MLIR string, start a comment, or add lines when pasted.
NASTY = ['a")\n  return %arg0 : tensor<1xf32>\n}\nfunc.func @x(%arg0: tensor<1xf32>) -> (tensor<1xf32>) { loc("',
         'q"uote', 'back\\slash', 'new\nline\r\t', '// comment', '\u00e9t\u00e9 \u2713', '\\22', '%v1 = "']


def build(case):
    name, nodes, inits, inputs, outputs = case[:5]
    opset = case[5] if len(case) > 5 else 13
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info(n, ops.tensor_type(v), v.shape) for n, v in inputs],
        [helper.make_tensor_value_info(n, ops.tensor_type(v) if v.dtype.kind in "iu" else TensorProto.FLOAT, s)
         for n, s, v in outputs], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def qdq_case():
    """QuantizeLinear / DequantizeLinear (per tensor, and per axis on a
    constant), QLinearConv with per-channel weights and a bias,
    DynamicQuantizeLinear; Constant, Reshape and Identity."""
    c = {"xs": np.float32(0.05), "xzp": np.uint8(128), "w": rng.integers(-127, 128, (3, 2, 3, 3)).astype(np.int8),
         "ws": np.array([0.01, 0.02, 0.03], np.float32), "wzp": np.zeros(3, np.int8), "ys": np.float32(0.1),
         "yzp": np.uint8(120), "bias": np.array([5, -3, 0], np.int32)}
    inits = [numpy_helper.from_array(np.asarray(v), n) for n, v in c.items()]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xzp"], ["q"], name="quant"),
             helper.make_node("DequantizeLinear", ["q", "xs", "xzp"], ["dq"], name="dequant"),
             helper.make_node("Relu", ["dq"], ["y"], name="relu"),
             helper.make_node("QLinearConv", ["q", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp", "bias"], ["qc"],
                              name="qconv", pads=[1, 1, 1, 1], strides=[1, 2]),
             helper.make_node("DequantizeLinear", ["w", "ws", "wzp"], ["wf"], name="dequant_w", axis=0),
             helper.make_node("Constant", [], ["shape"], name="shape",
                              value=numpy_helper.from_array(np.array([1, -1], np.int64))),
             helper.make_node("Reshape", ["y", "shape"], ["flat"], name="reshape"),
             helper.make_node("Identity", ["flat"], ["same"], name="identity"),
             helper.make_node("DynamicQuantizeLinear", ["same"], ["dq8", "dscale", "dzp"], name="dynamic")]
    x = np.zeros((1, 2, 4, 4), np.float32)
    outputs = [("y", [1, 2, 4, 4], x), ("qc", [1, 3, 4, 2], np.zeros((1, 3, 4, 2), np.uint8)),
               ("wf", [3, 2, 3, 3], np.zeros((3, 2, 3, 3), np.float32)), ("dq8", [1, 32], np.zeros((1, 32), np.uint8))]
    return "qdq_ops", nodes, inits, [("x", x)], outputs, 13


def activation_case():
    """The unary activations and math ops, PRelu, variadic Max and Min."""
    chain = ["LeakyRelu", "Elu", "Selu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Neg", "Abs", "Exp",
             "Log", "Reciprocal", "Floor", "Ceil"]
    nodes, cur = [], "x"
    for i, op in enumerate(chain):
        nodes.append(helper.make_node(op, [cur], [f"u{i}"], name=op.lower()))
        cur = f"u{i}"
    inits = [numpy_helper.from_array(np.full((4,), 0.25, np.float32), "slope")]
    nodes += [helper.make_node("PRelu", [cur, "slope"], ["p"], name="prelu"),
              helper.make_node("Max", ["p", "x", cur], ["mx"], name="max"),
              helper.make_node("Min", ["mx", "x"], ["y"], name="min")]
    x = np.zeros((2, 4), np.float32)
    return "activation_ops", nodes, inits, [("x", x)], [("y", [2, 4], x)], 14


def resize_case():
    """Resize (nearest from scales, linear from sizes) at opset 13."""
    inits = [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"),
             numpy_helper.from_array(np.array([1, 1, 3, 5], np.int64), "sizes")]
    nodes = [helper.make_node("Resize", ["x", "", "scales"], ["n"], name="nearest", mode="nearest"),
             helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], name="linear", mode="linear",
                              coordinate_transformation_mode="align_corners")]
    x = np.zeros((1, 1, 2, 3), np.float32)
    return "resize_ops", nodes, inits, [("x", x)], [("n", [1, 1, 4, 6], np.zeros((1, 1, 4, 6))),
                                                    ("y", [1, 1, 3, 5], np.zeros((1, 1, 3, 5)))], 13


def upsample_case():
    """Upsample (opset 9: the scales as an input)."""
    inits = [numpy_helper.from_array(np.array([1, 1, 2, 3], np.float32), "scales")]
    nodes = [helper.make_node("Upsample", ["x", "scales"], ["y"], name="upsample", mode="nearest")]
    x = np.zeros((1, 1, 2, 2), np.float32)
    return "upsample_ops", nodes, inits, [("x", x)], [("y", [1, 1, 4, 6], np.zeros((1, 1, 4, 6)))], 9


BASES = [build(case()) for case in (ops.cnn_case, ops.elementwise_case, ops.transformer_case, ops.pool_slice_case,
                                    ops.gather_case, ops.grouped_conv_case, ops.integer_case, qdq_case,
                                    activation_case, ops.activation_matmul_case, ops.window_1d_case,
                                    ops.mask_case, ops.layers_case, resize_case, upsample_case)]

# Inputs that are scales and zero points, by op type.
SCALES = {"QuantizeLinear": [1], "DequantizeLinear": [1], "QLinearMatMul": [1, 4, 6], "QLinearConv": [1, 4, 6]}
ZERO_POINTS = {"QuantizeLinear": [2], "DequantizeLinear": [2], "QLinearMatMul": [2, 5, 7],
               "QLinearConv": [2, 5, 7], "MatMulInteger": [2, 3], "ConvInteger": [2, 3]}


def pick(items):
    return items[int(rng.integers(len(items)))] if items else None


def initializer(model, name):
    return next((i for i in model.graph.initializer if i.name == name), None)


def set_initializer(model, name, array):
    init = initializer(model, name)
    init.CopyFrom(numpy_helper.from_array(np.asarray(array), name))


def attributes(model, kind):
    return [(node, a) for node in model.graph.node for a in node.attribute if a.type == kind]


# --- mutations: each returns (label, expectation) or None when it does not
# apply; expectation "error": the spec forbids it, "any": may be valid.
def bad_int(model):
    found = pick(attributes(model, onnx.AttributeProto.INT))
    if found is None:
        return None
    node, a = found
    a.i = int(pick([0, -1, -2, 2, 7, 1000]))
    return f"{node.op_type}.{a.name}={a.i}", "any"


def bad_ints(model):
    found = pick(attributes(model, onnx.AttributeProto.INTS))
    if found is None:
        return None
    node, a = found
    values = list(a.ints)
    how = pick(["zero", "negative", "huge", "drop", "extra"])
    if how == "drop" and values:
        values.pop()
    elif how == "extra":
        values.append(1)
    elif values:
        values[int(rng.integers(len(values)))] = {"zero": 0, "negative": -3, "huge": 99}[how]
    del a.ints[:]
    a.ints.extend(values)
    return f"{node.op_type}.{a.name}={values}", "any"


def forbidden_window(model):
    nodes = [n for n in model.graph.node if n.op_type in ("Conv", "QLinearConv", "ConvInteger", "MaxPool",
                                                         "AveragePool")]
    node = pick(nodes)
    if node is None:
        return None
    name, values = pick([("strides", [0, 1]), ("strides", [1, -2]), ("dilations", [0, 1]), ("pads", [0, -1, 0, 0]),
                         ("kernel_shape", [9, 9]), ("strides", [1, 1, 1])])
    if name == "dilations" and node.op_type == "AveragePool":
        name = "strides"
    for a in list(node.attribute):
        if a.name == name:
            node.attribute.remove(a)
    node.attribute.append(helper.make_attribute(name, values))
    return f"{node.op_type}.{name}={values}", "error"


def forbidden_axis(model):
    nodes = [n for n in model.graph.node if n.op_type in ("Concat", "Gather", "Flatten", "LayerNormalization",
                                                         "Softmax")]
    node = pick(nodes)
    if node is None:
        return None
    value = int(pick([9, -9, 17]))
    for a in list(node.attribute):
        if a.name == "axis":
            node.attribute.remove(a)
    node.attribute.append(helper.make_attribute("axis", value))
    return f"{node.op_type}.axis={value}", "error"


def bad_perm(model):
    nodes = [n for n in model.graph.node if n.op_type == "Transpose"]
    node = pick(nodes)
    if node is None:
        return None
    perm = pick([[0, 0], [1, 2], [-1, 0], [1]])
    for a in list(node.attribute):
        if a.name == "perm":
            node.attribute.remove(a)
    node.attribute.append(helper.make_attribute("perm", perm))
    return f"Transpose.perm={perm}", "error"


def init_dims(model):
    init = pick([i for i in model.graph.initializer if len(i.dims) >= 1])
    if init is None:
        return None
    dims = list(init.dims)
    how = pick(["more", "fewer", "negative"])
    if how == "more":
        dims[0] += 1
    elif how == "fewer":
        dims = dims[:-1] + [dims[-1] + 2] if len(dims) > 1 else [dims[0] + 3]
    else:
        dims[0] = -dims[0]
    del init.dims[:]
    init.dims.extend(dims)
    return f"initializer {init.name} dims {dims}", "error"


def same_size_dims(model):
    init = pick([i for i in model.graph.initializer if len(i.dims) >= 2])
    if init is None:
        return None
    dims = list(reversed(init.dims))
    del init.dims[:]
    init.dims.extend(dims)
    return f"initializer {init.name} dims {dims}", "any"


def input_dim(model):
    inp = pick(list(model.graph.input))
    dim = pick(list(inp.type.tensor_type.shape.dim))
    if dim is None:
        return None
    dim.dim_value = int(pick([-1, -4, 0]))
    return f"input {inp.name} dim {dim.dim_value}", "error"


def scale(model):
    places = [(n, i) for n in model.graph.node for i in SCALES.get(n.op_type, [])
              if i < len(n.input) and initializer(model, n.input[i]) is not None]
    found = pick(places)
    if found is None:
        return None
    node, i = found
    old = numpy_helper.to_array(initializer(model, node.input[i]))
    new = np.full(old.shape, pick([0.0, -1.0, np.nan, np.inf, 1e-46]), np.float32)
    set_initializer(model, node.input[i], new)
    return f"{node.op_type} scale {node.input[i]}={new.reshape(-1)[0]}", "error"


def zero_point(model):
    places = [(n, i) for n in model.graph.node for i in ZERO_POINTS.get(n.op_type, [])
              if i < len(n.input) and n.input[i] and initializer(model, n.input[i]) is not None]
    found = pick(places)
    if found is None:
        return None
    node, i = found
    old = numpy_helper.to_array(initializer(model, node.input[i]))
    new = pick([old.astype(np.int32), old.astype(np.int8 if old.dtype == np.uint8 else np.uint8),
                np.zeros((7,), old.dtype)])
    set_initializer(model, node.input[i], new)
    return f"{node.op_type} zero point {node.input[i]} {new.dtype}{list(new.shape)}", "any"


def bn_params(model):
    node = pick([n for n in model.graph.node if n.op_type == "BatchNormalization"])
    if node is None:
        return None
    name = node.input[int(rng.integers(1, 5))]
    set_initializer(model, name, np.ones(pick([1, 3, 9]), np.float32))
    return f"BatchNormalization {name} length", "error"


def drop_input(model):
    node = pick([n for n in model.graph.node if len(n.input) > 1])
    if node is None:
        return None
    i = int(rng.integers(len(node.input)))
    old = node.input[i]
    node.input[i] = ""
    return f"{node.op_type} input {i} ({old}) dropped", "any"


def swap_inputs(model):
    node = pick([n for n in model.graph.node if len(n.input) > 1])
    if node is None:
        return None
    node.input[0], node.input[1] = node.input[1], node.input[0]
    return f"{node.op_type} inputs swapped", "any"


def nan_data(model):
    init = pick([i for i in model.graph.initializer if i.data_type == TensorProto.FLOAT])
    if init is None:
        return None
    old = numpy_helper.to_array(init)
    set_initializer(model, init.name, np.full(old.shape, pick([np.nan, np.inf, -np.inf]), np.float32))
    return f"initializer {init.name} non-finite", "any"


def unknown_attribute(model):
    node = pick(list(model.graph.node))
    node.attribute.append(helper.make_attribute("bogus", 1))
    return f"{node.op_type}.bogus", "error"


MUTATIONS = [bad_int, bad_ints, forbidden_window, forbidden_axis, bad_perm, init_dims, same_size_dims, input_dim,
             scale, zero_point, bn_params, drop_input, swap_inputs, nan_data, unknown_attribute]


def renamed(model):
    """The model with every node and value name replaced by a nasty one
    (the same throughout the graph)."""
    model = copy.deepcopy(model)
    names = {}

    def rename(name):
        if name and name not in names:
            names[name] = f"{pick(NASTY)}{len(names)}"
        return names.get(name, name)
    g = model.graph
    for node in g.node:
        node.name = f"{pick(NASTY)}n{len(names)}"
        for field in (node.input, node.output):
            new = [rename(n) for n in field]
            del field[:]
            field.extend(new)
    for values in (g.input, g.output, g.initializer):
        for v in values:
            v.name = rename(v.name)
    return model


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def check(name, model, expect):
    """Problems of importing the model (an empty list when it behaves)."""
    path = os.path.join(WORK, name + ".onnx")
    mlir = os.path.join(WORK, name + ".mlir")
    onnx.save(model, path)
    result = run([IMPORT, path, "-o", mlir])
    err = result.stderr
    if "Traceback" in err:
        return [f"traceback:\n{err}"], None
    if result.returncode not in (0, 1):
        return [f"exit code {result.returncode}: {err.strip()}"], None
    if result.returncode == 1:
        lines = err.splitlines()
        if len(lines) != 1 or not lines[0].startswith("quantopt-import: error: "):
            return [f"not a one-line error: {err!r}"], None
        if "internal error" in err:
            return [f"internal error: {lines[0]}"], None
        return [], lines[0]
    problems = []
    if err:
        problems.append(f"imported with messages: {err.strip()}")
    if expect == "error":
        problems.append("imported, but the ONNX spec forbids it")
    parsed = run([QUANT_OPT, "--verify-each", mlir, "-o", "/dev/null"])
    if parsed.returncode:
        problems.append(f"quant-opt rejects the MLIR: {parsed.stderr.strip().splitlines()[0]}")
    return problems, None


def check_renamed(name, model):
    """A renamed valid model: imports, parses, keeps every op, its names
    escaped (quant-opt prints them back the same)."""
    problems, error = check(name, model, "any")
    if error:
        return [f"refused: {error}"]
    if problems:
        return problems
    text = open(os.path.join(WORK, name + ".mlir")).read()
    if sum(line.startswith("func.func") for line in text.splitlines()) != 1:
        problems.append("more than one function")
    for node in model.graph.node:
        if node.op_type not in ("Constant", "Identity", "Dropout") and f'loc("{mlir_string(node.name)}' not in text:
            problems.append(f"no escaped location of {node.name!r}")
    printed = run([QUANT_OPT, "--verify-each", "--mlir-print-debuginfo", os.path.join(WORK, name + ".mlir")])
    if printed.returncode:
        return problems + [f"quant-opt rejects the MLIR: {printed.stderr.strip()}"]
    for node in model.graph.node:
        if f'loc("{mlir_string(node.name)}' in text and f'"{mlir_string(node.name)}' not in printed.stdout:
            problems.append(f"quant-opt reads the location of {node.name!r} differently")
    return problems


def injected_relu():
    """The node name of make_bad_models.py's injection case on a Relu:
    after import and canonicalization the Relu must still compute @main's
    result."""
    name = NASTY[0]
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name=name)], "injected",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    problems = check_renamed("injected_relu", model)
    canon = run([QUANT_OPT, "--canonicalize", os.path.join(WORK, "injected_relu.mlir")])
    if "arith.maximumf" not in canon.stdout:
        problems.append("the Relu vanished")
    return problems


def main():
    os.makedirs(WORK, exist_ok=True)
    # Every registered operator is in a model that gets mutated.
    untested = sorted(set(supported_ops()) - {n.op_type for base in BASES for n in base.graph.node})
    if untested:
        print(f"FAIL operators without a model to mutate: {', '.join(untested)}")
    jobs = []
    for round in range(ROUNDS):
        for base in BASES:
            onnx.checker.check_model(base)
            for mutation in MUTATIONS:
                model = copy.deepcopy(base)
                applied = mutation(model)
                if applied:
                    label, expect = applied
                    suffix = f"-{round}" if ROUNDS > 1 else ""
                    jobs.append((f"{base.graph.name}-{mutation.__name__}{suffix}", label, model, expect))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = list(pool.map(lambda j: check(j[0], j[2], j[3]), jobs))
        renames = list(pool.map(lambda b: check_renamed(f"{b.graph.name}-renamed", renamed(b)), BASES))
    bad, counts = len(untested), {"imported": 0, "refused by the ONNX checker": 0, "refused": 0}
    for (name, label, _, _), (problems, error) in zip(jobs, verdicts):
        if problems:
            bad += 1
            print(f"FAIL {name} ({label}): " + "; ".join(problems))
        elif error is None:
            counts["imported"] += 1
        else:
            counts["refused by the ONNX checker" if "is not a valid ONNX model" in error else "refused"] += 1
    for base, problems in zip(BASES, renames):
        print(f"{'FAIL' if problems else 'ok'} renamed {base.graph.name}" +
              (": " + "; ".join(problems) if problems else ""))
        bad += bool(problems)
    problems = injected_relu()
    print(f"{'FAIL' if problems else 'ok'} injected name keeps the Relu" + (": " + "; ".join(problems) if problems
                                                                            else ""))
    bad += bool(problems)
    print(f"{len(jobs)} mutated models: " + ", ".join(f"{v} {k}" for k, v in counts.items()) +
          f"; {len(supported_ops())} operators registered")
    print("ALL OK" if not bad else f"{bad} FAILED")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
