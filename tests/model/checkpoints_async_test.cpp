// CheckpointManager::save_async (legolasflux/checkpoints.hpp): the snapshot, saves in flight, and
// errors that are never lost.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "legolasflux/checkpoints.hpp"
#include "legolasflux/errors.hpp"
#include "support/scratch.hpp"

using namespace legolasflux;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) { return lftest::scratch_path("checkpoints_async/" + name); }

// A model whose weights live in memory the caller keeps changing, as a training loop does: the
// FlatArrays are views of `memory`, not copies.
struct LiveModel {
    std::shared_ptr<std::vector<float>> memory;
    int64_t n;

    explicit LiveModel(int64_t count) : memory(std::make_shared<std::vector<float>>(count)), n(count) {}
    void set(float value) { std::fill(memory->begin(), memory->end(), value); }
    ModelV1 row() const {
        arrow::Buffer view(memory, reinterpret_cast<const uint8_t*>(memory->data()), n * 4);
        return ModelV1{Weights({FlatArray(ElementType::Float32, {n}, view)}), 1};
    }
};

float first_value(const CheckpointManager& run, int64_t step) {
    const ModelV1 back = run.read<ModelV1>(step);
    return back.weights->arrays.at(0).data<float>()[0];
}

}  // namespace

TEST(CheckpointsAsync, TheModelMayChangeAsSoonAsSaveAsyncReturns) {
    CheckpointOptions options;
    options.max_in_flight = 2;
    CheckpointManager run(scratch("snapshot"), options);
    LiveModel model(3 << 20);  // 12 MiB: the parallel snapshot copy
    std::vector<SaveHandle> handles;
    for (int64_t step = 1; step <= 6; ++step) {
        model.set(static_cast<float>(step));
        handles.push_back(run.save_async(step, model.row()));
        model.set(-1.0f);  // the training loop goes on
    }
    for (const SaveHandle& h : handles) EXPECT_NO_THROW(h.get()) << h.step();
    EXPECT_EQ(run.steps().size(), 6u);
    for (int64_t step = 1; step <= 6; ++step) {
        const ModelV1 back = run.read<ModelV1>(step);
        const auto values = back.weights->arrays.at(0).data<float>();
        EXPECT_EQ(values.size(), size_t{3} << 20);
        EXPECT_TRUE(std::all_of(values.begin(), values.end(), [&](float v) { return v == static_cast<float>(step); }))
            << "step " << step;
    }
}

TEST(CheckpointsAsync, AtMostMaxInFlight) {
    CheckpointManager run(scratch("in_flight"));
    LiveModel model(1 << 20);
    model.set(1.0f);
    const SaveHandle first = run.save_async(1, model.row());
    const SaveHandle second = run.save_async(2, model.row());  // waits for the first to commit
    EXPECT_TRUE(first.ready());
    second.get();
    EXPECT_EQ(first_value(run, 2), 1.0f);
    EXPECT_THROW(run.save_async(2, model.row()), InvalidArgument);
}

TEST(CheckpointsAsync, ErrorsReachTheHandle) {
    const fs::path dir = scratch("error_handle");
    CheckpointManager run(dir);
    LiveModel model(16);
    // A directory where the step's file should go: the rename fails, on the writing thread.
    fs::create_directories(dir / checkpoint_file_name(3, "legolas-flux.model"));
    const SaveHandle failed = run.save_async(3, model.row());
    EXPECT_THROW(failed.get(), IoError);
    // Collected through the handle: not reported again.
    run.save(4, model.row());
    run.wait();
    EXPECT_EQ(run.steps(), (std::vector<int64_t>{4}));
}

TEST(CheckpointsAsync, AnUncollectedErrorIsThrownByTheNextCall) {
    const fs::path dir = scratch("error_next");
    CheckpointManager run(dir);
    LiveModel model(16);
    fs::create_directories(dir / checkpoint_file_name(3, "legolas-flux.model"));
    (void)run.save_async(3, model.row());
    try {
        run.wait();
        FAIL() << "the failed save was not reported";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("step-0000000003"), std::string::npos) << e.what();
    }
    run.save(4, model.row());  // reported once only
    fs::create_directories(dir / checkpoint_file_name(5, "legolas-flux.model"));
    (void)run.save_async(5, model.row());
    try {
        // The failure of 5 may come after 6 is submitted (6 waits for 5's slot, not for its
        // outcome): then wait() reports it.
        (void)run.save_async(6, model.row());
        run.wait();
        FAIL() << "the failed save was not reported";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("step-0000000005"), std::string::npos) << e.what();
    }
    run.wait();
}

TEST(CheckpointsAsync, TheDestructorWaitsAndReportsWhatNobodyCollected) {
    const fs::path dir = scratch("destructor");
    LiveModel model(1 << 20);
    model.set(2.0f);
    ::testing::internal::CaptureStderr();
    {
        CheckpointManager run(dir);
        (void)run.save_async(1, model.row());
        fs::create_directories(dir / checkpoint_file_name(2, "legolas-flux.model"));
        (void)run.save_async(2, model.row());
    }
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("was not saved"), std::string::npos) << err;
    EXPECT_NE(err.find("step-0000000002"), std::string::npos) << err;
    EXPECT_TRUE(fs::exists(dir / checkpoint_file_name(1, "legolas-flux.model")));
    fs::remove(dir / checkpoint_file_name(2, "legolas-flux.model"));
    CheckpointManager again(dir);
    EXPECT_EQ(again.steps(), (std::vector<int64_t>{1}));
    EXPECT_EQ(first_value(again, 1), 2.0f);
}

TEST(CheckpointsAsync, SavesARowReadBack) {
    const fs::path dir = scratch("model_row");
    CheckpointManager run(dir);
    LiveModel model(8);
    model.set(3.0f);
    run.save(1, model.row());
    const ModelRow row = run.read(1);
    run.save(2, row);
    EXPECT_EQ(run.read(2).weights, row.weights);
    EXPECT_EQ(run.info(2).schema, "legolas-flux.model@1");
}
