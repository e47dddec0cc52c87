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

def ConvertQnnPackedMatmulToVectorPass
    : Pass<"convert-qnn-packed-matmul-to-vector", "::mlir::ModuleOp"> {
  let summary = "Compile bufferized qnn.packed_matmul into a register-tiled micro-kernel";
  let description = [{
    Replaces each `qnn.packed_matmul` on memrefs by loops over tiles of
    `rows` x (`vectors` x 16) outputs whose accumulators live in 512-bit
    registers for the whole reduction:

    - integer form: the activations are packed at run time (one pass, s8 ->
      u8 by flipping the sign bit, K padded to a multiple of 4, plus row
      sums when the weights have zero points); each step broadcasts 4
      activation bytes and multiplies them with a 64-byte weight panel. With
      `target=vnni` that is one `vpdpbusd` (`llvm.x86.avx512.vpdpbusd.512`,
      u8 x s8 -> i32; MLIR's x86vector dialect only has the s8 x s8
      AVX-VNNI-INT8 form); with `target=generic` the same dot product is
      written with portable vector ops (correct on any CPU). The requantize
      epilogue (offsets, row sums, f64 multiply, round half to even, zero
      point, clamp, narrowing) runs on the registers before the one store.
    - f32 form: `vector.fma` of a broadcast activation and a weight panel,
      accumulating onto the loaded init.
    - convolution form (either element type): no activation packing; the
      loop over output rows (n, oy) is outermost (and the parallel one), a
      register tile holds neighbouring output pixels, and the reduction
      runs over the window positions, then the channels (4 per integer
      step), reading the input in place.
    - depthwise form: output rows, channel blocks and pixel tiles as
      above, with channels as the lanes; a loop over the window rows, the
      window columns unrolled so that each input pixel a tile reads in a
      window row is loaded once; each product is 16 input channels of a
      pixel times their 16 weights (no broadcast). Integer: both widened to
      i32 lanes and multiplied with `vpdpwssd` (`target=vnni`; the high 16
      bits of the u8 input are zero, so each lane gets the one product) or
      a vector multiply and add (`target=generic`), then the same epilogue.

    `rows` = `vectors` = 0 picks tiles from M (24 accumulators for M >= 6,
    a wider tile for small M so that M = 1 still keeps 12 dot products in
    flight); the depthwise form defaults to 2 vectors of 8 pixels. Remainders in M, N (masked stores) and K (zero padding) are
    handled; results are bit-identical for every tiling and target.

    `target=amx` (Sapphire Rapids and later) compiles the plain integer
    matmuls with a static M onto AMX tiles: `tdpbusd` on blocks of 32 rows
    x 32 columns (four 16 x 16 i32 accumulator tiles), 64 bytes of K per
    step, then the same epilogue. The packed weights are already tdpbusd's
    B layout. The program must be lowered with upstream's convert-to-llvm
    (quant-lower-to-cpu-pipeline does that for this target), and the
    process must have asked Linux for the AMX tile state
    (`arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`; quant-run does).
  }];
  let dependentDialects = [
    "::mlir::amx::AMXDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
  let options = [
    Option<"target", "target", "std::string", "\"vnni\"",
           "Dot-product instructions: vnni (AVX512-VNNI vpdpbusd), amx "
           "(AMX tdpbusd tiles for plain integer matmuls, vnni for the rest) "
           "or generic">,
    Option<"rows", "rows", "int64_t", "0",
           "Rows per register tile (0: chosen from M and the form)">,
    Option<"vectors", "vectors", "int64_t", "0",
           "16-column vectors per register tile (0: chosen from M and the form)">,
    Option<"parallel", "parallel", "bool", "false",
           "Emit the loop over column blocks as scf.parallel, so that "
           "threads (convert-scf-to-openmp) share the output columns">,
  ];
}

#endif // QUANTOPT_CONVERSION_PASSES_TD
