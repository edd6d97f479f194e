// Flux layout: Dense transposed, Conv kernels flipped, BatchNorm in Flux's order.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux_layout.hpp"
#include "legolasflux/torch/weights.hpp"

using legolasflux::ElementType;
using legolasflux::FlatArray;
using legolasflux::ShapeError;
using legolasflux::UnsupportedError;
using legolasflux::Weights;
namespace lt = legolasflux::torch;
namespace nn = ::torch::nn;

TEST(FluxLayout, DenseWeightIsTransposed) {
    nn::Linear l(3, 2);
    {
        ::torch::NoGradGuard g;
        l->weight.copy_(::torch::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}}));  // W[out][in]
    }
    const Weights w = lt::fetch_flux_weights(*l);
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0].size, (std::vector<int64_t>{2, 3}));  // Flux Dense weight is (out, in)
    // Julia column-major (out, in): W[1,1], W[2,1], W[1,2], …
    const auto v = w[0].data<float>();
    EXPECT_EQ(std::vector<float>(v.begin(), v.end()), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(FluxLayout, ConvKernelIsFlipped) {
    nn::Conv2d c(nn::Conv2dOptions(1, 1, {2, 3}).bias(false));
    {
        ::torch::NoGradGuard g;
        c->weight.copy_(::torch::arange(6, ::torch::kFloat).reshape({1, 1, 2, 3}));  // [[0,1,2],[3,4,5]]
    }
    const Weights w = lt::fetch_flux_weights(*c);
    EXPECT_EQ(w[0].size, (std::vector<int64_t>{3, 2, 1, 1}));  // (kw, kh, cin, cout)
    const auto v = w[0].data<float>();
    // Flipped: [[5,4,3],[2,1,0]], row-major = Julia column-major with kw fastest.
    EXPECT_EQ(std::vector<float>(v.begin(), v.end()), (std::vector<float>{5, 4, 3, 2, 1, 0}));
}

TEST(FluxLayout, BatchNormIsShiftScaleMeanVariance) {
    nn::BatchNorm2d bn(2);
    {
        ::torch::NoGradGuard g;
        bn->weight.fill_(2);
        bn->bias.fill_(3);
        bn->running_mean.fill_(4);
        bn->running_var.fill_(5);
    }
    std::vector<std::string> names;
    const Weights w = lt::fetch_flux_weights(*bn, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"bias", "weight", "running_mean", "running_var"}));
    EXPECT_EQ(w[0].data<float>()[0], 3.f);
    EXPECT_EQ(w[1].data<float>()[0], 2.f);
    EXPECT_EQ(w[2].data<float>()[0], 4.f);
    EXPECT_EQ(w[3].data<float>()[0], 5.f);
}

TEST(FluxLayout, RoundTripGivesTheSameOutputs) {
    ::torch::manual_seed(3);
    auto make = [] {
        return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 4, 3)), nn::BatchNorm2d(4), nn::ReLU(),
                              nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::Flatten(), nn::Linear(4 * 3 * 3, 5));
    };
    auto model = make();
    model->eval();
    const Weights w = lt::fetch_flux_weights(*model);
    auto fresh = make();
    fresh->eval();
    lt::load_flux_weights(*fresh, w);
    const auto x = ::torch::randn({2, 1, 8, 8});
    EXPECT_TRUE(model->forward(x).allclose(fresh->forward(x)));
}

TEST(FluxLayout, SizeMismatchNamesTheLayerAndLeavesTheModelUnchanged) {
    nn::Sequential m(nn::Linear(3, 2), nn::Linear(2, 2));
    Weights w = lt::fetch_flux_weights(*m);
    const auto before = m[0]->as<nn::Linear>()->weight.clone();
    w.arrays[2] = FlatArray::from_values<float>({2, 3}, std::vector<float>(6, 0.f));
    try {
        lt::load_flux_weights(*m, w);
        FAIL();
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("'1.weight'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("(2, 2)"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(m[0]->as<nn::Linear>()->weight.equal(before));
}

TEST(FluxLayout, UnknownLayersWithTensorsAreRejected) {
    nn::Sequential m(nn::Linear(2, 2), nn::LSTM(2, 2));
    EXPECT_THROW(lt::fetch_flux_weights(*m), UnsupportedError);
}
