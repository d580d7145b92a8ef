// Which instruction set the CPU kernels use. Chosen once from cpuid (x86) or the architecture
// (arm64: Advanced SIMD is part of AArch64); ATROUS_CPU=avx512|avx2|neon|scalar (or forceIsa, for
// tests) pins one, so every path the machine supports can be exercised. Only the ISA files of the
// build's architecture are compiled (native/sources.json), so only those ISAs can be supported.
#pragma once
#include "../portability.h"
#include "../status.h"

#include <string>

namespace atrous {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2, Neon = 3 };
constexpr int kIsaCount = 4;

const char* isaName(Isa isa);
bool isaSupported(Isa isa);   // the CPU and the OS both support it
Isa bestIsa();                // the widest supported
Isa activeIsa();              // what the kernels dispatch to now (report it; dispatch with forActiveIsa)
Status forceIsa(Isa isa);     // error if the CPU cannot run it
Status parseIsa(const char* name, Isa* out);
// Checks ATROUS_CPU once: an unknown name or an ISA this machine cannot run is an error that names
// what the machine has (the addon throws it at load). Ok when unset.
Status isaEnvironmentStatus();
// "avx512, avx2, scalar" and the like: what this machine (and this build) can run, widest first.
std::string supportedIsaNames();

namespace isa_detail {
template <class T> struct Same { using type = T; };
}  // namespace isa_detail

// The one way kernels pick a per-ISA variant: the variant of the active ISA, or, where that slot is
// empty (null), the next narrower one's (NEON's next narrower is scalar). A kernel with no AVX2
// variant passes null there and runs its scalar one under AVX2; a path that exists for AVX-512 only
// passes null for the others and gets null elsewhere (its planner rule asks with
// hasActiveIsaVariant). x86 variants are named through ATROUS_X86_ONLY and NEON ones through
// ATROUS_ARM64_ONLY (portability.h), so a slot whose file this architecture does not compile is null.
// Variants are pointers (functions or tables), so the choice is one relaxed load and a switch.
template <class T>
T forActiveIsa(T scalar, typename isa_detail::Same<T>::type avx2, typename isa_detail::Same<T>::type avx512,
               typename isa_detail::Same<T>::type neon = nullptr) {
  switch (activeIsa()) {
    case Isa::Avx512:
      if (avx512) return avx512;
      [[fallthrough]];
    case Isa::Avx2:
      if (avx2) return avx2;
      break;
    case Isa::Neon:
      if (neon) return neon;
      break;
    case Isa::Scalar: break;
  }
  return scalar;
}

// Whether a kernel that exists only for some ISAs has a variant for the active one.
template <class T>
bool hasActiveIsaVariant(T scalar, typename isa_detail::Same<T>::type avx2, typename isa_detail::Same<T>::type avx512,
                         typename isa_detail::Same<T>::type neon = nullptr) {
  return forActiveIsa<T>(scalar, avx2, avx512, neon) != nullptr;
}

}  // namespace atrous
