// See torch_load_shim.hpp: compiled by g++, never by clang < 16.
#include "torch_load_shim.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/weights.hpp"

namespace lffuzz {

namespace {

torch::nn::Sequential small_model() {
    torch::manual_seed(1);
    return torch::nn::Sequential(torch::nn::Linear(3, 2), torch::nn::Linear(2, 1));
}

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "\n*** fuzz finding (load_weights): %s\n", what);
    std::fflush(stderr);
    std::abort();
}

// Every tensor bit for bit (NaN included).
bool same_tensors(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].sizes() != b[i].sizes() || a[i].dtype() != b[i].dtype()) return false;
        const at::Tensor x = a[i].contiguous(), y = b[i].contiguous();
        if (std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) != 0) return false;
    }
    return true;
}

std::vector<at::Tensor> snapshot(const torch::nn::Module& m) {
    std::vector<at::Tensor> out;
    for (const auto& nt : legolasflux::torch::named_weights(m)) out.push_back(nt.tensor.detach().clone());
    return out;
}

void load_checked(const legolasflux::Weights& weights, const legolasflux::torch::LoadOptions& options) {
    auto model = small_model();
    const std::vector<at::Tensor> before = snapshot(*model);
    try {
        legolasflux::torch::load_weights(*model, weights, options);
    } catch (const legolasflux::Error&) {
        if (!same_tensors(before, snapshot(*model))) broken("a failed load_weights changed the model");
        throw;
    }
    // Loaded: reading the model back gives the weights, as the model's dtype holds them.
    const legolasflux::Weights back = legolasflux::torch::fetch_weights(*model);
    if (back.size() != weights.size()) broken("fetch_weights after load_weights: another count");
    for (size_t i = 0; i < back.size(); ++i) {
        if (back[i].size != weights[i].size) broken("fetch_weights after load_weights: another size");
        if (!(back[i] == weights[i].converted_to(back.element_type)))
            broken("fetch_weights after load_weights: other values");
    }
}

}  // namespace

void load_into_small_model(const legolasflux::Weights& weights, const std::vector<std::string>* names) {
    // The seeds are written from the header's description of the model: it must be right.
    static const bool described = [] {
        std::vector<std::string> fetched;
        const legolasflux::Weights w = legolasflux::torch::fetch_weights(*small_model(), &fetched);
        std::vector<std::vector<int64_t>> sizes;
        for (const auto& a : w.arrays) sizes.push_back(a.size);
        return fetched == small_model_names() && sizes == small_model_julia_sizes();
    }();
    if (!described) broken("small_model_names() / small_model_julia_sizes() do not describe small_model()");
    legolasflux::torch::LoadOptions options;
    load_checked(weights, options);
    if (names) {
        options.names = names;
        load_checked(weights, options);
        options.by_name = true;
        load_checked(weights, options);
    }
}

}  // namespace lffuzz
