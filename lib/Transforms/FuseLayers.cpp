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
    getOperation()->walk([](linalg::MatmulOp matmul) {
      Value result = matmul->getResult(0);
      if (!result.hasOneUse())
        return;
      auto epilogue = dyn_cast<linalg::GenericOp>(*result.getUsers().begin());
      if (epilogue && quantopt::matchEpilogue(epilogue, result))
        matmul->setAttr(quantopt::kFusedAttrName,
                        UnitAttr::get(matmul.getContext()));
    });
  }
};
} // namespace
