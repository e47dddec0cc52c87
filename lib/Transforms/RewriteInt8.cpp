//===- RewriteInt8.cpp - dequantize -> float op -> quantize to integer ops ===//
//
// One pattern per quantized op kind. Each matches the float op between a
// dequantize (its activation input) and a quantize (its output), and builds
// the integer op with compile-time quantized weights. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Epilogue.h"
#include "quantopt/Transforms/Passes.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

#include <limits>

namespace quantopt {
#define GEN_PASS_DEF_REWRITEINT8PASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

/// True when `value` is a splat float constant equal to 0.
static bool isZeroFill(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  FloatAttr zero;
  return fill && matchPattern(fill.getInputs()[0], m_Constant(&zero)) &&
         zero.getValue().isZero();
}

/// Quantizes a K x N float weight constant per output column, symmetric,
/// narrow range i8 ([-127, 127], zero point 0), and returns the i8 constant
/// viewed as a per-axis quantized tensor.
static Value quantizeWeights(PatternRewriter &rewriter, Location loc,
                             DenseFPElementsAttr weights) {
  auto type = cast<RankedTensorType>(weights.getType());
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  SmallVector<float> values(weights.getValues<float>());
  StorageRange range = StorageRange::forBits(8, /*isSigned=*/true,
                                             /*narrowRange=*/true);
  SmallVector<double> scales;
  for (int64_t col = 0; col < n; ++col) {
    double lo = 0, hi = 0;
    for (int64_t row = 0; row < k; ++row) {
      lo = std::min<double>(lo, values[row * n + col]);
      hi = std::max<double>(hi, values[row * n + col]);
    }
    // Finite constants always give parameters.
    scales.push_back(
        cantFail(chooseQuantParams(lo, hi, range, QuantScheme::Symmetric))
            .scale);
  }
  SmallVector<int8_t> quantized(values.size());
  for (int64_t i = 0; i < k * n; ++i)
    quantized[i] = int8_t(
        quantizeValue(values[i], float(scales[i % n]), /*zeroPoint=*/0, range));

  MLIRContext *ctx = rewriter.getContext();
  auto storageType = RankedTensorType::get({k, n}, IntegerType::get(ctx, 8));
  Value constant = arith::ConstantOp::create(
      rewriter, loc,
      DenseElementsAttr::get(storageType, ArrayRef<int8_t>(quantized)));
  auto quantType = quant::UniformQuantizedPerAxisType::get(
      quant::QuantizationFlags::Signed, IntegerType::get(ctx, 8),
      type.getElementType(), scales, SmallVector<int64_t>(n, 0),
      /*quantizedDimension=*/1, range.min, range.max);
  return quant::StorageCastOp::create(rewriter, loc, type.clone(quantType),
                                      constant);
}

/// Scales of a weight type, one per output column.
static SmallVector<double> columnScales(Type weightElement, int64_t columns) {
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(weightElement))
    return SmallVector<double>(columns, perTensor.getScale());
  auto perAxis = cast<quant::UniformQuantizedPerAxisType>(weightElement);
  return SmallVector<double>(perAxis.getScales());
}

namespace {
/// dequantize(a) -> linalg.matmul(float weights) [-> epilogue] -> quantize
/// => qnn.matmul.
struct MatmulToQnnMatmul : OpRewritePattern<qnn::QuantizeOp> {
  MatmulToQnnMatmul(MLIRContext *ctx, const llvm::StringSet<> &excluded)
      : OpRewritePattern(ctx), excluded(excluded) {}

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto outType = dyn_cast<quant::UniformQuantizedType>(
        quantize.getType().getElementType());
    if (!outType || outType.getStorageTypeIntegralWidth() > 16 ||
        !outType.getExpressedType().isF32())
      return rewriter.notifyMatchFailure(
          quantize, "result is not per-tensor f32 quantized");

    // The float value quantized: a matmul, or its fused epilogue.
    Value source = quantize.getInput();
    if (!source.hasOneUse())
      return rewriter.notifyMatchFailure(quantize,
                                         "float value has other users");
    std::optional<Epilogue> epilogue;
    auto matmul = source.getDefiningOp<linalg::MatmulOp>();
    if (!matmul) {
      auto generic = source.getDefiningOp<linalg::GenericOp>();
      if (!generic || generic.getNumDpsInputs() < 1)
        return rewriter.notifyMatchFailure(quantize, "not a matmul result");
      Value product = generic.getDpsInputOperand(0)->get();
      matmul = product.getDefiningOp<linalg::MatmulOp>();
      if (!matmul || !product.hasOneUse())
        return rewriter.notifyMatchFailure(quantize, "epilogue of no matmul");
      epilogue = matchEpilogue(generic, product);
      if (!epilogue)
        return rewriter.notifyMatchFailure(quantize, "epilogue does not fuse");
    }
    if (isExcluded(matmul))
      return rewriter.notifyMatchFailure(matmul, "excluded by the user");
    if (matmul.hasUserDefinedMaps() || !isZeroFill(matmul.getDpsInits()[0]))
      return rewriter.notifyMatchFailure(
          matmul, "only plain matmuls accumulating into zeros");

    auto lhsDq = matmul.getInputs()[0].getDefiningOp<qnn::DequantizeOp>();
    if (!lhsDq)
      return rewriter.notifyMatchFailure(matmul,
                                         "activation is not dequantized");
    auto lhsType = dyn_cast<quant::UniformQuantizedType>(
        lhsDq.getInput().getType().getElementType());
    if (!lhsType || lhsType.getStorageTypeIntegralWidth() > 8)
      return rewriter.notifyMatchFailure(matmul,
                                         "activation is not per-tensor 8-bit");

    // Weights: already quantized, or float constants quantized now.
    Value rhs = matmul.getInputs()[1];
    Value weights;
    DenseFPElementsAttr floatWeights;
    if (auto rhsDq = rhs.getDefiningOp<qnn::DequantizeOp>()) {
      auto q = cast<quant::QuantizedType>(
          rhsDq.getInput().getType().getElementType());
      auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(q);
      if (q.getStorageTypeIntegralWidth() > 8 ||
          (perAxis && perAxis.getQuantizedDimension() != 1))
        return rewriter.notifyMatchFailure(matmul,
                                           "weights are not 8-bit per column");
      weights = rhsDq.getInput();
    } else if (!matchPattern(rhs, m_Constant(&floatWeights)) ||
               !floatWeights.getElementType().isF32()) {
      return rewriter.notifyMatchFailure(matmul, "weights are not constant");
    }

    Location loc = matmul.getLoc();
    if (!weights)
      weights = quantizeWeights(rewriter, loc, floatWeights);
    auto weightType = cast<RankedTensorType>(weights.getType());
    int64_t columns = weightType.getDimSize(1);
    SmallVector<double> weightScales =
        columnScales(weightType.getElementType(), columns);

    // Bias to i32 at scale lhs_scale * weight_scale (f32 product, as ONNX).
    Value bias;
    if (epilogue && epilogue->bias) {
      SmallVector<int32_t> biasValues;
      for (auto [n, b] : llvm::enumerate(epilogue->bias.getValues<APFloat>())) {
        float scale = float(lhsType.getScale()) * float(weightScales[n]);
        double q = roundHalfToEven(b.convertToDouble() / double(scale));
        q = std::clamp<double>(q, std::numeric_limits<int32_t>::min(),
                               std::numeric_limits<int32_t>::max());
        biasValues.push_back(int32_t(q));
      }
      auto biasType = RankedTensorType::get({columns}, rewriter.getI32Type());
      bias = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(biasType, ArrayRef<int32_t>(biasValues)));
    }

    // The activation becomes the requantize's output clamp.
    IntegerAttr clampMin, clampMax;
    StorageRange outRange = qnn::getStorageRange(outType);
    auto toStorage = [&](double real) {
      return quantizeValue(float(real), float(outType.getScale()),
                           outType.getZeroPoint(), outRange);
    };
    if (epilogue && epilogue->lower)
      clampMin = rewriter.getI64IntegerAttr(toStorage(*epilogue->lower));
    if (epilogue && epilogue->upper)
      clampMax = rewriter.getI64IntegerAttr(toStorage(*epilogue->upper));

    auto result = qnn::MatmulOp::create(rewriter, loc, quantize.getType(),
                                        lhsDq.getInput(), weights, bias,
                                        clampMin, clampMax);
    rewriter.replaceOp(quantize, result.getResult());
    return success();
  }

  bool isExcluded(Operation *op) const {
    if (excluded.contains("matmul"))
      return true;
    if (auto name = dyn_cast<NameLoc>(op->getLoc()))
      return excluded.contains(name.getName().strref());
    return false;
  }

  const llvm::StringSet<> &excluded;
};

struct RewriteInt8Pass : quantopt::impl::RewriteInt8PassBase<RewriteInt8Pass> {
  using Base::Base;

  void runOnOperation() override {
    for (const std::string &name : exclude)
      excluded.insert(name);
    RewritePatternSet patterns(&getContext());
    patterns.add<MatmulToQnnMatmul>(&getContext(), excluded);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }

  llvm::StringSet<> excluded;
};
} // namespace
