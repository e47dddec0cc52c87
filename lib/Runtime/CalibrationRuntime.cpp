//===- CalibrationRuntime.cpp - Records observer statistics ---------------===//

#include "quantopt/Runtime/CalibrationRuntime.h"

#include <mutex>
#include <vector>

using namespace quantopt;

namespace {
struct Recorder {
  std::mutex mutex;
  CalibrationStats stats;
  double momentum = 0.01;
  unsigned histogramBins = Histogram::kDefaultBins;
  uint64_t callsPerBatch = 1;
};

Recorder &recorder() {
  static Recorder instance;
  return instance;
}

/// Copies a strided f32 memref into row-major order.
void gather(const float *base, int64_t rank, const int64_t *sizes,
            const int64_t *strides, std::vector<float> &out) {
  if (rank == 0) {
    out.push_back(*base);
    return;
  }
  std::vector<int64_t> index(rank, 0);
  while (true) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += index[d] * strides[d];
    out.push_back(base[offset]);
    int64_t d = rank - 1;
    while (d >= 0 && ++index[d] == sizes[d])
      index[d--] = 0;
    if (d < 0)
      return;
  }
}
} // namespace

extern "C" void quantopt_observe_f32(int64_t id, int64_t axis, int64_t rank,
                                     void *descriptor) {
  // The ranked memref descriptor: {allocated, aligned, offset, sizes[rank],
  // strides[rank]}.
  auto *fields = static_cast<char *>(descriptor);
  const float *aligned = *reinterpret_cast<float **>(fields + sizeof(void *));
  auto *ints = reinterpret_cast<const int64_t *>(fields + 2 * sizeof(void *));
  int64_t offset = ints[0];
  const int64_t *sizes = ints + 1;
  const int64_t *strides = sizes + rank;

  std::vector<int64_t> shape(sizes, sizes + rank);
  int64_t numElements = 1;
  for (int64_t s : shape)
    numElements *= s;
  // A row-major buffer is read in place; others are copied in order.
  bool rowMajor = true;
  for (int64_t d = rank - 1, expected = 1; d >= 0; --d) {
    if (sizes[d] != 1 && strides[d] != expected)
      rowMajor = false;
    expected *= sizes[d];
  }
  std::vector<float> copy;
  llvm::ArrayRef<float> data;
  if (numElements > 0 && rowMajor) {
    data = llvm::ArrayRef<float>(aligned + offset, numElements);
  } else if (numElements > 0) {
    copy.reserve(numElements);
    gather(aligned + offset, rank, sizes, strides, copy);
    data = copy;
  }

  Recorder &r = recorder();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto [it, inserted] = r.stats.observers.try_emplace(id);
  ObserverStats &stats = it->second;
  if (inserted) {
    stats.id = id;
    stats.momentum = r.momentum;
    stats.callsPerBatch = r.callsPerBatch;
    stats.histogram = Histogram(r.histogramBins);
    if (axis >= 0 && axis < rank)
      stats.axis = axis;
  }
  stats.observe(data, shape);
}

void runtime::resetCalibration(double momentum, unsigned histogramBins,
                               uint64_t callsPerBatch) {
  Recorder &r = recorder();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.stats = CalibrationStats();
  r.momentum = momentum;
  r.histogramBins = histogramBins;
  r.callsPerBatch = callsPerBatch;
}

CalibrationStats runtime::snapshotCalibration() {
  Recorder &r = recorder();
  std::lock_guard<std::mutex> lock(r.mutex);
  CalibrationStats stats = r.stats;
  for (auto &[id, observer] : stats.observers)
    observer.flushBatch(); // the last batch may be short
  return stats;
}
