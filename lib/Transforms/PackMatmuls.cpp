//===- PackMatmuls.cpp - Pack constant matmul weights ---------------------===//
//
// qnn.matmul / f32 linalg.matmul with constant weights => qnn.packed_matmul
// with the weights packed at compile time. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Passes.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_PACKMATMULSPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

/// Columns per packed panel (one 512-bit vector of i32 or f32) and reduction
/// steps per VNNI dot product.
static constexpr int64_t kPanel = 16, kGroup = 4;

/// The storage integers of a constant quantized value (quant.scast of an
/// integer constant).
static std::optional<SmallVector<int64_t>> constantStorage(Value v) {
  bool isUnsigned = false;
  if (auto q = dyn_cast<quant::QuantizedType>(getElementTypeOrSelf(v)))
    isUnsigned = !q.isSigned();
  if (auto cast = v.getDefiningOp<quant::StorageCastOp>())
    v = cast.getInput();
  DenseIntElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> values;
  values.reserve(attr.getNumElements());
  for (const APInt &value : attr.getValues<APInt>())
    values.push_back(isUnsigned ? int64_t(value.getZExtValue())
                                : value.getSExtValue());
  return values;
}

/// Scales and zero points of a per-tensor or per-axis type, one per column.
static void channelParams(Type element, int64_t columns,
                          SmallVector<double> &scales,
                          SmallVector<int64_t> &zeroPoints) {
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(element)) {
    scales.assign(perAxis.getScales().begin(), perAxis.getScales().end());
    zeroPoints.assign(perAxis.getZeroPoints().begin(),
                      perAxis.getZeroPoints().end());
    return;
  }
  auto uniform = cast<quant::UniformQuantizedType>(element);
  scales.assign(columns, uniform.getScale());
  zeroPoints.assign(columns, uniform.getZeroPoint());
}

template <typename T>
static Value denseConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                           Type element, ArrayRef<T> values) {
  auto type = RankedTensorType::get(shape, element);
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, values));
}

namespace {
/// qnn.matmul (8-bit, constant weights and bias) -> integer qnn.packed_matmul.
struct PackQuantizedMatmul : OpRewritePattern<qnn::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType lhsType = op.getLhs().getType(),
                     rhsType = op.getRhs().getType(), resultType = op.getType();
    if (!lhsType.hasStaticShape() || !rhsType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    auto lhsQ = cast<quant::UniformQuantizedType>(lhsType.getElementType());
    auto rhsQ = cast<quant::QuantizedType>(rhsType.getElementType());
    auto outQ = cast<quant::UniformQuantizedType>(resultType.getElementType());
    if (lhsQ.getStorageTypeIntegralWidth() != 8 ||
        rhsQ.getStorageTypeIntegralWidth() != 8 ||
        outQ.getStorageTypeIntegralWidth() != 8)
      return rewriter.notifyMatchFailure(op, "not 8-bit");
    std::optional<SmallVector<int64_t>> weights = constantStorage(op.getRhs());
    if (!weights)
      return rewriter.notifyMatchFailure(op, "weights are not constant");
    int64_t m = lhsType.getDimSize(0), k = lhsType.getDimSize(1),
            n = rhsType.getDimSize(1);
    SmallVector<int64_t> bias(n, 0);
    if (Value b = op.getBias()) {
      std::optional<SmallVector<int64_t>> values = constantStorage(b);
      if (!values)
        return rewriter.notifyMatchFailure(op, "bias is not constant");
      bias = *values;
    }

    // Unsigned weights become s8 (w' = w - 128); the shift moves into the
    // weight zero point. Signed activations become u8 (a' = a + 128).
    int64_t weightShift = rhsQ.isSigned() ? 0 : 128;
    int64_t lhsShift = lhsQ.isSigned() ? 128 : 0;
    int64_t c = lhsShift + lhsQ.getZeroPoint(); // a - za = a' - c
    SmallVector<double> weightScales;
    SmallVector<int64_t> weightZps;
    channelParams(rhsQ, n, weightScales, weightZps);

    int64_t tiles = llvm::divideCeilSigned(n, kPanel);
    int64_t groups = llvm::divideCeilSigned(k, kGroup);
    int64_t paddedN = tiles * kPanel;
    SmallVector<int8_t> packed(tiles * groups * kPanel * kGroup, 0);
    SmallVector<int32_t> offsets(paddedN, 0), rowFactors(paddedN, 0);
    SmallVector<double> multipliers(paddedN, 0.0);
    bool anyWeightZp = false;
    for (int64_t col = 0; col < n; ++col) {
      int64_t zp = weightZps[col] - weightShift, columnSum = 0;
      for (int64_t row = 0; row < k; ++row) {
        int64_t w = (*weights)[row * n + col] - weightShift;
        columnSum += w;
        int64_t t = col / kPanel, j = col % kPanel;
        int64_t g = row / kGroup, i = row % kGroup;
        packed[((t * groups + g) * kPanel + j) * kGroup + i] = int8_t(w);
      }
      // acc = bias + sum (a' - c)(w' - zp)
      //     = sum a'w' - zp * R + [bias - c * colsum + K * c * zp]
      // in wrapping i32 arithmetic, as the reference lowering.
      int64_t offset = bias[col] - c * columnSum + k * c * zp;
      offsets[col] = int32_t(uint32_t(uint64_t(offset)));
      rowFactors[col] = int32_t(-zp);
      anyWeightZp |= zp != 0;
      multipliers[col] = matmulRequantizeMultiplier(
          lhsQ.getScale(), weightScales[col], outQ.getScale());
    }

    int64_t lo = outQ.getStorageTypeMin(), hi = outQ.getStorageTypeMax();
    if (auto clampMin = op.getClampMin())
      lo = std::max<int64_t>(lo, *clampMin);
    if (auto clampMax = op.getClampMax())
      hi = std::min<int64_t>(hi, *clampMax);
    if (lo > hi)
      return rewriter.notifyMatchFailure(op, "empty clamp range");

    Location loc = op.getLoc();
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
    Value lhs = quant::StorageCastOp::create(
        rewriter, loc, RankedTensorType::get(lhsType.getShape(), i8),
        op.getLhs());
    Value packedRhs = denseConstant<int8_t>(
        rewriter, loc, {tiles, groups, kPanel * kGroup}, i8, packed);
    Value offsetsValue =
        denseConstant<int32_t>(rewriter, loc, {paddedN}, i32, offsets);
    Value multipliersValue = denseConstant<double>(
        rewriter, loc, {paddedN}, rewriter.getF64Type(), multipliers);
    Value rowFactorsValue =
        anyWeightZp
            ? denseConstant<int32_t>(rewriter, loc, {paddedN}, i32, rowFactors)
            : Value();
    Value init = tensor::EmptyOp::create(rewriter, loc, {m, n}, i8);
    auto packedOp = qnn::PackedMatmulOp::create(
        rewriter, loc, init.getType(), lhs, packedRhs, offsetsValue,
        multipliersValue, rowFactorsValue, init,
        /*lhs_sign_flip=*/lhsQ.isSigned(), /*output_unsigned=*/!outQ.isSigned(),
        rewriter.getI64IntegerAttr(outQ.getZeroPoint()),
        rewriter.getI64IntegerAttr(lo), rewriter.getI64IntegerAttr(hi));
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, resultType,
                                                      packedOp.getResult());
    return success();
  }
};

/// f32 linalg.matmul with constant weights -> float qnn.packed_matmul.
struct PackFloatMatmul : OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (op.hasUserDefinedMaps() || !op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not a plain matmul on tensors");
    Value lhs = op.getInputs()[0], init = op.getDpsInits()[0];
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto initType = cast<RankedTensorType>(init.getType());
    DenseFPElementsAttr weights;
    if (!matchPattern(op.getInputs()[1], m_Constant(&weights)))
      return rewriter.notifyMatchFailure(op, "weights are not constant");
    if (!lhsType.getElementType().isF32() ||
        !weights.getElementType().isF32() ||
        !initType.getElementType().isF32() || !lhsType.hasStaticShape() ||
        !initType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "not f32 with static shapes");

    int64_t k = lhsType.getDimSize(1), n = initType.getDimSize(1);
    int64_t tiles = llvm::divideCeilSigned(n, kPanel);
    SmallVector<float> packed(tiles * k * kPanel, 0.0f);
    auto values = weights.getValues<float>();
    for (int64_t row = 0; row < k; ++row)
      for (int64_t col = 0; col < n; ++col)
        packed[((col / kPanel) * k + row) * kPanel + col % kPanel] =
            values[row * n + col];
    Location loc = op.getLoc();
    Value packedRhs = denseConstant<float>(rewriter, loc, {tiles, k, kPanel},
                                           rewriter.getF32Type(), packed);
    rewriter.replaceOpWithNewOp<qnn::PackedMatmulOp>(
        op, initType, lhs, packedRhs, Value(), Value(), Value(), init,
        /*lhs_sign_flip=*/false, /*output_unsigned=*/false, IntegerAttr(),
        IntegerAttr(), IntegerAttr());
    return success();
  }
};

struct PackMatmulsPass : quantopt::impl::PackMatmulsPassBase<PackMatmulsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<PackQuantizedMatmul, PackFloatMatmul>(&getContext());
    // Constant folding of the packed weights is never wanted.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
