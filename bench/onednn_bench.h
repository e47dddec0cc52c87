//===- onednn_bench.h - Timing and data helpers of the oneDNN baselines ---===//
//
// Shared by onednn_gemm.cpp and onednn_conv.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_BENCH_ONEDNN_BENCH_H
#define QUANTOPT_BENCH_ONEDNN_BENCH_H

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

/// Best time of `repeats` calls, in milliseconds, after two warm-up calls.
template <typename F> double bestMs(int repeats, F &&call) {
  call();
  call();
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    call();
    std::chrono::duration<double, std::milli> d =
        std::chrono::steady_clock::now() - start;
    best = std::min(best, d.count());
  }
  return best;
}

/// Random bytes, or (`floats`) finite floats in [-1, 1).
inline void fillRandom(dnnl::memory &mem, std::mt19937 &rng, bool floats) {
  size_t bytes = mem.get_desc().get_size();
  if (floats) {
    auto *p = static_cast<float *>(mem.get_data_handle());
    for (size_t i = 0; i < bytes / 4; ++i)
      p[i] = float(int(rng() % 200) - 100) / 100.0f;
    return;
  }
  auto *p = static_cast<unsigned char *>(mem.get_data_handle());
  for (size_t i = 0; i < bytes; ++i)
    p[i] = static_cast<unsigned char>(rng());
}

/// The INT8 attributes both baselines use: per-channel output scales (as
/// our per-channel weights give) and an activation zero point.
inline dnnl::primitive_attr int8Attributes(int64_t channels,
                                           std::mt19937 &rng) {
  dnnl::primitive_attr attr;
  std::vector<float> scales(channels);
  for (auto &v : scales)
    v = 0.001f + 0.001f * float(rng() % 1000) / 1000.0f;
  attr.set_output_scales(1 << 1, scales);
  attr.set_zero_points(DNNL_ARG_SRC, 0, {131});
  return attr;
}

#endif // QUANTOPT_BENCH_ONEDNN_BENCH_H
