//===- quant-run.cpp - JIT-run a function on NumPy inputs -----------------===//
//
// Compiles a module with the reference LLVM pipeline, runs one function on
// inputs read from .npy / .npz files (a whole data set, batched over the
// leading dimension), writes outputs as .npy, reports time per call, and in
// calibration mode saves the statistics the observers recorded.
//
//===----------------------------------------------------------------------===//

#include "qnn/IR/QnnOps.h"
#include "quantopt/InitAll.h"
#include "quantopt/Pipelines/Pipelines.h"
#include "quantopt/Runtime/CalibrationRuntime.h"
#include "quantopt/Support/ArrayText.h"
#include "quantopt/Support/ElementTypes.h"
#include "quantopt/Support/NumpyIO.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <malloc.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

using namespace mlir;
using namespace quantopt;

namespace {

/// Prints "quant-run: <message>" and returns the exit code 1.
int error(const llvm::Twine &message) {
  llvm::errs() << "quant-run: error: " << message << "\n";
  return 1;
}

/// A buffer passed to the compiled function, with its memref descriptor
/// fields in the order the LLVM lowering expands them.
struct Buffer {
  std::vector<char> bytes;
  std::vector<int64_t> shape;
  void *allocated = nullptr, *aligned = nullptr;
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;

  void describe() {
    allocated = aligned = bytes.data();
    sizes = shape;
    strides.assign(shape.size(), 1);
    for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * shape[d + 1];
  }
  void appendArgs(std::vector<void *> &args) {
    args.push_back(&allocated);
    args.push_back(&aligned);
    args.push_back(&offset);
    for (int64_t &s : sizes)
      args.push_back(&s);
    for (int64_t &s : strides)
      args.push_back(&s);
  }
};

/// How one argument is fed: its array and the rows of it each call takes.
struct InputPlan {
  NpyArray array;
  RankedTensorType type;
  int64_t rowsPerCall = 0;
  int64_t rowBytes = 0;
};

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// Checks an input array against its argument type and decides how many
/// leading rows each call consumes. Returns the number of calls.
llvm::Expected<int64_t> planInput(InputPlan &plan, unsigned index,
                                  int64_t batchSize) {
  const NpyArray &a = plan.array;
  RankedTensorType type = plan.type;
  std::string what = "input " + std::to_string(index) + " ('" + a.name + "')";
  std::optional<NpyDType> expected = npyDTypeFor(type.getElementType());
  if (!expected)
    return llvm::createStringError(what + ": arguments of type " +
                                   typeString(type) + " are not supported");
  if (a.dtype != *expected)
    return llvm::createStringError(
        what + ": expected " + npyDTypeName(*expected).str() + " data for " +
        typeString(type) + ", got " + npyDTypeName(a.dtype).str());
  if (int64_t(a.shape.size()) != type.getRank())
    return llvm::createStringError(
        what + ": shape " + a.shapeString() + " has rank " +
        std::to_string(a.shape.size()) + ", but " + typeString(type) +
        " has rank " + std::to_string(type.getRank()));
  if (type.getRank() == 0) {
    plan.rowsPerCall = 1;
    plan.rowBytes = npyDTypeSize(a.dtype);
    return 1;
  }
  for (int64_t d = 1; d < type.getRank(); ++d)
    if (!type.isDynamicDim(d) && type.getDimSize(d) != a.shape[d])
      return llvm::createStringError(
          what + ": shape " + a.shapeString() + " does not fit " +
          typeString(type) + " (dimension " + std::to_string(d) + " is " +
          std::to_string(a.shape[d]) + ", expected " +
          std::to_string(type.getDimSize(d)) + ")");
  int64_t rows = a.shape[0];
  int64_t perCall =
      type.isDynamicDim(0)
          ? (batchSize > 0 ? batchSize : std::max<int64_t>(rows, 1))
          : type.getDimSize(0);
  if (perCall == 0 || rows % perCall != 0)
    return llvm::createStringError(what + ": " + std::to_string(rows) +
                                   " rows cannot be split into batches of " +
                                   std::to_string(perCall) + " for " +
                                   typeString(type));
  plan.rowsPerCall = perCall;
  plan.rowBytes =
      a.numElements() / std::max<int64_t>(rows, 1) * npyDTypeSize(a.dtype);
  return rows / perCall;
}

/// The arrays one --input / --expected_output names: "@x.npy" or "x.npz"
/// (a file's arrays), or one written out, "2x3xf32=1,2,3,4,5,6".
llvm::Expected<std::vector<NpyArray>> readArraySpec(StringRef spec) {
  if (spec.consume_front("@"))
    return readArrays(spec);
  if (isArrayLiteral(spec) ||
      (spec.contains('=') && !llvm::sys::fs::exists(spec))) {
    auto array = parseArrayLiteral(spec);
    if (!array)
      return array.takeError();
    std::vector<NpyArray> arrays;
    arrays.push_back(std::move(*array));
    return arrays;
  }
  return readArrays(spec);
}

/// A memref descriptor as the compiled code returns it (a function whose
/// results have dynamic shapes returns buffers it allocated): allocated and
/// aligned pointers, offset, then sizes and strides.
struct ReturnedBuffer {
  const int64_t *words;
  size_t rank;

  static size_t wordCount(size_t rank) { return 3 + 2 * rank; }
  void *allocated() const { return reinterpret_cast<void *>(words[0]); }
  const char *aligned() const {
    return reinterpret_cast<const char *>(words[1]);
  }
  int64_t offset() const { return words[2]; }
  int64_t size(size_t d) const { return words[3 + d]; }
  int64_t stride(size_t d) const { return words[3 + rank + d]; }

  /// The elements in row-major order (whatever the strides).
  std::vector<char> copyOut(size_t elementBytes) const {
    int64_t count = 1;
    for (size_t d = 0; d < rank; ++d)
      count *= size(d);
    std::vector<char> bytes(count * elementBytes);
    std::vector<int64_t> index(rank, 0);
    for (int64_t n = 0; n < count; ++n) {
      int64_t at = offset();
      for (size_t d = 0; d < rank; ++d)
        at += index[d] * stride(d);
      std::memcpy(bytes.data() + n * elementBytes,
                  aligned() + at * elementBytes, elementBytes);
      for (size_t d = rank; d-- > 0;) {
        if (++index[d] < size(d))
          break;
        index[d] = 0;
      }
    }
    return bytes;
  }
};

/// Compares a result with its expected array: the count of elements that
/// differ by more than `tolerance` (floats; integers must be equal), and a
/// message about the first.
std::pair<int64_t, std::string> compareResult(const NpyArray &result,
                                              const NpyArray &expected,
                                              double tolerance,
                                              double &maxDifference) {
  bool isFloat = isFloatDType(result.dtype);
  size_t bytes = npyDTypeSize(result.dtype);
  int64_t mismatches = 0;
  std::string first;
  maxDifference = 0;
  for (int64_t i = 0, n = result.numElements(); i < n; ++i) {
    double got = elementAsDouble(result, i),
           want = elementAsDouble(expected, i);
    // Integers compare as stored (an i64 beyond 2^53 is no exact double).
    bool same = !isFloat
                    ? std::memcmp(result.data.data() + i * bytes,
                                  expected.data.data() + i * bytes, bytes) == 0
                : std::isnan(got) ? std::isnan(want)
                                  : got == want;
    double difference = same ? 0 : std::fabs(got - want);
    if (!same && !std::isnan(difference))
      maxDifference = std::max(maxDifference, difference);
    if (same || (isFloat && difference <= tolerance))
      continue;
    if (mismatches++ == 0) {
      // The index of element i in the result's shape.
      std::vector<int64_t> index(result.shape.size());
      for (int64_t d = int64_t(index.size()) - 1, rest = i; d >= 0; --d) {
        index[d] = rest % result.shape[d];
        rest /= result.shape[d];
      }
      std::string at;
      llvm::raw_string_ostream os(at);
      os << "[";
      llvm::interleaveComma(index, os);
      os << "]";
      first = "first at " + at + ": " + formatNumber(got) + ", expected " +
              formatNumber(want);
    }
  }
  return {mismatches, first};
}

} // namespace

/// Linux hands out the AMX tile state only on request (once per process,
/// for all its threads); without it the first tile instruction faults.
/// Returns why it was refused, or "".
static std::string requestAmxTiles() {
#if defined(__linux__) && defined(__x86_64__)
  constexpr long archReqXcompPerm = 0x1023, xfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, archReqXcompPerm, xfeatureXtiledata) != 0)
    return std::string("the kernel refused the AMX tile state (") +
           std::strerror(errno) + ")";
  return "";
#else
  return "AMX needs Linux on x86-64";
#endif
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --help lists these, not the hundreds of LLVM backend options linked in.
  llvm::cl::OptionCategory runOptions("quant-run options");
  llvm::cl::opt<std::string> inputFile(
      llvm::cl::Positional, llvm::cl::cat(runOptions),
      llvm::cl::desc("<module.mlir>"), llvm::cl::init("-"));
  llvm::cl::opt<std::string> function(
      "function", llvm::cl::cat(runOptions),
      llvm::cl::desc("Function to run (default: main)"),
      llvm::cl::init("main"));
  llvm::cl::alias functionAlias("e", llvm::cl::aliasopt(function),
                                llvm::cl::cat(runOptions),
                                llvm::cl::desc("Alias for --function"));
  llvm::cl::list<std::string> inputs(
      "input", llvm::cl::cat(runOptions),
      llvm::cl::desc("Arguments, in order: x.npy or @x.npy, an .npz (its "
                     "arrays in archive order), or values written out, "
                     "2x3xf32=1,2,3,4,5,6"));
  llvm::cl::list<std::string> outputs(
      "output", llvm::cl::cat(runOptions),
      llvm::cl::desc(".npy file for each result, in order (y.npy or "
                     "@y.npy); without any, the results are printed"));
  llvm::cl::list<std::string> expectedOutputs(
      "expected_output", llvm::cl::cat(runOptions),
      llvm::cl::desc("What each result must be, in order (as --input: "
                     "@y.npy or 2x3xf32=...); a difference fails the run"));
  llvm::cl::opt<double> expectedTolerance(
      "expected-tolerance", llvm::cl::cat(runOptions),
      llvm::cl::desc("Largest absolute difference a float result may have "
                     "from --expected_output (integers must be equal)"),
      llvm::cl::init(1e-4));
  llvm::cl::opt<int64_t> printMaxElements(
      "print-max-elements", llvm::cl::cat(runOptions),
      llvm::cl::desc("Values printed per result when no --output is given"),
      llvm::cl::init(1024));
  llvm::cl::opt<std::string> calibrate(
      "calibrate", llvm::cl::cat(runOptions),
      llvm::cl::desc("Record observer statistics and write them to this "
                     "JSON file"));
  llvm::cl::opt<int64_t> batchSize(
      "batch-size", llvm::cl::cat(runOptions),
      llvm::cl::desc("Rows per call for a dynamic leading dimension "
                     "(default: all rows in one call)"),
      llvm::cl::init(0));
  llvm::cl::opt<int64_t> calibrationBatch(
      "calibration-batch", llvm::cl::cat(runOptions),
      llvm::cl::desc("Calls that make one calibration batch: the moving "
                     "averages update once per batch, with its min and max "
                     "(default 1: every call is a batch)"),
      llvm::cl::init(1));
  llvm::cl::opt<double> momentum(
      "momentum", llvm::cl::cat(runOptions),
      llvm::cl::desc("Moving-average momentum of the observers"),
      llvm::cl::init(0.01));
  llvm::cl::opt<unsigned> histogramBins(
      "histogram-bins", llvm::cl::cat(runOptions),
      llvm::cl::desc("Histogram bins per observer"),
      llvm::cl::init(Histogram::kDefaultBins));
  llvm::cl::opt<unsigned> repeat(
      "repeat", llvm::cl::cat(runOptions),
      llvm::cl::desc("Run the whole input set this many times "
                     "(for timing)"),
      llvm::cl::init(1));
  llvm::cl::opt<RequantizeMode> requantizeMode(
      "requantize-mode", llvm::cl::cat(runOptions),
      llvm::cl::desc("Lowering of qnn.requantize"),
      llvm::cl::init(RequantizeMode::Float), requantizeModeValues());
  llvm::cl::opt<std::string> pipeline(
      "pipeline", llvm::cl::cat(runOptions),
      llvm::cl::desc("Lowering: reference (scalar loops) or cpu "
                     "(--quant-lower-to-cpu-pipeline: packed VNNI kernels)"),
      llvm::cl::init("reference"));
  llvm::cl::opt<std::string> target(
      "target", llvm::cl::cat(runOptions),
      llvm::cl::desc("Kernels of the cpu pipeline: host (detected now: amx "
                     "where the CPU and Linux allow, else vnni or generic), "
                     "vnni, amx (AMX tiles for integer matmuls, vnni for the "
                     "rest) or generic"),
      llvm::cl::init("host"));
  llvm::cl::opt<int64_t> tileRows(
      "rows", llvm::cl::cat(runOptions),
      llvm::cl::desc("cpu pipeline: register tile rows (0: auto)"),
      llvm::cl::init(0));
  llvm::cl::opt<int64_t> tileVectors(
      "vectors", llvm::cl::cat(runOptions),
      llvm::cl::desc("cpu pipeline: register tile width in vectors (0: auto)"),
      llvm::cl::init(0));
  llvm::cl::opt<int64_t> threads(
      "num-threads", llvm::cl::cat(runOptions),
      llvm::cl::desc("cpu pipeline: threads sharing the kernels' column "
                     "blocks or output rows and the elementwise loops' rows "
                     "(OpenMP, needs libomp; default 1)"),
      llvm::cl::init(1));
  llvm::cl::opt<bool> perfProfile(
      "perf-profile", llvm::cl::cat(runOptions),
      llvm::cl::desc("Describe the JIT-compiled code to Linux perf (run "
                     "under 'perf record -k 1', then 'perf inject --jit')"));
  llvm::cl::opt<unsigned> optLevel(
      "O", llvm::cl::cat(runOptions), llvm::cl::Prefix,
      llvm::cl::desc("LLVM optimization level of the JIT-compiled code, 0 "
                     "to 3 (default 3; lower compiles large modules faster: "
                     "quantopt-eval --layers runs its three-fold module at "
                     "-O0)"),
      llvm::cl::init(3));
  llvm::cl::opt<bool> noProgress("no-progress", llvm::cl::cat(runOptions),
                                 llvm::cl::desc("Do not show progress"));
  llvm::cl::AddExtraVersionPrinter(quantopt::printVersion);
  llvm::cl::HideUnrelatedOptions(runOptions);
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "QuantOpt runner: JIT-runs a function on "
                                    "NumPy inputs\n");
  if (histogramBins < 4 || histogramBins % 4 != 0 ||
      histogramBins > Histogram::kMaxBins)
    return error("--histogram-bins must be a positive multiple of 4, at most " +
                 std::to_string(Histogram::kMaxBins));
  if (!ObserverStats::isValidMomentum(momentum))
    return error("--momentum must be in (0, 1]");
  if (calibrationBatch < 1)
    return error("--calibration-batch must be at least 1");
  if (repeat == 0)
    return error("--repeat must be at least 1");
  if (batchSize.getNumOccurrences() && batchSize < 1)
    return error("--batch-size must be at least 1");
  if (printMaxElements < 0)
    return error("--print-max-elements must not be negative");
  if (!(expectedTolerance >= 0))
    return error("--expected-tolerance must not be negative");
  if (pipeline != "reference" && pipeline != "cpu")
    return error("--pipeline must be reference or cpu");
  if (target != "host" && target != "vnni" && target != "generic" &&
      target != "amx")
    return error("--target must be host, vnni, amx or generic");
  if (target == "vnni" && detectHostKernelTarget() != "vnni")
    return error("--target=vnni: this CPU has no AVX512-VNNI");
  if (target == "amx") {
    if (!hostHasAmx() || detectHostKernelTarget() != "vnni")
      return error("--target=amx: this CPU has no AMX-INT8 (or no "
                   "AVX512-VNNI for the other kernels)");
    if (std::string denied = requestAmxTiles(); !denied.empty())
      return error("--target=amx: " + denied);
  }
  if (threads < 1)
    return error("--num-threads must be at least 1");
  if (threads > 1 && pipeline != "cpu")
    return error("--num-threads needs --pipeline=cpu");
  // The OpenMP runtime the threaded code calls (from libomp-22-dev).
  std::string openmpRuntime = QUANTOPT_MLIR_LIB_DIR "/libomp.so";
  if (threads > 1 && !llvm::sys::fs::exists(openmpRuntime))
    return error("--num-threads: no OpenMP runtime at " + openmpRuntime +
                 " (install libomp-22-dev)");

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  DialectRegistry registry;
  registerEverything(registry);
  registerAllToLLVMIRTranslations(registry);
  MLIRContext context(registry);

  std::string errorMessage;
  auto file = openInputFile(inputFile, &errorMessage);
  if (!file)
    return error(errorMessage);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return error("cannot parse '" + inputFile + "'");

  auto func = module->lookupSymbol<func::FuncOp>(function);
  if (!func || func.isExternal())
    return error("no function @" + function + " with a body in '" + inputFile +
                 "'");
  FunctionType signature = func.getFunctionType();
  SmallVector<RankedTensorType> argTypes, resultTypes;
  for (auto [i, type] : llvm::enumerate(signature.getInputs())) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor)
      return error("argument " + std::to_string(i) + " of @" + function +
                   " is " + typeString(type) +
                   ": quant-run passes ranked tensors only");
    argTypes.push_back(tensor);
  }
  bool dynamicResults = false;
  for (auto [i, type] : llvm::enumerate(signature.getResults())) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !npyDTypeFor(tensor.getElementType()))
      return error("result " + std::to_string(i) + " of @" + function + " is " +
                   typeString(type) +
                   ": quant-run needs ranked tensors of a supported element "
                   "type");
    dynamicResults |= !tensor.hasStaticShape();
    resultTypes.push_back(tensor);
  }
  if (!outputs.empty() && outputs.size() != resultTypes.size())
    return error("@" + function + " has " + std::to_string(resultTypes.size()) +
                 " results but " + std::to_string(outputs.size()) +
                 " --output files were given");
  std::vector<NpyArray> expected;
  for (const std::string &spec : expectedOutputs) {
    auto arrays = readArraySpec(spec);
    if (!arrays)
      return error("--expected_output: " + llvm::toString(arrays.takeError()));
    for (NpyArray &array : *arrays)
      expected.push_back(std::move(array));
  }
  if (!expectedOutputs.empty() && expected.size() != resultTypes.size())
    return error("@" + function + " has " + std::to_string(resultTypes.size()) +
                 " results but " + std::to_string(expected.size()) +
                 " expected arrays were given");

  // Names of the observers, for the stats file.
  std::map<int64_t, std::string> observerNames;
  module->walk([&](qnn::ObserveOp op) {
    observerNames[op.getIdAttr().getInt()] = op.getName().value_or("").str();
  });
  if (!calibrate.empty() && observerNames.empty())
    return error("--calibrate needs qnn.observe ops: run quant-opt "
                 "--quant-insert-calibration first");

  // Inputs.
  std::vector<InputPlan> plans;
  for (const std::string &spec : inputs) {
    auto arrays = readArraySpec(spec);
    if (!arrays)
      return error(llvm::toString(arrays.takeError()));
    for (NpyArray &array : *arrays)
      plans.push_back({std::move(array), {}, 0, 0});
  }
  if (plans.size() != argTypes.size())
    return error("@" + function + " takes " + std::to_string(argTypes.size()) +
                 " inputs but " + std::to_string(plans.size()) +
                 " arrays were given");
  int64_t calls = -1;
  for (auto [i, plan] : llvm::enumerate(plans)) {
    plan.type = argTypes[i];
    auto n = planInput(plan, i, batchSize);
    if (!n)
      return error(llvm::toString(n.takeError()));
    if (calls >= 0 && *n != calls)
      return error("inputs give different numbers of batches (" +
                   std::to_string(calls) + " and " + std::to_string(*n) + ")");
    calls = *n;
  }
  if (calls < 0)
    calls = 1; // no arguments: one call

  // Every result of every call is kept: check that they fit before
  // compiling (in checked arithmetic: a type's shape can be huge).
  std::vector<NpyArray> results(resultTypes.size());
  int64_t resultBytes = 0;
  for (auto [i, type] : llvm::enumerate(resultTypes)) {
    results[i].name = "result" + std::to_string(i);
    results[i].dtype = *npyDTypeFor(type.getElementType());
    if (!type.hasStaticShape())
      continue; // its shape is known after the first call
    results[i].shape.assign(type.getShape().begin(), type.getShape().end());
    if (!results[i].shape.empty() &&
        llvm::MulOverflow(results[i].shape[0], calls, results[i].shape[0]))
      results[i].shape[0] = -1;
    std::optional<int64_t> bytes =
        checkedProduct(results[i].shape, npyDTypeSize(results[i].dtype));
    if (!bytes || llvm::AddOverflow(resultBytes, *bytes, resultBytes))
      return error("result " + std::to_string(i) + " of @" + function + " (" +
                   typeString(type) + ", " + std::to_string(calls) +
                   " calls) has more elements than fit in memory");
  }
  if (llvm::Error e = checkFitsInMemory(resultBytes, "the results of @" +
                                                         function.getValue()))
    return error(llvm::toString(std::move(e)));

  // Compile.
  PassManager pm(&context);
  // host: the fastest kernels this CPU runs, AMX tiles where Linux grants
  // them.
  std::string kernels = target;
  if (kernels == "host")
    kernels = hostHasAmx() && detectHostKernelTarget() == "vnni" &&
                      requestAmxTiles().empty()
                  ? "amx"
                  : detectHostKernelTarget();
  buildExecutionPipeline(pm, {pipeline == "cpu", requantizeMode, kernels,
                              tileRows, tileVectors, threads});
  if (failed(pm.run(*module)))
    return error("'" + inputFile + "' does not lower to LLVM (see above)");

  ExecutionEngineOptions engineOptions;
  // Optimize for this CPU (its vector widths and instructions).
  auto machineBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machineBuilder)
    return error(llvm::toString(machineBuilder.takeError()));
  auto machine = machineBuilder->createTargetMachine();
  if (!machine)
    return error(llvm::toString(machine.takeError()));
  std::optional<llvm::CodeGenOptLevel> codeGenLevel =
      llvm::CodeGenOpt::getLevel(optLevel);
  if (!codeGenLevel)
    return error("-O" + std::to_string(optLevel) + ": the level is 0 to 3");
  auto transformer = makeOptimizingTransformer(optLevel, 0, machine->get());
  engineOptions.jitCodeGenOptLevel = *codeGenLevel;
  engineOptions.transformer = transformer;
  engineOptions.enablePerfNotificationListener = perfProfile;
  std::string runnerUtils = QUANTOPT_MLIR_LIB_DIR "/libmlir_c_runner_utils.so";
  SmallVector<StringRef> libs{runnerUtils};
  if (threads > 1)
    libs.push_back(openmpRuntime);
  engineOptions.sharedLibPaths = libs;
  // The compiled code mallocs its temporaries on every call. Keep freed
  // memory in the heap for the next call instead of returning it to the
  // kernel: otherwise large temporaries (im2col) are page-faulted in anew
  // each time, which cost more than the convolution itself.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine)
    return error("JIT compilation failed: " +
                 llvm::toString(engine.takeError()));
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner(runtime::kObserveF32Symbol)] = {
        llvm::orc::ExecutorAddr::fromPtr(&quantopt_observe_f32),
        llvm::JITSymbolFlags::Exported};
    return symbols;
  });

  // Compile and look the function up now, so that timed calls are the
  // calls alone (a lookup by name costs microseconds).
  auto packed = (*engine)->lookupPacked(function);
  if (!packed)
    return error("JIT compilation failed: " +
                 llvm::toString(packed.takeError()));

  // Run.
  runtime::resetCalibration(momentum, histogramBins, calibrationBatch);
  bool showProgress = !noProgress && calls * int64_t(repeat) > 1;
  bool interactive = llvm::sys::Process::StandardErrIsDisplayed();
  int64_t total = calls * int64_t(repeat), done = 0;
  double totalMs = 0, minMs = INFINITY;
  for (unsigned r = 0; r < repeat; ++r) {
    for (int64_t call = 0; call < calls; ++call) {
      std::vector<Buffer> buffers;
      buffers.reserve(plans.size() + resultTypes.size());
      for (InputPlan &plan : plans) {
        Buffer b;
        int64_t bytes = plan.rowsPerCall * plan.rowBytes;
        const char *start = plan.array.data.data() + call * bytes;
        b.bytes.assign(start, start + bytes);
        b.shape = plan.array.shape;
        if (!b.shape.empty())
          b.shape[0] = plan.rowsPerCall;
        b.describe();
        buffers.push_back(std::move(b));
      }
      for (RankedTensorType type : resultTypes) {
        if (dynamicResults)
          break; // returned by the call
        Buffer b;
        b.shape.assign(type.getShape().begin(), type.getShape().end());
        b.bytes.assign(type.getNumElements() *
                           npyDTypeSize(*npyDTypeFor(type.getElementType())),
                       0);
        b.describe();
        buffers.push_back(std::move(b));
      }
      std::vector<void *> args;
      for (Buffer &b : buffers)
        b.appendArgs(args);
      // Returned buffers: one descriptor per result, one after the other.
      std::vector<int64_t> returned;
      if (dynamicResults) {
        size_t words = 0;
        for (RankedTensorType type : resultTypes)
          words += ReturnedBuffer::wordCount(type.getRank());
        returned.assign(words, 0);
        args.push_back(returned.data());
      }

      auto start = std::chrono::steady_clock::now();
      (*packed)(args.data());
      double ms = std::chrono::duration<double, std::milli>(
                      std::chrono::steady_clock::now() - start)
                      .count();
      totalMs += ms;
      minMs = std::min(minMs, ms);

      if (dynamicResults) {
        size_t word = 0;
        for (auto [i, type] : llvm::enumerate(resultTypes)) {
          ReturnedBuffer b{returned.data() + word, size_t(type.getRank())};
          word += ReturnedBuffer::wordCount(type.getRank());
          if (r == 0) {
            std::vector<int64_t> shape;
            for (size_t d = 0; d < b.rank; ++d)
              shape.push_back(b.size(d));
            // Calls concatenate along the first dimension.
            NpyArray &result = results[i];
            if (call == 0) {
              result.shape = shape;
            } else if (shape.empty() ||
                       !llvm::equal(llvm::drop_begin(shape),
                                    llvm::drop_begin(result.shape))) {
              return error("result " + std::to_string(i) + " of @" + function +
                           " changes shape between calls: cannot "
                           "concatenate the calls' results");
            } else {
              result.shape[0] += shape[0];
            }
            std::vector<char> bytes = b.copyOut(npyDTypeSize(result.dtype));
            result.data.insert(result.data.end(), bytes.begin(), bytes.end());
          }
          free(b.allocated());
        }
      } else if (r == 0) {
        for (size_t i = 0; i < resultTypes.size(); ++i) {
          const auto &bytes = buffers[plans.size() + i].bytes;
          results[i].data.insert(results[i].data.end(), bytes.begin(),
                                 bytes.end());
        }
      }
      ++done;
      if (showProgress) {
        if (interactive)
          llvm::errs() << "\rrunning @" << function << ": " << done << "/"
                       << total << " calls";
        else if (done == total || done % std::max<int64_t>(total / 10, 1) == 0)
          llvm::errs() << "running @" << function << ": " << done << "/"
                       << total << " calls\n";
      }
    }
  }
  if (showProgress && interactive)
    llvm::errs() << "\n";

  llvm::outs() << llvm::formatv(
      "quant-run: @{0}: {1} calls, {2:f4} ms per call (min {3:f4} ms)\n",
      function, total, totalMs / double(total), minMs);

  for (auto [i, path] : llvm::enumerate(outputs))
    if (llvm::Error e = writeNpy(StringRef(path).ltrim('@'), results[i]))
      return error(llvm::toString(std::move(e)));
  if (outputs.empty() && calibrate.empty())
    for (auto [i, result] : llvm::enumerate(results))
      llvm::outs() << "result[" << i
                   << "]: " << formatArray(result, printMaxElements) << "\n";

  int mismatchedResults = 0;
  for (auto [i, want] : llvm::enumerate(expected)) {
    const NpyArray &got = results[i];
    std::string what = "result " + std::to_string(i);
    if (got.dtype != want.dtype || got.shape != want.shape) {
      llvm::errs() << "quant-run: error: " << what << " is "
                   << arrayTypeString(got) << ", expected "
                   << arrayTypeString(want) << "\n";
      ++mismatchedResults;
      continue;
    }
    double maxDifference;
    auto [mismatches, first] =
        compareResult(got, want, expectedTolerance, maxDifference);
    if (mismatches) {
      llvm::errs() << llvm::formatv(
          "quant-run: error: {0} differs from the expected output at {1} of "
          "{2} elements ({3}; tolerance {4})\n",
          what, mismatches, got.numElements(), first,
          formatNumber(expectedTolerance));
      ++mismatchedResults;
    } else {
      llvm::outs() << what << " matches the expected output (max difference "
                   << formatNumber(maxDifference) << ")\n";
    }
  }
  if (mismatchedResults)
    return 1;

  if (!calibrate.empty()) {
    CalibrationStats stats = runtime::snapshotCalibration();
    stats.function = function;
    stats.samples = calls;
    for (auto &[id, name] : observerNames) {
      auto [it, inserted] = stats.observers.try_emplace(id);
      it->second.id = id;
      it->second.name = name;
      if (inserted) { // never reached: recorded as empty
        it->second.momentum = momentum;
        it->second.callsPerBatch = calibrationBatch;
      }
    }
    if (llvm::Error e = stats.writeFile(calibrate))
      return error(llvm::toString(std::move(e)));
    llvm::outs() << "quant-run: wrote statistics of " << stats.observers.size()
                 << " observers to " << calibrate << "\n";
  }
  return 0;
}
