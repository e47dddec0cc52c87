"""ONNX's own test models as Debian ships them (libonnx-testdata:
/usr/share/libonnx-testdata/data/<suite>/<test>/model.onnx with its
test_data_set_*/input_*.pb and output_*.pb), unmodified: each model is
imported; one that imports is compiled and run with quant-run on every
data set and must give the expected outputs (rtol 1e-3, atol 1e-4; NaN
where ONNX has NaN). A model the importer refuses must be refused with an
importer error.

Prints one line per model (ok / refused / FAIL) and per suite
"<suite>: N of M import, all match" (and how many of ONNX's cases for the
quantization operators pass); exits 1 if a model that imports fails, if
the importer crashes, if fewer than MIN_PERCENT of a suite's models
import, or if any quantization operator's case does not pass.

Usage: test_onnx_testdata.py TOOLS_DIR WORK_DIR SUITE[+SUITE...]:MIN_PERCENT...
"""
import concurrent.futures
import glob
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from quantopt import onnx_import  # noqa: E402

TOOLS, WORK = sys.argv[1], sys.argv[2]
ROOT = "/usr/share/libonnx-testdata/data"
# ONNX's cases for the quantization operators (run-time scales and zero
# points as graph inputs, uint8 data): all must pass.
QUANTIZED_OPERATOR_TESTS = tuple(f"test_{op}" for op in (
    "quantizelinear", "dequantizelinear", "qlinearmatmul", "qlinearconv", "matmulinteger", "convinteger",
    "basic_convinteger", "dynamicquantizelinear"))


def check(model_dir):
    """(verdict, detail) of one test model."""
    name = os.path.basename(model_dir.rstrip("/"))
    try:
        text = onnx_import.import_model(os.path.join(model_dir, "model.onnx"))
    except onnx_import.InternalError as e:
        return "FAIL", f"internal error: {e}"
    except onnx_import.ImportError_ as e:
        return "refused", str(e)
    mlir = os.path.join(WORK, name + ".mlir")
    with open(mlir, "w") as f:
        f.write(text)
    for data_set in sorted(glob.glob(os.path.join(model_dir, "test_data_set_*"))):
        inputs = [numpy_helper.to_array(onnx.load_tensor(p)) for p in sorted(glob.glob(data_set + "/input_*.pb"))]
        expected = [numpy_helper.to_array(onnx.load_tensor(p)) for p in sorted(glob.glob(data_set + "/output_*.pb"))]
        npz = os.path.join(WORK, name + ".npz")
        np.savez(npz, **{f"in{i}": v for i, v in enumerate(inputs)})
        outs = [os.path.join(WORK, f"{name}.out{i}.npy") for i in range(len(expected))]
        cmd = [os.path.join(TOOLS, "quant-run"), mlir, "--input", npz, "--no-progress"]
        for out in outs:
            cmd += ["--output", out]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode:
            return "FAIL", (result.stderr.strip().splitlines() or ["quant-run failed"])[-1]
        for i, (out, want) in enumerate(zip(outs, expected)):
            got = np.load(out)
            if got.shape != want.shape or not np.allclose(got, want, rtol=1e-3, atol=1e-4, equal_nan=True):
                diff = np.abs(got - want).max() if got.shape == want.shape else f"shape {got.shape}, want {want.shape}"
                return "FAIL", f"{os.path.basename(data_set)} output {i}: {diff}"
    return "ok", ""


def main():
    os.makedirs(WORK, exist_ok=True)
    failed = False
    for spec in sys.argv[3:]:
        suite, floor = spec.split(":")  # suite: a+b counts suites a and b together
        models = sorted(m for part in suite.split("+") for m in glob.glob(os.path.join(ROOT, part, "*/")))
        if not models:
            print(f"FAIL {suite}: no models under {ROOT}/{suite} (apt install libonnx-testdata)")
            failed = True
            continue
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
            verdicts = list(pool.map(check, models))
        for model, (verdict, detail) in zip(models, verdicts):
            where = os.path.relpath(model.rstrip("/"), ROOT)
            print(f"{verdict} {where}" + (f": {detail}" if detail else ""))
        imported = sum(v != "refused" for v, _ in verdicts)
        bad = sum(v == "FAIL" for v, _ in verdicts)
        percent = 100.0 * imported / len(models)
        print(f"{suite}: {imported} of {len(models)} import ({percent:.0f} %), "
              f"{'all match' if not bad else f'{bad} FAIL'}")
        if bad or percent < float(floor):
            failed = True
            if percent < float(floor):
                print(f"FAIL {suite}: {percent:.0f} % import, below {floor} %")
        quantized = [v for m, (v, _) in zip(models, verdicts)
                     if os.path.basename(m.rstrip("/")).startswith(QUANTIZED_OPERATOR_TESTS)]
        if quantized:
            passed = sum(v == "ok" for v in quantized)
            print(f"{suite}: quantized operators {passed} of {len(quantized)} pass as shipped")
            if passed != len(quantized):
                print(f"FAIL {suite}: every quantized operator's case must pass")
                failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
