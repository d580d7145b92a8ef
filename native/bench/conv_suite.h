// The dilated-conv benchmark suite (native/bench/conv-suite.json, a copy of the team's shared
// suite), read into geometries.
#pragma once
#include <string>
#include <vector>

#include "../kernels/conv_geometry.h"

namespace atrous::bench {

struct SuiteShape {
  std::string id, name;
  ConvGeometry geometry;
  double flops() const;  // nominal: 2 * N * Cout * OH * OW * (Cin/groups) * KH * KW
};

// Parses the suite file (one shape object per line, as the suite is written). Throws on errors.
std::vector<SuiteShape> loadConvSuite(const std::string& path);

}  // namespace atrous::bench
