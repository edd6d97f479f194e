// legolasflux_flux_bench: inference through legolasflux::flux modules against the same networks as
// plain LibTorch modules, with the same weights (mapped once), batch 32:
//   - a conv net, symmetric padding: Conv 3=>32 relu pad=1, Conv 32=>64 relu pad=1, MaxPool 2,
//     Conv 64=>64 relu pad=1, flatten, Dense => 10, on 32×32 images;
//   - a two-layer LSTM, 64 => 128 => 128, over 50 time steps.
// Flux's conventions (flipped kernels, one-bias gates, state0) are paid for when the weights are
// loaded, never per call: each ratio (flux time / LibTorch time, medians of interleaved runs) is
// expected ≤ 1.1. Prints `ratio flux_forward_vs_libtorch_conv R` and `…_lstm R`; with --check,
// exits 1 when a ratio is over its bound. The outputs of both sides are compared first (the same
// numbers within 1e-4, or exit 1), so the two sides compute the same thing.
//
//   legolasflux_flux_bench [--reps N] [--check]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "legolasflux/torch/flux.hpp"

namespace {

namespace flux = legolasflux::flux;
namespace nn = ::torch::nn;

double seconds(const std::function<void()>& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Median times of a and b, run alternately so that both see the same machine.
std::pair<double, double> race(const std::function<void()>& a, const std::function<void()>& b, int reps) {
    a(), b();  // warm up
    std::vector<double> ta, tb;
    for (int i = 0; i < reps; ++i) {
        ta.push_back(seconds(a));
        tb.push_back(seconds(b));
    }
    return {median(ta), median(tb)};
}

bool same(const at::Tensor& a, const at::Tensor& b, const char* what) {
    const double diff = (a - b).abs().max().item<double>();
    if (a.sizes() == b.sizes() && diff <= 1e-4) return true;
    std::fprintf(stderr, "legolasflux_flux_bench: the %s outputs differ (max difference %g)\n", what, diff);
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    int reps = 15;
    bool check = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--check"))
            check = true;
        else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = std::max(1, std::atoi(argv[++i]));
        else
            return std::fprintf(stderr, "usage: legolasflux_flux_bench [--reps N] [--check]\n"), 2;
    }
    ::torch::NoGradGuard no_grad;
    ::torch::manual_seed(1);
    bool ok = true;
    std::vector<std::pair<std::string, double>> ratios;

    {  // The conv net. LibTorch's modules first; Flux's arrays fetched from them, loaded into ours.
        nn::Sequential plain(nn::Conv2d(nn::Conv2dOptions(3, 32, 3).padding(1)), nn::ReLU(),
                             nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)), nn::ReLU(),
                             nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                             nn::Conv2d(nn::Conv2dOptions(64, 64, 3).padding(1)), nn::ReLU(), nn::Flatten(),
                             nn::Linear(64 * 16 * 16, 10));
        flux::Chain ours(flux::Conv({3, 3}, 3, 32, flux::relu, {.pad = 1}),
                         flux::Conv({3, 3}, 32, 64, flux::relu, {.pad = 1}), flux::MaxPool({2, 2}),
                         flux::Conv({3, 3}, 64, 64, flux::relu, {.pad = 1}), flux::flatten,
                         flux::Dense(64 * 16 * 16, 10));
        flux::load_weights(*ours, legolasflux::torch::fetch_flux_weights(*plain));
        plain->eval(), ours->eval();
        const at::Tensor x = ::torch::randn({32, 3, 32, 32});
        ok &= same(plain->forward(x), ours->forward(x), "conv");
        const auto [tf, tp] = race([&] { ours->forward(x); }, [&] { plain->forward(x); }, reps);
        std::printf("conv net, batch 32: flux %.3f ms, LibTorch %.3f ms\n", tf * 1e3, tp * 1e3);
        ratios.emplace_back("flux_forward_vs_libtorch_conv", tf / tp);
    }
    {  // The LSTM: Flux's one bias is LibTorch's b_ih, with b_hh zero.
        nn::LSTM plain(nn::LSTMOptions(64, 128).num_layers(2));
        flux::LSTM l1(64, 128), l2(128, 128);
        flux::Chain ours(l1, l2);
        {
            const auto& p = plain->named_parameters();
            const flux::LSTM layers[] = {l1, l2};
            for (int k = 0; k < 2; ++k) {
                const std::string s = std::to_string(k);
                p["weight_ih_l" + s].copy_(layers[k]->weight_ih);
                p["weight_hh_l" + s].copy_(layers[k]->weight_hh);
                p["bias_ih_l" + s].copy_(layers[k]->bias);
                p["bias_hh_l" + s].zero_();
            }
        }
        plain->eval(), ours->eval();
        const at::Tensor x = ::torch::randn({50, 32, 64});  // Julia (features, batch, time)
        ours->reset();
        ok &= same(std::get<0>(plain->forward(x)), ours->forward(x), "LSTM");
        const auto [tf, tp] = race([&] { ours->reset(), ours->forward(x); }, [&] { plain->forward(x); }, reps);
        std::printf("two-layer LSTM, batch 32, 50 steps: flux %.3f ms, LibTorch %.3f ms\n", tf * 1e3, tp * 1e3);
        ratios.emplace_back("flux_forward_vs_libtorch_lstm", tf / tp);
    }
    for (const auto& [name, r] : ratios) {
        std::printf("ratio %s %.3f\n", name.c_str(), r);
        if (check && r > 1.1) {
            std::fprintf(stderr, "legolasflux_flux_bench: %s = %.3f is over 1.1\n", name.c_str(), r);
            ok = false;
        }
    }
    return ok ? 0 : 1;
}
