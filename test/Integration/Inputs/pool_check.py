"""NumPy check of pool-reshape.test's requantized max pooling."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from quantopt import reference as ref  # noqa: E402

d = sys.argv[1]
q = ref.quantize(np.load(os.path.join(d, "x.npy")), 0.05, -3, -128, 127)
pooled = q.reshape(1, 2, 2, 2, 2, 2).max(axis=(2, 4))
want = ref.dequantize(ref.requantize(pooled, 0.05, -3, 0.08, -10, -128, 127), 0.08, -10)
got = np.load(os.path.join(d, "int2.npy"))
print(f"{'ok' if np.array_equal(got.view(np.uint32), want.view(np.uint32)) else 'FAIL'} requantized max pooling")
