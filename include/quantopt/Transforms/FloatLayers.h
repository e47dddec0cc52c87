//===- FloatLayers.h - What stays float runs as float -----------*- C++ -*-===//
//
// After the integer rewrite, an op left in float (excluded, or of a kind
// with no integer form) should cost what it costs in the FP32 program: no
// quantize/dequantize round trip that nothing integer reads, and constant
// weights dequantized at compile time so that it takes the packed f32
// kernels.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_TRANSFORMS_FLOATLAYERS_H
#define QUANTOPT_TRANSFORMS_FLOATLAYERS_H

#include "quantopt/Utils/ConstantLimits.h"

#include "mlir/IR/PatternMatch.h"

namespace quantopt {

/// - dequantize(quantize(x)) -> x when the quantized value has no other
///   user: the round trip only adds error and time (unless
///   `keepRoundTrips`: the model's own quantization points, part of what a
///   QDQ or QAT model computes);
/// - dequantize of an integer constant (through quant.scast) -> the f32
///   constant, computed now with the contract's dequantize (the same values
///   the run-time dequantize gives).
void populateFloatLayerCleanupPatterns(mlir::RewritePatternSet &patterns,
                                       ConstantExpansionLimit &limit,
                                       bool keepRoundTrips = false);

} // namespace quantopt

#endif // QUANTOPT_TRANSFORMS_FLOATLAYERS_H
