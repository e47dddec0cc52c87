//===- InitAll.h - Register everything QuantOpt provides --------*- C++ -*-===//
//
// One place that registers QuantOpt's dialects and passes, so tools and
// downstream compilers stay a few lines long.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_INITALL_H
#define QUANTOPT_INITALL_H

#include "llvm/Support/raw_ostream.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace quantopt {

/// Adds QuantOpt's dialects (qnn) to `registry`.
void registerQuantOptDialects(mlir::DialectRegistry &registry);

/// Registers QuantOpt's passes and pipelines with the global pass registry.
void registerQuantOptPasses();

/// Adds every upstream MLIR dialect and extension plus QuantOpt's to
/// `registry`, and registers every upstream and QuantOpt pass: what an
/// opt-style tool needs.
void registerEverything(mlir::DialectRegistry &registry);

/// "QuantOpt <version> (MLIR <version>)".
void printVersion(llvm::raw_ostream &os);

} // namespace quantopt

#endif // QUANTOPT_INITALL_H
