#include "legolasflux/torch/flux_pooling.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

#include "legolasflux/errors.hpp"

namespace legolasflux::flux {

namespace {

// Julia's repr of a tuple: (2, 2), (5,).
template <class T>
std::string julia_tuple(const std::vector<T>& v) {
    std::ostringstream s;
    s << "(";
    for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
    s << (v.size() == 1 ? ",)" : ")");
    return s.str();
}

// Flux's _maybetuple_string: one number when all are equal.
std::string maybe_tuple(const std::vector<int64_t>& v) {
    for (int64_t x : v)
        if (x != v[0]) return julia_tuple(v);
    return std::to_string(v[0]);
}

// A Julia number: integers without ".0" (C++ cannot tell Julia's 2 from 2.0; Flux users write 2),
// others in their shortest digits.
std::string julia_number(double v) {
    if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
    char buffer[64];
    return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
}

std::vector<int64_t> reversed(std::vector<int64_t> v) { return {v.rbegin(), v.rend()}; }

// The Julia spatial size of a torch array [N, C, spatial reversed...].
std::vector<int64_t> julia_spatial(const at::Tensor& x) {
    std::vector<int64_t> s;
    for (int64_t d = x.dim() - 1; d >= 2; --d) s.push_back(x.size(d));
    return s;
}

// One pooling call in LibTorch's order (torch window, stride, symmetric padding).
at::Tensor pool(const at::Tensor& x, bool max, at::IntArrayRef k, at::IntArrayRef stride, at::IntArrayRef pad) {
    switch (k.size()) {
        case 1: return max ? at::max_pool1d(x, k, stride, pad) : at::avg_pool1d(x, k, stride, pad, false, true);
        case 2: return max ? at::max_pool2d(x, k, stride, pad) : at::avg_pool2d(x, k, stride, pad, false, true);
        default: return max ? at::max_pool3d(x, k, stride, pad) : at::avg_pool3d(x, k, stride, pad, false, true);
    }
}

std::string shape_of(const at::Tensor& x) { return c10::str(x.sizes()); }

}  // namespace

const Function softmax{"softmax", [](const at::Tensor& x) { return at::softmax(x, -1); }};
const Function logsoftmax{"logsoftmax", [](const at::Tensor& x) { return at::log_softmax(x, -1); }};
const Function flatten{"flatten", [](const at::Tensor& x) {
                           if (x.dim() == 0) throw ShapeError("flatten needs an array, got a scalar");
                           return x.reshape({x.size(0), -1});
                       }};

// ---- MaxPool / MeanPool ----

PoolImpl::PoolImpl(std::string kind, bool max, std::vector<int64_t> window, PoolOptions options)
    : LayerImpl("flux::" + kind), kind_(std::move(kind)), max_(max), k_(std::move(window)) {
    const size_t n = k_.size();
    const std::string where = "flux::" + kind_ + "(" + (n ? julia_tuple(k_) : "()") + ")";
    if (n < 1 || n > 3) throw InvalidArgument(where + ": the window has 1, 2 or 3 dimensions");
    for (int64_t k : k_)
        if (k <= 0) throw InvalidArgument(where + ": window sizes must be positive");
    // Flux: stride = expand(Val(N), stride), defaulting to the window.
    if (options.stride.empty())
        stride_ = k_;
    else if (options.stride.scalar)
        stride_.assign(n, options.stride.values[0]);
    else
        stride_ = options.stride.values;
    if (stride_.size() != n) throw InvalidArgument(where + ": stride needs " + std::to_string(n) + " values");
    for (int64_t s : stride_)
        if (s <= 0) throw InvalidArgument(where + ": strides must be positive");
    // Flux's calc_padding: a number for all 2N sides; SamePad: k - 1 split as (cld, fld) per dimension.
    if (options.pad.same) {
        for (int64_t k : k_) {
            pad_.push_back(k / 2);
            pad_.push_back((k - 1) / 2);
        }
    } else if (options.pad.scalar) {
        pad_.assign(2 * n, options.pad.values[0]);
    } else {
        pad_ = options.pad.values;
    }
    if (pad_.size() != n && pad_.size() != 2 * n)
        throw InvalidArgument(where + ": pad needs 1, " + std::to_string(n) + " or " + std::to_string(2 * n) +
                              " values, got " + std::to_string(pad_.size()));
    for (int64_t p : pad_)
        if (p < 0) throw InvalidArgument(where + ": pads must not be negative");

    std::vector<int64_t> lohi;  // per Julia dimension: lo, hi
    for (size_t i = 0; i < n; ++i) {
        lohi.push_back(pad_.size() == n ? pad_[i] : pad_[2 * i]);
        lohi.push_back(pad_.size() == n ? pad_[i] : pad_[2 * i + 1]);
    }
    bool torch_can = true;  // LibTorch pools pad symmetrically, at most half the window
    std::vector<int64_t> sym;
    for (size_t i = 0; i < n; ++i) {
        torch_can = torch_can && lohi[2 * i] == lohi[2 * i + 1] && 2 * lohi[2 * i] <= k_[i];
        sym.push_back(lohi[2 * i]);
    }
    torch_k_ = reversed(k_);
    torch_stride_ = reversed(stride_);
    if (torch_can) {
        torch_pad_ = reversed(sym);
    } else {
        torch_pad_.assign(n, 0);
        explicit_pad_ = lohi;
    }
}

at::Tensor PoolImpl::forward(const at::Tensor& x) {
    const int64_t n = static_cast<int64_t>(k_.size());
    if (x.dim() != n + 2)
        throw ShapeError(kind_ + julia_tuple(k_) + " expects a " + std::to_string(n + 2) +
                         "-dimensional input (spatial…, channels, batch), got shape " + shape_of(x));
    if (explicit_pad_.empty()) return pool(x, max_, torch_k_, torch_stride_, torch_pad_);
    // NNlib's maxpool ignores padding: its maximum starts at nextfloat(typemin(T)), the lowest
    // finite value, which a window lying wholly in the padding gives. Its meanpool counts padding as zeros.
    const double lowest = x.scalar_type() == at::kDouble ? std::numeric_limits<double>::lowest()
                                                         : static_cast<double>(std::numeric_limits<float>::lowest());
    const double fill = max_ ? lowest : 0.0;
    return pool(at::constant_pad_nd(x, explicit_pad_, fill), max_, torch_k_, torch_stride_, torch_pad_);
}

void PoolImpl::pretty_print(std::ostream& stream) const {
    stream << kind_ << "(" << julia_tuple(k_);
    bool zero = true;
    for (int64_t p : pad_) zero = zero && p == 0;
    if (!zero) stream << ", pad=" << maybe_tuple(pad_);
    if (stride_ != k_) stream << ", stride=" << maybe_tuple(stride_);
    stream << ")";
}

// ---- AdaptiveMaxPool / AdaptiveMeanPool ----

AdaptivePoolImpl::AdaptivePoolImpl(std::string kind, bool max, std::vector<int64_t> out)
    : LayerImpl("flux::" + kind), kind_(std::move(kind)), max_(max), out_(std::move(out)) {
    if (out_.empty() || out_.size() > 3)
        throw InvalidArgument("flux::" + kind_ + ": the output size has 1, 2 or 3 dimensions");
    for (int64_t o : out_)
        if (o <= 0) throw InvalidArgument("flux::" + kind_ + julia_tuple(out_) + ": output sizes must be positive");
}

at::Tensor AdaptivePoolImpl::forward(const at::Tensor& x) {
    const int64_t n = static_cast<int64_t>(out_.size());
    const std::string where = kind_ + "(" + julia_tuple(out_) + ")";
    if (x.dim() != n + 2)
        throw ShapeError(where + " expects a " + std::to_string(n + 2) + "-dimensional input, got shape " +
                         shape_of(x));
    const std::vector<int64_t> in = julia_spatial(x);
    std::vector<int64_t> k, stride;
    for (int64_t i = 0; i < n; ++i) {
        if (in[i] < out_[i])
            throw ShapeError(where + " cannot pool Julia size " + julia_tuple(in) + " up to " + julia_tuple(out_));
        stride.push_back(in[i] / out_[i]);  // Flux: stride = insize .÷ outsize
        k.push_back(in[i] - (out_[i] - 1) * stride.back());
    }
    return pool(x, max_, reversed(k), reversed(stride), std::vector<int64_t>(n, 0));
}

void AdaptivePoolImpl::pretty_print(std::ostream& stream) const { stream << kind_ << "(" << julia_tuple(out_) << ")"; }

// ---- GlobalMaxPool / GlobalMeanPool ----

namespace {
std::vector<int64_t> spatial_dims(const at::Tensor& x, const char* kind) {
    if (x.dim() < 3)
        throw ShapeError(std::string(kind) +
                         "() expects an input (spatial…, channels, batch) of 3 or more dimensions, " + "got shape " +
                         shape_of(x));
    std::vector<int64_t> dims;
    for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
    return dims;
}
}  // namespace

at::Tensor GlobalMaxPoolImpl::forward(const at::Tensor& x) {
    return at::amax(x, spatial_dims(x, "GlobalMaxPool"), /*keepdim=*/true);
}
at::Tensor GlobalMeanPoolImpl::forward(const at::Tensor& x) {
    return at::mean(x, spatial_dims(x, "GlobalMeanPool"), /*keepdim=*/true);
}

// ---- Upsample ----

UpsampleImpl::UpsampleImpl(UpsampleMode mode, UpsampleOptions options)
    : LayerImpl("flux::Upsample"), mode_(mode), scale_(std::move(options.scale)), size_(std::move(options.size)) {
    // Flux: "Either scale or size should be specified (but not both)."
    if (scale_.empty() == size_.empty())
        throw InvalidArgument("flux::Upsample: give either scale or size (but not both)");
    if (scale_.values.size() > 3 || size_.values.size() > 3)
        throw InvalidArgument("flux::Upsample: scale and size have 1, 2 or 3 dimensions");
    for (double s : scale_.values) {
        if (!(s > 0)) throw InvalidArgument("flux::Upsample: scales must be positive");
        if (mode_ == UpsampleMode::nearest && s != std::floor(s))
            throw InvalidArgument("flux::Upsample(:nearest): NNlib's upsample_nearest takes integer scales, got " +
                                  julia_number(s));
    }
    for (int64_t s : size_.values)
        if (s <= 0) throw InvalidArgument("flux::Upsample: sizes must be positive");
}

UpsampleImpl::UpsampleImpl(double scale, UpsampleMode mode) : UpsampleImpl(mode, UpsampleOptions{.scale = scale}) {}

std::vector<int64_t> UpsampleImpl::output_size(const std::vector<int64_t>& in) const {
    const size_t n = in.size();
    std::vector<int64_t> out(n);
    if (!size_.empty()) {
        if (size_.values.size() != n && !size_.scalar)
            throw ShapeError("Upsample: size " + julia_tuple(size_.values) + " does not fit an input of Julia size " +
                             julia_tuple(in) + " (+ channels, batch)");
        for (size_t i = 0; i < n; ++i) {
            out[i] = size_.values[size_.scalar ? 0 : i];
            // NNlib's upsample_nearest(x; size) needs whole multiples.
            if (mode_ == UpsampleMode::nearest && out[i] % in[i] != 0)
                throw ShapeError("Upsample(:nearest): size " + julia_tuple(size_.values) +
                                 " is not a multiple of the input's Julia size " + julia_tuple(in));
        }
        return out;
    }
    if (!scale_.scalar && scale_.values.size() != n)
        throw ShapeError("Upsample: scale " + julia_tuple(scale_.values) + " does not fit an input of Julia size " +
                         julia_tuple(in) + " (+ channels, batch)");
    for (size_t i = 0; i < n; ++i)
        out[i] = static_cast<int64_t>(std::floor(scale_.values[scale_.scalar ? 0 : i] * static_cast<double>(in[i])));
    return out;
}

at::Tensor UpsampleImpl::forward(const at::Tensor& x) {
    if (x.dim() < 3 || x.dim() > 5)
        throw ShapeError("Upsample expects an input (spatial…, channels, batch) of 3 to 5 dimensions, got shape " +
                         shape_of(x));
    const std::vector<int64_t> in = julia_spatial(x);
    const std::vector<int64_t> out = output_size(in);
    const std::vector<int64_t> torch_out = reversed(out);
    if (mode_ == UpsampleMode::nearest) {
        // NNlib repeats every element `scale` times along each dimension: a broadcast copy.
        std::vector<int64_t> view = {x.size(0), x.size(1)}, expanded = view;
        for (size_t j = 0; j < torch_out.size(); ++j) {
            const int64_t s = x.size(2 + j);
            view.insert(view.end(), {s, 1});
            expanded.insert(expanded.end(), {s, torch_out[j] / s});
        }
        return x.reshape(view).expand(expanded).reshape([&] {
            std::vector<int64_t> r = {x.size(0), x.size(1)};
            r.insert(r.end(), torch_out.begin(), torch_out.end());
            return r;
        }());
    }
    // NNlib's linear interpolation uses align_corners = true.
    switch (torch_out.size()) {
        case 1: return at::upsample_linear1d(x, torch_out, true);
        case 2: return at::upsample_bilinear2d(x, torch_out, true);
        default: return at::upsample_trilinear3d(x, torch_out, true);
    }
}

void UpsampleImpl::pretty_print(std::ostream& stream) const {
    static const char* names[] = {"nearest", "bilinear", "trilinear"};
    stream << "Upsample(:" << names[static_cast<int>(mode_)];
    if (!scale_.empty()) {
        stream << ", scale = ";
        if (scale_.scalar) {
            stream << julia_number(scale_.values[0]);
        } else {
            std::vector<std::string> v;
            for (double s : scale_.values) v.push_back(julia_number(s));
            stream << julia_tuple(v);
        }
    }
    if (!size_.empty())
        stream << ", size = " << (size_.scalar ? std::to_string(size_.values[0]) : julia_tuple(size_.values));
    stream << ")";
}

// ---- PixelShuffle ----

PixelShuffleImpl::PixelShuffleImpl(int64_t r) : LayerImpl("flux::PixelShuffle"), r_(r) {
    if (r <= 0) throw InvalidArgument("flux::PixelShuffle(" + std::to_string(r) + "): the factor must be positive");
}

at::Tensor PixelShuffleImpl::forward(const at::Tensor& x) {
    const int64_t d = x.dim() - 2;
    if (d < 1)
        throw ShapeError("PixelShuffle(" + std::to_string(r_) +
                         ") expects an input with at least 3 dimensions (spatial…, channels, batch), got shape " +
                         shape_of(x));
    int64_t rd = 1;
    for (int64_t i = 0; i < d; ++i) rd *= r_;
    const int64_t cin = x.size(1);
    if (cin % rd != 0)
        throw ShapeError("PixelShuffle(" + std::to_string(r_) + "): the channels (" + std::to_string(cin) +
                         ") must be divisible by r^" + std::to_string(d) + " = " + std::to_string(rd));
    // For images NNlib's order is LibTorch's (channel = i + r j + r² c, i along W, j along H).
    if (d == 2) return at::pixel_shuffle(x, r_);
    // In general: NNlib reshapes Julia's channels to (r, …, r, C) (the first r along Julia's first
    // dimension), interleaves each r after its spatial dimension and merges the pairs. In torch's
    // order the channel dimension splits as [C, r_d, …, r_1] and each spatial dimension S_k is
    // followed by its r_k.
    std::vector<int64_t> view = {x.size(0), cin / rd}, perm = {0, 1}, out = {x.size(0), cin / rd};
    for (int64_t i = 0; i < d; ++i) view.push_back(r_);
    for (int64_t i = 0; i < d; ++i) view.push_back(x.size(2 + i));
    for (int64_t k = 0; k < d; ++k) {
        perm.push_back(2 + d + k);
        perm.push_back(2 + k);
        out.push_back(x.size(2 + k) * r_);
    }
    return x.reshape(view).permute(perm).reshape(out);
}

}  // namespace legolasflux::flux
