// The example program `training` (examples/training) killed with SIGKILL at 20 seeded moments and
// run again each time: when it finally runs to the end, it prints the line of an uninterrupted run.
// So it does when its newest step files were damaged (a flipped byte) before it ran again.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "support/damage.hpp"
#include "support/processes.hpp"

#ifdef LEGOLASFLUX_TRAINING

namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// `training --dir DIR --steps N` in a child process, its standard output into `out`.
std::unique_ptr<lftest::Child> start(const fs::path& dir, int64_t steps, const fs::path& out,
                                     const std::string& optimizer = "adam") {
    return std::make_unique<lftest::Child>([=] {
        const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ::dup2(fd, 1) < 0) return 97;
        const std::string n = std::to_string(steps);
        ::execl(LEGOLASFLUX_TRAINING, "training", "--dir", dir.c_str(), "--steps", n.c_str(), "--optimizer",
                optimizer.c_str(), nullptr);
        return 98;
    });
}

std::string run_to_end(const fs::path& dir, int64_t steps, const fs::path& out, const std::string& optimizer = "adam") {
    auto child = start(dir, steps, out, optimizer);
    const int rc = child->wait(seconds(600));
    EXPECT_EQ(rc, 0) << "training exited with " << rc;
    return slurp(out);
}

}  // namespace

TEST(TrainingExample, KilledAtTwentyMomentsItEndsWhereAnUninterruptedRunEnds) {
    const fs::path work = fs::temp_directory_path() / ("legolasflux_training_" + std::to_string(::getpid()));
    fs::remove_all(work);
    fs::create_directories(work);
    const int64_t steps = 120;
    const auto t0 = steady_clock::now();
    const std::string want = run_to_end(work / "straight", steps, work / "straight.out");
    const auto full = duration_cast<milliseconds>(steady_clock::now() - t0);
    ASSERT_EQ(want.rfind("final weights ", 0), 0u) << want;
    ASSERT_EQ(want.size(), std::string("final weights ").size() + 16 + 1) << want;

    // The same again, in a directory that already holds the finished run: nothing to train.
    EXPECT_EQ(run_to_end(work / "straight", steps, work / "again.out"), want);

    std::mt19937 rng(20261204);
    std::uniform_int_distribution<int64_t> moment(full.count() / 5, full.count());
    int killed = 0;
    for (int k = 0; k < 20; ++k) {
        auto child = start(work / "interrupted", steps, work / "killed.out");
        std::this_thread::sleep_for(milliseconds(moment(rng)));
        const int rc = child->kill();
        killed += rc == 128 + SIGKILL;
        // A run that had already finished exited 0 before the kill: its line must be right too.
        if (rc == 0) EXPECT_EQ(slurp(work / "killed.out"), want) << "kill " << k;
    }
    std::cout << killed << " of 20 runs killed before they ended\n";
    EXPECT_GE(killed, 5) << "most runs should have been killed mid-way";
    EXPECT_EQ(run_to_end(work / "interrupted", steps, work / "final.out"), want);
    for (const auto& e : fs::directory_iterator(work / "interrupted"))
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
    fs::remove_all(work);
}

namespace {

// Where a step file's first weight value lies: the first hole of its file checksum, as the file's
// checksums value (docs/format.md, "Integrity") records it.
size_t first_value(const fs::path& path) {
    const std::string bytes = slurp(path);
    const std::string key = "\"holes\":[[\"";
    const size_t at = bytes.find(key);
    EXPECT_NE(at, std::string::npos) << path;
    return at == std::string::npos ? 0 : std::stoull(bytes.substr(at + key.size(), 16), nullptr, 16);
}

fs::path step_file(const fs::path& dir, int64_t step) {
    char name[64];
    std::snprintf(name, sizeof name, "step-%010lld.example.training.arrow", static_cast<long long>(step));
    return dir / name;
}

}  // namespace

TEST(TrainingExample, DamagedNewestStepsAreSkippedAndTheRunEndsAsAnUndamagedOne) {
    const fs::path work = fs::temp_directory_path() / ("legolasflux_training_damage_" + std::to_string(::getpid()));
    fs::remove_all(work);
    fs::create_directories(work);
    const std::string want = run_to_end(work / "straight", 40, work / "straight.out");
    ASSERT_EQ(want.rfind("final weights ", 0), 0u) << want;
    const size_t size = fs::file_size(step_file(work / "straight", 40));
    const size_t value = first_value(step_file(work / "straight", 40));
    ASSERT_GT(value, 0u);
    struct Damage {
        std::string what;
        std::vector<int64_t> steps;
        size_t offset;
    };
    // The latest step file in its metadata, its weight values and its footer; then the two newest.
    const std::vector<Damage> damages = {{"metadata", {40}, 20},
                                         {"values", {40}, value + 5},
                                         {"footer", {40}, size - 14},
                                         {"two newest", {35, 40}, value + 5}};
    for (const Damage& d : damages) {
        SCOPED_TRACE(d.what);
        const fs::path dir = work / "damaged";
        fs::remove_all(dir);
        fs::copy(work / "straight", dir, fs::copy_options::recursive);
        for (const int64_t step : d.steps) lftest::flip_byte(step_file(dir, step), d.offset);
        EXPECT_EQ(run_to_end(dir, 40, work / "damaged.out"), want);
        // Every damaged file is set aside, each replaced by a good one.
        for (const int64_t step : d.steps) {
            const fs::path file = step_file(dir, step);
            EXPECT_TRUE(fs::exists(file.string() + ".damaged")) << file;
            EXPECT_TRUE(fs::exists(file)) << file;
        }
    }
    fs::remove_all(work);
}

TEST(TrainingExample, EveryOptimizerResumesExactlyInAFreshProcess) {
    const fs::path work = fs::temp_directory_path() / ("legolasflux_training_opt_" + std::to_string(::getpid()));
    fs::remove_all(work);
    fs::create_directories(work);
    for (const std::string optimizer : {"sgd", "adam", "adamw", "rmsprop", "adagrad"}) {
        // 2N steps in one process, against N steps and then N more in a second process.
        const std::string straight = run_to_end(work / (optimizer + "-straight"), 40, work / "out", optimizer);
        ASSERT_EQ(straight.rfind("final weights ", 0), 0u) << optimizer << ": " << straight;
        const std::string half = run_to_end(work / (optimizer + "-resumed"), 20, work / "out", optimizer);
        EXPECT_NE(half, straight) << optimizer;
        EXPECT_EQ(run_to_end(work / (optimizer + "-resumed"), 40, work / "out", optimizer), straight) << optimizer;
    }
    fs::remove_all(work);
}

#endif
