#include "batchnorm.h"

#include <algorithm>

#include "batchnorm_channels.h"
#include "device_checks.h"
#include "launch.h"

namespace atrous::cuda {
namespace {

constexpr int64_t kMinPerSlice = 8192;
constexpr int64_t kMaxSlices = 64;

// Channel c's values, e in [0, batch·spatial), and how they are cut into slices (by shape alone).
struct ChannelLayout {
  int64_t channels, spatial, count, slices, chunk;
  __device__ int64_t index(int64_t e, int64_t c) const { return (e / spatial * channels + c) * spatial + e % spatial; }
};

ChannelLayout layoutOf(const BatchNormShape& s) {
  const int64_t count = s.batch * s.spatial;
  const int64_t slices = std::clamp<int64_t>((count + kMinPerSlice - 1) / kMinPerSlice, 1, kMaxSlices);
  return ChannelLayout{s.channels, s.spatial, count, slices, (count + slices - 1) / slices};
}

unsigned gridFor(int64_t items) { return static_cast<unsigned>(std::min<int64_t>((items + kThreads - 1) / kThreads, 65535 * 8)); }

#define ATROUS_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

struct SumOfX {
  const float* x;
  __device__ void operator()(int64_t i, int64_t, double& a, double&) const { a = addRn(a, double(x[i])); }
};
struct SumOfSquares {
  const float* x;
  const double* mean;
  __device__ void operator()(int64_t i, int64_t c, double& a, double&) const {
    a = addRn(a, bnmath::squareTerm(x[i], mean[c]));
  }
};
struct SumsOfGradient {  // Σ dy and Σ dy·(x − mean)
  const float* x;
  const float* dy;
  const float* saveMean;
  __device__ void operator()(int64_t i, int64_t c, double& a, double& b) const {
    a = addRn(a, double(dy[i]));
    b = addRn(b, bnmath::centeredTerm(dy[i], x[i], double(saveMean[c])));
  }
};

// Block (c, slice) sums two terms over its slice of channel c: a fixed stride per thread, then a tree.
template <class Terms>
__global__ void channelPartialsKernel(ChannelLayout L, Terms terms, double2* __restrict__ partial) {
  __shared__ double sa[kThreads], sb[kThreads];
  const int64_t c = blockIdx.x, slice = blockIdx.y;
  const int64_t begin = slice * L.chunk, end = min(begin + L.chunk, L.count);
  double a = 0, b = 0;
  for (int64_t e = begin + threadIdx.x; e < end; e += blockDim.x) terms(L.index(e, c), c, a, b);
  sa[threadIdx.x] = a, sb[threadIdx.x] = b;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (int(threadIdx.x) < half) {
      sa[threadIdx.x] = addRn(sa[threadIdx.x], sa[threadIdx.x + half]);
      sb[threadIdx.x] = addRn(sb[threadIdx.x], sb[threadIdx.x + half]);
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[c * L.slices + slice] = make_double2(sa[0], sb[0]);
}

// Channel c's slices, added in order.
__device__ double2 channelTotal(const double2* partial, int64_t slices, int64_t c) {
  double a = 0, b = 0;
  for (int64_t s = 0; s < slices; ++s) a = addRn(a, partial[c * slices + s].x), b = addRn(b, partial[c * slices + s].y);
  return make_double2(a, b);
}

__global__ void meanKernel(const double2* __restrict__ partial, ChannelLayout L, double* __restrict__ mean) {
  ATROUS_GRID_STRIDE(c, L.channels) mean[c] = channelTotal(partial, L.slices, c).x / double(L.count);
}

struct TrainOutputs {
  const float* gamma;
  const float* beta;
  float* runningMean;
  float* runningVar;
  float* saveMean;
  float* saveInvStd;
  bnmath::Affine* affine;
};

__global__ void trainStatsKernel(const double2* __restrict__ partial, ChannelLayout L, const double* __restrict__ mean,
                                 double eps, double factor, TrainOutputs o) {
  ATROUS_GRID_STRIDE(c, L.channels) {
    const double squares = channelTotal(partial, L.slices, c).x;
    const double invStd = bnmath::invStdOf(squares / double(L.count), eps);
    o.saveMean[c] = float(mean[c]);
    o.saveInvStd[c] = float(invStd);
    if (o.runningMean) {
      o.runningMean[c] = bnmath::runningUpdate(o.runningMean[c], factor, mean[c]);
      o.runningVar[c] = bnmath::runningUpdate(o.runningVar[c], factor, squares / double(L.count - 1));
    }
    o.affine[c] = bnmath::affineOf(mean[c], invStd, o.gamma ? o.gamma[c] : 1.0, o.beta ? o.beta[c] : 0.0);
  }
}

__global__ void evalStatsKernel(const float* __restrict__ runningMean, const float* __restrict__ runningVar,
                                int64_t channels, double eps, TrainOutputs o) {
  ATROUS_GRID_STRIDE(c, channels) {
    const double mean = runningMean[c];
    const double invStd = bnmath::invStdOf(double(runningVar[c]), eps);
    o.saveMean[c] = float(mean);
    o.saveInvStd[c] = float(invStd);
    o.affine[c] = bnmath::affineOf(mean, invStd, o.gamma ? o.gamma[c] : 1.0, o.beta ? o.beta[c] : 0.0);
  }
}

// y may be x.
__global__ void normaliseKernel(const float* x, const bnmath::Affine* __restrict__ affine, float* y, int64_t total,
                                int64_t channels, int64_t spatial) {
  ATROUS_GRID_STRIDE(i, total) y[i] = bnmath::normalise(x[i], affine[i / spatial % channels]);
}

__global__ void backwardStatsKernel(const double2* __restrict__ partial, ChannelLayout L,
                                    const float* __restrict__ saveInvStd, const float* __restrict__ gamma,
                                    float* __restrict__ dgamma, float* __restrict__ dbeta,
                                    bnmath::BackwardCoefficients* __restrict__ coefficients) {
  ATROUS_GRID_STRIDE(c, L.channels) {
    const double2 sums = channelTotal(partial, L.slices, c);  // Σ dy, Σ dy·(x − mean)
    const double invStd = saveInvStd[c];
    if (dgamma) dgamma[c] = float(sums.y * invStd);
    if (dbeta) dbeta[c] = float(sums.x);
    coefficients[c] = bnmath::backwardCoefficients(sums.x, sums.y, invStd, gamma ? gamma[c] : 1.0, double(L.count));
  }
}

// dx may be dy or x.
__global__ void backwardDxKernel(const float* x, const float* dy, const float* __restrict__ saveMean,
                                 const bnmath::BackwardCoefficients* __restrict__ coefficients, bool batchStats,
                                 float* dx, int64_t total, int64_t channels, int64_t spatial) {
  ATROUS_GRID_STRIDE(i, total) {
    const int64_t c = i / spatial % channels;
    dx[i] = batchStats ? bnmath::dxWithBatchStats(dy[i], x[i], double(saveMean[c]), coefficients[c])
                       : bnmath::dxWithFixedStats(dy[i], coefficients[c].scale);
  }
}

template <class Terms>
Status launchPartials(const char* fn, const ChannelLayout& L, Terms terms, double2* partial, Stream stream) {
  channelPartialsKernel<<<dim3(unsigned(L.channels), unsigned(L.slices)), kThreads, 0, stream>>>(L, terms, partial);
  return launchStatus(fn, "channelPartialsKernel");
}

}  // namespace

Status batchNormForwardTrain(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma, ConstFloatSpan beta,
                             double eps, double factor, FloatSpan runningMean, FloatSpan runningVar, FloatSpan y,
                             FloatSpan saveMean, FloatSpan saveInvStd, Stream stream) {
  const char* fn = "batchNormForwardTrain (cuda)";
  ATROUS_RETURN_IF_ERROR(validateBatchNormTrain(fn, s, x, gamma, beta, eps, factor, runningMean, runningVar, y,
                                                saveMean, saveInvStd));
  const ChannelLayout L = layoutOf(s);
  StreamScratch partial(stream), mean(stream), affine(stream);
  ATROUS_RETURN_IF_ERROR(partial.allocate(sizeof(double2) * L.channels * L.slices, fn));
  ATROUS_RETURN_IF_ERROR(mean.allocate(sizeof(double) * L.channels, fn));
  ATROUS_RETURN_IF_ERROR(affine.allocate(sizeof(bnmath::Affine) * L.channels, fn));
  // Two passes, as on the CPU: the variance from (x − mean)², no cancellation when the mean is large.
  ATROUS_RETURN_IF_ERROR(launchPartials(fn, L, SumOfX{x.data}, partial.as<double2>(), stream));
  meanKernel<<<gridFor(L.channels), kThreads, 0, stream>>>(partial.as<double2>(), L, mean.as<double>());
  ATROUS_RETURN_IF_ERROR(launchStatus(fn, "meanKernel"));
  ATROUS_RETURN_IF_ERROR(launchPartials(fn, L, SumOfSquares{x.data, mean.as<double>()}, partial.as<double2>(), stream));
  const TrainOutputs o{gamma.data,    beta.data,       runningMean.data,           runningVar.data,
                       saveMean.data, saveInvStd.data, affine.as<bnmath::Affine>()};
  trainStatsKernel<<<gridFor(L.channels), kThreads, 0, stream>>>(partial.as<double2>(), L, mean.as<double>(), eps,
                                                                 factor, o);
  ATROUS_RETURN_IF_ERROR(launchStatus(fn, "trainStatsKernel"));
  normaliseKernel<<<gridFor(s.size()), kThreads, 0, stream>>>(x.data, affine.as<bnmath::Affine>(), y.data, s.size(),
                                                              s.channels, s.spatial);
  return launchStatus(fn, "normaliseKernel");
}

Status batchNormForwardEval(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma, ConstFloatSpan beta,
                            double eps, ConstFloatSpan runningMean, ConstFloatSpan runningVar, FloatSpan y,
                            FloatSpan saveMean, FloatSpan saveInvStd, Stream stream) {
  const char* fn = "batchNormForwardEval (cuda)";
  ATROUS_RETURN_IF_ERROR(
      validateBatchNormEval(fn, s, x, gamma, beta, eps, runningMean, runningVar, y, saveMean, saveInvStd));
  ATROUS_RETURN_IF_ERROR(checkPositiveWithEps(fn, "runningVar", runningVar.data, s.channels, eps, stream));
  StreamScratch affine(stream);
  ATROUS_RETURN_IF_ERROR(affine.allocate(sizeof(bnmath::Affine) * s.channels, fn));
  const TrainOutputs o{gamma.data, beta.data, nullptr, nullptr, saveMean.data, saveInvStd.data,
                       affine.as<bnmath::Affine>()};
  evalStatsKernel<<<gridFor(s.channels), kThreads, 0, stream>>>(runningMean.data, runningVar.data, s.channels, eps, o);
  ATROUS_RETURN_IF_ERROR(launchStatus(fn, "evalStatsKernel"));
  normaliseKernel<<<gridFor(s.size()), kThreads, 0, stream>>>(x.data, affine.as<bnmath::Affine>(), y.data, s.size(),
                                                              s.channels, s.spatial);
  return launchStatus(fn, "normaliseKernel");
}

Status batchNormBackward(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan dy, ConstFloatSpan gamma,
                         ConstFloatSpan saveMean, ConstFloatSpan saveInvStd, bool batchStats, FloatSpan dx,
                         FloatSpan dgamma, FloatSpan dbeta, Stream stream) {
  const char* fn = "batchNormBackward (cuda)";
  ATROUS_RETURN_IF_ERROR(validateBatchNormBackward(fn, s, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta));
  const ChannelLayout L = layoutOf(s);
  StreamScratch partial(stream), coefficients(stream);
  ATROUS_RETURN_IF_ERROR(partial.allocate(sizeof(double2) * L.channels * L.slices, fn));
  ATROUS_RETURN_IF_ERROR(coefficients.allocate(sizeof(bnmath::BackwardCoefficients) * L.channels, fn));
  ATROUS_RETURN_IF_ERROR(
      launchPartials(fn, L, SumsOfGradient{x.data, dy.data, saveMean.data}, partial.as<double2>(), stream));
  backwardStatsKernel<<<gridFor(L.channels), kThreads, 0, stream>>>(partial.as<double2>(), L, saveInvStd.data,
                                                                    gamma.data, dgamma.data, dbeta.data,
                                                                    coefficients.as<bnmath::BackwardCoefficients>());
  ATROUS_RETURN_IF_ERROR(launchStatus(fn, "backwardStatsKernel"));
  if (dx.data == nullptr) return Status::ok();
  backwardDxKernel<<<gridFor(s.size()), kThreads, 0, stream>>>(x.data, dy.data, saveMean.data,
                                                               coefficients.as<bnmath::BackwardCoefficients>(),
                                                               batchStats, dx.data, s.size(), s.channels, s.spatial);
  return launchStatus(fn, "backwardDxKernel");
}

}  // namespace atrous::cuda
