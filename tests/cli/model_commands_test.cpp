// `legolasflux validate`, `schema` and `inspect` through the real binary, on the Julia file and on
// copies of it with something broken.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"

using namespace lftest;

TEST(CliValidate, TheJuliaFileIsAValidModelTable) {
    const auto r = run_cli({"validate", julia_model().string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("valid `legolas-flux.model@1` table (1 row)"), std::string::npos) << r.out;
    // digits.model@1 is declared by the digits example, not by the tool: it says what it checked.
    EXPECT_NE(r.err.find("checked as its ancestor `legolas-flux.model@1`"), std::string::npos) << r.err;

    const auto explicit_schema = run_cli({"validate", "--schema", "legolas-flux.model@1", julia_model().string()});
    EXPECT_EQ(explicit_schema.exit_code, 0) << describe(explicit_schema);
}

TEST(CliValidate, MissingOptionalColumnsAreFineARetypedColumnIsAViolationInWords) {
    const auto dir = cli_scratch_dir("validate_columns");
    // Both columns of legolas-flux.model@1 may be missing (Union{Missing,…}): a file without them complies.
    auto r = run_cli({"validate", julia_model_without(dir, "weights").string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    r = run_cli({"validate", julia_model_without(dir, "architecture_version").string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);

    r = run_cli({"validate", julia_model_retyped(dir, "weights", "epoch").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("violates Legolas schema `legolas-flux.model@1`"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("weights"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("JuliaLang.LegolasFlux.Weights"), std::string::npos) << r.out;

    r = run_cli({"validate", julia_model_retyped(dir, "architecture_version", "accuracy").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("architecture_version"), std::string::npos) << r.out;
}

TEST(CliValidate, UnknownSchemaAndBadFiles) {
    const auto dir = cli_scratch_dir("validate_bad");
    auto r = run_cli({"validate", "--schema", "nobody.model@3", julia_model().string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("nobody.model@3"), std::string::npos) << r.err;

    r = run_cli({"validate", (dir / "missing.arrow").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("missing.arrow"), std::string::npos) << r.err;

    r = run_cli({"validate", corrupt_copy_of_julia_model(dir).string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("corrupt.arrow"), std::string::npos) << r.err;

    // A plain Arrow file without a Legolas schema tag.
    const auto plain = dir / "plain.arrow";
    ASSERT_EQ(run_cli({"arrow", "from-json", corpus_json("primitive").string(), plain.string()}).exit_code, 0);
    r = run_cli({"validate", plain.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_FALSE(r.err.empty());
}

TEST(CliSchema, PrintsTheChainAndTheDeclaredFields) {
    const auto r = run_cli({"schema", julia_model().string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out.rfind("digits.model@1>legolas-flux.model@1\n", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("weights: optional extension JuliaLang.LegolasFlux.Weights"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("architecture_version: optional int64"), std::string::npos) << r.out;
}

TEST(CliInspect, TextListsEveryWeightWithBothLayouts) {
    const auto r = run_cli({"inspect", julia_model().string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("digits.model@1>legolas-flux.model@1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("14 arrays of Float32"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("(3, 3, 1, 32)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("[32, 1, 3, 3]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("total: 14 arrays, 7542 values, 30168 bytes"), std::string::npos) << r.out;
}

TEST(CliInspect, JsonHoldsTheSizesOfTheJuliaReadme) {
    const auto r = run_cli({"inspect", "--json", julia_model().string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["schema"], "digits.model@1>legolas-flux.model@1");
    EXPECT_EQ(doc["columns"]["epoch"], 1);
    const auto& arrays = doc["weights"]["arrays"];
    ASSERT_EQ(arrays.size(), 14u);
    // Sizes as tests/fixtures/julia/README.md lists them (Julia's column-major order).
    const std::vector<std::vector<int>> sizes = {{3, 3, 1, 32},  {32}, {32},           {32}, {32},     {32},
                                                 {3, 3, 32, 16}, {16}, {3, 3, 16, 10}, {10}, {10, 90}, {10},
                                                 {10, 10},       {10}};
    int64_t total = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
        EXPECT_EQ(arrays[i]["julia_size"].get<std::vector<int>>(), sizes[i]) << i;
        auto torch = sizes[i];
        std::reverse(torch.begin(), torch.end());
        EXPECT_EQ(arrays[i]["torch_shape"].get<std::vector<int>>(), torch) << i;
        total += arrays[i]["count"].get<int64_t>();
    }
    EXPECT_EQ(total, 7542);
}

TEST(CliInspect, BadInput) {
    const auto dir = cli_scratch_dir("inspect_bad");
    auto r = run_cli({"inspect", (dir / "missing.arrow").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("No such file"), std::string::npos) << r.err;
    r = run_cli({"inspect", corrupt_copy_of_julia_model(dir).string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    r = run_cli({"inspect", "--json", corpus_json("primitive").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(r.out, "");
}
