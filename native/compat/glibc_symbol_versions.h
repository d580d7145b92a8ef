// Force-included (binding.gyp, Linux x86-64 only) into every file of the distributed addon, so the
// prebuilt binary binds to old symbol versions and loads on older distributions than the one that
// built it. Without this a GCC 12 / glibc 2.36 build needs GLIBCXX_3.4.30 and GLIBC_2.29.
#pragma once
#include <cstddef>  // defines __GLIBC__ / __GLIBCXX__ when those are the libraries in use

#if defined(__linux__) && defined(__x86_64__) && defined(__GLIBC__)
// glibc 2.29 gave exp/log/pow new versions without the errno wrapper; the 2.2.5 ones compute the
// same values (and set errno on overflow as well).
__asm__(".symver exp,exp@GLIBC_2.2.5");
__asm__(".symver log,log@GLIBC_2.2.5");
__asm__(".symver pow,pow@GLIBC_2.2.5");
// glibc 2.27 did the same for the float ones.
__asm__(".symver expf,expf@GLIBC_2.2.5");
__asm__(".symver logf,logf@GLIBC_2.2.5");
__asm__(".symver powf,powf@GLIBC_2.2.5");
__asm__(".symver exp2f,exp2f@GLIBC_2.2.5");
__asm__(".symver log2f,log2f@GLIBC_2.2.5");
// glibc 2.34 moved dlopen & co. from libdl into libc under GLIBC_2.34; the 2.2.5 ones (still
// exported) are the same functions, found in libdl on older systems. The addon dlopen()s libatrous_cuda.
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");
__asm__(".symver dlclose,dlclose@GLIBC_2.2.5");
#endif

#if defined(__linux__) && defined(__x86_64__) && defined(__GLIBCXX__)
// GCC 12 re-versioned condition_variable::wait (GLIBCXX_3.4.30) only to drop noexcept for thread
// cancellation, which the pool never uses; the GLIBCXX_3.4.11 one is the same wait.
__asm__(".symver _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE,"
        "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");
#endif
