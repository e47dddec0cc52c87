//===- FuseLayers.cpp - Fold batch norm; mark quantization units ----------===//
//
// On the float model, before calibration:
//  1. a per-channel affine elementwise op after a matmul / convolution with
//     constant weights (batch normalization in inference form, a scale) is
//     folded into the weights, leaving at most a bias add;
//  2. that bias add and a following activation merge into one epilogue;
//  3. matmul / convolution + epilogue is marked as one quantization unit.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Epilogue.h"
#include "quantopt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_FUSELAYERSPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

/// The weights' (second input's) dimension that indexes the output channel
/// `outputChannelDim` of a quantizable op, read from its indexing maps: a
/// matmul whose B is [N, K] (PyTorch's Linear layout) scales dimension 0.
static std::optional<int64_t> weightChannelDim(linalg::LinalgOp op,
                                               unsigned outputChannelDim) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return std::nullopt;
  AffineMap output = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  AffineMap weights = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  if (outputChannelDim >= output.getNumResults())
    return std::nullopt;
  auto channel = dyn_cast<AffineDimExpr>(output.getResult(outputChannelDim));
  if (!channel)
    return std::nullopt;
  std::optional<int64_t> found;
  for (auto [i, expr] : llvm::enumerate(weights.getResults()))
    if (expr.isFunctionOfDim(channel.getPosition())) {
      if (found || expr != channel)
        return std::nullopt; // the channel mixed into another index
      found = i;
    }
  return found;
}

namespace {
/// Per channel, a value a * x + b of the op's result x.
struct Affine {
  SmallVector<double> a, b;
};

/// Evaluates an elementwise body as an affine function of its first block
/// argument, per channel. Other block arguments must be constants indexed by
/// the channel dimension (or scalars). Fails on anything non-affine.
static std::optional<Affine> evaluateAffine(linalg::GenericOp generic,
                                            unsigned channelDim,
                                            int64_t channels) {
  Block &body = generic.getRegion().front();
  DenseMap<Value, Affine> values;
  auto splat = [&](double a, double b) {
    return Affine{SmallVector<double>(channels, a),
                  SmallVector<double>(channels, b)};
  };
  values[body.getArgument(0)] = splat(1, 0);
  MLIRContext *ctx = generic.getContext();
  // getDpsInputOperands returns a vector by value: keep it alive for the loop.
  SmallVector<OpOperand *> inputs = generic.getDpsInputOperands();
  for (OpOperand *input : llvm::drop_begin(inputs)) {
    DenseFPElementsAttr attr;
    if (!matchPattern(input->get(), m_Constant(&attr)))
      return std::nullopt;
    AffineMap map = generic.getMatchingIndexingMap(input);
    Affine v = splat(0, 0);
    if (map.getNumResults() == 1 &&
        map.getResult(0) == getAffineDimExpr(channelDim, ctx) &&
        attr.getNumElements() == channels) {
      for (auto [c, f] : llvm::enumerate(attr.getValues<APFloat>()))
        v.b[c] = f.convertToDouble();
    } else if (attr.isSplat()) {
      v = splat(0, attr.getSplatValue<APFloat>().convertToDouble());
    } else {
      return std::nullopt;
    }
    values[body.getArgument(input->getOperandNumber())] = v;
  }
  auto lookup = [&](Value v) -> std::optional<Affine> {
    if (auto it = values.find(v); it != values.end())
      return it->second;
    FloatAttr c;
    if (matchPattern(v, m_Constant(&c)))
      return splat(0, c.getValueAsDouble());
    return std::nullopt;
  };
  auto isConst = [](const Affine &v) {
    return llvm::all_of(v.a, [](double a) { return a == 0; });
  };
  for (Operation &op : body.without_terminator()) {
    if (isa<arith::ConstantOp>(op))
      continue;
    SmallVector<Affine> args;
    for (Value operand : op.getOperands()) {
      std::optional<Affine> v = lookup(operand);
      if (!v)
        return std::nullopt;
      args.push_back(*v);
    }
    Affine r = splat(0, 0);
    for (int64_t c = 0; c < channels; ++c) {
      if (isa<arith::AddFOp>(op)) {
        r.a[c] = args[0].a[c] + args[1].a[c];
        r.b[c] = args[0].b[c] + args[1].b[c];
      } else if (isa<arith::SubFOp>(op)) {
        r.a[c] = args[0].a[c] - args[1].a[c];
        r.b[c] = args[0].b[c] - args[1].b[c];
      } else if (isa<arith::MulFOp>(op)) {
        if (!isConst(args[0]) && !isConst(args[1]))
          return std::nullopt; // x * x is not affine
        const Affine &k = isConst(args[0]) ? args[0] : args[1];
        const Affine &x = isConst(args[0]) ? args[1] : args[0];
        r.a[c] = x.a[c] * k.b[c];
        r.b[c] = x.b[c] * k.b[c];
      } else if (isa<arith::DivFOp>(op)) {
        if (!isConst(args[1]) || args[1].b[c] == 0)
          return std::nullopt;
        r.a[c] = args[0].a[c] / args[1].b[c];
        r.b[c] = args[0].b[c] / args[1].b[c];
      } else if (isa<math::SqrtOp, math::RsqrtOp>(op)) {
        if (!isConst(args[0]) || args[0].b[c] <= 0)
          return std::nullopt;
        double s = std::sqrt(args[0].b[c]);
        r.b[c] = isa<math::SqrtOp>(op) ? s : 1 / s;
      } else {
        return std::nullopt;
      }
    }
    values[op.getResult(0)] = r;
  }
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  return lookup(yield.getOperand(0));
}

/// conv / matmul (constant weights, into zeros) -> per-channel affine
/// elementwise op  =>  conv / matmul (scaled weights) [-> bias add].
struct FoldAffineIntoWeights : OpRewritePattern<linalg::GenericOp> {
  FoldAffineIntoWeights(MLIRContext *ctx, ConstantExpansionLimit &limit)
      : OpRewritePattern(ctx), limit(limit) {}

  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    if (generic.getNumDpsInputs() < 1 || generic.getNumDpsInits() != 1 ||
        generic.getNumReductionLoops() != 0)
      return rewriter.notifyMatchFailure(generic, "not elementwise");
    Value x = generic.getDpsInputOperand(0)->get();
    auto producer = x.getDefiningOp<linalg::LinalgOp>();
    std::optional<unsigned> channelDim =
        producer ? getOutputChannelDim(producer) : std::nullopt;
    std::optional<int64_t> weightDim =
        channelDim ? weightChannelDim(producer, *channelDim) : std::nullopt;
    if (!channelDim || !weightDim || !x.hasOneUse() ||
        !isZeroFill(producer.getDpsInits()[0]) ||
        !generic.getMatchingIndexingMap(generic.getDpsInputOperand(0))
             .isIdentity())
      return rewriter.notifyMatchFailure(generic, "not after a quantizable op");
    DenseFPElementsAttr weights;
    if (!matchPattern(producer.getDpsInputs()[1], m_Constant(&weights)) ||
        !weights.getElementType().isF32())
      return rewriter.notifyMatchFailure(producer, "weights are not constant");
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t channels = xType.getDimSize(*channelDim);
    if (ShapedType::isDynamic(channels))
      return rewriter.notifyMatchFailure(generic, "dynamic channel count");
    if (!limit.allows(producer, weights) ||
        !limit.allows(generic, channels, "per-channel values"))
      return failure();
    std::optional<Affine> affine =
        evaluateAffine(generic, *channelDim, channels);
    if (!affine)
      return rewriter.notifyMatchFailure(generic,
                                         "not a per-channel affine op");
    if (llvm::all_of(affine->a, [](double a) { return a == 1; }))
      return rewriter.notifyMatchFailure(generic,
                                         "a bias add: nothing to fold");

    // Scale the weights of each output channel.
    auto wType = cast<RankedTensorType>(weights.getType());
    int64_t stride = 1;
    for (int64_t d = *weightDim + 1; d < wType.getRank(); ++d)
      stride *= wType.getDimSize(d);
    SmallVector<float> scaled;
    for (auto [i, w] : llvm::enumerate(weights.getValues<float>()))
      scaled.push_back(float(double(w) * affine->a[(i / stride) % channels]));
    Location loc = generic.getLoc();
    Value newWeights = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(wType, ArrayRef<float>(scaled)));
    Operation *newProducer = rewriter.clone(*producer);
    newProducer->setOperand(1, newWeights);
    Value result = newProducer->getResult(0);

    if (llvm::any_of(affine->b, [](double b) { return b != 0; })) {
      SmallVector<float> bias(affine->b.begin(), affine->b.end());
      Value biasValue = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({channels}, rewriter.getF32Type()),
              ArrayRef<float>(bias)));
      unsigned rank = xType.getRank();
      MLIRContext *ctx = rewriter.getContext();
      AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
      AffineMap channel =
          AffineMap::get(rank, 0, {getAffineDimExpr(*channelDim, ctx)}, ctx);
      Value init = tensor::EmptyOp::create(
          rewriter, loc, tensor::getMixedSizes(rewriter, loc, result),
          rewriter.getF32Type());
      result =
          linalg::GenericOp::create(
              rewriter, loc, xType, ValueRange{result, biasValue},
              ValueRange{init},
              ArrayRef<AffineMap>{identity, channel, identity},
              SmallVector<utils::IteratorType>(rank,
                                               utils::IteratorType::parallel),
              [](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    b, l,
                    arith::AddFOp::create(b, l, args[0], args[1]).getResult());
              })
              .getResult(0);
    }
    rewriter.replaceOp(generic, result);
    rewriter.eraseOp(producer);
    return success();
  }

  ConstantExpansionLimit &limit;
};

struct FuseLayersPass : quantopt::impl::FuseLayersPassBase<FuseLayersPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // 1. Batch norm / scales into the weights.
    RewritePatternSet folds(ctx);
    ConstantExpansionLimit limit(maxConstantElements, getArgument());
    folds.add<FoldAffineIntoWeights>(ctx, limit);
    if (failed(applyPatternsGreedily(getOperation(), std::move(folds))) ||
        limit.exceeded())
      return signalPassFailure();

    // 2. Merge elementwise ops that follow a quantizable op into one
    //    epilogue (bias add + activation), and nothing else.
    RewritePatternSet fusion(ctx);
    //    The unit may be any input of the epilogue (PyTorch exports
    //    Add(bias, x)); an epilogue read by several ops stays as it is
    //    (fusing would copy it into each of them).
    linalg::populateElementwiseOpsFusionPatterns(fusion, [](OpOperand *fused) {
      auto producer = fused->get().getDefiningOp<linalg::GenericOp>();
      if (!producer || !producer->hasOneUse())
        return false;
      return llvm::any_of(producer.getDpsInputs(), [](Value input) {
        Operation *source = input.getDefiningOp();
        return source && getOutputChannelDim(source).has_value();
      });
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(fusion))))
      return signalPassFailure();

    // 3. Mark the units.
    getOperation()->walk([](Operation *op) {
      std::optional<unsigned> channelDim = getOutputChannelDim(op);
      if (!channelDim)
        return;
      Value result = op->getResult(0);
      if (!result.hasOneUse())
        return;
      auto epilogue = dyn_cast<linalg::GenericOp>(*result.getUsers().begin());
      if (epilogue && matchEpilogue(epilogue, result, *channelDim))
        op->setAttr(kFusedAttrName, UnitAttr::get(op->getContext()));
    });
  }
};
} // namespace
