// permute (and the batched transpose, its special case) and copyStridedRows against the definition,
// and their argument checks.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/cpu/transpose.h"
#include "harness.h"
#include "op_test_util.h"

using namespace atrous;
using namespace atrous::optest;
using test::Rng;

namespace {

ATROUS_TEST(opsTransposeBatchedMatchesNaive) {
  Rng rng(41);
  const int64_t sizes[][3] = {{1, 1, 1}, {1, 1, 7}, {3, 7, 1}, {2, 31, 33}, {5, 32, 32}, {4, 33, 100}, {1, 300, 257},
                              {64, 24, 62}};
  for (const auto& s : sizes) {
    const int64_t batch = s[0], rows = s[1], cols = s[2], n = batch * rows * cols;
    const auto x = rng.floats(n);
    std::vector<float> out(n, kNan);
    if (!ctx.check(transposeBatched({x.data(), n}, batch, rows, cols, {out.data(), n}).isOk(), "%lldx%lldx%lld failed",
                   (long long)batch, (long long)rows, (long long)cols))
      continue;
    bool same = true;
    for (int64_t b = 0; b < batch && same; ++b)
      for (int64_t r = 0; r < rows && same; ++r)
        for (int64_t c = 0; c < cols && same; ++c)
          same = std::memcmp(&out[(b * cols + c) * rows + r], &x[(b * rows + r) * cols + c], 4) == 0;
    ctx.check(same, "%lldx%lldx%lld: out[b][c][r] != x[b][r][c]", (long long)batch, (long long)rows, (long long)cols);
  }
}

ATROUS_TEST(opsTransposeBatchedRejectsBadArguments) {
  std::vector<float> x(24), out(24);
  expectError(ctx, transposeBatched({x.data(), 24}, 2, 3, 4, {out.data(), 23}), "transposeBatched: out expects 24",
              "a short out accepted");
  expectError(ctx, transposeBatched({x.data(), 23}, 2, 3, 4, {out.data(), 24}), "transposeBatched: x expects 24",
              "a short x accepted");
  expectError(ctx, transposeBatched({x.data(), 24}, 0, 3, 4, {out.data(), 24}), "expect integers >= 1",
              "batch 0 accepted");
  expectError(ctx, transposeBatched({x.data(), 24}, int64_t{1} << 20, int64_t{1} << 20, 4, {out.data(), 24}),
              "product < 2^31", "an overflowing size accepted");
  expectError(ctx, transposeBatched({x.data(), 24}, 2, 3, 4, {x.data(), 24}), "overlaps", "out == x accepted");
}

// out[out index] == x[the index whose digits are the out digits put back in x's order], bit for bit.
bool permuteIsExact(const std::vector<float>& x, const std::vector<int64_t>& shape, const std::vector<int64_t>& perm,
                    const std::vector<float>& out) {
  const size_t rank = shape.size();
  std::vector<int64_t> stride(rank, 1), digits(rank, 0);
  for (size_t d = rank; d-- > 1;) stride[d - 1] = stride[d] * shape[d];
  for (size_t k = 0; k < out.size(); ++k) {
    int64_t rest = static_cast<int64_t>(k), src = 0;
    for (size_t i = rank; i-- > 0;) {
      const int64_t size = shape[perm[i]];
      src += (rest % size) * stride[perm[i]];
      rest /= size;
    }
    if (std::memcmp(&out[k], &x[src], 4) != 0) return false;
  }
  return true;
}

ATROUS_TEST(opsPermuteMatchesNaive) {
  Rng rng(42);
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{}, {}}, {{5}, {0}}, {{3, 4}, {1, 0}}, {{2, 3, 4}, {2, 0, 1}}, {{2, 3, 4}, {0, 2, 1}}, {{2, 3, 4}, {1, 0, 2}},
      {{2, 3, 4, 5}, {3, 1, 0, 2}}, {{1, 4, 1, 3}, {3, 2, 1, 0}}, {{7, 1, 9}, {2, 1, 0}}, {{64, 70, 33}, {2, 0, 1}},
      {{3, 2, 2, 2, 3}, {4, 2, 0, 3, 1}}, {{300, 257}, {1, 0}}, {{2, 0, 3}, {2, 1, 0}}};
  for (const auto& [shape, perm] : cases) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> x = rng.floats(n), out(n, kNan);
    std::string tag;
    for (size_t i = 0; i < shape.size(); ++i) tag += std::to_string(shape[i]) + "/" + std::to_string(perm[i]) + " ";
    Status s = permute({x.data(), n}, shape.data(), perm.data(), static_cast<int>(shape.size()), {out.data(), n});
    if (!ctx.check(s.isOk(), "permute %s: %s", tag.c_str(), s.message().c_str())) continue;
    ctx.check(permuteIsExact(x, shape, perm, out), "permute %s: out differs from x permuted", tag.c_str());
  }
  // int32 bytes that read as NaN floats pass through unchanged.
  std::vector<int32_t> ints = {-1, 0x7fc00001, -4194305, 3, 5, 6};
  std::vector<float> x(6), out(6);
  std::memcpy(x.data(), ints.data(), 24);
  const int64_t shape[] = {2, 3}, perm[] = {1, 0};
  ctx.check(permute({x.data(), 6}, shape, perm, 2, {out.data(), 6}).isOk(), "permute of int32 bytes failed");
  ctx.check(permuteIsExact(x, {2, 3}, {1, 0}, out), "permute changed int32 bytes");
}

ATROUS_TEST(opsPermuteRejectsBadArguments) {
  std::vector<float> x(24), out(24);
  const int64_t shape[] = {2, 3, 4};
  const int64_t twice[] = {0, 0, 1}, outside[] = {0, 1, 3}, ok[] = {2, 1, 0}, bad[] = {2, -3, 4};
  expectError(ctx, permute({x.data(), 24}, shape, twice, 3, {out.data(), 24}), "perm expects a permutation",
              "a repeated dim accepted");
  expectError(ctx, permute({x.data(), 24}, shape, outside, 3, {out.data(), 24}), "perm[2] is 3", "dim 3 of 3 accepted");
  expectError(ctx, permute({x.data(), 24}, bad, ok, 3, {out.data(), 24}), "dims >= 0", "a negative dim accepted");
  expectError(ctx, permute({x.data(), 24}, shape, ok, 3, {out.data(), 23}), "out expects 24", "a short out accepted");
  expectError(ctx, permute({x.data(), 24}, shape, ok, 3, {x.data(), 24}), "overlaps", "out == x accepted");
  expectError(ctx, permute({x.data(), 24}, shape, ok, kMaxPermuteRank + 1, {out.data(), 24}), "rank expects",
              "a rank past the limit accepted");
}

ATROUS_TEST(opsCopyStridedRowsMatchesNaive) {
  Rng rng(43);
  // cat of a 3×2 and a 3×5 block into 3×7, then one of them split back.
  std::vector<float> a = rng.floats(6), b = rng.floats(15), out(21, kNan), back(15, kNan);
  ctx.check(copyStridedRows({a.data(), 6}, 0, 2, {out.data(), 21}, 0, 7, 3, 2).isOk(), "copy a failed");
  ctx.check(copyStridedRows({b.data(), 15}, 0, 5, {out.data(), 21}, 2, 7, 3, 5).isOk(), "copy b failed");
  bool same = true;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 7; ++c) same = same && out[r * 7 + c] == (c < 2 ? a[r * 2 + c] : b[r * 5 + c - 2]);
  ctx.check(same, "cat by copyStridedRows differs from the definition");
  ctx.check(copyStridedRows({out.data(), 21}, 2, 7, {back.data(), 15}, 0, 5, 3, 5).isOk() && back == b,
            "split by copyStridedRows differs from b");
  expectError(ctx, copyStridedRows({b.data(), 15}, 0, 5, {out.data(), 21}, 3, 7, 3, 5), "dst expects rows 3 x 5",
              "a write past dst accepted");
  expectError(ctx, copyStridedRows({b.data(), 15}, 1, 5, {out.data(), 21}, 0, 7, 3, 5), "src expects rows 3 x 5",
              "a read past src accepted");
  expectError(ctx, copyStridedRows({out.data(), 21}, 0, 7, {out.data(), 21}, 0, 7, 3, 7), "overlaps",
              "dst == src accepted");
  expectError(ctx, copyStridedRows({b.data(), 15}, 0, int64_t{1} << 62, {out.data(), 21}, 0, 7, 3, 5), "src expects",
              "an overflowing stride accepted");
}

}  // namespace
