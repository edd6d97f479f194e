#include "legolasflux/torch/flux_layout.hpp"

#include <unordered_set>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/weights.hpp"

namespace legolasflux::torch {
namespace {

namespace nn = ::torch::nn;

template <class Impl>
const Impl* as(const nn::Module& m) {
    return dynamic_cast<const Impl*>(&m);
}

void add(std::vector<FluxTensor>& out, const std::string& prefix, const char* name, const at::Tensor& t,
         FluxTransform transform = FluxTransform::Same) {
    if (t.defined()) out.push_back({prefix + name, t, transform});
}

// The first of `Impls` that `m` is, handed to `add` (which adds its tensors); false when none.
template <class... Impls, class Add>
bool add_as_any(const nn::Module& m, Add&& add) {
    return ((as<Impls>(m) ? (add(*as<Impls>(m)), true) : false) || ...);
}

// Adds the layer's own tensors in Flux's order; false if the layer type is not one we know.
bool add_layer(const nn::Module& m, const std::string& p, std::vector<FluxTensor>& out) {
    // Flux's convolutions keep their kernels flipped.
    const auto conv = [&](const auto& c) {
        add(out, p, "weight", c.weight, FluxTransform::Flip);
        add(out, p, "bias", c.bias);
    };
    // BatchNorm and InstanceNorm: β, γ, μ, σ² (Flux's field order).
    const auto norm = [&](const auto& n) {
        add(out, p, "bias", n.bias), add(out, p, "weight", n.weight);
        add(out, p, "running_mean", n.running_mean), add(out, p, "running_var", n.running_var);
    };
    if (auto* l = as<nn::LinearImpl>(m)) {
        add(out, p, "weight", l->weight, FluxTransform::Transpose);
        add(out, p, "bias", l->bias);
        return true;
    }
    if (add_as_any<nn::Conv1dImpl, nn::Conv2dImpl, nn::Conv3dImpl>(m, conv)) return true;
    if (add_as_any<nn::BatchNorm1dImpl, nn::BatchNorm2dImpl, nn::BatchNorm3dImpl, nn::InstanceNorm1dImpl,
                   nn::InstanceNorm2dImpl, nn::InstanceNorm3dImpl>(m, norm))
        return true;
    if (auto* g = as<nn::GroupNormImpl>(m)) {
        add(out, p, "bias", g->bias), add(out, p, "weight", g->weight);
    } else if (auto* ln = as<nn::LayerNormImpl>(m)) {
        add(out, p, "weight", ln->weight), add(out, p, "bias", ln->bias);
    } else if (auto* e = as<nn::EmbeddingImpl>(m)) {
        add(out, p, "weight", e->weight);
    } else {
        return false;
    }
    return true;
}

void walk(const nn::Module& m, const std::string& prefix, std::unordered_set<const nn::Module*>& seen,
          std::vector<FluxTensor>& out) {
    if (!seen.insert(&m).second) return;
    if (const auto* own = dynamic_cast<const FluxLayout*>(&m)) {
        for (const FluxTensor& t : own->flux_arrays()) add(out, prefix, t.name.c_str(), t.tensor, t.transform);
    } else if (!add_layer(m, prefix, out) &&
               (!m.named_parameters(false).is_empty() || !m.named_buffers(false).is_empty()))
        throw UnsupportedError("module '" +
                               (prefix.empty() ? std::string("(root)") : prefix.substr(0, prefix.size() - 1)) + "' (" +
                               m.name() + ") holds tensors but has no known Flux layout");
    for (const auto& c : m.named_children()) walk(*c.value(), prefix + c.key() + ".", seen, out);
}

std::vector<int64_t> reversed_axes(const at::Tensor& t) {
    std::vector<int64_t> axes;
    for (int64_t d = t.dim() - 1; d >= 0; --d) axes.push_back(d);
    return axes;
}

std::vector<int64_t> spatial_axes(const at::Tensor& t) {
    std::vector<int64_t> axes;
    for (int64_t d = 2; d < t.dim(); ++d) axes.push_back(d);
    return axes;
}

// The row-major tensor whose bytes are the Flux array of `ft`.
at::Tensor to_flux(const FluxTensor& ft) {
    const at::Tensor t = ft.tensor.detach();
    switch (ft.transform) {
        case FluxTransform::Same: return t;
        case FluxTransform::Transpose: return t.permute(reversed_axes(t)).contiguous();
        case FluxTransform::Flip: return t.flip(spatial_axes(t)).contiguous();
    }
    return t;
}

// The Julia size the Flux array of `ft` has.
std::vector<int64_t> flux_size(const FluxTensor& ft) {
    const std::vector<int64_t> shape = ft.tensor.sizes().vec();
    // Reversing every axis twice: the Julia size is the torch shape.
    if (ft.transform == FluxTransform::Transpose) return shape;
    return {shape.rbegin(), shape.rend()};
}

}  // namespace

std::vector<FluxTensor> flux_tensors(const nn::Module& module) {
    std::unordered_set<const nn::Module*> seen;
    std::vector<FluxTensor> out;
    walk(module, "", seen, out);
    return out;
}

Weights fetch_flux_weights(const nn::Module& module, std::vector<std::string>* names) {
    const std::vector<FluxTensor> tensors = flux_tensors(module);
    if (tensors.empty()) throw InvalidArgument("the module has no tensors in a Flux layout");
    std::vector<FlatArray> arrays;
    for (const auto& ft : tensors) arrays.push_back(to_flat_array(to_flux(ft)));
    if (names) {
        names->clear();
        for (const auto& ft : tensors) names->push_back(ft.name);
    }
    return Weights(std::move(arrays));
}

void load_flux_weights(nn::Module& module, const Weights& weights) {
    const std::vector<FluxTensor> targets = flux_tensors(module);
    if (weights.size() != targets.size())
        throw ShapeError("Number of weights given (" + std::to_string(weights.size()) +
                         ") does not match number of weights the model expects in Flux's layout (" +
                         std::to_string(targets.size()) + ")");
    for (size_t i = 0; i < targets.size(); ++i) {
        const std::vector<int64_t> expected = flux_size(targets[i]);
        if (weights[i].size != expected)
            throw ShapeError("For array " + std::to_string(i) + " ('" + targets[i].name +
                             "') the model expects Julia size " + format_julia_size(expected) + ", got " +
                             format_julia_size(weights[i].size));
        if (!at::isFloatingType(targets[i].tensor.scalar_type()))
            throw UnsupportedError("Flux layout loads floating-point tensors only; '" + targets[i].name + "' is " +
                                   c10::toString(targets[i].tensor.scalar_type()));
    }
    ::torch::NoGradGuard no_grad;
    for (size_t i = 0; i < targets.size(); ++i) {
        at::Tensor src = to_tensor(weights[i]);  // row-major, the Flux array's bytes
        switch (targets[i].transform) {
            case FluxTransform::Same: break;
            case FluxTransform::Transpose: src = src.permute(reversed_axes(src)); break;
            case FluxTransform::Flip: src = src.flip(spatial_axes(src)); break;
        }
        at::Tensor target = targets[i].tensor;
        target.copy_(src);
    }
}

}  // namespace legolasflux::torch
