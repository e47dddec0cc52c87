//===- CInterface.h - The C interface of a compiled module ------*- C++ -*-===//
//
// What quant-compile exports from a module, and the C it writes for it: a
// header, the wrapper functions behind it (C pointers in, the compiled
// functions' memref arguments out) and a JSON signature the Python runtime
// reads.
//
// The ABI, for a function @f of the module compiled with --name P:
//   int P_f(const T0 *input0, ..., U0 *result0, ...);
// Every tensor is a contiguous row-major array of its C element type; the
// caller allocates the results (their sizes are in the header). An input
// with dynamic dimensions is followed by its shape (const int64_t *); a
// result of dynamic shape is allocated by the call (U **result, int64_t
// *result_shape; P_free releases it). The return value is a status code, 0
// on success (P_status_message names the others).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_TOOLS_QUANTCOMPILE_CINTERFACE_H
#define QUANTOPT_TOOLS_QUANTCOMPILE_CINTERFACE_H

#include "quantopt/Support/NumpyIO.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace quantopt {

/// One tensor argument or result as the C interface passes it.
struct ExportedTensor {
  NpyDType dtype;
  std::vector<int64_t> shape; // ShapedType::kDynamic where dynamic
  std::string mlirType;       // for the header's comments

  bool isDynamic() const {
    return llvm::is_contained(shape, mlir::ShapedType::kDynamic);
  }
};

/// One exported function.
struct ExportedFunction {
  std::string mlirName;   // @main
  std::string cName;      // P_main: what the header declares
  std::string implSymbol; // P__impl_main: the compiled function
  std::vector<ExportedTensor> inputs, results;

  /// Whether the compiled function returns buffers it allocated (a result
  /// of dynamic shape) rather than filling the caller's.
  bool returnsBuffers() const {
    return llvm::any_of(results,
                        [](const ExportedTensor &t) { return t.isDynamic(); });
  }
};

/// Everything a library exports.
struct ExportedModule {
  std::string prefix;
  std::string source;  // the model file, for the header's comment
  bool parallel = false; // compiled with OpenMP regions
  std::vector<ExportedFunction> functions;
};

/// Checks that the functions to export (all public functions with a body,
/// or the ones named in `only`) have signatures the C interface can pass,
/// and describes them. Emits an error at the offending function otherwise.
mlir::FailureOr<ExportedModule> describeExports(mlir::ModuleOp module,
                                          llvm::StringRef prefix,
                                          llvm::ArrayRef<std::string> only);

/// Prepares `module` for the lowering: each exported function is renamed to
/// its implementation symbol and its arguments become read-only (the
/// caller's const arrays); other public functions become private.
void prepareForExport(mlir::ModuleOp module, const ExportedModule &exports);

/// Whether `name` can prefix C identifiers.
bool isCIdentifier(llvm::StringRef name);

/// The header, the wrapper source (with the memrefCopy fallback when the
/// compiled code needs it) and the JSON signature.
std::string generateHeader(const ExportedModule &exports);
std::string generateWrapper(const ExportedModule &exports,
                            bool defineMemrefCopy);
std::string signatureJson(const ExportedModule &exports);

} // namespace quantopt

#endif // QUANTOPT_TOOLS_QUANTCOMPILE_CINTERFACE_H
