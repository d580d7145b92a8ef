// The CUDA random kernels against the CPU ones. Without a device: the kernels' per-thread work
// (random_blocks.h, over random_draws.h, which the CPU kernels also use) run on the host for every
// thread, in reverse order, bit for bit against the CPU kernels; and the argument checks. On a device:
// fillUniform and dropout (also in place) bit for bit, fillNormal within 1 float ulp (CUDA's float64
// log and cos against glibc's), over odd lengths, offsets mid-block and across 2^64, keep 1, 0.5, 0.1.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../../kernels/cpu/random.h"
#include "../../kernels/cuda/random.h"
#include "../../kernels/cuda/random_blocks.h"
#include "cuda_harness.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::Rng;
using test::sameBits;
using test::sameBitsOrNan;

namespace {

const long long kLengths[] = {1, 2, 3, 5, 7, 64, 1001, 4099};
const uint64_t kOffsets[] = {0, 1, 2, 3, 5, 1000001, (uint64_t{1} << 53) - 3, ~uint64_t{0} - 2};  // the last wraps
const uint64_t kSeeds[] = {0, 42, (uint64_t{1} << 53) - 12345};
const double kKeeps[] = {1.0, 0.5, 0.1};
struct Range { double lo, hi; };
const Range kRanges[] = {{-2.0, 3.0}, {0.0, 1.0}, {1.0, 1.0 + 1.1920928955078125e-07}, {2.0, 2.0}, {-1e-3, 1e6}};

// x with a NaN, an infinity and zeros of both signs among the values, so the mask's products count.
std::vector<float> dropoutInput(Rng& rng, long long n) {
  auto x = rng.floats(n, -4.f, 4.f);
  const float specials[] = {NAN, INFINITY, 0.f, -0.f};
  for (long long k = 0; k < 4 && k < n; ++k) x[(k * 7919) % n] = specials[k];
  return x;
}

bool withinUlp(float got, float want) {
  if (std::isnan(want)) return std::isnan(got);
  return got == want || std::nextafter(want, INFINITY) == got || std::nextafter(want, -INFINITY) == got;
}

}  // namespace

ATROUS_CUDA_ARGS_TEST(cudaRandomBlocksMatchCpuBitForBit) {
  using namespace cuda::randomblock;
  Rng rng(71);
  for (long long n : kLengths)
    for (uint64_t offset : kOffsets)
      for (uint64_t seed : kSeeds) {
        for (const Range& r : kRanges) {
          std::vector<float> want(n), got(n, 99.f);
          fillUniform({want.data(), n}, r.lo, r.hi, seed, offset);
          const Cover c = coverFor(n, offset, randomdraw::kUniformsPerBlock);
          const auto range = randomdraw::uniformRange(r.lo, r.hi);
          for (int64_t t = c.blocks - 1; t >= 0; --t) fillUniformBlock(t, c, got.data(), n, range, seed, offset);
          ctx.check(sameBits(got, want), "fillUniform n=%lld offset=%llu seed=%llu [%g, %g): the blocks differ", n,
                    (unsigned long long)offset, (unsigned long long)seed, r.lo, r.hi);
        }
        {
          std::vector<float> want(n), got(n, 99.f);
          fillNormal({want.data(), n}, 0.5, 2.0, seed, offset);
          const Cover c = coverFor(n, offset, randomdraw::kNormalsPerBlock);
          for (int64_t t = c.blocks - 1; t >= 0; --t) fillNormalBlock(t, c, got.data(), n, 0.5, 2.0, seed, offset);
          ctx.check(sameBits(got, want), "fillNormal n=%lld offset=%llu seed=%llu: the blocks differ", n,
                    (unsigned long long)offset, (unsigned long long)seed);
        }
        const auto x = dropoutInput(rng, n);
        for (double keep : kKeeps) {
          std::vector<float> wantMask(n), wantOut(n), mask(n, 99.f), out(n, 99.f);
          dropout(ConstFloatSpan(x.data(), n), keep, seed, offset, {wantMask.data(), n}, {wantOut.data(), n});
          const Cover c = coverFor(n, offset, randomdraw::kUniformsPerBlock);
          const float scale = static_cast<float>(1.0 / keep);
          for (int64_t t = c.blocks - 1; t >= 0; --t)
            dropoutBlock(t, c, x.data(), mask.data(), out.data(), n, keep, scale, seed, offset);
          ctx.check(sameBits(mask, wantMask) && sameBits(out, wantOut),
                    "dropout n=%lld offset=%llu seed=%llu keep=%g: the blocks differ", n, (unsigned long long)offset,
                    (unsigned long long)seed, keep);
        }
      }
  const Cover empty = coverFor(0, 3, randomdraw::kUniformsPerBlock);
  ctx.check(empty.blocks == 0, "an empty stream needs %lld blocks", (long long)empty.blocks);
}

ATROUS_CUDA_TEST(cudaRandomMatchesCpu) {
  Rng rng(72);
  int64_t normals = 0, normalsOffByUlp = 0;
  for (long long n : {1ll, 3ll, 7ll, 1001ll, 4099ll, (1ll << 20) + 7})
    for (uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{3}, uint64_t{1000001}, ~uint64_t{0} - 2}) {
      const uint64_t seed = kSeeds[(n + offset) % 3];
      const char* what = "";
      auto failed = [&](bool ok, const char* detail) {
        return !ctx.check(ok, "%s n=%lld offset=%llu seed=%llu: %s", what, n, (unsigned long long)offset,
                          (unsigned long long)seed, detail);
      };
      for (const Range& r : kRanges) {
        std::vector<float> want(n);
        fillUniform({want.data(), n}, r.lo, r.hi, seed, offset);
        DeviceArray d(std::vector<float>(n, 99.f));
        what = "fillUniform";
        const Status s = cuda::fillUniform(d.span(), r.lo, r.hi, seed, offset);
        if (failed(s.isOk(), s.message().c_str()) || failed(sameBits(d.toHost(), want), "differs from the CPU")) return;
      }
      {
        std::vector<float> want(n);
        fillNormal({want.data(), n}, 0.5, 2.0, seed, offset);
        DeviceArray d(std::vector<float>(n, 99.f));
        what = "fillNormal";
        const Status s = cuda::fillNormal(d.span(), 0.5, 2.0, seed, offset);
        if (failed(s.isOk(), s.message().c_str())) return;
        const auto got = d.toHost();
        bool close = true;
        for (long long i = 0; i < n; ++i) {
          close = close && withinUlp(got[i], want[i]);
          normalsOffByUlp += got[i] != want[i];
        }
        normals += n;
        if (failed(close, "not within 1 float ulp of the CPU")) return;
      }
      const auto x = dropoutInput(rng, n);
      for (double keep : kKeeps) {
        std::vector<float> wantMask(n), wantOut(n);
        dropout(ConstFloatSpan(x.data(), n), keep, seed, offset, {wantMask.data(), n}, {wantOut.data(), n});
        DeviceArray dx(x), dMask(std::vector<float>(n, 99.f)), dOut(std::vector<float>(n, 99.f));
        what = keep == 1.0 ? "dropout keep=1" : keep == 0.5 ? "dropout keep=0.5" : "dropout keep=0.1";
        Status s = cuda::dropout(ConstFloatSpan(dx.data(), n), keep, seed, offset, dMask.span(), dOut.span());
        if (failed(s.isOk(), s.message().c_str()) ||
            failed(sameBits(dMask.toHost(), wantMask) && sameBitsOrNan(dOut.toHost(), wantOut), "differs from the CPU"))
          return;
        s = cuda::dropout(ConstFloatSpan(dx.data(), n), keep, seed, offset, dMask.span(), dx.span());  // out = x
        if (failed(s.isOk() && sameBitsOrNan(dx.toHost(), wantOut), "in place differs from the CPU")) return;
      }
    }
  // Expected about 1 in 10^6 or fewer; many more would mean a different formula, not a last-bit log/cos.
  ctx.check(normalsOffByUlp * 10000 <= normals, "fillNormal: %lld of %lld values are 1 ulp from the CPU's",
            (long long)normalsOffByUlp, (long long)normals);
  if (normalsOffByUlp > 0)
    std::printf("     fillNormal: %lld of %lld values 1 ulp from the CPU's\n", (long long)normalsOffByUlp,
                (long long)normals);
}

ATROUS_CUDA_ARGS_TEST(cudaRandomRejectsBadArguments) {
  std::vector<float> x(8), mask(8), out(8), shortBuf(7);
  auto span = [](std::vector<float>& v) { return FloatSpan{v.data(), static_cast<long long>(v.size())}; };
  auto cspan = [](std::vector<float>& v) { return ConstFloatSpan(v.data(), static_cast<long long>(v.size())); };
  struct Case { const char* what; Status s; const char* mentions; };
  const Case cases[] = {
      {"lo > hi", cuda::fillUniform(span(out), 2.0, 1.0, 0, 0), "fillUniform (cuda): expects lo <= hi, but got lo=2"},
      {"hi = inf", cuda::fillUniform(span(out), 0.0, INFINITY, 0, 0), "fillUniform (cuda): hi expects a finite number"},
      {"lo = NaN", cuda::fillUniform(span(out), NAN, 1.0, 0, 0), "fillUniform (cuda): lo expects a finite number"},
      {"std < 0", cuda::fillNormal(span(out), 0.0, -1.0, 0, 0), "fillNormal (cuda): std expects a number >= 0, but got -1"},
      {"mean = NaN", cuda::fillNormal(span(out), NAN, 1.0, 0, 0), "fillNormal (cuda): mean expects a finite number"},
      {"std = inf", cuda::fillNormal(span(out), 0.0, INFINITY, 0, 0), "fillNormal (cuda): std expects a finite number"},
      {"keep 0", cuda::dropout(cspan(x), 0.0, 0, 0, span(mask), span(out)),
       "dropout (cuda): keep expects a probability in (0, 1], but got 0"},
      {"keep 1.5", cuda::dropout(cspan(x), 1.5, 0, 0, span(mask), span(out)), "keep expects a probability in (0, 1]"},
      {"keep NaN", cuda::dropout(cspan(x), NAN, 0, 0, span(mask), span(out)), "keep expects a probability in (0, 1]"},
      {"short mask", cuda::dropout(cspan(x), 0.5, 0, 0, span(shortBuf), span(out)),
       "dropout (cuda): mask expects 8 elements, but got 7"},
      {"short out", cuda::dropout(cspan(x), 0.5, 0, 0, span(mask), span(shortBuf)), "out expects 8 elements"},
      {"out shifted over x", cuda::dropout(cspan(x), 0.5, 0, 0, span(mask), FloatSpan{x.data() + 1, 8}),
       "out expects to be x itself or not to overlap it"},
      {"mask == x", cuda::dropout(cspan(x), 0.5, 0, 0, span(x), span(out)), "mask expects its own buffer"},
      {"mask == out", cuda::dropout(cspan(x), 0.5, 0, 0, span(out), span(out)), "mask expects its own buffer"},
  };
  for (const Case& c : cases)
    ctx.check(!c.s.isOk() && c.s.message().find(c.mentions) != std::string::npos, "%s: expected '%s', got '%s'",
              c.what, c.mentions, c.s.message().c_str());
}
