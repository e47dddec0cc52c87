//===- QnnDialect.cpp - qnn dialect registration -------------------------===//

#include "qnn/IR/QnnDialect.h"
#include "qnn/IR/QnnOps.h"

using namespace mlir;
using namespace mlir::qnn;

#include "qnn/IR/QnnOpsDialect.cpp.inc"

void QnnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "qnn/IR/QnnOps.cpp.inc"
      >();
}
