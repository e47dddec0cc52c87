//===- CalibrationTest.cpp - Statistics, histogram, stats file, .npy -----===//

#include "quantopt/Calibration/RangeMethods.h"
#include "quantopt/Calibration/Statistics.h"
#include "quantopt/Support/NumpyIO.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace quantopt;

namespace {

/// A direct histogram over [-range, range], for comparison.
std::vector<uint64_t> directHistogram(const std::vector<float> &values,
                                      double range, unsigned bins) {
  std::vector<uint64_t> counts(bins, 0);
  double width = 2 * range / bins;
  for (float v : values) {
    auto bin = int64_t(std::floor((double(v) + range) / width));
    counts[std::clamp<int64_t>(bin, 0, bins - 1)]++;
  }
  return counts;
}

TEST(Histogram, StartsAtThePowerOfTwoAboveTheData) {
  Histogram h(16);
  h.add(std::vector<float>{0.3f, -0.7f});
  EXPECT_EQ(h.range(), 1.0);
  EXPECT_EQ(h.total(), 2u);
  EXPECT_EQ(h.getCounts()[8 + 2], 1u); // 0.3 in [0.25, 0.375)
  EXPECT_EQ(h.getCounts()[8 - 6], 1u); // -0.7 in [-0.75, -0.625)
}

TEST(Histogram, GrowingRangeRebinsExactly) {
  std::mt19937 gen(7);
  std::vector<float> all;
  Histogram h(2048);
  for (int batch = 0; batch < 6; ++batch) {
    std::normal_distribution<float> dist(0.1f, 0.5f * float(1 << batch));
    std::vector<float> values(500);
    for (float &v : values)
      v = dist(gen);
    h.add(values);
    all.insert(all.end(), values.begin(), values.end());
  }
  std::vector<uint64_t> direct = directHistogram(all, h.range(), 2048);
  EXPECT_EQ(std::vector<uint64_t>(h.getCounts().begin(), h.getCounts().end()),
            direct);
  EXPECT_EQ(h.total(), all.size());
}

TEST(Histogram, AllZerosThenRealValues) {
  Histogram h(16);
  h.add(std::vector<float>{0.0f, 0.0f});
  EXPECT_GT(h.range(), 0.0);
  h.add(std::vector<float>{3.0f});
  EXPECT_EQ(h.range(), 4.0);
  EXPECT_EQ(h.getCounts()[8], 2u); // zeros stay in the bin right of 0
  EXPECT_EQ(h.total(), 3u);
}

TEST(Histogram, ChunkedCountingEqualsDirect) {
  // Several chunks and a partial one, runs of one bin (ReLU zeros), the
  // range's edges, and a non-multiple of the 4 interleaved counters.
  std::mt19937 gen(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> values(1500 + 3);
  for (float &v : values)
    v = std::max(dist(gen), 0.0f);
  values[17] = -4.0f;
  values[900] = 4.0f;
  Histogram h(2048);
  h.add(values);
  EXPECT_EQ(h.range(), 4.0);
  std::vector<uint64_t> direct = directHistogram(values, 4.0, 2048);
  EXPECT_EQ(std::vector<uint64_t>(h.getCounts().begin(), h.getCounts().end()),
            direct);
}

TEST(ObserverStats, RangeOfManyValuesIsExact) {
  // More than the 16 lanes of the range scan, with the extremes in
  // different lanes and in the tail.
  std::vector<float> values(100);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = float(i % 7) - 3.0f;
  values[37] = -9.5f;
  values[98] = 12.25f;
  ObserverStats s;
  s.observe(values, {100});
  EXPECT_EQ(s.min, -9.5);
  EXPECT_EQ(s.max, 12.25);
  EXPECT_EQ(s.count, 100u);
  // Zero extremes keep the sign minmax_element gives: the first smallest,
  // the last largest.
  std::vector<float> zeros(40, -1.0f);
  zeros[20] = 0.0f;
  zeros[3] = -0.0f;
  zeros[35] = -0.0f;
  ObserverStats z;
  z.observe(zeros, {40});
  EXPECT_EQ(z.max, 0.0);
  EXPECT_TRUE(std::signbit(z.max));
  values[41] = NAN;
  ObserverStats withNan;
  withNan.observe(values, {100});
  EXPECT_EQ(withNan.nanCount, 1u);
  EXPECT_EQ(withNan.count, 99u);
  EXPECT_EQ(withNan.max, 12.25);
}

TEST(ObserverStats, NanAndInfAreCountedAndExcluded) {
  ObserverStats s;
  s.observe({1.0f, NAN, -2.0f, INFINITY, -INFINITY}, {5});
  EXPECT_EQ(s.count, 2u);
  EXPECT_EQ(s.nanCount, 1u);
  EXPECT_EQ(s.infCount, 2u);
  EXPECT_EQ(s.min, -2.0);
  EXPECT_EQ(s.max, 1.0);
  EXPECT_EQ(s.histogram.total(), 2u);
}

TEST(ObserverStats, MovingAverage) {
  ObserverStats s;
  s.momentum = 0.5;
  s.observe({-1.0f, 1.0f}, {2});
  s.observe({-3.0f, 5.0f}, {2});
  // First batch initializes; then avg += 0.5 * (batch - avg).
  EXPECT_EQ(s.avgMin, -2.0);
  EXPECT_EQ(s.avgMax, 3.0);
  EXPECT_EQ(s.min, -3.0);
  EXPECT_EQ(s.max, 5.0);
  EXPECT_EQ(s.batches, 2u);
}

TEST(ObserverStats, MovingAverageOncePerCalibrationBatch) {
  ObserverStats s;
  s.momentum = 0.5;
  s.callsPerBatch = 2;
  s.observe({-1.0f, 1.0f}, {2});
  s.observe({-2.0f, 0.0f}, {2}); // batch 1: [-2, 1]
  EXPECT_EQ(s.avgMin, -2.0);
  EXPECT_EQ(s.avgMax, 1.0);
  s.observe({-4.0f, 1.0f}, {2});
  // Not averaged in until the batch is complete (or flushed).
  EXPECT_EQ(s.avgMin, -2.0);
  s.observe({0.0f, 5.0f}, {2}); // batch 2: [-4, 5]
  EXPECT_EQ(s.avgMin, -3.0);
  EXPECT_EQ(s.avgMax, 3.0);
  s.observe({-7.0f, 7.0f}, {2});
  s.flushBatch(); // a short last batch: [-7, 7]
  EXPECT_EQ(s.avgMin, -5.0);
  EXPECT_EQ(s.avgMax, 5.0);
  s.flushBatch(); // nothing pending: no change
  EXPECT_EQ(s.avgMin, -5.0);
  EXPECT_EQ(s.batches, 5u);
}

TEST(ObserverStats, PerChannelMovingAveragePerCalibrationBatch) {
  ObserverStats s;
  s.axis = 1;
  s.momentum = 0.5;
  s.callsPerBatch = 2;
  s.observe({1, -2}, {1, 2});
  s.observe({3, -4}, {1, 2}); // batch 1: channel 0 [1, 3], channel 1 [-4, -2]
  s.observe({-1, 0}, {1, 2});
  s.observe({5, 0}, {1, 2}); // batch 2: channel 0 [-1, 5], channel 1 [0, 0]
  EXPECT_EQ(s.channelAvgMin[0], 0.0);
  EXPECT_EQ(s.channelAvgMax[0], 4.0);
  EXPECT_EQ(s.channelAvgMin[1], -2.0);
  EXPECT_EQ(s.channelAvgMax[1], -1.0);
  EXPECT_EQ(s.channelMin[0], -1.0);
  EXPECT_EQ(s.channelMax[1], 0.0);
}

TEST(Histogram, MergeEqualsOneHistogramOfAllValues) {
  std::vector<float> small{0.1f, -0.2f, 0.3f}, large{5.0f, -7.5f, 0.25f};
  Histogram a(64), b(64), all(64);
  a.add(small);
  b.add(large); // a wider range: a's bins merge pairwise into b's
  all.add(small);
  all.add(large);
  ASSERT_FALSE(bool(a.merge(b)));
  EXPECT_EQ(a.range(), all.range());
  EXPECT_EQ(
      std::vector<uint64_t>(a.getCounts().begin(), a.getCounts().end()),
      std::vector<uint64_t>(all.getCounts().begin(), all.getCounts().end()));
  Histogram other(32);
  llvm::Error e = a.merge(other);
  ASSERT_TRUE(bool(e));
  EXPECT_EQ(llvm::toString(std::move(e)),
            "histograms of 64 and 32 bins do not merge");
}

TEST(ObserverStats, MergeContinuesTheMovingAverage) {
  ObserverStats a, b;
  a.momentum = b.momentum = 0.5;
  a.observe({-1.0f, 1.0f}, {2});
  b.observe({-3.0f, 5.0f}, {2});
  b.observe({-3.0f, 5.0f}, {2});
  ASSERT_FALSE(bool(a.merge(b)));
  // Two more batches at b's averages: -1 -> -2 -> -2.5, 1 -> 3 -> 4.
  EXPECT_EQ(a.avgMin, -2.5);
  EXPECT_EQ(a.avgMax, 4.0);
  EXPECT_EQ(a.min, -3.0);
  EXPECT_EQ(a.max, 5.0);
  EXPECT_EQ(a.count, 6u);
  EXPECT_EQ(a.batches, 3u);
}

TEST(ObserverStats, BatchOfOnlyNanLeavesRangesAlone) {
  ObserverStats s;
  s.observe({NAN, NAN}, {2});
  EXPECT_FALSE(s.hasFiniteValues());
  s.observe({2.0f}, {1});
  EXPECT_EQ(s.min, 2.0);
  EXPECT_EQ(s.avgMin, 2.0);
}

TEST(ObserverStats, PerChannel) {
  ObserverStats s;
  s.axis = 1;
  // shape 2x3: channel c holds elements c and 3 + c.
  s.observe({1, -2, 3, -4, 5, NAN}, {2, 3});
  ASSERT_EQ(s.channelMin.size(), 3u);
  EXPECT_EQ(s.channelMin[0], -4.0);
  EXPECT_EQ(s.channelMax[0], 1.0);
  EXPECT_EQ(s.channelMin[1], -2.0);
  EXPECT_EQ(s.channelMax[1], 5.0);
  EXPECT_EQ(s.channelMin[2], 3.0);
  EXPECT_EQ(s.channelMax[2], 3.0);
}

TEST(StatsFile, RoundTrip) {
  CalibrationStats stats;
  stats.function = "main";
  stats.samples = 2;
  ObserverStats &s = stats.observers[4];
  s.id = 4;
  s.name = "fc1.out0";
  s.axis = 0;
  s.histogram = Histogram(64);
  s.callsPerBatch = 8;
  s.observe({0.5f, -0.25f, 3.0f, NAN}, {2, 2});
  auto parsed = CalibrationStats::fromJSON(stats.toJSON());
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  const ObserverStats &r = parsed->observers.at(4);
  EXPECT_EQ(r.name, "fc1.out0");
  EXPECT_EQ(r.count, 3u);
  EXPECT_EQ(r.nanCount, 1u);
  EXPECT_EQ(r.min, -0.25);
  EXPECT_EQ(r.max, 3.0);
  EXPECT_EQ(r.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(r.axis, std::optional<int64_t>(0));
  EXPECT_EQ(r.callsPerBatch, 8u);
  EXPECT_EQ(r.channelMax, s.channelMax);
  EXPECT_EQ(r.histogram.range(), s.histogram.range());
  EXPECT_EQ(std::vector<uint64_t>(r.histogram.getCounts().begin(),
                                  r.histogram.getCounts().end()),
            std::vector<uint64_t>(s.histogram.getCounts().begin(),
                                  s.histogram.getCounts().end()));
}

TEST(StatsFile, Errors) {
  auto expectError = [](const char *text, const char *fragment) {
    auto json = llvm::json::parse(text);
    ASSERT_TRUE(bool(json));
    auto stats = CalibrationStats::fromJSON(*json);
    ASSERT_FALSE(bool(stats)) << text;
    std::string message = llvm::toString(stats.takeError());
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  };
  expectError(R"({"format": "other", "version": 1})",
              "not a QuantOpt stats file");
  expectError(R"({"format": "quantopt-calibration-stats"})",
              "missing 'version'");
  expectError(R"({"format": "quantopt-calibration-stats", "version": 1})",
              "missing array 'observers'");
  expectError(R"({"format": "quantopt-calibration-stats", "version": 1,
                  "observers": [{"name": "x"}]})",
              "observers[0]: missing 'id'");
  expectError(R"({"format": "quantopt-calibration-stats", "version": 1,
                  "observers": [{"id": 1, "batches": 1, "count": 1, "min": 2,
                  "max": 1, "histogram": {"range": 1, "num_bins": 4, "bins": []}}]})",
              "min is above max");
  expectError(R"({"format": "quantopt-calibration-stats", "version": 1,
                  "observers": [{"id": 1, "batches": 0, "count": 0,
                  "histogram": {"range": 1, "num_bins": 4, "bins": [[9, 1]]}}]})",
              "'bins' must hold [bin, count] pairs inside num_bins");
  const char *twice = R"({"format": "quantopt-calibration-stats", "version": 1,
      "observers": [
        {"id": 1, "batches": 0, "count": 0, "histogram": {"range": 0, "num_bins": 4, "bins": []}},
        {"id": 1, "batches": 0, "count": 0, "histogram": {"range": 0, "num_bins": 4, "bins": []}}]})";
  expectError(twice, "observer id 1 appears twice");
}

/// The same normal data with outliers, in a histogram of `bins` bins.
static Histogram normalWithOutliers(unsigned bins) {
  Histogram h(bins);
  std::mt19937 gen(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> values(20000);
  for (float &v : values)
    v = dist(gen);
  values.push_back(100.0f);
  values.push_back(-90.0f);
  h.add(values);
  return h;
}

TEST(RangeMethods, EntropyClipsOutliers) {
  // Mass near 0 and a few far outliers: the KL search keeps a range much
  // narrower than min-max.
  Range r = entropyRange(normalWithOutliers(2048), 128);
  EXPECT_LT(r.max, 20.0);
  EXPECT_GT(r.max, 2.0);
  EXPECT_LT(r.min, -2.0);
}

TEST(RangeMethods, SearchesOnHugeHistogramsMergeBins) {
  // The searches are quadratic in the bins: past 8192 they merge
  // neighbours (2^20 bins took hours before). With 2^20 bins the merged
  // search sees exactly the 8192-bin histogram's counts, so it finds the
  // same thresholds.
  Histogram fine = normalWithOutliers(1 << 20),
            coarse = normalWithOutliers(8192);
  Range a = entropyRange(fine, 128), b = entropyRange(coarse, 128);
  EXPECT_DOUBLE_EQ(a.min, b.min);
  EXPECT_DOUBLE_EQ(a.max, b.max);
  StorageRange storage{-128, 127};
  Range m = mseRange(fine, -90, 100, storage, QuantScheme::Symmetric),
        n = mseRange(coarse, -90, 100, storage, QuantScheme::Symmetric);
  EXPECT_DOUBLE_EQ(m.min, n.min);
  EXPECT_DOUBLE_EQ(m.max, n.max);
  // A bin count that does not divide evenly: the outer merged bins reach
  // past the histogram's range, the thresholds never do.
  Histogram odd = normalWithOutliers(4 * 2049 + 4 * 4000);
  Range o = entropyRange(odd, 128);
  EXPECT_GE(o.min, -odd.range());
  EXPECT_LE(o.max, odd.range());
  EXPECT_GT(o.max, 2.0);
  EXPECT_LT(o.max, 20.0);
}

TEST(RangeMethods, MinMaxNeedsFiniteValues) {
  ObserverStats s;
  s.observe({NAN}, {1});
  auto r = computeRange(s, RangeOptions{});
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("saw no finite values"),
            std::string::npos);
}

TEST(NumpyIO, RoundTrip) {
  NpyArray a;
  a.dtype = NpyDType::I8;
  a.shape = {2, 3};
  a.data = {1, -2, 3, -4, 5, -6};
  std::string bytes = serializeNpy(a);
  EXPECT_EQ((bytes.find('\n', 10) + 1) % 64, 0u); // data 64-byte aligned
  auto parsed = parseNpy(bytes, "a.npy");
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->dtype, NpyDType::I8);
  EXPECT_EQ(parsed->shape, a.shape);
  EXPECT_EQ(parsed->data, a.data);
  EXPECT_EQ(parsed->shapeString(), "(2, 3)");
}

TEST(NumpyIO, Scalars1DAndErrors) {
  NpyArray scalar;
  scalar.dtype = NpyDType::F32;
  float one = 1.0f;
  scalar.data.resize(4);
  std::memcpy(scalar.data.data(), &one, 4);
  auto parsed = parseNpy(serializeNpy(scalar), "s.npy");
  ASSERT_TRUE(bool(parsed));
  EXPECT_TRUE(parsed->shape.empty());
  EXPECT_EQ(parsed->shapeString(), "()");

  auto bad = parseNpy("\x93NUMPY\x01\x00\x10\x00{'descr': '>f4'}", "b.npy");
  ASSERT_FALSE(bool(bad));
  llvm::consumeError(bad.takeError());
  std::string header =
      "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }";
  std::string bigEndian = std::string("\x93NUMPY\x01\x00", 8) +
                          char(header.size()) + char(0) + header + "abcd";
  auto big = parseNpy(bigEndian, "big.npy");
  ASSERT_FALSE(bool(big));
  EXPECT_NE(llvm::toString(big.takeError()).find("unsupported dtype"),
            std::string::npos);
}

} // namespace
