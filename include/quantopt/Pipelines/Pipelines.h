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

/// The values of a requantize-mode option (pipelines' and tools').
inline llvm::cl::ValuesClass requantizeModeValues() {
  return llvm::cl::values(
      clEnumValN(RequantizeMode::Float, "float", "f32 multiplier"),
      clEnumValN(RequantizeMode::FixedPoint, "fixed-point",
                 "Q31 multiplier and shift"));
}

/// The requantize-mode option every pipeline that lowers qnn ops has.
template <typename Derived>
struct WithRequantizeMode : public mlir::PassPipelineOptions<Derived> {
  mlir::detail::PassOptions::Option<RequantizeMode> requantizeMode{
      *this, "requantize-mode",
      llvm::cl::desc("Arithmetic of requantize (float or fixed-point)"),
      llvm::cl::init(RequantizeMode::Float), requantizeModeValues()};
};

/// The options every lowering to LLVM has.
template <typename Derived>
struct WithLowering : public WithRequantizeMode<Derived> {
  mlir::detail::PassOptions::Option<bool> resultsAsOutParams{
      *this, "results-as-out-params",
      llvm::cl::desc("Return results through caller-allocated buffers "
                     "(as quant-run calls functions); a function with a "
                     "result of dynamic shape still returns it"),
      llvm::cl::init(false)};
};

struct LowerToLLVMPipelineOptions
    : public WithLowering<LowerToLLVMPipelineOptions> {};

/// The lower-qnn option of the INT8 pipelines.
template <typename Derived>
struct WithLowerQnn : public WithRequantizeMode<Derived> {
  mlir::detail::PassOptions::Option<bool> lowerQnn{
      *this, "lower-qnn",
      llvm::cl::desc("Lower the qnn ops to linalg on integers (false: stop "
                     "at qnn ops, for quant-lower-to-cpu-pipeline)"),
      llvm::cl::init(true)};
};

struct LowerToCpuPipelineOptions
    : public WithLowering<LowerToCpuPipelineOptions> {
  PassOptions::Option<std::string> target{
      *this, "target",
      llvm::cl::desc("Micro-kernel instructions: host (detected now: vnni "
                     "or generic), vnni (AVX512-VNNI), amx (AMX tiles for "
                     "integer matmuls; the process needs the AMX permission) "
                     "or generic (any CPU)"),
      llvm::cl::init("host")};
  PassOptions::Option<int64_t> rows{
      *this, "rows", llvm::cl::desc("Register tile rows (0: automatic)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> vectors{
      *this, "vectors",
      llvm::cl::desc("Register tile width in 16-lane vectors (0: automatic)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> threads{
      *this, "threads",
      llvm::cl::desc("Threads that share the output columns of each packed "
                     "matmul (OpenMP; 1: no threading, and no libomp "
                     "needed; 0: the count the OpenMP runtime has at run "
                     "time, omp_set_num_threads / OMP_NUM_THREADS)"),
      llvm::cl::init(1)};
  PassOptions::Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Polynomial f32 exp/tanh/erf and reassociated float "
                     "reductions, so that float loops vectorize (a few ulp "
                     "from libm and from sequential sums)"),
      llvm::cl::init(true)};
};

/// The options of quant-rewrite-int8 the static and QAT pipelines pass on.
template <typename Derived>
struct WithInt8Rewrite : public WithLowerQnn<Derived> {
  mlir::detail::PassOptions::ListOption<std::string> exclude{
      *this, "exclude",
      llvm::cl::desc("Ops to keep in float (names or kinds)")};
  mlir::detail::PassOptions::Option<bool> strict{
      *this, "strict",
      llvm::cl::desc("Every quantizable op left in float (except those "
                     "excluded) is an error"),
      llvm::cl::init(false)};
  mlir::detail::PassOptions::Option<std::string> report{
      *this, "report",
      llvm::cl::desc("Write the JSON report of what became INT8 and what "
                     "stayed float (and why) to this file")};
};

struct StaticInt8PipelineOptions
    : public WithInt8Rewrite<StaticInt8PipelineOptions> {
  PassOptions::Option<std::string> stats{
      *this, "stats",
      llvm::cl::desc("Stats file from quant-run --calibrate (required)")};
  PassOptions::Option<std::string> method{
      *this, "method",
      llvm::cl::desc("minmax, moving-average, percentile, entropy or mse"),
      llvm::cl::init("minmax")};
  PassOptions::Option<double> percentile{
      *this, "percentile", llvm::cl::desc("For method=percentile"),
      llvm::cl::init(99.99)};
  PassOptions::Option<std::string> scheme{
      *this, "scheme", llvm::cl::desc("Activations: asymmetric or symmetric"),
      llvm::cl::init("asymmetric")};
  PassOptions::Option<std::string> dtype{
      *this, "dtype", llvm::cl::desc("Activations: i8 or u8"),
      llvm::cl::init("i8")};
  PassOptions::Option<bool> compareLayers{
      *this, "compare-layers",
      llvm::cl::desc("Per-layer debugging: also return, at each "
                     "quantization point, the model's value, the float "
                     "value and the layer alone in INT8 fed with float "
                     "inputs (quant-compare-layers)"),
      llvm::cl::init(false)};
};

struct QatInt8PipelineOptions : public WithInt8Rewrite<QatInt8PipelineOptions> {
  PassOptions::Option<bool> keepRoundTrips{
      *this, "keep-round-trips",
      llvm::cl::desc("Keep the model's quantize/dequantize pairs around ops "
                     "left in float (its QDQ semantics, as ONNX Runtime runs "
                     "it); false drops them: less error, not the model's "
                     "numerics"),
      llvm::cl::init(true)};
};

struct DynamicInt8PipelineOptions
    : public WithLowerQnn<DynamicInt8PipelineOptions> {
  PassOptions::Option<bool> symmetric{
      *this, "symmetric",
      llvm::cl::desc("Activations as i8 symmetric instead of u8 asymmetric"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> reduceRange{
      *this, "reduce-range",
      llvm::cl::desc("Activations on 7 bits (PyTorch's reduce_range)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> perChannel{
      *this, "per-channel",
      llvm::cl::desc("One weight scale per output column (false: per tensor)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> narrowRange{
      *this, "narrow-range",
      llvm::cl::desc("Weights on [-127, 127] (false: [-128, 127])"),
      llvm::cl::init(true)};
  PassOptions::ListOption<std::string> exclude{
      *this, "exclude",
      llvm::cl::desc("Ops to keep in float (names or kinds)")};
};

/// The first step of the static flow, on the float model: TOSA lowered to
/// linalg, frontend forms rewritten to the canonical layers
/// (quant-normalize-units), then quant-fuse-layers. quant-insert-calibration
/// follows.
void buildPreparePipeline(mlir::OpPassManager &pm);

/// Dynamic INT8: weights quantized now, activation ranges at run time, then
/// the qnn ops lowered to linalg.
void buildDynamicInt8Pipeline(mlir::OpPassManager &pm,
                              const DynamicInt8PipelineOptions &options);

/// Static post-training INT8, after calibration: observers -> quantize /
/// dequantize pairs from the stats file, integer rewrite, lowering of the qnn
/// ops to linalg on integers. (Before it: quant-prepare-pipeline,
/// quant-insert-calibration, quant-run --calibrate.)
void buildStaticInt8Pipeline(mlir::OpPassManager &pm,
                             const StaticInt8PipelineOptions &options);

/// QAT INT8: fake-quant ops (or QDQ casts) -> typed pairs, integer rewrite,
/// lowering of the qnn ops to linalg on integers.
void buildQatInt8Pipeline(mlir::OpPassManager &pm,
                          const QatInt8PipelineOptions &options);

/// The reference (unoptimized, scalar loops) lowering of a quantized or float
/// program on tensors to the LLVM dialect: observers to runtime calls, qnn to
/// linalg, bufferization, loops, LLVM. Correct everywhere; the optimized CPU
/// pipeline is separate.
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm,
                              const LowerToLLVMPipelineOptions &options);

/// The optimized CPU lowering: matmuls with constant weights packed at compile
/// time and compiled into register-tiled micro-kernels (AVX512-VNNI or
/// portable vector code), everything else as the reference pipeline.
void buildLowerToCpuPipeline(mlir::OpPassManager &pm,
                             const LowerToCpuPipelineOptions &options);

/// How a tool that runs a module (quant-run, quant-compile) lowers it: the
/// reference or the CPU pipeline, results of static shape into the caller's
/// buffers.
struct ExecutionLowering {
  bool cpu = false;
  RequantizeMode requantizeMode = RequantizeMode::Float;
  std::string target = "host"; // the CPU pipeline's options
  int64_t rows = 0, vectors = 0, threads = 1;
};
void buildExecutionPipeline(mlir::OpPassManager &pm,
                            const ExecutionLowering &lowering);

/// "vnni" when the host CPU has AVX512-VNNI, "generic" otherwise.
/// True when this CPU has AMX with int8 tiles (kernel target amx).
bool hostHasAmx();

std::string detectHostKernelTarget();

/// Registers QuantOpt's pipelines (--quant-static-int8-pipeline,
/// --quant-qat-int8-pipeline, --quant-lower-to-llvm-pipeline).
void registerQuantOptPipelines();

} // namespace quantopt

#endif // QUANTOPT_PIPELINES_PIPELINES_H
