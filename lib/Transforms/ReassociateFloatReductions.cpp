//===- ReassociateFloatReductions.cpp - Vectorizable float reductions -----===//
//
// Marks the combiner of float reductions in linalg.generic with
// fastmath<reassoc> so that LLVM can vectorize them. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace quantopt {
#define GEN_PASS_DEF_REASSOCIATEFLOATREDUCTIONSPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

/// The op that folds an element into output `init` of a reduction, if it is
/// one whose result does not depend on the order of the elements (up to
/// rounding).
static arith::ArithFastMathInterface reductionCombiner(Value yielded,
                                                       BlockArgument init) {
  Operation *op = yielded.getDefiningOp();
  if (!isa_and_nonnull<arith::AddFOp, arith::MulFOp, arith::MaximumFOp,
                       arith::MinimumFOp, arith::MaxNumFOp, arith::MinNumFOp>(
          op))
    return nullptr;
  if (!llvm::is_contained(op->getOperands(), Value(init)))
    return nullptr;
  return cast<arith::ArithFastMathInterface>(op);
}

namespace {
struct ReassociateFloatReductionsPass
    : quantopt::impl::ReassociateFloatReductionsPassBase<
          ReassociateFloatReductionsPass> {
  void runOnOperation() override {
    getOperation()->walk([](linalg::GenericOp generic) {
      if (generic.getNumReductionLoops() == 0)
        return;
      Block *body = generic.getBlock();
      auto yield = cast<linalg::YieldOp>(body->getTerminator());
      for (OpOperand &init : generic.getDpsInitsMutable()) {
        BlockArgument arg = generic.getMatchingBlockArgument(&init);
        unsigned result = init.getOperandNumber() - generic.getNumDpsInputs();
        auto combiner = reductionCombiner(yield.getOperand(result), arg);
        if (!combiner)
          continue;
        auto flags = combiner.getFastMathFlagsAttr().getValue() |
                     arith::FastMathFlags::reassoc;
        combiner->setAttr(
            combiner.getFastMathAttrName(),
            arith::FastMathFlagsAttr::get(generic.getContext(), flags));
      }
    });
  }
};
} // namespace
