//===- QnnOps.td - qnn dialect ops -------------------------*- tablegen -*-===//
//
// Ops of the qnn dialect. Numerics of every op follow docs/Numerics.md.
//
//===----------------------------------------------------------------------===//

#ifndef QNN_OPS_TD
#define QNN_OPS_TD

include "qnn/IR/QnnBase.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Quantize / dequantize / requantize
//===----------------------------------------------------------------------===//

def Qnn_QuantizeOp : Qnn_Op<"quantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "float tensor to uniform quantized tensor";
  let description = [{
    Quantizes each element with the ONNX QuantizeLinear rule, computed in the
    expressed type (f16 and bf16 inputs are computed in f32):

    `q = clamp(round_half_to_even(x / scale) + zero_point, qmin, qmax)`

    NaN maps to the zero point; +-inf saturate. Per-axis result types take
    the scale and zero point of each element's channel along the quantized
    dimension.

    ```mlir
    %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5:-1>>
    ```
  }];
  let arguments = (ins Qnn_FloatTensor:$input);
  let results = (outs Qnn_QuantizedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Qnn_DequantizeOp : Qnn_Op<"dequantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "uniform quantized tensor to float tensor";
  let description = [{
    Dequantizes each element with the ONNX DequantizeLinear rule:
    `x = (q - zero_point) * scale`, the subtraction in i32 and the product in
    the expressed type.

    ```mlir
    %x = qnn.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5:-1>> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Qnn_QuantizedTensor:$input);
  let results = (outs Qnn_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Qnn_RequantizeOp : Qnn_Op<"requantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "change the scale and zero point of a quantized tensor";
  let description = [{
    Maps each element from the input's scale and zero point to the result's:

    `q_out = clamp(round_half_to_even((q_in - zp_in) * (scale_in / scale_out)) + zp_out, qmin, qmax)`

    The multiplier `scale_in / scale_out` is computed in double precision and
    rounded once to f32; the product with `q_in - zp_in` is computed in f64
    (see docs/Numerics.md). Requantizing to the same type is the identity and
    folds away.

    ```mlir
    %r = qnn.requantize %q : tensor<4x!quant.uniform<i32:f32, 0.01>>
                          -> tensor<4x!quant.uniform<i8:f32, 0.1:3>>
    ```
  }];
  let arguments = (ins Qnn_QuantizedTensor:$input);
  let results = (outs Qnn_QuantizedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Quantized compute
//===----------------------------------------------------------------------===//

def Qnn_MatmulOp : Qnn_Op<"matmul", [Pure]> {
  let summary = "quantized matrix multiplication with i32 accumulation and requantize";
  let description = [{
    `lhs` (M x K, per tensor) times `rhs` (K x N, per tensor or per axis
    along dimension 1, the output channels), accumulated exactly in i32,
    plus an optional i32 `bias` (N values at scale `lhs_scale *
    rhs_scale[n]`, zero point 0), requantized to the result type:

    ```
    acc[m, n] = bias[n] + sum_k (lhs[m, k] - lhs_zp) * (rhs[k, n] - rhs_zp[n])
    M[n]      = f32(f32(lhs_scale * rhs_scale[n]) / result_scale)   -- f32 arithmetic
    y[m, n]   = clamp(round_half_to_even(f64(acc[m, n]) * M[n]) + result_zp, lo, hi)
    ```

    This is ONNX QLinearMatMul (with a bias and a fused activation). `lo`
    and `hi` are the result's storage range, narrowed by `clamp_min` /
    `clamp_max` (in result storage units) when an activation such as ReLU
    was fused.

    ```mlir
    %y = qnn.matmul %a, %w bias %b {clamp_min = -5 : i64}
        : tensor<4x16x!quant.uniform<i8:f32, 0.05:-5>>,
          tensor<16x8x!quant.uniform<i8<-127:127>:f32:1, {...}>>, tensor<8xi32>
        -> tensor<4x8x!quant.uniform<i8:f32, 0.1:-5>>
    ```
  }];
  let arguments = (ins Qnn_QuantizedTensor:$lhs,
                       Qnn_QuantizedTensor:$rhs,
                       Optional<RankedTensorOf<[I32]>>:$bias,
                       OptionalAttr<I64Attr>:$clamp_min,
                       OptionalAttr<I64Attr>:$clamp_max);
  let results = (outs Qnn_QuantizedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`bias` $bias^)? attr-dict `:` type($lhs) `,` type($rhs)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Qnn_Conv2DOp : Qnn_Op<"conv2d", [Pure]> {
  let summary = "quantized 2-D convolution with i32 accumulation and requantize";
  let description = [{
    ONNX QLinearConv (with a bias and a fused activation) on one of three
    layouts:

    - `nhwc_hwcf`: input N x H x W x C, filter KH x KW x C x F, result
      N x OH x OW x F;
    - `nchw_fchw`: input N x C x H x W, filter F x C x KH x KW, result
      N x F x OH x OW;
    - `nhwc_hwc` (depthwise): input N x H x W x C, filter KH x KW x C,
      result N x OH x OW x C.

    The input is padded with its zero point (`padding` = top, left, bottom,
    right), then, per output element, the products
    `(input - input_zp) * (filter - filter_zp[f])` are summed in i32 from the
    optional i32 `bias[f]` and requantized as `qnn.matmul` does, with one
    multiplier per output channel. The filter may be quantized per output
    channel (its F dimension; C for depthwise).

    ```mlir
    %y = qnn.conv2d %x, %w bias %b {layout = "nhwc_hwcf", strides = array<i64: 1, 1>,
                                    dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
        : tensor<1x8x8x3x!qa>, tensor<3x3x3x16x!qw>, tensor<16xi32> -> tensor<1x8x8x16x!qy>
    ```
  }];
  let arguments = (ins Qnn_QuantizedTensor:$input,
                       Qnn_QuantizedTensor:$filter,
                       Optional<RankedTensorOf<[I32]>>:$bias,
                       DefaultValuedAttr<StrAttr, "\"nhwc_hwcf\"">:$layout,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                       OptionalAttr<I64Attr>:$clamp_min,
                       OptionalAttr<I64Attr>:$clamp_max);
  let results = (outs Qnn_QuantizedTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter (`bias` $bias^)? attr-dict `:` type($input) `,`
    type($filter) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Dimensions of the layout: input H, W and C; filter KH, KW, input and
    /// output channel; result H, W and channel.
    struct Dims {
      int64_t inputH, inputW, inputC, filterH, filterW, filterIn, filterOut,
          resultH, resultW, resultC;
    };
    static std::optional<Dims> getDims(::llvm::StringRef layout);
  }];
}

def Qnn_MatmulIntegerOp : Qnn_Op<"matmul_integer", [Pure]> {
  let summary = "integer matrix multiplication with zero points, i32 result";
  let description = [{
    ONNX MatMulInteger: `result[m, n] = sum_k (lhs[m, k] - lhs_zp) *
    (rhs[k, n] - rhs_zp)` in i32, where `lhs_zp` is a 0-d tensor known at run
    time (as `qnn.dynamic_quantize` produces it) and `rhs_zp` an attribute.
    `ui8` operands are unsigned, `i8` signed. Dynamic quantization follows it
    with a float rescale by `lhs_scale * rhs_scale`.

    ```mlir
    %acc = qnn.matmul_integer %q, %w zero_point %zp
        : tensor<?x768xui8>, tensor<768x768xi8>, tensor<ui8> -> tensor<?x768xi32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8, UI8]>:$lhs,
                       RankedTensorOf<[I8, UI8]>:$rhs,
                       RankedTensorOf<[I8, UI8]>:$lhs_zero_point,
                       DefaultValuedAttr<I64Attr, "0">:$rhs_zero_point);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `zero_point` $lhs_zero_point attr-dict `:` type($lhs) `,`
    type($rhs) `,` type($lhs_zero_point) `->` type($result)
  }];
  let hasVerifier = 1;
}

class Qnn_ElementwiseBinaryOp<string mnemonic, string formula>
    : Qnn_Op<mnemonic, [Pure, SameOperandsAndResultShape]> {
  let summary = "elementwise " # mnemonic # " of quantized tensors";
  let description = [{
    Exactly what the dequantize -> float op -> quantize program computes, so
    that rewriting it is exact:

    ```
    y = quantize(}] # formula # [{)   // f32, the contract's quantize
    a_f = f32(a - a_zp) * a_scale,  b_f = f32(b - b_zp) * b_scale
    ```

    clamped to [`clamp_min`, `clamp_max`] (result storage units) when an
    activation was fused. Operands and result are per-tensor quantized, of
    the same shape.
  }];
  let arguments = (ins Qnn_QuantizedTensor:$lhs, Qnn_QuantizedTensor:$rhs,
                       OptionalAttr<I64Attr>:$clamp_min,
                       OptionalAttr<I64Attr>:$clamp_max);
  let results = (outs Qnn_QuantizedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Qnn_AddOp : Qnn_ElementwiseBinaryOp<"add", "a_f + b_f">;
def Qnn_MulOp : Qnn_ElementwiseBinaryOp<"mul", "a_f * b_f">;

//===----------------------------------------------------------------------===//
// Calibration and QAT
//===----------------------------------------------------------------------===//

def Qnn_ObserveOp : Qnn_Op<"observe", [
    SameOperandsAndResultType, MemoryEffects<[MemWrite]>]> {
  let summary = "calibration point: records the range of a float tensor";
  let description = [{
    Passes its input through unchanged and, when the instrumented model runs,
    records statistics of the values seen (min/max, moving average,
    histogram) under the observer's stable `id`. `name` is a readable label
    for reports; `axis`, when present, asks for per-channel statistics along
    that dimension.

    The op writes to the calibration statistics, so it is never removed as
    dead code even when its result is unused.

    ```mlir
    %y = qnn.observe %x id(3) name("fc1.input") : tensor<1x768xf32>
    %z = qnn.observe %w id(4) axis(0) : tensor<64x3x3x3xf32>
    ```
  }];
  let arguments = (ins Qnn_FloatTensor:$input,
                       I64Attr:$id,
                       OptionalAttr<StrAttr>:$name,
                       OptionalAttr<I64Attr>:$axis);
  let results = (outs Qnn_FloatTensor:$result);
  let assemblyFormat = [{
    $input `id` `(` $id `)` (`name` `(` $name^ `)`)? (`axis` `(` $axis^ `)`)?
    attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def Qnn_FakeQuantOp : Qnn_Op<"fake_quant", [Pure, SameOperandsAndResultType]> {
  let summary = "quantize then dequantize in float (quantization-aware training)";
  let description = [{
    Simulates quantization in float: `dequantize(quantize(x))` with an
    integer grid of `num_bits` bits (signed unless `is_signed = false`,
    `[-(2^(b-1)-1), 2^(b-1)-1]` when `narrow_range`).

    The grid is given either as `scales` + `zero_points` or as a float range
    `min` + `max` (as TensorFlow's FakeQuantWithMinMaxVars does). Without
    `axis` each array holds one value; with `axis` it holds one value per
    channel of that dimension.

    ```mlir
    %a = qnn.fake_quant %x {scales = array<f64: 0.1>, zero_points = array<i64: 3>}
           : tensor<4xf32>
    %b = qnn.fake_quant %w {axis = 0 : i64, min = array<f64: -1.0, -2.0>,
           max = array<f64: 1.0, 2.0>, narrow_range = true} : tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Qnn_FloatTensor:$input,
                       OptionalAttr<DenseF64ArrayAttr>:$scales,
                       OptionalAttr<DenseI64ArrayAttr>:$zero_points,
                       OptionalAttr<DenseF64ArrayAttr>:$min,
                       OptionalAttr<DenseF64ArrayAttr>:$max,
                       OptionalAttr<I64Attr>:$axis,
                       DefaultValuedAttr<I64Attr, "8">:$num_bits,
                       DefaultValuedAttr<BoolAttr, "true">:$is_signed,
                       DefaultValuedAttr<BoolAttr, "false">:$narrow_range);
  let results = (outs Qnn_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Dynamic quantization
//===----------------------------------------------------------------------===//

def Qnn_DynamicQuantizeOp : Qnn_Op<"dynamic_quantize", [Pure]> {
  let summary = "quantize with a scale and zero point computed at run time";
  let description = [{
    Computes the range of its input at run time, chooses a scale and zero
    point from it (the range always includes 0), and quantizes. With the
    default asymmetric scheme and `ui8` storage this is ONNX's
    DynamicQuantizeLinear. `symmetric = true` picks zero point 0 and the
    narrow range `[-127, 127]` and needs signed storage.

    The storage element type says the signedness: `ui8`/`ui16` unsigned,
    `i8`/`i16` signed. The scale is a 0-d tensor of the input's float type;
    the zero point a 0-d tensor of the storage type.

    Numerics (ONNX's reference, in f32): the range is [min(0, min x),
    max(0, max x)] with NaN ignored; scale = width / (qmax - qmin), or
    1 / (qmax - qmin) for an empty width; zero point = round(clamp(qmin -
    min / scale)); then the contract's quantize. Symmetric: scale = max|x| /
    127 (1/127 for all zeros), zero point 0, range [-127, 127].
    `reduce_range = true` quantizes to one bit less (u8 [0, 127], symmetric
    [-63, 63]), as PyTorch's `reduce_range` for CPUs whose 8-bit dot
    products saturate in 16 bits (x86 without VNNI).

    ```mlir
    %q, %s, %zp = qnn.dynamic_quantize %x
        : tensor<?x768xf32> -> tensor<?x768xui8>, tensor<f32>, tensor<ui8>
    ```
  }];
  let arguments = (ins Qnn_FloatTensor:$input,
                       DefaultValuedAttr<BoolAttr, "false">:$symmetric,
                       DefaultValuedAttr<BoolAttr, "false">:$reduce_range);
  let results = (outs Qnn_IntegerStorageTensor:$output,
                      RankedTensorOf<[F16, BF16, F32, F64]>:$scale,
                      Qnn_IntegerStorageTensor:$zero_point);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($output) `,` type($scale) `,`
    type($zero_point)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// CPU kernel level
//===----------------------------------------------------------------------===//

def Qnn_PackedMatmulOp : Qnn_Op<"packed_matmul", [
    AttrSizedOperandSegments, DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "matmul on a packed constant weight operand (CPU kernel level)";
  let description = [{
    The form `quant-pack-matmuls` gives a matmul whose weights are constant,
    for `convert-qnn-packed-matmul-to-vector` to compile into a register-tiled
    micro-kernel. It is destination style and works on tensors and, after
    bufferization, on memrefs (then without a result). Shapes are static
    except the number of rows M (a batch dimension).

    Integer form (`lhs` i8, `init` i8): `packed_rhs` (NT x KG x 64, i8, with
    NT = ceil(N / 16) and KG = ceil(K / 4)) holds the s8 weights W (K x N)
    in the layout VNNI's `vpdpbusd` streams, 16 columns x 4 reduction steps
    per 64 bytes: `packed_rhs[t, g, 4j + i] = W[4g + i, 16t + j]`, zero
    beyond K and N. With
    `a[m, k]` the lhs storage byte read as unsigned (plus 128 when
    `lhs_sign_flip` is set, which turns s8 into u8):

    ```
    R[m]    = sum_k a[m, k]
    acc     = col_offsets[n] + row_sum_factors[n] * R[m] + sum_k a[m, k] * W[k, n]
    y[m, n] = clamp(round_half_to_even(f64(acc) * multipliers[n])
                    + output_zero_point, output_min, output_max)
    ```

    all in wrapping i32 arithmetic, as the qnn.matmul it came from. With
    `shifts` (the fixed-point requantize mode), `multipliers` are i32 Q31
    values and the multiply-and-round is docs/Numerics.md's integer-only
    one: `y = clamp(MultiplyByQuantizedMultiplier(acc, multipliers[n],
    shifts[n]) + output_zero_point, ...)`. The zero
    points, the bias and the +128 shift are folded into `col_offsets` and
    `row_sum_factors` (absent when every weight zero point is 0). The result
    storage is i8 (u8 when `output_unsigned` is set).

    Accumulator form (`lhs` i8, `init` i32, `col_offsets` and optional
    `row_sum_factors`, no multipliers or output attributes): `y[m, n] =
    acc`, the i32 sums themselves (what a `linalg.matmul` of i8 x i8 -> i32
    computes).

    Float form (`lhs`, `init` f32): `packed_rhs` is NT x K x 16,
    `packed_rhs[t, k, j] = W[k, 16t + j]`, and `y = init + lhs * W`.

    Convolution form (`window = array<i64: KH, KW>`, optional `strides`
    and `dilations`, default 1): `lhs` is the already padded N x H x W x C
    input and `init` the N x OH x OW x F output. The matmul above runs on
    the im2col view of the input, never built: row (n, oy, ox), column
    (ky, kx, c), `a = lhs[n, oy * SH + ky * DH, ox * SW + kx * DW, c]`, so
    K = KH * KW * C and W is the filter flattened to (KH * KW * C) x F. The
    integer form then needs C to be a multiple of 4 (each 4-byte group lies
    in one pixel), no `row_sum_factors` and no `lhs_sign_flip` (the input
    is stored as u8 already).

    Depthwise convolution form (`depthwise` with a `window`): every channel
    is convolved with its own filter, so `init` has the C channels of `lhs`
    and the reduction runs over the KH * KW window positions only:

    ```
    acc[n, oy, ox, c] = col_offsets[c] + sum_(ky, kx) a * W[ky * KW + kx, c]
    ```

    with `a` read as above, W the HWC filter flattened to (KH * KW) x C,
    and `packed_rhs` NT x (KH * KW) x 16 in both forms, `packed_rhs[t, p, j]
    = W[p, 16t + j]` (s8 weights in the integer form). C must be a multiple
    of 16; the requantize is the integer form's.
  }];
  let arguments = (ins AnyShaped:$lhs, AnyShaped:$packed_rhs,
                       Optional<AnyShaped>:$col_offsets,
                       Optional<AnyShaped>:$multipliers,
                       Optional<AnyShaped>:$shifts,
                       Optional<AnyShaped>:$row_sum_factors,
                       AnyShaped:$init,
                       UnitAttr:$lhs_sign_flip,
                       UnitAttr:$output_unsigned,
                       OptionalAttr<I64Attr>:$output_zero_point,
                       OptionalAttr<I64Attr>:$output_min,
                       OptionalAttr<I64Attr>:$output_max,
                       OptionalAttr<DenseI64ArrayAttr>:$window,
                       OptionalAttr<DenseI64ArrayAttr>:$strides,
                       OptionalAttr<DenseI64ArrayAttr>:$dilations,
                       UnitAttr:$depthwise);
  let results = (outs Optional<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $lhs `,` $packed_rhs `:` type($lhs) `,` type($packed_rhs) `)`
    custom<Requantize>($col_offsets, $multipliers, type($col_offsets),
                       type($multipliers))
    (`shifts` `(` $shifts^ `:` type($shifts) `)`)?
    (`row_sums` `(` $row_sum_factors^ `:` type($row_sum_factors) `)`)?
    `outs` `(` $init `:` type($init) `)` attr-dict (`->` type($result)^)?
  }];
  let builders = [
    // The f32 form (no requantize operands or attributes), a convolution
    // when `window` is set; on tensors the result has the init's type.
    OpBuilder<(ins "::mlir::Value":$lhs, "::mlir::Value":$packedRhs,
                   "::mlir::Value":$init,
                   CArg<"::mlir::DenseI64ArrayAttr", "{}">:$window,
                   CArg<"::mlir::DenseI64ArrayAttr", "{}">:$strides,
                   CArg<"::mlir::DenseI64ArrayAttr", "{}">:$dilations,
                   CArg<"bool", "false">:$depthwise), [{
      ::mlir::Type resultType;
      if (::mlir::isa<::mlir::RankedTensorType>(init.getType()))
        resultType = init.getType();
      build($_builder, $_state, resultType, lhs, packedRhs, {}, {}, {}, {},
            init, /*lhs_sign_flip=*/false, /*output_unsigned=*/false, {}, {},
            {}, window, strides, dilations, depthwise);
    }]>
  ];
  let extraClassDeclaration = [{
    MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
    /// True for the i8 form, false for the f32 form.
    bool isInteger() {
      return ::mlir::getElementTypeOrSelf(getLhs().getType()).isInteger(8);
    }
    /// The convolution form's geometry, one value per spatial dimension
    /// (height, width); strides and dilations default to 1.
    struct Window {
      ::std::array<int64_t, 2> size, strides{1, 1}, dilations{1, 1};
    };
    ::std::optional<Window> getConvWindow();
    ::mlir::LogicalResult verifyConvWindow(bool integer);
  }];
  let hasVerifier = 1;
}

#endif // QNN_OPS_TD
