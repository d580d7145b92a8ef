// The one seam between the kernels and what differs across compilers (GCC, Clang, MSVC) and
// architectures (x86-64, arm64, anything else): the architecture macros, a spin-wait hint, a
// prefetch hint, a loop-unroll hint, aligned scratch allocation, and the x86-only kernel references.
// Everything else in native/kernels is plain C++17 except the overflow builtins (checked_math.h)
// and cpuid (cpu_features.cpp), each with its MSVC form beside it.
#pragma once
#include <cstddef>
#include <cstdio>
#include <cstdlib>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define ATROUS_ARCH_X86 1
#else
#define ATROUS_ARCH_X86 0
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
#define ATROUS_ARCH_ARM64 1
#else
#define ATROUS_ARCH_ARM64 0
#endif

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#include <malloc.h>
#elif ATROUS_ARCH_X86
#include <immintrin.h>
#endif

// The x86 ISA files (kernelsAvx2, kernelsAvx512 in native/sources.json) are compiled on x86 only.
// Dispatch names their kernels through these, so that elsewhere the slot is empty (forActiveIsa
// skips it) and no reference to an absent symbol reaches the linker.
#if ATROUS_ARCH_X86
#define ATROUS_X86_ONLY(kernel) (kernel)
#else
#define ATROUS_X86_ONLY(kernel) nullptr
#endif
#if ATROUS_ARCH_ARM64
#define ATROUS_ARM64_ONLY(kernel) (kernel)
#else
#define ATROUS_ARM64_ONLY(kernel) nullptr
#endif
// A call into an algorithm that exists for AVX-512 only: the planner routes there only when
// hasActiveIsaVariant says so, which never happens off x86, so elsewhere the call is a trap.
#if ATROUS_ARCH_X86
#define ATROUS_X86_CALL(kernel, ...) (kernel)(__VA_ARGS__)
#else
#define ATROUS_X86_CALL(kernel, ...) ::atrous::port::unreachable(#kernel, __VA_ARGS__)
#endif

// Unroll the next loop n times: GCC's spelling, which Clang reads too; MSVC has no such hint (and would
// warn about an unknown pragma), so there it is nothing.
#if defined(__GNUC__) || defined(__clang__)
#define ATROUS_PRAGMA(text) _Pragma(#text)
#define ATROUS_UNROLL(n) ATROUS_PRAGMA(GCC unroll n)
#else
#define ATROUS_UNROLL(n)
#endif

namespace atrous::port {

// The arguments are taken (and ignored) so that what was computed for the call counts as used.
template <class... Args>
[[noreturn]] void unreachable(const char* what, const Args&...) {
  std::fprintf(stderr, "atrous: internal error: %s called on a machine without it\n", what);
  std::abort();
}

// Inside a spin-wait: lets the sibling hyperthread (x86) or the core's other work (arm64) proceed.
inline void cpuRelax() {
#if ATROUS_ARCH_X86
  _mm_pause();
#elif ATROUS_ARCH_ARM64 && defined(_MSC_VER) && !defined(__clang__)
  __yield();
#elif ATROUS_ARCH_ARM64
  __asm__ __volatile__("yield");
#endif
}

inline void prefetch(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#elif ATROUS_ARCH_X86
  _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0);
#else
  (void)p;
#endif
}

// bytes is rounded up to a multiple of alignment (std::aligned_alloc requires it); free with alignedFree.
inline void* alignedAlloc(size_t alignment, size_t bytes) {
  bytes = (bytes + alignment - 1) / alignment * alignment;
#if defined(_MSC_VER) && !defined(__clang__)
  return _aligned_malloc(bytes, alignment);
#else
  return std::aligned_alloc(alignment, bytes);
#endif
}

inline void alignedFree(void* p) {
#if defined(_MSC_VER) && !defined(__clang__)
  _aligned_free(p);
#else
  std::free(p);
#endif
}

}  // namespace atrous::port
