//===- QuantParams.h - Scale, zero point and rounding math ------*- C++ -*-===//
//
// All of QuantOpt's quantization arithmetic in one place: choosing a scale
// and zero point from a range, the rounding and saturation of the numerics
// contract (docs/Numerics.md), and the fixed-point multipliers of the
// integer-only requantize. Passes, folders and the runtime share it so that
// compile-time and run-time results agree bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_UTILS_QUANTPARAMS_H
#define QUANTOPT_UTILS_QUANTPARAMS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace quantopt {

/// The integer range values of a storage type may take.
struct StorageRange {
  int64_t min = 0;
  int64_t max = 0;

  /// The range of a `bits`-wide integer; `narrowRange` drops the most
  /// negative value of a signed type ([-127, 127] for 8 bits) and the 0 of
  /// an unsigned one ([1, 255]), as TensorFlow's narrow_range does.
  static StorageRange forBits(unsigned bits, bool isSigned, bool narrowRange);

  int64_t clamp(int64_t v) const { return v < min ? min : (v > max ? max : v); }
  bool contains(int64_t v) const { return v >= min && v <= max; }
};

/// How a scale and zero point are chosen from a range.
enum class QuantScheme {
  /// Zero point anywhere in the storage range; uses the whole range.
  Asymmetric,
  /// Zero point at the middle of the storage range (0 when signed).
  Symmetric,
};

struct QuantParams {
  double scale = 1.0;
  int64_t zeroPoint = 0;
};

/// Rounds to the nearest integer, ties to even, whatever the floating-point
/// environment's rounding mode.
double roundHalfToEven(double x);
float roundHalfToEven(float x);

/// Chooses the scale and zero point that represent [min, max] in `range`.
/// The range is first widened to contain 0 so that 0 is exact. A range of
/// width 0 (for example all zeros) gets scale 1. Fails on non-finite bounds or
/// min > max.
llvm::Expected<QuantParams> chooseQuantParams(double min, double max,
                                              StorageRange range,
                                              QuantScheme scheme);

/// Per-channel form of chooseQuantParams: one result per (min, max) pair.
llvm::Expected<llvm::SmallVector<QuantParams>>
chooseQuantParamsPerChannel(llvm::ArrayRef<double> mins,
                            llvm::ArrayRef<double> maxs, StorageRange range,
                            QuantScheme scheme);

/// Weights quantized per channel along `axis` of a row-major tensor of
/// `shape`: symmetric, narrow range i8 ([-127, 127], zero point 0).
struct PerChannelWeights {
  llvm::SmallVector<double> scales; // one per channel
  llvm::SmallVector<int8_t> values;
};
PerChannelWeights quantizeWeightsPerChannel(llvm::ArrayRef<float> values,
                                            llvm::ArrayRef<int64_t> shape,
                                            int64_t axis);
/// The same with the peers' choices: one scale for the whole tensor
/// (`perChannel` false: still one entry per channel of `axis`, all equal),
/// and the full [-128, 127] grid instead of the narrow [-127, 127] one
/// (scale max|w| / 127.5, zero point 0).
PerChannelWeights quantizeWeightsSymmetric(llvm::ArrayRef<float> values,
                                           llvm::ArrayRef<int64_t> shape,
                                           int64_t axis, bool perChannel,
                                           bool narrowRange);

/// Checks that a scale is usable: finite, > 0 and representable as a
/// normal f32 (scales are applied in f32).
bool isValidScale(double scale);

/// The contract's quantize, in f32 as the generated code computes it:
/// clamp(round_half_to_even(x / scale) + zeroPoint). NaN gives zeroPoint.
int64_t quantizeValue(float x, float scale, int64_t zeroPoint,
                      StorageRange range);

/// The contract's dequantize: f32(q - zeroPoint) * scale.
float dequantizeValue(int64_t q, float scale, int64_t zeroPoint);

/// The f32 multiplier of a float-mode requantize: scaleIn / scaleOut computed
/// in double, rounded once to f32.
float requantizeMultiplier(double scaleIn, double scaleOut);

/// The f32 output multiplier of a quantized matmul or convolution, computed in
/// f32 arithmetic as ONNX's QLinearMatMul / QLinearConv reference does:
/// f32(f32(lhsScale * rhsScale) / resultScale), each scale rounded to f32.
float matmulRequantizeMultiplier(double lhsScale, double rhsScale,
                                 double resultScale);

/// The exact (f64) output multiplier of a quantized matmul or convolution,
/// lhsScale * rhsScale / resultScale: what the fixed-point requantize mode
/// decomposes into a Q31 multiplier and a shift.
double matmulRealMultiplier(double lhsScale, double rhsScale,
                            double resultScale);

/// Float-mode requantize: clamp(round_half_to_even(f64(q - zpIn) * m) + zpOut),
/// the product in f64 (exact for |q - zpIn| < 2^29).
int64_t requantizeValue(int64_t q, int64_t zpIn, float multiplier,
                        int64_t zpOut, StorageRange range);

/// A real multiplier as a Q31 fixed-point value and a power of two:
/// real ~= multiplier * 2^(shift - 31), multiplier in [2^30, 2^31) or 0.
struct FixedPointMultiplier {
  int32_t multiplier = 0;
  int32_t shift = 0;
};

/// Decomposes a real multiplier as gemmlowp / TFLite do. Fails for negative
/// or non-finite values and for values whose shift is outside [-31, 30].
llvm::Expected<FixedPointMultiplier> decomposeMultiplier(double real);

/// gemmlowp's SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties
/// toward +infinity, saturating the single overflow case.
int32_t saturatingRoundingDoublingHighMul(int32_t a, int32_t b);

/// gemmlowp's RoundingDivideByPOT: round(x / 2^exponent), ties away from
/// zero. `exponent` must be in [0, 31].
int32_t roundingDivideByPOT(int32_t x, int exponent);

/// x * real multiplier in integer arithmetic only. For multipliers above 1
/// the left-shifted x saturates to the i32 range before the Q31 multiply
/// (TFLite would overflow), so results are exact only while x * 2^shift fits
/// in i32.
int32_t multiplyByFixedPoint(int32_t x, FixedPointMultiplier m);

/// Integer-only requantize: clamp(multiplyByFixedPoint(q - zpIn) + zpOut).
int64_t requantizeValueFixedPoint(int64_t q, int64_t zpIn,
                                  FixedPointMultiplier m, int64_t zpOut,
                                  StorageRange range);

} // namespace quantopt

#endif // QUANTOPT_UTILS_QUANTPARAMS_H
