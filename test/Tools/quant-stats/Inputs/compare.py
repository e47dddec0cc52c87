"""Checks merged statistics against those of one run over all the data:
counts, extremes and histograms exactly, moving averages within 5 %."""
import json
import sys

merged, whole = (json.load(open(p))["observers"] for p in sys.argv[1:3])
assert len(merged) == len(whole)
for m, w in zip(merged, whole):
    for key in ("name", "count", "batches", "min", "max", "histogram", "nan_count", "inf_count"):
        assert m[key] == w[key], (m["name"], key, m[key], w[key])
    for key in ("avg_min", "avg_max"):
        assert abs(m[key] - w[key]) <= 0.05 * max(abs(w[key]), 1e-6) + 1e-6, (m["name"], key, m[key], w[key])
print(f"merged: {len(merged)} observers equal to one run over all samples")
