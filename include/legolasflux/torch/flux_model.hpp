// Models from the text Flux prints: flux::parse_model("Chain(Dense(784 => 32, relu), Dense(32 => 10))")
// builds the legolasflux::flux modules of a model from what Flux 0.13/0.14 print for it —
// `repr(model)` on one line, or the REPL's multi-line form with its `# 160 parameters` comments —
// so that a Julia team that stores `repr(model)` beside the weights runs the model in C++ with no
// C++ model code. Two stages: flux::parse_model_text (legolasflux/flux_text.hpp, no LibTorch, for
// untrusted text) gives a plain description; build_model makes the modules from it.
//
// What the text does not print takes Flux's defaults: a norm layer's ϵ = 1e-5 and momentum = 0.1,
// Dense's and Conv's bias present unless `bias=false` is printed. Printed `active=…` is ignored (a
// built model runs as its module mode says: eval() for inference). Two layers that are one in
// Julia (a shared layer) print as two: the text cannot say so, and the built model has two
// modules with arrays of their own — write such a model with the C++ API (flux_layer.hpp).
// Anything the builder cannot make (a custom layer, an anonymous function, an unknown keyword, an
// argument of the wrong kind) is an error naming the text and its line and column.
#pragma once

#include <string_view>

#include "legolasflux/flux_text.hpp"
#include "legolasflux/torch/flux_layer.hpp"

namespace legolasflux::flux {

struct BuildOptions {
    Generation generation = Generation::v0_13;  // the Flux the text comes from
    TextLimits limits;                          // for parse_model's parsing stage
};

// The model `description` (parsed from `text`, which error messages quote).
Layer build_model(const Expr& description, std::string_view text, const BuildOptions& options = {});

// parse_model_text, check_known, then build_model.
Layer parse_model(std::string_view text, const BuildOptions& options = {});

}  // namespace legolasflux::flux
