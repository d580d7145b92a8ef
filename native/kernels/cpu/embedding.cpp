#include "embedding.h"

#include <cstring>
#include <string>

#include "../checked_math.h"
#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {
namespace {

Status checkShapes(const char* fn, ConstInt32Span indices, int64_t vocab, int64_t dim, long long weightSize,
                   const char* weightArg, long long rowsSize, const char* rowsArg) {
  if (vocab < 1 || dim < 1 || indices.size < 0)
    return Status::error(std::string(fn) + ": expects vocab >= 1 and dim >= 1, but got " + std::to_string(vocab) +
                         " x " + std::to_string(dim));
  int64_t wSize = 0, rSize = 0;
  if (mulOverflows(vocab, dim, &wSize) || mulOverflows(indices.size, dim, &rSize) || wSize > 2147483647 ||
      rSize > 2147483647)
    return Status::error(std::string(fn) + ": sizes overflow (every array must hold < 2^31 elements)");
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, weightArg, weightSize, wSize));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, rowsArg, rowsSize, rSize));
  for (long long i = 0; i < indices.size; ++i) {
    const int32_t v = indices.data[i];
    if (v < 0 || v >= vocab)
      return Status::error("embedding: indices holds " + std::to_string(v) + " at position " + std::to_string(i) +
                           ", outside the vocabulary [0, " + std::to_string(vocab) + ")");
  }
  return Status::ok();
}

}  // namespace

Status embeddingForward(ConstInt32Span indices, ConstFloatSpan weight, int64_t vocab, int64_t dim, FloatSpan out) {
  const char* fn = "embeddingForward";
  ATROUS_RETURN_IF_ERROR(checkShapes(fn, indices, vocab, dim, weight.size, "weight", out.size, "out"));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "out", out.data, out.size * 4, "weight", weight.data, weight.size * 4));
  parallelRanges(indices.size, dim, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      std::memcpy(out.data + i * dim, weight.data + int64_t{indices.data[i]} * dim, sizeof(float) * dim);
  });
  return Status::ok();
}

Status embeddingBackward(ConstInt32Span indices, ConstFloatSpan gradOut, int64_t vocab, int64_t dim, int64_t paddingIdx,
                         FloatSpan gradWeight) {
  const char* fn = "embeddingBackward";
  ATROUS_RETURN_IF_ERROR(checkShapes(fn, indices, vocab, dim, gradWeight.size, "gradWeight", gradOut.size, "gradOut"));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "gradWeight", gradWeight.data, gradWeight.size * 4, "gradOut",
                                           gradOut.data, gradOut.size * 4));
  std::memset(gradWeight.data, 0, sizeof(float) * gradWeight.size);
  // Columns in blocks of 16 floats (one cache line): each block's sums run over the indices in order.
  constexpr int64_t kBlock = 16;
  const int64_t blocks = (dim + kBlock - 1) / kBlock;
  parallelRanges(blocks, indices.size * kBlock, [&](int64_t begin, int64_t end) {
    const int64_t c0 = begin * kBlock, c1 = std::min(dim, end * kBlock);
    for (long long i = 0; i < indices.size; ++i) {
      const int64_t row = indices.data[i];
      if (row == paddingIdx) continue;
      float* dst = gradWeight.data + row * dim;
      const float* src = gradOut.data + i * dim;
      for (int64_t c = c0; c < c1; ++c) dst[c] += src[c];
    }
  });
  return Status::ok();
}

}  // namespace atrous
