// Dilated im2col and col2im on the device over a tile of a batch: `images` images starting at the
// pointers given, and output pixels [pixelBegin, pixelBegin + pixels) of each (p = oh * outW + ow).
// Column matrix element (n, row, j), row = (c * kernelH + kh) * kernelW + kw over all input
// channels (a group's rows are contiguous), lives at col[n * imageStride + row * rowStride + j]:
// imageStride = rows * pixels, rowStride = pixels gives per-image matrices; imageStride = pixels,
// rowStride = images * pixels (or more) gives one matrix with the images side by side.
// Unchecked: the convolutions validate the geometry and keep every count below 2^31.
#pragma once
#include <cstdint>

#include "../conv_geometry.h"
#include "cuda_status.h"

namespace atrous::cuda {

struct ColumnTile {
  int64_t images = 1;
  int64_t pixelBegin = 0, pixels = 0;
  int64_t imageStride = 0, rowStride = 0;
};

// col = columns of x (x points at the tile's first image); padding taps are zeros.
Status im2colDilated(const ConvGeometry& g, const float* x, const ColumnTile& tile, float* col, Stream stream);

// dx (pointing at the tile's first image) = [dx +] the sum, for every input pixel, of the column
// entries of the taps that read it, gathered (no atomics; each pixel adds its taps in one order).
Status col2imDilated(const ConvGeometry& g, const float* col, const ColumnTile& tile, bool accumulate, float* dx,
                     Stream stream);

}  // namespace atrous::cuda
