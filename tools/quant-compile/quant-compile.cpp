//===- quant-compile.cpp - Compile a model to a library with a C API ------===//
//
// quant-compile model.mlir -o libmodel.so: lowers a module (any stage of the
// flow: float, quantized, packed; an .onnx file goes through quantopt-import
// first) with the CPU pipeline, emits native code for a chosen CPU, and
// wraps it in a C interface (CInterface.h) with a generated header. The
// weights are in the library; it needs libc and libm (and libomp with
// --parallel), nothing of MLIR.
//
//===----------------------------------------------------------------------===//

#include "CInterface.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/InitAll.h"
#include "quantopt/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace quantopt;

namespace {

int error(const llvm::Twine &message) {
  llvm::errs() << "quant-compile: error: " << message << "\n";
  return 1;
}

enum class Emit { Auto, Shared, Static, Object };

/// Runs a tool; on failure, an error naming the command.
llvm::Error runTool(StringRef program, ArrayRef<std::string> args) {
  SmallVector<StringRef> argv{program};
  for (const std::string &a : args)
    argv.push_back(a);
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc == 0)
    return llvm::Error::success();
  std::string command;
  llvm::raw_string_ostream os(command);
  llvm::interleave(argv, os, " ");
  return llvm::createStringError(
      "'" + command + "' failed" +
      (message.empty() ? " (exit code " + std::to_string(rc) + ")"
                       : ": " + message));
}

/// The LLVM target machine for a --target / --cpu choice.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(StringRef kernels, StringRef target, StringRef cpu) {
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string message;
  const llvm::Target *backend =
      llvm::TargetRegistry::lookupTarget(triple, message);
  if (!backend)
    return llvm::createStringError(message);
  std::string cpuName = cpu.str();
  llvm::SubtargetFeatures features;
  if (cpuName.empty()) {
    if (target == "host") {
      cpuName = llvm::sys::getHostCPUName().str();
      for (auto &feature : llvm::sys::getHostCPUFeatures())
        features.AddFeature(feature.first(), feature.second);
    } else {
      // vnni: any AVX-512 CPU with VNNI (Ice Lake, Zen 4 and later);
      // amx: Sapphire Rapids and later; generic: any CPU with AVX2 and FMA
      // (x86-64-v3, 2013 on).
      cpuName = target == "vnni"  ? "x86-64-v4"
                : target == "amx" ? "sapphirerapids"
                                  : "x86-64-v3";
    }
  }
  if (kernels == "vnni" || kernels == "amx")
    features.AddFeature("avx512vnni");
  if (kernels == "amx") {
    features.AddFeature("amx-tile");
    features.AddFeature("amx-int8");
  }
  llvm::TargetOptions targetOptions;
  // Constructors (the AMX request) in .init_array, which the loader runs.
  targetOptions.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> machine(backend->createTargetMachine(
      triple, cpuName, features.getString(), targetOptions, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return llvm::createStringError("no target machine for CPU '" + cpuName +
                                   "'");
  return machine;
}

/// A constructor that asks Linux for the AMX tile state when the library
/// is loaded (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) through
/// libc's syscall): without it the first tile instruction faults. A
/// refusal (an old kernel) is left to show at that instruction.
void addAmxRequestConstructor(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  auto i64 = b.getI64Type();
  auto syscallType = LLVM::LLVMFunctionType::get(i64, {i64}, /*isVarArg=*/true);
  auto syscall = module.lookupSymbol<LLVM::LLVMFuncOp>("syscall");
  if (!syscall)
    syscall = LLVM::LLVMFuncOp::create(b, loc, "syscall", syscallType);
  auto request = LLVM::LLVMFuncOp::create(
      b, loc, "__quantopt_request_amx",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {}),
      LLVM::Linkage::Internal);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(request.addEntryBlock(b));
    auto constant = [&](int64_t v) {
      return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
    };
    constexpr int64_t sysArchPrctl = 158, archReqXcompPerm = 0x1023,
                      xfeatureXtiledata = 18;
    auto call = LLVM::CallOp::create(b, loc, syscall,
                                     ValueRange{constant(sysArchPrctl),
                                                constant(archReqXcompPerm),
                                                constant(xfeatureXtiledata)});
    call.setVarCalleeType(syscallType);
    LLVM::ReturnOp::create(b, loc, ValueRange{});
  }
  LLVM::GlobalCtorsOp::create(
      b, loc, b.getArrayAttr({FlatSymbolRefAttr::get(request)}),
      b.getI32ArrayAttr({65535}), b.getArrayAttr({LLVM::ZeroAttr::get(ctx)}));
}

/// The library name a path suggests: libdigits.so -> digits.
std::string nameFromOutput(StringRef output) {
  StringRef stem = llvm::sys::path::stem(output);
  if (stem.size() > 3)
    stem.consume_front("lib");
  return stem.str();
}

/// quantopt-import beside this tool (an installation) or in the source
/// tree it was built from.
std::string findImporter(const char *argv0) {
  std::string self =
      llvm::sys::fs::getMainExecutable(argv0, (void *)&findImporter);
  SmallString<256> beside(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(beside, "quantopt-import");
  if (llvm::sys::fs::exists(beside))
    return std::string(beside);
  return QUANTOPT_SOURCE_DIR "/python/bin/quantopt-import";
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::OptionCategory options("quant-compile options");
  llvm::cl::opt<std::string> inputFile(
      llvm::cl::Positional, llvm::cl::cat(options), llvm::cl::Required,
      llvm::cl::desc("<model.mlir or model.onnx>"));
  llvm::cl::opt<std::string> outputFile(
      "o", llvm::cl::cat(options), llvm::cl::Required,
      llvm::cl::desc("Library to write: .so (shared), .a (static) or .o "
                     "(object)"),
      llvm::cl::value_desc("file"));
  llvm::cl::opt<Emit> emit(
      "emit", llvm::cl::cat(options), llvm::cl::init(Emit::Auto),
      llvm::cl::desc("What to write (default: from the output's extension)"),
      llvm::cl::values(clEnumValN(Emit::Shared, "shared", "shared library"),
                       clEnumValN(Emit::Static, "static", "static library"),
                       clEnumValN(Emit::Object, "object", "object file")));
  llvm::cl::opt<std::string> name(
      "name", llvm::cl::cat(options),
      llvm::cl::desc("Prefix of the exported C names: --name digits exports "
                     "@main as digits_main (default: from the output, "
                     "libdigits.so -> digits)"));
  llvm::cl::opt<std::string> headerFile(
      "header", llvm::cl::cat(options),
      llvm::cl::desc("Header to write (default: <name>.h beside the output)"),
      llvm::cl::value_desc("file"));
  llvm::cl::list<std::string> functions(
      "function", llvm::cl::cat(options),
      llvm::cl::desc("Function to export (repeatable; default: every public "
                     "function)"));
  llvm::cl::opt<std::string> target(
      "target", llvm::cl::cat(options), llvm::cl::init("host"),
      llvm::cl::desc("CPU to compile for: host (this one; VNNI kernels), "
                     "vnni (AVX512-VNNI kernels, any AVX-512 VNNI CPU), amx "
                     "(AMX tiles for integer matmuls: Sapphire Rapids and "
                     "later; the library asks Linux for the tile state when "
                     "it is loaded) or generic (no VNNI, any AVX2 CPU)"));
  llvm::cl::opt<std::string> cpu(
      "cpu", llvm::cl::cat(options),
      llvm::cl::desc("LLVM CPU name to generate code for, instead of the "
                     "target's (e.g. x86-64 for any x86-64)"));
  llvm::cl::opt<bool> parallel(
      "parallel", llvm::cl::cat(options),
      llvm::cl::desc("Share the work between threads (OpenMP; the count is "
                     "set at run time; the library needs libomp)"));
  llvm::cl::opt<std::string> pipeline(
      "pipeline", llvm::cl::cat(options), llvm::cl::init("cpu"),
      llvm::cl::desc("Lowering: cpu (packed kernels) or reference (scalar "
                     "loops)"));
  llvm::cl::opt<RequantizeMode> requantizeMode(
      "requantize-mode", llvm::cl::cat(options),
      llvm::cl::desc("Lowering of qnn.requantize"),
      llvm::cl::init(RequantizeMode::Float), requantizeModeValues());
  llvm::cl::list<std::string> importArgs(
      "import-arg", llvm::cl::cat(options),
      llvm::cl::desc("Argument for quantopt-import when the model is .onnx "
                     "(repeatable, e.g. --import-arg=--input-shape=x=1x64)"));
  llvm::cl::AddExtraVersionPrinter(quantopt::printVersion);
  llvm::cl::HideUnrelatedOptions(options);
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "QuantOpt compiler: a model to a library with a C API\n");

  if (target != "host" && target != "vnni" && target != "generic" &&
      target != "amx")
    return error("--target must be host, vnni, amx or generic");
  if (pipeline != "cpu" && pipeline != "reference")
    return error("--pipeline must be cpu or reference");
  if (parallel && pipeline != "cpu")
    return error("--parallel needs --pipeline=cpu");
  if (emit == Emit::Auto) {
    StringRef ext = llvm::sys::path::extension(outputFile);
    if (ext == ".so")
      emit = Emit::Shared;
    else if (ext == ".a")
      emit = Emit::Static;
    else if (ext == ".o")
      emit = Emit::Object;
    else
      return error("cannot tell what to write from '" + outputFile +
                   "': name it .so, .a or .o, or pass --emit");
  }
  std::string prefix = name.empty() ? nameFromOutput(outputFile) : name;
  if (!isCIdentifier(prefix))
    return error("the name '" + prefix + "'" +
                 (name.empty() ? " (from '" + outputFile + "')" : "") +
                 " is not a C identifier: pass --name");
  if (headerFile.empty()) {
    SmallString<256> h(llvm::sys::path::parent_path(outputFile));
    llvm::sys::path::append(h, prefix + ".h");
    headerFile = std::string(h);
  }

  // Every intermediate file goes to a folder that is removed at the end.
  SmallString<128> work;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("quant-compile", work))
    return error("cannot create a temporary folder: " + ec.message());
  llvm::scope_exit removeWork([&] { llvm::sys::fs::remove_directories(work); });
  auto temp = [&](StringRef file) {
    SmallString<256> p(work);
    llvm::sys::path::append(p, file);
    return std::string(p);
  };

  std::string mlirFile = inputFile;
  if (llvm::sys::path::extension(inputFile) == ".onnx") {
    mlirFile = temp("model.mlir");
    std::vector<std::string> args{inputFile, "-o", mlirFile};
    args.insert(args.end(), importArgs.begin(), importArgs.end());
    if (llvm::Error e = runTool(findImporter(argv[0]), args))
      return error("importing '" + inputFile +
                   "': " + llvm::toString(std::move(e)));
  } else if (!importArgs.empty()) {
    return error("--import-arg is for .onnx models");
  }

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  DialectRegistry registry;
  registerEverything(registry);
  registerAllToLLVMIRTranslations(registry);
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false); // the location says where
  std::string message;
  auto file = openInputFile(mlirFile, &message);
  if (!file)
    return error(message);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return error("cannot parse '" + mlirFile + "'");

  // Observers call into quant-run's calibration runtime.
  if (module
          ->walk(
              [&](qnn::ObserveOp op) {
                op.emitError()
                    << "a calibration observer: compile the model before "
                       "--quant-insert-calibration or after the INT8 rewrite "
                       "(quant-run --calibrate runs this form)";
                return WalkResult::interrupt();
              })
          .wasInterrupted())
    return 1;
  FailureOr<ExportedModule> exports =
      describeExports(*module, prefix, functions);
  if (failed(exports))
    return 1;
  exports->source = llvm::sys::path::filename(inputFile).str();
  exports->parallel = parallel;
  prepareForExport(*module, *exports);

  PassManager pm(&context);
  std::string kernels =
      target == "host" ? detectHostKernelTarget() : std::string(target);
  buildExecutionPipeline(pm, {pipeline == "cpu", requantizeMode, kernels,
                              /*rows=*/0, /*vectors=*/0, parallel ? 0 : 1});
  if (failed(pm.run(*module)))
    return error("'" + inputFile + "' does not lower to LLVM (see above)");
  if (kernels == "amx")
    addAmxRequestConstructor(*module);

  auto machine = createTargetMachine(kernels, target, cpu);
  if (!machine)
    return error(llvm::toString(machine.takeError()));
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, prefix);
  if (!llvmModule)
    return error("'" + inputFile + "' does not translate to LLVM IR");
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  llvmModule->setDataLayout((*machine)->createDataLayout());
  // Only the wrappers are the library's interface: the compiled functions
  // are hidden, everything else (helpers, weights) internal, so that two
  // libraries link into one program.
  llvm::StringSet<> implSymbols;
  for (const ExportedFunction &f : exports->functions)
    implSymbols.insert("_mlir_ciface_" + f.implSymbol);
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    if (implSymbols.contains(f.getName()))
      f.setVisibility(llvm::GlobalValue::HiddenVisibility);
    else
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  }
  // (llvm.global_ctors keeps its appending linkage.)
  for (llvm::GlobalVariable &g : llvmModule->globals())
    if (!g.isDeclaration() && !g.getName().starts_with("llvm."))
      g.setLinkage(llvm::GlobalValue::InternalLinkage);
  bool needsMemrefCopy = llvmModule->getFunction("memrefCopy") != nullptr;
  if (llvm::Error e =
          makeOptimizingTransformer(3, 0, machine->get())(llvmModule.get()))
    return error("optimizing: " + llvm::toString(std::move(e)));

  std::string modelObject = temp("model.o");
  {
    std::error_code ec;
    llvm::ToolOutputFile out(modelObject, ec, llvm::sys::fs::OF_None);
    if (ec)
      return error("cannot write '" + modelObject + "': " + ec.message());
    llvm::legacy::PassManager codegen;
    if ((*machine)->addPassesToEmitFile(codegen, out.os(), nullptr,
                                        llvm::CodeGenFileType::ObjectFile))
      return error("the target cannot emit object files");
    codegen.run(*llvmModule);
    out.keep();
  }

  auto writeText = [&](StringRef path, StringRef text) -> llvm::Error {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return llvm::createStringError("cannot write '" + path +
                                     "': " + ec.message());
    os << text;
    return llvm::Error::success();
  };
  std::string wrapperSource = temp("wrapper.c"),
              wrapperObject = temp("wrapper.o");
  if (llvm::Error e = writeText(headerFile, generateHeader(*exports)))
    return error(llvm::toString(std::move(e)));
  if (llvm::Error e =
          writeText(wrapperSource, generateWrapper(*exports, needsMemrefCopy)))
    return error(llvm::toString(std::move(e)));
  const std::string tools = QUANTOPT_LLVM_TOOLS_DIR;
  if (llvm::Error e =
          runTool(tools + "/clang",
                  {"-c", "-O2", "-fPIC", "-std=c11", "-Wall", "-Werror",
                   "-fno-strict-aliasing", wrapperSource, "-o", wrapperObject}))
    return error(llvm::toString(std::move(e)));

  llvm::sys::fs::remove(outputFile);
  llvm::Error linked = llvm::Error::success();
  if (emit == Emit::Shared) {
    std::vector<std::string> args{"-shared",   "-fuse-ld=lld", "-Wl,-z,defs",
                                  modelObject, wrapperObject,  "-lm",
                                  "-o",        outputFile};
    if (parallel) {
      args.push_back("-L" QUANTOPT_MLIR_LIB_DIR);
      args.push_back("-Wl,-rpath," QUANTOPT_MLIR_LIB_DIR);
      args.push_back("-lomp");
    }
    linked = runTool(tools + "/clang", args);
  } else if (emit == Emit::Static) {
    linked = runTool(tools + "/llvm-ar",
                     {"rcs", outputFile, modelObject, wrapperObject});
  } else {
    linked = runTool(tools + "/ld.lld",
                     {"-r", modelObject, wrapperObject, "-o", outputFile});
  }
  if (linked)
    return error(llvm::toString(std::move(linked)));

  llvm::outs() << "quant-compile: wrote " << outputFile << " and " << headerFile
               << ":";
  for (const ExportedFunction &f : exports->functions)
    llvm::outs() << " " << f.cName;
  llvm::outs() << "\n";
  return 0;
}
