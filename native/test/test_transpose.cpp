// The batched transpose against the definition, and its argument checks.
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

}  // namespace
