//===- LowerFakeQuant.cpp - QAT fake-quant to quantize/dequantize ---------===//
//
// qnn.fake_quant and upstream quant.qcast / quant.dcast become qnn.quantize /
// qnn.dequantize with !quant.uniform types. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Passes.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_LOWERFAKEQUANTPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

/// The quantized element type a fake_quant simulates, or an error at the op.
static FailureOr<Type> fakeQuantType(qnn::FakeQuantOp op) {
  unsigned bits = op.getNumBits();
  bool isSigned = op.getIsSigned();
  StorageRange range =
      StorageRange::forBits(bits, isSigned, op.getNarrowRange());
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  if (op.getScales()) {
    scales.assign(op.getScales()->begin(), op.getScales()->end());
    zeroPoints.assign(op.getZeroPoints()->begin(), op.getZeroPoints()->end());
  } else {
    auto params = chooseQuantParamsPerChannel(*op.getMin(), *op.getMax(), range,
                                              QuantScheme::Asymmetric);
    if (!params)
      return op.emitOpError() << "has no valid quantization grid: "
                              << llvm::toString(params.takeError());
    for (const QuantParams &p : *params) {
      scales.push_back(p.scale);
      zeroPoints.push_back(p.zeroPoint);
    }
  }

  MLIRContext *ctx = op.getContext();
  Type storage = IntegerType::get(ctx, bits <= 8 ? 8 : 16);
  Type expressed = op.getType().getElementType();
  unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
  auto emitError = [&]() {
    return op.emitOpError() << "has no valid quantized type: ";
  };
  Type type;
  if (std::optional<uint64_t> axis = op.getAxis())
    type = quant::UniformQuantizedPerAxisType::getChecked(
        emitError, flags, storage, expressed, scales, zeroPoints,
        int32_t(*axis), range.min, range.max);
  else
    type = quant::UniformQuantizedType::getChecked(
        emitError, flags, storage, expressed, scales[0], zeroPoints[0],
        range.min, range.max);
  if (!type)
    return failure();
  return type;
}

namespace {
/// fake_quant(x) -> dequantize(quantize(x)).
struct FakeQuantToQuantizeDequantize : OpRewritePattern<qnn::FakeQuantOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::FakeQuantOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Type> element = fakeQuantType(op);
    if (failed(element))
      return rewriter.notifyMatchFailure(op, "no valid quantized type");
    RankedTensorType type = op.getType();
    Value q = qnn::QuantizeOp::create(rewriter, op.getLoc(),
                                      type.clone(*element), op.getInput());
    rewriter.replaceOpWithNewOp<qnn::DequantizeOp>(op, type, q);
    return success();
  }
};

/// quant.qcast -> qnn.quantize (on ranked tensors of uniform types).
struct QuantizeCastToQuantize : OpRewritePattern<quant::QuantizeCastOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(quant::QuantizeCastOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type ||
        !isa<quant::UniformQuantizedType, quant::UniformQuantizedPerAxisType>(
            type.getElementType()))
      return rewriter.notifyMatchFailure(op, "not a ranked uniform tensor");
    rewriter.replaceOpWithNewOp<qnn::QuantizeOp>(op, type, op.getInput());
    return success();
  }
};

/// quant.dcast -> qnn.dequantize (on ranked tensors of uniform types).
struct DequantizeCastToDequantize : OpRewritePattern<quant::DequantizeCastOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(quant::DequantizeCastOp op,
                                PatternRewriter &rewriter) const override {
    auto input = dyn_cast<RankedTensorType>(op.getInput().getType());
    if (!input ||
        !isa<quant::UniformQuantizedType, quant::UniformQuantizedPerAxisType>(
            input.getElementType()))
      return rewriter.notifyMatchFailure(op, "not a ranked uniform tensor");
    rewriter.replaceOpWithNewOp<qnn::DequantizeOp>(op, op.getType(),
                                                   op.getInput());
    return success();
  }
};

struct LowerFakeQuantPass
    : quantopt::impl::LowerFakeQuantPassBase<LowerFakeQuantPass> {
  void runOnOperation() override {
    // Report every fake_quant without a valid grid, then rewrite the rest.
    bool ok = true;
    getOperation()->walk(
        [&](qnn::FakeQuantOp op) { ok &= succeeded(fakeQuantType(op)); });
    if (!ok)
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<FakeQuantToQuantizeDequantize, QuantizeCastToQuantize,
                 DequantizeCastToDequantize>(&getContext());
    // A walk, not the greedy driver: the greedy driver folds first, and
    // upstream folds quant.dcast(quant.qcast(x)) to x, dropping the
    // quantization a QDQ model asks for.
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
