//===- CompareLayers.cpp - Float copy and per-layer shadows of a model ----===//
//
// Instruments a calibrated (quantize/dequantize) model so that one run gives,
// at every quantization point, the model's value, the float value and the
// value its layer computes in INT8 from float inputs: the accumulated and the
// local quantization error. See Passes.td for the contract.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Transforms/Epilogue.h"
#include "quantopt/Transforms/Exclusion.h"
#include "quantopt/Transforms/Passes.h"

#include "qnn/IR/QnnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace quantopt {
#define GEN_PASS_DEF_COMPARELAYERSPASS
#include "quantopt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

/// The quantize of `value` = dequantize(quantize(x)), or null.
static qnn::QuantizeOp roundTripOf(Value value) {
  auto dq = value.getDefiningOp<qnn::DequantizeOp>();
  return dq ? dq.getInput().getDefiningOp<qnn::QuantizeOp>() : nullptr;
}

/// Ops that only move or reshape a layer's input; the rewrite looks through
/// them to the dequantize, so the shadow clones them with the input.
static bool isMove(Operation *op) {
  return isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::PadOp,
             tensor::ExtractSliceOp, linalg::TransposeOp>(op);
}

namespace {
/// Builds, after the ops of one function, the float copy of its body and
/// the shadow of each quantization point's layer, and returns the three
/// values of every point.
class FunctionInstrumenter {
public:
  FunctionInstrumenter(func::FuncOp func, OpBuilder &builder)
      : func(func), builder(builder) {}

  LogicalResult run() {
    Block &body = func.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    // The quantization points: each quantize of a computed value that the
    // model dequantizes again, once.
    SmallVector<Value> points;
    llvm::SmallPtrSet<Operation *, 16> seen;
    for (auto dq : body.getOps<qnn::DequantizeOp>()) {
      qnn::QuantizeOp q = roundTripOf(dq.getResult());
      Operation *def = q ? q.getInput().getDefiningOp() : nullptr;
      if (def && !def->hasTrait<OpTrait::ConstantLike>() &&
          seen.insert(q).second)
        points.push_back(dq.getResult());
    }
    builder.setInsertionPoint(ret);
    if (failed(copyInFloat(body)))
      return failure();
    SmallVector<Value> results(ret.getOperands());
    SmallVector<Type> types(func.getResultTypes());
    SmallVector<DictionaryAttr> attrs;
    func.getAllResultAttrs(attrs);
    attrs.resize(results.size(), builder.getDictionaryAttr({}));
    for (Value point : points) {
      auto [shadow, layerOp] = shadowOf(point);
      Operation *layer = layerOp;
      auto describe = [&](StringRef role) {
        return builder.getDictionaryAttr(
            {builder.getNamedAttr("quantopt.compare",
                                  builder.getStringAttr(role)),
             builder.getNamedAttr(
                 "quantopt.layer",
                 builder.getStringAttr(quantopt::getOpName(layer))),
             builder.getNamedAttr(
                 "quantopt.op",
                 builder.getStringAttr(layer->getName().getStringRef()))});
      };
      for (auto [value, role] :
           {std::pair{point, "model"},
            std::pair{floatMap.lookupOrDefault(point), "float"},
            std::pair{shadow, "shadow"}}) {
        results.push_back(value);
        types.push_back(point.getType());
        attrs.push_back(describe(role));
      }
    }
    ret->setOperands(results);
    func.setType(builder.getFunctionType(func.getArgumentTypes(), types));
    func.setAllResultAttrs(attrs);
    return success();
  }

private:
  Operation *markCopy(Operation *op) {
    op->setAttr(quantopt::kCompareCopyAttrName, builder.getUnitAttr());
    return op;
  }

  /// Clones every op of the body with each dequantize(quantize(x)) read as
  /// x: the model as it computes without quantization.
  LogicalResult copyInFloat(Block &body) {
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    for (Operation *op : ops) {
      if (auto dq = dyn_cast<qnn::DequantizeOp>(op)) {
        if (qnn::QuantizeOp q = roundTripOf(dq.getResult())) {
          floatMap.map(dq.getResult(), floatMap.lookupOrDefault(q.getInput()));
          continue;
        }
      }
      // Constants are shared; a quantize is cloned only when something
      // other than a round trip reads it (cloned on demand below).
      if (op->hasTrait<OpTrait::ConstantLike>() || isa<qnn::QuantizeOp>(op))
        continue;
      if (!isMemoryEffectFree(op))
        return op->emitError("quant-compare-layers: cannot copy an op with "
                             "side effects (the model must be pure)");
      for (Value operand : op->getOperands())
        mapQuantizeOnDemand(operand);
      markCopy(builder.clone(*op, floatMap));
    }
    return success();
  }

  /// A quantized value read other than by its round trip's dequantize (by
  /// an integer op of a QDQ model) gets its quantize in the copy too.
  void mapQuantizeOnDemand(Value operand) {
    auto q = operand.getDefiningOp<qnn::QuantizeOp>();
    if (!q || floatMap.contains(operand))
      return;
    builder.clone(*q, floatMap);
  }

  /// `value` as the shadow reads it: a quantized input is quantized again
  /// from the float copy, with the same type; moves are cloned with it;
  /// everything else is the float copy's value.
  Value shadowInput(Value value, unsigned depth = 0) {
    if (qnn::QuantizeOp q = roundTripOf(value)) {
      auto quantize =
          qnn::QuantizeOp::create(builder, q.getLoc(), q.getType(),
                                  floatMap.lookupOrDefault(q.getInput()));
      return qnn::DequantizeOp::create(builder, value.getLoc(), value.getType(),
                                       quantize.getResult())
          .getResult();
    }
    Operation *def = value.getDefiningOp();
    if (def && depth < 4 && isMove(def) && def->getNumResults() == 1) {
      IRMapping mapping;
      for (Value operand : def->getOperands())
        mapping.map(operand, shadowInput(operand, depth + 1));
      return markCopy(builder.clone(*def, mapping))->getResult(0);
    }
    return floatMap.lookupOrDefault(value);
  }

  /// Whether `op` reads a quantized value, directly or through a move.
  static bool readsQuantized(Operation *op) {
    return llvm::any_of(op->getOperands(), [](Value v) {
      if (roundTripOf(v))
        return true;
      Operation *def = v.getDefiningOp();
      return def && isMove(def) &&
             llvm::any_of(def->getOperands(),
                          [](Value u) { return bool(roundTripOf(u)); });
    });
  }

  /// `value` computed by its layer with the shadow's inputs, or null when no
  /// layer with quantized inputs computes it. A unit quant-fuse-layers made
  /// is cloned whole (the epilogue with the op it fuses), and so are moves
  /// after the layer.
  Value shadowLayer(Value value, Operation **layer, unsigned depth = 0) {
    Operation *op = value.getDefiningOp();
    if (!op || op->hasTrait<OpTrait::ConstantLike>() ||
        op->getBlock() != &func.getBody().front() || depth > 4)
      return nullptr;
    IRMapping mapping;
    if (readsQuantized(op)) {
      *layer = op;
      for (Value operand : op->getOperands())
        mapping.map(operand, shadowInput(operand));
    } else {
      // The operands that carry the layer on: a move's source, the fused
      // op an epilogue reads.
      bool found = false;
      for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
        Operation *def = operand.getDefiningOp();
        bool carries = (isMove(op) && index == 0) ||
                       (def && def->hasAttr(quantopt::kFusedAttrName));
        Value inner =
            carries ? shadowLayer(operand, layer, depth + 1) : nullptr;
        found |= bool(inner);
        mapping.map(operand, inner ? inner : floatMap.lookupOrDefault(operand));
      }
      if (!found)
        return nullptr;
    }
    Operation *shadow = markCopy(builder.clone(*op, mapping));
    return shadow->getResult(cast<OpResult>(value).getResultNumber());
  }

  /// The quantization point `point` = dequantize(quantize(x)) as its layer
  /// computes it alone: the layer cloned with float inputs quantized as the
  /// model quantizes them, and its result quantized as the model's is; and
  /// the layer (the op reading the quantized inputs; x's producer when no
  /// layer reads quantized values: then the shadow is x's float value
  /// quantized, the error of the quantization point alone).
  std::pair<Value, Operation *> shadowOf(Value point) {
    qnn::QuantizeOp outputQuantize = roundTripOf(point);
    Value x = outputQuantize.getInput();
    Operation *layer = x.getDefiningOp();
    Value shadow = shadowLayer(x, &layer);
    if (!shadow)
      shadow = floatMap.lookupOrDefault(x);
    auto quantize = qnn::QuantizeOp::create(builder, outputQuantize.getLoc(),
                                            outputQuantize.getType(), shadow);
    return {qnn::DequantizeOp::create(builder, point.getLoc(), point.getType(),
                                      quantize.getResult())
                .getResult(),
            layer};
  }

  func::FuncOp func;
  OpBuilder &builder;
  IRMapping floatMap;
};

struct CompareLayersPass
    : quantopt::impl::CompareLayersPassBase<CompareLayersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder builder(module.getContext());
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (!SymbolTable::symbolKnownUseEmpty(func, module)) {
        func.emitWarning("quant-compare-layers: @")
            << func.getSymName()
            << " is called in the module; its results are left as they are";
        continue;
      }
      if (!func.getBody().hasOneBlock()) {
        func.emitError("quant-compare-layers: @")
            << func.getSymName() << " has more than one block";
        return signalPassFailure();
      }
      if (failed(FunctionInstrumenter(func, builder).run()))
        return signalPassFailure();
    }
  }
};
} // namespace
