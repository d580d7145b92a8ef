// Weight normalisation over the rows of a rows × width block (torch._weight_norm and norm_except_dim
// with dim 0: a row is one output channel's weights; dim None is one row of everything). Each row's
// L2 norm and its dot products are accumulated in float64, one row per task. A row of zeros has norm
// 0 and, as in PyTorch, gives inf/NaN where it is divided by.
#pragma once
#include <cstdint>

#include "../status.h"

namespace atrous {

// norms[r] = ‖v[r, :]‖₂.
Status rowNorms(ConstFloatSpan v, int64_t rows, int64_t width, FloatSpan norms);
// w[r, :] = g[r] · v[r, :] / ‖v[r, :]‖₂. w may be v itself (the norm is taken before the row is written).
// With g the gradient of the norms it is also the norms' backward: d‖v‖/dv = v / ‖v‖.
Status weightNormForward(ConstFloatSpan v, ConstFloatSpan g, int64_t rows, int64_t width, FloatSpan w);
// With n = ‖v[r, :]‖₂ and s = dw[r, :]·v[r, :]: dg[r] = s / n and dv[r, :] = (g[r]/n)·dw[r, :] − (g[r]·s/n³)·v[r, :].
// An empty dv or dg is not computed (the input needs no gradient).
Status weightNormBackward(ConstFloatSpan v, ConstFloatSpan g, ConstFloatSpan dw, int64_t rows, int64_t width, FloatSpan dv,
                          FloatSpan dg);

}  // namespace atrous
