// The machine's FMA limit: 16 independent AVX-512 FMA chains per thread (no loads), on 1 thread and
// on every pool thread at once. The ceiling the GEMM and conv figures are read against.
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "../kernels/cpu/cpu_features.h"
#include "../kernels/cpu/thread_pool.h"
#include "bench.h"

namespace atrous::bench {
namespace {

// Sixteen named accumulators (an array would be kept in memory by the compiler, which measures the
// store path instead of the FMA units).
__attribute__((target("avx512f"))) double fmaChainsGflops(long iterations) {
#define ATROUS_CHAIN(i) __m512 a##i = _mm512_set1_ps(0.001f * i);
  ATROUS_CHAIN(0) ATROUS_CHAIN(1) ATROUS_CHAIN(2) ATROUS_CHAIN(3) ATROUS_CHAIN(4) ATROUS_CHAIN(5) ATROUS_CHAIN(6)
  ATROUS_CHAIN(7) ATROUS_CHAIN(8) ATROUS_CHAIN(9) ATROUS_CHAIN(10) ATROUS_CHAIN(11) ATROUS_CHAIN(12)
  ATROUS_CHAIN(13) ATROUS_CHAIN(14) ATROUS_CHAIN(15)
#undef ATROUS_CHAIN
  const __m512 b = _mm512_set1_ps(0.9999f), c = _mm512_set1_ps(0.0001f);
  auto start = std::chrono::steady_clock::now();
  for (long it = 0; it < iterations; ++it) {
#define ATROUS_STEP(i) a##i = _mm512_fmadd_ps(a##i, b, c);
    ATROUS_STEP(0) ATROUS_STEP(1) ATROUS_STEP(2) ATROUS_STEP(3) ATROUS_STEP(4) ATROUS_STEP(5) ATROUS_STEP(6)
    ATROUS_STEP(7) ATROUS_STEP(8) ATROUS_STEP(9) ATROUS_STEP(10) ATROUS_STEP(11) ATROUS_STEP(12)
    ATROUS_STEP(13) ATROUS_STEP(14) ATROUS_STEP(15)
#undef ATROUS_STEP
    __asm__ volatile("" : "+v"(a0), "+v"(a5), "+v"(a10), "+v"(a15));  // keep the chains live
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  sum = _mm512_add_ps(sum, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)),
                                         _mm512_add_ps(_mm512_add_ps(a12, a13), _mm512_add_ps(a14, a15))));
  volatile float sink = _mm512_reduce_add_ps(sum);
  (void)sink;
  return iterations * 16.0 * 32.0 / seconds * 1e-9;  // 16 FMAs of 16 lanes, 2 flops each
}

int runPeakBench(const std::vector<std::string>& args) {
  printBenchHeader();
  if (!isaSupported(Isa::Avx512)) {
    std::printf("peak: this CPU has no AVX-512; nothing to measure\n");
    return 0;
  }
  const long iterations = std::stol(optionValue(args, "--iterations", "100000000"));
  const double one = fmaChainsGflops(iterations);
  std::vector<double> each(static_cast<size_t>(numThreads()), 0.0);
  parallelRun([&](int t, int) { each[t] = fmaChainsGflops(iterations); });
  double total = 0;
  for (double g : each) total += g;
  std::printf("AVX-512 FMA peak (16 chains per thread, no memory): 1 thread %.1f GFLOP/s; %d threads %.1f GFLOP/s\n",
              one, numThreads(), total);
  return 0;
}

BenchRegistrar registerPeak("peak", "AVX-512 FMA throughput: the ceiling for the GEMM and conv figures", runPeakBench);

}  // namespace
}  // namespace atrous::bench
