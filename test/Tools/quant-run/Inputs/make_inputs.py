"""Writes the arrays quant-run's tests read into the directory given."""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
x = (np.arange(48, dtype=np.float32).reshape(12, 4) - 20) / 4
np.save(os.path.join(out, "x.npy"), x)
np.savez(os.path.join(out, "set.npz"), x=x)
np.savez_compressed(os.path.join(out, "compressed.npz"), x=x)
np.save(os.path.join(out, "x_f64.npy"), x.astype(np.float64))
np.save(os.path.join(out, "x_3cols.npy"), x[:, :3].copy())
np.save(os.path.join(out, "x_10rows.npy"), x[:10].copy())
np.save(os.path.join(out, "x_fortran.npy"), np.asfortranarray(x))
with open(os.path.join(out, "garbage.npy"), "wb") as f:
    f.write(b"this is not numpy")
with open(os.path.join(out, "truncated.npy"), "wb") as f:
    f.write(open(os.path.join(out, "x.npy"), "rb").read()[:150])
