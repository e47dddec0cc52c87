"""QuantOpt's CPU benchmark: our INT8 and FP32 code (quant-lower-to-cpu-
pipeline, JIT-run by quant-run) against oneDNN INT8 and FP32 and against this
core's measured peak, all measured in this run, single-threaded. Prints one
table of times and ratios. Run through bench/run.sh (installs oneDNN).

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


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def quant_run_ms(tools, model, inp, repeat, extra=()):
    out = run([os.path.join(tools, "quant-run"), model, "--input", inp, "--pipeline=cpu",
               f"--repeat={repeat}", "--no-progress", *extra])
    return float(re.search(r"min ([0-9.]+) ms", out).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    tools = os.path.join(args.build, "bin")
    bench_bin = os.path.join(args.build, "bench")
    env1 = dict(os.environ, OMP_NUM_THREADS="1")
    scale = 1 if args.quick else 4

    peak = dict(re.findall(r"peak (\w+) ([0-9.]+)", run([os.path.join(bench_bin, "peak")])))
    peak_int8, peak_f32 = float(peak["int8"]), float(peak["f32"])
    print(f"Measured peak of one core: vpdpbusd {peak_int8:.0f} GOPS, "
          f"vfmadd231ps {peak_f32:.0f} GFLOPS\n")

    header = (f"{'GEMM M,K,N':<16} {'INT8 ms':>8} {'GOPS':>5} {'%peak':>5} "
              f"{'oneDNN':>8} {'vs oneDNN':>9} {'FP32 ms':>8} {'%peak':>5} "
              f"{'oneDNN':>8} {'vs oneDNN':>9} {'INT8/FP32':>9}")
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
            lib = dict((kind, float(ms)) for kind, ms in re.findall(
                r"onednn (\w+) \d+ \d+ \d+ ([0-9.]+)",
                run([os.path.join(bench_bin, "onednn-gemm"), str(m), str(k), str(n), str(reps)],
                    env=env1)))
            gops = ops / ours8 / 1e6
            row = (f"{m},{k},{n}", ours8, gops, 100 * gops / peak_int8, lib["int8"],
                   lib["int8"] / ours8, ours32, 100 * ops / ours32 / 1e6 / peak_f32, lib["f32"],
                   lib["f32"] / ours32, ours32 / ours8)
            rows.append(row)
            print(f"{row[0]:<16} {row[1]:>8.4f} {row[2]:>5.0f} {row[3]:>5.0f} {row[4]:>8.4f} "
                  f"{row[5]:>8.2f}x {row[6]:>8.4f} {row[7]:>5.0f} {row[8]:>8.4f} {row[9]:>8.2f}x "
                  f"{row[10]:>8.2f}x", flush=True)
    print("\n'vs oneDNN' = oneDNN time / our time (above 1: we are faster); "
          "INT8/FP32 = our FP32 time / our INT8 time.")


if __name__ == "__main__":
    main()
