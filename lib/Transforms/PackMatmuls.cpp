//===- PackMatmuls.cpp - Pack constant matmul weights ---------------------===//
//
// qnn.matmul / qnn.conv2d / f32 linalg.matmul, batch_matmul, conv_2d and
// depthwise_conv_2d => qnn.packed_matmul: constant weights packed at compile
// time, run-time operands packed by generated copies; convolutions in the
// direct (window) or depthwise form where the channels allow, else via
// im2col (depthwise: left alone). See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Passes.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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

/// The i32 bias values, `n` zeros without a bias; none if it is not constant.
static std::optional<SmallVector<int64_t>> constantBiasOrZeros(Value bias,
                                                               int64_t n) {
  if (!bias)
    return SmallVector<int64_t>(n, 0);
  return constantStorage(bias);
}

/// The micro-kernel reads and writes 8-bit storage only.
static bool allEightBit(ArrayRef<quant::QuantizedType> types) {
  return llvm::all_of(types, [](quant::QuantizedType type) {
    return type.getStorageTypeIntegralWidth() == 8;
  });
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

/// The constants of an integer qnn.packed_matmul (see its description):
/// the weights W (K x N storage values, row-major) packed for vpdpbusd, and
/// the zero points, bias and +128 shifts folded into per-column terms.
struct QuantizedPacking {
  int64_t tiles, groups;
  SmallVector<int8_t> packed;
  // tiles x groups x 64 (VNNI); tiles x K x 16 (16-column panels of the
  // depthwise form, one weight per lane).
  SmallVector<int64_t, 3> packedShape;
  SmallVector<int32_t> offsets, rowFactors;
  SmallVector<double> multipliers;
  // Fixed-point mode: Q31 multipliers and shifts instead of `multipliers`.
  bool fixedPoint = false;
  SmallVector<int32_t> fixedMultipliers, shifts;
  bool anyWeightZeroPoint = false;
  bool lhsSignFlip, outputUnsigned;
  int64_t outputZeroPoint, lo, hi;
};

/// Packs W for lhs x W -> out with the given bias (one per column) and
/// output clamp, in VNNI groups or (`panels`) in 16-column panels; nullopt
/// when the clamp range is empty or (`fixedPoint`) a multiplier has no
/// fixed-point form.
static std::optional<QuantizedPacking>
packQuantized(quant::UniformQuantizedType lhsQ, quant::QuantizedType rhsQ,
              quant::UniformQuantizedType outQ, ArrayRef<int64_t> weights,
              ArrayRef<int64_t> bias, int64_t k, int64_t n,
              std::optional<int64_t> clampMin, std::optional<int64_t> clampMax,
              bool fixedPoint, bool panels = false) {
  QuantizedPacking p;
  p.fixedPoint = fixedPoint;
  p.lo = outQ.getStorageTypeMin();
  p.hi = outQ.getStorageTypeMax();
  if (clampMin)
    p.lo = std::max<int64_t>(p.lo, *clampMin);
  if (clampMax)
    p.hi = std::min<int64_t>(p.hi, *clampMax);
  if (p.lo > p.hi)
    return std::nullopt;
  p.lhsSignFlip = lhsQ.isSigned();
  p.outputUnsigned = !outQ.isSigned();
  p.outputZeroPoint = outQ.getZeroPoint();

  // Unsigned weights become s8 (w' = w - 128); the shift moves into the
  // weight zero point. Signed activations become u8 (a' = a + 128).
  int64_t weightShift = rhsQ.isSigned() ? 0 : 128;
  int64_t lhsShift = lhsQ.isSigned() ? 128 : 0;
  int64_t c = lhsShift + lhsQ.getZeroPoint(); // a - za = a' - c
  SmallVector<double> weightScales;
  SmallVector<int64_t> weightZps;
  channelParams(rhsQ, n, weightScales, weightZps);

  p.tiles = llvm::divideCeilSigned(n, kPanel);
  p.groups = llvm::divideCeilSigned(k, kGroup);
  int64_t paddedN = p.tiles * kPanel;
  p.packedShape =
      panels ? SmallVector<int64_t, 3>{p.tiles, k, kPanel}
             : SmallVector<int64_t, 3>{p.tiles, p.groups, kPanel * kGroup};
  p.packed.assign(p.tiles * p.groups * kPanel * kGroup, 0);
  p.offsets.assign(paddedN, 0);
  p.rowFactors.assign(paddedN, 0);
  p.multipliers.assign(paddedN, 0.0);
  for (int64_t col = 0; col < n; ++col) {
    int64_t zp = weightZps[col] - weightShift, columnSum = 0;
    for (int64_t row = 0; row < k; ++row) {
      int64_t w = weights[row * n + col] - weightShift;
      columnSum += w;
      int64_t t = col / kPanel, j = col % kPanel;
      int64_t g = row / kGroup, i = row % kGroup;
      int64_t at = panels ? (t * k + row) * kPanel + j
                          : ((t * p.groups + g) * kPanel + j) * kGroup + i;
      p.packed[at] = int8_t(w);
    }
    // acc = bias + sum (a' - c)(w' - zp)
    //     = sum a'w' - zp * R + [bias - c * colsum + K * c * zp]
    // in wrapping i32 arithmetic, as the reference lowering.
    int64_t offset = bias[col] - c * columnSum + k * c * zp;
    p.offsets[col] = int32_t(uint32_t(uint64_t(offset)));
    p.rowFactors[col] = int32_t(-zp);
    p.anyWeightZeroPoint |= zp != 0;
    p.multipliers[col] = matmulRequantizeMultiplier(
        lhsQ.getScale(), weightScales[col], outQ.getScale());
  }
  if (fixedPoint) {
    p.fixedMultipliers.assign(paddedN, 0);
    p.shifts.assign(paddedN, 0);
    for (int64_t col = 0; col < n; ++col) {
      // From the exact multiplier, as the reference lowering: the f32 one
      // of the float mode would round the Q31 value differently.
      auto fixed = decomposeMultiplier(matmulRealMultiplier(
          lhsQ.getScale(), weightScales[col], outQ.getScale()));
      if (!fixed) {
        llvm::consumeError(fixed.takeError());
        return std::nullopt;
      }
      p.fixedMultipliers[col] = fixed->multiplier;
      p.shifts[col] = fixed->shift;
    }
  }
  return p;
}

/// The integer qnn.packed_matmul of `packing` on storage integers (with a
/// convolution `window`, `lhs` is the padded input, already u8).
static Value createQuantizedPackedMatmul(PatternRewriter &rewriter,
                                         Location loc, Value lhs, Value init,
                                         const QuantizedPacking &p,
                                         DenseI64ArrayAttr window = {},
                                         DenseI64ArrayAttr strides = {},
                                         DenseI64ArrayAttr dilations = {},
                                         bool depthwise = false) {
  Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
  int64_t paddedN = p.tiles * kPanel;
  Value packedRhs =
      denseConstant<int8_t>(rewriter, loc, p.packedShape, i8,
                            ArrayRef<int8_t>(p.packed).take_front(
                                ShapedType::getNumElements(p.packedShape)));
  Value offsets =
      denseConstant<int32_t>(rewriter, loc, {paddedN}, i32, p.offsets);
  Value multipliers =
      p.fixedPoint
          ? denseConstant<int32_t>(rewriter, loc, {paddedN}, i32,
                                   p.fixedMultipliers)
          : denseConstant<double>(rewriter, loc, {paddedN},
                                  rewriter.getF64Type(), p.multipliers);
  Value shifts = p.fixedPoint ? denseConstant<int32_t>(rewriter, loc, {paddedN},
                                                       i32, p.shifts)
                              : Value();
  Value rowFactors =
      p.anyWeightZeroPoint
          ? denseConstant<int32_t>(rewriter, loc, {paddedN}, i32, p.rowFactors)
          : Value();
  return qnn::PackedMatmulOp::create(
             rewriter, loc, init.getType(), lhs, packedRhs, offsets,
             multipliers, shifts, rowFactors, init,
             /*lhs_sign_flip=*/p.lhsSignFlip && !window,
             /*output_unsigned=*/p.outputUnsigned,
             rewriter.getI64IntegerAttr(p.outputZeroPoint),
             rewriter.getI64IntegerAttr(p.lo), rewriter.getI64IntegerAttr(p.hi),
             window, strides, dilations, depthwise)
      .getResult();
}

/// The float packing of W (K x N, row-major) in 16-column panels:
/// packed[t, k, j] = W[k, 16t + j], zero beyond N.
static Value packFloat(PatternRewriter &rewriter, Location loc,
                       DenseFPElementsAttr weights, int64_t k, int64_t n) {
  int64_t tiles = llvm::divideCeilSigned(n, kPanel);
  SmallVector<float> packed(tiles * k * kPanel, 0.0f);
  auto values = weights.getValues<float>();
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col)
      packed[((col / kPanel) * k + row) * kPanel + col % kPanel] =
          values[row * n + col];
  return denseConstant<float>(rewriter, loc, {tiles, k, kPanel},
                              rewriter.getF32Type(), packed);
}

namespace {
/// qnn.matmul (8-bit, constant weights and bias) -> integer qnn.packed_matmul.
struct PackQuantizedMatmul : OpRewritePattern<qnn::MatmulOp> {
  PackQuantizedMatmul(MLIRContext *ctx, bool fixedPoint)
      : OpRewritePattern(ctx), fixedPoint(fixedPoint) {}

  LogicalResult matchAndRewrite(qnn::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType lhsType = op.getLhs().getType(),
                     rhsType = op.getRhs().getType(), resultType = op.getType();
    // Only the number of rows may be dynamic (a batch dimension).
    if (lhsType.isDynamicDim(1) || !rhsType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    auto lhsQ = cast<quant::UniformQuantizedType>(lhsType.getElementType());
    auto rhsQ = cast<quant::QuantizedType>(rhsType.getElementType());
    auto outQ = cast<quant::UniformQuantizedType>(resultType.getElementType());
    if (!allEightBit({lhsQ, rhsQ, outQ}))
      return rewriter.notifyMatchFailure(op, "not 8-bit");
    std::optional<SmallVector<int64_t>> weights = constantStorage(op.getRhs());
    if (!weights)
      return rewriter.notifyMatchFailure(op, "weights are not constant");
    int64_t k = lhsType.getDimSize(1), n = rhsType.getDimSize(1);
    std::optional<SmallVector<int64_t>> bias =
        constantBiasOrZeros(op.getBias(), n);
    if (!bias)
      return rewriter.notifyMatchFailure(op, "bias is not constant");
    std::optional<QuantizedPacking> packing =
        packQuantized(lhsQ, rhsQ, outQ, *weights, *bias, k, n, op.getClampMin(),
                      op.getClampMax(), fixedPoint);
    if (!packing)
      return rewriter.notifyMatchFailure(
          op, "empty clamp range or no fixed-point multiplier");

    Location loc = op.getLoc();
    Type i8 = rewriter.getI8Type();
    Value lhs = quant::StorageCastOp::create(
        rewriter, loc, RankedTensorType::get(lhsType.getShape(), i8),
        op.getLhs());
    SmallVector<OpFoldResult> initSizes{
        tensor::getMixedSize(rewriter, loc, lhs, 0), rewriter.getIndexAttr(n)};
    Value init = tensor::EmptyOp::create(rewriter, loc, initSizes, i8);
    Value product =
        createQuantizedPackedMatmul(rewriter, loc, lhs, init, *packing);
    // convert-qnn-to-linalg warns about the qnn ops it lowers; these it
    // will not see.
    qnn::warnIfAccumulatorMayOverflow(op);
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, resultType, product);
    return success();
  }

  bool fixedPoint;
};

/// The input's storage bytes padded with its zero point, as NHWC, with
/// the sign bit flipped when `flip` (s8 read as u8 + 128): one pass over
/// the input into the interior of a buffer filled with the padding.
static Value paddedUnsignedNhwc(PatternRewriter &rewriter, Location loc,
                                qnn::Conv2DOp op, bool nchw,
                                std::array<int64_t, 4> nhwc, bool flip) {
  auto [batch, h, w, c] = nhwc;
  Type i8 = rewriter.getI8Type();
  RankedTensorType inputType = op.getInput().getType();
  Value input = quant::StorageCastOp::create(
      rewriter, loc, RankedTensorType::get(inputType.getShape(), i8),
      op.getInput());
  ArrayRef<int64_t> pads = op.getPadding(); // top, left, bottom, right
  bool padded = llvm::any_of(pads, [](int64_t p) { return p != 0; });
  if (!padded && !flip && !nchw)
    return input;
  auto zp = cast<quant::UniformQuantizedType>(inputType.getElementType())
                .getZeroPoint();
  int8_t signBit = flip ? int8_t(0x80) : 0;
  SmallVector<int64_t> paddedShape{batch, h + pads[0] + pads[2],
                                   w + pads[1] + pads[3], c};
  Value buffer = tensor::EmptyOp::create(rewriter, loc, paddedShape, i8);
  if (padded) {
    Value fill = arith::ConstantOp::create(
        rewriter, loc, rewriter.getIntegerAttr(i8, int8_t(zp) ^ signBit));
    buffer = linalg::FillOp::create(rewriter, loc, fill, buffer).result();
  }
  SmallVector<OpFoldResult> offsets{
      rewriter.getIndexAttr(0), rewriter.getIndexAttr(pads[0]),
      rewriter.getIndexAttr(pads[1]), rewriter.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes, ones(4, rewriter.getIndexAttr(1));
  for (int64_t d : {batch, h, w, c})
    sizes.push_back(rewriter.getIndexAttr(d));
  Value interior = tensor::ExtractSliceOp::create(rewriter, loc, buffer,
                                                  offsets, sizes, ones);
  MLIRContext *ctx = rewriter.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(4, ctx);
  AffineMap read =
      nchw ? AffineMap::getPermutationMap(ArrayRef<unsigned>{0, 3, 1, 2}, ctx)
           : identity;
  Value sign = arith::ConstantOp::create(rewriter, loc,
                                         rewriter.getI8IntegerAttr(signBit));
  Value copied =
      linalg::GenericOp::create(
          rewriter, loc, interior.getType(), ValueRange{input},
          ValueRange{interior}, ArrayRef<AffineMap>{read, identity},
          SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value v =
                flip ? arith::XOrIOp::create(nb, l, args[0], sign).getResult()
                     : args[0];
            linalg::YieldOp::create(nb, l, v);
          })
          .getResult(0);
  return tensor::InsertSliceOp::create(rewriter, loc, copied, buffer, offsets,
                                       sizes, ones);
}

/// The types and constant filter storage values of a qnn.conv2d with static
/// input and result shapes and 8-bit storage throughout, the only ones the
/// packed forms take.
struct ConvTypes {
  RankedTensorType input, filter, result;
  quant::UniformQuantizedType inQ;
  quant::QuantizedType wQ;
  quant::UniformQuantizedType outQ;
  SmallVector<int64_t> filterValues;
};
static FailureOr<ConvTypes> matchStaticEightBitConv(qnn::Conv2DOp op,
                                                    PatternRewriter &rewriter) {
  ConvTypes t{op.getInput().getType(),
              op.getFilter().getType(),
              op.getType(),
              {},
              {},
              {},
              {}};
  if (!t.input.hasStaticShape() || !t.result.hasStaticShape())
    return rewriter.notifyMatchFailure(op, "dynamic shapes");
  t.inQ = cast<quant::UniformQuantizedType>(t.input.getElementType());
  t.wQ = cast<quant::QuantizedType>(t.filter.getElementType());
  t.outQ = cast<quant::UniformQuantizedType>(t.result.getElementType());
  if (!allEightBit({t.inQ, t.wQ, t.outQ}))
    return rewriter.notifyMatchFailure(op, "not 8-bit");
  std::optional<SmallVector<int64_t>> filter = constantStorage(op.getFilter());
  if (!filter)
    return rewriter.notifyMatchFailure(op, "filter is not constant");
  t.filterValues = std::move(*filter);
  return t;
}

/// qnn.conv2d (NHWC/HWCF or NCHW/FCHW, 8-bit, constant filter) -> the
/// convolution form of qnn.packed_matmul on the input padded with its zero
/// point (and turned to u8, NHWC, in the same copy); where that form does
/// not apply (channels not a multiple of 4, filter zero points), im2col of
/// the input and a qnn.matmul that PackQuantizedMatmul then packs. Same sums,
/// same requantize: bit-identical either way.
struct PackQuantizedConv2D : OpRewritePattern<qnn::Conv2DOp> {
  PackQuantizedConv2D(MLIRContext *ctx, bool fixedPoint)
      : OpRewritePattern(ctx), fixedPoint(fixedPoint) {}

  LogicalResult matchAndRewrite(qnn::Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    StringRef layout = op.getLayout();
    if (layout != "nhwc_hwcf" && layout != "nchw_fchw")
      return rewriter.notifyMatchFailure(op, "depthwise: its own pattern");
    bool nchw = layout == "nchw_fchw";
    FailureOr<ConvTypes> types = matchStaticEightBitConv(op, rewriter);
    if (failed(types))
      return failure();
    auto [inputType, filterType, resultType, inQ, wQ, outQ, filter] = *types;

    qnn::Conv2DOp::Dims dims = *qnn::Conv2DOp::getDims(layout);
    ArrayRef<int64_t> in = inputType.getShape(), fs = filterType.getShape(),
                      out = resultType.getShape();
    Geometry g{in[0],
               in[dims.inputH],
               in[dims.inputW],
               in[dims.inputC],
               fs[dims.filterH],
               fs[dims.filterW],
               fs[dims.filterOut],
               out[dims.resultH],
               out[dims.resultW]};
    int64_t depth = g.kh * g.kw * g.c;

    // Filter as depth x F, depth ordered (kh, kw, c) as the im2col columns.
    SmallVector<int64_t> flat(depth * g.f);
    for (int64_t y = 0; y < g.kh; ++y)
      for (int64_t x = 0; x < g.kw; ++x)
        for (int64_t ci = 0; ci < g.c; ++ci)
          for (int64_t fo = 0; fo < g.f; ++fo) {
            int64_t source = nchw ? ((fo * g.c + ci) * g.kh + y) * g.kw + x
                                  : ((y * g.kw + x) * g.c + ci) * g.f + fo;
            flat[((y * g.kw + x) * g.c + ci) * g.f + fo] = filter[source];
          }
    std::optional<SmallVector<int64_t>> bias =
        constantBiasOrZeros(op.getBias(), g.f);
    if (!bias)
      return rewriter.notifyMatchFailure(op, "bias is not constant");
    std::optional<QuantizedPacking> packing =
        packQuantized(inQ, wQ, outQ, flat, *bias, depth, g.f, op.getClampMin(),
                      op.getClampMax(), fixedPoint);
    if (!packing)
      return rewriter.notifyMatchFailure(
          op, "empty clamp range or no fixed-point multiplier");

    Location loc = op.getLoc();
    Value y = g.c % kGroup == 0 && !packing->anyWeightZeroPoint
                  ? direct(rewriter, loc, op, nchw, g, *packing)
                  : viaIm2col(rewriter, loc, op, nchw, g, flat, wQ);
    if (nchw) {
      Value empty = tensor::EmptyOp::create(
          rewriter, loc, SmallVector<int64_t>{g.batch, g.f, g.oh, g.ow},
          rewriter.getI8Type());
      y = linalg::TransposeOp::create(rewriter, loc, y, empty,
                                      ArrayRef<int64_t>{0, 3, 1, 2})
              .getResult()[0];
    }
    qnn::warnIfAccumulatorMayOverflow(op);
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, resultType, y);
    return success();
  }

private:
  struct Geometry {
    int64_t batch, h, w, c, kh, kw, f, oh, ow;
  };

  /// The convolution form of qnn.packed_matmul; N x OH x OW x F storage.
  static Value direct(PatternRewriter &rewriter, Location loc, qnn::Conv2DOp op,
                      bool nchw, const Geometry &g,
                      const QuantizedPacking &packing) {
    Value input = paddedUnsignedNhwc(
        rewriter, loc, op, nchw, {g.batch, g.h, g.w, g.c}, packing.lhsSignFlip);
    Value init = tensor::EmptyOp::create(
        rewriter, loc, SmallVector<int64_t>{g.batch, g.oh, g.ow, g.f},
        rewriter.getI8Type());
    return createQuantizedPackedMatmul(
        rewriter, loc, input, init, packing,
        rewriter.getDenseI64ArrayAttr({g.kh, g.kw}), op.getStridesAttr(),
        op.getDilationsAttr());
  }

  /// im2col and a qnn.matmul; N x OH x OW x F storage.
  static Value viaIm2col(PatternRewriter &rewriter, Location loc,
                         qnn::Conv2DOp op, bool nchw, const Geometry &g,
                         ArrayRef<int64_t> flat, quant::QuantizedType wQ) {
    int64_t rows = g.batch * g.oh * g.ow, depth = g.kh * g.kw * g.c;
    auto inQ = cast<quant::UniformQuantizedType>(
        op.getInput().getType().getElementType());
    auto outQ =
        cast<quant::UniformQuantizedType>(op.getType().getElementType());
    Type flatQ = wQ;
    if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(wQ))
      flatQ = quant::UniformQuantizedPerAxisType::get(
          perAxis.getFlags(), perAxis.getStorageType(),
          perAxis.getExpressedType(), perAxis.getScales(),
          perAxis.getZeroPoints(), /*quantizedDimension=*/1,
          perAxis.getStorageTypeMin(), perAxis.getStorageTypeMax());
    Type i8 = rewriter.getI8Type();
    Value columns =
        im2col(rewriter, loc, op, nchw, {g.batch, g.h, g.w, g.c}, {g.kh, g.kw},
               {g.oh, g.ow}, int8_t(inQ.getZeroPoint()));
    Value lhs = quant::StorageCastOp::create(
        rewriter, loc, RankedTensorType::get({rows, depth}, inQ), columns);
    SmallVector<int8_t> bytes(flat.begin(), flat.end());
    Value rhs = quant::StorageCastOp::create(
        rewriter, loc, RankedTensorType::get({depth, g.f}, flatQ),
        denseConstant<int8_t>(rewriter, loc, {depth, g.f}, i8, bytes));
    Value product = qnn::MatmulOp::create(
        rewriter, loc, RankedTensorType::get({rows, g.f}, outQ), lhs, rhs,
        op.getBias(), op.getClampMinAttr(), op.getClampMaxAttr());

    // rows x F -> N x OH x OW x F, on storage integers.
    Value y = quant::StorageCastOp::create(
        rewriter, loc, RankedTensorType::get({rows, g.f}, i8), product);
    return tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({g.batch, g.oh, g.ow, g.f}, i8), y,
        SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
  }

  /// columns[(n, oy, ox), (ky, kx, ci)] = padded[n, oy * sy + ky * dy,
  /// ox * sx + kx * dx, ci] (NCHW: padded[n, ci, ...]), where `padded` is the
  /// input padded with its zero point. Built as an N x OH x OW x KH x KW x C
  /// copy with affine indexing (no division per element; the C loop reads
  /// contiguous NHWC bytes), then collapsed to rows x depth.
  static Value im2col(PatternRewriter &rewriter, Location loc, qnn::Conv2DOp op,
                      bool nchw, std::array<int64_t, 4> nhwc,
                      std::array<int64_t, 2> k, std::array<int64_t, 2> o,
                      int8_t zeroPoint) {
    auto [batch, h, w, c] = nhwc;
    Type i8 = rewriter.getI8Type();
    Value input = quant::StorageCastOp::create(
        rewriter, loc,
        RankedTensorType::get(op.getInput().getType().getShape(), i8),
        op.getInput());
    ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations(),
                      padding = op.getPadding(); // top, left, bottom, right
    int64_t hAxis = nchw ? 2 : 1, wAxis = nchw ? 3 : 2;
    if (llvm::any_of(padding, [](int64_t p) { return p != 0; })) {
      SmallVector<OpFoldResult> low(4, rewriter.getIndexAttr(0)), high = low;
      low[hAxis] = rewriter.getIndexAttr(padding[0]);
      low[wAxis] = rewriter.getIndexAttr(padding[1]);
      high[hAxis] = rewriter.getIndexAttr(padding[2]);
      high[wAxis] = rewriter.getIndexAttr(padding[3]);
      Value zp = arith::ConstantOp::create(
          rewriter, loc, rewriter.getIntegerAttr(i8, zeroPoint));
      input =
          tensor::PadOp::create(rewriter, loc, Type(), input, low, high, zp);
    }
    // Iteration space (n, oy, ox, ky, kx, ci).
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr n, oy, ox, ky, kx, ci;
    bindDims(ctx, n, oy, ox, ky, kx, ci);
    AffineExpr iy = oy * strides[0] + ky * dilations[0];
    AffineExpr ix = ox * strides[1] + kx * dilations[1];
    AffineMap read = AffineMap::get(6, 0,
                                    nchw ? ArrayRef<AffineExpr>{n, ci, iy, ix}
                                         : ArrayRef<AffineExpr>{n, iy, ix, ci},
                                    ctx);
    AffineMap write = AffineMap::getMultiDimIdentityMap(6, ctx);
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, SmallVector<int64_t>{batch, o[0], o[1], k[0], k[1], c},
        i8);
    Value patches =
        linalg::GenericOp::create(
            rewriter, loc, empty.getType(), ValueRange{input},
            ValueRange{empty}, ArrayRef<AffineMap>{read, write},
            SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
            [](OpBuilder &nb, Location l, ValueRange args) {
              linalg::YieldOp::create(nb, l, args[0]);
            })
            .getResult(0);
    return tensor::CollapseShapeOp::create(
        rewriter, loc, patches,
        SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
  }

  bool fixedPoint;
};

/// A linalg convolution's strides or dilations (a dense i64 tensor
/// attribute) as qnn.packed_matmul takes them.
static DenseI64ArrayAttr asArrayAttr(PatternRewriter &rewriter,
                                     DenseIntElementsAttr values) {
  return rewriter.getDenseI64ArrayAttr(
      llvm::to_vector(values.getValues<int64_t>()));
}

/// The constant weights (second input) of an f32 linalg matmul or
/// convolution on tensors whose first input and init are f32 too.
static FailureOr<DenseFPElementsAttr>
matchFloatConstantWeights(linalg::LinalgOp op, PatternRewriter &rewriter) {
  if (!op.hasPureTensorSemantics())
    return rewriter.notifyMatchFailure(op, "not on tensors");
  DenseFPElementsAttr weights;
  if (!matchPattern(op.getDpsInputs()[1], m_Constant(&weights)))
    return rewriter.notifyMatchFailure(op, "weights are not constant");
  if (!getElementTypeOrSelf(op.getDpsInputs()[0]).isF32() ||
      !weights.getElementType().isF32() ||
      !getElementTypeOrSelf(op.getDpsInits()[0]).isF32())
    return rewriter.notifyMatchFailure(op, "not f32");
  return weights;
}

/// Depthwise qnn.conv2d (NHWC/HWC, 8-bit, constant filter, channels a
/// multiple of 16, no filter zero points) -> the depthwise form of
/// qnn.packed_matmul on the input padded with its zero point and turned to
/// u8 in one copy. The filter is the (KH * KW) x C matrix of a matmul whose
/// columns are the channels, so the requantize terms are the matmul's.
struct PackQuantizedDepthwiseConv2D : OpRewritePattern<qnn::Conv2DOp> {
  PackQuantizedDepthwiseConv2D(MLIRContext *ctx, bool fixedPoint)
      : OpRewritePattern(ctx), fixedPoint(fixedPoint) {}

  LogicalResult matchAndRewrite(qnn::Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getLayout() != "nhwc_hwc")
      return rewriter.notifyMatchFailure(op, "not depthwise");
    FailureOr<ConvTypes> types = matchStaticEightBitConv(op, rewriter);
    if (failed(types))
      return failure();
    auto [inputType, filterType, resultType, inQ, wQ, outQ, filter] = *types;
    ArrayRef<int64_t> in = inputType.getShape(), fs = filterType.getShape(),
                      out = resultType.getShape();
    int64_t channels = in[3], positions = fs[0] * fs[1];
    if (channels % kPanel != 0)
      return rewriter.notifyMatchFailure(op, "channels not a multiple of 16");
    std::optional<SmallVector<int64_t>> bias =
        constantBiasOrZeros(op.getBias(), channels);
    if (!bias)
      return rewriter.notifyMatchFailure(op, "bias is not constant");
    // HWC filter values in row-major order are W[ky * KW + kx, c] already.
    std::optional<QuantizedPacking> packing = packQuantized(
        inQ, wQ, outQ, filter, *bias, positions, channels, op.getClampMin(),
        op.getClampMax(), fixedPoint, /*panels=*/true);
    if (!packing)
      return rewriter.notifyMatchFailure(
          op, "empty clamp range or no fixed-point multiplier");
    if (packing->anyWeightZeroPoint)
      return rewriter.notifyMatchFailure(op, "filter zero points");

    Location loc = op.getLoc();
    Value input = paddedUnsignedNhwc(rewriter, loc, op, /*nchw=*/false,
                                     {in[0], in[1], in[2], channels},
                                     packing->lhsSignFlip);
    Value init =
        tensor::EmptyOp::create(rewriter, loc, out, rewriter.getI8Type());
    Value y = createQuantizedPackedMatmul(
        rewriter, loc, input, init, *packing,
        rewriter.getDenseI64ArrayAttr({fs[0], fs[1]}), op.getStridesAttr(),
        op.getDilationsAttr(), /*depthwise=*/true);
    qnn::warnIfAccumulatorMayOverflow(op);
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, resultType, y);
    return success();
  }

  bool fixedPoint;
};

/// Whether `value` is a linalg.fill of the integer 0.
static bool isIntegerZeroFill(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_Zero());
}

/// `op` (an integer matmul of `lhs` i8 and constant i8 `weights` K x N into
/// zeros, signed, with zero points `za` and `zb`) -> the accumulator form of
/// qnn.packed_matmul: the same i32 sums on the VNNI kernels. The +128 that
/// turns the activations into u8 and the zero points move into the column
/// offsets (and row-sum factors when zb != 0), as for qnn.matmul.
static LogicalResult packAsAccumulator(PatternRewriter &rewriter, Operation *op,
                                       Value lhs, DenseIntElementsAttr weights,
                                       int64_t za, int64_t zb) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  if (lhsType.isDynamicDim(1))
    return rewriter.notifyMatchFailure(op, "dynamic K");
  if (za < -128 || za > 127 || zb < -128 || zb > 127)
    return rewriter.notifyMatchFailure(op, "zero point outside i8");
  int64_t k = weights.getType().getDimSize(0),
          n = weights.getType().getDimSize(1);
  SmallVector<int64_t> values;
  for (const APInt &w : weights.getValues<APInt>())
    values.push_back(w.getSExtValue());
  // Unit scales: the requantize terms are unused.
  MLIRContext *ctx = rewriter.getContext();
  auto type = [&](int64_t zp) {
    return quant::UniformQuantizedType::get(
        quant::QuantizationFlags::Signed, IntegerType::get(ctx, 8),
        Float32Type::get(ctx), 1.0, zp, -128, 127);
  };
  std::optional<QuantizedPacking> p = packQuantized(
      type(za), type(zb), type(0), values, SmallVector<int64_t>(n, 0), k, n,
      std::nullopt, std::nullopt, /*fixedPoint=*/false);
  if (!p)
    return failure();
  Location loc = op->getLoc();
  Type i32 = rewriter.getI32Type();
  int64_t paddedN = p->tiles * kPanel;
  Value packedRhs =
      denseConstant<int8_t>(rewriter, loc, p->packedShape, rewriter.getI8Type(),
                            ArrayRef<int8_t>(p->packed).take_front(
                                ShapedType::getNumElements(p->packedShape)));
  Value offsets =
      denseConstant<int32_t>(rewriter, loc, {paddedN}, i32, p->offsets);
  Value rowFactors =
      p->anyWeightZeroPoint
          ? denseConstant<int32_t>(rewriter, loc, {paddedN}, i32, p->rowFactors)
          : Value();
  SmallVector<OpFoldResult> sizes{tensor::getMixedSize(rewriter, loc, lhs, 0),
                                  rewriter.getIndexAttr(n)};
  Value init = tensor::EmptyOp::create(rewriter, loc, sizes, i32);
  rewriter.replaceOpWithNewOp<qnn::PackedMatmulOp>(
      op, init.getType(), lhs, packedRhs, offsets, /*multipliers=*/Value(),
      /*shifts=*/Value(), rowFactors, init,
      /*lhs_sign_flip=*/true, /*output_unsigned=*/false, IntegerAttr(),
      IntegerAttr(), IntegerAttr(), DenseI64ArrayAttr(), DenseI64ArrayAttr(),
      DenseI64ArrayAttr(), /*depthwise=*/false);
  return success();
}

/// The constant i8 weights of an integer matmul with an i8 lhs and an i32
/// init of zeros.
static DenseIntElementsAttr integerMatmulWeights(linalg::LinalgOp op) {
  auto lhsType = cast<RankedTensorType>(op.getDpsInputs()[0].getType());
  auto initType = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  DenseIntElementsAttr weights;
  if (!op.hasPureTensorSemantics() || !lhsType.getElementType().isInteger(8) ||
      !initType.getElementType().isInteger(32) ||
      !matchPattern(op.getDpsInputs()[1], m_Constant(&weights)) ||
      !weights.getElementType().isInteger(8) ||
      !isIntegerZeroFill(op.getDpsInits()[0]))
    return {};
  return weights;
}

/// An already-integer linalg.matmul, i8 x constant i8 -> i32 into zeros
/// (signed, linalg's default cast) -> the accumulator form.
struct PackIntegerMatmul : OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (op.hasUserDefinedMaps() || op.getCast() != linalg::TypeFn::cast_signed)
      return rewriter.notifyMatchFailure(op, "not a plain signed matmul");
    DenseIntElementsAttr weights = integerMatmulWeights(op);
    if (!weights)
      return rewriter.notifyMatchFailure(
          op, "not i8 x constant i8 -> i32 into zeros");
    return packAsAccumulator(rewriter, op, op.getInputs()[0], weights, 0, 0);
  }
};

/// Upstream's linalg.quantized_matmul with constant zero points, the same
/// way: sum (a - za)(w - zb) in i32.
struct PackQuantizedLinalgMatmul : OpRewritePattern<linalg::QuantizedMatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::QuantizedMatmulOp op,
                                PatternRewriter &rewriter) const override {
    DenseIntElementsAttr weights = integerMatmulWeights(op);
    IntegerAttr za, zb;
    if (!weights || !matchPattern(op.getInputs()[2], m_Constant(&za)) ||
        !matchPattern(op.getInputs()[3], m_Constant(&zb)))
      return rewriter.notifyMatchFailure(
          op, "not i8 x constant i8 -> i32 into zeros, constant zero points");
    return packAsAccumulator(rewriter, op, op.getInputs()[0], weights,
                             za.getInt(), zb.getInt());
  }
};

/// `v` as signless bytes: a no-op for i8, a bitcast for ui8 (the storage
/// bits are the same; the packed kernels and arith take signless types).
static Value asSignlessBytes(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType().isSignlessInteger())
    return v;
  return tensor::BitcastOp::create(b, loc, type.clone(b.getI8Type()), v);
}

/// qnn.matmul_integer with constant weights and a run-time lhs zero point
/// (dynamic quantization) -> the accumulator form. With a = a' - s (s = 128
/// for a signed lhs, read as u8 by the kernel) and w = w' + t (t = 128 for
/// unsigned weights, packed as s8), c = s + za and z = zb - t:
///   sum (a - za)(w - zb) = sum a'w' - z * R[m] + c * (K * z - colsum'[n])
/// so the column offsets are c times a constant, computed per call.
struct PackDynamicMatmulInteger : OpRewritePattern<qnn::MatmulIntegerOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnn::MatmulIntegerOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType lhsType = op.getLhs().getType(),
                     rhsType = op.getRhs().getType();
    if (lhsType.isDynamicDim(1) || !rhsType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic K or N");
    DenseIntElementsAttr weights;
    if (!matchPattern(op.getRhs(), m_Constant(&weights)))
      return rewriter.notifyMatchFailure(op, "weights are not constant");
    bool lhsSigned = !lhsType.getElementType().isUnsignedInteger();
    bool rhsUnsigned = rhsType.getElementType().isUnsignedInteger();
    int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
    int64_t tiles = llvm::divideCeilSigned(n, kPanel);
    int64_t groups = llvm::divideCeilSigned(k, kGroup);
    int64_t paddedN = tiles * kPanel;
    int64_t t = rhsUnsigned ? 128 : 0;
    int64_t z = op.getRhsZeroPointAttr().getInt() - t;

    SmallVector<int8_t> packed(tiles * groups * kPanel * kGroup, 0);
    SmallVector<int32_t> perZeroPoint(paddedN, 0), rowFactors(paddedN, 0);
    auto values = weights.getValues<APInt>();
    for (int64_t col = 0; col < n; ++col) {
      int64_t columnSum = 0;
      for (int64_t row = 0; row < k; ++row) {
        const APInt &raw = values[row * n + col];
        int64_t w =
            (rhsUnsigned ? int64_t(raw.getZExtValue()) : raw.getSExtValue()) -
            t;
        columnSum += w;
        int64_t g = row / kGroup, i = row % kGroup;
        packed[(((col / kPanel) * groups + g) * kPanel + col % kPanel) *
                   kGroup +
               i] = int8_t(w);
      }
      perZeroPoint[col] = int32_t(k * z - columnSum);
      rowFactors[col] = int32_t(-z);
    }

    Location loc = op.getLoc();
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
    Value packedRhs = denseConstant<int8_t>(
        rewriter, loc, {tiles, groups, kPanel * kGroup}, i8, packed);
    // c = s + za, at run time; offsets[n] = c * (K * z - colsum'[n]).
    Value zp = tensor::ExtractOp::create(
        rewriter, loc, asSignlessBytes(rewriter, loc, op.getLhsZeroPoint()),
        ValueRange{});
    Value c = lhsSigned
                  ? arith::ExtSIOp::create(rewriter, loc, i32, zp).getResult()
                  : arith::ExtUIOp::create(rewriter, loc, i32, zp).getResult();
    if (lhsSigned)
      c = arith::AddIOp::create(
          rewriter, loc, c,
          arith::ConstantOp::create(rewriter, loc,
                                    rewriter.getI32IntegerAttr(128)));
    AffineMap identity = rewriter.getMultiDimIdentityMap(1);
    Value offsets =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{RankedTensorType::get({paddedN}, i32)},
            ValueRange{denseConstant<int32_t>(rewriter, loc, {paddedN}, i32,
                                              perZeroPoint)},
            ValueRange{tensor::EmptyOp::create(rewriter, loc, {paddedN}, i32)},
            ArrayRef<AffineMap>{identity, identity},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  b, l, arith::MulIOp::create(b, l, args[0], c).getResult());
            })
            .getResult(0);
    Value rowSums = z != 0 ? denseConstant<int32_t>(rewriter, loc, {paddedN},
                                                    i32, rowFactors)
                           : Value();
    Value lhs = asSignlessBytes(rewriter, loc, op.getLhs());
    SmallVector<OpFoldResult> sizes{tensor::getMixedSize(rewriter, loc, lhs, 0),
                                    rewriter.getIndexAttr(n)};
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes, i32);
    // convert-qnn-to-linalg will not see it.
    qnn::warnIfAccumulatorMayOverflow(op);
    rewriter.replaceOpWithNewOp<qnn::PackedMatmulOp>(
        op, init.getType(), lhs, packedRhs, offsets, /*multipliers=*/Value(),
        /*shifts=*/Value(), rowSums, init, /*lhs_sign_flip=*/lhsSigned,
        /*output_unsigned=*/false, IntegerAttr(), IntegerAttr(), IntegerAttr(),
        DenseI64ArrayAttr(), DenseI64ArrayAttr(), DenseI64ArrayAttr(),
        /*depthwise=*/false);
    return success();
  }
};

/// f32 linalg.matmul with constant weights -> float qnn.packed_matmul.
struct PackFloatMatmul : OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (op.hasUserDefinedMaps())
      return rewriter.notifyMatchFailure(op, "not a plain matmul");
    FailureOr<DenseFPElementsAttr> weights =
        matchFloatConstantWeights(op, rewriter);
    if (failed(weights))
      return failure();
    Value lhs = op.getInputs()[0], init = op.getDpsInits()[0];
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto initType = cast<RankedTensorType>(init.getType());
    if (lhsType.isDynamicDim(1) || initType.isDynamicDim(1))
      return rewriter.notifyMatchFailure(op, "K or N is dynamic");

    int64_t k = lhsType.getDimSize(1), n = initType.getDimSize(1);
    Value packedRhs = packFloat(rewriter, op.getLoc(), *weights, k, n);
    rewriter.replaceOpWithNewOp<qnn::PackedMatmulOp>(op, lhs, packedRhs, init);
    return success();
  }
};

/// f32 linalg.conv_2d_nhwc_hwcf with a constant filter -> the convolution
/// form of the float qnn.packed_matmul (the filter is the K x F matrix of
/// the im2col view already, K ordered (kh, kw, c)).
struct PackFloatConv2D : OpRewritePattern<linalg::Conv2DNhwcHwcfOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNhwcHwcfOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<DenseFPElementsAttr> filter =
        matchFloatConstantWeights(op, rewriter);
    if (failed(filter))
      return failure();
    Value input = op.getInputs()[0], init = op.getDpsInits()[0];
    if (!cast<ShapedType>(input.getType()).hasStaticShape() ||
        !cast<ShapedType>(init.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    ArrayRef<int64_t> fs = filter->getType().getShape();
    if (llvm::is_contained(fs, 0))
      return rewriter.notifyMatchFailure(op, "empty filter");
    Value packedRhs =
        packFloat(rewriter, op.getLoc(), *filter, fs[0] * fs[1] * fs[2], fs[3]);
    rewriter.replaceOpWithNewOp<qnn::PackedMatmulOp>(
        op, input, packedRhs, init,
        rewriter.getDenseI64ArrayAttr({fs[0], fs[1]}),
        asArrayAttr(rewriter, op.getStrides()),
        asArrayAttr(rewriter, op.getDilations()));
    return success();
  }
};

/// f32 linalg.depthwise_conv_2d_nhwc_hwc with a constant filter and a
/// multiple of 16 channels -> the depthwise form of the float
/// qnn.packed_matmul (the HWC filter is the (KH * KW) x C matrix).
struct PackFloatDepthwiseConv2D
    : OpRewritePattern<linalg::DepthwiseConv2DNhwcHwcOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::DepthwiseConv2DNhwcHwcOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<DenseFPElementsAttr> filter =
        matchFloatConstantWeights(op, rewriter);
    if (failed(filter))
      return failure();
    Value input = op.getInputs()[0], init = op.getDpsInits()[0];
    auto inputType = cast<ShapedType>(input.getType());
    if (!inputType.hasStaticShape() ||
        !cast<ShapedType>(init.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    ArrayRef<int64_t> fs = filter->getType().getShape();
    if (llvm::is_contained(fs, 0))
      return rewriter.notifyMatchFailure(op, "empty filter");
    if (fs[2] % kPanel != 0)
      return rewriter.notifyMatchFailure(op, "channels not a multiple of 16");
    Value packedRhs =
        packFloat(rewriter, op.getLoc(), *filter, fs[0] * fs[1], fs[2]);
    rewriter.replaceOpWithNewOp<qnn::PackedMatmulOp>(
        op, input, packedRhs, init,
        rewriter.getDenseI64ArrayAttr({fs[0], fs[1]}),
        asArrayAttr(rewriter, op.getStrides()),
        asArrayAttr(rewriter, op.getDilations()),
        /*depthwise=*/true);
    return success();
  }
};

/// f32 linalg.batch_matmul (plain, or reading the right operand transposed as
/// attention's Q K^T does) -> the right operand packed at run time into
/// 16-column panels, then one float qnn.packed_matmul per batch.
struct PackFloatBatchMatmul : OpRewritePattern<linalg::BatchMatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::BatchMatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not on tensors");
    MLIRContext *ctx = op.getContext();
    AffineExpr b, m, n, k;
    bindDims(ctx, b, m, n, k);
    auto maps = op.getIndexingMapsArray();
    auto map = [&](ArrayRef<AffineExpr> results) {
      return AffineMap::get(4, 0, results, ctx);
    };
    if (maps[0] != map({b, m, k}) || maps[2] != map({b, m, n}))
      return rewriter.notifyMatchFailure(op, "unsupported indexing maps");
    bool transposed = maps[1] == map({b, n, k});
    if (!transposed && maps[1] != map({b, k, n}))
      return rewriter.notifyMatchFailure(op, "unsupported indexing maps");
    Value lhs = op.getInputs()[0], rhs = op.getInputs()[1],
          init = op.getDpsInits()[0];
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    auto initType = cast<RankedTensorType>(init.getType());
    for (RankedTensorType type : {lhsType, rhsType, initType})
      if (!type.getElementType().isF32() || !type.hasStaticShape())
        return rewriter.notifyMatchFailure(op, "not f32 with static shapes");

    Location loc = op.getLoc();
    int64_t batch = lhsType.getDimSize(0), rows = lhsType.getDimSize(1),
            depth = lhsType.getDimSize(2), cols = initType.getDimSize(2);
    int64_t tiles = llvm::divideCeilSigned(cols, kPanel);
    Type f32 = rewriter.getF32Type();
    Value packed = packAtRunTime(rewriter, loc, rhs, transposed, batch, tiles,
                                 depth, cols);

    // One packed matmul per batch, on slices of the same buffers.
    auto index = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    auto loop = scf::ForOp::create(
        rewriter, loc, index(0), index(batch), index(1), ValueRange{init},
        [&](OpBuilder &nb, Location l, Value i, ValueRange iterArgs) {
          SmallVector<OpFoldResult> ones(3, nb.getIndexAttr(1));
          auto slice = [&](Value source, ArrayRef<int64_t> shape) {
            SmallVector<OpFoldResult> offsets(shape.size(), nb.getIndexAttr(0));
            offsets[0] = i;
            SmallVector<OpFoldResult> sizes{nb.getIndexAttr(1)};
            for (int64_t d : shape.drop_front())
              sizes.push_back(nb.getIndexAttr(d));
            auto type = RankedTensorType::get(shape.drop_front(), f32);
            return tensor::ExtractSliceOp::create(
                nb, l, type, source, offsets, sizes,
                SmallVector<OpFoldResult>(shape.size(), nb.getIndexAttr(1)));
          };
          Value a = slice(lhs, {batch, rows, depth});
          Value w = slice(packed, {batch, tiles, depth, kPanel});
          Value c = slice(iterArgs[0], {batch, rows, cols});
          Value y = qnn::PackedMatmulOp::create(nb, l, a, w, c).getResult();
          SmallVector<OpFoldResult> offsets(3, nb.getIndexAttr(0));
          offsets[0] = i;
          SmallVector<OpFoldResult> sizes{
              nb.getIndexAttr(1), nb.getIndexAttr(rows), nb.getIndexAttr(cols)};
          Value updated = tensor::InsertSliceOp::create(nb, l, y, iterArgs[0],
                                                        offsets, sizes, ones);
          scf::YieldOp::create(nb, l, updated);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }

  /// packed[b, t, k, j] = rhs[b, k, 16t + j] (rhs[b, 16t + j, k] when
  /// transposed), zero beyond the last column.
  static Value packAtRunTime(PatternRewriter &rewriter, Location loc, Value rhs,
                             bool transposed, int64_t batch, int64_t tiles,
                             int64_t depth, int64_t cols) {
    Type f32 = rewriter.getF32Type();
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, SmallVector<int64_t>{batch, tiles, depth, kPanel}, f32);
    MLIRContext *ctx = rewriter.getContext();
    auto identity = AffineMap::getMultiDimIdentityMap(4, ctx);
    auto parallel =
        SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel);
    if (cols % kPanel == 0) {
      // No padding columns: a plain copy with affine indexing.
      AffineExpr b, t, k, j;
      bindDims(ctx, b, t, k, j);
      AffineExpr col = t * kPanel + j;
      auto read = AffineMap::get(4, 0,
                                 transposed ? ArrayRef<AffineExpr>{b, col, k}
                                            : ArrayRef<AffineExpr>{b, k, col},
                                 ctx);
      return linalg::GenericOp::create(
                 rewriter, loc, empty.getType(), ValueRange{rhs},
                 ValueRange{empty}, ArrayRef<AffineMap>{read, identity},
                 parallel,
                 [](OpBuilder &nb, Location l, ValueRange args) {
                   linalg::YieldOp::create(nb, l, args[0]);
                 })
          .getResult(0);
    }
    return linalg::GenericOp::create(
               rewriter, loc, empty.getType(), ValueRange{}, ValueRange{empty},
               ArrayRef<AffineMap>{identity},
               SmallVector<utils::IteratorType>(4,
                                                utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location l, ValueRange) {
                 Value b = linalg::IndexOp::create(nb, l, 0);
                 Value t = linalg::IndexOp::create(nb, l, 1);
                 Value k = linalg::IndexOp::create(nb, l, 2);
                 Value j = linalg::IndexOp::create(nb, l, 3);
                 auto c = [&](int64_t v) {
                   return arith::ConstantIndexOp::create(nb, l, v);
                 };
                 Value col = arith::AddIOp::create(
                     nb, l, arith::MulIOp::create(nb, l, t, c(kPanel)), j);
                 Value inside = arith::CmpIOp::create(
                     nb, l, arith::CmpIPredicate::ult, col, c(cols));
                 // Clamped, so that the read stays in bounds; the select
                 // zeroes the padding.
                 Value safeCol =
                     arith::MinUIOp::create(nb, l, col, c(cols - 1));
                 SmallVector<Value> indices =
                     transposed ? SmallVector<Value>{b, safeCol, k}
                                : SmallVector<Value>{b, k, safeCol};
                 Value v = tensor::ExtractOp::create(nb, l, rhs, indices);
                 Value zero = arith::ConstantOp::create(
                     nb, l, nb.getFloatAttr(f32, 0.0));
                 linalg::YieldOp::create(
                     nb, l,
                     arith::SelectOp::create(nb, l, inside, v, zero)
                         .getResult());
               })
        .getResult(0);
  }
};

struct PackMatmulsPass : quantopt::impl::PackMatmulsPassBase<PackMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Packing expands the weights and bias element by element: check every
    // constant the patterns may read first.
    ConstantExpansionLimit limit(maxConstantElements, getArgument());
    getOperation()->walk([&](Operation *op) {
      if (!isa<qnn::MatmulOp, qnn::Conv2DOp, qnn::MatmulIntegerOp,
               linalg::MatmulOp, linalg::BatchMatmulOp,
               linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp>(op))
        return;
      for (Value operand : op->getOperands()) {
        if (auto cast = operand.getDefiningOp<quant::StorageCastOp>())
          operand = cast.getInput();
        ElementsAttr attr;
        if (matchPattern(operand, m_Constant(&attr)))
          limit.allows(op, attr);
      }
    });
    if (limit.exceeded())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<PackQuantizedConv2D, PackQuantizedDepthwiseConv2D,
                 PackQuantizedMatmul>(&getContext(), fixedPoint);
    patterns.add<PackFloatMatmul, PackFloatConv2D, PackFloatDepthwiseConv2D,
                 PackFloatBatchMatmul, PackIntegerMatmul,
                 PackQuantizedLinalgMatmul, PackDynamicMatmulInteger>(
        &getContext());
    // Constant folding of the packed weights is never wanted.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
