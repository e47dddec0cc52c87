//===- Pipelines.h - QuantOpt's named pass pipelines ------------*- C++ -*-===//
//
// Pipelines are an options struct, a build function users can call on their
// own pass manager, and a registration for quant-opt.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_PIPELINES_PIPELINES_H
#define QUANTOPT_PIPELINES_PIPELINES_H

#include "quantopt/Conversion/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace quantopt {

struct LowerToLLVMPipelineOptions
    : public mlir::PassPipelineOptions<LowerToLLVMPipelineOptions> {
  PassOptions::Option<RequantizeMode> requantizeMode{
      *this, "requantize-mode",
      llvm::cl::desc("Arithmetic of qnn.requantize (float or fixed-point)"),
      llvm::cl::init(RequantizeMode::Float),
      llvm::cl::values(
          clEnumValN(RequantizeMode::Float, "float", "f32 multiplier"),
          clEnumValN(RequantizeMode::FixedPoint, "fixed-point",
                     "Q31 multiplier and shift"))};
  PassOptions::Option<bool> resultsAsOutParams{
      *this, "results-as-out-params",
      llvm::cl::desc("Return results through caller-allocated buffers "
                     "(as quant-run calls functions)"),
      llvm::cl::init(false)};
};

/// The reference (unoptimized, scalar loops) lowering of a quantized or float
/// program on tensors to the LLVM dialect: observers to runtime calls, qnn to
/// linalg, bufferization, loops, LLVM. Correct everywhere; the optimized CPU
/// pipeline is separate.
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm,
                              const LowerToLLVMPipelineOptions &options);

/// Registers QuantOpt's pipelines (--quant-lower-to-llvm-pipeline).
void registerQuantOptPipelines();

} // namespace quantopt

#endif // QUANTOPT_PIPELINES_PIPELINES_H
