// The C++ twin of LegolasFlux.jl's examples/digits.jl, and a check against Julia:
//   1. build the digits network from its config, train it a few seeded steps on random data;
//   2. store it as a digits.model@1 row (weights in Flux's layout, so Julia can load them too),
//      read the row back, rebuild the model from the row alone, and compare outputs;
//   3. load the Julia-written file and compare its output with the numbers Julia printed.
//
//   digits [--out FILE] [--julia-file FILE] [--julia-input FILE]
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "digits_row.hpp"
#include "legolasflux/torch/flux.hpp"
#include "legolasflux/torch/weights.hpp"

namespace {

namespace lf = legolasflux;
using digits::DigitsConfigV1;
using digits::DigitsModel;
using digits::DigitsRowV1;

// The numbers examples/digits.jl asserts for the Julia file and this input.
const float kJuliaOutput[10] = {0.096030906f, 0.105671346f, 0.09510324f, 0.117868274f, 0.112540945f,
                                0.08980863f,  0.062402092f, 0.09776583f, 0.11317684f,  0.109631866f};

// The row of a model: its config and its numbers in Flux's layout.
DigitsRowV1 make_row(DigitsModel& model, std::optional<int64_t> epoch, std::optional<float> accuracy) {
    DigitsRowV1 row;
    row.weights = lf::flux::fetch_weights(*model);
    row.config = model->config;
    row.epoch = epoch;
    row.accuracy = accuracy;
    return row;
}

// A model from a row alone.
DigitsModel model_from_row(const DigitsRowV1& row) {
    DigitsModel model(row.config);
    if (!row.weights) throw lf::InvalidArgument("the row has no weights");
    lf::flux::load_weights(*model, *row.weights);
    return model;
}

float accuracy(DigitsModel& model, const at::Tensor& x, const at::Tensor& y) {
    ::torch::NoGradGuard no_grad;
    model->eval();
    const float acc = model->forward(x).argmax(1).eq(y).to(::torch::kFloat).mean().item<float>();
    model->train();
    return acc;
}

at::Tensor read_input(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw lf::IoError(path, std::strerror(errno));
    std::vector<float> v(28 * 28);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
    if (!in) throw lf::FormatError(path + ": expected 784 little-endian float32 values");
    // Julia's 28×28×1×1 column-major array is this 1×1×28×28 row-major tensor, byte for byte.
    return ::torch::from_blob(v.data(), {1, 1, 28, 28}, ::torch::kFloat).clone();
}

}  // namespace

int main(int argc, char** argv) {
    std::string out = "digits.model.arrow";
    std::string julia_file = "tests/fixtures/julia/test.digits-model.arrow";
    std::string julia_input = "tests/fixtures/julia/digits-input.f32";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--out")
            out = argv[i + 1];
        else if (flag == "--julia-file")
            julia_file = argv[i + 1];
        else if (flag == "--julia-input")
            julia_input = argv[i + 1];
        else {
            std::cerr << "usage: digits [--out FILE] [--julia-file FILE] [--julia-input FILE]\n";
            return 2;
        }
    }
    try {
        // 1. Train a little, on random data (the Julia example does the same with StableRNG).
        const DigitsConfigV1 config;  // seed 5, dropout 0
        DigitsModel model(config);
        ::torch::manual_seed(735);
        const auto train_x = ::torch::rand({320, 1, 28, 28});
        const auto train_y = ::torch::randint(0, 10, {320}, ::torch::kLong);
        const auto test_x = ::torch::rand({50, 1, 28, 28});
        const auto test_y = ::torch::randint(0, 10, {50}, ::torch::kLong);
        model->train();
        ::torch::optim::Adam opt(model->parameters(), 1e-3);
        for (int step = 0; step < 10; ++step) {
            const auto x = train_x.slice(0, step * 32, (step + 1) * 32);
            const auto y = train_y.slice(0, step * 32, (step + 1) * 32);
            opt.zero_grad();
            const auto loss = ::torch::nll_loss(::torch::log(model->forward(x)), y);
            loss.backward();
            opt.step();
        }
        const float acc = accuracy(model, test_x, test_y);
        std::printf("trained 10 steps: accuracy %.3f on random test data\n", acc);

        // 2. Save, read back, rebuild from the row alone.
        const DigitsRowV1 row = make_row(model, 1, acc);
        lf::write_model_row(out, row);
        const DigitsRowV1 back = lf::read_model_row<DigitsRowV1>(out);
        DigitsModel rebuilt = model_from_row(back);
        model->eval();
        rebuilt->eval();
        const auto input = test_x.slice(0, 0, 1);
        const bool same = model->forward(input).equal(rebuilt->forward(input));
        const bool shared =
            rebuilt->chain[14].ptr() == rebuilt->d.ptr() && rebuilt->chain[15].ptr() == rebuilt->d.ptr();
        std::printf("wrote %s (%zu arrays, %lld values): %s\n", out.c_str(), back.weights->size(),
                    static_cast<long long>(back.weights->element_count()),
                    lf::legolas::to_string(lf::legolas::schema_version_of<DigitsRowV1>()).c_str());
        std::printf("rebuilt from the row: outputs %s; the Dense(10=>10) layer is %s\n",
                    same ? "identical" : "DIFFERENT", shared ? "stored once and still shared" : "NOT shared");

        // 3. The Julia file.
        const DigitsRowV1 julia = lf::read_model_row<DigitsRowV1>(julia_file);
        DigitsModel from_julia = model_from_row(julia);
        from_julia->eval();
        const at::Tensor output = from_julia->forward(read_input(julia_input));
        std::printf("\nJulia's file %s: epoch %lld, accuracy %g, config {seed %lld, dropout_rate %g}\n",
                    julia_file.c_str(), static_cast<long long>(julia.epoch.value_or(-1)), julia.accuracy.value_or(NAN),
                    static_cast<long long>(julia.config.seed), julia.config.dropout_rate);
        std::printf("%5s  %12s  %12s  %10s\n", "class", "C++ (flux)", "Julia", "|diff|");
        double worst = 0;
        for (int i = 0; i < 10; ++i) {
            const float ours = output[0][i].item<float>();
            const double diff = std::abs(static_cast<double>(ours) - kJuliaOutput[i]);
            worst = std::max(worst, diff);
            std::printf("%5d  %12.9f  %12.9f  %10.2e\n", i, ours, kJuliaOutput[i], diff);
        }
        const bool matches = worst <= 1e-6;
        std::printf("largest difference %.2e: %s\n", worst,
                    matches ? "matches Julia (tolerance 1e-6)" : "DOES NOT MATCH");
        return same && shared && matches ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "digits: " << e.what() << "\n";
        return 1;
    }
}
