#include "harness.h"

#include <cmath>
#include <cstdio>

namespace atrous::test {

bool Context::check(bool ok, const char* fmt, ...) {
  ++checks_;
  if (ok) return true;
  ++failures_;
  if (failures_ <= 20) {  // enough to replay; more would drown the log
    std::fprintf(stderr, "    FAIL: ");
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fprintf(stderr, "\n");
  }
  return false;
}

std::vector<RegisteredTest>& registry() {
  static std::vector<RegisteredTest> tests;
  return tests;
}

Registrar::Registrar(const char* name, TestFn fn) { registry().push_back({name, fn}); }

void forEachIsa(const std::function<void(Isa)>& body) {
  Isa original = activeIsa();
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Neon}) {
    if (!isaSupported(isa)) continue;
    forceIsa(isa);
    body(isa);
  }
  forceIsa(original);
}

uint64_t Rng::next() {
  s_ ^= s_ << 13;
  s_ ^= s_ >> 7;
  s_ ^= s_ << 17;
  return s_;
}

float Rng::uniform(float lo, float hi) {
  double u = static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
  return static_cast<float>(lo + (hi - lo) * u);
}

int64_t Rng::intIn(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
}

std::vector<float> Rng::floats(int64_t n, float lo, float hi) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = uniform(lo, hi);
  return v;
}

double relativeL2(const float* got, const double* want, int64_t n) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = static_cast<double>(got[i]) - want[i];
    num += d * d;
    den += want[i] * want[i];
  }
  if (std::isnan(num)) return INFINITY;
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

double relativeL2(const float* got, const float* want, int64_t n) {
  std::vector<double> w(want, want + n);
  return relativeL2(got, w.data(), n);
}

}  // namespace atrous::test
