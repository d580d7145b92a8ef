// Argument checks shared by the elementwise, pool, loss and random kernels: each failure names the
// function, the argument, what was expected and what was given.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../status.h"

namespace atrous::opcheck {

// A double as the shortest text that reads back the same (0.1, not 0.100000).
inline std::string numberText(double v) {
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

inline Status length(const char* fn, const char* arg, long long got, long long expected) {
  if (got == expected) return Status::ok();
  return Status::error(std::string(fn) + ": " + arg + " expects " + std::to_string(expected) +
                       " elements, but got " + std::to_string(got));
}

// out may be the very buffer an input is (in place), but not a shifted view of it: ranges run in
// parallel, so a partial overlap would read values another thread already wrote.
inline Status sameOrDisjoint(const char* fn, const char* outArg, const float* out, long long outSize,
                             const char* inArg, const float* in, long long inSize) {
  if (out == in || outSize == 0 || inSize == 0) return Status::ok();
  const auto o = reinterpret_cast<uintptr_t>(out), i = reinterpret_cast<uintptr_t>(in);
  const bool overlap = o < i + static_cast<uintptr_t>(inSize) * sizeof(float) &&
                       i < o + static_cast<uintptr_t>(outSize) * sizeof(float);
  if (!overlap) return Status::ok();
  return Status::error(std::string(fn) + ": " + outArg + " expects to be " + inArg +
                       " itself or not to overlap it, but it overlaps " + inArg + " shifted by " +
                       std::to_string((static_cast<long long>(o) - static_cast<long long>(i)) /
                                      static_cast<long long>(sizeof(float))) + " elements");
}

// For outputs that are written while inputs are still read (pooling, losses): no overlap at all.
inline Status disjoint(const char* fn, const char* outArg, const void* out, long long outBytes, const char* inArg,
                       const void* in, long long inBytes) {
  const auto o = reinterpret_cast<uintptr_t>(out), i = reinterpret_cast<uintptr_t>(in);
  if (outBytes <= 0 || inBytes <= 0 || o >= i + static_cast<uintptr_t>(inBytes) ||
      i >= o + static_cast<uintptr_t>(outBytes))
    return Status::ok();
  return Status::error(std::string(fn) + ": " + outArg + " expects its own buffer, but it overlaps " + inArg);
}

}  // namespace atrous::opcheck

// Returns the status from the enclosing function when it failed (nn_checks.h defines the same).
#ifndef ATROUS_RETURN_IF_ERROR
#define ATROUS_RETURN_IF_ERROR(expr)     \
  do {                                   \
    ::atrous::Status status_ = (expr);   \
    if (!status_.isOk()) return status_; \
  } while (0)
#endif
