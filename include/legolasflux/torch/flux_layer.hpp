// legolasflux::flux — LibTorch modules with Flux's constructors and Flux's arithmetic, so that a
// model trained in Julia with Flux runs in C++ exactly, transcribed line by line:
//
//   Julia:  Chain(Dense(784 => 32, relu), Dense(32 => 10), softmax)
//   C++:    flux::Chain(flux::Dense(784, 32, flux::relu), flux::Dense(32, 10), flux::softmax)
//
// Tensors. A tensor's bytes are the Julia array's bytes: the torch shape is the Julia size reversed.
// Julia's (features, batch) is [batch, features]; an image batch (W, H, C, N) is [N, C, H, W]; a
// Flux 0.13/0.14 recurrent sequence (features, batch, time) is [time, batch, features]. Inputs and
// outputs of every module follow this rule, so an array saved by Julia is a tensor here unchanged.
//
// Arrays. The modules hold their tensors in LibTorch's layout (a Dense weight as [out, in], a
// Conv kernel flipped, ready for LibTorch's kernels), transformed once when loaded. Their Flux
// arrays — what LegolasFlux.jl's fetch_weights stores, in its order and Julia sizes — are given by
// FluxLayout::flux_arrays, the mechanism fetch_flux_weights / load_flux_weights use for every
// module; flux::fetch_weights / flux::load_weights below are those two.
//
// A layer placed twice (Julia's shared layers) is one module placed twice: its arrays are stored
// once, at its first place, as Julia stores them.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "legolasflux/torch/flux_layout.hpp"
#include "legolasflux/torch/flux_options.hpp"
#include "legolasflux/weights.hpp"

// TORCH_MODULE(Name) for code inside namespace legolasflux (where `torch` is legolasflux::torch):
// the holder class Name of NameImpl. A module whose constructor takes an options struct written
// in braces ({.pad = 1}) spells its holder's constructors out instead: a braced list cannot pass
// through ModuleHolder's forwarding template.
#define LEGOLASFLUX_FLUX_MODULE(Name)                              \
    class Name : public ::torch::nn::ModuleHolder<Name##Impl> {    \
    public:                                                        \
        using ::torch::nn::ModuleHolder<Name##Impl>::ModuleHolder; \
        using Impl = Name##Impl;                                   \
    }

namespace legolasflux::flux {

using torch::FluxTensor;
using torch::FluxTransform;

// A function of one array, by the name Flux prints for it: an NNlib activation ("relu", "σ"),
// softmax, flatten. An empty `fn` is the identity.
struct Function {
    std::string name = "identity";
    std::function<at::Tensor(const at::Tensor&)> fn;

    at::Tensor operator()(const at::Tensor& x) const { return fn ? fn(x) : x; }
    bool is_identity() const { return !fn; }
};
// Activations are Functions (flux_activations.hpp lists NNlib's).
using Activation = Function;

// The base of every flux module: one array in, one array out.
class LayerImpl : public ::torch::nn::Module, public torch::FluxLayout {
public:
    explicit LayerImpl(std::string name) : ::torch::nn::Module(std::move(name)) {}
    virtual at::Tensor forward(const at::Tensor& x) = 0;
    // Flux's reset!: recurrent layers go back to their initial state; containers reset every
    // layer they hold; others do nothing.
    virtual void reset();
    // This module's own arrays in Flux's order (none by default; children follow).
    std::vector<FluxTensor> flux_arrays() const override { return {}; }
};

// A layer as containers hold it: a flux module, or a Function (wrapped in a FunctionLayer).
class Layer {
public:
    template <class Impl, class = std::enable_if_t<std::is_base_of_v<LayerImpl, Impl>>>
    Layer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
    template <class Impl, class = std::enable_if_t<std::is_base_of_v<LayerImpl, Impl>>>
    Layer(const ::torch::nn::ModuleHolder<Impl>& holder) : impl_(holder.ptr()) {}
    Layer(const Function& function);

    at::Tensor forward(const at::Tensor& x) const { return impl_->forward(x); }
    at::Tensor operator()(const at::Tensor& x) const { return impl_->forward(x); }
    LayerImpl* operator->() const { return impl_.get(); }
    LayerImpl& operator*() const { return *impl_; }
    const std::shared_ptr<LayerImpl>& ptr() const { return impl_; }
    // The module as `Impl`, or null.
    template <class Impl>
    std::shared_ptr<Impl> as() const {
        return std::dynamic_pointer_cast<Impl>(impl_);
    }

private:
    std::shared_ptr<LayerImpl> impl_;
};

// A Function in a container, as Flux keeps plain functions in a Chain.
class FunctionLayerImpl : public LayerImpl {
public:
    explicit FunctionLayerImpl(Function function);
    at::Tensor forward(const at::Tensor& x) override { return function_(x); }
    const Function& function() const { return function_; }
    void pretty_print(std::ostream& stream) const override;

private:
    Function function_;
};
LEGOLASFLUX_FLUX_MODULE(FunctionLayer);

// Chain(layers...): each layer applied to the previous one's output. Children are named "0",
// "1", … (Flux's tuple Chain) or by the given names (Flux's named Chain: Chain(enc = …, dec = …)).
class ChainImpl : public LayerImpl {
public:
    explicit ChainImpl(std::vector<Layer> layers);
    explicit ChainImpl(std::vector<std::pair<std::string, Layer>> named);
    at::Tensor forward(const at::Tensor& x) override;

    size_t size() const { return layers_.size(); }
    const Layer& operator[](size_t i) const;
    const Layer& operator[](const std::string& name) const;
    const std::vector<std::string>& names() const { return names_; }
    bool named() const { return named_; }

private:
    std::vector<Layer> layers_;
    std::vector<std::string> names_;
    bool named_ = false;
};

class Chain : public ::torch::nn::ModuleHolder<ChainImpl> {
public:
    using ModuleHolder::ModuleHolder;
    // Chain(a, b, c). (One argument that is itself a Chain copies it; nest it as Chain(std::vector<Layer>{c}).)
    template <class First, class... Rest,
              class = std::enable_if_t<
                  !(sizeof...(Rest) == 0 &&
                    std::is_same_v<std::decay_t<First>, Chain>)&&!std::is_same_v<std::decay_t<First>, std::nullptr_t> &&
                  !std::is_same_v<std::decay_t<First>, std::vector<Layer>> &&
                  !std::is_same_v<std::decay_t<First>, std::vector<std::pair<std::string, Layer>>>>>
    explicit Chain(First&& first, Rest&&... rest)
        : ModuleHolder(std::make_shared<ChainImpl>(
              std::vector<Layer>{Layer(std::forward<First>(first)), Layer(std::forward<Rest>(rest))...})) {}
    explicit Chain(std::vector<Layer> layers) : ModuleHolder(std::make_shared<ChainImpl>(std::move(layers))) {}
    explicit Chain(std::vector<std::pair<std::string, Layer>> named)
        : ModuleHolder(std::make_shared<ChainImpl>(std::move(named))) {}
    // Chain({{"enc", …}, {"dec", …}}): Flux's named Chain.
    Chain(std::initializer_list<std::pair<std::string, Layer>> named)
        : ModuleHolder(std::make_shared<ChainImpl>(std::vector<std::pair<std::string, Layer>>(named))) {}
};

// The model's arrays exactly as Julia's LegolasFlux.fetch_weights gives them (order, Julia sizes,
// values): torch::fetch_flux_weights.
inline Weights fetch_weights(const ::torch::nn::Module& model, std::vector<std::string>* names = nullptr) {
    return torch::fetch_flux_weights(model, names);
}
// And back: torch::load_flux_weights, after deciding from the row's array count whether it holds the
// current `state` of Flux 0.13/0.14 recurrent layers (flux_recurrent.hpp, StateArrays::Auto). On any
// error the model is unchanged, states included.
void load_weights(::torch::nn::Module& model, const Weights& weights);

}  // namespace legolasflux::flux
