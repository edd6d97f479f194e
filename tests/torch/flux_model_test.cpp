// Models from the text Flux prints (flux::parse_model) and the flux_run program: every layer
// family built from its text has the arrays and the outputs of the same model written with the
// C++ API (whose layers the family tests check against Flux's formulas); the one-line and the REPL
// forms build the same model; what cannot be built is refused with its position.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/npy.hpp"
#include "legolasflux/torch/flux.hpp"
#include "legolasflux/torch/weights.hpp"
#include "support/conv_reference.hpp"
#include "support/flux_arrays.hpp"

namespace flux = legolasflux::flux;
namespace fs = std::filesystem;
using legolasflux::Weights;

namespace {

struct FluxRunRowV1 : legolasflux::ModelV1 {
    std::string model_text;
};
LEGOLAS_RECORD_EXTENDS(FluxRunRowV1, "flux-run-test.model", 1, legolasflux::ModelV1, model_text);

// A model, its text as Flux 0.13/0.14 print it, an input (torch shape) and the generation.
struct Case {
    std::string name;
    std::function<flux::Layer()> make;  // the model with the C++ API
    std::string text;
    std::vector<int64_t> input;
    flux::Generation generation = flux::Generation::v0_13;
};

std::vector<Case> cases() {
    using G = flux::Generation;
    return {
        {"conv",
         [] {
             return flux::Chain(flux::Conv({3, 3}, 2, 4, flux::relu, {.pad = 1}), flux::BatchNorm(4, flux::relu),
                                flux::MaxPool({2, 2}), flux::CrossCor({2, 2}, 4, 3, {}, {.stride = 2}),
                                flux::ConvTranspose({2, 2}, 3, 2, flux::σ, {.stride = 2}), flux::flatten,
                                flux::Dense(32, 5), flux::softmax);
         },
         "Chain(Conv((3, 3), 2 => 4, relu, pad=1), BatchNorm(4, relu), MaxPool((2, 2)), "
         "CrossCor((2, 2), 4 => 3, stride=2), ConvTranspose((2, 2), 3 => 2, σ, stride=2), Flux.flatten, "
         "Dense(32 => 5), NNlib.softmax)",
         {3, 2, 8, 8}},
        {"norms",
         [] {
             return flux::Chain(flux::Dense(6, 8, flux::gelu), flux::LayerNorm(8), flux::Dropout(0.5),
                                flux::Dense(8, 6, {}, {.bias = false}), flux::Scale({6}, flux::tanh));
         },
         "Chain(Dense(6 => 8, gelu), LayerNorm(8), Dropout(0.5), Dense(8 => 6; bias=false), Scale(6, tanh))",
         {4, 6}},
        {"groups",
         [] {
             return flux::Chain(flux::Conv({3}, 4, 8, {}, {.groups = 2}), flux::GroupNorm(8, 2),
                                flux::InstanceNorm(8, flux::elu, {.affine = true}), flux::GlobalMeanPool(),
                                flux::flatten);
         },
         "Chain(Conv((3,), 4 => 8, groups=2), GroupNorm(8, 2), InstanceNorm(8, elu, affine=true), GlobalMeanPool(), "
         "flatten)",
         {2, 4, 10}},
        {"recurrent 0.13",
         [] { return flux::Chain(flux::LSTM(3, 5), flux::GRU(5, 4), flux::RNN(4, 3, flux::relu), flux::GRUv3(3, 2)); },
         "Chain(Recur(LSTMCell(3 => 5)), Recur(GRUCell(5 => 4)), Recur(RNNCell(4 => 3, relu)), "
         "Recur(GRUv3Cell(3 => 2)))",
         {6, 2, 3}},
        {"recurrent 0.15",
         [] {
             const flux::RecurrentOptions o{.generation = flux::Generation::v0_15};
             return flux::Chain(flux::LSTM(3, 5, o), flux::GRU(5, 2, o));
         },
         "Chain(LSTM(3 => 5), GRU(5 => 2))",
         {2, 6, 3},
         G::v0_15},
        {"containers",
         [] {
             return flux::Chain(flux::Parallel(flux::vcat, flux::Dense(3, 2), flux::Dense(3, 4, flux::relu)),
                                flux::SkipConnection(flux::Dense(6, 6), flux::add),
                                flux::Maxout(flux::Dense(6, 2), flux::Dense(6, 2)), flux::Bilinear(2, 3));
         },
         "Chain(Parallel(vcat, Dense(3 => 2), Dense(3 => 4, relu)), SkipConnection(Dense(6 => 6), +), "
         "Maxout(Dense(6 => 2), Dense(6 => 2)), Bilinear((2, 2) => 3))",
         {5, 3}},
        {"stateless",
         [] {
             return flux::Chain(
                 flux::Upsample(flux::UpsampleMode::bilinear, {.scale = {2, 2}}), flux::PixelShuffle(2),
                 flux::DepthwiseConv({3, 3}, 2, 4, flux::hardσ, {.pad = 1}), flux::MeanPool({2, 2}, {.stride = 1}),
                 flux::AdaptiveMaxPool({2, 2}), flux::AlphaDropout(0.1), flux::flatten,
                 flux::PairwiseFusion(flux::add, flux::Dense(16, 16), flux::Dense(16, 16)), flux::logsoftmax);
         },
         "Chain(Upsample(:bilinear, scale = (2, 2)), PixelShuffle(2), Conv((3, 3), 2 => 4, hardσ, pad=1, groups=2), "
         "MeanPool((2, 2), stride=1), AdaptiveMaxPool((2, 2)), AlphaDropout(0.1), flatten, "
         "PairwiseFusion(+, Dense(16 => 16), Dense(16 => 16)), logsoftmax)",
         {2, 8, 3, 3}},
        {"attention",
         [] { return flux::Chain(flux::MultiHeadAttention(8, {.nheads = 2}), flux::Dense(8, 3)); },
         "Chain(MultiHeadAttention(8; nheads=2), Dense(8 => 3))",
         {2, 4, 8}},
    };
}

at::Tensor run(flux::Layer& model, const at::Tensor& x) {
    ::torch::NoGradGuard no_grad;
    model->reset();
    model->eval();
    return model->forward(x);
}

}  // namespace

TEST(FluxModel, EveryFamilyFromItsTextIsTheTranscribedModel) {
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.name);
        ::torch::manual_seed(3);
        flux::Layer written = c.make();
        flux::Layer built = flux::parse_model(c.text, {.generation = c.generation});
        std::vector<std::string> names_written, names_built;
        const Weights arrays = flux::fetch_weights(*written, &names_written);
        const Weights fresh = flux::fetch_weights(*built, &names_built);
        ASSERT_EQ(arrays.size(), fresh.size());
        for (size_t i = 0; i < arrays.size(); ++i) EXPECT_EQ(arrays[i].size, fresh[i].size) << names_written[i];
        flux::load_weights(*built, arrays);
        const at::Tensor x = ::torch::randn(c.input);
        EXPECT_TRUE(::torch::allclose(run(built, x), run(written, x), 1e-5, 1e-6));
    }
}

TEST(FluxModel, TheReplFormBuildsTheSameModel) {
    const std::string one_line =
        "Chain(Conv((3, 3), 1 => 2, relu, pad=1), Recur(LSTMCell(2 => 3)), Dense(3 => 2), NNlib.softmax)";
    const std::string repl = R"(Chain(
  Conv((3, 3), 1 => 2, relu, pad=1),    # 20 parameters
  Recur(
    LSTMCell(2 => 3),                   # 102 parameters
  ),
  Dense(3 => 2),                        # 8 parameters
  NNlib.softmax,
)         # Total: 9 trainable arrays, 130 parameters,
          # plus 2 non-trainable, 6 parameters, summarysize 1.234 KiB.)";
    flux::Layer a = flux::parse_model(one_line), b = flux::parse_model(repl);
    std::ostringstream pa, pb;
    a->pretty_print(pa), b->pretty_print(pb);
    EXPECT_EQ(flux::fetch_weights(*a).size(), flux::fetch_weights(*b).size());
    EXPECT_EQ(flux::fetch_weights(*a).size(), 9u);  // Conv 2; LSTM Wi, Wh, b, h0, c0 (no state yet); Dense 2
    EXPECT_EQ(pa.str(), pb.str());
}

TEST(FluxModel, WhatCannotBeBuiltIsNamedWithItsPosition) {
    const auto message = [](const std::string& text, flux::Generation g = flux::Generation::v0_13) {
        try {
            flux::parse_model(text, {.generation = g});
        } catch (const legolasflux::Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message("Chain(Dense(2 => 3), MyLayer(3))").find("MyLayer"), std::string::npos);
    EXPECT_NE(message("Chain(Dense(2 => 3), MyLayer(3))").find("line 1, column 22"), std::string::npos);
    EXPECT_NE(message("Chain(\n  Dense(2 => 3, relu; stride=2),\n)").find("unknown keyword `stride`"),
              std::string::npos);
    EXPECT_NE(message("Chain(\n  Dense(2 => 3, relu; stride=2),\n)").find("line 2"), std::string::npos);
    EXPECT_NE(message("Dense(2, relu)").find("expected"), std::string::npos);
    EXPECT_NE(message("Chain(Dense(2 => 3), x -> x)").find("no error"), 0u);
    EXPECT_NE(message("Recur(LSTMCell(2 => 3))", flux::Generation::v0_15).find("Flux 0.13/0.14"), std::string::npos);
    EXPECT_NE(message("Conv((3, 3), 2 => 3, relu, 7)").find("unexpected argument"), std::string::npos);
}

#ifdef LEGOLASFLUX_FLUX_RUN
TEST(FluxRun, RunsEveryFamilyFromItsTextAndARow) {
    const fs::path dir = fs::temp_directory_path() / ("legolasflux-flux-run-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.name);
        ::torch::manual_seed(5);
        flux::Layer model = c.make();
        FluxRunRowV1 row;
        row.weights = flux::fetch_weights(*model);
        row.model_text = c.text;
        const fs::path file = dir / "row.arrow", in = dir / "x.npy", out = dir / "y.npy";
        legolasflux::write_model_row(file, row);
        const at::Tensor x = ::torch::randn(c.input);
        legolasflux::write_npy(in, legolasflux::torch::to_flat_array(x));
        const at::Tensor expected = run(model, x);
        for (const std::string how : {"--model '" + c.text + "'", std::string("--model-column model_text")}) {
            fs::remove(out);
            const std::string command = std::string(LEGOLASFLUX_FLUX_RUN) + " " + how + " --weights " + file.string() +
                                        " --input " + in.string() + " --output " + out.string() +
                                        (c.generation == flux::Generation::v0_15 ? " --flux 0.15" : "") + " >/dev/null";
            ASSERT_EQ(std::system(command.c_str()), 0) << command;
            const at::Tensor y = legolasflux::torch::to_tensor(legolasflux::read_npy(out));
            EXPECT_TRUE(::torch::allclose(y, expected, 1e-5, 1e-6)) << how;
        }
    }
    // Integer inputs: Julia's 1-based indices into an Embedding.
    {
        ::torch::manual_seed(6);
        flux::Chain model(flux::Embedding(10, 4), flux::Dense(4, 3, flux::swish));
        FluxRunRowV1 row;
        row.weights = flux::fetch_weights(*model);
        legolasflux::write_model_row(dir / "embedding.arrow", row);
        const at::Tensor x = ::torch::randint(1, 11, {5, 2}, at::kLong);
        legolasflux::write_npy(dir / "i.npy", legolasflux::torch::to_flat_array(x.to(at::kInt)));
        const std::string command = std::string(LEGOLASFLUX_FLUX_RUN) +
                                    " --model 'Chain(Embedding(10 => 4), Dense(4 => 3, swish))' --weights " +
                                    (dir / "embedding.arrow").string() + " --input " + (dir / "i.npy").string() +
                                    " --output " + (dir / "y.npy").string() + " >/dev/null";
        ASSERT_EQ(std::system(command.c_str()), 0) << command;
        flux::Layer m = model;
        EXPECT_TRUE(::torch::allclose(legolasflux::torch::to_tensor(legolasflux::read_npy(dir / "y.npy")), run(m, x),
                                      1e-5, 1e-6));
    }
    // A row that does not fit: the error names the array, the layer and both sizes.
    FluxRunRowV1 row;
    flux::Chain small(flux::Dense(3, 2));
    row.weights = flux::fetch_weights(*small);
    legolasflux::write_model_row(dir / "small.arrow", row);
    legolasflux::write_npy(dir / "x.npy", legolasflux::torch::to_flat_array(::torch::randn({1, 3})));
    const std::string command = std::string(LEGOLASFLUX_FLUX_RUN) + " --model 'Chain(Dense(4 => 2))' --weights " +
                                (dir / "small.arrow").string() + " --input " + (dir / "x.npy").string() + " --output " +
                                (dir / "y.npy").string() + " 2>" + (dir / "err").string();
    EXPECT_NE(std::system(command.c_str()), 0);
    std::ifstream err(dir / "err");
    std::stringstream text;
    text << err.rdbuf();
    EXPECT_NE(text.str().find("'0.weight'"), std::string::npos) << text.str();
    EXPECT_NE(text.str().find("(2, 4)"), std::string::npos) << text.str();
    EXPECT_NE(text.str().find("(2, 3)"), std::string::npos) << text.str();
    fs::remove_all(dir);
}
// Arrays as Julia holds them, not fetched from a C++ model: flux_run's output is NNlib's conv,
// relu, Flux.flatten and Dense written as loops (tests/support).
TEST(FluxRun, ArraysFromJuliaGiveNNlibsFormula) {
    const fs::path dir = fs::temp_directory_path() / ("legolasflux-flux-run-ref-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    ::torch::manual_seed(7);
    const lftest::JArray x = lftest::random_array({4, 4, 2, 2}), w = lftest::random_array({3, 3, 2, 3});
    const lftest::Floats b = lftest::random(3), dw = lftest::random(4 * 48), db = lftest::random(4);
    FluxRunRowV1 row;
    row.weights = Weights({legolasflux::FlatArray::from_values<float>({3, 3, 2, 3}, w.v),
                           legolasflux::FlatArray::from_values<float>({3}, b),
                           legolasflux::FlatArray::from_values<float>({4, 48}, dw),
                           legolasflux::FlatArray::from_values<float>({4}, db)});
    row.model_text = "Chain(Conv((3, 3), 2 => 3, relu, pad=1), Flux.flatten, Dense(48 => 4))";
    legolasflux::write_model_row(dir / "row.arrow", row);
    legolasflux::write_npy(dir / "x.npy", legolasflux::torch::to_flat_array(lftest::julia(x.v, x.size)));
    const std::string command = std::string(LEGOLASFLUX_FLUX_RUN) + " --model-column model_text --weights " +
                                (dir / "row.arrow").string() + " --input " + (dir / "x.npy").string() + " --output " +
                                (dir / "y.npy").string() + " >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    lftest::JArray h = lftest::conv_reference(x, w, b, {.stride = {1, 1}, .lo = {1, 1}, .hi = {1, 1}}, true);
    for (float& v : h.v) v = std::max(v, 0.0f);
    const lftest::Floats want = lftest::dense_ref(dw, db, h.v, 48, 4);  // h's columns are flatten's
    const at::Tensor y = legolasflux::torch::to_tensor(legolasflux::read_npy(dir / "y.npy"));
    EXPECT_EQ(y.sizes(), (c10::IntArrayRef{2, 4}));
    lftest::expect_near(lftest::values(y), want, 1e-5);
    fs::remove_all(dir);
}
#endif
