// fetch_weights / load_weights: the C++ twins of LegolasFlux.jl's test/runtests.jl, at the level of
// modules and Weights (the file round trips are in model_row tests).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "../support/module_snapshot.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/torch/weights.hpp"

using legolasflux::ElementType;
using legolasflux::FlatArray;
using legolasflux::ShapeError;
using legolasflux::UnsupportedError;
using legolasflux::Weights;
namespace lt = legolasflux::torch;
namespace nn = ::torch::nn;

namespace {

nn::Sequential make_my_model() { return nn::Sequential(nn::Linear(1, 10), nn::Linear(10, 10), nn::Linear(10, 1)); }

using lftest::expect_same;
using lftest::snapshot;

// Weights through a model file and back, as a user saves and loads them.
Weights through_file(const Weights& w, std::vector<std::string>* names = nullptr) {
    const auto path =
        std::filesystem::temp_directory_path() / ("legolasflux_torch_" + std::to_string(::getpid()) + "_row.arrow");
    legolasflux::ModelWriteOptions options;
    if (names) options.weight_names = *names;
    legolasflux::write_model_row(path, legolasflux::ModelV1{w, 1}, options);
    const auto row = legolasflux::read_model_row<legolasflux::ModelV1>(path, names);
    std::filesystem::remove(path);
    return *row.weights;
}

}  // namespace

TEST(FetchWeights, OrderIsDepthFirstParametersThenBuffers) {
    nn::Sequential m(nn::Linear(2, 3), nn::BatchNorm1d(3), nn::Linear(3, 1));
    const auto named = lt::named_weights(*m);
    std::vector<std::string> names;
    for (const auto& nt : named) names.push_back(nt.name);
    EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                               "1.running_var", "1.num_batches_tracked", "2.weight", "2.bias"}));
    std::vector<std::string> fetched;
    const Weights w = lt::fetch_weights(*m, &fetched);
    EXPECT_EQ(fetched, names);
    EXPECT_EQ(w.size(), 9u);
    // A float32 model with an int64 counter: Float32, as Julia's promotion.
    EXPECT_EQ(w.element_type, ElementType::Float32);
    // Row-major [3, 2] is the Julia array of size (2, 3).
    EXPECT_EQ(w[0].size, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(w[6].size, std::vector<int64_t>{});
}

TEST(FetchWeights, ViewsTheTensorsWithoutCopying) {
    auto m = make_my_model();
    const Weights w = lt::fetch_weights(*m);
    const auto named = lt::named_weights(*m);
    for (size_t i = 0; i < w.size(); ++i)
        EXPECT_EQ(static_cast<const void*>(w[i].values.data()), named[i].tensor.data_ptr()) << i;
}

TEST(LoadWeights, RoundTripsTheSimpleModel) {
    ::torch::manual_seed(1);
    auto model = make_my_model();
    const Weights w = lt::fetch_weights(*model);
    ::torch::manual_seed(2);
    auto fresh = make_my_model();
    lt::load_weights(*fresh, through_file(w));
    expect_same(snapshot(*model), snapshot(*fresh));
    const auto x = ::torch::randn({4, 1});
    EXPECT_TRUE(model->forward(x).equal(fresh->forward(x)));
}

// Models of more than 8 MiB are copied by several threads: same-dtype tensors in pieces, the
// others (an int64 counter from Float32 values, a float64 model) by LibTorch; every count of
// threads gives the same model, shared layers included.
TEST(LoadWeights, LargeModelsLoadTheSameOnAnyNumberOfThreads) {
    ::torch::manual_seed(11);
    nn::Linear shared(1024, 1024);
    nn::Sequential model(shared, nn::BatchNorm1d(1024), nn::Linear(1024, 1024), shared, nn::Linear(1024, 600));
    model->train();
    (void)model->forward(::torch::randn({8, 1024}));  // running statistics and the counter change
    const Weights w = through_file(lt::fetch_weights(*model));
    ASSERT_GT(w.element_count() * 4, int64_t{8} << 20);
    for (const int threads : {1, 2, 3, 0}) {
        ::torch::manual_seed(12);
        nn::Linear other(1024, 1024);
        nn::Sequential fresh(other, nn::BatchNorm1d(1024), nn::Linear(1024, 1024), other, nn::Linear(1024, 600));
        lt::LoadOptions o;
        o.threads = threads;
        lt::load_weights(*fresh, w, o);
        expect_same(snapshot(*model), snapshot(*fresh));
        EXPECT_EQ(fresh[0]->as<nn::Linear>()->weight.data_ptr(), fresh[3]->as<nn::Linear>()->weight.data_ptr());
    }
    // A float64 model takes the values converted.
    ::torch::manual_seed(13);
    nn::Linear other(1024, 1024);
    nn::Sequential doubled(other, nn::BatchNorm1d(1024), nn::Linear(1024, 1024), other, nn::Linear(1024, 600));
    doubled->to(::torch::kFloat64);
    lt::LoadOptions o;
    o.threads = 2;
    lt::load_weights(*doubled, w, o);
    const auto expected = snapshot(*model);
    EXPECT_EQ(doubled[0]->as<nn::Linear>()->weight.scalar_type(), ::torch::kFloat64);
    for (const auto& [name, t] : snapshot(*doubled))
        EXPECT_TRUE(t.equal(expected.at(name).to(t.scalar_type()))) << name;
}

// The copies that bypass copy_ still tell autograd that the tensors changed (their version goes
// up), and weights fetched from the model itself (views of its own memory, so sources and targets
// overlap) load one after the other, as before.
TEST(LoadWeights, LargeLoadsBumpVersionsAndHandleWeightsThatAreTheModelsOwn) {
    ::torch::manual_seed(21);
    nn::Sequential model(nn::Linear(1024, 1024), nn::Linear(1024, 1024), nn::Linear(1024, 600));
    const Weights w = through_file(lt::fetch_weights(*model));
    ::torch::manual_seed(22);
    nn::Sequential fresh(nn::Linear(1024, 1024), nn::Linear(1024, 1024), nn::Linear(1024, 600));
    const auto& weight = fresh[0]->as<nn::Linear>()->weight;
    const auto before = weight._version();
    lt::LoadOptions o;
    o.threads = 2;
    lt::load_weights(*fresh, w, o);
    EXPECT_GT(weight._version(), before);
    expect_same(snapshot(*model), snapshot(*fresh));

    const auto saved = snapshot(*fresh);
    lt::load_weights(*fresh, lt::fetch_weights(*fresh), o);  // every source is its own target
    expect_same(saved, snapshot(*fresh));
    // Loaded by name with two same-shape layers swapped: one after the other, as copy_ did (the
    // second copy reads what the first wrote).
    std::vector<std::string> names;
    const Weights own = lt::fetch_weights(*fresh, &names);
    std::swap(names[0], names[2]);  // 0.weight <-> 1.weight
    lt::LoadOptions swapped = o;
    swapped.names = &names;
    swapped.by_name = true;
    lt::load_weights(*fresh, own, swapped);
    EXPECT_TRUE(fresh[0]->as<nn::Linear>()->weight.equal(saved.at("1.weight")));
    EXPECT_TRUE(fresh[1]->as<nn::Linear>()->weight.equal(saved.at("1.weight")));
}

// LegolasFlux.jl testset "Errors": a wrong count or a wrong shape raises, and the model is unchanged.
TEST(LoadWeights, CountAndShapeMismatchesLeaveTheModelUnchanged) {
    ::torch::manual_seed(3);
    auto source = make_my_model();
    auto target = make_my_model();
    const auto before = snapshot(*target);
    Weights w = lt::fetch_weights(*source);

    Weights fewer = w;
    fewer.arrays.pop_back();
    EXPECT_THROW(lt::load_weights(*target, fewer), ShapeError);
    expect_same(before, snapshot(*target));

    Weights more = w;
    more.arrays.push_back(FlatArray::from_values<float>({0}, std::vector<float>{}));
    EXPECT_THROW(lt::load_weights(*target, more), ShapeError);
    expect_same(before, snapshot(*target));

    // The last array has the wrong shape: nothing before it may have been copied.
    Weights wrong = w;
    wrong.arrays.back() = FlatArray::from_values<float>({2}, std::vector<float>{1, 2});
    try {
        lt::load_weights(*target, wrong);
        FAIL() << "expected ShapeError";
    } catch (const ShapeError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("array 5"), std::string::npos) << msg;
        EXPECT_NE(msg.find("'2.bias'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("[1]"), std::string::npos) << msg;
        EXPECT_NE(msg.find("(2,)"), std::string::npos) << msg;
    }
    expect_same(before, snapshot(*target));
}

TEST(LoadWeights, InexactValuesForIntegerTensorsAreRejectedBeforeCopying) {
    nn::Sequential m(nn::Linear(2, 2), nn::BatchNorm1d(2));
    const auto before = snapshot(*m);
    Weights w = lt::fetch_weights(*m);
    // num_batches_tracked is int64; 0.5 cannot go there.
    w.arrays.back() = FlatArray::from_values<float>({}, std::vector<float>{0.5f});
    EXPECT_THROW(lt::load_weights(*m, w), ShapeError);
    expect_same(before, snapshot(*m));
}

TEST(LoadWeights, NamesAreCheckedAndCanDriveTheOrder) {
    ::torch::manual_seed(4);
    auto model = make_my_model();
    std::vector<std::string> names;
    Weights w = through_file(lt::fetch_weights(*model, &names), &names);
    ASSERT_EQ(names.size(), 6u);
    auto fresh = make_my_model();

    std::vector<std::string> bad = names;
    std::swap(bad[0], bad[1]);
    lt::LoadOptions check;
    check.names = &bad;
    EXPECT_THROW(lt::load_weights(*fresh, w, check), ShapeError);

    // Reverse both the arrays and their names: by name, they still land in the right tensors.
    std::reverse(w.arrays.begin(), w.arrays.end());
    std::reverse(names.begin(), names.end());
    lt::LoadOptions by_name;
    by_name.names = &names;
    by_name.by_name = true;
    lt::load_weights(*fresh, w, by_name);
    expect_same(snapshot(*model), snapshot(*fresh));
}

// LegolasFlux.jl testset "flux_workarounds": norm layers trained in train mode keep their
// statistics through a save and load.
class NormLayers : public ::testing::TestWithParam<std::string> {};

namespace {
nn::Sequential norm_model(const std::string& kind) {
    nn::Sequential m(nn::Linear(4, 6));
    if (kind == "BatchNorm1d") m->push_back(nn::BatchNorm1d(6));
    if (kind == "InstanceNorm1d")
        m->push_back(nn::InstanceNorm1d(nn::InstanceNorm1dOptions(1).track_running_stats(true).affine(true)));
    if (kind == "GroupNorm") m->push_back(nn::GroupNorm(2, 6));
    if (kind == "LayerNorm") m->push_back(nn::LayerNorm(nn::LayerNormOptions({6})));
    if (kind == "BatchNorm2d") {
        return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(2, 3, 3)), nn::BatchNorm2d(3), nn::ReLU(), nn::Flatten(),
                              nn::Linear(3 * 4 * 4, 2));
    }
    m->push_back(nn::Linear(6, 2));
    return m;
}
at::Tensor norm_input(const std::string& kind) {
    if (kind == "BatchNorm2d") return ::torch::randn({5, 2, 6, 6});
    if (kind == "InstanceNorm1d") return ::torch::randn({5, 1, 4});
    return ::torch::randn({5, 4});
}
}  // namespace

TEST_P(NormLayers, TrainedStatisticsSurviveFetchAndLoad) {
    const std::string kind = GetParam();
    ::torch::manual_seed(10);
    auto model = norm_model(kind);
    model->train();
    ::torch::optim::SGD opt(model->parameters(), 0.1);
    for (int step = 0; step < 10; ++step) {
        opt.zero_grad();
        const auto loss = model->forward(norm_input(kind)).pow(2).mean();
        loss.backward();
        opt.step();
    }
    model->eval();
    const auto x = norm_input(kind);
    const auto expected = model->forward(x);
    const Weights w = lt::fetch_weights(*model);

    ::torch::manual_seed(99);
    auto fresh = norm_model(kind);
    lt::load_weights(*fresh, through_file(w));
    fresh->eval();
    EXPECT_TRUE(fresh->forward(x).equal(expected)) << kind;
    expect_same(snapshot(*model), snapshot(*fresh));
}

INSTANTIATE_TEST_SUITE_P(LegolasFlux, NormLayers,
                         ::testing::Values("BatchNorm1d", "BatchNorm2d", "InstanceNorm1d", "GroupNorm", "LayerNorm"));

namespace {
struct SharedImpl : nn::Module {
    nn::Linear first{nullptr}, shared{nullptr};
    SharedImpl() {
        first = register_module("first", nn::Linear(3, 3));
        shared = register_module("shared", nn::Linear(3, 3));
        register_module("again", shared);  // the same layer, reached a second time
    }
    at::Tensor forward(at::Tensor x) { return shared->forward(shared->forward(first->forward(x))); }
};
TORCH_MODULE(Shared);

struct TiedImpl : nn::Module {
    nn::Embedding encoder{nullptr};
    at::Tensor decoder_weight;  // the encoder's weight again, as the output projection
    TiedImpl() {
        encoder = register_module("encoder", nn::Embedding(5, 3));
        decoder_weight = register_parameter("decoder_weight", encoder->weight);
    }
    at::Tensor forward(at::Tensor ids) {
        return ::torch::nn::functional::linear(encoder->forward(ids), decoder_weight);
    }
};
TORCH_MODULE(Tied);
}  // namespace

TEST(FetchWeights, SharedModuleIsStoredOnceAndStaysShared) {
    ::torch::manual_seed(5);
    Shared model;
    std::vector<std::string> names;
    const Weights w = lt::fetch_weights(*model, &names);
    EXPECT_EQ(names, (std::vector<std::string>{"first.weight", "first.bias", "shared.weight", "shared.bias"}));
    ::torch::manual_seed(6);
    Shared fresh;
    lt::load_weights(*fresh, through_file(w));
    const auto x = ::torch::randn({2, 3});
    EXPECT_TRUE(model->forward(x).equal(fresh->forward(x)));
    EXPECT_EQ(fresh->shared.get(), std::dynamic_pointer_cast<nn::LinearImpl>(fresh->named_children()["again"]).get());
}

TEST(FetchWeights, TiedWeightsAreStoredOnceAndStayTied) {
    ::torch::manual_seed(7);
    Tied model;
    std::vector<std::string> names;
    const Weights w = lt::fetch_weights(*model, &names);
    EXPECT_EQ(names, std::vector<std::string>{"decoder_weight"});  // its first place in the walk
    ::torch::manual_seed(8);
    Tied fresh;
    lt::load_weights(*fresh, through_file(w));
    EXPECT_EQ(fresh->decoder_weight.data_ptr(), fresh->encoder->weight.data_ptr());
    const auto ids = ::torch::tensor({0, 3, 4}, ::torch::kLong);
    EXPECT_TRUE(model->forward(ids).equal(fresh->forward(ids)));
}

TEST(FetchWeights, BFloat16IsStoredAsFloat32AndComesBack) {
    ::torch::manual_seed(9);
    auto model = make_my_model();
    model->to(::torch::kBFloat16);
    const Weights w = lt::fetch_weights(*model);
    EXPECT_EQ(w.element_type, ElementType::Float32);
    auto fresh = make_my_model();
    fresh->to(::torch::kBFloat16);
    lt::load_weights(*fresh, through_file(w));
    expect_same(snapshot(*model), snapshot(*fresh));
    EXPECT_EQ(fresh->parameters()[0].scalar_type(), ::torch::kBFloat16);
}

TEST(FetchWeights, MixedPrecisionPromotesAndConvertsBack) {
    nn::Sequential m(nn::Linear(2, 2), nn::Linear(2, 2));
    m[1]->to(::torch::kDouble);
    const Weights w = lt::fetch_weights(*m);
    EXPECT_EQ(w.element_type, ElementType::Float64);
    nn::Sequential fresh(nn::Linear(2, 2), nn::Linear(2, 2));
    fresh[1]->to(::torch::kDouble);
    lt::load_weights(*fresh, through_file(w));
    expect_same(snapshot(*m), snapshot(*fresh));
    EXPECT_EQ(fresh->parameters()[0].scalar_type(), ::torch::kFloat);
}

// LegolasFlux.jl "Roundtripping simple model": a row with missing weights round trips too, and a
// file's weights that do not fit raise and leave the model unchanged.
TEST(ModelFile, MissingWeightsAndMismatchesFromAFile) {
    const auto path =
        std::filesystem::temp_directory_path() / ("legolasflux_torch_" + std::to_string(::getpid()) + "_missing.arrow");
    legolasflux::write_model_row(path, legolasflux::ModelV1{});
    EXPECT_FALSE(legolasflux::read_model_row<legolasflux::ModelV1>(path).weights.has_value());

    ::torch::manual_seed(11);
    nn::Sequential bigger(nn::Linear(1, 10), nn::Linear(10, 10), nn::Linear(10, 2));
    legolasflux::write_model_row(path, legolasflux::ModelV1{lt::fetch_weights(*bigger), 1});
    auto model = make_my_model();
    const auto before = snapshot(*model);
    const auto row = legolasflux::read_model_row<legolasflux::ModelV1>(path);
    EXPECT_THROW(lt::load_weights(*model, *row.weights), ShapeError);
    expect_same(before, snapshot(*model));
    std::filesystem::remove(path);
}
