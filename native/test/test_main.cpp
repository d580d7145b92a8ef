// Runs every registered native test (or those whose name contains argv[1]) on every ISA path.
#include <chrono>
#include <cstdio>
#include <cstring>

#include "../kernels/cpu/cpu_features.h"
#include "../kernels/cpu/thread_pool.h"
#include "harness.h"

int main(int argc, char** argv) {
  using namespace atrous;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  std::printf("atrous native tests: cpu best=%s, threads=%d\n", isaName(bestIsa()), numThreads());
  int passed = 0, failed = 0;
  for (const auto& t : test::registry()) {
    if (filter && !std::strstr(t.name, filter)) continue;
    test::Context ctx;
    auto start = std::chrono::steady_clock::now();
    t.fn(ctx);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    bool ok = ctx.failures() == 0;
    std::printf("%s %s (%d checks, %.0f ms)\n", ok ? "ok  " : "FAIL", t.name, ctx.checks(), ms);
    (ok ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
