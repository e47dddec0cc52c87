"""One-command quantization and evaluation of ONNX models with QuantOpt.

    quantopt-quantize model.onnx --calib calib.npz [--method entropy]
                      [--scheme symmetric] -o model_int8.mlir
    quantopt-eval model.onnx model_int8.mlir --data test.npz
                  [--plot errors.png --calib calib.npz [--method ...] [--scheme ...]]

quantize: import -> quant-fuse-layers -> quant-insert-calibration ->
quant-run --calibrate -> --quant-static-int8-pipeline.
Inputs (--calib, --data) are .npz files with one array per model input,
named after it ('x' for a one-input model), samples along the first axis.
eval: runs the float and the INT8 model with quant-run and prints weight
bytes, latency and, for every output, its max error, SQNR and cosine
similarity; with labels 'y' in the .npz, accuracy and top-1 agreement of
the first output too. With --plot it also compares every layer: the model is imported
again with each layer's output as an extra result, quantized the same way,
both versions run, and the per-layer SQNR is printed and drawn as a bar
chart (PNG). Intermediate files go to a temporary folder removed at the
end, or to --work-dir, kept. Every failure is one line naming what failed.
"""
import argparse
import collections
import contextlib
import dataclasses
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
    """$QUANTOPT_TOOLS, the bin/ of the installation this package belongs to,
    or build/bin of this checkout."""
    env = os.environ.get("QUANTOPT_TOOLS")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        from . import _installed  # written by cmake --install
        return os.path.normpath(os.path.join(here, _installed.TOOLS_DIR))
    except ImportError:
        return os.path.normpath(os.path.join(here, "..", "..", "build", "bin"))


def tool(name):
    path = os.path.join(tools_dir(), name)
    if not os.path.exists(path):
        sys.exit(f"quantopt: {path} not found: build QuantOpt first (scripts/build.sh) "
                 "or set QUANTOPT_TOOLS")
    return path


def run(args, what):
    """Runs a tool; on failure, ends with one line: what failed and the
    tool's first error (or last line)."""
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [l for l in result.stderr.strip().splitlines() if l.strip()] or [f"exit code {result.returncode}"]
        first_error = next((l for l in lines if "error" in l), lines[-1])
        fail(f"{what} failed: {first_error.strip()}")
    return result.stdout


def progress(message):
    print(f"[quantopt] {message}", file=sys.stderr, flush=True)


def fail(message):
    """Ends the command with a one-line error."""
    sys.exit(f"quantopt: error: {message}")


def load_onnx(path):
    try:
        return onnx_import.onnx.load(path)
    except Exception as e:  # onnx raises DecodeError, OSError, ...
        fail(f"cannot read '{path}' as an ONNX model: {e}")


def model_input_names(model_path):
    """The graph inputs of an ONNX model (initializers are none), in order;
    None for an MLIR model (its arguments have no names)."""
    if not model_path.endswith(".onnx"):
        return None
    graph = load_onnx(model_path).graph
    constants = {i.name for i in graph.initializer}
    return [i.name for i in graph.input if i.name not in constants]


def model_output_count(model_path):
    """How many results the model's @main has."""
    if model_path.endswith(".onnx"):
        return len(load_onnx(model_path).graph.output)
    match = re.search(r"func\.func @main\(.*?\) -> \(?(.*?)\)? \{", open(model_path).read())
    return max(1, match.group(1).count("tensor<")) if match else 1


def load_inputs(npz_path, names, what):
    """The arrays of `npz_path` that feed the model's inputs, in the order of
    `names`: arrays named after the inputs, or `x` for a one-input model
    (or an MLIR model: then every array but the labels `y`, in order)."""
    try:
        data = np.load(npz_path)
        arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as e:
        fail(f"cannot read {what} '{npz_path}': {e}")
    if names and all(n in arrays for n in names):
        return [arrays[n] for n in names]
    if (names is None or len(names) == 1) and "x" in arrays:
        return [arrays["x"]]
    if names is None:
        return [v for k, v in arrays.items() if k != "y"]
    fail(f"{what} '{npz_path}' has arrays {sorted(arrays)}; the model's inputs are {names} (name the arrays "
         "after them, or 'x' for a model with one input)")


def save_inputs(arrays, path, names=None):
    """An .npz quant-run reads: the arrays in argument order, named after
    the inputs (quant-run's messages name them)."""
    names = names if names and len(names) == len(arrays) else [f"in{i}" for i in range(len(arrays))]
    np.savez(path, **dict(zip(names, arrays)))
    return path


@dataclasses.dataclass
class QuantizeOptions:
    """How quantopt-quantize quantizes (its command line; quantopt-eval
    --plot takes the same to quantize again)."""
    method: str = "minmax"
    scheme: str = "asymmetric"
    percentile: float = 99.99
    activation_type: str = "s8"
    exclude: tuple = ()
    calib_batch: int = 64
    momentum: float = 0.01
    histogram_bins: int = 2048

    def pipeline_options(self):
        dtype = {"u8": "u8", "s8": "i8"}[self.activation_type]
        text = (f"method={self.method} scheme={self.scheme} percentile={self.percentile} "
                f"dtype={dtype}")
        if self.exclude:
            text += " exclude=" + ",".join(self.exclude)
        return text


def add_quantize_arguments(p):
    p.add_argument("--method", default="minmax",
                   choices=["minmax", "moving-average", "percentile", "entropy", "mse"])
    p.add_argument("--scheme", default="asymmetric", choices=["asymmetric", "symmetric"],
                   help="activations: asymmetric (with a zero point) or symmetric")
    p.add_argument("--percentile", type=float, default=99.99,
                   help="for --method percentile: the share of values kept, in percent")
    p.add_argument("--activation-type", default="s8", choices=["s8", "u8"],
                   help="storage of the activations (default s8; weights are s8, per channel)")
    p.add_argument("--exclude", action="append", default=[], metavar="NAME",
                   help="keep this node in float: an ONNX node name or an op kind (matmul, conv, ...); "
                        "repeatable; a name that matches nothing is an error")
    p.add_argument("--calib-batch", type=int, default=64, metavar="N",
                   help="calibration samples per batch: --method moving-average updates its ranges once "
                        "per batch, with the batch's min and max, as PyTorch's observers do per "
                        "DataLoader batch (default 64)")
    p.add_argument("--momentum", type=float, default=0.01,
                   help="for --method moving-average: avg += momentum * (batch - avg)")
    p.add_argument("--histogram-bins", type=int, default=2048,
                   help="bins of the histograms percentile, entropy and mse read")


def quantize_options(a, parser):
    if a.calib_batch < 1:
        parser.error("--calib-batch must be at least 1")
    if not 0 < a.momentum <= 1:
        parser.error("--momentum must be in (0, 1]")
    if not 0 < a.percentile <= 100:
        parser.error("--percentile must be in (0, 100]")
    if a.histogram_bins < 4 or a.histogram_bins % 4:
        parser.error("--histogram-bins must be a positive multiple of 4")
    return QuantizeOptions(a.method, a.scheme, a.percentile, a.activation_type, tuple(a.exclude),
                           a.calib_batch, a.momentum, a.histogram_bins)


def calibration_files(calib):
    """The .npz files of --calib: files as given, folders as their .npz
    files in name order."""
    paths = [calib] if isinstance(calib, str) else list(calib)
    files = []
    for path in paths:
        if os.path.isdir(path):
            found = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".npz"))
            if not found:
                fail(f"calibration folder '{path}' has no .npz files")
            files += found
        else:
            files.append(path)
    return files


# What quant-rewrite-int8's exclude= takes besides names.
EXCLUDE_KINDS = ("matmul", "conv", "depthwise_conv", "add", "mul")


def check_exclude_names(onnx_path, names):
    """Fails before any work on an --exclude that names no node of the model
    and no op kind."""
    if not names:
        return
    nodes = [n.name for n in load_onnx(onnx_path).graph.node if n.name]
    for name in names:
        if name not in nodes and name not in EXCLUDE_KINDS:
            some = ", ".join(f"'{n}'" for n in nodes[:5]) + (", ..." if len(nodes) > 5 else "")
            fail(f"--exclude {name}: '{onnx_path}' has no node of that name (its nodes include {some}) "
                 f"and it is no op kind ({', '.join(EXCLUDE_KINDS)})")


def quantize(onnx_path, calib, output, opts=QuantizeOptions(), work=None, expose=()):
    """Static INT8 of an ONNX model; the values named in `expose` stay
    extra results of both the float and the INT8 function. Returns the path
    of the imported float model."""
    float_mlir = os.path.join(work, "float.mlir")
    check_exclude_names(onnx_path, opts.exclude)
    progress(f"importing {onnx_path}")
    try:
        text = onnx_import.import_model(onnx_path, expose=expose)
    except onnx_import.ImportError_ as e:
        fail(str(e))
    with open(float_mlir, "w") as f:
        f.write(text)
    inst = os.path.join(work, "instrumented.mlir")
    progress("normalizing and fusing layers, inserting calibration observers")
    run([tool("quant-opt"), float_mlir, "--quant-prepare-pipeline", "--quant-insert-calibration",
         "-o", inst], "instrumenting")
    stats = os.path.join(work, "stats.json")
    names = model_input_names(onnx_path)
    # One file at a time (a calibration set may not fit in memory at once);
    # quant-stats merges the runs' statistics.
    files = calibration_files(calib)
    parts = []
    for index, path in enumerate(files):
        progress(f"calibrating on {path}")
        samples = save_inputs(load_inputs(path, names, "calibration set"),
                              os.path.join(work, "calib-inputs.npz"), names)
        part = stats if len(files) == 1 else os.path.join(work, f"stats-{index}.json")
        # quant-run's progress (and its error, if any) goes to the terminal.
        # On the optimized pipeline: the model's float code at inference
        # speed (the reference lowering is scalar loops, hundreds of times
        # slower on a transformer layer).
        result = subprocess.run([tool("quant-run"), inst, "--pipeline=cpu", "--input", samples,
                                 "--calibrate", part, f"--calibration-batch={opts.calib_batch}",
                                 f"--momentum={opts.momentum}", f"--histogram-bins={opts.histogram_bins}"],
                                stdout=subprocess.DEVNULL)
        if result.returncode != 0:
            fail(f"calibration on '{path}' failed (quant-run exit code {result.returncode}, its error above)")
        parts.append(part)
    if len(parts) > 1:
        run([tool("quant-stats"), "merge", *parts, "-o", stats], "merging the calibration statistics")
    progress(f"quantizing (method={opts.method}, scheme={opts.scheme})")
    # Stops at the qnn ops: quant-run's CPU pipeline packs their weights.
    report = os.path.join(work, "report.json")
    options = f"stats={stats} {opts.pipeline_options()} report={report} lower-qnn=false"
    run([tool("quant-opt"), inst, f"--quant-static-int8-pipeline={options}", "-o", output],
        "quantizing")
    print_report_summary(report)
    return float_mlir


def print_report_summary(report_path):
    """One screen: how many layers became INT8, and each one
    that stayed float with its reason (quant-rewrite-int8's report)."""
    with open(report_path) as f:
        report = json.load(f)
    total = report["quantized"] + report["kept_float"]
    progress(f"{report['quantized']} of {total} layers (matmuls, convolutions, poolings, reductions) are INT8")
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


def run_model(mlir_path, inputs, work, name, results=1):
    """Runs @main on `inputs` (one array, or one per argument); returns the
    list of its first `results` results and the time per call."""
    inputs = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
    inp = save_inputs(inputs, os.path.join(work, f"{name}-in.npz"))
    outs = [os.path.join(work, f"{name}-out{i}.npy") for i in range(results)]
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


def cosine(a, b):
    a, b = a.astype(np.float64).reshape(-1), b.astype(np.float64).reshape(-1)
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norms) if norms else float("nan")


def evaluate(float_model, int8_mlir, data, work):
    """FP32 against INT8 on the samples of `data`: accuracy and agreement
    when it holds labels `y` (of a classifier's first output), and for
    every output its SQNR, max error and cosine similarity."""
    names = model_input_names(float_model)
    inputs = load_inputs(data, names, "data set")
    labels = np.load(data)["y"] if "y" in np.load(data).files else None
    results = model_output_count(float_model)
    if float_model.endswith(".onnx"):
        path = os.path.join(work, "float.mlir")
        try:
            text = onnx_import.import_model(float_model)
        except onnx_import.ImportError_ as e:
            fail(str(e))
        with open(path, "w") as f:
            f.write(text)
        float_model = path
    progress(f"evaluating on {len(inputs[0])} samples")
    f_outs, f_ms = run_model(float_model, inputs, work, "float", results)
    q_outs, q_ms = run_model(int8_mlir, inputs, work, "int8", results)
    fb, qb = weight_bytes(float_model), weight_bytes(int8_mlir)
    rows = []
    f_acc = q_acc = None
    if labels is not None:
        f_acc = float(np.mean(f_outs[0].argmax(1) == labels))
        q_acc = float(np.mean(q_outs[0].argmax(1) == labels))
        rows.append(("accuracy", f"{100 * f_acc:.2f} %", f"{100 * q_acc:.2f} %"))
    rows += [("weight bytes", f"{fb}", f"{qb} ({fb / max(qb, 1):.2f}x smaller)"),
             ("latency per call", f"{f_ms * 1000:.1f} us", f"{q_ms * 1000:.1f} us")]
    if labels is not None:
        rows.append(("top-1 agreement", "", f"{100 * float(np.mean(f_outs[0].argmax(1) == q_outs[0].argmax(1))):.2f} %"))
    for i, (f_out, q_out) in enumerate(zip(f_outs, q_outs)):
        suffix = f" (output {i})" if results > 1 else ""
        rows += [(f"max |output error|{suffix}", "", f"{float(np.abs(f_out - q_out).max()):.4f}"),
                 (f"output SQNR{suffix}", "", f"{sqnr_db(f_out, q_out):.1f} dB"),
                 (f"cosine similarity{suffix}", "", f"{cosine(f_out, q_out):.6f}")]
    width = max(20, max(len(r[0]) for r in rows))
    print(f"{'':{width}} {'FP32':>14} {'INT8':>28}")
    for name, a, b in rows:
        print(f"{name:{width}} {a:>14} {b:>28}")
    if q_ms >= f_ms:
        kernels = ("AVX512-VNNI kernels" if host_has_vnni()
                   else "this CPU has no AVX512-VNNI: portable INT8 kernels")
        print(f"warning: INT8 is not faster than FP32 here ({q_ms * 1000:.1f} vs "
              f"{f_ms * 1000:.1f} us per call; {kernels})", file=sys.stderr)
    return dict(float_accuracy=f_acc, int8_accuracy=q_acc, int8_output=q_outs[0])


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


def evaluate_layers(onnx_path, int8_output, data, calib, opts, plot, work=None):
    """Per-layer error of static INT8 against FP32 on `data`: prints a table
    and writes a bar chart of the SQNR per layer to `plot`."""
    graph = load_onnx(onnx_path).graph
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
    float_probe = quantize(onnx_path, calib, int8_probe, opts, work, expose=values)
    x = load_inputs(data, model_input_names(onnx_path), "data set")
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
    print(f"\nper-layer error, FP32 vs INT8 ({len(x[0])} samples):")
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


@contextlib.contextmanager
def work_dir(path):
    """The folder for intermediate files: `path` (kept) when given, else a
    temporary one removed afterwards, whatever happens."""
    if path:
        os.makedirs(path, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="quantopt-") as temporary:
        yield temporary


def main_quantize(argv=None):
    p = argparse.ArgumentParser(prog="quantopt-quantize")
    p.add_argument("model")
    p.add_argument("--calib", required=True, nargs="+",
                   help=".npz calibration set(s), or folders of them: an array per model input, named after "
                        "it ('x' for a one-input model), samples along the first dimension; several files are "
                        "calibrated one at a time and their statistics merged (quant-stats merge)")
    add_quantize_arguments(p)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--work-dir", help="keep intermediate files here")
    a = p.parse_args(argv)
    opts = quantize_options(a, p)
    with work_dir(a.work_dir) as work:
        quantize(a.model, a.calib, a.output, opts, work)
    progress(f"wrote {a.output}")
    return 0


def main_eval(argv=None):
    p = argparse.ArgumentParser(prog="quantopt-eval")
    p.add_argument("float_model", help=".onnx or float .mlir")
    p.add_argument("int8_model", help="quantized .mlir")
    p.add_argument("--data", required=True,
                   help=".npz: an array per model input, named after it ('x' for a one-input model), and "
                        "optionally labels 'y' (accuracy of a classifier's first output)")
    p.add_argument("--max-accuracy-drop", type=float,
                   help="fail (exit 1) if INT8 accuracy is more than this many points below FP32")
    p.add_argument("--plot", metavar="PNG",
                   help="compare every layer and draw its SQNR (needs --calib and the options the INT8 "
                        "model was quantized with)")
    p.add_argument("--calib", help=".npz calibration set the INT8 model was quantized with (for --plot)")
    add_quantize_arguments(p)
    p.add_argument("--work-dir", help="keep intermediate files here")
    a = p.parse_args(argv)
    opts = quantize_options(a, p)
    if a.plot and not a.calib:
        p.error("--plot needs --calib (and the --method / --scheme the INT8 model was quantized with)")
    if a.plot and not a.float_model.endswith(".onnx"):
        p.error("--plot needs the ONNX model (layer names and outputs come from its nodes)")
    with work_dir(a.work_dir) as work:
        result = evaluate(a.float_model, a.int8_model, a.data, work)
        if a.plot:
            evaluate_layers(a.float_model, result["int8_output"], a.data, a.calib, opts, a.plot, work)
    if a.max_accuracy_drop is not None:
        if result["float_accuracy"] is None:
            fail(f"--max-accuracy-drop needs labels: '{a.data}' has no array 'y'")
        drop = 100 * (result["float_accuracy"] - result["int8_accuracy"])
        verdict = "ok" if drop <= a.max_accuracy_drop else "FAIL"
        print(f"{verdict}: accuracy drop {drop:.2f} points (limit {a.max_accuracy_drop})")
        return 0 if verdict == "ok" else 1
    return 0
