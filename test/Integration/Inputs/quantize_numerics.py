"""Execution test of convert-qnn-to-linalg against the NumPy reference.

  quantize_numerics.py emit [--requantize-mode M]   writes the test module
  quantize_numerics.py check [--requantize-mode M] OUT
      compares what the compiled module printed with python/quantopt/reference.py

Inputs are written into the module bit-exactly (hex floats); results are
printed as integers (floats as their bit patterns) so comparison is exact.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from quantopt import reference as ref  # noqa: E402
from mlir_text import qtype  # noqa: E402

rng = np.random.default_rng(20261123)

# Values whose x / scale (scale 0.5) are ties: 2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 1.5, -1.5.
TIES = [1.25, -1.25, 1.75, -1.75, 0.25, -0.25, 0.75, -0.75]
SPECIAL = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30, 1000.0, -1000.0]


def f32(values):
    return np.asarray(values, dtype=np.float32)


class Case:
    """One function under test: op, input, types, and the reference result."""

    def __init__(self, name, op, x, in_type, out_type, expected, out_kind):
        self.name, self.op, self.x = name, op, x
        self.in_type, self.out_type = in_type, out_type
        self.expected, self.out_kind = expected, out_kind


def shape_str(shape):
    return "x".join(str(d) for d in shape) + "x"


def build_cases(mode):
    cases = []
    i8, u8, i8n = ref.storage_range(8, True), ref.storage_range(8, False), ref.storage_range(8, True, True)

    # quantize, per tensor, i8: ties, saturation, NaN and inf, random values.
    x = f32(TIES + SPECIAL + list(rng.normal(0, 40, 46)))
    cases.append(Case("quantize_i8", "quantize", x, "f32", qtype("i8", 0.5, 0),
                      ref.quantize(x, 0.5, 0, *i8), "s8"))
    # quantize, u8 with a zero point and a non-power-of-two scale.
    x = f32(TIES + SPECIAL + list(rng.normal(0, 8, 46)))
    cases.append(Case("quantize_u8", "quantize", x, "f32", qtype("u8", 0.1, 128),
                      ref.quantize(x, 0.1, 128, *u8), "u8"))
    # quantize, narrow range [-127, 127].
    x = f32(TIES + SPECIAL + list(rng.uniform(-80, 80, 30)))
    cases.append(Case("quantize_i8_narrow", "quantize", x, "f32", qtype("i8<-127:127>", 0.5, 0),
                      ref.quantize(x, 0.5, 0, *i8n), "s8"))
    # quantize, per axis along dimension 0 of a 3x16 tensor.
    scales, zps = [0.02, 0.5, 3.0], [-5, 0, 7]
    x = f32(np.concatenate([np.array(TIES + SPECIAL[:8]), rng.normal(0, 30, 32)]).reshape(3, 16))
    cases.append(Case("quantize_per_axis", "quantize", x, "f32", qtype("i8", scales, zps, 0),
                      ref.quantize(x, scales, zps, *i8, axis=0), "s8"))
    # quantize from f16, computed in f32.
    x = np.asarray(TIES + [np.inf, -np.inf, np.nan, 65504.0] + list(rng.normal(0, 20, 20)), np.float16)
    cases.append(Case("quantize_f16", "quantize", x, "f16",
                      "!quant.uniform<i8:f16, 0.5:3>", ref.quantize(x, 0.5, 3, *i8), "s8"))
    # dequantize every i8 value; and u8 per axis.
    q = np.arange(-128, 128, dtype=np.int64)
    cases.append(Case("dequantize_i8", "dequantize", q, qtype("i8", 0.1, -3), "f32",
                      ref.dequantize(q, 0.1, -3), "f32"))
    q = rng.integers(0, 256, (2, 16))
    cases.append(Case("dequantize_u8_per_axis", "dequantize", q, qtype("u8", [0.05, 7.0], [128, 3], 0),
                      "f32", ref.dequantize(q, [0.05, 7.0], [128, 3], axis=0), "f32"))
    # requantize i32 accumulators to i8: exact ties (multiplier 0.5), random.
    q = np.concatenate([np.array([5, -5, 7, -7, 1 << 30, -(1 << 30), 0, 1]),
                        rng.integers(-60000, 60000, 56)])
    requant = ref.requantize if mode == "float" else ref.requantize_fixed_point
    cases.append(Case("requantize_i32_i8", "requantize", q, qtype("i32", 0.01, 0),
                      qtype("i8", 0.02, -1), requant(q, 0.01, 0, 0.02, -1, *i8), "s8"))
    cases.append(Case("requantize_odd_multiplier", "requantize", q, qtype("i32", 0.0037, 0),
                      qtype("u8", 0.9, 120), requant(q, 0.0037, 0, 0.9, 120, *u8), "u8"))
    q = rng.integers(-128, 128, (4, 2))
    cases.append(Case("requantize_per_axis", "requantize", q, qtype("i8", [0.3, 0.07], [1, -2], 1),
                      qtype("i8", 0.1, 4), requant(q, [0.3, 0.07], [1, -2], 0.1, 4, *i8, axis=1), "s8"))
    return cases


def storage_of(type_str):
    if type_str in ("f32", "f16"):
        return type_str
    return "i32" if type_str.startswith("!quant.uniform<i32") else "i8"


def literal(values, storage):
    flat = np.asarray(values).reshape(-1)
    if storage == "f32":
        items = [f"0x{v:08X}" for v in flat.astype(np.float32).view(np.uint32)]
    elif storage == "f16":
        items = [f"0x{v:04X}" for v in flat.astype(np.float16).view(np.uint16)]
    else:
        bits = 32 if storage == "i32" else 8
        items = [str(int(v) - (1 << bits) if int(v) >= 1 << (bits - 1) else int(v)) for v in flat]
    shape = np.asarray(values).shape
    nested = np.array(items, dtype=object).reshape(shape).tolist()
    return str(nested).replace("'", "")


PRINTERS = {
    "s8": ("i8", "arith.extsi %e : i8 to i64"),
    "u8": ("i8", "arith.extui %e : i8 to i64"),
    "f32": ("f32", "arith.bitcast %e : f32 to i32\n    %w = arith.extui %b : i32 to i64"),
}


def emit(mode):
    cases = build_cases(mode)
    out = []
    for kind, (elem, conv) in PRINTERS.items():
        if kind == "f32":
            body = f"%b = {conv}"
        else:
            body = f"%w = {conv}"
        out.append(f"""
func.func @print_{kind}(%t: tensor<?x{elem}>) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %t, %c0 : tensor<?x{elem}>
  scf.for %i = %c0 to %n step %c1 {{
    %e = tensor.extract %t[%i] : tensor<?x{elem}>
    {body}
    vector.print %w : i64
  }}
  return
}}""")
    main = []
    for k, c in enumerate(cases):
        shape = shape_str(c.x.shape)
        in_t, out_t = f"tensor<{shape}{c.in_type}>", f"tensor<{shape}{c.out_type}>"
        out.append(f"""
func.func @{c.name}(%x: {in_t}) -> {out_t} {{
  %r = qnn.{c.op} %x : {in_t} -> {out_t}
  return %r : {out_t}
}}""")
        in_storage = storage_of(c.in_type)
        const_t = f"tensor<{shape}{in_storage}>"
        main.append(f'  vector.print str "case {c.name}\\n"')
        main.append(f"  %x{k} = arith.constant dense<{literal(c.x, in_storage)}> : {const_t}")
        arg = f"%x{k}"
        if in_storage in ("i8", "i32"):
            main.append(f"  %a{k} = quant.scast %x{k} : {const_t} to {in_t}")
            arg = f"%a{k}"
        main.append(f"  %r{k} = call @{c.name}({arg}) : ({in_t}) -> {out_t}")
        elem = PRINTERS[c.out_kind][0]
        plain_t = f"tensor<{shape}{elem}>"
        value = f"%r{k}"
        if c.out_kind != "f32":
            main.append(f"  %s{k} = quant.scast %r{k} : {out_t} to {plain_t}")
            value = f"%s{k}"
        if c.x.ndim == 2:
            flat_t = f"tensor<{c.x.size}x{elem}>"
            main.append(f"  %f{k} = tensor.collapse_shape {value} [[0, 1]] : {plain_t} into {flat_t}")
            value, plain_t = f"%f{k}", flat_t
        main.append(f"  %d{k} = tensor.cast {value} : {plain_t} to tensor<?x{elem}>")
        main.append(f"  call @print_{c.out_kind}(%d{k}) : (tensor<?x{elem}>) -> ()")
    out.append("\nfunc.func @main() {\n" + "\n".join(main) + "\n  return\n}")
    print("// Generated by quantize_numerics.py emit: do not edit.")
    print("\n".join(out))


def check(mode, output_path):
    cases = build_cases(mode)
    if mode == "fixed-point":
        # The two requantize modes round differently on ties; make sure the
        # inputs contain such values, or this run could not tell them apart.
        floats = {c.name: c.expected for c in build_cases("float")}
        if all(np.array_equal(floats[c.name], c.expected) for c in cases):
            print("FAIL: inputs do not distinguish fixed-point from float requantize")
            return 1
    with open(output_path) as f:
        lines = [line.strip() for line in f if line.strip()]
    failures, pos = 0, 0
    for c in cases:
        header = f"case {c.name}"
        if pos >= len(lines) or lines[pos] != header:
            print(f"FAIL: expected '{header}' at output line {pos + 1}")
            return 1
        pos += 1
        n = c.expected.size
        got = np.array([int(v) for v in lines[pos:pos + n]], dtype=np.int64)
        pos += n
        expected = c.expected.reshape(-1)
        if c.out_kind == "f32":
            expected = expected.astype(np.float32).view(np.uint32).astype(np.int64)
        bad = np.nonzero(got != expected)[0]
        for i in bad[:10]:
            xi = np.asarray(c.x).reshape(-1)[i]
            print(f"FAIL {c.name}[{i}]: input {xi!r} got {got[i]} expected {expected[i]}")
        failures += len(bad)
        if not len(bad):
            print(f"ok {c.name}: {n} values bit-exact")
    if pos != len(lines):
        print(f"FAIL: {len(lines) - pos} unexpected trailing output lines")
        return 1
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["emit", "check"])
    parser.add_argument("output", nargs="?")
    parser.add_argument("--requantize-mode", default="float", choices=["float", "fixed-point"])
    args = parser.parse_args()
    if args.command == "emit":
        emit(args.requantize_mode)
        return 0
    return check(args.requantize_mode, args.output)


if __name__ == "__main__":
    sys.exit(main())
