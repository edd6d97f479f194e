// A team's own schema, two levels of extension below legolas-flux.model@1, which the CLI does not
// declare: the files the library writes carry their declarations (legolasflux.schema_declarations),
// and `validate`, `schema` and `inspect` check and show them from there, or from `--declare`.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/legolas/declaration_json.hpp"
#include "legolasflux/model.hpp"

using namespace lftest;

namespace team {

struct OptimizerV1 {
    std::string name;
    std::optional<float> momentum;
};
LEGOLAS_RECORD(OptimizerV1, "team.optimizer", 1, name, momentum);

struct BaseV1 : legolasflux::ModelV1 {
    std::string dataset;
    int64_t seed = 0;
};
LEGOLAS_RECORD_EXTENDS(BaseV1, "team.base", 1, legolasflux::ModelV1, dataset, seed);

struct RunV1 : BaseV1 {
    int64_t step = 0;
    std::optional<double> learning_rate;  // nullable
    std::vector<float> losses;
    OptimizerV1 optimizer;
};
LEGOLAS_RECORD_EXTENDS(RunV1, "team.run", 1, BaseV1, step, learning_rate, losses, optimizer);

}  // namespace team

namespace {

namespace fs = std::filesystem;
using namespace legolasflux;

const char* const kQualified = "team.run@1>team.base@1>legolas-flux.model@1";
const char* const kInTheFile = "declared in the file (legolasflux.schema_declarations)";

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

fs::path write_run(const fs::path& dir) {
    team::RunV1 row;
    row.weights =
        Weights({FlatArray::from_values<float>({2, 2}, {1, 2, 3, 4}), FlatArray::from_values<float>({2}, {5, 6})});
    row.architecture_version = 3;
    row.dataset = "mnist";
    row.seed = 42;
    row.step = 1200;
    row.learning_rate = std::nullopt;
    row.losses = {0.5f, 0.25f};
    row.optimizer = {"sgd", 0.9f};
    const fs::path path = dir / "run.arrow";
    write_model_row(path, row);
    return path;
}

// The table of `path` with `change` applied, written (as team.run@1, unchecked) to `out`.
template <class F>
fs::path rewrite(const fs::path& path, const fs::path& out, F change, bool keep_declarations = true) {
    arrow::Table table = arrow::read_any(path);
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    std::erase_if(schema->metadata, [&](const auto& kv) {
        return kv.first == kChecksumsMetadataKey || (!keep_declarations && kv.first == legolas::kSchemaDeclarationsKey);
    });
    std::vector<arrow::ArrayPtr> columns = table.batches.at(0).columns;
    change(*schema, columns);
    table.schema = schema;
    table.batches = {arrow::make_batch(schema, std::move(columns))};
    if (keep_declarations) {
        legolas::WriteOptions options;
        options.check_compliance = false;
        legolas::write(out, table, legolas::schema_version_of<team::RunV1>(), options);
    } else {
        arrow::write_file(out, table);
    }
    return out;
}

size_t column(const arrow::Schema& schema, const std::string& name) {
    for (size_t i = 0; i < schema.fields.size(); ++i)
        if (schema.fields[i].name == name) return i;
    throw std::runtime_error("no column " + name);
}

// A null in the non-nullable `step`, and `dataset` as an integer.
fs::path write_violating(const fs::path& good, const fs::path& dir) {
    return rewrite(good, dir / "bad.arrow", [](arrow::Schema& schema, std::vector<arrow::ArrayPtr>& columns) {
        const size_t step = column(schema, "step"), dataset = column(schema, "dataset");
        schema.fields[step] = arrow::field("step", arrow::int64(), true);
        columns[step] = arrow::make_primitive(arrow::int64(), std::vector<std::optional<int64_t>>{std::nullopt});
        schema.fields[dataset] = arrow::field("dataset", arrow::int64(), false);
        columns[dataset] = arrow::make_primitive(arrow::int64(), std::vector<int64_t>{7});
    });
}

// The same file as another writer (Julia) would have it: no declarations.
fs::path write_without_declarations(const fs::path& good, const fs::path& dir) {
    return rewrite(
        good, dir / "bare.arrow", [](arrow::Schema&, std::vector<arrow::ArrayPtr>&) {}, false);
}

fs::path write_text(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

// The chain's declarations, as the file records them.
std::string chain_json() {
    return legolas::declarations_to_json(
        legolas::declaration_chain(legolas::default_registry(), legolas::schema_version_of<team::RunV1>()));
}

// The file at `path` with its declarations key set to `value`.
fs::path with_declarations(const fs::path& path, const fs::path& out, const std::string& value) {
    arrow::Table table = arrow::read_any(path);
    auto schema = std::make_shared<arrow::Schema>(*table.schema);
    arrow::set_metadata(schema->metadata, std::string(legolas::kSchemaDeclarationsKey), value);
    table.schema = schema;
    for (auto& b : table.batches) b.schema = schema;
    arrow::write_file(out, table);
    return out;
}

}  // namespace

TEST(CliOwnSchema, ValidateChecksTheFileAgainstItsOwnDeclaration) {
    const auto dir = cli_scratch_dir("own_schema_validate");
    const auto file = write_run(dir);
    const auto r = run_cli({"validate", file.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, std::string("valid `") + kQualified + "` table (1 row)")) << r.out;
    EXPECT_TRUE(contains(r.out, std::string("team.run@1: ") + kInTheFile)) << r.out;
    EXPECT_TRUE(contains(r.out, std::string("team.base@1: ") + kInTheFile)) << r.out;
    EXPECT_TRUE(contains(r.out, "legolas-flux.model@1: built in")) << r.out;
    EXPECT_FALSE(contains(r.err, "ancestor")) << r.err;

    // Any version of the chain, by name.
    for (const char* sv : {"team.run@1", "team.base@1", "legolas-flux.model@1"}) {
        const auto s = run_cli({"validate", "--schema", sv, file.string()});
        EXPECT_EQ(s.exit_code, 0) << sv << "\n" << describe(s);
    }
    const auto unknown = run_cli({"validate", "--schema", "team.other@1", file.string()});
    EXPECT_EQ(unknown.exit_code, 1) << describe(unknown);
    EXPECT_TRUE(contains(unknown.err, "team.other@1")) << unknown.err;
    EXPECT_TRUE(contains(unknown.err, "--declare")) << unknown.err;
}

TEST(CliOwnSchema, AViolationOfTheFilesDeclarationNamesTheField) {
    const auto dir = cli_scratch_dir("own_schema_violation");
    const auto bad = write_violating(write_run(dir), dir);
    const auto r = run_cli({"validate", bad.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.out, std::string("violates Legolas schema `") + kQualified + "`")) << r.out;
    EXPECT_TRUE(contains(r.out, "Incorrect type: `step` expected `<:int64`, found `int64 (nullable)`")) << r.out;
    EXPECT_TRUE(contains(r.out, "Incorrect type: `dataset` expected `<:string`, found `int64`")) << r.out;
    EXPECT_TRUE(contains(r.out, kInTheFile)) << r.out;
    // As its grandparent it is fine: the violations are of the team's own fields.
    const auto as_model = run_cli({"validate", "--schema", "legolas-flux.model@1", bad.string()});
    EXPECT_EQ(as_model.exit_code, 0) << describe(as_model);
}

TEST(CliOwnSchema, SchemaListsEveryFieldAndWhereEachDeclarationCameFrom) {
    const auto dir = cli_scratch_dir("own_schema_schema");
    const auto file = write_run(dir);
    auto r = run_cli({"schema", file.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out.rfind(std::string(kQualified) + "\n", 0), 0u) << r.out;
    for (const char* line :
         {"  weights: optional extension JuliaLang.LegolasFlux.Weights",
          "  architecture_version: optional int64  (declared by legolas-flux.model@1)",
          "  dataset: string  (declared by team.base@1)", "  seed: int64  (declared by team.base@1)",
          "  step: int64  (declared by team.run@1)", "  learning_rate: optional float64  (declared by team.run@1)",
          "  losses: list of float32  (declared by team.run@1)",
          "  optimizer: struct {name: string, momentum: optional float32}  (declared by team.run@1)"})
        EXPECT_TRUE(contains(r.out, line)) << line << "\n" << r.out;
    EXPECT_TRUE(contains(r.out, std::string("  team.run@1: ") + kInTheFile + "\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "  legolas-flux.model@1: built in\n")) << r.out;

    r = run_cli({"schema", "--json", file.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["schema_version"], "team.run@1");
    ASSERT_EQ(doc["fields"].size(), 8u) << r.out;
    EXPECT_EQ(doc["fields"][4]["name"], "step");
    EXPECT_EQ(doc["fields"][4]["declared_by"], "team.run@1");
    EXPECT_EQ(doc["declarations"], nlohmann::json::parse(R"([
        {"schema_version": "team.run@1", "parent": "team.base@1", "origin": "file"},
        {"schema_version": "team.base@1", "parent": "legolas-flux.model@1", "origin": "file"},
        {"schema_version": "legolas-flux.model@1", "parent": null, "origin": "built_in"}])"));
}

TEST(CliOwnSchema, InspectReadsTheRowAsItsOwnSchema) {
    const auto dir = cli_scratch_dir("own_schema_inspect");
    const auto file = write_run(dir);
    auto r = run_cli({"inspect", file.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, std::string(kQualified) + " (read as team.run@1)")) << r.out;
    EXPECT_TRUE(
        contains(r.out, std::string("team.run@1, team.base@1: ") + kInTheFile + "; legolas-flux.model@1: built in"))
        << r.out;
    EXPECT_TRUE(contains(r.out, "mnist")) << r.out;
    EXPECT_TRUE(contains(r.out, "2 arrays of Float32")) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
    r = run_cli({"inspect", "--json", file.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["schema_version"], "team.run@1");
    EXPECT_EQ(doc["declarations"][1]["origin"], "file");
    EXPECT_EQ(doc["columns"]["step"], 1200);
}

TEST(CliOwnSchema, DeclareGivesTheDeclarationOfAFileWithout) {
    const auto dir = cli_scratch_dir("own_schema_declare");
    const auto good = write_run(dir);
    const auto bare = write_without_declarations(good, dir);
    // Without: checked as the ancestor this program knows, as before.
    auto r = run_cli({"validate", bare.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.err, "checked as its ancestor `legolas-flux.model@1`")) << r.err;

    // A hand-written declaration of the team's two versions; legolas-flux.model@1 is built in.
    const auto team_json = write_text(dir / "team.json", R"({"declarations": [
      {"schema_version": "team.base@1", "parent": "legolas-flux.model@1", "fields": [
        {"name": "dataset", "kind": "string"},
        {"name": "seed", "kind": "exact", "type": {"name": "int", "bitWidth": 64, "isSigned": true}}]},
      {"schema_version": "team.run@1", "parent": "team.base@1", "fields": [
        {"name": "step", "kind": "exact", "type": {"name": "int", "bitWidth": 64, "isSigned": true}},
        {"name": "learning_rate", "kind": "exact", "optional": true, "type": {"name": "floatingpoint", "precision": "DOUBLE"}},
        {"name": "losses", "kind": "list_of", "item": {"kind": "exact", "type": {"name": "floatingpoint", "precision": "SINGLE"}}},
        {"name": "optimizer", "kind": "struct_of", "fields": [
          {"name": "name", "kind": "string"},
          {"name": "momentum", "kind": "exact", "optional": true, "type": {"name": "floatingpoint", "precision": "SINGLE"}}]}]}]})");
    r = run_cli({"validate", "--declare", team_json.string(), bare.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, std::string("valid `") + kQualified + "`")) << r.out;
    EXPECT_TRUE(contains(r.out, "team.run@1: from --declare " + team_json.string())) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
    r = run_cli({"schema", "--declare", team_json.string(), bare.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "  step: int64  (declared by team.run@1)")) << r.out;
    r = run_cli({"inspect", "--declare", team_json.string(), bare.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "(read as team.run@1)")) << r.out;

    // The hand-written declaration equals the one the file records: both may be given.
    r = run_cli({"validate", "--declare", team_json.string(), good.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    // The file's own declaration as a --declare file (it holds legolas-flux.model@1 too, equal to the built-in).
    const auto chain_file = write_text(dir / "chain.json", chain_json());
    r = run_cli({"validate", "--declare", chain_file.string(), "--schema", "team.run@1", bare.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    // Checked against it, the violating file still fails.
    r = run_cli({"validate", "--declare", team_json.string(), write_violating(good, dir).string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.out, "`step`")) << r.out;
}

TEST(CliOwnSchema, ContradictionsAndBrokenDeclarationsAreClearErrors) {
    const auto dir = cli_scratch_dir("own_schema_contradictions");
    const auto good = write_run(dir);

    // --declare says step is int32; the file says int64.
    const auto int32_json = write_text(dir / "int32.json", R"({"declarations": [
      {"schema_version": "team.run@1", "parent": "team.base@1", "fields": [
        {"name": "step", "kind": "exact", "type": {"name": "int", "bitWidth": 32, "isSigned": true}}]},
      {"schema_version": "team.base@1", "parent": "legolas-flux.model@1", "fields": []}]})");
    for (const char* command : {"validate", "schema", "inspect"}) {
        const auto r = run_cli({command, "--declare", int32_json.string(), good.string()});
        EXPECT_EQ(r.exit_code, 1) << command << "\n" << describe(r);
        EXPECT_TRUE(contains(r.err, good.string() +
                                        " (metadata key `legolasflux.schema_declarations`): the file's "
                                        "declaration of `team.run@1` contradicts the one from --declare " +
                                        int32_json.string() + ": `step`: int64 vs int32"))
            << r.err;
    }

    // The file's declaration of the built-in schema differs from the program's.
    std::string changed = chain_json();
    const std::string architecture = R"({"name":"architecture_version","kind":"exact","optional":true,)";
    ASSERT_TRUE(contains(changed, architecture)) << changed;
    changed.replace(changed.find(architecture), architecture.size(),
                    R"({"name":"architecture_version","kind":"exact",)");
    auto r = run_cli({"validate", with_declarations(good, dir / "builtin.arrow", changed).string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err,
                         "builtin.arrow (metadata key `legolasflux.schema_declarations`): the file's declaration "
                         "of `legolas-flux.model@1` contradicts the one built in: `architecture_version`: int64 "
                         "vs optional int64"))
        << r.err;

    // Not JSON; parents in a cycle; a parent nobody declares.
    r = run_cli({"validate", with_declarations(good, dir / "garbled.arrow", "{\"declarations\": [").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err,
                         "garbled.arrow (metadata key `legolasflux.schema_declarations`): schema declarations: "
                         "not valid JSON"))
        << r.err;
    const std::string cycle = R"({"declarations": [
        {"schema_version": "team.run@1", "parent": "team.base@1", "fields": []},
        {"schema_version": "team.base@1", "parent": "team.run@1", "fields": []}]})";
    r = run_cli({"schema", with_declarations(good, dir / "cycle.arrow", cycle).string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "cycle.arrow")) << r.err;
    EXPECT_TRUE(contains(r.err, "form a cycle")) << r.err;
    const std::string orphan =
        R"({"declarations": [{"schema_version": "team.run@1", "parent": "team.gone@1", "fields": []}]})";
    r = run_cli({"inspect", with_declarations(good, dir / "orphan.arrow", orphan).string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "`team.run@1` extends `team.gone@1`")) << r.err;

    // A --declare file that cannot be read, or is not a declaration.
    r = run_cli({"validate", "--declare", (dir / "missing.json").string(), good.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "missing.json: cannot read the --declare file")) << r.err;
    r = run_cli({"validate", "--declare", write_text(dir / "list.json", "[1, 2]").string(), good.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "list.json: schema declarations: the document must be an object")) << r.err;
}

// apache-arrow JS, an independent reader, reads the file with its extra metadata key: the values,
// and the declarations as JSON (tests/interop/own_schema.mjs).
TEST(CliOwnSchema, ApacheArrowJsReadsTheFile) {
#if defined(LEGOLASFLUX_NODE) && defined(LEGOLASFLUX_OWN_SCHEMA_JS)
    const auto file = write_run(cli_scratch_dir("own_schema_js"));
    const std::string command = std::string(LEGOLASFLUX_NODE) + " " + LEGOLASFLUX_OWN_SCHEMA_JS + " " + file.string();
    std::FILE* p = ::popen(command.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char chunk[256];
    while (std::fgets(chunk, sizeof chunk, p)) out += chunk;
    const int status = ::pclose(p);
    EXPECT_EQ(status, 0) << out;
    EXPECT_TRUE(contains(out, "ok")) << out;
#else
    GTEST_SKIP() << "node was not found when the build was configured (scripts/setup.sh installs it)";
#endif
}
