// The streamed causal conv (conv/causal_stream.h) against a float64 causal convolution of the whole
// sequence written here from the definition: pushes of uneven chunk sizes (1 step, more steps than
// the history, exactly the history) must reproduce every output, for groups, dilations, a 1-tap
// conv (no history) and batches; and every argument check.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../kernels/cpu/conv/causal_stream.h"
#include "harness.h"

using namespace atrous;
using test::Context;
using test::Rng;

namespace {

// y[n][o][t] = b[o] + Σ_c Σ_j w[o][c][j] · x[n][g·cinG + c][t - (k-1-j)·d], zero before the start.
std::vector<double> causalConvNaive(const CausalStreamShape& s, int64_t length, const std::vector<float>& x,
                                    const std::vector<float>& w, const std::vector<float>& b) {
  const int64_t cinG = s.inChannels / s.groups, coutG = s.outChannels / s.groups;
  std::vector<double> y(s.batch * s.outChannels * length);
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t o = 0; o < s.outChannels; ++o)
      for (int64_t t = 0; t < length; ++t) {
        double acc = b.empty() ? 0.0 : b[o];
        const int64_t g = o / coutG;
        for (int64_t c = 0; c < cinG; ++c)
          for (int64_t j = 0; j < s.kernel; ++j) {
            const int64_t src = t - (s.kernel - 1 - j) * s.dilation;
            if (src >= 0)
              acc += double(w[(o * cinG + c) * s.kernel + j]) * x[(n * s.inChannels + g * cinG + c) * length + src];
          }
        y[(n * s.outChannels + o) * length + t] = acc;
      }
  return y;
}

}  // namespace

ATROUS_TEST(causalStreamChunksMatchWholeSequence) {
  Rng rng(77);
  struct Case { int64_t n, cin, cout, k, d, g; std::vector<int64_t> chunks; };
  const Case cases[] = {
      {1, 3, 5, 2, 1, 1, {1, 1, 1, 1, 1, 1, 1}},
      {2, 4, 6, 3, 4, 2, {1, 9, 1, 8, 3, 1}},        // chunks longer than, equal to (8) and shorter than P
      {1, 8, 8, 2, 16, 1, {40, 1, 1, 17, 16, 2}},
      {3, 6, 6, 3, 2, 6, {5, 1, 1, 4, 7}},           // depthwise
      {2, 5, 7, 1, 3, 1, {2, 1, 6}},                 // one tap: no history
      {1, 16, 32, 2, 64, 1, {1, 1, 200, 1, 3}},
  };
  for (const Case& c : cases) {
    int64_t length = 0;
    for (int64_t ch : c.chunks) length += ch;
    const CausalStreamShape whole{c.n, c.cin, c.cout, c.k, c.d, c.g, length};
    const auto x = rng.floats(c.n * c.cin * length);
    const auto w = rng.floats(c.cout * (c.cin / c.g) * c.k);
    const auto b = rng.floats(c.cout);
    const auto want = causalConvNaive(whole, length, x, w, b);
    const int64_t p = causalStreamHistory(whole);
    std::vector<float> history(c.n * c.cin * p, 0.0f), got(want.size(), -1.0f);
    int64_t head = 0, t0 = 0;
    bool ok = true;
    for (int64_t ch : c.chunks) {
      CausalStreamShape s = whole;
      s.steps = ch;
      std::vector<float> chunk(c.n * c.cin * ch), out(c.n * c.cout * ch, std::nanf(""));
      for (int64_t r = 0; r < c.n * c.cin; ++r)
        for (int64_t t = 0; t < ch; ++t) chunk[r * ch + t] = x[r * length + t0 + t];
      const Status st = causalConvStream(s, {chunk.data(), (long long)chunk.size()}, {w.data(), (long long)w.size()},
                                         {b.data(), (long long)b.size()}, {history.data(), (long long)history.size()},
                                         head, {out.data(), (long long)out.size()});
      if (!ctx.check(st.isOk(), "k=%lld d=%lld chunk %lld: %s", (long long)c.k, (long long)c.d, (long long)ch,
                     st.isOk() ? "" : st.message().c_str())) {
        ok = false;
        break;
      }
      for (int64_t r = 0; r < c.n * c.cout; ++r)
        for (int64_t t = 0; t < ch; ++t) got[r * length + t0 + t] = out[r * ch + t];
      head = p > 0 ? (head + ch) % p : 0;
      t0 += ch;
    }
    if (!ok) continue;
    const double err = test::relativeL2(got.data(), want.data(), static_cast<int64_t>(want.size()));
    ctx.check(err <= 1e-5, "n=%lld cin=%lld cout=%lld k=%lld d=%lld groups=%lld: relative L2 %.3g", (long long)c.n,
              (long long)c.cin, (long long)c.cout, (long long)c.k, (long long)c.d, (long long)c.g, err);
  }
}

ATROUS_TEST(causalStreamRejectsBadArguments) {
  const CausalStreamShape s{1, 2, 3, 2, 2, 1, 4};  // P = 2
  std::vector<float> x(8), w(12), b(3), h(4), out(12);
  const auto call = [&](const CausalStreamShape& shape, long long xs, long long ws, long long bs, long long hs,
                        int64_t head, long long os) {
    return causalConvStream(shape, {x.data(), xs}, {w.data(), ws}, {b.data(), bs}, {h.data(), hs}, head,
                            {out.data(), os});
  };
  const auto expect = [&](const Status& st, const char* text, const char* what) {
    ctx.check(!st.isOk() && st.message().find(text) != std::string::npos, "%s: got \"%s\"", what,
              st.isOk() ? "success" : st.message().c_str());
  };
  ctx.check(call(s, 8, 12, 3, 4, 1, 12).isOk(), "a valid call failed");
  expect(call(s, 7, 12, 3, 4, 0, 12), "x expects 8", "short x");
  expect(call(s, 8, 11, 3, 4, 0, 12), "weight expects 12", "short weight");
  expect(call(s, 8, 12, 2, 4, 0, 12), "bias expects 3", "short bias");
  expect(call(s, 8, 12, 3, 3, 0, 12), "history expects 4", "short history");
  expect(call(s, 8, 12, 3, 4, 0, 11), "out expects 12", "short out");
  expect(call(s, 8, 12, 3, 4, 2, 12), "head expects", "head past the ring");
  CausalStreamShape g = s;
  g.groups = 2;
  expect(call(g, 8, 12, 3, 4, 0, 12), "groups (2) must divide", "groups not dividing outChannels");
  CausalStreamShape big = s;
  big.steps = int64_t{1} << 40;
  expect(call(big, 8, 12, 3, 4, 0, 12), "overflow", "overflowing steps");
  ctx.check(causalConvStream(s, {x.data(), 8}, {w.data(), 12}, {b.data(), 3}, {h.data(), 4}, 0, {x.data(), 12})
                .message()
                .find("overlaps") != std::string::npos,
            "out aliasing x accepted");
}
