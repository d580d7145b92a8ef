// Which instruction set the CPU kernels use. Chosen once from cpuid; ATROUS_CPU=avx512|avx2|scalar
// (or forceIsa, for tests) pins one, so every path the machine supports can be exercised.
#pragma once
#include "../status.h"

namespace atrous {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

const char* isaName(Isa isa);
bool isaSupported(Isa isa);   // the CPU and the OS both support it
Isa bestIsa();                // the widest supported
Isa activeIsa();              // what the kernels dispatch to now (report it; dispatch with forActiveIsa)
Status forceIsa(Isa isa);     // error if the CPU cannot run it
Status parseIsa(const char* name, Isa* out);

namespace isa_detail {
template <class T> struct Same { using type = T; };
}  // namespace isa_detail

// The one way kernels pick a per-ISA variant: the variant of the active ISA, or, where that slot is
// empty (null), the next narrower one's. A kernel with no AVX2 variant passes null there and runs its
// scalar one under AVX2; a path that exists for AVX-512 only passes null for both others and gets null
// elsewhere (its planner rule asks with hasActiveIsaVariant). Variants are pointers (functions or
// tables), so the choice is one relaxed load and a switch.
template <class T>
T forActiveIsa(T scalar, typename isa_detail::Same<T>::type avx2, typename isa_detail::Same<T>::type avx512) {
  switch (activeIsa()) {
    case Isa::Avx512:
      if (avx512) return avx512;
      [[fallthrough]];
    case Isa::Avx2:
      if (avx2) return avx2;
      [[fallthrough]];
    case Isa::Scalar: break;
  }
  return scalar;
}

// Whether a kernel that exists only for some ISAs has a variant for the active one.
template <class T>
bool hasActiveIsaVariant(T scalar, typename isa_detail::Same<T>::type avx2, typename isa_detail::Same<T>::type avx512) {
  return forActiveIsa<T>(scalar, avx2, avx512) != nullptr;
}

}  // namespace atrous
