"""Accuracy-aware mixed precision: the fewest layers kept in float that
meet an accuracy target.

    quantopt-quantize model.onnx --calib calib.npz --data val.npz --target-drop 0.5 -o model.mlir

1. One calibration and one quant-compare-layers run on the validation set
   rank the INT8 layers by their local error (the layer alone in INT8, fed
   with FP32 inputs).
2. The search keeps the k most sensitive layers in float (quant-rewrite-int8
   exclude=), the smallest k that meets the target found by bisection, then
   drops from that set every layer the target holds without.
3. The model is written with that exclude list; the same list given to
   --quant-static-int8-pipeline (exclude=...) reproduces it without Python.
"""
import dataclasses
import os
import sys

import numpy as np

from . import driver as d
from . import layers


@dataclasses.dataclass
class Target:
    """What the mixed-precision model must reach on the validation set."""
    drop: float = None        # accuracy points below FP32, at most
    sqnr: float = None        # dB of the first output, at least
    agreement: float = None   # top-1 agreement with FP32, percent, at least

    def describe(self):
        if self.drop is not None:
            return f"accuracy drop <= {self.drop} points"
        if self.sqnr is not None:
            return f"output SQNR >= {self.sqnr} dB"
        return f"top-1 agreement >= {self.agreement} %"


class Evaluator:
    """Quantizes with a given exclude list and measures it against FP32 on
    the validation set (its first output)."""

    def __init__(self, inst, stats, opts, inputs, labels, float_output, target, work):
        self.inst, self.stats, self.opts = inst, stats, opts
        self.inputs, self.labels, self.float_output = inputs, labels, float_output
        self.target, self.work = target, work
        self.evaluations = 0

    def measure(self, keep_float):
        """(meets the target, metric text, path of the model, ms per call)."""
        self.evaluations += 1
        opts = dataclasses.replace(self.opts, exclude=tuple(self.opts.exclude) + tuple(keep_float))
        path = os.path.join(self.work, f"candidate-{self.evaluations}.mlir")
        d.rewrite(self.inst, self.stats, opts, path, report=path + ".report.json")
        (out,), ms = d.run_model(path, self.inputs, self.work, "candidate")
        t = self.target
        if t.drop is not None:
            f_acc = float(np.mean(self.float_output.argmax(1) == self.labels))
            q_acc = float(np.mean(out.argmax(1) == self.labels))
            drop = 100 * (f_acc - q_acc)
            return drop <= t.drop, f"accuracy drop {drop:.2f} points", path, ms
        if t.sqnr is not None:
            sqnr = d.sqnr_db(self.float_output, out)
            return sqnr >= t.sqnr, f"output SQNR {sqnr:.1f} dB", path, ms
        agreement = 100 * float(np.mean(self.float_output.argmax(1) == out.argmax(1)))
        return agreement >= t.agreement, f"top-1 agreement {agreement:.2f} %", path, ms


def search(evaluator, ranked, log):
    """The fewest layers of `ranked` (most sensitive first) to keep in float:
    bisection on a prefix, then every layer the target holds without
    dropped. Returns (keep_float, the last measurement)."""
    measured = {}

    def measure(keep):
        key = tuple(keep)
        if key not in measured:
            measured[key] = evaluator.measure(keep)
            ok, text, _, _ = measured[key]
            names = ", ".join(keep[:3]) + (", ..." if len(keep) > 3 else "")
            log(f"  {len(keep)} in float{' (' + names + ')' if keep else ''}: {text} "
                f"({'meets' if ok else 'misses'} the target)")
        return measured[key]

    if measure([])[0]:
        return [], measure([])
    if not measure(ranked)[0]:
        return None, measure(ranked)
    lo, hi = 0, len(ranked)  # the prefix of lo layers misses, of hi meets
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if measure(ranked[:mid])[0]:
            hi = mid
        else:
            lo = mid
    keep = list(ranked[:hi])
    # Bisection assumes the error falls as layers go float; a layer the
    # target holds without is dropped, least sensitive first.
    for name in reversed(list(keep)):
        if len(keep) == 1:
            break
        trial = [k for k in keep if k != name]
        if measure(trial)[0]:
            keep = trial
    return keep, measure(keep)


def quantize_mixed(onnx_path, calib, output, opts, data, target, work, max_samples):
    """Static INT8 with the fewest float layers that meet `target` on
    `data`; writes the model to `output` and returns the layers kept in
    float (None when not even all-float layers meet it)."""
    d.check_exclude_names(onnx_path, opts.exclude)
    names = d.model_input_names(onnx_path)
    inputs = d.load_inputs(data, names, "validation set")
    archive = np.load(data)
    labels = archive["y"] if "y" in archive.files else None
    if target.drop is not None and labels is None:
        d.fail(f"--target-drop needs labels: '{data}' has no array 'y'")

    float_mlir, inst = d.instrument(onnx_path, work, calib=calib, opts=opts)
    stats = d.calibrate(onnx_path, inst, calib, opts, work)
    sample_inputs = [x[:max_samples] for x in inputs]
    d.progress(f"measuring every layer's local error on {len(sample_inputs[0])} samples")
    report = os.path.join(work, "layers-report.json")
    rows, _ = layers.compare_layers(inst, stats, opts, sample_inputs, work, d.model_output_count(onnx_path),
                                    report=report)
    # Worst first, each layer once (a layer may have several quantization
    # points: its output and the input of an op it feeds).
    ranked = list(dict.fromkeys(r["name"] for r in layers.worst_first(rows) if r["decision"] == "int8"))
    local = {}
    for r in rows:
        local[r["name"]] = min(local.get(r["name"], float("inf")), r["local_sqnr_db"])
    (float_output,), float_ms = d.run_model(float_mlir, inputs, work, "float")
    evaluator = Evaluator(inst, stats, opts, inputs, labels, float_output, target, work)
    d.progress(f"searching the fewest float layers for {target.describe()} ({len(ranked)} INT8 layers)")
    keep, (ok, text, path, ms) = search(evaluator, ranked, d.progress)
    if keep is None:
        d.fail(f"the target ({target.describe()}) is not met even with all {len(ranked)} INT8 layers in "
               f"float ({text})")
    os.replace(path, output)
    d.print_report_summary(path + ".report.json")
    final_opts = dataclasses.replace(opts, exclude=tuple(opts.exclude) + tuple(keep))
    d.progress(f"{text} with {len(keep)} of {len(ranked)} layers kept in float "
               f"({evaluator.evaluations} models tried); {ms * 1000:.1f} us per call against "
               f"{float_ms * 1000:.1f} us for FP32")
    for name in keep:
        d.progress(f"  kept in float: {name} (local SQNR {local[name]:.1f} dB)")
    if keep and len(keep) == len(ranked):
        print(f"warning: the target needs every layer in float: '{output}' is the FP32 model", file=sys.stderr)
    if keep:
        d.progress("the same model from the compiler: --quant-static-int8-pipeline=\"... exclude=" +
                   ",".join(final_opts.exclude) + "\"")
    return keep
