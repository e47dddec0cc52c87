"""Runs a quant-compile library through quantopt.runtime on the rows of an
.npy file, a batch of the function's leading dimension per call, and
compares with quant-run's output for the same rows bit for bit.
    check_runtime.py LIB INPUT.npy EXPECTED.npy [THREADS]"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "python"))
import numpy as np  # noqa: E402
from quantopt import runtime  # noqa: E402

lib = runtime.load(sys.argv[1])
x, expected = np.load(sys.argv[2]), np.load(sys.argv[3])
if len(sys.argv) > 4:
    lib.set_num_threads(int(sys.argv[4]))
print(lib.main)
rows = lib.main.inputs[0][1][0]
y = np.concatenate([lib.main(x[i:i + rows]) for i in range(0, len(x), rows)])
assert y.dtype == expected.dtype and y.shape == expected.shape, (y.dtype, y.shape)
assert y.tobytes() == expected.tobytes(), np.abs(y - expected).max()
print(f"runtime: {len(x) // rows} calls, bit-exact with quant-run")
