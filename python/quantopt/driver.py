"""One-command quantization and evaluation of ONNX models with QuantOpt.

    quantopt-quantize model.onnx --calib calib.npz [--method entropy]
                      [--scheme symmetric] -o model_int8.mlir
    quantopt-eval model.onnx model_int8.mlir --data test.npz

quantize: import -> quant-fuse-layers -> quant-insert-calibration ->
quant-run --calibrate -> --quant-static-int8-pipeline.
eval: runs the float and the INT8 model with quant-run on a labelled .npz
(arrays x and y) and prints accuracy, agreement, output error, weight bytes
and latency.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from . import onnx_import


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
             percentile=99.99, work=None):
    work = work or tempfile.mkdtemp(prefix="quantopt-")
    float_mlir = os.path.join(work, "float.mlir")
    progress(f"importing {onnx_path}")
    try:
        text = onnx_import.import_model(onnx_path)
    except onnx_import.ImportError_ as e:
        sys.exit(f"quantopt-quantize: error: {e}")
    with open(float_mlir, "w") as f:
        f.write(text)
    inst = os.path.join(work, "instrumented.mlir")
    progress("fusing layers and inserting calibration observers")
    run([tool("quant-opt"), float_mlir, "--quant-fuse-layers", "--quant-insert-calibration",
         "-o", inst], "instrumenting")
    stats = os.path.join(work, "stats.json")
    progress(f"calibrating on {calib}")
    subprocess.run([tool("quant-run"), inst, "--input", calib, "--calibrate", stats],
                   check=True, stdout=subprocess.DEVNULL)
    progress(f"quantizing (method={method}, scheme={scheme})")
    options = f"stats={stats} method={method} scheme={scheme} percentile={percentile}"
    run([tool("quant-opt"), inst, f"--quant-static-int8-pipeline={options}", "-o", output],
        "quantizing")
    return float_mlir


def weight_bytes(mlir_path):
    sizes = {"f32": 4, "f16": 2, "bf16": 2, "i8": 1, "i32": 4}
    total = 0
    for dims, t in re.findall(r"arith.constant dense<[^>]*> : tensor<([0-9x]+)x(f32|f16|bf16|i8|i32)>",
                              open(mlir_path).read()):
        total += int(np.prod([int(d) for d in dims.split("x")])) * sizes[t]
    return total


def run_model(mlir_path, x, work, name):
    inp, out = os.path.join(work, f"{name}-in.npy"), os.path.join(work, f"{name}-out.npy")
    np.save(inp, x.astype(np.float32))
    text = run([tool("quant-run"), mlir_path, "--input", inp, "--output", out, "--no-progress"],
               f"running {mlir_path}")
    ms = float(re.search(r"([0-9.]+) ms per call", text).group(1))
    return np.load(out), ms


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
    f_out, f_ms = run_model(float_model, x, work, "float")
    q_out, q_ms = run_model(int8_mlir, x, work, "int8")
    f_acc = float(np.mean(f_out.argmax(1) == y))
    q_acc = float(np.mean(q_out.argmax(1) == y))
    agree = float(np.mean(f_out.argmax(1) == q_out.argmax(1)))
    err = float(np.abs(f_out - q_out).max())
    noise = float(np.sum((f_out - q_out) ** 2))
    sqnr = 10 * np.log10(float(np.sum(f_out ** 2)) / noise) if noise > 0 else float("inf")
    fb, qb = weight_bytes(float_model), weight_bytes(int8_mlir)
    rows = [("accuracy", f"{100 * f_acc:.2f} %", f"{100 * q_acc:.2f} %"),
            ("weight bytes", f"{fb}", f"{qb} ({fb / max(qb, 1):.2f}x smaller)"),
            ("latency per call", f"{f_ms:.3f} ms", f"{q_ms:.3f} ms"),
            ("top-1 agreement", "", f"{100 * agree:.2f} %"),
            ("max |output error|", "", f"{err:.4f}"),
            ("output SQNR", "", f"{sqnr:.1f} dB")]
    print(f"{'':20} {'FP32':>14} {'INT8':>28}")
    for name, a, b in rows:
        print(f"{name:20} {a:>14} {b:>28}")
    return dict(float_accuracy=f_acc, int8_accuracy=q_acc, agreement=agree)


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
    a = p.parse_args(argv)
    result = evaluate(a.float_model, a.int8_model, a.data)
    drop = 100 * (result["float_accuracy"] - result["int8_accuracy"])
    if a.max_accuracy_drop is not None:
        verdict = "ok" if drop <= a.max_accuracy_drop else "FAIL"
        print(f"{verdict}: accuracy drop {drop:.2f} points (limit {a.max_accuracy_drop})")
        return 0 if verdict == "ok" else 1
    return 0
