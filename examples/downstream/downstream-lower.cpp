//===- downstream-lower.cpp - QuantOpt used from another project ---------===//
//
// Parses a module with qnn ops, lowers it with convert-qnn-to-linalg in this
// program's own pass manager, and prints the result.
//
//===----------------------------------------------------------------------===//

#include "qnn/IR/QnnDialect.h"
#include "quantopt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

static const char *kInput = R"mlir(
func.func @f(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.5:-1>> {
  %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5:-1>>
  return %q : tensor<4x!quant.uniform<i8:f32, 0.5:-1>>
}
)mlir";

int main() {
  mlir::DialectRegistry registry;
  registry.insert<mlir::qnn::QnnDialect, mlir::quant::QuantDialect,
                  mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::tensor::TensorDialect>();
  mlir::MLIRContext context(registry);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kInput, &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  pm.addPass(quantopt::createConvertQnnToLinalgPass());
  if (mlir::failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());
  return 0;
}
