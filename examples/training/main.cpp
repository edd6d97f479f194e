// Training with checkpoints that resume exactly (README, "Training checkpoints"): a small seeded
// network with BatchNorm, Dropout and Adam, trained on batches generated from the step number
// (so that the data a step sees does not depend on the process), saved asynchronously every 5
// steps with its `accuracy` and `epoch`; the run directory keeps the last 3 and the best 2 by
// accuracy.
//
//   training --dir DIR --steps N [--optimizer adam|adamw|sgd|rmsprop|adagrad]
//
// trains up to step N, starting from the latest checkpoint in DIR that reads whole when there is
// one (weights, Adam's state and the generator that Dropout draws from; damaged steps are passed
// over, named on standard error), waits for its last save, and prints
//
//   final weights <16 hex digits>
//
// the XXH3-64 (seed 0) of, in order: every weight array of the model (fetch_weights' order, each
// array's values as stored: Float32, column-major), then every array of the optimizer's state
// (training_state's order), then its per-parameter step counts (int64, little-endian). The same
// DIR and N give the same line however often the run was interrupted, SIGKILL included, and
// whichever of its step files were damaged.
// --optimizer trains with another optimizer than Adam (the tests resume every supported one).
#include <torch/torch.h>
#include <xxhash.h>

#include <cstdio>
#include <iostream>
#include <string>

// [training-row]
#include "legolasflux/checkpoints.hpp"
#include "legolasflux/torch/training_state.hpp"

namespace example {

// Weights, optimizer and generator state (TrainingStateV1), and the columns to rank by.
struct TrainingRowV1 : legolasflux::TrainingStateV1 {
    std::optional<float> accuracy;
    std::optional<int64_t> epoch;
};
LEGOLAS_RECORD_EXTENDS(TrainingRowV1, "example.training", 1, legolasflux::TrainingStateV1, accuracy, epoch);

}  // namespace example
// [/training-row]

namespace {

namespace nn = ::torch::nn;
namespace lft = legolasflux::torch;
using example::TrainingRowV1;

constexpr int64_t kFeatures = 16, kClasses = 4, kBatch = 64, kStepsPerEpoch = 20;

nn::Sequential build_model() {
    ::torch::manual_seed(42);
    return nn::Sequential(nn::Linear(kFeatures, 64), nn::BatchNorm1d(64), nn::ReLU(), nn::Dropout(0.2),
                          nn::Linear(64, kClasses));
}

// The batch of a step: its own generator, seeded by the step; labels by a fixed linear teacher.
std::pair<at::Tensor, at::Tensor> batch(int64_t seed) {
    at::Generator teacher_gen = at::detail::createCPUGenerator(7);
    const at::Tensor teacher = at::randn({kFeatures, kClasses}, teacher_gen);
    at::Generator gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
    const at::Tensor x = at::randn({kBatch, kFeatures}, gen);
    return {x, x.matmul(teacher).argmax(1)};
}

float accuracy(nn::Sequential& model) {
    ::torch::NoGradGuard no_grad;
    model->eval();  // no Dropout: the generator is not touched
    const auto [x, y] = batch(-1);
    const float acc = model->forward(x).argmax(1).eq(y).to(::torch::kFloat).mean().item<float>();
    model->train();
    return acc;
}

std::unique_ptr<::torch::optim::Optimizer> make_optimizer(const std::string& name, nn::Sequential& model) {
    namespace optim = ::torch::optim;
    if (name == "adam") return std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(1e-2));
    if (name == "adamw")
        return std::make_unique<optim::AdamW>(model->parameters(), optim::AdamWOptions(1e-2).weight_decay(0.05));
    if (name == "sgd") return std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(0.05).momentum(0.9));
    if (name == "rmsprop")
        return std::make_unique<optim::RMSprop>(model->parameters(), optim::RMSpropOptions(1e-3).centered(true));
    if (name == "adagrad") return std::make_unique<optim::Adagrad>(model->parameters(), optim::AdagradOptions(0.05));
    throw legolasflux::InvalidArgument("unknown optimizer '" + name + "' (adam, adamw, sgd, rmsprop, adagrad)");
}

std::string final_line(const nn::Sequential& model, const ::torch::optim::Optimizer& optimizer) {
    const legolasflux::TrainingStateV1 s = lft::training_state(*model, optimizer);
    XXH3_state_t* h = XXH3_createState();
    XXH3_64bits_reset(h);
    for (const auto& a : s.weights->arrays)
        XXH3_64bits_update(h, a.values.data(), static_cast<size_t>(a.values.size()));
    if (s.optimizer_state)
        for (const auto& a : s.optimizer_state->arrays)
            XXH3_64bits_update(h, a.values.data(), static_cast<size_t>(a.values.size()));
    XXH3_64bits_update(h, s.optimizer_steps.data(), s.optimizer_steps.size() * sizeof(int64_t));
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits_digest(h)));
    XXH3_freeState(h);
    return std::string("final weights ") + hex;
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir, optimizer_name = "adam";
    int64_t steps = -1;
    bool usage = argc % 2 == 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--dir")
            dir = argv[i + 1];
        else if (a == "--steps")
            steps = std::stoll(argv[i + 1]);
        else if (a == "--optimizer")
            optimizer_name = argv[i + 1];
        else
            usage = true;
    }
    if (usage || dir.empty() || steps < 0) {
        std::cerr << "usage: training --dir DIR --steps N [--optimizer adam|adamw|sgd|rmsprop|adagrad]\n";
        return 2;
    }
    try {
        // [training-loop]
        legolasflux::CheckpointOptions options;
        options.max_to_keep = 3;
        options.best = legolasflux::KeepBest{"accuracy", legolasflux::BestMode::Max, 2};
        legolasflux::CheckpointManager run(dir, options);

        nn::Sequential model = build_model();
        auto optimizer = make_optimizer(optimizer_name, model);  // Adam unless told otherwise
        int64_t start = 0;
        // The newest step that reads whole (damaged ones are passed over and set aside when this
        // run saves their step again): weights, the optimizer's state, the generator.
        if (const auto restored = run.restore_latest<TrainingRowV1>()) {
            lft::restore_training_state(*model, *optimizer, restored->row);
            start = restored->step;
        }
        for (const legolasflux::DamagedCheckpoint& d : run.damaged())
            std::cerr << "training: damaged step " << d.step << " passed over: " << d.error << "\n";
        model->train();
        for (int64_t step = start + 1; step <= steps; ++step) {
            const auto [x, y] = batch(step);
            optimizer->zero_grad();
            ::torch::nn::functional::cross_entropy(model->forward(x), y).backward();
            optimizer->step();
            if (step % 5 == 0) {
                TrainingRowV1 row;
                static_cast<legolasflux::TrainingStateV1&>(row) = lft::training_state(*model, *optimizer);
                row.accuracy = accuracy(model);
                row.epoch = step / kStepsPerEpoch;
                run.save_async(step, row);  // returns once the row is copied
            }
        }
        run.wait();
        // [/training-loop]
        std::cout << final_line(model, *optimizer) << std::endl;
    } catch (const legolasflux::Error& e) {
        std::cerr << "training: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
