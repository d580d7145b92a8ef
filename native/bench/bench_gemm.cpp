// sgemm GFLOP/s at square sizes, interleaved with OpenBLAS's cblas_sgemm on the same buffers when
// libopenblas can be loaded at run time (no link-time dependency), with the same thread count.
// Options: --sizes 256,512,1024,2048  --repeats N (timed samples per library, median reported)
//          --openblas PATH (default: libopenblas.so.0, then libopenblas.so; "none" to skip)
// OPENBLAS_THREAD_TIMEOUT defaults to 4 here (see OpenBlas::load); set it to compare otherwise.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "../kernels/cpu/gemm.h"
#include "../kernels/cpu/thread_pool.h"
#include "../test/reference.h"
#include "bench.h"

namespace atrous::bench {
namespace {

// cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
constexpr int kCblasRowMajor = 101, kCblasNoTrans = 111;

struct OpenBlas {
  void* handle = nullptr;
  CblasSgemm sgemm = nullptr;
  std::string description;

  bool load(const std::string& path, int threads) {
    // OpenBLAS's idle threads spin for 2^28 cycles after each call by default; interleaved with our
    // samples they would take our cores. 2^4 makes them sleep when idle, as ours do. Read at load.
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", /*overwrite=*/0);
    const std::vector<std::string> candidates =
        path.empty() ? std::vector<std::string>{"libopenblas.so.0", "libopenblas.so"} : std::vector<std::string>{path};
    for (const std::string& name : candidates) {
      handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle) break;
    }
    if (!handle) return false;
    sgemm = reinterpret_cast<CblasSgemm>(dlsym(handle, "cblas_sgemm"));
    if (!sgemm) return false;
    if (auto setThreads = reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads"))) setThreads(threads);
    auto config = reinterpret_cast<const char* (*)()>(dlsym(handle, "openblas_get_config"));
    auto core = reinterpret_cast<const char* (*)()>(dlsym(handle, "openblas_get_corename"));
    description = std::string(config ? config() : "OpenBLAS") + (core ? std::string(", core ") + core() : "") +
                  ", OPENBLAS_THREAD_TIMEOUT=" + std::getenv("OPENBLAS_THREAD_TIMEOUT");
    return true;
  }
};

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

std::vector<int64_t> parseSizes(const std::string& list) {
  std::vector<int64_t> sizes;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) sizes.push_back(std::atoll(item.c_str()));
  return sizes;
}

double relativeL2(const std::vector<float>& got, const std::vector<float>& want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = double(got[i]) - double(want[i]);
    num += d * d;
    den += double(want[i]) * double(want[i]);
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

}  // namespace

int runGemmBench(const std::vector<std::string>& args) {
  const std::vector<int64_t> sizes = parseSizes(optionValue(args, "--sizes", "256,512,1024,2048"));
  const int repeats = std::max(1, std::atoi(optionValue(args, "--repeats", "9").c_str()));
  const std::string blasPath = optionValue(args, "--openblas", "");
  printBenchHeader();
  OpenBlas blas;
  const bool haveBlas = blasPath != "none" && blas.load(blasPath, numThreads());
  std::printf("sgemm, row-major C = A*B, square; GFLOP/s = 2n^3/s, median of %d timed samples per library after a "
              "warm-up, ours and OpenBLAS interleaved sample by sample\n",
              repeats);
  std::printf("openblas: %s\n", haveBlas ? blas.description.c_str() : "not loaded (compared with nothing)");
  std::printf("%-6s %12s %12s %8s %12s\n", "n", "ours", "openblas", "ratio", "rel.err");

  for (int64_t n : sizes) {
    std::vector<float> A(n * n), B(n * n), C(n * n, 0.f), Cblas(n * n, 0.f);
    for (int64_t i = 0; i < n * n; ++i) {
      A[i] = float((i * 37 + 11) % 101) / 50.f - 1.f;
      B[i] = float((i * 53 + 7) % 97) / 48.f - 1.f;
    }
    const FloatSpan c{C.data(), (long long)C.size()};
    auto ours = [&] {
      sgemm(false, false, n, n, n, 1.f, {A.data(), (long long)A.size()}, n, {B.data(), (long long)B.size()}, n, 0.f, c, n);
    };
    auto theirs = [&] {
      blas.sgemm(kCblasRowMajor, kCblasNoTrans, kCblasNoTrans, int(n), int(n), int(n), 1.f, A.data(), int(n), B.data(),
                 int(n), 0.f, Cblas.data(), int(n));
    };
    // Warm-up (pages, thread-local pack buffers, pool threads), and how many calls make a sample
    // long enough (~20 ms) for the clock.
    double t0 = nowSeconds();
    ours();
    const double once = nowSeconds() - t0;
    if (haveBlas) theirs();
    const int callsPerSample = int(std::clamp(0.02 / std::max(once, 1e-7), 1.0, 1000.0));

    // Correctness beside the speed: against OpenBLAS, or the float64 reference for small n.
    double err = -1;
    if (haveBlas) {
      err = relativeL2(C, Cblas);
    } else if (n <= 512) {
      std::vector<double> want(n * n, 0.0);
      reference::gemm(false, false, n, n, n, 1.0, A.data(), n, B.data(), n, 0.0, want.data(), n);
      std::vector<float> wantF(want.begin(), want.end());
      err = relativeL2(C, wantF);
    }

    auto timeSample = [&](const std::function<void()>& f) {
      const double start = nowSeconds();
      for (int i = 0; i < callsPerSample; ++i) f();
      return (nowSeconds() - start) / callsPerSample;
    };
    std::vector<double> oursT, theirsT;
    for (int r = 0; r < repeats; ++r) {
      oursT.push_back(timeSample(ours));
      if (haveBlas) theirsT.push_back(timeSample(theirs));
    }
    const double flops = 2.0 * double(n) * double(n) * double(n);
    const double oursG = flops / median(oursT) * 1e-9;
    if (haveBlas) {
      const double theirsG = flops / median(theirsT) * 1e-9;
      std::printf("%-6lld %12.1f %12.1f %8.2f %12.2e\n", (long long)n, oursG, theirsG, oursG / theirsG, err);
    } else {
      std::printf("%-6lld %12.1f %12s %8s %12s\n", (long long)n, oursG, "-", "-",
                  err < 0 ? "-" : std::to_string(err).c_str());
    }
    std::fflush(stdout);
  }
  return 0;
}

namespace {
BenchRegistrar registerGemm("gemm", "sgemm at square sizes vs OpenBLAS (dlopen), interleaved", runGemmBench);
}  // namespace

}  // namespace atrous::bench
