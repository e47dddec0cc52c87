//===- peak.cpp - This core's measured vpdpbusd / vfmadd231ps peak --------===//
//
// Runs 16 independent 512-bit accumulators (more than latency x throughput
// = 4 x 2) through vpdpbusd and vfmadd231ps and prints the best rate:
// "peak int8 <GOPS>" (64 multiply-adds = 128 ops per vpdpbusd) and
// "peak f32 <GFLOPS>" (16 fused multiply-adds = 32 flops per vfmadd231ps).
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <chrono>
#include <cstdio>

#define ZMM16(OP)                                                              \
  OP " %%zmm30, %%zmm31, %%zmm0\n\t" OP " %%zmm30, %%zmm31, %%zmm1\n\t" OP     \
     " %%zmm30, %%zmm31, %%zmm2\n\t" OP " %%zmm30, %%zmm31, %%zmm3\n\t" OP     \
     " %%zmm30, %%zmm31, %%zmm4\n\t" OP " %%zmm30, %%zmm31, %%zmm5\n\t" OP     \
     " %%zmm30, %%zmm31, %%zmm6\n\t" OP " %%zmm30, %%zmm31, %%zmm7\n\t" OP     \
     " %%zmm30, %%zmm31, %%zmm8\n\t" OP " %%zmm30, %%zmm31, %%zmm9\n\t" OP     \
     " %%zmm30, %%zmm31, %%zmm10\n\t" OP " %%zmm30, %%zmm31, %%zmm11\n\t" OP   \
     " %%zmm30, %%zmm31, %%zmm12\n\t" OP " %%zmm30, %%zmm31, %%zmm13\n\t" OP   \
     " %%zmm30, %%zmm31, %%zmm14\n\t" OP " %%zmm30, %%zmm31, %%zmm15\n\t"

#define CLOBBERS                                                               \
  "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8",      \
      "zmm9", "zmm10", "zmm11", "zmm12", "zmm13", "zmm14", "zmm15", "cc"

static void vnniLoop(long iterations) {
  asm volatile("1:\n\t" ZMM16("vpdpbusd") "dec %0\n\tjnz 1b"
               : "+r"(iterations)::CLOBBERS);
}

static void fmaLoop(long iterations) {
  asm volatile("1:\n\t" ZMM16("vfmadd231ps") "dec %0\n\tjnz 1b"
               : "+r"(iterations)::CLOBBERS);
}

/// Best rate over a few runs, in G-ops per second.
template <typename F> static double rate(F loop, double opsPerIteration) {
  constexpr long iterations = 20'000'000;
  double best = 0;
  for (int run = 0; run < 5; ++run) {
    auto start = std::chrono::steady_clock::now();
    loop(iterations);
    std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
    best = std::max(best, iterations * opsPerIteration / d.count() / 1e9);
  }
  return best;
}

int main() {
  std::printf("peak int8 %.1f\n", rate(vnniLoop, 16 * 128.0));
  std::printf("peak f32 %.1f\n", rate(fmaLoop, 16 * 32.0));
  return 0;
}
