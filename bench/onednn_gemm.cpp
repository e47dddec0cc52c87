//===- onednn_gemm.cpp - oneDNN baselines for the GEMM benchmark ----------===//
//
// Times oneDNN's matmul on one shape, as a user would call it instead of
// QuantOpt: INT8 (u8 activations with a zero point, s8 weights reordered
// once to oneDNN's preferred layout, s32 bias, per-channel output scales, s8
// result) and FP32. Prints "onednn <kind> <M> <K> <N> <best ms> <impl>".
//
//   onednn-gemm M K N [repeats]
//
//===----------------------------------------------------------------------===//

#include "onednn_bench.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

using namespace dnnl;
using dt = memory::data_type;
using tag = memory::format_tag;

namespace {

void bench(engine &eng, stream &s, memory::dim m, memory::dim k, memory::dim n,
           int repeats, bool int8) {
  std::mt19937 rng(0);
  memory::desc srcMd({m, k}, int8 ? dt::u8 : dt::f32, tag::ab);
  memory::desc userWeightsMd({k, n}, int8 ? dt::s8 : dt::f32, tag::ab);
  memory::desc anyWeightsMd({k, n}, int8 ? dt::s8 : dt::f32, tag::any);
  memory::desc biasMd({1, n}, int8 ? dt::s32 : dt::f32, tag::ab);
  memory::desc dstMd({m, n}, int8 ? dt::s8 : dt::f32, tag::ab);
  primitive_attr attr = int8 ? int8Attributes(n, rng) : primitive_attr();
  matmul::primitive_desc pd(matmul::desc(srcMd, anyWeightsMd, biasMd, dstMd),
                            attr, eng);
  memory src(srcMd, eng), userWeights(userWeightsMd, eng), bias(biasMd, eng),
      dst(dstMd, eng), weights(pd.weights_desc(), eng);
  fillRandom(src, rng, !int8);
  fillRandom(userWeights, rng, !int8);
  std::memset(bias.get_data_handle(), 0, biasMd.get_size());
  // Weights are constant: reordered once, outside the timed calls (as
  // QuantOpt packs them at compile time).
  reorder(userWeights, weights).execute(s, userWeights, weights);
  s.wait();
  matmul prim(pd);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                       {DNNL_ARG_WEIGHTS, weights},
                                       {DNNL_ARG_BIAS, bias},
                                       {DNNL_ARG_DST, dst}};
  double ms = bestMs(repeats, [&] {
    prim.execute(s, args);
    s.wait();
  });
  std::printf("onednn %s %lld %lld %lld %.5f %s\n", int8 ? "int8" : "f32",
              (long long)m, (long long)k, (long long)n, ms, pd.impl_info_str());
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: onednn-gemm M K N [repeats]\n");
    return 1;
  }
  memory::dim m = std::atoll(argv[1]), k = std::atoll(argv[2]),
              n = std::atoll(argv[3]);
  int repeats = argc > 4 ? std::atoi(argv[4]) : 50;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  bench(eng, s, m, k, n, repeats, /*int8=*/true);
  bench(eng, s, m, k, n, repeats, /*int8=*/false);
  return 0;
}
