// The Julia-trained digits model, run in LibTorch: the same outputs as Julia within 1e-6.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "../../examples/digits/digits_model.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/legolas/declaration_json.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/torch/flux_layout.hpp"
#include "legolasflux/weights.hpp"

namespace {

const char* kFixture = LEGOLASFLUX_JULIA_FIXTURES "/test.digits-model.arrow";
const char* kInput = LEGOLASFLUX_JULIA_FIXTURES "/digits-input.f32";

// From fixtures/julia/README.md (the hard-coded test of examples/digits.jl).
const float kJuliaOutput[10] = {0.096030906f, 0.105671346f, 0.09510324f, 0.117868274f, 0.112540945f,
                                0.08980863f,  0.062402092f, 0.09776583f, 0.11317684f,  0.109631866f};

at::Tensor julia_input() {
    std::ifstream in(kInput, std::ios::binary);
    std::vector<float> v(784);
    in.read(reinterpret_cast<char*>(v.data()), 784 * 4);
    EXPECT_TRUE(in.good());
    // 28×28×1×1 column-major (x fastest) is row-major N×C×H×W = 1×1×28×28 with W = Julia's x.
    return ::torch::from_blob(v.data(), {1, 1, 28, 28}, ::torch::kFloat).clone();
}

}  // namespace

TEST(DigitsJulia, TheJuliaFileRunsInLibTorchWithJuliasOutputs) {
    const auto table = legolasflux::arrow::read_file(std::filesystem::path(kFixture));
    const auto weights = legolasflux::weights_from_arrow(table.schema->fields[0], *table.batches[0].columns[0], 0);
    ASSERT_TRUE(weights.has_value());
    digits::DigitsModel model;
    legolasflux::torch::load_flux_weights(*model, *weights);
    model->eval();
    const at::Tensor out = model->forward(julia_input());
    ASSERT_EQ(out.sizes(), (std::vector<int64_t>{1, 10}));
    for (int i = 0; i < 10; ++i) EXPECT_NEAR(out[0][i].item<float>(), kJuliaOutput[i], 1e-6) << "class " << i;
}

TEST(DigitsJulia, FluxLayoutOfTheTorchModelHasTheJuliaSizes) {
    digits::DigitsModel model;
    const auto w = legolasflux::torch::fetch_flux_weights(*model);
    const std::vector<std::vector<int64_t>> sizes = {{3, 3, 1, 32},  {32}, {32},           {32}, {32},     {32},
                                                     {3, 3, 32, 16}, {16}, {3, 3, 16, 10}, {10}, {10, 90}, {10},
                                                     {10, 10},       {10}};
    ASSERT_EQ(w.size(), sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i) EXPECT_EQ(w[i].size, sizes[i]) << i;
}

#include "../../examples/digits/digits_row.hpp"

// A digits model written from C++ in Flux's layout has the Julia file's schema exactly.
TEST(DigitsJulia, RowWrittenFromCppHasTheJuliaFilesSchema) {
    digits::DigitsModel model;
    digits::DigitsRowV1 row;
    row.weights = legolasflux::torch::fetch_flux_weights(*model);
    row.config = model->config;
    row.epoch = 1;
    row.accuracy = 0.06f;
    const auto path =
        std::filesystem::temp_directory_path() / ("legolasflux_digits_schema_" + std::to_string(::getpid()) + ".arrow");
    legolasflux::write_model_row(path, row);
    const auto ours = legolasflux::arrow::read_file(path);
    const auto julia = legolasflux::arrow::read_file(std::filesystem::path(kFixture));
    std::filesystem::remove(path);
    // Type tree, nullability, extension names, column order and the identifier, all at once. Our
    // checksum and declarations keys are the differences allowed (Julia ignores them); everything
    // else must match. The declarations are those of the row's chain.
    ASSERT_TRUE(legolasflux::arrow::find_metadata(ours.schema->metadata, legolasflux::kChecksumsMetadataKey));
    namespace legolas = legolasflux::legolas;
    EXPECT_EQ(
        legolas::declarations_in_metadata(ours.schema->metadata, path.string()),
        legolas::declaration_chain(legolas::default_registry(), legolas::schema_version_of<digits::DigitsRowV1>()));
    legolasflux::arrow::Schema ours_without_checksums = *ours.schema;
    std::erase_if(ours_without_checksums.metadata, [](const auto& kv) {
        return kv.first == legolasflux::kChecksumsMetadataKey || kv.first == legolas::kSchemaDeclarationsKey;
    });
    EXPECT_EQ(ours_without_checksums, *julia.schema) << "ours:\n"
                                                     << legolasflux::arrow::to_string(*ours.schema) << "julia:\n"
                                                     << legolasflux::arrow::to_string(*julia.schema);
    const auto w_ours = legolasflux::weights_from_arrow(ours.schema->fields[0], *ours.batches[0].columns[0], 0);
    const auto w_julia = legolasflux::weights_from_arrow(julia.schema->fields[0], *julia.batches[0].columns[0], 0);
    ASSERT_EQ(w_ours->size(), w_julia->size());
    for (size_t i = 0; i < w_ours->size(); ++i) EXPECT_EQ((*w_ours)[i].size, (*w_julia)[i].size) << i;
}
