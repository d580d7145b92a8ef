// The conv suite through our kernels: forward, backward-data and backward-weight, nominal GFLOP/s,
// median over repeats after a warm-up. `--shape ID --pass fwd|bwd-data|bwd-weight|fwdbwd` times a
// single case and prints one machine-readable line, for scripts/bench-conv-vs-torch.py, which
// interleaves it with PyTorch's timings of the same shape. fwdbwd is the three passes back to back,
// as a training step runs them (each evicts what the others keep warm when timed alone; nominal
// FLOPs of all three), for scripts/bench-api-vs-torch.mjs's API-overhead column. Each figure is
// printed with the path the planner chose (plan.h; ATROUS_CONV_PATH forces one).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../kernels/cpu/conv/conv.h"
#include "../kernels/cpu/conv/plan.h"
#include "../kernels/cpu/cpu_features.h"
#include "../kernels/cpu/thread_pool.h"
#include "conv_suite.h"

namespace atrous::bench {
namespace {

double medianSeconds(const std::function<void()>& run, int repeats) {
  run();  // warm-up: page in buffers, size thread-local scratch
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    run();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

struct ConvBuffers {
  std::vector<float> x, w, b, y, dy, dx, dw;
  explicit ConvBuffers(const ConvGeometry& g)
      : x(g.inputSize(), 0.5f), w(g.weightSize(), 0.25f), b(g.outChannels, 0.1f), y(g.outputSize()),
        dy(g.outputSize(), 0.125f), dx(g.inputSize()), dw(g.weightSize()) {
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 17) - 8) * 0.0625f;
    for (size_t i = 0; i < w.size(); ++i) w[i] = float(int(i % 13) - 6) * 0.03125f;
  }
};

std::function<void()> passRunner(const std::string& pass, const ConvGeometry& g, ConvBuffers& B) {
  auto span = [](std::vector<float>& v) { return FloatSpan{v.data(), (long long)v.size()}; };
  if (pass == "fwd")
    return [&, span] { convForward(g, span(B.x), span(B.w), span(B.b), span(B.y)); };
  if (pass == "bwd-data")
    return [&, span] { convBackwardData(g, span(B.dy), span(B.w), span(B.dx)); };
  if (pass == "bwd-weight")
    return [&, span] { convBackwardWeight(g, span(B.x), span(B.dy), span(B.dw)); };
  if (pass == "fwdbwd")
    return [&, span] {
      convForward(g, span(B.x), span(B.w), span(B.b), span(B.y));
      convBackwardData(g, span(B.dy), span(B.w), span(B.dx));
      convBackwardWeight(g, span(B.x), span(B.dy), span(B.dw));
    };
  return nullptr;
}

// The plan a pass of g takes now, in words ("?" and the reason on stderr when ATROUS_CONV_PATH refuses).
std::string planOf(const std::string& pass, const ConvGeometry& g) {
  if (pass == "fwdbwd") return planOf("fwd", g) + "/" + planOf("bwd-data", g) + "/" + planOf("bwd-weight", g);
  const ConvPass p = pass == "fwd" ? ConvPass::Forward : pass == "bwd-data" ? ConvPass::Data : ConvPass::Weight;
  ConvPlan plan;
  Status s = planConvFromEnvironment(g, p, &plan);
  if (!s.isOk()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return "?";
  }
  return convPathName(plan.path) + std::string(plan.folded ? "+fold" : "");
}

}  // namespace

// args: [--suite PATH] [--repeats N] [--shape ID --pass PASS]
int runConvBench(const std::vector<std::string>& args) {
  std::string suitePath = "native/bench/conv-suite.json", onlyShape, onlyPass;
  int repeats = 5;
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--suite") suitePath = args[i + 1];
    else if (args[i] == "--repeats") repeats = std::max(1, std::stoi(args[i + 1]));
    else if (args[i] == "--shape") onlyShape = args[i + 1];
    else if (args[i] == "--pass") onlyPass = args[i + 1];
  }
  std::vector<SuiteShape> suite = loadConvSuite(suitePath);
  if (!onlyShape.empty()) {
    for (const SuiteShape& s : suite) {
      if (s.id != onlyShape) continue;
      ConvBuffers buffers(s.geometry);
      auto run = passRunner(onlyPass.empty() ? "fwd" : onlyPass, s.geometry, buffers);
      if (!run) { std::fprintf(stderr, "unknown --pass %s\n", onlyPass.c_str()); return 2; }
      double sec = medianSeconds(run, repeats);
      const double flops = s.flops() * (onlyPass == "fwdbwd" ? 3 : 1);
      std::printf("shape=%s pass=%s seconds=%.6g gflops=%.2f path=%s\n", s.id.c_str(), onlyPass.c_str(), sec,
                  flops / sec * 1e-9, planOf(onlyPass.empty() ? "fwd" : onlyPass, s.geometry).c_str());
      return 0;
    }
    std::fprintf(stderr, "no shape %s in %s\n", onlyShape.c_str(), suitePath.c_str());
    return 2;
  }
  std::printf("conv suite (%s), nominal GFLOP/s, median of %d after a warm-up; cpu=%s threads=%d\n",
              suitePath.c_str(), repeats, isaName(activeIsa()), numThreads());
  std::printf("%-4s %-18s %30s %30s %30s\n", "id", "name", "fwd", "bwd-data", "bwd-weight");
  for (const SuiteShape& s : suite) {
    ConvBuffers buffers(s.geometry);
    std::printf("%-4s %-18s", s.id.c_str(), s.name.c_str());
    for (const char* pass : {"fwd", "bwd-data", "bwd-weight"}) {
      double sec = medianSeconds(passRunner(pass, s.geometry, buffers), repeats);
      std::printf(" %8.1f %-21s", s.flops() / sec * 1e-9, planOf(pass, s.geometry).c_str());
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  return 0;
}

}  // namespace atrous::bench
