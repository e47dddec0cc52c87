//===- ObserverStats.cpp - An observer's entry in a stats file -----------===//

#include "quantopt/Transforms/ObserverStats.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"

using namespace mlir;

FailureOr<const quantopt::ObserverStats *>
quantopt::findObserverStats(qnn::ObserveOp op, const CalibrationStats &stats,
                            StringRef statsFile) {
  int64_t id = op.getIdAttr().getInt();
  StringRef name = op.getName().value_or("");
  auto it = stats.observers.find(id);
  if (it == stats.observers.end())
    return op.emitError() << "observer " << id << " ('" << name
                          << "') has no statistics in '" << statsFile
                          << "': was the stats file recorded for this module?";
  const ObserverStats &observed = it->second;
  if (!observed.name.empty() && !name.empty() && observed.name != name)
    return op.emitError() << "stats for observer " << id
                          << " were recorded as '" << observed.name
                          << "', but here it is '" << name
                          << "': the stats file is stale or for another module";
  return &observed;
}

std::optional<int64_t> quantopt::contractedDim(linalg::LinalgOp op,
                                               OpOperand &operand) {
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->k.size() != 1)
    return std::nullopt;
  unsigned loop = dims->k.front();
  std::optional<int64_t> found;
  for (auto [index, expr] :
       llvm::enumerate(op.getMatchingIndexingMap(&operand).getResults())) {
    if (!expr.isFunctionOfDim(loop))
      continue;
    if (found || !isa<AffineDimExpr>(expr))
      return std::nullopt;
    found = index;
  }
  return found;
}
