//===- RangeMethods.cpp - From statistics to a quantization range --------===//

#include "quantopt/Calibration/RangeMethods.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace quantopt;

std::optional<CalibrationMethod>
quantopt::parseCalibrationMethod(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<CalibrationMethod>>(name)
      .Case("minmax", CalibrationMethod::MinMax)
      .Case("moving-average", CalibrationMethod::MovingAverage)
      .Case("percentile", CalibrationMethod::Percentile)
      .Case("entropy", CalibrationMethod::Entropy)
      .Case("mse", CalibrationMethod::MSE)
      .Default(std::nullopt);
}

llvm::StringRef quantopt::stringifyCalibrationMethod(CalibrationMethod method) {
  switch (method) {
  case CalibrationMethod::MinMax:
    return "minmax";
  case CalibrationMethod::MovingAverage:
    return "moving-average";
  case CalibrationMethod::Percentile:
    return "percentile";
  case CalibrationMethod::Entropy:
    return "entropy";
  case CalibrationMethod::MSE:
    return "mse";
  }
  llvm_unreachable("unknown calibration method");
}

/// Narrows a symmetric threshold range to what was actually observed.
static Range intersect(Range r, double min, double max) {
  return {std::max(r.min, min), std::min(r.max, max)};
}

Range quantopt::percentileRange(const Histogram &histogram, double percentile,
                                QuantScheme scheme) {
  llvm::ArrayRef<uint64_t> counts = histogram.getCounts();
  unsigned n = counts.size();
  double total = double(histogram.total());
  double keep = percentile / 100.0;
  if (scheme == QuantScheme::Symmetric) {
    // Fold to |x|: absolute bin k covers [k, k + 1) * width from 0.
    double cumulative = 0;
    for (unsigned k = 0; k < n / 2; ++k) {
      cumulative += double(counts[n / 2 + k] + counts[n / 2 - 1 - k]);
      if (cumulative >= keep * total) {
        double t = (k + 1) * histogram.binWidth();
        return {-t, t};
      }
    }
    return {-histogram.range(), histogram.range()};
  }
  double tail = (1.0 - keep) / 2.0 * total;
  unsigned lo = 0, hi = n - 1;
  double cumulative = 0;
  for (unsigned bin = 0; bin < n; ++bin) {
    cumulative += double(counts[bin]);
    if (cumulative > tail) {
      lo = bin;
      break;
    }
  }
  cumulative = 0;
  for (unsigned bin = n; bin-- > 0;) {
    cumulative += double(counts[bin]);
    if (cumulative > tail) {
      hi = bin;
      break;
    }
  }
  return {histogram.binLowerEdge(lo),
          histogram.binLowerEdge(hi) + histogram.binWidth()};
}

/// ONNX Runtime's smooth_distribution: moves eps of mass onto empty bins so
/// that the KL divergence is finite. Returns false when impossible.
static bool smoothDistribution(std::vector<double> &p, double eps = 0.0001) {
  size_t zeros = 0;
  for (double v : p)
    zeros += v == 0;
  size_t nonzeros = p.size() - zeros;
  if (nonzeros == 0)
    return false;
  double eps1 = eps * double(zeros) / double(nonzeros);
  for (double &v : p) {
    v += v == 0 ? eps : -eps1;
    if (v <= 0)
      return false;
  }
  return true;
}

/// KL(p || q) of unnormalized distributions (scipy.stats.entropy).
static double klDivergence(const std::vector<double> &p,
                           const std::vector<double> &q) {
  double sp = 0, sq = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    sp += p[i];
    sq += q[i];
  }
  double kl = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    double pi = p[i] / sp, qi = q[i] / sq;
    if (pi > 0)
      kl += pi * std::log(pi / qi);
  }
  return kl;
}

namespace {
/// The bins the threshold searches look at: a histogram's own, or, past
/// kMaxSearchBins, `group` neighbours merged into one, outward from zero
/// (the outermost bins of each half may cover the histogram's edge and
/// beyond, where nothing was counted). Entropy and MSE try one threshold
/// per bin and cost a pass over the bins for each, so their work is
/// quadratic in the bins: 2^20 bins would take hours, 8192 take well
/// under a second.
struct SearchBins {
  static constexpr unsigned kMaxSearchBins = 8192;

  std::vector<uint64_t> counts;
  double width = 0;
  double rangeValue = 0; // the histogram's own while no bins merge

  explicit SearchBins(const Histogram &h)
      : width(h.binWidth()), rangeValue(h.range()) {
    llvm::ArrayRef<uint64_t> original = h.getCounts();
    int64_t n = original.size(), half = n / 2;
    int64_t group = (n + kMaxSearchBins - 1) / kMaxSearchBins;
    if (group <= 1) {
      counts.assign(original.begin(), original.end());
      return;
    }
    int64_t newHalf = (half + group - 1) / group;
    counts.assign(2 * newHalf, 0);
    for (int64_t b = 0; b < n; ++b) {
      int64_t fromZero = b - half; // floor division for the left half
      int64_t merged =
          fromZero >= 0 ? fromZero / group : -((-fromZero - 1) / group) - 1;
      counts[newHalf + merged] += original[b];
    }
    width *= double(group);
    rangeValue = double(newHalf) * width;
  }

  unsigned size() const { return counts.size(); }
  double range() const { return rangeValue; }
  double lowerEdge(unsigned bin) const { return -rangeValue + bin * width; }
};
} // namespace

Range quantopt::entropyRange(const Histogram &histogram,
                             unsigned numQuantizedBins) {
  SearchBins bins(histogram);
  llvm::ArrayRef<uint64_t> hist = bins.counts;
  unsigned numBins = hist.size();
  unsigned zeroBin = numBins / 2;
  unsigned halfQuantized = numQuantizedBins / 2;
  double bestKL = std::numeric_limits<double>::infinity();
  Range best{-histogram.range(), histogram.range()};
  // Counts below each bin, for the outliers folded into a window's ends.
  std::vector<double> below(numBins + 1, 0);
  for (unsigned b = 0; b < numBins; ++b)
    below[b + 1] = below[b] + double(hist[b]);

  for (unsigned i = halfQuantized; i <= zeroBin; ++i) {
    unsigned start = zeroBin - i;
    unsigned end = std::min(zeroBin + i + 1, numBins);
    // Reference distribution: the window, with the outliers folded into its
    // end bins.
    std::vector<double> sliced(hist.begin() + start, hist.begin() + end);
    std::vector<double> p = sliced;
    p.front() += below[start];
    p.back() += below[numBins] - below[end];
    // Candidate: the window merged into numQuantizedBins, then spread back
    // evenly over the bins that were non-empty.
    size_t merged = sliced.size() / numQuantizedBins;
    std::vector<double> quantized(numQuantizedBins, 0);
    for (unsigned k = 0; k < numQuantizedBins; ++k)
      for (size_t b = k * merged; b < (k + 1) * merged; ++b)
        quantized[k] += sliced[b];
    for (size_t b = numQuantizedBins * merged; b < sliced.size(); ++b)
      quantized.back() += sliced[b];
    std::vector<double> q(p.size(), 0);
    for (unsigned k = 0; k < numQuantizedBins; ++k) {
      size_t nonEmpty = 0;
      for (size_t b = k * merged; b < (k + 1) * merged; ++b)
        nonEmpty += p[b] != 0;
      if (nonEmpty)
        for (size_t b = k * merged; b < (k + 1) * merged; ++b)
          q[b] = p[b] != 0 ? quantized[k] / double(nonEmpty) : 0;
    }

    if (!smoothDistribution(p) || !smoothDistribution(q))
      continue;
    double kl = klDivergence(p, q);
    if (kl < bestKL) {
      bestKL = kl;
      best = {std::max(bins.lowerEdge(start), -histogram.range()),
              std::min(bins.lowerEdge(end), histogram.range())};
    }
  }
  return best;
}

Range quantopt::mseRange(const Histogram &histogram, double min, double max,
                         StorageRange storage, QuantScheme scheme) {
  SearchBins bins(histogram);
  llvm::ArrayRef<uint64_t> counts = bins.counts;
  unsigned n = counts.size();
  double width = bins.width;
  double bestError = std::numeric_limits<double>::infinity();
  Range best{min, max};
  for (unsigned k = 1; k <= n / 2; ++k) {
    double t = k * width;
    Range candidate = intersect({-t, t}, min, max);
    auto params =
        chooseQuantParams(candidate.min, candidate.max, storage, scheme);
    if (!params) {
      llvm::consumeError(params.takeError());
      continue;
    }
    float scale = float(params->scale);
    double error = 0;
    for (unsigned bin = 0; bin < n; ++bin) {
      if (!counts[bin])
        continue;
      float centre = float(bins.lowerEdge(bin) + width / 2);
      int64_t q = quantizeValue(centre, scale, params->zeroPoint, storage);
      double diff =
          double(centre) - double(dequantizeValue(q, scale, params->zeroPoint));
      error += double(counts[bin]) * diff * diff;
    }
    if (error < bestError) {
      bestError = error;
      best = candidate;
    }
    if (t >= std::max(std::fabs(min), std::fabs(max)))
      break; // wider candidates clip nothing more
  }
  return best;
}

llvm::Expected<Range> quantopt::computeRange(const ObserverStats &stats,
                                             const RangeOptions &options) {
  if (!stats.hasFiniteValues())
    return llvm::createStringError(
        llvm::formatv("observer {0} saw no finite values ({1} batches, {2} "
                      "NaN, {3} inf)",
                      stats.id, stats.batches, stats.nanCount, stats.infCount)
            .str());
  switch (options.method) {
  case CalibrationMethod::MinMax:
    return Range{stats.min, stats.max};
  case CalibrationMethod::MovingAverage:
    return Range{stats.avgMin, stats.avgMax};
  default:
    break;
  }
  const Histogram &histogram = stats.histogram;
  if (histogram.empty())
    return llvm::createStringError(
        llvm::formatv("observer {0} has an empty histogram, which method '{1}' "
                      "needs",
                      stats.id, stringifyCalibrationMethod(options.method))
            .str());
  switch (options.method) {
  case CalibrationMethod::Percentile:
    if (!(options.percentile > 0 && options.percentile <= 100))
      return llvm::createStringError(
          llvm::formatv("percentile {0} is not in (0, 100]", options.percentile)
              .str());
    return intersect(
        percentileRange(histogram, options.percentile, options.scheme),
        stats.min, stats.max);
  case CalibrationMethod::Entropy: {
    auto levels = unsigned(
        std::min<int64_t>(options.storage.max - options.storage.min + 1,
                          histogram.numBins() / 2));
    // Half the storage levels, as ONNX Runtime (128 for 8 bits).
    unsigned numQuantized = std::max(2u, levels / 2);
    return intersect(entropyRange(histogram, numQuantized), stats.min,
                     stats.max);
  }
  case CalibrationMethod::MSE:
    return mseRange(histogram, stats.min, stats.max, options.storage,
                    options.scheme);
  default:
    llvm_unreachable("handled above");
  }
}

llvm::Expected<std::vector<Range>>
quantopt::computeChannelRanges(const ObserverStats &stats,
                               const RangeOptions &options) {
  if (!stats.axis)
    return llvm::createStringError(
        llvm::formatv("observer {0} has no per-channel statistics", stats.id)
            .str());
  bool average = options.method == CalibrationMethod::MovingAverage;
  if (!average && options.method != CalibrationMethod::MinMax)
    return llvm::createStringError(
        llvm::formatv("per-channel ranges support minmax and moving-average, "
                      "not '{0}'",
                      stringifyCalibrationMethod(options.method))
            .str());
  std::vector<Range> ranges;
  const auto &mins = average ? stats.channelAvgMin : stats.channelMin;
  const auto &maxs = average ? stats.channelAvgMax : stats.channelMax;
  for (size_t c = 0; c < mins.size(); ++c) {
    if (!std::isfinite(mins[c]) || !std::isfinite(maxs[c]))
      return llvm::createStringError(
          llvm::formatv("observer {0} channel {1} saw no finite values",
                        stats.id, c)
              .str());
    ranges.push_back({mins[c], maxs[c]});
  }
  return ranges;
}
