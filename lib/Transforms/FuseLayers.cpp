//===- FuseLayers.cpp - Mark matmul + epilogue quantization units ---------===//

#include "quantopt/Transforms/Epilogue.h"
#include "quantopt/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace quantopt {
#define GEN_PASS_DEF_FUSELAYERSPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {
struct FuseLayersPass : quantopt::impl::FuseLayersPassBase<FuseLayersPass> {
  void runOnOperation() override {
    getOperation()->walk([](Operation *op) {
      std::optional<unsigned> channelDim = quantopt::getOutputChannelDim(op);
      if (!channelDim)
        return;
      Value result = op->getResult(0);
      if (!result.hasOneUse())
        return;
      auto epilogue = dyn_cast<linalg::GenericOp>(*result.getUsers().begin());
      if (epilogue && quantopt::matchEpilogue(epilogue, result, *channelDim))
        op->setAttr(quantopt::kFusedAttrName, UnitAttr::get(op->getContext()));
    });
  }
};
} // namespace
