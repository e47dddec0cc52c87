//===- QnnOps.cpp - qnn dialect ops: verifiers, folders, patterns --------===//

#include "qnn/IR/QnnOps.h"

#include "quantopt/Utils/ConstantLimits.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::qnn;
using quantopt::StorageRange;

// qnn.packed_matmul's requantize operands (defined below).
static ParseResult
parseRequantize(OpAsmParser &parser,
                std::optional<OpAsmParser::UnresolvedOperand> &offsets,
                std::optional<OpAsmParser::UnresolvedOperand> &multipliers,
                Type &offsetsType, Type &multipliersType);
static void printRequantize(OpAsmPrinter &p, Operation *, Value offsets,
                            Value multipliers, Type offsetsType,
                            Type multipliersType);

#define GET_OP_CLASSES
#include "qnn/IR/QnnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

/// Checks one (scale, zero point) pair; `channel` is set for per-axis types.
static LogicalResult verifyScaleAndZeroPoint(Operation *op, StringRef role,
                                             double scale, int64_t zeroPoint,
                                             StorageRange range,
                                             std::optional<int64_t> channel) {
  auto emit = [&]() {
    InFlightDiagnostic diag = op->emitOpError() << role;
    if (channel)
      diag << " channel " << *channel;
    return diag;
  };
  if (!quantopt::isValidScale(scale))
    return emit() << " scale must be finite, > 0 and a normal f32, got "
                  << scale;
  if (!range.contains(zeroPoint))
    return emit() << " zero point " << zeroPoint
                  << " is outside the storage range [" << range.min << ", "
                  << range.max << "]";
  return success();
}

/// Checks that a per-channel attribute or type has one entry per channel of
/// dimension `axis` of `type`.
static LogicalResult verifyAxis(Operation *op, StringRef role, int64_t axis,
                                ShapedType type, std::optional<size_t> count) {
  int64_t rank = type.getRank();
  if (axis < 0 || axis >= rank)
    return op->emitOpError()
           << role << " axis " << axis
           << " is out of range for a tensor of rank " << rank;
  int64_t dim = type.getDimSize(axis);
  if (count && !ShapedType::isDynamic(dim) && int64_t(*count) != dim)
    return op->emitOpError()
           << role << " has " << *count << " channels but dimension " << axis
           << " has size " << dim;
  return success();
}

LogicalResult mlir::qnn::verifyQuantizedTensorType(Operation *op,
                                                   ShapedType type,
                                                   StringRef role) {
  Type element = type.getElementType();
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(element))
    return verifyScaleAndZeroPoint(op, role, perTensor.getScale(),
                                   perTensor.getZeroPoint(),
                                   getStorageRange(perTensor), std::nullopt);

  auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(element);
  if (!perAxis)
    return op->emitOpError() << role << " element type " << element
                             << " is not a uniform quantized type";
  if (failed(verifyAxis(op, role, perAxis.getQuantizedDimension(), type,
                        perAxis.getScales().size())))
    return failure();
  StorageRange range = getStorageRange(perAxis);
  for (auto [channel, scale, zeroPoint] :
       llvm::enumerate(perAxis.getScales(), perAxis.getZeroPoints()))
    if (failed(verifyScaleAndZeroPoint(op, role, scale, zeroPoint, range,
                                       channel)))
      return failure();
  return success();
}

static Type expressedTypeOf(Type tensorType) {
  return cast<quant::QuantizedType>(getElementTypeOrSelf(tensorType))
      .getExpressedType();
}

/// Per-channel (scale, zero point) of a uniform quantized element type; a
/// per-tensor type gives one entry.
static SmallVector<std::pair<double, int64_t>>
channelParams(quant::QuantizedType type) {
  SmallVector<std::pair<double, int64_t>> params;
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(type)) {
    params.push_back({perTensor.getScale(), perTensor.getZeroPoint()});
    return params;
  }
  auto perAxis = cast<quant::UniformQuantizedPerAxisType>(type);
  for (auto [scale, zeroPoint] :
       llvm::zip(perAxis.getScales(), perAxis.getZeroPoints()))
    params.push_back({scale, zeroPoint});
  return params;
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  if (failed(verifyQuantizedTensorType(*this, getResult().getType(), "result")))
    return failure();
  Type expressed = expressedTypeOf(getResult().getType());
  Type inputElement = getInput().getType().getElementType();
  if (inputElement != expressed)
    return emitOpError() << "input element type " << inputElement
                         << " does not match the result's expressed type "
                         << expressed;
  return success();
}

/// True when dequantize followed by quantize gives back every storage value
/// of `type`, checked by trying them all (only f32, at most 2^20 values).
static bool isDequantizeQuantizeExact(quant::QuantizedType type) {
  if (!type.getExpressedType().isF32())
    return false;
  StorageRange range = getStorageRange(type);
  auto params = channelParams(type);
  if ((range.max - range.min + 1) * int64_t(params.size()) > (int64_t(1) << 20))
    return false;
  for (auto [scale, zeroPoint] : params)
    for (int64_t q = range.min; q <= range.max; ++q) {
      float x = quantopt::dequantizeValue(q, float(scale), zeroPoint);
      if (quantopt::quantizeValue(x, float(scale), zeroPoint, range) != q)
        return false;
    }
  return true;
}

OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  // quantize(dequantize(q)) -> q, only when the round trip is the identity
  // on every storage value. The reverse, dequantize(quantize(x)) -> x, would
  // drop the quantization error and is never folded.
  auto dequantize = getInput().getDefiningOp<DequantizeOp>();
  if (!dequantize || dequantize.getInput().getType() != getType())
    return {};
  if (!isDequantizeQuantizeExact(
          cast<quant::QuantizedType>(getType().getElementType())))
    return {};
  return dequantize.getInput();
}

namespace {
/// quantize(constant) -> quant.scast(integer constant), rounding as the
/// generated code would. Keeps weights as compact integer constants.
struct FoldQuantizeOfConstant : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    DenseFPElementsAttr values;
    if (!matchPattern(op.getInput(), m_Constant(&values)))
      return rewriter.notifyMatchFailure(op, "input is not a float constant");
    RankedTensorType resultType = op.getType();
    auto quantType = cast<quant::QuantizedType>(resultType.getElementType());
    // The generated code computes f16/bf16 in f32 and f64 in f64; the
    // compile-time math here is f32, so f64 is left to run time.
    if (quantType.getExpressedType().isF64())
      return rewriter.notifyMatchFailure(op, "f64 quantize is not folded");
    if (!resultType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "result shape is not static");

    auto params = channelParams(quantType);
    int64_t axisStride = 1, axisSize = 1;
    if (auto perAxis =
            dyn_cast<quant::UniformQuantizedPerAxisType>(quantType)) {
      int32_t axis = perAxis.getQuantizedDimension();
      axisSize = resultType.getDimSize(axis);
      for (int64_t d = axis + 1; d < resultType.getRank(); ++d)
        axisStride *= resultType.getDimSize(d);
    }

    // A per-tensor splat folds to a splat; anything else is expanded, up
    // to the limit every pass uses (a huge splat is a few bytes of IR).
    bool splat = values.isSplat() &&
                 !isa<quant::UniformQuantizedPerAxisType>(quantType);
    std::optional<int64_t> elements = quantopt::checkedNumElements(resultType);
    if (!splat &&
        (!elements || *elements > quantopt::kDefaultMaxConstantElements))
      return rewriter.notifyMatchFailure(op, "constant too large to fold");
    StorageRange range = getStorageRange(quantType);
    unsigned width = quantType.getStorageTypeIntegralWidth();
    SmallVector<APInt> quantized;
    auto inputs = llvm::make_range(values.value_begin<APFloat>(),
                                   splat ? std::next(values.value_begin<APFloat>())
                                         : values.value_end<APFloat>());
    for (auto [index, value] : llvm::enumerate(inputs)) {
      bool losesInfo = false;
      APFloat asF32 = value;
      asF32.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                    &losesInfo); // exact for f16, bf16 and f32
      auto [scale, zeroPoint] = params[(index / axisStride) % axisSize];
      int64_t q = quantopt::quantizeValue(asF32.convertToFloat(), float(scale),
                                          zeroPoint, range);
      quantized.push_back(APInt(width, q, /*isSigned=*/true,
                                /*implicitTrunc=*/true));
    }

    auto storageType = resultType.clone(quantType.getStorageType());
    auto constant = arith::ConstantOp::create(
        rewriter, op.getLoc(), DenseElementsAttr::get(storageType, quantized));
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, resultType, constant);
    return success();
  }
};
} // namespace

void QuantizeOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                             MLIRContext *context) {
  patterns.add<FoldQuantizeOfConstant>(context);
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  if (failed(verifyQuantizedTensorType(*this, getInput().getType(), "input")))
    return failure();
  Type expressed = expressedTypeOf(getInput().getType());
  Type resultElement = getResult().getType().getElementType();
  if (resultElement != expressed)
    return emitOpError() << "result element type " << resultElement
                         << " does not match the input's expressed type "
                         << expressed;
  return success();
}

//===----------------------------------------------------------------------===//
// RequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult RequantizeOp::verify() {
  if (failed(verifyQuantizedTensorType(*this, getInput().getType(), "input")) ||
      failed(verifyQuantizedTensorType(*this, getResult().getType(), "result")))
    return failure();
  Type inputExpressed = expressedTypeOf(getInput().getType());
  Type resultExpressed = expressedTypeOf(getResult().getType());
  if (inputExpressed != resultExpressed)
    return emitOpError() << "cannot change the expressed type (input "
                         << inputExpressed << ", result " << resultExpressed
                         << ")";
  return success();
}

OpFoldResult RequantizeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

/// Static dimensions of an M x K by K x N product must agree.
static bool dimsDiffer(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

static LogicalResult verifyMatmulShapes(Operation *op, RankedTensorType lhs,
                                        RankedTensorType rhs,
                                        RankedTensorType result) {
  if (dimsDiffer(lhs.getDimSize(1), rhs.getDimSize(0)))
    return op->emitOpError() << "lhs has K = " << lhs.getDimSize(1)
                             << " but rhs has K = " << rhs.getDimSize(0);
  if (dimsDiffer(result.getDimSize(0), lhs.getDimSize(0)) ||
      dimsDiffer(result.getDimSize(1), rhs.getDimSize(1)))
    return op->emitOpError("result shape must be lhs rows x rhs columns");
  return success();
}

/// A fused activation's clamp must lie inside the result's storage range.
static LogicalResult verifyClamp(Operation *op, RankedTensorType result,
                                 IntegerAttr clampMin, IntegerAttr clampMax) {
  StorageRange range =
      getStorageRange(cast<quant::QuantizedType>(result.getElementType()));
  std::optional<int64_t> lo, hi;
  if (clampMin)
    lo = clampMin.getInt();
  if (clampMax)
    hi = clampMax.getInt();
  if ((lo && !range.contains(*lo)) || (hi && !range.contains(*hi)))
    return op->emitOpError()
           << "clamp bounds must lie in the result storage range [" << range.min
           << ", " << range.max << "]";
  if (lo && hi && *lo > *hi)
    return op->emitOpError()
           << "clamp_min " << *lo << " is above clamp_max " << *hi;
  return success();
}

LogicalResult MatmulOp::verify() {
  RankedTensorType lhs = getLhs().getType(), rhs = getRhs().getType(),
                   result = getResult().getType();
  if (failed(verifyQuantizedTensorType(*this, lhs, "lhs")) ||
      failed(verifyQuantizedTensorType(*this, rhs, "rhs")) ||
      failed(verifyQuantizedTensorType(*this, result, "result")))
    return failure();
  if (lhs.getRank() != 2 || rhs.getRank() != 2 || result.getRank() != 2)
    return emitOpError("expects rank-2 lhs, rhs and result");
  if (!isa<quant::UniformQuantizedType>(lhs.getElementType()) ||
      !isa<quant::UniformQuantizedType>(result.getElementType()))
    return emitOpError("expects per-tensor quantized lhs and result");
  if (auto perAxis =
          dyn_cast<quant::UniformQuantizedPerAxisType>(rhs.getElementType());
      perAxis && perAxis.getQuantizedDimension() != 1)
    return emitOpError() << "rhs must be quantized per output channel "
                            "(dimension 1), not dimension "
                         << perAxis.getQuantizedDimension();
  // 8-bit operands keep every product and any realistic sum inside the i32
  // accumulator (|a - za| * |b - zb| <= 2^16, so K up to 2^15 is exact).
  for (auto [role, type, bits] :
       {std::tuple<StringRef, RankedTensorType, unsigned>{"lhs", lhs, 8},
        {"rhs", rhs, 8},
        {"result", result, 16}}) {
    auto q = cast<quant::QuantizedType>(type.getElementType());
    if (q.getStorageTypeIntegralWidth() > bits)
      return emitOpError() << role << " storage must be at most " << bits
                           << " bits";
  }
  Type expressed = expressedTypeOf(lhs);
  if (expressedTypeOf(rhs) != expressed || expressedTypeOf(result) != expressed)
    return emitOpError("lhs, rhs and result must have the same expressed type");

  if (failed(verifyMatmulShapes(*this, lhs, rhs, result)))
    return failure();
  if (Value bias = getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1 ||
        dimsDiffer(biasType.getDimSize(0), rhs.getDimSize(1)))
      return emitOpError("bias must have one value per output column");
  }
  return verifyClamp(*this, result, getClampMinAttr(), getClampMaxAttr());
}

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

std::optional<Conv2DOp::Dims> Conv2DOp::getDims(StringRef layout) {
  if (layout == "nhwc_hwcf")
    return Dims{1, 2, 3, 0, 1, 2, 3, 1, 2, 3};
  if (layout == "nchw_fchw")
    return Dims{2, 3, 1, 2, 3, 1, 0, 2, 3, 1};
  if (layout == "nhwc_hwc")
    return Dims{1, 2, 3, 0, 1, 2, 2, 1, 2, 3};
  return std::nullopt;
}

int64_t mlir::qnn::maxAbsOffset(quant::QuantizedType type) {
  int64_t lo = type.getStorageTypeMin(), hi = type.getStorageTypeMax();
  auto offset = [&](int64_t zp) { return std::max(hi - zp, zp - lo); };
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(type)) {
    int64_t worst = 0;
    for (int64_t zp : perAxis.getZeroPoints())
      worst = std::max(worst, offset(zp));
    return worst;
  }
  if (auto uniform = dyn_cast<quant::UniformQuantizedType>(type))
    return offset(uniform.getZeroPoint());
  return std::max(std::abs(lo), std::abs(hi));
}

int64_t mlir::qnn::worstCaseAccumulator(int64_t depth, int64_t maxAbsLhs,
                                        int64_t maxAbsRhs) {
  int64_t product, total;
  if (llvm::MulOverflow(maxAbsLhs, maxAbsRhs, product) ||
      llvm::MulOverflow(depth, product, total))
    return std::numeric_limits<int64_t>::max();
  return total;
}

std::optional<int64_t> mlir::qnn::worstCaseAccumulator(Operation *op) {
  auto quantized = [](Value v) {
    return cast<quant::QuantizedType>(getElementTypeOrSelf(v));
  };
  if (auto matmul = dyn_cast<MatmulOp>(op)) {
    int64_t depth = matmul.getLhs().getType().getShape().back();
    if (ShapedType::isDynamic(depth))
      return std::nullopt;
    return worstCaseAccumulator(depth, maxAbsOffset(quantized(matmul.getLhs())),
                                maxAbsOffset(quantized(matmul.getRhs())));
  }
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    RankedTensorType filter = conv.getFilter().getType();
    std::optional<Conv2DOp::Dims> dims = Conv2DOp::getDims(conv.getLayout());
    std::optional<int64_t> elements = quantopt::checkedNumElements(filter);
    if (!dims || !elements || filter.getDimSize(dims->filterOut) == 0)
      return std::nullopt;
    // Every filter element but the output channel's feeds one output.
    int64_t depth = *elements / filter.getDimSize(dims->filterOut);
    return worstCaseAccumulator(depth, maxAbsOffset(quantized(conv.getInput())),
                                maxAbsOffset(quantized(conv.getFilter())));
  }
  if (auto matmul = dyn_cast<MatmulIntegerOp>(op)) {
    int64_t depth = matmul.getLhs().getType().getShape().back();
    if (ShapedType::isDynamic(depth))
      return std::nullopt;
    auto rhs = cast<IntegerType>(matmul.getRhs().getType().getElementType());
    int64_t lo = rhs.isUnsigned() ? 0 : -128, hi = rhs.isUnsigned() ? 255 : 127;
    int64_t zp = matmul.getRhsZeroPoint();
    // The 8-bit lhs has its zero point only at run time: |a - za| <= 255.
    return worstCaseAccumulator(depth, 255, std::max(hi - zp, zp - lo));
  }
  return std::nullopt;
}

bool mlir::qnn::warnIfAccumulatorMayOverflow(Operation *op) {
  std::optional<int64_t> worst = worstCaseAccumulator(op);
  if (!worst || *worst <= std::numeric_limits<int32_t>::max())
    return false;
  op->emitWarning() << "i32 accumulation can overflow: the worst case of its "
                       "types reaches "
                    << *worst << " > 2^31 - 1 (depth x max|a - za| x "
                                 "max|w - zw|); results wrap on data near it";
  return true;
}

LogicalResult Conv2DOp::verify() {
  RankedTensorType input = getInput().getType(), filter = getFilter().getType(),
                   result = getResult().getType();
  if (failed(verifyQuantizedTensorType(*this, input, "input")) ||
      failed(verifyQuantizedTensorType(*this, filter, "filter")) ||
      failed(verifyQuantizedTensorType(*this, result, "result")))
    return failure();
  std::optional<Dims> dims = getDims(getLayout());
  if (!dims)
    return emitOpError() << "layout '" << getLayout()
                         << "' is not nhwc_hwcf, nchw_fchw or nhwc_hwc";
  bool depthwise = getLayout() == "nhwc_hwc";
  if (input.getRank() != 4 || result.getRank() != 4 ||
      filter.getRank() != (depthwise ? 3 : 4))
    return emitOpError() << "expects a rank-4 input and result and a rank-"
                         << (depthwise ? 3 : 4) << " filter for layout "
                         << getLayout();
  if (!isa<quant::UniformQuantizedType>(input.getElementType()) ||
      !isa<quant::UniformQuantizedType>(result.getElementType()))
    return emitOpError("expects per-tensor quantized input and result");
  if (auto perAxis =
          dyn_cast<quant::UniformQuantizedPerAxisType>(filter.getElementType());
      perAxis && perAxis.getQuantizedDimension() != dims->filterOut)
    return emitOpError() << "filter must be quantized per output channel "
                            "(dimension "
                         << dims->filterOut << "), not dimension "
                         << perAxis.getQuantizedDimension();
  for (auto [role, type, bits] :
       {std::tuple<StringRef, RankedTensorType, unsigned>{"input", input, 8},
        {"filter", filter, 8},
        {"result", result, 16}})
    if (cast<quant::QuantizedType>(type.getElementType())
            .getStorageTypeIntegralWidth() > bits)
      return emitOpError() << role << " storage must be at most " << bits
                           << " bits";
  Type expressed = expressedTypeOf(input);
  if (expressedTypeOf(filter) != expressed ||
      expressedTypeOf(result) != expressed)
    return emitOpError(
        "input, filter and result must have the same expressed type");
  if (getStrides().size() != 2 || getDilations().size() != 2 ||
      getPadding().size() != 4)
    return emitOpError("expects 2 strides, 2 dilations and 4 paddings");
  if (llvm::any_of(getStrides(), [](int64_t v) { return v < 1; }) ||
      llvm::any_of(getDilations(), [](int64_t v) { return v < 1; }) ||
      llvm::any_of(getPadding(), [](int64_t v) { return v < 0; }))
    return emitOpError("strides and dilations must be >= 1 and paddings >= 0");

  auto known = [](int64_t a) { return !ShapedType::isDynamic(a); };
  // Every supported layout keeps the batch in dimension 0.
  int64_t batch = input.getDimSize(0), resultBatch = result.getDimSize(0);
  if (known(batch) && known(resultBatch) && batch != resultBatch)
    return emitOpError() << "result batch " << resultBatch
                         << " differs from input batch " << batch;
  int64_t channels = input.getDimSize(dims->inputC);
  int64_t filterIn = filter.getDimSize(dims->filterIn);
  if (known(channels) && known(filterIn) && channels != filterIn)
    return emitOpError() << "input has " << channels
                         << " channels but the filter expects " << filterIn;
  int64_t outChannels = filter.getDimSize(dims->filterOut);
  int64_t resultChannels = result.getDimSize(dims->resultC);
  if (known(outChannels) && known(resultChannels) &&
      outChannels != resultChannels)
    return emitOpError() << "result has " << resultChannels
                         << " channels but the filter produces " << outChannels;
  int64_t spatial[2][3] = {{dims->inputH, dims->filterH, 0},
                           {dims->inputW, dims->filterW, 1}};
  int64_t resultSpatial[2] = {dims->resultH, dims->resultW};
  for (auto [d, sp] : llvm::enumerate(spatial)) {
    int64_t in = input.getDimSize(sp[0]), k = filter.getDimSize(sp[1]);
    int64_t out = result.getDimSize(resultSpatial[d]);
    if (k == 0)
      return emitOpError() << "filter spatial dimension " << d << " is empty";
    if (!known(in) || !known(k) || !known(out))
      continue;
    std::optional<int64_t> padded = llvm::checkedAdd(in, getPadding()[d]);
    if (padded)
      padded = llvm::checkedAdd(*padded, getPadding()[d + 2]);
    std::optional<int64_t> window = llvm::checkedMul(getDilations()[d], k - 1);
    if (!padded || !window || *window == INT64_MAX)
      return emitOpError() << "padding or dilation of spatial dimension " << d
                           << " overflows 64 bits";
    *window += 1;
    int64_t expected =
        *padded < *window ? 0 : (*padded - *window) / getStrides()[d] + 1;
    if (out != expected)
      return emitOpError() << "result spatial dimension " << d << " is " << out
                           << " but the convolution gives " << expected;
  }
  if (Value bias = getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1 ||
        (known(biasType.getDimSize(0)) && known(outChannels) &&
         biasType.getDimSize(0) != outChannels))
      return emitOpError("bias must have one value per output channel");
  }
  return verifyClamp(*this, result, getClampMinAttr(), getClampMaxAttr());
}

//===----------------------------------------------------------------------===//
// AddOp, MulOp
//===----------------------------------------------------------------------===//

static LogicalResult verifyElementwiseBinary(Operation *op,
                                             IntegerAttr clampMin,
                                             IntegerAttr clampMax) {
  SmallVector<RankedTensorType> types;
  for (Value v : llvm::concat<Value>(op->getOperands(), op->getResults()))
    types.push_back(cast<RankedTensorType>(v.getType()));
  const char *roles[] = {"lhs", "rhs", "result"};
  for (auto [role, type] : llvm::zip(roles, types)) {
    if (failed(verifyQuantizedTensorType(op, type, role)))
      return failure();
    if (!isa<quant::UniformQuantizedType>(type.getElementType()))
      return op->emitOpError() << "expects per-tensor quantized " << role;
  }
  Type expressed = expressedTypeOf(types[0]);
  if (expressedTypeOf(types[1]) != expressed ||
      expressedTypeOf(types[2]) != expressed)
    return op->emitOpError(
        "lhs, rhs and result must have the same expressed type");
  return verifyClamp(op, types[2], clampMin, clampMax);
}

LogicalResult AddOp::verify() {
  return verifyElementwiseBinary(*this, getClampMinAttr(), getClampMaxAttr());
}

LogicalResult MulOp::verify() {
  return verifyElementwiseBinary(*this, getClampMinAttr(), getClampMaxAttr());
}

//===----------------------------------------------------------------------===//
// MatmulIntegerOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulIntegerOp::verify() {
  RankedTensorType lhs = getLhs().getType(), rhs = getRhs().getType(),
                   result = getResult().getType();
  if (lhs.getRank() != 2 || rhs.getRank() != 2 || result.getRank() != 2)
    return emitOpError("expects rank-2 lhs, rhs and result");
  if (getLhsZeroPoint().getType().getRank() != 0 ||
      getLhsZeroPoint().getType().getElementType() != lhs.getElementType())
    return emitOpError() << "lhs zero point must be a 0-d tensor of "
                         << lhs.getElementType();
  if (failed(verifyMatmulShapes(*this, lhs, rhs, result)))
    return failure();
  bool rhsUnsigned = rhs.getElementType().isUnsignedInteger();
  StorageRange range = StorageRange::forBits(8, !rhsUnsigned, false);
  int64_t zp = getRhsZeroPointAttr().getInt();
  if (!range.contains(zp))
    return emitOpError() << "rhs zero point " << zp
                         << " is outside the storage range [" << range.min
                         << ", " << range.max << "]";
  return success();
}

//===----------------------------------------------------------------------===//
// ObserveOp
//===----------------------------------------------------------------------===//

LogicalResult ObserveOp::verify() {
  // I64Attr accessors return uint64_t: read the signed value.
  int64_t id = getIdAttr().getInt();
  if (id < 0)
    return emitOpError() << "id must be >= 0, got " << id;
  if (std::optional<int64_t> axis = getAxis())
    return verifyAxis(*this, "observed", *axis, getInput().getType(),
                      std::nullopt);
  return success();
}

//===----------------------------------------------------------------------===//
// FakeQuantOp
//===----------------------------------------------------------------------===//

LogicalResult FakeQuantOp::verify() {
  bool hasScales = getScales().has_value() || getZeroPoints().has_value();
  bool hasRange = getMin().has_value() || getMax().has_value();
  if (hasScales == hasRange)
    return emitOpError(
        "expects either 'scales' and 'zero_points' or 'min' and 'max'");
  if (hasScales && !(getScales() && getZeroPoints()))
    return emitOpError("'scales' and 'zero_points' must be given together");
  if (hasRange && !(getMin() && getMax()))
    return emitOpError("'min' and 'max' must be given together");

  int64_t bits = getNumBits();
  if (bits < 2 || bits > 16)
    return emitOpError() << "num_bits must be in [2, 16], got " << bits;

  ArrayRef<double> first = hasScales ? *getScales() : *getMin();
  size_t secondSize = hasScales ? getZeroPoints()->size() : getMax()->size();
  if (first.size() != secondSize)
    return emitOpError() << "has " << first.size() << " "
                         << (hasScales ? "scales" : "min values") << " but "
                         << secondSize << " "
                         << (hasScales ? "zero points" : "max values");
  if (std::optional<int64_t> axis = getAxis()) {
    if (failed(verifyAxis(*this, "per-axis", *axis, getInput().getType(),
                          first.size())))
      return failure();
  } else if (first.size() != 1) {
    return emitOpError() << "without 'axis' expects one value per array, got "
                         << first.size();
  }

  if (hasScales) {
    StorageRange range =
        StorageRange::forBits(bits, getIsSigned(), getNarrowRange());
    for (auto [channel, scale, zeroPoint] :
         llvm::enumerate(*getScales(), *getZeroPoints()))
      if (failed(verifyScaleAndZeroPoint(
              *this, "fake-quant", scale, zeroPoint, range,
              getAxis() ? std::optional<int64_t>(channel) : std::nullopt)))
        return failure();
    return success();
  }
  for (auto [channel, lo, hi] : llvm::enumerate(*getMin(), *getMax())) {
    if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
      return emitOpError() << "range [" << lo << ", " << hi << "]"
                           << (getAxis()
                                   ? " of channel " + std::to_string(channel)
                                   : std::string())
                           << " must be finite with min <= max";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// DynamicQuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DynamicQuantizeOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType output = getOutput().getType();
  if (failed(verifyCompatibleShape(input.getShape(), output.getShape())))
    return emitOpError() << "output shape must match the input shape";
  RankedTensorType scale = getScale().getType();
  RankedTensorType zeroPoint = getZeroPoint().getType();
  if (scale.getRank() != 0 || zeroPoint.getRank() != 0)
    return emitOpError("scale and zero_point must be 0-d tensors");
  if (scale.getElementType() != input.getElementType())
    return emitOpError() << "scale element type " << scale.getElementType()
                         << " must match the input element type "
                         << input.getElementType();
  if (zeroPoint.getElementType() != output.getElementType())
    return emitOpError() << "zero_point element type "
                         << zeroPoint.getElementType()
                         << " must match the output element type "
                         << output.getElementType();
  if (getSymmetric() && output.getElementType().isUnsignedInteger())
    return emitOpError() << "symmetric quantization needs signed storage, got "
                         << output.getElementType();
  return success();
}

//===----------------------------------------------------------------------===//
// PackedMatmulOp
//===----------------------------------------------------------------------===//

/// `requantize(%offsets, %multipliers : T, T)` (the i8 form),
/// `offsets(%offsets : T)` (the accumulator form), or nothing (f32).
static ParseResult
parseRequantize(OpAsmParser &parser,
                std::optional<OpAsmParser::UnresolvedOperand> &offsets,
                std::optional<OpAsmParser::UnresolvedOperand> &multipliers,
                Type &offsetsType, Type &multipliersType) {
  if (succeeded(parser.parseOptionalKeyword("requantize"))) {
    OpAsmParser::UnresolvedOperand o, m;
    if (parser.parseLParen() || parser.parseOperand(o) ||
        parser.parseComma() || parser.parseOperand(m) ||
        parser.parseColon() || parser.parseType(offsetsType) ||
        parser.parseComma() || parser.parseType(multipliersType) ||
        parser.parseRParen())
      return failure();
    offsets = o;
    multipliers = m;
    return success();
  }
  if (succeeded(parser.parseOptionalKeyword("offsets"))) {
    OpAsmParser::UnresolvedOperand o;
    if (parser.parseLParen() || parser.parseOperand(o) ||
        parser.parseColon() || parser.parseType(offsetsType) ||
        parser.parseRParen())
      return failure();
    offsets = o;
  }
  return success();
}

static void printRequantize(OpAsmPrinter &p, Operation *, Value offsets,
                            Value multipliers, Type offsetsType,
                            Type multipliersType) {
  if (offsets && multipliers)
    p << "requantize(" << offsets << ", " << multipliers << " : "
      << offsetsType << ", " << multipliersType << ")";
  else if (offsets)
    p << "offsets(" << offsets << " : " << offsetsType << ")";
  else if (multipliers)
    p << "multipliers_without_offsets"; // rejected by the verifier
}

LogicalResult PackedMatmulOp::verify() {
  auto lhs = cast<ShapedType>(getLhs().getType());
  auto packed = cast<ShapedType>(getPackedRhs().getType());
  auto init = cast<ShapedType>(getInit().getType());
  if (!packed.hasStaticShape())
    return emitOpError("packed_rhs must have a static shape");
  if (getResult() && getResult().getType() != init)
    return emitOpError("result type must be the init type");
  if (!getResult() && !isa<MemRefType>(init))
    return emitOpError("a tensor init needs a result");
  Type element = lhs.getElementType();
  bool integer = element.isInteger(8);
  int64_t k, n;
  if (getDepthwise() && !getWindow())
    return emitOpError("the depthwise form needs a window");
  if (getWindow()) {
    if (failed(verifyConvWindow(integer)))
      return failure();
    // The reduction: window positions x channels, or (depthwise, one
    // filter per channel) the window positions only.
    std::optional<int64_t> reduction =
        llvm::checkedMul((*getWindow())[0], (*getWindow())[1]);
    if (reduction && !getDepthwise())
      reduction = llvm::checkedMul(*reduction, lhs.getDimSize(3));
    if (!reduction)
      return emitOpError("the window is too large");
    k = *reduction;
    n = init.getDimSize(3);
    if (getDepthwise() && (n != lhs.getDimSize(3) || n % 16 != 0))
      return emitOpError("the depthwise form needs init channels equal to "
                         "lhs channels, a multiple of 16");
  } else {
    if (getStrides() || getDilations())
      return emitOpError("strides and dilations need a window");
    if (lhs.getRank() != 2 || init.getRank() != 2)
      return emitOpError("expects rank-2 lhs and init");
    int64_t m = lhs.getDimSize(0);
    k = lhs.getDimSize(1);
    n = init.getDimSize(1);
    // Only the number of rows may be dynamic.
    if (ShapedType::isDynamic(k) || ShapedType::isDynamic(n))
      return emitOpError("lhs columns and init columns must be static");
    if (!ShapedType::isDynamic(m) &&
        !ShapedType::isDynamic(init.getDimSize(0)) && init.getDimSize(0) != m)
      return emitOpError("lhs and init disagree on the number of rows");
  }
  if (!integer && !element.isF32())
    return emitOpError("expects an i8 or f32 lhs");
  // The accumulator form: i8 operands, the i32 sums themselves as result.
  bool accumulator = integer && init.getElementType().isInteger(32);
  if (packed.getElementType() != element ||
      (init.getElementType() != element && !accumulator))
    return emitOpError("lhs, packed_rhs and init must have one element type "
                       "(or an i32 init: the accumulator form)");
  if (accumulator && (getWindow() || getDepthwise()))
    return emitOpError("the accumulator form is a plain matmul (no window)");

  int64_t tiles = llvm::divideCeilSigned(n, int64_t(16));
  int64_t groups = llvm::divideCeilSigned(k, int64_t(4));
  SmallVector<int64_t> expected = integer && !getDepthwise()
                                      ? SmallVector<int64_t>{tiles, groups, 64}
                                      : SmallVector<int64_t>{tiles, k, 16};
  if (packed.getShape() != ArrayRef<int64_t>(expected)) {
    InFlightDiagnostic diag = emitOpError("packed_rhs must have shape ");
    llvm::interleave(expected, diag, "x");
    return diag;
  }

  bool hasRequantize = getColOffsets() && getMultipliers();
  if (!integer) {
    if (getColOffsets() || getMultipliers() || getShifts() ||
        getRowSumFactors() || getOutputZeroPoint() || getOutputMin() ||
        getOutputMax() || getLhsSignFlip() || getOutputUnsigned())
      return emitOpError("the f32 form takes no requantize operands or "
                         "attributes");
    return success();
  }
  if (accumulator) {
    if (!getColOffsets() || getMultipliers() || getShifts() ||
        getOutputZeroPoint() || getOutputMin() || getOutputMax() ||
        getOutputUnsigned())
      return emitOpError("the accumulator form takes col_offsets (and "
                         "row_sum_factors), no requantize");
  } else if (!hasRequantize || !getOutputZeroPoint() || !getOutputMin() ||
             !getOutputMax()) {
    return emitOpError("the i8 form needs col_offsets, multipliers, "
                       "output_zero_point, output_min and output_max");
  }
  auto checkChannels = [&](Value v, Type elementType,
                           StringRef role) -> LogicalResult {
    if (!v)
      return success();
    auto type = cast<ShapedType>(v.getType());
    if (!type.hasStaticShape() || type.getRank() != 1 ||
        type.getDimSize(0) != tiles * 16 ||
        type.getElementType() != elementType)
      return emitOpError() << role << " must be " << tiles * 16 << " x "
                           << elementType << " (N rounded up to 16)";
    return success();
  };
  Builder b(getContext());
  // Float requantize: f64 multipliers; fixed-point: i32 Q31 ones and shifts.
  Type multiplierType =
      getShifts() ? Type(b.getI32Type()) : Type(b.getF64Type());
  if (failed(checkChannels(getColOffsets(), b.getI32Type(), "col_offsets")) ||
      failed(checkChannels(getMultipliers(), multiplierType, "multipliers")) ||
      failed(checkChannels(getShifts(), b.getI32Type(), "shifts")) ||
      failed(
          checkChannels(getRowSumFactors(), b.getI32Type(), "row_sum_factors")))
    return failure();
  if (accumulator)
    return success();
  int64_t lo = getOutputUnsigned() ? 0 : -128,
          hi = getOutputUnsigned() ? 255 : 127;
  int64_t zp = *getOutputZeroPoint(), min = *getOutputMin(),
          max = *getOutputMax();
  if (zp < lo || zp > hi || min < lo || max > hi || min > max)
    return emitOpError() << "output zero point and range must lie in [" << lo
                         << ", " << hi << "] with min <= max";
  return success();
}

std::optional<PackedMatmulOp::Window> PackedMatmulOp::getConvWindow() {
  if (!getWindow())
    return std::nullopt;
  auto pair = [](std::optional<ArrayRef<int64_t>> values,
                 std::array<int64_t, 2> &out) {
    if (values && values->size() == 2)
      out = {(*values)[0], (*values)[1]};
  };
  Window window;
  pair(getWindow(), window.size);
  pair(getStrides(), window.strides);
  pair(getDilations(), window.dilations);
  return window;
}

LogicalResult PackedMatmulOp::verifyConvWindow(bool integer) {
  auto lhs = cast<ShapedType>(getLhs().getType());
  auto init = cast<ShapedType>(getInit().getType());
  for (auto [name, values] :
       {std::pair{"window", getWindow()}, std::pair{"strides", getStrides()},
        std::pair{"dilations", getDilations()}})
    if (values && (values->size() != 2 ||
                   llvm::any_of(*values, [](int64_t v) { return v < 1; })))
      return emitOpError() << name << " must be two positive values";
  if (lhs.getRank() != 4 || init.getRank() != 4 || !lhs.hasStaticShape() ||
      !init.hasStaticShape())
    return emitOpError("the convolution form expects static N x H x W x C "
                       "lhs and N x OH x OW x F init");
  if (lhs.getDimSize(0) != init.getDimSize(0))
    return emitOpError("lhs and init disagree on the batch size");
  Window window = *getConvWindow();
  for (int i = 0; i < 2; ++i) {
    int64_t out = init.getDimSize(1 + i);
    if (out == 0)
      continue;
    // Checked: absurd strides or dilations must not wrap into "in bounds".
    std::optional<int64_t> last = llvm::checkedAdd(
        llvm::checkedMul(out - 1, window.strides[i]).value_or(INT64_MAX),
        llvm::checkedMul(window.size[i] - 1, window.dilations[i])
            .value_or(INT64_MAX));
    if (!last || *last >= lhs.getDimSize(1 + i))
      return emitOpError() << "the window reads beyond the input (output "
                           << (i ? "width " : "height ") << out << ")";
  }
  if (integer && lhs.getDimSize(3) % 4 != 0)
    return emitOpError("the integer convolution form needs a multiple of 4 "
                       "channels");
  if (getRowSumFactors() || getLhsSignFlip())
    return emitOpError("the convolution form takes no row_sum_factors and no "
                       "lhs_sign_flip");
  return success();
}

void PackedMatmulOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : getOperation()->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    effects.emplace_back(MemoryEffects::Read::get(), &operand,
                         SideEffects::DefaultResource::get());
    if (&operand == &getInitMutable())
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}
