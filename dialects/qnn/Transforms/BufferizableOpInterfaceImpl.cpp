//===- BufferizableOpInterfaceImpl.cpp - qnn bufferization ----------------===//
//
// qnn.packed_matmul on tensors becomes the same op on memrefs: every operand
// is read, the init is written in place (its tensor result aliases it).
//
//===----------------------------------------------------------------------===//

#include "qnn/Transforms/BufferizableOpInterfaceImpl.h"

#include "qnn/IR/QnnOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {
struct PackedMatmulOpInterface
    : DstBufferizableOpInterfaceExternalModel<PackedMatmulOpInterface,
                                              qnn::PackedMatmulOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto matmul = cast<qnn::PackedMatmulOp>(op);
    SmallVector<Value> buffers;
    for (Value operand : op->getOperands()) {
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      buffers.push_back(*buffer);
    }
    rewriter.setInsertionPoint(op);
    // Same operands (segment sizes included) and attributes, no result.
    OperationState bufferized(op->getLoc(), op->getName(), buffers, TypeRange{},
                              op->getAttrs());
    rewriter.create(bufferized);
    replaceOpWithBufferizedValues(
        rewriter, op, buffers[matmul.getInitMutable().getOperandNumber()]);
    return success();
  }
};
} // namespace

void qnn::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, qnn::QnnDialect *) {
    qnn::PackedMatmulOp::attachInterface<PackedMatmulOpInterface>(*ctx);
  });
}
