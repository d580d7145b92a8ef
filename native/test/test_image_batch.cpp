// gatherImageBatch against a naive float64 loop over an explicitly zero-padded, cropped and mirrored
// copy of each image, and its argument checks; argmaxRows against a plain scan.
#include <cmath>
#include <cstdint>
#include <vector>

#include "../kernels/cpu/argmax_rows.h"
#include "../kernels/cpu/image_batch.h"
#include "harness.h"

namespace atrous {
namespace {

// The definition: pad the image with zeros, take the H×W window at (dy, dx), mirror it if flip.
double referencePixel(const std::vector<uint8_t>& src, int64_t h, int64_t w, int64_t pad, int32_t index, int32_t dy,
                      int32_t dx, int32_t flip, int64_t y, int64_t x, double scale, double shift) {
  const int64_t ph = h + 2 * pad, pw = w + 2 * pad;
  std::vector<double> padded(ph * pw, 0.0);
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c) padded[(r + pad) * pw + c + pad] = src[index * h * w + r * w + c];
  const int64_t cx = flip ? w - 1 - x : x;
  return padded[(y + dy) * pw + (cx + dx)] * scale + shift;
}

ATROUS_TEST(imageBatchMatchesPaddedCropFlip) {
  const int64_t count = 7, h = 5, w = 6, pad = 2;
  test::Rng rng(11);
  std::vector<uint8_t> src(count * h * w);
  for (auto& v : src) v = static_cast<uint8_t>(rng.intIn(0, 255));
  const std::vector<int32_t> indices = {3, 0, 6, 3, 1};
  std::vector<int32_t> crops;
  for (size_t b = 0; b < indices.size(); ++b) {
    crops.push_back(static_cast<int32_t>(rng.intIn(0, 2 * pad)));
    crops.push_back(static_cast<int32_t>(rng.intIn(0, 2 * pad)));
    crops.push_back(static_cast<int32_t>(b % 2));
  }
  crops[0] = 0, crops[1] = 2 * pad;  // the extreme corners
  ImageBatchSpec spec{count, h, w, pad, 1.f / 255.f, -0.5f};
  const long long n = static_cast<long long>(indices.size());
  std::vector<float> out(n * h * w, -99.f);
  Status s = gatherImageBatch(spec, src.data(), src.size(), indices.data(), n, crops.data(), crops.size(), {out.data(), n * h * w});
  ctx.check(s.isOk(), "crop+flip failed: %s", s.message().c_str());
  std::vector<double> want(out.size());
  for (long long b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        want[(b * h + y) * w + x] = referencePixel(src, h, w, pad, indices[b], crops[3 * b], crops[3 * b + 1],
                                                   crops[3 * b + 2], y, x, 1.0 / 255.0, -0.5);
  double err = test::relativeL2(out.data(), want.data(), static_cast<int64_t>(out.size()));
  ctx.check(err < 1e-6, "crop+flip: count=%lld h=%lld w=%lld pad=%lld rel err %g", (long long)count, (long long)h,
            (long long)w, (long long)pad, err);

  // No crops: a plain gather with normalisation.
  std::vector<float> plain(n * h * w);
  s = gatherImageBatch(spec, src.data(), src.size(), indices.data(), n, nullptr, 0, {plain.data(), n * h * w});
  ctx.check(s.isOk(), "plain gather failed: %s", s.message().c_str());
  for (long long b = 0; b < n; ++b)
    for (int64_t i = 0; i < h * w; ++i)
      want[b * h * w + i] = src[indices[b] * h * w + i] / 255.0 - 0.5;
  err = test::relativeL2(plain.data(), want.data(), static_cast<int64_t>(plain.size()));
  ctx.check(err < 1e-6, "plain gather: rel err %g", err);
}

ATROUS_TEST(imageBatchRejectsBadArguments) {
  const int64_t count = 2, h = 3, w = 3;
  std::vector<uint8_t> src(count * h * w, 7);
  std::vector<float> out(h * w, -1.f);
  ImageBatchSpec spec{count, h, w, 1, 1.f, 0.f};
  const int32_t badIndex[] = {2};
  Status s = gatherImageBatch(spec, src.data(), src.size(), badIndex, 1, nullptr, 0, {out.data(), h * w});
  ctx.check(!s.isOk() && s.message().find("indices[0]") != std::string::npos, "index 2 of 2 images: %s", s.message().c_str());
  ctx.check(out[0] == -1.f, "a rejected call wrote out[0] = %g", out[0]);
  const int32_t ok[] = {1};
  const int32_t badCrop[] = {0, 3, 0};
  s = gatherImageBatch(spec, src.data(), src.size(), ok, 1, badCrop, 3, {out.data(), h * w});
  ctx.check(!s.isOk() && s.message().find("crops[0]") != std::string::npos, "dx 3 > 2*pad: %s", s.message().c_str());
  s = gatherImageBatch(spec, src.data(), src.size() - 1, ok, 1, nullptr, 0, {out.data(), h * w});
  ctx.check(!s.isOk() && s.message().find("src expects") != std::string::npos, "short src: %s", s.message().c_str());
  s = gatherImageBatch(spec, src.data(), src.size(), ok, 1, nullptr, 0, {out.data(), h * w - 1});
  ctx.check(!s.isOk() && s.message().find("out expects") != std::string::npos, "short out: %s", s.message().c_str());
}

}  // namespace
}  // namespace atrous

// ---- argmaxRows (the predicted class of each row of logits) ----
namespace atrous {
namespace {

ATROUS_TEST(argmaxRowsMatchesFirstMaximum) {
  const int64_t rows = 33, cols = 10;
  test::Rng rng(5);
  std::vector<float> x = rng.floats(rows * cols);
  x[3 * cols + 2] = 5.f, x[3 * cols + 7] = 5.f;  // a tie: the first wins
  x[4 * cols + 6] = NAN;                         // NaN wins, as torch.argmax
  std::vector<int32_t> out(rows, -1);
  Status s = argmaxRows({x.data(), rows * cols}, rows, cols, out.data(), rows);
  ctx.check(s.isOk(), "argmaxRows failed: %s", s.message().c_str());
  for (int64_t r = 0; r < rows; ++r) {
    int64_t want = 0;
    for (int64_t c = 1; c < cols; ++c) {
      const float v = x[r * cols + c], b = x[r * cols + want];
      if (!std::isnan(b) && (std::isnan(v) || v > b)) want = c;
    }
    ctx.check(out[r] == want, "row %lld of %lldx%lld: got %d, want %lld", (long long)r, (long long)rows, (long long)cols, out[r], (long long)want);
  }
  ctx.check(out[3] == 2 && out[4] == 6, "tie row -> %d (want 2), NaN row -> %d (want 6)", out[3], out[4]);
  s = argmaxRows({x.data(), rows * cols - 1}, rows, cols, out.data(), rows);
  ctx.check(!s.isOk() && s.message().find("x expects") != std::string::npos, "short x: %s", s.message().c_str());
}

ATROUS_TEST(argmaxAlongMatchesFirstMaximum) {
  test::Rng rng(6);
  const int64_t shapes[][3] = {{1, 1, 1}, {3, 4, 5}, {1, 7, 1}, {5, 1, 3}, {2, 9, 300}, {40, 33, 2}};
  for (const auto& sh : shapes) {
    const int64_t outer = sh[0], size = sh[1], inner = sh[2], n = outer * size * inner;
    std::vector<float> x = rng.floats(n);
    if (size > 2) x[inner] = x[2 * inner] = 5.f;  // a tie at s = 1, 2 of position 0: the first wins
    if (n > 7) x[n - 1] = NAN;
    std::vector<int32_t> out(outer * inner, -1);
    Status s = argmaxAlong({x.data(), n}, outer, size, inner, Int32Span{out.data(), outer * inner});
    if (!ctx.check(s.isOk(), "argmaxAlong failed: %s", s.message().c_str())) continue;
    bool same = true;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t want = 0;
        for (int64_t k = 1; k < size; ++k) {
          const float v = x[(o * size + k) * inner + i], b = x[(o * size + want) * inner + i];
          if (!std::isnan(b) && (std::isnan(v) || v > b)) want = k;
        }
        same = same && out[o * inner + i] == want;
      }
    ctx.check(same, "argmaxAlong %lldx%lldx%lld differs from a plain scan", (long long)outer, (long long)size, (long long)inner);
  }
  std::vector<float> x(12);
  std::vector<int32_t> out(4);
  Status s = argmaxAlong({x.data(), 12}, 2, 3, 2, Int32Span{out.data(), 3});
  ctx.check(!s.isOk() && s.message().find("out expects 4") != std::string::npos, "short out: %s", s.message().c_str());
  s = argmaxAlong({x.data(), 12}, 2, 0, 6, Int32Span{out.data(), 12});
  ctx.check(!s.isOk() && s.message().find("size in [1") != std::string::npos, "size 0: %s", s.message().c_str());
}

}  // namespace
}  // namespace atrous
