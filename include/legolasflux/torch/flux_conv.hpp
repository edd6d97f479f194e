// Flux's convolutions (Flux's src/layers/conv.jl) as legolasflux::flux modules: Conv, CrossCor,
// ConvTranspose and DepthwiseConv, in 1, 2 or 3 spatial dimensions (the kernel tuple's length).
// Conventions: flux_layer.hpp. Julia (W, H, C, N) is torch [N, C, H, W]; every tuple below
// (kernel, stride, pad, dilation, outpad) is in Julia's order, first spatial dimension (W) first,
// exactly as written in Julia:
//
//   Julia:  Conv((3, 3), 1 => 32, relu; pad = 1)   Conv((2, 2), 3 => 7; stride = 2, pad = SamePad())
//   C++:    flux::Conv({3, 3}, 1, 32, relu, {.pad = 1})
//           flux::Conv({2, 2}, 3, 7, {}, {.stride = 2, .pad = flux::SamePad{}})
//
// The kernels are held in LibTorch's layout (flipped for Conv and ConvTranspose, whose Flux
// kernels are those of a true convolution), so that a forward pass is one LibTorch convolution.
// Flux's arrays are the same in Flux 0.13 to 0.16: weight, then bias.
#pragma once

#include <initializer_list>
#include <vector>

#include "legolasflux/torch/flux_layer.hpp"

namespace legolasflux::flux {

// Options in the order of Flux's keywords (a C++ designated initializer follows it).
struct ConvOptions {
    Ints stride = 1;
    Padding pad = 0;
    Ints dilation = 1;
    int64_t groups = 1;
    bool bias = true;  // Flux's bias=false
};

// The keyword arguments Flux's DepthwiseConv takes (groups is the input channel count).
struct DepthwiseConvOptions {
    Ints stride = 1;
    Padding pad = 0;
    Ints dilation = 1;
    bool bias = true;
};

struct ConvTransposeOptions {
    Ints stride = 1;
    Padding pad = 0;
    // Extra output at the high end of each dimension (Flux 0.14.17 and later; zero before).
    Ints outpad = 0;
    Ints dilation = 1;
    int64_t groups = 1;
    bool bias = true;
};

// What the three convolution modules share: the geometry Flux stores (in Julia's order) and the
// same numbers in LibTorch's order, worked out once at construction.
class ConvLayerImpl : public LayerImpl {
public:
    std::vector<FluxTensor> flux_arrays() const override;

    at::Tensor weight;  // LibTorch's layout (see each module)
    at::Tensor bias;    // [channels out], undefined with bias=false
    Activation activation;

    // As Flux stores them, in Julia's order.
    const std::vector<int64_t>& kernel() const { return kernel_; }
    const std::vector<int64_t>& stride() const { return stride_; }
    const std::vector<int64_t>& pad() const { return pad_; }  // N or 2N entries, as Flux keeps it
    const std::vector<int64_t>& dilation() const { return dilation_; }
    int64_t groups() const { return groups_; }

    // Takes Julia's arrays (as tensors: torch shape = Julia size reversed) as this layer's, in
    // their element type; an undefined bias leaves the bias as it is.
    void set_arrays(const at::Tensor& weight, const at::Tensor& bias);

protected:
    ConvLayerImpl(std::string name, std::vector<int64_t> kernel, Activation activation, const Padding& pad,
                  const Ints& stride, const Ints& dilation, int64_t groups, bool transpose);
    // The input as LibTorch takes it: N + 2 dimensions, `channels` channels, the weight's type.
    at::Tensor checked_input(const at::Tensor& x, int64_t channels) const;
    // Flux's "(3, 3), 1 => 32, relu, pad=1, …" (everything but the name and closing parenthesis).
    void print_body(std::ostream& stream, int64_t in, int64_t out) const;
    std::string describe() const;
    FluxTransform transform_ = FluxTransform::Flip;

    std::vector<int64_t> kernel_, stride_, pad_, dilation_;
    int64_t groups_ = 1;
    // LibTorch's order (last Julia dimension first).
    std::vector<int64_t> torch_stride_, torch_dilation_;
    std::vector<int64_t> torch_pad_;    // the symmetric part, min(low, high) per dimension (≥ 0)
    std::vector<int64_t> extra_pad_;    // the rest, for at::constant_pad_nd (its order is Flux's 2N order)
    bool symmetric_ = true;             // extra_pad_ all zero
    std::vector<int64_t> torch_zeros_;  // no output padding
};

// Conv(filter, in => out, σ; stride, pad, dilation, groups, bias): a true convolution (NNlib's
// conv, kernel flipped), y = σ.(conv(x, W) .+ b). Arrays: weight (k..., in ÷ groups, out), bias
// (out,). Held as LibTorch's [out, in ÷ groups, k reversed...], flipped.
class ConvImpl : public ConvLayerImpl {
public:
    ConvImpl(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation = {},
             ConvOptions options = {});
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;
    int64_t in_channels() const { return weight.size(1) * groups_; }
    int64_t out_channels() const { return weight.size(0); }
    // Flux's Conv(weight, bias, σ; …) (see Conv below).
    static std::shared_ptr<ConvImpl> from_arrays(const at::Tensor& weight, const at::Tensor& bias,
                                                 Activation activation, ConvOptions options);

protected:
    ConvImpl(std::string name, std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation,
             ConvOptions options, FluxTransform transform);
};
class Conv : public ::torch::nn::ModuleHolder<ConvImpl> {
public:
    using ModuleHolder::ModuleHolder;
    Conv(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation = {}, ConvOptions options = {})
        : ModuleHolder(std::make_shared<ConvImpl>(std::move(kernel), in, out, std::move(activation), options)) {}
    // Flux's Conv(weight, bias, σ; stride, pad, dilation, groups): `weight` is Julia's array
    // (k..., in ÷ groups, out) as a tensor (torch shape [out, in ÷ groups, k reversed...]), `bias`
    // Julia's (out,) array, or undefined for zeros (none with {.bias = false}). (Tensors by value, so
    // that this wins over ModuleHolder's forwarding constructor for lvalues.)
    Conv(at::Tensor weight, at::Tensor bias = {}, Activation activation = {}, ConvOptions options = {})
        : ModuleHolder(ConvImpl::from_arrays(weight, bias, std::move(activation), options)) {}
};

// DepthwiseConv(filter, in => out, σ; stride, pad, dilation, bias): since Flux 0.13 a Conv with
// groups = in (and printed as one); weight (k..., 1, out). `out` must be a multiple of `in`.
Conv DepthwiseConv(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation = {},
                   DepthwiseConvOptions options = {});
// Flux's DepthwiseConv(weight, bias, σ; …): weight (k..., in, multiplier), reshaped to the Conv
// weight (k..., 1, in · multiplier) with groups = in.
Conv DepthwiseConv(const at::Tensor& weight, const at::Tensor& bias = {}, Activation activation = {},
                   DepthwiseConvOptions options = {});

// CrossCor(filter, in => out, σ; stride, pad, dilation, bias): Conv without the kernel flip (no
// groups in Flux). Arrays: weight (k..., in, out), bias (out,); the weight's bytes are LibTorch's.
struct CrossCorOptions {
    Ints stride = 1;
    Padding pad = 0;
    Ints dilation = 1;
    bool bias = true;
};
class CrossCorImpl : public ConvImpl {
public:
    CrossCorImpl(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation = {},
                 CrossCorOptions options = {});
    void pretty_print(std::ostream& stream) const override;
    static std::shared_ptr<CrossCorImpl> from_arrays(const at::Tensor& weight, const at::Tensor& bias,
                                                     Activation activation, CrossCorOptions options);
};
class CrossCor : public ::torch::nn::ModuleHolder<CrossCorImpl> {
public:
    using ModuleHolder::ModuleHolder;
    CrossCor(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation = {},
             CrossCorOptions options = {})
        : ModuleHolder(std::make_shared<CrossCorImpl>(std::move(kernel), in, out, std::move(activation), options)) {}
    // Flux's CrossCor(weight, bias, σ; …): weight (k..., in, out), bias (out,) (as for Conv).
    CrossCor(at::Tensor weight, at::Tensor bias = {}, Activation activation = {}, CrossCorOptions options = {})
        : ModuleHolder(CrossCorImpl::from_arrays(weight, bias, std::move(activation), options)) {}
};

// ConvTranspose(filter, in => out, σ; stride, pad, outpad, dilation, groups, bias): NNlib's
// ∇conv_data of the true convolution from `out` to `in` channels with this weight, plus bias.
// Arrays: weight (k..., out ÷ groups, in), bias (out,). Held as LibTorch's [in, out ÷ groups,
// k reversed...], flipped. Output size per dimension: (x - 1) stride + (k - 1) dilation + 1
// - pad low - pad high + outpad. A pad tuple of N works as in Flux 0.14.17 and later (before, Flux
// summed its entries pairwise as if it had 2N and failed).
class ConvTransposeImpl : public ConvLayerImpl {
public:
    ConvTransposeImpl(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation = {},
                      ConvTransposeOptions options = {});
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;
    int64_t in_channels() const { return weight.size(0); }
    int64_t out_channels() const { return weight.size(1) * groups_; }
    const std::vector<int64_t>& outpad() const { return outpad_; }
    static std::shared_ptr<ConvTransposeImpl> from_arrays(const at::Tensor& weight, const at::Tensor& bias,
                                                          Activation activation, ConvTransposeOptions options);

private:
    std::vector<int64_t> outpad_, torch_outpad_;
    bool one_call_ = true;  // LibTorch's conv_transpose gives Flux's output directly
};
class ConvTranspose : public ::torch::nn::ModuleHolder<ConvTransposeImpl> {
public:
    using ModuleHolder::ModuleHolder;
    ConvTranspose(std::vector<int64_t> kernel, int64_t in, int64_t out, Activation activation = {},
                  ConvTransposeOptions options = {})
        : ModuleHolder(
              std::make_shared<ConvTransposeImpl>(std::move(kernel), in, out, std::move(activation), options)) {}
    // Flux's ConvTranspose(weight, bias, σ; …): weight (k..., out ÷ groups, in) as a tensor (torch
    // shape [in, out ÷ groups, k reversed...]), bias (out,) or undefined (as for Conv).
    ConvTranspose(at::Tensor weight, at::Tensor bias = {}, Activation activation = {},
                  ConvTransposeOptions options = {})
        : ModuleHolder(ConvTransposeImpl::from_arrays(weight, bias, std::move(activation), options)) {}
};

}  // namespace legolasflux::flux
