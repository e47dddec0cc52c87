"""QuantOpt's CPU benchmark: our INT8 and FP32 code (quant-lower-to-cpu-
pipeline, JIT-run by quant-run) against oneDNN INT8 and FP32 and against this
core's measured peak, all measured in this run: GEMMs, a conv2d and a
depthwise conv2d layer and a DistilBERT-sized layer single-threaded, the
time of a calibration call against an FP32 one, then 1 -> 2 thread
scaling. Prints tables of times and ratios. Run through
bench/run.sh (installs oneDNN).

Times are the best of many calls (warm caches, steady clocks) for every
column alike.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GEMMS = [(1, 768, 768), (16, 768, 768), (128, 768, 768), (128, 768, 3072),
         (128, 3072, 768), (512, 1024, 1024)]
CONV = (56, 56, 64, 64)  # 3x3, padding 1: H, W, C in, F out (a ResNet layer)
DEPTHWISE = (56, 56, 128, 128)  # 3x3 depthwise, padding 1 (a MobileNet layer)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


# Our kernels in the main tables: AVX-512 VNNI where the CPU has it, as
# oneDNN there (quant-run's host target would pick AMX on a CPU with AMX;
# amx_table compares those).
KERNELS = []


def quant_run_ms(tools, model, inp, repeat, extra=()):
    out = run([os.path.join(tools, "quant-run"), model, "--input", inp, "--pipeline=cpu",
               f"--repeat={repeat}", "--no-progress",
               *(KERNELS if not any(e.startswith("--target") for e in extra) else []), *extra])
    return float(re.search(r"min ([0-9.]+) ms", out).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    tools = os.path.join(args.build, "bin")
    bench_bin = os.path.join(args.build, "bench")
    # oneDNN on the ISA our default kernels use (AVX-512 VNNI): on a CPU with
    # AMX it would take AMX tiles; both sides' AMX GEMMs are printed apart
    # (amx_table).
    env1 = dict(os.environ, OMP_NUM_THREADS="1", ONEDNN_MAX_CPU_ISA="AVX512_CORE_VNNI")
    scale = 1 if args.quick else 4

    if HAS_AMX:
        KERNELS.append("--target=vnni")
    peak = dict(re.findall(r"peak (\w+) ([0-9.]+)", run([os.path.join(bench_bin, "peak")])))
    peak_int8, peak_f32 = float(peak["int8"]), float(peak["f32"])
    print(f"Measured peak of one core: vpdpbusd {peak_int8:.0f} GOPS, "
          f"vfmadd231ps {peak_f32:.0f} GFLOPS\n")

    header = (f"{'GEMM M,K,N':<16} {'INT8 ms':>8} {'GOPS':>5} {'%peak':>5} "
              f"{'oneDNN':>8} {'vs oneDNN':>9} {'FP32 ms':>8} {'%peak':>5} "
              f"{'oneDNN':>8} {'vs oneDNN':>9} {'INT8/FP32':>9} {'dyn ms':>8} {'dyn/FP32':>8}")
    print(header)
    print("-" * len(header))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for m, k, n in GEMMS:
            d = os.path.join(tmp, f"{m}x{k}x{n}")
            run([sys.executable, os.path.join(HERE, "gemm_model.py"), d, str(m), str(k), str(n)])
            ops = 2.0 * m * k * n
            reps = max(20, int(2e9 / ops)) * scale
            ours8 = quant_run_ms(tools, os.path.join(d, "int8.mlir"), os.path.join(d, "x_i8.npy"), reps)
            ours32 = quant_run_ms(tools, os.path.join(d, "f32.mlir"), os.path.join(d, "x_f32.npy"),
                                  max(10, reps // 4))
            # Dynamic INT8 of the FP32 model: activations quantized per call.
            run([os.path.join(tools, "quant-opt"), os.path.join(d, "f32.mlir"),
                 "--quant-dynamic-int8-pipeline=lower-qnn=false", "-o", os.path.join(d, "dyn.mlir")])
            dyn = quant_run_ms(tools, os.path.join(d, "dyn.mlir"), os.path.join(d, "x_f32.npy"),
                               max(10, reps // 2))
            lib = dict((kind, float(ms)) for kind, ms in re.findall(
                r"onednn (\w+) \d+ \d+ \d+ ([0-9.]+)",
                run([os.path.join(bench_bin, "onednn-gemm"), str(m), str(k), str(n), str(reps)],
                    env=env1)))
            gops = ops / ours8 / 1e6
            row = (f"{m},{k},{n}", ours8, gops, 100 * gops / peak_int8, lib["int8"],
                   lib["int8"] / ours8, ours32, 100 * ops / ours32 / 1e6 / peak_f32, lib["f32"],
                   lib["f32"] / ours32, ours32 / ours8, dyn, ours32 / dyn)
            rows.append(row)
            print(f"{row[0]:<16} {row[1]:>8.4f} {row[2]:>5.0f} {row[3]:>5.0f} {row[4]:>8.4f} "
                  f"{row[5]:>8.2f}x {row[6]:>8.4f} {row[7]:>5.0f} {row[8]:>8.4f} {row[9]:>8.2f}x "
                  f"{row[10]:>8.2f}x {row[11]:>8.4f} {row[12]:>7.2f}x", flush=True)
        amx_table(tools, tmp, bench_bin, rows, scale)
        integer_ir(tools, tmp, scale)
        conv_layer(tools, bench_bin, tmp, env1, scale, peak_int8)
        bert = bert_layer(tools, bench_bin, tmp, env1, scale)
        calibration(tools, tmp, scale)
        scaling(tools, bench_bin, tmp, scale, bert)
    print("\n'vs oneDNN' = oneDNN time / our time (above 1: we are faster); "
          "INT8/FP32 = our FP32 time / our INT8 time; dyn = dynamic INT8 "
          "(--quant-dynamic-int8-pipeline), dyn/FP32 = our FP32 time / dynamic INT8 time.")


HAS_AMX = "amx_int8" in open("/proc/cpuinfo").read().split()


def amx_table(tools, tmp, bench_bin, rows, scale):
    """On a CPU with AMX (Sapphire Rapids and later): our INT8 GEMMs on AMX
    tiles (quant-run --target=amx) next to oneDNN's, which picks AMX itself
    here, and to our AVX-512 VNNI kernels of the table above."""
    if not HAS_AMX:
        return
    print(f"\n{'GEMM M,K,N':<16} {'AMX ms':>8} {'oneDNN AMX':>10} {'vs oneDNN':>9} "
          f"{'our VNNI':>8} {'AMX/VNNI':>8}")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for (m, k, n), row in zip(GEMMS, rows):
        d = os.path.join(tmp, f"{m}x{k}x{n}")
        reps = max(20, int(2e9 / (2.0 * m * k * n))) * scale
        ours = quant_run_ms(tools, os.path.join(d, "int8.mlir"), os.path.join(d, "x_i8.npy"), reps,
                            ["--target=amx"])
        out = run([os.path.join(bench_bin, "onednn-gemm"), str(m), str(k), str(n), str(reps)],
                  env=env)
        lib = float(re.search(r"onednn int8 \d+ \d+ \d+ ([0-9.]+)", out).group(1))
        print(f"{row[0]:<16} {ours:>8.4f} {lib:>10.4f} {lib / ours:>8.2f}x {row[1]:>8.4f} "
              f"{row[1] / ours:>7.2f}x", flush=True)


def integer_ir(tools, tmp, scale):
    """Already-integer IR: linalg.matmul i8 x i8 -> i32 (the i32 sums) next
    to the same GEMM as qnn.matmul (requantized to i8), both on the packed
    kernels."""
    print(f"\n{'already-integer GEMM':<22} {'linalg.matmul i32 ms':>20} {'qnn.matmul ms':>14} "
          f"{'ratio':>6}")
    for m, k, n in [(16, 768, 768), (128, 768, 768)]:
        d = os.path.join(tmp, f"{m}x{k}x{n}")
        reps = max(20, int(2e9 / (2.0 * m * k * n))) * scale
        x = os.path.join(d, "x_i8.npy")
        i32 = quant_run_ms(tools, os.path.join(d, "i32.mlir"), x, reps)
        q8 = quant_run_ms(tools, os.path.join(d, "int8.mlir"), x, reps)
        print(f"{f'{m},{k},{n}':<22} {i32:>20.4f} {q8:>14.4f} {i32 / q8:>5.2f}x", flush=True)


def conv_layer(tools, bench_bin, tmp, env1, scale, peak_int8):
    """3x3 NHWC convolutions: a full one (the direct convolution form of our
    packed kernels) and a depthwise one (their depthwise form), INT8 and FP32."""
    print(f"\n{'conv2d 3x3 NHWC':<16} {'INT8 ms':>8} {'GOPS':>5} {'%peak':>5} {'oneDNN':>8} "
          f"{'vs oneDNN':>9} {'FP32 ms':>8} {'oneDNN':>8} {'vs oneDNN':>9} {'INT8/FP32':>9}")
    for name, (h, w, c, f), flags in [("conv", CONV, []), ("dw", DEPTHWISE, ["--depthwise"])]:
        d = os.path.join(tmp, name)
        run([sys.executable, os.path.join(HERE, "conv_model.py"), d, str(h), str(w), str(c),
             str(f), *flags])
        ops = 2.0 * h * w * f * 9 * (1 if flags else c)
        ours8 = quant_run_ms(tools, os.path.join(d, "int8.mlir"), os.path.join(d, "x_i8.npy"),
                             20 * scale)
        ours32 = quant_run_ms(tools, os.path.join(d, "f32.mlir"), os.path.join(d, "x_f32.npy"),
                              5 * scale)
        lib = dict((kind, float(ms)) for kind, ms in re.findall(
            r"onednn (\w+) \d+ \d+ \d+ \d+ ([0-9.]+)",
            run([os.path.join(bench_bin, "onednn-conv"), *flags, str(h), str(w), str(c), str(f),
                 str(20 * scale)], env=env1)))
        gops = ops / ours8 / 1e6
        label = f"dw {h}x{w}x{c}" if flags else f"{h}x{w}x{c}->{f}"
        print(f"{label:<16} {ours8:>8.4f} {gops:>5.0f} {100 * gops / peak_int8:>5.0f} "
              f"{lib['int8']:>8.4f} {lib['int8'] / ours8:>8.2f}x {ours32:>8.4f} "
              f"{lib['f32']:>8.4f} {lib['f32'] / ours32:>8.2f}x {ours32 / ours8:>8.2f}x",
              flush=True)


def calibration(tools, tmp, scale):
    """Calibration at inference speed: one calibration call (the README's
    flow: quant-prepare-pipeline, quant-insert-calibration, quant-run
    --calibrate on the CPU pipeline) against one FP32 call of the same
    model, for the conv layer and the DistilBERT layer."""
    print(f"\n{'calibration':<18} {'calib ms':>8} {'FP32 ms':>8} {'calib/FP32':>10}")
    for name, d, model, x in [("conv 56x56x64->64", "conv", "f32.mlir", "x_f32.npy"),
                              ("DistilBERT layer", "bert", "bert.mlir", "x.npy")]:
        d = os.path.join(tmp, d)
        inst = os.path.join(d, "calib-inst.mlir")
        run([os.path.join(tools, "quant-opt"), os.path.join(d, model), "--quant-prepare-pipeline",
             "--quant-insert-calibration", "-o", inst])
        reps = 10 * scale
        calib = quant_run_ms(tools, inst, os.path.join(d, x), reps,
                             ["--calibrate", os.path.join(d, "calib-stats.json")])
        fp32 = quant_run_ms(tools, os.path.join(d, model), os.path.join(d, x), reps)
        print(f"{name:<18} {calib:>8.3f} {fp32:>8.3f} {calib / fp32:>9.2f}x", flush=True)


def scaling(tools, bench_bin, tmp, scale, bert):
    """1 -> 2 threads (this machine has 2 cores): ours (--num-threads, OpenMP)
    and oneDNN (OMP_NUM_THREADS), INT8."""
    print(f"\n{'INT8, threads':<18} {'ours 1':>8} {'ours 2':>8} {'scaling':>8} "
          f"{'oneDNN 1':>9} {'oneDNN 2':>9} {'scaling':>8}")
    envs = [dict(os.environ, OMP_NUM_THREADS=str(t), ONEDNN_MAX_CPU_ISA="AVX512_CORE_VNNI")
            for t in (1, 2)]
    rows = []
    for m, k, n in [(128, 768, 768), (512, 1024, 1024)]:
        d = os.path.join(tmp, f"{m}x{k}x{n}")
        reps = max(20, int(2e9 / (2.0 * m * k * n))) * scale
        ours = [quant_run_ms(tools, os.path.join(d, "int8.mlir"), os.path.join(d, "x_i8.npy"),
                             reps, [f"--num-threads={t}"]) for t in (1, 2)]
        lib = [float(re.search(r"onednn int8 \d+ \d+ \d+ ([0-9.]+)", run(
            [os.path.join(bench_bin, "onednn-gemm"), str(m), str(k), str(n), str(reps)],
            env=e)).group(1)) for e in envs]
        rows.append((f"GEMM {m},{k},{n}", ours, lib))
    h, w, c, f = CONV
    d = os.path.join(tmp, "conv")
    ours = [quant_run_ms(tools, os.path.join(d, "int8.mlir"), os.path.join(d, "x_i8.npy"),
                         20 * scale, [f"--num-threads={t}"]) for t in (1, 2)]
    lib = [float(re.search(r"onednn int8 \d+ \d+ \d+ \d+ ([0-9.]+)", run(
        [os.path.join(bench_bin, "onednn-conv"), str(h), str(w), str(c), str(f),
         str(20 * scale)], env=e)).group(1)) for e in envs]
    rows.append((f"conv {h}x{w}x{c}->{f}", ours, lib))
    model, inp = bert
    ours = [quant_run_ms(tools, model, inp, 20 * scale, [f"--num-threads={t}"]) for t in (1, 2)]
    rows.append(("DistilBERT layer", ours, None))
    for name, ours, lib in rows:
        libs = (f"{lib[0]:>9.4f} {lib[1]:>9.4f} {lib[0] / lib[1]:>7.2f}x" if lib
                else f"{'-':>9} {'-':>9} {'-':>8}")
        print(f"{name:<18} {ours[0]:>8.4f} {ours[1]:>8.4f} {ours[0] / ours[1]:>7.2f}x {libs}")


def bert_layer(tools, bench_bin, tmp, env1, scale):
    """The DistilBERT-sized layer end to end: FP32, and static INT8 (matmuls
    in INT8, attention, softmax, layernorm, GELU in float) after calibration
    on one input. oneDNN has no such layer; its column is the time of the
    layer's six GEMMs alone in oneDNN (a lower bound for a oneDNN-based
    layer)."""
    import numpy as np
    d = os.path.join(tmp, "bert")
    run([sys.executable, os.path.join(HERE, "bert_layer.py"), d])
    opt = os.path.join(tools, "quant-opt")
    qrun = os.path.join(tools, "quant-run")
    p = lambda name: os.path.join(d, name)  # noqa: E731
    run([opt, p("bert.mlir"), "--quant-fuse-layers", "--quant-insert-calibration=ops=matmul",
         "-o", p("inst.mlir")])
    run([qrun, p("inst.mlir"), "--input", p("calib.npy"), "--calibrate", p("stats.json"),
         "--pipeline=cpu", "--no-progress"])
    run([opt, p("inst.mlir"),
         f"--quant-static-int8-pipeline=stats={p('stats.json')} scheme=symmetric lower-qnn=false",
         "-o", p("int8.mlir")])
    reps = 20 * scale
    ours32 = float(re.search(r"min ([0-9.]+) ms", run(
        [qrun, p("bert.mlir"), "--input", p("x.npy"), "--output", p("y32.npy"), "--pipeline=cpu",
         f"--repeat={reps}", "--no-progress"])).group(1))
    ours8 = float(re.search(r"min ([0-9.]+) ms", run(
        [qrun, p("int8.mlir"), "--input", p("x.npy"), "--output", p("y8.npy"), "--pipeline=cpu",
         f"--repeat={reps}", "--no-progress", *KERNELS])).group(1))
    run([opt, p("bert.mlir"), "--quant-dynamic-int8-pipeline=lower-qnn=false", "-o", p("dyn.mlir")])
    dyn = float(re.search(r"min ([0-9.]+) ms", run(
        [qrun, p("dyn.mlir"), "--input", p("x.npy"), "--output", p("ydyn.npy"), "--pipeline=cpu",
         f"--repeat={reps}", "--no-progress", *KERNELS])).group(1))
    lib = {"int8": 0.0, "f32": 0.0}
    for (m, k, n), count in [((128, 768, 768), 4), ((128, 768, 3072), 1), ((128, 3072, 768), 1)]:
        for kind, ms in re.findall(r"onednn (\w+) \d+ \d+ \d+ ([0-9.]+)", run(
                [os.path.join(bench_bin, "onednn-gemm"), str(m), str(k), str(n), str(20 * scale)],
                env=env1)):
            lib[kind] += count * float(ms)
    y32, y8, ydyn = np.load(p("y32.npy")), np.load(p("y8.npy")), np.load(p("ydyn.npy"))
    rel = np.linalg.norm(y8 - y32) / np.linalg.norm(y32)
    rel_dyn = np.linalg.norm(ydyn - y32) / np.linalg.norm(y32)
    print(f"\n{'DistilBERT layer':<18} {'INT8 ms':>8} {'FP32 ms':>8} {'INT8/FP32':>9} "
          f"{'dyn ms':>8} {'dyn/FP32':>8} {'oneDNN GEMMs INT8':>17} {'FP32':>8}")
    print(f"{'seq 128, batch 1':<18} {ours8:>8.3f} {ours32:>8.3f} {ours32 / ours8:>8.2f}x "
          f"{dyn:>8.3f} {ours32 / dyn:>7.2f}x {lib['int8']:>17.3f} {lib['f32']:>8.3f}")
    print(f"vs FP32 output: relative L2 error static INT8 {rel:.4f}, dynamic INT8 {rel_dyn:.4f}")
    if HAS_AMX:
        amx8 = quant_run_ms(tools, p("int8.mlir"), p("x.npy"), reps, ["--target=amx"])
        amxdyn = quant_run_ms(tools, p("dyn.mlir"), p("x.npy"), reps, ["--target=amx"])
        print(f"with AMX matmuls (--target=amx): static INT8 {amx8:.3f} ms "
              f"({ours32 / amx8:.2f}x FP32), dynamic INT8 {amxdyn:.3f} ms "
              f"({ours32 / amxdyn:.2f}x FP32)")
    return p("int8.mlir"), p("x.npy")


if __name__ == "__main__":
    main()
