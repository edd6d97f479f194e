// Which stored array goes into which module tensor, and every difference between the two sides:
// the part of load_weights that looks at names and shapes only, shared by the loads from Weights
// and from a file (whose values are not read yet).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "legolasflux/torch/weights.hpp"

namespace legolasflux::torch::detail {

// A stored array without its values.
struct StoredArray {
    ElementType element_type = ElementType::Float32;
    std::vector<int64_t> size;  // Julia's
};

struct LoadPlan {
    // Pairs that fit: module tensor targets[k] takes stored array sources[k].
    std::vector<size_t> targets, sources;
    LoadReport report;  // the differences; `loaded` is filled by finish()
};

// Matches the arrays to the tensors as `options` says (names: the stored names, or null). Throws
// InvalidArgument for options that cannot be followed (by name without names) and ShapeError for
// stored names that cannot be told apart (a count other than the arrays', a name twice).
LoadPlan plan_load(const std::vector<NamedTensor>& tensors, const std::vector<StoredArray>& arrays,
                   const LoadOptions& options);

// Moves pair k of the plan to the mismatched tensors, saying why (e.g. values an integer tensor
// cannot hold, found once the values are read).
void reject(LoadPlan& plan, size_t k, const std::vector<NamedTensor>& tensors, const StoredArray& array,
            std::string why);

// Fills report.loaded; when the load is strict and something differs, throws LoadError.
void finish(LoadPlan& plan, const std::vector<NamedTensor>& tensors, bool strict);

std::string torch_shape(at::IntArrayRef sizes);
std::vector<int64_t> reversed(at::IntArrayRef sizes);

}  // namespace legolasflux::torch::detail
