// The depthwise kernels (conv_depthwise.h), one input channel per group: the stride-1 forward (channel
// multiplier >= KW) and weight gradient by shifted copies (whole planes, whole-band dot products), with
// the training CNN's first layer at batch 4, several bands of rows, pieces of the batch, asymmetric
// padding past the kernel, dilation, and the row-by-row path for strides, on every ISA, against the
// float64 references.
#include "../kernels/cpu/thread_pool.h"
#include "conv_cases.h"
#include "conv_check.h"
#include "harness.h"

using namespace atrous;
using test::checkAll;
using test::geometry;

ATROUS_TEST(convDepthwiseMatchesFloat64) {
  const ConvGeometry cases[] = {
      geometry(4, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // L1: one input channel, 32 outputs
      geometry(2, 2, 70, 20, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2),    // 70 rows of 20: two bands per dot
      geometry(2, 3, 7, 9, 6, 3, 3, 1, 1, 0, 5, 4, 1, 2, 3, 3),      // pads past the kernel, dilation 2 x 3
      geometry(3, 2, 6, 5, 2, 2, 3, 1, 1, 3, 0, 0, 6, 1, 4, 2),      // a column shifted wholly into padding
      geometry(2, 2, 9, 11, 8, 3, 3, 1, 1, 0, 5, 4, 1, 2, 3, 2),     // multiplier 4: the forward by shifted copies too
      geometry(7, 3, 5, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3),      // 7 images in pieces of uneven size
      geometry(3, 6, 9, 8, 6, 3, 3, 1, 2, 2, 2, 2, 2, 2, 2, 6),      // column stride 2: row by row
  };
  test::forEachIsa([&](Isa isa) {
    int i = 0;
    for (const ConvGeometry& g : cases)
      for (int threads : {1, 2}) {
        setNumThreads(threads);
        checkAll(ctx, g, 1300 + i++, isaName(isa));
      }
  });
  setNumThreads(2);
}
