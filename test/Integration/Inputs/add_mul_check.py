"""NumPy check of add-mul.test: quantize(dequantize(a) op dequantize(b))."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from quantopt import reference as ref  # noqa: E402

d = sys.argv[1]
inputs = np.load(os.path.join(d, "in.npz"))
da = ref.dequantize(ref.quantize(inputs["a"], 0.05, -3, -128, 127), 0.05, -3)
db = ref.dequantize(ref.quantize(inputs["b"], 0.02, 120, 0, 255), 0.02, 120)
add = ref.dequantize(ref.quantize(np.maximum(da + db, np.float32(0)), 0.04, -128, -128, 127), 0.04, -128)
mul = ref.dequantize(ref.quantize(da * db, 0.01, 5, -128, 127), 0.01, 5)
for name, want in (("add", add), ("mul", mul)):
    got = np.load(os.path.join(d, f"int-{name}.npy"))
    print(f"{'ok' if np.array_equal(got.view(np.uint32), want.view(np.uint32)) else 'FAIL'} {name}")
