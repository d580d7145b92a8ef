// Zero-padded, channels-last copies of NCHW images: xPad[n][(ih + padTop) * PW + iw + padLeft][c]
// = x[n][c][ih][iw], zero in the padding (PW = inW + padLeft + padRight), for kernels that read all
// channels of a pixel at once (the channels-last weight gradient and forward).
#pragma once
#include <cstdint>

#include "../../conv_geometry.h"

namespace atrous {

// Where a copy reads its images: by default x holds g's own inputs (inH x inW per channel); with a
// folded stride (conv_stride_fold.h), x holds larger images (sourceH x sourceW per channel) read at
// every factorH-th row and factorW-th column, so that the subsampling costs no pass of its own.
struct InputSampling {
  int64_t factorH = 1, factorW = 1, sourceH = 0, sourceW = 0;  // 0: g.inH, g.inW
};

// Floats of one image's copy: inChannels x (inH + padTop + padBottom) x (inW + padLeft + padRight).
int64_t paddedChannelsLastFloats(const ConvGeometry& g);

// Padded rows [rowBegin, rowEnd) of the copy of a batch of images (row r = image r / PH, padded
// row r % PH), on the calling thread; every float of those rows is written. xPad holds the copy from
// row bufferRow on (0: the whole copy; rowBegin: a band of rows alone).
void toPaddedChannelsLastRows(const ConvGeometry& g, const float* x, int64_t rowBegin, int64_t rowEnd, float* xPad,
                              const InputSampling& sampling = {}, int64_t bufferRow = 0);

// The copy of `images` images, spread over the thread pool.
void toPaddedChannelsLast(const ConvGeometry& g, const float* x, int64_t images, float* xPad,
                          const InputSampling& sampling = {});

// The AVX-512 half: d[i * ldd + c] = s[c * lds + i * step] for c < channels, i < pixels (at most
// 16 each), step 1 or 2.
void transposeTileAvx512(const float* s, int64_t lds, int64_t step, int64_t channels, int64_t pixels, float* d,
                         int64_t ldd);

}  // namespace atrous
