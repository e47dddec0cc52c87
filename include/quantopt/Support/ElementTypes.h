//===- ElementTypes.h - Tensor element types as NumPy / C types -*- C++ -*-===//
//
// How the tools (quant-run, quant-compile) pass a tensor of a given element
// type across their boundary: as which NumPy dtype, which C type.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_SUPPORT_ELEMENTTYPES_H
#define QUANTOPT_SUPPORT_ELEMENTTYPES_H

#include "quantopt/Support/NumpyIO.h"

#include "mlir/IR/Types.h"

#include <optional>

namespace quantopt {

/// The dtype that holds values of `element` (a quantized type: its storage
/// integers), or nullopt when no .npy dtype does.
std::optional<NpyDType> npyDTypeFor(mlir::Type element);

/// The C type of one element of `dtype` ("float", "int8_t", ...; f16 as its
/// bits, "uint16_t"; bool as one byte, "uint8_t").
llvm::StringRef cTypeName(NpyDType dtype);

} // namespace quantopt

#endif // QUANTOPT_SUPPORT_ELEMENTTYPES_H
