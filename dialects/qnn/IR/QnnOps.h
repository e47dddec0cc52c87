//===- QnnOps.h - qnn dialect ops -------------------------------*- C++ -*-===//
//
// Declares the ops of the qnn dialect and the helpers their users share.
//
//===----------------------------------------------------------------------===//

#ifndef QNN_IR_QNNOPS_H
#define QNN_IR_QNNOPS_H

#include "qnn/IR/QnnDialect.h"
#include "quantopt/Utils/QuantParams.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "qnn/IR/QnnOps.h.inc"

namespace mlir::qnn {

/// Checks that `type`'s uniform quantized element type is usable on a tensor
/// of its shape: scales finite and > 0, zero points inside the storage range,
/// and for per-axis types an axis inside the rank with one scale per channel.
/// `role` names the value in diagnostics ("result", "input").
LogicalResult verifyQuantizedTensorType(Operation *op, ShapedType type,
                                        StringRef role);

/// The integer range a quantized type's storage may take (its custom range,
/// such as i8<-127:127>, when it has one).
inline quantopt::StorageRange getStorageRange(quant::QuantizedType type) {
  return {type.getStorageTypeMin(), type.getStorageTypeMax()};
}

} // namespace mlir::qnn

#endif // QNN_IR_QNNOPS_H
