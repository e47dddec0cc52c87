//===- Passes.td - QuantOpt transformation passes ----------*- tablegen -*-===//

#ifndef QUANTOPT_TRANSFORMS_PASSES_TD
#define QUANTOPT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

// Every pass that expands constants element by element (to quantize, fold,
// pack or convert them) stops at this many elements, with an error at the op
// that reads the constant (quantopt/Utils/ConstantLimits.h).
defvar MaxConstantElementsOption =
    Option<"maxConstantElements", "max-constant-elements", "int64_t",
           "::quantopt::kDefaultMaxConstantElements",
           "Most elements of a constant the pass expands (a splat counts "
           "every element)">;

def InsertCalibrationPass
    : Pass<"quant-insert-calibration", "::mlir::ModuleOp"> {
  let summary = "Insert qnn.observe on every activation a quantizable op uses";
  let description = [{
    Instruments a float model for calibration: every float tensor that a
    quantizable op reads (its non-constant inputs) or writes (its results),
    and every float tensor argument and result of a function, gets a
    `qnn.observe` with a stable id and a readable name. The observer's result
    replaces the value for all its users, so that
    `quant-apply-calibration` later puts a quantize/dequantize pair exactly
    there.

    Constants and values computed only from constants (weights) are not
    observed: their ranges are known at compile time. Running the pass again
    adds nothing: observed values are recognized, and new ids continue after
    the largest existing one.

    Names come from the op's location when it is a name (`loc("fc1")`,
    as importers write), otherwise from the function and the op's position:
    `main.linalg.matmul#0.in0`, `main.arg0`, `main.result0`.

    Before:
    ```mlir
    func.func @main(%x: tensor<1x8xf32>) -> tensor<1x4xf32> {
      %w = arith.constant dense<0.5> : tensor<8x4xf32>
      %y = linalg.matmul ins(%x, %w : ...) outs(%init : ...) -> tensor<1x4xf32>
      return %y : tensor<1x4xf32>
    }
    ```
    After:
    ```mlir
    %0 = qnn.observe %x id(0) name("main.arg0") : tensor<1x8xf32>
    %y = linalg.matmul ins(%0, %w : ...) ...
    %1 = qnn.observe %y id(1) name("main.linalg.matmul#0.out0") : tensor<1x4xf32>
    return %1 : tensor<1x4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::qnn::QnnDialect"];
  let options = [
    ListOption<"quantizableOps", "ops", "std::string",
               "Op kinds to instrument: matmul, batch_matmul, conv, "
               "depthwise_conv, elementwise, pooling (default: all)">,
    Option<"observe", "observe", "std::string", "\"both\"",
           "Which activations to observe: inputs, outputs or both">,
    Option<"channelAxis", "channel-axis", "int64_t", "-1",
           "Record per-channel statistics along this dimension (-1: none)">,
    Option<"contractionChannels", "contraction-channels", "bool", "false",
           "Record a contraction's inputs per channel along the dimension "
           "it contracts (a matmul input's K), as quant-smooth-quant needs">,
    Option<"functionBoundaries", "function-boundaries", "bool", "true",
           "Also observe float tensor arguments and results of functions">,
  ];
}

def SmoothQuantPass : Pass<"quant-smooth-quant", "::mlir::ModuleOp"> {
  let summary = "Migrate activation outliers into the weights (SmoothQuant)";
  let description = [{
    SmoothQuant (Xiao et al., 2023): a few channels of a transformer's
    activations are far larger than the rest, so one per-tensor scale leaves
    the other channels a few levels. For a contraction `Y = X W` with
    constant `W`, the pass divides each channel `j` of `X` (the dimension the
    contraction sums over) by

        s_j = max|X_j|^alpha / max|W_j|^(1 - alpha)

    and multiplies row `j` of `W` by it: `Y` is unchanged in exact
    arithmetic, and the outliers move into the weights, which are quantized
    per output channel. Contractions that read the same activation share
    one `s` (the maximum over all their weights), as for the Q/K/V
    projections.

    Input: a module instrumented with
    `quant-insert-calibration{contraction-channels=true}` (any other
    options), and `stats=` the statistics `quant-run --calibrate` recorded
    for it: `max|X_j|` is the observer's per-channel range. Output: the
    smoothed float module, observers removed: instrument and calibrate it
    again for the INT8 flow (its activations changed).

    Where the activation is a per-channel affine of its own (LayerNorm's
    `x * gamma + beta`, reached through reshapes and channel-wise adds) and
    nothing else reads it, `1/s` is folded into `gamma` and `beta`;
    otherwise a `linalg.generic` multiplies by `1/s` (marked
    `quantopt.smoothing`, so calibration does not treat it as a layer).
    Every smoothed activation gets a remark (how many contractions, the
    range of `s`, where `1/s` went); a contraction whose activation is
    observed per channel but that cannot be smoothed (two activations, as
    attention's Q K^T; a weight that is not an f32 constant) gets a remark
    saying why.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"statsFile", "stats", "std::string", "\"\"",
           "Stats file quant-run --calibrate wrote for this module (required)">,
    Option<"alpha", "alpha", "double", "0.5",
           "Migration strength in [0, 1]: the share of each channel's range "
           "moved from the activation into the weights (0.5: split evenly)">,
  ];
}

def ApplyCalibrationPass
    : Pass<"quant-apply-calibration", "::mlir::ModuleOp"> {
  let summary = "Replace observers with quantize/dequantize pairs from a stats file";
  let description = [{
    Reads the statistics `quant-run --calibrate` recorded and replaces each
    `qnn.observe` with `qnn.quantize` + `qnn.dequantize` typed with the scale
    and zero point the chosen method gives:

    - `minmax`: the observed min and max;
    - `moving-average`: moving averages of each batch's min and max;
    - `percentile`: the range keeping `percentile` percent of the values;
    - `entropy`: the KL-divergence threshold search (TensorRT / ONNX Runtime);
    - `mse`: the range with the least squared quantization error.

    `entropy` and `mse` try one threshold per histogram bin; past 8192 bins
    (`quant-run --histogram-bins`) they search a copy with neighbouring
    bins merged down to 8192, so that their time stays under a second per
    observer.

    `scheme=symmetric` gives zero point 0 and the narrow range [-127, 127]
    for i8 (zero point 128 for u8). Observers with an `axis` get per-axis
    types when `per-channel` is set (minmax and moving-average).

    Errors (with the observer's location): an observer missing from the
    file, a file recorded for a different module (names or shapes differ),
    an observer that saw no finite value, a histogram method on an empty
    histogram, an unreadable or malformed file.

    ```mlir
    %y = qnn.observe %x id(0) name("fc1.in0") : tensor<1x8xf32>
    ```
    becomes (for a recorded range [-1, 3], minmax, asymmetric, i8)
    ```mlir
    %q = qnn.quantize %x : tensor<1x8xf32> -> tensor<1x8x!quant.uniform<i8:f32, 0.015686274509803921:-64>>
    %y = qnn.dequantize %q : ... -> tensor<1x8xf32>
    ```
  }];
  let dependentDialects = ["::mlir::qnn::QnnDialect",
                           "::mlir::quant::QuantDialect"];
  let options = [
    Option<"statsFile", "stats", "std::string", "\"\"",
           "Stats file written by quant-run --calibrate (required)">,
    Option<"method", "method", "std::string", "\"minmax\"",
           "minmax, moving-average, percentile, entropy or mse">,
    Option<"percentile", "percentile", "double", "99.99",
           "Percentage of values the percentile method keeps">,
    Option<"scheme", "scheme", "std::string", "\"asymmetric\"",
           "asymmetric or symmetric">,
    Option<"dtype", "dtype", "std::string", "\"i8\"", "i8 or u8">,
    Option<"perChannel", "per-channel", "bool", "true",
           "Use per-channel statistics of observers that have an axis">,
  ];
}

def LowerFakeQuantPass : Pass<"quant-lower-fake-quant"> {
  let summary = "Turn QAT fake-quant ops and upstream quant casts into typed quantize/dequantize pairs";
  let description = [{
    Models trained with quantization-aware training arrive with
    `qnn.fake_quant` ops, or (ONNX QDQ models) with QuantizeLinear /
    DequantizeLinear pairs expressed as upstream `quant.qcast` /
    `quant.dcast`. This pass makes both into `qnn.quantize` +
    `qnn.dequantize` with a `!quant.uniform` type, so that the rest of the
    flow (and QuantOpt's numerics) applies:

    - `qnn.fake_quant {scales, zero_points}` uses them as given;
    - `qnn.fake_quant {min, max}` chooses the scale and zero point from the
      range (0 made exact, as TensorFlow's FakeQuantWithMinMaxVars nudges);
    - `num_bits`, `is_signed` and `narrow_range` give the storage type: i8 /
      i16 (u8 / u16), with a custom range for fewer bits or a narrow range;
    - `axis` gives a per-axis type.

    A grid that gives no valid quantized type (for example a scale too small
    for an f16 expressed type) is an error at the op.

    ```mlir
    %y = qnn.fake_quant %x {min = array<f64: -1.0>, max = array<f64: 3.0>} : tensor<4xf32>
    ```
    becomes
    ```mlir
    %q = qnn.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.015686274509803921:-64>>
    %y = qnn.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.015686274509803921:-64>> -> tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::qnn::QnnDialect",
                           "::mlir::quant::QuantDialect"];
}

def NormalizeUnitsPass : Pass<"quant-normalize-units"> {
  let summary = "Rewrite frontend forms of layers into the canonical forms QuantOpt quantizes";
  let description = [{
    Runs on the float model, first in the static flow (`quant-prepare-pipeline`).
    Frontends write the same layer in many forms; each pattern rewrites one
    form into the canonical one that quant-fuse-layers,
    quant-insert-calibration, quant-rewrite-int8 and quant-pack-matmuls
    know, so those passes see one form per layer kind:

    - any float contraction `X[b..., m, k] * W[k, n]` with a constant `W`
      (found by linalg's contraction interface: `linalg.matmul` reading B
      as [N, K], `linalg.batch_matmul` of batch 1 or with weights shared
      across the batch, a `linalg.generic`) becomes `linalg.matmul` on X
      collapsed to [b * m, k], with W transposed to [K, N] at compile time,
      and the result expanded back;
    - `linalg.conv_2d_nhwc_fhwc` (tosa.conv2d) with a constant filter
      becomes `conv_2d_nhwc_hwcf`, the filter transposed at compile time;
      1-D convolutions become 2-D ones with a unit height;
      `depthwise_conv_2d_nhwc_hwcm` with a multiplier of 1
      (tosa.depthwise_conv2d) becomes `depthwise_conv_2d_nhwc_hwc`, and
      torch-mlir's `depthwise_conv_2d_nchw_chw` the NHWC form between
      transposes (an input padding moved after the input's transpose);
    - grouped convolutions (`conv_2d_ngchw_gfchw`, `conv_2d_ngchw_fgchw`,
      `conv_2d_nhwgc_gfhwc`) with a constant filter become one
      convolution per group on a slice of the channels, concatenated; an
      elementwise op on that concatenation is split onto the parts, so
      each group has its own bias and activation;
    - a bias broadcast into a contraction's or convolution's init tensor
      (tosa's form) becomes an accumulation into zeros followed by a bias
      add;
    - elementwise named ops (`linalg.add`, `linalg.max`, `linalg.broadcast`,
      `linalg.elementwise`, ...) become `linalg.generic`s; broadcasts of
      constants, fills and splats merge into the generic that reads them,
      and constants lose their unit dimensions (a 1 x 1 x N bias is
      indexed per channel), so bias and activation read as one epilogue;
    - the reshapes and transposes these leave after a contraction or
      convolution move below its elementwise consumers.

    Anything else is left as it is (quant-rewrite-int8 reports what stays
    float). Locations are kept, so `exclude=` names still match.

    ```mlir
    %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                        affine_map<(m, n, k) -> (n, k)>,
                                        affine_map<(m, n, k) -> (m, n)>]
           ins(%x, %w_nk : tensor<4x16xf32>, tensor<8x16xf32>) outs(%zero : tensor<4x8xf32>)
    ```
    becomes `linalg.matmul ins(%x, %w_kn : tensor<4x16xf32>, tensor<16x8xf32>)`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    MaxConstantElementsOption,
    Option<"maxRewrites", "max-rewrites", "int64_t", "1000000",
           "Most rewrites before the pass stops with a warning (a bound for "
           "patterns that would undo each other)">
  ];
}

def FuseLayersPass : Pass<"quant-fuse-layers"> {
  let summary = "Fold batch norm into weights; make matmul/conv + bias + activation one unit";
  let description = [{
    Runs on the float model, before calibration, on `linalg.matmul` and the
    convolutions QuantOpt quantizes (NHWC, NCHW, depthwise NHWC) that have
    constant weights and accumulate into zeros:

    1. A following elementwise op that is affine per output channel (batch
       normalization in inference form, `(x - mean) * gamma / sqrt(var +
       eps) + beta`, or any scale) is folded into the weights; what remains
       is a bias add.
    2. That bias add and a following activation merge into one epilogue
       (upstream's elementwise fusion, limited to ops after a quantizable op).
    3. The op is marked `quantopt.fused` when its only user is such an
       epilogue (a per-channel constant bias add, then ReLU / ReLU6 /
       clamp): quant-insert-calibration then puts no observer between them,
       and quant-rewrite-int8 folds the epilogue into `qnn.matmul` /
       `qnn.conv2d` (bias as i32, the activation as the requantize's clamp).

    Anything else is left untouched.

    ```mlir
    %mm = linalg.matmul ins(%x, %w : ...) outs(%zero : ...) -> tensor<4x8xf32>
    %y = linalg.generic {...} ins(%mm, %b : tensor<4x8xf32>, tensor<8xf32>) ... {
      %s = arith.addf %in, %bias : f32
      %r = arith.maximumf %s, %c0 : f32
      linalg.yield %r : f32
    }
    ```
    gets `{quantopt.fused}` on the matmul.
  }];
  let options = [MaxConstantElementsOption];
}

def CompareLayersPass : Pass<"quant-compare-layers", "::mlir::ModuleOp"> {
  let summary = "Return every quantization point's model, float and layer-alone values (per-layer debugging)";
  let description = [{
    Instruments a calibrated model (after `quant-apply-calibration`, before
    `quant-rewrite-int8`) for per-layer debugging, as PyTorch's Numeric
    Suite does with shadow modules, so that one run measures, at every
    quantization point (a `dequantize(quantize(x))` of a computed `x`: a
    layer's output):

    - the *model's* value, everything before it quantized (its accumulated
      error);
    - its *float* value, from a copy of the function body with every
      `dequantize(quantize(x))` read as `x`;
    - its layer's *shadow*: the layer that computes `x` cloned with the
      float copy's inputs quantized with the model's own types, and its
      result quantized as the model's is: that layer alone in INT8, fed with
      FP32 inputs (its local error). Where no op with quantized inputs
      computes `x`, the shadow is the float value quantized.

    The function keeps its results and gains three per point, in program
    order, each with result attributes `quantopt.compare` ("model", "float"
    or "shadow"), `quantopt.layer` (the layer's first name location: the
    ONNX node name) and `quantopt.op`. After `quant-rewrite-int8` the model
    and the shadows are integer code and the copy stays float.
    A unit `quant-fuse-layers` made (an op marked `quantopt.fused` and its
    epilogue), and reshapes, pads, slices and transposes between a layer and
    its quantize or dequantize, are cloned with it. The copies are marked
    `quantopt.compare_copy`: the rewrite's remarks, report and `strict`
    errors describe the model alone. Only functions nothing in the module
    calls are instrumented (a warning names the others); an op with side
    effects is an error.
    `--quant-static-int8-pipeline=compare-layers=true` runs it between the
    calibration and the rewrite; `quantopt-eval --layers` and the
    mixed-precision search of `quantopt-quantize` read its results.

    ```mlir
    %q = qnn.quantize %h : tensor<1x8xf32> -> tensor<1x8x!quant.uniform<i8:f32, 0.1>>
    %d = qnn.dequantize %q : ... -> tensor<1x8xf32>
    %y = linalg.matmul ins(%d, %w : ...) outs(...) loc("fc2")
    %qy = qnn.quantize %y ...
    %dy = qnn.dequantize %qy ...
    return %dy
    ```
    gains a float copy (`%y_float`, a matmul of the float `%h`), and a
    shadow matmul of `dequantize(quantize(%h_float))` with its own output
    round trip, and returns `%dy, ..., %dy {quantopt.compare = "model",
    quantopt.layer = "fc2", ...}, %y_float {... "float" ...},
    %dy_shadow {... "shadow" ...}`.
  }];
  let dependentDialects = ["::mlir::qnn::QnnDialect"];
}

def RewriteInt8Pass : Pass<"quant-rewrite-int8"> {
  let summary = "Rewrite dequantize -> float op -> quantize into integer ops";
  let description = [{
    Turns quantized-at-the-edges float computation into integer computation:

    ```
    qnn.dequantize(%a) -> linalg.matmul (float weights) [-> bias/relu epilogue] -> qnn.quantize
    ```
    becomes `qnn.matmul %a, %w_i8 bias %b_i32 {clamp}`: i8 x i8 -> i32 with
    zero-point corrections, the bias quantized to i32 at scale
    `input_scale * weight_scale`, and the activation folded into the output
    clamp. Float weight constants are quantized at compile time, per output
    channel, symmetric, narrow range (i8 in [-127, 127]), so the IR holds i8
    weights (about 4x smaller); weights that already arrive as
    `qnn.dequantize` of quantized values are used as they are. B may be
    [K, N] or, as a float constant, [N, K] (PyTorch's Linear layout:
    indexing maps (m, k), (n, k) -> (m, n)), which is transposed at compile
    time.

    Ops the pass cannot (or is told not to) quantize stay float, with their
    dequantize / quantize around them, and never silently: each float
    matmul, convolution or pooling that stays float gets a remark with the
    reason (`kept in float: transposed matmul`, `excluded by the user`, `its
    inputs are not quantized`, ...), and so does every other reduction left
    between a dequantize and a quantize once float layers run as float (a
    mean over an axis: no integer form). `exclude=` names ops to keep in float by name location or
    by kind (`matmul`); a name that matches nothing is an error.
    `strict=true` makes each such op an error instead (ops excluded by the
    user excepted), and `report=FILE` writes each of those ops, and each
    one rewritten, as JSON:

    ```json
    {"pass": "quant-rewrite-int8", "quantized": 1, "kept_float": 1,
     "ops": [{"op": "linalg.matmul", "name": "fc1", "location": "loc(\"fc1\")",
              "decision": "int8"},
             {"op": "linalg.matmul", "name": "fc2", "location": "loc(\"fc2\")",
              "decision": "float", "reason": "excluded by the user"} ] }
    ```

    What stays float then runs as float (`float-cleanup`, on by default):
    a `dequantize(quantize(x))` whose quantized value only dequantizes read
    becomes `x` (the round trip only added error and time; reshapes, slices
    and transposes the rewrite had moved onto such a value go back to
    float first), and the
    dequantize of an integer constant (QDQ or QAT weights of an op left in
    float) becomes the f32 constant, computed now with the same f32
    arithmetic, so that the op takes the packed f32 kernels.

    (MLIR's `--mlir-pass-statistics` stays empty with Debian's LLVM, which
    is built without statistics; the report is the record.)
  }];
  let dependentDialects = ["::mlir::qnn::QnnDialect",
                           "::mlir::quant::QuantDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    ListOption<"exclude", "exclude", "std::string",
               "Ops to keep in float: names (from name locations) or kinds">,
    Option<"floatCleanup", "float-cleanup", "bool", "true",
           "Ops left in float: drop quantize/dequantize round trips no "
           "integer op reads, dequantize constant weights at compile time">,
    Option<"keepRoundTrips", "keep-round-trips", "bool", "false",
           "With float-cleanup: keep the round trips (the model's own "
           "quantization points, as a QDQ or QAT model writes them: part of "
           "what it computes); weights are still dequantized now">,
    Option<"strict", "strict", "bool", "false",
           "Make every quantizable op left in float (except those excluded "
           "by the user) an error">,
    Option<"report", "report", "std::string", "\"\"",
           "Write a JSON report of every quantizable op (op, name, location, "
           "int8 or float, the reason) to this file ('-': stdout)">,
    MaxConstantElementsOption,
  ];
}

def DynamicQuantizePass : Pass<"quant-dynamic-quantize"> {
  let summary = "Dynamic INT8 matmuls: weights quantized now, activations at run time";
  let description = [{
    For models without calibration data. Each float `linalg.matmul` with
    constant weights (and its fusible bias / ReLU epilogue) becomes:

    ```
    %q, %scale, %zp = qnn.dynamic_quantize %x        // range measured at run time
    %acc = qnn.matmul_integer %q, %w_i8 zero_point %zp
    %y = f32(%acc) * (%scale * w_scale[n]) [+ bias[n]] [relu]   // linalg.generic
    ```

    as ONNX Runtime's dynamic quantization (DynamicQuantizeLinear +
    MatMulInteger + rescale) does. Weights are symmetric i8, per output
    column and narrow range [-127, 127] by default; `per-channel=false`
    gives one scale per tensor (ONNX Runtime's and PyTorch's default),
    `narrow-range=false` the full [-128, 127] grid (scale max|w| / 127.5,
    as PyTorch's qint8 weights). Activations are u8 asymmetric, or i8
    symmetric with `symmetric=true`; `reduce-range=true` keeps them to 7
    bits, as PyTorch's `reduce_range` (for bit-matching its x86 results). `exclude=` keeps ops in float by name
    or kind (`matmul`); every float matmul or convolution left gets a
    remark saying why.
  }];
  let dependentDialects = ["::mlir::qnn::QnnDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"symmetric", "symmetric", "bool", "false",
           "Quantize activations to i8 symmetric instead of u8 asymmetric">,
    Option<"reduceRange", "reduce-range", "bool", "false",
           "Activations on 7 bits (u8 [0, 127], symmetric [-63, 63]), as "
           "PyTorch's reduce_range">,
    Option<"perChannel", "per-channel", "bool", "true",
           "One weight scale per output column (false: one per tensor)">,
    Option<"narrowRange", "narrow-range", "bool", "true",
           "Weights on [-127, 127] (false: the full [-128, 127])">,
    ListOption<"exclude", "exclude", "std::string",
               "Ops to keep in float: names (from name locations) or kinds">,
    MaxConstantElementsOption,
  ];
}

def CastFloatPass : Pass<"quant-cast-float"> {
  let summary = "Compute in f16 or bf16, accumulating reductions in f32";
  let description = [{
    Lowers the precision of a float model's computation while keeping its
    interface f32:

    - `linalg.matmul`, `linalg.batch_matmul` and the 2-D convolutions read
      f16/bf16 operands (constant weights are stored in f16/bf16) and
      accumulate into their f32 result;
    - elementwise `linalg.generic` ops compute in f16/bf16.

    Values cross between the two with `arith.truncf` / `arith.extf` on
    tensors; pairs that cancel are folded. Reductions other than the above
    stay in f32. An op whose constants would underflow or overflow in the
    narrow type (for example a layer-norm epsilon of 1e-12 in f16) stays in
    f32, with a warning at the op.

    ```mlir
    %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x2xf32>) outs(%acc : tensor<4x2xf32>)
    ```
    becomes (to=f16)
    ```mlir
    %xh = arith.truncf %x : tensor<4x8xf32> to tensor<4x8xf16>
    %y = linalg.matmul ins(%xh, %w_f16 : tensor<4x8xf16>, tensor<8x2xf16>) outs(%acc : tensor<4x2xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect"];
  let options = [
    Option<"to", "to", "std::string", "\"f16\"", "f16 or bf16">,
    MaxConstantElementsOption,
  ];
}

def PackMatmulsPass : Pass<"quant-pack-matmuls"> {
  let summary = "Pack constant matmul weights for the CPU micro-kernel";
  let description = [{
    Rewrites matmuls with constant weights and static shapes into
    `qnn.packed_matmul`, packing the weights at compile time into the layout
    the micro-kernel streams (see the op):

    - `qnn.matmul` with 8-bit operands and an 8-bit result (a constant
      bias, or none): the weights become s8 in VNNI order (u8 weights are
      shifted by -128), and every zero-point, bias and sign-shift term of
      the i32 accumulator is folded into per-column offsets (plus per-column
      row-sum factors when weight zero points are non-zero). The result is
      bit-identical to `convert-qnn-to-linalg`'s float-mode lowering.
    - `qnn.conv2d` (NHWC/HWCF or NCHW/FCHW, constant filter), with the
      filter flattened to (KH * KW * C) x F and packed as above. When C is
      a multiple of 4 and the filter has no zero points: the convolution
      form of `qnn.packed_matmul` on the input padded with its zero point,
      where one copy pads, flips the sign bit (s8 -> u8) and, for NCHW,
      transposes to NHWC (no copy at all for an unpadded u8 NHWC input);
      the kernel reads the windows in place. Otherwise: im2col of the
      padded input and a `qnn.matmul`, reshaped back. NCHW results are
      transposed back.
    - depthwise `qnn.conv2d` (NHWC/HWC) with C a multiple of 16 and no
      filter zero points: the depthwise form of `qnn.packed_matmul` on the
      same padded u8 input, the filter as (KH * KW) x C in 16-channel
      panels, the requantize terms folded as for a matmul. Other depthwise
      convolutions stay convolutions.
    - an already-integer `linalg.matmul` (i8 x constant i8 -> i32 into
      zeros, signed) or `linalg.quantized_matmul` (constant zero points):
      the accumulator form of `qnn.packed_matmul`, the sign shift and zero
      points folded into column offsets and row-sum factors; the result is
      the same i32 sums.
    - `qnn.matmul_integer` (dynamic quantization) with constant u8/s8
      weights: the accumulator form too; its column offsets depend on the
      run-time lhs zero point za, so they are computed per call as
      `(s + za) * (K * z - colsum[n])` (s = 128 for a signed lhs, z the
      weight zero point less the u8 shift) by a small `linalg.generic`.
    - f32 `linalg.matmul` (default indexing maps): the weights become
      16-column panels.
    - f32 `linalg.conv_2d_nhwc_hwcf` with a constant filter: the float
      convolution form, the filter packed in the same panels; f32
      `linalg.depthwise_conv_2d_nhwc_hwc` with a constant filter and C a
      multiple of 16: the float depthwise form.
    - f32 `linalg.batch_matmul` (plain, or with the right operand read
      transposed, as attention's Q K^T): the right operand is packed into
      the same panels at run time (a `linalg.generic`), then a loop over
      the batch runs one float `qnn.packed_matmul` per batch.

    Everything else (dynamic K or N, non-constant weights, 16-bit results,
    transposed matmuls) is left for the generic lowering; a dynamic number
    of rows (a batch dimension) is fine.

    Before:
    ```mlir
    %y = qnn.matmul %a, %w bias %b : tensor<16x768x!quant.uniform<i8:f32, ...>>, ...
    ```
    After:
    ```mlir
    %a8 = quant.scast %a : tensor<16x768x!quant.uniform<...>> to tensor<16x768xi8>
    %y8 = qnn.packed_matmul ins(%a8, %packed : tensor<16x768xi8>, tensor<48x192x64xi8>)
            requantize(%offsets, %multipliers : tensor<768xi32>, tensor<768xf64>)
            outs(%init : tensor<16x768xi8>) {lhs_sign_flip, output_zero_point = ...}
            -> tensor<16x768xi8>
    %y = quant.scast %y8 : tensor<16x768xi8> to tensor<16x768x!quant.uniform<...>>
    ```

    With `fixed-point`, the integer forms carry i32 Q31 multipliers and
    shifts instead (the fixed-point requantize mode); a multiplier whose
    shift is out of range is left for `convert-qnn-to-linalg` to report.
  }];
  let options = [
    Option<"fixedPoint", "fixed-point", "bool", "false",
           "Pack the requantize for the fixed-point mode (Q31 multipliers "
           "and shifts) instead of f64 multipliers">,
    MaxConstantElementsOption,
  ];
  let dependentDialects = ["::mlir::qnn::QnnDialect",
                           "::mlir::quant::QuantDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ApproximateMathPass : Pass<"quant-approximate-math"> {
  let summary = "Replace f32 transcendental math ops by polynomial approximations";
  let description = [{
    Rewrites f32 `math.exp`, `math.tanh`, `math.erf`, `math.log` (and the
    other functions upstream MLIR approximates) into polynomials of
    arithmetic ops (MLIR's `populateMathPolynomialApproximationPatterns`),
    so that the loops holding them vectorize instead of calling libm once
    per element: softmax, GELU and sigmoid in the float parts of a model. The
    approximations are accurate to a few ulp, not bit-identical to libm;
    integer (quantized) arithmetic is untouched.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def ReassociateFloatReductionsPass
    : Pass<"quant-reassociate-float-reductions"> {
  let summary = "Let float reductions in linalg.generic be reassociated";
  let description = [{
    Marks the combiner of each float reduction in a `linalg.generic` (the
    `arith.addf`, `mulf`, `maximumf`, `minimumf`, `maxnumf` or `minnumf` that
    folds an element into the output) with `fastmath<reassoc>`. Without the
    flag LLVM must add the elements one by one in order and cannot vectorize
    the loop; with it, the sums and maxima of softmax and layer norm run as
    vector code. Sums then round in a different order (a few ulp);
    maxima and minima are unchanged. Other ops keep their flags.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def StridedCopiesToLinalgPass : Pass<"quant-strided-copies-to-linalg"> {
  let summary = "Copy strided buffers with loops instead of a runtime call";
  let description = [{
    Rewrites each `memref.copy` whose source or target is not a contiguous
    row-major buffer (a subview, as bufferization makes for `tensor.pad`
    and `tensor.insert_slice`) into `linalg.copy`. The LLVM lowering of
    such a copy is a call to `memrefCopy` in the runner utilities, which
    moves one element per `memcpy`; as loops, the innermost (contiguous)
    dimension is vectorized. Copies between contiguous buffers (identity
    layout, or a static strided layout that is row-major contiguous) stay
    `memref.copy`: they already lower to one `memcpy`.

    ```mlir
    // Before
    memref.copy %x, %sv : memref<1x4x4x8xi8>
        to memref<1x4x4x8xi8, strided<[288, 48, 8, 1], offset: 56>>
    // After
    linalg.copy ins(%x : memref<1x4x4x8xi8>)
        outs(%sv : memref<1x4x4x8xi8, strided<[288, 48, 8, 1], offset: 56>>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def ParallelizeOuterLoopsPass : Pass<"quant-parallelize-outer-loops"> {
  let summary = "Keep one parallel dimension per loop nest, where it pays";
  let description = [{
    Prepares `scf.parallel` loops (from `convert-linalg-to-parallel-loops`
    and the packed-matmul kernels) for `convert-scf-to-openmp`, which turns
    each one into a parallel region:
    - the outermost dimension of an outermost `scf.parallel` (skipping
      dimensions of one iteration, such as a batch of 1) stays parallel;
      its other dimensions become `scf.for` loops inside, so that threads
      split the rows and the innermost loop stays a plain loop that LLVM
      vectorizes (a collapsed multi-dimensional OpenMP loop would not be);
    - loops nested in another parallel loop, and nests that execute fewer
      than `min-work` ops in all (each op of a loop body counted once per
      iteration; where forking threads costs more than it saves), become
      `scf.for` loops entirely.
    Loops with reductions (results) are left as they are.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", "65536",
           "Fewest ops executed by a nest that are worth running on threads">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

#endif // QUANTOPT_TRANSFORMS_PASSES_TD
