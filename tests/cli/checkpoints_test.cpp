// `legolasflux checkpoints DIR [--json]` through the real binary: a run directory written by
// CheckpointManager, typed JSON, damaged files (exit 1) and a missing directory.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/checkpoints.hpp"
#include "legolasflux/training_state.hpp"
#include "support/damage.hpp"

namespace cli_ckpt_test {

struct ScoredRowV1 : legolasflux::ModelV1 {
    std::optional<double> loss;
    std::optional<int64_t> epoch;
    std::optional<bool> converged;
    std::optional<std::string> commit_sha;
};
LEGOLAS_RECORD_EXTENDS(ScoredRowV1, "cli-test.scored", 1, legolasflux::ModelV1, loss, epoch, converged, commit_sha);

}  // namespace cli_ckpt_test

using namespace lftest;
using cli_ckpt_test::ScoredRowV1;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

ScoredRowV1 row_of(int64_t step, std::optional<double> loss) {
    ScoredRowV1 r;
    r.weights = legolasflux::Weights({legolasflux::FlatArray::from_values<float>({3}, {1.0f, 2.0f, float(step)})});
    r.loss = loss;
    r.epoch = step;
    r.converged = step > 2;
    r.commit_sha = "abc123";
    return r;
}

fs::path run_dir(const std::string& name) {
    const fs::path dir = cli_scratch_dir(name) / "run";
    legolasflux::CheckpointOptions options;
    options.max_to_keep = 1;
    options.best = legolasflux::KeepBest{"loss", legolasflux::BestMode::Min, 1};
    legolasflux::CheckpointManager run(dir, options);
    run.save(1, row_of(1, 0.5));
    run.save(2, row_of(2, 0.25));
    run.save(3, row_of(3, std::nullopt));
    return dir;
}

}  // namespace

TEST(CliCheckpoints, Text) {
    const fs::path dir = run_dir("checkpoints_text");
    const CliResult r = run_cli({"checkpoints", dir.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "step-0000000002.cli-test.scored.arrow")) << r.out;
    EXPECT_TRUE(contains(r.out, "kept by: best")) << r.out;
    EXPECT_TRUE(contains(r.out, "kept by: latest, last")) << r.out;
    EXPECT_TRUE(contains(r.out, "loss=0.25 epoch=2 converged=false commit_sha=abc123")) << r.out;
    EXPECT_TRUE(contains(r.out, "2 checkpoints, latest step 3")) << r.out;
    EXPECT_FALSE(contains(r.out, "step-0000000001")) << r.out;
}

TEST(CliCheckpoints, TypedJson) {
    const fs::path dir = run_dir("checkpoints_json");
    const CliResult r = run_cli({"checkpoints", dir.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["latest"], 3);
    ASSERT_EQ(j["checkpoints"].size(), 2u);
    const auto& best = j["checkpoints"][0];
    EXPECT_EQ(best["step"], 2);
    EXPECT_EQ(best["file"], "step-0000000002.cli-test.scored.arrow");
    EXPECT_EQ(best["schema"], "cli-test.scored@1>legolas-flux.model@1");
    EXPECT_EQ(best["kept_by"], nlohmann::json::array({"best"}));
    EXPECT_EQ(best["bytes"], fs::file_size(dir / best["file"].get<std::string>()));
    EXPECT_TRUE(best["checksum"].is_string());
    EXPECT_TRUE(best["committed_at"].get<std::string>().ends_with("Z"));
    EXPECT_EQ(best["metrics"]["loss"], 0.25);
    EXPECT_EQ(best["metrics"]["epoch"], 2);
    EXPECT_EQ(best["metrics"]["converged"], false);
    EXPECT_EQ(best["metrics"]["commit_sha"], "abc123");
    // A missing value is not a metric of that row.
    EXPECT_FALSE(j["checkpoints"][1]["metrics"].contains("loss"));
    EXPECT_TRUE(j["damaged"].empty());
}

TEST(CliCheckpoints, DamagedFilesAreReportedWithExitStatusOne) {
    const fs::path dir = run_dir("checkpoints_damaged");
    const fs::path file = dir / "step-0000000003.cli-test.scored.arrow";
    fs::resize_file(file, fs::file_size(file) - 9);
    const CliResult r = run_cli({"checkpoints", dir.string(), "--json"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["damaged"].size(), 1u);
    EXPECT_EQ(j["damaged"][0]["step"], 3);
    EXPECT_EQ(j["checkpoints"].size(), 1u);
    EXPECT_TRUE(contains(r.err, "damaged checkpoint: step-0000000003.cli-test.scored.arrow")) << r.err;
}

TEST(CliCheckpoints, EmptyAndMissingDirectories) {
    const fs::path empty = cli_scratch_dir("checkpoints_empty");
    fs::create_directories(empty);
    const CliResult r = run_cli({"checkpoints", empty.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "no committed checkpoints")) << r.out;
    const CliResult missing = run_cli({"checkpoints", (empty / "nope").string()});
    EXPECT_EQ(missing.exit_code, 1) << describe(missing);
    EXPECT_TRUE(contains(missing.err, (empty / "nope").string() + ": no such directory")) << missing.err;
    const CliResult file = run_cli({"checkpoints", julia_model().string()});
    EXPECT_EQ(file.exit_code, 1) << describe(file);
    EXPECT_TRUE(contains(file.err, julia_model().string() + ": not a directory")) << file.err;
    EXPECT_EQ(run_cli({"checkpoints"}).exit_code, 2);
}

TEST(CliCheckpoints, TheIndexAndTrainingStatesAreSchemasTheToolKnows) {
    const fs::path dir = run_dir("checkpoints_validate");
    const CliResult r = run_cli({"validate", (dir / "checkpoints.arrow").string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_FALSE(contains(r.err, "not declared")) << r.err;
    const CliResult schema = run_cli({"schema", (dir / "checkpoints.arrow").string()});
    EXPECT_EQ(schema.exit_code, 0) << describe(schema);
    EXPECT_TRUE(contains(schema.out, "legolas-flux.checkpoint-index@1")) << schema.out;
    EXPECT_TRUE(contains(schema.out, "committed_at")) << schema.out;

    legolasflux::TrainingStateV1 state;
    state.weights = legolasflux::Weights({legolasflux::FlatArray::from_values<float>({2}, {1.0f, 2.0f})});
    state.optimizer = "SGD";
    state.param_groups.push_back({1, 0.1, 0.0, 0.9, 0.0, false});
    legolasflux::write_model_row(dir / "state.arrow", state);
    const CliResult ts = run_cli({"schema", (dir / "state.arrow").string()});
    EXPECT_EQ(ts.exit_code, 0) << describe(ts);
    EXPECT_TRUE(contains(ts.out, "legolas-flux.training-state@1")) << ts.out;
    EXPECT_TRUE(contains(ts.out, "optimizer_state")) << ts.out;
}

namespace {

// Where row_of(step)'s weight values {1, 2, step} lie in its file.
size_t values_offset(const fs::path& path, int64_t step) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const float values[3] = {1.0f, 2.0f, static_cast<float>(step)};
    const size_t at = bytes.find(std::string(reinterpret_cast<const char*>(values), sizeof values));
    EXPECT_NE(at, std::string::npos) << path;
    return at;
}

}  // namespace

TEST(CliCheckpoints, DamageOutsideTheValuesIsFoundByListingInsideByVerify) {
    for (const bool in_values : {false, true}) {
        SCOPED_TRACE(in_values ? "values" : "metadata");
        const fs::path dir = run_dir(in_values ? "checkpoints_flip_values" : "checkpoints_flip_metadata");
        const fs::path file = dir / "step-0000000003.cli-test.scored.arrow";
        const size_t offset = in_values ? values_offset(file, 3) + 9 : 20;  // the schema message
        lftest::flip_byte(file, offset);
        const CliResult listed = run_cli({"checkpoints", dir.string()});
        if (in_values) {
            EXPECT_EQ(listed.exit_code, 0) << describe(listed);
            EXPECT_TRUE(contains(listed.out, "2 checkpoints, latest step 3")) << listed.out;
        } else {
            EXPECT_EQ(listed.exit_code, 1) << describe(listed);
            EXPECT_TRUE(contains(listed.err, "damaged checkpoint: step-0000000003.cli-test.scored.arrow"))
                << listed.err;
            EXPECT_TRUE(contains(listed.out, "1 checkpoint, latest step 2")) << listed.out;
        }
        const CliResult verified = run_cli({"checkpoints", dir.string(), "--verify", "--json"});
        EXPECT_EQ(verified.exit_code, 1) << describe(verified);
        const auto j = nlohmann::json::parse(verified.out);
        EXPECT_EQ(j["verified"], true);
        EXPECT_EQ(j["latest"], 2);
        ASSERT_EQ(j["damaged"].size(), 1u);
        EXPECT_EQ(j["damaged"][0]["step"], 3);
        EXPECT_TRUE(contains(j["damaged"][0]["error"].get<std::string>(), "checksum")) << j.dump();
        EXPECT_TRUE(contains(verified.err, "damaged checkpoint: step-0000000003.cli-test.scored.arrow"))
            << verified.err;
    }
    // Nothing damaged: --verify reads every step, exit 0.
    const fs::path dir = run_dir("checkpoints_verify_clean");
    const CliResult clean = run_cli({"checkpoints", dir.string(), "--verify"});
    EXPECT_EQ(clean.exit_code, 0) << describe(clean);
    EXPECT_TRUE(contains(clean.out, "2 checkpoints, latest step 3 (every checksum verified)")) << clean.out;
}

TEST(CliCheckpoints, SetAsideFilesAreListedAndGcDamagedRemovesThem) {
    const fs::path dir = run_dir("checkpoints_set_aside");
    lftest::flip_byte(dir / "step-0000000003.cli-test.scored.arrow", 20);
    {
        legolasflux::CheckpointOptions options;
        options.max_to_keep = 1;
        options.best = legolasflux::KeepBest{"loss", legolasflux::BestMode::Min, 1};
        legolasflux::CheckpointManager run(dir, options);
        ASSERT_EQ(run.damaged().size(), 1u);
        run.save(3, row_of(3, std::nullopt));  // the resume's save of the damaged step's number
    }
    const std::string aside = "step-0000000003.cli-test.scored.arrow.damaged";
    const CliResult listed = run_cli({"checkpoints", dir.string()});
    EXPECT_EQ(listed.exit_code, 0) << describe(listed);
    EXPECT_TRUE(contains(listed.out, "set aside  " + aside)) << listed.out;
    const CliResult json = run_cli({"checkpoints", dir.string(), "--json"});
    EXPECT_EQ(nlohmann::json::parse(json.out)["set_aside"], nlohmann::json::array({aside})) << json.out;

    // gc without --damaged never touches it; --dry-run says what it would remove.
    EXPECT_EQ(run_cli({"gc", dir.string()}).exit_code, 0);
    EXPECT_TRUE(fs::exists(dir / aside));
    const CliResult dry = run_cli({"gc", dir.string(), "--damaged", "--dry-run"});
    EXPECT_EQ(dry.exit_code, 0) << describe(dry);
    EXPECT_TRUE(contains(dry.out, "would remove  " + aside)) << dry.out;
    EXPECT_TRUE(fs::exists(dir / aside));
    const CliResult gc = run_cli({"gc", dir.string(), "--damaged", "--json"});
    EXPECT_EQ(gc.exit_code, 0) << describe(gc);
    const auto j = nlohmann::json::parse(gc.out);
    ASSERT_EQ(j["damaged_removed"].size(), 1u) << gc.out;
    EXPECT_EQ(j["damaged_removed"][0]["name"], aside);
    EXPECT_FALSE(fs::exists(dir / aside));
    EXPECT_TRUE(fs::exists(dir / "step-0000000003.cli-test.scored.arrow"));
    EXPECT_EQ(run_cli({"checkpoints", dir.string(), "--verify"}).exit_code, 0);
}
