//===- ConstantLimits.h - How large a constant a pass may expand -*- C++ -*-===//
//
// A splat constant of a huge type is a few bytes of IR, but expanding it
// element by element (to quantize, pack or convert it) can need terabytes.
// Every pass that materializes constants checks them against one limit,
// its `max-constant-elements` option, and says so at the op that reads the
// constant when the limit is hit.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_UTILS_CONSTANTLIMITS_H
#define QUANTOPT_UTILS_CONSTANTLIMITS_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseSet.h"

#include <optional>

namespace quantopt {

/// The default of every pass's `max-constant-elements`: 2^26 elements
/// (256 MiB of f32), beyond the largest weight of a BERT-base model.
constexpr int64_t kDefaultMaxConstantElements = int64_t(1) << 26;

/// The element count of a shaped type, or nothing when it is dynamic or
/// overflows int64 (ShapedType::getNumElements does not check).
std::optional<int64_t> checkedNumElements(mlir::ShapedType type);

/// Counts the constants a pass refused to expand, reporting each once, at
/// the op that reads it. Patterns call `allows` before expanding; the pass
/// fails when `exceeded()` afterwards.
class ConstantExpansionLimit {
public:
  ConstantExpansionLimit(int64_t maxElements, llvm::StringRef passArgument)
      : maxElements(maxElements), passArgument(passArgument) {}

  /// Whether `attr` may be expanded; when not, an error at `user` names the
  /// constant's type and the option that raises the limit.
  bool allows(mlir::Operation *user, mlir::ElementsAttr attr);
  /// The same for a count of elements the pass would create itself (`what`
  /// says which, e.g. "per-channel values").
  bool allows(mlir::Operation *user, std::optional<int64_t> elements,
              llvm::StringRef what);

  bool exceeded() const { return !reported.empty(); }

private:
  int64_t maxElements;
  std::string passArgument;
  llvm::DenseSet<mlir::Operation *> reported;
};

} // namespace quantopt

#endif // QUANTOPT_UTILS_CONSTANTLIMITS_H
