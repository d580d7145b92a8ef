#include "transpose.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "../checked_math.h"
#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {
namespace {

// Square tiles keep both the reads and the writes within a few cache lines.
constexpr int64_t kTile = 32;

// out (rows × cols, contiguous) from x read at x[r·rowStride + c·colStride], tile rows [r0, r1).
void copyTileRows(const float* x, int64_t r0, int64_t r1, int64_t cols, int64_t rowStride, int64_t colStride,
                  float* out) {
  if (colStride == 1) {
    for (int64_t r = r0; r < r1; ++r) std::memcpy(out + r * cols, x + r * rowStride, static_cast<size_t>(cols) * 4);
    return;
  }
  for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
    const int64_t c1 = std::min(cols, c0 + kTile);
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = c0; c < c1; ++c) out[r * cols + c] = x[r * rowStride + c * colStride];
  }
}

// Dims after dropping size-1 dims and merging input dims that stay adjacent (and in order) in the output.
struct Collapsed {
  int rank = 0;
  int64_t outSize[kMaxPermuteRank] = {};
  int64_t inStride[kMaxPermuteRank] = {};  // x's stride of each out dim
};

Collapsed collapse(const int64_t* shape, const int64_t* perm, int rank) {
  int64_t stride[kMaxPermuteRank];
  for (int64_t d = rank - 1, s = 1; d >= 0; --d) {
    stride[d] = s;
    s *= shape[d];
  }
  Collapsed c;
  for (int i = 0; i < rank; ++i) {
    const int64_t d = perm[i];
    if (shape[d] == 1) continue;
    // Merges into the previous out dim when that one steps exactly shape[d] strides of this one.
    if (c.rank > 0 && c.inStride[c.rank - 1] == stride[d] * shape[d]) {
      c.outSize[c.rank - 1] *= shape[d];
      c.inStride[c.rank - 1] = stride[d];
    } else {
      c.outSize[c.rank] = shape[d];
      c.inStride[c.rank] = stride[d];
      ++c.rank;
    }
  }
  return c;
}

Status validatePermute(const char* fn, ConstFloatSpan x, const int64_t* shape, const int64_t* perm, int rank,
                       FloatSpan out) {
  const std::string f = fn;
  if (rank < 0 || rank > kMaxPermuteRank)
    return Status::error(f + ": rank expects 0.." + std::to_string(kMaxPermuteRank) + ", but got " + std::to_string(rank));
  if (rank > 0 && (shape == nullptr || perm == nullptr)) return Status::error(f + ": shape and perm expect arrays, but got null");
  int64_t size = 1;
  bool seen[kMaxPermuteRank] = {};
  for (int i = 0; i < rank; ++i) {
    if (shape[i] < 0 || mulOverflows(size, shape[i], &size) || size > 2147483647)
      return Status::error(f + ": shape expects dims >= 0 with a product < 2^31, but dim " + std::to_string(i) + " is " +
                           std::to_string(shape[i]));
    if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]])
      return Status::error(f + ": perm expects a permutation of 0.." + std::to_string(rank - 1) + ", but perm[" +
                           std::to_string(i) + "] is " + std::to_string(perm[i]));
    seen[perm[i]] = true;
  }
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "x", x.size, size));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "out", out.size, size));
  return opcheck::disjoint(fn, "out", out.data, out.size * 4, "x", x.data, x.size * 4);
}

Status permuteChecked(ConstFloatSpan x, const int64_t* shape, const int64_t* perm, int rank, FloatSpan out) {
  if (out.size == 0) return Status::ok();
  const Collapsed c = collapse(shape, perm, rank);
  if (c.rank <= 1) {  // the order of the values does not change
    std::memcpy(out.data, x.data, static_cast<size_t>(out.size) * 4);
    return Status::ok();
  }
  // The last two out dims are one 2-d strided copy (tiled); the dims before them are a batch.
  const int b = c.rank - 2;
  const int64_t rows = c.outSize[b], cols = c.outSize[b + 1];
  const int64_t rowStride = c.inStride[b], colStride = c.inStride[b + 1];
  int64_t batch = 1;
  for (int i = 0; i < b; ++i) batch *= c.outSize[i];
  const int64_t rowTiles = (rows + kTile - 1) / kTile;
  parallelRanges(batch * rowTiles, kTile * cols, [&](int64_t begin, int64_t end) {
    for (int64_t u = begin; u < end; ++u) {
      const int64_t item = u / rowTiles, r0 = (u % rowTiles) * kTile;
      int64_t offset = 0;  // x's offset of batch item `item`: its out-dim digits times their strides
      for (int64_t i = b - 1, rest = item; i >= 0; --i) {
        offset += (rest % c.outSize[i]) * c.inStride[i];
        rest /= c.outSize[i];
      }
      copyTileRows(x.data + offset, r0, std::min(rows, r0 + kTile), cols, rowStride, colStride,
                   out.data + item * rows * cols);
    }
  });
  return Status::ok();
}

}  // namespace

Status permute(ConstFloatSpan x, const int64_t* shape, const int64_t* perm, int rank, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(validatePermute("permute", x, shape, perm, rank, out));
  return permuteChecked(x, shape, perm, rank, out);
}

Status validateTransposeBatched(const char* fn, ConstFloatSpan x, int64_t batch, int64_t rows, int64_t cols,
                                FloatSpan out) {
  int64_t size = 0;
  if (batch < 1 || rows < 1 || cols < 1 || mulOverflows(batch, rows, &size) ||
      mulOverflows(size, cols, &size) || size > 2147483647)
    return Status::error(std::string(fn) + ": batch, rows and cols expect integers >= 1 with a product < 2^31, but got " +
                         std::to_string(batch) + " x " + std::to_string(rows) + " x " + std::to_string(cols));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "x", x.size, size));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "out", out.size, size));
  return opcheck::disjoint(fn, "out", out.data, out.size * 4, "x", x.data, x.size * 4);
}

Status transposeBatched(ConstFloatSpan x, int64_t batch, int64_t rows, int64_t cols, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(validateTransposeBatched("transposeBatched", x, batch, rows, cols, out));
  const int64_t shape[3] = {batch, rows, cols}, perm[3] = {0, 2, 1};
  return permuteChecked(x, shape, perm, 3, out);
}

Status copyStridedRows(ConstFloatSpan src, int64_t srcOffset, int64_t srcStride, FloatSpan dst, int64_t dstOffset,
                       int64_t dstStride, int64_t rows, int64_t cols) {
  const char* fn = "copyStridedRows";
  const auto fits = [](int64_t offset, int64_t stride, int64_t rows, int64_t cols, long long size) {
    int64_t last = 0;  // one past the last index read or written
    return offset >= 0 && stride >= 0 && !mulOverflows(rows - 1, stride, &last) &&
           !addOverflows(last, offset + cols, &last) && last <= size;
  };
  if (rows < 0 || cols < 0)
    return Status::error(std::string(fn) + ": rows and cols expect integers >= 0, but got " + std::to_string(rows) +
                         " x " + std::to_string(cols));
  if (rows == 0 || cols == 0) return Status::ok();
  if (!fits(srcOffset, srcStride, rows, cols, src.size))
    return Status::error(std::string(fn) + ": src expects rows " + std::to_string(rows) + " x " + std::to_string(cols) +
                         " at offset " + std::to_string(srcOffset) + ", stride " + std::to_string(srcStride) +
                         " to fit in its " + std::to_string(src.size) + " values");
  if (!fits(dstOffset, dstStride, rows, cols, dst.size))
    return Status::error(std::string(fn) + ": dst expects rows " + std::to_string(rows) + " x " + std::to_string(cols) +
                         " at offset " + std::to_string(dstOffset) + ", stride " + std::to_string(dstStride) +
                         " to fit in its " + std::to_string(dst.size) + " values");
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "dst", dst.data, dst.size * 4, "src", src.data, src.size * 4));
  parallelRanges(rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      std::memcpy(dst.data + dstOffset + r * dstStride, src.data + srcOffset + r * srcStride, static_cast<size_t>(cols) * 4);
  });
  return Status::ok();
}

}  // namespace atrous
