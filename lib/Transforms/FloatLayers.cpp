//===- FloatLayers.cpp - What stays float runs as float -------------------===//

#include "quantopt/Transforms/FloatLayers.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// A reshape or slice, which the rewrite applies to quantized values as
/// they are.
static bool isReshapeOrSlice(Operation *op) {
  return isa_and_nonnull<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                         tensor::ExtractSliceOp>(op);
}

/// The move in scast(move(scast(x))), how the rewrite moves a quantized x
/// on its storage integers (a transpose, or a reshape of a value with
/// other integer readers); or null.
static Operation *moveOnStorage(Value value) {
  auto toQuantized = value.getDefiningOp<quant::StorageCastOp>();
  Operation *move =
      toQuantized ? toQuantized.getInput().getDefiningOp() : nullptr;
  if (!move || !(isa<linalg::TransposeOp>(move) || isReshapeOrSlice(move)) ||
      !move->getOperand(0).getDefiningOp<quant::StorageCastOp>())
    return nullptr;
  return move;
}

/// The quantized value that `value` is a reshape, slice or transpose of (a
/// move the rewrite made on quantized values), or null.
static Value movedFrom(Value value) {
  Operation *def = value.getDefiningOp();
  if (isReshapeOrSlice(def))
    return def->getOperand(0);
  if (Operation *move = moveOnStorage(value))
    return move->getOperand(0).getDefiningOp<quant::StorageCastOp>().getInput();
  return nullptr;
}

/// Whether only dequantizes read `value`, directly or through moves: no
/// integer op consumes it.
static bool onlyDequantized(Value value) {
  return llvm::all_of(value.getUsers(), [](Operation *user) {
    if (isa<qnn::DequantizeOp>(user))
      return true;
    if (isReshapeOrSlice(user))
      return onlyDequantized(user->getResult(0));
    // The storage view of a move on the integers.
    if (auto toStorage = dyn_cast<quant::StorageCastOp>(user))
      return llvm::all_of(toStorage->getUsers(), [](Operation *move) {
        return (isa<linalg::TransposeOp>(move) || isReshapeOrSlice(move)) &&
               llvm::all_of(move->getUsers(), [](Operation *back) {
                 return isa<quant::StorageCastOp>(back) &&
                        onlyDequantized(back->getResult(0));
               });
      });
    return false;
  });
}

/// dequantize(move(quantize(x))) -> move(dequantize(quantize(x))), moves on
/// per-tensor values, when nothing integer reads the quantized x: the
/// rewrite moves reshapes and transposes onto the quantized side for
/// integer consumers; when there are none, the moves go back to float, so
/// that the round trip they hid is seen (and dropped) as one.
struct DequantizeBeforeMove : OpRewritePattern<qnn::DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::DequantizeOp dq,
                                PatternRewriter &rewriter) const override {
    Value source = movedFrom(dq.getInput());
    if (!source)
      return rewriter.notifyMatchFailure(dq, "not a moved value");
    Value origin = source;
    while (Value next = movedFrom(origin))
      origin = next;
    if (!origin.getDefiningOp<qnn::QuantizeOp>() || !onlyDequantized(origin))
      return rewriter.notifyMatchFailure(dq, "not a moved round trip");
    auto sourceType = cast<RankedTensorType>(source.getType());
    if (!isa<quant::UniformQuantizedType>(sourceType.getElementType()))
      return rewriter.notifyMatchFailure(dq, "per-axis values move channels");
    Type f32 = dq.getType().getElementType();
    Value floats = qnn::DequantizeOp::create(rewriter, dq.getLoc(),
                                             sourceType.clone(f32), source);
    Operation *storageMove = moveOnStorage(dq.getInput());
    if (auto transpose =
            dyn_cast_if_present<linalg::TransposeOp>(storageMove)) {
      Value init = tensor::EmptyOp::create(rewriter, transpose.getLoc(),
                                           dq.getType().getShape(), f32);
      rewriter.replaceOp(
          dq, linalg::TransposeOp::create(rewriter, transpose.getLoc(), floats,
                                          init, transpose.getPermutation())
                  ->getResults());
      return success();
    }
    Operation *move = storageMove ? storageMove : dq.getInput().getDefiningOp();
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
    if (!storageCast ||
        !matchPattern(storageCast.getInput(), m_Constant(&ints)))
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

void quantopt::populateFloatLayerCleanupPatterns(RewritePatternSet &patterns,
                                                 ConstantExpansionLimit &limit,
                                                 bool keepRoundTrips) {
  if (!keepRoundTrips)
    patterns.add<DropQuantizeRoundTrip, DequantizeBeforeMove>(
        patterns.getContext());
  patterns.add<DequantizeConstant>(patterns.getContext(), limit);
}
