"""The digits data set split used by the bundled example (fixed, no download).

    python3 examples/digits/data.py OUT_DIR   writes calib.npz and test.npz
"""
import os
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def load_split():
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.2, random_state=0, stratify=digits.target)
    return x_train, y_train, x_test, y_test


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    x_train, y_train, x_test, y_test = load_split()
    # Calibration: 200 training images, never the test set. The MLP reads
    # rows of 64 pixels, the CNN 1 x 8 x 8 images.
    np.savez(os.path.join(out, "calib.npz"), x=x_train[:200])
    np.savez(os.path.join(out, "test.npz"), x=x_test, y=y_test.astype(np.int64))
    np.savez(os.path.join(out, "calib_cnn.npz"), x=x_train[:200].reshape(-1, 1, 8, 8))
    np.savez(os.path.join(out, "test_cnn.npz"), x=x_test.reshape(-1, 1, 8, 8),
             y=y_test.astype(np.int64))


if __name__ == "__main__":
    main()
