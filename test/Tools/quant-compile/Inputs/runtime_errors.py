"""Every misuse of quantopt.runtime is one exception that says what is wrong.
    runtime_errors.py LIB NOT_A_LIBRARY"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "python"))
import numpy as np  # noqa: E402
from quantopt import runtime  # noqa: E402

lib = runtime.load(sys.argv[1])
x = np.zeros((4, 16), np.float32)
for call in (lambda: lib.main(x.astype(np.float64)),
             lambda: lib.main(x[:2]),
             lambda: lib.main(x, x),
             lambda: lib.set_num_threads(2),
             lambda: runtime.load(sys.argv[1], name="other"),
             lambda: runtime.load(sys.argv[2]),
             lambda: runtime.load("/nonexistent/libx.so")):
    try:
        call()
        print("no error")
    except (TypeError, ValueError, runtime.LibraryError) as e:
        print(f"{type(e).__name__}: {e}")
# A non-contiguous view is copied, not misread.
y = lib.main(np.asfortranarray(np.arange(64, dtype=np.float32).reshape(4, 16)))
z = lib.main(np.arange(64, dtype=np.float32).reshape(4, 16))
print("fortran-order input:", "same result" if np.array_equal(y, z) else "DIFFERENT")
