// Direct forward from a zero-padded, channels-last copy of each image (AVX-512 only): a register tile
// of 6 output pixels x 64 output channels, or 12 x 32 for groups of up to 32 output channels
// (conv_forward_tile.h), runs over every tap and input channel, the pixels' inputs broadcast from the
// copy and the weight read as vectors of output channels. Nothing is packed but the weight, and the
// pixels may lie on any rows, so narrow rows lose no lanes (S6 folded: 28 wide). The sums of a block
// of output channels are kept channels-last, then transposed into y 16 x 16 at a time. Each thread
// pads and convolves whole images of its own, in bands of output rows when a whole image's copy
// would not fit its share of the workspace (S3: 256 channels of 72 x 72 padded, 5.3 MB an image).
#pragma once
#include <cstdint>

#include "../../conv_geometry.h"
#include "padded_channels_last.h"

namespace atrous {

// A thread's two buffers for a band of `bandRows` output rows: the padded input rows the band reads,
// channels-last, and the band's sums of a block of output channels.
int64_t channelsLastForwardCopyFloats(const ConvGeometry& g, int64_t bandRows);
int64_t channelsLastForwardSumFloats(const ConvGeometry& g, int64_t bandRows);
// The most output rows per band (at most all of them) whose two buffers take at most capFloats each;
// 0 when not even one row's do.
int64_t channelsLastForwardBandRows(const ConvGeometry& g, int64_t capFloats);

// Forward (AVX-512 only; when it runs and why: plan.cpp), band by band of bandRows output rows (from
// channelsLastForwardBandRows); geometry and buffers already validated. With a sampling, x holds the
// larger images of a folded stride (see InputSampling) and g is the folded conv.
void forwardChannelsLast(const ConvGeometry& g, int64_t bandRows, const float* x, const float* w, const float* bias,
                         float* y, const InputSampling& sampling = {});

}  // namespace atrous
