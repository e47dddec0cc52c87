//===- FixedPointIR.h - Fixed-point requantize as arith ops ------*- C++ -*-===//
//
// The integer-only multiply of docs/Numerics.md (gemmlowp's
// MultiplyByQuantizedMultiplier) emitted as arith ops, for the generic
// lowering (scalars in linalg.generic bodies) and the micro-kernels'
// epilogue (vectors) alike, so that both compute the same bits.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_UTILS_FIXEDPOINTIR_H
#define QUANTOPT_UTILS_FIXEDPOINTIR_H

#include "mlir/IR/Builders.h"

namespace quantopt {

/// round(x * multiplier * 2^(shift - 31)) for x in the i32 range, all
/// operands i64 (or vectors of i64 of one shape): x * 2^max(shift, 0)
/// saturated to i32, SaturatingRoundingDoublingHighMul with the Q31
/// `multiplier`, then RoundingDivideByPOT by max(-shift, 0). `leftMul` is
/// 2^max(shift, 0), `rightShift` max(-shift, 0) and `mask`
/// 2^rightShift - 1. Mirrors quantopt::multiplyByFixedPoint.
mlir::Value emitMultiplyByFixedPoint(mlir::OpBuilder &b, mlir::Location loc,
                                     mlir::Value x, mlir::Value multiplier,
                                     mlir::Value leftMul,
                                     mlir::Value rightShift, mlir::Value mask);

/// `value` as an i64 constant of `type` (i64 or a vector of i64).
mlir::Value constantLike(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Type type, int64_t value);

/// Clamps `v` (i64 or a vector of i64) to [lo, hi].
mlir::Value clampSigned(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                        int64_t lo, int64_t hi);

} // namespace quantopt

#endif // QUANTOPT_UTILS_FIXEDPOINTIR_H
