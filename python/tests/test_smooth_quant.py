"""SmoothQuant (quantopt-quantize --smooth-quant) on the model zoo's
BERT-style encoder layer with injected outlier channels, as trained
transformers have them: three channels of the first LayerNorm's gamma are
30x the rest (the FFN input), and two channels of the layer's input are 25x
(the Q/K/V projections' input).

Checks:
1. the smoothed float model (before quantization) computes what the
   original computes: smoothing is exact in real arithmetic;
2. static INT8 with --smooth-quant has an output SQNR at least 5 dB above
   plain min-max INT8 on the same calibration and validation samples;
3. the driver says what it smoothed and which matmuls it left (attention's
   two activation matmuls);
4. --smooth-quant outside [0, 1] is a one-line error.

Usage: test_smooth_quant.py TOOLS_DIR WORK_DIR
"""
import contextlib
import io
import os
import subprocess
import sys

TOOLS, WORK = sys.argv[1], sys.argv[2]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["QUANTOPT_TOOLS"] = TOOLS
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

import model_zoo  # noqa: E402
from quantopt import driver  # noqa: E402

QUANTIZE = [sys.executable, os.path.join(ROOT, "python", "bin", "quantopt-quantize")]
os.makedirs(WORK, exist_ok=True)
failures = []


def check(ok, message):
    print(("ok: " if ok else "FAIL: ") + message)
    if not ok:
        failures.append(message)


def samples(seeds):
    batch = [model_zoo.sample("bert_layer", s) for s in seeds]
    x = np.concatenate([b["x"] for b in batch])
    x[..., [3, 30]] *= 25
    return {"x": x, "mask": np.concatenate([b["mask"] for b in batch])}


# The model, with outliers in the first LayerNorm's gamma.
plain_onnx = os.path.join(WORK, "bert.onnx")
model_zoo.build("bert_layer", plain_onnx)
model = onnx.load(plain_onnx)
for init in model.graph.initializer:
    if init.name == "ln1.weight":
        gamma = numpy_helper.to_array(init).copy()
        gamma[[7, 21, 45]] *= 30
        init.CopyFrom(numpy_helper.from_array(gamma, init.name))
onnx_path = os.path.join(WORK, "bert_outliers.onnx")
onnx.save(model, onnx_path)
calib, val = os.path.join(WORK, "calib.npz"), os.path.join(WORK, "val.npz")
np.savez(calib, **samples(range(100, 116)))
validation = samples(range(200, 216))
np.savez(val, **validation)
inputs = [validation["x"], validation["mask"]]


def quantize(out, *extra):
    result = subprocess.run(QUANTIZE + [onnx_path, "--calib", calib, "--method", "minmax", "-o", out, *extra],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"quantopt-quantize failed: {result.stderr}")
    return result.stderr


def outputs(mlir):
    with contextlib.redirect_stderr(io.StringIO()):
        (out,), _ = driver.run_model(mlir, inputs, WORK, "run")
    return out


plain_dir, smooth_dir = os.path.join(WORK, "plain"), os.path.join(WORK, "smooth")
quantize(os.path.join(WORK, "plain.mlir"), "--work-dir", plain_dir)
log = quantize(os.path.join(WORK, "smooth.mlir"), "--smooth-quant", "--work-dir", smooth_dir)

reference = outputs(os.path.join(plain_dir, "float.mlir"))
smoothed_float = outputs(os.path.join(smooth_dir, "smoothed.mlir"))
error = float(np.abs(smoothed_float - reference).max() / np.abs(reference).max())
check(error < 1e-4, f"the smoothed FP32 model computes the original's outputs (max error {error:.2e} of the range)")

plain_db = driver.sqnr_db(reference, outputs(os.path.join(WORK, "plain.mlir")))
smooth_db = driver.sqnr_db(reference, outputs(os.path.join(WORK, "smooth.mlir")))
check(smooth_db >= plain_db + 5,
      f"SmoothQuant INT8 output SQNR {smooth_db:.1f} dB vs plain min-max {plain_db:.1f} dB (at least +5 dB)")

check("[quantopt] SmoothQuant (alpha 0.5)" in log, "the driver names SmoothQuant and its alpha")
check("6 matmul inputs smoothed; not smoothed (two activations): /MatMul, /MatMul_1" in log,
      "the driver counts the smoothed matmul inputs and names attention's activation matmuls")

bad = subprocess.run(QUANTIZE + [onnx_path, "--calib", calib, "--smooth-quant", "1.5", "-o",
                                 os.path.join(WORK, "x.mlir")], capture_output=True, text=True)
check(bad.returncode != 0 and "--smooth-quant's ALPHA must be in [0, 1]" in bad.stderr
      and "Traceback" not in bad.stderr, "--smooth-quant 1.5 is a one-line error")

print("ALL OK" if not failures else f"{len(failures)} FAILED")
sys.exit(1 if failures else 0)
