// The network of LegolasFlux.jl's examples/digits.jl, transcribed line by line with
// legolasflux::flux (Flux's layers, constructors and arithmetic in LibTorch):
//
//   Julia (Flux 0.13)                               C++
//   D = Dense(10, 10)                               flux::Dense d(10, 10);
//   Chain(Dropout(p),                               flux::Chain(flux::Dropout(p),
//         Conv((3, 3), 1 => 32, relu),                          flux::Conv({3, 3}, 1, 32, flux::relu),
//         BatchNorm(32, relu),                                  flux::BatchNorm(32, flux::relu),
//         MaxPool((2, 2)), …                                    flux::MaxPool({2, 2}), …
//         x -> reshape(x, :, size(x, 4)),                       flux::flatten,
//         Dropout(p), Dense(90, 10), D, D, softmax)             flux::Dropout(p), flux::Dense(90, 10), d, d,
//         flux::softmax)
//
// Input: Julia's 28×28×1×N array (WHCN) is the torch tensor [N, 1, 28, 28], the same bytes. `d`
// is one module placed twice, as Julia's D: its arrays are stored once and stay shared when loaded.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "legolasflux/torch/flux.hpp"

namespace digits {

namespace flux = legolasflux::flux;

struct DigitsConfigV1 {
    int64_t seed = 5;
    float dropout_rate = 0.0f;
};

struct DigitsModelImpl : ::torch::nn::Module {
    DigitsConfigV1 config;
    flux::Dense d{nullptr};
    flux::Chain chain{nullptr};

    explicit DigitsModelImpl(const DigitsConfigV1& c = {}) : config(c) {
        ::torch::manual_seed(static_cast<uint64_t>(c.seed));  // the model is a function of its config
        const double p = c.dropout_rate;
        // [flux-transcribed]
        d = flux::Dense(10, 10);
        chain = register_module(
            "chain", flux::Chain(flux::Dropout(p), flux::Conv({3, 3}, 1, 32, flux::relu),
                                 flux::BatchNorm(32, flux::relu), flux::MaxPool({2, 2}), flux::Dropout(p),
                                 flux::Conv({3, 3}, 32, 16, flux::relu), flux::Dropout(p), flux::MaxPool({2, 2}),
                                 flux::Dropout(p), flux::Conv({3, 3}, 16, 10, flux::relu), flux::Dropout(p),
                                 flux::flatten, flux::Dropout(p), flux::Dense(90, 10), d, d, flux::softmax));
        // [/flux-transcribed]
    }

    ::torch::Tensor forward(::torch::Tensor x) { return chain->forward(x); }
};
TORCH_MODULE(DigitsModel);

}  // namespace digits
