//===- Pipelines.cpp - QuantOpt's named pass pipelines --------------------===//

#include "quantopt/Pipelines/Pipelines.h"

#include "quantopt/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/ConvertToLLVM/ToLLVMPass.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/TosaToArith/TosaToArith.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Conversion/TosaToTensor/TosaToTensor.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

/// Upstream's TOSA lowering (to linalg, arith and tensor), so that every
/// pipeline takes TOSA as it takes linalg; a no-op on modules without TOSA.
static void addTosaToLinalg(OpPassManager &pm) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(tosa::createTosaToLinalgNamed());
  func.addPass(tosa::createTosaToLinalg());
  func.addPass(createTosaToArithPass());
  func.addPass(createTosaToTensorPass());
}

void quantopt::buildPreparePipeline(OpPassManager &pm) {
  addTosaToLinalg(pm);
  pm.addPass(createNormalizeUnitsPass());
  pm.addPass(createFuseLayersPass());
}

/// The shared tail of the INT8 pipelines: integer rewrite, cleanup, and the
/// qnn ops lowered to linalg on storage integers.
template <typename Options>
static void addInt8Rewrite(OpPassManager &pm, const Options &options,
                           bool keepRoundTrips = false) {
  quantopt::RewriteInt8PassOptions rewrite;
  rewrite.keepRoundTrips = keepRoundTrips;
  rewrite.exclude.assign(options.exclude.begin(), options.exclude.end());
  rewrite.strict = options.strict;
  rewrite.report = options.report;
  pm.addPass(quantopt::createRewriteInt8Pass(rewrite));
  // Folds the exact quantize(dequantize(q)) left between integer ops, and
  // removes the float ops the rewrite made dead.
  pm.addPass(createCanonicalizerPass());
  if (options.lowerQnn)
    pm.addPass(quantopt::createConvertQnnToLinalgPass(
        quantopt::ConvertQnnToLinalgPassOptions{options.requantizeMode}));
}

void quantopt::buildStaticInt8Pipeline(
    OpPassManager &pm, const StaticInt8PipelineOptions &options) {
  // Observers -> quantize/dequantize pairs with the calibrated ranges.
  ApplyCalibrationPassOptions apply;
  apply.statsFile = options.stats;
  apply.method = options.method;
  apply.percentile = options.percentile;
  apply.scheme = options.scheme;
  apply.dtype = options.dtype;
  pm.addPass(createApplyCalibrationPass(apply));
  if (options.compareLayers)
    pm.addPass(createCompareLayersPass());
  addInt8Rewrite(pm, options);
}

void quantopt::buildQatInt8Pipeline(OpPassManager &pm,
                                    const QatInt8PipelineOptions &options) {
  // Fake-quant ops and QDQ casts -> typed quantize/dequantize pairs.
  pm.addPass(createLowerFakeQuantPass());
  addInt8Rewrite(pm, options, options.keepRoundTrips);
}

void quantopt::buildDynamicInt8Pipeline(
    OpPassManager &pm, const DynamicInt8PipelineOptions &options) {
  // Frontend forms (TOSA, transposed or batch matmuls, bias in the init
  // tensor) to the canonical matmul + epilogue the dynamic rewrite takes.
  addTosaToLinalg(pm);
  pm.addPass(createNormalizeUnitsPass());
  // Matmuls -> dynamic_quantize + matmul_integer + float rescale.
  DynamicQuantizePassOptions dynamic;
  dynamic.symmetric = options.symmetric;
  dynamic.perChannel = options.perChannel;
  dynamic.reduceRange = options.reduceRange;
  dynamic.narrowRange = options.narrowRange;
  dynamic.exclude.assign(options.exclude.begin(), options.exclude.end());
  pm.addPass(createDynamicQuantizePass(dynamic));
  pm.addPass(createCanonicalizerPass());
  if (options.lowerQnn)
    pm.addPass(createConvertQnnToLinalgPass());
}

namespace {
/// A function that returns one tensor twice (an exposed value that is also
/// a graph output) gets a copy for each repeat: results become distinct
/// out-parameters (upstream's buffer-results-to-out-params crashes on a
/// buffer returned twice).
struct DistinctReturnedTensors
    : PassWrapper<DistinctReturnedTensors, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(DistinctReturnedTensors)
  StringRef getArgument() const override {
    return "quant-distinct-returned-tensors";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<bufferization::BufferizationDialect>();
  }
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      OpBuilder b(ret);
      llvm::SmallPtrSet<Value, 8> seen;
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type || seen.insert(v).second)
          continue;
        // A new buffer with v's contents (bufferization never folds it
        // into v's, as it may a copy into an empty tensor).
        operand.set(bufferization::AllocTensorOp::create(
            b, ret.getLoc(), type, ValueRange{}, /*copy=*/v));
      }
    });
  }
};
/// Upstream's buffer-results-to-out-params for the functions whose results
/// all have static shapes (a caller can allocate those); a function with a
/// dynamically shaped result keeps returning buffers it allocates.
struct StaticResultsToOutParams
    : PassWrapper<StaticResultsToOutParams, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(StaticResultsToOutParams)
  StringRef getArgument() const override {
    return "quant-static-results-to-out-params";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<memref::MemRefDialect>();
  }
  void runOnOperation() override {
    bufferization::BufferResultsToOutParamsOpts options;
    options.modifyPublicFunctions = true;
    options.hoistStaticAllocs = true; // write straight into the caller's buffer
    options.filterFn = [](func::FuncOp *func) {
      return llvm::all_of(func->getResultTypes(), [](Type type) {
        auto memref = dyn_cast<MemRefType>(type);
        return !memref || memref.hasStaticShape();
      });
    };
    if (failed(bufferization::promoteBufferResultsToOutParams(getOperation(),
                                                              options)))
      signalPassFailure();
  }
};
} // namespace

/// Tensors to buffers, across function boundaries, with plain row-major
/// layouts so that callers can pass contiguous arrays.
static void addBufferize(OpPassManager &pm, bool resultsAsOutParams) {
  pm.addNestedPass<func::FuncOp>(std::make_unique<DistinctReturnedTensors>());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // Loops that yield tensors are valid programs too (a loop yielding a new
  // allocation each iteration; the deallocation pipeline frees the old one).
  bufferize.allowReturnAllocsFromLoops = true;
  // An op whose result is inserted into a bigger tensor (the interior of a
  // padded buffer) writes there directly instead of into a temporary.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  if (resultsAsOutParams)
    pm.addPass(std::make_unique<StaticResultsToOutParams>());
  // Frees every temporary buffer (one-shot bufferization only allocates):
  // without it each call leaks its intermediates.
  bufferization::buildBufferDeallocationPipeline(pm);
  // A returned buffer the caller does not own (an argument, a constant, a
  // dynamically shaped result) is cloned for it: clones become copies.
  pm.addPass(createConvertBufferizationToMemRefPass());
}

/// Loops, then everything to the LLVM dialect (with OpenMP regions if the
/// program has scf.parallel loops to run on `threads` threads; 0: as many
/// as the OpenMP runtime is told at run time).
static void addLowerToLLVM(OpPassManager &pm, int64_t threads = 1,
                           bool amx = false) {
  bool parallel = threads != 1;
  if (parallel) {
    // Rows of elementwise ops and reductions are shared by the threads too.
    pm.addPass(createConvertLinalgToParallelLoopsPass());
    pm.addPass(quantopt::createParallelizeOuterLoopsPass());
    ConvertSCFToOpenMPPassOptions openmp;
    openmp.numThreads = threads > 0 ? unsigned(threads) : 0;
    pm.addPass(createConvertSCFToOpenMPPass(openmp));
    // Inlines the memref.alloca_scope the conversion wraps around each loop
    // body (it must stay one block, which lowering scf.for inside breaks).
    pm.addPass(createCanonicalizerPass());
  } else {
    pm.addPass(createConvertLinalgToLoopsPass());
  }
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  if (amx) {
    // AMX tiles are loop-carried block arguments: only the combined
    // conversion converts their type everywhere (cf.br included). The
    // vector conversion first, for the masked transfers it alone lowers.
    pm.addPass(createConvertVectorToLLVMPass());
    pm.addPass(createConvertToLLVMPass());
    if (parallel)
      pm.addPass(createConvertOpenMPToLLVMPass());
    pm.addPass(createReconcileUnrealizedCastsPass());
    return;
  }
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (parallel)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void quantopt::buildLowerToLLVMPipeline(
    OpPassManager &pm, const LowerToLLVMPipelineOptions &options) {
  addTosaToLinalg(pm);
  // QuantOpt's own ops first: observers become runtime calls, quantized
  // values become integers with the contract's rounding.
  pm.addPass(createConvertQnnObserveToRuntimePass());
  pm.addPass(createConvertQnnToLinalgPass(
      ConvertQnnToLinalgPassOptions{options.requantizeMode}));
  // arith ops written directly on tensors.
  pm.addPass(createConvertElementwiseToLinalgPass());

  addBufferize(pm, options.resultsAsOutParams);
  addLowerToLLVM(pm);
}

void quantopt::buildLowerToCpuPipeline(
    OpPassManager &pm, const LowerToCpuPipelineOptions &options) {
  addTosaToLinalg(pm);
  pm.addPass(createConvertQnnObserveToRuntimePass());
  // The micro-kernels' epilogue in the program's requantize arithmetic.
  PackMatmulsPassOptions pack;
  pack.fixedPoint = options.requantizeMode == RequantizeMode::FixedPoint;
  pm.addPass(createPackMatmulsPass(pack));
  pm.addPass(createConvertQnnToLinalgPass(
      ConvertQnnToLinalgPassOptions{options.requantizeMode}));
  pm.addPass(createConvertElementwiseToLinalgPass());
  if (options.approximateMath) {
    pm.addPass(createApproximateMathPass());
    pm.addPass(createReassociateFloatReductionsPass());
  }
  // Chains of elementwise ops (dequantize, bias, activation, quantize, the
  // residual add, transposes) become one loop nest each: one pass over
  // memory instead of one per op.
  pm.addPass(createLinalgGeneralizeNamedOpsPass());
  pm.addPass(createLinalgElementwiseOpFusionPass());
  addBufferize(pm, options.resultsAsOutParams);
  // Padding copies the input into a subview: loops, not a runtime call.
  pm.addPass(createStridedCopiesToLinalgPass());

  ConvertQnnPackedMatmulToVectorPassOptions kernels;
  kernels.target = options.target == "host" ? detectHostKernelTarget()
                                            : std::string(options.target);
  kernels.rows = options.rows;
  kernels.vectors = options.vectors;
  kernels.parallel = options.threads != 1;
  pm.addPass(createConvertQnnPackedMatmulToVectorPass(kernels));
  // Kept apart from the vector lowering patterns (together they can loop).
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addLowerToLLVM(pm, options.threads, kernels.target == "amx");
}

void quantopt::buildExecutionPipeline(OpPassManager &pm,
                                      const ExecutionLowering &lowering) {
  if (!lowering.cpu) {
    LowerToLLVMPipelineOptions options;
    options.requantizeMode = lowering.requantizeMode;
    options.resultsAsOutParams = true;
    buildLowerToLLVMPipeline(pm, options);
    return;
  }
  LowerToCpuPipelineOptions options;
  options.requantizeMode = lowering.requantizeMode;
  options.resultsAsOutParams = true;
  options.target = lowering.target;
  options.rows = lowering.rows;
  options.vectors = lowering.vectors;
  options.threads = lowering.threads;
  buildLowerToCpuPipeline(pm, options);
}

bool quantopt::hostHasAmx() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("amx-int8") && features.lookup("amx-tile");
}

std::string quantopt::detectHostKernelTarget() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("avx512vnni") ? "vnni" : "generic";
}

void quantopt::registerQuantOptPipelines() {
  PassPipelineRegistration<>(
      "quant-prepare-pipeline",
      "First step of the static INT8 flow, on the float model (linalg or "
      "TOSA): TOSA to linalg, frontend forms to canonical layers "
      "(quant-normalize-units), batch norm / bias / activation fused into "
      "them (quant-fuse-layers)",
      buildPreparePipeline);
  PassPipelineRegistration<StaticInt8PipelineOptions>(
      "quant-static-int8-pipeline",
      "Static INT8 after calibration: apply the stats file, rewrite to "
      "integer ops, lower qnn to linalg on integers",
      buildStaticInt8Pipeline);
  PassPipelineRegistration<DynamicInt8PipelineOptions>(
      "quant-dynamic-int8-pipeline",
      "Dynamic INT8: weights quantized now, activations at run time, lower "
      "qnn to linalg",
      buildDynamicInt8Pipeline);
  PassPipelineRegistration<QatInt8PipelineOptions>(
      "quant-qat-int8-pipeline",
      "QAT INT8: fake-quant to quantize/dequantize, rewrite to integer ops, "
      "lower qnn to linalg on integers",
      buildQatInt8Pipeline);
  PassPipelineRegistration<LowerToCpuPipelineOptions>(
      "quant-lower-to-cpu-pipeline",
      "Optimized lowering for the CPU: constant-weight matmuls packed and "
      "compiled to register-tiled (VNNI) micro-kernels, then LLVM",
      buildLowerToCpuPipeline);
  PassPipelineRegistration<LowerToLLVMPipelineOptions>(
      "quant-lower-to-llvm-pipeline",
      "Reference lowering of a (quantized) tensor program to the LLVM "
      "dialect: qnn ops, bufferization, scalar loops",
      buildLowerToLLVMPipeline);
}
