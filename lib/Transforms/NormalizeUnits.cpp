//===- NormalizeUnits.cpp - Frontend forms to the forms QuantOpt quantizes ===//
//
// Frontends write the same layer many ways: a Linear as a matmul reading B
// as [N, K], a batch_matmul of batch 1, or a linalg.generic; a convolution
// with its filter F x KH x KW x C and its bias broadcast into the init
// tensor; ReLU as linalg.max against a fill. Each pattern here rewrites one
// such form into the canonical one the rest of the flow knows (linalg.matmul
// with [K, N] weights, conv_2d_nhwc_hwcf / conv_2d_nchw_fchw /
// depthwise_conv_2d_nhwc_hwc into zeros, then one elementwise epilogue), so
// that a new frontend form is one pattern here rather than edits in every
// pass. Weight layouts change at compile time; activations only get
// reshapes, which are free. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Epilogue.h"
#include "quantopt/Transforms/Exclusion.h"
#include "quantopt/Transforms/Passes.h"

#include "quantopt/Utils/ConstantLimits.h"
#include "quantopt/Utils/ConstantTransforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_NORMALIZEUNITSPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

/// A contraction or convolution by what it computes (linalg's interfaces),
/// whatever op spells it.
static bool isContractionOrConv(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && (linalg::isaContractionOpInterface(linalgOp) ||
                      linalg::isaConvolutionOpInterface(linalgOp));
}

/// The forms this pass produces, which the rest of the flow quantizes.
static bool isCanonicalUnit(Operation *op) {
  if (auto matmul = dyn_cast<linalg::MatmulOp>(op))
    return !matmul.hasUserDefinedMaps();
  return isa<linalg::Conv2DNhwcHwcfOp, linalg::Conv2DNchwFchwOp,
             linalg::DepthwiseConv2DNhwcHwcOp>(op);
}

static bool allF32(Operation *op) {
  return llvm::all_of(op->getOperandTypes(), [](Type t) {
    return getElementTypeOrSelf(t).isF32();
  });
}

/// The f32 constant `value` holds.
static DenseElementsAttr f32Constant(Value value) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) ||
      !attr.getElementType().isF32())
    return {};
  return attr;
}

/// `empty` filled with 0.0 (what the canonical ops accumulate into).
static Value fillZeros(PatternRewriter &rewriter, Location loc, Value empty) {
  Value zero = arith::ConstantOp::create(
      rewriter, loc, rewriter.getZeroAttr(rewriter.getF32Type()));
  return linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
}

/// Zeros of the static `type`.
static Value zerosLike(PatternRewriter &rewriter, Location loc,
                       RankedTensorType type) {
  return fillZeros(rewriter, loc, tensor::EmptyOp::create(rewriter, loc, type,
                                                          ValueRange{}));
}

/// A unit, or an all-parallel generic (an epilogue, usually): what the
/// reshapes and transposes the rewrites leave may move below.
static bool isUnitOrParallelGeneric(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return op && (isCanonicalUnit(op) ||
                (generic && generic.getNumReductionLoops() == 0));
}

/// A copy of `generic` (its body and iterators) on other inputs and maps,
/// into a fresh init of `shape`.
static linalg::GenericOp cloneGenericOnto(PatternRewriter &rewriter,
                                          Location loc,
                                          linalg::GenericOp generic,
                                          ValueRange inputs,
                                          ArrayRef<int64_t> shape,
                                          ArrayRef<AffineMap> maps) {
  Value init = tensor::EmptyOp::create(
      rewriter, loc, shape,
      getElementTypeOrSelf(generic->getResult(0).getType()));
  auto copy = linalg::GenericOp::create(
      rewriter, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      generic.getIteratorTypesArray());
  rewriter.cloneRegionBefore(generic.getRegion(), copy.getRegion(),
                             copy.getRegion().end());
  return copy;
}

/// `init` reshaped with `reassociation` into `type`: a fresh zero fill when
/// it is zeros (so that the result still reads as accumulating into
/// zeros), a reshape otherwise.
static Value reshapeInit(PatternRewriter &rewriter, Location loc, Value init,
                         RankedTensorType type,
                         ArrayRef<ReassociationIndices> reassociation) {
  auto initType = cast<RankedTensorType>(init.getType());
  bool collapsing = type.getRank() < initType.getRank();
  if (isZeroFill(init) && type.hasStaticShape())
    return zerosLike(rewriter, loc, type);
  if (collapsing)
    return tensor::CollapseShapeOp::create(rewriter, loc, type, init,
                                           reassociation);
  return tensor::ExpandShapeOp::create(rewriter, loc, type, init,
                                       reassociation);
}

namespace {

//===----------------------------------------------------------------------===//
// Elementwise named ops and broadcasts become generics, so that epilogues
// are found in one form.
//===----------------------------------------------------------------------===//

/// linalg.add / max / min / broadcast / elementwise / map ... => the
/// equivalent linalg.generic. Contractions, convolutions, reductions,
/// fills, copies and transposes keep their names (other passes read them).
struct GeneralizeElementwiseNamedOp
    : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (isa<linalg::GenericOp, linalg::FillOp, linalg::CopyOp,
            linalg::TransposeOp>(op) ||
        !op.hasPureTensorSemantics() || op.getNumReductionLoops() != 0 ||
        isContractionOrConv(op))
      return rewriter.notifyMatchFailure(op, "not an elementwise named op");
    if (failed(linalg::generalizeNamedOp(rewriter, op)))
      return failure();
    return success();
  }
};

/// A generic whose body only yields its single input: a broadcast (or a
/// copy) of that input. Returns the input's indexing map.
static std::optional<AffineMap> broadcastMap(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
      generic.getNumReductionLoops() != 0)
    return std::nullopt;
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 1 ||
      yield.getOperand(0) != body.getArgument(0))
    return std::nullopt;
  OpOperand *input = generic.getDpsInputOperand(0);
  AffineMap map = generic.getMatchingIndexingMap(input);
  if (!generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
           .isIdentity() ||
      !map.isProjectedPermutation())
    return std::nullopt;
  return map;
}

/// A contraction or convolution accumulating into a broadcast constant (the
/// bias, as tosa.conv2d lowers) => the same op into zeros, then a generic
/// adding the bias: the epilogue form.
struct MoveInitBiasToEpilogue : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isContractionOrConv(op) || !op.hasPureTensorSemantics() ||
        op.getNumDpsInits() != 1 || !allF32(op))
      return rewriter.notifyMatchFailure(op, "not a float contraction");
    Value init = op.getDpsInits()[0];
    auto broadcast = init.getDefiningOp<linalg::GenericOp>();
    std::optional<AffineMap> biasMap =
        broadcast ? broadcastMap(broadcast) : std::nullopt;
    Value bias = broadcast ? broadcast.getDpsInputs()[0] : Value();
    if (!biasMap || !f32Constant(bias))
      return rewriter.notifyMatchFailure(op, "init is not a constant bias");

    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(init.getType());
    Value empty = broadcast.getDpsInits()[0];
    Value zeros = fillZeros(rewriter, loc, empty);
    Operation *intoZeros = rewriter.clone(*op);
    intoZeros->setOperand(op.getDpsInitOperand(0)->getOperandNumber(), zeros);
    unsigned rank = type.getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    Value withBias =
        linalg::GenericOp::create(
            rewriter, loc, type, ValueRange{intoZeros->getResult(0), bias},
            ValueRange{empty}, ArrayRef<AffineMap>{identity, *biasMap, identity},
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  b, l, arith::AddFOp::create(b, l, args[0], args[1]).getResult());
            })
            .getResult(0);
    rewriter.replaceOp(op, withBias);
    return success();
  }
};

/// A constant input of a generic that has dimensions of size 1 (a bias
/// shaped 1 x 1 x N, or 1 x C x 1 x 1 as ONNX broadcasts it) => the constant
/// without them, and the indexing map without their (necessarily zero)
/// indices: per-channel values then read as one index per channel.
struct DropUnitDimsOfConstantInput : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    for (OpOperand *input : generic.getDpsInputOperands()) {
      DenseElementsAttr values;
      if (!matchPattern(input->get(), m_Constant(&values)))
        continue;
      auto type = cast<RankedTensorType>(values.getType());
      AffineMap map = generic.getMatchingIndexingMap(input);
      SmallVector<int64_t> shape;
      SmallVector<AffineExpr> results;
      for (auto [size, expr] : llvm::zip(type.getShape(), map.getResults()))
        if (size != 1) {
          shape.push_back(size);
          results.push_back(expr);
        }
      if (shape.size() == size_t(type.getRank()))
        continue;
      Value reshaped = arith::ConstantOp::create(
          rewriter, input->get().getLoc(), values.reshape(type.clone(shape)));
      SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
      maps[input->getOperandNumber()] =
          AffineMap::get(map.getNumDims(), 0, results, generic.getContext());
      rewriter.modifyOpInPlace(generic, [&] {
        input->set(reshaped);
        generic.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
      });
      return success();
    }
    return rewriter.notifyMatchFailure(generic, "no constant with unit dims");
  }
};

//===----------------------------------------------------------------------===//
// Contractions: every form of X * W with constant W becomes linalg.matmul.
//===----------------------------------------------------------------------===//

/// The dimension (loop) positions of a map's results, if all are dims.
static std::optional<SmallVector<unsigned>> dimPositions(AffineMap map) {
  SmallVector<unsigned> dims;
  for (AffineExpr e : map.getResults()) {
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d)
      return std::nullopt;
    dims.push_back(d.getPosition());
  }
  return dims;
}

/// Any float contraction X[b..., m, k] * W[k, n] (W a constant in any
/// layout, with at most unit batch dimensions) -> Y[b..., m, n]: matmul
/// with B as [N, K], batch_matmul of batch 1 or with the weights shared
/// across the batch, an equivalent linalg.generic => X collapsed to
/// [b * m, k], a plain linalg.matmul with the weights transposed to [K, N]
/// at compile time, the result expanded back.
struct ContractionToMatmul : OpInterfaceRewritePattern<linalg::LinalgOp> {
  ContractionToMatmul(MLIRContext *ctx, ConstantExpansionLimit &limit)
      : OpInterfaceRewritePattern(ctx), limit(limit) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation());
    if (matmul && !matmul.hasUserDefinedMaps())
      return rewriter.notifyMatchFailure(op, "already canonical");
    if (!linalg::isaContractionOpInterface(op) ||
        !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1 || !allF32(op))
      return rewriter.notifyMatchFailure(op, "not a float contraction");
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    // Dims of X shared with W are m dims when W lacks them (weights shared
    // across a batch), batch dims when W has them (then only of size 1).
    if (failed(dims) || dims->m.empty() || dims->n.size() != 1 ||
        dims->k.size() != 1)
      return rewriter.notifyMatchFailure(op, "not one N and K dimension");
    unsigned n = dims->n[0], k = dims->k[0];
    DenseElementsAttr weights = f32Constant(op.getDpsInputs()[1]);
    if (!weights)
      return rewriter.notifyMatchFailure(op, "right operand is not constant");

    auto xMap = dimPositions(op.getMatchingIndexingMap(op.getDpsInputOperand(0)));
    auto wMap = dimPositions(op.getMatchingIndexingMap(op.getDpsInputOperand(1)));
    auto yMap = dimPositions(op.getMatchingIndexingMap(op.getDpsInitOperand(0)));
    if (!xMap || !wMap || !yMap)
      return rewriter.notifyMatchFailure(op, "indices are not plain dims");
    // Y[rows..., n] and X[rows..., k], the row dims (batch and m) in one
    // order: they collapse into the matmul's M.
    SmallVector<unsigned> rowDims(yMap->begin(), yMap->end() - 1);
    SmallVector<unsigned> expectY(rowDims), expectX(rowDims);
    expectY.push_back(n);
    expectX.push_back(k);
    if (*yMap != expectY || *xMap != expectX)
      return rewriter.notifyMatchFailure(op, "activation is not [rows..., K]");
    size_t batch = rowDims.size() - 1;
    // W: k and n once each, other (batch) dims only of size 1.
    auto wType = cast<RankedTensorType>(weights.getType());
    std::optional<int64_t> wk, wn;
    for (auto [i, d] : llvm::enumerate(*wMap)) {
      if (d == k && !wk)
        wk = i;
      else if (d == n && !wn)
        wn = i;
      else if (wType.getDimSize(i) != 1)
        return rewriter.notifyMatchFailure(op, "weights differ per batch");
    }
    if (!wk || !wn)
      return rewriter.notifyMatchFailure(op, "weights are not [K, N]");
    if (!limit.allows(op, weights))
      return failure();

    // Weights: unit dims first, then K, then N; viewed as [K, N].
    SmallVector<int64_t> perm;
    for (int64_t i = 0; i < wType.getRank(); ++i)
      if (i != *wk && i != *wn)
        perm.push_back(i);
    perm.append({*wk, *wn});
    DenseElementsAttr permuted = permuteElements(weights, perm);
    int64_t kSize = wType.getDimSize(*wk), nSize = wType.getDimSize(*wn);
    Location loc = op.getLoc();
    Value w = arith::ConstantOp::create(
        rewriter, loc,
        permuted.reshape(RankedTensorType::get({kSize, nSize},
                                               rewriter.getF32Type())));

    Value x = op.getDpsInputs()[0];
    Value init = op.getDpsInits()[0];
    auto yType = cast<RankedTensorType>(init.getType());
    SmallVector<ReassociationIndices> rows;
    if (batch > 0) {
      ReassociationIndices leading;
      for (size_t d = 0; d <= batch; ++d)
        leading.push_back(d);
      rows = {leading, {int64_t(batch + 1)}};
      x = tensor::CollapseShapeOp::create(rewriter, loc, x, rows);
      auto collapsedY = cast<RankedTensorType>(
          tensor::CollapseShapeOp::inferCollapsedType(yType, rows));
      init = reshapeInit(rewriter, loc, init, collapsedY, rows);
    }
    Value y = linalg::MatmulOp::create(rewriter, loc, TypeRange{init.getType()},
                                       ValueRange{x, w}, ValueRange{init})
                  .getResult(0);
    if (batch > 0)
      y = tensor::ExpandShapeOp::create(
          rewriter, loc, yType, y, rows,
          tensor::getMixedSizes(rewriter, loc, op.getDpsInits()[0]));
    rewriter.replaceOp(op, y);
    return success();
  }

  ConstantExpansionLimit &limit;
};

//===----------------------------------------------------------------------===//
// Convolutions: filter layouts, 1-D forms and unit multipliers.
//===----------------------------------------------------------------------===//

/// conv_2d_nhwc_fhwc (what tosa.conv2d lowers to) with a constant filter
/// => conv_2d_nhwc_hwcf with the filter transposed at compile time.
struct FilterFhwcToHwcf : OpRewritePattern<linalg::Conv2DNhwcFhwcOp> {
  FilterFhwcToHwcf(MLIRContext *ctx, ConstantExpansionLimit &limit)
      : OpRewritePattern(ctx), limit(limit) {}

  LogicalResult matchAndRewrite(linalg::Conv2DNhwcFhwcOp conv,
                                PatternRewriter &rewriter) const override {
    DenseElementsAttr filter = f32Constant(conv.getInputs()[1]);
    if (!filter || !conv.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(conv, "filter is not constant");
    if (!limit.allows(conv, filter))
      return failure();
    Value hwcf = arith::ConstantOp::create(
        rewriter, conv.getLoc(), permuteElements(filter, {1, 2, 3, 0}));
    rewriter.replaceOpWithNewOp<linalg::Conv2DNhwcHwcfOp>(
        conv, conv->getResultTypes(), ValueRange{conv.getInputs()[0], hwcf},
        conv.getOutputs(), conv.getStridesAttr(), conv.getDilationsAttr());
    return success();
  }

  ConstantExpansionLimit &limit;
};

/// Inserts a unit dimension at `pos` of a tensor value: the reassociation
/// groups `pos` with the dimension after it.
static SmallVector<ReassociationIndices> unitDimAt(int64_t rank, int64_t pos) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0, r = 0; d < rank; ++d) {
    if (d == pos) {
      groups.push_back({r, r + 1});
      r += 2;
    } else {
      groups.push_back({r++});
    }
  }
  return groups;
}

static Value insertUnitDim(PatternRewriter &rewriter, Location loc, Value v,
                           int64_t pos, bool isInit) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.begin() + pos, 1);
  auto expanded = type.clone(shape);
  auto groups = unitDimAt(type.getRank(), pos);
  if (DenseElementsAttr c; !isInit && matchPattern(v, m_Constant(&c)))
    return arith::ConstantOp::create(rewriter, loc, c.reshape(expanded));
  if (isInit)
    return reshapeInit(rewriter, loc, v, expanded, groups);
  return tensor::ExpandShapeOp::create(rewriter, loc, expanded, v, groups);
}

/// A 1-D convolution => the 2-D one with a unit H (conv_1d_nwc_wcf ->
/// conv_2d_nhwc_hwcf, conv_1d_ncw_fcw -> conv_2d_nchw_fchw,
/// depthwise_conv_1d_nwc_wc -> depthwise_conv_2d_nhwc_hwc).
template <typename Conv1DOp, typename Conv2DOp>
struct Conv1DTo2D : OpRewritePattern<Conv1DOp> {
  Conv1DTo2D(MLIRContext *ctx, int64_t inputH, int64_t filterH)
      : OpRewritePattern<Conv1DOp>(ctx), inputH(inputH), filterH(filterH) {}

  LogicalResult matchAndRewrite(Conv1DOp conv,
                                PatternRewriter &rewriter) const override {
    if (!conv.hasPureTensorSemantics() || !allF32(conv))
      return rewriter.notifyMatchFailure(conv, "not a float convolution");
    Location loc = conv.getLoc();
    Value input =
        insertUnitDim(rewriter, loc, conv.getInputs()[0], inputH, false);
    Value filter =
        insertUnitDim(rewriter, loc, conv.getInputs()[1], filterH, false);
    Value init =
        insertUnitDim(rewriter, loc, conv.getOutputs()[0], inputH, true);
    auto twoD = [&](DenseIntElementsAttr attr) {
      SmallVector<int64_t> v{1};
      llvm::append_range(v, attr.getValues<int64_t>());
      return rewriter.getI64TensorAttr(v);
    };
    Value y = Conv2DOp::create(rewriter, loc, TypeRange{init.getType()},
                               ValueRange{input, filter}, ValueRange{init},
                               twoD(conv.getStrides()), twoD(conv.getDilations()))
                  .getResult(0);
    auto type = cast<RankedTensorType>(conv->getResult(0).getType());
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        conv, type, y, unitDimAt(type.getRank(), inputH));
    return success();
  }

  int64_t inputH, filterH;
};

/// depthwise_conv_2d_nhwc_hwcm with a multiplier of 1 (what
/// tosa.depthwise_conv2d lowers to) => depthwise_conv_2d_nhwc_hwc.
struct DepthwiseUnitMultiplier
    : OpRewritePattern<linalg::DepthwiseConv2DNhwcHwcmOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::DepthwiseConv2DNhwcHwcmOp conv,
                                PatternRewriter &rewriter) const override {
    auto filterType = cast<RankedTensorType>(conv.getInputs()[1].getType());
    if (!conv.hasPureTensorSemantics() || !allF32(conv) ||
        filterType.getDimSize(3) != 1)
      return rewriter.notifyMatchFailure(conv, "multiplier is not 1");
    Location loc = conv.getLoc();
    SmallVector<ReassociationIndices> lastTwo = {{0}, {1}, {2, 3}};
    Value filter = conv.getInputs()[1];
    auto hwc = RankedTensorType::get(filterType.getShape().drop_back(),
                                     filterType.getElementType());
    if (DenseElementsAttr c; matchPattern(filter, m_Constant(&c)))
      filter = arith::ConstantOp::create(rewriter, loc, c.reshape(hwc));
    else
      filter = tensor::CollapseShapeOp::create(rewriter, loc, hwc, filter,
                                               lastTwo);
    Value init = conv.getOutputs()[0];
    auto initType = cast<RankedTensorType>(init.getType());
    SmallVector<ReassociationIndices> channels = {{0}, {1}, {2}, {3, 4}};
    auto nhwc = RankedTensorType::get(initType.getShape().drop_back(),
                                      initType.getElementType());
    init = reshapeInit(rewriter, loc, init, nhwc, channels);
    Value y = linalg::DepthwiseConv2DNhwcHwcOp::create(
                  rewriter, loc, TypeRange{nhwc},
                  ValueRange{conv.getInputs()[0], filter}, ValueRange{init},
                  conv.getStridesAttr(), conv.getDilationsAttr())
                  .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(conv, initType, y,
                                                       channels);
    return success();
  }
};

/// `loc` named `<its name><suffix>` (a part of a layer: the group of a
/// grouped convolution, a layout transpose), so that observers and reports
/// tell the parts apart; `loc` itself when it has no name.
static Location partLoc(Operation *op, StringRef suffix) {
  std::string name = quantopt::getOpName(op);
  if (name.empty())
    return op->getLoc();
  return NameLoc::get(StringAttr::get(op->getContext(), name + suffix),
                      op->getLoc());
}

/// `v` transposed by `perm` (linalg.transpose's convention).
static Value transposeValue(PatternRewriter &rewriter, Location loc, Value v,
                            ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  Value init = tensor::EmptyOp::create(
      rewriter, loc, applyPermutation(type.getShape(), perm),
      type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, v, init, perm)
      ->getResult(0);
}

/// depthwise_conv_2d_nhwc_hwcm with a multiplier M > 1 (TensorFlow's
/// depth_multiplier) and a constant filter => M depthwise convolutions with
/// multiplier 1, each on its filter slice w[..., m], their [N, OH, OW, C]
/// results stacked along a new last dimension: the [N, OH, OW, C, M] the
/// op computes. Each then quantizes and packs as a depthwise convolution.
struct SplitDepthwiseMultiplier
    : OpRewritePattern<linalg::DepthwiseConv2DNhwcHwcmOp> {
  SplitDepthwiseMultiplier(MLIRContext *ctx, ConstantExpansionLimit &limit)
      : OpRewritePattern(ctx), limit(limit) {}

  LogicalResult matchAndRewrite(linalg::DepthwiseConv2DNhwcHwcmOp conv,
                                PatternRewriter &rewriter) const override {
    DenseElementsAttr filter = f32Constant(conv.getInputs()[1]);
    auto outType = cast<RankedTensorType>(conv->getResult(0).getType());
    if (!filter || !conv.hasPureTensorSemantics() || !allF32(conv) ||
        !outType.hasStaticShape())
      return rewriter.notifyMatchFailure(conv, "filter is not constant");
    auto filterType = cast<RankedTensorType>(filter.getType());
    int64_t multiplier = filterType.getDimSize(3);
    if (multiplier == 1)
      return rewriter.notifyMatchFailure(conv, "multiplier is 1");
    if (!isZeroFill(conv.getOutputs()[0]))
      return rewriter.notifyMatchFailure(conv, "does not accumulate into zeros");
    if (!limit.allows(conv, filter))
      return failure();
    Location loc = conv.getLoc();
    auto partType = outType.clone(outType.getShape().drop_back());
    auto sliceType = RankedTensorType::get(
        filterType.getShape().drop_back(), filterType.getElementType());
    auto unitType = partType.clone(
        llvm::to_vector(llvm::concat<const int64_t>(partType.getShape(),
                                                    ArrayRef<int64_t>{1})));
    SmallVector<Value> parts;
    for (int64_t m = 0; m < multiplier; ++m) {
      Value f = arith::ConstantOp::create(
          rewriter, loc, sliceElements(filter, 3, m, 1).reshape(sliceType));
      Location partLocation = partLoc(conv, (".m" + Twine(m)).str());
      Value y = linalg::DepthwiseConv2DNhwcHwcOp::create(
                    rewriter, partLocation, TypeRange{partType},
                    ValueRange{conv.getInputs()[0], f},
                    ValueRange{zerosLike(rewriter, loc, partType)},
                    conv.getStridesAttr(), conv.getDilationsAttr())
                    .getResult(0);
      parts.push_back(tensor::ExpandShapeOp::create(
          rewriter, loc, unitType, y,
          SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}}));
    }
    rewriter.replaceOpWithNewOp<tensor::ConcatOp>(conv, 4, parts);
    return success();
  }

  ConstantExpansionLimit &limit;
};

/// depthwise_conv_2d_nchw_chw (torch-mlir's depthwise form) with a constant
/// filter => the NHWC depthwise form between transposes (the filter
/// transposed at compile time; a padding of the input moves after its
/// transpose so that it stays next to the convolution).
struct DepthwiseNchwToNhwc : OpRewritePattern<linalg::DepthwiseConv2DNchwChwOp> {
  DepthwiseNchwToNhwc(MLIRContext *ctx, ConstantExpansionLimit &limit)
      : OpRewritePattern(ctx), limit(limit) {}

  LogicalResult matchAndRewrite(linalg::DepthwiseConv2DNchwChwOp conv,
                                PatternRewriter &rewriter) const override {
    DenseElementsAttr filter = f32Constant(conv.getInputs()[1]);
    if (!filter || !conv.hasPureTensorSemantics() || !allF32(conv) ||
        !isZeroFill(conv.getOutputs()[0]))
      return rewriter.notifyMatchFailure(conv, "not a constant-filter conv "
                                               "into zeros");
    if (!limit.allows(conv, filter))
      return failure();
    Location loc = conv.getLoc();
    const SmallVector<int64_t> toNhwc{0, 2, 3, 1}, toNchw{0, 3, 1, 2};
    Value x = conv.getInputs()[0];
    auto pad = x.getDefiningOp<tensor::PadOp>();
    Value padValue = pad ? pad.getConstantPaddingValue() : Value();
    if (pad && padValue && pad.getStaticLow().size() == 4 &&
        !llvm::any_of(pad.getStaticLow(), ShapedType::isDynamic) &&
        !llvm::any_of(pad.getStaticHigh(), ShapedType::isDynamic)) {
      Value xt = transposeValue(rewriter, partLoc(conv, ".to_nhwc"),
                                pad.getSource(), toNhwc);
      SmallVector<OpFoldResult> low, high;
      for (int64_t d : toNhwc) {
        low.push_back(rewriter.getIndexAttr(pad.getStaticLow()[d]));
        high.push_back(rewriter.getIndexAttr(pad.getStaticHigh()[d]));
      }
      auto padded = cast<RankedTensorType>(x.getType());
      x = tensor::PadOp::create(
          rewriter, pad.getLoc(),
          padded.clone(applyPermutation(padded.getShape(), toNhwc)), xt, low,
          high, padValue);
    } else {
      x = transposeValue(rewriter, partLoc(conv, ".to_nhwc"), x, toNhwc);
    }
    Value f = arith::ConstantOp::create(rewriter, loc,
                                        permuteElements(filter, {1, 2, 0}));
    auto outType = cast<RankedTensorType>(conv->getResult(0).getType());
    auto nhwcType = outType.clone(applyPermutation(outType.getShape(), toNhwc));
    Value y = linalg::DepthwiseConv2DNhwcHwcOp::create(
                  rewriter, loc, TypeRange{nhwcType}, ValueRange{x, f},
                  ValueRange{zerosLike(rewriter, loc, nhwcType)},
                  conv.getStridesAttr(), conv.getDilationsAttr())
                  .getResult(0);
    rewriter.replaceOp(
        conv, transposeValue(rewriter, partLoc(conv, ".to_nchw"), y, toNchw));
    return success();
  }

  ConstantExpansionLimit &limit;
};

/// An all-parallel generic with one result, reading its first input and
/// writing its result with the identity map: what an epilogue looks like.
static bool isEpilogueShaped(linalg::GenericOp generic) {
  return generic.getNumDpsInputs() >= 1 && generic.getNumDpsInits() == 1 &&
         generic.getNumReductionLoops() == 0 &&
         generic.getMatchingIndexingMap(generic.getDpsInputOperand(0))
             .isIdentity() &&
         generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
             .isIdentity();
}

/// An elementwise generic of two inputs whose second is a unit's result
/// (PyTorch exports a Linear's bias as Add(bias, x)) => the same generic
/// with its inputs swapped, so that epilogues read their unit first, as
/// fuse-layers and rewrite-int8 expect.
struct UnitResultFirst : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
        generic.getNumReductionLoops() != 0)
      return rewriter.notifyMatchFailure(generic, "not a binary elementwise op");
    auto isUnit = [](Value v) {
      Operation *def = v.getDefiningOp();
      return def && isCanonicalUnit(def);
    };
    Value first = generic.getDpsInputs()[0], second = generic.getDpsInputs()[1];
    if (isUnit(first) || !isUnit(second))
      return rewriter.notifyMatchFailure(generic, "no unit result second");
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    std::swap(maps[0], maps[1]);
    auto resultType = cast<RankedTensorType>(generic->getResult(0).getType());
    linalg::GenericOp swapped =
        cloneGenericOnto(rewriter, generic.getLoc(), generic, {second, first},
                         resultType.getShape(), maps);
    // Block arguments follow the inputs: the second one moves to the front.
    Block &body = swapped.getRegion().front();
    BlockArgument moved = body.insertArgument(
        0u, body.getArgument(1).getType(), body.getArgument(1).getLoc());
    rewriter.replaceAllUsesWith(body.getArgument(2), moved);
    body.eraseArgument(2);
    rewriter.replaceOp(generic, swapped->getResults());
    return success();
  }
};

/// An elementwise generic reading (as its first input, with the identity
/// map) the transpose of a unit's or epilogue's result => the generic on
/// the untransposed value (its other operands' indices permuted to match),
/// then the transpose: epilogues read their unit directly.
struct SinkTransposeBelowElementwise : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    if (!isEpilogueShaped(generic))
      return rewriter.notifyMatchFailure(generic, "not elementwise");
    auto transpose =
        generic.getDpsInputs()[0].getDefiningOp<linalg::TransposeOp>();
    if (!transpose || !transpose->getResult(0).hasOneUse() ||
        !isUnitOrParallelGeneric(transpose.getInput().getDefiningOp()))
      return rewriter.notifyMatchFailure(generic, "not after a unit's transpose");
    // Loop dim k of the transposed space is dim perm[k] of the source.
    ArrayRef<int64_t> perm = transpose.getPermutation();
    MLIRContext *ctx = generic.getContext();
    SmallVector<AffineExpr> replacements;
    for (int64_t d : perm)
      replacements.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps;
    for (auto [i, map] : llvm::enumerate(generic.getIndexingMapsArray())) {
      bool identity = i == 0 || i == size_t(generic.getNumDpsInputs());
      maps.push_back(identity ? map
                              : map.replaceDimsAndSymbols(
                                    replacements, {}, map.getNumDims(), 0));
    }
    Value source = transpose.getInput();
    SmallVector<Value> inputs(generic.getDpsInputs());
    inputs[0] = source;
    auto moved = cloneGenericOnto(
        rewriter, generic.getLoc(), generic, inputs,
        cast<RankedTensorType>(source.getType()).getShape(), maps);
    rewriter.replaceOp(generic, transposeValue(rewriter, transpose.getLoc(),
                                               moved.getResult(0), perm));
    return success();
  }
};

/// Where the group dimension sits in a grouped convolution's operands.
struct GroupedLayout {
  int64_t inputGroup;  // in the 5-D input; the channels follow it
  int64_t filterGroup; // in the 5-D filter
  int64_t resultGroup; // in the 5-D result; the channels follow it
};

/// A grouped convolution with a constant filter (linalg's
/// conv_2d_ngchw_gfchw / conv_2d_ngchw_fgchw, as PyTorch and ONNX grouped
/// convs lower; conv_2d_nhwgc_gfhwc) => one convolution per group on a
/// slice of the channels (conv_2d_nchw_fchw, or conv_2d_nhwc_fhwc), the
/// results concatenated: each group then quantizes and packs as an ordinary
/// convolution.
template <typename GroupedOp, typename GroupOp>
struct SplitGroupedConv : OpRewritePattern<GroupedOp> {
  SplitGroupedConv(MLIRContext *ctx, ConstantExpansionLimit &limit,
                   GroupedLayout layout)
      : OpRewritePattern<GroupedOp>(ctx), limit(limit), layout(layout) {}

  LogicalResult matchAndRewrite(GroupedOp conv,
                                PatternRewriter &rewriter) const override {
    DenseElementsAttr filter = f32Constant(conv.getInputs()[1]);
    if (!filter || !conv.hasPureTensorSemantics() || !allF32(conv))
      return rewriter.notifyMatchFailure(conv, "filter is not constant");
    if (!isZeroFill(conv.getOutputs()[0]))
      return rewriter.notifyMatchFailure(conv, "does not accumulate into zeros");
    auto inType = cast<RankedTensorType>(conv.getInputs()[0].getType());
    auto outType = cast<RankedTensorType>(conv->getResult(0).getType());
    auto filterType = cast<RankedTensorType>(filter.getType());
    int64_t groups = filterType.getDimSize(layout.filterGroup);
    int64_t channels = inType.getDimSize(layout.inputGroup + 1);
    if (!inType.hasStaticShape() || !outType.hasStaticShape())
      return rewriter.notifyMatchFailure(conv, "dynamic shape");
    if (!limit.allows(conv, filter))
      return failure();

    Location loc = conv.getLoc();
    auto merged = [](int64_t rank, int64_t group) {
      SmallVector<ReassociationIndices> r;
      for (int64_t d = 0; d < rank; ++d) {
        if (d == group + 1)
          continue;
        if (d == group)
          r.push_back({d, d + 1});
        else
          r.push_back({d});
      }
      return r;
    };
    auto inGroups = merged(5, layout.inputGroup);
    auto outGroups = merged(5, layout.resultGroup);
    Value input = tensor::CollapseShapeOp::create(
        rewriter, loc, conv.getInputs()[0], inGroups);
    auto input4 = cast<RankedTensorType>(input.getType());
    SmallVector<int64_t> partShape(outType.getShape());
    partShape.erase(partShape.begin() + layout.resultGroup);
    auto partType = outType.clone(partShape);
    SmallVector<Value> parts;
    for (int64_t g = 0; g < groups; ++g) {
      SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0)),
          sizes, strides(4, rewriter.getIndexAttr(1));
      for (int64_t d = 0; d < 4; ++d)
        sizes.push_back(rewriter.getIndexAttr(input4.getDimSize(d)));
      offsets[layout.inputGroup] = rewriter.getIndexAttr(g * channels);
      sizes[layout.inputGroup] = rewriter.getIndexAttr(channels);
      Value slice = tensor::ExtractSliceOp::create(rewriter, loc, input,
                                                   offsets, sizes, strides);
      DenseElementsAttr groupFilter =
          sliceElements(filter, layout.filterGroup, g, 1);
      SmallVector<int64_t> fShape(filterType.getShape());
      fShape.erase(fShape.begin() + layout.filterGroup);
      Value f = arith::ConstantOp::create(
          rewriter, loc, groupFilter.reshape(filterType.clone(fShape)));
      Value init = zerosLike(rewriter, loc, partType);
      Location groupLoc = partLoc(conv, (".g" + Twine(g)).str());
      parts.push_back(GroupOp::create(rewriter, groupLoc, TypeRange{partType},
                                      ValueRange{slice, f}, ValueRange{init},
                                      conv.getStridesAttr(),
                                      conv.getDilationsAttr())
                          .getResult(0));
    }
    Value all = tensor::ConcatOp::create(rewriter, loc, layout.resultGroup,
                                         parts);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(conv, outType, all,
                                                       outGroups);
    return success();
  }

  ConstantExpansionLimit &limit;
  GroupedLayout layout;
};

/// An elementwise op on the concatenation of contraction or convolution
/// results (the per-group convs above, or their epilogues), reading besides only constants
/// indexed by the concatenated dimension => the op on each part, with its
/// slice of the constants, then the concatenation: each part gets its own
/// bias / activation epilogue.
struct SplitElementwiseOverConcat : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    if (!isEpilogueShaped(generic))
      return rewriter.notifyMatchFailure(generic, "not elementwise");
    auto concat =
        generic.getDpsInputs()[0].getDefiningOp<tensor::ConcatOp>();
    if (!concat || !concat->hasOneUse() ||
        !llvm::all_of(concat.getInputs(), [](Value part) {
          // A unit, or an epilogue already split onto one.
          Operation *def = part.getDefiningOp();
          if (auto epilogue = dyn_cast_or_null<linalg::GenericOp>(def))
            def = epilogue.getNumReductionLoops() == 0 &&
                          epilogue.getNumDpsInputs() > 0
                      ? epilogue.getDpsInputs()[0].getDefiningOp()
                      : nullptr;
          return def && part.hasOneUse() && isContractionOrConv(def);
        }))
      return rewriter.notifyMatchFailure(generic, "not after split units");
    int64_t dim = concat.getDim();
    AffineExpr concatDim = rewriter.getAffineDimExpr(dim);
    SmallVector<DenseElementsAttr> constants;
    // getDpsInputOperands returns a vector by value: keep it alive for the loop.
    SmallVector<OpOperand *> operands = generic.getDpsInputOperands();
    for (OpOperand *input : llvm::drop_begin(operands)) {
      DenseElementsAttr c;
      AffineMap map = generic.getMatchingIndexingMap(input);
      if (!matchPattern(input->get(), m_Constant(&c)) ||
          map.getNumResults() != 1 || map.getResult(0) != concatDim)
        return rewriter.notifyMatchFailure(generic,
                                           "reads more than per-channel constants");
      constants.push_back(c);
    }
    Location loc = generic.getLoc();
    SmallVector<Value> parts;
    int64_t offset = 0;
    for (Value part : concat.getInputs()) {
      auto type = cast<RankedTensorType>(part.getType());
      int64_t size = type.getDimSize(dim);
      SmallVector<Value> inputs{part};
      for (DenseElementsAttr c : constants)
        inputs.push_back(arith::ConstantOp::create(
            rewriter, loc, sliceElements(c, 0, offset, size)));
      offset += size;
      parts.push_back(
          cloneGenericOnto(
              rewriter, partLoc(generic, (".g" + Twine(parts.size())).str()),
              generic, inputs, type.getShape(), generic.getIndexingMapsArray())
              .getResult(0));
    }
    rewriter.replaceOpWithNewOp<tensor::ConcatOp>(generic, dim, parts);
    return success();
  }
};

struct NormalizeUnitsPass
    : quantopt::impl::NormalizeUnitsPassBase<NormalizeUnitsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConstantExpansionLimit limit(maxConstantElements, getArgument());
    RewritePatternSet patterns(ctx);
    patterns.add<GeneralizeElementwiseNamedOp, MoveInitBiasToEpilogue,
                 DropUnitDimsOfConstantInput, DepthwiseUnitMultiplier>(ctx);
    patterns.add<ContractionToMatmul, FilterFhwcToHwcf,
                 SplitDepthwiseMultiplier>(ctx, limit);
    patterns.add<SplitGroupedConv<linalg::Conv2DNgchwGfchwOp,
                                  linalg::Conv2DNchwFchwOp>>(
        ctx, limit, GroupedLayout{1, 0, 1});
    patterns.add<SplitGroupedConv<linalg::Conv2DNgchwFgchwOp,
                                  linalg::Conv2DNchwFchwOp>>(
        ctx, limit, GroupedLayout{1, 1, 1});
    patterns.add<SplitGroupedConv<linalg::Conv2DNhwgcGfhwcOp,
                                  linalg::Conv2DNhwcFhwcOp>>(
        ctx, limit, GroupedLayout{3, 0, 3});
    patterns.add<SplitElementwiseOverConcat, SinkTransposeBelowElementwise,
                 UnitResultFirst>(ctx);
    patterns.add<DepthwiseNchwToNhwc>(ctx, limit);
    patterns.add<Conv1DTo2D<linalg::Conv1DNwcWcfOp, linalg::Conv2DNhwcHwcfOp>>(
        ctx, /*inputH=*/1, /*filterH=*/0);
    patterns.add<Conv1DTo2D<linalg::Conv1DNcwFcwOp, linalg::Conv2DNchwFchwOp>>(
        ctx, /*inputH=*/2, /*filterH=*/2);
    patterns.add<Conv1DTo2D<linalg::DepthwiseConv1DNwcWcOp,
                            linalg::DepthwiseConv2DNhwcHwcOp>>(
        ctx, /*inputH=*/1, /*filterH=*/0);
    // A broadcast of a constant (a bias) merges into the elementwise op that
    // reads it, so the epilogue indexes the bias per channel; fills and
    // splats become scalars in the body (upstream's fusion patterns).
    linalg::populateElementwiseOpsFusionPatterns(patterns, [](OpOperand *use) {
      auto producer = use->get().getDefiningOp<linalg::GenericOp>();
      return producer && broadcastMap(producer) &&
             matchPattern(producer.getDpsInputs()[0], m_Constant());
    });
    // The reshapes the rewrites leave after a contraction move below its
    // elementwise consumers, so that the epilogue reads it directly: an
    // expand_shape after a unit (or after an epilogue it already passed)
    // collapses its consumer, a collapse_shape after a unit expands it. Not
    // a collapse_shape after any elementwise op: collapsing a consumer puts
    // collapse_shapes on its other operands, and expanding again would undo
    // it, forever.
    auto consumerOf = [](OpOperand *use) {
      auto consumer = dyn_cast<linalg::GenericOp>(use->getOwner());
      return consumer && consumer.getNumReductionLoops() == 0;
    };
    auto pushExpandDown = [consumerOf](OpOperand *use) {
      auto expand = use->get().getDefiningOp<tensor::ExpandShapeOp>();
      return consumerOf(use) && expand &&
             isUnitOrParallelGeneric(expand.getSrc().getDefiningOp());
    };
    auto pushCollapseDown = [consumerOf](OpOperand *use) {
      auto collapse = use->get().getDefiningOp<tensor::CollapseShapeOp>();
      Operation *source = collapse ? collapse.getSrc().getDefiningOp() : nullptr;
      return consumerOf(use) && source && isCanonicalUnit(source);
    };
    linalg::populateFoldReshapeOpsByCollapsingPatterns(patterns, pushExpandDown);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, pushCollapseDown);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    // A bound on the rewrites, so that patterns that undo each other on IR
    // nobody foresaw end with a warning instead of running forever.
    GreedyRewriteConfig config;
    config.setMaxNumRewrites(maxRewrites);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      getOperation()->emitWarning()
          << "quant-normalize-units stopped after " << maxRewrites
          << " rewrites without converging; layers it did not reach stay in "
             "their frontend forms (please report this input)";
    if (limit.exceeded())
      return signalPassFailure();
  }
};
} // namespace
