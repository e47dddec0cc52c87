//===- NumpyIO.h - Read and write .npy / .npz files -------------*- C++ -*-===//
//
// NumPy's array files, as quant-run reads inputs and writes outputs: .npy
// (format 1.0-3.0, little-endian, C order) and .npz (zip of .npy members,
// stored or deflated).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_SUPPORT_NUMPYIO_H
#define QUANTOPT_SUPPORT_NUMPYIO_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace quantopt {

enum class NpyDType { F16, F32, F64, I8, U8, I16, U16, I32, I64, Bool };

/// NumPy's name of a dtype ("float32", "int8", ...).
llvm::StringRef npyDTypeName(NpyDType dtype);
size_t npyDTypeSize(NpyDType dtype);

struct NpyArray {
  std::string name; // member name in an .npz, without ".npy"
  NpyDType dtype = NpyDType::F32;
  std::vector<int64_t> shape;
  std::vector<char> data; // row-major, little-endian

  int64_t numElements() const;
  std::string shapeString() const; // "(2, 3)"
};

/// dims[0] * dims[1] * ... * factor, or nothing when a dim is negative or the
/// product overflows int64.
std::optional<int64_t> checkedProduct(llvm::ArrayRef<int64_t> dims,
                                      int64_t factor = 1);

/// An error naming `what` when `bytes` exceed the machine's physical memory:
/// a message instead of an out-of-memory abort.
llvm::Error checkFitsInMemory(uint64_t bytes, llvm::StringRef what);

/// What an .npy header says; its sizes are checked against overflow.
struct NpyHeader {
  NpyDType dtype = NpyDType::F32;
  std::vector<int64_t> shape;
  uint64_t dataOffset = 0;   // where the data starts
  uint64_t payloadBytes = 0; // how many bytes of data the shape needs
};

/// Parses the magic, version and header dict of an .npy file (the keys
/// NumPy writes, exactly once each, as NumPy's reader demands).
llvm::Expected<NpyHeader> parseNpyHeader(llvm::StringRef bytes,
                                         llvm::StringRef what);

/// Parses the bytes of an .npy file; `what` names it in errors.
llvm::Expected<NpyArray> parseNpy(llvm::StringRef bytes, llvm::StringRef what);

/// Reads one .npy file.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// Reads every array of an .npz file, in archive order.
llvm::Expected<std::vector<NpyArray>> readNpz(llvm::StringRef path);

/// Reads .npy (one array) or .npz (all arrays) by extension.
llvm::Expected<std::vector<NpyArray>> readArrays(llvm::StringRef path);

/// Serializes as .npy format 1.0.
std::string serializeNpy(const NpyArray &array);
llvm::Error writeNpy(llvm::StringRef path, const NpyArray &array);

} // namespace quantopt

#endif // QUANTOPT_SUPPORT_NUMPYIO_H
