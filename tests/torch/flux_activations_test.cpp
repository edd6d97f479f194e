// NNlib's activations against NNlib's formulas (plain scalar code in double, transcribed from
// NNlib 0.9.22 src/activations.jl) and NNlib's own literal values.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <limits>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux_activations.hpp"
#include "legolasflux/torch/flux_basic.hpp"
#include "legolasflux/torch/flux_pooling.hpp"

namespace flux = legolasflux::flux;

namespace {

double relu_s(double x) { return x < 0 ? 0 : x; }
double sigmoid_s(double x) {
    const double t = std::exp(-std::abs(x));
    return x >= 0 ? 1 / (1 + t) : t / (1 + t);
}
double softplus_s(double x) { return std::log1p(std::exp(-std::abs(x))) + relu_s(x); }
double leakyrelu_s(double x, double a) { return x > 0 ? x : a * x; }
double elu_s(double x, double a) { return x >= 0 ? x : a * (std::exp(x) - 1); }
double celu_s(double x, double a) { return x >= 0 ? x : a * (std::exp(x / a) - 1); }
double softshrink_s(double x, double l) {
    const double lo = x - l, hi = x + l;
    return hi > 0 ? (lo < 0 ? 0 : lo) : hi;
}
double trelu_s(double x, double t) { return x <= t ? 0 : x; }
double hardsigmoid_s(double x) { return std::clamp((x + 3) / 6, 0.0, 1.0); }

struct Case {
    const flux::Function& f;
    std::function<double(double)> reference;
};

// The grid: negative, zero, positive, small and large.
std::vector<float> grid() {
    std::vector<float> g = {-100,  -30,  -20, -10, -6,   -3.5f, -3, -1, -0.5f, -1e-3f, 0,
                            1e-3f, 0.5f, 1,   3,   3.5f, 6,     10, 20, 30,    100};
    for (int i = -40; i <= 40; ++i) g.push_back(i * 0.137f);
    return g;
}

void expect_matches(const flux::Function& f, const std::function<double(double)>& reference, double tol = 1e-5) {
    const std::vector<float> xs = grid();
    const at::Tensor y = f(::torch::tensor(xs).reshape({3, -1})).contiguous();  // any shape: elementwise
    ASSERT_EQ(y.numel(), static_cast<int64_t>(xs.size())) << f.name;
    for (size_t i = 0; i < xs.size(); ++i) {
        const double want = reference(xs[i]), got = y.data_ptr<float>()[i];
        EXPECT_NEAR(got, want, tol * std::max(1.0, std::abs(want))) << f.name << "(" << xs[i] << ")";
    }
}

float at_f32(const flux::Function& f, float x) { return f(::torch::tensor({x})).item<float>(); }
double at_f64(const flux::Function& f, double x) {
    return f(::torch::tensor({x}, ::torch::dtype(::torch::kFloat64))).item<double>();
}

}  // namespace

TEST(FluxActivations, EachIsNNlibsFormula) {
    const double pi = 3.14159265358979323846;
    const std::vector<Case> cases = {
        {flux::sigmoid, sigmoid_s},
        {flux::sigmoid_fast, sigmoid_s},
        {flux::hardsigmoid, hardsigmoid_s},
        {flux::logsigmoid, [](double x) { return -softplus_s(-x); }},
        {flux::hardtanh, [](double x) { return std::clamp(x, -1.0, 1.0); }},
        {flux::relu, relu_s},
        {flux::leakyrelu, [](double x) { return leakyrelu_s(x, 0.01); }},
        {flux::relu6, [](double x) { return std::clamp(x, 0.0, 6.0); }},
        {flux::elu, [](double x) { return elu_s(x, 1); }},
        {flux::gelu,
         [pi](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / pi) * (x + 0.044715 * x * x * x))); }},
        {flux::gelu_erf, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
        {flux::swish, [](double x) { return x * sigmoid_s(x); }},
        {flux::hardswish, [](double x) { return x * hardsigmoid_s(x); }},
        {flux::selu,
         [](double x) {
             const double l = 1.0507009873554804934193349852946, a = 1.6732632423543772848170429916717;
             return l * (x > 0 ? x : a * (std::exp(x) - 1));
         }},
        {flux::celu, [](double x) { return celu_s(x, 1); }},
        {flux::softplus, softplus_s},
        {flux::softsign, [](double x) { return x / (1 + std::abs(x)); }},
        {flux::logcosh, [](double x) { return x + softplus_s(-2 * x) - std::log(2.0); }},
        {flux::mish, [](double x) { return x * std::tanh(softplus_s(x)); }},
        {flux::tanhshrink, [](double x) { return x - std::tanh(x); }},
        {flux::softshrink, [](double x) { return softshrink_s(x, 0.5); }},
        {flux::trelu, [](double x) { return trelu_s(x, 1); }},
        {flux::lisht, [](double x) { return x * std::tanh(x); }},
        {flux::tanh, [](double x) { return std::tanh(x); }},
        {flux::tanh_fast, [](double x) { return std::tanh(x); }},
        {flux::identity, [](double x) { return x; }},
    };
    for (const Case& c : cases) expect_matches(c.f, c.reference);
}

TEST(FluxActivations, ParametersAndTheirNames) {
    expect_matches(flux::leakyrelu_with(0.2), [](double x) { return leakyrelu_s(x, 0.2); });
    expect_matches(flux::elu_with(2), [](double x) { return elu_s(x, 2); });
    expect_matches(flux::celu_with(0.5), [](double x) { return celu_s(x, 0.5); });
    expect_matches(flux::softshrink_with(1.5), [](double x) { return softshrink_s(x, 1.5); });
    expect_matches(flux::trelu_with(-0.25), [](double x) { return trelu_s(x, -0.25); });
    EXPECT_EQ(flux::leakyrelu_with(0.2).name, "x -> leakyrelu(x, 0.2)");
    EXPECT_EQ(flux::elu_with(2).name, "x -> elu(x, 2.0)");
    EXPECT_EQ(flux::rrelu_with(0.1, 0.3).name, "x -> rrelu(x, 0.1, 0.3)");
    // Julia's Float64 repr.
    EXPECT_EQ(flux::celu_with(1e-5).name, "x -> celu(x, 1.0e-5)");
    EXPECT_EQ(flux::trelu_with(1e6).name, "x -> trelu(x, 1.0e6)");
    EXPECT_EQ(flux::trelu_with(-2.5e7).name, "x -> trelu(x, -2.5e7)");
    EXPECT_EQ(flux::trelu_with(100).name, "x -> trelu(x, 100.0)");
    EXPECT_EQ(flux::trelu_with(0.0001).name, "x -> trelu(x, 0.0001)");
    EXPECT_EQ(flux::leakyrelu_with(1.0 / 3).name, "x -> leakyrelu(x, 0.3333333333333333)");
    EXPECT_THROW(flux::celu_with(0), legolasflux::InvalidArgument);
    EXPECT_THROW(flux::rrelu_with(0.5, 0.1), legolasflux::InvalidArgument);
}

TEST(FluxActivations, RreluDrawsItsSlopeBetweenLoAndHi) {
    const at::Tensor x = ::torch::full({2000}, -10.0f);
    const at::Tensor y = flux::rrelu(x);
    // NNlib's docstring: extrema(rrelu.(fill(-10f0, 1000))) within (-10/3, -10/8).
    EXPECT_GE(y.min().item<float>(), -10.0f / 3 - 1e-5f);
    EXPECT_LE(y.max().item<float>(), -10.0f / 8 + 1e-5f);
    EXPECT_GT((y.max() - y.min()).item<float>(), 1.0f);  // random, not a fixed slope
    EXPECT_EQ(at_f32(flux::rrelu, 3.5f), 3.5f);
    const at::Tensor z = flux::rrelu_with(0.5, 0.5)(x);
    EXPECT_TRUE(z.allclose(::torch::full({2000}, -5.0f)));
}

// NNlib 0.9.22 test/activations.jl (Float64) and the docstrings' Float32 examples in src/activations.jl.
TEST(FluxActivations, NNlibsPublishedValues) {
    EXPECT_EQ(at_f64(flux::sigmoid, 0.0), 0.5);
    EXPECT_EQ(at_f64(flux::hardsigmoid, 0.0), 0.5);
    EXPECT_NEAR(at_f64(flux::gelu, 1.0), 0.8411919906082768, 1e-15);
    EXPECT_NEAR(at_f64(flux::gelu, -1.0), -0.15880800939172324, 1e-15);
    EXPECT_NEAR(at_f64(flux::tanhshrink, 1.0), 0.23840584404423515, 1e-15);
    EXPECT_NEAR(at_f64(flux::tanhshrink, -1.0), -0.23840584404423515, 1e-15);
    EXPECT_NEAR(at_f64(flux::selu, 1.0), 1.0507009873554804934193349852946, 1e-15);
    EXPECT_NEAR(at_f64(flux::selu, -1.0),
                1.0507009873554804934193349852946 * 1.6732632423543772848170429916717 * (std::exp(-1.0) - 1.0), 1e-15);
    EXPECT_EQ(at_f64(flux::leakyrelu, -1.0), -0.01);
    EXPECT_NEAR(at_f64(flux::elu, -1.0), std::exp(-1.0) - 1.0, 1e-15);
    EXPECT_NEAR(at_f64(flux::celu, -1.0), std::exp(-1.0) - 1.0, 1e-15);
    EXPECT_EQ(at_f64(flux::softsign, 1.0), 0.5);
    EXPECT_EQ(at_f64(flux::softsign, -1.0), -0.5);
    EXPECT_EQ(at_f64(flux::softshrink, 1.0), 0.5);
    EXPECT_EQ(at_f64(flux::softshrink, -1.0), -0.5);
    EXPECT_EQ(at_f64(flux::trelu, 1.0), 0.0);
    EXPECT_EQ(at_f64(flux::hardsigmoid, 1.0), 4.0 / 6);
    EXPECT_NEAR(at_f64(flux::softplus, 0.0), std::log(2.0), 1e-15);
    EXPECT_NEAR(at_f64(flux::softplus, 1e8), 1e8, 1e-6);
    EXPECT_NEAR(at_f64(flux::softplus, -1e8), 0.0, 1e-15);
    EXPECT_NEAR(at_f64(flux::logcosh, 1.0), std::log(std::cosh(1.0)), 1e-15);
    EXPECT_NEAR(at_f64(flux::mish, -1.0), -std::tanh(std::log(1.0 + std::exp(-1.0))), 1e-15);
    for (const flux::Function* f : {&flux::relu, &flux::gelu, &flux::swish, &flux::hardswish, &flux::lisht, &flux::selu,
                                    &flux::celu, &flux::mish, &flux::tanhshrink, &flux::elu})
        EXPECT_EQ(at_f64(*f, 0.0), 0.0) << f->name;

    EXPECT_FLOAT_EQ(at_f32(flux::elu, -10), -0.9999546f);
    EXPECT_FLOAT_EQ(at_f32(flux::elu_with(2), -10), -1.9999092f);
    EXPECT_FLOAT_EQ(at_f32(flux::selu, -10), -1.7580194f);
    EXPECT_FLOAT_EQ(at_f32(flux::celu, -10), -0.9999546f);
    EXPECT_FLOAT_EQ(at_f32(flux::softsign, 100), 0.990099f);
    EXPECT_EQ(at_f32(flux::softplus, 16), 16.0f);
    EXPECT_EQ(at_f32(flux::tanhshrink, -10), -9.0f);
    EXPECT_EQ(at_f32(flux::tanhshrink, 10), 9.0f);
    EXPECT_EQ(at_f32(flux::softshrink, -10), -9.5f);
    EXPECT_EQ(at_f32(flux::softshrink, 10), 9.5f);
    EXPECT_EQ(at_f32(flux::leakyrelu_with(0.2), -10), -2.0f);
    // (The docstring's leakyrelu(-10f0, 0.02) == -0.5f0 is a typo there: its own formula gives -0.2.)
    EXPECT_FLOAT_EQ(at_f32(flux::leakyrelu_with(0.02), -10), -0.2f);
    EXPECT_FLOAT_EQ(at_f32(flux::sigmoid, 0.2f), 0.54983395f);
    EXPECT_FLOAT_EQ(at_f32(flux::sigmoid_fast, 0.2f), 0.54983395f);
    EXPECT_FLOAT_EQ(at_f32(flux::hardsigmoid, 0.2f), 0.53333336f);
    EXPECT_FLOAT_EQ(at_f32(flux::tanh, 0.5f), 0.46211717f);
    // hardswish.(-5:5) = -0.0 -0.0 -0.0 -0.333333 -0.333333 0.0 0.666667 1.66667 3.0 4.0 5.0
    const std::vector<double> hs = {0, 0, 0, -1.0 / 3, -1.0 / 3, 0, 2.0 / 3, 5.0 / 3, 3, 4, 5};
    for (int i = -5; i <= 5; ++i) EXPECT_NEAR(at_f64(flux::hardswish, i), hs[i + 5], 1e-15) << i;
}

TEST(FluxActivations, NaNPropagatesAsInNNlib) {
    // NNlib's test: every activation maps NaN to NaN.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (const flux::Function* f :
         {&flux::sigmoid, &flux::hardsigmoid, &flux::logsigmoid, &flux::hardtanh, &flux::relu,      &flux::leakyrelu,
          &flux::relu6,   &flux::elu,         &flux::gelu,       &flux::swish,    &flux::hardswish, &flux::selu,
          &flux::celu,    &flux::softplus,    &flux::softsign,   &flux::logcosh,  &flux::mish,      &flux::tanhshrink,
          &flux::trelu,   &flux::lisht,       &flux::tanh})
        EXPECT_TRUE(std::isnan(at_f32(*f, nan))) << f->name;
}

TEST(FluxActivations, NamesAsFluxPrintsThemAndTheirLookup) {
    EXPECT_EQ(flux::sigmoid.name, "σ");
    EXPECT_EQ(&flux::σ, &flux::sigmoid);
    EXPECT_EQ(flux::hardσ.name, "hardσ");
    EXPECT_EQ(flux::logσ.name, "logσ");
    EXPECT_EQ(flux::function_named("σ"), &flux::sigmoid);
    EXPECT_EQ(flux::function_named("sigmoid"), &flux::sigmoid);
    EXPECT_EQ(flux::function_named("NNlib.σ"), &flux::sigmoid);
    EXPECT_EQ(flux::function_named("hardsigmoid"), &flux::hardsigmoid);
    EXPECT_EQ(flux::function_named("hardσ"), &flux::hardsigmoid);
    EXPECT_EQ(flux::function_named("logsigmoid"), &flux::logsigmoid);
    EXPECT_EQ(flux::function_named("Flux.relu"), &flux::relu);
    EXPECT_EQ(flux::function_named("Base.tanh"), &flux::tanh);
    EXPECT_EQ(flux::function_named("thresholdrelu"), &flux::trelu);
    EXPECT_EQ(flux::function_named("gelu_tanh"), &flux::gelu);
    EXPECT_EQ(flux::function_named("MLUtils.flatten"), &flux::flatten);
    EXPECT_EQ(flux::function_named("softmax"), &flux::softmax);
    EXPECT_EQ(flux::function_named("identity"), &flux::identity);
    EXPECT_EQ(flux::function_named("relu7"), nullptr);
    EXPECT_EQ(flux::function_named("NNlib."), nullptr);
    for (const char* name :
         {"hardtanh",   "relu",       "leakyrelu", "relu6", "rrelu",    "elu",       "gelu",         "gelu_erf",
          "swish",      "hardswish",  "selu",      "celu",  "softplus", "softsign",  "logcosh",      "mish",
          "tanhshrink", "softshrink", "trelu",     "lisht", "tanh",     "tanh_fast", "sigmoid_fast", "logsoftmax"}) {
        const flux::Function* f = flux::function_named(name);
        ASSERT_NE(f, nullptr) << name;
        EXPECT_EQ(f->name, name);
    }
    // In a layer, the activation prints as Flux prints it.
    std::ostringstream printed;
    flux::Dense(2, 3, flux::σ)->pretty_print(printed);
    EXPECT_EQ(printed.str(), "Dense(2 => 3, σ)");
}
