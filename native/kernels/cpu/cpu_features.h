// Which instruction set the CPU kernels use. Chosen once from cpuid; ATROUS_CPU=avx512|avx2|scalar
// (or forceIsa, for tests) pins one, so every path the machine supports can be exercised.
#pragma once
#include "../status.h"

namespace atrous {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

const char* isaName(Isa isa);
bool isaSupported(Isa isa);   // the CPU and the OS both support it
Isa bestIsa();                // the widest supported
Isa activeIsa();              // what the kernels dispatch to now
Status forceIsa(Isa isa);     // error if the CPU cannot run it
Status parseIsa(const char* name, Isa* out);

}  // namespace atrous
