"""One-command quantization and evaluation of ONNX models with QuantOpt.

    quantopt-quantize model.onnx --calib calib.npz [--method entropy]
                      [--scheme symmetric] -o model_int8.mlir
    quantopt-eval model.onnx model_int8.mlir --data test.npz
                  [--layers [--plot errors.png] [--layer-json layers.json]
                   --calib calib.npz [--method ...] [--scheme ...]]

quantize: import -> quant-fuse-layers -> quant-insert-calibration ->
quant-run --calibrate -> --quant-static-int8-pipeline.
Inputs (--calib, --data) are .npz files with one array per model input,
named after it ('x' for a one-input model), samples along the first axis.
eval: runs the float and the INT8 model with quant-run and prints weight
bytes, latency and, for every output, its max error, SQNR and cosine
similarity; with labels 'y' in the .npz, accuracy and top-1 agreement of
the first output too. With --layers it also reports every layer's local and
accumulated error (quantopt/layers.py): the model is imported again with
each layer's output as an extra result, calibrated the same way, and run
once with quant-compare-layers.
Intermediate files go to a temporary folder removed at the
end, or to --work-dir, kept. Every failure is one line naming what failed.
"""
import argparse
import contextlib
import dataclasses
import json
import os
import re
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


def run(args, what, with_stderr=False):
    """Runs a tool; on failure, ends with one line: what failed and the
    tool's first error (or last line). Returns its output (and its remarks
    on stderr with `with_stderr`)."""
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [l for l in result.stderr.strip().splitlines() if l.strip()] or [f"exit code {result.returncode}"]
        first_error = next((l for l in lines if "error" in l), lines[-1])
        fail(f"{what} failed: {first_error.strip()}")
    return (result.stdout, result.stderr) if with_stderr else result.stdout


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
    --layers takes the same to quantize again)."""
    method: str = "minmax"
    scheme: str = "asymmetric"
    percentile: float = 99.99
    activation_type: str = "s8"
    exclude: tuple = ()
    calib_batch: int = 64
    momentum: float = 0.01
    histogram_bins: int = 2048
    smooth_quant: float = None  # SmoothQuant's alpha, or None

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
    p.add_argument("--smooth-quant", type=float, nargs="?", const=0.5, metavar="ALPHA",
                   help="SmoothQuant before calibration: divide the activation channels of matmuls with "
                        "constant weights by s = max|x|^ALPHA / max|w|^(1-ALPHA) and scale the weights' rows "
                        "by s, moving activation outliers into the weights (ALPHA 0.5 if not given; costs "
                        "one more calibration run)")


def quantize_options(a, parser):
    if a.calib_batch < 1:
        parser.error("--calib-batch must be at least 1")
    if not 0 < a.momentum <= 1:
        parser.error("--momentum must be in (0, 1]")
    if not 0 < a.percentile <= 100:
        parser.error("--percentile must be in (0, 100]")
    if a.histogram_bins < 4 or a.histogram_bins % 4:
        parser.error("--histogram-bins must be a positive multiple of 4")
    if a.smooth_quant is not None and not 0 <= a.smooth_quant <= 1:
        parser.error("--smooth-quant's ALPHA must be in [0, 1]")
    return QuantizeOptions(a.method, a.scheme, a.percentile, a.activation_type, tuple(a.exclude),
                           a.calib_batch, a.momentum, a.histogram_bins, a.smooth_quant)


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


def import_onnx(onnx_path, work, expose=()):
    """Imports an ONNX model into WORK/float.mlir (the values named in
    `expose` become extra results); a failed import ends the command with
    its one-line error. Returns the path."""
    float_mlir = os.path.join(work, "float.mlir")
    try:
        text = onnx_import.import_model(onnx_path, expose=expose)
    except onnx_import.ImportError_ as e:
        fail(str(e))
    with open(float_mlir, "w") as f:
        f.write(text)
    return float_mlir


def instrument(onnx_path, work, expose=(), calib=None, opts=None):
    """Imports the model (the values named in `expose` become extra
    results), fuses its layers (smooths them with `opts.smooth_quant`,
    calibrating on `calib` for it) and inserts the calibration observers.
    Returns the paths of the float and the instrumented module."""
    progress(f"importing {onnx_path}")
    float_mlir = import_onnx(onnx_path, work, expose)
    inst = os.path.join(work, "instrumented.mlir")
    source, prepare = float_mlir, ["--quant-prepare-pipeline"]
    if opts is not None and opts.smooth_quant is not None:
        prepared = os.path.join(work, "prepared.mlir")
        progress("normalizing and fusing layers")
        run([tool("quant-opt"), float_mlir, *prepare, "-o", prepared], "preparing")
        source, prepare = smooth_quant(onnx_path, prepared, calib, opts, work), []
    progress(("normalizing and fusing layers, " if prepare else "") + "inserting calibration observers")
    run([tool("quant-opt"), source, *prepare, "--quant-insert-calibration", "-o", inst], "instrumenting")
    return float_mlir, inst


def smooth_quant(onnx_path, prepared, calib, opts, work):
    """SmoothQuant: records the matmuls' inputs per channel on `calib`,
    then quant-smooth-quant moves their outliers into the weights. Returns
    the smoothed float module."""
    channels = os.path.join(work, "smooth-instrumented.mlir")
    run([tool("quant-opt"), prepared,
         "--quant-insert-calibration=ops=matmul,batch_matmul observe=inputs contraction-channels=true "
         "function-boundaries=false", "-o", channels], "instrumenting for SmoothQuant")
    stats = calibrate(onnx_path, channels, calib, opts, work, name="smooth-stats")
    smoothed = os.path.join(work, "smoothed.mlir")
    progress(f"SmoothQuant (alpha {opts.smooth_quant})")
    _, remarks = run([tool("quant-opt"), channels, f"--quant-smooth-quant=stats={stats} alpha={opts.smooth_quant}",
                      "-o", smoothed], "smoothing", with_stderr=True)
    done = len(re.findall(r"remark: .*smoothed for", remarks))
    not_done = sorted(set(re.findall(r'loc\("([^"]+)"\): not smoothed', remarks)))
    progress(f"  {done} matmul inputs smoothed" +
             (f"; not smoothed (two activations): {', '.join(not_done)}" if not_done else ""))
    return smoothed


def calibrate(onnx_path, inst, calib, opts, work, name="stats"):
    """Runs the instrumented module on the calibration set; returns the
    path of the statistics (`name`.json in `work`)."""
    stats = os.path.join(work, f"{name}.json")
    names = model_input_names(onnx_path)
    # One file at a time (a calibration set may not fit in memory at once);
    # quant-stats merges the runs' statistics.
    files = calibration_files(calib)
    parts = []
    for index, path in enumerate(files):
        progress(f"calibrating on {path}")
        samples = save_inputs(load_inputs(path, names, "calibration set"),
                              os.path.join(work, "calib-inputs.npz"), names)
        part = stats if len(files) == 1 else os.path.join(work, f"{name}-{index}.json")
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
    return stats


def rewrite(inst, stats, opts, output, report=None, compare_layers=False):
    """The static INT8 rewrite of a calibrated module, stopping at the qnn
    ops (quant-run's CPU pipeline packs their weights)."""
    options = f"stats={stats} {opts.pipeline_options()} lower-qnn=false"
    if report:
        options += f" report={report}"
    if compare_layers:
        options += " compare-layers=true"
    run([tool("quant-opt"), inst, f"--quant-static-int8-pipeline={options}", "-o", output],
        "quantizing")


def quantize(onnx_path, calib, output, opts=QuantizeOptions(), work=None):
    """Static INT8 of an ONNX model. Returns the paths of the imported
    float model and of the calibration statistics."""
    check_exclude_names(onnx_path, opts.exclude)
    float_mlir, inst = instrument(onnx_path, work, calib=calib, opts=opts)
    stats = calibrate(onnx_path, inst, calib, opts, work)
    progress(f"quantizing (method={opts.method}, scheme={opts.scheme})")
    report = os.path.join(work, "report.json")
    rewrite(inst, stats, opts, output, report)
    print_report_summary(report)
    return float_mlir, stats


def quantize_dynamic(onnx_path, output, opts, work, per_channel=True, narrow_range=True,
                     reduce_range=False):
    """Dynamic INT8 of an ONNX model, as ONNX Runtime's quantize_dynamic:
    weights quantized now, activations at run time, no calibration.
    Returns the path of the imported float model."""
    check_exclude_names(onnx_path, opts.exclude)
    progress(f"importing {onnx_path}")
    float_mlir = import_onnx(onnx_path, work)
    options = (f"lower-qnn=false symmetric={str(opts.scheme == 'symmetric').lower()} "
               f"per-channel={str(per_channel).lower()} narrow-range={str(narrow_range).lower()} "
               f"reduce-range={str(reduce_range).lower()}")
    if opts.exclude:
        options += " exclude=" + ",".join(opts.exclude)
    progress("quantizing the matmuls dynamically (activation ranges at run time)")
    _, remarks = run([tool("quant-opt"), float_mlir, f"--quant-dynamic-int8-pipeline={options}",
                      "-o", output], "quantizing", with_stderr=True)
    with open(output) as f:
        dynamic = f.read().count("qnn.matmul_integer")
    kept = [l.split("remark: ", 1)[1] for l in remarks.splitlines() if "remark: " in l]
    progress(f"{dynamic} matmuls are dynamic INT8, {len(kept)} matmuls or convolutions kept in float")
    for line in kept:
        progress(f"  {line}")
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


def run_model(mlir_path, inputs, work, name, results=1, opt_level=3):
    """Runs @main on `inputs` (one array, or one per argument); returns the
    list of its first `results` results and the best time of a call (the
    first calls pay for cold caches and first-touch page faults)."""
    inputs = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
    inp = save_inputs(inputs, os.path.join(work, f"{name}-in.npz"))
    outs = [os.path.join(work, f"{name}-out{i}.npy") for i in range(results)]
    args = [tool("quant-run"), mlir_path, "--input", inp, "--no-progress", "--pipeline=cpu", f"-O{opt_level}"]
    for out in outs:
        args += ["--output", out]
    text = run(args, f"running {mlir_path}")
    ms = float(re.search(r"\(min ([0-9.]+) ms\)", text).group(1))
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
        float_model = import_onnx(float_model, work)
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
             ("latency per call (best)", f"{f_ms * 1000:.1f} us", f"{q_ms * 1000:.1f} us")]
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
    p.add_argument("--calib", nargs="+",
                   help=".npz calibration set(s), or folders of them: an array per model input, named after "
                        "it ('x' for a one-input model), samples along the first dimension; several files are "
                        "calibrated one at a time and their statistics merged (quant-stats merge)")
    add_quantize_arguments(p)
    dyn = p.add_argument_group(
        "dynamic quantization", "no calibration: the matmuls' weights are quantized now, their activations "
        "at run time (u8 asymmetric, or i8 with --scheme symmetric), as ONNX Runtime's quantize_dynamic")
    dyn.add_argument("--dynamic", action="store_true", help="dynamic INT8 instead of static (no --calib)")
    dyn.add_argument("--weights", default="per-channel", choices=["per-channel", "per-tensor"],
                     help="dynamic: one weight scale per output column or per tensor (ONNX Runtime's "
                          "default is per tensor)")
    dyn.add_argument("--weight-range", default="narrow", choices=["narrow", "full"],
                     help="dynamic: weights on [-127, 127] or [-128, 127]")
    dyn.add_argument("--reduce-range", action="store_true",
                     help="dynamic: activations on 7 bits (u8 [0, 127]), as PyTorch's reduce_range")
    mixed = p.add_argument_group(
        "mixed precision", "keep the fewest layers in float that meet a target on --data (the layers adding "
        "the most error first; quantopt/mixed.py)")
    mixed.add_argument("--data", help="validation .npz: the model's inputs as for --calib, and labels 'y' for "
                                      "--target-drop")
    targets = mixed.add_mutually_exclusive_group()
    targets.add_argument("--target-drop", type=float, metavar="POINTS",
                         help="accuracy (first output's argmax against 'y') at most this many points below FP32")
    targets.add_argument("--target-sqnr", type=float, metavar="DB", help="first output's SQNR against FP32")
    targets.add_argument("--target-agreement", type=float, metavar="PERCENT",
                         help="top-1 agreement of the first output with FP32")
    mixed.add_argument("--layer-samples", type=int, default=32, metavar="N",
                       help="samples of --data that rank the layers (default 32)")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--work-dir", help="keep intermediate files here")
    a = p.parse_args(argv)
    opts = quantize_options(a, p)
    if a.dynamic:
        for flag, given in [("--calib", a.calib), ("--smooth-quant", a.smooth_quant is not None),
                            ("--data", a.data), ("--target-drop", a.target_drop is not None),
                            ("--target-sqnr", a.target_sqnr is not None),
                            ("--target-agreement", a.target_agreement is not None)]:
            if given:
                p.error(f"--dynamic takes no {flag} (it does not calibrate)")
        with work_dir(a.work_dir) as work:
            quantize_dynamic(a.model, a.output, opts, work, a.weights == "per-channel",
                             a.weight_range == "narrow", a.reduce_range)
        progress(f"wrote {a.output}")
        return 0
    if not a.calib:
        p.error("--calib is required (or --dynamic for dynamic quantization without calibration)")
    if a.weights != "per-channel" or a.weight_range != "narrow" or a.reduce_range:
        p.error("--weights, --weight-range and --reduce-range are options of --dynamic (static INT8 "
                "weights are per channel, narrow range)")
    target = None
    if a.target_drop is not None or a.target_sqnr is not None or a.target_agreement is not None:
        from . import mixed as mixed_precision
        target = mixed_precision.Target(a.target_drop, a.target_sqnr, a.target_agreement)
        if not a.data:
            p.error("--target-drop, --target-sqnr and --target-agreement need --data")
        if a.layer_samples < 1:
            p.error("--layer-samples must be at least 1")
    elif a.data:
        p.error("--data is for the mixed-precision search: give --target-drop, --target-sqnr or "
                "--target-agreement")
    with work_dir(a.work_dir) as work:
        if target:
            mixed_precision.quantize_mixed(a.model, a.calib, a.output, opts, a.data, target, work,
                                           a.layer_samples)
        else:
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
    p.add_argument("--layers", action="store_true",
                   help="per-layer report: every layer's local error (the layer alone in INT8, fed with FP32 "
                        "inputs) and accumulated error, from one instrumented run (needs --calib and the "
                        "options the INT8 model was quantized with)")
    p.add_argument("--plot", metavar="PNG", help="--layers, and draw the worst layers' SQNR")
    p.add_argument("--layer-json", metavar="FILE", help="--layers, and write every layer's errors as JSON")
    p.add_argument("--top", type=int, default=20, metavar="K",
                   help="layers shown in the table and the plot, those adding the most error first "
                        "(default 20; 0: all)")
    p.add_argument("--layer-samples", type=int, default=32, metavar="N",
                   help="samples of --data the per-layer report runs (default 32: every layer's output "
                        "of every sample is held in memory three times)")
    p.add_argument("--calib", nargs="+", help=".npz calibration set(s) the INT8 model was quantized with "
                                              "(for the per-layer report)")
    add_quantize_arguments(p)
    p.add_argument("--work-dir", help="keep intermediate files here")
    a = p.parse_args(argv)
    opts = quantize_options(a, p)
    per_layer = a.layers or a.plot or a.layer_json
    if per_layer and not a.calib:
        p.error("--layers, --plot and --layer-json need --calib (and the --method / --scheme the INT8 model "
                "was quantized with)")
    if per_layer and not a.float_model.endswith(".onnx"):
        p.error("--layers, --plot and --layer-json need the ONNX model (layer names and outputs come from its "
                "nodes)")
    if a.top < 0 or a.layer_samples < 1:
        p.error("--top must be at least 0 and --layer-samples at least 1")
    with work_dir(a.work_dir) as work:
        result = evaluate(a.float_model, a.int8_model, a.data, work)
        if per_layer:
            from . import layers
            layers.evaluate_layers(a.float_model, result["int8_output"], a.data, a.calib, opts, work,
                                   plot=a.plot, json_path=a.layer_json, top=a.top, max_samples=a.layer_samples)
    if a.max_accuracy_drop is not None:
        if result["float_accuracy"] is None:
            fail(f"--max-accuracy-drop needs labels: '{a.data}' has no array 'y'")
        drop = 100 * (result["float_accuracy"] - result["int8_accuracy"])
        verdict = "ok" if drop <= a.max_accuracy_drop else "FAIL"
        print(f"{verdict}: accuracy drop {drop:.2f} points (limit {a.max_accuracy_drop})")
        return 0 if verdict == "ok" else 1
    return 0
