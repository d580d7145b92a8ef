// Result of a kernel call: empty on success, otherwise a message naming the op,
// the argument, what was expected and what came.
#pragma once
#include <string>
#include <utility>

namespace atrous {

class Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { Status s; s.message_ = std::move(message); s.failed_ = true; return s; }
  bool isOk() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  std::string message_;
  bool failed_ = false;
};

// A float buffer with its length, so that every kernel can check what it was given.
struct FloatSpan {
  float* data = nullptr;
  long long size = 0;
};
struct ConstFloatSpan {
  const float* data = nullptr;
  long long size = 0;
  ConstFloatSpan() = default;
  ConstFloatSpan(const float* d, long long n) : data(d), size(n) {}
  ConstFloatSpan(FloatSpan s) : data(s.data), size(s.size) {}  // NOLINT: a mutable view reads too
};

}  // namespace atrous
