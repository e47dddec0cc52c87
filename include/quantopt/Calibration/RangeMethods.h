//===- RangeMethods.h - From statistics to a quantization range -*- C++ -*-===//
//
// The calibration methods: min-max, moving-average min-max, percentile,
// entropy (KL divergence, TensorRT / ONNX Runtime) and MSE. Each turns an
// observer's statistics into the float range a scale and zero point are then
// chosen from (quantopt::chooseQuantParams).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CALIBRATION_RANGEMETHODS_H
#define QUANTOPT_CALIBRATION_RANGEMETHODS_H

#include "quantopt/Calibration/Statistics.h"
#include "quantopt/Utils/QuantParams.h"

#include <optional>

namespace quantopt {

enum class CalibrationMethod {
  MinMax,
  MovingAverage,
  Percentile,
  Entropy,
  MSE
};

/// Parses "minmax", "moving-average", "percentile", "entropy", "mse".
std::optional<CalibrationMethod> parseCalibrationMethod(llvm::StringRef name);
llvm::StringRef stringifyCalibrationMethod(CalibrationMethod method);

struct Range {
  double min = 0;
  double max = 0;
};

struct RangeOptions {
  CalibrationMethod method = CalibrationMethod::MinMax;
  /// Percentage of values the percentile range keeps (two-sided).
  double percentile = 99.99;
  QuantScheme scheme = QuantScheme::Asymmetric;
  /// The storage the range is for: entropy and MSE search with its levels.
  StorageRange storage = StorageRange::forBits(8, true, false);
};

/// The per-tensor range of `stats` by `options.method`. Fails when the
/// observer saw no finite value, or the method needs a histogram that is
/// empty.
llvm::Expected<Range> computeRange(const ObserverStats &stats,
                                   const RangeOptions &options);

/// Per-channel ranges (min-max and moving-average only: histograms are per
/// tensor).
llvm::Expected<std::vector<Range>>
computeChannelRanges(const ObserverStats &stats, const RangeOptions &options);

/// Entropy threshold search on a symmetric histogram, as ONNX Runtime's
/// HistogramCollector.get_entropy_threshold: returns the symmetric range
/// [-t, t] whose quantization to `numQuantizedBins` levels minimizes the KL
/// divergence from the histogram. Histograms of more than 8192 bins are
/// searched with neighbouring bins merged down to at most 8192 (the search
/// is quadratic in the bins), as is mseRange.
Range entropyRange(const Histogram &histogram, unsigned numQuantizedBins);

/// Range keeping `percentile` percent of the histogram's values. Asymmetric:
/// from the bin holding the (floor(tail) + 1)-th smallest value to the bin
/// holding the (floor(tail) + 1)-th largest, tail = (100 - percentile) / 2 %
/// of the values (order statistics, no interpolation). Symmetric: |x| cut at
/// the bin where the cumulative count reaches `percentile` %. Edges are bin
/// edges, so results are within one bin of the exact order statistics.
Range percentileRange(const Histogram &histogram, double percentile,
                      QuantScheme scheme);

/// The candidate range [-t, t] (intersected with [min, max]) with the least
/// squared quantization error over the histogram's bin centres.
Range mseRange(const Histogram &histogram, double min, double max,
               StorageRange storage, QuantScheme scheme);

} // namespace quantopt

#endif // QUANTOPT_CALIBRATION_RANGEMETHODS_H
