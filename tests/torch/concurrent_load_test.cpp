// Eight threads read the same model file and load it into models of their own at once, with
// identical results (run under AddressSanitizer by scripts/test.sh).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "legolasflux/model.hpp"
#include "legolasflux/torch/weights.hpp"

namespace lt = legolasflux::torch;
namespace nn = ::torch::nn;

namespace {

nn::Sequential make_model() {
    return nn::Sequential(nn::Linear(8, 32), nn::BatchNorm1d(32), nn::Linear(32, 32), nn::Linear(32, 4));
}

}  // namespace

TEST(ConcurrentLoad, EightThreadsLoadTheSameFileIntoTheirOwnModels) {
    ::torch::manual_seed(7);
    auto source = make_model();
    // Non-default BatchNorm statistics, so that buffers are checked too.
    source->train();
    for (int i = 0; i < 3; ++i) (void)source->forward(::torch::randn({16, 8}));
    source->eval();
    const auto path = std::filesystem::temp_directory_path() /
                      ("legolasflux_concurrent_load_" + std::to_string(::getpid()) + ".arrow");
    legolasflux::write_model_row(path, legolasflux::ModelV1{lt::fetch_weights(*source), 1});
    const auto input = ::torch::randn({5, 8});
    const auto expected = source->forward(input);

    constexpr int kThreads = 8;
    std::vector<at::Tensor> outputs(kThreads);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            ready.fetch_add(1);
            while (ready.load() < kThreads) std::this_thread::yield();
            try {
                ::torch::NoGradGuard no_grad;
                auto model = make_model();
                const auto row = legolasflux::read_model_row<legolasflux::ModelV1>(path);
                lt::load_weights(*model, *row.weights);
                model->eval();
                outputs[static_cast<size_t>(t)] = model->forward(input);
            } catch (const std::exception& e) {
                ADD_FAILURE() << "thread " << t << ": " << e.what();
            }
        });
    for (auto& th : threads) th.join();
    std::filesystem::remove(path);
    for (int t = 0; t < kThreads; ++t) {
        ASSERT_TRUE(outputs[static_cast<size_t>(t)].defined()) << t;
        EXPECT_TRUE(outputs[static_cast<size_t>(t)].equal(expected)) << "thread " << t;
    }
}
