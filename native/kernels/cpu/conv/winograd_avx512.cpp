// The AVX-512 transforms of F(2x2, 3x3) (compiled with -mavx512f; see winograd.h), 16 channels per
// vector. In one dimension, inputs d0..d3 and sums m0..m3:
//   B^T d = (d0 - d2, d1 + d2, d2 - d1, d1 - d3)      A^T m = (m0 + m1 + m2, m1 - m2 - m3)
// applied down the rows, then along them.
#include <immintrin.h>

#include "../../portability.h"
#include "winograd.h"

namespace atrous::winograd {

void inputTileAvx512(const float* x, int64_t rowStep, int64_t colStep, int64_t channels, float* v,
                     int64_t pointStride) {
  for (int64_t c = 0; c < channels; c += 16) {
    __m512 t[4][4];
    ATROUS_UNROLL(4)
    for (int s = 0; s < 4; ++s) {
      const float* p = x + s * colStep + c;
      const __m512 d0 = _mm512_loadu_ps(p), d1 = _mm512_loadu_ps(p + rowStep);
      const __m512 d2 = _mm512_loadu_ps(p + 2 * rowStep), d3 = _mm512_loadu_ps(p + 3 * rowStep);
      t[0][s] = _mm512_sub_ps(d0, d2);
      t[1][s] = _mm512_add_ps(d1, d2);
      t[2][s] = _mm512_sub_ps(d2, d1);
      t[3][s] = _mm512_sub_ps(d1, d3);
    }
    ATROUS_UNROLL(4)
    for (int i = 0; i < 4; ++i) {
      float* q = v + 4 * i * pointStride + c;
      _mm512_storeu_ps(q, _mm512_sub_ps(t[i][0], t[i][2]));
      _mm512_storeu_ps(q + pointStride, _mm512_add_ps(t[i][1], t[i][2]));
      _mm512_storeu_ps(q + 2 * pointStride, _mm512_sub_ps(t[i][2], t[i][1]));
      _mm512_storeu_ps(q + 3 * pointStride, _mm512_sub_ps(t[i][1], t[i][3]));
    }
  }
}

void outputTileAvx512(const float* m, int64_t pointStride, int64_t channels, const float* bias, float* y,
                      int64_t rowStep, int64_t colStep, int rows, int cols) {
  for (int64_t co = 0; co < channels; co += 16) {
    __m512 u0[4], u1[4];
    ATROUS_UNROLL(4)
    for (int j = 0; j < 4; ++j) {
      const float* p = m + j * pointStride + co;
      const __m512 m0 = _mm512_loadu_ps(p), m1 = _mm512_loadu_ps(p + 4 * pointStride);
      const __m512 m2 = _mm512_loadu_ps(p + 8 * pointStride), m3 = _mm512_loadu_ps(p + 12 * pointStride);
      u0[j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
      u1[j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
    }
    const __m512 b = bias ? _mm512_loadu_ps(bias + co) : _mm512_setzero_ps();
    float* q = y + co;
    _mm512_storeu_ps(q, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(u0[0], u0[1]), u0[2]), b));
    if (cols > 1) _mm512_storeu_ps(q + colStep, _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(u0[1], u0[2]), u0[3]), b));
    if (rows > 1) {
      _mm512_storeu_ps(q + rowStep, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(u1[0], u1[1]), u1[2]), b));
      if (cols > 1)
        _mm512_storeu_ps(q + rowStep + colStep, _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(u1[1], u1[2]), u1[3]), b));
    }
  }
}

}  // namespace atrous::winograd
