#include "conv.h"

#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <string>
#include <utility>

#include "conv_depthwise.h"
#include "im2col.h"
#include "launch.h"
#include "sgemm.h"

namespace atrous::cuda {
namespace {

std::atomic<long long> workspaceBytes{kConvWorkspaceBytes};

constexpr int64_t kTargetBlocks = 256;   // weight gradient: K slices until about this many GEMM blocks
constexpr int64_t kMinSliceK = 256;      // ... but no slice shorter than this
constexpr int64_t kGemmTile = 128;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp4(int64_t v) { return (v + 3) / 4 * 4; }

Status checkBuffers(const char* op,
                    std::initializer_list<std::pair<const char*, std::pair<ConstFloatSpan, int64_t>>> list) {
  for (const auto& [arg, spanAndLength] : list) {
    const auto& [span, expected] = spanAndLength;
    if (span.size != expected)
      return Status::error(std::string(op) + ": " + arg + " expects " + std::to_string(expected) +
                           " elements, but got " + std::to_string(span.size));
    if (expected > 0 && span.data == nullptr)
      return Status::error(std::string(op) + ": " + arg + " expects a device pointer, but got null");
  }
  return Status::ok();
}

bool isPointwise(const ConvGeometry& g) {
  return g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 &&
         g.padBottom == 0 && g.padLeft == 0 && g.padRight == 0;
}

// One input channel per group: the direct kernels of conv_depthwise.h, since a group's GEMM
// (M = multiplier, K = KH*KW) would fill a sliver of each 128x128 tile. Pointwise stays a GEMM.
bool usesDepthwiseKernels(const ConvGeometry& g) { return g.inChannelsPerGroup() == 1 && !isPointwise(g); }

// Tiles of the batch: `images` whole images at a time while one image's columns fit the budget,
// else one image at a time in ranges of `pixels` output pixels (at least one).
struct TilePlan {
  int64_t images, pixels;
};

TilePlan planTiles(const ConvGeometry& g, int64_t floatsPerPixel) {
  const int64_t budget = std::max<int64_t>(1, workspaceBytes.load() / int64_t(sizeof(float)));
  const int64_t P = g.outH() * g.outW(), perImage = floatsPerPixel * P;
  if (perImage <= budget) return {std::min(g.batch, budget / perImage), P};
  return {1, std::max<int64_t>(1, budget / floatsPerPixel)};
}

template <class Body>
Status forEachTile(const ConvGeometry& g, const TilePlan& plan, Body body) {
  const int64_t P = g.outH() * g.outW();
  for (int64_t n0 = 0; n0 < g.batch; n0 += plan.images)
    for (int64_t p0 = 0; p0 < P; p0 += plan.pixels)
      ATROUS_RETURN_IF_ERROR(body(n0, std::min(plan.images, g.batch - n0), p0, std::min(plan.pixels, P - p0)));
  return Status::ok();
}

__global__ void addChannelBiasKernel(float* y, const float* bias, int pixels, int channels, int total) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t < total) y[t] += bias[(t / pixels) % channels];
}

// dyT[co * ld + n * pixels + j] = dy[n * channels * P + co * P + j] (dy at the tile's first pixel).
__global__ void gatherOutputTileKernel(const float* __restrict__ dy, float* __restrict__ dyT, int channels,
                                       int images, int pixels, int64_t P, int64_t ld, int total) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= total) return;
  const int j = t % pixels, n = (t / pixels) % images, co = t / (pixels * images);
  dyT[co * ld + int64_t(n) * pixels + j] = dy[(int64_t(n) * channels + co) * P + j];
}

// out[i] = [out[i] +] sum over s of partial[s * count + i], s in order.
__global__ void sumSlicesKernel(const float* __restrict__ partial, int slices, int count, bool accumulate,
                                float* __restrict__ out) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  float v = 0.f;
  for (int s = 0; s < slices; ++s) v += partial[int64_t(s) * count + i];
  out[i] = accumulate ? out[i] + v : v;
}

// One block per channel; each thread sums a fixed stride of (image, pixel) in float64, then a tree.
__global__ void biasGradientKernel(const float* __restrict__ dy, float* __restrict__ db, int64_t images,
                                   int64_t pixels, int channels) {
  __shared__ double partial[kThreads];
  const int c = blockIdx.x;
  double s = 0;
  for (int64_t e = threadIdx.x; e < images * pixels; e += blockDim.x) {
    const int64_t n = e / pixels, p = e % pixels;
    s += dy[(n * channels + c) * pixels + p];
  }
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (int(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) db[c] = static_cast<float>(partial[0]);
}

// How many K slices the weight gradient cuts L columns into, at most: enough GEMM blocks to fill
// the device, none shorter than kMinSliceK. Grows with L.
int64_t sliceBound(const ConvGeometry& g, int64_t L) {
  const int64_t kg = g.inChannelsPerGroup() * g.kernelH * g.kernelW;
  const int64_t blocksPerSlice = g.groups * ceilDiv(g.outChannelsPerGroup(), kGemmTile) * ceilDiv(kg, kGemmTile);
  return std::max<int64_t>(1, std::min(ceilDiv(kTargetBlocks, blocksPerSlice), L / kMinSliceK));
}

// {slices, columns per slice (a multiple of 4)} for L columns. slices * perSlice < L + 4 * sliceBound(L).
std::pair<int64_t, int64_t> planSlices(const ConvGeometry& g, int64_t L) {
  const int64_t perSlice = roundUp4(ceilDiv(L, sliceBound(g, L)));
  return {ceilDiv(L, perSlice), perSlice};
}

}  // namespace

void setConvWorkspaceBytes(long long bytes) { workspaceBytes.store(bytes > 0 ? bytes : kConvWorkspaceBytes); }

Status convForward(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan w, ConstFloatSpan bias, FloatSpan y,
                   Stream stream) {
  const char* op = "convForward (cuda)";
  ATROUS_RETURN_IF_ERROR(g.validate(op));
  ATROUS_RETURN_IF_ERROR(checkBuffers(op, {{"input", {x, g.inputSize()}},
                                           {"weight", {w, g.weightSize()}},
                                           {"output", {y, g.outputSize()}}}));
  if (bias.size != 0) ATROUS_RETURN_IF_ERROR(checkBuffers(op, {{"bias", {bias, g.outChannels}}}));
  if (usesDepthwiseKernels(g))
    return depthwiseForward(g, x.data, w.data, bias.size != 0 ? bias.data : nullptr, y.data, stream);

  const int64_t P = g.outH() * g.outW(), cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t kg = cinG * g.kernelH * g.kernelW, rows = g.inChannels * g.kernelH * g.kernelW;
  if (isPointwise(g)) {  // y[n][group] = W[group] * x[n][group]
    GemmBatch b{g.batch * g.groups, g.groups, 0, coutG * cinG, g.inChannels * P, cinG * P, g.outChannels * P, coutG * P};
    ATROUS_RETURN_IF_ERROR(sgemmBatched(false, false, coutG, P, cinG, 1.f, w.data, cinG, x.data, P, 0.f, y.data, P, b,
                                        stream));
  } else {
    const TilePlan plan = planTiles(g, rows);
    StreamScratch cols(stream);
    ATROUS_RETURN_IF_ERROR(cols.allocate(sizeof(float) * plan.images * plan.pixels * rows, op));
    ATROUS_RETURN_IF_ERROR(forEachTile(g, plan, [&](int64_t n0, int64_t nt, int64_t p0, int64_t pt) {
      const ColumnTile tile{nt, p0, pt, rows * pt, pt};
      ATROUS_RETURN_IF_ERROR(im2colDilated(g, x.data + n0 * g.inChannels * g.inH * g.inW, tile, cols.as<float>(), stream));
      GemmBatch b{nt * g.groups, g.groups, 0, coutG * kg, rows * pt, kg * pt, g.outChannels * P, coutG * P};
      return sgemmBatched(false, false, coutG, pt, kg, 1.f, w.data, kg, cols.as<float>(), pt, 0.f,
                          y.data + n0 * g.outChannels * P + p0, P, b, stream);
    }));
  }
  if (bias.size != 0) {
    const int64_t total = g.outputSize();
    addChannelBiasKernel<<<blocksFor(total), kThreads, 0, stream>>>(y.data, bias.data, int(P), int(g.outChannels),
                                                                     int(total));
    ATROUS_RETURN_IF_ERROR(launchStatus(op, "addChannelBiasKernel"));
  }
  return Status::ok();
}

Status convBackwardData(const ConvGeometry& g, ConstFloatSpan dy, ConstFloatSpan w, FloatSpan dx, Stream stream) {
  const char* op = "convBackwardData (cuda)";
  ATROUS_RETURN_IF_ERROR(g.validate(op));
  ATROUS_RETURN_IF_ERROR(checkBuffers(op, {{"gradOutput", {dy, g.outputSize()}},
                                           {"weight", {w, g.weightSize()}},
                                           {"gradInput", {dx, g.inputSize()}}}));
  if (usesDepthwiseKernels(g)) return depthwiseBackwardData(g, dy.data, w.data, dx.data, stream);
  const int64_t P = g.outH() * g.outW(), cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t kg = cinG * g.kernelH * g.kernelW, rows = g.inChannels * g.kernelH * g.kernelW;
  if (isPointwise(g)) {  // dx[n][group] = W[group]^T * dy[n][group]
    GemmBatch b{g.batch * g.groups, g.groups, 0, coutG * cinG, g.outChannels * P, coutG * P, g.inChannels * P, cinG * P};
    return sgemmBatched(true, false, cinG, P, coutG, 1.f, w.data, cinG, dy.data, P, 0.f, dx.data, P, b, stream);
  }
  const TilePlan plan = planTiles(g, rows);
  StreamScratch cols(stream);
  ATROUS_RETURN_IF_ERROR(cols.allocate(sizeof(float) * plan.images * plan.pixels * rows, op));
  return forEachTile(g, plan, [&](int64_t n0, int64_t nt, int64_t p0, int64_t pt) {
    GemmBatch b{nt * g.groups, g.groups, 0, coutG * kg, g.outChannels * P, coutG * P, rows * pt, kg * pt};
    ATROUS_RETURN_IF_ERROR(sgemmBatched(true, false, kg, pt, coutG, 1.f, w.data, kg,
                                        dy.data + n0 * g.outChannels * P + p0, P, 0.f, cols.as<float>(), pt, b,
                                        stream));
    const ColumnTile tile{nt, p0, pt, rows * pt, pt};
    // Pixel ranges of one image add up in dx; a tile of whole images writes it.
    return col2imDilated(g, cols.as<float>(), tile, /*accumulate=*/p0 > 0,
                         dx.data + n0 * g.inChannels * g.inH * g.inW, stream);
  });
}

Status convBackwardWeight(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan dy, FloatSpan dw, Stream stream) {
  const char* op = "convBackwardWeight (cuda)";
  ATROUS_RETURN_IF_ERROR(g.validate(op));
  ATROUS_RETURN_IF_ERROR(checkBuffers(op, {{"input", {x, g.inputSize()}},
                                           {"gradOutput", {dy, g.outputSize()}},
                                           {"gradWeight", {dw, g.weightSize()}}}));
  if (usesDepthwiseKernels(g)) return depthwiseBackwardWeight(g, x.data, dy.data, dw.data, stream);
  const int64_t P = g.outH() * g.outW(), coutG = g.outChannelsPerGroup();
  const int64_t kg = g.inChannelsPerGroup() * g.kernelH * g.kernelW, rows = g.inChannels * g.kernelH * g.kernelW;
  const int64_t weights = g.weightSize();
  // A tile's columns (rows x L) and gradient (Cout x L) with its images side by side, L padded so
  // that every K slice has the same length; then the slices' partial products.
  const TilePlan plan = planTiles(g, rows + g.outChannels);
  const int64_t maxColumns = plan.images * plan.pixels, maxSlices = sliceBound(g, maxColumns);
  const int64_t ld = roundUp4(maxColumns + 4 * maxSlices);  // > the padded L of every tile
  StreamScratch scratch(stream);
  const int64_t partialFloats = maxSlices > 1 ? maxSlices * weights : 0;
  ATROUS_RETURN_IF_ERROR(scratch.allocate(sizeof(float) * ((rows + g.outChannels) * ld + partialFloats), op));
  float* cols = scratch.as<float>();
  float* dyT = cols + rows * ld;
  float* partial = dyT + g.outChannels * ld;
  bool first = true;
  return forEachTile(g, plan, [&](int64_t n0, int64_t nt, int64_t p0, int64_t pt) {
    const int64_t L = nt * pt;
    const auto [slices, perSlice] = planSlices(g, L);
    const int64_t padded = slices * perSlice;
    ATROUS_RETURN_IF_ERROR(im2colDilated(g, x.data + n0 * g.inChannels * g.inH * g.inW, {nt, p0, pt, pt, padded},
                                         cols, stream));
    const int64_t total = g.outChannels * L;
    gatherOutputTileKernel<<<blocksFor(total), kThreads, 0, stream>>>(dy.data + n0 * g.outChannels * P + p0, dyT,
                                                                      int(g.outChannels), int(nt), int(pt), P, padded,
                                                                      int(total));
    ATROUS_RETURN_IF_ERROR(launchStatus(op, "gatherOutputTileKernel"));
    if (padded > L) {  // zero columns: the last slice's tail adds nothing
      const size_t pitch = sizeof(float) * padded, width = sizeof(float) * (padded - L);
      ATROUS_RETURN_IF_ERROR(checkCuda(cudaMemset2DAsync(cols + L, pitch, 0, width, rows, stream), op, "cudaMemset2DAsync"));
      ATROUS_RETURN_IF_ERROR(checkCuda(cudaMemset2DAsync(dyT + L, pitch, 0, width, g.outChannels, stream), op,
                                       "cudaMemset2DAsync"));
    }
    // dW[group] (coutG x kg) = dyT[group] (coutG x L) * cols[group]^T (L x kg), K sliced.
    if (slices == 1) {
      GemmBatch b{g.groups, g.groups, 0, coutG * padded, 0, kg * padded, 0, coutG * kg};
      ATROUS_RETURN_IF_ERROR(sgemmBatched(false, true, coutG, kg, padded, 1.f, dyT, padded, cols, padded,
                                          first ? 0.f : 1.f, dw.data, kg, b, stream));
    } else {
      GemmBatch b{slices * g.groups, g.groups, perSlice, coutG * padded, perSlice, kg * padded, weights, coutG * kg};
      ATROUS_RETURN_IF_ERROR(sgemmBatched(false, true, coutG, kg, perSlice, 1.f, dyT, padded, cols, padded, 0.f,
                                          partial, kg, b, stream));
      sumSlicesKernel<<<blocksFor(weights), kThreads, 0, stream>>>(partial, int(slices), int(weights), !first, dw.data);
      ATROUS_RETURN_IF_ERROR(launchStatus(op, "sumSlicesKernel"));
    }
    first = false;
    return Status::ok();
  });
}

Status convBackwardBias(const ConvGeometry& g, ConstFloatSpan dy, FloatSpan db, Stream stream) {
  const char* op = "convBackwardBias (cuda)";
  ATROUS_RETURN_IF_ERROR(g.validate(op));
  ATROUS_RETURN_IF_ERROR(checkBuffers(op, {{"gradOutput", {dy, g.outputSize()}}, {"gradBias", {db, g.outChannels}}}));
  biasGradientKernel<<<unsigned(g.outChannels), kThreads, 0, stream>>>(dy.data, db.data, g.batch, g.outH() * g.outW(),
                                                                        int(g.outChannels));
  return launchStatus(op, "biasGradientKernel");
}

}  // namespace atrous::cuda
