//===- onednn_conv.cpp - oneDNN baseline for the conv2d benchmark ---------===//
//
// Times oneDNN's 3x3 convolution (stride 1, padding 1, batch 1) on one
// shape, as a user would call it instead of QuantOpt: INT8 (u8 NHWC
// activations with a zero point, s8 filters reordered once, s32 bias,
// per-channel output scales, s8 NHWC result) and FP32. With --depthwise,
// the depthwise convolution (C groups of one channel; F must be C). Prints
// "onednn <kind> <H> <W> <C> <F> <best ms> <impl>".
//
//   onednn-conv [--depthwise] H W C F [repeats]
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

void bench(engine &eng, stream &s, memory::dim h, memory::dim w, memory::dim c,
           memory::dim f, int repeats, bool int8, bool depthwise) {
  std::mt19937 rng(0);
  dt act = int8 ? dt::u8 : dt::f32, wt = int8 ? dt::s8 : dt::f32,
     bt = int8 ? dt::s32 : dt::f32, out = int8 ? dt::s8 : dt::f32;
  memory::desc srcMd({1, c, h, w}, act, tag::nhwc);
  // Depthwise: groups x 1 output x 1 input channel x 3 x 3.
  memory::dims weightDims = depthwise ? memory::dims{c, 1, 1, 3, 3}
                                      : memory::dims{f, c, 3, 3};
  memory::desc userWeightsMd(weightDims, wt,
                             depthwise ? tag::goihw : tag::hwio);
  memory::desc anyWeightsMd(weightDims, wt, tag::any);
  memory::desc biasMd({f}, bt, tag::a);
  memory::desc dstMd({1, f, h, w}, out, tag::nhwc);
  primitive_attr attr = int8 ? int8Attributes(f, rng) : primitive_attr();
  convolution_forward::primitive_desc pd(
      convolution_forward::desc(
          prop_kind::forward_inference, algorithm::convolution_direct, srcMd,
          anyWeightsMd, biasMd, dstMd, {1, 1}, {1, 1}, {1, 1}),
      attr, eng);
  memory src(srcMd, eng), userWeights(userWeightsMd, eng), bias(biasMd, eng),
      dst(dstMd, eng), weights(pd.weights_desc(), eng);
  fillRandom(src, rng, !int8);
  fillRandom(userWeights, rng, !int8);
  std::memset(bias.get_data_handle(), 0, biasMd.get_size());
  // Filters are constant: reordered once, outside the timed calls (as
  // QuantOpt packs them at compile time).
  reorder(userWeights, weights).execute(s, userWeights, weights);
  s.wait();
  convolution_forward prim(pd);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                       {DNNL_ARG_WEIGHTS, weights},
                                       {DNNL_ARG_BIAS, bias},
                                       {DNNL_ARG_DST, dst}};
  double ms = bestMs(repeats, [&] {
    prim.execute(s, args);
    s.wait();
  });
  std::printf("onednn %s %lld %lld %lld %lld %.5f %s\n", int8 ? "int8" : "f32",
              (long long)h, (long long)w, (long long)c, (long long)f, ms,
              pd.impl_info_str());
}

} // namespace

int main(int argc, char **argv) {
  bool depthwise = argc > 1 && std::strcmp(argv[1], "--depthwise") == 0;
  if (depthwise) {
    --argc;
    ++argv;
  }
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: onednn-conv [--depthwise] H W C F [repeats]\n");
    return 1;
  }
  memory::dim h = std::atoll(argv[1]), w = std::atoll(argv[2]),
              c = std::atoll(argv[3]), f = std::atoll(argv[4]);
  if (depthwise && f != c) {
    std::fprintf(stderr, "onednn-conv: --depthwise needs F == C\n");
    return 1;
  }
  int repeats = argc > 5 ? std::atoi(argv[5]) : 50;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  bench(eng, s, h, w, c, f, repeats, /*int8=*/true, depthwise);
  bench(eng, s, h, w, c, f, repeats, /*int8=*/false, depthwise);
  return 0;
}
