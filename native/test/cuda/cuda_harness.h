// The CUDA tests' registry and device buffers. A test says whether it needs a device: those that
// only check arguments (which are rejected before anything touches memory) run everywhere; the
// rest are skipped, with the reason, where no usable device is present.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../kernels/cpu/index_span.h"
#include "../../kernels/cuda/cuda_memory.h"
#include "../../kernels/cuda/sgemm.h"
#include "../harness.h"

namespace atrous::test {

struct CudaTest {
  const char* name;
  TestFn fn;
  bool needsDevice;
};

inline std::vector<CudaTest>& cudaRegistry() {
  static std::vector<CudaTest> tests;
  return tests;
}

struct CudaRegistrar {
  CudaRegistrar(const char* name, TestFn fn, bool needsDevice) { cudaRegistry().push_back({name, fn, needsDevice}); }
};

// Whether two arrays hold the same bits (NaN payloads and signed zeros included).
template <class T>
bool sameBits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// sameBits, except that any NaN matches any NaN: a float NaN that a GPU computes is always the
// canonical 0x7fffffff, where x86 keeps an input NaN's payload or makes 0xffc00000 (0 * inf).
inline bool sameBitsOrNan(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::memcmp(&a[i], &b[i], sizeof(float)) == 0 || (a[i] != a[i] && b[i] != b[i]))) return false;
  return true;
}

// A device copy of a host vector (or n uninitialised floats); any CUDA failure ends the run, since
// the tests cannot go on without their buffers.
class DeviceArray {
 public:
  explicit DeviceArray(const std::vector<float>& host) : DeviceArray(static_cast<long long>(host.size())) {
    must(cuda::copyToDevice(data_, host.data(), bytes()));
  }
  explicit DeviceArray(long long n) : size_(n) {
    void* p = nullptr;
    must(cuda::deviceAllocate(bytes(), &p));
    data_ = static_cast<float*>(p);
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { cuda::deviceFree(data_); }

  FloatSpan span() { return {data_, size_}; }
  float* data() { return data_; }
  long long size() const { return size_; }
  std::vector<float> toHost() const {  // synchronizes: kernel faults surface here
    std::vector<float> host(static_cast<size_t>(size_));
    must(cuda::copyToHost(host.data(), data_, bytes()));
    return host;
  }
  void upload(const std::vector<float>& host) { must(cuda::copyToDevice(data_, host.data(), bytes())); }

  static void must(const Status& s) {
    if (s.isOk()) return;
    std::fprintf(stderr, "CUDA failure, stopping: %s\n", s.message().c_str());
    std::exit(2);
  }

 private:
  size_t bytes() const { return sizeof(float) * static_cast<size_t>(size_); }
  float* data_ = nullptr;
  long long size_ = 0;
};

// The same for int32 buffers (argmax, class targets).
class DeviceInt32Array {
 public:
  explicit DeviceInt32Array(const std::vector<int32_t>& host) : size_(static_cast<long long>(host.size())) {
    void* p = nullptr;
    DeviceArray::must(cuda::deviceAllocate(bytes(), &p));
    data_ = static_cast<int32_t*>(p);
    DeviceArray::must(cuda::copyToDevice(data_, host.data(), bytes()));
  }
  DeviceInt32Array(const DeviceInt32Array&) = delete;
  DeviceInt32Array& operator=(const DeviceInt32Array&) = delete;
  ~DeviceInt32Array() { cuda::deviceFree(data_); }

  Int32Span span() { return {data_, size_}; }
  std::vector<int32_t> toHost() const {
    std::vector<int32_t> host(static_cast<size_t>(size_));
    DeviceArray::must(cuda::copyToHost(host.data(), data_, bytes()));
    return host;
  }

 private:
  size_t bytes() const { return sizeof(int32_t) * static_cast<size_t>(size_); }
  int32_t* data_ = nullptr;
  long long size_ = 0;
};

// Sets the TF32 switch (cuda::setSgemmTf32) for a scope and puts back what was there before, so
// every test leaves the default (off, unless the run has ATROUS_CUDA_TF32=1) to the next.
class Tf32Scope {
 public:
  explicit Tf32Scope(bool on) : before_(cuda::sgemmTf32()) { cuda::setSgemmTf32(on); }
  Tf32Scope(const Tf32Scope&) = delete;
  Tf32Scope& operator=(const Tf32Scope&) = delete;
  ~Tf32Scope() { cuda::setSgemmTf32(before_); }

 private:
  bool before_;
};

}  // namespace atrous::test

#define ATROUS_CUDA_TEST_IMPL(name, needsDevice)                                          \
  static void name(::atrous::test::Context& ctx);                                         \
  static ::atrous::test::CudaRegistrar cudaRegistrar_##name(#name, name, needsDevice);    \
  static void name(::atrous::test::Context& ctx)
// A test that runs kernels on the device (skipped without one).
#define ATROUS_CUDA_TEST(name) ATROUS_CUDA_TEST_IMPL(name, true)
// A test of argument checks only: host pointers stand in for device ones, never dereferenced.
#define ATROUS_CUDA_ARGS_TEST(name) ATROUS_CUDA_TEST_IMPL(name, false)
