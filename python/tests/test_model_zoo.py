"""The model zoo (model_zoo.py: torchvision CNNs, BERT-style and
nn.TransformerEncoderLayer encoders, 1-D and speech CNNs, exported by
torch.onnx.export) through QuantOpt as a user runs it:

  1. quantopt-import; the float module on the CPU pipeline must give
     PyTorch's own output within 1e-4 (max |error| / max |output|);
  2. static INT8: --quant-prepare-pipeline, --quant-insert-calibration,
     quant-run --calibrate on the CPU pipeline (8 structured samples),
     --quant-static-int8-pipeline with report=; the INT8 module runs on the
     CPU pipeline. Printed: how many layers (matmuls, convolutions, poolings) are INT8, each
     one kept float with the report's reason, and the output SQNR against
     FP32 on a held-out sample, which must reach the model's floor.

Usage: test_model_zoo.py TOOLS_DIR WORK_DIR [MODEL...]
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
import model_zoo  # noqa: E402
import onnx  # noqa: E402
import qdq_zoo  # noqa: E402
from quantopt import onnx_import  # noqa: E402

TOOLS, WORK = sys.argv[1], sys.argv[2]
CALIBRATION_SAMPLES = 8
# Output SQNR (dB) of INT8 against FP32 a model must reach: random weights
# and min/max calibration on 8 samples, so far below a trained model's.
SQNR_FLOOR = {"mobilenet_v3_small": 10.0}
DEFAULT_FLOOR = 15.0
# Models checked in QDQ form too (qdq_zoo.py): the CNNs bit-exact; the
# encoder layers (whose QDQ form leaves attention's activation products,
# LayerNorm, softmax and GELU in float, as ONNX Runtime's does) within
# float rounding, their float ops summed in another order than NumPy's.
QDQ_MODELS = {"resnet18", "mobilenet_v2", "mobilenet_v3_small", "squeezenet", "shufflenet_v2", "conv1d_net",
              "speech_cnn", "bert_layer", "transformer_layer"}
QDQ_FLOAT_TOLERANCE = {"bert_layer": 2, "transformer_layer": 2}  # float activation products


def tool(name, *args):
    r = subprocess.run([os.path.join(TOOLS, name), *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{name} {' '.join(args[:2])}: {r.stderr.strip()[-2000:]}")
    return r.stdout


def run(mlir, inputs, out):
    np.savez(out + ".in.npz", **inputs)
    tool("quant-run", mlir, "--pipeline=cpu", "--input", out + ".in.npz", "--output", out, "--no-progress")
    return np.load(out)


def sqnr_db(reference, test):
    noise = float(np.sum((reference.astype(np.float64) - test) ** 2))
    return 10 * np.log10(float(np.sum(reference.astype(np.float64) ** 2)) / noise) if noise else float("inf")


def check_model(name):
    p = lambda f: os.path.join(WORK, f"{name}.{f}")  # noqa: E731
    _, inputs, (expected,) = model_zoo.build(name, p("onnx"))
    with open(p("mlir"), "w") as f:
        f.write(onnx_import.import_model(p("onnx")))
    got = run(p("mlir"), inputs, p("float.npy"))
    error = float(np.abs(got - expected).max() / np.abs(expected).max())
    yield error <= 1e-4, f"float matches PyTorch ({error:.1e} of the largest output)"

    tool("quant-opt", p("mlir"), "--quant-prepare-pipeline", "--quant-insert-calibration", "-o", p("inst.mlir"))
    samples = [model_zoo.sample(name, 100 + i) for i in range(CALIBRATION_SAMPLES)]
    np.savez(p("calib.npz"), **{k: np.concatenate([s[k] for s in samples]) for k in inputs})
    tool("quant-run", p("inst.mlir"), "--pipeline=cpu", "--input", p("calib.npz"), "--calibrate", p("stats.json"),
         "--no-progress")
    tool("quant-opt", p("inst.mlir"),
         f"--quant-static-int8-pipeline=stats={p('stats.json')} report={p('report.json')} lower-qnn=false",
         "-o", p("int8.mlir"))
    report = json.load(open(p("report.json")))
    total = report["quantized"] + report["kept_float"]
    print(f"info {name}: {report['quantized']} of {total} layers INT8")
    for op in report["ops"]:
        if op["decision"] != "int8":
            print(f"info {name}:   kept float: {op['op']} {op['name'] or op['location']}: {op['reason']}")
    held_out = model_zoo.sample(name, 99)
    fp32 = run(p("mlir"), held_out, p("float-held.npy"))
    int8 = run(p("int8.mlir"), held_out, p("int8.npy"))
    sqnr = sqnr_db(fp32, int8)
    floor = SQNR_FLOOR.get(name, DEFAULT_FLOOR)
    yield report["quantized"] > 0 and sqnr >= floor, \
        f"static INT8 runs, {report['quantized']} of {total} layers INT8, SQNR {sqnr:.1f} dB (floor {floor:.0f})"
    if name in QDQ_MODELS:
        yield from check_qdq(name, p, samples[:4], held_out)


def check_qdq(name, p, samples, held_out):
    """The model's QDQ form (qdq_zoo.to_qdq) through the QAT flow with
    strict=true; both lowerings must give the NumPy QDQ reference's bytes."""
    qdq, units = qdq_zoo.to_qdq(onnx.load(p("onnx")), samples)
    onnx.save(qdq, p("qdq.onnx"))
    with open(p("qdq.mlir"), "w") as f:
        f.write(onnx_import.import_model(p("qdq.onnx")))
    float_products = QDQ_FLOAT_TOLERANCE.get(name)
    strict = "strict=false" if float_products else "strict=true"
    tool("quant-opt", p("qdq.mlir"), "--quant-prepare-pipeline",
         f"--quant-qat-int8-pipeline={strict} report={p('qdq-report.json')} lower-qnn=false",
         "-o", p("qdq-int8.mlir"))
    report = json.load(open(p("qdq-report.json")))
    expected = qdq_zoo.evaluate(qdq, held_out)[0]
    np.savez(p("held.npz"), **held_out)
    outputs = {}
    for pipeline in ("reference", "cpu"):
        out = p(f"qdq-{pipeline}.npy")
        tool("quant-run", p("qdq-int8.mlir"), f"--pipeline={pipeline}", "--input", p("held.npz"), "--output", out,
             "--no-progress")
        outputs[pipeline] = np.load(out)
    steps = {k: float(np.abs(v.astype(np.float64) - expected).max()) for k, v in outputs.items()}
    exact = all(v.tobytes() == expected.tobytes() for v in outputs.values())
    if float_products:
        scale = float(np.abs(expected).max())
        close = max(steps.values()) <= 1e-5 * scale
        equal = np.mean(outputs["cpu"] == expected)
        yield close and report["kept_float"] == float_products, \
            f"QDQ model: {report['quantized']} layers INT8, the {report['kept_float']} activation products float; " \
            f"within float rounding of the NumPy QDQ reference (max diff {max(steps.values()):.1e}, " \
            f"{100 * equal:.0f} % equal)"
        return
    yield exact and report["kept_float"] == 0, \
        f"QDQ model: {report['quantized']} layers INT8 ({units} matmuls / convolutions), " + \
        ("bit-exact with the NumPy QDQ reference on both lowerings" if exact else f"differs from the NumPy QDQ "
         f"reference by up to {steps}")


def main():
    os.makedirs(WORK, exist_ok=True)
    failed = False
    for name in sys.argv[3:] or model_zoo.NAMES:
        try:
            for ok, what in check_model(name):
                print(f"{'ok' if ok else 'FAIL'} {name}: {what}", flush=True)
                failed |= not ok
        except (RuntimeError, onnx_import.ImportError_, qdq_zoo.Unsupported) as e:
            print(f"FAIL {name}: {e}", flush=True)
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
