// legolasflux::flux foundations: Dense against its formula, Chain, shared layers, Julia's arrays.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux.hpp"

namespace flux = legolasflux::flux;
using legolasflux::Weights;

namespace {

legolasflux::FlatArray array(const std::vector<float>& v, std::vector<int64_t> size) {
    return legolasflux::FlatArray::from_values<float>(std::move(size), v);
}

// Dense by its formula, in plain loops over Julia's arrays: y[o, n] = Σ_i W[o, i] x[i, n] + b[o].
std::vector<float> dense_reference(const std::vector<float>& w, const std::vector<float>& b,
                                   const std::vector<float>& x, int64_t in, int64_t out, int64_t batch) {
    std::vector<float> y(out * batch);
    for (int64_t n = 0; n < batch; ++n)
        for (int64_t o = 0; o < out; ++o) {
            double s = b[o];
            for (int64_t i = 0; i < in; ++i) s += double(w[o + i * out]) * x[i + n * in];  // column-major
            y[o + n * out] = float(s);
        }
    return y;
}

std::vector<float> values(const at::Tensor& t) {
    const at::Tensor c = t.contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

}  // namespace

TEST(FluxDense, ArraysAreJuliasAndForwardIsTheFormula) {
    flux::Dense d(3, 2);
    const Weights w = flux::fetch_weights(*d);
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0].size, (std::vector<int64_t>{2, 3}));  // Flux: weight (out, in), bias (out,)
    EXPECT_EQ(w[1].size, (std::vector<int64_t>{2}));

    // Julia's arrays, column-major: W = [1 2 3; 4 5 6], b = [0.5, -1].
    const std::vector<float> wj = {1, 4, 2, 5, 3, 6}, bj = {0.5f, -1};
    flux::load_weights(*d, Weights(std::vector<legolasflux::FlatArray>{array(wj, {2, 3}), array(bj, {2})}));
    const std::vector<float> xj = {1, 2, 3, -1, 0, 2};  // Julia (3, 2): two samples
    const at::Tensor x = ::torch::tensor(xj).reshape({2, 3});
    EXPECT_EQ(values(d->forward(x)), dense_reference(wj, bj, xj, 3, 2, 2));
    EXPECT_EQ(values(d->forward(x)), (std::vector<float>{14.5f, 31, 5.5f, 7}));

    const Weights back = flux::fetch_weights(*d);
    EXPECT_EQ(std::vector<float>(back[0].data<float>().begin(), back[0].data<float>().end()), wj);
}

TEST(FluxDense, ActivationAndNoBias) {
    flux::Dense d(2, 2, flux::Function{"relu", [](const at::Tensor& x) { return x.relu(); }}, {.bias = false});
    EXPECT_EQ(flux::fetch_weights(*d).size(), 1u);
    flux::load_weights(*d,
                       Weights(std::vector<legolasflux::FlatArray>{array(std::vector<float>{1, 0, 0, -1}, {2, 2})}));
    EXPECT_EQ(values(d->forward(::torch::tensor({2.f, 3.f}).reshape({1, 2}))), (std::vector<float>{2, 0}));
    std::ostringstream printed;
    d->pretty_print(printed);
    EXPECT_EQ(printed.str(), "Dense(2 => 2, relu; bias=false)");
}

TEST(FluxDense, WrongInputSizeIsAShapeError) {
    flux::Dense d(3, 2);
    EXPECT_THROW(d->forward(::torch::zeros({1, 4})), legolasflux::ShapeError);
    EXPECT_THROW(flux::Dense(0, 2), legolasflux::InvalidArgument);
}

TEST(FluxChain, SharedLayerIsStoredOnceAtItsFirstPlace) {
    flux::Dense shared(4, 4);
    flux::Chain c(flux::Dense(2, 4), shared, flux::Function{"relu", [](const at::Tensor& x) { return x.relu(); }},
                  shared, flux::Dense(4, 1, {}, {.bias = false}));
    std::vector<std::string> names;
    const Weights w = flux::fetch_weights(*c, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "4.weight"}));
    EXPECT_EQ(c->size(), 5u);
    EXPECT_EQ(c[1].ptr().get(), c[3].ptr().get());

    // Loading Julia's arrays into the chain gives the chain's arithmetic, layer by layer.
    Weights zeros = w;
    flux::load_weights(*c, w);
    const at::Tensor x = ::torch::randn({3, 2});
    const at::Tensor h = shared->forward(shared->forward(c[0].forward(x)).relu());
    EXPECT_TRUE(c->forward(x).equal(c[4].forward(h)));
}

TEST(FluxChain, NamedChain) {
    flux::Chain c({{"enc", flux::Dense(2, 3)}, {"dec", flux::Dense(3, 2)}});
    std::vector<std::string> names;
    flux::fetch_weights(*c, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"enc.weight", "enc.bias", "dec.weight", "dec.bias"}));
    EXPECT_TRUE(c->named());
    EXPECT_EQ(c["dec"].as<flux::DenseImpl>()->weight.size(0), 2);
    EXPECT_THROW(c["nope"], legolasflux::InvalidArgument);
    EXPECT_THROW(flux::Chain({{"a", flux::Dense(1, 1)}, {"a", flux::Dense(1, 1)}}), legolasflux::InvalidArgument);
}

TEST(FluxChain, WrongArraysChangeNothing) {
    flux::Chain c(flux::Dense(2, 3), flux::Dense(3, 1));
    const Weights before = flux::fetch_weights(*c);
    Weights wrong({array(std::vector<float>(6), {3, 2}), array(std::vector<float>(3), {3}),
                   array(std::vector<float>(3), {3, 1}), array(std::vector<float>(1), {1})});
    EXPECT_THROW(flux::load_weights(*c, wrong),
                 legolasflux::ShapeError);  // first weight must be (3, 2)... is; third (1, 3)
    const Weights after = flux::fetch_weights(*c);
    for (size_t i = 0; i < before.size(); ++i)
        EXPECT_TRUE(
            std::equal(before[i].data<float>().begin(), before[i].data<float>().end(), after[i].data<float>().begin()));
}
