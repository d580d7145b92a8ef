#include "random.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {
namespace {

// Counter word 2 tells the kinds of draw apart, so a normal draw never reuses a uniform draw's bits
// (their counters advance at different rates through the same offsets).
constexpr uint32_t kUniformStream = 0;
constexpr uint32_t kNormalStream = 1;

std::array<uint32_t, 2> keyOf(uint64_t seed) {
  return {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
}

std::array<uint32_t, 4> block(uint64_t index, uint32_t stream, std::array<uint32_t, 2> key) {
  return philox4x32_10({static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), stream, 0}, key);
}

// words[k] = the 32-bit word of uniform-stream position first + k, k < count. A block serves 4
// consecutive positions.
void uniformWords(uint64_t seed, uint64_t first, int64_t count, uint32_t* words) {
  const auto key = keyOf(seed);
  for (int64_t k = 0; k < count;) {
    const uint64_t position = first + static_cast<uint64_t>(k);
    const auto b = block(position >> 2, kUniformStream, key);
    for (unsigned lane = position & 3; lane < 4 && k < count; ++lane, ++k) words[k] = b[lane];
  }
}

// Calls body(i0, words, count) over [begin, end) in pieces of at most kWordBatch positions, words
// holding the uniform stream from offset + i0: the arithmetic on them then runs as plain loops.
constexpr int64_t kWordBatch = 256;
template <typename Body>
void forEachUniformBatch(uint64_t seed, uint64_t offset, int64_t begin, int64_t end, Body body) {
  uint32_t words[kWordBatch];
  for (int64_t i0 = begin; i0 < end; i0 += kWordBatch) {
    const int64_t count = std::min(kWordBatch, end - i0);
    uniformWords(seed, offset + static_cast<uint64_t>(i0), count, words);
    body(i0, words, count);
  }
}

// [0, 1) on a 2^-24 grid: every value is exact in float32.
double unitUniform(uint32_t word) { return static_cast<double>(word >> 8) * (1.0 / 16777216.0); }

Status checkFinite(const char* fn, const char* arg, double v) {
  if (std::isfinite(v)) return Status::ok();
  return Status::error(std::string(fn) + ": " + arg + " expects a finite number, but got " + opcheck::numberText(v));
}

}  // namespace

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, std::array<uint32_t, 2> key) {
  constexpr uint64_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
  constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = kMul0 * c[0], p1 = kMul1 * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ key[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ key[1], static_cast<uint32_t>(p0)};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return c;
}

Status fillUniform(FloatSpan out, double lo, double hi, uint64_t seed, uint64_t offset) {
  const char* fn = "fillUniform";
  ATROUS_RETURN_IF_ERROR(checkFinite(fn, "lo", lo));
  ATROUS_RETURN_IF_ERROR(checkFinite(fn, "hi", hi));
  if (!(lo <= hi))
    return Status::error(std::string(fn) + ": expects lo <= hi, but got lo=" + opcheck::numberText(lo) +
                         " hi=" + opcheck::numberText(hi));
  const float loF = static_cast<float>(lo), hiF = static_cast<float>(hi);
  // Rounding to float32 can land on hi; the largest float below it keeps the interval half-open.
  const float below = loF < hiF ? std::nextafter(hiF, loF) : loF;
  const bool halfOpen = loF < hiF;
  parallelRanges(out.size, 4, [&](int64_t begin, int64_t end) {
    forEachUniformBatch(seed, offset, begin, end, [&](int64_t i0, const uint32_t* words, int64_t count) {
      float* y = out.data + i0;
      for (int64_t k = 0; k < count; ++k) {
        const float v = static_cast<float>(lo + (hi - lo) * unitUniform(words[k]));
        y[k] = v < hiF || !halfOpen ? v : below;
      }
    });
  });
  return Status::ok();
}

Status fillNormal(FloatSpan out, double mean, double stddev, uint64_t seed, uint64_t offset) {
  const char* fn = "fillNormal";
  ATROUS_RETURN_IF_ERROR(checkFinite(fn, "mean", mean));
  ATROUS_RETURN_IF_ERROR(checkFinite(fn, "std", stddev));
  if (stddev < 0)
    return Status::error(std::string(fn) + ": std expects a number >= 0, but got " + opcheck::numberText(stddev));
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  constexpr double kInv2Pow32 = 1.0 / 4294967296.0;
  const auto key = keyOf(seed);
  parallelRanges(out.size, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end;) {  // a block serves 2 consecutive positions, 2 words each
      const uint64_t position = offset + static_cast<uint64_t>(i);
      const auto words = block(position >> 1, kNormalStream, key);
      for (unsigned half = position & 1; half < 2 && i < end; ++half, ++i) {
        const double u1 = (static_cast<double>(words[2 * half]) + 1.0) * kInv2Pow32;  // (0, 1]: log is finite
        const double u2 = static_cast<double>(words[2 * half + 1]) * kInv2Pow32;
        const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
        out.data[i] = static_cast<float>(mean + stddev * z);
      }
    }
  });
  return Status::ok();
}

Status dropout(ConstFloatSpan x, double keep, uint64_t seed, uint64_t offset, FloatSpan mask, FloatSpan out) {
  const char* fn = "dropout";
  if (!(keep > 0 && keep <= 1))
    return Status::error(std::string(fn) + ": keep expects a probability in (0, 1], but got " +
                         opcheck::numberText(keep));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "mask", mask.size, x.size));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "out", out.size, x.size));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "out", out.data, out.size, "x", x.data, x.size));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "mask", mask.data, mask.size * 4, "x", x.data, x.size * 4));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "mask", mask.data, mask.size * 4, "out", out.data, out.size * 4));
  const float scale = static_cast<float>(1.0 / keep);
  parallelRanges(x.size, 4, [&](int64_t begin, int64_t end) {
    forEachUniformBatch(seed, offset, begin, end, [&](int64_t i0, const uint32_t* words, int64_t count) {
      const float* xs = x.data + i0;
      float* m = mask.data + i0;
      float* y = out.data + i0;
      for (int64_t k = 0; k < count; ++k) {
        m[k] = unitUniform(words[k]) < keep ? scale : 0.f;
        y[k] = xs[k] * m[k];
      }
    });
  });
  return Status::ok();
}

}  // namespace atrous
