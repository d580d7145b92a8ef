#include "conv_suite.h"

#include <fstream>
#include <stdexcept>

namespace atrous::bench {
namespace {

// The value after "key": on a line, as a string (quotes stripped) or "" when absent.
std::string field(const std::string& line, const std::string& key) {
  const std::string tag = "\"" + key + "\":";
  size_t at = line.find(tag);
  if (at == std::string::npos) return "";
  at += tag.size();
  while (at < line.size() && line[at] == ' ') ++at;
  size_t end = at;
  if (line[at] == '"') {
    end = line.find('"', at + 1);
    return line.substr(at + 1, end - at - 1);
  }
  while (end < line.size() && line[end] != ',' && line[end] != '}') ++end;
  return line.substr(at, end - at);
}

int64_t number(const std::string& line, const std::string& key, const std::string& id) {
  std::string v = field(line, key);
  if (v.empty()) throw std::runtime_error("conv suite: shape " + id + " has no \"" + key + "\"");
  return std::stoll(v);
}

}  // namespace

double SuiteShape::flops() const {
  const ConvGeometry& g = geometry;
  return 2.0 * g.batch * g.outChannels * g.outH() * g.outW() * g.inChannelsPerGroup() * g.kernelH * g.kernelW;
}

std::vector<SuiteShape> loadConvSuite(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("conv suite: cannot open " + path);
  std::vector<SuiteShape> shapes;
  for (std::string line; std::getline(in, line);) {
    std::string id = field(line, "id");
    if (id.empty()) continue;
    SuiteShape s;
    s.id = id;
    s.name = field(line, "name");
    ConvGeometry& g = s.geometry;
    const bool oneD = number(line, "dims", id) == 1;
    const int64_t k = number(line, "k", id), pad = number(line, "pad", id);
    g.batch = number(line, "N", id);
    g.inChannels = number(line, "Cin", id);
    g.outChannels = number(line, "Cout", id);
    g.inH = number(line, "H", id);
    g.inW = number(line, "W", id);
    g.kernelW = k;
    g.kernelH = oneD ? 1 : k;
    g.strideH = oneD ? 1 : number(line, "stride", id);
    g.strideW = number(line, "stride", id);
    g.dilationW = number(line, "dil", id);
    g.dilationH = oneD ? 1 : g.dilationW;
    g.groups = number(line, "groups", id);
    g.padLeft = pad;
    g.padRight = field(line, "causal") == "true" ? 0 : pad;  // causal: left padding only
    g.padTop = g.padBottom = oneD ? 0 : pad;
    Status st = g.validate("conv suite");
    if (!st.isOk()) throw std::runtime_error(st.message() + " (shape " + id + ")");
    shapes.push_back(s);
  }
  if (shapes.empty()) throw std::runtime_error("conv suite: no shapes in " + path);
  return shapes;
}

}  // namespace atrous::bench
