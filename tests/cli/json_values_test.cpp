// Values printed as JSON are typed (`inspect --json`, `diff --json`): numbers, null, objects.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/arrow/builder.hpp"

using namespace lftest;

namespace {

// The Julia model with `config` as Legolas v0.4 wrote a nested row (julia-format.md §3.6):
// {"1": "digits-config", "2": 1, "3": {seed, dropout_rate}} with extension name JuliaLang.digits-config@1.
std::filesystem::path julia_model_with_v04_config(const std::filesystem::path& dir) {
    using namespace legolasflux::arrow;
    Table table = read_file(julia_model());
    auto schema = std::make_shared<Schema>(*table.schema);
    size_t k = 0;
    while (schema->fields[k].name != "config") ++k;
    Field payload = schema->fields[k];
    payload.name = "3";
    const DataType wrapped = struct_({field("1", utf8(), false), field("2", int64(), false), payload});
    const KeyValueMetadata extension = {{"ARROW:extension:name", "JuliaLang.digits-config@1"},
                                        {"ARROW:extension:metadata", ""}};
    schema->fields[k] = field("config", wrapped, false, extension);
    for (auto& batch : table.batches) {
        const auto n = static_cast<size_t>(batch.length);
        batch.columns[k] = make_struct(wrapped, batch.length,
                                       {make_strings(std::vector<std::string>(n, "digits-config")),
                                        make_primitive(int64(), std::vector<int64_t>(n, 1)), batch.columns[k]});
        batch.schema = schema;
    }
    table.schema = schema;
    const auto path = dir / "v04_config.arrow";
    write_file(path, table);
    return path;
}

}  // namespace

TEST(CliJsonValues, InspectOfTheJuliaFileGivesTypedColumns) {
    const auto r = run_cli({"inspect", "--json", julia_model().string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto doc = nlohmann::json::parse(r.out);
    const auto& columns = doc["columns"];
    EXPECT_TRUE(columns["architecture_version"].is_null()) << columns;
    EXPECT_TRUE(columns["epoch"].is_number_integer()) << columns;
    EXPECT_EQ(columns["epoch"], 1);
    ASSERT_TRUE(columns["accuracy"].is_number_float()) << columns;
    // A Float32 is printed in its shortest form, not as the double nearest to it.
    EXPECT_EQ(r.out.find("0.0599999"), std::string::npos) << r.out;
    ASSERT_TRUE(columns["config"].is_object()) << columns;
    EXPECT_EQ(columns["config"], nlohmann::json::parse(R"({"seed": 5, "dropout_rate": 0})"));
    EXPECT_TRUE(columns["config"]["seed"].is_number_integer());
    EXPECT_EQ(doc["weights"]["arrays"].size(), 14u);
}

TEST(CliJsonValues, ALegolasV04NestedRowIsAnObjectOfItsFields) {
    const auto file = julia_model_with_v04_config(cli_scratch_dir("json_v04"));
    const auto r = run_cli({"inspect", "--json", file.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto config = nlohmann::json::parse(r.out)["columns"]["config"];
    ASSERT_TRUE(config.is_object()) << config;
    EXPECT_EQ(config, nlohmann::json::parse(R"({"seed": 5, "dropout_rate": 0})"));
}

TEST(CliJsonValues, DiffGivesTypedValues) {
    const auto r = run_cli({"diff", "--json", julia_model().string(), julia_model().string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto doc = nlohmann::json::parse(r.out);
    bool seen_epoch = false;
    for (const auto& c : doc["columns"]) {
        if (c["name"] == "epoch") {
            seen_epoch = true;
            EXPECT_EQ(c["value_a"], 1);
            EXPECT_EQ(c["value_b"], 1);
        }
        if (c["name"] == "architecture_version") EXPECT_TRUE(c["value_a"].is_null()) << c;
        if (c["name"] == "config") EXPECT_TRUE(c["value_a"].is_object()) << c;
    }
    EXPECT_TRUE(seen_epoch) << r.out;
}
