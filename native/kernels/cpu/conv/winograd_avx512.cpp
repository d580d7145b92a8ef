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

namespace atrous::winograd {

// The weight gradient's transform of dy, A dy A^T with A = (1, 0; 1, 1; 1, -1; 0, -1) per axis: for
// 2 values (p, q), (p, p + q, p - q, -q).
void dyTileAvx512(const float* dy, int64_t rowStep, int64_t colStep, int64_t channels, float* d,
                  int64_t pointStride) {
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t c = 0; c < channels; c += 16) {
    const __m512 a = _mm512_loadu_ps(dy + c), b = _mm512_loadu_ps(dy + colStep + c);
    const __m512 cc = _mm512_loadu_ps(dy + rowStep + c), e = _mm512_loadu_ps(dy + rowStep + colStep + c);
    // Down the rows: (a, b), (a + c, b + e), (a - c, b - e), (-c, -e); then along each.
    const __m512 p[4] = {a, _mm512_add_ps(a, cc), _mm512_sub_ps(a, cc), _mm512_sub_ps(zero, cc)};
    const __m512 q[4] = {b, _mm512_add_ps(b, e), _mm512_sub_ps(b, e), _mm512_sub_ps(zero, e)};
    ATROUS_UNROLL(4)
    for (int i = 0; i < 4; ++i) {
      float* o = d + 4 * i * pointStride + c;
      _mm512_storeu_ps(o, p[i]);
      _mm512_storeu_ps(o + pointStride, _mm512_add_ps(p[i], q[i]));
      _mm512_storeu_ps(o + 2 * pointStride, _mm512_sub_ps(p[i], q[i]));
      _mm512_storeu_ps(o + 3 * pointStride, _mm512_sub_ps(zero, q[i]));
    }
  }
}

}  // namespace atrous::winograd

namespace atrous::winograd {
namespace {

// kProductRows output channels x Slots vectors of 16 input channels, summed over the tiles: the dy
// transforms broadcast (tile-contiguous rows), the x transforms loaded (channels-last rows).
template <int Slots>
void productTile(const float* d, int64_t dStride, int rows, const float* v, int64_t vStride, int64_t tiles, float* m,
                 int64_t ldm) {
  __m512 acc[kProductRows][Slots];
  ATROUS_UNROLL(6)
  for (int k = 0; k < kProductRows; ++k)
    ATROUS_UNROLL(4)
    for (int s = 0; s < Slots; ++s) acc[k][s] = _mm512_setzero_ps();
  for (int64_t t = 0; t < tiles; ++t) {
    __m512 x[Slots];
    ATROUS_UNROLL(4)
    for (int s = 0; s < Slots; ++s) x[s] = _mm512_loadu_ps(v + t * vStride + 16 * s);
    ATROUS_UNROLL(6)
    for (int k = 0; k < kProductRows; ++k) {
      const __m512 b = _mm512_set1_ps(d[t * dStride + k]);
      ATROUS_UNROLL(4)
      for (int s = 0; s < Slots; ++s) acc[k][s] = _mm512_fmadd_ps(b, x[s], acc[k][s]);
    }
  }
  ATROUS_UNROLL(6)
  for (int k = 0; k < kProductRows; ++k) {
    if (k >= rows) break;
    ATROUS_UNROLL(4)
    for (int s = 0; s < Slots; ++s) {
      float* o = m + k * ldm + 16 * s;
      _mm512_storeu_ps(o, _mm512_add_ps(_mm512_loadu_ps(o), acc[k][s]));
    }
  }
}

}  // namespace

void productAvx512(const float* d, int64_t dStride, int rows, const float* v, int64_t vStride, int64_t tiles,
                   int slots, float* m, int64_t ldm) {
  if (slots == 4) productTile<4>(d, dStride, rows, v, vStride, tiles, m, ldm);
  else if (slots == 2) productTile<2>(d, dStride, rows, v, vStride, tiles, m, ldm);
  else productTile<1>(d, dStride, rows, v, vStride, tiles, m, ldm);
}

}  // namespace atrous::winograd
