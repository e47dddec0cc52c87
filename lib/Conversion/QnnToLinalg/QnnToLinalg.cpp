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
#include "quantopt/Utils/FixedPointIR.h"
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

#include <cmath>

namespace quantopt {
#define GEN_PASS_DEF_CONVERTQNNTOLINALGPASS
#include "quantopt/Conversion/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

//===----------------------------------------------------------------------===//
// Type conversion
//===----------------------------------------------------------------------===//

/// Quantized types become their storage; si8/ui8 (the storage of run-time
/// quantized values) become signless, as arith needs.
static Type storageTypeOf(Type type) {
  if (auto quantized = dyn_cast<quant::QuantizedType>(type))
    return quantized.getStorageType();
  if (auto integer = dyn_cast<IntegerType>(type);
      integer && !integer.isSignless())
    return IntegerType::get(type.getContext(), integer.getWidth());
  return type;
}

QuantStorageTypeConverter::QuantStorageTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion(
      [](quant::QuantizedType type) -> Type { return type.getStorageType(); });
  addConversion([](IntegerType type) -> Type { return storageTypeOf(type); });
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
    if (isa<quant::QuantizedType>(getElementTypeOrSelf(resultType)) ||
        isa<quant::QuantizedType>(getElementTypeOrSelf(inputs[0].getType())))
      return quant::StorageCastOp::create(builder, loc, resultType, inputs[0]);
    return UnrealizedConversionCastOp::create(builder, loc, resultType,
                                              inputs[0])
        .getResult(0);
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

/// The integer type that holds every sum and difference of storage values,
/// zero points and clamp bounds exactly: i32 up to 16-bit storage (twice as
/// many vector lanes as i64), i64 beyond.
static IntegerType workTypeFor(Type storageType) {
  unsigned width = storageType.getIntOrFloatBitWidth() <= 16 ? 32 : 64;
  return IntegerType::get(storageType.getContext(), width);
}

/// `zeroPoint` (any integer type, its value in the storage range) in `type`.
static Value castZeroPoint(OpBuilder &b, Location loc, Value zeroPoint,
                           IntegerType type) {
  unsigned width = zeroPoint.getType().getIntOrFloatBitWidth();
  if (width > type.getWidth())
    return arith::TruncIOp::create(b, loc, type, zeroPoint);
  if (width < type.getWidth())
    return arith::ExtSIOp::create(b, loc, type, zeroPoint);
  return zeroPoint;
}

/// q - zeroPoint, exact, in the work type of q's storage.
static Value subtractZeroPoint(OpBuilder &b, Location loc, Value q,
                               bool isSigned, Value zeroPoint) {
  IntegerType work = workTypeFor(q.getType());
  Value wide = isSigned ? arith::ExtSIOp::create(b, loc, work, q).getResult()
                        : arith::ExtUIOp::create(b, loc, work, q).getResult();
  return arith::SubIOp::create(b, loc, wide,
                               castZeroPoint(b, loc, zeroPoint, work));
}

/// clamp(round_half_to_even(v) + zeroPoint, range) as storage integer. NaN
/// gives the zero point; +-inf and huge values saturate.
static Value emitRoundAddClamp(OpBuilder &b, Location loc, Value v,
                               Value zeroPoint, StorageRange range,
                               Type storageType) {
  auto floatType = cast<FloatType>(v.getType());
  IntegerType work = workTypeFor(storageType);
  // +-2^(width-2) is beyond every storage range of the work type and exact
  // in every float type, so clamping to it first keeps fptosi defined and
  // the zero point's addition from overflowing.
  double limit = std::ldexp(1.0, work.getWidth() - 2);
  Value rounded = math::RoundEvenOp::create(b, loc, v);
  Value isNan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, 0));
  rounded = arith::SelectOp::create(b, loc, isNan, zero, rounded);
  rounded = arith::MaximumFOp::create(
      b, loc, rounded,
      arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, -limit)));
  rounded = arith::MinimumFOp::create(
      b, loc, rounded,
      arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, limit)));
  Value asInt = arith::FPToSIOp::create(b, loc, work, rounded);
  Value shifted = arith::AddIOp::create(b, loc, asInt,
                                        castZeroPoint(b, loc, zeroPoint, work));
  auto bound = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, IntegerAttr::get(work, v));
  };
  Value clamped = arith::MaxSIOp::create(b, loc, shifted, bound(range.min));
  clamped = arith::MinSIOp::create(b, loc, clamped, bound(range.max));
  return arith::TruncIOp::create(b, loc, storageType, clamped);
}

/// quantize: clamp(round(x / scale) + zp).
static Value emitQuantize(OpBuilder &b, Location loc, Value input,
                          Type resultType, const UniformParams &params) {
  auto expressed = cast<FloatType>(params.type.getExpressedType());
  FloatType computeType = computeTypeFor(expressed);
  // Scales are applied in the compute type, as ONNX applies an f32 scale.
  ChannelConstant scales = ChannelConstant::floats(computeType, params.scales);
  Type storageType = params.type.getStorageType();
  ChannelConstant zeroPoints =
      ChannelConstant::ints(workTypeFor(storageType), params.zeroPoints);
  StorageRange range = qnn::getStorageRange(params.type);
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
  ChannelConstant zeroPoints = ChannelConstant::ints(
      workTypeFor(params.type.getStorageType()), params.zeroPoints);
  bool isSigned = params.type.isSigned();
  return ElementwiseBuilder::build(
      b, loc, input, resultType, params.axis, {scales, zeroPoints},
      [&](OpBuilder &b, Location loc, Value q, ArrayRef<Value> p) {
        Value centered = subtractZeroPoint(b, loc, q, isSigned, p[1]);
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
  ChannelConstant zpIn = ChannelConstant::ints(
      workTypeFor(getElementTypeOrSelf(input.getType())), spec.zpIn);
  ChannelConstant zpOut =
      ChannelConstant::ints(workTypeFor(spec.storageType), spec.zpOut);
  return ElementwiseBuilder::build(
      b, loc, input, resultType, spec.axis, {m, zpIn, zpOut},
      [&](OpBuilder &b, Location loc, Value q, ArrayRef<Value> p) {
        Value centered = subtractZeroPoint(b, loc, q, spec.inputSigned, p[1]);
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
        Value x =
            clampSigned(b, loc,
                        arith::SubIOp::create(
                            b, loc, widenStorage(b, loc, q, isSigned), p[4]),
                        INT32_MIN, INT32_MAX);
        Value result =
            emitMultiplyByFixedPoint(b, loc, x, p[0], p[1], p[2], p[3]);
        result =
            clampSigned(b, loc, arith::AddIOp::create(b, loc, result, p[5]),
                        range.min, range.max);
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

/// The requantize that ends a quantized matmul or convolution: from the i32
/// accumulator (scale input_scale * weight_scale[c], zero point 0) to the
/// result, clamped to the fused activation's range. `channelAxis` is the
/// result dimension per-channel weights vary along.
static RequantizeSpec
contractionRequantizeSpec(Type inputElement, Type weightElement,
                          Type resultElement, int64_t channelAxis,
                          IntegerAttr clampMin, IntegerAttr clampMax) {
  auto input = cast<quant::UniformQuantizedType>(inputElement);
  UniformParams weights = UniformParams::of(weightElement);
  auto out = cast<quant::UniformQuantizedType>(resultElement);
  RequantizeSpec spec;
  for (double weightScale : weights.scales) {
    spec.realMultipliers.push_back(
        matmulRealMultiplier(input.getScale(), weightScale, out.getScale()));
    spec.floatMultipliers.push_back(matmulRequantizeMultiplier(
        input.getScale(), weightScale, out.getScale()));
  }
  spec.zpIn = {0};
  spec.zpOut = {out.getZeroPoint()};
  if (weights.axis)
    spec.axis = channelAxis;
  spec.inputSigned = true;
  spec.outRange = qnn::getStorageRange(out);
  if (clampMin)
    spec.outRange.min = std::max(spec.outRange.min, clampMin.getInt());
  if (clampMax)
    spec.outRange.max = std::min(spec.outRange.max, clampMax.getInt());
  spec.storageType = out.getStorageType();
  return spec;
}

static RequantizeSpec matmulRequantizeSpec(qnn::MatmulOp op) {
  return contractionRequantizeSpec(
      op.getLhs().getType().getElementType(),
      op.getRhs().getType().getElementType(), op.getType().getElementType(),
      /*channelAxis=*/1, op.getClampMinAttr(), op.getClampMaxAttr());
}

static RequantizeSpec convRequantizeSpec(qnn::Conv2DOp op) {
  return contractionRequantizeSpec(
      op.getInput().getType().getElementType(),
      op.getFilter().getType().getElementType(), op.getType().getElementType(),
      qnn::Conv2DOp::getDims(op.getLayout())->resultC, op.getClampMinAttr(),
      op.getClampMaxAttr());
}

/// Storage integer widened to i32, by signedness.
static Value widenToI32(OpBuilder &b, Location loc, Value storage,
                        bool isSigned) {
  Type i32 = b.getI32Type();
  if (isSigned)
    return arith::ExtSIOp::create(b, loc, i32, storage);
  return arith::ExtUIOp::create(b, loc, i32, storage);
}

namespace {
/// An integer contraction sum((input - zpIn) * (weight - zpW[c])) in i32,
/// described by its loops and indexing maps (the last map is the result's).
struct Contraction {
  Value input, weights, bias;
  bool inputSigned = true, weightSigned = true;
  /// The input zero point: a constant, or a 0-d tensor known at run time.
  int64_t inputZp = 0;
  Value inputZpTensor;
  SmallVector<int64_t> weightZps; // one, or one per output channel
  SmallVector<AffineMap> maps;    // input, weights, result
  AffineMap channelMap;           // loops -> output channel
  AffineMap biasMap;              // result dims -> output channel
  SmallVector<utils::IteratorType> iterators;
  SmallVector<OpFoldResult> resultSizes;
};
} // namespace

/// Takes signedness and zero points from the quantized operand types.
static void setQuantizedOperands(Contraction &c, Type inputElement,
                                 Type weightElement) {
  auto input = cast<quant::UniformQuantizedType>(inputElement);
  UniformParams weights = UniformParams::of(weightElement);
  c.inputSigned = input.isSigned();
  c.inputZp = input.getZeroPoint();
  c.weightSigned = weights.type.isSigned();
  c.weightZps = weights.zeroPoints;
}

/// Emits the accumulation: the accumulator starts as the bias broadcast
/// along the output channel (or zeros), then each loop iteration adds one
/// product of zero-point-corrected storage values.
static Value emitContraction(OpBuilder &b, Location loc, const Contraction &c) {
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type();
  Value empty = tensor::EmptyOp::create(b, loc, c.resultSizes, i32);
  auto accType = cast<RankedTensorType>(empty.getType());
  unsigned rank = accType.getRank();
  Value init;
  if (c.bias) {
    init = linalg::GenericOp::create(
               b, loc, accType, ValueRange{c.bias}, ValueRange{empty},
               ArrayRef<AffineMap>{
                   c.biasMap, AffineMap::getMultiDimIdentityMap(rank, ctx)},
               SmallVector<utils::IteratorType>(rank,
                                                utils::IteratorType::parallel),
               [](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(nb, l, args[0]);
               })
               .getResult(0);
  } else {
    Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
    init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  }

  SmallVector<Value> inputs{c.input, c.weights};
  SmallVector<AffineMap> maps{c.maps[0], c.maps[1]};
  const SmallVector<int64_t> &zps = c.weightZps;
  // A constant input only when the weight zero points really differ.
  bool perChannelZp = !llvm::all_equal(zps);
  if (perChannelZp) {
    SmallVector<int32_t> values(zps.begin(), zps.end());
    inputs.push_back(arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(
            RankedTensorType::get({int64_t(values.size())}, i32),
            ArrayRef<int32_t>(values))));
    maps.push_back(c.channelMap);
  }
  unsigned zpInIndex = inputs.size();
  if (c.inputZpTensor) {
    inputs.push_back(c.inputZpTensor);
    maps.push_back(AffineMap::get(c.maps[0].getNumDims(), 0, ctx));
  }
  maps.push_back(c.maps[2]);
  int64_t zpW = zps.front();
  return linalg::GenericOp::create(
             b, loc, accType, inputs, ValueRange{init}, maps, c.iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               auto constI32 = [&](int64_t v) {
                 return arith::ConstantOp::create(nb, l,
                                                  nb.getI32IntegerAttr(v));
               };
               Value zpIn = c.inputZpTensor ? widenToI32(nb, l, args[zpInIndex],
                                                         c.inputSigned)
                                            : constI32(c.inputZp).getResult();
               Value x = arith::SubIOp::create(
                   nb, l, widenToI32(nb, l, args[0], c.inputSigned), zpIn);
               Value w = arith::SubIOp::create(
                   nb, l, widenToI32(nb, l, args[1], c.weightSigned),
                   perChannelZp ? args[2] : constI32(zpW));
               Value product = arith::MulIOp::create(nb, l, x, w);
               linalg::YieldOp::create(
                   nb, l,
                   arith::AddIOp::create(nb, l, args.back(), product)
                       .getResult());
             })
      .getResult(0);
}

/// The (m, n, k) loops of a matmul of `lhs` (M x K) and `rhs` (K x N).
static void setMatmulLoops(Contraction &c, OpBuilder &b, Location loc,
                           Value lhs, Value rhs) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  c.input = lhs;
  c.weights = rhs;
  c.maps = {AffineMap::get(3, 0, {m, k}, ctx),
            AffineMap::get(3, 0, {k, n}, ctx),
            AffineMap::get(3, 0, {m, n}, ctx)};
  c.channelMap = AffineMap::get(3, 0, {n}, ctx);
  c.biasMap = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
  c.iterators = {utils::IteratorType::parallel, utils::IteratorType::parallel,
                 utils::IteratorType::reduction};
  c.resultSizes = {tensor::getMixedSize(b, loc, lhs, 0),
                   tensor::getMixedSize(b, loc, rhs, 1)};
}

/// The requantize epilogue in the chosen arithmetic.
static FailureOr<Value> emitRequantize(OpBuilder &b, Location loc, Value acc,
                                       Type resultType,
                                       const RequantizeSpec &spec,
                                       RequantizeMode mode) {
  if (mode == RequantizeMode::Float)
    return emitRequantizeFloat(b, loc, acc, resultType, spec);
  return emitRequantizeFixedPoint(b, loc, acc, resultType, spec);
}

/// Replaces a quantized contraction by the requantize of its accumulator.
static LogicalResult replaceWithRequantized(ConversionPatternRewriter &rewriter,
                                            Operation *op, Value acc,
                                            const TypeConverter &converter,
                                            const RequantizeSpec &spec,
                                            RequantizeMode mode) {
  FailureOr<Value> result = emitRequantize(
      rewriter, op->getLoc(), acc,
      converter.convertType(op->getResult(0).getType()), spec, mode);
  if (failed(result))
    return rewriter.notifyMatchFailure(op, "no fixed-point multiplier");
  rewriter.replaceOp(op, *result);
  return success();
}

namespace {
/// qnn.matmul -> i32 accumulation over (m, n, k) + the requantize epilogue.
struct MatmulLowering : OpConversionPattern<qnn::MatmulOp> {
  MatmulLowering(const TypeConverter &converter, MLIRContext *ctx,
                 RequantizeMode mode)
      : OpConversionPattern(converter, ctx), mode(mode) {}

  LogicalResult
  matchAndRewrite(qnn::MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Contraction c;
    c.bias = adaptor.getBias();
    setQuantizedOperands(c, op.getLhs().getType().getElementType(),
                         op.getRhs().getType().getElementType());
    setMatmulLoops(c, rewriter, loc, adaptor.getLhs(), adaptor.getRhs());
    Value acc = emitContraction(rewriter, loc, c);
    return replaceWithRequantized(rewriter, op, acc, *getTypeConverter(),
                                  matmulRequantizeSpec(op), mode);
  }

  RequantizeMode mode;
};

/// qnn.conv2d -> zero-point padding, i32 accumulation over the output and
/// window loops, and the requantize epilogue.
struct Conv2DLowering : OpConversionPattern<qnn::Conv2DOp> {
  Conv2DLowering(const TypeConverter &converter, MLIRContext *ctx,
                 RequantizeMode mode)
      : OpConversionPattern(converter, ctx), mode(mode) {}

  LogicalResult
  matchAndRewrite(qnn::Conv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    StringRef layout = op.getLayout();
    Contraction c;
    setQuantizedOperands(c, op.getInput().getType().getElementType(),
                         op.getFilter().getType().getElementType());
    c.weights = adaptor.getFilter();
    c.bias = adaptor.getBias();
    c.input = padWithZeroPoint(rewriter, loc, adaptor.getInput(), op);

    ArrayRef<int64_t> s = op.getStrides(), d = op.getDilations();
    auto dim = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    auto window = [&](unsigned out, unsigned kernel, unsigned axis) {
      return dim(out) * s[axis] + dim(kernel) * d[axis];
    };
    using utils::IteratorType;
    auto par = IteratorType::parallel, red = IteratorType::reduction;
    if (layout == "nhwc_hwcf") {
      // Loops: n, oh, ow, f, kh, kw, c.
      c.maps = {
          AffineMap::get(
              7, 0, {dim(0), window(1, 4, 0), window(2, 5, 1), dim(6)}, ctx),
          AffineMap::get(7, 0, {dim(4), dim(5), dim(6), dim(3)}, ctx),
          AffineMap::get(7, 0, {dim(0), dim(1), dim(2), dim(3)}, ctx)};
      c.channelMap = AffineMap::get(7, 0, {dim(3)}, ctx);
      c.iterators = {par, par, par, par, red, red, red};
    } else if (layout == "nchw_fchw") {
      // Loops: n, f, oh, ow, c, kh, kw.
      c.maps = {
          AffineMap::get(
              7, 0, {dim(0), dim(4), window(2, 5, 0), window(3, 6, 1)}, ctx),
          AffineMap::get(7, 0, {dim(1), dim(4), dim(5), dim(6)}, ctx),
          AffineMap::get(7, 0, {dim(0), dim(1), dim(2), dim(3)}, ctx)};
      c.channelMap = AffineMap::get(7, 0, {dim(1)}, ctx);
      c.iterators = {par, par, par, par, red, red, red};
    } else {
      // Depthwise. Loops: n, oh, ow, c, kh, kw.
      c.maps = {
          AffineMap::get(
              6, 0, {dim(0), window(1, 4, 0), window(2, 5, 1), dim(3)}, ctx),
          AffineMap::get(6, 0, {dim(4), dim(5), dim(3)}, ctx),
          AffineMap::get(6, 0, {dim(0), dim(1), dim(2), dim(3)}, ctx)};
      c.channelMap = AffineMap::get(6, 0, {dim(3)}, ctx);
      c.iterators = {par, par, par, par, red, red};
    }
    qnn::Conv2DOp::Dims dims = *qnn::Conv2DOp::getDims(layout);
    c.biasMap = AffineMap::get(4, 0, {dim(dims.resultC)}, ctx);
    // Only the batch may be dynamic (checked by checkLowerable); it is the
    // input's dimension 0 in every layout.
    auto resultType = op.getType();
    for (int64_t i = 0; i < 4; ++i)
      c.resultSizes.push_back(
          resultType.isDynamicDim(i)
              ? tensor::getMixedSize(rewriter, loc, c.input, 0)
              : OpFoldResult(rewriter.getIndexAttr(resultType.getDimSize(i))));
    Value acc = emitContraction(rewriter, loc, c);
    return replaceWithRequantized(rewriter, op, acc, *getTypeConverter(),
                                  convRequantizeSpec(op), mode);
  }

  /// Pads H and W with the input's zero point (the quantized 0.0).
  static Value padWithZeroPoint(OpBuilder &b, Location loc, Value input,
                                qnn::Conv2DOp op) {
    ArrayRef<int64_t> padding = op.getPadding();
    if (llvm::all_of(padding, [](int64_t p) { return p == 0; }))
      return input;
    qnn::Conv2DOp::Dims dims = *qnn::Conv2DOp::getDims(op.getLayout());
    SmallVector<OpFoldResult> low(4, b.getIndexAttr(0)),
        high(4, b.getIndexAttr(0));
    low[dims.inputH] = b.getIndexAttr(padding[0]);
    low[dims.inputW] = b.getIndexAttr(padding[1]);
    high[dims.inputH] = b.getIndexAttr(padding[2]);
    high[dims.inputW] = b.getIndexAttr(padding[3]);
    auto inputType = cast<RankedTensorType>(input.getType());
    auto quantType = cast<quant::UniformQuantizedType>(
        op.getInput().getType().getElementType());
    Value zeroPoint = arith::ConstantOp::create(
        b, loc,
        b.getIntegerAttr(inputType.getElementType(), quantType.getZeroPoint()));
    return tensor::PadOp::create(b, loc, Type(), input, low, high, zeroPoint)
        .getResult();
  }

  RequantizeMode mode;
};
} // namespace

namespace {
/// qnn.matmul_integer -> i32 accumulation with the run-time lhs zero point.
struct MatmulIntegerLowering : OpConversionPattern<qnn::MatmulIntegerOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(qnn::MatmulIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Contraction c;
    c.inputSigned = !op.getLhs().getType().getElementType().isUnsignedInteger();
    c.weightSigned =
        !op.getRhs().getType().getElementType().isUnsignedInteger();
    c.inputZpTensor = adaptor.getLhsZeroPoint();
    c.weightZps = {op.getRhsZeroPointAttr().getInt()};
    setMatmulLoops(c, rewriter, loc, adaptor.getLhs(), adaptor.getRhs());
    rewriter.replaceOp(op, emitContraction(rewriter, loc, c));
    return success();
  }
};

/// qnn.dynamic_quantize -> a min/max reduction (NaN and inf ignored), the
/// scale and zero point in scalar f32 arithmetic (ONNX
/// DynamicQuantizeLinear), and the contract's quantize.
struct DynamicQuantizeLowering : OpConversionPattern<qnn::DynamicQuantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(qnn::DynamicQuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto floatType = cast<FloatType>(inputType.getElementType());
    if (!floatType.isF32())
      return rewriter.notifyMatchFailure(op, "only f32 inputs");
    Type outElement = op.getOutput().getType().getElementType();
    Type storage = IntegerType::get(ctx, outElement.getIntOrFloatBitWidth());
    bool symmetric = op.getSymmetric();
    StorageRange range = StorageRange::forBits(
        outElement.getIntOrFloatBitWidth() - (op.getReduceRange() ? 1 : 0),
        !outElement.isUnsignedInteger(), symmetric);

    auto f32 = [&](double v) {
      return arith::ConstantOp::create(rewriter, loc,
                                       rewriter.getF32FloatAttr(float(v)))
          .getResult();
    };
    auto scalarType = RankedTensorType::get({}, floatType);
    auto filled = [&](double v) {
      Value empty = tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{},
                                            floatType);
      return linalg::FillOp::create(rewriter, loc, f32(v), empty).getResult(0);
    };

    // Range of the finite values. Min and max are exact in any order, so
    // for rank >= 2 the rows are first reduced into one vector of partial
    // ranges along the last dimension (an inner loop without a carried
    // dependence, which vectorizes), then that vector into the scalars.
    unsigned rank = inputType.getRank();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    // Yields (min(lo, x), max(hi, x)) over the finite x of args[0], or, with
    // two inputs (partial ranges), (min(lo, args[0]), max(hi, args[1])).
    auto minMaxBody = [](OpBuilder &b, Location l, ValueRange args) {
      bool partial = args.size() == 4;
      Value forMin = args[0], forMax = args[partial ? 1 : 0];
      if (!partial) {
        Value inf =
            arith::ConstantOp::create(b, l, b.getF32FloatAttr(INFINITY));
        Value finite =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT,
                                  math::AbsFOp::create(b, l, args[0]), inf);
        forMin = arith::SelectOp::create(b, l, finite, args[0], inf);
        forMax = arith::SelectOp::create(b, l, finite, args[0],
                                         arith::NegFOp::create(b, l, inf));
      }
      Value lo = args[args.size() - 2], hi = args.back();
      linalg::YieldOp::create(
          b, l,
          ValueRange{arith::MinimumFOp::create(b, l, lo, forMin),
                     arith::MaximumFOp::create(b, l, hi, forMax)});
    };
    SmallVector<Value> rangeInputs{input};
    if (rank >= 2) {
      AffineMap toLast =
          AffineMap::get(rank, 0, {getAffineDimExpr(rank - 1, ctx)}, ctx);
      SmallVector<OpFoldResult> lastSize{
          tensor::getMixedSize(rewriter, loc, input, rank - 1)};
      auto partialsOf = [&](double v) {
        Value empty =
            tensor::EmptyOp::create(rewriter, loc, lastSize, floatType);
        return linalg::FillOp::create(rewriter, loc, f32(v), empty)
            .getResult(0);
      };
      Value lows = partialsOf(INFINITY), highs = partialsOf(-INFINITY);
      SmallVector<utils::IteratorType> iterators(
          rank, utils::IteratorType::reduction);
      iterators.back() = utils::IteratorType::parallel;
      auto partials = linalg::GenericOp::create(
          rewriter, loc, TypeRange{lows.getType(), highs.getType()},
          ValueRange{input}, ValueRange{lows, highs},
          ArrayRef<AffineMap>{identity, toLast, toLast}, iterators, minMaxBody);
      rangeInputs.assign(partials.getResults().begin(),
                         partials.getResults().end());
    }
    unsigned rangeRank =
        cast<RankedTensorType>(rangeInputs[0].getType()).getRank();
    AffineMap toScalar = AffineMap::get(rangeRank, 0, ctx);
    SmallVector<AffineMap> rangeMaps(
        rangeInputs.size(), AffineMap::getMultiDimIdentityMap(rangeRank, ctx));
    rangeMaps.append({toScalar, toScalar});
    auto reduce = linalg::GenericOp::create(
        rewriter, loc, TypeRange{scalarType, scalarType}, rangeInputs,
        ValueRange{filled(INFINITY), filled(-INFINITY)}, rangeMaps,
        SmallVector<utils::IteratorType>(rangeRank,
                                         utils::IteratorType::reduction),
        minMaxBody);
    Value lo = tensor::ExtractOp::create(rewriter, loc, reduce.getResult(0),
                                         ValueRange{});
    Value hi = tensor::ExtractOp::create(rewriter, loc, reduce.getResult(1),
                                         ValueRange{});
    Value zeroF = f32(0), oneF = f32(1);
    lo = arith::MinimumFOp::create(rewriter, loc, lo, zeroF);
    hi = arith::MaximumFOp::create(rewriter, loc, hi, zeroF);

    // Scale and zero point, in f32 as ONNX's reference computes them.
    Value scale, zeroPoint;
    if (symmetric) {
      Value absMax = arith::MaximumFOp::create(
          rewriter, loc, math::AbsFOp::create(rewriter, loc, lo),
          math::AbsFOp::create(rewriter, loc, hi));
      Value empty = arith::CmpFOp::create(
          rewriter, loc, arith::CmpFPredicate::OEQ, absMax, zeroF);
      absMax = arith::SelectOp::create(rewriter, loc, empty, oneF, absMax);
      scale = arith::DivFOp::create(rewriter, loc, absMax, f32(range.max));
      zeroPoint = arith::ConstantOp::create(rewriter, loc,
                                            rewriter.getI64IntegerAttr(0));
    } else {
      Value width = arith::SubFOp::create(rewriter, loc, hi, lo);
      Value empty = arith::CmpFOp::create(
          rewriter, loc, arith::CmpFPredicate::OEQ, width, zeroF);
      width = arith::SelectOp::create(rewriter, loc, empty, oneF, width);
      scale = arith::DivFOp::create(rewriter, loc, width,
                                    f32(double(range.max - range.min)));
      Value zp = arith::SubFOp::create(
          rewriter, loc, f32(double(range.min)),
          arith::DivFOp::create(rewriter, loc, lo, scale));
      zp = arith::MaximumFOp::create(rewriter, loc, zp, f32(double(range.min)));
      zp = arith::MinimumFOp::create(rewriter, loc, zp, f32(double(range.max)));
      zp = math::RoundEvenOp::create(rewriter, loc, zp);
      zeroPoint =
          arith::FPToSIOp::create(rewriter, loc, rewriter.getI64Type(), zp);
    }

    // q = clamp(round(x / scale) + zp), NaN -> zp.
    auto outType = cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getOutput().getType()));
    Value init = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, input), storage);
    Value q =
        linalg::GenericOp::create(
            rewriter, loc, outType, ValueRange{input}, ValueRange{init},
            ArrayRef<AffineMap>{identity, identity},
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value v = arith::DivFOp::create(b, l, args[0], scale);
              linalg::YieldOp::create(
                  b, l, emitRoundAddClamp(b, l, v, zeroPoint, range, storage));
            })
            .getResult(0);
    Value scaleTensor = tensor::FromElementsOp::create(
        rewriter, loc, scalarType, ValueRange{scale});
    Value zpStorage =
        arith::TruncIOp::create(rewriter, loc, storage, zeroPoint);
    Value zpTensor = tensor::FromElementsOp::create(
        rewriter, loc, RankedTensorType::get({}, storage),
        ValueRange{zpStorage});
    rewriter.replaceOp(op, {q, scaleTensor, zpTensor});
    return success();
  }
};
} // namespace

namespace {
/// qnn.add / qnn.mul -> one linalg.generic computing the dequantize ->
/// float op -> quantize program exactly (f32).
template <typename OpTy, bool isMul>
struct ElementwiseBinaryLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto lhsType = cast<quant::UniformQuantizedType>(
        op.getLhs().getType().getElementType());
    auto rhsType = cast<quant::UniformQuantizedType>(
        op.getRhs().getType().getElementType());
    auto outType =
        cast<quant::UniformQuantizedType>(op.getType().getElementType());
    if (!outType.getExpressedType().isF32())
      return rewriter.notifyMatchFailure(op, "only f32 expressed types");
    StorageRange range = qnn::getStorageRange(outType);
    if (auto lo = op.getClampMinAttr())
      range.min = std::max(range.min, lo.getInt());
    if (auto hi = op.getClampMaxAttr())
      range.max = std::min(range.max, hi.getInt());
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(
        this->getTypeConverter()->convertType(op.getType()));
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    unsigned rank = resultType.getRank();
    AffineMap identity =
        AffineMap::getMultiDimIdentityMap(rank, rewriter.getContext());
    Value init = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, lhs),
        resultType.getElementType());
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, resultType, ValueRange{lhs, rhs}, ValueRange{init},
            SmallVector<AffineMap>(3, identity),
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              FloatType f32 = b.getF32Type();
              auto dequantize = [&](Value q, quant::UniformQuantizedType t) {
                Value centered = subtractZeroPoint(
                    b, l, q, t.isSigned(), constI64(b, l, t.getZeroPoint()));
                Value f = arith::SIToFPOp::create(b, l, f32, centered);
                return arith::MulFOp::create(
                           b, l, f,
                           arith::ConstantOp::create(
                               b, l, b.getF32FloatAttr(float(t.getScale()))))
                    .getResult();
              };
              Value a = dequantize(args[0], lhsType);
              Value c = dequantize(args[1], rhsType);
              Value combined =
                  isMul ? arith::MulFOp::create(b, l, a, c).getResult()
                        : arith::AddFOp::create(b, l, a, c).getResult();
              Value v = arith::DivFOp::create(
                  b, l, combined,
                  arith::ConstantOp::create(
                      b, l, b.getF32FloatAttr(float(outType.getScale()))));
              linalg::YieldOp::create(
                  b, l,
                  emitRoundAddClamp(b, l, v,
                                    constI64(b, l, outType.getZeroPoint()),
                                    range, outType.getStorageType()));
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};
} // namespace

namespace {
/// Constants of ui8/si8 tensors (zero points of run-time quantization)
/// become signless, bit for bit.
struct SignlessConstant : OpConversionPattern<arith::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(arith::ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto values = dyn_cast<DenseIntElementsAttr>(op.getValue());
    Type converted = getTypeConverter()->convertType(op.getType());
    if (!values || !converted || converted == op.getType())
      return rewriter.notifyMatchFailure(op, "nothing to convert");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, values.bitcast(cast<ShapedType>(converted).getElementType()));
    return success();
  }
};
} // namespace

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
  patterns.add<MatmulIntegerLowering, DynamicQuantizeLowering, SignlessConstant,
               ElementwiseBinaryLowering<qnn::AddOp, /*isMul=*/false>,
               ElementwiseBinaryLowering<qnn::MulOp, /*isMul=*/true>>(
      typeConverter, ctx);
  patterns.add<RequantizeLowering, MatmulLowering, Conv2DLowering>(
      typeConverter, ctx, requantizeMode);
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

static Type expressedTypeOfResult(Operation *op) {
  return cast<quant::QuantizedType>(
             getElementTypeOrSelf(op->getResult(0).getType()))
      .getExpressedType();
}

/// Reports, with the op's location, every quantize / dequantize / requantize
/// the patterns cannot lower, so that users get a reason rather than a bare
/// "failed to legalize".
static LogicalResult checkLowerable(Operation *root, RequantizeMode mode) {
  bool ok = true;
  root->walk([&](Operation *op) {
    if (!isa<qnn::QuantizeOp, qnn::DequantizeOp, qnn::RequantizeOp,
             qnn::MatmulOp, qnn::Conv2DOp, qnn::AddOp, qnn::MulOp,
             quant::QuantizeCastOp, quant::DequantizeCastOp>(op))
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
    if (isa<qnn::AddOp, qnn::MulOp>(op) && !expressedTypeOfResult(op).isF32()) {
      op->emitOpError("on non-f32 expressed types cannot be lowered yet");
      ok = false;
      return;
    }
    if (auto conv = dyn_cast<qnn::Conv2DOp>(op)) {
      auto shape = conv.getType().getShape();
      if (llvm::any_of(shape.drop_front(), ShapedType::isDynamic)) {
        op->emitOpError("with dynamic dimensions other than the batch cannot "
                        "be lowered");
        ok = false;
        return;
      }
    }
    if (isa<qnn::MatmulOp, qnn::Conv2DOp>(op)) {
      if (mode != RequantizeMode::FixedPoint)
        return;
      RequantizeSpec spec = isa<qnn::MatmulOp>(op)
                                ? matmulRequantizeSpec(cast<qnn::MatmulOp>(op))
                                : convRequantizeSpec(cast<qnn::Conv2DOp>(op));
      for (double real : spec.realMultipliers) {
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
    getOperation()->walk(
        [](Operation *op) { qnn::warnIfAccumulatorMayOverflow(op); });
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
                        qnn::MatmulOp, qnn::Conv2DOp, qnn::MatmulIntegerOp,
                        qnn::DynamicQuantizeOp, qnn::AddOp, qnn::MulOp,
                        quant::QuantizeCastOp, quant::DequantizeCastOp,
                        quant::StorageCastOp>();
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
