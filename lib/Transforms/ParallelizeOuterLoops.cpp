//===- ParallelizeOuterLoops.cpp - One parallel dimension per nest --------===//
//
// scf.parallel nests => the outermost dimension parallel, the rest scf.for,
// ready for convert-scf-to-openmp. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace quantopt {
#define GEN_PASS_DEF_PARALLELIZEOUTERLOOPSPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

/// Trip count of one loop dimension; unknown (dynamic) counts as many.
static int64_t tripCount(Value lb, Value ub, Value step) {
  std::optional<APInt> count = constantTripCount(
      lb, ub, step, /*isSigned=*/true,
      [](Value, Value, bool) { return std::optional<llvm::APSInt>(); });
  if (!count)
    return 1 << 20;
  return count->isNegative() ? std::numeric_limits<int64_t>::max()
                             : count->getSExtValue();
}

/// Estimated work of the loop nest `op`: ops executed, counting each op in
/// a loop body once per iteration.
static int64_t nestWork(Operation *op) {
  int64_t body = 0;
  for (Region &region : op->getRegions())
    region.walk<WalkOrder::PreOrder>([&](Operation *child) {
      if (!isa<scf::ForOp, scf::ParallelOp>(child)) {
        ++body;
        return WalkResult::advance();
      }
      body = std::min(body + nestWork(child), int64_t(1) << 41);
      return WalkResult::skip();
    });
  // Saturate at 2^40: enough to decide, and trip counts can be huge.
  constexpr int64_t kMaxWork = int64_t(1) << 40;
  int64_t work = std::clamp<int64_t>(body, 1, kMaxWork);
  auto times = [&](int64_t trips) {
    work = trips > 0 && work > kMaxWork / trips
               ? kMaxWork
               : std::min(work * std::max<int64_t>(trips, 0), kMaxWork);
  };
  if (auto loop = dyn_cast<scf::ForOp>(op))
    times(
        tripCount(loop.getLowerBound(), loop.getUpperBound(), loop.getStep()));
  if (auto loop = dyn_cast<scf::ParallelOp>(op))
    for (auto [lb, ub, step] :
         llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep()))
      times(tripCount(lb, ub, step));
  return work;
}

/// The outermost dimension of `loop` with more than one iteration (batch
/// dimensions of size 1 give threads nothing to share).
static size_t firstSharedDim(scf::ParallelOp loop) {
  for (size_t d = 0; d < loop.getNumLoops(); ++d)
    if (tripCount(loop.getLowerBound()[d], loop.getUpperBound()[d],
                  loop.getStep()[d]) > 1)
      return d;
  return 0;
}

/// Rewrites `loop` (no results) as scf.for loops, except dimension
/// `parallelDim` (if any), which becomes an scf.parallel at its place.
static void sequentialize(RewriterBase &rewriter, scf::ParallelOp loop,
                          std::optional<size_t> parallelDim) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> ivs;
  size_t dims = loop.getNumLoops();
  for (size_t d = 0; d < dims; ++d) {
    Value lb = loop.getLowerBound()[d], ub = loop.getUpperBound()[d],
          step = loop.getStep()[d];
    Block *body;
    if (d == parallelDim) {
      auto outer = scf::ParallelOp::create(rewriter, loc, ValueRange{lb},
                                           ValueRange{ub}, ValueRange{step});
      body = outer.getBody();
      ivs.push_back(outer.getInductionVars()[0]);
    } else {
      auto inner = scf::ForOp::create(rewriter, loc, lb, ub, step);
      body = inner.getBody();
      ivs.push_back(inner.getInductionVar());
    }
    rewriter.setInsertionPoint(body->getTerminator());
  }
  Block *oldBody = loop.getBody();
  rewriter.eraseOp(oldBody->getTerminator()); // an empty scf.reduce
  rewriter.inlineBlockBefore(oldBody, rewriter.getInsertionBlock(),
                             rewriter.getInsertionPoint(), ivs);
  rewriter.eraseOp(loop);
}

namespace {
struct ParallelizeOuterLoopsPass
    : quantopt::impl::ParallelizeOuterLoopsPassBase<ParallelizeOuterLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation()->walk([&](scf::ParallelOp loop) {
      if (loop.getNumResults() == 0)
        loops.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    // Post-order: inner loops are rewritten before the loops around them.
    for (scf::ParallelOp loop : loops) {
      bool nested = loop->getParentOfType<scf::ParallelOp>() != nullptr;
      bool worthThreads = nestWork(loop) >= minWork;
      std::optional<size_t> parallelDim;
      if (!nested && worthThreads)
        parallelDim = firstSharedDim(loop);
      if (parallelDim && loop.getNumLoops() == 1)
        continue;
      sequentialize(rewriter, loop, parallelDim);
    }
  }
};
} // namespace
