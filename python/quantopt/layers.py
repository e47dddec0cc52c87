"""Per-layer error of static INT8: which layers lose accuracy, and where.

One instrumented run measures every layer twice (quant-compare-layers):

- accumulated error: the layer's output in the INT8 model against FP32,
  everything before it quantized too;
- local error: the layer alone in INT8, fed with the FP32 model's inputs
  (what this layer adds; what the mixed-precision search ranks by).

Each quantization point of the model (a layer's output quantized, with
the activation / batch norm / bias that quant-fuse-layers merged into the
layer) is one row, named after the layer's location (the ONNX node name).
"""
import json
import os
import re

import numpy as np

from . import driver as d

def _errors(reference, test):
    reference = reference.astype(np.float64)
    err = np.abs(reference - test)
    energy = float(np.sum(reference ** 2))
    noise = float(np.sum(err ** 2))
    sqnr = 10 * np.log10(energy / noise) if noise > 0 else float("inf")
    rel = float(np.sqrt(noise / max(energy, 1e-30)))
    return sqnr, rel, float(err.max()) if err.size else 0.0


_POINT = re.compile(r'\{quantopt\.compare = "(model|float|shadow)", quantopt\.layer = "((?:[^"\\]|\\.)*)", '
                    r'quantopt\.op = "([^"]*)"\}')


def compare_layers(inst, stats, opts, inputs, work, outputs, report=None):
    """Quantizes the instrumented module with --quant-static-int8-pipeline
    compare-layers=true, runs it once on `inputs` and returns one row per
    quantization point, in model order, and the model's first output (the
    function's `outputs` results come first, then three per point: the
    model's value, the float value and the layer's shadow, named in result
    attributes)."""
    compare = os.path.join(work, "compare-layers.mlir")
    d.rewrite(inst, stats, opts, compare, report=report, compare_layers=True)
    with open(compare) as f:
        points = _POINT.findall(f.read())
    # The three-fold module is compiled at -O0: LLVM's code generation time
    # grows faster than the function, and the run is a few samples.
    values, _ = d.run_model(compare, inputs, work, "layers", outputs + len(points), opt_level=0)
    decisions = {}
    if report:
        with open(report) as f:
            for op in json.load(f)["ops"]:
                decisions.setdefault(op["name"], op["decision"])
    rows = []
    for i in range(0, len(points), 3):
        (_, name, op), quantized, floats, shadow = points[i], *values[outputs + i:outputs + i + 3]
        acc_sqnr, acc_rel, acc_max = _errors(floats, quantized)
        local_sqnr, local_rel, local_max = _errors(floats, shadow)
        rows.append(dict(name=name or f"{op}#{i // 3}", ops=op.replace("linalg.", ""),
                         decision=decisions.get(name, ""),
                         local_sqnr_db=local_sqnr, local_rel_error=local_rel, local_max_error=local_max,
                         accumulated_sqnr_db=acc_sqnr, accumulated_rel_error=acc_rel,
                         accumulated_max_error=acc_max))
    return rows, values[0]


def worst_first(rows):
    """Rows by local SQNR, lowest (most error added) first."""
    return sorted(rows, key=lambda r: r["local_sqnr_db"])


def _db(value):
    return "exact" if not np.isfinite(value) else f"{value:.1f} dB"


def _fit(text, width):
    """`text` in `width` characters, its end kept (the end of an ONNX node
    path names the op)."""
    return text if len(text) <= width else "..." + text[len(text) - width + 3:]


def print_layer_table(rows, samples, top):
    shown = worst_first(rows)[:top] if top else worst_first(rows)
    more = f", the {len(shown)} that add the most error" if len(shown) < len(rows) else ""
    print(f"\nper-layer error, FP32 vs INT8 ({samples} samples, {len(rows)} layers{more}):")
    width = min(60, max([5] + [len(r["name"]) for r in shown]))
    ops = min(24, max([3] + [len(r["ops"]) for r in shown]))
    print(f"{'layer':{width}} {'ops':{ops}} {'local SQNR':>11} {'accumulated':>12} {'rel. error':>11} "
          f"{'max |error|':>12}")
    for r in shown:
        print(f"{_fit(r['name'], width):{width}} {_fit(r['ops'], ops):{ops}} {_db(r['local_sqnr_db']):>11} "
              f"{_db(r['accumulated_sqnr_db']):>12} {100 * r['accumulated_rel_error']:9.2f} % "
              f"{r['accumulated_max_error']:12.4f}")
    worst = shown[0] if shown else None
    if worst:
        print(f"adds the most error: {worst['name']} (local SQNR {_db(worst['local_sqnr_db'])})")


def write_layer_json(rows, path, samples):
    def number(v):
        return None if not np.isfinite(v) else v  # JSON has no infinity: null is exact
    layers = [{k: (number(v) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]
    with open(path, "w") as f:
        json.dump({"samples": samples, "layers": layers}, f, indent=1)
        f.write("\n")


def plot_layers(rows, path, title, top):
    """Horizontal bars of the `top` layers that add the most error: local
    and accumulated SQNR per layer, worst at the top; readable at any model
    size (the image grows with `top`, not with the model)."""
    try:
        import matplotlib
    except ImportError:
        d.fail("--plot needs matplotlib (apt install python3-matplotlib)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = worst_first(rows)[:top] if top else worst_first(rows)
    local = [r["local_sqnr_db"] for r in shown]
    acc = [r["accumulated_sqnr_db"] for r in shown]
    finite = [v for v in local + acc if np.isfinite(v)]
    # An exact layer (infinite SQNR) is drawn past the others.
    cap = max(finite + [10.0]) * 1.15
    local = [v if np.isfinite(v) else cap for v in local]
    acc = [v if np.isfinite(v) else cap for v in acc]
    y = np.arange(len(shown))
    fig, ax = plt.subplots(figsize=(8.0, 1.2 + 0.32 * len(shown)))
    ax.barh(y - 0.2, local, height=0.4, color="tab:red", label="local (layer alone in INT8)")
    ax.barh(y + 0.2, acc, height=0.4, color="tab:blue", label="accumulated (INT8 model so far)")
    ax.set_yticks(y)
    ax.set_yticklabels([f"{_fit(r['name'], 40)} ({_fit(r['ops'], 20)})" for r in shown], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("SQNR vs FP32 (dB, higher is better)")
    more = f", {len(shown)} of {len(rows)} layers" if len(shown) < len(rows) else ""
    ax.set_title(f"{title}: layers adding the most quantization error{more}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def evaluate_layers(onnx_path, int8_output, data, calib, opts, work, plot=None, json_path=None, top=20,
                    max_samples=32):
    """The per-layer report of quantopt-eval: calibrates the model as
    quantopt-quantize does, runs quant-compare-layers on the first
    `max_samples` samples of `data`, prints the table (the `top` worst
    layers), and writes the JSON (every layer, in model order) and the plot
    when asked."""
    d.progress("per-layer comparison: calibrating the model again")
    _, inst = d.instrument(onnx_path, work, calib=calib, opts=opts)
    stats = d.calibrate(onnx_path, inst, calib, opts, work)
    inputs = [x[:max_samples] for x in d.load_inputs(data, d.model_input_names(onnx_path), "data set")]
    samples = len(inputs[0])
    rows, first_output = compare_layers(inst, stats, opts, inputs, work, d.model_output_count(onnx_path),
                                        report=os.path.join(work, "layers-report.json"))
    # Float rounding aside: the three-fold module is compiled at -O0, and
    # the float ops left in a model (layer norms, softmax) sum in another
    # order there.
    given = None if int8_output is None else int8_output[:samples]
    if given is not None and float(np.abs(first_output - given).max()) > 1e-4 * max(float(np.abs(given).max()),
                                                                                  1e-30):
        print("note: the INT8 model given differs from the model quantized again with these options; the "
              "per-layer numbers describe the latter")
    print_layer_table(rows, samples, top)
    if json_path:
        write_layer_json(rows, json_path, samples)
        print(f"wrote {json_path}")
    if plot:
        plot_layers(rows, plot, os.path.basename(onnx_path), top)
        print(f"wrote {plot}")
    return rows
