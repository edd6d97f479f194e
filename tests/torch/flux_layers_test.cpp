// Flux's Bilinear, Scale, Embedding, EmbeddingBag, Maxout, SkipConnection, Parallel and
// PairwiseFusion: Julia's arrays (order, sizes) and the forward pass against Flux's formulas written
// as plain loops over Julia's column-major arrays.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux.hpp"
#include "legolasflux/torch/flux_layers.hpp"
#include "support/flux_arrays.hpp"

namespace flux = legolasflux::flux;
using legolasflux::Weights;

namespace {

using namespace lftest;

const flux::Function relu{"relu", [](const at::Tensor& x) { return x.relu(); }};

std::vector<std::vector<int64_t>> sizes(const Weights& w) {
    std::vector<std::vector<int64_t>> s;
    for (const auto& a : w.arrays) s.push_back(a.size);
    return s;
}

// Bilinear: Z[o, n] = Σ_ij W[o, i, j] x[i, n] y[j, n] + b[o].
Floats bilinear_ref(const Floats& w, const Floats& b, const Floats& x, const Floats& y, int64_t out, int64_t in1,
                    int64_t in2) {
    const int64_t batch = int64_t(x.size()) / in1;
    Floats z(out * batch);
    for (int64_t n = 0; n < batch; ++n)
        for (int64_t o = 0; o < out; ++o) {
            double s = b.empty() ? 0 : b[o];
            for (int64_t i = 0; i < in1; ++i)
                for (int64_t j = 0; j < in2; ++j)
                    s += double(w[o + out * (i + in1 * j)]) * x[i + in1 * n] * y[j + in2 * n];
            z[o + out * n] = float(s);
        }
    return z;
}

// Flux.identity_init(gain=g) of Julia size (out, in): W[o, i] = g when o == i.
Floats identity_init(int64_t out, int64_t in, float gain) {
    Floats w(out * in, 0.f);
    for (int64_t i = 0; i < std::min(out, in); ++i) w[i + out * i] = gain;
    return w;
}

}  // namespace

TEST(FluxDocstrings, ScaleEmbeddingAndEmbeddingBagExamples) {
    // The jldoctest examples of Flux 0.14.25's src/layers/basic.jl.
    flux::Scale a({2});
    EXPECT_EQ(values(a->forward(julia({1, 2, 3}, {1, 3}))), (Floats{1, 1, 2, 2, 3, 3}));  // a([1 2 3]): 2×3
    flux::Scale b({1, 4}, flux::Function{"abs2", [](const at::Tensor& x) { return x * x; }}, {.bias = false});
    flux::load_weights(*b, Weights({legolasflux::FlatArray::from_values<float>({1, 4}, Floats{1, 2, 3, 4})}));
    const at::Tensor bx = b->forward(julia({1, 10}, {2}));  // b([1, 10]): 2×4
    EXPECT_EQ(bx.sizes(), (std::vector<int64_t>{4, 2}));
    EXPECT_EQ(values(bx), (Floats{1, 100, 4, 400, 9, 900, 16, 1600}));

    flux::Embedding emb(26, 4);  // init=Flux.identity_init(gain=22)
    flux::load_weights(*emb, Weights({legolasflux::FlatArray::from_values<float>({4, 26}, identity_init(4, 26, 22))}));
    EXPECT_EQ(values(emb->forward(::torch::tensor(int64_t(2)))), (Floats{0, 22, 0, 0}));
    const at::Tensor cat_dog = emb->forward(::torch::tensor({3, 1, 20, 14, 4, 15, 7}));
    Floats want(4 * 7, 0.f);
    want[2] = 22;          // column 1: index 3
    want[4] = 22;          // column 2: index 1
    want[3 + 4 * 4] = 22;  // column 5: index 4
    EXPECT_EQ(values(cat_dog), want);
    EXPECT_EQ(emb->forward(::torch::randint(1, 27, {12, 1, 10})).sizes(), (std::vector<int64_t>{12, 1, 10, 4}));

    flux::EmbeddingBag eb(26, 3);  // init=Flux.identity_init(gain=100)
    flux::load_weights(*eb, Weights({legolasflux::FlatArray::from_values<float>({3, 26}, identity_init(3, 26, 100))}));
    EXPECT_EQ(values(eb->forward(::torch::tensor({2}))), (Floats{0, 100, 0}));
    expect_near(values(eb->forward(::torch::tensor({3, 3, 1}))), Floats{33.333332f, 0, 66.666664f}, 1e-7);
    // eb([1 1 1 1; 1 2 3 4]): four bags of two, eachcol.
    expect_near(values(eb->forward(::torch::tensor({1, 1, 1, 2, 1, 3, 1, 4}).reshape({4, 2}))),
                Floats{100, 0, 0, 50, 50, 0, 50, 0, 50, 50, 0, 0});
    EXPECT_EQ(eb->forward(::torch::randint(1, 27, {5, 5, 10})).sizes(), (std::vector<int64_t>{5, 5, 3}));
    // eb(data, [1, 4]) with data = [11, 1, 12, 2, 13, 3, 14]: two bags, of 3 and 4 items.
    expect_near(values(eb->forward2(::torch::tensor({11, 1, 12, 2, 13, 3, 14}), ::torch::tensor({1, 4}))),
                Floats{33.3333f, 0, 0, 0, 25, 25}, 1e-6);
    // eb(Flux.onehotbatch("bba", 'a':'z')): one bag of [2, 2, 1].
    at::Tensor bba = ::torch::zeros({3, 26}, at::kBool);
    bba[0][1] = true;
    bba[1][1] = true;
    bba[2][0] = true;
    expect_near(values(eb->forward(bba)), Floats{33.333332f, 66.666664f, 0}, 1e-7);
}

TEST(FluxBilinear, ArraysAndFormula) {
    flux::Bilinear b({3, 4}, 2);
    std::vector<std::string> names;
    const Weights w = flux::fetch_weights(*b, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias"}));
    EXPECT_EQ(sizes(w), (std::vector<std::vector<int64_t>>{{2, 3, 4}, {2}}));  // weight (out, in1, in2), bias (out,)

    const Floats wj = random(24), bj = random(2), xj = random(3 * 5), yj = random(4 * 5);
    flux::load_weights(*b, Weights({legolasflux::FlatArray::from_values<float>({2, 3, 4}, wj),
                                    legolasflux::FlatArray::from_values<float>({2}, bj)}));
    expect_near(values(b->forward2(julia(xj, {3, 5}), julia(yj, {4, 5}))), bilinear_ref(wj, bj, xj, yj, 2, 3, 4));
    // Vectors: Flux's vec(a(reshape(x, :, 1), reshape(y, :, 1))).
    const at::Tensor v =
        b->forward2(julia(Floats(xj.begin(), xj.begin() + 3), {3}), julia(Floats(yj.begin(), yj.begin() + 4), {4}));
    EXPECT_EQ(v.sizes(), (std::vector<int64_t>{2}));
    expect_near(values(v),
                bilinear_ref(wj, bj, Floats(xj.begin(), xj.begin() + 3), Floats(yj.begin(), yj.begin() + 4), 2, 3, 4));

    EXPECT_THROW(b->forward2(julia(xj, {3, 5}), julia(xj, {3, 5})), legolasflux::ShapeError);
    EXPECT_THROW(b->forward(julia(xj, {3, 5})), legolasflux::ShapeError);  // a(x) = a(x, x) needs in1 == in2
    EXPECT_EQ(printed(*b), "Bilinear((3, 4) => 2)");
}

TEST(FluxBilinear, OneInputIsBothAndPrinting) {
    flux::Bilinear b(3, 2, relu, {.bias = false});
    const Weights w = flux::fetch_weights(*b);
    ASSERT_EQ(w.size(), 1u);
    const Floats xj = random(3 * 4);
    Floats want = bilinear_ref(array(w, 0), {}, xj, xj, 2, 3, 3);
    for (float& z : want) z = std::max(z, 0.f);
    expect_near(values(b->forward(julia(xj, {3, 4}))), want);
    EXPECT_EQ(printed(*b), "Bilinear(3 => 2, relu; bias=false)");
    EXPECT_THROW(flux::Bilinear(0, 2), legolasflux::InvalidArgument);
}

TEST(FluxScale, ArraysBroadcastAndPrinting) {
    flux::Scale s({2, 3});
    const Weights w0 = flux::fetch_weights(*s);
    EXPECT_EQ(sizes(w0), (std::vector<std::vector<int64_t>>{{2, 3}, {2, 3}}));
    EXPECT_EQ(array(w0, 0), Floats(6, 1.f));  // ones32
    EXPECT_EQ(array(w0, 1), Floats(6, 0.f));

    const Floats sj = random(6), bj = random(6), xj = random(2 * 3 * 4);
    flux::load_weights(*s, Weights({legolasflux::FlatArray::from_values<float>({2, 3}, sj),
                                    legolasflux::FlatArray::from_values<float>({2, 3}, bj)}));
    // σ.(scale .* x .+ bias) with x (2, 3, 4): y[i, j, n] = s[i, j] x[i, j, n] + b[i, j].
    Floats want(xj.size());
    for (int64_t n = 0; n < 4; ++n)
        for (int64_t k = 0; k < 6; ++k) want[k + 6 * n] = sj[k] * xj[k + 6 * n] + bj[k];
    expect_near(values(s->forward(julia(xj, {2, 3, 4}))), want);
    EXPECT_THROW(s->forward(julia(random(3 * 2), {3, 2})), legolasflux::ShapeError);

    // Flux's docstring: Scale([1 2 3 4], false, abs2) prints as Scale(1, 4, abs2; bias=false).
    flux::Scale b({1, 4}, flux::Function{"abs2", [](const at::Tensor& x) { return x * x; }}, {.bias = false});
    EXPECT_EQ(printed(*b), "Scale(1, 4, abs2; bias=false)");
    EXPECT_EQ(sizes(flux::fetch_weights(*b)), (std::vector<std::vector<int64_t>>{{1, 4}}));
    EXPECT_EQ(printed(*flux::Scale({2})), "Scale(2)");
    // (1, 4) broadcast over x (3, 4, 2): y[i, j, n] = s[1, j]^2 x[i, j, n]^2.
    const Floats b4 = random(4), x3 = random(3 * 4 * 2);
    flux::load_weights(*b, Weights({legolasflux::FlatArray::from_values<float>({1, 4}, b4)}));
    Floats want3(x3.size());
    for (int64_t n = 0; n < 2; ++n)
        for (int64_t j = 0; j < 4; ++j)
            for (int64_t i = 0; i < 3; ++i) {
                const float z = b4[j] * x3[i + 3 * (j + 4 * n)];
                want3[i + 3 * (j + 4 * n)] = z * z;
            }
    expect_near(values(b->forward(julia(x3, {3, 4, 2}))), want3);
}

TEST(FluxEmbedding, JuliaIndicesAndOneHot) {
    flux::Embedding e(5, 3);
    const Weights w = flux::fetch_weights(*e);
    EXPECT_EQ(sizes(w), (std::vector<std::vector<int64_t>>{{3, 5}}));  // weight (out, in)
    const Floats wj = array(w, 0);

    // Julia x = [1 4 5; 2 2 3] (2, 3): m(x) is (3, 2, 3), m(x)[:, a, b] = W[:, x[a, b]].
    const std::vector<int64_t> xj = {1, 2, 4, 2, 5, 3};
    const at::Tensor x = ::torch::tensor(xj).reshape({3, 2});
    const at::Tensor y = e->forward(x);
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{3, 2, 3}));
    Floats want;
    for (int64_t idx : xj)
        for (int64_t o = 0; o < 3; ++o) want.push_back(wj[o + 3 * (idx - 1)]);
    EXPECT_EQ(values(y), want);
    EXPECT_EQ(values(e->forward(::torch::tensor(int64_t(4)))), Floats(wj.begin() + 9, wj.begin() + 12));

    // One-hot (5, 2) columns 2 and 5: weight * x.
    at::Tensor hot = ::torch::zeros({2, 5}, at::kBool);
    hot[0][1] = true;
    hot[1][4] = true;
    Floats want_hot(wj.begin() + 3, wj.begin() + 6);
    want_hot.insert(want_hot.end(), wj.begin() + 12, wj.begin() + 15);
    EXPECT_EQ(values(e->forward(hot)), want_hot);

    EXPECT_THROW(e->forward(::torch::tensor({0, 1})), legolasflux::InvalidArgument);  // Julia's indices start at 1
    EXPECT_THROW(e->forward(::torch::tensor({6})), legolasflux::InvalidArgument);
    EXPECT_THROW(e->forward(::torch::zeros({2, 4}, at::kBool)), legolasflux::ShapeError);
    EXPECT_EQ(printed(*e), "Embedding(5 => 3)");
}

TEST(FluxEmbedding, PaddingIndexOfFlux016) {
    flux::Embedding e(4, 2, {.padding_idx = 2});
    EXPECT_EQ(printed(*e), "Embedding(4 => 2, padding_idx=2)");
    Floats wj = array(flux::fetch_weights(*e), 0);
    EXPECT_EQ(wj[2], 0.f);  // weight[:, 2] .= 0
    EXPECT_EQ(wj[3], 0.f);
    // Flux 0.16: _mask_padding zeroes the padding index's output even when the column is not zero.
    wj = random(8);
    flux::load_weights(*e, Weights({legolasflux::FlatArray::from_values<float>({2, 4}, wj)}));
    EXPECT_EQ(values(e->forward(::torch::tensor({3, 2, 1}))), (Floats{wj[4], wj[5], 0, 0, wj[0], wj[1]}));
    at::Tensor hot = ::torch::zeros({2, 4}, at::kBool);
    hot[0][1] = true;
    hot[1][3] = true;
    EXPECT_EQ(values(e->forward(hot)), (Floats{0, 0, wj[6], wj[7]}));
    EXPECT_THROW(flux::Embedding(4, 2, {.padding_idx = 5}), legolasflux::InvalidArgument);
}

TEST(FluxEmbeddingBag, ReductionsOffsetsAndOneHot) {
    flux::EmbeddingBag e(6, 2);
    EXPECT_EQ(sizes(flux::fetch_weights(*e)), (std::vector<std::vector<int64_t>>{{2, 6}}));
    const Floats wj = array(flux::fetch_weights(*e), 0);
    // A bag's mean embedding: out[o] = mean over the bag of W[o, idx].
    const auto bag = [&](std::vector<int64_t> idx, bool max) {
        Floats r;
        for (int64_t o = 0; o < 2; ++o) {
            double s = max ? -INFINITY : 0;
            for (int64_t i : idx) s = max ? std::max<double>(s, wj[o + 2 * (i - 1)]) : s + wj[o + 2 * (i - 1)];
            r.push_back(float(max ? s : s / double(idx.size())));
        }
        return r;
    };
    // Julia (3, 2) indices: bags [1, 3, 3] and [6, 2, 1] → (2, 2).
    const at::Tensor x = ::torch::tensor({1, 3, 3, 6, 2, 1}).reshape({2, 3});
    Floats want = bag({1, 3, 3}, false), second = bag({6, 2, 1}, false);
    want.insert(want.end(), second.begin(), second.end());
    expect_near(values(e->forward(x)), want);
    expect_near(values(e->forward(::torch::tensor({1, 3, 3}))), bag({1, 3, 3}, false));

    // Flux's _splitat test: data 1:6 (here 1:6 cycled), at = [1, 3, 6] gives bags [1,2], [3,4,5], [6,...].
    const at::Tensor data = ::torch::tensor({1, 2, 3, 4, 5, 6, 6, 1});
    Floats off = bag({1, 2}, false), b2 = bag({3, 4, 5}, false), b3 = bag({6, 6, 1}, false);
    off.insert(off.end(), b2.begin(), b2.end());
    off.insert(off.end(), b3.begin(), b3.end());
    expect_near(values(e->forward2(data, ::torch::tensor({1, 3, 6}))), off);
    EXPECT_THROW(e->forward2(data, ::torch::tensor({2, 3})), legolasflux::InvalidArgument);
    EXPECT_THROW(e->forward2(data, ::torch::tensor({1, 3, 3})), legolasflux::InvalidArgument);
    EXPECT_THROW(e->forward2(data, ::torch::tensor({1, 9})), legolasflux::InvalidArgument);

    // One-hot bags (6, 2, 1): indices 2 and 5 in one bag.
    at::Tensor hot = ::torch::zeros({1, 2, 6}, at::kBool);
    hot[0][0][1] = true;
    hot[0][1][4] = true;
    expect_near(values(e->forward(hot)), bag({2, 5}, false));
    EXPECT_THROW(e->forward(::torch::zeros({6}, at::kBool)), legolasflux::ShapeError);

    flux::EmbeddingBag m(6, 2, flux::maximum);
    flux::load_weights(*m, flux::fetch_weights(*e));
    expect_near(values(m->forward(::torch::tensor({6, 2, 1}))), bag({6, 2, 1}, true));
    EXPECT_EQ(printed(*m), "EmbeddingBag(6 => 2)");
}

TEST(FluxMaxout, MaximumOfTheLayers) {
    flux::Maxout mo(flux::Dense(3, 2), flux::Dense(3, 2));
    std::vector<std::string> names;
    const Weights w = flux::fetch_weights(*mo, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"}));
    flux::load_weights(*mo, Weights({legolasflux::FlatArray::from_values<float>({2, 3}, random(6)),
                                     legolasflux::FlatArray::from_values<float>({2}, random(2)),
                                     legolasflux::FlatArray::from_values<float>({2, 3}, random(6)),
                                     legolasflux::FlatArray::from_values<float>({2}, random(2))}));
    const Weights v = flux::fetch_weights(*mo);
    const Floats xj = random(3 * 4);
    const Floats a = dense_ref(array(v, 0), array(v, 1), xj, 3, 2), b = dense_ref(array(v, 2), array(v, 3), xj, 3, 2);
    Floats want(a.size());
    for (size_t i = 0; i < a.size(); ++i) want[i] = std::max(a[i], b[i]);
    expect_near(values(mo->forward(julia(xj, {3, 4}))), want);
    EXPECT_EQ(printed(*mo), "Maxout(Dense(3 => 2), Dense(3 => 2))");

    flux::Maxout three([] { return flux::Layer(flux::Dense(2, 2)); }, 3);
    EXPECT_EQ(three->size(), 3u);
    EXPECT_NE(three[0].ptr().get(), three[1].ptr().get());
    EXPECT_EQ(flux::fetch_weights(*three).size(), 6u);
}

TEST(FluxSkipConnection, LayersThenConnection) {
    // Flux's test: SkipConnection(Dense(10, 10), Bilinear(10, 10, 5)); here smaller.
    flux::SkipConnection sc(flux::Dense(3, 3), flux::Bilinear(3, 2));
    std::vector<std::string> names;
    const Weights w = flux::fetch_weights(*sc, &names);
    EXPECT_EQ(names,
              (std::vector<std::string>{"layers.weight", "layers.bias", "connection.weight", "connection.bias"}));
    EXPECT_EQ(sizes(w), (std::vector<std::vector<int64_t>>{{3, 3}, {3}, {2, 3, 3}, {2}}));
    const Floats xj = random(3 * 4);
    const Floats h = dense_ref(array(w, 0), array(w, 1), xj, 3, 3);
    expect_near(values(sc->forward(julia(xj, {3, 4}))), bilinear_ref(array(w, 2), array(w, 3), h, xj, 2, 3, 3));
    EXPECT_EQ(printed(*sc), "SkipConnection(Dense(3 => 3), Bilinear(3 => 2))");

    flux::SkipConnection res(flux::Dense(3, 3, relu), flux::add);
    const Weights r = flux::fetch_weights(*res);
    Floats want = dense_ref(array(r, 0), array(r, 1), xj, 3, 3);
    for (size_t i = 0; i < want.size(); ++i) want[i] = std::max(want[i], 0.f) + xj[i];
    expect_near(values(res->forward(julia(xj, {3, 4}))), want);
    EXPECT_EQ(printed(*res), "SkipConnection(Dense(3 => 3, relu), +)");
    EXPECT_THROW(flux::SkipConnection(flux::Dense(3, 2), flux::add)->forward(julia(xj, {3, 4})),
                 legolasflux::ShapeError);
}

TEST(FluxParallel, ConnectionThenLayers) {
    flux::Parallel p(flux::vcat, flux::Dense(2, 3), flux::Dense(2, 1));
    std::vector<std::string> names;
    const Weights w = flux::fetch_weights(*p, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"}));
    const Floats xj = random(2 * 5);
    // vcat of (3, 5) and (1, 5): column n is [a[:, n]; b[:, n]].
    const Floats a = dense_ref(array(w, 0), array(w, 1), xj, 2, 3), b = dense_ref(array(w, 2), array(w, 3), xj, 2, 1);
    Floats want;
    for (int64_t n = 0; n < 5; ++n) {
        want.insert(want.end(), a.begin() + 3 * n, a.begin() + 3 * n + 3);
        want.push_back(b[n]);
    }
    const at::Tensor y = p->forward(julia(xj, {2, 5}));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{5, 4}));
    expect_near(values(y), want);
    EXPECT_EQ(printed(*p), "Parallel(vcat, Dense(2 => 3), Dense(2 => 1))");

    // A Bilinear connection holds arrays: they come first, as Flux's connection field.
    flux::Parallel q(flux::Bilinear({3, 1}, 2), flux::Dense(2, 3), flux::Dense(2, 1));
    names.clear();
    const Weights wq = flux::fetch_weights(*q, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"connection.weight", "connection.bias", "0.weight", "0.bias", "1.weight",
                                               "1.bias"}));
    const Floats qa = dense_ref(array(wq, 2), array(wq, 3), xj, 2, 3),
                 qb = dense_ref(array(wq, 4), array(wq, 5), xj, 2, 1);
    expect_near(values(q->forward(julia(xj, {2, 5}))), bilinear_ref(array(wq, 0), array(wq, 1), qa, qb, 2, 3, 1));

    // Named, one input per layer, and +.
    flux::Parallel n(flux::add, {{"a", flux::Dense(2, 2)}, {"b", flux::Dense(3, 2)}});
    EXPECT_EQ(printed(*n), "Parallel(+, a = Dense(2 => 2), b = Dense(3 => 2))");
    const Weights wn = flux::fetch_weights(*n);
    const Floats x3 = random(3 * 5);
    Floats sum = dense_ref(array(wn, 0), array(wn, 1), xj, 2, 2);
    const Floats sb = dense_ref(array(wn, 2), array(wn, 3), x3, 3, 2);
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += sb[i];
    expect_near(values(n->forward_each({julia(xj, {2, 5}), julia(x3, {3, 5})})), sum);
    EXPECT_THROW(n->forward_each({julia(xj, {2, 5})}), legolasflux::InvalidArgument);
    EXPECT_EQ(n["b"].as<flux::DenseImpl>()->weight.size(1), 3);
    EXPECT_THROW(flux::Parallel(flux::add, {{"connection", flux::Dense(1, 1)}}), legolasflux::InvalidArgument);

    // hcat of vectors: Julia's (2,) and (2,) give (2, 2).
    flux::Parallel h(flux::hcat, relu, relu);
    EXPECT_EQ(h->forward(::torch::tensor({1.f, -2.f})).sizes(), (std::vector<int64_t>{2, 2}));
}

TEST(FluxPairwiseFusion, FusesEachOutputWithTheNextInput) {
    // Flux's test: PairwiseFusion(+, Dense(1, 30), Dense(30, 10)) on (rand(1, 10), rand(30, 10)).
    flux::PairwiseFusion pf(flux::add, flux::Dense(1, 4), flux::Dense(4, 2));
    const Weights w = flux::fetch_weights(*pf);
    EXPECT_EQ(sizes(w), (std::vector<std::vector<int64_t>>{{4, 1}, {4}, {2, 4}, {2}}));
    const Floats x1 = random(1 * 3), x2 = random(4 * 3);
    const std::vector<at::Tensor> ys = pf->forward_all(std::vector<at::Tensor>{julia(x1, {1, 3}), julia(x2, {4, 3})});
    ASSERT_EQ(ys.size(), 2u);
    const Floats y1 = dense_ref(array(w, 0), array(w, 1), x1, 1, 4);
    Floats fused = y1;
    for (size_t i = 0; i < fused.size(); ++i) fused[i] += x2[i];
    expect_near(values(ys[0]), y1);
    expect_near(values(ys[1]), dense_ref(array(w, 2), array(w, 3), fused, 4, 2));
    EXPECT_THROW(pf->forward_all(std::vector<at::Tensor>{julia(x1, {1, 3})}), legolasflux::InvalidArgument);
    EXPECT_EQ(printed(*pf), "PairwiseFusion(+, Dense(1 => 4), Dense(4 => 2))");

    // One input: y1 = l1(x), y2 = l2(y1 + x); forward is the last.
    flux::PairwiseFusion same(flux::add, flux::Dense(3, 3), flux::Dense(3, 3));
    const Weights ws = flux::fetch_weights(*same);
    const Floats x = random(3 * 2);
    Floats h = dense_ref(array(ws, 0), array(ws, 1), x, 3, 3);
    for (size_t i = 0; i < h.size(); ++i) h[i] += x[i];
    expect_near(values(same->forward(julia(x, {3, 2}))), dense_ref(array(ws, 2), array(ws, 3), h, 3, 3));
}

TEST(FluxLayers, RoundTripIntoAFreshModel) {
    const auto make = [] {
        return flux::Chain(flux::Parallel(flux::vcat, flux::Scale({3}), flux::Bilinear(3, 2)),
                           flux::SkipConnection(flux::Maxout(flux::Dense(5, 5), flux::Dense(5, 5)), flux::add),
                           flux::Dense(5, 2));
    };
    flux::Chain a = make(), b = make();
    std::vector<std::string> names;
    const Weights w = flux::fetch_weights(*a, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"0.0.scale", "0.0.bias", "0.1.weight", "0.1.bias", "1.layers.0.weight",
                                               "1.layers.0.bias", "1.layers.1.weight", "1.layers.1.bias", "2.weight",
                                               "2.bias"}));
    flux::load_weights(*b, w);
    const at::Tensor x = ::torch::randn({4, 3});
    EXPECT_TRUE(a->forward(x).equal(b->forward(x)));
    for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(flux::fetch_weights(*b)[i], w[i]);

    flux::Embedding e(7, 3), f(7, 3);
    flux::load_weights(*f, flux::fetch_weights(*e));
    EXPECT_TRUE(e->forward(::torch::tensor({7, 1})).equal(f->forward(::torch::tensor({7, 1}))));
}
