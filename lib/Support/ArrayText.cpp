//===- ArrayText.cpp - Arrays written as text, iree-run-module style ------===//

#include "quantopt/Support/ArrayText.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdio>
#include <cstring>

using namespace quantopt;

namespace {
struct TypeName {
  llvm::StringLiteral name;
  NpyDType dtype;
};
constexpr TypeName kTypeNames[] = {
    {"f16", NpyDType::F16}, {"f32", NpyDType::F32},   {"f64", NpyDType::F64},
    {"i1", NpyDType::Bool}, {"i8", NpyDType::I8},     {"i16", NpyDType::I16},
    {"i32", NpyDType::I32}, {"i64", NpyDType::I64},   {"ui8", NpyDType::U8},
    {"ui16", NpyDType::U16}};

std::optional<NpyDType> dtypeNamed(llvm::StringRef name) {
  for (const TypeName &t : kTypeNames)
    if (t.name == name)
      return t.dtype;
  return std::nullopt;
}

llvm::StringRef nameOf(NpyDType dtype) {
  for (const TypeName &t : kTypeNames)
    if (t.dtype == dtype)
      return t.name;
  return "?";
}

/// Splits "2x3xf32" into its dimensions and type name.
bool splitType(llvm::StringRef text, std::vector<int64_t> &shape,
               llvm::StringRef &type) {
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, 'x');
  type = parts.pop_back_val();
  for (llvm::StringRef part : parts) {
    int64_t d;
    if (part.getAsInteger(10, d) || d < 0)
      return false;
    shape.push_back(d);
  }
  return true;
}

template <typename T> void append(std::vector<char> &data, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  data.insert(data.end(), bytes, bytes + sizeof(T));
}

template <typename T> T load(const NpyArray &array, int64_t i) {
  T value;
  std::memcpy(&value, array.data.data() + i * sizeof(T), sizeof(T));
  return value;
}

/// Appends one value in `dtype`, or fails with why.
llvm::Error appendValue(std::vector<char> &data, NpyDType dtype,
                        llvm::StringRef text) {
  auto bad = [&](llvm::StringRef why) {
    return llvm::createStringError("'" + text + "' is not " + why);
  };
  auto integer = [&](int64_t lo, int64_t hi) -> llvm::Expected<int64_t> {
    int64_t v;
    if (text.getAsInteger(10, v))
      return bad("an integer");
    if (v < lo || v > hi)
      return bad(llvm::formatv("in [{0}, {1}]", lo, hi).str());
    return v;
  };
  switch (dtype) {
  case NpyDType::F16:
  case NpyDType::F32:
  case NpyDType::F64: {
    double v;
    if (text.getAsDouble(v))
      return bad("a number");
    if (dtype == NpyDType::F64) {
      append(data, v);
    } else if (dtype == NpyDType::F32) {
      append(data, float(v));
    } else {
      llvm::APFloat half(v);
      bool lost;
      half.convert(llvm::APFloat::IEEEhalf(),
                   llvm::APFloat::rmNearestTiesToEven, &lost);
      append(data, uint16_t(half.bitcastToAPInt().getZExtValue()));
    }
    return llvm::Error::success();
  }
  case NpyDType::Bool: {
    if (text == "true" || text == "1")
      append(data, uint8_t(1));
    else if (text == "false" || text == "0")
      append(data, uint8_t(0));
    else
      return bad("a boolean (0, 1, true, false)");
    return llvm::Error::success();
  }
  case NpyDType::I8:
  case NpyDType::I16:
  case NpyDType::I32:
  case NpyDType::I64:
  case NpyDType::U8:
  case NpyDType::U16: {
    struct Range {
      int64_t lo, hi;
    };
    Range r = dtype == NpyDType::I8    ? Range{-128, 127}
              : dtype == NpyDType::I16 ? Range{-32768, 32767}
              : dtype == NpyDType::I32 ? Range{INT32_MIN, INT32_MAX}
              : dtype == NpyDType::I64 ? Range{INT64_MIN, INT64_MAX}
              : dtype == NpyDType::U8  ? Range{0, 255}
                                       : Range{0, 65535};
    auto v = integer(r.lo, r.hi);
    if (!v)
      return v.takeError();
    if (dtype == NpyDType::I8 || dtype == NpyDType::U8)
      append(data, uint8_t(*v));
    else if (dtype == NpyDType::I16 || dtype == NpyDType::U16)
      append(data, uint16_t(*v));
    else if (dtype == NpyDType::I32)
      append(data, int32_t(*v));
    else
      append(data, *v);
    return llvm::Error::success();
  }
  }
  llvm_unreachable("unknown dtype");
}
} // namespace

bool quantopt::isArrayLiteral(llvm::StringRef text) {
  auto [type, values] = text.split('=');
  std::vector<int64_t> shape;
  llvm::StringRef name;
  return text.contains('=') && splitType(type, shape, name) &&
         dtypeNamed(name).has_value();
}

llvm::Expected<NpyArray> quantopt::parseArrayLiteral(llvm::StringRef text) {
  auto [type, values] = text.split('=');
  NpyArray array;
  llvm::StringRef name;
  if (!text.contains('=') || !splitType(type, array.shape, name))
    return llvm::createStringError(
        "'" + text + "': expected SHAPExTYPE=VALUES, e.g. 2x3xf32=1,2,3,4,5,6");
  std::optional<NpyDType> dtype = dtypeNamed(name);
  if (!dtype)
    return llvm::createStringError("'" + text + "': unknown element type '" +
                                   name +
                                   "' (f16, f32, f64, i1, i8, i16, i32, i64, "
                                   "ui8, ui16)");
  array.dtype = *dtype;
  array.name = type.str();
  std::optional<int64_t> count = checkedProduct(array.shape);
  if (!count)
    return llvm::createStringError("'" + type + "' has too many elements");
  llvm::SmallVector<llvm::StringRef> tokens;
  llvm::SplitString(values, tokens, ", \t\n[]");
  if (int64_t(tokens.size()) != *count && tokens.size() != 1)
    return llvm::createStringError(
        "'" + type + "' holds " + std::to_string(*count) + " values, " +
        std::to_string(tokens.size()) + " were given");
  for (llvm::StringRef token : tokens)
    if (llvm::Error e = appendValue(array.data, array.dtype, token))
      return llvm::createStringError("'" + type +
                                     "': " + llvm::toString(std::move(e)));
  if (tokens.size() == 1 && *count != 1) {
    std::vector<char> one = array.data;
    if (llvm::Error e = checkFitsInMemory(uint64_t(*count) * one.size(),
                                          "'" + type.str() + "'"))
      return std::move(e);
    array.data.clear();
    for (int64_t i = 0; i < *count; ++i)
      array.data.insert(array.data.end(), one.begin(), one.end());
  }
  return array;
}

std::string quantopt::arrayTypeString(const NpyArray &array) {
  std::string s;
  for (int64_t d : array.shape)
    s += std::to_string(d) + "x";
  return s + nameOf(array.dtype).str();
}

bool quantopt::isFloatDType(NpyDType dtype) {
  return dtype == NpyDType::F16 || dtype == NpyDType::F32 ||
         dtype == NpyDType::F64;
}

std::string quantopt::formatNumber(double value, NpyDType dtype) {
  char digits[32];
  std::snprintf(digits, sizeof(digits),
                dtype == NpyDType::F64 ? "%.17g" : "%.9g", value);
  return digits;
}

double quantopt::elementAsDouble(const NpyArray &array, int64_t i) {
  switch (array.dtype) {
  case NpyDType::F16: {
    llvm::APFloat half(llvm::APFloat::IEEEhalf(),
                       llvm::APInt(16, load<uint16_t>(array, i)));
    return half.convertToDouble();
  }
  case NpyDType::F32:
    return load<float>(array, i);
  case NpyDType::F64:
    return load<double>(array, i);
  case NpyDType::I8:
    return load<int8_t>(array, i);
  case NpyDType::U8:
  case NpyDType::Bool:
    return load<uint8_t>(array, i);
  case NpyDType::I16:
    return load<int16_t>(array, i);
  case NpyDType::U16:
    return load<uint16_t>(array, i);
  case NpyDType::I32:
    return load<int32_t>(array, i);
  case NpyDType::I64:
    return double(load<int64_t>(array, i));
  }
  llvm_unreachable("unknown dtype");
}

std::string quantopt::formatArray(const NpyArray &array,
                                  int64_t maxElements) {
  std::string out = arrayTypeString(array) + "=";
  int64_t n = array.numElements();
  size_t rank = array.shape.size();
  for (int64_t i = 0; i < n; ++i) {
    if (i == maxElements) {
      out += "...";
      break;
    }
    // A '[' where each row of the innermost dimension starts, ']' where it
    // ends; values between them separated by spaces.
    int64_t inner = rank ? array.shape.back() : 1;
    if (rank && i % std::max<int64_t>(inner, 1) == 0)
      out += "[";
    else if (i)
      out += " ";
    if (array.dtype == NpyDType::I64)
      out += std::to_string(load<int64_t>(array, i));
    else if (isFloatDType(array.dtype))
      out += formatNumber(elementAsDouble(array, i), array.dtype);
    else
      out += std::to_string(int64_t(elementAsDouble(array, i)));
    if (rank && (i + 1) % std::max<int64_t>(inner, 1) == 0)
      out += "]";
  }
  return out;
}
