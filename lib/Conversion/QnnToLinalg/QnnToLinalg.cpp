//===- QnnToLinalg.cpp - qnn / quant casts to linalg on integers ---------===//
//
// Lowers quantize, dequantize and requantize (qnn ops and upstream quant
// casts) to elementwise linalg.generic ops on storage integer tensors, with
// the numerics of docs/Numerics.md. Scalar arithmetic for each element is
// built by the emit* functions; ElementwiseBuilder wraps it in a generic.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Conversion/Passes.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace quantopt {
#define GEN_PASS_DEF_CONVERTQNNTOLINALGPASS
#include "quantopt/Conversion/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

//===----------------------------------------------------------------------===//
// Type conversion
//===----------------------------------------------------------------------===//

static Type storageTypeOf(Type type) {
  if (auto quantized = dyn_cast<quant::QuantizedType>(type))
    return quantized.getStorageType();
  return type;
}

QuantStorageTypeConverter::QuantStorageTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion(
      [](quant::QuantizedType type) -> Type { return type.getStorageType(); });
  addConversion([](RankedTensorType type) -> Type {
    return type.clone(storageTypeOf(type.getElementType()));
  });
  addConversion([](UnrankedTensorType type) -> Type {
    return UnrankedTensorType::get(storageTypeOf(type.getElementType()));
  });
  // quant.scast reinterprets storage integers as quantized values and back,
  // so partially converted IR stays valid.
  auto materializeStorageCast = [](OpBuilder &builder, Type resultType,
                                   ValueRange inputs, Location loc) -> Value {
    if (inputs.size() != 1)
      return {};
    return quant::StorageCastOp::create(builder, loc, resultType, inputs[0]);
  };
  addSourceMaterialization(materializeStorageCast);
  addTargetMaterialization(materializeStorageCast);
}

//===----------------------------------------------------------------------===//
// Per-channel parameters
//===----------------------------------------------------------------------===//

namespace {
/// A scale, zero point or derived constant used in the per-element
/// arithmetic: one value for per-tensor types, one per channel of the
/// quantized dimension for per-axis types.
struct ChannelConstant {
  Type elementType;
  SmallVector<Attribute> values; // one, or one per channel

  static ChannelConstant floats(FloatType type, ArrayRef<double> values) {
    ChannelConstant c{type, {}};
    for (double v : values)
      c.values.push_back(FloatAttr::get(type, v));
    return c;
  }
  static ChannelConstant ints(IntegerType type, ArrayRef<int64_t> values) {
    ChannelConstant c{type, {}};
    for (int64_t v : values)
      c.values.push_back(IntegerAttr::get(type, v));
    return c;
  }
  bool isPerChannel() const { return values.size() != 1; }
};

/// Builds `linalg.generic` maps over a tensor (or the scalar arithmetic alone
/// for scalars), feeding per-channel constants as extra inputs indexed by the
/// quantized dimension.
struct ElementwiseBuilder {
  using BodyFn = function_ref<Value(OpBuilder &, Location, Value element,
                                    ArrayRef<Value> params)>;

  static Value build(OpBuilder &builder, Location loc, Value input,
                     Type resultType, std::optional<int64_t> axis,
                     ArrayRef<ChannelConstant> constants, BodyFn body) {
    auto tensorType = dyn_cast<RankedTensorType>(input.getType());
    if (!tensorType) { // a scalar: per-tensor constants only
      SmallVector<Value> params;
      for (const ChannelConstant &c : constants)
        params.push_back(arith::ConstantOp::create(
            builder, loc, cast<TypedAttr>(c.values.front())));
      return body(builder, loc, input, params);
    }

    MLIRContext *ctx = builder.getContext();
    int64_t rank = tensorType.getRank();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<Value> inputs{input};
    SmallVector<AffineMap> maps{identity};
    for (const ChannelConstant &c : constants) {
      if (!c.isPerChannel())
        continue;
      auto channelType =
          RankedTensorType::get({int64_t(c.values.size())}, c.elementType);
      inputs.push_back(arith::ConstantOp::create(
          builder, loc, DenseElementsAttr::get(channelType, c.values)));
      maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(*axis, ctx)));
    }
    maps.push_back(identity);

    auto resultTensorType = cast<RankedTensorType>(resultType);
    Value init = tensor::EmptyOp::create(
        builder, loc, tensor::getMixedSizes(builder, loc, input),
        resultTensorType.getElementType());
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        builder, loc, resultTensorType, inputs, ValueRange{init}, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> params;
          unsigned next = 1;
          for (const ChannelConstant &c : constants)
            params.push_back(c.isPerChannel()
                                 ? args[next++]
                                 : arith::ConstantOp::create(
                                       b, l, cast<TypedAttr>(c.values.front()))
                                       .getResult());
          linalg::YieldOp::create(b, l, body(b, l, args[0], params));
        });
    return generic.getResult(0);
  }
};

/// Scales and zero points of a uniform quantized type, with the quantized
/// dimension when per axis.
struct UniformParams {
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  std::optional<int64_t> axis;
  quant::QuantizedType type;

  static UniformParams of(Type elementType) {
    UniformParams p;
    p.type = cast<quant::QuantizedType>(elementType);
    if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(elementType)) {
      p.scales.push_back(perTensor.getScale());
      p.zeroPoints.push_back(perTensor.getZeroPoint());
      return p;
    }
    auto perAxis = cast<quant::UniformQuantizedPerAxisType>(elementType);
    p.scales.assign(perAxis.getScales().begin(), perAxis.getScales().end());
    p.zeroPoints.assign(perAxis.getZeroPoints().begin(),
                        perAxis.getZeroPoints().end());
    p.axis = perAxis.getQuantizedDimension();
    return p;
  }
};
} // namespace

/// Element type of a tensor or the type itself.
static Type elementTypeOf(Type type) { return getElementTypeOrSelf(type); }

static bool isSupportedQuantized(Type elementType) {
  return isa<quant::UniformQuantizedType, quant::UniformQuantizedPerAxisType>(
      elementType);
}

//===----------------------------------------------------------------------===//
// Scalar arithmetic of the contract
//===----------------------------------------------------------------------===//

/// f16 and bf16 are computed in f32; f32 and f64 in themselves.
static FloatType computeTypeFor(FloatType expressed) {
  if (expressed.getWidth() < 32)
    return Float32Type::get(expressed.getContext());
  return expressed;
}

/// Storage integer widened to i64, sign- or zero-extended by signedness.
static Value widenStorage(OpBuilder &b, Location loc, Value storage,
                          bool isSigned) {
  Type i64 = b.getI64Type();
  if (isSigned)
    return arith::ExtSIOp::create(b, loc, i64, storage);
  return arith::ExtUIOp::create(b, loc, i64, storage);
}

static Value constI64(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
}

/// clamp(round_half_to_even(v) + zeroPoint, range) as storage integer. NaN
/// gives the zero point; +-inf and huge values saturate.
static Value emitRoundAddClamp(OpBuilder &b, Location loc, Value v,
                               Value zeroPoint, StorageRange range,
                               Type storageType) {
  auto floatType = cast<FloatType>(v.getType());
  // +-2^62 is beyond every storage range and exact in every float type, so
  // clamping to it first keeps fptosi defined.
  constexpr double kLimit = 4611686018427387904.0;
  Value rounded = math::RoundEvenOp::create(b, loc, v);
  Value isNan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, 0));
  rounded = arith::SelectOp::create(b, loc, isNan, zero, rounded);
  rounded = arith::MaximumFOp::create(
      b, loc, rounded,
      arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, -kLimit)));
  rounded = arith::MinimumFOp::create(
      b, loc, rounded,
      arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, kLimit)));
  Value asInt = arith::FPToSIOp::create(b, loc, b.getI64Type(), rounded);
  Value shifted = arith::AddIOp::create(b, loc, asInt, zeroPoint);
  Value clamped =
      arith::MaxSIOp::create(b, loc, shifted, constI64(b, loc, range.min));
  clamped =
      arith::MinSIOp::create(b, loc, clamped, constI64(b, loc, range.max));
  return arith::TruncIOp::create(b, loc, storageType, clamped);
}

/// quantize: clamp(round(x / scale) + zp).
static Value emitQuantize(OpBuilder &b, Location loc, Value input,
                          Type resultType, const UniformParams &params) {
  auto expressed = cast<FloatType>(params.type.getExpressedType());
  FloatType computeType = computeTypeFor(expressed);
  // Scales are applied in the compute type, as ONNX applies an f32 scale.
  ChannelConstant scales = ChannelConstant::floats(computeType, params.scales);
  ChannelConstant zeroPoints =
      ChannelConstant::ints(b.getI64Type(), params.zeroPoints);
  StorageRange range = qnn::getStorageRange(params.type);
  Type storageType = params.type.getStorageType();
  return ElementwiseBuilder::build(
      b, loc, input, resultType, params.axis, {scales, zeroPoints},
      [&](OpBuilder &b, Location loc, Value x, ArrayRef<Value> p) {
        if (x.getType() != computeType)
          x = arith::ExtFOp::create(b, loc, computeType, x);
        Value divided = arith::DivFOp::create(b, loc, x, p[0]);
        return emitRoundAddClamp(b, loc, divided, p[1], range, storageType);
      });
}

/// dequantize: (q - zp) * scale, the difference exact in i64.
static Value emitDequantize(OpBuilder &b, Location loc, Value input,
                            Type resultType, const UniformParams &params) {
  auto expressed = cast<FloatType>(params.type.getExpressedType());
  FloatType computeType = computeTypeFor(expressed);
  ChannelConstant scales = ChannelConstant::floats(computeType, params.scales);
  ChannelConstant zeroPoints =
      ChannelConstant::ints(b.getI64Type(), params.zeroPoints);
  bool isSigned = params.type.isSigned();
  return ElementwiseBuilder::build(
      b, loc, input, resultType, params.axis, {scales, zeroPoints},
      [&](OpBuilder &b, Location loc, Value q, ArrayRef<Value> p) {
        Value centered = arith::SubIOp::create(
            b, loc, widenStorage(b, loc, q, isSigned), p[1]);
        Value asFloat = arith::SIToFPOp::create(b, loc, computeType, centered);
        Value result = arith::MulFOp::create(b, loc, asFloat, p[0]);
        if (computeType != expressed)
          result = arith::TruncFOp::create(b, loc, expressed, result);
        return result;
      });
}

/// Expands per-tensor values to one per channel when the other side of a
/// requantize is per axis.
static SmallVector<double> broadcastTo(ArrayRef<double> v, size_t n) {
  return v.size() == n ? SmallVector<double>(v) : SmallVector<double>(n, v[0]);
}

/// Everything a requantize needs, per channel along `axis` (or one entry).
struct RequantizeSpec {
  SmallVector<double> realMultipliers;  // scale_in / scale_out, exact
  SmallVector<double> floatMultipliers; // the f32 multiplier of float mode
  SmallVector<int64_t> zpIn, zpOut;
  std::optional<int64_t> axis;
  bool inputSigned = true;
  StorageRange outRange;
  Type storageType;

  /// qnn.requantize from `in` to `out`.
  static RequantizeSpec forRequantize(const UniformParams &in,
                                      const UniformParams &out) {
    RequantizeSpec spec;
    size_t channels = std::max(in.scales.size(), out.scales.size());
    SmallVector<double> scalesIn = broadcastTo(in.scales, channels);
    SmallVector<double> scalesOut = broadcastTo(out.scales, channels);
    for (size_t c = 0; c < channels; ++c) {
      spec.realMultipliers.push_back(scalesIn[c] / scalesOut[c]);
      spec.floatMultipliers.push_back(
          requantizeMultiplier(scalesIn[c], scalesOut[c]));
    }
    spec.zpIn = in.zeroPoints;
    spec.zpOut = out.zeroPoints;
    spec.axis = in.axis ? in.axis : out.axis;
    spec.inputSigned = in.type.isSigned();
    spec.outRange = qnn::getStorageRange(out.type);
    spec.storageType = out.type.getStorageType();
    return spec;
  }
};

/// requantize, float mode: clamp(round(f64(q - zpIn) * m) + zpOut), with the
/// f32 multiplier m widened exactly to f64.
static Value emitRequantizeFloat(OpBuilder &b, Location loc, Value input,
                                 Type resultType, const RequantizeSpec &spec) {
  FloatType f64 = b.getF64Type();
  ChannelConstant m = ChannelConstant::floats(f64, spec.floatMultipliers);
  ChannelConstant zpIn = ChannelConstant::ints(b.getI64Type(), spec.zpIn);
  ChannelConstant zpOut = ChannelConstant::ints(b.getI64Type(), spec.zpOut);
  return ElementwiseBuilder::build(
      b, loc, input, resultType, spec.axis, {m, zpIn, zpOut},
      [&](OpBuilder &b, Location loc, Value q, ArrayRef<Value> p) {
        Value centered = arith::SubIOp::create(
            b, loc, widenStorage(b, loc, q, spec.inputSigned), p[1]);
        Value asFloat = arith::SIToFPOp::create(b, loc, f64, centered);
        Value scaled = arith::MulFOp::create(b, loc, asFloat, p[0]);
        return emitRoundAddClamp(b, loc, scaled, p[2], spec.outRange,
                                 spec.storageType);
      });
}

/// requantize, fixed-point mode: gemmlowp's MultiplyByQuantizedMultiplier in
/// i64 arithmetic (see quantopt::multiplyByFixedPoint for the reference).
static FailureOr<Value> emitRequantizeFixedPoint(OpBuilder &b, Location loc,
                                                 Value input, Type resultType,
                                                 const RequantizeSpec &spec) {
  SmallVector<int64_t> multipliers, leftMuls, rightShifts, masks;
  for (double real : spec.realMultipliers) {
    auto fixed = decomposeMultiplier(real);
    if (!fixed) {
      llvm::consumeError(fixed.takeError()); // reported by checkLowerable
      return failure();
    }
    multipliers.push_back(fixed->multiplier);
    leftMuls.push_back(int64_t(1) << std::max(fixed->shift, 0));
    int64_t right = std::max(-fixed->shift, 0);
    rightShifts.push_back(right);
    masks.push_back((int64_t(1) << right) - 1);
  }
  IntegerType i64 = b.getI64Type();
  SmallVector<ChannelConstant> constants = {
      ChannelConstant::ints(i64, multipliers),
      ChannelConstant::ints(i64, leftMuls),
      ChannelConstant::ints(i64, rightShifts),
      ChannelConstant::ints(i64, masks),
      ChannelConstant::ints(i64, spec.zpIn),
      ChannelConstant::ints(i64, spec.zpOut)};
  std::optional<int64_t> axis = spec.axis;
  StorageRange range = spec.outRange;
  Type storageType = spec.storageType;
  bool isSigned = spec.inputSigned;
  return ElementwiseBuilder::build(
      b, loc, input, resultType, axis, constants,
      [&](OpBuilder &b, Location loc, Value q, ArrayRef<Value> p) {
        Value multiplier = p[0], leftMul = p[1], right = p[2], mask = p[3];
        auto clampI32 = [&](Value v) {
          v = arith::MaxSIOp::create(b, loc, v, constI64(b, loc, INT32_MIN));
          return arith::MinSIOp::create(b, loc, v, constI64(b, loc, INT32_MAX))
              .getResult();
        };
        Value x = clampI32(arith::SubIOp::create(
            b, loc, widenStorage(b, loc, q, isSigned), p[4]));
        x = clampI32(arith::MulIOp::create(b, loc, x, leftMul));
        // SaturatingRoundingDoublingHighMul (b >= 0, so no overflow case).
        Value ab = arith::MulIOp::create(b, loc, x, multiplier);
        Value nonNegative = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sge, ab, constI64(b, loc, 0));
        Value nudge = arith::SelectOp::create(
            b, loc, nonNegative, constI64(b, loc, int64_t(1) << 30),
            constI64(b, loc, 1 - (int64_t(1) << 30)));
        Value high = arith::DivSIOp::create(
            b, loc, arith::AddIOp::create(b, loc, ab, nudge),
            constI64(b, loc, int64_t(1) << 31));
        // RoundingDivideByPOT: ties away from zero.
        Value remainder = arith::AndIOp::create(b, loc, high, mask);
        Value negative = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::slt, high, constI64(b, loc, 0));
        Value threshold = arith::AddIOp::create(
            b, loc, arith::ShRSIOp::create(b, loc, mask, constI64(b, loc, 1)),
            arith::ExtUIOp::create(b, loc, b.getI64Type(), negative));
        Value roundUp = arith::ExtUIOp::create(
            b, loc, b.getI64Type(),
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, remainder,
                                  threshold));
        Value result = arith::AddIOp::create(
            b, loc, arith::ShRSIOp::create(b, loc, high, right), roundUp);
        result = arith::AddIOp::create(b, loc, result, p[5]);
        result =
            arith::MaxSIOp::create(b, loc, result, constI64(b, loc, range.min));
        result =
            arith::MinSIOp::create(b, loc, result, constI64(b, loc, range.max));
        return arith::TruncIOp::create(b, loc, storageType, result).getResult();
      });
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {
/// qnn.quantize and quant.qcast -> linalg.generic.
template <typename OpTy> struct QuantizeLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type resultType = op.getResult().getType();
    Type quantElement = elementTypeOf(resultType);
    if (!isSupportedQuantized(quantElement))
      return rewriter.notifyMatchFailure(op, "not a uniform quantized result");
    if (isa<UnrankedTensorType>(resultType))
      return rewriter.notifyMatchFailure(op, "unranked tensors not supported");
    Type converted = this->getTypeConverter()->convertType(resultType);
    rewriter.replaceOp(op, emitQuantize(rewriter, op.getLoc(),
                                        adaptor.getInput(), converted,
                                        UniformParams::of(quantElement)));
    return success();
  }
};

/// qnn.dequantize and quant.dcast -> linalg.generic.
template <typename OpTy> struct DequantizeLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type quantElement = elementTypeOf(op.getInput().getType());
    if (!isSupportedQuantized(quantElement))
      return rewriter.notifyMatchFailure(op, "not a uniform quantized input");
    if (isa<UnrankedTensorType>(op.getInput().getType()))
      return rewriter.notifyMatchFailure(op, "unranked tensors not supported");
    rewriter.replaceOp(op,
                       emitDequantize(rewriter, op.getLoc(), adaptor.getInput(),
                                      op.getResult().getType(),
                                      UniformParams::of(quantElement)));
    return success();
  }
};

/// qnn.requantize -> linalg.generic, in the chosen arithmetic.
struct RequantizeLowering : OpConversionPattern<qnn::RequantizeOp> {
  RequantizeLowering(const TypeConverter &converter, MLIRContext *ctx,
                     RequantizeMode mode)
      : OpConversionPattern(converter, ctx), mode(mode) {}

  LogicalResult
  matchAndRewrite(qnn::RequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    UniformParams in =
        UniformParams::of(op.getInput().getType().getElementType());
    UniformParams out = UniformParams::of(op.getType().getElementType());
    if (in.axis && out.axis && *in.axis != *out.axis)
      return rewriter.notifyMatchFailure(op, "quantized dimensions differ");
    RequantizeSpec spec = RequantizeSpec::forRequantize(in, out);
    Type resultType = getTypeConverter()->convertType(op.getType());
    Location loc = op.getLoc();
    if (mode == RequantizeMode::Float) {
      rewriter.replaceOp(op,
                         emitRequantizeFloat(rewriter, loc, adaptor.getInput(),
                                             resultType, spec));
      return success();
    }
    FailureOr<Value> result = emitRequantizeFixedPoint(
        rewriter, loc, adaptor.getInput(), resultType, spec);
    if (failed(result))
      return rewriter.notifyMatchFailure(op, "no fixed-point multiplier");
    rewriter.replaceOp(op, *result);
    return success();
  }

  RequantizeMode mode;
};

/// The requantize that ends a qnn.matmul: from the i32 accumulator (scale
/// lhs_scale * rhs_scale[n], zero point 0) to the result, clamped to the
/// fused activation's range.
static RequantizeSpec matmulRequantizeSpec(qnn::MatmulOp op) {
  auto lhs =
      cast<quant::UniformQuantizedType>(op.getLhs().getType().getElementType());
  UniformParams rhs = UniformParams::of(op.getRhs().getType().getElementType());
  auto out = cast<quant::UniformQuantizedType>(op.getType().getElementType());
  RequantizeSpec spec;
  for (double rhsScale : rhs.scales) {
    spec.realMultipliers.push_back(lhs.getScale() * rhsScale / out.getScale());
    spec.floatMultipliers.push_back(
        matmulRequantizeMultiplier(lhs.getScale(), rhsScale, out.getScale()));
  }
  spec.zpIn = {0};
  spec.zpOut = {out.getZeroPoint()};
  spec.axis = rhs.axis;
  spec.inputSigned = true;
  spec.outRange = qnn::getStorageRange(out);
  if (auto lo = op.getClampMinAttr())
    spec.outRange.min = std::max(spec.outRange.min, lo.getInt());
  if (auto hi = op.getClampMaxAttr())
    spec.outRange.max = std::min(spec.outRange.max, hi.getInt());
  spec.storageType = out.getStorageType();
  return spec;
}

/// Storage integer widened to i32, by signedness.
static Value widenToI32(OpBuilder &b, Location loc, Value storage,
                        bool isSigned) {
  Type i32 = b.getI32Type();
  if (isSigned)
    return arith::ExtSIOp::create(b, loc, i32, storage);
  return arith::ExtUIOp::create(b, loc, i32, storage);
}

/// qnn.matmul -> i32 accumulation (linalg.generic over m, n, k, starting
/// from the bias) + the requantize epilogue.
struct MatmulLowering : OpConversionPattern<qnn::MatmulOp> {
  MatmulLowering(const TypeConverter &converter, MLIRContext *ctx,
                 RequantizeMode mode)
      : OpConversionPattern(converter, ctx), mode(mode) {}

  LogicalResult
  matchAndRewrite(qnn::MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto lhsType = cast<quant::UniformQuantizedType>(
        op.getLhs().getType().getElementType());
    UniformParams rhs =
        UniformParams::of(op.getRhs().getType().getElementType());
    Value lhs = adaptor.getLhs(), rhsValue = adaptor.getRhs();
    Type i32 = rewriter.getI32Type();

    // The accumulator starts as the bias (broadcast over rows) or zeros.
    OpFoldResult rows = tensor::getMixedSize(rewriter, loc, lhs, 0);
    OpFoldResult cols = tensor::getMixedSize(rewriter, loc, rhsValue, 1);
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rows, cols}, i32);
    auto accType = cast<RankedTensorType>(empty.getType());
    Value init;
    AffineExpr d0, d1, d2;
    bindDims(ctx, d0, d1, d2);
    if (Value bias = adaptor.getBias()) {
      auto identity = AffineMap::getMultiDimIdentityMap(2, ctx);
      auto column = AffineMap::get(2, 0, {d1}, ctx);
      init = linalg::GenericOp::create(
                 rewriter, loc, accType, ValueRange{bias}, ValueRange{empty},
                 ArrayRef<AffineMap>{column, identity},
                 SmallVector<utils::IteratorType>(
                     2, utils::IteratorType::parallel),
                 [](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, args[0]);
                 })
                 .getResult(0);
    } else {
      Value zero = arith::ConstantOp::create(rewriter, loc,
                                             rewriter.getI32IntegerAttr(0));
      init = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    }

    // acc[m, n] += (lhs[m, k] - zpL) * (rhs[k, n] - zpR[n]).
    SmallVector<Value> inputs{lhs, rhsValue};
    SmallVector<AffineMap> maps{AffineMap::get(3, 0, {d0, d2}, ctx),
                                AffineMap::get(3, 0, {d2, d1}, ctx)};
    // A constant input only when the weight zero points really differ.
    bool perChannelZp = !llvm::all_equal(rhs.zeroPoints);
    if (perChannelZp) {
      SmallVector<int32_t> zps(rhs.zeroPoints.begin(), rhs.zeroPoints.end());
      inputs.push_back(arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({int64_t(zps.size())}, i32),
              ArrayRef<int32_t>(zps))));
      maps.push_back(AffineMap::get(3, 0, {d1}, ctx));
    }
    maps.push_back(AffineMap::get(3, 0, {d0, d1}, ctx));
    bool lhsSigned = lhsType.isSigned(), rhsSigned = rhs.type.isSigned();
    int64_t zpL = lhsType.getZeroPoint(), zpR = rhs.zeroPoints.front();
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, accType, inputs, ValueRange{init}, maps,
            {utils::IteratorType::parallel, utils::IteratorType::parallel,
             utils::IteratorType::reduction},
            [&](OpBuilder &b, Location l, ValueRange args) {
              auto constI32 = [&](int64_t v) {
                return arith::ConstantOp::create(b, l, b.getI32IntegerAttr(v));
              };
              Value a = arith::SubIOp::create(
                  b, l, widenToI32(b, l, args[0], lhsSigned), constI32(zpL));
              Value w = widenToI32(b, l, args[1], rhsSigned);
              w = arith::SubIOp::create(b, l, w,
                                        perChannelZp ? args[2] : constI32(zpR));
              Value product = arith::MulIOp::create(b, l, a, w);
              linalg::YieldOp::create(
                  b, l,
                  arith::AddIOp::create(b, l, args.back(), product)
                      .getResult());
            })
            .getResult(0);

    RequantizeSpec spec = matmulRequantizeSpec(op);
    Type resultType = getTypeConverter()->convertType(op.getType());
    if (mode == RequantizeMode::Float) {
      rewriter.replaceOp(
          op, emitRequantizeFloat(rewriter, loc, acc, resultType, spec));
      return success();
    }
    FailureOr<Value> result =
        emitRequantizeFixedPoint(rewriter, loc, acc, resultType, spec);
    if (failed(result))
      return rewriter.notifyMatchFailure(op, "no fixed-point multiplier");
    rewriter.replaceOp(op, *result);
    return success();
  }

  RequantizeMode mode;
};

/// quant.scast becomes a no-op once both sides are storage integers.
struct StorageCastLowering : OpConversionPattern<quant::StorageCastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(quant::StorageCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type converted = getTypeConverter()->convertType(op.getType());
    if (converted != adaptor.getInput().getType())
      return rewriter.notifyMatchFailure(op, "storage types differ");
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

/// Tensor ops that only move quantized values (reshape, slice, extract, ...)
/// keep their semantics on storage integers: rebuild them with new types.
struct RetypeTensorOp : ConversionPattern {
  RetypeTensorOp(const TypeConverter &converter, MLIRContext *ctx)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<tensor::TensorDialect>(op->getDialect()))
      return rewriter.notifyMatchFailure(op, "not a tensor dialect op");
    if (op->getNumRegions() != 0)
      return rewriter.notifyMatchFailure(op, "ops with regions not retyped");
    SmallVector<Type> resultTypes;
    if (failed(getTypeConverter()->convertTypes(op->getResultTypes(),
                                                resultTypes)))
      return rewriter.notifyMatchFailure(op, "result types not convertible");
    OperationState state(op->getLoc(), op->getName(), operands, resultTypes,
                         op->getAttrs(), op->getSuccessors());
    rewriter.replaceOp(op, rewriter.create(state)->getResults());
    return success();
  }
};
} // namespace

void quantopt::populateQnnToLinalgConversionPatterns(
    const TypeConverter &typeConverter, RewritePatternSet &patterns,
    RequantizeMode requantizeMode) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<QuantizeLowering<qnn::QuantizeOp>,
               QuantizeLowering<quant::QuantizeCastOp>,
               DequantizeLowering<qnn::DequantizeOp>,
               DequantizeLowering<quant::DequantizeCastOp>, StorageCastLowering,
               RetypeTensorOp>(typeConverter, ctx);
  patterns.add<RequantizeLowering, MatmulLowering>(typeConverter, ctx,
                                                   requantizeMode);
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

/// Reports, with the op's location, every quantize / dequantize / requantize
/// the patterns cannot lower, so that users get a reason rather than a bare
/// "failed to legalize".
static LogicalResult checkLowerable(Operation *root, RequantizeMode mode) {
  bool ok = true;
  root->walk([&](Operation *op) {
    if (!isa<qnn::QuantizeOp, qnn::DequantizeOp, qnn::RequantizeOp,
             qnn::MatmulOp, quant::QuantizeCastOp, quant::DequantizeCastOp>(op))
      return;
    for (Type type :
         llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
      if (isa<UnrankedTensorType>(type) &&
          isa<quant::QuantizedType>(elementTypeOf(type))) {
        op->emitOpError("on unranked tensors cannot be lowered: the "
                        "per-element code needs a rank");
        ok = false;
        return;
      }
      if (isa<quant::QuantizedType>(elementTypeOf(type)) &&
          !isSupportedQuantized(elementTypeOf(type))) {
        op->emitOpError() << "cannot lower " << elementTypeOf(type)
                          << ": only uniform per-tensor and per-axis types";
        ok = false;
        return;
      }
    }
    if (auto matmul = dyn_cast<qnn::MatmulOp>(op)) {
      if (mode != RequantizeMode::FixedPoint)
        return;
      for (double real : matmulRequantizeSpec(matmul).realMultipliers) {
        auto fixed = decomposeMultiplier(real);
        if (!fixed) {
          op->emitOpError() << "has no fixed-point multiplier: "
                            << llvm::toString(fixed.takeError());
          ok = false;
          return;
        }
      }
      return;
    }
    auto requantize = dyn_cast<qnn::RequantizeOp>(op);
    if (!requantize)
      return;
    UniformParams in =
        UniformParams::of(requantize.getInput().getType().getElementType());
    UniformParams out =
        UniformParams::of(requantize.getType().getElementType());
    if (in.axis && out.axis && *in.axis != *out.axis) {
      op->emitOpError() << "between quantized dimensions " << *in.axis
                        << " and " << *out.axis << " cannot be lowered";
      ok = false;
      return;
    }
    if (mode != RequantizeMode::FixedPoint)
      return;
    for (double real : RequantizeSpec::forRequantize(in, out).realMultipliers) {
      auto fixed = decomposeMultiplier(real);
      if (!fixed) {
        op->emitOpError() << "has no fixed-point multiplier: "
                          << llvm::toString(fixed.takeError());
        ok = false;
        return;
      }
    }
  });
  return success(ok);
}

namespace {
struct ConvertQnnToLinalgPass
    : quantopt::impl::ConvertQnnToLinalgPassBase<ConvertQnnToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(checkLowerable(getOperation(), requantizeMode)))
      return signalPassFailure();
    MLIRContext *ctx = &getContext();
    QuantStorageTypeConverter converter;
    RewritePatternSet patterns(ctx);
    populateQnnToLinalgConversionPatterns(converter, patterns, requantizeMode);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);

    ConversionTarget target(*ctx);
    target.addIllegalOp<qnn::QuantizeOp, qnn::DequantizeOp, qnn::RequantizeOp,
                        qnn::MatmulOp, quant::QuantizeCastOp,
                        quant::DequantizeCastOp, quant::StorageCastOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);

    // Never fold: upstream folds quant.dcast(quant.qcast(x)) to x, which
    // would silently drop the quantization this pass is lowering.
    ConversionConfig config;
    config.foldingMode = DialectConversionFoldingMode::Never;
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
