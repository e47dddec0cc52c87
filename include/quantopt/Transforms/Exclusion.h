//===- Exclusion.h - The exclude= option of the rewrite passes --*- C++ -*-===//
//
// `exclude=` keeps ops in float by kind ("matmul", "conv", ...) or by name:
// the NameLoc of the op's location (`loc("fc1")`), also when it is nested
// in a fused or call-site location, as upstream passes leave them. A name
// that matches nothing is an error, not a silent no-op.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_TRANSFORMS_EXCLUSION_H
#define QUANTOPT_TRANSFORMS_EXCLUSION_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringSet.h"

namespace quantopt {

/// Marks the copies quant-compare-layers adds to a model (its float copy
/// and the layers' shadows): the rewrite rewrites them like any op but
/// leaves them out of its remarks, report and strict errors, which describe
/// the model.
constexpr llvm::StringLiteral kCompareCopyAttrName = "quantopt.compare_copy";

/// Whether `op` is excluded: its kind, or a name in its location, is in
/// `excluded`.
bool isExcluded(mlir::Operation *op, const llvm::StringSet<> &excluded,
                llvm::StringRef kind);

/// The first name in `op`'s location (what exclude= matches), or "".
std::string getOpName(mlir::Operation *op);

/// Checks that each of `names` is one of `kinds` or names an op under
/// `root`; reports the first that is neither (with the kinds and a few of
/// the names the module has) at `root` and fails.
mlir::LogicalResult verifyExcludeNames(mlir::Operation *root,
                                       llvm::ArrayRef<std::string> names,
                                       llvm::ArrayRef<llvm::StringRef> kinds,
                                       llvm::StringRef passArgument);

} // namespace quantopt

#endif // QUANTOPT_TRANSFORMS_EXCLUSION_H
