// NNlib's activation functions (NNlib 0.8.19 for Flux 0.13.17, 0.9.x for Flux 0.14) as flux::Functions,
// named as Flux prints them, computed elementwise with LibTorch's kernels.
//
//   Julia:  Dense(64 => 10, leakyrelu)        C++:  flux::Dense(64, 10, flux::leakyrelu)
//           Dense(64 => 10, x -> elu(x, 2))         flux::Dense(64, 10, flux::elu_with(2))
//
// Exactness. Each function is NNlib's formula; the results equal NNlib's up to float rounding
// (a few ulps), not bit for bit: LibTorch's kernels order their operations differently. In
// particular Flux 0.13+ replaces σ and tanh inside Dense/Conv/RNN by NNlib.sigmoid_fast and
// tanh_fast (NNlib.fast_act), a rational approximation within 5 eps of tanh; we compute the
// exact σ and tanh there (LibTorch's), so a layer differs from Flux by at most those few eps.
// gelu is NNlib's tanh form (which NNlib 0.9 computes as x σ(√(8/π) x (1 + 0.044715 x²)), the
// same function); rrelu draws its slope from U(lo, hi) per element on every call, as NNlib does
// (NNlib has no inference mode for it).
//
// The objects are namespace-scope constants: use them after static initialisation (not from
// another translation unit's static initialisers).
#pragma once

#include <string_view>

#include "legolasflux/torch/flux_layer.hpp"

namespace legolasflux::flux {

extern const Function identity;
extern const Function sigmoid;      // σ
extern const Function hardsigmoid;  // hardσ
extern const Function logsigmoid;   // logσ
extern const Function hardtanh;
extern const Function relu;
extern const Function leakyrelu;  // a = 0.01
extern const Function relu6;
extern const Function rrelu;  // lo = 1/8, hi = 1/3
extern const Function elu;    // α = 1
extern const Function gelu;   // tanh form; NNlib ≥ 0.9.25 also calls it gelu_tanh
extern const Function gelu_erf;
extern const Function swish;
extern const Function hardswish;
extern const Function selu;
extern const Function celu;  // α = 1
extern const Function softplus;
extern const Function softsign;
extern const Function logcosh;
extern const Function mish;
extern const Function tanhshrink;
extern const Function softshrink;  // λ = 0.5
extern const Function trelu;       // θ = 1
extern const Function lisht;
extern const Function tanh;
extern const Function tanh_fast;
extern const Function sigmoid_fast;

// Flux's Unicode names.
extern const Function& σ;
extern const Function& hardσ;
extern const Function& logσ;

// The parameterised activations with other parameters (Julia's x -> leakyrelu(x, 0.2)); their
// names are that Julia lambda, e.g. "x -> leakyrelu(x, 0.2)".
Function leakyrelu_with(double a);
Function elu_with(double alpha);
Function celu_with(double alpha);
Function softshrink_with(double lambda);
Function trelu_with(double theta);
Function rrelu_with(double lo, double hi);

// The Function Flux prints as `name`, or null: every activation above by its name and its
// ASCII/Unicode aliases (σ/sigmoid, hardσ/hardsigmoid, logσ/logsigmoid, trelu/thresholdrelu,
// gelu/gelu_tanh), identity, softmax, logsoftmax, flatten; a module prefix ("NNlib.relu",
// "Flux.σ", "Base.tanh", "MLUtils.flatten") is ignored.
const Function* function_named(std::string_view name);

}  // namespace legolasflux::flux
