//===- FixedPointIR.cpp - Fixed-point requantize as arith ops -------------===//

#include "quantopt/Utils/FixedPointIR.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

Value quantopt::constantLike(OpBuilder &b, Location loc, Type type,
                             int64_t value) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(shaped, b.getI64IntegerAttr(value)));
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(value));
}

Value quantopt::clampSigned(OpBuilder &b, Location loc, Value v, int64_t lo,
                            int64_t hi) {
  v = arith::MaxSIOp::create(b, loc, v, constantLike(b, loc, v.getType(), lo));
  return arith::MinSIOp::create(b, loc, v,
                                constantLike(b, loc, v.getType(), hi));
}

Value quantopt::emitMultiplyByFixedPoint(OpBuilder &b, Location loc, Value x,
                                         Value multiplier, Value leftMul,
                                         Value rightShift, Value mask) {
  Type type = x.getType();
  auto c = [&](int64_t v) { return constantLike(b, loc, type, v); };
  x = clampSigned(b, loc, arith::MulIOp::create(b, loc, x, leftMul), INT32_MIN,
                  INT32_MAX);
  // SaturatingRoundingDoublingHighMul (multiplier >= 0: no overflow case).
  Value ab = arith::MulIOp::create(b, loc, x, multiplier);
  Value nonNegative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, ab, c(0));
  Value nudge = arith::SelectOp::create(
      b, loc, nonNegative, c(int64_t(1) << 30), c(1 - (int64_t(1) << 30)));
  Value high = arith::DivSIOp::create(
      b, loc, arith::AddIOp::create(b, loc, ab, nudge), c(int64_t(1) << 31));
  // RoundingDivideByPOT: ties away from zero.
  Value remainder = arith::AndIOp::create(b, loc, high, mask);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, high, c(0));
  Value threshold =
      arith::AddIOp::create(b, loc, arith::ShRSIOp::create(b, loc, mask, c(1)),
                            arith::ExtUIOp::create(b, loc, type, negative));
  Value roundUp = arith::ExtUIOp::create(
      b, loc, type,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, remainder,
                            threshold));
  return arith::AddIOp::create(
      b, loc, arith::ShRSIOp::create(b, loc, high, rightShift), roundUp);
}
