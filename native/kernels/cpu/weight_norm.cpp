#include "weight_norm.h"

#include <cmath>
#include <string>

#include "../checked_math.h"
#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {
namespace {

// rows, width >= 1 with rows·width elements in v (and so no overflow).
Status validateRows(const char* fn, ConstFloatSpan v, int64_t rows, int64_t width) {
  int64_t total = 0;
  if (rows < 1 || width < 1 || mulOverflows(rows, width, &total))
    return Status::error(std::string(fn) + ": expects rows >= 1 and width >= 1 with a product that fits 64 bits, but got " +
                         std::to_string(rows) + " x " + std::to_string(width));
  return opcheck::length(fn, "v", v.size, total);
}

double squaredNorm(const float* row, int64_t width) {
  double total = 0;
  for (int64_t i = 0; i < width; ++i) total += static_cast<double>(row[i]) * row[i];
  return total;
}

}  // namespace

Status rowNorms(ConstFloatSpan v, int64_t rows, int64_t width, FloatSpan norms) {
  const char* fn = "rowNorms";
  ATROUS_RETURN_IF_ERROR(validateRows(fn, v, rows, width));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "norms", norms.size, rows));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "norms", norms.data, norms.size * 4, "v", v.data, v.size * 4));
  parallelRanges(rows, width, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) norms.data[r] = static_cast<float>(std::sqrt(squaredNorm(v.data + r * width, width)));
  });
  return Status::ok();
}

Status weightNormForward(ConstFloatSpan v, ConstFloatSpan g, int64_t rows, int64_t width, FloatSpan w) {
  const char* fn = "weightNormForward";
  ATROUS_RETURN_IF_ERROR(validateRows(fn, v, rows, width));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "g", g.size, rows));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "w", w.size, v.size));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "w", w.data, w.size, "v", v.data, v.size));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "w", w.data, w.size * 4, "g", g.data, g.size * 4));
  parallelRanges(rows, 2 * width, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* vr = v.data + r * width;
      float* wr = w.data + r * width;
      const double scale = static_cast<double>(g.data[r]) / std::sqrt(squaredNorm(vr, width));
      for (int64_t i = 0; i < width; ++i) wr[i] = static_cast<float>(scale * vr[i]);
    }
  });
  return Status::ok();
}

Status weightNormBackward(ConstFloatSpan v, ConstFloatSpan g, ConstFloatSpan dw, int64_t rows, int64_t width, FloatSpan dv,
                          FloatSpan dg) {
  const char* fn = "weightNormBackward";
  ATROUS_RETURN_IF_ERROR(validateRows(fn, v, rows, width));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "g", g.size, rows));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dw", dw.size, v.size));
  const bool wantDv = dv.size != 0, wantDg = dg.size != 0;
  if (wantDv) {
    ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dv", dv.size, v.size));
    ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "dv", dv.data, dv.size, "v", v.data, v.size));
    ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "dv", dv.data, dv.size, "dw", dw.data, dw.size));
    ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "dv", dv.data, dv.size * 4, "g", g.data, g.size * 4));
  }
  if (wantDg) {
    ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dg", dg.size, rows));
    ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "dg", dg.data, dg.size, "g", g.data, g.size));
    ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "dg", dg.data, dg.size * 4, "v", v.data, v.size * 4));
    ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "dg", dg.data, dg.size * 4, "dw", dw.data, dw.size * 4));
    if (wantDv) ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "dg", dg.data, dg.size * 4, "dv", dv.data, dv.size * 4));
  }
  parallelRanges(rows, 3 * width, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* vr = v.data + r * width;
      const float* gr = dw.data + r * width;
      double squares = 0, dot = 0;
      for (int64_t i = 0; i < width; ++i) {
        squares += static_cast<double>(vr[i]) * vr[i];
        dot += static_cast<double>(gr[i]) * vr[i];
      }
      const double norm = std::sqrt(squares), gain = g.data[r];
      if (wantDv) {
        const double a = gain / norm, b = gain * dot / (norm * squares);
        float* out = dv.data + r * width;
        for (int64_t i = 0; i < width; ++i) out[i] = static_cast<float>(a * gr[i] - b * vr[i]);
      }
      if (wantDg) dg.data[r] = static_cast<float>(dot / norm);
    }
  });
  return Status::ok();
}

}  // namespace atrous
