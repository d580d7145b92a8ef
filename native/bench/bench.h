// The microbenchmark binary's registry: `atrous_bench NAME [options]` runs the bench registered
// under NAME (`all` runs each in turn). A bench file registers itself at namespace scope:
//   static atrous::bench::BenchRegistrar registerConv("conv", "dilated-conv suite", runConvBench);
// bench_main.cpp handles --threads N (applied before any bench runs); everything else on the
// command line is passed through. A bench that prints a table starts it with printBenchHeader();
// one that prints a single machine-readable line for a script (conv --shape) may leave it out.
#pragma once
#include <string>
#include <vector>

namespace atrous::bench {

// Returns the process exit code. args are the options after the bench name, minus --threads.
using BenchFn = int (*)(const std::vector<std::string>& args);

struct RegisteredBench {
  std::string name, summary;
  BenchFn fn;
};

void registerBench(const char* name, const char* summary, BenchFn fn);
const std::vector<RegisteredBench>& registeredBenches();

struct BenchRegistrar {
  BenchRegistrar(const char* name, const char* summary, BenchFn fn) { registerBench(name, summary, fn); }
};

// Value of `--name V` in args, or fallback.
std::string optionValue(const std::vector<std::string>& args, const std::string& name, const std::string& fallback);

// "model name" from /proc/cpuinfo, or "unknown cpu".
std::string cpuModel();

// Prints "# machine: CPU, isa=..., threads=N" and "# reproduce: COMMAND" (the command line that
// started this process, with ATROUS_CPU when set).
void printBenchHeader();

// The bench runs (bench_conv.cpp defines runConvBench; bench_main.cpp registers it).
int runGemmBench(const std::vector<std::string>& args);
int runConvBench(const std::vector<std::string>& args);

}  // namespace atrous::bench
