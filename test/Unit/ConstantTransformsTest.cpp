//===- ConstantTransformsTest.cpp - permuteElements against index math ----===//

#include "quantopt/Utils/ConstantTransforms.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>
#include <numeric>

using namespace mlir;

namespace {
// A 2 x 3 x 4 tensor of 0..23 permuted (2, 0, 1): out[i][j][k] = in[j][k][i].
TEST(PermuteElements, MatchesIndexArithmetic) {
  MLIRContext ctx;
  auto type = RankedTensorType::get({2, 3, 4}, IntegerType::get(&ctx, 32));
  std::vector<int32_t> values(24);
  std::iota(values.begin(), values.end(), 0);
  auto attr = DenseElementsAttr::get(type, ArrayRef<int32_t>(values));
  DenseElementsAttr out = quantopt::permuteElements(attr, {2, 0, 1});
  ASSERT_TRUE(out);
  EXPECT_EQ(cast<RankedTensorType>(out.getType()).getShape(),
            ArrayRef<int64_t>({4, 2, 3}));
  SmallVector<int32_t> got(out.getValues<int32_t>());
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k)
        EXPECT_EQ(got[(i * 2 + j) * 3 + k], values[(j * 3 + k) * 4 + i]);
}

TEST(PermuteElements, FloatTransposeAndSplat) {
  MLIRContext ctx;
  auto type = RankedTensorType::get({2, 3}, Float32Type::get(&ctx));
  std::vector<float> values{1, 2, 3, 4, 5, 6};
  auto attr = DenseElementsAttr::get(type, ArrayRef<float>(values));
  SmallVector<float> got(
      quantopt::permuteElements(attr, {1, 0}).getValues<float>());
  EXPECT_EQ(got, SmallVector<float>({1, 4, 2, 5, 3, 6}));
  auto splat = DenseElementsAttr::get(type, 0.5f);
  DenseElementsAttr permuted = quantopt::permuteElements(splat, {1, 0});
  EXPECT_TRUE(permuted.isSplat());
  EXPECT_EQ(cast<RankedTensorType>(permuted.getType()).getShape(),
            ArrayRef<int64_t>({3, 2}));
}
// Rows 1..2 of dimension 1 of a 2 x 4 x 3 tensor of 0..23.
TEST(SliceElements, MatchesIndexArithmetic) {
  MLIRContext ctx;
  auto type = RankedTensorType::get({2, 4, 3}, IntegerType::get(&ctx, 8));
  std::vector<int8_t> values(24);
  std::iota(values.begin(), values.end(), 0);
  auto attr = DenseElementsAttr::get(type, ArrayRef<int8_t>(values));
  DenseElementsAttr out = quantopt::sliceElements(attr, 1, 1, 2);
  ASSERT_TRUE(out);
  SmallVector<int8_t> got(out.getValues<int8_t>());
  ASSERT_EQ(got.size(), 12u);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k)
        EXPECT_EQ(got[(i * 2 + j) * 3 + k], values[(i * 4 + j + 1) * 3 + k]);
}
} // namespace
