//===- QnnObserveToRuntime.cpp - qnn.observe to runtime calls ------------===//
//
// Lowers calibration points to calls of quantopt_observe_f32 so that an
// instrumented model compiles and records statistics when run.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Conversion/Passes.h"

#include "qnn/IR/QnnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_CONVERTQNNOBSERVETORUNTIMEPASS
#include "quantopt/Conversion/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

static constexpr StringLiteral kObserveFn = "quantopt_observe_f32";

/// Converts a float tensor to f32 elementwise (extf / truncf).
static Value castToF32(OpBuilder &b, Location loc, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  Type f32 = b.getF32Type();
  if (type.getElementType() == f32)
    return input;
  auto resultType = type.clone(f32);
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, input), f32);
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, resultType, ValueRange{input}, ValueRange{init},
             ArrayRef<AffineMap>{identity, identity}, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value v = args[0];
               auto width = cast<FloatType>(v.getType()).getWidth();
               v = width < 32
                       ? arith::ExtFOp::create(nb, l, f32, v).getResult()
                       : arith::TruncFOp::create(nb, l, f32, v).getResult();
               linalg::YieldOp::create(nb, l, v);
             })
      .getResult(0);
}

namespace {
/// qnn.observe -> call @quantopt_observe_f32(id, axis, unranked input).
struct LowerObserve : OpRewritePattern<qnn::ObserveOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::ObserveOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = castToF32(rewriter, loc, op.getInput());
    auto unranked = UnrankedTensorType::get(rewriter.getF32Type());
    Value cast = tensor::CastOp::create(rewriter, loc, unranked, data);
    Value id = arith::ConstantOp::create(
        rewriter, loc, rewriter.getI64IntegerAttr(op.getIdAttr().getInt()));
    int64_t axisValue = op.getAxis() ? int64_t(*op.getAxis()) : -1;
    Value axis = arith::ConstantOp::create(
        rewriter, loc, rewriter.getI64IntegerAttr(axisValue));
    func::CallOp::create(rewriter, loc, kObserveFn, TypeRange{},
                         ValueRange{id, axis, cast});
    rewriter.replaceOp(op, op.getInput());
    return success();
  }
};

struct ConvertQnnObserveToRuntimePass
    : quantopt::impl::ConvertQnnObserveToRuntimePassBase<
          ConvertQnnObserveToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool hasObservers = false;
    module.walk([&](qnn::ObserveOp) { hasObservers = true; });
    if (!hasObservers)
      return;
    declareRuntimeFunction(module);
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerObserve>(&getContext());
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      signalPassFailure();
  }

  void declareRuntimeFunction(ModuleOp module) {
    if (module.lookupSymbol<func::FuncOp>(kObserveFn))
      return;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    Type i64 = b.getI64Type();
    auto type = b.getFunctionType(
        {i64, i64, UnrankedTensorType::get(b.getF32Type())}, {});
    auto fn = func::FuncOp::create(b, module.getLoc(), kObserveFn, type);
    fn.setPrivate();
    // The runtime only reads the data: tell bufferization so that observed
    // tensors are neither copied nor treated as clobbered.
    fn.setArgAttr(2, "bufferization.access", b.getStringAttr("read"));
  }
};
} // namespace
