//===- ObserverStats.h - An observer's entry in a stats file ----*- C++ -*-===//
//
// What the passes that read calibration statistics (quant-apply-calibration,
// quant-smooth-quant) share: finding a qnn.observe's entry, with the same
// errors for a missing or stale one; and the operand dimension a
// contraction sums over, along which contraction inputs are observed.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_TRANSFORMS_OBSERVERSTATS_H
#define QUANTOPT_TRANSFORMS_OBSERVERSTATS_H

#include "qnn/IR/QnnOps.h"
#include "quantopt/Calibration/Statistics.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace quantopt {

/// The statistics `stats` (read from `statsFile`) hold for `op`; an error at
/// `op` when they hold none, or hold them under another name.
mlir::FailureOr<const ObserverStats *>
findObserverStats(mlir::qnn::ObserveOp op, const CalibrationStats &stats,
                  llvm::StringRef statsFile);

/// The dimension of `operand` that `op` sums over, when `op` is a
/// contraction with one reduction loop that `operand` reads once, directly
/// (a matmul input's K); else none.
std::optional<int64_t> contractedDim(mlir::linalg::LinalgOp op,
                                     mlir::OpOperand &operand);

} // namespace quantopt

#endif // QUANTOPT_TRANSFORMS_OBSERVERSTATS_H
