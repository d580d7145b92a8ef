#include "random.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "../random_draws.h"
#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {
namespace {

using randomdraw::kUniformsPerBlock;

// words[k] = the 32-bit word of uniform-stream position first + k, k < count.
void uniformWords(uint64_t seed, uint64_t first, int64_t count, uint32_t* words) {
  for (int64_t k = 0; k < count;) {
    const uint64_t position = first + static_cast<uint64_t>(k);
    const auto b = randomdraw::streamBlock(seed, randomdraw::kUniformStream, position / kUniformsPerBlock);
    for (unsigned lane = position % kUniformsPerBlock; lane < kUniformsPerBlock && k < count; ++lane, ++k)
      words[k] = b.w[lane];
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

Status checkFinite(const char* fn, const char* arg, double v) {
  if (std::isfinite(v)) return Status::ok();
  return Status::error(std::string(fn) + ": " + arg + " expects a finite number, but got " + opcheck::numberText(v));
}

}  // namespace

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, std::array<uint32_t, 2> key) {
  const randomdraw::Block b = randomdraw::philox4x32_10(randomdraw::Block{{c[0], c[1], c[2], c[3]}}, key[0], key[1]);
  return {b.w[0], b.w[1], b.w[2], b.w[3]};
}

Status validateUniform(const char* fn, double lo, double hi) {
  ATROUS_RETURN_IF_ERROR(checkFinite(fn, "lo", lo));
  ATROUS_RETURN_IF_ERROR(checkFinite(fn, "hi", hi));
  if (!(lo <= hi))
    return Status::error(std::string(fn) + ": expects lo <= hi, but got lo=" + opcheck::numberText(lo) +
                         " hi=" + opcheck::numberText(hi));
  return Status::ok();
}

Status validateNormal(const char* fn, double mean, double stddev) {
  ATROUS_RETURN_IF_ERROR(checkFinite(fn, "mean", mean));
  ATROUS_RETURN_IF_ERROR(checkFinite(fn, "std", stddev));
  if (stddev < 0)
    return Status::error(std::string(fn) + ": std expects a number >= 0, but got " + opcheck::numberText(stddev));
  return Status::ok();
}

Status validateDropout(const char* fn, ConstFloatSpan x, double keep, FloatSpan mask, FloatSpan out) {
  if (!(keep > 0 && keep <= 1))
    return Status::error(std::string(fn) + ": keep expects a probability in (0, 1], but got " +
                         opcheck::numberText(keep));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "mask", mask.size, x.size));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "out", out.size, x.size));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "out", out.data, out.size, "x", x.data, x.size));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "mask", mask.data, mask.size * 4, "x", x.data, x.size * 4));
  return opcheck::disjoint(fn, "mask", mask.data, mask.size * 4, "out", out.data, out.size * 4);
}

Status fillUniform(FloatSpan out, double lo, double hi, uint64_t seed, uint64_t offset) {
  ATROUS_RETURN_IF_ERROR(validateUniform("fillUniform", lo, hi));
  const randomdraw::UniformRange range = randomdraw::uniformRange(lo, hi);
  parallelRanges(out.size, 4, [&](int64_t begin, int64_t end) {
    forEachUniformBatch(seed, offset, begin, end, [&](int64_t i0, const uint32_t* words, int64_t count) {
      float* y = out.data + i0;
      for (int64_t k = 0; k < count; ++k) y[k] = randomdraw::uniformValue(words[k], range);
    });
  });
  return Status::ok();
}

Status fillNormal(FloatSpan out, double mean, double stddev, uint64_t seed, uint64_t offset) {
  ATROUS_RETURN_IF_ERROR(validateNormal("fillNormal", mean, stddev));
  constexpr unsigned kPerBlock = randomdraw::kNormalsPerBlock;
  parallelRanges(out.size, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end;) {
      const uint64_t position = offset + static_cast<uint64_t>(i);
      const auto b = randomdraw::streamBlock(seed, randomdraw::kNormalStream, position / kPerBlock);
      for (unsigned half = position % kPerBlock; half < kPerBlock && i < end; ++half, ++i)
        out.data[i] = randomdraw::normalValue(b.w[2 * half], b.w[2 * half + 1], mean, stddev);
    }
  });
  return Status::ok();
}

Status dropout(ConstFloatSpan x, double keep, uint64_t seed, uint64_t offset, FloatSpan mask, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(validateDropout("dropout", x, keep, mask, out));
  const float scale = static_cast<float>(1.0 / keep);
  parallelRanges(x.size, 4, [&](int64_t begin, int64_t end) {
    forEachUniformBatch(seed, offset, begin, end, [&](int64_t i0, const uint32_t* words, int64_t count) {
      const float* xs = x.data + i0;
      float* m = mask.data + i0;
      float* y = out.data + i0;
      for (int64_t k = 0; k < count; ++k) {
        m[k] = randomdraw::dropoutMask(words[k], keep, scale);
        y[k] = xs[k] * m[k];
      }
    });
  });
  return Status::ok();
}

}  // namespace atrous
