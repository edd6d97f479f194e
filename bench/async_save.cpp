// legolasflux_async_bench: how long CheckpointManager::save_async blocks a training loop, against
// one memcpy of the same bytes into memory already touched (the least a snapshot can cost), and
// what a training step loses while a save runs in the background. No LibTorch: the model is a
// legolas-flux.model@1 row of 8 arrays viewing memory the "training loop" owns.
//
//   legolasflux_async_bench [--sizes 256m,1g] [--reps N] [--dir DIR] [--check]
//
// Prints, per size, in the style of report.hpp:
//   time async_save_block_ms_<size> <median>, time memcpy_ms_<size> <median>
//   ratio async_save_block_vs_memcpy[_256m] <median ratio> (no suffix for 1g; target 1.3)
//   time step_idle_ms_<size>, time step_during_save_ms_<size>, ratio step_during_save_vs_idle_<size>
//   target async_save_block_vs_memcpy[_256m] 1.3 PASS|FAIL
// Exit code 0 whatever the numbers, unless --check is given and a target fails (1); 2 when the
// benchmark itself fails.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "legolasflux/checkpoints.hpp"
#include "system.hpp"

namespace {

namespace fs = std::filesystem;
using legolasflux::bench::median;
using legolasflux::bench::time_ms;

constexpr double kTarget = 1.3;
constexpr int kArrays = 8;

struct Options {
    std::vector<std::string> sizes = {"256m", "1g"};
    int reps = 7;
    fs::path dir = fs::temp_directory_path();
    bool check = false;
};

int64_t bytes_of(const std::string& size) {
    const int64_t n = std::stoll(size);
    switch (size.back()) {
        case 'k': return n << 10;
        case 'm': return n << 20;
        case 'g': return n << 30;
        default: throw std::invalid_argument("a size is a number and k, m or g: " + size);
    }
}

// A training step's stand-in: arithmetic over 16 MiB of floats, on the caller's thread.
void train_step(std::vector<float>& a) {
    for (int pass = 0; pass < 4; ++pass)
        for (float& v : a) v = v * 1.0001f + 0.5f;
}

struct Result {
    double block_ms, memcpy_ms, step_idle_ms, step_during_ms;
};

Result run(const std::string& size, const Options& o, const fs::path& work) {
    const int64_t total = bytes_of(size);
    const int64_t per_array = total / kArrays / 4 * 4;
    // The model's memory, touched, and the row that views it (as fetch_weights views tensors).
    auto memory = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(per_array * kArrays), uint8_t{1});
    std::vector<legolasflux::FlatArray> arrays;
    for (int i = 0; i < kArrays; ++i)
        arrays.emplace_back(legolasflux::ElementType::Float32, std::vector<int64_t>{per_array / 4},
                            legolasflux::arrow::Buffer(memory, memory->data() + i * per_array, per_array));
    legolasflux::ModelV1 row{legolasflux::Weights(std::move(arrays)), 1};

    // The baseline: one memcpy of the same bytes into memory already touched.
    std::vector<uint8_t> target(memory->size(), uint8_t{2});
    std::vector<double> memcpy_ms;
    for (int r = 0; r < o.reps; ++r)
        memcpy_ms.push_back(time_ms([&] { std::memcpy(target.data(), memory->data(), memory->size()); }));

    legolasflux::CheckpointOptions options;
    options.max_to_keep = 1;
    legolasflux::CheckpointManager manager(work / ("run-" + size), options);
    int64_t step = 0;
    manager.save_async(++step, row).get();  // the staging memory is allocated (and touched) once
    std::vector<double> block_ms;
    for (int r = 0; r < o.reps; ++r) {
        legolasflux::SaveHandle h;
        block_ms.push_back(time_ms([&] { h = manager.save_async(++step, row); }));
        h.get();
    }

    // A training step alone, and while a save is in flight.
    std::vector<float> a(size_t{4} << 20, 1.0f);
    std::vector<double> idle, during;
    for (int r = 0; r < 2 * o.reps; ++r) idle.push_back(time_ms([&] { train_step(a); }));
    for (int r = 0; r < o.reps; ++r) {
        const legolasflux::SaveHandle h = manager.save_async(++step, row);
        while (!h.ready()) during.push_back(time_ms([&] { train_step(a); }));
        h.get();
    }
    if (during.empty()) during.push_back(median(idle));
    return {median(block_ms), median(memcpy_ms), median(idle), median(during)};
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            const auto value = [&] {
                if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
                return std::string(argv[++i]);
            };
            if (a == "--sizes") {
                o.sizes.clear();
                std::string list = value();
                for (size_t start = 0; start <= list.size();) {
                    const size_t comma = std::min(list.find(',', start), list.size());
                    o.sizes.push_back(list.substr(start, comma - start));
                    start = comma + 1;
                }
            } else if (a == "--reps") {
                o.reps = std::max(1, std::stoi(value()));
            } else if (a == "--dir") {
                o.dir = value();
            } else if (a == "--check") {
                o.check = true;
            } else {
                throw std::invalid_argument("unknown argument " + a);
            }
        }
        const fs::path work = legolasflux::bench::make_work_dir(o.dir);
        bool pass = true;
        for (const std::string& size : o.sizes) {
            const Result r = run(size, o, work);
            const std::string suffix = size == "1g" ? "" : "_" + size;
            const double ratio = r.block_ms / r.memcpy_ms;
            std::printf("time async_save_block_ms_%s %.2f\n", size.c_str(), r.block_ms);
            std::printf("time memcpy_ms_%s %.2f\n", size.c_str(), r.memcpy_ms);
            std::printf("ratio async_save_block_vs_memcpy%s %.4f\n", suffix.c_str(), ratio);
            std::printf("time step_idle_ms_%s %.2f\n", size.c_str(), r.step_idle_ms);
            std::printf("time step_during_save_ms_%s %.2f\n", size.c_str(), r.step_during_ms);
            std::printf("ratio step_during_save_vs_idle_%s %.4f\n", size.c_str(), r.step_during_ms / r.step_idle_ms);
            if (size == "256m" || size == "1g") {
                std::printf("target async_save_block_vs_memcpy%s %.1f %s\n", suffix.c_str(), kTarget,
                            ratio <= kTarget ? "PASS" : "FAIL");
                pass = pass && ratio <= kTarget;
            }
            std::fflush(stdout);
        }
        fs::remove_all(work);
        return o.check && !pass ? 1 : 0;
    } catch (const std::exception& e) {
        std::cerr << "legolasflux_async_bench: " << e.what() << "\n";
        return 2;
    }
}
