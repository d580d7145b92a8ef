// The embedding lookup and its weight gradient against loops written here from the definition (the
// gradient in float64): repeated indices, a padding row, sizes on both sides of the parallel
// threshold, the same bits on 1 and 2 threads, and every argument check.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../kernels/cpu/embedding.h"
#include "../kernels/cpu/thread_pool.h"
#include "harness.h"

using namespace atrous;
using test::Context;
using test::Rng;

namespace {

std::vector<int32_t> drawIndices(Rng& rng, int64_t n, int64_t vocab) {
  std::vector<int32_t> idx(n);
  const auto u = rng.floats(n, 0.f, 1.f);
  for (int64_t i = 0; i < n; ++i) idx[i] = std::min<int32_t>(static_cast<int32_t>(u[i] * vocab), vocab - 1);
  return idx;
}

}  // namespace

ATROUS_TEST(embeddingMatchesDefinition) {
  Rng rng(91);
  const int64_t shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {300, 40, 17}, {5000, 100, 64}, {70000, 9, 33}};
  const int saved = numThreads();
  for (const auto& s : shapes) {
    const int64_t n = s[0], vocab = s[1], dim = s[2];
    const auto idx = drawIndices(rng, n, vocab);
    const auto weight = rng.floats(vocab * dim);
    const auto grad = rng.floats(n * dim);
    std::vector<float> out(n * dim, -7.f);
    ctx.check(embeddingForward({idx.data(), n}, {weight.data(), vocab * dim}, vocab, dim, {out.data(), n * dim}).isOk(),
              "forward failed");
    bool same = true;
    for (int64_t i = 0; i < n && same; ++i)
      same = std::memcmp(&out[i * dim], &weight[idx[i] * dim], sizeof(float) * dim) == 0;
    ctx.check(same, "n=%lld: out[i] != weight[indices[i]]", (long long)n);
    const int64_t padding = vocab > 2 ? 2 : -1;
    std::vector<double> want(vocab * dim, 0.0);
    for (int64_t i = 0; i < n; ++i)
      if (idx[i] != padding)
        for (int64_t c = 0; c < dim; ++c) want[idx[i] * dim + c] += grad[i * dim + c];
    std::vector<std::vector<float>> got;
    for (int threads : {1, 2}) {
      setNumThreads(threads);
      std::vector<float> gw(vocab * dim, std::nanf(""));
      ctx.check(embeddingBackward({idx.data(), n}, {grad.data(), n * dim}, vocab, dim, padding, {gw.data(), vocab * dim})
                    .isOk(),
                "backward failed");
      got.push_back(gw);
    }
    setNumThreads(saved);
    ctx.check(test::relativeL2(got[0].data(), want.data(), vocab * dim) <= 1e-5, "n=%lld vocab=%lld dim=%lld: gradient",
              (long long)n, (long long)vocab, (long long)dim);
    ctx.check(std::memcmp(got[0].data(), got[1].data(), sizeof(float) * vocab * dim) == 0,
              "n=%lld: 1 and 2 threads give different bits", (long long)n);
    if (padding >= 0) {
      bool zero = true;
      for (int64_t c = 0; c < dim; ++c) zero = zero && got[0][padding * dim + c] == 0.f;
      ctx.check(zero, "the padding row got a gradient");
    }
  }
}

ATROUS_TEST(embeddingRejectsBadArguments) {
  std::vector<int32_t> idx = {0, 4, 1};
  std::vector<float> w(8), out(6), gw(8);
  const auto expect = [&](const Status& st, const char* text, const char* what) {
    ctx.check(!st.isOk() && st.message().find(text) != std::string::npos, "%s: got \"%s\"", what,
              st.isOk() ? "success" : st.message().c_str());
  };
  expect(embeddingForward({idx.data(), 3}, {w.data(), 8}, 4, 2, {out.data(), 6}),
         "indices holds 4 at position 1, outside the vocabulary [0, 4)", "index past the vocabulary");
  idx[1] = -1;
  expect(embeddingBackward({idx.data(), 3}, {out.data(), 6}, 4, 2, -1, {gw.data(), 8}), "indices holds -1 at position 1",
         "negative index");
  idx[1] = 1;
  expect(embeddingForward({idx.data(), 3}, {w.data(), 7}, 4, 2, {out.data(), 6}), "weight expects 8", "short weight");
  expect(embeddingForward({idx.data(), 3}, {w.data(), 8}, 4, 2, {out.data(), 5}), "out expects 6", "short out");
  expect(embeddingBackward({idx.data(), 3}, {out.data(), 5}, 4, 2, -1, {gw.data(), 8}), "gradOut expects 6", "short grad");
  expect(embeddingForward({idx.data(), 3}, {w.data(), 8}, 4, 2, {w.data(), 6}), "overlaps", "out aliasing weight");
  expect(embeddingForward({idx.data(), 3}, {w.data(), 8}, 0, 2, {out.data(), 6}), "vocab >= 1", "empty vocabulary");
  expect(embeddingForward({idx.data(), 3}, {w.data(), 8}, int64_t{1} << 40, int64_t{1} << 30, {out.data(), 6}),
         "overflow", "overflowing sizes");
}
