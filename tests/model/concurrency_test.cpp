// Any number of threads may read the same model file, or the same opened row, at once. Meant to
// run under AddressSanitizer / ThreadSanitizer (scripts/test.sh), which report what the results
// alone would not show.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"

using namespace legolasflux;
namespace fs = std::filesystem;

namespace {

constexpr int kThreads = 8;

Weights test_weights() {
    std::vector<FlatArray> arrays;
    for (int k = 0; k < 6; ++k) {
        std::vector<float> v(static_cast<size_t>(1000 * (k + 1)));
        for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(k) + static_cast<float>(i) * 1e-3f;
        arrays.push_back(FlatArray::from_values<float>({static_cast<int64_t>(v.size())}, v));
    }
    return Weights(std::move(arrays));
}

// Runs `f(thread)` on kThreads threads released together; rethrows nothing (failures are recorded
// by gtest's thread-safe assertions).
template <class F>
void together(F&& f) {
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            ready.fetch_add(1);
            while (ready.load() < kThreads) std::this_thread::yield();
            f(t);
        });
    for (auto& th : threads) th.join();
}

}  // namespace

TEST(Concurrency, ThreadsReadTheSameFile) {
    const fs::path path =
        fs::temp_directory_path() / ("legolasflux_concurrent_" + std::to_string(::getpid()) + ".arrow");
    const Weights expected = test_weights();
    write_model_row(path, ModelV1{expected, 7}, ModelWriteOptions{.weight_names = {"a", "b", "c", "d", "e", "f"}});
    std::vector<std::vector<std::string>> names(kThreads);
    std::atomic<int> wrong{0};
    together([&](int t) {
        for (int round = 0; round < 10; ++round) {
            try {
                const ModelV1 row = read_model_row<ModelV1>(path, &names[static_cast<size_t>(t)]);
                if (!row.weights || *row.weights != expected || row.architecture_version != 7) wrong.fetch_add(1);
                const ModelRow any = read_model_row(path);
                if (!any.weights || *any.weights != expected) wrong.fetch_add(1);
            } catch (const std::exception& e) {
                ADD_FAILURE() << "thread " << t << ": " << e.what();
            }
        }
    });
    EXPECT_EQ(wrong.load(), 0);
    for (const auto& n : names) EXPECT_EQ(n, (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
    fs::remove(path);
}

// One opened row, its table and the weights viewing its memory, read by every thread at once.
TEST(Concurrency, ThreadsShareOneOpenedRow) {
    const fs::path path =
        fs::temp_directory_path() / ("legolasflux_shared_row_" + std::to_string(::getpid()) + ".arrow");
    const Weights expected = test_weights();
    write_model_row(path, ModelV1{expected, 7});
    const ModelRow row = read_model_row(path);
    fs::remove(path);
    std::vector<double> sums(kThreads, 0.0);
    std::atomic<int> wrong{0};
    together([&](int t) {
        for (int round = 0; round < 10; ++round) {
            // The row's weights (views into the file's buffer)…
            double sum = 0;
            for (const FlatArray& a : row.weights->arrays)
                for (float v : a.data<float>()) sum += v;
            sums[static_cast<size_t>(t)] = sum;
            // …and the same values decoded again from the shared table.
            const auto& schema = *row.table.schema;
            const auto again = weights_from_arrow(schema.fields[0], *row.table.batches[0].columns[0], 0);
            if (!again || *again != expected) wrong.fetch_add(1);
            const auto copy = legolas::from_row<ModelV1>(row.table, 0);
            if (!copy.weights || *copy.weights != expected) wrong.fetch_add(1);
        }
    });
    EXPECT_EQ(wrong.load(), 0);
    double expected_sum = 0;
    for (const FlatArray& a : expected.arrays)
        for (float v : a.data<float>()) expected_sum += v;
    for (double s : sums) EXPECT_EQ(s, expected_sum);
}
