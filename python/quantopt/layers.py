"""Per-layer error of static INT8: which layers lose accuracy, and where.

One instrumented run measures every layer twice (quant-compare-layers):

- accumulated error: the layer's output in the INT8 model against FP32,
  everything before it quantized too;
- local error: the layer alone in INT8, fed with the FP32 model's inputs
  (what this layer adds; what the mixed-precision search ranks by).

The layers are the ONNX nodes with the activation / batch norm / bias that
quant-fuse-layers merges into them, named after the first node.
"""
import collections
import json
import os

import numpy as np

from . import driver as d
from . import onnx_import

# Nodes that only rename or reshape values are no layer of their own.
_MOVES = {"Constant", "Identity", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose"}
# What quant-fuse-layers merges into the layer before it.
_EPILOGUES = {"Relu", "Clip", "BatchNormalization"}


def layer_probes(graph):
    """One (name, ops, value) per float layer of an ONNX graph: a node with
    the activation / batch norm / bias that quant-fuse-layers merges into it,
    and the value the last of them computes. Names are the node names the
    importer uses (its own for unnamed nodes)."""
    consts = {i.name for i in graph.initializer}
    consts |= {o for n in graph.node if n.op_type == "Constant" for o in n.output}
    outputs = {o.name for o in graph.output}
    users = collections.defaultdict(list)
    for node in graph.node:
        for name in node.input:
            users[name].append(node)

    def epilogue(node, previous_op):
        if node.op_type in _EPILOGUES:
            return True
        # MatMul + Add of a constant: the bias.
        return node.op_type == "Add" and previous_op == "MatMul" and any(i in consts for i in node.input)

    probes, merged = [], set()
    for index, node in enumerate(graph.node):
        name = node.name or f"{node.op_type}_{index}"
        if id(node) in merged or node.op_type in _MOVES or "Quantize" in node.op_type or \
                "Integer" in node.op_type or node.op_type.startswith("QLinear"):
            continue
        ops, value = [node.op_type], node.output[0]
        while value not in outputs and len(users[value]) == 1 and epilogue(users[value][0], ops[-1]):
            merged.add(id(users[value][0]))
            ops.append(users[value][0].op_type)
            value = users[value][0].output[0]
        probes.append((name, "+".join(ops), value))
    return probes


def model_probes(onnx_path):
    """The layers of the model whose outputs the imported code computes as
    f32 tensors (not constants folded on import), and the order of the
    results a module importing them with --expose returns: the graph
    outputs, then the exposed values that are not outputs."""
    graph = d.load_onnx(onnx_path).graph
    computed = onnx_import.float_values(onnx_path)
    probes = [p for p in layer_probes(graph) if p[2] in computed]
    outputs = [o.name for o in graph.output]
    results = outputs + [v for v in dict.fromkeys(v for _, _, v in probes) if v not in outputs]
    return probes, results


def _errors(reference, test):
    reference = reference.astype(np.float64)
    err = np.abs(reference - test)
    energy = float(np.sum(reference ** 2))
    noise = float(np.sum(err ** 2))
    sqnr = 10 * np.log10(energy / noise) if noise > 0 else float("inf")
    rel = float(np.sqrt(noise / max(energy, 1e-30)))
    return sqnr, rel, float(err.max()) if err.size else 0.0


def compare_layers(onnx_path, inst, stats, opts, inputs, work, probes, results, report=None):
    """Quantizes the instrumented module (imported with every probe exposed)
    with --quant-static-int8-pipeline compare-layers=true, runs it once on
    `inputs`, and returns one row per probe, in model order, and the INT8
    model's first output."""
    compare = os.path.join(work, "compare-layers.mlir")
    d.rewrite(inst, stats, opts, compare, report=report, compare_layers=True)
    n = len(results)
    values, _ = d.run_model(compare, inputs, work, "layers", 3 * n)
    quantized, floats, shadows = values[:n], values[n:2 * n], values[2 * n:]
    decisions = {}
    if report:
        with open(report) as f:
            for op in json.load(f)["ops"]:
                # The first decision of a name is the model's own op (the
                # float copy and the shadows come after it).
                decisions.setdefault(op["name"], op["decision"])
    rows = []
    for name, ops, value in probes:
        i = results.index(value)
        acc_sqnr, acc_rel, acc_max = _errors(floats[i], quantized[i])
        local_sqnr, local_rel, local_max = _errors(floats[i], shadows[i])
        rows.append(dict(name=name, ops=ops, value=value, decision=decisions.get(name, ""),
                         local_sqnr_db=local_sqnr, local_rel_error=local_rel, local_max_error=local_max,
                         accumulated_sqnr_db=acc_sqnr, accumulated_rel_error=acc_rel,
                         accumulated_max_error=acc_max))
    return rows, quantized[0]


def worst_first(rows):
    """Rows by local SQNR, lowest (most error added) first."""
    return sorted(rows, key=lambda r: r["local_sqnr_db"])


def _db(value):
    return "exact" if not np.isfinite(value) else f"{value:.1f} dB"


def print_layer_table(rows, samples, top):
    shown = worst_first(rows)[:top] if top else worst_first(rows)
    more = f", the {len(shown)} that add the most error" if len(shown) < len(rows) else ""
    print(f"\nper-layer error, FP32 vs INT8 ({samples} samples, {len(rows)} layers{more}):")
    print(f"{'layer':28} {'ops':20} {'local SQNR':>11} {'accumulated':>12} {'rel. error':>11} {'max |error|':>12}")
    for r in shown:
        print(f"{r['name'][:28]:28} {r['ops'][:20]:20} {_db(r['local_sqnr_db']):>11} "
              f"{_db(r['accumulated_sqnr_db']):>12} {100 * r['accumulated_rel_error']:9.2f} % "
              f"{r['accumulated_max_error']:12.4f}")
    worst = shown[0] if shown else None
    if worst:
        print(f"adds the most error: {worst['name']} (local SQNR {_db(worst['local_sqnr_db'])})")


def write_layer_json(rows, path, samples):
    def number(v):
        return None if not np.isfinite(v) else v  # JSON has no infinity: null is exact
    layers = [{k: (number(v) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]
    with open(path, "w") as f:
        json.dump({"samples": samples, "layers": layers}, f, indent=1)
        f.write("\n")


def plot_layers(rows, path, title, top):
    """Horizontal bars of the `top` layers that add the most error: local
    and accumulated SQNR per layer, worst at the top; readable at any model
    size (the image grows with `top`, not with the model)."""
    try:
        import matplotlib
    except ImportError:
        d.fail("--plot needs matplotlib (apt install python3-matplotlib)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = worst_first(rows)[:top] if top else worst_first(rows)
    local = [r["local_sqnr_db"] for r in shown]
    acc = [r["accumulated_sqnr_db"] for r in shown]
    finite = [v for v in local + acc if np.isfinite(v)]
    # An exact layer (infinite SQNR) is drawn past the others.
    cap = max(finite + [10.0]) * 1.15
    local = [v if np.isfinite(v) else cap for v in local]
    acc = [v if np.isfinite(v) else cap for v in acc]
    y = np.arange(len(shown))
    fig, ax = plt.subplots(figsize=(8.0, 1.2 + 0.32 * len(shown)))
    ax.barh(y - 0.2, local, height=0.4, color="tab:red", label="local (layer alone in INT8)")
    ax.barh(y + 0.2, acc, height=0.4, color="tab:blue", label="accumulated (INT8 model so far)")
    ax.set_yticks(y)
    ax.set_yticklabels([f"{r['name'][:32]} ({r['ops'][:16]})" for r in shown], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("SQNR vs FP32 (dB, higher is better)")
    more = f", {len(shown)} of {len(rows)} layers" if len(shown) < len(rows) else ""
    ax.set_title(f"{title}: layers adding the most quantization error{more}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def evaluate_layers(onnx_path, int8_output, data, calib, opts, work, plot=None, json_path=None, top=20,
                    max_samples=32):
    """The per-layer report of quantopt-eval: calibrates the model with every
    layer exposed, runs quant-compare-layers on the first `max_samples`
    samples of `data`, prints the table (the `top` worst layers), and writes
    the JSON (every layer, in model order) and the plot when asked."""
    probes, results = model_probes(onnx_path)
    d.progress(f"per-layer comparison: {len(probes)} layers, calibrating with their outputs exposed")
    _, inst = d.instrument(onnx_path, work, expose=[v for _, _, v in probes])
    stats = d.calibrate(onnx_path, inst, calib, opts, work)
    inputs = [x[:max_samples] for x in d.load_inputs(data, d.model_input_names(onnx_path), "data set")]
    samples = len(inputs[0])
    rows, first_output = compare_layers(onnx_path, inst, stats, opts, inputs, work, probes, results,
                                        report=os.path.join(work, "layers-report.json"))
    if int8_output is not None and not np.array_equal(first_output, int8_output[:samples]):
        print("note: exposing the layers changed the INT8 model's output; the per-layer numbers describe "
              "the re-quantized model")
    print_layer_table(rows, samples, top)
    if json_path:
        write_layer_json(rows, json_path, samples)
        print(f"wrote {json_path}")
    if plot:
        plot_layers(rows, plot, os.path.basename(onnx_path), top)
        print(f"wrote {plot}")
    return rows
