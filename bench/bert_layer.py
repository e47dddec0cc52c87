"""Writes a DistilBERT-sized encoder layer (hidden 768, 12 heads of 64,
FFN 3072, GELU (tanh form), post-LayerNorm; sequence 128, batch 1) as a float
linalg-on-tensors function, with random BERT-like weights, and inputs.

  bert_layer.py DIR [--seq S] [--hidden H --heads N --ffn F]
      writes DIR/bert.mlir, DIR/x.npy (an input), DIR/calib.npy (calibration
      input); smaller sizes make the execution test's layer
  bert_layer.py DIR [sizes] --compare Y.npy --tol T
      checks Y.npy (the compiled layer's output on DIR/x.npy) against
      `reference`, the same layer in NumPy: prints the relative L2 error and
      fails if it is above T
"""
import argparse
import os
import sys
from collections import namedtuple

import numpy as np

Dims = namedtuple("Dims", "hidden heads ffn")
DISTILBERT = Dims(768, 12, 3072)


def weights(d, seed=0):
    rng = np.random.default_rng(seed)
    w = {}
    H, F = d.hidden, d.ffn
    for name, shape in [("q", (H, H)), ("k", (H, H)), ("v", (H, H)),
                        ("o", (H, H)), ("ffn1", (H, F)), ("ffn2", (F, H))]:
        w[name] = (rng.standard_normal(shape) * 0.02).astype(np.float32)
        w[name + "_b"] = (rng.standard_normal(shape[1]) * 0.02).astype(np.float32)
    return w


def reference(x, w, d):
    def ln(v):
        mean = v.mean(-1, keepdims=True)
        var = ((v - mean) ** 2).mean(-1, keepdims=True)
        return (v - mean) / np.sqrt(var + 1e-5)

    s = x.shape[0]
    q, k, v = (x @ w[n] + w[n + "_b"] for n in "qkv")
    head = d.hidden // d.heads
    heads = lambda t: t.reshape(s, d.heads, head).transpose(1, 0, 2)  # noqa: E731
    scores = heads(q) @ heads(k).transpose(0, 2, 1) * (1.0 / np.sqrt(head))
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p = p / p.sum(-1, keepdims=True)
    ctx = (p @ heads(v)).transpose(1, 0, 2).reshape(s, d.hidden)
    h1 = ln(x + ctx @ w["o"] + w["o_b"])
    f = h1 @ w["ffn1"] + w["ffn1_b"]
    f = 0.5 * f * (1 + np.tanh(0.7978845608 * (f + 0.044715 * f ** 3)))
    return ln(h1 + f @ w["ffn2"] + w["ffn2_b"])


def hex_const(name, a):
    dims = "x".join(map(str, a.shape))
    return f'  %{name} = arith.constant dense<"0x{a.tobytes().hex().upper()}"> : tensor<{dims}xf32>'


def mlir(s, w, d):
    H, F, NH, D = d.hidden, d.ffn, d.heads, d.hidden // d.heads
    t = lambda *dims: "tensor<" + "x".join(map(str, dims)) + "xf32>"  # noqa: E731
    lines = [f"func.func @main(%x: {t(s, H)}) -> {t(s, H)} {{"]
    lines += [hex_const("w_" + n, a) for n, a in w.items()]
    lines.append("  %zero = arith.constant 0.0 : f32")
    lines.append("  %ninf = arith.constant 0xFF800000 : f32")

    def dense(out, inp, wname, n, k):
        e = f"%{out}_e"
        lines.append(f"  {e} = tensor.empty() : {t(s, n)}")
        lines.append(f"  %{out}_z = linalg.fill ins(%zero : f32) outs({e} : {t(s, n)}) -> {t(s, n)}")
        lines.append(f"  %{out}_mm = linalg.matmul ins(%{inp}, %w_{wname} : {t(s, k)}, {t(k, n)}) "
                     f"outs(%{out}_z : {t(s, n)}) -> {t(s, n)}")
        lines.append(f"""  %{out} = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}} ins(%{out}_mm, %w_{wname}_b : {t(s, n)}, {t(n)}) outs({e} : {t(s, n)}) {{
  ^bb0(%a: f32, %bias: f32, %o: f32):
    %r = arith.addf %a, %bias : f32
    linalg.yield %r : f32
  }} -> {t(s, n)}""")

    def heads(out, inp):
        lines.append(f"  %{out}_x = tensor.expand_shape %{inp} [[0], [1, 2]] output_shape [{s}, {NH}, {D}] "
                     f": {t(s, H)} into {t(s, NH, D)}")
        lines.append(f"  %{out}_e = tensor.empty() : {t(NH, s, D)}")
        lines.append(f"  %{out} = linalg.transpose ins(%{out}_x : {t(s, NH, D)}) outs(%{out}_e : {t(NH, s, D)}) "
                     f"permutation = [1, 0, 2]")

    def layernorm(out, a, b):
        # y = (v - mean) / sqrt(var + eps), v = a + b, over the hidden axis.
        lines.append(f"""  %{out}_e = tensor.empty() : {t(s, H)}
  %{out}_v = linalg.add ins(%{a}, %{b} : {t(s, H)}, {t(s, H)}) outs(%{out}_e : {t(s, H)}) -> {t(s, H)}
  %{out}_re = tensor.empty() : {t(s)}
  %{out}_rz = linalg.fill ins(%zero : f32) outs(%{out}_re : {t(s)}) -> {t(s)}
  %{out}_sum = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}} ins(%{out}_v : {t(s, H)}) outs(%{out}_rz : {t(s)}) {{
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }} -> {t(s)}
  %{out}_sq = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}} ins(%{out}_v, %{out}_sum : {t(s, H)}, {t(s)}) outs(%{out}_rz : {t(s)}) {{
  ^bb0(%a: f32, %sum: f32, %acc: f32):
    %n = arith.constant {float(H)} : f32
    %mean = arith.divf %sum, %n : f32
    %d = arith.subf %a, %mean : f32
    %d2 = arith.mulf %d, %d : f32
    %r = arith.addf %d2, %acc : f32
    linalg.yield %r : f32
  }} -> {t(s)}
  %{out} = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}} ins(%{out}_v, %{out}_sum, %{out}_sq : {t(s, H)}, {t(s)}, {t(s)}) outs(%{out}_e : {t(s, H)}) {{
  ^bb0(%a: f32, %sum: f32, %sq: f32, %o: f32):
    %n = arith.constant {float(H)} : f32
    %eps = arith.constant 1.0e-05 : f32
    %mean = arith.divf %sum, %n : f32
    %var = arith.divf %sq, %n : f32
    %ve = arith.addf %var, %eps : f32
    %rs = math.rsqrt %ve : f32
    %d = arith.subf %a, %mean : f32
    %r = arith.mulf %d, %rs : f32
    linalg.yield %r : f32
  }} -> {t(s, H)}""")

    dense("q", "x", "q", H, H)
    dense("k", "x", "k", H, H)
    dense("v", "x", "v", H, H)
    heads("qh", "q")
    heads("kh", "k")
    heads("vh", "v")
    lines.append(f"""  %sc_e = tensor.empty() : {t(NH, s, s)}
  %sc_z = linalg.fill ins(%zero : f32) outs(%sc_e : {t(NH, s, s)}) -> {t(NH, s, s)}
  %sc = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%qh, %kh : {t(NH, s, D)}, {t(NH, s, D)}) outs(%sc_z : {t(NH, s, s)}) -> {t(NH, s, s)}
  %mx_e = tensor.empty() : {t(NH, s)}
  %mx_i = linalg.fill ins(%ninf : f32) outs(%mx_e : {t(NH, s)}) -> {t(NH, s)}
  %mx = linalg.generic {{indexing_maps = [affine_map<(b, i, j) -> (b, i, j)>, affine_map<(b, i, j) -> (b, i)>], iterator_types = ["parallel", "parallel", "reduction"]}} ins(%sc : {t(NH, s, s)}) outs(%mx_i : {t(NH, s)}) {{
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %a, %acc : f32
    linalg.yield %r : f32
  }} -> {t(NH, s)}
  %ex = linalg.generic {{indexing_maps = [affine_map<(b, i, j) -> (b, i, j)>, affine_map<(b, i, j) -> (b, i)>, affine_map<(b, i, j) -> (b, i, j)>], iterator_types = ["parallel", "parallel", "parallel"]}} ins(%sc, %mx : {t(NH, s, s)}, {t(NH, s)}) outs(%sc_e : {t(NH, s, s)}) {{
  ^bb0(%a: f32, %m: f32, %o: f32):
    %scale = arith.constant {1.0 / np.sqrt(D)!r} : f32
    %d = arith.subf %a, %m : f32
    %ds = arith.mulf %d, %scale : f32
    %r = math.exp %ds : f32
    linalg.yield %r : f32
  }} -> {t(NH, s, s)}
  %sm_z = linalg.fill ins(%zero : f32) outs(%mx_e : {t(NH, s)}) -> {t(NH, s)}
  %sm = linalg.generic {{indexing_maps = [affine_map<(b, i, j) -> (b, i, j)>, affine_map<(b, i, j) -> (b, i)>], iterator_types = ["parallel", "parallel", "reduction"]}} ins(%ex : {t(NH, s, s)}) outs(%sm_z : {t(NH, s)}) {{
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }} -> {t(NH, s)}
  %p = linalg.generic {{indexing_maps = [affine_map<(b, i, j) -> (b, i, j)>, affine_map<(b, i, j) -> (b, i)>, affine_map<(b, i, j) -> (b, i, j)>], iterator_types = ["parallel", "parallel", "parallel"]}} ins(%ex, %sm : {t(NH, s, s)}, {t(NH, s)}) outs(%sc_e : {t(NH, s, s)}) {{
  ^bb0(%a: f32, %sum: f32, %o: f32):
    %r = arith.divf %a, %sum : f32
    linalg.yield %r : f32
  }} -> {t(NH, s, s)}
  %cx_e = tensor.empty() : {t(NH, s, D)}
  %cx_z = linalg.fill ins(%zero : f32) outs(%cx_e : {t(NH, s, D)}) -> {t(NH, s, D)}
  %cx = linalg.batch_matmul ins(%p, %vh : {t(NH, s, s)}, {t(NH, s, D)}) outs(%cx_z : {t(NH, s, D)}) -> {t(NH, s, D)}
  %ct_e = tensor.empty() : {t(s, NH, D)}
  %ct = linalg.transpose ins(%cx : {t(NH, s, D)}) outs(%ct_e : {t(s, NH, D)}) permutation = [1, 0, 2]
  %ctx = tensor.collapse_shape %ct [[0], [1, 2]] : {t(s, NH, D)} into {t(s, H)}""")
    dense("att", "ctx", "o", H, H)
    layernorm("h1", "x", "att")
    dense("f1", "h1", "ffn1", F, H)
    lines.append(f"""  %g = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}} ins(%f1 : {t(s, F)}) outs(%f1_e : {t(s, F)}) {{
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.7978845608 : f32
    %c1 = arith.constant 0.044715 : f32
    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %a2 = arith.mulf %a, %a : f32
    %a3 = arith.mulf %a2, %a : f32
    %u = arith.mulf %a3, %c1 : f32
    %inner = arith.addf %a, %u : f32
    %arg = arith.mulf %inner, %c0 : f32
    %th = math.tanh %arg : f32
    %th1 = arith.addf %th, %one : f32
    %ha = arith.mulf %a, %half : f32
    %r = arith.mulf %ha, %th1 : f32
    linalg.yield %r : f32
  }} -> {t(s, F)}""")
    dense("f2", "g", "ffn2", H, F)
    layernorm("out", "h1", "f2")
    lines.append(f"  return %out : {t(s, H)}\n}}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=DISTILBERT.hidden)
    ap.add_argument("--heads", type=int, default=DISTILBERT.heads)
    ap.add_argument("--ffn", type=int, default=DISTILBERT.ffn)
    ap.add_argument("--compare", help="output of the compiled layer to check")
    ap.add_argument("--tol", type=float, default=1e-5)
    args = ap.parse_args()
    d = Dims(args.hidden, args.heads, args.ffn)
    w = weights(d)
    if args.compare:
        want = reference(np.load(os.path.join(args.dir, "x.npy")).astype(np.float64), w, d)
        got = np.load(args.compare)
        rel = np.linalg.norm(got - want) / np.linalg.norm(want)
        print(f"{'ok' if rel <= args.tol else 'FAIL'} relative L2 error {rel:.2e} "
              f"(tolerance {args.tol:.0e})")
        sys.exit(0 if rel <= args.tol else 1)
    os.makedirs(args.dir, exist_ok=True)
    with open(os.path.join(args.dir, "bert.mlir"), "w") as f:
        f.write(mlir(args.seq, w, d))
    rng = np.random.default_rng(1)
    np.save(os.path.join(args.dir, "x.npy"), rng.standard_normal((args.seq, d.hidden)).astype(np.float32))
    np.save(os.path.join(args.dir, "calib.npy"),
            rng.standard_normal((args.seq, d.hidden)).astype(np.float32))


if __name__ == "__main__":
    main()
