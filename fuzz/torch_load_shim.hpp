// The LibTorch half of fuzz_model_load, behind a header without LibTorch: LibTorch 1.13's headers
// do not compile as C++20 with clang < 16 (incomplete c10::IValue in std::vector), while libFuzzer
// needs clang. So this half -- torch_load_shim.cpp and the adapter's src/torch/weights.cpp -- is
// compiled by g++ (no sanitizer, no coverage instrumentation; ASan still checks the memcpy/memmove
// calls it makes) and linked into the clang-built fuzz target (same libstdc++, same ABI).
#pragma once

#include <string>
#include <vector>

#include "legolasflux/weights.hpp"

namespace lffuzz {

// The Julia sizes of the tensors of small_model(), in fetch_weights order, as a model row holding
// its weights stores them (the seed generator writes such rows).
// Sequential(Linear(3, 2), Linear(2, 1)): torch shapes (2, 3), (2), (1, 2), (1).
inline std::vector<std::vector<int64_t>> small_model_julia_sizes() { return {{3, 2}, {2}, {2, 1}, {1}}; }
inline std::vector<std::string> small_model_names() { return {"0.weight", "0.bias", "1.weight", "1.bias"}; }

// Builds the small model, loads `weights` into it (with `names`, when given, checked index by index
// and then matched by name), and checks the contract of load_weights: on success the model holds
// the weights (fetch_weights gives them back, converted to the model's dtype); on a
// legolasflux::Error (rethrown) the model is exactly as it was. Aborts on a broken contract.
void load_into_small_model(const legolasflux::Weights& weights, const std::vector<std::string>* names);

}  // namespace lffuzz
