// Training checkpoints with CheckpointManager (README, "Training checkpoints"): a small regression
// trained by gradient descent saves asynchronously every 10 steps into a run directory that keeps
// the last 2 steps, the one with the lowest loss and every 50th; run again with more steps, it
// resumes from the latest checkpoint that reads whole (a damaged one is skipped, said so, and set
// aside when the run saves its step again).
//
//   checkpoints --dir DIR --steps N [--fresh] [--verify]
//
// --fresh empties DIR first; --verify checks that the weights reached are bit for bit those of one
// uninterrupted run to N (exit status 1 otherwise).
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

// [row]
#include "legolasflux/checkpoints.hpp"

namespace example {

// A checkpoint row: the weights, and the columns the run directory ranks and lists by.
struct RegressionRowV1 : legolasflux::ModelV1 {
    std::optional<int64_t> epoch;
    std::optional<float> loss;
};
LEGOLAS_RECORD_EXTENDS(RegressionRowV1, "example.regression", 1, legolasflux::ModelV1, epoch, loss);

}  // namespace example
// [/row]

namespace {

using example::RegressionRowV1;

// One gradient step on a sample that depends on the step number only, so that a resumed run sees
// the same data as an uninterrupted one. Returns the sample's squared error.
float train_step(std::vector<float>& w, int64_t step) {
    const float truth[4] = {0.5f, -1.25f, 2.0f, 0.75f};
    float x[4], prediction = 0, target = 0;
    for (int j = 0; j < 4; ++j) {
        x[j] = std::sin(0.37f * static_cast<float>(step) + static_cast<float>(j));
        prediction += w[j] * x[j];
        target += truth[j] * x[j];
    }
    const float error = prediction - target;
    for (int j = 0; j < 4; ++j) w[j] -= 0.1f * error * x[j];
    return error * error;
}

RegressionRowV1 row_of(const std::vector<float>& w, int64_t step, float loss) {
    RegressionRowV1 row;
    row.weights = legolasflux::Weights({legolasflux::FlatArray::from_values<float>({4}, w)});
    row.architecture_version = 1;
    row.epoch = step / 20;
    row.loss = loss;
    return row;
}

}  // namespace

int main(int argc, char** argv) {
    std::filesystem::path dir;
    int64_t steps = 0;
    bool fresh = false, verify = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--dir" && i + 1 < argc)
            dir = argv[++i];
        else if (a == "--steps" && i + 1 < argc)
            steps = std::stoll(argv[++i]);
        else if (a == "--fresh")
            fresh = true;
        else if (a == "--verify")
            verify = true;
        else {
            std::cerr << "usage: checkpoints --dir DIR --steps N [--fresh] [--verify]\n";
            return 2;
        }
    }
    if (dir.empty() || steps < 1) {
        std::cerr << "usage: checkpoints --dir DIR --steps N [--fresh] [--verify]\n";
        return 2;
    }
    if (fresh) std::filesystem::remove_all(dir);
    try {
        // [manager]
        legolasflux::CheckpointOptions options;
        options.max_to_keep = 2;                                                      // the last 2 steps,
        options.best = legolasflux::KeepBest{"loss", legolasflux::BestMode::Min, 1};  // the lowest loss,
        options.keep_period = 50;                                                     // and every 50th
        legolasflux::CheckpointManager run(dir, options);                             // creates DIR, or opens it again

        std::vector<float> w(4, 0.0f);
        int64_t start = 0;
        if (const auto restored = run.restore_latest<RegressionRowV1>()) {  // resume
            const auto values = restored->row.weights->arrays.at(0).data<float>();
            w.assign(values.begin(), values.end());
            start = restored->step;
        }
        // Found on opening, or skipped by the resume: passed over, never deleted (the save of its
        // step number sets its file aside).
        for (const legolasflux::DamagedCheckpoint& d : run.damaged())
            std::cout << "damaged step " << d.step << " passed over: " << d.file << "\n";
        for (int64_t step = start + 1; step <= steps; ++step) {
            const float loss = train_step(w, step);
            // Returns as soon as the row is copied: the loop changes w right away.
            if (step % 10 == 0) run.save_async(step, row_of(w, step, loss));
        }
        run.wait();  // every save committed (the destructor waits too)
        // [/manager]

        // [query]
        std::cout << "resumed from step " << start << "; kept:\n";
        for (const legolasflux::CheckpointInfo& c : run.checkpoints()) {
            std::cout << "  step " << c.step << "  loss " << std::get<double>(c.metric("loss")->value) << "  kept by";
            for (const std::string& why : c.kept_by) std::cout << " " << why;
            std::cout << "\n";
        }
        std::cout << "latest " << run.latest().value() << ", best " << run.best().value() << "\n";
        // [/query]

        if (verify) {
            std::vector<float> uninterrupted(4, 0.0f);
            for (int64_t step = 1; step <= steps; ++step) train_step(uninterrupted, step);
            const bool exact = steps % 10 != 0 || std::memcmp(uninterrupted.data(), w.data(), 16) == 0;
            // The weights of the latest checkpoint, as read back, are those of the uninterrupted run.
            const RegressionRowV1 saved = run.read<RegressionRowV1>(run.latest().value());
            const auto values = saved.weights->arrays.at(0).data<float>();
            std::vector<float> at_latest(4, 0.0f);
            for (int64_t step = 1; step <= run.latest().value(); ++step) train_step(at_latest, step);
            if (!exact || std::memcmp(values.data(), at_latest.data(), 16) != 0) {
                std::cerr << "checkpoints: the resumed run differs from an uninterrupted one\n";
                return 1;
            }
            std::cout << "verified: bit for bit the weights of an uninterrupted run\n";
        }
    } catch (const legolasflux::Error& e) {
        std::cerr << "checkpoints: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
