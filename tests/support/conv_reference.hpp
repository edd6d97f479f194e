// NNlib's convolutions in plain loops over Julia's column-major arrays, written from NNlib's
// definitions (conv, crosscor, ∇conv_data), for testing layers against them. Up to three spatial
// dimensions.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace lftest {

// A Julia array: its values in column-major order and its Julia size.
struct JArray {
    std::vector<float> v;
    std::vector<int64_t> size;
};

// The convolution's geometry in Julia's order, one entry per spatial dimension.
struct Geometry {
    std::vector<int64_t> stride, lo, hi, dilation, outpad;
    int64_t groups = 1;
};

// Up to three spatial dimensions; missing ones have size 1 and change nothing.
inline int64_t at3(const std::vector<int64_t>& v, size_t i, int64_t fallback) { return i < v.size() ? v[i] : fallback; }

inline JArray random_array(std::vector<int64_t> size) {
    int64_t n = 1;
    for (int64_t s : size) n *= s;
    const at::Tensor t = ::torch::randn({n});
    return {{t.data_ptr<float>(), t.data_ptr<float>() + n}, std::move(size)};
}

// NNlib's conv (flip = true: a true convolution, the kernel read backwards) or crosscor, with
// groups: y[o, co, b] = bias[co] + Σ_{k, c} x[o·stride + k·dilation - lo, g·Cg + c, b] · w[k', c, co],
// where g is co's group, Cg the input channels per group, and k' = K - 1 - k (flip) or k.
inline JArray conv_reference(const JArray& x, const JArray& w, const std::vector<float>& bias, const Geometry& g,
                             bool flip) {
    const size_t n = x.size.size() - 2;
    int64_t X[3], K[3], S[3], D[3], L[3], Y[3];
    for (size_t i = 0; i < 3; ++i) {
        X[i] = at3(x.size, i < n ? i : 99, 1), K[i] = at3(w.size, i < n ? i : 99, 1);
        S[i] = at3(g.stride, i, 1), D[i] = at3(g.dilation, i, 1), L[i] = at3(g.lo, i, 0);
        Y[i] = (X[i] + L[i] + at3(g.hi, i, 0) - ((K[i] - 1) * D[i] + 1)) / S[i] + 1;
    }
    const int64_t C = x.size[n], B = x.size[n + 1], Cg = w.size[n], Co = w.size[n + 1], Og = Co / g.groups;
    JArray y{std::vector<float>(Y[0] * Y[1] * Y[2] * Co * B), {}};
    for (size_t i = 0; i < n; ++i) y.size.push_back(Y[i]);
    y.size.push_back(Co), y.size.push_back(B);
    for (int64_t b = 0; b < B; ++b)
        for (int64_t co = 0; co < Co; ++co)
            for (int64_t o2 = 0; o2 < Y[2]; ++o2)
                for (int64_t o1 = 0; o1 < Y[1]; ++o1)
                    for (int64_t o0 = 0; o0 < Y[0]; ++o0) {
                        double s = bias.empty() ? 0.0 : bias[co];
                        for (int64_t c = 0; c < Cg; ++c)
                            for (int64_t k2 = 0; k2 < K[2]; ++k2)
                                for (int64_t k1 = 0; k1 < K[1]; ++k1)
                                    for (int64_t k0 = 0; k0 < K[0]; ++k0) {
                                        const int64_t i0 = o0 * S[0] + k0 * D[0] - L[0];
                                        const int64_t i1 = o1 * S[1] + k1 * D[1] - L[1];
                                        const int64_t i2 = o2 * S[2] + k2 * D[2] - L[2];
                                        if (i0 < 0 || i0 >= X[0] || i1 < 0 || i1 >= X[1] || i2 < 0 || i2 >= X[2])
                                            continue;
                                        const int64_t ci = (co / Og) * Cg + c;
                                        const int64_t w0 = flip ? K[0] - 1 - k0 : k0, w1 = flip ? K[1] - 1 - k1 : k1,
                                                      w2 = flip ? K[2] - 1 - k2 : k2;
                                        s += double(x.v[i0 + X[0] * (i1 + X[1] * (i2 + X[2] * (ci + C * b)))]) *
                                             w.v[w0 + K[0] * (w1 + K[1] * (w2 + K[2] * (c + Cg * co)))];
                                    }
                        y.v[o0 + Y[0] * (o1 + Y[1] * (o2 + Y[2] * (co + Co * b)))] = float(s);
                    }
    return y;
}

// NNlib's ∇conv_data of the true convolution with weight w (k..., Cout ÷ groups, Cin), the
// adjoint: every product x[o, ci] · w[K-1-k, c, ci] of that convolution lands on its input
// position i = o·stride + k·dilation - lo, for i inside Flux's output size
// (x - 1)·stride + (K - 1)·dilation + 1 - lo - hi + outpad; then the bias.
inline JArray conv_transpose_reference(const JArray& x, const JArray& w, const std::vector<float>& bias,
                                       const Geometry& g) {
    const size_t n = x.size.size() - 2;
    int64_t X[3], K[3], S[3], D[3], L[3], Y[3];
    for (size_t i = 0; i < 3; ++i) {
        X[i] = at3(x.size, i < n ? i : 99, 1), K[i] = at3(w.size, i < n ? i : 99, 1);
        S[i] = at3(g.stride, i, 1), D[i] = at3(g.dilation, i, 1), L[i] = at3(g.lo, i, 0);
        Y[i] = (X[i] - 1) * S[i] + (K[i] - 1) * D[i] + 1 - L[i] - at3(g.hi, i, 0) + at3(g.outpad, i, 0);
    }
    const int64_t Ci = x.size[n], B = x.size[n + 1], Cg = w.size[n], Co = Cg * g.groups, Ig = Ci / g.groups;
    std::vector<double> acc(Y[0] * Y[1] * Y[2] * Co * B, 0.0);
    for (int64_t b = 0; b < B; ++b)
        for (int64_t ci = 0; ci < Ci; ++ci)
            for (int64_t c = 0; c < Cg; ++c)
                for (int64_t o2 = 0; o2 < X[2]; ++o2)
                    for (int64_t o1 = 0; o1 < X[1]; ++o1)
                        for (int64_t o0 = 0; o0 < X[0]; ++o0)
                            for (int64_t k2 = 0; k2 < K[2]; ++k2)
                                for (int64_t k1 = 0; k1 < K[1]; ++k1)
                                    for (int64_t k0 = 0; k0 < K[0]; ++k0) {
                                        const int64_t i0 = o0 * S[0] + k0 * D[0] - L[0];
                                        const int64_t i1 = o1 * S[1] + k1 * D[1] - L[1];
                                        const int64_t i2 = o2 * S[2] + k2 * D[2] - L[2];
                                        if (i0 < 0 || i0 >= Y[0] || i1 < 0 || i1 >= Y[1] || i2 < 0 || i2 >= Y[2])
                                            continue;
                                        const int64_t co = (ci / Ig) * Cg + c;
                                        acc[i0 + Y[0] * (i1 + Y[1] * (i2 + Y[2] * (co + Co * b)))] +=
                                            double(x.v[o0 + X[0] * (o1 + X[1] * (o2 + X[2] * (ci + Ci * b)))]) *
                                            w.v[(K[0] - 1 - k0) +
                                                K[0] * ((K[1] - 1 - k1) +
                                                        K[1] * ((K[2] - 1 - k2) + K[2] * (c + Cg * ci)))];
                                    }
    JArray y{std::vector<float>(acc.size()), {}};
    for (size_t i = 0; i < n; ++i) y.size.push_back(Y[i]);
    y.size.push_back(Co), y.size.push_back(B);
    const int64_t plane = Y[0] * Y[1] * Y[2];
    for (size_t i = 0; i < acc.size(); ++i)
        y.v[i] = float(acc[i] + (bias.empty() ? 0.0 : bias[(int64_t(i) / plane) % Co]));
    return y;
}

}  // namespace lftest
