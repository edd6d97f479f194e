// The network of LegolasFlux.jl's examples/digits.jl, in LibTorch.
//
// Julia (Flux), input 28×28×1×N (WHCN):
//   Dropout(p) → Conv((3,3),1=>32,relu) → BatchNorm(32,relu) → MaxPool((2,2)) → Dropout(p)
//   → Conv((3,3),32=>16,relu) → Dropout(p) → MaxPool((2,2)) → Dropout(p) → Conv((3,3),16=>10,relu)
//   → Dropout(p) → flatten → Dropout(p) → Dense(90=>10) → D → D → softmax,  D = Dense(10=>10)
// LibTorch, input N×1×28×28 (NCHW) with torch's W axis being Julia's first: the same bytes, so the
// flatten before the Dense layer lines up without a permutation. `d` is one Linear layer used twice;
// fetch_weights stores it once and load_weights keeps it shared.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace digits {

struct DigitsConfigV1 {
    int64_t seed = 5;
    float dropout_rate = 0.0f;
};

struct DigitsModelImpl : ::torch::nn::Module {
    DigitsConfigV1 config;
    ::torch::nn::Linear d{nullptr};
    ::torch::nn::Sequential chain{nullptr};

    explicit DigitsModelImpl(const DigitsConfigV1& c = {}) : config(c) {
        namespace nn = ::torch::nn;
        ::torch::manual_seed(static_cast<uint64_t>(c.seed));  // the model is a function of its config
        const double p = c.dropout_rate;
        d = nn::Linear(10, 10);
        chain = register_module(
            "chain", nn::Sequential(nn::Dropout(p), nn::Conv2d(nn::Conv2dOptions(1, 32, 3)), nn::ReLU(),
                                    nn::BatchNorm2d(32), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                                    nn::Dropout(p), nn::Conv2d(nn::Conv2dOptions(32, 16, 3)), nn::ReLU(),
                                    nn::Dropout(p), nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::Dropout(p),
                                    nn::Conv2d(nn::Conv2dOptions(16, 10, 3)), nn::ReLU(), nn::Dropout(p), nn::Flatten(),
                                    nn::Dropout(p), nn::Linear(90, 10), d, d, nn::Softmax(nn::SoftmaxOptions(1))));
    }

    ::torch::Tensor forward(::torch::Tensor x) { return chain->forward(x); }
};
TORCH_MODULE(DigitsModel);

}  // namespace digits
