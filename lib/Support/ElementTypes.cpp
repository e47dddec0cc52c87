//===- ElementTypes.cpp - Tensor element types as NumPy / C types ---------===//

#include "quantopt/Support/ElementTypes.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

std::optional<quantopt::NpyDType> quantopt::npyDTypeFor(Type element) {
  if (auto quantized = dyn_cast<quant::QuantizedType>(element)) {
    unsigned width = quantized.getStorageTypeIntegralWidth();
    bool isSigned = quantized.isSigned();
    if (width == 8)
      return isSigned ? NpyDType::I8 : NpyDType::U8;
    if (width == 16)
      return isSigned ? NpyDType::I16 : NpyDType::U16;
    if (width == 32 && isSigned)
      return NpyDType::I32;
    return std::nullopt;
  }
  if (element.isF16())
    return NpyDType::F16;
  if (element.isF32())
    return NpyDType::F32;
  if (element.isF64())
    return NpyDType::F64;
  if (element.isInteger(1))
    return NpyDType::Bool;
  if (auto integer = dyn_cast<IntegerType>(element)) {
    bool isUnsigned = integer.isUnsigned();
    switch (integer.getWidth()) {
    case 8:
      return isUnsigned ? NpyDType::U8 : NpyDType::I8;
    case 16:
      return isUnsigned ? NpyDType::U16 : NpyDType::I16;
    case 32:
      return isUnsigned ? std::nullopt : std::optional(NpyDType::I32);
    case 64:
      return isUnsigned ? std::nullopt : std::optional(NpyDType::I64);
    }
  }
  return std::nullopt;
}

llvm::StringRef quantopt::cTypeName(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::F16:
    return "uint16_t";
  case NpyDType::F32:
    return "float";
  case NpyDType::F64:
    return "double";
  case NpyDType::I8:
    return "int8_t";
  case NpyDType::U8:
    return "uint8_t";
  case NpyDType::I16:
    return "int16_t";
  case NpyDType::U16:
    return "uint16_t";
  case NpyDType::I32:
    return "int32_t";
  case NpyDType::I64:
    return "int64_t";
  case NpyDType::Bool:
    return "uint8_t";
  }
  llvm_unreachable("unknown dtype");
}
