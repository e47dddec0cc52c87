//===- FuzzTarget.h - One input through every pass and pipeline -*- C++ -*-===//
//
// What both fuzz drivers run: parse a module and, when it parses and
// verifies, run each of QuantOpt's passes and pipelines on a fresh copy of
// it. Diagnostics are the expected outcome for bad input and are dropped;
// anything else (an abort, a signal, a hang) is a bug.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_TOOLS_QUANTFUZZ_FUZZTARGET_H
#define QUANTOPT_TOOLS_QUANTFUZZ_FUZZTARGET_H

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace quantopt::fuzz {

/// The pass pipelines every input goes through, as textual pipelines
/// (anchored on builtin.module). `statsFile`, when not empty, is given to
/// the passes that read calibration statistics; without it they are left
/// out.
std::vector<std::string> pipelinesToFuzz(llvm::StringRef statsFile);

/// Parses `text` and runs each pipeline on a copy of it. `onPipeline` is
/// called before each (for crash reports). Returns how many pipelines ran
/// (0 when the input does not parse and verify).
unsigned runOneInput(
    mlir::MLIRContext &context, llvm::StringRef text,
    const std::vector<std::string> &pipelines,
    llvm::function_ref<void(llvm::StringRef)> onPipeline = {});

/// A context with every dialect QuantOpt knows, single-threaded, that drops
/// all diagnostics.
std::unique_ptr<mlir::MLIRContext> makeFuzzContext();

} // namespace quantopt::fuzz

#endif // QUANTOPT_TOOLS_QUANTFUZZ_FUZZTARGET_H
