//===- Passes.td - QuantOpt conversion passes --------------*- tablegen -*-===//

#ifndef QUANTOPT_CONVERSION_PASSES_TD
#define QUANTOPT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQnnToLinalgPass : Pass<"convert-qnn-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower quantize/dequantize/requantize to linalg on integer tensors";
  let description = [{
    Lowers `qnn.quantize`, `qnn.dequantize`, `qnn.requantize` and upstream's
    `quant.qcast`, `quant.dcast`, `quant.scast` to `linalg.generic` +
    `arith`/`math` on plain integer tensors, following QuantOpt's numerics
    contract: round half to even, saturation to the storage range, NaN to
    the zero point. (Upstream `lower-quant-ops` truncates with `fptosi` and
    does not saturate.) Quantized types in function signatures, calls,
    returns, `scf` control flow and `tensor` ops become their storage types
    (`!quant.uniform<u8:f32, ...>` becomes `i8` holding 0..255).

    Per-axis types read their scales and zero points from constant tensors
    indexed by the quantized dimension.

    Before:
    ```mlir
    func.func @f(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.5:-1>> {
      %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5:-1>>
      return %q : tensor<4x!quant.uniform<i8:f32, 0.5:-1>>
    }
    ```
    After (abridged):
    ```mlir
    func.func @f(%x: tensor<4xf32>) -> tensor<4xi8> {
      %q = linalg.generic ... ins(%x : tensor<4xf32>) outs(%e : tensor<4xi8>) {
      ^bb0(%in: f32, %out: i8):
        %v = arith.divf %in, %scale : f32
        %r = math.roundeven %v : f32
        ... clamp to [-128, 127], NaN -> zero point ...
        linalg.yield %q : i8
      } -> tensor<4xi8>
      return %q : tensor<4xi8>
    }
    ```

    `requantize-mode=fixed-point` lowers `qnn.requantize` with integer
    arithmetic only: a Q31 multiplier and a rounding right shift (gemmlowp),
    for targets without floating point. Its rounding is gemmlowp's (not
    half to even), so results can differ from the float mode by one.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
  let options = [
    Option<"requantizeMode", "requantize-mode", "::quantopt::RequantizeMode",
           "::quantopt::RequantizeMode::Float",
           "Arithmetic used to lower qnn.requantize",
           [{::llvm::cl::values(
             clEnumValN(::quantopt::RequantizeMode::Float, "float",
                        "f32 multiplier, round half to even (ONNX bit-exact)"),
             clEnumValN(::quantopt::RequantizeMode::FixedPoint, "fixed-point",
                        "Q31 multiplier and rounding shift (integer only)"))}]>,
  ];
}

def ConvertQnnObserveToRuntimePass
    : Pass<"convert-qnn-observe-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Lower qnn.observe to calls of the calibration runtime";
  let description = [{
    Replaces each `qnn.observe` by a call that records its input in the
    calibration runtime (`lib/Runtime`, linked into quant-run), and forwards
    the input to the observer's users. Non-f32 inputs are converted to f32
    for recording.

    Before:
    ```mlir
    %y = qnn.observe %x id(3) axis(1) : tensor<2x8xf32>
    ```
    After:
    ```mlir
    %id = arith.constant 3 : i64
    %axis = arith.constant 1 : i64
    %u = tensor.cast %x : tensor<2x8xf32> to tensor<*xf32>
    call @quantopt_observe_f32(%id, %axis, %u) : (i64, i64, tensor<*xf32>) -> ()
    // users of %y now use %x
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // QUANTOPT_CONVERSION_PASSES_TD
