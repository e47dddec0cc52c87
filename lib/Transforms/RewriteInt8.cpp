//===- RewriteInt8.cpp - dequantize -> float op -> quantize to integer ops ===//
//
// One pattern per quantized op kind. Each matches the float op between a
// dequantize (its activation input) and a quantize (its output), and builds
// the integer op with compile-time quantized weights. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Epilogue.h"
#include "quantopt/Transforms/Exclusion.h"
#include "quantopt/Transforms/FloatLayers.h"
#include "quantopt/Transforms/Passes.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

#include <limits>

namespace quantopt {
#define GEN_PASS_DEF_REWRITEINT8PASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

/// Quantizes float weight constants per output channel (dimension `axis`),
/// symmetric, narrow range i8 ([-127, 127], zero point 0), and returns the
/// i8 constant viewed as a per-axis quantized tensor.
static Value quantizeWeights(PatternRewriter &rewriter, Location loc,
                             DenseFPElementsAttr weights, int64_t axis) {
  auto type = cast<RankedTensorType>(weights.getType());
  SmallVector<float> values(weights.getValues<float>());
  PerChannelWeights q =
      quantizeWeightsPerChannel(values, type.getShape(), axis);
  MLIRContext *ctx = rewriter.getContext();
  Type i8 = IntegerType::get(ctx, 8);
  Value constant = arith::ConstantOp::create(
      rewriter, loc,
      DenseElementsAttr::get(type.clone(i8), ArrayRef<int8_t>(q.values)));
  int64_t channels = type.getDimSize(axis);
  auto quantType = quant::UniformQuantizedPerAxisType::get(
      quant::QuantizationFlags::Signed, i8, type.getElementType(), q.scales,
      SmallVector<int64_t>(channels, 0), int32_t(axis), -127, 127);
  return quant::StorageCastOp::create(rewriter, loc, type.clone(quantType),
                                      constant);
}

/// The quantized weights behind `value`: a dequantized 8-bit tensor
/// (per tensor, or per axis along `axis`) is used as it is; a float
/// constant is quantized now. Fails otherwise.
static FailureOr<Value> getQuantizedWeights(PatternRewriter &rewriter,
                                            Operation *user, Value value,
                                            int64_t axis,
                                            ConstantExpansionLimit &limit) {
  if (auto dq = value.getDefiningOp<qnn::DequantizeOp>()) {
    auto q =
        cast<quant::QuantizedType>(dq.getInput().getType().getElementType());
    auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(q);
    if (q.getStorageTypeIntegralWidth() > 8 ||
        (perAxis && perAxis.getQuantizedDimension() != axis))
      return failure();
    return dq.getInput();
  }
  DenseFPElementsAttr floats;
  if (!matchPattern(value, m_Constant(&floats)) ||
      !floats.getElementType().isF32() || !limit.allows(user, floats))
    return failure();
  return quantizeWeights(rewriter, user->getLoc(), floats, axis);
}

/// Scales of a weight type, one per output channel.
static SmallVector<double> channelScales(Type weightElement, int64_t channels) {
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(weightElement))
    return SmallVector<double>(channels, perTensor.getScale());
  auto perAxis = cast<quant::UniformQuantizedPerAxisType>(weightElement);
  return SmallVector<double>(perAxis.getScales());
}

/// What the patterns share: the constant limit, and the ops already
/// reported as kept in float.
struct RewriteState {
  ConstantExpansionLimit limit;
  DenseSet<Operation *> warned;
};

/// Whether i32 accumulation of `depth` products of `activation` (an 8-bit
/// quantized value) and the weights behind `weights` (their dequantized
/// type, or symmetric narrow i8 when they are quantized here) can overflow.
/// Such an op stays float, with a warning at `op` (once: patterns retry).
static bool keepFloatForAccumulator(Operation *op, Value activation,
                                    Value weights, int64_t depth,
                                    DenseSet<Operation *> &warned) {
  int64_t maxWeight = 127;
  if (auto dq = weights.getDefiningOp<qnn::DequantizeOp>())
    maxWeight = qnn::maxAbsOffset(
        cast<quant::QuantizedType>(getElementTypeOrSelf(dq.getInput())));
  int64_t maxActivation = qnn::maxAbsOffset(
      cast<quant::QuantizedType>(getElementTypeOrSelf(activation)));
  int64_t worst =
      qnn::worstCaseAccumulator(depth, maxActivation, maxWeight);
  if (worst <= std::numeric_limits<int32_t>::max())
    return false;
  if (warned.insert(op).second)
    op->emitWarning() << "kept in float: i32 accumulation of " << depth
                      << " products could reach " << worst << " > 2^31 - 1";
  return true;
}

/// The 8-bit per-tensor quantized activation a float value was dequantized
/// from.
static FailureOr<Value> getQuantizedActivation(Value value) {
  auto dq = value.getDefiningOp<qnn::DequantizeOp>();
  if (!dq)
    return failure();
  auto type = dyn_cast<quant::UniformQuantizedType>(
      dq.getInput().getType().getElementType());
  if (!type || type.getStorageTypeIntegralWidth() > 8)
    return failure();
  return dq.getInput();
}

/// The bias as i32 at scale input_scale * weight_scale[c] (f32 product, as
/// ONNX), or a null value without bias.
static Value quantizeBias(PatternRewriter &rewriter, Location loc,
                          const std::optional<Epilogue> &epilogue,
                          double inputScale, ArrayRef<double> weightScales) {
  if (!epilogue || !epilogue->bias)
    return {};
  SmallVector<int32_t> values;
  for (auto [c, b] : llvm::enumerate(epilogue->bias.getValues<APFloat>())) {
    float scale = float(inputScale) * float(weightScales[c]);
    double q = roundHalfToEven(b.convertToDouble() / double(scale));
    q = std::clamp<double>(q, std::numeric_limits<int32_t>::min(),
                           std::numeric_limits<int32_t>::max());
    values.push_back(int32_t(q));
  }
  auto type =
      RankedTensorType::get({int64_t(values.size())}, rewriter.getI32Type());
  return arith::ConstantOp::create(
      rewriter, loc, DenseElementsAttr::get(type, ArrayRef<int32_t>(values)));
}

/// The fused activation's bounds in the result's storage units.
static std::pair<IntegerAttr, IntegerAttr>
clampAttrs(PatternRewriter &rewriter, const std::optional<Epilogue> &epilogue,
           quant::UniformQuantizedType out) {
  StorageRange range = qnn::getStorageRange(out);
  auto toStorage = [&](double real) {
    return rewriter.getI64IntegerAttr(quantizeValue(
        float(real), float(out.getScale()), out.getZeroPoint(), range));
  };
  IntegerAttr lo, hi;
  if (epilogue && epilogue->lower)
    lo = toStorage(*epilogue->lower);
  if (epilogue && epilogue->upper)
    hi = toStorage(*epilogue->upper);
  return {lo, hi};
}

namespace {
/// The float op a qnn.quantize reads (directly, or through a fused
/// epilogue), when it is of kind `OpTy` and may be rewritten.
template <typename OpTy> struct QuantizedUnit {
  OpTy op;
  std::optional<Epilogue> epilogue;
  quant::UniformQuantizedType outType;
};

template <typename OpTy>
static FailureOr<QuantizedUnit<OpTy>>
matchUnit(qnn::QuantizeOp quantize, PatternRewriter &rewriter,
          const llvm::StringSet<> &excluded, StringRef kind) {
  auto outType = dyn_cast<quant::UniformQuantizedType>(
      quantize.getType().getElementType());
  if (!outType || outType.getStorageTypeIntegralWidth() > 16 ||
      !outType.getExpressedType().isF32())
    return rewriter.notifyMatchFailure(
        quantize, "result is not per-tensor f32 quantized");
  Value source = quantize.getInput();
  if (!source.hasOneUse())
    return rewriter.notifyMatchFailure(quantize, "float value has other users");
  QuantizedUnit<OpTy> unit{source.getDefiningOp<OpTy>(), std::nullopt, outType};
  if (!unit.op) {
    auto generic = source.getDefiningOp<linalg::GenericOp>();
    if (!generic || generic.getNumDpsInputs() < 1)
      return rewriter.notifyMatchFailure(quantize, "not an op of this kind");
    Value product = generic.getDpsInputOperand(0)->get();
    unit.op = product.getDefiningOp<OpTy>();
    if (!unit.op || !product.hasOneUse())
      return rewriter.notifyMatchFailure(quantize,
                                         "not an epilogue of this kind");
    unit.epilogue =
        matchEpilogue(generic, product, *getOutputChannelDim(unit.op));
    if (!unit.epilogue)
      return rewriter.notifyMatchFailure(quantize, "epilogue does not fuse");
  }
  if (isExcluded(unit.op, excluded, kind))
    return rewriter.notifyMatchFailure(unit.op, "excluded by the user");
  if (!isZeroFill(unit.op.getDpsInits()[0]))
    return rewriter.notifyMatchFailure(unit.op,
                                       "does not accumulate into zeros");
  return unit;
}

/// Whether `pad` pads with a constant float zero (what a quantized op can
/// replace by the zero point, or by 0 after subtracting it).
static bool padsWithZero(tensor::PadOp pad) {
  Value constant = pad.getConstantPaddingValue();
  return constant && matchPattern(constant, m_AnyZeroFloat());
}

/// Whether `matmul` reads B as [N, K]: maps (m, k), (n, k) -> (m, n).
static bool isTransposedB(linalg::MatmulOp matmul) {
  MLIRContext *ctx = matmul.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto map = [&](ArrayRef<AffineExpr> results) {
    return AffineMap::get(3, 0, results, ctx);
  };
  return matmul.getIndexingMapsArray() ==
         SmallVector<AffineMap>{map({m, k}), map({n, k}), map({m, n})};
}

/// A 2-D float constant transposed: [N, K] -> [K, N].
static DenseFPElementsAttr transposed(DenseFPElementsAttr values) {
  auto type = cast<RankedTensorType>(values.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  SmallVector<APFloat> in(values.getValues<APFloat>()), out;
  out.reserve(in.size());
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t r = 0; r < rows; ++r)
      out.push_back(in[r * cols + c]);
  return DenseFPElementsAttr::get(
      RankedTensorType::get({cols, rows}, type.getElementType()), out);
}

/// dequantize(a) -> linalg.matmul(weights) [-> epilogue] -> quantize
/// => qnn.matmul.
struct MatmulToQnnMatmul : OpRewritePattern<qnn::QuantizeOp> {
  MatmulToQnnMatmul(MLIRContext *ctx, const llvm::StringSet<> &excluded,
                    RewriteState &state)
      : OpRewritePattern(ctx), excluded(excluded), state(state) {}

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto unit =
        matchUnit<linalg::MatmulOp>(quantize, rewriter, excluded, "matmul");
    if (failed(unit))
      return failure();
    linalg::MatmulOp matmul = unit->op;
    // B as [N, K] (PyTorch's Linear layout) is taken when it is a float
    // constant: it is transposed at compile time.
    bool weightsNK = isTransposedB(matmul);
    if (matmul.hasUserDefinedMaps() && !weightsNK)
      return rewriter.notifyMatchFailure(matmul, "transposed matmul");
    FailureOr<Value> lhs = getQuantizedActivation(matmul.getInputs()[0]);
    if (failed(lhs))
      return rewriter.notifyMatchFailure(matmul, "activation is not quantized");
    // Check the weights before creating anything.
    Value rhs = matmul.getInputs()[1];
    DenseFPElementsAttr floats;
    bool floatConstant = matchPattern(rhs, m_Constant(&floats));
    if (!rhs.getDefiningOp<qnn::DequantizeOp>() && !floatConstant)
      return rewriter.notifyMatchFailure(matmul, "weights are not constant");
    if (weightsNK && (!floatConstant || !floats.getElementType().isF32()))
      return rewriter.notifyMatchFailure(
          matmul, "transposed matmul without f32 constant weights");
    int64_t depth =
        cast<RankedTensorType>(rhs.getType()).getDimSize(weightsNK ? 1 : 0);
    if (ShapedType::isDynamic(depth) ||
        keepFloatForAccumulator(matmul, *lhs, rhs, depth, state.warned))
      return rewriter.notifyMatchFailure(matmul, "accumulator could overflow");
    if (weightsNK && !state.limit.allows(matmul, floats))
      return failure();
    Location loc = matmul.getLoc();
    if (weightsNK)
      rhs = arith::ConstantOp::create(rewriter, loc, transposed(floats));
    FailureOr<Value> weights =
        getQuantizedWeights(rewriter, matmul, rhs, 1, state.limit);
    if (failed(weights))
      return rewriter.notifyMatchFailure(matmul,
                                         "weights are not 8-bit per column");

    auto weightType = cast<RankedTensorType>(weights->getType());
    auto lhsType = cast<quant::UniformQuantizedType>(
        cast<RankedTensorType>(lhs->getType()).getElementType());
    SmallVector<double> scales =
        channelScales(weightType.getElementType(), weightType.getDimSize(1));
    Value bias =
        quantizeBias(rewriter, loc, unit->epilogue, lhsType.getScale(), scales);
    auto [lo, hi] = clampAttrs(rewriter, unit->epilogue, unit->outType);
    rewriter.replaceOpWithNewOp<qnn::MatmulOp>(quantize, quantize.getType(),
                                               *lhs, *weights, bias, lo, hi);
    return success();
  }

  const llvm::StringSet<> &excluded;
  RewriteState &state;
};

/// dequantize(x) [-> pad with 0] -> linalg conv(weights) [-> epilogue] ->
/// quantize => qnn.conv2d, for the three layouts qnn.conv2d has.
template <typename ConvOpTy>
struct ConvToQnnConv : OpRewritePattern<qnn::QuantizeOp> {
  ConvToQnnConv(MLIRContext *ctx, const llvm::StringSet<> &excluded,
                RewriteState &state, StringRef layout, StringRef kind)
      : OpRewritePattern<qnn::QuantizeOp>(ctx), excluded(excluded),
        state(state), layout(layout), kind(kind) {}

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto unit = matchUnit<ConvOpTy>(quantize, rewriter, excluded, kind);
    if (failed(unit))
      return failure();
    ConvOpTy conv = unit->op;
    qnn::Conv2DOp::Dims dims = *qnn::Conv2DOp::getDims(layout);

    // The input, possibly zero-padded in float: the padding moves into
    // qnn.conv2d, which pads with the zero point.
    Value input = conv.getInputs()[0];
    SmallVector<int64_t> padding(4, 0);
    if (auto pad = input.getDefiningOp<tensor::PadOp>()) {
      if (!padsWithZero(pad))
        return rewriter.notifyMatchFailure(pad, "not a zero padding");
      SmallVector<int64_t> low(pad.getStaticLow()), high(pad.getStaticHigh());
      for (int64_t d = 0; d < 4; ++d) {
        bool spatial = d == dims.inputH || d == dims.inputW;
        if (ShapedType::isDynamic(low[d]) || ShapedType::isDynamic(high[d]) ||
            (!spatial && (low[d] != 0 || high[d] != 0)))
          return rewriter.notifyMatchFailure(pad, "pads more than H and W");
      }
      padding = {low[dims.inputH], low[dims.inputW], high[dims.inputH],
                 high[dims.inputW]};
      input = pad.getSource();
    }
    FailureOr<Value> x = getQuantizedActivation(input);
    if (failed(x))
      return rewriter.notifyMatchFailure(conv, "activation is not quantized");
    Value filter = conv.getInputs()[1];
    if (!filter.getDefiningOp<qnn::DequantizeOp>() &&
        !matchPattern(filter, m_Constant()))
      return rewriter.notifyMatchFailure(conv, "filter is not constant");

    auto filterType = cast<RankedTensorType>(filter.getType());
    std::optional<int64_t> filterElements = checkedNumElements(filterType);
    if (!filterElements || filterType.getDimSize(dims.filterOut) == 0)
      return rewriter.notifyMatchFailure(conv, "filter shape not static");
    int64_t depth = *filterElements / filterType.getDimSize(dims.filterOut);
    if (keepFloatForAccumulator(conv, *x, filter, depth, state.warned))
      return rewriter.notifyMatchFailure(conv, "accumulator could overflow");
    Location loc = conv.getLoc();
    FailureOr<Value> weights =
        getQuantizedWeights(rewriter, conv, filter, dims.filterOut,
                            state.limit);
    if (failed(weights))
      return rewriter.notifyMatchFailure(conv,
                                         "filter is not 8-bit per channel");
    auto weightType = cast<RankedTensorType>(weights->getType());
    auto xType = cast<quant::UniformQuantizedType>(
        cast<RankedTensorType>(x->getType()).getElementType());
    SmallVector<double> scales = channelScales(
        weightType.getElementType(), weightType.getDimSize(dims.filterOut));
    Value bias =
        quantizeBias(rewriter, loc, unit->epilogue, xType.getScale(), scales);
    auto [lo, hi] = clampAttrs(rewriter, unit->epilogue, unit->outType);
    SmallVector<int64_t> strides(
        conv.getStrides().template getValues<int64_t>());
    SmallVector<int64_t> dilations(
        conv.getDilations().template getValues<int64_t>());
    rewriter.replaceOpWithNewOp<qnn::Conv2DOp>(
        quantize, quantize.getType(), *x, *weights, bias,
        rewriter.getStringAttr(layout), rewriter.getDenseI64ArrayAttr(strides),
        rewriter.getDenseI64ArrayAttr(dilations),
        rewriter.getDenseI64ArrayAttr(padding), lo, hi);
    return success();
  }

  const llvm::StringSet<> &excluded;
  RewriteState &state;
  StringRef layout, kind;
};
} // namespace

namespace {
static Value onStorage(PatternRewriter &rewriter, Location loc, Value value,
                       ArrayRef<int64_t> shape,
                       function_ref<Value(Value ints, Value init)> build);

/// Whether `map` reads an operand broadcast into the iteration space: its
/// results are loop dimensions in order or the constant 0 (a unit
/// dimension), as the importer and linalg's broadcasts write them.
static bool isBroadcastRead(AffineMap map) {
  unsigned next = 0;
  for (AffineExpr e : map.getResults()) {
    if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      if (c.getValue() != 0)
        return false;
      continue;
    }
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d || d.getPosition() < next)
      return false;
    next = d.getPosition() + 1;
  }
  return true;
}

/// The quantized `value`, read through `map`, broadcast on its integers to
/// `shape` (itself when the map is the identity): moving values is exact.
static Value broadcastQuantized(PatternRewriter &rewriter, Location loc,
                                Value value, AffineMap map,
                                ArrayRef<int64_t> shape) {
  if (map.isIdentity())
    return value;
  MLIRContext *ctx = rewriter.getContext();
  return onStorage(rewriter, loc, value, shape, [&](Value ints, Value init) {
    SmallVector<AffineMap> maps{
        map, AffineMap::getMultiDimIdentityMap(shape.size(), ctx)};
    SmallVector<utils::IteratorType> iterators(shape.size(),
                                               utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               rewriter, loc, TypeRange{init.getType()}, ValueRange{ints},
               ValueRange{init}, maps, iterators,
               [](OpBuilder &b, Location l, ValueRange args) {
                 linalg::YieldOp::create(b, l, args[0]);
               })
        .getResult(0);
  });
}

/// dequantize(a), dequantize(b) -> elementwise op [-> clamp] -> quantize
/// => the qnn op. `Broadcasts`: operands the generic broadcasts are
/// broadcast on their integers first (squeeze-excite's x * gate[c]). An add
/// that broadcasts stays float: in transformers it adds an attention mask
/// (-10000 where masked), whose range would leave the scores a few levels.
template <typename FloatOpTy, typename QnnOpTy, bool Broadcasts>
struct BinaryToQnn : OpRewritePattern<qnn::QuantizeOp> {
  BinaryToQnn(MLIRContext *ctx, const llvm::StringSet<> &excluded,
              StringRef kind)
      : OpRewritePattern<qnn::QuantizeOp>(ctx), excluded(excluded), kind(kind) {
  }

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto outType = dyn_cast<quant::UniformQuantizedType>(
        quantize.getType().getElementType());
    auto generic = quantize.getInput().getDefiningOp<linalg::GenericOp>();
    if (!outType || !outType.getExpressedType().isF32() || !generic ||
        !quantize.getInput().hasOneUse() || generic.getNumDpsInputs() != 2 ||
        generic.getNumReductionLoops() != 0 ||
        !generic.getIndexingMapsArray().back().isIdentity() ||
        !llvm::all_of(generic.getIndexingMapsArray(), [](AffineMap m) {
          return Broadcasts ? isBroadcastRead(m) : m.isIdentity();
        }))
      return rewriter.notifyMatchFailure(quantize,
                                         "not an elementwise binary op");
    if (isExcluded(generic, excluded, kind))
      return rewriter.notifyMatchFailure(generic, "excluded by the user");

    // Body: the op on the two block arguments, then an optional clamp.
    Block &body = generic.getRegion().front();
    Value running;
    std::optional<double> lower, upper;
    for (Operation &op : body.without_terminator()) {
      if (isa<arith::ConstantOp>(op))
        continue;
      FloatAttr c;
      if (!running && isa<FloatOpTy>(op) &&
          llvm::is_contained(op.getOperands(), body.getArgument(0)) &&
          llvm::is_contained(op.getOperands(), body.getArgument(1))) {
        running = op.getResult(0);
      } else if (running && !lower && !upper &&
                 isa<arith::MaximumFOp, arith::MaxNumFOp>(op) &&
                 op.getOperand(0) == running &&
                 matchPattern(op.getOperand(1), m_Constant(&c))) {
        lower = c.getValueAsDouble();
        running = op.getResult(0);
      } else if (running && !upper &&
                 isa<arith::MinimumFOp, arith::MinNumFOp>(op) &&
                 op.getOperand(0) == running &&
                 matchPattern(op.getOperand(1), m_Constant(&c))) {
        upper = c.getValueAsDouble();
        running = op.getResult(0);
      } else {
        return rewriter.notifyMatchFailure(generic, "body is not op + clamp");
      }
    }
    if (!running || body.getTerminator()->getOperand(0) != running)
      return rewriter.notifyMatchFailure(generic, "body is not op + clamp");

    FailureOr<Value> lhs = getQuantizedActivation(generic.getDpsInputs()[0]);
    FailureOr<Value> rhs = getQuantizedActivation(generic.getDpsInputs()[1]);
    if (failed(lhs) || failed(rhs))
      return rewriter.notifyMatchFailure(generic, "operands are not quantized");
    // Operands broadcast by the generic's maps are broadcast on integers.
    ArrayRef<int64_t> shape = quantize.getType().getShape();
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    Value a = broadcastQuantized(rewriter, generic.getLoc(), *lhs, maps[0],
                                 shape);
    Value b = broadcastQuantized(rewriter, generic.getLoc(), *rhs, maps[1],
                                 shape);
    std::optional<Epilogue> clamp = Epilogue{{}, lower, upper};
    auto [lo, hi] = clampAttrs(rewriter, clamp, outType);
    rewriter.replaceOpWithNewOp<QnnOpTy>(quantize, quantize.getType(), a, b,
                                         lo, hi);
    return success();
  }

  const llvm::StringSet<> &excluded;
  StringRef kind;
};

/// The quantized value as `target` type: itself, or requantized.
static Value requantizeTo(PatternRewriter &rewriter, Location loc, Value value,
                          RankedTensorType target) {
  if (value.getType() == target)
    return value;
  return qnn::RequantizeOp::create(rewriter, loc, target, value);
}

/// Applies `build` to the storage integers of the quantized `value` (a
/// per-tensor type) and views its result, of `shape`, as quantized again.
static Value onStorage(PatternRewriter &rewriter, Location loc, Value value,
                       ArrayRef<int64_t> shape,
                       function_ref<Value(Value ints, Value init)> build) {
  auto type = cast<RankedTensorType>(value.getType());
  auto qType = cast<quant::QuantizedType>(type.getElementType());
  Type storage = qType.getStorageType();
  Value ints =
      quant::StorageCastOp::create(rewriter, loc, type.clone(storage), value);
  Value init = tensor::EmptyOp::create(rewriter, loc, shape, storage);
  return quant::StorageCastOp::create(
      rewriter, loc, RankedTensorType::get(shape, qType), build(ints, init));
}

/// dequantize(a) -> reshape / slice -> quantize  =>  reshape / slice on the
/// quantized values (requantized if the output type differs): moving values
/// does not change them.
template <typename OpTy>
struct MoveQuantizedValues : OpRewritePattern<qnn::QuantizeOp> {
  using OpRewritePattern<qnn::QuantizeOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto op = quantize.getInput().template getDefiningOp<OpTy>();
    if (!op || !quantize.getInput().hasOneUse())
      return rewriter.notifyMatchFailure(quantize, "not fed by this op");
    auto dq = op->getOperand(0).template getDefiningOp<qnn::DequantizeOp>();
    if (!dq)
      return rewriter.notifyMatchFailure(op, "source is not dequantized");
    auto sourceType = dq.getInput().getType();
    if (!isa<quant::UniformQuantizedType>(sourceType.getElementType()))
      return rewriter.notifyMatchFailure(op, "per-axis values move channels");
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType())
                          .clone(sourceType.getElementType());
    IRMapping mapping;
    mapping.map(op->getOperand(0), dq.getInput());
    Operation *moved = rewriter.clone(*op, mapping);
    moved->getResult(0).setType(resultType);
    rewriter.replaceOp(quantize,
                       requantizeTo(rewriter, op->getLoc(), moved->getResult(0),
                                    quantize.getType()));
    return success();
  }
};

/// dequantize(a) -> max pooling (from -inf) -> quantize  =>  the same pooling
/// on the storage integers (max commutes with the monotonic dequantize),
/// requantized if the output type differs. NHWC and NCHW (unsigned NCHW as a
/// generic: linalg has no unsigned NCHW max pooling). A padding of the float
/// input with -inf (what ONNX's padded MaxPool imports to) becomes a
/// padding of the integers with the storage minimum.
template <typename PoolOpTy>
struct MaxPoolOnIntegers : OpRewritePattern<qnn::QuantizeOp> {
  using OpRewritePattern<qnn::QuantizeOp>::OpRewritePattern;
  static constexpr bool isNhwc =
      std::is_same_v<PoolOpTy, linalg::PoolingNhwcMaxOp>;

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto pool = quantize.getInput().template getDefiningOp<PoolOpTy>();
    if (!pool || !quantize.getInput().hasOneUse())
      return rewriter.notifyMatchFailure(quantize, "not a max pooling");
    Value input = pool.getInputs()[0];
    auto pad = input.template getDefiningOp<tensor::PadOp>();
    if (pad)
      input = pad.getSource();
    auto dq = input.template getDefiningOp<qnn::DequantizeOp>();
    if (!dq)
      return rewriter.notifyMatchFailure(pool, "input is not dequantized");
    auto qType = dyn_cast<quant::UniformQuantizedType>(
        dq.getInput().getType().getElementType());
    if (!qType)
      return rewriter.notifyMatchFailure(pool, "per-axis input");
    // The float pooling (and padding) must start below every value the
    // input can take.
    double lowestValue = dequantizeValue(qType.getStorageTypeMin(),
                                         float(qType.getScale()),
                                         qType.getZeroPoint());
    auto atMostLowest = [&](Value v) {
      FloatAttr value;
      return v && matchPattern(v, m_Constant(&value)) &&
             value.getValueAsDouble() <= lowestValue;
    };
    auto fill = pool.getDpsInits()[0].template getDefiningOp<linalg::FillOp>();
    if (!fill || !atMostLowest(fill.getInputs()[0]))
      return rewriter.notifyMatchFailure(pool,
                                         "does not start from the minimum");
    if (pad && !atMostLowest(pad.getConstantPaddingValue()))
      return rewriter.notifyMatchFailure(pool,
                                         "padded with more than the minimum");

    Location loc = pool.getLoc();
    Type storage = qType.getStorageType();
    auto outType = cast<RankedTensorType>(pool->getResult(0).getType());
    Value quantized = onStorage(
        rewriter, loc, dq.getInput(), outType.getShape(),
        [&](Value ints, Value init) -> Value {
          Value lowest = arith::ConstantOp::create(
              rewriter, loc,
              rewriter.getIntegerAttr(storage, qType.getStorageTypeMin()));
          Value start =
              linalg::FillOp::create(rewriter, loc, lowest, init).getResult(0);
          if (pad)
            ints = tensor::PadOp::create(
                rewriter, loc, pad.getResultType().clone(storage), ints,
                pad.getMixedLowPad(), pad.getMixedHighPad(), lowest);
          SmallVector<Value> inputs{ints, pool.getInputs()[1]};
          Type pooledType = start.getType();
          TypeRange types(pooledType);
          if (!qType.isSigned()) {
            if constexpr (isNhwc)
              return linalg::PoolingNhwcMaxUnsignedOp::create(
                         rewriter, loc, types, inputs, ValueRange{start},
                         pool.getStridesAttr(), pool.getDilationsAttr())
                  .getResult(0);
            // linalg has no unsigned NCHW max pooling: the same window
            // loops as a generic with an unsigned maximum.
            return linalg::GenericOp::create(
                       rewriter, loc, types, inputs, ValueRange{start},
                       pool.getIndexingMapsArray(),
                       pool.getIteratorTypesArray(),
                       [](OpBuilder &b, Location l, ValueRange args) {
                         Value m = arith::MaxUIOp::create(b, l, args[2],
                                                          args[0]);
                         linalg::YieldOp::create(b, l, m);
                       })
                .getResult(0);
          }
          return PoolOpTy::create(rewriter, loc, types, inputs,
                                  ValueRange{start}, pool.getStridesAttr(),
                                  pool.getDilationsAttr())
              .getResult(0);
        });
    rewriter.replaceOp(
        quantize, requantizeTo(rewriter, loc, quantized, quantize.getType()));
    return success();
  }
};

/// The constant divisor of an elementwise generic that divides its one
/// input by a scalar (or multiplies it by the reciprocal): the
/// normalization of an average pooling.
static std::optional<double> matchDivisionByConstant(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 1 || generic.getNumReductionLoops() != 0 ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return std::nullopt;
  Block &body = generic.getRegion().front();
  auto ops = body.without_terminator();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (!llvm::hasSingleElement(ops) || yield.getNumOperands() != 1)
    return std::nullopt;
  Operation &op = *ops.begin();
  if (yield.getOperand(0) != op.getResult(0) ||
      op.getOperand(0) != body.getArgument(0))
    return std::nullopt;
  FloatAttr value;
  if (!matchPattern(op.getOperand(1), m_Constant(&value)) ||
      value.getValueAsDouble() <= 0)
    return std::nullopt;
  if (isa<arith::DivFOp>(op))
    return value.getValueAsDouble();
  if (isa<arith::MulFOp>(op))
    return 1.0 / value.getValueAsDouble();
  return std::nullopt;
}

/// dequantize(a) -> [zero padding] -> sum pooling -> [quantize ->
/// dequantize] -> division by the window size -> quantize  =>  the window sums of the integers less the zero point
/// in i32 (padding with 0: a real zero), requantized with the multiplier
/// scale_in / (count * scale_out): ONNX Runtime's QLinearAveragePool, one
/// rounding instead of two. Only a constant count (no padding, or padding
/// counted: count_include_pad); border windows of other sizes stay float.
template <typename PoolOpTy>
struct AveragePoolOnIntegers : OpRewritePattern<qnn::QuantizeOp> {
  using OpRewritePattern<qnn::QuantizeOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto divide = quantize.getInput().getDefiningOp<linalg::GenericOp>();
    if (!divide || !quantize.getInput().hasOneUse())
      return rewriter.notifyMatchFailure(quantize, "not an average");
    // Calibration may have observed the sums too: a quantize / dequantize
    // round trip between the pooling and the division goes (the integer
    // sums are exact).
    Value sum = divide.getDpsInputs()[0];
    if (auto roundTrip = sum.getDefiningOp<qnn::DequantizeOp>())
      if (auto q = roundTrip.getInput().getDefiningOp<qnn::QuantizeOp>())
        if (roundTrip->hasOneUse() && q->hasOneUse())
          sum = q.getInput();
    auto pool = sum.template getDefiningOp<PoolOpTy>();
    if (!pool)
      return rewriter.notifyMatchFailure(quantize, "not after a sum pooling");
    std::optional<double> count = matchDivisionByConstant(divide);
    if (!count || !pool->hasOneUse())
      return rewriter.notifyMatchFailure(
          pool, "not divided by one window size (border windows differ)");
    if (!isZeroFill(pool.getDpsInits()[0]))
      return rewriter.notifyMatchFailure(pool, "does not sum from zero");
    Value input = pool.getInputs()[0];
    auto pad = input.template getDefiningOp<tensor::PadOp>();
    if (pad) {
      if (!padsWithZero(pad))
        return rewriter.notifyMatchFailure(pool, "not a zero padding");
      input = pad.getSource();
    }
    auto dq = input.template getDefiningOp<qnn::DequantizeOp>();
    if (!dq)
      return rewriter.notifyMatchFailure(pool, "input is not dequantized");
    auto inType = dyn_cast<quant::UniformQuantizedType>(
        dq.getInput().getType().getElementType());
    if (!inType)
      return rewriter.notifyMatchFailure(pool, "per-axis input");

    Location loc = pool.getLoc();
    Type i32 = rewriter.getI32Type();
    auto sourceType = cast<RankedTensorType>(dq.getInput().getType());
    Value ints = quant::StorageCastOp::create(
        rewriter, loc, sourceType.clone(inType.getStorageType()),
        dq.getInput());
    // q - zp, widened to i32 (unsigned storage zero-extended).
    Value init = tensor::EmptyOp::create(rewriter, loc, sourceType.getShape(), i32);
    int64_t rank = sourceType.getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    Value centered =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{init.getType()}, ValueRange{ints},
            ValueRange{init}, SmallVector<AffineMap>{identity, identity},
            SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value wide =
                  inType.isSigned()
                      ? arith::ExtSIOp::create(b, l, i32, args[0]).getResult()
                      : arith::ExtUIOp::create(b, l, i32, args[0]).getResult();
              Value zp = arith::ConstantOp::create(
                  b, l, b.getI32IntegerAttr(inType.getZeroPoint()));
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::SubIOp::create(b, l, wide, zp)});
            })
            .getResult(0);
    if (pad) {
      Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getI32IntegerAttr(0));
      centered = tensor::PadOp::create(
          rewriter, loc, pad.getResultType().clone(i32), centered,
          pad.getMixedLowPad(), pad.getMixedHighPad(), zero);
    }
    auto outType = cast<RankedTensorType>(pool->getResult(0).getType());
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getI32IntegerAttr(0));
    Value sums = linalg::FillOp::create(
                     rewriter, loc, zero,
                     ValueRange{tensor::EmptyOp::create(
                         rewriter, loc, outType.getShape(), i32)})
                     .getResult(0);
    sums = PoolOpTy::create(rewriter, loc, TypeRange{sums.getType()},
                            ValueRange{centered, pool.getInputs()[1]},
                            ValueRange{sums}, pool.getStridesAttr(),
                            pool.getDilationsAttr())
               .getResult(0);
    // The sums at scale scale_in / count, zero point 0.
    auto sumType = quant::UniformQuantizedType::get(
        quant::QuantizationFlags::Signed, i32, inType.getExpressedType(),
        inType.getScale() / *count, 0, std::numeric_limits<int32_t>::min(),
        std::numeric_limits<int32_t>::max());
    Value quantizedSums = quant::StorageCastOp::create(
        rewriter, loc, outType.clone(sumType), sums);
    rewriter.replaceOpWithNewOp<qnn::RequantizeOp>(quantize, quantize.getType(),
                                                   quantizedSums);
    return success();
  }
};

/// dequantize(a) -> linalg.transpose -> quantize  =>  the transpose on the
/// storage integers (per-tensor), requantized if the output type differs.
struct TransposeOnIntegers : OpRewritePattern<qnn::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto transpose = quantize.getInput().getDefiningOp<linalg::TransposeOp>();
    if (!transpose || !quantize.getInput().hasOneUse())
      return rewriter.notifyMatchFailure(quantize, "not a transpose");
    auto dq = transpose.getInput().getDefiningOp<qnn::DequantizeOp>();
    if (!dq || !isa<quant::UniformQuantizedType>(
                   dq.getInput().getType().getElementType()))
      return rewriter.notifyMatchFailure(transpose,
                                         "input is not per-tensor dequantized");
    Location loc = transpose.getLoc();
    auto outType = cast<RankedTensorType>(transpose->getResult(0).getType());
    Value quantized = onStorage(
        rewriter, loc, dq.getInput(), outType.getShape(),
        [&](Value ints, Value init) -> Value {
          return linalg::TransposeOp::create(rewriter, loc, ints, init,
                                             transpose.getPermutation())
              ->getResult(0);
        });
    rewriter.replaceOp(
        quantize, requantizeTo(rewriter, loc, quantized, quantize.getType()));
    return success();
  }
};

/// reshape / transpose (dequantize(a))  =>  dequantize(the same on the
/// storage integers), for per-tensor types: moving values commutes with the
/// elementwise dequantize, and the op that reads the result then sees a
/// dequantized value (a QDQ model's Flatten before its Gemm).
template <typename OpTy>
struct SinkDequantizeBelowMove : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto dq = op->getOperand(0).template getDefiningOp<qnn::DequantizeOp>();
    if (!dq || !isa<quant::UniformQuantizedType>(
                   dq.getInput().getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "not a per-tensor dequantize");
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op->getResult(0).getType());
    Value moved = onStorage(
        rewriter, loc, dq.getInput(), outType.getShape(),
        [&](Value ints, Value init) -> Value {
          IRMapping mapping;
          mapping.map(op->getOperand(0), ints);
          if (auto transpose = dyn_cast<linalg::TransposeOp>(*op))
            return linalg::TransposeOp::create(rewriter, loc, ints, init,
                                               transpose.getPermutation())
                ->getResult(0);
          Operation *clone = rewriter.clone(*op, mapping);
          clone->getResult(0).setType(outType.clone(
              cast<RankedTensorType>(ints.getType()).getElementType()));
          return clone->getResult(0);
        });
    rewriter.replaceOpWithNewOp<qnn::DequantizeOp>(op, outType, moved);
    return success();
  }
};

/// quantize(transpose(x))  =>  transpose(quantize(x)) on the storage
/// integers (per-tensor): the quantize then reads the op before the
/// transpose (a QDQ model's depthwise convolution, which the importer
/// writes NHWC between transposes).
struct HoistQuantizeAboveTranspose : OpRewritePattern<qnn::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto transpose = quantize.getInput().getDefiningOp<linalg::TransposeOp>();
    auto qType =
        dyn_cast<quant::UniformQuantizedType>(quantize.getType().getElementType());
    if (!transpose || !quantize.getInput().hasOneUse() || !qType ||
        transpose.getInput().getDefiningOp<qnn::DequantizeOp>())
      return rewriter.notifyMatchFailure(quantize, "not a transposed value");
    Location loc = transpose.getLoc();
    auto inType = cast<RankedTensorType>(transpose.getInput().getType());
    Value q = qnn::QuantizeOp::create(rewriter, quantize.getLoc(),
                                      inType.clone(qType), transpose.getInput());
    Value moved = onStorage(
        rewriter, loc, q, quantize.getType().getShape(),
        [&](Value ints, Value init) -> Value {
          return linalg::TransposeOp::create(rewriter, loc, ints, init,
                                             transpose.getPermutation())
              ->getResult(0);
        });
    rewriter.replaceOp(quantize, moved);
    return success();
  }
};

static bool isUnitOp(Operation *op);

/// Whether `value` is computed by a matmul, convolution or pooling, or by
/// elementwise generics of one and constants (its bias, an average pool's
/// division, an activation), up to `depth` of them, and moves.
static bool computedByUnit(Value value, int depth = 3) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (isUnitOp(def))
    return true;
  if (isa<linalg::TransposeOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
          def))
    return computedByUnit(def->getOperand(0), depth);
  if (auto concat = dyn_cast<tensor::ConcatOp>(def)) // split layers' parts
    return llvm::all_of(concat.getInputs(),
                        [&](Value v) { return computedByUnit(v, depth); });
  auto generic = dyn_cast<linalg::GenericOp>(def);
  if (!generic || depth == 0 || generic.getNumReductionLoops() != 0)
    return false;
  SmallVector<Value> computed;
  for (Value input : generic.getDpsInputs())
    if (!matchPattern(input, m_Constant()))
      computed.push_back(input);
  return computed.size() == 1 && computedByUnit(computed[0], depth - 1);
}

/// reshape(x) -> quantize  =>  quantize(x) -> the reshape on quantized
/// values, when x is a layer's result: the quantize then meets the op
/// computing x (the division of a 1-D average pool lifted to 2-D and
/// back). Other values keep their round trip where float cleanup sees it.
template <typename ReshapeOp>
struct HoistQuantizeAboveReshape : OpRewritePattern<qnn::QuantizeOp> {
  using OpRewritePattern<qnn::QuantizeOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto reshape = quantize.getInput().template getDefiningOp<ReshapeOp>();
    auto qType =
        dyn_cast<quant::UniformQuantizedType>(quantize.getType().getElementType());
    if (!reshape || !quantize.getInput().hasOneUse() || !qType ||
        !computedByUnit(reshape.getSrc()))
      return rewriter.notifyMatchFailure(quantize, "not a reshaped result");
    auto srcType = cast<RankedTensorType>(reshape.getSrc().getType());
    Value q = qnn::QuantizeOp::create(rewriter, quantize.getLoc(),
                                      srcType.clone(qType), reshape.getSrc());
    rewriter.replaceOpWithNewOp<ReshapeOp>(quantize, quantize.getType(), q,
                                           reshape.getReassociationIndices());
    return success();
  }
};

/// dequantize(a_i) -> tensor.concat -> quantize  =>  each a_i requantized to
/// the output type (a common scale), then concatenated.
struct ConcatOnQuantized : OpRewritePattern<qnn::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::QuantizeOp quantize,
                                PatternRewriter &rewriter) const override {
    auto concat = quantize.getInput().getDefiningOp<tensor::ConcatOp>();
    if (!concat || !quantize.getInput().hasOneUse() ||
        !isa<quant::UniformQuantizedType>(quantize.getType().getElementType()))
      return rewriter.notifyMatchFailure(quantize, "not a concat");
    SmallVector<Value> parts;
    for (Value input : concat.getInputs()) {
      auto dq = input.getDefiningOp<qnn::DequantizeOp>();
      if (!dq || !isa<quant::UniformQuantizedType>(
                     dq.getInput().getType().getElementType()))
        return rewriter.notifyMatchFailure(concat,
                                           "an input is not dequantized");
      parts.push_back(dq.getInput());
    }
    Type element = quantize.getType().getElementType();
    for (Value &part : parts)
      part =
          requantizeTo(rewriter, concat.getLoc(), part,
                       cast<RankedTensorType>(part.getType()).clone(element));
    rewriter.replaceOpWithNewOp<tensor::ConcatOp>(quantize, concat.getDim(),
                                                  parts);
    return success();
  }
};

/// Records why patterns did not apply, by the location they name (the
/// contraction's own, for the reasons that matter to a user), and which
/// ops the rewrite erased (those it turned into integer code).
struct RewriteListener : RewriterBase::Listener {
  void notifyMatchFailure(
      Location loc, function_ref<void(Diagnostic &)> reasonCallback) override {
    if (isa<UnknownLoc>(loc))
      return;
    Diagnostic diag(loc, DiagnosticSeverity::Remark);
    reasonCallback(diag);
    reasons[loc] = diag.str();
  }
  void notifyOperationErased(Operation *op) override { erased.insert(op); }

  DenseMap<Location, std::string> reasons;
  DenseSet<Operation *> erased;
};

/// `value` behind the paddings and shape moves a layout change puts
/// between a layer and its input (a 1-D convolution's lifting, ...).
static Value throughMoves(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (!isa<tensor::PadOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
             tensor::ExtractSliceOp, linalg::TransposeOp>(def))
      break;
    value = def->getOperand(0);
  }
  return value;
}

/// Whether `op` reads a dequantized value, directly or through moves.
static bool readsQuantizedValue(linalg::LinalgOp op) {
  return llvm::any_of(op.getDpsInputs(), [](Value input) {
    return throughMoves(input).getDefiningOp<qnn::DequantizeOp>() != nullptr;
  });
}

/// A float matmul or convolution (any layout, pooling included): an op the
/// rewrite is meant to quantize, whether or not calibration reached it.
static bool isFloatUnit(linalg::LinalgOp op) {
  if (!(linalg::isaContractionOpInterface(op) ||
        linalg::isaConvolutionOpInterface(op)) ||
      op->getNumResults() != 1)
    return false;
  return isa<FloatType>(getElementTypeOrSelf(op->getResult(0).getType()));
}

/// Whether `value` is quantized, directly or after shape moves and at most
/// `epilogues` elementwise generics of it alone (a mean's division, not a
/// normalization's x - mean).
static bool feedsQuantize(Value value, int epilogues = 1) {
  return llvm::any_of(value.getUsers(), [&](Operation *user) {
    if (isa<qnn::QuantizeOp>(user))
      return true;
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
            tensor::ExtractSliceOp, linalg::TransposeOp>(user))
      return feedsQuantize(user->getResult(0), epilogues);
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || epilogues == 0 || !linalg::isElementwise(generic) ||
        generic->getNumResults() != 1)
      return false;
    bool ofValueAlone = llvm::all_of(generic.getDpsInputs(), [&](Value in) {
      return in == value || matchPattern(in, m_Constant());
    });
    return ofValueAlone && feedsQuantize(generic->getResult(0), epilogues - 1);
  });
}

/// Whether `value` is a constant, possibly behind quantize / dequantize
/// and storage casts (a weight, in any stage of the flow).
static bool isWeight(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (!isa<qnn::DequantizeOp, qnn::QuantizeOp, quant::StorageCastOp>(def))
      break;
    value = def->getOperand(0);
  }
  return matchPattern(value, m_Constant());
}

/// A reduction that is not a matmul, convolution or pooling (a mean or sum
/// over an axis) between a dequantize and a quantize: a float island in
/// integer code, which the report must show.
static bool isReductionIsland(linalg::LinalgOp op) {
  return op.getNumReductionLoops() > 0 && op->getNumResults() == 1 &&
         !isFloatUnit(op) && readsQuantizedValue(op) &&
         feedsQuantize(op->getResult(0));
}

/// Whether `op` is a float matmul, convolution or pooling on tensors: one
/// the rewrite should quantize and the report lists.
static bool isUnitOp(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.hasPureTensorSemantics() &&
         isFloatUnit(linalgOp);
}

/// Whether `op` is a reduction island (isReductionIsland) on tensors.
static bool isIslandOp(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.hasPureTensorSemantics() &&
         isReductionIsland(linalgOp);
}

static constexpr StringLiteral kIslandReason =
    "a reduction other than a matmul, convolution or pooling (a mean or sum "
    "over an axis) has no integer form: it runs in float between a "
    "dequantize and a quantize";

/// Why `op` has no integer form, when that is the reason it stayed float:
/// contractions other than linalg.matmul (whose patterns say why) with no
/// constant operand.
static std::optional<std::string> unsupportedForm(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (linalgOp && !isa<linalg::MatmulOp>(op) &&
      linalg::isaContractionOpInterface(linalgOp) &&
      llvm::none_of(linalgOp.getDpsInputs(), isWeight))
    return std::string("both operands are computed (an activation x "
                       "activation product, as in attention): no integer "
                       "form yet");
  return std::nullopt;
}

/// One quantizable op and what the rewrite did with it, for the report.
struct Decision {
  std::string op, name, location;
  bool quantized = false;
  std::string reason;
  /// A reduction island before the rewrite: one only if it still is once
  /// float layers run as float (their round trips dropped).
  bool possibleIsland = false;
};

static std::string locationString(Location loc) {
  std::string text;
  llvm::raw_string_ostream os(text);
  loc.print(os);
  return text;
}

struct RewriteInt8Pass : quantopt::impl::RewriteInt8PassBase<RewriteInt8Pass> {
  using Base::Base;

  /// Why `op`, left in float, was not rewritten.
  std::string keptFloatReason(Operation *op,
                              const RewriteListener &listener) const {
    // The user's exclusion, whatever other pattern failed at the same
    // location last (a strict run must not call it an error).
    StringRef kind = isa<linalg::MatmulOp>(op) ? "matmul"
                     : isa<linalg::DepthwiseConv2DNhwcHwcOp>(op)
                         ? "depthwise_conv"
                     : isa<linalg::ConvolutionOpInterface>(op) ? "conv"
                                                               : "";
    if (isExcluded(op, excluded, kind))
      return "excluded by the user";
    // Forms with no integer rewrite at all: their own reason, not the last
    // pattern's that happened to fail at the same location.
    if (std::optional<std::string> reason = unsupportedForm(op))
      return *reason;
    auto linalgOp = cast<linalg::LinalgOp>(op);
    if (!readsQuantizedValue(linalgOp))
      return "its inputs are not quantized (no calibration observer before "
             "it: quant-insert-calibration instruments matmuls, batch "
             "matmuls and the linalg.conv_* / depthwise_conv_* / pooling_* "
             "ops, and quant-normalize-units brings other forms to these)";
    auto it = listener.reasons.find(op->getLoc());
    if (it != listener.reasons.end())
      return it->second;
    if (isa<linalg::PoolingNchwSumOp, linalg::PoolingNhwcSumOp>(op))
      return "a sum pooling that is not an average pooling (a division by "
             "the window size, then a quantize)";
    bool hasIntegerForm =
        isa<linalg::MatmulOp, linalg::Conv2DNhwcHwcfOp, linalg::Conv2DNchwFchwOp,
            linalg::DepthwiseConv2DNhwcHwcOp, linalg::PoolingNhwcMaxOp,
            linalg::PoolingNchwMaxOp>(op);
    if (!hasIntegerForm)
      return "not a form quant-rewrite-int8 quantizes (matmul with [K, N] "
             "weights; conv NHWC/HWCF, NCHW/FCHW or depthwise NHWC/HWC; "
             "2-D pooling; quant-normalize-units brings other forms to "
             "these)";
    return "no quantize of its result to fold it into";
  }

  /// Every contraction left in float with a quantized input gets a remark
  /// saying why (an error with `strict`, unless the user excluded it);
  /// those already warned about are only recorded.
  LogicalResult reportKeptFloat(const RewriteListener &listener,
                                const DenseSet<Operation *> &warned,
                                DenseMap<Operation *, Decision> &decisions) {
    bool failedStrict = false;
    getOperation()->walk([&](Operation *op) {
      auto it = decisions.find(op);
      if (it == decisions.end() || listener.erased.contains(op) ||
          it->second.possibleIsland)
        return;
      std::string reason =
          warned.contains(op) ? "i32 accumulator could overflow"
                              : keptFloatReason(op, listener);
      it->second.reason = reason;
      if (warned.contains(op))
        return;
      bool byUser = reason == "excluded by the user";
      if (strict && !byUser) {
        op->emitError() << "kept in float: " << reason
                        << " (strict=true: every quantizable op must become "
                           "integer code)";
        failedStrict = true;
      } else {
        op->emitRemark() << "kept in float: " << reason;
      }
    });
    return failure(failedStrict);
  }

  /// Writes the decisions as JSON: one entry per quantizable op, in program
  /// order, and the counts.
  LogicalResult writeReport(ArrayRef<Decision> decisions) {
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file =
        openOutputFile(report, &error);
    if (!file)
      return getOperation()->emitError()
             << getArgument() << ": cannot write report '" << report
             << "': " << error;
    int64_t quantized = llvm::count_if(
        decisions, [](const Decision &d) { return d.quantized; });
    llvm::json::OStream json(file->os(), 2);
    json.object([&] {
      json.attribute("pass", getArgument());
      json.attribute("quantized", quantized);
      json.attribute("kept_float", int64_t(decisions.size()) - quantized);
      json.attributeArray("ops", [&] {
        for (const Decision &d : decisions)
          json.object([&] {
            json.attribute("op", d.op);
            json.attribute("name", d.name);
            json.attribute("location", d.location);
            json.attribute("decision", d.quantized ? "int8" : "float");
            if (!d.quantized)
              json.attribute("reason", d.reason);
          });
      });
    });
    file->os() << "\n";
    file->keep();
    return success();
  }

  void runOnOperation() override {
    if (failed(verifyExcludeNames(
            getOperation(), exclude,
            {"matmul", "conv", "depthwise_conv", "add", "mul"},
            getArgument())))
      return signalPassFailure();
    for (const std::string &name : exclude)
      excluded.insert(name);
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    RewriteState state{{maxConstantElements, getArgument()}, {}};
    patterns.add<MatmulToQnnMatmul>(ctx, excluded, state);
    patterns.add<BinaryToQnn<arith::AddFOp, qnn::AddOp, false>>(ctx, excluded,
                                                            "add");
    patterns.add<MoveQuantizedValues<tensor::CollapseShapeOp>,
                 MoveQuantizedValues<tensor::ExpandShapeOp>,
                 MoveQuantizedValues<tensor::ExtractSliceOp>,
                 MaxPoolOnIntegers<linalg::PoolingNhwcMaxOp>,
                 MaxPoolOnIntegers<linalg::PoolingNchwMaxOp>,
                 AveragePoolOnIntegers<linalg::PoolingNchwSumOp>,
                 AveragePoolOnIntegers<linalg::PoolingNhwcSumOp>,
                 TransposeOnIntegers, ConcatOnQuantized,
                 SinkDequantizeBelowMove<tensor::CollapseShapeOp>,
                 SinkDequantizeBelowMove<tensor::ExpandShapeOp>,
                 SinkDequantizeBelowMove<linalg::TransposeOp>,
                 HoistQuantizeAboveTranspose,
                 HoistQuantizeAboveReshape<tensor::CollapseShapeOp>,
                 HoistQuantizeAboveReshape<tensor::ExpandShapeOp>>(ctx);
    patterns.add<BinaryToQnn<arith::MulFOp, qnn::MulOp, true>>(ctx, excluded,
                                                          "mul");
    patterns.add<ConvToQnnConv<linalg::Conv2DNhwcHwcfOp>>(
        ctx, excluded, state, "nhwc_hwcf", "conv");
    patterns.add<ConvToQnnConv<linalg::Conv2DNchwFchwOp>>(
        ctx, excluded, state, "nchw_fchw", "conv");
    patterns.add<ConvToQnnConv<linalg::DepthwiseConv2DNhwcHwcOp>>(
        ctx, excluded, state, "nhwc_hwc", "depthwise_conv");
    // The quantizable ops, in program order, before anything changes.
    SmallVector<Operation *> candidates;
    DenseMap<Operation *, Decision> decisions;
    getOperation()->walk([&](Operation *op) {
      if (op->hasAttr(kCompareCopyAttrName))
        return;
      bool island = !isUnitOp(op) && isIslandOp(op);
      if (!island && !isUnitOp(op))
        return;
      candidates.push_back(op);
      decisions[op] = Decision{op->getName().getStringRef().str(),
                               quantopt::getOpName(op),
                               locationString(op->getLoc()), false, "",
                               island};
    });
    RewriteListener listener;
    GreedyRewriteConfig config;
    config.setListener(&listener);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)) ||
        state.limit.exceeded())
      return signalPassFailure();
    LogicalResult strictResult =
        reportKeptFloat(listener, state.warned, decisions);
    // What stayed float runs as float: no round trips nothing integer
    // reads, weights dequantized now.
    if (floatCleanup) {
      RewritePatternSet cleanup(ctx);
      populateFloatLayerCleanupPatterns(cleanup, state.limit, keepRoundTrips);
      if (failed(applyPatternsGreedily(getOperation(), std::move(cleanup))) ||
          state.limit.exceeded())
        return signalPassFailure();
    }
    // Reductions still between a dequantize and a quantize now are real
    // float islands in integer code (pointers compared, not dereferenced:
    // the cleanup may have erased some).
    DenseSet<Operation *> islands;
    getOperation()->walk([&](Operation *op) {
      if (isIslandOp(op))
        islands.insert(op);
    });
    SmallVector<Decision> ordered;
    for (Operation *op : candidates) {
      Decision d = decisions[op];
      if (d.possibleIsland) {
        if (!islands.contains(op))
          continue;
        d.reason = kIslandReason.str();
        if (strict) {
          op->emitError() << "kept in float: " << d.reason
                          << " (strict=true: every quantizable op must "
                             "become integer code)";
          strictResult = failure();
        } else {
          op->emitRemark() << "kept in float: " << d.reason;
        }
      }
      d.quantized = listener.erased.contains(op);
      ordered.push_back(std::move(d));
    }
    if ((!report.empty() && failed(writeReport(ordered))) ||
        failed(strictResult))
      return signalPassFailure();
  }

  llvm::StringSet<> excluded;
};
} // namespace
