//===- CastFloat.cpp - f16 / bf16 compute with f32 accumulation -----------===//

#include "quantopt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace quantopt {
#define GEN_PASS_DEF_CASTFLOATPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using quantopt::ConstantExpansionLimit;

/// True when `value` (an f32 number) survives the narrow type: zero stays
/// zero, a non-zero value stays finite and non-zero. Precision may go, and
/// a value may become a subnormal of the narrow type (bf16 holds f32's
/// subnormals, 4e-39 among them; f16's reach down to 6e-8); an overflow to
/// infinity or a value that vanishes (a 1e-12 epsilon in f16) keeps the op
/// in f32.
static bool fitsIn(FloatType narrow, const APFloat &value) {
  if (value.isZero() || value.isNaN() || value.isInfinity())
    return true;
  APFloat converted = value;
  bool losesInfo = false;
  converted.convert(narrow.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
  return converted.isFiniteNonZero();
}

/// The first constant in `op` (operands or body) the narrow type cannot
/// hold, if any.
static std::optional<APFloat> findUnfitConstant(Operation *op,
                                                FloatType narrow,
                                                ConstantExpansionLimit &limit) {
  std::optional<APFloat> bad;
  op->walk([&](arith::ConstantOp constant) {
    if (auto f = dyn_cast<FloatAttr>(constant.getValue());
        f && !fitsIn(narrow, f.getValue()))
      bad = f.getValue();
  });
  // Scalars the body captures from above count too.
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(op->getRegions(), captured);
  for (Value v : captured) {
    FloatAttr f;
    if (!bad && matchPattern(v, m_Constant(&f)) &&
        !fitsIn(narrow, f.getValue()))
      bad = f.getValue();
  }
  for (Value operand : op->getOperands()) {
    DenseFPElementsAttr values;
    if (bad || !matchPattern(operand, m_Constant(&values)))
      continue;
    if (values.isSplat()) {
      if (!fitsIn(narrow, values.getSplatValue<APFloat>()))
        bad = values.getSplatValue<APFloat>();
      continue;
    }
    if (limit.allows(op, values))
      for (const APFloat &v : values.getValues<APFloat>())
        if (!fitsIn(narrow, v)) {
          bad = v;
          break;
        }
  }
  return bad;
}

/// `value` as a tensor of `narrow` elements: a converted constant (a splat
/// stays a splat), or a truncf on the tensor.
static Value toNarrow(PatternRewriter &rewriter, Location loc, Value value,
                      FloatType narrow) {
  auto type = cast<RankedTensorType>(value.getType());
  auto narrowType = type.clone(narrow);
  DenseFPElementsAttr values;
  if (matchPattern(value, m_Constant(&values))) {
    SmallVector<APFloat> converted;
    auto range = values.isSplat()
                     ? llvm::make_range(values.value_begin<APFloat>(),
                                        std::next(values.value_begin<APFloat>()))
                     : llvm::make_range(values.value_begin<APFloat>(),
                                        values.value_end<APFloat>());
    for (APFloat v : range) {
      bool losesInfo = false;
      v.convert(narrow.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                &losesInfo);
      converted.push_back(v);
    }
    return arith::ConstantOp::create(
        rewriter, loc, DenseFPElementsAttr::get(narrowType, converted));
  }
  return arith::TruncFOp::create(rewriter, loc, narrowType, value);
}

static bool isF32Tensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getElementType().isF32();
}

namespace {
/// Contractions read narrow operands and accumulate into their f32 result.
struct NarrowContractionOperands : OpInterfaceRewritePattern<linalg::LinalgOp> {
  NarrowContractionOperands(MLIRContext *ctx, FloatType narrow,
                            const DenseSet<Operation *> &kept)
      : OpInterfaceRewritePattern(ctx), narrow(narrow), kept(kept) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::Conv2DNhwcHwcfOp,
             linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNhwcHwcOp>(
            op.getOperation()))
      return rewriter.notifyMatchFailure(op, "not a contraction");
    if (!llvm::all_of(op.getDpsInputs(), isF32Tensor) ||
        !llvm::all_of(op.getDpsInits(), isF32Tensor))
      return rewriter.notifyMatchFailure(op, "not f32 operands");
    if (kept.contains(op))
      return rewriter.notifyMatchFailure(op, "kept in f32");
    SmallVector<Value> inputs;
    for (Value input : op.getDpsInputs())
      inputs.push_back(toNarrow(rewriter, op.getLoc(), input, narrow));
    // Named ops build their body from the operand types: create anew.
    Operation *narrowOp =
        llvm::TypeSwitch<Operation *, Operation *>(op.getOperation())
            .Case<linalg::MatmulOp, linalg::BatchMatmulOp>([&](auto named) {
              using OpTy = decltype(named);
              // Keeps user-defined indexing maps (transposed operands).
              return OpTy::create(rewriter, named.getLoc(),
                                  named->getResultTypes(), inputs,
                                  named.getDpsInits(),
                                  linalg::getPrunedAttributeList(named))
                  .getOperation();
            })
            .Case<linalg::Conv2DNhwcHwcfOp, linalg::Conv2DNchwFchwOp,
                  linalg::DepthwiseConv2DNhwcHwcOp>([&](auto named) {
              using OpTy = decltype(named);
              return OpTy::create(rewriter, named.getLoc(),
                                  named->getResultTypes(), inputs,
                                  named.getDpsInits(), named.getStridesAttr(),
                                  named.getDilationsAttr())
                  .getOperation();
            });
    rewriter.replaceOp(op, narrowOp->getResults());
    return success();
  }

  FloatType narrow;
  const DenseSet<Operation *> &kept;
};

/// Elementwise generics compute in the narrow type.
struct NarrowElementwise : OpRewritePattern<linalg::GenericOp> {
  NarrowElementwise(MLIRContext *ctx, FloatType narrow,
                    const DenseSet<Operation *> &kept)
      : OpRewritePattern(ctx), narrow(narrow), kept(kept) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getNumReductionLoops() != 0 || op->getNumResults() != 1)
      return rewriter.notifyMatchFailure(op, "not elementwise");
    if (!llvm::all_of(op.getDpsInputs(), isF32Tensor) ||
        !llvm::all_of(op.getDpsInits(), isF32Tensor))
      return rewriter.notifyMatchFailure(op, "not all f32");
    // Bodies of float arithmetic and math only (no index or integer ops).
    for (Operation &inner : op.getRegion().front().without_terminator())
      if (!isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()) ||
          llvm::any_of(inner.getResultTypes(),
                       [](Type t) { return !t.isF32() && !t.isInteger(1); }))
        return rewriter.notifyMatchFailure(op, "body is not float arithmetic");
    if (kept.contains(op))
      return rewriter.notifyMatchFailure(op, "kept in f32");

    Location loc = op.getLoc();
    SmallVector<Value> inputs;
    for (Value input : op.getDpsInputs())
      inputs.push_back(toNarrow(rewriter, loc, input, narrow));
    // The output is only written: a fresh narrow tensor will do.
    Value init = op.getDpsInits()[0];
    if (!op.payloadUsesValueFromOperand(op.getDpsInitOperand(0)))
      init = tensor::EmptyOp::create(
          rewriter, loc, tensor::getMixedSizes(rewriter, loc, init), narrow);
    else
      init = toNarrow(rewriter, loc, init, narrow);
    auto resultType =
        cast<RankedTensorType>(op->getResult(0).getType()).clone(narrow);
    auto narrowOp = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, inputs, ValueRange{init},
        op.getIndexingMapsArray(), op.getIteratorTypesArray());
    // Same body with narrow block arguments and constants.
    IRMapping mapping;
    Block &oldBody = op.getRegion().front();
    Block *body = rewriter.createBlock(
        &narrowOp.getRegion(), {},
        SmallVector<Type>(oldBody.getNumArguments(), narrow),
        SmallVector<Location>(oldBody.getNumArguments(), loc));
    for (auto [oldArg, newArg] :
         llvm::zip(oldBody.getArguments(), body->getArguments()))
      mapping.map(oldArg, newArg);
    rewriter.setInsertionPointToStart(body);
    for (Operation &inner : oldBody) {
      if (auto constant = dyn_cast<arith::ConstantOp>(inner);
          constant && constant.getType().isF32()) {
        APFloat v = cast<FloatAttr>(constant.getValue()).getValue();
        bool losesInfo = false;
        v.convert(narrow.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
        mapping.map(inner.getResult(0),
                    arith::ConstantOp::create(
                        rewriter, loc, rewriter.getFloatAttr(narrow, v)));
        continue;
      }
      Operation *clone = rewriter.clone(inner, mapping);
      for (Value result : clone->getResults())
        if (result.getType().isF32())
          result.setType(narrow);
    }
    // Captured f32 scalars from above become narrow too.
    narrowOp.getRegion().walk([&](Operation *inner) {
      for (OpOperand &operand : inner->getOpOperands())
        if (operand.get().getType().isF32() &&
            !narrowOp->isAncestor(
                operand.get().getParentBlock()->getParentOp())) {
          OpBuilder b(inner);
          operand.set(arith::TruncFOp::create(b, loc, narrow, operand.get()));
        }
    });
    rewriter.setInsertionPointAfter(narrowOp);
    rewriter.replaceOpWithNewOp<arith::ExtFOp>(op, op->getResult(0).getType(),
                                               narrowOp->getResult(0));
    return success();
  }

  FloatType narrow;
  const DenseSet<Operation *> &kept;
};

struct CastFloatPass : quantopt::impl::CastFloatPassBase<CastFloatPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    FloatType narrow;
    if (to == "f16")
      narrow = Float16Type::get(ctx);
    else if (to == "bf16")
      narrow = BFloat16Type::get(ctx);
    else {
      emitError(getOperation()->getLoc())
          << "quant-cast-float: to='" << to << "' is not f16 or bf16";
      return signalPassFailure();
    }
    // Ops whose constants the narrow type cannot hold stay f32, with a
    // warning (decided once, before any rewrite).
    DenseSet<Operation *> kept;
    ConstantExpansionLimit limit(maxConstantElements, getArgument());
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (std::optional<APFloat> bad = findUnfitConstant(op, narrow, limit)) {
        bool losesInfo = false;
        APFloat converted = *bad;
        converted.convert(narrow.getFloatSemantics(),
                          APFloat::rmNearestTiesToEven, &losesInfo);
        op->emitWarning() << "kept in f32: constant " << bad->convertToDouble()
                          << " does not fit in " << narrow << " (it would be "
                          << (converted.isZero() ? "0" : "infinite") << ")";
        kept.insert(op);
      }
    });
    if (limit.exceeded())
      return signalPassFailure();
    RewritePatternSet patterns(ctx);
    patterns.add<NarrowContractionOperands, NarrowElementwise>(ctx, narrow,
                                                               kept);
    // extf then truncf back is the identity: drop such pairs.
    arith::TruncFOp::getCanonicalizationPatterns(patterns, ctx);
    arith::ExtFOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
