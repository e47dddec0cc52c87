//===- Statistics.cpp - Per-observer calibration statistics --------------===//

#include "quantopt/Calibration/Statistics.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

using namespace quantopt;
using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

//===----------------------------------------------------------------------===//
// Histogram
//===----------------------------------------------------------------------===//

Histogram::Histogram(unsigned numBins) : counts(numBins, 0) {}

uint64_t Histogram::total() const {
  return std::accumulate(counts.begin(), counts.end(), uint64_t(0));
}

/// Smallest power of two >= x (x > 0).
static double powerOfTwoAtLeast(double x) {
  int exponent = 0;
  double fraction = std::frexp(x, &exponent); // x = fraction * 2^exponent
  return fraction == 0.5 ? x : std::ldexp(1.0, exponent);
}

void Histogram::growToFit(double absValue) {
  if (rangeValue == 0) {
    // Start with the value's own power of two; an all-zero start gets a
    // small range that doubles as real values arrive.
    rangeValue =
        absValue > 0 ? powerOfTwoAtLeast(absValue) : std::ldexp(1.0, -20);
    return;
  }
  unsigned n = numBins();
  while (absValue > rangeValue) {
    // The old range becomes the middle half of the new one; neighbouring
    // bins merge into one.
    std::vector<uint64_t> grown(n, 0);
    for (unsigned bin = 0; bin < n; ++bin)
      grown[n / 4 + bin / 2] += counts[bin];
    counts.swap(grown);
    rangeValue *= 2;
  }
}

unsigned Histogram::binOf(double value) const {
  double position = (value + rangeValue) / binWidth();
  auto bin = static_cast<int64_t>(std::floor(position));
  return static_cast<unsigned>(
      std::clamp<int64_t>(bin, 0, int64_t(numBins()) - 1));
}

void Histogram::add(float value) {
  double v = value;
  if (rangeValue == 0 || std::fabs(v) > rangeValue)
    growToFit(std::fabs(v));
  ++counts[binOf(v)];
}

void Histogram::add(llvm::ArrayRef<float> values,
                    std::optional<float> knownAbsMax) {
  if (values.empty())
    return;
  float absMax = 0;
  if (knownAbsMax)
    absMax = *knownAbsMax;
  else
    for (float v : values)
      absMax = std::max(absMax, std::fabs(v));
  if (rangeValue == 0 || absMax > rangeValue)
    growToFit(absMax);
  unsigned n = numBins();
  if ((n & (n - 1)) != 0) {
    for (float v : values)
      ++counts[binOf(v)];
    return;
  }
  // A power-of-two bin count over a power-of-two range: the bin width is a
  // power of two, so multiplying by its inverse is exactly binOf's
  // division, and |v| <= range puts the position in [0, n] (truncation is
  // floor there). The bins of a chunk are computed first (a loop that
  // vectorizes), then counted into 4 interleaved sub-histograms, so that
  // runs of values in one bin (activations crowd around 0) do not wait on
  // each other's increments.
  double inverseWidth = 1 / binWidth();
  constexpr size_t kChunk = 512, kWays = 4;
  std::vector<uint32_t> sub(kWays * n, 0);
  uint32_t bins[kChunk];
  for (size_t start = 0; start < values.size(); start += kChunk) {
    size_t size = std::min(kChunk, values.size() - start);
    const float *chunk = values.data() + start;
    for (size_t i = 0; i < size; ++i) {
      double position = (double(chunk[i]) + rangeValue) * inverseWidth;
      bins[i] = std::min(uint32_t(position), n - 1);
    }
    size_t i = 0;
    for (; i + kWays <= size; i += kWays)
      for (size_t w = 0; w < kWays; ++w)
        ++sub[w * n + bins[i + w]];
    for (; i < size; ++i)
      ++sub[bins[i]];
    // Into the counts at the end, and every 2^30 values (a sub-count
    // never reaches 2^32).
    bool last = start + kChunk >= values.size();
    if (last || (start + kChunk) % (size_t(1) << 30) == 0) {
      for (unsigned bin = 0; bin < n; ++bin)
        for (size_t w = 0; w < kWays; ++w) {
          counts[bin] += sub[w * n + bin];
          sub[w * n + bin] = 0;
        }
    }
  }
}

llvm::Error Histogram::merge(const Histogram &other) {
  if (other.numBins() != numBins())
    return llvm::createStringError(
        llvm::formatv("histograms of {0} and {1} bins do not merge", numBins(),
                      other.numBins())
            .str());
  if (other.empty())
    return llvm::Error::success();
  if (empty()) {
    *this = other;
    return llvm::Error::success();
  }
  Histogram wider = other;
  double range = std::max(rangeValue, other.rangeValue);
  growToFit(range);
  wider.growToFit(range);
  for (unsigned bin = 0; bin < numBins(); ++bin)
    counts[bin] += wider.counts[bin];
  return llvm::Error::success();
}

llvm::Expected<Histogram> Histogram::fromCounts(double range,
                                                std::vector<uint64_t> counts) {
  if (counts.size() < 4 || counts.size() % 4 != 0 || counts.size() > kMaxBins)
    return llvm::createStringError(
        llvm::formatv("histogram needs a positive multiple of 4 bins, at most "
                      "{0}, got {1}",
                      kMaxBins, counts.size())
            .str());
  if (!(range >= 0) || !std::isfinite(range) ||
      (range > 0 && powerOfTwoAtLeast(range) != range))
    return llvm::createStringError(
        llvm::formatv("histogram range {0:e} is not 0 or a power of two", range)
            .str());
  Histogram h(counts.size());
  h.rangeValue = range;
  h.counts = std::move(counts);
  return h;
}

//===----------------------------------------------------------------------===//
// ObserverStats
//===----------------------------------------------------------------------===//

namespace {
/// Whether all values are finite, and (if so) their min and max.
struct FiniteScan {
  bool allFinite;
  float min, max;
};
} // namespace

/// One pass over `data` in 16 independent lanes (a loop that vectorizes;
/// min and max are exact in any order). The finite test reads the exponent
/// bits: all ones is NaN or inf.
static FiniteScan scanFinite(llvm::ArrayRef<float> data) {
  constexpr size_t kLanes = 16;
  float lo[kLanes], hi[kLanes];
  uint32_t special[kLanes] = {};
  std::fill(lo, lo + kLanes, INFINITY);
  std::fill(hi, hi + kLanes, -INFINITY);
  size_t i = 0;
  for (; i + kLanes <= data.size(); i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) {
      float v = data[i + j];
      uint32_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      special[j] |= uint32_t((bits & 0x7f800000u) == 0x7f800000u);
      lo[j] = v < lo[j] ? v : lo[j];
      hi[j] = v > hi[j] ? v : hi[j];
    }
  FiniteScan scan{true, INFINITY, -INFINITY};
  for (; i < data.size(); ++i) {
    scan.allFinite &= std::isfinite(data[i]);
    scan.min = std::min(scan.min, data[i]);
    scan.max = std::max(scan.max, data[i]);
  }
  for (size_t j = 0; j < kLanes; ++j) {
    scan.allFinite &= special[j] == 0;
    scan.min = std::min(scan.min, lo[j]);
    scan.max = std::max(scan.max, hi[j]);
  }
  // A zero extreme takes the sign std::minmax_element gives it (the first
  // smallest, the last largest value): lanes see the zeros in another
  // order. Both searches stop early on ReLU-like data.
  auto isZero = [](float v) { return v == 0.0f; };
  if (scan.min == 0.0f)
    scan.min = *std::find_if(data.begin(), data.end(), isZero);
  if (scan.max == 0.0f)
    scan.max = *std::find_if(data.rbegin(), data.rend(), isZero);
  return scan;
}

void ObserverStats::observe(llvm::ArrayRef<float> data,
                            llvm::ArrayRef<int64_t> dataShape) {
  shape.assign(dataShape.begin(), dataShape.end());
  int64_t channels = 1, stride = 1;
  if (axis) {
    channels = dataShape[*axis];
    for (size_t d = *axis + 1; d < dataShape.size(); ++d)
      stride *= dataShape[d];
  }

  std::vector<double> batchChannelMin(channels, INFINITY),
      batchChannelMax(channels, -INFINITY);
  // Without NaN or inf (the usual case) the values are used in place.
  FiniteScan scan = scanFinite(data);
  bool allFinite = scan.allFinite;
  std::vector<float> copy;
  if (!allFinite)
    copy.reserve(data.size());
  for (size_t i = 0; i < data.size() && (axis || !allFinite); ++i) {
    float v = data[i];
    if (std::isnan(v)) {
      ++nanCount;
      continue;
    }
    if (std::isinf(v)) {
      ++infCount;
      continue;
    }
    if (!allFinite)
      copy.push_back(v);
    if (axis) {
      size_t c = (i / stride) % channels;
      batchChannelMin[c] = std::min<double>(batchChannelMin[c], v);
      batchChannelMax[c] = std::max<double>(batchChannelMax[c], v);
    }
  }
  llvm::ArrayRef<float> finite = allFinite ? data : llvm::ArrayRef(copy);
  ++batches;
  if (!finite.empty()) {
    double batchMin = scan.min, batchMax = scan.max;
    if (!allFinite) {
      auto [lo, hi] = std::minmax_element(finite.begin(), finite.end());
      batchMin = *lo;
      batchMax = *hi;
    }
    if (count == 0) {
      min = batchMin;
      max = batchMax;
    } else {
      min = std::min(min, batchMin);
      max = std::max(max, batchMax);
    }
    count += finite.size();
    pendingMin = std::min(pendingMin, batchMin);
    pendingMax = std::max(pendingMax, batchMax);
    histogram.add(finite, float(std::max(-batchMin, batchMax)));
  }
  if (axis) {
    if (channelMin.empty()) {
      channelMin.assign(channels, INFINITY);
      channelMax.assign(channels, -INFINITY);
      channelAvgMin.assign(channels, NAN);
      channelAvgMax.assign(channels, NAN);
    }
    if (pendingChannelMin.empty()) {
      pendingChannelMin.assign(channels, INFINITY);
      pendingChannelMax.assign(channels, -INFINITY);
    }
    for (int64_t c = 0; c < channels; ++c) {
      if (!std::isfinite(batchChannelMin[c]))
        continue; // no finite value of this channel in this call
      channelMin[c] = std::min(channelMin[c], batchChannelMin[c]);
      channelMax[c] = std::max(channelMax[c], batchChannelMax[c]);
      pendingChannelMin[c] = std::min(pendingChannelMin[c], batchChannelMin[c]);
      pendingChannelMax[c] = std::max(pendingChannelMax[c], batchChannelMax[c]);
    }
  }
  if (++pendingCalls >= callsPerBatch)
    flushBatch();
}

void ObserverStats::flushBatch() {
  // The first batch with finite values starts the averages.
  auto average = [&](double &avg, double batch, bool first) {
    avg = first ? batch : avg + momentum * (batch - avg);
  };
  if (std::isfinite(pendingMin)) {
    average(avgMin, pendingMin, !averaged);
    average(avgMax, pendingMax, !averaged);
    averaged = true;
  }
  for (size_t c = 0; c < pendingChannelMin.size(); ++c) {
    if (!std::isfinite(pendingChannelMin[c]))
      continue; // no finite value of this channel in this batch
    bool first = std::isnan(channelAvgMin[c]);
    average(channelAvgMin[c], pendingChannelMin[c], first);
    average(channelAvgMax[c], pendingChannelMax[c], first);
  }
  pendingCalls = 0;
  pendingMin = INFINITY;
  pendingMax = -INFINITY;
  pendingChannelMin.assign(pendingChannelMin.size(), INFINITY);
  pendingChannelMax.assign(pendingChannelMax.size(), -INFINITY);
}

/// `avg` after `batches` more batches of value `later`:
/// avg += momentum * (later - avg), `batches` times.
static double continueAverage(double avg, double later, uint64_t batches,
                              double momentum) {
  double kept = std::pow(1 - momentum, double(batches));
  return avg * kept + later * (1 - kept);
}

llvm::Error ObserverStats::merge(const ObserverStats &other) {
  if (axis != other.axis || (!shape.empty() && !other.shape.empty() &&
                             llvm::ArrayRef(shape).drop_front() !=
                                 llvm::ArrayRef(other.shape).drop_front()))
    return llvm::createStringError(
        "observer " + std::to_string(id) + " ('" + name +
        "') has another shape or channel axis in the other run");
  if (llvm::Error e = histogram.merge(other.histogram))
    return llvm::createStringError("observer " + std::to_string(id) + ": " +
                                   llvm::toString(std::move(e)));
  uint64_t perBatch = std::max<uint64_t>(other.callsPerBatch, 1);
  uint64_t otherBatches = (other.batches + perBatch - 1) / perBatch;
  if (other.hasFiniteValues()) {
    if (!hasFiniteValues()) {
      min = other.min;
      max = other.max;
      avgMin = other.avgMin;
      avgMax = other.avgMax;
    } else {
      min = std::min(min, other.min);
      max = std::max(max, other.max);
      avgMin = continueAverage(avgMin, other.avgMin, otherBatches, momentum);
      avgMax = continueAverage(avgMax, other.avgMax, otherBatches, momentum);
    }
    averaged = true;
  }
  if (channelMin.empty()) {
    channelMin = other.channelMin;
    channelMax = other.channelMax;
    channelAvgMin = other.channelAvgMin;
    channelAvgMax = other.channelAvgMax;
  } else if (!other.channelMin.empty()) {
    if (other.channelMin.size() != channelMin.size())
      return llvm::createStringError(
          "observer " + std::to_string(id) + " ('" + name +
          "') has another number of channels in the other run");
    for (size_t c = 0; c < channelMin.size(); ++c) {
      channelMin[c] = std::min(channelMin[c], other.channelMin[c]);
      channelMax[c] = std::max(channelMax[c], other.channelMax[c]);
      if (std::isnan(other.channelAvgMin[c]))
        continue;
      if (std::isnan(channelAvgMin[c])) {
        channelAvgMin[c] = other.channelAvgMin[c];
        channelAvgMax[c] = other.channelAvgMax[c];
        continue;
      }
      channelAvgMin[c] = continueAverage(
          channelAvgMin[c], other.channelAvgMin[c], otherBatches, momentum);
      channelAvgMax[c] = continueAverage(
          channelAvgMax[c], other.channelAvgMax[c], otherBatches, momentum);
    }
  }
  if (shape.empty())
    shape = other.shape;
  batches += other.batches;
  count += other.count;
  nanCount += other.nanCount;
  infCount += other.infCount;
  return llvm::Error::success();
}

llvm::Error CalibrationStats::merge(const CalibrationStats &other) {
  if (!function.empty() && !other.function.empty() &&
      function != other.function)
    return llvm::createStringError("the runs are of different functions (@" +
                                   function + " and @" + other.function + ")");
  for (const auto &[id, theirs] : other.observers) {
    auto [it, inserted] = observers.try_emplace(id, theirs);
    if (inserted)
      continue;
    if (it->second.name != theirs.name)
      return llvm::createStringError(
          llvm::formatv("observer {0} is '{1}' in one run and '{2}' in the "
                        "other: statistics of different models",
                        id, it->second.name, theirs.name)
              .str());
    if (llvm::Error e = it->second.merge(theirs))
      return e;
  }
  if (function.empty())
    function = other.function;
  samples += other.samples;
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

static Array toArray(llvm::ArrayRef<double> values) {
  Array array;
  for (double v : values)
    array.push_back(std::isfinite(v) ? Value(v) : Value(nullptr));
  return array;
}

static Value observerToJSON(const ObserverStats &s) {
  Object o{{"id", s.id},
           {"name", s.name},
           {"shape", Array(s.shape)},
           {"batches", int64_t(s.batches)},
           {"count", int64_t(s.count)},
           {"nan_count", int64_t(s.nanCount)},
           {"inf_count", int64_t(s.infCount)},
           {"momentum", s.momentum},
           {"calls_per_batch", int64_t(s.callsPerBatch)}};
  if (s.hasFiniteValues()) {
    o["min"] = s.min;
    o["max"] = s.max;
    o["avg_min"] = s.avgMin;
    o["avg_max"] = s.avgMax;
  }
  if (s.axis) {
    o["axis"] = *s.axis;
    o["channel_min"] = toArray(s.channelMin);
    o["channel_max"] = toArray(s.channelMax);
    o["channel_avg_min"] = toArray(s.channelAvgMin);
    o["channel_avg_max"] = toArray(s.channelAvgMax);
  }
  // Only non-empty bins, as [bin, count] pairs: short and diffable.
  Array bins;
  for (auto [bin, c] : llvm::enumerate(s.histogram.getCounts()))
    if (c)
      bins.push_back(Array{int64_t(bin), int64_t(c)});
  o["histogram"] = Object{{"range", s.histogram.range()},
                          {"num_bins", int64_t(s.histogram.numBins())},
                          {"bins", std::move(bins)}};
  return Value(std::move(o));
}

Value CalibrationStats::toJSON() const {
  Array list;
  for (const auto &entry : observers)
    list.push_back(observerToJSON(entry.second));
  return Object{{"format", kFormat},
                {"version", kVersion},
                {"function", function},
                {"samples", int64_t(samples)},
                {"observers", std::move(list)}};
}

namespace {
/// Reads fields of one JSON object, remembering the first problem.
class FieldReader {
public:
  FieldReader(const Object &object, std::string where)
      : object(object), where(std::move(where)) {}

  template <typename T> T get(llvm::StringRef key, T fallback, bool required) {
    const Value *v = object.get(key);
    if (!v) {
      if (required)
        fail(llvm::formatv("missing '{0}'", key).str());
      return fallback;
    }
    if constexpr (std::is_same_v<T, double>) {
      if (v->kind() == Value::Null)
        return NAN;
      if (auto d = v->getAsNumber())
        return *d;
    } else if constexpr (std::is_same_v<T, int64_t>) {
      if (auto i = v->getAsInteger())
        return *i;
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (auto s = v->getAsString())
        return s->str();
    }
    fail(llvm::formatv("'{0}' has the wrong type", key).str());
    return fallback;
  }

  std::vector<double> doubles(llvm::StringRef key) {
    std::vector<double> result;
    const Array *array = object.getArray(key);
    if (!array) {
      fail(llvm::formatv("missing array '{0}'", key).str());
      return result;
    }
    for (const Value &v : *array)
      result.push_back(v.kind() == Value::Null ? NAN
                                               : v.getAsNumber().value_or(NAN));
    return result;
  }

  void fail(std::string message) {
    if (error.empty())
      error = where + ": " + message;
  }
  llvm::Error takeError() {
    return error.empty() ? llvm::Error::success()
                         : llvm::createStringError(error);
  }

  const Object &object;

private:
  std::string where;
  std::string error;
};
} // namespace

static llvm::Expected<ObserverStats> observerFromJSON(const Value &value,
                                                      size_t index) {
  const Object *object = value.getAsObject();
  if (!object)
    return llvm::createStringError(
        llvm::formatv("observers[{0}] is not an object", index).str());
  FieldReader r(*object, llvm::formatv("observers[{0}]", index).str());
  ObserverStats s;
  s.id = r.get<int64_t>("id", 0, true);
  s.name = r.get<std::string>("name", "", false);
  s.batches = r.get<int64_t>("batches", 0, true);
  s.count = r.get<int64_t>("count", 0, true);
  s.nanCount = r.get<int64_t>("nan_count", 0, false);
  s.infCount = r.get<int64_t>("inf_count", 0, false);
  s.momentum = r.get<double>("momentum", 0.01, false);
  int64_t callsPerBatch = r.get<int64_t>("calls_per_batch", 1, false);
  if (callsPerBatch < 1)
    r.fail(llvm::formatv("calls_per_batch {0} is not positive", callsPerBatch)
               .str());
  s.callsPerBatch = std::max<int64_t>(callsPerBatch, 1);
  if (!ObserverStats::isValidMomentum(s.momentum))
    r.fail(llvm::formatv("momentum {0} is not in (0, 1]", s.momentum).str());
  if (const Array *shape = object->getArray("shape"))
    for (const Value &d : *shape)
      s.shape.push_back(d.getAsInteger().value_or(-1));
  if (s.count > 0) {
    s.min = r.get<double>("min", 0, true);
    s.max = r.get<double>("max", 0, true);
    s.averaged = true;
    s.avgMin = r.get<double>("avg_min", s.min, false);
    s.avgMax = r.get<double>("avg_max", s.max, false);
    if (!(s.min <= s.max))
      r.fail("min is above max");
  }
  if (object->get("axis")) {
    s.axis = r.get<int64_t>("axis", 0, true);
    s.channelMin = r.doubles("channel_min");
    s.channelMax = r.doubles("channel_max");
    s.channelAvgMin = r.doubles("channel_avg_min");
    s.channelAvgMax = r.doubles("channel_avg_max");
    size_t n = s.channelMin.size();
    if (s.channelMax.size() != n || s.channelAvgMin.size() != n ||
        s.channelAvgMax.size() != n)
      r.fail("per-channel arrays have different lengths");
  }
  const Object *histogram = object->getObject("histogram");
  if (!histogram) {
    r.fail("missing 'histogram'");
  } else {
    FieldReader h(*histogram, llvm::formatv("observers[{0}].histogram", index));
    double range = h.get<double>("range", 0, true);
    int64_t numBins = h.get<int64_t>("num_bins", 0, true);
    if (numBins < 4 || numBins % 4 != 0 || numBins > Histogram::kMaxBins)
      h.fail(llvm::formatv("num_bins must be a positive multiple of 4, at "
                           "most {0}, got {1}",
                           Histogram::kMaxBins, numBins)
                 .str());
    std::vector<uint64_t> counts(
        numBins > 0 && numBins <= Histogram::kMaxBins ? numBins : 0, 0);
    if (const Array *bins = histogram->getArray("bins")) {
      for (const Value &pair : *bins) {
        const Array *p = pair.getAsArray();
        std::optional<int64_t> bin, c;
        if (p && p->size() == 2) {
          bin = (*p)[0].getAsInteger();
          c = (*p)[1].getAsInteger();
        }
        if (!bin || !c || *bin < 0 || *bin >= int64_t(counts.size()) ||
            *c < 0) {
          h.fail("'bins' must hold [bin, count] pairs inside num_bins");
          break;
        }
        counts[*bin] += *c;
      }
    } else {
      h.fail("missing array 'bins'");
    }
    if (llvm::Error e = h.takeError())
      return std::move(e);
    auto rebuilt = Histogram::fromCounts(range, std::move(counts));
    if (!rebuilt)
      return llvm::createStringError(
          llvm::formatv("observers[{0}].histogram: {1}", index,
                        llvm::toString(rebuilt.takeError()))
              .str());
    s.histogram = std::move(*rebuilt);
  }
  if (llvm::Error e = r.takeError())
    return std::move(e);
  return s;
}

llvm::Expected<CalibrationStats>
CalibrationStats::fromJSON(const Value &value) {
  const Object *root = value.getAsObject();
  if (!root)
    return llvm::createStringError("stats file is not a JSON object");
  FieldReader r(*root, "stats file");
  std::string format = r.get<std::string>("format", "", true);
  int64_t version = r.get<int64_t>("version", 0, true);
  if (llvm::Error e = r.takeError())
    return std::move(e);
  if (format != kFormat)
    return llvm::createStringError(
        llvm::formatv("not a QuantOpt stats file (format '{0}')", format)
            .str());
  if (version != kVersion)
    return llvm::createStringError(
        llvm::formatv("stats file version {0} is not supported (expected {1})",
                      version, kVersion)
            .str());
  CalibrationStats stats;
  stats.function = r.get<std::string>("function", "", false);
  stats.samples = r.get<int64_t>("samples", 0, false);
  const Array *list = root->getArray("observers");
  if (!list)
    return llvm::createStringError("stats file: missing array 'observers'");
  for (auto [index, entry] : llvm::enumerate(*list)) {
    auto observer = observerFromJSON(entry, index);
    if (!observer)
      return observer.takeError();
    int64_t id = observer->id;
    if (!stats.observers.emplace(id, std::move(*observer)).second)
      return llvm::createStringError(
          llvm::formatv("stats file: observer id {0} appears twice", id).str());
  }
  return stats;
}

/// True for numbers and arrays of numbers: printed on one line.
static bool isCompact(const Value &v) {
  if (const Array *a = v.getAsArray())
    return llvm::all_of(*a, [](const Value &e) {
      return e.getAsArray() ? isCompact(e) : !e.getAsObject();
    });
  return !v.getAsObject();
}

/// Pretty-prints with objects one key per line (sorted) but arrays of numbers
/// on one line, so a histogram is one line instead of thousands.
static void writeReadable(llvm::json::OStream &out, const Value &v) {
  if (const Object *o = v.getAsObject()) {
    std::vector<const Object::value_type *> entries;
    for (const auto &entry : *o)
      entries.push_back(&entry);
    llvm::sort(entries, [](auto *a, auto *b) { return a->first < b->first; });
    out.object([&] {
      for (const auto *entry : entries)
        out.attributeBegin(entry->first), writeReadable(out, entry->second),
            out.attributeEnd();
    });
    return;
  }
  if (isCompact(v)) {
    out.rawValue([&](llvm::raw_ostream &os) { os << v; });
    return;
  }
  out.array([&] {
    for (const Value &e : *v.getAsArray())
      writeReadable(out, e);
  });
}

llvm::Error CalibrationStats::writeFile(llvm::StringRef path) const {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return llvm::createStringError(ec, "cannot write '%s': %s",
                                   path.str().c_str(), ec.message().c_str());
  llvm::json::OStream out(os, /*IndentSize=*/2);
  writeReadable(out, toJSON());
  os << "\n";
  return llvm::Error::success();
}

llvm::Expected<CalibrationStats>
CalibrationStats::readFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "cannot read '%s': %s",
                                   path.str().c_str(),
                                   buffer.getError().message().c_str());
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return llvm::createStringError(
        llvm::formatv("'{0}' is not valid JSON: {1}", path,
                      llvm::toString(json.takeError()))
            .str());
  auto stats = fromJSON(*json);
  if (!stats)
    return llvm::createStringError(
        llvm::formatv("'{0}': {1}", path, llvm::toString(stats.takeError()))
            .str());
  return stats;
}
