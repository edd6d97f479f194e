// Flux's stateless layers as legolasflux::flux modules: pooling (Flux's src/layers/conv.jl),
// Upsample and PixelShuffle (src/layers/upsample.jl), and softmax, logsoftmax and flatten as
// Functions. Windows, strides, pads and sizes are given in Julia's order (W, H, D) and reversed
// here for LibTorch (conventions: flux_layer.hpp). None has arrays.
//
//   Julia:  MaxPool((2, 2); pad=1, stride=1)     C++:  flux::MaxPool({2, 2}, {.pad = 1, .stride = 1})
//           MeanPool((3,); pad=SamePad())              flux::MeanPool({3}, {.pad = flux::SamePad()})
//           Upsample(:bilinear, scale = 2)             flux::Upsample(flux::UpsampleMode::bilinear, {.scale = 2})
//           Upsample(2)                                flux::Upsample(2)
//           PixelShuffle(2)                            flux::PixelShuffle(2)
#pragma once

#include <initializer_list>
#include <vector>

#include "legolasflux/torch/flux_layer.hpp"

namespace legolasflux::flux {

// softmax(x; dims=1) and logsoftmax(x; dims=1): Julia's first dimension, LibTorch's last.
extern const Function softmax;
extern const Function logsoftmax;
// Flux/MLUtils flatten: every Julia dimension but the last merged, (…, N) → (prod, N); torch [N, prod].
extern const Function flatten;

// A Julia number or tuple of numbers for Upsample's keyword arguments: `.scale = 2` is Flux's
// scale=2 (the same for every dimension), `.scale = {2, 1}` is scale=(2, 1). (Integer options of
// other layers: Ints and Padding, flux_options.hpp.)
template <class T>
struct JuliaTuple {
    std::vector<T> values;
    bool scalar = false;  // given as one number, printed as one
    JuliaTuple() = default;
    JuliaTuple(T value) : values{value}, scalar(true) {}
    JuliaTuple(std::initializer_list<T> list) : values(list) {}
    bool empty() const { return values.empty(); }
};

struct PoolOptions {
    Padding pad = 0;
    Ints stride = {};  // empty: the window (Flux's default stride = window)
};

// MaxPool and MeanPool share everything but the reduction. MeanPool divides by the whole window,
// padding included (NNlib's meanpool: alpha / prod(k)); MaxPool takes the largest element,
// ignoring padding.
class PoolImpl : public LayerImpl {
public:
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;

    const std::vector<int64_t>& window() const { return k_; }
    const std::vector<int64_t>& pad() const { return pad_; }  // Flux's field: 2N values (or N if given so)
    const std::vector<int64_t>& stride() const { return stride_; }

protected:
    PoolImpl(std::string kind, bool max, std::vector<int64_t> window, PoolOptions options);

private:
    std::string kind_;
    bool max_;
    std::vector<int64_t> k_, pad_, stride_;  // Julia's order
    // LibTorch's arguments, computed once: reversed window and stride, symmetric padding, or the
    // explicit padding (constant_pad_nd's order, which is Julia's lo/hi order) when LibTorch's
    // pooling cannot take it.
    std::vector<int64_t> torch_k_, torch_stride_, torch_pad_, explicit_pad_;
};

class MaxPoolImpl : public PoolImpl {
public:
    explicit MaxPoolImpl(std::vector<int64_t> window, PoolOptions options = {})
        : PoolImpl("MaxPool", true, std::move(window), std::move(options)) {}
};
class MaxPool : public ::torch::nn::ModuleHolder<MaxPoolImpl> {
public:
    using ModuleHolder::ModuleHolder;
    // A braced window (MaxPool({2, 2})) takes the initializer_list: ModuleHolder's other
    // constructors would make it ambiguous.
    MaxPool(std::initializer_list<int64_t> window, PoolOptions options = {})
        : ModuleHolder(std::make_shared<MaxPoolImpl>(std::vector<int64_t>(window), std::move(options))) {}
    MaxPool(std::vector<int64_t> window, PoolOptions options = {})
        : ModuleHolder(std::make_shared<MaxPoolImpl>(std::move(window), std::move(options))) {}
};

class MeanPoolImpl : public PoolImpl {
public:
    explicit MeanPoolImpl(std::vector<int64_t> window, PoolOptions options = {})
        : PoolImpl("MeanPool", false, std::move(window), std::move(options)) {}
};
class MeanPool : public ::torch::nn::ModuleHolder<MeanPoolImpl> {
public:
    using ModuleHolder::ModuleHolder;
    // A braced window (MeanPool({2, 2})) takes the initializer_list: ModuleHolder's other
    // constructors would make it ambiguous.
    MeanPool(std::initializer_list<int64_t> window, PoolOptions options = {})
        : ModuleHolder(std::make_shared<MeanPoolImpl>(std::vector<int64_t>(window), std::move(options))) {}
    MeanPool(std::vector<int64_t> window, PoolOptions options = {})
        : ModuleHolder(std::make_shared<MeanPoolImpl>(std::move(window), std::move(options))) {}
};

// AdaptiveMaxPool(out) / AdaptiveMeanPool(out): Flux's rule, not LibTorch's adaptive pooling:
// stride = in ÷ out, window = in - (out - 1) stride, no padding.
class AdaptivePoolImpl : public LayerImpl {
public:
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;
    const std::vector<int64_t>& out() const { return out_; }

protected:
    AdaptivePoolImpl(std::string kind, bool max, std::vector<int64_t> out);

private:
    std::string kind_;
    bool max_;
    std::vector<int64_t> out_;  // Julia's order
};
class AdaptiveMaxPoolImpl : public AdaptivePoolImpl {
public:
    explicit AdaptiveMaxPoolImpl(std::vector<int64_t> out)
        : AdaptivePoolImpl("AdaptiveMaxPool", true, std::move(out)) {}
};
class AdaptiveMaxPool : public ::torch::nn::ModuleHolder<AdaptiveMaxPoolImpl> {
public:
    using ModuleHolder::ModuleHolder;
    AdaptiveMaxPool(std::initializer_list<int64_t> out)
        : ModuleHolder(std::make_shared<AdaptiveMaxPoolImpl>(std::vector<int64_t>(out))) {}
    AdaptiveMaxPool(std::vector<int64_t> out) : ModuleHolder(std::make_shared<AdaptiveMaxPoolImpl>(std::move(out))) {}
};
class AdaptiveMeanPoolImpl : public AdaptivePoolImpl {
public:
    explicit AdaptiveMeanPoolImpl(std::vector<int64_t> out)
        : AdaptivePoolImpl("AdaptiveMeanPool", false, std::move(out)) {}
};
class AdaptiveMeanPool : public ::torch::nn::ModuleHolder<AdaptiveMeanPoolImpl> {
public:
    using ModuleHolder::ModuleHolder;
    AdaptiveMeanPool(std::initializer_list<int64_t> out)
        : ModuleHolder(std::make_shared<AdaptiveMeanPoolImpl>(std::vector<int64_t>(out))) {}
    AdaptiveMeanPool(std::vector<int64_t> out) : ModuleHolder(std::make_shared<AdaptiveMeanPoolImpl>(std::move(out))) {}
};

// GlobalMaxPool() / GlobalMeanPool(): one window over every spatial dimension, (W, H, C, N) → (1, 1, C, N).
class GlobalMaxPoolImpl : public LayerImpl {
public:
    GlobalMaxPoolImpl() : LayerImpl("flux::GlobalMaxPool") {}
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override { stream << "GlobalMaxPool()"; }
};
LEGOLASFLUX_FLUX_MODULE(GlobalMaxPool);
class GlobalMeanPoolImpl : public LayerImpl {
public:
    GlobalMeanPoolImpl() : LayerImpl("flux::GlobalMeanPool") {}
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override { stream << "GlobalMeanPool()"; }
};
LEGOLASFLUX_FLUX_MODULE(GlobalMeanPool);

// Upsample's modes. NNlib's bilinear and trilinear are the same linear interpolation (over every
// spatial dimension of the input) with align_corners = true, and an output size of
// floor(scale × size); nearest repeats each element `scale` times (integer scales only).
enum class UpsampleMode { nearest, bilinear, trilinear };

struct UpsampleOptions {
    JuliaTuple<double> scale = {};  // exactly one of scale and size
    JuliaTuple<int64_t> size = {};  // the output's spatial size, Julia's order
};

class UpsampleImpl : public LayerImpl {
public:
    explicit UpsampleImpl(UpsampleMode mode = UpsampleMode::nearest, UpsampleOptions options = {});
    UpsampleImpl(double scale, UpsampleMode mode = UpsampleMode::nearest);
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override;

    UpsampleMode mode() const { return mode_; }

private:
    // The output's spatial size in Julia's order for an input of Julia spatial size `in`.
    std::vector<int64_t> output_size(const std::vector<int64_t>& in) const;
    UpsampleMode mode_;
    JuliaTuple<double> scale_;
    JuliaTuple<int64_t> size_;
};
class Upsample : public ::torch::nn::ModuleHolder<UpsampleImpl> {
public:
    using ModuleHolder::ModuleHolder;
    Upsample(UpsampleMode mode = UpsampleMode::nearest, UpsampleOptions options = {})
        : ModuleHolder(std::make_shared<UpsampleImpl>(mode, std::move(options))) {}
    Upsample(double scale, UpsampleMode mode = UpsampleMode::nearest)
        : ModuleHolder(std::make_shared<UpsampleImpl>(scale, mode)) {}
};

// PixelShuffle(r): NNlib's pixel_shuffle, (W, H, r²C, N) → (rW, rH, C, N), likewise in 1D and 3D:
// y[r(w-1)+i, r(h-1)+j, c, n] = x[w, h, i + r(j-1) + r²(c-1), n] (1-based). For images this is
// LibTorch's pixel_shuffle on the reversed dimensions.
class PixelShuffleImpl : public LayerImpl {
public:
    explicit PixelShuffleImpl(int64_t r);
    at::Tensor forward(const at::Tensor& x) override;
    void pretty_print(std::ostream& stream) const override { stream << "PixelShuffle(" << r_ << ")"; }
    int64_t r() const { return r_; }

private:
    int64_t r_;
};
LEGOLASFLUX_FLUX_MODULE(PixelShuffle);

}  // namespace legolasflux::flux
