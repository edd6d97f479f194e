// Flux's normalisation and dropout layers (Flux's src/layers/normalise.jl, 0.13/0.14; where 0.15+
// differs, chosen by `generation`) as legolasflux::flux modules. Conventions: flux_layer.hpp.
//
// Flux's mode. A Flux layer's `active` is automatic by default: training (batch statistics,
// dropout) only inside a gradient, inference otherwise. Here the mode is LibTorch's
// is_training(): these modules are constructed in eval() mode, so a model transcribed from Julia
// computes what Julia's model computes outside a gradient; train() is Flux's trainmode! (printed
// as `active=true`), eval() its testmode!/automatic inference.
//
// Channels. Flux's channel dimension is Julia's N-1 (the second to last): torch dimension 1, for
// [batch, features] as for [N, C, H, W].
#pragma once

#include <vector>

#include "legolasflux/torch/flux_layer.hpp"

namespace legolasflux::flux {

// BatchNorm, InstanceNorm (and GroupNorm's) keyword arguments. initβ/initγ are not taken: β
// starts at zeros, γ at ones, μ at zeros, σ² at ones, as Flux's defaults; load arrays to change them.
struct BatchNormOptions {
    bool affine = true;       // β, γ
    bool track_stats = true;  // μ, σ²: running statistics, used in eval()
    double eps = 1e-5;
    double momentum = 0.1;  // μ ← (1 - momentum) μ + momentum · batch mean (σ²: the corrected variance)
};
struct InstanceNormOptions {
    bool affine = false;  // Flux's defaults since 0.12: no β/γ, no running statistics
    bool track_stats = false;
    double eps = 1e-5;
    double momentum = 0.1;
};
struct GroupNormOptions {
    bool affine = true;
    bool track_stats = false;  // Flux 0.13 only (μ, σ² per group; removed in 0.14)
    double eps = 1e-5;
    double momentum = 0.1;
};

// The statistics layers share their arithmetic: y = λ.(γ (x - μ) / sqrt(σ² + ϵ) + β), with
// (μ, σ²) the tracked statistics in eval() when tracked, otherwise the input's (uncorrected
// variance). Arrays, in Flux's field order: β (chs), γ (chs) when affine; μ, σ² (chs; GroupNorm:
// G) when tracking statistics.
class NormImpl : public LayerImpl {
public:
    std::vector<FluxTensor> flux_arrays() const override;

    at::Tensor beta;          // β [chs], undefined without affine
    at::Tensor gamma;         // γ [chs]
    at::Tensor running_mean;  // μ, undefined without track_stats
    at::Tensor running_var;   // σ²
    Activation activation;
    int64_t channels;
    double eps;
    double momentum;

protected:
    NormImpl(std::string name, int64_t channels, Activation activation, bool affine, bool track_stats,
             int64_t stat_size, double eps, double momentum);
    // A ShapeError unless x has at least `min_dims` dimensions and `channels` at torch dimension 1.
    void check_input(const at::Tensor& x, int64_t min_dims) const;
    void print_tail(std::ostream& stream) const;  // ", λ", ", affine=false", ", active=true", ")"
};

// BatchNorm(chs, λ; affine, track_stats, eps, momentum): statistics over every dimension but the
// channels. Input [N, C, ...] (Julia (..., C, N)), at least 2 dimensions.
class BatchNormImpl : public NormImpl {
public:
    explicit BatchNormImpl(int64_t channels, Activation activation = {}, BatchNormOptions options = {});
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;
};
class BatchNorm : public ::torch::nn::ModuleHolder<BatchNormImpl> {
public:
    using ModuleHolder::ModuleHolder;
    explicit BatchNorm(int64_t channels, Activation activation = {}, BatchNormOptions options = {})
        : ModuleHolder(std::make_shared<BatchNormImpl>(channels, std::move(activation), options)) {}
    BatchNorm(int64_t channels, BatchNormOptions options) : BatchNorm(channels, {}, options) {}
};

// InstanceNorm(chs, λ; affine=false, track_stats=false, eps, momentum): statistics over the
// spatial dimensions of each sample and channel. Input [N, C, spatial...], at least 3 dimensions.
class InstanceNormImpl : public NormImpl {
public:
    explicit InstanceNormImpl(int64_t channels, Activation activation = {}, InstanceNormOptions options = {});
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;
};
class InstanceNorm : public ::torch::nn::ModuleHolder<InstanceNormImpl> {
public:
    using ModuleHolder::ModuleHolder;
    explicit InstanceNorm(int64_t channels, Activation activation = {}, InstanceNormOptions options = {})
        : ModuleHolder(std::make_shared<InstanceNormImpl>(channels, std::move(activation), options)) {}
    InstanceNorm(int64_t channels, InstanceNormOptions options) : InstanceNorm(channels, {}, options) {}
};

// GroupNorm(chs, G, λ; affine, track_stats (0.13), eps, momentum): statistics over the spatial
// dimensions and the chs/G channels of each group (groups of consecutive channels), per sample.
// Input [N, C, spatial...], at least 3 dimensions.
class GroupNormImpl : public NormImpl {
public:
    GroupNormImpl(int64_t channels, int64_t groups, Activation activation = {}, GroupNormOptions options = {});
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;

    int64_t groups;
};
class GroupNorm : public ::torch::nn::ModuleHolder<GroupNormImpl> {
public:
    using ModuleHolder::ModuleHolder;
    GroupNorm(int64_t channels, int64_t groups, Activation activation = {}, GroupNormOptions options = {})
        : ModuleHolder(std::make_shared<GroupNormImpl>(channels, groups, std::move(activation), options)) {}
    GroupNorm(int64_t channels, int64_t groups, GroupNormOptions options) : GroupNorm(channels, groups, {}, options) {}
};

struct LayerNormOptions {
    bool affine = true;
    double eps = 1e-5;
    // Flux 0.13/0.14 divide by (std + ϵ); 0.15+ by sqrt(var + ϵ²).
    Generation generation = Generation::v0_13;
};

// LayerNorm(size..., λ; affine, eps): normalises over Julia's first length(size) dimensions
// (torch's last), then Scale: λ.(scale x .+ bias). Arrays (of its `diag::Scale`): scale (size),
// bias (size), when affine. Without affine, any input with enough dimensions is accepted, as in
// Flux.
class LayerNormImpl : public LayerImpl {
public:
    LayerNormImpl(std::vector<int64_t> size, Activation activation = {}, LayerNormOptions options = {});
    at::Tensor forward(const at::Tensor& x) override;
    std::vector<FluxTensor> flux_arrays() const override;
    void pretty_print(std::ostream& stream) const override;

    at::Tensor scale;  // torch shape: `size` reversed; undefined without affine
    at::Tensor bias;
    Activation activation;
    std::vector<int64_t> size;  // Julia's size tuple
    LayerNormOptions options;
};
class LayerNorm : public ::torch::nn::ModuleHolder<LayerNormImpl> {
public:
    // ModuleHolder's forwarding constructor is left out: it would make LayerNorm({2, 3}) ambiguous.
    LayerNorm(std::nullptr_t) : ModuleHolder(nullptr) {}
    LayerNorm(std::shared_ptr<LayerNormImpl> impl) : ModuleHolder(std::move(impl)) {}
    // LayerNorm(3), LayerNorm({2, 3}, relu, {.affine = false}).
    LayerNorm(std::vector<int64_t> size, Activation activation = {}, LayerNormOptions options = {})
        : ModuleHolder(std::make_shared<LayerNormImpl>(std::move(size), std::move(activation), options)) {}
    LayerNorm(std::vector<int64_t> size, LayerNormOptions options) : LayerNorm(std::move(size), {}, options) {}
    explicit LayerNorm(int64_t size, Activation activation = {}, LayerNormOptions options = {})
        : LayerNorm(std::vector<int64_t>{size}, std::move(activation), options) {}
    LayerNorm(int64_t size, LayerNormOptions options) : LayerNorm(std::vector<int64_t>{size}, {}, options) {}
};

struct DropoutOptions {
    // Julia's dims (1-based, Julia order): one random choice per index of these dimensions,
    // shared along the others. Empty: Flux's `:`, every element independently.
    std::vector<int64_t> dims;
};

// Dropout(p; dims): identity in eval(); in train(), each element (or slice, with dims) is zero
// with probability p, else multiplied by 1/(1-p). LibTorch's generator gives the random numbers.
class DropoutImpl : public LayerImpl {
public:
    explicit DropoutImpl(double p, DropoutOptions options = {});
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;

    double p;
    std::vector<int64_t> dims;
};
class Dropout : public ::torch::nn::ModuleHolder<DropoutImpl> {
public:
    using ModuleHolder::ModuleHolder;
    explicit Dropout(double p, DropoutOptions options = {})
        : ModuleHolder(std::make_shared<DropoutImpl>(p, std::move(options))) {}
};

// AlphaDropout(p): identity in eval(); in train(), A · (noise > p ? x : α′) + B with Flux's
// α′ = -1.7580993408473766 (selu(-Inf)), A = 1/sqrt((1-p)(1 + p α′²)), B = -A α′ p.
class AlphaDropoutImpl : public LayerImpl {
public:
    explicit AlphaDropoutImpl(double p);
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;

    double p;
};
LEGOLASFLUX_FLUX_MODULE(AlphaDropout);

}  // namespace legolasflux::flux
