"""ONNX's own operator test cases (onnx/backend/test/case/node/*.py in
python3-onnx) for the quantized operators, run through quantopt-import ->
quant-run and compared bit for bit with ONNX's expected outputs.

Usage: onnx_conformance.py TOOLS_DIR WORK_DIR
Prints one line per case: ok / FAIL / unsupported (an importer error), and
exits 1 unless every case is ok.
"""
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
MODULES = ["quantizelinear", "dequantizelinear", "dynamicquantizelinear",
           "matmulinteger", "qlinearmatmul", "qlinearconv", "convinteger"]
cases = []


def capture(node, inputs, outputs, name, **kwargs):
    cases.append((node, inputs, outputs, name))


def build_model(node, inputs, outputs, name):
    graph_inputs, inits, feeds = [], [], []
    for input_name, value in zip(node.input, inputs):
        value = np.asarray(value)
        if "scale" in input_name or "zero_point" in input_name:
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
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), feeds


def run_case(node, inputs, outputs, name):
    model, feeds = build_model(node, inputs, outputs, name)
    path = os.path.join(WORK, name + ".onnx")
    onnx.save(model, path)
    try:
        text = onnx_import.import_model(path)
    except onnx_import.ImportError_ as e:
        return "unsupported", str(e)
    mlir = os.path.join(WORK, name + ".mlir")
    open(mlir, "w").write(text)
    npz = os.path.join(WORK, name + "-in.npz")
    np.savez(npz, **{f"in{i}": f for i, f in enumerate(feeds)})
    outs = [os.path.join(WORK, f"{name}-out{i}.npy") for i in range(len(outputs))]
    cmd = [os.path.join(TOOLS, "quant-run"), mlir, "--input", npz, "--no-progress"]
    for o in outs:
        cmd += ["--output", o]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        return "FAIL", result.stderr.strip().splitlines()[-1]
    for i, (o, want) in enumerate(zip(outs, outputs)):
        want = np.asarray(want)
        got = np.load(o)
        if got.shape != want.shape or got.dtype != want.dtype or \
                got.tobytes() != want.tobytes():
            return "FAIL", f"output {i}: got {got.reshape(-1)[:8]} want {want.reshape(-1)[:8]}"
    return "ok", ""


def main():
    os.makedirs(WORK, exist_ok=True)
    node_cases.expect = capture
    for module_name in MODULES:
        module = importlib.import_module(f"onnx.backend.test.case.node.{module_name}")
        module.expect = capture
        for attr in vars(module).values():
            if isinstance(attr, type) and attr.__module__ == module.__name__:
                for method in dir(attr):
                    if method.startswith("export"):
                        getattr(attr, method)()
    counts, seen = {}, set()
    for node, inputs, outputs, name in cases:
        if name in seen:  # a class can be reached twice
            continue
        seen.add(name)
        verdict, detail = run_case(node, inputs, outputs, name)
        counts[verdict] = counts.get(verdict, 0) + 1
        print(f"{verdict} {name}" + (f": {detail}" if detail else ""))
    print("summary: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return 0 if cases and set(counts) == {"ok"} else 1


if __name__ == "__main__":
    sys.exit(main())
