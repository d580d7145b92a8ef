// Naive float64 references that every native test and bench checks the fast kernels against.
// Straight loops over the definitions, written independently of the kernels.
#pragma once
#include <cstdint>
#include <vector>

#include "../kernels/conv_geometry.h"

namespace atrous::reference {

// C = alpha * op(A) * op(B) + beta * C (row-major), in float64.
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, double alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, double beta, double* C, int64_t ldc);

// y = conv(x, w) + bias (bias may be null). y has g.outputSize() elements.
std::vector<double> convForward(const ConvGeometry& g, const float* x, const float* w, const float* bias);
// dx = d(sum(y * dy))/dx
std::vector<double> convBackwardData(const ConvGeometry& g, const float* dy, const float* w);
// dw = d(sum(y * dy))/dw
std::vector<double> convBackwardWeight(const ConvGeometry& g, const float* x, const float* dy);
// db[c] = sum over n, pixels of dy
std::vector<double> convBackwardBias(const ConvGeometry& g, const float* dy);

}  // namespace atrous::reference
