#include "reference.h"

namespace atrous::reference {

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, double alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        double a = transA ? A[k * lda + i] : A[i * lda + k];
        double b = transB ? B[j * ldb + k] : B[k * ldb + j];
        acc += a * b;
      }
      double& c = C[i * ldc + j];
      c = alpha * acc + (beta == 0 ? 0.0 : beta * c);
    }
}

namespace {

// Calls f(n, co, oh, ow, ci, kh, kw, ih, iw) for every tap that lands inside the input.
template <class F>
void forEachTap(const ConvGeometry& g, F f) {
  const int64_t OH = g.outH(), OW = g.outW(), cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t co = 0; co < g.outChannels; ++co) {
      const int64_t grp = co / coutG;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow)
          for (int64_t cl = 0; cl < cinG; ++cl)
            for (int64_t kh = 0; kh < g.kernelH; ++kh) {
              const int64_t ih = oh * g.strideH - g.padTop + kh * g.dilationH;
              if (ih < 0 || ih >= g.inH) continue;
              for (int64_t kw = 0; kw < g.kernelW; ++kw) {
                const int64_t iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
                if (iw < 0 || iw >= g.inW) continue;
                f(n, co, oh, ow, grp * cinG + cl, cl, kh, kw, ih, iw);
              }
            }
    }
}

}  // namespace

std::vector<double> convForward(const ConvGeometry& g, const float* x, const float* w, const float* bias) {
  const int64_t OH = g.outH(), OW = g.outW();
  std::vector<double> y(static_cast<size_t>(g.outputSize()), 0.0);
  forEachTap(g, [&](int64_t n, int64_t co, int64_t oh, int64_t ow, int64_t ci, int64_t cl, int64_t kh,
                    int64_t kw, int64_t ih, int64_t iw) {
    y[((n * g.outChannels + co) * OH + oh) * OW + ow] +=
        static_cast<double>(x[((n * g.inChannels + ci) * g.inH + ih) * g.inW + iw]) *
        w[((co * g.inChannelsPerGroup() + cl) * g.kernelH + kh) * g.kernelW + kw];
  });
  if (bias)
    for (int64_t n = 0; n < g.batch; ++n)
      for (int64_t co = 0; co < g.outChannels; ++co)
        for (int64_t p = 0; p < OH * OW; ++p) y[(n * g.outChannels + co) * OH * OW + p] += bias[co];
  return y;
}

std::vector<double> convBackwardData(const ConvGeometry& g, const float* dy, const float* w) {
  const int64_t OH = g.outH(), OW = g.outW();
  std::vector<double> dx(static_cast<size_t>(g.inputSize()), 0.0);
  forEachTap(g, [&](int64_t n, int64_t co, int64_t oh, int64_t ow, int64_t ci, int64_t cl, int64_t kh,
                    int64_t kw, int64_t ih, int64_t iw) {
    dx[((n * g.inChannels + ci) * g.inH + ih) * g.inW + iw] +=
        static_cast<double>(dy[((n * g.outChannels + co) * OH + oh) * OW + ow]) *
        w[((co * g.inChannelsPerGroup() + cl) * g.kernelH + kh) * g.kernelW + kw];
  });
  return dx;
}

std::vector<double> convBackwardWeight(const ConvGeometry& g, const float* x, const float* dy) {
  const int64_t OH = g.outH(), OW = g.outW();
  std::vector<double> dw(static_cast<size_t>(g.weightSize()), 0.0);
  forEachTap(g, [&](int64_t n, int64_t co, int64_t oh, int64_t ow, int64_t ci, int64_t cl, int64_t kh,
                    int64_t kw, int64_t ih, int64_t iw) {
    dw[((co * g.inChannelsPerGroup() + cl) * g.kernelH + kh) * g.kernelW + kw] +=
        static_cast<double>(dy[((n * g.outChannels + co) * OH + oh) * OW + ow]) *
        x[((n * g.inChannels + ci) * g.inH + ih) * g.inW + iw];
  });
  return dw;
}

std::vector<double> convBackwardBias(const ConvGeometry& g, const float* dy) {
  const int64_t P = g.outH() * g.outW();
  std::vector<double> db(static_cast<size_t>(g.outChannels), 0.0);
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t co = 0; co < g.outChannels; ++co)
      for (int64_t p = 0; p < P; ++p) db[co] += dy[(n * g.outChannels + co) * P + p];
  return db;
}

}  // namespace atrous::reference
