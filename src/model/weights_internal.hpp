// Weights as Arrow, for the model writer only (private to the library).
#pragma once

#include <span>
#include <vector>

#include "gathered.hpp"
#include "legolasflux/weights.hpp"

namespace legolasflux::detail {

// weights_to_arrow for handing straight to the IPC writer: when a row's arrays would have to be
// copied into one values buffer, that buffer is instead the stand-in of a Gathered appended to
// `gathered`, and the writer writes each array's own memory in its place. The returned array must
// not be read (its values fault); write it with a GatheringEncoder of `gathered`.
arrow::ArrayPtr weights_to_arrow_gathered(std::span<const Weights* const> rows, BFloat16Storage bfloat16,
                                          std::vector<Gathered>& gathered);

}  // namespace legolasflux::detail
