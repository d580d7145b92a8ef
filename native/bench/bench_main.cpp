// atrous_bench: `atrous_bench gemm|conv|all [--threads N] [--repeats N] [bench options]`.
// Each bench prints its own table (see bench.h for the shared header with the machine and command).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "../kernels/cpu/cpu_features.h"
#include "../kernels/cpu/host_allocator.h"
#include "../kernels/cpu/thread_pool.h"
#include "bench.h"

namespace atrous::bench {
namespace {

std::vector<RegisteredBench>& registry() {
  static std::vector<RegisteredBench> benches;
  return benches;
}

// bench_conv.cpp exposes its entry point without registering it, so it is registered here.
BenchRegistrar registerConv("conv", "dilated-conv suite: fwd, bwd-data, bwd-weight (see bench_conv.cpp)", runConvBench);

std::string& commandLine() {
  static std::string command;
  return command;
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s NAME|all [--threads N] [--repeats N] [options]\n", argv0);
  for (const RegisteredBench& b : registeredBenches())
    std::fprintf(stderr, "  %-6s %s\n", b.name.c_str(), b.summary.c_str());
  return 2;
}

}  // namespace

// Kept sorted by name: static registration order across files is unspecified, `all` should not be.
void registerBench(const char* name, const char* summary, BenchFn fn) {
  std::vector<RegisteredBench>& r = registry();
  auto at = std::find_if(r.begin(), r.end(), [&](const RegisteredBench& b) { return b.name > name; });
  r.insert(at, {name, summary, fn});
}

const std::vector<RegisteredBench>& registeredBenches() { return registry(); }

std::string optionValue(const std::vector<std::string>& args, const std::string& name, const std::string& fallback) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == name) return args[i + 1];
  return fallback;
}

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string name = "unknown cpu", family, model;
  auto valueOf = [](const std::string& line) {
    size_t colon = line.find(':');
    size_t start = colon == std::string::npos ? std::string::npos : line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? std::string() : line.substr(start);
  };
  for (std::string line; std::getline(in, line) && !line.empty();) {  // the first processor only
    if (line.rfind("model name", 0) == 0) name = valueOf(line);
    else if (line.rfind("cpu family", 0) == 0) family = valueOf(line);
    else if (line.rfind("model\t", 0) == 0) model = valueOf(line);
  }
  return family.empty() ? name : name + " (family " + family + ", model " + model + ")";
}

void printBenchHeader() {
  std::printf("# machine: %s, isa=%s, threads=%d\n", cpuModel().c_str(), isaName(activeIsa()), numThreads());
  std::printf("# reproduce: %s\n", commandLine().c_str());
  std::fflush(stdout);
}

}  // namespace atrous::bench

int main(int argc, char** argv) {
  using namespace atrous;
  using namespace atrous::bench;
  if (argc < 2) return usage(argv[0]);
  // glibc as the addon sets it when it loads: without it, the fwdbwd pass's alternating scratch
  // sizes (S4: by-region, as-forward and by-tap buffers) were fresh mmaps each call, 114 vs 62 ms.
  keepFreedBlocksInHeap();
  const std::string which = argv[1];
  std::vector<std::string> args;
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--threads" && i + 1 < argc) {
      Status s = setNumThreads(std::atoi(argv[++i]));
      if (!s.isOk()) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 2;
      }
      continue;
    }
    args.push_back(argv[i]);
  }

  std::string& command = commandLine();
  if (const char* cpu = std::getenv("ATROUS_CPU")) command += std::string("ATROUS_CPU=") + cpu + " ";
  for (int i = 0; i < argc; ++i) command += std::string(i ? " " : "") + argv[i];

  int ran = 0, rc = 0;
  for (const RegisteredBench& b : registeredBenches()) {
    if (which != "all" && which != b.name) continue;
    if (which == "all") std::printf("\n## %s\n", b.name.c_str());
    std::fflush(stdout);
    int r = b.fn(args);
    if (r != 0) rc = r;
    ++ran;
  }
  if (ran == 0) return usage(argv[0]);
  return rc;
}
