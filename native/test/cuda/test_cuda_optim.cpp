// The CUDA SGD and Adam/AdamW updates bit for bit against the CPU ones over three steps, for every
// combination of momentum, dampening, weight decay, nesterov, amsgrad and decoupling: the element
// arithmetic (optim_elements.h) on the host, which runs without a device, then the kernels; plus
// the argument checks.
#include <string>
#include <vector>

#include "../../kernels/cpu/optim_update.h"
#include "../../kernels/cuda/optim_elements.h"
#include "../../kernels/cuda/optim_update.h"
#include "cuda_harness.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::Rng;
using test::sameBits;

namespace {

constexpr long long kLength = 4099;  // odd, and more than one block

std::vector<SgdHyper> sgdHypers() {
  std::vector<SgdHyper> hs;
  for (double momentum : {0.0, 0.9})
    for (double dampening : {0.0, 0.3})
      for (double wd : {0.0, 1e-2})
        for (bool nesterov : {false, true})
          if (!(nesterov && (momentum == 0 || dampening != 0))) hs.push_back({0.05, momentum, dampening, wd, nesterov});
  return hs;
}

std::vector<AdamHyper> adamHypers() {
  std::vector<AdamHyper> hs;
  for (bool decoupled : {false, true})
    for (double wd : {0.0, 0.05}) hs.push_back({1e-3, 0.9, 0.999, 1e-8, wd, decoupled, 1});
  hs.push_back({0.3, 0.5, 0.7, 1e-3, 0.1, false, 1});  // large steps: bias corrections far from 1
  return hs;
}

std::string sgdText(const SgdHyper& h) {
  return "momentum=" + std::to_string(h.momentum) + " dampening=" + std::to_string(h.dampening) +
         " wd=" + std::to_string(h.weightDecay) + " nesterov=" + std::to_string(h.nesterov);
}
std::string adamText(const AdamHyper& h, bool amsgrad) {
  return "lr=" + std::to_string(h.lr) + " beta1=" + std::to_string(h.beta1) + " wd=" + std::to_string(h.weightDecay) +
         " decoupled=" + std::to_string(h.decoupled) + " amsgrad=" + std::to_string(amsgrad);
}

}  // namespace

ATROUS_CUDA_ARGS_TEST(cudaOptimElementsMatchCpuBitForBit) {
  Rng rng(41);
  for (const SgdHyper& h : sgdHypers()) {
    auto p = rng.floats(kLength), buf = std::vector<float>(kLength), p2 = p, buf2 = buf;
    const SgdScalars k = sgdScalars(h);
    for (int step = 0; step < 3; ++step) {
      auto g = rng.floats(kLength);
      sgdStep({p.data(), kLength}, {g.data(), kLength}, {h.momentum != 0 ? buf.data() : nullptr, h.momentum != 0 ? kLength : 0}, h, step == 0);
      for (long long i = 0; i < kLength; ++i) cuda::optimelement::sgd(p2[i], g[i], &buf2[i], k, step == 0);
    }
    ctx.check(sameBits(p, p2) && (h.momentum == 0 || sameBits(buf, buf2)), "sgd elements [%s]", sgdText(h).c_str());
  }
  for (AdamHyper h : adamHypers())
    for (bool amsgrad : {false, true}) {
      auto p = rng.floats(kLength), m = std::vector<float>(kLength), v = m, vmax = m;
      auto p2 = p, m2 = m, v2 = v, vmax2 = vmax;
      for (h.step = 1; h.step <= 3; ++h.step) {
        auto g = rng.floats(kLength);
        adamStep({p.data(), kLength}, {g.data(), kLength}, {m.data(), kLength}, {v.data(), kLength},
                 {amsgrad ? vmax.data() : nullptr, amsgrad ? kLength : 0}, h);
        const AdamScalars k = adamScalars(h);
        for (long long i = 0; i < kLength; ++i)
          cuda::optimelement::adam(p2[i], g[i], m2[i], v2[i], amsgrad ? &vmax2[i] : nullptr, k);
      }
      ctx.check(sameBits(p, p2) && sameBits(m, m2) && sameBits(v, v2) && sameBits(vmax, vmax2), "adam elements [%s]",
                adamText(h, amsgrad).c_str());
    }
}

ATROUS_CUDA_TEST(cudaOptimMatchesCpuBitForBit) {
  Rng rng(42);
  for (const SgdHyper& h : sgdHypers()) {
    auto p = rng.floats(kLength), buf = std::vector<float>(kLength, 5.f);
    DeviceArray dP(p), dBuf(buf);
    bool same = true;
    for (int step = 0; step < 3; ++step) {
      auto g = rng.floats(kLength);
      DeviceArray dG(g);
      FloatSpan hostBuf{h.momentum != 0 ? buf.data() : nullptr, h.momentum != 0 ? kLength : 0};
      FloatSpan devBuf{h.momentum != 0 ? dBuf.data() : nullptr, h.momentum != 0 ? kLength : 0};
      sgdStep({p.data(), kLength}, {g.data(), kLength}, hostBuf, h, step == 0);
      Status s = cuda::sgdStep(dP.span(), dG.span(), devBuf, h, step == 0);
      same = same && s.isOk() && sameBits(dP.toHost(), p) && sameBits(dBuf.toHost(), buf);
    }
    ctx.check(same, "sgd [%s]: differs from the CPU kernel", sgdText(h).c_str());
  }
  for (AdamHyper h : adamHypers())
    for (bool amsgrad : {false, true}) {
      auto p = rng.floats(kLength), m = std::vector<float>(kLength), v = m, vmax = m;
      DeviceArray dP(p), dM(m), dV(v), dVmax(vmax);
      bool same = true;
      for (h.step = 1; h.step <= 3; ++h.step) {
        auto g = rng.floats(kLength);
        DeviceArray dG(g);
        adamStep({p.data(), kLength}, {g.data(), kLength}, {m.data(), kLength}, {v.data(), kLength},
                 {amsgrad ? vmax.data() : nullptr, amsgrad ? kLength : 0}, h);
        Status s = cuda::adamStep(dP.span(), dG.span(), dM.span(), dV.span(),
                                  {amsgrad ? dVmax.data() : nullptr, amsgrad ? kLength : 0}, h);
        same = same && s.isOk() && sameBits(dP.toHost(), p) && sameBits(dM.toHost(), m) &&
               sameBits(dV.toHost(), v) && sameBits(dVmax.toHost(), vmax);
      }
      ctx.check(same, "adam [%s]: differs from the CPU kernel", adamText(h, amsgrad).c_str());
    }
}

ATROUS_CUDA_ARGS_TEST(cudaOptimRejectsBadArguments) {
  std::vector<float> p(8), g(8), b(8), m(8), v(8);
  SgdHyper sgd{0.1, 0.9, 0, 0, false};
  AdamHyper adam{};
  AdamHyper adamW{};
  adamW.decoupled = true;
  AdamHyper badStep{};
  badStep.step = 0;
  struct Case { const char* what; Status s; const char* mentions; };
  const Case cases[] = {
      {"sgd short grad", cuda::sgdStep({p.data(), 8}, {g.data(), 7}, {b.data(), 8}, sgd, false),
       "sgdStep (cuda): grad expects 8 elements, but got 7"},
      {"sgd momentum without buffer", cuda::sgdStep({p.data(), 8}, {g.data(), 8}, {}, sgd, false),
       "sgdStep (cuda): momentumBuffer expects 8 elements, but got 0"},
      {"sgd infinite lr", cuda::sgdStep({p.data(), 8}, {g.data(), 8}, {b.data(), 8}, {INFINITY, 0, 0, 0, false}, false),
       "sgdStep (cuda): lr expects a finite number"},
      {"adam short expAvgSq", cuda::adamStep({p.data(), 8}, {g.data(), 8}, {m.data(), 8}, {v.data(), 6}, {}, adam),
       "adamStep (cuda): expAvgSq expects 8 elements, but got 6"},
      {"adamW short amsgrad buffer",
       cuda::adamStep({p.data(), 8}, {g.data(), 8}, {m.data(), 8}, {v.data(), 8}, {b.data(), 3}, adamW),
       "adamWStep (cuda): maxExpAvgSq expects 8 elements, but got 3"},
      {"adam step 0", cuda::adamStep({p.data(), 8}, {g.data(), 8}, {m.data(), 8}, {v.data(), 8}, {}, badStep),
       "adamStep (cuda): step expects an integer >= 1, but got 0"},
  };
  for (const Case& c : cases)
    ctx.check(!c.s.isOk() && c.s.message().find(c.mentions) != std::string::npos, "%s: expected '%s', got '%s'",
              c.what, c.mentions, c.s.message().c_str());
}
