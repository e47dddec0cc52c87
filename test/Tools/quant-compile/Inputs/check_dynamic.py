"""Functions with dynamic shapes through the C interface, checked against
NumPy: inputs take any size where the type says '?', results of dynamic
shape are allocated by the library (and freed by quantopt.runtime).
    check_dynamic.py LIBDYN LIBRELU"""
import ctypes
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "python"))
import numpy as np  # noqa: E402
from quantopt import runtime  # noqa: E402

dyn, relu = runtime.load(sys.argv[1]), runtime.load(sys.argv[2])
print(dyn.double, dyn.identity_and_constant, relu.dynamic, sep="\n")
for rows in (3, 1, 0, 257):
    x = np.arange(rows * 4, dtype=np.float32).reshape(rows, 4) - 7
    y = dyn.double(x)
    assert y.shape == (rows, 4) and np.array_equal(y, 2 * x), rows
    a, c = dyn.identity_and_constant(x)
    assert np.array_equal(a, x) and np.array_equal(c, np.array([[1, 2], [3, 4]], np.int32))
    s = relu.dynamic(x)
    assert s.shape == (4,) and np.array_equal(s, x.sum(0)), (s, x.sum(0))
print("dynamic: 3, 1, 0 and 257 rows match NumPy")
try:
    relu.dynamic(np.zeros((3, 5), np.float32))
except ValueError as e:
    print("ValueError:", e)
# The C side checks the shape too.
out = np.empty(4, np.float32)
shape = (ctypes.c_int64 * 2)(3, 5)
status = relu._dll.relu_dynamic(ctypes.c_void_p(out.ctypes.data), shape, ctypes.c_void_p(out.ctypes.data))
print("C status", status, relu.status_message(status))
