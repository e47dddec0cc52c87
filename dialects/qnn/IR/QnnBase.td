//===- QnnBase.td - qnn dialect definition -----------------*- tablegen -*-===//
//
// The qnn dialect: the quantized-network ops upstream MLIR lacks. Types are
// MLIR's own !quant.uniform types; this file only declares the dialect and
// the type constraints its ops share.
//
//===----------------------------------------------------------------------===//

#ifndef QNN_BASE_TD
#define QNN_BASE_TD

include "mlir/IR/OpBase.td"

def Qnn_Dialect : Dialect {
  let name = "qnn";
  let cppNamespace = "::mlir::qnn";
  let summary = "Quantized neural network ops for QuantOpt";
  let description = [{
    The `qnn` dialect holds the ops that a quantization flow needs beyond
    upstream's `quant` casts: calibration points (`qnn.observe`), QAT
    fake-quantization (`qnn.fake_quant`), quantize / dequantize / requantize
    with QuantOpt's numerics contract (round half to even, saturate, NaN to the
    zero point), and run-time quantization (`qnn.dynamic_quantize`).

    Quantized values use MLIR's own `!quant.uniform` types, per tensor
    (`!quant.uniform<i8:f32, 0.05:-3>`) or per axis
    (`!quant.uniform<i8:f32:0, {0.1, 0.2}>`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::quant::QuantDialect",
  ];
  let useDefaultAttributePrinterParser = 0;
  let useDefaultTypePrinterParser = 0;
}

class Qnn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Qnn_Dialect, mnemonic, traits>;

// Float element types a quantized value can be expressed in.
def Qnn_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;

def Qnn_UniformQuantizedElement : Type<
    CPred<"::llvm::isa<::mlir::quant::UniformQuantizedType, "
          "::mlir::quant::UniformQuantizedPerAxisType>($_self)">,
    "uniform quantized type (per tensor or per axis)">;

def Qnn_QuantizedTensor : RankedTensorOf<[Qnn_UniformQuantizedElement]>;

// Plain integer storage, for values whose scale is only known at run time.
def Qnn_IntegerStorageTensor : RankedTensorOf<[I8, UI8, I16, UI16]>;

#endif // QNN_BASE_TD
