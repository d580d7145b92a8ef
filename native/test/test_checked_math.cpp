// checked_math.h's overflow checks against exact 128-bit arithmetic (GCC and Clang's __int128; the
// test build is GCC/Clang only): the builtins the kernels use here and the comparison-based forms an
// MSVC build uses, on every pair of values around the limits.
#include <cstdint>
#include <vector>

#include "../kernels/checked_math.h"
#include "harness.h"

using namespace atrous;

namespace {

std::vector<int64_t> edgeValues() {
  const int64_t sqrtMax = 3037000499;  // ⌊√(2^63 − 1)⌋: its square fits, one more does not
  std::vector<int64_t> v;
  for (int64_t base : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{3}, sqrtMax, int64_t{1} << 31, int64_t{1} << 32,
                       int64_t{1} << 62, INT64_MAX / 2, INT64_MAX / 3}) {
    for (int64_t d : {-1, 0, 1}) {
      v.push_back(base + d);
      v.push_back(-(base + d));
    }
  }
  for (int64_t e : {INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1}) v.push_back(e);
  return v;
}

template <typename Check>
bool matchesExact(Check check, int64_t a, int64_t b, __int128 exact) {
  const bool fits = exact >= INT64_MIN && exact <= INT64_MAX;
  int64_t out = 0;
  return check(a, b, &out) == !fits && (!fits || out == static_cast<int64_t>(exact));
}

}  // namespace

ATROUS_TEST(checkedMathOverflowMatchesExact) {
  const std::vector<int64_t> values = edgeValues();
  int wrong = 0;
  for (int64_t a : values)
    for (int64_t b : values) {
      const __int128 product = static_cast<__int128>(a) * b, sum = static_cast<__int128>(a) + b;
      const bool ok = matchesExact(mulOverflows, a, b, product) &&
                      matchesExact(overflow_by_limits::mulOverflows, a, b, product) &&
                      matchesExact(addOverflows, a, b, sum) && matchesExact(overflow_by_limits::addOverflows, a, b, sum);
      if (!ok && ++wrong <= 5)
        ctx.check(false, "checked math a=%lld b=%lld: an overflow answer or result differs from exact arithmetic",
                  static_cast<long long>(a), static_cast<long long>(b));
    }
  ctx.check(wrong == 0, "checked math: %d pairs of %zu wrong", wrong, values.size() * values.size());
}

ATROUS_TEST(checkedMathProductRejectsNegativeAndOverflow) {
  const int64_t fits[] = {3, 5, 7}, negative[] = {3, -1, 7}, tooBig[] = {int64_t{1} << 40, int64_t{1} << 30};
  int64_t out = 0;
  ctx.check(checkedProduct(fits, 3, &out) && out == 105, "checkedProduct(3, 5, 7) = %lld", static_cast<long long>(out));
  ctx.check(!checkedProduct(negative, 3, &out), "checkedProduct accepted a negative dim");
  ctx.check(!checkedProduct(tooBig, 2, &out), "checkedProduct accepted 2^70");
}
