"""ONNX's own operator test cases (onnx/backend/test/case/node/*.py in
python3-onnx), run through quantopt-import -> quant-run and compared with
ONNX's expected outputs.

Usage: onnx_conformance.py TOOLS_DIR WORK_DIR [--float]
Prints one line per case: ok / FAIL / unsupported (an importer error).

By default, the quantized operators: compared bit for bit, and every case
must be ok. With --float, float operators: compared with a float tolerance,
their first input a graph input and the others constants (as the importer
wants weights, axes and slice bounds); every case must be ok except the
listed EXPECTED_UNSUPPORTED ones, which must fail with an importer error.
"""
import concurrent.futures
import importlib
import os
import subprocess
import sys

import numpy as np
import onnx
import onnx.backend.test.case.node as node_cases
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from quantopt import onnx_import  # noqa: E402

TOOLS, WORK = sys.argv[1], sys.argv[2]
FLOAT = "--float" in sys.argv[3:]
MODULES = ["quantizelinear", "dequantizelinear", "dynamicquantizelinear",
           "matmulinteger", "qlinearmatmul", "qlinearconv", "convinteger"]
FLOAT_MODULES = ["conv", "maxpool", "averagepool", "gemm", "layernormalization", "reducemean", "pow", "sqrt",
                 "erf", "concat", "slice", "gather", "add", "sub", "mul", "div", "max", "min", "prelu", "relu",
                 "leakyrelu", "elu", "selu", "hardsigmoid", "hardswish", "softplus", "softsign", "sigmoid",
                 "tanh", "neg", "abs", "exp", "log", "reciprocal", "floor", "ceil", "matmul", "softmax",
                 "logsoftmax", "reshape", "squeeze", "unsqueeze", "flatten", "pad", "transpose", "identity",
                 "globalaveragepool", "globalmaxpool", "batchnorm", "clip", "convtranspose", "instancenorm",
                 "tile", "split", "reducesum", "reducemax", "reducemin", "reduceprod", "reducesumsquare", "sum",
                 "mean", "equal", "less", "greater", "less_equal", "greater_equal", "not", "and", "or", "xor",
                 "where", "cast", "expand", "dropout", "round", "sin", "cos"]
# Float cases outside the supported subset (integer, f16 and f64 data
# among them), each refused with an error.
EXPECTED_UNSUPPORTED = {
    "test_convtranspose_3d",  # only 1-D and 2-D transposed convolutions
    "test_split_zero_size_splits",  # an empty output
    "test_training_dropout_default", "test_training_dropout_default_mask", "test_training_dropout",
    "test_training_dropout_mask", "test_training_dropout_zero_ratio", "test_training_dropout_zero_ratio_mask",
    "test_maxpool_with_argmax_2d_precomputed_pads", "test_maxpool_with_argmax_2d_precomputed_strides",
    "test_maxpool_2d_uint8", "test_pow_types_int32_int32", "test_pow_types_int32_float32",
    "test_pow_types_int64_int64", "test_pow_types_int64_float32",  # integer data
    "test_slice_start_out_of_bounds",  # an empty result
    "test_add_uint8", "test_sub_uint8", "test_mul_uint8", "test_div_uint8",  # integer data
    "test_edge_pad", "test_reflect_pad", "test_clip_default_int8_min", "test_clip_default_int8_max",
    "test_clip_default_int8_inbounds",  # integer data
    "test_reshape_allowzero_reordered",  # an empty input
    "test_batchnorm_example_training_mode", "test_batchnorm_epsilon_training_mode",  # training
} | {f"test_cast_{a}_to_{b}" for a, b in (("FLOAT", "FLOAT16"), ("FLOAT", "DOUBLE"), ("FLOAT16", "FLOAT"),
    ("FLOAT16", "DOUBLE"), ("DOUBLE", "FLOAT"), ("DOUBLE", "FLOAT16"), ("FLOAT", "STRING"), ("STRING", "FLOAT"),
    ("FLOAT", "BFLOAT16"), ("BFLOAT16", "FLOAT"))  # f16, bf16, f64 and string data
} | {f"test_{op}_{t}" for op in ("max", "min")
     for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float64")}
cases = []
CHUNK = 8  # float cases per compiled model


def capture(node, inputs, outputs, name, **kwargs):
    cases.append((node, inputs, outputs, name, kwargs.get("opset_imports")))


def build_model(node, inputs, outputs, name, opsets):
    graph_inputs, inits, feeds = [], [], []
    # An omitted optional input has an empty name and no value in `inputs`
    # when a later one is given (Clip's min before max).
    named = [(i, n) for i, n in enumerate(node.input) if n]
    if len(inputs) < len(node.input):
        pairs = [(i, n, v) for (i, n), v in zip(named, inputs)]
    else:
        pairs = [(i, n, v) for i, (n, v) in enumerate(zip(node.input, inputs)) if n]
    for index, input_name, value in pairs:
        value = np.asarray(value)
        if (FLOAT and index > 0) or (not FLOAT and ("scale" in input_name or "zero_point" in input_name)):
            inits.append(numpy_helper.from_array(value, input_name))
        else:
            dtype = helper.np_dtype_to_tensor_dtype(value.dtype) if hasattr(helper, "np_dtype_to_tensor_dtype") \
                else onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[value.dtype]
            graph_inputs.append(helper.make_tensor_value_info(input_name, dtype, value.shape))
            feeds.append(value)
    graph_outputs = [helper.make_tensor_value_info(
        n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.asarray(v).dtype], np.asarray(v).shape)
        for n, v in zip(node.output, outputs)]
    graph = helper.make_graph([node], name, graph_inputs, graph_outputs, inits)
    if not opsets:
        opsets = [helper.make_opsetid("", onnx.defs.onnx_opset_version() if FLOAT else 13)]
    return helper.make_model(graph, opset_imports=opsets), feeds


def import_case(model, name):
    """MLIR text of a case's model (raises onnx_import.ImportError_)."""
    path = os.path.join(WORK, name + ".onnx")
    onnx.save(model, path)
    return onnx_import.import_model(path)


def run_mlir(text, name, feeds, count):
    """Runs @main of the MLIR text on feeds: (its `count` results, error)."""
    mlir = os.path.join(WORK, name + ".mlir")
    open(mlir, "w").write(text)
    npz = os.path.join(WORK, name + "-in.npz")
    np.savez(npz, **{f"in{i}": f for i, f in enumerate(feeds)})
    outs = [os.path.join(WORK, f"{name}-out{i}.npy") for i in range(count)]
    cmd = [os.path.join(TOOLS, "quant-run"), mlir, "--input", npz, "--no-progress"]
    for o in outs:
        cmd += ["--output", o]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        return None, result.stderr.strip().splitlines()[-1]
    return [np.load(o) for o in outs], ""


def compare(got, outputs):
    for i, (g, want) in enumerate(zip(got, outputs)):
        want = np.asarray(want)
        if FLOAT:
            good = g.shape == want.shape and np.allclose(g, want, rtol=1e-4, atol=1e-5)
        else:
            good = g.shape == want.shape and g.dtype == want.dtype and g.tobytes() == want.tobytes()
        if not good:
            return "FAIL", f"output {i}: got {g.reshape(-1)[:8]} want {want.reshape(-1)[:8]}"
    return "ok", ""


def run_case(node, inputs, outputs, name, opsets):
    model, feeds = build_model(node, inputs, outputs, name, opsets)
    try:
        text = import_case(model, name)
    except onnx_import.ImportError_ as e:
        return "unsupported", str(e)
    got, error = run_mlir(text, name, feeds, len(outputs))
    return ("FAIL", error) if got is None else compare(got, outputs)


def run_merged(cases, tag):
    """Verdicts of cases the importer supports, compiled and run as one
    model (one node per case, its values renamed '<case>/<value>'): one JIT
    compilation for all of them."""
    nodes, graph_inputs, graph_outputs, inits, all_feeds = [], [], [], [], []
    for node, inputs, outputs, name, opsets in cases:
        model, feeds = build_model(node, inputs, outputs, name, opsets)
        graph = model.graph
        all_feeds += feeds
        merged = onnx.NodeProto()
        merged.CopyFrom(graph.node[0])
        merged.name = name
        for field in (merged.input, merged.output):
            renamed = [f"{name}/{v}" if v else v for v in field]
            del field[:]
            field.extend(renamed)
        nodes.append(merged)
        for source, target in ((graph.input, graph_inputs), (graph.output, graph_outputs),
                               (graph.initializer, inits)):
            for value in source:
                copy = type(value)()
                copy.CopyFrom(value)
                copy.name = f"{name}/{value.name}"
                target.append(copy)
    opsets = cases[0][4] or [helper.make_opsetid("", onnx.defs.onnx_opset_version())]
    model = helper.make_model(helper.make_graph(nodes, "merged", graph_inputs, graph_outputs, inits),
                              opset_imports=opsets)
    got, error = run_mlir(import_case(model, tag), tag, all_feeds, len(graph_outputs))
    verdicts, first = [], 0
    for _, _, outputs, _, _ in cases:
        verdicts.append(("FAIL", error) if got is None else compare(got[first:first + len(outputs)], outputs))
        first += len(outputs)
    return verdicts


def main():
    os.makedirs(WORK, exist_ok=True)
    node_cases.expect = capture
    for module_name in FLOAT_MODULES if FLOAT else MODULES:
        module = importlib.import_module(f"onnx.backend.test.case.node.{module_name}")
        module.expect = capture
        for attr in vars(module).values():
            if isinstance(attr, type) and attr.__module__ == module.__name__:
                for method in dir(attr):
                    if method.startswith("export"):
                        getattr(attr, method)()
    counts, seen = {}, set()
    unique = []
    for case in cases:
        if case[3] not in seen:  # a class can be reached twice
            seen.add(case[3])
            unique.append(case)
    if FLOAT:
        verdicts, supported = {}, []
        for case in unique:
            try:
                import_case(build_model(*case)[0], case[3])
                supported.append(case)
            except onnx_import.ImportError_ as e:
                verdicts[case[3]] = ("unsupported", str(e))
        # A few cases per model keep the compile time of each small; the
        # models compile and run in parallel.
        # Cases of one opset per model (a case may name an older one).
        by_opset = {}
        for case in supported:
            by_opset.setdefault(str(case[4]), []).append(case)
        chunks = [group[i:i + CHUNK] for group in by_opset.values() for i in range(0, len(group), CHUNK)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
            for chunk, chunk_verdicts in zip(chunks, pool.map(lambda c: run_merged(c[1], f"merged{c[0]}"),
                                                              enumerate(chunks))):
                verdicts.update(zip([case[3] for case in chunk], chunk_verdicts))
        verdicts = [verdicts[case[3]] for case in unique]
    else:
        # Cases are independent: compile and run them in parallel.
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
            verdicts = list(pool.map(lambda case: run_case(*case), unique))
    bad = []
    for (_, _, _, name, _), (verdict, detail) in zip(unique, verdicts):
        counts[verdict] = counts.get(verdict, 0) + 1
        print(f"{verdict} {name}" + (f": {detail}" if detail else ""))
        expected = "unsupported" if FLOAT and name in EXPECTED_UNSUPPORTED else "ok"
        if verdict != expected:
            bad.append(name)
    print("summary: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    if bad:
        print("unexpected: " + ", ".join(bad))
    return 0 if cases and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
