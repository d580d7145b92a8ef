// A float buffer that keeps its pages between calls and is not zeroed: faulting in and clearing
// ~15 MiB on every call cost as much as a tenth of the GEMMs (conv weight gradients). Used as
// thread_local, one per role; it only grows.
#pragma once
#include <cstdint>
#include <memory>

namespace atrous {

class ReusableScratch {
 public:
  float* floats(int64_t n) {
    if (n > size_) {
      data_.reset(new float[static_cast<size_t>(n)]);
      size_ = n;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<float[]> data_;
  int64_t size_ = 0;
};

}  // namespace atrous
