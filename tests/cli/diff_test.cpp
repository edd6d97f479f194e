// `legolasflux diff A B` through the real binary: exit codes as diff(1), and what it reports.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/model.hpp"

using namespace lftest;
using legolasflux::FlatArray;
using legolasflux::ModelV1;
using legolasflux::Weights;

namespace {

// A model row with a list column, for the way diff writes a list's type.
struct TaggedV1 : ModelV1 {
    std::vector<std::string> tags;
};
LEGOLAS_RECORD_EXTENDS(TaggedV1, "cli-diff.tagged", 1, ModelV1, tags);

// A two-array model: a 2x3 matrix 0..5 (plus `delta` at element 4) and a bias of 3 ones.
ModelV1 model(float delta = 0, std::optional<int64_t> architecture = 1) {
    std::vector<float> w = {0, 1, 2, 3, 4, 5};
    w[4] += delta;
    ModelV1 row;
    row.weights = Weights({FlatArray::from_values<float>({2, 3}, w), FlatArray::from_values<float>({3}, {1, 1, 1})});
    row.architecture_version = architecture;
    return row;
}

std::string save(const std::filesystem::path& dir, const std::string& name, const ModelV1& row,
                 std::vector<std::string> names = {"fc.weight", "fc.bias"}) {
    legolasflux::ModelWriteOptions options;
    options.weight_names = std::move(names);
    const auto path = dir / (name + ".arrow");
    legolasflux::write_model_row(path, row, options);
    return path.string();
}

}  // namespace

TEST(CliDiff, AFileIsTheSameAsItself) {
    const auto dir = cli_scratch_dir("diff_same");
    const auto a = save(dir, "a", model());
    const auto b = save(dir, "b", model());
    const auto r = run_cli({"diff", a, b});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("same: 0 of 2 arrays differ"), std::string::npos) << r.out;
    EXPECT_EQ(run_cli({"diff", julia_model().string(), julia_model().string()}).exit_code, 0);
}

TEST(CliDiff, AChangedValueIsMeasuredAndToleranceCanAcceptIt) {
    const auto dir = cli_scratch_dir("diff_value");
    const auto a = save(dir, "a", model());
    const auto b = save(dir, "b", model(0.5f));
    auto r = run_cli({"diff", a, b});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("files differ: 1 of 2 arrays differ"), std::string::npos) << r.out;

    r = run_cli({"diff", "--json", a, b});
    ASSERT_EQ(r.exit_code, 1) << describe(r);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_TRUE(doc["differ"].get<bool>());
    const auto& w0 = doc["weights"][0];
    EXPECT_EQ(w0["status"], "changed");
    EXPECT_EQ(w0["name_a"], "fc.weight");
    EXPECT_DOUBLE_EQ(w0["max_abs"].get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(w0["max_rel"].get<double>(), 0.5 / 4.5);
    EXPECT_EQ(w0["changed_values"], 1);
    EXPECT_EQ(doc["weights"][1]["status"], "equal");

    EXPECT_EQ(run_cli({"diff", "--atol", "0.5", a, b}).exit_code, 0);
    EXPECT_EQ(run_cli({"diff", "--atol", "0.4", a, b}).exit_code, 1);
    EXPECT_EQ(run_cli({"diff", "--rtol", "0.12", a, b}).exit_code, 0);  // 0.5 <= 0.12 * 4.5
}

TEST(CliDiff, ShapeDtypeCountAndColumnChanges) {
    const auto dir = cli_scratch_dir("diff_structure");
    const auto a = save(dir, "a", model());

    ModelV1 reshaped = model();
    reshaped.weights = Weights(
        {FlatArray::from_values<float>({3, 2}, {0, 1, 2, 3, 4, 5}), FlatArray::from_values<float>({3}, {1, 1, 1})});
    ModelV1 wider = model();
    wider.weights = Weights(
        {FlatArray::from_values<double>({2, 3}, {0, 1, 2, 3, 4, 5}), FlatArray::from_values<double>({3}, {1, 1, 1})});
    ModelV1 longer = model();
    longer.weights->arrays.push_back(FlatArray::from_values<float>({1}, {7}));

    auto doc = nlohmann::json::parse(run_cli({"diff", "--json", a, save(dir, "reshaped", reshaped)}).out);
    EXPECT_EQ(doc["weights"][0]["status"], "shape");
    EXPECT_EQ(doc["weights"][0]["julia_size_b"], (std::vector<int>{3, 2}));

    auto r = run_cli({"diff", a, save(dir, "wider", wider)});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("Float32 -> Float64"), std::string::npos) << r.out;

    r = run_cli({"diff", "--json", a, save(dir, "longer", longer, {"fc.weight", "fc.bias", "extra"})});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["weights"].size(), 3u);
    EXPECT_EQ(doc["weights"][2]["status"], "only-in-b");

    r = run_cli({"diff", a, save(dir, "arch2", model(0, 2))});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("column   ~ architecture_version: 1 -> 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("files differ: 0 of 2 arrays differ"), std::string::npos) << r.out;

    // The Julia file against a C++ model: different columns and arrays.
    r = run_cli({"diff", julia_model().string(), a});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("column   - epoch"), std::string::npos) << r.out;
}

// A column's type is written as the schema command and the errors write it: a list of strings is
// `list<utf8 not null>`, not `list<: utf8 not null>` (its unnamed child's empty name).
TEST(CliDiff, ColumnTypesAreWrittenPlainly) {
    const auto dir = cli_scratch_dir("diff_types");
    TaggedV1 tagged;
    static_cast<ModelV1&>(tagged) = model();
    tagged.tags = {"baseline", "fold-3"};
    const auto tagged_path = dir / "tagged.arrow";
    legolasflux::write_model_row(tagged_path, tagged);
    const auto r = run_cli({"diff", tagged_path.string(), save(dir, "plain", model())});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("column   - tags (list<utf8 not null>) only in A"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("<:"), std::string::npos) << r.out;
}

TEST(CliDiff, TroubleIsExitCode2) {
    const auto dir = cli_scratch_dir("diff_bad");
    const auto a = save(dir, "a", model());
    auto r = run_cli({"diff", a, (dir / "missing.arrow").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("missing.arrow"), std::string::npos) << r.err;
    r = run_cli({"diff", corrupt_copy_of_julia_model(dir).string(), a});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_EQ(run_cli({"diff", a}).exit_code, 2);
    EXPECT_EQ(run_cli({"diff", "--atol", "-1", a, a}).exit_code, 2);
    EXPECT_EQ(run_cli({"diff", "--help"}).exit_code, 0);
}
