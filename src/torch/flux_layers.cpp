#include "legolasflux/torch/flux_layers.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "legolasflux/errors.hpp"

namespace legolasflux::flux {

namespace {

std::string shape(const at::Tensor& x) { return c10::str(x.sizes()); }

std::string printed(const ::torch::nn::Module& module) {
    std::ostringstream stream;
    module.pretty_print(stream);
    return stream.str();
}

// The embeddings of Julia's 1-based indices. LibTorch's lookup checks the range itself (an index
// 0 becomes -1, which it refuses too), so a bad index costs nothing until it happens.
at::Tensor lookup(const char* what, const at::Tensor& weight, const at::Tensor& x) {
    if (!c10::isIntegralType(x.scalar_type(), /*includeBool=*/false))
        throw InvalidArgument(std::string("flux::") + what +
                              " expects integer (1-based) indices or a bool one-hot array, got " +
                              std::string(c10::toString(x.scalar_type())));
    try {
        return at::embedding(weight, x.to(at::kLong) - 1);
    } catch (const c10::Error&) {
        const auto [lo, hi] = at::aminmax(x);
        throw InvalidArgument(std::string("flux::") + what +
                              ": indices are Julia's, in 1:" + std::to_string(weight.size(0)) + ", got indices from " +
                              std::to_string(lo.item<int64_t>()) + " to " + std::to_string(hi.item<int64_t>()));
    }
}

// Flux's randn32 init of an (out, in) embedding table, held as [in, out].
at::Tensor embedding_table(const char* what, int64_t in, int64_t out) {
    if (in <= 0 || out <= 0)
        throw InvalidArgument(std::string("flux::") + what + "(" + std::to_string(in) + " => " + std::to_string(out) +
                              "): sizes must be positive");
    return ::torch::randn({in, out});
}

// Julia's m.weight * x for a one-hot x (in, …), held as [..., in].
at::Tensor one_hot_product(const char* what, const at::Tensor& weight, const at::Tensor& x) {
    if (x.dim() == 0 || x.size(-1) != weight.size(0))
        throw ShapeError(std::string("flux::") + what +
                         " expects a one-hot input whose last torch dimension (Julia's first) is " +
                         std::to_string(weight.size(0)) + ", got shape " + shape(x));
    return at::matmul(x.to(weight.scalar_type()), weight);
}

}  // namespace

// ---- Bilinear

BilinearImpl::BilinearImpl(std::pair<int64_t, int64_t> in, int64_t out, Activation activation_, BilinearOptions options)
    : LayerImpl("flux::Bilinear"), activation(std::move(activation_)) {
    const auto [in1, in2] = in;
    if (in1 <= 0 || in2 <= 0 || out <= 0)
        throw InvalidArgument("flux::Bilinear((" + std::to_string(in1) + ", " + std::to_string(in2) + ") => " +
                              std::to_string(out) + "): sizes must be positive");
    // glorot_uniform(out, in1, in2): Flux's fans of an array of more than two dimensions are
    // (out·in1, out·in2).
    const double bound = std::sqrt(6.0 / static_cast<double>(out * in1 + out * in2));
    weight = register_parameter("weight", ::torch::empty({out, in1, in2}).uniform_(-bound, bound));
    if (options.bias) bias = register_parameter("bias", ::torch::zeros({out}));
}

at::Tensor BilinearImpl::forward2(const at::Tensor& x, const at::Tensor& y) {
    const int64_t in1 = weight.size(1), in2 = weight.size(2);
    const auto wrong = [&](const std::string& why) {
        return ShapeError("flux::" + printed(*this) + " " + why + ", got shapes " + shape(x) + " and " + shape(y));
    };
    if (x.dim() != y.dim() || x.dim() < 1 || x.dim() > 2)
        throw wrong("expects two vectors or two matrices (Julia (in, batch), torch [batch, in])");
    if (x.size(-1) != in1 || y.size(-1) != in2)
        throw wrong("expects inputs of " + std::to_string(in1) + " and " + std::to_string(in2) + " features");
    if (x.dim() == 2 && x.size(0) != y.size(0)) throw wrong("expects inputs of one batch size");
    if (x.dim() == 1) return activation(at::bilinear(x.unsqueeze(0), y.unsqueeze(0), weight, bias)).squeeze(0);
    return activation(at::bilinear(x, y, weight, bias));
}

std::vector<FluxTensor> BilinearImpl::flux_arrays() const {
    // Transpose: torch's [out, in1, in2] in row-major order is Julia's (out, in1, in2) with every
    // axis reversed.
    return {{"weight", weight, FluxTransform::Transpose}, {"bias", bias, FluxTransform::Same}};
}

void BilinearImpl::pretty_print(std::ostream& stream) const {
    if (weight.size(1) == weight.size(2))
        stream << "Bilinear(" << weight.size(1) << " => " << weight.size(0);
    else
        stream << "Bilinear((" << weight.size(1) << ", " << weight.size(2) << ") => " << weight.size(0);
    if (!activation.is_identity()) stream << ", " << activation.name;
    if (!bias.defined()) stream << "; bias=false";
    stream << ")";
}

// ---- Scale

ScaleImpl::ScaleImpl(std::vector<int64_t> size, Activation activation_, ScaleOptions options)
    : LayerImpl("flux::Scale"), activation(std::move(activation_)) {
    if (size.empty()) throw InvalidArgument("flux::Scale needs at least one size");
    for (int64_t s : size)
        if (s <= 0)
            throw InvalidArgument("flux::Scale(" + c10::str(at::IntArrayRef(size)) + "): sizes must be positive");
    const std::vector<int64_t> torch_size(size.rbegin(), size.rend());
    scale = register_parameter("scale", ::torch::ones(torch_size));
    if (options.bias) bias = register_parameter("bias", ::torch::zeros(torch_size));
}

at::Tensor ScaleImpl::forward(const at::Tensor& x) {
    // Julia broadcasts scale over x's leading dimensions, which are torch's trailing ones, and
    // treats missing trailing Julia dimensions as 1, as torch does missing leading ones: torch's
    // broadcasting is Julia's on the reversed shapes.
    bool fits = true;
    for (int64_t d = 1; fits && d <= std::min<int64_t>(scale.dim(), x.dim()); ++d)
        fits = scale.size(-d) == 1 || x.size(-d) == 1 || scale.size(-d) == x.size(-d);
    if (!fits)
        throw ShapeError("flux::" + printed(*this) + " cannot broadcast over an input of shape " + shape(x) +
                         " (torch's trailing dimensions must match " + shape(scale) + ")");
    at::Tensor y = x * scale;
    if (bias.defined()) y.add_(bias);
    return activation(y);
}

std::vector<FluxTensor> ScaleImpl::flux_arrays() const {
    return {{"scale", scale, FluxTransform::Same}, {"bias", bias, FluxTransform::Same}};
}

void ScaleImpl::pretty_print(std::ostream& stream) const {
    stream << "Scale(";
    for (int64_t d = scale.dim() - 1; d >= 0; --d) stream << scale.size(d) << (d > 0 ? ", " : "");
    if (!activation.is_identity()) stream << ", " << activation.name;
    if (!bias.defined()) stream << "; bias=false";
    stream << ")";
}

// ---- Embedding

EmbeddingImpl::EmbeddingImpl(int64_t in, int64_t out, EmbeddingOptions options)
    : LayerImpl("flux::Embedding"), padding_idx(options.padding_idx) {
    weight = register_parameter("weight", embedding_table("Embedding", in, out));
    if (padding_idx) {
        if (*padding_idx < 1 || *padding_idx > in)
            throw InvalidArgument("flux::Embedding: padding_idx=" + std::to_string(*padding_idx) +
                                  " must be in 1:" + std::to_string(in));
        ::torch::NoGradGuard no_grad;
        weight[*padding_idx - 1].zero_();
    }
}

at::Tensor EmbeddingImpl::forward(const at::Tensor& x) {
    const bool hot = x.scalar_type() == at::kBool;
    const at::Tensor y = hot ? one_hot_product("Embedding", weight, x) : lookup("Embedding", weight, x);
    if (!padding_idx) return y;
    // Flux's _mask_padding multiplies (y .* mask), so a loaded non-zero padding column still gives
    // zeros, and NaN stays NaN.
    const at::Tensor keep = hot ? x.select(-1, *padding_idx - 1).logical_not() : x.ne(*padding_idx);
    return y * keep.unsqueeze(-1).to(y.scalar_type());
}

std::vector<FluxTensor> EmbeddingImpl::flux_arrays() const { return {{"weight", weight, FluxTransform::Same}}; }

void EmbeddingImpl::pretty_print(std::ostream& stream) const {
    stream << "Embedding(" << weight.size(0) << " => " << weight.size(1);
    if (padding_idx) stream << ", padding_idx=" << *padding_idx;
    stream << ")";
}

// ---- EmbeddingBag

const Reduction mean{"mean", [](const at::Tensor& x, int64_t dim) { return x.mean(dim); }};
const Reduction sum{"sum", [](const at::Tensor& x, int64_t dim) { return x.sum(dim); }};
const Reduction maximum{"maximum", [](const at::Tensor& x, int64_t dim) { return x.amax(dim); }};
const Reduction minimum{"minimum", [](const at::Tensor& x, int64_t dim) { return x.amin(dim); }};
const Reduction prod{"prod", [](const at::Tensor& x, int64_t dim) { return x.prod(dim); }};

EmbeddingBagImpl::EmbeddingBagImpl(int64_t in, int64_t out, Reduction reduction_)
    : LayerImpl("flux::EmbeddingBag"), reduction(std::move(reduction_)) {
    if (!reduction.fn) throw InvalidArgument("flux::EmbeddingBag: the reduction has no function");
    weight = register_parameter("weight", embedding_table("EmbeddingBag", in, out));
}

at::Tensor EmbeddingBagImpl::forward(const at::Tensor& x) {
    // Flux: dropdims(reduction(Embedding(weight)(x), dims=2), dims=2); Julia's dimension 2 (the
    // bag) is torch's second last once the embedding dimension is appended.
    if (x.scalar_type() == at::kBool) {
        if (x.dim() < 2)
            throw ShapeError("flux::EmbeddingBag is not defined for a one-hot vector; expects [bags..., bag_len, " +
                             std::to_string(weight.size(0)) + "], got shape " + shape(x));
        return reduction.fn(one_hot_product("EmbeddingBag", weight, x), -2);
    }
    if (x.dim() == 0) throw ShapeError("flux::EmbeddingBag expects an array of indices, not just one");
    return reduction.fn(lookup("EmbeddingBag", weight, x), -2);
}

at::Tensor EmbeddingBagImpl::forward2(const at::Tensor& data, const at::Tensor& starts) {
    // Flux's _splitat: bags start at the 1-based offsets `at`, the first being 1.
    if (data.dim() != 1 || starts.dim() != 1 || starts.numel() == 0)
        throw ShapeError("flux::EmbeddingBag(data, at) expects two non-empty vectors, got shapes " + shape(data) +
                         " and " + shape(starts));
    const at::Tensor offsets = starts.to(at::kLong).contiguous();
    const int64_t* o = offsets.data_ptr<int64_t>();
    const int64_t n = offsets.numel();
    if (o[0] != 1) throw InvalidArgument("flux::EmbeddingBag: the first element in `at` must be 1");
    if (o[n - 1] > data.numel())
        throw InvalidArgument("flux::EmbeddingBag: the last element in `at` must be at most the length of `data`");
    for (int64_t i = 1; i < n; ++i)
        if (o[i] <= o[i - 1])
            throw InvalidArgument("flux::EmbeddingBag: `at` must be monotonically increasing with no duplicates");
    const at::Tensor embedded = lookup("EmbeddingBag", weight, data);
    std::vector<at::Tensor> bags;
    bags.reserve(n);
    for (int64_t i = 0; i < n; ++i) {
        const int64_t end = i + 1 < n ? o[i + 1] - 1 : data.numel();
        bags.push_back(reduction.fn(embedded.slice(0, o[i] - 1, end), 0));
    }
    return at::stack(bags);
}

std::vector<FluxTensor> EmbeddingBagImpl::flux_arrays() const { return {{"weight", weight, FluxTransform::Same}}; }

void EmbeddingBagImpl::pretty_print(std::ostream& stream) const {
    stream << "EmbeddingBag(" << weight.size(0) << " => " << weight.size(1) << ")";
}

}  // namespace legolasflux::flux
