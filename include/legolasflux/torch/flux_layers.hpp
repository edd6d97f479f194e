// Flux's other array-holding layers and containers (Flux's src/layers/basic.jl, 0.13–0.16): Bilinear,
// Scale, Embedding, EmbeddingBag, Maxout, Parallel, SkipConnection, PairwiseFusion. Conventions:
// flux_layer.hpp (a tensor's torch shape is its Julia size reversed).
//
// Julia passes tuples between layers; our layers take one tensor. Where Flux takes or gives a tuple
// the module has an extra method: Bilinear::forward2(x, y), Parallel::forward_each(xs),
// PairwiseFusion::forward_all. Inside a Chain, Bilinear(x) is Flux's Bilinear(x, x) and
// PairwiseFusion gives its last output.
#pragma once

#include <optional>
#include <utility>

#include "legolasflux/torch/flux_layer.hpp"

namespace legolasflux::flux {

// Bilinear((in1, in2) => out, σ; bias): z[o, n] = σ(Σ_ij W[o, i, j] x[i, n] y[j, n] + b[o]). Arrays:
// weight (out, in1, in2) (held as [out, in1, in2], LibTorch's bilinear layout), bias (out,).
struct BilinearOptions {
    bool bias = true;
};
class BilinearImpl : public LayerImpl {
public:
    BilinearImpl(std::pair<int64_t, int64_t> in, int64_t out, Activation activation = {}, BilinearOptions options = {});
    // Flux's a(x) = a(x, x).
    at::Tensor forward(const at::Tensor& x) override { return forward2(x, x); }
    // Flux's a(x, y) / a((x, y)): x [batch, in1] or [in1], y [batch, in2] or [in2].
    at::Tensor forward2(const at::Tensor& x, const at::Tensor& y);
    std::vector<FluxTensor> flux_arrays() const override;
    void pretty_print(std::ostream& stream) const override;

    at::Tensor weight;  // [out, in1, in2]
    at::Tensor bias;    // [out], undefined without bias
    Activation activation;
};
class Bilinear : public ::torch::nn::ModuleHolder<BilinearImpl> {
public:
    // Not ModuleHolder's forwarding constructor: it would take these arguments before the conversions below.
    Bilinear(std::nullptr_t) : ModuleHolder(nullptr) {}
    explicit Bilinear(std::shared_ptr<BilinearImpl> impl) : ModuleHolder(std::move(impl)) {}
    // Bilinear(in => out): in1 = in2 = in.
    Bilinear(int64_t in, int64_t out, Activation activation = {}, BilinearOptions options = {})
        : ModuleHolder(std::make_shared<BilinearImpl>(std::pair{in, in}, out, std::move(activation), options)) {}
    // Bilinear((in1, in2) => out): flux::Bilinear({in1, in2}, out).
    Bilinear(std::pair<int64_t, int64_t> in, int64_t out, Activation activation = {}, BilinearOptions options = {})
        : ModuleHolder(std::make_shared<BilinearImpl>(in, out, std::move(activation), options)) {}
};

// Scale(size..., σ; bias): y = σ.(scale .* x .+ bias), scale and bias of Julia size `size`,
// broadcast over the input's leading Julia dimensions (torch's trailing ones). Arrays: scale
// (ones), bias (zeros), both of Julia size `size`.
struct ScaleOptions {
    bool bias = true;
};
class ScaleImpl : public LayerImpl {
public:
    ScaleImpl(std::vector<int64_t> size, Activation activation = {}, ScaleOptions options = {});
    at::Tensor forward(const at::Tensor& x) override;
    std::vector<FluxTensor> flux_arrays() const override;
    void pretty_print(std::ostream& stream) const override;

    at::Tensor scale;  // Julia size reversed
    at::Tensor bias;   // same, undefined without bias
    Activation activation;
};
class Scale : public ::torch::nn::ModuleHolder<ScaleImpl> {
public:
    // Not ModuleHolder's forwarding constructor: it would take these arguments before the conversions below.
    Scale(std::nullptr_t) : ModuleHolder(nullptr) {}
    explicit Scale(std::shared_ptr<ScaleImpl> impl) : ModuleHolder(std::move(impl)) {}
    // Scale(2) is flux::Scale({2}); Scale(1, 4, abs2) is flux::Scale({1, 4}, abs2).
    Scale(std::vector<int64_t> size, Activation activation = {}, ScaleOptions options = {})
        : ModuleHolder(std::make_shared<ScaleImpl>(std::move(size), std::move(activation), options)) {}
};

// Embedding(in => out): a column of weight (out, in) per index. Indices are Julia's, 1-based
// (1..in), in an integer tensor of any shape S; the output is [S..., out] (Julia (out, size(x)...)).
// A bool tensor [..., in] is Flux's one-hot input (weight * x). Arrays: weight (out, in), held as
// [in, out] (the same bytes; Flux's default init randn32).
struct EmbeddingOptions {
    // Flux 0.16.11's padding_idx (1-based): that column starts at zero and its index gives zeros.
    std::optional<int64_t> padding_idx;
};
class EmbeddingImpl : public LayerImpl {
public:
    EmbeddingImpl(int64_t in, int64_t out, EmbeddingOptions options = {});
    at::Tensor forward(const at::Tensor& x) override;
    std::vector<FluxTensor> flux_arrays() const override;
    void pretty_print(std::ostream& stream) const override;

    at::Tensor weight;  // [in, out]
    std::optional<int64_t> padding_idx;
};
class Embedding : public ::torch::nn::ModuleHolder<EmbeddingImpl> {
public:
    Embedding(std::nullptr_t) : ModuleHolder(nullptr) {}
    explicit Embedding(std::shared_ptr<EmbeddingImpl> impl) : ModuleHolder(std::move(impl)) {}
    Embedding(int64_t in, int64_t out, EmbeddingOptions options = {})
        : ModuleHolder(std::make_shared<EmbeddingImpl>(in, out, options)) {}
};

// A Julia function of an array and `dims` (mean, sum, maximum, …), as EmbeddingBag reduces a bag.
// `fn(x, dim)` reduces torch dimension `dim`, dropping it.
struct Reduction {
    std::string name;
    std::function<at::Tensor(const at::Tensor&, int64_t)> fn;
};
// Julia's names, so that EmbeddingBag(in => out, maximum) is flux::EmbeddingBag(in, out, flux::maximum).
extern const Reduction mean;     // Statistics.mean
extern const Reduction sum;      // Base.sum
extern const Reduction maximum;  // Base.maximum
extern const Reduction minimum;  // Base.minimum
extern const Reduction prod;     // Base.prod

// EmbeddingBag(in => out, reduction = mean): each bag of 1-based indices gives reduction over its
// embeddings. Integer input [bags..., bag_len] (Julia (bag_len, bags...)) gives [bags..., out];
// a bool one-hot input [bags..., bag_len, in] the same; forward2(data, at) is Flux's m(data, at)
// (PyTorch's offsets, 1-based: bag k is data[at[k] : at[k+1]-1]), giving [bags, out]. Arrays:
// weight (out, in), held as [in, out].
class EmbeddingBagImpl : public LayerImpl {
public:
    EmbeddingBagImpl(int64_t in, int64_t out, Reduction reduction = mean);
    at::Tensor forward(const at::Tensor& x) override;
    at::Tensor forward2(const at::Tensor& data, const at::Tensor& starts);
    std::vector<FluxTensor> flux_arrays() const override;
    void pretty_print(std::ostream& stream) const override;

    at::Tensor weight;  // [in, out]
    Reduction reduction;
};
class EmbeddingBag : public ::torch::nn::ModuleHolder<EmbeddingBagImpl> {
public:
    // Not ModuleHolder's forwarding constructor: it would take these arguments before the conversions below.
    EmbeddingBag(std::nullptr_t) : ModuleHolder(nullptr) {}
    explicit EmbeddingBag(std::shared_ptr<EmbeddingBagImpl> impl) : ModuleHolder(std::move(impl)) {}
    EmbeddingBag(int64_t in, int64_t out, Reduction reduction = mean)
        : ModuleHolder(std::make_shared<EmbeddingBagImpl>(in, out, std::move(reduction))) {}
};

// How Parallel, SkipConnection and PairwiseFusion combine outputs: a Julia function of several
// arrays, by the name Flux prints for it (+, vcat, hcat, or any), or a layer taking two inputs
// (Bilinear), whose arrays are then the connection's.
class Connection {
public:
    using Fn = std::function<at::Tensor(const std::vector<at::Tensor>&)>;
    Connection(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
    // A function of exactly two arrays, as Julia's (a, b) -> … .
    Connection(std::string name, std::function<at::Tensor(const at::Tensor&, const at::Tensor&)> fn);
    Connection(const Bilinear& bilinear);

    at::Tensor operator()(const std::vector<at::Tensor>& xs) const { return fn_(xs); }
    // The name Flux prints (a layer prints itself).
    std::string name() const;
    // The layer holding the connection's arrays, or null.
    const std::shared_ptr<LayerImpl>& module() const { return module_; }

private:
    std::string name_;
    Fn fn_;
    std::shared_ptr<LayerImpl> module_;
};
// Parallel(vcat, …) is flux::Parallel(flux::vcat, …).
// Julia's +: arrays of one size, added left to right.
extern const Connection add;
// Julia's vcat: concatenated along Julia's first dimension (torch's last).
extern const Connection vcat;
// Julia's hcat: concatenated along Julia's second dimension (torch's second last); vectors become
// the columns of a matrix.
extern const Connection hcat;

// Maxout(layers...): the elementwise maximum of the layers' outputs. Maxout(f, n) builds n layers
// by calling f.
class MaxoutImpl : public LayerImpl {
public:
    explicit MaxoutImpl(std::vector<Layer> layers);
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;
    size_t size() const { return layers_.size(); }
    const Layer& operator[](size_t i) const { return layers_.at(i); }

private:
    std::vector<Layer> layers_;
};
class Maxout : public ::torch::nn::ModuleHolder<MaxoutImpl> {
public:
    // Not ModuleHolder's forwarding constructor: it would take these arguments before the conversions below.
    Maxout(std::nullptr_t) : ModuleHolder(nullptr) {}
    explicit Maxout(std::shared_ptr<MaxoutImpl> impl) : ModuleHolder(std::move(impl)) {}
    template <class First, class... Rest,
              class = std::enable_if_t<!std::is_same_v<std::decay_t<First>, Maxout> &&
                                       std::is_constructible_v<Layer, First&&>>>
    explicit Maxout(First&& first, Rest&&... rest)
        : ModuleHolder(std::make_shared<MaxoutImpl>(
              std::vector<Layer>{Layer(std::forward<First>(first)), Layer(std::forward<Rest>(rest))...})) {}
    explicit Maxout(std::vector<Layer> layers) : ModuleHolder(std::make_shared<MaxoutImpl>(std::move(layers))) {}
    // Maxout(f, n_alts). (A template, so that layers are never tried as a std::function: asking
    // whether a ModuleHolder is callable without arguments is a hard error.)
    template <class F, class = std::enable_if_t<!std::is_constructible_v<Layer, F&&>>>
    Maxout(F&& f, int64_t n_alts)
        : ModuleHolder(std::make_shared<MaxoutImpl>(alternatives(std::function<Layer()>(std::forward<F>(f)), n_alts))) {
    }

private:
    static std::vector<Layer> alternatives(const std::function<Layer()>& f, int64_t n_alts);
};

// SkipConnection(layers, connection): connection(layers(x), x). Fields (and arrays) in Flux's
// order: layers, then connection.
class SkipConnectionImpl : public LayerImpl {
public:
    SkipConnectionImpl(Layer layers, Connection connection);
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;
    const Layer& layers() const { return layers_; }

private:
    Layer layers_;
    Connection connection_;
};
class SkipConnection : public ::torch::nn::ModuleHolder<SkipConnectionImpl> {
public:
    // Not ModuleHolder's forwarding constructor: it would take these arguments before the conversions below.
    SkipConnection(std::nullptr_t) : ModuleHolder(nullptr) {}
    explicit SkipConnection(std::shared_ptr<SkipConnectionImpl> impl) : ModuleHolder(std::move(impl)) {}
    SkipConnection(Layer layers, Connection connection)
        : ModuleHolder(std::make_shared<SkipConnectionImpl>(std::move(layers), std::move(connection))) {}
};

// Parallel(connection, layers...): connection(layer1(x), layer2(x), …); forward_each(xs) gives one
// input to each layer (Flux's m(x1, x2, …)). Named as Flux's Parallel(connection; a = …, b = …).
// Fields in Flux's order: connection, then layers.
class ParallelImpl : public LayerImpl {
public:
    ParallelImpl(Connection connection, std::vector<Layer> layers);
    ParallelImpl(Connection connection, std::vector<std::pair<std::string, Layer>> named);
    at::Tensor forward(const at::Tensor& x) override;
    at::Tensor forward_each(const std::vector<at::Tensor>& xs);
    void pretty_print(std::ostream& stream) const override;
    size_t size() const { return layers_.size(); }
    const Layer& operator[](size_t i) const { return layers_.at(i); }
    const Layer& operator[](const std::string& name) const;

private:
    void register_connection();
    Connection connection_;
    std::vector<Layer> layers_;
    std::vector<std::string> names_;
    bool named_ = false;
};
class Parallel : public ::torch::nn::ModuleHolder<ParallelImpl> {
public:
    // Not ModuleHolder's forwarding constructor: it would take these arguments before the conversions below.
    Parallel(std::nullptr_t) : ModuleHolder(nullptr) {}
    explicit Parallel(std::shared_ptr<ParallelImpl> impl) : ModuleHolder(std::move(impl)) {}
    template <class... Layers, class = std::enable_if_t<(std::is_constructible_v<Layer, Layers&&> && ...)>>
    explicit Parallel(Connection connection, Layers&&... layers)
        : ModuleHolder(std::make_shared<ParallelImpl>(std::move(connection),
                                                      std::vector<Layer>{Layer(std::forward<Layers>(layers))...})) {}
    Parallel(Connection connection, std::vector<Layer> layers)
        : ModuleHolder(std::make_shared<ParallelImpl>(std::move(connection), std::move(layers))) {}
    Parallel(Connection connection, std::initializer_list<std::pair<std::string, Layer>> named)
        : ModuleHolder(std::make_shared<ParallelImpl>(std::move(connection),
                                                      std::vector<std::pair<std::string, Layer>>(named))) {}
};

// PairwiseFusion(connection, layers...): y1 = layer1(x1), y_i = layer_i(connection(y_{i-1}, x_i)),
// with x_i = x for one input. forward_all gives Flux's tuple (y1, …, yN); forward gives yN.
class PairwiseFusionImpl : public LayerImpl {
public:
    PairwiseFusionImpl(Connection connection, std::vector<Layer> layers);
    PairwiseFusionImpl(Connection connection, std::vector<std::pair<std::string, Layer>> named);
    at::Tensor forward(const at::Tensor& x) override { return forward_all(x).back(); }
    std::vector<at::Tensor> forward_all(const at::Tensor& x);
    // One input per layer: Flux's m((x1, …, xN)).
    std::vector<at::Tensor> forward_all(const std::vector<at::Tensor>& xs);
    void pretty_print(std::ostream& stream) const override;
    size_t size() const { return layers_.size(); }
    const Layer& operator[](size_t i) const { return layers_.at(i); }

private:
    void register_all();
    Connection connection_;
    std::vector<Layer> layers_;
    std::vector<std::string> names_;
    bool named_ = false;
};
class PairwiseFusion : public ::torch::nn::ModuleHolder<PairwiseFusionImpl> {
public:
    // Not ModuleHolder's forwarding constructor: it would take these arguments before the conversions below.
    PairwiseFusion(std::nullptr_t) : ModuleHolder(nullptr) {}
    explicit PairwiseFusion(std::shared_ptr<PairwiseFusionImpl> impl) : ModuleHolder(std::move(impl)) {}
    template <class... Layers, class = std::enable_if_t<(std::is_constructible_v<Layer, Layers&&> && ...)>>
    explicit PairwiseFusion(Connection connection, Layers&&... layers)
        : ModuleHolder(std::make_shared<PairwiseFusionImpl>(
              std::move(connection), std::vector<Layer>{Layer(std::forward<Layers>(layers))...})) {}
    PairwiseFusion(Connection connection, std::vector<Layer> layers)
        : ModuleHolder(std::make_shared<PairwiseFusionImpl>(std::move(connection), std::move(layers))) {}
    PairwiseFusion(Connection connection, std::initializer_list<std::pair<std::string, Layer>> named)
        : ModuleHolder(std::make_shared<PairwiseFusionImpl>(std::move(connection),
                                                            std::vector<std::pair<std::string, Layer>>(named))) {}
};

}  // namespace legolasflux::flux
