// Flux's basic layers (Flux's src/layers/basic.jl) as legolasflux::flux modules. Conventions:
// flux_layer.hpp.
#pragma once

#include "legolasflux/torch/flux_layer.hpp"

namespace legolasflux::flux {

struct DenseOptions {
    bool bias = true;  // Flux's bias=false
};

// Dense(in => out, σ; bias): y = σ.(W x .+ b). Arrays: weight (out, in), bias (out,). Input
// [..., in] (Julia (in, …)), output [..., out].
class DenseImpl : public LayerImpl {
public:
    DenseImpl(int64_t in, int64_t out, Activation activation = {}, DenseOptions options = {});
    at::Tensor forward(const at::Tensor& x) override;
    std::vector<FluxTensor> flux_arrays() const override;
    void pretty_print(std::ostream& stream) const override;

    at::Tensor weight;  // [out, in]: LibTorch's layout (Flux's (out, in) transposed)
    at::Tensor bias;    // [out], undefined without bias
    Activation activation;
};
class Dense : public ::torch::nn::ModuleHolder<DenseImpl> {
public:
    using ModuleHolder::ModuleHolder;
    Dense(int64_t in, int64_t out, Activation activation = {}, DenseOptions options = {})
        : ModuleHolder(std::make_shared<DenseImpl>(in, out, std::move(activation), options)) {}
};

}  // namespace legolasflux::flux
