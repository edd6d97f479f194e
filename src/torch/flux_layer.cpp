#include "legolasflux/torch/flux_layer.hpp"

#include <set>

#include "legolasflux/errors.hpp"

namespace legolasflux::flux {

void LayerImpl::reset() {
    for (const auto& child : children())
        if (auto* layer = dynamic_cast<LayerImpl*>(child.get())) layer->reset();
}

Layer::Layer(const Function& function) : impl_(std::make_shared<FunctionLayerImpl>(function)) {}

FunctionLayerImpl::FunctionLayerImpl(Function function)
    : LayerImpl("flux::FunctionLayer"), function_(std::move(function)) {}

void FunctionLayerImpl::pretty_print(std::ostream& stream) const { stream << function_.name; }

ChainImpl::ChainImpl(std::vector<Layer> layers) : LayerImpl("flux::Chain"), layers_(std::move(layers)) {
    for (size_t i = 0; i < layers_.size(); ++i) {
        names_.push_back(std::to_string(i));
        register_module(names_.back(), layers_[i].ptr());
    }
}

ChainImpl::ChainImpl(std::vector<std::pair<std::string, Layer>> named) : LayerImpl("flux::Chain"), named_(true) {
    std::set<std::string> seen;
    for (auto& [name, layer] : named) {
        if (name.empty() || name.find('.') != std::string::npos)
            throw InvalidArgument("flux::Chain: a layer's name must be non-empty and have no '.', got '" + name + "'");
        if (!seen.insert(name).second) throw InvalidArgument("flux::Chain: two layers are named '" + name + "'");
        names_.push_back(name);
        layers_.push_back(layer);
        register_module(name, layer.ptr());
    }
}

at::Tensor ChainImpl::forward(const at::Tensor& x) {
    at::Tensor y = x;
    for (const Layer& layer : layers_) y = layer.forward(y);
    return y;
}

const Layer& ChainImpl::operator[](size_t i) const {
    if (i >= layers_.size())
        throw InvalidArgument("flux::Chain: index " + std::to_string(i) + " is out of range (" +
                              std::to_string(layers_.size()) + " layers)");
    return layers_[i];
}

const Layer& ChainImpl::operator[](const std::string& name) const {
    for (size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == name) return layers_[i];
    throw InvalidArgument("flux::Chain: no layer is named '" + name + "'");
}

}  // namespace legolasflux::flux
