//===- Exclusion.cpp - The exclude= option of the rewrite passes ----------===//

#include "quantopt/Transforms/Exclusion.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

/// Every NameLoc name in `loc`, nested ones included.
static void forEachName(Location loc, llvm::function_ref<void(StringRef)> fn) {
  loc->walk([&](Location inner) {
    if (auto name = dyn_cast<NameLoc>(inner))
      fn(name.getName().strref());
    return WalkResult::advance();
  });
}

std::string quantopt::getOpName(Operation *op) {
  std::string first;
  forEachName(op->getLoc(), [&](StringRef name) {
    if (first.empty())
      first = name.str();
  });
  return first;
}

bool quantopt::isExcluded(Operation *op, const llvm::StringSet<> &excluded,
                          StringRef kind) {
  if (excluded.contains(kind))
    return true;
  bool named = false;
  forEachName(op->getLoc(), [&](StringRef name) {
    named = named || excluded.contains(name);
  });
  return named;
}

LogicalResult quantopt::verifyExcludeNames(Operation *root,
                                           ArrayRef<std::string> names,
                                           ArrayRef<StringRef> kinds,
                                           StringRef passArgument) {
  if (names.empty())
    return success();
  llvm::SetVector<StringRef> present;
  root->walk([&](Operation *op) {
    forEachName(op->getLoc(), [&](StringRef name) { present.insert(name); });
  });
  for (const std::string &name : names) {
    if (llvm::is_contained(kinds, name) || present.contains(name))
      continue;
    InFlightDiagnostic d = emitError(root->getLoc())
                           << passArgument << ": exclude='" << name
                           << "' is neither an op kind (";
    llvm::interleaveComma(kinds, d);
    d << ") nor the name of an op in this module";
    if (present.empty()) {
      d << " (it has no named ops: names come from name locations, "
           "loc(\"fc1\"); were locations dropped?)";
    } else {
      d << " (names here include ";
      llvm::interleaveComma(llvm::ArrayRef(present.getArrayRef())
                                .take_front(std::min<size_t>(present.size(), 5)),
                            d, [&](StringRef n) { d << "'" << n << "'"; });
      d << ")";
    }
    return failure();
  }
  return success();
}
