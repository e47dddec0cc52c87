//===- QnnDialect.h - qnn dialect -------------------------------*- C++ -*-===//
//
// Declares the qnn dialect (quantized neural network ops of QuantOpt).
//
//===----------------------------------------------------------------------===//

#ifndef QNN_IR_QNNDIALECT_H
#define QNN_IR_QNNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Dialect.h"

#include "qnn/IR/QnnOpsDialect.h.inc"

#endif // QNN_IR_QNNDIALECT_H
