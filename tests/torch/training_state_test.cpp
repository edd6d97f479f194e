// Training state (legolasflux/torch/training_state.hpp): exact resumes through a run directory for
// every supported optimizer, and mismatches that leave model, optimizer and generator unchanged.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "legolasflux/checkpoints.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/torch/training_state.hpp"
#include "legolasflux/torch/weights.hpp"
#include "support/scratch.hpp"

namespace ts_test {

struct RunRowV1 : legolasflux::TrainingStateV1 {
    std::optional<int64_t> epoch;
};
LEGOLAS_RECORD_EXTENDS(RunRowV1, "ts-test.run", 1, legolasflux::TrainingStateV1, epoch);

}  // namespace ts_test

using namespace legolasflux;
using ts_test::RunRowV1;
namespace fs = std::filesystem;
namespace optim = ::torch::optim;
namespace nn = ::torch::nn;
namespace lft = legolasflux::torch;

namespace {

fs::path scratch(const std::string& name) { return lftest::scratch_path("training_state/" + name); }

nn::Sequential build_model(int64_t hidden = 16) {
    return nn::Sequential(nn::Linear(6, hidden), nn::BatchNorm1d(hidden), nn::ReLU(), nn::Dropout(0.3),
                          nn::Linear(hidden, 3));
}

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(nn::Sequential&)>;

struct Case {
    std::string name;
    MakeOptimizer make;
};

std::vector<Case> cases() {
    return {
        {"SGD",
         [](nn::Sequential& m) {
             return std::make_unique<optim::SGD>(m->parameters(), optim::SGDOptions(0.05).momentum(0.9).nesterov(true));
         }},
        {"Adam",
         [](nn::Sequential& m) {
             return std::make_unique<optim::Adam>(m->parameters(), optim::AdamOptions(1e-2).weight_decay(1e-4));
         }},
        {"AdamW",
         [](nn::Sequential& m) {
             return std::make_unique<optim::AdamW>(m->parameters(), optim::AdamWOptions(1e-2).amsgrad(true));
         }},
        {"RMSprop",
         [](nn::Sequential& m) {
             return std::make_unique<optim::RMSprop>(m->parameters(),
                                                     optim::RMSpropOptions(1e-3).momentum(0.5).centered(true));
         }},
        {"Adagrad",
         [](nn::Sequential& m) {
             return std::make_unique<optim::Adagrad>(m->parameters(), optim::AdagradOptions(0.05).lr_decay(1e-3));
         }},
    };
}

// One step on a batch that depends on the step number only (its own generator), with Dropout
// drawing from the global generator.
void train(nn::Sequential& model, optim::Optimizer& optimizer, int64_t from, int64_t to) {
    model->train();
    for (int64_t step = from + 1; step <= to; ++step) {
        at::Generator data = at::detail::createCPUGenerator(static_cast<uint64_t>(1000 + step));
        const at::Tensor x = at::randn({8, 6}, data);
        const at::Tensor y = at::randint(0, 3, {8}, data);
        optimizer.zero_grad();
        const at::Tensor loss = ::torch::nn::functional::cross_entropy(model->forward(x), y);
        loss.backward();
        optimizer.step();
    }
}

// Every value of a state, copied (training_state's arrays view the live tensors).
struct Snapshot {
    std::vector<at::Tensor> tensors;
    std::vector<int64_t> steps;
    std::vector<uint8_t> rng;
};

Snapshot snapshot(const nn::Sequential& model, const optim::Optimizer& optimizer) {
    const TrainingStateV1 s = lft::training_state(*model, optimizer);
    Snapshot out;
    for (const FlatArray& a : s.weights->arrays) out.tensors.push_back(lft::to_tensor(a).clone());
    if (s.optimizer_state)
        for (const FlatArray& a : s.optimizer_state->arrays) out.tensors.push_back(lft::to_tensor(a).clone());
    out.steps = s.optimizer_steps;
    out.rng = s.rng_state;
    return out;
}

void expect_identical(const Snapshot& a, const Snapshot& b, const std::string& what) {
    ASSERT_EQ(a.tensors.size(), b.tensors.size()) << what;
    for (size_t i = 0; i < a.tensors.size(); ++i) {
        ASSERT_EQ(a.tensors[i].sizes(), b.tensors[i].sizes()) << what << " tensor " << i;
        ASSERT_EQ(a.tensors[i].nbytes(), b.tensors[i].nbytes());
        EXPECT_EQ(std::memcmp(a.tensors[i].data_ptr(), b.tensors[i].data_ptr(), a.tensors[i].nbytes()), 0)
            << what << ": tensor " << i << " differs";
    }
    EXPECT_EQ(a.steps, b.steps) << what;
    EXPECT_EQ(a.rng, b.rng) << what;
}

}  // namespace

class TrainingStateResume : public ::testing::TestWithParam<size_t> {};

TEST_P(TrainingStateResume, NStepsThenRestoredThenNMoreIsTwoNStraight) {
    const Case c = cases()[GetParam()];
    const int64_t n = 7;
    // Straight: 2N steps.
    ::torch::manual_seed(11);
    nn::Sequential straight = build_model();
    auto straight_opt = c.make(straight);
    train(straight, *straight_opt, 0, 2 * n);
    const Snapshot want = snapshot(straight, *straight_opt);

    // N steps, saved asynchronously into a run directory, and the model changed at once.
    const fs::path dir = scratch("resume_" + c.name);
    {
        ::torch::manual_seed(11);
        nn::Sequential first = build_model();
        auto opt = c.make(first);
        train(first, *opt, 0, n);
        CheckpointManager run(dir);
        RunRowV1 row;
        static_cast<TrainingStateV1&>(row) = lft::training_state(*first, *opt);
        row.epoch = 1;
        const SaveHandle saved = run.save_async(n, row);
        train(first, *opt, n, n + 3);  // goes on while the save is written
        saved.get();
    }
    // As a fresh process: other initial weights, a fresh optimizer, the generator elsewhere.
    ::torch::manual_seed(12345);
    nn::Sequential resumed = build_model();
    auto opt = c.make(resumed);
    (void)::torch::rand({100});
    CheckpointManager run(dir);
    const RunRowV1 row = run.read<RunRowV1>(run.latest().value());
    EXPECT_EQ(row.optimizer, c.name);
    lft::restore_training_state(*resumed, *opt, row);
    train(resumed, *opt, n, 2 * n);
    expect_identical(want, snapshot(resumed, *opt), c.name);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, TrainingStateResume, ::testing::Range<size_t>(0, 5),
                         [](const auto& info) { return cases()[info.param].name; });

TEST(TrainingState, RowsRecordTheOptimizersOptions) {
    ::torch::manual_seed(3);
    nn::Sequential model = build_model();
    optim::Adam adam(model->parameters(), optim::AdamOptions(2e-3).betas({0.8, 0.95}).eps(1e-7));
    train(model, adam, 0, 1);
    const TrainingStateV1 s = lft::training_state(*model, adam);
    ASSERT_EQ(s.param_groups.size(), 1u);
    EXPECT_EQ(s.param_groups[0].size, 6);  // 2 Linear and 1 BatchNorm: weight and bias each
    EXPECT_EQ(s.param_groups[0].beta1, 0.8);
    EXPECT_EQ(s.param_groups[0].beta2, 0.95);
    EXPECT_EQ(s.param_groups[0].eps, 1e-7);
    EXPECT_FALSE(s.param_groups[0].momentum);
    EXPECT_EQ(s.learning_rate, 2e-3);
    EXPECT_EQ(s.optimizer_steps, std::vector<int64_t>(6, 1));
    EXPECT_EQ(s.optimizer_state_names.at(0), "0.0.exp_avg");
    EXPECT_EQ(s.optimizer_state_names.at(1), "0.0.exp_avg_sq");
    EXPECT_EQ(s.optimizer_state->size(), 12u);
    EXPECT_FALSE(s.rng_state.empty());

    // Options come back with the state.
    optim::Adam other(model->parameters(), optim::AdamOptions(0.5));
    lft::restore_training_state(*model, other, s);
    const auto& o = static_cast<const optim::AdamOptions&>(other.param_groups()[0].options());
    EXPECT_EQ(o.lr(), 2e-3);
    EXPECT_EQ(std::get<1>(o.betas()), 0.95);
}

TEST(TrainingState, AFreshOptimizerHasNoStateYet) {
    ::torch::manual_seed(3);
    nn::Sequential model = build_model();
    optim::Adam adam(model->parameters());
    const TrainingStateV1 s = lft::training_state(*model, adam);
    EXPECT_FALSE(s.optimizer_state);
    EXPECT_TRUE(s.optimizer_steps.empty());
    const fs::path file = scratch("fresh") / "state.arrow";
    fs::create_directories(file.parent_path());
    write_model_row(file, s);
    const TrainingStateV1 back = read_model_row<TrainingStateV1>(file);
    optim::Adam again(model->parameters());
    EXPECT_NO_THROW(lft::restore_training_state(*model, again, back));
}

TEST(TrainingState, MismatchesChangeNothing) {
    ::torch::manual_seed(5);
    nn::Sequential model = build_model();
    optim::Adam adam(model->parameters(), optim::AdamOptions(1e-2));
    train(model, adam, 0, 2);
    const TrainingStateV1 saved = lft::training_state(*model, adam);
    const fs::path file = scratch("mismatch") / "state.arrow";
    fs::create_directories(file.parent_path());
    write_model_row(file, saved);
    const TrainingStateV1 row = read_model_row<TrainingStateV1>(file);
    train(model, adam, 2, 3);  // now different from the row

    // Another optimizer type.
    optim::SGD sgd(model->parameters(), optim::SGDOptions(0.1).momentum(0.9));
    train(model, sgd, 3, 4);
    Snapshot before = snapshot(model, sgd);
    try {
        lft::restore_training_state(*model, sgd, row);
        FAIL() << "Adam state went into SGD";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("Adam"), std::string::npos) << e.what();
    }
    expect_identical(before, snapshot(model, sgd), "after the optimizer mismatch");

    // Other parameter shapes: the optimizer matches in kind and count, the model does not.
    ::torch::manual_seed(5);
    nn::Sequential wider = build_model(20);
    optim::Adam wider_adam(wider->parameters(), optim::AdamOptions(1e-2));
    train(wider, wider_adam, 0, 1);
    before = snapshot(wider, wider_adam);
    EXPECT_THROW(lft::restore_training_state(*wider, wider_adam, row), ShapeError);
    expect_identical(before, snapshot(wider, wider_adam), "after the shape mismatch");

    // A damaged generator state.
    TrainingStateV1 bad_rng = row;
    bad_rng.rng_state.resize(17);
    optim::Adam fresh(model->parameters(), optim::AdamOptions(1e-2));
    train(model, fresh, 0, 1);
    before = snapshot(model, fresh);
    EXPECT_THROW(lft::restore_training_state(*model, fresh, bad_rng), ShapeError);
    expect_identical(before, snapshot(model, fresh), "after the generator mismatch");

    // The weights alone mismatching (one array fewer): optimizer and generator untouched too.
    TrainingStateV1 fewer = row;
    fewer.weights->arrays.pop_back();
    EXPECT_THROW(lft::restore_training_state(*model, fresh, fewer), ShapeError);
    expect_identical(before, snapshot(model, fresh), "after the weights mismatch");
}
