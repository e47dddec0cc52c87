//===- StridedCopiesToLinalg.cpp - Strided memref.copy as loops -----------===//
//
// memref.copy between buffers that are not both contiguous => linalg.copy,
// which becomes loops that LLVM vectorizes. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"

namespace quantopt {
#define GEN_PASS_DEF_STRIDEDCOPIESTOLINALGPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {
/// The test the LLVM lowering of memref.copy uses to emit one memcpy.
bool lowersToMemcpy(MemRefType type) {
  return type.getLayout().isIdentity() ||
         memref::isStaticShapeAndContiguousRowMajor(type);
}

struct StridedCopiesToLinalgPass
    : quantopt::impl::StridedCopiesToLinalgPassBase<StridedCopiesToLinalgPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation()->walk([&](memref::CopyOp copy) {
      auto source = dyn_cast<MemRefType>(copy.getSource().getType());
      auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
      if (!source || !target ||
          (lowersToMemcpy(source) && lowersToMemcpy(target)))
        return;
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    });
  }
};
} // namespace
