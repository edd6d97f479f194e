#include "legolasflux/torch/flux_conv.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "legolasflux/errors.hpp"

namespace legolasflux::flux {
namespace {

// Julia's string(tuple): "(3, 3)", "(3,)".
std::string julia_tuple(const std::vector<int64_t>& values) {
    std::string s = "(";
    for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
    return s + (values.size() == 1 ? ",)" : ")");
}

// Flux's _maybetuple_string: one number when every entry is the same.
std::string maybe_tuple(const std::vector<int64_t>& values) {
    const bool same = std::all_of(values.begin(), values.end(), [&](int64_t v) { return v == values[0]; });
    return same ? std::to_string(values[0]) : julia_tuple(values);
}

// Julia's fld and cld (floor and ceiling division, also for negative numerators).
int64_t fld(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t cld(int64_t a, int64_t b) { return -fld(-a, b); }

// Flux's expand: an integer for every dimension, a tuple as it is (which must have n entries).
std::vector<int64_t> expand(const Ints& ints, size_t n, const char* what, const std::string& layer) {
    if (ints.scalar) return std::vector<int64_t>(n, ints.values[0]);
    if (ints.values.size() != n)
        throw InvalidArgument(layer + ": " + what + " " + julia_tuple(ints.values) + " needs " + std::to_string(n) +
                              " entries, one per spatial dimension");
    return ints.values;
}

std::vector<int64_t> reversed(std::vector<int64_t> v) {
    std::reverse(v.begin(), v.end());
    return v;
}

int64_t product(const std::vector<int64_t>& v) {
    return std::accumulate(v.begin(), v.end(), int64_t{1}, std::multiplies<>());
}

// Flux's default init, glorot_uniform, with nfan for a kernel of Julia size (k..., a, b):
// fan_in = prod(k) a, fan_out = prod(k) b; U(±sqrt(6 / (fan_in + fan_out))).
at::Tensor glorot_uniform(std::vector<int64_t> torch_shape, int64_t fan_in, int64_t fan_out) {
    const double bound = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
    return ::torch::empty(torch_shape).uniform_(-bound, bound);
}

// The kernel size (Julia's order) of Julia's weight array given as a tensor [a, b, k reversed...].
std::vector<int64_t> kernel_of(const at::Tensor& weight, const char* layer) {
    if (!weight.defined() || weight.dim() < 3 || weight.dim() > 5)
        throw ShapeError(std::string("flux::") + layer +
                         "(weight, …) takes a weight of 3 to 5 dimensions (1 to 3 spatial), got " +
                         (weight.defined() ? c10::str(weight.sizes()) : std::string("an undefined tensor")));
    if (!at::isFloatingType(weight.scalar_type()))
        throw UnsupportedError(std::string("flux::") + layer + "(weight, …) takes a floating-point weight, got " +
                               c10::toString(weight.scalar_type()));
    return reversed(weight.sizes().slice(2).vec());
}

// Checks the channel counts of `layer` (its name as Flux prints it) against `groups`.
void check_channels(const std::string& layer, int64_t in, int64_t out, int64_t groups) {
    if (in <= 0 || out <= 0) throw InvalidArgument(layer + ": channel counts must be positive");
    if (in % groups != 0 || out % groups != 0)
        throw InvalidArgument(layer + ": both channel counts must be divisible by groups=" + std::to_string(groups));
}

// A convolution's weight in LibTorch's shape [a, b ÷ groups, kernel reversed...] — Flux's
// (kernel..., b ÷ groups, a) — initialised as Flux does.
at::Tensor conv_weight(const std::vector<int64_t>& kernel, int64_t a, int64_t b, int64_t groups) {
    std::vector<int64_t> shape = {a, b / groups};
    const std::vector<int64_t> k = reversed(kernel);
    shape.insert(shape.end(), k.begin(), k.end());
    return glorot_uniform(shape, product(kernel) * (b / groups), product(kernel) * a);
}

}  // namespace

void ConvLayerImpl::set_arrays(const at::Tensor& julia_weight, const at::Tensor& julia_bias) {
    if (julia_weight.sizes() != weight.sizes())
        throw ShapeError(describe() + ": the weight must have torch shape " + c10::str(weight.sizes()) + ", got " +
                         c10::str(julia_weight.sizes()));
    if (julia_bias.defined() && (!bias.defined() || julia_bias.sizes() != bias.sizes()))
        throw ShapeError(describe() + ": the bias must have Julia size (" +
                         (bias.defined() ? std::to_string(bias.size(0)) : std::string("none")) + ",), got shape " +
                         c10::str(julia_bias.sizes()));
    ::torch::NoGradGuard no_grad;
    const at::Tensor w = julia_weight.detach();
    std::vector<int64_t> spatial;
    for (int64_t d = 2; d < w.dim(); ++d) spatial.push_back(d);
    // Flux keeps the arrays' element type; so does the layer.
    weight.set_data(transform_ == FluxTransform::Flip ? w.flip(spatial) : w.contiguous().clone());
    if (julia_bias.defined())
        bias.set_data(julia_bias.detach().contiguous().clone());
    else if (bias.defined())
        bias.set_data(bias.to(weight.scalar_type()));
}

ConvLayerImpl::ConvLayerImpl(std::string name, std::vector<int64_t> kernel, Activation activation_, const Padding& pad,
                             const Ints& stride, const Ints& dilation, int64_t groups, bool transpose)
    : LayerImpl(std::move(name)), activation(std::move(activation_)), kernel_(std::move(kernel)), groups_(groups) {
    const std::string layer = this->name() + julia_tuple(kernel_);
    const size_t n = kernel_.size();
    if (n < 1 || n > 3)
        throw InvalidArgument(layer + ": the kernel needs 1, 2 or 3 sizes (spatial dimensions), got " +
                              std::to_string(n));
    if (std::any_of(kernel_.begin(), kernel_.end(), [](int64_t k) { return k <= 0; }))
        throw InvalidArgument(layer + ": kernel sizes must be positive");
    stride_ = expand(stride, n, "stride", layer);
    dilation_ = expand(dilation, n, "dilation", layer);
    if (std::any_of(stride_.begin(), stride_.end(), [](int64_t s) { return s <= 0; }) ||
        std::any_of(dilation_.begin(), dilation_.end(), [](int64_t d) { return d <= 0; }))
        throw InvalidArgument(layer + ": stride and dilation must be positive");
    if (groups_ <= 0) throw InvalidArgument(layer + ": groups must be positive");

    if (pad.same) {
        // Flux's calc_padding for SamePad: total k_eff - 1, the larger half first (cld, fld).
        // ConvTranspose's uses the kernel k - stride + 1, which can make it negative.
        for (size_t i = 0; i < n; ++i) {
            const int64_t k = transpose ? kernel_[i] - stride_[i] + 1 : kernel_[i];
            const int64_t total = k + (k - 1) * (dilation_[i] - 1) - 1;
            pad_.push_back(cld(total, 2));
            pad_.push_back(fld(total, 2));
        }
    } else if (pad.scalar) {
        pad_.assign(2 * n, pad.values[0]);
    } else if (pad.values.size() == n || pad.values.size() == 2 * n) {
        pad_ = pad.values;
    } else {
        throw InvalidArgument(layer + ": pad " + julia_tuple(pad.values) + " needs " + std::to_string(n) +
                              " entries (symmetric) or " + std::to_string(2 * n) + " (low, high per dimension)");
    }
    if (!transpose && std::any_of(pad_.begin(), pad_.end(), [](int64_t p) { return p < 0; }))
        throw InvalidArgument(layer + ": pad must not be negative, got " + julia_tuple(pad_));

    // LibTorch pads both ends by the same amount; the rest is padded (or cropped) separately.
    torch_pad_.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
        const int64_t low = pad_.size() == n ? pad_[i] : pad_[2 * i];
        const int64_t high = pad_.size() == n ? pad_[i] : pad_[2 * i + 1];
        const int64_t both = std::max<int64_t>(0, std::min(low, high));
        torch_pad_[n - 1 - i] = both;
        extra_pad_.push_back(low - both);
        extra_pad_.push_back(high - both);
    }
    symmetric_ = std::all_of(extra_pad_.begin(), extra_pad_.end(), [](int64_t p) { return p == 0; });
    torch_stride_ = reversed(stride_);
    torch_dilation_ = reversed(dilation_);
    torch_zeros_.assign(n, 0);
}

std::vector<FluxTensor> ConvLayerImpl::flux_arrays() const {
    return {{"weight", weight, transform_}, {"bias", bias, FluxTransform::Same}};
}

at::Tensor ConvLayerImpl::checked_input(const at::Tensor& x, int64_t channels) const {
    const int64_t dims = static_cast<int64_t>(kernel_.size()) + 2;
    if (x.dim() != dims || x.size(1) != channels)
        throw ShapeError(describe() + " expects a " + std::to_string(dims) + "-dimensional input [batch, " +
                         std::to_string(channels) +
                         " channels, spatial dimensions reversed] (Julia size (spatial..., " +
                         std::to_string(channels) + ", batch)), got shape " + c10::str(x.sizes()));
    // Flux's _match_eltype: the input is converted to the weight's element type.
    return x.scalar_type() == weight.scalar_type() ? x : x.to(weight.scalar_type());
}

void ConvLayerImpl::print_body(std::ostream& stream, int64_t in, int64_t out) const {
    stream << julia_tuple(kernel_) << ", " << in << " => " << out;
    if (!activation.is_identity()) stream << ", " << activation.name;
    if (std::any_of(pad_.begin(), pad_.end(), [](int64_t p) { return p != 0; }))
        stream << ", pad=" << maybe_tuple(pad_);
    if (std::any_of(stride_.begin(), stride_.end(), [](int64_t s) { return s != 1; }))
        stream << ", stride=" << maybe_tuple(stride_);
    if (std::any_of(dilation_.begin(), dilation_.end(), [](int64_t d) { return d != 1; }))
        stream << ", dilation=" << maybe_tuple(dilation_);
    if (groups_ != 1) stream << ", groups=" << groups_;
    if (!bias.defined()) stream << ", bias=false";
}

std::string ConvLayerImpl::describe() const {
    std::ostringstream s;
    pretty_print(s);
    return s.str();
}

// Conv ----------------------------------------------------------------------------------------

ConvImpl::ConvImpl(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation, ConvOptions options)
    : ConvImpl("flux::Conv", std::move(kernel), in, out, std::move(activation), options, FluxTransform::Flip) {}

ConvImpl::ConvImpl(std::string name, std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation_,
                   ConvOptions options, FluxTransform transform)
    : ConvLayerImpl(std::move(name), std::move(kernel), std::move(activation_), options.pad, options.stride,
                    options.dilation, options.groups, false) {
    transform_ = transform;
    const std::string layer =
        this->name() + julia_tuple(kernel_) + ", " + std::to_string(in) + " => " + std::to_string(out);
    check_channels(layer, in, out, groups_);
    weight = register_parameter("weight", conv_weight(kernel_, out, in, groups_));
    if (options.bias) bias = register_parameter("bias", ::torch::zeros({out}));
}

at::Tensor ConvImpl::forward(const at::Tensor& x) {
    at::Tensor input = checked_input(x, in_channels());
    const int64_t n = static_cast<int64_t>(kernel_.size());
    for (int64_t i = 0; i < n; ++i) {
        const int64_t padded =
            input.size(n + 1 - i) + extra_pad_[2 * i] + extra_pad_[2 * i + 1] + 2 * torch_pad_[n - 1 - i];
        if (padded < (kernel_[i] - 1) * dilation_[i] + 1)
            throw ShapeError(describe() + ": spatial dimension " + std::to_string(i + 1) + " (Julia's order) of size " +
                             std::to_string(input.size(n + 1 - i)) + " is smaller than the dilated kernel " +
                             std::to_string((kernel_[i] - 1) * dilation_[i] + 1) + " after padding");
    }
    if (!symmetric_) input = at::constant_pad_nd(input, extra_pad_);
    return activation(
        at::convolution(input, weight, bias, torch_stride_, torch_pad_, torch_dilation_, false, torch_zeros_, groups_));
}

void ConvImpl::pretty_print(std::ostream& stream) const {
    stream << "Conv(";
    print_body(stream, in_channels(), out_channels());
    stream << ")";
}

Conv DepthwiseConv(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation,
                   DepthwiseConvOptions options) {
    if (in <= 0 || out <= 0 || out % in != 0)
        throw InvalidArgument("flux::DepthwiseConv" + julia_tuple(kernel) + ", " + std::to_string(in) + " => " +
                              std::to_string(out) + ": the output channels must be a positive multiple of the input's");
    return Conv(std::move(kernel), in, out, std::move(activation),
                {.stride = options.stride,
                 .pad = options.pad,
                 .dilation = options.dilation,
                 .groups = in,
                 .bias = options.bias});
}

std::shared_ptr<ConvImpl> ConvImpl::from_arrays(const at::Tensor& weight, const at::Tensor& bias, Activation activation,
                                                ConvOptions options) {
    const std::vector<int64_t> kernel = kernel_of(weight, "Conv");
    options.bias = options.bias || bias.defined();
    auto conv = std::make_shared<ConvImpl>(kernel, weight.size(1) * options.groups, weight.size(0),
                                           std::move(activation), options);
    conv->set_arrays(weight, bias);
    return conv;
}

Conv DepthwiseConv(const at::Tensor& weight, const at::Tensor& bias, Activation activation,
                   DepthwiseConvOptions options) {
    kernel_of(weight, "DepthwiseConv");
    // Julia's reshape(w, k..., 1, :) keeps the bytes; so does torch's reshape to [in · m, 1, k...].
    std::vector<int64_t> shape = weight.sizes().vec();
    const int64_t in = shape[1];
    shape[0] *= shape[1], shape[1] = 1;
    return Conv(weight.reshape(shape), bias, std::move(activation),
                {.stride = options.stride,
                 .pad = options.pad,
                 .dilation = options.dilation,
                 .groups = in,
                 .bias = options.bias});
}

// CrossCor ------------------------------------------------------------------------------------

CrossCorImpl::CrossCorImpl(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation,
                           CrossCorOptions options)
    : ConvImpl("flux::CrossCor", std::move(kernel), in, out, std::move(activation),
               {.stride = options.stride, .pad = options.pad, .dilation = options.dilation, .bias = options.bias},
               FluxTransform::Same) {}

std::shared_ptr<CrossCorImpl> CrossCorImpl::from_arrays(const at::Tensor& weight, const at::Tensor& bias,
                                                        Activation activation, CrossCorOptions options) {
    const std::vector<int64_t> kernel = kernel_of(weight, "CrossCor");
    options.bias = options.bias || bias.defined();
    auto cross = std::make_shared<CrossCorImpl>(kernel, weight.size(1), weight.size(0), std::move(activation), options);
    cross->set_arrays(weight, bias);
    return cross;
}

void CrossCorImpl::pretty_print(std::ostream& stream) const {
    stream << "CrossCor(";
    print_body(stream, in_channels(), out_channels());
    stream << ")";
}

// ConvTranspose -------------------------------------------------------------------------------

ConvTransposeImpl::ConvTransposeImpl(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation_,
                                     ConvTransposeOptions options)
    : ConvLayerImpl("flux::ConvTranspose", std::move(kernel), std::move(activation_), options.pad, options.stride,
                    options.dilation, options.groups, true) {
    const std::string layer =
        "flux::ConvTranspose" + julia_tuple(kernel_) + ", " + std::to_string(in) + " => " + std::to_string(out);
    check_channels(layer, in, out, groups_);
    const size_t n = kernel_.size();
    outpad_ = expand(options.outpad, n, "outpad", layer);
    if (std::any_of(outpad_.begin(), outpad_.end(), [](int64_t p) { return p < 0; }))
        throw InvalidArgument(layer + ": outpad must not be negative");

    // One LibTorch call when the padding is symmetric and not negative and LibTorch takes the
    // outpad (smaller than stride or dilation); otherwise the full result is cropped and padded
    // to Flux's size: each dimension loses its pads and gains outpad at the high end.
    one_call_ = symmetric_;
    for (size_t i = 0; i < n; ++i) {
        const int64_t low = pad_.size() == n ? pad_[i] : pad_[2 * i];
        one_call_ = one_call_ && low >= 0 && (outpad_[i] < stride_[i] || outpad_[i] < dilation_[i]);
    }
    if (one_call_) {
        torch_outpad_ = reversed(outpad_);
    } else {
        torch_outpad_ = torch_zeros_;
        for (size_t i = 0; i < n; ++i) {
            extra_pad_[2 * i] = -extra_pad_[2 * i];
            extra_pad_[2 * i + 1] = outpad_[i] - extra_pad_[2 * i + 1];
        }
    }

    // Flux's weight (k..., out ÷ groups, in) is LibTorch's [in, out ÷ groups, k reversed...].
    weight = register_parameter("weight", conv_weight(kernel_, in, out, groups_));
    if (options.bias) bias = register_parameter("bias", ::torch::zeros({out}));
}

at::Tensor ConvTransposeImpl::forward(const at::Tensor& x) {
    const at::Tensor input = checked_input(x, in_channels());
    const int64_t n = static_cast<int64_t>(kernel_.size());
    for (int64_t i = 0; i < n; ++i) {
        const int64_t low = pad_.size() == kernel_.size() ? pad_[i] : pad_[2 * i];
        const int64_t high = pad_.size() == kernel_.size() ? pad_[i] : pad_[2 * i + 1];
        const int64_t size =
            (input.size(n + 1 - i) - 1) * stride_[i] + (kernel_[i] - 1) * dilation_[i] + 1 - low - high + outpad_[i];
        if (size < 1)
            throw ShapeError(describe() + ": spatial dimension " + std::to_string(i + 1) + " (Julia's order) of size " +
                             std::to_string(input.size(n + 1 - i)) + " gives an output of size " +
                             std::to_string(size));
    }
    if (one_call_)
        return activation(at::convolution(input, weight, bias, torch_stride_, torch_pad_, torch_dilation_, true,
                                          torch_outpad_, groups_));
    at::Tensor y =
        at::convolution(input, weight, {}, torch_stride_, torch_pad_, torch_dilation_, true, torch_zeros_, groups_);
    y = at::constant_pad_nd(y, extra_pad_);
    if (bias.defined()) {
        std::vector<int64_t> shape(n + 2, 1);
        shape[1] = bias.size(0);
        y = y + bias.view(shape);
    }
    return activation(y);
}

std::shared_ptr<ConvTransposeImpl> ConvTransposeImpl::from_arrays(const at::Tensor& weight, const at::Tensor& bias,
                                                                  Activation activation, ConvTransposeOptions options) {
    const std::vector<int64_t> kernel = kernel_of(weight, "ConvTranspose");
    options.bias = options.bias || bias.defined();
    auto t = std::make_shared<ConvTransposeImpl>(kernel, weight.size(0), weight.size(1) * options.groups,
                                                 std::move(activation), options);
    t->set_arrays(weight, bias);
    return t;
}

void ConvTransposeImpl::pretty_print(std::ostream& stream) const {
    stream << "ConvTranspose(";
    print_body(stream, in_channels(), out_channels());
    if (std::any_of(outpad_.begin(), outpad_.end(), [](int64_t p) { return p != 0; }))
        stream << ", outpad=" << julia_tuple(outpad_);
    stream << ")";
}

}  // namespace legolasflux::flux
