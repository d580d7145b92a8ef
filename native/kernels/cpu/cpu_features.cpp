#include "cpu_features.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace atrous {
namespace {

bool detect(Isa isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  switch (isa) {
    case Isa::Scalar: return true;
    case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
             __builtin_cpu_supports("fma");
  }
  return false;
#else
  return isa == Isa::Scalar;
#endif
}

Isa initialIsa() {
  Isa best = bestIsa();
  const char* env = std::getenv("ATROUS_CPU");
  if (!env || !*env) return best;
  Isa wanted;
  Status s = parseIsa(env, &wanted);
  if (!s.isOk() || !isaSupported(wanted)) {
    std::fprintf(stderr, "atrous: ignoring ATROUS_CPU=%s (%s); using %s\n", env,
                 s.isOk() ? "this CPU does not support it" : s.message().c_str(), isaName(best));
    return best;
  }
  return wanted;
}

std::atomic<int>& activeSlot() {
  static std::atomic<int> slot{static_cast<int>(initialIsa())};
  return slot;
}

}  // namespace

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "unknown";
}

bool isaSupported(Isa isa) {
  static const bool supported[3] = {detect(Isa::Scalar), detect(Isa::Avx2), detect(Isa::Avx512)};
  return supported[static_cast<int>(isa)];
}

Isa bestIsa() {
  if (isaSupported(Isa::Avx512)) return Isa::Avx512;
  if (isaSupported(Isa::Avx2)) return Isa::Avx2;
  return Isa::Scalar;
}

Isa activeIsa() { return static_cast<Isa>(activeSlot().load(std::memory_order_relaxed)); }

Status forceIsa(Isa isa) {
  if (!isaSupported(isa))
    return Status::error(std::string("forceIsa: this CPU does not support ") + isaName(isa));
  activeSlot().store(static_cast<int>(isa), std::memory_order_relaxed);
  return Status::ok();
}

Status parseIsa(const char* name, Isa* out) {
  if (!std::strcmp(name, "avx512")) { *out = Isa::Avx512; return Status::ok(); }
  if (!std::strcmp(name, "avx2")) { *out = Isa::Avx2; return Status::ok(); }
  if (!std::strcmp(name, "scalar")) { *out = Isa::Scalar; return Status::ok(); }
  return Status::error(std::string("ATROUS_CPU expects avx512, avx2 or scalar, but got '") + name + "'");
}

}  // namespace atrous
