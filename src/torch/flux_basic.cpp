#include "legolasflux/torch/flux_basic.hpp"

#include <cmath>

#include "legolasflux/errors.hpp"

namespace legolasflux::flux {

DenseImpl::DenseImpl(int64_t in, int64_t out, Activation activation_, DenseOptions options)
    : LayerImpl("flux::Dense"), activation(std::move(activation_)) {
    if (in <= 0 || out <= 0)
        throw InvalidArgument("flux::Dense(" + std::to_string(in) + " => " + std::to_string(out) +
                              "): sizes must be positive");
    // Flux's default init, glorot_uniform: U(±sqrt(6 / (in + out))); the bias starts at zero.
    const double bound = std::sqrt(6.0 / static_cast<double>(in + out));
    weight = register_parameter("weight", ::torch::empty({out, in}).uniform_(-bound, bound));
    if (options.bias) bias = register_parameter("bias", ::torch::zeros({out}));
}

at::Tensor DenseImpl::forward(const at::Tensor& x) {
    if (x.dim() == 0 || x.size(-1) != weight.size(1))
        throw ShapeError("flux::Dense(" + std::to_string(weight.size(1)) + " => " + std::to_string(weight.size(0)) +
                         ") expects an input whose last torch dimension (Julia's first) is " +
                         std::to_string(weight.size(1)) + ", got shape " + c10::str(x.sizes()));
    return activation(at::linear(x, weight, bias));
}

std::vector<FluxTensor> DenseImpl::flux_arrays() const {
    return {{"weight", weight, FluxTransform::Transpose}, {"bias", bias, FluxTransform::Same}};
}

void DenseImpl::pretty_print(std::ostream& stream) const {
    stream << "Dense(" << weight.size(1) << " => " << weight.size(0);
    if (!activation.is_identity()) stream << ", " << activation.name;
    if (!bias.defined()) stream << "; bias=false";
    stream << ")";
}

}  // namespace legolasflux::flux
