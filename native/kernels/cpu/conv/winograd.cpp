#include "winograd.h"

#include <algorithm>
#include <vector>

#include "forward_tile.h"
#include "padded_channels_last.h"
#include "../parallel_ranges.h"
#include "../reusable_scratch.h"
#include "../thread_pool.h"
#include "../../portability.h"

namespace atrous {
namespace {

using winograd::kPoints;

// Tiles per chunk: a chunk's transformed inputs and sums (16 x (C + CoPad) floats a tile) stay within
// about L2 (1 MiB here) while the 16 products run over them (S3: 30 tiles a chunk; 12 were 10%
// slower); a multiple of the register tile's 6 pixels.
constexpr int64_t kChunkFloats = 256 * 1024;

int64_t coBlockOf(const ConvGeometry& g) { return forward_tile::shapeFor(g.outChannels).coBlock; }
int64_t paddedOutChannels(const ConvGeometry& g) { return winogradPaddedOutChannels(g); }

// The conv with a dilation's worth more padding below and to the right: a tile whose second row or
// column falls outside the output still reads 4 rows and columns of input (its extra sums are dropped).
ConvGeometry extended(const ConvGeometry& g) {
  ConvGeometry e = g;
  e.padBottom += g.dilationH;
  e.padRight += g.dilationW;
  return e;
}

int64_t tilesPerChunk(const ConvGeometry& g) {
  const int64_t perTile = kPoints * (g.inChannels + paddedOutChannels(g));
  constexpr int64_t step = forward_tile::kNarrow.pixels;  // a multiple of both tiles' pixels
  return std::max<int64_t>(step, kChunkFloats / perTile / step * step);
}

// U = G g G^T for every (output, input) channel pair, as [point][block of 64 outputs][input][64],
// zeros past the last output channel. G's rows: g0; (g0 + g1 + g2) / 2; (g0 - g1 + g2) / 2; g2.
const float* transformWeights(const ConvGeometry& g, const float* w, ReusableScratch& scratch) {
  const int64_t C = g.inChannels, Co = g.outChannels, coBlock = coBlockOf(g), blocks = paddedOutChannels(g) / coBlock;
  const int64_t size = kPoints * blocks * C * coBlock;
  float* u = scratch.floats(size);
  if (blocks * coBlock != Co) std::fill(u, u + size, 0.f);
  parallelEach(Co, C * 25, [&](int64_t co) {  // 9 reads and 16 writes a pair: S8's 32 x 32 stays on one thread
    for (int64_t c = 0; c < C; ++c) {
      const float* k = w + (co * C + c) * 9;
      float r[4][3];  // G g: 4 rows of 3
      for (int j = 0; j < 3; ++j) {
        r[0][j] = k[j];
        r[1][j] = 0.5f * (k[j] + k[3 + j] + k[6 + j]);
        r[2][j] = 0.5f * (k[j] - k[3 + j] + k[6 + j]);
        r[3][j] = k[6 + j];
      }
      float* dst = u + ((co / coBlock) * C + c) * coBlock + co % coBlock;
      const int64_t pointStride = blocks * C * coBlock;
      for (int i = 0; i < 4; ++i) {
        const float v[4] = {r[i][0], 0.5f * (r[i][0] + r[i][1] + r[i][2]), 0.5f * (r[i][0] - r[i][1] + r[i][2]),
                            r[i][2]};
        for (int j = 0; j < 4; ++j) dst[(4 * i + j) * pointStride] = v[j];
      }
    }
  });
  return u;
}

// The band's tiles, as (output row, output column) pairs: rows 2d k + a and columns 2d j + b
// (a, b < d) below the output's edge. Returns how many.
int64_t bandTiles(const ConvGeometry& g, int64_t oyBand, int64_t oyEnd, std::vector<int32_t>& origins) {
  const int64_t dH = g.dilationH, dW = g.dilationW, OW = g.outW();
  origins.clear();
  for (int64_t oy = oyBand; oy < oyEnd; ++oy) {
    if (oy % (2 * dH) >= dH) continue;
    for (int64_t ox = 0; ox < OW; ++ox)
      if (ox % (2 * dW) < dW) {
        origins.push_back(static_cast<int32_t>(oy));
        origins.push_back(static_cast<int32_t>(ox));
      }
  }
  return static_cast<int64_t>(origins.size()) / 2;
}

// The x transforms of `count` tiles (origins: their (row, column) pairs) into v[point][tile][c], from
// a band's padded channels-last copy (PW columns, from padded row oyBand on).
void transformInputs(const ConvGeometry& g, const float* xPad, int64_t PW, int64_t oyBand, const int32_t* origins,
                     int64_t count, float* v, int64_t chunkTiles) {
  const int64_t C = g.inChannels, rowStep = g.dilationH * PW * C, colStep = g.dilationW * C;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t oy = origins[2 * i], ox = origins[2 * i + 1];
    ATROUS_X86_CALL(winograd::inputTileAvx512, xPad + ((oy - oyBand) * PW + ox) * C, rowStep, colStep, C, v + i * C,
                    chunkTiles * C);
  }
}

// The weight gradient's chunks: a chunk's x and dy transforms (16 x (C + Co) floats a tile), up to
// 4 MiB, so that the per-thread sums (16 x Co x C) are read and written once per many tiles.
constexpr int64_t kWeightChunkFloats = 1024 * 1024;

// The dy transforms' row of a tile: the output channels and room for the product tile's last rows
// (zeros: read, their sums dropped). The extra floats also keep the stride off a power of two: at
// exactly Co (256) the products' strided reads of d made S3's weight gradient 13% slower.
int64_t weightRows(const ConvGeometry& g) { return g.outChannels + winograd::kProductRows; }

int64_t weightChunkTiles(const ConvGeometry& g) {
  const int64_t perTile = kPoints * (g.inChannels + weightRows(g));
  return std::max<int64_t>(16, kWeightChunkFloats / perTile / 16 * 16);
}

// dy as the copies see it: the output's channels and size, a dilation's worth of zeros below and to
// the right (a tile's second row or column past the output's edge reads zeros).
ConvGeometry dyGeometry(const ConvGeometry& g) {
  ConvGeometry d = g;
  d.inChannels = g.outChannels;
  d.inH = g.outH();
  d.inW = g.outW();
  d.padTop = d.padLeft = 0;
  d.padBottom = g.dilationH;
  d.padRight = g.dilationW;
  return d;
}

int64_t bandCopyFloats(const ConvGeometry& g, int64_t bandRows) {
  const ConvGeometry e = extended(g);
  return std::min(bandRows + 3 * g.dilationH, e.inH + e.padTop + e.padBottom) * (e.inW + e.padLeft + e.padRight) *
         g.inChannels;
}

}  // namespace

bool winogradFits(const ConvGeometry& g) {
  return g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.groups == 1 &&
         g.inChannels % winograd::kChannelStep == 0;
}

int64_t winogradBandRows(const ConvGeometry& g, int64_t capFloats) {
  const ConvGeometry e = extended(g);
  const int64_t pairRows = 2 * g.dilationH, rowFloats = (e.inW + e.padLeft + e.padRight) * g.inChannels;
  const int64_t all = (g.outH() + pairRows - 1) / pairRows * pairRows;
  const int64_t byCopy = (capFloats / rowFloats - 3 * g.dilationH) / pairRows * pairRows;
  const int64_t bySums = capFloats / (g.outW() * paddedOutChannels(g)) / pairRows * pairRows;
  const int64_t rows = std::min({all, byCopy, bySums});
  return rows >= pairRows ? rows : 0;
}

int64_t winogradThreadFloats(const ConvGeometry& g, int64_t bandRows) {
  const int64_t copy = bandCopyFloats(g, bandRows);
  const int64_t chunk = tilesPerChunk(g) * kPoints * (g.inChannels + paddedOutChannels(g));
  return copy + chunk + bandRows * g.outW() * paddedOutChannels(g);
}

int64_t winogradPaddedOutChannels(const ConvGeometry& g) {
  const int64_t block = coBlockOf(g);
  return (g.outChannels + block - 1) / block * block;
}

int64_t winogradWeightFloats(const ConvGeometry& g) { return kPoints * g.inChannels * paddedOutChannels(g); }

void forwardWinograd(const ConvGeometry& g, int64_t bandRows, const float* x, const float* w, const float* bias,
                     float* y) {
  using namespace winograd;
  const ConvGeometry e = extended(g);
  const forward_tile::Shape shape = forward_tile::shapeFor(g.outChannels);
  const int64_t C = g.inChannels, Co = g.outChannels, CoPad = paddedOutChannels(g), coBlock = shape.coBlock;
  const int64_t blocks = CoPad / coBlock;
  const bool narrow = coBlock == forward_tile::kNarrow.coBlock;
  const int64_t OH = g.outH(), OW = g.outW(), P = OH * OW, dH = g.dilationH, dW = g.dilationW;
  const int64_t PH = e.inH + e.padTop + e.padBottom, PW = e.inW + e.padLeft + e.padRight;
  const int64_t bands = (OH + bandRows - 1) / bandRows, chunkTiles = tilesPerChunk(g);
  thread_local ReusableScratch weightScratch;
  const float* u = transformWeights(g, w, weightScratch);  // read by the pool's threads
  std::vector<float> paddedBias(static_cast<size_t>(CoPad), 0.f);
  if (bias) std::copy(bias, bias + Co, paddedBias.begin());
  const int64_t zeroOffset = 0;

  parallelFor(g.batch * bands, [&](int64_t item) {
    const int64_t n = item / bands, oyBand = item % bands * bandRows, oyEnd = std::min(OH, oyBand + bandRows);
    const int64_t rowEnd = std::min(PH, oyBand + bandRows + 3 * dH);
    thread_local ReusableScratch copyScratch, chunkScratch, outScratch;
    thread_local std::vector<int32_t> origins;  // the band's tiles: (output row, output column) pairs
    float* xPad = copyScratch.floats((rowEnd - oyBand) * PW * C);
    float* v = chunkScratch.floats(chunkTiles * kPoints * (C + CoPad));
    float* m = v + chunkTiles * kPoints * C;
    float* out = outScratch.floats((oyEnd - oyBand) * OW * CoPad);  // the band's output rows, channels-last
    toPaddedChannelsLastRows(e, x + n * C * g.inH * g.inW, oyBand, rowEnd, xPad, {}, oyBand);

    const int64_t tiles = bandTiles(g, oyBand, oyEnd, origins);
    for (int64_t t0 = 0; t0 < tiles; t0 += chunkTiles) {
      const int64_t count = std::min(chunkTiles, tiles - t0);
      transformInputs(g, xPad, PW, oyBand, origins.data() + 2 * t0, count, v, chunkTiles);
      // The 16 products: 1x1 convolutions of the chunk's tiles with the point's weight.
      for (int64_t point = 0; point < kPoints; ++point)
        for (int64_t block = 0; block < blocks; ++block) {
          const float* wb = u + (point * blocks + block) * C * coBlock;
          const float* vp = v + point * chunkTiles * C;
          float* mp = m + point * chunkTiles * CoPad + block * coBlock;
          for (int64_t q = 0; q < count; q += shape.pixels) {
            forward_tile::Tile t;
            t.pixels = static_cast<int>(std::min<int64_t>(shape.pixels, count - q));
            for (int s = 0; s < t.pixels; ++s) {
              t.x[s] = vp + (q + s) * C;
              t.sum[s] = mp + (q + s) * CoPad;
            }
            if (narrow) ATROUS_X86_CALL(forward_tile::forwardNarrowAvx512, t, wb, &zeroOffset, 1, C, nullptr);
            else ATROUS_X86_CALL(forward_tile::forwardWideAvx512, t, wb, &zeroOffset, 1, C, nullptr);
          }
        }
      for (int64_t i = 0; i < count; ++i) {
        const int64_t oy = origins[2 * (t0 + i)], ox = origins[2 * (t0 + i) + 1];
        ATROUS_X86_CALL(outputTileAvx512, m + i * CoPad, chunkTiles * CoPad, CoPad, bias ? paddedBias.data() : nullptr,
                        out + ((oy - oyBand) * OW + ox) * CoPad, dH * OW * CoPad, dW * CoPad, oy + dH < OH ? 2 : 1,
                        ox + dW < OW ? 2 : 1);
      }
    }
    // y[co][p] = out[p][co], 16 x 16 at a time.
    const int64_t bandPixels = (oyEnd - oyBand) * OW;
    float* yb = y + n * Co * P + oyBand * OW;
    for (int64_t co0 = 0; co0 < Co; co0 += 16)
      for (int64_t q0 = 0; q0 < bandPixels; q0 += 16)
        ATROUS_X86_CALL(transposeTileAvx512, out + q0 * CoPad + co0, CoPad, 1, std::min<int64_t>(16, bandPixels - q0),
                        std::min<int64_t>(16, Co - co0), yb + co0 * P + q0, P);
  });
}

int64_t winogradWeightThreadFloats(const ConvGeometry& g, int64_t bandRows) {
  return bandCopyFloats(g, bandRows) + bandRows * (g.outW() + g.dilationW) * g.outChannels +
         weightChunkTiles(g) * kPoints * (g.inChannels + weightRows(g)) + kPoints * g.outChannels * g.inChannels;
}

void backwardWeightWinograd(const ConvGeometry& g, int64_t bandRows, const float* x, const float* dy, float* dw) {
  using namespace winograd;
  const ConvGeometry e = extended(g), ed = dyGeometry(g);
  const int64_t C = g.inChannels, Co = g.outChannels, rowD = weightRows(g), sumsFloats = kPoints * Co * C;
  const int64_t OH = g.outH(), OW = g.outW(), P = OH * OW, dH = g.dilationH, dW = g.dilationW;
  const int64_t PH = e.inH + e.padTop + e.padBottom, PW = e.inW + e.padLeft + e.padRight;
  const int64_t DH = OH + dH, DW = OW + dW;  // dy's copy: rows and columns
  const int64_t bands = (OH + bandRows - 1) / bandRows, items = g.batch * bands, chunkTiles = weightChunkTiles(g);
  const int slots = C % 64 == 0 ? 4 : C % 32 == 0 ? 2 : 1, slotChannels = 16 * slots;
  thread_local ReusableScratch sumScratch;
  float* sums = sumScratch.floats(static_cast<int64_t>(numThreads()) * sumsFloats);  // [thread][point][co][c]
  int used = 1;

  parallelRun([&](int thread, int threadCount) {
    if (thread == 0) used = threadCount;
    float* m = sums + thread * sumsFloats;
    std::fill(m, m + sumsFloats, 0.f);
    thread_local ReusableScratch copyScratch, dyScratch, chunkScratch;
    thread_local std::vector<int32_t> origins;
    float* v = chunkScratch.floats(chunkTiles * kPoints * (C + rowD));  // [point][tile][c]
    float* d = v + chunkTiles * kPoints * C;                            // [point][tile][co]
    for (int64_t item = items * thread / threadCount; item < items * (thread + 1) / threadCount; ++item) {
      const int64_t n = item / bands, oyBand = item % bands * bandRows, oyEnd = std::min(OH, oyBand + bandRows);
      const int64_t rowEnd = std::min(PH, oyBand + bandRows + 3 * dH), dyEnd = std::min(DH, oyBand + bandRows);
      float* xPad = copyScratch.floats((rowEnd - oyBand) * PW * C);
      float* dyPad = dyScratch.floats((dyEnd - oyBand) * DW * Co);
      toPaddedChannelsLastRows(e, x + n * C * g.inH * g.inW, oyBand, rowEnd, xPad, {}, oyBand);
      toPaddedChannelsLastRows(ed, dy + n * Co * P, oyBand, dyEnd, dyPad, {}, oyBand);
      const int64_t tiles = bandTiles(g, oyBand, oyEnd, origins);
      for (int64_t t0 = 0; t0 < tiles; t0 += chunkTiles) {
        const int64_t count = std::min(chunkTiles, tiles - t0);
        transformInputs(g, xPad, PW, oyBand, origins.data() + 2 * t0, count, v, chunkTiles);
        for (int64_t i = 0; i < count; ++i) {
          const int64_t oy = origins[2 * (t0 + i)], ox = origins[2 * (t0 + i) + 1];
          ATROUS_X86_CALL(dyTileAvx512, dyPad + ((oy - oyBand) * DW + ox) * Co, dH * DW * Co, dW * Co, Co,
                          d + i * rowD, chunkTiles * rowD);
          for (int64_t point = 0; point < kPoints; ++point)
            std::fill_n(d + point * chunkTiles * rowD + i * rowD + Co, rowD - Co, 0.f);
        }
        // The 16 products: m[point][co][c] += sum over the chunk's tiles of d[point][t][co] v[point][t][c].
        for (int64_t point = 0; point < kPoints; ++point)
          for (int64_t co0 = 0; co0 < Co; co0 += kProductRows) {
            const int rows = static_cast<int>(std::min<int64_t>(kProductRows, Co - co0));
            for (int64_t c0 = 0; c0 < C; c0 += slotChannels)
              ATROUS_X86_CALL(productAvx512, d + point * chunkTiles * rowD + co0, rowD, rows,
                              v + point * chunkTiles * C + c0, C, count, slots, m + (point * Co + co0) * C + c0, C);
          }
      }
    }
  });

  // The threads' sums, then dW = G^T M G: down the rows (m0 + (m1 + m2) / 2, (m1 - m2) / 2,
  // (m1 + m2) / 2 + m3), then along them.
  for (int t = 1; t < used; ++t) {
    const float* other = sums + t * sumsFloats;
    parallelRanges(sumsFloats, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) sums[i] += other[i];
    });
  }
  parallelEach(Co, C * 64, [&](int64_t co) {
    for (int64_t c = 0; c < C; ++c) {
      float mm[4][4];
      for (int xi = 0; xi < kPoints; ++xi) mm[xi / 4][xi % 4] = sums[(xi * Co + co) * C + c];
      float r[3][4];
      for (int j = 0; j < 4; ++j) {
        const float h = 0.5f * (mm[1][j] + mm[2][j]);
        r[0][j] = mm[0][j] + h;
        r[1][j] = 0.5f * (mm[1][j] - mm[2][j]);
        r[2][j] = h + mm[3][j];
      }
      float* out = dw + (co * C + c) * 9;
      for (int i = 0; i < 3; ++i) {
        const float h = 0.5f * (r[i][1] + r[i][2]);
        out[3 * i] = r[i][0] + h;
        out[3 * i + 1] = 0.5f * (r[i][1] - r[i][2]);
        out[3 * i + 2] = h + r[i][3];
      }
    }
  });
}

}  // namespace atrous
