//===- QuantParams.cpp - Scale, zero point and rounding math -------------===//

#include "quantopt/Utils/QuantParams.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace quantopt;

StorageRange StorageRange::forBits(unsigned bits, bool isSigned,
                                   bool narrowRange) {
  StorageRange r;
  if (isSigned) {
    r.min = -(int64_t(1) << (bits - 1));
    r.max = (int64_t(1) << (bits - 1)) - 1;
  } else {
    r.min = 0;
    r.max = (int64_t(1) << bits) - 1;
  }
  if (narrowRange)
    r.min += 1;
  return r;
}

// Explicit tie handling instead of std::nearbyint, which depends on the
// floating-point environment's current rounding mode.
template <typename T> static T roundHalfToEvenImpl(T x) {
  if (!std::isfinite(x))
    return x;
  T floorX = std::floor(x);
  T diff = x - floorX; // exact for binary floating point
  if (diff > T(0.5))
    return floorX + T(1);
  if (diff < T(0.5))
    return floorX;
  return std::fmod(floorX, T(2)) == T(0) ? floorX : floorX + T(1);
}

double quantopt::roundHalfToEven(double x) { return roundHalfToEvenImpl(x); }
float quantopt::roundHalfToEven(float x) { return roundHalfToEvenImpl(x); }

bool quantopt::isValidScale(double scale) {
  return std::isfinite(scale) && scale > 0 &&
         scale >= double(std::numeric_limits<float>::min()) &&
         scale <= double(std::numeric_limits<float>::max());
}

// The zero point a scheme gives when the range has no width.
static int64_t degenerateZeroPoint(StorageRange range, QuantScheme scheme) {
  if (scheme == QuantScheme::Symmetric)
    return range.clamp(
        int64_t(roundHalfToEven(0.5 * double(range.min + range.max))));
  return range.clamp(0);
}

llvm::Expected<QuantParams> quantopt::chooseQuantParams(double min, double max,
                                                        StorageRange range,
                                                        QuantScheme scheme) {
  if (!std::isfinite(min) || !std::isfinite(max))
    return llvm::createStringError(
        llvm::formatv("range [{0:e}, {1:e}] is not finite", min, max).str());
  if (min > max)
    return llvm::createStringError(
        llvm::formatv("range [{0:e}, {1:e}] has min > max", min, max).str());
  if (range.max <= range.min)
    return llvm::createStringError("storage range is empty");

  // 0 must be exactly representable (zero padding, relu outputs).
  double rmin = std::min(min, 0.0);
  double rmax = std::max(max, 0.0);
  if (scheme == QuantScheme::Symmetric) {
    double absMax = std::max(std::fabs(rmin), std::fabs(rmax));
    rmin = -absMax;
    rmax = absMax;
  }

  double scale = (rmax - rmin) / double(range.max - range.min);
  if (!isValidScale(scale))
    return QuantParams{1.0, degenerateZeroPoint(range, scheme)};

  double zp = roundHalfToEven(double(range.min) - rmin / scale);
  return QuantParams{scale, range.clamp(int64_t(zp))};
}

llvm::Expected<llvm::SmallVector<QuantParams>>
quantopt::chooseQuantParamsPerChannel(llvm::ArrayRef<double> mins,
                                      llvm::ArrayRef<double> maxs,
                                      StorageRange range, QuantScheme scheme) {
  if (mins.size() != maxs.size())
    return llvm::createStringError(
        llvm::formatv("{0} minimums but {1} maximums", mins.size(), maxs.size())
            .str());
  llvm::SmallVector<QuantParams> result;
  result.reserve(mins.size());
  for (auto [channel, bounds] : llvm::enumerate(llvm::zip(mins, maxs))) {
    auto params = chooseQuantParams(std::get<0>(bounds), std::get<1>(bounds),
                                    range, scheme);
    if (!params)
      return llvm::createStringError(
          llvm::formatv("channel {0}: {1}", channel,
                        llvm::toString(params.takeError()))
              .str());
    result.push_back(*params);
  }
  return result;
}

// Rounds an already-integral float to int64, saturating at +-2^62 (beyond
// any storage range) so that inf and huge values clamp instead of overflowing.
static int64_t saturatingToInt64(double v) {
  constexpr double kLimit = 4611686018427387904.0; // 2^62
  return int64_t(std::fmax(-kLimit, std::fmin(kLimit, v)));
}

int64_t quantopt::quantizeValue(float x, float scale, int64_t zeroPoint,
                                StorageRange range) {
  if (std::isnan(x))
    return zeroPoint;
  float rounded = roundHalfToEven(x / scale);
  return range.clamp(saturatingToInt64(rounded) + zeroPoint);
}

float quantopt::dequantizeValue(int64_t q, float scale, int64_t zeroPoint) {
  return float(q - zeroPoint) * scale;
}

float quantopt::requantizeMultiplier(double scaleIn, double scaleOut) {
  return float(scaleIn / scaleOut);
}

PerChannelWeights quantopt::quantizeWeightsPerChannel(
    llvm::ArrayRef<float> values, llvm::ArrayRef<int64_t> shape, int64_t axis) {
  return quantizeWeightsSymmetric(values, shape, axis, /*perChannel=*/true,
                                  /*narrowRange=*/true);
}

PerChannelWeights
quantopt::quantizeWeightsSymmetric(llvm::ArrayRef<float> values,
                                   llvm::ArrayRef<int64_t> shape, int64_t axis,
                                   bool perChannel, bool narrowRange) {
  int64_t channels = shape[axis], stride = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d)
    stride *= shape[d];
  auto channelOf = [&](size_t i) { return (int64_t(i) / stride) % channels; };
  llvm::SmallVector<double> lo(channels, 0), hi(channels, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    lo[channelOf(i)] = std::min<double>(lo[channelOf(i)], values[i]);
    hi[channelOf(i)] = std::max<double>(hi[channelOf(i)], values[i]);
  }
  if (!perChannel) {
    double tensorLo = *std::min_element(lo.begin(), lo.end());
    double tensorHi = *std::max_element(hi.begin(), hi.end());
    lo.assign(channels, tensorLo);
    hi.assign(channels, tensorHi);
  }
  StorageRange range = StorageRange::forBits(8, true, narrowRange);
  PerChannelWeights result;
  for (int64_t c = 0; c < channels; ++c) {
    auto params =
        chooseQuantParams(lo[c], hi[c], range, QuantScheme::Symmetric);
    // Non-finite weights have no grid: quantize that channel with scale 1.
    result.scales.push_back(params ? params->scale : 1.0);
    if (!params)
      llvm::consumeError(params.takeError());
  }
  for (size_t i = 0; i < values.size(); ++i)
    result.values.push_back(int8_t(quantizeValue(
        values[i], float(result.scales[channelOf(i)]), 0, range)));
  return result;
}

float quantopt::matmulRequantizeMultiplier(double lhsScale, double rhsScale,
                                           double resultScale) {
  float product = float(lhsScale) * float(rhsScale);
  return product / float(resultScale);
}

double quantopt::matmulRealMultiplier(double lhsScale, double rhsScale,
                                      double resultScale) {
  return lhsScale * rhsScale / resultScale;
}

int64_t quantopt::requantizeValue(int64_t q, int64_t zpIn, float multiplier,
                                  int64_t zpOut, StorageRange range) {
  // The product of an integer and an f32 is exact in f64 for |q - zpIn| <
  // 2^29, so the only rounding is the final one (as ONNX's reference, which
  // multiplies int32 by float32 in float64).
  double scaled = double(q - zpIn) * double(multiplier);
  return range.clamp(saturatingToInt64(roundHalfToEven(scaled)) + zpOut);
}

llvm::Expected<FixedPointMultiplier>
quantopt::decomposeMultiplier(double real) {
  if (!std::isfinite(real) || real < 0)
    return llvm::createStringError(
        llvm::formatv("multiplier {0:e} is not a finite value >= 0", real)
            .str());
  if (real == 0)
    return FixedPointMultiplier{0, 0};
  int exponent = 0;
  double fraction = std::frexp(real, &exponent); // real = fraction * 2^exponent
  auto q = int64_t(roundHalfToEven(fraction * double(int64_t(1) << 31)));
  if (q == (int64_t(1) << 31)) { // fraction rounded up to 1.0
    q /= 2;
    ++exponent;
  }
  if (exponent < -31 || exponent > 30)
    return llvm::createStringError(
        llvm::formatv("multiplier {0:e} needs shift {1}, outside [-31, 30]",
                      real, exponent)
            .str());
  return FixedPointMultiplier{int32_t(q), exponent};
}

int32_t quantopt::saturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min())
    return std::numeric_limits<int32_t>::max();
  int64_t ab = int64_t(a) * int64_t(b);
  int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (1 - (int64_t(1) << 30));
  return int32_t((ab + nudge) / (int64_t(1) << 31)); // truncates toward 0
}

int32_t quantopt::roundingDivideByPOT(int32_t x, int exponent) {
  int32_t mask = int32_t((int64_t(1) << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t quantopt::multiplyByFixedPoint(int32_t x, FixedPointMultiplier m) {
  int leftShift = m.shift > 0 ? m.shift : 0;
  int rightShift = m.shift > 0 ? 0 : -m.shift;
  int64_t shifted = int64_t(x) * (int64_t(1) << leftShift);
  shifted = std::clamp<int64_t>(shifted, std::numeric_limits<int32_t>::min(),
                                std::numeric_limits<int32_t>::max());
  return roundingDivideByPOT(
      saturatingRoundingDoublingHighMul(int32_t(shifted), m.multiplier),
      rightShift);
}

int64_t quantopt::requantizeValueFixedPoint(int64_t q, int64_t zpIn,
                                            FixedPointMultiplier m,
                                            int64_t zpOut, StorageRange range) {
  int64_t centered =
      std::clamp<int64_t>(q - zpIn, std::numeric_limits<int32_t>::min(),
                          std::numeric_limits<int32_t>::max());
  return range.clamp(int64_t(multiplyByFixedPoint(int32_t(centered), m)) +
                     zpOut);
}
