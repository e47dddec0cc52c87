//===- Statistics.h - Per-observer calibration statistics -------*- C++ -*-===//
//
// What the calibration runtime records for each qnn.observe while an
// instrumented model runs: counts, min/max, moving-average min/max (per
// tensor and per channel), and a histogram. Also the versioned JSON stats
// file these are saved in and read back from.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CALIBRATION_STATISTICS_H
#define QUANTOPT_CALIBRATION_STATISTICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace quantopt {

/// A histogram of finite values over the symmetric range [-range, range]
/// with a fixed number of equal bins. `range` is a power of two; when a
/// value beyond it arrives the range doubles (as often as needed) and each
/// pair of neighbouring bins merges, so re-binning is exact: the counts are
/// those a direct histogram over the final range would have.
class Histogram {
public:
  static constexpr unsigned kDefaultBins = 2048;
  /// The most bins a histogram may have (recorder and stats reader alike).
  static constexpr unsigned kMaxBins = 1 << 20;

  explicit Histogram(unsigned numBins = kDefaultBins);

  /// Adds finite values (callers drop NaN and inf first); `absMax`, when
  /// given, is their largest magnitude (saves a pass).
  void add(llvm::ArrayRef<float> values,
           std::optional<float> absMax = std::nullopt);
  void add(float value);

  unsigned numBins() const { return counts.size(); }
  double range() const { return rangeValue; }
  double binWidth() const { return 2 * rangeValue / numBins(); }
  double binLowerEdge(unsigned bin) const {
    return -rangeValue + bin * binWidth();
  }
  uint64_t total() const;
  bool empty() const { return total() == 0; }
  llvm::ArrayRef<uint64_t> getCounts() const { return counts; }

  /// Adds another histogram's counts (the same number of bins): both
  /// ranges are powers of two, so the narrower one's bins merge exactly
  /// into the wider one's.
  llvm::Error merge(const Histogram &other);

  /// Rebuilds a histogram from saved bins; fails when they are inconsistent.
  static llvm::Expected<Histogram> fromCounts(double range,
                                              std::vector<uint64_t> counts);

private:
  /// Doubles the range until |value| fits, merging bins pairwise.
  void growToFit(double absValue);
  unsigned binOf(double value) const;

  double rangeValue = 0; // 0 until the first value
  std::vector<uint64_t> counts;
};

/// Everything recorded for one observer.
struct ObserverStats {
  int64_t id = 0;
  std::string name;
  std::vector<int64_t> shape;
  std::optional<int64_t> axis;

  uint64_t batches = 0;  // calls that reached this observer
  uint64_t count = 0;    // finite values seen
  uint64_t nanCount = 0; // excluded from every statistic
  uint64_t infCount = 0; // excluded from every statistic
  double min = 0, max = 0;
  /// Moving averages of each batch's min and max (PyTorch's
  /// MovingAverageMinMaxObserver): avg += momentum * (batch - avg).
  double avgMin = 0, avgMax = 0;
  double momentum = 0.01;
  /// Per-channel min/max and averages along `axis`, when set.
  std::vector<double> channelMin, channelMax, channelAvgMin, channelAvgMax;
  Histogram histogram;
  /// Calls that make one calibration batch: the moving averages take the
  /// min and max of each batch, once per batch, as PyTorch's observers take
  /// each forward call's (a DataLoader batch). A model that sees one sample
  /// per call averages over batches of samples this way.
  uint64_t callsPerBatch = 1;

  /// Records one call: `data` holds `shape` in row-major order.
  void observe(llvm::ArrayRef<float> data, llvm::ArrayRef<int64_t> shape);
  /// Averages in the calls of an unfinished batch (the last one).
  void flushBatch();
  /// Adds the statistics of a later run of the same observer: counts,
  /// extremes and histograms exactly; the moving averages as if each of
  /// `other`'s batches had been at `other`'s averages (what the file keeps
  /// of them).
  llvm::Error merge(const ObserverStats &other);

  bool hasFiniteValues() const { return count > 0; }

  /// PyTorch's averaging constant: in (0, 1], NaN refused.
  static bool isValidMomentum(double m) { return m > 0 && m <= 1; }

  /// The unfinished batch: its calls and extremes (infinite when it has no
  /// finite value yet), per channel too. Not saved: write stats after
  /// flushBatch (runtime::snapshotCalibration does).
  uint64_t pendingCalls = 0;
  double pendingMin = INFINITY, pendingMax = -INFINITY;
  std::vector<double> pendingChannelMin, pendingChannelMax;
  bool averaged = false; // avgMin / avgMax hold a batch's values (or a file's)
};

/// The stats file: observers keyed by id, with the function that was run.
struct CalibrationStats {
  static constexpr int64_t kVersion = 1;
  static constexpr llvm::StringLiteral kFormat = "quantopt-calibration-stats";

  std::string function;
  uint64_t samples = 0;
  std::map<int64_t, ObserverStats> observers;

  llvm::json::Value toJSON() const;
  static llvm::Expected<CalibrationStats> fromJSON(const llvm::json::Value &);

  /// Adds a later run of the same instrumented function (observers with the
  /// same ids and names).
  llvm::Error merge(const CalibrationStats &other);

  /// Writes / reads the JSON file; errors name the file.
  llvm::Error writeFile(llvm::StringRef path) const;
  static llvm::Expected<CalibrationStats> readFile(llvm::StringRef path);
};

} // namespace quantopt

#endif // QUANTOPT_CALIBRATION_STATISTICS_H
