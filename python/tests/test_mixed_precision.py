"""Accuracy-aware mixed precision and the per-layer report, on the bundled
digits models.

For each model:
1. the per-layer report's local error is what it claims: the last layer's
   local SQNR equals the output SQNR of the model quantized with every
   other layer excluded (the last layer alone in INT8, fed FP32 inputs),
   measured through the public --exclude path on the same samples;
2. the first layer's local error equals its accumulated error (nothing is
   quantized before it);
3. a target between all-INT8's output SQNR and FP32 (all-INT8 + 6 dB) is
   missed by all-INT8 and met by quantopt-quantize --target-sqnr, measured
   again here on the written model; the layers it keeps in float are a
   minimal set: putting any one of them back in INT8 misses the target.

Usage: test_mixed_precision.py TOOLS_DIR WORK_DIR
"""
import contextlib
import io
import os
import re
import subprocess
import sys

TOOLS, WORK = sys.argv[1], sys.argv[2]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
os.environ["QUANTOPT_TOOLS"] = TOOLS
import numpy as np  # noqa: E402
from quantopt import driver, layers  # noqa: E402

QUANTIZE = [sys.executable, os.path.join(ROOT, "python", "bin", "quantopt-quantize")]
os.makedirs(WORK, exist_ok=True)
subprocess.run([sys.executable, os.path.join(ROOT, "examples", "digits", "data.py"), WORK], check=True,
               stdout=subprocess.DEVNULL)
failures = []


def check(ok, message):
    print(("ok: " if ok else "FAIL: ") + message)
    if not ok:
        failures.append(message)


def quantize_cli(onnx_path, calib, out, *extra):
    result = subprocess.run(QUANTIZE + [onnx_path, "--calib", calib, "--method", "minmax", "-o", out, *extra],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"quantopt-quantize failed: {result.stderr}")
    return result.stderr


def output_sqnr(float_mlir, model, x, work):
    with contextlib.redirect_stderr(io.StringIO()):
        (f,), _ = driver.run_model(float_mlir, x, work, "f")
        (q,), _ = driver.run_model(model, x, work, "q")
    return driver.sqnr_db(f, q)


for model, suffix in (("mlp", ""), ("cnn", "_cnn")):
    onnx_path = os.path.join(ROOT, "examples", "digits", f"digits_{model}.onnx")
    calib, test = (os.path.join(WORK, f"{kind}{suffix}.npz") for kind in ("calib", "test"))
    work = os.path.join(WORK, model)
    os.makedirs(work, exist_ok=True)
    x = np.load(test)["x"]
    opts = driver.QuantizeOptions("minmax")

    # The per-layer report, as quantopt-eval --layers computes it.
    with contextlib.redirect_stderr(io.StringIO()):
        float_mlir, inst = driver.instrument(onnx_path, work)
        stats = driver.calibrate(onnx_path, inst, calib, opts, work)
        rows, _ = layers.compare_layers(inst, stats, opts, [x[:32]], work, 1,
                                        report=os.path.join(work, "report.json"))
    # The layers' outputs (a flatten's requantization is a point too).
    int8_rows = [r for r in rows if r["decision"] == "int8"]
    print(f"{model}: " + ", ".join(f"{r['name']} local {r['local_sqnr_db']:.1f} dB accumulated "
                                   f"{r['accumulated_sqnr_db']:.1f} dB" for r in rows))
    first, last = int8_rows[0], int8_rows[-1]
    check(abs(first["local_sqnr_db"] - first["accumulated_sqnr_db"]) < 1e-9,
          f"{model}: first layer {first['name']}: local == accumulated error")
    plain_float = float_mlir
    alone = os.path.join(work, "alone.mlir")
    others = [arg for r in int8_rows[:-1] for arg in ("--exclude", r["name"])]
    quantize_cli(onnx_path, calib, alone, *others)
    sqnr_alone = output_sqnr(plain_float, alone, x[:32], work)
    check(abs(sqnr_alone - last["local_sqnr_db"]) < 0.5,
          f"{model}: last layer {last['name']}: local SQNR {last['local_sqnr_db']:.2f} dB, the model with only "
          f"it in INT8 {sqnr_alone:.2f} dB")

    # Mixed precision for a target all-INT8 misses.
    all_int8 = os.path.join(work, "all-int8.mlir")
    quantize_cli(onnx_path, calib, all_int8)
    base = output_sqnr(plain_float, all_int8, x, work)
    target = base + 6.0
    mixed = os.path.join(work, "mixed.mlir")
    log = quantize_cli(onnx_path, calib, mixed, "--data", test, "--target-sqnr", f"{target:.2f}")
    kept = re.findall(r"^\[quantopt\]   kept in float: (\S+) \(local SQNR", log, re.M)
    reached = output_sqnr(plain_float, mixed, x, work)
    print(f"{model}: all-INT8 {base:.1f} dB, target {target:.1f} dB, mixed {reached:.1f} dB with "
          f"{len(kept)} layer(s) in float: {', '.join(kept)}")
    check(reached >= target and kept, f"{model}: the mixed-precision model meets the target all-INT8 misses")
    for name in kept:
        trial = os.path.join(work, "trial.mlir")
        rest = [arg for k in kept if k != name for arg in ("--exclude", k)]
        quantize_cli(onnx_path, calib, trial, *rest)
        sqnr = output_sqnr(plain_float, trial, x, work)
        check(sqnr < target, f"{model}: with {name} back in INT8 the target is missed ({sqnr:.1f} dB)")

print("ALL OK" if not failures else f"FAILED: {failures}")
sys.exit(1 if failures else 0)
