// Flux's normalisation and dropout layers: Julia's arrays, Flux's formulas in plain loops over
// Julia's column-major arrays (a torch [N, C, H, W] tensor has the bytes of Julia's (W, H, C, N),
// so flat index s + S (c + C n) is Julia's x[s, c, n] with the spatial axes flattened), running
// statistics, Flux's own test values, round trips and printing.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <sstream>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux_normalise.hpp"

namespace flux = legolasflux::flux;
using legolasflux::Weights;

namespace {

const flux::Function kSigmoid{"σ", [](const at::Tensor& x) { return x.sigmoid(); }};

std::vector<float> values(const at::Tensor& t) {
    const at::Tensor c = t.contiguous().to(at::kFloat);
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

std::vector<float> random_values(int64_t n, double scale = 1, double offset = 0) {
    return values(::torch::randn({n}) * scale + offset);
}

legolasflux::FlatArray array(const std::vector<float>& v, std::vector<int64_t> size) {
    return legolasflux::FlatArray::from_values<float>(std::move(size), v);
}

std::vector<std::vector<int64_t>> sizes(const Weights& w) {
    std::vector<std::vector<int64_t>> out;
    for (size_t i = 0; i < w.size(); ++i) out.push_back(w[i].size);
    return out;
}

std::string printed(const ::torch::nn::Module& m) {
    std::ostringstream s;
    m.pretty_print(s);
    return s.str();
}

void expect_near(const std::vector<float>& got, const std::vector<double>& want, double tol = 1e-5) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
        EXPECT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i]))) << "at flat index " << i;
}

// Mean and uncorrected variance of the elements x[i] for which group(i) == g.
struct Stats {
    std::vector<double> mean, var;
};
Stats statistics(const std::vector<float>& x, int64_t groups, const std::function<int64_t(int64_t)>& group) {
    Stats s{std::vector<double>(groups), std::vector<double>(groups)};
    std::vector<double> count(groups);
    for (size_t i = 0; i < x.size(); ++i) s.mean[group(i)] += x[i], count[group(i)] += 1;
    for (int64_t g = 0; g < groups; ++g) s.mean[g] /= count[g];
    for (size_t i = 0; i < x.size(); ++i) s.var[group(i)] += std::pow(x[i] - s.mean[group(i)], 2);
    for (int64_t g = 0; g < groups; ++g) s.var[g] /= count[g];
    return s;
}

// Flux's _norm_layer_forward: scale = γ ./ sqrt.(σ² .+ ϵ); bias = -scale .* μ .+ β;
// λ.(scale .* x .+ bias), with statistic group `stat(i)` and channel `channel(i)` of element i.
std::vector<double> norm_reference(const std::vector<float>& x, const Stats& s,
                                   const std::function<int64_t(int64_t)>& stat,
                                   const std::function<int64_t(int64_t)>& channel, const std::vector<float>& gamma,
                                   const std::vector<float>& beta, double eps, bool sigmoid = false) {
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const int64_t g = stat(i), c = channel(i);
        const double scale = (gamma.empty() ? 1.0 : gamma[c]) / std::sqrt(s.var[g] + eps);
        const double bias = -scale * s.mean[g] + (beta.empty() ? 0.0 : beta[c]);
        y[i] = scale * x[i] + bias;
        if (sigmoid) y[i] = 1 / (1 + std::exp(-y[i]));
    }
    return y;
}

}  // namespace

// ---- BatchNorm ----

TEST(FluxBatchNorm, ArraysAreBetaGammaMuSigma2InFieldOrder) {
    std::vector<std::string> names;
    const Weights all = flux::fetch_weights(*flux::BatchNorm(3), &names);
    EXPECT_EQ(names, (std::vector<std::string>{"bias", "weight", "running_mean", "running_var"}));
    EXPECT_EQ(sizes(all), (std::vector<std::vector<int64_t>>(4, {3})));
    EXPECT_EQ(values(flux::BatchNorm(3)->running_var), (std::vector<float>{1, 1, 1}));  // σ² = ones32
    EXPECT_EQ(flux::fetch_weights(*flux::BatchNorm(3, {.affine = false}), &names).size(), 2u);
    EXPECT_EQ(names, (std::vector<std::string>{"running_mean", "running_var"}));
    EXPECT_EQ(flux::fetch_weights(*flux::BatchNorm(3, {.track_stats = false}), &names).size(), 2u);
    EXPECT_EQ(names, (std::vector<std::string>{"bias", "weight"}));
}

TEST(FluxBatchNorm, EvalUsesTrackedStatisticsAsTheFormula) {
    const int64_t S = 4 * 3, C = 3, N = 2;  // Julia (4, 3, 3, 2)
    flux::BatchNorm bn(C, kSigmoid);
    const std::vector<float> beta = random_values(C), gamma = random_values(C), mu = random_values(C),
                             var = values(::torch::rand({C}) + 0.5);
    flux::load_weights(*bn, Weights({array(beta, {C}), array(gamma, {C}), array(mu, {C}), array(var, {C})}));
    const std::vector<float> xj = random_values(S * C * N);
    const at::Tensor x = ::torch::tensor(xj).reshape({N, C, 3, 4});
    const Stats tracked{{mu.begin(), mu.end()}, {var.begin(), var.end()}};
    auto channel = [&](int64_t i) { return (i / S) % C; };
    expect_near(values(bn(x)), norm_reference(xj, tracked, channel, channel, gamma, beta, 1e-5, true));
    EXPECT_EQ(values(bn->running_mean), mu);  // eval leaves the statistics alone

    // Round trip: the arrays fetched load into a fresh module that computes the same.
    flux::BatchNorm fresh(C, kSigmoid);
    flux::load_weights(*fresh, flux::fetch_weights(*bn));
    EXPECT_TRUE(fresh(x).equal(bn(x)));
}

TEST(FluxBatchNorm, UntrackedUsesBatchStatisticsEvenInEval) {
    const int64_t C = 3, N = 5;  // Julia (3, 5): features × batch
    flux::BatchNorm bn(C, {}, {.track_stats = false, .eps = 1e-3});
    const std::vector<float> xj = random_values(C * N);
    auto channel = [&](int64_t i) { return i % C; };
    const Stats batch = statistics(xj, C, channel);
    expect_near(values(bn(::torch::tensor(xj).reshape({N, C}))),
                norm_reference(xj, batch, channel, channel, {}, {}, 1e-3));
}

TEST(FluxBatchNorm, TrainingUsesBatchStatisticsAndUpdatesWithFluxsMomentum) {
    const int64_t S = 2 * 2, C = 2, N = 3;
    flux::BatchNorm bn(C, {}, {.momentum = 0.3});
    bn->train();
    const std::vector<float> xj = random_values(S * C * N, 2, 1);
    auto channel = [&](int64_t i) { return (i / S) % C; };
    const Stats batch = statistics(xj, C, channel);
    expect_near(values(bn(::torch::tensor(xj).reshape({N, C, 2, 2}))),
                norm_reference(xj, batch, channel, channel, {1, 1}, {0, 0}, 1e-5));
    // _track_stats!: μ = (1-mtm) μ + mtm mean; σ² = (1-mtm) σ² + mtm (m/(m-1)) var, m = S·N.
    const double m = S * N;
    expect_near(values(bn->running_mean), {0.3 * batch.mean[0], 0.3 * batch.mean[1]});
    expect_near(values(bn->running_var),
                {0.7 + 0.3 * m / (m - 1) * batch.var[0], 0.7 + 0.3 * m / (m - 1) * batch.var[1]});
}

// Flux v0.13.17 test/layers/normalisation.jl, testset "BatchNorm": x = [1 3 5; 2 4 6].
TEST(FluxBatchNorm, FluxsOwnTestValues) {
    flux::BatchNorm bn(2);
    const at::Tensor x = ::torch::tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}).reshape({3, 2});  // Julia (2, 3)
    bn->train();
    expect_near(values(bn(x)), {-1.22474, -1.22474, 0, 0, 1.22474, 1.22474}, 1e-5);
    expect_near(values(bn->running_mean), {0.3, 0.4});
    expect_near(values(bn->running_var), {1.3, 1.3});
    bn->eval();
    EXPECT_NEAR(values(bn(x))[0], (1 - 0.3) / std::sqrt(1.3), 1e-5);
}

TEST(FluxBatchNorm, PrintsAsFlux) {
    EXPECT_EQ(printed(*flux::BatchNorm(3)), "BatchNorm(3)");
    EXPECT_EQ(printed(*flux::BatchNorm(3, kSigmoid, {.affine = false})), "BatchNorm(3, σ, affine=false)");
    flux::BatchNorm bn(4);
    bn->train();
    EXPECT_EQ(printed(*bn), "BatchNorm(4, active=true)");
}

TEST(FluxBatchNorm, WrongChannelsAndArguments) {
    EXPECT_THROW(flux::BatchNorm(3)(::torch::zeros({2, 4})), legolasflux::ShapeError);
    EXPECT_THROW(flux::BatchNorm(3)(::torch::zeros({3})), legolasflux::ShapeError);
    EXPECT_THROW(flux::BatchNorm(0), legolasflux::InvalidArgument);
}

// ---- InstanceNorm ----

TEST(FluxInstanceNorm, ArraysDefaultToNone) {
    EXPECT_EQ(flux::fetch_weights(*flux::InstanceNorm(3, kSigmoid, {.affine = true})).size(), 2u);
    std::vector<std::string> names;
    const Weights w = flux::fetch_weights(*flux::InstanceNorm(3, {.affine = true, .track_stats = true}), &names);
    EXPECT_EQ(names, (std::vector<std::string>{"bias", "weight", "running_mean", "running_var"}));
    EXPECT_EQ(sizes(w), (std::vector<std::vector<int64_t>>(4, {3})));
    // Flux's defaults (affine=false, track_stats=false) hold no array at all.
    flux::InstanceNorm plain(3);
    EXPECT_TRUE(plain->named_parameters().is_empty() && plain->named_buffers().is_empty());
}

TEST(FluxInstanceNorm, EvalIsThePerSampleFormula) {
    const int64_t S = 5, C = 3, N = 2;  // Julia (5, 3, 2)
    flux::InstanceNorm in(C, kSigmoid, {.affine = true});
    const std::vector<float> beta = random_values(C), gamma = random_values(C);
    flux::load_weights(*in, Weights({array(beta, {C}), array(gamma, {C})}));
    const std::vector<float> xj = random_values(S * C * N);
    auto slice = [&](int64_t i) { return i / S; };  // (c, n)
    auto channel = [&](int64_t i) { return (i / S) % C; };
    expect_near(values(in(::torch::tensor(xj).reshape({N, C, S}))),
                norm_reference(xj, statistics(xj, C * N, slice), slice, channel, gamma, beta, 1e-5, true));
}

// Flux v0.13.17 test/layers/normalisation.jl, testset "InstanceNorm": sizes (3, 2, 2), x = 1:12.
TEST(FluxInstanceNorm, FluxsOwnTestValuesAndTrackedEval) {
    flux::InstanceNorm in(2, {}, {.affine = true, .track_stats = true});
    const std::vector<float> xj = values(::torch::arange(1, 13, ::torch::kFloat));
    const at::Tensor x = ::torch::tensor(xj).reshape({2, 2, 3});
    in->train();
    in(x);
    expect_near(values(in->running_mean), {0.5, 0.8});
    // σ² = 0.1 · n/(n-1) · mean over the batch of each slice's variance + 0.9, n = 3: every slice
    // of three consecutive integers has variance 2/3.
    expect_near(values(in->running_var), {0.1 * 1.5 * (2.0 / 3) + 0.9, 0.1 * 1.5 * (2.0 / 3) + 0.9});
    in->eval();
    const std::vector<float> mu = values(in->running_mean), var = values(in->running_var);
    auto channel = [&](int64_t i) { return (i / 3) % 2; };
    expect_near(values(in(x)), norm_reference(xj, Stats{{mu.begin(), mu.end()}, {var.begin(), var.end()}}, channel,
                                              channel, {1, 1}, {0, 0}, 1e-5));
}

TEST(FluxInstanceNorm, PrintsAndChecks) {
    EXPECT_EQ(printed(*flux::InstanceNorm(3)), "InstanceNorm(3, affine=false)");
    EXPECT_EQ(printed(*flux::InstanceNorm(3, kSigmoid, {.affine = true})), "InstanceNorm(3, σ)");
    EXPECT_THROW(flux::InstanceNorm(3)(::torch::zeros({2, 3})), legolasflux::ShapeError);
}

// ---- GroupNorm ----

TEST(FluxGroupNorm, ArraysAndTrackedStatisticsPerGroup) {
    std::vector<std::string> names;
    EXPECT_EQ(sizes(flux::fetch_weights(*flux::GroupNorm(4, 2), &names)),
              (std::vector<std::vector<int64_t>>{{4}, {4}}));
    EXPECT_EQ(names, (std::vector<std::string>{"bias", "weight"}));
    // Flux 0.13's track_stats=true: μ, σ² of length G, stored by fetch_weights.
    EXPECT_EQ(sizes(flux::fetch_weights(*flux::GroupNorm(4, 2, {.track_stats = true}))),
              (std::vector<std::vector<int64_t>>{{4}, {4}, {2}, {2}}));
    // Julia's fetch_weights of a model with no arrays fails; here: no tensors at all.
    EXPECT_TRUE(legolasflux::torch::flux_tensors(*flux::GroupNorm(4, 2, {.affine = false})).empty());
    EXPECT_THROW(flux::GroupNorm(6, 4), legolasflux::InvalidArgument);
}

TEST(FluxGroupNorm, IsTheFormulaOverConsecutiveChannels) {
    const int64_t S = 3 * 2, C = 6, G = 3, N = 2;  // Julia (3, 2, 6, 2)
    flux::GroupNorm gn(C, G, kSigmoid);
    const std::vector<float> beta = random_values(C), gamma = random_values(C);
    flux::load_weights(*gn, Weights({array(beta, {C}), array(gamma, {C})}));
    const std::vector<float> xj = random_values(S * C * N);
    auto group = [&](int64_t i) { return i / (S * C / G); };  // (g, n): channels c ÷ (C/G)
    auto channel = [&](int64_t i) { return (i / S) % C; };
    const at::Tensor x = ::torch::tensor(xj).reshape({N, C, 2, 3});
    const std::vector<double> want =
        norm_reference(xj, statistics(xj, G * N, group), group, channel, gamma, beta, 1e-5, true);
    expect_near(values(gn(x)), want);
    flux::GroupNorm fresh(C, G, kSigmoid);
    flux::load_weights(*fresh, flux::fetch_weights(*gn));
    EXPECT_TRUE(fresh(x).equal(gn(x)));
}

// Flux v0.13.17 test/layers/normalisation.jl, testset "GroupNorm": GroupNorm(4, 2,
// track_stats=true), sizes (3, 4, 2), x = 1:24.
TEST(FluxGroupNorm, FluxsOwnTestValuesWithTrackedStatistics) {
    flux::GroupNorm gn(4, 2, {.track_stats = true});
    const std::vector<float> xj = values(::torch::arange(1, 25, ::torch::kFloat));
    const at::Tensor x = ::torch::tensor(xj).reshape({2, 4, 3});
    gn->train();
    auto group = [](int64_t i) { return i / 6; };
    auto channel = [](int64_t i) { return (i / 3) % 4; };
    const std::vector<double> batch = norm_reference(xj, statistics(xj, 4, group), group, channel, {}, {}, 1e-5);
    expect_near(values(gn(x)), batch);
    expect_near(values(gn->running_mean), {0.95, 1.55});
    // Each group is six consecutive integers: variance 35/12, corrected by 6/5.
    expect_near(values(gn->running_var), {0.1 * 1.2 * 35 / 12 + 0.9, 0.1 * 1.2 * 35 / 12 + 0.9});
    gn->eval();
    const std::vector<float> mu = values(gn->running_mean), var = values(gn->running_var);
    auto tracked_group = [](int64_t i) { return (i / 6) % 2; };
    expect_near(values(gn(x)), norm_reference(xj, Stats{{mu.begin(), mu.end()}, {var.begin(), var.end()}},
                                              tracked_group, channel, {}, {}, 1e-5));
}

TEST(FluxGroupNorm, Prints) {
    EXPECT_EQ(printed(*flux::GroupNorm(4, 2)), "GroupNorm(4, 2)");
    EXPECT_EQ(printed(*flux::GroupNorm(4, 2, kSigmoid, {.affine = false})), "GroupNorm(4, 2, σ, affine=false)");
    EXPECT_THROW(flux::GroupNorm(4, 2)(::torch::zeros({1, 3, 2})), legolasflux::ShapeError);
}

// ---- LayerNorm ----

TEST(FluxLayerNorm, ArraysAreItsScales) {
    std::vector<std::string> names;
    const Weights w = flux::fetch_weights(*flux::LayerNorm({2, 3}), &names);
    EXPECT_EQ(names, (std::vector<std::string>{"scale", "bias"}));  // diag::Scale's scale, bias
    EXPECT_EQ(sizes(w), (std::vector<std::vector<int64_t>>{{2, 3}, {2, 3}}));
    EXPECT_TRUE(legolasflux::torch::flux_tensors(*flux::LayerNorm(5, {.affine = false})).empty());
    EXPECT_EQ(flux::LayerNorm({2, 3})->scale.sizes(), (c10::IntArrayRef{3, 2}));
}

// normalise over the first length(size) Julia dimensions (M consecutive elements), then
// scale .* y .+ bias; 0.13/0.14 divide by (σ + ϵ), 0.15+ by sqrt(σ² + ϵ²).
std::vector<double> layer_norm_reference(const std::vector<float>& x, int64_t M, const std::vector<float>& scale,
                                         const std::vector<float>& bias, double eps, bool v0_15) {
    auto block = [&](int64_t i) { return i / M; };
    const Stats s = statistics(x, static_cast<int64_t>(x.size()) / M, block);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const double sd = std::sqrt(s.var[block(i)]);
        const double n = (x[i] - s.mean[block(i)]) / (v0_15 ? std::sqrt(sd * sd + eps * eps) : sd + eps);
        y[i] = scale.empty() ? n : scale[i % M] * n + bias[i % M];
    }
    return y;
}

TEST(FluxLayerNorm, EachGenerationsNormalise) {
    // A spread of 1e-4 makes (σ + ϵ), sqrt(σ² + ϵ²) and LibTorch's sqrt(σ² + ϵ) three different answers.
    // Fixed numbers, not random ones: the answers must differ on every machine's random stream.
    std::vector<float> xj(2 * 3 * 4), scale(6), bias(6);
    for (size_t i = 0; i < xj.size(); ++i) xj[i] = static_cast<float>(1e-4 * std::sin(1.0 + 2.0 * i));
    for (size_t i = 0; i < scale.size(); ++i) {
        scale[i] = 0.5f + 0.25f * static_cast<float>(i);
        bias[i] = 0.1f * static_cast<float>(i) - 0.3f;
    }
    const at::Tensor x = ::torch::tensor(xj).reshape({4, 3, 2});  // Julia (2, 3, 4)
    std::vector<std::vector<float>> outputs;
    for (auto generation : {flux::Generation::v0_13, flux::Generation::v0_15}) {
        flux::LayerNorm ln({2, 3}, {}, {.generation = generation});
        flux::load_weights(*ln, Weights({array(scale, {2, 3}), array(bias, {2, 3})}));
        outputs.push_back(values(ln(x)));
        expect_near(outputs.back(),
                    layer_norm_reference(xj, 6, scale, bias, 1e-5, generation == flux::Generation::v0_15), 1e-4);
    }
    EXPECT_GT((::torch::tensor(outputs[0]) - ::torch::tensor(outputs[1])).abs().max().item<float>(), 1e-2);
    EXPECT_GT((::torch::tensor(outputs[0]) - at::layer_norm(x, {3, 2}).flatten()).abs().max().item<float>(), 0.1);
}

TEST(FluxLayerNorm, OneDimensionActivationAndNoAffine) {
    const std::vector<float> xj = random_values(3 * 5, 2, 1);
    const at::Tensor x = ::torch::tensor(xj).reshape({5, 3});
    std::vector<double> want = layer_norm_reference(xj, 3, {}, {}, 1e-5, false);
    for (double& v : want) v = 1 / (1 + std::exp(-v));
    expect_near(values(flux::LayerNorm(3, kSigmoid)(x)), want);
    expect_near(values(flux::LayerNorm(3, kSigmoid, {.affine = false})(x)), want);
    // Without a Scale, Flux checks no size: LayerNorm(7, affine=false) normalises the first dimension.
    expect_near(values(flux::LayerNorm(7, {.affine = false})(x)), layer_norm_reference(xj, 3, {}, {}, 1e-5, false));
    EXPECT_THROW(flux::LayerNorm(4)(x), legolasflux::ShapeError);
    EXPECT_THROW(flux::LayerNorm({3, 5, 2}, {.affine = false})(x), legolasflux::ShapeError);
}

TEST(FluxLayerNorm, RoundTripAndPrints) {
    flux::LayerNorm ln({2, 3});
    flux::load_weights(*ln, Weights({array(random_values(6), {2, 3}), array(random_values(6), {2, 3})}));
    flux::LayerNorm fresh({2, 3});
    flux::load_weights(*fresh, flux::fetch_weights(*ln));
    const at::Tensor x = ::torch::randn({4, 3, 2});
    EXPECT_TRUE(fresh(x).equal(ln(x)));
    EXPECT_EQ(printed(*ln), "LayerNorm(2, 3)");
    EXPECT_EQ(printed(*flux::LayerNorm(5, kSigmoid, {.affine = false})), "LayerNorm(5, σ, affine=false)");
    EXPECT_THROW(flux::LayerNorm({2, 0}), legolasflux::InvalidArgument);
}

// ---- Dropout, AlphaDropout ----

TEST(FluxDropout, IdentityInEvalFluxsScalingInTraining) {
    flux::Dropout d(0.4);
    const at::Tensor x = ::torch::rand({50, 40}) + 1;
    EXPECT_TRUE(d(x).equal(x));  // constructed in eval(): Flux's automatic mode outside a gradient
    d->train();
    const std::vector<float> xs = values(x), ys = values(d(x));
    size_t zeros = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
        if (ys[i] == 0)
            ++zeros;
        else
            EXPECT_FLOAT_EQ(ys[i], xs[i] * (1.0f / (1.0f - 0.4f)));
    }
    EXPECT_NEAR(double(zeros) / xs.size(), 0.4, 0.05);
    flux::Dropout one(1);
    one->train();
    EXPECT_TRUE(one(x).equal(::torch::zeros_like(x)));
    EXPECT_THROW(flux::Dropout(1.5), legolasflux::InvalidArgument);
}

TEST(FluxDropout, DimsShareTheChoiceAlongTheOtherDimensions) {
    // Julia (100, 50) with dims=2: one choice per column (Julia's second index = torch's first).
    flux::Dropout d(0.5, {.dims = {2}});
    d->train();
    const at::Tensor y = d(::torch::ones({50, 100}));
    const at::Tensor dropped = (y == 0);
    EXPECT_TRUE(dropped.all(1).logical_or(dropped.logical_not().all(1)).all().item<bool>());
    const int64_t columns = dropped.all(1).sum().item<int64_t>();
    EXPECT_GT(columns, 5);
    EXPECT_LT(columns, 45);
}

TEST(FluxDropout, Prints) {
    EXPECT_EQ(printed(*flux::Dropout(0.4)), "Dropout(0.4)");
    EXPECT_EQ(printed(*flux::Dropout(1)), "Dropout(1.0)");
    EXPECT_EQ(printed(*flux::Dropout(1e-5, {.dims = {3}})), "Dropout(1.0e-5, dims=3)");
    flux::Dropout d(0.25, {.dims = {1, 2}});
    d->train();
    EXPECT_EQ(printed(*d), "Dropout(0.25, dims=(1, 2), active=true)");
}

TEST(FluxAlphaDropout, FluxsAffineOfTheKeptOrAlpha) {
    const double p = 0.2, alpha = double(float(-1.7580993408473766));
    const float a = float(1 / std::sqrt((1 - p) * (1 + p * alpha * alpha))), b = float(-double(a) * alpha * p);
    flux::AlphaDropout d(p);
    const at::Tensor x = ::torch::randn({1000});
    EXPECT_TRUE(d(x).equal(x));
    d->train();
    const std::vector<float> xs = values(x), ys = values(d(x));
    size_t dropped = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
        const float kept = a * xs[i] + b, gone = a * float(alpha) + b;
        if (std::fabs(ys[i] - gone) < 1e-6f && std::fabs(ys[i] - kept) > 1e-6f)
            ++dropped;
        else
            EXPECT_NEAR(ys[i], kept, 1e-6);
    }
    EXPECT_NEAR(double(dropped) / xs.size(), p, 0.05);
    // Flux's test: mean and variance are kept for standard normal input.
    const at::Tensor y = d(::torch::randn({20000}));
    EXPECT_NEAR(y.mean().item<float>(), 0, 0.05);
    EXPECT_NEAR(y.var().item<float>(), 1, 0.05);
    EXPECT_EQ(printed(*d), "AlphaDropout(0.2)");
}

// GroupNorm accepts Julia's (C, N) as Flux does: the statistics of each group of features.
TEST(FluxGroupNorm, FeaturesByBatch) {
    const int64_t C = 6, G = 2, N = 3;
    flux::GroupNorm gn(C, G);
    const std::vector<float> xj = random_values(C * N);
    auto group = [&](int64_t i) { return i / (C / G); };
    auto channel = [&](int64_t i) { return i % C; };
    expect_near(values(gn(::torch::tensor(xj).reshape({N, C}))),
                norm_reference(xj, statistics(xj, G * N, group), group, channel, {}, {}, 1e-5));
}

// In a Chain: the arrays in Flux's order, and the Chain's train()/eval() is Flux's
// trainmode!/testmode! for every layer it holds.
TEST(FluxNormalise, InAChain) {
    const flux::Function relu{"relu", [](const at::Tensor& x) { return x.relu(); }};
    flux::Chain c(flux::LayerNorm(3), flux::BatchNorm(3, relu), flux::Dropout(0.5), flux::GroupNorm(3, 3));
    std::vector<std::string> names;
    const Weights w = flux::fetch_weights(*c, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"0.scale", "0.bias", "1.bias", "1.weight", "1.running_mean",
                                               "1.running_var", "3.bias", "3.weight"}));
    const at::Tensor x = ::torch::randn({4, 3});  // Julia (3, 4)
    c->eval();
    const at::Tensor inference = c(x);
    EXPECT_TRUE(inference.equal(c(x)));
    c->train();
    EXPECT_TRUE(c[2]->is_training());
    c(x);
    EXPECT_FALSE(values(c[1].as<flux::BatchNormImpl>()->running_mean) == std::vector<float>(3, 0.f));
    c->eval();
    EXPECT_FALSE(c[1]->is_training());
}

// A constant slice has σ = 0: Flux gives 0/(0 + ϵ) = 0 (then the Scale's bias), not NaN.
TEST(FluxLayerNorm, ConstantSliceIsZeroNotNaN) {
    flux::LayerNorm ln(4);
    flux::load_weights(*ln, Weights({array({1, 2, 3, 4}, {4}), array({0.5f, 0, 0, -1}, {4})}));
    const at::Tensor x = ::torch::tensor({3.f, 3.f, 3.f, 3.f, 1.f, 2.f, 3.f, 4.f}).reshape({2, 4});
    const std::vector<float> y = values(ln(x));
    EXPECT_EQ(std::vector<float>(y.begin(), y.begin() + 4), (std::vector<float>{0.5f, 0, 0, -1}));
    const std::vector<float> xj = values(x);
    expect_near(y, layer_norm_reference(xj, 4, {1, 2, 3, 4}, {0.5f, 0, 0, -1}, 1e-5, false));
    expect_near(values(flux::LayerNorm(4, {.affine = false})(x)), layer_norm_reference(xj, 4, {}, {}, 1e-5, false));
    // 0.15+'s sqrt(σ² + ϵ²) = 1e-5 magnifies any error in the statistics of a constant slice
    // (LibTorch's layer norm leaves one); 0.75 sums exactly, so Julia's mean is exact and y is 0.
    const at::Tensor constant = ::torch::full({3, 10}, 0.75f);
    EXPECT_TRUE(flux::LayerNorm(10, {.generation = flux::Generation::v0_15})(constant).eq(0).all().item<bool>());
}
