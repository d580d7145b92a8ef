// Forward of a 3x3 kernel at stride 1 and any dilation by Winograd's minimal filtering F(2x2, 3x3)
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): 16 multiplies per 2x2
// output pixels per channel pair instead of 36, so 2.25x fewer FLOPs than the direct tiles, which
// already run near the FMA ceiling. A dilation d splits the output into d x d phases, each an
// undilated 3x3 conv of the input's matching phase, so a tile is 2x2 output pixels d apart reading
// 4x4 input pixels d apart: nothing else changes.
//
// Per thread, an image's output rows go in bands: the band's padded input rows are copied
// channels-last (as the channels-last tile does), each tile's 4x4 inputs are transformed (V = B^T d B,
// 16 vectors of channels), the 16 transformed products are 16 independent 1x1 convolutions of the
// tiles' V with the transformed weight (U = G g G^T), run by the channels-last register tile
// (forward_tile.h: 6 tiles x 64 output channels, or 12 x 32), and each tile's 16 sums go back to 2x2 pixels
// (Y = A^T M A), channels-last, then transposed into y. Adds and subtracts only in the transforms
// (and halves in the weight's, exact), so the rounding stays that of a few more additions.
// AVX-512 only, like the tile it runs on.
#pragma once
#include <cstdint>

#include "../../conv_geometry.h"

namespace atrous {

namespace winograd {
constexpr int kPoints = 16;         // transformed values per tile (4 x 4)
constexpr int64_t kChannelStep = 16;  // input channels must be a multiple of this (the transforms' vectors)

// The AVX-512 halves (winograd_avx512.cpp). Channels-last in and out; channels a multiple of 16.
// v[xi * pointStride + c] = (B^T d B)[xi] for the 4x4 inputs d[r][s] = x[r * rowStep + s * colStep + c].
void inputTileAvx512(const float* x, int64_t rowStep, int64_t colStep, int64_t channels, float* v,
                     int64_t pointStride);
// y[r * rowStep + s * colStep + co] = bias[co] + (A^T M A)[r][s] for r < rows, s < cols (1 or 2 each),
// with M[xi] = m[xi * pointStride + co].
void outputTileAvx512(const float* m, int64_t pointStride, int64_t channels, const float* bias, float* y,
                      int64_t rowStep, int64_t colStep, int rows, int cols);
// The weight gradient's dy transform: d[xi * pointStride + co] = (A dy A^T)[xi] for the 2x2 values
// dy[r * rowStep + s * colStep + co], co < channels (a multiple of 16).
void dyTileAvx512(const float* dy, int64_t rowStep, int64_t colStep, int64_t channels, float* d,
                  int64_t pointStride);
// m[k * ldm + c] += sum over t < tiles of d[t * dStride + k] * v[t * vStride + c] for k < rows (at
// most kProductRows; d[t * dStride + k] initialized for every k < kProductRows) and c < 16 * slots
// (slots 1, 2 or 4).
constexpr int kProductRows = 6;
void productAvx512(const float* d, int64_t dStride, int rows, const float* v, int64_t vStride, int64_t tiles,
                   int slots, float* m, int64_t ldm);
}  // namespace winograd

// Whether the geometry fits the transform at all: 3x3, stride 1, one group, input channels a
// multiple of 16 (when it is fast enough to choose is plan.cpp's rule). The weight gradient also
// needs output channels a multiple of 16.
bool winogradFits(const ConvGeometry& g);
// Output rows per band of one image (a multiple of 2 x dilation, or all of them) whose padded
// channels-last input rows take at most capFloats; 0 when not even one pair of tile rows' do.
int64_t winogradBandRows(const ConvGeometry& g, int64_t capFloats);
// A thread's buffers for bands of bandRows output rows (input rows, transforms, sums, output rows).
int64_t winogradThreadFloats(const ConvGeometry& g, int64_t bandRows);
// The output channels rounded up to the register tile's block (forward_tile::shapeFor: 64, or 32
// for up to 32 output channels, which take the narrow tile).
int64_t winogradPaddedOutChannels(const ConvGeometry& g);
// The transformed weight: 16 x input channels x the padded output channels.
int64_t winogradWeightFloats(const ConvGeometry& g);

// The weight gradient by the same tiles (F(3x3, 2x2), the forward's algorithm transposed): dW = G^T
// [sum over tiles of (A dy A^T) * (B^T x B)] G, the sum 16 independent products of dy's and x's
// transforms over the tiles, run by the weight gradient's register tile (weight_tile.h) into
// per-thread sums of 16 x output x input channels. Each thread takes a contiguous share of the
// (image, band) items.
int64_t winogradWeightThreadFloats(const ConvGeometry& g, int64_t bandRows);
void backwardWeightWinograd(const ConvGeometry& g, int64_t bandRows, const float* x, const float* dy, float* dw);

// Forward (AVX-512 only; when it runs and why: plan.cpp); geometry and buffers already validated.
void forwardWinograd(const ConvGeometry& g, int64_t bandRows, const float* x, const float* w, const float* bias,
                     float* y);

}  // namespace atrous
