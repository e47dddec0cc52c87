//===- FloatLayers.cpp - What stays float runs as float -------------------===//

#include "quantopt/Transforms/FloatLayers.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace quantopt;

namespace {
/// dequantize(quantize(x)) -> x, when only dequantizes read the quantized
/// value (no integer op consumes it: it is only a round trip, however many
/// float ops read it).
struct DropQuantizeRoundTrip : OpRewritePattern<qnn::DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::DequantizeOp dq,
                                PatternRewriter &rewriter) const override {
    auto q = dq.getInput().getDefiningOp<qnn::QuantizeOp>();
    if (!q || q.getInput().getType() != dq.getType() ||
        !llvm::all_of(q->getUsers(), llvm::IsaPred<qnn::DequantizeOp>))
      return rewriter.notifyMatchFailure(dq, "not a round trip of its own");
    rewriter.replaceOp(dq, q.getInput());
    return success();
  }
};

/// A reshape or slice the rewrite moved onto quantized values.
static bool isQuantizedMove(Operation *op) {
  return op && isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                   tensor::ExtractSliceOp>(op);
}

/// dequantize(move(quantize(x))) -> move(dequantize(quantize(x))), moves on
/// per-tensor values: the rewrite moves reshapes onto the quantized side
/// for integer consumers; for a float consumer the move goes back to float,
/// so that the round trip it hid is seen (and dropped) as one.
struct DequantizeBeforeMove : OpRewritePattern<qnn::DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::DequantizeOp dq,
                                PatternRewriter &rewriter) const override {
    Operation *move = dq.getInput().getDefiningOp();
    if (!isQuantizedMove(move))
      return rewriter.notifyMatchFailure(dq, "not a moved value");
    Operation *source = move->getOperand(0).getDefiningOp();
    while (isQuantizedMove(source))
      source = source->getOperand(0).getDefiningOp();
    if (!source || !isa<qnn::QuantizeOp>(source))
      return rewriter.notifyMatchFailure(dq, "not a moved round trip");
    auto sourceType = cast<RankedTensorType>(move->getOperand(0).getType());
    if (!isa<quant::UniformQuantizedType>(sourceType.getElementType()))
      return rewriter.notifyMatchFailure(dq, "per-axis values move channels");
    Value floats = qnn::DequantizeOp::create(
        rewriter, dq.getLoc(),
        sourceType.clone(dq.getType().getElementType()), move->getOperand(0));
    IRMapping mapping;
    mapping.map(move->getOperand(0), floats);
    Operation *moved = rewriter.clone(*move, mapping);
    moved->getResult(0).setType(dq.getType());
    rewriter.replaceOp(dq, moved->getResults());
    return success();
  }
};

/// dequantize(scast(integer constant)) -> f32 constant, per tensor or per
/// axis, computed with the contract's f32 dequantize.
struct DequantizeConstant : OpRewritePattern<qnn::DequantizeOp> {
  DequantizeConstant(MLIRContext *ctx, ConstantExpansionLimit &limit)
      : OpRewritePattern(ctx), limit(limit) {}

  LogicalResult matchAndRewrite(qnn::DequantizeOp dq,
                                PatternRewriter &rewriter) const override {
    auto storageCast = dq.getInput().getDefiningOp<quant::StorageCastOp>();
    DenseIntElementsAttr ints;
    if (!storageCast || !matchPattern(storageCast.getInput(), m_Constant(&ints)))
      return rewriter.notifyMatchFailure(dq, "not a constant");
    auto qType = cast<quant::QuantizedType>(
        getElementTypeOrSelf(dq.getInput().getType()));
    auto resultType = dq.getType();
    if (!resultType.getElementType().isF32() || !resultType.hasStaticShape())
      return rewriter.notifyMatchFailure(dq, "not a static f32 result");
    if (!limit.allows(dq, ints))
      return failure();
    SmallVector<std::pair<double, int64_t>> params;
    int64_t stride = 1, channels = 1;
    if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(qType)) {
      for (auto [s, z] :
           llvm::zip(perAxis.getScales(), perAxis.getZeroPoints()))
        params.push_back({s, z});
      int32_t axis = perAxis.getQuantizedDimension();
      channels = resultType.getDimSize(axis);
      for (int64_t d = axis + 1; d < resultType.getRank(); ++d)
        stride *= resultType.getDimSize(d);
    } else if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(qType)) {
      params.push_back({perTensor.getScale(), perTensor.getZeroPoint()});
    } else {
      return rewriter.notifyMatchFailure(dq, "not a uniform type");
    }
    bool isSigned = qType.isSigned();
    SmallVector<float> values;
    values.reserve(ints.getNumElements());
    int64_t i = 0;
    for (const APInt &v : ints.getValues<APInt>()) {
      auto [scale, zeroPoint] = params[(i++ / stride) % channels];
      int64_t q = isSigned ? v.getSExtValue() : int64_t(v.getZExtValue());
      values.push_back(dequantizeValue(q, float(scale), zeroPoint));
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        dq, DenseElementsAttr::get(resultType, ArrayRef<float>(values)));
    return success();
  }

  ConstantExpansionLimit &limit;
};
} // namespace

void quantopt::populateFloatLayerCleanupPatterns(
    RewritePatternSet &patterns, ConstantExpansionLimit &limit,
    bool keepRoundTrips) {
  if (!keepRoundTrips)
    patterns.add<DropQuantizeRoundTrip, DequantizeBeforeMove>(
        patterns.getContext());
  patterns.add<DequantizeConstant>(patterns.getContext(), limit);
}
