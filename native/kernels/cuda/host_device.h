// Arithmetic shared by a kernel and the host tests: ATROUS_HD marks functions compiled for both, and
// the *Rn helpers round each operation on its own (nvcc would otherwise fuse a*b+c into an FMA,
// which the CPU kernels, built for baseline x86-64, never do). Without a device the tests run the
// very per-element code the kernels run and compare it bit for bit with the CPU kernels.
// NaN bits aside: a float NaN the device computes is always 0x7fffffff, where x86 keeps an input
// NaN's payload or makes 0xffc00000; the device tests count any NaN equal to any NaN.
#pragma once

#ifdef __CUDACC__
#define ATROUS_HD __host__ __device__ inline
#else
#define ATROUS_HD inline
#endif

namespace atrous::cuda {

#ifdef __CUDA_ARCH__
ATROUS_HD float mulRn(float a, float b) { return __fmul_rn(a, b); }
ATROUS_HD float addRn(float a, float b) { return __fadd_rn(a, b); }
ATROUS_HD double mulRn(double a, double b) { return __dmul_rn(a, b); }
ATROUS_HD double addRn(double a, double b) { return __dadd_rn(a, b); }
#else
ATROUS_HD float mulRn(float a, float b) { return a * b; }
ATROUS_HD float addRn(float a, float b) { return a + b; }
ATROUS_HD double mulRn(double a, double b) { return a * b; }
ATROUS_HD double addRn(double a, double b) { return a + b; }
#endif

ATROUS_HD bool isNan(float v) { return v != v; }  // no fast-math anywhere, so this holds

}  // namespace atrous::cuda
