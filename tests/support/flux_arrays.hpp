// Test helpers for the legolasflux::flux tests: Julia arrays as tensors and back, a Dense layer as
// plain loops over Julia's column-major arrays, printing, tolerant comparison.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "legolasflux/weights.hpp"

namespace lftest {

using Floats = std::vector<float>;

// A tensor holding a Julia array: values column-major, Julia size `size` (torch shape reversed).
inline at::Tensor julia(const Floats& v, std::vector<int64_t> size) {
    std::reverse(size.begin(), size.end());
    return ::torch::tensor(v).reshape(size);
}

// A tensor's values in memory order (Julia's column-major order of the array it is).
inline Floats values(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kFloat).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

inline Floats random(int64_t n) { return values(::torch::randn({n})); }

inline Floats array(const legolasflux::Weights& w, size_t i) {
    return Floats(w[i].data<float>().begin(), w[i].data<float>().end());
}

inline std::string printed(const ::torch::nn::Module& m) {
    std::ostringstream s;
    m.pretty_print(s);
    return s.str();
}

inline void expect_near(const Floats& got, const Floats& want, double tol = 1e-5) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
}

// Dense on every column of x (in, n…): y[o, c] = Σ_i W[o, i] x[i, c] + b[o] (no bias when b is empty).
inline Floats dense_ref(const Floats& w, const Floats& b, const Floats& x, int64_t in, int64_t out) {
    const int64_t cols = int64_t(x.size()) / in;
    Floats y(out * cols);
    for (int64_t c = 0; c < cols; ++c)
        for (int64_t o = 0; o < out; ++o) {
            double s = b.empty() ? 0 : b[o];
            for (int64_t i = 0; i < in; ++i) s += double(w[o + i * out]) * x[i + c * in];
            y[o + c * out] = float(s);
        }
    return y;
}

}  // namespace lftest
