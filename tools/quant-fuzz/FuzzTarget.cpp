//===- FuzzTarget.cpp - One input through every pass and pipeline --------===//

#include "FuzzTarget.h"

#include "quantopt/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

std::vector<std::string>
quantopt::fuzz::pipelinesToFuzz(llvm::StringRef statsFile) {
  std::vector<std::string> pipelines = {
      "quant-insert-calibration",
      "quant-insert-calibration{observe=inputs channel-axis=0}",
      "quant-lower-fake-quant",
      "quant-fuse-layers",
      "quant-rewrite-int8",
      "quant-dynamic-quantize",
      "quant-dynamic-quantize{symmetric=true}",
      "quant-cast-float{to=f16}",
      "quant-cast-float{to=bf16}",
      "quant-pack-matmuls",
      "quant-pack-matmuls{fixed-point=true}",
      "quant-approximate-math",
      "quant-reassociate-float-reductions",
      "quant-strided-copies-to-linalg",
      "quant-parallelize-outer-loops",
      "convert-qnn-to-linalg",
      "convert-qnn-to-linalg{requantize-mode=fixed-point}",
      "convert-qnn-observe-to-runtime",
      "convert-qnn-packed-matmul-to-vector",
      "canonicalize",
      "quant-dynamic-int8-pipeline",
      "quant-qat-int8-pipeline",
      "quant-lower-to-llvm-pipeline",
      "quant-lower-to-cpu-pipeline",
      "quant-lower-to-cpu-pipeline{target=generic threads=2}",
  };
  if (!statsFile.empty()) {
    std::string stats = ("stats=" + statsFile).str();
    for (const char *options :
         {"", " method=entropy", " method=mse scheme=symmetric",
          " method=percentile dtype=u8", " method=moving-average"})
      pipelines.push_back("quant-apply-calibration{" + stats + options + "}");
    pipelines.push_back("quant-static-int8-pipeline{" + stats + "}");
  }
  for (std::string &p : pipelines)
    p = "builtin.module(" + p + ")";
  return pipelines;
}

std::unique_ptr<MLIRContext> quantopt::fuzz::makeFuzzContext() {
  DialectRegistry registry;
  registerEverything(registry);
  auto context = std::make_unique<MLIRContext>(
      registry, MLIRContext::Threading::DISABLED);
  context->allowUnregisteredDialects(false);
  // Bad input is expected to produce errors: drop them all.
  context->getDiagEngine().registerHandler([](Diagnostic &) {});
  return context;
}

unsigned quantopt::fuzz::runOneInput(
    MLIRContext &context, llvm::StringRef text,
    const std::vector<std::string> &pipelines,
    llvm::function_ref<void(llvm::StringRef)> onPipeline) {
  ParserConfig config(&context);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, config);
  if (!module || failed(verify(*module)))
    return 0;
  unsigned ran = 0;
  for (const std::string &pipeline : pipelines) {
    PassManager pm(&context);
    if (failed(parsePassPipeline(pipeline, pm)))
      continue;
    if (onPipeline)
      onPipeline(pipeline);
    OwningOpRef<ModuleOp> copy = module->clone();
    (void)pm.run(*copy);
    ++ran;
  }
  return ran;
}
