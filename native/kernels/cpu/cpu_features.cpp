#include "cpu_features.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace atrous {
namespace {

#if ATROUS_ARCH_X86 && defined(_MSC_VER) && !defined(__clang__)
// MSVC has no __builtin_cpu_supports: cpuid leaf 1 (FMA, OSXSAVE) and 7 (AVX2, AVX512F), and XCR0 for
// the OS saving the YMM (bits 1-2) and ZMM/opmask (bits 5-7) state.
bool x86Has(Isa isa) {
  int r1[4], r7[4];
  __cpuid(r1, 1);
  __cpuidex(r7, 7, 0);
  const bool osxsave = (r1[2] >> 27) & 1;
  const unsigned long long xcr0 = osxsave ? _xgetbv(0) : 0;
  const bool avx2 = (xcr0 & 0x6) == 0x6 && ((r1[2] >> 12) & 1) && ((r7[1] >> 5) & 1);
  if (isa == Isa::Avx2) return avx2;
  return avx2 && (xcr0 & 0xE6) == 0xE6 && ((r7[1] >> 16) & 1);
}
#elif ATROUS_ARCH_X86
bool x86Has(Isa isa) {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (isa == Isa::Avx2) return avx2;
  return avx2 && __builtin_cpu_supports("avx512f");
}
#endif

// Only what this build compiled can be supported: the x86 ISA files exist on x86 builds only, the
// NEON files on arm64 builds only (AArch64 always has Advanced SIMD, so no run-time test is needed).
bool detect(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return true;
    case Isa::Avx2:
    case Isa::Avx512:
#if ATROUS_ARCH_X86
      return x86Has(isa);
#else
      return false;
#endif
    case Isa::Neon: return ATROUS_ARCH_ARM64 != 0;
  }
  return false;
}

Isa initialIsa() {
  Isa best = bestIsa();
  const char* env = std::getenv("ATROUS_CPU");
  if (!env || !*env) return best;
  Isa wanted;
  Status s = parseIsa(env, &wanted);
  if (!s.isOk() || !isaSupported(wanted)) {
    // The addon refuses to load instead (isaEnvironmentStatus); the native test and bench binaries go on.
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
    case Isa::Neon: return "neon";
  }
  return "unknown";
}

bool isaSupported(Isa isa) {
  static const bool supported[kIsaCount] = {detect(Isa::Scalar), detect(Isa::Avx2), detect(Isa::Avx512),
                                            detect(Isa::Neon)};
  return supported[static_cast<int>(isa)];
}

Isa bestIsa() {
  if (isaSupported(Isa::Avx512)) return Isa::Avx512;
  if (isaSupported(Isa::Avx2)) return Isa::Avx2;
  if (isaSupported(Isa::Neon)) return Isa::Neon;
  return Isa::Scalar;
}

Isa activeIsa() { return static_cast<Isa>(activeSlot().load(std::memory_order_relaxed)); }

Status forceIsa(Isa isa) {
  if (!isaSupported(isa))
    return Status::error(std::string("forceIsa: this CPU does not support ") + isaName(isa) + " (it has " +
                         supportedIsaNames() + ")");
  activeSlot().store(static_cast<int>(isa), std::memory_order_relaxed);
  return Status::ok();
}

Status parseIsa(const char* name, Isa* out) {
  for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Scalar}) {
    if (!std::strcmp(name, isaName(isa))) {
      *out = isa;
      return Status::ok();
    }
  }
  return Status::error(std::string("ATROUS_CPU expects avx512, avx2, neon or scalar, but got '") + name + "'");
}

std::string supportedIsaNames() {
  std::string names;
  for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Scalar}) {
    if (!isaSupported(isa)) continue;
    if (!names.empty()) names += ", ";
    names += isaName(isa);
  }
  return names;
}

Status isaEnvironmentStatus() {
#if !ATROUS_ARCH_X86 && !ATROUS_ARCH_ARM64
  static const bool said = [] {
    std::fprintf(stderr, "atrous: no vector kernels for this architecture; the CPU kernels run scalar code\n");
    return true;
  }();
  (void)said;
#endif
  const char* env = std::getenv("ATROUS_CPU");
  if (!env || !*env) return Status::ok();
  Isa wanted;
  Status s = parseIsa(env, &wanted);
  if (!s.isOk()) return s;
  if (!isaSupported(wanted))
    return Status::error(std::string("ATROUS_CPU=") + env + ": this machine cannot run " + env + "; it has " +
                         supportedIsaNames());
  return Status::ok();
}

}  // namespace atrous
