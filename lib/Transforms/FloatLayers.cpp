//===- FloatLayers.cpp - What stays float runs as float -------------------===//

#include "quantopt/Transforms/FloatLayers.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace quantopt;

namespace {
/// dequantize(quantize(x)) -> x, when nothing else reads the quantized
/// value (no integer op consumes it: it is only a round trip).
struct DropQuantizeRoundTrip : OpRewritePattern<qnn::DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::DequantizeOp dq,
                                PatternRewriter &rewriter) const override {
    auto q = dq.getInput().getDefiningOp<qnn::QuantizeOp>();
    if (!q || !q->hasOneUse() || q.getInput().getType() != dq.getType())
      return rewriter.notifyMatchFailure(dq, "not a round trip of its own");
    rewriter.replaceOp(dq, q.getInput());
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
    patterns.add<DropQuantizeRoundTrip>(patterns.getContext());
  patterns.add<DequantizeConstant>(patterns.getContext(), limit);
}
