"""Calibration statistics and methods against an independent NumPy computation.

Runs quant-run --calibrate on data sets fed in batches of growing range (so
the histogram is re-binned), then checks:
  - count, min, max, NaN/inf counts: exact;
  - moving-average min/max: the PyTorch formula replayed in NumPy, per
    call and per calibration batch of 3 calls (--calibration-batch);
  - the histogram: equal to np.histogram over the final range (re-binning is exact);
  - minmax / moving-average scales: exact;
  - percentile, entropy (ONNX Runtime's KL search, re-implemented here) and
    MSE: the chosen range within one histogram bin of NumPy's.

Usage: test_calibration_methods.py TOOLS_DIR WORK_DIR
"""
import json
import os
import re
import subprocess
import sys

import numpy as np

TOOLS, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
BATCH, COLS = 16, 32
MODULE = f"""
func.func @main(%x: tensor<{BATCH}x{COLS}xf32>) -> tensor<{BATCH}x{COLS}xf32> {{
  %y = qnn.observe %x id(0) name("x") : tensor<{BATCH}x{COLS}xf32>
  return %y : tensor<{BATCH}x{COLS}xf32>
}}
"""
QMIN, QMAX = -128, 127
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def run(*args):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def choose(lo, hi):
    """ONNX Runtime's compute_scale_zp (asymmetric, int8)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / (QMAX - QMIN)
    return scale, int(np.clip(np.rint(QMIN - lo / scale), QMIN, QMAX))


def applied_scale(method, extra=""):
    out = run(os.path.join(TOOLS, "quant-opt"), os.path.join(WORK, "model.mlir"),
              f"--quant-apply-calibration=stats={os.path.join(WORK, 'stats.json')} "
              f"method={method} {extra}")
    m = re.search(r"!quant.uniform<i8:f32, ([0-9.eE+-]+)(?::(-?\d+))?>", out)
    return float(m.group(1)), int(m.group(2) or 0)


def entropy_threshold(hist, edges, num_quantized_bins=128):
    """ONNX Runtime's HistogramCollector.get_entropy_threshold, in NumPy."""
    num_bins = hist.size
    zero_bin = num_bins // 2
    half = num_quantized_bins // 2
    best, best_kl = None, np.inf
    for i in range(half, zero_bin + 1):
        start, end = zero_bin - i, min(zero_bin + i + 1, num_bins)
        sliced = hist[start:end].astype(np.float64)
        p = sliced.copy()
        p[0] += hist[:start].sum()
        p[-1] += hist[end:].sum()
        nonzeros = (p != 0).astype(np.int64)
        merged = sliced.size // num_quantized_bins
        quantized = np.array([sliced[k * merged:(k + 1) * merged].sum()
                              for k in range(num_quantized_bins)])
        quantized[-1] += sliced[num_quantized_bins * merged:].sum()
        q = np.zeros(p.size)
        for k in range(num_quantized_bins):
            norm = nonzeros[k * merged:(k + 1) * merged].sum()
            if norm:
                q[k * merged:(k + 1) * merged] = quantized[k] / norm
        q = np.where(p != 0, q, 0)

        def smooth(d, eps=0.0001):
            zeros = (d == 0).sum()
            if zeros == d.size:
                return None
            d = d + np.where(d == 0, eps, -eps * zeros / (d.size - zeros))
            return None if (d <= 0).any() else d

        ps, qs = smooth(p), smooth(q)
        if ps is None or qs is None:
            continue
        ps, qs = ps / ps.sum(), qs / qs.sum()
        kl = float(np.sum(ps * np.log(ps / qs)))
        if kl < best_kl:
            best_kl, best = kl, (edges[start], edges[end])
    return best


def mse_range(hist, edges, lo, hi):
    centres = (edges[:-1] + edges[1:]) / 2
    width = edges[1] - edges[0]
    best, best_err = (lo, hi), np.inf
    for k in range(1, hist.size // 2 + 1):
        t = k * width
        cand = (max(-t, lo), min(t, hi))
        scale, zp = choose(*cand)
        s32 = np.float32(scale)
        c = centres.astype(np.float32)
        q = np.clip(np.rint(c / s32) + zp, QMIN, QMAX)
        err = float(np.sum(hist * (c.astype(np.float64) - ((q - zp).astype(np.float32) * s32)) ** 2))
        if err < best_err:
            best_err, best = err, cand
        if t >= max(abs(lo), abs(hi)):
            break
    return best


def dataset(name, rng, batches):
    if name == "normal":
        return [rng.normal(0.3, 1.0 + b, (BATCH, COLS)) for b in range(batches)]
    if name == "laplace-outliers":
        out = [rng.laplace(0, 0.5, (BATCH, COLS)) for _ in range(batches)]
        out[-1][0, :4] = [40.0, -25.0, 33.0, 18.0]
        return out
    if name == "relu":
        return [np.maximum(rng.normal(0, 2 + b / 2, (BATCH, COLS)), 0) for b in range(batches)]
    raise ValueError(name)


def run_case(name, seed):
    rng = np.random.default_rng(seed)
    batches = [b.astype(np.float32) for b in dataset(name, rng, 8)]
    data = np.concatenate(batches)
    data_with_specials = data.copy()
    data_with_specials[0, 0], data_with_specials[1, 1], data_with_specials[2, 2] = np.nan, np.inf, -np.inf
    np.save(os.path.join(WORK, "data.npy"), data_with_specials)
    run(os.path.join(TOOLS, "quant-run"), os.path.join(WORK, "model.mlir"),
        "--input", os.path.join(WORK, "data.npy"), "--calibrate", os.path.join(WORK, "stats.json"),
        "--no-progress")
    stats = json.load(open(os.path.join(WORK, "stats.json")))["observers"][0]

    finite = data_with_specials[np.isfinite(data_with_specials)].astype(np.float64)
    check(stats["count"] == finite.size, f"{name}: count {stats['count']} != {finite.size}")
    check(stats["nan_count"] == 1 and stats["inf_count"] == 2, f"{name}: NaN/inf counts")
    check(stats["min"] == finite.min() and stats["max"] == finite.max(), f"{name}: min/max")

    # PyTorch's MovingAverageMinMaxObserver, replayed.
    avg_min = avg_max = None
    for b in data_with_specials.reshape(-1, BATCH, COLS):
        f = b[np.isfinite(b)].astype(np.float64)
        if avg_min is None:
            avg_min, avg_max = f.min(), f.max()
        else:
            avg_min += 0.01 * (f.min() - avg_min)
            avg_max += 0.01 * (f.max() - avg_max)
    check(np.isclose(stats["avg_min"], avg_min, rtol=1e-12) and
          np.isclose(stats["avg_max"], avg_max, rtol=1e-12), f"{name}: moving averages")

    # --calibration-batch 3: the averages take each 3 calls' min and max
    # (the last batch is 2 calls: the 8 calls do not divide by 3).
    run(os.path.join(TOOLS, "quant-run"), os.path.join(WORK, "model.mlir"),
        "--input", os.path.join(WORK, "data.npy"), "--calibrate", os.path.join(WORK, "grouped.json"),
        "--calibration-batch", "3", "--no-progress")
    grouped = json.load(open(os.path.join(WORK, "grouped.json")))["observers"][0]
    calls = data_with_specials.reshape(-1, BATCH, COLS)
    avg3_min = avg3_max = None
    for start in range(0, len(calls), 3):
        f = calls[start:start + 3]
        f = f[np.isfinite(f)].astype(np.float64)
        if avg3_min is None:
            avg3_min, avg3_max = f.min(), f.max()
        else:
            avg3_min += 0.01 * (f.min() - avg3_min)
            avg3_max += 0.01 * (f.max() - avg3_max)
    check(np.isclose(grouped["avg_min"], avg3_min, rtol=1e-12) and
          np.isclose(grouped["avg_max"], avg3_max, rtol=1e-12) and grouped["calls_per_batch"] == 3 and
          grouped["min"] == stats["min"] and grouped["batches"] == 8,
          f"{name}: moving averages per calibration batch of 3 calls")

    # The histogram equals a direct one over the final range.
    h = stats["histogram"]
    R, nbins = h["range"], h["num_bins"]
    ours = np.zeros(nbins, np.int64)
    for b, c in h["bins"]:
        ours[b] = c
    direct, edges = np.histogram(finite, bins=nbins, range=(-R, R))
    check(np.array_equal(ours, direct), f"{name}: histogram differs from np.histogram "
          f"in {np.count_nonzero(ours != direct)} bins")
    width = 2 * R / nbins
    # Coarsest half of the histogram would still hold the data: re-binning happened.
    check(R < 2 * max(abs(finite.min()), abs(finite.max())) + 1e-12, f"{name}: range {R} too wide")

    lo, hi = finite.min(), finite.max()
    tol = 2 * width / (QMAX - QMIN) + 1e-12  # one bin at each end, in scale units

    s, zp = applied_scale("minmax")
    check((s, zp) == choose(lo, hi), f"{name}: minmax {(s, zp)} != {choose(lo, hi)}")
    s, zp = applied_scale("moving-average")
    check(np.isclose(s, choose(avg_min, avg_max)[0], rtol=1e-12), f"{name}: moving-average scale")

    ordered = np.sort(finite)
    for pct in (99.0, 99.9):
        # The order statistics just inside each tail of (100 - pct) / 2 %
        # (no interpolation between neighbours, which a sparse tail can
        # pull away by more than a bin).
        cut = int(np.floor((100 - pct) / 2 / 100 * ordered.size))
        want = (max(ordered[cut], lo), min(ordered[ordered.size - 1 - cut], hi))
        s, _ = applied_scale("percentile", f"percentile={pct}")
        check(abs(s - choose(*want)[0]) <= tol,
              f"{name}: percentile {pct}: scale {s} vs NumPy {choose(*want)[0]} (tol {tol})")

    t = entropy_threshold(direct, edges)
    want = (max(t[0], lo), min(t[1], hi))
    s, _ = applied_scale("entropy")
    check(abs(s - choose(*want)[0]) <= tol,
          f"{name}: entropy scale {s} vs NumPy {choose(*want)[0]} (tol {tol})")
    if name == "laplace-outliers":
        check(s < choose(lo, hi)[0] / 4, f"{name}: entropy should clip the outliers")

    want = mse_range(direct, edges, lo, hi)
    s, _ = applied_scale("mse")
    check(abs(s - choose(*want)[0]) <= tol,
          f"{name}: mse scale {s} vs NumPy {choose(*want)[0]} (tol {tol})")
    print(f"ok {name}")


with open(os.path.join(WORK, "model.mlir"), "w") as f:
    f.write(MODULE)
for seed, case in enumerate(["normal", "laplace-outliers", "relu"]):
    run_case(case, seed)
print("FAILED" if failures else "ALL OK")
sys.exit(1 if failures else 0)
