// Converts little-endian raw tensor bytes of another dtype (as a safetensors file stores them) to
// float32. Reads element by element with memcpy, so the bytes need no alignment.
#pragma once
#include <cstdint>
#include <string>

#include "../status.h"

namespace atrous {

enum class SourceDtype { F16, BF16, F64, I64, I32, I16, I8, U8, Bool };

// Parses a safetensors dtype name ("F16", "BF16", ...); false when it is not one of SourceDtype.
bool parseSourceDtype(const std::string& name, SourceDtype* out);
int dtypeItemSize(SourceDtype dtype);

// out[i] = value of element i of bytes; bytes holds exactly out.size elements of dtype.
Status convertToFloat32(const uint8_t* bytes, long long byteCount, SourceDtype dtype, FloatSpan out);

// IEEE half and bfloat16 bit patterns to float (exact: every value is representable).
float halfToFloat(uint16_t h);
float bfloat16ToFloat(uint16_t b);

}  // namespace atrous
