//===- SmoothQuant.cpp - Migrate activation outliers into weights --------===//
//
// Divides each channel of a contraction's activation by s_j and multiplies
// the matching row of its constant weight by it (SmoothQuant), with s from
// the per-channel statistics of calibration. See Passes.td for the contract.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Epilogue.h"
#include "quantopt/Transforms/Exclusion.h"
#include "quantopt/Transforms/ObserverStats.h"
#include "quantopt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace quantopt {
#define GEN_PASS_DEF_SMOOTHQUANTPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

namespace {

/// A contraction that reads the smoothed activation and a constant weight.
struct SmoothTarget {
  linalg::LinalgOp op;
  OpOperand *weight;
  DenseFPElementsAttr values;
  int64_t weightDim; // the weight's dimension along the activation channels
};

/// One step of the chain from a contraction's input back to a per-channel
/// affine that can absorb 1/s: a reshape (the channel axis moves) or an
/// elementwise generic with a constant per-channel operand (scaled by 1/s).
struct FoldStep {
  linalg::GenericOp generic; // null for a reshape
  OpOperand *constant = nullptr;
  DenseFPElementsAttr values;
};

} // namespace

/// Whether `use` (of the activation, observed along `axis`) is a
/// contraction this pass can smooth. `reason` says why not for
/// contractions; it stays empty for other ops (they keep reading the
/// unsmoothed value and need no remark).
static std::optional<SmoothTarget> matchTarget(OpOperand &use, int64_t axis,
                                               std::string &reason) {
  auto op = dyn_cast<linalg::LinalgOp>(use.getOwner());
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      !op.isDpsInput(&use))
    return std::nullopt;
  if (!linalg::isaContractionOpInterface(op))
    return std::nullopt;
  if (contractedDim(op, use) != axis) {
    reason = "its statistics are not along the dimension it contracts";
    return std::nullopt;
  }
  OpOperand *weight = op.getDpsInputOperand(
      use.getOperandNumber() == op.getDpsInputOperand(0)->getOperandNumber()
          ? 1
          : 0);
  DenseFPElementsAttr values;
  if (!matchPattern(weight->get(), m_Constant(&values)) ||
      !values.getElementType().isF32()) {
    reason = "its other operand is not an f32 constant (a run-time "
             "activation, as attention's Q K^T or P V, cannot be scaled at "
             "compile time)";
    return std::nullopt;
  }
  std::optional<int64_t> weightDim = contractedDim(op, *weight);
  if (!weightDim) {
    reason = "its weight does not read the contracted dimension directly";
    return std::nullopt;
  }
  return SmoothTarget{op, weight, values, *weightDim};
}

/// For every index `j` along `dim` of `values`' shape, `combine` of the
/// elements at j (each element once, with its channel).
static void forEachChannel(DenseFPElementsAttr values, int64_t dim,
                           function_ref<void(int64_t, float)> visit) {
  ArrayRef<int64_t> shape = values.getType().getShape();
  int64_t stride = 1;
  for (int64_t d = dim + 1; d < int64_t(shape.size()); ++d)
    stride *= shape[d];
  int64_t channels = shape[dim];
  int64_t i = 0;
  for (float v : values.getValues<float>())
    visit((i++ / stride) % channels, v);
}

/// `values` with every element of channel j (along `dim`) times factor[j].
static DenseElementsAttr scaleChannels(DenseFPElementsAttr values, int64_t dim,
                                       ArrayRef<double> factor) {
  SmallVector<float> scaled;
  scaled.reserve(values.getNumElements());
  forEachChannel(values, dim, [&](int64_t j, float v) {
    scaled.push_back(float(double(v) * factor[j]));
  });
  return DenseElementsAttr::get(values.getType(), ArrayRef<float>(scaled));
}

/// The dimension of a reshape's source that its result's `axis` is: the one
/// non-unit dimension of the group that becomes (or comes from) `axis`.
static std::optional<int64_t> sourceAxis(Operation *reshape, int64_t axis) {
  auto sourceDimOfGroup =
      [](ArrayRef<int64_t> shape,
         ArrayRef<int64_t> group) -> std::optional<int64_t> {
    std::optional<int64_t> found;
    for (int64_t d : group)
      if (shape[d] != 1) {
        if (found)
          return std::nullopt;
        found = d;
      }
    return found;
  };
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(reshape)) {
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    ArrayRef<int64_t> shape = collapse.getSrcType().getShape();
    return sourceDimOfGroup(shape, groups[axis]);
  }
  auto expand = cast<tensor::ExpandShapeOp>(reshape);
  for (auto [index, group] : llvm::enumerate(expand.getReassociationIndices()))
    if (llvm::is_contained(group, axis)) {
      ArrayRef<int64_t> shape = expand.getResultType().getShape();
      if (sourceDimOfGroup(shape, group) != axis)
        return std::nullopt;
      return int64_t(index);
    }
  return std::nullopt;
}

/// An elementwise generic `act op c[axis]` (op: add, sub or mul) with `c` an
/// f32 constant vector along `axis`: the operand holding c, the activation
/// operand and whether op is a multiply. Fails for anything else.
static std::optional<std::tuple<OpOperand *, OpOperand *, bool>>
matchChannelAffine(linalg::GenericOp generic, int64_t axis) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumResults() != 1 ||
      generic.getNumReductionLoops() != 0 ||
      !generic.getIndexingMapsArray().back().isIdentity())
    return std::nullopt;
  Block &body = generic.getRegion().front();
  if (body.getOperations().size() != 2)
    return std::nullopt;
  Operation &op = body.front();
  if (!isa<arith::AddFOp, arith::SubFOp, arith::MulFOp>(op) ||
      body.getTerminator()->getOperand(0) != op.getResult(0) ||
      !llvm::is_contained(op.getOperands(), body.getArgument(0)) ||
      !llvm::is_contained(op.getOperands(), body.getArgument(1)))
    return std::nullopt;
  for (unsigned c = 0; c < 2; ++c) {
    OpOperand *constant = generic.getDpsInputOperand(c);
    OpOperand *activation = generic.getDpsInputOperand(1 - c);
    DenseFPElementsAttr values;
    AffineMap map = generic.getMatchingIndexingMap(constant);
    if (matchPattern(constant->get(), m_Constant(&values)) &&
        values.getElementType().isF32() && values.getType().getRank() == 1 &&
        map.getNumResults() == 1 && map.getResult(0).isFunctionOfDim(axis) &&
        isa<AffineDimExpr>(map.getResult(0)) &&
        generic.getMatchingIndexingMap(activation).isIdentity())
      return std::make_tuple(constant, activation, isa<arith::MulFOp>(op));
  }
  return std::nullopt;
}

/// The chain from `value` (observed along `axis`) back to a multiply by a
/// per-channel constant, through reshapes and adds of per-channel
/// constants, each read by the next step alone; empty when there is none.
static SmallVector<FoldStep> findFoldChain(Value value, int64_t axis,
                                           int64_t channels) {
  SmallVector<FoldStep> steps;
  for (unsigned depth = 0; depth < 16; ++depth) {
    if (!value.hasOneUse())
      return {};
    Operation *def = value.getDefiningOp();
    if (isa_and_nonnull<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def)) {
      std::optional<int64_t> source = sourceAxis(def, axis);
      if (!source)
        return {};
      steps.push_back(FoldStep{});
      axis = *source;
      value = def->getOperand(0);
      continue;
    }
    auto generic = dyn_cast_if_present<linalg::GenericOp>(def);
    if (!generic)
      return {};
    auto affine = matchChannelAffine(generic, axis);
    if (!affine)
      return {};
    auto [constant, activation, isMultiply] = *affine;
    DenseFPElementsAttr values;
    matchPattern(constant->get(), m_Constant(&values));
    if (values.getNumElements() != channels)
      return {};
    steps.push_back(FoldStep{generic, constant, values});
    if (isMultiply)
      return steps;
    value = activation->get();
  }
  return {};
}

/// `value` as printf's %g writes it ("0.5", "1.5e-05").
static std::string shortNumber(double value) {
  return llvm::formatv("{0}", llvm::format("%g", value)).str();
}

namespace {
struct SmoothQuantPass : quantopt::impl::SmoothQuantPassBase<SmoothQuantPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (statsFile.empty()) {
      emitError(module.getLoc())
          << "quant-smooth-quant: needs stats=FILE (quant-run --calibrate of "
             "the module instrumented with "
             "quant-insert-calibration{contraction-channels=true})";
      return signalPassFailure();
    }
    if (!(alpha >= 0 && alpha <= 1)) {
      emitError(module.getLoc())
          << "quant-smooth-quant: alpha=" << shortNumber(alpha)
          << " is not in [0, 1]";
      return signalPassFailure();
    }
    auto stats = CalibrationStats::readFile(statsFile);
    if (!stats) {
      emitError(module.getLoc())
          << "quant-smooth-quant: " << llvm::toString(stats.takeError());
      return signalPassFailure();
    }
    SmallVector<qnn::ObserveOp> observers;
    module.walk([&](qnn::ObserveOp op) { observers.push_back(op); });
    bool ok = true;
    for (qnn::ObserveOp op : observers)
      if (op.getAxis())
        ok &= succeeded(smooth(op, *stats));
    if (!ok)
      return signalPassFailure();
    // The statistics describe the unsmoothed model: the output is float.
    for (qnn::ObserveOp op : observers) {
      op.getResult().replaceAllUsesWith(op.getInput());
      op.erase();
    }
  }

private:
  /// The per-channel max |x| the observer recorded, checked against it.
  FailureOr<SmallVector<double>> channelRanges(qnn::ObserveOp op,
                                               const CalibrationStats &stats) {
    FailureOr<const ObserverStats *> found =
        findObserverStats(op, stats, statsFile);
    if (failed(found))
      return failure();
    const ObserverStats &observed = **found;
    int64_t axis = int64_t(*op.getAxis());
    int64_t channels = op.getType().getDimSize(axis);
    if (observed.axis != axis ||
        (!ShapedType::isDynamic(channels) &&
         int64_t(observed.channelMax.size()) != channels))
      return op.emitError() << "observer " << op.getIdAttr().getInt()
                            << " has no per-channel statistics along "
                            << "axis " << axis << " in '" << statsFile
                            << "' (recorded with quant-insert-calibration's "
                               "contraction-channels=true?)";
    SmallVector<double> ranges;
    for (auto [lo, hi] : llvm::zip(observed.channelMin, observed.channelMax))
      ranges.push_back(std::isfinite(lo) && std::isfinite(hi)
                           ? std::max(std::fabs(lo), std::fabs(hi))
                           : 0.0);
    return ranges;
  }

  LogicalResult smooth(qnn::ObserveOp observer, const CalibrationStats &stats) {
    int64_t axis = int64_t(*observer.getAxis());
    SmallVector<SmoothTarget> targets;
    bool allTargets = true;
    for (OpOperand &use : observer.getResult().getUses()) {
      std::string reason;
      std::optional<SmoothTarget> target = matchTarget(use, axis, reason);
      if (target) {
        targets.push_back(*target);
        continue;
      }
      allTargets = false;
      if (!reason.empty() && remarked.insert(use.getOwner()).second)
        use.getOwner()->emitRemark() << "not smoothed: " << reason;
    }
    if (targets.empty())
      return success();
    FailureOr<SmallVector<double>> actRange = channelRanges(observer, stats);
    if (failed(actRange))
      return failure();

    // s_j from the activation's and all the weights' ranges of channel j.
    SmallVector<double> weightRange(actRange->size(), 0.0);
    for (const SmoothTarget &t : targets)
      forEachChannel(t.values, t.weightDim, [&](int64_t j, float v) {
        weightRange[j] = std::max(weightRange[j], double(std::fabs(v)));
      });
    SmallVector<double> scale, inverse;
    for (auto [act, w] : llvm::zip(*actRange, weightRange)) {
      double s = std::pow(act, alpha) / std::pow(w, 1 - alpha);
      if (!(act > 0 && w > 0 && std::isfinite(s) && s > 0))
        s = 1; // a dead channel or weight row: nothing to balance
      scale.push_back(s);
      inverse.push_back(1 / s);
    }

    for (const SmoothTarget &t : targets) {
      OpBuilder b(t.op);
      auto weight = arith::ConstantOp::create(
          b, t.weight->get().getLoc(),
          scaleChannels(t.values, t.weightDim, scale));
      t.weight->set(weight);
    }

    std::string where;
    SmallVector<FoldStep> chain;
    if (allTargets)
      chain =
          findFoldChain(observer.getInput(), axis, int64_t(actRange->size()));
    if (!chain.empty()) {
      for (const FoldStep &step : chain) {
        if (!step.generic)
          continue;
        OpBuilder b(step.generic);
        auto folded =
            arith::ConstantOp::create(b, step.constant->get().getLoc(),
                                      scaleChannels(step.values, 0, inverse));
        step.constant->set(folded);
      }
      Operation *affine = chain.back().generic;
      std::string name = quantopt::getOpName(affine);
      if (name.empty()) {
        llvm::raw_string_ostream os(name);
        affine->getLoc().print(os);
      }
      where = "folded into the per-channel affine at " + name;
    } else {
      Value scaled =
          multiplyChannels(observer, targets.front().op, axis, inverse);
      for (const SmoothTarget &t : targets)
        for (OpOperand &operand : t.op->getOpOperands())
          if (operand.get() == observer.getResult())
            operand.set(scaled);
      where = "a quantopt.smoothing multiply before them";
    }
    auto [lo, hi] = std::minmax_element(scale.begin(), scale.end());
    observer.emitRemark() << "smoothed for " << targets.size()
                          << " contraction(s): channel scales in ["
                          << shortNumber(*lo) << ", " << shortNumber(*hi)
                          << "] (alpha " << shortNumber(alpha) << "), 1/s "
                          << where;
    return success();
  }

  /// observer's value times factor[j] along `axis`, as a linalg.generic
  /// marked as smoothing.
  static Value multiplyChannels(qnn::ObserveOp observer, Operation *firstTarget,
                                int64_t axis, ArrayRef<double> factor) {
    OpBuilder b(observer->getContext());
    b.setInsertionPointAfter(observer);
    // Named after the layer it feeds, so that reports can say whose it is.
    std::string layer = quantopt::getOpName(firstTarget);
    if (layer.empty())
      layer = observer.getName().value_or("").str();
    Location loc = observer.getLoc();
    if (!layer.empty())
      loc = NameLoc::get(b.getStringAttr(layer + "/smooth"), loc);
    Value input = observer.getResult();
    auto type = cast<RankedTensorType>(input.getType());
    SmallVector<float> values(factor.begin(), factor.end());
    auto vectorType =
        RankedTensorType::get({int64_t(values.size())}, b.getF32Type());
    Value constant = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vectorType, ArrayRef<float>(values)));
    Value init = tensor::EmptyOp::create(
        b, loc, tensor::getMixedSizes(b, loc, input), type.getElementType());
    int64_t rank = type.getRank();
    AffineMap identity = b.getMultiDimIdentityMap(rank);
    AffineMap channel =
        AffineMap::get(rank, 0, b.getAffineDimExpr(axis), b.getContext());
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        b, loc, type, ValueRange{input, constant}, ValueRange{init},
        ArrayRef<AffineMap>{identity, channel, identity}, iterators,
        [](OpBuilder &nb, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(nb, l, args[0], args[1]);
          linalg::YieldOp::create(nb, l, product);
        });
    generic->setAttr(kSmoothingAttrName, b.getUnitAttr());
    return generic.getResult(0);
  }

  /// Contractions already said to be left unsmoothed (once each, not once
  /// per operand).
  DenseSet<Operation *> remarked;
};
} // namespace
