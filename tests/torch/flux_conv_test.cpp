// Flux's convolutions: Julia's arrays, forward passes against NNlib's definitions written as plain
// loops over Julia's column-major arrays, and NNlib's own test vectors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux.hpp"
#include "legolasflux/torch/flux_conv.hpp"
#include "support/conv_reference.hpp"

namespace flux = legolasflux::flux;
using legolasflux::Weights;
using lftest::conv_reference;
using lftest::conv_transpose_reference;
using lftest::Geometry;
using lftest::JArray;
using lftest::random_array;

namespace {

at::Tensor to_tensor(const JArray& a) {
    const std::vector<int64_t> shape(a.size.rbegin(), a.size.rend());
    return ::torch::tensor(a.v).reshape(shape);
}

JArray to_julia(const at::Tensor& t) {
    const at::Tensor c = t.contiguous();
    const std::vector<int64_t> shape = c.sizes().vec();
    return {{c.data_ptr<float>(), c.data_ptr<float>() + c.numel()}, {shape.rbegin(), shape.rend()}};
}

legolasflux::FlatArray flat(const JArray& a) { return legolasflux::FlatArray::from_values<float>(a.size, a.v); }

// Loads Julia's weight (and bias, unless empty) into the layer.
void load(::torch::nn::Module& layer, const JArray& w, const std::vector<float>& bias) {
    std::vector<legolasflux::FlatArray> arrays{flat(w)};
    if (!bias.empty()) arrays.push_back(flat({bias, {int64_t(bias.size())}}));
    flux::load_weights(layer, Weights(std::move(arrays)));
}

std::vector<std::vector<int64_t>> julia_sizes(const ::torch::nn::Module& layer, std::vector<std::string>* names) {
    std::vector<std::vector<int64_t>> sizes;
    const Weights weights = flux::fetch_weights(layer, names);
    for (size_t i = 0; i < weights.size(); ++i) sizes.push_back(weights[i].size);
    return sizes;
}

template <class Holder>
std::string printed(const Holder& layer) {
    std::ostringstream s;
    layer->pretty_print(s);
    return s.str();
}

void expect_near(const JArray& actual, const JArray& expected, double tolerance = 1e-5) {
    ASSERT_EQ(actual.size, expected.size);
    for (size_t i = 0; i < expected.v.size(); ++i)
        ASSERT_NEAR(actual.v[i], expected.v[i], tolerance * (1 + std::abs(expected.v[i]))) << "at " << i;
}

const flux::Function relu{"relu", [](const at::Tensor& x) { return x.relu(); }};

}  // namespace

// (1) Flux's arrays, in fcollect order (weight, bias: the array fields of each struct) and Julia sizes.

TEST(FluxConvArrays, ConvWeightIsKernelInPerGroupOut) {
    std::vector<std::string> names;
    EXPECT_EQ(julia_sizes(*flux::Conv({3, 3}, 4, 6, {}, {.groups = 2}), &names),
              (std::vector<std::vector<int64_t>>{{3, 3, 2, 6}, {6}}));
    EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias"}));
    EXPECT_EQ(julia_sizes(*flux::Conv({5}, 2, 3), nullptr), (std::vector<std::vector<int64_t>>{{5, 2, 3}, {3}}));
    EXPECT_EQ(julia_sizes(*flux::Conv({1, 2, 3}, 2, 4, relu, {.bias = false}), nullptr),
              (std::vector<std::vector<int64_t>>{{1, 2, 3, 2, 4}}));
    // Torch holds LibTorch's layout: [out, in ÷ groups, kernel reversed].
    EXPECT_EQ(flux::Conv({2, 3}, 4, 6, {}, {.groups = 2})->weight.sizes().vec(), (std::vector<int64_t>{6, 2, 3, 2}));
}

TEST(FluxConvArrays, DepthwiseConvIsAConvWithGroupsIn) {
    flux::Conv d = flux::DepthwiseConv({3, 3}, 8, 16);
    EXPECT_EQ(julia_sizes(*d, nullptr), (std::vector<std::vector<int64_t>>{{3, 3, 1, 16}, {16}}));
    EXPECT_EQ(d->groups(), 8);
    EXPECT_EQ(printed(d), "Conv((3, 3), 8 => 16, groups=8)");
    EXPECT_THROW(flux::DepthwiseConv({3, 3}, 8, 12), legolasflux::InvalidArgument);
}

TEST(FluxConvArrays, CrossCorAndConvTranspose) {
    EXPECT_EQ(julia_sizes(*flux::CrossCor({2, 3}, 3, 5), nullptr),
              (std::vector<std::vector<int64_t>>{{2, 3, 3, 5}, {5}}));
    // ConvTranspose's weight is (k..., out ÷ groups, in); its bias (out,).
    EXPECT_EQ(julia_sizes(*flux::ConvTranspose({3, 3}, 2, 4, {}, {.groups = 2}), nullptr),
              (std::vector<std::vector<int64_t>>{{3, 3, 2, 2}, {4}}));
    EXPECT_EQ(julia_sizes(*flux::ConvTranspose({3}, 6, 4, {}, {.groups = 2}), nullptr),
              (std::vector<std::vector<int64_t>>{{3, 2, 6}, {4}}));
    EXPECT_EQ(julia_sizes(*flux::ConvTranspose({3, 2, 2}, 3, 5, {}, {.bias = false}), nullptr),
              (std::vector<std::vector<int64_t>>{{3, 2, 2, 5, 3}}));
}

TEST(FluxConvArrays, InChainsTheyComeInOrder) {
    flux::Chain c(flux::Conv({3, 3}, 1, 4, relu, {.pad = 1}), flux::CrossCor({1, 1}, 4, 2),
                  flux::ConvTranspose({2, 2}, 2, 1, {}, {.stride = 2}));
    std::vector<std::string> names;
    EXPECT_EQ(julia_sizes(*c, &names),
              (std::vector<std::vector<int64_t>>{{3, 3, 1, 4}, {4}, {1, 1, 4, 2}, {2}, {2, 2, 1, 2}, {1}}));
    EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"}));
    EXPECT_EQ(c->forward(::torch::randn({2, 1, 5, 6})).sizes().vec(), (std::vector<int64_t>{2, 1, 10, 12}));
}

TEST(FluxConvArrays, WrongArgumentsAndInputs) {
    EXPECT_THROW(flux::Conv({3, 3}, 3, 4, {}, {.groups = 2}), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::Conv({3, 3}, 2, 4, {}, {.stride = {1, 2, 3}}), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::Conv({3, 3}, 2, 4, {}, {.pad = {1, 2, 3}}), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::Conv({3, 3}, 2, 4, {}, {.pad = -1}), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::Conv({3, 3, 3, 3}, 2, 4), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::Conv({}, 2, 4), legolasflux::InvalidArgument);
    flux::Conv c({3, 3}, 2, 4);
    EXPECT_THROW(c->forward(::torch::zeros({1, 3, 5, 5})), legolasflux::ShapeError);  // 3 channels, not 2
    EXPECT_THROW(c->forward(::torch::zeros({2, 5, 5})), legolasflux::ShapeError);     // no batch dimension
    EXPECT_THROW(c->forward(::torch::zeros({1, 2, 2, 5})), legolasflux::ShapeError);  // H smaller than the kernel
    flux::ConvTranspose t({3}, 2, 4);
    EXPECT_THROW(t->forward(::torch::zeros({1, 4, 5})), legolasflux::ShapeError);
}

// (2) Round trip: fetch → load into a fresh module → the same outputs.

TEST(FluxConvRoundTrip, FetchLoadGivesTheSameOutputs) {
    const at::Tensor x = ::torch::randn({2, 4, 7, 6});
    const auto check = [&](auto a, auto b) {
        flux::load_weights(*b, flux::fetch_weights(*a));
        EXPECT_TRUE(a->forward(x).equal(b->forward(x))) << printed(a);
        const Weights wa = flux::fetch_weights(*a), wb = flux::fetch_weights(*b);
        for (size_t i = 0; i < wa.size(); ++i)
            EXPECT_TRUE(
                std::equal(wa[i].data<float>().begin(), wa[i].data<float>().end(), wb[i].data<float>().begin()));
    };
    check(flux::Conv({3, 2}, 4, 6, relu, {.stride = 2, .pad = {1, 0, 2, 1}, .groups = 2}),
          flux::Conv({3, 2}, 4, 6, relu, {.stride = 2, .pad = {1, 0, 2, 1}, .groups = 2}));
    check(flux::CrossCor({2, 3}, 4, 3, {}, {.dilation = 2}), flux::CrossCor({2, 3}, 4, 3, {}, {.dilation = 2}));
    check(flux::ConvTranspose({3, 3}, 4, 2, {}, {.stride = 2, .pad = flux::SamePad{}, .groups = 2}),
          flux::ConvTranspose({3, 3}, 4, 2, {}, {.stride = 2, .pad = flux::SamePad{}, .groups = 2}));
    check(flux::DepthwiseConv({3, 3}, 4, 8, {}, {.pad = 1}), flux::DepthwiseConv({3, 3}, 4, 8, {}, {.pad = 1}));
}

// (3) Forward passes against NNlib's definitions in plain loops.

namespace {

struct ConvCase {
    std::vector<int64_t> kernel;
    int64_t in, out;
    flux::ConvOptions options;
    std::vector<int64_t> x_size;  // Julia's (spatial..., in, batch)
    Geometry geometry;            // what Flux makes of the options
};

void check_conv(const ConvCase& c) {
    SCOPED_TRACE(::testing::Message() << "case " << printed(flux::Conv(c.kernel, c.in, c.out, {}, c.options)));
    flux::Conv conv(c.kernel, c.in, c.out, {}, c.options);
    std::vector<int64_t> w_size = c.kernel;
    w_size.push_back(c.in / c.options.groups), w_size.push_back(c.out);
    const JArray w = random_array(w_size), x = random_array(c.x_size);
    const std::vector<float> bias = c.options.bias ? random_array({c.out}).v : std::vector<float>{};
    load(*conv, w, bias);
    Geometry g = c.geometry;
    g.groups = c.options.groups;
    const JArray y = to_julia(conv->forward(to_tensor(x)));
    expect_near(y, conv_reference(x, w, bias, g, true));
    if (c.options.groups == 1) {
        // The same arrays in a CrossCor: no flip, and (for kernels that are not symmetric) other numbers.
        flux::CrossCor cross(
            c.kernel, c.in, c.out, {},
            {.stride = c.options.stride, .pad = c.options.pad, .dilation = c.options.dilation, .bias = c.options.bias});
        load(*cross, w, bias);
        const JArray z = to_julia(cross->forward(to_tensor(x)));
        expect_near(z, conv_reference(x, w, bias, g, false));
        double difference = 0;
        for (size_t i = 0; i < y.v.size(); ++i) difference += std::abs(y.v[i] - z.v[i]);
        EXPECT_GT(difference, 1e-3);
    }
}

}  // namespace

TEST(FluxConvForward, PlainStrideDilationGroupsPadding) {
    ::torch::manual_seed(1);
    // Geometry: stride, lo, hi, dilation, in Julia's order.
    check_conv({{3, 3}, 2, 3, {}, {7, 6, 2, 2}, {{1, 1}, {0, 0}, {0, 0}, {1, 1}, {}}});
    check_conv({{3, 2}, 2, 3, {.stride = 2}, {7, 6, 2, 2}, {{2, 2}, {0, 0}, {0, 0}, {1, 1}, {}}});
    check_conv({{3, 2}, 2, 3, {.stride = {1, 2}}, {7, 6, 2, 1}, {{1, 2}, {0, 0}, {0, 0}, {1, 1}, {}}});
    check_conv({{2, 3}, 1, 2, {.dilation = {2, 1}}, {7, 6, 1, 2}, {{1, 1}, {0, 0}, {0, 0}, {2, 1}, {}}});
    check_conv({{3, 3}, 4, 6, {.pad = 1, .groups = 2}, {5, 6, 4, 2}, {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {}}});
    // A tuple of N: the same padding at both ends of each dimension (W by 1, H by 2).
    check_conv({{3, 3}, 2, 2, {.pad = {1, 2}}, {5, 6, 2, 1}, {{1, 1}, {1, 2}, {1, 2}, {1, 1}, {}}});
    // A tuple of 2N: (W low, W high, H low, H high).
    check_conv({{3, 2}, 2, 2, {.pad = {2, 0, 0, 1}}, {5, 6, 2, 2}, {{1, 1}, {2, 0}, {0, 1}, {1, 1}, {}}});
    check_conv({{3, 2},
                2,
                2,
                {.stride = 2, .pad = {0, 3, 1, 0}, .dilation = {1, 2}, .bias = false},
                {8, 7, 2, 1},
                {{2, 2}, {0, 1}, {3, 0}, {1, 2}, {}}});
    // SamePad: k_eff - 1 split as (cld, fld): k=2 → (1, 0), k=4 with dilation 2 → (3, 3).
    check_conv({{2, 4},
                2,
                2,
                {.pad = flux::SamePad{}, .dilation = {1, 2}},
                {5, 9, 2, 1},
                {{1, 1}, {1, 3}, {0, 3}, {1, 2}, {}}});
}

TEST(FluxConvForward, OneAndThreeDimensions) {
    ::torch::manual_seed(2);
    check_conv({{3}, 2, 3, {.stride = 2, .pad = {1, 2}}, {9, 2, 2}, {{2}, {1}, {2}, {1}, {}}});
    check_conv(
        {{2, 3, 2}, 2, 4, {.pad = 1, .groups = 2}, {4, 5, 3, 2, 2}, {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {}}});
    check_conv({{2, 2, 3},
                1,
                2,
                {.pad = {1, 0, 0, 0, 2, 1}},
                {3, 4, 3, 1, 1},
                {{1, 1, 1}, {1, 0, 2}, {0, 0, 1}, {1, 1, 1}, {}}});
}

TEST(FluxConvForward, SamePadKeepsTheSizeOverStride) {
    // Flux's docs: Conv((5, 5), 3 => 7, stride=2, pad=SamePad()) on 100×100 gives 50×50.
    flux::Conv c({5, 5}, 3, 7, {}, {.stride = 2, .pad = flux::SamePad{}});
    EXPECT_EQ(c->forward(::torch::zeros({1, 3, 100, 100})).sizes().vec(), (std::vector<int64_t>{1, 7, 50, 50}));
    // Conv((1,1), 3 => 7; pad = (20,10,0,0)) pads Julia's first dimension: (130, 100, 7, 50).
    flux::Conv p({1, 1}, 3, 7, {}, {.pad = {20, 10, 0, 0}});
    EXPECT_EQ(p->forward(::torch::zeros({1, 3, 100, 100})).sizes().vec(), (std::vector<int64_t>{1, 7, 100, 130}));
    // CrossCor((5,5), 3 => 7, stride=3, pad=(2,0)) gives (34, 32, 7, 50).
    flux::CrossCor q({5, 5}, 3, 7, {}, {.stride = 3, .pad = {2, 0}});
    EXPECT_EQ(q->forward(::torch::zeros({1, 3, 100, 100})).sizes().vec(), (std::vector<int64_t>{1, 7, 32, 34}));
}

TEST(FluxConvForward, ActivationAfterBias) {
    flux::Conv c({1}, 1, 1, relu);
    load(*c, {{2.f}, {1, 1, 1}}, {-1.f});
    EXPECT_TRUE(c->forward(::torch::tensor({0.f, 1.f, 2.f}).reshape({1, 1, 3}))
                    .equal(::torch::tensor({0.f, 1.f, 3.f}).reshape({1, 1, 3})));
}

namespace {

struct TransposeCase {
    std::vector<int64_t> kernel;
    int64_t in, out;
    flux::ConvTransposeOptions options;
    std::vector<int64_t> x_size;
    Geometry geometry;
};

void check_transpose(const TransposeCase& c) {
    flux::ConvTranspose t(c.kernel, c.in, c.out, {}, c.options);
    SCOPED_TRACE(printed(t));
    std::vector<int64_t> w_size = c.kernel;
    w_size.push_back(c.out / c.options.groups), w_size.push_back(c.in);
    const JArray w = random_array(w_size), x = random_array(c.x_size);
    const std::vector<float> bias = c.options.bias ? random_array({c.out}).v : std::vector<float>{};
    load(*t, w, bias);
    Geometry g = c.geometry;
    g.groups = c.options.groups;
    expect_near(to_julia(t->forward(to_tensor(x))), conv_transpose_reference(x, w, bias, g));
}

}  // namespace

TEST(FluxConvTransposeForward, IsTheAdjointOfTheTrueConvolution) {
    ::torch::manual_seed(3);
    // Geometry: stride, lo, hi, dilation, outpad.
    check_transpose({{3, 3}, 2, 3, {}, {4, 5, 2, 2}, {{1, 1}, {0, 0}, {0, 0}, {1, 1}, {0, 0}}});
    check_transpose({{3, 2}, 2, 3, {.stride = 2}, {4, 5, 2, 2}, {{2, 2}, {0, 0}, {0, 0}, {1, 1}, {0, 0}}});
    check_transpose({{3, 2},
                     2,
                     3,
                     {.stride = {2, 3}, .pad = 1, .dilation = {1, 2}},
                     {4, 5, 2, 1},
                     {{2, 3}, {1, 1}, {1, 1}, {1, 2}, {0, 0}}});
    check_transpose(
        {{3, 3}, 4, 6, {.pad = {1, 2}, .groups = 2}, {5, 6, 4, 2}, {{1, 1}, {1, 2}, {1, 2}, {1, 1}, {0, 0}}});
    // Asymmetric padding crops the full result: (W low, W high, H low, H high).
    check_transpose(
        {{3, 3}, 2, 2, {.stride = 2, .pad = {2, 0, 0, 1}}, {4, 3, 2, 2}, {{2, 2}, {2, 0}, {0, 1}, {1, 1}, {0, 0}}});
    // outpad below the stride is LibTorch's output_padding; beyond it, zeros plus the bias.
    check_transpose({{3, 3},
                     2,
                     2,
                     {.stride = 2, .pad = 1, .outpad = {1, 0}},
                     {4, 3, 2, 1},
                     {{2, 2}, {1, 1}, {1, 1}, {1, 1}, {1, 0}}});
    check_transpose({{2, 2}, 2, 2, {.stride = 2, .outpad = 3}, {3, 3, 2, 1}, {{2, 2}, {0, 0}, {0, 0}, {1, 1}, {3, 3}}});
    check_transpose({{3},
                     2,
                     4,
                     {.stride = 3, .pad = {0, 2}, .outpad = 1, .groups = 2, .bias = false},
                     {5, 2, 2},
                     {{3}, {0}, {2}, {1}, {1}}});
    check_transpose({{2, 2, 3},
                     2,
                     2,
                     {.stride = {1, 2, 1}, .pad = {1, 0, 0, 0, 1, 1}},
                     {3, 2, 3, 2, 1},
                     {{1, 2, 1}, {1, 0, 1}, {0, 0, 1}, {1, 1, 1}, {0, 0, 0}}});
}

TEST(FluxConvTransposeForward, SamePadMultipliesTheSizeByTheStride) {
    ::torch::manual_seed(4);
    // Flux's calc_padding for ConvTranspose: SamePad of the kernel k - stride + 1.
    // k=5, stride=3: kernel 3, pad (1, 1); 100 → 300 (Flux's docs).
    flux::ConvTranspose t({5, 5}, 3, 7, {}, {.stride = 3, .pad = flux::SamePad{}});
    EXPECT_EQ(t->pad(), (std::vector<int64_t>{1, 1, 1, 1}));
    EXPECT_EQ(t->forward(::torch::zeros({1, 3, 100, 100})).sizes().vec(), (std::vector<int64_t>{1, 7, 300, 300}));
    // k=2, stride=3: kernel 0, pad_amt -1 → (cld(-1, 2), fld(-1, 2)) = (0, -1): a negative high pad.
    flux::ConvTranspose n({2}, 2, 2, {}, {.stride = 3, .pad = flux::SamePad{}});
    EXPECT_EQ(n->pad(), (std::vector<int64_t>{0, -1}));
    check_transpose({{2}, 2, 2, {.stride = 3, .pad = flux::SamePad{}}, {4, 2, 1}, {{3}, {0}, {-1}, {1}, {0}}});
    check_transpose(
        {{4, 3}, 2, 2, {.stride = 2, .pad = flux::SamePad{}}, {3, 4, 2, 1}, {{2, 2}, {1, 1}, {1, 0}, {1, 1}, {0, 0}}});
}

// (4) NNlib's test vectors: NNlib.jl test/conv.jl, conv_answer_dict (the same in v0.8.21 and
// v0.9.36). x = reshape(1:prod(size(dx)), size(dx)), w = reshape(1:prod(size(dw)), size(dw)), one
// channel; y = conv(x, w, cdims), and dx = ∇conv_data(y, w, cdims), which is ConvTranspose on y.

namespace {

std::vector<float> iota(int64_t n) {
    std::vector<float> v(n);
    for (int64_t i = 0; i < n; ++i) v[i] = float(i + 1);
    return v;
}

// A Julia matrix literal ([a b; c d]: rows are Julia's first index) as a column-major array.
JArray matrix(const std::vector<std::vector<float>>& rows) {
    JArray a{{}, {int64_t(rows.size()), int64_t(rows[0].size()), 1, 1}};
    for (size_t j = 0; j < rows[0].size(); ++j)
        for (const auto& row : rows) a.v.push_back(row[j]);
    return a;
}

JArray vector(const std::vector<float>& v) { return {v, {int64_t(v.size()), 1, 1}}; }

// y[lo:step:hi, …] of a 1D or 2D array (Julia's 1-based inclusive ranges).
JArray slice(const JArray& a, int64_t lo, int64_t step, int64_t hi_from_end) {
    const size_t n = a.size.size() - 2;
    JArray s{{}, a.size};
    std::vector<int64_t> idx[2];
    for (size_t d = 0; d < n; ++d) {
        for (int64_t i = lo - 1; i <= a.size[d] - 1 - hi_from_end; i += step) idx[d].push_back(i);
        s.size[d] = int64_t(idx[d].size());
    }
    if (n == 1) idx[1] = {0};
    for (int64_t j : idx[1])
        for (int64_t i : idx[0]) s.v.push_back(a.v[i + a.size[0] * j]);
    return s;
}

template <class Layer>
JArray apply(Layer& layer, const JArray& w, const JArray& x) {
    load(*layer, w, {});
    return to_julia(layer->forward(to_tensor(x)));
}

}  // namespace

TEST(FluxConvNNlib, OneDimensional) {
    const JArray x = vector(iota(5)), w = vector(iota(2));
    const JArray y_pad = vector({1, 4, 7, 10, 13, 10}), y_dil = vector({5, 8, 11}), y_flip = vector({5, 8, 11, 14});
    const JArray y_plain = slice(y_pad, 2, 1, 1), y_stride = slice(y_pad, 2, 2, 1);
    flux::Conv plain({2}, 1, 1, {}, {.bias = false}), stride({2}, 1, 1, {}, {.stride = 2, .bias = false}),
        dil({2}, 1, 1, {}, {.dilation = 2, .bias = false}), pad({2}, 1, 1, {}, {.pad = 1, .bias = false});
    flux::CrossCor flip({2}, 1, 1, {}, {.bias = false});
    expect_near(apply(plain, w, x), y_plain);
    expect_near(apply(stride, w, x), y_stride);
    expect_near(apply(dil, w, x), y_dil);
    expect_near(apply(pad, w, x), y_pad);
    expect_near(apply(flip, w, x), y_flip);

    flux::ConvTranspose t_plain({2}, 1, 1, {}, {.bias = false}),
        t_stride({2}, 1, 1, {}, {.stride = 2, .outpad = 1, .bias = false}),  // 4 → 5 needs outpad
        t_dil({2}, 1, 1, {}, {.dilation = 2, .bias = false}), t_pad({2}, 1, 1, {}, {.pad = 1, .bias = false});
    expect_near(apply(t_plain, w, y_plain), vector({8, 18, 27, 36, 13}));
    expect_near(apply(t_stride, w, y_stride), vector({8, 4, 20, 10, 0}));
    expect_near(apply(t_pad, w, y_pad), vector({9, 18, 27, 36, 33}));
    expect_near(apply(t_dil, w, y_dil), vector({10, 16, 27, 8, 11}));
}

TEST(FluxConvNNlib, TwoDimensional) {
    const JArray x{iota(20), {5, 4, 1, 1}}, w{iota(4), {2, 2, 1, 1}};
    const JArray y_pad = matrix({{1, 9, 29, 49, 48},
                                 {4, 29, 79, 129, 115},
                                 {7, 39, 89, 139, 122},
                                 {10, 49, 99, 149, 129},
                                 {13, 59, 109, 159, 136},
                                 {10, 40, 70, 100, 80}});
    const JArray y_dil = matrix({{48, 98}, {58, 108}, {68, 118}});
    const JArray y_flip = matrix({{51, 101, 151}, {61, 111, 161}, {71, 121, 171}, {81, 131, 181}});
    const JArray y_plain = slice(y_pad, 2, 1, 1), y_stride = slice(y_pad, 2, 2, 1);
    flux::Conv plain({2, 2}, 1, 1, {}, {.bias = false}), stride({2, 2}, 1, 1, {}, {.stride = 2, .bias = false}),
        dil({2, 2}, 1, 1, {}, {.dilation = 2, .bias = false}), pad({2, 2}, 1, 1, {}, {.pad = 1, .bias = false});
    flux::CrossCor flip({2, 2}, 1, 1, {}, {.bias = false});
    expect_near(apply(plain, w, x), y_plain);
    expect_near(apply(stride, w, x), y_stride);
    expect_near(apply(dil, w, x), y_dil);
    expect_near(apply(pad, w, x), y_pad);
    expect_near(apply(flip, w, x), y_flip);

    flux::ConvTranspose t_plain({2, 2}, 1, 1, {}, {.bias = false}),
        t_stride({2, 2}, 1, 1, {}, {.stride = 2, .outpad = {1, 0}, .bias = false}),
        t_dil({2, 2}, 1, 1, {}, {.dilation = 2, .bias = false}), t_pad({2, 2}, 1, 1, {}, {.pad = 1, .bias = false});
    expect_near(apply(t_plain, w, y_plain), matrix({{116, 374, 674, 258},
                                                    {243, 700, 1200, 407},
                                                    {313, 800, 1300, 437},
                                                    {383, 900, 1400, 467},
                                                    {177, 386, 586, 159}}));
    expect_near(
        apply(t_stride, w, y_stride),
        matrix({{116, 58, 516, 258}, {87, 29, 387, 129}, {196, 98, 596, 298}, {147, 49, 447, 149}, {0, 0, 0, 0}}));
    expect_near(apply(t_pad, w, y_pad), matrix({{152, 470, 850, 911},
                                                {261, 700, 1200, 1240},
                                                {340, 800, 1300, 1319},
                                                {419, 900, 1400, 1398},
                                                {370, 746, 1126, 1087}}));
    expect_near(apply(t_dil, w, y_dil), matrix({{192, 392, 96, 196},
                                                {232, 432, 116, 216},
                                                {416, 766, 184, 334},
                                                {174, 324, 58, 108},
                                                {204, 354, 68, 118}}));
}

TEST(FluxConvNNlib, ThreeDimensional) {
    // x is 5×4×3, w 2×2×2: y_dil is (3, 2, 1), y_flip (4, 3, 2).
    const JArray x{iota(60), {5, 4, 3, 1, 1}}, w{iota(8), {2, 2, 2, 1, 1}};
    flux::Conv dil({2, 2, 2}, 1, 1, {}, {.dilation = 2, .bias = false});
    flux::CrossCor flip({2, 2, 2}, 1, 1, {}, {.bias = false});
    expect_near(apply(dil, w, x), {{608, 644, 680, 788, 824, 860}, {3, 2, 1, 1, 1}});
    expect_near(apply(flip, w, x), {{686,  722,  758,  794,  866,  902,  938,  974,  1046, 1082, 1118, 1154,
                                     1406, 1442, 1478, 1514, 1586, 1622, 1658, 1694, 1766, 1802, 1838, 1874},
                                    {4, 3, 2, 1, 1}});
}

// pretty_print: what Flux 0.13/0.14 print (Base.show, _print_conv_opt, _maybetuple_string).

TEST(FluxConvPrint, AsFluxPrintsIt) {
    EXPECT_EQ(printed(flux::Conv({3, 3}, 1, 32, relu, {.pad = 1})), "Conv((3, 3), 1 => 32, relu, pad=1)");
    EXPECT_EQ(printed(flux::Conv({5, 5}, 3, 7, relu, {.bias = false})), "Conv((5, 5), 3 => 7, relu, bias=false)");
    EXPECT_EQ(printed(flux::Conv({2, 2}, 3, 7, {}, {.pad = flux::SamePad{}})),
              "Conv((2, 2), 3 => 7, pad=(1, 0, 1, 0))");
    EXPECT_EQ(printed(flux::Conv({5, 5}, 3, 7, {}, {.stride = 2, .pad = flux::SamePad{}})),
              "Conv((5, 5), 3 => 7, pad=2, stride=2)");
    EXPECT_EQ(printed(flux::Conv({3, 3}, 4, 8, {}, {.stride = {1, 2}, .pad = {1, 2}, .dilation = 2, .groups = 4})),
              "Conv((3, 3), 4 => 8, pad=(1, 2), stride=(1, 2), dilation=2, groups=4)");
    EXPECT_EQ(printed(flux::Conv({3}, 4, 5)), "Conv((3,), 4 => 5)");
    EXPECT_EQ(printed(flux::DepthwiseConv({5, 5}, 3, 6, relu, {.bias = false})),
              "Conv((5, 5), 3 => 6, relu, groups=3, bias=false)");
    EXPECT_EQ(printed(flux::CrossCor({5, 5}, 3, 6, relu, {.bias = false})),
              "CrossCor((5, 5), 3 => 6, relu, bias=false)");
    EXPECT_EQ(printed(flux::CrossCor({3}, 4, 5, relu)), "CrossCor((3,), 4 => 5, relu)");
    EXPECT_EQ(printed(flux::ConvTranspose({5, 5}, 3, 7, relu)), "ConvTranspose((5, 5), 3 => 7, relu)");
    EXPECT_EQ(printed(flux::ConvTranspose({3, 3}, 2, 4, {}, {.groups = 2})), "ConvTranspose((3, 3), 2 => 4, groups=2)");
    EXPECT_EQ(printed(flux::ConvTranspose({5, 5}, 3, 7, {}, {.stride = 2, .outpad = 1})),
              "ConvTranspose((5, 5), 3 => 7, stride=2, outpad=(1, 1))");
    EXPECT_EQ(printed(flux::ConvTranspose({5}, 3, 7, {}, {.stride = 2, .outpad = 1})),
              "ConvTranspose((5,), 3 => 7, stride=2, outpad=(1,))");
}

// Flux's constructors from arrays: Conv(weight, bias, σ; …) and friends, with Julia's arrays.

TEST(FluxConvFromArrays, TheArraysAreTheLayers) {
    ::torch::manual_seed(5);
    const flux::Function sigma{"σ", [](const at::Tensor& x) { return x.sigmoid(); }};
    // Flux's docs: weight = rand(3, 4, 5); Conv(weight, zeros(5), sigmoid) is Conv((3,), 4 => 5, σ).
    const JArray w = random_array({3, 4, 5}), b = random_array({5}), x = random_array({9, 4, 2});
    at::Tensor wt = to_tensor(w), bt = to_tensor(b);  // lvalues: these constructors must win over ModuleHolder's
    flux::Conv conv(wt, bt, sigma, {.stride = 2});
    EXPECT_EQ(printed(conv), "Conv((3,), 4 => 5, σ, stride=2)");
    flux::Conv loaded({3}, 4, 5, sigma, {.stride = 2});
    load(*loaded, w, b.v);
    EXPECT_TRUE(conv->forward(to_tensor(x)).equal(loaded->forward(to_tensor(x))));
    const Weights fetched = flux::fetch_weights(*conv);
    EXPECT_TRUE(std::equal(w.v.begin(), w.v.end(), fetched[0].data<float>().begin()));

    flux::CrossCor cross(wt, bt, relu);
    EXPECT_EQ(printed(cross), "CrossCor((3,), 4 => 5, relu)");
    JArray expected = conv_reference(x, w, b.v, {{1}, {0}, {0}, {1}, {}}, false);
    for (float& v : expected.v) v = std::max(v, 0.f);
    expect_near(to_julia(cross->forward(to_tensor(x))), expected);

    // ConvTranspose(rand(3, 4, 5), zeros(4), sigmoid) is ConvTranspose((3,), 5 => 4, σ): weight (k, out, in).
    flux::ConvTranspose t(wt, to_tensor(random_array({4})), sigma);
    EXPECT_EQ(printed(t), "ConvTranspose((3,), 5 => 4, σ)");
    EXPECT_EQ(t->forward(::torch::zeros({2, 5, 10})).sizes().vec(), (std::vector<int64_t>{2, 4, 12}));
    flux::ConvTranspose no_bias(wt, {}, {}, {.bias = false});
    EXPECT_EQ(flux::fetch_weights(*no_bias).size(), 1u);

    // DepthwiseConv(w, …): w (k..., in, multiplier) becomes (k..., 1, in · multiplier), groups = in.
    const JArray dw = random_array({3, 3, 2, 3});
    flux::Conv depthwise = flux::DepthwiseConv(to_tensor(dw), {}, {}, {.pad = 1});
    EXPECT_EQ(printed(depthwise), "Conv((3, 3), 2 => 6, pad=1, groups=2)");
    EXPECT_EQ(julia_sizes(*depthwise, nullptr), (std::vector<std::vector<int64_t>>{{3, 3, 1, 6}, {6}}));
    const JArray dx = random_array({5, 4, 2, 1});
    expect_near(to_julia(depthwise->forward(to_tensor(dx))),
                conv_reference(dx, {dw.v, {3, 3, 1, 6}}, std::vector<float>(6, 0.f),
                               {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {}, 2}, true));

    // Float64 arrays make a Float64 layer, as in Flux.
    flux::Conv f64(wt.to(at::kDouble));
    EXPECT_EQ(f64->weight.scalar_type(), at::kDouble);
    EXPECT_EQ(f64->bias.scalar_type(), at::kDouble);
    EXPECT_EQ(f64->forward(to_tensor(x)).scalar_type(), at::kDouble);
    EXPECT_THROW(flux::Conv(wt, to_tensor(random_array({4}))), legolasflux::ShapeError);
    EXPECT_THROW(flux::Conv(::torch::zeros({4, 5})), legolasflux::ShapeError);
}
