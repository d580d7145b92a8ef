#include "dtype_convert.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "parallel_ranges.h"

namespace atrous {
namespace {

template <typename T>
T readAt(const uint8_t* bytes, int64_t i) {
  T v;
  std::memcpy(&v, bytes + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return v;
}

template <typename Convert>
void convertAll(int64_t n, float* out, Convert convert) {
  parallelRanges(n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = convert(i);
  });
}

}  // namespace

bool parseSourceDtype(const std::string& name, SourceDtype* out) {
  static const std::pair<const char*, SourceDtype> kNames[] = {
      {"F16", SourceDtype::F16}, {"BF16", SourceDtype::BF16}, {"F64", SourceDtype::F64},
      {"I64", SourceDtype::I64}, {"I32", SourceDtype::I32},   {"I16", SourceDtype::I16},
      {"I8", SourceDtype::I8},   {"U8", SourceDtype::U8},     {"BOOL", SourceDtype::Bool}};
  for (const auto& [n, d] : kNames) {
    if (name == n) {
      *out = d;
      return true;
    }
  }
  return false;
}

int dtypeItemSize(SourceDtype dtype) {
  switch (dtype) {
    case SourceDtype::F64: case SourceDtype::I64: return 8;
    case SourceDtype::I32: return 4;
    case SourceDtype::F16: case SourceDtype::BF16: case SourceDtype::I16: return 2;
    default: return 1;
  }
}

float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, nan (payload kept)
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);  // rebias 15 -> 127
  } else if (mantissa == 0) {
    bits = sign;  // ±0
  } else {
    // Subnormal half: shift the mantissa up until its leading 1 is the implicit bit.
    int e = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float bfloat16ToFloat(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

Status convertToFloat32(const uint8_t* bytes, long long byteCount, SourceDtype dtype, FloatSpan out) {
  const char* fn = "convertToFloat32";
  const long long expected = out.size * dtypeItemSize(dtype);
  if (out.size < 0 || byteCount != expected)
    return Status::error(std::string(fn) + ": bytes expects " + std::to_string(expected) + " bytes (" +
                         std::to_string(out.size) + " elements of " + std::to_string(dtypeItemSize(dtype)) +
                         "), but got " + std::to_string(byteCount));
  if (out.size > 0 && (bytes == nullptr || out.data == nullptr))
    return Status::error(std::string(fn) + ": bytes and out expect buffers, but got null");
  float* o = out.data;
  switch (dtype) {
    case SourceDtype::F16: convertAll(out.size, o, [&](int64_t i) { return halfToFloat(readAt<uint16_t>(bytes, i)); }); break;
    case SourceDtype::BF16: convertAll(out.size, o, [&](int64_t i) { return bfloat16ToFloat(readAt<uint16_t>(bytes, i)); }); break;
    case SourceDtype::F64: convertAll(out.size, o, [&](int64_t i) { return static_cast<float>(readAt<double>(bytes, i)); }); break;
    case SourceDtype::I64: convertAll(out.size, o, [&](int64_t i) { return static_cast<float>(readAt<int64_t>(bytes, i)); }); break;
    case SourceDtype::I32: convertAll(out.size, o, [&](int64_t i) { return static_cast<float>(readAt<int32_t>(bytes, i)); }); break;
    case SourceDtype::I16: convertAll(out.size, o, [&](int64_t i) { return static_cast<float>(readAt<int16_t>(bytes, i)); }); break;
    case SourceDtype::I8: convertAll(out.size, o, [&](int64_t i) { return static_cast<float>(readAt<int8_t>(bytes, i)); }); break;
    case SourceDtype::U8: convertAll(out.size, o, [&](int64_t i) { return static_cast<float>(readAt<uint8_t>(bytes, i)); }); break;
    case SourceDtype::Bool: convertAll(out.size, o, [&](int64_t i) { return bytes[i] != 0 ? 1.f : 0.f; }); break;
  }
  return Status::ok();
}

}  // namespace atrous
