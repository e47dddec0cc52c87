//===- Passes.h - QuantOpt conversion passes --------------------*- C++ -*-===//
//
// Declares QuantOpt's conversion passes and their pattern populators.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CONVERSION_PASSES_H
#define QUANTOPT_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

namespace quantopt {

/// How qnn.requantize is lowered.
enum class RequantizeMode {
  /// f32 multiplier, round half to even: bit-exact with the ONNX reference.
  Float,
  /// Q31 fixed-point multiplier and rounding shift: integer arithmetic only.
  FixedPoint,
};

/// Converts tensors of uniform quantized types to tensors of their storage
/// integer types, and materializes between the two with quant.scast.
class QuantStorageTypeConverter : public mlir::TypeConverter {
public:
  QuantStorageTypeConverter();
};

/// Adds the patterns that lower qnn.quantize / dequantize / requantize and
/// quant.qcast / dcast / scast to linalg on storage integer tensors.
void populateQnnToLinalgConversionPatterns(
    const mlir::TypeConverter &typeConverter, mlir::RewritePatternSet &patterns,
    RequantizeMode requantizeMode);

#define GEN_PASS_DECL
#include "quantopt/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quantopt/Conversion/Passes.h.inc"

} // namespace quantopt

#endif // QUANTOPT_CONVERSION_PASSES_H
