//===- DynamicQuantize.cpp - Dynamic INT8 matmuls -------------------------===//
//
// float matmul (constant weights) [-> bias/relu epilogue]
//   => dynamic_quantize + matmul_integer + float rescale. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Epilogue.h"
#include "quantopt/Transforms/Exclusion.h"
#include "quantopt/Transforms/Passes.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

namespace quantopt {
#define GEN_PASS_DEF_DYNAMICQUANTIZEPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

namespace {
struct MatmulToDynamicInt8 : OpRewritePattern<linalg::MatmulOp> {
  MatmulToDynamicInt8(MLIRContext *ctx, bool symmetric, bool reduceRange,
                      bool perChannel, bool narrowRange,
                      const llvm::StringSet<> &excluded,
                      ConstantExpansionLimit &limit)
      : OpRewritePattern(ctx), symmetric(symmetric), reduceRange(reduceRange),
        perChannel(perChannel), narrowRange(narrowRange), excluded(excluded),
        limit(limit) {}

  LogicalResult matchAndRewrite(linalg::MatmulOp matmul,
                                PatternRewriter &rewriter) const override {
    if (isExcluded(matmul, excluded, "matmul"))
      return rewriter.notifyMatchFailure(matmul, "excluded by the user");
    if (matmul.hasUserDefinedMaps() || !isZeroFill(matmul.getDpsInits()[0]))
      return rewriter.notifyMatchFailure(matmul,
                                         "not a plain matmul into zeros");
    Value x = matmul.getInputs()[0];
    auto xType = cast<RankedTensorType>(x.getType());
    if (!xType.getElementType().isF32() || x.getDefiningOp<qnn::DequantizeOp>())
      return rewriter.notifyMatchFailure(
          matmul, "activation is not float (statically quantized?)");
    DenseFPElementsAttr weights;
    if (!matchPattern(matmul.getInputs()[1], m_Constant(&weights)) ||
        !weights.getElementType().isF32())
      return rewriter.notifyMatchFailure(matmul,
                                         "weights are not constant f32");
    if (!limit.allows(matmul, weights))
      return failure();

    // Fold the epilogue too when it is the matmul's only user.
    Value result = matmul->getResult(0);
    Operation *replaced = matmul;
    std::optional<Epilogue> epilogue;
    if (result.hasOneUse())
      if (auto generic =
              dyn_cast<linalg::GenericOp>(*result.getUsers().begin()))
        if ((epilogue = matchEpilogue(generic, result, /*channelDim=*/1)))
          replaced = generic;

    Location loc = matmul.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto wType = cast<RankedTensorType>(weights.getType());
    int64_t n = wType.getDimSize(1);
    SmallVector<float> values(weights.getValues<float>());
    PerChannelWeights q = quantizeWeightsSymmetric(values, wType.getShape(), 1,
                                                   perChannel, narrowRange);

    // Activations quantized at run time.
    // ui8 is unsigned; signless i8 is signed (qnn's convention).
    Type storage = symmetric ? IntegerType::get(ctx, 8)
                             : IntegerType::get(ctx, 8, IntegerType::Unsigned);
    auto scalarF32 = RankedTensorType::get({}, rewriter.getF32Type());
    auto dq = qnn::DynamicQuantizeOp::create(
        rewriter, loc, xType.clone(storage), scalarF32,
        RankedTensorType::get({}, storage), x, rewriter.getBoolAttr(symmetric),
        rewriter.getBoolAttr(reduceRange));
    Type i8 = IntegerType::get(ctx, 8);
    Value w = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(wType.clone(i8), ArrayRef<int8_t>(q.values)));
    auto resultType = cast<RankedTensorType>(result.getType());
    Value acc = qnn::MatmulIntegerOp::create(
        rewriter, loc, resultType.clone(rewriter.getI32Type()), dq.getOutput(),
        w, dq.getZeroPoint(), rewriter.getI64IntegerAttr(0));

    // y = f32(acc) * (scale * w_scale[n]) [+ bias[n]] [clamp].
    SmallVector<float> wScales(q.scales.begin(), q.scales.end());
    auto vecType = RankedTensorType::get({n}, rewriter.getF32Type());
    SmallVector<Value> inputs{
        acc, dq.getScale(),
        arith::ConstantOp::create(
            rewriter, loc,
            DenseElementsAttr::get(vecType, ArrayRef<float>(wScales)))};
    if (epilogue && epilogue->bias)
      inputs.push_back(
          arith::ConstantOp::create(rewriter, loc, epilogue->bias));
    AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
    SmallVector<AffineMap> maps{
        identity, AffineMap::get(2, 0, ctx),
        AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx)};
    if (inputs.size() == 4)
      maps.push_back(maps.back());
    maps.push_back(identity);
    Value init = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, result),
        rewriter.getF32Type());
    std::optional<double> lower = epilogue ? epilogue->lower : std::nullopt;
    std::optional<double> upper = epilogue ? epilogue->upper : std::nullopt;
    Value y =
        linalg::GenericOp::create(
            rewriter, loc, resultType, inputs, ValueRange{init}, maps,
            SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value f = arith::SIToFPOp::create(b, l, b.getF32Type(), args[0]);
              Value m = arith::MulFOp::create(b, l, args[1], args[2]);
              Value v = arith::MulFOp::create(b, l, f, m);
              if (inputs.size() == 4)
                v = arith::AddFOp::create(b, l, v, args[3]);
              if (lower)
                v = arith::MaximumFOp::create(
                    b, l, v,
                    arith::ConstantOp::create(b, l, b.getF32FloatAttr(*lower)));
              if (upper)
                v = arith::MinimumFOp::create(
                    b, l, v,
                    arith::ConstantOp::create(b, l, b.getF32FloatAttr(*upper)));
              linalg::YieldOp::create(b, l, v);
            })
            .getResult(0);
    rewriter.replaceOp(replaced, y);
    if (replaced != matmul.getOperation())
      rewriter.eraseOp(matmul);
    return success();
  }

  bool symmetric, reduceRange, perChannel, narrowRange;
  const llvm::StringSet<> &excluded;
  ConstantExpansionLimit &limit;
};

/// Why a float contraction or convolution the pattern left alone stays
/// float (a remark for each: nothing stays float silently).
static std::string keptFloatReason(linalg::LinalgOp op,
                                   const llvm::StringSet<> &excluded) {
  if (isExcluded(op, excluded, "matmul"))
    return "excluded by the user";
  if (linalg::isaConvolutionOpInterface(op))
    return "convolutions have no dynamic INT8 form (static INT8 quantizes "
           "them)";
  if (llvm::none_of(op.getDpsInputs(),
                    [](Value v) { return matchPattern(v, m_Constant()); }))
    return "no constant weights (a product of two activations)";
  if (op.getDpsInputs()[0].getDefiningOp<qnn::DequantizeOp>())
    return "its input is already quantized";
  return "not a form quant-dynamic-quantize takes (linalg.matmul with [K, N] "
         "constant f32 weights into zeros; quant-normalize-units brings "
         "transposed and batch forms to it)";
}

struct DynamicQuantizePass
    : quantopt::impl::DynamicQuantizePassBase<DynamicQuantizePass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(verifyExcludeNames(getOperation(), exclude, {"matmul"},
                                  getArgument())))
      return signalPassFailure();
    for (const std::string &name : exclude)
      excluded.insert(name);
    RewritePatternSet patterns(&getContext());
    ConstantExpansionLimit limit(maxConstantElements, getArgument());
    patterns.add<MatmulToDynamicInt8>(&getContext(), symmetric, reduceRange,
                                      perChannel, narrowRange, excluded, limit);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))) ||
        limit.exceeded())
      return signalPassFailure();
    getOperation()->walk([&](linalg::LinalgOp op) {
      bool floatResult = llvm::all_of(op->getResultTypes(), [](Type type) {
        return isa<FloatType>(getElementTypeOrSelf(type));
      });
      if (floatResult && op.getNumDpsInputs() >= 2 &&
          (linalg::isaContractionOpInterface(op) ||
           linalg::isaConvolutionOpInterface(op)))
        op->emitRemark() << "kept in float: " << keptFloatReason(op, excluded);
    });
  }

  llvm::StringSet<> excluded;
};
} // namespace
