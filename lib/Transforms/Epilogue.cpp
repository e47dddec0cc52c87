//===- Epilogue.cpp - Recognize what can fuse into a quantized op ---------===//

#include "quantopt/Transforms/Epilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

/// The constant `v` holds, if it is a float constant.
static std::optional<double> constantOf(Value v) {
  FloatAttr attr;
  if (matchPattern(v, m_Constant(&attr)))
    return attr.getValueAsDouble();
  return std::nullopt;
}

bool quantopt::isZeroFill(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  FloatAttr zero;
  return fill && matchPattern(fill.getInputs()[0], m_Constant(&zero)) &&
         zero.getValue().isZero();
}

std::optional<unsigned> quantopt::getOutputChannelDim(Operation *op) {
  if (isa<linalg::MatmulOp, linalg::Conv2DNchwFchwOp>(op))
    return 1;
  if (isa<linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp>(op))
    return 3;
  return std::nullopt;
}

std::optional<quantopt::Epilogue>
quantopt::matchEpilogue(linalg::GenericOp generic, Value producer,
                        unsigned channelDim) {
  auto producerType = dyn_cast<RankedTensorType>(producer.getType());
  if (!producerType || channelDim >= producerType.getRank())
    return std::nullopt;
  if (generic.getNumDpsInits() != 1 ||
      generic.getNumLoops() != producerType.getRank() ||
      generic.getNumReductionLoops() != 0 || generic->getNumResults() != 1)
    return std::nullopt;
  auto inputs = generic.getDpsInputOperands();
  if (inputs.empty() || inputs.size() > 2 || inputs[0]->get() != producer ||
      !generic.getMatchingIndexingMap(inputs[0]).isIdentity() ||
      !generic.getIndexingMapMatchingResult(generic->getResult(0)).isIdentity())
    return std::nullopt;

  Epilogue epilogue;
  Block &body = generic.getRegion().front();
  Value running = body.getArgument(0);
  Value biasArg;
  if (inputs.size() == 2) {
    OpOperand *bias = inputs[1];
    AffineMap map = generic.getMatchingIndexingMap(bias);
    if (map.getNumResults() != 1 ||
        map.getResult(0) != getAffineDimExpr(channelDim, generic.getContext()))
      return std::nullopt;
    if (!matchPattern(bias->get(), m_Constant(&epilogue.bias)))
      return std::nullopt;
    biasArg = body.getArgument(1);
  }

  // Walk the body: every op must extend the chain from `running`.
  bool sawAdd = false;
  auto setBound = [&](std::optional<double> &bound, Value c) {
    std::optional<double> value = c ? constantOf(c) : std::nullopt;
    if (!value || bound)
      return false;
    bound = value;
    return true;
  };
  // A compare that a select completes into a max / min (torch-mlir's ReLU:
  // select(x > c, x, c)).
  arith::CmpFOp pendingCompare;
  for (Operation &op : body.without_terminator()) {
    auto other = [&](Value a, Value b) -> Value {
      return a == running ? b : (b == running ? a : Value());
    };
    if (pendingCompare && !isa<arith::SelectOp>(op))
      return std::nullopt;
    if (auto add = dyn_cast<arith::AddFOp>(op)) {
      if (sawAdd || epilogue.lower || epilogue.upper)
        return std::nullopt;
      Value addend = other(add.getLhs(), add.getRhs());
      if (!addend)
        return std::nullopt;
      if (addend != biasArg) {
        // A splat bias folded into the body as a scalar.
        std::optional<double> value = constantOf(addend);
        int64_t channels = producerType.getDimSize(channelDim);
        if (biasArg || !value || ShapedType::isDynamic(channels))
          return std::nullopt;
        epilogue.bias = DenseFPElementsAttr::get(
            RankedTensorType::get({channels}, Float32Type::get(op.getContext())),
            float(*value));
      }
      sawAdd = true;
    } else if (isa<arith::MaximumFOp, arith::MaxNumFOp>(op)) {
      if (!setBound(epilogue.lower, other(op.getOperand(0), op.getOperand(1))))
        return std::nullopt;
    } else if (isa<arith::MinimumFOp, arith::MinNumFOp>(op)) {
      if (!setBound(epilogue.upper, other(op.getOperand(0), op.getOperand(1))))
        return std::nullopt;
    } else if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
      if (cmp.getLhs() != running || !constantOf(cmp.getRhs()))
        return std::nullopt;
      pendingCompare = cmp;
      continue; // `running` moves on at the select
    } else if (auto select = dyn_cast<arith::SelectOp>(op)) {
      if (!pendingCompare || select.getCondition() != pendingCompare ||
          select.getTrueValue() != running ||
          select.getFalseValue() != pendingCompare.getRhs())
        return std::nullopt;
      using P = arith::CmpFPredicate;
      P p = pendingCompare.getPredicate();
      bool isMax = llvm::is_contained({P::OGT, P::OGE, P::UGT, P::UGE}, p);
      bool isMin = llvm::is_contained({P::OLT, P::OLE, P::ULT, P::ULE}, p);
      std::optional<double> &bound = isMax ? epilogue.lower : epilogue.upper;
      if ((!isMax && !isMin) || !setBound(bound, pendingCompare.getRhs()))
        return std::nullopt;
      pendingCompare = {};
    } else if (isa<arith::ConstantOp>(op)) {
      continue;
    } else {
      return std::nullopt;
    }
    running = op.getResult(0);
  }
  // max and min in either order clamp the same when lower <= upper.
  if (pendingCompare ||
      (epilogue.lower && epilogue.upper && *epilogue.lower > *epilogue.upper))
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1 || yield.getOperand(0) != running)
    return std::nullopt;
  if (biasArg && !sawAdd)
    return std::nullopt;
  return epilogue;
}
