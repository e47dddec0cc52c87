//===- QuantParamsTest.cpp - Tests of the quantization math --------------===//
//
// Expected values are worked out by hand from the definitions (ONNX
// QuantizeLinear, ONNX Runtime's compute_scale_zp, gemmlowp), not computed
// with the code under test.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Utils/QuantParams.h"

#include "gtest/gtest.h"

#include <cfenv>
#include <cmath>
#include <limits>

using namespace quantopt;

namespace {

const StorageRange kInt8 = StorageRange::forBits(8, true, false);
const StorageRange kUInt8 = StorageRange::forBits(8, false, false);
const StorageRange kInt8Narrow = StorageRange::forBits(8, true, true);

QuantParams choose(double min, double max, StorageRange range,
                   QuantScheme scheme) {
  auto params = chooseQuantParams(min, max, range, scheme);
  EXPECT_TRUE(bool(params)) << llvm::toString(params.takeError());
  return params ? *params : QuantParams{};
}

TEST(StorageRange, Bits) {
  EXPECT_EQ(kInt8.min, -128);
  EXPECT_EQ(kInt8.max, 127);
  EXPECT_EQ(kUInt8.min, 0);
  EXPECT_EQ(kUInt8.max, 255);
  EXPECT_EQ(kInt8Narrow.min, -127);
  EXPECT_EQ(kInt8Narrow.max, 127);
  StorageRange i4 = StorageRange::forBits(4, true, false);
  EXPECT_EQ(i4.min, -8);
  EXPECT_EQ(i4.max, 7);
  StorageRange u8Narrow = StorageRange::forBits(8, false, true);
  EXPECT_EQ(u8Narrow.min, 1);
  EXPECT_EQ(u8Narrow.max, 255);
}

TEST(Rounding, HalfToEven) {
  EXPECT_EQ(roundHalfToEven(2.5), 2.0);
  EXPECT_EQ(roundHalfToEven(3.5), 4.0);
  EXPECT_EQ(roundHalfToEven(-2.5), -2.0);
  EXPECT_EQ(roundHalfToEven(-3.5), -4.0);
  EXPECT_EQ(roundHalfToEven(0.5), 0.0);
  EXPECT_EQ(roundHalfToEven(-0.5), 0.0);
  EXPECT_EQ(roundHalfToEven(1.4999999), 1.0);
  EXPECT_EQ(roundHalfToEven(-1.5000001), -2.0);
  EXPECT_EQ(roundHalfToEven(2.5f), 2.0f);
  EXPECT_EQ(roundHalfToEven(-7.5f), -8.0f);
  EXPECT_TRUE(std::isinf(roundHalfToEven(INFINITY)));
  EXPECT_TRUE(std::isnan(roundHalfToEven(NAN)));
}

TEST(Rounding, IndependentOfRoundingMode) {
  int saved = std::fegetround();
  std::fesetround(FE_UPWARD);
  EXPECT_EQ(roundHalfToEven(2.5), 2.0);
  EXPECT_EQ(roundHalfToEven(-3.5f), -4.0f);
  std::fesetround(saved);
}

TEST(ChooseParams, AffineInt8) {
  // scale = (3 - -1) / 255; zp = round(-128 - (-1 / scale)) = round(-64.25).
  QuantParams p = choose(-1.0, 3.0, kInt8, QuantScheme::Asymmetric);
  EXPECT_DOUBLE_EQ(p.scale, 4.0 / 255.0);
  EXPECT_EQ(p.zeroPoint, -64);
}

TEST(ChooseParams, AffineUInt8) {
  // zp = round(0 - (-1) / (4/255)) = round(63.75) = 64.
  QuantParams p = choose(-1.0, 3.0, kUInt8, QuantScheme::Asymmetric);
  EXPECT_DOUBLE_EQ(p.scale, 4.0 / 255.0);
  EXPECT_EQ(p.zeroPoint, 64);
}

TEST(ChooseParams, SymmetricNarrowInt8) {
  // [-127, 127] over [-2, 2]: scale 2/127, zero point 0.
  QuantParams p = choose(-0.5, 2.0, kInt8Narrow, QuantScheme::Symmetric);
  EXPECT_DOUBLE_EQ(p.scale, 2.0 / 127.0);
  EXPECT_EQ(p.zeroPoint, 0);
}

TEST(ChooseParams, SymmetricFullInt8) {
  // scale = 4 / 255, zp = round(-128 + 127.5) = round(-0.5) = 0 (ties even).
  QuantParams p = choose(-2.0, 1.0, kInt8, QuantScheme::Symmetric);
  EXPECT_DOUBLE_EQ(p.scale, 4.0 / 255.0);
  EXPECT_EQ(p.zeroPoint, 0);
}

TEST(ChooseParams, SymmetricUInt8) {
  // zp = round(0 + 127.5) = 128 (ties even).
  QuantParams p = choose(-2.0, 1.0, kUInt8, QuantScheme::Symmetric);
  EXPECT_DOUBLE_EQ(p.scale, 4.0 / 255.0);
  EXPECT_EQ(p.zeroPoint, 128);
}

TEST(ChooseParams, RangeWithoutZeroIsWidened) {
  // [2, 6] becomes [0, 6]: zp is qmin so that 0 is exact.
  QuantParams p = choose(2.0, 6.0, kInt8, QuantScheme::Asymmetric);
  EXPECT_DOUBLE_EQ(p.scale, 6.0 / 255.0);
  EXPECT_EQ(p.zeroPoint, -128);
  // [-6, -2] becomes [-6, 0]: zp is qmax.
  p = choose(-6.0, -2.0, kInt8, QuantScheme::Asymmetric);
  EXPECT_DOUBLE_EQ(p.scale, 6.0 / 255.0);
  EXPECT_EQ(p.zeroPoint, 127);
}

TEST(ChooseParams, DegenerateRanges) {
  // All zeros: scale 1, and 0 must still be representable.
  QuantParams p = choose(0.0, 0.0, kInt8, QuantScheme::Asymmetric);
  EXPECT_EQ(p.scale, 1.0);
  EXPECT_EQ(p.zeroPoint, 0);
  p = choose(0.0, 0.0, kUInt8, QuantScheme::Symmetric);
  EXPECT_EQ(p.scale, 1.0);
  EXPECT_EQ(p.zeroPoint, 128);
  p = choose(0.0, 0.0, StorageRange::forBits(8, false, true),
             QuantScheme::Asymmetric);
  EXPECT_EQ(p.zeroPoint, 1);
  // min == max != 0: widened to include 0, so not degenerate.
  p = choose(3.0, 3.0, kUInt8, QuantScheme::Asymmetric);
  EXPECT_DOUBLE_EQ(p.scale, 3.0 / 255.0);
  EXPECT_EQ(p.zeroPoint, 0);
  // A range too small for an f32 scale gets scale 1.
  p = choose(0.0, 1e-45, kInt8, QuantScheme::Asymmetric);
  EXPECT_EQ(p.scale, 1.0);
}

TEST(ChooseParams, Errors) {
  auto expectError = [](double min, double max) {
    auto params = chooseQuantParams(min, max, kInt8, QuantScheme::Asymmetric);
    EXPECT_FALSE(bool(params));
    llvm::consumeError(params.takeError());
  };
  expectError(NAN, 1.0);
  expectError(-INFINITY, 1.0);
  expectError(0.0, INFINITY);
  expectError(2.0, 1.0);
}

TEST(ChooseParams, PerChannel) {
  auto params = chooseQuantParamsPerChannel({-1.0, 0.0, -4.0}, {1.0, 2.55, 0.0},
                                            kUInt8, QuantScheme::Asymmetric);
  ASSERT_TRUE(bool(params));
  ASSERT_EQ(params->size(), 3u);
  EXPECT_DOUBLE_EQ((*params)[0].scale, 2.0 / 255.0);
  EXPECT_EQ((*params)[0].zeroPoint, 128); // round(127.5) = 128
  EXPECT_DOUBLE_EQ((*params)[1].scale, 0.01);
  EXPECT_EQ((*params)[1].zeroPoint, 0);
  EXPECT_DOUBLE_EQ((*params)[2].scale, 4.0 / 255.0);
  EXPECT_EQ((*params)[2].zeroPoint, 255);

  auto mismatched = chooseQuantParamsPerChannel({0.0}, {1.0, 2.0}, kUInt8,
                                                QuantScheme::Asymmetric);
  EXPECT_FALSE(bool(mismatched));
  llvm::consumeError(mismatched.takeError());

  auto badChannel = chooseQuantParamsPerChannel({0.0, NAN}, {1.0, 2.0}, kUInt8,
                                                QuantScheme::Asymmetric);
  ASSERT_FALSE(bool(badChannel));
  EXPECT_NE(llvm::toString(badChannel.takeError()).find("channel 1"),
            std::string::npos);
}

TEST(Quantize, TiesRoundToEven) {
  // x / scale = 2.5, -2.5, 3.5, -3.5 exactly (scale 0.5 is a power of two).
  EXPECT_EQ(quantizeValue(1.25f, 0.5f, 0, kInt8), 2);
  EXPECT_EQ(quantizeValue(-1.25f, 0.5f, 0, kInt8), -2);
  EXPECT_EQ(quantizeValue(1.75f, 0.5f, 0, kInt8), 4);
  EXPECT_EQ(quantizeValue(-1.75f, 0.5f, 0, kInt8), -4);
  // The zero point is added after rounding.
  EXPECT_EQ(quantizeValue(1.25f, 0.5f, 3, kInt8), 5);
}

TEST(Quantize, Saturates) {
  EXPECT_EQ(quantizeValue(1000.0f, 0.1f, 0, kInt8), 127);
  EXPECT_EQ(quantizeValue(-1000.0f, 0.1f, 0, kInt8), -128);
  EXPECT_EQ(quantizeValue(-1.0f, 0.1f, 0, kUInt8), 0);
  EXPECT_EQ(quantizeValue(30.0f, 0.1f, 0, kUInt8), 255);
  EXPECT_EQ(quantizeValue(-1000.0f, 0.1f, 0, kInt8Narrow), -127);
  // Beyond int64 after division: still saturates.
  EXPECT_EQ(quantizeValue(3e38f, 1e-30f, 0, kInt8), 127);
}

TEST(Quantize, NanAndInfinity) {
  EXPECT_EQ(quantizeValue(NAN, 0.1f, 7, kInt8), 7);
  EXPECT_EQ(quantizeValue(-NAN, 0.1f, 200, kUInt8), 200);
  EXPECT_EQ(quantizeValue(INFINITY, 0.1f, 7, kInt8), 127);
  EXPECT_EQ(quantizeValue(-INFINITY, 0.1f, 7, kInt8), -128);
}

TEST(Quantize, DividesInFloat) {
  // In f32, 0.3f / 0.1f is exactly 3 and 0.15f / 0.1f exactly 1.5 (a tie:
  // rounds to 2), as NumPy's float32 division gives.
  EXPECT_EQ(quantizeValue(0.3f, 0.1f, 0, kInt8), 3);
  EXPECT_EQ(quantizeValue(0.15f, 0.1f, 0, kInt8), 2);
  EXPECT_EQ(quantizeValue(-0.15f, 0.1f, 0, kInt8), -2);
}

TEST(Dequantize, Basic) {
  EXPECT_EQ(dequantizeValue(5, 0.5f, 3), 1.0f);
  EXPECT_EQ(dequantizeValue(-128, 0.25f, 0), -32.0f);
  EXPECT_EQ(dequantizeValue(255, 0.5f, 128), 63.5f);
}

TEST(Requantize, FloatMultiplier) {
  // 0.01 / 0.1 -> f32(0.1) = 0.100000001490116... The product is taken in
  // f64: 25 * m = 2.5000000372... -> 3 (an f32 product would round to the
  // tie 2.5 and give 2); 35 * m = 3.50000005... -> 4.
  float m = requantizeMultiplier(0.01, 0.1);
  EXPECT_EQ(m, 0.1f);
  EXPECT_EQ(requantizeValue(25, 0, m, 0, kInt8), 3);
  EXPECT_EQ(requantizeValue(35, 0, m, 0, kInt8), 4);
  // Exact ties with a power-of-two multiplier: 5 * 0.5 = 2.5 -> 2, 7 * 0.5
  // = 3.5 -> 4; zero points on both sides.
  EXPECT_EQ(requantizeValue(15, 10, 0.5f, 1, kInt8), 3);
  EXPECT_EQ(requantizeValue(17, 10, 0.5f, 1, kInt8), 5);
  EXPECT_EQ(requantizeValue(-15, -10, 0.5f, 0, kInt8), -2);
  // Saturation of an i32 accumulator into i8 and u8.
  EXPECT_EQ(requantizeValue(1 << 30, 0, 0.001f, 0, kInt8), 127);
  EXPECT_EQ(requantizeValue(-(1 << 30), 0, 0.001f, 0, kUInt8), 0);
}

TEST(FixedPoint, Decompose) {
  auto half = decomposeMultiplier(0.5);
  ASSERT_TRUE(bool(half));
  EXPECT_EQ(half->multiplier, 1 << 30);
  EXPECT_EQ(half->shift, 0);

  auto quarter = decomposeMultiplier(0.25);
  ASSERT_TRUE(bool(quarter));
  EXPECT_EQ(quarter->multiplier, 1 << 30);
  EXPECT_EQ(quarter->shift, -1);

  auto three = decomposeMultiplier(3.0); // 0.75 * 2^2
  ASSERT_TRUE(bool(three));
  EXPECT_EQ(three->multiplier, 3 << 29);
  EXPECT_EQ(three->shift, 2);

  // 0.1 = 0.8 * 2^-3; 0.8 * 2^31 = 1717986918.4 -> 1717986918.
  auto tenth = decomposeMultiplier(0.1);
  ASSERT_TRUE(bool(tenth));
  EXPECT_EQ(tenth->multiplier, 1717986918);
  EXPECT_EQ(tenth->shift, -3);

  // A fraction that rounds up to 2^31 moves to the next power of two.
  auto almostOne = decomposeMultiplier(1.0 - 1e-12);
  ASSERT_TRUE(bool(almostOne));
  EXPECT_EQ(almostOne->multiplier, 1 << 30);
  EXPECT_EQ(almostOne->shift, 1);

  auto zero = decomposeMultiplier(0.0);
  ASSERT_TRUE(bool(zero));
  EXPECT_EQ(zero->multiplier, 0);

  for (double bad : {-0.5, double(NAN), double(INFINITY), 1e-12, 1e10}) {
    auto result = decomposeMultiplier(bad);
    EXPECT_FALSE(bool(result)) << bad;
    llvm::consumeError(result.takeError());
  }
}

TEST(FixedPoint, HighMulAndShift) {
  // round(a * b / 2^31), ties toward +infinity (gemmlowp's nudge, then a
  // division truncating toward zero).
  EXPECT_EQ(saturatingRoundingDoublingHighMul(1 << 30, 1 << 30), 1 << 29);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(3, 1 << 30), 2);   // 1.5 -> 2
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-3, 1 << 30), -1); // -1.5 -> -1
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-5, 1 << 29), -1); // -1.25
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-7, 1 << 29), -2); // -1.75
  EXPECT_EQ(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN), INT32_MAX);
  EXPECT_EQ(roundingDivideByPOT(5, 1), 3);   // 2.5 -> 3
  EXPECT_EQ(roundingDivideByPOT(-5, 1), -3); // -2.5 -> -3
  EXPECT_EQ(roundingDivideByPOT(7, 2), 2);   // 1.75 -> 2
  EXPECT_EQ(roundingDivideByPOT(-6, 2), -2); // -1.5 -> -2
  EXPECT_EQ(roundingDivideByPOT(9, 0), 9);
}

TEST(FixedPoint, MultiplyMatchesRealWithinOne) {
  for (double real : {0.0123, 0.1, 0.5, 0.75, 0.99999, 1.5, 7.25}) {
    auto m = decomposeMultiplier(real);
    ASSERT_TRUE(bool(m));
    for (int32_t x : {0, 1, -1, 77, -77, 1000, -1000, 123456, -98765}) {
      double expected = std::round(double(x) * real);
      EXPECT_NEAR(double(multiplyByFixedPoint(x, *m)), expected, 1.0)
          << "x=" << x << " real=" << real;
    }
  }
  // The left shift of a multiplier above 1 saturates to INT32_MAX before the
  // Q31 multiply instead of wrapping: 4.0 = 0.5 * 2^3 gives INT32_MAX * 0.5.
  auto big = decomposeMultiplier(4.0);
  ASSERT_TRUE(bool(big));
  EXPECT_EQ(multiplyByFixedPoint(INT32_MAX / 2, *big), 1 << 30);
  EXPECT_EQ(multiplyByFixedPoint(-1000, *big), -4000);
}

TEST(FixedPoint, Requantize) {
  auto m = decomposeMultiplier(0.5);
  ASSERT_TRUE(bool(m));
  // (15 - 10) * 0.5 = 2.5 -> 3 (ties away from zero), + 1.
  EXPECT_EQ(requantizeValueFixedPoint(15, 10, *m, 1, kInt8), 4);
  EXPECT_EQ(requantizeValueFixedPoint(1000, 0, *m, 0, kInt8), 127);
  EXPECT_EQ(requantizeValueFixedPoint(-1000, 0, *m, 0, kInt8), -128);
}

} // namespace

namespace {
TEST(Weights, PerChannelSymmetricNarrow) {
  // 2 x 3, channels along dimension 1: |max| per column 2, 0.5, 0.
  std::vector<float> w = {2.0f, 0.5f, 0.0f, -1.0f, -0.25f, 0.0f};
  PerChannelWeights q = quantizeWeightsPerChannel(w, {2, 3}, 1);
  ASSERT_EQ(q.scales.size(), 3u);
  EXPECT_DOUBLE_EQ(q.scales[0], 2.0 / 127);
  EXPECT_DOUBLE_EQ(q.scales[1], 0.5 / 127);
  EXPECT_EQ(q.scales[2], 1.0); // an all-zero channel
  // -1 / (2/127) = -63.5 -> -64 (ties to even); -0.25 / (0.5/127) = -63.5 -> -64.
  EXPECT_EQ(std::vector<int8_t>(q.values.begin(), q.values.end()),
            (std::vector<int8_t>{127, 127, 0, -64, -64, 0}));
  // Channels along dimension 0.
  PerChannelWeights rows = quantizeWeightsPerChannel(w, {2, 3}, 0);
  EXPECT_DOUBLE_EQ(rows.scales[0], 2.0 / 127);
  EXPECT_DOUBLE_EQ(rows.scales[1], 1.0 / 127);
  EXPECT_EQ(rows.values[3], -127);
}

TEST(Requantize, MatmulMultiplierIsF32Arithmetic) {
  // f32(f32(0.1f * 0.2f) / 0.3f), each scale first rounded to f32.
  float expected = (0.1f * 0.2f) / 0.3f;
  EXPECT_EQ(matmulRequantizeMultiplier(0.1, 0.2, 0.3), expected);
}
} // namespace
