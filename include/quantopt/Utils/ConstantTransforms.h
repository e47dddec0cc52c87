//===- ConstantTransforms.h - Layout changes of constants -------*- C++ -*-===//
//
// Weights arrive in whatever layout a frontend chose ([N, K] for PyTorch's
// Linear, F x KH x KW x C for TOSA's conv2d); the passes bring them to the
// layout the quantized kernels read at compile time, so that the program
// pays nothing at run time.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_UTILS_CONSTANTTRANSFORMS_H
#define QUANTOPT_UTILS_CONSTANTTRANSFORMS_H

#include "mlir/IR/BuiltinAttributes.h"

namespace quantopt {

/// `values` with its dimensions permuted as linalg.transpose does (result
/// dimension i is input dimension perm[i]). Elements must be whole bytes
/// (every int and float type but i1); returns null otherwise.
mlir::DenseElementsAttr permuteElements(mlir::DenseElementsAttr values,
                                        llvm::ArrayRef<int64_t> perm);

/// The elements of `values` with index [offset, offset + size) along
/// dimension `dim` (the rest whole), evaluated now. Same element rule as
/// permuteElements.
mlir::DenseElementsAttr sliceElements(mlir::DenseElementsAttr values,
                                      int64_t dim, int64_t offset,
                                      int64_t size);

} // namespace quantopt

#endif // QUANTOPT_UTILS_CONSTANTTRANSFORMS_H
