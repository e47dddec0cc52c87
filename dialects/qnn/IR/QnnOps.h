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

/// The largest |q - zero_point| a value of `type` can take, over all of
/// its channels: 255 for u8 with zero point 0, 128 for symmetric i8.
int64_t maxAbsOffset(quant::QuantizedType type);

/// The largest |sum_k (a - za)(w - zw)| an i32 accumulator of `depth`
/// products reaches when each factor is at its extreme, saturated at
/// INT64_MAX. The bound docs/Numerics.md states.
int64_t worstCaseAccumulator(int64_t depth, int64_t maxAbsLhs,
                             int64_t maxAbsRhs);

/// The worst-case accumulator of a qnn.matmul, qnn.conv2d or
/// qnn.matmul_integer from its types (a run-time zero point counts as the
/// storage type's extreme); nothing for other ops or a dynamic depth.
std::optional<int64_t> worstCaseAccumulator(Operation *op);

/// Warns at `op` when its worst-case accumulator exceeds INT32_MAX: i32
/// accumulation then wraps on data that reach the bound. Returns true when
/// it warned. The lowerings call it once per op they lower.
bool warnIfAccumulatorMayOverflow(Operation *op);

} // namespace mlir::qnn

#endif // QNN_IR_QNNOPS_H
