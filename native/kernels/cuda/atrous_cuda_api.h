/* The C ABI of libatrous_cuda: one table of entry points that the CPU addon finds at run time with
 * dlopen + dlsym("atrous_cuda_api"), so that the addon never links CUDA and one package serves machines
 * with and without a GPU. Plain C types only: the addon is built by node-gyp without CUDA headers.
 * The addon refuses a table whose abiVersion or structSize differ from its own (a library from
 * another build) instead of calling into it.
 *
 * Conventions: pointers in AtrousIn/AtrousOut are device pointers with their lengths in floats;
 * the library checks every length against the geometry (as the C++ kernels do) before queuing work.
 * Each function returns 0 on success, or nonzero with the reason in lastError() (per thread).
 * Kernels run asynchronously on the default stream; copyToHost and sum wait for them. */
#ifndef ATROUS_CUDA_API_H
#define ATROUS_CUDA_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATROUS_CUDA_ABI_VERSION 5

typedef struct AtrousIn {
  const float* data;
  int64_t size;
} AtrousIn;

typedef struct AtrousOut {
  float* data;
  int64_t size;
} AtrousOut;

/* int32 device arrays: max-pool indices and class targets. */
typedef struct AtrousIntIn {
  const int32_t* data;
  int64_t size;
} AtrousIntIn;

typedef struct AtrousIntOut {
  int32_t* data;
  int64_t size;
} AtrousIntOut;

/* atrous::Nchw, PoolWindow, BatchNormShape, SgdHyper and AdamHyper (native/kernels/cpu/). */
typedef struct AtrousNchw {
  int64_t n, c, h, w;
} AtrousNchw;

typedef struct AtrousPoolWindow {
  int64_t kernelH, kernelW, strideH, strideW, padH, padW;
} AtrousPoolWindow;

typedef struct AtrousBatchNormShape {
  int64_t batch, channels, spatial;
} AtrousBatchNormShape;

typedef struct AtrousSgd {
  double lr, momentum, dampening, weightDecay;
  int32_t nesterov;
} AtrousSgd;

typedef struct AtrousAdam {
  double lr, beta1, beta2, eps, weightDecay;
  int32_t decoupled;
  int64_t step;
} AtrousAdam;

/* The fields of atrous::ConvGeometry (native/kernels/conv_geometry.h), in its order. */
typedef struct AtrousConvGeometry {
  int64_t batch, inChannels, inH, inW;
  int64_t outChannels, kernelH, kernelW;
  int64_t strideH, strideW;
  int64_t padTop, padBottom, padLeft, padRight;
  int64_t dilationH, dilationW;
  int64_t groups;
} AtrousConvGeometry;

typedef struct AtrousCudaApi {
  uint32_t abiVersion; /* ATROUS_CUDA_ABI_VERSION */
  uint32_t structSize; /* sizeof(AtrousCudaApi) */

  /* The message of the last failed call on this thread ("" if none). */
  const char* (*lastError)(void);
  /* 0 when device 0 is usable; else lastError() says why (no driver, no device, too old). */
  int (*probe)(void);
  /* "NVIDIA H200 (sm_90, 132 SMs)" once probe() succeeded, else "". */
  const char* (*deviceName)(void);

  /* Device memory and copies (bytes). allocate(0) gives NULL; release(NULL) is a no-op. */
  int (*allocate)(size_t bytes, void** out);
  int (*release)(void* p);
  int (*copyToDevice)(void* dst, const void* src, size_t bytes);
  int (*copyToHost)(void* dst, const void* src, size_t bytes);
  int (*copyOnDevice)(void* dst, const void* src, size_t bytes);
  int (*synchronize)(void);

  /* C = alpha op(A) op(B) + beta C, row-major (native/kernels/cuda/sgemm.h). */
  int (*sgemm)(int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha, AtrousIn a, int64_t lda,
               AtrousIn b, int64_t ldb, float beta, AtrousOut c, int64_t ldc);

  /* Convolution, NCHW (native/kernels/cuda/conv.h); bias.size == 0: no bias. */
  int (*convForward)(const AtrousConvGeometry* g, AtrousIn x, AtrousIn w, AtrousIn bias, AtrousOut y);
  int (*convBackwardData)(const AtrousConvGeometry* g, AtrousIn dy, AtrousIn w, AtrousOut dx);
  int (*convBackwardWeight)(const AtrousConvGeometry* g, AtrousIn x, AtrousIn dy, AtrousOut dw);
  int (*convBackwardBias)(const AtrousConvGeometry* g, AtrousIn dy, AtrousOut db);

  /* Elementwise (native/kernels/cuda/elementwise.h); out may be an input itself. */
  int (*add)(AtrousIn a, AtrousIn b, AtrousOut out);
  int (*mul)(AtrousIn a, AtrousIn b, AtrousOut out);
  int (*axpby)(AtrousIn a, float alpha, AtrousIn b, float beta, AtrousOut out);
  int (*relu)(AtrousIn x, AtrousOut out);
  int (*reluBackward)(AtrousIn x, AtrousIn dy, AtrousOut dx);
  int (*fill)(AtrousOut out, float value);
  /* *result (host) = the float64 sum of x; waits for the device. */
  int (*sum)(AtrousIn x, double* result);

  /* ABI 2: the rest of a training step (the CPU kernels' semantics; see the CUDA headers). */
  int (*sub)(AtrousIn a, AtrousIn b, AtrousOut out);
  int (*scaleShift)(AtrousIn a, float alpha, float beta, AtrousOut out); /* out = a * alpha + beta */
  int (*addChannelBias)(AtrousIn a, AtrousIn bias, int64_t channels, int64_t inner, AtrousOut out);
  int (*sumSquares)(AtrousIn x, double* result); /* host result, like sum */

  int (*maxPool2dForward)(const AtrousNchw* x, const AtrousPoolWindow* p, AtrousIn xData, AtrousOut y,
                          AtrousIntOut argmax);
  int (*maxPool2dBackward)(const AtrousNchw* x, const AtrousNchw* y, AtrousIn dy, AtrousIntIn argmax, AtrousOut dx);
  int (*avgPool2dForward)(const AtrousNchw* x, const AtrousPoolWindow* p, AtrousIn xData, AtrousOut y);
  int (*avgPool2dBackward)(const AtrousNchw* x, const AtrousPoolWindow* p, AtrousIn dy, AtrousOut dx);
  int (*adaptiveAvgPool2dForward)(const AtrousNchw* x, int64_t outH, int64_t outW, AtrousIn xData, AtrousOut y);
  int (*adaptiveAvgPool2dBackward)(const AtrousNchw* x, int64_t outH, int64_t outW, AtrousIn dy, AtrousOut dx);

  /* *loss (host) = the mean cross-entropy; probs = softmax(logits). Waits for the device. */
  int (*crossEntropyForward)(int64_t n, int64_t c, AtrousIn logits, AtrousIntIn targets, AtrousOut probs,
                             double* loss);
  int (*crossEntropyBackward)(int64_t n, int64_t c, AtrousIn probs, AtrousIntIn targets, float scale,
                              AtrousOut dlogits);

  /* size-0 spans mean absent (gamma, beta, running statistics), as on the CPU. */
  int (*batchNormForwardTrain)(const AtrousBatchNormShape* s, AtrousIn x, AtrousIn gamma, AtrousIn beta, double eps,
                               double factor, AtrousOut runningMean, AtrousOut runningVar, AtrousOut y,
                               AtrousOut saveMean, AtrousOut saveInvStd);
  int (*batchNormForwardEval)(const AtrousBatchNormShape* s, AtrousIn x, AtrousIn gamma, AtrousIn beta, double eps,
                              AtrousIn runningMean, AtrousIn runningVar, AtrousOut y, AtrousOut saveMean,
                              AtrousOut saveInvStd);
  int (*batchNormBackward)(const AtrousBatchNormShape* s, AtrousIn x, AtrousIn dy, AtrousIn gamma, AtrousIn saveMean,
                           AtrousIn saveInvStd, int batchStats, AtrousOut dx, AtrousOut dgamma, AtrousOut dbeta);

  int (*sgdStep)(AtrousOut param, AtrousIn grad, AtrousOut momentumBuffer, const AtrousSgd* h, int firstStep);
  int (*adamStep)(AtrousOut param, AtrousIn grad, AtrousOut expAvg, AtrousOut expAvgSq, AtrousOut maxExpAvgSq,
                  const AtrousAdam* h);

  /* ABI 3: random numbers (native/kernels/cuda/random.h), the CPU's Philox streams: value i depends on
   * (seed, offset + i) alone. Uniform and dropout are the CPU's bits; normals within 1 float ulp. */
  int (*dropout)(AtrousIn x, double keep, uint64_t seed, uint64_t offset, AtrousOut mask, AtrousOut out);
  int (*fillUniform)(AtrousOut out, double lo, double hi, uint64_t seed, uint64_t offset);
  int (*fillNormal)(AtrousOut out, double mean, double std, uint64_t seed, uint64_t offset);

  /* ABI 4: TF32 tensor cores for every SGEMM (and so the convolutions): off by default, or on from
     ATROUS_CUDA_TF32=1. Faster, with ~1e-3 relative error instead of FP32's ~1e-6. */
  void (*setTf32)(int on);
  int (*tf32)(void);

  /* ABI 5: out[b] = x[b]ᵀ for batch rows x cols matrices (native/kernels/cuda/transpose.h). */
  int (*transposeBatched)(AtrousIn x, int64_t batch, int64_t rows, int64_t cols, AtrousOut out);
} AtrousCudaApi;

/* The table; the same pointer on every call. */
typedef const AtrousCudaApi* (*AtrousCudaApiFn)(void);
__attribute__((visibility("default"))) const AtrousCudaApi* atrous_cuda_api(void);

#ifdef __cplusplus
}
#endif

#endif /* ATROUS_CUDA_API_H */
