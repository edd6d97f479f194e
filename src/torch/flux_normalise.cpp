#include "legolasflux/torch/flux_normalise.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

#include "legolasflux/errors.hpp"

namespace legolasflux::flux {
namespace {

// A Float64 as Julia prints it: shortest round trip, always with a point ("1.0"), exponent
// written "1.0e-5" below 1e-4 or from 1e16.
std::string julia_float(double v) {
    char buf[64];
    const double a = std::fabs(v);
    const bool scientific = a != 0 && (a < 1e-4 || a >= 1e16);
    auto r =
        std::to_chars(buf, buf + sizeof buf, v, scientific ? std::chars_format::scientific : std::chars_format::fixed);
    std::string s(buf, r.ptr);
    if (!scientific) return s.find('.') == std::string::npos ? s + ".0" : s;
    const size_t e = s.find('e');
    std::string mantissa = s.substr(0, e);
    if (mantissa.find('.') == std::string::npos) mantissa += ".0";
    const int exponent = std::stoi(s.substr(e + 1));
    return mantissa + "e" + std::to_string(exponent);
}

std::string shape_text(const at::Tensor& x) { return c10::str(x.sizes()); }

// The affine arrays as [1, C, 1, ...] for an input of `dims` dimensions.
at::Tensor channel_view(const at::Tensor& t, int64_t dims) {
    std::vector<int64_t> shape(static_cast<size_t>(dims), 1);
    shape[1] = t.size(0);
    return t.view(shape);
}

}  // namespace

NormImpl::NormImpl(std::string name, int64_t channels_, Activation activation_, bool affine, bool track_stats,
                   int64_t stat_size, double eps_, double momentum_)
    : LayerImpl(std::move(name)),
      activation(std::move(activation_)),
      channels(channels_),
      eps(eps_),
      momentum(momentum_) {
    if (channels <= 0)
        throw InvalidArgument("flux::" + this->name().substr(6) + "(" + std::to_string(channels) +
                              "): the number of channels must be positive");
    if (affine) {
        beta = register_parameter("bias", ::torch::zeros({channels}));
        gamma = register_parameter("weight", ::torch::ones({channels}));
    }
    if (track_stats) {
        running_mean = register_buffer("running_mean", ::torch::zeros({stat_size}));
        running_var = register_buffer("running_var", ::torch::ones({stat_size}));
    }
    // Flux's automatic mode outside a gradient: inference (see the header).
    eval();
}

std::vector<FluxTensor> NormImpl::flux_arrays() const {
    return {{"bias", beta, FluxTransform::Same},
            {"weight", gamma, FluxTransform::Same},
            {"running_mean", running_mean, FluxTransform::Same},
            {"running_var", running_var, FluxTransform::Same}};
}

void NormImpl::check_input(const at::Tensor& x, int64_t min_dims) const {
    if (x.dim() < min_dims || x.size(1) != channels) {
        std::ostringstream printed;
        pretty_print(printed);
        throw ShapeError("flux::" + printed.str() + " expects an input of at least " + std::to_string(min_dims) +
                         " dimensions with " + std::to_string(channels) +
                         " channels at torch dimension 1 (Julia's dimension N-1), got shape " + shape_text(x));
    }
}

void NormImpl::print_tail(std::ostream& stream) const {
    if (!activation.is_identity()) stream << ", " << activation.name;
    if (!gamma.defined()) stream << ", affine=false";
    if (is_training()) stream << ", active=true";
    stream << ")";
}

BatchNormImpl::BatchNormImpl(int64_t channels, Activation activation, BatchNormOptions o)
    : NormImpl("flux::BatchNorm", channels, std::move(activation), o.affine, o.track_stats, channels, o.eps,
               o.momentum) {}

at::Tensor BatchNormImpl::forward(const at::Tensor& x) {
    check_input(x, 2);
    // Batch statistics when training or when none are tracked; LibTorch updates the tracked ones
    // as Flux does: μ ← (1-m) μ + m mean, σ² ← (1-m) σ² + m (n/(n-1)) var.
    const bool batch_stats = is_training() || !running_mean.defined();
    return activation(
        at::batch_norm(x, gamma, beta, running_mean, running_var, batch_stats, momentum, eps, /*cudnn_enabled=*/true));
}

void BatchNormImpl::pretty_print(std::ostream& stream) const {
    stream << "BatchNorm(" << channels;
    print_tail(stream);
}

InstanceNormImpl::InstanceNormImpl(int64_t channels, Activation activation, InstanceNormOptions o)
    : NormImpl("flux::InstanceNorm", channels, std::move(activation), o.affine, o.track_stats, channels, o.eps,
               o.momentum) {}

at::Tensor InstanceNormImpl::forward(const at::Tensor& x) {
    check_input(x, 3);
    // LibTorch's running statistics are Flux's: the batch mean of each sample's statistics, the
    // variance corrected by n/(n-1) with n the spatial size.
    const bool input_stats = is_training() || !running_mean.defined();
    return activation(at::instance_norm(x, gamma, beta, running_mean, running_var, input_stats, momentum, eps,
                                        /*cudnn_enabled=*/true));
}

void InstanceNormImpl::pretty_print(std::ostream& stream) const {
    stream << "InstanceNorm(" << channels;
    print_tail(stream);
}

GroupNormImpl::GroupNormImpl(int64_t channels, int64_t groups_, Activation activation, GroupNormOptions o)
    : NormImpl("flux::GroupNorm", channels, std::move(activation), o.affine, o.track_stats, groups_, o.eps, o.momentum),
      groups(groups_) {
    if (groups <= 0 || channels % groups != 0)
        throw InvalidArgument("flux::GroupNorm(" + std::to_string(channels) + ", " + std::to_string(groups) +
                              "): the number of groups (" + std::to_string(groups) +
                              ") must divide the number of channels (" + std::to_string(channels) + ")");
}

at::Tensor GroupNormImpl::forward(const at::Tensor& x) {
    check_input(x, 2);
    if (!running_mean.defined()) return activation(at::group_norm(x, groups, gamma, beta, eps, /*cudnn_enabled=*/true));
    // Flux 0.13's tracked statistics are per group: an instance norm of [N, G, rest] has them
    // (statistics of each sample's group; the running update averages them over the batch, the
    // variance corrected by n/(n-1), n the group's size), then γ and β per channel.
    const bool input_stats = is_training();
    at::Tensor y = at::instance_norm(x.reshape({x.size(0), groups, -1}), {}, {}, running_mean, running_var, input_stats,
                                     momentum, eps, /*cudnn_enabled=*/true)
                       .view(x.sizes());
    if (gamma.defined()) y.mul_(channel_view(gamma, x.dim())).add_(channel_view(beta, x.dim()));
    return activation(y);
}

void GroupNormImpl::pretty_print(std::ostream& stream) const {
    stream << "GroupNorm(" << channels << ", " << groups;
    print_tail(stream);
}

LayerNormImpl::LayerNormImpl(std::vector<int64_t> size_, Activation activation_, LayerNormOptions options_)
    : LayerImpl("flux::LayerNorm"), activation(std::move(activation_)), size(std::move(size_)), options(options_) {
    std::vector<int64_t> shape(size.rbegin(), size.rend());
    bool positive = !size.empty();
    for (int64_t s : size) positive = positive && s > 0;
    if (!positive) throw InvalidArgument("flux::LayerNorm(" + c10::str(size) + "): sizes must be positive");
    if (options.affine) {
        scale = register_parameter("scale", ::torch::ones(shape));
        bias = register_parameter("bias", ::torch::zeros(shape));
    }
}

at::Tensor LayerNormImpl::forward(const at::Tensor& x) {
    const int64_t k = static_cast<int64_t>(size.size());
    bool fits = x.dim() >= k;
    // Flux checks the sizes only when it holds a Scale; without it any size is normalised.
    for (int64_t d = 0; fits && options.affine && d < k; ++d) fits = x.size(x.dim() - 1 - d) == size[d];
    if (!fits) {
        std::ostringstream printed;
        pretty_print(printed);
        throw ShapeError("flux::" + printed.str() + " expects an input whose last " + std::to_string(k) +
                         " torch dimensions (Julia's first) are " +
                         c10::str(std::vector<int64_t>(size.rbegin(), size.rend())) + ", got shape " + shape_text(x));
    }
    // Flux's normalise in Julia's two passes (the mean, then the squares about it), vectorised by
    // LibTorch: a constant slice gives exactly 0, as in Julia, where LibTorch's layer norm leaves
    // an error that ϵ² = 1e-10 magnifies to 1e-2; its var_mean (Welford's) is many times slower.
    std::vector<int64_t> dims(static_cast<size_t>(k));
    int64_t count = 1;
    for (int64_t d = 0; d < k; ++d) {
        dims[static_cast<size_t>(d)] = x.dim() - 1 - d;
        count *= x.size(x.dim() - 1 - d);
    }
    at::Tensor y = x - x.mean(dims, /*keepdim=*/true);
    at::Tensor sigma = at::linalg_vector_norm(y, 2, dims, /*keepdim=*/true).mul_(1 / std::sqrt(double(count)));
    if (options.generation == Generation::v0_15)
        y.div_(sigma.square_().add_(options.eps * options.eps).sqrt_());  // 0.15+: (x - μ) / sqrt(σ² + ϵ²)
    else
        y.div_(sigma.add_(options.eps));  // 0.13/0.14: (x - μ) / (σ + ϵ), σ uncorrected
    // Scale: scale .* y .+ bias, in place (addcmul with a broadcast `bias` is many times slower).
    if (scale.defined()) y.mul_(scale).add_(bias);
    return activation(y);
}

std::vector<FluxTensor> LayerNormImpl::flux_arrays() const {
    // LayerNorm's arrays are its diag::Scale's fields: scale, then bias.
    return {{"scale", scale, FluxTransform::Same}, {"bias", bias, FluxTransform::Same}};
}

void LayerNormImpl::pretty_print(std::ostream& stream) const {
    stream << "LayerNorm(";
    for (size_t i = 0; i < size.size(); ++i) stream << (i ? ", " : "") << size[i];
    if (!activation.is_identity()) stream << ", " << activation.name;
    if (!options.affine) stream << ", affine=false";
    stream << ")";
}

DropoutImpl::DropoutImpl(double p_, DropoutOptions options) : LayerImpl("flux::Dropout"), p(p_), dims(options.dims) {
    if (!(p >= 0 && p <= 1)) throw InvalidArgument("flux::Dropout expects 0 ≤ p ≤ 1, got p = " + julia_float(p));
    for (int64_t d : dims)
        if (d < 1) throw InvalidArgument("flux::Dropout: dims are Julia's, from 1; got " + std::to_string(d));
    eval();
}

at::Tensor DropoutImpl::forward(const at::Tensor& x) {
    if (!is_training() || p == 0) return x;
    // NNlib: ((rand > p) * 1/(1-p)) * x, with p=1 giving zeros (false * Inf is 0 in Julia).
    if (p == 1) return x * 0;
    std::vector<int64_t> shape = x.sizes().vec();
    if (!dims.empty()) {
        std::vector<int64_t> kept(shape.size(), 1);
        for (int64_t d : dims)
            if (d <= x.dim()) kept[static_cast<size_t>(x.dim() - d)] = shape[static_cast<size_t>(x.dim() - d)];
        shape = kept;
    }
    // NNlib computes p and 1/(1-p) in the array's precision.
    const double scale = x.scalar_type() == at::kFloat ? double(1.0f / (1.0f - float(p))) : 1.0 / (1.0 - p);
    const at::Tensor keep = at::rand(shape, x.options()).gt_(p).mul_(scale);
    return x * keep;
}

void DropoutImpl::pretty_print(std::ostream& stream) const {
    stream << "Dropout(" << julia_float(p);
    if (dims.size() == 1) stream << ", dims=" << dims[0];
    if (dims.size() > 1) {
        stream << ", dims=(";
        for (size_t i = 0; i < dims.size(); ++i) stream << (i ? ", " : "") << dims[i];
        stream << ")";
    }
    if (is_training()) stream << ", active=true";
    stream << ")";
}

AlphaDropoutImpl::AlphaDropoutImpl(double p_) : LayerImpl("flux::AlphaDropout"), p(p_) {
    if (!(p >= 0 && p <= 1)) throw InvalidArgument("flux::AlphaDropout expects 0 ≤ p ≤ 1, got p = " + julia_float(p));
    eval();
}

at::Tensor AlphaDropoutImpl::forward(const at::Tensor& x) {
    if (!is_training() || p == 0) return x;
    if (p == 1) return at::sign(x) * 0;
    // Flux's constants: α′ in the array's type, A and B computed in Float64 from it, then
    // converted to the array's type.
    const bool single = x.scalar_type() == at::kFloat;
    const double alpha = single ? double(float(-1.7580993408473766)) : -1.7580993408473766;
    double a = 1.0 / std::sqrt((1 - p) * (1 + p * alpha * alpha));
    if (single) a = double(float(a));
    double b = -a * alpha * p;
    if (single) b = double(float(b));
    const at::Tensor noise = at::rand(x.sizes(), x.options());
    return at::where(noise > p, x, at::scalar_tensor(alpha, x.options())).mul_(a).add_(b);
}

void AlphaDropoutImpl::pretty_print(std::ostream& stream) const {
    // Flux 0.14's show, which never prints `active` (0.13 printed the struct's fields).
    stream << "AlphaDropout(" << julia_float(p) << ")";
}

}  // namespace legolasflux::flux
