"""Compares quant-run's outputs with NumPy: check_outputs.py DIR."""
import os
import sys

import numpy as np

d = sys.argv[1]
x = np.load(os.path.join(d, "x.npy"))
relu = np.load(os.path.join(d, "relu.npy"))
assert relu.shape == (12, 4), relu.shape
assert np.array_equal(relu, np.maximum(x, 0) * 2), (relu, x)
total = np.load(os.path.join(d, "sum.npy"))
# Results of the calls (batches of 3 rows) are concatenated along dimension 0.
assert total.shape == (16,), total.shape
assert np.allclose(total.reshape(4, 4), x.reshape(4, 3, 4).sum(axis=1)), total
print("outputs match NumPy")
