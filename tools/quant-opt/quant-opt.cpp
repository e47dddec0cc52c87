//===- quant-opt.cpp - QuantOpt's opt-style driver ------------------------===//
//
// mlir-opt with every upstream dialect and pass plus QuantOpt's.
//
//===----------------------------------------------------------------------===//

#include "quantopt/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <vector>

/// Whether the command line writes to a file (-o FILE, other than "-") and
/// says nothing about debug info.
static bool writesFileWithDefaultLocations(int argc, char **argv) {
  bool toFile = false;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    if (arg.contains("mlir-print-debuginfo"))
      return false;
    if ((arg == "-o" || arg == "--o") && i + 1 < argc)
      toFile = llvm::StringRef(argv[i + 1]) != "-";
    else if (arg.consume_front("-o=") || arg.consume_front("--o="))
      toFile = arg != "-";
  }
  return toFile;
}

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  quantopt::registerEverything(registry);
  llvm::cl::AddExtraVersionPrinter(quantopt::printVersion);
  // Files the flow's next step reads keep their locations, so that layer
  // names (loc("fc1"), what exclude= and the reports use) survive every
  // step; --mlir-print-debuginfo=false turns this off. Output to stdout is
  // printed as mlir-opt prints it.
  std::vector<char *> args(argv, argv + argc);
  static char debugInfo[] = "--mlir-print-debuginfo";
  if (writesFileWithDefaultLocations(argc, argv))
    args.insert(args.begin() + 1, debugInfo);
  args.push_back(nullptr);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      int(args.size() - 1), args.data(), "QuantOpt optimizer driver\n",
      registry));
}
