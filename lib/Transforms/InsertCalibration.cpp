//===- InsertCalibration.cpp - Instrument a float model for calibration --===//
//
// Puts a qnn.observe on every activation quantizable ops read or write, and
// on function arguments and results. See Passes.td for the contract.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Epilogue.h"
#include "quantopt/Transforms/ObserverStats.h"
#include "quantopt/Transforms/Passes.h"

#include "qnn/IR/QnnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringSet.h"

namespace quantopt {
#define GEN_PASS_DEF_INSERTCALIBRATIONPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

/// The kind names the `ops` option accepts.
static constexpr StringLiteral kOpKinds[] = {"matmul",      "batch_matmul",
                                             "conv",        "depthwise_conv",
                                             "elementwise", "pooling"};

/// The kind of a quantizable op, or an empty string.
static StringRef classifyOp(Operation *op) {
  // quant-smooth-quant's channel scaling belongs to the contraction it
  // feeds: the contraction's input after it is observed, not the op.
  if (op->hasAttr(quantopt::kSmoothingAttrName))
    return "";
  if (isa<linalg::MatmulOp>(op))
    return "matmul";
  if (isa<linalg::BatchMatmulOp>(op))
    return "batch_matmul";
  StringRef name = op->getName().getStringRef();
  if (name.starts_with("linalg.pooling_"))
    return "pooling";
  if (name.starts_with("linalg.depthwise_conv_"))
    return "depthwise_conv";
  if (name.starts_with("linalg.conv_"))
    return "conv";
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    if (linalgOp.hasPureTensorSemantics() && linalg::isElementwise(linalgOp) &&
        !isa<linalg::FillOp>(op))
      return "elementwise";
  return "";
}

/// True for values known at compile time: constants, and pure ops computed
/// only from such values (a transposed or reshaped weight, an empty tensor).
static bool isCompileTimeValue(Value value, unsigned depth = 0) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (def->hasTrait<OpTrait::ConstantLike>())
    return true;
  if (depth > 8 || !isMemoryEffectFree(def) || isa<qnn::ObserveOp>(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value operand) {
    return isCompileTimeValue(operand, depth + 1);
  });
}

static bool isObservable(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(
                     type.getElementType());
}

namespace {
struct InsertCalibrationPass
    : quantopt::impl::InsertCalibrationPassBase<InsertCalibrationPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(parseOptions(module)))
      return signalPassFailure();
    module.walk([&](qnn::ObserveOp op) {
      nextId = std::max(nextId, op.getIdAttr().getInt() + 1);
    });
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal())
        instrument(func);
  }

private:
  LogicalResult parseOptions(ModuleOp module) {
    if (observe != "inputs" && observe != "outputs" && observe != "both")
      return emitError(module.getLoc())
             << "quant-insert-calibration: observe='" << observe
             << "' is not one of inputs, outputs, both";
    for (const std::string &kind : quantizableOps) {
      if (!llvm::is_contained(kOpKinds, kind))
        return emitError(module.getLoc())
               << "quant-insert-calibration: unknown op kind '" << kind
               << "' in ops= (expected matmul, batch_matmul, conv, "
                  "depthwise_conv, elementwise or pooling)";
      enabledKinds.insert(kind);
    }
    if (enabledKinds.empty())
      for (StringRef kind : kOpKinds)
        enabledKinds.insert(kind);
    return success();
  }

  void instrument(func::FuncOp func) {
    std::string prefix = func.getSymName().str();
    if (functionBoundaries)
      for (BlockArgument arg : func.getArguments())
        observeValue(arg, prefix + ".arg" + std::to_string(arg.getArgNumber()));

    bool inputs = observe != "outputs", outputs = observe != "inputs";
    llvm::StringMap<unsigned> counters;
    SmallVector<Operation *> quantizable;
    func.walk([&](Operation *op) {
      StringRef kind = classifyOp(op);
      if (!kind.empty() && enabledKinds.contains(kind))
        quantizable.push_back(op);
    });
    for (Operation *op : quantizable) {
      std::string base = nameOf(op, prefix, counters);
      if (inputs) {
        auto linalgOp = cast<linalg::LinalgOp>(op);
        for (auto [index, operand] :
             llvm::enumerate(linalgOp.getDpsInputOperands()))
          observeValue(operand->get(), base + ".in" + std::to_string(index),
                       contractionChannels
                           ? quantopt::contractedDim(linalgOp, *operand)
                           : std::nullopt);
      }
      if (outputs)
        for (OpResult result : op->getResults())
          observeValue(unitOutput(result),
                       base + ".out" +
                           std::to_string(result.getResultNumber()));
    }

    if (functionBoundaries)
      func.walk([&](func::ReturnOp ret) {
        for (auto [index, operand] : llvm::enumerate(ret.getOperands()))
          observeValue(operand, prefix + ".result" + std::to_string(index));
      });
  }

  /// The value a quantization unit made by quant-fuse-layers produces: the
  /// result of the epilogue a fused op feeds, unless the epilogue is
  /// observed under its own name anyway (elementwise ops enabled); else
  /// `result` itself.
  Value unitOutput(OpResult result) const {
    if (!result.getOwner()->hasAttr(quantopt::kFusedAttrName) ||
        !result.hasOneUse())
      return result;
    Operation *epilogue = *result.getUsers().begin();
    if (epilogue->getNumResults() != 1 ||
        enabledKinds.contains(classifyOp(epilogue)))
      return result;
    return epilogue->getResult(0);
  }

  /// "fc1" for an op at loc("fc1"), else "main.linalg.matmul#2".
  static std::string nameOf(Operation *op, StringRef prefix,
                            llvm::StringMap<unsigned> &counters) {
    if (auto named = dyn_cast<NameLoc>(op->getLoc()))
      return named.getName().str();
    StringRef opName = op->getName().getStringRef();
    unsigned index = counters[opName]++;
    return (prefix + "." + opName + "#" + Twine(index)).str();
  }

  /// Observes `value` once: values already produced by or feeding an
  /// observer are left as they are. Per-channel statistics go along
  /// `axis` when given, else along channel-axis when set.
  void observeValue(Value value, const std::string &name,
                    std::optional<int64_t> axis = std::nullopt) {
    if (!isObservable(value) || isCompileTimeValue(value) ||
        value.getDefiningOp<qnn::ObserveOp>())
      return;
    // Inside a quantization unit quant-fuse-layers made: nothing goes
    // between the op and its epilogue. Zero padding passes quantized values
    // through (the quantized op pads with the zero point): its source is
    // observed instead.
    if (Operation *def = value.getDefiningOp();
        def &&
        (def->hasAttr(quantopt::kFusedAttrName) || isa<tensor::PadOp>(def)))
      return;
    for (Operation *user : value.getUsers())
      if (auto existing = dyn_cast<qnn::ObserveOp>(user)) {
        value.replaceAllUsesExcept(existing.getResult(), existing);
        return;
      }
    OpBuilder b(value.getContext());
    if (Operation *def = value.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(value).getOwner());
    auto type = cast<RankedTensorType>(value.getType());
    if (!axis && channelAxis >= 0 && channelAxis < type.getRank())
      axis = channelAxis;
    IntegerAttr axisAttr = axis ? b.getI64IntegerAttr(*axis) : IntegerAttr();
    auto observer = qnn::ObserveOp::create(b, value.getLoc(), type, value,
                                           b.getI64IntegerAttr(nextId++),
                                           b.getStringAttr(name), axisAttr);
    value.replaceAllUsesExcept(observer.getResult(), observer);
  }

  int64_t nextId = 0;
  llvm::StringSet<> enabledKinds;
};
} // namespace
