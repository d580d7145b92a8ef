#include "softmax.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../checked_math.h"
#include "cpu_features.h"
#include "exp_rows.h"
#include "exp_rows_loops.h"
#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {

void expShiftedRowScalar(const float* x, const double* shift, int64_t n, double* e, double* totals) {
  exploops::shiftedRow(x, shift, n, e, totals);
}

void expShiftedColumns(const float* x, int64_t size, int64_t width, int64_t stride, double* e, double* maxes,
                       double* totals) {
  if (width == 1) {  // one row (logits N×C): a scalar max and total
    // The max in float (exact: the same value as in double); a float-to-double fmax reduction
    // crashes GCC 12's aarch64 vectorizer (internal compiler error in vect_transform_reduction).
    float maxFloat = x[0];
    for (int64_t s = 1; s < size; ++s) maxFloat = std::fmax(maxFloat, x[s * stride]);
    double maxValue = maxFloat;
    if (std::isinf(maxValue)) maxValue = 0;
    double total = 0;
    for (int64_t s = 0; s < size; ++s) {
      const double v = std::exp(static_cast<double>(x[s * stride]) - maxValue);
      e[s] = v;
      total += v;
    }
    *maxes = maxValue;
    *totals = total;
    return;
  }
  // Rows outer, columns inner: contiguous, vectorised loops. A NaN makes its column's max either the
  // NaN or not, and its total NaN either way, so a plain compare serves for the max.
  for (int64_t i = 0; i < width; ++i) maxes[i] = x[i];
  for (int64_t s = 1; s < size; ++s) {
    const float* row = x + s * stride;
    for (int64_t i = 0; i < width; ++i) {
      const double v = row[i];
      maxes[i] = v > maxes[i] ? v : maxes[i];
    }
  }
  for (int64_t i = 0; i < width; ++i) {
    if (std::isinf(maxes[i])) maxes[i] = 0;
    totals[i] = 0;
  }
  const auto expRow = forActiveIsa<decltype(&expShiftedRowScalar)>(
      expShiftedRowScalar, ATROUS_X86_ONLY(expShiftedRowAvx2), ATROUS_X86_ONLY(expShiftedRowAvx512));
  for (int64_t s = 0; s < size; ++s) expRow(x + s * stride, maxes, width, e + s * width, totals);
}

int64_t columnTileWidth(int64_t size, int64_t inner) {
  constexpr int64_t kScratchDoubles = 8192;  // 64 KiB
  const int64_t width = std::max<int64_t>(16, kScratchDoubles / std::max<int64_t>(size, 1) / 16 * 16);
  return std::max<int64_t>(1, std::min(inner, width));
}

Status validateAlongDim(const char* fn, int64_t outer, int64_t size, int64_t inner) {
  int64_t total = 0;
  if (outer < 0 || inner < 0 || size < 1 || mulOverflows(outer, size, &total) ||
      mulOverflows(total, inner, &total) || total > 2147483647)
    return Status::error(std::string(fn) + ": expects outer >= 0, size >= 1, inner >= 0 with a product < 2^31, but got " +
                         std::to_string(outer) + " x " + std::to_string(size) + " x " + std::to_string(inner));
  return Status::ok();
}

Status softmaxForward(ConstFloatSpan x, int64_t outer, int64_t size, int64_t inner, bool log, FloatSpan out) {
  const char* fn = "softmaxForward";
  ATROUS_RETURN_IF_ERROR(validateAlongDim(fn, outer, size, inner));
  const int64_t total = outer * size * inner;
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "x", x.size, total));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "out", out.size, total));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "out", out.data, out.size, "x", x.data, x.size));
  const int64_t block = size * inner;
  const int64_t width = columnTileWidth(size, inner);
  const int64_t tiles = (inner + width - 1) / width;  // per outer block
  parallelRanges(outer * tiles, 2 * size * width, [&](int64_t begin, int64_t end) {
    thread_local std::vector<double> scratch;
    scratch.resize(static_cast<size_t>((size + 2) * width));
    double* e = scratch.data();
    double* maxes = e + size * width;
    double* totals = maxes + width;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t i0 = item % tiles * width, w = std::min(width, inner - i0);
      const float* xb = x.data + item / tiles * block + i0;
      float* yb = out.data + item / tiles * block + i0;
      expShiftedColumns(xb, size, w, inner, e, maxes, totals);
      for (int64_t i = 0; i < w; ++i) {
        if (log) {
          maxes[i] += std::log(totals[i]);  // now the logsumexp
        } else {
          totals[i] = 1 / totals[i];
        }
      }
      for (int64_t s = 0; s < size; ++s) {
        const float* xs = xb + s * inner;
        const double* es = e + s * w;
        float* ys = yb + s * inner;
        if (log) {
          for (int64_t i = 0; i < w; ++i) ys[i] = static_cast<float>(static_cast<double>(xs[i]) - maxes[i]);
        } else {
          for (int64_t i = 0; i < w; ++i) ys[i] = static_cast<float>(es[i] * totals[i]);
        }
      }
    }
  });
  return Status::ok();
}

Status softmaxBackward(ConstFloatSpan y, ConstFloatSpan dy, int64_t outer, int64_t size, int64_t inner, bool log,
                       FloatSpan dx) {
  const char* fn = "softmaxBackward";
  ATROUS_RETURN_IF_ERROR(validateAlongDim(fn, outer, size, inner));
  const int64_t total = outer * size * inner;
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "y", y.size, total));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dy", dy.size, total));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dx", dx.size, total));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "dx", dx.data, dx.size, "y", y.data, y.size));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "dx", dx.data, dx.size, "dy", dy.data, dy.size));
  const int64_t block = size * inner;
  parallelRanges(outer, 2 * block, [&](int64_t begin, int64_t end) {
    std::vector<double> dot(static_cast<size_t>(inner));
    for (int64_t o = begin; o < end; ++o) {
      const float* yb = y.data + o * block;
      const float* gb = dy.data + o * block;
      float* db = dx.data + o * block;
      for (int64_t i = 0; i < inner; ++i) dot[i] = 0;
      // softmax: Σ dy·y; log-softmax: Σ dy.
      for (int64_t s = 0; s < size; ++s)
        for (int64_t i = 0; i < inner; ++i)
          dot[i] += log ? static_cast<double>(gb[s * inner + i])
                        : static_cast<double>(gb[s * inner + i]) * static_cast<double>(yb[s * inner + i]);
      for (int64_t s = 0; s < size; ++s)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t k = s * inner + i;
          const double v = yb[k], g = gb[k];
          db[k] = static_cast<float>(log ? g - std::exp(v) * dot[i] : v * (g - dot[i]));
        }
    }
  });
  return Status::ok();
}

}  // namespace atrous
