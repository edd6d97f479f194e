// Flux 0.14's MultiHeadAttention and NNlib's dot_product_attention: Julia's arrays, NNlib's
// published results, and the formula written as loops over Julia's column-major arrays.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux.hpp"
#include "legolasflux/torch/flux_attention.hpp"
#include "support/flux_arrays.hpp"

namespace flux = legolasflux::flux;
using legolasflux::Weights;

namespace {

using namespace lftest;

// NNlib.dot_product_attention on Julia arrays q (dqk, lq, B), k (dqk, lk, B), v (dv, lk, B):
// split_heads makes q[d, h, i, b] = q[d + (dqk ÷ H) h, i, b];
// logits[j, i, h, b] = Σ_d q[d, h, i, b] k[d, h, j, b] / √(dqk ÷ H) (+ bias[j, i]; masked to -Inf
// where !mask[j, i]); α = softmax over j; x[d, h, i, b] = Σ_j α[j, i, h, b] v[d, h, j, b], joined
// back to (dv, lq, B). Returns (x, α (lk, lq, H, B)).
std::pair<Floats, Floats> attention_ref(const Floats& q, const Floats& k, const Floats& v, int64_t dqk, int64_t dv,
                                        int64_t lq, int64_t lk, int64_t batch, int64_t heads, const Floats* bias,
                                        const std::vector<bool>* mask) {
    const int64_t hq = dqk / heads, hv = dv / heads;
    Floats x(dv * lq * batch), alpha(lk * lq * heads * batch);
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t i = 0; i < lq; ++i) {
                std::vector<double> logit(lk);
                double top = -INFINITY;
                for (int64_t j = 0; j < lk; ++j) {
                    double s = 0;
                    for (int64_t d = 0; d < hq; ++d)
                        s += double(q[d + hq * h + dqk * (i + lq * b)]) * k[d + hq * h + dqk * (j + lk * b)];
                    s /= std::sqrt(double(hq));
                    if (bias) s += (*bias)[j + lk * i];
                    if (mask && !(*mask)[j + lk * i]) s = -INFINITY;
                    logit[j] = s;
                    top = std::max(top, s);
                }
                double total = 0;
                for (double& l : logit) total += (l = std::exp(l - top));
                for (int64_t j = 0; j < lk; ++j) alpha[j + lk * (i + lq * (h + heads * b))] = float(logit[j] / total);
                for (int64_t d = 0; d < hv; ++d) {
                    double s = 0;
                    for (int64_t j = 0; j < lk; ++j) s += logit[j] / total * v[d + hv * h + dv * (j + lk * b)];
                    x[d + hv * h + dv * (i + lq * b)] = float(s);
                }
            }
    return {x, alpha};
}

}  // namespace

TEST(FluxDotProductAttention, NNlibSpecificResults) {
    // NNlib.jl test/attention.jl, "specific results" (v0.9.x):
    //   q = k = v = reshape([1:12;], 4, 3, 1) ./ 12; y, α = dot_product_attention(q, k, v; nheads=2)
    Floats qj;
    for (int i = 1; i <= 12; ++i) qj.push_back(float(i) / 12.f);
    const at::Tensor q = julia(qj, {4, 3, 1});
    const auto [y, alpha] = flux::dot_product_attention(q, q, q, {.nheads = 2});
    const Floats ytrue = {0.429754, 0.513087, 0.613791, 0.697125, 0.46431,  0.547644,
                          0.647876, 0.73121,  0.49773,  0.581064, 0.680455, 0.763788};
    const Floats atrue = {0.313896, 0.332948, 0.353157, 0.264431, 0.328206, 0.407362, 0.219215, 0.31838,  0.462405,
                          0.288691, 0.331243, 0.380066, 0.241239, 0.323893, 0.434868, 0.198438, 0.311761, 0.489801};
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 3, 4}));         // Julia (4, 3, 1)
    EXPECT_EQ(alpha.sizes(), (std::vector<int64_t>{1, 2, 3, 3}));  // Julia (3, 3, 2, 1)
    for (size_t i = 0; i < ytrue.size(); ++i) EXPECT_NEAR(values(y)[i], ytrue[i], 1e-5);
    for (size_t i = 0; i < atrue.size(); ++i) EXPECT_NEAR(values(alpha)[i], atrue[i], 1e-5);
}

TEST(FluxDotProductAttention, FormulaWithBiasAndMask) {
    const int64_t d = 6, dv = 4, lq = 3, lk = 5, batch = 2, heads = 2;
    const Floats q = random(d * lq * batch), k = random(d * lk * batch), v = random(dv * lk * batch),
                 bias = random(lk * lq);
    std::vector<bool> mask(lk * lq);
    for (size_t i = 0; i < mask.size(); ++i) mask[i] = (i * 7) % 3 != 0 || i % lk == 0;  // every query sees a key
    at::Tensor m = ::torch::zeros({lq, lk}, at::kBool);                                  // Julia (lk, lq)
    for (int64_t i = 0; i < lq; ++i)
        for (int64_t j = 0; j < lk; ++j) m[i][j] = bool(mask[j + lk * i]);
    const auto [x, alpha] =
        flux::dot_product_attention(julia(q, {d, lq, batch}), julia(k, {d, lk, batch}), julia(v, {dv, lk, batch}),
                                    {.bias = julia(bias, {lk, lq}), .mask = m, .nheads = heads});
    const auto [xr, ar] = attention_ref(q, k, v, d, dv, lq, lk, batch, heads, &bias, &mask);
    expect_near(values(x), xr);
    expect_near(values(alpha), ar);
    EXPECT_THROW(flux::dot_product_attention(julia(q, {d, lq, batch}), julia(k, {d, lk, batch}),
                                             julia(v, {dv, lk, batch}), {.nheads = 4}),
                 legolasflux::ShapeError);  // 6 is not divisible by 4
}

TEST(FluxMultiHeadAttention, ArraysInFieldOrder) {
    flux::MultiHeadAttention mha({3, 4, 5}, {6, 8}, 7, {.nheads = 2, .bias = true});
    std::vector<std::string> names;
    const Weights w = flux::fetch_weights(*mha, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias",
                                               "v_proj.weight", "v_proj.bias", "out_proj.weight", "out_proj.bias"}));
    std::vector<std::vector<int64_t>> sizes;
    for (const auto& a : w.arrays) sizes.push_back(a.size);
    EXPECT_EQ(sizes, (std::vector<std::vector<int64_t>>{{6, 3}, {6}, {6, 4}, {6}, {8, 5}, {8}, {7, 8}, {7}}));
    EXPECT_EQ(flux::fetch_weights(*flux::MultiHeadAttention(8)).size(), 4u);  // bias=false by default
    EXPECT_THROW(flux::MultiHeadAttention(6, {.nheads = 4}), legolasflux::InvalidArgument);
}

TEST(FluxMultiHeadAttention, ForwardIsTheFormula) {
    const int64_t lq = 3, lk = 4, batch = 2;
    flux::MultiHeadAttention mha({3, 4, 5}, {6, 8}, 7, {.nheads = 2, .bias = true});
    const Weights w = flux::fetch_weights(*mha);
    std::vector<legolasflux::FlatArray> loaded;
    for (const auto& a : w.arrays) {
        int64_t n = 1;
        for (int64_t s : a.size) n *= s;
        loaded.push_back(legolasflux::FlatArray::from_values<float>(a.size, random(n)));  // biases not zero
    }
    flux::load_weights(*mha, Weights(loaded));
    const Weights l = flux::fetch_weights(*mha);
    const Floats qin = random(3 * lq * batch), kin = random(4 * lk * batch), vin = random(5 * lk * batch);
    const Floats q = dense_ref(array(l, 0), array(l, 1), qin, 3, 6), k = dense_ref(array(l, 2), array(l, 3), kin, 4, 6),
                 v = dense_ref(array(l, 4), array(l, 5), vin, 5, 8);
    const auto [xr, ar] = attention_ref(q, k, v, 6, 8, lq, lk, batch, 2, nullptr, nullptr);
    const auto [y, alpha] =
        mha->attend(julia(qin, {3, lq, batch}), julia(kin, {4, lk, batch}), julia(vin, {5, lk, batch}));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{batch, lq, 7}));
    expect_near(values(y), dense_ref(array(l, 6), array(l, 7), xr, 8, 7), 2e-5);
    expect_near(values(alpha), ar);
    EXPECT_THROW(mha->attend(julia(kin, {4, lk, batch}), julia(kin, {4, lk, batch}), julia(vin, {5, lk, batch})),
                 legolasflux::ShapeError);

    // Round trip into a fresh module.
    flux::MultiHeadAttention fresh({3, 4, 5}, {6, 8}, 7, {.nheads = 2, .bias = true});
    flux::load_weights(*fresh, l);
    EXPECT_TRUE(fresh->attend(julia(qin, {3, lq, batch}), julia(kin, {4, lk, batch}), julia(vin, {5, lk, batch}))
                    .first.equal(y));
}

TEST(FluxMultiHeadAttention, SelfAttentionCausalMaskAndDropout) {
    // Flux's test/layers/attention.jl: dim = 4, nheads = 2, len = 3, batch_size = 5.
    flux::MultiHeadAttention mha(4, {.nheads = 2});
    const at::Tensor q = ::torch::rand({5, 3, 4});
    EXPECT_TRUE(mha->forward(q).equal(mha->attend(q, q, q).first));
    const at::Tensor mask = flux::make_causal_mask(q);
    const auto [y, alpha] = mha->attend(q, q, q, {}, mask);
    // Flux: all(α[2, 1, :, :] .== 0) — key 2 is not seen by query 1; α[:, :, 1, 1] is upper triangular.
    EXPECT_TRUE(alpha.select(3, 1).select(2, 0).eq(0).all().item<bool>());
    const at::Tensor a11 = alpha[0][0];  // Julia α[:, :, 1, 1] as torch [query, key]
    EXPECT_TRUE(a11.equal(a11.tril()));
    EXPECT_TRUE(mask.equal(::torch::tensor({1, 0, 0, 1, 1, 0, 1, 1, 1}).to(at::kBool).reshape({3, 3})));

    flux::MultiHeadAttention drop(4, {.nheads = 2, .dropout_prob = 0.5});
    flux::load_weights(*drop, flux::fetch_weights(*mha));
    drop->eval();
    EXPECT_TRUE(drop->forward(q).equal(mha->forward(q)));  // Flux's Dropout is off outside training
    drop->train();
    const at::Tensor dropped = drop->attend(q, q, q).second;
    EXPECT_GT(dropped.eq(0).sum().item<int64_t>(), 0);
}

TEST(FluxMultiHeadAttention, PrintsAsFlux) {
    // The printing cases listed in Flux 0.14's src/layers/attention.jl.
    EXPECT_EQ(printed(*flux::MultiHeadAttention({3, 4, 5}, {6, 7}, 8, {.nheads = 1})),
              "MultiHeadAttention((3, 4, 5) => (6, 7) => 8; nheads=1)");
    EXPECT_EQ(printed(*flux::MultiHeadAttention({3, 3, 3}, {6, 7}, 8, {.nheads = 1})),
              "MultiHeadAttention(3 => (6, 7) => 8; nheads=1)");
    EXPECT_EQ(printed(*flux::MultiHeadAttention(3, 6, 8, {.nheads = 1})), "MultiHeadAttention(3 => 6 => 8; nheads=1)");
    EXPECT_EQ(printed(*flux::MultiHeadAttention(8, {.bias = true})), "MultiHeadAttention(8; nheads=8, bias=true)");
    EXPECT_EQ(printed(*flux::MultiHeadAttention(8, {.dropout_prob = 0.1})),
              "MultiHeadAttention(8; nheads=8, dropout_prob=0.1)");
}
