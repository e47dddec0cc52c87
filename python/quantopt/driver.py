"""One-command quantization and evaluation of ONNX models with QuantOpt.

    quantopt-quantize model.onnx --calib calib.npz [--method entropy]
                      [--scheme symmetric] -o model_int8.mlir
    quantopt-eval model.onnx model_int8.mlir --data test.npz
                  [--plot errors.png --calib calib.npz [--method ...] [--scheme ...]]

quantize: import -> quant-fuse-layers -> quant-insert-calibration ->
quant-run --calibrate -> --quant-static-int8-pipeline.
eval: runs the float and the INT8 model with quant-run on a labelled .npz
(arrays x and y) and prints accuracy, agreement, output error, weight bytes
and latency. With --plot it also compares every layer: the model is imported
again with each layer's output as an extra result, quantized the same way,
both versions run, and the per-layer SQNR is printed and drawn as a bar
chart (PNG).
"""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from . import onnx_import
from .onnx_import import onnx


def tools_dir():
    """build/bin of this checkout, or $QUANTOPT_TOOLS."""
    env = os.environ.get("QUANTOPT_TOOLS")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "build", "bin"))


def tool(name):
    path = os.path.join(tools_dir(), name)
    if not os.path.exists(path):
        sys.exit(f"quantopt: {path} not found: build QuantOpt first (scripts/build.sh) "
                 "or set QUANTOPT_TOOLS")
    return path


def run(args, what):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"quantopt: {what} failed:\n{result.stderr.strip()}")
    return result.stdout


def progress(message):
    print(f"[quantopt] {message}", file=sys.stderr, flush=True)


def quantize(onnx_path, calib, output, method="minmax", scheme="asymmetric",
             percentile=99.99, work=None, expose=()):
    """Static INT8 of an ONNX model; the values named in `expose` stay
    extra results of both the float and the INT8 function. Returns the path
    of the imported float model."""
    work = work or tempfile.mkdtemp(prefix="quantopt-")
    float_mlir = os.path.join(work, "float.mlir")
    progress(f"importing {onnx_path}")
    try:
        text = onnx_import.import_model(onnx_path, expose=expose)
    except onnx_import.ImportError_ as e:
        sys.exit(f"quantopt-quantize: error: {e}")
    with open(float_mlir, "w") as f:
        f.write(text)
    inst = os.path.join(work, "instrumented.mlir")
    progress("normalizing and fusing layers, inserting calibration observers")
    run([tool("quant-opt"), float_mlir, "--quant-prepare-pipeline", "--quant-insert-calibration",
         "-o", inst], "instrumenting")
    stats = os.path.join(work, "stats.json")
    progress(f"calibrating on {calib}")
    subprocess.run([tool("quant-run"), inst, "--input", calib, "--calibrate", stats],
                   check=True, stdout=subprocess.DEVNULL)
    progress(f"quantizing (method={method}, scheme={scheme})")
    # Stops at the qnn ops: quant-run's CPU pipeline packs their weights.
    report = os.path.join(work, "report.json")
    options = (f"stats={stats} method={method} scheme={scheme} percentile={percentile} "
               f"report={report} lower-qnn=false")
    run([tool("quant-opt"), inst, f"--quant-static-int8-pipeline={options}", "-o", output],
        "quantizing")
    print_report_summary(report)
    return float_mlir


def print_report_summary(report_path):
    """One screen: how many matmuls / convolutions became INT8, and each one
    that stayed float with its reason (quant-rewrite-int8's report)."""
    with open(report_path) as f:
        report = json.load(f)
    total = report["quantized"] + report["kept_float"]
    progress(f"{report['quantized']} of {total} matmuls / convolutions are INT8")
    for op in report["ops"]:
        if op["decision"] != "int8":
            name = op["name"] or op["location"]
            progress(f"  kept in float: {op['op']} {name}: {op['reason']}")


def weight_bytes(mlir_path):
    sizes = {"f32": 4, "f16": 2, "bf16": 2, "i8": 1, "i32": 4}
    total = 0
    for dims, t in re.findall(r"arith.constant dense<[^>]*> : tensor<([0-9x]+)x(f32|f16|bf16|i8|i32)>",
                              open(mlir_path).read()):
        total += int(np.prod([int(d) for d in dims.split("x")])) * sizes[t]
    return total


def run_model(mlir_path, x, work, name, results=1):
    """Runs @main on x; returns the list of its first `results` results and
    the time per call."""
    inp = os.path.join(work, f"{name}-in.npy")
    outs = [os.path.join(work, f"{name}-out{i}.npy") for i in range(results)]
    np.save(inp, x.astype(np.float32))
    args = [tool("quant-run"), mlir_path, "--input", inp, "--no-progress", "--pipeline=cpu"]
    for out in outs:
        args += ["--output", out]
    text = run(args, f"running {mlir_path}")
    ms = float(re.search(r"([0-9.]+) ms per call", text).group(1))
    return [np.load(out) for out in outs], ms


def sqnr_db(reference, test):
    noise = float(np.sum((reference.astype(np.float64) - test) ** 2))
    signal = float(np.sum(reference.astype(np.float64) ** 2))
    return 10 * np.log10(signal / noise) if noise > 0 else float("inf")


def host_has_vnni():
    """Whether this CPU has AVX512-VNNI (what the fast INT8 kernels use)."""
    try:
        with open("/proc/cpuinfo") as f:
            return "avx512_vnni" in f.read()
    except OSError:
        return False


def evaluate(float_model, int8_mlir, data, work=None):
    work = work or tempfile.mkdtemp(prefix="quantopt-")
    if float_model.endswith(".onnx"):
        path = os.path.join(work, "float.mlir")
        with open(path, "w") as f:
            f.write(onnx_import.import_model(float_model))
        float_model = path
    d = np.load(data)
    x, y = d["x"], d["y"]
    progress(f"evaluating on {len(x)} samples")
    (f_out,), f_ms = run_model(float_model, x, work, "float")
    (q_out,), q_ms = run_model(int8_mlir, x, work, "int8")
    f_acc = float(np.mean(f_out.argmax(1) == y))
    q_acc = float(np.mean(q_out.argmax(1) == y))
    agree = float(np.mean(f_out.argmax(1) == q_out.argmax(1)))
    err = float(np.abs(f_out - q_out).max())
    sqnr = sqnr_db(f_out, q_out)
    fb, qb = weight_bytes(float_model), weight_bytes(int8_mlir)
    rows = [("accuracy", f"{100 * f_acc:.2f} %", f"{100 * q_acc:.2f} %"),
            ("weight bytes", f"{fb}", f"{qb} ({fb / max(qb, 1):.2f}x smaller)"),
            ("latency per call", f"{f_ms * 1000:.1f} us", f"{q_ms * 1000:.1f} us"),
            ("top-1 agreement", "", f"{100 * agree:.2f} %"),
            ("max |output error|", "", f"{err:.4f}"),
            ("output SQNR", "", f"{sqnr:.1f} dB")]
    print(f"{'':20} {'FP32':>14} {'INT8':>28}")
    for name, a, b in rows:
        print(f"{name:20} {a:>14} {b:>28}")
    if q_ms >= f_ms:
        kernels = ("AVX512-VNNI kernels" if host_has_vnni()
                   else "this CPU has no AVX512-VNNI: portable INT8 kernels")
        print(f"warning: INT8 is not faster than FP32 here ({q_ms * 1000:.1f} vs "
              f"{f_ms * 1000:.1f} us per call; {kernels})", file=sys.stderr)
    return dict(float_accuracy=f_acc, int8_accuracy=q_acc, agreement=agree, int8_output=q_out)


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


def evaluate_layers(onnx_path, int8_output, data, calib, method, scheme, percentile, plot, work=None):
    """Per-layer error of static INT8 against FP32 on `data`: prints a table
    and writes a bar chart of the SQNR per layer to `plot`."""
    work = work or tempfile.mkdtemp(prefix="quantopt-")
    graph = onnx.load(onnx_path).graph
    # Only float tensors the code computes (not constants folded on import).
    computed = onnx_import.float_values(onnx_path)
    probes = [p for p in layer_probes(graph) if p[2] in computed]
    outputs = [o.name for o in graph.output]
    values = [v for _, _, v in probes]
    # The importer returns the graph outputs, then the exposed values that
    # are not outputs.
    results = outputs + [v for v in dict.fromkeys(values) if v not in outputs]
    progress(f"per-layer comparison: quantizing again with {len(probes)} layer outputs exposed")
    int8_probe = os.path.join(work, "int8_layers.mlir")
    float_probe = quantize(onnx_path, calib, int8_probe, method, scheme, percentile, work, expose=values)
    x = np.load(data)["x"]
    f_vals, _ = run_model(float_probe, x, work, "float-layers", len(results))
    q_vals, _ = run_model(int8_probe, x, work, "int8-layers", len(results))
    if not np.array_equal(q_vals[0], int8_output):
        print("note: exposing the layers changed the INT8 model's output; the per-layer numbers describe "
              "the re-quantized model")
    rows = []
    for name, ops, value in probes:
        f, q = f_vals[results.index(value)], q_vals[results.index(value)]
        err = np.abs(f.astype(np.float64) - q)
        rel = float(np.sqrt(np.sum(err ** 2) / max(float(np.sum(f.astype(np.float64) ** 2)), 1e-30)))
        rows.append((name, ops, sqnr_db(f, q), rel, float(err.max())))
    print(f"\nper-layer error, FP32 vs INT8 ({len(x)} samples):")
    print(f"{'layer':24} {'ops':22} {'SQNR':>10} {'rel. error':>11} {'max |error|':>12}")
    for name, ops, sqnr, rel, mx in rows:
        print(f"{name:24} {ops:22} {sqnr:7.1f} dB {100 * rel:9.2f} % {mx:12.4f}")
    worst = min(rows, key=lambda r: r[2])
    print(f"lowest SQNR: {worst[0]} ({worst[2]:.1f} dB)")
    plot_layers(rows, plot, os.path.basename(onnx_path))
    print(f"wrote {plot}")
    return rows


def plot_layers(rows, path, title):
    try:
        import matplotlib
    except ImportError:
        sys.exit("quantopt-eval: --plot needs matplotlib (apt install python3-matplotlib)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # An exact layer (infinite SQNR) is drawn above the others.
    finite = [r[2] for r in rows if np.isfinite(r[2])]
    top = max(finite + [10.0]) * 1.1 + (0 if len(finite) == len(rows) else 10)
    sqnr = [r[2] if np.isfinite(r[2]) else top for r in rows]
    worst = int(np.argmin(sqnr))
    colors = ["tab:red" if i == worst else "tab:blue" for i in range(len(rows))]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(rows) + 2), 4.5))
    bars = ax.bar(range(len(rows)), sqnr, color=colors)
    for bar, (_, ops, value, _, _) in zip(bars, rows):
        label = "exact" if not np.isfinite(value) else f"{value:.1f}"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                    fontsize=8)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([f"{r[0]}\n{r[1]}" for r in rows], rotation=45 if len(rows) > 6 else 0,
                       ha="right" if len(rows) > 6 else "center", fontsize=8)
    ax.set_ylabel("SQNR, FP32 vs INT8 (dB, higher is better)")
    ax.set_title(f"{title}\nper-layer quantization error (lowest SQNR in red)", fontsize=10)
    ax.set_ylim(min(0.0, min(sqnr) * 1.1), top * 1.08)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main_quantize(argv=None):
    p = argparse.ArgumentParser(prog="quantopt-quantize")
    p.add_argument("model")
    p.add_argument("--calib", required=True, help=".npz calibration set")
    p.add_argument("--method", default="minmax",
                   choices=["minmax", "moving-average", "percentile", "entropy", "mse"])
    p.add_argument("--scheme", default="asymmetric", choices=["asymmetric", "symmetric"])
    p.add_argument("--percentile", type=float, default=99.99)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--work-dir", help="keep intermediate files here")
    a = p.parse_args(argv)
    if a.work_dir:
        os.makedirs(a.work_dir, exist_ok=True)
    quantize(a.model, a.calib, a.output, a.method, a.scheme, a.percentile, a.work_dir)
    progress(f"wrote {a.output}")
    return 0


def main_eval(argv=None):
    p = argparse.ArgumentParser(prog="quantopt-eval")
    p.add_argument("float_model", help=".onnx or float .mlir")
    p.add_argument("int8_model", help="quantized .mlir")
    p.add_argument("--data", required=True, help=".npz with x (inputs) and y (labels)")
    p.add_argument("--max-accuracy-drop", type=float,
                   help="fail (exit 1) if INT8 accuracy is more than this many points below FP32")
    p.add_argument("--plot", metavar="PNG",
                   help="compare every layer and draw its SQNR (needs --calib and the options the INT8 "
                        "model was quantized with)")
    p.add_argument("--calib", help=".npz calibration set the INT8 model was quantized with (for --plot)")
    p.add_argument("--method", default="minmax",
                   choices=["minmax", "moving-average", "percentile", "entropy", "mse"])
    p.add_argument("--scheme", default="asymmetric", choices=["asymmetric", "symmetric"])
    p.add_argument("--percentile", type=float, default=99.99)
    p.add_argument("--work-dir", help="keep intermediate files here")
    a = p.parse_args(argv)
    if a.plot and not a.calib:
        p.error("--plot needs --calib (and the --method / --scheme the INT8 model was quantized with)")
    if a.plot and not a.float_model.endswith(".onnx"):
        p.error("--plot needs the ONNX model (layer names and outputs come from its nodes)")
    if a.work_dir:
        os.makedirs(a.work_dir, exist_ok=True)
    result = evaluate(a.float_model, a.int8_model, a.data, a.work_dir)
    if a.plot:
        evaluate_layers(a.float_model, result["int8_output"], a.data, a.calib, a.method, a.scheme,
                        a.percentile, a.plot, a.work_dir)
    drop = 100 * (result["float_accuracy"] - result["int8_accuracy"])
    if a.max_accuracy_drop is not None:
        verdict = "ok" if drop <= a.max_accuracy_drop else "FAIL"
        print(f"{verdict}: accuracy drop {drop:.2f} points (limit {a.max_accuracy_drop})")
        return 0 if verdict == "ok" else 1
    return 0
