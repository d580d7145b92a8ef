// Builds a float32 training batch from uint8 images (the IDX layout, count × H × W, one channel):
// gathers the listed images, optionally takes a shifted H×W window of each image zero-padded by `pad`
// (random-crop augmentation) and mirrors it left-right, and maps every byte v to v * scale + shift
// (normalisation). One pass over the output; padding reads as byte 0.
#pragma once
#include <cstdint>

#include "../status.h"

namespace atrous {

struct ImageBatchSpec {
  int64_t count = 0;   // images in the source
  int64_t height = 0;
  int64_t width = 0;
  int64_t pad = 0;     // crop window offsets range over [0, 2·pad]
  float scale = 1.f;
  float shift = 0.f;

  Status validate(const char* fn) const;
};

// out[b, y, x] = src[indices[b], y + dy_b - pad, x' + dx_b - pad] * scale + shift, where x' = W-1-x when
// flip_b, else x; out of the image reads 0. crops holds (dy, dx, flip) per image, or is null: no
// shift and no flip. srcSize = count·H·W; out holds indexCount·H·W values.
Status gatherImageBatch(const ImageBatchSpec& spec, const uint8_t* src, long long srcSize, const int32_t* indices,
                        long long indexCount, const int32_t* crops, long long cropsSize, FloatSpan out);

}  // namespace atrous
