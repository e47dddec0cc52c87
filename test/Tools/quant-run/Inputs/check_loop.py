"""Checks loop.mlir's output against NumPy: check_loop.py X.npy Y.npy."""
import sys

import numpy as np

x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
w = np.array([[1, 0, -1], [0.5, 2, 0], [0, -0.25, 1], [1, 1, 1]], np.float32)
assert y.shape == (12, 3), y.shape
assert np.allclose(y, 3 * (x @ w), rtol=1e-6), (y, 3 * (x @ w))
print("loop output matches NumPy")
