// The argument checks every sgemm makes, CPU and CUDA alike (one copy): sizes >= 0, leading
// dimensions >= max(1, row length), and buffers long enough for the elements that will be read or
// written, in 64-bit arithmetic with overflow checks. op names the caller in messages.
#pragma once
#include <cstdint>

#include "status.h"

namespace atrous {

Status checkGemmArguments(const char* op, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                          const void* A, long long aSize, int64_t lda, const void* B, long long bSize, int64_t ldb,
                          const void* C, long long cSize, int64_t ldc);

}  // namespace atrous
