//===- ConstantTransforms.cpp - Layout changes of constants ---------------===//

#include "quantopt/Utils/ConstantTransforms.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

DenseElementsAttr quantopt::permuteElements(DenseElementsAttr values,
                                            ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(values.getType());
  int64_t rank = type.getRank();
  assert(int64_t(perm.size()) == rank && "one entry per dimension");
  SmallVector<int64_t> shape;
  for (int64_t d : perm)
    shape.push_back(type.getDimSize(d));
  auto resultType = type.clone(shape);
  if (values.isSplat())
    return values.reshape(resultType);
  unsigned bits = type.getElementTypeBitWidth();
  if (bits % 8 != 0)
    return {};
  size_t bytes = bits / 8;
  ArrayRef<char> in = values.getRawData();
  // Strides of the input, in elements, read in the result's dimension order.
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * type.getDimSize(d + 1);
  SmallVector<int64_t> strides;
  for (int64_t d : perm)
    strides.push_back(inStrides[d]);
  std::vector<char> out(in.size());
  SmallVector<int64_t> index(rank, 0);
  int64_t source = 0;
  for (size_t e = 0, n = in.size() / bytes; e < n; ++e) {
    std::memcpy(&out[e * bytes], &in[source * bytes], bytes);
    // Advance the result index odometer-style, tracking the source offset.
    for (int64_t d = rank - 1; d >= 0; --d) {
      source += strides[d];
      if (++index[d] < shape[d])
        break;
      source -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return DenseElementsAttr::getFromRawBuffer(resultType, out);
}

DenseElementsAttr quantopt::sliceElements(DenseElementsAttr values,
                                          int64_t dim, int64_t offset,
                                          int64_t size) {
  auto type = cast<RankedTensorType>(values.getType());
  SmallVector<int64_t> shape(type.getShape());
  assert(offset >= 0 && size >= 0 && offset + size <= shape[dim] &&
         "slice within the dimension");
  shape[dim] = size;
  auto resultType = type.clone(shape);
  if (values.isSplat())
    return values.reshape(resultType);
  unsigned bits = type.getElementTypeBitWidth();
  if (bits % 8 != 0)
    return {};
  // Row-major: `outer` blocks of `type[dim] * inner` elements, each giving
  // a contiguous run of `size * inner`.
  int64_t inner = 1, outer = 1;
  for (int64_t d = dim + 1; d < type.getRank(); ++d)
    inner *= type.getDimSize(d);
  for (int64_t d = 0; d < dim; ++d)
    outer *= type.getDimSize(d);
  size_t bytes = bits / 8;
  ArrayRef<char> in = values.getRawData();
  std::vector<char> out;
  out.reserve(outer * size * inner * bytes);
  for (int64_t o = 0; o < outer; ++o) {
    const char *begin =
        in.data() + ((o * type.getDimSize(dim) + offset) * inner) * bytes;
    out.insert(out.end(), begin, begin + size * inner * bytes);
  }
  return DenseElementsAttr::getFromRawBuffer(resultType, out);
}
