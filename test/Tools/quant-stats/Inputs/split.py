"""Splits calib.npz (one array 'x', samples along axis 0) into two halves."""
import sys

import numpy as np

x = np.load(sys.argv[1])["x"]
half = len(x) // 2
np.savez(sys.argv[2], x=x[:half])
np.savez(sys.argv[3], x=x[half:])
