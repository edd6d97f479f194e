// `legolasflux inspect STEP_DIR` and `legolasflux consolidate STEP_DIR OUT` through the real binary,
// on a sharded checkpoint saved by three ranks in one process (save_sharded without a group).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_support.hpp"
#include "legolasflux/sharded.hpp"

using namespace lftest;
namespace fs = std::filesystem;
namespace lf = legolasflux;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// "w" [7, 4] split by rows over 3 ranks, "b" [4] replicated; value = flat index (+ 100 for b).
fs::path step_dir(const std::string& name) {
    const fs::path dir = cli_scratch_dir(name) / lf::sharded_step_name(12);
    std::vector<lf::RankShards> ranks;
    const std::vector<int64_t> w{7, 4}, b{4};
    for (int r = 0; r < 3; ++r) {
        const lf::ChunkBox box = lf::row_split(w, r, 3);
        std::vector<float> values;
        for (int64_t i = 0; i < box.element_count(); ++i) values.push_back(static_cast<float>(box.offset[0] * 4 + i));
        ranks.push_back({r,
                         3,
                         {{"w", lf::ElementType::Float32, w, {{box, lf::arrow::Buffer::copy_of(values)}}, false},
                          {"b",
                           lf::ElementType::Float32,
                           b,
                           {{lf::whole_box(b), lf::arrow::Buffer::copy_of(std::vector<float>{100, 101, 102, 103})}},
                           true}}});
    }
    lf::save_sharded(dir, ranks, 12);
    return dir;
}

}  // namespace

TEST(CliSharded, InspectShowsTheTensorsAndTheIndex) {
    const fs::path dir = step_dir("sharded_inspect");
    const CliResult r = run_cli({"inspect", dir.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "sharded checkpoint, 2 tensors in 4 chunks, 3 shard files")) << r.out;
    EXPECT_TRUE(contains(r.out, "legolas-flux.shard-index@1")) << r.out;
    EXPECT_TRUE(contains(r.out, "replicated")) << r.out;
    const CliResult j = run_cli({"inspect", dir.string(), "--json"});
    ASSERT_EQ(j.exit_code, 0) << describe(j);
    const auto doc = nlohmann::json::parse(j.out);
    ASSERT_EQ(doc["tensors"].size(), 2u);
    EXPECT_EQ(doc["tensors"][1]["name"], "w");
    EXPECT_EQ(doc["tensors"][1]["global_shape"], nlohmann::json::array({7, 4}));
    EXPECT_EQ(doc["tensors"][1]["chunks"], 3);
    EXPECT_EQ(doc["files"].size(), 3u);
    EXPECT_TRUE(doc["index"].is_object());
}

TEST(CliSharded, ConsolidateWritesOneModelRow) {
    const fs::path dir = step_dir("sharded_consolidate");
    const fs::path out = dir.parent_path() / "whole.arrow";
    const CliResult r = run_cli({"consolidate", dir.string(), out.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const lf::ModelRow row = lf::read_model_row(out);
    ASSERT_TRUE(row.weights && row.weight_names);
    EXPECT_EQ(*row.weight_names, (std::vector<std::string>{"b", "w"}));
    const auto w = row.weights->arrays[1].data<float>();
    std::vector<float> expected(28);
    for (int i = 0; i < 28; ++i) expected[static_cast<size_t>(i)] = static_cast<float>(i);
    EXPECT_EQ(std::vector<float>(w.begin(), w.end()), expected);
    EXPECT_EQ(row.weights->arrays[1].size, (std::vector<int64_t>{4, 7}));  // Julia's order
    // Not a step directory: a clear error, exit status 1.
    const CliResult bad = run_cli({"consolidate", dir.parent_path().string(), out.string()});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_TRUE(contains(bad.err, "not a sharded checkpoint")) << describe(bad);
}
