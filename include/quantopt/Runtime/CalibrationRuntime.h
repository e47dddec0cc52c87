//===- CalibrationRuntime.h - Records observer statistics -------*- C++ -*-===//
//
// The runtime that lowered qnn.observe ops call (see
// convert-qnn-observe-to-runtime): it records each observer's statistics in
// a process-wide recorder that quant-run saves as the stats file.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_RUNTIME_CALIBRATIONRUNTIME_H
#define QUANTOPT_RUNTIME_CALIBRATIONRUNTIME_H

#include "quantopt/Calibration/Statistics.h"

#include <cstdint>

extern "C" {
/// Records one batch of observer `id`. `axis` is the per-channel dimension or
/// -1; (`rank`, `descriptor`) is an unranked f32 memref as MLIR passes it.
void quantopt_observe_f32(int64_t id, int64_t axis, int64_t rank,
                          void *descriptor);
}

namespace quantopt::runtime {

/// The symbol name generated code calls.
constexpr const char *kObserveF32Symbol = "quantopt_observe_f32";

/// Forgets everything recorded; sets the moving-average momentum, the
/// number of histogram bins and the calls per calibration batch used for
/// new observers.
void resetCalibration(double momentum = 0.01,
                      unsigned histogramBins = Histogram::kDefaultBins,
                      uint64_t callsPerBatch = 1);

/// Returns what was recorded so far, keyed by observer id.
CalibrationStats snapshotCalibration();

} // namespace quantopt::runtime

#endif // QUANTOPT_RUNTIME_CALIBRATIONRUNTIME_H
