"""Moving-average calibration on the bundled digits models, against min-max.

Each model is quantized (static INT8, symmetric) with --method minmax and
with --method moving-average: per calibration batch of 64 samples (the
driver's default, PyTorch's per-DataLoader-batch update), of 32, and per
sample (--calib-batch 1, what updating on every call gives). Prints the logit
RMSE against FP32 on the 360 test images and checks that moving average per
batch stays within 1.5x of min-max's error.

Usage: test_moving_average.py TOOLS_DIR WORK_DIR
"""
import os
import sys

TOOLS, WORK = sys.argv[1], sys.argv[2]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
os.environ["QUANTOPT_TOOLS"] = TOOLS
import contextlib  # noqa: E402
import io  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402
from quantopt import driver  # noqa: E402

os.makedirs(WORK, exist_ok=True)
subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "examples", "digits", "data.py"), WORK], check=True,
               stdout=subprocess.DEVNULL)
failures = []
for model, suffix in (("mlp", ""), ("cnn", "_cnn")):
    onnx_path = os.path.join(ROOT, "examples", "digits", f"digits_{model}.onnx")
    calib, test = (os.path.join(WORK, f"{kind}{suffix}.npz") for kind in ("calib", "test"))
    x = np.load(test)["x"]
    work = os.path.join(WORK, model)
    os.makedirs(work, exist_ok=True)
    rmse = {}
    for label, opts in (("minmax", driver.QuantizeOptions("minmax", "symmetric")),
                        ("moving-average", driver.QuantizeOptions("moving-average", "symmetric")),
                        ("moving-average batch 32",
                         driver.QuantizeOptions("moving-average", "symmetric", calib_batch=32)),
                        ("moving-average per sample",
                         driver.QuantizeOptions("moving-average", "symmetric", calib_batch=1))):
        out = os.path.join(work, label.replace(" ", "-") + ".mlir")
        with contextlib.redirect_stderr(io.StringIO()):
            float_mlir, _ = driver.quantize(onnx_path, calib, out, opts, work)
            (f,), _ = driver.run_model(float_mlir, x, work, "float")
            (q,), _ = driver.run_model(out, x, work, "int8")
        rmse[label] = float(np.sqrt(np.mean((f.astype(np.float64) - q) ** 2)))
    ratio = rmse["moving-average"] / rmse["minmax"]
    print(f"{model}: logit RMSE minmax {rmse['minmax']:.4f}, moving-average {rmse['moving-average']:.4f} "
          f"({ratio:.2f}x), batch 32 {rmse['moving-average batch 32']:.4f} "
          f"({rmse['moving-average batch 32'] / rmse['minmax']:.2f}x), per sample "
          f"{rmse['moving-average per sample']:.4f} "
          f"({rmse['moving-average per sample'] / rmse['minmax']:.2f}x)")
    if ratio > 1.5:
        failures.append(model)
        print(f"FAIL: {model}: moving average {ratio:.2f}x min-max's logit error (limit 1.5x)")
print("ALL OK" if not failures else f"FAILED: {failures}")
sys.exit(1 if failures else 0)
