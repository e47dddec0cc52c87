//===- ConstantLimits.cpp - How large a constant a pass may expand --------===//

#include "quantopt/Utils/ConstantLimits.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace quantopt;

std::optional<int64_t> quantopt::checkedNumElements(ShapedType type) {
  if (!type.hasStaticShape())
    return std::nullopt;
  int64_t n = 1;
  for (int64_t d : type.getShape())
    if (llvm::MulOverflow(n, d, n))
      return std::nullopt;
  return n;
}

bool ConstantExpansionLimit::allows(Operation *user, ElementsAttr attr) {
  std::optional<int64_t> n = checkedNumElements(attr.getShapedType());
  if (n && *n <= maxElements)
    return true;
  if (reported.insert(user).second)
    user->emitError() << "reads a constant of type " << attr.getType()
                      << " with more than the " << maxElements
                      << " elements " << passArgument
                      << " expands; raise its max-constant-elements option "
                         "to allow it";
  return false;
}

bool ConstantExpansionLimit::allows(Operation *user,
                                    std::optional<int64_t> elements,
                                    llvm::StringRef what) {
  if (elements && *elements <= maxElements)
    return true;
  if (reported.insert(user).second)
    user->emitError() << "needs more than the " << maxElements << " " << what
                      << " " << passArgument
                      << " expands; raise its max-constant-elements option "
                         "to allow it";
  return false;
}
