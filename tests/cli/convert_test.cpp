// `legolasflux convert` and `legolasflux export` through the real binary: round trips between
// .arrow and .safetensors, .npy bytes checked against the NumPy format by hand, and bad input.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/legolasflux.hpp"
#include "legolasflux/safetensors.hpp"

using namespace lftest;
namespace lf = legolasflux;

namespace {

// Exit codes of the tool (tools/legolasflux/commands.hpp): bad input 1, bad command line 2.
constexpr int kInputError = 1;
constexpr int kUsageError = 2;

// A model file written by the library: two Float32 arrays, named, and an architecture version.
// Array 0 has Julia size (3, 2), so torch shape (2, 3); its values are 1..6 in memory order.
std::filesystem::path small_model(const std::filesystem::path& dir, bool names = true) {
    lf::ModelV1 row;
    row.weights = lf::Weights({lf::FlatArray::from_values<float>({3, 2}, std::vector<float>{1, 2, 3, 4, 5, 6}),
                               lf::FlatArray::from_values<float>({4}, std::vector<float>{-1, 0.5f, 1e-8f, 3e38f})});
    row.architecture_version = 7;
    lf::ModelWriteOptions options;
    if (names) options.weight_names = {"fc.weight", "fc.bias"};
    const auto path = dir / (names ? "small.arrow" : "small_unnamed.arrow");
    lf::write_model_row(path, row, options);
    return path;
}

void expect_same_model(const std::filesystem::path& a, const std::filesystem::path& b) {
    const lf::ModelRow x = lf::read_model_row(a), y = lf::read_model_row(b);
    ASSERT_TRUE(x.weights && y.weights);
    EXPECT_EQ(*x.weights, *y.weights);
    EXPECT_EQ(x.weight_names, y.weight_names);
    EXPECT_EQ(x.architecture_version, y.architecture_version);
    EXPECT_EQ(x.qualified_identifier, y.qualified_identifier);
    // Each file records checksums of its own bytes (the second one's are written afresh).
    const auto without_checksums = [](lf::arrow::Schema s) {
        std::erase_if(s.metadata, [](const auto& kv) { return kv.first == lf::kChecksumsMetadataKey; });
        return s;
    };
    EXPECT_TRUE(lf::arrow::find_metadata(y.table.schema->metadata, lf::kChecksumsMetadataKey));
    EXPECT_EQ(without_checksums(*x.table.schema), without_checksums(*y.table.schema))
        << lf::arrow::to_string(*x.table.schema) << "\nvs\n"
        << lf::arrow::to_string(*y.table.schema);
}

}  // namespace

TEST(CliConvert, ArrowToSafetensorsAndBackIsEqual) {
    const auto dir = cli_scratch_dir("convert_roundtrip");
    const auto arrow = small_model(dir), st = dir / "small.safetensors", back = dir / "back.arrow";
    auto r = run_cli({"convert", arrow.string(), st.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("2 weights of Float32"), std::string::npos) << r.out;
    r = run_cli({"convert", st.string(), back.string(), "--compression", "zstd"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    expect_same_model(arrow, back);

    // The safetensors file itself: PyTorch shapes, names as keys.
    const lf::SafetensorsFile file = lf::read_safetensors(st);
    ASSERT_EQ(file.tensors.size(), 2u);
    EXPECT_EQ(file.tensors[1].name, "fc.weight");
    EXPECT_EQ(file.tensors[1].shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(lf::arrow::find_metadata(file.metadata, "architecture_version").value_or(""), "7");
}

TEST(CliConvert, JuliaWrittenModelRoundTrips) {
    // The Julia fixture without its struct column (config has no safetensors metadata form).
    const auto dir = cli_scratch_dir("convert_julia");
    const auto arrow = julia_model_without(dir, "config"), st = dir / "julia.safetensors", back = dir / "julia.arrow";
    auto r = run_cli({"convert", arrow.string(), st.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("digits.model@1"), std::string::npos) << r.out;
    r = run_cli({"convert", st.string(), back.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    expect_same_model(arrow, back);
    // Unnamed weights get generated names on the way out and none on the way back.
    const lf::SafetensorsFile file = lf::read_safetensors(st);
    EXPECT_EQ(file.tensors.front().name.substr(0, 7), "weight_");
    EXPECT_FALSE(lf::read_model_row(back).weight_names);
}

TEST(CliConvert, WholeJuliaModelRoundTripsWithItsStructColumn) {
    // config, a struct column, goes into __metadata__ as integration JSON and comes back.
    const auto dir = cli_scratch_dir("convert_julia_whole");
    const auto st = dir / "whole.safetensors", back = dir / "whole.arrow";
    auto r = run_cli({"convert", julia_model().string(), st.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    r = run_cli({"convert", st.string(), back.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    expect_same_model(julia_model(), back);

    const lf::ModelRow x = lf::read_model_row(julia_model()), y = lf::read_model_row(back);
    ASSERT_EQ(x.table.schema->fields.size(), y.table.schema->fields.size());
    for (size_t k = 0; k < x.table.schema->fields.size(); ++k) {
        SCOPED_TRACE(x.table.schema->fields[k].name);
        EXPECT_EQ(x.table.schema->fields[k], y.table.schema->fields[k]);
        EXPECT_TRUE(lf::arrow::array_equals(*x.table.batches.at(0).columns[k], *y.table.batches.at(0).columns[k]));
    }
    const lf::SafetensorsFile file = lf::read_safetensors(st);
    const auto config = lf::arrow::find_metadata(file.metadata, "config");
    ASSERT_TRUE(config);
    EXPECT_EQ(nlohmann::json::parse(*config)["schema"]["fields"][0]["name"], "config");
}

TEST(CliExport, NpyBytesAreTheFormatsExactly) {
    const auto dir = cli_scratch_dir("export_npy");
    const auto arrow = small_model(dir);
    const auto st = dir / "small.safetensors";
    ASSERT_EQ(run_cli({"convert", arrow.string(), st.string()}).exit_code, 0);

    // Magic, version 1.0, header length 118 (LE), the dict, spaces to a 64-byte boundary, '\n'.
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    std::string expected("\x93NUMPY\x01\x00\x76\x00", 10);
    expected += dict + std::string(58, ' ') + "\n";
    ASSERT_EQ(expected.size(), 128u);
    const std::vector<float> values{1, 2, 3, 4, 5, 6};
    expected.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));

    for (const auto& [source, weight] : std::vector<std::pair<std::filesystem::path, std::string>>{
             {arrow, "fc.weight"}, {arrow, "0"}, {st, "fc.weight"}, {st, "0"}}) {
        const auto out = dir / "w.npy";
        const auto r = run_cli({"export", source.string(), "--weight", weight, "-o", out.string()});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_EQ(slurp(out), expected) << source << " " << weight;
    }

    // A 1-d array: the shape is written "(4,)".
    const auto out = dir / "b.npy";
    ASSERT_EQ(run_cli({"export", arrow.string(), "-w", "1", "-o", out.string()}).exit_code, 0);
    const std::string bias = slurp(out);
    std::string expected_bias("\x93NUMPY\x01\x00\x76\x00", 10);
    expected_bias += "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }" + std::string(60, ' ') + "\n";
    const std::vector<float> bias_values{-1, 0.5f, 1e-8f, 3e38f};
    expected_bias.append(reinterpret_cast<const char*>(bias_values.data()), bias_values.size() * sizeof(float));
    EXPECT_EQ(bias, expected_bias);

    // Unnamed rows: the generated names convert uses work too.
    const auto unnamed = small_model(dir, false);
    ASSERT_EQ(run_cli({"export", unnamed.string(), "-w", "weight_0002", "-o", out.string()}).exit_code, 0);
    EXPECT_EQ(slurp(out), bias);
}

TEST(CliConvertExport, BadInputIsReportedOnStderr) {
    const auto dir = cli_scratch_dir("convert_bad");
    const auto arrow = small_model(dir);

    // Missing file.
    auto r = run_cli({"convert", (dir / "missing.arrow").string(), (dir / "x.safetensors").string()});
    EXPECT_EQ(r.exit_code, kInputError) << describe(r);
    EXPECT_NE(r.err.find("missing.arrow"), std::string::npos) << r.err;
    r = run_cli({"export", (dir / "missing.safetensors").string(), "-w", "0", "-o", (dir / "x.npy").string()});
    EXPECT_EQ(r.exit_code, kInputError) << describe(r);
    EXPECT_NE(r.err.find("missing.safetensors"), std::string::npos) << r.err;

    // Wrong format: an Arrow file named .safetensors, a safetensors file named .arrow, an extension we do not know.
    const auto disguised = dir / "disguised.safetensors";
    std::filesystem::copy_file(arrow, disguised);
    r = run_cli({"convert", disguised.string(), (dir / "x.arrow").string()});
    EXPECT_EQ(r.exit_code, kInputError) << describe(r);
    EXPECT_NE(r.err.find("disguised.safetensors"), std::string::npos) << r.err;
    const auto st = dir / "real.safetensors";
    ASSERT_EQ(run_cli({"convert", arrow.string(), st.string()}).exit_code, 0);
    const auto st_as_arrow = dir / "real_named.arrow";
    std::filesystem::copy_file(st, st_as_arrow);
    r = run_cli({"export", st_as_arrow.string(), "-w", "0", "-o", (dir / "x.npy").string()});
    EXPECT_EQ(r.exit_code, kInputError) << describe(r);
    EXPECT_FALSE(r.err.empty());
    r = run_cli({"convert", arrow.string(), (dir / "x.onnx").string()});
    EXPECT_EQ(r.exit_code, kUsageError) << describe(r);
    EXPECT_NE(r.err.find(".safetensors"), std::string::npos) << r.err;
    r = run_cli({"convert", arrow.string(), (dir / "x.safetensors").string(), "--compression", "lz4"});
    EXPECT_EQ(r.exit_code, kUsageError) << describe(r);

    // Corrupt files.
    r = run_cli({"convert", corrupt_copy_of_julia_model(dir).string(), (dir / "x.safetensors").string()});
    EXPECT_EQ(r.exit_code, kInputError) << describe(r);
    EXPECT_NE(r.err.find("corrupt.arrow"), std::string::npos) << r.err;
    auto bytes = read_bytes(st);
    bytes[8 + 1] = '#';  // right after the header's opening brace: no longer JSON
    const auto corrupt_st = dir / "corrupt.safetensors";
    write_bytes(corrupt_st, bytes);
    r = run_cli({"convert", corrupt_st.string(), (dir / "x.arrow").string()});
    EXPECT_EQ(r.exit_code, kInputError) << describe(r);
    EXPECT_NE(r.err.find("corrupt.safetensors: safetensors: the header is not valid JSON"), std::string::npos) << r.err;
    bytes = read_bytes(st);
    bytes.resize(bytes.size() - 3);
    write_bytes(corrupt_st, bytes);
    r = run_cli({"export", corrupt_st.string(), "-w", "0", "-o", (dir / "x.npy").string()});
    EXPECT_EQ(r.exit_code, kInputError) << describe(r);
    EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;

    // Unknown weight, by name and by index.
    r = run_cli({"export", arrow.string(), "-w", "fc.nothing", "-o", (dir / "x.npy").string()});
    EXPECT_EQ(r.exit_code, kInputError) << describe(r);
    EXPECT_NE(r.err.find("no weight named or numbered 'fc.nothing'"), std::string::npos) << r.err;
    r = run_cli({"export", st.string(), "-w", "2", "-o", (dir / "x.npy").string()});
    EXPECT_EQ(r.exit_code, kInputError) << describe(r);
    EXPECT_NE(r.err.find("indices 0..1"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "x.npy"));

    // Usage errors: missing arguments.
    EXPECT_EQ(run_cli({"convert", arrow.string()}).exit_code, kUsageError);
    EXPECT_EQ(run_cli({"export", arrow.string(), "-o", (dir / "x.npy").string()}).exit_code, kUsageError);
    EXPECT_EQ(run_cli({"export", arrow.string(), "-w", "0"}).exit_code, kUsageError);
}

TEST(CliConvertExport, EverySubcommandHasHelp) {
    for (const char* cmd : {"convert", "export"}) {
        const auto r = run_cli({cmd, "--help"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
    }
}
