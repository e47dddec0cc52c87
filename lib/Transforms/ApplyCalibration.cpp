//===- ApplyCalibration.cpp - Observers to quantize/dequantize pairs -----===//
//
// Replaces each qnn.observe with qnn.quantize + qnn.dequantize typed with the
// scale and zero point chosen from recorded statistics. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/ObserverStats.h"
#include "quantopt/Transforms/Passes.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Calibration/RangeMethods.h"
#include "quantopt/Calibration/Statistics.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"

namespace quantopt {
#define GEN_PASS_DEF_APPLYCALIBRATIONPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

namespace {
struct ApplyCalibrationPass
    : quantopt::impl::ApplyCalibrationPassBase<ApplyCalibrationPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<RangeOptions> options = parseOptions(module);
    if (!options)
      return signalPassFailure();
    auto stats = CalibrationStats::readFile(statsFile);
    if (!stats) {
      emitError(module.getLoc())
          << "quant-apply-calibration: " << llvm::toString(stats.takeError());
      return signalPassFailure();
    }

    SmallVector<qnn::ObserveOp> observers;
    module.walk([&](qnn::ObserveOp op) { observers.push_back(op); });
    bool ok = true;
    for (qnn::ObserveOp op : observers)
      ok &= succeeded(applyTo(op, *stats, *options));
    if (!ok)
      signalPassFailure();
  }

private:
  std::optional<RangeOptions> parseOptions(ModuleOp module) {
    RangeOptions options;
    auto fail = [&](const Twine &message) {
      emitError(module.getLoc()) << "quant-apply-calibration: " << message;
      return std::nullopt;
    };
    if (statsFile.empty())
      return fail("needs stats=FILE (written by quant-run --calibrate)");
    std::optional<CalibrationMethod> parsed = parseCalibrationMethod(method);
    if (!parsed)
      return fail("method='" + method +
                  "' is not one of minmax, moving-average, percentile, "
                  "entropy, mse");
    options.method = *parsed;
    options.percentile = percentile;
    if (!(percentile > 0 && percentile <= 100))
      return fail("percentile=" + std::to_string(percentile) +
                  " is not in (0, 100]");
    if (scheme != "asymmetric" && scheme != "symmetric")
      return fail("scheme='" + scheme + "' is not asymmetric or symmetric");
    options.scheme = scheme == "symmetric" ? QuantScheme::Symmetric
                                           : QuantScheme::Asymmetric;
    if (dtype != "i8" && dtype != "u8")
      return fail("dtype='" + dtype + "' is not i8 or u8");
    bool isSigned = dtype == "i8";
    // Symmetric signed storage drops -128 so that the range is symmetric.
    options.storage = StorageRange::forBits(
        8, isSigned, isSigned && options.scheme == QuantScheme::Symmetric);
    return options;
  }

  LogicalResult applyTo(qnn::ObserveOp op, const CalibrationStats &stats,
                        const RangeOptions &options) {
    FailureOr<const ObserverStats *> found =
        findObserverStats(op, stats, statsFile);
    if (failed(found))
      return failure();
    const ObserverStats &observed = **found;
    RankedTensorType type = op.getType();
    if (failed(checkShape(op, observed, type)) ||
        failed(checkAxis(op, observed, type)))
      return failure();

    FailureOr<Type> quantType = chooseType(op, observed, options);
    if (failed(quantType))
      return failure();
    OpBuilder b(op);
    auto quantTensor = type.clone(*quantType);
    Value q =
        qnn::QuantizeOp::create(b, op.getLoc(), quantTensor, op.getInput());
    Value dq = qnn::DequantizeOp::create(b, op.getLoc(), type, q);
    op.replaceAllUsesWith(dq);
    op.erase();
    return success();
  }

  LogicalResult checkShape(qnn::ObserveOp op, const ObserverStats &observed,
                           RankedTensorType type) {
    if (observed.shape.empty() && type.getRank() == 0)
      return success();
    bool matches = int64_t(observed.shape.size()) == type.getRank();
    for (int64_t d = 0; matches && d < type.getRank(); ++d)
      matches = type.isDynamicDim(d) || type.getDimSize(d) == observed.shape[d];
    if (matches || observed.batches == 0)
      return success();
    std::string shape;
    llvm::raw_string_ostream os(shape);
    llvm::interleaveComma(observed.shape, os);
    return op.emitError() << "observer " << op.getIdAttr().getInt()
                          << " recorded shape [" << shape << "] but observes "
                          << type
                          << ": the stats file is stale or for another module";
  }

  /// The per-channel statistics must be along the observer's own axis, one
  /// entry per channel.
  LogicalResult checkAxis(qnn::ObserveOp op, const ObserverStats &observed,
                          RankedTensorType type) {
    std::optional<int64_t> axis;
    if (op.getAxis())
      axis = int64_t(*op.getAxis());
    if (observed.batches == 0 && !observed.axis)
      return success();
    auto describe = [](std::optional<int64_t> a) {
      return a ? "axis " + std::to_string(*a) : std::string("no axis");
    };
    if (axis != observed.axis)
      return op.emitError()
             << "observer " << op.getIdAttr().getInt() << " has "
             << describe(axis) << " but its statistics were recorded with "
             << describe(observed.axis)
             << ": the stats file is stale or for another module";
    if (axis && !type.isDynamicDim(*axis) &&
        int64_t(observed.channelMin.size()) != type.getDimSize(*axis))
      return op.emitError()
             << "observer " << op.getIdAttr().getInt() << " has "
             << type.getDimSize(*axis) << " channels along axis " << *axis
             << " but its statistics hold " << observed.channelMin.size();
    return success();
  }

  FailureOr<Type> chooseType(qnn::ObserveOp op, const ObserverStats &observed,
                             const RangeOptions &options) {
    auto emitError = [&]() { return op.emitError(); };
    MLIRContext *ctx = op.getContext();
    bool isSigned = dtype == "i8";
    Type storage = IntegerType::get(ctx, 8);
    Type expressed = op.getType().getElementType();
    unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;

    if (perChannel && op.getAxis() && observed.axis &&
        (options.method == CalibrationMethod::MinMax ||
         options.method == CalibrationMethod::MovingAverage)) {
      auto ranges = computeChannelRanges(observed, options);
      if (!ranges)
        return op.emitError() << llvm::toString(ranges.takeError());
      SmallVector<double> scales;
      SmallVector<int64_t> zeroPoints;
      for (const quantopt::Range &r : *ranges) {
        auto params =
            chooseQuantParams(r.min, r.max, options.storage, options.scheme);
        if (!params)
          return op.emitError() << "observer " << observed.id << ": "
                                << llvm::toString(params.takeError());
        scales.push_back(params->scale);
        zeroPoints.push_back(params->zeroPoint);
      }
      Type t = quant::UniformQuantizedPerAxisType::getChecked(
          emitError, flags, storage, expressed, scales, zeroPoints,
          int32_t(*observed.axis), options.storage.min, options.storage.max);
      if (!t)
        return failure();
      return t;
    }

    auto range = computeRange(observed, options);
    if (!range)
      return op.emitError() << llvm::toString(range.takeError());
    auto params = chooseQuantParams(range->min, range->max, options.storage,
                                    options.scheme);
    if (!params)
      return op.emitError() << "observer " << observed.id << ": "
                            << llvm::toString(params.takeError());
    Type t = quant::UniformQuantizedType::getChecked(
        emitError, flags, storage, expressed, params->scale, params->zeroPoint,
        options.storage.min, options.storage.max);
    if (!t)
      return failure();
    return t;
  }
};
} // namespace
