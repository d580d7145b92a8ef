// Dilated im2col and col2im for one image and one group, expressed as GEMM operands:
//  - ImageColumnsSource is the column matrix B(k, j) of the forward pass (k = input channel and tap,
//    j = output pixel) packed straight from the image into GEMM panels, never materialized.
//  - im2colTile materializes a bounded tile of the same matrix (the weight gradient's operand).
//  - col2imAdd scatters a tile of column gradients back onto the input gradient.
// The source can be restricted to a rectangle of output pixels and a box of kernel taps, so that
// a convolution can skip taps that only ever land in padding (see conv_tap_regions.h).
#pragma once
#include <cstdint>

#include "../../conv_geometry.h"
#include "../gemm.h"

namespace atrous {

// The widest GEMM panel (NR) any microkernel uses; packers keep per-panel state on the stack.
constexpr int kMaxPanelWidth = 64;

// The part of the convolution one GEMM covers: output rows [ohBegin, ohEnd) x columns
// [owBegin, owEnd), kernel taps kh in [khBegin, khEnd) and kw in [kwBegin, kwEnd), and
// `channels` input channels starting at `image` (one image, one group: channels x inH x inW).
struct ColumnWindow {
  int64_t ohBegin, ohEnd, owBegin, owEnd;
  int64_t khBegin, khEnd, kwBegin, kwEnd;
  int64_t taps() const { return (khEnd - khBegin) * (kwEnd - kwBegin); }
  int64_t pixels() const { return (ohEnd - ohBegin) * (owEnd - owBegin); }
  static ColumnWindow whole(const ConvGeometry& g) { return {0, g.outH(), 0, g.outW(), 0, g.kernelH, 0, g.kernelW}; }
};

class ImageColumnsSource final : public BPanelSource {
 public:
  // B is (channels * window.taps()) x (images * window.pixels()); row k = (channel, kh, kw)
  // channel-major, or (kh, kw, channel) when tapMajor; column j = (image, pixel of the window).
  // Images lie imageStride floats apart, so one GEMM can cover a small window in every image of a batch.
  ImageColumnsSource(const ConvGeometry& g, const float* image, int64_t channels, const ColumnWindow& window,
                     int64_t images = 1, int64_t imageStride = 0, bool tapMajor = false)
      : g_(g), image_(image), channels_(channels), win_(window), images_(images), imageStride_(imageStride),
        tapMajor_(tapMajor) {}
  void packPanels(int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const override;

 private:
  const ConvGeometry& g_;
  const float* image_;
  int64_t channels_;
  ColumnWindow win_;
  int64_t images_, imageStride_;
  bool tapMajor_;
};

// Materializes columns [first, first + count) of ImageColumnsSource's B for the same window and
// images into columns (row stride ldColumns): a bounded tile, for GEMMs that want the columns as a
// plain matrix (the weight gradient packs them transposed).
void im2colTile(const ConvGeometry& g, const float* image, int64_t channels, const ColumnWindow& window,
                int64_t images, int64_t imageStride, int64_t first, int64_t count, float* columns, int64_t ldColumns);

// image[c][ih][iw] += columns[(c*KH + kh)*KW + kw][p - pixelBegin] for every tap of output pixels
// p in [pixelBegin, pixelEnd) (row-major over the whole output) that lands inside the image;
// columns has ldColumns >= pixelEnd - pixelBegin.
void col2imAdd(const ConvGeometry& g, const float* columns, int64_t ldColumns, int64_t channels,
               int64_t pixelBegin, int64_t pixelEnd, float* image);

}  // namespace atrous
