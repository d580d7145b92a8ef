// atrous_cuda_bench: our SGEMM at n^3 (default 4096), FP32 (pass nn) and TF32 tensor cores (nn-tf32),
// and our convolutions on the dilated-conv suite, one CSV line per case (case,pass,gflop,ms: median
// over repeats of the mean over a few back-to-back runs, synchronized). The convolutions run FP32
// unless --tf32 (or ATROUS_CUDA_TF32=1) is given; their passes then end in -tf32.
// scripts/cuda-peers.py times cuBLAS and cuDNN on the same cases (TF32 where the pass says so) and
// prints both side by side.
// usage: atrous_cuda_bench [--suite native/bench/conv-suite.json] [--repeats 5] [--gemm 4096] [--tf32]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "../../kernels/cuda/conv.h"
#include "../../kernels/cuda/cuda_memory.h"
#include "../../kernels/cuda/elementwise.h"
#include "../../kernels/cuda/sgemm.h"
#include "../conv_suite.h"

namespace {

using namespace atrous;

void must(const Status& s) {
  if (s.isOk()) return;
  std::fprintf(stderr, "atrous_cuda_bench: %s\n", s.message().c_str());
  std::exit(1);
}

struct DeviceBuffer {
  float* data = nullptr;
  long long size = 0;
  explicit DeviceBuffer(long long n, float value) : size(n) {
    void* p = nullptr;
    must(cuda::deviceAllocate(sizeof(float) * size_t(n), &p));
    data = static_cast<float*>(p);
    must(cuda::fill({data, n}, value));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { cuda::deviceFree(data); }
  FloatSpan span() const { return {data, size}; }
};

// Median over repeats of the mean time of `inner` synchronized back-to-back runs, in ms.
double medianMs(const std::function<void()>& run, int repeats) {
  for (int i = 0; i < 2; ++i) run();  // warm-up: the workspace pool, clocks
  must(cuda::deviceSynchronize());
  constexpr int inner = 5;
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) run();
    must(cuda::deviceSynchronize());
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / inner);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::string option(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (name == std::string(argv[i])) return argv[i + 1];
  return fallback;
}

bool flag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i)
    if (name == std::string(argv[i])) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string suitePath = option(argc, argv, "--suite", "native/bench/conv-suite.json");
  const int repeats = std::max(1, std::atoi(option(argc, argv, "--repeats", "5").c_str()));
  const int64_t n = std::max(1, std::atoi(option(argc, argv, "--gemm", "4096").c_str()));
  const bool convTf32 = flag(argc, argv, "--tf32") || cuda::sgemmTf32();
  const cuda::CudaAvailability& cuda = cuda::cudaAvailability();
  if (!cuda.usable) {
    std::fprintf(stderr, "atrous_cuda_bench: %s\n", cuda.reason.c_str());
    return 1;
  }
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  std::printf("# machine: %s\n# reproduce: %s\ncase,pass,gflop,ms\n", cuda.device.c_str(), command.c_str());
  std::fflush(stdout);

  {
    DeviceBuffer a(n * n, 0.5f), b(n * n, 0.25f), c(n * n, 0.f);
    for (bool tf32 : {false, true}) {
      cuda::setSgemmTf32(tf32);
      const double ms = medianMs([&] { must(cuda::sgemm(false, false, n, n, n, 1.f, a.span(), n, b.span(), n, 0.f,
                                                        c.span(), n)); }, repeats);
      std::printf("sgemm-%lld,%s,%.3f,%.4f\n", (long long)n, tf32 ? "nn-tf32" : "nn", 2.0 * n * n * n * 1e-9, ms);
      std::fflush(stdout);
    }
  }
  cuda::setSgemmTf32(convTf32);
  const std::string suffix = convTf32 ? "-tf32" : "";
  for (const bench::SuiteShape& s : bench::loadConvSuite(suitePath)) {
    const ConvGeometry& g = s.geometry;
    DeviceBuffer x(g.inputSize(), 0.5f), w(g.weightSize(), 0.25f), bias(g.outChannels, 0.1f),
        y(g.outputSize(), 0.f), dy(g.outputSize(), 0.125f), dx(g.inputSize(), 0.f), dw(g.weightSize(), 0.f);
    const double gflop = s.flops() * 1e-9;
    const double fwd = medianMs([&] { must(cuda::convForward(g, x.span(), w.span(), bias.span(), y.span())); }, repeats);
    std::printf("%s,fwd%s,%.3f,%.4f\n", s.id.c_str(), suffix.c_str(), gflop, fwd);
    const double bwdData = medianMs([&] { must(cuda::convBackwardData(g, dy.span(), w.span(), dx.span())); }, repeats);
    std::printf("%s,bwd-data%s,%.3f,%.4f\n", s.id.c_str(), suffix.c_str(), gflop, bwdData);
    const double bwdWeight = medianMs([&] { must(cuda::convBackwardWeight(g, x.span(), dy.span(), dw.span())); },
                                      repeats);
    std::printf("%s,bwd-weight%s,%.3f,%.4f\n", s.id.c_str(), suffix.c_str(), gflop, bwdWeight);
    std::fflush(stdout);
  }
  return 0;
}
