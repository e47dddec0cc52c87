//===- Pipelines.cpp - QuantOpt's named pass pipelines --------------------===//

#include "quantopt/Pipelines/Pipelines.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

void quantopt::buildLowerToLLVMPipeline(
    OpPassManager &pm, const LowerToLLVMPipelineOptions &options) {
  // QuantOpt's own ops first: observers become runtime calls, quantized
  // values become integers with the contract's rounding.
  pm.addPass(createConvertQnnObserveToRuntimePass());
  pm.addPass(createConvertQnnToLinalgPass(
      ConvertQnnToLinalgPassOptions{options.requantizeMode}));
  // arith ops written directly on tensors.
  pm.addPass(createConvertElementwiseToLinalgPass());

  // Tensors to buffers, across function boundaries, with plain row-major
  // layouts so that callers can pass contiguous arrays.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  if (options.resultsAsOutParams) {
    bufferization::BufferResultsToOutParamsPassOptions outParams;
    outParams.modifyPublicFunctions = true;
    outParams.hoistStaticAllocs =
        true; // write straight into the caller's buffer
    pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  }

  // Loops, then everything to the LLVM dialect.
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void quantopt::registerQuantOptPipelines() {
  PassPipelineRegistration<LowerToLLVMPipelineOptions>(
      "quant-lower-to-llvm-pipeline",
      "Reference lowering of a (quantized) tensor program to the LLVM "
      "dialect: qnn ops, bufferization, scalar loops",
      buildLowerToLLVMPipeline);
}
