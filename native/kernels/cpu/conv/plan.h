// The one place that decides how a CPU convolution runs. planConv takes a geometry and a pass
// (forward, data gradient, weight gradient) and returns a ConvPlan: whether the stride folds into a
// subsampled input (stride_fold.h), the path the (folded) conv takes, how that path sizes its buffers
// within the workspace budget, and the bytes it will use. The kernels below only execute a plan;
// conv.cpp dispatches on it. Every applicability rule of every path lives in plan.cpp, in the order
// the planner tries them, with the measurement behind it.
//
// Observable and forceable: a plan names its path (convPathName) and its workspace; the environment
// variable ATROUS_CONV_PATH forces a path where it applies and makes the call fail, naming the rule,
// where it does not:
//   ATROUS_CONV_PATH=direct                      every pass that has a path of that name
//   ATROUS_CONV_PATH=forward=direct,weight=by_tap per pass (forward, data, weight); fold=off never folds
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../../conv_geometry.h"
#include "../../status.h"
#include "im2col.h"
#include "stride_fold.h"

namespace atrous {

// The workspace budget of one CPU convolution call: the buffers a path allocates for itself (padded
// or re-laid-out copies of the operands, column tiles, partial sums), not the GEMM's own packing.
constexpr int64_t kConvWorkspaceBytes = 16ll << 20;

// The budget split into what each path may use. Each share keeps the value that path was measured
// with at the 16 MiB budget (plan.cpp, ConvLimits::of, says why each differs); a smaller budget (the
// tests') shrinks every share in proportion, so the chunked and banded loops run on small shapes.
struct ConvLimits {
  int64_t gemmScratchFloats;       // per thread: a GEMM output or column tile of the GEMM paths
  int64_t foldChunkFloats;         // the subsampled copy of a chunk of images (folded stride)
  int64_t regionBandFloats;        // the weight gradient by region: a band's dy rows and columns
  int64_t directPaddedFloats;      // direct: the padded copy of one image and group
  int64_t directPaddedPerThread;   // ... when every thread pads its own images
  int64_t channelsLastPerThread;   // channels-last forward: each of a thread's two buffers
  int64_t channelsLastTotal;       // ... every thread's buffers together
  int64_t weightChannelsLastFloats;  // channels-last weight gradient: the padded copies, and the pieces' dW copies
  int64_t byTapFloats;             // by tap: channels-last copies of x and dy for a chunk of images
  int64_t depthwiseCopyFloats;     // depthwise: one thread's padded plane or shifted copies
  static ConvLimits of(int64_t budgetBytes);
};

enum class ConvPass { Forward, Data, Weight };

// Every path of every pass. Not every pass has every path (convPathRefusal says which, and why not).
enum class ConvPath {
  Auto,              // not a path: "let the planner choose" in a ConvChoice
  Dense,             // forward, weight: one GEMM per image and group over every tap (im2col fused into packing)
  ByRegion,          // forward, weight: GEMMs per border region over only the taps inside the image
  Direct,            // forward: the NCHW AVX-512 register tile over a zero-padded plane (direct.h)
  ChannelsLast,      // forward (AVX-512), weight: from a padded channels-last copy of the input
  ByTap,             // weight: one GEMM per tap over the pixels where it lands inside (weight_by_tap.h)
  AsForward,         // data: stride 1, a forward of dy with the flipped, transposed weight
  ByColumns,         // data: column tiles W^T dy scattered back with col2im
  Depthwise,         // one input channel per group, row by row (any stride)
  DepthwisePadded,   // forward: depthwise from a zero-padded plane (stride-1 columns)
  DepthwiseShifted,  // forward, weight: depthwise from per-kernel-column shifted copies (stride 1)
  Winograd,          // forward (AVX-512): 3x3 at stride 1 by F(2x2, 3x3) on the channels-last tile (winograd.h)
};
constexpr int kConvPathCount = static_cast<int>(ConvPath::Winograd) + 1;

const char* convPassName(ConvPass pass);  // "forward", "data", "weight"
const char* convPathName(ConvPath path);  // "dense", "by_region", ..., "auto"
bool parseConvPath(const std::string& name, ConvPath* out);
bool convPassHasPath(ConvPass pass, ConvPath path);  // whether the pass has a path of that kind at all

// What a caller asks of the planner: Auto everywhere is the planner's own choice.
struct ConvChoice {
  ConvPath path = ConvPath::Auto;
  ConvPath innerPath = ConvPath::Auto;  // as_forward only: the transposed conv's forward path
  bool allowFold = true;                // false: never fold the stride
};

struct ConvPlan {
  ConvPass pass = ConvPass::Forward;
  ConvPath path = ConvPath::Dense;
  ConvGeometry planned;  // the call's geometry, the one the plan was made for
  int64_t budgetBytes = kConvWorkspaceBytes;
  ConvLimits limits{};
  // The geometry the path runs on: the call's, or the folded conv's for one chunk of images.
  ConvGeometry geometry;
  // Folded stride: `fold` subsamples the input; with `sampled`, the channels-last copy reads the
  // whole batch through the fold as it copies, else chunks of chunkImages images are subsampled first.
  bool folded = false, sampled = false;
  StrideFold fold;
  int64_t chunkImages = 0;
  // as_forward: the transposed conv (stride 1) and the forward path it takes.
  ConvGeometry transposed;
  ConvPath innerPath = ConvPath::Auto;
  // by_region: the output rectangles and their valid taps.
  std::vector<ColumnWindow> windows;
  std::vector<ConvPlan> inner;    // as_forward: the transposed conv's forward plan (one)
  // How the path splits its work within its share (sizeChannelsLastWeight and friends in plan.cpp):
  bool imagesInParallel = false;  // direct: each thread pads and convolves whole images of its own
  bool perThread = false;         // channels_last weight: pieces pad their own images; dense weight: per-thread dW copies
  int64_t pathChunkImages = 0;    // by_tap, channels_last weight: images per chunk of copies
  int64_t tilePixels = 0;         // by_columns, dense weight: output pixels per column tile
  int64_t bandRows = 0;           // channels_last, winograd forward: output rows per band (all of them where the copy fits)
  int64_t workspaceBytes = 0;
  const char* why = "";           // the rule that chose the path (or "forced")
  std::string describe() const;   // "direct (folded 2x2)", "as_forward -> channels_last", ...
};

// The plan the rules choose. Never fails on a validated geometry.
ConvPlan planConv(const ConvGeometry& g, ConvPass pass, int64_t budgetBytes = kConvWorkspaceBytes);
// The plan with a forced path (and, for as_forward, a forced inner forward path) or the fold turned
// off; an error naming the path and the rule when the path cannot run this geometry.
Status planConv(const ConvGeometry& g, ConvPass pass, const ConvChoice& choice, ConvPlan* plan,
                int64_t budgetBytes = kConvWorkspaceBytes);
// The plan for this call: ATROUS_CONV_PATH's choice for the pass (see the top of this file), else
// the rules'. An error when the variable names no path, or a path that cannot run this geometry.
Status planConvFromEnvironment(const ConvGeometry& g, ConvPass pass, ConvPlan* plan,
                               int64_t budgetBytes = kConvWorkspaceBytes);
// Parses an ATROUS_CONV_PATH value into the choice for one pass.
Status parseConvPathSpec(const std::string& spec, ConvPass pass, ConvChoice* choice);

// Why `path` cannot run `g` in `pass` within `limits` on the active ISA (null: it can). A path that
// can run is not always the fastest: the planner's rules add the measured speed conditions on top.
const char* convPathRefusal(const ConvGeometry& g, ConvPass pass, ConvPath path, const ConvLimits& limits);

}  // namespace atrous
