#include "image_batch.h"

#include <string>

#include "parallel_ranges.h"

namespace atrous {

Status ImageBatchSpec::validate(const char* fn) const {
  const std::string f(fn);
  if (count < 0 || height < 1 || width < 1)
    return Status::error(f + ": expects count >= 0 and an image of at least 1x1, but got count " + std::to_string(count) +
                         ", " + std::to_string(height) + "x" + std::to_string(width));
  if (pad < 0 || pad > height || pad > width)
    return Status::error(f + ": pad expects an integer in [0, min(H, W)] = [0, " +
                         std::to_string(height < width ? height : width) + "], but got " + std::to_string(pad));
  return Status::ok();
}

Status gatherImageBatch(const ImageBatchSpec& spec, const uint8_t* src, long long srcSize, const int32_t* indices,
                        long long indexCount, const int32_t* crops, long long cropsSize, FloatSpan out) {
  const char* fn = "gatherImageBatch";
  const std::string f(fn);
  Status st = spec.validate(fn);
  if (!st.isOk()) return st;
  const int64_t h = spec.height, w = spec.width, plane = h * w;
  if (srcSize != spec.count * plane)
    return Status::error(f + ": src expects count*H*W = " + std::to_string(spec.count * plane) + " bytes, but got " +
                         std::to_string(srcSize));
  if (out.size != indexCount * plane)
    return Status::error(f + ": out expects " + std::to_string(indexCount * plane) + " values (" +
                         std::to_string(indexCount) + " images of " + std::to_string(h) + "x" + std::to_string(w) +
                         "), but got " + std::to_string(out.size));
  if (crops != nullptr && cropsSize != 3 * indexCount)
    return Status::error(f + ": crops expects 3 values (dy, dx, flip) per image = " + std::to_string(3 * indexCount) +
                         ", but got " + std::to_string(cropsSize));
  // Every index and offset is checked before anything is written.
  for (long long b = 0; b < indexCount; ++b) {
    if (indices[b] < 0 || indices[b] >= spec.count)
      return Status::error(f + ": indices[" + std::to_string(b) + "] expects an image index in [0, " +
                           std::to_string(spec.count - 1) + "], but got " + std::to_string(indices[b]));
    if (crops == nullptr) continue;
    const int32_t dy = crops[3 * b], dx = crops[3 * b + 1], flip = crops[3 * b + 2];
    if (dy < 0 || dy > 2 * spec.pad || dx < 0 || dx > 2 * spec.pad || (flip != 0 && flip != 1))
      return Status::error(f + ": crops[" + std::to_string(b) + "] expects dy, dx in [0, " + std::to_string(2 * spec.pad) +
                           "] and flip 0 or 1, but got (" + std::to_string(dy) + ", " + std::to_string(dx) + ", " +
                           std::to_string(flip) + ")");
  }
  const float scale = spec.scale, shift = spec.shift;
  auto one = [&](int64_t b) {
    const uint8_t* img = src + static_cast<int64_t>(indices[b]) * plane;
    float* o = out.data + b * plane;
    const int64_t offY = crops ? crops[3 * b] - spec.pad : 0;
    const int64_t offX = crops ? crops[3 * b + 1] - spec.pad : 0;
    const bool flip = crops && crops[3 * b + 2] == 1;
    for (int64_t y = 0; y < h; ++y) {
      const int64_t sy = y + offY;
      float* row = o + y * w;
      if (sy < 0 || sy >= h) {
        for (int64_t x = 0; x < w; ++x) row[x] = shift;
        continue;
      }
      const uint8_t* srow = img + sy * w;
      for (int64_t x = 0; x < w; ++x) {
        const int64_t sx = (flip ? w - 1 - x : x) + offX;
        row[x] = (sx >= 0 && sx < w ? static_cast<float>(srow[sx]) : 0.f) * scale + shift;
      }
    }
  };
  parallelEach(indexCount, plane, one);
  return Status::ok();
}

}  // namespace atrous
