//===- Epilogue.h - Recognize what can fuse into a quantized op -*- C++ -*-===//
//
// A matmul's elementwise epilogue that can become part of one quantization
// unit: a per-column bias add, then ReLU / ReLU6 / clamp. Shared by
// quant-fuse-layers (which keeps observers out of the unit) and
// quant-rewrite-int8 (which folds it into qnn.matmul).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_TRANSFORMS_EPILOGUE_H
#define QUANTOPT_TRANSFORMS_EPILOGUE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <optional>

namespace quantopt {

/// Marks an op whose result flows into a fused epilogue: no observer or
/// quantize/dequantize goes between them.
constexpr llvm::StringLiteral kFusedAttrName = "quantopt.fused";

/// Marks the per-channel scaling quant-smooth-quant puts before a
/// contraction: part of the contraction's input, not a quantizable op of its
/// own (calibration observes its result, as the contraction's input).
constexpr llvm::StringLiteral kSmoothingAttrName = "quantopt.smoothing";

struct Epilogue {
  /// The per-column bias (one value per output column), if any.
  mlir::DenseFPElementsAttr bias;
  /// Clamp bounds in real values: ReLU gives lower = 0, ReLU6 adds upper = 6.
  std::optional<double> lower, upper;
};

/// Matches `generic` as an epilogue of `producer`: an all-parallel generic
/// reading `producer` with the identity map and at most one other input, a
/// constant indexed by dimension `channelDim` only (the per-channel bias),
/// whose body is [addf bias] then at most one lower and one upper bound in
/// either order (maximumf / maxnumf / select(x > c, x, c) for the lower,
/// minimumf / minnumf / select(x < c, x, c) for the upper, lower <= upper),
/// then yield. A splat bias folded into the body as a scalar counts as a
/// per-channel bias.
std::optional<Epilogue> matchEpilogue(mlir::linalg::GenericOp generic,
                                      mlir::Value producer,
                                      unsigned channelDim);

/// True when `value` is a linalg.fill of the float constant 0 (what a
/// matmul or convolution accumulates into).
bool isZeroFill(mlir::Value value);

/// The output-channel dimension of a quantizable linalg op's result
/// (matmul: 1; NHWC convolutions: 3; NCHW: 1), if it is one.
std::optional<unsigned> getOutputChannelDim(mlir::Operation *op);

} // namespace quantopt

#endif // QUANTOPT_TRANSFORMS_EPILOGUE_H
