// The counter-based generator: known answers, reproducible streams, moments, dropout masks, and
// every argument check.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/cpu/random.h"
#include "../kernels/cpu/elementwise.h"
#include "harness.h"
#include "op_test_util.h"

using namespace atrous;
using namespace atrous::optest;
using test::Rng;

namespace {

ATROUS_TEST(opsPhiloxMatchesKnownAnswers) {
  // Random123's kat_vectors for philox4x32_10.
  struct Kat { std::array<uint32_t, 4> ctr; std::array<uint32_t, 2> key; std::array<uint32_t, 4> out; };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    const auto got = philox4x32_10(k.ctr, k.key);
    ctx.check(got == k.out, "philox4x32_10(ctr %08x..., key %08x %08x) = %08x %08x %08x %08x, want %08x %08x %08x %08x",
              k.ctr[0], k.key[0], k.key[1], got[0], got[1], got[2], got[3], k.out[0], k.out[1], k.out[2], k.out[3]);
  }
}

using Filler = Status (*)(FloatSpan, uint64_t seed, uint64_t offset);
Status uniformFiller(FloatSpan out, uint64_t seed, uint64_t offset) {
  return fillUniform(out, -2.0, 3.0, seed, offset);
}
Status normalFiller(FloatSpan out, uint64_t seed, uint64_t offset) { return fillNormal(out, 0.5, 2.0, seed, offset); }
Status dropoutMaskFiller(FloatSpan out, uint64_t seed, uint64_t offset) {
  std::vector<float> x(out.size, 1.f), mask(out.size);
  return dropout(cspan(x), 0.6, seed, offset, span(mask), out);
}

bool sameBits(const float* a, const float* b, int64_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

ATROUS_TEST(opsRandomStreamsAreReproducible) {
  ThreadCountGuard guard;
  const uint64_t seed = (uint64_t{1} << 53) - 12345;  // high bits in use: both key words matter
  struct Named { const char* name; Filler fill; };
  for (Named f : {Named{"fillUniform", uniformFiller}, Named{"fillNormal", normalFiller},
                  Named{"dropout", dropoutMaskFiller}}) {
    const int64_t n = 200003;  // above the parallel threshold, odd
    const uint64_t offset = 1000001;  // odd, so blocks start mid-way
    std::vector<float> whole(n), again(n), twoThreads(n), otherSeed(n);
    setNumThreads(1);
    ctx.check(f.fill(span(whole), seed, offset).isOk(), "%s failed", f.name);
    ctx.check(f.fill(span(again), seed, offset).isOk() && sameBits(whole.data(), again.data(), n),
              "%s: the same seed and offset gave different values", f.name);
    setNumThreads(2);
    ctx.check(f.fill(span(twoThreads), seed, offset).isOk() && sameBits(whole.data(), twoThreads.data(), n),
              "%s: 1 and 2 threads gave different values", f.name);
    setNumThreads(3);
    // Drawn in pieces at offsets offset, offset + k, ...: the pieces are the whole stream's slices.
    for (int64_t k : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}, int64_t{5}, int64_t{777}, int64_t{70001}}) {
      std::vector<float> head(k), tail(n - k);
      ctx.check(f.fill(span(head), seed, offset).isOk() && f.fill(span(tail), seed, offset + k).isOk(), "%s failed",
                f.name);
      ctx.check(sameBits(head.data(), whole.data(), k) && sameBits(tail.data(), whole.data() + k, n - k),
                "%s: the stream split at %lld differs from the whole stream", f.name, (long long)k);
    }
    ctx.check(f.fill(span(otherSeed), seed - 1, offset).isOk(), "%s failed", f.name);
    int64_t equal = 0;
    for (int64_t i = 0; i < n; ++i) equal += whole[i] == otherSeed[i];
    // Uniforms (2^24 values) rarely collide; dropout masks take 2 values and agree about half the time.
    const double limit = std::string(f.name) == "dropout" ? 0.6 : 0.001;
    ctx.check(equal < limit * n, "%s: seeds s and s-1 agree on %lld of %lld values", f.name, (long long)equal,
              (long long)n);
  }
}

ATROUS_TEST(opsRandomMoments) {
  const int64_t n = 1000000;
  std::vector<float> v(n);
  ctx.check(fillNormal(span(v), 0.0, 1.0, 42, 0).isOk(), "fillNormal failed");
  double mean = 0, sq = 0;
  for (float x : v) mean += x;
  mean /= n;
  for (float x : v) sq += (x - mean) * (x - mean);
  const double sd = std::sqrt(sq / (n - 1));
  ctx.check(std::fabs(mean) < 0.01 && std::fabs(sd - 1) < 0.01, "1e6 normals: mean %.4f std %.4f", mean, sd);
  int64_t beyond3 = 0;
  for (float x : v) beyond3 += std::fabs(x) > 3;
  ctx.check(std::fabs(beyond3 / double(n) - 0.0026998) < 0.0005, "1e6 normals: %.5f beyond 3 std, want 0.0027",
            beyond3 / double(n));
  ctx.check(fillNormal(span(v), 3.0, 0.5, 7, 99).isOk(), "fillNormal failed");
  mean = 0;
  for (float x : v) mean += x;
  mean /= n;
  ctx.check(std::fabs(mean - 3) < 0.005, "normals with mean 3, std 0.5: mean %.4f", mean);

  ctx.check(fillUniform(span(v), -1.0, 3.0, 42, 0).isOk(), "fillUniform failed");
  double umean = 0;
  int outside = 0;
  for (float x : v) {
    umean += x;
    outside += !(x >= -1.f && x < 3.f);
  }
  umean /= n;
  ctx.check(outside == 0 && std::fabs(umean - 1) < 0.01, "uniform on [-1, 3): mean %.4f, %d outside", umean, outside);
  // A range narrower than float spacing still stays half-open: values round down from hi.
  std::vector<float> narrow(1000);
  const double lo = 1.0, hi = 1.0 + 1.1920928955078125e-07;  // the next float after 1
  ctx.check(fillUniform(span(narrow), lo, hi, 1, 0).isOk(), "fillUniform failed");
  outside = 0;
  for (float x : narrow) outside += x != 1.f;
  ctx.check(outside == 0, "uniform on [1, nextafter(1)): %d values are not 1", outside);
  std::vector<float> same(5);
  ctx.check(fillUniform(span(same), 2.0, 2.0, 1, 0).isOk() && same[0] == 2.f && same[4] == 2.f,
            "uniform on [2, 2] gave %g", same[0]);
}

ATROUS_TEST(opsDropoutMasksFollowTheUniformStream) {
  ThreadCountGuard guard;
  setNumThreads(2);
  const int64_t n = 100001;
  Rng rng(9);
  const auto x = rng.floats(n);
  std::vector<float> mask(n), out(n), u(n);
  const double keep = 0.3;
  ctx.check(dropout(cspan(x), keep, 5, 77, span(mask), span(out)).isOk(), "dropout failed");
  ctx.check(fillUniform(span(u), 0.0, 1.0, 5, 77).isOk(), "fillUniform failed");
  const float scale = static_cast<float>(1 / keep);
  int64_t kept = 0, wrongMask = 0, wrongOut = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float want = u[i] < keep ? scale : 0.f;
    kept += mask[i] != 0;
    wrongMask += mask[i] != want;
    wrongOut += out[i] != x[i] * want;
  }
  ctx.check(wrongMask == 0 && wrongOut == 0, "dropout: %lld masks and %lld outputs differ from u < keep",
            (long long)wrongMask, (long long)wrongOut);
  ctx.check(std::fabs(kept / double(n) - keep) < 0.01, "dropout kept %.4f, want %.2f", kept / double(n), keep);

  auto y = x;  // keep = 1: everything kept, unscaled; out == x in place
  ctx.check(dropout(cspan(y), 1.0, 5, 0, span(mask), span(y)).isOk(), "dropout keep=1 failed");
  int64_t notOne = 0;
  for (float m : mask) notOne += m != 1.f;
  ctx.check(notOne == 0 && sameBits(y.data(), x.data(), n), "keep = 1: %lld masks are not 1, or out != x",
            (long long)notOne);
}

ATROUS_TEST(opsRandomRejectsBadArguments) {
  std::vector<float> x(8), mask(8), out(8), shortBuf(7);
  expectError(ctx, fillUniform(span(out), 2.0, 1.0, 0, 0), "expects lo <= hi, but got lo=2", "lo > hi accepted");
  expectError(ctx, fillUniform(span(out), 0.0, INFINITY, 0, 0), "hi expects a finite number", "hi = inf accepted");
  expectError(ctx, fillUniform(span(out), NAN, 1.0, 0, 0), "lo expects a finite number", "lo = NaN accepted");
  expectError(ctx, fillNormal(span(out), 0.0, -1.0, 0, 0), "std expects a number >= 0, but got -1",
              "a negative std accepted");
  expectError(ctx, fillNormal(span(out), NAN, 1.0, 0, 0), "mean expects a finite number", "mean = NaN accepted");
  expectError(ctx, fillNormal(span(out), 0.0, INFINITY, 0, 0), "std expects a finite number", "std = inf accepted");
  for (double keep : {0.0, -0.5, 1.5, double(NAN)})
    expectError(ctx, dropout(cspan(x), keep, 0, 0, span(mask), span(out)), "keep expects a probability in (0, 1]",
                ("dropout with keep = " + std::to_string(keep)).c_str());
  expectError(ctx, dropout(cspan(x), 0.5, 0, 0, span(shortBuf), span(out)), "mask expects 8 elements, but got 7",
              "dropout accepted a short mask");
  expectError(ctx, dropout(cspan(x), 0.5, 0, 0, span(mask), span(shortBuf)), "out expects 8",
              "dropout accepted a short out");
  expectError(ctx, dropout(cspan(x), 0.5, 0, 0, span(x), span(out)), "mask expects its own buffer",
              "dropout accepted mask == x");
  expectError(ctx, dropout(cspan(x), 0.5, 0, 0, span(out), span(out)), "mask expects its own buffer",
              "dropout accepted mask == out");
}

}  // namespace
