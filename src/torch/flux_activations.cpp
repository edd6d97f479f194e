#include "legolasflux/torch/flux_activations.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <string>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux_pooling.hpp"

namespace legolasflux::flux {

namespace {

// Julia's repr of a Float64 parameter: the shortest digits that read back, always with a
// fraction, in scientific form (1.0e-5, 1.0e6) outside 1e-4 ≤ |v| < 1e6.
std::string julia_float(double v) {
    if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
    if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : (v > 0 ? "Inf" : "-Inf");
    char buffer[64];
    const double magnitude = std::abs(v);
    const bool scientific = magnitude < 1e-4 || magnitude >= 1e6;
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, v,
                                      scientific ? std::chars_format::scientific : std::chars_format::fixed);
    std::string text(buffer, result.ptr);
    if (!scientific) return text.find('.') == std::string::npos ? text + ".0" : text;
    const size_t e = text.find('e');
    std::string mantissa = text.substr(0, e);
    if (mantissa.find('.') == std::string::npos) mantissa += ".0";
    return mantissa + "e" + std::to_string(std::stoi(text.substr(e + 1)));
}

std::string lambda_name(const char* f, std::initializer_list<double> params) {
    std::string name = std::string("x -> ") + f + "(x";
    for (double p : params) name += ", " + julia_float(p);
    return name + ")";
}

Function make(std::string name, std::function<at::Tensor(const at::Tensor&)> fn) {
    return Function{std::move(name), std::move(fn)};
}

// NNlib: leakyrelu(x, a) = ifelse(x > 0, x, a x).
at::Tensor leakyrelu_of(const at::Tensor& x, double a) { return at::leaky_relu(x, a); }
// NNlib: elu(x, α) = ifelse(x ≥ 0, x, α (exp(x) - 1)).
at::Tensor elu_of(const at::Tensor& x, double alpha) { return at::elu(x, alpha); }
// NNlib: celu(x, α) = ifelse(x ≥ 0, x, α (exp(x/α) - 1)).
at::Tensor celu_of(const at::Tensor& x, double alpha) { return at::celu(x, alpha); }
// NNlib: softshrink(x, λ) = x - λ above λ, x + λ below -λ, 0 between.
at::Tensor softshrink_of(const at::Tensor& x, double lambda) { return at::softshrink(x, lambda); }
// NNlib: trelu(x, θ) = ifelse(x ≤ θ, 0, x).
at::Tensor trelu_of(const at::Tensor& x, double theta) { return at::threshold(x, theta, 0); }
// NNlib: rrelu(x, lo, hi) = leakyrelu(x, a), a ~ U(lo, hi) drawn for every element.
at::Tensor rrelu_of(const at::Tensor& x, double lo, double hi) { return at::rrelu(x, lo, hi, /*training=*/true); }

// NNlib: softplus(x) = log1p(exp(-|x|)) + relu(x). LibTorch's one kernel computes log1p(exp(x)),
// and x above 20, where NNlib's x + log1p(exp(-x)) differs from x by less than 1e-8 relative.
at::Tensor softplus_of(const at::Tensor& x) { return at::softplus(x, 1, 20); }

}  // namespace

const Function identity{"identity", {}};
const Function sigmoid = make("σ", [](const at::Tensor& x) { return at::sigmoid(x); });
const Function hardsigmoid = make("hardσ", [](const at::Tensor& x) { return at::hardsigmoid(x); });
// NNlib: logσ(x) = -softplus(-x); LibTorch's log_sigmoid is min(x, 0) - log1p(exp(-|x|)), the same.
const Function logsigmoid = make("logσ", [](const at::Tensor& x) { return at::log_sigmoid(x); });
const Function hardtanh = make("hardtanh", [](const at::Tensor& x) { return at::hardtanh(x, -1, 1); });
const Function relu = make("relu", [](const at::Tensor& x) { return at::relu(x); });
const Function leakyrelu = make("leakyrelu", [](const at::Tensor& x) { return leakyrelu_of(x, 0.01); });
const Function relu6 = make("relu6", [](const at::Tensor& x) { return at::hardtanh(x, 0, 6); });
const Function rrelu = make("rrelu", [](const at::Tensor& x) { return rrelu_of(x, 1.0 / 8, 1.0 / 3); });
const Function elu = make("elu", [](const at::Tensor& x) { return elu_of(x, 1); });
// NNlib: gelu(x) = x/2 (1 + tanh(√(2/π) (x + 0.044715 x³))); LibTorch's "tanh" approximation is that formula.
const Function gelu = make("gelu", [](const at::Tensor& x) { return at::gelu(x, "tanh"); });
// NNlib ≥ 0.9.25: gelu_erf(x) = x/2 (1 + erf(x/√2)).
const Function gelu_erf = make("gelu_erf", [](const at::Tensor& x) { return at::gelu(x, "none"); });
const Function swish = make("swish", [](const at::Tensor& x) { return at::silu(x); });
const Function hardswish = make("hardswish", [](const at::Tensor& x) { return at::hardswish(x); });
// LibTorch's selu constants are NNlib's (λ = 1.0507009873554804934193349852946, α = 1.6732632423543772848170429916717).
const Function selu = make("selu", [](const at::Tensor& x) { return at::selu(x); });
const Function celu = make("celu", [](const at::Tensor& x) { return celu_of(x, 1); });
const Function softplus = make("softplus", [](const at::Tensor& x) { return softplus_of(x); });
const Function softsign = make("softsign", [](const at::Tensor& x) { return x / (x.abs() + 1); });
// NNlib: logcosh(x) = x + softplus(-2x) - log(2).
const Function logcosh = make("logcosh", [](const at::Tensor& x) { return x + softplus_of(x * -2) - std::log(2.0); });
const Function mish = make("mish", [](const at::Tensor& x) { return at::mish(x); });
const Function tanhshrink = make("tanhshrink", [](const at::Tensor& x) { return x - at::tanh(x); });
const Function softshrink = make("softshrink", [](const at::Tensor& x) { return softshrink_of(x, 0.5); });
const Function trelu = make("trelu", [](const at::Tensor& x) { return trelu_of(x, 1); });
const Function lisht = make("lisht", [](const at::Tensor& x) { return x * at::tanh(x); });
const Function tanh = make("tanh", [](const at::Tensor& x) { return at::tanh(x); });
const Function tanh_fast = make("tanh_fast", [](const at::Tensor& x) { return at::tanh(x); });
const Function sigmoid_fast = make("sigmoid_fast", [](const at::Tensor& x) { return at::sigmoid(x); });

const Function& σ = sigmoid;
const Function& hardσ = hardsigmoid;
const Function& logσ = logsigmoid;

Function leakyrelu_with(double a) {
    return make(lambda_name("leakyrelu", {a}), [a](const at::Tensor& x) { return leakyrelu_of(x, a); });
}
Function elu_with(double alpha) {
    return make(lambda_name("elu", {alpha}), [alpha](const at::Tensor& x) { return elu_of(x, alpha); });
}
Function celu_with(double alpha) {
    if (alpha == 0) throw InvalidArgument("flux::celu_with(0): α divides x, it must not be 0");
    return make(lambda_name("celu", {alpha}), [alpha](const at::Tensor& x) { return celu_of(x, alpha); });
}
Function softshrink_with(double lambda) {
    if (lambda < 0) throw InvalidArgument("flux::softshrink_with(" + julia_float(lambda) + "): λ must be ≥ 0");
    return make(lambda_name("softshrink", {lambda}),
                [lambda](const at::Tensor& x) { return softshrink_of(x, lambda); });
}
Function trelu_with(double theta) {
    return make(lambda_name("trelu", {theta}), [theta](const at::Tensor& x) { return trelu_of(x, theta); });
}
Function rrelu_with(double lo, double hi) {
    if (!(lo <= hi))
        throw InvalidArgument("flux::rrelu_with(" + julia_float(lo) + ", " + julia_float(hi) + "): needs lo ≤ hi");
    return make(lambda_name("rrelu", {lo, hi}), [lo, hi](const at::Tensor& x) { return rrelu_of(x, lo, hi); });
}

const Function* function_named(std::string_view name) {
    static const std::map<std::string, const Function*, std::less<>> table = {
        {"identity", &identity},
        {"σ", &sigmoid},
        {"sigmoid", &sigmoid},
        {"hardσ", &hardsigmoid},
        {"hardsigmoid", &hardsigmoid},
        {"logσ", &logsigmoid},
        {"logsigmoid", &logsigmoid},
        {"hardtanh", &hardtanh},
        {"relu", &relu},
        {"leakyrelu", &leakyrelu},
        {"relu6", &relu6},
        {"rrelu", &rrelu},
        {"elu", &elu},
        {"gelu", &gelu},
        {"gelu_tanh", &gelu},
        {"gelu_erf", &gelu_erf},
        {"swish", &swish},
        {"hardswish", &hardswish},
        {"selu", &selu},
        {"celu", &celu},
        {"softplus", &softplus},
        {"softsign", &softsign},
        {"logcosh", &logcosh},
        {"mish", &mish},
        {"tanhshrink", &tanhshrink},
        {"softshrink", &softshrink},
        {"trelu", &trelu},
        {"thresholdrelu", &trelu},
        {"lisht", &lisht},
        {"tanh", &tanh},
        {"tanh_fast", &tanh_fast},
        {"sigmoid_fast", &sigmoid_fast},
        {"softmax", &softmax},
        {"logsoftmax", &logsoftmax},
        {"flatten", &flatten},
    };
    for (std::string_view prefix : {"NNlib.", "Flux.", "Base.", "MLUtils."})
        if (name.substr(0, prefix.size()) == prefix) {
            name.remove_prefix(prefix.size());
            break;
        }
    const auto it = table.find(name);
    return it == table.end() ? nullptr : it->second;
}

}  // namespace legolasflux::flux
