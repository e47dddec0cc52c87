//===- Passes.h - QuantOpt transformation passes ----------------*- C++ -*-===//

#ifndef QUANTOPT_TRANSFORMS_PASSES_H
#define QUANTOPT_TRANSFORMS_PASSES_H

#include "qnn/IR/QnnDialect.h"

#include "mlir/Pass/Pass.h"
#include "quantopt/Utils/ConstantLimits.h"

namespace quantopt {

#define GEN_PASS_DECL
#include "quantopt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quantopt/Transforms/Passes.h.inc"

} // namespace quantopt

#endif // QUANTOPT_TRANSFORMS_PASSES_H
