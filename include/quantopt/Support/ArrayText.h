//===- ArrayText.h - Arrays written as text, iree-run-module style -*- C++ -*-===//
//
// The command-line form of an array the runners share with IREE's tools:
//   2x3xf32=1,2,3,4,5,6     shape, element type, values (commas, spaces or
//                           brackets between them; one value fills all)
//   f32=0.5                 a scalar
// and the printed form of a result: 2x3xf32=[1 2 3][4 5 6].
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_SUPPORT_ARRAYTEXT_H
#define QUANTOPT_SUPPORT_ARRAYTEXT_H

#include "quantopt/Support/NumpyIO.h"

namespace quantopt {

/// Whether `text` is written as shape x type = values (and not a path).
bool isArrayLiteral(llvm::StringRef text);

/// Parses "2x3xf32=1,2,3,4,5,6". Element types: f16, f32, f64, i1, i8,
/// i16, i32, i64, ui8, ui16.
llvm::Expected<NpyArray> parseArrayLiteral(llvm::StringRef text);

/// "2x3xf32" for an array of that shape and dtype.
std::string arrayTypeString(const NpyArray &array);

/// The array as "2x3xf32=[1 2 3][4 5 6]", floats with enough digits to read
/// back exactly; at most `maxElements` values, then "...".
std::string formatArray(const NpyArray &array, int64_t maxElements);

/// Whether `dtype` is f16, f32 or f64.
bool isFloatDType(NpyDType dtype);

/// A number with the digits that read back as the same value of `dtype`
/// (9 significant digits for f32 and f16, 17 for f64).
std::string formatNumber(double value, NpyDType dtype = NpyDType::F32);

/// Element `i` of the array as a double (f16 decoded, integers exactly up to
/// 2^53).
double elementAsDouble(const NpyArray &array, int64_t i);

} // namespace quantopt

#endif // QUANTOPT_SUPPORT_ARRAYTEXT_H
