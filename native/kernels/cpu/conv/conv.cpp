#include "conv.h"

#include <algorithm>
#include <string>
#include <vector>

#include "depthwise.h"
#include "direct.h"
#include "forward_channels_last.h"
#include "gemm_paths.h"
#include "stride_fold.h"
#include "weight_by_tap.h"
#include "weight_channels_last.h"
#include "winograd.h"
#include "../elementwise.h"
#include "../parallel_ranges.h"
#include "../reusable_scratch.h"
#include "../thread_pool.h"

namespace atrous {
namespace {

Status checkLength(const char* op, const char* arg, long long got, int64_t expected) {
  if (got == expected) return Status::ok();
  return Status::error(std::string(op) + ": " + arg + " expects " + std::to_string(expected) +
                       " elements, but got " + std::to_string(got));
}

Status checkBuffers(const char* op, std::initializer_list<std::pair<const char*, std::pair<long long, int64_t>>> list) {
  for (const auto& [arg, lens] : list) {
    Status s = checkLength(op, arg, lens.first, lens.second);
    if (!s.isOk()) return s;
  }
  return Status::ok();
}

// Runs the plan's path on geometry g: the plan's own, or one chunk of it (a folded conv's last chunk
// may hold fewer images; every path runs any batch).
void forwardPath(const ConvPlan& p, const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  switch (p.path) {
    case ConvPath::Dense: return denseForwardWhole(g, x, w, bias, y);
    case ConvPath::ByRegion: return denseForwardByRegion(g, p.windows, p.limits.gemmScratchFloats, x, w, bias, y);
    case ConvPath::Direct: return directForward(g, x, w, bias, y, p.imagesInParallel);
    case ConvPath::ChannelsLast: return forwardChannelsLast(g, p.bandRows, x, w, bias, y);
    case ConvPath::Depthwise: return depthwiseForwardRows(g, x, w, bias, y);
    case ConvPath::DepthwisePadded: return depthwiseForwardPadded(g, x, w, bias, y);
    case ConvPath::DepthwiseShifted: return depthwiseForwardShifted(g, x, w, bias, y);
    case ConvPath::Winograd: return forwardWinograd(g, p.bandRows, x, w, bias, y);
    default: return;  // the planner gives a forward plan forward paths only
  }
}

void dataPath(const ConvPlan& p, const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  switch (p.path) {
    case ConvPath::AsForward: {
      thread_local ReusableScratch weightScratch;
      ConvGeometry t = p.transposed;
      t.batch = g.batch;
      return forwardPath(p.inner[0], t, dy, flippedTransposedWeight(g, w, weightScratch), nullptr, dx);
    }
    case ConvPath::ByColumns: return backwardDataByColumns(g, p.tilePixels, dy, w, dx);
    case ConvPath::Depthwise: return depthwiseBackwardData(g, dy, w, dx);
    default: return;
  }
}

void weightPath(const ConvPlan& p, const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  switch (p.path) {
    case ConvPath::Dense: return backwardWeightDense(g, p.tilePixels, p.perThread, x, dy, dw);
    case ConvPath::ByRegion: return backwardWeightByRegion(g, p.windows, p.limits.regionBandFloats, x, dy, dw);
    case ConvPath::ByTap: return backwardWeightByTap(g, x, dy, dw, p.pathChunkImages);
    case ConvPath::ChannelsLast: return backwardWeightChannelsLast(g, x, dy, dw, p.perThread, p.pathChunkImages);
    case ConvPath::Winograd: return backwardWeightWinograd(g, p.bandRows, x, dy, dw);
    case ConvPath::Depthwise: return depthwiseBackwardWeightRows(g, x, dy, dw);
    case ConvPath::DepthwiseShifted: return depthwiseBackwardWeightShifted(g, x, dy, dw);
    default: return;
  }
}

// The channels-last copies read a folded conv's input through the fold (g: the call's geometry).
InputSampling samplingOf(const ConvPlan& p, const ConvGeometry& g) {
  return {p.fold.factorH, p.fold.factorW, g.inH, g.inW};
}

void runForward(const ConvPlan& p, const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  if (!p.folded) return forwardPath(p, p.geometry, x, w, bias, y);
  if (p.sampled) return forwardChannelsLast(p.geometry, p.bandRows, x, w, bias, y, samplingOf(p, g));
  ConvGeometry f = p.geometry;
  const int64_t perImage = f.inChannels * f.inH * f.inW;
  thread_local std::vector<float> xs;
  xs.resize(static_cast<size_t>(p.chunkImages * perImage));
  for (int64_t n0 = 0; n0 < g.batch; n0 += p.chunkImages) {
    f.batch = std::min(p.chunkImages, g.batch - n0);
    subsampleInput(g, p.fold, x + n0 * g.inChannels * g.inH * g.inW, f.batch, xs.data());
    forwardPath(p, f, xs.data(), w, bias, y + n0 * g.outChannels * g.outH() * g.outW());
  }
}

// The folded conv's data gradient lands on the subsampled positions; every other position of dx is zero.
void runData(const ConvPlan& p, const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  if (!p.folded) return dataPath(p, p.geometry, dy, w, dx);
  ConvGeometry f = p.geometry;
  const int64_t perImage = f.inChannels * f.inH * f.inW;
  thread_local std::vector<float> dxs;
  dxs.resize(static_cast<size_t>(p.chunkImages * perImage));
  for (int64_t n0 = 0; n0 < g.batch; n0 += p.chunkImages) {
    f.batch = std::min(p.chunkImages, g.batch - n0);
    dataPath(p, f, dy + n0 * g.outChannels * g.outH() * g.outW(), w, dxs.data());
    scatterSubsampled(g, p.fold, dxs.data(), f.batch, dx + n0 * g.inChannels * g.inH * g.inW);
  }
}

// The folded conv's weight gradient of the subsampled input, summed over the chunks of images.
void runWeight(const ConvPlan& p, const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  if (!p.folded) return weightPath(p, p.geometry, x, dy, dw);
  if (p.sampled)  // its copy subsamples as it goes: no subsampled copy first
    return backwardWeightChannelsLast(p.geometry, x, dy, dw, p.perThread, p.pathChunkImages, samplingOf(p, g));
  ConvGeometry f = p.geometry;
  const int64_t perImage = f.inChannels * f.inH * f.inW, wsize = g.weightSize();
  thread_local std::vector<float> xs;
  xs.resize(static_cast<size_t>(p.chunkImages * perImage));
  std::vector<float> dwChunk(p.chunkImages < g.batch ? static_cast<size_t>(wsize) : 0);
  for (int64_t n0 = 0; n0 < g.batch; n0 += p.chunkImages) {
    f.batch = std::min(p.chunkImages, g.batch - n0);
    subsampleInput(g, p.fold, x + n0 * g.inChannels * g.inH * g.inW, f.batch, xs.data());
    const float* dyChunk = dy + n0 * g.outChannels * g.outH() * g.outW();
    if (n0 == 0) {
      weightPath(p, f, xs.data(), dyChunk, dw);
      continue;
    }
    weightPath(p, f, xs.data(), dyChunk, dwChunk.data());
    for (int64_t i = 0; i < wsize; ++i) dw[i] += dwChunk[i];
  }
}

}  // namespace

Status convForward(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan w, ConstFloatSpan bias, FloatSpan y) {
  const char* op = "convForward";
  Status s = g.validate(op);
  if (s.isOk())
    s = checkBuffers(op, {{"input", {x.size, g.inputSize()}}, {"weight", {w.size, g.weightSize()}},
                          {"output", {y.size, g.outputSize()}}});
  if (s.isOk() && bias.size != 0) s = checkLength(op, "bias", bias.size, g.outChannels);
  ConvPlan plan;
  if (s.isOk()) s = planConvFromEnvironment(g, ConvPass::Forward, &plan);
  if (!s.isOk()) return s;
  runForward(plan, g, x.data, w.data, bias.size ? bias.data : nullptr, y.data);
  return Status::ok();
}

Status convBackwardData(const ConvGeometry& g, ConstFloatSpan dy, ConstFloatSpan w, FloatSpan dx) {
  const char* op = "convBackwardData";
  Status s = g.validate(op);
  if (s.isOk())
    s = checkBuffers(op, {{"gradOutput", {dy.size, g.outputSize()}}, {"weight", {w.size, g.weightSize()}},
                          {"gradInput", {dx.size, g.inputSize()}}});
  ConvPlan plan;
  if (s.isOk()) s = planConvFromEnvironment(g, ConvPass::Data, &plan);
  if (!s.isOk()) return s;
  runData(plan, g, dy.data, w.data, dx.data);
  return Status::ok();
}

Status convBackwardWeight(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan dy, FloatSpan dw) {
  const char* op = "convBackwardWeight";
  Status s = g.validate(op);
  if (s.isOk())
    s = checkBuffers(op, {{"input", {x.size, g.inputSize()}}, {"gradOutput", {dy.size, g.outputSize()}},
                          {"gradWeight", {dw.size, g.weightSize()}}});
  ConvPlan plan;
  if (s.isOk()) s = planConvFromEnvironment(g, ConvPass::Weight, &plan);
  if (!s.isOk()) return s;
  runWeight(plan, g, x.data, dy.data, dw.data);
  return Status::ok();
}

Status convExecute(const ConvPlan& plan, const ConvGeometry& g, ConstFloatSpan a, ConstFloatSpan b, ConstFloatSpan bias,
                   FloatSpan out) {
  const char* op = "convExecute";
  Status s = g.validate(op);
  if (!s.isOk()) return s;
  if (plan.planned.describe() != g.describe())
    return Status::error(std::string(op) + ": the plan was made for [" + plan.planned.describe() + "], not for [" +
                         g.describe() + "]");
  switch (plan.pass) {
    case ConvPass::Forward:
      s = checkBuffers(op, {{"input", {a.size, g.inputSize()}}, {"weight", {b.size, g.weightSize()}},
                            {"output", {out.size, g.outputSize()}}});
      if (s.isOk() && bias.size != 0) s = checkLength(op, "bias", bias.size, g.outChannels);
      if (s.isOk()) runForward(plan, g, a.data, b.data, bias.size ? bias.data : nullptr, out.data);
      return s;
    case ConvPass::Data:
      s = checkBuffers(op, {{"gradOutput", {a.size, g.outputSize()}}, {"weight", {b.size, g.weightSize()}},
                            {"gradInput", {out.size, g.inputSize()}}});
      if (s.isOk()) runData(plan, g, a.data, b.data, out.data);
      return s;
    case ConvPass::Weight:
      s = checkBuffers(op, {{"input", {a.size, g.inputSize()}}, {"gradOutput", {b.size, g.outputSize()}},
                            {"gradWeight", {out.size, g.weightSize()}}});
      if (s.isOk()) runWeight(plan, g, a.data, b.data, out.data);
      return s;
  }
  return Status::error("convExecute: unknown pass");
}

Status convBackwardBias(const ConvGeometry& g, ConstFloatSpan dy, FloatSpan db) {
  const char* op = "convBackwardBias";
  Status s = g.validate(op);
  if (s.isOk()) s = checkBuffers(op, {{"gradOutput", {dy.size, g.outputSize()}}, {"gradBias", {db.size, g.outChannels}}});
  if (!s.isOk()) return s;
  // float64 (a channel's sum may cancel to near zero): each [n, c] row summed with independent
  // partial sums (blockSum), in parallel, then each channel's rows added in n order: the same
  // result for any thread count.
  const int64_t P = g.outH() * g.outW(), rows = g.batch * g.outChannels;
  std::vector<double> rowSums(static_cast<size_t>(rows));
  parallelRanges(rows, P, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) rowSums[r] = blockSum(dy.data + r * P, P);
  });
  for (int64_t co = 0; co < g.outChannels; ++co) {
    double total = 0;
    for (int64_t n = 0; n < g.batch; ++n) total += rowSums[n * g.outChannels + co];
    db.data[co] = static_cast<float>(total);
  }
  return Status::ok();
}

}  // namespace atrous
