// Loads that explain themselves: matched by name when names are stored, every difference reported
// (missing, unexpected, mismatched: names, indices, both shapes), strict loads that change nothing,
// non-strict loads that change exactly what fits, subsets and renames, save_weights storing names.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../support/module_snapshot.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/sharded.hpp"
#include "legolasflux/torch/weights.hpp"

namespace fs = std::filesystem;
namespace lf = legolasflux;
namespace lt = legolasflux::torch;
namespace nn = torch::nn;
using lftest::snapshot;

namespace {

// An encoder and a head, the head's name and sizes chosen by the test.
struct NetImpl : nn::Module {
    NetImpl(const std::string& head_name, int64_t hidden, int64_t out, bool extra = false) {
        encoder = register_module("encoder", nn::Sequential(nn::Linear(4, hidden), nn::ReLU(), nn::Linear(hidden, 6)));
        head = register_module(head_name, nn::Linear(6, out));
        if (extra) register_module("extra", nn::Linear(out, 2));
    }
    nn::Sequential encoder{nullptr};
    nn::Linear head{nullptr};
};
TORCH_MODULE(Net);

fs::path temp(const std::string& name) {
    return fs::temp_directory_path() / ("legolasflux-load-report-" + std::to_string(::getpid()) + "-" + name);
}

fs::path saved(const nn::Module& m, const std::string& name) {
    const fs::path path = temp(name);
    lt::save_weights(m, path);
    return path;
}

std::vector<std::string> names_of(const std::vector<lt::LoadDifference>& d) {
    std::vector<std::string> out;
    for (const auto& x : d) out.push_back(x.name);
    return out;
}

// The names whose tensors differ between two snapshots.
std::vector<std::string> changed(const std::map<std::string, at::Tensor>& a,
                                 const std::map<std::string, at::Tensor>& b) {
    std::vector<std::string> out;
    for (const auto& [name, t] : a)
        if (!t.equal(b.at(name))) out.push_back(name);
    return out;
}

using Names = std::vector<std::string>;

}  // namespace

TEST(LoadReport, SaveWeightsStoresNamesAndALoadMatchesThemInAnyOrder) {
    ::torch::manual_seed(1);
    Net source("head", 5, 3);
    const fs::path path = saved(*source, "names.arrow");
    const lf::ModelRow row = lf::read_model_row(path);
    ASSERT_TRUE(row.weight_names);
    EXPECT_EQ(*row.weight_names, (Names{"encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias",
                                        "head.weight", "head.bias"}));
    // The same arrays in reverse order, with their names: by name (the default), they land right.
    lf::Weights reversed = *row.weights;
    Names names = *row.weight_names;
    std::reverse(reversed.arrays.begin(), reversed.arrays.end());
    std::reverse(names.begin(), names.end());
    Net target("head", 5, 3);
    lt::LoadOptions o;
    o.names = &names;
    const lt::LoadReport report = lt::load_weights(*target, reversed, o);
    EXPECT_EQ(report.matched_by, lt::Match::ByName);
    EXPECT_TRUE(report.complete());
    EXPECT_EQ(report.loaded.size(), 6u);
    lftest::expect_same(snapshot(*source), snapshot(*target));
    // From the file, in one call.
    Net from_file("head", 5, 3);
    EXPECT_TRUE(lt::load_weights(*from_file, path).complete());
    lftest::expect_same(snapshot(*source), snapshot(*from_file));
    fs::remove(path);
}

TEST(LoadReport, AnExtraLayerIsMissingAndNothingIsLoaded) {
    ::torch::manual_seed(2);
    Net source("head", 5, 3);
    const fs::path path = saved(*source, "extra.arrow");
    Net target("head", 5, 3, /*extra=*/true);
    const auto before = snapshot(*target);
    try {
        lt::load_weights(*target, path);
        FAIL() << "expected LoadError";
    } catch (const lt::LoadError& e) {
        EXPECT_EQ(names_of(e.report.missing), (Names{"extra.weight", "extra.bias"}));
        EXPECT_TRUE(e.report.unexpected.empty());
        EXPECT_TRUE(e.report.mismatched.empty());
        EXPECT_EQ(e.report.missing[0].model_shape, (std::vector<int64_t>{2, 3}));
        const std::string what = e.what();
        EXPECT_NE(what.find("missing: the model's 'extra.weight' (torch shape [2, 3])"), std::string::npos) << what;
        EXPECT_NE(what.find("'extra.bias'"), std::string::npos) << what;
        EXPECT_NE(what.find("nothing was loaded"), std::string::npos) << what;
    }
    lftest::expect_same(before, snapshot(*target));
    // Not strict: everything but the extra layer, exactly.
    lt::LoadOptions lenient;
    lenient.strict = false;
    const lt::LoadReport report = lt::load_weights(*target, path, lenient);
    EXPECT_EQ(names_of(report.missing), (Names{"extra.weight", "extra.bias"}));
    EXPECT_EQ(report.loaded.size(), 6u);
    const auto after = snapshot(*target);
    for (const auto& [name, t] : snapshot(*source)) EXPECT_TRUE(t.equal(after.at(name))) << name;
    EXPECT_TRUE(after.at("extra.weight").equal(before.at("extra.weight")));
    fs::remove(path);
}

TEST(LoadReport, AMissingLayerIsUnexpectedWithItsIndexNameAndSize) {
    ::torch::manual_seed(3);
    Net source("head", 5, 3, /*extra=*/true);
    const fs::path path = saved(*source, "fewer.arrow");
    Net target("head", 5, 3);
    const auto before = snapshot(*target);
    try {
        lt::load_weights(*target, path);
        FAIL() << "expected LoadError";
    } catch (const lt::LoadError& e) {
        ASSERT_EQ(e.report.unexpected.size(), 2u);
        EXPECT_EQ(e.report.unexpected[0].name, "extra.weight");
        EXPECT_EQ(e.report.unexpected[0].array, 6u);
        EXPECT_EQ(e.report.unexpected[0].stored_size, (std::vector<int64_t>{3, 2}));  // Julia's
        const std::string what = e.what();
        EXPECT_NE(what.find("unexpected: array 6 'extra.weight' (Julia size (3, 2), torch shape [2, 3])"),
                  std::string::npos)
            << what;
    }
    lftest::expect_same(before, snapshot(*target));
    fs::remove(path);
}

TEST(LoadReport, ARenamedLayerNoLongerLoadsByPosition) {
    ::torch::manual_seed(4);
    Net source("head", 5, 3);
    const fs::path path = saved(*source, "renamed.arrow");
    Net target("classifier", 5, 3);  // same shapes, another name: by position it would fit
    const auto before = snapshot(*target);
    try {
        lt::load_weights(*target, path);
        FAIL() << "expected LoadError";
    } catch (const lt::LoadError& e) {
        EXPECT_EQ(names_of(e.report.missing), (Names{"classifier.weight", "classifier.bias"}));
        EXPECT_EQ(names_of(e.report.unexpected), (Names{"head.weight", "head.bias"}));
    }
    lftest::expect_same(before, snapshot(*target));
    // With a rename map (stored -> module), it loads whole.
    lt::LoadOptions o;
    o.rename_prefixes = {{"head.", "classifier."}};
    EXPECT_TRUE(lt::load_weights(*target, path, o).complete());
    const auto s = snapshot(*source), t = snapshot(*target);
    EXPECT_TRUE(s.at("head.weight").equal(t.at("classifier.weight")));
    EXPECT_TRUE(s.at("encoder.2.bias").equal(t.at("encoder.2.bias")));
    // Whole names too; and by position when asked.
    Net again("classifier", 5, 3);
    lt::LoadOptions whole;
    whole.rename = {{"head.weight", "classifier.weight"}, {"head.bias", "classifier.bias"}};
    EXPECT_TRUE(lt::load_weights(*again, path, whole).complete());
    Net positional("classifier", 5, 3);
    lt::LoadOptions by_position;
    by_position.match = lt::Match::ByPosition;
    EXPECT_EQ(lt::load_weights(*positional, path, by_position).matched_by, lt::Match::ByPosition);
    lftest::expect_same(snapshot(*again), snapshot(*positional));
    fs::remove(path);
}

TEST(LoadReport, AChangedShapeNamesBothShapesAndNonStrictLoadsTheRest) {
    ::torch::manual_seed(5);
    Net source("head", 5, 3);
    const fs::path path = saved(*source, "shape.arrow");
    Net target("head", 7, 3);  // the encoder's hidden width changed: 4 tensors differ
    const auto before = snapshot(*target);
    try {
        lt::load_weights(*target, path);
        FAIL() << "expected LoadError";
    } catch (const lt::LoadError& e) {
        EXPECT_EQ(names_of(e.report.mismatched),
                  (Names{"encoder.0.weight", "encoder.0.bias", "encoder.2.weight"}));  // encoder.2.bias is [6]
        const lt::LoadDifference& d = e.report.mismatched[0];
        EXPECT_EQ(d.array, 0u);
        EXPECT_EQ(d.model_shape, (std::vector<int64_t>{7, 4}));
        EXPECT_EQ(d.stored_size, (std::vector<int64_t>{4, 5}));
        const std::string what = e.what();
        EXPECT_NE(what.find("mismatched: array 0 for 'encoder.0.weight': the model expects torch shape [7, 4] (Julia "
                            "size (4, 7)), got Julia size (4, 5) (torch shape [5, 4])"),
                  std::string::npos)
            << what;
    }
    lftest::expect_same(before, snapshot(*target));
    lt::LoadOptions lenient;
    lenient.strict = false;
    const lt::LoadReport report = lt::load_weights(*target, path, lenient);
    EXPECT_EQ(report.loaded, (Names{"encoder.2.bias", "head.weight", "head.bias"}));
    EXPECT_EQ(changed(before, snapshot(*target)), (Names{"encoder.2.bias", "head.bias", "head.weight"}));
    fs::remove(path);
}

TEST(LoadReport, ABackboneIntoANewHead) {
    ::torch::manual_seed(6);
    Net source("head", 5, 3);
    const fs::path path = saved(*source, "backbone.arrow");
    Net target("head", 5, 10);  // a new head with 10 outputs
    const auto before = snapshot(*target);
    lt::LoadOptions o;
    o.prefixes = {"encoder."};
    const lt::LoadReport report = lt::load_weights(*target, path, o);
    EXPECT_TRUE(report.complete());  // the head is outside the subset on both sides
    EXPECT_EQ(report.loaded.size(), 4u);
    EXPECT_EQ(changed(before, snapshot(*target)),
              (Names{"encoder.0.bias", "encoder.0.weight", "encoder.2.bias", "encoder.2.weight"}));
    // By names: one tensor only.
    Net one("head", 5, 10);
    const auto one_before = snapshot(*one);
    lt::LoadOptions only;
    only.only = {"encoder.2.bias"};
    EXPECT_EQ(lt::load_weights(*one, path, only).loaded, (Names{"encoder.2.bias"}));
    EXPECT_EQ(changed(one_before, snapshot(*one)), (Names{"encoder.2.bias"}));
    // A subset that asks for what the file lacks is reported like any difference.
    lt::LoadOptions head;
    head.prefixes = {"head."};
    EXPECT_THROW(lt::load_weights(*one, path, head), lt::LoadError);
    fs::remove(path);
}

TEST(LoadReport, WithoutNamesByPositionAndEveryDifferenceAtOnce) {
    ::torch::manual_seed(7);
    Net source("head", 5, 3);
    lf::Weights w = lt::fetch_weights(*source);  // no names
    w.arrays.pop_back();                         // head.bias gone
    Net target("head", 5, 3);
    const auto before = snapshot(*target);
    try {
        lt::load_weights(*target, w);
        FAIL() << "expected LoadError";
    } catch (const lf::ShapeError& e) {  // a LoadError is a ShapeError
        const auto* load = dynamic_cast<const lt::LoadError*>(&e);
        ASSERT_NE(load, nullptr);
        EXPECT_EQ(load->report.matched_by, lt::Match::ByPosition);
        EXPECT_EQ(names_of(load->report.missing), (Names{"head.bias"}));
    }
    lftest::expect_same(before, snapshot(*target));
    // Subsets need names.
    lt::LoadOptions subset;
    subset.prefixes = {"encoder."};
    EXPECT_THROW(lt::load_weights(*target, w, subset), lf::InvalidArgument);
    lt::LoadOptions by_name;
    by_name.match = lt::Match::ByName;
    EXPECT_THROW(lt::load_weights(*target, w, by_name), lf::InvalidArgument);
    // Values an integer tensor cannot hold are mismatches too, reported with the rest.
    nn::Sequential bn(nn::Linear(2, 2), nn::BatchNorm1d(2));
    lf::Weights bw = lt::fetch_weights(*bn);
    bw.arrays.back() = lf::FlatArray::from_values<float>({}, std::vector<float>{0.5f});  // num_batches_tracked
    bw.arrays[0] = lf::FlatArray::from_values<float>({3}, std::vector<float>{1, 2, 3});
    lt::LoadOptions lenient;
    lenient.strict = false;
    const lt::LoadReport report = lt::load_weights(*bn, bw, lenient);
    EXPECT_EQ(names_of(report.mismatched), (Names{"0.weight", "1.num_batches_tracked"}));
    EXPECT_NE(report.describe().find("cannot be stored in a Long tensor"), std::string::npos) << report.describe();
}

// A consolidated sharded checkpoint stores its tensors in name order; loading by name puts each in
// its place (by position, "0.bias" would meet "0.weight").
TEST(LoadReport, AConsolidatedShardedRowLoadsByName) {
    ::torch::manual_seed(8);
    nn::Sequential source(nn::Linear(4, 6), nn::Linear(6, 2));
    const auto tensors = lt::named_weights(*source);
    std::vector<lf::RankShards> ranks(2);
    for (int r = 0; r < 2; ++r) {
        ranks[r].rank = r;
        ranks[r].world_size = 2;
        for (const auto& nt : tensors) {
            const std::vector<int64_t> shape = nt.tensor.sizes().vec();
            const lf::ChunkBox box = lf::row_split(shape, r, 2);
            if (box.element_count() == 0) continue;
            auto part =
                std::make_shared<at::Tensor>(nt.tensor.detach().narrow(0, box.offset[0], box.shape[0]).contiguous());
            const auto* data = static_cast<const uint8_t*>(part->data_ptr());
            ranks[r].tensors.push_back({nt.name,
                                        lf::ElementType::Float32,
                                        shape,
                                        {{box, lf::arrow::Buffer(std::shared_ptr<const void>(part, data), data,
                                                                 static_cast<int64_t>(part->nbytes()))}}});
        }
    }
    const fs::path dir = temp("sharded") / lf::sharded_step_name(1), out = temp("consolidated.arrow");
    fs::remove_all(dir.parent_path());
    fs::create_directories(dir.parent_path());
    lf::save_sharded(dir, ranks, 1);
    lf::consolidate_sharded(dir, out);
    const lf::ModelRow row = lf::read_model_row(out);
    EXPECT_EQ(row.weight_names->front(), "0.bias");
    nn::Sequential target(nn::Linear(4, 6), nn::Linear(6, 2));
    EXPECT_TRUE(lt::load_weights(*target, out).complete());
    lftest::expect_same(snapshot(*source), snapshot(*target));
    fs::remove_all(dir.parent_path());
    fs::remove(out);
}
