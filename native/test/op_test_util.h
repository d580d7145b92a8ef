// What the op kernel tests (test_elementwise, test_pool, test_loss, test_random, test_transpose) share:
// tolerances, the sizes that straddle SIMD widths and the parallel threshold, span makers, and the
// error-message check.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/cpu/index_span.h"
#include "../kernels/cpu/thread_pool.h"
#include "../kernels/status.h"
#include "harness.h"

namespace atrous::optest {

using test::Context;

inline constexpr double kTolerance = 1e-5;
inline const float kInf = std::numeric_limits<float>::infinity();
inline const float kNan = std::numeric_limits<float>::quiet_NaN();
// Sizes around SIMD widths, chunk edges and the parallel threshold (1 << 16).
inline const int64_t kSizes[] = {0, 1, 7, 17, 1001, 65535, 65537, 200003};

inline FloatSpan span(std::vector<float>& v) { return {v.data(), static_cast<long long>(v.size())}; }
inline ConstFloatSpan cspan(const std::vector<float>& v) { return {v.data(), static_cast<long long>(v.size())}; }
inline Int32Span ispan(std::vector<int32_t>& v) { return {v.data(), static_cast<long long>(v.size())}; }

// Restores the pool's thread count when a test ends, whatever it set.
struct ThreadCountGuard {
  int saved = numThreads();
  ~ThreadCountGuard() { setNumThreads(saved); }
};

inline bool fails(const Status& s) { return !s.isOk(); }
// Checks that s failed with a message containing text; otherwise prints what came instead.
inline void expectError(Context& ctx, const Status& s, const char* text, const char* what) {
  const std::string got = s.isOk() ? "success" : "\"" + s.message() + "\"";
  ctx.check(!s.isOk() && s.message().find(text) != std::string::npos, "%s: expected an error with \"%s\", got %s",
            what, text, got.c_str());
}

inline void checkClose(Context& ctx, const std::vector<float>& got, const std::vector<double>& want, const std::string& what) {
  const double err = test::relativeL2(got.data(), want.data(), static_cast<int64_t>(want.size()));
  ctx.check(got.size() == want.size() && err <= kTolerance, "%s: relative L2 %.3g (sizes %zu vs %zu)", what.c_str(),
            err, got.size(), want.size());
}

}  // namespace atrous::optest
