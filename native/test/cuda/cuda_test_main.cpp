// Runs every CUDA test, or those whose name contains one of the arguments and none of the arguments
// written -name (e.g. `atrous_cuda_tests Conv -Tf32`). Without a usable device the tests
// that need one print "SKIP: <name>: <reason>"; the count of them is reported, never as passed.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "../../kernels/cuda/cuda_status.h"
#include "cuda_harness.h"

int main(int argc, char** argv) {
  using namespace atrous;
  std::vector<const char*> include, exclude;
  for (int i = 1; i < argc; ++i) (argv[i][0] == '-' ? exclude : include).push_back(argv[i][0] == '-' ? argv[i] + 1 : argv[i]);
  auto selected = [&](const char* name) {
    bool in = include.empty();
    for (const char* f : include) in = in || std::strstr(name, f) != nullptr;
    for (const char* f : exclude) in = in && std::strstr(name, f) == nullptr;
    return in;
  };
  const cuda::CudaAvailability& cuda = cuda::cudaAvailability();
  if (cuda.usable)
    std::printf("atrous CUDA tests: %s\n", cuda.device.c_str());
  else
    std::printf("atrous CUDA tests: no device: %s\n", cuda.reason.c_str());
  int passed = 0, failed = 0, skipped = 0;
  for (const test::CudaTest& t : test::cudaRegistry()) {
    if (!selected(t.name)) continue;
    if (t.needsDevice && !cuda.usable) {
      std::printf("SKIP: %s: %s\n", t.name, cuda.reason.c_str());
      ++skipped;
      continue;
    }
    test::Context ctx;
    auto start = std::chrono::steady_clock::now();
    t.fn(ctx);
    test::DeviceArray::must(cuda.usable ? cuda::deviceSynchronize() : Status::ok());
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    bool ok = ctx.failures() == 0;
    std::printf("%s %s (%d checks, %.0f ms)\n", ok ? "ok  " : "FAIL", t.name, ctx.checks(), ms);
    (ok ? passed : failed)++;
  }
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed == 0 && passed + skipped > 0 ? 0 : 1;
}
