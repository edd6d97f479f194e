// `schema` and `inspect` of Legolas tables whose schema version this program does not declare:
// written here with the library, with nested, list and many-row columns.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/legolas/table_io.hpp"

using namespace lftest;

namespace {

using namespace legolasflux;

// Three rows of every kind of column a team's table may hold, none of them declared anywhere.
arrow::Table experiment_table() {
    using namespace arrow;
    const Field settings =
        field("settings", struct_({field("seed", int64(), false), field("rate", float32(), false)}), false);
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("id", int64(), false),
                      field("score", float64(), false),
                      field("name", utf8(), true),
                      field("tags", list(field("", utf8(), false)), false),
                      settings,
                      field("blob", binary(), false)};
    const int64_t beyond_double = (int64_t{1} << 53) + 1;
    std::vector<ArrayPtr> columns = {
        make_primitive(int64(), std::vector<int64_t>{1, 2, beyond_double}),
        make_primitive(float64(), std::vector<double>{0.5, NAN, -INFINITY}),
        make_strings({"first", "", "third"}, {true, false, true}),
        make_list(schema->fields[3].type, {2, 0, 1}, make_strings({"x", "y", "z"})),
        make_struct(settings.type, 3,
                    {make_primitive(int64(), std::vector<int64_t>{5, 6, 7}),
                     make_primitive(float32(), std::vector<float>{0.25f, 0.5f, 0.75f})}),
        make_binary_like(binary(), {std::string("\0\1\2", 3), "", "hi"}),
    };
    Table table;
    table.schema = schema;
    table.batches.push_back(make_batch(schema, std::move(columns)));
    return table;
}

std::filesystem::path write_undeclared(const std::filesystem::path& dir) {
    legolas::WriteOptions options;
    options.check_compliance = false;  // nothing to check against: the schema version is declared nowhere
    const auto path = dir / "experiment.arrow";
    legolas::write(path, experiment_table(), legolas::make_schema_version("team.experiment", 3), options);
    return path;
}

// The same table naming a parent, also undeclared.
std::filesystem::path write_undeclared_with_parent(const std::filesystem::path& dir) {
    arrow::Table table = experiment_table();
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    arrow::set_metadata(schema->metadata, std::string(legolas::kSchemaQualifiedKey), "team.experiment@3>team.base@1");
    table.schema = schema;
    for (auto& batch : table.batches) batch.schema = schema;
    const auto path = dir / "experiment_with_parent.arrow";
    arrow::write_file(path, table);
    return path;
}

const char* const kNote = "is not declared in this program";

}  // namespace

TEST(CliUndeclaredSchema, InspectShowsChainColumnsAndEveryRow) {
    const auto file = write_undeclared_with_parent(cli_scratch_dir("undeclared_inspect"));
    const auto r = run_cli({"inspect", file.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.err.find(kNote), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("team.experiment@3>team.base@1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("team.experiment@3 > team.base@1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("rows        3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("settings"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("row 3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("third"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("seed: 7"), std::string::npos) << r.out;
}

TEST(CliUndeclaredSchema, InspectJsonHasTypedRows) {
    const auto file = write_undeclared_with_parent(cli_scratch_dir("undeclared_json"));
    const auto r = run_cli({"inspect", "--json", file.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.err.find(kNote), std::string::npos) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["schema"], "team.experiment@3>team.base@1");
    EXPECT_EQ(doc["schema_chain"], nlohmann::json::parse(R"(["team.experiment@3", "team.base@1"])"));
    EXPECT_TRUE(doc["schema_version"].is_null());
    ASSERT_EQ(doc["fields"].size(), 6u);
    EXPECT_EQ(doc["fields"][0]["name"], "id");
    EXPECT_EQ(doc["fields"][0]["type"], "int64");
    EXPECT_EQ(doc["num_rows"], 3);
    const auto& rows = doc["rows"];
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0]["id"], 1);
    EXPECT_TRUE(rows[0]["id"].is_number_integer());
    EXPECT_EQ(rows[2]["id"], "9007199254740993");  // beyond 2^53: a string, exact
    EXPECT_EQ(rows[0]["score"], 0.5);
    EXPECT_EQ(rows[1]["score"], "NaN");
    EXPECT_EQ(rows[2]["score"], "-Infinity");
    EXPECT_EQ(rows[0]["name"], "first");
    EXPECT_TRUE(rows[1]["name"].is_null());
    EXPECT_EQ(rows[0]["tags"], nlohmann::json::parse(R"(["x", "y"])"));
    EXPECT_TRUE(rows[1]["tags"].is_array());
    EXPECT_TRUE(rows[1]["tags"].empty());
    EXPECT_EQ(rows[2]["settings"], nlohmann::json::parse(R"({"seed": 7, "rate": 0.75})"));
    EXPECT_EQ(rows[0]["blob"], "AAEC");
    EXPECT_EQ(rows[1]["blob"], "");
    EXPECT_EQ(rows[2]["blob"], "aGk=");
}

TEST(CliUndeclaredSchema, SchemaShowsTheTableAsFound) {
    const auto file = write_undeclared(cli_scratch_dir("undeclared_schema"));
    auto r = run_cli({"schema", file.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.err.find(kNote), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("team.experiment@3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("tags"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("first"), std::string::npos) << r.out;

    r = run_cli({"schema", "--json", file.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["schema"], "team.experiment@3");
    EXPECT_EQ(doc["rows"].size(), 3u);
    EXPECT_EQ(doc["rows"][0]["settings"]["seed"], 5);
}

TEST(CliUndeclaredSchema, ValidateStillFailsSayingWhy) {
    const auto dir = cli_scratch_dir("undeclared_validate");
    for (const auto& file : {write_undeclared(dir), write_undeclared_with_parent(dir)}) {
        const auto r = run_cli({"validate", file.string()});
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        EXPECT_NE(r.err.find("team.experiment@3"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("not declared"), std::string::npos) << r.err;
    }
}

TEST(CliUndeclaredSchema, APlainArrowFileIsNoLegolasTable) {
    const auto dir = cli_scratch_dir("undeclared_plain");
    const auto plain = dir / "plain.arrow";
    ASSERT_EQ(run_cli({"arrow", "from-json", corpus_json("primitive").string(), plain.string()}).exit_code, 0);
    const auto r = run_cli({"inspect", plain.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("not a Legolas table"), std::string::npos) << r.err;
}
