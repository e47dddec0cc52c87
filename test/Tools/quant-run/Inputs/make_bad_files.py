"""Writes malformed .npy / .npz files that quant-run must refuse with a
message (none may crash it or make it allocate what the file only claims)."""
import os
import struct
import sys
import zipfile
import zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def npy(header, data=b""):
    header = header.encode()
    header += b" " * ((64 - (10 + len(header) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


# A shape whose element count wraps int64 (2^62 * 4 elements), no data.
write("huge_shape.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"))
# NumPy's reader demands exactly these three keys, once each.
write("extra_key.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), 'shape2': (1,), }", b"\0" * 32))
write("duplicate_key.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (8, 4), 'shape': (2, 4), }", b"\0" * 32))
write("missing_key.npy", npy("{'descr': '<f4', 'shape': (2, 4), }", b"\0" * 32))
write("bad_value.npy", npy("{'descr': '<f4', 'fortran_order': maybe, 'shape': (2, 4), }", b"\0" * 32))
write("not_a_dict.npy", npy("['descr', '<f4']", b"\0" * 32))
write("negative_dim.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 4), }"))

# A deflated member of a few hundred bytes that claims 4 GiB: refused
# before anything is inflated.
small = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", b"\0" * 32)
deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
raw = deflater.compress(small) + deflater.flush()
name = b"x.npy"
local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, zlib.crc32(small),
                    len(raw), 0xFFFFFFF0, len(name), 0) + name + raw
central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0,
                      zlib.crc32(small), len(raw), 0xFFFFFFF0, len(name), 0, 0,
                      0, 0, 0, 0) + name
end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
write("bomb.npz", local + central + end)

# A member whose .npy header describes other than its zip size.
liar = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (200, 4), }", b"\0" * 32)
with zipfile.ZipFile(os.path.join(out, "liar.npz"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("x.npy", liar)
