//===- InitAll.cpp - Register everything QuantOpt provides ---------------===//

#include "quantopt/InitAll.h"

#include "qnn/IR/QnnDialect.h"
#include "qnn/Transforms/BufferizableOpInterfaceImpl.h"
#include "quantopt/Conversion/Passes.h"
#include "quantopt/Pipelines/Pipelines.h"
#include "quantopt/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "llvm/Config/llvm-config.h"

void quantopt::registerQuantOptDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::qnn::QnnDialect>();
  mlir::qnn::registerBufferizableOpInterfaceExternalModels(registry);
}

void quantopt::registerQuantOptPasses() {
  registerQuantOptConversionPasses();
  registerQuantOptTransformsPasses();
  registerQuantOptPipelines();
}

void quantopt::registerEverything(mlir::DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllPasses();
  registerQuantOptDialects(registry);
  registerQuantOptPasses();
}

void quantopt::printVersion(llvm::raw_ostream &os) {
  os << "QuantOpt " << QUANTOPT_VERSION << " (MLIR " << LLVM_VERSION_STRING
     << ")\n";
}
