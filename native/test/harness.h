// A small test harness: ATROUS_TEST registers a case; a failing check prints the case's whole
// configuration so it can be replayed. The runner ends with "N passed, N failed".
#pragma once
#include <cstdarg>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "../kernels/cpu/cpu_features.h"

namespace atrous::test {

class Context {
 public:
  // Records a failure (with printf-style detail) when ok is false; returns ok.
  bool check(bool ok, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  int failures() const { return failures_; }
  int checks() const { return checks_; }

 private:
  int failures_ = 0;
  int checks_ = 0;
};

using TestFn = void (*)(Context&);
struct Registrar {
  Registrar(const char* name, TestFn fn);
};
struct RegisteredTest {
  const char* name;
  TestFn fn;
};
std::vector<RegisteredTest>& registry();

// Runs body once per ISA this CPU supports, with the kernels forced to it; restores the default.
void forEachIsa(const std::function<void(Isa)>& body);

// Deterministic random numbers for test data (xorshift; independent of the library).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next();
  float uniform(float lo, float hi);          // [lo, hi)
  int64_t intIn(int64_t lo, int64_t hi);      // [lo, hi] inclusive
  std::vector<float> floats(int64_t n, float lo = -1.f, float hi = 1.f);

 private:
  uint64_t s_;
};

// ||got - want||_2 / max(||want||_2, tiny), with want in float64.
double relativeL2(const float* got, const double* want, int64_t n);
double relativeL2(const float* got, const float* want, int64_t n);

}  // namespace atrous::test

#define ATROUS_TEST(name)                                                  \
  static void name(::atrous::test::Context& ctx);                          \
  static ::atrous::test::Registrar registrar_##name(#name, name);          \
  static void name(::atrous::test::Context& ctx)
