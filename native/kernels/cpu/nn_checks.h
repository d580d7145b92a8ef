// Length checks shared by the nn kernels (batchnorm, optim_update, dtype_convert): each failure names
// the function, the argument, the expected length and the given one.
#pragma once
#include <cmath>
#include <string>

#include "../status.h"

namespace atrous::nncheck {

inline Status lengthError(const char* fn, const char* arg, long long expected, long long got) {
  return Status::error(std::string(fn) + ": " + arg + " expects " + std::to_string(expected) +
                       " elements, but got " + std::to_string(got));
}

// An optional buffer: absent (null), or exactly `expected` values.
inline Status optional(const char* fn, const char* arg, const void* data, long long size, long long expected) {
  return data == nullptr || size == expected ? Status::ok() : lengthError(fn, arg, expected, size);
}

inline Status required(const char* fn, const char* arg, const void* data, long long size, long long expected) {
  return data != nullptr && size == expected ? Status::ok() : lengthError(fn, arg, expected, data ? size : 0);
}

inline Status finite(const char* fn, const char* arg, double v) {
  if (std::isfinite(v)) return Status::ok();
  return Status::error(std::string(fn) + ": " + arg + " expects a finite number, but got " + std::to_string(v));
}

}  // namespace atrous::nncheck

// Returns the status from the enclosing function when it failed (op_checks.h defines the same).
#ifndef ATROUS_RETURN_IF_ERROR
#define ATROUS_RETURN_IF_ERROR(expr)     \
  do {                                   \
    ::atrous::Status status_ = (expr);   \
    if (!status_.isOk()) return status_; \
  } while (0)
#endif
