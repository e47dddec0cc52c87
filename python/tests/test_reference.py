"""Hand-computed checks of the NumPy reference itself (python/quantopt/reference.py),
so that the execution tests compare against a reference that is known right."""
import math
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from quantopt import reference as ref  # noqa: E402

I8 = ref.storage_range(8, True)
U8 = ref.storage_range(8, False)


class QuantizeTest(unittest.TestCase):
    def test_ties_to_even(self):
        got = ref.quantize([1.25, -1.25, 1.75, -1.75, 0.25], 0.5, 0, *I8)
        self.assertEqual(got.tolist(), [2, -2, 4, -4, 0])

    def test_zero_point_after_rounding(self):
        self.assertEqual(ref.quantize([1.25], 0.5, 3, *I8).tolist(), [5])

    def test_saturation_nan_inf(self):
        got = ref.quantize([1e6, -1e6, math.inf, -math.inf, math.nan], 0.1, 7, *U8)
        self.assertEqual(got.tolist(), [255, 0, 255, 0, 7])

    def test_per_axis(self):
        x = np.array([[1.0, -1.0], [1.0, 100.0]], np.float32)
        got = ref.quantize(x, [0.5, 0.25], [0, 10], *U8, axis=0)
        self.assertEqual(got.tolist(), [[2, 0], [14, 255]])


class DequantizeTest(unittest.TestCase):
    def test_basic(self):
        got = ref.dequantize([5, -128, 255], 0.5, 3)
        self.assertEqual(got.dtype, np.float32)
        self.assertEqual(got.tolist(), [1.0, -65.5, 126.0])


class RequantizeTest(unittest.TestCase):
    def test_float_ties(self):
        # 0.01 / 0.02 = 0.5: 5 -> 2.5 -> 2, 7 -> 3.5 -> 4, -7 -> -4.
        self.assertEqual(ref.requantize([5, 7, -7], 0.01, 0, 0.02, 0, *I8).tolist(), [2, 4, -4])

    def test_fixed_point_rounding(self):
        # gemmlowp rounds the tie 2.5 up, -3.5 toward +inf (-3).
        got = ref.requantize_fixed_point([5, -7, 1000], 0.01, 0, 0.02, 0, *I8)
        self.assertEqual(got.tolist(), [3, -3, 127])

    def test_quantize_multiplier(self):
        self.assertEqual(ref.quantize_multiplier(0.5), (1 << 30, 0))
        self.assertEqual(ref.quantize_multiplier(0.1), (1717986918, -3))
        self.assertEqual(ref.quantize_multiplier(3.0), (3 << 29, 2))


if __name__ == "__main__":
    unittest.main()
