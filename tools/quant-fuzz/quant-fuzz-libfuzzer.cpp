//===- quant-fuzz-libfuzzer.cpp - libFuzzer entry point -------------------===//
//
// libFuzzer target over parse + every pass and pipeline (FuzzTarget.h).
// Build with -DQUANTOPT_ENABLE_LIBFUZZER=ON (best together with
// SANITIZE=1), then e.g.
//   quant-fuzz-libfuzzer -dict=... -max_len=4096 corpus/ test-inputs/
// where corpus/ starts as a copy of the lit tests' .mlir files. Set
// QUANTOPT_FUZZ_STATS to a stats file to fuzz quant-apply-calibration too.
//
//===----------------------------------------------------------------------===//

#include "FuzzTarget.h"

#include "quantopt/InitAll.h"

#include <cstdlib>

using namespace quantopt::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static std::unique_ptr<mlir::MLIRContext> context = [] {
    quantopt::registerQuantOptPasses();
    return makeFuzzContext();
  }();
  static std::vector<std::string> pipelines = [] {
    const char *stats = std::getenv("QUANTOPT_FUZZ_STATS");
    return pipelinesToFuzz(stats ? stats : "");
  }();
  // MLIR's lexer reads the terminating NUL of its buffer (as files and
  // MemoryBuffers have); libFuzzer's data has none.
  std::string text(reinterpret_cast<const char *>(data), size);
  runOneInput(*context, text, pipelines);
  return 0;
}
