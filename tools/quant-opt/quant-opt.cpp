//===- quant-opt.cpp - QuantOpt's opt-style driver ------------------------===//
//
// mlir-opt with every upstream dialect and pass plus QuantOpt's.
//
//===----------------------------------------------------------------------===//

#include "quantopt/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  quantopt::registerEverything(registry);
  llvm::cl::AddExtraVersionPrinter(quantopt::printVersion);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "QuantOpt optimizer driver\n", registry));
}
